/*!
`switchyard plugins new NAME [--dir DIR]`: a plugin crate made from the
template (`examples/plugin-template`, embedded in the binary when it was
built), ready to `cargo build`, with a README saying the next commands.

The new crate depends on the provider kit by path when the kit's sources
are at hand (`--kit-path`, `SWITCHYARD_KIT_PATH`, or the workspace a
development build runs from), else by git (`tag = "v<version>"`).
*/

use super::Ctx;
use serde_json::json;
use std::path::{Path, PathBuf};
use switchyard_core::error::HostError;

const LIB_RS: &str = include_str!("../../../examples/plugin-template/src/lib.rs");
const MANIFEST: &str = include_str!("../../../examples/plugin-template/manifest/template.toml");
const CARGO_TOML: &str = include_str!("../../../examples/plugin-template/Cargo.toml");
const CARGO_LOCK: &str = include_str!("../../../examples/plugin-template/Cargo.lock");
/// The template's dependency line on the kit, replaced in the new crate.
const KIT_LINE: &str =
    r#"switchyard-provider-kit = { version = "0.1", path = "../../provider-kit" }"#;
/// Where releases are tagged.
pub const REPOSITORY: &str = "https://github.com/switchyard-dev/switchyard";

/// A plugin name: lowercase letters, digits and `-`, starting with a letter.
fn check_name(name: &str) -> Result<(), HostError> {
    let ok = name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(HostError::InvalidInput(format!(
            "plugins new {name:?}: a plugin name is lowercase letters, digits and '-', starting with a letter (at most 40), such as \"acme-ai\"; it becomes the plugin id and the model-ref prefix"
        )))
    }
}

/// `acme-ai` -> `AcmeAi`.
fn camel(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The kit's sources, when at hand.
fn kit_path(flag: Option<&Path>) -> Option<PathBuf> {
    let given = flag
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("SWITCHYARD_KIT_PATH").map(PathBuf::from));
    let dev = || {
        let exe = std::env::current_exe().ok()?.canonicalize().ok()?;
        exe.ancestors()
            .find(|d| d.join("provider-kit/Cargo.toml").is_file() && d.join("Cargo.toml").is_file())
            .map(|d| d.join("provider-kit"))
    };
    given
        .or_else(dev)
        .filter(|p| p.join("Cargo.toml").is_file())
}

/// The template's texts made into plugin `name`'s.
fn render(text: &str, name: &str) -> String {
    let snake = name.replace('-', "_");
    text.replace(
        "switchyard_plugin_template",
        &format!("switchyard_plugin_{snake}"),
    )
    .replace("TEMPLATE", &snake.to_ascii_uppercase())
    .replace("Template", &camel(name))
    .replace("template", name)
}

fn kit_dependency(kit: Option<&Path>) -> String {
    match kit {
        Some(p) => format!(
            "switchyard-provider-kit = {{ version = \"0.1\", path = {:?} }}",
            p.display().to_string()
        ),
        None => format!(
            "switchyard-provider-kit = {{ git = \"{REPOSITORY}\", tag = \"v{}\" }}",
            env!("CARGO_PKG_VERSION")
        ),
    }
}

fn readme(name: &str) -> String {
    format!(
        "# switchyard-plugin-{name}\n\n\
         A switchyard provider plugin, made with `switchyard plugins new {name}`:\n\
         chat and speech against an OpenAI-compatible server, model refs\n\
         `{name}/<model>`. Change `src/lib.rs` for your provider's API and\n\
         `manifest/{name}.toml` for its models; the guide is docs/plugin-authors.md\n\
         in the switchyard repository.\n\n\
         Next:\n\n\
         ```sh\n\
         cargo build\n\
         switchyard plugins test . --base-url http://127.0.0.1:11434/v1   # your server\n\
         switchyard plugins install .\n\
         ```\n"
    )
}

/// The files of the new crate, relative to its directory.
pub fn files(name: &str, kit: Option<&Path>) -> Vec<(PathBuf, String)> {
    let cargo = render(CARGO_TOML, name).replace(&render(KIT_LINE, name), &kit_dependency(kit));
    vec![
        (PathBuf::from("Cargo.toml"), cargo),
        (PathBuf::from("Cargo.lock"), render(CARGO_LOCK, name)),
        (
            PathBuf::from(format!("manifest/{name}.toml")),
            render(MANIFEST, name),
        ),
        (PathBuf::from("src/lib.rs"), render(LIB_RS, name)),
        (PathBuf::from("README.md"), readme(name)),
        (PathBuf::from(".gitignore"), "/target\n".to_string()),
    ]
}

/// Runs `plugins new`.
pub fn run(ctx: &Ctx, name: &str, dir: Option<&Path>, kit: Option<&Path>) -> Result<(), HostError> {
    check_name(name)?;
    let dir = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(name));
    let busy = std::fs::read_dir(&dir)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);
    if busy || dir.is_file() {
        return Err(HostError::InvalidInput(format!(
            "plugins new: {} exists and is not empty; choose another --dir",
            dir.display()
        )));
    }
    let kit = kit_path(kit);
    for (rel, text) in files(name, kit.as_deref()) {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|source| HostError::Io {
                what: "cannot create",
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&p, text).map_err(|source| HostError::Io {
            what: "cannot write",
            path: p.clone(),
            source,
        })?;
    }
    let shown = dir.canonicalize().unwrap_or(dir.clone());
    if ctx.json {
        ctx.print_json(&json!({"plugin": name, "dir": shown.display().to_string(), "kit": kit.map(|k| k.display().to_string())}));
        return Ok(());
    }
    ctx.term.out(&shown.display().to_string());
    ctx.term.notice(&format!(
        "created plugin {name} in {}; next: cd there, then `cargo build`, `switchyard plugins test . --base-url URL`, `switchyard plugins install .`",
        shown.display()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_rendered_everywhere() {
        for bad in ["Acme", "9x", "a_b", "a-", "", "a b"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        check_name("acme-ai").unwrap();
        let files = files("acme-ai", Some(Path::new("/src/kit")));
        let all: String = files.iter().map(|(_, t)| t.as_str()).collect();
        assert!(
            !all.contains("template") && !all.contains("Template"),
            "{all}"
        );
        let lib = &files.iter().find(|(p, _)| p.ends_with("lib.rs")).unwrap().1;
        assert!(
            lib.contains("pub struct AcmeAi;") && lib.contains("\"acme-ai/\""),
            "{lib}"
        );
        let cargo = &files[0].1;
        assert!(
            cargo.contains("name = \"switchyard_plugin_acme_ai\""),
            "{cargo}"
        );
        assert!(cargo.contains("path = \"/src/kit\""), "{cargo}");
        let manifest = &files
            .iter()
            .find(|(p, _)| p.ends_with("acme-ai.toml"))
            .unwrap()
            .1;
        assert!(
            manifest.contains("env = [\"ACME_AI_API_KEY\"]"),
            "{manifest}"
        );
        assert!(kit_dependency(None).contains("git = "));
    }
}

//! Each manifest field a plugin author can get wrong produces a message that
//! names the field, both from `switchyard plugins check` and from the
//! contract suite (`cargo xtask contract --plugin-dir DIR`, run here as the
//! built `xtask` binary). The manifests are copies of the bundled
//! `openai-compatible.toml` with one field broken each; its real library
//! answers for them.

use switchyard_e2e::{profile_dir, workspace_root, Env, Output, TempDir};

fn bundled() -> String {
    std::fs::read_to_string(workspace_root().join("manifests/openai-compatible.toml"))
        .expect("read manifests/openai-compatible.toml")
}

/// `bundled()` with `from` replaced (once) by `to`.
fn broken(from: &str, to: &str) -> String {
    let text = bundled();
    assert!(text.contains(from), "the bundled manifest has no {from:?}");
    text.replacen(from, to, 1)
}

fn contract(dir: &TempDir) -> Output {
    let xtask = profile_dir().join("xtask");
    assert!(
        xtask.is_file(),
        "{} is missing: `cargo xtask test` builds it",
        xtask.display()
    );
    let mut c = std::process::Command::new(xtask);
    c.args(["contract", "--plugin-dir", dir.path().to_str().unwrap()])
        .env_remove("SWITCHYARD_LIBRARY_PATH")
        .env_remove("SWITCHYARD_PLUGIN_PATH");
    switchyard_e2e::run_cmd(c, None)
}

/// Writes `manifest` alone into a plugin directory; `plugins check` (for
/// `id`, or every plugin when `None`) and the contract suite must both
/// fail, naming `field`.
fn assert_named(manifest: &str, id: Option<&str>, field: &str) {
    let env = Env::new();
    let dir = TempDir::new("contract-msg");
    std::fs::write(dir.path().join("broken.toml"), manifest).unwrap();
    let mut args = vec![
        "--plugin-dir",
        dir.path().to_str().unwrap(),
        "plugins",
        "check",
    ];
    args.extend(id);
    let check = env.run(&args);
    assert_eq!(check.code, 3, "plugins check: {}", check.all());
    assert!(
        check.stdout.contains(field),
        "plugins check does not name {field}: {}",
        check.all()
    );
    let suite = contract(&dir);
    assert_ne!(suite.code, 0, "contract: {}", suite.all());
    let fail = suite
        .stdout
        .lines()
        .find(|l| l.contains("[FAIL]"))
        .unwrap_or_else(|| panic!("no [FAIL] line: {}", suite.all()));
    assert!(
        fail.contains(field),
        "the contract's failure does not name {field}: {}",
        suite.all()
    );
}

#[test]
fn an_invalid_id_is_named() {
    let m = broken("id = \"openai-compatible\"", "id = \"Open AI!\"");
    assert_named(&m, None, "field `id`");
}

#[test]
fn an_id_the_library_does_not_report_is_named() {
    let m = broken("id = \"openai-compatible\"", "id = \"impostor\"");
    assert_named(&m, Some("impostor"), "field `id`");
}

#[test]
fn a_version_the_library_does_not_report_is_named() {
    let m = broken("version = \"0.1.0\"", "version = \"9.9.9\"");
    assert_named(&m, Some("openai-compatible"), "field `version`");
}

#[test]
fn capabilities_the_library_does_not_report_are_named() {
    let line = bundled()
        .lines()
        .find(|l| l.starts_with("capabilities = ["))
        .expect("a capabilities line")
        .to_string();
    let with_video = line.replacen('[', "[\"video\", ", 1);
    let m = broken(&line, &with_video);
    assert_named(&m, Some("openai-compatible"), "field `capabilities`");
}

#[test]
fn a_model_the_library_does_not_know_is_named() {
    let m = format!(
        "{}\n[[models]]\nref = \"local/invented\"\ncapabilities = [\"chat\"]\n",
        bundled()
    );
    // The new model is the last `[[models]]` entry, numbered from 0.
    let index = bundled().matches("[[models]]").count();
    assert_named(
        &m,
        Some("openai-compatible"),
        &format!("field `models[{index}].ref`"),
    );
}

#[test]
fn a_model_whose_capabilities_differ_is_named() {
    let m = broken(
        "ref = \"local/llama3.2\"\ncapabilities = [\"chat\"]",
        "ref = \"local/llama3.2\"\ncapabilities = [\"chat\", \"image\"]",
    );
    assert_named(
        &m,
        Some("openai-compatible"),
        "field `models[0].capabilities`",
    );
}

#[test]
fn a_library_that_does_not_exist_is_named() {
    let m = broken(
        "library = \"switchyard_openai_compatible\"",
        "library = \"no_such_library\"",
    );
    assert_named(&m, Some("openai-compatible"), "field `library`");
}

#[test]
fn a_plugin_api_range_without_this_host_is_named() {
    let m = broken("plugin_api = \"^2.0\"", "plugin_api = \"^3.0\"");
    assert_named(&m, Some("openai-compatible"), "field `plugin_api`");
}

#[test]
fn a_malformed_plugin_api_requirement_is_named() {
    let m = broken("plugin_api = \"^2.0\"", "plugin_api = \"one point one\"");
    assert_named(&m, None, "field `plugin_api`");
}

//! The plugin authors' guide (`docs/plugin-authors.md`) and the template it
//! follows (`examples/plugin-template`): every code block of the guide is
//! verbatim in the template (so it compiles: `cargo xtask test` builds the
//! template), and the template, built beside the binary, is accepted by
//! `plugins check` and chats against the fake server.

use std::path::Path;
use switchyard_e2e::{library, workspace_root, Env};

/// The fenced blocks of `markdown` whose info string is `lang`.
fn blocks(markdown: &str, lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in markdown.lines() {
        let fence = line.trim_start().starts_with("```");
        match &mut current {
            None if fence && line.trim_start().trim_start_matches('`').trim() == lang => {
                current = Some(Vec::new());
            }
            None => {}
            Some(lines) if fence => {
                out.push(lines.join("\n"));
                current = None;
            }
            Some(lines) => lines.push(line),
        }
    }
    assert!(current.is_none(), "an unclosed ```{lang} block");
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn template() -> std::path::PathBuf {
    workspace_root().join("examples/plugin-template")
}

/// The template's Rust sources, each file's text.
fn template_sources() -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(template().join("src"))
        .expect("read the template's src/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    files.iter().map(|p| read(p)).collect()
}

#[test]
fn every_rust_block_of_the_guide_is_verbatim_in_the_template() {
    let guide = read(&workspace_root().join("docs/plugin-authors.md"));
    let rust = blocks(&guide, "rust");
    assert!(
        rust.len() >= 5,
        "the guide has only {} rust blocks",
        rust.len()
    );
    let sources = template_sources();
    for b in &rust {
        assert!(
            sources.iter().any(|s| s.contains(b.as_str())),
            "this block of docs/plugin-authors.md is not verbatim in examples/plugin-template/src:\n{b}"
        );
    }
}

#[test]
fn every_toml_block_of_the_guide_is_verbatim_in_the_template() {
    let guide = read(&workspace_root().join("docs/plugin-authors.md"));
    let toml = blocks(&guide, "toml");
    assert!(!toml.is_empty(), "the guide has no toml blocks");
    let files = [
        read(&template().join("Cargo.toml")),
        read(&template().join("manifest/template.toml")),
    ];
    for b in &toml {
        assert!(
            files.iter().any(|f| f.contains(b.as_str())),
            "this block of docs/plugin-authors.md is not verbatim in the template's Cargo.toml or manifest:\n{b}"
        );
    }
}

#[test]
fn the_guide_covers_every_step() {
    let guide = read(&workspace_root().join("docs/plugin-authors.md"));
    for topic in [
        "crate-type = [\"cdylib\"]",
        "export_provider!",
        "is_cancelled",
        "host.progress",
        "open_output",
        "write_output",
        "ErrorKind::from_http_status",
        "[auth] secrets",
        "cargo xtask contract --plugin-dir",
        "plugins check",
        "A minor version",
        "A major version",
    ] {
        assert!(guide.contains(topic), "the guide does not mention {topic}");
    }
}

fn require_template() {
    assert!(
        library("switchyard_plugin_template").is_file(),
        "{} is missing: `cargo xtask test` builds examples/plugin-template into the target directory",
        library("switchyard_plugin_template").display()
    );
}

#[test]
fn the_template_is_accepted_by_plugins_check_and_chats() {
    require_template();
    let env = Env::new();
    env.write_config(&format!(
        "[models.providers.template]\nbaseUrl = \"{}\"\napiKey = \"{}\"\n",
        env.server.base_url(),
        env.server.api_key()
    ));
    let dir = template().join("manifest");
    let dir = dir.to_str().unwrap();
    let check = env.run(&["--plugin-dir", dir, "plugins", "check", "template"]);
    check.assert_code(0);
    assert!(
        check.stdout.contains("ok      template 0.1.0"),
        "{}",
        check.all()
    );
    let chat = env.run(&[
        "--plugin-dir",
        dir,
        "chat",
        "--model",
        "template/llama3.2",
        "hello template",
    ]);
    chat.assert_code(0);
    assert!(
        chat.stdout
            .contains("Hello from llama3.2. You said: hello template"),
        "{}",
        chat.all()
    );
    let speak = env.run(&[
        "--plugin-dir",
        dir,
        "speak",
        "--model",
        "template/tts-1",
        "--out",
        "t.mp3",
        "hi",
    ]);
    speak.assert_code(0);
    assert_eq!(
        std::fs::read(env.work_file("t.mp3")).unwrap(),
        fake_openrouter::sample_mp3()
    );
}

#[test]
fn the_templates_errors_are_typed() {
    require_template();
    let env = Env::new();
    // No key: the fake server answers 401, which must be an auth error (exit 3).
    env.write_config(&format!(
        "[models.providers.template]\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    ));
    let dir = template().join("manifest");
    let dir = dir.to_str().unwrap();
    let out = env.run(&["--plugin-dir", dir, "chat", "--model", "template/x", "hi"]);
    out.assert_code(3);
    assert!(out.stderr.contains("401"), "{}", out.all());
}

#[test]
fn the_template_honours_ctrl_c() {
    require_template();
    let env = Env::new();
    env.write_config(&format!(
        "[models.providers.template]\nbaseUrl = \"{}\"\napiKey = \"{}\"\n",
        env.server.base_url(),
        env.server.api_key()
    ));
    env.server.script(
        fake_openrouter::Route::Chat,
        [fake_openrouter::Step::Delay(
            std::time::Duration::from_secs(30),
        )],
    );
    let dir = template().join("manifest");
    let mut cmd = env.cmd(&[
        "--plugin-dir",
        dir.to_str().unwrap(),
        "chat",
        "--model",
        "template/llama3.2",
        "hi",
    ]);
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("spawn switchyard");
    std::thread::sleep(std::time::Duration::from_millis(700));
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let start = std::time::Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s.code();
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "the template did not end within 5 s of Ctrl-C"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(code, Some(130));
}

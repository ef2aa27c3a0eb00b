//! The plugin authors' guide (`docs/plugin-authors.md`) and the template it
//! follows (`examples/plugin-template`, a plugin on the provider kit): every
//! Rust and TOML block of the guide is verbatim in the template (so it
//! compiles: `cargo xtask test` builds the template), the guide covers every
//! step of plugin API 2, and the template, built beside the binary, is
//! accepted by `plugins check`, passes `plugins test`, chats (plain and
//! streamed), speaks, classifies its errors and ends at its deadline and on
//! Ctrl-C against the fake server.

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
        "switchyard-provider-kit = { git = \"https://github.com/switchyard-dev/switchyard\", tag = ",
        "not on crates.io",
        "export_provider!",
        "include_str!",
        "plugins check",
        "$SWITCHYARD_CONFIG",
        "$XDG_CONFIG_HOME/switchyard/config.toml",
        "~/.config/switchyard/config.toml",
        "[models.providers.template]",
        "settings_json",
        "[auth] secrets",
        "openai::stream_chat",
        "host().text",
        "errors::Api",
        "on_cancel",
        "ctx.timeout_ms",
        "host.progress",
        "open_output",
        "write_output",
        "sink::stream_to_sink",
        "-vv",
        "SWITCHYARD_LIBRARY_PATH",
        "target/debug/",
        "target/release/",
        "CARGO_TARGET_DIR=",
        "plugins test",
        "--base-url",
        "[FAIL]",
        "A minor version",
        "A major version",
        "..Default::default()",
    ] {
        assert!(guide.contains(topic), "the guide does not mention {topic}");
    }
}

/// The guide starts from `plugins new` and ends with `plugins install`,
/// the commands a plugin author goes from nothing to installed with, and
/// says what the install's checksum protects.
#[test]
fn the_guide_goes_from_plugins_new_to_plugins_install() {
    let guide = read(&workspace_root().join("docs/plugin-authors.md"));
    let new = guide
        .find("switchyard plugins new")
        .expect("mentions plugins new");
    let install = guide
        .find("switchyard plugins install")
        .expect("mentions plugins install");
    let crate_section = guide.find("## 1. The crate").expect("section 1");
    assert!(
        new < crate_section && install < crate_section,
        "both come first"
    );
    for topic in [
        "plugins remove",
        "install.json",
        "SHA-256",
        "--git",
        "--rev",
    ] {
        assert!(guide.contains(topic), "the guide does not mention {topic}");
    }
}

/// Every probe the contract suite sends is described in the guide by its
/// request: an author with another API answers them from a test server.
#[test]
fn the_guide_lists_every_probe() {
    let guide = read(&workspace_root().join("docs/plugin-authors.md"));
    let contract = read(&workspace_root().join("core/src/contract.rs"));
    let probes = &contract[contract
        .find("pub const PROBES")
        .expect("core/src/contract.rs defines PROBES")..];
    let probes = &probes[..probes.find("];").expect("the end of PROBES")];
    for literal in [
        "contract ping",
        "not streamed",
        "a contract",
        "no aspect ratio or size",
        "mp3",
        "no voice",
        "video.wait",
        "20 ms",
    ] {
        assert!(
            probes.contains(literal),
            "PROBES no longer mentions {literal}: update the guide's probe table"
        );
        assert!(
            guide.contains(literal),
            "the guide's probe table does not mention {literal}"
        );
    }
    for cap in ["chat", "image", "speech", "video", "transcribe", "embed"] {
        assert!(
            guide.contains(&format!("| `{cap}` | `")),
            "the probe table has no row for {cap}"
        );
    }
}

/// The template's hints (added to its error messages) name no switchyard
/// flag or config key: the host adds where the key and base URL go.
#[test]
fn the_templates_hints_name_no_switchyard_setting() {
    let sources = template_sources().join("\n");
    let start = sources
        .find("fn hint(kind: ErrorKind)")
        .expect("the template has a hint function");
    let body = &sources[start..];
    let body = &body[..body.find("\n}\n").expect("the end of fn hint")];
    for setting in [
        "models.",
        "apiKey",
        "baseUrl",
        "--",
        "switchyard",
        "_API_KEY",
    ] {
        assert!(
            !body.contains(setting),
            "the template's hint names {setting:?}:\n{body}"
        );
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
    // The host names the plugin and the operation, and adds where the key
    // goes (from the manifest's `[auth]`): the plugin's hints never do.
    assert!(out.stderr.contains("template: chat: "), "{}", out.all());
    assert!(
        out.stderr.contains("`models.providers.template.apiKey`"),
        "{}",
        out.all()
    );
}

#[test]
fn the_template_passes_plugins_test() {
    require_template();
    let env = Env::new();
    env.write_config(&format!(
        "[models.providers.template]\napiKey = \"{}\"\n",
        env.server.api_key()
    ));
    let dir = template().join("manifest");
    let dir = dir.to_str().unwrap();
    // Without a server: every check that needs none passes, the probes are skipped.
    let offline = env.run(&["plugins", "test", dir]);
    offline.assert_code(0);
    assert!(!offline.stdout.contains("[FAIL]"), "{}", offline.all());
    assert!(
        offline
            .stdout
            .contains("[ok]   call(\"contract.no-such-operation\")"),
        "{}",
        offline.all()
    );
    assert!(
        offline.stdout.contains("[skip] entry point `chat`"),
        "{}",
        offline.all()
    );
    // Against a server: the chat and speech probes pass too.
    let base_url = env.server.base_url();
    let online = env.run(&["plugins", "test", dir, "--base-url", &base_url]);
    online.assert_code(0);
    assert!(
        online.stdout.contains(" passed, 0 failed, 0 skipped"),
        "{}",
        online.all()
    );
    for op in ["chat", "speech"] {
        assert!(
            online.stdout.contains(&format!(
                "[ok]   entry point `{op}`: a minimal valid request succeeds"
            )),
            "{}",
            online.all()
        );
    }
}

#[test]
fn the_template_streams_chat_through_the_host() {
    require_template();
    let env = Env::new();
    env.write_config(&format!(
        "[models.providers.template]\nbaseUrl = \"{}\"\napiKey = \"{}\"\n",
        env.server.base_url(),
        env.server.api_key()
    ));
    let dir = template().join("manifest");
    let out = env.run(&[
        "--plugin-dir",
        dir.to_str().unwrap(),
        "chat",
        "--stream",
        "--model",
        "template/llama3.2",
        "stream me",
    ]);
    out.assert_code(0);
    assert_eq!(
        out.stdout, "Hello from llama3.2. You said: stream me\n",
        "{}",
        out.stderr
    );
    let requests = env.chat_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].json().expect("a JSON body")["stream"], true);
}

#[test]
fn the_template_ends_at_its_deadline() {
    require_template();
    let env = Env::new();
    env.write_config(&format!(
        "[models.providers.template]\nbaseUrl = \"{}\"\napiKey = \"{}\"\n",
        env.server.base_url(),
        env.server.api_key()
    ));
    // Every attempt (the first and the host's two retries) hangs.
    env.server.script(
        fake_openrouter::Route::Chat,
        vec![fake_openrouter::Step::Delay(std::time::Duration::from_secs(30)); 3],
    );
    let dir = template().join("manifest");
    let start = std::time::Instant::now();
    let out = env.run(&[
        "--plugin-dir",
        dir.to_str().unwrap(),
        "chat",
        "--timeout",
        "1s",
        "--model",
        "template/llama3.2",
        "hi",
    ]);
    out.assert_code(5);
    // The whole command's deadline: the attempt gets the time left of 1 s.
    assert!(
        out.stderr.contains("timed out") && out.stderr.contains("1.0 s"),
        "{}",
        out.all()
    );
    assert!(
        start.elapsed() < std::time::Duration::from_secs(12),
        "three 1 s attempts took {:?}",
        start.elapsed()
    );
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
        .stderr(std::process::Stdio::piped());
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
    // The kit ended the call on the host's waker (`on_cancel`): the host did
    // not have to give up on it after its grace period.
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!stderr.contains("did not stop"), "{stderr}");
    assert!(
        start.elapsed() < std::time::Duration::from_secs(2),
        "the template took {:?} to end after Ctrl-C",
        start.elapsed()
    );
}

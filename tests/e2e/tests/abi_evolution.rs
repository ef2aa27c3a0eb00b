//! The compatibility promise, through the real binary, with plugins built
//! against other releases of the plugin API (frozen copies of their sources
//! under `tests/abi-fixtures/`, built by `cargo xtask test` first):
//!
//! - a plugin built against the previous major version (1.1.0) is refused,
//!   naming both versions, and nothing of it is called;
//! - a manifest asking for another major version is refused naming both;
//! - a plugin built against 2.0.0 (`v2-0-plugin`) loads, chats and passes
//!   the contract suite in this host, whatever fields and operations were
//!   added since;
//! - a plugin built against this version (the OpenRouter plugin) works in a
//!   host built against 2.0.0 (`v2-0-host`), which only leaves out the
//!   capabilities 2.0 cannot ask.

use std::path::Path;
use switchyard_e2e::{library, workspace_root, Env, TempDir};

/// The plugin API version this host provides (`plugin-api/Cargo.toml`).
fn host_api() -> String {
    let text = std::fs::read_to_string(workspace_root().join("plugin-api/Cargo.toml"))
        .expect("read plugin-api/Cargo.toml");
    text.lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("a version line")
        .to_string()
}

fn require_fixture(name: &str) {
    assert!(
        library(name).is_file(),
        "{} is missing: `cargo xtask test` builds the ABI fixtures (tests/abi-fixtures/) first",
        library(name).display()
    );
}

fn old_major_dir(requirement: &str) -> TempDir {
    require_fixture("fixture_old_major");
    let d = TempDir::new("abi-old-major");
    std::fs::write(
        d.path().join("old-major.toml"),
        format!("id = \"old-major\"\nversion = \"0.1.0\"\nplugin_api = \"{requirement}\"\nlibrary = \"fixture_old_major\"\nmodel_prefix = \"old-major/\"\ncapabilities = [\"chat\"]\nbase_url = \"http://127.0.0.1:9/v1\"\n[auth]\noptional = true\n"),
    )
    .unwrap();
    d
}

fn run_in(env: &Env, dir: &Path, args: &[&str]) -> switchyard_e2e::Output {
    let mut full = vec!["--plugin-dir", dir.to_str().unwrap()];
    full.extend_from_slice(args);
    env.run(&full)
}

#[test]
fn a_plugin_built_against_the_previous_major_version_is_refused_naming_both() {
    let env = Env::new();
    let host = host_api();
    // The manifest claims 2.x; the library header says 1.1.0.
    let d = old_major_dir("^2.0");
    let out = run_in(&env, d.path(), &["plugins", "check", "old-major"]);
    out.assert_code(3);
    assert!(
        out.stdout.contains("built against plugin API 1.1.0")
            && out.stdout.contains(&format!("provides plugin API {host}")),
        "{}",
        out.all()
    );
    // A request routed to it is refused before anything is called.
    let chat = run_in(&env, d.path(), &["chat", "--model", "old-major/x", "hi"]);
    chat.assert_code(3);
    assert!(chat.stderr.contains("1.1.0"), "{}", chat.all());
    assert!(!chat.stdout.contains("old major"), "{}", chat.all());
}

#[test]
fn an_honest_manifest_for_another_major_version_is_refused_naming_both() {
    let env = Env::new();
    let d = old_major_dir("^1.1");
    let out = run_in(&env, d.path(), &["plugins", "check", "old-major"]);
    out.assert_code(3);
    assert!(
        out.stdout.contains("^1.1")
            && out.stdout.contains(&host_api())
            && out.stdout.contains("field `plugin_api`"),
        "{}",
        out.all()
    );
}

/// A plugin directory holding the 2.0 fixture's manifest (the file its
/// library embeds).
fn v2_0_plugin_dir() -> TempDir {
    require_fixture("fixture_v2_0_plugin");
    let d = TempDir::new("abi-v2-0");
    let manifest = workspace_root().join("tests/abi-fixtures/v2-0-plugin/manifest.toml");
    std::fs::copy(manifest, d.path().join("v2-0-plugin.toml")).unwrap();
    d
}

#[test]
fn a_plugin_built_against_2_0_loads_and_chats_in_this_host() {
    let env = Env::new();
    let d = v2_0_plugin_dir();
    let check = run_in(&env, d.path(), &["plugins", "check", "v2-0-plugin"]);
    check.assert_code(0);
    assert!(
        check.stdout.contains("ok      v2-0-plugin") && check.stdout.contains("plugin API 2.0.0"),
        "{}",
        check.all()
    );
    // This host's request documents may hold fields 2.0 never had: the
    // plugin ignores what it does not know and answers.
    let chat = run_in(
        &env,
        d.path(),
        &["chat", "--model", "v20/echo", "hello from a later host"],
    );
    chat.assert_code(0);
    assert!(
        chat.stdout
            .contains("plugin API 2.0.0 echoes: hello from a later host"),
        "{}",
        chat.all()
    );
}

#[test]
fn a_plugin_built_against_2_0_passes_the_contract_suite_of_this_host() {
    let env = Env::new();
    let d = v2_0_plugin_dir();
    let out = run_in(
        &env,
        d.path(),
        &["plugins", "test", d.path().to_str().unwrap()],
    );
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("an unknown operation answers `unsupported`"),
        "{}",
        out.all()
    );
}

#[test]
fn a_plugin_built_against_this_api_works_in_a_2_0_host_which_offers_only_what_it_can_ask() {
    let host = switchyard_e2e::profile_dir().join("fixture-v2-0-host");
    assert!(
        host.is_file(),
        "{} is missing: `cargo xtask test` builds the ABI fixtures first",
        host.display()
    );
    let server = fake_openrouter::FakeServer::start().unwrap();
    let lib = library("switchyard_openrouter");
    let out = std::process::Command::new(&host)
        .arg(&lib)
        .args(["openrouter/openai/gpt-4o-mini", "hello 2.0"])
        .arg(server.base_url())
        .arg(server.api_key())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "loaded a plugin built against plugin API {} into a plugin API 2.0.0 host",
            host_api()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("answer: "), "{stdout}");
    // Every capability of the plugin's manifest that 2.0 did not define is
    // named as not offered; the 2.0 ones are used as before.
    let manifest: toml::Table = toml::from_str(&switchyard_e2e::bundled_manifest()).unwrap();
    let known_to_2_0 = ["chat", "image", "video", "speech"];
    for cap in manifest["capabilities"].as_array().unwrap() {
        let cap = cap.as_str().unwrap();
        let line = format!("not offered: capability {cap:?}");
        assert_eq!(
            stdout.contains(&line),
            !known_to_2_0.contains(&cap),
            "{cap}: {stdout}"
        );
    }
}

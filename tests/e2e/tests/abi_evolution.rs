//! The compatibility promise, through the real binary, with plugins built
//! against other releases of the plugin API (frozen copies of their sources
//! under `tests/abi-fixtures/`, built by `cargo xtask test` first):
//!
//! - a plugin built against the previous major version (1.1.0) is refused,
//!   naming both versions, and nothing of it is called;
//! - a manifest asking for another major version is refused naming both.

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

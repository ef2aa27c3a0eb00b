//! The compatibility promise, through the real binary: a plugin built against
//! the previous minor version of the plugin API (1.0.0, whose root module
//! ends at `video_wait`) loads and works in this host, and reads as lacking
//! the entry points appended later; a plugin built against another major
//! version (2.0.0) is refused, naming both versions.
//!
//! The fixtures live outside the workspace (`tests/abi-fixtures/`); `cargo
//! xtask test` builds them into the target directory first.

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
        "{} is missing: `cargo xtask test` builds the ABI fixtures (tests/abi-fixtures/*) first",
        library(name).display()
    );
}

fn old_minor_dir() -> TempDir {
    require_fixture("fixture_old_minor");
    let d = TempDir::new("abi-old");
    std::fs::write(
        d.path().join("old-minor.toml"),
        "id = \"old-minor\"\nversion = \"0.1.0\"\nplugin_api = \"^1.0\"\nlibrary = \"fixture_old_minor\"\nmodel_prefix = \"old-minor/\"\ncapabilities = [\"chat\"]\nbase_url = \"http://127.0.0.1:9/v1\"\n[auth]\noptional = true\nconfig_keys = [\"models.providers.old-minor.apiKey\"]\n[[models]]\nref = \"old-minor/echo\"\ncapabilities = [\"chat\"]\n",
    )
    .unwrap();
    d
}

fn new_major_dir(requirement: &str) -> TempDir {
    require_fixture("fixture_new_major");
    let d = TempDir::new("abi-new");
    std::fs::write(
        d.path().join("new-major.toml"),
        format!("id = \"new-major\"\nversion = \"0.1.0\"\nplugin_api = \"{requirement}\"\nlibrary = \"fixture_new_major\"\nmodel_prefix = \"new-major/\"\ncapabilities = [\"chat\"]\nbase_url = \"http://127.0.0.1:9/v1\"\n[auth]\noptional = true\n"),
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
fn a_plugin_built_against_the_previous_minor_version_loads_and_chats() {
    let env = Env::new();
    let d = old_minor_dir();
    let out = run_in(&env, d.path(), &["plugins", "check", "old-minor"]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("ok      old-minor") && out.stdout.contains("plugin API 1.0.0"),
        "{}",
        out.all()
    );
    let chat = run_in(
        &env,
        d.path(),
        &["chat", "--model", "old-minor/echo", "hi there"],
    );
    chat.assert_code(0);
    assert!(
        chat.stdout
            .contains("old minor (plugin API 1.0.0) says: hi there"),
        "{}",
        chat.all()
    );
}

#[test]
fn old_and_current_minor_plugins_live_side_by_side_in_one_process() {
    // `plugins check` loads every plugin in one process: the 1.0 and the 1.1
    // layouts of the root module meet in abi_stable's global type map.
    let env = Env::new();
    let d = old_minor_dir();
    let out = run_in(&env, d.path(), &["plugins", "check"]);
    out.assert_code(0);
    for id in ["old-minor", "openrouter", "openai-compatible"] {
        assert!(
            out.stdout.contains(&format!("ok      {id}")),
            "{id}: {}",
            out.all()
        );
    }
}

#[test]
fn the_entry_points_appended_in_1_1_read_as_absent_in_a_1_0_plugin() {
    // `onboard` asks the plugin's `check_key` (appended in 1.1) about the key;
    // a 1.0 plugin has no such slot, so the host says so and goes on.
    let env = Env::new();
    let d = old_minor_dir();
    let args = [
        "--plugin-dir",
        d.path().to_str().unwrap(),
        "onboard",
        "--provider",
        "old-minor",
        "--api-key-stdin",
    ];
    let out = env.run_stdin(&args, "k-123\n");
    out.assert_code(0);
    assert!(
        out.stderr.contains("no key check") && out.stderr.contains("1.0.0"),
        "{}",
        out.all()
    );
}

#[test]
fn a_plugin_built_against_another_major_version_is_refused_naming_both() {
    let env = Env::new();
    let host = host_api();
    // The manifest claims 1.x; the library header says 2.0.0.
    let d = new_major_dir("^1.0");
    let out = run_in(&env, d.path(), &["plugins", "check", "new-major"]);
    out.assert_code(3);
    assert!(
        out.stdout.contains("built against plugin API 2.0.0")
            && out.stdout.contains(&format!("provides plugin API {host}")),
        "{}",
        out.all()
    );
    // A request routed to it is refused before anything is called.
    let chat = run_in(&env, d.path(), &["chat", "--model", "new-major/x", "hi"]);
    chat.assert_code(3);
    assert!(chat.stderr.contains("2.0.0"), "{}", chat.all());
    assert!(!chat.stdout.contains("must not happen"), "{}", chat.all());
}

#[test]
fn an_honest_manifest_for_another_major_version_is_refused_naming_both() {
    let env = Env::new();
    let d = new_major_dir("^2.0");
    let out = run_in(&env, d.path(), &["plugins", "check", "new-major"]);
    out.assert_code(3);
    assert!(
        out.stdout.contains("^2.0")
            && out.stdout.contains(&host_api())
            && out.stdout.contains("field `plugin_api`"),
        "{}",
        out.all()
    );
}

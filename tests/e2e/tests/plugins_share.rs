//! Plugins people can share, end to end through the built binary:
//! `plugins new` -> `plugins install` (cargo builds it, offline, with the
//! workspace's crates as path dependencies) -> a chat through the
//! installed plugin against the fake server -> `disable`/`enable` ->
//! a tampered library refused -> `remove`.

use std::time::Instant;
use switchyard_e2e::{target_dir, workspace_root, Env};

/// A config giving the new plugin the fake server's base URL, beside the
/// OpenRouter settings every test has.
fn config_for(env: &Env, id: &str) {
    env.write_config(&format!(
        "[models.providers.{id}]\nbaseUrl = \"{}\"\napiKey = \"{}\"\n",
        env.server.base_url(),
        env.server.api_key()
    ));
}

#[test]
fn new_install_chat_disable_tamper_and_remove_a_shared_plugin() {
    let env = Env::new();
    let started = Instant::now();
    let crate_dir = env.subdir("acme");
    let kit = workspace_root().join("provider-kit");
    let new = env.run(&[
        "plugins",
        "new",
        "acme",
        "--dir",
        crate_dir.to_str().unwrap(),
        "--kit-path",
        kit.to_str().unwrap(),
    ]);
    new.assert_code(0);
    assert!(crate_dir.join("README.md").is_file(), "{}", new.all());
    let readme = std::fs::read_to_string(crate_dir.join("README.md")).unwrap();
    assert!(readme.contains("switchyard plugins install ."), "{readme}");

    // Built in debug into the workspace's target directory, so the test
    // reuses what `cargo xtask test` already compiled (release works the same).
    let target = target_dir();
    let install = env.run_with_env(
        &["plugins", "install", crate_dir.to_str().unwrap(), "--debug"],
        &[("CARGO_TARGET_DIR", target.to_str().unwrap())],
    );
    install.assert_code(0);
    assert!(
        install.stdout.contains("installed acme 0.1.0 from"),
        "{}",
        install.all()
    );
    let installed = env
        .dir
        .path()
        .join("home/.local/share/switchyard/plugins/acme");
    assert!(
        installed.join("install.json").is_file(),
        "{}",
        install.all()
    );

    config_for(&env, "acme");
    let chat = env.run(&["chat", "--model", "acme/llama3.2", "hello acme"]);
    chat.assert_code(0);
    assert!(!chat.stdout.trim().is_empty(), "{}", chat.all());
    eprintln!(
        "plugins new -> install -> first answer: {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let list = env.run(&["--json", "plugins", "list"]);
    list.assert_code(0);
    let acme = list.json()["plugins"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["id"] == "acme").cloned())
        .unwrap_or_else(|| panic!("acme not listed: {}", list.all()));
    let src = acme["source"].as_str().unwrap_or("");
    assert!(
        src.starts_with("installed from /") && src.ends_with("acme"),
        "{acme}"
    );
    assert_eq!(acme["version"], "0.1.0");

    // Disabled: its model refs are no longer routed; enabled again: they are.
    env.run(&["plugins", "disable", "acme"]).assert_code(0);
    let off = env.run(&["chat", "--model", "acme/llama3.2", "hi"]);
    off.assert_code(2);
    env.run(&["plugins", "enable", "acme"]).assert_code(0);
    env.run(&["chat", "--model", "acme/llama3.2", "hi"])
        .assert_code(0);

    // A library changed after the install is refused, saying how to reinstall.
    let lib = std::fs::read_dir(&installed)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.extension()
                .is_some_and(|x| x == std::env::consts::DLL_EXTENSION)
        })
        .expect("installed library");
    let mut bytes = std::fs::read(&lib).unwrap();
    bytes.push(0);
    std::fs::write(&lib, bytes).unwrap();
    let tampered = env.run(&["chat", "--model", "acme/llama3.2", "hi"]);
    tampered.assert_code(3);
    assert!(
        tampered.stderr.contains("does not match the SHA-256")
            && tampered.stderr.contains("switchyard plugins install"),
        "{}",
        tampered.all()
    );

    // Installing again says what it replaces and repairs it.
    let again = env.run_with_env(
        &["plugins", "install", crate_dir.to_str().unwrap(), "--debug"],
        &[("CARGO_TARGET_DIR", target.to_str().unwrap())],
    );
    again.assert_code(0);
    assert!(
        again.stderr.contains("replaces acme 0.1.0"),
        "{}",
        again.all()
    );
    env.run(&["chat", "--model", "acme/llama3.2", "hi"])
        .assert_code(0);

    let removed = env.run(&["plugins", "remove", "acme"]);
    removed.assert_code(0);
    assert!(!installed.exists());
    env.run(&["chat", "--model", "acme/llama3.2", "hi"])
        .assert_code(2);
}

#[test]
fn a_bundled_plugin_cannot_be_removed_but_can_be_disabled() {
    let env = Env::new();
    let out = env.run(&["plugins", "remove", "openrouter"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("plugins disable openrouter"),
        "{}",
        out.all()
    );
}

#[test]
fn no_plugins_runs_with_the_bundled_plugins_only() {
    let env = Env::new();
    let dir = env.subdir("extra");
    std::fs::write(
        dir.join("ghost.toml"),
        "id = \"ghost\"\nversion = \"0.1.0\"\nplugin_api = \"^2.0\"\nlibrary = \"nope\"\nmodel_prefix = \"ghost/\"\ncapabilities = [\"chat\"]\n",
    )
    .unwrap();
    let with = env.run_with_env(
        &["--json", "plugins", "list"],
        &[("SWITCHYARD_PLUGIN_PATH", dir.to_str().unwrap())],
    );
    assert!(with.stdout.contains("\"ghost\""), "{}", with.all());
    let without = env.run_with_env(
        &["--json", "plugins", "list"],
        &[
            ("SWITCHYARD_PLUGIN_PATH", dir.to_str().unwrap()),
            ("SWITCHYARD_NO_PLUGINS", "1"),
        ],
    );
    without.assert_code(0);
    assert!(
        !without.stdout.contains("\"ghost\"") && without.stdout.contains("\"openrouter\""),
        "{}",
        without.all()
    );
}

/// A plugin installed under a shipped plugin's id would come first in the
/// search order and take its place and its key: refused before cargo runs.
#[test]
fn installing_under_a_shipped_plugins_id_is_refused_before_building() {
    let env = Env::new();
    let crate_dir = env.subdir("impostor");
    let kit = workspace_root().join("provider-kit");
    env.run(&[
        "plugins",
        "new",
        "openrouter",
        "--dir",
        crate_dir.to_str().unwrap(),
        "--kit-path",
        kit.to_str().unwrap(),
    ])
    .assert_code(0);
    let out = env.run(&["plugins", "install", crate_dir.to_str().unwrap()]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("belongs to a plugin shipped with switchyard"),
        "{}",
        out.all()
    );
    assert!(!crate_dir.join("target").exists(), "nothing was built");
    assert!(!env
        .dir
        .path()
        .join("home/.local/share/switchyard/plugins/openrouter")
        .exists());
}

//! `plugins list|check`, `models list`, plugin directories and the
//! capability check (refused before any request).

use std::path::{Path, PathBuf};
use switchyard_e2e::{bundled_manifest, Env};

/// A plugin directory holding a copy of the bundled manifest, edited by `edit`.
fn plugin_dir_with(env: &Env, name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let dir = env.subdir(name);
    std::fs::write(dir.join("openrouter.toml"), edit(bundled_manifest())).expect("write manifest");
    dir
}

fn with_plugin_api(manifest: String, req: &str) -> String {
    let old = "plugin_api = \"^2.0\"";
    assert!(manifest.contains(old), "the bundled manifest changed");
    manifest.replace(old, &format!("plugin_api = \"{req}\""))
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn plugins_list_json_names_openrouter_with_its_capabilities() {
    let env = Env::new();
    let out = env.run(&["--json", "plugins", "list"]);
    out.assert_code(0);
    let v = out.json();
    let plugins = v["plugins"].as_array().expect("plugins array");
    let or = plugins
        .iter()
        .find(|p| p["id"] == "openrouter")
        .unwrap_or_else(|| panic!("openrouter not listed: {v}"));
    assert_eq!(
        or["capabilities"],
        serde_json::json!(["chat", "image", "video", "speech", "transcribe", "embed"])
    );
    assert_eq!(or["status"], "loaded");
    assert_eq!(or["model_prefix"], "openrouter/");
    // The debug binary runs from the workspace's target/.
    assert_eq!(or["source"], "workspace");
}

#[test]
fn a_plugin_in_the_users_data_dir_is_found_and_wins_over_the_workspace() {
    let env = Env::new();
    let dir = env.subdir("home/.local/share/switchyard/plugins/openrouter");
    std::fs::write(dir.join("manifest.toml"), bundled_manifest()).expect("write manifest");
    let out = env.run(&["--json", "plugins", "list"]);
    out.assert_code(0);
    let v = out.json();
    let or = v["plugins"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["id"] == "openrouter"))
        .unwrap_or_else(|| panic!("openrouter not listed: {v}"));
    assert_eq!(or["source"], "user", "{v}");
    assert_eq!(or["status"], "loaded", "{v}");
    assert_eq!(or["manifest"], path_str(&dir.join("manifest.toml")));
    let text = env.run(&["plugins", "list"]);
    let from = format!("    from user: {}", dir.join("manifest.toml").display());
    assert!(text.stdout.contains(&from), "{}", text.stdout);
}

#[test]
fn plugins_list_text_shows_the_status_and_capabilities() {
    let env = Env::new();
    let out = env.run(&["plugins", "list"]);
    out.assert_code(0);
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("openrouter"))
        .unwrap_or_else(|| panic!("no openrouter line: {}", out.stdout));
    assert!(line.contains("loaded"), "{line}");
    assert!(line.contains("chat,image,video,speech"), "{line}");
}

#[test]
fn plugins_check_exits_0() {
    let env = Env::new();
    let out = env.run(&["plugins", "check"]);
    out.assert_code(0);
    assert!(out.stdout.contains("ok      openrouter"), "{}", out.stdout);
    assert!(env.server.requests().is_empty(), "no network needed");
}

#[test]
fn plugins_check_of_an_unknown_id_exits_2() {
    let env = Env::new();
    let out = env.run(&["plugins", "check", "nosuch"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("openrouter"),
        "installed ids are listed: {}",
        out.stderr
    );
}

#[test]
fn broken_manifest_is_named_and_the_good_copy_beside_it_still_loads() {
    let env = Env::new();
    let dir = plugin_dir_with(&env, "plugins", |m| m);
    std::fs::write(dir.join("broken.toml"), "id = [\n").expect("write broken manifest");
    let out = env.run(&["--json", "--plugin-dir", path_str(&dir), "plugins", "list"]);
    out.assert_code(0);
    let v = out.json();
    let or = v["plugins"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["id"] == "openrouter"))
        .unwrap_or_else(|| panic!("openrouter not listed: {v}"));
    assert_eq!(or["status"], "loaded");
    assert_eq!(or["manifest"], path_str(&dir.join("openrouter.toml")));
    assert_eq!(or["source"], "--plugin-dir");
    let diags = v["diagnostics"].as_array().expect("diagnostics");
    assert!(
        diags
            .iter()
            .any(|d| d["error"] == true && d["path"] == path_str(&dir.join("broken.toml"))),
        "{v}"
    );
}

#[test]
fn chat_works_beside_a_broken_manifest_and_names_it() {
    let env = Env::new();
    let dir = plugin_dir_with(&env, "plugins", |m| m);
    std::fs::write(dir.join("broken.toml"), "id = [\n").expect("write broken manifest");
    let out = env.run(&["--plugin-dir", path_str(&dir), "chat", "hi"]);
    out.assert_code(0);
    assert!(out.stdout.starts_with("Hello from"), "{}", out.stdout);
    assert!(out.stderr.contains("broken.toml"), "{}", out.stderr);
}

#[test]
fn plugins_check_reports_the_broken_manifest() {
    let env = Env::new();
    let dir = plugin_dir_with(&env, "plugins", |m| m);
    std::fs::write(dir.join("broken.toml"), "id = [\n").expect("write broken manifest");
    let out = env.run(&["--plugin-dir", path_str(&dir), "plugins", "check"]);
    out.assert_code(3);
    assert!(out.stdout.contains("ok      openrouter"), "{}", out.stdout);
    assert!(out.stdout.contains("broken.toml"), "{}", out.stdout);
}

#[test]
fn manifest_requiring_plugin_api_3_is_refused_naming_both_versions() {
    let env = Env::new();
    let dir = plugin_dir_with(&env, "api2", |m| with_plugin_api(m, "^3.0"));
    let out = env.run(&["--plugin-dir", path_str(&dir), "plugins", "check"]);
    out.assert_code(3);
    let text = out.all();
    assert!(text.contains("FAILED  openrouter"), "{text}");
    assert!(text.contains("3.0"), "the manifest's version: {text}");
    assert!(text.contains("plugin API 2."), "the host's version: {text}");
}

#[test]
fn chat_through_a_plugin_api_3_manifest_exits_3_without_a_request() {
    let env = Env::new();
    let dir = plugin_dir_with(&env, "api2", |m| with_plugin_api(m, "^3.0"));
    let out = env.run(&["--plugin-dir", path_str(&dir), "chat", "hi"]);
    out.assert_code(3);
    assert!(out.stderr.contains("^3.0"), "{}", out.stderr);
    assert!(out.stderr.contains("plugin API 2."), "{}", out.stderr);
    assert!(env.server.requests().is_empty());
}

#[test]
fn plugin_path_variable_directories_are_scanned() {
    let env = Env::new();
    let dir = plugin_dir_with(&env, "from-env", |m| with_plugin_api(m, "^3.0"));
    let out = env.run_with_env(
        &["--json", "plugins", "list"],
        &[("SWITCHYARD_PLUGIN_PATH", path_str(&dir))],
    );
    out.assert_code(0);
    let v = out.json();
    let or = v["plugins"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["id"] == "openrouter"))
        .unwrap_or_else(|| panic!("openrouter not listed: {v}"));
    assert_eq!(or["manifest"], path_str(&dir.join("openrouter.toml")));
    assert_eq!(or["status"], "refused");
}

#[test]
fn video_with_a_chat_model_exits_2_without_a_request() {
    let env = Env::new();
    let out = env.run(&[
        "video",
        "--model",
        "openrouter/moonshotai/kimi-k2.6",
        "--out",
        "v.mp4",
        "a cat",
    ]);
    out.assert_code(2);
    assert!(out.stderr.contains("video"), "{}", out.stderr);
    assert!(
        out.stderr.contains("openrouter/google/veo-3.1-fast"),
        "models that do are named: {}",
        out.stderr
    );
    assert!(env.server.requests().is_empty());
    assert!(env.work_files().is_empty());
}

#[test]
fn speak_with_a_video_model_exits_2_without_a_request() {
    let env = Env::new();
    let out = env.run(&[
        "speak",
        "--model",
        "openrouter/google/veo-3.1-fast",
        "--out",
        "a.mp3",
        "hello",
    ]);
    out.assert_code(2);
    assert!(env.server.requests().is_empty());
}

#[test]
fn video_value_outside_the_limits_exits_2_without_a_request() {
    let env = Env::new();
    let out = env.run(&["video", "--duration", "5", "--out", "v.mp4", "a cat"]);
    out.assert_code(2);
    assert!(out.stderr.contains("4, 6, 8"), "{}", out.stderr);
    assert!(env.server.requests().is_empty());
}

#[test]
fn models_list_capability_video_lists_veo_only() {
    let env = Env::new();
    let out = env.run(&["models", "list", "--capability", "video"]);
    out.assert_code(0);
    let refs: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        refs.contains(&"openrouter/google/veo-3.1-fast"),
        "{}",
        out.stdout
    );
    assert!(
        refs.iter().all(|r| r.starts_with("openrouter/google/veo-")),
        "{}",
        out.stdout
    );
}

#[test]
fn models_list_json_gives_limits_of_video_models() {
    let env = Env::new();
    let out = env.run(&["--json", "models", "list", "--capability", "video"]);
    out.assert_code(0);
    let v = out.json();
    let models = v["models"].as_array().expect("models array");
    let veo = models
        .iter()
        .find(|m| m["ref"] == "openrouter/google/veo-3.1-fast")
        .unwrap_or_else(|| panic!("veo-3.1-fast missing: {v}"));
    assert_eq!(veo["limits"]["durations"], serde_json::json!([4, 6, 8]));
    assert!(
        models.iter().all(|m| m["capabilities"]
            .as_array()
            .is_some_and(|c| c.contains(&"video".into()))),
        "{v}"
    );
}

#[test]
fn models_list_capability_speech_lists_kokoro() {
    let env = Env::new();
    let out = env.run(&["models", "list", "--capability", "speech"]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("openrouter/hexgrad/kokoro-82m"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("veo"), "{}", out.stdout);
}

#[test]
fn plugin_dir_manifest_shadows_the_bundled_one_with_a_warning_naming_both() {
    let env = Env::new();
    let dir = plugin_dir_with(&env, "override", |m| m);
    let out = env.run(&["--plugin-dir", path_str(&dir), "plugins", "list"]);
    out.assert_code(0);
    let warning = out
        .stdout
        .lines()
        .find(|l| l.contains("shadowed"))
        .unwrap_or_else(|| panic!("no shadowing warning: {}", out.stdout));
    assert!(
        warning.contains(path_str(&dir.join("openrouter.toml"))),
        "{warning}"
    );
    assert!(
        warning.contains("manifests/openrouter.toml"),
        "the bundled manifest is named: {warning}"
    );
}

#[test]
fn two_manifests_with_one_id_in_one_directory_are_refused_naming_both() {
    let env = Env::new();
    let dir = plugin_dir_with(&env, "dup", |m| m);
    std::fs::copy(
        dir.join("openrouter.toml"),
        dir.join("openrouter-copy.toml"),
    )
    .expect("copy manifest");
    let out = env.run(&["--json", "--plugin-dir", path_str(&dir), "plugins", "list"]);
    out.assert_code(0);
    let v = out.json();
    let diag = v["diagnostics"]
        .as_array()
        .and_then(|d| {
            d.iter().find(|d| {
                d["error"] == true
                    && d["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("more than one"))
            })
        })
        .unwrap_or_else(|| panic!("no duplicate-id diagnostic: {v}"));
    let msg = diag["message"].as_str().unwrap_or_default();
    assert!(msg.contains("openrouter.toml"), "{msg}");
    assert!(msg.contains("openrouter-copy.toml"), "{msg}");
    // Neither copy is used: the bundled manifest (another directory) is.
    let or = v["plugins"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["id"] == "openrouter"))
        .unwrap_or_else(|| panic!("openrouter not listed: {v}"));
    assert!(
        !or["manifest"]
            .as_str()
            .is_some_and(|m| m.starts_with(path_str(&dir))),
        "{v}"
    );
}

#[test]
fn the_bundled_directory_given_again_is_scanned_once() {
    let env = Env::new();
    let bundled = switchyard_e2e::workspace_root().join("manifests");
    let out = env.run(&[
        "--json",
        "--plugin-dir",
        path_str(&bundled),
        "plugins",
        "list",
    ]);
    out.assert_code(0);
    let v = out.json();
    assert_eq!(
        v["diagnostics"],
        serde_json::json!([]),
        "no shadowing of itself: {v}"
    );
    assert_eq!(
        v["plugins"]
            .as_array()
            .map(|a| a.iter().filter(|p| p["id"] == "openrouter").count()),
        Some(1),
        "{v}"
    );
}

#[test]
fn a_missing_plugin_dir_is_warned_about_by_name() {
    let env = Env::new();
    let missing = env.dir.path().join("no-such-plugins");
    let m = missing.display().to_string();
    for args in [
        vec!["--plugin-dir", m.as_str(), "plugins", "list"],
        vec!["--plugin-dir", m.as_str(), "chat", "hi"],
    ] {
        let out = env.run(&args);
        out.assert_code(0);
        assert!(
            out.stderr.contains(&format!(
                "plugin directory {m} (from --plugin-dir) does not exist"
            )),
            "{args:?}: {}",
            out.stderr
        );
    }
    // A file is not a directory either.
    let file = env.work_file("plugins.txt");
    std::fs::write(&file, "x").unwrap();
    let out = env.run_with_env(
        &["plugins", "list"],
        &[("SWITCHYARD_PLUGIN_PATH", file.to_str().unwrap())],
    );
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("(from SWITCHYARD_PLUGIN_PATH) is not a directory"),
        "{}",
        out.stderr
    );
    // -q silences it, like every notice.
    let quiet = env.run(&["-q", "--plugin-dir", m.as_str(), "plugins", "list"]);
    assert!(
        !quiet.stderr.contains("no-such-plugins"),
        "{}",
        quiet.stderr
    );
}

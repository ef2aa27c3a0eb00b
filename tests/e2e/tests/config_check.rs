//! `config check` validates values, not only key names: every problem of a
//! file in one run, each with its key path, never a Rust type name; other
//! commands refuse an invalid file naming the key instead of failing later.

use switchyard_e2e::Env;

const BAD: &str = "[agents.defaults]\nmodel = 5\n\
[agents.defaults.imageGenerationModel]\ntimeoutMs = \"soon\"\n\
[agents.defaults.videoGenerationModel]\npollIntervalMs = 0\n\
[messages.tts]\nauto = \"sometimes\"\n\
[models.providers.openrouter]\nbaseUrl = \"x\"\nbaseurl = \"y\"\n";

#[test]
fn config_check_lists_every_problem_with_its_key_path_in_one_run() {
    let env = Env::new();
    env.write_raw_config(BAD);
    let out = env.run(&["config", "check"]);
    out.assert_code(3);
    for (path, allowed) in [
        ("agents.defaults.model", "must be a table"),
        (
            "agents.defaults.imageGenerationModel.timeoutMs",
            "whole number of milliseconds",
        ),
        (
            "agents.defaults.videoGenerationModel.pollIntervalMs",
            "at least 1",
        ),
        ("messages.tts.auto", "one of: \"always\", \"off\""),
        (
            "models.providers.openrouter.baseUrl",
            "http:// or https:// URL",
        ),
    ] {
        let line = out
            .stdout
            .lines()
            .find(|l| l.contains(&format!("`{path}`")))
            .unwrap_or_else(|| panic!("{path} not reported: {}", out.stdout));
        assert!(line.contains(allowed), "{line}");
        assert!(line.contains("config.toml"), "{line}");
    }
    assert!(
        out.stdout
            .contains("unknown key `models.providers.openrouter.baseurl`"),
        "{}",
        out.stdout
    );
    assert_eq!(out.stdout.lines().count(), 6, "{}", out.stdout);
    assert!(out.stderr.contains("6 problem(s)"), "{}", out.stderr);
    for rust in ["struct", "AgentDefaults", "u64", "invalid type"] {
        assert!(!out.all().contains(rust), "{rust}: {}", out.all());
    }
}

#[test]
fn config_check_json_lists_every_problem() {
    let env = Env::new();
    env.write_raw_config(BAD);
    let out = env.run(&["--json", "config", "check"]);
    out.assert_code(3);
    // The check's own object first, then the failure's `{"error": ...}`.
    let first = out.stdout.lines().next().unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(first).expect("a JSON line");
    assert_eq!(v["ok"], false, "{v}");
    let problems = v["problems"].as_array().cloned().unwrap_or_default();
    assert_eq!(problems.len(), 6, "{}", out.stdout);
}

#[test]
fn chat_refuses_a_bad_base_url_naming_the_key_without_a_request() {
    let env = Env::new();
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\napiKey = \"{}\"\nbaseUrl = \"x\"\n",
        env.server.api_key()
    ));
    let out = env.run(&["chat", "hi"]);
    out.assert_code(3);
    assert!(
        out.stderr.contains("`models.providers.openrouter.baseUrl`"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("no API key"), "{}", out.stderr);
    assert!(env.server.requests().is_empty());
}

#[test]
fn chat_refuses_an_unknown_tts_auto_value_naming_the_allowed_ones() {
    let env = Env::new();
    env.write_config("[messages.tts]\nauto = \"sometimes\"\n");
    let out = env.run(&["chat", "hi"]);
    out.assert_code(3);
    assert!(
        out.stderr
            .contains("`messages.tts.auto` must be one of: \"always\", \"off\""),
        "{}",
        out.stderr
    );
    assert!(env.server.requests().is_empty());
}

#[test]
fn config_check_passes_a_valid_file() {
    let env = Env::new();
    env.write_config(
        "[messages.tts]\nauto = \"off\"\n[agents.defaults]\nmediaMaxMb = 512\n[messages.tts.providers.openrouter]\nspeed = 1.25\n",
    );
    let out = env.run(&["config", "check"]);
    out.assert_code(0);
    assert!(out.stdout.trim_end().ends_with(": ok"), "{}", out.stdout);
}

//! The API key never appears in any output (stdout, stderr, `--json`, error
//! messages) at any verbosity, wherever it comes from; unknown config keys
//! are reported with their full path.

use fake_openrouter::{Options, Route, Step};
use serde_json::json;
use switchyard_e2e::{Env, Output};

/// A key that is easy to spot in output.
const KEY: &str = "sk-or-v1-SECRET-e2e-5f1c9a7d3b2e4f60";

fn env() -> Env {
    Env::with_options(Options {
        api_key: KEY.to_string(),
        ..Options::default()
    })
}

#[track_caller]
fn assert_no_key(out: &Output, key: &str) {
    assert!(
        !out.all().contains(key),
        "the key leaked:\nstdout: {}\nstderr: {}",
        out.stdout,
        out.stderr
    );
    // Not even its distinctive tail.
    let tail = &key[key.len() - 12..];
    assert!(
        !out.all().contains(tail),
        "part of the key leaked: {}",
        out.all()
    );
}

/// A 400 whose message echoes `key` back, as some upstreams do.
fn echo_step(key: &str) -> Step {
    Step::ErrorBody {
        code: 400,
        body:
            json!({"error": {"code": 400, "message": format!("Invalid key {key} for this model")}})
                .to_string(),
        retry_after: None,
    }
}

#[test]
fn key_is_absent_at_v_while_requests_are_logged() {
    let env = env();
    let out = env.run(&["-v", "chat", "hi"]);
    out.assert_code(0);
    assert!(
        out.stderr.contains("POST") && out.stderr.contains("/chat/completions -> 200"),
        "-v shows method, path and status: {}",
        out.stderr
    );
    assert_no_key(&out, KEY);
}

#[test]
fn key_is_absent_at_vv_with_rust_log_trace() {
    let env = env();
    let out = env.run_with_env(&["-vv", "chat", "--stream", "hi"], &[("RUST_LOG", "trace")]);
    out.assert_code(0);
    assert_no_key(&out, KEY);
}

#[test]
fn key_echoed_in_an_error_message_is_redacted() {
    let env = env();
    env.server.script(Route::Chat, [echo_step(KEY)]);
    let out = env.run(&["-vv", "chat", "hi"]);
    out.assert_code(4);
    assert!(
        out.stderr.contains("Invalid key [redacted]"),
        "{}",
        out.stderr
    );
    assert_no_key(&out, KEY);
}

#[test]
fn key_echoed_in_an_error_is_redacted_from_the_json_error() {
    let env = env();
    env.server.script(Route::Chat, [echo_step(KEY)]);
    let out = env.run(&["--json", "-vv", "chat", "hi"]);
    out.assert_code(4);
    let v = out.json();
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("[redacted]")),
        "{v}"
    );
    assert_no_key(&out, KEY);
}

#[test]
fn wrong_key_is_absent_from_the_auth_failure() {
    let env = env();
    let wrong = "sk-or-v1-WRONG-e2e-0a1b2c3d4e5f6a7b";
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\napiKey = \"{wrong}\"\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    ));
    let out = env.run(&["--json", "-vv", "chat", "hi"]);
    out.assert_code(3);
    assert_eq!(out.json()["error"]["kind"], "auth");
    assert_no_key(&out, wrong);
}

#[test]
fn key_from_the_env_table_is_redacted() {
    let env = env();
    env.write_raw_config(&format!(
        "[env]\nOPENROUTER_API_KEY = \"{KEY}\"\n\n[models.providers.openrouter]\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    ));
    env.server.script(Route::Chat, [echo_step(KEY)]);
    let out = env.run(&["-vv", "chat", "hi"]);
    out.assert_code(4);
    assert_no_key(&out, KEY);
}

#[test]
fn key_from_the_process_environment_is_redacted() {
    let env = env();
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    ));
    env.server.script(Route::Chat, [echo_step(KEY)]);
    let out = env.run_with_env(&["-vv", "chat", "hi"], &[("OPENROUTER_API_KEY", KEY)]);
    out.assert_code(4);
    assert!(out.stderr.contains("[redacted]"), "{}", out.stderr);
    assert_no_key(&out, KEY);
}

#[test]
fn speech_key_echoed_in_a_speech_error_is_redacted() {
    let env = env();
    env.write_config(&format!(
        "[messages.tts.providers.openrouter]\napiKey = \"{KEY}\"\n"
    ));
    env.server.script(Route::Speech, [echo_step(KEY)]);
    let out = env.run(&["-vv", "speak", "--out", "s.mp3", "hello"]);
    out.assert_code(4);
    assert_no_key(&out, KEY);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn key_is_absent_from_a_config_syntax_error() {
    let env = env();
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\napiKey = \"{KEY}\" oops\n"
    ));
    let out = env.run(&["-vv", "chat", "hi"]);
    out.assert_code(3);
    assert!(out.stderr.contains("config.toml"), "{}", out.stderr);
    assert!(out.stderr.contains("line 2"), "{}", out.stderr);
    assert_no_key(&out, KEY);
}

#[test]
fn key_is_absent_from_a_config_type_error_on_its_line() {
    let env = env();
    // One inline table: the wrong type (baseUrl = 5) is on the key's line.
    env.write_raw_config(&format!(
        "models = {{ providers = {{ openrouter = {{ apiKey = \"{KEY}\", baseUrl = 5 }} }} }}\n"
    ));
    let out = env.run(&["--json", "chat", "hi"]);
    out.assert_code(3);
    assert!(out.stderr.contains("config.toml"), "{}", out.stderr);
    assert_no_key(&out, KEY);
}

#[test]
fn config_show_redacts_the_key() {
    let env = env();
    let out = env.run(&["config", "show"]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("openrouter API key = [redacted]"),
        "{}",
        out.stdout
    );
    assert_no_key(&out, KEY);
}

#[test]
fn unknown_config_keys_are_reported_with_their_path() {
    let env = env();
    env.write_config("[agents.defaults.model]\nfalbacks = [\"openrouter/moonshotai/kimi-k2.6\"]\n");
    let out = env.run(&["chat", "hi"]);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("unknown config key `agents.defaults.model.falbacks`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("config.toml"), "{}", out.stderr);
}

#[test]
fn misspelled_key_setting_is_reported_with_its_path_but_not_its_value() {
    let env = env();
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\napiKey = \"{KEY}\"\nbaseUrl = \"{}\"\n\n[messages.tts.providers.openrouter]\napikey = \"{KEY}\"\n",
        env.server.base_url()
    ));
    let out = env.run(&["-vv", "chat", "hi"]);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("`messages.tts.providers.openrouter.apikey`"),
        "{}",
        out.stderr
    );
    assert_no_key(&out, KEY);
}

#[test]
fn config_check_lists_unknown_keys_and_exits_3() {
    let env = env();
    env.write_config("[agents.defaults.imageGenerationModel]\ntimeout = 5\n");
    let out = env.run(&["config", "check"]);
    out.assert_code(3);
    assert!(
        out.stdout
            .contains("unknown key `agents.defaults.imageGenerationModel.timeout`"),
        "{}",
        out.stdout
    );
}

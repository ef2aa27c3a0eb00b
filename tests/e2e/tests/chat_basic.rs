//! `switchyard chat` without faults: what is printed, what is sent, where the
//! model and the key come from.

use fake_openrouter::TEST_API_KEY;
use switchyard_e2e::Env;

#[test]
fn answer_is_printed_on_stdout_and_exits_0() {
    let env = Env::new();
    let out = env.run(&["chat", "hello there"]);
    out.assert_code(0);
    assert_eq!(
        out.stdout,
        "Hello from openai/gpt-4o-mini. You said: hello there\n"
    );
}

#[test]
fn stderr_says_which_model_answered_and_the_cost() {
    let env = Env::new();
    let out = env.run(&["chat", "hi"]);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("answered by openai/gpt-4o-mini via openrouter/auto"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("cost $"), "{}", out.stderr);
}

#[test]
fn one_request_with_the_prompt_as_a_user_message() {
    let env = Env::new();
    env.run(&["chat", "what is rust?"]).assert_code(0);
    let reqs = env.chat_requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    let body = reqs[0].json().expect("JSON body");
    assert_eq!(body["model"], "openrouter/auto");
    assert_eq!(
        body["messages"],
        serde_json::json!([{"role": "user", "content": "what is rust?"}])
    );
    assert!(
        body.get("stream").is_none() || body["stream"] == false,
        "{body}"
    );
}

#[test]
fn model_ref_is_sent_without_the_openrouter_prefix() {
    let env = Env::new();
    let out = env.run(&["chat", "--model", "openrouter/moonshotai/kimi-k2.6", "hi"]);
    out.assert_code(0);
    assert_eq!(env.chat_models(), vec!["moonshotai/kimi-k2.6"]);
    assert!(out.stdout.starts_with("Hello from moonshotai/kimi-k2.6."));
}

#[test]
fn configured_primary_model_is_used_without_model_flag() {
    let env = Env::new();
    env.write_config(
        "[agents.defaults.model]\nprimary = \"openrouter/anthropic/claude-sonnet-4.5\"\n",
    );
    env.run(&["chat", "hi"]).assert_code(0);
    assert_eq!(env.chat_models(), vec!["anthropic/claude-sonnet-4.5"]);
}

#[test]
fn system_message_is_sent_before_the_prompt() {
    let env = Env::new();
    env.run(&["chat", "--system", "be terse", "hi"])
        .assert_code(0);
    let body = env.chat_requests()[0].json().expect("JSON body");
    assert_eq!(
        body["messages"],
        serde_json::json!([
            {"role": "system", "content": "be terse"},
            {"role": "user", "content": "hi"}
        ])
    );
}

#[test]
fn max_tokens_flag_is_sent() {
    let env = Env::new();
    env.run(&["chat", "--max-tokens", "7", "hi"]).assert_code(0);
    let body = env.chat_requests()[0].json().expect("JSON body");
    assert_eq!(body["max_tokens"], 7);
}

#[test]
fn dash_reads_the_prompt_from_stdin() {
    let env = Env::new();
    let out = env.run_stdin(&["chat", "-"], "piped prompt\n");
    out.assert_code(0);
    assert_eq!(
        out.stdout,
        "Hello from openai/gpt-4o-mini. You said: piped prompt\n"
    );
}

#[test]
fn empty_stdin_prompt_exits_2_without_a_request() {
    let env = Env::new();
    let out = env.run_stdin(&["chat", "-"], "\n");
    out.assert_code(2);
    assert!(out.stderr.contains("empty"), "{}", out.stderr);
    assert!(env.server.requests().is_empty());
}

#[test]
fn json_output_is_one_object_with_text_model_usage_and_cost() {
    let env = Env::new();
    let out = env.run(&["--json", "chat", "hi"]);
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["text"], "Hello from openai/gpt-4o-mini. You said: hi");
    assert_eq!(v["model"], "openai/gpt-4o-mini");
    assert_eq!(v["model_ref"], "openrouter/auto");
    assert_eq!(v["fallback_used"], false);
    assert_eq!(v["finish_reason"], "stop");
    assert!(
        v["usage"]["total_tokens"].as_u64().is_some_and(|n| n > 0),
        "{v}"
    );
    assert!(v["cost"].as_f64().is_some_and(|c| c > 0.0), "{v}");
    assert!(
        v["generation_id"]
            .as_str()
            .is_some_and(|g| g.starts_with("gen-")),
        "{v}"
    );
}

#[test]
fn global_options_are_accepted_after_the_command() {
    let env = Env::new();
    let out = env.run(&["chat", "hi", "--json"]);
    out.assert_code(0);
    assert_eq!(out.json()["model_ref"], "openrouter/auto");
}

#[test]
fn unknown_model_prefix_exits_2_without_a_request() {
    let env = Env::new();
    let out = env.run(&["chat", "--model", "nosuch/model-x", "hi"]);
    out.assert_code(2);
    assert!(out.stderr.contains("nosuch/model-x"), "{}", out.stderr);
    assert!(out.stderr.contains("openrouter/"), "{}", out.stderr);
    assert!(env.server.requests().is_empty());
}

#[test]
fn missing_api_key_exits_3_without_a_request() {
    let env = Env::new();
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    ));
    let out = env.run(&["chat", "hi"]);
    out.assert_code(3);
    assert!(out.stderr.contains("OPENROUTER_API_KEY"), "{}", out.stderr);
    assert!(env.server.requests().is_empty());
}

#[test]
fn key_from_the_env_table_is_used() {
    let env = Env::new();
    env.write_raw_config(&format!(
        "[env]\nOPENROUTER_API_KEY = \"{TEST_API_KEY}\"\n\n[models.providers.openrouter]\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    ));
    env.run(&["chat", "hi"]).assert_code(0);
    assert_eq!(
        env.chat_requests()[0].header("authorization"),
        Some(format!("Bearer {TEST_API_KEY}").as_str())
    );
}

#[test]
fn key_from_the_process_environment_is_used() {
    let env = Env::new();
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    ));
    let out = env.run_with_env(&["chat", "hi"], &[("OPENROUTER_API_KEY", TEST_API_KEY)]);
    out.assert_code(0);
    assert_eq!(
        env.chat_requests()[0].header("authorization"),
        Some(format!("Bearer {TEST_API_KEY}").as_str())
    );
}

#[test]
fn config_api_key_wins_over_env_table_and_environment() {
    let env = Env::new();
    env.write_config("[env]\nOPENROUTER_API_KEY = \"sk-or-v1-env-table-loses\"\n");
    let out = env.run_with_env(
        &["chat", "hi"],
        &[("OPENROUTER_API_KEY", "sk-or-v1-process-env-loses")],
    );
    out.assert_code(0);
    let reqs = env.chat_requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {TEST_API_KEY}").as_str())
    );
}

#[test]
fn missing_explicit_config_file_exits_3() {
    let env = Env::new();
    let missing = env.dir.path().join("nope.toml");
    let out = env.run(&[
        "--config",
        missing.to_str().expect("utf-8 path"),
        "chat",
        "hi",
    ]);
    out.assert_code(3);
    assert!(out.stderr.contains("nope.toml"), "{}", out.stderr);
    assert!(env.server.requests().is_empty());
}

#[test]
fn malformed_config_exits_3_naming_file_and_line() {
    let env = Env::new();
    env.write_raw_config("[agents.defaults.model]\nprimary = \n");
    let out = env.run(&["chat", "hi"]);
    out.assert_code(3);
    assert!(out.stderr.contains("config.toml"), "{}", out.stderr);
    assert!(out.stderr.contains("line 2"), "{}", out.stderr);
    assert!(env.server.requests().is_empty());
}

#[test]
fn quiet_prints_the_answer_and_nothing_on_stderr() {
    let env = Env::new();
    let out = env.run(&["-q", "chat", "hi"]);
    out.assert_code(0);
    assert_eq!(out.stdout, "Hello from openai/gpt-4o-mini. You said: hi\n");
    assert_eq!(out.stderr, "");
}

#[test]
fn quiet_still_prints_errors() {
    let env = Env::new();
    let out = env.run(&["-q", "chat", "--model", "nosuch/x", "hi"]);
    out.assert_code(2);
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
}

#[test]
fn verbose_logs_each_request_with_method_path_and_status() {
    let env = Env::new();
    env.server.script(
        fake_openrouter::Route::Chat,
        [fake_openrouter::Step::Status {
            code: 503,
            retry_after: Some(0),
            message: None,
        }],
    );
    let out = env.run(&["-v", "chat", "hi"]);
    out.assert_code(0);
    let logged: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("POST") && l.contains("/api/v1/chat/completions"))
        .collect();
    assert_eq!(logged.len(), 2, "{}", out.stderr);
    assert!(logged[0].contains("-> 503 ("), "{}", logged[0]);
    assert!(logged[1].contains("-> 200 ("), "{}", logged[1]);
}

#[test]
fn without_verbose_requests_are_not_logged() {
    let env = Env::new();
    let out = env.run(&["chat", "hi"]);
    out.assert_code(0);
    assert!(!out.stderr.contains("/chat/completions"), "{}", out.stderr);
}

#[test]
fn model_prefix_in_any_case_is_stripped() {
    let env = Env::new();
    env.run(&["chat", "--model", "OpenRouter/moonshotai/kimi-k2.6", "hi"])
        .assert_code(0);
    assert_eq!(env.chat_models(), vec!["moonshotai/kimi-k2.6"]);
}

//! How each OpenRouter failure reaches the user of `switchyard chat`: one test
//! per row of the classification table (exit codes from DESIGN §4), the
//! number of requests the server saw (retries) and what stderr says.

use fake_openrouter::{Route, Step};
use serde_json::json;
use switchyard_e2e::Env;

fn status(code: u16, retry_after: Option<u32>) -> Step {
    Step::Status {
        code,
        retry_after,
        message: None,
    }
}

/// Runs `chat hi` against a server scripted with `steps`.
fn chat_with(steps: Vec<Step>) -> (Env, switchyard_e2e::Output) {
    let env = Env::new();
    env.server.script(Route::Chat, steps);
    let out = env.run(&["chat", "hi"]);
    (env, out)
}

#[test]
fn bad_request_400_exits_4_without_retry() {
    let (env, out) = chat_with(vec![status(400, None)]);
    out.assert_code(4);
    assert!(out.stderr.contains("400"), "{}", out.stderr);
    assert!(
        out.stderr.contains("Invalid request parameters"),
        "{}",
        out.stderr
    );
    assert_eq!(env.chat_requests().len(), 1);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn context_length_400_exits_4_without_retry() {
    let (env, out) = chat_with(vec![Step::Status {
        code: 400,
        retry_after: None,
        message: Some("This endpoint's maximum context length is 8192 tokens".into()),
    }]);
    out.assert_code(4);
    assert!(
        out.stderr.contains("maximum context length"),
        "{}",
        out.stderr
    );
    assert_eq!(env.chat_requests().len(), 1);
}

#[test]
fn unauthorized_401_exits_3_without_retry_and_hints_at_the_key() {
    let (env, out) = chat_with(vec![status(401, None)]);
    out.assert_code(3);
    assert!(out.stderr.contains("401"), "{}", out.stderr);
    assert!(out.stderr.contains("API key"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 1);
}

#[test]
fn wrong_key_is_refused_by_the_server_with_exit_3() {
    let env = Env::new();
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\napiKey = \"sk-or-v1-not-the-right-key\"\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    ));
    let out = env.run(&["chat", "hi"]);
    out.assert_code(3);
    assert!(out.stderr.contains("Invalid credentials"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 1);
}

#[test]
fn forbidden_403_exits_3_without_retry() {
    let (env, out) = chat_with(vec![status(403, None)]);
    out.assert_code(3);
    assert!(out.stderr.contains("403"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 1);
}

#[test]
fn moderation_403_exits_4_as_content_policy() {
    let body = json!({"error": {
        "code": 403,
        "message": "Your input was flagged",
        "metadata": {"reasons": ["violence"], "flagged_input": "hi", "provider_name": "Fake", "model_slug": "m"}
    }});
    let (env, out) = chat_with(vec![Step::ErrorBody {
        code: 403,
        body: body.to_string(),
        retry_after: None,
    }]);
    out.assert_code(4);
    assert!(out.stderr.contains("violence"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 1);
}

#[test]
fn payment_required_402_exits_4_without_retry() {
    let (env, out) = chat_with(vec![status(402, None)]);
    out.assert_code(4);
    assert!(
        out.stderr.contains("Insufficient credits"),
        "{}",
        out.stderr
    );
    assert_eq!(env.chat_requests().len(), 1);
}

#[test]
fn not_found_404_exits_4_without_retry() {
    let (env, out) = chat_with(vec![status(404, None)]);
    out.assert_code(4);
    assert!(out.stderr.contains("404"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 1);
}

#[test]
fn unknown_model_404_no_endpoints_exits_4() {
    let env = Env::new();
    let out = env.run(&["chat", "--model", "openrouter/nobody/missing-model", "hi"]);
    out.assert_code(4);
    assert!(
        out.stderr
            .contains("No endpoints found for nobody/missing-model"),
        "{}",
        out.stderr
    );
    assert_eq!(env.chat_requests().len(), 1);
}

#[test]
fn request_timeout_408_is_retried_then_exits_5() {
    let (env, out) = chat_with(vec![
        status(408, Some(0)),
        status(408, Some(0)),
        status(408, Some(0)),
    ]);
    out.assert_code(5);
    assert!(out.stderr.contains("408"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 3, "first attempt + 2 retries");
}

#[test]
fn rate_limited_429_honours_retry_after_then_exits_6() {
    let started = std::time::Instant::now();
    let (env, out) = chat_with(vec![
        status(429, Some(1)),
        status(429, Some(0)),
        status(429, Some(0)),
    ]);
    out.assert_code(6);
    assert!(out.stderr.contains("Rate limit exceeded"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 3);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(950),
        "Retry-After: 1 was not waited for ({:?})",
        started.elapsed()
    );
}

#[test]
fn rate_limited_429_then_success_prints_the_answer() {
    let (env, out) = chat_with(vec![status(429, Some(0))]);
    out.assert_code(0);
    assert_eq!(out.stdout, "Hello from openai/gpt-4o-mini. You said: hi\n");
    assert_eq!(env.chat_requests().len(), 2);
}

#[test]
fn rate_limited_429_with_retry_after_beyond_the_cap_is_not_waited_for() {
    let started = std::time::Instant::now();
    let (env, out) = chat_with(vec![status(429, Some(120))]);
    out.assert_code(6);
    assert_eq!(env.chat_requests().len(), 1);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn internal_error_500_is_retried_then_exits_6() {
    let (env, out) = chat_with(vec![
        status(500, Some(0)),
        status(500, Some(0)),
        status(500, Some(0)),
    ]);
    out.assert_code(6);
    assert!(out.stderr.contains("500"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 3);
}

#[test]
fn bad_gateway_502_is_retried_then_exits_6() {
    let (env, out) = chat_with(vec![
        status(502, Some(0)),
        status(502, Some(0)),
        status(502, Some(0)),
    ]);
    out.assert_code(6);
    assert!(out.stderr.contains("502"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 3);
}

#[test]
fn unavailable_503_is_retried_then_exits_6() {
    let (env, out) = chat_with(vec![
        status(503, Some(0)),
        status(503, Some(0)),
        status(503, Some(0)),
    ]);
    out.assert_code(6);
    assert!(out.stderr.contains("503"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 3);
}

#[test]
fn overloaded_529_is_retried_then_exits_6() {
    let (env, out) = chat_with(vec![
        status(529, Some(0)),
        status(529, Some(0)),
        status(529, Some(0)),
    ]);
    out.assert_code(6);
    assert!(out.stderr.contains("529"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 3);
}

#[test]
fn edge_timeout_524_is_retried_then_exits_5() {
    let (env, out) = chat_with(vec![
        status(524, Some(0)),
        status(524, Some(0)),
        status(524, Some(0)),
    ]);
    out.assert_code(5);
    assert!(out.stderr.contains("524"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 3);
}

#[test]
fn html_error_page_502_is_still_an_upstream_error() {
    let page = Step::Malformed {
        status: 502,
        content_type: "text/html".into(),
        body: "<html><body><h1>502 Bad Gateway</h1></body></html>".into(),
    };
    let (env, out) = chat_with(vec![page.clone(), page.clone(), page]);
    out.assert_code(6);
    assert!(out.stderr.contains("502"), "{}", out.stderr);
    assert!(!out.stderr.contains("<html>"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 3);
}

#[test]
fn connection_dropped_by_the_server_is_retried_then_exits_6() {
    let (env, out) = chat_with(vec![
        Step::DropAfter(0),
        Step::DropAfter(0),
        Step::DropAfter(0),
    ]);
    out.assert_code(6);
    assert!(out.stderr.contains("error:"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 3);
}

#[test]
fn unreachable_server_exits_6_naming_the_url_and_its_config_key() {
    let env = Env::new();
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\napiKey = \"{}\"\nbaseUrl = \"http://127.0.0.1:{port}/api/v1\"\n",
        env.server.api_key()
    ));
    let out = env.run(&["chat", "hi"]);
    out.assert_code(6);
    assert!(out.stderr.contains("cannot connect"), "{}", out.stderr);
    // The error names the URL it tried and the key that sets it.
    assert!(
        out.stderr
            .contains(&format!("http://127.0.0.1:{port}/api/v1/chat/completions")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("models.providers.openrouter.baseUrl"),
        "{}",
        out.stderr
    );
}

#[test]
fn mid_stream_error_with_numeric_code_exits_6_after_the_partial_text() {
    let env = Env::new();
    env.server.script(
        Route::Chat,
        [Step::SseMidStreamError {
            after_chunks: 2,
            code: json!(429),
            error_type: Some("rate_limit_exceeded".into()),
        }],
    );
    let out = env.run(&["chat", "--stream", "hi"]);
    out.assert_code(6);
    assert!(out.stdout.starts_with("Hello"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("You said: hi"),
        "the answer was cut: {}",
        out.stdout
    );
    assert!(out.stderr.contains("Rate limit exceeded"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 1);
}

#[test]
fn mid_stream_error_with_string_code_exits_6() {
    let env = Env::new();
    env.server.script(
        Route::Chat,
        [Step::SseMidStreamError {
            after_chunks: 2,
            code: json!("server_error"),
            error_type: None,
        }],
    );
    let out = env.run(&["chat", "--stream", "hi"]);
    out.assert_code(6);
    assert!(out.stderr.contains("server_error"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 1);
}

#[test]
fn http_200_with_error_body_is_an_error_not_an_answer() {
    let (env, out) = chat_with(vec![Step::Http200Error { code: 402 }]);
    out.assert_code(4);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains("Insufficient credits"),
        "{}",
        out.stderr
    );
    assert_eq!(env.chat_requests().len(), 1);
}

#[test]
fn malformed_json_answer_is_retried_then_exits_6() {
    let bad = Step::Malformed {
        status: 200,
        content_type: "application/json".into(),
        body: "{\"id\": \"gen-oops\", \"choices\": [".into(),
    };
    let (env, out) = chat_with(vec![bad.clone(), bad.clone(), bad]);
    out.assert_code(6);
    assert!(out.stderr.contains("malformed"), "{}", out.stderr);
    assert_eq!(env.chat_requests().len(), 3);
}

#[test]
fn json_error_object_has_kind_message_and_status() {
    let env = Env::new();
    env.server.script(Route::Chat, [status(402, None)]);
    let out = env.run(&["--json", "chat", "hi"]);
    out.assert_code(4);
    let v = out.json();
    assert_eq!(v["error"]["kind"], "billing");
    assert_eq!(v["error"]["status"], 402);
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Insufficient credits")),
        "{v}"
    );
}

#[test]
fn json_error_for_invalid_input_has_no_status() {
    let env = Env::new();
    let out = env.run(&["--json", "chat", "--model", "nosuch/x", "hi"]);
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["error"]["kind"], "invalid_input");
    assert!(v["error"].get("status").is_none(), "{v}");
    assert!(env.server.requests().is_empty());
}

#[test]
fn http_200_with_finish_reason_error_is_an_error_not_an_answer() {
    let body = json!({
        "id": "gen-1", "object": "chat.completion", "created": 1, "model": "openai/gpt-4o-mini",
        "system_fingerprint": null,
        "choices": [{
            "index": 0, "finish_reason": "error",
            "message": {"role": "assistant", "content": "partial"},
            "error": {"code": 400, "message": "Prompt rejected upstream", "metadata": {"error_type": "invalid_prompt"}}
        }]
    });
    let (env, out) = chat_with(vec![Step::Malformed {
        status: 200,
        content_type: "application/json".into(),
        body: body.to_string(),
    }]);
    out.assert_code(4);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains("Prompt rejected upstream"),
        "{}",
        out.stderr
    );
    assert_eq!(env.chat_requests().len(), 1);
}

//! Retries and failover across the chat model chain (primary, then
//! `agents.defaults.model.fallbacks`, then `--fallback`), as seen from the
//! outside: which models the server was asked for, in which order, and what
//! the user is told.

use fake_openrouter::{Route, Step};
use serde_json::json;
use std::time::{Duration, Instant};
use switchyard_e2e::Env;

const PRIMARY: &str = "openrouter/auto";
const FALLBACK_REF: &str = "openrouter/moonshotai/kimi-k2.6";
const FALLBACK_API: &str = "moonshotai/kimi-k2.6";

fn status(code: u16, retry_after: Option<u32>) -> Step {
    Step::Status {
        code,
        retry_after,
        message: None,
    }
}

/// An env whose config names `FALLBACK_REF` as the fallback of the default primary.
fn env_with_fallback() -> Env {
    let env = Env::new();
    env.write_config(&format!(
        "[agents.defaults.model]\nprimary = \"{PRIMARY}\"\nfallbacks = [\"{FALLBACK_REF}\"]\n"
    ));
    env
}

#[test]
fn rate_limited_primary_ends_with_the_fallbacks_answer() {
    let env = env_with_fallback();
    env.server.script_model(
        PRIMARY,
        [
            status(429, Some(0)),
            status(429, Some(0)),
            status(429, Some(0)),
        ],
    );
    let out = env.run(&["chat", "hi"]);
    out.assert_code(0);
    assert_eq!(
        out.stdout,
        format!("Hello from {FALLBACK_API}. You said: hi\n")
    );
    assert_eq!(
        env.chat_models(),
        vec![PRIMARY, PRIMARY, PRIMARY, FALLBACK_API]
    );
}

#[test]
fn fallback_answer_says_which_model_answered() {
    let env = env_with_fallback();
    env.server.script_model(PRIMARY, [status(429, Some(120))]);
    let out = env.run(&["chat", "hi"]);
    out.assert_code(0);
    assert!(
        out.stderr.contains(&format!(
            "answered by {FALLBACK_API} via {FALLBACK_REF} (fallback for {PRIMARY})"
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn json_output_names_the_fallback_model() {
    let env = env_with_fallback();
    env.server.script_model(PRIMARY, [status(429, Some(120))]);
    let out = env.run(&["--json", "chat", "hi"]);
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["model_ref"], FALLBACK_REF);
    assert_eq!(v["model"], FALLBACK_API);
    assert_eq!(v["fallback_used"], true);
}

#[test]
fn retry_after_beyond_the_cap_moves_to_the_fallback_at_once() {
    let env = env_with_fallback();
    env.server.script_model(PRIMARY, [status(429, Some(120))]);
    let started = Instant::now();
    env.run(&["chat", "hi"]).assert_code(0);
    assert_eq!(env.chat_models(), vec![PRIMARY, FALLBACK_API]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn auth_error_never_retries_nor_fails_over() {
    let env = Env::new();
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\napiKey = \"sk-or-v1-revoked-key-000\"\nbaseUrl = \"{}\"\n\n\
         [agents.defaults.model]\nfallbacks = [\"{FALLBACK_REF}\"]\n",
        env.server.base_url()
    ));
    let out = env.run(&["chat", "hi"]);
    out.assert_code(3);
    assert_eq!(
        env.server.requests().len(),
        1,
        "exactly one request reaches the server"
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn forbidden_403_never_fails_over() {
    let env = env_with_fallback();
    env.server.script_model(PRIMARY, [status(403, None)]);
    let out = env.run(&["chat", "hi"]);
    out.assert_code(3);
    assert_eq!(env.chat_models(), vec![PRIMARY]);
}

#[test]
fn billing_error_never_fails_over() {
    let env = env_with_fallback();
    env.server.script_model(PRIMARY, [status(402, None)]);
    let out = env.run(&["chat", "hi"]);
    out.assert_code(4);
    assert_eq!(env.chat_models(), vec![PRIMARY]);
}

#[test]
fn invalid_request_never_fails_over() {
    let env = env_with_fallback();
    env.server.script_model(PRIMARY, [status(400, None)]);
    env.run(&["chat", "hi"]).assert_code(4);
    assert_eq!(env.chat_models(), vec![PRIMARY]);
}

#[test]
fn context_length_error_fails_over_without_retrying() {
    let env = env_with_fallback();
    env.server.script_model(
        PRIMARY,
        [Step::Status {
            code: 400,
            retry_after: None,
            message: Some("This endpoint's maximum context length is 4096 tokens".into()),
        }],
    );
    let out = env.run(&["chat", "hi"]);
    out.assert_code(0);
    assert_eq!(env.chat_models(), vec![PRIMARY, FALLBACK_API]);
    assert!(
        out.stdout
            .starts_with(&format!("Hello from {FALLBACK_API}.")),
        "{}",
        out.stdout
    );
}

#[test]
fn unavailable_model_fails_over() {
    let env = Env::new();
    env.write_config(&format!(
        "[agents.defaults.model]\nprimary = \"openrouter/nobody/missing-model\"\nfallbacks = [\"{FALLBACK_REF}\"]\n"
    ));
    let out = env.run(&["chat", "hi"]);
    out.assert_code(0);
    assert_eq!(
        env.chat_models(),
        vec!["nobody/missing-model", FALLBACK_API]
    );
}

#[test]
fn transient_5xx_is_retried_honouring_retry_after() {
    let env = Env::new();
    env.server.script(Route::Chat, [status(503, Some(1))]);
    let started = Instant::now();
    let out = env.run(&["chat", "hi"]);
    let elapsed = started.elapsed();
    out.assert_code(0);
    assert_eq!(env.chat_models(), vec![PRIMARY, PRIMARY]);
    // The default first backoff is 500 ms; Retry-After: 1 asks for a full second.
    assert!(
        elapsed >= Duration::from_millis(950),
        "Retry-After was not honoured: {elapsed:?}"
    );
    assert!(out.stderr.contains("retrying in 1.0s"), "{}", out.stderr);
}

/// Ctrl-C during a retry's wait ends it at once (the wait is woken, not
/// polled) and no retry is sent after it.
#[test]
fn ctrl_c_during_a_retry_wait_exits_130_at_once() {
    let env = Env::new();
    env.server.script(Route::Chat, [status(503, Some(20))]);
    let mut child = env
        .cmd(&["chat", "hi"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn switchyard");
    let start = Instant::now();
    while env.chat_models().is_empty() {
        assert!(start.elapsed() < Duration::from_secs(30), "no chat request");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Well inside the 20 s wait.
    std::thread::sleep(Duration::from_millis(500));
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let interrupted = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s.code();
        }
        assert!(
            interrupted.elapsed() < Duration::from_secs(2),
            "the retry wait did not end within 2 s of Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(code, Some(130));
    assert_eq!(env.chat_models(), vec![PRIMARY], "no retry after Ctrl-C");
}

#[test]
fn transient_5xx_retries_are_bounded() {
    let env = Env::new();
    env.server.script(
        Route::Chat,
        (0..6).map(|_| status(503, Some(0))).collect::<Vec<_>>(),
    );
    let out = env.run(&["chat", "hi"]);
    out.assert_code(6);
    assert_eq!(
        env.chat_requests().len(),
        3,
        "one attempt and two retries, then stop"
    );
}

#[test]
fn transient_5xx_on_primary_fails_over_after_its_retries() {
    let env = env_with_fallback();
    env.server.script_model(
        PRIMARY,
        [
            status(502, Some(0)),
            status(502, Some(0)),
            status(502, Some(0)),
        ],
    );
    env.run(&["chat", "hi"]).assert_code(0);
    assert_eq!(
        env.chat_models(),
        vec![PRIMARY, PRIMARY, PRIMARY, FALLBACK_API]
    );
}

#[test]
fn every_model_failing_exits_6_naming_the_last_model() {
    let env = env_with_fallback();
    let fail = || {
        [
            status(503, Some(0)),
            status(503, Some(0)),
            status(503, Some(0)),
        ]
    };
    env.server.script_model(PRIMARY, fail());
    env.server.script_model(FALLBACK_API, fail());
    let out = env.run(&["chat", "hi"]);
    out.assert_code(6);
    assert_eq!(env.chat_requests().len(), 6);
    assert!(
        out.stderr.contains(&format!("error: {FALLBACK_REF}:")),
        "{}",
        out.stderr
    );
}

#[test]
fn fallback_flag_is_tried_after_configured_fallbacks() {
    let env = env_with_fallback();
    env.server.script_model(
        PRIMARY,
        [Step::Status {
            code: 400,
            retry_after: None,
            message: Some("maximum context length exceeded".into()),
        }],
    );
    env.server.script_model(
        FALLBACK_API,
        [Step::Status {
            code: 400,
            retry_after: None,
            message: Some("maximum context length exceeded".into()),
        }],
    );
    let out = env.run(&[
        "chat",
        "--fallback",
        "openrouter/anthropic/claude-sonnet-4.5",
        "hi",
    ]);
    out.assert_code(0);
    assert_eq!(
        env.chat_models(),
        vec![PRIMARY, FALLBACK_API, "anthropic/claude-sonnet-4.5"]
    );
}

#[test]
fn mid_stream_error_after_printed_text_does_not_fail_over() {
    let env = env_with_fallback();
    env.server.script_model(
        PRIMARY,
        [Step::SseMidStreamError {
            after_chunks: 2,
            code: json!(502),
            error_type: Some("provider_unavailable".into()),
        }],
    );
    let out = env.run(&["chat", "--stream", "hi"]);
    out.assert_code(6);
    assert_eq!(env.chat_models(), vec![PRIMARY]);
    assert!(
        !out.stdout.contains(FALLBACK_API),
        "the fallback must not append its answer: {}",
        out.stdout
    );
}

#[test]
fn bad_fallback_ref_exits_2_before_any_request() {
    let env = Env::new();
    let out = env.run(&["chat", "--fallback", "nosuch/model", "hi"]);
    out.assert_code(2);
    assert!(out.stderr.contains("nosuch/model"), "{}", out.stderr);
    assert!(env.server.requests().is_empty());
}

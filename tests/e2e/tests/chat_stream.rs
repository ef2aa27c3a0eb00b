//! `switchyard chat --stream`: SSE parsing as a user sees it on stdout.

use fake_openrouter::{Route, Step};
use switchyard_e2e::Env;

const ANSWER: &str = "Hello from openai/gpt-4o-mini. You said: stream me";

#[test]
fn streamed_answer_is_printed_whole_on_stdout() {
    let env = Env::new();
    let out = env.run(&["chat", "--stream", "stream me"]);
    out.assert_code(0);
    assert_eq!(out.stdout, format!("{ANSWER}\n"));
    assert!(
        out.stderr
            .contains("answered by openai/gpt-4o-mini via openrouter/auto"),
        "{}",
        out.stderr
    );
}

#[test]
fn stream_flag_asks_the_server_for_a_stream() {
    let env = Env::new();
    env.run(&["chat", "--stream", "stream me"]).assert_code(0);
    let reqs = env.chat_requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].json().expect("JSON body")["stream"], true);
}

#[test]
fn processing_comments_are_skipped() {
    let env = Env::new();
    env.server
        .script(Route::Chat, [Step::SseProcessingComments]);
    let out = env.run(&["chat", "--stream", "stream me"]);
    out.assert_code(0);
    assert_eq!(out.stdout, format!("{ANSWER}\n"));
    assert!(
        !out.all().contains("OPENROUTER PROCESSING"),
        "{}",
        out.all()
    );
}

#[test]
fn crlf_framed_stream_is_parsed() {
    let env = Env::new();
    env.server.script(Route::Chat, [Step::SseCrlf]);
    let out = env.run(&["chat", "--stream", "stream me"]);
    out.assert_code(0);
    assert_eq!(out.stdout, format!("{ANSWER}\n"));
}

#[test]
fn stream_without_usage_chunk_still_succeeds() {
    let env = Env::new();
    env.server.script(Route::Chat, [Step::NoUsageChunk]);
    let out = env.run(&["chat", "--stream", "stream me"]);
    out.assert_code(0);
    assert_eq!(out.stdout, format!("{ANSWER}\n"));
}

#[test]
fn json_stream_prints_only_one_object_with_the_whole_text() {
    let env = Env::new();
    let out = env.run(&["--json", "chat", "--stream", "stream me"]);
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["text"], ANSWER);
    assert_eq!(v["finish_reason"], "stop");
    assert!(
        v["usage"]["total_tokens"].as_u64().is_some_and(|n| n > 0),
        "{v}"
    );
}

#[test]
fn json_stream_reports_usage_and_cost_from_the_last_chunk() {
    let env = Env::new();
    let out = env.run(&["--json", "chat", "--stream", "stream me"]);
    out.assert_code(0);
    let v = out.json();
    assert!(v["cost"].as_f64().is_some_and(|c| c > 0.0), "{v}");
    assert!(
        v["generation_id"]
            .as_str()
            .is_some_and(|g| g.starts_with("gen-")),
        "{v}"
    );
}

#[test]
fn stream_dropped_after_text_exits_6_without_retrying() {
    let env = Env::new();
    // Headers and the first SSE event or two, then the connection closes.
    env.server.script(Route::Chat, [Step::DropAfter(400)]);
    let out = env.run(&["chat", "--stream", "stream me"]);
    out.assert_code(6);
    assert!(!out.stdout.is_empty(), "some text was streamed first");
    assert!(
        !out.stdout.contains(ANSWER),
        "the answer cannot be complete: {}",
        out.stdout
    );
    assert!(out.stderr.contains("error:"), "{}", out.stderr);
    assert_eq!(
        env.chat_requests().len(),
        1,
        "printed text cannot be taken back, so no retry"
    );
}

#[test]
fn stream_dropped_before_any_text_is_retried() {
    let env = Env::new();
    env.server.script(Route::Chat, [Step::DropAfter(0)]);
    let out = env.run(&["chat", "--stream", "stream me"]);
    out.assert_code(0);
    assert_eq!(out.stdout, format!("{ANSWER}\n"));
    assert_eq!(env.chat_requests().len(), 2);
}

#[test]
fn json_stream_error_before_output_is_retried() {
    let env = Env::new();
    // With --json nothing is printed while streaming, so a mid-stream
    // failure can still be retried.
    env.server.script(
        Route::Chat,
        [Step::SseMidStreamError {
            after_chunks: 2,
            code: serde_json::json!(502),
            error_type: Some("provider_unavailable".into()),
        }],
    );
    let out = env.run(&["--json", "chat", "--stream", "stream me"]);
    out.assert_code(0);
    assert_eq!(out.json()["text"], ANSWER);
    assert_eq!(env.chat_requests().len(), 2);
}

#[test]
fn mid_stream_error_before_any_text_is_retried() {
    let env = Env::new();
    env.server.script(
        Route::Chat,
        [Step::SseMidStreamError {
            after_chunks: 0,
            code: serde_json::json!(502),
            error_type: Some("provider_unavailable".into()),
        }],
    );
    let out = env.run(&["chat", "--stream", "stream me"]);
    out.assert_code(0);
    assert_eq!(out.stdout, format!("{ANSWER}\n"));
    assert_eq!(env.chat_requests().len(), 2);
}

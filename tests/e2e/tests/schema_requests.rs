//! The requests the real plugin sends, as recorded by the fake server,
//! validated against OpenRouter's OpenAPI spec (`ChatRequest`,
//! `VideoGenerationRequest`, `SpeechRequest`). Skipped, with a message, when
//! the spec is not beside the checkout.

use fake_openrouter::schema::{self, Spec};
use fake_openrouter::{sample_png, RecordedRequest};
use switchyard_e2e::{Env, CHAT_PATH, SPEECH_PATH, VIDEOS_PATH};

/// The spec. These tests are `#[ignore]`d unless asked for (`--ignored`),
/// so a missing spec is a failure here, never a silent pass.
fn required_spec() -> Spec {
    schema::load_spec().unwrap_or_else(|| {
        panic!(
            "{} not found: the OpenAPI spec lives in shared/reference beside the checkout (or set SWITCHYARD_SHARED_DIR)",
            schema::spec_path().display()
        )
    })
}

/// The single request to exactly `path` with `method`.
fn only_request(env: &Env, method: &str, path: &str) -> serde_json::Value {
    let reqs: Vec<RecordedRequest> = env
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path_only() == path)
        .collect();
    assert_eq!(reqs.len(), 1, "one {method} {path}");
    assert!(
        reqs[0]
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{:?}",
        reqs[0].headers
    );
    reqs[0].json().expect("the body is JSON")
}

#[track_caller]
fn assert_valid(spec: &Spec, schema_name: &str, body: &serde_json::Value) {
    if let Err(errs) = spec.validate(schema_name, body) {
        panic!(
            "{schema_name} violations:\n  {}\nbody: {body:#}",
            errs.join("\n  ")
        );
    }
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn chat_request_matches_chat_request_schema() {
    let spec = required_spec();
    let env = Env::new();
    env.run(&[
        "chat",
        "--system",
        "be brief",
        "--max-tokens",
        "50",
        "--model",
        "openrouter/moonshotai/kimi-k2.6",
        "hi",
    ])
    .assert_code(0);
    assert_valid(&spec, "ChatRequest", &only_request(&env, "POST", CHAT_PATH));
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn streamed_chat_request_matches_chat_request_schema() {
    let spec = required_spec();
    let env = Env::new();
    env.run(&["chat", "--stream", "hi"]).assert_code(0);
    let body = only_request(&env, "POST", CHAT_PATH);
    assert_eq!(body["stream"], true);
    assert_valid(&spec, "ChatRequest", &body);
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn image_request_matches_chat_request_schema() {
    let spec = required_spec();
    let env = Env::new();
    env.run(&[
        "image",
        "--aspect-ratio",
        "1:4",
        "--size",
        "0.5k",
        "--out",
        "x.png",
        "a cat",
    ])
    .assert_code(0);
    let body = only_request(&env, "POST", CHAT_PATH);
    assert!(body.get("image_config").is_some(), "{body}");
    assert_valid(&spec, "ChatRequest", &body);
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn video_request_matches_video_generation_request_schema() {
    let spec = required_spec();
    let env = Env::new();
    env.write_config("[agents.defaults.videoGenerationModel]\npollIntervalMs = 20\n");
    std::fs::write(env.work_file("first.png"), sample_png()).expect("write first.png");
    std::fs::write(env.work_file("ref.png"), sample_png()).expect("write ref.png");
    env.run(&[
        "video",
        "--duration",
        "4",
        "--resolution",
        "720P",
        "--aspect-ratio",
        "16:9",
        "--first-frame",
        "first.png",
        "--reference",
        "ref.png",
        "--out",
        "v.mp4",
        "a cat",
    ])
    .assert_code(0);
    let body = only_request(&env, "POST", VIDEOS_PATH);
    assert_eq!(body["resolution"], "720p");
    assert_valid(&spec, "VideoGenerationRequest", &body);
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn speech_request_matches_speech_request_schema() {
    let spec = required_spec();
    let env = Env::new();
    env.run(&[
        "speak", "--voice", "af_heart", "--speed", "1.25", "--out", "s.mp3", "hello",
    ])
    .assert_code(0);
    let body = only_request(&env, "POST", SPEECH_PATH);
    assert_eq!(body["speed"], 1.25);
    assert_valid(&spec, "SpeechRequest", &body);
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn pcm_speech_request_matches_speech_request_schema() {
    let spec = required_spec();
    let env = Env::new();
    env.run(&["speak", "--format", "pcm", "--out", "s.wav", "hello"])
        .assert_code(0);
    let body = only_request(&env, "POST", SPEECH_PATH);
    assert_eq!(body["response_format"], "pcm");
    assert_valid(&spec, "SpeechRequest", &body);
}

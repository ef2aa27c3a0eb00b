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

/// Every request the server recorded, checked against the request schema
/// of its operation.
#[track_caller]
fn assert_no_violations(env: &Env) {
    let _spec = required_spec();
    let v = env.server.schema_violations().expect("the spec is there");
    assert!(v.is_empty(), "violations:\n  {}", v.join("\n  "));
    assert!(!env.server.requests().is_empty(), "nothing was sent");
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn chat_with_attachments_schema_reasoning_and_routing_matches_the_spec() {
    let env = Env::new();
    std::fs::write(env.work_file("cat.png"), sample_png()).expect("write");
    std::fs::write(env.work_file("talk.wav"), fake_openrouter::sample_wav()).expect("write");
    std::fs::write(env.work_file("r.pdf"), b"%PDF-1.4\n%%EOF\n").expect("write");
    std::fs::write(
        env.work_file("answer.json"),
        r#"{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}"#,
    )
    .expect("write");
    for stream in [false, true] {
        let mut args = vec![
            "chat",
            "--model",
            "openrouter/google/gemini-2.5-flash",
            "--image",
            "cat.png",
            "--image",
            "https://example.test/b.png",
            "--audio",
            "talk.wav",
            "--file",
            "r.pdf",
            "--schema",
            "answer.json",
            "--reasoning",
            "low",
            "--provider-order",
            "google-vertex,openai",
            "--provider-sort",
            "latency",
            "--no-provider-fallbacks",
            "--data-collection",
            "deny",
        ];
        if stream {
            args.push("--stream");
        }
        args.push("describe");
        env.run(&args).assert_code(0);
    }
    assert_no_violations(&env);
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn image_api_request_with_count_seed_quality_and_inputs_matches_the_spec() {
    let env = Env::new();
    std::fs::write(env.work_file("ref.png"), sample_png()).expect("write");
    env.run(&[
        "image",
        "--model",
        "openrouter/bytedance-seed/seedream-4.5",
        "--count",
        "2",
        "--seed",
        "9",
        "--input",
        "ref.png",
        "--size",
        "2K",
        "--out",
        "a.png",
        "a cat",
    ])
    .assert_code(0);
    env.run(&[
        "image",
        "--model",
        "openrouter/openai/gpt-5-image",
        "--quality",
        "high",
        "--out",
        "b.png",
        "a dog",
    ])
    .assert_code(0);
    env.run(&[
        "image",
        "--seed",
        "3",
        "--quality",
        "low",
        "--input",
        "ref.png",
        "--count",
        "2",
        "--out",
        "c.png",
        "a bird",
    ])
    .assert_code(0);
    assert_no_violations(&env);
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn transcription_and_embeddings_requests_match_the_spec() {
    let env = Env::new();
    std::fs::write(env.work_file("talk.wav"), fake_openrouter::sample_wav()).expect("write");
    env.run(&["transcribe", "--language", "en", "talk.wav"])
        .assert_code(0);
    env.run(&["transcribe", "--format", "srt", "talk.wav"])
        .assert_code(0);
    env.run(&["embed", "--dimensions", "8", "one", "two"])
        .assert_code(0);
    assert_no_violations(&env);
}

/*!
Schema conformance: the fake's responses and sample client requests are
validated against OpenRouter's OpenAPI spec (`shared/reference/openrouter-openapi.yaml`
beside the checkout, or `$SWITCHYARD_SHARED_DIR`). Skips with a message when
the spec is absent.
*/

mod common;

use common::*;
use fake_openrouter::schema::{self, Spec};
use fake_openrouter::*;
use serde_json::{json, Value};

const CHAT: &str = "/api/v1/chat/completions";

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

#[track_caller]
fn assert_valid(spec: &Spec, name: &str, v: &Value) {
    if let Err(errs) = spec.validate(name, v) {
        panic!("{name} violations:\n  {}\nvalue: {v:#}", errs.join("\n  "));
    }
}

#[track_caller]
fn assert_invalid(spec: &Spec, name: &str, v: &Value) -> Vec<String> {
    spec.validate(name, v)
        .expect_err(&format!("{name} should reject {v}"))
}

fn chunks(r: &Resp) -> Vec<Value> {
    r.sse_data()
        .iter()
        .filter(|d| d.as_str() != "[DONE]")
        .map(|d| serde_json::from_str(d).expect("chunk JSON"))
        .collect()
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn spec_loads_quickly_and_is_cached() {
    let spec = required_spec();
    assert!(spec.schema("ChatRequest").is_some());
    let t = std::time::Instant::now();
    let fresh = Spec::load(&schema::spec_path()).expect("spec parses");
    println!("spec parsed in {:?}", t.elapsed());
    assert!(fresh.schema("VideoGenerationResponse").is_some());
    assert!(t.elapsed() < std::time::Duration::from_secs(10));
    let t = std::time::Instant::now();
    let _again = schema::load_spec().expect("cached");
    assert!(t.elapsed() < std::time::Duration::from_millis(50));
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn chat_responses_conform() {
    let spec = required_spec();
    let s = FakeServer::start().unwrap();
    let r = post_json(&s, CHAT, &chat_body("openrouter/auto", "hello", false));
    assert_valid(&spec, "ChatResult", &r.json());

    let mut img = chat_body("google/gemini-3.1-flash-image-preview", "a cat", false);
    img["modalities"] = json!(["image", "text"]);
    assert_valid(&spec, "ChatResult", &post_json(&s, CHAT, &img).json());

    let r = post_json(&s, CHAT, &chat_body("moonshotai/kimi-k2.6", "hello", true));
    let cs = chunks(&r);
    assert!(cs.len() >= 3);
    for c in &cs {
        assert_valid(&spec, "ChatStreamChunk", c);
    }
    img["stream"] = json!(true);
    for c in chunks(&post_json(&s, CHAT, &img)) {
        assert_valid(&spec, "ChatStreamChunk", &c);
    }
    s.script(
        Route::Chat,
        [Step::SseMidStreamError {
            after_chunks: 1,
            code: json!(429),
            error_type: Some("rate_limit_exceeded".into()),
        }],
    );
    let cs = chunks(&post_json(&s, CHAT, &chat_body("m/x", "hello", true)));
    assert!(cs.last().unwrap().get("error").is_some());
    for c in &cs {
        assert_valid(&spec, "ChatStreamChunk", c);
    }
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn video_responses_conform() {
    let spec = required_spec();
    let s = FakeServer::start().unwrap();
    let body = json!({"model": "google/veo-3.1-fast", "prompt": "p"});
    let job = post_json(&s, "/api/v1/videos", &body).json();
    assert_valid(&spec, "VideoGenerationResponse", &job);
    let poll = path_of(job["polling_url"].as_str().unwrap());
    let mut seen = Vec::new();
    for _ in 0..3 {
        let v = get(&s, &poll).json();
        assert_valid(&spec, "VideoGenerationResponse", &v);
        seen.push(v["status"].as_str().unwrap().to_string());
    }
    assert_eq!(seen, ["pending", "in_progress", "completed"]);
    s.set_video_job(VideoJobSpec {
        pending_polls: 0,
        in_progress_polls: 0,
        outcome: VideoOutcome::Failed("Content policy violation".into()),
        ..VideoJobSpec::default()
    });
    let job = post_json(&s, "/api/v1/videos", &body).json();
    let v = get(&s, &path_of(job["polling_url"].as_str().unwrap())).json();
    assert_eq!(v["status"], "failed");
    assert_valid(&spec, "VideoGenerationResponse", &v);
    s.set_video_job(VideoJobSpec {
        completed_on_submit: true,
        ..VideoJobSpec::default()
    });
    let v = post_json(&s, "/api/v1/videos", &body).json();
    assert_eq!(v["status"], "completed");
    assert_valid(&spec, "VideoGenerationResponse", &v);
    assert_valid(
        &spec,
        "VideoModelsListResponse",
        &get(&s, "/api/v1/videos/models").json(),
    );
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn catalogs_key_and_errors_conform() {
    let spec = required_spec();
    let s = FakeServer::start().unwrap();
    for q in ["", "?output_modalities=all", "?output_modalities=speech"] {
        let v = get(&s, &format!("/api/v1/models{q}")).json();
        assert_valid(&spec, "ModelsListResponse", &v);
    }
    let key = get(&s, "/api/v1/key").json();
    if let Err(e) = spec.validate_response("/key", "get", "200", &key) {
        panic!("/key: {e:?}");
    }

    let r = request(&s.origin(), "GET", "/api/v1/key", &[], b"");
    assert_valid(&spec, "UnauthorizedResponse", &r.json());
    let r = post_json(&s, CHAT, &json!({"messages": []}));
    assert_valid(&spec, "BadRequestResponse", &r.json());
    let r = get(&s, "/api/v1/videos/job-none");
    assert_valid(&spec, "NotFoundResponse", &r.json());
    let r = post_json(&s, CHAT, &chat_body("x/missing", "m", false));
    assert_valid(&spec, "NotFoundResponse", &r.json());
    for (code, name) in [
        (400, "BadRequestResponse"),
        (401, "UnauthorizedResponse"),
        (402, "PaymentRequiredResponse"),
        (403, "ForbiddenResponse"),
        (404, "NotFoundResponse"),
        (408, "RequestTimeoutResponse"),
        (413, "PayloadTooLargeResponse"),
        (422, "UnprocessableEntityResponse"),
        (429, "TooManyRequestsResponse"),
        (500, "InternalServerResponse"),
        (502, "BadGatewayResponse"),
        (503, "ServiceUnavailableResponse"),
        (524, "EdgeNetworkTimeoutResponse"),
        (529, "ProviderOverloadedResponse"),
    ] {
        s.script(
            Route::Speech,
            [Step::Status {
                code,
                retry_after: None,
                message: None,
            }],
        );
        let r = post_json(
            &s,
            "/api/v1/audio/speech",
            &json!({"model": "m", "input": "x"}),
        );
        assert_eq!(r.status, code);
        assert_valid(&spec, name, &r.json());
    }
    // The error_type values used are all in ApiErrorType.
    for t in [
        "invalid_request",
        "authentication",
        "payment_required",
        "permission_denied",
        "not_found",
        "timeout",
        "payload_too_large",
        "unprocessable",
        "rate_limit_exceeded",
        "server",
        "provider_unavailable",
        "provider_overloaded",
        "context_length_exceeded",
    ] {
        assert_valid(&spec, "ApiErrorType", &json!(t));
    }
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn sample_requests_conform() {
    let spec = required_spec();
    let chat = json!({
        "model": "openrouter/auto",
        "models": ["moonshotai/kimi-k2.6"],
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "auto"}}
            ]},
            {"role": "assistant", "content": "a cat"},
            {"role": "user", "content": "thanks"}
        ],
        "stream": true,
        "temperature": 0.7,
        "max_tokens": 256,
        "provider": {"order": ["openai"], "allow_fallbacks": true, "data_collection": "deny"}
    });
    assert_valid(&spec, "ChatRequest", &chat);
    let image = json!({
        "model": "google/gemini-3.1-flash-image-preview",
        "messages": [{"role": "user", "content": "a sunset"}],
        "modalities": ["image", "text"],
        "image_config": {"aspect_ratio": "16:9", "image_size": "2K"}
    });
    assert_valid(&spec, "ChatRequest", &image);
    assert_invalid(&spec, "ChatRequest", &json!({"model": "m", "messages": []}));
    let errs = assert_invalid(
        &spec,
        "ChatRequest",
        &json!({"messages": [{"role": "robot", "content": "x"}]}),
    );
    assert!(
        errs.iter().any(|e| e.starts_with("/messages/0")),
        "{errs:?}"
    );
    assert_invalid(
        &spec,
        "ChatRequest",
        &json!({"messages": [{"role": "user", "content": "x"}], "modalities": ["video"]}),
    );

    let video = json!({
        "model": "google/veo-3.1-fast",
        "prompt": "a cat surfing",
        "duration": 8,
        "resolution": "1080p",
        "aspect_ratio": "16:9",
        "generate_audio": true,
        "frame_images": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}, "frame_type": "first_frame"}
        ],
        "input_references": [{"type": "image_url", "image_url": {"url": "https://example.org/r.png"}}],
        "provider": {"options": {"google-vertex": {"parameters": {"negativePrompt": "blur"}}}}
    });
    assert_valid(&spec, "VideoGenerationRequest", &video);
    assert_invalid(
        &spec,
        "VideoGenerationRequest",
        &json!({"prompt": "no model"}),
    );
    assert_invalid(
        &spec,
        "VideoGenerationRequest",
        &json!({"model": "m", "duration": 0}),
    );
    assert_invalid(
        &spec,
        "VideoGenerationRequest",
        &json!({"model": "m", "resolution": "720P"}),
    );
    assert_invalid(
        &spec,
        "VideoGenerationRequest",
        &json!({"model": "m", "frame_images": [{"type": "image_url", "image_url": {"url": "x"}}]}),
    );

    let speech = json!({
        "model": "hexgrad/kokoro-82m",
        "input": "Hello there",
        "voice": "af_alloy",
        "response_format": "mp3",
        "speed": 1.0
    });
    assert_valid(&spec, "SpeechRequest", &speech);
    assert_invalid(&spec, "SpeechRequest", &json!({"model": "m"}));
    assert_invalid(
        &spec,
        "SpeechRequest",
        &json!({"model": "m", "input": "x", "response_format": "wav"}),
    );
    assert_invalid(
        &spec,
        "SpeechRequest",
        &json!({"model": "m", "input": "x", "voice": ""}),
    );
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn recorded_requests_can_be_validated() {
    let spec = required_spec();
    let s = FakeServer::start().unwrap();
    post_json(&s, CHAT, &chat_body("openai/gpt-4o-mini", "x", false));
    let recorded = s.requests_to(CHAT);
    assert_valid(&spec, "ChatRequest", &recorded[0].json().unwrap());
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn image_api_responses_conform() {
    let spec = required_spec();
    let s = FakeServer::start().unwrap();
    let body = json!({"model": "bytedance-seed/seedream-4.5", "prompt": "p", "n": 2});
    let r = post_json(&s, "/api/v1/images", &body);
    if let Err(e) = spec.validate_response("/images", "post", "200", &r.json()) {
        panic!("/images: {e:?}");
    }
    assert_valid(&spec, "ImageGenerationResponse", &r.json());
    let streamed = post_json(
        &s,
        "/api/v1/images",
        &json!({"model": "openai/gpt-5-image", "prompt": "p", "stream": true}),
    );
    for d in streamed
        .sse_data()
        .iter()
        .filter(|d| d.as_str() != "[DONE]")
    {
        let event: Value = serde_json::from_str(d).unwrap();
        assert_valid(&spec, "ImageStreamingResponse", &json!({"data": event}));
    }
    let models = get(&s, "/api/v1/images/models").json();
    assert_valid(&spec, "ImageModelsListResponse", &models);
    for m in models["data"].as_array().unwrap() {
        let path = format!(
            "/api/v1/images/models/{}/endpoints",
            m["id"].as_str().unwrap()
        );
        assert_valid(&spec, "ImageModelEndpointsResponse", &get(&s, &path).json());
    }
    let r = post_json(&s, "/api/v1/images", &json!({"model": "m/x", "prompt": ""}));
    assert_valid(&spec, "BadRequestResponse", &r.json());
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn transcription_and_embedding_responses_conform() {
    let spec = required_spec();
    let s = FakeServer::start().unwrap();
    for rf in ["json", "verbose_json"] {
        let r = post_json(
            &s,
            "/api/v1/audio/transcriptions",
            &json!({"model": "openai/whisper-large-v3", "response_format": rf,
                    "input_audio": {"data": b64(&sample_wav()), "format": "wav"}}),
        );
        assert_valid(&spec, "STTResponse", &r.json());
    }
    for body in [
        json!({"model": "openai/text-embedding-3-small", "input": ["a", "b"]}),
        json!({"model": "openai/text-embedding-3-small", "input": "a", "encoding_format": "base64"}),
    ] {
        let r = post_json(&s, "/api/v1/embeddings", &body);
        if let Err(e) = spec.validate_response("/embeddings", "post", "200", &r.json()) {
            panic!("/embeddings: {e:?}");
        }
    }
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn chat_with_parts_schema_reasoning_and_provider_conforms() {
    let spec = required_spec();
    let s = FakeServer::start().unwrap();
    let body = json!({
        "model": "openai/gpt-4o-mini",
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "describe"},
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", b64(&sample_png()))}},
            {"type": "input_audio", "input_audio": {"data": b64(&sample_wav()), "format": "wav"}},
            {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0="}}
        ]}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "d", "strict": true,
            "schema": {"type": "object", "properties": {"d": {"type": "string"}}, "required": ["d"]}}},
        "reasoning": {"effort": "medium"},
        "provider": {"order": ["openai"], "sort": "price", "allow_fallbacks": false, "data_collection": "deny"}
    });
    assert_valid(&spec, "ChatRequest", &body);
    assert_valid(&spec, "ChatResult", &post_json(&s, CHAT, &body).json());
    let mut streamed = body.clone();
    streamed["stream"] = json!(true);
    for c in chunks(&post_json(&s, CHAT, &streamed)) {
        assert_valid(&spec, "ChatStreamChunk", &c);
    }
    assert_eq!(s.schema_violations(), Some(Vec::new()));
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn recorded_requests_of_every_operation_are_checked() {
    let _spec = required_spec();
    let s = FakeServer::start().unwrap();
    post_json(&s, CHAT, &chat_body("openai/gpt-4o-mini", "x", false));
    post_json(
        &s,
        "/api/v1/images",
        &json!({"model": "bytedance-seed/seedream-4.5", "prompt": "p", "n": 1}),
    );
    post_json(
        &s,
        "/api/v1/embeddings",
        &json!({"model": "m", "input": ["a"], "dimensions": 8}),
    );
    post_json(
        &s,
        "/api/v1/audio/transcriptions",
        &json!({"model": "m", "input_audio": {"data": b64(&sample_wav()), "format": "wav"}}),
    );
    get(&s, "/api/v1/images/models");
    assert_eq!(s.schema_violations(), Some(Vec::new()));
    // Violations name the request and the field.
    post_json(
        &s,
        "/api/v1/embeddings",
        &json!({"model": "m", "input": ["a"], "dimensions": 0}),
    );
    post_json(
        &s,
        "/api/v1/images",
        &json!({"model": "m", "prompt": "p", "quality": "ultra"}),
    );
    post_json(
        &s,
        CHAT,
        &json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
        "response_format": {"type": "json_schema", "json_schema": {"strict": true}}}),
    );
    let v = s.schema_violations().unwrap();
    assert!(
        v.iter()
            .any(|e| e.starts_with("POST /api/v1/embeddings: /dimensions")),
        "{v:?}"
    );
    assert!(
        v.iter()
            .any(|e| e.starts_with("POST /api/v1/images: /quality")),
        "{v:?}"
    );
    assert!(
        v.iter()
            .any(|e| e.starts_with("POST /api/v1/chat/completions: /response_format")),
        "{v:?}"
    );
}

#[test]
#[ignore = "needs the OpenRouter OpenAPI spec (shared/reference/openrouter-openapi.yaml beside the checkout, or $SWITCHYARD_SHARED_DIR); cargo xtask test runs it with --ignored when the spec is there"]
fn multipart_transcription_requests_are_checked_as_forms() {
    let spec = required_spec();
    let form = |fields: &[(&str, Option<&str>, &[u8])]| {
        let mut body = Vec::new();
        for (name, filename, data) in fields {
            body.extend_from_slice(b"--b0\r\n");
            let disp = match filename {
                Some(f) => format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\r\n"
                ),
                None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
            };
            body.extend_from_slice(disp.as_bytes());
            body.extend_from_slice(data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--b0--\r\n");
        RecordedRequest {
            method: "POST".into(),
            path: "/api/v1/audio/transcriptions".into(),
            headers: vec![(
                "content-type".into(),
                "multipart/form-data; boundary=b0".into(),
            )],
            body,
        }
    };
    let good = form(&[
        ("file", Some("a.wav"), &sample_wav()),
        ("model", None, b"openai/whisper-large-v3"),
        ("temperature", None, b"0.2"),
        ("timestamp_granularities[]", None, b"word"),
        ("timestamp_granularities[]", None, b"segment"),
    ]);
    assert_eq!(spec.validate_request(&good), Some(Ok(())));
    let bad = form(&[("model", None, b"m"), ("response_format", None, b"srt")]);
    let errs = spec.validate_request(&bad).unwrap().unwrap_err().join("\n");
    assert!(errs.contains("missing required property 'file'"), "{errs}");
    assert!(errs.contains("/response_format"), "{errs}");
    let get_models = RecordedRequest {
        method: "GET".into(),
        path: "/api/v1/models".into(),
        headers: vec![],
        body: vec![],
    };
    assert_eq!(spec.validate_request(&get_models), None);
}

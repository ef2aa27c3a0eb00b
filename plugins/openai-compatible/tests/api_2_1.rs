//! The plugin API 2.1 operations and fields through the plugin's `call`
//! entry point (JSON documents and blobs in, JSON out) against the fake
//! server: chat attachments, JSON-schema answers and reasoning effort,
//! transcription as OpenAI's multipart form, embeddings in batches. Request
//! shapes are checked by the fake's schema validator where the OpenRouter
//! spec describes them (the OpenAI form's `srt`/`vtt` formats are OpenAI's
//! own and not in that spec).

use base64::Engine as _;
use fake_openrouter::{sample_png, sample_wav, FakeServer, Route, Step};
use serde_json::{json, Value};
use std::sync::Mutex;
use switchyard_openai_compatible::OpenAiCompatible;
use switchyard_provider_kit::api::abi_stable::sabi_trait::TD_Opaque;
use switchyard_provider_kit::api::doc::{Context, EmbedResponse, TranscribeResponse};
use switchyard_provider_kit::api::{
    CancelWakerBox, ErrorKind, Host, Host_TO, PluginError, Progress, ROption, RResult, RSlice,
    RStr, Stage,
};
use switchyard_provider_kit::export::dispatch;
use switchyard_provider_kit::runtime::PluginRuntime;

static RUNTIME: PluginRuntime = PluginRuntime::new("openai-compatible-2-1-test");

/// What the plugin sent to the host during one call.
#[derive(Default)]
struct Recorder {
    text: Mutex<String>,
    progress: Mutex<Vec<(u8, String)>>,
}

impl Host for Recorder {
    fn is_cancelled(&self) -> bool {
        false
    }
    fn on_cancel(&self, _waker: CancelWakerBox) {}
    fn log(&self, _level: u8, _message: RStr<'_>) {}
    fn progress(&self, event: &Progress) {
        self.progress
            .lock()
            .unwrap()
            .push((event.stage.0, event.message.to_string()));
    }
    fn text(&self, delta: RStr<'_>) {
        self.text.lock().unwrap().push_str(delta.as_str());
    }
    fn open_output(&self, _: u32, _: RStr<'_>, _: ROption<u64>) -> RResult<(), PluginError> {
        RResult::ROk(())
    }
    fn write_output(&self, _: u32, _: RSlice<'_, u8>) -> RResult<(), PluginError> {
        RResult::ROk(())
    }
}

fn context(server: &FakeServer) -> String {
    serde_json::to_string(&Context {
        api_key: Some(server.api_key()),
        base_url: server.base_url(),
        timeout_ms: 20_000,
        ..Default::default()
    })
    .unwrap()
}

/// Runs `op` with `request` and these blobs against `server`.
fn call(
    server: &FakeServer,
    op: &str,
    request: Value,
    blobs: &[&[u8]],
    host: &Recorder,
) -> Result<Value, PluginError> {
    let slices: Vec<RSlice<'_, u8>> = blobs.iter().map(|b| RSlice::from_slice(b)).collect();
    dispatch(
        || &OpenAiCompatible,
        &RUNTIME,
        op,
        &context(server),
        &request.to_string(),
        RSlice::from_slice(&slices),
        Host_TO::from_ptr(host, TD_Opaque),
    )
    .into_result()
    .map(|s| serde_json::from_str(&s).unwrap())
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[track_caller]
fn assert_conforms(server: &FakeServer) {
    if let Some(v) = server.schema_violations() {
        assert!(v.is_empty(), "requests outside the spec:\n{}", v.join("\n"));
    }
}

#[test]
fn chat_sends_attachments_as_openai_content_parts() {
    let server = FakeServer::start().unwrap();
    let wav = sample_wav();
    let pdf = b"%PDF-1.4 fake".to_vec();
    let answer = call(
        &server,
        "chat",
        json!({"model": "local/gemma3", "reasoning": "low", "provider_json": "{\"order\":[\"x\"]}",
               "messages": [{"role": "user", "content": "what is this?", "parts": [
                   {"kind": "image", "input": {"blob": 0, "media_type": "image/png", "name": "cat.png"}},
                   {"kind": "audio", "input": {"blob": 1, "media_type": "audio/wav", "name": "a.wav"}},
                   {"kind": "file", "input": {"blob": 2, "media_type": "application/pdf", "name": "/tmp/report.pdf"}},
                   {"kind": "image", "input": {"url": "https://example.org/dog.jpg"}}
               ]}]}),
        &[&sample_png(), &wav, &pdf],
        &Recorder::default(),
    )
    .unwrap();
    assert_eq!(
        answer["text"],
        "Hello from gemma3. You said: what is this? [attached: image, audio/wav, file report.pdf, image]"
    );
    let body = server.requests_to("/api/v1/chat/completions")[0]
        .json()
        .unwrap();
    let content = &body["messages"][0]["content"];
    assert_eq!(content[0], json!({"type": "text", "text": "what is this?"}));
    assert_eq!(
        content[1]["image_url"]["url"],
        format!("data:image/png;base64,{}", b64(&sample_png()))
    );
    assert_eq!(
        content[2],
        json!({"type": "input_audio", "input_audio": {"data": b64(&wav), "format": "wav"}})
    );
    assert_eq!(
        content[3],
        json!({"type": "file", "file": {"filename": "report.pdf",
               "file_data": format!("data:application/pdf;base64,{}", b64(&pdf))}})
    );
    assert_eq!(
        content[4]["image_url"]["url"],
        "https://example.org/dog.jpg"
    );
    assert_eq!(body["reasoning_effort"], "low");
    assert!(body.get("provider").is_none(), "no routing for one server");
    assert_conforms(&server);
}

#[test]
fn a_json_schema_answer_is_asked_for_and_returned_as_text() {
    let server = FakeServer::start().unwrap();
    let req = json!({"model": "local/qwen2.5", "messages": [{"role": "user", "content": "a city"}],
        "response_format": {"name": "city", "strict": true,
            "schema_json": "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"population\":{\"type\":\"integer\"}},\"required\":[\"name\",\"population\"],\"additionalProperties\":false}"}});
    let answer = call(&server, "chat", req.clone(), &[], &Recorder::default()).unwrap();
    let v: Value = serde_json::from_str(answer["text"].as_str().unwrap()).unwrap();
    assert_eq!(v, json!({"name": "sample", "population": 1}));
    let body = server.requests_to("/api/v1/chat/completions")[0]
        .json()
        .unwrap();
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["name"], "city");
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    assert_eq!(
        body["response_format"]["json_schema"]["schema"]["required"],
        json!(["name", "population"])
    );
    // A model that ignores the schema: its text is returned as is (the host checks it).
    server.script(Route::Chat, [Step::SchemaViolation]);
    let answer = call(&server, "chat", req, &[], &Recorder::default()).unwrap();
    assert!(answer["text"].as_str().unwrap().starts_with('"'));
    assert_conforms(&server);
}

#[test]
fn bad_attachments_are_refused_before_anything_is_sent() {
    let server = FakeServer::start().unwrap();
    for (parts, needle) in [
        (
            json!([{"kind": "audio", "input": {"blob": 0, "name": "noise.bin"}}]),
            "audio format",
        ),
        (
            json!([{"kind": "video", "input": {"blob": 0}}]),
            "unknown attachment kind",
        ),
        (json!([{"kind": "image", "input": {"blob": 3}}]), "input #3"),
    ] {
        let e = call(
            &server,
            "chat",
            json!({"model": "local/gemma3", "messages": [{"role": "user", "content": "x", "parts": parts}]}),
            &[b"data"],
            &Recorder::default(),
        )
        .unwrap_err();
        assert!(
            matches!(e.kind, ErrorKind::INVALID_INPUT | ErrorKind::INTERNAL),
            "{}",
            e.message
        );
        assert!(e.message.contains(needle), "{needle}: {}", e.message);
    }
    let e = call(
        &server,
        "chat",
        json!({"model": "local/x", "messages": [{"role": "user", "content": "x"}],
               "response_format": {"name": "n", "schema_json": "not json"}}),
        &[],
        &Recorder::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
    assert!(server.requests().is_empty());
}

fn transcribe(
    server: &FakeServer,
    format: Option<&str>,
) -> Result<TranscribeResponse, PluginError> {
    let mut req = json!({"model": "local/whisper-1", "language": "en",
        "audio": {"blob": 0, "media_type": "audio/wav", "name": "/home/u/talk.wav"}});
    if let Some(f) = format {
        req["format"] = json!(f);
    }
    call(
        server,
        "transcribe",
        req,
        &[&sample_wav()],
        &Recorder::default(),
    )
    .map(|v| serde_json::from_value(v).unwrap())
}

#[test]
fn transcription_is_a_multipart_upload() {
    let server = FakeServer::start().unwrap();
    let t = transcribe(&server, None).unwrap();
    let wav = sample_wav();
    assert_eq!(t.format, "text");
    assert_eq!(
        t.text,
        format!(
            "Transcribed {} bytes of wav audio. Language: en.",
            wav.len()
        )
    );
    assert!(t.duration_s.is_some_and(|d| d > 0.0));
    assert!(t.usage.cost.is_some());
    let req = &server.requests_to("/api/v1/audio/transcriptions")[0];
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {}", server.api_key()).as_str())
    );
    assert!(req
        .header("content-type")
        .unwrap()
        .starts_with("multipart/form-data; boundary="));
    let form = req.form().expect("a multipart form");
    let names: Vec<&str> = form.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["file", "model", "language", "response_format"]);
    assert_eq!(form[0].filename.as_deref(), Some("talk.wav"));
    assert_eq!(form[0].content_type.as_deref(), Some("audio/wav"));
    assert_eq!(form[0].data, wav);
    assert_eq!(form[1].text(), "whisper-1");
    assert_eq!(form[2].text(), "en");
    assert_eq!(form[3].text(), "json");
    assert_conforms(&server);

    let j = transcribe(&server, Some("json")).unwrap();
    let v: Value = serde_json::from_str(&j.text).unwrap();
    assert_eq!(v["text"], t.text);
    assert_eq!(j.format, "json");
}

#[test]
fn subtitles_are_asked_for_as_srt_and_vtt() {
    let server = FakeServer::start().unwrap();
    server.script(
        Route::Transcriptions,
        [Step::Transcript("one two three four".into())],
    );
    let srt = transcribe(&server, Some("srt")).unwrap();
    assert_eq!(srt.format, "srt");
    assert!(srt.text.starts_with("1\n00:00:00,000 --> "), "{}", srt.text);
    assert!(srt.text.contains("\none two\n\n2\n"), "{}", srt.text);
    let vtt = transcribe(&server, Some("vtt")).unwrap();
    assert!(
        vtt.text.starts_with("WEBVTT\n\n00:00:00.000 --> "),
        "{}",
        vtt.text
    );
    let forms: Vec<String> = server
        .requests_to("/api/v1/audio/transcriptions")
        .iter()
        .map(|r| r.form().unwrap()[3].text())
        .collect();
    assert_eq!(forms, ["srt", "vtt"]);
    // OpenAI's form takes srt and vtt; OpenRouter's spec lists json and
    // verbose_json only, so those are the only differences the validator finds.
    let v = server.schema_violations().unwrap_or_default();
    assert!(v.iter().all(|e| e.contains("/response_format")), "{v:?}");
}

#[test]
fn transcription_errors_are_typed() {
    let server = FakeServer::start().unwrap();
    let e = transcribe(&server, Some("docx")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
    let e = call(
        &server,
        "transcribe",
        json!({"model": "local/whisper-1", "audio": {"url": "https://x/a.wav"}}),
        &[],
        &Recorder::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
    let e = call(
        &server,
        "transcribe",
        json!({"model": "local/whisper-1", "audio": {"blob": 0, "name": "notes"}}),
        &[&sample_wav()],
        &Recorder::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
    assert!(e.message.contains("audio format"), "{}", e.message);
    assert!(server.requests().is_empty(), "refused before sending");
    server.script(
        Route::Transcriptions,
        [Step::Status {
            code: 401,
            retry_after: None,
            message: None,
        }],
    );
    assert_eq!(transcribe(&server, None).unwrap_err().kind, ErrorKind::AUTH);
    let e = call(
        &server,
        "transcribe",
        json!({"model": "local/missing-whisper", "audio": {"blob": 0, "media_type": "audio/wav"}}),
        &[&sample_wav()],
        &Recorder::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::MODEL_UNAVAILABLE);
    server.script(
        Route::Transcriptions,
        [Step::Malformed {
            status: 200,
            content_type: "application/json".into(),
            body: "{\"task\":\"transcribe\"}".into(),
        }],
    );
    assert_eq!(
        transcribe(&server, None).unwrap_err().kind,
        ErrorKind::UPSTREAM
    );
}

fn embed(
    server: &FakeServer,
    inputs: &[String],
    host: &Recorder,
) -> Result<EmbedResponse, PluginError> {
    call(
        server,
        "embed",
        json!({"model": "local/nomic-embed-text", "inputs": inputs, "dimensions": 4}),
        &[],
        host,
    )
    .map(|v| serde_json::from_value(v).unwrap())
}

#[test]
fn embeddings_are_batched_and_kept_in_order() {
    let server = FakeServer::start().unwrap();
    let inputs: Vec<String> = (0..600).map(|i| format!("text number {i}")).collect();
    let host = Recorder::default();
    let all = embed(&server, &inputs, &host).unwrap();
    assert_eq!(all.vectors.len(), 600);
    assert_eq!(all.model, "nomic-embed-text");
    let reqs = server.requests_to("/api/v1/embeddings");
    let sizes: Vec<usize> = reqs
        .iter()
        .map(|r| r.json().unwrap()["input"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [256, 256, 88]);
    assert_eq!(reqs[0].json().unwrap()["dimensions"], 4);
    assert_eq!(reqs[1].json().unwrap()["input"][0], "text number 256");
    // Each vector is the one of its own input, whatever the batch.
    let single = embed(&server, &inputs[300..301], &Recorder::default()).unwrap();
    assert_eq!(single.vectors[0], all.vectors[300]);
    assert_eq!(all.vectors[0].len(), 4);
    let tokens: u64 = inputs.iter().map(|t| (t.len() as u64).div_ceil(4)).sum();
    assert_eq!(all.usage.prompt_tokens, Some(tokens));
    let progress = host.progress.lock().unwrap();
    assert_eq!(progress.len(), 3);
    assert!(progress.iter().all(|(s, _)| *s == Stage::PARTIAL.0));
    assert_eq!(progress[2].1, "embedded 600 of 600 inputs");
    // An answer in another order is put back in input order.
    server.script(Route::Embeddings, [Step::EmbeddingsReversed]);
    let again = embed(&server, &inputs[..3], &Recorder::default()).unwrap();
    assert_eq!(again.vectors, all.vectors[..3].to_vec());
    assert_conforms(&server);
}

#[test]
fn embedding_errors_are_typed() {
    let server = FakeServer::start().unwrap();
    let e = embed(&server, &[], &Recorder::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
    let e = embed(&server, &["a".into(), String::new()], &Recorder::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
    assert!(server.requests().is_empty());
    server.script(
        Route::Embeddings,
        [Step::Status {
            code: 429,
            retry_after: Some(3),
            message: None,
        }],
    );
    let e = embed(&server, &["a".into()], &Recorder::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::RATE_LIMITED);
    assert_eq!(e.retry_after_ms.into_option(), Some(3000));
    server.script(
        Route::Embeddings,
        [Step::Malformed {
            status: 200,
            content_type: "application/json".into(),
            body: json!({"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.1]}], "model": "m"}).to_string(),
        }],
    );
    let e = embed(&server, &["a".into(), "b".into()], &Recorder::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UPSTREAM);
    assert!(
        e.message.contains("1 vectors for 2 inputs"),
        "{}",
        e.message
    );
    // A failure in a later batch fails the call (no partial vectors).
    let inputs: Vec<String> = (0..300).map(|i| format!("t{i}")).collect();
    server.script(
        Route::Embeddings,
        [
            Step::Delay(std::time::Duration::ZERO),
            Step::Status {
                code: 500,
                retry_after: None,
                message: None,
            },
        ],
    );
    let e = embed(&server, &inputs, &Recorder::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UPSTREAM);
}

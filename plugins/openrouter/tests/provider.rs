//! The OpenRouter provider driven through the kit's `call` entry point
//! (JSON documents and blobs in, JSON out, the plugin's own runtime)
//! against the fake OpenRouter on loopback, with a recording host: the
//! plugin API 2.1 operations and fields. Every request the plugin sends is
//! checked against the OpenAPI spec by the fake's schema validator.

use base64::Engine as _;
use fake_openrouter::{sample_png, sample_wav, FakeServer, Route, Step};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Mutex;
use switchyard_openrouter::OpenRouter;
use switchyard_provider_kit::api::abi_stable::sabi_trait::TD_Opaque;
use switchyard_provider_kit::api::doc::{
    Catalog, Context, EmbedResponse, ImageResponse, ModelInfo, TranscribeResponse, VideoJob,
};
use switchyard_provider_kit::api::{
    CancelWakerBox, ErrorKind, Host, Host_TO, PluginError, Progress, ROption, RResult, RSlice,
    RStr, Stage,
};
use switchyard_provider_kit::export::dispatch;
use switchyard_provider_kit::runtime::PluginRuntime;

static RUNTIME: PluginRuntime = PluginRuntime::new("openrouter-test");

/// What the plugin sent to the host during one call.
#[derive(Default)]
struct Recorder {
    text: Mutex<String>,
    logs: Mutex<Vec<String>>,
    progress: Mutex<Vec<(u8, u32, String)>>,
    outputs: Mutex<BTreeMap<u32, (String, Vec<u8>)>>,
}

impl Host for Recorder {
    fn is_cancelled(&self) -> bool {
        false
    }
    fn on_cancel(&self, _waker: CancelWakerBox) {}
    fn log(&self, _level: u8, message: RStr<'_>) {
        self.logs.lock().unwrap().push(message.to_string());
    }
    fn progress(&self, event: &Progress) {
        self.progress
            .lock()
            .unwrap()
            .push((event.stage.0, event.index, event.message.to_string()));
    }
    fn text(&self, delta: RStr<'_>) {
        self.text.lock().unwrap().push_str(delta.as_str());
    }
    fn open_output(
        &self,
        index: u32,
        media_type: RStr<'_>,
        _declared_len: ROption<u64>,
    ) -> RResult<(), PluginError> {
        self.outputs
            .lock()
            .unwrap()
            .insert(index, (media_type.to_string(), Vec::new()));
        RResult::ROk(())
    }
    fn write_output(&self, index: u32, data: RSlice<'_, u8>) -> RResult<(), PluginError> {
        if let Some((_, bytes)) = self.outputs.lock().unwrap().get_mut(&index) {
            bytes.extend_from_slice(data.as_slice());
        }
        RResult::ROk(())
    }
}

fn context(server: &FakeServer, settings: Value) -> String {
    serde_json::to_string(&Context {
        api_key: Some(server.api_key()),
        base_url: server.base_url(),
        timeout_ms: 20_000,
        poll_interval_ms: 10,
        settings_json: settings.to_string(),
        ..Default::default()
    })
    .unwrap()
}

/// Runs `op` with `request`, these blobs and these settings against `server`.
fn call_with(
    server: &FakeServer,
    settings: Value,
    op: &str,
    request: Value,
    blobs: &[&[u8]],
    host: &Recorder,
) -> Result<Value, PluginError> {
    let slices: Vec<RSlice<'_, u8>> = blobs.iter().map(|b| RSlice::from_slice(b)).collect();
    dispatch(
        || &OpenRouter,
        &RUNTIME,
        op,
        &context(server, settings),
        &request.to_string(),
        RSlice::from_slice(&slices),
        Host_TO::from_ptr(host, TD_Opaque),
    )
    .into_result()
    .map(|s| serde_json::from_str(&s).unwrap())
}

fn call(
    server: &FakeServer,
    op: &str,
    request: Value,
    blobs: &[&[u8]],
    host: &Recorder,
) -> Result<Value, PluginError> {
    call_with(server, json!({}), op, request, blobs, host)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn bodies(server: &FakeServer, path: &str) -> Vec<Value> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path_only() == path)
        .map(|r| r.json().expect("a JSON body"))
        .collect()
}

#[track_caller]
fn assert_conforms(server: &FakeServer) {
    if let Some(v) = server.schema_violations() {
        assert!(v.is_empty(), "requests outside the spec:\n{}", v.join("\n"));
    }
}

const CHAT: &str = "/api/v1/chat/completions";
const IMAGES: &str = "/api/v1/images";
const STT: &str = "/api/v1/audio/transcriptions";
const EMBED: &str = "/api/v1/embeddings";

// ------------------------------------------------------------------- chat

#[test]
fn chat_sends_parts_schema_reasoning_and_provider_routing() {
    let server = FakeServer::start().unwrap();
    let wav = sample_wav();
    let pdf = b"%PDF-1.4 fake".to_vec();
    let answer = call(
        &server,
        "chat",
        json!({"model": "openrouter/google/gemini-2.5-flash", "reasoning": "High",
               "provider_json": "{\"order\":[\"google-vertex\"],\"allow_fallbacks\":false}",
               "response_format": {"name": "summary", "strict": true,
                   "schema_json": "{\"type\":\"object\",\"properties\":{\"summary\":{\"type\":\"string\"}},\"required\":[\"summary\"],\"additionalProperties\":false}"},
               "messages": [
                   {"role": "system", "content": "be brief"},
                   {"role": "user", "content": "summarize", "parts": [
                       {"kind": "image", "input": {"blob": 0, "media_type": "image/png"}},
                       {"kind": "audio", "input": {"blob": 1, "name": "memo.wav"}},
                       {"kind": "file", "input": {"blob": 2, "media_type": "application/pdf", "name": "report.pdf"}},
                       {"kind": "audio", "input": {"blob": 1}, "format": "mp3"}
                   ]}]}),
        &[&sample_png(), &wav, &pdf],
        &Recorder::default(),
    )
    .unwrap();
    let v: Value = serde_json::from_str(answer["text"].as_str().unwrap()).unwrap();
    assert_eq!(v, json!({"summary": "sample"}));
    let body = &bodies(&server, CHAT)[0];
    assert_eq!(body["model"], "google/gemini-2.5-flash");
    let content = &body["messages"][1]["content"];
    assert_eq!(content[0], json!({"type": "text", "text": "summarize"}));
    assert_eq!(
        content[1]["image_url"]["url"],
        format!("data:image/png;base64,{}", b64(&sample_png()))
    );
    assert_eq!(
        content[2]["input_audio"],
        json!({"data": b64(&wav), "format": "wav"})
    );
    assert_eq!(content[3]["file"]["filename"], "report.pdf");
    assert_eq!(
        content[3]["file"]["file_data"],
        format!("data:application/pdf;base64,{}", b64(&pdf))
    );
    assert_eq!(content[4]["input_audio"]["format"], "mp3");
    assert_eq!(body["reasoning"], json!({"effort": "high"}));
    assert!(body.get("reasoning_effort").is_none());
    assert_eq!(
        body["provider"],
        json!({"order": ["google-vertex"], "allow_fallbacks": false})
    );
    assert_eq!(body["response_format"]["json_schema"]["name"], "summary");
    assert_conforms(&server);
}

#[test]
fn provider_routing_comes_from_the_request_then_the_settings_and_params_win() {
    let server = FakeServer::start().unwrap();
    let settings =
        json!({"apiKey": "ignored-here", "provider": {"sort": "price", "data_collection": "deny"}});
    let req = |extra: Value| {
        let mut r = json!({"model": "openrouter/openai/gpt-4o-mini",
                           "messages": [{"role": "user", "content": "hi"}]});
        if let (Value::Object(r), Value::Object(e)) = (&mut r, extra) {
            r.extend(e);
        }
        r
    };
    let host = Recorder::default();
    call_with(
        &server,
        settings.clone(),
        "chat",
        req(json!({})),
        &[],
        &host,
    )
    .unwrap();
    call_with(
        &server,
        settings.clone(),
        "chat",
        req(json!({"provider_json": "{\"only\":[\"openai\"]}"})),
        &[],
        &host,
    )
    .unwrap();
    call_with(
        &server,
        settings.clone(),
        "chat",
        req(json!({"provider_json": "{\"only\":[\"openai\"]}",
                   "params": {"provider": "{\"order\":[\"azure\"]}"}})),
        &[],
        &host,
    )
    .unwrap();
    call(&server, "chat", req(json!({})), &[], &host).unwrap();
    let sent: Vec<Value> = bodies(&server, CHAT)
        .iter()
        .map(|b| b.get("provider").cloned().unwrap_or(Value::Null))
        .collect();
    assert_eq!(
        sent,
        [
            json!({"sort": "price", "data_collection": "deny"}),
            json!({"only": ["openai"]}),
            json!({"order": ["azure"]}),
            Value::Null
        ]
    );
    assert_conforms(&server);
    // Bad preferences are refused before anything is sent.
    let before = server.requests().len();
    let e = call(
        &server,
        "chat",
        req(json!({"provider_json": "[\"openai\"]"})),
        &[],
        &host,
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
    let e = call_with(
        &server,
        json!({"provider": "openai"}),
        "chat",
        req(json!({})),
        &[],
        &host,
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
    assert_eq!(server.requests().len(), before);
}

#[test]
fn a_streamed_schema_answer_keeps_asking_usage() {
    let server = FakeServer::start().unwrap();
    let host = Recorder::default();
    let answer = call(
        &server,
        "chat",
        json!({"model": "openrouter/openai/gpt-4o-mini", "stream": true, "reasoning": "low",
               "messages": [{"role": "user", "content": "list"}],
               "response_format": {"name": "l", "schema_json": "{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":2}"}}),
        &[],
        &host,
    )
    .unwrap();
    assert_eq!(answer["text"], "[1,1]");
    assert_eq!(host.text.lock().unwrap().as_str(), "[1,1]");
    assert!(answer["usage"]["completion_tokens"].as_u64().is_some());
    let body = &bodies(&server, CHAT)[0];
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["reasoning"]["effort"], "low");
    assert_conforms(&server);
}

#[test]
fn a_params_reasoning_wins_and_bad_attachments_are_refused() {
    let server = FakeServer::start().unwrap();
    call(
        &server,
        "chat",
        json!({"model": "openrouter/openai/gpt-4o-mini", "reasoning": "high",
               "params": {"reasoning_effort": "\"minimal\""},
               "messages": [{"role": "user", "content": "x"}]}),
        &[],
        &Recorder::default(),
    )
    .unwrap();
    let body = &bodies(&server, CHAT)[0];
    assert_eq!(body["reasoning_effort"], "minimal");
    assert!(body.get("reasoning").is_none());
    let before = server.requests().len();
    for part in [
        json!({"kind": "audio", "input": {"url": "https://x/a.wav"}}),
        json!({"kind": "sticker", "input": {"blob": 0}}),
    ] {
        let e = call(
            &server,
            "chat",
            json!({"model": "openrouter/openai/gpt-4o-mini",
                   "messages": [{"role": "user", "content": "x", "parts": [part]}]}),
            &[b"x"],
            &Recorder::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::INVALID_INPUT, "{}", e.message);
    }
    assert_eq!(server.requests().len(), before);
}

// ----------------------------------------------------------------- images

fn image(
    server: &FakeServer,
    req: Value,
    blobs: &[&[u8]],
    host: &Recorder,
) -> Result<ImageResponse, PluginError> {
    call(server, "image", req, blobs, host).map(|v| serde_json::from_value(v).unwrap())
}

#[test]
fn image_api_models_use_post_images_with_every_field() {
    let server = FakeServer::start().unwrap();
    let host = Recorder::default();
    let answer = image(
        &server,
        json!({"model": "openrouter/bytedance-seed/seedream-4.5", "prompt": "a red panda",
               "count": 2, "seed": 42, "size": "2K", "aspect_ratio": "16:9",
               "inputs": [{"blob": 0, "media_type": "image/png"}, {"url": "https://example.org/ref.jpg"}]}),
        &[&sample_png()],
        &host,
    )
    .unwrap();
    assert_eq!(answer.images, 2);
    assert_eq!(answer.usage.cost, Some(0.1));
    let outputs = host.outputs.lock().unwrap();
    assert_eq!(outputs[&0], ("image/png".to_string(), sample_png()));
    assert_eq!(outputs[&1].1, sample_png());
    let body = &bodies(&server, IMAGES)[0];
    assert_eq!(
        body,
        &json!({"model": "bytedance-seed/seedream-4.5", "prompt": "a red panda", "n": 2, "seed": 42,
        "resolution": "2K", "aspect_ratio": "16:9",
        "input_references": [
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", b64(&sample_png()))}},
            {"type": "image_url", "image_url": {"url": "https://example.org/ref.jpg"}}
        ]})
    );
    assert!(bodies(&server, CHAT).is_empty(), "not the chat route");
    // The model list is fetched once per base URL for the process.
    let listings = || server.requests_to("/api/v1/images/models").len();
    let seen = listings();
    assert!(seen <= 1);
    image(
        &server,
        json!({"model": "openrouter/bytedance-seed/seedream-4.5", "prompt": "again", "size": "1024x768", "quality": "high"}),
        &[],
        &Recorder::default(),
    )
    .unwrap();
    assert_eq!(listings(), seen);
    let body = &bodies(&server, IMAGES)[1];
    assert_eq!(body["size"], "1024x768");
    assert_eq!(body["quality"], "high");
    assert!(body.get("resolution").is_none());
    assert_conforms(&server);
}

#[test]
fn streaming_image_models_report_partial_images() {
    let server = FakeServer::start().unwrap();
    let host = Recorder::default();
    let answer = image(
        &server,
        json!({"model": "openrouter/openai/gpt-5-image", "prompt": "a boat", "count": 2, "quality": "low"}),
        &[],
        &host,
    )
    .unwrap();
    assert_eq!(answer.images, 2);
    assert_eq!(answer.usage.cost, Some(0.08));
    assert_eq!(bodies(&server, IMAGES)[0]["stream"], true);
    let partial: Vec<(u32, String)> = host
        .progress
        .lock()
        .unwrap()
        .iter()
        .filter(|(s, _, _)| *s == Stage::PARTIAL.0)
        .map(|(_, i, m)| (*i, m.clone()))
        .collect();
    assert_eq!(
        partial,
        [
            (0, "partial image 1 of image 1".to_string()),
            (0, "partial image 2 of image 1".to_string()),
            (1, "partial image 1 of image 2".to_string()),
            (1, "partial image 2 of image 2".to_string())
        ]
    );
    assert_eq!(host.outputs.lock().unwrap()[&1].1, sample_png());
    // An error event in the stream ends the call with its typed error.
    server.script(
        Route::ImageApi,
        [Step::SseMidStreamError {
            after_chunks: 1,
            code: json!(502),
            error_type: None,
        }],
    );
    let e = image(
        &server,
        json!({"model": "openrouter/openai/gpt-5-image", "prompt": "a boat"}),
        &[],
        &Recorder::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::UPSTREAM, "{}", e.message);
    assert!(
        e.message.contains("Provider returned error"),
        "{}",
        e.message
    );
    assert_conforms(&server);
}

#[test]
fn chat_image_models_keep_the_chat_route_with_inputs_seed_quality_and_count() {
    let server = FakeServer::start().unwrap();
    let host = Recorder::default();
    let answer = image(
        &server,
        json!({"model": "openrouter/google/gemini-3.1-flash-image-preview", "prompt": "edit this",
               "count": 2, "seed": 7, "quality": "high", "aspect_ratio": "1:1",
               "inputs": [{"blob": 0, "media_type": "image/png"}]}),
        &[&sample_png()],
        &host,
    )
    .unwrap();
    assert_eq!(answer.images, 2);
    assert_eq!(answer.text, "Here is your image.\nHere is your image.");
    assert!(answer.usage.total_tokens.is_some());
    assert_eq!(host.outputs.lock().unwrap().len(), 2);
    let sent = bodies(&server, CHAT);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0]["seed"], 7);
    assert_eq!(
        sent[0]["image_config"],
        json!({"aspect_ratio": "1:1", "quality": "high"})
    );
    assert_eq!(
        sent[0]["messages"][0]["content"][0],
        json!({"type": "text", "text": "edit this"})
    );
    assert_eq!(sent[0]["messages"][0]["content"][1]["type"], "image_url");
    assert!(bodies(&server, IMAGES).is_empty());
    assert_conforms(&server);
}

#[test]
fn image_errors_are_typed() {
    let server = FakeServer::start().unwrap();
    let seedream = |extra: Value| {
        let mut r = json!({"model": "openrouter/bytedance-seed/seedream-4.5", "prompt": "p"});
        if let (Value::Object(r), Value::Object(e)) = (&mut r, extra) {
            r.extend(e);
        }
        r
    };
    for bad in [
        json!({"count": 11}),
        json!({"count": 0}),
        json!({"prompt": " "}),
    ] {
        let e = image(&server, seedream(bad.clone()), &[], &Recorder::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::INVALID_INPUT, "{bad}");
    }
    let inputs: Vec<Value> = (0..17).map(|_| json!({"url": "https://x/r.png"})).collect();
    let e = image(
        &server,
        seedream(json!({"inputs": inputs})),
        &[],
        &Recorder::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
    assert!(bodies(&server, IMAGES).is_empty());
    server.script(Route::ImageApi, [Step::NoImages]);
    let e = image(&server, seedream(json!({})), &[], &Recorder::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::JOB_FAILED);
    server.script(
        Route::ImageApi,
        [Step::Status {
            code: 402,
            retry_after: None,
            message: None,
        }],
    );
    let e = image(&server, seedream(json!({})), &[], &Recorder::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BILLING);
    assert!(e.message.contains("openrouter.ai/credits"), "{}", e.message);
    // The API refuses what the model cannot do (here: more images than it makes).
    let e = image(
        &server,
        seedream(json!({"count": 5})),
        &[],
        &Recorder::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::INVALID_REQUEST);
    assert_eq!(e.status.into_option(), Some(400));
}

#[test]
fn without_the_image_model_list_the_manifest_decides_the_route() {
    let server = FakeServer::start().unwrap();
    server.script(
        Route::ImageModels,
        [Step::Status {
            code: 503,
            retry_after: None,
            message: None,
        }],
    );
    let host = Recorder::default();
    // A fresh base URL spelling, so no listing of an earlier test is cached.
    let base = server.base_url().replace("/api/v1", "/api/./v1");
    let ctx = serde_json::to_string(&Context {
        api_key: Some(server.api_key()),
        base_url: base,
        timeout_ms: 20_000,
        ..Default::default()
    })
    .unwrap();
    let r = dispatch(
        || &OpenRouter,
        &RUNTIME,
        "image",
        &ctx,
        &json!({"model": "openrouter/bytedance-seed/seedream-4.5", "prompt": "p"}).to_string(),
        RSlice::from_slice(&[]),
        Host_TO::from_ptr(&host, TD_Opaque),
    )
    .into_result();
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(bodies(&server, IMAGES).len(), 1);
    assert!(
        host.logs
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("the manifest decides")),
        "{:?}",
        host.logs.lock().unwrap()
    );
}

// ---------------------------------------------------------- transcription

fn transcribe(
    server: &FakeServer,
    req: Value,
    host: &Recorder,
) -> Result<TranscribeResponse, PluginError> {
    call(server, "transcribe", req, &[&sample_wav()], host)
        .map(|v| serde_json::from_value(v).unwrap())
}

fn stt(format: Option<&str>) -> Value {
    let mut r = json!({"model": "openrouter/openai/whisper-large-v3", "language": "en",
                       "audio": {"blob": 0, "media_type": "audio/wav", "name": "talk.wav"}});
    if let Some(f) = format {
        r["format"] = json!(f);
    }
    r
}

#[test]
fn transcription_sends_base64_audio_as_json() {
    let server = FakeServer::start().unwrap();
    let wav = sample_wav();
    let t = transcribe(&server, stt(None), &Recorder::default()).unwrap();
    assert_eq!(t.format, "text");
    assert_eq!(
        t.text,
        format!(
            "Transcribed {} bytes of wav audio. Language: en.",
            wav.len()
        )
    );
    assert!(t.duration_s.is_some_and(|d| d > 0.0));
    assert!(t.usage.cost.is_some() && t.usage.prompt_tokens.is_some());
    let body = &bodies(&server, STT)[0];
    assert_eq!(
        body,
        &json!({"model": "openai/whisper-large-v3", "input_audio": {"data": b64(&wav), "format": "wav"},
                "language": "en", "response_format": "json"})
    );
    let j = transcribe(&server, stt(Some("json")), &Recorder::default()).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&j.text).unwrap()["text"],
        t.text
    );
    assert_conforms(&server);
}

#[test]
fn subtitles_are_built_from_verbose_json_segments() {
    let server = FakeServer::start().unwrap();
    server.script(
        Route::Transcriptions,
        [
            Step::Transcript("one two three four".into()),
            Step::Transcript("one two three four".into()),
        ],
    );
    let srt = transcribe(&server, stt(Some("srt")), &Recorder::default()).unwrap();
    assert_eq!(srt.format, "srt");
    assert!(srt.text.starts_with("1\n00:00:00,000 --> "), "{}", srt.text);
    assert!(srt.text.contains("\none two\n\n2\n"), "{}", srt.text);
    assert!(srt.text.ends_with("\nthree four\n\n"), "{}", srt.text);
    assert_eq!(srt.language.as_deref(), Some("en"));
    let vtt = transcribe(&server, stt(Some("vtt")), &Recorder::default()).unwrap();
    assert!(
        vtt.text.starts_with("WEBVTT\n\n00:00:00.000 --> "),
        "{}",
        vtt.text
    );
    let sent: Vec<Value> = bodies(&server, STT)
        .iter()
        .map(|b| b["response_format"].clone())
        .collect();
    assert_eq!(sent, [json!("verbose_json"), json!("verbose_json")]);
    assert_conforms(&server);
}

#[test]
fn transcription_errors_are_typed() {
    let server = FakeServer::start().unwrap();
    server.script(
        Route::Transcriptions,
        [Step::Malformed {
            status: 200,
            content_type: "application/json".into(),
            body: "{\"text\":\"no timestamps here\"}".into(),
        }],
    );
    let e = transcribe(&server, stt(Some("srt")), &Recorder::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UNSUPPORTED);
    let before = server.requests().len();
    for bad in [
        json!({"model": "openrouter/openai/whisper-large-v3", "audio": {"url": "https://x/a.wav"}}),
        json!({"model": "openrouter/openai/whisper-large-v3", "audio": {"blob": 0, "name": "memo"}}),
        json!({"model": "openrouter/openai/whisper-large-v3", "audio": {"blob": 0, "name": "a.wav"}, "format": "docx"}),
    ] {
        let e = transcribe(&server, bad.clone(), &Recorder::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::INVALID_INPUT, "{bad}");
    }
    assert_eq!(server.requests().len(), before, "refused before sending");
    server.script(
        Route::Transcriptions,
        [Step::Status {
            code: 429,
            retry_after: Some(2),
            message: None,
        }],
    );
    let e = transcribe(&server, stt(None), &Recorder::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::RATE_LIMITED);
    assert_eq!(e.retry_after_ms.into_option(), Some(2000));
    let mut missing = stt(None);
    missing["model"] = json!("openrouter/openai/missing-whisper");
    let e = transcribe(&server, missing, &Recorder::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MODEL_UNAVAILABLE);
}

// ------------------------------------------------------------- embeddings

#[test]
fn embeddings_are_batched_in_order_with_routing_and_dimensions() {
    let server = FakeServer::start().unwrap();
    let inputs: Vec<String> = (0..300).map(|i| format!("sentence {i}")).collect();
    let host = Recorder::default();
    let answer: EmbedResponse = serde_json::from_value(
        call_with(
            &server,
            json!({"provider": {"order": ["openai"], "allow_fallbacks": false}}),
            "embed",
            json!({"model": "openrouter/openai/text-embedding-3-small", "inputs": inputs, "dimensions": 16}),
            &[],
            &host,
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(answer.vectors.len(), 300);
    assert!(answer.vectors.iter().all(|v| v.len() == 16));
    assert_eq!(answer.model, "openai/text-embedding-3-small");
    let sent = bodies(&server, EMBED);
    let sizes: Vec<usize> = sent
        .iter()
        .map(|b| b["input"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [256, 44]);
    assert_eq!(sent[1]["input"][0], "sentence 256");
    assert_eq!(
        sent[0]["provider"],
        json!({"order": ["openai"], "allow_fallbacks": false})
    );
    assert_eq!(sent[0]["dimensions"], 16);
    assert_eq!(sent[0]["encoding_format"], "float");
    let tokens: u64 = inputs.iter().map(|t| (t.len() as u64).div_ceil(4)).sum();
    assert_eq!(answer.usage.prompt_tokens, Some(tokens));
    assert!(answer.usage.cost.is_some_and(|c| c > 0.0));
    // Vector 256 is the one its input gets on its own.
    let alone: EmbedResponse = serde_json::from_value(
        call(
            &server,
            "embed",
            json!({"model": "openrouter/openai/text-embedding-3-small", "inputs": ["sentence 256"], "dimensions": 16}),
            &[],
            &Recorder::default(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(alone.vectors[0], answer.vectors[256]);
    assert_eq!(
        host.progress.lock().unwrap().last().map(|p| p.2.clone()),
        Some("embedded 300 of 300 inputs".to_string())
    );
    assert_conforms(&server);
}

#[test]
fn embedding_errors_are_typed() {
    let server = FakeServer::start().unwrap();
    let embed = |inputs: Value| {
        call(
            &server,
            "embed",
            json!({"model": "openrouter/openai/text-embedding-3-small", "inputs": inputs}),
            &[],
            &Recorder::default(),
        )
    };
    assert_eq!(embed(json!([])).unwrap_err().kind, ErrorKind::INVALID_INPUT);
    assert_eq!(
        embed(json!(["a", ""])).unwrap_err().kind,
        ErrorKind::INVALID_INPUT
    );
    assert!(server.requests().is_empty());
    server.script(
        Route::Embeddings,
        [Step::ErrorBody {
            code: 401,
            body: r#"{"error":{"code":401,"message":"User not found."}}"#.into(),
            retry_after: None,
        }],
    );
    assert_eq!(embed(json!(["a"])).unwrap_err().kind, ErrorKind::AUTH);
    server.script(
        Route::Embeddings,
        [Step::Malformed {
            status: 200,
            content_type: "application/json".into(),
            body: r#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[1]},{"object":"embedding","index":0,"embedding":[2]}],"model":"m"}"#.into(),
        }],
    );
    let e = embed(json!(["a", "b"])).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UPSTREAM);
    assert!(e.message.contains("appears twice"), "{}", e.message);
    server.script(Route::Embeddings, [Step::EmbeddingsReversed]);
    let v: EmbedResponse = serde_json::from_value(embed(json!(["a", "b"])).unwrap()).unwrap();
    let a: EmbedResponse = serde_json::from_value(embed(json!(["a"])).unwrap()).unwrap();
    assert_eq!(v.vectors[0], a.vectors[0]);
}

// ------------------------------------------------------------------ video

#[test]
fn video_submit_sends_seed_audio_size_and_references() {
    let server = FakeServer::start().unwrap();
    let wav = sample_wav();
    let job: VideoJob = serde_json::from_value(
        call(
            &server,
            "video.submit",
            json!({"model": "openrouter/google/veo-3.1-fast", "prompt": "a cat surfing",
                   "duration": 8, "seed": 1234, "generate_audio": false, "size": "1280x720",
                   "references": [{"url": "https://example.org/cat.png"}],
                   "audio_references": [{"blob": 0, "media_type": "audio/wav"}],
                   "video_references": [{"url": "https://example.org/wave.mp4"}]}),
            &[&wav],
            &Recorder::default(),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(job.id.starts_with("job-"));
    let body = &bodies(&server, "/api/v1/videos")[0];
    assert_eq!(body["seed"], 1234);
    assert_eq!(body["generate_audio"], false);
    assert_eq!(body["size"], "1280x720");
    assert_eq!(
        body["input_references"],
        json!([
            {"type": "image_url", "image_url": {"url": "https://example.org/cat.png"}},
            {"type": "audio_url", "audio_url": {"url": format!("data:audio/wav;base64,{}", b64(&wav))}},
            {"type": "video_url", "video_url": {"url": "https://example.org/wave.mp4"}}
        ])
    );
    assert_conforms(&server);
}

// ---------------------------------------------------------------- catalog

fn model<'a>(c: &'a Catalog, r: &str) -> &'a ModelInfo {
    c.models
        .iter()
        .find(|m| m.model_ref == r)
        .unwrap_or_else(|| panic!("{r} not in the catalog"))
}

#[test]
fn the_catalog_states_modalities_prices_and_the_new_capabilities() {
    let server = FakeServer::start().unwrap();
    let c: Catalog = serde_json::from_value(
        call(&server, "catalog", json!({}), &[], &Recorder::default()).unwrap(),
    )
    .unwrap();
    let mini = model(&c, "openrouter/openai/gpt-4o-mini");
    assert_eq!(
        mini.input_modalities.as_deref(),
        Some(&["text".to_string(), "image".into(), "file".into()][..])
    );
    assert_eq!(mini.pricing.as_ref().unwrap()["prompt"], "0.00000015");
    let whisper = model(&c, "openrouter/openai/whisper-large-v3");
    assert_eq!(whisper.capabilities, ["transcribe"]);
    assert_eq!(whisper.formats.as_ref().unwrap().len(), 4);
    assert_eq!(
        whisper.input_modalities.as_deref(),
        Some(&["audio".to_string()][..])
    );
    let emb = model(&c, "openrouter/openai/text-embedding-3-small");
    assert_eq!(emb.capabilities, ["embed"]);
    assert_eq!(emb.pricing.as_ref().unwrap()["prompt"], "0.00000002");
    let veo = model(&c, "openrouter/google/veo-3.1-fast");
    assert_eq!(veo.supports_seed, Some(true));
    assert_eq!(veo.supports_audio, Some(true));
    assert!(veo
        .sizes
        .as_ref()
        .unwrap()
        .contains(&"1280x720".to_string()));
    let p = veo.pricing.as_ref().unwrap();
    assert_eq!(p["per-video-second"], "0.15");
    assert_eq!(p["per-video-second-1080p"], "0.20");
    let seedream = model(&c, "openrouter/bytedance-seed/seedream-4.5");
    assert_eq!(seedream.capabilities, ["image"]);
    assert_eq!(seedream.image_api, Some(true));
    assert_eq!(
        seedream.sizes.as_deref(),
        Some(&["1K".to_string(), "2K".into(), "4K".into()][..])
    );
    assert_eq!(seedream.max_count, Some(4));
    assert_eq!(seedream.supports_seed, Some(true));
    assert_eq!(
        seedream.pricing.as_ref().unwrap()["output_image/image"],
        "0.05"
    );
    let gpt_image = model(&c, "openrouter/openai/gpt-5-image");
    assert_eq!(gpt_image.qualities.as_ref().unwrap().len(), 4);
    assert_eq!(gpt_image.max_count, Some(10));
    assert_eq!(gpt_image.supports_seed, Some(false));
    assert_eq!(
        gpt_image.pricing.as_ref().unwrap()["input_text/token"],
        "0.000005"
    );
    let gemini = model(&c, "openrouter/google/gemini-3.1-flash-image-preview");
    assert!(gemini.has_capability("image") && gemini.image_api.is_none());
}

#[test]
fn the_catalog_survives_a_missing_image_listing_or_endpoint_record() {
    let server = FakeServer::start().unwrap();
    server.script(
        Route::ImageEndpoints,
        [Step::Status {
            code: 500,
            retry_after: None,
            message: None,
        }],
    );
    let c: Catalog = serde_json::from_value(
        call(&server, "catalog", json!({}), &[], &Recorder::default()).unwrap(),
    )
    .unwrap();
    let priced = [
        "openrouter/bytedance-seed/seedream-4.5",
        "openrouter/openai/gpt-5-image",
    ]
    .iter()
    .filter(|r| model(&c, r).pricing.is_some())
    .count();
    assert_eq!(
        priced, 1,
        "one endpoint record failed, the other model keeps its prices"
    );
    server.script(
        Route::ImageModels,
        [Step::Status {
            code: 404,
            retry_after: None,
            message: None,
        }],
    );
    let host = Recorder::default();
    let c: Catalog =
        serde_json::from_value(call(&server, "catalog", json!({}), &[], &host).unwrap()).unwrap();
    assert!(c.models.iter().all(|m| m.image_api.is_none()));
    assert!(c
        .models
        .iter()
        .any(|m| m.model_ref == "openrouter/openai/whisper-large-v3"));
    assert!(
        host.logs
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("image model catalog is unavailable")),
        "{:?}",
        host.logs.lock().unwrap()
    );
}

//! The provider driven through the kit's `call` entry point (JSON documents
//! in and out, the plugin's own runtime) against a real HTTP server on
//! loopback (the fake OpenRouter, which also serves the OpenAI-compatible
//! `/images/generations`), with a recording host.

use fake_openrouter::{sample_mp3, sample_png, FakeServer, Route, ServedFile, Step};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Mutex;
use switchyard_openai_compatible::OpenAiCompatible;
use switchyard_provider_kit::api::abi_stable::sabi_trait::TD_Opaque;
use switchyard_provider_kit::api::doc::{Context, ImageResponse, SpeechResponse};
use switchyard_provider_kit::api::{
    CancelWakerBox, ErrorKind, Host, Host_TO, PluginError, Progress, ROption, RResult, RSlice, RStr,
};
use switchyard_provider_kit::export::dispatch;
use switchyard_provider_kit::runtime::PluginRuntime;

static RUNTIME: PluginRuntime = PluginRuntime::new("openai-compatible-test");

/// What the plugin sent to the host during one call.
#[derive(Default)]
struct Recorder {
    text: Mutex<String>,
    logs: Mutex<Vec<String>>,
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
    fn progress(&self, _event: &Progress) {}
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

fn context(base_url: &str, key: Option<String>) -> String {
    serde_json::to_string(&Context {
        api_key: key,
        base_url: base_url.to_string(),
        timeout_ms: 20_000,
        ..Default::default()
    })
    .unwrap()
}

/// Runs `op` with `request` against `server` (with its key).
fn call(
    server: &FakeServer,
    op: &str,
    request: Value,
    host: &Recorder,
) -> Result<Value, PluginError> {
    call_at(
        &server.base_url(),
        Some(server.api_key()),
        op,
        request,
        host,
    )
}

fn call_at(
    base_url: &str,
    key: Option<String>,
    op: &str,
    request: Value,
    host: &Recorder,
) -> Result<Value, PluginError> {
    dispatch(
        || &OpenAiCompatible,
        &RUNTIME,
        op,
        &context(base_url, key),
        &request.to_string(),
        RSlice::from_slice(&[]),
        Host_TO::from_ptr(host, TD_Opaque),
    )
    .into_result()
    .map(|s| serde_json::from_str(&s).unwrap())
}

fn last_body(server: &FakeServer, path: &str) -> Value {
    let reqs = server.requests_to(path);
    reqs.last().and_then(|r| r.json()).expect("a JSON request")
}

#[test]
fn chat_sends_the_server_model_name_the_key_and_params() {
    let server = FakeServer::start().unwrap();
    let host = Recorder::default();
    let answer = call(
        &server,
        "chat",
        json!({"model": "local/llama3.2", "messages": [{"role": "user", "content": "hi"}],
               "params": {"top_k": "40"}}),
        &host,
    )
    .unwrap();
    assert_eq!(answer["text"], "Hello from llama3.2. You said: hi");
    assert_eq!(answer["finish_reason"], "stop");
    assert!(answer["usage"]["total_tokens"].as_u64().is_some());
    let req = &server.requests_to("/api/v1/chat/completions")[0];
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {}", server.api_key()).as_str())
    );
    let body = req.json().unwrap();
    assert_eq!(body["model"], "llama3.2");
    assert_eq!(body["top_k"], 40);
    assert!(body.get("stream").is_none());
    // One log format for every plugin: the kit's `METHOD URL -> STATUS (N ms)`.
    let logs = host.logs.lock().unwrap();
    assert!(
        logs.iter()
            .any(|l| l.starts_with("POST ") && l.contains("/chat/completions -> 200 (")),
        "{logs:?}"
    );
}

#[test]
fn streamed_chat_sends_deltas_and_asks_for_usage() {
    let server = FakeServer::start().unwrap();
    let host = Recorder::default();
    let answer = call(
        &server,
        "chat",
        json!({"model": "local/qwen2.5", "stream": true,
               "messages": [{"role": "user", "content": "stream please"}]}),
        &host,
    )
    .unwrap();
    let text = answer["text"].as_str().unwrap();
    assert_eq!(text, "Hello from qwen2.5. You said: stream please");
    assert_eq!(host.text.lock().unwrap().as_str(), text);
    assert!(
        answer["usage"]["prompt_tokens"].as_u64().is_some(),
        "{answer}"
    );
    let body = last_body(&server, "/api/v1/chat/completions");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
}

#[test]
fn an_unknown_model_is_model_unavailable_with_the_servers_hint() {
    let server = FakeServer::start().unwrap();
    server.script(
        Route::Chat,
        [Step::ErrorBody {
            code: 404,
            body: r#"{"error":{"message":"model \"llama9\" not found, try pulling it first","type":"api_error","param":null,"code":null}}"#.into(),
            retry_after: None,
        }],
    );
    let e = call(
        &server,
        "chat",
        json!({"model": "local/llama9", "messages": [{"role": "user", "content": "hi"}]}),
        &Recorder::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::MODEL_UNAVAILABLE);
    assert_eq!(e.status.into_option(), Some(404));
    assert!(
        e.message.starts_with("the server answered 404"),
        "{}",
        e.message
    );
    assert!(e.message.contains("`ollama list`"), "{}", e.message);
    assert!(!e.message.contains("models.providers"), "{}", e.message);
}

#[test]
fn a_server_that_is_not_running_is_a_network_error_with_a_hint() {
    let e = call_at(
        "http://127.0.0.1:9/v1",
        None,
        "chat",
        json!({"model": "local/llama3.2", "messages": [{"role": "user", "content": "hi"}]}),
        &Recorder::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NETWORK, "{}", e.message);
    assert!(e.message.contains("Is the server running"), "{}", e.message);
    assert!(!e.message.contains("models.providers"), "{}", e.message);
}

#[test]
fn images_decode_b64_json_into_the_sink() {
    let server = FakeServer::start().unwrap();
    let host = Recorder::default();
    let answer: ImageResponse = serde_json::from_value(
        call(
            &server,
            "image",
            json!({"model": "local/gpt-image-1", "prompt": "a boat", "aspect_ratio": "2:3",
                   "params": {"quality": "\"low\""}}),
            &host,
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(answer.images, 1);
    let outputs = host.outputs.lock().unwrap();
    assert_eq!(outputs[&0], ("image/png".to_string(), sample_png()));
    let body = last_body(&server, "/api/v1/images/generations");
    assert_eq!(body["model"], "gpt-image-1");
    assert_eq!(body["size"], "1024x1536");
    assert_eq!(body["response_format"], "b64_json");
    assert_eq!(body["quality"], "low");
}

#[test]
fn an_image_url_is_downloaded_without_the_key() {
    let server = FakeServer::start().unwrap();
    server.add_file(
        "/files/boat.png",
        ServedFile::bytes("image/png", sample_png()),
    );
    let url = format!("{}/files/boat.png", server.origin());
    server.script(
        Route::Images,
        [Step::Malformed {
            status: 200,
            content_type: "application/json".into(),
            body: json!({"data": [{"url": url, "revised_prompt": "a red boat"}],
                         "usage": {"input_tokens": 5, "output_tokens": 9, "total_tokens": 14}})
            .to_string(),
        }],
    );
    let host = Recorder::default();
    let answer: ImageResponse = serde_json::from_value(
        call(
            &server,
            "image",
            json!({"model": "local/gpt-image-1", "prompt": "a boat"}),
            &host,
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(answer.text, "a red boat");
    assert_eq!(answer.usage.completion_tokens, Some(9));
    assert_eq!(
        host.outputs.lock().unwrap()[&0],
        ("image/png".to_string(), sample_png())
    );
    let download = &server.requests_to("/files/boat.png")[0];
    assert_eq!(download.header("authorization"), None);
}

#[test]
fn an_answer_without_images_is_a_failed_job() {
    let server = FakeServer::start().unwrap();
    server.script(Route::Images, [Step::NoImages]);
    let e = call(
        &server,
        "image",
        json!({"model": "local/gpt-image-1", "prompt": "a boat"}),
        &Recorder::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::JOB_FAILED);
}

#[test]
fn speech_streams_audio_with_the_default_voice_and_params() {
    let server = FakeServer::start().unwrap();
    let host = Recorder::default();
    let answer: SpeechResponse = serde_json::from_value(
        call(
            &server,
            "speech",
            json!({"model": "local/tts-1", "input": "hello", "format": "mp3",
                   "params": {"instructions": "\"slowly\""}}),
            &host,
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(answer.media_type, "audio/mpeg");
    assert_eq!(answer.bytes, sample_mp3().len() as u64);
    assert_eq!(
        host.outputs.lock().unwrap()[&0],
        ("audio/mpeg".to_string(), sample_mp3())
    );
    let body = last_body(&server, "/api/v1/audio/speech");
    assert_eq!(body["model"], "tts-1");
    assert_eq!(body["voice"], "alloy");
    assert_eq!(body["instructions"], "slowly");
}

#[test]
fn a_json_answer_to_speech_is_its_error() {
    let server = FakeServer::start().unwrap();
    server.script(
        Route::Speech,
        [Step::Malformed {
            status: 200,
            content_type: "application/json".into(),
            body: r#"{"error":{"message":"voice not available","code":"invalid_request"}}"#.into(),
        }],
    );
    let e = call(
        &server,
        "speech",
        json!({"model": "local/tts-1", "input": "hello", "format": "mp3"}),
        &Recorder::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::INVALID_REQUEST);
    assert!(e.message.contains("voice not available"), "{}", e.message);
}

#[test]
fn video_is_unsupported() {
    let e = call_at(
        "http://127.0.0.1:9/v1",
        None,
        "video.submit",
        json!({"model": "local/x", "prompt": "p"}),
        &Recorder::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::UNSUPPORTED);
}

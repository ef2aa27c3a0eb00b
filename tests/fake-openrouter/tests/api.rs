/*!
Behaviour tests of the fake OpenRouter server over real sockets: default
endpoint shapes, auth, scripted steps and faults, video job walks, downloads,
speech, catalogs, soak mode, keep-alive and shutdown.
*/

mod common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use common::*;
use fake_openrouter::*;
use serde_json::{json, Value};

const CHAT: &str = "/api/v1/chat/completions";

#[test]
fn chat_json_default_shape() {
    let s = FakeServer::start().unwrap();
    let r = post_json(&s, CHAT, &chat_body("openrouter/auto", "hi there", false));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    assert!(v["id"].as_str().unwrap().starts_with("gen-"));
    assert_eq!(r.header("x-generation-id"), v["id"].as_str());
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "openai/gpt-4o-mini");
    assert_eq!(v["provider"], "FakeProvider");
    assert!(v["system_fingerprint"].is_null());
    assert!(v["created"].as_u64().unwrap() > 1_600_000_000);
    let c = &v["choices"][0];
    assert_eq!(c["message"]["role"], "assistant");
    assert_eq!(
        c["message"]["content"],
        "Hello from openai/gpt-4o-mini. You said: hi there"
    );
    assert_eq!(c["finish_reason"], "stop");
    assert_eq!(c["native_finish_reason"], "stop");
    let u = &v["usage"];
    assert_eq!(
        u["total_tokens"].as_u64().unwrap(),
        u["prompt_tokens"].as_u64().unwrap() + u["completion_tokens"].as_u64().unwrap()
    );
    assert!(u["cost"].as_f64().unwrap() > 0.0);
    assert_eq!(u["is_byok"], false);

    // A concrete model is echoed; the request was recorded with headers and body.
    let r = post_json(&s, CHAT, &chat_body("moonshotai/kimi-k2.6", "yo", false));
    assert_eq!(r.json()["model"], "moonshotai/kimi-k2.6");
    let reqs = s.requests_to(CHAT);
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].header("Authorization"), Some(&*bearer(&s)));
    assert_eq!(reqs[0].header("content-type"), Some("application/json"));
    assert_eq!(reqs[1].json().unwrap()["model"], "moonshotai/kimi-k2.6");
    s.clear_requests();
    assert!(s.requests().is_empty());
}

#[test]
fn chat_options_answer_and_validation() {
    let s = FakeServer::start_with(Options {
        chat_answer: Some("Fixed answer".into()),
        stream_chunks: 3,
        ..Options::default()
    })
    .unwrap();
    let r = post_json(&s, CHAT, &chat_body("openai/gpt-4o-mini", "x", false));
    assert_eq!(r.json()["choices"][0]["message"]["content"], "Fixed answer");
    let r = post_json(&s, CHAT, &chat_body("openai/gpt-4o-mini", "x", true));
    let data = r.sse_data();
    // 3 content chunks + finish + usage + [DONE]
    assert_eq!(data.len(), 6, "{data:?}");

    let r = post_json(&s, CHAT, &json!({"model": "m", "messages": []}));
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error"]["metadata"]["error_type"],
        "invalid_request"
    );
    let r = post_json(&s, CHAT, &json!({"model": "m"}));
    assert_eq!(r.status, 400);
    let auth = bearer(&s);
    let r = request(
        &s.origin(),
        "POST",
        CHAT,
        &[("Authorization", &auth)],
        b"{not json",
    );
    assert_eq!(r.status, 400);

    // Unknown model: availability-style 404; a fallback list is honoured.
    let r = post_json(&s, CHAT, &chat_body("acme/missing-model", "x", false));
    assert_eq!(r.status, 404);
    let e = r.json();
    assert_eq!(e["error"]["code"], 404);
    assert_eq!(e["error"]["availability"]["code"], "no_endpoints");
    let mut body = chat_body("acme/missing-model", "x", false);
    body["models"] = json!(["moonshotai/kimi-k2.6"]);
    let r = post_json(&s, CHAT, &body);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["model"], "moonshotai/kimi-k2.6");
}

fn stream_chunks(r: &Resp) -> (Vec<Value>, Vec<String>) {
    let data = r.sse_data();
    let chunks = data
        .iter()
        .filter(|d| d.as_str() != "[DONE]")
        .map(|d| serde_json::from_str::<Value>(d).expect("chunk is JSON"))
        .collect();
    (chunks, data)
}

#[test]
fn chat_sse_default_shape() {
    let s = FakeServer::start().unwrap();
    let r = post_json(
        &s,
        CHAT,
        &chat_body("moonshotai/kimi-k2.6", "stream please", true),
    );
    assert_eq!(r.status, 200);
    assert!(r.complete);
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    let text = r.text();
    assert!(!text.contains('\r'));
    assert!(text.ends_with("data: [DONE]\n\n"));
    let (chunks, data) = stream_chunks(&r);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    assert_eq!(chunks.len(), 8 + 2);
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(
        content,
        "Hello from moonshotai/kimi-k2.6. You said: stream please"
    );
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    for c in &chunks {
        assert_eq!(c["object"], "chat.completion.chunk");
        assert_eq!(c["model"], "moonshotai/kimi-k2.6");
        assert_eq!(c["id"], chunks[0]["id"]);
    }
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    let usage = chunks.last().unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert!(usage["usage"]["total_tokens"].as_u64().unwrap() > 0);
    assert!(chunks[..chunks.len() - 1]
        .iter()
        .all(|c| c.get("usage").is_none()));
}

#[test]
fn sse_steps_comments_crlf_no_usage_mid_error() {
    let s = FakeServer::start().unwrap();
    s.script(
        Route::Chat,
        [
            Step::SseProcessingComments,
            Step::SseCrlf,
            Step::NoUsageChunk,
            Step::SseMidStreamError {
                after_chunks: 2,
                code: json!(429),
                error_type: Some("rate_limit_exceeded".into()),
            },
            Step::SseMidStreamError {
                after_chunks: 0,
                code: json!("server_error"),
                error_type: None,
            },
        ],
    );
    let body = chat_body("openai/gpt-4o-mini", "x", true);

    let r = post_json(&s, CHAT, &body);
    let text = r.text();
    assert!(
        text.starts_with(": OPENROUTER PROCESSING\n\ndata: {"),
        "{text}"
    );
    assert!(text.matches(": OPENROUTER PROCESSING").count() >= 9);
    assert_eq!(stream_chunks(&r).0.len(), 10);

    let r = post_json(&s, CHAT, &body);
    let text = r.text();
    assert!(text.contains("\r\n\r\n"));
    assert_eq!(
        text.replace("\r\n", "").matches('\n').count(),
        0,
        "{text:?}"
    );
    assert!(text.ends_with("data: [DONE]\r\n\r\n"));
    assert_eq!(stream_chunks(&r).0.len(), 10);

    let r = post_json(&s, CHAT, &body);
    let (chunks, data) = stream_chunks(&r);
    assert_eq!(chunks.len(), 9);
    assert!(chunks.iter().all(|c| c.get("usage").is_none()));
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));

    let r = post_json(&s, CHAT, &body);
    assert_eq!(r.status, 200);
    let (chunks, data) = stream_chunks(&r);
    assert!(!data.contains(&"[DONE]".to_string()));
    assert_eq!(chunks.len(), 3);
    let err = chunks.last().unwrap();
    assert_eq!(err["error"]["code"], 429);
    assert_eq!(err["error"]["message"], "Rate limit exceeded");
    assert_eq!(
        err["error"]["metadata"]["error_type"],
        "rate_limit_exceeded"
    );
    assert_eq!(err["choices"][0]["finish_reason"], "error");

    let r = post_json(&s, CHAT, &body);
    let (chunks, _) = stream_chunks(&r);
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0]["error"]["code"], "server_error");
    assert!(chunks[0]["error"].get("metadata").is_none());

    // Queue drained: default again.
    let r = post_json(&s, CHAT, &body);
    assert_eq!(stream_chunks(&r).0.len(), 10);
}

#[test]
fn auth_rules() {
    let s = FakeServer::start().unwrap();
    let o = s.origin();
    let body = chat_body("openai/gpt-4o-mini", "x", false).to_string();
    let r = request(&o, "POST", CHAT, &[], body.as_bytes());
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json(),
        json!({"error": {"code": 401, "message": "Missing Authentication header"}})
    );
    let r = request(
        &o,
        "POST",
        CHAT,
        &[("Authorization", "Bearer sk-or-v1-wrong")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["message"], "Invalid credentials");
    let r = request(
        &o,
        "GET",
        "/api/v1/key",
        &[("Authorization", "Bearer nope")],
        b"",
    );
    assert_eq!(r.status, 401);
    let r = request(&o, "GET", "/api/v1/key", &[], b"");
    assert_eq!(r.status, 401);
    // Catalogs are public, but a wrong key is still rejected.
    assert_eq!(request(&o, "GET", "/api/v1/models", &[], b"").status, 200);
    assert_eq!(
        request(&o, "GET", "/api/v1/videos/models", &[], b"").status,
        200
    );
    let r = request(
        &o,
        "GET",
        "/api/v1/models",
        &[("Authorization", "Bearer nope")],
        b"",
    );
    assert_eq!(r.status, 401);
    // Attribution headers are accepted and recorded; lowercase scheme works.
    let key = format!("bearer {}", s.api_key());
    let r = request(
        &o,
        "POST",
        CHAT,
        &[
            ("Authorization", &key),
            ("HTTP-Referer", "https://example.org"),
            ("X-OpenRouter-Title", "Switchyard"),
            ("X-OpenRouter-Categories", "cli-agent"),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 200);
    let last = s.requests().pop().unwrap();
    assert_eq!(last.header("x-openrouter-categories"), Some("cli-agent"));
    // Every request was recorded, rejected ones included.
    assert_eq!(s.requests().len(), 8);

    // A custom key.
    let s2 = FakeServer::start_with(Options {
        api_key: "sk-or-v1-custom".into(),
        ..Options::default()
    })
    .unwrap();
    assert_eq!(s2.api_key(), "sk-or-v1-custom");
    assert_eq!(get(&s2, "/api/v1/key").status, 200);
    let r = request(
        &s2.origin(),
        "GET",
        "/api/v1/key",
        &[("Authorization", &bearer(&s))],
        b"",
    );
    assert_eq!(r.status, 401);
}

#[test]
fn scripted_status_with_retry_after() {
    let s = FakeServer::start().unwrap();
    s.script(
        Route::Chat,
        [
            Step::Status {
                code: 429,
                retry_after: Some(7),
                message: None,
            },
            Step::Status {
                code: 400,
                retry_after: None,
                message: Some("This endpoint's maximum context length is 8192 tokens".into()),
            },
            Step::Status {
                code: 503,
                retry_after: None,
                message: None,
            },
        ],
    );
    let body = chat_body("openai/gpt-4o-mini", "x", false);
    let r = post_json(&s, CHAT, &body);
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("7"));
    let e = r.json();
    assert_eq!(e["error"]["code"], 429);
    assert_eq!(e["error"]["message"], "Rate limit exceeded");
    assert_eq!(e["error"]["metadata"]["error_type"], "rate_limit_exceeded");
    let r = post_json(&s, CHAT, &body);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error"]["metadata"]["error_type"],
        "context_length_exceeded"
    );
    let r = post_json(&s, CHAT, &body);
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), None);
    assert_eq!(
        r.json()["error"]["metadata"]["error_type"],
        "provider_unavailable"
    );
    assert_eq!(post_json(&s, CHAT, &body).status, 200);
    // Scripts are per route.
    s.script(
        Route::Key,
        [Step::Status {
            code: 500,
            retry_after: None,
            message: None,
        }],
    );
    assert_eq!(post_json(&s, CHAT, &body).status, 200);
    assert_eq!(get(&s, "/api/v1/key").status, 500);
    assert_eq!(get(&s, "/api/v1/key").status, 200);
    assert_eq!(s.faults_injected(), 0);
}

#[test]
fn error_body_malformed_http200_delay() {
    let s = FakeServer::start().unwrap();
    s.script(
        Route::Chat,
        [
            Step::ErrorBody {
                code: 503,
                body: r#"{"error":{"code":"server_error","message":"boom"}}"#.into(),
                retry_after: Some(2),
            },
            Step::Malformed {
                status: 200,
                content_type: "application/json".into(),
                body: "not json".into(),
            },
            Step::Http200Error { code: 502 },
            Step::Delay(Duration::from_millis(300)),
        ],
    );
    let body = chat_body("openai/gpt-4o-mini", "x", false);
    let r = post_json(&s, CHAT, &body);
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("2"));
    assert_eq!(
        r.text(),
        r#"{"error":{"code":"server_error","message":"boom"}}"#
    );
    let r = post_json(&s, CHAT, &body);
    assert_eq!((r.status, r.text().as_str()), (200, "not json"));
    let r = post_json(&s, CHAT, &body);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["error"]["code"], 502);
    let t = Instant::now();
    let r = post_json(&s, CHAT, &body);
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.json()["object"], "chat.completion");
}

#[test]
fn drop_after_truncates_and_closes() {
    let s = FakeServer::start().unwrap();
    s.script(Route::Chat, [Step::DropAfter(10), Step::DropAfter(25)]);
    let auth = bearer(&s);
    let mut c = Client::connect(&s.origin());
    let body = chat_body("openai/gpt-4o-mini", "x", false).to_string();
    let r = c.send("POST", CHAT, &[("Authorization", &auth)], body.as_bytes());
    assert_eq!(r.status, 200);
    assert!(!r.complete);
    assert_eq!(r.body.len(), 10);
    assert!(
        r.header("content-length")
            .unwrap()
            .parse::<usize>()
            .unwrap()
            > 10
    );
    assert!(c.is_closed());
    // SSE: the cut happens inside the chunked stream.
    let body = chat_body("openai/gpt-4o-mini", "x", true);
    let r = post_json(&s, CHAT, &body);
    assert!(!r.complete);
    assert_eq!(r.body.len(), 25);
    assert!(r.text().starts_with("data: {"));
    // Next request is normal.
    let r = post_json(&s, CHAT, &body);
    assert!(r.complete);
}

#[test]
fn short_content_length_and_stall() {
    let s = FakeServer::start().unwrap();
    s.add_file(
        "/cdn/a.bin",
        ServedFile::bytes("application/octet-stream", vec![7u8; 1000]),
    );
    s.script(
        Route::File,
        [
            Step::ShortContentLength(100),
            Step::Stall(Duration::from_millis(400)),
        ],
    );
    let r = request(&s.origin(), "GET", "/cdn/a.bin", &[], b"");
    assert_eq!(r.header("content-length"), Some("1100"));
    assert_eq!(r.body.len(), 1000);
    assert!(!r.complete);
    let t = Instant::now();
    let r = request(&s.origin(), "GET", "/cdn/a.bin", &[], b"");
    assert!(t.elapsed() >= Duration::from_millis(400));
    assert!(!r.complete);
    assert_eq!(r.body.len(), 500);
    let r = request(&s.origin(), "GET", "/cdn/a.bin", &[], b"");
    assert!(r.complete);
    assert_eq!(r.body, vec![7u8; 1000]);

    // SSE stall: some events, then the stream stops without [DONE].
    s.script(Route::Chat, [Step::Stall(Duration::from_millis(200))]);
    let r = post_json(&s, CHAT, &chat_body("openai/gpt-4o-mini", "x", true));
    assert!(!r.complete);
    assert!(!r.text().contains("[DONE]"));
    assert!(!r.sse_data().is_empty());
}

#[test]
fn image_generation_via_chat() {
    let s = FakeServer::start().unwrap();
    let mut body = chat_body("google/gemini-3.1-flash-image-preview", "a cat", false);
    body["modalities"] = json!(["image", "text"]);
    body["image_config"] = json!({"aspect_ratio": "16:9"});
    let r = post_json(&s, CHAT, &body);
    let msg = &r.json()["choices"][0]["message"];
    assert_eq!(msg["content"], "Here is your image.");
    assert_eq!(msg["images"][0]["type"], "image_url");
    let url = msg["images"][0]["image_url"]["url"].as_str().unwrap();
    let b64 = url
        .strip_prefix("data:image/png;base64,")
        .expect("png data URL");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(bytes, sample_png());

    let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
    s.script(
        Route::Chat,
        [
            Step::Images(vec![jpeg.clone(), sample_png()]),
            Step::ImageUrls(vec!["http://127.0.0.1:1/img.png".into()]),
            Step::NoImages,
            Step::Images(vec![sample_png()]),
        ],
    );
    let msg = post_json(&s, CHAT, &body).json()["choices"][0]["message"].clone();
    let urls: Vec<&str> = msg["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["image_url"]["url"].as_str().unwrap())
        .collect();
    assert!(urls[0].starts_with("data:image/jpeg;base64,"));
    assert!(urls[1].starts_with("data:image/png;base64,"));
    let msg = post_json(&s, CHAT, &body).json()["choices"][0]["message"].clone();
    assert_eq!(
        msg["images"][0]["image_url"]["url"],
        "http://127.0.0.1:1/img.png"
    );
    let msg = post_json(&s, CHAT, &body).json()["choices"][0]["message"].clone();
    assert!(msg.get("images").is_none());
    assert!(msg["content"].as_str().unwrap().starts_with("Hello from"));
    // Streaming images arrive in delta.images.
    body["stream"] = json!(true);
    let r = post_json(&s, CHAT, &body);
    let (chunks, _) = stream_chunks(&r);
    assert!(chunks.iter().any(
        |c| c["choices"][0]["delta"]["images"][0]["image_url"]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("data:image/png;base64,"))
    ));
}

#[test]
fn script_model_takes_precedence() {
    let s = FakeServer::start().unwrap();
    s.script(
        Route::Chat,
        [Step::Status {
            code: 502,
            retry_after: None,
            message: None,
        }],
    );
    s.script_model(
        "moonshotai/kimi-k2.6",
        [Step::Status {
            code: 429,
            retry_after: Some(1),
            message: None,
        }],
    );
    let kimi = chat_body("moonshotai/kimi-k2.6", "x", false);
    let other = chat_body("openai/gpt-4o-mini", "x", false);
    assert_eq!(post_json(&s, CHAT, &kimi).status, 429);
    assert_eq!(post_json(&s, CHAT, &kimi).status, 502);
    assert_eq!(post_json(&s, CHAT, &other).status, 200);
    assert_eq!(post_json(&s, CHAT, &kimi).status, 200);
}

fn submit(s: &FakeServer, body: Value) -> Value {
    let r = post_json(s, "/api/v1/videos", &body);
    assert_eq!(r.status, 202, "{}", r.text());
    r.json()
}

fn walk_job(style: PollingUrlStyle) {
    let s = FakeServer::start_with(Options {
        polling_url_style: style,
        ..Options::default()
    })
    .unwrap();
    let job = submit(
        &s,
        json!({"model": "google/veo-3.1-fast", "prompt": "a cat", "duration": 4}),
    );
    let id = job["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("job-1-"));
    assert_eq!(job["status"], "pending");
    let polling = job["polling_url"].as_str().unwrap();
    match style {
        PollingUrlStyle::Absolute => {
            assert_eq!(polling, format!("{}/api/v1/videos/{id}", s.origin()))
        }
        PollingUrlStyle::Relative => assert_eq!(polling, format!("/api/v1/videos/{id}")),
    }
    let path = path_of(polling);
    let states: Vec<String> = (0..3)
        .map(|_| {
            get(&s, &path).json()["status"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(states, ["pending", "in_progress", "completed"]);
    let done = get(&s, &path).json();
    assert_eq!(done["status"], "completed", "stays completed");
    assert!(done["generation_id"].as_str().unwrap().starts_with("gen-"));
    assert_eq!(done["usage"], json!({"cost": 0.25, "is_byok": false}));
    let url = done["unsigned_urls"][0].as_str().unwrap();
    assert_eq!(
        url,
        format!("{}/api/v1/videos/{id}/content?index=0", s.origin())
    );
    let r = get(&s, &path_of(url));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("video/mp4"));
    assert_eq!(r.body, sample_mp4());
    assert_eq!(&r.body[4..8], b"ftyp");
    // Job ids are unique.
    let job2 = submit(
        &s,
        json!({"model": "google/veo-3.1-fast", "prompt": "a dog"}),
    );
    assert!(job2["id"].as_str().unwrap().starts_with("job-2-"));
}

#[test]
fn video_job_walk_absolute() {
    walk_job(PollingUrlStyle::Absolute);
}

#[test]
fn video_job_walk_relative() {
    walk_job(PollingUrlStyle::Relative);
}

#[test]
fn video_content_generated_bytes_and_ranges() {
    let s = FakeServer::start().unwrap();
    s.set_video_job(VideoJobSpec {
        pending_polls: 0,
        in_progress_polls: 0,
        video: ServedFile::generated_mp4(300_001, 9),
        videos: 2,
        ..VideoJobSpec::default()
    });
    let job = submit(&s, json!({"model": "google/veo-3.1-fast", "prompt": "p"}));
    let id = job["id"].as_str().unwrap();
    let content = format!("/api/v1/videos/{id}/content");
    // Not downloadable before the job reports completion.
    assert_eq!(get(&s, &content).status, 400);
    let done = get(&s, &format!("/api/v1/videos/{id}")).json();
    assert_eq!(done["unsigned_urls"].as_array().unwrap().len(), 2);
    let expected = generated_bytes(300_001, 9);
    let r = get(&s, &content);
    assert_eq!(r.header("content-length"), Some("300001"));
    assert!(r.body == expected);
    let r = get(&s, &format!("{content}?index=1"));
    assert!(r.body == expected);
    assert_eq!(get(&s, &format!("{content}?index=2")).status, 404);
    assert_eq!(get(&s, &format!("{content}?index=x")).status, 400);
    assert_eq!(get(&s, "/api/v1/videos/job-nope/content").status, 404);
    let r = get_with(&s, &content, &[("Range", "bytes=1000-")]);
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-range"), Some("bytes 1000-300000/300001"));
    assert!(r.body == expected[1000..]);
    let r = get_with(&s, &content, &[("Range", "bytes=10-19")]);
    assert_eq!(r.body, expected[10..20]);
    let r = get_with(&s, &content, &[("Range", "bytes=400000-")]);
    assert_eq!(r.status, 416);
    // Auth is required on the content endpoint.
    assert_eq!(request(&s.origin(), "GET", &content, &[], b"").status, 401);
    // A DropAfter on the content route truncates the download.
    s.script(Route::VideoContent, [Step::DropAfter(70_000)]);
    let r = get(&s, &content);
    assert!(!r.complete);
    assert!(r.body == expected[..70_000]);
}

#[test]
fn video_outcomes_and_styles() {
    let s = FakeServer::start().unwrap();
    let cdn = FakeServer::start().unwrap();
    cdn.add_file("/cdn/v.mp4", ServedFile::bytes("video/mp4", sample_mp4()));
    for (outcome, status) in [
        (
            VideoOutcome::Failed("Content policy violation".into()),
            "failed",
        ),
        (
            VideoOutcome::Cancelled("Job was cancelled".into()),
            "cancelled",
        ),
        (
            VideoOutcome::Expired("Job exceeded maximum time to live".into()),
            "expired",
        ),
    ] {
        s.set_video_job(VideoJobSpec {
            pending_polls: 0,
            in_progress_polls: 1,
            outcome: outcome.clone(),
            ..VideoJobSpec::default()
        });
        let id = submit(&s, json!({"model": "google/veo-3.1-fast", "prompt": "p"}))["id"]
            .as_str()
            .unwrap()
            .to_string();
        let poll = format!("/api/v1/videos/{id}");
        assert_eq!(get(&s, &poll).json()["status"], "in_progress");
        let v = get(&s, &poll).json();
        assert_eq!(v["status"], status);
        assert!(v["error"].is_string());
        assert!(v.get("unsigned_urls").is_none());
        assert_eq!(get(&s, &format!("{poll}/content")).status, 404);
    }
    // Omitted URLs, completed on submit, foreign URLs and polling override.
    s.set_video_job(VideoJobSpec {
        url_style: VideoUrlStyle::Omitted,
        completed_on_submit: true,
        cost: 1.5,
        ..VideoJobSpec::default()
    });
    let v = submit(&s, json!({"model": "google/veo-3.1-fast", "prompt": "p"}));
    assert_eq!(v["status"], "completed");
    assert!(v.get("unsigned_urls").is_none());
    assert_eq!(v["usage"]["cost"], 1.5);
    let content = format!(
        "/api/v1/videos/{}/content?index=0",
        v["id"].as_str().unwrap()
    );
    assert_eq!(get(&s, &content).body, sample_mp4());

    let foreign = format!("{}/cdn/v.mp4", cdn.origin());
    s.set_video_job(VideoJobSpec {
        pending_polls: 0,
        in_progress_polls: 0,
        url_style: VideoUrlStyle::Foreign(foreign.clone()),
        polling_url_override: Some(format!("{}/api/v1/videos/elsewhere", cdn.origin())),
        ..VideoJobSpec::default()
    });
    let v = submit(&s, json!({"model": "google/veo-3.1-fast", "prompt": "p"}));
    assert_eq!(
        v["polling_url"],
        format!("{}/api/v1/videos/elsewhere", cdn.origin())
    );
    let done = get(&s, &format!("/api/v1/videos/{}", v["id"].as_str().unwrap())).json();
    assert_eq!(done["unsigned_urls"], json!([foreign]));
    let r = request(&cdn.origin(), "GET", "/cdn/v.mp4", &[], b"");
    assert_eq!(
        (r.status, r.header("content-type")),
        (200, Some("video/mp4"))
    );
    assert_eq!(r.body, sample_mp4());
    assert_eq!(cdn.requests_to("/cdn/").len(), 1);
    // Unknown job.
    let r = get(&s, "/api/v1/videos/job-unknown");
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], 404);
}

#[test]
fn video_submit_validation() {
    let s = FakeServer::start().unwrap();
    for bad in [
        json!({"prompt": "no model"}),
        json!({"model": 5}),
        json!({"model": "google/veo-3.1-fast", "prompt": 3}),
        json!({"model": "google/veo-3.1-fast", "duration": 0}),
        json!({"model": "google/veo-3.1-fast", "duration": "4"}),
        json!({"model": "google/veo-3.1-fast", "frame_images": [{"image_url": {"url": "x"}}]}),
        json!({"model": "google/veo-3.1-fast", "frame_images": [{"frame_type": "first_frame"}]}),
        json!({"model": "google/veo-3.1-fast", "frame_images": [{"frame_type": "middle", "image_url": {"url": "x"}}]}),
    ] {
        let r = post_json(&s, "/api/v1/videos", &bad);
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.json()["error"]["code"], 400);
    }
    let ok = json!({
        "model": "google/veo-3.1-fast", "prompt": "p", "duration": 8, "resolution": "1080p",
        "aspect_ratio": "9:16",
        "frame_images": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}, "frame_type": "first_frame"},
            {"type": "image_url", "image_url": {"url": "https://x/y.png"}, "frame_type": "last_frame"}
        ],
        "input_references": [{"type": "image_url", "image_url": {"url": "https://x/r.png"}}]
    });
    assert_eq!(post_json(&s, "/api/v1/videos", &ok).status, 202);
    let r = post_json(
        &s,
        "/api/v1/videos",
        &json!({"model": "acme/missing", "prompt": "p"}),
    );
    assert_eq!(r.status, 404);
}

#[test]
fn speech_formats() {
    let s = FakeServer::start().unwrap();
    let r = post_json(
        &s,
        "/api/v1/audio/speech",
        &json!({"model": "hexgrad/kokoro-82m", "input": "hello", "voice": "af_alloy", "response_format": "mp3"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("audio/mpeg"));
    assert!(r.header("x-generation-id").unwrap().starts_with("gen-"));
    assert_eq!(r.body, sample_mp3());
    let r = post_json(
        &s,
        "/api/v1/audio/speech",
        &json!({"model": "hexgrad/kokoro-82m", "input": "hello"}),
    );
    assert_eq!(r.header("content-type"), Some("audio/pcm"));
    assert_eq!(r.body.len(), 4800);
    let r = post_json(
        &s,
        "/api/v1/audio/speech",
        &json!({"model": "m", "input": "x", "response_format": "pcm"}),
    );
    assert_eq!(r.header("content-type"), Some("audio/pcm"));
    for bad in [
        json!({"model": "hexgrad/kokoro-82m"}),
        json!({"input": "x"}),
        json!({"model": "m", "input": "x", "response_format": "wav"}),
        json!({"model": "m", "input": "x", "voice": ""}),
    ] {
        assert_eq!(
            post_json(&s, "/api/v1/audio/speech", &bad).status,
            400,
            "{bad}"
        );
    }
}

fn model_ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn model_catalogs() {
    let s = FakeServer::start().unwrap();
    let text = get(&s, "/api/v1/models").json();
    let ids = model_ids(&text);
    assert!(ids.contains(&"openai/gpt-4o-mini".to_string()));
    assert!(ids.contains(&"google/gemini-3.1-flash-image-preview".to_string()));
    assert!(
        !ids.contains(&"hexgrad/kokoro-82m".to_string()),
        "default filter is text"
    );
    assert_eq!(text["total_count"], ids.len());
    assert_eq!(text["links"]["next"], Value::Null);
    let speech = get(&s, "/api/v1/models?output_modalities=speech").json();
    assert_eq!(model_ids(&speech), ["hexgrad/kokoro-82m"]);
    assert_eq!(
        speech["data"][0]["supported_voices"],
        json!(["af_alloy", "af_heart", "am_adam"])
    );
    let iv = get(&s, "/api/v1/models?output_modalities=image%2Cvideo").json();
    assert_eq!(
        model_ids(&iv),
        [
            "google/gemini-3.1-flash-image-preview",
            "google/veo-3.1-fast"
        ]
    );
    let all = get(&s, "/api/v1/models?output_modalities=all").json();
    assert_eq!(all["total_count"], 8);

    let vm = get(&s, "/api/v1/videos/models").json();
    let veo = &vm["data"][0];
    assert_eq!(veo["id"], "google/veo-3.1-fast");
    assert_eq!(veo["supported_durations"], json!([4, 6, 8]));
    assert_eq!(veo["supported_resolutions"], json!(["720p", "1080p"]));
    assert_eq!(veo["supported_aspect_ratios"], json!(["16:9", "9:16"]));
    assert_eq!(
        veo["supported_frame_images"],
        json!(["first_frame", "last_frame"])
    );

    s.set_catalog(
        json!({"data": [{"id": "a/b", "architecture": {"output_modalities": ["text"]}},
                        {"id": "c/d", "architecture": {"output_modalities": ["speech"]}}],
               "total_count": 2, "links": {"next": null}}),
        json!({"data": []}),
    );
    assert_eq!(model_ids(&get(&s, "/api/v1/models").json()), ["a/b"]);
    assert_eq!(
        get(&s, "/api/v1/models?output_modalities=all").json()["total_count"],
        2
    );
    assert_eq!(get(&s, "/api/v1/videos/models").json(), json!({"data": []}));

    let key = get(&s, "/api/v1/key").json();
    assert_eq!(key["data"]["label"], "fake-key");
    assert_eq!(key["data"]["limit"], 100);
    assert_eq!(key["data"]["limit_remaining"], 87.5);
    assert_eq!(key["data"]["usage"], 12.5);
    assert_eq!(key["data"]["is_free_tier"], false);
}

#[test]
fn unknown_routes_and_methods() {
    let s = FakeServer::start().unwrap();
    for (m, p) in [
        ("GET", "/api/v1/nope"),
        ("GET", "/"),
        ("GET", CHAT),
        ("DELETE", "/api/v1/videos/job-1"),
        ("GET", "/api/v1/videos/a/b"),
    ] {
        let r = request(&s.origin(), m, p, &[("Authorization", &bearer(&s))], b"");
        assert_eq!(r.status, 404, "{m} {p}");
        assert_eq!(r.json()["error"]["code"], 404);
    }
    // HEAD on a file gives headers only.
    s.add_file("/f.txt", ServedFile::bytes("text/plain", b"hello".to_vec()));
    let r = request(&s.origin(), "HEAD", "/f.txt", &[], b"");
    assert_eq!((r.status, r.header("content-length")), (200, Some("5")));
    assert!(r.body.is_empty());
}

#[test]
fn keep_alive_and_chunked_request_bodies() {
    let s = FakeServer::start().unwrap();
    let auth = bearer(&s);
    let mut c = Client::connect(&s.origin());
    for i in 0..3 {
        let r = c.send("GET", "/api/v1/key", &[("Authorization", &auth)], b"");
        assert_eq!(r.status, 200, "request {i}");
    }
    let body = chat_body("openai/gpt-4o-mini", "chunky", false).to_string();
    let (a, b) = body.as_bytes().split_at(10);
    let mut raw = format!(
        "POST {CHAT} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for part in [a, b] {
        raw.extend_from_slice(format!("{:x};ext=1\r\n", part.len()).as_bytes());
        raw.extend_from_slice(part);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    c.send_raw(&raw);
    let r = c.read_response(false);
    assert_eq!(r.status, 200);
    assert!(r.json()["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .ends_with("You said: chunky"));
    assert_eq!(s.requests().last().unwrap().body, body.as_bytes());
    // Streaming responses keep the connection usable too.
    let sb = chat_body("openai/gpt-4o-mini", "s", true).to_string();
    let r = c.send("POST", CHAT, &[("Authorization", &auth)], sb.as_bytes());
    assert!(r.complete);
    let r = c.send("GET", "/api/v1/key?x=1", &[("Authorization", &auth)], b"");
    assert_eq!(r.status, 200);
    assert_eq!(s.requests().last().unwrap().path, "/api/v1/key?x=1");
    assert_eq!(s.requests().last().unwrap().path_only(), "/api/v1/key");
    // Expect: 100-continue is honoured before the body is read.
    let mut e = Client::connect(&s.origin());
    let head = format!(
        "POST {CHAT} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    e.send_raw(head.as_bytes());
    let interim = e.read_response(true);
    assert_eq!(interim.status, 100);
    e.send_raw(body.as_bytes());
    assert_eq!(e.read_response(false).status, 200);
    // Garbage gets a 400 and a close.
    let mut g = Client::connect(&s.origin());
    g.send_raw(b"NOT HTTP\r\n\r\n");
    assert_eq!(g.read_response(false).status, 400);
}

#[test]
fn soak_mode_injects_faults() {
    let s = FakeServer::start().unwrap();
    s.set_fault_rate(1.0, 42);
    let body = chat_body("openai/gpt-4o-mini", "x", true);
    let mut faulty = 0;
    for _ in 0..30 {
        let r = post_json(&s, CHAT, &body);
        let clean = r.status == 200 && r.complete && r.text().ends_with("data: [DONE]\n\n");
        if !clean {
            faulty += 1;
        }
    }
    assert_eq!(s.faults_injected(), 30);
    // Latency-only faults still answer normally.
    assert!(faulty >= 20, "only {faulty} visibly faulty");
    s.set_fault_rate(0.0, 1);
    for _ in 0..5 {
        assert_eq!(get(&s, "/api/v1/key").status, 200);
    }
    assert_eq!(s.faults_injected(), 30);
    // Scripted steps take precedence over random faults and are not counted.
    s.set_fault_rate(1.0, 3);
    s.script(Route::Key, [Step::Delay(Duration::from_millis(1))]);
    assert_eq!(get(&s, "/api/v1/key").status, 200);
    assert_eq!(s.faults_injected(), 30);
}

#[test]
fn latency_option_delays_answers() {
    let s = FakeServer::start_with(Options {
        latency: Some(Duration::from_millis(40)),
        ..Options::default()
    })
    .unwrap();
    for _ in 0..5 {
        assert_eq!(get(&s, "/api/v1/key").status, 200);
    }
}

#[test]
fn server_handle_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<FakeServer>();
    assert_send_sync::<RecordedRequest>();
    assert_send_sync::<Step>();
    let s = std::sync::Arc::new(FakeServer::start().unwrap());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let s = std::sync::Arc::clone(&s);
            std::thread::spawn(move || {
                for _ in 0..5 {
                    assert_eq!(get(&s, "/api/v1/key").status, 200);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(s.requests_to("/api/v1/key").len(), 20);
}

#[test]
fn drop_stops_the_server() {
    let s = FakeServer::start().unwrap();
    let origin = s.origin();
    let addr = origin.strip_prefix("http://").unwrap().to_string();
    // An idle keep-alive connection must not keep the server alive.
    let mut idle = Client::connect(&origin);
    let r = idle.send("GET", "/api/v1/models", &[], b"");
    assert_eq!(r.status, 200);
    let t = Instant::now();
    drop(s);
    assert!(t.elapsed() < Duration::from_secs(3));
    assert!(idle.is_closed());
    assert!(std::net::TcpStream::connect(&addr).is_err());
}

#[test]
fn binary_prints_listening_line() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-openrouter"))
        .args([
            "--port",
            "0",
            "--key",
            "k1",
            "--relative-polling",
            "--until-stdin-eof",
        ])
        .args(["--video-bytes", "1000", "--in-progress-polls", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening ")
        .expect("listening line")
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:") && base.ends_with("/api/v1"));
    let origin = base.trim_end_matches("/api/v1");
    let r = request(
        origin,
        "POST",
        "/api/v1/videos",
        &[("Authorization", "Bearer k1")],
        br#"{"model":"m","prompt":"p"}"#,
    );
    let job = r.json();
    assert!(job["polling_url"]
        .as_str()
        .unwrap()
        .starts_with("/api/v1/videos/"));
    let poll = job["polling_url"].as_str().unwrap();
    let auth = [("Authorization", "Bearer k1")];
    assert_eq!(
        request(origin, "GET", poll, &auth, b"").json()["status"],
        "pending"
    );
    assert_eq!(
        request(origin, "GET", poll, &auth, b"").json()["status"],
        "completed"
    );
    let r = request(origin, "GET", &format!("{poll}/content"), &auth, b"");
    assert_eq!(r.body, generated_bytes(1000, 1));
    child.stdin.take().unwrap().write_all(b"bye").unwrap();
    let status = child.wait().unwrap();
    assert!(status.success());
}

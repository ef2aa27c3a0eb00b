/*!
The endpoints added for plugin API 2.1, over real HTTP: the Image API
(`/images`, `/images/models`, endpoints), transcriptions (JSON and
multipart), embeddings, and chat requests with content parts,
`response_format`, reasoning and provider preferences; with the scripted
steps that concern them. Responses and requests are checked against the
OpenAPI spec in `schema_conformance.rs`.
*/

mod common;

use base64::Engine as _;
use common::*;
use fake_openrouter::*;
use serde_json::{json, Value};

const CHAT: &str = "/api/v1/chat/completions";
const IMAGES: &str = "/api/v1/images";
const STT: &str = "/api/v1/audio/transcriptions";
const EMBED: &str = "/api/v1/embeddings";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn multipart(server: &FakeServer, fields: &[(&str, Option<&str>, &[u8])]) -> Resp {
    let boundary = "fakeboundary42";
    let mut body = Vec::new();
    for (name, filename, data) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let auth = bearer(server);
    let ct = format!("multipart/form-data; boundary={boundary}");
    request(
        &server.origin(),
        "POST",
        STT,
        &[("Authorization", &auth), ("Content-Type", &ct)],
        &body,
    )
}

#[test]
fn image_api_answers_n_images_and_checks_its_fields() {
    let s = FakeServer::start().unwrap();
    let r = post_json(
        &s,
        IMAGES,
        &json!({"model": "bytedance-seed/seedream-4.5", "prompt": "a red panda", "n": 2,
                "aspect_ratio": "16:9", "resolution": "2K", "seed": 7,
                "input_references": [{"type": "image_url", "image_url": {"url": "https://x/ref.png"}}]}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["data"].as_array().unwrap().len(), 2);
    assert_eq!(v["data"][0]["media_type"], "image/png");
    let png = base64::engine::general_purpose::STANDARD
        .decode(v["data"][0]["b64_json"].as_str().unwrap())
        .unwrap();
    assert_eq!(png, sample_png());
    assert_eq!(v["usage"]["cost"], 0.1);
    for (bad, needle) in [
        (
            json!({"model": "bytedance-seed/seedream-4.5", "prompt": ""}),
            "prompt",
        ),
        (
            json!({"model": "bytedance-seed/seedream-4.5", "prompt": "p", "n": 11}),
            "n:",
        ),
        (
            json!({"model": "bytedance-seed/seedream-4.5", "prompt": "p", "n": 5}),
            "at most 4",
        ),
        (
            json!({"model": "bytedance-seed/seedream-4.5", "prompt": "p", "aspect_ratio": "7:5"}),
            "aspect_ratio",
        ),
        (
            json!({"model": "bytedance-seed/seedream-4.5", "prompt": "p", "quality": "ultra"}),
            "quality",
        ),
        (
            json!({"model": "bytedance-seed/seedream-4.5", "prompt": "p", "size": "1024x1024", "resolution": "1K"}),
            "size",
        ),
        (
            json!({"model": "bytedance-seed/seedream-4.5", "prompt": "p", "size": "1024x1024", "aspect_ratio": "16:9"}),
            "aspect_ratio",
        ),
        (
            json!({"model": "bytedance-seed/seedream-4.5", "prompt": "p",
                "input_references": [{"type": "image_url", "image_url": {"url": "file:///x.png"}}]}),
            "input_references[0]",
        ),
    ] {
        let r = post_json(&s, IMAGES, &bad);
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.text().contains(needle), "{needle}: {}", r.text());
    }
    let r = post_json(
        &s,
        IMAGES,
        &json!({"model": "google/gemini-3.1-flash-image-preview", "prompt": "p"}),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["availability"]["code"], "wrong_endpoint");
    let r = post_json(&s, IMAGES, &json!({"model": "x/missing", "prompt": "p"}));
    assert_eq!(r.status, 404);
    s.script(Route::ImageApi, [Step::NoImages]);
    let r = post_json(
        &s,
        IMAGES,
        &json!({"model": "bytedance-seed/seedream-4.5", "prompt": "p"}),
    );
    assert_eq!(r.json()["data"], json!([]));
}

#[test]
fn image_api_streams_partial_images_for_streaming_models_only() {
    let s = FakeServer::start().unwrap();
    let r = post_json(
        &s,
        IMAGES,
        &json!({"model": "openai/gpt-5-image", "prompt": "p", "stream": true, "quality": "high"}),
    );
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    let data = r.sse_data();
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let events: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "image_generation.partial_image",
            "image_generation.partial_image",
            "image_generation.completed"
        ]
    );
    assert_eq!(events[1]["partial_image_index"], 1);
    assert!(events[2]["usage"]["cost"].is_number());
    // A model that does not stream ignores the flag.
    let r = post_json(
        &s,
        IMAGES,
        &json!({"model": "bytedance-seed/seedream-4.5", "prompt": "p", "stream": true}),
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    s.script(
        Route::ImageApi,
        [Step::SseMidStreamError {
            after_chunks: 1,
            code: json!(502),
            error_type: None,
        }],
    );
    let r = post_json(
        &s,
        IMAGES,
        &json!({"model": "openai/gpt-5-image", "prompt": "p", "stream": true}),
    );
    let data = r.sse_data();
    assert_eq!(data.len(), 2, "{data:?}");
    let err: Value = serde_json::from_str(&data[1]).unwrap();
    assert_eq!(err["type"], "error");
    assert_eq!(err["error"]["code"], "502");
}

#[test]
fn image_models_and_their_endpoints_are_public_and_replaceable() {
    let s = FakeServer::start().unwrap();
    let r = request(&s.origin(), "GET", "/api/v1/images/models", &[], b"");
    assert_eq!(r.status, 200);
    let ids: Vec<String> = r.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["bytedance-seed/seedream-4.5", "openai/gpt-5-image"]);
    let e = request(
        &s.origin(),
        "GET",
        "/api/v1/images/models/bytedance-seed/seedream-4.5/endpoints",
        &[],
        b"",
    )
    .json();
    assert_eq!(e["endpoints"][0]["pricing"][0]["cost_usd"], 0.05);
    assert_eq!(
        get(&s, "/api/v1/images/models/a/none/endpoints").status,
        404
    );
    s.set_image_catalog(
        json!({"data": [{"id": "a/b", "name": "B", "description": "", "created": 1,
                         "architecture": {"input_modalities": ["text"], "output_modalities": ["image"]},
                         "supported_parameters": {}, "supports_streaming": false,
                         "endpoints": "/api/v1/images/models/a/b/endpoints"}]}),
        [("a/b".to_string(), json!({"id": "a/b", "endpoints": []}))],
    );
    assert_eq!(
        get(&s, "/api/v1/images/models").json()["data"][0]["id"],
        "a/b"
    );
    assert_eq!(
        get(&s, "/api/v1/images/models/a/b/endpoints").json()["endpoints"],
        json!([])
    );
    let r = post_json(
        &s,
        IMAGES,
        &json!({"model": "a/b", "prompt": "p",
        "input_references": [{"type": "image_url", "image_url": {"url": "https://x/r.png"}}]}),
    );
    assert_eq!(r.status, 400, "a text-only model takes no input images");
}

#[test]
fn transcriptions_json_form() {
    let s = FakeServer::start().unwrap();
    let wav = sample_wav();
    let r = post_json(
        &s,
        STT,
        &json!({"model": "openai/whisper-large-v3", "input_audio": {"data": b64(&wav), "format": "wav"},
                "language": "en"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(
        v["text"],
        format!(
            "Transcribed {} bytes of wav audio. Language: en.",
            wav.len()
        )
    );
    assert!(v["usage"]["seconds"].as_f64().unwrap() > 0.0);
    assert!(v.get("segments").is_none());
    let r = post_json(
        &s,
        STT,
        &json!({"model": "openai/whisper-large-v3", "input_audio": {"data": b64(&wav), "format": "wav"},
                "response_format": "verbose_json"}),
    );
    let v = r.json();
    assert_eq!(v["language"], "english");
    assert_eq!(v["segments"].as_array().unwrap().len(), 2);
    assert_eq!(v["segments"][1]["end"], v["duration"]);
    for (bad, needle) in [
        (
            json!({"model": "m", "input_audio": {"data": format!("data:audio/wav;base64,{}", b64(&wav)), "format": "wav"}}),
            "not a data URI",
        ),
        (
            json!({"model": "m", "input_audio": {"data": "%%%", "format": "wav"}}),
            "base64",
        ),
        (
            json!({"model": "m", "input_audio": {"data": b64(&wav)}}),
            "format",
        ),
        (
            json!({"model": "m", "input_audio": {"data": b64(&wav), "format": "wav"}, "response_format": "srt"}),
            "response_format",
        ),
        (
            json!({"input_audio": {"data": b64(&wav), "format": "wav"}}),
            "model",
        ),
    ] {
        let r = post_json(&s, STT, &bad);
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.text().contains(needle), "{needle}: {}", r.text());
    }
    s.script(
        Route::Transcriptions,
        [Step::Transcript("hello there".into())],
    );
    let r = post_json(
        &s,
        STT,
        &json!({"model": "m", "input_audio": {"data": b64(&wav), "format": "wav"}}),
    );
    assert_eq!(r.json()["text"], "hello there");
    let r = post_json(
        &s,
        STT,
        &json!({"model": "x/missing", "input_audio": {"data": b64(&wav), "format": "wav"}}),
    );
    assert_eq!(r.status, 404);
}

#[test]
fn transcriptions_multipart_form() {
    let s = FakeServer::start().unwrap();
    let mp3 = sample_mp3();
    let r = multipart(
        &s,
        &[
            ("file", Some("talk.mp3"), &mp3),
            ("model", None, b"whisper-1"),
            ("response_format", None, b"json"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["text"],
        format!("Transcribed {} bytes of mp3 audio.", mp3.len())
    );
    s.script(
        Route::Transcriptions,
        [Step::Transcript("one two three four".into())],
    );
    let r = multipart(
        &s,
        &[
            ("file", Some("talk.mp3"), &mp3),
            ("model", None, b"whisper-1"),
            ("response_format", None, b"srt"),
        ],
    );
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    assert!(r.text().starts_with("1\n00:00:00,000 --> "), "{}", r.text());
    assert!(r.text().contains("\none two\n\n2\n"), "{}", r.text());
    let r = multipart(&s, &[("model", None, b"whisper-1")]);
    assert_eq!(r.status, 400);
    assert!(r.text().contains("file"), "{}", r.text());
    let r = multipart(
        &s,
        &[("file", Some("notes.txt"), b"hi"), ("model", None, b"w")],
    );
    assert_eq!(r.status, 400);
    assert!(
        r.text().contains("unsupported audio format"),
        "{}",
        r.text()
    );
    let recorded = s.requests_to(STT);
    let form = recorded[0].form().unwrap();
    assert_eq!(form[0].filename.as_deref(), Some("talk.mp3"));
    assert_eq!(form[0].data, mp3);
    assert_eq!(form[1].text(), "whisper-1");
}

#[test]
fn embeddings_in_order_with_dimensions_and_base64() {
    let s = FakeServer::start().unwrap();
    let r = post_json(
        &s,
        EMBED,
        &json!({"model": "openai/text-embedding-3-small", "input": ["a", "bb", "a"], "dimensions": 4}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    assert_eq!(data[0]["embedding"], data[2]["embedding"]);
    assert_ne!(data[0]["embedding"], data[1]["embedding"]);
    assert_eq!(data[1]["index"], 1);
    assert_eq!(data[0]["embedding"].as_array().unwrap().len(), 4);
    assert_eq!(v["usage"]["prompt_tokens"], 3);
    let one = post_json(
        &s,
        EMBED,
        &json!({"model": "m", "input": "a", "encoding_format": "base64"}),
    )
    .json();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(one["data"][0]["embedding"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes.len(), 8 * 4);
    s.script(Route::Embeddings, [Step::EmbeddingsReversed]);
    let v = post_json(&s, EMBED, &json!({"model": "m", "input": ["a", "b"]})).json();
    assert_eq!(v["data"][0]["index"], 1);
    for bad in [
        json!({"model": "m", "input": []}),
        json!({"model": "m", "input": ["a", ""]}),
        json!({"model": "m", "input": "a", "dimensions": 0}),
        json!({"model": "m"}),
        json!({"model": "m", "input": vec!["x"; 2049]}),
    ] {
        assert_eq!(post_json(&s, EMBED, &bad).status, 400, "{bad}");
    }
    assert_eq!(
        post_json(&s, EMBED, &json!({"model": "x/missing", "input": "a"})).status,
        404
    );
}

#[test]
fn chat_content_parts_are_checked_and_named() {
    let s = FakeServer::start().unwrap();
    let body = json!({"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", b64(&sample_png()))}},
        {"type": "input_audio", "input_audio": {"data": b64(&sample_wav()), "format": "wav"}},
        {"type": "file", "file": {"filename": "report.pdf", "file_data": "data:application/pdf;base64,JVBERi0="}}
    ]}]});
    let v = post_json(&s, CHAT, &body).json();
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "Hello from openai/gpt-4o-mini. You said: what is this? [attached: image, audio/wav, file report.pdf]"
    );
    for (part, needle) in [
        (
            json!({"type": "image_url", "image_url": {"url": "ftp://x"}}),
            "image_url.url",
        ),
        (
            json!({"type": "input_audio", "input_audio": {"data": "data:audio/wav;base64,AAAA", "format": "wav"}}),
            "input_audio.data",
        ),
        (
            json!({"type": "input_audio", "input_audio": {"data": "AAAA"}}),
            "input_audio.format",
        ),
        (
            json!({"type": "file", "file": {"filename": "x"}}),
            "file_data or file_id",
        ),
        (json!({"type": "hologram"}), "not a content part type"),
    ] {
        let r = post_json(
            &s,
            CHAT,
            &json!({"model": "m", "messages": [{"role": "user", "content": [part]}]}),
        );
        assert_eq!(r.status, 400, "{part}");
        assert!(r.text().contains(needle), "{needle}: {}", r.text());
    }
}

fn schema_request(stream: bool) -> Value {
    json!({"model": "openai/gpt-4o-mini", "stream": stream,
           "messages": [{"role": "user", "content": "a person"}],
           "response_format": {"type": "json_schema", "json_schema": {"name": "person", "strict": true, "schema": {
               "type": "object",
               "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 18}},
               "required": ["name", "age"], "additionalProperties": false}}}})
}

#[test]
fn json_schema_answers_follow_the_schema_unless_scripted() {
    let s = FakeServer::start().unwrap();
    let v = post_json(&s, CHAT, &schema_request(false)).json();
    let answer: Value =
        serde_json::from_str(v["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
    assert_eq!(answer, json!({"name": "sample", "age": 18}));
    let streamed: String = post_json(&s, CHAT, &schema_request(true))
        .sse_data()
        .iter()
        .filter(|d| d.as_str() != "[DONE]")
        .filter_map(|d| {
            let c: Value = serde_json::from_str(d).unwrap();
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert_eq!(serde_json::from_str::<Value>(&streamed).unwrap(), answer);
    s.script(Route::Chat, [Step::SchemaViolation]);
    let v = post_json(&s, CHAT, &schema_request(false)).json();
    let bad: Value =
        serde_json::from_str(v["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
    assert!(bad.is_string(), "{bad}");
    let mut req = schema_request(false);
    req["response_format"]["json_schema"]["name"] = json!("bad name!");
    assert_eq!(post_json(&s, CHAT, &req).status, 400);
    req["response_format"] = json!({"type": "json_object"});
    let v = post_json(&s, CHAT, &req).json();
    let obj: Value =
        serde_json::from_str(v["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
    assert!(obj["answer"].is_string());
}

#[test]
fn reasoning_and_provider_preferences() {
    let s = FakeServer::start().unwrap();
    let mut body = chat_body("openai/gpt-4o-mini", "think", false);
    body["reasoning"] = json!({"effort": "high"});
    body["provider"] =
        json!({"order": ["azure", "openai"], "allow_fallbacks": false, "data_collection": "deny"});
    let v = post_json(&s, CHAT, &body).json();
    assert_eq!(v["provider"], "azure");
    assert_eq!(
        v["choices"][0]["message"]["reasoning"],
        "Reasoned about it with high effort."
    );
    assert_eq!(
        v["usage"]["completion_tokens_details"]["reasoning_tokens"],
        8
    );
    body["stream"] = json!(true);
    let first: Value = serde_json::from_str(&post_json(&s, CHAT, &body).sse_data()[0]).unwrap();
    assert_eq!(
        first["choices"][0]["delta"]["reasoning"],
        "Reasoned about it with high effort."
    );
    for (k, v) in [
        ("reasoning", json!({"effort": "extreme"})),
        ("reasoning_effort", json!("lots")),
        ("provider", json!({"data_collection": "maybe"})),
        ("provider", json!({"sort": "cheapest"})),
        ("provider", json!("openai")),
    ] {
        let mut b = chat_body("m", "x", false);
        b[k] = v;
        assert_eq!(post_json(&s, CHAT, &b).status, 400, "{k}");
    }
}

/*!
Request routing, authentication, scripted and random faults, and the default
behaviour of every endpoint (chat, video jobs, speech, catalogs, key, files;
the Image API, transcriptions and embeddings are in [`crate::media`]).
*/

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{json, Value};

use crate::data;
use crate::http::{self, Body, Conn, Delivery, Request, Response};
use crate::media::{self, MediaMods};
use crate::rng::XorShift;
use crate::server::{Job, Shared};
use crate::{PollingUrlStyle, Route, ServedFile, Step, VideoOutcome, VideoUrlStyle};

/// Answers one request; returns whether the connection may be kept open.
pub(crate) fn handle(shared: &Shared, conn: &mut Conn, req: Request) -> bool {
    shared.state().requests.push(req.record());
    let head_only = req.method == "HEAD";
    let (resp, delivery) = respond(shared, &req);
    let sleep = |d: Duration| shared.sleep(d);
    http::send(conn, &resp, delivery, head_only, req.keep_alive, &sleep).unwrap_or(false)
}

/// Answers a request that could not be parsed, then the connection is closed.
pub(crate) fn send_protocol_error(
    conn: &mut Conn,
    status: u16,
    message: &str,
) -> std::io::Result<bool> {
    let mut resp = Response::json(status, &error_json(status, Some(message)));
    resp.close = true;
    http::send(conn, &resp, Delivery::Normal, false, false, &|_| {})
}

/// A step popped from a script, or a random soak-mode fault.
enum Action {
    Step(Step),
    DropAtFraction(f64),
}

/// Chat-only modifiers collected from a step.
#[derive(Default)]
struct ChatMods {
    comments: bool,
    mid_error: Option<(usize, Value, Option<String>)>,
    crlf: bool,
    no_usage: bool,
    images: Option<ImageMode>,
    pieces: Option<Vec<String>>,
    schema_violation: bool,
}

enum ImageMode {
    Data(Vec<Vec<u8>>),
    Urls(Vec<String>),
    Suppress,
}

fn respond(shared: &Shared, req: &Request) -> (Response, Delivery) {
    let path = normalize(req.path());
    let route = match classify(shared, &req.method, path) {
        Some(r) => r,
        None => return (not_found("Not Found"), Delivery::Normal),
    };
    if let Some(resp) = check_auth(shared, route, req) {
        return (resp, Delivery::Normal);
    }
    let chat_body: Option<Value> = if route == Route::Chat {
        serde_json::from_slice(&req.body).ok()
    } else {
        None
    };
    let action = next_action(shared, route, chat_body.as_ref());
    if let Some(lat) = shared.opts.latency {
        let nanos = u64::try_from(lat.as_nanos()).unwrap_or(u64::MAX);
        let d = Duration::from_nanos(shared.state().rng.below(nanos));
        shared.sleep(d);
    }
    let mut mods = ChatMods::default();
    let mut media_mods = MediaMods::default();
    let mut delivery = Delivery::Normal;
    match action {
        None => {}
        Some(Action::DropAtFraction(f)) => delivery = Delivery::DropAtFraction(f),
        Some(Action::Step(step)) => match step {
            Step::Delay(d) => shared.sleep(d),
            Step::Status {
                code,
                retry_after,
                message,
            } => {
                let mut r = Response::json(code, &error_json(code, message.as_deref()));
                if let Some(s) = retry_after {
                    r = r.with_header("Retry-After", &s.to_string());
                }
                return (r, Delivery::Normal);
            }
            Step::ErrorBody {
                code,
                body,
                retry_after,
            } => {
                let mut r = Response::new(code, "application/json", Body::Bytes(body.into_bytes()));
                if let Some(s) = retry_after {
                    r = r.with_header("Retry-After", &s.to_string());
                }
                return (r, Delivery::Normal);
            }
            Step::Malformed {
                status,
                content_type,
                body,
            } => {
                let r = Response::new(status, &content_type, Body::Bytes(body.into_bytes()));
                return (r, Delivery::Normal);
            }
            Step::DropAfter(n) => delivery = Delivery::DropAfter(n as u64),
            Step::ShortContentLength(n) => delivery = Delivery::ShortBy(n),
            Step::Stall(d) => delivery = Delivery::Stall(d),
            Step::Http200Error { code } if route == Route::Chat => {
                return (
                    Response::json(200, &error_json(code, None)),
                    Delivery::Normal,
                );
            }
            Step::Http200Error { .. } => {}
            Step::SseProcessingComments => mods.comments = true,
            Step::SseMidStreamError {
                after_chunks,
                code,
                error_type,
            } => {
                media_mods.mid_error = Some((after_chunks, code.clone()));
                mods.mid_error = Some((after_chunks, code, error_type));
            }
            Step::SseCrlf => mods.crlf = true,
            Step::SseChunks(p) => mods.pieces = Some(p),
            Step::NoUsageChunk => mods.no_usage = true,
            Step::Images(v) => {
                media_mods.images = Some(v.clone());
                mods.images = Some(ImageMode::Data(v));
            }
            Step::ImageUrls(v) => mods.images = Some(ImageMode::Urls(v)),
            Step::NoImages => {
                media_mods.images = Some(Vec::new());
                mods.images = Some(ImageMode::Suppress);
            }
            Step::SchemaViolation => mods.schema_violation = true,
            Step::Transcript(t) => media_mods.transcript = Some(t),
            Step::EmbeddingsReversed => media_mods.reversed = true,
        },
    }
    let resp = match route {
        Route::Chat => chat(shared, chat_body, &mods),
        Route::VideoSubmit => video_submit(shared, req),
        Route::VideoPoll => video_poll(shared, path),
        Route::VideoContent => video_content(shared, req, path),
        Route::Speech => speech(shared, req),
        Route::Images => images(req, &mods),
        Route::ImageApi => media::images(shared, req, &media_mods),
        Route::ImageModels => media::list_image_models(shared),
        Route::ImageEndpoints => media::image_endpoints(shared, path),
        Route::Transcriptions => media::transcriptions(req, &media_mods),
        Route::Embeddings => media::embeddings(shared, req, &media_mods),
        Route::Models => models(shared, req),
        Route::VideoModels => video_models(shared),
        Route::Key => key(),
        Route::File => match shared.state().files.get(path).cloned() {
            Some(f) => serve_file(f, req),
            None => not_found("Not Found"),
        },
    };
    (resp, delivery)
}

/// Strips one trailing slash (except for `/`).
fn normalize(path: &str) -> &str {
    if path.len() > 1 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        path
    }
}

fn classify(shared: &Shared, method: &str, path: &str) -> Option<Route> {
    let get = method == "GET" || method == "HEAD";
    if get && shared.state().files.contains_key(path) {
        return Some(Route::File);
    }
    let rest = path.strip_prefix("/api/v1")?;
    match (method, rest) {
        ("POST", "/chat/completions") => Some(Route::Chat),
        ("POST", "/videos") => Some(Route::VideoSubmit),
        ("POST", "/audio/speech") => Some(Route::Speech),
        ("POST", "/images/generations") => Some(Route::Images),
        ("POST", "/images") => Some(Route::ImageApi),
        ("POST", "/audio/transcriptions") => Some(Route::Transcriptions),
        ("POST", "/embeddings") => Some(Route::Embeddings),
        (_, "/images/models") if get => Some(Route::ImageModels),
        (_, r) if get && r.starts_with("/images/models/") && r.ends_with("/endpoints") => {
            let id = &r["/images/models/".len()..r.len() - "/endpoints".len()];
            (id.split('/').count() == 2 && id.split('/').all(|p| !p.is_empty()))
                .then_some(Route::ImageEndpoints)
        }
        (_, "/videos/models") if get => Some(Route::VideoModels),
        (_, "/models") if get => Some(Route::Models),
        (_, "/key") if get => Some(Route::Key),
        (_, r) if get && r.starts_with("/videos/") => {
            let tail = &r["/videos/".len()..];
            match tail.strip_suffix("/content") {
                Some(id) if !id.is_empty() && !id.contains('/') => Some(Route::VideoContent),
                Some(_) => None,
                None if !tail.is_empty() && !tail.contains('/') => Some(Route::VideoPoll),
                None => None,
            }
        }
        _ => None,
    }
}

fn check_auth(shared: &Shared, route: Route, req: &Request) -> Option<Response> {
    if route == Route::File {
        return None;
    }
    let public = matches!(
        route,
        Route::Models | Route::VideoModels | Route::ImageModels | Route::ImageEndpoints
    );
    let token = req.header("authorization").and_then(|v| {
        let v = v.trim();
        let (scheme, rest) = v.split_once(' ').unwrap_or((v, ""));
        let rest = rest.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty()).then_some(rest)
    });
    let missing = req
        .header("authorization")
        .is_none_or(|v| v.trim().is_empty());
    match token {
        Some(t) if t == shared.opts.api_key => None,
        None if missing && public => None,
        None if missing => Some(unauthorized("Missing Authentication header")),
        _ => Some(unauthorized("Invalid credentials")),
    }
}

fn unauthorized(message: &str) -> Response {
    Response::json(401, &json!({"error": {"code": 401, "message": message}}))
}

fn next_action(shared: &Shared, route: Route, chat_body: Option<&Value>) -> Option<Action> {
    let mut st = shared.state();
    if route == Route::Chat {
        if let Some(model) = chat_body
            .and_then(|b| b.get("model"))
            .and_then(Value::as_str)
        {
            if let Some(step) = st.model_scripts.get_mut(model).and_then(|q| q.pop_front()) {
                return Some(Action::Step(step));
            }
        }
    }
    if let Some(step) = st.scripts.get_mut(&route).and_then(|q| q.pop_front()) {
        return Some(Action::Step(step));
    }
    let (rate, rng) = st.fault.as_mut()?;
    if rng.next_f64() >= *rate {
        return None;
    }
    let streaming = chat_body
        .and_then(|b| b.get("stream"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let action = random_fault(rng, route, streaming);
    drop(st);
    shared
        .faults
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    Some(action)
}

fn random_fault(rng: &mut XorShift, route: Route, streaming: bool) -> Action {
    let binary = matches!(route, Route::VideoContent | Route::Speech | Route::File);
    let sse_stall = route == Route::Chat && streaming;
    let kinds = if sse_stall { 11 } else { 10 };
    let status = |code: u16, retry_after: Option<u32>| {
        Action::Step(Step::Status {
            code,
            retry_after,
            message: None,
        })
    };
    match rng.below(kinds) {
        0 => Action::Step(Step::Delay(Duration::from_millis(50 + rng.below(450)))),
        1 => status(429, Some(1)),
        2 => status(429, None),
        3 => status(500, None),
        4 => status(502, None),
        5 => status(503, Some(1)),
        6 => status(529, None),
        7 => Action::DropAtFraction(rng.next_f64()),
        8 => Action::Step(Step::ShortContentLength(1 + rng.below(64))),
        9 if binary => Action::Step(Step::Malformed {
            status: 200,
            content_type: "text/html".into(),
            body: "<html><body><h1>502 Bad Gateway</h1></body></html>".into(),
        }),
        9 => Action::Step(Step::Malformed {
            status: 200,
            content_type: "application/json".into(),
            body: "{\"id\": \"gen-oops\", \"choices\": [".into(),
        }),
        _ => Action::Step(Step::Stall(Duration::from_millis(200 + rng.below(1800)))),
    }
}

/// The default `error.message` for a status code (the spec's examples).
fn default_message(code: u16) -> &'static str {
    match code {
        400 => "Invalid request parameters",
        401 => "Missing Authentication header",
        402 => "Insufficient credits. Add more using https://openrouter.ai/credits",
        403 => "Forbidden",
        404 => "Resource not found",
        408 => "Operation timed out. Please try again later.",
        413 => "Request payload too large",
        422 => "Invalid argument",
        429 => "Rate limit exceeded",
        500 => "Internal Server Error",
        502 => "Provider returned error",
        503 => "Service temporarily unavailable",
        524 => "Request timed out. Please try again later.",
        529 => "Provider returned error",
        _ => "Error",
    }
}

/// The `metadata.error_type` OpenRouter uses for a status code.
fn error_type(code: u16, message: &str) -> &'static str {
    match code {
        400 if message.to_ascii_lowercase().contains("context length") => "context_length_exceeded",
        400 => "invalid_request",
        401 => "authentication",
        402 => "payment_required",
        403 => "permission_denied",
        404 => "not_found",
        408 => "timeout",
        413 => "payload_too_large",
        422 => "unprocessable",
        429 => "rate_limit_exceeded",
        500 => "server",
        502 | 503 => "provider_unavailable",
        524 => "timeout",
        529 => "provider_overloaded",
        c if (400..500).contains(&c) => "invalid_request",
        _ => "server",
    }
}

/// An OpenRouter error body.
pub(crate) fn error_json(code: u16, message: Option<&str>) -> Value {
    let message = message.unwrap_or_else(|| default_message(code));
    json!({"error": {
        "code": code,
        "message": message,
        "metadata": {"error_type": error_type(code, message)}
    }})
}

pub(crate) fn bad_request(message: &str) -> Response {
    Response::json(400, &error_json(400, Some(message)))
}

pub(crate) fn not_found(message: &str) -> Response {
    Response::json(404, &error_json(404, Some(message)))
}

/// The availability-style 404 for an unknown model.
pub(crate) fn model_not_found(model: &str) -> Response {
    Response::json(
        404,
        &json!({"error": {
            "code": 404,
            "message": format!("No endpoints found for {model}."),
            "metadata": {"error_type": "not_found"},
            "availability": {
                "code": "no_endpoints",
                "retryable": false,
                "requested_models": [model],
                "docs_url": "https://openrouter.ai/docs/api_reference/errors-and-debugging"
            }
        }}),
    )
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(crate) fn generation_id(shared: &Shared) -> String {
    let suffix = shared.state().rng.alnum(20);
    format!("gen-{}-{suffix}", unix_now())
}

/// The text of a message's `content` (string, or the text parts of an array).
fn content_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

fn split_pieces(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len();
    let n = n.max(1).min(len.max(1));
    (0..n)
        .map(|i| chars[i * len / n..(i + 1) * len / n].iter().collect())
        .collect()
}

fn chat(shared: &Shared, body: Option<Value>, mods: &ChatMods) -> Response {
    let body = match body {
        Some(v) if v.is_object() => v,
        _ => return bad_request("Invalid JSON body: expected a ChatRequest object"),
    };
    let messages = match body.get("messages").and_then(Value::as_array) {
        Some(m) if !m.is_empty() => m,
        _ => return bad_request("messages: must be a non-empty array"),
    };
    for (i, m) in messages.iter().enumerate() {
        let role = m.get("role").and_then(Value::as_str).unwrap_or("");
        if !["system", "developer", "user", "assistant", "tool"].contains(&role) {
            return bad_request(&format!("messages[{i}].role: invalid or missing role"));
        }
    }
    if let Err(r) = media::check_content_parts(messages) {
        return r;
    }
    let effort = match media::reasoning_effort(&body) {
        Ok(e) => e.filter(|e| e != "none"),
        Err(r) => return r,
    };
    let served_by = match media::provider_choice(&body) {
        Ok(p) => p.unwrap_or_else(|| "FakeProvider".to_string()),
        Err(r) => return r,
    };
    let requested = match body.get("model") {
        None | Some(Value::Null) => "openrouter/auto".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return bad_request("model: expected a string"),
    };
    let mut candidates = vec![requested.clone()];
    if let Some(list) = body.get("models").and_then(Value::as_array) {
        candidates.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
    }
    let Some(chosen) = candidates.iter().find(|m| !m.contains("missing")) else {
        return model_not_found(&requested);
    };
    let model = if chosen.starts_with("openrouter/auto") {
        "openai/gpt-4o-mini".to_string()
    } else {
        chosen.clone()
    };
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let wants_image = body
        .get("modalities")
        .and_then(Value::as_array)
        .is_some_and(|m| m.iter().any(|x| x == "image"));
    let images: Vec<Value> = match &mods.images {
        Some(ImageMode::Data(list)) => list
            .iter()
            .map(|bytes| {
                let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
                format!("data:{};base64,{b64}", data::image_mime(bytes))
            })
            .map(|url| json!({"type": "image_url", "image_url": {"url": url}}))
            .collect(),
        Some(ImageMode::Urls(list)) => list
            .iter()
            .map(|url| json!({"type": "image_url", "image_url": {"url": url}}))
            .collect(),
        Some(ImageMode::Suppress) => Vec::new(),
        None if wants_image => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(data::sample_png());
            vec![
                json!({"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{b64}")}}),
            ]
        }
        None => Vec::new(),
    };
    let last_user_message = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"));
    let last_user = last_user_message
        .map(|m| content_text(m.get("content")))
        .unwrap_or_default();
    let attached = media::attachments_note(last_user_message);
    let text = if !images.is_empty() {
        "Here is your image.".to_string()
    } else if let Some(pieces) = &mods.pieces {
        pieces.concat()
    } else if let Some(answer) = &shared.opts.chat_answer {
        answer.clone()
    } else {
        format!("Hello from {model}. You said: {last_user}{attached}")
    };
    let text = match media::structured_answer(&body, &text, mods.schema_violation) {
        Ok(Some(json_text)) if images.is_empty() && mods.pieces.is_none() => json_text,
        Ok(_) => text,
        Err(r) => return r,
    };
    let reasoning = effort
        .as_deref()
        .map(|e| format!("Reasoned about it with {e} effort."));
    let reasoning_tokens: u64 = if reasoning.is_some() { 8 } else { 0 };
    let prompt_chars: usize = messages
        .iter()
        .map(|m| content_text(m.get("content")).chars().count())
        .sum();
    let prompt_tokens = (prompt_chars as u64).div_ceil(4).max(1);
    let completion_tokens = (text.chars().count() as u64).div_ceil(4).max(1) + reasoning_tokens;
    let prompt_cost = prompt_tokens as f64 * 0.000_000_15;
    let completion_cost = completion_tokens as f64 * 0.000_000_6;
    let usage = json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "cost": prompt_cost + completion_cost,
        "is_byok": false,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "cost_details": {
            "upstream_inference_cost": null,
            "upstream_inference_prompt_cost": prompt_cost,
            "upstream_inference_completions_cost": completion_cost
        }
    });
    let id = generation_id(shared);
    let created = unix_now();
    if !stream {
        let mut message = json!({
            "role": "assistant",
            "content": text,
            "refusal": null,
            "reasoning": reasoning
        });
        if !images.is_empty() {
            message["images"] = Value::Array(images);
        }
        let result = json!({
            "id": id,
            "provider": served_by,
            "model": model,
            "object": "chat.completion",
            "created": created,
            "system_fingerprint": null,
            "choices": [{
                "index": 0,
                "finish_reason": "stop",
                "native_finish_reason": "stop",
                "message": message
            }],
            "usage": usage
        });
        return Response::json(200, &result).with_header("X-Generation-Id", &id);
    }

    let eol = if mods.crlf { "\r\n" } else { "\n" };
    let chunk = |choices: Value| {
        json!({
            "id": id,
            "provider": served_by,
            "model": model,
            "object": "chat.completion.chunk",
            "created": created,
            "choices": choices
        })
    };
    let mut datas: Vec<Value> = Vec::new();
    let pieces = match &mods.pieces {
        Some(p) if images.is_empty() => p.clone(),
        _ => split_pieces(&text, shared.opts.stream_chunks),
    };
    let mut close = false;
    if let Some(r) = &reasoning {
        datas.push(chunk(json!([{
            "index": 0,
            "delta": {"role": "assistant", "content": "", "reasoning": r},
            "finish_reason": null,
            "native_finish_reason": null
        }])));
    }
    for (i, piece) in pieces.iter().enumerate() {
        if let Some((after, _, _)) = &mods.mid_error {
            if i >= *after {
                break;
            }
        }
        let delta = if i == 0 {
            json!({"role": "assistant", "content": piece})
        } else {
            json!({"content": piece})
        };
        datas.push(chunk(json!([{
            "index": 0, "delta": delta, "finish_reason": null, "native_finish_reason": null
        }])));
    }
    if let Some((_, code, error_type)) = &mods.mid_error {
        let message = match code {
            Value::Number(n) => n
                .as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .map(default_message)
                .unwrap_or("Provider returned error"),
            _ => "Internal Server Error",
        };
        let mut error = json!({"code": code, "message": message});
        if let Some(t) = error_type {
            error["metadata"] = json!({"error_type": t});
        }
        let mut c = chunk(json!([{
            "index": 0,
            "delta": {"content": ""},
            "finish_reason": "error",
            "native_finish_reason": "error"
        }]));
        c["error"] = error;
        datas.push(c);
        close = true;
    } else {
        if !images.is_empty() {
            datas.push(chunk(json!([{
                "index": 0,
                "delta": {"images": images},
                "finish_reason": null,
                "native_finish_reason": null
            }])));
        }
        datas.push(chunk(json!([{
            "index": 0,
            "delta": {"content": ""},
            "finish_reason": "stop",
            "native_finish_reason": "stop"
        }])));
        if !mods.no_usage {
            let mut u = chunk(json!([]));
            u["usage"] = usage;
            datas.push(u);
        }
    }
    let mut events: Vec<Vec<u8>> = Vec::new();
    for d in &datas {
        if mods.comments {
            events.push(format!(": OPENROUTER PROCESSING{eol}{eol}").into_bytes());
        }
        events.push(format!("data: {d}{eol}{eol}").into_bytes());
    }
    if !close {
        events.push(format!("data: [DONE]{eol}{eol}").into_bytes());
    }
    let mut resp = Response::new(200, "text/event-stream", Body::Sse(events))
        .with_header("Cache-Control", "no-cache")
        .with_header("X-Generation-Id", &id);
    resp.close = close;
    resp
}

const RESOLUTIONS: [&str; 7] = ["480p", "720p", "768p", "1080p", "1K", "2K", "4K"];
const ASPECT_RATIOS: [&str; 9] = [
    "16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9", "9:21",
];

/// Validates a `VideoGenerationRequest`; `Err` holds the 400 message.
fn validate_video_request(body: &Value) -> Result<&str, String> {
    if !body.is_object() {
        return Err("Invalid JSON body: expected a VideoGenerationRequest object".into());
    }
    let model = match body.get("model") {
        Some(Value::String(s)) if !s.is_empty() => s.as_str(),
        Some(_) => return Err("model: expected a non-empty string".into()),
        None => return Err("model: Required".into()),
    };
    if let Some(p) = body.get("prompt") {
        if !p.is_string() {
            return Err("prompt: expected a string".into());
        }
    }
    if let Some(d) = body.get("duration") {
        if d.as_u64().is_none_or(|d| d < 1) {
            return Err("duration: expected an integer >= 1".into());
        }
    }
    for (field, allowed) in [
        ("resolution", &RESOLUTIONS[..]),
        ("aspect_ratio", &ASPECT_RATIOS[..]),
    ] {
        if let Some(v) = body.get(field) {
            if !v.as_str().is_some_and(|s| allowed.contains(&s)) {
                return Err(format!("{field}: expected one of {}", allowed.join(", ")));
            }
        }
    }
    if let Some(frames) = body.get("frame_images") {
        let frames = frames.as_array().ok_or("frame_images: expected an array")?;
        for (i, f) in frames.iter().enumerate() {
            let ft = f.get("frame_type").and_then(Value::as_str);
            if !matches!(ft, Some("first_frame" | "last_frame")) {
                return Err(format!(
                    "frame_images[{i}].frame_type: expected \"first_frame\" or \"last_frame\""
                ));
            }
            if f.pointer("/image_url/url")
                .and_then(Value::as_str)
                .is_none()
            {
                return Err(format!("frame_images[{i}].image_url.url: Required"));
            }
            if f.get("type").is_some_and(|t| t != "image_url") {
                return Err(format!("frame_images[{i}].type: expected \"image_url\""));
            }
        }
    }
    if let Some(refs) = body.get("input_references") {
        let refs = refs
            .as_array()
            .ok_or("input_references: expected an array")?;
        for (i, r) in refs.iter().enumerate() {
            let t = r.get("type").and_then(Value::as_str).unwrap_or("");
            if !["image_url", "audio_url", "video_url"].contains(&t) {
                return Err(format!("input_references[{i}].type: invalid"));
            }
            if r.pointer(&format!("/{t}/url"))
                .and_then(Value::as_str)
                .is_none()
            {
                return Err(format!("input_references[{i}].{t}.url: Required"));
            }
        }
    }
    Ok(model)
}

fn video_submit(shared: &Shared, req: &Request) -> Response {
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(_) => return bad_request("Invalid JSON body"),
    };
    let model = match validate_video_request(&body) {
        Ok(m) => m,
        Err(msg) => return bad_request(&msg),
    };
    if model.contains("missing") {
        return model_not_found(model);
    }
    let generation = generation_id(shared);
    let mut st = shared.state();
    st.job_counter += 1;
    let suffix = st.rng.alnum(8);
    let id = format!("job-{}-{suffix}", st.job_counter);
    let spec = Arc::clone(&st.video_spec);
    let video = Arc::clone(&st.video_file);
    let polling_url = match (&spec.polling_url_override, shared.opts.polling_url_style) {
        (Some(url), _) => url.clone(),
        (None, PollingUrlStyle::Absolute) => format!("{}/api/v1/videos/{id}", shared.origin),
        (None, PollingUrlStyle::Relative) => format!("/api/v1/videos/{id}"),
    };
    let job = Job {
        id: id.clone(),
        polling_url,
        generation_id: generation,
        spec,
        video,
        polls: 0,
    };
    let body = if job.spec.completed_on_submit {
        job_json(&shared.origin, &job, &job.spec.outcome.clone())
    } else {
        json!({"id": job.id, "polling_url": job.polling_url, "status": "pending"})
    };
    st.jobs.insert(id, job);
    Response::json(202, &body)
}

/// The job id in `/api/v1/videos/{id}[/content]`.
fn job_id(path: &str) -> &str {
    let tail = path.strip_prefix("/api/v1/videos/").unwrap_or("");
    tail.strip_suffix("/content").unwrap_or(tail)
}

/// Where a job is after `polls` answered polls.
enum Phase<'a> {
    Pending,
    InProgress,
    Done(&'a VideoOutcome),
}

fn phase(job: &Job, polls: u32) -> Phase<'_> {
    let s = &job.spec;
    if s.completed_on_submit || polls >= s.pending_polls.saturating_add(s.in_progress_polls) {
        Phase::Done(&s.outcome)
    } else if polls < s.pending_polls {
        Phase::Pending
    } else {
        Phase::InProgress
    }
}

fn job_json(origin: &str, job: &Job, outcome: &VideoOutcome) -> Value {
    let mut v = json!({"id": job.id, "polling_url": job.polling_url});
    let (status, error) = match outcome {
        VideoOutcome::Completed => ("completed", None),
        VideoOutcome::Failed(e) => ("failed", Some(e)),
        VideoOutcome::Cancelled(e) => ("cancelled", Some(e)),
        VideoOutcome::Expired(e) => ("expired", Some(e)),
    };
    v["status"] = json!(status);
    if let Some(e) = error {
        v["error"] = json!(e);
        return v;
    }
    v["generation_id"] = json!(job.generation_id);
    let n = job.spec.videos;
    match &job.spec.url_style {
        VideoUrlStyle::ContentEndpoint => {
            let urls: Vec<String> = (0..n)
                .map(|i| format!("{origin}/api/v1/videos/{}/content?index={i}", job.id))
                .collect();
            v["unsigned_urls"] = json!(urls);
        }
        VideoUrlStyle::Omitted => {}
        VideoUrlStyle::Foreign(url) => {
            v["unsigned_urls"] = json!(vec![url.clone(); n.max(1) as usize]);
        }
    }
    v["usage"] = json!({"cost": job.spec.cost, "is_byok": false});
    v
}

fn video_poll(shared: &Shared, path: &str) -> Response {
    let id = job_id(path);
    let mut st = shared.state();
    let Some(job) = st.jobs.get_mut(id) else {
        return not_found(&format!("Video generation job {id} not found"));
    };
    let polls = job.polls;
    job.polls = job.polls.saturating_add(1);
    let body = match phase(job, polls) {
        Phase::Pending => {
            json!({"id": job.id, "polling_url": job.polling_url, "status": "pending"})
        }
        Phase::InProgress => {
            json!({"id": job.id, "polling_url": job.polling_url, "status": "in_progress"})
        }
        Phase::Done(outcome) => job_json(&shared.origin, job, outcome),
    };
    Response::json(200, &body)
}

fn video_content(shared: &Shared, req: &Request, path: &str) -> Response {
    let id = job_id(path);
    let index = match req.query_param("index") {
        None => 0,
        Some(s) if s.is_empty() || s == "null" => 0,
        Some(s) => match s.parse::<u32>() {
            Ok(i) => i,
            Err(_) => return bad_request("index: expected a non-negative integer"),
        },
    };
    let st = shared.state();
    let Some(job) = st.jobs.get(id) else {
        return not_found(&format!("Video generation job {id} not found"));
    };
    // Polls answered so far; the last one must have reported the outcome.
    let answered = job.polls;
    let reached = job.spec.completed_on_submit
        || answered > 0 && matches!(phase(job, answered - 1), Phase::Done(_));
    match (&job.spec.outcome, reached) {
        (VideoOutcome::Completed, true) => {}
        (VideoOutcome::Completed, false) => {
            return bad_request(&format!("Video generation job {id} is not completed yet"));
        }
        _ => return not_found(&format!("Video generation job {id} has no output")),
    }
    if index >= job.spec.videos {
        return not_found(&format!(
            "Video output index {index} not found for job {id}"
        ));
    }
    let file = Arc::clone(&job.video);
    drop(st);
    serve_file(file, req)
}

/// Serves a file, honouring a single `Range: bytes=` request.
fn serve_file(file: Arc<ServedFile>, req: &Request) -> Response {
    let total = file.len();
    let content_type = file.content_type.clone();
    let range = req.header("range").and_then(|r| {
        let spec = r.trim().strip_prefix("bytes=")?;
        if spec.contains(',') {
            return None;
        }
        let (a, b) = spec.split_once('-')?;
        let (a, b) = (a.trim(), b.trim());
        Some(if a.is_empty() {
            let n: u64 = b.parse().ok()?;
            (total.saturating_sub(n), total.saturating_sub(1), n > 0)
        } else {
            let start: u64 = a.parse().ok()?;
            let end = if b.is_empty() {
                total.saturating_sub(1)
            } else {
                b.parse::<u64>().ok()?.min(total.saturating_sub(1))
            };
            (start, end, start < total && start <= end)
        })
    });
    match range {
        Some((start, end, true)) => Response::new(
            206,
            &content_type,
            Body::File {
                file,
                start,
                len: end - start + 1,
            },
        )
        .with_header("Content-Range", &format!("bytes {start}-{end}/{total}"))
        .with_header("Accept-Ranges", "bytes"),
        Some((_, _, false)) => Response::json(416, &error_json(416, Some("Range Not Satisfiable")))
            .with_header("Content-Range", &format!("bytes */{total}")),
        None => Response::new(
            200,
            &content_type,
            Body::File {
                file,
                start: 0,
                len: total,
            },
        )
        .with_header("Accept-Ranges", "bytes"),
    }
}

fn speech(shared: &Shared, req: &Request) -> Response {
    let body = match serde_json::from_slice::<Value>(&req.body) {
        Ok(v) if v.is_object() => v,
        _ => return bad_request("Invalid JSON body: expected a SpeechRequest object"),
    };
    let Some(model) = body.get("model").and_then(Value::as_str) else {
        return bad_request("model: Required");
    };
    if body.get("input").and_then(Value::as_str).is_none() {
        return bad_request("input: Required");
    }
    if let Some(voice) = body.get("voice") {
        if voice.as_str().is_none_or(str::is_empty) {
            return bad_request("voice: expected a non-empty string");
        }
    }
    let format = match body.get("response_format") {
        None | Some(Value::Null) => "pcm",
        Some(Value::String(s)) if s == "mp3" || s == "pcm" => s.as_str(),
        Some(_) => return bad_request("response_format: expected \"mp3\" or \"pcm\""),
    };
    if model.contains("missing") {
        return model_not_found(model);
    }
    let (content_type, bytes) = if format == "mp3" {
        ("audio/mpeg", data::sample_mp3())
    } else {
        ("audio/pcm", data::sample_pcm())
    };
    Response::new(200, content_type, Body::Bytes(bytes))
        .with_header("X-Generation-Id", &generation_id(shared))
}

/// `POST /images/generations`, the OpenAI-compatible image endpoint (not an
/// OpenRouter one; served for the OpenAI-compatible plugin): `n` images as
/// `data[].b64_json` (a scripted [`Step::Images`] chooses their bytes).
fn images(req: &Request, mods: &ChatMods) -> Response {
    let body = match serde_json::from_slice::<Value>(&req.body) {
        Ok(v) if v.is_object() => v,
        _ => return bad_request("Invalid JSON body: expected an image generation request object"),
    };
    let model = match body.get("model") {
        Some(Value::String(s)) if !s.is_empty() => s.as_str(),
        Some(_) => return bad_request("model: expected a non-empty string"),
        None => return bad_request("model: Required"),
    };
    if body
        .get("prompt")
        .and_then(Value::as_str)
        .is_none_or(|p| p.trim().is_empty())
    {
        return bad_request("prompt: expected a non-empty string");
    }
    let n = match body.get("n") {
        None | Some(Value::Null) => 1,
        Some(v) => match v.as_u64() {
            Some(n @ 1..=10) => n as usize,
            _ => return bad_request("n: expected an integer from 1 to 10"),
        },
    };
    match body.get("response_format").and_then(Value::as_str) {
        None | Some("b64_json") => {}
        Some(_) => return bad_request("response_format: this server only answers \"b64_json\""),
    }
    if model.contains("missing") {
        return model_not_found(model);
    }
    let images: Vec<Vec<u8>> = match &mods.images {
        Some(ImageMode::Data(list)) => list.clone(),
        Some(ImageMode::Suppress) => Vec::new(),
        _ => vec![data::sample_png(); n],
    };
    let data: Vec<Value> = images
        .iter()
        .map(|b| json!({"b64_json": base64::engine::general_purpose::STANDARD.encode(b)}))
        .collect();
    Response::json(200, &json!({"created": unix_now(), "data": data}))
}

fn models(shared: &Shared, req: &Request) -> Response {
    let custom = shared.state().models.clone();
    let mut body = custom.unwrap_or_else(|| {
        let list = data::default_models();
        json!({"total_count": list.len(), "data": list, "links": {"next": null}})
    });
    let filter = req
        .query_param("output_modalities")
        .unwrap_or_else(|| "text".to_string())
        .to_ascii_lowercase();
    let wanted: Vec<&str> = filter
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if !wanted.contains(&"all") && !wanted.is_empty() {
        if let Some(list) = body.get_mut("data").and_then(Value::as_array_mut) {
            list.retain(|m| {
                match m
                    .pointer("/architecture/output_modalities")
                    .and_then(Value::as_array)
                {
                    Some(outs) => outs
                        .iter()
                        .filter_map(Value::as_str)
                        .any(|o| wanted.contains(&o)),
                    None => true,
                }
            });
            let n = list.len();
            if body.get("total_count").is_some() {
                body["total_count"] = json!(n);
            }
        }
    }
    Response::json(200, &body)
}

fn video_models(shared: &Shared) -> Response {
    let body = shared
        .state()
        .video_models
        .clone()
        .unwrap_or_else(data::default_video_models);
    Response::json(200, &body)
}

fn key() -> Response {
    Response::json(
        200,
        &json!({"data": {
            "label": "fake-key",
            "limit": 100,
            "limit_remaining": 87.5,
            "limit_reset": null,
            "include_byok_in_limit": false,
            "usage": 12.5,
            "usage_daily": 1.5,
            "usage_weekly": 4.5,
            "usage_monthly": 12.5,
            "byok_usage": 0,
            "byok_usage_daily": 0,
            "byok_usage_weekly": 0,
            "byok_usage_monthly": 0,
            "is_free_tier": false,
            "is_management_key": false,
            "is_provisioning_key": false,
            "creator_user_id": null,
            "expires_at": null,
            "rate_limit": {"requests": 1000, "interval": "1h", "note": "This field is deprecated and safe to ignore."}
        }}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_text() {
        assert_eq!(split_pieces("abcdefgh", 3).concat(), "abcdefgh");
        assert_eq!(split_pieces("ab", 8).len(), 2);
        assert_eq!(split_pieces("", 8), vec![String::new()]);
        assert_eq!(split_pieces("héllo wörld", 4).concat(), "héllo wörld");
    }

    #[test]
    fn error_types() {
        assert_eq!(
            error_type(400, "This exceeds the context length"),
            "context_length_exceeded"
        );
        assert_eq!(error_type(429, ""), "rate_limit_exceeded");
        assert_eq!(error_type(529, ""), "provider_overloaded");
        assert_eq!(
            error_json(503, None)["error"]["message"],
            "Service temporarily unavailable"
        );
    }

    #[test]
    fn video_validation() {
        assert!(validate_video_request(&json!({"model": "m", "prompt": "p"})).is_ok());
        assert!(validate_video_request(&json!({"prompt": "p"})).is_err());
        assert!(validate_video_request(&json!({"model": "m", "duration": 0})).is_err());
        assert!(validate_video_request(&json!({"model": "m", "duration": 4.5})).is_err());
        assert!(validate_video_request(&json!({"model": "m", "resolution": "720P"})).is_err());
        let ok = json!({"model": "m", "frame_images": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}, "frame_type": "first_frame"}
        ]});
        assert!(validate_video_request(&ok).is_ok());
        let bad = json!({"model": "m", "frame_images": [{"image_url": {"url": "x"}, "frame_type": "middle"}]});
        assert!(validate_video_request(&bad).is_err());
    }
}

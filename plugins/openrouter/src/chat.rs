/*!
Chat completions (`POST /chat/completions`), plain and streamed, and image
generation through the same endpoint with `modalities: ["image", "text"]`.

Answers are parsed leniently (unknown fields and finish reasons pass);
OpenRouter's ways of reporting an error inside a 200 answer (a top-level
`error`, `finish_reason: "error"` with `choices[0].error`, a mid-stream SSE
error chunk) all become typed errors. Streams are parsed by the API crate's
spec-compliant SSE parser, so `: OPENROUTER PROCESSING` comments are skipped.
*/

use crate::client::{self, api_headers, endpoint, send, transport_error};
use crate::errors::{self, Endpoint};
use crate::{api_model, video::write_bytes};
use serde_json::{json, Value};
use switchyard_plugin_api::sse::SseParser;
use switchyard_plugin_api::*;

fn messages_json(req: &ChatRequest) -> Vec<Value> {
    req.messages
        .iter()
        .map(|m| json!({"role": m.role.as_str(), "content": m.content.as_str()}))
        .collect()
}

fn usage_of(v: &Value) -> Usage {
    let g = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_u64())
            .map_or(ROption::RNone, ROption::RSome)
    };
    Usage {
        prompt_tokens: g("prompt_tokens"),
        completion_tokens: g("completion_tokens"),
        total_tokens: g("total_tokens"),
        cost: v
            .get("cost")
            .and_then(|x| x.as_f64())
            .map_or(ROption::RNone, ROption::RSome),
    }
}

fn malformed(what: &str) -> PluginError {
    PluginError::new(
        ErrorKind::UPSTREAM,
        format!("OpenRouter sent a malformed answer: {what}"),
    )
}

/// Checks a parsed non-streaming answer for the in-band error forms.
fn inline_error(v: &Value) -> Option<PluginError> {
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        return Some(errors::classify_inline(err));
    }
    let c0 = v.get("choices")?.get(0)?;
    if c0.get("finish_reason").and_then(|f| f.as_str()) == Some("error") {
        let err = c0
            .get("error")
            .cloned()
            .unwrap_or(json!({"message": "the model stopped with an error"}));
        return Some(errors::classify_inline(&err));
    }
    None
}

async fn post(
    ctx: &CallContext,
    host: &HostRef<'_>,
    body: &Value,
) -> Result<reqwest::Response, PluginError> {
    let url = endpoint(ctx, "chat/completions")?;
    let c = client::client(ctx)?;
    let req = c.post(url.clone()).headers(api_headers(ctx)?).json(body);
    send(host, req, "POST", &url, "chat completion", Endpoint::Model).await
}

async fn read_json(resp: reqwest::Response, what: &str) -> Result<Value, PluginError> {
    let body = client::read_capped(resp, 256 * 1024 * 1024)
        .await
        .map_err(|e| transport_error(&e, what))?;
    serde_json::from_slice(&body).map_err(|_| malformed(&format!("the {what} answer is not JSON")))
}

/// A chat completion, streamed through `Host::text` when asked.
pub async fn chat(
    req: &ChatRequest,
    ctx: &CallContext,
    host: &HostRef<'_>,
) -> Result<ChatResponse, PluginError> {
    if req.messages.is_empty() {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            "a chat needs at least one message",
        ));
    }
    let mut body = json!({"model": api_model(&req.model), "messages": messages_json(req)});
    if req.stream {
        body["stream"] = json!(true);
    }
    if let ROption::RSome(n) = req.max_tokens {
        body["max_tokens"] = json!(n);
    }
    if let ROption::RSome(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    let resp = post(ctx, host, &body).await?;
    let is_sse = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    if req.stream && is_sse {
        return stream(resp, req, host).await;
    }
    let v = read_json(resp, "chat").await?;
    if let Some(e) = inline_error(&v) {
        return Err(e);
    }
    let c0 = v
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| malformed("no choices"))?;
    let text = c0
        .get("message")
        .and_then(|m| m.get("content"))
        .and_then(|c| c.as_str())
        .unwrap_or("")
        .to_string();
    if req.stream && !text.is_empty() {
        host.text(text.as_str().into());
    }
    Ok(ChatResponse {
        text: text.into(),
        model: v
            .get("model")
            .and_then(|m| m.as_str())
            .unwrap_or(&req.model)
            .into(),
        finish_reason: c0
            .get("finish_reason")
            .and_then(|f| f.as_str())
            .unwrap_or("")
            .into(),
        usage: v.get("usage").map(usage_of).unwrap_or_default(),
        generation_id: v
            .get("id")
            .and_then(|i| i.as_str())
            .map(RString::from)
            .map_or(ROption::RNone, ROption::RSome),
    })
}

async fn stream(
    mut resp: reqwest::Response,
    req: &ChatRequest,
    host: &HostRef<'_>,
) -> Result<ChatResponse, PluginError> {
    let mut parser = SseParser::new();
    let mut events = Vec::new();
    let mut text = String::new();
    let mut model = req.model.to_string();
    let mut finish = String::new();
    let mut usage = Usage::default();
    let mut gen_id = None;
    let mut done = false;
    while !done {
        let chunk = match resp.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                let mut err = transport_error(&e, "chat stream");
                if !text.is_empty() {
                    err.message = format!(
                        "{} after {} characters of the answer",
                        err.message,
                        text.len()
                    )
                    .into();
                }
                return Err(err);
            }
        };
        parser.feed(&chunk, &mut events);
        for ev in events.drain(..) {
            let data = ev.data.trim();
            if data == "[DONE]" {
                done = true;
                break;
            }
            if data.is_empty() {
                continue;
            }
            let v: Value =
                serde_json::from_str(data).map_err(|_| malformed("a stream chunk is not JSON"))?;
            if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
                return Err(errors::classify_inline(err));
            }
            if let Some(m) = v.get("model").and_then(|m| m.as_str()) {
                model = m.to_string();
            }
            if gen_id.is_none() {
                gen_id = v.get("id").and_then(|i| i.as_str()).map(str::to_string);
            }
            if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
                usage = usage_of(u);
            }
            if let Some(c0) = v.get("choices").and_then(|c| c.get(0)) {
                if let Some(d) = c0
                    .get("delta")
                    .and_then(|d| d.get("content"))
                    .and_then(|c| c.as_str())
                {
                    if !d.is_empty() {
                        text.push_str(d);
                        host.text(d.into());
                    }
                }
                if let Some(f) = c0.get("finish_reason").and_then(|f| f.as_str()) {
                    if f == "error" {
                        let err = c0
                            .get("error")
                            .cloned()
                            .unwrap_or(json!({"message": "the model stopped with an error"}));
                        return Err(errors::classify_inline(&err));
                    }
                    finish = f.to_string();
                }
            }
        }
    }
    if !done && finish.is_empty() {
        return Err(PluginError::new(
            ErrorKind::NETWORK,
            format!(
                "the chat stream ended before it was complete (after {} characters)",
                text.len()
            ),
        ));
    }
    Ok(ChatResponse {
        text: text.into(),
        model: model.into(),
        finish_reason: finish.into(),
        usage,
        generation_id: gen_id
            .map(RString::from)
            .map_or(ROption::RNone, ROption::RSome),
    })
}

/// Image generation through chat completions; images go to the sink.
pub async fn image(
    req: &ImageRequest,
    ctx: &CallContext,
    host: &HostRef<'_>,
) -> Result<ImageResponse, PluginError> {
    let mut body = json!({
        "model": api_model(&req.model),
        "messages": [{"role": "user", "content": req.prompt.as_str()}],
        "modalities": ["image", "text"],
    });
    let mut cfg = serde_json::Map::new();
    if let ROption::RSome(a) = &req.aspect_ratio {
        cfg.insert("aspect_ratio".into(), json!(a.as_str()));
    }
    if let ROption::RSome(s) = &req.size {
        cfg.insert("image_size".into(), json!(s.as_str()));
    }
    if !cfg.is_empty() {
        body["image_config"] = Value::Object(cfg);
    }
    let resp = post(ctx, host, &body).await?;
    let v = read_json(resp, "image").await?;
    if let Some(e) = inline_error(&v) {
        return Err(e);
    }
    let msg = v
        .get("choices")
        .and_then(|c| c.get(0))
        .and_then(|c| c.get("message"))
        .ok_or_else(|| malformed("no choices"))?;
    let text = msg
        .get("content")
        .and_then(|c| c.as_str())
        .unwrap_or("")
        .to_string();
    let urls: Vec<String> = msg
        .get("images")
        .and_then(|i| i.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|im| {
                    im.get("image_url")
                        .and_then(|u| u.get("url"))
                        .and_then(|u| u.as_str())
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    if urls.is_empty() {
        let shown = if text.trim().is_empty() {
            "(no text)".to_string()
        } else {
            text.trim().to_string()
        };
        return Err(PluginError::new(
            ErrorKind::JOB_FAILED,
            format!("the model answered without an image; its text: {shown}"),
        ));
    }
    for (i, u) in urls.iter().enumerate() {
        let i = i as u32;
        if let Some(rest) = u.strip_prefix("data:") {
            let (meta, payload) = rest
                .split_once(',')
                .ok_or_else(|| malformed("an image data URL has no payload"))?;
            if !meta.to_ascii_lowercase().contains(";base64") {
                return Err(malformed("an image data URL is not base64"));
            }
            let clean: String = payload
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            let bytes = decode_base64(&clean)
                .ok_or_else(|| malformed("an image data URL holds invalid base64"))?;
            let mime = meta.split(';').next().unwrap_or("application/octet-stream");
            write_bytes(host, i, mime, &bytes)?;
        } else {
            let url = reqwest::Url::parse(u).map_err(|_| malformed("an image URL is not a URL"))?;
            crate::video::download(ctx, host, &url, i, "image").await?;
        }
    }
    Ok(ImageResponse {
        text: text.into(),
        model: v
            .get("model")
            .and_then(|m| m.as_str())
            .unwrap_or(&req.model)
            .into(),
        images: urls.len() as u32,
        usage: v.get("usage").map(usage_of).unwrap_or_default(),
    })
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(s.trim_end_matches('='))
        })
        .ok()
}

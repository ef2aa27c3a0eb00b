/*!
Chat completions (`POST /chat/completions`), plain and streamed, and image
generation through the same endpoint with `modalities: ["image", "text"]`.

The wire format is OpenAI's, read by the provider kit's [`openai`] module
(including OpenRouter's ways of reporting an error inside a 200 answer and
the `: OPENROUTER PROCESSING` keep-alive comments, which its SSE parser
skips). Images come back as data URLs (decoded into the sink) or URLs
(downloaded with the video download's hardening).
*/

use crate::client::post_json;
use crate::{api_model, API};
use serde_json::{json, Value};
use switchyard_provider_kit::api::doc::*;
use switchyard_provider_kit::api::{ErrorKind, PluginError};
use switchyard_provider_kit::errors::Endpoint;
use switchyard_provider_kit::{http, openai, sink, Call};

/// The largest chat answer read (a non-streamed answer with images inline).
const ANSWER_CAP: usize = 256 * 1024 * 1024;

fn malformed(what: &str) -> PluginError {
    PluginError::new(
        ErrorKind::UPSTREAM,
        format!("OpenRouter sent a malformed answer: {what}"),
    )
}

/// A chat completion, streamed through the host when asked.
pub async fn chat(req: &ChatRequest, call: &Call<'_>) -> Result<ChatResponse, PluginError> {
    let body = openai::chat_body(req, &api_model(&req.model))?;
    let resp = post_json(
        call,
        "chat/completions",
        &body,
        "chat completion",
        Endpoint::Model,
    )
    .await?;
    if req.stream && http::content_type(&resp) == "text/event-stream" {
        return openai::stream_chat(&API, call, req, resp, |_| {}).await;
    }
    let v = http::read_json(call, resp, ANSWER_CAP, "chat").await?;
    openai::parse_chat(&API, call, req, &v)
}

/// The chat-completions body that asks `req.model` for images.
pub fn image_body(req: &ImageRequest) -> Result<Value, PluginError> {
    let mut body = json!({
        "model": api_model(&req.model),
        "messages": [{"role": "user", "content": req.prompt}],
        "modalities": ["image", "text"],
    });
    let mut cfg = serde_json::Map::new();
    if let Some(a) = &req.aspect_ratio {
        cfg.insert("aspect_ratio".into(), json!(a));
    }
    if let Some(s) = &req.size {
        cfg.insert("image_size".into(), json!(s));
    }
    if !cfg.is_empty() {
        body["image_config"] = Value::Object(cfg);
    }
    openai::apply_params(&mut body, &req.params)?;
    Ok(body)
}

/// The image URLs of an answer's message (`message.images[].image_url.url`).
fn image_urls(msg: &Value) -> Vec<String> {
    msg.get("images")
        .and_then(|i| i.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|im| im.pointer("/image_url/url").and_then(|u| u.as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Image generation through chat completions; images go to the sink.
pub async fn image(req: &ImageRequest, call: &Call<'_>) -> Result<ImageResponse, PluginError> {
    let body = image_body(req)?;
    let resp = post_json(
        call,
        "chat/completions",
        &body,
        "image generation",
        Endpoint::Model,
    )
    .await?;
    let v = http::read_json(call, resp, ANSWER_CAP, "image").await?;
    if let Some(e) = openai::inline_error(&API, &v) {
        return Err(e);
    }
    let msg = v
        .pointer("/choices/0/message")
        .ok_or_else(|| malformed("no choices"))?;
    let text = msg
        .get("content")
        .and_then(|c| c.as_str())
        .unwrap_or("")
        .to_string();
    let urls = image_urls(msg);
    if urls.is_empty() {
        let shown = if text.trim().is_empty() {
            "(no text)"
        } else {
            text.trim()
        };
        return Err(PluginError::new(
            ErrorKind::JOB_FAILED,
            format!("the model answered without an image; its text: {shown}"),
        ));
    }
    for (i, u) in urls.iter().enumerate() {
        let i = i as u32;
        if u.starts_with("data:") {
            let (mime, bytes) = sink::decode_data_url(u)
                .map_err(|why| malformed(&format!("image {}: {why}", i + 1)))?;
            sink::write_bytes(call.host(), i, &mime, &bytes)?;
        } else {
            let url = reqwest::Url::parse(u).map_err(|_| malformed("an image URL is not a URL"))?;
            crate::video::download(call, &url, i, "image").await?;
        }
    }
    Ok(ImageResponse {
        text,
        model: v
            .get("model")
            .and_then(|m| m.as_str())
            .unwrap_or(&req.model)
            .to_string(),
        images: urls.len() as u32,
        usage: v.get("usage").map(openai::usage_of).unwrap_or_default(),
    })
}

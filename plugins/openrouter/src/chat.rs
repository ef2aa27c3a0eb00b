/*!
Chat completions (`POST /chat/completions`), plain and streamed, and image
generation through the same endpoint with `modalities: ["image", "text"]`.

The wire format is OpenAI's, read by the provider kit's [`openai`] module
(including OpenRouter's ways of reporting an error inside a 200 answer and
the `: OPENROUTER PROCESSING` keep-alive comments, which its SSE parser
skips). Images come back as data URLs (decoded into the sink) or URLs
(downloaded with the video download's hardening).

Since plugin API 2.1 (request field -> wire field):
- `messages[].parts` -> content parts (`image_url` with an http(s) or data
  URL, `input_audio` with base64 bytes and their format, `file` with its
  name and a data URL), through the kit's `openai::chat_body_with`;
- `response_format` -> `{"type":"json_schema","json_schema":{name,strict,schema}}`;
- `reasoning` -> `reasoning: {"effort": ...}` (OpenRouter's spelling);
- `provider_json` -> `provider` (the routing object as given), else the
  `provider` table of the plugin's settings ([`routing`]);
- chat-route images ([`image`]): `inputs` -> image parts of the user
  message, `seed` -> `seed`, `quality` -> `image_config.quality`, `count`
  -> that many requests (the chat route makes no `n`).

A `--param` of the same name always wins.
*/

use crate::client::post_json;
use crate::routing;
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

/// The `/chat/completions` body for `req`, attachments included, with
/// OpenRouter's reasoning and provider routing fields.
pub fn chat_body(req: &ChatRequest, call: &Call<'_>) -> Result<Value, PluginError> {
    let mut body = openai::chat_body_with(req, &api_model(&req.model), call)?;
    if let Some(effort) = openai::reasoning_effort(req)? {
        let from_params =
            req.params.contains_key("reasoning") || req.params.contains_key("reasoning_effort");
        if !from_params {
            if let Some(o) = body.as_object_mut() {
                o.remove("reasoning_effort");
            }
            body["reasoning"] = json!({"effort": effort});
        }
    }
    if !req.params.contains_key("provider") {
        if let Some(p) = routing::chat_provider(req.provider_json.as_deref(), call.ctx())? {
            body["provider"] = p;
        }
    }
    Ok(body)
}

/// A chat completion, streamed through the host when asked.
pub async fn chat(req: &ChatRequest, call: &Call<'_>) -> Result<ChatResponse, PluginError> {
    let body = chat_body(req, call)?;
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

/// The chat-completions body that asks `req.model` for images: the
/// prompt, with the input images as `image_url` parts after it.
pub fn image_body(req: &ImageRequest, call: &Call<'_>) -> Result<Value, PluginError> {
    let content = if req.inputs.is_empty() {
        json!(req.prompt)
    } else {
        let mut parts = vec![json!({"type": "text", "text": req.prompt})];
        for i in &req.inputs {
            parts.push(json!({"type": "image_url", "image_url": {"url": call.data_url(i)?}}));
        }
        Value::Array(parts)
    };
    let mut body = json!({
        "model": api_model(&req.model),
        "messages": [{"role": "user", "content": content}],
        "modalities": ["image", "text"],
    });
    let mut cfg = serde_json::Map::new();
    if let Some(a) = &req.aspect_ratio {
        cfg.insert("aspect_ratio".into(), json!(a));
    }
    if let Some(s) = &req.size {
        cfg.insert("image_size".into(), json!(s));
    }
    if let Some(q) = &req.quality {
        cfg.insert("quality".into(), json!(q));
    }
    if !cfg.is_empty() {
        body["image_config"] = Value::Object(cfg);
    }
    if let Some(seed) = req.seed {
        body["seed"] = json!(seed);
    }
    if !req.params.contains_key("provider") {
        if let Some(p) = routing::chat_provider(None, call.ctx())? {
            body["provider"] = p;
        }
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
/// `count` images take that many requests (each answer's images follow
/// the previous ones in the sink); the texts are joined and the usage
/// summed.
pub async fn image(req: &ImageRequest, call: &Call<'_>) -> Result<ImageResponse, PluginError> {
    let body = image_body(req, call)?;
    let rounds = req.count.unwrap_or(1).max(1);
    let mut answer = ImageResponse {
        model: req.model.clone(),
        ..Default::default()
    };
    let mut texts = Vec::new();
    for _ in 0..rounds {
        let one = image_once(req, call, &body, answer.images).await?;
        if !one.text.trim().is_empty() {
            texts.push(one.text);
        }
        answer.images += one.images;
        answer.model = one.model;
        openai::add_usage(&mut answer.usage, &one.usage);
    }
    answer.text = texts.join("\n");
    Ok(answer)
}

/// One image request; its images go to the sink from index `first`.
async fn image_once(
    req: &ImageRequest,
    call: &Call<'_>,
    body: &Value,
    first: u32,
) -> Result<ImageResponse, PluginError> {
    let resp = post_json(
        call,
        "chat/completions",
        body,
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
        let i = first + i as u32;
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

/*!
Image generation: OpenRouter's dedicated Image API (`POST /images`) for the
models `GET /images/models` lists, chat completions (see [`crate::chat`])
for the others (chat-image models such as
`google/gemini-3.1-flash-image-preview`).

The listing is fetched once per base URL for the life of the process
([`image_api_models`]; the catalog refresh fills it too). When it cannot
be fetched, the embedded manifest's `image_api = true` entries decide.

Request fields on `POST /images` (doc field -> wire field):
- `prompt` -> `prompt`, `count` -> `n` (1 to 10), `seed` -> `seed`,
  `quality` -> `quality`, `aspect_ratio` -> `aspect_ratio`;
- `size`: a tier (`1K`, `2K`, `4K`, and `0.5K` / `512`) -> `resolution`;
  anything else (`2048x2048`) -> `size`, which the API normalizes;
- `inputs` -> `input_references: [{type: "image_url", image_url: {url}}]`
  (at most 16; local files as data URLs);
- the settings' provider routing -> `provider` (the keys the Image API
  takes), unless a `--param provider` is given; `--param` values last.

A model whose listing says `supports_streaming` is asked to stream
(`stream: true`): each partial image is reported as `partial` progress
(index = the image, message = which partial), each completed image goes
to the sink; an `error` event ends the call with its typed error.
*/

use crate::client::{get_json, post_json};
use crate::{api_model, routing, API};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use switchyard_provider_kit::api::doc::{ImageRequest, ImageResponse};
use switchyard_provider_kit::api::{ErrorKind, PluginError, Progress, Stage};
use switchyard_provider_kit::errors::Endpoint;
use switchyard_provider_kit::sse::SseParser;
use switchyard_provider_kit::{http, openai, sink, Call};

/// The largest `/images` answer read (base64 images inline).
pub const ANSWER_CAP: usize = 512 * 1024 * 1024;
/// The most input images the Image API takes.
pub const MAX_INPUTS: usize = 16;
/// The most images one request may ask for.
pub const MAX_COUNT: u32 = 10;

/// What the Image API listing says of one model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageApiModel {
    /// Whether it streams partial images (`supports_streaming`).
    pub streaming: bool,
}

/// The Image API's models by id.
pub type ImageApiModels = HashMap<String, ImageApiModel>;

static CACHE: OnceLock<Mutex<HashMap<String, Arc<ImageApiModels>>>> = OnceLock::new();

fn cache_key(call: &Call<'_>) -> String {
    call.ctx().base_url.trim().trim_end_matches('/').to_string()
}

/// The models of a `GET /images/models` answer.
pub fn parse_listing(v: &Value) -> ImageApiModels {
    v.get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let id = m.get("id")?.as_str()?.to_string();
            let streaming = m
                .get("supports_streaming")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            Some((id, ImageApiModel { streaming }))
        })
        .collect()
}

/// Remembers a listing for this call's base URL (and answers it shared).
pub fn remember(call: &Call<'_>, models: ImageApiModels) -> Arc<ImageApiModels> {
    let models = Arc::new(models);
    let map = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    map.insert(cache_key(call), models.clone());
    models
}

/// The Image API's models for this call's base URL: fetched on first use,
/// then kept for the process. A failed fetch is not kept.
pub async fn image_api_models(call: &Call<'_>) -> Result<Arc<ImageApiModels>, PluginError> {
    let key = cache_key(call);
    if let Some(m) = CACHE.get().and_then(|c| {
        c.lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()
    }) {
        return Ok(m);
    }
    let v = get_json(call, "images/models", "image model list", 16 << 20).await?;
    Ok(remember(call, parse_listing(&v)))
}

/// Whether the embedded manifest marks `model_ref` with `image_api = true`.
pub fn manifest_image_api(model_ref: &str) -> bool {
    let mut current: Option<&str> = None;
    for line in include_str!("../manifest.toml").lines().map(str::trim) {
        if line == "[[models]]" {
            current = None;
        } else if let Some(r) = line
            .strip_prefix("ref = \"")
            .and_then(|r| r.strip_suffix('"'))
        {
            current = Some(r);
        } else if line.replace(' ', "") == "image_api=true"
            && current.is_some_and(|r| r.eq_ignore_ascii_case(model_ref))
        {
            return true;
        }
    }
    false
}

/// Which route serves an image request: `Some(model)` for the Image API,
/// `None` for chat completions.
pub async fn route(req: &ImageRequest, call: &Call<'_>) -> Option<ImageApiModel> {
    match image_api_models(call).await {
        Ok(list) => list.get(&api_model(&req.model)).cloned(),
        Err(e) => {
            call.info(&format!(
                "the Image API's model list is unavailable ({}); the manifest decides the route",
                e.message
            ));
            manifest_image_api(&req.model).then(ImageApiModel::default)
        }
    }
}

/// Image generation by whichever route serves the model.
pub async fn image(req: &ImageRequest, call: &Call<'_>) -> Result<ImageResponse, PluginError> {
    if req.prompt.trim().is_empty() {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            "there is no prompt to draw",
        ));
    }
    if req.count == Some(0) {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            "the image count must be at least 1",
        ));
    }
    match route(req, call).await {
        Some(m) => images_api(req, call, m.streaming).await,
        None => crate::chat::image(req, call).await,
    }
}

/// Whether `size` is a resolution tier (sent as `resolution`), in the
/// API's spelling.
fn tier(size: &str) -> Option<&'static str> {
    Some(match size.trim().to_ascii_uppercase().as_str() {
        "0.5K" | "512" => "512",
        "1K" => "1K",
        "2K" => "2K",
        "4K" => "4K",
        _ => return None,
    })
}

/// The `POST /images` body for `req` (see the module's table).
pub fn images_body(
    req: &ImageRequest,
    call: &Call<'_>,
    stream: bool,
) -> Result<Value, PluginError> {
    let invalid = |m: String| PluginError::new(ErrorKind::INVALID_INPUT, m);
    let mut body = json!({"model": api_model(&req.model), "prompt": req.prompt});
    if let Some(n) = req.count {
        if !(1..=MAX_COUNT).contains(&n) {
            return Err(invalid(format!(
                "the Image API makes 1 to {MAX_COUNT} images per request, not {n}"
            )));
        }
        body["n"] = json!(n);
    }
    if let Some(a) = &req.aspect_ratio {
        body["aspect_ratio"] = json!(a);
    }
    if let Some(s) = req.size.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        match tier(s) {
            Some(t) => body["resolution"] = json!(t),
            None => body["size"] = json!(s),
        }
    }
    if let Some(q) = &req.quality {
        body["quality"] = json!(q);
    }
    if let Some(seed) = req.seed {
        body["seed"] = json!(seed);
    }
    if req.inputs.len() > MAX_INPUTS {
        return Err(invalid(format!(
            "the Image API takes at most {MAX_INPUTS} input images, not {}",
            req.inputs.len()
        )));
    }
    if !req.inputs.is_empty() {
        let refs = req
            .inputs
            .iter()
            .map(|i| Ok(json!({"type": "image_url", "image_url": {"url": call.data_url(i)?}})))
            .collect::<Result<Vec<Value>, PluginError>>()?;
        body["input_references"] = Value::Array(refs);
    }
    if stream {
        body["stream"] = json!(true);
    }
    if !req.params.contains_key("provider") {
        if let Some(p) = routing::image_provider(call.ctx())? {
            body["provider"] = p;
        }
    }
    openai::apply_params(&mut body, &req.params)?;
    Ok(body)
}

fn malformed(what: &str) -> PluginError {
    PluginError::new(
        ErrorKind::UPSTREAM,
        format!("OpenRouter sent a malformed image answer: {what}"),
    )
}

fn no_image() -> PluginError {
    PluginError::new(
        ErrorKind::JOB_FAILED,
        "OpenRouter's Image API answered without an image",
    )
}

/// Decodes one image (`b64_json`, `media_type`) into sink output `index`.
fn write_image(call: &Call<'_>, item: &Value, index: u32) -> Result<(), PluginError> {
    let b64 = item
        .get("b64_json")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(&format!("image {} has no b64_json", index + 1)))?;
    let bytes = sink::decode_base64(b64)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| malformed(&format!("image {} is not valid base64", index + 1)))?;
    let mime = item
        .get("media_type")
        .and_then(Value::as_str)
        .filter(|m| m.starts_with("image/"))
        .unwrap_or_else(|| sink::sniff_image(&bytes));
    sink::write_bytes(call.host(), index, mime, &bytes)
}

/// Image generation through `POST /images`.
pub async fn images_api(
    req: &ImageRequest,
    call: &Call<'_>,
    streaming: bool,
) -> Result<ImageResponse, PluginError> {
    let body = images_body(req, call, streaming)?;
    let resp = post_json(call, "images", &body, "image generation", Endpoint::Model).await?;
    if http::content_type(&resp) == "text/event-stream" {
        return read_stream(req, call, resp).await;
    }
    let v = http::read_json(call, resp, ANSWER_CAP, "image").await?;
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        return Err(API.classify_inline(err));
    }
    let items = v
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("no `data` array"))?;
    if items.is_empty() {
        return Err(no_image());
    }
    for (i, item) in items.iter().enumerate() {
        write_image(call, item, i as u32)?;
    }
    Ok(ImageResponse {
        text: String::new(),
        model: req.model.clone(),
        images: items.len() as u32,
        usage: v.get("usage").map(openai::usage_of).unwrap_or_default(),
    })
}

/// Reads a streamed `/images` answer to `[DONE]`.
async fn read_stream(
    req: &ImageRequest,
    call: &Call<'_>,
    mut resp: reqwest::Response,
) -> Result<ImageResponse, PluginError> {
    let mut parser = SseParser::new();
    let mut events = Vec::new();
    let mut answer = ImageResponse {
        model: req.model.clone(),
        ..Default::default()
    };
    let mut done = false;
    while !done {
        let chunk = match resp.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                return Err(http::transport_error(
                    &e,
                    &format!("image stream (after {} images)", answer.images),
                ))
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
                serde_json::from_str(data).map_err(|_| malformed("a stream event is not JSON"))?;
            match v.get("type").and_then(Value::as_str).unwrap_or("") {
                "image_generation.partial_image" => {
                    let k = v
                        .get("partial_image_index")
                        .and_then(Value::as_u64)
                        .unwrap_or(0);
                    let mut p = Progress::new(Stage::PARTIAL);
                    p.index = answer.images;
                    p.bytes = v
                        .get("b64_json")
                        .and_then(Value::as_str)
                        .map_or(0, |b| (b.len() / 4 * 3) as u64);
                    p.message =
                        format!("partial image {} of image {}", k + 1, answer.images + 1).into();
                    call.host().progress(&p);
                }
                "image_generation.completed" => {
                    write_image(call, &v, answer.images)?;
                    answer.images += 1;
                    if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
                        openai::add_usage(&mut answer.usage, &openai::usage_of(u));
                    }
                }
                "error" => {
                    let err = v.get("error").cloned().unwrap_or(json!({}));
                    return Err(API.classify_inline(&err));
                }
                _ => {}
            }
        }
    }
    if !done {
        return Err(PluginError::new(
            ErrorKind::NETWORK,
            format!(
                "the image stream ended before it was complete (after {} images)",
                answer.images
            ),
        ));
    }
    if answer.images == 0 {
        return Err(no_image());
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_are_resolutions_and_the_rest_sizes() {
        assert_eq!(tier("0.5K"), Some("512"));
        assert_eq!(tier("2k"), Some("2K"));
        assert_eq!(tier("2048x2048"), None);
    }

    #[test]
    fn listings_say_which_models_stream() {
        let m = parse_listing(&json!({"data": [
            {"id": "a/b", "supports_streaming": true},
            {"id": "c/d"},
            {"name": "no id"}
        ]}));
        assert_eq!(m.len(), 2);
        assert!(m["a/b"].streaming && !m["c/d"].streaming);
    }

    #[test]
    fn the_manifest_marks_image_api_models() {
        assert!(manifest_image_api("openrouter/bytedance-seed/seedream-4.5"));
        assert!(!manifest_image_api(
            "openrouter/google/gemini-3.1-flash-image-preview"
        ));
    }
}

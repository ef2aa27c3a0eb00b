/*!
The live model catalog: `GET /models?output_modalities=all`,
`GET /videos/models` and `GET /images/models` (with each image model's
`GET /images/models/{id}/endpoints` for its prices), mapped to the API's
`ModelInfo` (the manifest's `[[models]]` shape) so the host can check
limits, and estimate costs, against what OpenRouter offers today.

Mapping:
- `/models`: output modality `text` → `chat`, `image` → `image`, `speech`
  (or `audio` with `supported_voices`) → `speech` with its voices,
  `video` → `video`, `transcription` → `transcribe` (formats `text`,
  `json`, `srt`, `vtt`), `embeddings` → `embed`;
  `architecture.input_modalities` → `input_modalities`; `pricing` →
  `pricing` under OpenRouter's keys (`prompt`, `completion`, `request`,
  `image`, `audio`, ...; numbers such as `discount` as text, lists such
  as `overrides` left out);
- `/videos/models`: `supported_durations`, `supported_resolutions`,
  `supported_aspect_ratios`, `supported_frame_images` and
  `supported_sizes` become its limits, `seed` → `supports_seed`,
  `generate_audio` → `supports_audio`, `pricing_skus` (e.g.
  `per-video-second`, `per-video-second-1080p`) join `pricing`;
- `/images/models`: capability `image` with `image_api = true`;
  `supported_parameters` enums `resolution` → `sizes`, `aspect_ratio` →
  `aspect_ratios`, `quality` → `qualities`, the `n` range's `max` →
  `max_count`, a `seed` entry → `supports_seed`; each endpoint's pricing
  line (`billable`, `unit`, `variant`, `cost_usd`) joins `pricing` as
  `<billable>/<unit>` (`/<variant>` added when it has one), e.g.
  `output_image/image` = `0.05` (USD per image), the highest price among
  the model's endpoints (so an estimate is an upper bound).

The image listing is optional: when it or a model's endpoints cannot be
fetched, the catalog is made without them (with a notice). The listing
also fills the image route cache ([`crate::image`]). Every endpoint here
is public; the key is sent anyway (it is the API's origin).
*/

use crate::client::get_json;
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use switchyard_provider_kit::api::caps;
use switchyard_provider_kit::api::doc::{Catalog, ModelInfo};
use switchyard_provider_kit::api::PluginError;
use switchyard_provider_kit::{transcription, Call};

/// Image model endpoint records fetched at once.
pub const ENDPOINT_FETCHES_AT_ONCE: usize = 8;

fn model_ref(id: &str) -> String {
    if id.starts_with("openrouter/") {
        id.to_string()
    } else {
        format!("openrouter/{id}")
    }
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v.and_then(|x| x.as_array()).map(|a| {
        a.iter()
            .filter_map(|s| match s {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect()
    })
}

fn numbers(v: Option<&Value>) -> Option<Vec<u32>> {
    v.and_then(|x| x.as_array()).map(|a| {
        a.iter()
            .filter_map(|n| n.as_u64().and_then(|n| u32::try_from(n).ok()))
            .collect()
    })
}

/// A pricing object as text prices: strings as they are, numbers as their
/// text; other values (lists, objects) are left out. `None` when empty.
fn pricing_of(v: Option<&Value>) -> Option<BTreeMap<String, String>> {
    let map: BTreeMap<String, String> = v?
        .as_object()?
        .iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k.clone(), s.clone())),
            Value::Number(n) => Some((k.clone(), n.to_string())),
            _ => None,
        })
        .collect();
    (!map.is_empty()).then_some(map)
}

fn merge_pricing(e: &mut ModelInfo, more: Option<BTreeMap<String, String>>) {
    if let Some(more) = more {
        e.pricing.get_or_insert_with(BTreeMap::new).extend(more);
    }
}

/// The entry for `r` in `out`, added when missing.
fn entry(out: &mut Vec<ModelInfo>, r: String) -> &mut ModelInfo {
    let idx = match out.iter().position(|e| e.model_ref == r) {
        Some(i) => i,
        None => {
            out.push(ModelInfo {
                model_ref: r,
                ..Default::default()
            });
            out.len() - 1
        }
    };
    &mut out[idx]
}

fn add_capability(e: &mut ModelInfo, cap: &str) {
    if !e.has_capability(cap) {
        e.capabilities.push(cap.into());
    }
}

/// One `/models` entry as a catalog model, if it offers a capability we know.
fn from_model(m: &Value) -> Option<ModelInfo> {
    let id = m.get("id").and_then(|i| i.as_str())?;
    let outs: Vec<&str> = m
        .pointer("/architecture/output_modalities")
        .and_then(|o| o.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default();
    let voices = strings(m.get("supported_voices")).filter(|v| !v.is_empty());
    let mut info = ModelInfo {
        model_ref: model_ref(id),
        ..Default::default()
    };
    if outs.contains(&"text") {
        info.capabilities.push(caps::CHAT.into());
    }
    if outs.contains(&"image") {
        info.capabilities.push(caps::IMAGE.into());
    }
    if outs.contains(&"speech") || (outs.contains(&"audio") && voices.is_some()) {
        info.capabilities.push(caps::SPEECH.into());
        info.voices = voices;
        info.formats = Some(vec!["mp3".into(), "pcm".into()]);
    }
    if outs.contains(&"video") {
        info.capabilities.push(caps::VIDEO.into());
    }
    if outs.contains(&"transcription") {
        info.capabilities.push(caps::TRANSCRIBE.into());
        if info.formats.is_none() {
            info.formats = Some(
                transcription::FORMATS
                    .iter()
                    .map(|f| f.to_string())
                    .collect(),
            );
        }
    }
    if outs.contains(&"embeddings") {
        info.capabilities.push(caps::EMBED.into());
    }
    if info.has_capability(caps::CHAT) {
        info.passthrough_parameters = strings(m.get("supported_parameters"));
    }
    info.input_modalities = strings(m.pointer("/architecture/input_modalities"));
    info.pricing = pricing_of(m.get("pricing"));
    (!info.capabilities.is_empty()).then_some(info)
}

/// Adds what `/videos/models` says of a model to `out`.
fn add_video(out: &mut Vec<ModelInfo>, v: &Value) {
    let Some(id) = v.get("id").and_then(|i| i.as_str()) else {
        return;
    };
    let e = entry(out, model_ref(id));
    add_capability(e, caps::VIDEO);
    e.durations = numbers(v.get("supported_durations")).or(e.durations.take());
    e.resolutions = strings(v.get("supported_resolutions")).or(e.resolutions.take());
    e.aspect_ratios = strings(v.get("supported_aspect_ratios")).or(e.aspect_ratios.take());
    e.frame_images = strings(v.get("supported_frame_images")).or(e.frame_images.take());
    e.sizes = strings(v.get("supported_sizes")).or(e.sizes.take());
    if let Some(p) = strings(v.get("allowed_passthrough_parameters")) {
        e.passthrough_parameters = Some(p);
    }
    if let Some(b) = v.get("seed").and_then(Value::as_bool) {
        e.supports_seed = Some(b);
    }
    if let Some(b) = v.get("generate_audio").and_then(Value::as_bool) {
        e.supports_audio = Some(b);
    }
    merge_pricing(e, pricing_of(v.get("pricing_skus")));
    let frames = e.frame_images.as_ref().is_some_and(|f| !f.is_empty());
    e.modes = Some(if frames {
        vec!["text-to-video".into(), "image-to-video".into()]
    } else {
        vec!["text-to-video".into()]
    });
}

/// The values of an `enum` capability descriptor.
fn enum_values(params: Option<&Value>, name: &str) -> Option<Vec<String>> {
    let d = params?.get(name)?;
    (d.get("type").and_then(Value::as_str) == Some("enum"))
        .then(|| strings(d.get("values")))
        .flatten()
}

/// The prices of an image model's endpoint records, as
/// `<billable>/<unit>[/<variant>]` -> USD, the highest among endpoints.
pub fn image_prices(endpoints: &Value) -> Option<BTreeMap<String, String>> {
    let mut best: BTreeMap<String, f64> = BTreeMap::new();
    for ep in endpoints
        .get("endpoints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for line in ep
            .get("pricing")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(billable), Some(unit), Some(cost)) = (
                line.get("billable").and_then(Value::as_str),
                line.get("unit").and_then(Value::as_str),
                line.get("cost_usd").and_then(Value::as_f64),
            ) else {
                continue;
            };
            if !cost.is_finite() || cost < 0.0 {
                continue;
            }
            let mut key = format!("{billable}/{unit}");
            if let Some(v) = line
                .get("variant")
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
            {
                key.push('/');
                key.push_str(v);
            }
            let slot = best.entry(key).or_insert(cost);
            *slot = slot.max(cost);
        }
    }
    let map: BTreeMap<String, String> = best.into_iter().map(|(k, v)| (k, v.to_string())).collect();
    (!map.is_empty()).then_some(map)
}

/// Adds what `/images/models` (and the model's endpoint records, when
/// fetched) says of a model to `out`.
fn add_image_api(out: &mut Vec<ModelInfo>, m: &Value, endpoints: Option<&Value>) {
    let Some(id) = m.get("id").and_then(Value::as_str) else {
        return;
    };
    let e = entry(out, model_ref(id));
    add_capability(e, caps::IMAGE);
    e.image_api = Some(true);
    if let Some(inputs) = strings(m.pointer("/architecture/input_modalities")) {
        e.input_modalities = Some(inputs);
    }
    let params = m.get("supported_parameters");
    e.sizes = enum_values(params, "resolution").or(e.sizes.take());
    e.aspect_ratios = enum_values(params, "aspect_ratio").or(e.aspect_ratios.take());
    e.qualities = enum_values(params, "quality").or(e.qualities.take());
    if let Some(max) = params
        .and_then(|p| p.get("n"))
        .filter(|n| n.get("type").and_then(Value::as_str) == Some("range"))
        .and_then(|n| n.get("max"))
        .and_then(Value::as_f64)
        .filter(|m| *m >= 1.0)
    {
        e.max_count = Some(max.min(f64::from(u32::MAX)) as u32);
    }
    if let Some(p) = params.and_then(Value::as_object) {
        e.supports_seed = Some(p.contains_key("seed"));
    }
    merge_pricing(e, endpoints.and_then(image_prices));
}

/// Polls every future to completion, concurrently; answers in order.
async fn join_all<F: Future>(futs: Vec<F>) -> Vec<F::Output> {
    let mut futs: Vec<Pin<Box<F>>> = futs.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futs.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, o) in futs.iter_mut().zip(out.iter_mut()) {
            if o.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *o = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

/// The image models of the Image API with their endpoint records (`None`
/// for a model whose records could not be fetched); empty when the
/// listing itself cannot be fetched (with a notice).
async fn image_api_entries(call: &Call<'_>) -> Vec<(Value, Option<Value>)> {
    let listing = match get_json(call, "images/models", "image model catalog", 16 << 20).await {
        Ok(v) => v,
        Err(e) => {
            call.warn(&format!(
                "note: the image model catalog is unavailable ({}); image API models are not refreshed",
                e.message
            ));
            return Vec::new();
        }
    };
    crate::image::remember(call, crate::image::parse_listing(&listing));
    let models: Vec<Value> = listing
        .get("data")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::with_capacity(models.len());
    for chunk in models.chunks(ENDPOINT_FETCHES_AT_ONCE) {
        let fetches = chunk
            .iter()
            .map(|m| async move {
                let id = m.get("id").and_then(Value::as_str)?;
                let path = format!("images/models/{id}/endpoints");
                match get_json(call, &path, "image model endpoints", 4 << 20).await {
                    Ok(v) => Some(v),
                    Err(e) => {
                        call.info(&format!("no prices for {id}: {}", e.message));
                        None
                    }
                }
            })
            .collect();
        for (m, ep) in chunk.iter().zip(join_all(fetches).await) {
            out.push((m.clone(), ep));
        }
    }
    out
}

/// Fetches the catalogs and merges them into one model list.
pub async fn fetch(call: &Call<'_>) -> Result<Catalog, PluginError> {
    let models = get_json(
        call,
        "models?output_modalities=all",
        "model catalog",
        64 << 20,
    )
    .await?;
    let videos = get_json(call, "videos/models", "video model catalog", 64 << 20).await?;
    let mut out: Vec<ModelInfo> = models
        .get("data")
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
        .filter_map(from_model)
        .collect();
    for v in videos
        .get("data")
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
    {
        add_video(&mut out, v);
    }
    for (m, endpoints) in image_api_entries(call).await {
        add_image_api(&mut out, &m, endpoints.as_ref());
    }
    for m in &mut out {
        normalize_pricing(m);
    }
    Ok(Catalog { models: out })
}

/// Adds the host's normalized price keys (USD per unit) beside OpenRouter's
/// own, so the host can estimate costs knowing no provider's price sheet:
/// `prompt` -> `input_token` (per input character for speech models, whose
/// prices are per character), `completion` -> `output_token`, `request`,
/// `per-video-second[-RES]` -> `video_second[@RES]`, an Image API
/// `output_image/image` price (else a chat model's `image_output`) ->
/// `image`. A price OpenRouter does not state is not invented.
pub fn normalize_pricing(m: &mut ModelInfo) {
    let speech = m.has_capability(caps::SPEECH);
    let Some(p) = m.pricing.as_mut() else {
        return;
    };
    let mut add: Vec<(String, String)> = Vec::new();
    for (k, v) in p.iter() {
        let key = match k.as_str() {
            "prompt" if speech => "input_character".to_string(),
            "prompt" => "input_token".to_string(),
            "completion" => "output_token".to_string(),
            "request" => "request".to_string(),
            "per-video-second" => "video_second".to_string(),
            "output_image/image" | "image_output" => "image".to_string(),
            other => match other.strip_prefix("per-video-second-") {
                Some(res) => format!("video_second@{}", res.to_ascii_lowercase()),
                None => continue,
            },
        };
        add.push((key, v.clone()));
    }
    for (k, v) in add {
        p.entry(k).or_insert(v);
    }
}

#[cfg(test)]
mod pricing_tests {
    use super::*;

    fn info(caps: &[&str], prices: &[(&str, &str)]) -> ModelInfo {
        ModelInfo {
            capabilities: caps.iter().map(|c| c.to_string()).collect(),
            pricing: Some(
                prices
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn openrouter_prices_gain_the_hosts_normalized_keys() {
        let mut chat = info(
            &["chat"],
            &[("prompt", "0.000001"), ("completion", "0.000002")],
        );
        normalize_pricing(&mut chat);
        let p = chat.pricing.unwrap();
        assert_eq!(p["input_token"], "0.000001");
        assert_eq!(p["output_token"], "0.000002");
        assert_eq!(p["prompt"], "0.000001");
        let mut video = info(
            &["video"],
            &[
                ("per-video-second", "0.50"),
                ("per-video-second-1080P", "0.75"),
            ],
        );
        normalize_pricing(&mut video);
        let p = video.pricing.unwrap();
        assert_eq!(
            (p["video_second"].as_str(), p["video_second@1080p"].as_str()),
            ("0.50", "0.75")
        );
        let mut tts = info(&["speech"], &[("prompt", "0.00001")]);
        normalize_pricing(&mut tts);
        assert_eq!(tts.pricing.unwrap()["input_character"], "0.00001");
        let mut img = info(&["image"], &[("output_image/image", "0.04")]);
        normalize_pricing(&mut img);
        assert_eq!(img.pricing.unwrap()["image"], "0.04");
    }
}

/*!
The live model catalog: `GET /models?output_modalities=all` and
`GET /videos/models`, mapped to the API's `ModelInfo` (the manifest's `[[models]]` shape) so the
host can check limits against what OpenRouter offers today.

Mapping: output modality `text` → `chat`, `image` → `image`, `speech` (or
`audio` with `supported_voices`) → `speech` with its voices, `video` →
`video`; a video model's `supported_durations`, `supported_resolutions`,
`supported_aspect_ratios` and `supported_frame_images` become its limits.
Both endpoints are public; the key is sent anyway (it is the API's origin).
*/

use crate::client::get_json;
use serde_json::Value;
use switchyard_provider_kit::api::caps;
use switchyard_provider_kit::api::doc::{Catalog, ModelInfo};
use switchyard_provider_kit::api::PluginError;
use switchyard_provider_kit::Call;

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
    if info.has_capability(caps::CHAT) {
        info.passthrough_parameters = strings(m.get("supported_parameters"));
    }
    (!info.capabilities.is_empty()).then_some(info)
}

/// Adds what `/videos/models` says of a model to `out`.
fn add_video(out: &mut Vec<ModelInfo>, v: &Value) {
    let Some(id) = v.get("id").and_then(|i| i.as_str()) else {
        return;
    };
    let r = model_ref(id);
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
    let e = &mut out[idx];
    if !e.has_capability(caps::VIDEO) {
        e.capabilities.push(caps::VIDEO.into());
    }
    e.durations = numbers(v.get("supported_durations")).or(e.durations.take());
    e.resolutions = strings(v.get("supported_resolutions")).or(e.resolutions.take());
    e.aspect_ratios = strings(v.get("supported_aspect_ratios")).or(e.aspect_ratios.take());
    e.frame_images = strings(v.get("supported_frame_images")).or(e.frame_images.take());
    if let Some(p) = strings(v.get("allowed_passthrough_parameters")) {
        e.passthrough_parameters = Some(p);
    }
    let frames = e.frame_images.as_ref().is_some_and(|f| !f.is_empty());
    e.modes = Some(if frames {
        vec!["text-to-video".into(), "image-to-video".into()]
    } else {
        vec!["text-to-video".into()]
    });
}

/// Fetches both catalogs and merges them into one model list.
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
    Ok(Catalog { models: out })
}

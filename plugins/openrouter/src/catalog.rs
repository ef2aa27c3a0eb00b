/*!
The live model catalog: `GET /models?output_modalities=all` and
`GET /videos/models`, mapped to the manifest's `[[models]]` shape so the
host can check limits against what OpenRouter offers today.

Mapping: output modality `text` → `chat`, `image` → `image`, `speech` (or
`audio` with `supported_voices`) → `speech` with its voices, `video` →
`video`; a video model's `supported_durations`, `supported_resolutions`,
`supported_aspect_ratios` and `supported_frame_images` become its limits.
Both endpoints are public; the key is sent anyway (it is the API's origin).
*/

use crate::client::{self, api_headers, endpoint, send, transport_error};
use crate::errors::Endpoint;
use serde_json::{json, Map, Value};
use switchyard_plugin_api::*;

fn model_ref(id: &str) -> String {
    if id.starts_with("openrouter/") {
        id.to_string()
    } else {
        format!("openrouter/{id}")
    }
}

async fn get_json(ctx: &CallContext, host: &HostRef<'_>, path: &str) -> Result<Value, PluginError> {
    let url = endpoint(ctx, path)?;
    let c = client::client(ctx)?;
    let resp = send(
        host,
        c.get(url.clone()).headers(api_headers(ctx)?),
        "GET",
        &url,
        "model catalog",
        Endpoint::Other,
    )
    .await?;
    let body = client::read_capped(resp, 64 << 20)
        .await
        .map_err(|e| transport_error(&e, "model catalog"))?;
    serde_json::from_slice(&body).map_err(|_| {
        PluginError::new(
            ErrorKind::UPSTREAM,
            format!("the {path} answer is not JSON"),
        )
    })
}

fn strings(v: Option<&Value>) -> Option<Vec<Value>> {
    v.and_then(|x| x.as_array()).map(|a| {
        a.iter()
            .filter(|s| s.is_string() || s.is_number())
            .cloned()
            .collect()
    })
}

/// Fetches both catalogs and returns the merged model list as JSON text.
pub async fn fetch(ctx: &CallContext, host: &HostRef<'_>) -> Result<String, PluginError> {
    let models = get_json(ctx, host, "models?output_modalities=all").await?;
    let videos = get_json(ctx, host, "videos/models").await?;
    let mut out: Vec<Map<String, Value>> = Vec::new();
    for m in models
        .get("data")
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
    {
        let Some(id) = m.get("id").and_then(|i| i.as_str()) else {
            continue;
        };
        let outs: Vec<&str> = m
            .get("architecture")
            .and_then(|a| a.get("output_modalities"))
            .and_then(|o| o.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        let voices = strings(m.get("supported_voices")).filter(|v| !v.is_empty());
        let mut caps = Vec::new();
        if outs.contains(&"text") {
            caps.push(CAP_CHAT);
        }
        if outs.contains(&"image") {
            caps.push(CAP_IMAGE);
        }
        if outs.contains(&"speech") || (outs.contains(&"audio") && voices.is_some()) {
            caps.push(CAP_SPEECH);
        }
        if outs.contains(&"video") {
            caps.push(CAP_VIDEO);
        }
        if caps.is_empty() {
            continue;
        }
        let mut e = Map::new();
        e.insert("ref".into(), json!(model_ref(id)));
        e.insert("capabilities".into(), json!(caps));
        if caps.contains(&CAP_SPEECH) {
            if let Some(v) = voices {
                e.insert("voices".into(), Value::Array(v));
            }
            e.insert("formats".into(), json!(["mp3", "pcm"]));
        }
        out.push(e);
    }
    for v in videos
        .get("data")
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
    {
        let Some(id) = v.get("id").and_then(|i| i.as_str()) else {
            continue;
        };
        let r = model_ref(id);
        let idx = match out
            .iter()
            .position(|e| e.get("ref").and_then(|x| x.as_str()) == Some(r.as_str()))
        {
            Some(i) => i,
            None => {
                let mut e = Map::new();
                e.insert("ref".into(), json!(r));
                e.insert("capabilities".into(), json!([CAP_VIDEO]));
                out.push(e);
                out.len() - 1
            }
        };
        let e = &mut out[idx];
        if let Some(caps) = e.get_mut("capabilities").and_then(|c| c.as_array_mut()) {
            if !caps.iter().any(|c| c == CAP_VIDEO) {
                caps.push(json!(CAP_VIDEO));
            }
        }
        for (from, to) in [
            ("supported_durations", "durations"),
            ("supported_resolutions", "resolutions"),
            ("supported_aspect_ratios", "aspect_ratios"),
            ("supported_frame_images", "frame_images"),
        ] {
            if let Some(list) = strings(v.get(from)) {
                e.insert(to.into(), Value::Array(list));
            }
        }
        let frames = e
            .get("frame_images")
            .and_then(|f| f.as_array())
            .is_some_and(|a| !a.is_empty());
        e.insert(
            "modes".into(),
            if frames {
                json!(["text-to-video", "image-to-video"])
            } else {
                json!(["text-to-video"])
            },
        );
    }
    serde_json::to_string(&out).map_err(|e| PluginError::new(ErrorKind::INTERNAL, e.to_string()))
}

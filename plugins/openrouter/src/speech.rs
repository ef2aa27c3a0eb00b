/*!
Text-to-speech: `POST /audio/speech` (OpenAI-compatible). The answer is raw
audio, streamed to the host's sink as it arrives; a JSON or text answer is
an error.
*/

use crate::client::post_json;
use crate::{api_model, API};
use serde_json::json;
use switchyard_provider_kit::api::doc::*;
use switchyard_provider_kit::api::{ErrorKind, PluginError};
use switchyard_provider_kit::errors::Endpoint;
use switchyard_provider_kit::sink::{self, Meter};
use switchyard_provider_kit::{http, openai, Call};

/// Synthesises speech into sink output 0.
pub async fn speech(req: &SpeechRequest, call: &Call<'_>) -> Result<SpeechResponse, PluginError> {
    if req.input.trim().is_empty() {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            "there is no text to speak",
        ));
    }
    let mut body =
        json!({"model": api_model(&req.model), "input": req.input, "response_format": req.format});
    if let Some(v) = &req.voice {
        body["voice"] = json!(v);
    }
    if let Some(s) = req.speed {
        body["speed"] = json!(s);
    }
    openai::apply_params(&mut body, &req.params)?;
    let resp = post_json(call, "audio/speech", &body, "speech", Endpoint::Model).await?;
    let ct = http::content_type(&resp);
    let generation_id = resp
        .headers()
        .get("x-generation-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if ct.contains("json") || ct.starts_with("text/") {
        return Err(sink::not_media(&API, resp, &ct, "speech", "audio").await);
    }
    let mut meter = Meter::new("");
    let bytes = sink::stream_to_sink(resp, call.host(), 0, &ct, "speech audio", &mut meter).await?;
    Ok(SpeechResponse {
        media_type: ct,
        bytes,
        generation_id,
        ..Default::default()
    })
}

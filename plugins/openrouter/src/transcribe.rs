/*!
Speech-to-text: `POST /audio/transcriptions` in OpenRouter's JSON form
(`STTRequest`): the audio as raw base64 in `input_audio.data` with its
format (`wav`, `mp3`, ...), `language` when given, and `response_format`.

OpenRouter answers JSON only (`json` or `verbose_json`), so a transcript
format maps to (request field -> wire field):
- `text` -> `response_format: "json"`, the transcript is the answer's `text`;
- `json` -> `response_format: "json"`, the transcript is the answer itself;
- `srt`, `vtt` -> `response_format: "verbose_json"`, subtitles built from
  its timestamped `segments` (`unsupported` when the model gives none).

Language and duration come from the answer (`language`, `duration`, else
`usage.seconds`), usage and cost from `usage`. The request body is capped
like video submissions (50 MiB) and refused before sending beyond it.
*/

use crate::client::post_json;
use crate::{api_model, API};
use serde_json::{json, Value};
use switchyard_provider_kit::api::doc::{TranscribeRequest, TranscribeResponse};
use switchyard_provider_kit::api::{ErrorKind, PluginError};
use switchyard_provider_kit::errors::Endpoint;
use switchyard_provider_kit::{http, openai, transcription, Call};

/// The largest transcription answer read.
pub const ANSWER_CAP: usize = 64 * 1024 * 1024;

/// The `response_format` OpenRouter is asked for, for a transcript format.
pub fn response_format_for(format: &str) -> &'static str {
    match format {
        "srt" | "vtt" => "verbose_json",
        _ => "json",
    }
}

/// The `POST /audio/transcriptions` body for `req`.
pub fn body(req: &TranscribeRequest, call: &Call<'_>) -> Result<Value, PluginError> {
    let format = transcription::format_of(req)?;
    let audio_format = transcription::audio_format_of(req)?;
    let data = call.base64(&req.audio)?;
    if data.is_empty() {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            "the audio file is empty",
        ));
    }
    let mut body = json!({
        "model": api_model(&req.model),
        "input_audio": {"data": data, "format": audio_format},
        "response_format": response_format_for(format),
    });
    if let Some(l) = req
        .language
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        body["language"] = json!(l);
    }
    openai::apply_params(&mut body, &req.params)?;
    Ok(body)
}

/// Transcribes `req.audio`.
pub async fn transcribe(
    req: &TranscribeRequest,
    call: &Call<'_>,
) -> Result<TranscribeResponse, PluginError> {
    let format = transcription::format_of(req)?;
    let body = body(req, call)?;
    let size = body.to_string().len();
    if size > crate::video::MAX_BODY {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            format!(
                "the audio makes a {} MiB request; OpenRouter accepts at most 50 MiB",
                size / (1024 * 1024)
            ),
        ));
    }
    let resp = post_json(
        call,
        "audio/transcriptions",
        &body,
        "transcription",
        Endpoint::Model,
    )
    .await?;
    let raw = http::read_capped(resp, ANSWER_CAP, "transcription").await?;
    http::log_body(call, "transcription answer body", &raw);
    let v: Value = serde_json::from_slice(&raw).map_err(|_| {
        PluginError::new(
            ErrorKind::UPSTREAM,
            "OpenRouter sent a malformed transcription answer: it is not JSON",
        )
    })?;
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        return Err(API.classify_inline(err));
    }
    transcription::from_json(API.name, &v, &raw, format)
}

/*!
Speech-to-text: `POST <base>/audio/transcriptions` with OpenAI's multipart
form (`file`, `model`, `language`, `response_format`, then `--param`
values as fields), built by the provider kit's [`transcription`] module.

Formats: `text` is asked as `json` (every server answers it; the
transcript is its `text`), `json` as `json` (the answer is kept as is),
`srt` and `vtt` as themselves (OpenAI answers them as plain text; a server
that answers JSON with timestamped segments instead gets its subtitles
built from them).
*/

use crate::client::post_form;
use crate::{api_model, API};
use serde_json::Value;
use switchyard_provider_kit::api::doc::{TranscribeRequest, TranscribeResponse};
use switchyard_provider_kit::api::{ErrorKind, PluginError};
use switchyard_provider_kit::{http, openai, transcription, Call};

/// The largest transcription answer read.
pub const ANSWER_CAP: usize = 64 * 1024 * 1024;

/// The `response_format` sent for a transcript format.
pub fn response_format_for(format: &str) -> &'static str {
    match format {
        "srt" => "srt",
        "vtt" => "vtt",
        _ => "json",
    }
}

/// Transcribes `req.audio` (a local file).
pub async fn transcribe(
    req: &TranscribeRequest,
    call: &Call<'_>,
) -> Result<TranscribeResponse, PluginError> {
    let format = transcription::format_of(req)?;
    let form = transcription::form(
        call,
        req,
        api_model(&req.model),
        response_format_for(format),
    )?;
    let resp = post_form(call, "audio/transcriptions", form, "transcription").await?;
    let ct = http::content_type(&resp);
    let body = http::read_capped(resp, ANSWER_CAP, "transcription").await?;
    http::log_body(call, "transcription answer body", &body);
    let json = serde_json::from_slice::<Value>(&body).ok().filter(|_| {
        ct.contains("json") || body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
    });
    match json {
        Some(v) => {
            if let Some(e) = openai::inline_error(&API, &v) {
                return Err(e);
            }
            transcription::from_json(API.name, &v, &body, format)
        }
        None if format == "json" => Err(PluginError::new(
            ErrorKind::UPSTREAM,
            format!("the server answered a JSON transcription request with {ct:?}, not JSON"),
        )),
        None => Ok(TranscribeResponse {
            text: String::from_utf8_lossy(&body).into_owned(),
            format: format.to_string(),
            ..Default::default()
        }),
    }
}

/*!
Text-to-speech: `POST <base>/audio/speech`. The answer is raw audio,
streamed to the host's sink (output 0) as it arrives; a JSON or text answer
is an error. OpenAI requires a voice, so `alloy` is asked for when none was
chosen; `--param` values are merged into the body last.
*/

use crate::client::post_json;
use crate::{api_model, API};
use serde_json::{json, Value};
use switchyard_provider_kit::api::doc::{SpeechRequest, SpeechResponse};
use switchyard_provider_kit::api::{ErrorKind, PluginError};
use switchyard_provider_kit::sink::{self, Meter};
use switchyard_provider_kit::{http, openai, Call};

/// The voice asked for when none was chosen (OpenAI's first; most servers
/// accept it).
pub const DEFAULT_VOICE: &str = "alloy";

/// The `/audio/speech` body for `req`.
pub fn speech_body(req: &SpeechRequest) -> Result<Value, PluginError> {
    let mut body = json!({
        "model": api_model(&req.model),
        "input": req.input,
        "response_format": req.format,
        "voice": req.voice.as_deref().unwrap_or(DEFAULT_VOICE),
    });
    if let Some(s) = req.speed {
        body["speed"] = json!(s);
    }
    openai::apply_params(&mut body, &req.params)?;
    Ok(body)
}

/// The media type of an answer that names none, from the format asked for.
fn media_type_for(format: &str) -> &'static str {
    match format {
        "pcm" => "audio/pcm",
        _ => "audio/mpeg",
    }
}

/// Synthesises speech into sink output 0.
pub async fn speech(req: &SpeechRequest, call: &Call<'_>) -> Result<SpeechResponse, PluginError> {
    if req.input.trim().is_empty() {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            "there is no text to speak",
        ));
    }
    let body = speech_body(req)?;
    let resp = post_json(call, "audio/speech", &body, "speech").await?;
    let ct = http::content_type(&resp);
    if ct.contains("json") || ct.starts_with("text/") {
        return Err(sink::not_media(&API, resp, &ct, "speech", "audio").await);
    }
    let media_type = if ct.is_empty() {
        media_type_for(&req.format).to_string()
    } else {
        ct
    };
    let mut meter = Meter::new("");
    let bytes = sink::stream_to_sink(
        resp,
        call.host(),
        0,
        &media_type,
        "speech audio",
        &mut meter,
    )
    .await?;
    Ok(SpeechResponse {
        media_type,
        bytes,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_defaults_the_voice_and_forwards_params() {
        let mut req = SpeechRequest {
            model: "local/tts-1".into(),
            input: "hello".into(),
            format: "mp3".into(),
            speed: Some(1.25),
            ..Default::default()
        };
        let b = speech_body(&req).unwrap();
        assert_eq!(b["model"], "tts-1");
        assert_eq!(b["voice"], DEFAULT_VOICE);
        assert_eq!(b["response_format"], "mp3");
        assert_eq!(b["speed"], 1.25);
        req.voice = Some("af_heart".into());
        req.params
            .insert("instructions".into(), "\"speak slowly\"".into());
        let b = speech_body(&req).unwrap();
        assert_eq!(b["voice"], "af_heart");
        assert_eq!(b["instructions"], "speak slowly");
        assert_eq!(media_type_for("pcm"), "audio/pcm");
        assert_eq!(media_type_for("mp3"), "audio/mpeg");
    }
}

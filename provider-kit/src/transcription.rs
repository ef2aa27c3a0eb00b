/*!
Speech-to-text in OpenAI's wire format (`POST /audio/transcriptions`):
the multipart form ([`form`]), the JSON answer ([`from_json`]) and
subtitles built from timestamped segments ([`subtitles`]) for providers
that answer only JSON.

A transcript's format ([`format_of`]) is `text` (the default), `json`,
`srt` or `vtt`. OpenAI answers `text`, `srt` and `vtt` as plain text and
`json` / `verbose_json` as JSON; OpenRouter's JSON form answers only JSON,
so `srt` and `vtt` are built from `verbose_json` segments.
*/

use crate::openai::{audio_format, usage_of};
use crate::provider::Call;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use switchyard_plugin_api::doc::{Params, TranscribeRequest, TranscribeResponse};
use switchyard_plugin_api::{ErrorKind, PluginError};

/// The transcript formats a request may ask for.
pub const FORMATS: [&str; 4] = ["text", "json", "srt", "vtt"];

/// The format asked for (`text` when absent), lowercased; another value is
/// refused as `invalid_input`.
pub fn format_of(req: &TranscribeRequest) -> Result<&'static str, PluginError> {
    let asked = req
        .format
        .as_deref()
        .map(|f| f.trim().to_ascii_lowercase())
        .unwrap_or_else(|| "text".into());
    FORMATS
        .iter()
        .find(|f| **f == asked)
        .copied()
        .ok_or_else(|| {
            PluginError::new(
                ErrorKind::INVALID_INPUT,
                format!(
                    "transcript format {asked:?}: use one of {}",
                    FORMATS.join(", ")
                ),
            )
        })
}

/// The audio's format (`wav`, `mp3`, ...), from its media type or name;
/// `invalid_input` when neither tells.
pub fn audio_format_of(req: &TranscribeRequest) -> Result<String, PluginError> {
    audio_format(&req.audio).ok_or_else(|| {
        PluginError::new(
            ErrorKind::INVALID_INPUT,
            format!(
                "cannot tell the audio format of {} (use a .wav, .mp3, .flac, .ogg, .webm, .m4a or .aac file)",
                req.audio.name.as_deref().unwrap_or("the audio")
            ),
        )
    })
}

/// A form field's text for a `--param` value: a JSON string as itself,
/// anything else as its JSON text.
fn field_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// OpenAI's multipart form: `file` (the audio, with its name and media
/// type), `model`, `language` when given, `response_format`, then each
/// `--param` (a JSON array becomes one field per item under its key, as in
/// `timestamp_granularities[]`).
pub fn form(
    call: &Call<'_>,
    req: &TranscribeRequest,
    api_model: &str,
    response_format: &str,
) -> Result<Form, PluginError> {
    let bytes = call.blob(&req.audio)?.to_vec();
    if bytes.is_empty() {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            "the audio file is empty",
        ));
    }
    let ext = audio_format_of(req)?;
    let name = req
        .audio
        .name
        .as_deref()
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n))
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| format!("audio.{ext}"));
    let mime = req
        .audio
        .media_type
        .clone()
        .unwrap_or_else(|| format!("audio/{ext}"));
    let file = Part::bytes(bytes)
        .file_name(name)
        .mime_str(&mime)
        .map_err(|_| {
            PluginError::new(
                ErrorKind::INVALID_INPUT,
                format!("the audio's media type {mime:?} is not valid"),
            )
        })?;
    let mut form = Form::new()
        .part("file", file)
        .text("model", api_model.to_string());
    if let Some(l) = req
        .language
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        form = form.text("language", l.to_string());
    }
    form = form.text("response_format", response_format.to_string());
    for (k, v) in parsed_params(&req.params)? {
        match v {
            Value::Array(items) => {
                for item in items {
                    form = form.text(k.clone(), field_text(&item));
                }
            }
            other => form = form.text(k, field_text(&other)),
        }
    }
    Ok(form)
}

fn parsed_params(params: &Params) -> Result<Vec<(String, Value)>, PluginError> {
    params
        .iter()
        .map(|(k, text)| {
            serde_json::from_str(text)
                .map(|v| (k.clone(), v))
                .map_err(|e| {
                    PluginError::new(
                        ErrorKind::INVALID_INPUT,
                        format!("parameter {k:?}: {text:?} is not JSON ({e})"),
                    )
                })
        })
        .collect()
}

/// `hh:mm:ss` and milliseconds after `sep` (`,` for SRT, `.` for VTT).
fn timestamp(secs: f64, sep: char) -> String {
    let ms = (secs.max(0.0) * 1000.0).round() as u64;
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, ms) = (rest / 1000, rest % 1000);
    format!("{h:02}:{m:02}:{s:02}{sep}{ms:03}")
}

/// SRT or WebVTT subtitles from timestamped segments
/// (`[{"start", "end", "text"}, ...]`); `None` when there are none or one
/// lacks its times.
pub fn subtitles(segments: &[Value], format: &str) -> Option<String> {
    if segments.is_empty() {
        return None;
    }
    let vtt = format == "vtt";
    let sep = if vtt { '.' } else { ',' };
    let mut out = String::new();
    if vtt {
        out.push_str("WEBVTT\n\n");
    }
    for (i, s) in segments.iter().enumerate() {
        let start = s.get("start")?.as_f64()?;
        let end = s.get("end")?.as_f64()?;
        let text = s.get("text").and_then(Value::as_str).unwrap_or("").trim();
        if !vtt {
            out.push_str(&format!("{}\n", i + 1));
        }
        out.push_str(&format!(
            "{} --> {}\n{text}\n\n",
            timestamp(start, sep),
            timestamp(end, sep)
        ));
    }
    Some(out)
}

/// Reads a JSON transcription answer (`raw` is its body) into a transcript
/// of `format`: its `text`; for `json` the answer itself; for `srt` and
/// `vtt` subtitles from its `segments` (`unsupported` when it has none).
/// Language and duration come from `language` and `duration` (else
/// `usage.seconds`); usage from `usage`.
pub fn from_json(
    provider: &str,
    v: &Value,
    raw: &[u8],
    format: &str,
) -> Result<TranscribeResponse, PluginError> {
    let text = v.get("text").and_then(Value::as_str).ok_or_else(|| {
        PluginError::new(
            ErrorKind::UPSTREAM,
            format!("{provider} sent a malformed transcription answer: it has no `text`"),
        )
    })?;
    let text = match format {
        "json" => String::from_utf8_lossy(raw).trim().to_string(),
        "srt" | "vtt" => v
            .get("segments")
            .and_then(Value::as_array)
            .and_then(|s| subtitles(s, format))
            .ok_or_else(|| {
                PluginError::new(
                    ErrorKind::UNSUPPORTED,
                    format!("{provider} answered without timestamped segments, so no {format} subtitles can be made for this model: ask for text or json"),
                )
            })?,
        _ => text.to_string(),
    };
    let usage = v.get("usage");
    Ok(TranscribeResponse {
        text,
        format: format.to_string(),
        language: v
            .get("language")
            .and_then(Value::as_str)
            .map(str::to_string),
        duration_s: v
            .get("duration")
            .and_then(Value::as_f64)
            .or_else(|| usage.and_then(|u| u.get("seconds")).and_then(Value::as_f64)),
        usage: usage.map(usage_of).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formats_default_to_text_and_refuse_others() {
        let mut r = TranscribeRequest::default();
        assert_eq!(format_of(&r).unwrap(), "text");
        r.format = Some("SRT".into());
        assert_eq!(format_of(&r).unwrap(), "srt");
        r.format = Some("docx".into());
        assert_eq!(format_of(&r).unwrap_err().kind, ErrorKind::INVALID_INPUT);
    }

    #[test]
    fn segments_make_srt_and_vtt() {
        let segs = vec![
            json!({"id": 0, "start": 0.0, "end": 1.5, "text": " Hello."}),
            json!({"id": 1, "start": 3661.25, "end": 3662.0, "text": "Bye."}),
        ];
        assert_eq!(
            subtitles(&segs, "srt").unwrap(),
            "1\n00:00:00,000 --> 00:00:01,500\nHello.\n\n2\n01:01:01,250 --> 01:01:02,000\nBye.\n\n"
        );
        assert!(subtitles(&segs, "vtt")
            .unwrap()
            .starts_with("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello.\n"));
        assert_eq!(subtitles(&[], "srt"), None);
        assert_eq!(subtitles(&[json!({"text": "x"})], "srt"), None);
    }

    #[test]
    fn json_answers_give_text_language_duration_and_usage() {
        let v = json!({"text": "hi", "language": "english", "usage": {"seconds": 2.5, "input_tokens": 3, "cost": 0.1}});
        let raw = v.to_string();
        let t = from_json("X", &v, raw.as_bytes(), "text").unwrap();
        assert_eq!((t.text.as_str(), t.format.as_str()), ("hi", "text"));
        assert_eq!(t.language.as_deref(), Some("english"));
        assert_eq!(t.duration_s, Some(2.5));
        assert_eq!(t.usage.prompt_tokens, Some(3));
        assert_eq!(
            from_json("X", &v, raw.as_bytes(), "json").unwrap().text,
            raw
        );
        assert_eq!(
            from_json("X", &v, raw.as_bytes(), "srt").unwrap_err().kind,
            ErrorKind::UNSUPPORTED
        );
        assert_eq!(
            from_json("X", &json!({}), b"{}", "text").unwrap_err().kind,
            ErrorKind::UPSTREAM
        );
    }
}

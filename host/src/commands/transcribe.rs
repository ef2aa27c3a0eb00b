/*!
`switchyard transcribe [--model REF] [--language L] [--format F] [--out PATH] FILE|-`:
speech to text.

Before anything is sent: the model is routed and must offer `transcribe`;
the audio (a file, or stdin with `-`) must be at most
[`MAX_AUDIO_BYTES`] and be audio by its bytes (WAV, MP3, FLAC, Ogg, WebM,
M4A, AAC, AIFF; headerless PCM only from a `.pcm` name); the transcript
format must be one of `text`, `json`, `srt`, `vtt` and, when the model
states its formats, one of those; `--out` must be writable. The audio goes
beside the request as a blob, never base64 in the document.

The transcript goes to stdout, or with `--out` to a file written
atomically (its path is printed). `--json` prints one object: text,
model, language, duration, format, cost (and the path with `--out`).
*/

use super::{model_or_default, once, paid, stamp, timeout_ms, Ctx};
use crate::cli::TranscribeArgs;
use serde_json::json;
use std::io::{IsTerminal, Read};
use std::path::Path;
use switchyard_core::check::{self, Route};
use switchyard_core::error::HostError;
use switchyard_core::estimate::Usage;
use switchyard_core::media::{self, AudioFormat};
use switchyard_core::output::{self, Target};
use switchyard_plugin_api::doc::{Input, TranscribeRequest, TranscribeResponse};
use switchyard_plugin_api::{caps::TRANSCRIBE as CAP_TRANSCRIBE, ops};

/// The largest audio file sent (25 MiB, OpenAI's limit for
/// `/audio/transcriptions`; OpenRouter's 50 MiB request holds it base64).
pub const MAX_AUDIO_BYTES: u64 = 25 * 1024 * 1024;
/// Default timeout per attempt (5 minutes).
pub const DEFAULT_TIMEOUT_MS: u64 = 300_000;
/// The transcript formats a request may ask for.
pub const FORMATS: [&str; 4] = ["text", "json", "srt", "vtt"];

/// The audio to transcribe.
struct Audio {
    bytes: Vec<u8>,
    format: AudioFormat,
    name: String,
}

/// Runs `transcribe`.
pub fn run(ctx: &Ctx, args: TranscribeArgs) -> Result<(), HostError> {
    let model = model_or_default(ctx, args.model.as_deref(), CAP_TRANSCRIBE)?;
    let route = check::route(&ctx.session, &ctx.table, &model, CAP_TRANSCRIBE)?;
    if route.limits.is_none() {
        ctx.term.notice(&format!(
            "note: {model} is not listed in the {} manifest; its limits could not be checked",
            route.manifest.id
        ));
    }
    let target = match &args.out {
        Some(p) => Some(Target::check("--out", Some(p))?),
        None => None,
    };
    let format = transcript_format(&args, &route, &model, target.as_ref())?;
    let language = language(args.language.as_deref())?;
    let audio = read_audio(&args.file)?;
    let params = paid::params(&args.paid, &model, route.limits.as_ref())?;
    let timeout = timeout_ms(ctx, args.timeout.as_deref(), None, DEFAULT_TIMEOUT_MS)?;
    let out = target.map(|t| t.path(&format!("transcript-{}.{}", stamp(), extension(&format))));
    let req = TranscribeRequest {
        model: model.clone(),
        audio: Input {
            blob: Some(0),
            media_type: Some(audio.format.mime().into()),
            name: Some(audio.name.clone()),
            ..Default::default()
        },
        language,
        format: Some(format),
        params,
    };
    let usage = Usage::Transcribe {
        seconds: media::wav_seconds(&audio.bytes),
        bytes: audio.bytes.len() as u64,
    };
    let plan = paid::Planned {
        command: "transcribe",
        model: &model,
        operation: ops::TRANSCRIBE,
        request: &req,
        blobs: &[audio.bytes.len()],
    };
    if let paid::Go::Stop = paid::preflight(ctx, &args.paid, &plan, route.limits.as_ref(), &usage)?
    {
        return Ok(());
    }
    let call = once::Call {
        model: &model,
        manifest: &route.manifest,
        timeout_ms: timeout,
        op: ops::TRANSCRIBE,
    };
    let mut resp: TranscribeResponse = once::run(ctx, &call, &req, &[&audio.bytes])?;
    // The language given, when the provider does not say which it heard.
    resp.language = resp.language.take().or(req.language);
    paid::record(ctx, "transcribe", &model, resp.usage.cost, None);
    if let Some(path) = &out {
        output::write_whole(path, with_newline(&resp.text).as_bytes())?;
    }
    report(ctx, &model, &resp, out.as_deref());
    Ok(())
}

/// The transcript format: `--format`, else from `--out`'s extension, else
/// `text`; checked against the model's formats when it states them.
fn transcript_format(
    args: &TranscribeArgs,
    route: &Route,
    model: &str,
    target: Option<&Target>,
) -> Result<String, HostError> {
    let (asked, flag) = match &args.format {
        Some(f) => (f.trim().to_ascii_lowercase(), "--format"),
        None => {
            let from_out = match target.and_then(Target::extension).as_deref() {
                Some("srt") => "srt",
                Some("vtt") => "vtt",
                Some("json") => "json",
                _ => "text",
            };
            (from_out.to_string(), "the transcript format")
        }
    };
    if !FORMATS.contains(&asked.as_str()) {
        return Err(HostError::InvalidInput(format!(
            "--format {asked}: allowed: {}",
            FORMATS.join(", ")
        )));
    }
    let allowed = route.limits.as_ref().and_then(|l| l.formats.as_ref());
    check::choice(model, flag, &asked, allowed)
}

/// `--language`, trimmed and lowercased: letters and `-` only.
fn language(arg: Option<&str>) -> Result<Option<String>, HostError> {
    let Some(l) = arg.map(str::trim) else {
        return Ok(None);
    };
    let ok = !l.is_empty()
        && l.len() <= 16
        && l.starts_with(|c: char| c.is_ascii_alphabetic())
        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !ok {
        return Err(HostError::InvalidInput(format!(
            "--language {l:?}: give a language code such as en, de or pt-BR (ISO-639-1), or leave it out to detect the language"
        )));
    }
    Ok(Some(l.to_ascii_lowercase()))
}

/// The file extension of a transcript format.
fn extension(format: &str) -> &str {
    match format {
        "text" => "txt",
        other => other,
    }
}

fn with_newline(text: &str) -> String {
    if text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}

/// Reads the audio (a file, or stdin for `-`), capped at
/// [`MAX_AUDIO_BYTES`], and tells its format from its bytes.
fn read_audio(arg: &str) -> Result<Audio, HostError> {
    let too_big = |size: String| {
        HostError::InvalidInput(format!(
            "{arg}: the audio is {size}; transcription takes at most {} MiB (split it, or compress it to MP3 or Ogg)",
            MAX_AUDIO_BYTES / (1024 * 1024)
        ))
    };
    let bytes = if arg == "-" {
        if std::io::stdin().is_terminal() {
            return Err(HostError::InvalidInput(
                "- reads the audio from stdin: pipe a file into it (switchyard transcribe - < talk.mp3)".into(),
            ));
        }
        let mut b = Vec::new();
        std::io::stdin()
            .take(MAX_AUDIO_BYTES + 1)
            .read_to_end(&mut b)
            .map_err(|e| {
                HostError::InvalidInput(format!("cannot read the audio from stdin: {e}"))
            })?;
        if b.len() as u64 > MAX_AUDIO_BYTES {
            return Err(too_big(format!(
                "over {} MiB",
                MAX_AUDIO_BYTES / (1024 * 1024)
            )));
        }
        b
    } else {
        let meta = std::fs::metadata(arg)
            .map_err(|e| HostError::InvalidInput(format!("{arg}: cannot read the file: {e}")))?;
        if !meta.is_file() {
            return Err(HostError::InvalidInput(format!("{arg}: not a file")));
        }
        if meta.len() > MAX_AUDIO_BYTES {
            return Err(too_big(format!("{:.1} MiB", meta.len() as f64 / 1048576.0)));
        }
        std::fs::read(arg)
            .map_err(|e| HostError::InvalidInput(format!("{arg}: cannot read the file: {e}")))?
    };
    let shown = if arg == "-" { "stdin" } else { arg };
    let format = media::audio_of(arg, &bytes)
        .map_err(|why| HostError::InvalidInput(format!("{shown}: {why}")))?;
    let name = match Path::new(arg).file_name() {
        Some(n) if arg != "-" => n.to_string_lossy().into_owned(),
        _ => format!("audio.{}", format.name()),
    };
    Ok(Audio {
        bytes,
        format,
        name,
    })
}

fn report(ctx: &Ctx, model: &str, r: &TranscribeResponse, out: Option<&Path>) {
    if ctx.json {
        ctx.print_json(&json!({
            "text": r.text,
            "format": r.format,
            "model": model,
            "language": r.language,
            "duration": r.duration_s,
            "cost": r.usage.cost,
            "path": out.map(|p| p.display().to_string()),
        }));
        return;
    }
    match out {
        Some(p) => ctx.term.out(&p.display().to_string()),
        None => ctx.term.out(r.text.trim_end_matches('\n')),
    }
    let cost = r
        .usage
        .cost
        .map(|c| format!(", cost {}", once::cost_text(c)))
        .unwrap_or_default();
    let lang = r
        .language
        .as_deref()
        .map(|l| format!(" ({l})"))
        .unwrap_or_default();
    ctx.term
        .notice(&format!("— transcribed by {model}{lang}{cost}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_codes() {
        assert_eq!(language(Some(" EN ")).unwrap().as_deref(), Some("en"));
        assert_eq!(language(Some("pt-BR")).unwrap().as_deref(), Some("pt-br"));
        assert_eq!(language(None).unwrap(), None);
        for bad in ["", "e n", "-en", "english; rm"] {
            assert_eq!(language(Some(bad)).unwrap_err().exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn text_transcripts_are_txt_files() {
        assert_eq!(extension("text"), "txt");
        assert_eq!(extension("srt"), "srt");
        assert_eq!(with_newline("a"), "a\n");
        assert_eq!(with_newline("a\n"), "a\n");
    }
}

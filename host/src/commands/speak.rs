/*!
`switchyard speak`: text-to-speech streamed to an output file, the format
checked from the bytes, PCM wrapped as WAV when the output ends in `.wav`.
*/

use super::{read_text_arg, stamp, timeout_ms, Ctx};
use crate::cli::{PaidArgs, SpeakArgs};
use serde_json::json;
use std::path::{Path, PathBuf};
use switchyard_core::check;
use switchyard_core::error::{HostError, OutputError};
use switchyard_core::estimate::Usage;
use switchyard_core::output::{Expect, Outputs, Target};
use switchyard_plugin_api::doc::{Context as CallContext, SpeechRequest, SpeechResponse};
use switchyard_plugin_api::{caps::SPEECH as CAP_SPEECH, ops};

/// Default speech model (provider-local id).
pub const DEFAULT_TTS_MODEL: &str = "hexgrad/kokoro-82m";

/// The speech settings a call resolves to.
pub struct SpeechPlan {
    /// Full model ref.
    pub model: String,
    /// Voice.
    pub voice: Option<String>,
    /// `mp3` or `pcm`.
    pub format: String,
    /// Output path.
    pub out: PathBuf,
    /// Sample rate for WAV wrapping.
    pub sample_rate: u32,
    /// Speed.
    pub speed: Option<f64>,
}

/// Resolves model, voice, format and output path from flags and config.
pub fn plan(
    ctx: &Ctx,
    model: Option<&str>,
    voice: Option<&str>,
    format: Option<&str>,
    (out_flag, out): (&str, Option<&Path>),
    sample_rate: u32,
    speed: Option<f64>,
) -> Result<SpeechPlan, HostError> {
    let tts = &ctx.config.file.messages.tts;
    let provider = tts
        .provider
        .clone()
        .unwrap_or_else(|| "openrouter".to_string());
    let pcfg = tts.providers.get(&provider).cloned().unwrap_or_default();
    let model = match model {
        Some(m) => m.to_string(),
        None => configured_model(ctx, &provider, pcfg.model.as_deref()),
    };
    let target = Target::check(out_flag, out)?;
    let (format, source) = match (format, &pcfg.response_format) {
        (Some(f), _) => (f.to_ascii_lowercase(), "--format"),
        (None, Some(f)) => (f.to_ascii_lowercase(), "responseFormat in the config"),
        (None, None) => match target.extension().as_deref() {
            Some("wav") | Some("pcm") => ("pcm".to_string(), "the --out extension"),
            _ => ("mp3".to_string(), "the default"),
        },
    };
    if format != "mp3" && format != "pcm" {
        return Err(HostError::InvalidInput(format!(
            "format {format} (from {source}) is not supported; allowed: mp3, pcm"
        )));
    }
    check_extension(&format, source, out_flag, &target)?;
    check_sample_rate(sample_rate)?;
    let speed = match speed {
        Some(v) => Some(check_speed(v, "--speed")?),
        None => match pcfg.speed {
            Some(v) => Some(check_speed(
                v,
                &format!("messages.tts.providers.{provider}.speed"),
            )?),
            None => None,
        },
    };
    let out = target.path(&format!(
        "speech-{}.{}",
        stamp(),
        if format == "pcm" { "wav" } else { "mp3" }
    ));
    Ok(SpeechPlan {
        model,
        voice: voice.map(str::to_string).or(pcfg.voice.clone()),
        format,
        out,
        sample_rate,
        speed,
    })
}

/// The configured speech model (provider-local id) as a full model ref.
fn configured_model(ctx: &Ctx, provider: &str, local: Option<&str>) -> String {
    let local = local.unwrap_or(DEFAULT_TTS_MODEL);
    let prefix = ctx
        .table
        .by_id(provider)
        .map(|m| m.model_prefix.clone())
        .unwrap_or_else(|| format!("{provider}/"));
    if local.starts_with(&prefix) {
        local.to_string()
    } else {
        format!("{prefix}{local}")
    }
}

/// WAV sample rates accepted by `--sample-rate`.
pub const SAMPLE_RATES: std::ops::RangeInclusive<u32> = 8_000..=192_000;
/// Speeds accepted by `--speed` (OpenAI TTS's range; other models ignore it).
pub const SPEEDS: std::ops::RangeInclusive<f64> = 0.25..=4.0;

fn check_sample_rate(rate: u32) -> Result<(), HostError> {
    if SAMPLE_RATES.contains(&rate) {
        return Ok(());
    }
    Err(HostError::InvalidInput(format!(
        "--sample-rate {rate} is not a usable WAV sample rate; allowed: {} to {} Hz (the provider's PCM is 24000 Hz, the default)",
        SAMPLE_RATES.start(),
        SAMPLE_RATES.end()
    )))
}

fn check_speed(speed: f64, source: &str) -> Result<f64, HostError> {
    if SPEEDS.contains(&speed) {
        return Ok(speed);
    }
    Err(HostError::InvalidInput(format!(
        "{source} {speed} is out of range; allowed: {} to {} (1 is normal speed)",
        SPEEDS.start(),
        SPEEDS.end()
    )))
}

/// Refuses an output whose audio extension names another format than the
/// one written (raw PCM in an `.mp3`, MP3 in a `.wav`). Other extensions,
/// and none, are left to the user.
fn check_extension(
    format: &str,
    source: &str,
    flag: &str,
    target: &Target,
) -> Result<(), HostError> {
    let (Some(ext), Some(name)) = (target.extension(), target.name.as_ref()) else {
        return Ok(());
    };
    let holds = match ext.as_str() {
        "mp3" => "mp3",
        "wav" | "pcm" | "raw" => "pcm",
        "ogg" | "oga" | "opus" | "flac" | "aac" | "m4a" | "weba" => "",
        _ => return Ok(()),
    };
    if holds == format {
        return Ok(());
    }
    let (what, fits) = match format {
        "mp3" => ("MP3 audio", ".mp3"),
        _ => ("raw PCM audio", ".wav (PCM wrapped as WAV) or .pcm (raw)"),
    };
    let other = if holds.is_empty() {
        String::new()
    } else {
        format!(", or pass --format {holds} to write {holds} into .{ext}")
    };
    Err(HostError::InvalidInput(format!(
        "{flag} {}: a .{ext} file cannot hold {what} (format {format}, from {source}); {format} is written as {fits}{other}",
        std::path::Path::new(name).display()
    )))
}

/// Synthesises `text` with `plan`; returns the written file and its size.
pub fn synthesize(
    ctx: &Ctx,
    plan: &SpeechPlan,
    text: &str,
    timeout: u64,
    paid: Option<&PaidArgs>,
) -> Result<Option<(PathBuf, u64)>, HostError> {
    let route = check::route(&ctx.session, &ctx.table, &plan.model, CAP_SPEECH)?;
    let l = route.limits.as_ref();
    let (req, expect) = speech_request(plan, text, l)?;
    let cc = ctx.call_context(&route.manifest, true, timeout)?;
    let plugin = ctx.load(&route.manifest)?;
    if let Some(args) = paid {
        let mut priced = req.clone();
        priced.params = super::paid::params(args, &plan.model, l)?;
        let usage = Usage::Speech {
            chars: text.chars().count(),
        };
        let planned = super::paid::Planned {
            command: "speak",
            model: &plan.model,
            operation: ops::SPEECH,
            request: &priced,
            blobs: &[],
        };
        if let super::paid::Go::Stop = super::paid::preflight(ctx, args, &planned, l, &usage)? {
            return Ok(None);
        }
        return send(ctx, plan, &plugin, &cc, &priced, expect);
    }
    send(ctx, plan, &plugin, &cc, &req, expect)
}

/// The speech request and the output it must produce, checked against
/// the model's limits (`--voice`, `--format`).
fn speech_request(
    plan: &SpeechPlan,
    text: &str,
    l: Option<&switchyard_core::manifest::ModelEntry>,
) -> Result<(SpeechRequest, Expect), HostError> {
    let voice = match &plan.voice {
        Some(v) => Some(check::choice(
            &plan.model,
            "--voice",
            v,
            l.and_then(|l| l.voices.as_ref()),
        )?),
        None => None,
    };
    let format = check::choice(
        &plan.model,
        "--format",
        &plan.format,
        l.and_then(|l| l.formats.as_ref()),
    )?;
    let wav = plan
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("wav"));
    let expect = if format == "mp3" {
        Expect::Mp3
    } else {
        Expect::Pcm {
            wav_sample_rate: wav.then_some(plan.sample_rate),
        }
    };
    let req = SpeechRequest {
        model: plan.model.clone(),
        input: text.to_string(),
        voice,
        format: format.to_string(),
        speed: plan.speed,
        ..Default::default()
    };
    Ok((req, expect))
}

/// Sends the speech request (retried while nothing arrived) and writes
/// the audio; the file and its size.
fn send(
    ctx: &Ctx,
    plan: &SpeechPlan,
    plugin: &std::sync::Arc<switchyard_core::loader::Plugin>,
    cc: &CallContext,
    req: &SpeechRequest,
    expect: Expect,
) -> Result<Option<(PathBuf, u64)>, HostError> {
    // Retried like chat when the provider answered with a transient error
    // (nothing was synthesized); not after the audio started to arrive.
    let (answer, outputs) = switchyard_core::failover::run_with_outputs(
        &ctx.session,
        &plan.model,
        || {
            Outputs::new(
                ctx.session.temps(),
                plan.out.clone(),
                expect,
                cc.max_output_bytes,
            )
        },
        |calls| {
            // Each attempt gets no more than the time left (`--timeout`).
            let cc = CallContext {
                timeout_ms: ctx.session.attempt_timeout_ms(cc.timeout_ms),
                ..cc.clone()
            };
            calls.call::<_, SpeechResponse>(plugin, ops::SPEECH, &cc, req, &[])
        },
    )?;
    let w = outputs.finish(1)?;
    super::paid::record(ctx, "speak", &plan.model, answer.usage.cost, None);
    let first = w
        .into_iter()
        .next()
        .ok_or(HostError::BadOutput(OutputError::NoAudio))?;
    Ok(Some((first.path, first.bytes)))
}

/// Runs `speak`.
pub fn run(ctx: &Ctx, args: SpeakArgs) -> Result<(), HostError> {
    let text = read_text_arg(Some(&args.text), "text")?;
    let p = plan(
        ctx,
        args.model.as_deref(),
        args.voice.as_deref(),
        args.format.as_deref(),
        ("--out", args.out.as_deref()),
        args.sample_rate,
        args.speed,
    )?;
    let timeout = timeout_ms(ctx, args.timeout.as_deref(), None, 120_000)?;
    let Some((path, bytes)) = synthesize(ctx, &p, &text, timeout, Some(&args.paid))? else {
        return Ok(());
    };
    if ctx.json {
        ctx.print_json(&json!({"path": path.display().to_string(), "bytes": bytes, "model": p.model, "format": p.format, "voice": p.voice}));
    } else {
        ctx.term.out(&path.display().to_string());
    }
    Ok(())
}

/*!
The plugin contract suite, shipped in the binary as `switchyard plugins test
DIR [--base-url URL]`.

For every plugin found in DIR (a directory of manifests, or a plugin crate
with its `manifest.toml`, whose library is found in its `target/` or built
with `cargo build --release`), it checks, each as one line naming the field
or entry point at fault:

1. the manifest parses, and names no field or capability this switchyard
   does not know;
2. the library is found, passes the ABI layout and plugin API checks, and
   its embedded manifest agrees with the installed one;
3. an unknown operation answers `unsupported`; a malformed request document
   answers a typed error, never a panic;
4. each capability the manifest does not declare answers `unsupported`;
   a chat without messages answers a typed error;
5. with `--base-url`, each declared capability answers one minimal valid
   request (the probes, [`PROBES`]) against that server, and its outputs
   pass the host's verification.

Every probe runs on its own thread with a deadline: a plugin that hangs is a
`[FAIL]` line naming the entry point, and the suite goes on to its summary.
*/

use crate::call::HostCalls;
use crate::loader::{self, Plugin};
use crate::manifest::Manifest;
use crate::output::{Expect, Outputs};
use crate::registry::LookupTable;
use crate::session::Session;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;
use switchyard_plugin_api::doc::{self, Context};
use switchyard_plugin_api::{caps, ops, ErrorKind, PluginError};

/// The probe requests, as documented for plugin authors: what each declared
/// capability is sent (its model is the manifest's first model with it).
pub const PROBES: &[(&str, &str)] = &[
    (
        caps::CHAT,
        "chat: one user message \"contract ping\", not streamed",
    ),
    (
        caps::IMAGE,
        "image: prompt \"a contract\", no aspect ratio or size",
    ),
    (
        caps::SPEECH,
        "speech: input \"contract\", format mp3, no voice",
    ),
    (
        caps::VIDEO,
        "video.submit: prompt \"a contract\", then video.wait polling every 20 ms",
    ),
    (
        caps::TRANSCRIBE,
        "transcribe: 0.25 s of silence as a 16 kHz mono WAV (audio/wav, blob 0), no language or format",
    ),
    (caps::EMBED, "embed: one input \"contract\", no dimensions"),
];

/// A short WAV of silence (16 kHz, mono, 16-bit), the transcription probe.
fn silence_wav() -> Vec<u8> {
    let samples: u32 = 4000;
    let data = samples * 2;
    let mut w = Vec::with_capacity(44 + data as usize);
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&16_000u32.to_le_bytes());
    w.extend_from_slice(&32_000u32.to_le_bytes());
    w.extend_from_slice(&2u16.to_le_bytes());
    w.extend_from_slice(&16u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&data.to_le_bytes());
    w.resize(44 + data as usize, 0);
    w
}

/// How one check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Passed, with a note (may be empty).
    Ok(String),
    /// Failed, saying what was expected and what was found.
    Fail(String),
    /// Not run, saying why.
    Skip(String),
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct Line {
    /// The plugin (or manifest file) the check is about.
    pub subject: String,
    /// What was checked.
    pub what: String,
    /// How it ended.
    pub outcome: Outcome,
}

/// Settings of a run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The server the capability probes go to; `None` skips them.
    pub base_url: Option<String>,
    /// How long one probe may take before it counts as hung.
    pub probe_timeout: Duration,
}

/// A call context for the probes: `base` with the probe server and deadline.
fn probe_context(base: &Context, opts: &Options) -> Context {
    Context {
        base_url: opts
            .base_url
            .clone()
            .unwrap_or_else(|| "http://127.0.0.1:9/contract-no-server".into()),
        timeout_ms: opts.probe_timeout.as_millis() as u64,
        poll_interval_ms: 20,
        ..base.clone()
    }
}

/// Runs `f` on its own thread; `None` when it has not returned within `limit`
/// (the thread is left behind: a hung plugin call cannot be stopped).
fn with_deadline<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("switchyard-contract-probe".into())
        .spawn(move || {
            let _ = tx.send(f());
        });
    if spawned.is_err() {
        return None;
    }
    rx.recv_timeout(limit).ok()
}

fn model_for(m: &Manifest, cap: &str) -> String {
    m.models
        .iter()
        .find(|x| x.has_capability(cap))
        .map(|x| x.model_ref.clone())
        .unwrap_or_else(|| format!("{}contract-probe", m.model_prefix))
}

/// One plain call (no outputs) with the hang guard.
fn plain_call<T: DeserializeOwned + Send + 'static>(
    s: &Arc<Session>,
    p: &Arc<Plugin>,
    op: &'static str,
    ctx: &Context,
    req: serde_json::Value,
    limit: Duration,
) -> Option<Result<T, PluginError>> {
    call_with_blob(s, p, op, ctx, req, Vec::new(), limit)
}

/// A call with one binary input (blob 0), or none when `blob` is empty.
fn call_with_blob<T: DeserializeOwned + Send + 'static>(
    s: &Arc<Session>,
    p: &Arc<Plugin>,
    op: &'static str,
    ctx: &Context,
    req: serde_json::Value,
    blob: Vec<u8>,
    limit: Duration,
) -> Option<Result<T, PluginError>> {
    let (s, p, ctx) = (s.clone(), p.clone(), ctx.clone());
    with_deadline(limit, move || {
        let calls = HostCalls::new(&s, "contract");
        let blobs: Vec<&[u8]> = if blob.is_empty() {
            Vec::new()
        } else {
            vec![&blob]
        };
        p.call::<_, T>(op, &ctx, &req, &blobs, calls.as_host())
    })
}

/// A call that writes outputs, verified like a user's; answers a note.
fn output_call(
    (s, p): (&Arc<Session>, &Arc<Plugin>),
    op: &'static str,
    ctx: &Context,
    req: serde_json::Value,
    expect: Expect,
    out: PathBuf,
    limit: Duration,
) -> Option<Result<String, PluginError>> {
    let (s, p, ctx) = (s.clone(), p.clone(), ctx.clone());
    with_deadline(limit, move || {
        let outputs = Outputs::new(s.temps(), out, expect, 1 << 30);
        let mut calls = HostCalls::with_outputs(&s, "contract", outputs);
        let answer: Result<serde_json::Value, PluginError> =
            p.call(op, &ctx, &req, &[], calls.as_host());
        let outputs = calls.take_outputs();
        let count = |v: &serde_json::Value| {
            ["images", "outputs"]
                .iter()
                .find_map(|k| v.get(*k).and_then(|n| n.as_u64()))
                .unwrap_or(1) as u32
        };
        let answer = answer?;
        let written = outputs
            .ok_or_else(|| PluginError::new(ErrorKind::INTERNAL, "the output sink disappeared"))?
            .finish(count(&answer))
            .map_err(|e| PluginError::new(ErrorKind::UPSTREAM, e.to_string()))?;
        let bytes: u64 = written.iter().map(|w| w.bytes).sum();
        Ok(format!(
            "{} verified output(s), {bytes} bytes",
            written.len()
        ))
    })
}

/// Runs the probe for `cap`; `None` when the plugin did not return in time.
fn probe(
    s: &Arc<Session>,
    p: &Arc<Plugin>,
    scratch: &Path,
    m: &Manifest,
    cap: &str,
    ctx: &Context,
    limit: Duration,
) -> Option<Result<String, PluginError>> {
    let model = model_for(m, cap);
    match cap {
        caps::CHAT => {
            let req = serde_json::json!({"model": model, "messages": [{"role": "user", "content": "contract ping"}]});
            plain_call::<doc::ChatResponse>(s, p, ops::CHAT, ctx, req, limit)
                .map(|r| r.map(|a| format!("answered {} characters", a.text.len())))
        }
        caps::IMAGE => {
            let req = serde_json::json!({"model": model, "prompt": "a contract"});
            output_call(
                (s, p),
                ops::IMAGE,
                ctx,
                req,
                Expect::Image,
                scratch.join("contract.png"),
                limit,
            )
        }
        caps::SPEECH => {
            let req = serde_json::json!({"model": model, "input": "contract", "format": "mp3"});
            output_call(
                (s, p),
                ops::SPEECH,
                ctx,
                req,
                Expect::Mp3,
                scratch.join("contract.mp3"),
                limit,
            )
        }
        caps::TRANSCRIBE => {
            let req = serde_json::json!({"model": model, "audio": {"blob": 0, "media_type": "audio/wav", "name": "contract.wav"}});
            call_with_blob::<doc::TranscribeResponse>(
                s,
                p,
                ops::TRANSCRIBE,
                ctx,
                req,
                silence_wav(),
                limit,
            )
            .map(|r| r.map(|a| format!("transcribed: {} characters", a.text.len())))
        }
        caps::EMBED => probe_embed(s, p, &model, ctx, limit),
        _ => probe_video(s, p, scratch, &model, ctx, limit),
    }
}

/// The embedding probe: one input, one non-empty vector back.
fn probe_embed(
    s: &Arc<Session>,
    p: &Arc<Plugin>,
    model: &str,
    ctx: &Context,
    limit: Duration,
) -> Option<Result<String, PluginError>> {
    let req = serde_json::json!({"model": model, "inputs": ["contract"]});
    plain_call::<doc::EmbedResponse>(s, p, ops::EMBED, ctx, req, limit).map(|r| {
        r.and_then(|a| match a.vectors.as_slice() {
            [v] if !v.is_empty() => Ok(format!("one vector of {} numbers", v.len())),
            other => Err(PluginError::new(
                ErrorKind::UPSTREAM,
                format!(
                    "expected one non-empty vector for one input, found {}",
                    other.len()
                ),
            )),
        })
    })
}

/// The video probe: a submit, then a wait on the job it returned.
fn probe_video(
    s: &Arc<Session>,
    p: &Arc<Plugin>,
    scratch: &Path,
    model: &str,
    ctx: &Context,
    limit: Duration,
) -> Option<Result<String, PluginError>> {
    let req = serde_json::json!({"model": model, "prompt": "a contract"});
    let job = match plain_call::<doc::VideoJob>(s, p, ops::VIDEO_SUBMIT, ctx, req, limit)? {
        Ok(j) => j,
        Err(e) => return Some(Err(e)),
    };
    let job = serde_json::to_value(&job).unwrap_or_default();
    output_call(
        (s, p),
        ops::VIDEO_WAIT,
        ctx,
        job,
        Expect::Video,
        scratch.join("contract.mp4"),
        limit,
    )
}

fn hung(op: &str, limit: Duration) -> Outcome {
    Outcome::Fail(format!(
        "entry point `{op}` did not return within {:.0} s: it must end at the context's `timeout_ms` and when the host cancels",
        limit.as_secs_f64()
    ))
}

fn typed(r: Option<Result<serde_json::Value, PluginError>>, op: &str, limit: Duration) -> Outcome {
    match r {
        None => hung(op, limit),
        Some(Ok(_)) => Outcome::Fail("expected a typed error, found success".into()),
        Some(Err(e)) if e.message.contains("panicked") => Outcome::Fail(format!(
            "expected a typed error, found a caught panic: {}",
            e.message
        )),
        Some(Err(e)) => Outcome::Ok(format!("{} error", e.kind)),
    }
}

/// The checks of one loaded plugin.
fn plugin_checks(
    s: &Arc<Session>,
    p: &Arc<Plugin>,
    scratch: &Path,
    ctx: &Context,
    opts: &Options,
) -> Vec<(String, Outcome)> {
    let m = &p.manifest;
    let limit = opts.probe_timeout + Duration::from_secs(2);
    let mut out = Vec::new();
    let unknown = plain_call::<serde_json::Value>(
        s,
        p,
        "contract.no-such-operation",
        ctx,
        serde_json::json!({}),
        limit,
    );
    out.push((
        "call(\"contract.no-such-operation\"): an unknown operation answers `unsupported`"
            .to_string(),
        match unknown {
            None => hung("contract.no-such-operation", limit),
            Some(Err(e)) if e.kind == ErrorKind::UNSUPPORTED => Outcome::Ok(String::new()),
            Some(Err(e)) => Outcome::Fail(format!(
                "expected `unsupported`, found {} error: {}",
                e.kind, e.message
            )),
            Some(Ok(_)) => Outcome::Fail("expected `unsupported`, found success".into()),
        },
    ));
    let bad = plain_call::<serde_json::Value>(
        s,
        p,
        ops::CHAT,
        ctx,
        serde_json::json!({"messages": "not a list"}),
        limit,
    );
    out.push((
        "entry point `chat`: a malformed request document answers a typed error".to_string(),
        typed(bad, ops::CHAT, limit),
    ));
    if m.has_capability(caps::CHAT) {
        let req = serde_json::json!({"model": model_for(m, caps::CHAT), "messages": []});
        out.push((
            "entry point `chat`: an invalid request (no messages) answers a typed error"
                .to_string(),
            typed(
                plain_call(s, p, ops::CHAT, ctx, req, limit),
                ops::CHAT,
                limit,
            ),
        ));
    }
    out.extend(capability_checks(s, p, scratch, ctx, opts, limit));
    out
}

/// Each capability: a declared one answers a minimal valid request (with
/// a probe server), an undeclared one answers `unsupported`.
fn capability_checks(
    s: &Arc<Session>,
    p: &Arc<Plugin>,
    scratch: &Path,
    ctx: &Context,
    opts: &Options,
    limit: Duration,
) -> Vec<(String, Outcome)> {
    let m = &p.manifest;
    let mut out = Vec::new();
    for cap in caps::ALL {
        let op = if cap == caps::VIDEO {
            ops::VIDEO_SUBMIT
        } else {
            cap
        };
        let declared = m.has_capability(cap);
        if declared && opts.base_url.is_none() {
            out.push((
                format!("entry point `{op}`: a minimal valid request succeeds (manifest declares `{cap}`)"),
                Outcome::Skip("needs --base-url (your provider's API or a test server of yours)".into()),
            ));
            continue;
        }
        let r = probe(s, p, scratch, m, cap, ctx, limit);
        let outcome = match (declared, r) {
            (_, None) => hung(op, limit),
            (true, Some(Ok(note))) => Outcome::Ok(note),
            (true, Some(Err(e))) => Outcome::Fail(format!("expected success, found {} error: {}", e.kind, e.message)),
            (false, Some(Err(e))) if e.kind == ErrorKind::UNSUPPORTED => Outcome::Ok(String::new()),
            (false, Some(Err(e))) => Outcome::Fail(format!("expected an `unsupported` error, found {} error: {}", e.kind, e.message)),
            (false, Some(Ok(_))) => Outcome::Fail(format!("expected an `unsupported` error, found success: declare `{cap}` in the manifest's `capabilities`")),
        };
        let what = if declared {
            format!(
                "entry point `{op}`: a minimal valid request succeeds (manifest declares `{cap}`)"
            )
        } else {
            format!("entry point `{op}`: answers `unsupported` (manifest does not declare `{cap}`)")
        };
        out.push((what, outcome));
    }
    out
}

/// Runs the suite over the plugins of `table`; `base` gives each plugin's
/// key and settings (from the user's config), `opts` the probe server.
pub fn run(
    session: &Arc<Session>,
    table: &LookupTable,
    base: impl Fn(&Manifest) -> Context,
    opts: &Options,
) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut push = |subject: &str, what: &str, outcome: Outcome| {
        lines.push(Line {
            subject: subject.to_string(),
            what: what.to_string(),
            outcome,
        })
    };
    for d in &table.diagnostics {
        let what = if d.is_error {
            "manifest parses and its id is unique"
        } else {
            "manifest names only fields and capabilities this switchyard knows"
        };
        push(
            &d.path.display().to_string(),
            what,
            Outcome::Fail(d.message.clone()),
        );
    }
    // Probe outputs go to a scratch directory removed when the run ends.
    let scratch = tempfile::Builder::new()
        .prefix("switchyard-contract-")
        .tempdir()
        .ok();
    let fallback = std::env::temp_dir();
    let scratch_dir = scratch.as_ref().map_or(fallback.as_path(), |d| d.path());
    for m in table.plugins() {
        let subject = m.id.clone();
        push(
            &subject,
            "manifest parses",
            Outcome::Ok(m.path.display().to_string()),
        );
        match loader::find_library(m) {
            Ok(p) => push(
                &subject,
                "field `library`: library file found",
                Outcome::Ok(p.display().to_string()),
            ),
            Err(e) => {
                push(
                    &subject,
                    "field `library`: library file found",
                    Outcome::Fail(e.to_string()),
                );
                continue;
            }
        }
        let what = "loads: ABI layout, plugin API version, embedded manifest agrees";
        let plugin = match session.load(m) {
            Ok(p) => {
                push(
                    &subject,
                    what,
                    Outcome::Ok(format!("plugin API {}", p.plugin_api)),
                );
                p
            }
            Err(e) => {
                push(&subject, what, Outcome::Fail(e.to_string()));
                continue;
            }
        };
        let ctx = probe_context(&base(m), opts);
        for (what, outcome) in plugin_checks(session, &plugin, scratch_dir, &ctx, opts) {
            push(&subject, &what, outcome);
        }
    }
    lines
}

/// Where the library of a plugin crate is, or would be after a build:
/// its `target/release`, `target/debug`, or `$CARGO_TARGET_DIR`'s.
pub fn crate_library_dirs(crate_dir: &Path) -> Vec<PathBuf> {
    let mut roots = vec![crate_dir.join("target")];
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        roots.insert(0, PathBuf::from(t));
    }
    roots
        .iter()
        .flat_map(|r| [r.join("release"), r.join("debug")])
        .collect()
}

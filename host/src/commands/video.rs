/*!
`switchyard video`: submit, journal, poll, download, and the job commands
(`jobs`, `status`, `resume`).

Order of events for a new job: capability check (exit 2, nothing sent) →
a `submitting` journal record → submit → the job id and polling URL are
journaled before the first poll → the plugin polls and streams the video
into a temporary file beside the target → verified and renamed into place →
the record says `downloaded`. Interrupted at any point after the submit was
answered, the job can be finished with `video resume JOB`, which never
submits again.
*/

use super::{paid, read_text_arg, timeout_ms, Ctx};
use crate::cli::{VideoArgs, VideoJobCmd};
use serde_json::json;
use std::path::{Path, PathBuf};
use switchyard_core::call::HostCalls;
use switchyard_core::check::{self, Route};
use switchyard_core::error::{ConfigError, HostError, OutputError};
use switchyard_core::estimate::Usage;
use switchyard_core::journal::{self, JobRecord, Status};
use switchyard_core::loader::Plugin;
use switchyard_core::media;
use switchyard_core::output::{self, Expect, Outputs, Target};
use switchyard_core::session::Session;
use switchyard_plugin_api::doc::{
    Context as CallContext, FrameImage, Input, JobStatus, VideoJob, VideoJobState, VideoRequest,
    VideoResponse,
};
use switchyard_plugin_api::{caps::VIDEO as CAP_VIDEO, ops, ErrorKind};

/// The bundled default video model.
pub const DEFAULT_VIDEO_MODEL: &str = "openrouter/google/veo-3.1-fast";
/// Default overall job timeout (15 minutes).
pub const DEFAULT_TIMEOUT_MS: u64 = 900_000;

/// Runs `video`.
pub fn run(ctx: &Ctx, args: VideoArgs) -> Result<(), HostError> {
    match args.job {
        Some(VideoJobCmd::Jobs) => jobs(ctx),
        Some(VideoJobCmd::Status { job }) => status(ctx, &job),
        Some(VideoJobCmd::Resume { job, out, timeout }) => {
            resume(ctx, &job, out, timeout.as_deref())
        }
        Some(VideoJobCmd::Forget { job }) => forget(ctx, &job),
        None => submit(ctx, args),
    }
}

fn refuse_video_input(flag: &str, what: &str) -> HostError {
    HostError::InvalidInput(format!(
        "{flag} {what} is a video, and {flag} takes an image (PNG, JPEG, WebP or GIF); a video goes with --reference-video, for models that take video references"
    ))
}

/// The binary inputs of one request: local files, passed beside the
/// request document and referred to by index (never base64 inside it).
#[derive(Default)]
pub struct Blobs(pub Vec<Vec<u8>>);

impl Blobs {
    /// The blobs as the slices a plugin call takes.
    pub fn slices(&self) -> Vec<&[u8]> {
        self.0.iter().map(Vec::as_slice).collect()
    }

    /// An image argument as an input: an http(s) URL passes through; a local
    /// file is read, checked from its bytes, and added as a blob.
    pub fn image(&mut self, flag: &str, arg: &str) -> Result<Input, HostError> {
        match image_input(flag, arg)? {
            ImageArg::Url(url) => Ok(Input {
                url: Some(url),
                ..Default::default()
            }),
            ImageArg::File(mime, bytes) => Ok(self.file(arg, mime, bytes)),
        }
    }

    /// A local file's bytes as a blob, and the input referring to it.
    fn file(&mut self, arg: &str, mime: &str, bytes: Vec<u8>) -> Input {
        self.0.push(bytes);
        Input {
            blob: Some(self.0.len() as u32 - 1),
            media_type: Some(mime.to_string()),
            name: Path::new(arg)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
            ..Default::default()
        }
    }

    /// An audio or video reference (`kind` is `audio` or `video`): an
    /// http(s) URL passes through; a local file is read and its type taken
    /// from its bytes (else its extension).
    pub fn media(&mut self, flag: &str, arg: &str, kind: &str) -> Result<Input, HostError> {
        let lower = arg.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Ok(Input {
                url: Some(arg.to_string()),
                ..Default::default()
            });
        }
        if lower.contains("://") || lower.starts_with("data:") {
            return Err(HostError::InvalidInput(format!(
                "{flag} {arg}: only local files and http(s) URLs are accepted"
            )));
        }
        let bytes = std::fs::read(arg).map_err(|e| {
            HostError::InvalidInput(format!("{flag} {arg}: cannot read the file: {e}"))
        })?;
        let sniffed = media::sniff(&bytes).map(|f| f.mime());
        let by_ext = extension_type(&lower);
        let mime = sniffed
            .or(by_ext)
            .filter(|m| m.starts_with(&format!("{kind}/")))
            .ok_or_else(|| {
                HostError::InvalidInput(format!(
                    "{flag} {arg}: not {kind} (checked from its bytes and extension); {}",
                    if kind == "audio" {
                        "give an MP3, WAV, OGG, FLAC or M4A file"
                    } else {
                        "give an MP4, MOV or WebM file"
                    }
                ))
            })?;
        Ok(self.file(arg, mime, bytes))
    }
}

/// A media type from a file name's extension, for formats the byte
/// sniffer does not know.
fn extension_type(lower: &str) -> Option<&'static str> {
    let ext = lower.rsplit('.').next()?;
    Some(match ext {
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "ogg" | "oga" => "audio/ogg",
        "flac" => "audio/flac",
        "m4a" | "aac" => "audio/mp4",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        "mkv" => "video/x-matroska",
        _ => return None,
    })
}

/// An image argument: a URL, or a local image's type and bytes.
pub enum ImageArg {
    /// An http(s) URL.
    Url(String),
    /// A local image file.
    File(&'static str, Vec<u8>),
}

/// Reads an image argument: http(s) passes through, a local file is read
/// and its type sniffed from its bytes.
pub fn image_input(flag: &str, arg: &str) -> Result<ImageArg, HostError> {
    let lower = arg.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        if media::has_video_extension(arg) {
            return Err(refuse_video_input(flag, arg));
        }
        return Ok(ImageArg::Url(arg.to_string()));
    }
    if lower.contains("://") || lower.starts_with("data:") {
        return Err(HostError::InvalidInput(format!(
            "{flag} {arg}: only local files and http(s) URLs are accepted"
        )));
    }
    let bytes = std::fs::read(arg)
        .map_err(|e| HostError::InvalidInput(format!("{flag} {arg}: cannot read the file: {e}")))?;
    match media::sniff(&bytes) {
        Some(f) if f.is_image() => Ok(ImageArg::File(f.mime(), bytes)),
        Some(f) if f.is_video() => Err(refuse_video_input(flag, arg)),
        _ if media::has_video_extension(arg) => Err(refuse_video_input(flag, arg)),
        _ => Err(HostError::InvalidInput(format!(
            "{flag} {arg}: not a PNG, JPEG, WebP or GIF image (checked from its bytes)"
        ))),
    }
}

/// The `--first-frame`/`--last-frame` images, checked against the
/// model's frame image kinds and modes.
fn frame_images(
    session: &Session,
    route: &Route,
    model: &str,
    args: &VideoArgs,
    blobs: &mut Blobs,
) -> Result<Vec<FrameImage>, HostError> {
    let l = route.limits.as_ref();
    let mut frames = Vec::new();
    for (flag, value, kind) in [
        ("--first-frame", &args.first_frame, "first_frame"),
        ("--last-frame", &args.last_frame, "last_frame"),
    ] {
        let Some(v) = value else { continue };
        check::takes_kind(session, route, model, flag, kind, "frame images", |m| {
            m.frame_images.as_ref()
        })?;
        frames.push(FrameImage {
            image: blobs.image(flag, v)?,
            frame_type: kind.into(),
        });
    }
    if !frames.is_empty() {
        if let Some(modes) = l.and_then(|l| l.modes.as_ref()) {
            if !modes.iter().any(|m| m == "image-to-video") {
                return Err(HostError::InvalidInput(format!(
                    "{model} does not do image-to-video; its modes: {}",
                    modes.join(", ")
                )));
            }
        }
    }
    Ok(frames)
}

fn build_request(
    session: &Session,
    route: &Route,
    model: &str,
    args: &VideoArgs,
    prompt: &str,
    blobs: &mut Blobs,
) -> Result<VideoRequest, HostError> {
    let l = route.limits.as_ref();
    let duration = match args.duration {
        Some(d) => Some(check::duration(
            model,
            d,
            l.and_then(|l| l.durations.as_ref()),
        )?),
        None => None,
    };
    let resolution = match &args.resolution {
        Some(r) => Some(check::choice(
            model,
            "--resolution",
            r,
            l.and_then(|l| l.resolutions.as_ref()),
        )?),
        None => None,
    };
    let aspect = match &args.aspect_ratio {
        Some(a) => Some(check::choice(
            model,
            "--aspect-ratio",
            a,
            l.and_then(|l| l.aspect_ratios.as_ref()),
        )?),
        None => None,
    };
    let frames = frame_images(session, route, model, args, blobs)?;
    let mut refs = Vec::new();
    for r in &args.references {
        check::takes_kind(
            session,
            route,
            model,
            "--reference",
            "image",
            "input references",
            |m| m.input_references.as_ref(),
        )?;
        refs.push(blobs.image("--reference", r)?);
    }
    let extra = video_extras(session, route, model, args, blobs)?;
    Ok(VideoRequest {
        model: model.into(),
        prompt: prompt.into(),
        duration,
        resolution,
        aspect_ratio: aspect,
        frame_images: frames,
        references: refs,
        ..extra
    })
}

/// The fields since plugin API 2.1: seed, audio on/off, size, and audio
/// and video references, each checked against what the model states.
fn video_extras(
    session: &Session,
    route: &Route,
    model: &str,
    args: &VideoArgs,
    blobs: &mut Blobs,
) -> Result<VideoRequest, HostError> {
    let l = route.limits.as_ref();
    let refuse = |flag: &str, why: &str| {
        Err(HostError::InvalidInput(format!(
            "{flag}: {model} {why}; nothing was sent"
        )))
    };
    if args.seed.is_some() && l.and_then(|l| l.supports_seed) == Some(false) {
        return refuse("--seed", "takes no seed");
    }
    if args.audio && l.and_then(|l| l.supports_audio) == Some(false) {
        return refuse("--audio", "generates no audio");
    }
    let size = match &args.size {
        Some(s) => {
            let ok = s
                .split_once(['x', 'X'])
                .is_some_and(|(w, h)| w.parse::<u32>().is_ok() && h.parse::<u32>().is_ok());
            if !ok {
                return Err(HostError::InvalidInput(format!(
                    "--size {s:?}: give WIDTHxHEIGHT in pixels, such as 1280x720"
                )));
            }
            Some(check::choice(
                model,
                "--size",
                s,
                l.and_then(|l| l.sizes.as_ref()),
            )?)
        }
        None => None,
    };
    let mut refs = |flag: &str, kind: &str, files: &[String]| -> Result<Vec<Input>, HostError> {
        let mut out = Vec::new();
        for r in files {
            check::takes_kind(session, route, model, flag, kind, "input references", |m| {
                m.input_references.as_ref()
            })?;
            out.push(blobs.media(flag, r, kind)?);
        }
        Ok(out)
    };
    let audio_refs = refs("--reference-audio", "audio", &args.reference_audio)?;
    let video_refs = refs("--reference-video", "video", &args.reference_video)?;
    Ok(VideoRequest {
        seed: args.seed,
        generate_audio: match (args.audio, args.no_audio) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        size,
        audio_references: audio_refs,
        video_references: video_refs,
        ..Default::default()
    })
}

fn submit(ctx: &Ctx, args: VideoArgs) -> Result<(), HostError> {
    let prompt = read_text_arg(args.prompt.as_deref(), "prompt")?;
    let vm = &ctx.config.file.agents.defaults.video_generation_model;
    let model = args
        .model
        .clone()
        .or_else(|| vm.primary.clone())
        .unwrap_or_else(|| DEFAULT_VIDEO_MODEL.to_string());
    let route = check::route(&ctx.session, &ctx.table, &model, CAP_VIDEO)?;
    if route.limits.is_none() {
        ctx.term.notice(&format!(
            "note: {model} is not listed in the {} manifest; its limits could not be checked",
            route.manifest.id
        ));
    }
    let mut blobs = Blobs::default();
    let req = build_request(&ctx.session, &route, &model, &args, &prompt, &mut blobs)?;
    let target = Target::check("--out", args.out.as_deref())?;
    let timeout = timeout_ms(
        ctx,
        args.timeout.as_deref(),
        vm.timeout_ms,
        DEFAULT_TIMEOUT_MS,
    )?;
    let cc = ctx.call_context(&route.manifest, false, timeout)?;
    let plugin = ctx.load(&route.manifest)?;
    let mut req = req;
    req.params = paid::params(&args.paid, &model, route.limits.as_ref())?;
    if let paid::Go::Stop = preflight(ctx, &args, &route, &model, &req, &blobs)? {
        return Ok(());
    }

    let mut record = submitting_record(&route, &model, &target, &prompt);
    record.tag = std::env::var(super::batch::TAG_VAR).ok();
    let jr = ctx.session.journal();
    record.save(&jr)?;
    let calls = HostCalls::new(&ctx.session, &model);
    let submit_cc = CallContext {
        timeout_ms: submit_deadline(&route.manifest, cc.timeout_ms),
        ..cc.clone()
    };
    let sent = calls.call::<_, VideoJob>(
        &plugin,
        ops::VIDEO_SUBMIT,
        &submit_cc,
        &req,
        &blobs.slices(),
    );
    let job = match sent {
        Ok(j) => {
            ctx.session.set_running_job(Some(&j.id));
            j
        }
        Err(e) => return Err(journal_submit_error(ctx, &mut record, e)),
    };
    if record.output.as_os_str().is_empty() {
        record.output = target.path(&default_name(&job.id));
    }
    record.urls = job.unsigned_urls.iter().map(|u| u.to_string()).collect();
    record.assign_id(&jr, &job.id, &job.polling_url, job.status.clone().into())?;
    if args.detach {
        return detached(ctx, &record, &job);
    }
    ctx.term.notice(&format!(
        "job {} submitted ({}); if interrupted, finish it with: switchyard video resume {}",
        job.id, model, job.id
    ));
    wait_and_download(ctx, &plugin, &cc, &mut record, &job)
}

/// Cost before spending (`--dry-run`, `--max-cost`) for a video submit.
fn preflight(
    ctx: &Ctx,
    args: &VideoArgs,
    route: &Route,
    model: &str,
    req: &VideoRequest,
    blobs: &Blobs,
) -> Result<paid::Go, HostError> {
    let usage = Usage::Video {
        seconds: req.duration,
        allowed: route
            .limits
            .as_ref()
            .and_then(|l| l.durations.clone())
            .unwrap_or_default(),
        resolution: req.resolution.clone(),
    };
    let sizes: Vec<usize> = blobs.0.iter().map(Vec::len).collect();
    let plan = paid::Planned {
        command: "video",
        model,
        operation: ops::VIDEO_SUBMIT,
        request: req,
        blobs: &sizes,
    };
    paid::preflight(ctx, &args.paid, &plan, route.limits.as_ref(), &usage)
}

/// `--detach`: the job is submitted and journaled; its id is printed (on
/// stdout, also with `-q`) and `video resume` finishes it.
fn detached(ctx: &Ctx, record: &JobRecord, job: &VideoJob) -> Result<(), HostError> {
    ctx.session.set_running_job(None);
    if ctx.json {
        ctx.print_json(&json!({
            "job_id": job.id,
            "status": job.status.as_str(),
            "model": record.model,
            "output": record.output.display().to_string(),
            "detached": true,
        }));
    } else {
        ctx.term.out(&job.id);
        ctx.term.notice(&format!(
            "job {} submitted and journaled; finish it with: switchyard video resume {}",
            job.id, job.id
        ));
    }
    Ok(())
}

/// `video forget JOB`: drops a journal entry; the API is not asked.
fn forget(ctx: &Ctx, job: &str) -> Result<(), HostError> {
    let record = load_record(ctx, job)?;
    ctx.session.journal().remove(&record.key);
    let id = if record.id.is_empty() {
        &record.key
    } else {
        &record.id
    };
    if ctx.json {
        ctx.print_json(&json!({"forgotten": id, "status": record.status.as_str()}));
    } else {
        ctx.term.out(&format!(
            "forgot job {id} ({}); the provider was not asked: a running job keeps running",
            record.status.as_str()
        ));
    }
    Ok(())
}

/// The `submitting` record written before a submit is sent.
fn submitting_record(route: &Route, model: &str, target: &Target, prompt: &str) -> JobRecord {
    JobRecord {
        id: String::new(),
        key: journal::nonce(),
        plugin: route.manifest.id.clone(),
        model: model.to_string(),
        polling_url: String::new(),
        status: Status::Submitting,
        output: target
            .name
            .as_ref()
            .map(|n| target.dir.join(n))
            .unwrap_or_default(),
        outputs: Vec::new(),
        error: None,
        urls: Vec::new(),
        created: journal::now(),
        updated: journal::now(),
        prompt: prompt.chars().take(200).collect(),
        submit_key: None,
        tag: None,
    }
}

/// A failed submit: when the API answered with an error no job exists and
/// the record goes; without an answer a job may exist, so it stays
/// journaled as `submit_unknown` (never re-sent) and the user is told.
fn journal_submit_error(
    ctx: &Ctx,
    record: &mut JobRecord,
    e: switchyard_plugin_api::PluginError,
) -> HostError {
    let jr = ctx.session.journal();
    let no_job = e.status.is_some()
        || e.was_not_sent()
        || matches!(e.kind, ErrorKind::INVALID_INPUT | ErrorKind::UNSUPPORTED);
    if no_job {
        // The API answered with an error, or the request never left the
        // machine: no job exists, nothing to keep.
        jr.remove(&record.key);
    } else {
        let _ = record.set_status(&jr, Status::SubmitUnknown, Some(e.message.to_string()));
        ctx.term.notice_always(&format!(
            "the submit got no answer ({}); a job may have been created. It is journaled as {}; check `switchyard video jobs`. switchyard never re-submits on its own.",
            e.message, record.key
        ));
    }
    e.into()
}

/// `video-<job id>.mp4`, the id made safe as a file name.
fn default_name(id: &str) -> String {
    format!("video-{}.mp4", sanitize(id))
}

fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn wait_and_download(
    ctx: &Ctx,
    plugin: &Plugin,
    cc: &CallContext,
    record: &mut JobRecord,
    job: &VideoJob,
) -> Result<(), HostError> {
    let target = record.output.clone();
    for i in 0..output::MAX_OUTPUTS.min(8) {
        output::remove_stale_temps(&output::numbered(&target, i));
    }
    let outputs = Outputs::new(
        ctx.session.temps(),
        target.clone(),
        Expect::Video,
        cc.max_output_bytes,
    );
    let mut calls = HostCalls::with_outputs(&ctx.session, &record.model, outputs);
    ctx.session.set_running_job(Some(&job.id));
    let result = calls.call::<_, VideoResponse>(plugin, ops::VIDEO_WAIT, cc, job, &[]);
    ctx.session.set_running_job(None);
    let outputs = calls.take_outputs();
    ctx.term.clear_progress();
    let resp = match result {
        Ok(r) => r,
        Err(e) => {
            drop(outputs);
            return Err(journal_wait_error(ctx, record, &calls, job, e));
        }
    };
    let written = match outputs
        .ok_or(HostError::BadOutput(OutputError::SinkGone))
        .and_then(|o| o.finish(resp.outputs))
    {
        Ok(w) => w,
        Err(e) => {
            journal_download_failed(ctx, record, &job.id, &e.to_string());
            return Err(e.with_job(&job.id));
        }
    };
    record.outputs = written.iter().map(|w| w.path.clone()).collect();
    record.error = None;
    record.set_status(&ctx.session.journal(), Status::Downloaded, None)?;
    let cost = resp.cost;
    super::paid::record(ctx, "video", &record.model, cost, Some(&job.id));
    if ctx.json {
        ctx.print_json(&json!({
            "job_id": job.id.as_str(),
            "status": resp.status.as_str(),
            "model": record.model,
            "outputs": written.iter().map(|w| json!({"path": w.path.display().to_string(), "bytes": w.bytes})).collect::<Vec<_>>(),
            "size": written.iter().map(|w| w.bytes).sum::<u64>(),
            "polls": resp.polls,
            "usage": {"cost": cost},
            "cost": cost,
            "generation_id": resp.generation_id,
        }));
    } else {
        for w in &written {
            ctx.term.out(&w.path.display().to_string());
        }
        let cost = cost.map(|c| format!(", cost ${c:.2}")).unwrap_or_default();
        ctx.term.notice(&format!(
            "saved {} video(s) for job {} ({}{cost})",
            written.len(),
            job.id,
            switchyard_core::output::human_bytes(written.iter().map(|w| w.bytes).sum())
        ));
    }
    Ok(())
}

/// Journals why waiting for `job` failed and returns the error to report.
/// A job the provider completed whose download then failed is journaled
/// as `download_failed` (never `completed`, which reads as done).
fn journal_wait_error(
    ctx: &Ctx,
    record: &mut JobRecord,
    calls: &HostCalls,
    job: &VideoJob,
    mut e: switchyard_plugin_api::PluginError,
) -> HostError {
    if e.job_id.is_none() {
        e = e.with_job_id(job.id.as_str());
    }
    if e.kind == ErrorKind::JOB_FAILED {
        let st = e
            .provider_code
            .as_ref()
            .map(|s| s.to_string())
            .into_option()
            .unwrap_or_else(|| "failed".into());
        let jr = ctx.session.journal();
        let _ = record.set_status(&jr, Status::from(st), Some(e.message.to_string()));
        return e.into();
    }
    // Keep the status the last poll reported, so `video jobs` tells the truth.
    let st = calls
        .last_status()
        .map(Status::from)
        .unwrap_or_else(|| record.status.clone());
    if matches!(
        st,
        Status::Job(JobStatus::Completed) | Status::DownloadFailed
    ) {
        journal_download_failed(ctx, record, &job.id, &e.message);
    } else {
        let jr = ctx.session.journal();
        let _ = record.set_status(&jr, st, Some(e.message.to_string()));
        ctx.session.say_job_left_running(&job.id);
    }
    e.into()
}

/// Journals a completed job whose video could not be downloaded or written.
fn journal_download_failed(ctx: &Ctx, record: &mut JobRecord, id: &str, why: &str) {
    let _ = record.set_status(
        &ctx.session.journal(),
        Status::DownloadFailed,
        Some(why.to_string()),
    );
    ctx.term.notice_always(&format!(
        "job {id} completed but its download failed; it is journaled as download_failed. Download it with: switchyard video resume {id} (add --out PATH to save it elsewhere)"
    ));
}

fn load_record(ctx: &Ctx, job: &str) -> Result<JobRecord, HostError> {
    ctx.session.journal().load(job)?.ok_or_else(|| {
        HostError::InvalidInput(format!(
            "no journaled video job {job:?}; `switchyard video jobs` lists them"
        ))
    })
}

fn job_of(r: &JobRecord) -> VideoJob {
    VideoJob {
        id: r.id.clone(),
        polling_url: r.polling_url.clone(),
        // A failed download is a completed job still to fetch.
        status: r.status.job_status(),
        model: r.model.clone(),
        unsigned_urls: r.urls.clone(),
    }
}

/// The deadline of a video submit: the provider may take up to the
/// manifest's `submit_timeout_ms` to answer (default 2 minutes), however
/// short the job's own timeout; never longer than the job's timeout allows
/// when that is longer.
fn submit_deadline(m: &switchyard_core::manifest::Manifest, job_timeout_ms: u64) -> u64 {
    match job_timeout_ms {
        0 => 0,
        t => t.max(m.submit_timeout_ms),
    }
}

fn resume(
    ctx: &Ctx,
    job: &str,
    out: Option<PathBuf>,
    timeout: Option<&str>,
) -> Result<(), HostError> {
    let mut record = load_record(ctx, job)?;
    if record.id.is_empty() {
        return Err(HostError::InvalidInput(format!(
            "job {} never got an id: its submit ({}) got no answer, so there is nothing to poll. switchyard will not submit it again; check your provider dashboard",
            record.key, record.status
        )));
    }
    if let Some(o) = &out {
        record.output = Target::check("--out", Some(o))?.path(&default_name(&record.id));
    } else if record.status == Status::Downloaded
        && record.outputs.iter().all(|p| p.exists())
        && !record.outputs.is_empty()
    {
        if ctx.json {
            ctx.print_json(
                &json!({"job_id": record.id, "status": "downloaded", "outputs": record.outputs}),
            );
        } else {
            for p in &record.outputs {
                ctx.term.out(&p.display().to_string());
            }
            ctx.term
                .notice(&format!("job {} was already downloaded", record.id));
        }
        return Ok(());
    } else if let Err(e) = Target::check("--out", Some(&record.output)) {
        return Err(HostError::InvalidInput(format!(
            "job {id} cannot be saved where it was to go ({e}); choose another path with: switchyard video resume {id} --out PATH",
            id = record.id
        )));
    }
    let manifest =
        ctx.table
            .by_id(&record.plugin)
            .cloned()
            .ok_or_else(|| ConfigError::NotInstalled {
                plugin: record.plugin.clone(),
                job: Some(record.id.clone()),
            })?;
    let vm = &ctx.config.file.agents.defaults.video_generation_model;
    let timeout = timeout_ms(ctx, timeout, vm.timeout_ms, DEFAULT_TIMEOUT_MS)?;
    let cc = ctx.call_context(&manifest, false, timeout)?;
    let plugin = ctx.load(&manifest)?;
    let j = job_of(&record);
    ctx.term
        .notice(&format!("resuming job {} ({})", record.id, record.model));
    wait_and_download(ctx, &plugin, &cc, &mut record, &j)
}

fn jobs(ctx: &Ctx) -> Result<(), HostError> {
    let list = ctx.session.journal().list();
    if ctx.json {
        ctx.print_json(&json!({"jobs": list}));
        return Ok(());
    }
    for r in list {
        let id = if r.id.is_empty() {
            r.key.clone()
        } else {
            r.id.clone()
        };
        ctx.term.out(&format!(
            "{id}\t{}\t{}\t{}",
            r.status,
            r.model,
            r.output.display()
        ));
    }
    Ok(())
}

fn status(ctx: &Ctx, job: &str) -> Result<(), HostError> {
    let record = load_record(ctx, job)?;
    let finished = record.status.is_finished();
    let mut live: Option<(String, Option<String>)> = None;
    if !finished && !record.id.is_empty() {
        let attempt = ctx
            .table
            .by_id(&record.plugin)
            .cloned()
            .ok_or_else(|| {
                HostError::from(ConfigError::NotInstalled {
                    plugin: record.plugin.clone(),
                    job: None,
                })
            })
            .and_then(|m| Ok((ctx.call_context(&m, false, 30_000)?, ctx.load(&m)?)))
            .and_then(|(cc, p)| {
                let calls = HostCalls::new(&ctx.session, &record.model);
                calls
                    .call::<_, VideoJobState>(&p, ops::VIDEO_STATUS, &cc, &job_of(&record), &[])
                    .map_err(HostError::from)
            });
        match attempt {
            Ok(s) => live = Some((s.status.to_string(), s.error)),
            Err(e) => ctx.term.notice(&format!(
                "could not ask the provider for the live status ({e}); showing the journal"
            )),
        }
    }
    if ctx.json {
        ctx.print_json(&json!({"job": record, "live_status": live.as_ref().map(|l| &l.0), "live_error": live.as_ref().and_then(|l| l.1.clone())}));
        return Ok(());
    }
    let id = if record.id.is_empty() {
        &record.key
    } else {
        &record.id
    };
    ctx.term.out(&format!("job      {id}"));
    ctx.term.out(&format!("model    {}", record.model));
    ctx.term.out(&format!("journal  {}", record.status));
    if let Some((s, err)) = &live {
        ctx.term.out(&format!("live     {s}"));
        if let Some(e) = err {
            ctx.term.out(&format!("error    {e}"));
        }
    }
    ctx.term
        .out(&format!("output   {}", record.output.display()));
    for p in &record.outputs {
        ctx.term.out(&format!("file     {}", p.display()));
    }
    if let Some(e) = &record.error {
        ctx.term.out(&format!("last error {e}"));
    }
    Ok(())
}

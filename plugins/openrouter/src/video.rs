/*!
Asynchronous video generation: submit (`POST /videos`), poll the returned
`polling_url`, download from `unsigned_urls` or `/videos/{id}/content`.

Hardening, by failure mode:
- `polling_url` absolute or relative (resolved as a URL reference against
  the base URL); on another origin it is not followed: `<base>/videos/{id}`
  is polled instead, so the key never leaves the API's origin.
- Poll interval starts at the configured value and grows (x1.5, with
  jitter) to at most 30 s; `Retry-After` on 429/503 is honoured.
- Transient failures (5xx, network, 429) are retried within a budget of
  consecutive failures; a malformed or unknown-status body is retried a few
  times, then reported.
- `failed`, `cancelled`, `expired` (and the undocumented `dead`) end the
  job with OpenRouter's `error` text verbatim (kind `job_failed`).
- Every output is downloaded: each of `unsigned_urls`, else the content
  endpoint's `index` 0, 1, ... until it answers that there is no such index.
- Downloads stream to the host's sink (memory flat whatever the size): a
  200 that is JSON, HTML or empty, a non-video `Content-Type`, or a body
  shorter than `Content-Length` is refused and retried; a foreign-origin
  URL is fetched without credentials (and refused toward private addresses
  when the API is a public https host); the content endpoint is the
  fallback.

Submit fields (doc field -> wire field): `duration`, `resolution`,
`aspect_ratio` as named; `frame_images` -> `frame_images[{type:
"image_url", image_url: {url}, frame_type}]`; `references` ->
`input_references[{type: "image_url", image_url: {url}}]`; since plugin
API 2.1 `seed` -> `seed`, `generate_audio` -> `generate_audio`, `size`
(`WIDTHxHEIGHT`) -> `size`, `audio_references` -> `input_references[{type:
"audio_url", audio_url: {url}}]`, `video_references` ->
`input_references[{type: "video_url", video_url: {url}}]` (local files as
data URLs; only some providers, e.g. Seedance 2, honour audio and video
references). `--param` values are merged last.
*/

use crate::client::{self, check_foreign_url, to_api};
use crate::{api_model, API};
use reqwest::Url;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use switchyard_provider_kit::api::doc::*;
use switchyard_provider_kit::api::{ErrorKind, PluginError, Progress, Stage};
use switchyard_provider_kit::errors::Endpoint;
use switchyard_provider_kit::http::{self, base, endpoint, same_origin};
use switchyard_provider_kit::sink::Meter;
use switchyard_provider_kit::{openai, Call};

/// OpenRouter's documented request body cap.
pub const MAX_BODY: usize = 50 * 1024 * 1024;
/// Longest poll interval.
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(30);
/// Consecutive transient poll failures tolerated.
pub const TRANSIENT_BUDGET: u32 = 8;
/// Consecutive malformed poll answers tolerated.
pub const MALFORMED_BUDGET: u32 = 3;
/// Attempts per download route.
pub const DOWNLOAD_ATTEMPTS: u32 = 3;
/// Outputs probed on the content endpoint when a job lists no URLs.
pub const MAX_PROBED_OUTPUTS: u32 = 16;

fn malformed(what: &str) -> PluginError {
    PluginError::new(
        ErrorKind::UPSTREAM,
        format!("OpenRouter sent a malformed video answer: {what}"),
    )
}

/// The `POST /videos` body for `req` (local images as data URLs).
pub fn submit_body(req: &VideoRequest, call: &Call<'_>) -> Result<Value, PluginError> {
    let mut body = json!({"model": api_model(&req.model), "prompt": req.prompt});
    if let Some(d) = req.duration {
        body["duration"] = json!(d);
    }
    if let Some(r) = &req.resolution {
        body["resolution"] = json!(r);
    }
    if let Some(a) = &req.aspect_ratio {
        body["aspect_ratio"] = json!(a);
    }
    if !req.frame_images.is_empty() {
        let mut frames = Vec::new();
        for f in &req.frame_images {
            let url = call.data_url(&f.image)?;
            frames.push(
                json!({"type": "image_url", "image_url": {"url": url}, "frame_type": f.frame_type}),
            );
        }
        body["frame_images"] = Value::Array(frames);
    }
    if let Some(seed) = req.seed {
        body["seed"] = json!(seed);
    }
    if let Some(audio) = req.generate_audio {
        body["generate_audio"] = json!(audio);
    }
    if let Some(size) = req.size.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        body["size"] = json!(size);
    }
    let mut refs = Vec::new();
    for (kind, list) in [
        ("image_url", &req.references),
        ("audio_url", &req.audio_references),
        ("video_url", &req.video_references),
    ] {
        for r in list {
            refs.push(json!({"type": kind, kind: {"url": call.data_url(r)?}}));
        }
    }
    if !refs.is_empty() {
        body["input_references"] = Value::Array(refs);
    }
    openai::apply_params(&mut body, &req.params)?;
    Ok(body)
}

/// Submits a job.
pub async fn submit(req: &VideoRequest, call: &Call<'_>) -> Result<VideoJob, PluginError> {
    let body = submit_body(req, call)?;
    let bytes = serde_json::to_vec(&body)
        .map_err(|e| PluginError::new(ErrorKind::INTERNAL, e.to_string()))?;
    if bytes.len() > MAX_BODY {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            format!(
                "the request is {} MiB with its images; OpenRouter accepts at most 50 MiB: use smaller images or http(s) URLs",
                bytes.len() / (1024 * 1024)
            ),
        ));
    }
    let ctx = call.ctx();
    let url = endpoint(ctx, "videos")?;
    let r = client::client(ctx)?
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(bytes);
    let resp = http::send(call, &API, to_api(ctx, r)?, "video submit", Endpoint::Model).await?;
    let v = http::read_json(call, resp, 1 << 20, "video submit").await?;
    let id = v
        .get("id")
        .and_then(|i| i.as_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| malformed("the submit answer has no job id"))?;
    let status = JobStatus::from(
        v.get("status")
            .and_then(|s| s.as_str())
            .unwrap_or("pending"),
    );
    let mut p = Progress::new(Stage::SUBMITTED);
    p.job_id = id.into();
    p.status = status.as_str().into();
    call.host().progress(&p);
    Ok(VideoJob {
        id: id.to_string(),
        polling_url: v
            .get("polling_url")
            .and_then(|p| p.as_str())
            .unwrap_or("")
            .to_string(),
        status,
        model: req.model.clone(),
        unsigned_urls: urls_of(&v),
    })
}

fn urls_of(v: &Value) -> Vec<String> {
    v.get("unsigned_urls")
        .and_then(|u| u.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The URL to poll: the job's `polling_url` resolved against the base URL
/// if it is on the API's origin, else `<base>/videos/{id}`.
pub fn poll_url(call: &Call<'_>, job: &VideoJob) -> Result<Url, PluginError> {
    let ctx = call.ctx();
    let b = base(ctx)?;
    let fallback = endpoint(ctx, &format!("videos/{}", job.id))?;
    if job.polling_url.is_empty() {
        return Ok(fallback);
    }
    match b.join(&job.polling_url) {
        Ok(u) if same_origin(&u, &b) && matches!(u.scheme(), "http" | "https") => Ok(u),
        Ok(u) => {
            call.warn(&format!("note: the polling URL {u} is not on the API's origin; polling {fallback} instead (the key is only sent to the API)"));
            Ok(fallback)
        }
        Err(_) => Ok(fallback),
    }
}

/// One parsed status answer of a video job.
#[derive(Debug, Clone, PartialEq)]
pub struct Poll {
    /// The job's status.
    pub status: JobStatus,
    /// OpenRouter's `error`: a string, or an object's `message` (else its
    /// `code`, as text).
    pub error: Option<String>,
    /// `unsigned_urls`, the string entries only.
    pub urls: Vec<String>,
    /// `usage.cost`, when a finite number.
    pub cost: Option<f64>,
    /// `generation_id`.
    pub generation_id: Option<String>,
}
/// Why a status answer could not be used; each names the body's fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusError {
    /// The body is not JSON.
    NotJson,
    /// The body is JSON without a string `status`.
    NoStatus,
    /// `status` is not one of the documented states.
    UnknownStatus(String),
}

impl std::fmt::Display for StatusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusError::NotJson => f.write_str("the status answer is not JSON"),
            StatusError::NoStatus => f.write_str("the status answer has no status"),
            StatusError::UnknownStatus(s) => write!(f, "unknown job status {s:?}"),
        }
    }
}

impl std::error::Error for StatusError {}

/// The documented job states (and `dead`, which OpenRouter's own SDK treats as terminal).
pub const JOB_STATES: [&str; 7] = [
    "pending",
    "in_progress",
    "completed",
    "failed",
    "cancelled",
    "expired",
    "dead",
];

/// Parses the body of `GET /videos/{id}` (pure: no I/O, never panics).
pub fn parse_status(body: &[u8]) -> Result<Poll, StatusError> {
    let v = serde_json::from_slice::<Value>(body).map_err(|_| StatusError::NotJson)?;
    let status = v
        .get("status")
        .and_then(|s| s.as_str())
        .ok_or(StatusError::NoStatus)?;
    if !JOB_STATES.contains(&status) {
        return Err(StatusError::UnknownStatus(status.to_string()));
    }
    let error = match v.get("error") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => match (o.get("message"), o.get("code")) {
            (Some(Value::String(m)), _) => Some(m.clone()),
            (_, Some(Value::String(c))) => Some(c.clone()),
            (_, Some(Value::Number(n))) => Some(format!("code {n}")),
            _ => None,
        },
        _ => None,
    };
    Ok(Poll {
        status: JobStatus::from(status),
        error,
        urls: urls_of(&v),
        cost: v
            .get("usage")
            .and_then(|u| u.get("cost"))
            .and_then(|c| c.as_f64())
            .filter(|c| c.is_finite()),
        generation_id: v
            .get("generation_id")
            .and_then(|g| g.as_str())
            .map(str::to_string),
    })
}

enum PollOutcome {
    Ok(Poll),
    Transient(PluginError),
    Malformed(String),
}

async fn poll_once(call: &Call<'_>, url: &Url) -> Result<PollOutcome, PluginError> {
    let ctx = call.ctx();
    let r = to_api(ctx, client::client(ctx)?.get(url.clone()))?;
    let resp = match http::send(call, &API, r, "video poll", Endpoint::Job).await {
        Ok(r) => r,
        Err(e) if e.kind.is_transient() => return Ok(PollOutcome::Transient(e)),
        Err(e) => return Err(e),
    };
    let body = match http::read_capped(resp, 4 << 20, "video poll").await {
        Ok(b) => b,
        Err(e) => return Ok(PollOutcome::Transient(e)),
    };
    http::log_body(call, "video poll answer body", &body);
    Ok(match parse_status(&body) {
        Ok(p) => PollOutcome::Ok(p),
        Err(e) => PollOutcome::Malformed(e.to_string()),
    })
}

fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|t| t.subsec_nanos())
        .unwrap_or(0);
    let frac = 0.9 + (nanos % 200) as f64 / 1000.0; // 0.9 .. 1.1
    d.mul_f64(frac)
}

fn terminal_error(job: &VideoJob, p: &Poll) -> PluginError {
    let text = p
        .error
        .clone()
        .unwrap_or_else(|| "(OpenRouter gave no reason)".into());
    PluginError::new(
        ErrorKind::JOB_FAILED,
        format!("video job {} {}: {text}", job.id, p.status),
    )
    .with_provider_code(p.status.as_str())
    .with_job_id(job.id.as_str())
}

/// Polls once (for `video status`).
pub async fn status_once(job: &VideoJob, call: &Call<'_>) -> Result<VideoJobState, PluginError> {
    let url = poll_url(call, job)?;
    match poll_once(call, &url).await? {
        PollOutcome::Ok(p) => Ok(VideoJobState {
            outputs: p.urls.len() as u32,
            status: p.status,
            error: p.error,
            cost: p.cost,
        }),
        PollOutcome::Transient(e) => Err(e),
        PollOutcome::Malformed(m) => Err(malformed(&m)),
    }
}

/// Counts consecutive failures of each kind while polling.
struct Budget {
    polls: u32,
    transient: u32,
    bad: u32,
}

/// Polls until the job completes (returning its last answer) or ends.
async fn poll_until_done(
    call: &Call<'_>,
    job: &VideoJob,
    b: &mut Budget,
) -> Result<Poll, PluginError> {
    let started = Instant::now();
    let url = poll_url(call, job)?;
    let mut interval = Duration::from_millis(call.ctx().poll_interval_ms.clamp(10, 30_000));
    loop {
        match poll_once(call, &url).await? {
            PollOutcome::Ok(p) => {
                b.polls += 1;
                b.transient = 0;
                b.bad = 0;
                let mut ev = Progress::new(Stage::POLLING);
                ev.job_id = job.id.as_str().into();
                ev.status = p.status.as_str().into();
                ev.poll_count = b.polls;
                ev.elapsed_ms = started.elapsed().as_millis() as u64;
                call.host().progress(&ev);
                if p.status == JobStatus::Completed {
                    return Ok(p);
                }
                if p.status.is_failure() {
                    return Err(terminal_error(job, &p));
                }
                tokio::time::sleep(jitter(interval)).await;
                interval = interval.mul_f64(1.5).min(MAX_POLL_INTERVAL);
            }
            PollOutcome::Transient(e) => {
                b.transient += 1;
                if b.transient > TRANSIENT_BUDGET {
                    return Err(PluginError::new(
                        e.kind,
                        format!(
                            "polling job {} failed {} times in a row; last: {}",
                            job.id, b.transient, e.message
                        ),
                    )
                    .with_job_id(job.id.as_str()));
                }
                let wait = e.retry_after_ms.into_option().map_or_else(
                    || {
                        interval
                            .mul_f64(1.5f64.powi(b.transient as i32))
                            .min(MAX_POLL_INTERVAL)
                    },
                    Duration::from_millis,
                );
                let note = format!(
                    "{} (poll retry {}/{TRANSIENT_BUDGET})",
                    e.message, b.transient
                );
                retry_note(call, &note);
                tokio::time::sleep(wait).await;
            }
            PollOutcome::Malformed(m) => {
                b.bad += 1;
                if b.bad > MALFORMED_BUDGET {
                    return Err(malformed(&format!("{m} ({} times in a row)", b.bad))
                        .with_job_id(job.id.as_str()));
                }
                retry_note(call, &format!("{m}; polling again"));
                tokio::time::sleep(jitter(interval)).await;
            }
        }
    }
}

/// Downloads output `i`: its unsigned URL first (when it has one), then the
/// job's content endpoint.
async fn download_output(
    call: &Call<'_>,
    job: &VideoJob,
    url: Option<&str>,
    i: u32,
) -> Result<(), PluginError> {
    let ctx = call.ctx();
    let content = endpoint(ctx, &format!("videos/{}/content?index={i}", job.id))?;
    let first = url
        .and_then(|u| base(ctx).ok()?.join(u).ok())
        .filter(|u| u != &content);
    let mut result = Err(PluginError::new(ErrorKind::UPSTREAM, "no download route"));
    for route in first.iter().chain(std::iter::once(&content)) {
        result = download(call, route, i, "video").await;
        match &result {
            Ok(()) => break,
            Err(e)
                if e.kind == ErrorKind::CANCELLED
                    || e.status.is_none() && !e.kind.is_transient() =>
            {
                break
            }
            Err(e) if route != &content => retry_note(
                call,
                &format!("{}; trying the job content endpoint", e.message),
            ),
            Err(_) => {}
        }
    }
    result.map_err(|e| e.with_job_id(job.id.as_str()))
}

/// Polls until the job ends, then downloads every output to the sink; an
/// error names the job, so it can be resumed.
pub async fn wait(job: &VideoJob, call: &Call<'_>) -> Result<VideoResponse, PluginError> {
    wait_inner(job, call).await.map_err(|e| {
        if e.job_id.is_none() {
            e.with_job_id(job.id.as_str())
        } else {
            e
        }
    })
}

async fn wait_inner(job: &VideoJob, call: &Call<'_>) -> Result<VideoResponse, PluginError> {
    let mut budget = Budget {
        polls: 0,
        transient: 0,
        bad: 0,
    };
    let state = if job.status == JobStatus::Completed && !job.unsigned_urls.is_empty() {
        Poll {
            status: JobStatus::Completed,
            error: None,
            urls: job.unsigned_urls.clone(),
            cost: None,
            generation_id: None,
        }
    } else {
        poll_until_done(call, job, &mut budget).await?
    };
    let outputs = if state.urls.is_empty() {
        probe_outputs(call, job).await?
    } else {
        for (i, u) in state.urls.iter().enumerate() {
            download_output(call, job, Some(u), i as u32).await?;
        }
        state.urls.len() as u32
    };
    Ok(VideoResponse {
        job_id: job.id.clone(),
        status: JobStatus::Completed,
        outputs,
        generation_id: state.generation_id,
        cost: state.cost,
        polls: budget.polls,
    })
}

/// A completed job that lists no URLs: downloads the content endpoint's
/// index 0, 1, ... until an index the job does not have (404 or 400).
async fn probe_outputs(call: &Call<'_>, job: &VideoJob) -> Result<u32, PluginError> {
    download_output(call, job, None, 0).await?;
    for i in 1..MAX_PROBED_OUTPUTS {
        match download_output(call, job, None, i).await {
            Ok(()) => {}
            Err(e) if matches!(e.status.into_option(), Some(400 | 404)) => return Ok(i),
            Err(e) => return Err(e),
        }
    }
    Ok(MAX_PROBED_OUTPUTS)
}

fn retry_note(call: &Call<'_>, msg: &str) {
    let mut p = Progress::new(Stage::RETRYING);
    p.message = msg.into();
    call.host().progress(&p);
}

fn acceptable_media_type(ct: &str, kind: &str) -> bool {
    ct.starts_with(&format!("{kind}/"))
        || ct == "application/octet-stream"
        || ct == "binary/octet-stream"
        || ct.is_empty()
}

/// Downloads `url` into sink output `index`, retrying transient failures;
/// `kind` is `video` or `image` (for the media type check).
pub async fn download(
    call: &Call<'_>,
    url: &Url,
    index: u32,
    kind: &str,
) -> Result<(), PluginError> {
    let ctx = call.ctx();
    let own = same_origin(url, &base(ctx)?);
    if !own {
        check_foreign_url(ctx, url).await?;
    }
    let mut last = PluginError::new(ErrorKind::UPSTREAM, "download not attempted");
    for attempt in 1..=DOWNLOAD_ATTEMPTS {
        match download_once(call, url, index, kind, own).await {
            Ok(()) => return Ok(()),
            Err(e) if e.kind.is_transient() && attempt < DOWNLOAD_ATTEMPTS => {
                retry_note(call, &format!("{} (download retry {attempt})", e.message));
                let wait = e
                    .retry_after_ms
                    .into_option()
                    .unwrap_or(500 * u64::from(attempt))
                    .min(30_000);
                tokio::time::sleep(Duration::from_millis(wait)).await;
                last = e;
            }
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

fn refused(url: &Url, kind: &str, why: &str) -> PluginError {
    PluginError::new(
        ErrorKind::UPSTREAM,
        format!("the {kind} download from {url} {why}, not a {kind}"),
    )
}

/// First bytes of an HTML or JSON error page, never of a video.
const DOCUMENT_OPENERS: &[u8] = b"{<";

async fn download_once(
    call: &Call<'_>,
    url: &Url,
    index: u32,
    kind: &str,
    own: bool,
) -> Result<(), PluginError> {
    let ctx = call.ctx();
    let mut req = client::client(ctx)?.get(url.clone());
    if own {
        req = to_api(ctx, req)?;
    }
    let what = format!("{kind} download");
    let mut resp = http::send(call, &API, req, &what, Endpoint::Job).await?;
    let ct = http::content_type(&resp);
    if !acceptable_media_type(&ct, kind) {
        let body = http::read_capped(resp, 4096, &what)
            .await
            .unwrap_or_default();
        if let Some(err) = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("error").cloned())
        {
            return Err(API.classify_inline(&err));
        }
        return Err(refused(
            url,
            kind,
            &format!("answered 200 with Content-Type {ct:?}, which is"),
        ));
    }
    let declared = resp.content_length();
    if declared == Some(0) {
        return Err(refused(url, kind, "is empty (0 bytes)"));
    }
    let host = call.host();
    host.open_output(index, ct.as_str().into(), declared.into())
        .into_result()?;
    let mut meter = Meter::new("");
    let mut got: u64 = 0;
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| http::transport_error(&e, &format!("{what} ({got} bytes received)")))?
    {
        if got == 0 {
            let first = chunk.iter().find(|b| !b.is_ascii_whitespace());
            if first.is_some_and(|b| DOCUMENT_OPENERS.contains(b)) {
                return Err(refused(url, kind, "is an HTML/JSON document"));
            }
        }
        got += chunk.len() as u64;
        host.write_output(index, chunk.as_ref().into())
            .into_result()?;
        meter.report(host, index, got, declared, false);
    }
    if let Some(len) = declared.filter(|&len| got < len) {
        return Err(PluginError::new(
            ErrorKind::NETWORK,
            format!("the {kind} download was truncated: {got} of {len} bytes"),
        ));
    }
    if got == 0 {
        return Err(refused(url, kind, "is empty (0 bytes)"));
    }
    meter.report(host, index, got, declared, true);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_bodies_parse_to_typed_values() {
        let p = parse_status(br#"{"id":"j","status":"completed","unsigned_urls":["u1",7,"u2"],"usage":{"cost":0.5},"generation_id":"g"}"#).unwrap();
        assert_eq!(p.status, JobStatus::Completed);
        assert_eq!(p.urls, vec!["u1", "u2"]);
        assert_eq!(p.cost, Some(0.5));
        assert_eq!(p.generation_id.as_deref(), Some("g"));
        let p = parse_status(br#"{"status":"failed","error":"boom"}"#).unwrap();
        assert_eq!(p.error.as_deref(), Some("boom"));
    }

    #[test]
    fn error_objects_give_their_message_or_their_code() {
        for (body, want) in [
            (
                r#"{"status":"failed","error":{"message":"m","code":500}}"#,
                Some("m"),
            ),
            (
                r#"{"status":"failed","error":{"code":"quota"}}"#,
                Some("quota"),
            ),
            (
                r#"{"status":"failed","error":{"code":429}}"#,
                Some("code 429"),
            ),
            (r#"{"status":"failed","error":{}}"#, None),
            (r#"{"status":"failed","error":null}"#, None),
        ] {
            assert_eq!(
                parse_status(body.as_bytes()).unwrap().error.as_deref(),
                want,
                "{body}"
            );
        }
    }

    #[test]
    fn bad_bodies_name_their_fault() {
        assert_eq!(parse_status(b"<html>"), Err(StatusError::NotJson));
        assert_eq!(parse_status(b""), Err(StatusError::NotJson));
        assert_eq!(parse_status(b"[1,2]"), Err(StatusError::NoStatus));
        assert_eq!(parse_status(br#"{"status":3}"#), Err(StatusError::NoStatus));
        assert_eq!(
            parse_status(br#"{"status":"queued"}"#),
            Err(StatusError::UnknownStatus("queued".into()))
        );
        assert!(StatusError::UnknownStatus("queued".into())
            .to_string()
            .contains("\"queued\""));
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(
                    |f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
                ),
                "\\PC{0,12}".prop_map(Value::from),
            ];
            leaf.prop_recursive(3, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::btree_map(
                        prop::sample::select(vec![
                            "status",
                            "error",
                            "message",
                            "code",
                            "unsigned_urls",
                            "usage",
                            "cost",
                            "generation_id",
                            "x"
                        ])
                        .prop_map(str::to_string),
                        inner,
                        0..5
                    )
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(32))]

            /// Arbitrary bytes: a status among the documented ones, or a typed error.
            #[test]
            fn any_bytes_give_a_known_state_or_a_typed_error(body in prop::collection::vec(any::<u8>(), 0..64)) {
                match parse_status(&body) {
                    Ok(p) => prop_assert!(JOB_STATES.contains(&p.status.as_str())),
                    Err(e) => prop_assert!(!e.to_string().is_empty()),
                }
            }

            /// Arbitrary JSON shaped like a status answer (with `error.code` a
            /// number, a string or absent): never a panic, and the result
            /// agrees with the `status` field.
            #[test]
            fn status_like_json_agrees_with_its_status_field(v in json_value(), status in prop::sample::select(vec!["pending", "completed", "failed", "queued", ""])) {
                let mut v = v;
                if let Value::Object(o) = &mut v {
                    o.insert("status".into(), Value::from(status));
                }
                let r = parse_status(v.to_string().as_bytes());
                match (&v, r) {
                    (Value::Object(_), Ok(p)) => {
                        prop_assert_eq!(p.status.as_str(), status);
                        prop_assert!(p.cost.is_none_or(f64::is_finite));
                    }
                    (Value::Object(_), Err(e)) => prop_assert_eq!(e, StatusError::UnknownStatus(status.to_string())),
                    (_, r) => prop_assert_eq!(r, Err(StatusError::NoStatus)),
                }
            }
        }
    }
}

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
- `failed`, `cancelled`, `expired` end the job with OpenRouter's `error`
  text verbatim (kind `job_failed`).
- Downloads stream to the host's sink (memory flat whatever the size): a
  200 that is JSON, HTML or empty, a non-video `Content-Type`, or a body
  shorter than `Content-Length` is refused and retried; a foreign-origin
  URL is fetched without credentials (and refused toward private addresses
  when the API is a public https host); the content endpoint is the
  fallback.
*/

use crate::api_model;
use crate::client::{
    self, api_headers, base, check_foreign_url, endpoint, log_request, same_origin, send,
    transport_error,
};
use crate::errors::{self, Endpoint};
use reqwest::Url;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use switchyard_plugin_api::*;

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

fn malformed(what: &str) -> PluginError {
    PluginError::new(
        ErrorKind::UPSTREAM,
        format!("OpenRouter sent a malformed video answer: {what}"),
    )
}

/// Writes a whole buffer to sink output `index`.
pub fn write_bytes(
    host: &HostRef<'_>,
    index: u32,
    mime: &str,
    bytes: &[u8],
) -> Result<(), PluginError> {
    host.open_output(index, mime.into(), ROption::RSome(bytes.len() as u64))
        .into_result()?;
    for c in bytes.chunks(64 * 1024) {
        host.write_output(index, c.into()).into_result()?;
    }
    Ok(())
}

/// Submits a job.
pub async fn submit(
    req: &VideoRequest,
    ctx: &CallContext,
    host: &HostRef<'_>,
) -> Result<VideoJob, PluginError> {
    let mut body = json!({"model": api_model(&req.model), "prompt": req.prompt.as_str()});
    if let ROption::RSome(d) = req.duration {
        body["duration"] = json!(d);
    }
    if let ROption::RSome(r) = &req.resolution {
        body["resolution"] = json!(r.as_str());
    }
    if let ROption::RSome(a) = &req.aspect_ratio {
        body["aspect_ratio"] = json!(a.as_str());
    }
    if !req.frame_images.is_empty() {
        body["frame_images"] = Value::Array(
            req.frame_images
                .iter()
                .map(|f| json!({"type": "image_url", "image_url": {"url": f.url.as_str()}, "frame_type": f.frame_type.as_str()}))
                .collect(),
        );
    }
    if !req.references.is_empty() {
        body["input_references"] = Value::Array(
            req.references
                .iter()
                .map(|u| json!({"type": "image_url", "image_url": {"url": u.as_str()}}))
                .collect(),
        );
    }
    let bytes = serde_json::to_vec(&body)
        .map_err(|e| PluginError::new(ErrorKind::INTERNAL, e.to_string()))?;
    if bytes.len() > MAX_BODY {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            format!(
                "the request body is {} bytes; OpenRouter accepts at most 50 MiB",
                bytes.len()
            ),
        ));
    }
    let url = endpoint(ctx, "videos")?;
    let c = client::client(ctx)?;
    let r = c
        .post(url.clone())
        .headers(api_headers(ctx)?)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(bytes);
    let resp = send(host, r, "POST", &url, "video submit", Endpoint::Model).await?;
    let body = client::read_capped(resp, 1 << 20)
        .await
        .map_err(|e| transport_error(&e, "video submit"))?;
    let v: Value =
        serde_json::from_slice(&body).map_err(|_| malformed("the submit answer is not JSON"))?;
    let id = v
        .get("id")
        .and_then(|i| i.as_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| malformed("the submit answer has no job id"))?;
    let polling = v
        .get("polling_url")
        .and_then(|p| p.as_str())
        .unwrap_or("")
        .to_string();
    let status = v
        .get("status")
        .and_then(|s| s.as_str())
        .unwrap_or("pending")
        .to_string();
    let mut p = Progress::new(Stage::SUBMITTED);
    p.job_id = id.into();
    p.status = status.as_str().into();
    host.progress(&p);
    Ok(VideoJob {
        id: id.into(),
        polling_url: polling.into(),
        status: status.into(),
        model: req.model.clone(),
        unsigned_urls: urls_of(&v).into_iter().map(RString::from).collect(),
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
pub fn poll_url(ctx: &CallContext, host: &HostRef<'_>, job: &VideoJob) -> Result<Url, PluginError> {
    let b = base(ctx)?;
    let fallback = endpoint(ctx, &format!("videos/{}", job.id))?;
    if job.polling_url.is_empty() {
        return Ok(fallback);
    }
    match b.join(job.polling_url.as_str()) {
        Ok(u) if same_origin(&u, &b) && matches!(u.scheme(), "http" | "https") => Ok(u),
        Ok(u) => {
            host.log(
                LogLevel::WARN,
                format!("note: the polling URL {u} is not on the API's origin; polling {fallback} instead (the key is only sent to the API)").as_str().into(),
            );
            Ok(fallback)
        }
        Err(_) => Ok(fallback),
    }
}

/// One parsed status answer of a video job.
#[derive(Debug, Clone, PartialEq)]
pub struct Poll {
    /// `pending`, `in_progress`, `completed`, `failed`, `cancelled`,
    /// `expired` or `dead`.
    pub status: String,
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

/// The documented job states.
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
        status: status.to_string(),
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

async fn poll_once(
    ctx: &CallContext,
    host: &HostRef<'_>,
    url: &Url,
) -> Result<PollOutcome, PluginError> {
    let c = client::client(ctx)?;
    let r = c.get(url.clone()).headers(api_headers(ctx)?);
    let resp = match send(host, r, "GET", url, "video poll", Endpoint::Job).await {
        Ok(r) => r,
        Err(e) if e.kind.is_transient() => return Ok(PollOutcome::Transient(e)),
        Err(e) => return Err(e),
    };
    let body = match client::read_capped(resp, 4 << 20).await {
        Ok(b) => b,
        Err(e) => return Ok(PollOutcome::Transient(transport_error(&e, "video poll"))),
    };
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
    .with_provider_code(p.status.clone())
    .with_job_id(job.id.as_str())
}

/// Polls once (for `video status`).
pub async fn status_once(
    job: &VideoJob,
    ctx: &CallContext,
    host: &HostRef<'_>,
) -> Result<VideoJobState, PluginError> {
    let url = poll_url(ctx, host, job)?;
    match poll_once(ctx, host, &url).await? {
        PollOutcome::Ok(p) => Ok(VideoJobState {
            status: p.status.as_str().into(),
            error: p
                .error
                .map(RString::from)
                .map_or(ROption::RNone, ROption::RSome),
            outputs: p.urls.len() as u32,
            cost: p.cost.map_or(ROption::RNone, ROption::RSome),
        }),
        PollOutcome::Transient(e) => Err(e),
        PollOutcome::Malformed(m) => Err(malformed(&m)),
    }
}

/// Polls until the job ends, then downloads every output to the sink.
pub async fn wait(
    job: &VideoJob,
    ctx: &CallContext,
    host: &HostRef<'_>,
) -> Result<VideoResponse, PluginError> {
    let started = Instant::now();
    let url = poll_url(ctx, host, job)?;
    let mut interval = Duration::from_millis(ctx.poll_interval_ms.clamp(10, 30_000));
    let mut polls = 0u32;
    let mut transient = 0u32;
    let mut bad = 0u32;
    let mut state = Poll {
        status: job.status.to_string(),
        error: None,
        urls: job.unsigned_urls.iter().map(|u| u.to_string()).collect(),
        cost: None,
        generation_id: None,
    };
    let skip_polling = state.status == "completed" && !state.urls.is_empty();
    if !skip_polling {
        loop {
            match poll_once(ctx, host, &url).await? {
                PollOutcome::Ok(p) => {
                    polls += 1;
                    transient = 0;
                    bad = 0;
                    state = p;
                    let mut ev = Progress::new(Stage::POLLING);
                    ev.job_id = job.id.clone();
                    ev.status = state.status.as_str().into();
                    ev.poll_count = polls;
                    ev.elapsed_ms = started.elapsed().as_millis() as u64;
                    host.progress(&ev);
                    match state.status.as_str() {
                        "completed" => break,
                        "failed" | "cancelled" | "expired" | "dead" => {
                            return Err(terminal_error(job, &state))
                        }
                        _ => {}
                    }
                    tokio::time::sleep(jitter(interval)).await;
                    interval = interval.mul_f64(1.5).min(MAX_POLL_INTERVAL);
                }
                PollOutcome::Transient(e) => {
                    transient += 1;
                    if transient > TRANSIENT_BUDGET {
                        return Err(PluginError::new(
                            e.kind,
                            format!(
                                "polling job {} failed {transient} times in a row; last: {}",
                                job.id, e.message
                            ),
                        )
                        .with_job_id(job.id.as_str()));
                    }
                    let wait = e
                        .retry_after_ms
                        .into_option()
                        .map(Duration::from_millis)
                        .unwrap_or_else(|| {
                            interval
                                .mul_f64(1.5f64.powi(transient as i32))
                                .min(MAX_POLL_INTERVAL)
                        });
                    retry_note(
                        host,
                        &format!("{} (poll retry {transient}/{TRANSIENT_BUDGET})", e.message),
                    );
                    tokio::time::sleep(wait).await;
                }
                PollOutcome::Malformed(m) => {
                    bad += 1;
                    if bad > MALFORMED_BUDGET {
                        return Err(malformed(&format!("{m} ({bad} times in a row)"))
                            .with_job_id(job.id.as_str()));
                    }
                    retry_note(host, &format!("{m}; polling again"));
                    tokio::time::sleep(jitter(interval)).await;
                }
            }
        }
    }
    let count = state.urls.len().max(1) as u32;
    for i in 0..count {
        let content = endpoint(ctx, &format!("videos/{}/content?index={i}", job.id))?;
        let first = state
            .urls
            .get(i as usize)
            .and_then(|u| base(ctx).ok()?.join(u).ok())
            .filter(|u| u != &content);
        let mut result = Err(PluginError::new(ErrorKind::UPSTREAM, "no download route"));
        for route in first.iter().chain(std::iter::once(&content)) {
            result = download(ctx, host, route, i, "video").await;
            match &result {
                Ok(()) => break,
                Err(e)
                    if e.kind == ErrorKind::CANCELLED
                        || e.kind == ErrorKind::INVALID_REQUEST && e.status.is_none() =>
                {
                    break
                }
                Err(e) if route != &content => retry_note(
                    host,
                    &format!("{}; trying the job content endpoint", e.message),
                ),
                Err(_) => {}
            }
        }
        result.map_err(|e| e.with_job_id(job.id.as_str()))?;
    }
    Ok(VideoResponse {
        job_id: job.id.clone(),
        status: "completed".into(),
        outputs: count,
        generation_id: state
            .generation_id
            .map(RString::from)
            .map_or(ROption::RNone, ROption::RSome),
        cost: state.cost.map_or(ROption::RNone, ROption::RSome),
        polls,
    })
}

fn retry_note(host: &HostRef<'_>, msg: &str) {
    let mut p = Progress::new(Stage::RETRYING);
    p.message = msg.into();
    host.progress(&p);
}

fn acceptable_media_type(ct: &str, kind: &str) -> bool {
    let ct = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    ct.starts_with(&format!("{kind}/"))
        || ct == "application/octet-stream"
        || ct == "binary/octet-stream"
        || ct.is_empty()
}

/// Downloads `url` into sink output `index`, retrying transient failures;
/// `kind` is `video` or `image` (for the media type check).
pub async fn download(
    ctx: &CallContext,
    host: &HostRef<'_>,
    url: &Url,
    index: u32,
    kind: &str,
) -> Result<(), PluginError> {
    let b = base(ctx)?;
    let own = same_origin(url, &b);
    if !own {
        check_foreign_url(ctx, url).await?;
    }
    let mut last = PluginError::new(ErrorKind::UPSTREAM, "download not attempted");
    for attempt in 1..=DOWNLOAD_ATTEMPTS {
        match download_once(ctx, host, url, index, kind, own).await {
            Ok(()) => return Ok(()),
            Err(e) if e.kind.is_transient() && attempt < DOWNLOAD_ATTEMPTS => {
                retry_note(host, &format!("{} (download retry {attempt})", e.message));
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

async fn download_once(
    ctx: &CallContext,
    host: &HostRef<'_>,
    url: &Url,
    index: u32,
    kind: &str,
    own: bool,
) -> Result<(), PluginError> {
    let c = client::client(ctx)?;
    let mut req = c.get(url.clone());
    if own {
        req = req.headers(api_headers(ctx)?);
    }
    let what = format!("{kind} download");
    let mut resp = send(host, req, "GET", url, &what, Endpoint::Job).await?;
    let ct = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if !acceptable_media_type(&ct, kind) {
        let _ = log_request;
        let body = client::read_capped(resp, 4096).await.unwrap_or_default();
        let inner = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("error").cloned());
        if let Some(err) = inner {
            return Err(errors::classify_inline(&err));
        }
        return Err(PluginError::new(
            ErrorKind::UPSTREAM,
            format!("the {kind} download from {url} answered 200 with Content-Type {ct:?}, which is not a {kind}"),
        ));
    }
    let declared = resp.content_length();
    if declared == Some(0) {
        return Err(PluginError::new(
            ErrorKind::UPSTREAM,
            format!("the {kind} download from {url} is empty (0 bytes), not a {kind}"),
        ));
    }
    if let Some(len) = declared {
        if len > ctx.max_output_bytes {
            return Err(PluginError::new(
                ErrorKind::INVALID_REQUEST,
                format!("the {kind} is {len} bytes, over the size cap of {} bytes (agents.defaults.mediaMaxMb)", ctx.max_output_bytes),
            ));
        }
    }
    host.open_output(
        index,
        ct.as_str().into(),
        declared.map_or(ROption::RNone, ROption::RSome),
    )
    .into_result()?;
    let mut got: u64 = 0;
    let mut last_report = Instant::now();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if got == 0 {
                    let head = &chunk[..chunk.len().min(16)];
                    let t = head.iter().find(|b| !b.is_ascii_whitespace());
                    if matches!(t, Some(b'{') | Some(b'<')) {
                        return Err(PluginError::new(
                            ErrorKind::UPSTREAM,
                            format!("the {kind} download from {url} is an HTML/JSON document, not a {kind}"),
                        ));
                    }
                }
                got += chunk.len() as u64;
                host.write_output(index, chunk.as_ref().into())
                    .into_result()?;
                if last_report.elapsed() >= Duration::from_millis(200) {
                    last_report = Instant::now();
                    let mut p = Progress::new(Stage::DOWNLOADING);
                    p.index = index;
                    p.bytes = got;
                    p.total_bytes = declared.map_or(ROption::RNone, ROption::RSome);
                    host.progress(&p);
                }
            }
            Ok(None) => break,
            Err(e) => {
                return Err(transport_error(
                    &e,
                    &format!("{kind} download ({got} bytes received)"),
                ))
            }
        }
    }
    if let Some(len) = declared {
        if got < len {
            return Err(PluginError::new(
                ErrorKind::NETWORK,
                format!("the {kind} download was truncated: {got} of {len} bytes"),
            ));
        }
    }
    if got == 0 {
        return Err(PluginError::new(
            ErrorKind::UPSTREAM,
            format!("the {kind} download from {url} is empty (0 bytes), not a {kind}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_bodies_parse_to_typed_values() {
        let p = parse_status(br#"{"id":"j","status":"completed","unsigned_urls":["u1",7,"u2"],"usage":{"cost":0.5},"generation_id":"g"}"#).unwrap();
        assert_eq!(p.status, "completed");
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

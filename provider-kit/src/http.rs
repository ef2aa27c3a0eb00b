/*!
HTTP plumbing every provider needs, on reqwest (rustls):

- pooled clients, one per read timeout ([`client`]), reused across calls;
- URLs under the configured base URL ([`endpoint`]) and the Bearer key
  ([`bearer`]), which the caller sends to the base URL's origin only;
- [`send`]: one request, logged at `-v` as `METHOD URL -> STATUS (N ms)`
  (its body at `-vv`, truncated; the host redacts), a non-2xx answer
  classified into a typed error by the provider's [`Api`];
- capped body reads ([`read_capped`], [`read_json`]) so a hostile or broken
  server cannot make the plugin hold an unbounded answer in memory;
- transport failures as typed errors naming the URL ([`transport_error`]).
*/

use crate::errors::{Api, Endpoint};
use crate::provider::Call;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::{Client, Response, Url};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use switchyard_plugin_api::doc::Context;
use switchyard_plugin_api::{ErrorKind, PluginError, CODE_NOT_SENT};

/// How much of a request or answer body `-vv` shows.
pub const LOGGED_BODY_BYTES: usize = 2048;
/// The cap on an error answer's body.
pub const ERROR_BODY_CAP: usize = 64 * 1024;

static CLIENTS: OnceLock<Mutex<HashMap<(u64, &'static str), Client>>> = OnceLock::new();

/// The read timeout a call asks for: the provider setting `readTimeoutMs`,
/// else `default`; never under 100 ms.
pub fn read_timeout(ctx: &Context, default: Duration) -> Duration {
    serde_json::from_str::<Value>(&ctx.settings_json)
        .ok()
        .and_then(|v| v.get("readTimeoutMs").and_then(|x| x.as_u64()))
        .map_or(default, Duration::from_millis)
        .max(Duration::from_millis(100))
}

/// The shared client for `user_agent` and a read timeout. Redirects are
/// followed up to 5 times and only to http(s); reqwest drops the
/// `Authorization` header when a redirect changes host.
pub fn client(user_agent: &'static str, read_timeout: Duration) -> Result<Client, PluginError> {
    let key = (read_timeout.as_millis() as u64, user_agent);
    let map = CLIENTS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = map.get(&key) {
        return Ok(c.clone());
    }
    let c = Client::builder()
        .connect_timeout(Duration::from_secs(20))
        .read_timeout(read_timeout)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= 5 {
                return attempt.error("too many redirects");
            }
            if !matches!(attempt.url().scheme(), "http" | "https") {
                return attempt.error("redirect to a non-http(s) URL refused");
            }
            attempt.follow()
        }))
        .user_agent(user_agent)
        .build()
        .map_err(|e| {
            PluginError::new(
                ErrorKind::INTERNAL,
                format!("cannot build the HTTP client: {e}"),
            )
        })?;
    map.insert(key, c.clone());
    Ok(c)
}

/// The base URL, parsed; it must be http(s).
pub fn base(ctx: &Context) -> Result<Url, PluginError> {
    let s = ctx.base_url.trim().trim_end_matches('/');
    let u = Url::parse(&format!("{s}/")).map_err(|e| {
        PluginError::new(
            ErrorKind::INVALID_INPUT,
            format!("the base URL {s:?} is not a valid URL ({e})"),
        )
    })?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            format!("the base URL {s:?} must be an http(s) URL"),
        ));
    }
    Ok(u)
}

/// `<base URL>/<path>`.
pub fn endpoint(ctx: &Context, path: &str) -> Result<Url, PluginError> {
    base(ctx)?.join(path.trim_start_matches('/')).map_err(|e| {
        PluginError::new(
            ErrorKind::INTERNAL,
            format!("bad endpoint path {path:?}: {e}"),
        )
    })
}

/// Whether `a` and `b` have the same origin (scheme, host, port).
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// `Authorization: Bearer <key>` when a key is configured (marked sensitive).
pub fn bearer(ctx: &Context) -> Result<HeaderMap, PluginError> {
    let mut h = HeaderMap::new();
    if let Some(key) = &ctx.api_key {
        let mut v = HeaderValue::from_str(&format!("Bearer {}", key.trim())).map_err(|_| {
            PluginError::new(
                ErrorKind::AUTH,
                "the API key contains characters that cannot be sent in a header",
            )
        })?;
        v.set_sensitive(true);
        h.insert(AUTHORIZATION, v);
    }
    Ok(h)
}

/// Maps a transport failure to a typed error naming what failed and where.
pub fn transport_error(e: &reqwest::Error, what: &str) -> PluginError {
    let kind = if e.is_timeout() {
        ErrorKind::TIMEOUT
    } else {
        ErrorKind::NETWORK
    };
    let how = if e.is_connect() {
        "cannot connect"
    } else if e.is_timeout() {
        "the connection stalled or timed out"
    } else if e.is_body() || e.is_decode() {
        "the connection dropped while reading the answer"
    } else if e.is_redirect() {
        "bad redirect"
    } else {
        "request failed"
    };
    let mut msg = format!("{what}: {how}");
    if let Some(u) = e.url() {
        let mut u = u.clone();
        u.set_query(None);
        msg.push_str(&format!(" to {u}"));
    }
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut last = None;
    while let Some(s) = src {
        last = Some(s.to_string());
        src = s.source();
    }
    if let Some(d) = last {
        msg.push_str(&format!(" ({d})"));
    }
    let err = PluginError::new(kind, msg);
    if e.is_connect() {
        // No connection was made: the request never left the machine.
        return err.with_provider_code(CODE_NOT_SENT);
    }
    err
}

/// Logs a body at `-vv`: at most [`LOGGED_BODY_BYTES`], lossy UTF-8.
pub fn log_body(call: &Call<'_>, label: &str, body: &[u8]) {
    let shown = &body[..body.len().min(LOGGED_BODY_BYTES)];
    let more = if body.len() > shown.len() {
        format!(" ... ({} bytes in all)", body.len())
    } else {
        String::new()
    };
    call.debug(&format!(
        "{label}: {}{more}",
        String::from_utf8_lossy(shown)
    ));
}

fn log_line(call: &Call<'_>, method: &str, url: &Url, status: Option<u16>, started: Instant) {
    let ms = started.elapsed().as_millis();
    let line = match status {
        Some(s) => format!("{method} {url} -> {s} ({ms} ms)"),
        None => format!("{method} {url} -> no response ({ms} ms)"),
    };
    call.info(&line);
}

/// Sends a request built on `req`, logging it; a non-2xx answer becomes an
/// error classified by `api` for `endpoint`. `what` names the request in
/// messages ("chat completion").
pub async fn send(
    call: &Call<'_>,
    api: &Api,
    req: reqwest::RequestBuilder,
    what: &str,
    endpoint: Endpoint,
) -> Result<Response, PluginError> {
    let (client, request) = req.build_split();
    let request = request.map_err(|e| transport_error(&e, what))?;
    let method = request.method().to_string();
    let url = request.url().clone();
    if let Some(body) = request.body().and_then(|b| b.as_bytes()) {
        log_body(call, &format!("{method} {url} request body"), body);
    }
    let started = Instant::now();
    let resp = match client.execute(request).await {
        Ok(r) => r,
        Err(e) => {
            log_line(call, &method, &url, None, started);
            let mut err = transport_error(&e, what);
            if let Some(h) = (api.hint)(err.kind) {
                err.message = format!("{}. {h}", err.message).into();
            }
            return Err(err);
        }
    };
    let status = resp.status().as_u16();
    log_line(call, &method, &url, Some(status), started);
    if resp.status().is_success() {
        return Ok(resp);
    }
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = read_capped(resp, ERROR_BODY_CAP, what)
        .await
        .unwrap_or_default();
    log_body(call, &format!("{method} {url} answer body"), &body);
    Err(api.classify(status, &body, retry_after.as_deref(), endpoint))
}

/// Reads at most `cap` bytes of a body; a longer body is an `upstream` error.
pub async fn read_capped(
    mut resp: Response,
    cap: usize,
    what: &str,
) -> Result<Vec<u8>, PluginError> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(&e, what))? {
        if out.len() + chunk.len() > cap {
            return Err(PluginError::new(
                ErrorKind::UPSTREAM,
                format!("the {what} answer is larger than {cap} bytes; refusing to read it"),
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Reads a JSON answer of at most `cap` bytes (logged at `-vv`).
pub async fn read_json(
    call: &Call<'_>,
    resp: Response,
    cap: usize,
    what: &str,
) -> Result<Value, PluginError> {
    let body = read_capped(resp, cap, what).await?;
    log_body(call, &format!("{what} answer body"), &body);
    serde_json::from_slice(&body).map_err(|_| {
        PluginError::new(
            ErrorKind::UPSTREAM,
            format!("the {what} answer is malformed: it is not JSON"),
        )
    })
}

/// The answer's `Content-Type`, lowercased, without parameters.
pub fn content_type(resp: &Response) -> String {
    resp.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

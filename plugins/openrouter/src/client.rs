/*!
HTTP plumbing shared by every capability: the pooled clients, the headers
(Bearer auth; app attribution only for the real API), origin rules for the
key, URL safety checks for downloads, request logging through the host, and
mapping transport errors to typed errors.

The key is sent only to the base URL's origin. A download URL on another
origin is fetched with a client that never carries it; when the base URL is
a public https host, such a URL must be https and must not resolve to a
loopback, private or link-local address.
*/

use crate::errors;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::{Client, Response, Url};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use switchyard_plugin_api::{
    CallContext, ErrorKind, HostRef, KeyStatus, LogLevel, PluginError, ROption,
};

/// The real OpenRouter API; attribution headers are sent only here.
pub const OPENROUTER_BASE: &str = "https://openrouter.ai/api/v1";
/// `HTTP-Referer` sent to the real API.
pub const APP_URL: &str = "https://github.com/switchyard-dev/switchyard";
/// `X-OpenRouter-Title` sent to the real API.
pub const APP_TITLE: &str = "Switchyard";
/// `X-OpenRouter-Categories` sent to the real API.
pub const APP_CATEGORIES: &str = "cli-agent";

static CLIENTS: OnceLock<Mutex<HashMap<u64, Client>>> = OnceLock::new();

/// How long a read may stall before it counts as a network failure.
pub fn read_timeout(ctx: &CallContext) -> Duration {
    let ms = serde_json::from_str::<serde_json::Value>(&ctx.settings_json)
        .ok()
        .and_then(|v| v.get("readTimeoutMs").and_then(|x| x.as_u64()))
        .unwrap_or(60_000);
    Duration::from_millis(ms.max(100))
}

/// The shared client for a read timeout (clients are pooled and reused).
pub fn client(ctx: &CallContext) -> Result<Client, PluginError> {
    let rt = read_timeout(ctx);
    let key = rt.as_millis() as u64;
    let map = CLIENTS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = map.get(&key) {
        return Ok(c.clone());
    }
    let c = Client::builder()
        .connect_timeout(Duration::from_secs(20))
        .read_timeout(rt)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= 5 {
                return attempt.error("too many redirects");
            }
            if !matches!(attempt.url().scheme(), "http" | "https") {
                return attempt.error("redirect to a non-http(s) URL refused");
            }
            // reqwest drops Authorization when the host changes.
            attempt.follow()
        }))
        .user_agent(concat!("switchyard-openrouter/", env!("CARGO_PKG_VERSION")))
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

/// The parsed base URL.
pub fn base(ctx: &CallContext) -> Result<Url, PluginError> {
    let s = ctx.base_url.as_str().trim_end_matches('/');
    let u = Url::parse(&format!("{s}/")).map_err(|e| {
        PluginError::new(
            ErrorKind::INVALID_INPUT,
            format!("base URL {s:?} is not a valid URL: {e}"),
        )
    })?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            format!("base URL {s:?} must be http(s)"),
        ));
    }
    Ok(u)
}

/// `<base>/<path>`.
pub fn endpoint(ctx: &CallContext, path: &str) -> Result<Url, PluginError> {
    base(ctx)?
        .join(path.trim_start_matches('/'))
        .map_err(|e| PluginError::new(ErrorKind::INTERNAL, format!("bad endpoint {path}: {e}")))
}

/// Whether `a` and `b` have the same origin (scheme, host, port).
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Whether this base URL is the real OpenRouter API.
pub fn is_real_openrouter(ctx: &CallContext) -> bool {
    ctx.base_url.as_str().trim_end_matches('/') == OPENROUTER_BASE
}

/// Headers for a request to the API's own origin: Bearer auth and, for the
/// real API only, the app-attribution headers.
pub fn api_headers(ctx: &CallContext) -> Result<HeaderMap, PluginError> {
    let mut h = HeaderMap::new();
    if let ROption::RSome(key) = &ctx.api_key {
        let mut v =
            HeaderValue::from_str(&format!("Bearer {}", key.as_str().trim())).map_err(|_| {
                PluginError::new(
                    ErrorKind::AUTH,
                    "the API key contains characters that cannot be sent in a header",
                )
            })?;
        v.set_sensitive(true);
        h.insert(AUTHORIZATION, v);
    }
    if is_real_openrouter(ctx) {
        h.insert("HTTP-Referer", HeaderValue::from_static(APP_URL));
        h.insert("X-OpenRouter-Title", HeaderValue::from_static(APP_TITLE));
        h.insert(
            "X-OpenRouter-Categories",
            HeaderValue::from_static(APP_CATEGORIES),
        );
    }
    Ok(h)
}

/// Logs a request line at `-v` through the host (which redacts).
pub fn log_request(host: &HostRef<'_>, method: &str, url: &Url, status: Option<u16>) {
    let what = match status {
        Some(s) => format!("{method} {url} -> {s}"),
        None => format!("{method} {url} -> (no response)"),
    };
    host.log(LogLevel::INFO, what.as_str().into());
}

/// Maps a transport error to a typed error.
pub fn transport_error(e: &reqwest::Error, what: &str) -> PluginError {
    let kind = if e.is_timeout() {
        ErrorKind::TIMEOUT
    } else {
        ErrorKind::NETWORK
    };
    let mut msg = format!("{what}: ");
    if e.is_connect() {
        msg.push_str("cannot connect");
    } else if e.is_timeout() {
        msg.push_str("the connection stalled or timed out");
    } else if e.is_body() || e.is_decode() {
        msg.push_str("the connection dropped while reading the answer");
    } else if e.is_redirect() {
        msg.push_str("bad redirect");
    } else {
        msg.push_str("request failed");
    }
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut detail = Vec::new();
    while let Some(s) = src {
        detail.push(s.to_string());
        src = s.source();
    }
    if let Some(d) = detail.last() {
        msg.push_str(&format!(" ({d})"));
    }
    PluginError::new(kind, msg)
}

/// Sends a request, logging it; a non-2xx answer becomes a typed error.
pub async fn send(
    host: &HostRef<'_>,
    req: reqwest::RequestBuilder,
    method: &str,
    url: &Url,
    what: &str,
    endpoint_kind: errors::Endpoint,
) -> Result<Response, PluginError> {
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            log_request(host, method, url, None);
            return Err(transport_error(&e, what));
        }
    };
    let status = resp.status().as_u16();
    log_request(host, method, url, Some(status));
    if resp.status().is_success() {
        return Ok(resp);
    }
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = read_capped(resp, 64 * 1024).await.unwrap_or_default();
    Err(errors::classify(
        status,
        &body,
        retry_after.as_deref(),
        endpoint_kind,
    ))
}

/// Reads at most `cap` bytes of a body.
pub async fn read_capped(mut resp: Response, cap: usize) -> Result<Vec<u8>, reqwest::Error> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = cap.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= cap {
            break;
        }
    }
    Ok(out)
}

/// Whether an address is loopback, private, link-local or otherwise not public.
pub fn is_non_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            v.is_loopback()
                || v.is_private()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_broadcast()
                || v.octets()[0] == 100 && (v.octets()[1] & 0xC0) == 64 // CGNAT 100.64/10
        }
        IpAddr::V6(v) => {
            v.is_loopback()
                || v.is_unspecified()
                || (v.segments()[0] & 0xfe00) == 0xfc00 // unique local
                || (v.segments()[0] & 0xffc0) == 0xfe80 // link local
                || v.to_ipv4_mapped().is_some_and(|m| is_non_public(IpAddr::V4(m)))
        }
    }
}

/// Checks that a download URL on a foreign origin may be fetched: http(s)
/// only; when the base URL is a public https host, https only and no
/// loopback/private destination.
pub async fn check_foreign_url(ctx: &CallContext, url: &Url) -> Result<(), PluginError> {
    let refuse = |why: String| {
        PluginError::new(
            ErrorKind::UPSTREAM,
            format!("refusing to download {url}: {why}"),
        )
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refuse("only http(s) URLs are followed".into()));
    }
    let b = base(ctx)?;
    let base_public = b.scheme() == "https" && !host_is_local(&b).await;
    if !base_public {
        return Ok(());
    }
    if url.scheme() != "https" {
        return Err(refuse("plain http download URL from an https API".into()));
    }
    if host_is_local(url).await {
        return Err(refuse(
            "it points to a loopback or private network address".into(),
        ));
    }
    Ok(())
}

async fn host_is_local(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return true;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.ends_with(".localhost") {
        return true;
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return is_non_public(ip);
    }
    let port = url.port_or_known_default().unwrap_or(443);
    match tokio::net::lookup_host((host, port)).await {
        Ok(addrs) => addrs.into_iter().any(|a| is_non_public(a.ip())),
        Err(_) => false,
    }
}

/// `GET /key`: the key's label and remaining limit.
pub async fn check_key(ctx: &CallContext, host: &HostRef<'_>) -> Result<KeyStatus, PluginError> {
    let url = endpoint(ctx, "key")?;
    let c = client(ctx)?;
    let resp = send(
        host,
        c.get(url.clone()).headers(api_headers(ctx)?),
        "GET",
        &url,
        "key check",
        errors::Endpoint::Other,
    )
    .await?;
    let body = read_capped(resp, 1 << 20)
        .await
        .map_err(|e| transport_error(&e, "key check"))?;
    let v: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| PluginError::new(ErrorKind::UPSTREAM, "the key check answer is not JSON"))?;
    let d = v.get("data").unwrap_or(&serde_json::Value::Null);
    let f = |k: &str| {
        d.get(k)
            .and_then(|x| x.as_f64())
            .map_or(ROption::RNone, ROption::RSome)
    };
    Ok(KeyStatus {
        label: d.get("label").and_then(|x| x.as_str()).unwrap_or("").into(),
        limit: f("limit"),
        limit_remaining: f("limit_remaining"),
        usage: f("usage"),
        is_free_tier: d
            .get("is_free_tier")
            .and_then(|x| x.as_bool())
            .unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_loopback_addresses_are_non_public() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.1.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "100.64.0.1",
        ] {
            assert!(is_non_public(a.parse().unwrap()), "{a}");
        }
        for a in ["8.8.8.8", "1.1.1.1", "2606:4700::1111"] {
            assert!(!is_non_public(a.parse().unwrap()), "{a}");
        }
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let a = Url::parse("https://openrouter.ai/api/v1/").unwrap();
        assert!(same_origin(
            &a,
            &Url::parse("https://openrouter.ai:443/x").unwrap()
        ));
        assert!(!same_origin(
            &a,
            &Url::parse("http://openrouter.ai/x").unwrap()
        ));
        assert!(!same_origin(
            &a,
            &Url::parse("https://cdn.example/x").unwrap()
        ));
    }
}

/*!
HTTP plumbing shared by every capability: one pooled client, endpoint URLs
under the configured base URL, the optional Bearer key, request logging
through the host (which redacts), transport errors mapped to typed errors,
and non-2xx answers classified by [`crate::errors`].

The key, when one is configured, goes only to the base URL; an image URL a
server returns instead of inline data is fetched without it.
*/

use crate::errors::{self, Endpoint};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::{Client, Response, Url};
use std::sync::OnceLock;
use std::time::Duration;
use switchyard_plugin_api::{CallContext, ErrorKind, HostRef, LogLevel, PluginError, ROption};

static CLIENT: OnceLock<Result<Client, String>> = OnceLock::new();

/// The shared client (connections are pooled across calls). Reads that stall
/// for 5 minutes fail: local servers can take long before the first token.
pub fn client() -> Result<Client, PluginError> {
    CLIENT
        .get_or_init(|| {
            Client::builder()
                .connect_timeout(Duration::from_secs(20))
                .read_timeout(Duration::from_secs(300))
                .redirect(reqwest::redirect::Policy::limited(5))
                .user_agent(concat!(
                    "switchyard-openai-compatible/",
                    env!("CARGO_PKG_VERSION")
                ))
                .build()
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| {
            PluginError::new(
                ErrorKind::INTERNAL,
                format!("cannot build the HTTP client: {e}"),
            )
        })
}

/// `<base URL>/<path>`, e.g. `http://127.0.0.1:11434/v1/chat/completions`.
pub fn endpoint(ctx: &CallContext, path: &str) -> Result<Url, PluginError> {
    let base = ctx.base_url.as_str().trim().trim_end_matches('/');
    let bad = |why: String| {
        PluginError::new(
            ErrorKind::INVALID_INPUT,
            format!("base URL {base:?} {why}; set models.providers.openai-compatible.baseUrl, e.g. \"http://127.0.0.1:11434/v1\""),
        )
    };
    let url = Url::parse(&format!("{base}/{path}"))
        .map_err(|e| bad(format!("is not a valid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must be an http(s) URL".into()));
    }
    Ok(url)
}

/// Headers for a request to the base URL: the Bearer key, when configured.
pub fn auth_headers(ctx: &CallContext) -> Result<HeaderMap, PluginError> {
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
    Ok(h)
}

/// Maps a transport error to a typed error (`what` names the request).
pub fn transport_error(e: &reqwest::Error, what: &str) -> PluginError {
    let kind = if e.is_timeout() {
        ErrorKind::TIMEOUT
    } else {
        ErrorKind::NETWORK
    };
    let mut msg = format!("{what}: ");
    if e.is_connect() {
        msg.push_str("cannot connect to the server (is it running? check models.providers.openai-compatible.baseUrl)");
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
    let mut last = None;
    while let Some(s) = src {
        last = Some(s.to_string());
        src = s.source();
    }
    if let Some(d) = last {
        msg.push_str(&format!(" ({d})"));
    }
    PluginError::new(kind, msg)
}

/// Sends `req`, logging it at `-v`; a non-2xx answer becomes a typed error.
pub async fn send(
    host: &HostRef<'_>,
    req: reqwest::RequestBuilder,
    url: &Url,
    what: &str,
    endpoint_kind: Endpoint,
) -> Result<Response, PluginError> {
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            host.log(
                LogLevel::INFO,
                format!("{what}: {url} -> (no response)").as_str().into(),
            );
            return Err(transport_error(&e, what));
        }
    };
    let status = resp.status().as_u16();
    host.log(
        LogLevel::INFO,
        format!("{what}: {url} -> {status}").as_str().into(),
    );
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

/// `POST <base>/<path>` with a JSON body and the key.
pub async fn post_json(
    ctx: &CallContext,
    host: &HostRef<'_>,
    path: &str,
    body: &serde_json::Value,
    what: &str,
) -> Result<Response, PluginError> {
    let url = endpoint(ctx, path)?;
    let req = client()?
        .post(url.clone())
        .headers(auth_headers(ctx)?)
        .json(body);
    send(host, req, &url, what, Endpoint::Model).await
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

/// Reads a whole JSON answer (at most `cap` bytes).
pub async fn read_json(
    resp: Response,
    cap: usize,
    what: &str,
) -> Result<serde_json::Value, PluginError> {
    let body = read_capped(resp, cap)
        .await
        .map_err(|e| transport_error(&e, what))?;
    serde_json::from_slice(&body).map_err(|_| {
        PluginError::new(
            ErrorKind::UPSTREAM,
            format!("the {what} answer is not JSON"),
        )
    })
}

/// The media type of a response, lowercased, without parameters.
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

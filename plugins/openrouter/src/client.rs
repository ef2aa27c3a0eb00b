/*!
What is OpenRouter's own in the HTTP plumbing (the rest is the provider
kit's): the headers (Bearer auth; app attribution only for the real API),
requests to the API's origin, origin rules for the key, URL safety checks
for downloads, and the key check.

The key is sent only to the base URL's origin. A download URL on another
origin is fetched with a client that never carries it; when the base URL is
a public https host, such a URL must be https and must not resolve to a
loopback, private or link-local address.
*/

use reqwest::header::HeaderValue;
use reqwest::{Client, RequestBuilder, Url};
use std::net::IpAddr;
use std::time::Duration;
use switchyard_provider_kit::api::doc::{Context, KeyStatus};
use switchyard_provider_kit::api::{ErrorKind, PluginError};
use switchyard_provider_kit::errors::Endpoint;
use switchyard_provider_kit::http::{self, base};
use switchyard_provider_kit::Call;

/// The real OpenRouter API; attribution headers are sent only here.
pub const OPENROUTER_BASE: &str = "https://openrouter.ai/api/v1";
/// `HTTP-Referer` sent to the real API.
pub const APP_URL: &str = "https://github.com/switchyard-dev/switchyard";
/// `X-OpenRouter-Title` sent to the real API.
pub const APP_TITLE: &str = "Switchyard";
/// `X-OpenRouter-Categories` sent to the real API.
pub const APP_CATEGORIES: &str = "cli-agent";
/// The `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("switchyard-openrouter/", env!("CARGO_PKG_VERSION"));

/// The shared client for this call's read timeout (default 60 s).
pub fn client(ctx: &Context) -> Result<Client, PluginError> {
    // 60 s, as the manifest's `read_timeout_ms`: a host that predates that
    // field passes no `readTimeoutMs`.
    http::client(USER_AGENT, http::read_timeout(ctx, Duration::from_secs(60)))
}

/// Whether this base URL is the real OpenRouter API.
pub fn is_real_openrouter(ctx: &Context) -> bool {
    ctx.base_url.trim_end_matches('/') == OPENROUTER_BASE
}

/// A request to the API's own origin: Bearer auth and, for the real API
/// only, the app-attribution headers.
pub fn to_api(ctx: &Context, req: RequestBuilder) -> Result<RequestBuilder, PluginError> {
    let mut req = req.headers(http::bearer(ctx)?);
    if is_real_openrouter(ctx) {
        req = req
            .header("HTTP-Referer", HeaderValue::from_static(APP_URL))
            .header("X-OpenRouter-Title", HeaderValue::from_static(APP_TITLE))
            .header(
                "X-OpenRouter-Categories",
                HeaderValue::from_static(APP_CATEGORIES),
            );
    }
    Ok(req)
}

/// `GET <base>/<path>` on the API's origin, as JSON of at most `cap` bytes.
pub async fn get_json(
    call: &Call<'_>,
    path: &str,
    what: &str,
    cap: usize,
) -> Result<serde_json::Value, PluginError> {
    let ctx = call.ctx();
    let url = http::endpoint(ctx, path)?;
    let req = to_api(ctx, client(ctx)?.get(url))?;
    let resp = http::send(call, &crate::API, req, what, Endpoint::Other).await?;
    http::read_json(call, resp, cap, what).await
}

/// `POST <base>/<path>` with a JSON body on the API's origin.
pub async fn post_json(
    call: &Call<'_>,
    path: &str,
    body: &serde_json::Value,
    what: &str,
    endpoint: Endpoint,
) -> Result<reqwest::Response, PluginError> {
    let ctx = call.ctx();
    let url = http::endpoint(ctx, path)?;
    let req = to_api(ctx, client(ctx)?.post(url).json(body))?;
    http::send(call, &crate::API, req, what, endpoint).await
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
pub async fn check_foreign_url(ctx: &Context, url: &Url) -> Result<(), PluginError> {
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
pub async fn check_key(call: &Call<'_>) -> Result<KeyStatus, PluginError> {
    let v = get_json(call, "key", "key check", 1 << 20).await?;
    let d = v.get("data").unwrap_or(&serde_json::Value::Null);
    let f = |k: &str| d.get(k).and_then(|x| x.as_f64());
    Ok(KeyStatus {
        label: d
            .get("label")
            .and_then(|x| x.as_str())
            .unwrap_or("")
            .to_string(),
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
    use switchyard_provider_kit::http::same_origin;

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

/*!
Writing large outputs to the host's sink: a response body streamed chunk by
chunk ([`stream_to_sink`]) or bytes already in memory ([`write_bytes`]),
with `downloading` progress at most every 250 ms. Memory stays flat
whatever the size; a sink error (size cap, disk full, cancellation) stops
the transfer and is returned as is.
*/

use crate::http::transport_error;
use std::time::{Duration, Instant};
use switchyard_plugin_api::{ErrorKind, HostRef, PluginError, Progress, Stage};

/// Reports `downloading` progress at most every 250 ms (and at the end).
pub struct Meter {
    started: Instant,
    last: Option<Instant>,
    job_id: String,
}

impl Meter {
    /// A meter starting now; `job_id` is shown with the progress (or empty).
    pub fn new(job_id: &str) -> Self {
        Meter {
            started: Instant::now(),
            last: None,
            job_id: job_id.to_string(),
        }
    }

    /// Reports `bytes` of output `index` written (always when `end`).
    pub fn report(
        &mut self,
        host: &HostRef<'_>,
        index: u32,
        bytes: u64,
        total: Option<u64>,
        end: bool,
    ) {
        let now = Instant::now();
        if !end
            && self
                .last
                .is_some_and(|l| now - l < Duration::from_millis(250))
        {
            return;
        }
        self.last = Some(now);
        let mut p = Progress::new(Stage::DOWNLOADING);
        p.index = index;
        p.bytes = bytes;
        p.total_bytes = total.into();
        p.job_id = self.job_id.as_str().into();
        p.elapsed_ms = (now - self.started).as_millis() as u64;
        host.progress(&p);
    }
}

/// Streams a response body into sink output `index` of `media_type`; returns
/// the bytes written. A body shorter than its `Content-Length` is a
/// `network` error (the host discards the output).
pub async fn stream_to_sink(
    mut resp: reqwest::Response,
    host: &HostRef<'_>,
    index: u32,
    media_type: &str,
    what: &str,
    meter: &mut Meter,
) -> Result<u64, PluginError> {
    let declared = resp.content_length();
    host.open_output(index, media_type.into(), declared.into())
        .into_result()?;
    let mut got = 0u64;
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(&e, what))? {
        got += chunk.len() as u64;
        host.write_output(index, chunk.as_ref().into())
            .into_result()?;
        meter.report(host, index, got, declared, false);
    }
    if let Some(len) = declared.filter(|&len| got < len) {
        return Err(PluginError::new(
            ErrorKind::NETWORK,
            format!("the {what} was truncated: {got} of {len} bytes"),
        ));
    }
    meter.report(host, index, got, declared, true);
    Ok(got)
}

/// Writes `bytes` to sink output `index` in 64 KiB pieces.
pub fn write_bytes(
    host: &HostRef<'_>,
    index: u32,
    media_type: &str,
    bytes: &[u8],
) -> Result<(), PluginError> {
    host.open_output(index, media_type.into(), Some(bytes.len() as u64).into())
        .into_result()?;
    for piece in bytes.chunks(64 * 1024) {
        host.write_output(index, piece.into()).into_result()?;
    }
    Ok(())
}

/// The image type of `bytes` by their magic number (`image/png` when unknown).
pub fn sniff_image(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        "image/webp"
    } else if bytes.starts_with(b"GIF8") {
        "image/gif"
    } else {
        "image/png"
    }
}

/// Decodes standard base64, padded or not, ignoring ASCII whitespace.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let clean: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(&clean)
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(clean.trim_end_matches('='))
        })
        .ok()
}

/// The media type and bytes of a base64 `data:` URL, or what is wrong with it.
pub fn decode_data_url(url: &str) -> Result<(String, Vec<u8>), &'static str> {
    let rest = url.strip_prefix("data:").ok_or("it is not a data: URL")?;
    let (meta, payload) = rest.split_once(',').ok_or("the data URL has no payload")?;
    if !meta.to_ascii_lowercase().contains(";base64") {
        return Err("the data URL is not base64");
    }
    let bytes = decode_base64(payload).ok_or("the data URL holds invalid base64")?;
    let mime = meta.split(';').next().unwrap_or("");
    let mime = if mime.is_empty() {
        "application/octet-stream"
    } else {
        mime
    };
    Ok((mime.to_string(), bytes))
}

/// An answer that should have been media but is JSON or text: the error it
/// holds (classified by `api`), else an `upstream` error naming its type.
pub async fn not_media(
    api: &crate::errors::Api,
    resp: reqwest::Response,
    content_type: &str,
    what: &str,
    kind: &str,
) -> PluginError {
    let body = crate::http::read_capped(resp, 64 * 1024, what)
        .await
        .unwrap_or_default();
    match serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("error").cloned())
    {
        Some(err) => api.classify_inline(&err),
        None => PluginError::new(
            ErrorKind::UPSTREAM,
            format!("the {what} answer is {content_type:?}, not {kind}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_urls_decode_or_say_what_is_wrong() {
        let (m, b) = decode_data_url("data:image/png;base64,aGk=").unwrap();
        assert_eq!((m.as_str(), b.as_slice()), ("image/png", &b"hi"[..]));
        assert_eq!(decode_data_url("data:;base64,aGk").unwrap().1, b"hi");
        assert!(decode_data_url("data:image/png,hi").is_err());
        assert!(decode_data_url("https://x/y.png").is_err());
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0]), "image/jpeg");
    }
}

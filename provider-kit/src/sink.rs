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

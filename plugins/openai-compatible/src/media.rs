/*!
Speech (`POST <base>/audio/speech`) and image generation
(`POST <base>/images/generations`), both written to the host's output sink.

Speech audio is streamed to sink output 0 chunk by chunk as it arrives, so
memory stays flat whatever its length, with `downloading` progress at most
every quarter second. Images are asked for as `response_format: "b64_json"`;
each `data[i].b64_json` is decoded and written to output `i` in 64 KiB
pieces. A server that answers with `data[i].url` instead has that URL
streamed to the sink (without the key, which only goes to the base URL).
Every sink error (size cap, disk full, cancellation) stops the call and is
returned as is.
*/

use crate::client::{self, transport_error};
use crate::errors::{self, Endpoint};
use base64::Engine as _;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use switchyard_plugin_api::*;

/// Reports `downloading` progress at most every 250 ms (and at the end).
struct Meter {
    started: Instant,
    last: Option<Instant>,
}

impl Meter {
    fn new() -> Self {
        Meter {
            started: Instant::now(),
            last: None,
        }
    }

    fn report(
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
        p.elapsed_ms = (now - self.started).as_millis() as u64;
        host.progress(&p);
    }
}

/// Streams a response body to sink output `index`; returns the bytes written.
async fn stream_to_sink(
    mut resp: reqwest::Response,
    host: &HostRef<'_>,
    index: u32,
    media_type: &str,
    what: &str,
) -> Result<u64, PluginError> {
    let declared = resp.content_length();
    host.open_output(index, media_type.into(), declared.into())
        .into_result()?;
    let mut meter = Meter::new();
    let mut got = 0u64;
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                got += chunk.len() as u64;
                host.write_output(index, chunk.as_ref().into())
                    .into_result()?;
                meter.report(host, index, got, declared, false);
            }
            Ok(None) => break,
            Err(e) => return Err(transport_error(&e, what)),
        }
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

/// An answer that should have been media but is JSON or text: an error.
async fn not_media(resp: reqwest::Response, ct: &str, what: &str) -> PluginError {
    let body = client::read_capped(resp, 64 * 1024)
        .await
        .unwrap_or_default();
    match serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("error").cloned())
    {
        Some(err) => errors::classify_inline(&err),
        None => PluginError::new(
            ErrorKind::UPSTREAM,
            format!("the {what} answer is {ct:?}, not audio"),
        ),
    }
}

/// Text-to-speech into sink output 0.
pub async fn speech(
    req: &SpeechRequest,
    ctx: &CallContext,
    host: &HostRef<'_>,
) -> Result<SpeechResponse, PluginError> {
    if req.input.trim().is_empty() {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            "there is no text to speak",
        ));
    }
    let mut body = json!({
        "model": crate::api_model(&req.model),
        "input": req.input.as_str(),
        "response_format": req.format.as_str(),
    });
    if let ROption::RSome(v) = &req.voice {
        body["voice"] = json!(v.as_str());
    } else {
        // OpenAI requires a voice; `alloy` is its first and most servers accept it.
        body["voice"] = json!("alloy");
    }
    if let ROption::RSome(s) = req.speed {
        body["speed"] = json!(s);
    }
    let resp = client::post_json(ctx, host, "audio/speech", &body, "speech").await?;
    let ct = client::content_type(&resp);
    if ct.contains("json") || ct.starts_with("text/") {
        return Err(not_media(resp, &ct, "speech").await);
    }
    let media_type = if ct.is_empty() {
        match req.format.as_str() {
            "pcm" => "audio/pcm".to_string(),
            _ => "audio/mpeg".to_string(),
        }
    } else {
        ct
    };
    let bytes = stream_to_sink(resp, host, 0, &media_type, "speech audio").await?;
    Ok(SpeechResponse {
        media_type: media_type.into(),
        bytes,
        generation_id: ROption::RNone,
    })
}

/// The OpenAI `size` for an aspect ratio, when no explicit size was given.
pub fn size_for_aspect_ratio(ratio: &str) -> Option<&'static str> {
    Some(match ratio {
        "1:1" => "1024x1024",
        "3:2" | "4:3" => "1536x1024",
        "2:3" | "3:4" => "1024x1536",
        "16:9" => "1792x1024",
        "9:16" => "1024x1792",
        _ => return None,
    })
}

/// The request body for `req`.
pub fn image_body(req: &ImageRequest) -> Result<Value, PluginError> {
    let mut body = json!({
        "model": crate::api_model(&req.model),
        "prompt": req.prompt.as_str(),
        "n": 1,
        "response_format": "b64_json",
    });
    let size = match (&req.size, &req.aspect_ratio) {
        (ROption::RSome(s), _) => {
            let s = s.as_str().trim();
            let valid = s == "auto"
                || s.split_once('x').is_some_and(|(w, h)| {
                    w.parse::<u32>().is_ok_and(|w| w > 0) && h.parse::<u32>().is_ok_and(|h| h > 0)
                });
            if !valid {
                return Err(PluginError::new(
                    ErrorKind::INVALID_INPUT,
                    format!("--size {s:?}: OpenAI-compatible servers take WIDTHxHEIGHT (e.g. 1024x1024) or auto"),
                ));
            }
            Some(s.to_string())
        }
        (ROption::RNone, ROption::RSome(a)) => Some(
            size_for_aspect_ratio(a.as_str())
                .ok_or_else(|| {
                    PluginError::new(
                        ErrorKind::INVALID_INPUT,
                        format!("--aspect-ratio {a}: no image size is known for it; pass --size WIDTHxHEIGHT (known ratios: 1:1, 3:2, 2:3, 4:3, 3:4, 16:9, 9:16)"),
                    )
                })?
                .to_string(),
        ),
        (ROption::RNone, ROption::RNone) => None,
    };
    if let Some(s) = size {
        body["size"] = json!(s);
    }
    Ok(body)
}

/// The media type bytes start with (PNG, JPEG, WebP, GIF), else PNG.
fn sniff_image(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\xFF\xD8\xFF") {
        "image/jpeg"
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else if bytes.starts_with(b"GIF8") {
        "image/gif"
    } else {
        "image/png"
    }
}

/// Writes `bytes` to sink output `index` in 64 KiB pieces.
fn write_image(host: &HostRef<'_>, index: u32, bytes: &[u8]) -> Result<(), PluginError> {
    host.open_output(
        index,
        sniff_image(bytes).into(),
        ROption::RSome(bytes.len() as u64),
    )
    .into_result()?;
    for piece in bytes.chunks(64 * 1024) {
        host.write_output(index, piece.into()).into_result()?;
    }
    Ok(())
}

/// Image generation; image `i` goes to sink output `i`.
pub async fn image(
    req: &ImageRequest,
    ctx: &CallContext,
    host: &HostRef<'_>,
) -> Result<ImageResponse, PluginError> {
    if req.prompt.trim().is_empty() {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            "there is no prompt to draw",
        ));
    }
    let body = image_body(req)?;
    let resp =
        client::post_json(ctx, host, "images/generations", &body, "image generation").await?;
    // Base64 inflates by a third; 512 MiB of JSON is far beyond any real image.
    let v = client::read_json(resp, 512 * 1024 * 1024, "image generation").await?;
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        return Err(errors::classify_inline(err));
    }
    let items = v.get("data").and_then(Value::as_array).ok_or_else(|| {
        PluginError::new(ErrorKind::UPSTREAM, "the image answer has no `data` array")
    })?;
    if items.is_empty() {
        return Err(PluginError::new(
            ErrorKind::JOB_FAILED,
            "the server answered without an image",
        ));
    }
    let mut texts = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let index = i as u32;
        if let Some(b64) = item.get("b64_json").and_then(Value::as_str) {
            let clean: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(clean.as_bytes())
                .map_err(|e| {
                    PluginError::new(
                        ErrorKind::UPSTREAM,
                        format!("image {index}: `b64_json` is not valid base64 ({e})"),
                    )
                })?;
            write_image(host, index, &bytes)?;
        } else if let Some(u) = item.get("url").and_then(Value::as_str) {
            let url = reqwest::Url::parse(u)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| {
                    PluginError::new(
                        ErrorKind::UPSTREAM,
                        format!("image {index}: {u:?} is not an http(s) URL"),
                    )
                })?;
            let get = client::client()?.get(url.clone());
            let resp = client::send(host, get, &url, "image download", Endpoint::Other).await?;
            let ct = client::content_type(&resp);
            let ct = if ct.starts_with("image/") {
                ct
            } else {
                "image/png".to_string()
            };
            stream_to_sink(resp, host, index, &ct, "image download").await?;
        } else {
            return Err(PluginError::new(
                ErrorKind::UPSTREAM,
                format!("image {index} has neither `b64_json` nor `url`"),
            ));
        }
        if let Some(t) = item.get("revised_prompt").and_then(Value::as_str) {
            texts.push(t.to_string());
        }
    }
    let usage = v.get("usage").map(|u| {
        let g = |k: &str| u.get(k).and_then(Value::as_u64).into();
        Usage {
            prompt_tokens: g("input_tokens"),
            completion_tokens: g("output_tokens"),
            total_tokens: g("total_tokens"),
            cost: ROption::RNone,
        }
    });
    Ok(ImageResponse {
        text: texts.join("\n").into(),
        model: req.model.clone(),
        images: items.len() as u32,
        usage: usage.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(size: Option<&str>, ratio: Option<&str>) -> ImageRequest {
        ImageRequest {
            model: "local/gpt-image-1".into(),
            prompt: "a boat".into(),
            aspect_ratio: ratio.map(RString::from).into(),
            size: size.map(RString::from).into(),
        }
    }

    #[test]
    fn sizes_and_ratios() {
        let b = image_body(&req(None, None)).unwrap();
        assert_eq!(b["model"], "gpt-image-1");
        assert_eq!(b["response_format"], "b64_json");
        assert!(b.get("size").is_none());
        assert_eq!(
            image_body(&req(Some("512x512"), Some("16:9"))).unwrap()["size"],
            "512x512"
        );
        assert_eq!(
            image_body(&req(None, Some("3:2"))).unwrap()["size"],
            "1536x1024"
        );
        assert_eq!(
            image_body(&req(Some("2K"), None)).unwrap_err().kind,
            ErrorKind::INVALID_INPUT
        );
        assert_eq!(
            image_body(&req(None, Some("21:9"))).unwrap_err().kind,
            ErrorKind::INVALID_INPUT
        );
    }

    #[test]
    fn image_types_are_sniffed() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n"), "image/png");
        assert_eq!(sniff_image(b"\xFF\xD8\xFF\xE0"), "image/jpeg");
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), "image/webp");
    }
}

/*!
Image generation (`POST <base>/images/generations`), written to the host's
output sink.

Images are asked for as `response_format: "b64_json"`; each
`data[i].b64_json` is decoded and written to output `i`. A server that
answers with `data[i].url` instead has that URL streamed to the sink,
without the key (which only goes to the base URL). A size is
`WIDTHxHEIGHT` or `auto`; an aspect ratio alone picks the OpenAI size
closest to it ([`size_for_aspect_ratio`]). `--param` values are merged into
the body last.
*/

use crate::client::{client, post_json};
use crate::{api_model, API};
use serde_json::{json, Value};
use switchyard_provider_kit::api::doc::{ImageRequest, ImageResponse, Usage};
use switchyard_provider_kit::api::{ErrorKind, PluginError};
use switchyard_provider_kit::errors::Endpoint;
use switchyard_provider_kit::sink::{self, Meter};
use switchyard_provider_kit::{http, openai, Call};

/// The largest image answer read: base64 inflates by a third, and 512 MiB
/// of JSON is far beyond any real image.
pub const ANSWER_CAP: usize = 512 * 1024 * 1024;

/// The aspect ratios [`size_for_aspect_ratio`] knows, for messages.
const KNOWN_RATIOS: &str = "1:1, 3:2, 2:3, 4:3, 3:4, 16:9, 9:16";

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

/// Whether `size` is `auto` or `WIDTHxHEIGHT` with both positive.
fn valid_size(size: &str) -> bool {
    size == "auto"
        || size.split_once('x').is_some_and(|(w, h)| {
            w.parse::<u32>().is_ok_and(|w| w > 0) && h.parse::<u32>().is_ok_and(|h| h > 0)
        })
}

/// The `size` to send: the explicit one, else the one for the aspect ratio.
fn size_of(req: &ImageRequest) -> Result<Option<String>, PluginError> {
    if let Some(s) = &req.size {
        let s = s.trim();
        if !valid_size(s) {
            return Err(PluginError::new(
                ErrorKind::INVALID_INPUT,
                format!("image size {s:?}: OpenAI-compatible servers take WIDTHxHEIGHT (e.g. 1024x1024) or auto"),
            ));
        }
        return Ok(Some(s.to_string()));
    }
    let Some(a) = &req.aspect_ratio else {
        return Ok(None);
    };
    size_for_aspect_ratio(a)
        .map(|s| Some(s.to_string()))
        .ok_or_else(|| {
            PluginError::new(
                ErrorKind::INVALID_INPUT,
                format!("aspect ratio {a}: no image size is known for it; give a size as WIDTHxHEIGHT instead (known ratios: {KNOWN_RATIOS})"),
            )
        })
}

/// The `/images/generations` body for `req`: `count` -> `n` (default 1),
/// `quality` -> `quality`. A seed or input images are refused before
/// anything is sent: the endpoint has no field for them (a server that
/// takes a seed gets one as a provider parameter).
pub fn image_body(req: &ImageRequest) -> Result<Value, PluginError> {
    let refuse = |what: &str| {
        PluginError::new(
            ErrorKind::INVALID_INPUT,
            format!("{what}: the OpenAI images endpoint (/images/generations) has no field for it; nothing was sent"),
        )
    };
    if req.seed.is_some() {
        return Err(refuse("a seed"));
    }
    if !req.inputs.is_empty() {
        return Err(refuse("input images"));
    }
    let mut body = json!({
        "model": api_model(&req.model),
        "prompt": req.prompt,
        "n": req.count.unwrap_or(1).max(1),
        "response_format": "b64_json",
    });
    if let Some(q) = &req.quality {
        body["quality"] = json!(q);
    }
    if let Some(s) = size_of(req)? {
        body["size"] = json!(s);
    }
    openai::apply_params(&mut body, &req.params)?;
    Ok(body)
}

/// The usage of an image answer: the Images API counts `input_tokens` and
/// `output_tokens`; servers that copy the chat spelling are read too.
pub fn image_usage(u: &Value) -> Usage {
    let g = |k: &str| u.get(k).and_then(Value::as_u64);
    let chat = openai::usage_of(u);
    Usage {
        prompt_tokens: g("input_tokens").or(chat.prompt_tokens),
        completion_tokens: g("output_tokens").or(chat.completion_tokens),
        ..chat
    }
}

fn upstream(message: String) -> PluginError {
    PluginError::new(ErrorKind::UPSTREAM, message)
}

/// Streams the image at `u` (a URL the server answered with) into sink
/// output `index`, without the key.
async fn download(
    call: &Call<'_>,
    u: &str,
    index: u32,
    meter: &mut Meter,
) -> Result<(), PluginError> {
    let url = reqwest::Url::parse(u)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| upstream(format!("image {index}: {u:?} is not an http(s) URL")))?;
    let get = client(call.ctx())?.get(url);
    let resp = http::send(call, &API, get, "image download", Endpoint::Other).await?;
    let ct = http::content_type(&resp);
    if ct.contains("json") || ct.starts_with("text/") {
        return Err(sink::not_media(&API, resp, &ct, "image download", "an image").await);
    }
    let ct = if ct.starts_with("image/") {
        ct
    } else {
        "image/png".to_string()
    };
    sink::stream_to_sink(resp, call.host(), index, &ct, "image download", meter).await?;
    Ok(())
}

/// Image generation; image `i` goes to sink output `i`.
pub async fn image(req: &ImageRequest, call: &Call<'_>) -> Result<ImageResponse, PluginError> {
    if req.prompt.trim().is_empty() {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            "there is no prompt to draw",
        ));
    }
    let body = image_body(req)?;
    let resp = post_json(call, "images/generations", &body, "image generation").await?;
    let v = http::read_json(call, resp, ANSWER_CAP, "image generation").await?;
    if let Some(e) = openai::inline_error(&API, &v) {
        return Err(e);
    }
    let items = v
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| upstream("the image answer has no `data` array".into()))?;
    if items.is_empty() {
        return Err(PluginError::new(
            ErrorKind::JOB_FAILED,
            "the server answered without an image",
        ));
    }
    let mut meter = Meter::new("");
    let mut texts = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let index = i as u32;
        if let Some(b64) = item.get("b64_json").and_then(Value::as_str) {
            let bytes = sink::decode_base64(b64).ok_or_else(|| {
                upstream(format!("image {index}: `b64_json` is not valid base64"))
            })?;
            sink::write_bytes(call.host(), index, sink::sniff_image(&bytes), &bytes)?;
        } else if let Some(u) = item.get("url").and_then(Value::as_str) {
            download(call, u, index, &mut meter).await?;
        } else {
            return Err(upstream(format!(
                "image {index} has neither `b64_json` nor `url`"
            )));
        }
        if let Some(t) = item.get("revised_prompt").and_then(Value::as_str) {
            texts.push(t.to_string());
        }
    }
    Ok(ImageResponse {
        text: texts.join("\n"),
        model: req.model.clone(),
        images: items.len() as u32,
        usage: v.get("usage").map(image_usage).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(size: Option<&str>, ratio: Option<&str>) -> ImageRequest {
        ImageRequest {
            model: "local/gpt-image-1".into(),
            prompt: "a boat".into(),
            aspect_ratio: ratio.map(str::to_string),
            size: size.map(str::to_string),
            ..Default::default()
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
            image_body(&req(Some("auto"), None)).unwrap()["size"],
            "auto"
        );
        for bad in [
            req(Some("2K"), None),
            req(Some("0x5"), None),
            req(None, Some("21:9")),
        ] {
            let e = image_body(&bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
            assert!(!e.message.contains("--"), "{}", e.message);
        }
    }

    #[test]
    fn params_are_merged_last() {
        let mut r = req(None, Some("1:1"));
        r.params.insert("quality".into(), "\"high\"".into());
        r.params.insert("n".into(), "2".into());
        let b = image_body(&r).unwrap();
        assert_eq!(b["quality"], "high");
        assert_eq!(b["n"], 2);
        assert_eq!(b["size"], "1024x1024");
        r.params.insert("seed".into(), "not json".into());
        assert_eq!(image_body(&r).unwrap_err().kind, ErrorKind::INVALID_INPUT);
    }

    #[test]
    fn count_and_quality_are_sent_and_a_seed_or_inputs_refused() {
        let mut r = req(None, None);
        assert_eq!(image_body(&r).unwrap()["n"], 1);
        r.count = Some(3);
        r.quality = Some("high".into());
        let b = image_body(&r).unwrap();
        assert_eq!(
            (b["n"].clone(), b["quality"].clone()),
            (json!(3), json!("high"))
        );
        r.seed = Some(7);
        let e = image_body(&r).unwrap_err();
        assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
        assert!(e.message.contains("seed"), "{}", e.message);
    }

    #[test]
    fn usage_reads_both_spellings() {
        let u = image_usage(&json!({"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}));
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (Some(3), Some(4), Some(7))
        );
        let u = image_usage(&json!({"prompt_tokens": 1, "completion_tokens": 2}));
        assert_eq!((u.prompt_tokens, u.completion_tokens), (Some(1), Some(2)));
    }
}

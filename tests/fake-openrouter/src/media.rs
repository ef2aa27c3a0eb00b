/*!
The endpoints added with plugin API 2.1: OpenRouter's Image API
(`POST /images`, `GET /images/models`, `GET /images/models/{id}/endpoints`),
speech-to-text (`POST /audio/transcriptions`, OpenRouter's JSON form and
OpenAI's multipart form), embeddings (`POST /embeddings`), and the chat
helpers for content parts, JSON-schema answers, reasoning and provider
preferences.

Request checks follow the spec's request schemas (a violation is a 400
naming the field, as OpenRouter's validation errors do); facts the spec
leaves open are marked [I] where they are decided.
*/

use base64::Engine as _;
use serde_json::{json, Value};

use crate::data;
use crate::form::{self, FormPart};
use crate::handlers::{bad_request, generation_id, model_not_found, unix_now};
use crate::http::{Body, Request, Response};
use crate::server::Shared;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// What a scripted step asks of the endpoints in this module.
#[derive(Default)]
pub(crate) struct MediaMods {
    /// [`crate::Step::Images`] / [`crate::Step::NoImages`]: these images.
    pub(crate) images: Option<Vec<Vec<u8>>>,
    /// [`crate::Step::SseMidStreamError`]: events sent before an error event.
    pub(crate) mid_error: Option<(usize, Value)>,
    /// [`crate::Step::Transcript`].
    pub(crate) transcript: Option<String>,
    /// [`crate::Step::EmbeddingsReversed`].
    pub(crate) reversed: bool,
}

fn parse_object(req: &Request, what: &str) -> Result<Value, Response> {
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(v) if v.is_object() => Ok(v),
        _ => Err(bad_request(&format!(
            "Invalid JSON body: expected a {what} object"
        ))),
    }
}

fn required_model(body: &Value) -> Result<&str, Response> {
    match body.get("model") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.as_str()),
        Some(_) => Err(bad_request("model: expected a non-empty string")),
        None => Err(bad_request("model: Required")),
    }
}

fn enum_field(body: &Value, field: &str, allowed: &[&str]) -> Result<(), Response> {
    match body.get(field) {
        None => Ok(()),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(()),
        Some(_) => Err(bad_request(&format!(
            "{field}: expected one of {}",
            allowed.join(", ")
        ))),
    }
}

fn int_field(body: &Value, field: &str, min: i64, max: i64) -> Result<Option<i64>, Response> {
    match body.get(field) {
        None => Ok(None),
        Some(v) => match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(bad_request(&format!(
                "{field}: expected an integer from {min} to {max}"
            ))),
        },
    }
}

/// Whether `url` is an http(s) URL or a base64 data URL of `kind` media
/// (`image`, `audio`, ...; any kind when empty).
fn media_url_ok(url: &str, kind: &str) -> bool {
    if url.starts_with("https://") || url.starts_with("http://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("data:") else {
        return false;
    };
    let Some((meta, payload)) = rest.split_once(',') else {
        return false;
    };
    meta.ends_with(";base64")
        && (kind.is_empty() || meta.starts_with(&format!("{kind}/")))
        && !payload.is_empty()
        && B64.decode(payload).is_ok()
}

// ---------------------------------------------------------------- images

/// The image models listing in force (custom or default).
fn image_models(shared: &Shared) -> Value {
    shared
        .state()
        .image_models
        .clone()
        .unwrap_or_else(data::default_image_models)
}

fn image_model(shared: &Shared, id: &str) -> Option<Value> {
    image_models(shared)
        .get("data")?
        .as_array()?
        .iter()
        .find(|m| m.get("id").and_then(Value::as_str) == Some(id))
        .cloned()
}

/// `GET /images/models`.
pub(crate) fn list_image_models(shared: &Shared) -> Response {
    Response::json(200, &image_models(shared))
}

/// `GET /images/models/{author}/{slug}/endpoints`.
pub(crate) fn image_endpoints(shared: &Shared, path: &str) -> Response {
    let id = path
        .strip_prefix("/api/v1/images/models/")
        .and_then(|r| r.strip_suffix("/endpoints"))
        .unwrap_or("");
    if let Some(custom) = shared.state().image_endpoints.get(id).cloned() {
        return Response::json(200, &custom);
    }
    match image_model(shared, id) {
        Some(m) => Response::json(200, &data::default_image_endpoints(&m)),
        None => crate::handlers::not_found(&format!("Image model {id} not found")),
    }
}

/// Checks an `ImageGenerationRequest`; `Err` is the 400 answer.
fn check_image_request(body: &Value) -> Result<(), Response> {
    match body.get("prompt") {
        Some(Value::String(p)) if !p.is_empty() => {}
        Some(_) => return Err(bad_request("prompt: expected a non-empty string")),
        None => return Err(bad_request("prompt: Required")),
    }
    int_field(body, "n", 1, 10)?;
    int_field(body, "output_compression", 0, 100)?;
    if body.get("seed").is_some_and(|s| s.as_i64().is_none()) {
        return Err(bad_request("seed: expected an integer"));
    }
    if body.get("stream").is_some_and(|s| !s.is_boolean()) {
        return Err(bad_request("stream: expected a boolean"));
    }
    enum_field(body, "aspect_ratio", &data::IMAGE_ASPECT_RATIOS)?;
    enum_field(body, "resolution", &["512", "1K", "2K", "4K"])?;
    enum_field(body, "quality", &["auto", "low", "medium", "high"])?;
    enum_field(body, "output_format", &["png", "jpeg", "webp", "svg"])?;
    enum_field(body, "background", &["auto", "transparent", "opaque"])?;
    if let Some(size) = body.get("size") {
        let size = size
            .as_str()
            .ok_or_else(|| bad_request("size: expected a string"))?;
        let tier = ["512", "1K", "2K", "4K"].contains(&size);
        let pixels = size.split_once('x').and_then(|(w, h)| {
            Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)).filter(|(w, h)| *w > 0 && *h > 0)
        });
        match (tier, pixels) {
            (true, _) => {}
            (false, None) => {
                return Err(bad_request(
                    "size: expected a tier (1K, 2K, 4K) or WIDTHxHEIGHT",
                ))
            }
            (false, Some((w, h))) => {
                if body.get("resolution").is_some() {
                    return Err(bad_request(
                        "size: an explicit pixel size cannot be combined with resolution",
                    ));
                }
                if let Some((a, b)) = body
                    .get("aspect_ratio")
                    .and_then(Value::as_str)
                    .and_then(|r| r.split_once(':'))
                    .and_then(|(a, b)| Some((a.parse::<f64>().ok()?, b.parse::<f64>().ok()?)))
                {
                    let want = a / b;
                    let got = f64::from(w) / f64::from(h);
                    if (want - got).abs() / want > 0.02 {
                        return Err(bad_request(
                            "size: the pixel size does not match aspect_ratio",
                        ));
                    }
                }
            }
        }
    }
    if let Some(refs) = body.get("input_references") {
        let refs = refs
            .as_array()
            .ok_or_else(|| bad_request("input_references: expected an array"))?;
        if refs.len() > 16 {
            return Err(bad_request("input_references: at most 16 items"));
        }
        for (i, r) in refs.iter().enumerate() {
            if r.get("type").and_then(Value::as_str) != Some("image_url") {
                return Err(bad_request(&format!(
                    "input_references[{i}].type: expected \"image_url\""
                )));
            }
            let url = r.pointer("/image_url/url").and_then(Value::as_str);
            if !url.is_some_and(|u| media_url_ok(u, "image")) {
                return Err(bad_request(&format!(
                    "input_references[{i}].image_url.url: expected an http(s) URL or a base64 image data URL"
                )));
            }
        }
    }
    Ok(())
}

/// `POST /images`: `n` images as `data[].b64_json` (buffered), or partial
/// images then completed images as SSE events when `stream` is true and the
/// model's listing says `supports_streaming` (others ignore `stream`, as
/// the spec says).
pub(crate) fn images(shared: &Shared, req: &Request, mods: &MediaMods) -> Response {
    let body = match parse_object(req, "ImageGenerationRequest") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let model = match required_model(&body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(r) = check_image_request(&body) {
        return r;
    }
    if model.contains("missing") {
        return model_not_found(model);
    }
    // [I] A model the Image API does not serve (a chat model) is refused
    // with the availability code the docs name for it.
    let Some(listing) = image_model(shared, model) else {
        return Response::json(
            400,
            &json!({"error": {
                "code": 400,
                "message": format!("{model} is not an image generation model of the Image API; use /chat/completions"),
                "metadata": {"error_type": "invalid_request"},
                "availability": {"code": "wrong_endpoint", "retryable": false, "requested_models": [model],
                                 "docs_url": "https://openrouter.ai/docs/guides/overview/multimodal/image-generation"}
            }}),
        );
    };
    let takes_images = listing
        .pointer("/architecture/input_modalities")
        .and_then(Value::as_array)
        .is_some_and(|m| m.iter().any(|x| x == "image"));
    if body.get("input_references").is_some() && !takes_images {
        return bad_request(&format!("{model} does not take input images"));
    }
    if let (Some(n), Some(max)) = (
        body.get("n").and_then(Value::as_u64),
        listing
            .pointer("/supported_parameters/n/max")
            .and_then(Value::as_u64),
    ) {
        if n > max {
            return bad_request(&format!("n: {model} makes at most {max} images"));
        }
    }
    let n = body.get("n").and_then(Value::as_u64).unwrap_or(1) as usize;
    let images = mods
        .images
        .clone()
        .unwrap_or_else(|| vec![data::sample_png(); n]);
    let price = if model == "openai/gpt-5-image" {
        0.04
    } else {
        0.05
    };
    let usage = json!({
        "prompt_tokens": 0,
        "completion_tokens": 1024 * images.len(),
        "total_tokens": 1024 * images.len(),
        "cost": price * images.len() as f64
    });
    let created = unix_now();
    let stream = body.get("stream").and_then(Value::as_bool) == Some(true)
        && listing.get("supports_streaming").and_then(Value::as_bool) == Some(true);
    if !stream {
        let items: Vec<Value> = images
            .iter()
            .map(|b| json!({"b64_json": B64.encode(b), "media_type": data::image_mime(b)}))
            .collect();
        return Response::json(
            200,
            &json!({"created": created, "data": items, "usage": usage}),
        )
        .with_header("X-Generation-Id", &generation_id(shared));
    }
    let mut events: Vec<Value> = Vec::new();
    for (i, b) in images.iter().enumerate() {
        for k in 0..2 {
            events.push(json!({
                "type": "image_generation.partial_image",
                "partial_image_index": k,
                "b64_json": B64.encode(&b[..b.len() / 2 + k])
            }));
        }
        let mut done = json!({
            "type": "image_generation.completed",
            "b64_json": B64.encode(b),
            "created": created,
            "media_type": data::image_mime(b)
        });
        if i + 1 == images.len() {
            done["usage"] = usage.clone();
        }
        events.push(done);
    }
    let mut close = false;
    if let Some((after, code)) = &mods.mid_error {
        events.truncate(*after);
        let code = match code {
            Value::Number(n) => Value::String(n.to_string()),
            other => other.clone(),
        };
        events.push(json!({"type": "error", "error": {
            "message": "Provider returned error", "code": code, "type": "server_error", "param": null
        }}));
        close = true;
    }
    let mut framed: Vec<Vec<u8>> = events
        .iter()
        .map(|e| format!("data: {e}\n\n").into_bytes())
        .collect();
    if !close {
        framed.push(b"data: [DONE]\n\n".to_vec());
    }
    let mut resp = Response::new(200, "text/event-stream", Body::Sse(framed))
        .with_header("Cache-Control", "no-cache");
    resp.close = close;
    resp
}

// ---------------------------------------------------------- transcription

/// The audio format of a file name or media type ([I] the extensions the
/// spec names: wav, mp3, flac, m4a, ogg, webm, aac).
fn audio_format_of(filename: Option<&str>, content_type: Option<&str>) -> Option<&'static str> {
    const KNOWN: [&str; 7] = ["wav", "mp3", "flac", "m4a", "ogg", "webm", "aac"];
    let ext = filename
        .and_then(|f| f.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    if let Some(f) = ext.as_deref().and_then(|e| KNOWN.iter().find(|k| **k == e)) {
        return Some(f);
    }
    match content_type?.split(';').next()?.trim() {
        "audio/wav" | "audio/x-wav" | "audio/wave" => Some("wav"),
        "audio/mpeg" | "audio/mp3" => Some("mp3"),
        "audio/flac" => Some("flac"),
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" => Some("m4a"),
        "audio/ogg" => Some("ogg"),
        "audio/webm" => Some("webm"),
        "audio/aac" => Some("aac"),
        _ => None,
    }
}

/// What a transcription request asked for, whichever form it came in.
struct SttAsk {
    model: String,
    bytes: usize,
    format: String,
    language: Option<String>,
    response_format: String,
}

fn stt_from_json(req: &Request) -> Result<SttAsk, Response> {
    let body = parse_object(req, "STTRequest")?;
    let model = required_model(&body)?.to_string();
    let audio = body
        .get("input_audio")
        .ok_or_else(|| bad_request("input_audio: Required"))?;
    let data = audio
        .get("data")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_request("input_audio.data: Required"))?;
    if data.starts_with("data:") {
        return Err(bad_request(
            "input_audio.data: expected raw base64 audio, not a data URI",
        ));
    }
    let bytes = B64
        .decode(data)
        .ok()
        .filter(|b| !b.is_empty())
        .ok_or_else(|| bad_request("input_audio.data: expected non-empty base64 audio"))?;
    let format = match audio.get("format").and_then(Value::as_str) {
        Some(f) if !f.is_empty() => f.to_string(),
        _ => return Err(bad_request("input_audio.format: Required")),
    };
    enum_field(&body, "response_format", &["json", "verbose_json"])?;
    if body.get("language").is_some_and(|l| !l.is_string()) {
        return Err(bad_request("language: expected a string"));
    }
    Ok(SttAsk {
        model,
        bytes: bytes.len(),
        format,
        language: body
            .get("language")
            .and_then(Value::as_str)
            .map(str::to_string),
        response_format: body
            .get("response_format")
            .and_then(Value::as_str)
            .unwrap_or("json")
            .to_string(),
    })
}

fn stt_from_form(content_type: &str, req: &Request) -> Result<SttAsk, Response> {
    let parts = form::parse(content_type, &req.body)
        .ok_or_else(|| bad_request("Invalid multipart/form-data body"))?;
    let field = |name: &str| -> Option<&FormPart> { parts.iter().find(|p| p.name == name) };
    let file = field("file").ok_or_else(|| bad_request("file: Required"))?;
    if file.filename.is_none() || file.data.is_empty() {
        return Err(bad_request("file: expected a non-empty file upload"));
    }
    let format = audio_format_of(file.filename.as_deref(), file.content_type.as_deref())
        .ok_or_else(|| {
            bad_request(
                "file: unsupported audio format (use wav, mp3, flac, m4a, ogg, webm or aac)",
            )
        })?;
    let model = field("model")
        .map(FormPart::text)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| bad_request("model: Required"))?;
    // OpenAI's form takes text, srt and vtt too; OpenRouter's documents json and verbose_json.
    let response_format = field("response_format")
        .map(FormPart::text)
        .unwrap_or_else(|| "json".into());
    if !["json", "verbose_json", "text", "srt", "vtt"].contains(&response_format.as_str()) {
        return Err(bad_request(
            "response_format: expected one of json, verbose_json, text, srt, vtt",
        ));
    }
    if let Some(t) = field("temperature") {
        if t.text().parse::<f64>().is_err() {
            return Err(bad_request("temperature: expected a number"));
        }
    }
    Ok(SttAsk {
        model,
        bytes: file.data.len(),
        format: format.to_string(),
        language: field("language").map(FormPart::text),
        response_format,
    })
}

fn clock(secs: f64, sep: char) -> String {
    let ms = (secs * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}{sep}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// `POST /audio/transcriptions`: OpenRouter's JSON form (`input_audio`
/// base64) or OpenAI's multipart form (`file`). The transcript is
/// deterministic (or [`crate::Step::Transcript`]); `verbose_json` adds
/// language, duration and two segments; the multipart form's `text`, `srt`
/// and `vtt` answer plain text.
pub(crate) fn transcriptions(req: &Request, mods: &MediaMods) -> Response {
    let content_type = req.header("content-type").unwrap_or("").to_string();
    let kind = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let ask = match kind.as_str() {
        "application/json" => stt_from_json(req),
        "multipart/form-data" => stt_from_form(&content_type, req),
        _ => Err(bad_request(
            "Content-Type must be application/json or multipart/form-data",
        )),
    };
    let ask = match ask {
        Ok(a) => a,
        Err(r) => return r,
    };
    if ask.model.contains("missing") {
        return model_not_found(&ask.model);
    }
    let text = mods.transcript.clone().unwrap_or_else(|| {
        let lang = ask
            .language
            .as_deref()
            .map(|l| format!(" Language: {l}."))
            .unwrap_or_default();
        format!(
            "Transcribed {} bytes of {} audio.{lang}",
            ask.bytes, ask.format
        )
    });
    let duration = ((ask.bytes as f64 / 32_000.0) * 100.0).round() / 100.0;
    let duration = duration.max(0.1);
    let words: Vec<&str> = text.split_whitespace().collect();
    let half = words.len().div_ceil(2);
    let segments: Vec<(f64, f64, String)> = [&words[..half], &words[half..]]
        .iter()
        .enumerate()
        .filter(|(_, w)| !w.is_empty())
        .map(|(i, w)| {
            let (a, b) = (i as f64 * duration / 2.0, (i + 1) as f64 * duration / 2.0);
            (a, b, w.join(" "))
        })
        .collect();
    let tokens = (text.len() as u64).div_ceil(4).max(1);
    let usage = json!({
        "seconds": duration,
        "input_tokens": (duration * 10.0).ceil() as u64,
        "output_tokens": tokens,
        "total_tokens": (duration * 10.0).ceil() as u64 + tokens,
        "cost": duration * 0.0001
    });
    match ask.response_format.as_str() {
        "text" => Response::new(
            200,
            "text/plain; charset=utf-8",
            Body::Bytes(text.into_bytes()),
        ),
        f @ ("srt" | "vtt") => {
            let vtt = f == "vtt";
            let mut out = if vtt {
                "WEBVTT\n\n".to_string()
            } else {
                String::new()
            };
            for (i, (a, b, t)) in segments.iter().enumerate() {
                if !vtt {
                    out.push_str(&format!("{}\n", i + 1));
                }
                let sep = if vtt { '.' } else { ',' };
                out.push_str(&format!(
                    "{} --> {}\n{t}\n\n",
                    clock(*a, sep),
                    clock(*b, sep)
                ));
            }
            Response::new(
                200,
                "text/plain; charset=utf-8",
                Body::Bytes(out.into_bytes()),
            )
        }
        "verbose_json" => Response::json(
            200,
            &json!({
                "text": text,
                "task": "transcribe",
                "language": ask.language.clone().unwrap_or_else(|| "english".into()),
                "duration": duration,
                "segments": segments.iter().enumerate().map(|(i, (a, b, t))| json!({
                    "id": i, "start": a, "end": b, "text": t
                })).collect::<Vec<_>>(),
                "usage": usage
            }),
        ),
        _ => Response::json(200, &json!({"text": text, "usage": usage})),
    }
}

// ------------------------------------------------------------- embeddings

/// A deterministic unit vector of `dims` numbers for `text`.
fn embedding(text: &str, dims: usize) -> Vec<f64> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let raw: Vec<f64> = (0..dims as u64)
        .map(|i| {
            let x = crate::rng::splitmix64(h ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect();
    let norm = raw.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
    raw.iter()
        .map(|x| ((x / norm) * 1e6).round() / 1e6)
        .collect()
}

/// `POST /embeddings`: one vector per text input (8 numbers unless
/// `dimensions`), `index`ed, in order unless
/// [`crate::Step::EmbeddingsReversed`]; floats, or base64 of little-endian
/// `f32`s with `encoding_format: "base64"`.
pub(crate) fn embeddings(shared: &Shared, req: &Request, mods: &MediaMods) -> Response {
    let body = match parse_object(req, "embeddings request") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let model = match required_model(&body) {
        Ok(m) => m.to_string(),
        Err(r) => return r,
    };
    let inputs: Vec<String> = match body.get("input") {
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        Some(Value::Array(a)) if !a.is_empty() => {
            let texts: Option<Vec<String>> = a
                .iter()
                .map(|x| x.as_str().filter(|s| !s.is_empty()).map(str::to_string))
                .collect();
            match texts {
                Some(t) => t,
                None => {
                    return bad_request("input: expected non-empty strings (this fake embeds text)")
                }
            }
        }
        Some(_) => return bad_request("input: expected a non-empty string or array of strings"),
        None => return bad_request("input: Required"),
    };
    // [I] OpenAI's documented cap; OpenRouter documents none.
    if inputs.len() > 2048 {
        return bad_request("input: at most 2048 inputs per request");
    }
    let dims = match int_field(&body, "dimensions", 1, 4096) {
        Ok(d) => d.unwrap_or(8) as usize,
        Err(r) => return r,
    };
    if let Err(r) = enum_field(&body, "encoding_format", &["float", "base64"]) {
        return r;
    }
    if model.contains("missing") {
        return model_not_found(&model);
    }
    let as_base64 = body.get("encoding_format").and_then(Value::as_str) == Some("base64");
    let mut items: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let v = embedding(t, dims);
            let e = if as_base64 {
                let bytes: Vec<u8> = v.iter().flat_map(|x| (*x as f32).to_le_bytes()).collect();
                json!(B64.encode(bytes))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "embedding": e, "index": i})
        })
        .collect();
    if mods.reversed {
        items.reverse();
    }
    let tokens: u64 = inputs
        .iter()
        .map(|t| (t.chars().count() as u64).div_ceil(4).max(1))
        .sum();
    let id = format!("embd-{}", generation_id(shared).trim_start_matches("gen-"));
    Response::json(
        200,
        &json!({
            "id": id,
            "object": "list",
            "data": items,
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens, "cost": tokens as f64 * 0.000_000_02}
        }),
    )
}

// ------------------------------------------------------------------- chat

/// Checks the content parts of every message; `Err` is the 400 answer.
pub(crate) fn check_content_parts(messages: &[Value]) -> Result<(), Response> {
    for (i, m) in messages.iter().enumerate() {
        let Some(parts) = m.get("content").and_then(Value::as_array) else {
            continue;
        };
        let role = m.get("role").and_then(Value::as_str).unwrap_or("");
        for (j, p) in parts.iter().enumerate() {
            let at = format!("messages[{i}].content[{j}]");
            let t = p.get("type").and_then(Value::as_str).unwrap_or("");
            if role != "user" && t != "text" {
                return Err(bad_request(&format!(
                    "{at}.type: only text parts are allowed in {role} messages"
                )));
            }
            match t {
                "text" => {
                    if p.get("text").and_then(Value::as_str).is_none() {
                        return Err(bad_request(&format!("{at}.text: Required")));
                    }
                }
                "image_url" => {
                    let url = p.pointer("/image_url/url").and_then(Value::as_str);
                    if !url.is_some_and(|u| media_url_ok(u, "image")) {
                        return Err(bad_request(&format!(
                            "{at}.image_url.url: expected an http(s) URL or a base64 image data URL"
                        )));
                    }
                }
                "input_audio" => {
                    let data = p.pointer("/input_audio/data").and_then(Value::as_str);
                    let ok = data.is_some_and(|d| {
                        !d.starts_with("data:") && B64.decode(d).is_ok_and(|b| !b.is_empty())
                    });
                    if !ok {
                        return Err(bad_request(&format!(
                            "{at}.input_audio.data: expected base64 audio bytes"
                        )));
                    }
                    if p.pointer("/input_audio/format")
                        .and_then(Value::as_str)
                        .is_none_or(str::is_empty)
                    {
                        return Err(bad_request(&format!("{at}.input_audio.format: Required")));
                    }
                }
                "file" => {
                    let f = p.get("file");
                    let data = f.and_then(|f| f.get("file_data")).and_then(Value::as_str);
                    let id = f.and_then(|f| f.get("file_id")).and_then(Value::as_str);
                    if data.is_none() && id.is_none() {
                        return Err(bad_request(&format!(
                            "{at}.file: file_data or file_id is required"
                        )));
                    }
                    if data.is_some_and(|d| !media_url_ok(d, "")) {
                        return Err(bad_request(&format!(
                            "{at}.file.file_data: expected a base64 data URL or an http(s) URL"
                        )));
                    }
                }
                "video_url" | "input_video" => {}
                other => {
                    return Err(bad_request(&format!(
                        "{at}.type: {other:?} is not a content part type"
                    )))
                }
            }
        }
    }
    Ok(())
}

/// A short description of the last user message's attachments, e.g.
/// ` [attached: image, audio/wav, file report.pdf]`, or empty.
pub(crate) fn attachments_note(last_user: Option<&Value>) -> String {
    let Some(parts) = last_user
        .and_then(|m| m.get("content"))
        .and_then(Value::as_array)
    else {
        return String::new();
    };
    let names: Vec<String> = parts
        .iter()
        .filter_map(|p| match p.get("type").and_then(Value::as_str)? {
            "image_url" => Some("image".to_string()),
            "input_audio" => Some(format!(
                "audio/{}",
                p.pointer("/input_audio/format")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            )),
            "file" => Some(format!(
                "file {}",
                p.pointer("/file/filename")
                    .and_then(Value::as_str)
                    .unwrap_or("(unnamed)")
            )),
            "text" => None,
            other => Some(other.to_string()),
        })
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!(" [attached: {}]", names.join(", "))
    }
}

const EFFORTS: [&str; 7] = ["max", "xhigh", "high", "medium", "low", "minimal", "none"];

/// The reasoning effort asked for (`reasoning.effort`, else
/// `reasoning_effort`); `Err` is the 400 answer for an unknown effort.
pub(crate) fn reasoning_effort(body: &Value) -> Result<Option<String>, Response> {
    for (field, v) in [
        ("reasoning.effort", body.pointer("/reasoning/effort")),
        ("reasoning_effort", body.get("reasoning_effort")),
    ] {
        match v {
            None | Some(Value::Null) => {}
            Some(Value::String(e)) if EFFORTS.contains(&e.as_str()) => return Ok(Some(e.clone())),
            Some(_) => {
                return Err(bad_request(&format!(
                    "{field}: expected one of {}",
                    EFFORTS.join(", ")
                )))
            }
        }
    }
    if body.get("reasoning").is_some_and(|r| !r.is_object()) {
        return Err(bad_request("reasoning: expected an object"));
    }
    Ok(None)
}

/// Checks `provider` preferences; answers the provider that serves (the
/// first of `order`), if named. `Err` is the 400 answer.
pub(crate) fn provider_choice(body: &Value) -> Result<Option<String>, Response> {
    let Some(p) = body.get("provider") else {
        return Ok(None);
    };
    if p.is_null() {
        return Ok(None);
    }
    if !p.is_object() {
        return Err(bad_request("provider: expected an object"));
    }
    enum_field(p, "data_collection", &["allow", "deny"])?;
    match p.get("sort") {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(Value::String(s))
            if ["price", "throughput", "latency", "exacto"].contains(&s.as_str()) => {}
        Some(_) => {
            return Err(bad_request(
                "provider.sort: expected price, throughput, latency or exacto",
            ))
        }
    }
    for f in ["allow_fallbacks", "require_parameters", "zdr"] {
        if p.get(f).is_some_and(|v| !v.is_boolean() && !v.is_null()) {
            return Err(bad_request(&format!("provider.{f}: expected a boolean")));
        }
    }
    for f in ["order", "only", "ignore"] {
        if p.get(f).is_some_and(|v| !v.is_array() && !v.is_null()) {
            return Err(bad_request(&format!("provider.{f}: expected an array")));
        }
    }
    Ok(p.pointer("/order/0")
        .and_then(Value::as_str)
        .map(str::to_string))
}

/// The answer to a `response_format` request, if it asks for JSON: a
/// value valid against a `json_schema` (or, with `violate`, one of the
/// wrong type), or `{"answer": ...}` for `json_object`. `Err` is the 400
/// answer for a malformed `response_format`.
pub(crate) fn structured_answer(
    body: &Value,
    text: &str,
    violate: bool,
) -> Result<Option<String>, Response> {
    let Some(rf) = body.get("response_format") else {
        return Ok(None);
    };
    match rf.get("type").and_then(Value::as_str) {
        Some("text") => Ok(None),
        Some("json_object") => Ok(Some(json!({"answer": text}).to_string())),
        Some("json_schema") => {
            let js = rf
                .get("json_schema")
                .ok_or_else(|| bad_request("response_format.json_schema: Required"))?;
            let name = js.get("name").and_then(Value::as_str).unwrap_or("");
            let name_ok = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !name_ok {
                return Err(bad_request(
                    "response_format.json_schema.name: 1 to 64 letters, digits, _ or -",
                ));
            }
            let schema = js.get("schema").cloned().unwrap_or(json!({}));
            if !schema.is_object() {
                return Err(bad_request(
                    "response_format.json_schema.schema: expected an object",
                ));
            }
            let value = if violate {
                wrong_type_for(&schema)
            } else {
                sample_for(&schema, &schema, 0)
            };
            Ok(Some(value.to_string()))
        }
        Some("grammar" | "python") => Ok(None),
        _ => Err(bad_request(
            "response_format.type: expected text, json_object, json_schema, grammar or python",
        )),
    }
}

/// A value that violates `schema` by its type.
fn wrong_type_for(schema: &Value) -> Value {
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => json!({"not": "a string"}),
        _ => json!("this answer does not follow the requested schema"),
    }
}

/// A value valid against `schema` (whose `$ref`s point into `root`), for
/// the keywords JSON-schema answers use.
pub(crate) fn sample_for(schema: &Value, root: &Value, depth: usize) -> Value {
    if depth > 32 {
        return Value::Null;
    }
    let Some(s) = schema.as_object() else {
        return Value::Null;
    };
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let target = r.strip_prefix('#').and_then(|p| root.pointer(p));
        return target.map_or(Value::Null, |t| sample_for(t, root, depth + 1));
    }
    if let Some(c) = s.get("const") {
        return c.clone();
    }
    if let Some(first) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(first) = s.get(key).and_then(Value::as_array).and_then(|a| a.first()) {
            return sample_for(first, root, depth + 1);
        }
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        let mut merged = serde_json::Map::new();
        for sub in all {
            if let Value::Object(o) = sample_for(sub, root, depth + 1) {
                merged.extend(o);
            }
        }
        return Value::Object(merged);
    }
    let ty = match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if s.contains_key("properties") => "object",
        _ if s.contains_key("items") => "array",
        _ => "string",
    };
    let num = |default: f64| {
        let lo = s.get("minimum").and_then(Value::as_f64);
        let hi = s.get("maximum").and_then(Value::as_f64);
        let mut x = lo.unwrap_or(default);
        if let Some(h) = hi {
            x = x.min(h);
        }
        if let Some(ex) = s.get("exclusiveMinimum").and_then(Value::as_f64) {
            x = x.max(ex + 1.0);
        }
        x
    };
    match ty {
        "object" => {
            let mut o = serde_json::Map::new();
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (k, v) in props {
                    o.insert(k.clone(), sample_for(v, root, depth + 1));
                }
            }
            for r in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                o.entry(r.to_string()).or_insert(json!("value"));
            }
            Value::Object(o)
        }
        "array" => {
            let n = s
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .max(1);
            let n = s
                .get("maxItems")
                .and_then(Value::as_u64)
                .map_or(n, |m| n.min(m));
            let item = s.get("items").cloned().unwrap_or(json!({}));
            Value::Array((0..n).map(|_| sample_for(&item, root, depth + 1)).collect())
        }
        "integer" => json!(num(1.0).ceil() as i64),
        "number" => json!(num(1.5)),
        "boolean" => json!(true),
        "null" => Value::Null,
        _ => {
            let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
            let mut t = "sample".to_string();
            while t.len() < min {
                t.push('x');
            }
            if let Some(max) = s.get("maxLength").and_then(Value::as_u64) {
                t.truncate(max as usize);
            }
            json!(t)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Spec;

    #[test]
    fn samples_follow_their_schema() {
        let schema = json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 10},
                "age": {"type": "integer", "minimum": 3},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                "kind": {"enum": ["cat", "dog"]},
                "home": {"$ref": "#/$defs/home"},
                "maybe": {"type": ["null", "number"]}
            },
            "required": ["name", "age", "extra"],
            "additionalProperties": true,
            "$defs": {"home": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
        });
        let v = sample_for(&schema, &schema, 0);
        let spec = Spec::from_value(schema.clone());
        assert_eq!(spec.validate_with(&schema, &v), Ok(()), "{v}");
        assert!(spec
            .validate_with(&schema, &wrong_type_for(&schema))
            .is_err());
    }

    #[test]
    fn embeddings_are_deterministic_unit_vectors() {
        let a = embedding("hello", 16);
        assert_eq!(a, embedding("hello", 16));
        assert_ne!(a, embedding("hellp", 16));
        let norm: f64 = a.iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
    }
}

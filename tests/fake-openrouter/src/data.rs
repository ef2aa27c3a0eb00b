/*!
Canned payloads: sample media files, the deterministic generated video stream,
and the default model catalogs served by `GET /models` and `GET /videos/models`.
*/

use serde_json::{json, Value};

use crate::rng::splitmix64;

/// A real 1x1 RGBA PNG (70 bytes).
const PNG_1X1: [u8; 70] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xf8, 0x9f, 0xc6, 0xf0,
    0x1f, 0x00, 0x06, 0x32, 0x02, 0x65, 0xec, 0x57, 0xd0, 0x75, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Seed of the default sample video.
const SAMPLE_MP4_SEED: u64 = 0x5EED_0F00;
/// Length of the default sample video.
const SAMPLE_MP4_LEN: u64 = 64 * 1024;

/// The `ftyp` box that starts every generated video.
const FTYP: [u8; 24] = [
    0, 0, 0, 24, b'f', b't', b'y', b'p', b'i', b's', b'o', b'm', 0, 0, 2, 0, b'i', b's', b'o',
    b'm', b'm', b'p', b'4', b'1',
];

/// A real tiny valid PNG (1x1 pixel, RGBA).
pub fn sample_png() -> Vec<u8> {
    PNG_1X1.to_vec()
}

/// A short MP3: an empty ID3v2.3 tag followed by four silent MPEG-1 Layer III
/// frames (frame sync `0xFF 0xFB`, 128 kbit/s, 44.1 kHz).
pub fn sample_mp3() -> Vec<u8> {
    let mut out = vec![b'I', b'D', b'3', 3, 0, 0, 0, 0, 0, 0];
    for _ in 0..4 {
        let mut frame = vec![0u8; 417];
        frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
        out.extend_from_slice(&frame);
    }
    out
}

/// The default small video: an MP4-looking file (valid `ftyp` + `mdat` boxes),
/// 64 KiB, deterministic.
pub fn sample_mp4() -> Vec<u8> {
    generated_bytes(SAMPLE_MP4_LEN, SAMPLE_MP4_SEED)
}

/// Deterministic PCM speech stand-in: 2400 16-bit little-endian mono samples
/// (100 ms of a 440 Hz tone at 24 kHz) = 4800 bytes.
pub(crate) fn sample_pcm() -> Vec<u8> {
    let mut out = Vec::with_capacity(4800);
    for n in 0..2400u32 {
        let t = f64::from(n) / 24_000.0;
        let s = ((2.0 * std::f64::consts::PI * 440.0 * t).sin() * 8000.0).round() as i16;
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// The exact bytes that [`crate::FileSource::Generated`] serves for `len` and `seed`.
pub fn generated_bytes(len: u64, seed: u64) -> Vec<u8> {
    let mut buf = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
    fill_generated(seed, len, 0, &mut buf);
    buf
}

/// The box headers at the start of a generated file of `total` bytes:
/// `ftyp`, then an `mdat` box header covering the rest of the file.
fn generated_header(total: u64) -> Vec<u8> {
    let mut h = FTYP.to_vec();
    let rest = total.saturating_sub(FTYP.len() as u64);
    if rest <= u64::from(u32::MAX) {
        h.extend_from_slice(&(rest as u32).to_be_bytes());
        h.extend_from_slice(b"mdat");
    } else {
        h.extend_from_slice(&1u32.to_be_bytes());
        h.extend_from_slice(b"mdat");
        h.extend_from_slice(&rest.to_be_bytes());
    }
    h
}

/// One 8-byte word of the pseudo-random payload, by absolute word index.
#[inline(always)]
fn payload_word(key: u64, index: u64) -> [u8; 8] {
    splitmix64(key ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03)).to_le_bytes()
}

/// Fills `buf` with bytes `offset..offset + buf.len()` of the generated file of
/// `total` bytes (the caller keeps the range within `total`). Random access
/// makes range requests and streaming from a reusable buffer cheap.
pub(crate) fn fill_generated(seed: u64, total: u64, offset: u64, buf: &mut [u8]) {
    let header = generated_header(total);
    let key = splitmix64(seed);
    let mut pos = offset;
    let mut i = 0;
    while i < buf.len() && pos < header.len() as u64 {
        buf[i] = header[pos as usize];
        i += 1;
        pos += 1;
    }
    while i < buf.len() && pos % 8 != 0 {
        buf[i] = payload_word(key, pos / 8)[(pos % 8) as usize];
        i += 1;
        pos += 1;
    }
    let mut word = pos / 8;
    let mut chunks = buf[i..].chunks_exact_mut(8);
    for c in &mut chunks {
        c.copy_from_slice(&payload_word(key, word));
        word += 1;
    }
    let tail = chunks.into_remainder();
    if !tail.is_empty() {
        let w = payload_word(key, word);
        let n = tail.len();
        tail.copy_from_slice(&w[..n]);
    }
}

/// Guesses an image MIME type from magic bytes (PNG when unknown).
pub(crate) fn image_mime(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.starts_with(b"GIF8") {
        "image/gif"
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else {
        "image/png"
    }
}

/// One entry of the default `/models` catalog.
fn model(
    id: &str,
    name: &str,
    tokenizer: &str,
    input: &[&str],
    output: &[&str],
    pricing: Value,
    voices: Option<&[&str]>,
) -> Value {
    let modality = format!("{}->{}", input.join("+"), output.join("+"));
    let text_params = output.contains(&"text");
    json!({
        "id": id,
        "canonical_slug": id,
        "hugging_face_id": null,
        "name": name,
        "created": 1_767_225_600,
        "description": format!("{name} (served by the Switchyard fake OpenRouter)"),
        "context_length": if text_params { json!(131_072) } else { json!(null) },
        "architecture": {
            "modality": modality,
            "input_modalities": input,
            "output_modalities": output,
            "tokenizer": tokenizer,
            "instruct_type": null
        },
        "pricing": pricing,
        "top_provider": {
            "context_length": if text_params { json!(131_072) } else { json!(null) },
            "max_completion_tokens": if text_params { json!(16_384) } else { json!(null) },
            "is_moderated": false
        },
        "per_request_limits": null,
        "supported_parameters": if text_params {
            json!(["temperature", "top_p", "max_tokens", "stop", "seed", "response_format", "tools", "tool_choice"])
        } else {
            json!([])
        },
        "default_parameters": null,
        "supported_voices": voices,
        "expiration_date": null,
        "knowledge_cutoff": null,
        "links": { "details": format!("/api/v1/models/{id}/endpoints") }
    })
}

/// The default `GET /models` catalog entries (unfiltered).
pub(crate) fn default_models() -> Vec<Value> {
    vec![
        model(
            "openrouter/auto",
            "Auto Router",
            "Router",
            &["text", "image"],
            &["text"],
            json!({"prompt": "-1", "completion": "-1"}),
            None,
        ),
        model(
            "openai/gpt-4o-mini",
            "OpenAI: GPT-4o-mini",
            "GPT",
            &["text", "image", "file"],
            &["text"],
            json!({"prompt": "0.00000015", "completion": "0.0000006", "request": "0", "image": "0"}),
            None,
        ),
        model(
            "moonshotai/kimi-k2.6",
            "MoonshotAI: Kimi K2.6",
            "Other",
            &["text"],
            &["text"],
            json!({"prompt": "0.0000006", "completion": "0.0000025"}),
            None,
        ),
        model(
            "google/gemini-3.1-flash-image-preview",
            "Google: Gemini 3.1 Flash Image Preview",
            "Gemini",
            &["image", "text"],
            &["image", "text"],
            json!({"prompt": "0.0000003", "completion": "0.0000025", "image_output": "0.00003"}),
            None,
        ),
        model(
            "hexgrad/kokoro-82m",
            "Kokoro 82M",
            "Other",
            &["text"],
            &["speech"],
            json!({"prompt": "0.0000008", "completion": "0"}),
            Some(&["af_alloy", "af_heart", "am_adam"]),
        ),
        model(
            "google/veo-3.1-fast",
            "Google: Veo 3.1 Fast",
            "Other",
            &["text", "image"],
            &["video"],
            json!({"prompt": "0", "completion": "0"}),
            None,
        ),
        model(
            "openai/whisper-large-v3",
            "OpenAI: Whisper Large v3",
            "Other",
            &["audio"],
            &["transcription"],
            json!({"prompt": "0", "completion": "0", "request": "0", "audio": "0.0000001"}),
            None,
        ),
        model(
            "openai/text-embedding-3-small",
            "Text Embedding 3 Small",
            "GPT",
            &["text"],
            &["embeddings"],
            json!({"prompt": "0.00000002", "completion": "0", "request": "0", "image": "0"}),
            None,
        ),
    ]
}

/// The ratios OpenRouter's Image API accepts (`ImageGenerationRequest.aspect_ratio`).
pub(crate) const IMAGE_ASPECT_RATIOS: [&str; 22] = [
    "1:1", "1:2", "1:4", "1:8", "2:1", "2:3", "3:2", "3:4", "4:1", "4:3", "4:5", "5:4", "8:1",
    "9:16", "16:9", "9:19.5", "19.5:9", "9:20", "20:9", "9:21", "21:9", "auto",
];

/// One `/images/models` entry.
fn image_model(
    id: &str,
    name: &str,
    input: &[&str],
    supported_parameters: Value,
    streaming: bool,
) -> Value {
    json!({
        "id": id,
        "name": name,
        "description": format!("{name} (served by the Switchyard fake OpenRouter)"),
        "created": 1_767_225_600,
        "architecture": {"input_modalities": input, "output_modalities": ["image"]},
        "supported_parameters": supported_parameters,
        "supports_streaming": streaming,
        "endpoints": format!("/api/v1/images/models/{id}/endpoints")
    })
}

/// The default `GET /images/models` body: `bytedance-seed/seedream-4.5`
/// (the spec's example, buffered) and `openai/gpt-5-image` (streams partial
/// images, as OpenAI's endpoints do).
pub(crate) fn default_image_models() -> Value {
    json!({"data": [
        image_model(
            "bytedance-seed/seedream-4.5",
            "Seedream 4.5",
            &["text", "image"],
            json!({
                "resolution": {"type": "enum", "values": ["1K", "2K", "4K"]},
                "aspect_ratio": {"type": "enum", "values": ["1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3", "21:9"]},
                "n": {"type": "range", "min": 1, "max": 4},
                "seed": {"type": "boolean"}
            }),
            false,
        ),
        image_model(
            "openai/gpt-5-image",
            "OpenAI: GPT-5 Image",
            &["text", "image"],
            json!({
                "quality": {"type": "enum", "values": ["auto", "low", "medium", "high"]},
                "aspect_ratio": {"type": "enum", "values": ["1:1", "2:3", "3:2", "auto"]},
                "n": {"type": "range", "min": 1, "max": 10},
                "output_format": {"type": "enum", "values": ["png", "jpeg", "webp"]},
                "background": {"type": "enum", "values": ["auto", "transparent", "opaque"]}
            }),
            true,
        ),
    ]})
}

/// The default `GET /images/models/{id}/endpoints` body of a listed image model.
pub(crate) fn default_image_endpoints(model: &Value) -> Value {
    let id = model.get("id").and_then(Value::as_str).unwrap_or("");
    let name = id.split('/').next().unwrap_or(id);
    let pricing = if id == "openai/gpt-5-image" {
        json!([
            {"billable": "output_image", "unit": "image", "cost_usd": 0.04},
            {"billable": "input_text", "unit": "token", "cost_usd": 0.000005}
        ])
    } else {
        json!([{"billable": "output_image", "unit": "image", "cost_usd": 0.05}])
    };
    json!({"id": id, "endpoints": [{
        "provider_name": name,
        "provider_slug": name,
        "provider_tag": name,
        "supported_parameters": model.get("supported_parameters").cloned().unwrap_or(json!({})),
        "allowed_passthrough_parameters": [],
        "supports_streaming": model.get("supports_streaming").cloned().unwrap_or(json!(false)),
        "pricing": pricing
    }]})
}

/// A short WAV file: 0.1 s of a 440 Hz tone, 16 kHz mono 16-bit.
pub fn sample_wav() -> Vec<u8> {
    let samples: Vec<i16> = (0..1600u32)
        .map(|n| {
            let t = f64::from(n) / 16_000.0;
            ((2.0 * std::f64::consts::PI * 440.0 * t).sin() * 8000.0).round() as i16
        })
        .collect();
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&16_000u32.to_le_bytes());
    out.extend_from_slice(&32_000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// The default `GET /videos/models` body.
pub(crate) fn default_video_models() -> Value {
    json!({
        "data": [{
            "id": "google/veo-3.1-fast",
            "canonical_slug": "google/veo-3.1-fast",
            "hugging_face_id": null,
            "name": "Google: Veo 3.1 Fast",
            "description": "Fast text-to-video and image-to-video (fake catalog entry)",
            "created": 1_767_225_600,
            "supported_resolutions": ["720p", "1080p"],
            "supported_aspect_ratios": ["16:9", "9:16"],
            "supported_sizes": ["1280x720", "720x1280", "1920x1080", "1080x1920"],
            "supported_durations": [4, 6, 8],
            "supported_frame_images": ["first_frame", "last_frame"],
            "upscale_factor": null,
            "creativity": null,
            "generate_audio": true,
            "seed": true,
            "allowed_passthrough_parameters": ["negativePrompt", "personGeneration"],
            "pricing_skus": {"per-video-second": "0.15", "per-video-second-1080p": "0.20"}
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_is_random_access_consistent() {
        let all = generated_bytes(1000, 42);
        assert_eq!(&all[4..8], b"ftyp");
        assert_eq!(&all[28..32], b"mdat");
        assert_eq!(
            u32::from_be_bytes([all[24], all[25], all[26], all[27]]),
            1000 - 24
        );
        for start in [0usize, 1, 7, 23, 31, 32, 33, 500, 999] {
            for len in [0usize, 1, 3, 8, 9, 17] {
                let end = (start + len).min(1000);
                let mut part = vec![0u8; end - start];
                fill_generated(42, 1000, start as u64, &mut part);
                assert_eq!(&part[..], &all[start..end], "start {start} len {len}");
            }
        }
        assert_ne!(generated_bytes(1000, 43), all);
        assert_eq!(generated_bytes(10, 1), FTYP[..10].to_vec());
    }

    #[test]
    fn samples_look_right() {
        assert!(sample_png().starts_with(b"\x89PNG\r\n\x1a\n"));
        let mp3 = sample_mp3();
        assert!(mp3.starts_with(b"ID3"));
        assert_eq!(&mp3[10..12], &[0xFF, 0xFB]);
        assert_eq!(sample_pcm().len(), 4800);
        assert_eq!(sample_mp4().len(), 65536);
        assert_eq!(image_mime(&sample_png()), "image/png");
        assert_eq!(image_mime(&[0xFF, 0xD8, 0xFF, 0xE0]), "image/jpeg");
        let wav = sample_wav();
        assert!(wav.starts_with(b"RIFF") && &wav[8..12] == b"WAVE");
        assert_eq!(wav.len(), 44 + 3200);
    }
}

/*!
Recognising media by its bytes, and turning local images into data URLs.

Formats are decided from magic bytes, never from file names or the
provider's `Content-Type` alone: PNG, JPEG, WebP and GIF for images; MP4 and
QuickTime (`ftyp`/`moov`/`mdat` boxes) and WebM/Matroska for video; MP3 (ID3
or MPEG frame sync) and WAV for audio.

Audio inputs (a transcription, a chat's `--audio`) are recognised by
[`audio_of`]: WAV, MP3, FLAC, Ogg, WebM, MP4/M4A, AAC (ADTS) and AIFF from
their bytes, raw PCM (which has no header) from a `.pcm` name only.
Attached files (`--file`) get a media type from [`file_media_type`].
*/

use base64::Engine;

/// A recognised media format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// image/png
    Png,
    /// image/jpeg
    Jpeg,
    /// image/webp
    Webp,
    /// image/gif
    Gif,
    /// video/mp4 (ISO base media)
    Mp4,
    /// video/quicktime
    QuickTime,
    /// video/webm (Matroska/EBML)
    Webm,
    /// audio/mpeg
    Mp3,
    /// audio/wav
    Wav,
}

impl Format {
    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Webp => "image/webp",
            Format::Gif => "image/gif",
            Format::Mp4 => "video/mp4",
            Format::QuickTime => "video/quicktime",
            Format::Webm => "video/webm",
            Format::Mp3 => "audio/mpeg",
            Format::Wav => "audio/wav",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpg",
            Format::Webp => "webp",
            Format::Gif => "gif",
            Format::Mp4 => "mp4",
            Format::QuickTime => "mov",
            Format::Webm => "webm",
            Format::Mp3 => "mp3",
            Format::Wav => "wav",
        }
    }

    /// Whether this is an image format.
    pub fn is_image(self) -> bool {
        matches!(
            self,
            Format::Png | Format::Jpeg | Format::Webp | Format::Gif
        )
    }

    /// Whether this is a video format.
    pub fn is_video(self) -> bool {
        matches!(self, Format::Mp4 | Format::QuickTime | Format::Webm)
    }
}

/// Recognises the format of `b` from its first bytes.
pub fn sniff(b: &[u8]) -> Option<Format> {
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Format::Png);
    }
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Format::Jpeg);
    }
    if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        return Some(Format::Webp);
    }
    if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WAVE" {
        return Some(Format::Wav);
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return Some(Format::Gif);
    }
    if b.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(Format::Webm);
    }
    if b.len() >= 12 {
        match &b[4..8] {
            b"ftyp" => {
                return Some(if &b[8..12] == b"qt  " {
                    Format::QuickTime
                } else {
                    Format::Mp4
                });
            }
            b"moov" | b"mdat" | b"wide" | b"free" | b"skip" => return Some(Format::QuickTime),
            _ => {}
        }
    }
    if b.starts_with(b"ID3") || (b.len() >= 2 && b[0] == 0xFF && (b[1] & 0xE0) == 0xE0) {
        return Some(Format::Mp3);
    }
    None
}

/// An audio format, named as OpenAI-style APIs name it (`input_audio.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    /// RIFF WAVE.
    Wav,
    /// MPEG audio (ID3 tag or frame sync).
    Mp3,
    /// FLAC (`fLaC`).
    Flac,
    /// Ogg (Vorbis, Opus: `OggS`).
    Ogg,
    /// WebM/Matroska audio (EBML).
    Webm,
    /// MP4 audio (`ftyp` box): M4A.
    M4a,
    /// AAC in ADTS frames.
    Aac,
    /// AIFF (`FORM` ... `AIFF`/`AIFC`).
    Aiff,
    /// Raw 16-bit PCM (no header; known from a `.pcm` name only).
    Pcm,
}

impl AudioFormat {
    /// The format's name (`wav`, `mp3`, ...), also its usual extension.
    pub fn name(self) -> &'static str {
        match self {
            AudioFormat::Wav => "wav",
            AudioFormat::Mp3 => "mp3",
            AudioFormat::Flac => "flac",
            AudioFormat::Ogg => "ogg",
            AudioFormat::Webm => "webm",
            AudioFormat::M4a => "m4a",
            AudioFormat::Aac => "aac",
            AudioFormat::Aiff => "aiff",
            AudioFormat::Pcm => "pcm",
        }
    }

    /// The media type.
    pub fn mime(self) -> &'static str {
        match self {
            AudioFormat::Wav => "audio/wav",
            AudioFormat::Mp3 => "audio/mpeg",
            AudioFormat::Flac => "audio/flac",
            AudioFormat::Ogg => "audio/ogg",
            AudioFormat::Webm => "audio/webm",
            AudioFormat::M4a => "audio/mp4",
            AudioFormat::Aac => "audio/aac",
            AudioFormat::Aiff => "audio/aiff",
            AudioFormat::Pcm => "audio/pcm",
        }
    }

    /// The format an audio file name's extension names, if any.
    pub fn from_name(name: &str) -> Option<AudioFormat> {
        let p = name.split(['?', '#']).next().unwrap_or(name);
        let (_, ext) = p.rsplit_once('.')?;
        Some(match ext.to_ascii_lowercase().as_str() {
            "wav" | "wave" => AudioFormat::Wav,
            "mp3" => AudioFormat::Mp3,
            "flac" => AudioFormat::Flac,
            "ogg" | "oga" | "opus" => AudioFormat::Ogg,
            "webm" => AudioFormat::Webm,
            "m4a" | "mp4" => AudioFormat::M4a,
            "aac" => AudioFormat::Aac,
            "aif" | "aiff" => AudioFormat::Aiff,
            "pcm" => AudioFormat::Pcm,
            _ => return None,
        })
    }
}

/// The audio format of `b` from its first bytes (raw PCM cannot be told).
pub fn sniff_audio(b: &[u8]) -> Option<AudioFormat> {
    let at = |range: std::ops::Range<usize>| b.get(range);
    if at(0..4) == Some(b"RIFF") && at(8..12) == Some(b"WAVE") {
        return Some(AudioFormat::Wav);
    }
    if b.starts_with(b"fLaC") {
        return Some(AudioFormat::Flac);
    }
    if b.starts_with(b"OggS") {
        return Some(AudioFormat::Ogg);
    }
    if b.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(AudioFormat::Webm);
    }
    if at(4..8) == Some(b"ftyp") {
        return Some(AudioFormat::M4a);
    }
    if at(0..4) == Some(b"FORM") && matches!(at(8..12), Some(b"AIFF" | b"AIFC")) {
        return Some(AudioFormat::Aiff);
    }
    if b.starts_with(b"ID3") {
        return Some(AudioFormat::Mp3);
    }
    match (b.first(), b.get(1)) {
        // ADTS: a 12-bit sync word and layer 00.
        (Some(0xFF), Some(&x)) if x & 0xF6 == 0xF0 => Some(AudioFormat::Aac),
        // MPEG audio: an 11-bit sync word and a layer other than 00.
        (Some(0xFF), Some(&x)) if x & 0xE0 == 0xE0 && x & 0x06 != 0 => Some(AudioFormat::Mp3),
        _ => None,
    }
}

/// The audio format of a local file named `name` holding `bytes`: from
/// its bytes, or `.pcm` for headerless PCM; `Err` says what it is instead.
pub fn audio_of(name: &str, bytes: &[u8]) -> Result<AudioFormat, String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    if let Some(f) = sniff_audio(bytes) {
        return Ok(f);
    }
    if AudioFormat::from_name(name) == Some(AudioFormat::Pcm) {
        return Ok(AudioFormat::Pcm);
    }
    Err(match sniff(bytes) {
        Some(f) if f.is_image() => format!("it is an image ({}), not audio", f.mime()),
        _ => "not a WAV, MP3, FLAC, Ogg, WebM, M4A, AAC or AIFF file (checked from its bytes; headerless PCM needs a .pcm name)".into(),
    })
}

/// The media type of an attached file: PDF, images and audio from their
/// bytes, a few text formats from the name, else `application/octet-stream`.
pub fn file_media_type(name: &str, bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"%PDF-") {
        return "application/pdf";
    }
    if let Some(f) = sniff(bytes).filter(|f| f.is_image()) {
        return f.mime();
    }
    if let Some(a) = sniff_audio(bytes) {
        return a.mime();
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "txt" | "text" | "log" => "text/plain",
        "md" | "markdown" => "text/markdown",
        "csv" => "text/csv",
        "json" => "application/json",
        "html" | "htm" => "text/html",
        "xml" => "application/xml",
        _ => "application/octet-stream",
    }
}

/// The length in seconds of a WAV file's PCM data, when its header says.
pub fn wav_seconds(b: &[u8]) -> Option<f64> {
    if sniff_audio(b) != Some(AudioFormat::Wav) {
        return None;
    }
    let u32_at = |i: usize| {
        b.get(i..i + 4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    };
    let mut at = 12;
    let mut byte_rate = None;
    while at + 8 <= b.len() {
        let id = b.get(at..at + 4)?;
        let len = u32_at(at + 4)? as usize;
        if id == b"fmt " {
            byte_rate = u32_at(at + 16).filter(|r| *r > 0);
        } else if id == b"data" {
            let data = len.min(b.len().saturating_sub(at + 8));
            return byte_rate.map(|r| data as f64 / f64::from(r));
        }
        at = at.checked_add(8 + len + (len & 1))?;
    }
    None
}

/// Video file extensions that are refused as image inputs.
pub(crate) const VIDEO_EXTENSIONS: [&str; 6] = ["mp4", "mov", "webm", "mkv", "avi", "m4v"];

/// Whether a path or URL path ends in a video extension.
pub fn has_video_extension(path: &str) -> bool {
    let p = path.split(['?', '#']).next().unwrap_or(path);
    p.rsplit_once('.')
        .map(|(_, ext)| VIDEO_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
        .unwrap_or(false)
}

/// `data:<mime>;base64,<...>` for the bytes.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Decodes a `data:` URL into its MIME type and bytes.
pub fn decode_data_url(url: &str) -> Result<(String, Vec<u8>), String> {
    let rest = url.strip_prefix("data:").ok_or("not a data: URL")?;
    let (meta, payload) = rest
        .split_once(',')
        .ok_or("data URL has no ',' separator")?;
    let mut parts = meta.split(';');
    let mime = parts.next().unwrap_or("").to_string();
    let is_b64 = parts.any(|p| p.eq_ignore_ascii_case("base64"));
    if !is_b64 {
        return Err("data URL is not base64-encoded".into());
    }
    let clean: String = payload
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(clean.as_bytes())
        .map_err(|e| format!("data URL payload is not valid base64: {e}"))?;
    Ok((mime, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_are_recognised() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(Format::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Format::Jpeg));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::Webp));
        assert_eq!(sniff(b"GIF89a..."), Some(Format::Gif));
        assert_eq!(sniff(b"\0\0\0\x18ftypisom\0\0\0\0"), Some(Format::Mp4));
        assert_eq!(
            sniff(b"\0\0\0\x14ftypqt  \0\0\0\0"),
            Some(Format::QuickTime)
        );
        assert_eq!(sniff(&[0x1A, 0x45, 0xDF, 0xA3, 1]), Some(Format::Webm));
        assert_eq!(sniff(b"ID3\x04\0"), Some(Format::Mp3));
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b"{\"error\":1}"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn data_urls_round_trip() {
        let u = data_url("image/png", b"abc");
        assert_eq!(
            decode_data_url(&u).unwrap(),
            ("image/png".to_string(), b"abc".to_vec())
        );
        assert!(decode_data_url("data:image/png,abc").is_err());
        assert!(decode_data_url("http://x").is_err());
        assert!(decode_data_url("data:;base64,@@@").is_err());
    }

    #[test]
    fn audio_is_told_from_its_bytes() {
        for (bytes, f) in [
            (&b"RIFF\0\0\0\0WAVEfmt "[..], AudioFormat::Wav),
            (&b"ID3\x04\0"[..], AudioFormat::Mp3),
            (&[0xFF, 0xFB, 0x90, 0x00][..], AudioFormat::Mp3),
            (&[0xFF, 0xF1, 0x50, 0x80][..], AudioFormat::Aac),
            (&b"fLaC\0\0\0\x22"[..], AudioFormat::Flac),
            (&b"OggS\0\x02"[..], AudioFormat::Ogg),
            (&b"\0\0\0\x20ftypM4A \0\0"[..], AudioFormat::M4a),
            (&b"FORM\0\0\0\0AIFFCOMM"[..], AudioFormat::Aiff),
        ] {
            assert_eq!(sniff_audio(bytes), Some(f), "{f:?}");
            assert_eq!(audio_of("x.bin", bytes), Ok(f));
        }
        assert_eq!(audio_of("raw.PCM", &[1, 2, 3, 4]), Ok(AudioFormat::Pcm));
        let png = audio_of("a.wav", b"\x89PNG\r\n\x1a\n....").unwrap_err();
        assert!(png.contains("image/png"), "{png}");
        assert!(audio_of("a.wav", b"hello").is_err());
        assert!(audio_of("a.wav", b"").unwrap_err().contains("empty"));
        assert_eq!(
            AudioFormat::from_name("https://x/a.OPUS?x=1"),
            Some(AudioFormat::Ogg)
        );
    }

    #[test]
    fn attached_files_get_a_media_type() {
        assert_eq!(file_media_type("r.bin", b"%PDF-1.7"), "application/pdf");
        assert_eq!(file_media_type("notes.md", b"# hi"), "text/markdown");
        assert_eq!(file_media_type("x", b"\x89PNG\r\n\x1a\n"), "image/png");
        assert_eq!(file_media_type("x.dat", b"??"), "application/octet-stream");
    }

    #[test]
    fn a_wav_header_gives_its_length() {
        let mut wav = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        wav.extend_from_slice(&16u32.to_le_bytes());
        wav.extend_from_slice(&[1, 0, 1, 0]);
        wav.extend_from_slice(&16_000u32.to_le_bytes());
        wav.extend_from_slice(&32_000u32.to_le_bytes());
        wav.extend_from_slice(&[2, 0, 16, 0]);
        wav.extend_from_slice(b"data");
        wav.extend_from_slice(&64_000u32.to_le_bytes());
        wav.extend(std::iter::repeat_n(0u8, 64_000));
        assert_eq!(wav_seconds(&wav), Some(2.0));
        assert_eq!(wav_seconds(b"ID3"), None);
    }

    #[test]
    fn video_extensions_are_detected_in_urls() {
        assert!(has_video_extension("https://x/a.MP4?sig=1"));
        assert!(has_video_extension("clip.mov"));
        assert!(!has_video_extension("https://x/a.png"));
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(32))]

            /// Any text: decoded bytes, or an error saying what is wrong.
            #[test]
            fn any_data_url_decodes_or_says_why(url in "(data:)?\\PC{0,40}") {
                if let Err(e) = decode_data_url(&url) {
                    prop_assert!(!e.is_empty());
                }
            }

            /// Whatever the bytes, a data URL made of them decodes to them.
            #[test]
            fn data_urls_round_trip(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
                let mime = sniff(&bytes).map_or("application/octet-stream", Format::mime);
                let (m, b) = decode_data_url(&data_url(mime, &bytes)).map_err(TestCaseError::fail)?;
                prop_assert_eq!(m, mime);
                prop_assert_eq!(b, bytes);
            }

            /// Magic bytes win whatever follows them; sniffing never panics.
            #[test]
            fn magic_bytes_decide_whatever_follows(tail in prop::collection::vec(any::<u8>(), 0..32)) {
                let _ = sniff(&tail);
                for (magic, f) in [
                    (&b"\x89PNG\r\n\x1a\n"[..], Format::Png),
                    (&[0xFF, 0xD8, 0xFF][..], Format::Jpeg),
                    (&b"GIF89a"[..], Format::Gif),
                    (&[0x1A, 0x45, 0xDF, 0xA3][..], Format::Webm),
                    (&b"\0\0\0\x18ftypisom"[..], Format::Mp4),
                ] {
                    let b = [magic, &tail[..]].concat();
                    prop_assert_eq!(sniff(&b), Some(f));
                }
            }
        }
    }
}

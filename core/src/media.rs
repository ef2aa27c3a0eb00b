/*!
Recognising media by its bytes, and turning local images into data URLs.

Formats are decided from magic bytes, never from file names or the
provider's `Content-Type` alone: PNG, JPEG, WebP and GIF for images; MP4 and
QuickTime (`ftyp`/`moov`/`mdat` boxes) and WebM/Matroska for video; MP3 (ID3
or MPEG frame sync) and WAV for audio.
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

/*!
Chat attachments (`--image`, `--audio`, `--file`): each is read and
checked before anything is sent, and becomes a content part of the user
message ([`ContentPart`]). A local file travels beside the request as a
blob the part's [`Input`] names by index, never base64 inside the
document; an http(s) URL is passed on for the provider to fetch.

- `--image IMG`: a PNG, JPEG, WebP or GIF file (checked from its bytes),
  or a URL; a video is refused.
- `--audio FILE`: a WAV, MP3, FLAC, Ogg, WebM, M4A, AAC or AIFF file (its
  format read from its bytes; headerless PCM from a `.pcm` name), or a URL
  whose path names the format. Chat APIs take audio as bytes, so a plugin
  may refuse a URL.
- `--file FILE`: any file (a PDF, text; its media type from its bytes or
  name), or a URL.

Local audio and files are capped at [`MAX_ATTACHMENT_BYTES`]. Each kind is
checked against every model of the chain ([`check::takes_input`]).
*/

use super::video::Blobs;
use crate::cli::ChatArgs;
use std::path::Path;
use switchyard_core::check::{self, Route};
use switchyard_core::error::HostError;
use switchyard_core::media::{self, AudioFormat};
use switchyard_core::session::Session;
use switchyard_plugin_api::doc::{part_kind, ContentPart, Input};

/// The largest local audio or file attachment (50 MiB): it is held in
/// memory and sent base64-encoded, a third larger.
pub const MAX_ATTACHMENT_BYTES: u64 = 50 * 1024 * 1024;

/// The attachments of one chat, read and checked.
#[derive(Default)]
pub struct Attachments {
    /// The content parts, in the order of the flags (images, audio, files).
    pub parts: Vec<ContentPart>,
    /// The local files' bytes, which the parts name by index.
    pub blobs: Blobs,
    /// Each kind attached, as (flag, input modality), once.
    kinds: Vec<(&'static str, &'static str)>,
}

impl Attachments {
    /// Reads every `--image`, `--audio` and `--file` of `args`.
    pub fn read(args: &ChatArgs) -> Result<Attachments, HostError> {
        let mut a = Attachments::default();
        for img in &args.images {
            let input = a.blobs.image("--image", img)?;
            a.push("--image", part_kind::IMAGE, input, None);
        }
        for arg in &args.audios {
            let (input, format) = audio(&mut a.blobs, arg)?;
            a.push("--audio", part_kind::AUDIO, input, Some(format));
        }
        for arg in &args.files {
            let input = file(&mut a.blobs, arg)?;
            a.push("--file", part_kind::FILE, input, None);
        }
        Ok(a)
    }

    fn push(&mut self, flag: &'static str, kind: &'static str, input: Input, f: Option<String>) {
        self.parts.push(ContentPart {
            kind: kind.into(),
            input,
            format: f,
        });
        if !self.kinds.iter().any(|(f, _)| *f == flag) {
            self.kinds.push((flag, kind));
        }
    }

    /// Checks that `model` (routed as `route`) takes every kind attached.
    pub fn check(&self, session: &Session, route: &Route, model: &str) -> Result<(), HostError> {
        for (flag, modality) in &self.kinds {
            check::takes_input(session, route, model, flag, modality)?;
        }
        Ok(())
    }

    /// The sizes of the blobs, for a dry run.
    pub fn blob_sizes(&self) -> Vec<usize> {
        self.blobs.0.iter().map(Vec::len).collect()
    }
}

fn is_url(arg: &str) -> bool {
    let lower = arg.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The last path segment of a URL or path, as a file name.
fn file_name(arg: &str) -> Option<String> {
    let path = arg.split(['?', '#']).next().unwrap_or(arg);
    let name = if is_url(arg) {
        path.rsplit('/').next().map(str::to_string)
    } else {
        Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
    };
    name.filter(|n| !n.is_empty())
}

/// Reads a local attachment, refusing other schemes and files over the cap.
fn read_local(flag: &str, arg: &str) -> Result<Vec<u8>, HostError> {
    let lower = arg.to_ascii_lowercase();
    if lower.contains("://") || lower.starts_with("data:") {
        return Err(HostError::InvalidInput(format!(
            "{flag} {arg}: only local files and http(s) URLs are accepted"
        )));
    }
    let meta = std::fs::metadata(arg)
        .map_err(|e| HostError::InvalidInput(format!("{flag} {arg}: cannot read the file: {e}")))?;
    if !meta.is_file() {
        return Err(HostError::InvalidInput(format!("{flag} {arg}: not a file")));
    }
    if meta.len() > MAX_ATTACHMENT_BYTES {
        return Err(HostError::InvalidInput(format!(
            "{flag} {arg}: the file is {} MiB; attachments may be at most {} MiB",
            meta.len().div_ceil(1024 * 1024),
            MAX_ATTACHMENT_BYTES / (1024 * 1024)
        )));
    }
    std::fs::read(arg)
        .map_err(|e| HostError::InvalidInput(format!("{flag} {arg}: cannot read the file: {e}")))
}

fn add_blob(blobs: &mut Blobs, bytes: Vec<u8>) -> u32 {
    blobs.0.push(bytes);
    blobs.0.len() as u32 - 1
}

/// An `--audio` argument: its input and its format (`wav`, `mp3`, ...).
fn audio(blobs: &mut Blobs, arg: &str) -> Result<(Input, String), HostError> {
    if is_url(arg) {
        let Some(f) = AudioFormat::from_name(arg) else {
            return Err(HostError::InvalidInput(format!(
                "--audio {arg}: cannot tell the audio format of this URL: its path should end in .wav, .mp3, .flac, .ogg, .webm, .m4a or .aac (or download it and attach the file)"
            )));
        };
        let input = Input {
            url: Some(arg.to_string()),
            media_type: Some(f.mime().into()),
            name: file_name(arg),
            ..Default::default()
        };
        return Ok((input, f.name().into()));
    }
    let bytes = read_local("--audio", arg)?;
    let f = media::audio_of(arg, &bytes)
        .map_err(|why| HostError::InvalidInput(format!("--audio {arg}: {why}")))?;
    let input = Input {
        blob: Some(add_blob(blobs, bytes)),
        media_type: Some(f.mime().into()),
        name: file_name(arg),
        ..Default::default()
    };
    Ok((input, f.name().into()))
}

/// A `--file` argument as an input with its media type and name.
fn file(blobs: &mut Blobs, arg: &str) -> Result<Input, HostError> {
    if is_url(arg) {
        return Ok(Input {
            url: Some(arg.to_string()),
            name: file_name(arg),
            ..Default::default()
        });
    }
    let bytes = read_local("--file", arg)?;
    if bytes.is_empty() {
        return Err(HostError::InvalidInput(format!(
            "--file {arg}: the file is empty"
        )));
    }
    let name = file_name(arg);
    let mime = media::file_media_type(name.as_deref().unwrap_or(arg), &bytes);
    Ok(Input {
        blob: Some(add_blob(blobs, bytes)),
        media_type: Some(mime.into()),
        name,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_paths_and_url_paths() {
        assert_eq!(file_name("dir/a.pdf").as_deref(), Some("a.pdf"));
        assert_eq!(
            file_name("https://x.test/d/r.pdf?sig=1").as_deref(),
            Some("r.pdf")
        );
        assert_eq!(file_name("https://x.test/"), None);
    }

    #[test]
    fn audio_urls_must_name_their_format() {
        let mut b = Blobs::default();
        let (input, f) = audio(&mut b, "https://x.test/a.mp3").unwrap();
        assert_eq!(
            (input.url.as_deref(), f.as_str()),
            (Some("https://x.test/a.mp3"), "mp3")
        );
        assert!(b.0.is_empty());
        let e = audio(&mut b, "https://x.test/stream").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let e = audio(&mut b, "ftp://x.test/a.mp3").unwrap_err().to_string();
        assert!(e.contains("only local files and http(s) URLs"), "{e}");
    }
}

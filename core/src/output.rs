/*!
Atomic output files fed by a plugin through the host sink.

Each output is written to a hidden temporary file beside its target
(`.NAME.<pid>.part`), size-capped while streaming, checked when the plugin
is done (declared length, magic bytes of the expected media kind, not an
HTML/JSON error page), and only then renamed into place. On any failure,
and when dropped unfinished, every temporary file is removed, so a target
path either holds the whole verified result or nothing.
*/

use crate::durable::DurableFile;
use crate::error::{HostError, OutputError};
use crate::media::{sniff, Format};
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use switchyard_plugin_api::{ErrorKind, PluginError};
use tempfile::NamedTempFile;

/// What kind of media an output must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// PNG, JPEG, WebP or GIF.
    Image,
    /// MP4, QuickTime or WebM.
    Video,
    /// MP3 bytes.
    Mp3,
    /// Raw 16-bit PCM; wrapped in a WAV header at `sample_rate` when set.
    Pcm {
        /// Sample rate for the WAV header, or `None` to write raw PCM.
        wav_sample_rate: Option<u32>,
    },
}

/// The largest number of outputs one request may produce.
pub const MAX_OUTPUTS: u32 = 64;

/// A finished, verified output file.
#[derive(Debug, Clone)]
pub struct Written {
    /// Where it is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The recognised format (None for raw PCM).
    pub format: Option<Format>,
}

struct Pending {
    final_path: PathBuf,
    temp_path: PathBuf,
    /// A `tempfile` temporary file (removed when dropped unless
    /// committed), made durable before it is renamed.
    file: DurableFile<NamedTempFile>,
    written: u64,
    declared: Option<u64>,
    head: Vec<u8>,
    media_type: String,
}

/// The outputs of one request.
pub struct Outputs {
    temps: LiveTemps,
    base: PathBuf,
    expect: Expect,
    max_bytes: u64,
    pending: Vec<Option<Pending>>,
    failed: Option<PluginError>,
    name_by_format: bool,
}

/// Where a command's output goes, decided and checked before anything is
/// sent: `--out DIR` (an existing directory) means the
/// default name inside it; a directory that is missing or not writable is
/// refused (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The directory the output goes to (absolute).
    pub dir: PathBuf,
    /// The file name `--out` gave, or `None` for the command's default name.
    pub name: Option<std::ffi::OsString>,
}

/// `p` made absolute against the current directory, `.` components dropped.
fn absolute(p: &Path) -> PathBuf {
    let base = if p.is_absolute() {
        PathBuf::new()
    } else {
        std::env::current_dir().unwrap_or_default()
    };
    p.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .fold(base, |acc, c| acc.join(c))
}

impl Target {
    /// Checks `out` (the value of `flag`; `None` = the current directory).
    pub fn check(flag: &str, out: Option<&Path>) -> Result<Target, HostError> {
        let Some(out) = out else {
            return Self::in_dir(flag, None, absolute(Path::new(".")));
        };
        let shown = out.display().to_string();
        if out.is_dir() {
            return Self::in_dir(flag, Some(&shown), absolute(out));
        }
        let ends_with_separator =
            shown.ends_with(std::path::MAIN_SEPARATOR) || shown.ends_with('/');
        let name = out.file_name().filter(|_| !ends_with_separator);
        let Some(name) = name else {
            return Err(HostError::InvalidInput(format!(
                "{flag} {shown}: the directory {shown} does not exist; create it first or choose another {flag}"
            )));
        };
        let parent = out
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut t = Self::in_dir(flag, Some(&shown), absolute(parent))?;
        t.name = Some(name.to_os_string());
        Ok(t)
    }

    fn in_dir(flag: &str, shown: Option<&str>, dir: PathBuf) -> Result<Target, HostError> {
        let what = match shown {
            Some(s) => format!("{flag} {s}: the directory {}", dir.display()),
            None => format!("the current directory {}", dir.display()),
        };
        if !dir.is_dir() {
            return Err(HostError::InvalidInput(format!(
                "{what} does not exist; create it first or choose another {flag}"
            )));
        }
        // Nothing tells writability as truly as writing (permission bits
        // lie for root and for read-only mounts): a probe file, removed.
        let probe = dir.join(format!(".switchyard-probe.{}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
        {
            Ok(_) => {
                let _ = std::fs::remove_file(&probe);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(HostError::InvalidInput(format!(
                    "{what} is not writable ({e}); choose a directory you can write to with {flag}"
                )))
            }
        }
        Ok(Target { dir, name: None })
    }

    /// The output path: the name `--out` gave, else `default_name`, in [`Target::dir`].
    pub fn path(&self, default_name: &str) -> PathBuf {
        self.dir
            .join(self.name.clone().unwrap_or_else(|| default_name.into()))
    }

    /// The extension of the name `--out` gave, lowercased.
    pub fn extension(&self) -> Option<String> {
        self.name
            .as_deref()
            .map(Path::new)
            .and_then(Path::extension)
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
    }
}

/// Writes an output the host holds whole in memory (a transcript) to
/// `path` atomically: a temporary file beside it, synced, then renamed
/// into place, so the path holds the whole output or its old content.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), HostError> {
    crate::files::write_atomic(path, bytes, crate::files::Mode::Default).map_err(|source| {
        HostError::Io {
            what: "cannot write",
            path: path.to_path_buf(),
            source,
        }
    })
}

/// `NAME.EXT` for index 0, `NAME-2.EXT`, `NAME-3.EXT`... for the next ones.
pub fn numbered(base: &Path, index: u32) -> PathBuf {
    if index == 0 {
        return base.to_path_buf();
    }
    let stem = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match base.extension() {
        Some(ext) => format!("{stem}-{}.{}", index + 1, ext.to_string_lossy()),
        None => format!("{stem}-{}", index + 1),
    };
    base.with_file_name(name)
}

/// Creates the temporary file `temp` (`.NAME.<pid>.part`) with
/// `tempfile`, as a new file would be (0666 less the umask). One left by an
/// earlier output of this process (a restarted download) is replaced.
fn create_temp(temp: &Path) -> std::io::Result<NamedTempFile> {
    let name = temp
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = name.strip_suffix(".part").unwrap_or(&name);
    let _ = std::fs::remove_file(temp);
    let mut b = tempfile::Builder::new();
    b.prefix(prefix).suffix(".part").rand_bytes(0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    b.tempfile_in(crate::files::parent_dir(temp))
}

/// The temporary file used while writing `target`.
pub(crate) fn temp_path_for(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.{}.part", std::process::id()))
}

/// Temporary files being written, so that an exit that skips destructors
/// (a second Ctrl-C, a plugin that ignores cancellation or its deadline, a
/// closed stdout) can still remove them: see [`LiveTemps::remove_all`].
/// A cheap handle: clones share one list.
#[derive(Debug, Clone, Default)]
pub struct LiveTemps(Arc<Mutex<Vec<PathBuf>>>);

impl LiveTemps {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<PathBuf>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, p: &Path) {
        self.lock().push(p.to_path_buf());
    }

    fn forget(&self, p: &Path) {
        self.lock().retain(|x| x != p);
    }

    /// Removes every temporary output file still being written; called
    /// right before a forced exit, which runs no destructors.
    pub fn remove_all(&self) {
        for p in self.lock().drain(..) {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Human-readable byte count (`12.3 MiB`).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Whether the process that named a temporary file `.NAME.<pid>.part` may
/// still be writing it: this process, or (on Linux) any live process.
fn writer_alive(pid: &str) -> bool {
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    pid == std::process::id()
        || (cfg!(target_os = "linux") && Path::new("/proc").join(pid.to_string()).exists())
}

/// Removes temporary files left beside `target` by earlier, killed runs
/// (not those of a process still running, which may be writing them).
pub fn remove_stale_temps(target: &Path) {
    let Some(dir) = target.parent().map(|d| {
        if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        }
    }) else {
        return;
    };
    let name = target
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            let pid = n
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(".part"));
            if pid.is_some_and(|pid| !writer_alive(pid)) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

fn sink_error(kind: ErrorKind, msg: String) -> PluginError {
    PluginError::new(kind, msg)
}

impl Outputs {
    /// Outputs whose first file is `base`, expected to be `expect`, each at
    /// most `max_bytes` long; their temporary files are listed in `temps`.
    pub fn new(temps: &LiveTemps, base: PathBuf, expect: Expect, max_bytes: u64) -> Self {
        Outputs {
            temps: temps.clone(),
            base,
            expect,
            max_bytes,
            pending: Vec::new(),
            failed: None,
            name_by_format: false,
        }
    }

    /// Gives each file the extension of the format its bytes turn out to
    /// be (a PNG asked for as `pic.jpg` is saved as `pic.png`), so no file
    /// name lies about its content. A name without extension is kept.
    pub fn named_by_format(mut self) -> Self {
        self.name_by_format = true;
        self
    }

    /// The target path of output `index`.
    pub fn target(&self, index: u32) -> PathBuf {
        numbered(&self.base, index)
    }

    fn fail(&mut self, e: PluginError) -> PluginError {
        self.failed = Some(e.clone());
        e
    }

    /// Starts (or restarts) output `index`.
    pub fn open(
        &mut self,
        index: u32,
        media_type: &str,
        declared: Option<u64>,
    ) -> Result<(), PluginError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if index >= MAX_OUTPUTS {
            return Err(self.fail(sink_error(
                ErrorKind::INTERNAL,
                format!(
                    "the plugin opened output {index}; at most {MAX_OUTPUTS} outputs are accepted"
                ),
            )));
        }
        if let Some(d) = declared {
            if d > self.max_bytes {
                return Err(self.fail(sink_error(
                    ErrorKind::INVALID_REQUEST,
                    format!(
                        "the output is {} but the cap is {} (agents.defaults.mediaMaxMb)",
                        human_bytes(d),
                        human_bytes(self.max_bytes)
                    ),
                )));
            }
        }
        // A restarted output (a retried download): discard the earlier
        // attempt first, without flushing its buffer, so none of its bytes
        // can land in the new file.
        if let Some(old) = self.pending.get_mut(index as usize).and_then(Option::take) {
            drop(old.file); // its buffer is discarded, never flushed
            let _ = std::fs::remove_file(&old.temp_path);
            self.temps.forget(&old.temp_path);
        }
        let final_path = self.target(index);
        remove_stale_temps(&final_path);
        let temp_path = temp_path_for(&final_path);
        self.temps.add(&temp_path);
        let file = create_temp(&temp_path).map_err(|e| {
            sink_error(
                ErrorKind::INTERNAL,
                format!("cannot create {}: {e}", temp_path.display()),
            )
        })?;
        let mut p = Pending {
            final_path,
            temp_path,
            file: DurableFile::new(file),
            written: 0,
            declared,
            head: Vec::new(),
            media_type: media_type.to_string(),
        };
        if let Expect::Pcm {
            wav_sample_rate: Some(_),
        } = self.expect
        {
            p.file
                .write_all(&[0u8; 44])
                .map_err(|e| sink_error(ErrorKind::INTERNAL, format!("write failed: {e}")))?;
        }
        let i = index as usize;
        if self.pending.len() <= i {
            self.pending.resize_with(i + 1, || None);
        }
        self.pending[i] = Some(p);
        Ok(())
    }

    /// Appends bytes to output `index`.
    pub fn write(&mut self, index: u32, data: &[u8]) -> Result<(), PluginError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let max = self.max_bytes;
        let Some(Some(p)) = self.pending.get_mut(index as usize) else {
            return Err(self.fail(sink_error(
                ErrorKind::INTERNAL,
                format!("the plugin wrote to output {index} without opening it"),
            )));
        };
        let new_len = p.written + data.len() as u64;
        if let Some(d) = p.declared {
            if new_len > d {
                let msg = format!(
                    "output {index} received more bytes ({new_len}) than its declared length ({d})"
                );
                return Err(self.fail(sink_error(ErrorKind::UPSTREAM, msg)));
            }
        }
        if new_len > max {
            let msg = format!(
                "output {index} exceeds the size cap of {} (agents.defaults.mediaMaxMb); download stopped",
                human_bytes(max)
            );
            return Err(self.fail(sink_error(ErrorKind::INVALID_REQUEST, msg)));
        }
        if p.head.len() < 64 {
            let take = (64 - p.head.len()).min(data.len());
            p.head.extend_from_slice(&data[..take]);
        }
        if let Err(e) = p.file.write_all(data) {
            let msg = format!("cannot write {}: {e}", p.temp_path.display());
            return Err(self.fail(sink_error(ErrorKind::INTERNAL, msg)));
        }
        p.written = new_len;
        Ok(())
    }

    /// Bytes written so far to output `index`.
    pub fn written(&self, index: u32) -> u64 {
        self.pending
            .get(index as usize)
            .and_then(|p| p.as_ref())
            .map_or(0, |p| p.written)
    }

    /// Verifies every output and renames them into place. `expected` is the
    /// number of outputs the plugin reported. On any failure nothing is left.
    pub fn finish(mut self, expected: u32) -> Result<Vec<Written>, HostError> {
        if let Some(e) = self.failed.take() {
            return Err(HostError::Plugin { error: e });
        }
        let opened = self.pending.iter().filter(|p| p.is_some()).count() as u32;
        if expected == 0 || opened != expected || self.pending.len() as u32 != expected {
            return Err(OutputError::Count { expected, opened }.into());
        }
        let expect = self.expect;
        let name_by_format = self.name_by_format;
        for p in self.pending.iter_mut().flatten() {
            verify_and_flush(p, expect)?;
        }
        let mut done = Vec::new();
        for slot in self.pending.iter_mut() {
            if let Some(p) = slot.take() {
                let format = sniff(&p.head);
                let size = p.written
                    + if matches!(
                        expect,
                        Expect::Pcm {
                            wav_sample_rate: Some(_)
                        }
                    ) {
                        44
                    } else {
                        0
                    };
                let Pending {
                    final_path,
                    temp_path,
                    file,
                    ..
                } = p;
                let final_path = match format {
                    Some(f) if name_by_format => fit_extension(final_path, f),
                    _ => final_path,
                };
                let renamed = file
                    .into_inner()
                    .and_then(|temp| crate::files::commit(temp, &final_path));
                self.temps.forget(&temp_path);
                if let Err(e) = renamed {
                    let _ = std::fs::remove_file(&temp_path);
                    for w in &done {
                        let w: &Written = w;
                        let _ = std::fs::remove_file(&w.path);
                    }
                    return Err(HostError::Io {
                        what: "cannot move the result to",
                        path: final_path,
                        source: e,
                    });
                }
                done.push(Written {
                    path: final_path,
                    bytes: size,
                    format,
                });
            }
        }
        Ok(done)
    }
}

/// `path` with the extension of `format`, unless it has none or already
/// has one of that format's spellings.
fn fit_extension(path: PathBuf, format: Format) -> PathBuf {
    let Some(ext) = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
    else {
        return path;
    };
    let fits = ext == format.extension() || (format == Format::Jpeg && ext == "jpeg");
    if fits {
        path
    } else {
        path.with_extension(format.extension())
    }
}

/// First bytes of an HTML or JSON document, never of media.
const TEXT_OPENERS: &[u8] = b"{[<";

/// Checks that the first bytes of `p` are the media kind `expect` (not an
/// HTML/JSON error page, not another kind).
fn check_media(p: &Pending, expect: Expect) -> Result<(), OutputError> {
    let path = p.final_path.clone();
    let head = &p.head;
    let looks_like_text = head
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| TEXT_OPENERS.contains(b));
    let fmt = sniff(head);
    let ok = match expect {
        Expect::Image => fmt.is_some_and(Format::is_image),
        Expect::Video => fmt.is_some_and(Format::is_video),
        Expect::Mp3 => fmt == Some(Format::Mp3),
        Expect::Pcm { .. } => !looks_like_text && fmt.is_none_or(|f| f == Format::Wav),
    };
    if !ok {
        let expected = match expect {
            Expect::Image => "an image (PNG, JPEG, WebP or GIF)",
            Expect::Video => "a video (MP4, QuickTime or WebM)",
            Expect::Mp3 => "MP3 audio",
            Expect::Pcm { .. } => "raw PCM audio",
        };
        let seen = if looks_like_text {
            "an HTML/JSON document".to_string()
        } else {
            match fmt {
                Some(f) => f.mime().to_string(),
                None => format!("unrecognised bytes (Content-Type {:?})", p.media_type),
            }
        };
        return Err(OutputError::NotMedia {
            path,
            expected,
            seen,
        });
    }
    Ok(())
}

fn verify_and_flush(p: &mut Pending, expect: Expect) -> Result<(), HostError> {
    let path = p.final_path.clone();
    if p.written == 0 {
        return Err(OutputError::Empty { path }.into());
    }
    if let Some(declared) = p.declared {
        if declared != p.written {
            let received = p.written;
            return Err(OutputError::Truncated {
                path,
                received,
                declared,
            }
            .into());
        }
    }
    check_media(p, expect)?;
    let io = |what: &'static str, p: &Pending| {
        let path = p.temp_path.clone();
        move |source| HostError::Io { what, path, source }
    };
    p.file.flush().map_err(io("cannot write", p))?;
    if let Expect::Pcm {
        wav_sample_rate: Some(rate),
    } = expect
    {
        let err = io("cannot write the WAV header of", p);
        write_wav_header(p.file.get_mut(), rate, p.written).map_err(err)?;
    }
    let err = io("cannot sync", p);
    p.file.sync_all().map_err(err)?;
    Ok(())
}

/// Writes a 44-byte PCM WAV header (16-bit mono) at the start of `f`.
pub(crate) fn write_wav_header(
    f: &mut File,
    sample_rate: u32,
    data_len: u64,
) -> std::io::Result<()> {
    let data_len = u32::try_from(data_len).unwrap_or(u32::MAX - 36);
    let mut h = Vec::with_capacity(44);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(36u32.saturating_add(data_len)).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes()); // PCM
    h.extend_from_slice(&1u16.to_le_bytes()); // mono
    h.extend_from_slice(&sample_rate.to_le_bytes());
    h.extend_from_slice(&(sample_rate * 2).to_le_bytes()); // byte rate
    h.extend_from_slice(&2u16.to_le_bytes()); // block align
    h.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_len.to_le_bytes());
    f.seek(SeekFrom::Start(0))?;
    f.write_all(&h)?;
    f.seek(SeekFrom::End(0))?;
    Ok(())
}

impl Drop for Outputs {
    fn drop(&mut self) {
        for p in self.pending.iter().flatten() {
            let _ = std::fs::remove_file(&p.temp_path);
            self.temps.forget(&p.temp_path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sy-out-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_target_is_a_named_file_or_the_default_name_in_a_directory() {
        let d = dir("target");
        let t = Target::check("--out", Some(&d.join("a.png"))).unwrap();
        assert_eq!(t.path("default.png"), d.join("a.png"));
        assert_eq!(t.extension().as_deref(), Some("png"));
        let t = Target::check("--out", Some(&d)).unwrap();
        assert_eq!(t.path("default.png"), d.join("default.png"));
        assert_eq!(t.extension(), None);
        let e = Target::check("--out", Some(&d.join("missing/a.png"))).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("does not exist"), "{e}");
        let e = Target::check("--out", Some(Path::new("missing-dir/"))).unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
        assert!(
            files(&d).is_empty(),
            "the probe is removed: {:?}",
            files(&d)
        );
        assert_eq!(absolute(Path::new("/a/./b")), PathBuf::from("/a/b"));
    }

    #[test]
    fn a_name_gets_the_extension_of_its_bytes() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(fit_extension(p("a/pic.jpg"), Format::Png), p("a/pic.png"));
        assert_eq!(fit_extension(p("pic.JPEG"), Format::Jpeg), p("pic.JPEG"));
        assert_eq!(fit_extension(p("pic-2.png"), Format::Webp), p("pic-2.webp"));
        assert_eq!(fit_extension(p("pic"), Format::Png), p("pic"));
    }

    fn files(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn numbered_names() {
        assert_eq!(
            numbered(Path::new("/a/v.mp4"), 0),
            PathBuf::from("/a/v.mp4")
        );
        assert_eq!(
            numbered(Path::new("/a/v.mp4"), 1),
            PathBuf::from("/a/v-2.mp4")
        );
        assert_eq!(
            numbered(Path::new("/a/v.mp4"), 2),
            PathBuf::from("/a/v-3.mp4")
        );
    }

    #[test]
    fn verified_video_is_renamed_into_place() {
        let d = dir("ok");
        let mut o = Outputs::new(
            &LiveTemps::default(),
            d.join("v.mp4"),
            Expect::Video,
            1 << 20,
        );
        let body = b"\0\0\0\x18ftypisom\0\0\0\0rest-of-video";
        o.open(0, "video/mp4", Some(body.len() as u64)).unwrap();
        o.write(0, &body[..5]).unwrap();
        o.write(0, &body[5..]).unwrap();
        let w = o.finish(1).unwrap();
        assert_eq!(std::fs::read(&w[0].path).unwrap(), body);
        assert_eq!(files(&d), vec!["v.mp4"]);
    }

    #[test]
    fn html_body_leaves_no_file() {
        let d = dir("html");
        let mut o = Outputs::new(
            &LiveTemps::default(),
            d.join("v.mp4"),
            Expect::Video,
            1 << 20,
        );
        o.open(0, "text/html", None).unwrap();
        o.write(0, b"<html>oops</html>").unwrap();
        let e = o.finish(1).unwrap_err().to_string();
        assert!(e.contains("HTML/JSON"), "{e}");
        assert!(files(&d).is_empty());
    }

    #[test]
    fn truncated_body_leaves_no_file() {
        let d = dir("trunc");
        let mut o = Outputs::new(
            &LiveTemps::default(),
            d.join("v.mp4"),
            Expect::Video,
            1 << 20,
        );
        o.open(0, "video/mp4", Some(100)).unwrap();
        o.write(0, b"\0\0\0\x18ftypisom\0\0\0\0").unwrap();
        assert!(o.finish(1).unwrap_err().to_string().contains("truncated"));
        assert!(files(&d).is_empty());
    }

    #[test]
    fn more_bytes_than_declared_is_refused_and_later_writes_fail() {
        let d = dir("over");
        let mut o = Outputs::new(
            &LiveTemps::default(),
            d.join("v.mp4"),
            Expect::Video,
            1 << 20,
        );
        o.open(0, "video/mp4", Some(4)).unwrap();
        assert!(o.write(0, b"12345").is_err());
        assert!(o.write(0, b"1").is_err());
        drop(o);
        assert!(files(&d).is_empty());
    }

    #[test]
    fn size_cap_is_enforced_while_streaming() {
        let d = dir("cap");
        let mut o = Outputs::new(&LiveTemps::default(), d.join("v.mp4"), Expect::Video, 10);
        o.open(0, "video/mp4", None).unwrap();
        o.write(0, b"0123456789").unwrap();
        let e = o.write(0, b"x").unwrap_err();
        assert!(e.message.contains("size cap"));
    }

    #[test]
    fn reopened_output_keeps_no_bytes_of_the_earlier_attempt() {
        let d = dir("reopen");
        let mut o = Outputs::new(
            &LiveTemps::default(),
            d.join("v.mp4"),
            Expect::Video,
            1 << 20,
        );
        let long = [b"\0\0\0\x18ftypisom\0\0\0\0".as_slice(), &[7u8; 500]].concat();
        o.open(0, "video/mp4", Some(10_000)).unwrap();
        o.write(0, &long).unwrap();
        let short = b"\0\0\0\x18ftypisom\0\0\0\0short";
        o.open(0, "video/mp4", Some(short.len() as u64)).unwrap();
        o.write(0, short).unwrap();
        let w = o.finish(1).unwrap();
        assert_eq!(std::fs::read(&w[0].path).unwrap(), short);
        assert_eq!(files(&d), vec!["v.mp4"]);
    }

    /// An image or speech run killed with SIGKILL left its hidden
    /// temporary file forever (only `video resume` cleaned, and it removed
    /// live writers' files too). Now any new output for the target removes
    /// dead writers' files and keeps live ones.
    #[test]
    fn stale_temps_of_dead_writers_go_and_live_ones_stay() {
        let d = dir("stale");
        let dead = d.join(".v.mp4.4000000000.part");
        let live = d.join(format!(".v.mp4.{}.part", std::process::id()));
        let other = d.join(".w.mp4.4000000000.part");
        for p in [&dead, &live, &other] {
            std::fs::write(p, b"partial").unwrap();
        }
        remove_stale_temps(&d.join("v.mp4"));
        assert!(!dead.exists() && live.exists() && other.exists());
        std::fs::write(&dead, b"partial").unwrap();
        std::fs::remove_file(&live).unwrap();
        let mut o = Outputs::new(
            &LiveTemps::default(),
            d.join("v.mp4"),
            Expect::Video,
            1 << 20,
        );
        o.open(0, "video/mp4", None).unwrap();
        assert!(!dead.exists());
        drop(o);
        assert_eq!(files(&d), vec![".w.mp4.4000000000.part"]);
    }

    #[test]
    fn pcm_to_wav_gets_a_correct_header() {
        let d = dir("wav");
        let mut o = Outputs::new(
            &LiveTemps::default(),
            d.join("s.wav"),
            Expect::Pcm {
                wav_sample_rate: Some(24000),
            },
            1 << 20,
        );
        o.open(0, "audio/pcm", None).unwrap();
        o.write(0, &[1, 0, 2, 0, 3, 0]).unwrap();
        let w = o.finish(1).unwrap();
        let b = std::fs::read(&w[0].path).unwrap();
        assert_eq!(&b[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(b[24..28].try_into().unwrap()), 24000);
        assert_eq!(u32::from_le_bytes(b[40..44].try_into().unwrap()), 6);
        assert_eq!(b.len(), 50);
    }
}

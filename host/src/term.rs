/*!
Everything the host prints goes through here, so that secrets are redacted
from every line, `-q` silences notices, `-v` shows request logs, and the
progress line appears only when stderr is a terminal.

Every write to stdout goes through [`write_stdout`]: a closed pipe
(`switchyard ... | head`) ends the process quietly with exit code 0, as
ripgrep does; any other write error (a full disk, `> /dev/full`) is kept
for [`stdout_error`], which `main` turns into a message and a non-zero exit.
*/

use crate::secrets::{redact, StreamRedactor};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicI8, Ordering};
use std::sync::Mutex;

static VERBOSITY: AtomicI8 = AtomicI8::new(0);
static PROGRESS_SHOWN: AtomicBool = AtomicBool::new(false);
/// The first stdout write error other than a closed pipe.
static STDOUT_ERROR: Mutex<Option<String>> = Mutex::new(None);
/// The redaction window of streamed text on stdout.
static STREAM: Mutex<Option<StreamRedactor>> = Mutex::new(None);

/// Sets the verbosity: -1 quiet, 0 normal, 1 `-v`, 2 `-vv`.
pub fn set_verbosity(v: i8) {
    VERBOSITY.store(v, Ordering::Relaxed);
}

/// The current verbosity.
pub fn verbosity() -> i8 {
    VERBOSITY.load(Ordering::Relaxed)
}

/// Writes `bytes` to stdout and flushes. A closed pipe exits the process
/// at once with code 0 and no message (temporary output files are removed
/// first); any other error is remembered for [`stdout_error`], and later
/// writes are skipped.
pub fn write_stdout(bytes: &[u8]) {
    let mut failed = STDOUT_ERROR.lock().unwrap_or_else(|e| e.into_inner());
    if failed.is_some() {
        return;
    }
    let result = {
        let mut o = std::io::stdout().lock();
        o.write_all(bytes).and_then(|()| o.flush())
    };
    match result {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            drop(failed);
            crate::output::remove_live_temps();
            std::process::exit(0);
        }
        Err(e) => *failed = Some(e.to_string()),
    }
}

/// The first error writing to stdout, if any (a closed pipe never shows
/// here: it ends the process).
pub fn stdout_error() -> Option<String> {
    STDOUT_ERROR
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// Prints a result line on stdout (redacted).
pub fn out(text: &str) {
    clear_progress();
    flush_stream();
    write_stdout(format!("{}\n", redact(text)).as_bytes());
}

/// Writes streamed text to stdout without a newline, redacted over a
/// sliding window: text appears at once, except an end that could be the
/// start of a secret, held back until the next piece or [`end_stream`].
pub fn out_raw(text: &str) {
    let shown = STREAM
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(StreamRedactor::default)
        .push(text);
    if !shown.is_empty() {
        write_stdout(shown.as_bytes());
    }
}

/// Ends streamed text: the held-back end, then a newline.
pub fn end_stream() {
    flush_stream();
    write_stdout(b"\n");
}

/// Writes what the stream redaction window holds back, if anything.
pub fn flush_stream() {
    let tail = STREAM
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .map(|mut r| r.finish())
        .unwrap_or_default();
    if !tail.is_empty() {
        write_stdout(tail.as_bytes());
    }
}

/// Writes a line on stderr; a failing stderr is ignored (there is nowhere
/// left to report it), never a panic as with `eprintln!`.
fn write_stderr(line: &str) {
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "{line}");
}

/// Prints an error on stderr (always, even with `-q`).
pub fn error(text: &str) {
    clear_progress();
    write_stderr(&format!("error: {}", redact(text)));
}

/// Prints a notice on stderr unless `-q`.
pub fn notice(text: &str) {
    if verbosity() >= 0 {
        clear_progress();
        write_stderr(&redact(text));
    }
}

/// Prints a line on stderr even with `-q`: what a user must not miss,
/// such as the id of a paid job left running.
pub fn notice_always(text: &str) {
    clear_progress();
    eprintln!("{}", redact(text));
}

/// Prints a log line on stderr when the verbosity is at least `level`.
pub fn log(level: i8, text: &str) {
    if verbosity() >= level {
        clear_progress();
        write_stderr(&format!("[switchyard] {}", redact(text)));
    }
}

/// Whether progress should be drawn (stderr is a terminal and not `-q`).
pub fn progress_enabled() -> bool {
    verbosity() >= 0 && std::io::stderr().is_terminal()
}

/// Redraws the single progress line on stderr.
pub fn progress(text: &str) {
    if !progress_enabled() {
        return;
    }
    PROGRESS_SHOWN.store(true, Ordering::Relaxed);
    let mut e = std::io::stderr().lock();
    let _ = write!(e, "\r\x1b[2K{}", redact(text));
    let _ = e.flush();
}

/// Clears the progress line if one is shown.
pub fn clear_progress() {
    if PROGRESS_SHOWN.swap(false, Ordering::Relaxed) {
        let mut e = std::io::stderr().lock();
        let _ = write!(e, "\r\x1b[2K");
        let _ = e.flush();
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

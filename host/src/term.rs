/*!
Everything the binary prints goes through [`Term`], so that secrets are
redacted from every line, `-q` silences notices, `-v` shows request logs,
and the progress line (an `indicatif` spinner on stderr) appears only when
stderr is a terminal. `Term` is the session's [`Reporter`]: the core
library reports, this module draws.

Log lines are `tracing` events. [`init_logging`] installs a subscriber
only when something is to be shown (`-v`, `-vv`, `-vvv` or `RUST_LOG`):
a target filter and [`RedactingLayer`], which formats each event as one
`[switchyard] ...` line and redacts it before it reaches stderr, so no
level, `RUST_LOG=trace` included, can print a key.

Every write to stdout goes through [`Term::write_stdout`]: a closed pipe
(`switchyard ... | head`) ends the process quietly with exit code 0, as
ripgrep does; any other write error (a full disk, `> /dev/full`) is kept
for [`Term::stdout_error`], which `main` turns into a message and a
non-zero exit.
*/

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use switchyard_core::error::HostError;
use switchyard_core::output::{human_bytes, LiveTemps};
use switchyard_core::secrets::{Secrets, StreamRedactor};
use switchyard_core::session::{ProgressEvent, Reporter};

/// The terminal: verbosity, redaction, stdout error tracking, progress line.
pub struct Term {
    /// -1 quiet, 0 normal, 1 `-v`, 2 `-vv`.
    verbosity: i8,
    /// Whether errors are also printed as a JSON object on stdout (`--json`).
    json: bool,
    secrets: Secrets,
    /// Removed before a closed stdout ends the process.
    temps: LiveTemps,
    /// The progress spinner, while one is shown.
    progress: Mutex<Option<ProgressBar>>,
    /// The first stdout write error other than a closed pipe.
    stdout_error: Mutex<Option<String>>,
    /// The redaction window of streamed text on stdout.
    stream: Mutex<Option<StreamRedactor>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Term {
    /// A terminal at `verbosity` (-1 quiet, 0 normal, 1 `-v`, 2 `-vv`),
    /// printing error objects with `json`, redacting with `secrets`.
    pub fn new(verbosity: i8, json: bool, secrets: Secrets, temps: LiveTemps) -> Term {
        Term {
            verbosity,
            json,
            secrets,
            temps,
            progress: Mutex::new(None),
            stdout_error: Mutex::new(None),
            stream: Mutex::new(None),
        }
    }

    /// Writes `bytes` to stdout and flushes. A closed pipe exits the
    /// process at once with code 0 and no message (temporary output files
    /// are removed first); any other error is remembered for
    /// [`Term::stdout_error`], and later writes are skipped.
    pub fn write_stdout(&self, bytes: &[u8]) {
        let mut failed = lock(&self.stdout_error);
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
                self.temps.remove_all();
                std::process::exit(0);
            }
            Err(e) => *failed = Some(e.to_string()),
        }
    }

    /// Whether `-q` asked for errors only.
    pub fn quiet(&self) -> bool {
        self.verbosity < 0
    }

    /// The first error writing to stdout, if any (a closed pipe never shows
    /// here: it ends the process).
    pub fn stdout_error(&self) -> Option<String> {
        lock(&self.stdout_error).clone()
    }

    /// Prints a result line on stdout (redacted).
    pub fn out(&self, text: &str) {
        self.clear_progress();
        self.flush_stream();
        self.write_stdout(format!("{}\n", self.secrets.redact(text)).as_bytes());
    }

    /// Writes streamed text to stdout without a newline, redacted over a
    /// sliding window: text appears at once, except an end that could be
    /// the start of a secret, held back until the next piece or
    /// [`Term::end_stream`].
    pub fn out_raw(&self, text: &str) {
        let shown = lock(&self.stream)
            .get_or_insert_with(|| StreamRedactor::new(self.secrets.clone()))
            .push(text);
        if !shown.is_empty() {
            self.write_stdout(shown.as_bytes());
        }
    }

    /// Ends streamed text: the held-back end, then a newline.
    pub fn end_stream(&self) {
        self.flush_stream();
        self.write_stdout(b"\n");
    }

    /// Writes what the stream redaction window holds back, if anything.
    pub fn flush_stream(&self) {
        let tail = lock(&self.stream)
            .take()
            .map(|mut r| r.finish())
            .unwrap_or_default();
        if !tail.is_empty() {
            self.write_stdout(tail.as_bytes());
        }
    }

    /// Prints an error on stderr (always, even with `-q`).
    pub fn error(&self, text: &str) {
        self.clear_progress();
        write_stderr(&format!("error: {}", self.secrets.redact(text)));
    }

    /// Prints an error, and with `--json` its error object on stdout.
    pub fn report(&self, e: &HostError) {
        self.error(&e.to_string());
        if self.json {
            self.out(&e.to_json().to_string());
        }
    }

    /// Prints a notice on stderr unless `-q`.
    pub fn notice(&self, text: &str) {
        if self.verbosity >= 0 {
            self.clear_progress();
            write_stderr(&self.secrets.redact(text));
        }
    }

    /// Prints a line on stderr even with `-q`: what a user must not miss,
    /// such as the id of a paid job left running.
    pub fn notice_always(&self, text: &str) {
        self.clear_progress();
        write_stderr(&self.secrets.redact(text));
    }

    /// Prints a log line on stderr, redacted (the logging layer's output).
    fn log_line(&self, text: &str) {
        self.clear_progress();
        write_stderr(&format!("[switchyard] {}", self.secrets.redact(text)));
    }

    /// Whether progress should be drawn (stderr is a terminal and not `-q`).
    pub fn progress_enabled(&self) -> bool {
        self.verbosity >= 0 && std::io::stderr().is_terminal()
    }

    /// Redraws the single progress line on stderr.
    pub fn progress_line(&self, text: &str) {
        if !self.progress_enabled() {
            return;
        }
        let mut bar = lock(&self.progress);
        let bar = bar.get_or_insert_with(|| {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template("{spinner} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b
        });
        bar.set_message(self.secrets.redact(text));
        bar.tick();
    }

    /// Clears the progress line if one is shown.
    pub fn clear_progress(&self) {
        if let Some(bar) = lock(&self.progress).take() {
            bar.finish_and_clear();
        }
    }
}

/// Writes a line on stderr; a failing stderr is ignored (there is nowhere
/// left to report it), never a panic as with `eprintln!`.
fn write_stderr(line: &str) {
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "{line}");
}

fn fmt_elapsed(ms: u64) -> String {
    let s = ms / 1000;
    format!("{:02}:{:02}", s / 60, s % 60)
}

/// The progress line for `event` of the call labelled `label`.
fn progress_text(label: &str, started: Instant, event: &ProgressEvent<'_>) -> String {
    let elapsed = fmt_elapsed(started.elapsed().as_millis() as u64);
    match event {
        ProgressEvent::Submitted { job_id } => {
            format!("{label} · job {job_id} submitted · {elapsed}")
        }
        ProgressEvent::Polling {
            job_id,
            status,
            polls,
        } => format!("{label} · job {job_id} · {status} · {elapsed} · poll {polls}"),
        ProgressEvent::Downloading {
            index,
            bytes,
            total,
        } => {
            let secs = started.elapsed().as_secs_f64().max(0.001);
            let total = total
                .map(|t| format!(" / {}", human_bytes(t)))
                .unwrap_or_default();
            format!(
                "{label} · downloading #{} · {}{total} · {}/s · {elapsed}",
                index + 1,
                human_bytes(*bytes),
                human_bytes((*bytes as f64 / secs) as u64)
            )
        }
        ProgressEvent::Retrying { message } => {
            format!("{label} · retrying: {message} · {elapsed}")
        }
        ProgressEvent::Partial {
            index,
            bytes,
            message,
        } => {
            let what = if message.is_empty() {
                format!("a partial image #{}", index + 1)
            } else {
                (*message).to_string()
            };
            let size = if *bytes > 0 {
                format!(" ({})", human_bytes(*bytes))
            } else {
                String::new()
            };
            format!("{label} · {what}{size} · {elapsed}")
        }
        ProgressEvent::Other { message } => format!("{label} · {message} · {elapsed}"),
    }
}

impl Reporter for Term {
    fn notice(&self, text: &str) {
        Term::notice(self, text);
    }

    fn always(&self, text: &str) {
        self.notice_always(text);
    }

    fn progress(&self, label: &str, started: Instant, event: &ProgressEvent<'_>) {
        if !self.progress_enabled() {
            if let ProgressEvent::Retrying { message } = event {
                tracing::info!(target: "switchyard::plugin", "retrying: {message}");
            }
            return;
        }
        self.progress_line(&progress_text(label, started, event));
    }

    fn clear_progress(&self) {
        Term::clear_progress(self);
    }

    fn stream_text(&self, delta: &str) {
        self.out_raw(delta);
    }

    fn abandon(&self, error: &HostError) -> ! {
        self.report(error);
        std::process::exit(error.exit_code())
    }
}

/// The `tracing` layer that prints each event as one redacted
/// `[switchyard] ...` line through the [`Term`].
pub struct RedactingLayer {
    term: Arc<Term>,
}

/// Collects an event's message and fields into one line.
#[derive(Default)]
struct Line(String);

impl tracing::field::Visit for Line {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        let sep = if self.0.is_empty() { "" } else { " " };
        let _ = if field.name() == "message" {
            write!(self.0, "{sep}{value:?}")
        } else {
            write!(self.0, "{sep}{}={value:?}", field.name())
        };
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            let sep = if self.0.is_empty() { "" } else { " " };
            self.0.push_str(sep);
            self.0.push_str(value);
        } else {
            self.record_debug(field, &value);
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RedactingLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut line = Line::default();
        event.record(&mut line);
        self.term.log_line(&line.0);
    }
}

/// Shows log events on stderr, redacted: `-v` shows `info` (each request's
/// method, URL and status), `-vv` `debug` (bodies), `-vvv` everything;
/// `RUST_LOG` (target=level syntax) replaces that choice. Nothing is
/// installed with `-q`, or when nothing is to be shown.
pub fn init_logging(term: &Arc<Term>) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    if term.verbosity < 0 {
        return;
    }
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| v.parse::<Targets>().ok());
    let level = match term.verbosity {
        0 => LevelFilter::OFF,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let filter = match from_env {
        Some(t) => t,
        None if level == LevelFilter::OFF => return,
        None => Targets::new().with_default(level),
    };
    let subscriber = tracing_subscriber::registry()
        .with(filter)
        .with(RedactingLayer { term: term.clone() });
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/*!
Calling a plugin: the host side of the [`Host`] callbacks.

[`HostCalls`] carries one call's state: the process-wide cancellation flag
(set by Ctrl-C), the output sink, streamed text, progress drawing and
plugin log lines (which pass through the redactor like everything else).
*/

use crate::output::Outputs;
use crate::term;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;
use switchyard_plugin_api::{
    abi_stable::sabi_trait::TD_Opaque, Host, HostRef, Host_TO, LogLevel, PluginError, Progress,
    ROption, RResult, RSlice, RStr, Stage,
};

static CANCELLED: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C handler: the first press asks the running call to
/// stop cleanly; a second press exits at once with code 130.
pub fn install_ctrlc() {
    let _ = ctrlc::set_handler(|| {
        if CANCELLED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
}

/// Whether the user asked to stop.
pub fn cancelled() -> bool {
    CANCELLED.load(Ordering::SeqCst)
}

/// State of one plugin call.
pub struct HostCalls {
    /// Where outputs go, when the call produces files.
    pub outputs: Option<Mutex<Outputs>>,
    /// Print streamed text deltas to stdout as they arrive.
    pub print_stream: bool,
    /// Collected streamed text (for `--json` and speech of the answer).
    pub streamed: Mutex<String>,
    /// A label for progress lines (e.g. the model).
    pub label: String,
    /// The job status last reported by a poll.
    last_status: Mutex<Option<String>>,
    started: Instant,
}

impl HostCalls {
    /// A call with no outputs.
    pub fn new(label: impl Into<String>) -> Self {
        HostCalls {
            outputs: None,
            print_stream: false,
            streamed: Mutex::new(String::new()),
            label: label.into(),
            last_status: Mutex::new(None),
            started: Instant::now(),
        }
    }

    /// A call whose outputs go to `outputs`.
    pub fn with_outputs(label: impl Into<String>, outputs: Outputs) -> Self {
        let mut c = Self::new(label);
        c.outputs = Some(Mutex::new(outputs));
        c
    }

    /// The FFI object handed to the plugin.
    pub fn as_host(&self) -> HostRef<'_> {
        Host_TO::from_ptr(self, TD_Opaque)
    }

    /// The job status last reported by a poll during this call, if any.
    pub fn last_status(&self) -> Option<String> {
        self.last_status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Takes the outputs back after the call.
    pub fn take_outputs(&mut self) -> Option<Outputs> {
        self.outputs
            .take()
            .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
    }
}

fn fmt_elapsed(ms: u64) -> String {
    let s = ms / 1000;
    format!("{:02}:{:02}", s / 60, s % 60)
}

impl Host for HostCalls {
    fn is_cancelled(&self) -> bool {
        cancelled()
    }

    fn log(&self, level: u8, message: RStr<'_>) {
        let lvl = if level == LogLevel::WARN {
            0
        } else {
            level as i8
        };
        if lvl == 0 {
            term::notice(message.as_str());
        } else {
            term::log(lvl, message.as_str());
        }
    }

    fn progress(&self, e: &Progress) {
        if e.stage == Stage::POLLING && !e.status.is_empty() {
            *self.last_status.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(e.status.to_string());
        }
        if !term::progress_enabled() {
            if e.stage == Stage::RETRYING {
                term::log(1, &format!("retrying: {}", e.message));
            }
            return;
        }
        let elapsed = fmt_elapsed(self.started.elapsed().as_millis() as u64);
        let line = match e.stage {
            Stage::SUBMITTED => format!("{} · job {} submitted · {elapsed}", self.label, e.job_id),
            Stage::POLLING => format!(
                "{} · job {} · {} · {elapsed} · poll {}",
                self.label, e.job_id, e.status, e.poll_count
            ),
            Stage::DOWNLOADING => {
                let secs = self.started.elapsed().as_secs_f64().max(0.001);
                let total = match e.total_bytes {
                    ROption::RSome(t) => format!(" / {}", term::human_bytes(t)),
                    ROption::RNone => String::new(),
                };
                format!(
                    "{} · downloading #{} · {}{total} · {}/s · {elapsed}",
                    self.label,
                    e.index + 1,
                    term::human_bytes(e.bytes),
                    term::human_bytes((e.bytes as f64 / secs) as u64)
                )
            }
            Stage::RETRYING => format!("{} · retrying: {} · {elapsed}", self.label, e.message),
            _ => format!("{} · {} · {elapsed}", self.label, e.message),
        };
        term::progress(&line);
    }

    fn text(&self, delta: RStr<'_>) {
        if let Ok(mut s) = self.streamed.lock() {
            s.push_str(delta.as_str());
        }
        if self.print_stream {
            term::out_raw(delta.as_str());
        }
    }

    fn open_output(
        &self,
        index: u32,
        media_type: RStr<'_>,
        declared_len: ROption<u64>,
    ) -> RResult<(), PluginError> {
        let Some(o) = &self.outputs else {
            return RResult::RErr(PluginError::new(
                switchyard_plugin_api::ErrorKind::INTERNAL,
                "this call does not produce output files",
            ));
        };
        let mut o = o.lock().unwrap_or_else(|e| e.into_inner());
        o.open(index, media_type.as_str(), declared_len.into_option())
            .into()
    }

    fn write_output(&self, index: u32, data: RSlice<'_, u8>) -> RResult<(), PluginError> {
        if cancelled() {
            return RResult::RErr(PluginError::cancelled());
        }
        let Some(o) = &self.outputs else {
            return RResult::RErr(PluginError::new(
                switchyard_plugin_api::ErrorKind::INTERNAL,
                "this call does not produce output files",
            ));
        };
        let mut o = o.lock().unwrap_or_else(|e| e.into_inner());
        o.write(index, data.as_slice()).into()
    }
}

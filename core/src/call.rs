/*!
Calling a plugin: the host side of the [`Host`] callbacks.

[`HostCalls`] carries one call's state: its session (cancellation by
Ctrl-C, the deadline, the reporter), the output sink, streamed text,
progress events and plugin log lines. Nothing here draws: events go to the
session's [`crate::session::Reporter`], and a plugin's log lines become
`tracing` events (target `switchyard::plugin`: `info` for request lines,
`debug` for details), which the binary shows with `-v`/`-vv`/`RUST_LOG`.
*/

use crate::loader::Plugin;
use crate::output::Outputs;
use crate::session::{ProgressEvent, Session, GRACE};
use serde::{de::DeserializeOwned, Serialize};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use switchyard_plugin_api::{
    abi_stable::sabi_trait::TD_Opaque, doc, CancelWakerBox, Host, HostRef, Host_TO, LogLevel,
    PluginError, Progress, ROption, RResult, RSlice, RStr, Stage,
};

/// An armed call: what it is and its deadline, for the exit message.
struct Armed {
    what: String,
    deadline_ms: u64,
    grace: Duration,
}

/// The calls a session's watchdog watches, and its thread's state.
#[derive(Default)]
pub(crate) struct WatchState {
    watched: Mutex<Watched>,
    wake: Condvar,
}

#[derive(Default)]
struct Watched {
    next_id: u64,
    started: bool,
    /// Until when the watchdog thread sleeps (`None`: until woken).
    sleeping_until: Option<Instant>,
    /// Armed calls by the instant they time out.
    armed: std::collections::BTreeMap<(Instant, u64), Armed>,
}

impl WatchState {
    fn lock(&self) -> MutexGuard<'_, Watched> {
        self.watched.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The watchdog thread: sleeps until the earliest armed limit, abandons
/// the session's call if it is still armed then. Ends with the session.
fn watch(state: Arc<WatchState>, session: std::sync::Weak<Session>) {
    let mut w = state.lock();
    loop {
        let Some(key) = w.armed.keys().next().copied() else {
            w.sleeping_until = None;
            w = state.wake.wait(w).unwrap_or_else(|e| e.into_inner());
            continue;
        };
        let now = Instant::now();
        if now >= key.0 {
            let why = w.armed.get(&key).map_or_else(String::new, |a| {
                format!(
                    "timed out: the plugin's {} call did not return within {:.1} s of its {:.1} s deadline",
                    a.what,
                    a.grace.as_secs_f64(),
                    a.deadline_ms as f64 / 1000.0
                )
            });
            drop(w);
            match session.upgrade() {
                Some(s) => s.abandon(true, &why),
                None => return,
            }
        }
        w.sleeping_until = Some(key.0);
        w = state
            .wake
            .wait_timeout(w, key.0 - now)
            .map(|(g, _)| g)
            .unwrap_or_else(|e| e.into_inner().0);
    }
}

/// Bounds one plugin call: if it has not returned `grace` after
/// `deadline_ms` (0 = no deadline), the session abandons it and the
/// process exits with code 5 (timed out), as the plugin should have.
/// Dropping the guard disarms it.
///
/// One watchdog thread per session watches every armed call (started on
/// first use); arming and disarming only take a lock, so a call costs no
/// thread of its own.
pub(crate) struct Watchdog {
    state: Arc<WatchState>,
    key: Option<(Instant, u64)>,
}

impl Watchdog {
    /// Arms a watchdog of `session` for a call whose deadline is `deadline_ms`.
    pub(crate) fn arm(
        session: &Session,
        what: &str,
        deadline_ms: u64,
        grace: Duration,
    ) -> Watchdog {
        let state = session.watchdog.clone();
        // No deadline, or one too far to represent: nothing to watch.
        let Some(limit) = Instant::now()
            .checked_add(Duration::from_millis(deadline_ms).saturating_add(grace))
            .filter(|_| deadline_ms > 0)
        else {
            return Watchdog { state, key: None };
        };
        let mut w = state.lock();
        if !w.started {
            let (st, weak) = (state.clone(), session.weak());
            let spawned = std::thread::Builder::new()
                .name("switchyard-watchdog".into())
                .spawn(move || watch(st, weak));
            if spawned.is_err() {
                drop(w);
                return Watchdog { state, key: None };
            }
            w.started = true;
        }
        let key = (limit, w.next_id);
        w.next_id += 1;
        w.armed.insert(
            key,
            Armed {
                what: what.to_string(),
                deadline_ms,
                grace,
            },
        );
        // The thread only needs waking when it would sleep past this limit
        // (usually it already sleeps until an earlier call's limit).
        if w.sleeping_until.is_none_or(|t| limit < t) {
            state.wake.notify_one();
        }
        drop(w);
        Watchdog {
            state,
            key: Some(key),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.state.lock().armed.remove(&key);
        }
    }
}

/// State of one plugin call.
pub struct HostCalls {
    session: Arc<Session>,
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
    /// This call's number among the session's cancellation wakers.
    call_id: u64,
}

impl Drop for HostCalls {
    fn drop(&mut self) {
        self.session.forget_wakers(self.call_id);
    }
}

impl HostCalls {
    /// A call of `session` with no outputs.
    pub fn new(session: &Arc<Session>, label: impl Into<String>) -> Self {
        HostCalls {
            call_id: session.next_call_id(),
            session: session.clone(),
            outputs: None,
            print_stream: false,
            streamed: Mutex::new(String::new()),
            label: label.into(),
            last_status: Mutex::new(None),
            started: Instant::now(),
        }
    }

    /// A call of `session` whose outputs go to `outputs`.
    pub fn with_outputs(
        session: &Arc<Session>,
        label: impl Into<String>,
        outputs: Outputs,
    ) -> Self {
        let mut c = Self::new(session, label);
        c.outputs = Some(Mutex::new(outputs));
        c
    }

    /// The FFI object handed to the plugin.
    pub fn as_host(&self) -> HostRef<'_> {
        Host_TO::from_ptr(self, TD_Opaque)
    }

    /// Runs operation `op` of `plugin` with these callbacks. A plugin that
    /// has not returned [`GRACE`] after the context's deadline is abandoned
    /// (the session ends the process with exit code 5).
    pub fn call<Req: Serialize, T: DeserializeOwned>(
        &self,
        plugin: &Plugin,
        op: &str,
        ctx: &doc::Context,
        request: &Req,
        blobs: &[&[u8]],
    ) -> Result<T, PluginError> {
        let _bound = Watchdog::arm(&self.session, op, ctx.timeout_ms, GRACE);
        plugin.call(op, ctx, request, blobs, self.as_host())
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

impl Host for HostCalls {
    fn is_cancelled(&self) -> bool {
        self.session.is_cancelled() || self.session.deadline_passed()
    }

    fn on_cancel(&self, waker: CancelWakerBox) {
        self.session.register_waker(self.call_id, waker);
    }

    fn log(&self, level: u8, message: RStr<'_>) {
        if level == LogLevel::WARN {
            self.session.notice(message.as_str());
        } else {
            let message = message.as_str();
            match level {
                LogLevel::INFO => tracing::info!(target: "switchyard::plugin", "{message}"),
                LogLevel::DEBUG => tracing::debug!(target: "switchyard::plugin", "{message}"),
                _ => tracing::trace!(target: "switchyard::plugin", "{message}"),
            }
        }
    }

    fn progress(&self, e: &Progress) {
        if e.stage == Stage::POLLING && !e.status.is_empty() {
            *self.last_status.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(e.status.to_string());
        }
        let event = match e.stage {
            Stage::SUBMITTED => ProgressEvent::Submitted {
                job_id: e.job_id.as_str(),
            },
            Stage::POLLING => ProgressEvent::Polling {
                job_id: e.job_id.as_str(),
                status: e.status.as_str(),
                polls: e.poll_count,
            },
            Stage::DOWNLOADING => ProgressEvent::Downloading {
                index: e.index,
                bytes: e.bytes,
                total: e.total_bytes.into_option(),
            },
            Stage::RETRYING => ProgressEvent::Retrying {
                message: e.message.as_str(),
            },
            Stage::PARTIAL => ProgressEvent::Partial {
                index: e.index,
                bytes: e.bytes,
                message: e.message.as_str(),
            },
            _ => ProgressEvent::Other {
                message: e.message.as_str(),
            },
        };
        self.session
            .reporter()
            .progress(&self.label, self.started, &event);
    }

    fn text(&self, delta: RStr<'_>) {
        if let Ok(mut s) = self.streamed.lock() {
            s.push_str(delta.as_str());
        }
        if self.print_stream {
            self.session.reporter().stream_text(delta.as_str());
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
        if self.session.is_cancelled() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watchdogs_share_one_thread_and_disarm_when_dropped() {
        let session = Session::silent();
        let guards: Vec<Watchdog> = (0..200)
            .map(|i| Watchdog::arm(&session, "chat", 60_000 + i, GRACE))
            .collect();
        let keys: Vec<(Instant, u64)> = guards.iter().filter_map(|g| g.key).collect();
        assert_eq!(keys.len(), 200);
        {
            let w = session.watchdog.lock();
            assert!(w.started);
            assert!(keys.iter().all(|k| w.armed.contains_key(k)));
        }
        drop(guards);
        assert!(keys
            .iter()
            .all(|k| !session.watchdog.lock().armed.contains_key(k)));
        assert!(Watchdog::arm(&session, "chat", 0, GRACE).key.is_none());
        // A deadline too far to matter arms (or not) without panicking.
        drop(Watchdog::arm(&session, "chat", u64::MAX, Duration::MAX));
    }
}

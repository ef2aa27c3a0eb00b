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
use std::time::{Duration, Instant};
use switchyard_plugin_api::{
    abi_stable::sabi_trait::TD_Opaque, CancelWakerBox, Host, HostRef, Host_TO, LogLevel,
    PluginError, Progress, ROption, RResult, RSlice, RStr, Stage,
};

static CANCELLED: AtomicBool = AtomicBool::new(false);

/// Wakers plugins registered for the calls in flight, by call number.
static WAKERS: Mutex<Vec<(u64, CancelWakerBox)>> = Mutex::new(Vec::new());
static NEXT_CALL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn lock_wakers() -> std::sync::MutexGuard<'static, Vec<(u64, CancelWakerBox)>> {
    WAKERS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Wakes host threads sleeping in [`sleep_cancellable`] when the user cancels.
static CANCEL_LOCK: Mutex<()> = Mutex::new(());
static CANCEL_WAKE: std::sync::Condvar = std::sync::Condvar::new();

/// Asks every call in flight to stop: sets the flag and wakes the plugins
/// that registered a waker (no plugin polls the flag) and the host's own
/// waits ([`sleep_cancellable`]).
pub fn cancel_all() {
    CANCELLED.store(true, Ordering::SeqCst);
    let wakers: Vec<(u64, CancelWakerBox)> = std::mem::take(&mut *lock_wakers());
    for (_, w) in &wakers {
        w.wake();
    }
    drop(CANCEL_LOCK.lock().unwrap_or_else(|e| e.into_inner()));
    CANCEL_WAKE.notify_all();
}

/// Sleeps for `d`, or until the user cancels: woken by [`cancel_all`],
/// so nothing runs in between (no polling).
pub fn sleep_cancellable(d: Duration) {
    let end = Instant::now().checked_add(d);
    let mut g = CANCEL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // The flag is checked under the lock `cancel_all` takes before it
    // notifies, so a cancel between the check and the wait is not lost.
    while !cancelled() {
        let left = end.map_or(Duration::MAX, |e| {
            e.saturating_duration_since(Instant::now())
        });
        if left.is_zero() {
            return;
        }
        g = CANCEL_WAKE
            .wait_timeout(g, left)
            .map(|(g, _)| g)
            .unwrap_or_else(|e| e.into_inner().0);
    }
}

/// How long a plugin may take to stop after Ctrl-C, or to return after its
/// deadline, before the host exits without it.
pub const GRACE: Duration = Duration::from_secs(3);

/// The paid job this process is waiting for, if any (see [`set_running_job`]).
static RUNNING_JOB: Mutex<Option<String>> = Mutex::new(None);
/// Whether errors are also printed as a JSON object on stdout (`--json`).
static JSON_ERRORS: AtomicBool = AtomicBool::new(false);

/// Records the paid job this process waits for (`None` once it is done),
/// so that an exit that does not wait for the plugin still names it.
pub fn set_running_job(id: Option<&str>) {
    *RUNNING_JOB.lock().unwrap_or_else(|e| e.into_inner()) = id.map(str::to_string);
}

/// Says, even with `-q`, that the paid job `id` is left running and how to
/// finish it (DESIGN §4: its id is always printed).
pub fn say_job_left_running(id: &str) {
    term::notice_always(&format!(
        "job {id} is not lost: it is journaled; finish it with: switchyard video resume {id}"
    ));
}

/// Exits now, without waiting for the plugin: the temporary output files
/// are removed first (destructors do not run on `exit`). A video job is
/// already journaled, so it stays resumable, and its id is printed.
fn force_exit(code: i32, why: &str) -> ! {
    crate::output::remove_live_temps();
    let job = RUNNING_JOB
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let kind = if code == 5 {
        switchyard_plugin_api::ErrorKind::TIMEOUT
    } else {
        switchyard_plugin_api::ErrorKind::CANCELLED
    };
    let mut e = crate::error::HostError::from(PluginError::new(kind, why));
    if let Some(id) = &job {
        say_job_left_running(id);
        e = e.with_job(id);
    }
    term::error(why);
    if JSON_ERRORS.load(Ordering::SeqCst) {
        term::out(&e.to_json().to_string());
    }
    std::process::exit(code)
}

/// Installs the Ctrl-C handler: the first press asks the running call to
/// stop cleanly, and the host exits anyway (130) if it has not ended
/// [`GRACE`] later; a second press exits at once with code 130.
/// With `json`, an exit forced by Ctrl-C or a deadline also prints the
/// `--json` error object.
pub fn install_ctrlc(json: bool) {
    JSON_ERRORS.store(json, Ordering::SeqCst);
    let _ = ctrlc::set_handler(|| {
        if CANCELLED.load(Ordering::SeqCst) {
            force_exit(130, "interrupted");
        }
        cancel_all();
        let _ = std::thread::Builder::new()
            .name("switchyard-ctrlc-grace".into())
            .spawn(|| {
                std::thread::sleep(GRACE);
                force_exit(
                    130,
                    &format!(
                        "interrupted: the plugin did not stop within {} s of Ctrl-C",
                        GRACE.as_secs()
                    ),
                );
            });
    });
}

/// Bounds one plugin call: if it has not returned `grace` after
/// `deadline_ms` (0 = no deadline), the host exits with code 5 (timed out),
/// as the plugin should have. Dropping the guard disarms it.
///
/// One watchdog thread per process watches every armed call (started on
/// first use); arming and disarming only take a lock, so a call costs no
/// thread of its own.
pub struct Watchdog {
    key: Option<(Instant, u64)>,
}

/// An armed call: what it is and its deadline, for the exit message.
struct Armed {
    what: String,
    deadline_ms: u64,
    grace: Duration,
}

struct Watched {
    next_id: u64,
    started: bool,
    /// Until when the watchdog thread sleeps (`None`: until woken).
    sleeping_until: Option<Instant>,
    /// Armed calls by the instant they time out.
    armed: std::collections::BTreeMap<(Instant, u64), Armed>,
}

static WATCHED: Mutex<Watched> = Mutex::new(Watched {
    next_id: 0,
    started: false,
    sleeping_until: None,
    armed: std::collections::BTreeMap::new(),
});
static WATCH_WAKE: std::sync::Condvar = std::sync::Condvar::new();

fn lock_watched() -> std::sync::MutexGuard<'static, Watched> {
    WATCHED.lock().unwrap_or_else(|e| e.into_inner())
}

/// The watchdog thread: sleeps until the earliest armed limit, exits the
/// process if that call is still armed then.
fn watch() {
    let mut w = lock_watched();
    loop {
        let Some(key) = w.armed.keys().next().copied() else {
            w.sleeping_until = None;
            w = WATCH_WAKE.wait(w).unwrap_or_else(|e| e.into_inner());
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
            force_exit(5, &why);
        }
        w.sleeping_until = Some(key.0);
        w = WATCH_WAKE
            .wait_timeout(w, key.0 - now)
            .map(|(g, _)| g)
            .unwrap_or_else(|e| e.into_inner().0);
    }
}

impl Watchdog {
    /// Arms a watchdog for a call whose deadline is `deadline_ms`.
    pub fn arm(what: &str, deadline_ms: u64, grace: Duration) -> Watchdog {
        // No deadline, or one too far to represent: nothing to watch.
        let Some(limit) = Instant::now()
            .checked_add(Duration::from_millis(deadline_ms).saturating_add(grace))
            .filter(|_| deadline_ms > 0)
        else {
            return Watchdog { key: None };
        };
        let mut w = lock_watched();
        if !w.started {
            let spawned = std::thread::Builder::new()
                .name("switchyard-watchdog".into())
                .spawn(watch);
            if spawned.is_err() {
                return Watchdog { key: None };
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
            WATCH_WAKE.notify_one();
        }
        Watchdog { key: Some(key) }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            lock_watched().armed.remove(&key);
        }
    }
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
    /// This call's number in [`WAKERS`].
    call_id: u64,
}

impl Drop for HostCalls {
    fn drop(&mut self) {
        lock_wakers().retain(|(id, _)| *id != self.call_id);
    }
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
            call_id: NEXT_CALL.fetch_add(1, Ordering::Relaxed),
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
        cancelled() || crate::failover::deadline_passed()
    }

    fn on_cancel(&self, waker: CancelWakerBox) {
        let mut w = lock_wakers();
        if cancelled() {
            drop(w);
            waker.wake();
        } else {
            w.push((self.call_id, waker));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancellable_sleep_sleeps_its_time() {
        let t = Instant::now();
        sleep_cancellable(Duration::from_millis(30));
        assert!(t.elapsed() >= Duration::from_millis(30) || cancelled());
        sleep_cancellable(Duration::ZERO);
    }

    #[test]
    fn watchdogs_share_one_thread_and_disarm_when_dropped() {
        let guards: Vec<Watchdog> = (0..200)
            .map(|i| Watchdog::arm("chat", 60_000 + i, GRACE))
            .collect();
        let keys: Vec<(Instant, u64)> = guards.iter().filter_map(|g| g.key).collect();
        assert_eq!(keys.len(), 200);
        {
            let w = lock_watched();
            assert!(w.started);
            assert!(keys.iter().all(|k| w.armed.contains_key(k)));
        }
        drop(guards);
        assert!(keys.iter().all(|k| !lock_watched().armed.contains_key(k)));
        assert!(Watchdog::arm("chat", 0, GRACE).key.is_none());
        // A deadline too far to matter arms (or not) without panicking.
        drop(Watchdog::arm("chat", u64::MAX, Duration::MAX));
    }
}

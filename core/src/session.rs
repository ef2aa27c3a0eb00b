/*!
The state of one run of the host, owned by a value instead of process-wide
statics: the [`Session`].

A session is created once (by the binary's `main`, or by a test or tool)
and shared as an `Arc<Session>`. It owns:

- the loaded-plugin cache (each library opened at most once per session;
  abi_stable never unloads a library, so one session per process is the
  intended use);
- the cancellation token: a flag and the wakers plugins registered with
  [`switchyard_plugin_api::Host::on_cancel`] ([`Session::cancel_all`] sets
  the flag and wakes them; the binary's Ctrl-C handler calls it);
- the registry of temporary output files still being written
  ([`LiveTemps`]), so an exit that skips destructors can remove them;
- the secret registry ([`Secrets`]) every printed line is redacted with;
- the command's deadline (`--timeout`) and the watchdog that abandons a
  plugin call that overstays it;
- the paid job being waited for, named when the process exits without it;
- where the host keeps its files ([`Dirs`]: config, state, cache);
- the [`Reporter`] through which everything meant for the user leaves the
  session: notices, lines that must be seen even with `-q`, progress
  events and streamed text. The binary draws them; the session never
  touches a terminal.
*/

use crate::error::HostError;
use crate::journal::Journal;
use crate::loader::{self, LoadError, Plugin};
use crate::manifest::Manifest;
use crate::output::LiveTemps;
use crate::paths::Dirs;
use crate::secrets::Secrets;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};
use switchyard_plugin_api::{CancelWakerBox, ErrorKind, PluginError};

/// How long a plugin may take to stop after Ctrl-C, or to return after its
/// deadline, before the host exits without it.
pub const GRACE: Duration = Duration::from_secs(3);

/// A progress event of a plugin call, as the reporter draws it.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgressEvent<'a> {
    /// An asynchronous job was accepted.
    Submitted {
        /// The provider's job id.
        job_id: &'a str,
    },
    /// A poll answered.
    Polling {
        /// The provider's job id.
        job_id: &'a str,
        /// The status the poll reported.
        status: &'a str,
        /// Polls so far.
        polls: u32,
    },
    /// Output bytes arrive.
    Downloading {
        /// Which output (0-based).
        index: u32,
        /// Bytes so far.
        bytes: u64,
        /// The total, when declared.
        total: Option<u64>,
    },
    /// A request is retried.
    Retrying {
        /// Why.
        message: &'a str,
    },
    /// A partial result arrived (a streamed partial image).
    Partial {
        /// Which output it is a preview of (0-based).
        index: u32,
        /// Its size in bytes, when known (0 otherwise).
        bytes: u64,
        /// What the plugin said of it (`partial image 2 of image 1`).
        message: &'a str,
    },
    /// Any other stage.
    Other {
        /// What the plugin said.
        message: &'a str,
    },
}

/// Where a session's output for the user goes. The binary implements it
/// (terminal drawing, `-q`, redaction); tools and tests may use [`Silent`].
/// Log lines are not reported here: they are `tracing` events.
pub trait Reporter: Send + Sync {
    /// A notice: shown unless the user asked for quiet (`-q`).
    fn notice(&self, text: &str);
    /// A line the user must not miss, shown even with `-q` (the id of a
    /// paid job left running).
    fn always(&self, text: &str);
    /// Progress of the call labelled `label`, started at `started`.
    fn progress(&self, label: &str, started: Instant, event: &ProgressEvent<'_>);
    /// Removes whatever progress display is shown.
    fn clear_progress(&self);
    /// A piece of a streamed answer, to print as it arrives.
    fn stream_text(&self, delta: &str);
    /// The session gives up on a plugin call and the process must end now
    /// with `error` (its exit code: 5 timed out, 130 interrupted). The
    /// session has already removed its temporary files.
    fn abandon(&self, error: &HostError) -> !;
}

/// A reporter that shows nothing and exits with the error's code when a
/// call is abandoned: for tools, benchmarks and tests.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Reporter for Silent {
    fn notice(&self, _: &str) {}
    fn always(&self, _: &str) {}
    fn progress(&self, _: &str, _: Instant, _: &ProgressEvent<'_>) {}
    fn clear_progress(&self) {}
    fn stream_text(&self, _: &str) {}
    fn abandon(&self, error: &HostError) -> ! {
        std::process::exit(error.exit_code())
    }
}

/// Every load attempt of this session, by plugin id (successes and refusals).
type LoadCache = HashMap<String, Result<Arc<Plugin>, LoadError>>;

/// The command's deadline: when, and the `--timeout` it came from.
#[derive(Debug, Default)]
struct Deadline {
    at: Mutex<Option<(Instant, Duration)>>,
    /// How many failover runs are in progress: only their plugin calls are
    /// cut off at the deadline (a video job keeps its own, journaled timeout).
    enforcing: AtomicUsize,
}

/// The state of one run: see the module documentation.
pub struct Session {
    reporter: Arc<dyn Reporter>,
    secrets: Secrets,
    temps: LiveTemps,
    cancelled: AtomicBool,
    /// Wakers plugins registered for the calls in flight, by call number.
    wakers: Mutex<Vec<(u64, CancelWakerBox)>>,
    /// Wakes the host's own waits ([`Session::sleep_cancellable`]) on a cancel.
    sleepers: (Mutex<()>, Condvar),
    next_call: AtomicU64,
    plugins: Mutex<LoadCache>,
    deadline: Deadline,
    running_job: Mutex<Option<String>>,
    noticed: Mutex<HashSet<String>>,
    dirs: Dirs,
    pub(crate) watchdog: Arc<crate::call::WatchState>,
    this: Weak<Session>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Session {
    /// A session reporting to `reporter`, redacting with `secrets` and
    /// tracking temporary files in `temps` (both shared with the reporter,
    /// which needs them to redact and to clean up on a closed stdout).
    pub fn new(reporter: Arc<dyn Reporter>, secrets: Secrets, temps: LiveTemps) -> Arc<Session> {
        Arc::new_cyclic(|this| Session {
            reporter,
            secrets,
            temps,
            cancelled: AtomicBool::new(false),
            wakers: Mutex::new(Vec::new()),
            sleepers: (Mutex::new(()), Condvar::new()),
            next_call: AtomicU64::new(1),
            plugins: Mutex::new(HashMap::new()),
            deadline: Deadline::default(),
            running_job: Mutex::new(None),
            noticed: Mutex::new(HashSet::new()),
            dirs: Dirs::from_env(),
            watchdog: Arc::default(),
            this: this.clone(),
        })
    }

    /// A session that shows nothing ([`Silent`]), for tools and tests.
    pub fn silent() -> Arc<Session> {
        Session::new(Arc::new(Silent), Secrets::default(), LiveTemps::default())
    }

    /// The reporter.
    pub(crate) fn reporter(&self) -> &dyn Reporter {
        self.reporter.as_ref()
    }

    /// A notice for the user (silenced by `-q`).
    pub fn notice(&self, text: &str) {
        self.reporter.notice(text);
    }

    /// A notice shown once per `key` in this session.
    pub(crate) fn notice_once(&self, key: &str, text: &str) {
        if lock(&self.noticed).insert(key.to_string()) {
            self.reporter.notice(text);
        }
    }

    /// The secret registry.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// Where the host keeps its files (resolved once, from the environment).
    pub fn dirs(&self) -> &Dirs {
        &self.dirs
    }

    /// The video job journal.
    pub fn journal(&self) -> Journal {
        Journal::new(self.dirs.jobs())
    }

    /// The temporary files being written.
    pub fn temps(&self) -> &LiveTemps {
        &self.temps
    }

    pub(crate) fn weak(&self) -> Weak<Session> {
        self.this.clone()
    }

    /// Loads (once per session) and checks the plugin of `manifest`.
    pub fn load(&self, manifest: &Arc<Manifest>) -> Result<Arc<Plugin>, LoadError> {
        let mut cache = lock(&self.plugins);
        if let Some(r) = cache.get(&manifest.id) {
            return r.clone();
        }
        let result = loader::load(manifest).map(Arc::new);
        cache.insert(manifest.id.clone(), result.clone());
        result
    }

    // --- cancellation ---

    /// Whether the user asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Asks every call in flight to stop: sets the flag and wakes the
    /// plugins that registered a waker (no plugin polls the flag) and the
    /// host's own waits ([`Session::sleep_cancellable`]).
    pub fn cancel_all(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let wakers = std::mem::take(&mut *lock(&self.wakers));
        for (_, w) in &wakers {
            w.wake();
        }
        // Taken and released before notifying: a sleeper that checked the
        // flag before it was set is then already waiting, so it is woken.
        drop(lock(&self.sleepers.0));
        self.sleepers.1.notify_all();
    }

    /// A fresh call number for [`Session::register_waker`].
    pub(crate) fn next_call_id(&self) -> u64 {
        self.next_call.fetch_add(1, Ordering::Relaxed)
    }

    /// Keeps `waker` for call `call_id` (woken at once if already cancelled).
    pub(crate) fn register_waker(&self, call_id: u64, waker: CancelWakerBox) {
        let mut w = lock(&self.wakers);
        if self.is_cancelled() {
            drop(w);
            waker.wake();
        } else {
            w.push((call_id, waker));
        }
    }

    /// Drops the wakers of call `call_id` (the call returned).
    pub(crate) fn forget_wakers(&self, call_id: u64) {
        lock(&self.wakers).retain(|(id, _)| *id != call_id);
    }

    /// Sleeps for `d`, or until the user cancels: woken by
    /// [`Session::cancel_all`], so nothing runs in between (no polling).
    pub(crate) fn sleep_cancellable(&self, d: Duration) {
        let end = Instant::now().checked_add(d);
        let mut g = lock(&self.sleepers.0);
        // The flag is read under the lock `cancel_all` takes before it
        // notifies, so a cancel between the check and the wait is not lost.
        while !self.is_cancelled() {
            let left = end.map_or(Duration::MAX, |e| {
                e.saturating_duration_since(Instant::now())
            });
            if left.is_zero() {
                return;
            }
            g = self
                .sleepers
                .1
                .wait_timeout(g, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    // --- deadline ---

    /// Makes `total` (a user's `--timeout`) the deadline of the whole command.
    pub fn set_deadline(&self, total: Duration) {
        let at = Instant::now().checked_add(total);
        *lock(&self.deadline.at) = at.map(|at| (at, total));
    }

    /// The `--timeout` the deadline came from, if there is one.
    pub(crate) fn deadline_total(&self) -> Option<Duration> {
        lock(&self.deadline.at).map(|(_, total)| total)
    }

    /// The time left before the command's deadline, if it has one.
    pub(crate) fn time_left(&self) -> Option<Duration> {
        lock(&self.deadline.at).map(|(at, _)| at.saturating_duration_since(Instant::now()))
    }

    /// Whether a plugin call made by a failover run must stop now: the
    /// deadline passed.
    pub(crate) fn deadline_passed(&self) -> bool {
        self.deadline.enforcing.load(Ordering::SeqCst) > 0
            && self.time_left() == Some(Duration::ZERO)
    }

    /// An attempt's timeout: `configured_ms`, but no more than the time left.
    pub fn attempt_timeout_ms(&self, configured_ms: u64) -> u64 {
        match self.time_left() {
            Some(left) => configured_ms.min(left.as_millis().max(1) as u64),
            None => configured_ms,
        }
    }

    /// Counts a failover run in progress while the guard lives.
    pub(crate) fn enforce_deadline(&self) -> EnforcingGuard<'_> {
        self.deadline.enforcing.fetch_add(1, Ordering::SeqCst);
        EnforcingGuard(self)
    }

    // --- the paid job, and leaving without the plugin ---

    /// Records the paid job this process waits for (`None` once it is
    /// done), so that an exit that does not wait for the plugin still
    /// names it.
    pub fn set_running_job(&self, id: Option<&str>) {
        *lock(&self.running_job) = id.map(str::to_string);
    }

    /// Says, even with `-q`, that the paid job `id` is left running and
    /// how to finish it (its id is always printed).
    pub fn say_job_left_running(&self, id: &str) {
        self.reporter.always(&format!(
            "job {id} is not lost: it is journaled; finish it with: switchyard video resume {id}"
        ));
    }

    /// Ends the process now, without waiting for the plugin: the temporary
    /// output files are removed first (destructors do not run on exit). A
    /// video job is already journaled, so it stays resumable, and its id is
    /// printed. `timed_out` picks the exit: 5 (timed out) or 130
    /// (interrupted).
    pub fn abandon(&self, timed_out: bool, why: &str) -> ! {
        self.temps.remove_all();
        let kind = if timed_out {
            ErrorKind::TIMEOUT
        } else {
            ErrorKind::CANCELLED
        };
        let mut e = HostError::from(PluginError::new(kind, why));
        let job = lock(&self.running_job).clone();
        if let Some(id) = &job {
            self.say_job_left_running(id);
            e = e.with_job(id);
        }
        self.reporter.abandon(&e)
    }
}

/// Counts a failover run in progress while alive.
pub(crate) struct EnforcingGuard<'a>(&'a Session);

impl Drop for EnforcingGuard<'_> {
    fn drop(&mut self) {
        self.0.deadline.enforcing.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A retry wait ends at once on Ctrl-C: woken, not polled.
    #[test]
    fn a_cancellable_sleep_ends_when_the_session_is_cancelled() {
        let s = Session::silent();
        let t = Instant::now();
        s.sleep_cancellable(Duration::from_millis(20));
        assert!(t.elapsed() >= Duration::from_millis(20));
        let other = Arc::clone(&s);
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            other.cancel_all();
        });
        let t = Instant::now();
        s.sleep_cancellable(Duration::from_secs(60));
        assert!(t.elapsed() < Duration::from_secs(30), "woken by the cancel");
        canceller.join().unwrap();
        let t = Instant::now();
        s.sleep_cancellable(Duration::from_secs(60));
        assert!(t.elapsed() < Duration::from_secs(1), "already cancelled");
    }
}

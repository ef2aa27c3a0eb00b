/*!
The plugin's own tokio runtime, and the bridge from a blocking entry point
to async work.

A cdylib carries its own copy of tokio, so the runtime must be the
plugin's: created once on first use, two worker threads, never shared with
the host (passing the host's runtime handle across the boundary is
unsound, tokio issues 4102 and 5974). [`PluginRuntime::run`] runs a future
to completion on it and ends it early when the host cancels or the call's
deadline passes.

Cancellation is event-driven: the bridge registers a waker with
[`switchyard_plugin_api::Host::on_cancel`], and the host calls it from its
Ctrl-C thread. Nothing wakes between a job's polls.
*/

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use switchyard_plugin_api::abi_stable::sabi_trait::TD_Opaque;
use switchyard_plugin_api::{CancelWaker, CancelWaker_TO, ErrorKind, HostRef, PluginError};
use tokio::sync::Notify;

/// A plugin's own multi-thread tokio runtime, created on first use.
pub struct PluginRuntime {
    thread_name: &'static str,
    cell: OnceLock<Result<tokio::runtime::Runtime, String>>,
}

/// Wakes the bridge when the host cancels.
struct Waker(Arc<Notify>);

impl CancelWaker for Waker {
    fn wake(&self) {
        self.0.notify_one();
    }
}

impl PluginRuntime {
    /// A runtime whose worker threads are named `thread_name` (for a `static`).
    pub const fn new(thread_name: &'static str) -> Self {
        PluginRuntime {
            thread_name,
            cell: OnceLock::new(),
        }
    }

    /// The runtime, started on first use.
    pub fn get(&self) -> Result<&tokio::runtime::Runtime, PluginError> {
        self.cell
            .get_or_init(|| {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name(self.thread_name)
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| {
                PluginError::new(
                    ErrorKind::INTERNAL,
                    format!("cannot start the plugin's runtime: {e}"),
                )
            })
    }

    /// Runs `fut` to completion; `timeout_ms` 0 means no deadline. Returns
    /// `cancelled` when the host cancels and `timeout` at the deadline.
    pub fn run<T>(
        &self,
        host: &HostRef<'_>,
        timeout_ms: u64,
        fut: impl Future<Output = Result<T, PluginError>>,
    ) -> Result<T, PluginError> {
        let rt = self.get()?;
        let notify = Arc::new(Notify::new());
        host.on_cancel(CancelWaker_TO::from_value(Waker(notify.clone()), TD_Opaque));
        rt.block_on(async {
            let deadline = async {
                if timeout_ms == 0 {
                    std::future::pending::<()>().await
                } else {
                    tokio::time::sleep(Duration::from_millis(timeout_ms)).await
                }
            };
            tokio::select! {
                r = fut => r,
                _ = notify.notified() => Err(PluginError::cancelled()),
                _ = deadline => Err(PluginError::new(
                    ErrorKind::TIMEOUT,
                    format!("timed out after {:.1} s", timeout_ms as f64 / 1000.0),
                )),
            }
        })
    }
}

/*!
The bridge from a blocking entry point to async work (feature `tokio`).

Entry points are blocking for the host; a plugin does its I/O on its own
tokio runtime. A cdylib carries its own copy of tokio, so the runtime must
be the plugin's, created once on first use and never shared with the host
(passing the host's runtime handle across the boundary is unsound).
[`PluginRuntime::run`] runs a future to completion on it, ending early when
the host cancels (checked every 100 ms) or the call's deadline passes.
*/

use crate::error::{ErrorKind, PluginError};
use crate::host::HostRef;
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

/// A plugin's own multi-thread tokio runtime, created on first use.
pub struct PluginRuntime {
    thread_name: &'static str,
    cell: OnceLock<Result<tokio::runtime::Runtime, String>>,
}

impl PluginRuntime {
    /// A runtime whose worker threads are named `thread_name` (for a `static`).
    pub const fn new(thread_name: &'static str) -> Self {
        PluginRuntime {
            thread_name,
            cell: OnceLock::new(),
        }
    }

    fn get(&self) -> Result<&tokio::runtime::Runtime, PluginError> {
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
        self.get()?.block_on(async {
            let cancelled = async {
                while !host.is_cancelled() {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            };
            let deadline = async {
                if timeout_ms == 0 {
                    std::future::pending::<()>().await
                } else {
                    tokio::time::sleep(Duration::from_millis(timeout_ms)).await
                }
            };
            tokio::select! {
                r = fut => r,
                _ = cancelled => Err(PluginError::cancelled()),
                _ = deadline => Err(PluginError::new(
                    ErrorKind::TIMEOUT,
                    format!("timed out after {:.1} s", timeout_ms as f64 / 1000.0),
                )),
            }
        })
    }
}

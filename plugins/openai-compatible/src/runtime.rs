/*!
This library's own tokio runtime, and the bridge from a blocking entry point
to async work: the future runs to completion on the runtime, ending early
when the host cancels (checked every 100 ms) or the call's deadline passes.

A cdylib carries its own copy of tokio, so the runtime is created here, once,
on first use, and never shared with the host.
*/

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;
use switchyard_plugin_api::{ErrorKind, HostRef, PluginError};

static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();

fn runtime() -> Result<&'static tokio::runtime::Runtime, PluginError> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("openai-compatible-plugin")
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

/// Runs `fut` on the plugin's runtime; `timeout_ms` 0 means no deadline.
pub fn run<T>(
    host: &HostRef<'_>,
    timeout_ms: u64,
    fut: impl Future<Output = Result<T, PluginError>>,
) -> Result<T, PluginError> {
    runtime()?.block_on(async {
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

/*!
This library's own tokio runtime (see `switchyard_plugin_api::runtime`):
created once, never shared with the host; calls end early when the host
cancels or the deadline passes.
*/

use std::future::Future;
use switchyard_plugin_api::runtime::PluginRuntime;
use switchyard_plugin_api::{HostRef, PluginError};

static RUNTIME: PluginRuntime = PluginRuntime::new("openai-compatible-plugin");

/// Runs `fut` on the plugin's runtime; `timeout_ms` 0 means no deadline.
pub fn run<T>(
    host: &HostRef<'_>,
    timeout_ms: u64,
    fut: impl Future<Output = Result<T, PluginError>>,
) -> Result<T, PluginError> {
    RUNTIME.run(host, timeout_ms, fut)
}

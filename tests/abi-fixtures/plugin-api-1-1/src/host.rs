/*!
The callbacks a plugin may call while it serves a request.

The host implements [`Host`]; the plugin receives it as a [`HostRef`] trait
object. Everything that must leave the plugin during a call goes through
it: cancellation checks, progress, log lines (the host redacts secrets
before printing them), streamed text, and large outputs, which are written
in pieces to a sink the host chose (a temporary file it later verifies and
renames), so memory stays flat whatever the size.
*/

use crate::error::PluginError;
use crate::types::Progress;
use abi_stable::sabi_trait;
use abi_stable::sabi_types::RRef;
use abi_stable::std_types::{ROption, RResult, RSlice, RStr};

/// Severity of a log line sent to [`Host::log`].
pub struct LogLevel;

impl LogLevel {
    /// Shown with `-v`: requests and their statuses.
    pub const INFO: u8 = 1;
    /// Shown with `-vv`: details.
    pub const DEBUG: u8 = 2;
    /// Always shown unless `-q`: something the user should know.
    pub const WARN: u8 = 0;
}

/// Host services available to a plugin during one call.
#[sabi_trait]
pub trait Host: Send + Sync {
    /// Whether the host asked the call to stop (Ctrl-C, deadline). Plugins
    /// check it at least every 100 ms while waiting and return
    /// `PluginError::cancelled()`.
    fn is_cancelled(&self) -> bool;

    /// A log line; the host filters by level and redacts secrets.
    fn log(&self, level: u8, message: RStr<'_>);

    /// A progress report for a long call.
    fn progress(&self, event: &Progress);

    /// A streamed text delta (chat with `stream = true`).
    fn text(&self, delta: RStr<'_>);

    /// Starts (or restarts, discarding what was written) output number
    /// `index`, of `media_type`, with `declared_len` bytes when known.
    fn open_output(
        &self,
        index: u32,
        media_type: RStr<'_>,
        declared_len: ROption<u64>,
    ) -> RResult<(), PluginError>;

    /// Appends bytes to output `index`. An error (size cap, disk full,
    /// cancelled) means the plugin must stop and return it.
    #[sabi(last_prefix_field)]
    fn write_output(&self, index: u32, data: RSlice<'_, u8>) -> RResult<(), PluginError>;
}

/// The host object as a plugin receives it.
pub type HostRef<'a> = Host_TO<'a, RRef<'a, ()>>;

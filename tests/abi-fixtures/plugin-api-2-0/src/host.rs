/*!
The callbacks a plugin may call while it serves a request.

The host implements [`Host`]; the plugin receives it as a [`HostRef`] trait
object. Everything that must leave the plugin during a call goes through
it: cancellation, progress, log lines (the host redacts secrets before
printing them), streamed text, and large outputs, which are written in
pieces to a sink the host chose (a temporary file it later verifies and
renames), so memory stays flat whatever the size.

Cancellation costs nothing while nothing happens: a plugin registers a
[`CancelWaker`] with [`Host::on_cancel`] and the host calls it once, from
its own thread, when the user presses Ctrl-C. No one polls.

Methods added in a later minor version come after the `last_prefix_field`
marker and must have a default body, which runs when an older host's
vtable lacks them.
*/

use crate::error::PluginError;
use crate::progress::Progress;
use abi_stable::sabi_trait;
use abi_stable::sabi_types::RRef;
use abi_stable::std_types::{RBox, ROption, RResult, RSlice, RStr};

/// Severity of a log line sent to [`Host::log`].
pub struct LogLevel;

impl LogLevel {
    /// Always shown unless `-q`: something the user should know.
    pub const WARN: u8 = 0;
    /// Shown with `-v`: requests and their statuses.
    pub const INFO: u8 = 1;
    /// Shown with `-vv`: details such as (redacted, truncated) bodies.
    pub const DEBUG: u8 = 2;
}

/// Something the host calls once when the call is cancelled.
#[sabi_trait]
pub trait CancelWaker: Send + Sync {
    /// Called once, from a host thread, when the call is cancelled (Ctrl-C).
    #[sabi(last_prefix_field)]
    fn wake(&self);
}

/// A boxed [`CancelWaker`] as it crosses the boundary.
pub type CancelWakerBox = CancelWaker_TO<'static, RBox<()>>;

/// Host services available to a plugin during one call.
#[sabi_trait]
pub trait Host: Send + Sync {
    /// Whether the host asked the call to stop (Ctrl-C).
    fn is_cancelled(&self) -> bool;

    /// Registers `waker`, called once when the call is cancelled (at once,
    /// if it already is). The host drops it when the call returns.
    fn on_cancel(&self, waker: CancelWakerBox);

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

/*!
Progress events a long call reports through [`crate::Host::progress`].

A plain `repr(C)` struct (cheap enough to send for every downloaded chunk);
the stage is a transparent `u8`, so a new stage is a minor change: a host
that does not know it shows the event's `message` and nothing else.
*/

use abi_stable::std_types::{ROption, RString};
use abi_stable::StableAbi;

/// Which phase of a long job a [`Progress`] event reports.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage(pub u8);

impl Stage {
    /// The job was accepted by the provider.
    pub const SUBMITTED: Self = Self(1);
    /// The job was polled; `status` and `poll_count` are set.
    pub const POLLING: Self = Self(2);
    /// Output bytes are being downloaded; `bytes` and `total_bytes` are set.
    pub const DOWNLOADING: Self = Self(3);
    /// A transient failure is being retried; `message` says why.
    pub const RETRYING: Self = Self(4);
    /// A partial result arrived (e.g. a streamed partial image); `index` and `message` are set.
    pub const PARTIAL: Self = Self(5);
}

/// A progress report for a long call.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct Progress {
    /// The phase.
    pub stage: Stage,
    /// The provider's job status (e.g. `in_progress`), or empty.
    pub status: RString,
    /// The job id, or empty.
    pub job_id: RString,
    /// Polls made so far.
    pub poll_count: u32,
    /// Milliseconds since the call started.
    pub elapsed_ms: u64,
    /// Output index being downloaded.
    pub index: u32,
    /// Bytes downloaded so far for this output.
    pub bytes: u64,
    /// Expected size, when known.
    pub total_bytes: ROption<u64>,
    /// A short human note (e.g. why a retry happens), or empty.
    pub message: RString,
}

impl Progress {
    /// An event of `stage` with every other field empty.
    pub fn new(stage: Stage) -> Self {
        Self {
            stage,
            status: RString::new(),
            job_id: RString::new(),
            poll_count: 0,
            elapsed_ms: 0,
            index: 0,
            bytes: 0,
            total_bytes: ROption::RNone,
            message: RString::new(),
        }
    }
}

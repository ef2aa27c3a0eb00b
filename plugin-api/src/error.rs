/*!
The typed error that crosses the plugin boundary.

The host decides retries, failover and exit codes from [`ErrorKind`] alone, never
by matching message text, so every plugin must classify its failures here.
*/

use abi_stable::std_types::{ROption, RString};
use abi_stable::StableAbi;
use std::fmt;

/// What kind of failure a [`PluginError`] is.
///
/// A transparent `u8` rather than an enum so that later minor versions can add
/// kinds without changing the layout: a kind the host does not know is treated
/// as [`ErrorKind::INTERNAL`].
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorKind(pub u8);

impl ErrorKind {
    /// The key is missing, invalid, expired or lacks permission (401/403).
    pub const AUTH: Self = Self(1);
    /// The account or key is out of credits (402).
    pub const BILLING: Self = Self(2);
    /// Rate limited (429); see [`PluginError::retry_after_ms`].
    pub const RATE_LIMITED: Self = Self(3);
    /// The provider rejected the request as invalid (400, 413, 422).
    pub const INVALID_REQUEST: Self = Self(4);
    /// The plugin or model does not offer what was asked for.
    pub const UNSUPPORTED: Self = Self(5);
    /// A job or resource does not exist (404 on a job).
    pub const NOT_FOUND: Self = Self(6);
    /// The request or job timed out (408, 524, or the caller's deadline).
    pub const TIMEOUT: Self = Self(7);
    /// Refused by a content policy or moderation.
    pub const CONTENT_POLICY: Self = Self(8);
    /// The provider or the model behind it failed (5xx, 529, malformed answers).
    pub const UPSTREAM: Self = Self(9);
    /// The connection failed (DNS, refused, reset, TLS, truncated body).
    pub const NETWORK: Self = Self(10);
    /// The host cancelled the call.
    pub const CANCELLED: Self = Self(11);
    /// A bug or broken invariant inside the plugin (including a caught panic).
    pub const INTERNAL: Self = Self(12);
    /// The prompt does not fit the model's context window.
    pub const CONTEXT_LENGTH: Self = Self(13);
    /// The requested model does not exist or has no available endpoint now.
    pub const MODEL_UNAVAILABLE: Self = Self(14);
    /// An asynchronous job ended as failed, cancelled or expired.
    pub const JOB_FAILED: Self = Self(15);
    /// The input was refused by the plugin before any network request
    /// (e.g. a request body over the provider's documented size cap).
    pub const INVALID_INPUT: Self = Self(16);

    /// Every kind this version knows, with its stable name.
    pub const ALL: [(ErrorKind, &'static str); 16] = [
        (Self::AUTH, "auth"),
        (Self::BILLING, "billing"),
        (Self::RATE_LIMITED, "rate_limited"),
        (Self::INVALID_REQUEST, "invalid_request"),
        (Self::UNSUPPORTED, "unsupported"),
        (Self::NOT_FOUND, "not_found"),
        (Self::TIMEOUT, "timeout"),
        (Self::CONTENT_POLICY, "content_policy"),
        (Self::UPSTREAM, "upstream"),
        (Self::NETWORK, "network"),
        (Self::CANCELLED, "cancelled"),
        (Self::INTERNAL, "internal"),
        (Self::CONTEXT_LENGTH, "context_length"),
        (Self::MODEL_UNAVAILABLE, "model_unavailable"),
        (Self::JOB_FAILED, "job_failed"),
        (Self::INVALID_INPUT, "invalid_input"),
    ];

    /// The stable snake_case name of this kind (`"internal"` for unknown kinds).
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("internal", |(_, n)| n)
    }

    /// Whether a retry of the same call may succeed (rate limits, timeouts,
    /// upstream and network failures).
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Self::RATE_LIMITED | Self::TIMEOUT | Self::UPSTREAM | Self::NETWORK
        )
    }

    /// Whether trying the next model in a fallback chain may succeed.
    ///
    /// True for the transient kinds plus an unavailable model and an exceeded
    /// context window; never for auth, billing or invalid input.
    pub fn is_failover_worthy(self) -> bool {
        self.is_transient() || matches!(self, Self::MODEL_UNAVAILABLE | Self::CONTEXT_LENGTH)
    }
}

impl fmt::Debug for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The provider code of a `network` error whose request never left the
/// machine (the connection was refused or could not be made): nothing was
/// sent, so nothing can have been created or paid for. Since 2.1.
pub const CODE_NOT_SENT: &str = "not_sent";

/// A failure reported by a plugin: a kind, a human message, and what the
/// provider said when it is known.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct PluginError {
    /// The failure's kind; drives retries, failover and the exit code.
    pub kind: ErrorKind,
    /// A message for the user, already specific (what failed, what to do).
    pub message: RString,
    /// The HTTP status the provider answered with, when there was one.
    pub status: ROption<u16>,
    /// The provider's own error code or type (e.g. `rate_limit_exceeded`).
    pub provider_code: ROption<RString>,
    /// How long the provider asked us to wait before retrying, in milliseconds.
    pub retry_after_ms: ROption<u64>,
    /// The asynchronous job this error belongs to, so it can be resumed.
    pub job_id: ROption<RString>,
}

impl PluginError {
    /// An error of `kind` with `message` and nothing else known.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: RString::from(message.into()),
            status: ROption::RNone,
            provider_code: ROption::RNone,
            retry_after_ms: ROption::RNone,
            job_id: ROption::RNone,
        }
    }

    /// The error a plugin returns for a capability it does not offer.
    pub fn unsupported(capability: &str) -> Self {
        Self::new(
            ErrorKind::UNSUPPORTED,
            format!("this plugin does not support {capability}"),
        )
    }

    /// The error a plugin returns when the host cancelled the call.
    pub fn cancelled() -> Self {
        Self::new(ErrorKind::CANCELLED, "cancelled")
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = ROption::RSome(status);
        self
    }

    /// Sets the provider's error code.
    pub fn with_provider_code(mut self, code: impl Into<String>) -> Self {
        self.provider_code = ROption::RSome(RString::from(code.into()));
        self
    }

    /// Sets the retry-after delay in milliseconds.
    pub fn with_retry_after_ms(mut self, ms: u64) -> Self {
        self.retry_after_ms = ROption::RSome(ms);
        self
    }

    /// Sets the job id.
    pub fn with_job_id(mut self, job_id: impl Into<String>) -> Self {
        self.job_id = ROption::RSome(RString::from(job_id.into()));
        self
    }

    /// Whether the request never left the machine ([`CODE_NOT_SENT`]).
    pub fn was_not_sent(&self) -> bool {
        self.kind == ErrorKind::NETWORK
            && self
                .provider_code
                .as_ref()
                .into_option()
                .is_some_and(|c| c.as_str() == CODE_NOT_SENT)
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PluginError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_kind_is_named_internal() {
        assert_eq!(ErrorKind(200).name(), "internal");
    }

    #[test]
    fn kind_names_are_unique() {
        let mut names: Vec<_> = ErrorKind::ALL.iter().map(|(_, n)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorKind::ALL.len());
    }

    #[test]
    fn auth_and_billing_never_fail_over() {
        assert!(!ErrorKind::AUTH.is_failover_worthy());
        assert!(!ErrorKind::BILLING.is_failover_worthy());
        assert!(!ErrorKind::INVALID_REQUEST.is_failover_worthy());
        assert!(ErrorKind::RATE_LIMITED.is_failover_worthy());
        assert!(ErrorKind::CONTEXT_LENGTH.is_failover_worthy());
        assert!(ErrorKind::MODEL_UNAVAILABLE.is_failover_worthy());
    }
}

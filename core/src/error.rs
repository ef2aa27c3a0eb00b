/*!
The host's error type and its mapping to the documented exit codes.

Exit codes (DESIGN §4): 0 success; 2 invalid input or unsupported capability,
refused before any network request; 3 configuration or authentication; 4 the
provider refused or failed the job; 5 timed out; 6 network or upstream failure
after retries; 130 cancelled by the user (Ctrl-C); 1 anything else.
*/

use switchyard_plugin_api::{ErrorKind, PluginError};

/// A failure of a switchyard command.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// Bad input or an unsupported capability, found before any request.
    #[error("{0}")]
    InvalidInput(String),
    /// A configuration problem (bad config file, no key, broken plugin setup).
    #[error("{0}")]
    Config(String),
    /// A plugin call failed with a typed error.
    #[error("{}", .error.message)]
    Plugin {
        /// The plugin's error.
        error: PluginError,
    },
    /// A plugin could not be loaded or contradicts its manifest.
    #[error("{0}")]
    Load(String),
    /// A local file could not be read or written.
    #[error("{0}")]
    Io(String),
    /// Output received from the provider failed verification.
    #[error("{0}")]
    BadOutput(String),
    /// A failure that leaves a paid job to finish: its id is reported
    /// (the `--json` error object's `job_id`).
    #[error("{error}")]
    Job {
        /// The provider's job id.
        job_id: String,
        /// What failed.
        error: Box<HostError>,
    },
}

impl HostError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::InvalidInput(_) => 2,
            Self::Config(_) => 3,
            Self::Load(_) => 3,
            Self::Io(_) => 1,
            Self::BadOutput(_) => 6,
            Self::Plugin { error } => exit_code_for_kind(error.kind),
            Self::Job { error, .. } => error.exit_code(),
        }
    }

    /// The error kind name for `--json` output.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "invalid_input",
            Self::Config(_) => "config",
            Self::Load(_) => "plugin_load",
            Self::Io(_) => "io",
            Self::BadOutput(_) => "malformed_output",
            Self::Plugin { error } => error.kind.name(),
            Self::Job { error, .. } => error.kind_name(),
        }
    }

    /// The HTTP status behind this error, when known.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Plugin { error } => error.status.into_option(),
            Self::Job { error, .. } => error.status(),
            _ => None,
        }
    }

    /// The job id this error belongs to, when known.
    pub fn job_id(&self) -> Option<String> {
        match self {
            Self::Plugin { error } => error.job_id.as_ref().map(|s| s.to_string()).into_option(),
            Self::Job { job_id, .. } => Some(job_id.clone()),
            _ => None,
        }
    }
}

impl HostError {
    /// This error, tied to the paid job `job_id` that is left to finish.
    pub fn with_job(self, job_id: &str) -> HostError {
        match self {
            Self::Plugin { mut error } => {
                error.job_id = switchyard_plugin_api::ROption::RSome(job_id.into());
                Self::Plugin { error }
            }
            Self::Job { error, .. } => error.with_job(job_id),
            other => Self::Job {
                job_id: job_id.to_string(),
                error: Box::new(other),
            },
        }
    }

    /// The `--json` error object: `{"error": {"kind", "message", "status", "job_id"}}`
    /// (fields absent when unknown).
    pub fn to_json(&self) -> serde_json::Value {
        let mut err = serde_json::Map::new();
        err.insert("kind".into(), self.kind_name().into());
        err.insert("message".into(), self.to_string().into());
        if let Some(s) = self.status() {
            err.insert("status".into(), s.into());
        }
        if let Some(j) = self.job_id() {
            err.insert("job_id".into(), j.into());
        }
        serde_json::json!({ "error": err })
    }
}

impl From<PluginError> for HostError {
    fn from(error: PluginError) -> Self {
        Self::Plugin { error }
    }
}

/// The exit code a plugin error kind maps to.
pub fn exit_code_for_kind(kind: ErrorKind) -> i32 {
    match kind {
        ErrorKind::INVALID_INPUT | ErrorKind::UNSUPPORTED => 2,
        ErrorKind::AUTH => 3,
        ErrorKind::BILLING
        | ErrorKind::INVALID_REQUEST
        | ErrorKind::NOT_FOUND
        | ErrorKind::CONTENT_POLICY
        | ErrorKind::CONTEXT_LENGTH
        | ErrorKind::MODEL_UNAVAILABLE
        | ErrorKind::JOB_FAILED => 4,
        ErrorKind::TIMEOUT => 5,
        ErrorKind::RATE_LIMITED | ErrorKind::UPSTREAM | ErrorKind::NETWORK => 6,
        ErrorKind::CANCELLED => 130,
        _ => 1,
    }
}

/// Shorthand result type of host operations.
pub type Result<T, E = HostError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_kind_has_its_exit_code() {
        let table = [
            (ErrorKind::AUTH, 3),
            (ErrorKind::BILLING, 4),
            (ErrorKind::RATE_LIMITED, 6),
            (ErrorKind::INVALID_REQUEST, 4),
            (ErrorKind::UNSUPPORTED, 2),
            (ErrorKind::NOT_FOUND, 4),
            (ErrorKind::TIMEOUT, 5),
            (ErrorKind::CONTENT_POLICY, 4),
            (ErrorKind::UPSTREAM, 6),
            (ErrorKind::NETWORK, 6),
            (ErrorKind::CANCELLED, 130),
            (ErrorKind::INTERNAL, 1),
            (ErrorKind::CONTEXT_LENGTH, 4),
            (ErrorKind::MODEL_UNAVAILABLE, 4),
            (ErrorKind::JOB_FAILED, 4),
            (ErrorKind::INVALID_INPUT, 2),
            (ErrorKind(250), 1),
        ];
        for (kind, code) in table {
            assert_eq!(exit_code_for_kind(kind), code, "{kind}");
        }
    }
}

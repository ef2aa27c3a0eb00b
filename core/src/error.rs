/*!
The host's error type and its mapping to the documented exit codes.

Every failure is typed: [`HostError`] wraps the typed errors of its parts
([`ConfigError`], [`LoadError`], [`OutputError`], the plugin's
[`PluginError`]) and keeps the OS or parser error as its `source` where
one exists. Exit codes: 0 success; 2 invalid input or unsupported capability,
refused before any network request; 3 configuration or authentication; 4 the
provider refused or failed the job; 5 timed out; 6 network or upstream failure
after retries; 130 cancelled by the user (Ctrl-C); 1 anything else.
*/

use crate::config_schema::Problem;
use crate::loader::LoadError;
use std::path::PathBuf;
use switchyard_plugin_api::{ErrorKind, PluginError};

/// A failure of a switchyard command.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// Bad input or an unsupported capability, found before any request.
    #[error("{0}")]
    InvalidInput(String),
    /// A configuration problem (bad config file, no key, broken plugin setup).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A plugin call failed with a typed error.
    #[error("{}", .error.message)]
    Plugin {
        /// The plugin's error.
        error: PluginError,
    },
    /// A plugin could not be loaded or contradicts its manifest.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// `plugins check` found plugins that do not load or manifests that
    /// do not parse.
    #[error("{count} plugin problem(s) found")]
    PluginsFailed {
        /// How many.
        count: usize,
    },
    /// `plugins test` found contract checks that failed.
    #[error("{failed} contract check(s) failed")]
    ContractFailed {
        /// How many.
        failed: usize,
    },
    /// A local file could not be read or written.
    #[error("{what} {}: {source}", .path.display())]
    Io {
        /// What was being done (`cannot write`).
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A record the host wrote could not be encoded, or one it reads back
    /// (a journal entry) does not decode.
    #[error("{what} {}: {source}", .path.display())]
    Json {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A build the host ran (`cargo build` for `plugins test` or
    /// `plugins install`) failed.
    #[error("cargo build failed in {} ({status}); nothing was installed", .dir.display())]
    Build {
        /// The crate directory.
        dir: PathBuf,
        /// How cargo ended.
        status: String,
    },
    /// A batch ran, but some lines failed or were skipped (exit 4).
    #[error("{failed} line(s) failed, {skipped} skipped (run the file again to retry them); see {}", .results.display())]
    BatchIncomplete {
        /// Lines that failed.
        failed: usize,
        /// Lines skipped over budget.
        skipped: usize,
        /// The results file.
        results: PathBuf,
    },
    /// Another program the host ran (git) could not run or failed.
    #[error("`{command}` {detail}")]
    Tool {
        /// The command line, as the user could run it.
        command: String,
        /// What happened (`failed (exit status: 128)`, `could not start: ...`).
        detail: String,
    },
    /// Output received from the provider failed verification.
    #[error(transparent)]
    BadOutput(#[from] OutputError),
    /// The answer does not follow the JSON schema it was asked to follow
    /// (`chat --schema`): the provider failed the job (exit 4).
    #[error("the answer of {model} does not follow the schema {schema}: {reason}")]
    AnswerInvalid {
        /// The model that answered.
        model: String,
        /// The schema file, as named.
        schema: String,
        /// The first violation (`/items/0/name: expected a string, found 3`).
        reason: String,
    },
    /// A failure that leaves a paid job to finish: its id is reported
    /// (the `--json` error object's `job_id`).
    #[error("{error}")]
    Job {
        /// The provider's job id.
        job_id: String,
        /// What failed.
        #[source]
        error: Box<HostError>,
    },
}

/// A configuration problem (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file exists but cannot be read.
    #[error("config file {}: cannot read: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML. The parser's own error is not kept as a
    /// source: its text quotes the offending line, which may hold a key;
    /// `detail` says where and what, without quoting values.
    #[error("config file {}: {detail}", .path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Line, column and what is wrong.
        detail: String,
    },
    /// Wrongly typed or invalid values, each with its key path.
    #[error("config file {}: {} invalid value{}:{}\nfix {} (`switchyard config check` lists every problem)",
        .path.display(),
        .problems.len(),
        if .problems.len() == 1 { "" } else { "s" },
        .problems.iter().map(|p| format!("\n  {p}")).collect::<String>(),
        if .problems.len() == 1 { "it" } else { "them" })]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem.
        problems: Vec<Problem>,
    },
    /// `config check` found problems (they were listed on stdout).
    #[error("{path}: {count} problem(s) found")]
    CheckFailed {
        /// The file, as shown.
        path: String,
        /// How many.
        count: usize,
    },
    /// An edit could not be applied.
    #[error("cannot set `{key}` in {}: {why}", .path.display())]
    Set {
        /// The dotted key.
        key: String,
        /// The file.
        path: PathBuf,
        /// Why (`x` is not a table).
        why: String,
    },
    /// A file to edit could not be read, written or followed.
    #[error("{what} {}: {source}", .path.display())]
    File {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A symlinked config that loops.
    #[error("{}: too many levels of symbolic links", .path.display())]
    SymlinkLoop {
        /// The file named.
        path: PathBuf,
    },
    /// No config file can be named (no home directory).
    #[error("no config file path: set SWITCHYARD_CONFIG or HOME")]
    NoPath,
    /// A plugin needs a key and none is set.
    #[error(
        "no API key for {plugin}: set {places} (or run `switchyard onboard --provider {plugin}`)"
    )]
    NoKey {
        /// The plugin id.
        plugin: String,
        /// Where a key may be set, in order.
        places: String,
    },
    /// A plugin has no base URL.
    #[error("no base URL for {plugin}: set models.providers.{plugin}.baseUrl in the config")]
    NoBaseUrl {
        /// The plugin id.
        plugin: String,
    },
    /// A plugin a command or a journaled job needs is not installed.
    #[error("{}plugin {plugin:?}{}", .job.as_ref().map(|j| format!("job {j} belongs to ")).unwrap_or_default(), if .job.is_some() { ", which is not installed" } else { " is not installed" })]
    NotInstalled {
        /// The plugin id.
        plugin: String,
        /// The journaled job that needs it.
        job: Option<String>,
    },
    /// A plugin's manifest names no config key for its API key.
    #[error("plugin {plugin:?} declares no config key for its API key")]
    NoConfigKey {
        /// The plugin id.
        plugin: String,
    },
    /// The provider rejected the key being onboarded.
    #[error("{provider} rejected the key ({message}); nothing was written")]
    KeyRejected {
        /// The provider's name.
        provider: String,
        /// What it said.
        message: String,
    },
}

/// Output received from the provider that failed verification (exit 6).
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Nothing was received.
    #[error("the provider sent an empty body for {}", .path.display())]
    Empty {
        /// The target.
        path: PathBuf,
    },
    /// Fewer bytes than declared.
    #[error("{}: received {received} of {declared} declared bytes (truncated download)", .path.display())]
    Truncated {
        /// The target.
        path: PathBuf,
        /// Bytes received.
        received: u64,
        /// Bytes declared.
        declared: u64,
    },
    /// The bytes are not the expected kind of media.
    #[error("the provider's answer for {} is not {expected}: it looks like {seen}; nothing was written", .path.display())]
    NotMedia {
        /// The target.
        path: PathBuf,
        /// What was expected (`an image (PNG, JPEG, WebP or GIF)`).
        expected: &'static str,
        /// What it looks like.
        seen: String,
    },
    /// The plugin reported another number of outputs than it wrote.
    #[error("the plugin reported {expected} output(s) but wrote {opened}")]
    Count {
        /// Reported.
        expected: u32,
        /// Written.
        opened: u32,
    },
    /// The call's output sink was gone after the call.
    #[error("the output sink disappeared")]
    SinkGone,
    /// A speech call wrote no audio.
    #[error("no audio was written")]
    NoAudio,
}

impl HostError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::InvalidInput(_) => 2,
            Self::Config(_) => 3,
            Self::Load(_) | Self::PluginsFailed { .. } | Self::ContractFailed { .. } => 3,
            Self::Io { .. } | Self::Json { .. } | Self::Build { .. } | Self::Tool { .. } => 1,
            Self::BatchIncomplete { .. } => 4,
            Self::BadOutput(_) => 6,
            Self::AnswerInvalid { .. } => 4,
            Self::Plugin { error } => exit_code_for_kind(error.kind),
            Self::Job { error, .. } => error.exit_code(),
        }
    }

    /// The error kind name for `--json` output.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "invalid_input",
            Self::Config(_) => "config",
            Self::Load(_) | Self::PluginsFailed { .. } | Self::ContractFailed { .. } => {
                "plugin_load"
            }
            Self::Io { .. } | Self::Json { .. } | Self::Build { .. } | Self::Tool { .. } => "io",
            Self::BatchIncomplete { .. } => "batch_incomplete",
            Self::BadOutput(_) => "malformed_output",
            Self::AnswerInvalid { .. } => "schema_violation",
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
pub(crate) fn exit_code_for_kind(kind: ErrorKind) -> i32 {
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

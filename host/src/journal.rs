/*!
The video job journal: paid jobs are never forgotten.

Before a submit is sent, a `submitting` record is written; as soon as the
provider accepts the job its id and polling URL are recorded (before the
first poll); every later state change is recorded too. Records live under
`$XDG_STATE_HOME/switchyard/jobs/` (else `~/.local/state/switchyard/jobs/`),
one JSON file per job, each replaced atomically (write + rename), so a crash
at any moment leaves either the old or the new record.
*/

use crate::error::HostError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// One journaled video job.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JobRecord {
    /// The provider's job id (empty while the submit is in flight).
    pub id: String,
    /// Local key: the job id, or `submit-<nonce>` before the id is known.
    pub key: String,
    /// The plugin id.
    pub plugin: String,
    /// The full model ref.
    pub model: String,
    /// The polling URL the provider returned.
    pub polling_url: String,
    /// `submitting`, `pending`, `in_progress`, `completed`, `downloaded`,
    /// `failed`, `cancelled`, `expired`, `submit_unknown`.
    pub status: String,
    /// The output path chosen at submit time.
    pub output: PathBuf,
    /// Output files written, once downloaded.
    #[serde(default)]
    pub outputs: Vec<PathBuf>,
    /// The last error, if any.
    #[serde(default)]
    pub error: Option<String>,
    /// Unix seconds when the record was created.
    pub created: u64,
    /// Unix seconds of the last change.
    pub updated: u64,
    /// Download URLs given at submit time (a job already completed on submit).
    #[serde(default)]
    pub urls: Vec<String>,
    /// The prompt (for `video jobs`).
    #[serde(default)]
    pub prompt: String,
}

/// Unix time in seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The journal directory.
pub fn dir() -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from(".switchyard-state"));
    base.join("switchyard").join("jobs")
}

fn file_for(key: &str) -> PathBuf {
    let safe: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir().join(format!("{safe}.json"))
}

impl JobRecord {
    /// Writes the record atomically.
    pub fn save(&mut self) -> Result<(), HostError> {
        self.updated = now();
        let d = dir();
        std::fs::create_dir_all(&d).map_err(|e| {
            HostError::Io(format!(
                "cannot create the job journal {}: {e}",
                d.display()
            ))
        })?;
        let path = file_for(&self.key);
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        let text = serde_json::to_vec_pretty(self).map_err(|e| HostError::Io(e.to_string()))?;
        write_synced(&tmp, &text).map_err(|e| {
            HostError::Io(format!(
                "cannot write the job journal {}: {e}",
                tmp.display()
            ))
        })?;
        std::fs::rename(&tmp, &path).map_err(|e| {
            HostError::Io(format!(
                "cannot update the job journal {}: {e}",
                path.display()
            ))
        })?;
        Ok(())
    }

    /// Re-keys a `submitting` record under the job id the provider returned.
    pub fn assign_id(
        &mut self,
        id: &str,
        polling_url: &str,
        status: &str,
    ) -> Result<(), HostError> {
        let old = file_for(&self.key);
        self.id = id.to_string();
        self.key = id.to_string();
        self.polling_url = polling_url.to_string();
        self.status = status.to_string();
        self.save()?;
        let _ = std::fs::remove_file(old);
        Ok(())
    }

    /// Sets the status (and error) and saves.
    pub fn set_status(&mut self, status: &str, error: Option<String>) -> Result<(), HostError> {
        self.status = status.to_string();
        if error.is_some() {
            self.error = error;
        }
        self.save()
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Loads one job by id (or local key).
pub fn load(key: &str) -> Result<Option<JobRecord>, HostError> {
    let path = file_for(key);
    match std::fs::read(&path) {
        Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| {
            HostError::Io(format!(
                "job journal entry {} is unreadable: {e}",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(HostError::Io(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// Every journaled job, newest first. Unreadable entries are skipped.
pub fn list() -> Vec<JobRecord> {
    let mut v: Vec<JobRecord> = std::fs::read_dir(dir())
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .filter_map(|e| std::fs::read(e.path()).ok())
                .filter_map(|b| serde_json::from_slice(&b).ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort_by(|a: &JobRecord, b| b.created.cmp(&a.created).then(b.key.cmp(&a.key)));
    v
}

/// A fresh nonce for a `submitting` record.
pub fn nonce() -> String {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("submit-{}-{:x}", std::process::id(), t)
}

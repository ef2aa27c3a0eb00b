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
    /// `failed`, `cancelled`, `expired`, `submit_unknown`, `download_failed`
    /// (the job completed; its video could not be downloaded or written:
    /// `video resume` fetches it again).
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
    /// The `submit-<nonce>` key this record had before the provider gave
    /// it an id: a crash between writing the id record and removing the
    /// old one leaves that old `submitting` record behind, and it is
    /// recognised as stale by this link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submit_key: Option<String>,
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
        if self.id.is_empty() {
            self.submit_key = Some(self.key.clone());
        }
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

/// Loads one job by id (or local key). A stale `submitting` record (see
/// [`JobRecord::submit_key`]) resolves to the record that replaced it.
pub fn load(key: &str) -> Result<Option<JobRecord>, HostError> {
    let path = file_for(key);
    let record: JobRecord = match std::fs::read(&path) {
        Ok(b) => serde_json::from_slice(&b).map_err(|e| {
            HostError::Io(format!(
                "job journal entry {} is unreadable: {e}",
                path.display()
            ))
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(HostError::Io(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
    };
    if record.id.is_empty() {
        if let Some(newer) = read_all()
            .into_iter()
            .find(|r| r.submit_key.as_deref() == Some(record.key.as_str()))
        {
            let _ = std::fs::remove_file(&path);
            return Ok(Some(newer));
        }
    }
    Ok(Some(record))
}

fn read_all() -> Vec<JobRecord> {
    std::fs::read_dir(dir())
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .filter_map(|e| std::fs::read(e.path()).ok())
                .filter_map(|b| serde_json::from_slice(&b).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Every journaled job, newest first. Unreadable entries are skipped, and
/// so are stale `submitting` records left by a crash right after their job
/// id was recorded (they are removed).
pub fn list() -> Vec<JobRecord> {
    let mut v = read_all();
    let replaced: std::collections::HashSet<String> =
        v.iter().filter_map(|r| r.submit_key.clone()).collect();
    v.retain(|r| {
        let stale = r.id.is_empty() && replaced.contains(&r.key);
        if stale {
            let _ = std::fs::remove_file(file_for(&r.key));
        }
        !stale
    });
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str) -> JobRecord {
        JobRecord {
            id: String::new(),
            key: key.into(),
            plugin: "openrouter".into(),
            model: "openrouter/google/veo-3.1-fast".into(),
            polling_url: String::new(),
            status: "submitting".into(),
            output: PathBuf::from("/tmp/v.mp4"),
            outputs: Vec::new(),
            error: None,
            created: now(),
            updated: now(),
            urls: Vec::new(),
            prompt: "p".into(),
            submit_key: None,
        }
    }

    /// A kill between writing the id record and removing the `submitting`
    /// one left both: `video jobs` then showed a phantom unanswered submit
    /// beside the real job. The stale record now resolves to the real one.
    #[test]
    fn a_submitting_record_left_by_a_crash_resolves_to_the_job() {
        let state = std::env::temp_dir().join(format!("sy-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&state);
        // The only test in this crate that sets XDG_STATE_HOME.
        std::env::set_var("XDG_STATE_HOME", &state);
        let mut r = record("submit-1-abc");
        r.save().unwrap();
        let ghost = std::fs::read(file_for("submit-1-abc")).unwrap();
        r.assign_id("job-7", "/api/v1/videos/job-7", "pending")
            .unwrap();
        assert_eq!(r.submit_key.as_deref(), Some("submit-1-abc"));
        // Simulate the crash: the old file comes back as it was.
        std::fs::write(file_for("submit-1-abc"), &ghost).unwrap();
        let loaded = load("submit-1-abc").unwrap().unwrap();
        assert_eq!(loaded.id, "job-7");
        std::fs::write(file_for("submit-1-abc"), &ghost).unwrap();
        let all = list();
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0].id, "job-7");
        assert!(!file_for("submit-1-abc").exists());
        // A genuinely unanswered submit stays listed.
        record("submit-2-def").save().unwrap();
        assert_eq!(list().len(), 2);
        let _ = std::fs::remove_dir_all(&state);
    }
}

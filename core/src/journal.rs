/*!
The video job journal: paid jobs are never forgotten.

Before a submit is sent, a `submitting` record is written; as soon as the
provider accepts the job its id and polling URL are recorded (before the
first poll); every later state change is recorded too. Records live in a
[`Journal`] directory (`$XDG_STATE_HOME/switchyard/jobs/`, else
`~/.local/state/switchyard/jobs/`: [`crate::paths::Dirs::jobs`]), one JSON
file per job, each replaced with [`crate::files::write_atomic`], so a crash
at any moment leaves either the old or the new record.
*/

use crate::error::HostError;
use crate::files::{self, Mode};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};
use switchyard_plugin_api::doc::JobStatus;

/// A journaled job's state: the provider's [`JobStatus`], or one of the
/// journal's own states around it. Stored as the same strings as before
/// (`submitting`, `pending`, ..., `download_failed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Status {
    /// Written before the submit is sent.
    Submitting,
    /// The submit got no answer: a job may exist; never re-sent.
    SubmitUnknown,
    /// What the provider last said of the job.
    Job(JobStatus),
    /// Its video was downloaded and written.
    Downloaded,
    /// The job completed; its video could not be downloaded or written
    /// (`video resume` fetches it again).
    DownloadFailed,
}

impl Status {
    /// The stored spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Status::Submitting => "submitting",
            Status::SubmitUnknown => "submit_unknown",
            Status::Job(s) => s.as_str(),
            Status::Downloaded => "downloaded",
            Status::DownloadFailed => "download_failed",
        }
    }

    /// Whether nothing more will happen to the job (downloaded, or ended
    /// without outputs).
    pub fn is_finished(&self) -> bool {
        match self {
            Status::Downloaded => true,
            Status::Job(s) => s.is_failure(),
            _ => false,
        }
    }

    /// The provider's status to resume from: a failed download is a
    /// completed job still to fetch.
    pub fn job_status(&self) -> JobStatus {
        match self {
            Status::DownloadFailed => JobStatus::Completed,
            Status::Job(s) => s.clone(),
            other => JobStatus::from(other.as_str()),
        }
    }
}

impl From<String> for Status {
    fn from(s: String) -> Self {
        match s.as_str() {
            "submitting" => Status::Submitting,
            "submit_unknown" => Status::SubmitUnknown,
            "downloaded" => Status::Downloaded,
            "download_failed" => Status::DownloadFailed,
            _ => Status::Job(JobStatus::from(s)),
        }
    }
}

impl From<JobStatus> for Status {
    fn from(s: JobStatus) -> Self {
        Status::Job(s)
    }
}

impl From<Status> for String {
    fn from(s: Status) -> Self {
        s.as_str().to_string()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The directory of journaled jobs.
#[derive(Debug, Clone)]
pub struct Journal {
    dir: PathBuf,
}

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
    /// Where the job stands.
    pub status: Status,
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
    /// The batch line this job belongs to (`<batch file>#<line id>`), so a
    /// rerun of the batch resumes it instead of submitting again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// Unix time in seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Journal {
    /// The journal kept in `dir`.
    pub fn new(dir: PathBuf) -> Journal {
        Journal { dir }
    }

    /// Its directory.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The file of the record with local key `key`.
    pub fn file_for(&self, key: &str) -> PathBuf {
        self.dir.join(file_name(key))
    }
}

fn file_name(key: &str) -> String {
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
    format!("{safe}.json")
}

impl JobRecord {
    /// Writes the record to `journal`, atomically.
    pub fn save(&mut self, journal: &Journal) -> Result<(), HostError> {
        self.updated = now();
        let path = journal.file_for(&self.key);
        let text = serde_json::to_vec_pretty(self).map_err(|source| HostError::Json {
            what: "cannot encode the job journal entry",
            path: path.clone(),
            source,
        })?;
        files::write_atomic(&path, &text, Mode::Default).map_err(|source| HostError::Io {
            what: "cannot update the job journal",
            path,
            source,
        })
    }

    /// Re-keys a `submitting` record under the job id the provider returned.
    pub fn assign_id(
        &mut self,
        journal: &Journal,
        id: &str,
        polling_url: &str,
        status: Status,
    ) -> Result<(), HostError> {
        let old = journal.file_for(&self.key);
        if self.id.is_empty() {
            self.submit_key = Some(self.key.clone());
        }
        self.id = id.to_string();
        self.key = id.to_string();
        self.polling_url = polling_url.to_string();
        self.status = status;
        self.save(journal)?;
        let _ = std::fs::remove_file(old);
        Ok(())
    }

    /// Sets the status (and error) and saves.
    pub fn set_status(
        &mut self,
        journal: &Journal,
        status: Status,
        error: Option<String>,
    ) -> Result<(), HostError> {
        self.status = status;
        if error.is_some() {
            self.error = error;
        }
        self.save(journal)
    }
}

impl Journal {
    /// Drops the record with local key `key` (nothing if absent).
    pub fn remove(&self, key: &str) {
        let _ = std::fs::remove_file(self.file_for(key));
    }

    /// Loads one job by id (or local key). A stale `submitting` record (see
    /// [`JobRecord::submit_key`]) resolves to the record that replaced it.
    pub fn load(&self, key: &str) -> Result<Option<JobRecord>, HostError> {
        let path = self.file_for(key);
        let record: JobRecord = match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|source| HostError::Json {
                what: "unreadable job journal entry",
                path: path.clone(),
                source,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(HostError::Io {
                    what: "cannot read",
                    path,
                    source,
                })
            }
        };
        if record.id.is_empty() {
            if let Some(newer) = self
                .read_all()
                .into_iter()
                .find(|r| r.submit_key.as_deref() == Some(record.key.as_str()))
            {
                let _ = std::fs::remove_file(&path);
                return Ok(Some(newer));
            }
        }
        Ok(Some(record))
    }

    fn read_all(&self) -> Vec<JobRecord> {
        std::fs::read_dir(&self.dir)
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                    .filter_map(|e| std::fs::read(e.path()).ok())
                    .filter_map(|b| serde_json::from_slice(&b).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every journaled job, newest first. Unreadable entries are skipped,
    /// and so are stale `submitting` records left by a crash right after
    /// their job id was recorded (they are removed).
    pub fn list(&self) -> Vec<JobRecord> {
        let mut v = self.read_all();
        let replaced: std::collections::HashSet<String> =
            v.iter().filter_map(|r| r.submit_key.clone()).collect();
        v.retain(|r| {
            let stale = r.id.is_empty() && replaced.contains(&r.key);
            if stale {
                self.remove(&r.key);
            }
            !stale
        });
        v.sort_by(|a: &JobRecord, b| b.created.cmp(&a.created).then(b.key.cmp(&a.key)));
        v
    }
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

    #[test]
    fn statuses_keep_their_stored_spelling() {
        for s in [
            "submitting",
            "submit_unknown",
            "pending",
            "in_progress",
            "completed",
            "failed",
            "downloaded",
            "download_failed",
            "whatever",
        ] {
            assert_eq!(Status::from(s.to_string()).as_str(), s);
        }
        assert_eq!(Status::DownloadFailed.job_status(), JobStatus::Completed);
        assert!(Status::Downloaded.is_finished() && Status::Job(JobStatus::Expired).is_finished());
    }

    fn record(key: &str) -> JobRecord {
        JobRecord {
            id: String::new(),
            key: key.into(),
            plugin: "openrouter".into(),
            model: "openrouter/google/veo-3.1-fast".into(),
            polling_url: String::new(),
            status: Status::Submitting,
            output: PathBuf::from("/tmp/v.mp4"),
            outputs: Vec::new(),
            error: None,
            created: now(),
            updated: now(),
            urls: Vec::new(),
            prompt: "p".into(),
            submit_key: None,
            tag: None,
        }
    }

    /// A kill between writing the id record and removing the `submitting`
    /// one left both: `video jobs` then showed a phantom unanswered submit
    /// beside the real job. The stale record now resolves to the real one.
    #[test]
    fn a_submitting_record_left_by_a_crash_resolves_to_the_job() {
        let state = tempfile::tempdir().unwrap();
        let j = Journal::new(state.path().join("jobs"));
        let mut r = record("submit-1-abc");
        r.save(&j).unwrap();
        let ghost = std::fs::read(j.file_for("submit-1-abc")).unwrap();
        r.assign_id(
            &j,
            "job-7",
            "/api/v1/videos/job-7",
            JobStatus::Pending.into(),
        )
        .unwrap();
        assert_eq!(r.submit_key.as_deref(), Some("submit-1-abc"));
        // Simulate the crash: the old file comes back as it was.
        std::fs::write(j.file_for("submit-1-abc"), &ghost).unwrap();
        let loaded = j.load("submit-1-abc").unwrap().unwrap();
        assert_eq!(loaded.id, "job-7");
        assert_eq!(loaded.status, Status::Job(JobStatus::Pending));
        std::fs::write(j.file_for("submit-1-abc"), &ghost).unwrap();
        let all = j.list();
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0].id, "job-7");
        assert!(!j.file_for("submit-1-abc").exists());
        // A genuinely unanswered submit stays listed.
        record("submit-2-def").save(&j).unwrap();
        assert_eq!(j.list().len(), 2);
    }
}

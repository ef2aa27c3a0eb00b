/*!
Installed plugins' records: `install.json` beside a plugin installed with
`switchyard plugins install` says where it came from, its version and the
SHA-256 of its library. The loader refuses a library that no longer
matches its record ([`verify`]): the checksum protects against a library
changed after it was installed (a disk error, a tool or person replacing
the file); it says nothing of whether the source was trustworthy.
*/

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The record beside an installed plugin.
pub const RECORD: &str = "install.json";

/// Where an installed plugin came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A local crate.
    Path {
        /// Its directory.
        path: String,
    },
    /// A git repository.
    Git {
        /// The clone URL.
        url: String,
        /// The revision checked out, when one was asked for.
        rev: Option<String>,
    },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Path { path } => f.write_str(path),
            Source::Git { url, rev: Some(r) } => write!(f, "{url}@{r}"),
            Source::Git { url, rev: None } => f.write_str(url),
        }
    }
}

impl Source {
    /// The `plugins install` arguments that install it again.
    pub fn reinstall(&self) -> String {
        match self {
            Source::Path { path } => format!("switchyard plugins install {path}"),
            Source::Git { url, rev: Some(r) } => {
                format!("switchyard plugins install --git {url} --rev {r}")
            }
            Source::Git { url, rev: None } => format!("switchyard plugins install --git {url}"),
        }
    }
}

/// The install record (`install.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The plugin id.
    pub id: String,
    /// The plugin's version.
    pub version: String,
    /// Where it came from.
    pub source: Source,
    /// The library's file name (beside the record).
    pub library: String,
    /// The library's SHA-256, lowercase hex.
    pub sha256: String,
    /// Unix seconds of the install.
    pub installed_at: u64,
}

/// The SHA-256 of a file, lowercase hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The record beside `manifest`, if the plugin was installed.
pub fn record_of(manifest: &Path) -> Option<Record> {
    let p = manifest.parent()?.join(RECORD);
    serde_json::from_slice(&std::fs::read(p).ok()?).ok()
}

/// Checks an installed plugin's library against its record: `Err` says what
/// changed and how to reinstall. Plugins without a record pass.
pub fn verify(manifest: &Path, library: &Path) -> Result<(), String> {
    let Some(rec) = record_of(manifest) else {
        return Ok(());
    };
    let found =
        sha256_file(library).map_err(|e| format!("cannot read {}: {e}", library.display()))?;
    if found == rec.sha256 {
        return Ok(());
    }
    Err(format!(
        "library {} does not match the SHA-256 recorded when it was installed (recorded {}, found {found}): it was changed after the install; reinstall it with `{}`",
        library.display(),
        rec.sha256,
        rec.source.reinstall()
    ))
}

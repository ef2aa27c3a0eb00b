/*!
The cached live model catalog: what `models refresh` fetched from each
plugin, kept under `$XDG_CACHE_HOME/switchyard/` (else `~/.cache/switchyard/`)
with its fetch time. The capability check prefers a model's catalog entry
over its manifest entry; a cache older than [`MAX_AGE_SECS`] or unreadable
falls back to the manifest with a one-line notice, never a failure. Nothing
here reaches the network.
*/

use crate::error::HostError;
use crate::manifest::ModelEntry;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;

/// A cache older than this (7 days) is not trusted.
pub const MAX_AGE_SECS: u64 = 7 * 24 * 3600;

/// One plugin's cached catalog.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cached {
    /// Unix seconds of the fetch.
    pub fetched_at: u64,
    /// The plugin id.
    pub plugin: String,
    /// The models.
    pub models: Vec<CatalogModel>,
}

/// A catalog model: the API's `ModelInfo`, as the plugin answered it.
pub type CatalogModel = ModelEntry;

/// The cache directory.
pub fn dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".switchyard-cache"))
        .join("switchyard")
}

/// The cache file of a plugin.
pub fn path(plugin: &str) -> PathBuf {
    dir().join(format!("catalog-{plugin}.json"))
}

/// Stores a plugin's catalog with the current time.
pub fn save(plugin: &str, models: Vec<CatalogModel>) -> Result<Cached, HostError> {
    let c = Cached {
        fetched_at: crate::journal::now(),
        plugin: plugin.to_string(),
        models,
    };
    let d = dir();
    std::fs::create_dir_all(&d)
        .map_err(|e| HostError::Io(format!("cannot create {}: {e}", d.display())))?;
    let p = path(plugin);
    let tmp = p.with_extension(format!("json.{}.tmp", std::process::id()));
    let text = serde_json::to_vec(&c).map_err(|e| HostError::Io(e.to_string()))?;
    std::fs::write(&tmp, text)
        .map_err(|e| HostError::Io(format!("cannot write {}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, &p)
        .map_err(|e| HostError::Io(format!("cannot write {}: {e}", p.display())))?;
    Ok(c)
}

/// The state of a plugin's cache.
#[derive(Debug)]
pub enum State {
    /// Present and fresh.
    Fresh(Cached),
    /// Present but older than [`MAX_AGE_SECS`].
    Stale(Cached),
    /// Never fetched.
    Missing,
    /// Present but unreadable.
    Unreadable(String),
}

/// Reads a plugin's cache.
pub fn load(plugin: &str) -> State {
    let p = path(plugin);
    let bytes = match std::fs::read(&p) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return State::Missing,
        Err(e) => return State::Unreadable(format!("{}: {e}", p.display())),
    };
    match serde_json::from_slice::<Cached>(&bytes) {
        Ok(c) if crate::journal::now().saturating_sub(c.fetched_at) > MAX_AGE_SECS => {
            State::Stale(c)
        }
        Ok(c) => State::Fresh(c),
        Err(e) => State::Unreadable(format!("{}: {e}", p.display())),
    }
}

static NOTICED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn notice_once(plugin: &str, text: &str) {
    let mut g = NOTICED.lock().unwrap_or_else(|e| e.into_inner());
    if g.get_or_insert_with(HashSet::new)
        .insert(plugin.to_string())
    {
        crate::term::notice(text);
    }
}

/// The catalog entry for `model_ref`, if a fresh cache has it. Stale or
/// unreadable caches give `None` with a one-line notice.
pub fn entry(plugin: &str, model_ref: &str) -> Option<ModelEntry> {
    match load(plugin) {
        State::Fresh(c) => c
            .models
            .into_iter()
            .find(|m| m.model_ref.eq_ignore_ascii_case(model_ref)),
        State::Stale(c) => {
            notice_once(plugin, &format!(
                "note: the {plugin} model catalog is {} days old; using the manifest's limits (run `switchyard models refresh`)",
                crate::journal::now().saturating_sub(c.fetched_at) / 86400
            ));
            None
        }
        State::Unreadable(why) => {
            notice_once(plugin, &format!("note: the {plugin} model catalog cache is unreadable ({why}); using the manifest's limits"));
            None
        }
        State::Missing => None,
    }
}

/// A human age (`3m`, `2h`, `5d`).
pub fn age(fetched_at: u64) -> String {
    let s = crate::journal::now().saturating_sub(fetched_at);
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        7200..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

/*!
The cached live model catalog: what `models refresh` fetched from each
plugin, kept in the cache directory (`$XDG_CACHE_HOME/switchyard/`, else
`~/.cache/switchyard/`: [`crate::paths::Dirs::cache`]) with its fetch time,
each file replaced with [`crate::files::write_atomic`]. The catalog refines the manifest field by field
([`merge`]): a limit the catalog states wins, one it does not state keeps
the manifest's value, and a model only the catalog knows gets the
catalog's limits. A cache older than [`MAX_AGE_SECS`] or unreadable falls
back to the manifest with a one-line notice, never a failure. Nothing here
reaches the network.
*/

use crate::error::HostError;
use crate::manifest::{Manifest, ModelEntry};
use crate::session::Session;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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

/// The cache file of a plugin in the cache directory `dir`.
pub fn path(dir: &Path, plugin: &str) -> PathBuf {
    dir.join(format!("catalog-{plugin}.json"))
}

/// Stores a plugin's catalog in `dir` with the current time.
pub fn save(dir: &Path, plugin: &str, models: Vec<CatalogModel>) -> Result<Cached, HostError> {
    let c = Cached {
        fetched_at: crate::journal::now(),
        plugin: plugin.to_string(),
        models,
    };
    let p = path(dir, plugin);
    let text = serde_json::to_vec(&c).map_err(|source| HostError::Json {
        what: "cannot encode the catalog",
        path: p.clone(),
        source,
    })?;
    crate::files::write_atomic(&p, &text, crate::files::Mode::Default).map_err(|source| {
        HostError::Io {
            what: "cannot write",
            path: p,
            source,
        }
    })?;
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

/// Reads a plugin's cache from `dir`.
pub fn load(dir: &Path, plugin: &str) -> State {
    let p = path(dir, plugin);
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

/// A fresh cache's models for `plugin`. Stale or unreadable caches give
/// `None` with a one-line notice (once per plugin and session).
pub fn fresh(session: &Session, plugin: &str) -> Option<Vec<CatalogModel>> {
    let notice_once =
        |plugin: &str, text: &str| session.notice_once(&format!("catalog {plugin}"), text);
    match load(&session.dirs().cache, plugin) {
        State::Fresh(c) => Some(c.models),
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

/// Where a model's limits come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Only the manifest lists the model.
    Manifest,
    /// Only the catalog lists the model: it gets the catalog's limits.
    Catalog,
    /// Both: the catalog refines the manifest field by field.
    Both,
}

impl Source {
    /// `manifest`, `catalog` or `catalog+manifest`.
    pub fn name(self) -> &'static str {
        match self {
            Source::Manifest => "manifest",
            Source::Catalog => "catalog",
            Source::Both => "catalog+manifest",
        }
    }

    /// Whether the manifest lists the model (then a limit it leaves out
    /// means "not offered"; the catalog cannot state every limit).
    pub fn in_manifest(self) -> bool {
        self != Source::Catalog
    }
}

/// One model as the capability check sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The merged limits.
    pub entry: ModelEntry,
    /// Where they come from.
    pub source: Source,
}

/// The catalog entry `c` laid over the manifest's entry of the same model,
/// field by field: a limit the catalog states wins, one it does not state
/// (real `/models` entries say nothing of image aspect ratios) keeps the
/// manifest's value. The manifest's spelling of the ref is kept.
pub(crate) fn refine(c: CatalogModel, base: &ModelEntry) -> ModelEntry {
    fn pick<T: Clone>(c: Option<T>, m: &Option<T>) -> Option<T> {
        c.or_else(|| m.clone())
    }
    ModelEntry {
        model_ref: base.model_ref.clone(),
        capabilities: if c.capabilities.is_empty() {
            base.capabilities.clone()
        } else {
            c.capabilities
        },
        durations: pick(c.durations, &base.durations),
        resolutions: pick(c.resolutions, &base.resolutions),
        aspect_ratios: pick(c.aspect_ratios, &base.aspect_ratios),
        sizes: pick(c.sizes, &base.sizes),
        frame_images: pick(c.frame_images, &base.frame_images),
        input_references: pick(c.input_references, &base.input_references),
        modes: pick(c.modes, &base.modes),
        voices: pick(c.voices, &base.voices),
        formats: pick(c.formats, &base.formats),
        passthrough_parameters: pick(c.passthrough_parameters, &base.passthrough_parameters),
        input_modalities: pick(c.input_modalities, &base.input_modalities),
        pricing: pick(c.pricing, &base.pricing),
        qualities: pick(c.qualities, &base.qualities),
        max_count: pick(c.max_count, &base.max_count),
        supports_seed: pick(c.supports_seed, &base.supports_seed),
        supports_audio: pick(c.supports_audio, &base.supports_audio),
        image_api: pick(c.image_api, &base.image_api),
    }
}

/// The manifest's models refined by `catalog` (in manifest order), then
/// the models only the catalog knows, with the catalog's limits.
pub fn merge(manifest: &[ModelEntry], catalog: Vec<CatalogModel>) -> Vec<Merged> {
    let mut catalog: Vec<Option<CatalogModel>> = catalog.into_iter().map(Some).collect();
    let mut out: Vec<Merged> = Vec::with_capacity(manifest.len() + catalog.len());
    for m in manifest {
        let found = catalog.iter_mut().find(|c| {
            c.as_ref()
                .is_some_and(|c| c.model_ref.eq_ignore_ascii_case(&m.model_ref))
        });
        out.push(match found.and_then(Option::take) {
            Some(c) => Merged {
                entry: refine(c, m),
                source: Source::Both,
            },
            None => Merged {
                entry: m.clone(),
                source: Source::Manifest,
            },
        });
    }
    out.extend(catalog.into_iter().flatten().map(|c| Merged {
        entry: c,
        source: Source::Catalog,
    }));
    out
}

/// A plugin's models with the limits every check and hint uses: the
/// manifest's, refined by a fresh catalog when there is one.
pub fn merged(session: &Session, manifest: &Manifest) -> Vec<Merged> {
    merge(
        &manifest.models,
        fresh(session, &manifest.id).unwrap_or_default(),
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|s| s.to_string()).collect())
    }

    fn catalog_model(r: &str, caps: &[&str]) -> CatalogModel {
        CatalogModel {
            model_ref: r.into(),
            capabilities: caps.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn the_catalog_refines_the_manifest_field_by_field() {
        let image = ModelEntry {
            model_ref: "openrouter/google/gemini".into(),
            capabilities: vec!["chat".into(), "image".into()],
            aspect_ratios: strings(&["1:1", "16:9"]),
            sizes: strings(&["1K"]),
            ..ModelEntry::default()
        };
        let video = ModelEntry {
            model_ref: "openrouter/google/veo".into(),
            capabilities: vec!["video".into()],
            durations: Some(vec![4, 8]),
            input_references: strings(&["image"]),
            ..ModelEntry::default()
        };
        let mut veo = catalog_model("OPENROUTER/google/veo", &["video"]);
        veo.durations = Some(vec![4, 8, 10]);
        let merged = merge(
            &[image.clone(), video],
            vec![
                catalog_model("openrouter/new/flux", &["image"]),
                veo,
                catalog_model("openrouter/google/gemini", &["chat", "image"]),
            ],
        );
        let refs: Vec<(&str, Source)> = merged
            .iter()
            .map(|m| (m.entry.model_ref.as_str(), m.source))
            .collect();
        assert_eq!(
            refs,
            vec![
                ("openrouter/google/gemini", Source::Both),
                ("openrouter/google/veo", Source::Both),
                ("openrouter/new/flux", Source::Catalog),
            ]
        );
        // Not stated by the catalog: the manifest's value stays.
        assert_eq!(merged[0].entry, image);
        // Stated: the catalog wins; unstated fields keep the manifest's.
        assert_eq!(merged[1].entry.durations, Some(vec![4, 8, 10]));
        assert_eq!(merged[1].entry.input_references, strings(&["image"]));
        // Only the catalog knows it: the catalog's limits.
        assert_eq!(merged[2].entry.aspect_ratios, None);
        assert!(!merged[2].source.in_manifest());
    }
}

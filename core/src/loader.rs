/*!
Loading plugin libraries: find the file, check the ABI and versions, check
the manifest embedded in the library against the one the plugin was
installed with, keep the module for the rest of the process, and call its
operations ([`Plugin::call`]: documents in, documents out).

Each library is opened at most once per session ([`crate::session::Session::load`]
keeps the result) and never unloaded. Loading
goes through `lib_header_from_path` + `init_root_module` rather than
`RootModule::load_from_*`, which caches one module per interface type and
would hand every later plugin the first one's entry points.
*/

use crate::manifest::Manifest;
use serde::{de::DeserializeOwned, Serialize};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use switchyard_plugin_api::abi_stable::library::{lib_header_from_path, LibraryError};
use switchyard_plugin_api::{
    doc, ErrorKind, HostRef, PluginError, PluginModuleRef, RSlice, RStr, PLUGIN_API_VERSION,
};

/// Why a plugin could not be loaded.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LoadError {
    /// No library file was found in any place searched.
    #[error(
        "plugin {id:?}: library {file} (manifest field `library`) not found; looked in: {searched}"
    )]
    NotFound {
        /// Plugin id.
        id: String,
        /// The file name looked for.
        file: String,
        /// Directories searched, in order.
        searched: String,
    },
    /// The manifest's `plugin_api` range does not include this host's API.
    #[error("plugin {id:?}: manifest {manifest} requires plugin API {wanted} (field `plugin_api`), but this switchyard provides plugin API {host}")]
    ManifestApiMismatch {
        /// Plugin id.
        id: String,
        /// Manifest path.
        manifest: String,
        /// The manifest's requirement.
        wanted: String,
        /// This host's version.
        host: String,
    },
    /// The library was built against an incompatible plugin API.
    #[error("plugin {id:?}: library {library} was built against plugin API {library_api}, but this switchyard provides plugin API {host} (manifest {manifest} field `plugin_api` requires {wanted}); rebuild the plugin against plugin API {host}")]
    LibraryApiMismatch {
        /// Plugin id.
        id: String,
        /// Library path.
        library: String,
        /// The API version the library was built against.
        library_api: String,
        /// This host's version.
        host: String,
        /// Manifest path.
        manifest: String,
        /// The manifest's requirement.
        wanted: String,
    },
    /// abi_stable refused the library (not an abi_stable library, or layouts differ).
    #[error("plugin {id:?}: library {library} is not ABI-compatible with this switchyard (plugin API {host}): {reason}")]
    Abi {
        /// Plugin id.
        id: String,
        /// Library path.
        library: String,
        /// This host's version.
        host: String,
        /// abi_stable's explanation, shortened.
        reason: String,
    },
    /// The manifest embedded in the library contradicts the installed one.
    #[error("plugin {id:?}: library {library} contradicts manifest {manifest}: {what}; reinstall the plugin so its library and manifest come from the same build")]
    Contradiction {
        /// Plugin id.
        id: String,
        /// Library path.
        library: String,
        /// Manifest path.
        manifest: String,
        /// Each contradiction, field by field.
        what: String,
    },
    /// An installed plugin's library no longer matches its install record.
    #[error("plugin {id:?}: {what}")]
    Checksum {
        /// Plugin id.
        id: String,
        /// What changed and how to reinstall.
        what: String,
    },
    /// The manifest embedded in the library does not parse.
    #[error("plugin {id:?}: entry point `manifest`: the manifest embedded in library {library} is invalid: {reason}")]
    EmbeddedManifest {
        /// Plugin id.
        id: String,
        /// Library path.
        library: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A loaded, checked plugin.
pub struct Plugin {
    /// Its manifest (the installed file).
    pub manifest: Arc<Manifest>,
    /// The library file it was loaded from.
    pub library: PathBuf,
    /// The plugin API version the library was built against.
    pub plugin_api: String,
    module: PluginModuleRef,
}

/// Where the library of `manifest` is looked for, in order: beside the
/// manifest, beside the running executable (symlinks resolved), then `SWITCHYARD_LIBRARY_PATH`.
pub(crate) fn library_search_dirs(manifest: &Manifest) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = manifest.path.parent() {
        dirs.push(d.to_path_buf());
    }
    dirs.extend(crate::layout::exe_dir());
    if let Some(p) = std::env::var_os("SWITCHYARD_LIBRARY_PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    dirs
}

/// Finds the library file of `manifest`.
pub fn find_library(manifest: &Manifest) -> Result<PathBuf, LoadError> {
    let file = manifest.library_file_name();
    let dirs = library_search_dirs(manifest);
    for d in &dirs {
        let p = d.join(&file);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(LoadError::NotFound {
        id: manifest.id.clone(),
        file,
        searched: dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

fn host_api() -> semver::Version {
    semver::Version::parse(PLUGIN_API_VERSION).unwrap_or_else(|_| semver::Version::new(1, 0, 0))
}

/// Opens and checks the plugin of `manifest`: the API range of the
/// manifest, the library's ABI layout and API version, and its embedded
/// manifest against the installed one. Not cached: a session keeps what it
/// loaded ([`crate::session::Session::load`]).
pub fn load(manifest: &Arc<Manifest>) -> Result<Plugin, LoadError> {
    let host = host_api();
    let id = manifest.id.clone();
    if !manifest.plugin_api.matches(&host) {
        return Err(LoadError::ManifestApiMismatch {
            id,
            manifest: manifest.path.display().to_string(),
            wanted: manifest.plugin_api.to_string(),
            host: host.to_string(),
        });
    }
    let library = find_library(manifest)?;
    crate::install::verify(&manifest.path, &library).map_err(|what| LoadError::Checksum {
        id: id.clone(),
        what,
    })?;
    let lib_display = library.display().to_string();
    let abi_err = |reason: String| LoadError::Abi {
        id: manifest.id.clone(),
        library: lib_display.clone(),
        host: host.to_string(),
        reason,
    };
    let header = lib_header_from_path(&library).map_err(|e| abi_err(short_library_error(&e)))?;
    let vs = header.version_strings();
    let lib_api_text = vs.version.to_string();
    let lib_api = semver::Version::parse(&lib_api_text)
        .map_err(|e| abi_err(format!("unreadable version {lib_api_text:?}: {e}")))?;
    if lib_api.major != host.major || !manifest.plugin_api.matches(&lib_api) {
        return Err(LoadError::LibraryApiMismatch {
            id,
            library: lib_display,
            library_api: lib_api.to_string(),
            host: host.to_string(),
            manifest: manifest.path.display().to_string(),
            wanted: manifest.plugin_api.to_string(),
        });
    }
    // Not `header.init_root_module`: that refuses libraries built against an
    // older minor version, which the compatibility promise accepts.
    let module = switchyard_plugin_api::module::init_root_module(header)
        .map_err(|e| abi_err(short_library_error(&e)))?;
    let embedded_text = (module.manifest())().as_str();
    let embedded =
        Manifest::parse(&library, embedded_text).map_err(|e| LoadError::EmbeddedManifest {
            id: id.clone(),
            library: lib_display.clone(),
            reason: e.to_string(),
        })?;
    let problems = contradictions(manifest, &embedded);
    if !problems.is_empty() {
        return Err(LoadError::Contradiction {
            id,
            library: lib_display,
            manifest: manifest.path.display().to_string(),
            what: problems.join("; "),
        });
    }
    Ok(Plugin {
        manifest: manifest.clone(),
        library,
        plugin_api: lib_api_text,
        module,
    })
}

fn short_library_error(e: &LibraryError) -> String {
    let text = e.to_string();
    let mut lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.truncate(12);
    lines.join(" | ")
}

/// Every way the library's embedded manifest `e` contradicts the installed
/// manifest `m`, each naming the field.
pub(crate) fn contradictions(m: &Manifest, e: &Manifest) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = |name: &str, installed: String, embedded: String| {
        if installed != embedded {
            out.push(format!(
                "field `{name}`: the manifest says {installed:?}, the library's says {embedded:?}"
            ));
        }
    };
    field("id", m.id.clone(), e.id.clone());
    field("version", m.version.to_string(), e.version.to_string());
    field("library", m.library.clone(), e.library.clone());
    field(
        "model_prefix",
        m.model_prefix.clone(),
        e.model_prefix.clone(),
    );
    let mc: BTreeSet<&str> = m.capabilities.iter().map(String::as_str).collect();
    let ec: BTreeSet<&str> = e.capabilities.iter().map(String::as_str).collect();
    if mc != ec {
        out.push(format!(
            "field `capabilities`: the manifest says {mc:?}, the library's says {ec:?}"
        ));
    }
    for (i, model) in m.models.iter().enumerate() {
        match e.model(&model.model_ref) {
            None => out.push(format!(
                "field `models[{i}].ref`: {:?} is not a model the library knows",
                model.model_ref
            )),
            Some(theirs) => {
                let a: BTreeSet<&str> = model.capabilities.iter().map(String::as_str).collect();
                let b: BTreeSet<&str> = theirs.capabilities.iter().map(String::as_str).collect();
                if a != b {
                    out.push(format!(
                        "field `models[{i}].capabilities` ({}): the manifest says {a:?}, the library's says {b:?}",
                        model.model_ref
                    ));
                }
            }
        }
    }
    out
}

/// Runs `f` with the error's message prefixed by the plugin and operation
/// (`openrouter: image: ...`), so every runtime error names where it came from.
fn named(id: &str, op: &str, mut e: PluginError) -> PluginError {
    e.message = format!("{id}: {op}: {}", e.message).into();
    e
}

impl Plugin {
    /// Runs operation `op` with `request` (and the binary inputs it refers
    /// to by index); the answer is decoded as `T`. Errors are prefixed by
    /// the plugin and operation. No watchdog: [`crate::call::HostCalls::call`]
    /// adds one; the contract suite guards each call on its own thread.
    pub fn call<Req: Serialize, T: DeserializeOwned>(
        &self,
        op: &str,
        ctx: &doc::Context,
        request: &Req,
        blobs: &[&[u8]],
        host: HostRef<'_>,
    ) -> Result<T, PluginError> {
        let id = self.manifest.id.as_str();
        let encode = |what: &str, r: serde_json::Result<String>| {
            r.map_err(|e| {
                PluginError::new(
                    ErrorKind::INTERNAL,
                    format!("cannot encode the {what}: {e}"),
                )
            })
        };
        let ctx_text = encode("context", serde_json::to_string(ctx))?;
        let req_text = encode("request", serde_json::to_string(request))?;
        let slices: Vec<RSlice<'_, u8>> = blobs.iter().map(|b| RSlice::from_slice(b)).collect();
        let answer = (self.module.call())(
            RStr::from_str(op),
            RStr::from_str(&ctx_text),
            RStr::from_str(&req_text),
            RSlice::from_slice(&slices),
            host,
        )
        .into_result();
        let text = answer.map_err(|e| self.with_hint(named(id, op, e)))?;
        serde_json::from_str(text.as_str()).map_err(|e| {
            named(
                id,
                op,
                PluginError::new(
                    ErrorKind::UPSTREAM,
                    format!("the plugin answered a malformed {op} document: {e}"),
                ),
            )
        })
    }

    /// Adds where the key goes to an `auth` error: the plugin names no host
    /// setting, its manifest says which ones hold its key.
    fn with_hint(&self, mut e: PluginError) -> PluginError {
        let sep = if e.message.ends_with(['.', '!', '?']) {
            ""
        } else {
            "."
        };
        if e.kind == ErrorKind::NETWORK && e.status.is_none() {
            e.message = format!(
                "{}{sep} The base URL is set by `models.providers.{}.baseUrl` in the config{}.",
                e.message,
                self.manifest.id,
                self.manifest
                    .base_url
                    .as_deref()
                    .map(|u| format!(" (default {u})"))
                    .unwrap_or_default()
            )
            .into();
            return e;
        }
        if e.kind != ErrorKind::AUTH {
            return e;
        }
        let auth = &self.manifest.auth;
        let mut places: Vec<String> = auth.config_keys.iter().map(|k| format!("`{k}`")).collect();
        places.extend(auth.env.iter().cloned());
        if !places.is_empty() {
            e.message = format!(
                "{}{sep} Check the API key ({}), or run `switchyard onboard --provider {}`.",
                e.message,
                places.join(" or "),
                self.manifest.id
            )
            .into();
        }
        e
    }
}

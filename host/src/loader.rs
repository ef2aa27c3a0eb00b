/*!
Loading plugin libraries: find the file, check the ABI and versions, check
the self-description against the manifest, and keep the module for the rest
of the process.

Each library is opened at most once per process and never unloaded. Loading
goes through `lib_header_from_path` + `init_root_module` rather than
`RootModule::load_from_*`, which caches one module per interface type and
would hand every later plugin the first one's entry points.
*/

use crate::manifest::Manifest;
use abi_stable::library::{lib_header_from_path, LibraryError, RootModule};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use switchyard_plugin_api::{
    CallContext, HostRef, PluginDescription, PluginError, PluginModuleRef, RResult,
    PLUGIN_API_VERSION,
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
    /// The library's self-description contradicts its manifest.
    #[error("plugin {id:?}: library {library} contradicts manifest {manifest}: {what}")]
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
    /// The plugin failed while describing itself.
    #[error("plugin {id:?}: describe() failed: {message}")]
    Describe {
        /// Plugin id.
        id: String,
        /// The plugin's error message.
        message: String,
    },
}

/// A loaded, checked plugin.
pub struct Plugin {
    /// Its manifest.
    pub manifest: Arc<Manifest>,
    /// The library file it was loaded from.
    pub library: PathBuf,
    /// Its self-description, as plain Rust.
    pub description: Description,
    module: PluginModuleRef,
}

/// A plugin's self-description in plain Rust.
#[derive(Debug, Clone, PartialEq)]
pub struct Description {
    /// Plugin id.
    pub id: String,
    /// Plugin version.
    pub version: String,
    /// The plugin API version the library was built against.
    pub plugin_api: String,
    /// Capability names.
    pub capabilities: Vec<String>,
    /// Models and their capabilities.
    pub models: Vec<(String, Vec<String>)>,
}

impl From<PluginDescription> for Description {
    fn from(d: PluginDescription) -> Self {
        Description {
            id: d.id.into(),
            version: d.version.into(),
            plugin_api: d.plugin_api.into(),
            capabilities: d.capabilities.into_iter().map(Into::into).collect(),
            models: d
                .models
                .into_iter()
                .map(|m| {
                    (
                        m.model_ref.into(),
                        m.capabilities.into_iter().map(Into::into).collect(),
                    )
                })
                .collect(),
        }
    }
}

/// Every load attempt of this process, by plugin id (successes and refusals).
type LoadCache = Mutex<HashMap<String, Result<Arc<Plugin>, LoadError>>>;

static LOADED: OnceLock<LoadCache> = OnceLock::new();

/// Where the library of `manifest` is looked for, in order: beside the
/// manifest, beside the running executable, then `SWITCHYARD_LIBRARY_PATH`.
pub fn library_search_dirs(manifest: &Manifest) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = manifest.path.parent() {
        dirs.push(d.to_path_buf());
    }
    if let Ok(exe) = std::env::current_exe() {
        if let Some(d) = exe.parent() {
            dirs.push(d.to_path_buf());
        }
    }
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

/// Loads (once per process) and checks the plugin of `manifest`.
pub fn load(manifest: &Arc<Manifest>) -> Result<Arc<Plugin>, LoadError> {
    let cache = LOADED.get_or_init(|| Mutex::new(HashMap::new()));
    let mut guard = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = guard.get(&manifest.id) {
        return r.clone();
    }
    let result = load_uncached(manifest).map(Arc::new);
    guard.insert(manifest.id.clone(), result.clone());
    result
}

fn host_api() -> semver::Version {
    semver::Version::parse(PLUGIN_API_VERSION).unwrap_or_else(|_| semver::Version::new(1, 0, 0))
}

fn load_uncached(manifest: &Arc<Manifest>) -> Result<Plugin, LoadError> {
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
    let description: Description = match (module.describe())() {
        RResult::ROk(d) => d.into(),
        RResult::RErr(e) => {
            return Err(LoadError::Describe {
                id,
                message: e.message.to_string(),
            })
        }
    };
    let problems = contradictions(manifest, &description, &lib_api_text);
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
        description,
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

/// Every way `d` contradicts `m`, each naming the manifest field.
pub fn contradictions(m: &Manifest, d: &Description, lib_api: &str) -> Vec<String> {
    let mut out = Vec::new();
    if d.id != m.id {
        out.push(format!(
            "field `id`: manifest says {:?}, library says {:?}",
            m.id, d.id
        ));
    }
    if d.version != m.version.to_string() {
        out.push(format!(
            "field `version`: manifest says {:?}, library says {:?}",
            m.version.to_string(),
            d.version
        ));
    }
    if d.plugin_api != lib_api {
        out.push(format!(
            "entry point `describe`: reports plugin_api {:?} but the library header says {:?}",
            d.plugin_api, lib_api
        ));
    }
    let mc: BTreeSet<&str> = m.capabilities.iter().map(String::as_str).collect();
    let dc: BTreeSet<&str> = d.capabilities.iter().map(String::as_str).collect();
    if mc != dc {
        out.push(format!(
            "field `capabilities`: manifest says {mc:?}, library says {dc:?}"
        ));
    }
    for (i, model) in m.models.iter().enumerate() {
        match d
            .models
            .iter()
            .find(|(r, _)| r.eq_ignore_ascii_case(&model.model_ref))
        {
            None => out.push(format!(
                "field `models[{i}].ref`: {:?} is not a model the library knows",
                model.model_ref
            )),
            Some((_, caps)) => {
                let a: BTreeSet<&str> = model.capabilities.iter().map(String::as_str).collect();
                let b: BTreeSet<&str> = caps.iter().map(String::as_str).collect();
                if a != b {
                    out.push(format!(
                        "field `models[{i}].capabilities` ({}): manifest says {a:?}, library says {b:?}",
                        model.model_ref
                    ));
                }
            }
        }
    }
    out
}

/// The deadline a plugin enforces for an entry point (0 = none): the call
/// context's timeout, except for a video submit, which plugins may give up
/// to two minutes of its own whatever the job's timeout.
fn deadline_of(entry: &str, ctx: &CallContext) -> u64 {
    match (entry, ctx.timeout_ms) {
        (_, 0) => 0,
        ("video_submit", t) => t.max(120_000),
        (_, t) => t,
    }
}

macro_rules! entry {
    ($name:ident, $req:ty, $resp:ty) => {
        /// Calls the plugin's entry point of the same name.
        pub fn $name(
            &self,
            req: &$req,
            ctx: &CallContext,
            host: HostRef<'_>,
        ) -> Result<$resp, PluginError> {
            let _bound = crate::call::Watchdog::arm(
                stringify!($name),
                deadline_of(stringify!($name), ctx),
                crate::call::GRACE,
            );
            (self.module.$name())(req, ctx, host).into_result()
        }
    };
}

impl Plugin {
    entry!(
        chat,
        switchyard_plugin_api::ChatRequest,
        switchyard_plugin_api::ChatResponse
    );
    entry!(
        image,
        switchyard_plugin_api::ImageRequest,
        switchyard_plugin_api::ImageResponse
    );
    entry!(
        speech,
        switchyard_plugin_api::SpeechRequest,
        switchyard_plugin_api::SpeechResponse
    );
    entry!(
        video_submit,
        switchyard_plugin_api::VideoRequest,
        switchyard_plugin_api::VideoJob
    );
    entry!(
        video_wait,
        switchyard_plugin_api::VideoJob,
        switchyard_plugin_api::VideoResponse
    );

    /// Calls `check_key`, or says the plugin predates it (built against 1.0).
    pub fn check_key(
        &self,
        ctx: &CallContext,
        host: HostRef<'_>,
    ) -> Result<switchyard_plugin_api::KeyStatus, PluginError> {
        match self.module.check_key() {
            Some(f) => f(ctx, host).into_result(),
            None => Err(PluginError::new(
                switchyard_plugin_api::ErrorKind::UNSUPPORTED,
                format!(
                    "plugin {:?} was built against plugin API {} and has no key check (added in 1.1)",
                    self.manifest.id, self.description.plugin_api
                ),
            )),
        }
    }

    /// Polls a video job once, or says the plugin predates it.
    pub fn video_status(
        &self,
        job: &switchyard_plugin_api::VideoJob,
        ctx: &CallContext,
        host: HostRef<'_>,
    ) -> Result<switchyard_plugin_api::VideoJobState, PluginError> {
        match self.module.video_status() {
            Some(f) => f(job, ctx, host).into_result(),
            None => Err(PluginError::new(
                switchyard_plugin_api::ErrorKind::UNSUPPORTED,
                format!(
                    "plugin {:?} was built against plugin API {} and cannot poll a job once (added in 1.1)",
                    self.manifest.id, self.description.plugin_api
                ),
            )),
        }
    }

    /// Fetches the live catalog (JSON), or says the plugin predates it.
    pub fn catalog(&self, ctx: &CallContext, host: HostRef<'_>) -> Result<String, PluginError> {
        match self.module.catalog() {
            Some(f) => f(ctx, host).into_result().map(|s| s.into_string()),
            None => Err(PluginError::new(
                switchyard_plugin_api::ErrorKind::UNSUPPORTED,
                format!(
                    "plugin {:?} was built against plugin API {} and has no live catalog (added in 1.1)",
                    self.manifest.id, self.description.plugin_api
                ),
            )),
        }
    }

    /// Whether the library exports entry points appended after 1.0.
    pub fn has_check_key(&self) -> bool {
        self.module.check_key().is_some()
    }

    /// The path of the library's file.
    pub fn library_path(&self) -> &Path {
        &self.library
    }
}

/// The name abi_stable uses for our root module (for messages).
pub fn root_module_name() -> &'static str {
    <PluginModuleRef as RootModule>::NAME
}

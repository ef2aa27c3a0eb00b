/*!
Sharing plugins: `plugins install PATH | --git URL [--rev REV]`, `plugins
remove ID`, `plugins disable ID` and `plugins enable ID`.

An install builds the crate with cargo (release; cargo's own progress is
shown), checks the built library with the contract checks that need no
network (ABI, plugin API version, embedded manifest, typed answers), and
puts library and manifest under the user's plugin directory
(`$XDG_DATA_HOME/switchyard/plugins/<id>/`, scanned by default) with an
`install.json` record: where it came from, its version, and the SHA-256 of
the library. The loader refuses a library that no longer matches its
record ([`verify`]).

What this trusts: a plugin is native code that runs with the user's
rights, and building it runs its build scripts. Install only what you
would run. The checksum protects against a library changed after it was
installed (a disk error, a tool or person replacing the file); it says
nothing of whether the source was trustworthy.
*/

use super::Ctx;
use crate::error::HostError;
use crate::manifest::Manifest;
use crate::registry::LookupTable;
use crate::term;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

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

/// The user's plugin directory (`$XDG_DATA_HOME/switchyard/plugins`, else
/// `~/.local/share/switchyard/plugins`), where installs go.
pub fn user_plugins_dir() -> Result<PathBuf, HostError> {
    crate::layout::user_plugins_dir().ok_or_else(|| {
        HostError::Config(
            "no user data directory: set XDG_DATA_HOME or HOME to an absolute path".into(),
        )
    })
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

/// The one plugin manifest of a crate (`manifest.toml` or `manifest/*.toml`).
fn crate_manifest(dir: &Path) -> Result<Manifest, HostError> {
    let bad =
        |why: String| HostError::InvalidInput(format!("plugins install {}: {why}", dir.display()));
    if !dir.join("Cargo.toml").is_file() {
        return Err(bad("not a plugin crate (no Cargo.toml)".into()));
    }
    let table = if dir.join("manifest.toml").is_file() {
        let m = Manifest::load(&dir.join("manifest.toml")).map_err(|e| bad(e.to_string()))?;
        LookupTable::from_manifests([m])
    } else {
        LookupTable::scan(&[dir.join("manifest")])
    };
    if let Some(d) = table.diagnostics.iter().find(|d| d.is_error) {
        return Err(bad(d.message.clone()));
    }
    match table.plugins() {
        [one] => Ok((**one).clone()),
        [] => Err(bad(
            "no plugin manifest (manifest.toml or manifest/*.toml)".into()
        )),
        many => Err(bad(format!(
            "{} manifests; a crate installs one plugin",
            many.len()
        ))),
    }
}

/// Builds the crate (release unless `debug`), cargo's progress on stderr
/// unless `quiet`; returns the directory holding the library.
fn build(dir: &Path, debug: bool, quiet: bool) -> Result<PathBuf, HostError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.arg("build");
    if !debug {
        cmd.arg("--release");
    }
    cmd.arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .stdout(std::process::Stdio::null());
    if quiet {
        cmd.arg("--quiet");
    }
    let status = cmd
        .status()
        .map_err(|e| HostError::Io(format!("cannot run cargo to build {}: {e}", dir.display())))?;
    if !status.success() {
        return Err(HostError::InvalidInput(format!(
            "plugins install: `cargo build` failed in {} ({status}); nothing was installed",
            dir.display()
        )));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("target"));
    Ok(target.join(if debug { "debug" } else { "release" }))
}

/// Clones `url` (at `rev`) into a fresh temporary directory.
fn clone(url: &str, rev: Option<&str>) -> Result<PathBuf, HostError> {
    let dir = std::env::temp_dir().join(format!("switchyard-install-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let git = |args: &[&str], cwd: Option<&Path>| -> Result<(), HostError> {
        let mut c = std::process::Command::new("git");
        c.args(args);
        if let Some(d) = cwd {
            c.current_dir(d);
        }
        let st = c
            .status()
            .map_err(|e| HostError::Io(format!("cannot run git: {e}")))?;
        if st.success() {
            Ok(())
        } else {
            Err(HostError::InvalidInput(format!(
                "plugins install --git {url}: `git {}` failed ({st})",
                args.join(" ")
            )))
        }
    };
    let path = dir.display().to_string();
    git(&["clone", "--quiet", url, &path], None)?;
    if let Some(r) = rev {
        git(&["checkout", "--quiet", r], Some(&dir))?;
    }
    Ok(dir)
}

/// Copies `from` to `to` (same name, in a staging directory).
fn copy(from: &Path, to: &Path) -> Result<(), HostError> {
    std::fs::copy(from, to).map(|_| ()).map_err(|e| {
        HostError::Io(format!(
            "cannot copy {} to {}: {e}",
            from.display(),
            to.display()
        ))
    })
}

/// Runs the network-free contract checks on the staged plugin.
fn check_staged(staged_manifest: &Path) -> Result<String, HostError> {
    let m = Manifest::load(staged_manifest).map_err(|e| HostError::InvalidInput(e.to_string()))?;
    let table = LookupTable::from_manifests([m]);
    let opts = crate::contract::Options {
        base_url: None,
        probe_timeout: std::time::Duration::from_secs(20),
    };
    let lines = crate::contract::run(&table, |_| Default::default(), &opts);
    let failed: Vec<String> = lines
        .iter()
        .filter_map(|l| match &l.outcome {
            crate::contract::Outcome::Fail(why) => Some(format!("{}: {why}", l.what)),
            _ => None,
        })
        .collect();
    if failed.is_empty() {
        let api = lines
            .iter()
            .find_map(|l| match &l.outcome {
                crate::contract::Outcome::Ok(n) if n.starts_with("plugin API") => Some(n.clone()),
                _ => None,
            })
            .unwrap_or_default();
        return Ok(api);
    }
    Err(HostError::Load(format!(
        "the built plugin fails the contract checks, nothing was installed:\n  {}",
        failed.join("\n  ")
    )))
}

/// Where `plugins install` takes a plugin from.
pub struct From<'a> {
    /// A crate directory.
    pub path: Option<&'a Path>,
    /// A git URL.
    pub git: Option<&'a str>,
    /// With `git`: the revision.
    pub rev: Option<&'a str>,
}

/// Installs from a crate directory or a git URL.
pub fn install(ctx: &Ctx, from: From<'_>, debug: bool, quiet: bool) -> Result<(), HostError> {
    let rev = from.rev;
    let (dir, source) = match (from.path, from.git) {
        (Some(p), None) => {
            let abs = p.canonicalize().map_err(|e| {
                HostError::InvalidInput(format!("plugins install {}: {e}", p.display()))
            })?;
            let source = Source::Path {
                path: abs.display().to_string(),
            };
            (abs, source)
        }
        (None, Some(url)) => (
            clone(url, rev)?,
            Source::Git {
                url: url.to_string(),
                rev: rev.map(str::to_string),
            },
        ),
        _ => {
            return Err(HostError::InvalidInput(
                "plugins install: give a crate directory, or --git URL [--rev REV]".into(),
            ))
        }
    };
    let manifest = crate_manifest(&dir)?;
    let built = build(&dir, debug, quiet)?;
    let lib_name = manifest.library_file_name();
    let lib = built.join(&lib_name);
    if !lib.is_file() {
        return Err(HostError::Load(format!(
            "cargo built {} but {} is not there: check the crate's `[lib] name` and `crate-type = [\"cdylib\"]` against the manifest's `library = {:?}`",
            dir.display(),
            lib.display(),
            manifest.library
        )));
    }
    place(ctx, &manifest, &lib, source)
}

/// Stages, checks, records and swaps the plugin into place.
fn place(ctx: &Ctx, manifest: &Manifest, lib: &Path, source: Source) -> Result<(), HostError> {
    let root = user_plugins_dir()?;
    let io = |what: &str, p: &Path, e: std::io::Error| {
        HostError::Io(format!("cannot {what} {}: {e}", p.display()))
    };
    std::fs::create_dir_all(&root).map_err(|e| io("create", &root, e))?;
    let staging = root.join(format!(".staging-{}-{}", manifest.id, std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| io("create", &staging, e))?;
    let lib_name = manifest.library_file_name();
    let staged_manifest = staging.join(format!("{}.toml", manifest.id));
    let result = (|| {
        copy(&manifest.path, &staged_manifest)?;
        copy(lib, &staging.join(&lib_name))?;
        let api = check_staged(&staged_manifest)?;
        let rec = Record {
            id: manifest.id.clone(),
            version: manifest.version.to_string(),
            source,
            library: lib_name.clone(),
            sha256: sha256_file(&staging.join(&lib_name)).map_err(|e| io("read", lib, e))?,
            installed_at: crate::journal::now(),
        };
        let text = serde_json::to_vec_pretty(&rec).map_err(|e| HostError::Io(e.to_string()))?;
        std::fs::write(staging.join(RECORD), text).map_err(|e| io("write", &staging, e))?;
        Ok((rec, api))
    })();
    let (rec, api) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let target = root.join(&manifest.id);
    let replaced = record_of(&target.join(format!("{}.toml", manifest.id)));
    swap(&staging, &target)?;
    report(ctx, &rec, &target, replaced.as_ref(), &api);
    Ok(())
}

/// Moves `staging` to `target`, replacing what was there.
fn swap(staging: &Path, target: &Path) -> Result<(), HostError> {
    let old = target.with_file_name(format!(
        ".old-{}-{}",
        target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    if target.exists() {
        std::fs::rename(target, &old)
            .map_err(|e| HostError::Io(format!("cannot move {} aside: {e}", target.display())))?;
    }
    if let Err(e) = std::fs::rename(staging, target) {
        let _ = std::fs::rename(&old, target);
        return Err(HostError::Io(format!(
            "cannot install into {}: {e}",
            target.display()
        )));
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

fn report(ctx: &Ctx, rec: &Record, target: &Path, replaced: Option<&Record>, api: &str) {
    if ctx.json {
        ctx.print_json(&json!({
            "installed": rec.id, "version": rec.version, "source": rec.source.to_string(),
            "dir": target.display().to_string(), "sha256": rec.sha256,
            "replaced": replaced.map(|r| json!({"version": r.version, "source": r.source.to_string()})),
        }));
        return;
    }
    if let Some(r) = replaced {
        term::notice(&format!(
            "replaces {} {} (installed from {})",
            r.id, r.version, r.source
        ));
    }
    term::out(&format!(
        "installed {} {} from {} into {} ({api}; sha256 {})",
        rec.id,
        rec.version,
        rec.source,
        target.display(),
        &rec.sha256[..16.min(rec.sha256.len())]
    ));
}

/// `plugins remove ID`: only plugins installed with `plugins install`.
pub fn remove(ctx: &Ctx, id: &str) -> Result<(), HostError> {
    let dir = user_plugins_dir()?.join(id);
    let manifest = dir.join(format!("{id}.toml"));
    if record_of(&manifest).is_none() {
        let from = ctx
            .table
            .by_id(id)
            .map(|m| format!(" (its manifest is {})", m.path.display()))
            .unwrap_or_default();
        return Err(HostError::InvalidInput(format!(
            "plugins remove {id}: not a plugin installed with `switchyard plugins install`{from}; to stop using it, run `switchyard plugins disable {id}`"
        )));
    }
    std::fs::remove_dir_all(&dir)
        .map_err(|e| HostError::Io(format!("cannot remove {}: {e}", dir.display())))?;
    if ctx.json {
        ctx.print_json(&json!({"removed": id, "dir": dir.display().to_string()}));
    } else {
        term::out(&format!("removed {id} ({})", dir.display()));
    }
    Ok(())
}

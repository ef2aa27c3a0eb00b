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
use serde_json::json;
use std::path::{Path, PathBuf};
use switchyard_core::error::{ConfigError, HostError};
use switchyard_core::install::{record_of, sha256_file, Record, Source, RECORD};
use switchyard_core::manifest::Manifest;
use switchyard_core::registry::LookupTable;

/// The user's plugin directory (`$XDG_DATA_HOME/switchyard/plugins`, else
/// `~/.local/share/switchyard/plugins`), where installs go.
pub fn user_plugins_dir() -> Result<PathBuf, HostError> {
    switchyard_core::layout::user_plugins_dir().ok_or(HostError::Config(ConfigError::NoPath))
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
    let status = cmd.status().map_err(|e| HostError::Tool {
        command: format!(
            "cargo build --manifest-path {}",
            dir.join("Cargo.toml").display()
        ),
        detail: format!("could not start: {e}"),
    })?;
    if !status.success() {
        return Err(HostError::Build {
            dir: dir.to_path_buf(),
            status: status.to_string(),
        });
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
        let command = format!("git {}", args.join(" "));
        let st = c.status().map_err(|e| HostError::Tool {
            command: command.clone(),
            detail: format!("could not start: {e}"),
        })?;
        if st.success() {
            Ok(())
        } else {
            Err(HostError::Tool {
                command,
                detail: format!("failed ({st}); nothing was installed"),
            })
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
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|source| HostError::Io {
            what: "cannot copy into",
            path: to.to_path_buf(),
            source,
        })
}

/// Runs the network-free contract checks on the staged plugin.
fn check_staged(ctx: &Ctx, staged_manifest: &Path) -> Result<String, HostError> {
    let m = Manifest::load(staged_manifest).map_err(|e| HostError::InvalidInput(e.to_string()))?;
    let table = LookupTable::from_manifests([m]);
    let opts = switchyard_core::contract::Options {
        base_url: None,
        probe_timeout: std::time::Duration::from_secs(20),
    };
    let lines = switchyard_core::contract::run(&ctx.session, &table, |_| Default::default(), &opts);
    let failed: Vec<String> = lines
        .iter()
        .filter_map(|l| match &l.outcome {
            switchyard_core::contract::Outcome::Fail(why) => Some(format!("{}: {why}", l.what)),
            _ => None,
        })
        .collect();
    if failed.is_empty() {
        let api = lines
            .iter()
            .find_map(|l| match &l.outcome {
                switchyard_core::contract::Outcome::Ok(n) if n.starts_with("plugin API") => {
                    Some(n.clone())
                }
                _ => None,
            })
            .unwrap_or_default();
        return Ok(api);
    }
    for f in &failed {
        ctx.term.notice(&format!("contract check failed: {f}"));
    }
    Err(HostError::ContractFailed {
        failed: failed.len(),
    })
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
    refuse_shipped_id(ctx, &manifest.id)?;
    let built = build(&dir, debug, quiet)?;
    let lib_name = manifest.library_file_name();
    let lib = built.join(&lib_name);
    if !lib.is_file() {
        return Err(HostError::InvalidInput(format!(
            "cargo built {} but {} is not there: check the crate's `[lib] name` and `crate-type = [\"cdylib\"]` against the manifest's `library = {:?}`",
            dir.display(),
            lib.display(),
            manifest.library
        )));
    }
    place(ctx, &manifest, &lib, source)
}

/// An installed plugin comes before the shipped ones in the search order,
/// so one under a shipped plugin's id would take its place (and its API
/// key): refused before anything is built.
fn refuse_shipped_id(ctx: &Ctx, id: &str) -> Result<(), HostError> {
    let Some(m) = ctx.table.by_id(id) else {
        return Ok(());
    };
    let shipped = [
        switchyard_core::layout::bundled_plugins_dir(),
        switchyard_core::layout::dev_workspace().map(|w| w.join("manifests")),
    ];
    if shipped.iter().flatten().any(|d| m.path.starts_with(d)) {
        return Err(HostError::InvalidInput(format!(
            "plugins install: the id {id:?} belongs to a plugin shipped with switchyard ({}); an installed plugin would take its place and its key. Give yours another id (its manifest's `id` and model-ref prefix; `switchyard plugins new NAME` makes one)",
            m.path.display()
        )));
    }
    Ok(())
}

/// Stages, checks, records and swaps the plugin into place.
fn place(ctx: &Ctx, manifest: &Manifest, lib: &Path, source: Source) -> Result<(), HostError> {
    let root = user_plugins_dir()?;
    let io = |what: &'static str, p: &Path, source: std::io::Error| HostError::Io {
        what,
        path: p.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(&root).map_err(|e| io("cannot create", &root, e))?;
    let staging = root.join(format!(".staging-{}-{}", manifest.id, std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| io("cannot create", &staging, e))?;
    let lib_name = manifest.library_file_name();
    let staged_manifest = staging.join(format!("{}.toml", manifest.id));
    let result = (|| {
        copy(&manifest.path, &staged_manifest)?;
        copy(lib, &staging.join(&lib_name))?;
        let api = check_staged(ctx, &staged_manifest)?;
        let rec = Record {
            id: manifest.id.clone(),
            version: manifest.version.to_string(),
            source,
            library: lib_name.clone(),
            sha256: sha256_file(&staging.join(&lib_name)).map_err(|e| io("cannot read", lib, e))?,
            installed_at: switchyard_core::journal::now(),
        };
        let text = serde_json::to_vec_pretty(&rec).map_err(|source| HostError::Json {
            what: "cannot encode",
            path: staging.join(RECORD),
            source,
        })?;
        std::fs::write(staging.join(RECORD), text)
            .map_err(|e| io("cannot write into", &staging, e))?;
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
        std::fs::rename(target, &old).map_err(|source| HostError::Io {
            what: "cannot move aside",
            path: target.to_path_buf(),
            source,
        })?;
    }
    if let Err(source) = std::fs::rename(staging, target) {
        let _ = std::fs::rename(&old, target);
        return Err(HostError::Io {
            what: "cannot install into",
            path: target.to_path_buf(),
            source,
        });
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
        ctx.term.notice(&format!(
            "replaces {} {} (installed from {})",
            r.id, r.version, r.source
        ));
    }
    ctx.term.out(&format!(
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
    std::fs::remove_dir_all(&dir).map_err(|source| HostError::Io {
        what: "cannot remove",
        path: dir.clone(),
        source,
    })?;
    if ctx.json {
        ctx.print_json(&json!({"removed": id, "dir": dir.display().to_string()}));
    } else {
        ctx.term.out(&format!("removed {id} ({})", dir.display()));
    }
    Ok(())
}

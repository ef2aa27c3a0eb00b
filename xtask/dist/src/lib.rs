/*!
The install layout of switchyard, built from a cargo profile directory
(`target/release` for `cargo xtask install|dist`, the tests' profile for
the install test):

```text
bin/switchyard
lib/switchyard/plugins/<id>/manifest.toml          each bundled plugin: its manifest
lib/switchyard/plugins/<id>/lib<library>.so        and its library, side by side
share/bash-completion/completions/switchyard
share/zsh/site-functions/_switchyard
share/fish/vendor_completions.d/switchyard.fish
share/man/man1/switchyard.1                         and switchyard-<command>.1
```

The binary finds its plugins relative to its own location
(`switchyard_core::layout`), so the tree works wherever it is moved or
unpacked. [`stage`] writes the tree into a fresh directory, [`install_tree`]
copies it into a prefix (each file renamed into place, so a running
switchyard never sees a half-written library), [`archive`] packs it under
`switchyard-<version>/` into a tar.gz with a `sha256sum`-compatible
checksum file.
*/

mod archive;
pub mod docs;

pub use archive::{archive, sha256_hex, Archive};

use anyhow::{bail, Context, Result};
use clap::CommandFactory;
use std::path::{Path, PathBuf};
use switchyard_core::manifest::Manifest;

/// Where the bundled plugins go, relative to the prefix.
pub const PLUGINS_DIR: &str = "lib/switchyard/plugins";

/// A plugin shipped with switchyard.
#[derive(Debug, Clone)]
pub struct Bundled {
    /// Plugin id (its directory under [`PLUGINS_DIR`]).
    pub id: String,
    /// Its manifest in the workspace (`manifests/<id>.toml`).
    pub manifest: PathBuf,
    /// The library file name (`lib<library>.so`).
    pub library: String,
    /// The cargo package that builds the library.
    pub package: String,
}

/// A file of an installed tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its path relative to the tree's root.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
}

/// The switchyard version (the host crate's, as `switchyard --version` says).
pub fn version() -> String {
    switchyard_cli::Cli::command()
        .get_version()
        .unwrap_or("0.0.0")
        .to_string()
}

/// The bundled plugins: one per manifest in the workspace's `manifests/`
/// (each a link to `plugins/<crate>/manifest.toml`), with the package that
/// builds its library (the crate the manifest's link points into).
pub fn bundled_plugins(root: &Path) -> Result<Vec<Bundled>> {
    let dir = root.join("manifests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let m = Manifest::load(&path)?;
        out.push(Bundled {
            id: m.id.clone(),
            library: m.library_file_name(),
            package: package_of(&path)?,
            manifest: path,
        });
    }
    if out.is_empty() {
        bail!("no plugin manifest in {}", dir.display());
    }
    Ok(out)
}

/// The package name of the crate holding `manifest` (links resolved).
fn package_of(manifest: &Path) -> Result<String> {
    let real = manifest
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", manifest.display()))?;
    let cargo_toml = real
        .parent()
        .map(|d| d.join("Cargo.toml"))
        .filter(|p| p.is_file())
        .with_context(|| {
            format!(
                "{} is not in a plugin crate (no Cargo.toml beside {})",
                manifest.display(),
                real.display()
            )
        })?;
    let text = std::fs::read_to_string(&cargo_toml)
        .with_context(|| format!("cannot read {}", cargo_toml.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("{}", cargo_toml.display()))?;
    table
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(str::to_string)
        .with_context(|| format!("{}: no package.name", cargo_toml.display()))
}

/// The packages an install needs built: the host and each bundled plugin.
pub fn packages(root: &Path) -> Result<Vec<String>> {
    let mut v = vec!["switchyard".to_string()];
    v.extend(bundled_plugins(root)?.into_iter().map(|b| b.package));
    Ok(v)
}

/// Writes the install tree into `dest` (emptied first) from the binary and
/// libraries in `profile_dir` and the manifests of the workspace at `root`.
/// Returns the files written.
pub fn stage(root: &Path, profile_dir: &Path, dest: &Path) -> Result<Vec<Entry>> {
    if dest.exists() {
        std::fs::remove_dir_all(dest)
            .with_context(|| format!("cannot empty {}", dest.display()))?;
    }
    let bin = profile_dir.join(format!("switchyard{}", std::env::consts::EXE_SUFFIX));
    let missing = |what: &Path| {
        format!(
            "{} is missing: build it first (cargo build --release -p {})",
            what.display(),
            packages(root).unwrap_or_default().join(" -p ")
        )
    };
    if !bin.is_file() {
        bail!(missing(&bin));
    }
    copy(
        &bin,
        &dest.join("bin").join(bin.file_name().unwrap_or_default()),
    )?;
    for b in bundled_plugins(root)? {
        let lib = profile_dir.join(&b.library);
        if !lib.is_file() {
            bail!(missing(&lib));
        }
        let dir = dest.join(PLUGINS_DIR).join(&b.id);
        // The manifest's contents (manifests/ holds links), not the link.
        copy(&b.manifest, &dir.join("manifest.toml"))?;
        copy(&lib, &dir.join(&b.library))?;
    }
    docs::write(dest)?;
    files(dest)
}

/// Copies `from` to `to` (contents and permissions), creating its directory.
fn copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(d) = to.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    std::fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

/// Every file under `dir`, sorted by path, relative to `dir`.
pub fn files(dir: &Path) -> Result<Vec<Entry>> {
    Ok(walk(dir)?
        .into_iter()
        .filter(|(_, is_dir, _)| !is_dir)
        .map(|(path, _, size)| Entry { path, size })
        .collect())
}

/// Every directory and file under `dir`, sorted by path, relative to
/// `dir`: (path, is a directory, size).
pub(crate) fn walk(dir: &Path) -> Result<Vec<(PathBuf, bool, u64)>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let here = dir.join(&rel);
        let entries =
            std::fs::read_dir(&here).with_context(|| format!("cannot read {}", here.display()))?;
        for e in entries {
            let e = e.with_context(|| format!("cannot read {}", here.display()))?;
            let meta = std::fs::metadata(e.path())
                .with_context(|| format!("cannot read {}", e.path().display()))?;
            let path = rel.join(e.file_name());
            if meta.is_dir() {
                stack.push(path.clone());
            }
            out.push((path, meta.is_dir(), meta.len()));
        }
    }
    out.sort();
    Ok(out)
}

/// Copies the staged tree into `prefix`. Every file is written beside its
/// target and renamed into place, so a switchyard running from the prefix
/// meanwhile keeps its old files. The bundled plugins directory is written
/// beside the old one and swapped in as a whole: a plugin dropped from a
/// release does not linger, and a failed copy leaves the old one working.
/// Returns the files installed, relative to `prefix`.
pub fn install_tree(staged: &Path, prefix: &Path) -> Result<Vec<Entry>> {
    let entries = files(staged)?;
    let plugins = prefix.join(PLUGINS_DIR);
    let pid = std::process::id();
    let fresh = plugins.with_file_name(format!(".plugins.install-{pid}"));
    if fresh.exists() {
        std::fs::remove_dir_all(&fresh)
            .with_context(|| format!("cannot remove {}", fresh.display()))?;
    }
    for e in &entries {
        match e.path.strip_prefix(PLUGINS_DIR) {
            Ok(rel) => copy(&staged.join(&e.path), &fresh.join(rel))?,
            Err(_) => replace(&staged.join(&e.path), &prefix.join(&e.path))?,
        }
    }
    if fresh.exists() {
        let old = plugins.with_file_name(format!(".plugins.old-{pid}"));
        if plugins.exists() {
            std::fs::rename(&plugins, &old)
                .with_context(|| format!("cannot move the old {} aside", plugins.display()))?;
        }
        std::fs::rename(&fresh, &plugins)
            .with_context(|| format!("cannot move {} into place", plugins.display()))?;
        if old.exists() {
            std::fs::remove_dir_all(&old)
                .with_context(|| format!("cannot remove {}", old.display()))?;
        }
    }
    Ok(entries)
}

/// Copies `from` beside `to`, then renames it over `to`.
fn replace(from: &Path, to: &Path) -> Result<()> {
    let name = to.file_name().unwrap_or_default().to_string_lossy();
    let tmp = to.with_file_name(format!(".{name}.install-{}", std::process::id()));
    copy(from, &tmp)?;
    std::fs::rename(&tmp, to).map_err(|err| {
        let _ = std::fs::remove_file(&tmp);
        anyhow::anyhow!("cannot move {} into place: {err}", to.display())
    })
}

/// A size for people: `512 B`, `1.5 KiB`, `37.2 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn bundled_plugins_come_from_the_manifests_dir_with_their_packages() {
        let b = bundled_plugins(&root()).unwrap();
        let ids: Vec<&str> = b.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["openai-compatible", "openrouter"]);
        assert_eq!(b[1].package, "switchyard-openrouter");
        assert!(b[1].library.contains("switchyard_openrouter"));
        assert_eq!(packages(&root()).unwrap()[0], "switchyard");
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(39 * 1024 * 1024), "39.0 MiB");
    }
}

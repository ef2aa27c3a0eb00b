/*!
`cargo xtask install [--prefix DIR]` and `cargo xtask dist`: a release build
of the host and the bundled plugins, laid out as an install
(`switchyard-dist`): `bin/switchyard`, `lib/switchyard/plugins/<id>/`
(manifest and library), shell completions and man pages under `share/`.
`install` copies the tree into the prefix (default `~/.local`); `dist` packs
it as `target/dist/switchyard-<version>-<target>.tar.gz` with a `.sha256`.
*/

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;
use switchyard_dist::{human_size, Entry};

/// `cargo xtask install [--prefix DIR]`.
pub fn install(args: &[String]) -> Result<()> {
    let prefix = match args {
        [] => default_prefix()?,
        [flag, dir] if flag == "--prefix" => PathBuf::from(dir),
        [flag] if flag == "--prefix" => bail!("--prefix needs a directory"),
        other => {
            bail!("unknown install arguments {other:?}; usage: cargo xtask install [--prefix DIR]")
        }
    };
    let prefix = std::path::absolute(&prefix)
        .with_context(|| format!("cannot make {} absolute", prefix.display()))?;
    let started = Instant::now();
    let release = build_release()?;
    let staged = target_dir().join("install-stage");
    switchyard_dist::stage(&crate::root(), &release, &staged)?;
    let entries = switchyard_dist::install_tree(&staged, &prefix)?;
    let _ = std::fs::remove_dir_all(&staged);
    println!(
        "installed switchyard {} into {} in {:.1} s:",
        switchyard_dist::version(),
        prefix.display(),
        started.elapsed().as_secs_f64()
    );
    for line in summary(&entries) {
        println!("  {line}");
    }
    hints(&prefix);
    Ok(())
}

/// `cargo xtask dist`.
pub fn dist(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        bail!("unknown dist arguments {args:?}; usage: cargo xtask dist");
    }
    let started = Instant::now();
    let release = build_release()?;
    let version = switchyard_dist::version();
    let top = format!("switchyard-{version}");
    let out = target_dir().join("dist");
    let staged = out.join(&top);
    let entries = switchyard_dist::stage(&crate::root(), &release, &staged)?;
    let tarball = out.join(format!("{top}-{}.tar.gz", host_triple()?));
    let archive = switchyard_dist::archive(&staged, &top, &tarball)?;
    let _ = std::fs::remove_dir_all(&staged);
    let packed = std::fs::metadata(&archive.tarball).map_or(0, |m| m.len());
    println!(
        "{} ({}; unpacks to {top}/, {}) in {:.1} s",
        archive.tarball.display(),
        human_size(packed),
        human_size(entries.iter().map(|e| e.size).sum()),
        started.elapsed().as_secs_f64()
    );
    println!("{} (sha256 {})", archive.checksum.display(), archive.sha256);
    println!(
        "install: tar xzf {} --strip-components=1 -C ~/.local   (any prefix works)",
        tarball.file_name().unwrap_or_default().to_string_lossy()
    );
    Ok(())
}

/// `~/.local`.
fn default_prefix() -> Result<PathBuf> {
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(h) => Ok(PathBuf::from(h).join(".local")),
        None => bail!("HOME is not set: give --prefix DIR"),
    }
}

/// The target directory, absolute.
fn target_dir() -> PathBuf {
    let t = crate::target_dir();
    if t.is_absolute() {
        t
    } else {
        crate::root().join(t)
    }
}

/// Builds the host and the bundled plugins in the `shipped` profile
/// (release without debug info); returns the profile directory.
fn build_release() -> Result<PathBuf> {
    let packages = switchyard_dist::packages(&crate::root())?;
    let cargo = crate::cargo();
    let mut args = vec!["build", "--profile", "shipped"];
    for p in &packages {
        args.extend(["-p", p.as_str()]);
    }
    crate::sh(&cargo, &args)?;
    Ok(target_dir().join("shipped"))
}

/// The host's target triple (`rustc -vV`), which cargo builds for by default.
fn host_triple() -> Result<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = std::process::Command::new(&rustc)
        .arg("-vV")
        .output()
        .with_context(|| format!("cannot run {rustc} -vV"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(|t| t.trim().to_string())
        .with_context(|| format!("`{rustc} -vV` names no host triple"))
}

/// One line per installed file, the man pages on one line, then the total.
pub fn summary(entries: &[Entry]) -> Vec<String> {
    let man = Path::new(switchyard_dist::docs::MAN_DIR);
    let (pages, files): (Vec<&Entry>, Vec<&Entry>) =
        entries.iter().partition(|e| e.path.starts_with(man));
    let mut lines: Vec<String> = files
        .iter()
        .map(|e| format!("{:<60} {:>10}", e.path.display(), human_size(e.size)))
        .collect();
    if !pages.is_empty() {
        let what = format!(
            "{}/switchyard.1 (+ {} switchyard-*.1)",
            man.display(),
            pages.len() - 1
        );
        let size = pages.iter().map(|e| e.size).sum();
        lines.push(format!("{what:<60} {:>10}", human_size(size)));
    }
    let total: u64 = entries.iter().map(|e| e.size).sum();
    lines.push(format!(
        "{:<60} {:>10}",
        format!("total: {} files", entries.len()),
        human_size(total)
    ));
    lines
}

/// What the shell may still need: `bin/` on PATH, zsh's fpath.
fn hints(prefix: &Path) {
    let bin = prefix.join("bin");
    let on_path =
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d == bin));
    if !on_path {
        println!(
            "note: {} is not on PATH; add it: export PATH=\"{}:$PATH\"",
            bin.display(),
            bin.display()
        );
    }
    println!(
        "zsh completions: if {} is not in $fpath, add fpath+=({0}) before compinit",
        prefix.join("share/zsh/site-functions").display()
    );
    println!("uninstall: see README.md, section \"Uninstalling\"");
}

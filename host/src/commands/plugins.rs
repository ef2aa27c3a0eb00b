/*!
`plugins list`, `plugins check` and `plugins test`: what is installed,
whether each plugin loads and keeps its contract (ABI, API version,
embedded manifest), and the full contract suite ([`switchyard_core::contract`]).
*/

use super::Ctx;
use crate::cli::PluginsCmd;
use serde_json::json;
use std::path::{Path, PathBuf};
use switchyard_core::error::{ConfigError, HostError};
use switchyard_core::loader;
use switchyard_core::manifest::Manifest;
use switchyard_core::registry::LookupTable;

/// Runs a `plugins` subcommand.
pub fn run(ctx: &Ctx, cmd: PluginsCmd) -> Result<(), HostError> {
    match cmd {
        PluginsCmd::List => list(ctx),
        PluginsCmd::Check { id } => check(ctx, id.as_deref()),
        PluginsCmd::New {
            name,
            dir,
            kit_path,
        } => super::plugins_new::run(ctx, &name, dir.as_deref(), kit_path.as_deref()),
        PluginsCmd::Install {
            path,
            git,
            rev,
            debug,
        } => super::plugins_install::install(
            ctx,
            super::plugins_install::From {
                path: path.as_deref(),
                git: git.as_deref(),
                rev: rev.as_deref(),
            },
            debug,
            ctx.term.quiet(),
        ),
        PluginsCmd::Remove { id } => super::plugins_install::remove(ctx, &id),
        PluginsCmd::Disable { id } => set_disabled(ctx, &id, true),
        PluginsCmd::Enable { id } => set_disabled(ctx, &id, false),
        PluginsCmd::Test {
            dir,
            base_url,
            timeout,
        } => test(ctx, &dir, base_url, &timeout),
    }
}

fn list(ctx: &Ctx) -> Result<(), HostError> {
    let dirs = super::search_dirs(&ctx.cli_plugin_dirs, &ctx.config);
    let mut rows = Vec::new();
    for m in ctx.table.plugins() {
        let record = switchyard_core::install::record_of(&m.path);
        let source = match &record {
            Some(r) => Some(format!("installed from {}", r.source)),
            None => switchyard_core::layout::source_of(&dirs, &m.path)
                .map(|d| d.source.label().to_string()),
        };
        let (status, error, library) = match ctx.session.load(m) {
            Ok(p) => ("loaded", None, Some(p.library.display().to_string())),
            Err(e) => (
                "refused",
                Some(e.to_string()),
                loader::find_library(m)
                    .ok()
                    .map(|p| p.display().to_string()),
            ),
        };
        rows.push(json!({
            "id": m.id,
            "name": m.name,
            "version": m.version.to_string(),
            "plugin_api": m.plugin_api.to_string(),
            "model_prefix": m.model_prefix,
            "capabilities": m.capabilities,
            "models": m.models.len(),
            "manifest": m.path.display().to_string(),
            "source": source,
            "installed": record.as_ref().map(|r| json!({"source": r.source.to_string(), "sha256": r.sha256, "installed_at": r.installed_at})),
            "library": library,
            "status": status,
            "error": error,
        }));
    }
    let diags: Vec<_> = ctx
        .table
        .diagnostics
        .iter()
        .map(|d| json!({"path": d.path.display().to_string(), "message": d.message, "error": d.is_error}))
        .collect();
    if ctx.json {
        ctx.print_json(&json!({"plugins": rows, "diagnostics": diags}));
    } else {
        print_list(ctx, &rows);
    }
    Ok(())
}

/// `plugins list` as text: a line per plugin, where it comes from, its
/// load error, then the scan's problems.
fn print_list(ctx: &Ctx, rows: &[serde_json::Value]) {
    if rows.is_empty() {
        ctx.term.out("no plugins found");
    }
    for r in rows {
        ctx.term.out(&format!(
            "{:<20} {:<8} {:<10} prefix {:<16} {}",
            r["id"].as_str().unwrap_or(""),
            r["version"].as_str().unwrap_or(""),
            r["status"].as_str().unwrap_or(""),
            r["model_prefix"].as_str().unwrap_or(""),
            r["capabilities"]
                .as_array()
                .map(|a| a
                    .iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(","))
                .unwrap_or_default()
        ));
        ctx.term.out(&format!(
            "    from {}: {}",
            r["source"].as_str().unwrap_or("unknown place"),
            r["manifest"].as_str().unwrap_or("")
        ));
        if let Some(e) = r["error"].as_str() {
            ctx.term.out(&format!("    {e}"));
        }
    }
    for d in &ctx.table.diagnostics {
        ctx.term.out(&format!(
            "{}: {}",
            if d.is_error {
                "broken manifest"
            } else {
                "warning"
            },
            d.message
        ));
    }
}

fn check(ctx: &Ctx, only: Option<&str>) -> Result<(), HostError> {
    let plugins: Vec<_> = ctx
        .table
        .plugins()
        .iter()
        .filter(|m| only.is_none_or(|id| m.id == id))
        .collect();
    if let Some(id) = only {
        if plugins.is_empty() {
            let known: Vec<&str> = ctx.table.plugins().iter().map(|m| m.id.as_str()).collect();
            return Err(HostError::InvalidInput(format!(
                "no plugin with id {id:?}; installed: {}",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        }
    }
    let mut failures = Vec::new();
    let mut results = Vec::new();
    for m in plugins {
        match ctx.session.load(m) {
            Ok(p) => {
                results.push(json!({"id": m.id, "ok": true, "library": p.library.display().to_string(), "plugin_api": p.plugin_api}));
                if !ctx.json {
                    ctx.term.out(&format!(
                        "ok      {} {} (plugin API {}, {})",
                        m.id,
                        m.version,
                        p.plugin_api,
                        p.library.display()
                    ));
                }
            }
            Err(e) => {
                results.push(json!({"id": m.id, "ok": false, "error": e.to_string()}));
                if !ctx.json {
                    ctx.term.out(&format!("FAILED  {}: {e}", m.id));
                }
                failures.push(e.to_string());
            }
        }
    }
    if only.is_none() {
        for d in ctx.table.diagnostics.iter().filter(|d| d.is_error) {
            if !ctx.json {
                ctx.term.out(&format!("FAILED  {}", d.message));
            }
            failures.push(d.message.clone());
        }
    }
    if ctx.json {
        ctx.print_json(&json!({"results": results, "ok": failures.is_empty()}));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(HostError::PluginsFailed {
            count: failures.len(),
        })
    }
}

/// Where the manifests and the crate of `plugins test DIR` are: a manifest
/// directory (maybe inside a crate, as the template's `manifest/`), or a
/// crate holding `manifest.toml` or `manifest/`.
fn test_layout(dir: &Path) -> Result<(LookupTable, Option<PathBuf>), HostError> {
    if !dir.is_dir() {
        return Err(HostError::InvalidInput(format!(
            "plugins test {}: not a directory; give a directory of plugin manifests or a plugin crate",
            dir.display()
        )));
    }
    let has_cargo = |d: &Path| d.join("Cargo.toml").is_file();
    if has_cargo(dir) {
        if dir.join("manifest.toml").is_file() {
            let m = Manifest::load(&dir.join("manifest.toml"))
                .map_err(|e| HostError::InvalidInput(e.to_string()))?;
            return Ok((LookupTable::from_manifests([m]), Some(dir.to_path_buf())));
        }
        if dir.join("manifest").is_dir() {
            return Ok((
                LookupTable::scan(&[dir.join("manifest")]),
                Some(dir.to_path_buf()),
            ));
        }
        return Err(HostError::InvalidInput(format!(
            "plugins test {}: a crate without `manifest.toml` or `manifest/`; the manifest is what the suite checks",
            dir.display()
        )));
    }
    let parent = dir.parent().filter(|p| has_cargo(p)).map(Path::to_path_buf);
    Ok((LookupTable::scan(&[dir.to_path_buf()]), parent))
}

/// Makes the libraries of a plugin crate findable: its target directories go
/// on the library path; when none holds a manifest's library, the crate is
/// built (`cargo build --release`, its progress shown).
fn find_or_build(ctx: &Ctx, table: &LookupTable, crate_dir: &Path) -> Result<(), HostError> {
    let dirs = switchyard_core::contract::crate_library_dirs(crate_dir);
    let mut path: Vec<PathBuf> = dirs.clone();
    if let Some(old) = std::env::var_os("SWITCHYARD_LIBRARY_PATH") {
        path.extend(std::env::split_paths(&old));
    }
    if let Ok(joined) = std::env::join_paths(&path) {
        // Single-threaded here: nothing else reads the environment yet.
        std::env::set_var("SWITCHYARD_LIBRARY_PATH", joined);
    }
    let missing = table
        .plugins()
        .iter()
        .any(|m| loader::find_library(m).is_err());
    if !missing {
        return Ok(());
    }
    ctx.term.notice(&format!(
        "building {} (cargo build --release) to test it",
        crate_dir.display()
    ));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(&cargo)
        .args(["build", "--release", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|source| HostError::Io {
            what: "cannot run",
            path: cargo.into(),
            source,
        })?;
    if !status.success() {
        return Err(HostError::Build {
            dir: crate_dir.to_path_buf(),
            status: status.to_string(),
        });
    }
    Ok(())
}

fn test(ctx: &Ctx, dir: &Path, base_url: Option<String>, timeout: &str) -> Result<(), HostError> {
    let probe_timeout = switchyard_core::duration::parse(timeout)
        .map_err(|e| HostError::InvalidInput(format!("--timeout: {e}")))?;
    if let Some(u) = &base_url {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            return Err(HostError::InvalidInput(format!(
                "--base-url {u:?}: give an http(s) URL, e.g. http://127.0.0.1:8080/v1"
            )));
        }
    }
    let (table, crate_dir) = test_layout(dir)?;
    if table.plugins().is_empty() && table.diagnostics.is_empty() {
        return Err(HostError::InvalidInput(format!(
            "plugins test {}: no plugin manifest (*.toml) found there",
            dir.display()
        )));
    }
    if let Some(c) = &crate_dir {
        find_or_build(ctx, &table, c)?;
    }
    ctx.session
        .secrets()
        .register_all(&ctx.config, table.plugins());
    let opts = switchyard_core::contract::Options {
        base_url,
        probe_timeout,
    };
    let base = |m: &Manifest| {
        ctx.call_context_with(m, false, 0, false)
            .unwrap_or_default()
    };
    let lines = switchyard_core::contract::run(&ctx.session, &table, base, &opts);
    report(ctx, &lines, &opts)
}

fn report(
    ctx: &Ctx,
    lines: &[switchyard_core::contract::Line],
    opts: &switchyard_core::contract::Options,
) -> Result<(), HostError> {
    use switchyard_core::contract::Outcome;
    let count = |f: fn(&Outcome) -> bool| lines.iter().filter(|l| f(&l.outcome)).count();
    let failed = count(|o| matches!(o, Outcome::Fail(_)));
    let skipped = count(|o| matches!(o, Outcome::Skip(_)));
    let passed = lines.len() - failed - skipped;
    if ctx.json {
        let rows: Vec<_> = lines
            .iter()
            .map(|l| {
                let (status, note) = match &l.outcome {
                    Outcome::Ok(n) => ("ok", n),
                    Outcome::Fail(n) => ("fail", n),
                    Outcome::Skip(n) => ("skip", n),
                };
                json!({"plugin": l.subject, "check": l.what, "status": status, "note": note})
            })
            .collect();
        ctx.print_json(
            &json!({"checks": rows, "passed": passed, "failed": failed, "skipped": skipped}),
        );
    } else {
        let server = opts
            .base_url
            .as_deref()
            .unwrap_or("none: capability probes skipped");
        ctx.term
            .out(&format!("plugin contract suite (probe server: {server})"));
        let mut subject = "";
        for l in lines {
            if l.subject != subject {
                subject = &l.subject;
                ctx.term.out(&format!("plugin {subject}"));
            }
            let line = match &l.outcome {
                Outcome::Ok(n) if n.is_empty() => format!("  [ok]   {}", l.what),
                Outcome::Ok(n) => format!("  [ok]   {}: {n}", l.what),
                Outcome::Fail(n) => format!("  [FAIL] {}: {n}", l.what),
                Outcome::Skip(n) => format!("  [skip] {}: {n}", l.what),
            };
            ctx.term.out(&line);
        }
        ctx.term.out(&format!(
            "{} checks: {passed} passed, {failed} failed, {skipped} skipped",
            lines.len()
        ));
    }
    if failed > 0 {
        return Err(HostError::ContractFailed { failed });
    }
    Ok(())
}

/// `plugins disable ID` / `plugins enable ID`: edits `plugins.disabled`.
fn set_disabled(ctx: &Ctx, id: &str, disable: bool) -> Result<(), HostError> {
    let mut list: Vec<String> = ctx.config.file.plugins.disabled.clone();
    let known = ctx.table.by_id(id).is_some() || list.iter().any(|d| d == id);
    if disable && !known {
        return Err(HostError::InvalidInput(format!(
            "plugins disable {id}: no such plugin; installed: {}",
            ctx.table
                .plugins()
                .iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    list.retain(|d| d != id);
    if disable {
        list.push(id.to_string());
    }
    let path = ctx
        .config
        .path
        .clone()
        .ok_or(HostError::Config(ConfigError::NoPath))?;
    let value: toml_edit::Array = list.iter().map(String::as_str).collect();
    switchyard_core::config_edit::set(
        &ctx.session,
        &path,
        &[("plugins.disabled", toml_edit::Value::Array(value))],
    )?;
    let what = if disable { "disabled" } else { "enabled" };
    if ctx.json {
        ctx.print_json(&json!({"id": id, "status": what, "config": path.display().to_string()}));
    } else {
        ctx.term.out(&format!(
            "{what} {id} (plugins.disabled in {})",
            path.display()
        ));
    }
    Ok(())
}

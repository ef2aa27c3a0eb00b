/*!
`plugins list` and `plugins check`: what is installed, and whether each
plugin loads and keeps its contract (ABI, API version, self-description).
*/

use super::Ctx;
use crate::cli::PluginsCmd;
use crate::error::HostError;
use crate::loader;
use crate::term;
use serde_json::json;

/// Runs a `plugins` subcommand.
pub fn run(ctx: &Ctx, cmd: PluginsCmd) -> Result<(), HostError> {
    match cmd {
        PluginsCmd::List => list(ctx),
        PluginsCmd::Check { id } => check(ctx, id.as_deref()),
    }
}

fn list(ctx: &Ctx) -> Result<(), HostError> {
    let mut rows = Vec::new();
    for m in ctx.table.plugins() {
        let (status, error, library) = match loader::load(m) {
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
        return Ok(());
    }
    if rows.is_empty() {
        term::out("no plugins found");
    }
    for r in &rows {
        term::out(&format!(
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
        if let Some(e) = r["error"].as_str() {
            term::out(&format!("    {e}"));
        }
    }
    for d in &ctx.table.diagnostics {
        term::out(&format!(
            "{}: {}",
            if d.is_error {
                "broken manifest"
            } else {
                "warning"
            },
            d.message
        ));
    }
    Ok(())
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
        match loader::load(m) {
            Ok(p) => {
                results.push(json!({"id": m.id, "ok": true, "library": p.library.display().to_string(), "plugin_api": p.description.plugin_api}));
                if !ctx.json {
                    term::out(&format!(
                        "ok      {} {} (plugin API {}, {})",
                        m.id,
                        m.version,
                        p.description.plugin_api,
                        p.library.display()
                    ));
                }
            }
            Err(e) => {
                results.push(json!({"id": m.id, "ok": false, "error": e.to_string()}));
                if !ctx.json {
                    term::out(&format!("FAILED  {}: {e}", m.id));
                }
                failures.push(e.to_string());
            }
        }
    }
    if only.is_none() {
        for d in ctx.table.diagnostics.iter().filter(|d| d.is_error) {
            if !ctx.json {
                term::out(&format!("FAILED  {}", d.message));
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
        Err(HostError::Load(format!(
            "{} plugin problem(s) found",
            failures.len()
        )))
    }
}

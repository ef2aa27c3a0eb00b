/*!
`models list`: the models the manifests declare, with their limits.
*/

use super::Ctx;
use crate::cli::ModelsCmd;
use crate::error::HostError;
use crate::manifest::ModelEntry;
use crate::term;
use serde_json::json;

/// Runs a `models` subcommand.
pub fn run(ctx: &Ctx, cmd: ModelsCmd) -> Result<(), HostError> {
    match cmd {
        ModelsCmd::List { capability } => list(ctx, capability.map(|c| c.name())),
        ModelsCmd::Set { .. } | ModelsCmd::Refresh => Err(HostError::Config(
            "this `models` subcommand is not available in this build yet; edit the config file directly".into(),
        )),
    }
}

fn limits_json(m: &ModelEntry) -> serde_json::Value {
    let mut o = serde_json::Map::new();
    macro_rules! put {
        ($f:ident) => {
            if let Some(v) = &m.$f {
                o.insert(stringify!($f).to_string(), json!(v));
            }
        };
    }
    put!(durations);
    put!(resolutions);
    put!(aspect_ratios);
    put!(sizes);
    put!(frame_images);
    put!(input_references);
    put!(modes);
    put!(voices);
    put!(formats);
    serde_json::Value::Object(o)
}

fn list(ctx: &Ctx, cap: Option<&str>) -> Result<(), HostError> {
    let mut rows = Vec::new();
    for p in ctx.table.plugins() {
        for m in &p.models {
            if cap.is_some_and(|c| !m.has_capability(c)) {
                continue;
            }
            rows.push(json!({
                "ref": m.model_ref,
                "plugin": p.id,
                "capabilities": m.capabilities,
                "limits": limits_json(m),
                "source": "manifest",
            }));
        }
    }
    if ctx.json {
        ctx.print_json(&json!({"models": rows}));
        return Ok(());
    }
    for r in &rows {
        let caps = r["capabilities"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default();
        let limits = r["limits"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| {
                        let vals = v
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .map(|x| x.to_string().trim_matches('"').to_string())
                                    .collect::<Vec<_>>()
                                    .join("/")
                            })
                            .unwrap_or_default();
                        format!("{k}={vals}")
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        term::out(&format!(
            "{:<48} {:<12} [manifest] {limits}",
            r["ref"].as_str().unwrap_or(""),
            caps
        ));
    }
    Ok(())
}

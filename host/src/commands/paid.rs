/*!
What every paid command (chat, image, video, speak, transcribe, embed)
does before and after it spends: provider parameters (`--param KEY=JSON`),
the cost estimate (`--dry-run`, `--max-cost USD`), and recording the cost
the provider reported (`switchyard spend` sums it).

Order, for each command: route and check the request (exit 2, nothing
sent) -> [`params`] -> [`preflight`]: with `--dry-run`, print the request
that would be sent (secrets redacted) and the estimate, then stop (exit 0);
with `--max-cost`, refuse (exit 2, nothing sent) an estimate over the
budget, or a request whose cost cannot be estimated -> send -> [`record`].
*/

use super::Ctx;
use crate::cli::PaidArgs;
use serde::Serialize;
use serde_json::json;
use switchyard_core::error::HostError;
use switchyard_core::estimate::{self, Estimate, Prices, Usage};
use switchyard_core::manifest::ModelEntry;
use switchyard_plugin_api::doc::Params;

/// Parses `--param KEY=JSON` values into a request's `params`; refuses a
/// value that is not JSON, and, when the model's limits list the
/// parameters it accepts (the live catalog's), a key not among them.
pub fn params(args: &PaidArgs, model: &str, limits: Option<&ModelEntry>) -> Result<Params, HostError> {
    let mut out = Params::new();
    for p in &args.params {
        let Some((key, value)) = p.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            return Err(HostError::InvalidInput(format!(
                "--param {p:?}: write KEY=JSON, such as --param top_k=40 or --param 'stop=[\"\\n\"]'"
            )));
        };
        let key = key.trim();
        if serde_json::from_str::<serde_json::Value>(value).is_err() {
            return Err(HostError::InvalidInput(format!(
                "--param {key}={value}: the value must be JSON (a number, true/false, a \"quoted string\", a list or an object); quote strings: --param '{key}=\"{value}\"'"
            )));
        }
        if let Some(allowed) = limits.and_then(|l| l.passthrough_parameters.as_ref()) {
            if !allowed.iter().any(|a| a == key) {
                return Err(HostError::InvalidInput(format!(
                    "--param {key}: {model} does not accept it; parameters it takes: {}",
                    if allowed.is_empty() {
                        "none".to_string()
                    } else {
                        allowed.join(", ")
                    }
                )));
            }
        }
        out.insert(key.to_string(), value.to_string());
    }
    Ok(out)
}

/// Whether the command goes on after [`preflight`].
#[must_use]
pub enum Go {
    /// Send it.
    Send,
    /// A dry run: it was printed, nothing is sent.
    Stop,
}

/// What a dry run shows of a request: the operation, the model, the
/// request document and the binary inputs' sizes.
pub struct Planned<'a, R: Serialize> {
    /// The command (`video`).
    pub command: &'a str,
    /// The model ref.
    pub model: &'a str,
    /// The operation the plugin is asked (`video.submit`).
    pub operation: &'a str,
    /// The request document.
    pub request: &'a R,
    /// The sizes of the binary inputs the request refers to by index.
    pub blobs: &'a [usize],
}

/// The estimate for `usage` at the model's catalog prices.
pub fn estimate_for(limits: Option<&ModelEntry>, usage: &Usage) -> Option<Estimate> {
    let prices = Prices::parse(limits.and_then(|l| l.pricing.as_ref())?);
    estimate::estimate(usage, &prices)
}

fn money(usd: f64) -> String {
    if usd < 0.01 {
        format!("${usd:.6}")
    } else {
        format!("${usd:.4}")
    }
}

/// Applies `--dry-run` and `--max-cost` to a planned request.
pub fn preflight<R: Serialize>(
    ctx: &Ctx,
    args: &PaidArgs,
    plan: &Planned<'_, R>,
    limits: Option<&ModelEntry>,
    usage: &Usage,
) -> Result<Go, HostError> {
    let est = estimate_for(limits, usage);
    if let Some(max) = args.max_cost {
        if !(max.is_finite() && max >= 0.0) {
            return Err(HostError::InvalidInput(format!(
                "--max-cost {max}: give a budget in USD, 0 or more (such as 0.50)"
            )));
        }
        match &est {
            None => {
                return Err(HostError::InvalidInput(format!(
                    "--max-cost {max}: no cost estimate can be made for {} (no price for it in the model catalog; run `switchyard models refresh`), so nothing was sent",
                    plan.model
                )))
            }
            Some(e) if e.usd > max => {
                return Err(HostError::InvalidInput(format!(
                    "--max-cost {max}: the estimate for {} is {} ({}), over the budget; nothing was sent",
                    plan.model,
                    money(e.usd),
                    assumed(e)
                )))
            }
            Some(_) => {}
        }
    }
    if !args.dry_run {
        return Ok(Go::Send);
    }
    print_dry_run(ctx, plan, est.as_ref());
    Ok(Go::Stop)
}

fn assumed(e: &Estimate) -> String {
    if e.assumptions.is_empty() {
        "from the catalog's prices".to_string()
    } else {
        format!("assuming {}", e.assumptions.join(", "))
    }
}

/// A request document as a dry run shows it: `null`, empty and `false`
/// fields left out, `params` values shown as the JSON they are.
fn tidy(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter_map(|(k, v)| {
                    let v = if k == "params" {
                        match v {
                            Value::Object(p) => Value::Object(
                                p.into_iter()
                                    .map(|(pk, pv)| {
                                        let parsed = pv
                                            .as_str()
                                            .and_then(|t| serde_json::from_str(t).ok())
                                            .unwrap_or(pv);
                                        (pk, parsed)
                                    })
                                    .collect(),
                            ),
                            other => other,
                        }
                    } else {
                        tidy(v)
                    };
                    let empty = matches!(&v, Value::Null | Value::Bool(false))
                        || v.as_array().is_some_and(|a| a.is_empty())
                        || v.as_object().is_some_and(|o| o.is_empty());
                    (!empty).then_some((k, v))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(tidy).collect()),
        other => other,
    }
}

fn print_dry_run<R: Serialize>(ctx: &Ctx, plan: &Planned<'_, R>, est: Option<&Estimate>) {
    let request = tidy(serde_json::to_value(plan.request).unwrap_or(serde_json::Value::Null));
    let estimate = est.map(|e| json!({"usd": e.usd, "assumptions": e.assumptions}));
    if ctx.json {
        ctx.print_json(&json!({
            "dry_run": true,
            "command": plan.command,
            "model": plan.model,
            "operation": plan.operation,
            "request": request,
            "inputs": plan.blobs.iter().map(|n| json!({"bytes": n})).collect::<Vec<_>>(),
            "estimate": estimate,
        }));
        return;
    }
    ctx.term.out(&format!(
        "dry run: nothing was sent. {} would ask {} ({}):",
        plan.command, plan.model, plan.operation
    ));
    let pretty = serde_json::to_string_pretty(&request).unwrap_or_default();
    for line in pretty.lines() {
        ctx.term.out(line);
    }
    for (i, n) in plan.blobs.iter().enumerate() {
        ctx.term.out(&format!("input #{i}: {n} bytes (sent beside the request)"));
    }
    ctx.term.out(&match est {
        Some(e) => format!("estimate: {} ({})", money(e.usd), assumed(e)),
        None => "estimate: none (the model catalog states no price for this; run `switchyard models refresh`)".to_string(),
    });
}

/// Records a reported cost in the spend journal (a failure to write it is
/// a notice: the call was paid either way).
pub fn record(ctx: &Ctx, command: &str, model: &str, cost: Option<f64>, job_id: Option<&str>) {
    if let Some(warning) =
        switchyard_core::spend::note(ctx.session.dirs(), command, model, cost, job_id)
    {
        ctx.term.notice(&warning);
    }
}

/*!
`models list`, `models set`, `models refresh`: the models the manifests
declare and the cached live catalog adds, the config's default models, and
fetching the catalog (the only `models` command that reaches the network).
*/

use super::Ctx;
use crate::cli::ModelsCmd;
use serde_json::json;
use switchyard_core::call::HostCalls;
use switchyard_core::catalog::{self, State};
use switchyard_core::check;
use switchyard_core::config_edit;
use switchyard_core::error::{ConfigError, HostError};
use switchyard_core::manifest::ModelEntry;
use switchyard_plugin_api::ErrorKind;
use switchyard_plugin_api::{doc, ops};

/// Runs a `models` subcommand.
pub fn run(ctx: &Ctx, cmd: ModelsCmd) -> Result<(), HostError> {
    match cmd {
        ModelsCmd::List { capability } => list(ctx, capability.map(|c| c.name())),
        ModelsCmd::Set {
            image,
            video,
            tts,
            model,
        } => set(ctx, image, video, tts, &model),
        ModelsCmd::Refresh => refresh(ctx),
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
    put!(input_modalities);
    put!(qualities);
    put!(max_count);
    put!(supports_seed);
    serde_json::Value::Object(o)
}

/// Every known model with its source: (entry, plugin id, source text).
/// Limits are merged as the capability check merges them (a stale
/// catalog is shown too, and said to be stale).
fn known_models(ctx: &Ctx) -> Vec<(ModelEntry, String, String)> {
    let mut rows: Vec<(ModelEntry, String, String)> = Vec::new();
    for p in ctx.table.plugins() {
        let (cat, age) = match catalog::load(&ctx.session.dirs().cache, &p.id) {
            State::Fresh(c) => (c.models, format!("{} old", catalog::age(c.fetched_at))),
            State::Stale(c) => (
                c.models,
                format!("stale, {} old", catalog::age(c.fetched_at)),
            ),
            _ => (Vec::new(), String::new()),
        };
        for m in catalog::merge(&p.models, cat) {
            let source = match m.source {
                catalog::Source::Manifest => "manifest".to_string(),
                s => format!("{}, {age}", s.name()),
            };
            rows.push((m.entry, p.id.clone(), source));
        }
    }
    rows
}

fn list(ctx: &Ctx, cap: Option<&str>) -> Result<(), HostError> {
    let rows: Vec<_> = known_models(ctx)
        .into_iter()
        .filter(|(m, _, _)| cap.is_none_or(|c| m.has_capability(c)))
        .collect();
    if ctx.json {
        let v: Vec<_> = rows
            .iter()
            .map(|(m, p, s)| json!({"ref": m.model_ref, "plugin": p, "capabilities": m.capabilities, "limits": limits_json(m), "source": s}))
            .collect();
        ctx.print_json(&json!({"models": v}));
        return Ok(());
    }
    for (m, _, source) in &rows {
        let limits = limits_json(m)
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| {
                        let vals: Vec<String> = match v.as_array() {
                            Some(a) => a
                                .iter()
                                .map(|x| x.to_string().trim_matches('"').to_string())
                                .collect(),
                            None => vec![v.to_string()],
                        };
                        format!("{k}={}", vals.join("/"))
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        ctx.term.out(&format!(
            "{:<48} {:<18} [{source}] {limits}",
            m.model_ref,
            m.capabilities.join(",")
        ));
    }
    Ok(())
}

fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_ascii_lowercase().chars().collect();
    let b: Vec<char> = b.to_ascii_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest known model refs offering `cap`.
pub fn closest(ctx: &Ctx, wanted: &str, cap: &str) -> Vec<String> {
    let mut v: Vec<(usize, String)> = known_models(ctx)
        .into_iter()
        .filter(|(m, _, _)| m.has_capability(cap))
        .map(|(m, _, _)| (distance(wanted, &m.model_ref), m.model_ref))
        .collect();
    v.sort();
    v.dedup_by(|a, b| a.1 == b.1);
    v.into_iter().take(3).map(|(_, r)| r).collect()
}

fn set(ctx: &Ctx, image: bool, video: bool, tts: bool, model: &str) -> Result<(), HostError> {
    let (cap, key) = match (image, video, tts) {
        (true, _, _) => ("image", "agents.defaults.imageGenerationModel.primary"),
        (_, true, _) => ("video", "agents.defaults.videoGenerationModel.primary"),
        (_, _, true) => ("speech", ""),
        _ => ("chat", "agents.defaults.model.primary"),
    };
    let tts_provider = ctx
        .config
        .file
        .messages
        .tts
        .provider
        .clone()
        .unwrap_or_else(|| "openrouter".into());
    let full = if tts {
        let prefix = ctx
            .table
            .by_id(&tts_provider)
            .map(|m| m.model_prefix.clone())
            .unwrap_or_else(|| format!("{tts_provider}/"));
        if model.starts_with(&prefix) {
            model.to_string()
        } else {
            format!("{prefix}{model}")
        }
    } else {
        model.to_string()
    };
    let route = check::route(&ctx.session, &ctx.table, &full, cap).map_err(|e| {
        let near = closest(ctx, &full, cap);
        let hint = if near.is_empty() {
            String::new()
        } else {
            format!("; closest {cap} models: {}", near.join(", "))
        };
        HostError::InvalidInput(format!("{e}{hint}. Nothing was written"))
    })?;
    if route.limits.is_none() {
        // `--tts` takes the provider-local id: suggest it in that form.
        let local_prefix = tts.then_some(route.manifest.model_prefix.as_str());
        warn_unknown_model(ctx, &full, cap, &route.manifest.id, local_prefix);
    }
    let (key, value) = if tts {
        let prefix = ctx
            .table
            .by_id(&tts_provider)
            .map(|m| m.model_prefix.clone())
            .unwrap_or_default();
        let local = full.strip_prefix(&prefix).unwrap_or(&full).to_string();
        (
            format!("messages.tts.providers.{tts_provider}.model"),
            local,
        )
    } else {
        (key.to_string(), full.clone())
    };
    let Some(path) = ctx.config.path.clone() else {
        return Err(ConfigError::NoPath.into());
    };
    config_edit::set(
        &ctx.session,
        &path,
        &[(key.as_str(), value.as_str().into())],
    )?;
    if ctx.json {
        ctx.print_json(&json!({"key": key, "value": value, "config": path.display().to_string()}));
    } else {
        ctx.term
            .out(&format!("{key} = {value:?} written to {}", path.display()));
    }
    Ok(())
}

/// Warns that `model` is in neither the manifest nor the cached catalog
/// (likely a typo, or a model newer than both), with the closest known ref.
fn warn_unknown_model(ctx: &Ctx, model: &str, cap: &str, plugin: &str, local_prefix: Option<&str>) {
    let hint = match closest(ctx, model, cap).first() {
        Some(near) => {
            let near = local_prefix
                .and_then(|p| near.strip_prefix(p))
                .unwrap_or(near);
            format!("did you mean {near}? ")
        }
        None => String::new(),
    };
    ctx.term.notice(&format!(
        "warning: {model} is not in the {plugin} manifest or the cached model catalog; {hint}\
         Writing it anyway (run `switchyard models refresh` to update the catalog, \
         `switchyard models list --capability {cap}` to see the known models)"
    ));
}

fn refresh(ctx: &Ctx) -> Result<(), HostError> {
    let mut done = Vec::new();
    let mut failures: Vec<HostError> = Vec::new();
    for m in ctx.table.plugins() {
        match refresh_one(ctx, m) {
            Ok(Some(c)) => {
                if !ctx.json {
                    ctx.term.out(&format!(
                        "{}: {} models cached in {}",
                        m.id,
                        c.models.len(),
                        catalog::path(&ctx.session.dirs().cache, &m.id).display()
                    ));
                }
                done.push(json!({"plugin": m.id, "models": c.models.len(), "path": catalog::path(&ctx.session.dirs().cache, &m.id).display().to_string()}));
            }
            Ok(None) => {}
            Err(e) => failures.push(e),
        }
    }
    let errors: Vec<String> = failures.iter().map(ToString::to_string).collect();
    refresh_outcome(ctx, failures, !done.is_empty())?;
    if ctx.json {
        // On failure, `main` prints the one error object instead.
        ctx.print_json(&json!({"refreshed": done, "errors": errors}));
    }
    Ok(())
}

/// Refreshes one plugin's catalog: `None` when it has no live catalog.
/// A failure keeps its kind (a rejected key stays an auth error, exit 3).
fn refresh_one(
    ctx: &Ctx,
    m: &std::sync::Arc<switchyard_core::manifest::Manifest>,
) -> Result<Option<catalog::Cached>, HostError> {
    let plugin = ctx.load(m)?;
    let cc = ctx.call_context_with(m, false, 120_000, false)?;
    let calls = HostCalls::new(&ctx.session, &m.id);
    let answer = calls.call::<_, doc::Catalog>(&plugin, ops::CATALOG, &cc, &doc::Empty {}, &[]);
    match answer {
        Ok(cat) => catalog::save(&ctx.session.dirs().cache, &m.id, cat.models).map(Some),
        Err(e) if e.kind == ErrorKind::UNSUPPORTED => {
            ctx.term
                .notice(&format!("{}: no live catalog ({})", m.id, e.message));
            Ok(None)
        }
        Err(mut e) => {
            e.message = format!("catalog refresh failed: {}: {}", m.id, e.message).into();
            Err(HostError::Plugin { error: e })
        }
    }
}

/// The result of `models refresh` from its failures: a rejected key or a
/// configuration error (exit 3) fails the command even when another
/// plugin's catalog was refreshed, since it will not go away by itself;
/// other failures (a plugin that does not load, the network) only fail it
/// when nothing was refreshed. The rest are printed as warnings.
fn refresh_outcome(ctx: &Ctx, failures: Vec<HostError>, any_done: bool) -> Result<(), HostError> {
    let fatal = failures
        .iter()
        .position(|e| match e {
            HostError::Config(_) => true,
            HostError::Plugin { error } => error.kind == ErrorKind::AUTH,
            _ => false,
        })
        .or(if any_done { None } else { Some(0) });
    let mut first = None;
    for (i, f) in failures.into_iter().enumerate() {
        if Some(i) == fatal {
            first = Some(f);
        } else {
            ctx.term.notice(&format!("warning: {f}"));
        }
    }
    first.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    #[test]
    fn edit_distance() {
        assert_eq!(super::distance("kitten", "sitting"), 3);
        assert_eq!(super::distance("a", "a"), 0);
    }
}

/*!
`config path|show|check` and `completions`.
*/

use super::Ctx;
use crate::cli::{Cli, ConfigCmd, Shell};
use crate::error::HostError;
use crate::term;
use clap::CommandFactory;
use serde_json::json;

/// Runs a `config` subcommand.
pub fn run(ctx: &Ctx, cmd: ConfigCmd) -> Result<(), HostError> {
    match cmd {
        ConfigCmd::Path => {
            let p = ctx
                .config
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "(none: HOME is not set)".into());
            if ctx.json {
                ctx.print_json(&json!({"path": p, "exists": ctx.config.exists}));
            } else {
                term::out(&p);
            }
            Ok(())
        }
        ConfigCmd::Show => show(ctx),
        ConfigCmd::Check => {
            let mut found: Vec<(&str, String)> = ctx
                .config
                .unknown_keys
                .iter()
                .map(|k| (k.as_str(), format!("unknown key `{k}`")))
                .chain(
                    ctx.config
                        .problems
                        .iter()
                        .map(|p| (p.path.as_str(), p.to_string())),
                )
                .collect();
            found.sort();
            let problems: Vec<String> = found.into_iter().map(|(_, p)| p).collect();
            let path = ctx
                .config
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            if ctx.json {
                ctx.print_json(
                    &json!({"path": path, "ok": problems.is_empty(), "problems": problems}),
                );
            } else if problems.is_empty() {
                term::out(&format!("{path}: ok"));
            } else {
                for p in &problems {
                    term::out(&format!("{path}: {p}"));
                }
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(HostError::Config(format!(
                    "{path}: {} problem(s) found",
                    problems.len()
                )))
            }
        }
    }
}

fn show(ctx: &Ctx) -> Result<(), HostError> {
    let d = &ctx.config.file.agents.defaults;
    let src = |v: bool| if v { "file" } else { "default" };
    let mut rows: Vec<(String, String, String)> = vec![
        (
            "agents.defaults.model.primary".into(),
            d.model
                .primary
                .clone()
                .unwrap_or_else(|| super::chat::DEFAULT_CHAT_MODEL.into()),
            src(d.model.primary.is_some()).into(),
        ),
        (
            "agents.defaults.model.fallbacks".into(),
            d.model.fallbacks.join(", "),
            src(!d.model.fallbacks.is_empty()).into(),
        ),
        (
            "agents.defaults.imageGenerationModel.primary".into(),
            d.image_generation_model
                .primary
                .clone()
                .unwrap_or_else(|| super::image::DEFAULT_IMAGE_MODEL.into()),
            src(d.image_generation_model.primary.is_some()).into(),
        ),
        (
            "agents.defaults.videoGenerationModel.primary".into(),
            d.video_generation_model
                .primary
                .clone()
                .unwrap_or_else(|| super::video::DEFAULT_VIDEO_MODEL.into()),
            src(d.video_generation_model.primary.is_some()).into(),
        ),
    ];
    for m in ctx.table.plugins() {
        if let Some((_, from)) = ctx.config.api_key(m, false) {
            rows.push((format!("{} API key", m.id), "[redacted]".into(), from));
        }
        if let Some(b) = ctx.config.base_url(m) {
            let from = if ctx
                .config
                .file
                .models
                .providers
                .get(&m.id)
                .and_then(|p| p.base_url.as_ref())
                .is_some()
            {
                "file"
            } else {
                "manifest"
            };
            rows.push((format!("models.providers.{}.baseUrl", m.id), b, from.into()));
        }
    }
    if ctx.json {
        ctx.print_json(&json!({"path": ctx.config.path, "settings": rows.iter().map(|(k, v, s)| json!({"key": k, "value": v, "source": s})).collect::<Vec<_>>()}));
    } else {
        for (k, v, s) in rows {
            term::out(&format!("{k} = {v}    ({s})"));
        }
    }
    Ok(())
}

/// Prints completions for `shell`.
pub fn completions(shell: Shell) -> Result<(), HostError> {
    let mut cmd = Cli::command();
    // Into memory first: clap_complete panics on a write error, and stdout
    // errors are handled in one place (`term::write_stdout`).
    let mut out: Vec<u8> = Vec::new();
    let sh = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    clap_complete::generate(sh, &mut cmd, "switchyard", &mut out);
    term::write_stdout(&out);
    Ok(())
}

/*!
`config path|show|check` and `completions`.
*/

use super::Ctx;
use crate::cli::{Cli, ConfigCmd, Shell};
use crate::term::Term;
use clap::CommandFactory;
use serde_json::json;
use switchyard_core::error::{ConfigError, HostError};

/// Runs a `config` subcommand.
pub fn run(ctx: &Ctx, cmd: ConfigCmd) -> Result<(), HostError> {
    match cmd {
        ConfigCmd::Path => path(ctx),
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
                ctx.term.out(&format!("{path}: ok"));
            } else {
                for p in &problems {
                    ctx.term.out(&format!("{path}: {p}"));
                }
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(ConfigError::CheckFailed {
                    path,
                    count: problems.len(),
                }
                .into())
            }
        }
    }
}

/// `config path`: the config file, then the plugin directories in search
/// order with their source and whether each exists. The first line is the
/// config file alone.
fn path(ctx: &Ctx) -> Result<(), HostError> {
    let p = ctx
        .config
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(none: HOME is not set)".into());
    let dirs: Vec<_> = super::search_dirs(&ctx.cli_plugin_dirs, &ctx.config)
        .into_iter()
        .map(|d| {
            let exists = d.path.is_dir();
            (d, exists)
        })
        .collect();
    if ctx.json {
        let rows: Vec<_> = dirs
            .iter()
            .map(|(d, exists)| {
                json!({"path": d.path.display().to_string(), "source": d.source.label(),
                       "exists": exists, "per_plugin": d.per_plugin})
            })
            .collect();
        ctx.print_json(&json!({"path": p, "exists": ctx.config.exists, "plugin_dirs": rows}));
        return Ok(());
    }
    ctx.term.out(&p);
    ctx.term.out("plugin directories, in search order:");
    for (d, exists) in &dirs {
        let mut shown = d.path.display().to_string();
        if d.per_plugin {
            shown.push_str("/*/");
        }
        let state = if *exists { "" } else { "  (missing)" };
        ctx.term
            .out(&format!("  {:<24}{shown}{state}", d.source.label()));
    }
    Ok(())
}

/// The rows of `config show`: key, value, source.
struct Rows<'a> {
    ctx: &'a Ctx,
    rows: Vec<(String, String, String)>,
}

impl Rows<'_> {
    fn push(
        &mut self,
        key: impl Into<String>,
        value: impl Into<String>,
        source: impl Into<String>,
    ) {
        self.rows.push((key.into(), value.into(), source.into()));
    }

    /// A setting from the file, else its default; an invalid value says so.
    fn setting(&mut self, key: &str, from_file: Option<String>, default: impl Into<String>) {
        if self.ctx.config.problems.iter().any(|p| p.path == key) {
            self.push(key, "(invalid: see `switchyard config check`)", "file");
            return;
        }
        match from_file {
            Some(v) => self.push(key, v, "file"),
            None => self.push(key, default, "default"),
        }
    }
}

fn show(ctx: &Ctx) -> Result<(), HostError> {
    let mut rows = Rows {
        ctx,
        rows: Vec::new(),
    };
    agent_rows(&mut rows);
    tts_rows(&mut rows);
    provider_rows(&mut rows);
    for (dir, source) in super::plugin_dirs_with_sources(&ctx.cli_plugin_dirs, &ctx.config) {
        rows.push("plugin directory", dir.display().to_string(), source);
    }
    for name in ctx.config.file.env.keys() {
        rows.push(format!("env.{name}"), "[redacted]", "file");
    }
    if ctx.json {
        ctx.print_json(&json!({"path": ctx.config.path, "settings": rows.rows.iter().map(|(k, v, s)| json!({"key": k, "value": v, "source": s})).collect::<Vec<_>>()}));
    } else {
        for (k, v, s) in &rows.rows {
            ctx.term.out(&format!("{k} = {v}    ({s})"));
        }
    }
    for p in &ctx.config.problems {
        ctx.term.notice(&format!(
            "warning: {p}; other commands refuse this file until it is fixed"
        ));
    }
    Ok(())
}

fn agent_rows(rows: &mut Rows<'_>) {
    let d = &rows.ctx.config.file.agents.defaults;
    let ms = |v: Option<u64>| v.map(|n| n.to_string());
    let (chat, image, video) = (
        d.model.clone(),
        d.image_generation_model.clone(),
        d.video_generation_model.clone(),
    );
    rows.setting(
        "agents.defaults.model.primary",
        chat.primary,
        super::chat::DEFAULT_CHAT_MODEL,
    );
    let fallbacks = (!chat.fallbacks.is_empty()).then(|| chat.fallbacks.join(", "));
    rows.setting("agents.defaults.model.fallbacks", fallbacks, "(none)");
    rows.setting(
        "agents.defaults.imageGenerationModel.primary",
        image.primary,
        super::image::DEFAULT_IMAGE_MODEL,
    );
    rows.setting(
        "agents.defaults.imageGenerationModel.timeoutMs",
        ms(image.timeout_ms),
        super::image::DEFAULT_TIMEOUT_MS.to_string(),
    );
    rows.setting(
        "agents.defaults.videoGenerationModel.primary",
        video.primary,
        super::video::DEFAULT_VIDEO_MODEL,
    );
    rows.setting(
        "agents.defaults.videoGenerationModel.timeoutMs",
        ms(video.timeout_ms),
        super::video::DEFAULT_TIMEOUT_MS.to_string(),
    );
    rows.setting(
        "agents.defaults.videoGenerationModel.pollIntervalMs",
        ms(video.poll_interval_ms),
        switchyard_core::config::DEFAULT_POLL_INTERVAL_MS.to_string(),
    );
    rows.setting(
        "agents.defaults.mediaMaxMb",
        ms(d.media_max_mb),
        switchyard_core::config::DEFAULT_MEDIA_MAX_MB.to_string(),
    );
}

fn tts_rows(rows: &mut Rows<'_>) {
    let tts = rows.ctx.config.file.messages.tts.clone();
    rows.setting("messages.tts.auto", tts.auto, "off");
    let provider = tts.provider.clone().unwrap_or_else(|| "openrouter".into());
    rows.setting("messages.tts.provider", tts.provider, "openrouter");
    let p = tts.providers.get(&provider).cloned().unwrap_or_default();
    let key = |k: &str| format!("messages.tts.providers.{provider}.{k}");
    rows.setting(&key("model"), p.model, super::speak::DEFAULT_TTS_MODEL);
    rows.setting(&key("voice"), p.voice, "(the model's default)");
    rows.setting(
        &key("responseFormat"),
        p.response_format,
        "(from --out's extension, else mp3)",
    );
    rows.setting(
        &key("speed"),
        p.speed.map(|s| s.to_string()),
        "(the model's default)",
    );
    if let Some(m) = rows.ctx.table.by_id(&provider).cloned() {
        if let Some((_, from)) = rows.ctx.config.api_key(&m, true) {
            rows.push(
                format!("{provider} speech API key"),
                "[redacted]",
                key_source(from),
            );
        }
    }
}

/// A key's source from [`switchyard_core::config::Config::api_key`] in the words
/// `config show` uses: `file <path>`, `env <VAR>`.
fn key_source(from: String) -> String {
    if let Some(path) = from.strip_prefix("config ") {
        format!("file {path}")
    } else if let Some(var) = from.strip_prefix("environment ") {
        format!("env {var}")
    } else {
        from
    }
}

fn provider_rows(rows: &mut Rows<'_>) {
    let ctx = rows.ctx;
    for m in ctx.table.plugins() {
        let file = ctx
            .config
            .file
            .models
            .providers
            .get(&m.id)
            .cloned()
            .unwrap_or_default();
        match ctx.config.api_key(m, false) {
            Some((_, from)) => {
                rows.push(format!("{} API key", m.id), "[redacted]", key_source(from))
            }
            None if m.auth.optional => {
                rows.push(format!("{} API key", m.id), "(none; optional)", "default")
            }
            None => rows.push(
                format!("{} API key", m.id),
                format!("(not set: run `switchyard onboard --provider {}`)", m.id),
                "default",
            ),
        }
        let base = format!("models.providers.{}.baseUrl", m.id);
        match (&file.base_url, &m.base_url) {
            (None, Some(b)) if !ctx.config.problems.iter().any(|p| p.path == base) => {
                rows.push(base, b.clone(), "manifest")
            }
            _ => rows.setting(&base, file.base_url.clone(), "(none)"),
        }
        let read = format!("models.providers.{}.readTimeoutMs", m.id);
        let value = file.read_timeout_ms.map(|n| n.to_string());
        let invalid = ctx.config.problems.iter().any(|p| p.path == read);
        match (value, m.read_timeout_ms) {
            (None, Some(ms)) if !invalid => rows.push(read, ms.to_string(), "manifest"),
            (value, _) => rows.setting(&read, value, "(the plugin's own)"),
        }
        if let Some(routing) = routing_table(ctx, &m.id) {
            rows.setting(
                &format!("models.providers.{}.provider", m.id),
                Some(routing),
                "",
            );
        }
    }
}

/// The provider routing table of a plugin's config (`models.providers.<id>.provider`), as JSON.
fn routing_table(ctx: &Ctx, id: &str) -> Option<String> {
    let settings: serde_json::Value =
        serde_json::from_str(&ctx.config.provider_settings_json(id)).ok()?;
    settings
        .get("provider")
        .filter(|p| p.is_object())
        .map(serde_json::Value::to_string)
}

/// Prints completions for `shell`.
pub fn completions(term: &Term, shell: Shell) -> Result<(), HostError> {
    let mut cmd = Cli::command();
    // Into memory first: clap_complete panics on a write error, and stdout
    // errors are handled in one place (`Term::write_stdout`).
    let mut out: Vec<u8> = Vec::new();
    let sh = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    clap_complete::generate(sh, &mut cmd, "switchyard", &mut out);
    term.write_stdout(&out);
    Ok(())
}

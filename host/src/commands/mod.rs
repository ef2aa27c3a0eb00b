/*!
The commands. [`Ctx`] holds what every command needs (config, lookup table,
output mode) and the shared steps: resolving plugin directories, building a
[`CallContext`] with the right key, loading a plugin, printing results.
*/

pub mod attach;
pub mod batch;
pub mod chat;
pub mod config_cmd;
pub mod embed;
pub mod image;
pub mod models;
pub mod onboard;
pub mod once;
pub mod paid;
pub mod plugins;
pub mod plugins_install;
pub mod plugins_new;
pub mod routing;
pub mod speak;
pub mod spend;
pub mod structured;
pub mod transcribe;
pub mod video;

use crate::cli::{Cli, Command};
use crate::term::Term;
use std::path::PathBuf;
use std::sync::Arc;
use switchyard_core::config::Config;
use switchyard_core::error::{ConfigError, HostError};
use switchyard_core::loader::Plugin;
use switchyard_core::manifest::Manifest;
use switchyard_core::registry::LookupTable;
use switchyard_core::session::Session;
use switchyard_plugin_api::doc::Context as CallContext;

/// Shared state of one command run.
pub struct Ctx {
    /// The session: plugins loaded, cancellation, deadline, secrets.
    pub session: Arc<Session>,
    /// Where output is printed.
    pub term: Arc<Term>,
    /// The loaded config.
    pub config: Config,
    /// The manifests found.
    pub table: LookupTable,
    /// `--json` output.
    pub json: bool,
    /// The `--plugin-dir` directories given (for `config show`).
    pub cli_plugin_dirs: Vec<PathBuf>,
}

/// The plugin directories the user named, in search order, each with
/// where it was named (`--plugin-dir`, `SWITCHYARD_PLUGIN_PATH`, `plugins.dirs`).
pub fn user_plugin_dirs(cli_dirs: &[PathBuf], config: &Config) -> Vec<(PathBuf, &'static str)> {
    let mut dirs: Vec<(PathBuf, &'static str)> = cli_dirs
        .iter()
        .map(|d| (d.clone(), "--plugin-dir"))
        .collect();
    if let Some(p) = std::env::var_os("SWITCHYARD_PLUGIN_PATH") {
        dirs.extend(
            std::env::split_paths(&p)
                .filter(|p| !p.as_os_str().is_empty())
                .map(|d| (d, "SWITCHYARD_PLUGIN_PATH")),
        );
    }
    let configured = config.file.plugins.dirs.iter();
    dirs.extend(configured.map(|d| (d.clone(), "plugins.dirs in the config")));
    dirs
}

/// Warnings for plugin directories the user named that cannot be scanned
/// (missing, or not a directory): they are skipped, never silently.
pub fn missing_dir_warnings(dirs: &[(PathBuf, &'static str)]) -> Vec<String> {
    dirs.iter()
        .filter_map(|(d, from)| {
            let why = match std::fs::metadata(d) {
                Ok(m) if m.is_dir() => return None,
                Ok(_) => "is not a directory",
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => "does not exist",
                // Other errors are reported by the scan itself.
                Err(_) => return None,
            };
            Some(format!(
                "warning: plugin directory {} (from {from}) {why}; it is ignored",
                d.display()
            ))
        })
        .collect()
}

/// The plugin directories, in search order (see DESIGN §3), each with its
/// source; the user's and the bundled ones hold a plugin per subdirectory.
pub fn search_dirs(
    cli_dirs: &[PathBuf],
    config: &Config,
) -> Vec<switchyard_core::layout::SearchDir> {
    use switchyard_core::layout::Source;
    let all = switchyard_core::layout::search_dirs(user_plugin_dirs(cli_dirs, config));
    if !no_plugins() {
        return all;
    }
    // SWITCHYARD_NO_PLUGINS: the bundled plugins only.
    all.into_iter()
        .filter(|d| matches!(d.source, Source::Bundled | Source::Workspace))
        .collect()
}

/// The directories to scan for manifests, in search order.
pub fn plugin_dirs(cli_dirs: &[PathBuf], config: &Config) -> Vec<PathBuf> {
    switchyard_core::layout::scan_list(&search_dirs(cli_dirs, config))
}

/// The plugin directories, in search order, each with where it came from
/// in `config show`'s words (`--plugin-dir`, `env SWITCHYARD_PLUGIN_PATH`,
/// `file`, `default`).
pub fn plugin_dirs_with_sources(
    cli_dirs: &[PathBuf],
    config: &Config,
) -> Vec<(PathBuf, &'static str)> {
    use switchyard_core::layout::Source;
    search_dirs(cli_dirs, config)
        .into_iter()
        .map(|d| {
            let from = match d.source {
                Source::PluginDir => "--plugin-dir",
                Source::EnvPath => "env SWITCHYARD_PLUGIN_PATH",
                Source::Config => "file",
                Source::User | Source::Bundled | Source::Workspace => "default",
            };
            (d.path, from)
        })
        .collect()
}

/// Whether `SWITCHYARD_NO_PLUGINS` asks for the bundled plugins only.
pub fn no_plugins() -> bool {
    std::env::var_os("SWITCHYARD_NO_PLUGINS").is_some_and(|v| !v.is_empty() && v != "0")
}

impl Ctx {
    /// Builds the context: config, lookup table, secret registry.
    pub fn new(cli: &Cli, session: &Arc<Session>, term: &Arc<Term>) -> Result<Ctx, HostError> {
        let creates = matches!(
            cli.command,
            Command::Onboard(_) | Command::Models(crate::cli::ModelsCmd::Set { .. })
        );
        let config = Config::load(session.dirs(), cli.config.as_deref(), creates)?;
        // `config check` and `config show` report a bad file; the rest refuse it.
        if !matches!(cli.command, Command::Config(_)) {
            config.ensure_valid()?;
        }
        let disabled = &config.file.plugins.disabled;
        let table = LookupTable::scan(&plugin_dirs(&cli.plugin_dirs, &config))
            .without(|m| disabled.iter().any(|d| d == &m.id));
        for w in missing_dir_warnings(&user_plugin_dirs(&cli.plugin_dirs, &config)) {
            term.notice(&w);
        }
        session.secrets().register_all(&config, table.plugins());
        Ok(Ctx {
            session: session.clone(),
            term: term.clone(),
            config,
            table,
            json: cli.json,
            cli_plugin_dirs: cli.plugin_dirs.clone(),
        })
    }

    /// Prints scan problems and unknown config keys as notices.
    pub fn report_diagnostics(&self) {
        for d in &self.table.diagnostics {
            self.term.notice(&format!(
                "{}: {}",
                if d.is_error {
                    "warning: skipped plugin manifest"
                } else {
                    "warning"
                },
                d.message
            ));
        }
        if let Some(p) = &self.config.path {
            for k in &self.config.unknown_keys {
                self.term.notice(&format!(
                    "warning: {}: unknown config key `{k}` (ignored)",
                    p.display()
                ));
            }
        }
    }

    /// Loads a plugin, turning a load failure into a config error (exit 3).
    pub fn load(&self, m: &Arc<Manifest>) -> Result<Arc<Plugin>, HostError> {
        self.session.load(m).map_err(HostError::Load)
    }

    /// The call context for `m`: base URL, key (required unless optional).
    pub fn call_context(
        &self,
        m: &Manifest,
        speech: bool,
        timeout_ms: u64,
    ) -> Result<CallContext, HostError> {
        self.call_context_with(m, speech, timeout_ms, true)
    }

    /// The call context for `m`; with `require_key` false a missing key is
    /// allowed (public endpoints such as model catalogs). The plugin is
    /// loaded first, so a library that is missing or refused is reported
    /// with its reason, never as a missing key.
    pub fn call_context_with(
        &self,
        m: &Manifest,
        speech: bool,
        timeout_ms: u64,
        require_key: bool,
    ) -> Result<CallContext, HostError> {
        let arc = match self.table.by_id(&m.id) {
            Some(a) => Arc::clone(a),
            None => Arc::new(m.clone()),
        };
        self.load(&arc)?;
        let key = self.config.api_key(m, speech);
        if key.is_none() && !m.auth.optional && require_key {
            let mut places: Vec<String> = Vec::new();
            if speech {
                places.extend(m.auth.speech_config_keys.iter().map(|k| format!("`{k}`")));
            }
            places.extend(m.auth.config_keys.iter().map(|k| format!("`{k}`")));
            places.extend(
                m.auth
                    .env
                    .iter()
                    .map(|v| format!("`[env] {v}` in the config or the {v} environment variable")),
            );
            return Err(ConfigError::NoKey {
                plugin: m.id.clone(),
                places: places.join(", or "),
            }
            .into());
        }
        let base_url = self
            .config
            .base_url(m)
            .ok_or_else(|| ConfigError::NoBaseUrl {
                plugin: m.id.clone(),
            })?;
        let vm = &self.config.file.agents.defaults.video_generation_model;
        let max_mb = self
            .config
            .file
            .agents
            .defaults
            .media_max_mb
            .unwrap_or(switchyard_core::config::DEFAULT_MEDIA_MAX_MB);
        Ok(CallContext {
            api_key: key.map(|(k, _)| k),
            base_url,
            timeout_ms,
            poll_interval_ms: vm
                .poll_interval_ms
                .unwrap_or(switchyard_core::config::DEFAULT_POLL_INTERVAL_MS),
            max_output_bytes: max_mb.saturating_mul(1024 * 1024),
            settings_json: self.config.provider_settings(m),
        })
    }

    /// Prints a JSON value on stdout (redacted).
    pub fn print_json(&self, v: &serde_json::Value) {
        self.term.out(&v.to_string());
    }
}

/// Reads a prompt: `-` or absent means stdin. An empty or blank prompt is
/// refused (exit 2) before anything is sent.
pub fn read_text_arg(arg: Option<&str>, what: &str) -> Result<String, HostError> {
    use std::io::{IsTerminal, Read};
    match arg {
        Some(t) if t.trim().is_empty() => Err(HostError::InvalidInput(format!(
            "the {what} is empty{}: give some text as the argument, or - to read it from stdin",
            if t.is_empty() {
                ""
            } else {
                " (only whitespace)"
            }
        ))),
        Some(t) if t != "-" => Ok(t.to_string()),
        _ => {
            if arg.is_none() && std::io::stdin().is_terminal() {
                return Err(HostError::InvalidInput(format!("no {what} given: pass it as an argument or pipe it on stdin (use - to read stdin)")));
            }
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).map_err(|e| {
                HostError::InvalidInput(format!("cannot read the {what} from stdin: {e}"))
            })?;
            let s = s.trim_end_matches(['\n', '\r']).to_string();
            if s.trim().is_empty() {
                return Err(HostError::InvalidInput(format!(
                    "the {what} read from stdin is empty"
                )));
            }
            Ok(s)
        }
    }
}

/// A timeout: the flag, else the configured milliseconds, else the default.
/// The flag also becomes the whole command's deadline, retries and
/// fallbacks included ([`Session::set_deadline`]).
pub fn timeout_ms(
    ctx: &Ctx,
    flag: Option<&str>,
    configured_ms: Option<u64>,
    default_ms: u64,
) -> Result<u64, HostError> {
    match flag {
        Some(t) => {
            let d = switchyard_core::duration::parse(t)
                .map_err(|e| HostError::InvalidInput(format!("--timeout: {e}")))?;
            ctx.session.set_deadline(d);
            Ok(d.as_millis() as u64)
        }
        None => Ok(configured_ms.unwrap_or(default_ms)),
    }
}

/// The model a command uses: `--model`, else the default for
/// `capability` ([`check::default_model`]): the first model offering it of
/// the first plugin the user set up (a key is found for it, or the config
/// has its `models.providers.<id>` table), in scan order; else of the first
/// plugin offering it.
///
/// [`check::default_model`]: switchyard_core::check::default_model
pub fn model_or_default(
    ctx: &Ctx,
    flag: Option<&str>,
    capability: &str,
) -> Result<String, HostError> {
    if let Some(m) = flag {
        return Ok(m.to_string());
    }
    let configured = |m: &Manifest| {
        ctx.config.api_key(m, false).is_some()
            || ctx.config.file.models.providers.contains_key(&m.id)
    };
    switchyard_core::check::default_model(&ctx.session, &ctx.table, capability, configured)
        .ok_or_else(|| {
            HostError::InvalidInput(format!(
                "no {capability} model is known: no plugin found lists one (`switchyard models list --capability {capability}`); give one with --model"
            ))
        })
}

/// A local timestamp-ish suffix for default output names.
pub fn stamp() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!("{t}")
}

/// Runs the parsed command line.
pub fn run(cli: Cli, session: &Arc<Session>, term: &Arc<Term>) -> Result<(), HostError> {
    if let Command::Completions { shell } = &cli.command {
        return config_cmd::completions(term, *shell);
    }
    let ctx = Ctx::new(&cli, session, term)?;
    match cli.command {
        Command::Plugins(c) => plugins::run(&ctx, c),
        Command::Models(c) => models::run(&ctx, c),
        Command::Chat(a) => {
            ctx.report_diagnostics();
            chat::run(&ctx, a)
        }
        Command::Image(a) => {
            ctx.report_diagnostics();
            image::run(&ctx, a)
        }
        Command::Video(a) => {
            ctx.report_diagnostics();
            video::run(&ctx, *a)
        }
        Command::Speak(a) => {
            ctx.report_diagnostics();
            speak::run(&ctx, a)
        }
        Command::Batch(a) => {
            ctx.report_diagnostics();
            batch::run(&ctx, a)
        }
        Command::Spend { since, by } => spend::run(&ctx, since.as_deref(), by),
        Command::Transcribe(a) => {
            ctx.report_diagnostics();
            transcribe::run(&ctx, a)
        }
        Command::Embed(a) => {
            ctx.report_diagnostics();
            embed::run(&ctx, a)
        }
        Command::Onboard(a) => onboard::run(&ctx, a),
        Command::Config(c) => config_cmd::run(&ctx, c),
        Command::Completions { .. } => Ok(()),
    }
}

/*!
The config file (TOML, the provider page's key names) and what is resolved
from it: API keys, default models, timeouts, plugin directories.

Malformed TOML is reported with file, line and column. Then every key is
checked against [`crate::config_schema`]: unknown keys (a typo must not
pass silently), wrong types and invalid values are all collected with
their full key paths, so `config check` lists every problem in one run and
other commands refuse the file naming each. A missing default file means
defaults; a missing file named with `--config` or `SWITCHYARD_CONFIG` is an
error.
*/

use crate::error::{ConfigError, HostError};
use crate::manifest::{one_line, Manifest};
use crate::paths::Dirs;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `agents.defaults.videoGenerationModel.pollIntervalMs` when not set.
pub const DEFAULT_POLL_INTERVAL_MS: u64 = 2000;
/// `agents.defaults.mediaMaxMb` when not set.
pub const DEFAULT_MEDIA_MAX_MB: u64 = 4096;

/// Typed view of the config file. Field names follow the provider page.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct ConfigFile {
    /// `[env]`: environment values (e.g. `OPENROUTER_API_KEY`).
    pub env: BTreeMap<String, String>,
    /// `[agents]`.
    pub agents: Agents,
    /// `[messages]`.
    pub messages: Messages,
    /// `[models]`.
    pub models: Models,
    /// `[plugins]`.
    pub plugins: Plugins,
}

/// `[agents]`.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct Agents {
    /// `[agents.defaults]`.
    pub defaults: AgentDefaults,
}

/// `[agents.defaults]`.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default, rename_all = "camelCase")]
pub struct AgentDefaults {
    /// Chat model and fallbacks.
    pub model: ChatModel,
    /// Image model.
    pub image_generation_model: MediaModel,
    /// Video model.
    pub video_generation_model: VideoModel,
    /// Download cap in MiB.
    pub media_max_mb: Option<u64>,
}

/// `[agents.defaults.model]`.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct ChatModel {
    /// Primary chat model ref.
    pub primary: Option<String>,
    /// Fallback model refs, in order.
    pub fallbacks: Vec<String>,
}

/// `[agents.defaults.imageGenerationModel]`.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default, rename_all = "camelCase")]
pub struct MediaModel {
    /// Model ref.
    pub primary: Option<String>,
    /// Timeout in milliseconds.
    pub timeout_ms: Option<u64>,
}

/// `[agents.defaults.videoGenerationModel]`.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default, rename_all = "camelCase")]
pub struct VideoModel {
    /// Model ref.
    pub primary: Option<String>,
    /// Overall job timeout in milliseconds.
    pub timeout_ms: Option<u64>,
    /// First poll interval in milliseconds.
    pub poll_interval_ms: Option<u64>,
}

/// `[messages]`.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct Messages {
    /// `[messages.tts]`.
    pub tts: Tts,
}

/// `[messages.tts]`.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct Tts {
    /// `always` or `off`.
    pub auto: Option<String>,
    /// The provider id used for speech.
    pub provider: Option<String>,
    /// Per-provider speech settings.
    pub providers: BTreeMap<String, TtsProvider>,
}

/// `[messages.tts.providers.<id>]`.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default, rename_all = "camelCase")]
pub struct TtsProvider {
    /// Speech model (provider-local id, e.g. `hexgrad/kokoro-82m`).
    pub model: Option<String>,
    /// Voice.
    pub voice: Option<String>,
    /// `mp3` or `pcm`.
    pub response_format: Option<String>,
    /// Speaking speed.
    pub speed: Option<f64>,
    /// Speech-specific API key.
    pub api_key: Option<String>,
}

/// `[models]`.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct Models {
    /// `[models.providers.<id>]`.
    pub providers: BTreeMap<String, ProviderSettings>,
}

/// `[models.providers.<id>]`.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default, rename_all = "camelCase")]
pub struct ProviderSettings {
    /// API key; wins over `[env]` and the environment.
    pub api_key: Option<String>,
    /// Base URL override.
    pub base_url: Option<String>,
    /// How long a read may stall before it counts as a network failure
    /// (milliseconds; read by the plugin from its settings, default 60000).
    pub read_timeout_ms: Option<u64>,
}

/// `[plugins]`.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct Plugins {
    /// Extra plugin directories.
    pub dirs: Vec<PathBuf>,
    /// Plugin ids not to use (`plugins disable`).
    pub disabled: Vec<String>,
}

/// A loaded config: the typed view, the raw table, and what was wrong with it.
#[derive(Debug, Default, Clone)]
pub struct Config {
    /// The file read, if any.
    pub path: Option<PathBuf>,
    /// Whether that file existed.
    pub exists: bool,
    /// Typed settings.
    pub file: ConfigFile,
    /// The raw TOML, for path lookups.
    pub raw: toml::Table,
    /// Unknown keys, as full dotted paths.
    pub unknown_keys: Vec<String>,
    /// Wrongly typed or invalid values, each with its key path.
    pub problems: Vec<crate::config_schema::Problem>,
}

/// Where the config file is: `--config`, `$SWITCHYARD_CONFIG`,
/// `$XDG_CONFIG_HOME/switchyard/config.toml`, `~/.config/switchyard/config.toml`.
/// The flag says whether the user named it explicitly.
pub fn default_path(dirs: &Dirs, flag: Option<&Path>) -> Option<(PathBuf, bool)> {
    if let Some(p) = flag {
        return Some((p.to_path_buf(), true));
    }
    if let Some(p) = std::env::var_os("SWITCHYARD_CONFIG").filter(|p| !p.is_empty()) {
        return Some((PathBuf::from(p), true));
    }
    dirs.config_file().map(|p| (p, false))
}

impl Config {
    /// Loads the config file chosen by [`default_path`].
    /// With `may_create`, a missing file is fine even when named explicitly
    /// (commands that create it: `onboard`, `models set`).
    pub fn load(dirs: &Dirs, flag: Option<&Path>, may_create: bool) -> Result<Config, HostError> {
        let Some((path, explicit)) = default_path(dirs, flag) else {
            return Ok(Config::default());
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && (!explicit || may_create) => {
                Ok(Config {
                    path: Some(path),
                    ..Config::default()
                })
            }
            Err(source) => Err(ConfigError::Read { path, source }.into()),
        }
    }

    /// Parses config text; `path` is used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Config, HostError> {
        let bad = |e: toml::de::Error| ConfigError::Syntax {
            path: path.to_path_buf(),
            detail: describe_toml_error(text, &e),
        };
        let raw: toml::Table = toml::from_str(text).map_err(bad)?;
        let (clean, found) = crate::config_schema::check(&raw);
        let (unknown, problems): (Vec<_>, Vec<_>) =
            found.into_iter().partition(|p| p.is_unknown_key());
        // Only checked values are left, so this cannot fail unless the
        // schema and the typed view disagree (a unit test keeps them equal).
        let file: ConfigFile =
            toml::Value::Table(clean)
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Syntax {
                    path: path.to_path_buf(),
                    detail: hide_quoted_strings(&one_line(&e.to_string())),
                })?;
        Ok(Config {
            path: Some(path.to_path_buf()),
            exists: true,
            file,
            raw,
            unknown_keys: unknown.into_iter().map(|p| p.path).collect(),
            problems,
        })
    }

    /// Refuses a config with wrongly typed or invalid values, naming every
    /// one with its key path (exit 3).
    pub fn ensure_valid(&self) -> Result<(), HostError> {
        if self.problems.is_empty() {
            return Ok(());
        }
        Err(ConfigError::Invalid {
            path: self.path.clone().unwrap_or_default(),
            problems: self.problems.clone(),
        }
        .into())
    }

    /// The string at a dotted path such as `models.providers.openrouter.apiKey`.
    pub fn get_str(&self, dotted: &str) -> Option<&str> {
        let mut cur: &toml::Value = self.raw.get(dotted.split('.').next()?)?;
        for seg in dotted.split('.').skip(1) {
            cur = cur.as_table()?.get(seg)?;
        }
        cur.as_str()
    }

    /// The provider's settings table as JSON (for `CallContext::settings_json`).
    pub fn provider_settings_json(&self, id: &str) -> String {
        self.raw
            .get("models")
            .and_then(|m| m.get("providers"))
            .and_then(|p| p.get(id))
            .and_then(|t| serde_json::to_string(t).ok())
            .unwrap_or_else(|| "{}".to_string())
    }

    /// The settings a plugin's calls get: `models.providers.<id>` as JSON,
    /// with the manifest's `read_timeout_ms` as `readTimeoutMs` when the
    /// config sets none.
    pub fn provider_settings(&self, m: &Manifest) -> String {
        let text = self.provider_settings_json(&m.id);
        let Some(ms) = m.read_timeout_ms else {
            return text;
        };
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(mut o)) => {
                o.entry("readTimeoutMs").or_insert(ms.into());
                serde_json::Value::Object(o).to_string()
            }
            _ => text,
        }
    }

    /// The base URL for a plugin: `models.providers.<id>.baseUrl`, else the manifest's.
    pub fn base_url(&self, m: &Manifest) -> Option<String> {
        self.file
            .models
            .providers
            .get(&m.id)
            .and_then(|p| p.base_url.clone())
            .or_else(|| m.base_url.clone())
    }

    /// Resolves the API key for a plugin. Order: the manifest's speech keys
    /// (speech only), its config keys, then each env var in `[env]`, then in
    /// the process environment. Returns the key and where it came from.
    pub fn api_key(&self, m: &Manifest, speech: bool) -> Option<(String, String)> {
        let mut paths: Vec<&String> = Vec::new();
        if speech {
            paths.extend(m.auth.speech_config_keys.iter());
        }
        paths.extend(m.auth.config_keys.iter());
        for p in paths {
            if let Some(v) = self.get_str(p).filter(|v| !v.trim().is_empty()) {
                return Some((v.trim().to_string(), format!("config {p}")));
            }
        }
        for var in &m.auth.env {
            if let Some(v) = self.file.env.get(var).filter(|v| !v.trim().is_empty()) {
                return Some((v.trim().to_string(), format!("config env.{var}")));
            }
        }
        for var in &m.auth.env {
            if let Ok(v) = std::env::var(var) {
                if !v.trim().is_empty() {
                    return Some((v.trim().to_string(), format!("environment {var}")));
                }
            }
        }
        None
    }
}

/// A TOML error as `line L, column C: message`. The error's own display
/// quotes the offending source line, which may hold a secret (the key on the
/// same line, or inside one inline table), so only the position is kept; a
/// string value quoted by the message (`invalid type: string "..."`) may be
/// a key put at the wrong path, so it is left out too.
fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = hide_quoted_strings(&one_line(e.message()));
    match e.span().and_then(|s| text.get(..s.start)) {
        Some(before) => {
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {msg}")
        }
        None => msg,
    }
}

/// `string "value"` in a serde message becomes `string`.
fn hide_quoted_strings(msg: &str) -> String {
    const MARK: &str = "string \"";
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find(MARK) {
        out.push_str(&rest[..i + "string".len()]);
        let mut chars = rest[i + MARK.len()..].char_indices();
        let mut end = None;
        while let Some((j, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    end = Some(j + 1);
                    break;
                }
                _ => {}
            }
        }
        rest = end.map_or("", |j| &rest[i + MARK.len() + j..]);
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_reported_with_their_path() {
        let c = Config::parse(
            Path::new("c.toml"),
            "[agents.defaults.model]\nprimary = \"openrouter/auto\"\nfalbacks = []\n[models.providers.openrouter]\napikey = \"x\"\n",
        )
        .unwrap();
        assert_eq!(
            c.file.agents.defaults.model.primary.as_deref(),
            Some("openrouter/auto")
        );
        assert!(
            c.unknown_keys
                .contains(&"agents.defaults.model.falbacks".to_string()),
            "{:?}",
            c.unknown_keys
        );
        assert!(
            c.unknown_keys
                .contains(&"models.providers.openrouter.apikey".to_string()),
            "{:?}",
            c.unknown_keys
        );
    }

    #[test]
    fn malformed_toml_names_file_and_line() {
        let e = Config::parse(Path::new("/x/c.toml"), "[env]\nA = \"ok\"\nB = \n").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("/x/c.toml") && msg.contains("line 3"), "{msg}");
        assert_eq!(e.exit_code(), 3);
    }

    #[test]
    fn errors_do_not_quote_the_source_line_or_string_values() {
        let secret = "sk-or-v1-never-printed-123456";
        let msg = Config::parse(
            Path::new("c.toml"),
            &format!("[models.providers.openrouter]\napiKey = \"{secret}\" junk\n"),
        )
        .unwrap_err()
        .to_string();
        assert!(!msg.contains(secret), "{msg}");
        assert!(msg.contains("c.toml: line "), "{msg}");
        for text in [
            format!("models = {{ providers = {{ openrouter = {{ apiKey = \"{secret}\", baseUrl = 5 }} }} }}\n"),
            format!("[models.providers]\nopenrouter = \"{secret}\"\n"),
        ] {
            let c = Config::parse(Path::new("c.toml"), &text).unwrap();
            let msg = c.ensure_valid().unwrap_err().to_string();
            assert!(!msg.contains(secret), "{msg}");
            assert!(msg.contains("c.toml") && msg.contains("models.providers.openrouter"), "{msg}");
        }
    }

    #[test]
    fn wrong_types_and_bad_values_are_all_named_by_path() {
        let c = Config::parse(
            Path::new("c.toml"),
            "[agents.defaults]\nmodel = 5\n[agents.defaults.imageGenerationModel]\ntimeoutMs = \"soon\"\n[messages.tts]\nauto = \"sometimes\"\n",
        )
        .unwrap();
        let e = c.ensure_valid().unwrap_err();
        let msg = e.to_string();
        assert_eq!(e.exit_code(), 3);
        for path in [
            "agents.defaults.model",
            "agents.defaults.imageGenerationModel.timeoutMs",
            "messages.tts.auto",
        ] {
            assert!(msg.contains(&format!("`{path}`")), "{msg}");
        }
        assert!(!msg.contains("struct") && !msg.contains("u64"), "{msg}");
    }

    #[test]
    fn the_schema_and_the_typed_view_agree() {
        let full = "[env]\nOPENROUTER_API_KEY = \"k\"\n\
            [agents.defaults]\nmediaMaxMb = 1\n\
            [agents.defaults.model]\nprimary = \"a\"\nfallbacks = [\"b\"]\n\
            [agents.defaults.imageGenerationModel]\nprimary = \"i\"\ntimeoutMs = 2\n\
            [agents.defaults.videoGenerationModel]\nprimary = \"v\"\ntimeoutMs = 3\npollIntervalMs = 4\n\
            [messages.tts]\nauto = \"off\"\nprovider = \"openrouter\"\n\
            [messages.tts.providers.openrouter]\nmodel = \"m\"\nvoice = \"v\"\nresponseFormat = \"pcm\"\nspeed = 1.5\napiKey = \"s\"\n\
            [models.providers.openrouter]\napiKey = \"k\"\nbaseUrl = \"https://h/v1\"\nreadTimeoutMs = 5\n\
            [plugins]\ndirs = [\"/p\"]\n";
        let c = Config::parse(Path::new("c.toml"), full).unwrap();
        assert!(c.unknown_keys.is_empty() && c.problems.is_empty());
        let mut ignored = Vec::new();
        let de = toml::Deserializer::parse(full).unwrap();
        let typed: ConfigFile =
            serde_ignored::deserialize(de, |p| ignored.push(p.to_string())).unwrap();
        assert!(ignored.is_empty(), "{ignored:?}");
        assert_eq!(format!("{typed:?}"), format!("{:?}", c.file));
        assert_eq!(
            c.file
                .agents
                .defaults
                .video_generation_model
                .poll_interval_ms,
            Some(4)
        );
        assert_eq!(c.file.messages.tts.providers["openrouter"].speed, Some(1.5));
    }

    #[test]
    fn read_timeout_is_a_known_provider_setting() {
        let c = Config::parse(
            Path::new("c.toml"),
            "[models.providers.openrouter]\nreadTimeoutMs = 2000\n",
        )
        .unwrap();
        assert!(c.unknown_keys.is_empty(), "{:?}", c.unknown_keys);
        assert_eq!(
            c.file.models.providers["openrouter"].read_timeout_ms,
            Some(2000)
        );
        assert!(c
            .provider_settings_json("openrouter")
            .contains("\"readTimeoutMs\":2000"));
    }

    #[test]
    fn a_plugins_settings_take_the_manifests_read_timeout_unless_the_file_sets_one() {
        let manifest = |extra: &str| {
            let text = format!(
                "id = \"p\"\nversion = \"0.1.0\"\nplugin_api = \"^2.0\"\nlibrary = \"p\"\n\
                 model_prefix = \"p/\"\ncapabilities = [\"chat\"]\n{extra}"
            );
            Manifest::parse(Path::new("p.toml"), &text).unwrap()
        };
        let settings = |config: &str, m: &Manifest| -> serde_json::Value {
            let c = Config::parse(Path::new("c.toml"), config).unwrap();
            serde_json::from_str(&c.provider_settings(m)).unwrap()
        };
        let with = manifest("read_timeout_ms = 9000\n");
        assert_eq!(settings("", &with)["readTimeoutMs"], 9000);
        let file = "[models.providers.p]\nreadTimeoutMs = 2000\nbaseUrl = \"http://h\"\n";
        let v = settings(file, &with);
        assert_eq!(v["readTimeoutMs"], 2000);
        assert_eq!(v["baseUrl"], "http://h");
        assert!(settings("", &manifest("")).get("readTimeoutMs").is_none());
    }

    #[test]
    fn dotted_path_lookup() {
        let c = Config::parse(
            Path::new("c.toml"),
            "[models.providers.openrouter]\napiKey = \"k\"\n",
        )
        .unwrap();
        assert_eq!(c.get_str("models.providers.openrouter.apiKey"), Some("k"));
        assert_eq!(c.get_str("models.providers.nope.apiKey"), None);
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        const SECRET: &str = "sk-or-v1-proptest-secret-9f8e7d6c";

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(32))]

            /// Any text: a config, or a config error (exit 3) naming the file.
            #[test]
            fn any_text_is_a_config_or_an_error_naming_the_file(text in "\\PC{0,64}") {
                match Config::parse(Path::new("fz.toml"), &text) {
                    Ok(c) => {
                        let _ = c.provider_settings_json("openrouter");
                        let _ = c.get_str("models.providers.openrouter.apiKey");
                    }
                    Err(e) => {
                        prop_assert_eq!(e.exit_code(), 3);
                        prop_assert!(e.to_string().starts_with("config file fz.toml: "), "{e}");
                    }
                }
            }

            /// A key beside any breakage, anywhere in the file, is never
            /// quoted by the error.
            #[test]
            fn errors_never_quote_the_key(
                before in prop::sample::select(vec!["", "[env]\n", "x = [\n", "models = 5\n"]),
                junk in prop::sample::select(vec![" junk", ", baseUrl = 5", "\"", " }", "\nbaseUrl = 5", "\napiKey = 1", "\n[models.providers.openrouter]"]),
                inline in any::<bool>(),
            ) {
                let text = if inline {
                    format!("{before}models = {{ providers = {{ openrouter = {{ apiKey = \"{SECRET}\"{junk} }} }} }}\n")
                } else {
                    format!("{before}[models.providers.openrouter]\napiKey = \"{SECRET}\"{junk}\n")
                };
                match Config::parse(Path::new("fz.toml"), &text) {
                    Err(e) => prop_assert!(!e.to_string().contains(SECRET), "{e}"),
                    Ok(c) => {
                        if let Err(e) = c.ensure_valid() {
                            prop_assert!(!e.to_string().contains(SECRET), "{e}");
                        }
                    }
                }
            }
        }
    }
}

/*!
Plugin manifests: the TOML file that describes a plugin without loading it.

A manifest names the plugin (`id`, `name`, `version`), the plugin API range it
needs (`plugin_api`), its library's base name, the model-ref prefix it
serves, its capabilities, where its key comes from (`[auth]`), which config
paths and environment variables hold secrets, and per-model limits. Parsing
checks everything that can be checked without the library.
*/

use serde::Deserialize;
use std::path::{Path, PathBuf};
use switchyard_plugin_api::caps;

/// A parsed, validated manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The file it was read from.
    pub path: PathBuf,
    /// Unique plugin id, e.g. `openrouter`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The plugin's version; must equal the library's self-description.
    pub version: semver::Version,
    /// The plugin API versions the plugin works with.
    pub plugin_api: semver::VersionReq,
    /// The library base name (the platform prefix/suffix are added).
    pub library: String,
    /// The model-ref prefix this plugin serves, e.g. `openrouter/`.
    pub model_prefix: String,
    /// Capability names.
    pub capabilities: Vec<String>,
    /// Default base URL of the provider's API.
    pub base_url: Option<String>,
    /// Where the API key comes from and which values are secrets.
    pub auth: Auth,
    /// Models with their limits.
    pub models: Vec<ModelEntry>,
    /// How long the provider may take to accept an asynchronous job
    /// (`submit_timeout_ms`, default 2 minutes), whatever the job's timeout.
    pub submit_timeout_ms: u64,
    /// How long a read from the provider may stall before it counts as a
    /// network failure (`read_timeout_ms`), when the config's
    /// `models.providers.<id>.readTimeoutMs` says nothing. The host passes
    /// it to the plugin as that setting and `config show` shows it.
    pub read_timeout_ms: Option<u64>,
    /// What this host ignored: fields and capabilities it does not know
    /// (written for a newer switchyard, or a typo), each naming the field.
    pub warnings: Vec<String>,
}

/// The `[auth]` table.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Auth {
    /// Config paths holding the key, in resolution order.
    #[serde(default)]
    pub config_keys: Vec<String>,
    /// Environment variables holding the key, in order (looked up in the
    /// config's `[env]` table first, then the process environment).
    #[serde(default)]
    pub env: Vec<String>,
    /// Config paths tried before `config_keys` for speech calls.
    #[serde(default)]
    pub speech_config_keys: Vec<String>,
    /// Further config paths whose values are secrets (`*` matches one segment).
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Whether calls work without a key (local servers).
    #[serde(default)]
    pub optional: bool,
}

/// One model and its limits: the API's [`ModelInfo`](switchyard_plugin_api::doc::ModelInfo),
/// the same type the live catalog uses. Absent lists mean "not stated".
pub type ModelEntry = switchyard_plugin_api::doc::ModelInfo;

#[derive(Deserialize)]
struct RawManifest {
    id: String,
    name: Option<String>,
    version: String,
    plugin_api: String,
    library: String,
    model_prefix: String,
    capabilities: Vec<String>,
    base_url: Option<String>,
    submit_timeout_ms: Option<u64>,
    read_timeout_ms: Option<u64>,
    #[serde(default)]
    auth: Auth,
    #[serde(default)]
    models: Vec<ModelEntry>,
}

/// Why a manifest was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("{path}: cannot read: {reason}")]
    Read {
        /// The manifest file.
        path: PathBuf,
        /// The OS error.
        reason: String,
    },
    /// The TOML is malformed or a field has the wrong type or name.
    #[error("{path}: {reason}")]
    Parse {
        /// The manifest file.
        path: PathBuf,
        /// The parser's message (with line and column).
        reason: String,
    },
    /// A field has a value that is not allowed.
    #[error("{path}: field `{field}`: {reason}")]
    Invalid {
        /// The manifest file.
        path: PathBuf,
        /// The offending field.
        field: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
}

impl Manifest {
    /// Reads and validates a manifest file.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|e| ManifestError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::parse(path, &text)
    }

    /// Parses and validates manifest text; `path` is used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ManifestError> {
        let mut warnings = Vec::new();
        let de = toml::Deserializer::parse(text).map_err(|e| ManifestError::Parse {
            path: path.to_path_buf(),
            reason: one_line(&e.to_string()),
        })?;
        let raw: RawManifest = serde_ignored::deserialize(de, |field| {
            warnings.push(format!(
                "field `{field}` is not one this switchyard knows (ignored; a typo, or written for a newer switchyard)"
            ))
        })
        .map_err(|e| ManifestError::Parse {
            path: path.to_path_buf(),
            reason: one_line(&e.to_string()),
        })?;
        let invalid = |field: &str, reason: String| ManifestError::Invalid {
            path: path.to_path_buf(),
            field: field.to_string(),
            reason,
        };
        check_names(&raw, &invalid)?;
        let version = semver::Version::parse(&raw.version).map_err(|e| {
            invalid(
                "version",
                format!("{:?} is not a semver version ({e})", raw.version),
            )
        })?;
        let plugin_api = semver::VersionReq::parse(&raw.plugin_api).map_err(|e| {
            invalid(
                "plugin_api",
                format!(
                    "{:?} is not a semver requirement such as \"^1.0\" ({e})",
                    raw.plugin_api
                ),
            )
        })?;
        check_capabilities(&raw.capabilities).map_err(|r| invalid("capabilities", r))?;
        warnings.extend(unknown_capabilities("capabilities", &raw.capabilities));
        check_models(&raw, &invalid, &mut warnings)?;
        for (field, v) in [
            ("submit_timeout_ms", raw.submit_timeout_ms),
            ("read_timeout_ms", raw.read_timeout_ms),
        ] {
            if v == Some(0) {
                return Err(invalid(
                    field,
                    "must be a whole number of milliseconds of at least 1".into(),
                ));
            }
        }
        Ok(Manifest {
            path: path.to_path_buf(),
            name: raw.name.unwrap_or_else(|| raw.id.clone()),
            id: raw.id,
            version,
            plugin_api,
            library: raw.library,
            model_prefix: raw.model_prefix,
            capabilities: raw.capabilities,
            base_url: raw.base_url,
            auth: raw.auth,
            models: raw.models,
            submit_timeout_ms: raw.submit_timeout_ms.unwrap_or(120_000),
            read_timeout_ms: raw.read_timeout_ms,
            warnings,
        })
    }

    /// Whether the plugin offers `capability`.
    pub fn has_capability(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c == capability)
    }

    /// The model entry for `model_ref` (case-insensitive), if listed.
    pub fn model(&self, model_ref: &str) -> Option<&ModelEntry> {
        self.models
            .iter()
            .find(|m| m.model_ref.eq_ignore_ascii_case(model_ref))
    }

    /// The library file name on this platform (`lib<name>.so` on Linux).
    pub fn library_file_name(&self) -> String {
        format!(
            "{}{}{}",
            std::env::consts::DLL_PREFIX,
            self.library,
            std::env::consts::DLL_SUFFIX
        )
    }
}

/// Checks the plugin's id, library base name, model prefix and base URL.
fn check_names(
    raw: &RawManifest,
    invalid: &dyn Fn(&str, String) -> ManifestError,
) -> Result<(), ManifestError> {
    let id_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    };
    if !id_ok(&raw.id) {
        return Err(invalid(
            "id",
            format!(
                "{:?} is not allowed: use lowercase letters, digits, '-' and '_'",
                raw.id
            ),
        ));
    }
    if raw.library.is_empty() || raw.library.contains(['/', '\\']) {
        return Err(invalid(
            "library",
            format!("{:?} must be a base name such as \"switchyard_openrouter\" (no path, no prefix/suffix)", raw.library),
        ));
    }
    if raw.model_prefix.len() < 2 || !raw.model_prefix.ends_with('/') {
        return Err(invalid(
            "model_prefix",
            format!(
                "{:?} must be a name followed by '/', e.g. \"openrouter/\"",
                raw.model_prefix
            ),
        ));
    }
    if let Some(url) = &raw.base_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(invalid(
                "base_url",
                format!("{url:?} must be an http(s) URL"),
            ));
        }
    }
    Ok(())
}

/// Checks every model entry of `raw`: its ref starts with the prefix and is
/// listed once, its capabilities are the plugin's; unknown capabilities
/// become warnings.
fn check_models(
    raw: &RawManifest,
    invalid: &dyn Fn(&str, String) -> ManifestError,
    warnings: &mut Vec<String>,
) -> Result<(), ManifestError> {
    let mut seen = std::collections::HashSet::new();
    for (i, m) in raw.models.iter().enumerate() {
        let field = format!("models[{i}]");
        if !m.model_ref.starts_with(&raw.model_prefix)
            || m.model_ref.len() <= raw.model_prefix.len()
        {
            return Err(invalid(
                &format!("{field}.ref"),
                format!(
                    "{:?} must start with the model_prefix {:?}",
                    m.model_ref, raw.model_prefix
                ),
            ));
        }
        if !seen.insert(m.model_ref.to_ascii_lowercase()) {
            return Err(invalid(
                &format!("{field}.ref"),
                format!("{:?} is listed twice", m.model_ref),
            ));
        }
        check_capabilities(&m.capabilities)
            .map_err(|r| invalid(&format!("{field}.capabilities"), r))?;
        warnings.extend(unknown_capabilities(
            &format!("{field}.capabilities"),
            &m.capabilities,
        ));
        for c in &m.capabilities {
            if !raw.capabilities.contains(c) {
                return Err(invalid(
                    &format!("{field}.capabilities"),
                    format!(
                        "{c:?} is not among the plugin's capabilities {:?}",
                        raw.capabilities
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn check_capabilities(list: &[String]) -> Result<(), String> {
    if list.is_empty() {
        return Err(format!("must list at least one of {:?}", caps::ALL));
    }
    Ok(())
}

/// A warning for each capability this host does not know: it is ignored
/// (never asked for), the plugin's other capabilities still work.
fn unknown_capabilities(field: &str, list: &[String]) -> Vec<String> {
    list.iter()
        .filter(|c| !caps::ALL.contains(&c.as_str()))
        .map(|c| {
            format!(
                "field `{field}`: {c:?} is not a capability this switchyard knows (ignored); known: {}",
                caps::ALL.join(", ")
            )
        })
        .collect()
}

/// Folds a multi-line parser message into one line.
pub(crate) fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "|")
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "demo"
version = "1.2.3"
plugin_api = "^2.0"
library = "demo_plugin"
model_prefix = "demo/"
capabilities = ["chat", "video"]
[[models]]
ref = "demo/v"
capabilities = ["video"]
durations = [4, 8]
"#;

    #[test]
    fn good_manifest_parses() {
        let m = Manifest::parse(Path::new("demo.toml"), GOOD).unwrap();
        assert_eq!(m.id, "demo");
        assert_eq!(m.model("DEMO/V").unwrap().durations, Some(vec![4, 8]));
        assert!(m.library_file_name().contains("demo_plugin"));
    }

    #[test]
    fn unknown_capability_is_ignored_with_a_warning_naming_field_and_known_values() {
        let newer = GOOD.replace(
            "[\"chat\", \"video\"]",
            "[\"chat\", \"video\", \"telepathy\"]",
        );
        let m = Manifest::parse(Path::new("x.toml"), &newer).unwrap();
        assert!(m.has_capability("chat"));
        let w = m.warnings.join("\n");
        assert!(
            w.contains("`capabilities`") && w.contains("telepathy") && w.contains("speech"),
            "{w}"
        );
    }

    #[test]
    fn model_outside_prefix_is_rejected() {
        let bad = GOOD.replace("ref = \"demo/v\"", "ref = \"other/v\"");
        let e = Manifest::parse(Path::new("x.toml"), &bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("models[0].ref"), "{e}");
    }

    #[test]
    fn malformed_toml_reports_line() {
        let e = Manifest::parse(Path::new("x.toml"), "id = \"a\"\nversion = \n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.toml") && e.contains("line 2"), "{e}");
    }

    #[test]
    fn unknown_field_is_a_warning_naming_it() {
        let text = GOOD.replace("library =", "libary = \"x\"\nlibrary =");
        let m = Manifest::parse(Path::new("x.toml"), &text).unwrap();
        assert!(
            m.warnings.iter().any(|w| w.contains("libary")),
            "{:?}",
            m.warnings
        );
    }

    #[test]
    fn timeouts_are_optional_and_zero_is_refused_naming_the_field() {
        let m = Manifest::parse(Path::new("x.toml"), GOOD).unwrap();
        assert_eq!(m.read_timeout_ms, None);
        assert_eq!(m.submit_timeout_ms, 120_000);
        let with = GOOD.replace("library =", "read_timeout_ms = 5000\nlibrary =");
        let m = Manifest::parse(Path::new("x.toml"), &with).unwrap();
        assert_eq!(m.read_timeout_ms, Some(5000));
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);
        for field in ["read_timeout_ms", "submit_timeout_ms"] {
            let zero = GOOD.replace("library =", &format!("{field} = 0\nlibrary ="));
            let e = Manifest::parse(Path::new("x.toml"), &zero)
                .unwrap_err()
                .to_string();
            assert!(e.contains(field) && e.contains("at least 1"), "{e}");
        }
    }

    #[test]
    fn bad_plugin_api_requirement_is_explained() {
        let bad = GOOD.replace("^2.0", "one");
        let e = Manifest::parse(Path::new("x.toml"), &bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("plugin_api") && e.contains("\"one\""), "{e}");
    }

    mod props {
        use super::super::*;
        use super::GOOD;
        use proptest::prelude::*;

        /// What every accepted manifest guarantees.
        fn check_valid(m: &Manifest) -> Result<(), TestCaseError> {
            prop_assert!(!m.id.is_empty());
            prop_assert!(m.model_prefix.len() >= 2 && m.model_prefix.ends_with('/'));
            prop_assert!(!m.library.is_empty() && !m.library.contains(['/', '\\']));
            for c in &m.capabilities {
                prop_assert!(caps::ALL.contains(&c.as_str()));
            }
            for e in &m.models {
                prop_assert!(e.model_ref.starts_with(&m.model_prefix));
                prop_assert!(e.model_ref.len() > m.model_prefix.len());
                prop_assert!(e.capabilities.iter().all(|c| m.capabilities.contains(c)));
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(32))]

            /// Any text: a valid manifest, or an error naming the file.
            #[test]
            fn any_text_is_a_valid_manifest_or_an_error_naming_the_file(text in "\\PC{0,64}") {
                match Manifest::parse(Path::new("fz.toml"), &text) {
                    Ok(m) => check_valid(&m)?,
                    Err(e) => prop_assert!(e.to_string().starts_with("fz.toml"), "{e}"),
                }
            }

            /// The good manifest with one value replaced by an arbitrary
            /// string: valid, or an error naming the file and the field.
            #[test]
            fn one_bad_value_is_blamed_on_its_field(
                field in prop::sample::select(vec!["id", "version", "plugin_api", "library", "model_prefix", "ref"]),
                value in "\\PC{0,12}",
            ) {
                let line = GOOD.lines().find(|l| l.starts_with(&format!("{field} = "))).unwrap_or("");
                let text = GOOD.replace(line, &format!("{field} = {}", toml::Value::from(value.as_str())));
                match Manifest::parse(Path::new("fz.toml"), &text) {
                    Ok(m) => check_valid(&m)?,
                    Err(ManifestError::Invalid { field: f, .. }) => {
                        let want = if field == "ref" { "models[0].ref" } else { field };
                        prop_assert!(f == want || f.starts_with("models[0]"), "{field} -> {f}");
                    }
                    Err(e) => prop_assert!(false, "{field}={value:?}: not an Invalid error: {e}"),
                }
            }
        }
    }
}

/*!
What each config key may hold, and the check that finds every problem of a
file in one pass: unknown keys, wrongly typed values and invalid values
(an enum value, a URL, a number), each named by its full key path.

Messages say what was found by its TOML type only ("found a string"): a
string value is never quoted (it may be a key put at the wrong path), and
no Rust type name ever reaches the user. The check also returns a copy of
the table without the bad entries, which the typed view is read from.
*/

use std::fmt;

/// What a config value must be.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A string.
    Text,
    /// `true` or `false`.
    Bool,
    /// A list of strings.
    TextList,
    /// A whole number of milliseconds, at least 1.
    Millis,
    /// A whole number of MiB, at least 1.
    Mebibytes,
    /// A speaking speed: a number from 0.25 to 4.
    Speed,
    /// An `http://` or `https://` URL.
    Url,
    /// One of these strings (matched case-insensitively).
    OneOf(&'static [&'static str]),
    /// A table with these keys.
    Table(&'static [(&'static str, Kind)]),
    /// A table with any keys, each value of this kind.
    Map(&'static Kind),
}

const CHAT_MODEL: &[(&str, Kind)] = &[("primary", Kind::Text), ("fallbacks", Kind::TextList)];
const IMAGE_MODEL: &[(&str, Kind)] = &[("primary", Kind::Text), ("timeoutMs", Kind::Millis)];
const VIDEO_MODEL: &[(&str, Kind)] = &[
    ("primary", Kind::Text),
    ("timeoutMs", Kind::Millis),
    ("pollIntervalMs", Kind::Millis),
];
const AGENT_DEFAULTS: &[(&str, Kind)] = &[
    ("model", Kind::Table(CHAT_MODEL)),
    ("imageGenerationModel", Kind::Table(IMAGE_MODEL)),
    ("videoGenerationModel", Kind::Table(VIDEO_MODEL)),
    ("mediaMaxMb", Kind::Mebibytes),
];
const TTS_PROVIDER: &[(&str, Kind)] = &[
    ("model", Kind::Text),
    ("voice", Kind::Text),
    ("responseFormat", Kind::OneOf(&["mp3", "pcm"])),
    ("speed", Kind::Speed),
    ("apiKey", Kind::Text),
];
const TTS: &[(&str, Kind)] = &[
    ("auto", Kind::OneOf(&["always", "off"])),
    ("provider", Kind::Text),
    ("providers", Kind::Map(&Kind::Table(TTS_PROVIDER))),
];
/// Provider routing preferences (`models.providers.<id>.provider`), for
/// providers that route a request among upstream providers (OpenRouter's
/// `provider` object); passed to the plugin with the rest of its table.
const ROUTING: &[(&str, Kind)] = &[
    ("order", Kind::TextList),
    ("only", Kind::TextList),
    ("ignore", Kind::TextList),
    ("sort", Kind::OneOf(&["price", "throughput", "latency"])),
    ("allow_fallbacks", Kind::Bool),
    ("data_collection", Kind::OneOf(&["allow", "deny"])),
];
const PROVIDER: &[(&str, Kind)] = &[
    ("apiKey", Kind::Text),
    ("baseUrl", Kind::Url),
    ("readTimeoutMs", Kind::Millis),
    ("provider", Kind::Table(ROUTING)),
];

/// The whole config file.
pub const CONFIG: Kind = Kind::Table(&[
    ("env", Kind::Map(&Kind::Text)),
    (
        "agents",
        Kind::Table(&[("defaults", Kind::Table(AGENT_DEFAULTS))]),
    ),
    ("messages", Kind::Table(&[("tts", Kind::Table(TTS))])),
    (
        "models",
        Kind::Table(&[("providers", Kind::Map(&Kind::Table(PROVIDER)))]),
    ),
    (
        "plugins",
        Kind::Table(&[("dirs", Kind::TextList), ("disabled", Kind::TextList)]),
    ),
]);

/// One problem of a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The full dotted key path (`agents.defaults.mediaMaxMb`).
    pub path: String,
    /// What is wrong and what is allowed; empty for an unknown key.
    pub message: String,
}

impl Problem {
    /// Whether this is an unknown key (reported, then ignored).
    pub fn is_unknown_key(&self) -> bool {
        self.message.is_empty()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_unknown_key() {
            write!(f, "unknown key `{}`", self.path)
        } else {
            write!(f, "`{}` {}", self.path, self.message)
        }
    }
}

/// Checks `table` against [`CONFIG`]: every problem (sorted by key path), and
/// the table without the entries that have one.
pub fn check(table: &toml::Table) -> (toml::Table, Vec<Problem>) {
    let mut problems = Vec::new();
    let clean = match &CONFIG {
        Kind::Table(fields) => check_table(table, fields, "", &mut problems),
        _ => toml::Table::new(),
    };
    (clean, problems)
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn check_table(
    table: &toml::Table,
    fields: &[(&str, Kind)],
    prefix: &str,
    problems: &mut Vec<Problem>,
) -> toml::Table {
    let mut clean = toml::Table::new();
    for (key, value) in table {
        let path = join(prefix, key);
        match fields.iter().find(|(k, _)| k == key) {
            Some((_, kind)) => {
                if let Some(v) = check_value(value, kind, &path, problems) {
                    clean.insert(key.clone(), v);
                }
            }
            None => problems.push(Problem {
                path,
                message: String::new(),
            }),
        }
    }
    clean
}

/// The value if it is valid (tables: their valid part), else `None` with
/// the problem recorded.
fn check_value(
    value: &toml::Value,
    kind: &Kind,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Option<toml::Value> {
    let verdict = match (kind, value) {
        (Kind::Table(fields), toml::Value::Table(t)) => {
            return Some(toml::Value::Table(check_table(t, fields, path, problems)))
        }
        (Kind::Map(inner), toml::Value::Table(t)) => {
            let mut clean = toml::Table::new();
            for (k, v) in t {
                if let Some(v) = check_value(v, inner, &join(path, k), problems) {
                    clean.insert(k.clone(), v);
                }
            }
            return Some(toml::Value::Table(clean));
        }
        (Kind::TextList, toml::Value::Array(items)) => {
            return check_list(items, path, problems).map(toml::Value::Array)
        }
        _ => scalar_verdict(kind, value),
    };
    match verdict {
        Ok(()) => Some(value.clone()),
        Err(message) => {
            problems.push(Problem {
                path: path.to_string(),
                message,
            });
            None
        }
    }
}

fn check_list(
    items: &[toml::Value],
    path: &str,
    problems: &mut Vec<Problem>,
) -> Option<Vec<toml::Value>> {
    let before = problems.len();
    for (i, item) in items.iter().enumerate() {
        if !item.is_str() {
            problems.push(Problem {
                path: format!("{path}[{i}]"),
                message: format!("must be a string (in quotes), found {}", found(item)),
            });
        }
    }
    (problems.len() == before).then(|| items.to_vec())
}

/// Whether a non-table value fits `kind`; `Err` says what is allowed.
fn scalar_verdict(kind: &Kind, value: &toml::Value) -> Result<(), String> {
    use toml::Value as V;
    let want = |what: &str| Err(format!("must be {what}, found {}", found(value)));
    match (kind, value) {
        (Kind::Text, V::String(_)) => Ok(()),
        (Kind::Text, _) => want("a string (in quotes)"),
        (Kind::Bool, V::Boolean(_)) => Ok(()),
        (Kind::Bool, _) => want("true or false"),
        (Kind::TextList, _) => want("a list of strings, such as [\"a\", \"b\"]"),
        (Kind::Millis, V::Integer(n)) if *n >= 1 => Ok(()),
        (Kind::Millis, _) => {
            want("a whole number of milliseconds, at least 1 (180000 is 3 minutes)")
        }
        (Kind::Mebibytes, V::Integer(n)) if *n >= 1 => Ok(()),
        (Kind::Mebibytes, _) => want("a whole number of MiB, at least 1 (such as 4096)"),
        (Kind::Speed, V::Integer(n)) if (1..=4).contains(n) => Ok(()),
        (Kind::Speed, V::Float(x)) if (0.25..=4.0).contains(x) => Ok(()),
        (Kind::Speed, _) => want("a number from 0.25 to 4 (such as 1.0)"),
        (Kind::Url, V::String(s)) if is_http_url(s) => Ok(()),
        (Kind::Url, V::String(_)) => Err(
            "must be an http:// or https:// URL with a host, such as https://openrouter.ai/api/v1"
                .to_string(),
        ),
        (Kind::Url, _) => want("an http:// or https:// URL in quotes"),
        (Kind::OneOf(allowed), V::String(s))
            if allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) =>
        {
            Ok(())
        }
        (Kind::OneOf(allowed), V::String(_)) => Err(format!("must be one of: {}", quoted(allowed))),
        (Kind::OneOf(allowed), _) => want(&format!("one of: {}", quoted(allowed))),
        (Kind::Table(_) | Kind::Map(_), _) => want("a table (a [section] or { ... })"),
    }
}

fn quoted(allowed: &[&str]) -> String {
    allowed
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value's TOML type, for messages (never the value itself when it is a
/// string; numbers and booleans are shown).
fn found(value: &toml::Value) -> String {
    use toml::Value as V;
    match value {
        V::String(_) => "a string".into(),
        V::Integer(n) => format!("the whole number {n}"),
        V::Float(x) => format!("the number {x}"),
        V::Boolean(b) => format!("{b}"),
        V::Datetime(_) => "a date".into(),
        V::Array(_) => "a list".into(),
        V::Table(_) => "a table".into(),
    }
}

/// `http://` or `https://`, then a host, no spaces.
pub fn is_http_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    let Some(rest) = rest else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    !host.is_empty()
        && !host.starts_with(':')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        let t: toml::Table = toml::from_str(text).unwrap();
        check(&t).1.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn every_problem_of_a_file_is_listed_with_its_path() {
        let p = problems(
            "[agents.defaults]\nmediaMaxMb = 0\n[agents.defaults.model]\nfallbacks = \"x\"\nprimery = \"y\"\n\
             [messages.tts]\nauto = \"sometimes\"\n[messages.tts.providers.openrouter]\nspeed = -1\nresponseFormat = \"ogg\"\n\
             [models.providers.openrouter]\nbaseUrl = \"x\"\nreadTimeoutMs = \"soon\"\n",
        );
        let want = [
            "`agents.defaults.mediaMaxMb` must be a whole number of MiB",
            "`agents.defaults.model.fallbacks` must be a list of strings",
            "unknown key `agents.defaults.model.primery`",
            "`messages.tts.auto` must be one of: \"always\", \"off\"",
            "`messages.tts.providers.openrouter.speed` must be a number from 0.25 to 4",
            "`messages.tts.providers.openrouter.responseFormat` must be one of: \"mp3\", \"pcm\"",
            "`models.providers.openrouter.baseUrl` must be an http:// or https:// URL",
            "`models.providers.openrouter.readTimeoutMs` must be a whole number of milliseconds",
        ];
        assert_eq!(p.len(), want.len(), "{p:#?}");
        for w in want {
            assert!(p.iter().any(|x| x.starts_with(w)), "{w} in {p:#?}");
        }
    }

    #[test]
    fn wrong_tables_and_list_items_are_named() {
        let p = problems(
            "agents = { defaults = 5 }\nplugins = { dirs = [\"a\", 3] }\nenv = { A = 1 }\n",
        );
        assert!(p.contains(&"`agents.defaults` must be a table (a [section] or { ... }), found the whole number 5".to_string()), "{p:#?}");
        assert!(
            p.iter()
                .any(|x| x.starts_with("`plugins.dirs[1]` must be a string")),
            "{p:#?}"
        );
        assert!(
            p.iter().any(|x| x.starts_with("`env.A` must be a string")),
            "{p:#?}"
        );
    }

    #[test]
    fn string_values_are_never_quoted() {
        let p = problems("[models.providers.openrouter]\nbaseUrl = \"sk-or-secret-1\"\nreadTimeoutMs = \"sk-or-secret-2\"\n[messages.tts]\nauto = \"sk-or-secret-3\"\n");
        assert_eq!(p.len(), 3, "{p:#?}");
        assert!(p.iter().all(|x| !x.contains("sk-or-secret")), "{p:#?}");
    }

    #[test]
    fn valid_values_pass_and_stay_in_the_clean_table() {
        let t: toml::Table = toml::from_str(
            "[messages.tts]\nauto = \"Always\"\n[messages.tts.providers.openrouter]\nspeed = 1\n\
             [models.providers.local]\nbaseUrl = \"http://127.0.0.1:11434/v1\"\n",
        )
        .unwrap();
        let (clean, problems) = check(&t);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(clean, t);
    }

    #[test]
    fn provider_routing_preferences_are_checked() {
        let t: toml::Table = toml::from_str(
            "[models.providers.openrouter.provider]\norder = [\"openai\", \"together\"]\nsort = \"Price\"\nallow_fallbacks = false\ndata_collection = \"deny\"\n",
        )
        .unwrap();
        let (clean, found) = check(&t);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(clean, t);
        let p = problems(
            "[models.providers.openrouter.provider]\nsort = \"fastest\"\nallow_fallbacks = \"no\"\norder = \"openai\"\ndata_collection = 1\nzdr = true\n",
        );
        let want = [
            "`models.providers.openrouter.provider.allow_fallbacks` must be true or false, found a string",
            "`models.providers.openrouter.provider.data_collection` must be one of: \"allow\", \"deny\"",
            "`models.providers.openrouter.provider.order` must be a list of strings",
            "`models.providers.openrouter.provider.sort` must be one of: \"price\", \"throughput\", \"latency\"",
            "unknown key `models.providers.openrouter.provider.zdr`",
        ];
        assert_eq!(p.len(), want.len(), "{p:#?}");
        for w in want {
            assert!(p.iter().any(|x| x.starts_with(w)), "{w} in {p:#?}");
        }
    }

    #[test]
    fn urls() {
        for ok in [
            "https://openrouter.ai/api/v1",
            "http://127.0.0.1:9/v1",
            "http://h",
        ] {
            assert!(is_http_url(ok), "{ok}");
        }
        for bad in [
            "x",
            "openrouter.ai",
            "https://",
            "http:///v1",
            "ftp://h",
            "https://h /v1",
            "http://:80/",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }
}

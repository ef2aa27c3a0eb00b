/*!
The secret registry and the redactor that keeps secrets out of every output.

The host declares the config paths that always hold secrets
(`models.providers.*.apiKey`, `messages.tts.providers.*.apiKey`, every value in
`[env]`); each manifest adds its own config paths and environment variables.
Their values are collected once at start-up into a [`Secrets`] registry
(one per [`crate::session::Session`], shared with whatever prints), and
every line the host prints (stdout, stderr, logs forwarded from plugins,
error messages, JSON) passes through [`Secrets::redact`], which replaces
each value with `[redacted]`.
*/

use crate::config::Config;
use crate::manifest::Manifest;
use std::sync::{Arc, RwLock};

/// Config paths that hold secrets for every provider (`*` = one segment).
pub(crate) const HOST_SECRET_PATHS: [&str; 3] = [
    "models.providers.*.apiKey",
    "messages.tts.providers.*.apiKey",
    "env.*",
];

/// Shortest value treated as a secret (shorter ones would redact ordinary words).
const MIN_SECRET_LEN: usize = 6;

/// The secret values known to this run: a cheap handle (clones share one
/// registry), so the session and the terminal redact with the same list.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// Longest first, so a secret containing another is replaced whole.
    values: Arc<RwLock<Vec<String>>>,
}

impl Secrets {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<String>> {
        self.values.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a secret value so that it is redacted from all output.
    pub fn register(&self, value: &str) {
        let v = value.trim();
        if v.len() < MIN_SECRET_LEN {
            return;
        }
        let mut s = self.values.write().unwrap_or_else(|e| e.into_inner());
        if !s.iter().any(|x| x == v) {
            s.push(v.to_string());
            s.sort_by_key(|x| std::cmp::Reverse(x.len()));
        }
    }

    /// Registers every secret the config, the environment and the manifests hold.
    pub fn register_all(&self, config: &Config, manifests: &[Arc<Manifest>]) {
        let mut paths: Vec<String> = HOST_SECRET_PATHS.iter().map(|s| s.to_string()).collect();
        for m in manifests {
            paths.extend(m.auth.config_keys.iter().cloned());
            paths.extend(m.auth.speech_config_keys.iter().cloned());
            paths.extend(m.auth.secrets.iter().cloned());
            for var in &m.auth.env {
                if let Ok(v) = std::env::var(var) {
                    self.register(&v);
                }
            }
        }
        for p in &paths {
            for v in values_at(&config.raw, p) {
                self.register(&v);
            }
        }
    }

    /// `text` with every registered secret replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        let s = self.read();
        let mut out = text.to_string();
        for secret in s.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "[redacted]");
            }
        }
        out
    }

    /// The byte length of the longest end of `text` that is a proper prefix
    /// of a registered secret (0 if none).
    fn secret_prefix_at_end(&self, text: &str) -> usize {
        let s = self.read();
        let longest = s.iter().map(String::len).max().unwrap_or(0);
        let from = text.len().saturating_sub(longest.saturating_sub(1));
        text.char_indices()
            .map(|(i, _)| i)
            .filter(|&i| i >= from)
            .map(|i| &text[i..])
            .find(|end| {
                s.iter()
                    .any(|secret| secret.len() > end.len() && secret.starts_with(end))
            })
            .map_or(0, str::len)
    }
}

/// The string values at a dotted path with `*` wildcards.
pub(crate) fn values_at(table: &toml::Table, pattern: &str) -> Vec<String> {
    fn walk(v: &toml::Value, segs: &[&str], out: &mut Vec<String>) {
        match segs.split_first() {
            None => {
                if let Some(s) = v.as_str() {
                    out.push(s.to_string());
                }
            }
            Some((seg, rest)) => {
                if let Some(t) = v.as_table() {
                    if *seg == "*" {
                        for child in t.values() {
                            walk(child, rest, out);
                        }
                    } else if let Some(child) = t.get(*seg) {
                        walk(child, rest, out);
                    }
                }
            }
        }
    }
    let segs: Vec<&str> = pattern.split('.').collect();
    let mut out = Vec::new();
    walk(&toml::Value::Table(table.clone()), &segs, &mut out);
    out
}

/// Redacts text printed in pieces (a streamed answer), so that a secret
/// split across pieces never reaches the output, not even in parts.
///
/// Each piece is appended to what was held back, the whole is redacted, and
/// only its longest end that could still grow into a secret (a proper
/// prefix of one: at most one secret's length minus one character) is held
/// back; everything before it is released at once. [`Self::finish`]
/// releases the held-back end.
#[derive(Debug)]
pub struct StreamRedactor {
    secrets: Secrets,
    held: String,
}

impl StreamRedactor {
    /// A window redacting with `secrets`.
    pub fn new(secrets: Secrets) -> Self {
        StreamRedactor {
            secrets,
            held: String::new(),
        }
    }

    /// The redacted text that can be shown now, given the next `piece`.
    pub fn push(&mut self, piece: &str) -> String {
        let mut text = std::mem::take(&mut self.held);
        text.push_str(piece);
        let mut text = self.secrets.redact(&text);
        let keep = self.secrets.secret_prefix_at_end(&text);
        self.held = text.split_off(text.len() - keep);
        text
    }

    /// The held-back end, redacted: call when the stream ends.
    pub fn finish(&mut self) -> String {
        self.secrets.redact(&std::mem::take(&mut self.held))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_split_across_pieces_is_never_shown_in_parts() {
        let secret = "sk-or-v1-stream-split-secret-0042";
        let secrets = Secrets::default();
        secrets.register(secret);
        for split in 1..secret.len() {
            let text = format!("before {secret} after");
            let pieces: Vec<&str> = text
                .as_bytes()
                .chunks(split)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect();
            let mut r = StreamRedactor::new(secrets.clone());
            let mut shown = Vec::new();
            for p in &pieces {
                shown.push(r.push(p));
            }
            shown.push(r.finish());
            assert_eq!(shown.concat(), "before [redacted] after", "split {split}");
            for piece in &shown {
                for w in secret.as_bytes().windows(8) {
                    let w = std::str::from_utf8(w).unwrap();
                    assert!(!piece.contains(w), "split {split}: {piece:?} shows {w:?}");
                }
            }
        }
    }

    #[test]
    fn stream_text_without_a_secret_prefix_is_released_at_once() {
        let secrets = Secrets::default();
        secrets.register("sk-or-v1-stream-split-secret-0042");
        let mut r = StreamRedactor::new(secrets);
        assert_eq!(r.push("Hello, wörld"), "Hello, wörld");
        assert_eq!(r.push(" and sk-or"), " and ");
        assert_eq!(r.push("ange"), "sk-orange");
        assert_eq!(r.finish(), "");
    }

    #[test]
    fn registered_secret_is_redacted_everywhere() {
        let secrets = Secrets::default();
        secrets.register("sk-or-v1-unit-test-secret");
        assert_eq!(
            secrets.redact("key=sk-or-v1-unit-test-secret, again sk-or-v1-unit-test-secret"),
            "key=[redacted], again [redacted]"
        );
    }

    #[test]
    fn wildcard_paths_find_values() {
        let t: toml::Table = toml::from_str("[models.providers.a]\napiKey = \"one-secret\"\n[models.providers.b]\napiKey = \"two-secret\"\n").unwrap();
        let mut v = values_at(&t, "models.providers.*.apiKey");
        v.sort();
        assert_eq!(v, vec!["one-secret", "two-secret"]);
    }
}

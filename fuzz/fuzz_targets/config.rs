/*!
Fuzz target: the config file (`switchyard_core::config::Config::parse`). Any
UTF-8 text gives a config whose lookups work (key resolution against the
bundled OpenRouter manifest, dotted paths, the provider settings JSON), or
a configuration error (exit code 3) naming the file, on one line, that
never quotes a string value given as a key (`= "sk-..."`); the list of
invalid values of a parsed file never quotes one either.
*/
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;
use switchyard_core::config::Config;
use switchyard_core::manifest::Manifest;

fn manifest() -> &'static Manifest {
    static M: OnceLock<Manifest> = OnceLock::new();
    M.get_or_init(|| {
        Manifest::parse(
            Path::new("openrouter.toml"),
            include_str!("../../manifests/openrouter.toml"),
        )
        .expect("the bundled manifest parses")
    })
}

/// String values that look like keys: `= "sk-...` up to the closing quote.
fn key_values(text: &str) -> Vec<&str> {
    text.match_indices("= \"sk-")
        .filter_map(|(i, _)| {
            let rest = &text[i + 3..];
            let end = rest.find('"')?;
            Some(&rest[..end]).filter(|v| v.len() >= 12)
        })
        .collect()
}

fuzz_target!(|text: &str| {
    match Config::parse(Path::new("fuzz.toml"), text) {
        Ok(c) => {
            let m = manifest();
            let _ = c.api_key(m, false);
            let _ = c.api_key(m, true);
            let _ = c.base_url(m);
            let json = c.provider_settings_json("openrouter");
            assert!(
                serde_json::from_str::<serde_json::Value>(&json).is_ok(),
                "{json}"
            );
            let _ = c.get_str("models.providers.openrouter.apiKey");
            let _ = c.get_str("agents.defaults.model.primary");
            let _ = c.get_str("");
            if let Err(e) = c.ensure_valid() {
                assert_eq!(e.exit_code(), 3);
                let msg = e.to_string();
                assert!(msg.starts_with("config file fuzz.toml: "), "{msg}");
                for k in key_values(text) {
                    assert!(!msg.contains(k), "the problem list quotes {k:?}: {msg}");
                }
            }
        }
        Err(e) => {
            assert_eq!(e.exit_code(), 3);
            let msg = e.to_string();
            assert!(msg.starts_with("config file fuzz.toml: "), "{msg}");
            assert!(!msg.contains('\n'), "{msg:?}");
            for k in key_values(text) {
                assert!(!msg.contains(k), "the error quotes {k:?}: {msg}");
            }
        }
    }
});

/*!
Fuzz target: model refs. `switchyard_core::registry::LookupTable::for_model`
over manifests with fuzzed model prefixes returns the plugin with the
longest prefix that matches case-insensitively with something after it,
or nothing when no prefix fits; `switchyard_openrouter::api_model` strips
the `openrouter/` prefix (in any case) exactly when a provider/model path
follows it, and otherwise sends the ref with the prefix in the API's
spelling.
*/
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use switchyard_core::manifest::Manifest;
use switchyard_core::registry::LookupTable;

fuzz_target!(|input: (Vec<String>, String)| {
    let (prefixes, model_ref) = input;
    let manifests = prefixes.iter().take(6).enumerate().filter_map(|(i, p)| {
        let text = format!(
            "id = \"p{i}\"\nversion = \"0.1.0\"\nplugin_api = \"^1.0\"\nlibrary = \"p{i}\"\nmodel_prefix = {}\ncapabilities = [\"chat\"]\n",
            toml::Value::from(p.as_str())
        );
        Manifest::parse(Path::new("p.toml"), &text).ok()
    });
    let table = LookupTable::from_manifests(manifests);
    let lower = model_ref.to_ascii_lowercase();
    let fits = |p: &str| lower.starts_with(&p.to_ascii_lowercase()) && lower.len() > p.len();
    match table.for_model(&model_ref) {
        Some(m) => {
            assert!(
                fits(&m.model_prefix),
                "{model_ref:?} -> {:?}",
                m.model_prefix
            );
            for other in table.plugins() {
                assert!(
                    !fits(&other.model_prefix) || other.model_prefix.len() <= m.model_prefix.len()
                );
            }
        }
        None => assert!(table.plugins().iter().all(|m| !fits(&m.model_prefix))),
    }

    let api = switchyard_openrouter::api_model(&model_ref);
    let prefix = "openrouter/";
    match model_ref
        .get(..prefix.len())
        .zip(model_ref.get(prefix.len()..))
    {
        Some((p, rest)) if p.eq_ignore_ascii_case(prefix) && rest.contains('/') => {
            assert_eq!(api, rest)
        }
        Some((p, rest)) if p.eq_ignore_ascii_case(prefix) => {
            assert_eq!(api, format!("{prefix}{rest}"))
        }
        _ => assert_eq!(api, model_ref),
    }
});

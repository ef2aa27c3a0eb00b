/*!
Fuzz target: model refs. `switchyard::registry::LookupTable::for_model`
over manifests with fuzzed model prefixes returns the plugin with the
longest prefix that matches case-insensitively with something after it,
or nothing when no prefix fits; `switchyard_openrouter::api_model` strips
`openrouter/` exactly when a provider/model path follows it.
*/
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use switchyard::manifest::Manifest;
use switchyard::registry::LookupTable;

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
    match model_ref.strip_prefix("openrouter/") {
        Some(rest) if rest.contains('/') => assert_eq!(api, rest),
        _ => assert_eq!(api, model_ref),
    }
});

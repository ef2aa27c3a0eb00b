/*!
Fuzz target: plugin manifests (`switchyard_core::manifest::Manifest::parse`).
Any UTF-8 text gives a manifest whose invariants hold (valid id, prefix
ending in `/`, known capabilities, every model under the prefix and within
the plugin's capabilities, findable in a lookup table), or a typed
`ManifestError` naming the file (and the field, when a value is wrong).
*/
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use switchyard_core::manifest::{Manifest, ManifestError};
use switchyard_core::registry::LookupTable;
use switchyard_plugin_api::ALL_CAPABILITIES;

fuzz_target!(|text: &str| {
    match Manifest::parse(Path::new("fuzz.toml"), text) {
        Ok(m) => {
            assert!(
                !m.id.is_empty()
                    && m.id.bytes().all(|b| b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'-'
                        || b == b'_')
            );
            assert!(m.model_prefix.len() >= 2 && m.model_prefix.ends_with('/'));
            assert!(!m.library.is_empty() && !m.library.contains(['/', '\\']));
            assert!(!m.capabilities.is_empty());
            for c in &m.capabilities {
                assert!(ALL_CAPABILITIES.contains(&c.as_str()), "{c:?}");
            }
            for e in &m.models {
                assert!(e.model_ref.starts_with(&m.model_prefix));
                assert!(e.model_ref.len() > m.model_prefix.len());
                assert!(e.capabilities.iter().all(|c| m.capabilities.contains(c)));
                assert!(m.model(&e.model_ref).is_some());
            }
            let refs: Vec<String> = m.models.iter().map(|e| e.model_ref.clone()).collect();
            let id = m.id.clone();
            let table = LookupTable::from_manifests([m]);
            for r in refs {
                let found = table.for_model(&r).map(|f| f.id.clone());
                assert_eq!(found.as_deref(), Some(id.as_str()), "{r:?}");
            }
        }
        Err(e) => {
            assert!(e.to_string().starts_with("fuzz.toml"), "{e}");
            match e {
                ManifestError::Read { .. } => panic!("parse never reads a file: {e}"),
                ManifestError::Parse { reason, .. } => {
                    assert!(!reason.is_empty() && !reason.contains('\n'), "{reason:?}")
                }
                ManifestError::Invalid { field, reason, .. } => {
                    assert!(!field.is_empty() && !reason.is_empty())
                }
            }
        }
    }
});

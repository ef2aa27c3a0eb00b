/*!
The capability check: before any request is sent, the model ref is routed
to a plugin through the lookup table, the plugin and model must offer the
capability, and every value must be within the model's declared limits.

Limits come from the model's manifest entry, or from the cached live catalog
when it knows the model. A model listed nowhere is allowed with a one-line
notice that its limits could not be checked. Values are matched
case-insensitively and returned in the declared (API) spelling.
*/

use crate::error::HostError;
use crate::manifest::{Manifest, ModelEntry};
use crate::registry::LookupTable;
use std::sync::Arc;

/// The plugin and limits a request was routed to.
#[derive(Debug, Clone)]
pub struct Route {
    /// The plugin's manifest.
    pub manifest: Arc<Manifest>,
    /// The model's limits, when known.
    pub limits: Option<ModelEntry>,
    /// Where the limits came from (`manifest`, `catalog`), when known.
    pub limits_source: Option<String>,
}

/// Routes `model_ref` to its plugin and checks the capability.
pub fn route(table: &LookupTable, model_ref: &str, capability: &str) -> Result<Route, HostError> {
    let Some(manifest) = table.for_model(model_ref) else {
        let prefixes = table.known_prefixes();
        return Err(HostError::InvalidInput(format!(
            "no plugin serves model ref {model_ref:?}; known prefixes: {}. Model refs look like openrouter/<provider>/<model>",
            if prefixes.is_empty() { "(none: no plugin manifests were found)".to_string() } else { prefixes.join(", ") }
        )));
    };
    if !manifest.has_capability(capability) {
        let offering: Vec<String> = table
            .with_capability(capability)
            .iter()
            .map(|m| m.id.clone())
            .collect();
        return Err(HostError::InvalidInput(format!(
            "plugin {:?} does not offer {capability}; it offers: {}. Plugins offering {capability}: {}",
            manifest.id,
            manifest.capabilities.join(", "),
            if offering.is_empty() { "none".to_string() } else { offering.join(", ") }
        )));
    }
    let catalog = crate::catalog::entry(&manifest.id, model_ref);
    let (limits, source) = match (catalog, manifest.model(model_ref)) {
        (Some(c), _) => (Some(c), Some("catalog".to_string())),
        (None, Some(m)) => (Some(m.clone()), Some("manifest".to_string())),
        (None, None) => (None, None),
    };
    if let Some(l) = &limits {
        if !l.has_capability(capability) {
            let others: Vec<&str> = manifest
                .models
                .iter()
                .filter(|m| m.has_capability(capability))
                .map(|m| m.model_ref.as_str())
                .collect();
            return Err(HostError::InvalidInput(format!(
                "model {model_ref:?} does not offer {capability} (it offers: {}); models that do: {}",
                l.capabilities.join(", "),
                if others.is_empty() { "none listed".to_string() } else { others.join(", ") }
            )));
        }
    }
    Ok(Route {
        manifest: manifest.clone(),
        limits,
        limits_source: source,
    })
}

/// Checks `value` against `allowed`, returning the allowed spelling.
pub fn choice(
    model_ref: &str,
    flag: &str,
    value: &str,
    allowed: Option<&Vec<String>>,
) -> Result<String, HostError> {
    let Some(allowed) = allowed else {
        return Ok(value.to_string());
    };
    allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(value.trim()))
        .cloned()
        .ok_or_else(|| {
            HostError::InvalidInput(format!(
                "{flag} {value} is not offered by {model_ref}; allowed: {}",
                allowed.join(", ")
            ))
        })
}

/// Checks an option that only some models take (e.g. image `--size`):
/// refused when the model is known and does not declare it.
pub fn optional_choice(
    route: &Route,
    model_ref: &str,
    flag: &str,
    value: Option<&str>,
    pick: impl Fn(&ModelEntry) -> Option<&Vec<String>>,
) -> Result<Option<String>, HostError> {
    let Some(v) = value else { return Ok(None) };
    match &route.limits {
        None => Ok(Some(v.to_string())),
        Some(l) => match pick(l) {
            Some(allowed) => choice(model_ref, flag, v, Some(allowed)).map(Some),
            None => Err(HostError::InvalidInput(format!(
                "{model_ref} does not take {flag}; models that do: {}",
                route
                    .manifest
                    .models
                    .iter()
                    .filter(|m| pick(m).is_some())
                    .map(|m| m.model_ref.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        },
    }
}

/// Checks a video duration against the declared durations.
pub fn duration(model_ref: &str, secs: u32, allowed: Option<&Vec<u32>>) -> Result<u32, HostError> {
    match allowed {
        Some(a) if !a.contains(&secs) => Err(HostError::InvalidInput(format!(
            "--duration {secs} is not offered by {model_ref}; allowed: {}",
            a.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        _ => Ok(secs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choice_is_case_insensitive_and_returns_api_spelling() {
        let allowed = vec!["720p".to_string(), "1080p".to_string()];
        assert_eq!(
            choice("m", "--resolution", "1080P", Some(&allowed)).unwrap(),
            "1080p"
        );
        let e = choice("m", "--resolution", "4k", Some(&allowed)).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("720p, 1080p"));
    }

    #[test]
    fn duration_outside_the_list_names_allowed_values() {
        let e = duration("m", 5, Some(&vec![4, 6, 8]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("4, 6, 8"), "{e}");
        assert_eq!(duration("m", 6, Some(&vec![4, 6, 8])).unwrap(), 6);
    }
}

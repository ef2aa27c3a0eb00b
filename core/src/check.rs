/*!
The capability check: before any request is sent, the model ref is routed
to a plugin through the lookup table, the plugin and model must offer the
capability, and every value must be within the model's declared limits.

Limits come from the model's manifest entry, refined field by field by the
cached live catalog (see [`crate::catalog::merge`]); every hint ("models
that do: ...") uses the same merged limits, for the capability asked. A
model listed nowhere is allowed with a one-line
notice that its limits could not be checked. Values are matched
case-insensitively and returned in the declared (API) spelling.
*/

use crate::error::HostError;
use crate::manifest::{Manifest, ModelEntry};
use crate::registry::LookupTable;
use crate::session::Session;
use std::sync::Arc;

/// The plugin and limits a request was routed to.
#[derive(Debug, Clone)]
pub struct Route {
    /// The plugin's manifest.
    pub manifest: Arc<Manifest>,
    /// The model's limits, when known (the manifest's, refined by the
    /// cached catalog: see [`crate::catalog::merge`]).
    pub limits: Option<ModelEntry>,
    /// Where the limits came from (`manifest`, `catalog`,
    /// `catalog+manifest`), when known.
    pub limits_source: Option<String>,
    /// Whether the manifest lists the model. Then an option its limits
    /// leave out is not offered; for a model only the catalog knows, an
    /// option the catalog cannot state is passed on unchecked.
    pub declared: bool,
    /// The capability asked for.
    pub capability: String,
    /// Every model of the plugin with the same merged limits, for hints.
    pub models: Vec<ModelEntry>,
}

/// At most this many model refs are named in a hint.
const HINT_MAX: usize = 8;

/// `a, b, c` (at most [`HINT_MAX`], then how many more and where to see
/// them), or `none listed`.
fn hint_list(refs: &[&str], capability: &str) -> String {
    match refs.len() {
        0 => "none listed".to_string(),
        n if n <= HINT_MAX => refs.join(", "),
        n => format!(
            "{} and {} more (`switchyard models list --capability {capability}`)",
            refs[..HINT_MAX].join(", "),
            n - HINT_MAX
        ),
    }
}

impl Route {
    /// The models offering the asked capability whose limits `pick` finds,
    /// as a hint (`models that do: ...`).
    pub fn offering(&self, pick: impl Fn(&ModelEntry) -> bool) -> String {
        let refs: Vec<&str> = self
            .models
            .iter()
            .filter(|m| m.has_capability(&self.capability) && pick(m))
            .map(|m| m.model_ref.as_str())
            .collect();
        hint_list(&refs, &self.capability)
    }
}

fn unknown_ref(table: &LookupTable, model_ref: &str) -> HostError {
    let prefixes = table.known_prefixes();
    HostError::InvalidInput(format!(
        "no plugin serves model ref {model_ref:?}; known prefixes: {}. Model refs look like openrouter/<provider>/<model>",
        if prefixes.is_empty() { "(none: no plugin manifests were found)".to_string() } else { prefixes.join(", ") }
    ))
}

/// Routes `model_ref` to its plugin and checks the capability.
pub fn route(
    session: &Session,
    table: &LookupTable,
    model_ref: &str,
    capability: &str,
) -> Result<Route, HostError> {
    let Some(manifest) = table.for_model(model_ref) else {
        return Err(unknown_ref(table, model_ref));
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
    let merged = crate::catalog::merged(session, manifest);
    let this = merged
        .iter()
        .find(|m| m.entry.model_ref.eq_ignore_ascii_case(model_ref))
        .cloned();
    let route = Route {
        manifest: manifest.clone(),
        limits: this.as_ref().map(|m| m.entry.clone()),
        limits_source: this.as_ref().map(|m| m.source.name().to_string()),
        declared: this.as_ref().is_some_and(|m| m.source.in_manifest()),
        capability: capability.to_string(),
        models: merged.into_iter().map(|m| m.entry).collect(),
    };
    if let Some(l) = &route.limits {
        if !l.has_capability(capability) {
            return Err(HostError::InvalidInput(format!(
                "model {model_ref:?} does not offer {capability} (it offers: {}); models that do: {}",
                l.capabilities.join(", "),
                route.offering(|_| true)
            )));
        }
    }
    Ok(route)
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
/// refused when the manifest lists the model without it; passed on
/// unchecked, with a notice, when only the catalog knows the model (the
/// catalog cannot state every limit).
pub fn optional_choice(
    session: &Session,
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
            None if !route.declared => {
                unchecked_notice(session, model_ref, flag);
                Ok(Some(v.to_string()))
            }
            None => Err(HostError::InvalidInput(format!(
                "{model_ref} does not take {flag}; {} models that do: {}",
                route.capability,
                route.offering(|m| pick(m).is_some())
            ))),
        },
    }
}

fn unchecked_notice(session: &Session, model_ref: &str, flag: &str) {
    session.notice(&format!(
        "note: the model catalog does not say whether {model_ref} takes {flag}; it is sent unchecked"
    ));
}

/// Checks that the model takes an input of `kind` (e.g. `--reference`, of
/// kind `image`, against `input_references`). A model the manifest lists
/// without that limit takes none; one only the catalog knows is unchecked.
pub fn takes_kind(
    session: &Session,
    route: &Route,
    model_ref: &str,
    flag: &str,
    kind: &str,
    what: &str,
    pick: impl Fn(&ModelEntry) -> Option<&Vec<String>>,
) -> Result<(), HostError> {
    let Some(l) = &route.limits else {
        return Ok(());
    };
    match pick(l) {
        Some(allowed) if allowed.iter().any(|a| a.eq_ignore_ascii_case(kind)) => Ok(()),
        None if !route.declared => {
            unchecked_notice(session, model_ref, flag);
            Ok(())
        }
        allowed => Err(HostError::InvalidInput(format!(
            "{flag} is not offered by {model_ref}: {what} it takes: {}; {} models that take {flag}: {}",
            allowed
                .filter(|a| !a.is_empty())
                .map_or_else(|| "none".to_string(), |a| a.join(", ")),
            route.capability,
            route.offering(|m| pick(m).is_some_and(|a| a.iter().any(|x| x.eq_ignore_ascii_case(kind))))
        ))),
    }
}

/// Checks that the model takes inputs of `modality` (`image`, `audio`,
/// `file`, ...) for `flag` (a chat attachment, an image to edit), against
/// the `input_modalities` its merged limits state. When they state none,
/// the input is sent unchecked, with a notice (a model listed nowhere had
/// its notice from the routing already).
pub fn takes_input(
    session: &Session,
    route: &Route,
    model_ref: &str,
    flag: &str,
    modality: &str,
) -> Result<(), HostError> {
    let Some(l) = &route.limits else {
        return Ok(());
    };
    let takes = |m: &ModelEntry| {
        m.input_modalities
            .as_ref()
            .is_some_and(|a| a.iter().any(|x| x.eq_ignore_ascii_case(modality)))
    };
    match &l.input_modalities {
        None => {
            session.notice_once(
                &format!("inputs {model_ref}"),
                &format!("note: {model_ref} does not state which inputs it takes; {flag} is sent unchecked"),
            );
            Ok(())
        }
        Some(_) if takes(l) => Ok(()),
        Some(inputs) => Err(HostError::InvalidInput(format!(
            "{flag} is not offered by {model_ref}: it takes {} input only; {} models that take {modality} input: {}",
            if inputs.is_empty() { "no".to_string() } else { inputs.join(", ") },
            route.capability,
            route.offering(takes)
        ))),
    }
}

/// The default model for `capability`: of the plugins offering it, in
/// scan order, the first that `prefer` accepts (say, one the config sets
/// up), else the first; its first model offering the capability (the
/// manifest's models in order, then those only the catalog knows).
pub fn default_model(
    session: &Session,
    table: &LookupTable,
    capability: &str,
    prefer: impl Fn(&Manifest) -> bool,
) -> Option<String> {
    let offering: Vec<&Arc<Manifest>> = table
        .plugins()
        .iter()
        .filter(|m| m.has_capability(capability))
        .collect();
    let first_model = |m: &Manifest| {
        crate::catalog::merged(session, m)
            .into_iter()
            .find(|e| e.entry.has_capability(capability))
            .map(|e| e.entry.model_ref)
    };
    offering
        .iter()
        .filter(|m| prefer(m))
        .find_map(|m| first_model(m))
        .or_else(|| offering.iter().find_map(|m| first_model(m)))
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

    const MANIFEST: &str = r#"
id = "p"
version = "0.1.0"
plugin_api = "^1.1"
library = "p"
model_prefix = "p/"
capabilities = ["image", "video"]

[[models]]
ref = "p/plain-image"
capabilities = ["image"]

[[models]]
ref = "p/ratio-image"
capabilities = ["image"]
aspect_ratios = ["1:1", "16:9"]

[[models]]
ref = "p/video"
capabilities = ["video"]
aspect_ratios = ["16:9"]
"#;

    fn route_to(model: &str, declared: bool) -> Route {
        let m = Manifest::parse(std::path::Path::new("p.toml"), MANIFEST).unwrap();
        Route {
            limits: m.model(model).cloned(),
            limits_source: Some("manifest".into()),
            declared,
            capability: "image".into(),
            models: m.models.clone(),
            manifest: Arc::new(m),
        }
    }

    #[test]
    fn an_undeclared_option_hint_names_only_models_of_the_asked_capability() {
        let r = route_to("p/plain-image", true);
        let e = optional_choice(
            &Session::silent(),
            &r,
            "p/plain-image",
            "--aspect-ratio",
            Some("16:9"),
            |m| m.aspect_ratios.as_ref(),
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let e = e.to_string();
        assert!(e.contains("image models that do: p/ratio-image"), "{e}");
        assert!(!e.contains("p/video"), "{e}");
    }

    #[test]
    fn an_option_the_catalog_cannot_state_passes_for_a_catalog_only_model() {
        let r = route_to("p/plain-image", false);
        let v = optional_choice(
            &Session::silent(),
            &r,
            "p/plain-image",
            "--aspect-ratio",
            Some("16:9"),
            |m| m.aspect_ratios.as_ref(),
        );
        assert_eq!(v.unwrap().as_deref(), Some("16:9"));
    }

    #[test]
    fn long_hints_are_cut_and_say_where_to_see_the_rest() {
        let refs: Vec<String> = (0..12).map(|i| format!("m{i}")).collect();
        let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
        let h = hint_list(&refs, "image");
        assert!(h.starts_with("m0, m1"), "{h}");
        assert!(h.contains("and 4 more"), "{h}");
        assert!(!h.contains("m8"), "{h}");
    }

    #[test]
    fn inputs_are_checked_against_stated_modalities_only() {
        let mut r = route_to("p/plain-image", true);
        let session = Session::silent();
        assert!(takes_input(&session, &r, "p/plain-image", "--input", "image").is_ok());
        if let Some(l) = r.limits.as_mut() {
            l.input_modalities = Some(vec!["text".into()]);
        }
        r.models[1].input_modalities = Some(vec!["text".into(), "image".into()]);
        let e = takes_input(&session, &r, "p/plain-image", "--input", "image").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let e = e.to_string();
        assert!(e.contains("it takes text input only"), "{e}");
        assert!(
            e.contains("image models that take image input: p/ratio-image"),
            "{e}"
        );
    }

    #[test]
    fn the_default_model_is_the_first_of_a_preferred_plugin() {
        let m = Manifest::parse(std::path::Path::new("p.toml"), MANIFEST).unwrap();
        let other = MANIFEST
            .replace("id = \"p\"", "id = \"a\"")
            .replace("\"p/", "\"a/");
        let a = Manifest::parse(std::path::Path::new("a.toml"), &other).unwrap();
        let table = LookupTable::from_manifests([a, m]);
        let s = Session::silent();
        let pick = |id: &'static str| default_model(&s, &table, "video", move |m| m.id == id);
        assert_eq!(pick("p").as_deref(), Some("p/video"));
        assert_eq!(pick("none").as_deref(), Some("a/video"));
        assert_eq!(default_model(&s, &table, "embed", |_| true), None);
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

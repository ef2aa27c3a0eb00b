/*!
Provider routing preferences for a chat (`--provider-order`,
`--provider-sort`, `--no-provider-fallbacks`, `--data-collection`): the
request's `provider_json`, for plugins that route among upstream
providers. Without a flag nothing is sent in the request, and the plugin
reads the routing table of its config (`models.providers.<id>.provider`)
itself; with flags, that table is the base and each flag replaces its key,
so a `data_collection = "deny"` in the config survives a `--provider-sort`.
*/

use super::Ctx;
use crate::cli::RoutingArgs;
use serde_json::{json, Map, Value};
use switchyard_core::error::HostError;

/// Whether any routing flag is given.
pub fn given(args: &RoutingArgs) -> bool {
    !args.provider_order.is_empty()
        || args.provider_sort.is_some()
        || args.no_provider_fallbacks
        || args.data_collection.is_some()
}

/// The flags as routing keys (`order`, `sort`, `allow_fallbacks`,
/// `data_collection`); an empty provider name is refused.
pub fn from_flags(args: &RoutingArgs) -> Result<Map<String, Value>, HostError> {
    let mut keys = Map::new();
    if !args.provider_order.is_empty() {
        let order: Vec<&str> = args.provider_order.iter().map(|p| p.trim()).collect();
        if order.iter().any(|p| p.is_empty()) {
            return Err(HostError::InvalidInput(format!(
                "--provider-order {}: an empty provider name; give names separated by commas, such as openai,together",
                args.provider_order.join(",")
            )));
        }
        keys.insert("order".into(), json!(order));
    }
    if let Some(s) = args.provider_sort {
        keys.insert("sort".into(), json!(s.name()));
    }
    if args.no_provider_fallbacks {
        keys.insert("allow_fallbacks".into(), json!(false));
    }
    if let Some(d) = args.data_collection {
        keys.insert("data_collection".into(), json!(d.name()));
    }
    Ok(keys)
}

/// The `provider_json` of a chat sent to plugin `plugin`: `None` without
/// flags, else the config's routing table with the flags laid over it.
pub fn provider_json(
    ctx: &Ctx,
    plugin: &str,
    args: &RoutingArgs,
) -> Result<Option<String>, HostError> {
    if !given(args) {
        return Ok(None);
    }
    let settings: Value =
        serde_json::from_str(&ctx.config.provider_settings_json(plugin)).unwrap_or(Value::Null);
    let mut merged = match settings.get("provider") {
        Some(Value::Object(base)) => base.clone(),
        _ => Map::new(),
    };
    merged.extend(from_flags(args)?);
    Ok(Some(Value::Object(merged).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{DataCollection, ProviderSort};

    #[test]
    fn flags_become_routing_keys() {
        let args = RoutingArgs {
            provider_order: vec!["openai".into(), " together".into()],
            provider_sort: Some(ProviderSort::Throughput),
            no_provider_fallbacks: true,
            data_collection: Some(DataCollection::Deny),
        };
        assert!(given(&args));
        assert_eq!(
            Value::Object(from_flags(&args).unwrap()),
            json!({"order": ["openai", "together"], "sort": "throughput", "allow_fallbacks": false, "data_collection": "deny"})
        );
        assert!(!given(&RoutingArgs::default()));
        let bad = RoutingArgs {
            provider_order: vec!["openai".into(), String::new()],
            ..Default::default()
        };
        assert_eq!(from_flags(&bad).unwrap_err().exit_code(), 2);
    }
}

/*!
OpenRouter's provider routing preferences (the `provider` object of chat
and embeddings requests: `order`, `only`, `ignore`, `sort`,
`allow_fallbacks`, `data_collection`, `zdr`, `max_price`, ...).

Where they come from, first found wins: a `--param provider=...` (merged
by the caller), the request's `provider_json` (chat, since plugin API 2.1),
then the `provider` table of the plugin's settings (the provider's config
table, `ctx.settings_json`). The Image API takes a smaller object
([`image_provider`]: `only`, `order`, `ignore`, `sort`, `allow_fallbacks`,
`options`); transcription and video requests take only per-provider
`options`, so no routing is sent with them.
*/

use serde_json::Value;
use switchyard_provider_kit::api::doc::Context;
use switchyard_provider_kit::api::{ErrorKind, PluginError};

/// The routing keys `POST /images` takes (`ImageGenerationProviderPreferences`).
pub const IMAGE_PROVIDER_KEYS: [&str; 6] = [
    "only",
    "order",
    "ignore",
    "sort",
    "allow_fallbacks",
    "options",
];

fn parse_object(text: &str, what: &str) -> Result<Value, PluginError> {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            format!("{what} must be a JSON object (OpenRouter's provider preferences)"),
        )),
        Err(e) => Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            format!("{what} is not JSON ({e})"),
        )),
    }
}

/// The `provider` table of the plugin's settings, if any; a value that is
/// not a table is refused.
pub fn settings_provider(ctx: &Context) -> Result<Option<Value>, PluginError> {
    let Ok(settings) = serde_json::from_str::<Value>(&ctx.settings_json) else {
        return Ok(None);
    };
    match settings.get("provider") {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v.clone())),
        Some(_) => Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            "the `provider` setting of OpenRouter's config table must be a table (OpenRouter's provider preferences)",
        )),
    }
}

/// The `provider` object of a chat or embeddings request: the request's
/// own (`provider_json`), else the settings' table.
pub fn chat_provider(
    provider_json: Option<&str>,
    ctx: &Context,
) -> Result<Option<Value>, PluginError> {
    match provider_json.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => parse_object(text, "the provider routing preferences").map(Some),
        None => settings_provider(ctx),
    }
}

/// The settings' routing preferences restricted to what the Image API
/// takes; `None` when nothing is left.
pub fn image_provider(ctx: &Context) -> Result<Option<Value>, PluginError> {
    let Some(Value::Object(all)) = settings_provider(ctx)? else {
        return Ok(None);
    };
    let kept: serde_json::Map<String, Value> = all
        .into_iter()
        .filter(|(k, _)| IMAGE_PROVIDER_KEYS.contains(&k.as_str()))
        .collect();
    Ok((!kept.is_empty()).then_some(Value::Object(kept)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(settings: Value) -> Context {
        Context {
            settings_json: settings.to_string(),
            ..Default::default()
        }
    }

    #[test]
    fn the_request_wins_over_the_settings() {
        let c =
            ctx(json!({"apiKey": "k", "provider": {"sort": "price", "data_collection": "deny"}}));
        assert_eq!(
            chat_provider(Some(r#"{"order":["openai"]}"#), &c).unwrap(),
            Some(json!({"order": ["openai"]}))
        );
        assert_eq!(
            chat_provider(None, &c).unwrap(),
            Some(json!({"sort": "price", "data_collection": "deny"}))
        );
        assert_eq!(image_provider(&c).unwrap(), Some(json!({"sort": "price"})));
        assert_eq!(chat_provider(None, &ctx(json!({}))).unwrap(), None);
        assert_eq!(chat_provider(None, &Context::default()).unwrap(), None);
    }

    #[test]
    fn bad_preferences_are_invalid_input() {
        for bad in ["[1]", "nope", "\"price\""] {
            let e = chat_provider(Some(bad), &Context::default()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::INVALID_INPUT, "{bad}");
        }
        let e = settings_provider(&ctx(json!({"provider": "openai"}))).unwrap_err();
        assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
        assert_eq!(
            image_provider(&ctx(json!({"provider": {"zdr": true}}))).unwrap(),
            None
        );
    }
}

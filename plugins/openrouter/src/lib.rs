/*!
The OpenRouter provider plugin: chat (plain and streamed, with attachments,
JSON-schema answers, reasoning and provider routing), image generation
(through the dedicated Image API for the models it lists, else chat
completions), asynchronous video generation, text-to-speech,
transcription and embeddings, all against OpenRouter's HTTP API (`https://openrouter.ai/api/v1`, or the
base URL the host passes, such as the project's fake server).

It is OpenRouter's request shapes over the provider kit: the kit exports
the entry points (with the manifest, `manifest.toml`, embedded), runs every
call on the plugin's own runtime, sends, classifies errors ([`API`]) and
streams to the host's sink. Modules: [`client`] (headers, origin rules, key
check), [`chat`] (chat and chat-route images), [`image`] (the route, and
the Image API), [`routing`] (provider preferences), [`video`], [`speech`],
[`transcribe`], [`embed`], [`catalog`].
*/

#![warn(missing_docs)]

pub mod catalog;
pub mod chat;
pub mod client;
pub mod embed;
pub mod image;
pub mod routing;
pub mod speech;
pub mod transcribe;
pub mod video;

use switchyard_provider_kit::api::ErrorKind;
use switchyard_provider_kit::errors::Api;
use switchyard_provider_kit::{export_provider, impl_provider};

/// How OpenRouter's errors read, with its own hints (never a host flag).
pub const API: Api = Api::new("OpenRouter").with_hint(hint);

fn hint(kind: ErrorKind) -> Option<&'static str> {
    match kind {
        ErrorKind::BILLING => Some("Add credits at https://openrouter.ai/credits."),
        ErrorKind::MODEL_UNAVAILABLE => Some(
            "Check the model ref (openrouter/<provider>/<model>, see https://openrouter.ai/models) or pick another model.",
        ),
        _ => None,
    }
}

/// The OpenRouter provider.
pub struct OpenRouter;

impl_provider!(OpenRouter {
    chat => chat::chat,
    image => image::image,
    speech => speech::speech,
    video_submit => video::submit,
    video_wait => video::wait,
    video_status => video::status_once,
    transcribe => transcribe::transcribe,
    embed => embed::embed,
    catalog => catalog::fetch,
    check_key => client::check_key,
});

export_provider!(OpenRouter, OpenRouter, include_str!("../manifest.toml"));

/// The id OpenRouter's API uses for a model ref: `openrouter/<provider>/<model>`
/// is sent as `<provider>/<model>`; `openrouter/auto` (no second slash) is
/// sent as is. The host routes refs by prefix case-insensitively, so the
/// prefix is recognised in any case and sent in the API's spelling.
pub fn api_model(model_ref: &str) -> String {
    const PREFIX: &str = "openrouter/";
    let rest = match (model_ref.get(..PREFIX.len()), model_ref.get(PREFIX.len()..)) {
        (Some(p), Some(rest)) if p.eq_ignore_ascii_case(PREFIX) => rest,
        _ => return model_ref.to_string(),
    };
    if rest.contains('/') {
        rest.to_string()
    } else {
        format!("{PREFIX}{rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_refs_map_to_api_ids() {
        assert_eq!(api_model("openrouter/auto"), "openrouter/auto");
        assert_eq!(api_model("OpenRouter/auto"), "openrouter/auto");
        assert_eq!(
            api_model("OpenRouter/moonshotai/kimi-k2.6"),
            "moonshotai/kimi-k2.6"
        );
        assert_eq!(
            api_model("openrouter/google/veo-3.1-fast"),
            "google/veo-3.1-fast"
        );
    }

    /// The input the `model_ref` fuzz target reported (a mixed-case prefix
    /// followed by control characters and a second prefix): only the
    /// leading prefix is stripped; a multi-byte character where the prefix
    /// would end is passed through unchanged.
    #[test]
    fn fuzzed_refs_strip_only_the_leading_prefix() {
        let r = "opEnrouter/\0\0\0-\u{10}openrouter/\0\0\0-\\1\n\\1\n";
        assert_eq!(api_model(r), &r["openrouter/".len()..]);
        assert_eq!(api_model("openrouteré/x/y"), "openrouteré/x/y");
        assert_eq!(api_model("openroute"), "openroute");
    }

    #[test]
    fn hints_name_no_host_setting() {
        for (k, _) in ErrorKind::ALL {
            if let Some(h) = hint(k) {
                assert!(!h.contains("models.providers") && !h.contains("--"), "{h}");
            }
        }
    }
}

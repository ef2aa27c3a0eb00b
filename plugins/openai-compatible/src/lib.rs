/*!
The OpenAI-compatible provider plugin: chat (plain and streamed, with
attachments and JSON-schema answers), speech, image generation,
transcription and embeddings against any server that speaks OpenAI's HTTP
API: Ollama, vLLM, llama.cpp's server, LM Studio, LocalAI, or a hosted
service.

Model refs are `local/<model>`, sent to the server as `<model>` (the rest of
the ref, slashes included: `local/Qwen/Qwen2.5-7B-Instruct`; see
[`api_model`]). The base URL defaults to Ollama's `http://127.0.0.1:11434/v1`;
the key is optional (local servers need none) and, when set, is sent as a
Bearer token to the base URL only.

It is this provider's request shapes over the provider kit: the kit exports
the entry points (with the manifest, `manifest.toml`, embedded), runs every
call on the plugin's own runtime, sends and logs requests, classifies errors
([`API`]), reads chat answers and streams, and writes to the host's sink.
Modules: [`client`] (the client and the POSTs to the base URL), [`chat`],
[`image`], [`speech`], [`transcribe`], [`embed`].
*/

#![warn(missing_docs)]

pub mod chat;
pub mod client;
pub mod embed;
pub mod image;
pub mod speech;
pub mod transcribe;

use switchyard_provider_kit::api::ErrorKind;
use switchyard_provider_kit::errors::Api;
use switchyard_provider_kit::{export_provider, impl_provider};

/// The model-ref prefix this plugin serves.
pub const PREFIX: &str = "local/";

/// How this provider's errors read ("the server answered 404 Not Found:
/// ..."), with its own hints (never a host flag or config key: the host
/// adds those itself).
pub const API: Api = Api::new("the server").with_hint(hint);

/// The sentence added to an error of `kind`, if any (see [`API`]).
fn hint(kind: ErrorKind) -> Option<&'static str> {
    match kind {
        ErrorKind::AUTH => Some("Check the API key; local servers usually need no key."),
        ErrorKind::MODEL_UNAVAILABLE => Some(
            "Check that the server serves this model: the model ref is local/<the server's model name> (e.g. `ollama list`).",
        ),
        ErrorKind::NETWORK => {
            Some("Is the server running, and is the base URL the one it listens on?")
        }
        _ => None,
    }
}

/// The model name the server knows for a model ref (`local/x` -> `x`; the
/// prefix in any case, as the host routes refs case-insensitively).
pub fn api_model(model_ref: &str) -> &str {
    match (model_ref.get(..PREFIX.len()), model_ref.get(PREFIX.len()..)) {
        (Some(p), Some(rest)) if p.eq_ignore_ascii_case(PREFIX) => rest,
        _ => model_ref,
    }
}

/// The OpenAI-compatible provider.
pub struct OpenAiCompatible;

impl_provider!(OpenAiCompatible {
    chat => chat::chat,
    image => image::image,
    speech => speech::speech,
    transcribe => transcribe::transcribe,
    embed => embed::embed,
});

export_provider!(
    OpenAiCompatible,
    OpenAiCompatible,
    include_str!("../manifest.toml")
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_refs_lose_only_the_prefix() {
        assert_eq!(api_model("local/llama3.2"), "llama3.2");
        assert_eq!(api_model("LOCAL/llama3.2"), "llama3.2");
        assert_eq!(
            api_model("local/Qwen/Qwen2.5-7B-Instruct"),
            "Qwen/Qwen2.5-7B-Instruct"
        );
        assert_eq!(api_model("llama3.2"), "llama3.2");
        assert_eq!(api_model("loc"), "loc");
        assert_eq!(api_model("localé/x"), "localé/x");
    }

    #[test]
    fn hints_name_no_host_setting() {
        for (k, _) in ErrorKind::ALL {
            if let Some(h) = hint(k) {
                assert!(
                    !h.contains("models.providers")
                        && !h.contains("--")
                        && !h.contains("API_KEY")
                        && !h.contains("baseUrl"),
                    "{h}"
                );
            }
        }
    }

    #[test]
    fn the_embedded_manifest_is_this_plugin_on_api_2() {
        let m = include_str!("../manifest.toml");
        for line in [
            "id = \"openai-compatible\"",
            "plugin_api = \"^2.0\"",
            "library = \"switchyard_openai_compatible\"",
            "model_prefix = \"local/\"",
            "capabilities = [\"chat\", \"image\", \"speech\", \"transcribe\", \"embed\"]",
            &format!("version = \"{}\"", env!("CARGO_PKG_VERSION")),
        ] {
            assert!(m.lines().any(|l| l == line), "{line}");
        }
        for r in m.lines().filter_map(|l| l.strip_prefix("ref = \"")) {
            assert!(r.starts_with(PREFIX), "{r}");
        }
    }
}

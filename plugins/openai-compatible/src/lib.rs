/*!
The OpenAI-compatible provider plugin: chat (plain and streamed), speech and
image generation against any server that speaks OpenAI's HTTP API: Ollama,
vLLM, llama.cpp's server, LM Studio, LocalAI, or a hosted service.

Model refs are `local/<model>`, sent to the server as `<model>` (the rest of
the ref, slashes included: `local/Qwen/Qwen2.5-7B-Instruct`). The base URL
is `models.providers.openai-compatible.baseUrl`, by default Ollama's
`http://127.0.0.1:11434/v1`; the key is optional (local servers need none)
and, when set, is sent as a Bearer token to the base URL only.

It depends only on `switchyard-plugin-api` and a few third-party crates.
Every entry point is blocking for the host and runs its work on this
library's own tokio runtime ([`runtime`]); errors are classified by one
module ([`errors`]).
*/

#![warn(missing_docs)]

pub mod chat;
pub mod client;
pub mod errors;
pub mod media;
pub mod runtime;

use switchyard_plugin_api::*;

/// This plugin's id (must match `manifests/openai-compatible.toml`).
pub const ID: &str = "openai-compatible";

/// The model-ref prefix this plugin serves.
pub const PREFIX: &str = "local/";

/// Capabilities this plugin implements.
pub const CAPABILITIES: [&str; 3] = [CAP_CHAT, CAP_IMAGE, CAP_SPEECH];

/// Models this plugin describes, with their capabilities. The manifest lists
/// the same models (with limits); any other `local/<model>` works too.
pub const MODELS: &[(&str, &[&str])] = &[
    ("local/llama3.2", &[CAP_CHAT]),
    ("local/qwen2.5", &[CAP_CHAT]),
    ("local/gpt-image-1", &[CAP_IMAGE]),
    ("local/tts-1", &[CAP_SPEECH]),
];

/// The model name the server knows for a model ref (`local/x` -> `x`).
pub fn api_model(model_ref: &str) -> &str {
    match model_ref.get(..PREFIX.len()) {
        Some(p) if p.eq_ignore_ascii_case(PREFIX) => &model_ref[PREFIX.len()..],
        _ => model_ref,
    }
}

fn strings(items: &[&str]) -> RVec<RString> {
    items.iter().map(|c| RString::from(*c)).collect()
}

/// The OpenAI-compatible provider.
pub struct OpenAiCompatible;

impl Provider for OpenAiCompatible {
    fn describe(&self) -> PluginDescription {
        PluginDescription {
            id: ID.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            plugin_api: PLUGIN_API_VERSION.into(),
            capabilities: strings(&CAPABILITIES),
            models: MODELS
                .iter()
                .map(|(r, caps)| ModelDescription {
                    model_ref: (*r).into(),
                    capabilities: strings(caps),
                })
                .collect(),
        }
    }

    fn chat(
        &self,
        req: &ChatRequest,
        ctx: &CallContext,
        host: &HostRef<'_>,
    ) -> Result<ChatResponse, PluginError> {
        runtime::run(host, ctx.timeout_ms, chat::chat(req, ctx, host))
    }

    fn image(
        &self,
        req: &ImageRequest,
        ctx: &CallContext,
        host: &HostRef<'_>,
    ) -> Result<ImageResponse, PluginError> {
        runtime::run(host, ctx.timeout_ms, media::image(req, ctx, host))
    }

    fn speech(
        &self,
        req: &SpeechRequest,
        ctx: &CallContext,
        host: &HostRef<'_>,
    ) -> Result<SpeechResponse, PluginError> {
        runtime::run(host, ctx.timeout_ms, media::speech(req, ctx, host))
    }
}

export_provider!(OpenAiCompatible, OpenAiCompatible);

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
    }

    #[test]
    fn description_lists_every_model_with_declared_capabilities() {
        let d = OpenAiCompatible.describe();
        assert_eq!(d.id.as_str(), ID);
        assert_eq!(d.models.len(), MODELS.len());
        for m in d.models.iter() {
            for c in m.capabilities.iter() {
                assert!(CAPABILITIES.contains(&c.as_str()));
            }
        }
    }
}

/*!
The OpenRouter provider plugin: chat (plain and streamed), image generation
through chat completions, asynchronous video generation and text-to-speech,
all against OpenRouter's HTTP API (`https://openrouter.ai/api/v1`, or the
base URL the host passes, such as the project's fake server).

It depends only on `switchyard-plugin-api`. Every entry point is blocking
for the host and runs its work on this library's own tokio runtime
([`runtime`]); the host's runtime never crosses the boundary. Errors are
classified into the API's typed kinds by one table ([`errors`]).
*/

pub mod catalog;
pub mod chat;
pub mod client;
pub mod errors;
pub mod runtime;
pub mod speech;
pub mod video;

use switchyard_plugin_api::*;

/// This plugin's id (must match `manifests/openrouter.toml`).
pub const ID: &str = "openrouter";

/// Models this plugin knows, with their capabilities. The manifest lists the
/// same models with their limits; the host checks the two agree.
pub const MODELS: &[(&str, &[&str])] = &[
    ("openrouter/auto", &[CAP_CHAT]),
    ("openrouter/moonshotai/kimi-k2.6", &[CAP_CHAT]),
    ("openrouter/openai/gpt-4o-mini", &[CAP_CHAT]),
    ("openrouter/anthropic/claude-sonnet-4.5", &[CAP_CHAT]),
    (
        "openrouter/google/gemini-3.1-flash-image-preview",
        &[CAP_CHAT, CAP_IMAGE],
    ),
    (
        "openrouter/google/gemini-2.5-flash-image",
        &[CAP_CHAT, CAP_IMAGE],
    ),
    ("openrouter/google/veo-3.1-fast", &[CAP_VIDEO]),
    ("openrouter/google/veo-3.1", &[CAP_VIDEO]),
    ("openrouter/google/veo-3.1-lite", &[CAP_VIDEO]),
    ("openrouter/hexgrad/kokoro-82m", &[CAP_SPEECH]),
    (
        "openrouter/openai/gpt-4o-mini-tts-2025-12-15",
        &[CAP_SPEECH],
    ),
];

/// The OpenRouter provider.
pub struct OpenRouter;

impl Provider for OpenRouter {
    fn describe(&self) -> PluginDescription {
        PluginDescription {
            id: ID.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            plugin_api: PLUGIN_API_VERSION.into(),
            capabilities: ALL_CAPABILITIES.iter().map(|c| RString::from(*c)).collect(),
            models: MODELS
                .iter()
                .map(|(r, caps)| ModelDescription {
                    model_ref: (*r).into(),
                    capabilities: caps.iter().map(|c| RString::from(*c)).collect(),
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
        runtime::run(host, ctx.timeout_ms, chat::image(req, ctx, host))
    }

    fn speech(
        &self,
        req: &SpeechRequest,
        ctx: &CallContext,
        host: &HostRef<'_>,
    ) -> Result<SpeechResponse, PluginError> {
        runtime::run(host, ctx.timeout_ms, speech::speech(req, ctx, host))
    }

    fn video_submit(
        &self,
        req: &VideoRequest,
        ctx: &CallContext,
        host: &HostRef<'_>,
    ) -> Result<VideoJob, PluginError> {
        runtime::run(host, 120_000, video::submit(req, ctx, host))
    }

    fn video_wait(
        &self,
        job: &VideoJob,
        ctx: &CallContext,
        host: &HostRef<'_>,
    ) -> Result<VideoResponse, PluginError> {
        runtime::run(host, ctx.timeout_ms, video::wait(job, ctx, host)).map_err(|mut e| {
            if e.job_id.is_none() {
                e.job_id = ROption::RSome(job.id.clone());
            }
            if e.kind == ErrorKind::TIMEOUT && e.status.is_none() {
                e.message = format!(
                    "job {} did not finish within the timeout ({} s); it keeps running at OpenRouter",
                    job.id,
                    ctx.timeout_ms as f64 / 1000.0
                )
                .into();
            }
            e
        })
    }

    fn video_status(
        &self,
        job: &VideoJob,
        ctx: &CallContext,
        host: &HostRef<'_>,
    ) -> Result<VideoJobState, PluginError> {
        runtime::run(host, 60_000, video::status_once(job, ctx, host))
    }

    fn catalog(&self, ctx: &CallContext, host: &HostRef<'_>) -> Result<String, PluginError> {
        runtime::run(host, 120_000, catalog::fetch(ctx, host))
    }

    fn check_key(&self, ctx: &CallContext, host: &HostRef<'_>) -> Result<KeyStatus, PluginError> {
        runtime::run(host, 60_000, client::check_key(ctx, host))
    }
}

export_provider!(OpenRouter, OpenRouter);

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
            api_model("openrouter/moonshotai/kimi-k2.6"),
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
}

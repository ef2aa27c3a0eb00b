/*!
A complete switchyard provider plugin in one file: chat (plain and streamed)
and speech against any OpenAI-compatible server (Ollama, vLLM, llama.cpp,
LM Studio, a hosted API), model refs `template/<model>`.

Copy this crate to start a plugin of your own; `docs/plugin-authors.md`
walks through it section by section.
The provider kit does the plumbing: it exports the entry points with
`manifest/template.toml` embedded, runs each call on the plugin's own
runtime (ended by the deadline or the user's Ctrl-C), keeps one pooled HTTP
client, caps every read, and turns each failure into a typed error.
*/

use serde_json::json;
use std::time::Duration;
use switchyard_provider_kit::api::doc::*;
use switchyard_provider_kit::api::{ErrorKind, PluginError};
use switchyard_provider_kit::errors::{Api, Endpoint};
use switchyard_provider_kit::sink::{self, Meter};
use switchyard_provider_kit::{export_provider, http, openai, Call, Provider};

/// How this provider's errors read in messages, with a hint per kind.
const API: Api = Api::new("the server").with_hint(hint);

/// A sentence added to errors of a kind (never a switchyard flag or key).
fn hint(kind: ErrorKind) -> Option<&'static str> {
    match kind {
        ErrorKind::NETWORK => Some("Is the server running at the configured base URL?"),
        ErrorKind::MODEL_UNAVAILABLE => Some("Check that the server serves this model."),
        _ => None,
    }
}

/// The largest answer read into memory (audio streams to the sink instead).
const ANSWER_CAP: usize = 16 * 1024 * 1024;

/// The provider. It holds no state: the kit keeps the runtime and clients.
pub struct Template;

/// The model name the server knows: `template/llama3.2` -> `llama3.2`.
fn api_model(model_ref: &str) -> &str {
    model_ref.strip_prefix("template/").unwrap_or(model_ref)
}

/// `POST <base URL>/<path>` with a JSON body and the key (when one is set).
async fn post(
    call: &Call<'_>,
    path: &str,
    body: &serde_json::Value,
    what: &str,
) -> Result<reqwest::Response, PluginError> {
    let ctx = call.ctx();
    let read_timeout = http::read_timeout(ctx, Duration::from_secs(120));
    let client = http::client("switchyard-plugin-template", read_timeout)?;
    let request = client
        .post(http::endpoint(ctx, path)?)
        .headers(http::bearer(ctx)?)
        .json(body);
    http::send(call, &API, request, what, Endpoint::Model).await
}

impl Provider for Template {
    /// Chat: the whole answer, or each piece as it arrives when streamed.
    async fn chat(&self, req: ChatRequest, call: &Call<'_>) -> Result<ChatResponse, PluginError> {
        let body = openai::chat_body(&req, api_model(&req.model))?;
        let resp = post(call, "chat/completions", &body, "chat completion").await?;
        if req.stream && http::content_type(&resp) == "text/event-stream" {
            return openai::stream_chat(&API, call, &req, resp, |_chunk| {}).await;
        }
        let answer = http::read_json(call, resp, ANSWER_CAP, "chat").await?;
        openai::parse_chat(&API, call, &req, &answer)
    }

    /// Speech: the audio is streamed to the host's output 0 as it arrives.
    async fn speech(
        &self,
        req: SpeechRequest,
        call: &Call<'_>,
    ) -> Result<SpeechResponse, PluginError> {
        let mut body = json!({
            "model": api_model(&req.model),
            "input": req.input,
            "voice": req.voice.as_deref().unwrap_or("alloy"),
            "response_format": req.format,
        });
        if let Some(speed) = req.speed {
            body["speed"] = json!(speed);
        }
        openai::apply_params(&mut body, &req.params)?;
        let resp = post(call, "audio/speech", &body, "speech").await?;
        let media_type = http::content_type(&resp);
        if media_type.contains("json") || media_type.starts_with("text/") {
            return Err(sink::not_media(&API, resp, &media_type, "speech", "audio").await);
        }
        let mut meter = Meter::new("");
        let bytes =
            sink::stream_to_sink(resp, call.host(), 0, &media_type, "speech", &mut meter).await?;
        Ok(SpeechResponse {
            media_type,
            bytes,
            ..Default::default()
        })
    }
}

export_provider!(
    Template,
    Template,
    include_str!("../manifest/template.toml")
);

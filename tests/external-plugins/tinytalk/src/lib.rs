/*!
A provider plugin for TinyTalk, an API that is not OpenAI's:

- `POST <base>/generate` `{"model", "text"}` answers `{"reply", "tokens"}`;
- `POST <base>/voice` `{"model", "say", "voice"}` answers MP3 bytes;
- errors are `{"problem": "..."}` with an HTTP status; the key goes in
  `X-TinyTalk-Key`.

The kit still does the plumbing: the entry points, the runtime, sends with
`-v` logging and classification (the status decides the kind; `problem` is
the message), capped reads, streaming audio to the host's sink.
*/

use serde_json::{json, Value};
use std::time::Duration;
use switchyard_provider_kit::api::doc::*;
use switchyard_provider_kit::api::{ErrorKind, PluginError};
use switchyard_provider_kit::errors::{Api, Endpoint};
use switchyard_provider_kit::sink::{self, Meter};
use switchyard_provider_kit::{export_provider, http, Call, Provider};

const API: Api = Api::new("TinyTalk");

/// The TinyTalk provider.
pub struct TinyTalk;

fn model(model_ref: &str) -> &str {
    model_ref.strip_prefix("tinytalk/").unwrap_or(model_ref)
}

/// A TinyTalk error body (`{"problem": "..."}`) as the message of a typed error.
fn problem(e: PluginError, body: &[u8]) -> PluginError {
    match serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("problem").cloned())
    {
        Some(Value::String(p)) => PluginError {
            message: format!("TinyTalk: {p}").into(),
            ..e
        },
        _ => e,
    }
}

async fn post(
    call: &Call<'_>,
    path: &str,
    body: &Value,
    what: &str,
) -> Result<reqwest::Response, PluginError> {
    let ctx = call.ctx();
    let client = http::client(
        "switchyard-tinytalk",
        http::read_timeout(ctx, Duration::from_secs(30)),
    )?;
    let mut req = client.post(http::endpoint(ctx, path)?).json(body);
    if let Some(key) = &ctx.api_key {
        req = req.header("X-TinyTalk-Key", key.as_str());
    }
    let resp = http::send(
        call,
        &API,
        req.header("Accept", "application/json, audio/mpeg"),
        what,
        Endpoint::Model,
    )
    .await?;
    Ok(resp)
}

impl Provider for TinyTalk {
    async fn chat(&self, req: ChatRequest, call: &Call<'_>) -> Result<ChatResponse, PluginError> {
        let text = req
            .messages
            .iter()
            .map(|m| m.content.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        if text.trim().is_empty() {
            return Err(PluginError::new(
                ErrorKind::INVALID_INPUT,
                "TinyTalk needs some text to answer",
            ));
        }
        let resp = post(
            call,
            "generate",
            &json!({"model": model(&req.model), "text": text}),
            "generate",
        )
        .await?;
        let v = http::read_json(call, resp, 1 << 20, "generate").await?;
        let reply = v.get("reply").and_then(Value::as_str).ok_or_else(|| {
            problem(
                PluginError::new(ErrorKind::UPSTREAM, "TinyTalk answered without a reply"),
                v.to_string().as_bytes(),
            )
        })?;
        if req.stream {
            call.host().text(reply.into());
        }
        Ok(ChatResponse {
            text: reply.to_string(),
            model: req.model,
            finish_reason: "stop".into(),
            usage: Usage {
                completion_tokens: v.get("tokens").and_then(Value::as_u64),
                ..Default::default()
            },
            ..Default::default()
        })
    }

    async fn speech(
        &self,
        req: SpeechRequest,
        call: &Call<'_>,
    ) -> Result<SpeechResponse, PluginError> {
        let body = json!({"model": model(&req.model), "say": req.input, "voice": req.voice.as_deref().unwrap_or("plain")});
        let resp = post(call, "voice", &body, "voice").await?;
        let media_type = http::content_type(&resp);
        if media_type != "audio/mpeg" {
            return Err(sink::not_media(&API, resp, &media_type, "voice", "audio").await);
        }
        let bytes = sink::stream_to_sink(
            resp,
            call.host(),
            0,
            &media_type,
            "voice",
            &mut Meter::new(""),
        )
        .await?;
        Ok(SpeechResponse {
            media_type,
            bytes,
            ..Default::default()
        })
    }
}

export_provider!(TinyTalk, TinyTalk, include_str!("../manifest.toml"));

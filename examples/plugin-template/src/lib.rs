/*!
A complete switchyard provider plugin in one file: chat and speech against
any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio, a hosted
API), model refs `template/<model>`.

Copy this crate to start a plugin of your own; `docs/plugin-authors.md` in
the switchyard repository walks through it section by section. Each entry
point is blocking for the host: it starts a small tokio runtime of its own,
runs the request on it, and gives up when the host cancels the call or its
deadline passes. Every failure becomes a typed [`PluginError`].
*/

use serde_json::{json, Value};
use std::future::Future;
use std::time::Duration;
use switchyard_plugin_api::*;

/// The provider. It holds no state: each call builds what it needs.
pub struct Template;

impl Provider for Template {
    fn describe(&self) -> PluginDescription {
        let chat = RVec::from(vec![RString::from(CAP_CHAT)]);
        PluginDescription {
            id: "template".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            plugin_api: PLUGIN_API_VERSION.into(),
            capabilities: RVec::from(vec![RString::from(CAP_CHAT), RString::from(CAP_SPEECH)]),
            models: RVec::from(vec![ModelDescription {
                model_ref: "template/llama3.2".into(),
                capabilities: chat,
            }]),
        }
    }

    fn chat(
        &self,
        req: &ChatRequest,
        ctx: &CallContext,
        host: &HostRef<'_>,
    ) -> Result<ChatResponse, PluginError> {
        block_on(host, ctx.timeout_ms, run_chat(req, ctx, host))
    }

    fn speech(
        &self,
        req: &SpeechRequest,
        ctx: &CallContext,
        host: &HostRef<'_>,
    ) -> Result<SpeechResponse, PluginError> {
        block_on(host, ctx.timeout_ms, run_speech(req, ctx, host))
    }
}

export_provider!(Template, Template);

/// Runs `work` on a runtime of this plugin's own, until it ends, the host
/// cancels (checked every 100 ms) or `timeout_ms` passes (0: no deadline).
fn block_on<T>(
    host: &HostRef<'_>,
    timeout_ms: u64,
    work: impl Future<Output = Result<T, PluginError>>,
) -> Result<T, PluginError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| PluginError::new(ErrorKind::INTERNAL, format!("no runtime: {e}")))?;
    runtime.block_on(async {
        let cancelled = async {
            while !host.is_cancelled() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        tokio::select! {
            result = work => result,
            () = cancelled => Err(PluginError::cancelled()),
            () = tokio::time::sleep(Duration::from_millis(timeout_ms)), if timeout_ms > 0 => {
                Err(PluginError::new(ErrorKind::TIMEOUT, "the call's deadline passed"))
            }
        }
    })
}

/// The model name the server knows: `template/llama3.2` -> `llama3.2`.
fn model_name(model_ref: &str) -> &str {
    model_ref.strip_prefix("template/").unwrap_or(model_ref)
}

/// A transport failure: no connection, a timeout, a body cut short.
fn network(e: reqwest::Error) -> PluginError {
    let kind = if e.is_timeout() {
        ErrorKind::TIMEOUT
    } else if e.is_builder() {
        ErrorKind::INVALID_INPUT
    } else if e.is_decode() {
        ErrorKind::UPSTREAM
    } else {
        ErrorKind::NETWORK
    };
    PluginError::new(kind, format!("request to the server failed: {e}"))
}

/// A non-2xx answer: the status decides the kind; an OpenAI-style body
/// `{"error": {"message", "type", "code"}}` sharpens it and names the cause.
fn http_error(status: u16, body: &[u8]) -> PluginError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let err = &v["error"];
    let code = err["code"].as_str().or(err["type"].as_str());
    let kind = match code {
        Some("context_length_exceeded") => ErrorKind::CONTEXT_LENGTH,
        Some("insufficient_quota") => ErrorKind::BILLING,
        Some("model_not_found") => ErrorKind::MODEL_UNAVAILABLE,
        _ if status == 404 => ErrorKind::MODEL_UNAVAILABLE,
        _ => ErrorKind::from_http_status(status),
    };
    let message = err["message"]
        .as_str()
        .or(err.as_str())
        .unwrap_or("no details");
    let e = PluginError::new(kind, format!("the server answered {status}: {message}"));
    match code {
        Some(code) => e.with_status(status).with_provider_code(code),
        None => e.with_status(status),
    }
}

/// `POST {base_url}/{path}` with the key, when one is configured.
async fn post(
    ctx: &CallContext,
    path: &str,
    body: &Value,
) -> Result<reqwest::Response, PluginError> {
    let url = format!("{}/{path}", ctx.base_url.trim_end_matches('/'));
    let client = reqwest::Client::builder().build().map_err(network)?;
    let mut request = client.post(url).json(body);
    if let ROption::RSome(key) = &ctx.api_key {
        request = request.bearer_auth(key.as_str());
    }
    let response = request.send().await.map_err(network)?;
    let status = response.status().as_u16();
    if response.status().is_success() {
        return Ok(response);
    }
    let body = response.bytes().await.unwrap_or_default();
    Err(http_error(status, &body))
}

/// Chat completion. The answer comes back whole; when the host asked for a
/// stream it is handed over as one text delta.
async fn run_chat(
    req: &ChatRequest,
    ctx: &CallContext,
    host: &HostRef<'_>,
) -> Result<ChatResponse, PluginError> {
    if req.messages.is_empty() {
        return Err(PluginError::new(ErrorKind::INVALID_INPUT, "no messages"));
    }
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|m| json!({"role": m.role.as_str(), "content": m.content.as_str()}))
        .collect();
    let mut body = json!({"model": model_name(&req.model), "messages": messages});
    if let ROption::RSome(n) = req.max_tokens {
        body["max_tokens"] = json!(n);
    }
    if let ROption::RSome(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    let v: Value = post(ctx, "chat/completions", &body)
        .await?
        .json()
        .await
        .map_err(network)?;
    let Some(text) = v["choices"][0]["message"]["content"].as_str() else {
        let what = "the answer has no choices[0].message.content";
        return Err(PluginError::new(ErrorKind::UPSTREAM, what));
    };
    if req.stream {
        host.text(text.into());
    }
    Ok(ChatResponse {
        text: text.into(),
        model: v["model"].as_str().unwrap_or(&req.model).into(),
        finish_reason: v["choices"][0]["finish_reason"]
            .as_str()
            .unwrap_or("")
            .into(),
        usage: Usage {
            prompt_tokens: v["usage"]["prompt_tokens"].as_u64().into(),
            completion_tokens: v["usage"]["completion_tokens"].as_u64().into(),
            total_tokens: v["usage"]["total_tokens"].as_u64().into(),
            cost: ROption::RNone,
        },
        generation_id: v["id"].as_str().map(RString::from).into(),
    })
}

/// Text-to-speech. The audio goes to the host's sink piece by piece as it
/// arrives, with a progress report per piece, so memory stays flat.
async fn run_speech(
    req: &SpeechRequest,
    ctx: &CallContext,
    host: &HostRef<'_>,
) -> Result<SpeechResponse, PluginError> {
    let voice = req.voice.as_ref().map_or("alloy", |v| v.as_str());
    let body = json!({"model": model_name(&req.model), "input": req.input.as_str(),
        "voice": voice, "response_format": req.format.as_str()});
    let mut response = post(ctx, "audio/speech", &body).await?;
    let media_type = match response.headers().get("content-type") {
        Some(v) => v.to_str().unwrap_or("audio/mpeg").to_string(),
        None => "audio/mpeg".to_string(),
    };
    let total = response.content_length();
    host.open_output(0, media_type.as_str().into(), total.into())
        .into_result()?;
    let mut progress = Progress::new(Stage::DOWNLOADING);
    progress.total_bytes = total.into();
    while let Some(piece) = response.chunk().await.map_err(network)? {
        host.write_output(0, piece.as_ref().into()).into_result()?;
        progress.bytes += piece.len() as u64;
        host.progress(&progress);
    }
    Ok(SpeechResponse {
        media_type: media_type.into(),
        bytes: progress.bytes,
        generation_id: ROption::RNone,
    })
}

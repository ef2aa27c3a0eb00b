/*!
The OpenAI chat-completions wire format, which OpenRouter, Ollama, vLLM,
llama.cpp, LM Studio and most hosted APIs speak: the request body
([`chat_body`], [`apply_params`]), the answer ([`parse_chat`]) and the SSE
stream ([`stream_chat`]), including the ways an error arrives inside a 200
answer (a top-level `error`, `finish_reason: "error"`, a mid-stream error
chunk). Answers are read leniently: unknown fields and finish reasons pass.
*/

use crate::errors::Api;
use crate::http::transport_error;
use crate::provider::Call;
use crate::sse::SseParser;
use serde_json::{json, Value};
use switchyard_plugin_api::doc::{ChatRequest, ChatResponse, Params, Usage};
use switchyard_plugin_api::{ErrorKind, PluginError};

/// Token counts (and OpenRouter's `cost`) of a `usage` object.
pub fn usage_of(v: &Value) -> Usage {
    let g = |k: &str| v.get(k).and_then(Value::as_u64);
    Usage {
        prompt_tokens: g("prompt_tokens"),
        completion_tokens: g("completion_tokens"),
        total_tokens: g("total_tokens"),
        cost: v.get("cost").and_then(Value::as_f64),
    }
}

/// Merges `--param KEY=JSON` values into a request body (top-level keys;
/// a param wins over a field the plugin set). A value that is not JSON is
/// refused naming its key.
pub fn apply_params(body: &mut Value, params: &Params) -> Result<(), PluginError> {
    for (k, text) in params {
        let v: Value = serde_json::from_str(text).map_err(|e| {
            PluginError::new(
                ErrorKind::INVALID_INPUT,
                format!("parameter {k:?}: {text:?} is not JSON ({e})"),
            )
        })?;
        if let Some(obj) = body.as_object_mut() {
            obj.insert(k.clone(), v);
        }
    }
    Ok(())
}

/// The `/chat/completions` body for `req`, with the model named `api_model`.
/// Streams ask for usage in the last chunk (`stream_options.include_usage`).
pub fn chat_body(req: &ChatRequest, api_model: &str) -> Result<Value, PluginError> {
    if req.messages.is_empty() {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            "a chat needs at least one message",
        ));
    }
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|m| json!({"role": m.role, "content": m.content}))
        .collect();
    let mut body = json!({"model": api_model, "messages": messages});
    if req.stream {
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
    }
    if let Some(n) = req.max_tokens {
        body["max_tokens"] = json!(n);
    }
    if let Some(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    apply_params(&mut body, &req.params)?;
    Ok(body)
}

fn malformed(api: &Api, what: &str) -> PluginError {
    PluginError::new(
        ErrorKind::UPSTREAM,
        format!("{} sent a malformed chat answer: {what}", api.name),
    )
}

/// The error a 200 answer or chunk carries, if any.
pub fn inline_error(api: &Api, v: &Value) -> Option<PluginError> {
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        return Some(api.classify_inline(err));
    }
    let c0 = v.get("choices")?.get(0)?;
    if c0.get("finish_reason").and_then(Value::as_str) == Some("error") {
        let err = c0
            .get("error")
            .cloned()
            .unwrap_or(json!({"message": "the model stopped with an error"}));
        return Some(api.classify_inline(&err));
    }
    None
}

/// Reads a non-streamed answer. With `req.stream` (a server that did not
/// stream), the whole text goes to the host as one delta.
pub fn parse_chat(
    api: &Api,
    call: &Call<'_>,
    req: &ChatRequest,
    v: &Value,
) -> Result<ChatResponse, PluginError> {
    if let Some(e) = inline_error(api, v) {
        return Err(e);
    }
    let c0 = v
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| malformed(api, "no choices"))?;
    let text = c0
        .pointer("/message/content")
        .and_then(Value::as_str)
        .unwrap_or("");
    if req.stream && !text.is_empty() {
        call.host().text(text.into());
    }
    Ok(ChatResponse {
        text: text.to_string(),
        model: v
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(&req.model)
            .to_string(),
        finish_reason: c0
            .get("finish_reason")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        usage: v.get("usage").map(usage_of).unwrap_or_default(),
        generation_id: v.get("id").and_then(Value::as_str).map(str::to_string),
    })
}

/// The state of a stream being read.
#[derive(Default)]
struct Streamed {
    answer: ChatResponse,
    done: bool,
}

impl Streamed {
    /// Takes one chunk: text deltas go to the host as they arrive.
    fn chunk(&mut self, api: &Api, call: &Call<'_>, v: &Value) -> Result<(), PluginError> {
        if let Some(e) = inline_error(api, v) {
            return Err(e);
        }
        let a = &mut self.answer;
        if let Some(m) = v.get("model").and_then(Value::as_str) {
            a.model = m.to_string();
        }
        if a.generation_id.is_none() {
            a.generation_id = v.get("id").and_then(Value::as_str).map(str::to_string);
        }
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            a.usage = usage_of(u);
        }
        let Some(c0) = v.get("choices").and_then(|c| c.get(0)) else {
            return Ok(());
        };
        if let Some(d) = c0.pointer("/delta/content").and_then(Value::as_str) {
            if !d.is_empty() {
                a.text.push_str(d);
                call.host().text(d.into());
            }
        }
        if let Some(f) = c0.get("finish_reason").and_then(Value::as_str) {
            a.finish_reason = f.to_string();
        }
        Ok(())
    }
}

/// Reads an SSE chat stream to `[DONE]`; each text delta goes to the host
/// as it arrives. `on_chunk` sees every parsed chunk first (for provider
/// extras). A stream that ends early is a `network` error saying how much
/// of the answer arrived.
pub async fn stream_chat(
    api: &Api,
    call: &Call<'_>,
    req: &ChatRequest,
    mut resp: reqwest::Response,
    mut on_chunk: impl FnMut(&Value),
) -> Result<ChatResponse, PluginError> {
    let mut parser = SseParser::new();
    let mut events = Vec::new();
    let mut s = Streamed::default();
    s.answer.model = req.model.clone();
    while !s.done {
        let chunk = match resp.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                let mut err = transport_error(&e, "chat stream");
                err.message = format!(
                    "{} after {} characters of the answer",
                    err.message,
                    s.answer.text.len()
                )
                .into();
                return Err(err);
            }
        };
        parser.feed(&chunk, &mut events);
        for ev in events.drain(..) {
            let data = ev.data.trim();
            if data == "[DONE]" {
                s.done = true;
                break;
            }
            if data.is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(data)
                .map_err(|_| malformed(api, "a stream chunk is not JSON"))?;
            on_chunk(&v);
            s.chunk(api, call, &v)?;
        }
    }
    if !s.done && s.answer.finish_reason.is_empty() {
        return Err(PluginError::new(
            ErrorKind::NETWORK,
            format!(
                "the chat stream ended before it was complete (after {} characters)",
                s.answer.text.len()
            ),
        ));
    }
    Ok(s.answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_plugin_api::doc::ChatMessage;

    #[test]
    fn body_asks_for_stream_usage_and_params_win() {
        let mut req = ChatRequest {
            model: "local/x".into(),
            messages: vec![ChatMessage::user("hi")],
            stream: true,
            max_tokens: Some(5),
            ..Default::default()
        };
        req.params.insert("top_k".into(), "40".into());
        req.params.insert("max_tokens".into(), "7".into());
        let b = chat_body(&req, "x").unwrap();
        assert_eq!(b["model"], "x");
        assert_eq!(b["stream_options"]["include_usage"], true);
        assert_eq!(b["max_tokens"], 7);
        assert_eq!(b["top_k"], 40);
        assert!(b.get("temperature").is_none());
        req.params.insert("seed".into(), "not json".into());
        let e = chat_body(&req, "x").unwrap_err();
        assert!(e.message.contains("\"seed\""), "{}", e.message);
    }
}

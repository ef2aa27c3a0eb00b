/*!
Chat completions (`POST <base>/chat/completions`), plain and streamed.

Streams are read with the API crate's SSE parser (`data: {chunk}` events,
ended by `data: [DONE]`); each content delta goes to `Host::text` as it
arrives. Usage is asked for with `stream_options.include_usage` (servers
that do not know it ignore it). An error inside a 200 answer, a JSON body
or an SSE chunk holding `error`, becomes a typed error; a stream that ends
before `[DONE]` or a finish reason is a network error, never a silently
truncated answer. A server that answers a streamed request with plain JSON
is accepted: the whole text is sent to `Host::text` at once.
*/

use crate::client::{self, transport_error};
use crate::errors;
use serde_json::{json, Value};
use switchyard_plugin_api::sse::SseParser;
use switchyard_plugin_api::*;

fn malformed(what: &str) -> PluginError {
    PluginError::new(
        ErrorKind::UPSTREAM,
        format!("the server sent a malformed chat answer: {what}"),
    )
}

fn usage_of(v: &Value) -> Usage {
    let g = |k: &str| v.get(k).and_then(Value::as_u64).into();
    Usage {
        prompt_tokens: g("prompt_tokens"),
        completion_tokens: g("completion_tokens"),
        total_tokens: g("total_tokens"),
        cost: ROption::RNone,
    }
}

fn opt_string(v: Option<&str>) -> ROption<RString> {
    v.map(RString::from).into()
}

/// The request body for `req`.
pub fn request_body(req: &ChatRequest) -> Value {
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|m| json!({"role": m.role.as_str(), "content": m.content.as_str()}))
        .collect();
    let mut body = json!({"model": crate::api_model(&req.model), "messages": messages});
    if req.stream {
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
    }
    if let ROption::RSome(n) = req.max_tokens {
        body["max_tokens"] = json!(n);
    }
    if let ROption::RSome(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    body
}

/// A chat completion; streamed through `Host::text` when asked.
pub async fn chat(
    req: &ChatRequest,
    ctx: &CallContext,
    host: &HostRef<'_>,
) -> Result<ChatResponse, PluginError> {
    if req.messages.is_empty() {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            "a chat needs at least one message",
        ));
    }
    let resp = client::post_json(
        ctx,
        host,
        "chat/completions",
        &request_body(req),
        "chat completion",
    )
    .await?;
    if req.stream && client::content_type(&resp) == "text/event-stream" {
        return stream(resp, req, host).await;
    }
    let v = client::read_json(resp, 64 * 1024 * 1024, "chat").await?;
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        return Err(errors::classify_inline(err));
    }
    let c0 = v
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| malformed("no choices"))?;
    let text = c0
        .pointer("/message/content")
        .and_then(Value::as_str)
        .unwrap_or("");
    if req.stream && !text.is_empty() {
        host.text(text.into());
    }
    Ok(ChatResponse {
        text: text.into(),
        model: v
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(&req.model)
            .into(),
        finish_reason: c0
            .get("finish_reason")
            .and_then(Value::as_str)
            .unwrap_or("")
            .into(),
        usage: v.get("usage").map(usage_of).unwrap_or_default(),
        generation_id: opt_string(v.get("id").and_then(Value::as_str)),
    })
}

/// Reads an SSE chat stream to its end.
async fn stream(
    mut resp: reqwest::Response,
    req: &ChatRequest,
    host: &HostRef<'_>,
) -> Result<ChatResponse, PluginError> {
    let mut parser = SseParser::new();
    let mut events = Vec::new();
    let mut text = String::new();
    let mut model = req.model.to_string();
    let mut finish = String::new();
    let mut usage = Usage::default();
    let mut id: Option<String> = None;
    let mut done = false;
    while !done {
        let chunk = match resp.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                let mut err = transport_error(&e, "chat stream");
                err.message = format!("{} after {} characters", err.message, text.len()).into();
                return Err(err);
            }
        };
        parser.feed(&chunk, &mut events);
        for ev in events.drain(..) {
            let data = ev.data.trim();
            if data == "[DONE]" {
                done = true;
                break;
            }
            if data.is_empty() {
                continue;
            }
            let v: Value =
                serde_json::from_str(data).map_err(|_| malformed("a stream chunk is not JSON"))?;
            if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
                return Err(errors::classify_inline(err));
            }
            if let Some(m) = v.get("model").and_then(Value::as_str) {
                model = m.to_string();
            }
            if id.is_none() {
                id = v.get("id").and_then(Value::as_str).map(str::to_string);
            }
            if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
                usage = usage_of(u);
            }
            let Some(c0) = v.get("choices").and_then(|c| c.get(0)) else {
                continue;
            };
            if let Some(d) = c0.pointer("/delta/content").and_then(Value::as_str) {
                if !d.is_empty() {
                    text.push_str(d);
                    host.text(d.into());
                }
            }
            if let Some(f) = c0.get("finish_reason").and_then(Value::as_str) {
                finish = f.to_string();
            }
        }
    }
    if !done && finish.is_empty() {
        return Err(PluginError::new(
            ErrorKind::NETWORK,
            format!(
                "the chat stream ended before it was complete (after {} characters)",
                text.len()
            ),
        ));
    }
    Ok(ChatResponse {
        text: text.into(),
        model: model.into(),
        finish_reason: finish.into(),
        usage,
        generation_id: opt_string(id.as_deref()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_strips_the_prefix_and_asks_for_stream_usage() {
        let req = ChatRequest {
            model: "local/Qwen/Qwen2.5-7B-Instruct".into(),
            messages: RVec::from(vec![ChatMessage {
                role: "user".into(),
                content: "hi".into(),
            }]),
            stream: true,
            max_tokens: ROption::RSome(5),
            temperature: ROption::RNone,
        };
        let b = request_body(&req);
        assert_eq!(b["model"], "Qwen/Qwen2.5-7B-Instruct");
        assert_eq!(b["stream_options"]["include_usage"], true);
        assert_eq!(b["max_tokens"], 5);
        assert!(b.get("temperature").is_none());
    }
}

/*!
The OpenAI chat-completions wire format, which OpenRouter, Ollama, vLLM,
llama.cpp, LM Studio and most hosted APIs speak: the request body
([`chat_body`], [`chat_body_with`], [`apply_params`]), the answer
([`parse_chat`]) and the SSE stream ([`stream_chat`]), including the ways
an error arrives inside a 200 answer (a top-level `error`,
`finish_reason: "error"`, a mid-stream error chunk). Answers are read
leniently: unknown fields and finish reasons pass.

Since plugin API 2.1 a request may carry attachments
([`ChatMessage::parts`](switchyard_plugin_api::doc::ChatMessage::parts)),
a JSON-schema answer format and a reasoning effort; [`chat_body_with`]
maps them to OpenAI's content parts:

| Part kind | Content part |
|---|---|
| `image` | `{"type":"image_url","image_url":{"url": <http(s) or data URL>}}` |
| `audio` | `{"type":"input_audio","input_audio":{"data": <base64>,"format": <wav, mp3, ...>}}` |
| `file` | `{"type":"file","file":{"filename": <name>,"file_data": <data URL or URL>}}` |

`response_format` becomes `{"type":"json_schema","json_schema":{"name","strict","schema"}}`
and `reasoning` becomes `reasoning_effort` (OpenAI's spelling; a provider
with its own, such as OpenRouter's `reasoning: {effort}`, rewrites it).
*/

use crate::errors::Api;
use crate::http::transport_error;
use crate::provider::Call;
use crate::sse::SseParser;
use serde_json::{json, Value};
use switchyard_plugin_api::doc::{
    part_kind, ChatMessage, ChatRequest, ChatResponse, ContentPart, Input, JsonSchema, Params,
    Usage,
};
use switchyard_plugin_api::{ErrorKind, PluginError};

/// Token counts (and OpenRouter's `cost`) of a `usage` object. The
/// `input_tokens` / `output_tokens` spelling (OpenAI's image and audio
/// APIs) is read when the chat spelling is absent.
pub fn usage_of(v: &Value) -> Usage {
    let g = |k: &str| v.get(k).and_then(Value::as_u64);
    Usage {
        prompt_tokens: g("prompt_tokens").or_else(|| g("input_tokens")),
        completion_tokens: g("completion_tokens").or_else(|| g("output_tokens")),
        total_tokens: g("total_tokens"),
        cost: v.get("cost").and_then(Value::as_f64),
    }
}

/// Adds `more` to `total`, field by field (a field stays `None` only when
/// both are `None`): the usage of a request sent in several pieces.
pub fn add_usage(total: &mut Usage, more: &Usage) {
    fn sum<T: std::ops::Add<Output = T> + Copy>(a: Option<T>, b: Option<T>) -> Option<T> {
        match (a, b) {
            (Some(x), Some(y)) => Some(x + y),
            (x, y) => x.or(y),
        }
    }
    total.prompt_tokens = sum(total.prompt_tokens, more.prompt_tokens);
    total.completion_tokens = sum(total.completion_tokens, more.completion_tokens);
    total.total_tokens = sum(total.total_tokens, more.total_tokens);
    total.cost = sum(total.cost, more.cost);
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

fn invalid(message: String) -> PluginError {
    PluginError::new(ErrorKind::INVALID_INPUT, message)
}

/// The `/chat/completions` body for `req`, with the model named `api_model`.
/// Streams ask for usage in the last chunk (`stream_options.include_usage`).
///
/// Attachments must be http(s) URLs here (there is no call to read local
/// files from); [`chat_body_with`] takes local files too.
pub fn chat_body(req: &ChatRequest, api_model: &str) -> Result<Value, PluginError> {
    build_chat_body(req, api_model, None)
}

/// [`chat_body`] with the call, so attachments may be local files (sent
/// as data URLs or base64, see the module's table).
pub fn chat_body_with(
    req: &ChatRequest,
    api_model: &str,
    call: &Call<'_>,
) -> Result<Value, PluginError> {
    build_chat_body(req, api_model, Some(call))
}

fn build_chat_body(
    req: &ChatRequest,
    api_model: &str,
    call: Option<&Call<'_>>,
) -> Result<Value, PluginError> {
    if req.messages.is_empty() {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            "a chat needs at least one message",
        ));
    }
    let messages = req
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| message(i, m, call))
        .collect::<Result<Vec<Value>, PluginError>>()?;
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
    if let Some(f) = &req.response_format {
        body["response_format"] = response_format(f)?;
    }
    if let Some(r) = reasoning_effort(req)? {
        body["reasoning_effort"] = json!(r);
    }
    apply_params(&mut body, &req.params)?;
    Ok(body)
}

/// The reasoning effort asked for (`low`, `medium`, `high`, ...), trimmed
/// and lowercased; `None` when not asked. An empty value is refused.
pub fn reasoning_effort(req: &ChatRequest) -> Result<Option<String>, PluginError> {
    match req.reasoning.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Err(invalid("the reasoning effort is empty".into())),
        Some(r) => Ok(Some(r.to_ascii_lowercase())),
    }
}

/// One message: a string `content`, or (with attachments) an array of
/// parts, the text first.
fn message(i: usize, m: &ChatMessage, call: Option<&Call<'_>>) -> Result<Value, PluginError> {
    if m.parts.is_empty() {
        return Ok(json!({"role": m.role, "content": m.content}));
    }
    if m.role != "user" {
        return Err(invalid(format!(
            "message {}: only user messages may carry attachments (this one is {:?})",
            i + 1,
            m.role
        )));
    }
    let mut parts = Vec::with_capacity(m.parts.len() + 1);
    if !m.content.is_empty() {
        parts.push(json!({"type": "text", "text": m.content}));
    }
    for (j, p) in m.parts.iter().enumerate() {
        parts.push(content_part(p, call).map_err(|mut e| {
            e.message = format!("message {}, attachment {}: {}", i + 1, j + 1, e.message).into();
            e
        })?);
    }
    Ok(json!({"role": m.role, "content": parts}))
}

/// The URL of an input: its http(s) URL, or with a call the `data:` URL of
/// a local file.
fn input_url(input: &Input, call: Option<&Call<'_>>) -> Result<String, PluginError> {
    match (call, &input.url) {
        (Some(c), _) => c.data_url(input),
        (None, Some(u)) => Ok(u.clone()),
        (None, None) => Err(invalid(
            "a local file attachment needs the call (build the body with chat_body_with)".into(),
        )),
    }
}

/// The OpenAI content part for an attachment (see the module's table).
/// Without a call only URL inputs are possible, and audio (which is sent
/// as base64 bytes) is refused.
pub fn content_part(part: &ContentPart, call: Option<&Call<'_>>) -> Result<Value, PluginError> {
    match part.kind.as_str() {
        part_kind::IMAGE => Ok(json!({
            "type": "image_url",
            "image_url": {"url": input_url(&part.input, call)?}
        })),
        part_kind::AUDIO => {
            let format = part
                .format
                .clone()
                .map(|f| f.trim().to_ascii_lowercase())
                .filter(|f| !f.is_empty())
                .or_else(|| audio_format(&part.input))
                .ok_or_else(|| {
                    invalid(format!(
                        "cannot tell the audio format of {}: give it (wav, mp3, flac, ...)",
                        part.input.name.as_deref().unwrap_or("the audio")
                    ))
                })?;
            let call = call.ok_or_else(|| {
                invalid(
                    "audio attachments need the call (build the body with chat_body_with)".into(),
                )
            })?;
            Ok(json!({
                "type": "input_audio",
                "input_audio": {"data": call.base64(&part.input)?, "format": format}
            }))
        }
        part_kind::FILE => {
            let name = part
                .input
                .name
                .as_deref()
                .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n))
                .filter(|n| !n.is_empty())
                .unwrap_or("file");
            Ok(json!({
                "type": "file",
                "file": {"filename": name, "file_data": input_url(&part.input, call)?}
            }))
        }
        other => Err(invalid(format!(
            "unknown attachment kind {other:?} (known: image, audio, file)"
        ))),
    }
}

/// The audio format (`wav`, `mp3`, `flac`, `ogg`, `webm`, `m4a`, `aac`,
/// `aiff`, `pcm`) of an input, from its media type, else its file name's
/// extension.
pub fn audio_format(input: &Input) -> Option<String> {
    let from_mime = input.media_type.as_deref().and_then(|m| {
        let m = m
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        Some(match m.as_str() {
            "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => "wav",
            "audio/mpeg" | "audio/mp3" | "audio/mpeg3" | "audio/x-mpeg-3" => "mp3",
            "audio/flac" | "audio/x-flac" => "flac",
            "audio/ogg" | "audio/opus" => "ogg",
            "audio/webm" => "webm",
            "audio/mp4" | "audio/m4a" | "audio/x-m4a" => "m4a",
            "audio/aac" => "aac",
            "audio/aiff" | "audio/x-aiff" => "aiff",
            "audio/pcm" | "audio/l16" => "pcm",
            _ => return None,
        })
    });
    let from_name = || {
        let name = input.name.as_deref().or(input.url.as_deref())?;
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "wav" | "wave" => "wav",
            "mp3" => "mp3",
            "flac" => "flac",
            "ogg" | "oga" | "opus" => "ogg",
            "webm" => "webm",
            "m4a" | "mp4" => "m4a",
            "aac" => "aac",
            "aif" | "aiff" => "aiff",
            "pcm" => "pcm",
            _ => return None,
        })
    };
    from_mime.or_else(from_name).map(str::to_string)
}

/// A schema name as OpenAI-style APIs accept it: letters, digits, `_` and
/// `-` (others become `_`), at most 64 characters, `response` when empty.
pub fn schema_name(name: &str) -> String {
    let n: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if n.is_empty() {
        "response".into()
    } else {
        n
    }
}

/// `{"type":"json_schema","json_schema":{"name","strict","schema"}}` for a
/// JSON-schema answer; a schema that is not a JSON object is refused.
pub fn response_format(f: &JsonSchema) -> Result<Value, PluginError> {
    let schema: Value = serde_json::from_str(&f.schema_json)
        .map_err(|e| invalid(format!("the answer schema is not JSON ({e})")))?;
    if !schema.is_object() {
        return Err(invalid("the answer schema must be a JSON object".into()));
    }
    Ok(json!({
        "type": "json_schema",
        "json_schema": {"name": schema_name(&f.name), "strict": f.strict, "schema": schema}
    }))
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

    fn url_part(kind: &str, url: &str) -> ContentPart {
        ContentPart {
            kind: kind.into(),
            input: Input {
                url: Some(url.into()),
                name: Some("dir/report.pdf".into()),
                ..Default::default()
            },
            format: None,
        }
    }

    #[test]
    fn parts_schema_and_reasoning_map_to_openai_fields() {
        let mut msg = ChatMessage::user("what is this?");
        msg.parts.push(url_part("image", "https://x/cat.png"));
        msg.parts.push(url_part("file", "https://x/report.pdf"));
        let req = ChatRequest {
            model: "m".into(),
            messages: vec![ChatMessage::system("be brief"), msg],
            response_format: Some(JsonSchema {
                name: "the answer!".into(),
                schema_json: r#"{"type":"object","properties":{"a":{"type":"string"}}}"#.into(),
                strict: true,
            }),
            reasoning: Some(" High ".into()),
            ..Default::default()
        };
        let b = chat_body(&req, "m").unwrap();
        assert_eq!(b["messages"][0]["content"], "be brief");
        let content = &b["messages"][1]["content"];
        assert_eq!(content[0], json!({"type": "text", "text": "what is this?"}));
        assert_eq!(content[1]["image_url"]["url"], "https://x/cat.png");
        assert_eq!(
            content[2],
            json!({"type": "file", "file": {"filename": "report.pdf", "file_data": "https://x/report.pdf"}})
        );
        let rf = &b["response_format"];
        assert_eq!(rf["type"], "json_schema");
        assert_eq!(rf["json_schema"]["name"], "the_answer_");
        assert_eq!(rf["json_schema"]["strict"], true);
        assert_eq!(rf["json_schema"]["schema"]["type"], "object");
        assert_eq!(b["reasoning_effort"], "high");
    }

    #[test]
    fn bad_parts_and_schemas_are_invalid_input() {
        let mut msg = ChatMessage::user("x");
        msg.parts.push(url_part("video", "https://x/v.mp4"));
        let mut req = ChatRequest {
            model: "m".into(),
            messages: vec![msg],
            ..Default::default()
        };
        let e = chat_body(&req, "m").unwrap_err();
        assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
        assert!(e.message.contains("attachment 1"), "{}", e.message);
        req.messages[0].parts[0] = url_part("audio", "https://x/a.wav");
        assert_eq!(
            chat_body(&req, "m").unwrap_err().kind,
            ErrorKind::INVALID_INPUT
        );
        req.messages[0].parts.clear();
        req.messages[0].parts.push(ContentPart {
            kind: "image".into(),
            input: Input {
                blob: Some(0),
                ..Default::default()
            },
            format: None,
        });
        assert_eq!(
            chat_body(&req, "m").unwrap_err().kind,
            ErrorKind::INVALID_INPUT
        );
        req.messages[0].parts.clear();
        req.response_format = Some(JsonSchema {
            name: String::new(),
            schema_json: "[1]".into(),
            strict: false,
        });
        assert_eq!(
            chat_body(&req, "m").unwrap_err().kind,
            ErrorKind::INVALID_INPUT
        );
        let mut sys = ChatMessage::system("x");
        sys.parts.push(url_part("image", "https://x/cat.png"));
        req.response_format = None;
        req.messages = vec![sys];
        assert!(chat_body(&req, "m")
            .unwrap_err()
            .message
            .contains("user messages"));
    }

    #[test]
    fn audio_formats_come_from_the_media_type_or_the_name() {
        let i = |mt: Option<&str>, name: Option<&str>| Input {
            media_type: mt.map(str::to_string),
            name: name.map(str::to_string),
            ..Default::default()
        };
        assert_eq!(
            audio_format(&i(Some("audio/x-wav"), None)).as_deref(),
            Some("wav")
        );
        assert_eq!(
            audio_format(&i(Some("audio/mpeg"), Some("a.wav"))).as_deref(),
            Some("mp3")
        );
        assert_eq!(
            audio_format(&i(None, Some("talk.M4A"))).as_deref(),
            Some("m4a")
        );
        assert_eq!(
            audio_format(&i(Some("application/octet-stream"), Some("x.flac"))).as_deref(),
            Some("flac")
        );
        assert_eq!(audio_format(&i(None, Some("notes.txt"))), None);
        assert_eq!(schema_name(""), "response");
        assert_eq!(schema_name(&"x".repeat(80)).len(), 64);
    }

    #[test]
    fn usage_adds_up_and_reads_both_spellings() {
        let mut total = usage_of(&json!({"input_tokens": 3, "output_tokens": 4, "cost": 0.5}));
        assert_eq!(
            (total.prompt_tokens, total.completion_tokens),
            (Some(3), Some(4))
        );
        add_usage(
            &mut total,
            &usage_of(&json!({"prompt_tokens": 2, "total_tokens": 9})),
        );
        assert_eq!(total.prompt_tokens, Some(5));
        assert_eq!(total.total_tokens, Some(9));
        assert_eq!(total.cost, Some(0.5));
    }
}

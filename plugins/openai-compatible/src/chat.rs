/*!
Chat completions (`POST <base>/chat/completions`), plain and streamed.

The wire format is OpenAI's, built and read by the provider kit's
[`openai`] module: `--param` values merged into the body, usage asked for
in streams (`stream_options.include_usage`, which servers that do not know
it ignore), each streamed delta sent to the host as it arrives, an error
inside a 200 answer or an SSE chunk typed, a stream that ends early a
network error. A server that answers a streamed request with plain JSON is
accepted: the whole text is sent to the host at once.

Since plugin API 2.1: attachments become OpenAI content parts (local files
as data URLs, audio as base64 `input_audio`), a JSON-schema answer format
becomes `response_format: {"type": "json_schema", ...}` and a reasoning
effort `reasoning_effort`. Provider routing (`provider_json`) has no
meaning for a single server and is not sent.
*/

use crate::client::post_json;
use crate::{api_model, API};
use serde_json::Value;
use switchyard_provider_kit::api::doc::{ChatRequest, ChatResponse};
use switchyard_provider_kit::api::PluginError;
use switchyard_provider_kit::{http, openai, Call};

/// The largest non-streamed chat answer read.
pub const ANSWER_CAP: usize = 64 * 1024 * 1024;

/// The `/chat/completions` body for `req`, the model named as the server
/// knows it (attachments must be URLs; [`chat`] sends local files too).
pub fn chat_body(req: &ChatRequest) -> Result<Value, PluginError> {
    openai::chat_body(req, api_model(&req.model))
}

/// A chat completion, streamed through the host when asked.
pub async fn chat(req: &ChatRequest, call: &Call<'_>) -> Result<ChatResponse, PluginError> {
    if req.provider_json.is_some() {
        call.debug("provider routing preferences are not sent: an OpenAI-compatible server has no provider routing");
    }
    let body = openai::chat_body_with(req, api_model(&req.model), call)?;
    let resp = post_json(call, "chat/completions", &body, "chat completion").await?;
    if req.stream && http::content_type(&resp) == "text/event-stream" {
        return openai::stream_chat(&API, call, req, resp, |_| {}).await;
    }
    let v = http::read_json(call, resp, ANSWER_CAP, "chat").await?;
    openai::parse_chat(&API, call, req, &v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_provider_kit::api::doc::ChatMessage;

    #[test]
    fn body_strips_the_prefix_asks_for_stream_usage_and_forwards_params() {
        let mut req = ChatRequest {
            model: "local/Qwen/Qwen2.5-7B-Instruct".into(),
            messages: vec![ChatMessage::user("hi")],
            stream: true,
            max_tokens: Some(5),
            ..Default::default()
        };
        req.params.insert("num_ctx".into(), "8192".into());
        let b = chat_body(&req).unwrap();
        assert_eq!(b["model"], "Qwen/Qwen2.5-7B-Instruct");
        assert_eq!(b["stream_options"]["include_usage"], true);
        assert_eq!(b["max_tokens"], 5);
        assert_eq!(b["num_ctx"], 8192);
        assert!(b.get("temperature").is_none());
    }
}

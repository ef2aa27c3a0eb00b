/*!
The provider kit: everything an HTTP provider plugin for switchyard needs,
so a plugin is its provider's request shapes and little else.

- [`Provider`] and [`export_provider!`]: a typed trait with one `async`
  method per operation, exported as the ABI's root module with the plugin's
  manifest embedded (written once, so library and manifest cannot drift);
  every call runs inside a panic guard ([`export`]);
- [`runtime`]: the plugin's own tokio runtime, with the host's cancellation
  (event-driven, no polling) and the call's deadline;
- [`http`]: pooled clients, endpoints under the base URL, the Bearer key,
  `send` with `-v`/`-vv` logging and error classification, capped reads;
- [`errors`]: the status table, Retry-After, and error bodies in every
  shape OpenAI-style servers send;
- [`openai`]: the chat-completions body (attachments, JSON-schema
  answers, reasoning), answer and SSE stream;
- [`embeddings`]: the embeddings body and answer, and long input lists
  split into several requests, answered in input order;
- [`transcription`]: speech-to-text as OpenAI's multipart form, JSON
  answers, and SRT/WebVTT subtitles from timestamped segments;
- [`sse`]: an incremental Server-Sent Events parser;
- [`sink`]: streaming a body to the host's output sink with progress.

It depends on `switchyard-plugin-api` (re-exported as [`api`]) and on no
host code. Nothing of it crosses the boundary, so it is versioned apart
from the ABI: a kit upgrade never forces a plugin's users to upgrade
switchyard.

A plugin in full (chat only):

```
use switchyard_provider_kit::api::{doc, PluginError};
use switchyard_provider_kit::errors::{Api, Endpoint};
use switchyard_provider_kit::{export_provider, http, openai, Call, Provider};

const API: Api = Api::new("Example");

struct Example;

impl Provider for Example {
    async fn chat(&self, req: doc::ChatRequest, call: &Call<'_>) -> Result<doc::ChatResponse, PluginError> {
        let model = req.model.trim_start_matches("example/").to_string();
        let body = openai::chat_body(&req, &model)?;
        let url = http::endpoint(call.ctx(), "chat/completions")?;
        let client = http::client("example-plugin", std::time::Duration::from_secs(60))?;
        let post = client.post(url).headers(http::bearer(call.ctx())?).json(&body);
        let resp = http::send(call, &API, post, "chat completion", Endpoint::Model).await?;
        if req.stream && http::content_type(&resp) == "text/event-stream" {
            return openai::stream_chat(&API, call, &req, resp, |_| {}).await;
        }
        let v = http::read_json(call, resp, 16 << 20, "chat").await?;
        openai::parse_chat(&API, call, &req, &v)
    }
}

export_provider!(Example, Example, "id = \"example\"\n");
# fn main() {}
```
*/

#![warn(missing_docs)]

pub mod embeddings;
pub mod errors;
pub mod export;
pub mod http;
pub mod openai;
pub mod provider;
pub mod runtime;
pub mod sink;
pub mod sse;
pub mod transcription;

pub use provider::{Call, Provider};
pub use switchyard_plugin_api as api;

/// The kit's own version (not the ABI's: see [`api::PLUGIN_API_VERSION`]).
pub const KIT_VERSION: &str = env!("CARGO_PKG_VERSION");

/*!
Embeddings: `POST /embeddings` (OpenAI's shape), in requests of at most
[`embeddings::BATCH`] inputs whose vectors are put back in input order
(the provider kit's [`embeddings`] module). `dimensions` -> `dimensions`;
the settings' provider routing -> `provider` (unless a `--param provider`
is given); `--param` values (`input_type`, ...) are merged into each body.
*/

use crate::client::post_json;
use crate::{api_model, routing, API};
use switchyard_provider_kit::api::doc::{EmbedRequest, EmbedResponse};
use switchyard_provider_kit::api::PluginError;
use switchyard_provider_kit::errors::Endpoint;
use switchyard_provider_kit::{embeddings, http, Call};

/// The largest embeddings answer read per request.
pub const ANSWER_CAP: usize = 256 * 1024 * 1024;

/// Embeds every input, in order.
pub async fn embed(req: &EmbedRequest, call: &Call<'_>) -> Result<EmbedResponse, PluginError> {
    let provider = if req.params.contains_key("provider") {
        None
    } else {
        routing::chat_provider(None, call.ctx())?
    };
    let model = api_model(&req.model);
    embeddings::in_batches(call, &API, req, &model, embeddings::BATCH, |mut body| {
        if let Some(p) = &provider {
            body["provider"] = p.clone();
        }
        async move {
            let resp = post_json(call, "embeddings", &body, "embeddings", Endpoint::Model).await?;
            http::read_json(call, resp, ANSWER_CAP, "embeddings").await
        }
    })
    .await
}

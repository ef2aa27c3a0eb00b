/*!
Embeddings: `POST <base>/embeddings`, in requests of at most
[`embeddings::BATCH`] inputs whose vectors are put back in input order
(the provider kit's [`embeddings`] module).
*/

use crate::client::post_json;
use crate::{api_model, API};
use switchyard_provider_kit::api::doc::{EmbedRequest, EmbedResponse};
use switchyard_provider_kit::api::PluginError;
use switchyard_provider_kit::{embeddings, http, Call};

/// The largest embeddings answer read per request.
pub const ANSWER_CAP: usize = 256 * 1024 * 1024;

/// Embeds every input, in order.
pub async fn embed(req: &EmbedRequest, call: &Call<'_>) -> Result<EmbedResponse, PluginError> {
    embeddings::in_batches(
        call,
        &API,
        req,
        api_model(&req.model),
        embeddings::BATCH,
        |body| async move {
            let resp = post_json(call, "embeddings", &body, "embeddings").await?;
            http::read_json(call, resp, ANSWER_CAP, "embeddings").await
        },
    )
    .await
}

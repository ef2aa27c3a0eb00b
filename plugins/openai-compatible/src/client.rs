/*!
What is this provider's own in the HTTP plumbing (the rest is the provider
kit's): its `User-Agent`, a long default read timeout (a local server can
take minutes before its first token) and the POST to the base URL with the
optional key.

The key, when one is configured, goes only to the base URL; an image URL a
server returns instead of inline data is fetched without it
([`crate::image`]).
*/

use reqwest::{Client, Response};
use std::time::Duration;
use switchyard_provider_kit::api::doc::Context;
use switchyard_provider_kit::api::PluginError;
use switchyard_provider_kit::errors::Endpoint;
use switchyard_provider_kit::{http, Call};

/// The `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("switchyard-openai-compatible/", env!("CARGO_PKG_VERSION"));

/// How long a read may stall by default: local servers can take long to
/// load a model before the first token.
pub const READ_TIMEOUT: Duration = Duration::from_secs(300);

/// The shared client for this call's read timeout.
pub fn client(ctx: &Context) -> Result<Client, PluginError> {
    http::client(USER_AGENT, http::read_timeout(ctx, READ_TIMEOUT))
}

/// `POST <base>/<path>` with a JSON body and the key (when configured).
/// (A request that got no answer carries [`crate::API`]'s network hint:
/// the kit's `send` adds it.)
pub async fn post_json(
    call: &Call<'_>,
    path: &str,
    body: &serde_json::Value,
    what: &str,
) -> Result<Response, PluginError> {
    let req = authed_post(call.ctx(), path)?.json(body);
    http::send(call, &crate::API, req, what, Endpoint::Model).await
}

/// `POST <base>/<path>` with a `multipart/form-data` body and the key
/// (when configured).
pub async fn post_form(
    call: &Call<'_>,
    path: &str,
    form: reqwest::multipart::Form,
    what: &str,
) -> Result<Response, PluginError> {
    let req = authed_post(call.ctx(), path)?.multipart(form);
    http::send(call, &crate::API, req, what, Endpoint::Model).await
}

/// A `POST <base>/<path>` with the key (when configured), body to come.
fn authed_post(ctx: &Context, path: &str) -> Result<reqwest::RequestBuilder, PluginError> {
    let url = http::endpoint(ctx, path)?;
    Ok(client(ctx)?.post(url).headers(http::bearer(ctx)?))
}

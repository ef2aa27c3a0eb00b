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
use switchyard_provider_kit::api::{ErrorKind, PluginError};
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
///
/// A request that got no answer at all (nothing listening, a refused or
/// reset connection) carries [`crate::API`]'s network hint.
pub async fn post_json(
    call: &Call<'_>,
    path: &str,
    body: &serde_json::Value,
    what: &str,
) -> Result<Response, PluginError> {
    let ctx = call.ctx();
    let url = http::endpoint(ctx, path)?;
    let req = client(ctx)?
        .post(url)
        .headers(http::bearer(ctx)?)
        .json(body);
    http::send(call, &crate::API, req, what, Endpoint::Model)
        .await
        .map_err(with_network_hint)
}

/// Adds the network hint to a transport failure (the kit's `send` applies
/// an `Api`'s hints to error answers only).
fn with_network_hint(mut e: PluginError) -> PluginError {
    if e.kind != ErrorKind::NETWORK || e.status.is_some() {
        return e;
    }
    if let Some(h) = (crate::API.hint)(e.kind) {
        let mut msg = e.message.to_string();
        if !msg.ends_with(['.', '!', '?']) {
            msg.push('.');
        }
        msg.push(' ');
        msg.push_str(h);
        e.message = msg.into();
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transport_failures_get_the_network_hint() {
        let e = with_network_hint(PluginError::new(
            ErrorKind::NETWORK,
            "chat completion: cannot connect to http://127.0.0.1:9/v1/chat/completions",
        ));
        assert!(
            e.message.ends_with(
                "completions. Is the server running, and is the base URL the one it listens on?"
            ),
            "{}",
            e.message
        );
        let e = with_network_hint(PluginError::new(ErrorKind::TIMEOUT, "stalled"));
        assert_eq!(e.message.as_str(), "stalled");
        let e = with_network_hint(PluginError::new(ErrorKind::NETWORK, "x").with_status(502));
        assert_eq!(e.message.as_str(), "x");
    }
}

/*!
Text-to-speech: `POST /audio/speech` (OpenAI-compatible). The answer is raw
audio, streamed to the host's sink as it arrives; a JSON answer is an error.
*/

use crate::api_model;
use crate::client::{self, api_headers, endpoint, send, transport_error};
use crate::errors::{self, Endpoint};
use serde_json::{json, Value};
use switchyard_plugin_api::*;

/// Synthesises speech into sink output 0.
pub async fn speech(
    req: &SpeechRequest,
    ctx: &CallContext,
    host: &HostRef<'_>,
) -> Result<SpeechResponse, PluginError> {
    if req.input.trim().is_empty() {
        return Err(PluginError::new(
            ErrorKind::INVALID_INPUT,
            "there is no text to speak",
        ));
    }
    let mut body = json!({"model": api_model(&req.model), "input": req.input.as_str(), "response_format": req.format.as_str()});
    if let ROption::RSome(v) = &req.voice {
        body["voice"] = json!(v.as_str());
    }
    if let ROption::RSome(s) = req.speed {
        body["speed"] = json!(s);
    }
    let url = endpoint(ctx, "audio/speech")?;
    let c = client::client(ctx)?;
    let r = c.post(url.clone()).headers(api_headers(ctx)?).json(&body);
    let mut resp = send(host, r, "POST", &url, "speech", Endpoint::Model).await?;
    let ct = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let gen = resp
        .headers()
        .get("x-generation-id")
        .and_then(|v| v.to_str().ok())
        .map(RString::from)
        .map_or(ROption::RNone, ROption::RSome);
    if ct.contains("json") || ct.starts_with("text/") {
        let b = client::read_capped(resp, 64 * 1024)
            .await
            .unwrap_or_default();
        if let Some(err) = serde_json::from_slice::<Value>(&b)
            .ok()
            .and_then(|v| v.get("error").cloned())
        {
            return Err(errors::classify_inline(&err));
        }
        return Err(PluginError::new(
            ErrorKind::UPSTREAM,
            format!("the speech answer is {ct:?}, not audio"),
        ));
    }
    let declared = resp.content_length();
    host.open_output(
        0,
        ct.as_str().into(),
        declared.map_or(ROption::RNone, ROption::RSome),
    )
    .into_result()?;
    let mut got = 0u64;
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                got += chunk.len() as u64;
                host.write_output(0, chunk.as_ref().into()).into_result()?;
            }
            Ok(None) => break,
            Err(e) => return Err(transport_error(&e, "speech download")),
        }
    }
    if let Some(len) = declared {
        if got < len {
            return Err(PluginError::new(
                ErrorKind::NETWORK,
                format!("the speech audio was truncated: {got} of {len} bytes"),
            ));
        }
    }
    Ok(SpeechResponse {
        media_type: ct.into(),
        bytes: got,
        generation_id: gen,
    })
}

/*!
Errors of OpenAI-compatible servers, classified into the plugin API's typed
kinds.

The HTTP status gives the first answer ([`ErrorKind::from_http_status`], with
404 on a model endpoint meaning the model is not served). The body refines
it. Servers disagree on the body, so every shape seen in the wild is read:

- OpenAI, Ollama, llama.cpp, LM Studio: `{"error": {"message", "type", "code", "param"}}`
  (`code` a string, a number or null);
- vLLM: the same fields at the top level (`{"object": "error", "message", ...}`);
- Ollama's native and some proxies: `{"error": "text"}`;
- anything else (HTML from a reverse proxy, an empty body): the status alone.

`type`/`code` values such as `insufficient_quota` (billing, although OpenAI
sends it with 429), `context_length_exceeded` or `model_not_found` sharpen
the kind; local servers that send no code are recognised by the wording of
the two messages that matter most (context window, unknown model).
*/

use serde_json::Value;
use switchyard_plugin_api::{ErrorKind, PluginError};

/// What kind of endpoint answered (a 404 means different things).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Chat, images, speech: a 404 means the model is not served.
    Model,
    /// Anything else (a download).
    Other,
}

/// What an error body says.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ErrorBody {
    /// `message` (or the whole `error` when it is a string).
    pub message: Option<String>,
    /// `type`, e.g. `invalid_request_error`.
    pub error_type: Option<String>,
    /// `code` as text, e.g. `context_length_exceeded` or `429`.
    pub code: Option<String>,
    /// `param`, the request field at fault.
    pub param: Option<String>,
}

/// Reads an error object (`{"message", "type", "code", "param"}`) or string.
pub fn parse_error_value(err: &Value) -> ErrorBody {
    if let Some(s) = err.as_str() {
        return ErrorBody {
            message: Some(s.to_string()),
            ..ErrorBody::default()
        };
    }
    let text = |k: &str| match err.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    ErrorBody {
        message: text("message"),
        error_type: text("type"),
        code: text("code"),
        param: text("param"),
    }
}

/// Reads an error answer's body, whichever shape it has.
pub fn parse_body(body: &[u8]) -> ErrorBody {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => match v.get("error") {
            Some(e) if !e.is_null() => parse_error_value(e),
            _ if v.get("message").is_some() => parse_error_value(&v),
            _ => ErrorBody::default(),
        },
        Err(_) => ErrorBody::default(),
    }
}

/// The kind a `type` or `code` value names, if it names one.
pub fn kind_for_code(code: &str) -> Option<ErrorKind> {
    Some(match code {
        "invalid_api_key" | "authentication_error" | "permission_error" | "unauthorized" => {
            ErrorKind::AUTH
        }
        "insufficient_quota" | "billing_hard_limit_reached" | "billing_not_active" => {
            ErrorKind::BILLING
        }
        "rate_limit_exceeded" | "rate_limit_error" | "requests" | "tokens" => {
            ErrorKind::RATE_LIMITED
        }
        "context_length_exceeded" | "exceed_context_size_error" | "string_above_max_length" => {
            ErrorKind::CONTEXT_LENGTH
        }
        "model_not_found" | "model_not_available" | "NotFoundError" => ErrorKind::MODEL_UNAVAILABLE,
        "content_policy_violation" | "content_filter" | "moderation_blocked" => {
            ErrorKind::CONTENT_POLICY
        }
        "server_error" | "InternalServerError" | "service_unavailable" => ErrorKind::UPSTREAM,
        "timeout" => ErrorKind::TIMEOUT,
        _ => return None,
    })
}

/// The kind the wording of a message reveals, for servers that send no code.
fn kind_for_message(message: &str) -> Option<ErrorKind> {
    let m = message.to_ascii_lowercase();
    if m.contains("context length")
        || m.contains("context window")
        || m.contains("maximum context")
        || m.contains("exceeds the available context")
    {
        return Some(ErrorKind::CONTEXT_LENGTH);
    }
    if m.contains("model") && (m.contains("not found") || m.contains("does not exist")) {
        return Some(ErrorKind::MODEL_UNAVAILABLE);
    }
    None
}

/// Parses `Retry-After` (seconds, possibly fractional) into milliseconds.
pub fn parse_retry_after(v: &str) -> Option<u64> {
    let secs: f64 = v.trim().parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some((secs * 1000.0).min(3_600_000.0) as u64)
}

fn hint(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::AUTH => " Check the API key (models.providers.openai-compatible.apiKey or OPENAI_COMPATIBLE_API_KEY); local servers usually need none.",
        ErrorKind::MODEL_UNAVAILABLE => " Check that the server serves this model: the model ref is local/<the server's model name> (e.g. `ollama list`).",
        _ => "",
    }
}

/// The kind for `status` refined by what the body says.
fn refine(status: Option<u16>, eb: &ErrorBody, endpoint: Endpoint) -> ErrorKind {
    let from_status = status.map(|s| match s {
        404 if endpoint == Endpoint::Model => ErrorKind::MODEL_UNAVAILABLE,
        s => ErrorKind::from_http_status(s),
    });
    let from_body = eb
        .code
        .as_deref()
        .and_then(kind_for_code)
        .or_else(|| eb.error_type.as_deref().and_then(kind_for_code))
        .or_else(|| eb.message.as_deref().and_then(kind_for_message));
    match (from_status, from_body) {
        // A server failure stays a server failure whatever its body claims.
        (Some(ErrorKind::UPSTREAM), Some(_)) => ErrorKind::UPSTREAM,
        (_, Some(b)) => b,
        (Some(s), None) => s,
        (None, None) => eb
            .code
            .as_deref()
            .and_then(|c| c.parse::<u16>().ok())
            .map_or(ErrorKind::UPSTREAM, ErrorKind::from_http_status),
    }
}

fn with_details(mut e: PluginError, eb: &ErrorBody) -> PluginError {
    if let Some(code) = eb.code.clone().or_else(|| eb.error_type.clone()) {
        e = e.with_provider_code(code);
    }
    e
}

/// Classifies an HTTP error answer (`status` not 2xx).
pub fn classify(
    status: u16,
    body: &[u8],
    retry_after: Option<&str>,
    endpoint: Endpoint,
) -> PluginError {
    let eb = parse_body(body);
    let kind = refine(Some(status), &eb, endpoint);
    let text = eb.message.clone().unwrap_or_else(|| {
        let t = String::from_utf8_lossy(&body[..body.len().min(200)])
            .trim()
            .to_string();
        if t.is_empty() || t.starts_with('<') {
            "(no error message)".to_string()
        } else {
            t
        }
    });
    let mut msg = format!("the server answered {status}: {text}");
    if let Some(p) = &eb.param {
        msg.push_str(&format!(" (parameter {p})"));
    }
    msg.push_str(hint(kind));
    let mut e = with_details(PluginError::new(kind, msg).with_status(status), &eb);
    if let Some(ms) = retry_after.and_then(parse_retry_after) {
        e = e.with_retry_after_ms(ms);
    }
    e
}

/// Classifies an error that arrived inside a 200 answer (a JSON body or an
/// SSE chunk holding `error`).
pub fn classify_inline(err: &Value) -> PluginError {
    let eb = parse_error_value(err);
    let kind = refine(None, &eb, Endpoint::Model);
    let msg = format!(
        "the server reported an error in its answer: {}",
        eb.message.as_deref().unwrap_or("(no message)")
    );
    with_details(PluginError::new(kind, msg), &eb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kind(status: u16, body: &str) -> ErrorKind {
        classify(status, body.as_bytes(), None, Endpoint::Model).kind
    }

    #[test]
    fn statuses_alone() {
        assert_eq!(kind(400, ""), ErrorKind::INVALID_REQUEST);
        assert_eq!(kind(401, "<html>"), ErrorKind::AUTH);
        assert_eq!(kind(403, ""), ErrorKind::AUTH);
        assert_eq!(kind(404, "{}"), ErrorKind::MODEL_UNAVAILABLE);
        assert_eq!(kind(429, ""), ErrorKind::RATE_LIMITED);
        assert_eq!(kind(503, "Service Unavailable"), ErrorKind::UPSTREAM);
        assert_eq!(
            classify(404, b"", None, Endpoint::Other).kind,
            ErrorKind::NOT_FOUND
        );
    }

    #[test]
    fn openai_bodies_refine_the_status() {
        let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        assert_eq!(kind(429, quota), ErrorKind::BILLING);
        let ctx = r#"{"error":{"message":"This model's maximum context length is 8192 tokens","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#;
        let e = classify(400, ctx.as_bytes(), None, Endpoint::Model);
        assert_eq!(e.kind, ErrorKind::CONTEXT_LENGTH);
        assert_eq!(
            e.provider_code.as_ref().map(|c| c.as_str()).into_option(),
            Some("context_length_exceeded")
        );
        assert!(e.message.contains("parameter messages"), "{}", e.message);
        let key = r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;
        assert_eq!(kind(401, key), ErrorKind::AUTH);
        let model = r#"{"error":{"message":"The model `x` does not exist","type":"invalid_request_error","code":"model_not_found"}}"#;
        assert_eq!(kind(404, model), ErrorKind::MODEL_UNAVAILABLE);
    }

    #[test]
    fn local_server_bodies() {
        // Ollama (OpenAI layer): no code, the wording says it.
        let ollama = r#"{"error":{"message":"model \"llama9\" not found, try pulling it first","type":"api_error","param":null,"code":null}}"#;
        assert_eq!(kind(404, ollama), ErrorKind::MODEL_UNAVAILABLE);
        // vLLM: top-level fields, numeric code.
        let vllm = r#"{"object":"error","message":"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens","type":"BadRequestError","param":null,"code":400}"#;
        assert_eq!(kind(400, vllm), ErrorKind::CONTEXT_LENGTH);
        // llama.cpp server.
        let llama = r#"{"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error"}}"#;
        assert_eq!(kind(400, llama), ErrorKind::CONTEXT_LENGTH);
        // A plain string error.
        let e = classify(400, br#"{"error":"bad things"}"#, None, Endpoint::Model);
        assert_eq!(e.kind, ErrorKind::INVALID_REQUEST);
        assert!(e.message.contains("bad things"));
    }

    #[test]
    fn server_failures_stay_upstream_and_retry_after_is_kept() {
        let e = classify(
            500,
            br#"{"error":{"message":"model not found in cache","type":"server_error"}}"#,
            Some("2.5"),
            Endpoint::Model,
        );
        assert_eq!(e.kind, ErrorKind::UPSTREAM);
        assert_eq!(e.retry_after_ms.into_option(), Some(2500));
    }

    #[test]
    fn inline_errors() {
        let e = classify_inline(&json!({"message": "overloaded", "type": "server_error"}));
        assert_eq!(e.kind, ErrorKind::UPSTREAM);
        let e = classify_inline(&json!({"code": 429, "message": "slow down"}));
        assert_eq!(e.kind, ErrorKind::RATE_LIMITED);
        let e = classify_inline(&json!("plain text"));
        assert_eq!(e.kind, ErrorKind::UPSTREAM);
    }
}

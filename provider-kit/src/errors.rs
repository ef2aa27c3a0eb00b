/*!
Classifying a provider's errors into the plugin API's typed kinds.

One status table ([`kind_for_status`]) gives the first answer; the error
body refines it. Bodies are read in every shape seen in the wild
([`ErrorBody::parse`]):

- OpenAI, OpenRouter, Ollama, llama.cpp, LM Studio: `{"error": {"message", "type", "code", "param", "metadata"}}`
  (`code` a string, a number or null);
- vLLM: the same fields at the top level (`{"object": "error", "message", ...}`);
- FastAPI-style servers and proxies: `{"detail": {"error": ...}}`, `{"detail": "text"}`
  or `{"detail": [{"msg": ...}]}`;
- `{"error": "text"}`, plain text, HTML from a reverse proxy, an empty body.

Refinement never turns a server failure (5xx) into a permanent error, nor a
rate limit or billing status into a server failure. A provider names itself
and may add hints through an [`Api`]: its messages read
"OpenRouter answered 402 Payment Required: ...".

```
use switchyard_provider_kit::errors::{Api, Endpoint};
use switchyard_provider_kit::api::ErrorKind;
let api = Api::new("the server");
let e = api.classify(429, br#"{"error":{"message":"quota","code":"insufficient_quota"}}"#, Some("2"), Endpoint::Model);
assert_eq!(e.kind, ErrorKind::BILLING);
assert_eq!(e.retry_after_ms.into_option(), Some(2000));
```
*/

use serde_json::Value;
use switchyard_plugin_api::{ErrorKind, PluginError};

/// What kind of endpoint answered (a 404 means different things).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Chat, image, speech, job submit: a 404 means the model is not served.
    Model,
    /// An asynchronous job: a 404 means the job does not exist.
    Job,
    /// Anything else (catalogs, downloads).
    Other,
}

/// The status table: the kind an HTTP error status means on its own.
pub fn kind_for_status(status: u16, endpoint: Endpoint) -> ErrorKind {
    match status {
        400 | 413 | 422 => ErrorKind::INVALID_REQUEST,
        401 | 403 => ErrorKind::AUTH,
        402 => ErrorKind::BILLING,
        404 if endpoint == Endpoint::Model => ErrorKind::MODEL_UNAVAILABLE,
        404 => ErrorKind::NOT_FOUND,
        408 | 524 => ErrorKind::TIMEOUT,
        429 => ErrorKind::RATE_LIMITED,
        _ => ErrorKind::UPSTREAM,
    }
}

/// The kind an error `type`, `code` or `error_type` value names, if any.
pub fn kind_for_code(code: &str) -> Option<ErrorKind> {
    Some(match code {
        "context_length_exceeded"
        | "max_tokens_exceeded"
        | "token_limit_exceeded"
        | "exceed_context_size_error"
        | "string_above_max_length" => ErrorKind::CONTEXT_LENGTH,
        "authentication"
        | "authentication_error"
        | "permission_denied"
        | "permission_error"
        | "unauthorized"
        | "invalid_api_key"
        // LiteLLM's proxy without a database answers a key that is not its
        // master key with 400 and this type (it cannot look the key up).
        | "no_db_connection" => ErrorKind::AUTH,
        "payment_required"
        | "insufficient_quota"
        | "billing_hard_limit_reached"
        | "billing_not_active" => ErrorKind::BILLING,
        "rate_limit_exceeded" | "rate_limited" | "rate_limit_error" | "capacity_exhausted" => {
            ErrorKind::RATE_LIMITED
        }
        "provider_overloaded"
        | "provider_unavailable"
        | "server"
        | "server_error"
        | "temporarily_unavailable"
        | "internal_error"
        | "InternalServerError"
        | "service_unavailable" => ErrorKind::UPSTREAM,
        "invalid_request"
        | "invalid_prompt"
        | "string_too_long"
        | "payload_too_large"
        | "unprocessable"
        | "invalid_image"
        | "image_too_large"
        | "image_too_small"
        | "unsupported_image_format"
        | "image_not_found"
        | "image_download_failed"
        | "precondition_failed"
        | "wrong_endpoint" => ErrorKind::INVALID_REQUEST,
        "content_policy_violation"
        | "refusal"
        | "moderation"
        | "content_filter"
        | "moderation_blocked" => ErrorKind::CONTENT_POLICY,
        "not_found" => ErrorKind::NOT_FOUND,
        "timeout" => ErrorKind::TIMEOUT,
        "model_not_found"
        | "model_not_available"
        | "NotFoundError"
        | "no_endpoints"
        | "model_deprecated"
        | "model_unavailable_upstream"
        | "privacy_restricted"
        | "constraint_filtered"
        | "free_variant_ended"
        | "region_restricted" => ErrorKind::MODEL_UNAVAILABLE,
        _ => return None,
    })
}

/// The kind the wording of a message reveals, for servers that send no
/// code: an exceeded context window, or an unknown model.
pub fn kind_for_message(message: &str) -> Option<ErrorKind> {
    let m = message.to_ascii_lowercase();
    if m.contains("context length")
        || m.contains("context window")
        || m.contains("maximum context")
        || m.contains("exceeds the available context")
    {
        return Some(ErrorKind::CONTEXT_LENGTH);
    }
    let unknown_model = (m.contains("model") || m.contains("llm provider"))
        && (m.contains("not found")
            || m.contains("does not exist")
            || m.contains("invalid model")
            || m.contains("not provided")
            || m.contains("unknown model"));
    if unknown_model {
        return Some(ErrorKind::MODEL_UNAVAILABLE);
    }
    None
}

/// The longest retry delay taken from an answer (one hour).
pub const MAX_RETRY_AFTER_MS: u64 = 3_600_000;

/// Parses `Retry-After` (seconds, possibly fractional) into milliseconds,
/// capped at [`MAX_RETRY_AFTER_MS`]; negative and non-finite values (and
/// HTTP dates, which no provider of ours sends) mean nothing.
pub fn parse_retry_after(v: &str) -> Option<u64> {
    let secs: f64 = v.trim().parse().ok()?;
    retry_after_secs_to_ms(secs)
}

fn retry_after_secs_to_ms(secs: f64) -> Option<u64> {
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some((secs * 1000.0).min(MAX_RETRY_AFTER_MS as f64) as u64)
}

/// What an error body says, whatever its shape.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ErrorBody {
    /// `code` as text (number or string), when present.
    pub code: Option<String>,
    /// `code` when it is (or spells) an HTTP status, 100 to 599.
    pub numeric_code: Option<u16>,
    /// The human message.
    pub message: Option<String>,
    /// `metadata.error_type` or `error_type` (OpenRouter's specific type).
    pub error_type: Option<String>,
    /// `type` (OpenAI's broad class, e.g. `invalid_request_error`).
    pub type_name: Option<String>,
    /// `param`, the request field at fault.
    pub param: Option<String>,
    /// `availability.code` (model availability errors).
    pub availability: Option<String>,
    /// `availability.retry_after` in seconds.
    pub retry_after: Option<f64>,
    /// `metadata.provider_name`.
    pub provider: Option<String>,
    /// Moderation reasons (`metadata.reasons`).
    pub reasons: Vec<String>,
}

impl ErrorBody {
    /// Reads an error answer's body, whichever shape it has.
    pub fn parse(body: &[u8]) -> ErrorBody {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return ErrorBody::default();
        };
        for key in ["error", "detail"] {
            match v.get(key) {
                Some(Value::Array(items)) => {
                    let msgs: Vec<String> = items
                        .iter()
                        .filter_map(|i| i.get("msg").or_else(|| i.get("message")))
                        .filter_map(|m| m.as_str().map(str::to_string))
                        .collect();
                    if !msgs.is_empty() {
                        return ErrorBody {
                            message: Some(msgs.join("; ")),
                            ..ErrorBody::default()
                        };
                    }
                }
                Some(e) if !e.is_null() => {
                    // `{"detail": {"error": {...}}}` nests one level more.
                    let inner = e.get("error").filter(|i| !i.is_null()).unwrap_or(e);
                    return ErrorBody::from_value(inner);
                }
                _ => {}
            }
        }
        if v.get("message").is_some() {
            return ErrorBody::from_value(&v);
        }
        ErrorBody::default()
    }

    /// Reads an error object (`{"message", "type", "code", ...}`) or string.
    pub fn from_value(err: &Value) -> ErrorBody {
        let mut b = ErrorBody::default();
        if let Some(s) = err.as_str() {
            b.message = Some(s.to_string());
            return b;
        }
        let http_status = |c: u64| u16::try_from(c).ok().filter(|c| (100..=599).contains(c));
        match err.get("code") {
            Some(Value::Number(n)) => {
                b.numeric_code = n.as_u64().and_then(http_status);
                b.code = Some(n.to_string());
            }
            Some(Value::String(s)) if !s.is_empty() => {
                b.numeric_code = s.trim().parse().ok().and_then(http_status);
                b.code = Some(s.clone());
            }
            _ => {}
        }
        let text = |v: Option<&Value>| match v {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        b.message = text(err.get("message")).or_else(|| text(err.get("error")));
        let meta = err.get("metadata");
        b.error_type =
            text(meta.and_then(|m| m.get("error_type"))).or_else(|| text(err.get("error_type")));
        b.type_name = text(err.get("type"));
        b.param = text(err.get("param"));
        b.provider = text(meta.and_then(|m| m.get("provider_name")));
        b.reasons = meta
            .and_then(|m| m.get("reasons"))
            .and_then(|r| r.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(av) = err.get("availability") {
            b.availability = text(av.get("code"));
            b.retry_after = av.get("retry_after").and_then(|r| r.as_f64());
        }
        b
    }

    /// The kind the body names on its own, if it names one.
    pub fn kind(&self) -> Option<ErrorKind> {
        self.availability
            .as_deref()
            .and_then(kind_for_code)
            .or_else(|| self.error_type.as_deref().and_then(kind_for_code))
            .or_else(|| self.code.as_deref().and_then(kind_for_code))
            .or_else(|| self.type_name.as_deref().and_then(kind_for_code))
            .or_else(|| self.message.as_deref().and_then(kind_for_message))
    }

    /// The provider's own code for this error, most specific first.
    pub fn provider_code(&self) -> Option<String> {
        let textual = self.code.clone().filter(|_| self.numeric_code.is_none());
        self.error_type
            .clone()
            .or(self.availability.clone())
            .or(textual)
            .or(self.type_name.clone())
            .or(self.code.clone())
    }
}

/// Combines the status's kind with the body's: the body sharpens the status
/// but never turns a server failure into a permanent error, nor a rate limit
/// or billing status into a server failure.
pub fn refine(from_status: ErrorKind, from_body: Option<ErrorKind>) -> ErrorKind {
    match from_body {
        None => from_status,
        Some(_) if from_status == ErrorKind::UPSTREAM => ErrorKind::UPSTREAM,
        Some(ErrorKind::UPSTREAM)
            if matches!(from_status, ErrorKind::RATE_LIMITED | ErrorKind::BILLING) =>
        {
            from_status
        }
        Some(b) => b,
    }
}

/// How a provider names itself in messages, and its hints per kind.
#[derive(Debug, Clone, Copy)]
pub struct Api {
    /// The provider's name as messages say it ("OpenRouter", "the server").
    pub name: &'static str,
    /// A sentence added to messages of a kind (e.g. where to add credits);
    /// never a host flag or config key: the host adds those itself.
    pub hint: fn(ErrorKind) -> Option<&'static str>,
}

fn no_hint(_: ErrorKind) -> Option<&'static str> {
    None
}

impl Api {
    /// A provider called `name`, without hints.
    pub const fn new(name: &'static str) -> Api {
        Api {
            name,
            hint: no_hint,
        }
    }

    /// The same provider with `hint`.
    pub const fn with_hint(self, hint: fn(ErrorKind) -> Option<&'static str>) -> Api {
        Api { hint, ..self }
    }

    /// Classifies an HTTP error answer (`status` not 2xx).
    pub fn classify(
        &self,
        status: u16,
        body: &[u8],
        retry_after: Option<&str>,
        endpoint: Endpoint,
    ) -> PluginError {
        let eb = ErrorBody::parse(body);
        let mut kind = refine(kind_for_status(status, endpoint), eb.kind());
        if status == 403 && !eb.reasons.is_empty() {
            kind = ErrorKind::CONTENT_POLICY;
        }
        let text = eb.message.clone().unwrap_or_else(|| plain_text(body));
        let reason = status_text(status);
        let mut msg = format!("{} answered {status}{reason}: {text}", self.name);
        self.details(&mut msg, &eb, kind);
        let mut e = PluginError::new(kind, msg).with_status(status);
        if let Some(code) = eb.provider_code() {
            e = e.with_provider_code(code);
        }
        let ra = retry_after
            .and_then(parse_retry_after)
            .or_else(|| eb.retry_after.and_then(retry_after_secs_to_ms));
        if let Some(ms) = ra {
            e = e.with_retry_after_ms(ms);
        }
        e
    }

    /// Classifies an error that arrived inside a 200 answer (a JSON body or
    /// a mid-stream SSE chunk holding `error`), by its code and type.
    pub fn classify_inline(&self, err: &Value) -> PluginError {
        let eb = ErrorBody::from_value(err);
        let kind = eb
            .kind()
            .or_else(|| eb.numeric_code.map(|c| kind_for_status(c, Endpoint::Model)))
            .unwrap_or(ErrorKind::UPSTREAM);
        let mut msg = format!(
            "{} reported an error in its answer: {}",
            self.name,
            eb.message.as_deref().unwrap_or("(no message)")
        );
        if let Some(c) = &eb.code {
            msg.push_str(&format!(" (code {c})"));
        }
        self.details(&mut msg, &eb, kind);
        let mut e = PluginError::new(kind, msg);
        if let Some(c) = eb.numeric_code {
            e = e.with_status(c);
        }
        if let Some(code) = eb.provider_code() {
            e = e.with_provider_code(code);
        }
        e
    }

    fn details(&self, msg: &mut String, eb: &ErrorBody, kind: ErrorKind) {
        if let Some(t) = eb.error_type.as_ref().or(eb.type_name.as_ref()) {
            if !msg.contains(t.as_str()) {
                msg.push_str(&format!(" ({t})"));
            }
        }
        if let Some(p) = &eb.param {
            msg.push_str(&format!(" (parameter {p})"));
        }
        if let Some(p) = &eb.provider {
            msg.push_str(&format!(" [provider {p}]"));
        }
        if !eb.reasons.is_empty() {
            msg.push_str(&format!(" reasons: {}", eb.reasons.join(", ")));
        }
        if let Some(h) = (self.hint)(kind) {
            if !msg.ends_with(['.', '!', '?']) {
                msg.push('.');
            }
            msg.push(' ');
            msg.push_str(h);
        }
    }
}

/// The start of a non-JSON error body, or a placeholder for HTML and nothing.
fn plain_text(body: &[u8]) -> String {
    let t = String::from_utf8_lossy(&body[..body.len().min(200)])
        .trim()
        .to_string();
    if t.is_empty() || t.starts_with('<') {
        "(no error message)".to_string()
    } else {
        t
    }
}

fn status_text(status: u16) -> &'static str {
    match status {
        400 => " Bad Request",
        401 => " Unauthorized",
        402 => " Payment Required",
        403 => " Forbidden",
        404 => " Not Found",
        408 => " Request Timeout",
        413 => " Payload Too Large",
        422 => " Unprocessable",
        429 => " Too Many Requests",
        500 => " Internal Server Error",
        502 => " Bad Gateway",
        503 => " Service Unavailable",
        504 => " Gateway Timeout",
        524 => " Edge Timeout",
        529 => " Provider Overloaded",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const API: Api = Api::new("the server");

    fn kind(status: u16, body: &str) -> ErrorKind {
        API.classify(status, body.as_bytes(), None, Endpoint::Model)
            .kind
    }

    #[test]
    fn statuses_alone() {
        assert_eq!(kind(400, ""), ErrorKind::INVALID_REQUEST);
        assert_eq!(kind(401, "<html>"), ErrorKind::AUTH);
        assert_eq!(kind(404, "{}"), ErrorKind::MODEL_UNAVAILABLE);
        assert_eq!(kind(408, ""), ErrorKind::TIMEOUT);
        assert_eq!(kind(429, ""), ErrorKind::RATE_LIMITED);
        assert_eq!(kind(503, "Service Unavailable"), ErrorKind::UPSTREAM);
        assert_eq!(kind(504, ""), ErrorKind::UPSTREAM);
        assert_eq!(kind(524, ""), ErrorKind::TIMEOUT);
        let job = API.classify(404, b"", None, Endpoint::Job);
        assert_eq!(job.kind, ErrorKind::NOT_FOUND);
    }

    #[test]
    fn openai_bodies_refine_the_status() {
        let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#;
        assert_eq!(kind(429, quota), ErrorKind::BILLING);
        let ctx = r#"{"error":{"message":"maximum context length is 8192","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#;
        let e = API.classify(400, ctx.as_bytes(), None, Endpoint::Model);
        assert_eq!(e.kind, ErrorKind::CONTEXT_LENGTH);
        assert!(e.message.contains("parameter messages"), "{}", e.message);
    }

    #[test]
    fn local_and_proxy_bodies() {
        let vllm = r#"{"object":"error","message":"This model's maximum context length is 4096 tokens","type":"BadRequestError","code":400}"#;
        assert_eq!(kind(400, vllm), ErrorKind::CONTEXT_LENGTH);
        let proxy = r#"{"detail":{"error":"speech failed: voice not available"}}"#;
        let e = API.classify(400, proxy.as_bytes(), None, Endpoint::Model);
        assert!(
            e.message.ends_with("voice not available") && !e.message.contains('{'),
            "{}",
            e.message
        );
        let litellm = r#"{"error":{"message":"Invalid model name passed in model=gpt-x","type":"invalid_request_error","code":"400"}}"#;
        assert_eq!(kind(400, litellm), ErrorKind::MODEL_UNAVAILABLE);
        // LiteLLM without a database: a key other than the master key.
        let wrong_key = r#"{"error":{"message":"No connected db.","type":"no_db_connection","param":null,"code":"400"}}"#;
        assert_eq!(kind(400, wrong_key), ErrorKind::AUTH);
        // ... and its database down is still a server failure.
        let db_down = r#"{"error":{"message":"Service Unavailable","type":"no_db_connection","param":"None","code":"503"}}"#;
        assert_eq!(kind(503, db_down), ErrorKind::UPSTREAM);
        let fastapi = r#"{"detail":[{"loc":["body","input"],"msg":"field required"}]}"#;
        let e = API.classify(422, fastapi.as_bytes(), None, Endpoint::Model);
        assert!(e.message.contains("field required"), "{}", e.message);
    }

    #[test]
    fn server_failures_stay_upstream_and_limits_stay_limits() {
        let e = API.classify(
            500,
            br#"{"error":{"message":"model not found in cache","type":"server_error"}}"#,
            Some("2.5"),
            Endpoint::Model,
        );
        assert_eq!(e.kind, ErrorKind::UPSTREAM);
        assert_eq!(e.retry_after_ms.into_option(), Some(2500));
        let e = kind(
            429,
            r#"{"error":{"message":"busy","metadata":{"error_type":"provider_overloaded"}}}"#,
        );
        assert_eq!(e, ErrorKind::RATE_LIMITED);
    }

    #[test]
    fn inline_errors_and_retry_after_bounds() {
        assert_eq!(
            API.classify_inline(&json!({"code": 429, "message": "slow"}))
                .kind,
            ErrorKind::RATE_LIMITED
        );
        assert_eq!(
            API.classify_inline(&json!("plain")).kind,
            ErrorKind::UPSTREAM
        );
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("NaN"), None);
        assert_eq!(parse_retry_after("1e9"), Some(MAX_RETRY_AFTER_MS));
    }
}

/// OpenRouter's documented error shapes (moved here from the plugin when
/// the classification became the kit's), read through an `Api` named like it.
#[cfg(test)]
mod openrouter_shapes {
    use super::*;

    const API: Api = Api::new("OpenRouter");

    fn classify(status: u16, body: &[u8], ra: Option<&str>, e: Endpoint) -> PluginError {
        API.classify(status, body, ra, e)
    }

    fn classify_inline(err: &Value) -> PluginError {
        API.classify_inline(err)
    }

    fn body(code: u16, t: &str) -> Vec<u8> {
        format!(r#"{{"error":{{"code":{code},"message":"m","metadata":{{"error_type":"{t}"}}}}}}"#)
            .into_bytes()
    }

    #[test]
    fn status_400_is_invalid_request() {
        assert_eq!(
            classify(400, &body(400, "invalid_request"), None, Endpoint::Model).kind,
            ErrorKind::INVALID_REQUEST
        );
    }
    #[test]
    fn status_400_context_length_is_its_own_kind() {
        assert_eq!(
            classify(
                400,
                &body(400, "context_length_exceeded"),
                None,
                Endpoint::Model
            )
            .kind,
            ErrorKind::CONTEXT_LENGTH
        );
    }
    #[test]
    fn status_401_and_403_are_auth() {
        assert_eq!(
            classify(
                401,
                b"{\"error\":{\"code\":401,\"message\":\"Missing Authentication header\"}}",
                None,
                Endpoint::Model
            )
            .kind,
            ErrorKind::AUTH
        );
        assert_eq!(
            classify(403, b"", None, Endpoint::Model).kind,
            ErrorKind::AUTH
        );
    }
    #[test]
    fn status_403_with_moderation_reasons_is_content_policy() {
        let b = br#"{"error":{"code":403,"message":"flagged","metadata":{"reasons":["violence"],"flagged_input":"x"}}}"#;
        assert_eq!(
            classify(403, b, None, Endpoint::Model).kind,
            ErrorKind::CONTENT_POLICY
        );
    }
    #[test]
    fn status_402_is_billing() {
        assert_eq!(
            classify(402, &body(402, "payment_required"), None, Endpoint::Model).kind,
            ErrorKind::BILLING
        );
    }
    #[test]
    fn status_404_is_model_unavailable_for_models_and_not_found_for_jobs() {
        assert_eq!(
            classify(404, b"{}", None, Endpoint::Model).kind,
            ErrorKind::MODEL_UNAVAILABLE
        );
        assert_eq!(
            classify(404, b"{}", None, Endpoint::Job).kind,
            ErrorKind::NOT_FOUND
        );
    }
    #[test]
    fn status_408_and_524_are_timeouts() {
        assert_eq!(
            classify(408, b"", None, Endpoint::Model).kind,
            ErrorKind::TIMEOUT
        );
        assert_eq!(
            classify(524, b"", None, Endpoint::Model).kind,
            ErrorKind::TIMEOUT
        );
    }
    #[test]
    fn status_429_is_rate_limited_with_retry_after() {
        let e = classify(
            429,
            &body(429, "rate_limit_exceeded"),
            Some("7"),
            Endpoint::Model,
        );
        assert_eq!(e.kind, ErrorKind::RATE_LIMITED);
        assert_eq!(e.retry_after_ms.into_option(), Some(7000));
    }
    #[test]
    fn status_5xx_and_529_are_upstream() {
        for s in [500, 502, 503, 529] {
            assert_eq!(
                classify(s, b"<html>", None, Endpoint::Model).kind,
                ErrorKind::UPSTREAM,
                "{s}"
            );
        }
    }
    #[test]
    fn availability_body_without_code_is_tolerated() {
        let b = br#"{"error":{"error_type":"no_endpoints","http_status":404,"message":"No endpoints","availability":{"code":"no_endpoints","retryable":false}}}"#;
        let e = classify(404, b, None, Endpoint::Model);
        assert_eq!(e.kind, ErrorKind::MODEL_UNAVAILABLE);
        assert!(e.message.contains("No endpoints"));
    }
    #[test]
    fn mid_stream_errors_by_numeric_and_string_code() {
        let e = classify_inline(
            &serde_json::json!({"code": 429, "message": "Rate limit exceeded", "metadata": {"error_type": "rate_limit_exceeded"}}),
        );
        assert_eq!(e.kind, ErrorKind::RATE_LIMITED);
        let e = classify_inline(&serde_json::json!({"code": "server_error", "message": "boom"}));
        assert_eq!(e.kind, ErrorKind::UPSTREAM);
        let e = classify_inline(&serde_json::json!({"message": "no code"}));
        assert_eq!(e.kind, ErrorKind::UPSTREAM);
    }

    /// The body's `availability.retry_after` was not capped like the
    /// header: `1e300` seconds became `u64::MAX` ms, a sleep until the
    /// overall deadline for a video poll.
    #[test]
    fn body_retry_after_is_capped_like_the_header() {
        let b = br#"{"error":{"code":429,"message":"m","availability":{"code":"rate_limited","retry_after":1e300}}}"#;
        let e = classify(429, b, None, Endpoint::Model);
        assert_eq!(e.retry_after_ms.into_option(), Some(MAX_RETRY_AFTER_MS));
        let b = br#"{"error":{"code":429,"availability":{"retry_after":-5}}}"#;
        assert_eq!(
            classify(429, b, None, Endpoint::Model)
                .retry_after_ms
                .into_option(),
            None
        );
        assert_eq!(parse_retry_after("1e300"), Some(MAX_RETRY_AFTER_MS));
        assert_eq!(parse_retry_after("NaN"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    /// A code that is not an HTTP status (`0`, `70000`, `"007"`) is kept as
    /// the provider code but never reported as the HTTP status.
    #[test]
    fn inline_codes_outside_http_statuses_are_not_statuses() {
        for code in [
            serde_json::json!(0),
            serde_json::json!(70000),
            serde_json::json!(99),
            serde_json::json!("007"),
        ] {
            let e = classify_inline(&serde_json::json!({"code": code, "message": "x"}));
            assert_eq!(e.status.into_option(), None, "{code}");
            assert_eq!(e.kind, ErrorKind::UPSTREAM, "{code}");
        }
        let e = classify_inline(&serde_json::json!({"code": " 402 ", "message": "x"}));
        assert_eq!(
            (e.kind, e.status.into_option()),
            (ErrorKind::BILLING, Some(402))
        );
    }

    mod props {
        use super::super::*;
        use super::{classify, classify_inline};
        use proptest::prelude::*;
        use serde_json::json;

        fn known(kind: ErrorKind) -> bool {
            ErrorKind::ALL.iter().any(|(k, _)| *k == kind)
        }

        fn code() -> impl Strategy<Value = Option<Value>> {
            prop_oneof![
                Just(None),
                any::<i64>().prop_map(|c| Some(json!(c))),
                (100u16..600).prop_map(|c| Some(json!(c))),
                "\\PC{0,8}".prop_map(|c| Some(json!(c))),
                (100u16..600).prop_map(|c| Some(json!(c.to_string()))),
                Just(Some(json!(1.5))),
                Just(Some(json!(null))),
            ]
        }

        fn error_type() -> impl Strategy<Value = Option<String>> {
            prop::option::of(
                prop::sample::select(vec![
                    "rate_limit_exceeded",
                    "server",
                    "invalid_request",
                    "no_endpoints",
                    "moderation",
                    "timeout",
                    "payment_required",
                    "authentication",
                    "whatever",
                ])
                .prop_map(str::to_string),
            )
        }

        fn error_object() -> impl Strategy<Value = Value> {
            (
                code(),
                prop::option::of("\\PC{0,16}"),
                error_type(),
                prop::option::of(any::<f64>()),
            )
                .prop_map(|(code, message, t, retry)| {
                    let mut e = serde_json::Map::new();
                    if let Some(c) = code {
                        e.insert("code".into(), c);
                    }
                    if let Some(m) = message {
                        e.insert("message".into(), json!(m));
                    }
                    if let Some(t) = t {
                        e.insert("metadata".into(), json!({"error_type": t}));
                    }
                    if let Some(r) = retry.and_then(serde_json::Number::from_f64) {
                        e.insert(
                            "availability".into(),
                            json!({"code": "x", "retry_after": r}),
                        );
                    }
                    Value::Object(e)
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(32))]

            /// Any status, any body, any Retry-After: a known kind, the
            /// status kept, the status named in the message, a capped delay.
            #[test]
            fn classify_never_panics_and_stays_typed(
                status in 100u16..1000,
                body in prop::collection::vec(any::<u8>(), 0..48),
                ra in prop::option::of("\\PC{0,8}"),
                job in any::<bool>(),
            ) {
                let ep = if job { Endpoint::Job } else { Endpoint::Model };
                let e = classify(status, &body, ra.as_deref(), ep);
                prop_assert!(known(e.kind));
                prop_assert_eq!(e.status.into_option(), Some(status));
                prop_assert!(e.message.contains(&status.to_string()));
                prop_assert!(e.retry_after_ms.into_option().is_none_or(|ms| ms <= MAX_RETRY_AFTER_MS));
            }

            /// OpenRouter-shaped error bodies (code a number, a string or absent).
            #[test]
            fn classify_of_error_bodies_is_typed(status in prop::sample::select(vec![400u16, 401, 402, 403, 404, 408, 413, 429, 500, 502, 503, 524, 529]), err in error_object()) {
                let body = json!({"error": err}).to_string();
                let e = classify(status, body.as_bytes(), None, Endpoint::Model);
                prop_assert!(known(e.kind));
                prop_assert!(e.retry_after_ms.into_option().is_none_or(|ms| ms <= MAX_RETRY_AFTER_MS));
                if let Some(m) = err.get("message").and_then(Value::as_str) {
                    prop_assert!(e.message.contains(m));
                }
            }

            /// Inline (200 or mid-stream) errors: a known kind; a status only
            /// when the code is an HTTP status.
            #[test]
            fn classify_inline_is_typed(err in error_object()) {
                let e = classify_inline(&err);
                prop_assert!(known(e.kind));
                prop_assert!(e.status.into_option().is_none_or(|s| (100..=599).contains(&s)));
                prop_assert!(e.message.starts_with("OpenRouter reported an error"));
            }
        }
    }
}

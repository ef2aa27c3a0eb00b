/*!
OpenRouter's errors, classified into the plugin API's typed kinds. One
table ([`kind_for_status`]) maps HTTP statuses; the body's
`error.metadata.error_type` (or `error.error_type`, or an availability code)
refines it; mid-stream SSE errors are classified by their `code` (a number,
a string, or absent) and `error_type`. Bodies are parsed leniently: any
shape that is not OpenRouter's still yields a typed error.
*/

use serde_json::Value;
use switchyard_plugin_api::{ErrorKind, PluginError};

/// What kind of endpoint answered (a 404 means different things).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Chat, image, speech, video submit: a 404 means the model is unavailable.
    Model,
    /// A video job: a 404 means the job does not exist.
    Job,
    /// Anything else.
    Other,
}

/// The status table: one row per documented status.
pub fn kind_for_status(status: u16, endpoint: Endpoint) -> ErrorKind {
    match status {
        400 | 413 | 422 => ErrorKind::INVALID_REQUEST,
        401 | 403 => ErrorKind::AUTH,
        402 => ErrorKind::BILLING,
        404 if endpoint == Endpoint::Model => ErrorKind::MODEL_UNAVAILABLE,
        404 => ErrorKind::NOT_FOUND,
        408 | 524 => ErrorKind::TIMEOUT,
        429 => ErrorKind::RATE_LIMITED,
        500..=599 => ErrorKind::UPSTREAM,
        _ => ErrorKind::UPSTREAM,
    }
}

/// The kind an `error_type` (or string error code) names, if it names one.
pub fn kind_for_error_type(t: &str) -> Option<ErrorKind> {
    Some(match t {
        "context_length_exceeded" | "max_tokens_exceeded" | "token_limit_exceeded" => {
            ErrorKind::CONTEXT_LENGTH
        }
        "authentication" | "permission_denied" | "unauthorized" | "invalid_api_key" => {
            ErrorKind::AUTH
        }
        "payment_required" | "insufficient_quota" => ErrorKind::BILLING,
        "rate_limit_exceeded" | "rate_limited" | "capacity_exhausted" => ErrorKind::RATE_LIMITED,
        "provider_overloaded"
        | "provider_unavailable"
        | "server"
        | "server_error"
        | "temporarily_unavailable"
        | "internal_error" => ErrorKind::UPSTREAM,
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
        "content_policy_violation" | "refusal" | "moderation" => ErrorKind::CONTENT_POLICY,
        "not_found" => ErrorKind::NOT_FOUND,
        "timeout" => ErrorKind::TIMEOUT,
        "model_not_found"
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

/// The longest retry delay taken from an answer (one hour).
pub const MAX_RETRY_AFTER_MS: u64 = 3_600_000;

/// Parses `Retry-After` (seconds, possibly fractional) into milliseconds.
pub fn parse_retry_after(v: &str) -> Option<u64> {
    let secs: f64 = v.trim().parse().ok()?;
    retry_after_secs_to_ms(secs)
}

/// Seconds (header or body) to milliseconds, capped at [`MAX_RETRY_AFTER_MS`];
/// negative and non-finite values mean nothing.
fn retry_after_secs_to_ms(secs: f64) -> Option<u64> {
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some((secs * 1000.0).min(MAX_RETRY_AFTER_MS as f64) as u64)
}

/// What an OpenRouter error body says.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ErrorBody {
    /// `error.code` as text (number or string), when present.
    pub code: Option<String>,
    /// `error.code` when it is (or spells) an HTTP status, 100 to 599.
    pub numeric_code: Option<u16>,
    /// `error.message`.
    pub message: Option<String>,
    /// `error.metadata.error_type` or `error.error_type`.
    pub error_type: Option<String>,
    /// `error.availability.code`.
    pub availability: Option<String>,
    /// `error.availability.retry_after` in seconds.
    pub retry_after: Option<f64>,
    /// `error.metadata.provider_name`.
    pub provider: Option<String>,
    /// Moderation reasons.
    pub reasons: Vec<String>,
}

/// Extracts what it can from an `{"error": {...}}` value.
pub fn parse_error_value(err: &Value) -> ErrorBody {
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
        Some(Value::String(s)) => {
            b.numeric_code = s.trim().parse().ok().and_then(http_status);
            b.code = Some(s.clone());
        }
        _ => {}
    }
    b.message = err
        .get("message")
        .and_then(|m| m.as_str())
        .map(str::to_string);
    let meta = err.get("metadata");
    b.error_type = meta
        .and_then(|m| m.get("error_type"))
        .or_else(|| err.get("error_type"))
        .and_then(|t| t.as_str())
        .map(str::to_string);
    b.provider = meta
        .and_then(|m| m.get("provider_name"))
        .and_then(|p| p.as_str())
        .map(str::to_string);
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
        b.availability = av.get("code").and_then(|c| c.as_str()).map(str::to_string);
        b.retry_after = av.get("retry_after").and_then(|r| r.as_f64());
    }
    b
}

fn status_text(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        422 => "Unprocessable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        524 => "Edge Timeout",
        529 => "Provider Overloaded",
        _ => "",
    }
}

fn hint(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::AUTH => {
            " Check the API key (OPENROUTER_API_KEY or models.providers.openrouter.apiKey)."
        }
        ErrorKind::BILLING => " Add credits at https://openrouter.ai/credits.",
        ErrorKind::MODEL_UNAVAILABLE => {
            " Check the model ref (openrouter/<provider>/<model>) or pick another model."
        }
        _ => "",
    }
}

/// Classifies an HTTP error answer.
pub fn classify(
    status: u16,
    body: &[u8],
    retry_after: Option<&str>,
    endpoint: Endpoint,
) -> PluginError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let eb = parsed
        .as_ref()
        .and_then(|v| v.get("error"))
        .map(parse_error_value)
        .unwrap_or_default();
    let mut kind = kind_for_status(status, endpoint);
    let refined = eb
        .availability
        .as_deref()
        .and_then(kind_for_error_type)
        .or_else(|| eb.error_type.as_deref().and_then(kind_for_error_type));
    if let Some(r) = refined {
        // A refinement may sharpen the status kind but never turn a
        // transient status into a permanent one or the reverse arbitrarily.
        let keep_status = matches!(kind, ErrorKind::RATE_LIMITED | ErrorKind::BILLING)
            && r == ErrorKind::UPSTREAM;
        if !keep_status {
            kind = r;
        }
    }
    if status == 403 && !eb.reasons.is_empty() {
        kind = ErrorKind::CONTENT_POLICY;
    }
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
    let mut msg = format!(
        "OpenRouter answered {status} {}: {text}",
        status_text(status)
    )
    .replace(": :", ":");
    if let Some(t) = &eb.error_type {
        msg.push_str(&format!(" ({t})"));
    }
    if let Some(p) = &eb.provider {
        msg.push_str(&format!(" [provider {p}]"));
    }
    if !eb.reasons.is_empty() {
        msg.push_str(&format!(" reasons: {}", eb.reasons.join(", ")));
    }
    let h = hint(kind);
    if !h.is_empty() && !msg.ends_with(['.', '!', '?']) {
        msg.push('.');
    }
    msg.push_str(h);
    let mut e = PluginError::new(kind, msg).with_status(status);
    if let Some(code) = eb
        .error_type
        .clone()
        .or(eb.availability.clone())
        .or(eb.code.clone())
    {
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

/// Classifies an error that arrived inside a 200 answer (a mid-stream SSE
/// chunk or a 200 body with `error`), by its code and error type.
pub fn classify_inline(err: &Value) -> PluginError {
    let eb = parse_error_value(err);
    let kind = eb
        .error_type
        .as_deref()
        .and_then(kind_for_error_type)
        .or_else(|| eb.code.as_deref().and_then(kind_for_error_type))
        .or_else(|| eb.numeric_code.map(|c| kind_for_status(c, Endpoint::Model)))
        .unwrap_or(ErrorKind::UPSTREAM);
    let mut msg = format!(
        "OpenRouter reported an error in the answer: {}",
        eb.message.clone().unwrap_or_else(|| "(no message)".into())
    );
    if let Some(c) = &eb.code {
        msg.push_str(&format!(" (code {c})"));
    }
    let mut e = PluginError::new(kind, msg);
    if let Some(c) = eb.numeric_code {
        e = e.with_status(c);
    }
    if let Some(code) = eb.error_type.or(eb.code) {
        e = e.with_provider_code(code);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

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

/*!
Fuzz target: OpenRouter error answers (`switchyard_openrouter::errors::
classify` for HTTP errors and `classify_inline` for errors inside a 200
answer or an SSE chunk).

Input: two bytes of status, one byte choosing the endpoint kind and the
length of a `Retry-After` header value, that value, then the body. Any
input gives a `PluginError` of a known kind that keeps the status and
names it in its message, with a retry delay of at most an hour; when the
body is JSON, `classify_inline` on it (and on its `error`, whatever the
type of `code`: number, string or absent) gives a known kind and a status
only when the code is an HTTP status.
*/
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_openrouter::errors::{classify, classify_inline, Endpoint, MAX_RETRY_AFTER_MS};
use switchyard_plugin_api::{ErrorKind, PluginError};

fn known(e: &PluginError) -> bool {
    ErrorKind::ALL.iter().any(|(k, _)| *k == e.kind) && !e.message.is_empty()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let status = 100 + u16::from_le_bytes([data[0], data[1]]) % 900;
    let endpoint = match data[2] % 3 {
        0 => Endpoint::Model,
        1 => Endpoint::Job,
        _ => Endpoint::Other,
    };
    let ra_len = usize::from(data[2] >> 2) % 16;
    let rest = &data[3..];
    let (ra, body) = rest.split_at(ra_len.min(rest.len()));
    let ra = std::str::from_utf8(ra).ok().filter(|_| ra_len > 0);

    let e = classify(status, body, ra, endpoint);
    assert!(known(&e), "{e:?}");
    assert_eq!(e.status.into_option(), Some(status));
    assert!(e.message.contains(&status.to_string()), "{}", e.message);
    assert!(e
        .retry_after_ms
        .into_option()
        .is_none_or(|ms| ms <= MAX_RETRY_AFTER_MS));

    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        for err in [Some(&v), v.get("error")].into_iter().flatten() {
            let e = classify_inline(err);
            assert!(known(&e), "{e:?}");
            assert!(e
                .status
                .into_option()
                .is_none_or(|s| (100..=599).contains(&s)));
        }
    }
});

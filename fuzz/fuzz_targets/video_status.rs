/*!
Fuzz target: video job status answers (`switchyard_openrouter::video::
parse_status`, the pure JSON-to-status part of every poll). Any bytes give
a status among the documented states that agrees with the body's `status`
field, with a finite cost if any, or a `StatusError` naming the body's
fault (not JSON, no status, unknown status).
*/
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_openrouter::video::{parse_status, StatusError, JOB_STATES};

fuzz_target!(|data: &[u8]| {
    let json = serde_json::from_slice::<serde_json::Value>(data).ok();
    let field = json
        .as_ref()
        .and_then(|v| v.get("status"))
        .and_then(|s| s.as_str());
    match parse_status(data) {
        Ok(p) => {
            assert!(JOB_STATES.contains(&p.status.as_str()));
            assert_eq!(Some(p.status.as_str()), field);
            assert!(p.cost.is_none_or(f64::is_finite));
        }
        Err(StatusError::NotJson) => assert!(json.is_none()),
        Err(StatusError::NoStatus) => assert!(json.is_some() && field.is_none()),
        Err(StatusError::UnknownStatus(s)) => {
            assert_eq!(Some(s.as_str()), field);
            assert!(!JOB_STATES.contains(&s.as_str()));
        }
    }
});

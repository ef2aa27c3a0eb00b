/*!
Fuzz target: humane durations (`switchyard_core::duration::parse`, used by every
`--timeout`). Any text gives a duration of at least 1 ms and at most 7
days, or an error that quotes the text and says what is allowed.
*/
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::Duration;

fuzz_target!(|text: &str| {
    match switchyard_core::duration::parse(text) {
        Ok(d) => assert!(
            d >= Duration::from_millis(1) && d <= Duration::from_secs(7 * 24 * 3600),
            "{text:?} -> {d:?}"
        ),
        Err(e) => {
            assert!(e.starts_with("invalid duration"), "{e}");
            assert!(e.contains(&format!("{text:?}")), "{e}");
        }
    }
});

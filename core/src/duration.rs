/*!
Human durations for `--timeout`: `500ms`, `3s`, `2m`, `1h`, or a bare number of
seconds; and for look-back windows (`spend --since`), also days and weeks
(`7d`, `2w`). Anything else is an error that says what is allowed.
*/

use std::time::Duration;

const HOUR_MS: f64 = 3_600_000.0;
const DAY_MS: f64 = 24.0 * HOUR_MS;

/// Parses a human duration (a timeout: at most 7 days).
pub fn parse(text: &str) -> Result<Duration, String> {
    parse_in(text, false)
}

/// Parses a look-back window: a duration that may also be given in days
/// (`7d`) or weeks (`2w`), up to ten years.
pub fn parse_window(text: &str) -> Result<Duration, String> {
    parse_in(text, true)
}

fn parse_in(text: &str, long: bool) -> Result<Duration, String> {
    let t = text.trim();
    let bad = || {
        let eg = if long {
            "30m, 12h, 7d, 2w"
        } else {
            "500ms, 30s, 2m, 1h"
        };
        format!("invalid duration {text:?}: use a number with a unit, e.g. {eg} (a bare number is seconds)")
    };
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    if num.is_empty() || num.len() > 15 {
        return Err(bad());
    }
    let value: f64 = num.parse().map_err(|_| bad())?;
    let ms_per = match unit.trim().to_ascii_lowercase().as_str() {
        "ms" => 1.0,
        "" | "s" | "sec" | "secs" => 1000.0,
        "m" | "min" | "mins" => 60_000.0,
        "h" | "hr" | "hrs" => HOUR_MS,
        "d" | "day" | "days" if long => DAY_MS,
        "w" | "week" | "weeks" if long => 7.0 * DAY_MS,
        _ => return Err(bad()),
    };
    let (max_ms, max_text) = if long {
        (3650.0 * DAY_MS, "10 years")
    } else {
        (7.0 * DAY_MS, "7 days")
    };
    // Rounded to whole milliseconds before the range check: a positive
    // value under half a millisecond would otherwise become 0, which the
    // plugins read as "no timeout at all".
    let ms = (value * ms_per).round();
    if !ms.is_finite() || !(1.0..=max_ms).contains(&ms) {
        return Err(format!(
            "invalid duration {text:?}: must be at least 1ms and at most {max_text}"
        ));
    }
    Ok(Duration::from_millis(ms as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_parse() {
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("3s").unwrap(), Duration::from_secs(3));
        assert_eq!(parse("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse("45").unwrap(), Duration::from_secs(45));
        assert_eq!(parse("1.5s").unwrap(), Duration::from_millis(1500));
    }

    #[test]
    fn windows_take_days_and_weeks_but_timeouts_do_not() {
        assert_eq!(parse_window("7d").unwrap(), Duration::from_secs(7 * 86_400));
        assert_eq!(
            parse_window("2w").unwrap(),
            Duration::from_secs(14 * 86_400)
        );
        assert_eq!(parse_window("12h").unwrap(), Duration::from_secs(12 * 3600));
        assert!(parse("7d").unwrap_err().contains("1h"));
        assert!(parse_window("7y").unwrap_err().contains("7d"));
        assert!(parse_window("4000d").unwrap_err().contains("10 years"));
    }

    #[test]
    fn garbage_is_refused_with_the_allowed_forms() {
        for bad in [
            "",
            "s",
            "5 parsecs",
            "-3s",
            "0",
            "1e9h",
            "9999999999999999999",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("invalid duration"), "{bad}: {e}");
        }
    }

    /// Found by reading for the fuzz target: `0.1ms` rounded to a zero
    /// timeout, which the plugin runtime treats as no deadline at all.
    #[test]
    fn sub_millisecond_values_are_refused_not_rounded_to_no_timeout() {
        for bad in ["0.1ms", "0.4ms", "0.0000001s", "0.00000001h"] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("at least 1ms"), "{bad}: {e}");
        }
        assert_eq!(parse("0.5ms").unwrap(), Duration::from_millis(1));
        assert_eq!(parse("1ms").unwrap(), Duration::from_millis(1));
    }

    mod props {
        use super::super::parse;
        use proptest::prelude::*;
        use std::time::Duration;

        const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(32))]

            /// Any text: a duration in (0, 7 days], or an error quoting the text.
            #[test]
            fn any_text_is_a_bounded_duration_or_an_error_naming_it(s in "\\PC{0,24}") {
                match parse(&s) {
                    Ok(d) => prop_assert!(d >= Duration::from_millis(1) && d <= WEEK, "{s:?} -> {d:?}"),
                    Err(e) => prop_assert!(e.contains(&format!("{s:?}")), "{e}"),
                }
            }

            /// Well-formed inputs parse to exactly their value.
            #[test]
            fn number_and_unit_round_trip(n in 1u64..100_000, unit in prop::sample::select(vec![("ms", 1u64), ("s", 1000), ("m", 60_000), ("h", 3_600_000)])) {
                let text = format!("{n}{}", unit.0);
                let want = n * unit.1;
                match parse(&text) {
                    Ok(d) => prop_assert_eq!(d.as_millis() as u64, want),
                    Err(e) => prop_assert!(want > WEEK.as_millis() as u64, "{text}: {e}"),
                }
            }
        }
    }
}

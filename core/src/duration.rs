/*!
Human durations for `--timeout`: `500ms`, `3s`, `2m`, `1h`, or a bare number of
seconds. Anything else is an error that says what is allowed.
*/

use std::time::Duration;

/// Parses a human duration.
pub fn parse(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let bad = || {
        format!("invalid duration {text:?}: use a number with a unit, e.g. 500ms, 30s, 2m, 1h (a bare number is seconds)")
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
        "h" | "hr" | "hrs" => 3_600_000.0,
        _ => return Err(bad()),
    };
    // Rounded to whole milliseconds before the range check: a positive
    // value under half a millisecond would otherwise become 0, which the
    // plugins read as "no timeout at all".
    let ms = (value * ms_per).round();
    if !ms.is_finite() || !(1.0..=7.0 * 24.0 * 3_600_000.0).contains(&ms) {
        return Err(format!(
            "invalid duration {text:?}: must be at least 1ms and at most 7 days"
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

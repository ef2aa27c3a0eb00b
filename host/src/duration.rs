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
    let ms = value * ms_per;
    if !ms.is_finite() || ms <= 0.0 || ms > 7.0 * 24.0 * 3_600_000.0 {
        return Err(format!(
            "invalid duration {text:?}: must be more than 0 and at most 7 days"
        ));
    }
    Ok(Duration::from_millis(ms.round() as u64))
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
}

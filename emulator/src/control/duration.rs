//! Human durations for the control API: `"90s"`, `"10m"`, `"2h"`, `"1d"`, `"1h30m"`, or a
//! number of seconds.

use serde_json::Value;

/// Parses a duration in whole seconds from a JSON value (a string like `"10m"` or a
/// non-negative integer number of seconds).
pub fn seconds_from_json(v: &Value) -> Result<u64, String> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| format!("duration {n} must be a non-negative whole number of seconds")),
        Value::String(s) => parse_seconds(s),
        other => Err(format!("duration must be a string like \"90s\" or a number, not {other}")),
    }
}

/// Parses `"90s"`, `"10m"`, `"2h"`, `"1d"`, `"1h30m"` or `"45"` into seconds.
pub fn parse_seconds(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("duration must not be empty".into());
    }
    if let Ok(n) = t.parse::<u64>() {
        return Ok(n);
    }
    const FORMS: &str = "use a number of seconds or numbers with units s, m, h, d, like \"90s\", \
                         \"10m\", \"2h\" or \"1h30m\"";
    if !t.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("invalid duration {s:?}: {FORMS}"));
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => {
                return Err(format!("invalid duration {s:?}: unknown unit {c:?}; {FORMS}"));
            }
        };
        let n: u64 = digits.parse().map_err(|_| {
            format!("invalid duration {s:?}: a number must come before {c:?}; {FORMS}")
        })?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(|| format!("duration {s:?} is too large"))?;
    }
    if !digits.is_empty() {
        return Err(format!("invalid duration {s:?}: {digits} has no unit (use s, m, h, d)"));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn units_and_numbers() {
        assert_eq!(parse_seconds("90s").unwrap(), 90);
        assert_eq!(parse_seconds("10m").unwrap(), 600);
        assert_eq!(parse_seconds("2h").unwrap(), 7200);
        assert_eq!(parse_seconds("1d").unwrap(), 86_400);
        assert_eq!(parse_seconds("1h30m").unwrap(), 5400);
        assert_eq!(parse_seconds("45").unwrap(), 45);
        assert_eq!(seconds_from_json(&json!(30)).unwrap(), 30);
        assert_eq!(seconds_from_json(&json!("2m")).unwrap(), 120);
    }

    #[test]
    fn bad_durations_say_why() {
        assert!(parse_seconds("").is_err());
        assert!(parse_seconds("10x").unwrap_err().contains("unknown unit"));
        assert!(parse_seconds("m").unwrap_err().contains("like \"90s\""));
        let soon = parse_seconds("soon").unwrap_err();
        assert!(soon.contains("\"soon\"") && soon.contains("like \"90s\""), "{soon}");
        assert!(!soon.contains("number must come before"), "{soon}");
        assert!(parse_seconds("1h1m1").unwrap_err().contains("no unit"));
        assert!(parse_seconds("1h30").unwrap_err().contains("no unit"));
        assert!(seconds_from_json(&json!(-5)).unwrap_err().contains("non-negative"));
        assert!(seconds_from_json(&json!(1.5)).is_err());
        assert!(seconds_from_json(&json!(true)).is_err());
        assert!(parse_seconds("99999999999999999999d").is_err());
    }
}

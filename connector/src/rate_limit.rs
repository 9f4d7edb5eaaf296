//! Rate-limit information, normalised into the IETF `RateLimit-Limit` / `-Remaining` / `-Reset`
//! model whatever dialect the server (or a proxy in front of it) speaks:
//!
//! - `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (draft-ietf-httpapi-ratelimit-headers
//!   up to -06; reset in delta seconds);
//! - the combined `RateLimit: limit=100, remaining=0, reset=30` field (later drafts);
//! - `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (reset either delta
//!   seconds or a Unix timestamp, as GitHub and others send it);
//! - `Retry-After` as delay seconds or an HTTP date (RFC 9110 §10.2.3).
//!
//! Parsing takes "now" as an argument so dates are turned into durations deterministically.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use serde::Serialize;

/// Reset values above this are Unix timestamps rather than delta seconds (no window lasts 30
/// years; every timestamp since 2001 is larger).
const EPOCH_THRESHOLD: u64 = 1_000_000_000;

/// The normalised rate-limit state of one response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    /// Requests allowed in the current window.
    pub limit: Option<u64>,
    /// Requests left in the current window.
    pub remaining: Option<u64>,
    /// Time until the window resets.
    #[serde(serialize_with = "secs_opt")]
    pub reset: Option<Duration>,
    /// How long the server asked the client to wait (`Retry-After`).
    #[serde(serialize_with = "secs_opt")]
    pub retry_after: Option<Duration>,
}

fn secs_opt<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

impl RateLimit {
    /// Reads every supported header dialect. IETF names win over `X-` names when both are sent.
    pub fn from_headers(headers: &HeaderMap, now: DateTime<Utc>) -> RateLimit {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let mut rl = RateLimit::default();

        if let Some(combined) = get("ratelimit") {
            let fields = parse_combined(combined);
            rl.limit = fields.0;
            rl.remaining = fields.1;
            rl.reset = fields.2.map(Duration::from_secs);
        }
        let int = |name: &str| get(name).and_then(|v| v.parse::<u64>().ok());
        rl.limit = rl.limit.or_else(|| int("ratelimit-limit")).or_else(|| int("x-ratelimit-limit"));
        rl.remaining = rl
            .remaining
            .or_else(|| int("ratelimit-remaining"))
            .or_else(|| int("x-ratelimit-remaining"));
        rl.reset = rl
            .reset
            .or_else(|| get("ratelimit-reset").and_then(|v| parse_reset(v, now)))
            .or_else(|| get("x-ratelimit-reset").and_then(|v| parse_reset(v, now)));
        rl.retry_after = get("retry-after").and_then(|v| parse_retry_after(v, now));
        rl
    }

    /// True when no header carried anything.
    pub fn is_empty(&self) -> bool {
        *self == RateLimit::default()
    }

    /// What a 429 tells the caller to wait: `Retry-After`, else the window's reset.
    pub fn wait_hint(&self) -> Option<Duration> {
        self.retry_after.or(self.reset)
    }
}

/// `Retry-After`: delay seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`). A date
/// in the past means "now" (zero). Anything else is ignored rather than guessed at.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // Some servers send fractional seconds, which RFC 9110 does not allow; accept them anyway.
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((date - now).to_std().unwrap_or(Duration::ZERO))
}

/// A reset value: delta seconds, or a Unix timestamp when implausibly large for a delta.
fn parse_reset(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let n = value.parse::<u64>().ok()?;
    if n >= EPOCH_THRESHOLD {
        let at = DateTime::<Utc>::from_timestamp(i64::try_from(n).ok()?, 0)?;
        Some((at - now).to_std().unwrap_or(Duration::ZERO))
    } else {
        Some(Duration::from_secs(n))
    }
}

/// The combined `RateLimit` field: `limit=100, remaining=50, reset=5` (also accepts the
/// `"policy";r=50;t=5` item form of later drafts, where `r` is remaining and `t` the reset).
fn parse_combined(value: &str) -> (Option<u64>, Option<u64>, Option<u64>) {
    let (mut limit, mut remaining, mut reset) = (None, None, None);
    for part in value.split([',', ';']) {
        let Some((k, v)) = part.split_once('=') else { continue };
        let v = v.trim().trim_matches('"').parse::<u64>().ok();
        match k.trim().to_ascii_lowercase().as_str() {
            "limit" | "l" | "q" => limit = limit.or(v),
            "remaining" | "r" => remaining = remaining.or(v),
            "reset" | "t" => reset = reset.or(v),
            _ => {}
        }
    }
    (limit, remaining, reset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z").unwrap().with_timezone(&Utc)
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn ietf_headers() {
        let rl = RateLimit::from_headers(
            &headers(&[
                ("RateLimit-Limit", "600"),
                ("RateLimit-Remaining", "0"),
                ("RateLimit-Reset", "42"),
                ("Retry-After", "7"),
            ]),
            now(),
        );
        assert_eq!(rl.limit, Some(600));
        assert_eq!(rl.remaining, Some(0));
        assert_eq!(rl.reset, Some(Duration::from_secs(42)));
        assert_eq!(rl.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(rl.wait_hint(), Some(Duration::from_secs(7)));
    }

    #[test]
    fn x_headers_with_epoch_reset() {
        let reset_at = now().timestamp() + 90;
        let rl = RateLimit::from_headers(
            &headers(&[
                ("X-RateLimit-Limit", "5000"),
                ("X-RateLimit-Remaining", "12"),
                ("X-RateLimit-Reset", &reset_at.to_string()),
            ]),
            now(),
        );
        assert_eq!((rl.limit, rl.remaining), (Some(5000), Some(12)));
        assert_eq!(rl.reset, Some(Duration::from_secs(90)));
        assert_eq!(rl.retry_after, None);
        assert_eq!(rl.wait_hint(), Some(Duration::from_secs(90)));
    }

    #[test]
    fn ietf_names_win_over_x_names() {
        let rl = RateLimit::from_headers(
            &headers(&[("RateLimit-Limit", "10"), ("X-RateLimit-Limit", "99")]),
            now(),
        );
        assert_eq!(rl.limit, Some(10));
    }

    #[test]
    fn combined_field() {
        let rl = RateLimit::from_headers(
            &headers(&[("RateLimit", "limit=100, remaining=3, reset=30")]),
            now(),
        );
        assert_eq!(
            (rl.limit, rl.remaining, rl.reset),
            (Some(100), Some(3), Some(Duration::from_secs(30)))
        );
        let rl = RateLimit::from_headers(&headers(&[("RateLimit", "\"default\";r=0;t=12")]), now());
        assert_eq!((rl.remaining, rl.reset), (Some(0), Some(Duration::from_secs(12))));
    }

    #[test]
    fn retry_after_http_date_and_garbage() {
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now()),
            Some(Duration::from_secs(60))
        );
        // A date in the past means retry now.
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now()), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("1.5", now()), Some(Duration::from_millis(1500)));
        assert_eq!(parse_retry_after("soon", now()), None);
        assert_eq!(parse_retry_after("-3", now()), None);
    }

    #[test]
    fn no_headers_is_empty() {
        let rl = RateLimit::from_headers(&HeaderMap::new(), now());
        assert!(rl.is_empty());
        let rl = RateLimit::from_headers(&headers(&[("RateLimit-Limit", "lots")]), now());
        assert!(rl.is_empty());
    }
}

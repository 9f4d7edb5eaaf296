//! Events API requests, parsed and validated apart from HTTP, and the errors they can produce.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::profile::V3Params;

/// What went wrong serving an Events API request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventsError {
    /// 400: the request is malformed; the message says what and where.
    #[error("{0}")]
    BadRequest(String),
    /// 401: missing, invalid, expired or unscoped token.
    #[error("{0}")]
    Unauthorized(String),
}

fn bad(msg: impl Into<String>) -> EventsError {
    EventsError::BadRequest(msg.into())
}

/// Default page size.
pub const DEFAULT_LIMIT: u16 = 100;
/// Largest page size.
pub const MAX_LIMIT: u16 = 1000;

/// A v1/v2 request body: a ResetCursor or a Cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRequest {
    /// Start over from `start_time` (default: one hour before `end_time` or now).
    Reset {
        /// Page size, 1–1000.
        limit: u16,
        /// Lower bound (inclusive, whole seconds).
        start_time: Option<DateTime<Utc>>,
        /// Upper bound (inclusive, whole seconds).
        end_time: Option<DateTime<Utc>>,
    },
    /// Continue from a cursor.
    Resume {
        /// The opaque cursor.
        cursor: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBody {
    cursor: Option<String>,
    limit: Option<serde_json::Value>,
    start_time: Option<String>,
    end_time: Option<String>,
}

/// Parses an RFC 3339 timestamp, naming `field` on failure.
pub fn parse_time(field: &str, s: &str) -> Result<DateTime<Utc>, EventsError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.to_utc()).map_err(|_| {
        bad(format!("{field}: {s:?} is not an RFC 3339 timestamp (e.g. 2026-01-01T00:00:00Z)"))
    })
}

fn parse_size(field: &str, v: &serde_json::Value, min: u64) -> Result<u16, EventsError> {
    v.as_u64().filter(|n| (min..=u64::from(MAX_LIMIT)).contains(n)).map(|n| n as u16).ok_or_else(
        || {
            bad(format!(
                "{field}: {v} is out of range; it must be an integer from {min} to {MAX_LIMIT}"
            ))
        },
    )
}

fn check_order(
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
) -> Result<(), EventsError> {
    match (start, end) {
        (Some(s), Some(e)) if s > e => Err(bad("start_time is after end_time")),
        _ => Ok(()),
    }
}

/// Parses a v1/v2 POST body. An empty body is an empty ResetCursor (`{}`).
pub fn parse_page_request(body: &[u8]) -> Result<PageRequest, EventsError> {
    let text = std::str::from_utf8(body).map_err(|_| bad("request body is not UTF-8"))?;
    let raw: RawBody = if text.trim().is_empty() {
        RawBody { cursor: None, limit: None, start_time: None, end_time: None }
    } else {
        serde_json::from_str(text).map_err(|e| bad(format!("invalid request body: {e}")))?
    };
    if let Some(cursor) = raw.cursor {
        if raw.limit.is_some() || raw.start_time.is_some() || raw.end_time.is_some() {
            return Err(bad(
                "send either a cursor or ResetCursor fields (limit, start_time, end_time), not both",
            ));
        }
        if cursor.is_empty() {
            return Err(bad("cursor: must not be empty"));
        }
        return Ok(PageRequest::Resume { cursor });
    }
    let limit = raw.limit.as_ref().map(|v| parse_size("limit", v, 1)).transpose()?;
    let start_time = raw.start_time.as_deref().map(|s| parse_time("start_time", s)).transpose()?;
    let end_time = raw.end_time.as_deref().map(|s| parse_time("end_time", s)).transpose()?;
    check_order(start_time, end_time)?;
    Ok(PageRequest::Reset { limit: limit.unwrap_or(DEFAULT_LIMIT), start_time, end_time })
}

/// A v3 `GET /api/v3/auditevents` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Request {
    /// Page size.
    pub page_size: u16,
    /// Lower bound.
    pub start_time: Option<DateTime<Utc>>,
    /// Upper bound.
    pub end_time: Option<DateTime<Utc>>,
    /// Continuation token.
    pub page_token: Option<String>,
}

/// Parses v3 query parameters under the profile's parameter set.
///
/// `max_page_size` variant (beta spec 3.0.0): `max_page_size` 0–1000 (0 = default 100),
/// exclusive `start_time`/`end_time`, `page_token` (not allowed with either time).
/// `page_size` variant: `page_size` 1–1000, inclusive times, `next_page_token`.
pub fn parse_v3(params: &[(String, String)], variant: V3Params) -> Result<V3Request, EventsError> {
    let (size_name, token_name, min) = match variant {
        V3Params::MaxPageSize => ("max_page_size", "page_token", 0),
        V3Params::PageSize => ("page_size", "next_page_token", 1),
    };
    let mut map = BTreeMap::new();
    for (k, v) in params {
        if ![size_name, token_name, "start_time", "end_time"].contains(&k.as_str()) {
            return Err(bad(format!(
                "unknown query parameter {k:?}; expected {size_name}, start_time, end_time, {token_name}"
            )));
        }
        if map.insert(k.as_str(), v.as_str()).is_some() {
            return Err(bad(format!("query parameter {k:?} given twice")));
        }
    }
    let page_size = match map.get(size_name) {
        None => DEFAULT_LIMIT,
        Some(v) => {
            let n: serde_json::Value = v
                .parse::<u64>()
                .map(Into::into)
                .unwrap_or(serde_json::Value::String((*v).to_owned()));
            match parse_size(size_name, &n, min)? {
                0 => DEFAULT_LIMIT,
                n => n,
            }
        }
    };
    let start_time = map.get("start_time").map(|s| parse_time("start_time", s)).transpose()?;
    let end_time = map.get("end_time").map(|s| parse_time("end_time", s)).transpose()?;
    check_order(start_time, end_time)?;
    let page_token = map.get(token_name).map(|s| (*s).to_owned());
    if page_token.is_some() && (start_time.is_some() || end_time.is_some()) {
        return Err(bad(format!("{token_name} cannot be combined with start_time or end_time")));
    }
    Ok(V3Request { page_size, start_time, end_time, page_token })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reset(limit: u16) -> PageRequest {
        PageRequest::Reset { limit, start_time: None, end_time: None }
    }

    #[test]
    fn empty_bodies_are_default_resets() {
        assert_eq!(parse_page_request(b"").unwrap(), reset(100));
        assert_eq!(parse_page_request(b"{}").unwrap(), reset(100));
        assert_eq!(parse_page_request(br#"{"limit":1000}"#).unwrap(), reset(1000));
        assert_eq!(
            parse_page_request(br#"{"cursor":"abc"}"#).unwrap(),
            PageRequest::Resume { cursor: "abc".into() }
        );
    }

    #[test]
    fn bad_bodies_say_what_is_wrong() {
        let cases: &[(&[u8], &str)] = &[
            (br#"{"cursor":"abc","limit":5}"#, "not both"),
            (br#"{"limit":0}"#, "limit"),
            (br#"{"limit":1001}"#, "limit"),
            (br#"{"limit":"10"}"#, "limit"),
            (br#"{"limit":2.5}"#, "limit"),
            (br#"{"start_time":"yesterday"}"#, "start_time"),
            (br#"{"end_time":"2026-13-01T00:00:00Z"}"#, "end_time"),
            (
                br#"{"start_time":"2026-01-02T00:00:00Z","end_time":"2026-01-01T00:00:00Z"}"#,
                "after",
            ),
            (br#"{"limt":10}"#, "limt"),
            (br#"[1]"#, "invalid request body"),
            (br#"{"cursor":""}"#, "cursor"),
        ];
        for (body, needle) in cases {
            match parse_page_request(body) {
                Err(EventsError::BadRequest(m)) => {
                    assert!(m.contains(needle), "{m} lacks {needle}")
                }
                other => panic!("{} gave {other:?}", String::from_utf8_lossy(body)),
            }
        }
    }

    #[test]
    fn v3_parameter_sets() {
        let p = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let r = parse_v3(&p(&[("max_page_size", "0")]), V3Params::MaxPageSize).unwrap();
        assert_eq!(r.page_size, 100);
        let r = parse_v3(&p(&[("page_size", "5"), ("next_page_token", "t")]), V3Params::PageSize)
            .unwrap();
        assert_eq!((r.page_size, r.page_token.as_deref()), (5, Some("t")));
        assert!(parse_v3(&p(&[("page_size", "5")]), V3Params::MaxPageSize).is_err());
        assert!(parse_v3(&p(&[("page_size", "0")]), V3Params::PageSize).is_err());
        assert!(parse_v3(&p(&[("max_page_size", "x")]), V3Params::MaxPageSize).is_err());
        let both = p(&[("page_token", "t"), ("start_time", "2026-01-01T00:00:00Z")]);
        assert!(parse_v3(&both, V3Params::MaxPageSize).is_err());
    }
}

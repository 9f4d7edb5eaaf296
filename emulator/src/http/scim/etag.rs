//! Resource versions and conditional requests (RFC 7644 §3.14, the `etag` switch).
//!
//! A version is a hash of what the resource says (every attribute, `meta.created` and
//! `meta.lastModified`), so it changes with every change a client can see, also several within
//! one second of a frozen clock, and never without one. URLs (`meta.location`, `$ref`) are left
//! out: the same resource has the same version under every base URL.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use scim::ScimError;
use serde_json::Value;

use super::error::ApiError;

/// FNV-1a, 64 bits: stable across runs and builds (std's hasher is not promised to be).
struct Fnv(u64);

impl Fnv {
    fn feed(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.feed(b"n"),
            Value::Bool(b) => self.feed(if *b { b"t" } else { b"f" }),
            Value::Number(n) => {
                self.feed(b"#");
                self.feed(n.to_string().as_bytes());
            }
            Value::String(s) => {
                self.feed(b"\"");
                self.feed(s.as_bytes());
                self.feed(b"\"");
            }
            Value::Array(items) => {
                self.feed(b"[");
                for item in items {
                    self.value(item);
                    self.feed(b",");
                }
                self.feed(b"]");
            }
            Value::Object(o) => {
                self.feed(b"{");
                for (k, item) in o {
                    if k == "$ref" || k == "location" || k == "version" {
                        continue;
                    }
                    self.feed(k.as_bytes());
                    self.feed(b":");
                    self.value(item);
                    self.feed(b",");
                }
                self.feed(b"}");
            }
        }
    }
}

/// The weak entity tag (`W/"…"`) of a rendered resource: a hash of its content without URLs
/// and without any `version` it already carries.
pub fn content_version(resource: &Value) -> String {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    h.value(resource);
    format!("W/\"{:016x}\"", h.0)
}

/// The opaque part of an entity tag: weak and strong tags compare equal (weak comparison,
/// RFC 9110 §8.8.3.2), which is what `If-None-Match` uses and what a server whose tags are
/// all weak can offer `If-Match`.
fn opaque(tag: &str) -> &str {
    let tag = tag.trim();
    tag.strip_prefix("W/").unwrap_or(tag)
}

/// Does a conditional header's list (`*`, or comma-separated tags) name `current`? `None` when
/// the header is absent.
fn names(headers: &HeaderMap, name: header::HeaderName, current: &str) -> Option<bool> {
    let values: Vec<&HeaderValue> = headers.get_all(name).iter().collect();
    if values.is_empty() {
        return None;
    }
    let want = opaque(current);
    Some(values.iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|t| {
        let t = t.trim();
        t == "*" || opaque(t) == want
    }))
}

/// `If-Match` on PUT, PATCH and DELETE: 412 with a SCIM error when the header is given and
/// names neither `*` nor the current version, before anything changes.
pub fn check_if_match(headers: &HeaderMap, current: &str) -> Result<(), ApiError> {
    match names(headers, header::IF_MATCH, current) {
        Some(false) => Err(ApiError(ScimError::new(
            412,
            None,
            format!("If-Match does not name the resource's current version {current}"),
        ))),
        _ => Ok(()),
    }
}

/// `If-None-Match` on GET: the 304 to answer when it names the current version.
pub fn not_modified(headers: &HeaderMap, current: &str) -> Option<Response> {
    if names(headers, header::IF_NONE_MATCH, current) == Some(true) {
        let mut resp = StatusCode::NOT_MODIFIED.into_response();
        set(&mut resp, current);
        Some(resp)
    } else {
        None
    }
}

/// Puts the `ETag` header on a single-resource response.
pub fn set(resp: &mut Response, version: &str) {
    if let Ok(v) = HeaderValue::from_str(version) {
        resp.headers_mut().insert(header::ETAG, v);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn versions_ignore_urls_and_follow_content() {
        let a = json!({"id": "1", "meta": {"location": "http://a/Users/1", "lastModified": "x"}});
        let b =
            json!({"id": "1", "meta": {"location": "http://b/scim/Users/1", "lastModified": "x"}});
        let c = json!({"id": "1", "meta": {"location": "http://a/Users/1", "lastModified": "y"}});
        assert_eq!(content_version(&a), content_version(&b));
        assert_ne!(content_version(&a), content_version(&c));
        assert!(content_version(&a).starts_with("W/\""));
    }

    #[test]
    fn conditional_headers_compare_weakly_and_accept_lists_and_star() {
        let mut h = HeaderMap::new();
        assert!(check_if_match(&h, "W/\"1\"").is_ok());
        h.insert(header::IF_MATCH, HeaderValue::from_static("\"0\", W/\"1\""));
        assert!(check_if_match(&h, "W/\"1\"").is_ok());
        assert_eq!(check_if_match(&h, "W/\"2\"").unwrap_err().0.status, 412);
        h.insert(header::IF_MATCH, HeaderValue::from_static("*"));
        assert!(check_if_match(&h, "W/\"2\"").is_ok());
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("W/\"2\""));
        assert!(not_modified(&h, "W/\"2\"").is_some());
        assert!(not_modified(&h, "W/\"3\"").is_none());
    }
}

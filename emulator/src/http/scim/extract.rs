//! Request extractors: bearer auth that resolves the tenant, and a JSON body reader that
//! checks the media type and size and reports parse errors with their line and column.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, HeaderValue, header, request::Parts};
use scim::ScimError;
use serde_json::Value;

use super::error::ApiError;
use crate::http::bearer::bearer;
use crate::http::control_layer::serving_tenant;
use crate::state::{Emulator, SharedTenant, TokenKind};

/// The largest request body accepted (1 MiB); larger ones get 413.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The tenant the request's SCIM bearer token belongs to, and the base URL for `location`s.
#[derive(Debug, Clone)]
pub struct ScimTenant {
    /// The tenant.
    pub tenant: SharedTenant,
    /// `http://host/scim/v2`, from the request's `Host`.
    pub base_url: BaseUrl,
}

/// The base of the bridge's resource URLs, `http://{host}/scim/v2`, from a request's `Host`
/// header (`localhost` without one). Kept as the header and written only where a payload
/// holds a URL (`meta.location`, `$ref`, `Location`): the sparse shape every GET of the
/// default profile returns holds none, and formatting it up front was a tenth of such a GET.
#[derive(Debug, Clone, Default)]
pub struct BaseUrl {
    host: Option<HeaderValue>,
}

impl BaseUrl {
    fn host(&self) -> &str {
        self.host.as_ref().and_then(|h| h.to_str().ok()).unwrap_or("localhost")
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}/scim/v2", self.host())
    }
}

impl FromRequestParts<Emulator> for ScimTenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, emu: &Emulator) -> Result<Self, ApiError> {
        // Usually the control layer's, for this request; else from the header.
        let resolved = match serving_tenant() {
            Some(resolved) => Some(resolved),
            None => emu.resolve_token(
                bearer(&parts.headers)
                    .map_err(|e| ApiError(ScimError::unauthorized(e.message())))?,
            ),
        };
        match resolved {
            Some((tenant, TokenKind::Scim)) => Ok(ScimTenant {
                tenant,
                base_url: BaseUrl { host: parts.headers.get(header::HOST).cloned() },
            }),
            Some((_, TokenKind::Events)) => Err(ApiError(ScimError::unauthorized(
                "this is an Events API token; the SCIM bridge needs its own bearer token",
            ))),
            None => Err(ApiError(ScimError::unauthorized("invalid bearer token"))),
        }
    }
}

/// A request's query string as decoded name/value pairs, in order (`+` and percent escapes
/// decoded, invalid UTF-8 replaced), so it never rejects: a bad value is reported by whoever
/// reads it, naming the parameter.
///
/// Decoded here rather than with axum's `Query<Vec<(String, String)>>`, which goes through
/// serde and path tracking and cost a list request about 4,000 instructions (callgrind), more
/// than parsing its filter; and rather than with `form_urlencoded`, which decodes byte by byte
/// into a growing buffer.
#[derive(Debug, Clone, Default)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    /// The pairs of an `application/x-www-form-urlencoded` query string.
    pub fn parse(query: &str) -> QueryPairs {
        // Split on bytes: '&' and '=' are ASCII, so every split falls on a char boundary, and a
        // byte scan is cheaper than `str::split`'s char searcher.
        let mut pairs = Vec::new();
        let mut rest = query;
        while !rest.is_empty() {
            let end = rest.bytes().position(|b| b == b'&').unwrap_or(rest.len());
            let part = &rest[..end];
            rest = rest.get(end + 1..).unwrap_or_default();
            if part.is_empty() {
                continue;
            }
            let (name, value) = match part.bytes().position(|b| b == b'=') {
                Some(eq) => (&part[..eq], &part[eq + 1..]),
                None => (part, ""),
            };
            pairs.push((decode_component(name), decode_component(value)));
        }
        QueryPairs(pairs)
    }
}

/// Decodes one query component: `+` is a space, `%XX` a byte; a `%` not followed by two hex
/// digits stays as it is (as browsers and `form_urlencoded` do).
fn decode_component(s: &str) -> String {
    percent_decode(s, true)
}

/// Decodes `%XX` escapes (and, with `plus_is_space`, `+` as a space, as queries do but paths
/// do not); invalid UTF-8 in the result is replaced.
fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let special = |b: &u8| *b == b'%' || (plus_is_space && *b == b'+');
    let Some(first) = bytes.iter().position(special) else {
        return s.to_owned();
    };
    let hex = |b: Option<&u8>| match b? {
        d @ b'0'..=b'9' => Some(d - b'0'),
        d @ b'a'..=b'f' => Some(d - b'a' + 10),
        d @ b'A'..=b'F' => Some(d - b'A' + 10),
        _ => None,
    };
    let mut out = Vec::with_capacity(bytes.len());
    let (mut rest, mut at) = (bytes, first);
    loop {
        // Copy the run up to the next '%' or '+' in one go.
        out.extend_from_slice(&rest[..at]);
        rest = &rest[at..];
        let step = match rest {
            [b'+', ..] if plus_is_space => {
                out.push(b' ');
                1
            }
            [_, tail @ ..] => match (hex(tail.first()), hex(tail.get(1))) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    3
                }
                _ => {
                    out.push(b'%');
                    1
                }
            },
            [] => break,
        };
        rest = &rest[step..];
        at = rest.iter().position(special).unwrap_or(rest.len());
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.uri.query().map(QueryPairs::parse).unwrap_or_default())
    }
}

/// The `{id}` of a resource route (`/Users/{id}`, `/Groups/{id}`, `/Schemas/{id}`...): the
/// request path's last segment, percent-decoded. Every such route ends in its one parameter,
/// so this reads it straight from the URI instead of through `Path<String>`'s serde
/// deserialiser, which cost a `GET /Users/{id}` about 1,500 instructions (callgrind), a tenth
/// of the request. Invalid UTF-8 is replaced, so such an id is simply not found (404).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ResourceId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let path = parts.uri.path();
        let last = path.rsplit_once('/').map_or(path, |(_, last)| last);
        Ok(ResourceId(percent_decode(last, false)))
    }
}

/// A JSON request body (`application/scim+json` or `application/json`, any charset parameter).
#[derive(Debug, Clone)]
pub struct ScimBody(pub Value);

fn acceptable_media_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        // Some clients omit it; the body still has to be JSON.
        return Ok(());
    };
    let ct = ct.to_str().unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim();
    let ok = ["application/scim+json", "application/json", "text/json"]
        .iter()
        .any(|m| essence.eq_ignore_ascii_case(m));
    if ok {
        Ok(())
    } else {
        Err(ApiError(ScimError::new(
            415,
            None,
            format!(
                "unsupported Content-Type {ct:?}; send application/scim+json or application/json"
            ),
        )))
    }
}

impl FromRequest<Emulator> for ScimBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &Emulator) -> Result<Self, ApiError> {
        acceptable_media_type(req.headers())?;
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
            return Err(ApiError::too_large(MAX_BODY_BYTES));
        }
        let bytes: Bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| ApiError::too_large(MAX_BODY_BYTES))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError(ScimError::invalid_syntax("the request body is empty")));
        }
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError(ScimError::invalid_syntax(format!("the request body is not valid JSON: {e}")))
        })?;
        if !value.is_object() {
            return Err(ApiError(ScimError::invalid_syntax(
                "the request body must be a JSON object",
            )));
        }
        Ok(ScimBody(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The decoding, byte by byte, as the form-urlencoded spec states it.
    fn reference_decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
            match (b[i], hex(i + 1), hex(i + 2)) {
                (b'%', Some(hi), Some(lo)) => {
                    out.push(u8::try_from(hi * 16 + lo).unwrap());
                    i += 3;
                }
                (b'+', ..) => {
                    out.push(b' ');
                    i += 1;
                }
                (c, ..) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    proptest! {
        #[test]
        fn decoding_matches_the_reference(s in "([a-zA-Z0-9 +%.@\"-]|%[0-9a-fA-F]{2}|é){0,40}") {
            prop_assert_eq!(decode_component(&s), reference_decode(&s));
        }
    }

    async fn pairs(uri: &str) -> Vec<(String, String)> {
        let (mut parts, ()) = axum::http::Request::get(uri).body(()).unwrap().into_parts();
        let Ok(QueryPairs(p)) = QueryPairs::from_request_parts(&mut parts, &()).await;
        p
    }

    #[tokio::test]
    async fn query_pairs_are_decoded_in_order() {
        assert!(pairs("/Users").await.is_empty());
        assert!(pairs("/Users?").await.is_empty());
        let p = pairs("/Users?filter=userName+eq+%22a%40b.c%22&count=2&count=3&flag").await;
        let want =
            [("filter", "userName eq \"a@b.c\""), ("count", "2"), ("count", "3"), ("flag", "")];
        let got: Vec<_> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(got, want);
        // Empty parts (leading, doubled, trailing '&') are skipped; '=' in a value is kept.
        let p = pairs("/Users?&a=1&&b=x=y&").await;
        let got: Vec<_> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(got, [("a", "1"), ("b", "x=y")]);
        // Invalid UTF-8 is replaced rather than rejected; the reader reports bad values.
        assert_eq!(pairs("/Users?filter=%FF").await[0].1, "\u{FFFD}");
        // Escapes of multi-byte characters, literal '%' that starts no escape, '+' vs "%2B".
        let p = pairs("/Users?a=%C3%A9t%C3%A9&b=100%&c=%zz%4&d=1%2B1+2&%3D=%3d").await;
        let got: Vec<_> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(got, [("a", "été"), ("b", "100%"), ("c", "%zz%4"), ("d", "1+1 2"), ("=", "=")]);
    }

    async fn resource_id(uri: &str) -> String {
        let (mut parts, ()) = axum::http::Request::get(uri).body(()).unwrap().into_parts();
        let Ok(ResourceId(id)) = ResourceId::from_request_parts(&mut parts, &()).await;
        id
    }

    #[tokio::test]
    async fn resource_ids_are_the_last_path_segment_percent_decoded() {
        assert_eq!(resource_id("/scim/v2/Users/ABC123").await, "ABC123");
        assert_eq!(resource_id("/Groups/abc?attributes=members").await, "abc");
        // Paths keep '+' (only queries decode it as a space); escapes and bad UTF-8 as queries.
        assert_eq!(resource_id("/Users/a+b%20c%2Fd").await, "a+b c/d");
        assert_eq!(resource_id("/Users/%FF").await, "\u{FFFD}");
        assert_eq!(resource_id("/Users/").await, "");
    }

    #[test]
    fn base_urls_are_written_from_the_host_header() {
        assert_eq!(
            BaseUrl { host: Some(HeaderValue::from_static("127.0.0.1:3002")) }.to_string(),
            "http://127.0.0.1:3002/scim/v2"
        );
        assert_eq!(BaseUrl::default().to_string(), "http://localhost/scim/v2");
    }
}

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

/// The base URL the client used, `http://{host}{prefix}`: the request's `Host` header
/// (`localhost` without one) and the prefix it came in under (`/scim/v2`, `/scim` or none), so
/// `meta.location`, `$ref` and `Location` point under the same base (RFC 7644 §3.1). Kept as
/// the header and written only where a payload holds a URL: the sparse shape every GET of the
/// default profile returns holds none, and formatting it up front was a tenth of such a GET.
#[derive(Debug, Clone)]
pub struct BaseUrl {
    host: Option<HeaderValue>,
    prefix: &'static str,
}

impl Default for BaseUrl {
    fn default() -> Self {
        BaseUrl { host: None, prefix: "/scim/v2" }
    }
}

impl BaseUrl {
    /// The base URL of a request for `path` with this `Host` header.
    pub fn new(host: Option<HeaderValue>, path: &str) -> BaseUrl {
        BaseUrl { host, prefix: route_prefix(path) }
    }

    fn host(&self) -> &str {
        self.host.as_ref().and_then(|h| h.to_str().ok()).unwrap_or("localhost")
    }
}

/// The prefix (`/scim/v2`, `/scim` or `""`) the SCIM routes for `path` are registered under.
pub fn route_prefix(path: &str) -> &'static str {
    if path.starts_with("/scim/v2/") {
        "/scim/v2"
    } else if path.starts_with("/scim/") {
        "/scim"
    } else {
        ""
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}{}", self.host(), self.prefix)
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
                base_url: BaseUrl::new(parts.headers.get(header::HOST).cloned(), parts.uri.path()),
            }),
            Some((_, TokenKind::Events)) => Err(ApiError(ScimError::unauthorized(
                "this is an Events API token; the SCIM bridge needs its own bearer token",
            ))),
            Some((_, TokenKind::UsersApi | TokenKind::UsersApiClient)) => {
                Err(ApiError(ScimError::unauthorized(
                    "this is a Users API credential; the SCIM bridge needs its own bearer token",
                )))
            }
            None => Err(ApiError(ScimError::unauthorized("invalid bearer token"))),
        }
    }
}

/// The query parameters SCIM reads take (RFC 7644 §3.4.2 and §3.9): `filter`, `startIndex`,
/// `count`, `attributes`, `excludedAttributes`, `sortBy` and `sortOrder`, percent-decoded (`+`
/// as a space, invalid UTF-8 replaced). Parameter names match ASCII-case-insensitively, as the bridge's do; when
/// one is given twice the last wins; others are ignored. Never rejects: a bad value is reported
/// by whoever reads it, naming the parameter.
///
/// Only the parameters a read uses are decoded, each straight into its field. Decoding every
/// pair into a `Vec<(String, String)>` cost a filtered list three allocations before its filter
/// was even parsed; axum's `Query`, through serde and path tracking, cost about 4,000
/// instructions (callgrind), more than parsing the filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadQuery {
    /// `filter`.
    pub filter: Option<String>,
    /// `startIndex`, not yet checked to be a number.
    pub start_index: Option<String>,
    /// `count`, not yet checked to be a number.
    pub count: Option<String>,
    /// `attributes`.
    pub attributes: Option<String>,
    /// `excludedAttributes`.
    pub excluded_attributes: Option<String>,
    /// `sortBy`.
    pub sort_by: Option<String>,
    /// `sortOrder`.
    pub sort_order: Option<String>,
}

impl ReadQuery {
    /// Reads an `application/x-www-form-urlencoded` query string.
    pub fn parse(query: &str) -> ReadQuery {
        let mut q = ReadQuery::default();
        // Split on bytes (memchr): '&' and '=' are ASCII, so every split falls on a char
        // boundary.
        let mut rest = query;
        while !rest.is_empty() {
            let end = memchr::memchr(b'&', rest.as_bytes()).unwrap_or(rest.len());
            let part = &rest[..end];
            rest = rest.get(end + 1..).unwrap_or_default();
            let (name, value) = match memchr::memchr(b'=', part.as_bytes()) {
                Some(eq) => (&part[..eq], &part[eq + 1..]),
                None => (part, ""),
            };
            if let Some(slot) = q.slot(name) {
                *slot = Some(decode_component(value));
            }
        }
        q
    }

    /// The field a raw (still encoded) parameter name stands for.
    fn slot(&mut self, raw_name: &str) -> Option<&mut Option<String>> {
        // Names are almost never escaped; decode only those that are.
        let decoded;
        let name = if memchr::memchr2(b'%', b'+', raw_name.as_bytes()).is_some() {
            decoded = decode_component(raw_name);
            decoded.as_str()
        } else {
            raw_name
        };
        let is = |known: &str| name.eq_ignore_ascii_case(known);
        if is("filter") {
            Some(&mut self.filter)
        } else if is("startIndex") {
            Some(&mut self.start_index)
        } else if is("count") {
            Some(&mut self.count)
        } else if is("attributes") {
            Some(&mut self.attributes)
        } else if is("excludedAttributes") {
            Some(&mut self.excluded_attributes)
        } else if is("sortBy") {
            Some(&mut self.sort_by)
        } else if is("sortOrder") {
            Some(&mut self.sort_order)
        } else {
            None
        }
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
    // The next '%' (or '+', when it means a space), by memchr's vectorised search.
    let next_special = |b: &[u8]| {
        if plus_is_space { memchr::memchr2(b'%', b'+', b) } else { memchr::memchr(b'%', b) }
    };
    let Some(first) = next_special(bytes) else {
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
            // Only found when it means a space.
            [b'+', ..] => {
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
        at = next_special(rest).unwrap_or(rest.len());
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

impl<S: Send + Sync> FromRequestParts<S> for ReadQuery {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.uri.query().map(ReadQuery::parse).unwrap_or_default())
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

    async fn read_query(uri: &str) -> ReadQuery {
        let (mut parts, ()) = axum::http::Request::get(uri).body(()).unwrap().into_parts();
        let Ok(q) = ReadQuery::from_request_parts(&mut parts, &()).await;
        q
    }

    #[tokio::test]
    async fn read_queries_decode_the_scim_parameters() {
        assert_eq!(read_query("/Users").await, ReadQuery::default());
        assert_eq!(read_query("/Users?").await, ReadQuery::default());
        let q = read_query(
            "/Users?filter=userName+eq+%22a%40b.c%22&startIndex=2&count=3\
             &attributes=userName,emails&excludedAttributes=groups",
        )
        .await;
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(
            q,
            ReadQuery {
                filter: some("userName eq \"a@b.c\""),
                start_index: some("2"),
                count: some("3"),
                attributes: some("userName,emails"),
                excluded_attributes: some("groups"),
                ..ReadQuery::default()
            }
        );
        // The last of a repeated parameter wins; names match in any ASCII case, also when
        // escaped; other parameters, empty parts and a name without '=' are ignored.
        let q = read_query("/Users?&count=2&&COUNT=3&%66ilter=x=y&flag&other=1&StartIndex=&").await;
        assert_eq!(
            q,
            ReadQuery {
                filter: some("x=y"),
                start_index: some(""),
                count: some("3"),
                ..ReadQuery::default()
            }
        );
        // A name given without a value reads as empty.
        assert_eq!(read_query("/Users?filter").await.filter, some(""));
        // Invalid UTF-8 is replaced rather than rejected; the reader reports bad values.
        assert_eq!(read_query("/Users?filter=%FF").await.filter, some("\u{FFFD}"));
        // Escapes of multi-byte characters, literal '%' that starts no escape, '+' vs "%2B".
        let q = read_query(
            "/Users?filter=%C3%A9t%C3%A9&count=100%&attributes=%zz%4&excludedAttributes=1%2B1+2",
        )
        .await;
        assert_eq!(q.filter, some("été"));
        assert_eq!(q.count, some("100%"));
        assert_eq!(q.attributes, some("%zz%4"));
        assert_eq!(q.excluded_attributes, some("1+1 2"));
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
            BaseUrl::new(Some(HeaderValue::from_static("127.0.0.1:3002")), "/scim/v2/Users")
                .to_string(),
            "http://127.0.0.1:3002/scim/v2"
        );
        let h = || Some(HeaderValue::from_static("h"));
        assert_eq!(BaseUrl::new(h(), "/scim/Groups/x").to_string(), "http://h/scim");
        assert_eq!(BaseUrl::new(h(), "/Users").to_string(), "http://h");
        assert_eq!(BaseUrl::new(h(), "/scim/v2x/Users").to_string(), "http://h/scim");
        assert_eq!(BaseUrl::default().to_string(), "http://localhost/scim/v2");
    }
}

//! Request extractors: bearer auth that resolves the tenant, and a JSON body reader that
//! checks the media type and size and reports parse errors with their line and column.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, header, request::Parts};
use scim::ScimError;
use serde_json::Value;

use super::error::ApiError;
use crate::state::{Emulator, SharedTenant, TokenKind};

/// The largest request body accepted (1 MiB); larger ones get 413.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The tenant the request's SCIM bearer token belongs to, and the base URL for `location`s.
#[derive(Debug, Clone)]
pub struct ScimTenant {
    /// The tenant.
    pub tenant: SharedTenant,
    /// `http://host/scim/v2`, from the request's `Host`.
    pub base_url: String,
}

fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError(ScimError::unauthorized("missing Authorization header")))?;
    let value = value.to_str().map_err(|_| {
        ApiError(ScimError::unauthorized("the Authorization header is not valid ASCII"))
    })?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError(ScimError::unauthorized(
            "the Authorization header must be \"Bearer <token>\"",
        )));
    }
    Ok(token.trim())
}

impl FromRequestParts<Emulator> for ScimTenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, emu: &Emulator) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers)?;
        match emu.resolve_token(token) {
            Some((tenant, TokenKind::Scim)) => {
                let host = parts
                    .headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("localhost");
                Ok(ScimTenant { tenant, base_url: format!("http://{host}/scim/v2") })
            }
            Some((_, TokenKind::Events)) => Err(ApiError(ScimError::unauthorized(
                "this is an Events API token; the SCIM bridge needs its own bearer token",
            ))),
            None => Err(ApiError(ScimError::unauthorized("invalid bearer token"))),
        }
    }
}

/// A request's query string as decoded name/value pairs, in order (`+` and percent escapes
/// decoded; invalid UTF-8 replaced, so it never rejects: a bad value is reported by whoever
/// reads it, naming the parameter).
///
/// Read with `form_urlencoded` directly: axum's `Query<Vec<(String, String)>>` goes through
/// serde and path tracking and cost a list request about 4,000 instructions, more than
/// evaluating its filter.
#[derive(Debug, Clone, Default)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let pairs = match parts.uri.query() {
            None | Some("") => Vec::new(),
            Some(q) => form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        };
        Ok(QueryPairs(pairs))
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
        // Invalid UTF-8 is replaced rather than rejected; the reader reports bad values.
        assert_eq!(pairs("/Users?filter=%FF").await[0].1, "\u{FFFD}");
    }
}

//! The `Authorization: Bearer <token>` header, read one way for the SCIM bridge, the Events API,
//! the control plane and the control layer in front of them.

use axum::http::{HeaderMap, header};

/// Why a request carries no usable bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// No `Authorization` header.
    Missing,
    /// The header has bytes outside visible ASCII.
    NotAscii,
    /// The header is not `Bearer <token>` (another scheme, or no token).
    NotBearer,
}

impl BearerError {
    /// What to tell the client.
    pub fn message(self) -> &'static str {
        match self {
            BearerError::Missing => {
                "missing Authorization header: send \"Authorization: Bearer <token>\""
            }
            BearerError::NotAscii => "the Authorization header is not valid ASCII",
            BearerError::NotBearer => {
                "the Authorization header must be \"Bearer <token>\" (one space, no spaces in \
                 the token)"
            }
        }
    }
}

impl std::fmt::Display for BearerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// The token of a request's `Authorization: Bearer <token>` header: the scheme matched
/// case-insensitively, one space, the token (trailing whitespace ignored). Read as bytes (every request
/// is authenticated twice, by the control layer and by its handler): `to_str`, `split_once`
/// and Unicode `trim` made this cost more than the token lookup it feeds.
pub fn bearer(headers: &HeaderMap) -> Result<&str, BearerError> {
    let value = headers.get(header::AUTHORIZATION).ok_or(BearerError::Missing)?.as_bytes();
    if !value.is_ascii() {
        return Err(BearerError::NotAscii);
    }
    // ASCII, so this cannot fail.
    let value = std::str::from_utf8(value).map_err(|_| BearerError::NotAscii)?;
    let scheme_and_space = value.get(..7).ok_or(BearerError::NotBearer)?;
    if !scheme_and_space.eq_ignore_ascii_case("bearer ") {
        return Err(BearerError::NotBearer);
    }
    // One space, then the token (RFC 6750's b64token holds no whitespace): `Bearer  tok`
    // and `Bearer to ken` are refused, as the real bridge refuses them.
    match value[7..].trim_ascii_end() {
        "" => Err(BearerError::NotBearer),
        token if token.bytes().any(|b| b.is_ascii_whitespace()) => Err(BearerError::NotBearer),
        token => Ok(token),
    }
}

/// The `client_id` and `client_secret` of a request's `Authorization: Basic <base64>` header
/// (the OAuth client authentication of RFC 6749 §2.3.1). `None` when the header is absent, not
/// Basic, not base64 or has no `:`.
pub fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn bearer_tokens_are_read_case_insensitively_and_trimmed() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), Err(BearerError::Missing));
        for (value, want) in [
            ("Bearer abc", Ok("abc")),
            ("bearer abc", Ok("abc")),
            ("BEARER abc  ", Ok("abc")),
            ("Bearer  abc", Err(BearerError::NotBearer)),
            ("Bearer abc def", Err(BearerError::NotBearer)),
            ("Basic abc", Err(BearerError::NotBearer)),
            ("Bearer ", Err(BearerError::NotBearer)),
            ("Bearer", Err(BearerError::NotBearer)),
            ("Bearer\tabc", Err(BearerError::NotBearer)),
            ("Bearerabc", Err(BearerError::NotBearer)),
            ("Bearer  \t tok en \t", Err(BearerError::NotBearer)),
            ("abc", Err(BearerError::NotBearer)),
            ("", Err(BearerError::NotBearer)),
        ] {
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            assert_eq!(bearer(&h), want, "{value:?}");
        }
        h.insert(header::AUTHORIZATION, HeaderValue::from_bytes(b"Bearer \xc3\xa9").unwrap());
        assert_eq!(bearer(&h), Err(BearerError::NotAscii));
    }

    #[test]
    fn basic_credentials_are_decoded() {
        let mut h = HeaderMap::new();
        assert_eq!(basic(&h), None);
        // "id:se:cret": the secret may contain ':'; the id may not.
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic aWQ6c2U6Y3JldA=="));
        assert_eq!(basic(&h), Some(("id".into(), "se:cret".into())));
        for bad in ["Bearer aWQ6c2VjcmV0", "Basic !!!", "Basic bm9jb2xvbg==", "Basic"] {
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(bad));
            assert_eq!(basic(&h), None, "{bad}");
        }
    }
}

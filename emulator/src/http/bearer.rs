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
            BearerError::NotBearer => "the Authorization header must be \"Bearer <token>\"",
        }
    }
}

impl std::fmt::Display for BearerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// The token of a request's `Authorization: Bearer <token>` header: the scheme matched
/// case-insensitively, the token without surrounding whitespace.
pub fn bearer(headers: &HeaderMap) -> Result<&str, BearerError> {
    let value = headers.get(header::AUTHORIZATION).ok_or(BearerError::Missing)?;
    let value = value.to_str().map_err(|_| BearerError::NotAscii)?;
    let (scheme, token) = value.split_once(' ').ok_or(BearerError::NotBearer)?;
    let token = token.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() {
        Ok(token)
    } else {
        Err(BearerError::NotBearer)
    }
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
            ("BEARER   abc  ", Ok("abc")),
            ("Basic abc", Err(BearerError::NotBearer)),
            ("Bearer ", Err(BearerError::NotBearer)),
            ("Bearer", Err(BearerError::NotBearer)),
            ("abc", Err(BearerError::NotBearer)),
        ] {
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            assert_eq!(bearer(&h), want, "{value:?}");
        }
        h.insert(header::AUTHORIZATION, HeaderValue::from_bytes(b"Bearer \xc3\xa9").unwrap());
        assert_eq!(bearer(&h), Err(BearerError::NotAscii));
    }
}

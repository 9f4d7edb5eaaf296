//! The SCIM error (RFC 7644 §3.12): an HTTP status, an optional `scimType`, and a detail.

use std::fmt;

use serde_json::{Value, json};

use crate::messages;

/// The `scimType` values of RFC 7644 Table 9, plus the cursor errors of RFC 9865.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScimType {
    /// The filter syntax was invalid or the filter is not supported.
    InvalidFilter,
    /// Too many results for the server to return.
    TooMany,
    /// A value is already in use (HTTP 409).
    Uniqueness,
    /// An attempt to modify an immutable or read-only attribute.
    Mutability,
    /// The request body structure was invalid or did not conform to the schema.
    InvalidSyntax,
    /// The `path` attribute was invalid or malformed.
    InvalidPath,
    /// The path did not yield an attribute or value that could be operated on.
    NoTarget,
    /// A required value was missing or a value was not compatible with the attribute.
    InvalidValue,
    /// The specified SCIM protocol version is not supported.
    InvalidVers,
    /// The request cannot be completed because of sensitive information in the URI.
    Sensitive,
    /// RFC 9865: the cursor is invalid.
    InvalidCursor,
    /// RFC 9865: the cursor has expired.
    ExpiredCursor,
    /// RFC 9865: the count is invalid.
    InvalidCount,
}

impl ScimType {
    /// The wire spelling (`invalidFilter`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
            ScimType::InvalidCursor => "invalidCursor",
            ScimType::ExpiredCursor => "expiredCursor",
            ScimType::InvalidCount => "invalidCount",
        }
    }

    /// Parses the wire spelling (case-insensitively, as some servers vary the case).
    pub fn parse(s: &str) -> Option<ScimType> {
        const ALL: [ScimType; 13] = [
            ScimType::InvalidFilter,
            ScimType::TooMany,
            ScimType::Uniqueness,
            ScimType::Mutability,
            ScimType::InvalidSyntax,
            ScimType::InvalidPath,
            ScimType::NoTarget,
            ScimType::InvalidValue,
            ScimType::InvalidVers,
            ScimType::Sensitive,
            ScimType::InvalidCursor,
            ScimType::ExpiredCursor,
            ScimType::InvalidCount,
        ];
        ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SCIM protocol error: what a server answers and what a client receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    /// HTTP status code.
    pub status: u16,
    /// The `scimType` detail code, when one applies.
    pub scim_type: Option<ScimType>,
    /// A human-readable explanation that says what was wrong and where.
    pub detail: String,
}

impl ScimError {
    /// An error with a status, an optional `scimType` and a detail.
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ScimError { status, scim_type, detail: detail.into() }
    }

    /// 400 with a `scimType`.
    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::new(400, Some(scim_type), detail)
    }

    /// 400 `invalidFilter`.
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidFilter, detail)
    }

    /// 400 `invalidSyntax`.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidSyntax, detail)
    }

    /// 400 `invalidValue`.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidValue, detail)
    }

    /// 400 `invalidPath`.
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidPath, detail)
    }

    /// 400 `noTarget`.
    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::NoTarget, detail)
    }

    /// 400 `mutability`.
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::Mutability, detail)
    }

    /// 409 `uniqueness`.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some(ScimType::Uniqueness), detail)
    }

    /// 404 without a `scimType`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }

    /// 401 without a `scimType`.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, None, detail)
    }

    /// The RFC 7644 §3.12 body. `status` is a JSON string, as the RFC requires.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [messages::ERROR],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = Value::String(t.as_str().to_owned());
        }
        body
    }

    /// Reads an error body as servers send it: `status` as a string or a number, `scimType` and
    /// `detail` optional. Returns `None` when the value is not a SCIM error body.
    pub fn from_json(body: &Value) -> Option<ScimError> {
        let obj = body.as_object()?;
        let status = match obj.get("status")? {
            Value::String(s) => s.trim().parse().ok()?,
            Value::Number(n) => u16::try_from(n.as_u64()?).ok()?,
            _ => return None,
        };
        let scim_type = obj.get("scimType").and_then(Value::as_str).and_then(ScimType::parse);
        let detail = obj.get("detail").and_then(Value::as_str).unwrap_or_default().to_owned();
        Some(ScimError { status, scim_type, detail })
    }
}

impl fmt::Display for ScimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.status)?;
        if let Some(t) = self.scim_type {
            write!(f, " {t}")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for ScimError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_string_status_and_scim_type() {
        let e = ScimError::uniqueness("userName \"a@b.c\" is already taken");
        let body = e.to_json();
        assert_eq!(body["status"], "409");
        assert_eq!(body["scimType"], "uniqueness");
        assert_eq!(body["schemas"][0], messages::ERROR);
        assert_eq!(ScimError::from_json(&body), Some(e));
    }

    #[test]
    fn from_json_accepts_numeric_status_and_missing_type() {
        let e = ScimError::from_json(&json!({"status": 404, "detail": "nope"})).unwrap();
        assert_eq!(e, ScimError::not_found("nope"));
        assert!(ScimError::from_json(&json!({"detail": "no status"})).is_none());
    }
}

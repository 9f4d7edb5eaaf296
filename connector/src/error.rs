//! The connector's error type and its stable, matchable [`ErrorKind`].
//!
//! Every failure a caller can hit is one variant carrying what is needed to act on it: the HTTP
//! status and the server's own words for server-side failures, `retry_after` and the normalised
//! limits for 429s, the column for a malformed filter. Nothing in the connector panics on a
//! server's answer.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::rate_limit::RateLimit;

/// Everything that can go wrong talking to a bridge or the Events API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The filter does not follow the SCIM grammar; found locally, before any request.
    #[error("invalid filter {filter:?}: {message}")]
    InvalidFilter {
        /// The filter as given.
        filter: String,
        /// Where and what is wrong (`column 17: expected a comparison operator ...`).
        message: String,
    },
    /// The cursor is corrupted, tampered with, from another filter, or not a cursor at all.
    #[error("invalid cursor: {reason}")]
    InvalidCursor {
        /// Why it was rejected.
        reason: String,
    },
    /// A caller-supplied argument cannot be sent (an empty id, ...).
    #[error("invalid argument: {message}")]
    InvalidArgument {
        /// What is wrong.
        message: String,
    },
    /// The client could not be configured (bad base URL, bad token, ...).
    #[error("invalid configuration: {message}")]
    InvalidConfig {
        /// What is wrong.
        message: String,
    },
    /// The resource does not exist (HTTP 404).
    #[error("not found: {resource}: {detail}")]
    NotFound {
        /// What was looked up (`user ABC...`).
        resource: String,
        /// The server's detail, if it gave one.
        detail: String,
    },
    /// HTTP 429: the caller owns the retry loop unless a [`RetryPolicy`](crate::RetryPolicy) is set.
    #[error("rate limited{}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs_f64())).unwrap_or_default())]
    RateLimited {
        /// How long the server asked to wait (`Retry-After`, or `RateLimit-Reset` when absent).
        retry_after: Option<Duration>,
        /// The normalised limits of the 429 response.
        rate_limit: RateLimit,
    },
    /// HTTP 401 or 403: the token is missing, wrong, or not scoped for this endpoint.
    #[error("unauthorized (HTTP {status}): {detail}")]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// The server's detail.
        detail: String,
    },
    /// Any other non-success answer, with the server's detail (a SCIM error body, an Events API
    /// error body, or the text of a proxy's HTML page).
    #[error("HTTP {status}{}: {detail}", scim_type.as_ref().map(|t| format!(" ({t})")).unwrap_or_default())]
    Api {
        /// The HTTP status.
        status: u16,
        /// The SCIM `scimType`, when the body was a SCIM error that had one; for a Users API
        /// error, its `status` (`INVALID_ARGUMENT`, `FAILED_PRECONDITION`, ...).
        scim_type: Option<String>,
        /// The server's explanation.
        detail: String,
    },
    /// The request did not complete: connection refused, DNS, TLS, reset.
    #[error("transport error: {message}")]
    Transport {
        /// What failed, with the underlying cause.
        message: String,
    },
    /// The request timed out.
    #[error("timed out: {message}")]
    Timeout {
        /// What timed out.
        message: String,
    },
    /// A success status with a body that is not what the API promises: not JSON, truncated, or
    /// JSON of the wrong shape.
    #[error("cannot decode the HTTP {status} response: {message}")]
    Decode {
        /// The HTTP status of the response.
        status: u16,
        /// What was wrong, with the start of the body.
        message: String,
    },
    /// A full listing did not converge: the server's order or content kept changing and fewer
    /// distinct users than `totalResults` were seen within the sweep budget.
    #[error("incomplete listing: saw {seen} distinct users of {total} after {sweeps} sweeps")]
    IncompleteListing {
        /// Distinct users seen.
        seen: u64,
        /// The server's `totalResults`.
        total: u64,
        /// Full sweeps made.
        sweeps: u32,
    },
}

/// A stable, `Copy` classification of [`Error`], for `match`es, exit codes and scenario
/// expectations. Serialises as its snake_case name (`"not_found"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::InvalidFilter`]
    InvalidFilter,
    /// [`Error::InvalidCursor`]
    InvalidCursor,
    /// [`Error::InvalidArgument`]
    InvalidArgument,
    /// [`Error::InvalidConfig`]
    InvalidConfig,
    /// [`Error::NotFound`]
    NotFound,
    /// [`Error::RateLimited`]
    RateLimited,
    /// [`Error::Unauthorized`]
    Unauthorized,
    /// [`Error::Api`]
    Api,
    /// [`Error::Transport`]
    Transport,
    /// [`Error::Timeout`]
    Timeout,
    /// [`Error::Decode`]
    Decode,
    /// [`Error::IncompleteListing`]
    IncompleteListing,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::InvalidFilter,
        ErrorKind::InvalidCursor,
        ErrorKind::InvalidArgument,
        ErrorKind::InvalidConfig,
        ErrorKind::NotFound,
        ErrorKind::RateLimited,
        ErrorKind::Unauthorized,
        ErrorKind::Api,
        ErrorKind::Transport,
        ErrorKind::Timeout,
        ErrorKind::Decode,
        ErrorKind::IncompleteListing,
    ];

    /// The snake_case name (`"rate_limited"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidFilter => "invalid_filter",
            ErrorKind::InvalidCursor => "invalid_cursor",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::InvalidConfig => "invalid_config",
            ErrorKind::NotFound => "not_found",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Api => "api",
            ErrorKind::Transport => "transport",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Decode => "decode",
            ErrorKind::IncompleteListing => "incomplete_listing",
        }
    }

    /// Parses the snake_case name (scenario files spell expectations this way).
    pub fn parse(s: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidFilter { .. } => ErrorKind::InvalidFilter,
            Error::InvalidCursor { .. } => ErrorKind::InvalidCursor,
            Error::InvalidArgument { .. } => ErrorKind::InvalidArgument,
            Error::InvalidConfig { .. } => ErrorKind::InvalidConfig,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::Unauthorized { .. } => ErrorKind::Unauthorized,
            Error::Api { .. } => ErrorKind::Api,
            Error::Transport { .. } => ErrorKind::Transport,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::IncompleteListing { .. } => ErrorKind::IncompleteListing,
        }
    }

    /// The HTTP status behind the error, when there was a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::NotFound { .. } => Some(404),
            Error::RateLimited { .. } => Some(429),
            Error::Unauthorized { status, .. }
            | Error::Api { status, .. }
            | Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// `retry_after` of a [`Error::RateLimited`].
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(kind.as_str()));
        }
        assert_eq!(ErrorKind::parse("NotFound"), None);
    }

    #[test]
    fn display_carries_status_scim_type_and_detail() {
        let e = Error::Api {
            status: 400,
            scim_type: Some("invalidValue".into()),
            detail: "active must be a boolean".into(),
        };
        assert_eq!(e.to_string(), "HTTP 400 (invalidValue): active must be a boolean");
        assert_eq!(e.status(), Some(400));
        let r = Error::RateLimited {
            retry_after: Some(Duration::from_secs(3)),
            rate_limit: RateLimit::default(),
        };
        assert_eq!(r.to_string(), "rate limited (retry after 3s)");
        assert_eq!(r.kind(), ErrorKind::RateLimited);
        assert_eq!(r.retry_after(), Some(Duration::from_secs(3)));
    }
}

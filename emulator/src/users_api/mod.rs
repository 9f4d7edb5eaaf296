//! The 1Password Users API (public preview) domain: OAuth client credentials and access tokens,
//! the User object and its state mapping, the list filter and page tokens, and the errors. No
//! HTTP here; the thin handlers are in [`crate::http::users_api`].
//!
//! The API works on the same account as the SCIM bridge: a suspension through either shows up
//! in both and makes the same audit event.
//!
//! - [`Credentials`]: a tenant's client id and secret and its account id, derived from what the
//!   tenant already persists (name, SCIM token, Events account uuid), so they survive restarts
//!   and resets without being stored;
//! - [`AccessTokens`]: opaque access tokens that live [`TOKEN_LIFETIME_SECS`] on the tenant's
//!   clock, revocable;
//! - [`listing`]: `filter`, `max_page_size`, `page_token` and the User object.

use chrono::{DateTime, Duration, Utc};
use foldhash::HashMap;
use sha2::{Digest, Sha256};

use crate::ids::IdGenerator;
use crate::tenant::Tenant;

pub mod listing;

pub use listing::{ApiUser, ListQuery, Page, UserFilter, list_users, to_api_user};

/// How long an access token lives: 900 seconds, as documented.
pub const TOKEN_LIFETIME_SECS: i64 = 900;

/// The only `scope` the token endpoint accepts (it is optional).
pub const SCOPE: &str = "openid";

/// A tenant's Users API integration: the OAuth client and the account it manages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The OAuth client id (a UUID, as 1Password's are).
    pub client_id: String,
    /// The OAuth client secret.
    pub client_secret: String,
    /// The account id in resource paths (`accounts/{account_id}/users`): the account's
    /// 26-character upper-case id, the same as the Events API's account uuid.
    pub account_id: String,
}

impl Credentials {
    /// The tenant's credentials. Derived, not stored: the inputs are the tenant's name, its SCIM
    /// token and its account uuid, all of which persistence, resets and imports keep.
    pub fn of(t: &Tenant) -> Credentials {
        Credentials::derive(&t.id.0, &t.scim_token, t.events.account_uuid())
    }

    /// The credentials for these inputs.
    pub fn derive(tenant: &str, scim_token: &str, account_uuid: &str) -> Credentials {
        let digest = |label: &str| {
            let mut h = Sha256::new();
            for part in [label, tenant, scim_token, account_uuid] {
                h.update(part.as_bytes());
                h.update([0u8]);
            }
            h.finalize()
        };
        let id = digest("users-api client id");
        let hex: String = id.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let client_id = format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        );
        let secret = digest("users-api client secret");
        let client_secret: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        Credentials { client_id, client_secret, account_id: account_uuid.to_owned() }
    }

    /// Whether `client_id:client_secret` (from HTTP Basic) are these credentials. Compared in
    /// constant time per byte so the emulator does not model a timing oracle.
    pub fn accepts(&self, client_id: &str, client_secret: &str) -> bool {
        let eq = |a: &str, b: &str| {
            a.len() == b.len()
                && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
        };
        eq(client_id, &self.client_id) & eq(client_secret, &self.client_secret)
    }
}

/// An access token as the token endpoint answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The opaque token.
    pub token: String,
    /// Seconds until it expires (always [`TOKEN_LIFETIME_SECS`] when issued).
    pub expires_in: i64,
    /// When it expires, on the tenant's clock.
    pub expires_at: DateTime<Utc>,
}

/// Why an access token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRejection {
    /// Never issued by this tenant, or revoked.
    Unknown,
    /// Issued, but its 15 minutes are over (on the tenant's clock).
    Expired,
}

/// A tenant's live access tokens. Kept in memory only: after a restart clients fetch a new
/// token (they must handle a 401 anyway, tokens expire every 15 minutes).
#[derive(Debug, Clone, Default)]
pub struct AccessTokens {
    live: HashMap<String, DateTime<Utc>>,
    /// Draws token values; seeded from the tenant's credentials on first use so the same
    /// seed gives the same tokens, without drawing from the tenant's id stream (which would
    /// change the ids of users created afterwards).
    rng: Option<IdGenerator>,
}

impl AccessTokens {
    /// Issues a token valid for [`TOKEN_LIFETIME_SECS`] from `now`, and forgets the expired
    /// ones (returned, so the caller can drop them from the token index too).
    pub fn issue(
        &mut self,
        credentials: &Credentials,
        now: DateTime<Utc>,
    ) -> (IssuedToken, Vec<String>) {
        let expired: Vec<String> =
            self.live.iter().filter(|(_, exp)| **exp <= now).map(|(t, _)| t.clone()).collect();
        for t in &expired {
            self.live.remove(t);
        }
        let rng = self.rng.get_or_insert_with(|| {
            let d = Sha256::digest(credentials.client_secret.as_bytes());
            let mut seed = [0u8; 8];
            seed.copy_from_slice(&d[..8]);
            IdGenerator::new(u64::from_le_bytes(seed))
        });
        let token = loop {
            let candidate = format!("opua_{}{}", rng.lower_id(), rng.lower_id());
            if !self.live.contains_key(&candidate) {
                break candidate;
            }
        };
        let expires_at = now + Duration::seconds(TOKEN_LIFETIME_SECS);
        self.live.insert(token.clone(), expires_at);
        (IssuedToken { token, expires_in: TOKEN_LIFETIME_SECS, expires_at }, expired)
    }

    /// Checks a bearer token at `now`.
    pub fn check(&self, token: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, TokenRejection> {
        match self.live.get(token) {
            None => Err(TokenRejection::Unknown),
            Some(exp) if *exp <= now => Err(TokenRejection::Expired),
            Some(exp) => Ok(*exp),
        }
    }

    /// Revokes a token; whether it was live (revoking an unknown token is not an error).
    pub fn revoke(&mut self, token: &str) -> bool {
        self.live.remove(token).is_some()
    }

    /// Every token not yet forgotten (for the token index).
    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        self.live.keys().map(String::as_str)
    }
}

/// The API's error statuses (Google API style, as the preview's error names suggest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 400: a bad parameter (filter, page size, page token, account id).
    InvalidArgument,
    /// 400: the account is not in a state that allows it (the last owner).
    FailedPrecondition,
    /// 401: no, unknown, revoked or expired access token.
    Unauthenticated,
    /// 403: not allowed (externally managed administrators, guests, hosted provisioning,
    /// another account).
    PermissionDenied,
    /// 404: no such user, or no such route.
    NotFound,
    /// 405: the route exists, the method does not.
    MethodNotAllowed,
    /// 429: rate limited.
    ResourceExhausted,
}

impl Status {
    /// The HTTP status code.
    pub fn code(self) -> u16 {
        match self {
            Status::InvalidArgument | Status::FailedPrecondition => 400,
            Status::Unauthenticated => 401,
            Status::PermissionDenied => 403,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::ResourceExhausted => 429,
        }
    }

    /// The status name in error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InvalidArgument => "INVALID_ARGUMENT",
            Status::FailedPrecondition => "FAILED_PRECONDITION",
            Status::Unauthenticated => "UNAUTHENTICATED",
            Status::PermissionDenied => "PERMISSION_DENIED",
            Status::NotFound => "NOT_FOUND",
            Status::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Status::ResourceExhausted => "RESOURCE_EXHAUSTED",
        }
    }

    /// The status a fault rule's or the rate limiter's HTTP status stands for.
    pub fn name_for_http(code: u16) -> &'static str {
        match code {
            400 => "INVALID_ARGUMENT",
            401 => "UNAUTHENTICATED",
            403 => "PERMISSION_DENIED",
            404 => "NOT_FOUND",
            409 => "ABORTED",
            429 => "RESOURCE_EXHAUSTED",
            501 => "UNIMPLEMENTED",
            503 => "UNAVAILABLE",
            504 => "DEADLINE_EXCEEDED",
            c if c >= 500 => "INTERNAL",
            _ => "FAILED_PRECONDITION",
        }
    }
}

/// A Users API error: a status and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct UsersApiError {
    /// The status.
    pub status: Status,
    /// What was wrong, for the `message` field.
    pub message: String,
}

impl UsersApiError {
    /// An error with `status`.
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        UsersApiError { status, message: message.into() }
    }

    /// `{"error": {"code", "message", "status"}}`.
    pub fn to_json(&self) -> serde_json::Value {
        error_json(self.status.code(), self.status.as_str(), &self.message)
    }
}

/// The error body: `{"error": {"code", "message", "status"}}`.
pub fn error_json(code: u16, status: &str, message: &str) -> serde_json::Value {
    serde_json::json!({"error": {"code": code, "message": message, "status": status}})
}

/// The documented refusal when the account uses automated (hosted) provisioning.
pub const HOSTED_PROVISIONING_MESSAGE: &str = "Integrations with the Users API are not currently \
     supported if you use automated provisioning. You can manage actions, like suspending and \
     reactivating users, through your identity provider.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_stable_distinct_and_shaped_like_1passwords() {
        let a = Credentials::derive("default", "scim_x", "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        assert_eq!(a, Credentials::derive("default", "scim_x", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
        let b = Credentials::derive("other", "scim_x", "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        assert_ne!(a.client_id, b.client_id);
        assert_ne!(a.client_secret, b.client_secret);
        let parts: Vec<_> = a.client_id.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert!(a.accepts(&a.client_id, &a.client_secret));
        assert!(!a.accepts(&a.client_id, &b.client_secret));
        assert!(!a.accepts(&b.client_id, &a.client_secret));
        assert!(!a.accepts(&a.client_id, ""));
    }

    #[test]
    fn tokens_expire_after_fifteen_minutes_and_can_be_revoked() {
        let creds = Credentials::derive("t", "s", "A");
        let mut tokens = AccessTokens::default();
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().to_utc();
        let (issued, _) = tokens.issue(&creds, t0);
        assert_eq!(issued.expires_in, 900);
        assert!(tokens.check(&issued.token, t0 + Duration::seconds(899)).is_ok());
        assert_eq!(
            tokens.check(&issued.token, t0 + Duration::seconds(900)),
            Err(TokenRejection::Expired)
        );
        let (second, forgotten) = tokens.issue(&creds, t0 + Duration::seconds(901));
        assert_eq!(forgotten, vec![issued.token.clone()], "the expired one is forgotten");
        assert_ne!(second.token, issued.token);
        assert!(tokens.revoke(&second.token));
        assert!(!tokens.revoke(&second.token), "a second revoke finds nothing");
        assert_eq!(tokens.check(&second.token, t0), Err(TokenRejection::Unknown));
        // Same credentials, same token sequence.
        let mut again = AccessTokens::default();
        assert_eq!(again.issue(&creds, t0).0.token, issued.token);
    }
}

//! Listing users: the `filter`, `max_page_size` and `page_token` parameters, the User object and
//! how 1Password's account states map onto the API's `state`.
//!
//! Pages are cut from the users ordered by creation time, then id, and a page token holds the
//! last (creation time, id) returned: a keyset, not an offset. So a user added between pages
//! shows up on a later page (new users sort last), a user suspended between pages of an
//! `isActive()` listing is simply not returned again, and no user is ever returned twice or
//! skipped because others came or went.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::SecondsFormat;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Status, UsersApiError};
use crate::account::{User, UserState};
use crate::profile::Profile;
use crate::tenant::Tenant;

/// `max_page_size` when absent or 0.
pub const DEFAULT_PAGE_SIZE: usize = 25;
/// The largest `max_page_size`; larger values are coerced down to it.
pub const MAX_PAGE_SIZE: usize = 1000;

/// The documented filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserFilter {
    /// No filter: every user.
    All,
    /// `user.isActive()`.
    Active,
    /// `user.isSuspended()`.
    Suspended,
}

impl UserFilter {
    /// Parses a `filter` value (surrounding whitespace ignored; empty means none).
    pub fn parse(s: &str) -> Result<UserFilter, UsersApiError> {
        match s.trim() {
            "" => Ok(UserFilter::All),
            "user.isActive()" => Ok(UserFilter::Active),
            "user.isSuspended()" => Ok(UserFilter::Suspended),
            other => Err(UsersApiError::new(
                Status::InvalidArgument,
                format!(
                    "invalid filter {other:?}: supported filters are user.isActive() and \
                     user.isSuspended()"
                ),
            )),
        }
    }

    fn code(self) -> &'static str {
        match self {
            UserFilter::All => "all",
            UserFilter::Active => "active",
            UserFilter::Suspended => "suspended",
        }
    }

    fn matches(self, state: &str) -> bool {
        match self {
            UserFilter::All => true,
            UserFilter::Active => state == "ACTIVE",
            UserFilter::Suspended => state == "SUSPENDED",
        }
    }
}

/// The parsed query of `GET .../users`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// `filter`.
    pub filter: UserFilter,
    /// `max_page_size`, defaulted and coerced into 1..=1000.
    pub page_size: usize,
    /// `page_token`, if given (checked when listing: it is bound to the tenant and filter).
    pub page_token: Option<String>,
}

impl ListQuery {
    /// Reads the query parameters (decoded pairs). Accepts the snake_case names and their
    /// camelCase JSON names (`maxPageSize`, `pageToken`), as Google-style APIs do; any other
    /// parameter is an error naming it, so a misspelt one is not silently ignored.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<ListQuery, UsersApiError> {
        let bad = |m: String| UsersApiError::new(Status::InvalidArgument, m);
        let mut q =
            ListQuery { filter: UserFilter::All, page_size: DEFAULT_PAGE_SIZE, page_token: None };
        for (name, value) in pairs {
            match name.as_str() {
                "filter" => q.filter = UserFilter::parse(value)?,
                "max_page_size" | "maxPageSize" => {
                    let n: i64 = value.trim().parse().map_err(|_| {
                        bad(format!("max_page_size must be an integer, got {value:?}"))
                    })?;
                    q.page_size = match n {
                        n if n < 0 => {
                            return Err(bad(format!(
                                "max_page_size must not be negative, got {n}"
                            )));
                        }
                        0 => DEFAULT_PAGE_SIZE,
                        n => usize::try_from(n).unwrap_or(MAX_PAGE_SIZE).min(MAX_PAGE_SIZE),
                    };
                }
                "page_token" | "pageToken" => {
                    q.page_token = Some(value.clone()).filter(|v| !v.is_empty());
                }
                other => {
                    return Err(bad(format!(
                        "unknown query parameter {other:?}: expected filter, max_page_size or \
                         page_token"
                    )));
                }
            }
        }
        Ok(q)
    }
}

/// The User object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiUser {
    /// The user's id (the SCIM id).
    pub id: String,
    /// The sign-in e-mail.
    pub email: String,
    /// The display name.
    pub display_name: String,
    /// `ACTIVE`, `SUSPENDED` or `STATE_UNSPECIFIED` (see [`api_state`]).
    pub state: String,
    /// When the user was created (RFC 3339).
    pub create_time: String,
    /// `accounts/{account_id}/users/{id}`.
    pub path: String,
}

/// The API `state` of a 1Password account state. Suspended and deprovisioned invitees are
/// `SUSPENDED`; confirmed users and users in recovery are `ACTIVE`; an invited user who has not
/// finished setting up is the profile's `users_api_invited_state` (`STATE_UNSPECIFIED` by
/// default: the documented values leave it open).
pub fn api_state(state: UserState, profile: &Profile) -> String {
    match state {
        UserState::Active | UserState::RecoveryStarted | UserState::RecoveryAccepted => {
            "ACTIVE".to_owned()
        }
        UserState::Suspended | UserState::TransferSuspended => "SUSPENDED".to_owned(),
        UserState::TransferStarted => profile.users_api_invited_state.clone(),
    }
}

/// A user as the API shows it.
pub fn to_api_user(u: &User, account_id: &str, profile: &Profile) -> ApiUser {
    ApiUser {
        id: u.id.clone(),
        email: u.email(),
        display_name: u.display_name(),
        state: api_state(u.state, profile),
        create_time: u.created.to_rfc3339_opts(SecondsFormat::Secs, true),
        path: format!("accounts/{account_id}/users/{}", u.id),
    }
}

/// One page of users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page {
    /// The users.
    pub results: Vec<ApiUser>,
    /// The token of the next page; omitted on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

/// The position a page token holds: the last user returned.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Position {
    created_micros: i64,
    id: String,
}

fn page_token_mac(key: &str, body: &str) -> String {
    let mut h = Sha256::new();
    h.update(key.as_bytes());
    h.update([0u8]);
    h.update(body.as_bytes());
    let d = h.finalize();
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Encodes a page token: `base64url(v1|filter|micros|id|mac)`, the mac keyed by the tenant's
/// client secret so a token of another tenant, an edited one or one from another filter is
/// refused rather than misread.
fn encode_token(key: &str, filter: UserFilter, pos: &Position) -> String {
    let body = format!("v1|{}|{}|{}", filter.code(), pos.created_micros, pos.id);
    let mac = page_token_mac(key, &body);
    URL_SAFE_NO_PAD.encode(format!("{body}|{mac}"))
}

fn decode_token(key: &str, filter: UserFilter, token: &str) -> Result<Position, UsersApiError> {
    let invalid = |why: &str| {
        UsersApiError::new(Status::InvalidArgument, format!("invalid page_token: {why}"))
    };
    let raw = URL_SAFE_NO_PAD.decode(token.trim()).map_err(|_| invalid("not a page token"))?;
    let text = String::from_utf8(raw).map_err(|_| invalid("not a page token"))?;
    let (body, mac) = text.rsplit_once('|').ok_or_else(|| invalid("not a page token"))?;
    if page_token_mac(key, body) != mac {
        return Err(invalid("not issued for this account, or altered"));
    }
    let parts: Vec<&str> = body.split('|').collect();
    let [version, code, micros, id] = parts.as_slice() else {
        return Err(invalid("not a page token"));
    };
    if *version != "v1" {
        return Err(invalid("unknown version"));
    }
    if *code != filter.code() {
        return Err(invalid("it belongs to a listing with another filter"));
    }
    let created_micros = micros.parse().map_err(|_| invalid("not a page token"))?;
    Ok(Position { created_micros, id: (*id).to_owned() })
}

fn position_of(u: &User) -> Position {
    Position { created_micros: u.created.timestamp_micros(), id: u.id.clone() }
}

fn key_of(p: &Position) -> (i64, &str) {
    (p.created_micros, p.id.as_str())
}

/// One page of the tenant's users for `query`.
pub fn list_users(
    t: &Tenant,
    account_id: &str,
    token_key: &str,
    query: &ListQuery,
) -> Result<Page, UsersApiError> {
    let after = query
        .page_token
        .as_deref()
        .map(|tok| decode_token(token_key, query.filter, tok))
        .transpose()?;
    let mut matching: Vec<(Position, &User)> = t
        .account
        .users()
        .filter(|u| query.filter.matches(&api_state(u.state, &t.profile)))
        .map(|u| (position_of(u), u))
        .filter(|(p, _)| after.as_ref().is_none_or(|a| key_of(p) > key_of(a)))
        .collect();
    matching.sort_by(|(a, _), (b, _)| key_of(a).cmp(&key_of(b)));
    let more = matching.len() > query.page_size;
    matching.truncate(query.page_size);
    let next_page_token = match (more, matching.last()) {
        (true, Some((last, _))) => Some(encode_token(token_key, query.filter, last)),
        _ => None,
    };
    let results = matching.iter().map(|(_, u)| to_api_user(u, account_id, &t.profile)).collect();
    Ok(Page { results, next_page_token })
}

/// `true` when `s` has the shape of an account id (`^[A-Z0-9]{26}$`).
pub fn is_account_id(s: &str) -> bool {
    s.len() == 26 && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    }

    #[test]
    fn query_parameters_are_checked_and_page_sizes_coerced() {
        let q = ListQuery::from_pairs(&pairs(&[])).unwrap();
        assert_eq!((q.filter, q.page_size, q.page_token), (UserFilter::All, 25, None));
        let q = ListQuery::from_pairs(&pairs(&[
            ("filter", " user.isSuspended() "),
            ("maxPageSize", "5000"),
            ("page_token", "x"),
        ]))
        .unwrap();
        assert_eq!((q.filter, q.page_size), (UserFilter::Suspended, 1000));
        assert_eq!(ListQuery::from_pairs(&pairs(&[("max_page_size", "0")])).unwrap().page_size, 25);
        for bad in [
            vec![("filter", "user.isAdmin()")],
            vec![("filter", "userName eq \"a\"")],
            vec![("max_page_size", "-1")],
            vec![("max_page_size", "ten")],
            vec![("max_results", "10")],
        ] {
            let e = ListQuery::from_pairs(&pairs(&bad)).unwrap_err();
            assert_eq!(e.status, Status::InvalidArgument, "{bad:?}");
        }
    }

    #[test]
    fn page_tokens_are_bound_to_the_key_and_filter_and_refuse_edits() {
        let pos = Position { created_micros: 42, id: "ABC".into() };
        let tok = encode_token("k", UserFilter::Active, &pos);
        assert_eq!(decode_token("k", UserFilter::Active, &tok).unwrap(), pos);
        assert!(decode_token("other", UserFilter::Active, &tok).is_err());
        assert!(decode_token("k", UserFilter::All, &tok).is_err());
        assert!(decode_token("k", UserFilter::Active, "CAIQAg").is_err());
        let mut chars: Vec<char> = tok.chars().collect();
        chars[3] = if chars[3] == 'A' { 'B' } else { 'A' };
        let edited: String = chars.into_iter().collect();
        assert!(decode_token("k", UserFilter::Active, &edited).is_err());
    }

    #[test]
    fn account_ids_have_the_documented_shape() {
        assert!(is_account_id("ABCDEFGHIJKLMNOPQRSTUVWXY2"));
        assert!(!is_account_id("abcdefghijklmnopqrstuvwxy2"));
        assert!(!is_account_id("ABC"));
    }
}

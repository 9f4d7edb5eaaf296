//! The 1Password Users API backend of [`Client`](crate::Client): OAuth client credentials with
//! an automatically fetched and refreshed access token, listing through `page_token`s, get and
//! the `:suspend` / `:reactivate` custom methods.
//!
//! The token is fetched on first use and again shortly before it expires
//! ([`REFRESH_MARGIN`]); a `401` on a resource call (the server's clock, not ours, decides when
//! a token expires, and a server restart forgets tokens) drops the token, fetches a new one and
//! repeats the request once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::Url;
use serde_json::{Value, json};

use crate::error::Error;
use crate::listing::Snapshot;
use crate::transport::{Reply, Transport};
use crate::user::{User, kind_of};

/// How long before its expiry a token is replaced.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The server filters the Users API documents.
pub const NATIVE_FILTERS: [&str; 2] = ["user.isActive()", "user.isSuspended()"];

/// Page size of each listing request unless the builder sets one: the API's maximum.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Pages followed before a listing is reported as incomplete (a server that keeps answering
/// with a next page token would otherwise loop forever).
const MAX_PAGES: usize = 100_000;

/// What a Users API integration needs: the OAuth client and the account it manages.
#[derive(Clone, PartialEq, Eq)]
pub struct UsersApiCredentials {
    /// The OAuth client id.
    pub client_id: String,
    /// The OAuth client secret.
    pub client_secret: String,
    /// The 1Password account id (26 upper-case letters and digits).
    pub account_id: String,
}

/// The secret stays out of logs.
impl std::fmt::Debug for UsersApiCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsersApiCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("account_id", &self.account_id)
            .finish()
    }
}

impl UsersApiCredentials {
    /// Checks that every field is usable.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let bad = |m: String| Err(Error::InvalidConfig { message: m });
        for (name, value) in [
            ("client id", &self.client_id),
            ("client secret", &self.client_secret),
            ("account id", &self.account_id),
        ] {
            if value.trim().is_empty() {
                return bad(format!("the Users API {name} is empty"));
            }
            if value.bytes().any(|b| b.is_ascii_control()) {
                return bad(format!("the Users API {name} contains control characters"));
            }
        }
        if self.client_id.contains(':') {
            return bad("the Users API client id must not contain ':'".into());
        }
        if !self.account_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return bad(format!(
                "the account id {:?} must be letters and digits only",
                self.account_id
            ));
        }
        Ok(())
    }
}

#[derive(Debug)]
struct CachedToken {
    token: String,
    refresh_at: Instant,
}

/// The Users API side of a client.
#[derive(Debug)]
pub(crate) struct UsersApi {
    credentials: UsersApiCredentials,
    token: tokio::sync::Mutex<Option<CachedToken>>,
    fetched: AtomicU64,
}

/// How a listing filter is answered: by the server (a documented filter), locally (a SCIM
/// filter evaluated on each user), or not at all.
#[derive(Debug)]
pub(crate) struct UsersFilter {
    /// Sent as `filter=`.
    pub server: Option<&'static str>,
    /// Evaluated on each user's SCIM view.
    pub local: Option<scim::filter::Filter>,
    /// What cursors are bound to.
    pub canonical: Option<String>,
}

impl UsersFilter {
    /// `user.isActive()` / `user.isSuspended()` go to the server; anything else must be a SCIM
    /// filter and is evaluated on the users the server returns, so code written for the SCIM
    /// backend gets the same users here.
    pub(crate) fn parse(filter: Option<&str>) -> Result<UsersFilter, Error> {
        let Some(raw) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
            return Ok(UsersFilter { server: None, local: None, canonical: None });
        };
        if let Some(native) = NATIVE_FILTERS.iter().find(|n| **n == raw) {
            return Ok(UsersFilter {
                server: Some(native),
                local: None,
                canonical: Some((*native).to_owned()),
            });
        }
        let parsed = scim::filter::parse(raw).map_err(|e| Error::InvalidFilter {
            filter: raw.to_owned(),
            message: format!("{e} (or use user.isActive() / user.isSuspended())"),
        })?;
        let canonical = parsed.to_string();
        Ok(UsersFilter { server: None, local: Some(parsed), canonical: Some(canonical) })
    }
}

/// The SCIM view of a Users API user that local filters are evaluated on.
fn scim_view(u: &User) -> Value {
    json!({
        "id": u.id,
        "userName": u.email,
        "displayName": u.display_name,
        "name": {"formatted": u.display_name},
        "active": !u.is_suspended(),
        "emails": [{"value": u.email, "primary": true}],
    })
}

impl UsersApi {
    pub(crate) fn new(credentials: UsersApiCredentials) -> Result<UsersApi, Error> {
        credentials.validate()?;
        Ok(UsersApi {
            credentials,
            token: tokio::sync::Mutex::new(None),
            fetched: AtomicU64::new(0),
        })
    }

    pub(crate) fn account_id(&self) -> &str {
        &self.credentials.account_id
    }

    /// Access tokens fetched so far.
    pub(crate) fn tokens_fetched(&self) -> u64 {
        self.fetched.load(Ordering::Relaxed)
    }

    /// The current access token, fetched when there is none or it is about to expire.
    async fn token(&self, transport: &Transport, base: &Url) -> Result<String, Error> {
        let mut slot = self.token.lock().await;
        if let Some(cached) = slot.as_ref()
            && Instant::now() < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        let fresh = self.fetch(transport, base).await?;
        let token = fresh.token.clone();
        *slot = Some(fresh);
        Ok(token)
    }

    /// Forgets `stale` (if it is still the cached token), so the next call fetches anew.
    async fn invalidate(&self, stale: &str) {
        let mut slot = self.token.lock().await;
        if slot.as_ref().is_some_and(|c| c.token == stale) {
            *slot = None;
        }
    }

    async fn fetch(&self, transport: &Transport, base: &Url) -> Result<CachedToken, Error> {
        let url = join(base, &["v1beta1", "users", "oauth2", "token"]);
        let c = &self.credentials;
        let reply = transport
            .execute(
                |http| {
                    http.post(url.clone())
                        .basic_auth(&c.client_id, Some(&c.client_secret))
                        .header("Accept", "application/json")
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .body("grant_type=client_credentials")
                },
                true,
            )
            .await?;
        if !reply.is_success() {
            return Err(reply.into_error(None));
        }
        self.fetched.fetch_add(1, Ordering::Relaxed);
        let status = reply.status;
        let body = reply.json()?;
        let decode = |m: String| Error::Decode { status, message: m };
        let token = body
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| decode(format!("the token response has no access_token: {body}")))?;
        let lifetime =
            Duration::from_secs(body.get("expires_in").and_then(Value::as_u64).unwrap_or(900));
        let margin = REFRESH_MARGIN.min(lifetime / 10);
        Ok(CachedToken {
            token: token.to_owned(),
            refresh_at: Instant::now() + lifetime.saturating_sub(margin),
        })
    }

    /// Sends a resource request with the access token; on a 401, once more with a new token.
    async fn send(
        &self,
        transport: &Transport,
        base: &Url,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        idempotent: bool,
    ) -> Result<Reply, Error> {
        let token = self.token(transport, base).await?;
        let reply = transport
            .execute(
                |http| build(http).bearer_auth(&token).header("Accept", "application/json"),
                idempotent,
            )
            .await?;
        if reply.status != 401 {
            return Ok(reply);
        }
        self.invalidate(&token).await;
        let token = self.token(transport, base).await?;
        transport
            .execute(
                |http| build(http).bearer_auth(&token).header("Accept", "application/json"),
                idempotent,
            )
            .await
    }

    fn users_url(&self, base: &Url, rest: &[&str]) -> Url {
        let mut segments = vec!["v1beta1", "accounts", self.account_id(), "users"];
        segments.extend_from_slice(rest);
        join(base, &segments)
    }

    /// Every user matching `filter` (every page, each user once).
    pub(crate) async fn snapshot(
        &self,
        transport: &Transport,
        base: &Url,
        filter: &UsersFilter,
        page_size: usize,
    ) -> Result<Snapshot, Error> {
        let url = self.users_url(base, &[]);
        let mut snap = Snapshot::default();
        let mut page_token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query: Vec<(&str, String)> =
                vec![("max_page_size", page_size.clamp(1, MAX_PAGE_SIZE).to_string())];
            if let Some(f) = filter.server {
                query.push(("filter", f.to_owned()));
            }
            if let Some(t) = &page_token {
                query.push(("page_token", t.clone()));
            }
            let reply = self
                .send(transport, base, |http| http.get(url.clone()).query(&query), true)
                .await?;
            if !reply.is_success() {
                return Err(reply.into_error(Some("the users endpoint".into())));
            }
            let status = reply.status;
            let decode = |m: String| Error::Decode { status, message: m };
            let mut body = reply.json()?;
            let results = match body.get_mut("results").map(Value::take) {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(a)) => a,
                Some(other) => {
                    return Err(decode(format!(
                        "`results` must be an array, got {}",
                        kind_of(&other)
                    )));
                }
            };
            for raw in results {
                let user = User::from_users_api(raw).map_err(decode)?;
                let keep = match &filter.local {
                    None => true,
                    Some(f) => f
                        .matches(&scim_view(&user), scim::schema::ResourceSchema::user())
                        .map_err(|e| Error::InvalidFilter {
                        filter: f.to_string(),
                        message: e.to_string(),
                    })?,
                };
                if keep {
                    snap.users.insert(user.id.clone(), user);
                }
            }
            match body.get("next_page_token").and_then(Value::as_str).filter(|t| !t.is_empty()) {
                Some(next) if page_token.as_deref() == Some(next) => {
                    return Err(decode(format!("the server repeated the page token {next:?}")));
                }
                Some(next) => page_token = Some(next.to_owned()),
                None => {
                    return Ok(snap);
                }
            }
        }
        Err(Error::IncompleteListing {
            seen: snap.users.len() as u64,
            total: snap.users.len() as u64,
            sweeps: 1,
        })
    }

    /// One user.
    pub(crate) async fn get(
        &self,
        transport: &Transport,
        base: &Url,
        id: &str,
    ) -> Result<User, Error> {
        let url = self.users_url(base, &[id]);
        let reply = self.send(transport, base, |http| http.get(url.clone()), true).await?;
        user_from(reply, id)
    }

    /// `:suspend` or `:reactivate` (idempotent on the server: an already suspended user is
    /// returned unchanged, with no audit event).
    pub(crate) async fn set_active(
        &self,
        transport: &Transport,
        base: &Url,
        id: &str,
        active: bool,
    ) -> Result<User, Error> {
        let verb = if active { "reactivate" } else { "suspend" };
        let target = format!("{id}:{verb}");
        let url = self.users_url(base, &[&target]);
        let reply = self.send(transport, base, |http| http.post(url.clone()), true).await?;
        user_from(reply, id)
    }

    /// Revokes the current access token, if any (the next call fetches a new one).
    pub(crate) async fn revoke(&self, transport: &Transport, base: &Url) -> Result<(), Error> {
        let Some(cached) = self.token.lock().await.take() else { return Ok(()) };
        let url = join(base, &["v1beta1", "users", "oauth2", "revoke"]);
        let c = &self.credentials;
        let body = format!("token={}", form_encode(&cached.token));
        let reply = transport
            .execute(
                |http| {
                    http.post(url.clone())
                        .basic_auth(&c.client_id, Some(&c.client_secret))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .body(body.clone())
                },
                true,
            )
            .await?;
        if reply.is_success() { Ok(()) } else { Err(reply.into_error(None)) }
    }
}

fn user_from(reply: Reply, id: &str) -> Result<User, Error> {
    if !reply.is_success() {
        return Err(reply.into_error(Some(format!("user {id}"))));
    }
    let status = reply.status;
    User::from_users_api(reply.json()?).map_err(|message| Error::Decode { status, message })
}

fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// Percent-encodes a form value (everything but unreserved characters).
fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn creds() -> UsersApiCredentials {
        UsersApiCredentials {
            client_id: "id".into(),
            client_secret: "secret".into(),
            account_id: "ABCDEFGHIJKLMNOPQRSTUVWXY2".into(),
        }
    }

    #[test]
    fn filters_go_to_the_server_or_are_evaluated_locally() {
        let f = UsersFilter::parse(Some(" user.isSuspended() ")).unwrap();
        assert_eq!((f.server, f.local.is_none()), (Some("user.isSuspended()"), true));
        let f = UsersFilter::parse(Some(r#"userName eq "a@example.com""#)).unwrap();
        assert!(f.server.is_none());
        let user = User::from_users_api(json!({"id": "A", "email": "A@example.com",
            "display_name": "Ann", "state": "ACTIVE"}))
        .unwrap();
        let local = f.local.unwrap();
        assert!(local.matches(&scim_view(&user), scim::schema::ResourceSchema::user()).unwrap());
        assert!(UsersFilter::parse(None).unwrap().canonical.is_none());
        let e = UsersFilter::parse(Some("user.isAdmin()")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidFilter);
    }

    #[test]
    fn credentials_are_checked_and_the_secret_is_never_printed() {
        assert!(creds().validate().is_ok());
        let mut c = creds();
        c.client_secret = " ".into();
        assert_eq!(c.validate().unwrap_err().kind(), ErrorKind::InvalidConfig);
        let mut c = creds();
        c.account_id = "../x".into();
        assert_eq!(c.validate().unwrap_err().kind(), ErrorKind::InvalidConfig);
        assert!(!format!("{:?}", creds()).contains("secret\""));
        assert!(format!("{:?}", creds()).contains("<redacted>"));
    }

    #[test]
    fn form_values_are_encoded() {
        assert_eq!(form_encode("a b&c=d_~"), "a%20b%26c%3Dd_~");
    }
}

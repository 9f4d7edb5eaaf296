//! The client: list (filter + cursor), get, suspend, reactivate, through the SCIM bridge or the
//! 1Password Users API (see [`Api`]).

use std::sync::Mutex;
use std::time::Duration;

use reqwest::Url;
use serde::Serialize;
use serde_json::{Value, json};

use crate::cursor::{ListCursor, filter_hash};
use crate::error::Error;
use crate::listing::{Snapshot, parse_list_response};
use crate::rate_limit::RateLimit;
use crate::retry::RetryPolicy;
use crate::transport::{Reply, Transport, TransportConfig};
use crate::user::User;
use crate::users_api::{UsersApi, UsersApiCredentials, UsersFilter};

/// Page size of [`Client::list_users`] when neither the options nor the cursor give one.
pub const DEFAULT_LIMIT: usize = 100;
/// `count` used for sweeps when the server does not advertise `filter.maxResults`.
pub const DEFAULT_SWEEP_PAGE: usize = 1000;
/// Full sweeps tried before a listing that keeps missing users is reported as incomplete.
pub const DEFAULT_MAX_SWEEPS: u32 = 64;

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// What to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// A SCIM filter (`userName eq "a@example.com"`), checked locally before any request.
    pub filter: Option<String>,
    /// Users per page (default [`DEFAULT_LIMIT`], or the cursor's).
    pub limit: Option<usize>,
    /// Where to resume: a previous page's `next_cursor`, with the same filter.
    pub cursor: Option<String>,
}

/// One page of users, in id order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    /// The users.
    pub users: Vec<User>,
    /// Pass this back to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// How many users match the filter in all.
    pub total: Option<u64>,
}

/// Which 1Password API a [`Client`] talks to. Both give the same operations, the same
/// normalised [`User`], the same error kinds and the same cursors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Api {
    /// A SCIM bridge (`https://scim.example.com/scim/v2`, bearer token).
    Scim,
    /// The Users API (`https://api.1password.com`, OAuth client credentials, account id).
    UsersApi,
}

impl Api {
    /// `"scim"` or `"users-api"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Scim => "scim",
            Api::UsersApi => "users-api",
        }
    }
}

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base_url: String,
    token: String,
    users_api: Option<UsersApiCredentials>,
    config: TransportConfig,
    page_size: Option<usize>,
    max_sweeps: u32,
}

impl ClientBuilder {
    /// Timeout of each request (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `scimulator-connector/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.config.user_agent = user_agent.into();
        self
    }

    /// Retry 429 and 503 answers of idempotent requests (default: never retry).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// The `count` of each sweep request, instead of the server's advertised `filter.maxResults`
    /// (for the Users API: the `max_page_size` of each request, at most 1000).
    pub fn page_size(mut self, count: usize) -> Self {
        self.page_size = Some(count.max(1));
        self
    }

    /// Sweeps tried before reporting an incomplete listing (default [`DEFAULT_MAX_SWEEPS`]).
    pub fn max_sweeps(mut self, sweeps: u32) -> Self {
        self.max_sweeps = sweeps.max(1);
        self
    }

    /// Checks the settings and builds the client (no request is made).
    pub fn build(self) -> Result<Client, Error> {
        let base = parse_base_url(&self.base_url)?;
        let (transport, users_api) = match self.users_api {
            None => (Transport::new(self.token, self.config)?, None),
            Some(credentials) => {
                (Transport::without_token(self.config)?, Some(UsersApi::new(credentials)?))
            }
        };
        Ok(Client {
            base,
            transport,
            page_size: Mutex::new(self.page_size),
            max_sweeps: self.max_sweeps,
            users_api,
        })
    }
}

/// A client of one SCIM bridge (the emulator or a real 1Password SCIM bridge), or of the
/// 1Password Users API ([`Client::users_api`]).
#[derive(Debug)]
pub struct Client {
    base: Url,
    transport: Transport,
    /// The sweep `count`: configured, or learnt once from `/ServiceProviderConfig`.
    page_size: Mutex<Option<usize>>,
    max_sweeps: u32,
    /// Set for a Users API client.
    users_api: Option<UsersApi>,
}

/// Accepts any of the bridge's prefixes (`https://bridge`, `.../scim`, `.../scim/v2`, with or
/// without a trailing slash) and normalises it to end without a slash.
fn parse_base_url(s: &str) -> Result<Url, Error> {
    let bad = |m: String| Error::InvalidConfig { message: m };
    let mut url = Url::parse(s.trim()).map_err(|e| bad(format!("invalid base URL {s:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(format!("the base URL must be http or https, got {:?}", url.scheme())));
    }
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(bad(format!("the base URL {s:?} has no host")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(format!("the base URL {s:?} must not have a query or fragment")));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

impl Client {
    /// A builder with defaults: 30 s timeout, no retry.
    pub fn builder(base_url: impl Into<String>, token: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            token: token.into(),
            users_api: None,
            config: TransportConfig::default(),
            page_size: None,
            max_sweeps: DEFAULT_MAX_SWEEPS,
        }
    }

    /// A client with the defaults.
    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> Result<Client, Error> {
        Client::builder(base_url, token).build()
    }

    /// A builder for a Users API client: `base_url` is the API host (`https://api.1password.com`,
    /// or the emulator's URL), and the access token is fetched and refreshed automatically.
    pub fn users_api_builder(
        base_url: impl Into<String>,
        credentials: UsersApiCredentials,
    ) -> ClientBuilder {
        ClientBuilder { users_api: Some(credentials), ..Client::builder(base_url, String::new()) }
    }

    /// A Users API client with the defaults.
    pub fn users_api(
        base_url: impl Into<String>,
        credentials: UsersApiCredentials,
    ) -> Result<Client, Error> {
        Client::users_api_builder(base_url, credentials).build()
    }

    /// The Users API `max_page_size`: the builder's [`ClientBuilder::page_size`], else the
    /// API's maximum.
    fn users_page_size(&self) -> usize {
        let configured = *self.page_size.lock().unwrap_or_else(|p| p.into_inner());
        configured.unwrap_or(crate::users_api::MAX_PAGE_SIZE)
    }

    /// Which API this client talks to.
    pub fn api(&self) -> Api {
        if self.users_api.is_some() { Api::UsersApi } else { Api::Scim }
    }

    /// Users API access tokens fetched so far (0 for a SCIM client): for checking that tokens
    /// are reused and refreshed as promised.
    pub fn tokens_fetched(&self) -> u64 {
        self.users_api.as_ref().map_or(0, UsersApi::tokens_fetched)
    }

    /// Revokes the Users API access token in use, if any (no-op for a SCIM client); the next
    /// call fetches a new one.
    pub async fn revoke_token(&self) -> Result<(), Error> {
        match &self.users_api {
            Some(u) => u.revoke(&self.transport, &self.base).await,
            None => Ok(()),
        }
    }

    /// The base URL, normalised.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The normalised rate-limit headers of the last response (`None` when it had none).
    pub fn last_rate_limit(&self) -> Option<RateLimit> {
        self.transport.last_rate_limit()
    }

    /// HTTP requests this client has sent (retries included): for benchmarks and for checking
    /// that idempotent operations did not write twice.
    pub fn requests_sent(&self) -> u64 {
        self.transport.requests_sent()
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Lists one page of users. The filter is validated locally first; pages come in id order and
    /// a full traversal returns every user exactly once however the server orders its answers
    /// (see [`listing`](crate::listing)).
    pub async fn list_users(&self, options: &ListOptions) -> Result<Page, Error> {
        if let Some(u) = &self.users_api {
            let filter = UsersFilter::parse(options.filter.as_deref())?;
            let fh = filter_hash(filter.canonical.as_deref());
            let snapshot = u.snapshot(&self.transport, &self.base, &filter, self.users_page_size());
            return self.page_of(options, fh, snapshot).await;
        }
        let filter = validate_filter(options.filter.as_deref())?;
        let fh = filter_hash(filter.as_ref().map(|(_, canonical)| canonical.as_str()));
        let snapshot = self.snapshot(filter.as_ref().map(|(raw, _)| raw.as_str()));
        self.page_of(options, fh, snapshot).await
    }

    /// Cuts the page `options` asks for from the listing `snapshot` makes (which is not
    /// awaited until the cursor and limit are known good).
    async fn page_of(
        &self,
        options: &ListOptions,
        fh: u64,
        snapshot: impl std::future::Future<Output = Result<Snapshot, Error>>,
    ) -> Result<Page, Error> {
        let cursor = options.cursor.as_deref().map(|c| ListCursor::decode(c, fh)).transpose()?;
        let limit = options.limit.or(cursor.as_ref().and_then(|c| c.l)).unwrap_or(DEFAULT_LIMIT);
        if limit == 0 {
            return Err(Error::InvalidArgument { message: "limit must be at least 1".into() });
        }
        let snapshot = snapshot.await?;
        let (users, more) = snapshot.page_after(cursor.as_ref().map(|c| c.a.as_str()), limit);
        let next_cursor = match (more, users.last()) {
            (true, Some(last)) => Some(
                ListCursor::new(fh, last.id.clone(), options.limit.or(cursor.and_then(|c| c.l)))
                    .encode(),
            ),
            _ => None,
        };
        Ok(Page { users, next_cursor, total: Some(snapshot.users.len() as u64) })
    }

    /// Every user matching `filter`, each exactly once, in id order.
    ///
    /// Each page is decoded straight into compact [`User`]s (its resources are never a JSON
    /// tree, and no page is kept), so memory is the users, not the responses.
    pub async fn list_all_users(&self, filter: Option<&str>) -> Result<Vec<User>, Error> {
        if let Some(u) = &self.users_api {
            let filter = UsersFilter::parse(filter)?;
            let snapshot =
                u.snapshot(&self.transport, &self.base, &filter, self.users_page_size()).await?;
            return Ok(snapshot.users.into_values().collect());
        }
        let filter = validate_filter(filter)?;
        let snapshot = self.snapshot(filter.as_ref().map(|(raw, _)| raw.as_str())).await?;
        Ok(snapshot.users.into_values().collect())
    }

    /// Every user matching `filter`, each exactly once, handed to `each` as the pages arrive
    /// (in the server's order, not id order), keeping only the ids seen: for pipelines that
    /// want users as they come and a directory that need not fit in memory. Returns how many
    /// users were handed out. The completeness checks are those of [`Client::list_all_users`];
    /// when they fail, the users already handed out were real but the listing is incomplete.
    pub async fn stream_all_users(
        &self,
        filter: Option<&str>,
        mut each: impl FnMut(User),
    ) -> Result<u64, Error> {
        let filter = validate_filter(filter)?;
        let mut seen = std::collections::HashSet::new();
        let mut insert = |u: User| {
            let new = seen.insert(u.id.clone());
            if new {
                each(u);
            }
            new
        };
        let (distinct, _) =
            self.sweep(filter.as_ref().map(|(raw, _)| raw.as_str()), &mut insert).await?;
        Ok(distinct)
    }

    /// One user by id.
    pub async fn get_user(&self, id: &str) -> Result<User, Error> {
        let id = validate_id(id)?;
        if let Some(u) = &self.users_api {
            return u.get(&self.transport, &self.base, id).await;
        }
        let url = self.url(&["Users", id]);
        let reply = self
            .transport
            .execute(|http| http.get(url.clone()).header("Accept", ACCEPT), true)
            .await?;
        user_from(reply, id)
    }

    /// Suspends a user (SCIM `active: false`). Already suspended: returns the user without
    /// writing.
    pub async fn suspend_user(&self, id: &str) -> Result<User, Error> {
        self.set_active(id, false).await
    }

    /// Reactivates a suspended user (SCIM `active: true`). Already active: returns the user
    /// without writing.
    pub async fn reactivate_user(&self, id: &str) -> Result<User, Error> {
        self.set_active(id, true).await
    }

    async fn set_active(&self, id: &str, active: bool) -> Result<User, Error> {
        if let Some(u) = &self.users_api {
            // The custom methods are idempotent on the server: one request, no read first.
            return u.set_active(&self.transport, &self.base, validate_id(id)?, active).await;
        }
        let current = self.get_user(id).await?;
        if current.is_suspended() != active {
            return Ok(current);
        }
        let id = current.id.clone();
        let url = self.url(&["Users", &id]);
        // The shape every 1Password integration sends; `replace` of an absolute value is
        // idempotent, so the retry policy may repeat it.
        let body = json!({
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "path": "active", "value": active}],
        });
        let reply = self
            .transport
            .execute(
                |http| {
                    http.patch(url.clone())
                        .header("Accept", ACCEPT)
                        .header("Content-Type", "application/scim+json")
                        .body(body.to_string())
                },
                true,
            )
            .await?;
        // A server may answer 204 with no body; then read the user back.
        if reply.status == 204
            || (reply.is_success() && reply.body.iter().all(u8::is_ascii_whitespace))
        {
            return self.get_user(&id).await;
        }
        user_from(reply, &id)
    }

    /// The sweep `count`: configured, else `filter.maxResults` from `/ServiceProviderConfig`.
    async fn sweep_page_size(&self) -> Result<usize, Error> {
        if let Some(n) = *self.page_size.lock().unwrap_or_else(|p| p.into_inner()) {
            return Ok(n);
        }
        let url = self.url(&["ServiceProviderConfig"]);
        let reply = self
            .transport
            .execute(|http| http.get(url.clone()).header("Accept", ACCEPT), true)
            .await?;
        let n = if reply.is_success() {
            reply
                .json()
                .ok()
                .and_then(|v| v.pointer("/filter/maxResults").and_then(Value::as_u64))
                .filter(|n| *n > 0)
                .map_or(DEFAULT_SWEEP_PAGE, |n| usize::try_from(n).unwrap_or(DEFAULT_SWEEP_PAGE))
        } else {
            // Auth and rate-limit problems would fail the listing too: report them now. A bridge
            // without discovery just gets the default page size.
            match reply.status {
                401 | 403 | 429 => return Err(reply.into_error(None)),
                _ => DEFAULT_SWEEP_PAGE,
            }
        };
        *self.page_size.lock().unwrap_or_else(|p| p.into_inner()) = Some(n);
        Ok(n)
    }

    /// Collects every user matching `filter` (see [`listing`](crate::listing)).
    async fn snapshot(&self, filter: Option<&str>) -> Result<Snapshot, Error> {
        let mut users = std::collections::BTreeMap::new();
        let mut insert = |u: User| users.insert(u.id.clone(), u).is_none();
        self.sweep(filter, &mut insert).await?;
        Ok(Snapshot { users })
    }

    /// Sweeps the listing until every user the server counts was seen (see
    /// [`listing`](crate::listing)), handing each decoded user to `insert`, which says whether
    /// it is new. Returns the distinct users seen and the trusted `totalResults`.
    async fn sweep(
        &self,
        filter: Option<&str>,
        insert: &mut impl FnMut(User) -> bool,
    ) -> Result<(u64, Option<u64>), Error> {
        let count = self.sweep_page_size().await?;
        let url = self.url(&["Users"]);
        let mut snap = Sweep::default();
        let mut trust_total = true;
        for sweep in 1..=self.max_sweeps {
            let mut start: u64 = 1;
            loop {
                let mut query: Vec<(&str, String)> =
                    vec![("startIndex", start.to_string()), ("count", count.to_string())];
                if let Some(f) = filter {
                    query.push(("filter", f.to_owned()));
                }
                let reply = self
                    .transport
                    .execute(
                        |http| http.get(url.clone()).query(&query).header("Accept", ACCEPT),
                        true,
                    )
                    .await?;
                if !reply.is_success() {
                    return Err(reply.into_error(Some("the Users endpoint".into())));
                }
                let status = reply.status;
                let page = match parse_list_response(&reply.body) {
                    Ok(page) => page,
                    Err(message) => {
                        // Not JSON at all: the transport's error quotes what came instead.
                        reply.json()?;
                        return Err(Error::Decode { status, message });
                    }
                };
                let n = page.resources.len() as u64;
                for resource in page.resources {
                    let user = User::from_raw(resource)
                        .map_err(|message| Error::Decode { status, message })?;
                    if insert(user) {
                        snap.distinct += 1;
                    }
                }
                if n > 0 && start > 1 && page.total.is_some_and(|t| start > t) {
                    // Users beyond `totalResults`: the server reports the page size as the total.
                    trust_total = false;
                }
                snap.total = if trust_total { page.total } else { None };
                if n == 0 {
                    break;
                }
                start += n;
                let full_page = n >= count as u64;
                // A full first page whose `totalResults` equals its size may come from a server
                // that reports the page size as the total: look at one more page to be sure.
                let probe = full_page && start == n + 1 && snap.total == Some(n);
                match snap.total {
                    _ if probe => {}
                    // Every counted user is in hand: no need to finish the sweep.
                    Some(_) if snap.complete() => break,
                    Some(t) if start > t => break,
                    Some(_) => {}
                    None if !full_page => break,
                    None => {}
                }
            }
            if snap.complete() {
                return Ok((snap.distinct, snap.total));
            }
            if sweep == self.max_sweeps {
                return Err(Error::IncompleteListing {
                    seen: snap.distinct,
                    total: snap.total.unwrap_or_default(),
                    sweeps: sweep,
                });
            }
        }
        Ok((snap.distinct, snap.total))
    }
}

/// A sweep's progress: distinct users seen and the trusted `totalResults`.
#[derive(Debug, Default)]
struct Sweep {
    distinct: u64,
    total: Option<u64>,
}

impl Sweep {
    /// Is every user the server counted in hand?
    fn complete(&self) -> bool {
        self.total.is_none_or(|t| self.distinct >= t)
    }
}

const ACCEPT: &str = "application/scim+json, application/json";

/// Checks a filter with the SCIM grammar; returns it with its canonical form (which the cursor
/// is bound to, so `userName eq "a"` and `userName  EQ "a"` share cursors).
fn validate_filter(filter: Option<&str>) -> Result<Option<(String, String)>, Error> {
    let Some(raw) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
        return Ok(None);
    };
    let parsed = scim::filter::parse(raw)
        .map_err(|e| Error::InvalidFilter { filter: raw.to_owned(), message: e.to_string() })?;
    Ok(Some((raw.to_owned(), parsed.to_string())))
}

fn validate_id(id: &str) -> Result<&str, Error> {
    let id = id.trim();
    if id.is_empty() {
        return Err(Error::InvalidArgument { message: "the user id is empty".into() });
    }
    if id.chars().any(char::is_control) {
        return Err(Error::InvalidArgument {
            message: format!("the user id {id:?} contains control characters"),
        });
    }
    Ok(id)
}

fn user_from(reply: Reply, id: &str) -> Result<User, Error> {
    if !reply.is_success() {
        return Err(reply.into_error(Some(format!("user {id}"))));
    }
    let status = reply.status;
    User::from_scim(reply.json()?).map_err(|message| Error::Decode { status, message })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn base_urls_of_every_prefix() {
        for (input, expected) in [
            ("http://127.0.0.1:3002", "http://127.0.0.1:3002/Users/A"),
            ("http://127.0.0.1:3002/", "http://127.0.0.1:3002/Users/A"),
            ("http://h/scim", "http://h/scim/Users/A"),
            ("http://h/scim/v2/", "http://h/scim/v2/Users/A"),
        ] {
            let c = Client::new(input, "t").unwrap();
            assert_eq!(c.url(&["Users", "A"]).as_str(), expected);
        }
        let c = Client::new("http://h/scim/v2", "t").unwrap();
        assert_eq!(c.url(&["Users", "a/../b?c"]).as_str(), "http://h/scim/v2/Users/a%2F..%2Fb%3Fc");
    }

    #[test]
    fn bad_base_urls() {
        for bad in ["", "bridge", "ftp://h/scim", "http://h/scim?x=1", "mailto:a@b"] {
            assert_eq!(
                Client::new(bad, "t").unwrap_err().kind(),
                ErrorKind::InvalidConfig,
                "{bad}"
            );
        }
    }

    #[test]
    fn ids_are_checked() {
        assert_eq!(validate_id(" ").unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(validate_id("a\u{0}").unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(validate_id(" ABC ").unwrap(), "ABC");
    }

    #[test]
    fn a_sweep_is_complete_when_every_counted_user_is_in_hand() {
        assert!(!Sweep { distinct: 1, total: Some(2) }.complete());
        assert!(Sweep { distinct: 2, total: Some(2) }.complete());
        assert!(Sweep { distinct: 1, total: None }.complete());
    }

    #[test]
    fn empty_filter_means_none() {
        assert!(validate_filter(Some("   ")).unwrap().is_none());
        assert!(validate_filter(None).unwrap().is_none());
    }
}

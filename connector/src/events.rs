//! The Events API reader: introspect the token, then poll audit events, sign-in attempts or item
//! usages from a reset cursor or a stored one.
//!
//! Like 1Password's own clients, the base URL comes from the bearer token: the token is a JWT
//! whose `aud[0]` is the events host (`events.1password.com`, `events.1password.eu`, ...). The JWT
//! is only decoded, not verified (the server verifies it). [`EventsClient::with_base_url`]
//! overrides the host, which is also required for legacy tokens whose audience is
//! `com.1password.streamingservice`.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Url;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::rate_limit::RateLimit;
use crate::retry::RetryPolicy;
use crate::transport::{Reply, Transport, TransportConfig};
use crate::user::kind_of;

/// The audience of tokens that predate per-region hosts; it names no URL.
pub const LEGACY_AUDIENCE: &str = "com.1password.streamingservice";
/// The largest `limit` the Events API accepts.
pub const MAX_LIMIT: u32 = 1000;

/// Which event stream to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Audit events (`/api/v2/auditevents`, feature `auditevents`).
    Audit,
    /// Sign-in attempts (`/api/v2/signinattempts`, feature `signinattempts`).
    SignIn,
    /// Item usages (`/api/v2/itemusages`, feature `itemusages`).
    ItemUsage,
}

impl EventKind {
    /// The endpoint's last path segment, which is also the token feature it needs.
    pub fn feature(self) -> &'static str {
        match self {
            EventKind::Audit => "auditevents",
            EventKind::SignIn => "signinattempts",
            EventKind::ItemUsage => "itemusages",
        }
    }

    /// Reads `audit`, `signin` or `items` (and the feature names).
    pub fn parse(s: &str) -> Option<EventKind> {
        match s.to_ascii_lowercase().as_str() {
            "audit" | "auditevents" => Some(EventKind::Audit),
            "signin" | "sign-in" | "signinattempts" => Some(EventKind::SignIn),
            "items" | "item-usage" | "itemusage" | "itemusages" => Some(EventKind::ItemUsage),
            _ => None,
        }
    }
}

/// Where a poll starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// A reset cursor: start over from `start_time` (default: one hour before `end_time` or now).
    Reset {
        /// Events per page, 1..=1000 (server default 100).
        limit: Option<u32>,
        /// The earliest event.
        start_time: Option<DateTime<Utc>>,
        /// The latest event.
        end_time: Option<DateTime<Utc>>,
    },
    /// A cursor from a previous page: continue from there (durable: keep polling with it).
    Cursor(String),
}

impl Start {
    /// A reset cursor with all defaults (the last hour, 100 per page).
    pub fn reset() -> Start {
        Start::Reset { limit: None, start_time: None, end_time: None }
    }

    fn body(&self) -> Result<Value, Error> {
        match self {
            Start::Cursor(c) => {
                if c.trim().is_empty() {
                    return Err(Error::InvalidCursor {
                        reason: "the events cursor is empty".into(),
                    });
                }
                Ok(json!({"cursor": c.trim()}))
            }
            Start::Reset { limit, start_time, end_time } => {
                let mut body = Map::new();
                if let Some(l) = limit {
                    if !(1..=MAX_LIMIT).contains(l) {
                        return Err(Error::InvalidArgument {
                            message: format!("limit must be 1..={MAX_LIMIT}, got {l}"),
                        });
                    }
                    body.insert("limit".into(), json!(l));
                }
                if let (Some(s), Some(e)) = (start_time, end_time) {
                    if s > e {
                        return Err(Error::InvalidArgument {
                            message: format!("start_time {s} is after end_time {e}"),
                        });
                    }
                }
                let ts = |t: &DateTime<Utc>| json!(t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
                if let Some(s) = start_time {
                    body.insert("start_time".into(), ts(s));
                }
                if let Some(e) = end_time {
                    body.insert("end_time".into(), ts(e));
                }
                Ok(Value::Object(body))
            }
        }
    }
}

/// One page of events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventPage {
    /// Store this and poll with it to continue.
    pub cursor: String,
    /// There may be more right now (the next page can still be empty).
    pub has_more: bool,
    /// The events, as sent.
    pub items: Vec<Value>,
}

/// What the token is (`/api/v2/auth/introspect`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Introspection {
    /// The integration's id.
    pub uuid: String,
    /// When the token was issued (RFC 3339, as sent).
    pub issued_at: String,
    /// The streams the token may read (`auditevents`, `itemusages`, `signinattempts`).
    pub features: Vec<String>,
    /// The account's id (Events API 1.4.1 and later).
    pub account_uuid: Option<String>,
}

impl Introspection {
    /// Can the token read `kind`?
    pub fn allows(&self, kind: EventKind) -> bool {
        self.features.iter().any(|f| f == kind.feature())
    }
}

/// Builds an [`EventsClient`].
#[derive(Debug, Clone)]
pub struct EventsClientBuilder {
    token: String,
    base_url: Option<String>,
    config: TransportConfig,
}

impl EventsClientBuilder {
    /// Use this base URL instead of the token's audience.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Timeout of each request (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.config.user_agent = user_agent.into();
        self
    }

    /// Retry 429 and 503 answers (polls are reads, so they are idempotent).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// Builds the client (no request is made).
    pub fn build(self) -> Result<EventsClient, Error> {
        let base = match self.base_url {
            Some(url) => url,
            None => audience_base_url(&self.token)?,
        };
        let mut base = Url::parse(base.trim()).map_err(|e| Error::InvalidConfig {
            message: format!("invalid events base URL {base:?}: {e}"),
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(Error::InvalidConfig {
                message: format!("the events base URL {base} must be http(s) with a host"),
            });
        }
        let path = base.path().trim_end_matches('/').to_owned();
        base.set_path(&path);
        Ok(EventsClient { base, transport: Transport::new(self.token, self.config)? })
    }
}

/// A reader of one Events API host.
#[derive(Debug)]
pub struct EventsClient {
    base: Url,
    transport: Transport,
}

impl EventsClient {
    /// A builder; the base URL defaults to the token's audience.
    pub fn builder(token: impl Into<String>) -> EventsClientBuilder {
        EventsClientBuilder {
            token: token.into(),
            base_url: None,
            config: TransportConfig::default(),
        }
    }

    /// A client whose base URL comes from the token's `aud` claim.
    pub fn new(token: impl Into<String>) -> Result<EventsClient, Error> {
        EventsClient::builder(token).build()
    }

    /// A client of an explicit base URL (`http://127.0.0.1:3002`, `https://events.1password.eu`).
    pub fn with_base_url(
        base_url: impl Into<String>,
        token: impl Into<String>,
    ) -> Result<EventsClient, Error> {
        EventsClient::builder(token).base_url(base_url).build()
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The normalised rate-limit headers of the last response.
    pub fn last_rate_limit(&self) -> Option<RateLimit> {
        self.transport.last_rate_limit()
    }

    /// HTTP requests sent so far (retries included).
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

    /// What the token is and which streams it may read.
    pub async fn introspect(&self) -> Result<Introspection, Error> {
        let url = self.url(&["api", "v2", "auth", "introspect"]);
        let reply = self.transport.execute(|http| http.get(url.clone()), true).await?;
        let v = success_json(reply, "introspection")?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let shape = |m: String| Error::Decode { status: 200, message: m };
        let uuid =
            s("uuid").ok_or_else(|| shape(format!("introspection has no `uuid` string: {v}")))?;
        let features = match v.get("features") {
            Some(Value::Array(a)) => {
                a.iter().filter_map(Value::as_str).map(str::to_owned).collect()
            }
            Some(other) => {
                return Err(shape(format!(
                    "introspection `features` must be an array, got {}",
                    kind_of(other)
                )));
            }
            None => Vec::new(),
        };
        Ok(Introspection {
            uuid,
            issued_at: s("issued_at").unwrap_or_default(),
            features,
            account_uuid: s("account_uuid"),
        })
    }

    /// One page of `kind` events from `start`.
    pub async fn poll(&self, kind: EventKind, start: Start) -> Result<EventPage, Error> {
        let body = start.body()?.to_string();
        let url = self.url(&["api", "v2", kind.feature()]);
        let reply = self
            .transport
            .execute(
                |http| {
                    http.post(url.clone())
                        .header("Content-Type", "application/json")
                        .body(body.clone())
                },
                true,
            )
            .await?;
        let status = reply.status;
        let v = success_json(reply, kind.feature())?;
        let shape = |m: String| Error::Decode { status, message: m };
        let Value::Object(mut obj) = v else {
            return Err(shape(format!(
                "an events page must be a JSON object, got {}",
                kind_of(&v)
            )));
        };
        let cursor = match obj.remove("cursor") {
            Some(Value::String(c)) if !c.is_empty() => c,
            other => {
                return Err(shape(format!(
                    "an events page must carry a non-empty `cursor` string, got {}",
                    other.as_ref().map_or("nothing", kind_of)
                )));
            }
        };
        let has_more = match obj.remove("has_more") {
            Some(Value::Bool(b)) => b,
            None | Some(Value::Null) => false,
            Some(other) => {
                return Err(shape(format!(
                    "`has_more` must be a boolean, got {}",
                    kind_of(&other)
                )));
            }
        };
        let items = match obj.remove("items") {
            Some(Value::Array(a)) => a,
            None | Some(Value::Null) => Vec::new(),
            Some(other) => {
                return Err(shape(format!("`items` must be an array, got {}", kind_of(&other))));
            }
        };
        Ok(EventPage { cursor, has_more, items })
    }
}

/// Reads an RFC 3339 time (`2026-01-01T00:00:00Z`, `2026-01-01T09:00:00+09:00`) for
/// [`Start::Reset`].
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(s.trim()).map(|t| t.with_timezone(&Utc)).map_err(|e| {
        Error::InvalidArgument {
            message: format!("{s:?} is not an RFC 3339 time like 2026-01-01T00:00:00Z: {e}"),
        }
    })
}

fn success_json(reply: Reply, what: &str) -> Result<Value, Error> {
    if !reply.is_success() {
        return Err(reply.into_error(Some(what.to_owned())));
    }
    reply.json()
}

/// The Events API base URL named by a token's `aud` claim (first element when it is a list).
/// A bare host becomes `https://host`, except loopback hosts (the emulator), which get `http`.
pub fn audience_base_url(token: &str) -> Result<String, Error> {
    let bad =
        |m: &str| Error::InvalidConfig { message: format!("cannot read the events token: {m}") };
    let mut parts = token.trim().split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("it is not a JWT (three dot-separated parts); pass a base URL instead"));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| bad("the JWT payload is not base64url"))?;
    let claims: Value =
        serde_json::from_slice(&bytes).map_err(|_| bad("the JWT payload is not JSON"))?;
    let aud = match claims.get("aud") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .first()
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| bad("`aud` is an empty list"))?,
        _ => return Err(bad("the JWT has no `aud` claim")),
    };
    let aud = aud.trim();
    if aud.is_empty() {
        return Err(bad("`aud` is empty"));
    }
    if aud == LEGACY_AUDIENCE {
        return Err(bad(
            "its audience is the legacy `com.1password.streamingservice`, which names no host; pass a base URL",
        ));
    }
    if aud.contains("://") {
        return Ok(aud.trim_end_matches('/').to_owned());
    }
    let loopback =
        aud.starts_with("127.") || aud.starts_with("localhost") || aud.starts_with("[::1]");
    let scheme = if loopback { "http" } else { "https" };
    Ok(format!("{scheme}://{}", aud.trim_end_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn jwt(claims: Value) -> String {
        let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","typ":"JWT"}"#);
        let p = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{h}.{p}.c2ln")
    }

    #[test]
    fn audience_hosts() {
        let t = jwt(json!({"aud": ["events.1password.eu"], "1password.com/fts": ["auditevents"]}));
        assert_eq!(audience_base_url(&t).unwrap(), "https://events.1password.eu");
        let t = jwt(json!({"aud": "events.ent.1password.com"}));
        assert_eq!(audience_base_url(&t).unwrap(), "https://events.ent.1password.com");
        let t = jwt(json!({"aud": ["127.0.0.1:4321"]}));
        assert_eq!(audience_base_url(&t).unwrap(), "http://127.0.0.1:4321");
        let t = jwt(json!({"aud": ["http://localhost:9/"]}));
        assert_eq!(audience_base_url(&t).unwrap(), "http://localhost:9");
        assert_eq!(
            EventsClient::new(jwt(json!({"aud": ["events.1password.ca"]}))).unwrap().base_url(),
            "https://events.1password.ca/"
        );
    }

    #[test]
    fn unusable_tokens() {
        for t in [
            "not-a-jwt".to_owned(),
            "a.b.c.d".to_owned(),
            "a.!!!.c".to_owned(),
            jwt(json!({"sub": "x"})),
            jwt(json!({"aud": []})),
            jwt(json!({"aud": LEGACY_AUDIENCE})),
        ] {
            let e = EventsClient::new(t.clone()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{t}: {e}");
        }
        // The legacy audience works with an explicit host.
        let t = jwt(json!({"aud": LEGACY_AUDIENCE}));
        assert!(EventsClient::with_base_url("https://events.1password.com", t).is_ok());
    }

    #[test]
    fn request_bodies() {
        assert_eq!(Start::reset().body().unwrap(), json!({}));
        let s = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let b =
            Start::Reset { limit: Some(10), start_time: Some(s), end_time: None }.body().unwrap();
        assert_eq!(b, json!({"limit": 10, "start_time": "2026-01-01T00:00:00Z"}));
        assert_eq!(Start::Cursor("abc".into()).body().unwrap(), json!({"cursor": "abc"}));
        assert_eq!(Start::Cursor(" ".into()).body().unwrap_err().kind(), ErrorKind::InvalidCursor);
        for l in [0, 1001] {
            let e = Start::Reset { limit: Some(l), start_time: None, end_time: None }
                .body()
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        }
        let e = Start::Reset {
            limit: None,
            start_time: Some(s),
            end_time: Some(s - chrono::Duration::hours(1)),
        }
        .body()
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn kinds() {
        assert_eq!(EventKind::parse("audit"), Some(EventKind::Audit));
        assert_eq!(EventKind::parse("signin"), Some(EventKind::SignIn));
        assert_eq!(EventKind::parse("items"), Some(EventKind::ItemUsage));
        assert_eq!(EventKind::parse("logs"), None);
        assert_eq!(EventKind::ItemUsage.feature(), "itemusages");
    }
}

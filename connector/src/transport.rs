//! One place where requests are sent and answers are classified, shared by the SCIM client and
//! the Events API reader: bearer auth, the retry loop, rate-limit capture, and turning every
//! non-success answer (SCIM error bodies, Events API error bodies, proxies' HTML pages, empty
//! bodies) into a typed [`Error`] that carries the status and the server's words.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::error::Error;
use crate::rate_limit::RateLimit;
use crate::retry::{Jitter, RetryPolicy};

/// How much of an unexpected body goes into an error message.
const SNIPPET_CHARS: usize = 200;

/// A received answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// The HTTP side of a client.
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    /// The bearer token sent on every request; `None` when requests carry their own
    /// authentication (the Users API's OAuth).
    token: Option<String>,
    retry: RetryPolicy,
    jitter: Mutex<Jitter>,
    last_rate_limit: Mutex<Option<RateLimit>>,
    requests: AtomicU64,
}

/// Settings shared by both clients' builders.
#[derive(Debug, Clone)]
pub(crate) struct TransportConfig {
    pub timeout: Duration,
    pub user_agent: String,
    pub retry: RetryPolicy,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            timeout: Duration::from_secs(30),
            user_agent: format!("scimulator-connector/{}", env!("CARGO_PKG_VERSION")),
            retry: RetryPolicy::none(),
        }
    }
}

impl Transport {
    pub(crate) fn new(token: String, config: TransportConfig) -> Result<Transport, Error> {
        if token.trim().is_empty() {
            return Err(Error::InvalidConfig { message: "the bearer token is empty".into() });
        }
        if token.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err(Error::InvalidConfig {
                message: "the bearer token contains spaces or control characters".into(),
            });
        }
        Transport::build(Some(token), config)
    }

    /// A transport whose requests authenticate themselves (no bearer token added).
    pub(crate) fn without_token(config: TransportConfig) -> Result<Transport, Error> {
        Transport::build(None, config)
    }

    fn build(token: Option<String>, config: TransportConfig) -> Result<Transport, Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(config.user_agent)
            .build()
            .map_err(|e| Error::InvalidConfig {
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Transport {
            http,
            token,
            jitter: Mutex::new(Jitter::new(config.retry.seed)),
            retry: config.retry,
            last_rate_limit: Mutex::new(None),
            requests: AtomicU64::new(0),
        })
    }

    /// The rate-limit information of the last response (`None` when it carried none).
    pub(crate) fn last_rate_limit(&self) -> Option<RateLimit> {
        *self.last_rate_limit.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// HTTP requests sent so far (retries included).
    pub(crate) fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Sends a request built by `build` (called again for each attempt), retrying per the policy
    /// when `idempotent`. Returns the final answer, whatever its status.
    pub(crate) async fn execute(
        &self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        idempotent: bool,
    ) -> Result<Reply, Error> {
        let started = Instant::now();
        let max_attempts = if idempotent { self.retry.max_attempts.max(1) } else { 1 };
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let mut request = build(&self.http);
            if let Some(token) = &self.token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.map_err(transport_error)?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let rate_limit = RateLimit::from_headers(&headers, chrono::Utc::now());
            *self.last_rate_limit.lock().unwrap_or_else(|p| p.into_inner()) =
                (!rate_limit.is_empty()).then_some(rate_limit);
            let body = response.bytes().await.map_err(|e| Error::Decode {
                status,
                message: format!(
                    "the body could not be read to the end (truncated?): {}",
                    chain(&e)
                ),
            })?;
            if attempt < max_attempts && RetryPolicy::retries_status(status) {
                let unit = self.jitter.lock().unwrap_or_else(|p| p.into_inner()).next_unit();
                let delay = self.retry.delay(attempt - 1, rate_limit.wait_hint(), unit);
                if started.elapsed() + delay <= self.retry.max_elapsed {
                    if let Some(notify) = self.retry.on_retry {
                        notify(status, delay, attempt + 1);
                    }
                    tokio::time::sleep(delay).await;
                    continue;
                }
            }
            return Ok(Reply { status, headers, body: body.to_vec() });
        }
    }
}

/// Maps a failed send to `Timeout` or `Transport`, keeping the whole cause chain (TLS and DNS
/// problems are only visible in the inner errors).
fn transport_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout { message: chain(&e) }
    } else {
        Error::Transport { message: chain(&e) }
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = inner.source();
    }
    s
}

impl Reply {
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON, or a `Decode` error quoting the start of what came instead.
    pub(crate) fn json(&self) -> Result<Value, Error> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::Decode { status: self.status, message: "the body is empty".into() });
        }
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            status: self.status,
            message: format!(
                "not valid JSON ({e}); the body starts with {:?}",
                snippet(&self.body)
            ),
        })
    }

    /// The error this non-success answer means. `resource` names what was addressed, for 404s.
    pub(crate) fn into_error(self, resource: Option<String>) -> Error {
        let (scim_type, detail) = error_detail(&self.body);
        let detail = detail.unwrap_or_else(|| {
            let reason = reqwest::StatusCode::from_u16(self.status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("unknown status");
            format!("{reason} (no error detail in the response)")
        });
        match self.status {
            429 => {
                let rate_limit = RateLimit::from_headers(&self.headers, chrono::Utc::now());
                Error::RateLimited { retry_after: rate_limit.wait_hint(), rate_limit }
            }
            404 => {
                Error::NotFound { resource: resource.unwrap_or_else(|| "resource".into()), detail }
            }
            401 | 403 => Error::Unauthorized { status: self.status, detail },
            status => Error::Api { status, scim_type, detail },
        }
    }
}

/// Reads `(scimType, detail)` from whatever error body came back: a SCIM Error, either Events API
/// error shape, a generic `{"error": ...}`/`{"message": ...}` object, HTML, or plain text.
fn error_detail(body: &[u8]) -> (Option<String>, Option<String>) {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        let s = |v: Option<&Value>| {
            v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
        };
        // A Users API error's status name (`FAILED_PRECONDITION`) plays the scimType's part.
        let scim_type = s(v.get("scimType")).or_else(|| s(v.pointer("/error/status")));
        let detail = s(v.get("detail"))
            .or_else(|| s(v.get("message")))
            .or_else(|| s(v.pointer("/Error/Message")))
            .or_else(|| s(v.get("error_description")))
            .or_else(|| s(v.get("error")))
            .or_else(|| s(v.pointer("/error/message")));
        if detail.is_some() || scim_type.is_some() {
            return (scim_type, detail);
        }
        return (None, Some(format!("unrecognised error body: {}", snippet(body))));
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return (None, None);
    }
    if text.starts_with('<') {
        return (None, Some(html_text(text)));
    }
    (None, Some(snippet(text.as_bytes())))
}

/// A proxy's HTML error page, in words: its `<title>` (plus the first heading when different),
/// else its text with the tags removed.
fn html_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let inner = |tag: &str| -> Option<String> {
        let open = lower.find(&format!("<{tag}"))?;
        let start = open + lower[open..].find('>')? + 1;
        let end = start + lower[start..].find(&format!("</{tag}"))?;
        let t = collapse(&html[start..end]);
        (!t.is_empty()).then_some(t)
    };
    let found = match (inner("title"), inner("h1")) {
        (Some(t), Some(h)) if !t.contains(&h) => Some(format!("{t}: {h}")),
        (Some(t), _) => Some(t),
        (None, h) => h,
    };
    let text = found.unwrap_or_else(|| {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        collapse(&out)
    });
    format!("HTML page: {}", truncate(&text))
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate(s: &str) -> String {
    if s.chars().count() <= SNIPPET_CHARS {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(SNIPPET_CHARS).collect();
        t.push('…');
        t
    }
}

/// The start of a body, as text, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    truncate(&collapse(&String::from_utf8_lossy(body)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn reply(status: u16, body: &str) -> Reply {
        Reply { status, headers: HeaderMap::new(), body: body.as_bytes().to_vec() }
    }

    #[test]
    fn scim_error_body() {
        let e = reply(
            400,
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidFilter","detail":"column 3: expected an operator"}"#,
        )
        .into_error(None);
        match e {
            Error::Api { status, scim_type, detail } => {
                assert_eq!(status, 400);
                assert_eq!(scim_type.as_deref(), Some("invalidFilter"));
                assert_eq!(detail, "column 3: expected an operator");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn events_error_bodies() {
        let e = reply(401, r#"{"status":401,"message":"token lacks the auditevents feature"}"#)
            .into_error(None);
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert!(e.to_string().contains("auditevents feature"), "{e}");
        let e = reply(400, r#"{"Error":{"Message":"limit must be 1..1000"}}"#).into_error(None);
        assert!(e.to_string().contains("limit must be 1..1000"), "{e}");
    }

    #[test]
    fn users_api_error_body() {
        let e = reply(
            400,
            r#"{"error":{"code":400,"message":"user X is the last owner","status":"FAILED_PRECONDITION"}}"#,
        )
        .into_error(None);
        assert_eq!(e.to_string(), "HTTP 400 (FAILED_PRECONDITION): user X is the last owner");
        let e = reply(401, r#"{"error":"invalid_client","error_description":"wrong secret"}"#)
            .into_error(None);
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert!(e.to_string().contains("wrong secret"), "{e}");
    }

    #[test]
    fn html_page_from_a_proxy() {
        let e = reply(
            502,
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
        )
        .into_error(None);
        assert_eq!(e.status(), Some(502));
        assert_eq!(e.to_string(), "HTTP 502: HTML page: 502 Bad Gateway");
        let e = reply(503, "<p>Service <b>down</b> for maintenance</p>").into_error(None);
        assert!(e.to_string().contains("Service down for maintenance"), "{e}");
    }

    #[test]
    fn empty_and_plain_bodies() {
        let e = reply(500, "").into_error(None);
        assert_eq!(
            e.to_string(),
            "HTTP 500: Internal Server Error (no error detail in the response)"
        );
        let e = reply(404, "no such user").into_error(Some("user X".into()));
        assert_eq!(e.to_string(), "not found: user X: no such user");
        let e = reply(418, r#"{"weird": true}"#).into_error(None);
        assert!(e.to_string().contains("unrecognised error body"), "{e}");
    }

    #[test]
    fn json_decoding_reports_the_body_start() {
        let e = reply(200, "<!doctype html><title>Login</title>").json().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert!(e.to_string().contains("<!doctype html>"), "{e}");
        let e = reply(200, r#"{"Resources": [{"id": "A"#).json().unwrap_err();
        assert!(e.to_string().contains("EOF"), "{e}");
        assert!(reply(200, "  ").json().unwrap_err().to_string().contains("empty"));
        let long = "x".repeat(1000);
        assert!(snippet(long.as_bytes()).chars().count() <= SNIPPET_CHARS + 1);
    }

    #[test]
    fn bad_tokens_are_config_errors() {
        for t in ["", "  ", "a b", "a\nb"] {
            let e = Transport::new(t.into(), TransportConfig::default()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{t:?}");
        }
    }
}

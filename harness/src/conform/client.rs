//! The HTTP side of `conform`: one client for the target, responses kept whole (status, headers,
//! body) so every failure can say what was sent and what came back, and 429s waited out as the
//! server's `Retry-After` asks.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

/// The longest single `Retry-After` wait honoured; longer requests are capped so that a
/// misconfigured server cannot stall a run for hours.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
/// How many times one request is retried after a 429.
const MAX_RETRIES: usize = 5;

/// Which credentials a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// The run's bearer token.
    Token,
    /// No `Authorization` header.
    Missing,
    /// A token the server cannot know.
    Wrong,
}

/// One request to the target.
#[derive(Debug, Clone)]
pub struct Req {
    /// HTTP method.
    pub method: reqwest::Method,
    /// A path under the SCIM base URL (`/Users?filter=...`), or an absolute URL.
    pub path: String,
    /// Raw body bytes.
    pub body: Option<String>,
    /// The body's content type.
    pub content_type: &'static str,
    /// Credentials.
    pub auth: Auth,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
}

impl Req {
    /// A request without body.
    pub fn new(method: reqwest::Method, path: impl Into<String>) -> Req {
        Req {
            method,
            path: path.into(),
            body: None,
            content_type: "application/scim+json",
            auth: Auth::Token,
            headers: Vec::new(),
        }
    }

    /// With a JSON body.
    pub fn json(mut self, body: &Value) -> Req {
        self.body = Some(body.to_string());
        self
    }

    /// With a raw body.
    pub fn raw(mut self, body: &str, content_type: &'static str) -> Req {
        self.body = Some(body.to_owned());
        self.content_type = content_type;
        self
    }

    /// With other credentials.
    pub fn auth(mut self, auth: Auth) -> Req {
        self.auth = auth;
        self
    }

    /// With one more header.
    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Resp {
    /// `METHOD path` of the request, for messages.
    pub request: String,
    /// HTTP status.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Null` when empty, a JSON string when not JSON).
    pub body: Value,
    /// The raw body text.
    pub text: String,
}

impl Resp {
    /// A header's value (first occurrence), by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The `Content-Type` media type without parameters, lower-cased
    /// (`application/scim+json; charset=utf-8` → `application/scim+json`).
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type")
            .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
    }

    /// `true` when the body parsed as a JSON object.
    pub fn is_object(&self) -> bool {
        self.body.is_object()
    }

    /// `METHOD path → status body-excerpt`, for failure details.
    pub fn describe(&self) -> String {
        let body = if self.text.trim().is_empty() {
            "(empty body)".to_owned()
        } else {
            excerpt(&self.text, 300)
        };
        format!("{} → {} {}", self.request, self.status, body)
    }
}

/// The first `max` characters of `s` on one line.
pub fn excerpt(s: &str, max: usize) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() <= max {
        one
    } else {
        format!("{}…", one.chars().take(max).collect::<String>())
    }
}

/// The client for one target.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    /// How many 429 answers were waited out (for the report and tests).
    pub retries: AtomicUsize,
    /// How many requests were sent (including retries).
    pub requests: AtomicUsize,
}

impl Client {
    /// A client for the SCIM base URL `base` with bearer `token`.
    pub fn new(base: &str, token: &str) -> Client {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Client {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            retries: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
        }
    }

    /// The SCIM base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The absolute URL of `path` (paths are joined to the base URL; absolute URLs pass through).
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{}", self.base, path)
        }
    }

    /// Sends `req`, waiting out 429s as `Retry-After` asks (at most [`MAX_RETRIES`] times).
    pub async fn send(&self, req: Req) -> Result<Resp, String> {
        let url = self.url(&req.path);
        let label = format!("{} {}", req.method, req.path);
        let mut attempt = 0;
        loop {
            let mut b = self.http.request(req.method.clone(), &url);
            match req.auth {
                Auth::Token => b = b.bearer_auth(&self.token),
                Auth::Wrong => b = b.bearer_auth("conform-wrong-token-0000"),
                Auth::Missing => {}
            }
            b = b.header("accept", "application/scim+json");
            for (k, v) in &req.headers {
                b = b.header(k.as_str(), v.as_str());
            }
            if let Some(body) = &req.body {
                b = b.header("content-type", req.content_type).body(body.clone());
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let resp = b.send().await.map_err(|e| format!("{label}: request failed: {e}"))?;
            let status = resp.status().as_u16();
            let headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .map(|(k, v)| {
                    (k.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into())
                })
                .collect();
            if status == 429 && attempt < MAX_RETRIES {
                attempt += 1;
                self.retries.fetch_add(1, Ordering::Relaxed);
                let wait = headers
                    .iter()
                    .find(|(k, _)| k == "retry-after")
                    .and_then(|(_, v)| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs)
                    .unwrap_or(Duration::from_secs(1))
                    .min(MAX_RETRY_WAIT);
                tokio::time::sleep(wait).await;
                continue;
            }
            let text = resp.text().await.unwrap_or_default();
            let body = if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
            };
            return Ok(Resp { request: label, status, headers, body, text });
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Result<Resp, String> {
        self.send(Req::new(reqwest::Method::GET, path)).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Resp, String> {
        self.send(Req::new(reqwest::Method::POST, path).json(body)).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Result<Resp, String> {
        self.send(Req::new(reqwest::Method::PUT, path).json(body)).await
    }

    /// `PATCH path` with a JSON body.
    pub async fn patch(&self, path: &str, body: &Value) -> Result<Resp, String> {
        self.send(Req::new(reqwest::Method::PATCH, path).json(body)).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Result<Resp, String> {
        self.send(Req::new(reqwest::Method::DELETE, path)).await
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass through).
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

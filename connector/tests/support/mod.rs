//! A tiny scriptable bridge for the connector's tests: SCIM users (optionally shuffled on every
//! list call, like the real bridge), PATCH, the Events API, and canned answers (429s with
//! headers, HTML pages, wrong shapes) queued ahead of the normal behaviour. It counts requests
//! per method so tests can assert that nothing was written twice.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use serde_json::{Value, json};

/// A canned answer.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Canned {
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Canned { status, headers: Vec::new(), body: body.into() }
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
}

#[derive(Debug, Default)]
pub struct StubState {
    pub users: Vec<Value>,
    pub shuffle: bool,
    pub calls: u64,
    pub max_results: Option<u64>,
    /// Report `totalResults` as the page size (the IdP-breaking bug).
    pub total_is_page_size: bool,
    /// Answer PATCH with 204 and no body.
    pub patch_no_content: bool,
    pub script: VecDeque<Canned>,
    pub log: Vec<(String, String)>,
    pub events: Vec<Value>,
    pub last_auth: Option<String>,
    pub last_user_agent: Option<String>,
}

#[derive(Clone)]
pub struct Stub {
    pub state: Arc<Mutex<StubState>>,
    pub base: String,
}

pub fn user(i: usize, active: bool) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": format!("U{i:05}"),
        "userName": format!("user{i}@example.com"),
        "name": {"givenName": format!("User{i}"), "familyName": "Test", "formatted": format!("User{i} Test")},
        "displayName": format!("User{i} Test"),
        "active": active,
        "emails": [{"value": format!("user{i}@example.com"), "primary": true}],
    })
}

impl Stub {
    pub async fn start(users: usize) -> Stub {
        let state = Arc::new(Mutex::new(StubState {
            users: (0..users).map(|i| user(i, true)).collect(),
            shuffle: true,
            max_results: Some(10_000),
            ..StubState::default()
        }));
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Stub { state, base: format!("http://{addr}") }
    }

    pub fn scim_url(&self) -> String {
        format!("{}/scim/v2", self.base)
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut StubState) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    pub fn push(&self, canned: Canned) {
        self.with(|s| s.script.push_back(canned));
    }

    pub fn count(&self, method: &str) -> usize {
        self.with(|s| s.log.iter().filter(|(m, _)| m == method).count())
    }
}

fn reply(status: u16, body: Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/scim+json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn scim_error(status: u16, detail: &str) -> Response<Body> {
    reply(
        status,
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": status.to_string(), "detail": detail}),
    )
}

fn query_param(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

async fn handle(
    State(state): State<Arc<Mutex<StubState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response<Body> {
    let mut s = state.lock().unwrap();
    s.log.push((method.to_string(), uri.to_string()));
    s.last_auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    s.last_user_agent = headers.get("user-agent").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(c) = s.script.pop_front() {
        let mut b = Response::builder().status(StatusCode::from_u16(c.status).unwrap());
        for (k, v) in &c.headers {
            b = b.header(k, v);
        }
        return b.body(Body::from(c.body)).unwrap();
    }
    if s.last_auth.as_deref() != Some("Bearer good-token") {
        return scim_error(401, "missing or wrong bearer token");
    }
    let path = uri.path().trim_start_matches("/scim/v2");
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["ServiceProviderConfig"]) => match s.max_results {
            Some(m) => reply(200, json!({"filter": {"supported": true, "maxResults": m}})),
            None => scim_error(404, "no discovery here"),
        },
        ("GET", ["Users"]) => {
            let start: usize =
                query_param(&uri, "startIndex").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
            let count: usize =
                query_param(&uri, "count").and_then(|v| v.parse().ok()).unwrap_or(100);
            let count = count.min(s.max_results.unwrap_or(u64::MAX) as usize);
            let filter = query_param(&uri, "filter");
            let mut all: Vec<Value> = s.users.clone();
            if let Some(f) = filter {
                // Only `active eq false` is understood here (URL-encoded by the client).
                if f.contains("false") {
                    all.retain(|u| u["active"] == json!(false));
                }
            }
            s.calls += 1;
            if s.shuffle {
                // A different, deterministic permutation on every call.
                let mut x = s.calls.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                for i in (1..all.len()).rev() {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    all.swap(i, (x % (i as u64 + 1)) as usize);
                }
            }
            let total = all.len();
            let page: Vec<Value> = all.into_iter().skip(start - 1).take(count).collect();
            let reported = if s.total_is_page_size { page.len() } else { total };
            reply(
                200,
                json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                    "totalResults": reported, "itemsPerPage": page.len(), "startIndex": start, "Resources": page,
                }),
            )
        }
        ("GET", ["Users", id]) => match s.users.iter().find(|u| u["id"] == *id) {
            Some(u) => reply(200, u.clone()),
            None => scim_error(404, &format!("User {id} not found")),
        },
        ("PATCH", ["Users", id]) => {
            let Ok(patch) = serde_json::from_str::<Value>(&body) else {
                return scim_error(400, "body is not JSON");
            };
            let value = patch.pointer("/Operations/0/value").cloned();
            let op_ok = patch.pointer("/Operations/0/op") == Some(&json!("replace"))
                && patch.pointer("/Operations/0/path") == Some(&json!("active"));
            let id = id.to_string();
            let no_content = s.patch_no_content;
            match (s.users.iter_mut().find(|u| u["id"] == *id), value) {
                (Some(u), Some(Value::Bool(b))) if op_ok => {
                    u["active"] = json!(b);
                    let u = u.clone();
                    if no_content {
                        return Response::builder().status(204).body(Body::empty()).unwrap();
                    }
                    reply(200, u)
                }
                (Some(_), _) => scim_error(400, "unsupported PATCH"),
                (None, _) => scim_error(404, &format!("User {id} not found")),
            }
        }
        ("GET", ["api", "v2", "auth", "introspect"]) => reply(
            200,
            json!({
                "uuid": "INTEGRATION1", "issued_at": "2026-01-01T00:00:00Z",
                "features": ["auditevents", "signinattempts"], "account_uuid": "ACCOUNT1",
            }),
        ),
        ("POST", ["api", "v2", "auditevents"]) => {
            let Ok(req) = serde_json::from_str::<Value>(&body) else {
                return reply(400, json!({"status": 400, "message": "body is not JSON"}));
            };
            // Cursor = index of the next event, base64-free for readability.
            let (from, limit) = match req.get("cursor").and_then(Value::as_str) {
                Some(c) => match c
                    .strip_prefix("pos-")
                    .and_then(|n| n.split_once('-'))
                    .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
                {
                    Some((from, limit)) => (from, limit),
                    None => return reply(400, json!({"status": 400, "message": "invalid cursor"})),
                },
                None => (0usize, req.get("limit").and_then(Value::as_u64).unwrap_or(100) as usize),
            };
            let items: Vec<Value> = s.events.iter().skip(from).take(limit).cloned().collect();
            let next = from + items.len();
            let has_more = next < s.events.len();
            reply(
                200,
                json!({"cursor": format!("pos-{next}-{limit}"), "has_more": has_more, "items": items}),
            )
        }
        ("POST", ["api", "v2", _]) => {
            reply(401, json!({"status": 401, "message": "token lacks the feature"}))
        }
        _ => scim_error(404, "no such endpoint"),
    }
}

/// A server that answers every connection with `raw` bytes, then closes.
pub async fn raw_server(raw: &'static [u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let _ = sock.write_all(raw).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

/// A server that accepts connections and never answers.
pub async fn silent_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    format!("http://{addr}")
}

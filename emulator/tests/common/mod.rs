//! Helpers shared by the control-plane tests: an HTTP client bound to one test server.

#![allow(dead_code)]

use reqwest::{Method, Response};
use serde_json::Value;

/// A test server plus a client that talks to it over a real socket.
pub struct Admin {
    pub server: emulator::TestServer,
    pub http: reqwest::Client,
}

impl Admin {
    pub async fn start() -> Admin {
        Admin { server: emulator::TestServer::start().await, http: reqwest::Client::new() }
    }

    /// Sends an admin request with the admin token; `body` is JSON when given.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let url = format!("{}{}", self.server.admin_url(), path);
        let mut req = self.http.request(method, url).bearer_auth(self.server.admin_token());
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("admin request")
    }

    /// Sends an admin request and returns (status, JSON body or Null).
    pub async fn json(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let resp = self.call(method, path, body).await;
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Creates a tenant and returns its view (name, tokens).
    pub async fn tenant(&self, name: &str) -> Value {
        let (status, body) =
            self.json(Method::POST, "/tenants", Some(serde_json::json!({"name": name}))).await;
        assert_eq!(status, 201, "{body}");
        body
    }

    /// Sends a request to the emulated APIs with a bearer token.
    pub async fn api(&self, method: Method, path: &str, token: &str) -> Response {
        self.http
            .request(method, format!("{}{}", self.server.url(), path))
            .bearer_auth(token)
            .send()
            .await
            .expect("api request")
    }

    /// Adds fault rules to a tenant; asserts 201.
    pub async fn add_fault(&self, tenant: &str, rule: Value) -> Value {
        let (status, body) =
            self.json(Method::POST, &format!("/tenants/{tenant}/faults"), Some(rule)).await;
        assert_eq!(status, 201, "{body}");
        body
    }

    /// The journal count for a tenant and query string.
    pub async fn count(&self, tenant: &str, query: &str) -> u64 {
        let (status, body) =
            self.json(Method::GET, &format!("/tenants/{tenant}/journal/count?{query}"), None).await;
        assert_eq!(status, 200, "{body}");
        body["count"].as_u64().expect("count")
    }
}

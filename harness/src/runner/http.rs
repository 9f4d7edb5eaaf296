//! Raw HTTP steps, and the response-to-[`Outcome`] conversion shared with control steps.

use serde_json::Value;

use super::{Env, Outcome};
use crate::scenario::{Api, HttpOp};

/// Sends a raw request to the SCIM API, the Events API or the server root.
pub(super) async fn run(op: &HttpOp, env: &Env, http: &reqwest::Client) -> Result<Outcome, String> {
    let (base, token, content_type) = match op.api {
        Api::Scim => {
            (env.scim_url.as_str(), Some(env.scim_token.as_str()), "application/scim+json")
        }
        Api::Root => {
            (env.root_url.as_str(), Some(env.scim_token.as_str()), "application/scim+json")
        }
        Api::Events => (env.events_url.as_str(), env.events_token.as_deref(), "application/json"),
    };
    let method = reqwest::Method::from_bytes(op.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("`http.method`: {:?} is not an HTTP method", op.method))?;
    let url = format!("{}{}", base.trim_end_matches('/'), op.path);
    let mut req = http.request(method, &url);
    let has = |name: &str| op.headers.keys().any(|k| k.eq_ignore_ascii_case(name));
    if !has("authorization")
        && let Some(t) = token
    {
        req = req.bearer_auth(t);
    }
    for (k, v) in &op.headers {
        // An empty value removes a default header (e.g. `authorization: ""` sends no token).
        if !v.is_empty() {
            req = req.header(k.as_str(), v.as_str());
        }
    }
    if let Some(body) = &op.body {
        let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
        if !has("content-type") {
            req = req.header("content-type", content_type);
        }
        req = req.body(bytes);
    } else if let Some(raw) = &op.raw_body {
        req = req.body(raw.clone());
    }
    let resp = req.send().await.map_err(|e| format!("request to {url} failed: {e}"))?;
    Ok(outcome(resp).await)
}

/// Reads a response: status, headers, and the body as JSON (text when not JSON, null if empty).
pub(super) async fn outcome(resp: reqwest::Response) -> Outcome {
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (k.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned())
        })
        .collect();
    let text = resp.text().await.unwrap_or_default();
    let body = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Outcome { status: Some(status), error: None, message: None, headers, body }
}

//! `POST /Bulk` (RFC 7644 §3.7, the `bulk_max_operations` switch).
//!
//! Each operation is sent through the emulator's own HTTP stack as a request of its own (same
//! bearer token, same prefix), so it is authenticated, rate-limited, journaled and audited
//! exactly as if the client had sent it alone. `bulkId:x` references in paths and values are
//! replaced by the ids the referenced operations created; an operation whose references
//! cannot be resolved (unknown, failed, or circular) fails with 409 without being sent.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use scim::{ScimError, ScimType};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use super::error::{ApiError, scim_response};
use super::extract::{MAX_BODY_BYTES, ScimBody, ScimTenant, route_prefix};
use super::read;
use crate::state::Emulator;

/// The BulkRequest message schema.
pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// The BulkResponse message schema.
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// One operation of a BulkRequest, checked.
struct Operation {
    method: Method,
    bulk_id: Option<String>,
    path: String,
    data: Option<Value>,
    version: Option<String>,
}

fn parse_operation(i: usize, op: &Value) -> Result<Operation, ScimError> {
    let bad = |what: &str| ScimError::invalid_syntax(format!("Operations[{i}]: {what}"));
    let o = op.as_object().ok_or_else(|| bad("an operation must be an object"))?;
    let method = match o.get("method").and_then(Value::as_str).map(str::to_ascii_uppercase) {
        Some(m) if ["POST", "PUT", "PATCH", "DELETE"].contains(&m.as_str()) => {
            Method::from_bytes(m.as_bytes()).map_err(|_| bad("unknown method"))?
        }
        _ => return Err(bad("\"method\" must be POST, PUT, PATCH or DELETE")),
    };
    let path = o
        .get("path")
        .and_then(Value::as_str)
        .filter(|p| p.starts_with('/'))
        .ok_or_else(|| bad("\"path\" is required and must start with '/'"))?
        .to_owned();
    let bulk_id = o.get("bulkId").and_then(Value::as_str).map(str::to_owned);
    if method == Method::POST && bulk_id.is_none() {
        return Err(bad("\"bulkId\" is required with POST"));
    }
    let data = o.get("data").cloned();
    if method != Method::DELETE && !data.as_ref().is_some_and(Value::is_object) {
        return Err(bad("\"data\" must be an object"));
    }
    let version = o.get("version").and_then(Value::as_str).map(str::to_owned);
    Ok(Operation { method, bulk_id, path, data, version })
}

/// The `bulkId:x` references in a string.
fn references_in(s: &str, out: &mut Vec<String>) {
    let mut rest = s;
    while let Some(at) = rest.find("bulkId:") {
        let tail = &rest[at + "bulkId:".len()..];
        let end =
            tail.find(|c: char| c == '/' || c == '"' || c.is_whitespace()).unwrap_or(tail.len());
        out.push(tail[..end].to_owned());
        rest = &tail[end..];
    }
}

fn value_references(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => references_in(s, out),
        Value::Array(a) => a.iter().for_each(|x| value_references(x, out)),
        Value::Object(o) => o.values().for_each(|x| value_references(x, out)),
        _ => {}
    }
}

fn substitute(s: &str, ids: &Map<String, Value>) -> String {
    let mut out = s.to_owned();
    for (bulk_id, id) in ids {
        if let Some(id) = id.as_str() {
            out = out.replace(&format!("bulkId:{bulk_id}"), id);
        }
    }
    out
}

fn substitute_value(v: &mut Value, ids: &Map<String, Value>) {
    match v {
        Value::String(s) if s.contains("bulkId:") => *s = substitute(s, ids),
        Value::Array(a) => a.iter_mut().for_each(|x| substitute_value(x, ids)),
        Value::Object(o) => o.values_mut().for_each(|x| substitute_value(x, ids)),
        _ => {}
    }
}

/// A failed operation's result, with a SCIM error as its `response`.
fn failed(op: &Operation, error: ScimError) -> Value {
    let mut r = json!({"method": op.method.as_str(), "status": error.status.to_string(),
        "response": error.to_json()});
    if let Some(b) = &op.bulk_id {
        r["bulkId"] = json!(b);
    }
    r
}

/// `POST /Bulk`.
pub async fn post(
    State(emulator): State<Emulator>,
    auth: ScimTenant,
    headers: HeaderMap,
    request_uri: axum::http::Uri,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let max_operations = read(&auth.tenant).profile.bulk_max_operations;
    if max_operations == 0 {
        return Err(ApiError(ScimError::new(501, None, "Bulk is not supported by this profile")));
    }
    let ops = body
        .get("Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid_syntax("BulkRequest has no \"Operations\" array"))?;
    if ops.len() > max_operations {
        return Err(ApiError(ScimError::new(
            413,
            Some(ScimType::TooMany),
            format!("{} operations; at most {max_operations} are accepted", ops.len()),
        )));
    }
    let fail_on_errors =
        match body.get("failOnErrors") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
                ScimError::invalid_value("failOnErrors must be a positive integer")
            })?),
        };
    let ops: Vec<Operation> =
        ops.iter().enumerate().map(|(i, op)| parse_operation(i, op)).collect::<Result<_, _>>()?;
    let prefix = route_prefix(request_uri.path());
    let app = crate::http::app(emulator);
    // Created ids by bulkId, and bulkIds whose operation failed.
    let mut ids = Map::new();
    let mut failed_ids: Vec<String> = Vec::new();
    let mut results: Vec<Option<Value>> = vec![None; ops.len()];
    let mut errors = 0u64;
    // Each pass sends every operation whose references are all resolved; an operation waits
    // for one that comes later. What no pass can send refers to itself in a circle.
    'passes: loop {
        let mut progressed = false;
        for (i, op) in ops.iter().enumerate() {
            if results[i].is_some() {
                continue;
            }
            let mut refs = Vec::new();
            references_in(&op.path, &mut refs);
            if let Some(d) = &op.data {
                value_references(d, &mut refs);
            }
            if let Some(r) = refs.iter().find(|r| {
                failed_ids.contains(r)
                    || !ops.iter().any(|o| o.bulk_id.as_deref() == Some(r.as_str()))
            }) {
                let e = ScimError::new(
                    409,
                    Some(ScimType::InvalidValue),
                    format!("bulkId {r:?} names no operation that succeeded"),
                );
                results[i] = Some(failed(op, e));
            } else if refs.iter().all(|r| ids.contains_key(r)) {
                results[i] = Some(send(&app, &headers, prefix, op, &ids).await);
            } else {
                continue;
            }
            progressed = true;
            let result = results[i].as_ref().map_or(Value::Null, Clone::clone);
            let ok = result["status"].as_str().is_some_and(|s| s.starts_with('2'));
            if let Some(b) = &op.bulk_id {
                match (ok, result.get("id")) {
                    (true, Some(id)) => {
                        ids.insert(b.clone(), id.clone());
                    }
                    (true, None) => {}
                    (false, _) => failed_ids.push(b.clone()),
                }
            }
            if !ok {
                errors += 1;
                if fail_on_errors.is_some_and(|n| errors >= n) {
                    break 'passes;
                }
            }
        }
        if !progressed {
            break;
        }
    }
    let stopped = fail_on_errors.is_some_and(|n| errors >= n);
    let mut out = Vec::new();
    for (op, result) in ops.iter().zip(results) {
        match result {
            Some(mut r) => {
                if let Some(o) = r.as_object_mut() {
                    o.remove("id");
                }
                out.push(r);
            }
            // Not sent: either failOnErrors stopped the request, or a circular reference.
            None if stopped => {}
            None => out.push(failed(
                op,
                ScimError::new(
                    409,
                    Some(ScimType::InvalidValue),
                    "circular bulkId reference: the operations refer to each other",
                ),
            )),
        }
    }
    let body = json!({"schemas": [BULK_RESPONSE], "Operations": out});
    Ok(scim_response(StatusCode::OK, &body))
}

/// Sends one operation as its own request and reads its result.
async fn send(
    app: &crate::http::control_layer::Control<axum::Router>,
    headers: &HeaderMap,
    prefix: &str,
    op: &Operation,
    ids: &Map<String, Value>,
) -> Value {
    let path = substitute(&op.path, ids);
    let mut data = op.data.clone();
    if let Some(d) = &mut data {
        substitute_value(d, ids);
    }
    let mut req = Request::builder().method(op.method.clone()).uri(format!("{prefix}{path}"));
    for name in [header::AUTHORIZATION, header::HOST] {
        if let Some(v) = headers.get(&name) {
            req = req.header(name, v.clone());
        }
    }
    if let Some(v) = op.version.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        req = req.header(header::IF_MATCH, v);
    }
    let body = match &data {
        Some(d) => {
            req = req.header(header::CONTENT_TYPE, super::error::SCIM_JSON);
            Body::from(d.to_string())
        }
        None => Body::empty(),
    };
    let Ok(req) = req.body(body) else {
        return failed(
            op,
            ScimError::invalid_path(format!("path {path:?} is not a valid URL path")),
        );
    };
    let Ok(resp) = app.clone().oneshot(req).await;
    let status = resp.status();
    let location =
        resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let version = resp.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = axum::body::to_bytes(resp.into_body(), MAX_BODY_BYTES).await.unwrap_or_default();
    let response: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let mut r = json!({"method": op.method.as_str(), "status": status.as_u16().to_string()});
    if let Some(b) = &op.bulk_id {
        r["bulkId"] = json!(b);
    }
    if status.is_success() {
        let location =
            location.or_else(|| response["meta"]["location"].as_str().map(str::to_owned));
        if let Some(l) = location {
            r["location"] = json!(l);
        } else if op.method != Method::POST {
            r["location"] = json!(path);
        }
        if let Some(v) = version {
            r["version"] = json!(v);
        }
        if let Some(id) = response.get("id") {
            r["id"] = id.clone();
        }
    } else {
        r["response"] = response;
    }
    r
}

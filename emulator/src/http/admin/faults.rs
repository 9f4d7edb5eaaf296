//! Fault rules and rate limits.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminError, AdminResult, find_tenant, parse_body};
use crate::control::{FaultRule, RateLimitConfig, RateLimitUpdate};
use crate::state::Emulator;

pub(super) async fn list(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
) -> AdminResult<Json<Value>> {
    let shared = find_tenant(&emu, &name)?;
    let rules = shared.read().faults().list();
    Ok(Json(json!({ "faults": rules })))
}

/// One rule, a list of rules, or `{"faults": [...]}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AddBody {
    Wrapped { faults: Vec<Value> },
    Many(Vec<Value>),
    One(Value),
}

pub(super) async fn add(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult {
    let shared = find_tenant(&emu, &name)?;
    let (values, single) = match parse_body::<AddBody>(&headers, &body)? {
        AddBody::Wrapped { faults } => (faults, false),
        AddBody::Many(v) => (v, false),
        AddBody::One(v) => (vec![v], true),
    };
    let mut rules = Vec::with_capacity(values.len());
    for (i, v) in values.into_iter().enumerate() {
        let rule: FaultRule = serde_json::from_value(v)
            .map_err(|e| AdminError::bad_request(format!("rule {i}: {e}")))?;
        rules.push(rule);
    }
    let t = shared.read();
    let mut faults = t.faults();
    let ids = faults.add_all(rules).map_err(|e| AdminError::bad_request(e.0))?;
    let added: Vec<_> = faults
        .list()
        .into_iter()
        .filter(|r| ids.contains(r.rule.id.as_ref().unwrap_or(&String::new())))
        .collect();
    let body = match (single, added.first()) {
        (true, Some(one)) => json!(one),
        _ => json!({ "faults": added }),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub(super) async fn clear(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
) -> AdminResult<Json<Value>> {
    let shared = find_tenant(&emu, &name)?;
    let t = shared.read();
    let mut faults = t.faults();
    let deleted = faults.rules().len();
    faults.clear();
    Ok(Json(json!({ "deleted": deleted })))
}

pub(super) async fn remove(
    State(emu): State<Emulator>,
    Path((name, id)): Path<(String, String)>,
) -> AdminResult<Response> {
    let shared = find_tenant(&emu, &name)?;
    if shared.read().faults().remove(&id) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(AdminError::not_found(format!("tenant {name:?} has no fault rule {id:?}")))
    }
}

pub(super) async fn limits(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
) -> AdminResult<Json<RateLimitConfig>> {
    let shared = find_tenant(&emu, &name)?;
    let config = shared.read().faults().limiter.config().clone();
    Ok(Json(config))
}

pub(super) async fn set_limits(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult<Json<RateLimitConfig>> {
    let shared = find_tenant(&emu, &name)?;
    let update: RateLimitUpdate = parse_body(&headers, &body)?;
    let t = shared.read();
    let mut faults = t.faults();
    faults.limiter.update(update).map_err(AdminError::bad_request)?;
    Ok(Json(faults.limiter.config().clone()))
}

pub(super) async fn clear_limits(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
) -> AdminResult<Json<RateLimitConfig>> {
    let shared = find_tenant(&emu, &name)?;
    shared
        .read()
        .faults()
        .limiter
        .configure(RateLimitConfig::default())
        .map_err(AdminError::bad_request)?;
    Ok(Json(RateLimitConfig::default()))
}

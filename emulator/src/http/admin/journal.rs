//! The request journal: list, count, clear.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde_json::{Value, json};

use super::{AdminError, AdminResult, find_tenant};
use crate::control::{JournalFilter, PathPattern};
use crate::state::Emulator;

fn filter(q: &HashMap<String, String>) -> AdminResult<JournalFilter> {
    if let Some(unknown) = q.keys().find(|k| !["method", "path", "status"].contains(&k.as_str())) {
        return Err(AdminError::bad_request(format!(
            "unknown journal filter {unknown:?}; use method, path, status"
        )));
    }
    let path = match q.get("path").filter(|p| !p.is_empty()) {
        Some(p) => Some(PathPattern::parse(p).map_err(AdminError::bad_request)?),
        None => None,
    };
    let status = match q.get("status").filter(|s| !s.is_empty()) {
        Some(s) => Some(s.parse::<u16>().map_err(|_| {
            AdminError::bad_request(format!("status {s:?} is not an HTTP status code"))
        })?),
        None => None,
    };
    let method = q.get("method").filter(|m| !m.is_empty()).cloned();
    Ok(JournalFilter { method, path, status })
}

pub(super) async fn list(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> AdminResult<Json<Value>> {
    let shared = find_tenant(&emu, &name)?;
    let f = filter(&q)?;
    let requests = shared.read().journal().select(&f);
    Ok(Json(json!({ "requests": requests })))
}

pub(super) async fn count(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> AdminResult<Json<Value>> {
    let shared = find_tenant(&emu, &name)?;
    let f = filter(&q)?;
    let count = shared.read().journal().count(&f);
    Ok(Json(json!({ "count": count })))
}

pub(super) async fn clear(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
) -> AdminResult<Json<Value>> {
    let shared = find_tenant(&emu, &name)?;
    let t = shared.read();
    let mut journal = t.journal();
    let deleted = journal.len();
    journal.clear();
    Ok(Json(json!({ "deleted": deleted })))
}

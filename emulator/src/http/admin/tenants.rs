//! Tenants, reset, seed/export/import and the clock.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminError, AdminResult, find_tenant, parse_body};
use crate::control::tenants::{self as ops, TenantOpError};
use crate::control::{Origin, duration, export_seed};
use crate::seed::{Seed, SeedSnapshot};
use crate::state::{Emulator, TenantError, TenantSpec};
use crate::tenant::{Tenant, TenantId};

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn clock_json(t: &Tenant) -> Value {
    json!({"now": rfc3339(t.clock.now()), "mode": if t.clock.is_manual() { "manual" } else { "system" }})
}

/// A tenant as the control API shows it.
fn view(t: &Tenant) -> Value {
    let users_api = t.users_api_credentials();
    json!({
        "name": t.id.0,
        "scim_token": t.scim_token,
        "events_token": t.events_token,
        "users_api_client_id": users_api.client_id,
        "users_api_client_secret": users_api.client_secret,
        "account_id": users_api.account_id,
        "scim_path": "/scim/v2",
        "events_path": "/api",
        "users_api_path": "/v1beta1",
        "preset": t.profile.preset,
        "clock": clock_json(t),
        "journal_size": t.journal().len(),
        "fault_rules": t.faults().rules().len(),
    })
}

fn op_error(e: TenantOpError) -> AdminError {
    match e {
        TenantOpError::NotFound(_) => AdminError::not_found(e.to_string()),
        TenantOpError::InvalidSeed(_) => AdminError::bad_request(e.to_string()),
    }
}

pub(super) async fn list(State(emu): State<Emulator>) -> Json<Value> {
    let tenants: Vec<Value> = emu.tenants().iter().map(|t| view(&t.read())).collect();
    Json(json!({"tenants": tenants}))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: Option<String>,
    scim_token: Option<String>,
    profile: Option<Value>,
    seed: Option<Value>,
}

pub(super) async fn create(
    State(emu): State<Emulator>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult {
    let body: CreateBody = parse_body(&headers, &body)?;
    let profile = match &body.profile {
        Some(overrides) => Some(
            emu.config()
                .profile
                .with_overrides(overrides)
                .map_err(|e| AdminError::bad_request(format!("profile: {e}")))?,
        ),
        None => None,
    };
    let seed: Option<Seed> = match body.seed {
        Some(v) => Some(
            serde_json::from_value(v).map_err(|e| AdminError::bad_request(format!("seed: {e}")))?,
        ),
        None => None,
    };
    if let Some(token) = &body.scim_token
        && (token.trim().is_empty() || token.chars().any(char::is_whitespace))
    {
        return Err(AdminError::bad_request("scim_token must be non-empty without whitespace"));
    }
    let generated_token = body.scim_token.is_none();
    let snapshot = seed.as_ref().map(SeedSnapshot::of);
    let spec =
        TenantSpec { name: body.name, scim_token: body.scim_token, profile: profile.clone(), seed };
    let shared = emu.create_tenant(spec).map_err(|e| match e {
        TenantError::NameTaken(_) | TenantError::TokenTaken => AdminError::conflict(e.to_string()),
        TenantError::InvalidSeed(_) | TenantError::InvalidName(_) => {
            AdminError::bad_request(e.to_string())
        }
    })?;
    let t = shared.read();
    emu.control().set_origin(t.id.clone(), Origin { seed: snapshot, profile, generated_token });
    Ok((StatusCode::CREATED, Json(view(&t))).into_response())
}

pub(super) async fn show(State(emu): State<Emulator>, Path(name): Path<String>) -> AdminResult {
    let shared = find_tenant(&emu, &name)?;
    let t = shared.read();
    Ok(Json(view(&t)).into_response())
}

pub(super) async fn remove(State(emu): State<Emulator>, Path(name): Path<String>) -> AdminResult {
    let id = TenantId(name);
    if id == TenantId::default_tenant() {
        return Err(AdminError::conflict(
            "the default tenant cannot be deleted; reset it with POST /__admin/reset",
        ));
    }
    if !emu.delete_tenant(&id) {
        return Err(AdminError::not_found(format!("no tenant named {:?}", id.0)));
    }
    emu.control().forget(&id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
#[serde(tag = "scope", rename_all = "lowercase", deny_unknown_fields)]
enum ResetBody {
    All,
    Tenant { tenant: String },
    Journal { tenant: Option<String> },
}

pub(super) async fn reset(
    State(emu): State<Emulator>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult<Json<Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AdminError::bad_request(
            "body required: {\"scope\": \"all\" | \"tenant\" | \"journal\", \"tenant\"?: NAME}",
        ));
    }
    let body: ResetBody = parse_body(&headers, &body)?;
    match body {
        ResetBody::All => {
            ops::reset_all(&emu).map_err(op_error)?;
            Ok(Json(json!({"reset": "all", "tenants": emu.tenants().len()})))
        }
        ResetBody::Tenant { tenant } => {
            ops::reset_tenant(&emu, &TenantId(tenant.clone())).map_err(op_error)?;
            Ok(Json(json!({"reset": "tenant", "tenant": tenant})))
        }
        ResetBody::Journal { tenant } => {
            let targets = match &tenant {
                Some(name) => vec![find_tenant(&emu, name)?],
                None => emu.tenants(),
            };
            for t in targets {
                t.read().journal().clear();
            }
            Ok(Json(json!({"reset": "journal", "tenant": tenant})))
        }
    }
}

fn parse_seed(headers: &HeaderMap, body: &Bytes) -> AdminResult<Seed> {
    parse_body::<Seed>(headers, body)
        .map_err(|e| AdminError::bad_request(e.message.replacen("body", "seed document", 1)))
}

pub(super) async fn seed(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult<Json<Value>> {
    find_tenant(&emu, &name)?;
    let seed = parse_seed(&headers, &body)?;
    ops::merge_seed(&emu, &TenantId(name.clone()), &seed).map_err(op_error)?;
    Ok(Json(json!({"seeded": name})))
}

pub(super) async fn export(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
) -> AdminResult<Json<Seed>> {
    let shared = find_tenant(&emu, &name)?;
    let t = shared.read();
    Ok(Json(export_seed(&t)))
}

pub(super) async fn import(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult<Json<Value>> {
    find_tenant(&emu, &name)?;
    let seed = parse_seed(&headers, &body)?;
    ops::import(&emu, &TenantId(name.clone()), &seed).map_err(op_error)?;
    Ok(Json(json!({"imported": name})))
}

pub(super) async fn clock(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
) -> AdminResult<Json<Value>> {
    let shared = find_tenant(&emu, &name)?;
    let t = shared.read();
    Ok(Json(clock_json(&t)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    advance: Option<Value>,
    set: Option<String>,
}

pub(super) async fn set_clock(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult<Json<Value>> {
    let shared = find_tenant(&emu, &name)?;
    let body: ClockBody = parse_body(&headers, &body)?;
    // Parse fully before touching the clock.
    enum Change {
        Advance(i64),
        Set(DateTime<Utc>),
    }
    let change = match (body.advance, body.set) {
        (Some(_), Some(_)) => return Err(AdminError::bad_request("give advance or set, not both")),
        (None, None) => {
            return Err(AdminError::bad_request(
                "give {\"advance\": \"90s\"|\"10m\"|\"2h\"|seconds} or {\"set\": RFC3339}",
            ));
        }
        (Some(v), None) => {
            let secs = duration::seconds_from_json(&v)
                .map_err(|e| AdminError::bad_request(format!("advance: {e}")))?;
            let secs = i64::try_from(secs)
                .ok()
                .filter(|s| *s <= 100 * 365 * 86_400)
                .ok_or_else(|| AdminError::bad_request("advance: at most 100 years at a time"))?;
            Change::Advance(secs)
        }
        (None, Some(s)) => Change::Set(
            DateTime::parse_from_rfc3339(&s)
                .map_err(|e| AdminError::bad_request(format!("set: {s:?} is not RFC 3339: {e}")))?
                .to_utc(),
        ),
    };
    let mut t = shared.write();
    let mut moved = t.clock.clone();
    match change {
        Change::Advance(secs) => moved.advance(chrono::Duration::seconds(secs)),
        Change::Set(at) => moved.set(at),
    }
    // Timestamps must stay RFC 3339 (four-digit years) and after the epoch.
    let year = chrono::Datelike::year(&moved.now());
    if !(crate::clock::MIN_YEAR..=crate::clock::MAX_YEAR).contains(&year) {
        return Err(AdminError::bad_request(format!(
            "the clock would read year {year}: it must stay within {}-{}",
            crate::clock::MIN_YEAR,
            crate::clock::MAX_YEAR
        )));
    }
    t.clock = moved;
    Ok(Json(clock_json(&t)))
}

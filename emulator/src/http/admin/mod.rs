//! The control plane under `/__admin`: JSON in and out, guarded by the admin token (never a SCIM
//! or Events token). `health` and `openapi.json` are open so probes and tooling need no secret.
//!
//! Handlers are thin: they parse, call [`crate::control`] or the [`Emulator`], and render.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::state::{Emulator, SharedTenant};
use crate::tenant::TenantId;

mod account;
mod dashboard;
mod events;
mod faults;
mod journal;
mod tenants;

/// The OpenAPI 3.1 description of this control plane.
pub const OPENAPI: &str = include_str!("openapi.json");

/// Control-plane routes (nested under `/__admin`).
pub fn routes(emulator: &Emulator) -> Router<Emulator> {
    let guarded = Router::new()
        .route("/reset", post(tenants::reset))
        .route("/tenants", get(tenants::list).post(tenants::create))
        .route("/tenants/{name}", get(tenants::show).delete(tenants::remove))
        .route("/tenants/{name}/seed", post(tenants::seed))
        .route("/tenants/{name}/export", get(tenants::export))
        .route("/tenants/{name}/import", post(tenants::import))
        .route("/tenants/{name}/clock", get(tenants::clock).post(tenants::set_clock))
        .route("/tenants/{name}/journal", get(journal::list).delete(journal::clear))
        .route("/tenants/{name}/journal/count", get(journal::count))
        .route("/tenants/{name}/faults", get(faults::list).post(faults::add).delete(faults::clear))
        .route("/tenants/{name}/faults/{id}", delete(faults::remove))
        .route(
            "/tenants/{name}/ratelimits",
            get(faults::limits).put(faults::set_limits).delete(faults::clear_limits),
        )
        .route("/tenants/{name}/outbox", get(account::outbox))
        .route("/tenants/{name}/users/{id}/accept", post(account::accept))
        .route("/tenants/{name}/users/{id}/state", put(account::set_state))
        .route("/tenants/{name}/confirmations/run", post(account::run_confirmations))
        .merge(events::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(emulator.clone(), require_admin));
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .merge(dashboard::routes(emulator))
        .merge(guarded)
}

/// A control-plane error: a status and a message saying what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminError {
    /// HTTP status.
    pub status: StatusCode,
    /// What was wrong, and where.
    pub message: String,
}

impl AdminError {
    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        AdminError { status: StatusCode::BAD_REQUEST, message: message.into() }
    }

    /// 404 Not Found.
    pub fn not_found(message: impl Into<String>) -> Self {
        AdminError { status: StatusCode::NOT_FOUND, message: message.into() }
    }

    /// 409 Conflict.
    pub fn conflict(message: impl Into<String>) -> Self {
        AdminError { status: StatusCode::CONFLICT, message: message.into() }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let body = json!({"status": self.status.as_u16(), "error": self.message});
        (self.status, axum::Json(body)).into_response()
    }
}

/// Handler result.
pub type AdminResult<T = Response> = Result<T, AdminError>;

async fn require_admin(State(emu): State<Emulator>, req: Request, next: Next) -> Response {
    match super::bearer::bearer(req.headers()) {
        Ok(token) if token == emu.admin_token() => next.run(req).await,
        Ok(_) => AdminError {
            status: StatusCode::UNAUTHORIZED,
            message: "invalid admin token (SCIM and Events tokens are not accepted here)".into(),
        }
        .into_response(),
        Err(_) => AdminError {
            status: StatusCode::UNAUTHORIZED,
            message: "missing `Authorization: Bearer <admin token>`".into(),
        }
        .into_response(),
    }
}

async fn not_found(req: Request) -> AdminError {
    AdminError::not_found(format!(
        "no control endpoint {} {}; see /__admin/openapi.json",
        req.method(),
        req.uri().path()
    ))
}

async fn health(State(emu): State<Emulator>) -> axum::Json<Value> {
    let storage = emu.control().store().map(|store| match emu.control().storage_error() {
        None => json!({"state": "ok", "path": store.path()}),
        Some(why) => json!({"state": "degraded", "path": store.path(), "error": &*why}),
    });
    let degraded = emu.control().storage_error().is_some();
    axum::Json(json!({
        "status": if degraded { "degraded" } else { "ok" },
        "tenants": emu.tenants().len(),
        "version": env!("CARGO_PKG_VERSION"),
        "changes": emu.control().generation(),
        "storage": storage,
    }))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// Parses a request body as JSON, or YAML when the content type says so. An empty body parses
/// as `{}` so optional bodies can be left out.
pub(crate) fn parse_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> AdminResult<T> {
    let text = std::str::from_utf8(body)
        .map_err(|_| AdminError::bad_request("request body is not UTF-8"))?;
    let text = if text.trim().is_empty() { "{}" } else { text };
    let yaml = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("yaml"));
    if yaml {
        serde_saphyr::from_str(text)
            .map_err(|e| AdminError::bad_request(format!("invalid YAML body: {e}")))
    } else {
        serde_json::from_str(text).map_err(|e| {
            // A YAML document sent without its content type fails as JSON at its first line.
            let hint = if text.trim_start().starts_with(['{', '[', '"']) {
                ""
            } else {
                " (for a YAML body, send `Content-Type: application/yaml`)"
            };
            AdminError::bad_request(format!("invalid JSON body: {e}{hint}"))
        })
    }
}

/// The named tenant, or 404.
pub(crate) fn find_tenant(emu: &Emulator, name: &str) -> AdminResult<SharedTenant> {
    emu.tenant(&TenantId(name.to_owned()))
        .ok_or_else(|| AdminError::not_found(format!("no tenant named {name:?}")))
}

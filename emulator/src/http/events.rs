//! Events API routes (`/api/...`). Thin handlers: authentication, then one call into
//! [`crate::events`]. Rate limits and faults are applied before a handler runs, by the shared
//! control layer; the control-plane routes that feed the log live in `http::admin::events`.

// Helpers return the finished error `Response` as their `Err` so handlers can `return` it
// directly; it is the cold path, and boxing it would only add noise.
#![allow(clippy::result_large_err)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::SecondsFormat;
use serde_json::json;

use crate::events::Feature;
use crate::events::model::{AuditEventDoc, ItemUsageDoc, Shape, SignInAttemptDoc};
use crate::events::query::{self, EventsError};
use crate::profile::{EventsErrorBody, Profile};
use crate::state::{Emulator, SharedTenant, TokenKind};

/// Events API routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/api/auth/introspect", get(introspect_v1))
        .route("/api/v2/auth/introspect", get(introspect_v2))
        .route("/api/v1/auditevents", post(audit_v1))
        .route("/api/v2/auditevents", post(audit_v2))
        .route("/api/v1/itemusages", post(items_v1))
        .route("/api/v2/itemusages", post(items_v2))
        .route("/api/v1/signinattempts", post(signins_v1))
        .route("/api/v2/signinattempts", post(signins_v2))
        .route("/api/v3/auditevents", get(audit_v3))
}

// ---------------------------------------------------------------------------------------------
// Errors and authentication
// ---------------------------------------------------------------------------------------------

/// An Events API error response in the body variant `profile` selects.
pub fn error_response(profile: &Profile, err: &EventsError) -> Response {
    let status = match err {
        EventsError::BadRequest(_) => StatusCode::BAD_REQUEST,
        EventsError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
    };
    let message = err.to_string();
    let body = match profile.events_error_body {
        EventsErrorBody::StatusMessage => json!({"status": status.as_u16(), "message": message}),
        EventsErrorBody::ErrorMessage => json!({"Error": {"Message": message}}),
    };
    (status, axum::Json(body)).into_response()
}

fn bearer(headers: &HeaderMap) -> Result<&str, EventsError> {
    super::bearer::bearer(headers).map_err(|e| EventsError::Unauthorized(e.message().into()))
}

/// Resolves the request's token to its tenant, checking kind, expiry and `feature`. Errors are
/// rendered with the tenant's profile when the tenant is known, else the server's.
fn authenticate(
    emu: &Emulator,
    headers: &HeaderMap,
    feature: Option<Feature>,
) -> Result<SharedTenant, Response> {
    let fail =
        |profile: &Profile, msg: String| error_response(profile, &EventsError::Unauthorized(msg));
    let server = &emu.config().profile;
    let token = bearer(headers).map_err(|e| error_response(server, &e))?;
    let Some((tenant, kind)) = emu.resolve_token(token) else {
        return Err(fail(server, "invalid token".into()));
    };
    let t = tenant.read();
    if kind == TokenKind::Scim {
        return Err(fail(
            &t.profile,
            "this is a SCIM bridge token; the Events API needs an Events API (Events Reporting) token".into(),
        ));
    }
    let Some(issued) = t.events.find_token(token) else {
        return Err(fail(&t.profile, "invalid token".into()));
    };
    let now = t.clock.now();
    if issued.is_expired(now) {
        let at = issued
            .expires_at
            .map(|e| e.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default();
        return Err(fail(&t.profile, format!("token expired at {at}")));
    }
    if let Some(f) = feature
        && !issued.allows(f)
    {
        let has: Vec<_> = issued.features.iter().map(|f| f.as_str()).collect();
        return Err(fail(
            &t.profile,
            format!("token is not scoped for {f} (it grants: {})", has.join(", ")),
        ));
    }
    drop(t);
    Ok(tenant)
}

fn json_response<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Events API
// ---------------------------------------------------------------------------------------------

async fn introspect_v1(State(emu): State<Emulator>, headers: HeaderMap) -> Response {
    introspect(&emu, &headers, false)
}

async fn introspect_v2(State(emu): State<Emulator>, headers: HeaderMap) -> Response {
    introspect(&emu, &headers, true)
}

fn introspect(emu: &Emulator, headers: &HeaderMap, v2: bool) -> Response {
    let tenant = match authenticate(emu, headers, None) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let t = tenant.read();
    let Some(issued) = bearer(headers).ok().and_then(|b| t.events.find_token(b)) else {
        return error_response(&t.profile, &EventsError::Unauthorized("invalid token".into()));
    };
    let features: Vec<_> = issued.features.iter().map(|f| f.as_str()).collect();
    let issued_at = issued.issued_at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let body = if v2 {
        json!({"uuid": issued.integration_uuid, "issued_at": issued_at, "features": features,
               "account_uuid": t.events.account_uuid()})
    } else {
        json!({"UUID": issued.integration_uuid, "IssuedAt": issued_at, "Features": features})
    };
    json_response(StatusCode::OK, &body)
}

#[derive(Clone, Copy)]
enum Endpoint {
    Audit,
    Items,
    SignIns,
}

impl Endpoint {
    fn feature(self) -> Feature {
        match self {
            Endpoint::Audit => Feature::AuditEvents,
            Endpoint::Items => Feature::ItemUsages,
            Endpoint::SignIns => Feature::SignInAttempts,
        }
    }
}

async fn audit_v1(State(emu): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    page(&emu, &headers, &body, Endpoint::Audit, false)
}
async fn audit_v2(State(emu): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    page(&emu, &headers, &body, Endpoint::Audit, true)
}
async fn items_v1(State(emu): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    page(&emu, &headers, &body, Endpoint::Items, false)
}
async fn items_v2(State(emu): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    page(&emu, &headers, &body, Endpoint::Items, true)
}
async fn signins_v1(State(emu): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    page(&emu, &headers, &body, Endpoint::SignIns, false)
}
async fn signins_v2(State(emu): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    page(&emu, &headers, &body, Endpoint::SignIns, true)
}

fn page(
    emu: &Emulator,
    headers: &HeaderMap,
    body: &[u8],
    endpoint: Endpoint,
    v2: bool,
) -> Response {
    let tenant = match authenticate(emu, headers, Some(endpoint.feature())) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let t = tenant.read();
    let now = t.clock.now();
    let req = match query::parse_page_request(body) {
        Ok(r) => r,
        Err(e) => return error_response(&t.profile, &e),
    };
    let shape = Shape {
        v2,
        msp: t.profile.msp_account,
        country_names: t.profile.signin_country_names,
        account_uuid: t.events.account_uuid(),
    };
    // Build the page under the lock, serialise after releasing it.
    let page = match endpoint {
        Endpoint::Audit => t.events.page_audit_events(&req, &shape, now).map(Paged::Audit),
        Endpoint::Items => t.events.page_item_usages(&req, &shape, now).map(Paged::Items),
        Endpoint::SignIns => t.events.page_signin_attempts(&req, &shape, now).map(Paged::SignIns),
    };
    let profile = t.profile.clone();
    drop(t);
    match page {
        Ok(Paged::Audit(p)) => json_response(StatusCode::OK, &p),
        Ok(Paged::Items(p)) => json_response(StatusCode::OK, &p),
        Ok(Paged::SignIns(p)) => json_response(StatusCode::OK, &p),
        Err(e) => error_response(&profile, &e),
    }
}

enum Paged {
    Audit(crate::events::Page<AuditEventDoc>),
    Items(crate::events::Page<ItemUsageDoc>),
    SignIns(crate::events::Page<SignInAttemptDoc>),
}

async fn audit_v3(
    State(emu): State<Emulator>,
    headers: HeaderMap,
    params: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let tenant = match authenticate(&emu, &headers, Some(Feature::AuditEvents)) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let t = tenant.read();
    let now = t.clock.now();
    let result = params
        .map_err(|e| EventsError::BadRequest(format!("invalid query string: {e}")))
        .and_then(|Query(p)| query::parse_v3(&p, t.profile.v3_params))
        .and_then(|req| t.events.page_v3(&req, t.profile.v3_params, t.profile.v3_actions, now));
    match result {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(e) => error_response(&t.profile, &e),
    }
}

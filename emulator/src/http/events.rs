//! Events API routes (`/api/...`) and the control-plane routes that feed the event log
//! (`/__admin/tenants/{name}/events/...`). Thin handlers: authentication, the rate-limit hook,
//! then one call into [`crate::events`].

// Helpers return the finished error `Response` as their `Err` so handlers can `return` it
// directly; it is the cold path, and boxing it would only add noise.
#![allow(clippy::result_large_err)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::events::model::{AuditEventDoc, ItemUsageDoc, Shape, SignInAttemptDoc};
use crate::events::query::{self, EventsError};
use crate::events::{EventLog, Feature, RateLimit, TokenRequest};
use crate::ids::IdGenerator;
use crate::profile::{EventsErrorBody, Profile};
use crate::state::{Emulator, SharedTenant, TokenKind};
use crate::tenant::{Tenant, TenantId};

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

/// Only the Events API, ready to serve on a second listener (`--events-port`) so the emulator
/// can stand in for a separate events host. Same tenants, tokens and log as the main router.
pub fn standalone(emulator: Emulator) -> Router {
    routes().with_state(emulator)
}

/// Control-plane routes for the event log, to be nested under `/__admin`:
///
/// - `POST /tenants/{name}/events/signinattempts|itemusages|auditevents` with
///   `{"events": [...]}` or `{"generate": N, "seed": S}` → 201 `{"appended", "total", "uuids"}`
/// - `POST /tenants/{name}/events/tokens` `{"features"?, "expires_in_secs"?, "audience"?}` → 201
///   `{"token", "uuid", "features", "issued_at", "expires_at"}`; `GET` lists issued tokens
/// - `PUT /tenants/{name}/events/ratelimit` `{"enabled", "per_minute"?, "per_hour"?}`
/// - `GET /tenants/{name}/events` → counts per stream, account uuid, Provision Manager
pub fn admin_routes() -> Router<Emulator> {
    Router::new()
        .route("/tenants/{name}/events", get(admin_summary))
        .route("/tenants/{name}/events/signinattempts", post(admin_generatable::<SignInAttemptDoc>))
        .route("/tenants/{name}/events/itemusages", post(admin_generatable::<ItemUsageDoc>))
        .route("/tenants/{name}/events/auditevents", post(admin_audit))
        .route("/tenants/{name}/events/tokens", post(admin_mint).get(admin_tokens))
        .route("/tenants/{name}/events/ratelimit", put(admin_rate_limit))
}

// ---------------------------------------------------------------------------------------------
// Errors and authentication
// ---------------------------------------------------------------------------------------------

/// An Events API error response in the body variant `profile` selects.
pub fn error_response(profile: &Profile, err: &EventsError) -> Response {
    let status = match err {
        EventsError::BadRequest(_) => StatusCode::BAD_REQUEST,
        EventsError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        EventsError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
    };
    let message = err.to_string();
    let body = match profile.events_error_body {
        EventsErrorBody::StatusMessage => json!({"status": status.as_u16(), "message": message}),
        EventsErrorBody::ErrorMessage => json!({"Error": {"Message": message}}),
    };
    let mut resp = (status, axum::Json(body)).into_response();
    if let EventsError::TooManyRequests { retry_after_secs, .. } = err
        && profile.events_retry_after
    {
        resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
    }
    resp
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

/// The rate-limit hook: every Events API handler calls it once the token is accepted, with the
/// tenant locked. `Some(response)` (a 429 in the profile's error body, with `Retry-After` when
/// `events_retry_after` is on) stops the request.
///
/// Today it consults the tenant's [`RateLimit`] (off by default; `PUT
/// /__admin/tenants/{name}/events/ratelimit` turns on the documented 600/minute and
/// 30,000/hour). The control plane's shared limiter can be consulted here too when it lands.
pub fn rate_limit_hook(tenant: &mut Tenant, now: DateTime<Utc>) -> Option<Response> {
    let limiter = tenant.events.rate_limit.as_mut()?;
    limiter.check(now).err().map(|e| error_response(&tenant.profile, &e))
}

fn lock(t: &SharedTenant) -> std::sync::RwLockWriteGuard<'_, Tenant> {
    t.write()
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
    let mut t = lock(&tenant);
    let now = t.clock.now();
    if let Some(r) = rate_limit_hook(&mut t, now) {
        return r;
    }
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
    let mut t = lock(&tenant);
    let now = t.clock.now();
    if let Some(r) = rate_limit_hook(&mut t, now) {
        return r;
    }
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
    let mut t = lock(&tenant);
    let now = t.clock.now();
    if let Some(r) = rate_limit_hook(&mut t, now) {
        return r;
    }
    let result = params
        .map_err(|e| EventsError::BadRequest(format!("invalid query string: {e}")))
        .and_then(|Query(p)| query::parse_v3(&p, t.profile.v3_params))
        .and_then(|req| t.events.page_v3(&req, t.profile.v3_params, t.profile.v3_actions, now));
    match result {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(e) => error_response(&t.profile, &e),
    }
}

// ---------------------------------------------------------------------------------------------
// Control plane
// ---------------------------------------------------------------------------------------------

fn admin_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({"status": status.as_u16(), "message": message.into()})))
        .into_response()
}

/// Checks the admin token and finds the tenant.
fn admin_tenant(emu: &Emulator, headers: &HeaderMap, name: &str) -> Result<SharedTenant, Response> {
    let ok = bearer(headers).is_ok_and(|t| t == emu.admin_token());
    if !ok {
        return Err(admin_error(
            StatusCode::UNAUTHORIZED,
            "the control API needs Authorization: Bearer <admin token>",
        ));
    }
    emu.tenant(&TenantId(name.to_owned()))
        .ok_or_else(|| admin_error(StatusCode::NOT_FOUND, format!("no tenant named {name:?}")))
}

/// Largest synthetic batch per request.
const MAX_GENERATE: usize = 1_000_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppendBody<D> {
    events: Option<Vec<D>>,
    generate: Option<usize>,
    #[serde(default)]
    seed: Option<u64>,
}

enum Batch<D> {
    Explicit(Vec<D>),
    Generate(usize, u64),
}

/// The shared start of the append endpoints: the admin check, the tenant, and the parsed body.
fn admin_batch<D: serde::de::DeserializeOwned>(
    emu: &Emulator,
    headers: &HeaderMap,
    name: &str,
    body: &[u8],
) -> Result<(SharedTenant, Batch<D>), Response> {
    let tenant = admin_tenant(emu, headers, name)?;
    Ok((tenant, parse_append(body)?))
}

fn parse_append<D: serde::de::DeserializeOwned>(body: &[u8]) -> Result<Batch<D>, Response> {
    let b: AppendBody<D> = serde_json::from_slice(body)
        .map_err(|e| admin_error(StatusCode::BAD_REQUEST, format!("invalid body: {e}")))?;
    match (b.events, b.generate) {
        (Some(events), None) if b.seed.is_none() => Ok(Batch::Explicit(events)),
        (None, Some(n)) if n <= MAX_GENERATE => Ok(Batch::Generate(n, b.seed.unwrap_or(0))),
        (None, Some(_)) => Err(admin_error(
            StatusCode::BAD_REQUEST,
            format!("generate: at most {MAX_GENERATE} per request"),
        )),
        _ => Err(admin_error(
            StatusCode::BAD_REQUEST,
            "send either {\"events\": [...]} or {\"generate\": N, \"seed\": S}",
        )),
    }
}

fn appended(result: Result<Vec<String>, String>, total: usize) -> Response {
    match result {
        Ok(uuids) => {
            let mut body = json!({"appended": uuids.len(), "total": total});
            if uuids.len() <= 1000 {
                body["uuids"] = json!(uuids);
            }
            json_response(StatusCode::CREATED, &body)
        }
        Err(e) => admin_error(StatusCode::BAD_REQUEST, e),
    }
}

/// Appends to a stream that can also be generated (sign-in attempts, item usages): explicit
/// documents, or `{"generate": n, "seed": s}`; answers with the uuids and the stream's size.
fn append_or_generate<D: serde::de::DeserializeOwned>(
    emu: &Emulator,
    headers: &HeaderMap,
    name: &str,
    body: &[u8],
    stream: Generatable<D>,
) -> Response {
    let (tenant, batch) = match admin_batch::<D>(emu, headers, name, body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut guard = lock(&tenant);
    let t = &mut *guard;
    let now = t.clock.now();
    let result = match batch {
        Batch::Explicit(docs) => (stream.append)(&mut t.events, docs, &mut t.ids, now),
        Batch::Generate(n, seed) => Ok((stream.generate)(&mut t.events, n, seed, now)),
    };
    appended(result, (stream.total)(&t.events))
}

/// How to append to, generate and count one of the streams the control API can generate.
struct Generatable<D> {
    append: fn(&mut EventLog, Vec<D>, &mut IdGenerator, DateTime<Utc>) -> AppendResult,
    generate: fn(&mut EventLog, usize, u64, DateTime<Utc>) -> Vec<String>,
    total: fn(&EventLog) -> usize,
}

/// The appended events' uuids, or why the batch was refused.
type AppendResult = Result<Vec<String>, String>;

/// An event document of a stream the control API can generate.
trait GeneratableDoc: serde::de::DeserializeOwned + Sized {
    const STREAM: Generatable<Self>;
}

impl GeneratableDoc for SignInAttemptDoc {
    const STREAM: Generatable<Self> = Generatable {
        append: EventLog::append_signin_attempts,
        generate: EventLog::generate_signin_attempts,
        total: |log| log.signin_attempt_events().len(),
    };
}

impl GeneratableDoc for ItemUsageDoc {
    const STREAM: Generatable<Self> = Generatable {
        append: EventLog::append_item_usages,
        generate: EventLog::generate_item_usages,
        total: |log| log.item_usage_events().len(),
    };
}

/// `POST /tenants/{name}/events/signinattempts` and `.../itemusages`.
async fn admin_generatable<D: GeneratableDoc>(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    append_or_generate(&emu, &headers, &name, &body, D::STREAM)
}

async fn admin_audit(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (tenant, batch) = match admin_batch::<AuditEventDoc>(&emu, &headers, &name, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Batch::Explicit(docs) = batch else {
        return admin_error(
            StatusCode::BAD_REQUEST,
            "audit events are not generated; send {\"events\": [...]} (SCIM actions record their own)",
        );
    };
    let mut guard = lock(&tenant);
    let t = &mut *guard;
    let now = t.clock.now();
    let result = t.events.append_audit_events(docs, &mut t.ids, now);
    appended(result, t.events.audit_events().len())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MintBody {
    #[serde(default)]
    features: Option<Vec<String>>,
    #[serde(default)]
    expires_in_secs: Option<i64>,
    #[serde(default)]
    audience: Option<String>,
}

fn token_json(t: &crate::events::IssuedToken) -> Value {
    json!({
        "token": t.token,
        "uuid": t.integration_uuid,
        "features": t.features.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        "audience": t.audience,
        "issued_at": t.issued_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "expires_at": t.expires_at.map(|e| e.to_rfc3339_opts(SecondsFormat::Secs, true)),
    })
}

async fn admin_mint(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let tenant = match admin_tenant(&emu, &headers, &name) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let body: MintBody = if body.iter().all(u8::is_ascii_whitespace) {
        MintBody { features: None, expires_in_secs: None, audience: None }
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => return admin_error(StatusCode::BAD_REQUEST, format!("invalid body: {e}")),
        }
    };
    let features = match body.features {
        None => Feature::ALL.to_vec(),
        Some(names) => {
            match names.iter().map(|n| n.parse::<Feature>()).collect::<Result<Vec<_>, _>>() {
                Ok(f) => f,
                Err(e) => return admin_error(StatusCode::BAD_REQUEST, format!("features: {e}")),
            }
        }
    };
    if matches!(body.expires_in_secs, Some(s) if s < 0) {
        return admin_error(StatusCode::BAD_REQUEST, "expires_in_secs: must be 0 or more");
    }
    if matches!(&body.audience, Some(a) if a.trim().is_empty()) {
        return admin_error(StatusCode::BAD_REQUEST, "audience: must not be empty");
    }
    let issued = {
        let mut guard = lock(&tenant);
        let t = &mut *guard;
        let now = t.clock.now();
        let request = TokenRequest {
            features,
            expires_at: body.expires_in_secs.map(|s| now + Duration::seconds(s)),
            audience: body.audience,
        };
        t.events.mint(&request, &mut t.ids, now)
    };
    if emu.register_token(&issued.token, &TenantId(name), TokenKind::Events).is_err() {
        return admin_error(StatusCode::CONFLICT, "minted token collides with an existing one");
    }
    json_response(StatusCode::CREATED, &token_json(&issued))
}

async fn admin_tokens(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let tenant = match admin_tenant(&emu, &headers, &name) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let t = lock(&tenant);
    let tokens: Vec<Value> = t.events.tokens().iter().map(token_json).collect();
    json_response(StatusCode::OK, &json!({"tokens": tokens}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimitBody {
    enabled: bool,
    #[serde(default)]
    per_minute: Option<u32>,
    #[serde(default)]
    per_hour: Option<u32>,
}

async fn admin_rate_limit(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let tenant = match admin_tenant(&emu, &headers, &name) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let body: RateLimitBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return admin_error(StatusCode::BAD_REQUEST, format!("invalid body: {e}")),
    };
    let mut t = lock(&tenant);
    t.events.rate_limit = body.enabled.then(|| {
        let d = RateLimit::documented();
        RateLimit::new(body.per_minute.unwrap_or(d.per_minute), body.per_hour.unwrap_or(d.per_hour))
    });
    let state = t
        .events
        .rate_limit
        .as_ref()
        .map(|r| json!({"per_minute": r.per_minute, "per_hour": r.per_hour}));
    json_response(StatusCode::OK, &json!({"enabled": body.enabled, "limits": state}))
}

async fn admin_summary(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let tenant = match admin_tenant(&emu, &headers, &name) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let t = lock(&tenant);
    let pm = t.events.provision_manager();
    json_response(
        StatusCode::OK,
        &json!({
            "account_uuid": t.events.account_uuid(),
            "provision_manager": {"uuid": &*pm.uuid, "name": pm.name, "email": pm.email},
            "audit_events": t.events.audit_events().len(),
            "item_usages": t.events.item_usage_events().len(),
            "signin_attempts": t.events.signin_attempt_events().len(),
            "tokens": t.events.tokens().len(),
            "rate_limited": t.events.rate_limit.is_some(),
        }),
    )
}

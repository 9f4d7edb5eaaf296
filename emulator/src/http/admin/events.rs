//! Control-plane routes that feed a tenant's Events API log (`/tenants/{name}/events/...`).
//! Behind the same admin-token middleware as every other `/__admin` route, and answering errors
//! through the same [`AdminError`] (`{"status", "error"}`).
//!
//! - `POST /tenants/{name}/events/signinattempts|itemusages|auditevents` with
//!   `{"events": [...]}` or `{"generate": N, "seed": S}` → 201 `{"appended", "total", "uuids"}`
//! - `POST /tenants/{name}/events/tokens` `{"features"?, "expires_in_secs"?, "audience"?}` → 201
//!   `{"token", "uuid", "features", "issued_at", "expires_at"}`; `GET` lists issued tokens
//! - `GET /tenants/{name}/events` → counts per stream, account uuid, Provision Manager
//!
//! The Events API's rate limits are the shared limiter's `events` windows
//! (`PUT /tenants/{name}/ratelimits`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminError, AdminResult, find_tenant};
use crate::events::model::{AuditEventDoc, ItemUsageDoc, SignInAttemptDoc};
use crate::events::{EventLog, Feature, TokenRequest};
use crate::ids::IdGenerator;
use crate::state::{Emulator, TokenKind};
use crate::tenant::TenantId;

/// The routes, to be merged into the guarded `/__admin` router.
pub(super) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/tenants/{name}/events", get(summary))
        .route("/tenants/{name}/events/signinattempts", post(generatable::<SignInAttemptDoc>))
        .route("/tenants/{name}/events/itemusages", post(generatable::<ItemUsageDoc>))
        .route("/tenants/{name}/events/auditevents", post(audit))
        .route("/tenants/{name}/events/tokens", post(mint).get(tokens))
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

fn parse_append<D: serde::de::DeserializeOwned>(body: &[u8]) -> AdminResult<Batch<D>> {
    let b: AppendBody<D> = serde_json::from_slice(body)
        .map_err(|e| AdminError::bad_request(format!("invalid body: {e}")))?;
    match (b.events, b.generate) {
        (Some(events), None) if b.seed.is_none() => Ok(Batch::Explicit(events)),
        (None, Some(n)) if n <= MAX_GENERATE => Ok(Batch::Generate(n, b.seed.unwrap_or(0))),
        (None, Some(_)) => {
            Err(AdminError::bad_request(format!("generate: at most {MAX_GENERATE} per request")))
        }
        _ => Err(AdminError::bad_request(
            "send either {\"events\": [...]} or {\"generate\": N, \"seed\": S}",
        )),
    }
}

fn appended(result: AppendResult, total: usize) -> AdminResult<Response> {
    let uuids = result.map_err(AdminError::bad_request)?;
    let mut body = json!({"appended": uuids.len(), "total": total});
    if uuids.len() <= 1000 {
        body["uuids"] = json!(uuids);
    }
    Ok((StatusCode::CREATED, Json(body)).into_response())
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

/// `POST /tenants/{name}/events/signinattempts` and `.../itemusages`: explicit documents, or
/// `{"generate": n, "seed": s}`; answers with the uuids and the stream's size.
async fn generatable<D: GeneratableDoc>(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    body: Bytes,
) -> AdminResult<Response> {
    let tenant = find_tenant(&emu, &name)?;
    let batch = parse_append::<D>(&body)?;
    let stream = D::STREAM;
    let mut guard = tenant.write();
    let t = &mut *guard;
    let now = t.clock.now();
    let result = match batch {
        Batch::Explicit(docs) => (stream.append)(&mut t.events, docs, &mut t.ids, now),
        Batch::Generate(n, seed) => {
            // Generated events are about the people `/Users` lists (guests included).
            let people: Vec<_> = t.account.users().map(|u| u.to_ref()).collect();
            t.events.learn_users(&people);
            Ok((stream.generate)(&mut t.events, n, seed, now))
        }
    };
    appended(result, (stream.total)(&t.events))
}

/// `POST /tenants/{name}/events/auditevents`: explicit documents only.
async fn audit(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    body: Bytes,
) -> AdminResult<Response> {
    let tenant = find_tenant(&emu, &name)?;
    let Batch::Explicit(docs) = parse_append::<AuditEventDoc>(&body)? else {
        return Err(AdminError::bad_request(
            "audit events are not generated; send {\"events\": [...]} (SCIM actions record their own)",
        ));
    };
    let mut guard = tenant.write();
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

/// `POST /tenants/{name}/events/tokens`: mints an Events API token.
async fn mint(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    body: Bytes,
) -> AdminResult<Response> {
    let tenant = find_tenant(&emu, &name)?;
    let body: MintBody = if body.iter().all(u8::is_ascii_whitespace) {
        MintBody { features: None, expires_in_secs: None, audience: None }
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| AdminError::bad_request(format!("invalid body: {e}")))?
    };
    let features = match body.features {
        None => Feature::ALL.to_vec(),
        Some(names) => names
            .iter()
            .map(|n| n.parse::<Feature>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| AdminError::bad_request(format!("features: {e}")))?,
    };
    if matches!(body.expires_in_secs, Some(s) if s < 0) {
        return Err(AdminError::bad_request("expires_in_secs: must be 0 or more"));
    }
    if matches!(&body.audience, Some(a) if a.trim().is_empty()) {
        return Err(AdminError::bad_request("audience: must not be empty"));
    }
    let issued = {
        let mut guard = tenant.write();
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
        return Err(AdminError::conflict("minted token collides with an existing one"));
    }
    Ok((StatusCode::CREATED, Json(token_json(&issued))).into_response())
}

/// `GET /tenants/{name}/events/tokens`: the tokens issued so far.
async fn tokens(State(emu): State<Emulator>, Path(name): Path<String>) -> AdminResult<Json<Value>> {
    let tenant = find_tenant(&emu, &name)?;
    let t = tenant.read();
    let tokens: Vec<Value> = t.events.tokens().iter().map(token_json).collect();
    Ok(Json(json!({"tokens": tokens})))
}

/// `GET /tenants/{name}/events`: counts per stream, the account uuid, the Provision Manager.
async fn summary(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
) -> AdminResult<Json<Value>> {
    let tenant = find_tenant(&emu, &name)?;
    let t = tenant.read();
    let pm = t.events.provision_manager();
    let rate_limited = !t.faults().limiter.config().events.is_empty();
    Ok(Json(json!({
        "account_uuid": t.events.account_uuid(),
        "provision_manager": {"uuid": &*pm.uuid, "name": pm.name, "email": pm.email},
        "audit_events": t.events.audit_events().len(),
        "item_usages": t.events.item_usage_events().len(),
        "signin_attempts": t.events.signin_attempt_events().len(),
        "tokens": t.events.tokens().len(),
        "rate_limited": rate_limited,
    })))
}

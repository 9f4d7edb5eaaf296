//! The dashboard: one page at `GET /__admin/ui` (HTML, CSS and JS embedded in the binary, no
//! network or build step) and the few JSON endpoints it needs beyond the rest of the control
//! API: users and groups as a person reads them, suspend/reactivate through the account, the
//! journal read with a cursor, and the newest events of each Events API stream.
//!
//! The page itself is open (it holds no data); every JSON route is guarded by the admin token,
//! which the page takes from the URL fragment or a sign-in form and sends as a bearer header.

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::{Value, json};

use super::{AdminError, AdminResult, find_tenant, require_admin};
use crate::account::{Account, AccountError, Group, GroupKind, User};
use crate::events::model::Shape;
use crate::http::scim::{extract::BaseUrl, render, schemas};
use crate::state::Emulator;

const PAGE: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("app.js");
const STYLE: &str = include_str!("app.css");

/// The most journal entries one cursor read returns.
const FEED_MAX: usize = 500;
/// The most events one `recent` read returns.
const RECENT_MAX: usize = 1_000;

/// The dashboard's routes (nested under `/__admin` with the rest of the control plane).
pub(super) fn routes(emulator: &Emulator) -> Router<Emulator> {
    let guarded = Router::new()
        .route("/tenants/{name}/users", get(users))
        .route("/tenants/{name}/groups", get(groups))
        .route("/tenants/{name}/users/{id}/suspend", post(suspend))
        .route("/tenants/{name}/users/{id}/reactivate", post(reactivate))
        .route("/tenants/{name}/journal/feed", get(journal_feed))
        .route("/tenants/{name}/recent/{stream}", get(recent))
        .route_layer(middleware::from_fn_with_state(emulator.clone(), require_admin));
    Router::new()
        .route("/ui", get(page))
        .route("/ui/app.js", get(script))
        .route("/ui/app.css", get(style))
        .merge(guarded)
}

/// An embedded asset with headers that keep the page self-contained: only its own script and
/// style may load, nothing is cached (the token lives in the page's session storage, not in a
/// cache), and no referrer leaks the URL.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                 img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
            ),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

async fn page() -> Response {
    asset("text/html; charset=utf-8", PAGE)
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

/// A user as the dashboard's table shows it.
#[derive(Debug, Serialize)]
struct UserRow {
    id: String,
    user_name: String,
    display_name: String,
    /// 1Password state (`ACTIVE`, `TRANSFER_STARTED`, ...).
    state: &'static str,
    /// SCIM `active`.
    active: bool,
    /// An invitee who signed up and waits for confirmation ("Pending" in 1Password).
    signed_up: bool,
    /// owner, admin, guest or member.
    role: &'static str,
    groups: Vec<GroupRef>,
    created: String,
    last_modified: String,
}

#[derive(Debug, Serialize)]
struct GroupRef {
    id: String,
    name: String,
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The role 1Password shows: from membership of the built-in groups (guests are flagged).
fn role(account: &Account, u: &User) -> &'static str {
    let member_of =
        |kind: GroupKind| account.builtin(kind).is_some_and(|g| g.members.contains(&u.id));
    if u.guest {
        "guest"
    } else if member_of(GroupKind::Owners) {
        "owner"
    } else if member_of(GroupKind::Administrators) {
        "admin"
    } else {
        "member"
    }
}

fn user_row(account: &Account, u: &User) -> UserRow {
    UserRow {
        id: u.id.clone(),
        user_name: u.user_name.clone(),
        display_name: u.display_name(),
        state: u.state.as_str(),
        active: u.active(),
        signed_up: u.signed_up_at.is_some(),
        role: role(account, u),
        groups: account
            .groups_of(&u.id)
            .map(|g| GroupRef { id: g.id.clone(), name: g.display_name.clone() })
            .collect(),
        created: rfc3339(u.created),
        last_modified: rfc3339(u.last_modified),
    }
}

/// `GET /tenants/{name}/users?filter=...`: every user (account order), or those a SCIM filter
/// selects. The filter is evaluated against the full RFC rendering, whatever the tenant's
/// profile, so the bridge's filter restrictions do not limit what a person can look for.
async fn users(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> AdminResult<Json<Value>> {
    if let Some(unknown) = q.keys().find(|k| k.as_str() != "filter") {
        return Err(AdminError::bad_request(format!("unknown parameter {unknown:?}; use filter")));
    }
    let filter = match q.get("filter").map(|f| f.trim()).filter(|f| !f.is_empty()) {
        Some(raw) => Some(
            scim::filter::parse(raw)
                .map_err(|e| AdminError::bad_request(format!("filter {raw:?}: {e}")))?,
        ),
        None => None,
    };
    let shared = find_tenant(&emu, &name)?;
    let t = shared.read();
    let base = BaseUrl::default();
    let mut rows = Vec::new();
    for u in t.account.users() {
        if let Some(f) = &filter {
            let doc = render::full_user(u, &t.account, &t.profile, &base);
            let hit = f
                .matches(&doc, &schemas::USER)
                .map_err(|e| AdminError::bad_request(format!("filter: {}", e.detail)))?;
            if !hit {
                continue;
            }
        }
        rows.push(user_row(&t.account, u));
    }
    Ok(Json(json!({ "users": rows, "total": t.account.user_count() })))
}

fn group_view(account: &Account, g: &Group) -> Value {
    let members: Vec<Value> = g
        .members
        .iter()
        .map(|id| match account.user(id) {
            Some(u) => json!({"id": id, "user_name": u.user_name, "display_name": u.display_name(),
                              "state": u.state.as_str()}),
            None => json!({"id": id}),
        })
        .collect();
    json!({
        "id": g.id,
        "name": g.display_name,
        "kind": g.kind,
        "builtin": g.kind.is_builtin(),
        "members": members,
        "last_modified": rfc3339(g.last_modified),
    })
}

/// `GET /tenants/{name}/groups`: every group (built-in ones too) with its members.
async fn groups(State(emu): State<Emulator>, Path(name): Path<String>) -> AdminResult<Json<Value>> {
    let shared = find_tenant(&emu, &name)?;
    let t = shared.read();
    let groups: Vec<Value> = t.account.groups().map(|g| group_view(&t.account, g)).collect();
    Ok(Json(json!({ "groups": groups })))
}

fn account_error(e: AccountError) -> AdminError {
    match e {
        AccountError::UserNotFound(_) | AccountError::GroupNotFound(_) => {
            AdminError::not_found(e.to_string())
        }
        AccountError::LastOwner(_) | AccountError::GuestNotManageable(_) => {
            AdminError::conflict(e.to_string())
        }
        _ => AdminError::bad_request(e.to_string()),
    }
}

/// `POST /tenants/{name}/users/{id}/suspend`: suspends as deprovisioning does (an invitee
/// becomes `TRANSFER_SUSPENDED`, the last owner is refused), recorded as an audit event.
async fn suspend(
    State(emu): State<Emulator>,
    Path((name, id)): Path<(String, String)>,
) -> AdminResult<Json<Value>> {
    change_state(&emu, &name, &id, true)
}

/// `POST /tenants/{name}/users/{id}/reactivate`: back to the state the user had.
async fn reactivate(
    State(emu): State<Emulator>,
    Path((name, id)): Path<(String, String)>,
) -> AdminResult<Json<Value>> {
    change_state(&emu, &name, &id, false)
}

fn change_state(emu: &Emulator, name: &str, id: &str, suspend: bool) -> AdminResult<Json<Value>> {
    let shared = find_tenant(emu, name)?;
    let mut t = shared.write();
    let now = t.clock.now();
    let profile = t.profile.clone();
    let changes = if suspend {
        t.account.suspend_user(id, &profile, now)
    } else {
        t.account.reactivate_user(id, now)
    }
    .map_err(account_error)?;
    t.record(&changes);
    let user = t.account.user(id).map(|u| user_row(&t.account, u));
    Ok(Json(json!({ "user": user, "changed": !changes.is_empty() })))
}

fn parse_number(q: &HashMap<String, String>, key: &str, default: u64) -> AdminResult<u64> {
    match q.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v.parse::<u64>().map_err(|_| {
            AdminError::bad_request(format!("{key} {v:?} is not a non-negative integer"))
        }),
    }
}

fn only_params(q: &HashMap<String, String>, allowed: &[&str]) -> AdminResult<()> {
    match q.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(unknown) => Err(AdminError::bad_request(format!(
            "unknown parameter {unknown:?}; use {}",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

/// `GET /tenants/{name}/journal/feed?after=N&limit=M`: the requests recorded since cursor `N`
/// (0 to start), oldest first, each with its sequence number, and the next cursor. Polling it
/// shows every request once, even across a journal clear.
async fn journal_feed(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> AdminResult<Json<crate::control::JournalPage>> {
    only_params(&q, &["after", "limit"])?;
    let after = parse_number(&q, "after", 0)?;
    let limit = parse_number(&q, "limit", FEED_MAX as u64)?;
    if limit == 0 || limit > FEED_MAX as u64 {
        return Err(AdminError::bad_request(format!("limit must be 1 to {FEED_MAX}")));
    }
    let shared = find_tenant(&emu, &name)?;
    let page = shared.read().journal().since(after, limit as usize);
    Ok(Json(page))
}

/// `GET /tenants/{name}/recent/{auditevents|signinattempts|itemusages}?limit=N`: the newest
/// events of a stream, newest first, in the Events API's v2 JSON, with the stream's length.
async fn recent(
    State(emu): State<Emulator>,
    Path((name, stream)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> AdminResult<Json<Value>> {
    only_params(&q, &["limit"])?;
    let limit = parse_number(&q, "limit", 50)?;
    if limit == 0 || limit > RECENT_MAX as u64 {
        return Err(AdminError::bad_request(format!("limit must be 1 to {RECENT_MAX}")));
    }
    let limit = limit as usize;
    let shared = find_tenant(&emu, &name)?;
    let t = shared.read();
    let shape = Shape {
        v2: true,
        msp: t.profile.msp_account,
        country_names: t.profile.signin_country_names,
        account_uuid: t.events.account_uuid(),
    };
    fn newest<T, D: Serialize>(events: &[T], limit: usize, render: impl Fn(&T) -> D) -> Value {
        json!(events.iter().rev().take(limit).map(render).collect::<Vec<_>>())
    }
    let (total, items) = match stream.as_str() {
        "auditevents" => {
            let s = t.events.audit_events();
            (s.len(), newest(s.events(), limit, |e| e.render(&shape)))
        }
        "signinattempts" => {
            let s = t.events.signin_attempt_events();
            (s.len(), newest(s.events(), limit, |e| e.render(&shape)))
        }
        "itemusages" => {
            let s = t.events.item_usage_events();
            (s.len(), newest(s.events(), limit, |e| e.render(&shape)))
        }
        other => {
            return Err(AdminError::not_found(format!(
                "no event stream {other:?}; use auditevents, signinattempts or itemusages"
            )));
        }
    };
    Ok(Json(json!({ "items": items, "total": total })))
}

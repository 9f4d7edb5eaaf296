//! Account test setup: the invite outbox, accepting invitations, running the confirmation
//! watcher, setting a user's state directly. Every change is recorded in the Events API log,
//! exactly as if it had happened through the product.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminError, AdminResult, find_tenant, parse_body};
use crate::account::{AccountError, UserState};
use crate::state::Emulator;

fn account_error(e: AccountError) -> AdminError {
    match e {
        AccountError::UserNotFound(_) | AccountError::GroupNotFound(_) => {
            AdminError::not_found(e.to_string())
        }
        _ => AdminError::bad_request(e.to_string()),
    }
}

pub(super) async fn outbox(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
) -> AdminResult<Json<Value>> {
    let shared = find_tenant(&emu, &name)?;
    let t = shared.read();
    // The control API speaks snake_case (`user_id`, `sent_at`), as the URL contract says.
    let invitations: Vec<Value> = t
        .account
        .outbox()
        .iter()
        .map(|i| {
            json!({"id": i.id, "user_id": i.user_id, "email": i.email, "kind": i.kind,
                   "sent_at": i.sent_at})
        })
        .collect();
    Ok(Json(json!({ "invitations": invitations })))
}

pub(super) async fn accept(
    State(emu): State<Emulator>,
    Path((name, id)): Path<(String, String)>,
) -> AdminResult<Json<Value>> {
    let shared = find_tenant(&emu, &name)?;
    let mut t = shared.write();
    let now = t.clock.now();
    let profile = t.profile.clone();
    let changes = t.account.accept_invitation(&id, &profile, now).map_err(account_error)?;
    t.record(&changes);
    let state = t.account.user(&id).map(|u| u.state);
    Ok(Json(json!({ "user_id": id, "state": state, "signed_up_at": now })))
}

pub(super) async fn run_confirmations(
    State(emu): State<Emulator>,
    Path(name): Path<String>,
) -> AdminResult<Json<Value>> {
    let shared = find_tenant(&emu, &name)?;
    let mut t = shared.write();
    let now = t.clock.now();
    let changes = t.account.confirm_all_now(now);
    t.record(&changes);
    let confirmed: Vec<String> = changes
        .iter()
        .filter_map(|c| match c {
            crate::account::Change::UserConfirmed { user } => Some(user.id.clone()),
            _ => None,
        })
        .collect();
    Ok(Json(json!({ "confirmed": confirmed })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateBody {
    state: Value,
}

pub(super) async fn set_state(
    State(emu): State<Emulator>,
    Path((name, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult<Json<Value>> {
    let shared = find_tenant(&emu, &name)?;
    let body: StateBody = parse_body(&headers, &body)?;
    let state: UserState = serde_json::from_value(body.state.clone()).map_err(|_| {
        AdminError::bad_request(format!(
            "state {} is not a 1Password user state (ACTIVE, SUSPENDED, TRANSFER_STARTED, \
             TRANSFER_SUSPENDED, RECOVERY_STARTED, RECOVERY_ACCEPTED)",
            body.state
        ))
    })?;
    let mut t = shared.write();
    let now = t.clock.now();
    let changes = t.account.set_user_state(&id, state, now).map_err(account_error)?;
    t.record(&changes);
    Ok(Json(json!({ "user_id": id, "state": state })))
}

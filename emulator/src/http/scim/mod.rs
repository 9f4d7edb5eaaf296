//! The SCIM bridge's HTTP surface: the same routes under `/`, `/scim/` and `/scim/v2/`, bearer
//! auth on everything but `/ping`, and SCIM error bodies for every failure.
//!
//! - [`extract`]: bearer auth (resolves the tenant) and the JSON body reader;
//! - [`users`], [`groups`]: resource handlers; [`discovery`]: discovery, `/health`, `/ping`;
//! - [`list`]: filters, pagination, ordering; [`patch`]: PATCH operations;
//! - [`render`]: payload shapes and projection; [`resource`]: input checks and coercion;
//! - [`schemas`]: attribute definitions; [`error`]: the one error-to-response mapping.

use std::sync::{RwLockReadGuard, RwLockWriteGuard};

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use scim::messages;
use serde_json::Value;

use crate::state::{Emulator, SharedTenant};
use crate::tenant::Tenant;

pub mod bulk;
pub mod discovery;
pub mod error;
pub mod etag;
pub mod extract;
pub mod groups;
pub mod list;
pub mod patch;
pub mod render;
pub mod resource;
pub mod schemas;
pub mod sort;
pub mod users;

#[cfg(test)]
mod scan_props;

use error::{ApiError, scim_response};
use extract::{ScimBody, ScimTenant};
use list::ListParams;
use render::Rendered;

/// Exclusive access to a tenant, for a change, after the confirmation watcher caught up to the
/// tenant's clock, so confirmation happens exactly when a manual clock says it is due.
pub fn write(tenant: &SharedTenant) -> RwLockWriteGuard<'_, Tenant> {
    let mut guard = tenant.write();
    let t = &mut *guard;
    let now = t.clock.now();
    let changes = t.account.run_confirmation_watcher(&t.profile, now);
    if !changes.is_empty() {
        t.record(&changes);
    }
    guard
}

/// Shared access to a tenant, for a read, after the confirmation watcher caught up. Reads
/// run in parallel; only when a confirmation is due does this take the lock alone to confirm,
/// then read again (each pass confirms everything due, so it settles at once).
pub fn read(tenant: &SharedTenant) -> RwLockReadGuard<'_, Tenant> {
    loop {
        let guard = tenant.read();
        let account = &guard.account;
        // Checked first so that nearly every read skips reading the clock.
        if !account.awaiting_confirmation()
            || !account.confirmation_due(&guard.profile, guard.clock.now())
        {
            return guard;
        }
        drop(guard);
        drop(write(tenant));
    }
}

/// `POST /.search` at the root: users then groups.
async fn search_all(auth: ScimTenant, ScimBody(body): ScimBody) -> Result<Response, ApiError> {
    let params = ListParams::from_search(&body, messages::USER)?;
    let all = ListParams { start_index: 1, count: list::MAX_RESULTS, ..params.clone() };
    let t = read(&auth.tenant);
    let base = &auth.base_url;
    let mut resources: Vec<Value> = users::search(&t, all.clone(), base)?
        .resources
        .into_iter()
        .map(Rendered::into_value)
        .collect();
    resources
        .extend(groups::search(&t, all, base)?.resources.into_iter().map(Rendered::into_value));
    let total = resources.len();
    let start = params.start_index.saturating_sub(1).min(total);
    let page = resources.into_iter().skip(start).take(params.count).map(Rendered::Tree).collect();
    let body = list::Listing::new(page, total, params.start_index, &t.profile);
    Ok(scim_response(StatusCode::OK, &body))
}

fn with_405(m: MethodRouter<Emulator>) -> MethodRouter<Emulator> {
    m.fallback(discovery::method_not_allowed)
}

/// The routes under one prefix (`""`, `/scim` or `/scim/v2`). Registered per prefix rather than
/// with `Router::nest`, which rebuilds every request's URI to strip the prefix.
fn resource_routes(p: &str) -> Router<Emulator> {
    Router::new()
        .route(&format!("{p}/Users"), with_405(get(users::list).post(users::create)))
        .route(&format!("{p}/Users/.search"), with_405(post(users::search_post)))
        .route(
            &format!("{p}/Users/{{id}}"),
            with_405(get(users::get).put(users::replace).patch(users::patch).delete(users::delete)),
        )
        .route(&format!("{p}/Groups"), with_405(get(groups::list).post(groups::create)))
        .route(&format!("{p}/Groups/.search"), with_405(post(groups::search_post)))
        .route(
            &format!("{p}/Groups/{{id}}"),
            with_405(
                get(groups::get).put(groups::replace).patch(groups::patch).delete(groups::delete),
            ),
        )
        .route(&format!("{p}/.search"), with_405(post(search_all)))
        .route(&format!("{p}/Bulk"), with_405(post(bulk::post)))
        .route(
            &format!("{p}/ServiceProviderConfig"),
            with_405(get(discovery::service_provider_config)),
        )
        .route(&format!("{p}/ResourceTypes"), with_405(get(discovery::resource_types_list)))
        .route(&format!("{p}/ResourceTypes/{{id}}"), with_405(get(discovery::resource_type)))
        .route(&format!("{p}/Schemas"), with_405(get(discovery::schemas_list)))
        .route(&format!("{p}/Schemas/{{id}}"), with_405(get(discovery::schema)))
        .route(&format!("{p}/health"), with_405(get(discovery::health)))
        .route(&format!("{p}/ping"), with_405(get(discovery::ping)))
}

/// SCIM routes (and `/ping`, `/health`) under `/`, `/scim/` and `/scim/v2/`.
pub fn routes() -> Router<Emulator> {
    ["", "/scim", "/scim/v2"].into_iter().fold(Router::new(), |r, p| r.merge(resource_routes(p)))
}

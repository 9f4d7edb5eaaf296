//! The HTTP layer: thin axum handlers over the domain. One router serves the SCIM bridge (under
//! `/`, `/scim/` and `/scim/v2/`), the Events API (`/api/...`) and the control plane
//! (`/__admin/...`).
//!
//! Every request passes through [`control_layer::control`]: it resolves the tenant from the
//! bearer token, applies the tenant's rate limiter and fault rules, and journals the request.

use axum::Router;

use crate::state::Emulator;

pub mod admin;
pub mod control_layer;
pub mod events;
pub mod scim;

/// Only the Events API (`/api/...`), behind the same control layer as the main router (journal,
/// faults, rate limits): what `scimulator serve --events-port` serves on its second listener, so
/// the emulator can stand in for a separate events host.
pub fn events_router(emulator: Emulator) -> Router {
    events::routes()
        .layer(axum::middleware::from_fn_with_state(emulator.clone(), control_layer::control))
        .with_state(emulator)
}

/// The whole emulator as one axum `Router`, ready for `axum::serve` or `tower::ServiceExt::oneshot`.
pub fn router(emulator: Emulator) -> Router {
    Router::new()
        .merge(scim::routes())
        .merge(events::routes())
        .nest("/__admin", admin::routes(&emulator))
        .layer(axum::middleware::from_fn_with_state(emulator.clone(), control_layer::control))
        .with_state(emulator)
}

//! The HTTP layer: thin axum handlers over the domain. One router serves the SCIM bridge (under
//! `/`, `/scim/` and `/scim/v2/`), the Events API (`/api/...`) and the control plane
//! (`/__admin/...`).

use axum::Router;

use crate::state::Emulator;

pub mod admin;
pub mod events;
pub mod scim;

/// The whole emulator as one axum `Router`, ready for `axum::serve` or `tower::ServiceExt::oneshot`.
pub fn router(emulator: Emulator) -> Router {
    Router::new()
        .merge(scim::routes())
        .merge(events::routes())
        .nest("/__admin", admin::routes().merge(events::admin_routes()))
        .with_state(emulator)
}

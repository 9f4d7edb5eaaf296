//! The HTTP layer: thin axum handlers over the domain. One router serves the SCIM bridge (under
//! `/`, `/scim/` and `/scim/v2/`), the Events API (`/api/...`) and the control plane
//! (`/__admin/...`).
//!
//! Every request passes through [`control_layer::ControlLayer`]: it resolves the tenant from the
//! bearer token, applies the tenant's rate limiter and fault rules, and journals the request.

use axum::Router;
use tower::Layer;

use control_layer::{Control, ControlLayer};

use crate::state::Emulator;

pub mod admin;
pub mod bearer;
pub mod control_layer;
pub mod events;
pub mod persist_layer;
pub mod scim;
pub mod users_api;

/// Only the Events API (`/api/...`), behind the same control layer as the main router (journal,
/// faults, rate limits): what `scimulator serve --events-port` serves on its second listener, so
/// the emulator can stand in for a separate events host.
pub fn events_router(emulator: Emulator) -> Router {
    with_control(events::routes().with_state(emulator.clone()), emulator)
}

/// Only the Users API (`/v1beta1/...`), behind the control layer: what `scimulator serve
/// --users-api-port` serves on its own listener, standing in for `api.1password.com`.
pub fn users_api_router(emulator: Emulator) -> Router {
    with_control(users_api::routes().with_state(emulator.clone()), emulator)
}

/// The whole emulator as one axum `Router`, ready for `axum::serve` or `tower::ServiceExt::oneshot`.
pub fn router(emulator: Emulator) -> Router {
    Router::new().fallback_service(app(emulator))
}

/// The whole emulator as the tower service [`crate::serve`] runs: the routes behind the control
/// layer, with no outer `Router` (whose fallback would route, and clone a boxed service, once
/// more per request).
pub fn app(emulator: Emulator) -> Control<Router> {
    let mut routes = routes(&emulator);
    // With a state file every write goes through the change log (see `persist_layer`).
    if emulator.control().store().is_some() {
        let logged = persist_layer::PersistLayer::new(emulator.clone()).layer(routes);
        routes = Router::new().fallback_service(logged);
    }
    ControlLayer::new(emulator).layer(routes)
}

/// The routes alone, with no control layer (no journal, faults or limits) and no change log:
/// what replaying the change log runs writes through.
pub fn routes(emulator: &Emulator) -> Router {
    Router::new()
        .route("/", axum::routing::get(index))
        .merge(scim::routes())
        .merge(events::routes())
        .merge(users_api::routes())
        .nest("/__admin", admin::routes(emulator))
        .fallback(scim::discovery::not_found)
        .with_state(emulator.clone())
}

/// `routes` behind the control layer, as a `Router` again. The layer wraps the routes once
/// (`Router::layer` would wrap every route, cloning a boxed service per request).
fn with_control(routes: Router, emulator: Emulator) -> Router {
    Router::new().fallback_service(ControlLayer::new(emulator).layer(routes))
}

/// `GET /`: what is served where, so a browser or `curl` pointed at the port learns its way
/// (the real bridge answers its own web page here; a JSON map is what a test tool wants).
async fn index() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "name": "scimulator",
        "version": env!("CARGO_PKG_VERSION"),
        "scim": "/scim/v2 (also / and /scim), bearer SCIM token",
        "events": "/api/v1, /api/v2, /api/v3, bearer Events API token",
        "admin": "/__admin, bearer admin token; /__admin/health and /__admin/openapi.json are open",
    }))
}

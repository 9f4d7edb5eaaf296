//! SCIM bridge routes.

use axum::Router;
use axum::routing::get;

use crate::state::Emulator;

/// SCIM routes (and `/ping`, `/health`).
pub fn routes() -> Router<Emulator> {
    Router::new().route("/ping", get(|| async { "pong" }))
}

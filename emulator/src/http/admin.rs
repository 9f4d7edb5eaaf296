//! Control-plane routes under `/__admin`.

use axum::Router;

use crate::state::Emulator;

/// Control-plane routes (nested under `/__admin`).
pub fn routes() -> Router<Emulator> {
    Router::new()
}

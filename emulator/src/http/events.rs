//! Events API routes.

use axum::Router;

use crate::state::Emulator;

/// Events API routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
}

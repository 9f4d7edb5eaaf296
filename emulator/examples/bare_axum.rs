//! The baseline for `scripts/bench-scim.sh` and `scripts/bench-growth.sh`: bare axum handlers
//! returning a fixed SCIM user body, served the same way as the emulator, so the scripts can
//! compare requests per second. GET answers `/scim/v2/Users/{id}`; POST `/scim/v2/Users` and
//! PATCH `/scim/v2/Users/{id}` read the request body and answer the same (the write baseline).
//!
//! Usage: `cargo run --release -p emulator --example bare_axum -- PORT`

use axum::Router;
use axum::http::header;
use axum::routing::{get, post};
use bytes::Bytes;

const BODY: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"FHNN6ANJUZF3FFXYHEE6EWPHSM","userName":"victor@example.com","name":{"givenName":"Victor","familyName":"Nango","formatted":"Victor Nango"},"displayName":"Victor Nango","active":true,"emails":[{"value":"victor@example.com","primary":true}],"preferredLanguage":"en","meta":{"resourceType":"User"}}"#;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(3999);
    let reply = || async { ([(header::CONTENT_TYPE, "application/scim+json")], BODY) };
    let write = |body: Bytes| async move {
        std::hint::black_box(body);
        ([(header::CONTENT_TYPE, "application/scim+json")], BODY)
    };
    let app = Router::new()
        .route("/scim/v2/Users/{id}", get(reply).patch(write))
        .route("/scim/v2/Users", post(write));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await
}

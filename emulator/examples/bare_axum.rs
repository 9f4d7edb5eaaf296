//! The baseline for `scripts/bench-scim.sh`: a bare axum handler returning a fixed SCIM user
//! body, served the same way as the emulator, so the script can compare requests per second.
//!
//! Usage: `cargo run --release -p emulator --example bare_axum -- PORT`

use axum::Router;
use axum::http::header;
use axum::routing::get;

const BODY: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"FHNN6ANJUZF3FFXYHEE6EWPHSM","userName":"victor@example.com","name":{"givenName":"Victor","familyName":"Nango","formatted":"Victor Nango"},"displayName":"Victor Nango","active":true,"emails":[{"value":"victor@example.com","primary":true}],"preferredLanguage":"en","meta":{"resourceType":"User"}}"#;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(3999);
    let app = Router::new().route(
        "/scim/v2/Users/{id}",
        get(|| async { ([(header::CONTENT_TYPE, "application/scim+json")], BODY) }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await
}

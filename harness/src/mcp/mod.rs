//! `scimulator mcp`: the four user-lifecycle operations (and, with an Events token, the audit log
//! and sign-in attempts) as Model Context Protocol tools, over stdio or streamable HTTP, with the
//! official Rust SDK (`rmcp`).
//!
//! - [`backend`]: the [`UserDirectory`](backend::UserDirectory) the tools run against (the SCIM
//!   bridge through the connector).
//! - [`tools`]: names, descriptions, schemas, annotations and method filtering.
//! - [`server`]: the `ServerHandler`: calls, and errors as `isError` results.
//! - [`serve_stdio`] / [`serve_http`]: the transports.

pub mod backend;
pub mod server;
pub mod tools;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::ServiceExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};

pub use server::McpServer;
pub use tools::{Selection, SelectionError, ToolName};

/// Why an MCP transport stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The MCP session could not start (handshake) or ended abnormally.
    #[error("MCP session failed: {0}")]
    Session(String),
    /// The HTTP listener failed.
    #[error("MCP HTTP server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The path the streamable HTTP endpoint is served at.
pub const HTTP_PATH: &str = "/mcp";

/// Serves one MCP session on stdin/stdout until the client closes it.
pub async fn serve_stdio(server: McpServer) -> Result<(), ServeError> {
    let running = server
        .serve(rmcp::transport::stdio_pipes())
        .await
        .map_err(|e| ServeError::Session(e.to_string()))?;
    running.waiting().await.map_err(|e| ServeError::Session(e.to_string()))?;
    Ok(())
}

/// Serves streamable HTTP at `http://ADDR/mcp` on an already bound listener until `shutdown`
/// resolves. With a `bearer` token every request must carry `Authorization: Bearer <token>`.
pub async fn serve_http(
    server: McpServer,
    listener: tokio::net::TcpListener,
    bearer: Option<String>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let loopback = listener.local_addr()?.ip().is_loopback();
    let mut config = StreamableHttpServerConfig::default();
    if !loopback {
        // The default Host allow-list (loopback names) guards a local server against DNS
        // rebinding; a server bound for others to reach is guarded by its bearer token instead.
        config = config.disable_allowed_hosts();
    }
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        LocalSessionManager::default().into(),
        config,
    );
    let mut app = axum::Router::new().nest_service(HTTP_PATH, service);
    if let Some(token) = bearer {
        app = app.layer(middleware::from_fn_with_state(Arc::new(token), require_bearer));
    }
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    Ok(())
}

/// Is an HTTP listen address reachable only from this machine?
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

async fn require_bearer(State(token): State<Arc<String>>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    match given {
        Some(t) if constant_time_eq(t.as_bytes(), token.as_bytes()) => next.run(req).await,
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            axum::Json(serde_json::json!({
                "status": 401,
                "error": "missing or wrong bearer token for scimulator mcp",
            })),
        )
            .into_response(),
    }
}

/// Compares without an early exit, so the time taken does not tell how much of a guess matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
    }

    #[test]
    fn loopback_addresses() {
        assert!(is_loopback(&"127.0.0.1:0".parse().unwrap()));
        assert!(is_loopback(&"[::1]:8080".parse().unwrap()));
        assert!(!is_loopback(&"0.0.0.0:8080".parse().unwrap()));
        assert!(!is_loopback(&"192.168.1.2:8080".parse().unwrap()));
    }
}

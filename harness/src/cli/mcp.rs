//! `scimulator mcp`: serve the lifecycle tools to MCP clients (AI agents) over stdio, or over
//! streamable HTTP with `--http ADDR`. Every flag has an environment-variable twin.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use connector::events::EventsClient;
use connector::{Client, RetryPolicy, UsersApiCredentials};

use super::connector::{DEFAULT_EVENTS_URL, DEFAULT_URL};
use super::exit;
use crate::mcp::backend::UserDirectory;
use crate::mcp::{McpServer, Selection};

/// The user-directory APIs the tools can run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiArg {
    /// A 1Password SCIM bridge (the emulator or a real one): `--url`, `--token`.
    Scim,
    /// The 1Password Users API: `--url` (its base URL), `--client-id`, `--client-secret`,
    /// `--account-id`.
    UsersApi,
}

/// Flags of `mcp`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Which API the user tools call.
    #[arg(long, env = "SCIMULATOR_API", value_enum, default_value_t = ApiArg::Scim)]
    pub api: ApiArg,
    /// The bridge's base URL (any prefix: `/`, `/scim`, `/scim/v2`).
    #[arg(long, env = "SCIMULATOR_URL", default_value = DEFAULT_URL)]
    pub url: String,
    /// The SCIM bearer token.
    #[arg(long, env = "SCIMULATOR_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The Users API OAuth client id (with `--api users-api`).
    #[arg(long, env = "SCIMULATOR_CLIENT_ID")]
    pub client_id: Option<String>,
    /// The Users API OAuth client secret (with `--api users-api`).
    #[arg(long, env = "SCIMULATOR_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// The 1Password account id (with `--api users-api`).
    #[arg(long, env = "SCIMULATOR_ACCOUNT_ID")]
    pub account_id: Option<String>,
    /// The Events API bearer token; adds the list_audit_events and list_signin_attempts tools.
    #[arg(long, env = "SCIMULATOR_EVENTS_TOKEN", hide_env_values = true)]
    pub events_token: Option<String>,
    /// The Events API base URL (default: the token's audience, else the local emulator).
    #[arg(long, env = "SCIMULATOR_EVENTS_URL")]
    pub events_url: Option<String>,
    /// Expose only the tools that read (no suspend_user, no reactivate_user).
    #[arg(long, env = "SCIMULATOR_MCP_READ_ONLY")]
    pub read_only: bool,
    /// Expose only these tools (comma-separated names, e.g. `list_users,get_user`).
    #[arg(long, env = "SCIMULATOR_MCP_TOOLS", value_delimiter = ',', value_name = "TOOLS")]
    pub tools: Option<Vec<String>>,
    /// Retry 429 and 503 answers with backoff inside a call. Off by default: a 429 is returned to
    /// the agent as a tool error with retry_after, and the agent decides when to call again.
    #[arg(long, env = "SCIMULATOR_RETRY")]
    pub retry: bool,
    /// Request timeout in seconds.
    #[arg(long, env = "SCIMULATOR_TIMEOUT", default_value_t = 30)]
    pub timeout: u64,
    /// Serve streamable HTTP at http://ADDR/mcp instead of stdio (e.g. 127.0.0.1:8080).
    #[arg(long, env = "SCIMULATOR_MCP_HTTP", value_name = "ADDR")]
    pub http: Option<SocketAddr>,
    /// Bearer token HTTP clients must send; required when ADDR is not a loopback address.
    #[arg(long, env = "SCIMULATOR_MCP_HTTP_TOKEN", hide_env_values = true)]
    pub http_token: Option<String>,
}

/// Builds the server the flags describe (no request is made).
pub fn build_server(args: &McpArgs) -> Result<McpServer, String> {
    let retry = if args.retry { RetryPolicy::default() } else { RetryPolicy::none() };
    let timeout = Duration::from_secs(args.timeout.max(1));
    let users: Arc<dyn UserDirectory> = match args.api {
        ApiArg::Scim => {
            let token =
                args.token.clone().ok_or("no SCIM token: pass --token or set SCIMULATOR_TOKEN")?;
            let client = Client::builder(args.url.clone(), token)
                .timeout(timeout)
                .retry(retry.clone())
                .build()
                .map_err(|e| e.to_string())?;
            Arc::new(client)
        }
        ApiArg::UsersApi => {
            let need = |v: &Option<String>, flag: &str, env: &str| {
                v.clone().ok_or_else(|| format!("--api users-api needs {flag} (or {env})"))
            };
            let credentials = UsersApiCredentials {
                client_id: need(&args.client_id, "--client-id", "SCIMULATOR_CLIENT_ID")?,
                client_secret: need(
                    &args.client_secret,
                    "--client-secret",
                    "SCIMULATOR_CLIENT_SECRET",
                )?,
                account_id: need(&args.account_id, "--account-id", "SCIMULATOR_ACCOUNT_ID")?,
            };
            let client = Client::users_api_builder(args.url.clone(), credentials)
                .timeout(timeout)
                .retry(retry.clone())
                .build()
                .map_err(|e| e.to_string())?;
            Arc::new(client)
        }
    };
    let events = match &args.events_token {
        None => None,
        Some(token) => {
            let mut builder = EventsClient::builder(token.clone()).timeout(timeout).retry(retry);
            builder = match &args.events_url {
                Some(url) => builder.base_url(url.clone()),
                None if connector::events::audience_base_url(token).is_err() => {
                    builder.base_url(DEFAULT_EVENTS_URL)
                }
                None => builder,
            };
            Some(Arc::new(builder.build().map_err(|e| e.to_string())?))
        }
    };
    let selection =
        Selection { read_only: args.read_only, only: args.tools.clone(), events: events.is_some() };
    let tools = selection.resolve().map_err(|e| e.to_string())?;
    Ok(McpServer::new(users, events, tools))
}

/// Runs `mcp` until the client disconnects (stdio) or Ctrl-C / SIGTERM (HTTP).
pub async fn run(args: McpArgs) -> u8 {
    let server = match build_server(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let result = match args.http {
        None => crate::mcp::serve_stdio(server).await,
        Some(addr) => {
            if !crate::mcp::is_loopback(&addr) && args.http_token.is_none() {
                eprintln!(
                    "error: --http {addr} is not a loopback address: set --http-token (or \
                     SCIMULATOR_MCP_HTTP_TOKEN) so the tools are not open to the network"
                );
                return exit::USAGE;
            }
            let listener = match tokio::net::TcpListener::bind(addr).await {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("error: cannot listen on {addr}: {e}");
                    return exit::ERROR;
                }
            };
            match listener.local_addr() {
                Ok(bound) => eprintln!(
                    "scimulator mcp: streamable HTTP at http://{bound}{}",
                    crate::mcp::HTTP_PATH
                ),
                Err(e) => {
                    eprintln!("error: {e}");
                    return exit::ERROR;
                }
            }
            crate::mcp::serve_http(server, listener, args.http_token.clone(), shutdown_signal())
                .await
        }
    };
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("error: {e:#}");
            exit::ERROR
        }
    }
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

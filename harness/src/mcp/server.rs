//! The MCP server: `tools/list` gives the selected tools, `tools/call` runs them through the
//! backend. Every failure of a call the server understood (a bad argument, an unknown id, a
//! malformed filter, a 401, a 429, an unreachable bridge) is a tool result with `isError: true`,
//! a message the model can act on and the details as structured content, never a protocol error
//! or a crash. Only a call to a tool this server does not expose is a protocol error, as the MCP
//! specification asks.

use std::sync::Arc;

use connector::events::{EventKind, EventsClient, Start};
use connector::{Error, ListOptions};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::backend::UserDirectory;
use super::tools::ToolName;

/// The `scimulator mcp` server. Cheap to clone (the HTTP transport makes one per session).
#[derive(Clone)]
pub struct McpServer {
    inner: Arc<Inner>,
}

struct Inner {
    users: Arc<dyn UserDirectory>,
    events: Option<Arc<EventsClient>>,
    tools: Vec<ToolName>,
}

impl std::fmt::Debug for McpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpServer")
            .field("users", &self.inner.users.describe())
            .field("events", &self.inner.events.as_ref().map(|e| e.base_url().to_owned()))
            .field("tools", &self.inner.tools)
            .finish()
    }
}

impl McpServer {
    /// A server exposing `tools` (already filtered) over `users` and, when given, the Events API.
    pub fn new(
        users: Arc<dyn UserDirectory>,
        events: Option<Arc<EventsClient>>,
        tools: Vec<ToolName>,
    ) -> McpServer {
        McpServer { inner: Arc::new(Inner { users, events, tools }) }
    }

    /// The exposed tools.
    pub fn tools(&self) -> &[ToolName] {
        &self.inner.tools
    }

    /// Runs one exposed tool; failures become `isError` results.
    pub async fn call(&self, tool: ToolName, arguments: Option<JsonObject>) -> CallToolResult {
        let args = Value::Object(arguments.unwrap_or_default());
        match self.run(tool, args).await {
            Ok(value) => CallToolResult::structured(value),
            Err(e) => error_result(tool, &e),
        }
    }

    async fn run(&self, tool: ToolName, args: Value) -> Result<Value, Error> {
        let users = &self.inner.users;
        match tool {
            ToolName::ListUsers => {
                let a: ListArgs = parse_args(tool, args)?;
                let limit = match a.limit {
                    Some(0) => {
                        return Err(Error::InvalidArgument {
                            message: "limit must be at least 1".into(),
                        });
                    }
                    Some(n) => Some(usize::try_from(n.min(1000)).unwrap_or(1000)),
                    None => None,
                };
                let options = ListOptions {
                    filter: a.filter.filter(|f| !f.trim().is_empty()),
                    limit,
                    cursor: a.cursor.filter(|c| !c.trim().is_empty()),
                };
                let page = users.list_users(&options).await?;
                let users: Vec<Value> = page.users.iter().map(user_json).collect();
                Ok(json!({"users": users, "next_cursor": page.next_cursor, "total": page.total}))
            }
            ToolName::GetUser => {
                let a: IdArgs = parse_args(tool, args)?;
                Ok(user_json(&users.get_user(&a.id).await?))
            }
            ToolName::SuspendUser => {
                let a: IdArgs = parse_args(tool, args)?;
                Ok(user_json(&users.suspend_user(&a.id).await?))
            }
            ToolName::ReactivateUser => {
                let a: IdArgs = parse_args(tool, args)?;
                Ok(user_json(&users.reactivate_user(&a.id).await?))
            }
            ToolName::ListAuditEvents | ToolName::ListSigninAttempts => {
                let a: EventArgs = parse_args(tool, args)?;
                let Some(events) = &self.inner.events else {
                    return Err(Error::InvalidConfig {
                        message: "no Events API token is configured".into(),
                    });
                };
                let kind = if tool == ToolName::ListAuditEvents {
                    EventKind::Audit
                } else {
                    EventKind::SignIn
                };
                let start = match a.cursor.filter(|c| !c.trim().is_empty()) {
                    Some(cursor) => {
                        if a.limit.is_some() || a.start_time.is_some() {
                            return Err(Error::InvalidArgument {
                                message: "limit and start_time apply only when starting without \
                                          a cursor; a cursor continues where it left off"
                                    .into(),
                            });
                        }
                        Start::Cursor(cursor)
                    }
                    None => Start::Reset {
                        limit: a.limit,
                        start_time: a
                            .start_time
                            .as_deref()
                            .map(connector::events::parse_time)
                            .transpose()?,
                        end_time: None,
                    },
                };
                let page = events.poll(kind, start).await?;
                Ok(json!({"items": page.items, "cursor": page.cursor, "has_more": page.has_more}))
            }
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListArgs {
    filter: Option<String>,
    limit: Option<u64>,
    cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdArgs {
    id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventArgs {
    cursor: Option<String>,
    limit: Option<u32>,
    start_time: Option<String>,
}

fn parse_args<T: DeserializeOwned>(tool: ToolName, args: Value) -> Result<T, Error> {
    serde_json::from_value(args).map_err(|e| Error::InvalidArgument {
        message: format!("{tool}: {e} (see the tool's input schema)"),
    })
}

/// The normalised user without the raw SCIM resource: what an agent needs, in few tokens, and
/// the same whichever backend produced it.
fn user_json(user: &connector::User) -> Value {
    let mut v = serde_json::to_value(user).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.remove("raw");
    }
    v
}

/// The `isError` result of a failed call: a message saying what happened and what to do, and
/// `{"error": {kind, message, status, retry_after?, ratelimit?}}` as structured content.
pub fn error_result(tool: ToolName, e: &Error) -> CallToolResult {
    let mut error = json!({
        "kind": e.kind(),
        "message": e.to_string(),
        "status": e.status(),
    });
    if let Error::RateLimited { retry_after, rate_limit } = e {
        error["retry_after"] = json!(retry_after.map(|d| d.as_secs_f64()));
        error["ratelimit"] = json!(rate_limit);
    }
    let advice = match e {
        Error::RateLimited { retry_after, .. } => format!(
            "Nothing was done. Wait {}, then call {tool} again with the same arguments.",
            retry_after
                .map(|d| format!("{} seconds", d.as_secs_f64()))
                .unwrap_or_else(|| "a little".into())
        ),
        Error::NotFound { .. } => {
            "No such user: check the id (list_users returns the ids; filter by \
             userName eq \"<e-mail>\" to find one)."
                .into()
        }
        Error::InvalidFilter { .. } => {
            "The filter is not valid SCIM: fix it at the column shown, e.g. \
             userName eq \"jane@example.com\"."
                .into()
        }
        Error::InvalidCursor { .. } => {
            "Pass a cursor exactly as returned, with the same filter, or start over without one."
                .into()
        }
        Error::InvalidArgument { .. } => "Fix the arguments and call again.".into(),
        Error::Unauthorized { .. } => {
            "The server's credentials were refused; retrying will not help. An operator must \
             fix the token scimulator mcp was started with."
                .into()
        }
        Error::Transport { .. } | Error::Timeout { .. } => {
            "The server could not be reached; nothing is known to have changed. It may work \
             again later."
                .into()
        }
        _ => "The server answered with an error.".into(),
    };
    let mut result = CallToolResult::structured_error(json!({ "error": error }));
    result.content = vec![ContentBlock::text(format!("{tool} failed: {e}. {advice}"))];
    result
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let mut info = ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_instructions(format!(
                "Manage the users of one 1Password account ({}). Find users with list_users \
                 (a SCIM filter such as userName eq \"jane@example.com\"; follow next_cursor \
                 for more), then act on them by id. Suspending keeps the user's data and can \
                 be undone with reactivate_user. A tool error with kind rate_limited carries \
                 retry_after: wait that long before calling again.",
                self.inner.users.describe()
            ));
        info.server_info = Implementation::new("scimulator", env!("CARGO_PKG_VERSION"));
        info
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            self.inner.tools.iter().map(|t| t.definition()).collect(),
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let tool = ToolName::parse(&request.name).filter(|t| self.inner.tools.contains(t));
        let Some(tool) = tool else {
            let offered: Vec<&str> = self.inner.tools.iter().map(|t| t.as_str()).collect();
            return Err(ErrorData::invalid_params(
                format!(
                    "unknown tool {:?}; this server offers {}",
                    request.name,
                    offered.join(", ")
                ),
                None,
            ));
        };
        Ok(self.call(tool, request.arguments).await.into())
    }
}

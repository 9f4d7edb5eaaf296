//! `mcp` steps: start `scimulator mcp` against the scenario's tenant, connect a real MCP client
//! (rmcp) over stdio, call one tool, and turn its result into an [`Outcome`]. Each step is its own
//! session, as an agent that reconnects would have; state between steps travels in captured
//! variables (ids, cursors).

use std::path::PathBuf;
use std::process::Stdio;

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use super::{Env, Outcome};
use crate::scenario::McpOp;

/// Environment variables of `scimulator mcp` that must come from the step, not from the
/// environment the runner was started in.
const CLEARED_ENV: &[&str] = &[
    "SCIMULATOR_API",
    "SCIMULATOR_EVENTS_TOKEN",
    "SCIMULATOR_EVENTS_URL",
    "SCIMULATOR_MCP_HTTP",
    "SCIMULATOR_MCP_HTTP_TOKEN",
    "SCIMULATOR_MCP_READ_ONLY",
    "SCIMULATOR_MCP_TOOLS",
    "SCIMULATOR_RETRY",
    "SCIMULATOR_TIMEOUT",
];

/// The `scimulator` executable: `$SCIMULATOR_BIN`, else this process when it is `scimulator`
/// (`scimulator test`), else the one Cargo builds next to a test binary
/// (`target/debug/deps/<test>` → `target/debug/scimulator`).
pub fn scimulator_binary() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("SCIMULATOR_BIN") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    let name = format!("scimulator{}", std::env::consts::EXE_SUFFIX);
    if exe.file_name().is_some_and(|n| n == name.as_str()) {
        return Ok(exe);
    }
    exe.ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join(&name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            "cannot find the scimulator binary for an `mcp` step: set SCIMULATOR_BIN".to_owned()
        })
}

/// Runs one `mcp` step.
pub(super) async fn run(op: &McpOp, env: &Env) -> Result<Outcome, String> {
    let mut cmd = tokio::process::Command::new(scimulator_binary()?);
    cmd.arg("mcp");
    for var in CLEARED_ENV {
        cmd.env_remove(var);
    }
    // Tokens go in the environment, not on a command line other users can read.
    cmd.env("SCIMULATOR_URL", &env.scim_url).env("SCIMULATOR_TOKEN", &env.scim_token);
    if let Some(token) = &env.events_token {
        cmd.env("SCIMULATOR_EVENTS_TOKEN", token).env("SCIMULATOR_EVENTS_URL", &env.events_url);
    }
    if op.read_only {
        cmd.arg("--read-only");
    }
    let (transport, stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start scimulator mcp: {e}"))?;
    let client = match ().serve(transport).await {
        Ok(c) => c,
        Err(e) => {
            let mut text = String::new();
            if let Some(mut s) = stderr {
                let _ = s.read_to_string(&mut text).await;
            }
            return Err(format!(
                "scimulator mcp did not start an MCP session: {e}; {}",
                text.trim()
            ));
        }
    };
    let params = CallToolRequestParams::new(op.tool.clone()).with_arguments(op.arguments.clone());
    let result = client.call_tool(params).await;
    let _ = client.cancel().await;
    Ok(match result {
        Ok(r) => {
            let text: Vec<String> =
                r.content.iter().filter_map(|c| c.as_text().map(|t| t.text.clone())).collect();
            let body = r.structured_content.clone().unwrap_or_else(|| {
                text.first()
                    .and_then(|t| serde_json::from_str(t).ok())
                    .unwrap_or_else(|| json!({"content": text}))
            });
            if r.is_error == Some(true) {
                let err = body.get("error");
                let field = |k: &str| err.and_then(|e| e.get(k));
                Outcome {
                    status: field("status")
                        .and_then(Value::as_u64)
                        .and_then(|s| u16::try_from(s).ok()),
                    error: Some(
                        field("kind").and_then(Value::as_str).unwrap_or("tool_error").to_owned(),
                    ),
                    message: Some(text.join("\n")),
                    body,
                    ..Default::default()
                }
            } else {
                Outcome { status: Some(200), body, ..Default::default() }
            }
        }
        // A protocol error (an unknown or hidden tool): the server refused the call itself.
        Err(e) => Outcome {
            error: Some("protocol".to_owned()),
            message: Some(e.to_string()),
            body: json!({"error": "protocol", "message": e.to_string()}),
            ..Default::default()
        },
    })
}

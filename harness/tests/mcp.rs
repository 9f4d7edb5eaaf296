//! `scimulator mcp` end to end: the real binary, driven by the official Rust MCP client (rmcp)
//! over stdio (and streamable HTTP), against an emulator serving real HTTP. Effects are checked
//! on the emulator itself: SCIM state, the request journal, the audit log.

use std::collections::BTreeSet;
use std::process::Stdio;

use emulator::config::ClockMode;
use emulator::seed::Seed;
use emulator::{EmulatorConfig, TestServer};
use rmcp::model::{CallToolRequestParams, CallToolResult, Tool};
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

const BIN: &str = env!("CARGO_BIN_EXE_scimulator");

/// `n` seeded users (`user0@example.com`, ...) plus the owner every emulated account has.
async fn server(n: usize) -> TestServer {
    let users: Vec<_> = (0..n)
        .map(|i| json!({"userName": format!("user{i}@example.com"), "displayName": format!("User {i}")}))
        .collect();
    let seed = Seed::parse(&json!({"users": users}).to_string()).expect("valid seed");
    TestServer::with_config(EmulatorConfig {
        seed: Some(seed),
        clock: ClockMode::Manual,
        ..EmulatorConfig::default()
    })
    .await
}

/// `scimulator mcp` with a clean environment: only what the test sets.
fn command(url: &str, token: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.arg("mcp");
    for (k, _) in std::env::vars() {
        if k.starts_with("SCIMULATOR_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("SCIMULATOR_URL", url).env("SCIMULATOR_TOKEN", token);
    cmd
}

type Client = RunningService<RoleClient, ()>;

async fn spawn(cmd: tokio::process::Command) -> Client {
    let (transport, _) =
        TokioChildProcess::builder(cmd).stderr(Stdio::null()).spawn().expect("spawn scimulator");
    ().serve(transport).await.expect("an MCP session")
}

/// A session against the emulator's default tenant, with the Events token when `events`.
async fn connect(server: &TestServer, events: bool, args: &[&str]) -> Client {
    let mut cmd = command(&server.scim_url(), &server.scim_token());
    if events {
        cmd.env("SCIMULATOR_EVENTS_URL", server.events_url())
            .env("SCIMULATOR_EVENTS_TOKEN", server.events_token());
    }
    cmd.args(args);
    spawn(cmd).await
}

async fn call(client: &Client, tool: &str, args: Value) -> CallToolResult {
    let Value::Object(args) = args else { panic!("arguments must be an object") };
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(args))
        .await
        .unwrap_or_else(|e| panic!("{tool}: protocol error {e}"))
}

/// The structured result of a successful call.
fn ok(r: CallToolResult) -> Value {
    assert_ne!(r.is_error, Some(true), "unexpected tool error: {:?}", r.content);
    r.structured_content.expect("structured content")
}

/// The `error` object of a failed call (and its text, which must say what happened).
fn failed(r: CallToolResult) -> (Value, String) {
    assert_eq!(r.is_error, Some(true), "expected a tool error, got {:?}", r.structured_content);
    let text = r.content.iter().filter_map(|c| c.as_text()).map(|t| t.text.clone()).collect();
    (r.structured_content.expect("structured error")["error"].clone(), text)
}

fn names(tools: &[Tool]) -> Vec<String> {
    tools.iter().map(|t| t.name.to_string()).collect()
}

async fn admin(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let url = format!("{}/tenants/default{path}", server.admin_url());
    let mut req = reqwest::Client::new().request(method, url).bearer_auth(server.admin_token());
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("control plane");
    assert!(resp.status().is_success(), "control plane answered {}", resp.status());
    resp.json().await.unwrap_or(Value::Null)
}

async fn journal_count(server: &TestServer, method: &str, path: &str, status: Option<u16>) -> u64 {
    let mut q = format!("/journal/count?method={method}&path={path}");
    if let Some(s) = status {
        q.push_str(&format!("&status={s}"));
    }
    admin(server, reqwest::Method::GET, &q, None).await["count"].as_u64().expect("a count")
}

async fn scim_user(server: &TestServer, id: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}/Users/{id}", server.scim_url()))
        .bearer_auth(server.scim_token())
        .send()
        .await
        .expect("SCIM GET")
        .json()
        .await
        .expect("SCIM JSON")
}

async fn find(client: &Client, email: &str) -> Value {
    let page =
        ok(call(client, "list_users", json!({"filter": format!("userName eq \"{email}\"")})).await);
    assert_eq!(page["users"].as_array().map(Vec::len), Some(1), "{page}");
    page["users"][0].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn tools_are_listed_with_schemas_descriptions_and_annotations() {
    let server = server(1).await;
    let client = connect(&server, true, &[]).await;
    let info = client.peer_info().expect("server info");
    assert_eq!(info.server_info.as_ref().map(|i| i.name.as_str()), Some("scimulator"));
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(
        names(&tools),
        [
            "list_users",
            "get_user",
            "suspend_user",
            "reactivate_user",
            "list_audit_events",
            "list_signin_attempts"
        ]
    );
    for t in &tools {
        assert_eq!(t.input_schema.get("type"), Some(&json!("object")), "{}", t.name);
        assert!(t.output_schema.is_some(), "{} has an output schema", t.name);
        assert!(t.description.as_deref().is_some_and(|d| d.len() > 80), "{} is described", t.name);
        let a = t.annotations.as_ref().expect("annotations");
        let writes = t.name == "suspend_user" || t.name == "reactivate_user";
        assert_eq!(a.read_only_hint, Some(!writes), "{}", t.name);
        assert_eq!(a.destructive_hint, Some(t.name == "suspend_user"), "{}", t.name);
    }
    let get = tools.iter().find(|t| t.name == "get_user").unwrap();
    assert_eq!(get.input_schema.get("required"), Some(&json!(["id"])));
    client.cancel().await.unwrap();

    // Without an Events token the event tools do not exist.
    let client = connect(&server, false, &[]).await;
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(names(&tools), ["list_users", "get_user", "suspend_user", "reactivate_user"]);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_hides_and_refuses_the_write_tools() {
    let server = server(1).await;
    let client = connect(&server, true, &["--read-only"]).await;
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(
        names(&tools),
        ["list_users", "get_user", "list_audit_events", "list_signin_attempts"]
    );
    let user = find(&client, "user0@example.com").await;
    let id = user["id"].as_str().unwrap();
    let args = json!({"id": id});
    let refused = client
        .call_tool(
            CallToolRequestParams::new("suspend_user")
                .with_arguments(args.as_object().unwrap().clone()),
        )
        .await;
    assert!(refused.is_err(), "a hidden tool is a protocol error: {refused:?}");
    assert_eq!(scim_user(&server, id).await["active"], true);
    assert_eq!(journal_count(&server, "PATCH", &format!("/scim/v2/Users/{id}"), None).await, 0);
    client.cancel().await.unwrap();

    // The env twin does the same.
    let mut cmd = command(&server.scim_url(), &server.scim_token());
    cmd.env("SCIMULATOR_MCP_READ_ONLY", "true");
    let client = spawn(cmd).await;
    assert_eq!(names(&client.list_all_tools().await.unwrap()), ["list_users", "get_user"]);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn tools_flag_exposes_a_chosen_subset_and_rejects_unknown_names() {
    let server = server(1).await;
    let client = connect(&server, false, &["--tools", "get_user,list_users"]).await;
    assert_eq!(names(&client.list_all_tools().await.unwrap()), ["list_users", "get_user"]);
    client.cancel().await.unwrap();

    let mut cmd = command(&server.scim_url(), &server.scim_token());
    cmd.args(["--tools", "list_users,delete_user"]).stdin(Stdio::null());
    let out = cmd.output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("delete_user") && stderr.contains("list_users"), "{stderr}");

    let mut cmd = command(&server.scim_url(), &server.scim_token());
    cmd.args(["--tools", "suspend_user", "--read-only"]).stdin(Stdio::null());
    let out = cmd.output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--read-only"));
}

#[tokio::test(flavor = "multi_thread")]
async fn list_users_pages_with_cursors_and_filters() {
    let server = server(7).await;
    let client = connect(&server, false, &[]).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut args = json!({"limit": 3});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let page = ok(call(&client, "list_users", args).await);
        pages += 1;
        let users = page["users"].as_array().unwrap();
        assert!(users.len() <= 3);
        for u in users {
            assert!(u.get("raw").is_none(), "the raw SCIM resource is left out");
            assert!(u["groups"].is_array());
            seen.push(u["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    // 7 seeded users and the owner, each exactly once, over ceil(8 / 3) pages, although the
    // emulated bridge shuffles its order on every request.
    assert_eq!(seen.len(), 8);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 8);
    assert_eq!(pages, 3);

    let user = find(&client, "user3@example.com").await;
    assert_eq!(user["email"], "user3@example.com");
    assert_eq!(user["display_name"], "User 3");
    assert_eq!(user["status"], "active");
    let got = ok(call(&client, "get_user", json!({"id": user["id"]})).await);
    assert_eq!(got, user);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn suspend_and_reactivate_change_the_bridge_once_and_are_audited() {
    let server = server(2).await;
    let client = connect(&server, true, &[]).await;
    let user = find(&client, "user1@example.com").await;
    let id = user["id"].as_str().unwrap().to_owned();
    let path = format!("/scim/v2/Users/{id}");

    let suspended = ok(call(&client, "suspend_user", json!({"id": id})).await);
    assert_eq!(suspended["status"], "suspended");
    assert_eq!(suspended["email"], "user1@example.com");
    assert_eq!(scim_user(&server, &id).await["active"], false);
    // Idempotent: a second suspension answers the same user and sends no second PATCH.
    let again = ok(call(&client, "suspend_user", json!({"id": id})).await);
    assert_eq!(again["status"], "suspended");
    assert_eq!(journal_count(&server, "PATCH", &path, None).await, 1);

    let events = ok(call(&client, "list_audit_events", json!({"limit": 1000})).await);
    let suspensions: Vec<&Value> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "suspend" && e["object_uuid"] == json!(id))
        .collect();
    assert_eq!(suspensions.len(), 1, "{events}");
    assert!(events["cursor"].as_str().is_some_and(|c| !c.is_empty()));

    let active = ok(call(&client, "reactivate_user", json!({"id": id})).await);
    assert_eq!(active["status"], "active");
    assert_eq!(scim_user(&server, &id).await["active"], true);
    ok(call(&client, "reactivate_user", json!({"id": id})).await);
    assert_eq!(journal_count(&server, "PATCH", &path, None).await, 2);

    // Continuing from the cursor gives only what happened since: the reactivation.
    let more = ok(call(&client, "list_audit_events", json!({"cursor": events["cursor"]})).await);
    let actions: Vec<&Value> =
        more["items"].as_array().unwrap().iter().map(|e| &e["action"]).collect();
    assert_eq!(actions, [&json!("reactive")], "1Password names it `reactive`: {more}");
    // The other user was never touched.
    let other = find(&client, "user0@example.com").await;
    assert_eq!(other["status"], "active");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn caller_mistakes_are_tool_errors_the_agent_can_act_on() {
    let server = server(1).await;
    let client = connect(&server, true, &[]).await;

    let (e, text) =
        failed(call(&client, "get_user", json!({"id": "NOSUCHUSER0000000000000000"})).await);
    assert_eq!((e["kind"].as_str(), e["status"].as_u64()), (Some("not_found"), Some(404)));
    assert!(text.contains("list_users"), "{text}");

    let (e, text) =
        failed(call(&client, "suspend_user", json!({"id": "NOSUCHUSER0000000000000000"})).await);
    assert_eq!(e["kind"], "not_found");
    assert!(text.starts_with("suspend_user failed"), "{text}");

    // The filter is checked before any request, and the message names the column.
    let before = journal_count(&server, "GET", "/scim/v2/Users", None).await;
    let (e, _) = failed(call(&client, "list_users", json!({"filter": "userName eq"})).await);
    assert_eq!(e["kind"], "invalid_filter");
    assert!(e["message"].as_str().unwrap().contains("column"), "{e}");
    assert_eq!(journal_count(&server, "GET", "/scim/v2/Users", None).await, before);

    let (e, _) = failed(call(&client, "get_user", json!({})).await);
    assert_eq!(e["kind"], "invalid_argument");
    assert!(e["message"].as_str().unwrap().contains("id"), "{e}");
    let (e, _) = failed(call(&client, "list_users", json!({"fliter": "x"})).await);
    assert_eq!(e["kind"], "invalid_argument");
    assert!(e["message"].as_str().unwrap().contains("fliter"), "{e}");
    let (e, _) = failed(call(&client, "list_users", json!({"limit": 0})).await);
    assert_eq!(e["kind"], "invalid_argument");
    let (e, _) = failed(call(&client, "list_users", json!({"cursor": "not-a-cursor"})).await);
    assert_eq!(e["kind"], "invalid_cursor");
    let (e, _) =
        failed(call(&client, "list_audit_events", json!({"start_time": "yesterday"})).await);
    assert_eq!(e["kind"], "invalid_argument");
    let (e, _) =
        failed(call(&client, "list_signin_attempts", json!({"cursor": "abc", "limit": 5})).await);
    assert_eq!(e["kind"], "invalid_argument");

    // An unknown tool is a protocol error, and the session survives all of the above.
    let unknown = client.call_tool(CallToolRequestParams::new("delete_user")).await;
    assert!(unknown.is_err());
    ok(call(&client, "list_users", json!({"limit": 1})).await);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_is_a_401_tool_error() {
    let server = server(1).await;
    let client = spawn(command(&server.scim_url(), "wrong-token")).await;
    let (e, text) = failed(call(&client, "list_users", json!({})).await);
    assert_eq!((e["kind"].as_str(), e["status"].as_u64()), (Some("unauthorized"), Some(401)));
    assert!(text.contains("token"), "{text}");
    let (e, _) = failed(call(&client, "get_user", json!({"id": "ABC"})).await);
    assert_eq!(e["kind"], "unauthorized");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_is_returned_with_retry_after_and_not_retried() {
    let server = server(1).await;
    let client = connect(&server, false, &[]).await;
    let id = find(&client, "user0@example.com").await["id"].as_str().unwrap().to_owned();
    let path = format!("/scim/v2/Users/{id}");
    admin(
        &server,
        reqwest::Method::POST,
        "/faults",
        Some(json!({"match": {"method": "GET", "path": path}, "times": 1,
                    "action": {"status": 429, "retry_after": 7}})),
    )
    .await;
    let (e, text) = failed(call(&client, "get_user", json!({"id": id})).await);
    assert_eq!((e["kind"].as_str(), e["status"].as_u64()), (Some("rate_limited"), Some(429)));
    assert_eq!(e["retry_after"], 7.0);
    assert_eq!(e["ratelimit"]["retry_after"], 7.0);
    assert_eq!(e["ratelimit"]["remaining"], 0);
    assert_eq!(e["ratelimit"]["reset"], 7.0);
    assert!(e["ratelimit"]["limit"].as_u64().is_some(), "{e}");
    assert!(text.contains("7 seconds"), "{text}");
    // One request, no automatic retry.
    assert_eq!(journal_count(&server, "GET", &path, None).await, 1);
    assert_eq!(journal_count(&server, "GET", &path, Some(429)).await, 1);
    // The agent calls again after waiting (the fault was one-shot): it works.
    assert_eq!(ok(call(&client, "get_user", json!({"id": id})).await)["id"], json!(id));
    assert_eq!(journal_count(&server, "GET", &path, None).await, 2);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_flag_rides_out_a_429_inside_the_call() {
    let server = server(1).await;
    let client = connect(&server, false, &["--retry"]).await;
    let id = find(&client, "user0@example.com").await["id"].as_str().unwrap().to_owned();
    let path = format!("/scim/v2/Users/{id}");
    admin(
        &server,
        reqwest::Method::POST,
        "/faults",
        Some(json!({"match": {"method": "GET", "path": path}, "times": 1,
                    "action": {"status": 429, "retry_after": 1}})),
    )
    .await;
    assert_eq!(ok(call(&client, "get_user", json!({"id": id})).await)["id"], json!(id));
    assert_eq!(journal_count(&server, "GET", &path, Some(429)).await, 1);
    assert_eq!(journal_count(&server, "GET", &path, None).await, 2);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_bridge_is_a_transport_tool_error() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = spawn(command(&format!("http://127.0.0.1:{port}/scim/v2"), "t")).await;
    let (e, text) = failed(call(&client, "list_users", json!({})).await);
    assert_eq!(e["kind"], "transport");
    assert_eq!(e["status"], Value::Null);
    assert!(text.contains("could not be reached"), "{text}");
    let (e, _) = failed(call(&client, "suspend_user", json!({"id": "ABC"})).await);
    assert_eq!(e["kind"], "transport");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn signin_attempts_page_with_a_cursor() {
    let server = server(1).await;
    admin(
        &server,
        reqwest::Method::POST,
        "/events/signinattempts",
        Some(json!({"generate": 5, "seed": 7})),
    )
    .await;
    let client = connect(&server, true, &[]).await;
    let mut total = 0;
    let mut page = ok(call(&client, "list_signin_attempts", json!({"limit": 2})).await);
    let mut polls = 1;
    loop {
        total += page["items"].as_array().unwrap().len();
        if page["has_more"] != true {
            break;
        }
        page = ok(call(&client, "list_signin_attempts", json!({"cursor": page["cursor"]})).await);
        polls += 1;
        assert!(polls < 10, "paging must end");
    }
    assert_eq!(total, 5);
    assert!(polls >= 3, "2 per page: {polls} polls");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn streamable_http_with_a_bearer_token() {
    let server = server(2).await;
    let mut cmd = command(&server.scim_url(), &server.scim_token());
    cmd.args(["--http", "127.0.0.1:0", "--read-only"])
        .env("SCIMULATOR_MCP_HTTP_TOKEN", "s3cret")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("spawn scimulator mcp --http");
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let line = lines.next_line().await.unwrap().expect("the listening line");
    let url = line.rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/mcp"), "{line}");

    // Without the token: 401, before any MCP processing.
    let resp = reqwest::Client::new()
        .post(&url)
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let wrong = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(url.clone()).auth_header("guess"),
    );
    assert!(().serve(wrong).await.is_err(), "a wrong token gets no session");

    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(url).auth_header("s3cret"),
    );
    let client = ().serve(transport).await.expect("an MCP session over HTTP");
    assert_eq!(names(&client.list_all_tools().await.unwrap()), ["list_users", "get_user"]);
    let page = ok(call(&client, "list_users", json!({})).await);
    assert_eq!(page["users"].as_array().unwrap().len(), 3);
    let (e, _) =
        failed(call(&client, "get_user", json!({"id": "NOSUCHUSER0000000000000000"})).await);
    assert_eq!(e["kind"], "not_found");
    client.cancel().await.unwrap();
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn http_off_loopback_needs_a_token() {
    // Refused before binding anything.
    let mut cmd = command("http://127.0.0.1:9/scim/v2", "t");
    cmd.args(["--http", "0.0.0.0:0"]).stdin(Stdio::null());
    let out = cmd.output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--http-token"));
}

#[test]
fn mcp_steps_parse_and_typos_are_named() {
    use harness::scenario::{Action, load_str};
    let path = std::path::Path::new("agent.yaml");
    let s = load_str(
        path,
        "name: agent\nsteps:\n  - mcp: {tool: get_user, arguments: {id: ABC}, read_only: true}\n",
    )
    .unwrap();
    let Action::Mcp(op) = &s.steps[0].action else { panic!("an mcp step: {:?}", s.steps[0]) };
    assert_eq!(op.tool, "get_user");
    assert_eq!(op.arguments.get("id"), Some(&json!("ABC")));
    assert!(op.read_only);
    assert_eq!(s.steps[0].action.keyword(), "mcp");

    let e = load_str(path, "name: agent\nsteps:\n  - mcp: {tool: get_user, args: {id: A}}\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("args"), "{e}");
    let e = load_str(path, "name: agent\nsteps:\n  - mcp: {tool: get_user}\n    get: ABC\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("mcp") && e.contains("get"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_users_api_backend_serves_the_same_tools() {
    let server = server(2).await;
    let creds = server.users_api_credentials();
    let mut cmd = command(&server.users_api_url(), "unused");
    cmd.env_remove("SCIMULATOR_TOKEN")
        .env("SCIMULATOR_CLIENT_ID", &creds.client_id)
        .env("SCIMULATOR_CLIENT_SECRET", &creds.client_secret)
        .env("SCIMULATOR_ACCOUNT_ID", &creds.account_id)
        .args(["--api", "users-api"]);
    let client = spawn(cmd).await;
    let user = find(&client, "user1@example.com").await;
    let id = user["id"].as_str().unwrap().to_owned();

    let suspended = ok(call(&client, "suspend_user", json!({"id": id})).await);
    assert_eq!(suspended["status"], "suspended");
    // The change went through the Users API, and the bridge sees it.
    assert_eq!(scim_user(&server, &id).await["active"], false);
    let suspend_path = format!("/v1beta1/accounts/{}/users/{id}:suspend", creds.account_id);
    assert_eq!(journal_count(&server, "POST", &suspend_path, Some(200)).await, 1);
    assert_eq!(journal_count(&server, "PATCH", &format!("/scim/v2/Users/{id}"), None).await, 0);

    let active = ok(call(&client, "reactivate_user", json!({"id": id})).await);
    assert_eq!(active["status"], "active");
    assert_eq!(scim_user(&server, &id).await["active"], true);
    let got = ok(call(&client, "get_user", json!({"id": id})).await);
    assert_eq!(got["email"], "user1@example.com");
    client.cancel().await.unwrap();
}

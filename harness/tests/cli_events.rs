//! `scimulator events ...` and the connector commands' rate-limit exit code, end to end: the
//! real binary against an embedded emulator.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use emulator::TestServer;
use serde_json::{Value, json};

fn scimulator(server: &TestServer) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scimulator"));
    cmd.env("SCIMULATOR_URL", server.scim_url())
        .env("SCIMULATOR_TOKEN", server.scim_token())
        .env("SCIMULATOR_EVENTS_URL", server.events_url())
        .env("SCIMULATOR_EVENTS_TOKEN", server.events_token());
    cmd
}

async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run scimulator")).await.unwrap()
}

async fn admin_post(server: &TestServer, path: &str, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", server.admin_url()))
        .bearer_auth(server.admin_token())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_request_without_retry_exits_4_with_the_retry_hint() {
    let server = TestServer::start().await;
    let rule = json!({"action": {"status": 429, "retry_after": 7}});
    admin_post(&server, "/tenants/default/faults", rule).await;

    let mut cmd = scimulator(&server);
    cmd.args(["users", "list", "--json"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    let err: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(err["error"]["kind"], "rate_limited");
    assert_eq!(err["error"]["status"], 429);
    assert_eq!(err["error"]["retry_after_secs"], 7.0);

    let mut cmd = scimulator(&server);
    cmd.args(["events", "tail", "--kind", "audit", "--json"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    let err: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(err["error"]["kind"], "rate_limited");
}

/// Kills the child when dropped, so a failed assertion leaves no process behind.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tail_follow_prints_events_appended_after_it_started() {
    let server = TestServer::start().await;
    let mut cmd = scimulator(&server);
    cmd.args(["events", "tail", "--kind", "signin", "--json", "--follow", "--interval", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = Killed(cmd.spawn().expect("spawn scimulator"));
    let stdout = child.0.stdout.take().unwrap();
    // Pages arrive one JSON line each; read them on a thread, hand them over by channel.
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(serde_json::from_str(&line).expect("a JSON page per line")).is_err() {
                break;
            }
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(30)).expect("a first page");
    let before: Vec<Value> = first["items"].as_array().cloned().unwrap_or_default();

    let appended = admin_post(
        &server,
        "/tenants/default/events/signinattempts",
        json!({"generate": 3, "seed": 9}),
    )
    .await;
    let want: Vec<&str> =
        appended["uuids"].as_array().unwrap().iter().map(|u| u.as_str().unwrap()).collect();
    assert_eq!(want.len(), 3);

    // Still running, it polls again and prints exactly the new events.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while seen.len() < want.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        let page = rx.recv_timeout(left).expect("the appended events within 30 s");
        for item in page["items"].as_array().into_iter().flatten() {
            seen.push(item["uuid"].as_str().expect("uuid").to_owned());
        }
    }
    assert_eq!(seen, want);
    assert!(before.iter().all(|e| !want.contains(&e["uuid"].as_str().unwrap_or_default())));
    assert_eq!(child.0.try_wait().unwrap(), None, "--follow keeps running");
}

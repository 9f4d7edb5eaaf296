//! `--state-file` through the emulator's own test binary: a corrupt file is refused, a graceful
//! stop writes a final snapshot, and Events API tokens and cursors survive a restart. (Kill
//! tests during concurrent writes and a full disk: `harness/tests/persist_durability.rs`.)

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use emulator::control::persist;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_emulator-serve");

struct Running {
    child: Child,
    url: String,
    admin_token: String,
}

/// A test that fails half way must not leave its server running.
impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn start(dir: &Path, state: &Path) -> Running {
    let ready = dir.join("ready.json");
    let _ = std::fs::remove_file(&ready);
    let mut child = Command::new(BIN)
        .args(["--ready-file", ready.to_str().unwrap(), "--state-file", state.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn emulator-serve");
    // Wait for the ready file (written atomically by the server).
    for _ in 0..600 {
        if let Ok(text) = std::fs::read_to_string(&ready) {
            let v: Value = serde_json::from_str(&text).expect("ready file is JSON");
            return Running {
                child,
                url: v["url"].as_str().unwrap().to_owned(),
                admin_token: v["admin_token"].as_str().unwrap().to_owned(),
            };
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // Reap the child before failing so a broken start leaves no zombie behind.
    let _ = child.kill();
    let _ = child.wait();
    panic!("emulator-serve did not become ready");
}

/// The non-default tenants in a state file (stored by name, not creation order).
fn tenant_names(doc: &persist::StateDoc) -> Vec<String> {
    doc.tenants.iter().map(|t| t.name.clone()).filter(|n| n != "default").collect()
}

#[tokio::test]
async fn a_corrupt_state_file_stops_the_server_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::write(&state, "{\"format\": \"scimulator-state\", \"tenants\": [").unwrap();
    let out = Command::new(BIN)
        .args(["--ready-file", dir.path().join("ready.json").to_str().unwrap()])
        .args(["--state-file", state.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("corrupt") && err.contains("refusing to start"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&state).unwrap(),
        "{\"format\": \"scimulator-state\", \"tenants\": ["
    );
    assert!(!dir.path().join("ready.json").exists());
}

#[tokio::test]
async fn graceful_shutdown_saves_the_last_changes() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let r = start(dir.path(), &state);
    let (status, _) =
        admin_post(&reqwest::Client::new(), &r, "/tenants", json!({"name": "late"})).await;
    assert_eq!(status, 201);
    stop_gracefully(r);
    let doc = persist::read(&state).unwrap().expect("saved on shutdown");
    assert_eq!(tenant_names(&doc), ["late"]);
}

/// SIGTERM (the server saves on the way out) and wait for a clean exit.
fn stop_gracefully(mut r: Running) {
    let pid = r.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let exit = r.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

/// `POST /__admin{path}` with a JSON body: the status and the JSON answer.
async fn admin_post(http: &reqwest::Client, r: &Running, path: &str, body: Value) -> (u16, Value) {
    let resp = http
        .post(format!("{}/__admin{path}", r.url))
        .bearer_auth(&r.admin_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// `GET /__admin/tenants/default`.
async fn default_tenant(http: &reqwest::Client, r: &Running) -> Value {
    let resp = http
        .get(format!("{}/__admin/tenants/default", r.url))
        .bearer_auth(&r.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn events_api_tokens_and_cursors_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let http = reqwest::Client::new();
    let r = start(dir.path(), &state);
    let tenant = default_tenant(&http, &r).await;
    let token = tenant["events_token"].as_str().expect("events_token").to_owned();
    // A second token, minted through the control API, must survive too.
    let body = json!({"features": ["auditevents"]});
    let (status, minted) = admin_post(&http, &r, "/tenants/default/events/tokens", body).await;
    assert_eq!(status, 201, "{minted}");
    let minted = minted["token"].as_str().expect("minted token").to_owned();
    let page = |url: String, token: String, body: Value| {
        let http = http.clone();
        async move {
            let resp = http
                .post(format!("{url}/api/v1/auditevents"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        }
    };
    let (status, first) = page(r.url.clone(), token.clone(), json!({"limit": 1})).await;
    assert_eq!(status, 200, "{first}");
    let cursor = first["cursor"].as_str().expect("cursor").to_owned();
    let (status, before) = page(r.url.clone(), token.clone(), json!({"cursor": cursor})).await;
    assert_eq!(status, 200, "{before}");
    // A change, so there is something to save; then a graceful stop saves it.
    let (status, _) = admin_post(&http, &r, "/tenants", json!({"name": "other"})).await;
    assert_eq!(status, 201);
    stop_gracefully(r);

    let r = start(dir.path(), &state);
    let tenant = default_tenant(&http, &r).await;
    assert_eq!(tenant["events_token"], token.as_str());
    // The old cursor still verifies and reads the same page; both tokens still authenticate.
    let (status, after) = page(r.url.clone(), token.clone(), json!({"cursor": cursor})).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after, before);
    let (status, body) = page(r.url.clone(), minted, json!({"limit": 1})).await;
    assert_eq!(status, 200, "{body}");
    stop_gracefully(r);
}

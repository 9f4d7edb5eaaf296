//! `--state-file` crash safety: the server process is killed with SIGKILL at random points while
//! it saves; the file must always load and hold every change acknowledged before the last
//! completed save.

use std::io::Read;
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

fn start(dir: &Path, state: &Path, debounce_ms: u64) -> Running {
    let ready = dir.join("ready.json");
    let _ = std::fs::remove_file(&ready);
    let mut child = Command::new(BIN)
        .args(["--ready-file", ready.to_str().unwrap(), "--state-file", state.to_str().unwrap()])
        .args(["--debounce-ms", &debounce_ms.to_string()])
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

/// Kills with SIGKILL and returns the last generation the server reported saved.
fn kill(mut r: Running) -> Option<u64> {
    r.child.kill().expect("SIGKILL");
    r.child.wait().expect("reap");
    let mut err = String::new();
    r.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    err.lines()
        .filter_map(|l| l.strip_prefix("state saved: generation "))
        .filter_map(|g| g.trim().parse().ok())
        .next_back()
}

/// A small deterministic RNG for the kill points (xorshift).
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The non-default tenants in a state file (stored by name, not creation order).
fn tenant_names(doc: &persist::StateDoc) -> Vec<String> {
    doc.tenants.iter().map(|t| t.name.clone()).filter(|n| n != "default").collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_never_loses_a_saved_change_or_corrupts_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let http = reqwest::Client::new();
    let mut rng = Rng(0x5EED_1234_ABCD);
    // Every tenant in the file so far, in creation order.
    let mut durable: Vec<String> = Vec::new();

    for round in 0..6 {
        let r = start(dir.path(), &state, 1 + rng.below(20));
        // What was saved before the last kill is served again after the restart.
        let listed: Value = http
            .get(format!("{}/__admin/tenants", r.url))
            .bearer_auth(&r.admin_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut served: Vec<String> = listed["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .filter(|n| n != "default")
            .collect();
        served.sort();
        let mut expected = durable.clone();
        expected.sort();
        assert_eq!(served, expected, "round {round}: restart restores the saved tenants");

        // Create tenants as fast as the server acknowledges them, and SIGKILL it at a random
        // moment: with saves debounced by a few milliseconds, kills land before, during and
        // after writes.
        let (url, token, client) = (r.url.clone(), r.admin_token.clone(), http.clone());
        let creator = tokio::spawn(async move {
            let mut acked: Vec<String> = Vec::new();
            for i in 0.. {
                let name = format!("r{round}-t{i}");
                let sent = client
                    .post(format!("{url}/__admin/tenants"))
                    .bearer_auth(&token)
                    .json(&json!({"name": name}))
                    .send()
                    .await;
                match sent {
                    Ok(resp) if resp.status() == 201 => acked.push(name),
                    _ => break,
                }
            }
            acked
        });
        tokio::time::sleep(Duration::from_millis(30 + rng.below(200))).await;
        let last_saved = tokio::task::spawn_blocking(move || kill(r)).await.unwrap();
        let acked = creator.await.unwrap();

        // The file always loads...
        let doc = persist::read(&state).expect("state file loads after SIGKILL");
        let Some(doc) = doc else {
            assert!(last_saved.is_none() && durable.is_empty(), "round {round}: file vanished");
            continue;
        };
        let names = tenant_names(&doc);
        // ...holds the earlier rounds' tenants plus a prefix of this round's creations...
        let prefix = format!("r{round}-t");
        let (this, earlier): (Vec<_>, Vec<_>) = names.iter().partition(|n| n.starts_with(&prefix));
        let mut earlier: Vec<String> = earlier.into_iter().cloned().collect();
        earlier.sort();
        let mut before = durable.clone();
        before.sort();
        assert_eq!(earlier, before, "round {round}: earlier rounds' tenants kept");
        let mut idx: Vec<usize> = this.iter().map(|n| n[prefix.len()..].parse().unwrap()).collect();
        idx.sort();
        assert_eq!(idx, (0..idx.len()).collect::<Vec<_>>(), "round {round}: a prefix, no gaps");
        let this_round = idx;
        // At most one change beyond the acknowledged ones: the request in flight at the kill.
        assert!(this_round.len() <= acked.len() + 1, "round {round}: unacknowledged changes");
        // ...and at least every change the last completed save reported.
        if let Some(g) = last_saved {
            assert!(
                this_round.len() as u64 >= g,
                "round {round}: save of generation {g} reported but file holds {}",
                this_round.len()
            );
        }
        // A fresh emulator can load it.
        let fresh = emulator::Emulator::new(emulator::EmulatorConfig::default()).unwrap();
        assert!(persist::load(&fresh, &state).unwrap());
        durable = names;
    }
    assert!(!durable.is_empty(), "some saves completed across the rounds");
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
    // A long debounce: only the shutdown save can have written the change.
    let r = start(dir.path(), &state, 60_000);
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
    let r = start(dir.path(), &state, 60_000);
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

    let r = start(dir.path(), &state, 60_000);
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

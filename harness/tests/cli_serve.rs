//! `scimulator serve` as a real process: the ready file, the banner's URLs, and `--events-port`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// Kills the server when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(extra: &[&str]) -> (Server, Value) {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready.json");
    let child = Command::new(env!("CARGO_BIN_EXE_scimulator"))
        .args(["serve", "--port", "0", "--clock", "manual", "--ready-file"])
        .arg(&ready)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn scimulator serve");
    let server = Server(child);
    for _ in 0..400 {
        if let Ok(text) = std::fs::read_to_string(&ready)
            && let Ok(info) = serde_json::from_str::<Value>(&text)
        {
            return (server, info);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("scimulator serve wrote no ready file");
}

#[tokio::test]
async fn events_port_serves_only_the_events_api() {
    let (_server, info) = start(&["--events-port", "0"]);
    let url = info["url"].as_str().unwrap();
    let events_url = info["events_url"].as_str().unwrap();
    assert_ne!(url, events_url, "the Events API gets its own listener: {info}");
    let token = info["events_token"].as_str().unwrap();
    let http = reqwest::Client::new();

    let introspect = http
        .get(format!("{events_url}/api/v2/auth/introspect"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(introspect.status(), 200);
    let body: Value = introspect.json().await.unwrap();
    assert!(body["features"].as_array().unwrap().iter().any(|f| f == "auditevents"), "{body}");

    // The SCIM bridge is not on the events host, but is still on the main port.
    let scim_token = info["scim_token"].as_str().unwrap();
    let on_events =
        http.get(format!("{events_url}/scim/v2/Users")).bearer_auth(scim_token).send().await;
    assert_eq!(on_events.unwrap().status(), 404);
    let users = http
        .get(format!("{}/Users", info["scim_url"].as_str().unwrap()))
        .bearer_auth(scim_token)
        .send()
        .await
        .unwrap();
    assert_eq!(users.status(), 200);
}

#[tokio::test]
async fn ready_file_names_every_url_and_token() {
    let (_server, info) = start(&[]);
    for key in
        ["url", "scim_url", "scim_token", "events_url", "events_token", "admin_url", "admin_token"]
    {
        assert!(info[key].as_str().is_some_and(|s| !s.is_empty()), "{key} missing: {info}");
    }
    assert_eq!(info["events_url"], info["url"], "without --events-port the main port serves it");
    let health = reqwest::get(format!("{}/ping", info["url"].as_str().unwrap())).await.unwrap();
    assert_eq!(health.status(), 200);
}

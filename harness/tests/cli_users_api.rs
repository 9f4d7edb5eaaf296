//! `scimulator users ... --api users-api` end to end (the same output as through SCIM), and
//! `scimulator serve --users-api-port` with the ready file's Users API fields.

use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use emulator::seed::Seed;
use emulator::{EmulatorConfig, TestServer};
use serde_json::{Value, json};

async fn server(n: usize) -> TestServer {
    let users: Vec<_> = (0..n)
        .map(|i| json!({"userName": format!("user{i}@example.com"), "displayName": format!("User {i}")}))
        .collect();
    let seed = Seed::parse(&json!({"users": users}).to_string()).expect("valid seed");
    TestServer::with_config(EmulatorConfig { seed: Some(seed), ..EmulatorConfig::default() }).await
}

/// Runs `scimulator users <args>` through the given API, credentials from the environment.
async fn run(server: &TestServer, api: &str, args: &[&str]) -> Output {
    let creds = server.users_api_credentials();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scimulator"));
    cmd.arg("users").args(args).env("SCIMULATOR_API", api);
    if api == "scim" {
        cmd.env("SCIMULATOR_URL", server.scim_url()).env("SCIMULATOR_TOKEN", server.scim_token());
    } else {
        cmd.env("SCIMULATOR_URL", server.users_api_url())
            .env("SCIMULATOR_CLIENT_ID", creds.client_id)
            .env("SCIMULATOR_CLIENT_SECRET", creds.client_secret)
            .env("SCIMULATOR_ACCOUNT_ID", creds.account_id);
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("run scimulator")).await.unwrap()
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The JSON users without `raw` (the one field that shows which API answered).
fn users_of(text: &str) -> Value {
    let keep = |u: &mut Value| {
        if let Some(o) = u.as_object_mut() {
            o.retain(|k, _| ["id", "email", "display_name", "status"].contains(&k.as_str()));
        }
    };
    let mut v: Value = serde_json::from_str(text).unwrap();
    match v.get_mut("users").and_then(Value::as_array_mut) {
        Some(users) => users.iter_mut().for_each(keep),
        None => keep(&mut v),
    }
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_prints_the_same_through_either_api() {
    let server = server(7).await;
    let scim = users_of(&ok(&run(&server, "scim", &["list", "--all", "--json"]).await));
    let users_api = users_of(&ok(&run(&server, "users-api", &["list", "--all", "--json"]).await));
    assert_eq!(scim, users_api);
    assert_eq!(scim["total"], 8);
    let table_scim = ok(&run(&server, "scim", &["list", "--limit", "3"]).await);
    let table_api = ok(&run(&server, "users-api", &["list", "--limit", "3"]).await);
    assert_eq!(table_scim, table_api, "same table, same id order");
    assert_eq!(table_api.lines().count(), 4);

    let id = scim["users"][3]["id"].as_str().unwrap().to_owned();
    let suspended = users_of(&ok(&run(&server, "users-api", &["suspend", &id, "--json"]).await));
    assert_eq!(suspended["status"], "suspended");
    let via_scim = users_of(&ok(&run(&server, "scim", &["get", &id, "--json"]).await));
    assert_eq!(via_scim, suspended);
    let back = users_of(&ok(&run(&server, "users-api", &["reactivate", &id, "--json"]).await));
    assert_eq!(back["status"], "active");

    let missing = run(&server, "users-api", &["get", "AAAAAAAAAAAAAAAAAAAAAAAAAA", "--json"]).await;
    assert_eq!(missing.status.code(), Some(3), "not found");
    let v: Value = serde_json::from_slice(&missing.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "not_found");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scimulator"));
    cmd.args(["users", "list", "--api", "users-api", "--client-id", "x"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--client-secret"));
}

/// Kills the server when the test ends, pass or fail.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn users_api_port_serves_only_the_users_api() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready.json");
    let child = Command::new(env!("CARGO_BIN_EXE_scimulator"))
        .args([
            "serve",
            "--port",
            "0",
            "--clock",
            "manual",
            "--users-api-port",
            "0",
            "--ready-file",
        ])
        .arg(&ready)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn scimulator serve");
    let _server = Serve(child);
    let mut info = Value::Null;
    for _ in 0..400 {
        if let Ok(text) = std::fs::read_to_string(&ready)
            && let Ok(v) = serde_json::from_str::<Value>(&text)
        {
            info = v;
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    for key in ["users_api_url", "users_api_client_id", "users_api_client_secret", "account_id"] {
        assert!(info[key].as_str().is_some_and(|s| !s.is_empty()), "{key} missing: {info}");
    }
    let url = info["users_api_url"].as_str().unwrap();
    assert_ne!(url, info["url"].as_str().unwrap(), "its own listener");
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{url}/v1beta1/users/oauth2/token"))
        .basic_auth(
            info["users_api_client_id"].as_str().unwrap(),
            info["users_api_client_secret"].as_str(),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = token["access_token"].as_str().unwrap();
    let list = http
        .get(format!("{url}/v1beta1/accounts/{}/users", info["account_id"].as_str().unwrap()))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    let body: Value = list.json().await.unwrap();
    assert!(!body["results"].as_array().unwrap().is_empty(), "{body}");
    // The SCIM bridge is not on the Users API host.
    let scim = http
        .get(format!("{url}/scim/v2/Users"))
        .bearer_auth(info["scim_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(scim.status(), 404);
}

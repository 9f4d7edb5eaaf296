//! `scimulator users ...` end to end: the real binary against an embedded emulator (default
//! `onepassword` profile, whose list order changes on every call).

use std::collections::BTreeSet;
use std::process::{Command, Output};

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

async fn run(server: &TestServer, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scimulator"));
    cmd.arg("users")
        .args(args)
        .env("SCIMULATOR_URL", server.scim_url())
        .env("SCIMULATOR_TOKEN", server.scim_token());
    tokio::task::spawn_blocking(move || cmd.output().expect("run scimulator")).await.unwrap()
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[tokio::test(flavor = "multi_thread")]
async fn list_all_prints_every_user_exactly_once() {
    let server = server(30).await;
    let out = run(&server, &["list", "--all", "--json"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = stdout_json(&out);
    let emails: Vec<&str> =
        v["users"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails.len(), 30);
    let unique: BTreeSet<&str> = emails.iter().copied().collect();
    assert_eq!(unique.len(), 30);
    assert_eq!(v["total"], 30);

    // The table has a header and one line per user.
    let out = run(&server, &["list", "--all"]).await;
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("ID"), "{text}");
    assert_eq!(text.lines().count(), 31);
}

#[tokio::test(flavor = "multi_thread")]
async fn cursor_paging_from_the_command_line() {
    let server = server(17).await;
    let mut cursor: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let mut args = vec!["list", "--limit", "5", "--json"];
        if let Some(c) = &cursor {
            args.extend(["--cursor", c.as_str()]);
        }
        let out = run(&server, &args).await;
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v = stdout_json(&out);
        seen.extend(
            v["users"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()),
        );
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 17);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 17);
}

#[tokio::test(flavor = "multi_thread")]
async fn suspend_and_reactivate_round_trip() {
    let server = server(2).await;
    let out = run(&server, &["list", "--all", "--json"]).await;
    let id = stdout_json(&out)["users"][0]["id"].as_str().unwrap().to_owned();

    let out = run(&server, &["suspend", &id]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("suspended"));
    let out = run(&server, &["get", &id, "--json"]).await;
    assert_eq!(stdout_json(&out)["status"], "suspended");
    let out = run(&server, &["reactivate", &id, "--json"]).await;
    assert!(out.status.success());
    assert_eq!(stdout_json(&out)["status"], "active");
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_codes_tell_failures_apart() {
    let server = server(1).await;
    let out = run(&server, &["get", "AAAAAAAAAAAAAAAAAAAAAAAAAA", "--json"]).await;
    assert_eq!(out.status.code(), Some(3), "not found");
    assert_eq!(stdout_json(&out)["error"]["kind"], "not_found");

    let out = run(&server, &["list", "--filter", "userName eq"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid filter"));

    let out = run(&server, &["list", "--cursor", "tampered"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid cursor"));

    let out = run(&server, &["list", "--all", "--cursor", "x"]).await;
    assert_eq!(out.status.code(), Some(2), "usage error");
}

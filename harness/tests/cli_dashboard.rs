//! `scimulator serve` prints the dashboard's address: the ready file's `dashboard_url` opens the
//! page, and the token in its fragment opens the dashboard's data.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// Kills the server when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_banner_and_ready_file_give_a_working_dashboard_url() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimulator"))
        .args(["serve", "--port", "0", "--clock", "manual", "--ready-file"])
        .arg(&ready)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn scimulator serve");
    let stdout = child.stdout.take().unwrap();
    let _server = Server(child);
    // The banner is printed after the ready file is written.
    // Read the banner up to its last line (the server then prints nothing more).
    let banner: Vec<String> = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .take_while(|l| !l.starts_with("Press Ctrl-C"))
        .collect();
    let banner_line = banner
        .iter()
        .find(|l| l.trim_start().starts_with("Dashboard"))
        .unwrap_or_else(|| panic!("a Dashboard line in the banner: {banner:?}"));
    let info: Value = serde_json::from_str(&std::fs::read_to_string(&ready).unwrap()).unwrap();
    let url = info["dashboard_url"].as_str().expect("dashboard_url in the ready file");
    assert!(banner_line.ends_with(url), "{banner_line} vs {url}");

    let (page, token) = url.split_once("#token=").expect("the token in the fragment");
    assert_eq!(page, format!("{}/__admin/ui", info["url"].as_str().unwrap()));
    assert_eq!(token, info["admin_token"].as_str().unwrap());
    let http = reqwest::Client::new();
    let html = http.get(page).send().await.unwrap();
    assert_eq!(html.status(), 200);
    assert!(html.text().await.unwrap().contains("signin-form"));
    let users = http
        .get(format!("{}/tenants/default/users", info["admin_url"].as_str().unwrap()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(users.status(), 200);
    let body: Value = users.json().await.unwrap();
    assert!(body["users"].as_array().is_some_and(|u| !u.is_empty()), "{body}");
}

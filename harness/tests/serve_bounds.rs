//! `scimulator serve`'s connection bounds, against the real binary: a client that never
//! finishes its headers is disconnected, connections beyond the cap are closed at once, and
//! SIGTERM stops a server busy with a slow request within the shutdown deadline, saving state.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_scimulator");

struct Server {
    child: Child,
    url: String,
    addr: String,
    scim: String,
    admin: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn start(dir: &Path, extra: &[&str]) -> Server {
    let ready = dir.join("ready.json");
    let mut child = Command::new(BIN)
        .args(["serve", "--port", "0", "--ready-file", ready.to_str().unwrap()])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn scimulator serve");
    for _ in 0..1200 {
        if let Ok(v) = std::fs::read_to_string(&ready)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string()))
        {
            let s = |k: &str| v[k].as_str().unwrap().to_owned();
            let url = s("url");
            let addr = url.trim_start_matches("http://").to_owned();
            return Server { child, url, addr, scim: s("scim_token"), admin: s("admin_token") };
        }
        assert!(child.try_wait().unwrap().is_none(), "scimulator serve exited early");
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("scimulator serve did not become ready");
}

/// Reads until the server closes the connection (or a long safety timeout): whether it closed.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut buf = [0u8; 256];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

fn ping(s: &Server) -> u16 {
    let mut c = TcpStream::connect(&s.addr).unwrap();
    c.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let _ = c.read_to_string(&mut out);
    out.get(9..12).and_then(|code| code.parse().ok()).unwrap_or(0)
}

#[test]
fn slow_headers_are_cut_off_and_other_clients_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &["--header-timeout-secs", "1"]);
    // A slowloris: half a request line, then nothing.
    let mut slow = TcpStream::connect(&s.addr).unwrap();
    slow.write_all(b"GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\n").unwrap();
    // An idle connection that never sends anything.
    let mut idle = TcpStream::connect(&s.addr).unwrap();
    assert_eq!(ping(&s), 200, "others are served meanwhile");
    assert!(closed_by_server(&mut slow), "the slow client was disconnected");
    assert!(closed_by_server(&mut idle), "the idle client was disconnected");
    assert_eq!(ping(&s), 200);
}

#[test]
fn connections_beyond_the_cap_are_closed_until_one_frees_up() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &["--max-connections", "2", "--header-timeout-secs", "60"]);
    let held: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(&s.addr).unwrap()).collect();
    // Let the server accept both before the third arrives.
    std::thread::sleep(Duration::from_millis(300));
    let mut third = TcpStream::connect(&s.addr).unwrap();
    let _ = third.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(closed_by_server(&mut third), "over the cap: closed");
    drop(held);
    let mut answered = false;
    for _ in 0..100 {
        if ping(&s) == 200 {
            answered = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(answered, "a freed slot serves again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_busy_server_after_the_deadline_and_saves_state() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let s = start(
        dir.path(),
        &["--state-file", state.to_str().unwrap(), "--shutdown-timeout-secs", "1"],
    );
    let http = reqwest::Client::new();
    // A write to remember, then a request that would take a minute.
    let resp = http
        .post(format!("{}/__admin/tenants", s.url))
        .bearer_auth(&s.admin)
        .json(&serde_json::json!({"name": "kept"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let resp = http
        .post(format!("{}/__admin/tenants/default/faults", s.url))
        .bearer_auth(&s.admin)
        .json(&serde_json::json!({"match": {"method": "GET"}, "action": {"delay_ms": 60_000}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let slow = tokio::spawn(
        http.get(format!("{}/scim/v2/Users", s.url)).bearer_auth(s.scim.clone()).send(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut s = s;
    let pid = s.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    // The process exits on its own (the slow request is dropped after the deadline).
    let status = tokio::task::spawn_blocking(move || {
        let status = s.child.wait().unwrap();
        drop(s);
        status
    })
    .await
    .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(slow.await.unwrap().is_err(), "the slow request was dropped, not answered");
    let saved = std::fs::read_to_string(&state).unwrap();
    assert!(saved.contains("\"kept\""), "the final snapshot holds the tenant");
}

//! Shipping `scimulator` as a user meets it, as a real process: request logs in both formats
//! (and never a token in them), the ready file's life, the container's environment, `--help`
//! without secrets, `--version`, shell completions, and `test -k` with a typo.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_scimulator");

/// A `scimulator serve` child; killed when dropped, so a failing test leaves nothing running.
struct Server {
    child: Child,
    info: Value,
    ready: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve --port 0 --ready-file` with `args` and `env`, stderr piped (the logs).
fn serve(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
    let ready = dir.join("ready.json");
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--port", "0", "--clock", "manual", "--ready-file"])
        .arg(&ready)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn scimulator serve");
    for _ in 0..400 {
        if let Ok(text) = std::fs::read_to_string(&ready) {
            // Written with a rename: whatever is there is the whole document.
            let info: Value = serde_json::from_str(&text).expect("the ready file is whole JSON");
            return Server { child, info, ready };
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("serve exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let _ = child.kill();
    panic!("no ready file");
}

/// SIGTERM, then waits; returns stderr's lines.
fn stop(mut server: Server) -> Vec<String> {
    let pid = server.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM");
    assert!(status.success());
    let exit = server.child.wait().expect("wait");
    assert!(exit.success(), "serve exits 0 on SIGTERM: {exit}");
    let stderr = server.child.stderr.take().expect("stderr");
    BufReader::new(stderr).lines().map_while(Result::ok).collect()
}

/// A few requests of every kind: SCIM with a token, a 401, a control-plane call, an injected
/// fault and an Events API read.
async fn traffic(info: &Value) {
    let s = |k: &str| info[k].as_str().unwrap().to_owned();
    let http = reqwest::Client::new();
    let users = http.get(format!("{}/Users", s("scim_url"))).bearer_auth(s("scim_token"));
    assert_eq!(users.send().await.unwrap().status(), 200);
    let bad = http.get(format!("{}/Users", s("scim_url"))).bearer_auth("not-a-token");
    assert_eq!(bad.send().await.unwrap().status(), 401);
    let rule = serde_json::json!({"match": {"path": "/scim/v2/Groups"}, "times": 1,
                                  "action": {"status": 503}});
    let fault = http
        .post(format!("{}/tenants/default/faults", s("admin_url")))
        .bearer_auth(s("admin_token"))
        .json(&rule);
    assert_eq!(fault.send().await.unwrap().status(), 201);
    let groups = http.get(format!("{}/Groups", s("scim_url"))).bearer_auth(s("scim_token"));
    assert_eq!(groups.send().await.unwrap().status(), 503);
    let events = http
        .post(format!("{}/api/v2/auditevents", s("events_url")))
        .bearer_auth(s("events_token"))
        .json(&serde_json::json!({}));
    assert_eq!(events.send().await.unwrap().status(), 200);
}

fn assert_no_secret(lines: &[String], info: &Value) {
    for key in ["scim_token", "events_token", "admin_token"] {
        let secret = info[key].as_str().unwrap();
        for line in lines {
            assert!(!line.contains(secret), "{key} leaked into the log: {line}");
        }
    }
    assert!(lines.iter().all(|l| !l.contains("not-a-token")), "a bearer value was logged");
}

#[tokio::test]
async fn json_logs_have_one_line_per_request_with_tenant_status_and_fault() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--log-format", "json"], &[("RUST_LOG", "info")]);
    let info = server.info.clone();
    traffic(&info).await;
    let lines = stop(server);
    assert_no_secret(&lines, &info);
    let requests: Vec<Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["target"] == "scimulator::request")
        .collect();
    assert_eq!(requests.len(), 5, "one line per request: {lines:#?}");
    let find = |method: &str, path: &str, status: u64| {
        requests
            .iter()
            .find(|r| r["method"] == method && r["path"] == path && r["status"] == status)
            .unwrap_or_else(|| panic!("no {method} {path} {status} in {requests:#?}"))
    };
    let users = find("GET", "/scim/v2/Users", 200);
    assert_eq!((users["tenant"].as_str(), users["fault"].as_str()), (Some("default"), Some("-")));
    assert_eq!(users["level"], "INFO");
    assert!(users["duration_us"].is_u64());
    assert_eq!(find("GET", "/scim/v2/Users", 401)["tenant"], "-");
    assert_eq!(find("POST", "/__admin/tenants/default/faults", 201)["tenant"], "-");
    let faulted = find("GET", "/scim/v2/Groups", 503);
    assert!(faulted["fault"].as_str().is_some_and(|f| f != "-"), "the rule is named: {faulted}");
    assert_eq!(find("POST", "/api/v2/auditevents", 200)["tenant"], "default");
}

#[tokio::test]
async fn text_logs_by_default_and_rust_log_filters_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[], &[]);
    let info = server.info.clone();
    traffic(&info).await;
    let lines = stop(server);
    assert_no_secret(&lines, &info);
    let requests: Vec<&String> =
        lines.iter().filter(|l| l.contains("scimulator::request")).collect();
    assert_eq!(requests.len(), 5, "{lines:#?}");
    let users = requests
        .iter()
        .find(|l| l.contains("path=\"/scim/v2/Users\"") && l.contains("status=200"))
        .unwrap_or_else(|| panic!("{requests:#?}"));
    assert!(users.contains("INFO") && users.contains("method=\"GET\""), "{users}");
    assert!(users.contains("tenant=\"default\"") && users.contains("duration_us="), "{users}");

    // RUST_LOG=warn: no request lines at all.
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[], &[("RUST_LOG", "warn")]);
    let info = server.info.clone();
    traffic(&info).await;
    let lines = stop(server);
    assert!(lines.iter().all(|l| !l.contains("scimulator::request")), "{lines:#?}");
}

#[test]
fn a_bad_rust_log_is_a_usage_error() {
    let out = Command::new(BIN)
        .args(["serve", "--port", "0"])
        .env("RUST_LOG", "scimulator=loud")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("RUST_LOG"));
}

#[tokio::test]
async fn the_ready_file_is_removed_on_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[], &[]);
    let ready = server.ready.clone();
    assert!(ready.exists());
    stop(server);
    assert!(!ready.exists(), "a ready file left behind would announce a dead server");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(leftovers.is_empty(), "no temp files left either: {leftovers:?}");
}

/// What the Dockerfile says the container runs with.
struct Image {
    env: Vec<(String, String)>,
    health_path: String,
    user: String,
    exposed: String,
}

fn image() -> Image {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Dockerfile"))
        .expect("Dockerfile at the repository root");
    // The final stage: everything after the last FROM.
    let last = text.rsplit_once("\nFROM ").map(|(_, s)| s).expect("a multi-stage build");
    assert!(text.matches("\nFROM ").count() >= 1 && text.starts_with('#'), "multi-stage");
    let mut env = Vec::new();
    let mut logical = String::new();
    let mut lines = Vec::new();
    for line in last.lines() {
        if let Some(cont) = line.strip_suffix('\\') {
            logical.push_str(cont);
            continue;
        }
        logical.push_str(line);
        lines.push(std::mem::take(&mut logical));
    }
    let (mut health_path, mut user, mut exposed) = (String::new(), String::new(), String::new());
    for line in &lines {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("ENV ") {
            for pair in rest.split_whitespace() {
                let (k, v) = pair.split_once('=').expect("ENV K=V");
                env.push((k.to_owned(), v.to_owned()));
            }
        } else if let Some(rest) = line.strip_prefix("HEALTHCHECK ") {
            let url = rest.split('"').find(|s| s.starts_with("http://")).expect("health URL");
            health_path = url.split_once("}").expect("${SCIMULATOR_PORT}").1.to_owned();
        } else if let Some(rest) = line.strip_prefix("USER ") {
            user = rest.trim().to_owned();
        } else if let Some(rest) = line.strip_prefix("EXPOSE ") {
            exposed = rest.trim().to_owned();
        }
    }
    Image { env, health_path, user, exposed }
}

#[tokio::test]
async fn the_container_environment_refuses_an_open_control_plane_and_passes_its_health_check() {
    let img = image();
    assert_eq!(img.exposed, "3002");
    assert!(!img.user.is_empty() && img.user != "root" && img.user != "0", "non-root");
    let env: std::collections::HashMap<_, _> = img.env.iter().cloned().collect();
    assert_eq!(env.get("SCIMULATOR_BIND").map(String::as_str), Some("0.0.0.0"));
    assert_eq!(env.get("SCIMULATOR_PORT").map(String::as_str), Some("3002"));
    assert_eq!(img.health_path, "/__admin/health");

    // The image's environment without an admin token: refused before any socket is opened.
    let out = Command::new(BIN)
        .arg("serve")
        .envs(img.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env_remove("SCIMULATOR_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--admin-token"), "{out:?}");

    // With a token it serves, and the health check's request answers 200 without one. (The
    // test binds loopback: servers on this machine must not listen on every interface.)
    let dir = tempfile::tempdir().unwrap();
    let server = serve(
        dir.path(),
        &[],
        &[("SCIMULATOR_BIND", "127.0.0.1"), ("SCIMULATOR_ADMIN_TOKEN", "container-admin")],
    );
    let url = server.info["url"].as_str().unwrap();
    let health = reqwest::get(format!("{url}{}", img.health_path)).await.unwrap();
    assert_eq!(health.status(), 200);
    let guarded = reqwest::get(format!("{url}/__admin/tenants")).await.unwrap();
    assert_eq!(guarded.status(), 401, "the rest of the control plane needs the token");
    assert_eq!(server.info["admin_token"], "container-admin");
}

#[test]
fn help_never_prints_tokens_from_the_environment() {
    let secret = "s3cr3t-from-env";
    for sub in [
        &["serve", "--help"][..],
        &["test", "--help"],
        &["users", "list", "--help"],
        &["events", "tail", "--help"],
    ] {
        let out = Command::new(BIN)
            .args(sub)
            .env("SCIMULATOR_TOKEN", secret)
            .env("SCIMULATOR_SCIM_TOKEN", secret)
            .env("SCIMULATOR_ADMIN_TOKEN", secret)
            .env("SCIMULATOR_EVENTS_TOKEN", secret)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("Usage"), "{sub:?}: {text}");
        assert!(!text.contains(secret), "{sub:?} --help printed a token:\n{text}");
    }
}

#[test]
fn version_names_the_revision_and_help_the_tool_not_the_crate() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&out.stdout);
    assert!(version.starts_with(&format!("scimulator {}", env!("CARGO_PKG_VERSION"))), "{version}");
    // Built from this git checkout, so the revision is there.
    let rev = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output();
    if let Ok(rev) = rev
        && rev.status.success()
    {
        let rev = String::from_utf8_lossy(&rev.stdout).trim().to_owned();
        assert!(version.contains(&format!("({rev})")), "{version} lacks {rev}");
    }
    let help = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.starts_with("Build and test 1Password"), "{help}");
    assert!(help.contains("completions"), "{help}");
}

#[test]
fn completions_for_each_shell_name_the_subcommands() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef scimulator"),
        ("fish", "complete -c scimulator"),
    ] {
        let out = Command::new(BIN).args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        for sub in ["serve", "test", "users", "events"] {
            assert!(script.contains(sub), "{shell} script lacks {sub}");
        }
    }
    let bad = Command::new(BIN).args(["completions", "powershell7"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn a_k_filter_that_matches_nothing_fails() {
    let scenarios = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios");
    let out =
        Command::new(BIN).args(["test", scenarios, "-k", "offbaording-typo"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("offbaording-typo") && err.contains("matches no scenario"), "{err}");
}

#[test]
fn snapshots_are_found_beside_the_scenarios_from_any_directory() {
    // Run from a directory with no snapshots/: the default is the scenario folder's sibling.
    let elsewhere = tempfile::tempdir().unwrap();
    let scenarios = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios");
    let out = Command::new(BIN)
        .current_dir(elsewhere.path())
        .args(["test", scenarios, "-j", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    let left: Vec<_> = std::fs::read_dir(elsewhere.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing written to the working directory: {left:?}");
}

/// Adds a fault rule or generated events to the default tenant.
async fn admin_post(info: &Value, path: &str, body: Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/tenants/default{path}", info["admin_url"].as_str().unwrap()))
        .bearer_auth(info["admin_token"].as_str().unwrap())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{path}");
}

#[tokio::test]
async fn events_tail_limit_caps_the_events_printed_and_columns_line_up() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[], &[("RUST_LOG", "warn")]);
    let info = server.info.clone();
    admin_post(&info, "/events/signinattempts", serde_json::json!({"generate": 40, "seed": 3}))
        .await;
    let tail = |limit: &str| {
        Command::new(BIN)
            .args(["events", "tail", "--kind", "signin", "--limit", limit])
            .env("SCIMULATOR_EVENTS_URL", info["url"].as_str().unwrap())
            .env("SCIMULATOR_EVENTS_TOKEN", info["events_token"].as_str().unwrap())
            .output()
            .unwrap()
    };
    let out = tail("3");
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1 + 3, "a header and three events:\n{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("resume with: --cursor"));
    // Every row starts its columns where the header does, page after page.
    let out = tail("40");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1 + 40, "{stdout}");
    let at = |line: &str, col: usize| {
        let mut n = 0;
        let bytes = line.as_bytes();
        (1..bytes.len()).find(|&i| {
            if bytes[i] != b' ' && bytes[i - 1] == b' ' && i >= 2 && bytes[i - 2] == b' ' {
                n += 1;
            }
            n == col
        })
    };
    let header_cols: Vec<_> = (1..=3).map(|c| at(lines[0], c)).collect();
    for line in &lines[1..] {
        assert_eq!((1..=3).map(|c| at(line, c)).collect::<Vec<_>>(), header_cols, "{line}");
    }
}

#[tokio::test]
async fn retry_says_why_it_waits() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[], &[("RUST_LOG", "warn")]);
    let info = server.info.clone();
    let rule = serde_json::json!({"match": {"method": "GET"}, "times": 1,
                                  "action": {"status": 429, "retry_after": 1}});
    admin_post(&info, "/faults", rule).await;
    let out = Command::new(BIN)
        .args(["users", "list", "--retry", "--limit", "1"])
        .env("SCIMULATOR_URL", info["scim_url"].as_str().unwrap())
        .env("SCIMULATOR_TOKEN", info["scim_token"].as_str().unwrap())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The wait is at least the Retry-After (jitter may add to it).
    assert!(stderr.contains("got 429; retrying in ") && stderr.contains("(attempt 2)"), "{stderr}");
}

#[tokio::test]
async fn the_shipped_scenarios_against_a_running_emulator_pass_and_leave_it_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[], &[("RUST_LOG", "warn")]);
    let info = server.info.clone();
    let s = |k: &str| info[k].as_str().unwrap().to_owned();
    let count = || async {
        let users: Value = reqwest::Client::new()
            .get(format!("{}/Users", s("scim_url")))
            .bearer_auth(s("scim_token"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        users["totalResults"].as_u64().unwrap()
    };
    let before = count().await;
    let scenarios = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios");
    let run = |admin: bool| {
        let mut cmd = Command::new(BIN);
        cmd.args([
            "test",
            scenarios,
            "-j",
            "2",
            "--target",
            &s("scim_url"),
            "--token",
            &s("scim_token"),
        ]);
        if admin {
            cmd.args(["--admin-token", &s("admin_token")]);
        }
        cmd.output().unwrap()
    };
    // With the control plane: every scenario in a tenant of its own, deleted afterwards.
    let out = run(true);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains(" 0 failed, 0 skipped"), "{stdout}");
    assert_eq!(count().await, before, "the default tenant is untouched");
    // Without it: what cannot run is skipped, nothing fails.
    let out = run(false);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains(" 0 failed"), "{stdout}");
}

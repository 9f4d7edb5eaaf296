//! `--state-file` durability through the real `scimulator serve` binary: the server is stopped,
//! killed with SIGKILL at random (seeded) moments during concurrent writes, and run out of disk;
//! after every restart each acknowledged write is there, nothing unacknowledged is, and no id
//! or token ever comes back.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_scimulator");

struct Server {
    child: Child,
    url: String,
    scim: String,
    events: String,
    admin: String,
}

/// A test that fails half way must not leave its server running.
impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn state_file(dir: &Path) -> PathBuf {
    dir.join("state.json")
}

fn start(dir: &Path, extra: &[&str]) -> Server {
    let ready = dir.join("ready.json");
    let _ = std::fs::remove_file(&ready);
    let log = std::fs::File::create(dir.join("stderr.log")).unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--port", "0", "--ready-file", ready.to_str().unwrap()])
        .args(["--state-file", state_file(dir).to_str().unwrap()])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn scimulator serve");
    for _ in 0..1200 {
        // The ready file is written in one go but not atomically: retry until it parses.
        if let Ok(v) = std::fs::read_to_string(&ready)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string()))
        {
            let s = |k: &str| v[k].as_str().unwrap().to_owned();
            return Server {
                child,
                url: s("url"),
                scim: s("scim_token"),
                events: s("events_token"),
                admin: s("admin_token"),
            };
        }
        if let Ok(Some(status)) = child.try_wait() {
            let err = std::fs::read_to_string(dir.join("stderr.log")).unwrap_or_default();
            panic!("scimulator serve exited with {status}: {err}");
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("scimulator serve did not become ready");
}

fn sigkill(mut s: Server) {
    s.child.kill().expect("SIGKILL");
    s.child.wait().expect("reap");
}

/// SIGTERM and wait for a clean exit.
fn stop(mut s: Server) {
    let pid = s.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let exit = s.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

/// A small deterministic RNG for kill moments (xorshift).
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

async fn create_user(
    http: &reqwest::Client,
    s: (&str, &str),
    user_name: &str,
) -> Result<(u16, Value), reqwest::Error> {
    let resp = http
        .post(format!("{}/scim/v2/Users", s.0))
        .bearer_auth(s.1)
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            "displayName": "created",
        }))
        .send()
        .await?;
    let status = resp.status().as_u16();
    Ok((status, resp.json().await.unwrap_or(Value::Null)))
}

async fn rename(
    http: &reqwest::Client,
    s: (&str, &str),
    id: &str,
    display_name: &str,
) -> Result<u16, reqwest::Error> {
    let resp = http
        .patch(format!("{}/scim/v2/Users/{id}", s.0))
        .bearer_auth(s.1)
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "displayName", "value": display_name}],
        }))
        .send()
        .await?;
    Ok(resp.status().as_u16())
}

/// Every user of the default tenant: id → (userName, displayName).
async fn users(http: &reqwest::Client, s: &Server) -> HashMap<String, (String, String)> {
    let list: Value = http
        .get(format!("{}/scim/v2/Users?count=10000", s.url))
        .bearer_auth(&s.scim)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let resources = list["Resources"].as_array().expect("a ListResponse");
    let mut out = HashMap::new();
    for u in resources {
        let id = u["id"].as_str().unwrap().to_owned();
        let name = u["userName"].as_str().unwrap().to_owned();
        let display = u["displayName"].as_str().unwrap_or_default().to_owned();
        assert!(out.insert(id.clone(), (name, display)).is_none(), "id {id} listed twice");
    }
    let names: HashSet<&String> = out.values().map(|(n, _)| n).collect();
    assert_eq!(names.len(), out.len(), "a userName listed twice");
    out
}

async fn admin(
    http: &reqwest::Client,
    s: &Server,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let resp = http
        .request(method, format!("{}/__admin{path}", s.url))
        .bearer_auth(&s.admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn ids_never_come_back_across_restarts_resets_and_imports() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    let mut tokens = Vec::new();
    // The sequence: a, stop; b, stop (here: SIGKILL); c.
    for (name, graceful) in [("a", true), ("b", false), ("c", true)] {
        let s = start(dir.path(), &[]);
        let (status, body) =
            create_user(&http, (&s.url, &s.scim), &format!("{name}@example.com")).await.unwrap();
        assert_eq!(status, 200, "{body}");
        ids.push(body["id"].as_str().unwrap().to_owned());
        tokens.push((s.scim.clone(), s.events.clone()));
        if graceful { stop(s) } else { sigkill(s) }
    }
    let s = start(dir.path(), &[]);
    tokens.push((s.scim.clone(), s.events.clone()));
    assert!(tokens.windows(2).all(|w| w[0] == w[1]), "the tokens survive restarts");
    let all = users(&http, &s).await;
    for (name, id) in ["a", "b", "c"].iter().zip(&ids) {
        assert_eq!(all[id].0, format!("{name}@example.com"), "user {name} kept its id");
    }
    // A reset of the persisted tenant rebuilds it, but the id stream goes on.
    let body = json!({"scope": "tenant", "tenant": "default"});
    let (status, body) = admin(&http, &s, reqwest::Method::POST, "/reset", body).await;
    assert_eq!(status, 200, "{body}");
    let (status, d) = create_user(&http, (&s.url, &s.scim), "d@example.com").await.unwrap();
    assert_eq!(status, 200, "{d}");
    ids.push(d["id"].as_str().unwrap().to_owned());
    // So does an import.
    let seed = json!({"users": [{"userName": "imported@example.com"}]});
    let (status, body) =
        admin(&http, &s, reqwest::Method::POST, "/tenants/default/import", seed).await;
    assert_eq!(status, 200, "{body}");
    let (status, e) = create_user(&http, (&s.url, &s.scim), "e@example.com").await.unwrap();
    assert_eq!(status, 200, "{e}");
    ids.push(e["id"].as_str().unwrap().to_owned());
    sigkill(s);
    let s = start(dir.path(), &[]);
    let all = users(&http, &s).await;
    assert_eq!(all[&ids[4]].0, "e@example.com");
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "an id was drawn twice: {ids:?}");
    for id in &ids[..4] {
        assert!(!all.contains_key(id), "users from before the import are gone");
    }
    stop(s);
}

/// Writers create users and rename each once, as fast as they are answered; the server is
/// SIGKILLed at a seeded random moment. After each restart every acknowledged create (with its
/// id) and every acknowledged rename is there, and ids are distinct.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_concurrent_writes_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let mut rng = Rng(0x5EED_0016);
    // userName → (id, displayName acknowledged last, a rename sent but not acknowledged: the
    // kill may have come after it was saved and before its answer, so either may be there).
    let mut acked: HashMap<String, (String, String, Option<String>)> = HashMap::new();
    let mut total_acked = 0usize;
    for round in 0..24 {
        let s = start(dir.path(), &[]);
        let listed = users(&http, &s).await;
        let by_name: HashMap<&String, (&String, &String)> =
            listed.iter().map(|(id, (n, d))| (n, (id, d))).collect();
        for (name, (id, display, in_flight)) in &acked {
            let Some((got_id, got_display)) = by_name.get(name) else {
                panic!("round {round}: acknowledged user {name} lost");
            };
            assert_eq!(*got_id, id, "round {round}: {name} changed id");
            let unacked = in_flight.as_ref() == Some(*got_display);
            assert!(
                *got_display == display || unacked,
                "round {round}: {name} is {got_display:?}, acknowledged {display:?}"
            );
        }
        let mut writers = Vec::new();
        for w in 0..6 {
            let (http, url, token) = (http.clone(), s.url.clone(), s.scim.clone());
            writers.push(tokio::spawn(async move {
                let mut mine: Vec<(String, String, String, Option<String>)> = Vec::new();
                for i in 0.. {
                    let name = format!("r{round}-w{w}-{i}@example.com");
                    let Ok((status, body)) = create_user(&http, (&url, &token), &name).await else {
                        break;
                    };
                    assert!(status == 201 || status == 200, "{status} {body}");
                    let id = body["id"].as_str().unwrap().to_owned();
                    let renamed = format!("renamed-{i}");
                    mine.push((name, id.clone(), "created".into(), Some(renamed.clone())));
                    match rename(&http, (&url, &token), &id, &renamed).await {
                        Ok(200) => {
                            let last = mine.last_mut().unwrap();
                            (last.2, last.3) = (renamed, None);
                        }
                        Ok(other) => panic!("rename answered {other}"),
                        Err(_) => break,
                    }
                }
                mine
            }));
        }
        tokio::time::sleep(Duration::from_millis(20 + rng.below(120))).await;
        tokio::task::spawn_blocking(move || sigkill(s)).await.unwrap();
        for w in writers {
            for (name, id, display, in_flight) in w.await.unwrap() {
                total_acked += 1;
                acked.insert(name, (id, display, in_flight));
            }
        }
    }
    let s = start(dir.path(), &[]);
    let listed = users(&http, &s).await;
    let found = acked.values().filter(|(id, _, _)| listed.contains_key(id)).count();
    assert_eq!(found, acked.len(), "every acknowledged user is there after the last restart");
    assert!(total_acked > 100, "the rounds wrote something ({total_acked} acknowledged)");
    stop(s);
}

/// With the disk full, writes answer 503 in each API's error shape, health says degraded,
/// nothing unacknowledged stays visible, and after a restart every acknowledged write is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let s = start(dir.path(), &["--test-disk-capacity", "6000"]);
    let mut writers = Vec::new();
    for w in 0..4 {
        let (http, url, token) = (http.clone(), s.url.clone(), s.scim.clone());
        writers.push(tokio::spawn(async move {
            let (mut ok, mut refused) = (Vec::new(), Vec::new());
            for i in 0..200 {
                let name = format!("w{w}-{i}@example.com");
                let (status, body) = create_user(&http, (&url, &token), &name).await.unwrap();
                match status {
                    200 | 201 => ok.push(name),
                    503 => {
                        assert_eq!(body["status"], "503", "{body}");
                        let detail = body["detail"].as_str().unwrap();
                        assert!(detail.contains("No space left"), "{detail}");
                        let schemas = body["schemas"].to_string();
                        assert!(schemas.contains("urn:ietf:params:scim:api:messages:2.0:Error"));
                        refused.push(name);
                        if refused.len() == 3 {
                            break;
                        }
                    }
                    other => panic!("{other}: {body}"),
                }
            }
            (ok, refused)
        }));
    }
    let (mut ok, mut refused) = (Vec::new(), Vec::new());
    for w in writers {
        let (o, r) = w.await.unwrap();
        ok.extend(o);
        refused.extend(r);
    }
    assert!(!ok.is_empty() && refused.len() == 12, "{} ok, {} refused", ok.len(), refused.len());
    // Health reports it, on both health endpoints.
    let (status, health) = admin(&http, &s, reqwest::Method::GET, "/health", Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["storage"]["state"], "degraded", "{health}");
    let scim_health: Value = http
        .get(format!("{}/scim/v2/health", s.url))
        .bearer_auth(&s.scim)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let redis =
        scim_health["reports"].as_array().unwrap().iter().find(|r| r["source"] == "RedisCache");
    assert_eq!(redis.unwrap()["state"], "degraded", "{scim_health}");
    // Admin writes get 503 in the admin shape; reads still work.
    let (status, body) =
        admin(&http, &s, reqwest::Method::POST, "/tenants", json!({"name": "late"})).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], 503);
    assert!(body["error"].as_str().unwrap().contains("No space left"), "{body}");
    // Memory holds exactly what the disk holds: the refused users are not served.
    let listed = users(&http, &s).await;
    let names: HashSet<&String> = listed.values().map(|(n, _)| n).collect();
    for name in &ok {
        assert!(names.contains(name), "acknowledged {name} is served");
    }
    for name in &refused {
        assert!(!names.contains(name), "refused {name} is not served");
    }
    sigkill(s);

    // With room again, the restart has every acknowledged user and none of the refused ones,
    // and writes work.
    let s = start(dir.path(), &[]);
    let listed = users(&http, &s).await;
    let names: HashSet<&String> = listed.values().map(|(n, _)| n).collect();
    assert!(ok.iter().all(|n| names.contains(n)), "every acknowledged user survived");
    assert!(refused.iter().all(|n| !names.contains(n)), "no refused user appeared");
    let (status, _) = create_user(&http, (&s.url, &s.scim), "after@example.com").await.unwrap();
    assert_eq!(status, 200);
    let (_, health) = admin(&http, &s, reqwest::Method::GET, "/health", Value::Null).await;
    assert_eq!(health["status"], "ok", "{health}");
    stop(s);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// A tenant deleted and created again under its name gets new tokens; the old ones get 401,
/// also across a restart.
#[tokio::test]
async fn recreated_tenants_get_new_tokens_and_old_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let s = start(dir.path(), &["--id-seed", "7"]);
    let (status, first) =
        admin(&http, &s, reqwest::Method::POST, "/tenants", json!({"name": "acme"})).await;
    assert_eq!(status, 201, "{first}");
    let tokens = |v: &Value| {
        (
            v["scim_token"].as_str().unwrap().to_owned(),
            v["events_token"].as_str().unwrap().to_owned(),
        )
    };
    let (scim1, events1) = tokens(&first);
    let (status, _) = admin(&http, &s, reqwest::Method::DELETE, "/tenants/acme", Value::Null).await;
    assert!(status == 200 || status == 204);
    sigkill(s);
    let s = start(dir.path(), &["--id-seed", "7"]);
    let (status, second) =
        admin(&http, &s, reqwest::Method::POST, "/tenants", json!({"name": "acme"})).await;
    assert_eq!(status, 201, "{second}");
    let (scim2, events2) = tokens(&second);
    assert_ne!(scim1, scim2);
    assert_ne!(events1, events2);
    let get = |path: &str, token: &str| {
        http.get(format!("{}{path}", s.url)).bearer_auth(token.to_owned()).send()
    };
    assert_eq!(get("/scim/v2/Users", &scim1).await.unwrap().status(), 401);
    assert_eq!(get("/scim/v2/Users", &scim2).await.unwrap().status(), 200);
    assert_eq!(get("/api/auth/introspect", &events1).await.unwrap().status(), 401);
    assert_eq!(get("/api/auth/introspect", &events2).await.unwrap().status(), 200);
    // A fresh server with the same --id-seed still issues the first incarnation's tokens.
    let fresh = tempfile::tempdir().unwrap();
    let f = start(fresh.path(), &["--id-seed", "7"]);
    let (_, again) =
        admin(&http, &f, reqwest::Method::POST, "/tenants", json!({"name": "acme"})).await;
    assert_eq!(tokens(&again).0, scim1);
    assert_eq!(f.scim, s.scim, "the default tenant's token is reproducible");
    stop(f);
    stop(s);
}

//! Fault injection over HTTP: the next N, after M, seeded probability, every action, and errors
//! that look exactly like the real APIs' errors.

mod common;

use common::Admin;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn the_next_two_patches_get_429_with_retry_after_2() {
    let a = Admin::start().await;
    let token = a.server.scim_token();
    let rule = a
        .add_fault(
            "default",
            json!({"match": {"method": "PATCH", "path": "/scim/v2/Users/*"}, "times": 2,
                   "action": {"status": 429, "retry_after": 2}}),
        )
        .await;
    assert_eq!(rule["id"], "fault-1");
    assert_eq!(rule["remaining"], 2);

    // A GET does not match.
    assert_eq!(a.api(Method::GET, "/ping", &token).await.status(), 200);
    for _ in 0..2 {
        let resp = a.api(Method::PATCH, "/scim/v2/Users/ABC", &token).await;
        assert_eq!(resp.status(), 429);
        let h = resp.headers();
        assert_eq!(h["retry-after"], "2");
        assert_eq!(h["ratelimit-remaining"], "0");
        assert_eq!(h["ratelimit-reset"], "2");
        assert!(h.contains_key("ratelimit-limit"));
        assert_eq!(h["content-type"], "application/scim+json");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));
        assert_eq!(body["status"], "429", "SCIM status is a string");
        assert!(body["detail"].is_string());
    }
    // The third passes through to the real route.
    let third = a.api(Method::PATCH, "/scim/v2/Users/ABC", &token).await;
    assert_ne!(third.status(), 429);
    assert_eq!(a.count("default", "method=PATCH&status=429").await, 2);
    let (_, listed) = a.json(Method::GET, "/tenants/default/faults", None).await;
    assert_eq!(listed["faults"][0]["fired"], 2);
    assert_eq!(listed["faults"][0]["matched"], 3);
    assert_eq!(listed["faults"][0]["remaining"], 0);
}

#[tokio::test]
async fn after_m_then_fire_and_5xx_statuses() {
    let a = Admin::start().await;
    let token = a.server.scim_token();
    a.add_fault(
        "default",
        json!({"match": {"path": "/ping"}, "after": 2, "times": 4, "action": {"status": 500}}),
    )
    .await;
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..7 {
            v.push(a.api(Method::GET, "/ping", &token).await.status().as_u16());
        }
        v
    };
    assert_eq!(statuses, [200, 200, 500, 500, 500, 500, 200]);
    a.json(Method::DELETE, "/tenants/default/faults", None).await;
    for status in [502, 503, 504] {
        a.add_fault("default", json!({"times": 1, "action": {"status": status}})).await;
        let resp = a.api(Method::GET, "/ping", &token).await;
        assert_eq!(resp.status().as_u16(), status);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["status"], status.to_string());
    }
}

#[tokio::test]
async fn events_api_paths_get_the_events_error_body() {
    let a = Admin::start().await;
    a.add_fault(
        "default",
        json!({"match": {"api": "events"}, "action": {"status": 429, "retry_after": 3, "message": "slow down"}}),
    )
    .await;
    let resp = a.api(Method::POST, "/api/v2/auditevents", &a.server.events_token()).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "3");
    assert_eq!(resp.headers()["ratelimit-limit"], "600");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"status": 429, "message": "slow down"}));
    // SCIM paths are untouched by an events-only rule.
    assert_eq!(a.api(Method::GET, "/ping", &a.server.scim_token()).await.status(), 200);

    // The other documented body variant, chosen by the tenant's profile.
    let t = a.tenant("ops").await;
    a.json(
        Method::POST,
        "/tenants/ops/seed",
        Some(json!({"profile": {"events_error_body": "error_message"}})),
    )
    .await;
    a.add_fault("ops", json!({"match": {"path": "/api/**"}, "action": {"status": 503}})).await;
    let resp =
        a.api(Method::POST, "/api/v1/signinattempts", t["events_token"].as_str().unwrap()).await;
    assert_eq!(resp.status(), 503);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"Error": {"Message": "Service Unavailable"}}));
}

#[tokio::test]
async fn same_seed_gives_the_same_firing_sequence() {
    async fn sequence(seed: u64) -> Vec<u16> {
        let a = Admin::start().await;
        let token = a.server.scim_token();
        a.add_fault(
            "default",
            json!({"probability": 0.3, "seed": seed, "action": {"status": 503}}),
        )
        .await;
        let mut out = Vec::new();
        for _ in 0..40 {
            out.push(a.api(Method::GET, "/ping", &token).await.status().as_u16());
        }
        out
    }
    let first = sequence(7).await;
    assert_eq!(first, sequence(7).await);
    assert_ne!(first, sequence(8).await);
    let fired = first.iter().filter(|s| **s == 503).count();
    assert!(fired > 0 && fired < 40, "p=0.3 fired {fired} of 40");
}

#[tokio::test]
async fn latency_is_added_and_journaled() {
    let a = Admin::start().await;
    let token = a.server.scim_token();
    a.add_fault("default", json!({"times": 1, "action": {"delay_ms": 150}})).await;
    assert_eq!(a.api(Method::GET, "/ping", &token).await.status(), 200);
    let (_, j) = a.json(Method::GET, "/tenants/default/journal", None).await;
    let took = j["requests"][0]["duration_us"].as_u64().unwrap();
    assert!(took >= 150_000, "delay must be served before the response ({took}us)");
    assert_eq!(j["requests"][0]["fault"], "fault-1");
}

#[tokio::test]
async fn dropped_connections_reach_the_client_as_connection_errors() {
    let a = Admin::start().await;
    let token = a.server.scim_token();
    a.add_fault("default", json!({"times": 1, "action": {"drop": true}})).await;
    let err = a
        .http
        .get(format!("{}/ping", a.server.url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect_err("the connection is dropped without a response");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    assert!(err.is_request() || err.is_connect() || err.to_string().contains("error"), "{err:?}");
    // The server keeps serving, and the drop is journaled with status 0.
    assert_eq!(a.api(Method::GET, "/ping", &token).await.status(), 200);
    assert_eq!(a.count("default", "status=0").await, 1);
}

#[tokio::test]
async fn rules_are_listed_deleted_and_validated() {
    let a = Admin::start().await;
    let token = a.server.scim_token();
    let (status, added) = a
        .json(
            Method::POST,
            "/tenants/default/faults",
            Some(json!([
                {"id": "slow", "action": {"delay_ms": 1}},
                {"match": {"path_regex": "^/pi.g$"}, "action": {"status": 500}}
            ])),
        )
        .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["faults"][0]["id"], "slow");
    assert_eq!(added["faults"][1]["id"], "fault-1");
    assert_eq!(a.api(Method::GET, "/ping", &token).await.status(), 200, "slow fires first");
    let resp = a.call(Method::DELETE, "/tenants/default/faults/slow", None).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(a.api(Method::GET, "/ping", &token).await.status(), 500);
    let (status, _) = a.json(Method::DELETE, "/tenants/default/faults/slow", None).await;
    assert_eq!(status, 404);

    let bad = [
        (json!({"match": {"path_regex": "("}, "action": {"status": 500}}), "path_regex"),
        (json!({"times": -1, "action": {"status": 500}}), "rule 0"),
        (json!({"probability": 1.5, "action": {"status": 500}}), "probability"),
        (json!({"action": {"status": 700}}), "400-599"),
        (json!({"action": {}}), "needs one of"),
        (json!({"match": {"verb": "GET"}, "action": {"status": 500}}), "verb"),
        (json!([{"action": {"status": 500}}, {"action": {"drop": true, "delay_ms": 5}}]), "rule 1"),
    ];
    for (rule, needle) in bad {
        let (status, err) =
            a.json(Method::POST, "/tenants/default/faults", Some(rule.clone())).await;
        assert_eq!(status, 400, "{rule} -> {err}");
        assert!(err["error"].as_str().unwrap().contains(needle), "{rule} -> {err}");
    }
    let (_, listed) = a.json(Method::GET, "/tenants/default/faults", None).await;
    assert_eq!(listed["faults"].as_array().unwrap().len(), 1, "nothing half-applied: {listed}");
    let (status, body) = a.json(Method::DELETE, "/tenants/default/faults", None).await;
    assert_eq!((status, body["deleted"].as_u64()), (200, Some(1)));
    assert_eq!(a.api(Method::GET, "/ping", &token).await.status(), 200);
    let (status, _) = a.json(Method::GET, "/tenants/ghost/faults", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn seed_faults_are_active_from_the_start() {
    let a = Admin::start().await;
    let (status, t) = a
        .json(
            Method::POST,
            "/tenants",
            Some(json!({"name": "seeded", "seed": {"faults": [{"times": 1, "action": {"status": 502}}]}})),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let token = t["scim_token"].as_str().unwrap();
    assert_eq!(a.api(Method::GET, "/ping", token).await.status(), 502);
    assert_eq!(a.api(Method::GET, "/ping", token).await.status(), 200);
}

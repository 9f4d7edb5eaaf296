//! Tenants, reset, seed/export/import and the clock over HTTP.

mod common;

use common::Admin;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn create_list_show_delete_tenants() {
    let a = Admin::start().await;
    let (status, t) = a
        .json(Method::POST, "/tenants", Some(json!({"name": "acme", "scim_token": "tok-acme"})))
        .await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["name"], "acme");
    assert_eq!(t["scim_token"], "tok-acme");
    assert_eq!(t["scim_path"], "/scim/v2");
    let events_token = t["events_token"].as_str().unwrap().to_owned();
    assert!(!events_token.is_empty());

    // The new tokens select the new tenant on API calls: the journal shows the request there.
    let resp = a.api(Method::GET, "/ping", "tok-acme").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(a.count("acme", "path=/ping").await, 1);
    assert_eq!(a.count("default", "path=/ping").await, 0);

    // A generated name and token.
    let (status, generated) = a.json(Method::POST, "/tenants", Some(json!({}))).await;
    assert_eq!(status, 201);
    assert!(generated["name"].as_str().unwrap().starts_with("tenant-"));
    assert!(generated["scim_token"].as_str().unwrap().starts_with("scim_"));

    let (_, list) = a.json(Method::GET, "/tenants", None).await;
    let names: Vec<_> =
        list["tenants"].as_array().unwrap().iter().map(|t| t["name"].clone()).collect();
    assert!(names.contains(&json!("acme")) && names.contains(&json!("default")), "{list}");
    let (status, shown) = a.json(Method::GET, "/tenants/acme", None).await;
    assert_eq!((status, shown["events_token"].as_str()), (200, Some(events_token.as_str())));

    let resp = a.call(Method::DELETE, "/tenants/acme", None).await;
    assert_eq!(resp.status(), 204);
    let (status, body) = a.json(Method::GET, "/tenants/acme", None).await;
    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("acme"));
    // Its token no longer selects anything: the request is not journaled anywhere.
    a.api(Method::GET, "/ping", "tok-acme").await;
    assert_eq!(a.count("default", "path=/ping").await, 0);
}

#[tokio::test]
async fn bad_tenant_requests_are_clear_4xx_and_change_nothing() {
    let a = Admin::start().await;
    a.tenant("taken").await;
    let default_token = a.server.scim_token();
    let cases = [
        (json!({"name": "taken"}), 409, "already exists"),
        (json!({"scim_token": default_token}), 409, "token"),
        (json!({"name": "bad name!"}), 400, "invalid tenant name"),
        (json!({"name": "x", "profile": {"nope": true}}), 400, "nope"),
        (json!({"name": "x", "profile": {"preset": "strict"}}), 400, "preset"),
        (json!({"name": "x", "seed": {"unknown_section": 1}}), 400, "unknown_section"),
        (
            json!({"name": "x", "seed": {"faults": [{"times": -1, "action": {"status": 500}}]}}),
            400,
            "seed",
        ),
        (
            json!({"name": "x", "seed": {"faults": [{"probability": 2, "action": {"status": 500}}]}}),
            400,
            "probability",
        ),
        (json!({"name": "x", "colour": "red"}), 400, "colour"),
    ];
    for (body, want, needle) in cases {
        let (status, err) = a.json(Method::POST, "/tenants", Some(body.clone())).await;
        assert_eq!(status, want, "{body} -> {err}");
        assert!(err["error"].as_str().unwrap().contains(needle), "{body} -> {err}");
    }
    let resp = a
        .http
        .post(format!("{}/tenants", a.server.admin_url()))
        .bearer_auth(a.server.admin_token())
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert!(err["error"].as_str().unwrap().contains("line 1"), "{err}");
    let (_, list) = a.json(Method::GET, "/tenants", None).await;
    assert_eq!(list["tenants"].as_array().unwrap().len(), 2, "nothing half-created: {list}");
    let (status, _) = a.json(Method::DELETE, "/tenants/default", None).await;
    assert_eq!(status, 409);
    let (status, _) = a.json(Method::DELETE, "/tenants/ghost", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn clock_reads_advances_and_sets_per_tenant() {
    let a = Admin::start().await;
    a.tenant("other").await;
    let (status, c) = a.json(Method::GET, "/tenants/default/clock", None).await;
    assert_eq!(status, 200);
    assert_eq!(c, json!({"now": "2026-01-01T00:00:00Z", "mode": "manual"}));
    for (advance, expect) in [
        (json!("90s"), "2026-01-01T00:01:30Z"),
        (json!("10m"), "2026-01-01T00:11:30Z"),
        (json!("2h"), "2026-01-01T02:11:30Z"),
        (json!(30), "2026-01-01T02:12:00Z"),
    ] {
        let (status, c) =
            a.json(Method::POST, "/tenants/default/clock", Some(json!({"advance": advance}))).await;
        assert_eq!((status, c["now"].as_str().unwrap()), (200, expect));
    }
    let (_, c) = a
        .json(Method::POST, "/tenants/default/clock", Some(json!({"set": "2030-05-06T07:08:09Z"})))
        .await;
    assert_eq!(c["now"], "2030-05-06T07:08:09Z");
    // Another tenant's clock did not move.
    let (_, other) = a.json(Method::GET, "/tenants/other/clock", None).await;
    assert_eq!(other["now"], "2026-01-01T00:00:00Z");

    for bad in [
        json!({"advance": "-5s"}),
        json!({"advance": -5}),
        json!({"advance": "5 parsecs"}),
        json!({"set": "yesterday"}),
        json!({"advance": "1s", "set": "2030-01-01T00:00:00Z"}),
        json!({}),
        json!({"rewind": "1s"}),
    ] {
        let (status, err) = a.json(Method::POST, "/tenants/default/clock", Some(bad.clone())).await;
        assert_eq!(status, 400, "{bad} -> {err}");
        assert!(err["error"].is_string());
    }
    let (_, c) = a.json(Method::GET, "/tenants/default/clock", None).await;
    assert_eq!(c["now"], "2030-05-06T07:08:09Z", "failed requests changed nothing");
    let (status, _) = a.json(Method::GET, "/tenants/ghost/clock", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn export_import_and_seed_round_trip() {
    let a = Admin::start().await;
    a.tenant("src").await;
    a.tenant("dst").await;
    a.json(
        Method::POST,
        "/tenants/src/seed",
        Some(json!({
            "profile": {"post_returns_201": true},
            "faults": [{"match": {"path": "/ping"}, "times": 1, "action": {"status": 503}}]
        })),
    )
    .await;
    let (status, exported) = a.json(Method::GET, "/tenants/src/export", None).await;
    assert_eq!(status, 200);
    assert_eq!(exported["profile"]["post_returns_201"], true);
    assert_eq!(exported["faults"][0]["action"]["status"], 503);

    let (status, body) = a.json(Method::POST, "/tenants/dst/import", Some(exported.clone())).await;
    assert_eq!(status, 200, "{body}");
    let (_, reexported) = a.json(Method::GET, "/tenants/dst/export", None).await;
    assert_eq!(reexported, exported, "an export loads back as the same state");

    // The imported rule is live on dst.
    let dst_token = {
        let (_, t) = a.json(Method::GET, "/tenants/dst", None).await;
        t["scim_token"].as_str().unwrap().to_owned()
    };
    assert_eq!(a.api(Method::GET, "/ping", &dst_token).await.status(), 503);
    assert_eq!(a.api(Method::GET, "/ping", &dst_token).await.status(), 200);

    // Import replaces; a bad document changes nothing.
    let (status, err) = a
        .json(Method::POST, "/tenants/dst/import", Some(json!({"faults": [{"action": {}}]})))
        .await;
    assert_eq!(status, 400, "{err}");
    let (_, still) = a.json(Method::GET, "/tenants/dst/export", None).await;
    assert_eq!(still["faults"].as_array().unwrap().len(), 1);
    let (status, _) = a.json(Method::POST, "/tenants/dst/import", Some(json!({}))).await;
    assert_eq!(status, 200);
    let (_, emptied) = a.json(Method::GET, "/tenants/dst/export", None).await;
    assert!(emptied.get("faults").is_none(), "{emptied}");
    assert_eq!(emptied["profile"]["post_returns_201"], false);

    // Seed accepts YAML, like --seed.
    let resp = a
        .http
        .post(format!("{}/tenants/dst/seed", a.server.admin_url()))
        .bearer_auth(a.server.admin_token())
        .header("content-type", "application/yaml")
        .body("faults:\n  - match: {method: PATCH}\n    action: {status: 429, retry_after: 2}\n")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, faults) = a.json(Method::GET, "/tenants/dst/faults", None).await;
    assert_eq!(faults["faults"][0]["action"]["retry_after"], 2);
    let (status, _) = a.json(Method::POST, "/tenants/ghost/seed", Some(json!({}))).await;
    assert_eq!(status, 404);
    let (status, _) = a.json(Method::GET, "/tenants/ghost/export", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn reset_all_tenant_and_journal() {
    let a = Admin::start().await;
    let t = a.tenant("keep").await;
    let token = t["scim_token"].as_str().unwrap().to_owned();
    a.add_fault("keep", json!({"match": {"path": "/ping"}, "action": {"status": 500}})).await;
    a.json(Method::POST, "/tenants/keep/clock", Some(json!({"advance": "1h"}))).await;
    assert_eq!(a.api(Method::GET, "/ping", &token).await.status(), 500);
    a.api(Method::GET, "/ping", &a.server.scim_token()).await;

    // Journal only (one tenant): faults stay, journal empties.
    let (status, _) =
        a.json(Method::POST, "/reset", Some(json!({"scope": "journal", "tenant": "keep"}))).await;
    assert_eq!(status, 200);
    assert_eq!(a.count("keep", "").await, 0);
    assert_eq!(a.count("default", "").await, 1);
    // Journal for all tenants.
    a.json(Method::POST, "/reset", Some(json!({"scope": "journal"}))).await;
    assert_eq!(a.count("default", "").await, 0);

    // One tenant: faults and clock back to creation, tokens kept.
    let (status, _) =
        a.json(Method::POST, "/reset", Some(json!({"scope": "tenant", "tenant": "keep"}))).await;
    assert_eq!(status, 200);
    assert_eq!(a.api(Method::GET, "/ping", &token).await.status(), 200);
    let (_, c) = a.json(Method::GET, "/tenants/keep/clock", None).await;
    assert_eq!(c["now"], "2026-01-01T00:00:00Z");

    // Everything: only default remains.
    let (status, body) = a.json(Method::POST, "/reset", Some(json!({"scope": "all"}))).await;
    assert_eq!((status, body["tenants"].as_u64()), (200, Some(1)));
    let (status, _) = a.json(Method::GET, "/tenants/keep", None).await;
    assert_eq!(status, 404);
    // The default tenant's token still works after a reset.
    assert_eq!(a.api(Method::GET, "/ping", &a.server.scim_token()).await.status(), 200);
    assert_eq!(a.count("default", "path=/ping").await, 1);

    for bad in [
        json!({"scope": "everything"}),
        json!({"scope": "tenant"}),
        json!({"scope": "tenant", "tenant": "ghost"}),
        json!({"scope": "journal", "tenant": "ghost"}),
    ] {
        let (status, err) = a.json(Method::POST, "/reset", Some(bad.clone())).await;
        assert!(status == 400 || status == 404, "{bad} -> {status} {err}");
        assert!(err["error"].is_string());
    }
    let (status, _) = a.json(Method::POST, "/reset", None).await;
    assert_eq!(status, 400);
}

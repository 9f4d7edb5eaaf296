//! The request journal over HTTP: what is recorded, filters, counts, clearing.

mod common;

use common::Admin;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn every_request_is_journaled_with_method_path_query_status_tenant_and_time() {
    let a = Admin::start().await;
    let token = a.server.scim_token();
    a.json(Method::POST, "/tenants/default/clock", Some(json!({"advance": "5m"}))).await;
    assert_eq!(a.api(Method::GET, "/ping?x=1&y=two", &token).await.status(), 200);
    // Unknown routes are journaled too (status 404), as are other methods.
    let resp = a.api(Method::PATCH, "/scim/v2/Nope/ABC", &token).await;
    let missing = resp.status().as_u16();
    assert!(missing == 404 || missing == 405, "{missing}");

    let (status, j) = a.json(Method::GET, "/tenants/default/journal", None).await;
    assert_eq!(status, 200);
    let reqs = j["requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 2, "{j}");
    let first = &reqs[0];
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], "/ping");
    assert_eq!(first["query"], "x=1&y=two");
    assert_eq!(first["status"], 200);
    assert_eq!(first["tenant"], "default");
    assert_eq!(first["at"], "2026-01-01T00:05:00Z", "time comes from the tenant's clock");
    assert!(first["duration_us"].is_u64());
    assert_eq!(reqs[1]["method"], "PATCH");
    assert_eq!(reqs[1]["status"], missing);
    // Admin calls are not journaled in tenants.
    assert!(reqs.iter().all(|r| !r["path"].as_str().unwrap().starts_with("/__admin")));
    // Requests without a known token belong to no tenant.
    a.api(Method::GET, "/ping", "unknown-token").await;
    assert_eq!(a.count("default", "").await, 2);
}

#[tokio::test]
async fn filters_and_counts_assert_exactly_once() {
    let a = Admin::start().await;
    let token = a.server.scim_token();
    a.add_fault(
        "default",
        json!({"match": {"method": "PATCH", "path": "/scim/v2/Users/*"}, "times": 1, "action": {"status": 503}}),
    )
    .await;
    for _ in 0..3 {
        a.api(Method::GET, "/ping", &token).await;
    }
    a.api(Method::PATCH, "/scim/v2/Users/ABC", &token).await;
    a.api(Method::PATCH, "/scim/v2/Users/DEF", &token).await;

    assert_eq!(a.count("default", "").await, 5);
    assert_eq!(a.count("default", "method=GET").await, 3);
    assert_eq!(a.count("default", "method=patch").await, 2);
    assert_eq!(a.count("default", "path=/scim/v2/Users/ABC").await, 1);
    assert_eq!(a.count("default", "path=/scim/v2/Users/*").await, 2);
    assert_eq!(a.count("default", "method=PATCH&status=503").await, 1);
    assert_eq!(a.count("default", "status=200").await, 3);
    let (_, j) = a.json(Method::GET, "/tenants/default/journal?status=503", None).await;
    assert_eq!(j["requests"][0]["path"], "/scim/v2/Users/ABC");
    assert_eq!(j["requests"][0]["fault"], "fault-1");

    for bad in ["status=abc", "status=70000", "colour=red"] {
        let (status, err) =
            a.json(Method::GET, &format!("/tenants/default/journal/count?{bad}"), None).await;
        assert_eq!(status, 400, "{bad} -> {err}");
        assert!(err["error"].is_string());
    }
    let (status, _) = a.json(Method::GET, "/tenants/ghost/journal", None).await;
    assert_eq!(status, 404);

    let (status, body) = a.json(Method::DELETE, "/tenants/default/journal", None).await;
    assert_eq!((status, body["deleted"].as_u64()), (200, Some(5)));
    assert_eq!(a.count("default", "").await, 0);
}

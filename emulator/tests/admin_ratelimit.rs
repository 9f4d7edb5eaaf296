//! The rate limiter over HTTP, with windows driven by the manual clock.

mod common;

use common::Admin;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn minute_window_refuses_then_reopens_when_the_clock_advances() {
    let a = Admin::start().await;
    let token = a.server.scim_token();
    let (status, cfg) = a
        .json(
            Method::PUT,
            "/tenants/default/ratelimits",
            Some(json!({"scim": [{"requests": 3, "per": "1m"}]})),
        )
        .await;
    assert_eq!(status, 200, "{cfg}");
    assert_eq!(cfg["scim"][0]["per"], 60);
    a.json(Method::POST, "/tenants/default/clock", Some(json!({"advance": "15s"}))).await;

    for remaining in ["2", "1", "0"] {
        let resp = a.api(Method::GET, "/ping", &token).await;
        assert_eq!(resp.status(), 200);
        let h = resp.headers();
        assert_eq!(h["ratelimit-limit"], "3");
        assert_eq!(h["ratelimit-remaining"], remaining);
        assert_eq!(h["ratelimit-reset"], "45");
    }
    let refused = a.api(Method::GET, "/ping", &token).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "45");
    assert_eq!(refused.headers()["ratelimit-remaining"], "0");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["status"], "429");

    // Still refused 44 seconds later; the window reopens at the minute.
    a.json(Method::POST, "/tenants/default/clock", Some(json!({"advance": "44s"}))).await;
    let resp = a.api(Method::GET, "/ping", &token).await;
    assert_eq!(
        (resp.status().as_u16(), &resp.headers()["retry-after"]),
        (429, &"1".parse().unwrap())
    );
    a.json(Method::POST, "/tenants/default/clock", Some(json!({"advance": "1s"}))).await;
    let resp = a.api(Method::GET, "/ping", &token).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["ratelimit-remaining"], "2");
    assert_eq!(a.count("default", "status=429").await, 2);
}

#[tokio::test]
async fn events_api_documented_limits_per_minute_and_per_hour() {
    let a = Admin::start().await;
    let token = a.server.events_token();
    let (status, _) = a
        .json(
            Method::PUT,
            "/tenants/default/ratelimits",
            Some(json!({"events": [{"requests": 600, "per": "1m"}, {"requests": 30000, "per": "1h"}]})),
        )
        .await;
    assert_eq!(status, 200);
    // SCIM is not limited: no headers there.
    let scim = a.api(Method::GET, "/ping", &a.server.scim_token()).await;
    assert!(!scim.headers().contains_key("ratelimit-limit"));

    let mut last = None;
    for _ in 0..600 {
        let resp = a.api(Method::POST, "/api/v2/auditevents", &token).await;
        assert_ne!(resp.status(), 429);
        last = Some(resp.headers()["ratelimit-remaining"].to_str().unwrap().to_owned());
    }
    assert_eq!(last.as_deref(), Some("0"));
    let refused = a.api(Method::POST, "/api/v2/auditevents", &token).await;
    assert_eq!(refused.status(), 429);
    // The Events API does not document Retry-After, so the default profile leaves it out.
    assert!(!refused.headers().contains_key("retry-after"));
    assert_eq!(refused.headers()["ratelimit-limit"], "600");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["status"], 429);
    assert!(body["message"].as_str().unwrap().contains("600"));

    a.json(Method::POST, "/tenants/default/clock", Some(json!({"advance": "1m"}))).await;
    let resp = a.api(Method::POST, "/api/v2/auditevents", &token).await;
    assert_ne!(resp.status(), 429);
    assert_eq!(resp.headers()["ratelimit-remaining"], "599");
}

#[tokio::test]
async fn limits_are_read_validated_and_removed() {
    let a = Admin::start().await;
    let (_, cfg) = a.json(Method::GET, "/tenants/default/ratelimits", None).await;
    assert_eq!(cfg, json!({"scim": [], "events": []}));
    for bad in [
        json!({"scim": [{"requests": 0, "per": "1m"}]}),
        json!({"scim": [{"requests": 5, "per": "0s"}]}),
        json!({"scim": [{"requests": 5, "per": "soon"}]}),
        json!({"scim": [{"requests": -5, "per": "1m"}]}),
        json!({"graphql": []}),
    ] {
        let (status, err) =
            a.json(Method::PUT, "/tenants/default/ratelimits", Some(bad.clone())).await;
        assert_eq!(status, 400, "{bad} -> {err}");
    }
    a.json(
        Method::PUT,
        "/tenants/default/ratelimits",
        Some(json!({"scim": [{"requests": 1, "per": 60}]})),
    )
    .await;
    let token = a.server.scim_token();
    a.api(Method::GET, "/ping", &token).await;
    assert_eq!(a.api(Method::GET, "/ping", &token).await.status(), 429);
    let (status, _) = a.json(Method::DELETE, "/tenants/default/ratelimits", None).await;
    assert_eq!(status, 200);
    let resp = a.api(Method::GET, "/ping", &token).await;
    assert_eq!(resp.status(), 200);
    assert!(!resp.headers().contains_key("ratelimit-limit"));
}

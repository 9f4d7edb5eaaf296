//! The control plane's auth, health, fallback and OpenAPI document.

mod common;

use common::Admin;
use reqwest::Method;
use serde_json::Value;

#[tokio::test]
async fn health_and_openapi_are_open_everything_else_needs_the_admin_token() {
    let a = Admin::start().await;
    let base = a.server.admin_url();
    let health: Value =
        a.http.get(format!("{base}/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["tenants"], 1);

    // No token, a SCIM token, an Events token: all 401 with a JSON error.
    let no_token = a.http.get(format!("{base}/tenants")).send().await.unwrap();
    assert_eq!(no_token.status(), 401);
    let body: Value = no_token.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("Bearer"), "{body}");
    for token in [a.server.scim_token(), a.server.events_token(), "nope".into()] {
        let resp = a.http.get(format!("{base}/tenants")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(resp.status(), 401, "token {token} must not open the control plane");
    }
    let (status, body) = a.json(Method::GET, "/tenants", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["tenants"][0]["name"], "default");
}

#[tokio::test]
async fn unknown_admin_routes_are_json_404s_and_need_auth() {
    let a = Admin::start().await;
    let (status, body) = a.json(Method::GET, "/nope", None).await;
    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("/nope"), "{body}");
    let resp = a.http.get(format!("{}/nope", a.server.admin_url())).send().await.unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn openapi_document_describes_every_route() {
    let a = Admin::start().await;
    let resp = a.http.get(format!("{}/openapi.json", a.server.admin_url())).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let doc: Value = resp.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let expected = [
        ("/health", "get"),
        ("/reset", "post"),
        ("/tenants", "get"),
        ("/tenants", "post"),
        ("/tenants/{name}", "get"),
        ("/tenants/{name}", "delete"),
        ("/tenants/{name}/seed", "post"),
        ("/tenants/{name}/export", "get"),
        ("/tenants/{name}/import", "post"),
        ("/tenants/{name}/clock", "get"),
        ("/tenants/{name}/clock", "post"),
        ("/tenants/{name}/journal", "get"),
        ("/tenants/{name}/journal", "delete"),
        ("/tenants/{name}/journal/count", "get"),
        ("/tenants/{name}/faults", "get"),
        ("/tenants/{name}/faults", "post"),
        ("/tenants/{name}/faults", "delete"),
        ("/tenants/{name}/faults/{id}", "delete"),
        ("/tenants/{name}/ratelimits", "get"),
        ("/tenants/{name}/ratelimits", "put"),
        ("/tenants/{name}/ratelimits", "delete"),
    ];
    for (path, method) in expected {
        assert!(doc["paths"][path][method].is_object(), "openapi.json lacks {method} {path}");
    }
    // Every documented operation exists: calling it is never the admin fallback's 404.
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for method in methods.as_object().unwrap().keys() {
            let concrete = path.replace("{name}", "default").replace("{id}", "fault-x");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (status, body) = a.json(m, &concrete, None).await;
            let fallback =
                body["error"].as_str().is_some_and(|e| e.contains("no control endpoint"));
            assert!(!fallback, "{method} {path} is documented but not routed ({status})");
        }
    }
}

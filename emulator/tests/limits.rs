//! Bounds with clear errors, over HTTP: tenant names, the bearer header, the clock's years,
//! PATCH operation counts and values per multi-valued attribute. Each refused request gets a
//! 4xx naming the limit, and the server keeps serving other tenants and `/__admin`.

mod common;

use common::Admin;
use reqwest::Method;
use serde_json::{Value, json};

async fn scim(a: &Admin, method: Method, path: &str, token: &str, body: Value) -> (u16, Value) {
    let resp = a
        .http
        .request(method, format!("{}{path}", a.server.scim_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn user(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name})
}

fn emails(from: usize, n: usize) -> Vec<Value> {
    (from..from + n)
        .map(|i| json!({"value": format!("e{i}@example.com"), "type": "work"}))
        .collect()
}

#[tokio::test]
async fn dot_names_and_case_twins_are_not_tenant_names() {
    let a = Admin::start().await;
    for (name, status, says) in [
        (".", 400, "invalid tenant name"),
        ("..", 400, "invalid tenant name"),
        ("DEFAULT", 409, "\"default\" already exists"),
    ] {
        let (got, body) = a.json(Method::POST, "/tenants", Some(json!({"name": name}))).await;
        assert_eq!(got, status, "{name}: {body}");
        assert!(body["error"].as_str().unwrap().contains(says), "{name}: {body}");
    }
    a.tenant("Acme").await;
    let (status, body) = a.json(Method::POST, "/tenants", Some(json!({"name": "acme"}))).await;
    assert_eq!(status, 409, "{body}");
    // Names with dots inside are still fine.
    a.tenant("team.a").await;
}

#[tokio::test]
async fn a_bearer_header_with_two_spaces_is_refused() {
    let a = Admin::start().await;
    let token = a.server.scim_token();
    for (header, status) in [
        (format!("Bearer {token}"), 200),
        (format!("Bearer  {token}"), 401),
        (format!("Bearer {token} x"), 401),
    ] {
        let resp = a
            .http
            .get(format!("{}/Users?count=1", a.server.scim_url()))
            .header("authorization", &header)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), status, "{header:?}");
        if status == 401 {
            let body: Value = resp.json().await.unwrap();
            assert!(body["detail"].as_str().unwrap().contains("one space"), "{body}");
        }
    }
}

#[tokio::test]
async fn the_clock_stays_within_years_1970_to_9999() {
    let a = Admin::start().await;
    let set = |at: &str| Some(json!({"set": at}));
    // From 9990, 80 years on passes 9999.
    let eighty_years = json!({"advance": 80 * 365 * 86_400_i64});
    for body in [set("10000-01-01T00:00:00Z"), set("1969-12-31T23:59:59Z"), Some(eighty_years)] {
        let (status, _) =
            a.json(Method::POST, "/tenants/default/clock", set("9990-01-01T00:00:00Z")).await;
        assert_eq!(status, 200);
        let (status, answer) = a.json(Method::POST, "/tenants/default/clock", body.clone()).await;
        assert_eq!(status, 400, "{body:?}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains("1970-9999") || error.contains("RFC 3339"), "{body:?}: {answer}");
    }
    let (status, _) = a
        .json(Method::POST, "/tenants/default/clock", Some(json!({"set": "9999-12-31T00:00:00Z"})))
        .await;
    assert_eq!(status, 200, "the last year is allowed");
}

#[tokio::test]
async fn patch_operations_and_attribute_values_are_capped_with_errors_naming_the_limit() {
    let a = Admin::start().await;
    let token = a.server.scim_token();
    let (status, created) = scim(&a, Method::POST, "/Users", &token, user("cap@example.com")).await;
    assert!(status == 201 || status == 200, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();

    let op = json!({"op": "replace", "path": "displayName", "value": "x"});
    let too_many = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": vec![op; 1001],
    });
    let (status, body) = scim(&a, Method::PATCH, &format!("/Users/{id}"), &token, too_many).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["scimType"], "tooMany");
    assert!(body["detail"].as_str().unwrap().contains("at most 1000"), "{body}");

    // 100 values are fine, 101 are not: on create and through PATCH add.
    let mut doc = user("many@example.com");
    doc["emails"] = json!(emails(0, 101));
    let (status, body) = scim(&a, Method::POST, "/Users", &token, doc).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("at most 100"), "{body}");
    let add = |values: Vec<Value>| {
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "emails", "value": values}],
        })
    };
    let path = format!("/Users/{id}");
    let (status, body) = scim(&a, Method::PATCH, &path, &token, add(emails(0, 99))).await;
    assert_eq!(status, 200, "{body}");
    // Values already there (same `value`) are not added twice.
    let (status, body) = scim(&a, Method::PATCH, &path, &token, add(emails(0, 99))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["emails"].as_array().unwrap().len(), 99, "{body}");
    let (status, body) = scim(&a, Method::PATCH, &path, &token, add(emails(99, 2))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("\"emails\" has 101 values"), "{body}");

    // Other tenants and the control plane kept answering.
    let other = a.tenant("other").await;
    let other_token = other["scim_token"].as_str().unwrap();
    let (status, _) = scim(&a, Method::GET, "/Users", other_token, Value::Null).await;
    assert_eq!(status, 200);
}

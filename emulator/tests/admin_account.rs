//! Account test setup over HTTP: outbox, accepting invitations, the confirmation watcher, user
//! states; and tenant isolation of users.

mod common;

use common::Admin;
use reqwest::Method;
use serde_json::{Value, json};

async fn create_user(a: &Admin, token: &str, user_name: &str) -> String {
    let resp = a
        .http
        .post(format!("{}/scim/v2/Users", a.server.url()))
        .bearer_auth(token)
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "displayName": "Ada Lovelace",
            "emails": [{"value": user_name, "primary": true}],
            "active": true
        }))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let body: Value = resp.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

async fn scim_user(a: &Admin, token: &str, id: &str) -> (u16, Value) {
    let resp = a.api(Method::GET, &format!("/scim/v2/Users/{id}"), token).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn outbox_accept_confirm_and_set_state() {
    let a = Admin::start().await;
    let token = a.server.scim_token();
    let id = create_user(&a, &token, "ada@example.com").await;

    let (status, outbox) = a.json(Method::GET, "/tenants/default/outbox", None).await;
    assert_eq!(status, 200);
    let sent: Vec<_> = outbox["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["user_id"] == id.as_str())
        .collect();
    assert_eq!(sent.len(), 1, "{outbox}");
    assert_eq!(sent[0]["email"], "ada@example.com");

    let (status, accepted) =
        a.json(Method::POST, &format!("/tenants/default/users/{id}/accept"), None).await;
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["state"], "TRANSFER_STARTED", "confirmation waits for the watcher");
    let (status, err) =
        a.json(Method::POST, &format!("/tenants/default/users/{id}/accept"), None).await;
    assert_eq!(status, 400, "accepting twice is refused: {err}");

    let (status, run) = a.json(Method::POST, "/tenants/default/confirmations/run", None).await;
    assert_eq!(status, 200);
    assert_eq!(run["confirmed"], json!([id]));

    let (status, set) = a
        .json(
            Method::PUT,
            &format!("/tenants/default/users/{id}/state"),
            Some(json!({"state": "SUSPENDED"})),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    let (_, user) = scim_user(&a, &token, &id).await;
    assert_eq!(user["active"], false, "{user}");

    let (status, err) = a
        .json(
            Method::PUT,
            &format!("/tenants/default/users/{id}/state"),
            Some(json!({"state": "ASLEEP"})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(err["error"].as_str().unwrap().contains("ASLEEP"));
    let (status, _) = a
        .json(
            Method::PUT,
            "/tenants/default/users/NOSUCHUSER/state",
            Some(json!({"state": "ACTIVE"})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = a.json(Method::POST, "/tenants/default/users/NOSUCHUSER/accept", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn tenants_do_not_see_each_others_users_and_export_carries_them() {
    let a = Admin::start().await;
    let t1 = a.tenant("one").await;
    let t2 = a.tenant("two").await;
    let (tok1, tok2) =
        (t1["scim_token"].as_str().unwrap().to_owned(), t2["scim_token"].as_str().unwrap());
    let id = create_user(&a, &tok1, "grace@example.com").await;
    assert_eq!(scim_user(&a, &tok1, &id).await.0, 200);
    assert_eq!(scim_user(&a, tok2, &id).await.0, 404, "tenant two cannot see tenant one's user");

    let (_, exported) = a.json(Method::GET, "/tenants/one/export", None).await;
    let users = exported["users"].as_array().unwrap();
    assert!(users.iter().any(|u| u["userName"] == "grace@example.com"), "{exported}");
    let (status, body) = a.json(Method::POST, "/tenants/two/import", Some(exported)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(scim_user(&a, tok2, &id).await.0, 200, "the import carried the user");

    // Reset returns tenant one to its empty start.
    a.json(Method::POST, "/reset", Some(json!({"scope": "tenant", "tenant": "one"}))).await;
    assert_eq!(scim_user(&a, &tok1, &id).await.0, 404);
}

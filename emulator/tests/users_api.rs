//! The Users API over real HTTP: OAuth token and revoke, token expiry on the tenant's clock,
//! listing with filters and page tokens (also while users change between pages), get,
//! idempotent suspend/reactivate, the audit trail shared with SCIM, the control plane (faults,
//! rate limits, journal), hosted provisioning, and every endpoint's bad inputs.

mod common;

use common::Admin;
use reqwest::{Method, Response};
use serde_json::{Value, json};

/// A tenant's Users API integration, as `POST /__admin/tenants` reports it.
struct Integration {
    client_id: String,
    client_secret: String,
    account_id: String,
    scim_token: String,
    events_token: String,
}

impl Integration {
    fn of(view: &Value) -> Integration {
        let s = |k: &str| view[k].as_str().unwrap_or_else(|| panic!("{k} in {view}")).to_owned();
        Integration {
            client_id: s("users_api_client_id"),
            client_secret: s("users_api_client_secret"),
            account_id: s("account_id"),
            scim_token: s("scim_token"),
            events_token: s("events_token"),
        }
    }
}

async fn default_integration(a: &Admin) -> Integration {
    let (status, view) = a.json(Method::GET, "/tenants/default", None).await;
    assert_eq!(status, 200, "{view}");
    Integration::of(&view)
}

async fn create_tenant(a: &Admin, body: Value) -> Integration {
    let (status, view) = a.json(Method::POST, "/tenants", Some(body)).await;
    assert_eq!(status, 201, "{view}");
    Integration::of(&view)
}

/// `POST /v1beta1/users/oauth2/token` with the given Basic credentials and form.
async fn token_request(a: &Admin, id: &str, secret: &str, form: &[(&str, &str)]) -> Response {
    a.http
        .post(format!("{}/v1beta1/users/oauth2/token", a.server.url()))
        .basic_auth(id, Some(secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(form))
        .send()
        .await
        .unwrap()
}

async fn access_token(a: &Admin, i: &Integration) -> String {
    let resp =
        token_request(a, &i.client_id, &i.client_secret, &[("grant_type", "client_credentials")])
            .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// A resource request with a bearer token; returns (status, JSON body or Null).
async fn call(a: &Admin, method: Method, path: &str, token: &str) -> (u16, Value) {
    let resp = a.api(method, path, token).await;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// An `application/x-www-form-urlencoded` body.
fn form_body<T: serde::Serialize + ?Sized>(pairs: &T) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

fn users_path(i: &Integration) -> String {
    format!("/v1beta1/accounts/{}/users", i.account_id)
}

/// Asserts a Google-style error body with `code` and `status`.
fn assert_error(body: &Value, code: u16, status: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["error"]["status"], status, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

fn seeded_users(n: usize) -> Value {
    let mut users = vec![json!({"userName": "owner@example.com", "role": "owner"})];
    for i in 0..n {
        users.push(json!({"userName": format!("user{i:02}@example.com"),
                          "displayName": format!("User {i:02}")}));
    }
    json!({"users": users})
}

#[tokio::test]
async fn the_token_endpoint_issues_bearer_tokens_and_refuses_bad_requests() {
    let a = Admin::start().await;
    let i = default_integration(&a).await;
    assert_eq!(i.account_id.len(), 26);
    assert_eq!(i.client_id.split('-').count(), 5, "client ids are UUIDs");

    let ok = token_request(
        &a,
        &i.client_id,
        &i.client_secret,
        &[("grant_type", "client_credentials"), ("scope", "openid")],
    )
    .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["cache-control"], "no-store");
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let first = body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(access_token(&a, &i).await, first, "every request gets a new token");

    let grant = [("grant_type", "client_credentials")];
    for (id, secret) in [
        (i.client_id.as_str(), "wrong"),
        ("00000000-0000-0000-0000-000000000000", i.client_secret.as_str()),
        (i.scim_token.as_str(), i.client_secret.as_str()),
    ] {
        let resp = token_request(&a, id, secret, &grant).await;
        assert_eq!(resp.status(), 401, "{id}:{secret}");
        assert!(resp.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client", "{body}");
    }
    let no_auth = a
        .http
        .post(format!("{}/v1beta1/users/oauth2/token", a.server.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&grant))
        .send()
        .await
        .unwrap();
    assert_eq!(no_auth.status(), 401);

    for (form, code) in [
        (vec![], "invalid_request"),
        (vec![("grant_type", "password")], "unsupported_grant_type"),
        (vec![("grant_type", "client_credentials"), ("scope", "users:write")], "invalid_scope"),
    ] {
        let resp = token_request(&a, &i.client_id, &i.client_secret, &form).await;
        assert_eq!(resp.status(), 400, "{form:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], code, "{body}");
        assert!(body["error_description"].is_string());
    }
    let json_body = a
        .http
        .post(format!("{}/v1beta1/users/oauth2/token", a.server.url()))
        .basic_auth(&i.client_id, Some(&i.client_secret))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), 400, "the body must be a form");
    let (status, body) = call(&a, Method::GET, "/v1beta1/users/oauth2/token", "anything").await;
    assert_eq!(status, 405);
    assert_error(&body, 405, "METHOD_NOT_ALLOWED");
    let (status, body) = call(&a, Method::GET, "/v1beta1/nothing/here", "anything").await;
    assert_error(&body, 404, "NOT_FOUND");
    assert_eq!(status, 404);
}

#[tokio::test]
async fn tokens_expire_after_fifteen_minutes_of_the_tenants_clock() {
    let a = Admin::start().await;
    let i = default_integration(&a).await;
    let token = access_token(&a, &i).await;
    let path = users_path(&i);
    assert_eq!(call(&a, Method::GET, &path, &token).await.0, 200);
    let advance = |by: &'static str| {
        a.json(Method::POST, "/tenants/default/clock", Some(json!({"advance": by})))
    };
    assert_eq!(advance("899s").await.0, 200);
    assert_eq!(call(&a, Method::GET, &path, &token).await.0, 200, "one second left");
    assert_eq!(advance("1s").await.0, 200);
    let resp = a.api(Method::GET, &path, &token).await;
    assert_eq!(resp.status(), 401);
    let challenge = resp.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.contains("invalid_token") && challenge.contains("expired"), "{challenge}");
    let body: Value = resp.json().await.unwrap();
    assert_error(&body, 401, "UNAUTHENTICATED");
    // A new token works at once.
    let fresh = access_token(&a, &i).await;
    assert_eq!(call(&a, Method::GET, &path, &fresh).await.0, 200);
}

#[tokio::test]
async fn revoked_tokens_stop_working_and_revoke_always_answers_200() {
    let a = Admin::start().await;
    let i = default_integration(&a).await;
    let token = access_token(&a, &i).await;
    let keep = access_token(&a, &i).await;
    let revoke = |form: Vec<(&'static str, String)>, secret: String| {
        a.http
            .post(format!("{}/v1beta1/users/oauth2/revoke", a.server.url()))
            .basic_auth(i.client_id.clone(), Some(secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&form))
            .send()
    };
    let resp = revoke(vec![("token", token.clone())], i.client_secret.clone()).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.unwrap().is_empty(), "no body");
    let (status, body) = call(&a, Method::GET, &users_path(&i), &token).await;
    assert_eq!(status, 401);
    assert_error(&body, 401, "UNAUTHENTICATED");
    assert_eq!(call(&a, Method::GET, &users_path(&i), &keep).await.0, 200, "others still work");
    for again in [token.clone(), "never-issued".to_owned()] {
        let resp = revoke(vec![("token", again)], i.client_secret.clone()).await.unwrap();
        assert_eq!(resp.status(), 200);
    }
    let resp = revoke(vec![("token", keep.clone())], "wrong".into()).await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(call(&a, Method::GET, &users_path(&i), &keep).await.0, 200, "not revoked");
    let resp = revoke(vec![], i.client_secret.clone()).await.unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    // Another tenant's client cannot revoke this tenant's token.
    let other = create_tenant(&a, json!({"name": "other"})).await;
    let resp = a
        .http
        .post(format!("{}/v1beta1/users/oauth2/revoke", a.server.url()))
        .basic_auth(&other.client_id, Some(&other.client_secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[("token", keep.as_str())]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(call(&a, Method::GET, &users_path(&i), &keep).await.0, 200);
}

#[tokio::test]
async fn listing_pages_filters_and_the_user_object() {
    let a = Admin::start().await;
    let i = create_tenant(&a, json!({"name": "list", "seed": seeded_users(30)})).await;
    let token = access_token(&a, &i).await;
    let path = users_path(&i);
    let (status, first) = call(&a, Method::GET, &path, &token).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["results"].as_array().unwrap().len(), 25, "default page size");
    let user = &first["results"][0];
    let id = user["id"].as_str().unwrap();
    assert_eq!(user["path"], format!("accounts/{}/users/{id}", i.account_id));
    assert_eq!(user["state"], "ACTIVE");
    assert_eq!(user["create_time"], "2026-01-01T00:00:00Z");
    for key in ["email", "display_name"] {
        assert!(user[key].is_string(), "{user}");
    }
    let next = first["next_page_token"].as_str().unwrap();
    let (_, second) = call(&a, Method::GET, &format!("{path}?page_token={next}"), &token).await;
    assert_eq!(second["results"].as_array().unwrap().len(), 6);
    assert!(second.get("next_page_token").is_none(), "omitted on the last page: {second}");
    let (_, big) = call(&a, Method::GET, &format!("{path}?max_page_size=5000"), &token).await;
    assert_eq!(big["results"].as_array().unwrap().len(), 31, "coerced to 1000");

    // Suspend three through SCIM; the filters see it.
    let ids: Vec<String> = big["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().into())
        .collect();
    let owner =
        big["results"].as_array().unwrap().iter().position(|u| u["email"] == "owner@example.com");
    let owner = owner.expect("the owner is listed");
    let (_, got) = call(&a, Method::GET, &format!("{path}/{}", ids[owner]), &token).await;
    assert_eq!(got["email"], "owner@example.com");
    assert_eq!(got, big["results"][owner], "get and list show the same object");
    let members: Vec<&String> =
        ids.iter().enumerate().filter(|(n, _)| *n != owner).map(|(_, id)| id).collect();
    for id in &members[..3] {
        let patch = a
            .http
            .patch(format!("{}/scim/v2/Users/{id}", a.server.url()))
            .bearer_auth(&i.scim_token)
            .json(&json!({"Operations": [{"op": "replace", "path": "active", "value": false}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(patch.status(), 200);
    }
    let count = |body: &Value| body["results"].as_array().unwrap().len();
    let f = |filter: &str| format!("{path}?max_page_size=100&filter={filter}");
    let (_, active) = call(&a, Method::GET, &f("user.isActive()"), &token).await;
    let (_, suspended) = call(&a, Method::GET, &f("user.isSuspended()"), &token).await;
    assert_eq!((count(&active), count(&suspended)), (28, 3));
    assert!(suspended["results"].as_array().unwrap().iter().all(|u| u["state"] == "SUSPENDED"));

    // Bad inputs: each a 400 INVALID_ARGUMENT naming the problem.
    let other_filter_token = {
        let (_, p) = call(&a, Method::GET, &format!("{path}?max_page_size=2"), &token).await;
        p["next_page_token"].as_str().unwrap().to_owned()
    };
    for bad in [
        "filter=user.isAdmin()".to_owned(),
        "filter=userName%20eq%20%22a%22".to_owned(),
        "max_page_size=-1".to_owned(),
        "max_page_size=ten".to_owned(),
        "count=10".to_owned(),
        "page_token=CAIQAg".to_owned(),
        format!("filter=user.isActive()&page_token={other_filter_token}"),
    ] {
        let (status, body) = call(&a, Method::GET, &format!("{path}?{bad}"), &token).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_error(&body, 400, "INVALID_ARGUMENT");
    }
    // A page token of another tenant is refused too.
    let other = create_tenant(&a, json!({"name": "other", "seed": seeded_users(3)})).await;
    let other_token = access_token(&a, &other).await;
    let (status, _) = call(
        &a,
        Method::GET,
        &format!("{}?page_token={other_filter_token}", users_path(&other)),
        &other_token,
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn page_tokens_stay_correct_while_users_change_between_pages() {
    let a = Admin::start().await;
    let i = create_tenant(&a, json!({"name": "busy", "seed": seeded_users(12)})).await;
    let token = access_token(&a, &i).await;
    let path = users_path(&i);
    let all_ids = |body: &Value| -> Vec<String> {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().into())
            .collect()
    };
    let (_, everyone) = call(&a, Method::GET, &format!("{path}?max_page_size=100"), &token).await;
    let order = all_ids(&everyone);
    assert_eq!(order.len(), 13);

    let mut seen: Vec<String> = Vec::new();
    let mut page_token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut url = format!("{path}?filter=user.isActive()&max_page_size=4");
        if let Some(t) = &page_token {
            url.push_str(&format!("&page_token={t}"));
        }
        let (status, page) = call(&a, Method::GET, &url, &token).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(all_ids(&page));
        pages += 1;
        if pages == 1 {
            // Between pages: a user not yet listed is suspended, one already listed is
            // suspended, and a new user joins (she is listed last: newest).
            let suspend = |id: String| {
                a.http
                    .patch(format!("{}/scim/v2/Users/{id}", a.server.url()))
                    .bearer_auth(&i.scim_token)
                    .json(&json!({"Operations": [{"op": "replace", "path": "active", "value": false}]}))
                    .send()
            };
            assert_eq!(suspend(order[10].clone()).await.unwrap().status(), 200);
            assert_eq!(suspend(order[1].clone()).await.unwrap().status(), 200);
            let (status, _) =
                a.json(Method::POST, "/tenants/busy/clock", Some(json!({"advance": "1m"}))).await;
            assert_eq!(status, 200);
            let (status, body) = a
                .json(
                    Method::POST,
                    "/tenants/busy/seed",
                    Some(json!({"users": [{"userName": "late@example.com"}]})),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
        match page["next_page_token"].as_str() {
            Some(t) => page_token = Some(t.to_owned()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "nobody twice: {seen:?}");
    assert!(!seen.contains(&order[10]), "suspended before being reached: not listed");
    assert!(seen.contains(&order[1]), "listed before the suspension");
    for (n, id) in order.iter().enumerate() {
        if n != 10 {
            assert!(seen.contains(id), "user {n} ({id}) active throughout was skipped");
        }
    }
    assert_eq!(seen.len(), 13, "12 of the original 13, plus the newcomer");
}

#[tokio::test]
async fn suspend_and_reactivate_are_idempotent_and_audited_like_scim() {
    let a = Admin::start().await;
    let i = create_tenant(&a, json!({"name": "audit", "seed": seeded_users(2)})).await;
    let token = access_token(&a, &i).await;
    let path = users_path(&i);
    let (_, list) = call(&a, Method::GET, &path, &token).await;
    let jane =
        list["results"].as_array().unwrap().iter().find(|u| u["email"] == "user01@example.com");
    let jane = jane.unwrap()["id"].as_str().unwrap().to_owned();

    for _ in 0..2 {
        let (status, user) =
            call(&a, Method::POST, &format!("{path}/{jane}:suspend"), &token).await;
        assert_eq!(status, 200, "{user}");
        assert_eq!(user["state"], "SUSPENDED");
    }
    let scim: Value = a
        .http
        .get(format!("{}/scim/v2/Users/{jane}", a.server.url()))
        .bearer_auth(&i.scim_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(scim["active"], false, "the bridge sees the same account: {scim}");
    // Reactivate through SCIM, then through the Users API (a no-op).
    let patch = a
        .http
        .patch(format!("{}/scim/v2/Users/{jane}", a.server.url()))
        .bearer_auth(&i.scim_token)
        .json(&json!({"Operations": [{"op": "replace", "path": "active", "value": true}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 200);
    for _ in 0..2 {
        let (status, user) =
            call(&a, Method::POST, &format!("{path}/{jane}:reactivate"), &token).await;
        assert_eq!((status, user["state"].as_str()), (200, Some("ACTIVE")));
    }
    let events: Value = a
        .http
        .post(format!("{}/api/v2/auditevents", a.server.url()))
        .bearer_auth(&i.events_token)
        .json(&json!({"limit": 1000}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let about_jane: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["object_uuid"] == jane.as_str())
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| ["suspend", "reactive"].contains(a))
        .collect();
    assert_eq!(about_jane, ["suspend", "reactive"], "one event per real change");
    assert_eq!(a.count("audit", "method=POST&path=/v1beta1/accounts/**").await, 4, "journaled");
}

#[tokio::test]
async fn suspension_refusals_and_bad_resource_requests() {
    let a = Admin::start().await;
    let mut seed = seeded_users(1);
    seed["users"]
        .as_array_mut()
        .unwrap()
        .push(json!({"userName": "eam@example.com", "role": "admin"}));
    let i = create_tenant(
        &a,
        json!({"name": "rules", "seed": seed,
               "profile": {"users_api_eam_users": ["EAM@example.com"]}}),
    )
    .await;
    let token = access_token(&a, &i).await;
    let path = users_path(&i);
    let (_, list) = call(&a, Method::GET, &path, &token).await;
    let id_of = |email: &str| {
        list["results"].as_array().unwrap().iter().find(|u| u["email"] == email).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (owner, eam) = (id_of("owner@example.com"), id_of("eam@example.com"));
    let (status, body) = call(&a, Method::POST, &format!("{path}/{owner}:suspend"), &token).await;
    assert_eq!(status, 400, "the last owner: {body}");
    assert_error(&body, 400, "FAILED_PRECONDITION");
    let (status, body) = call(&a, Method::POST, &format!("{path}/{eam}:suspend"), &token).await;
    assert_eq!(status, 403, "{body}");
    assert_error(&body, 403, "PERMISSION_DENIED");
    let (_, still) = call(&a, Method::GET, &format!("{path}/{eam}"), &token).await;
    assert_eq!(still["state"], "ACTIVE", "a refusal changes nothing");

    let missing = "AAAAAAAAAAAAAAAAAAAAAAAAAA";
    for (method, p, code, status) in [
        (Method::GET, format!("{path}/{missing}"), 404, "NOT_FOUND"),
        (Method::POST, format!("{path}/{missing}:suspend"), 404, "NOT_FOUND"),
        (Method::POST, format!("{path}/{owner}:delete"), 404, "NOT_FOUND"),
        (Method::POST, format!("{path}/{owner}"), 405, "METHOD_NOT_ALLOWED"),
        (Method::GET, format!("{path}/{owner}:suspend"), 405, "METHOD_NOT_ALLOWED"),
        (Method::DELETE, format!("{path}/{owner}"), 405, "METHOD_NOT_ALLOWED"),
        (Method::GET, "/v1beta1/accounts/not-an-account/users".to_owned(), 400, "INVALID_ARGUMENT"),
        (
            Method::GET,
            "/v1beta1/accounts/AAAAAAAAAAAAAAAAAAAAAAAAAA/users".to_owned(),
            403,
            "PERMISSION_DENIED",
        ),
    ] {
        let (got, body) = call(&a, method.clone(), &p, &token).await;
        assert_eq!(got, code, "{method} {p}: {body}");
        if code != 405 || method != Method::DELETE {
            assert_error(&body, code, status);
        }
    }
    // Credentials of other APIs are not access tokens.
    for wrong in [i.scim_token.as_str(), i.events_token.as_str(), i.client_id.as_str(), "nope"] {
        let (status, body) = call(&a, Method::GET, &path, wrong).await;
        assert_eq!(status, 401, "{wrong}");
        assert_error(&body, 401, "UNAUTHENTICATED");
    }
    let resp = a.http.get(format!("{}{path}", a.server.url())).send().await.unwrap();
    assert_eq!(resp.status(), 401, "no token");
    // And an access token is not a SCIM token.
    let scim = a.api(Method::GET, "/scim/v2/Users", &token).await;
    assert_eq!(scim.status(), 401);
}

#[tokio::test]
async fn hosted_provisioning_refuses_the_users_api_as_documented() {
    let a = Admin::start().await;
    let i = create_tenant(&a, json!({"name": "hosted", "profile": {"hosted_provisioning": true}}))
        .await;
    let token = access_token(&a, &i).await;
    let (status, body) = call(&a, Method::GET, &users_path(&i), &token).await;
    assert_eq!(status, 403);
    assert_error(&body, 403, "PERMISSION_DENIED");
    assert!(body["error"]["message"].as_str().unwrap().contains("automated provisioning"));
}

#[tokio::test]
async fn faults_rate_limits_and_the_journal_cover_the_users_api() {
    let a = Admin::start().await;
    let i = default_integration(&a).await;
    let token = access_token(&a, &i).await;
    let path = users_path(&i);
    a.add_fault(
        "default",
        json!({"match": {"api": "users", "method": "GET"}, "times": 1,
               "action": {"status": 429, "retry_after": 7}}),
    )
    .await;
    let resp = a.api(Method::GET, &path, &token).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    assert_eq!(resp.headers()["content-type"], "application/json");
    let body: Value = resp.json().await.unwrap();
    assert_error(&body, 429, "RESOURCE_EXHAUSTED");
    assert_eq!(call(&a, Method::GET, &path, &token).await.0, 200, "fired once");
    // A SCIM fault does not touch the Users API.
    a.add_fault("default", json!({"match": {"api": "scim"}, "action": {"status": 503}})).await;
    assert_eq!(call(&a, Method::GET, &path, &token).await.0, 200);
    let (status, _) = a.json(Method::DELETE, "/tenants/default/faults", None).await;
    assert_eq!(status, 200);

    let (status, body) = a
        .json(
            Method::PUT,
            "/tenants/default/ratelimits",
            Some(json!({"users": [{"requests": 2, "per": "1m"}]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let first = a.api(Method::GET, &path, &token).await;
    assert_eq!(first.headers()["ratelimit-remaining"], "1");
    assert_eq!(a.api(Method::GET, &path, &token).await.status(), 200);
    let refused = a.api(Method::GET, &path, &token).await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert_error(&body, 429, "RESOURCE_EXHAUSTED");
    // The token endpoint is journaled in the tenant its client id names.
    assert!(a.count("default", "method=POST&path=/v1beta1/users/oauth2/token").await >= 1);
    assert_eq!(a.count("default", "status=429&path=/v1beta1/**").await, 2);
}

#[tokio::test]
async fn tenants_have_their_own_integrations() {
    let a = Admin::start().await;
    let one = create_tenant(&a, json!({"name": "one"})).await;
    let two = create_tenant(&a, json!({"name": "two"})).await;
    assert_ne!(one.client_id, two.client_id);
    assert_ne!(one.account_id, two.account_id);
    let token_two = access_token(&a, &two).await;
    let (status, body) = call(&a, Method::GET, &users_path(&one), &token_two).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(call(&a, Method::GET, &users_path(&two), &token_two).await.0, 200);
    // The listing is listed by GET /__admin/tenants too.
    let (_, all) = a.json(Method::GET, "/tenants", None).await;
    assert!(
        all["tenants"].as_array().unwrap().iter().all(|t| t["users_api_client_secret"].is_string())
    );
}

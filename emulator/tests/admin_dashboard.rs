//! The dashboard over HTTP: the page and its assets (open, holding no data), and the JSON
//! endpoints it reads (users with a SCIM filter, groups, suspend/reactivate, the journal with a
//! cursor, the newest events), each guarded by the admin token. The page itself is tested in a
//! real browser by `.ci/dashboard.sh`.

mod common;

use common::Admin;
use reqwest::Method;
use serde_json::{Value, json};

async fn get(a: &Admin, path: &str) -> (u16, Value) {
    a.json(Method::GET, path, None).await
}

fn user<'a>(users: &'a Value, user_name: &str) -> &'a Value {
    users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_name"] == user_name)
        .unwrap_or_else(|| panic!("no {user_name} in {users}"))
}

#[tokio::test]
async fn the_page_and_assets_are_served_open_with_no_account_data() {
    let a = Admin::start().await;
    for (path, ty) in
        [("/ui", "text/html"), ("/ui/app.js", "text/javascript"), ("/ui/app.css", "text/css")]
    {
        let resp = a.http.get(format!("{}{path}", a.server.admin_url())).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let h = resp.headers();
        assert!(h["content-type"].to_str().unwrap().starts_with(ty), "{path}: {h:?}");
        assert_eq!(h["cache-control"], "no-store");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), "{csp}");
        let body = resp.text().await.unwrap();
        assert!(!body.contains("alice.owner@example.com"), "{path} holds account data");
        assert!(!body.contains(&a.server.admin_token()), "{path} holds the admin token");
        assert!(!body.contains(&a.server.scim_token()), "{path} holds a SCIM token");
        if path == "/ui" {
            assert!(body.contains(r#"<form id="signin-form">"#), "the sign-in form");
            assert!(body.contains(r#"src="/__admin/ui/app.js""#));
            // Nothing is loaded from elsewhere.
            assert!(!body.contains("http://") && !body.contains("https://"));
        }
    }
}

#[tokio::test]
async fn every_data_endpoint_needs_the_admin_token() {
    let a = Admin::start().await;
    let scim = a.server.scim_token();
    for (method, path) in [
        (Method::GET, "/tenants/default/users"),
        (Method::GET, "/tenants/default/groups"),
        (Method::GET, "/tenants/default/journal/feed"),
        (Method::GET, "/tenants/default/recent/auditevents"),
        (Method::POST, "/tenants/default/users/X/suspend"),
        (Method::POST, "/tenants/default/users/X/reactivate"),
    ] {
        let url = format!("{}{path}", a.server.admin_url());
        for token in [None, Some(scim.as_str())] {
            let mut req = a.http.request(method.clone(), &url);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 401, "{method} {path} with {token:?}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["status"], 401);
            assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
        }
    }
}

#[tokio::test]
async fn users_show_state_role_groups_and_last_change_and_take_a_scim_filter() {
    let a = Admin::start().await;
    let (status, users) = get(&a, "/tenants/default/users").await;
    assert_eq!(status, 200, "{users}");
    assert_eq!(users["total"], users["users"].as_array().unwrap().len());
    let alice = user(&users, "alice.owner@example.com");
    assert_eq!((alice["state"].as_str(), alice["role"].as_str()), (Some("ACTIVE"), Some("owner")));
    assert_eq!(user(&users, "bob.admin@example.com")["role"], "admin");
    assert_eq!(user(&users, "ivan.guest@example.com")["role"], "guest");
    let dave = user(&users, "dave@example.com");
    assert_eq!(dave["state"], "TRANSFER_STARTED");
    assert_eq!((dave["active"].as_bool(), dave["signed_up"].as_bool()), (Some(true), Some(false)));
    let groups: Vec<&str> =
        dave["groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert!(groups.contains(&"Engineering"), "{dave}");
    assert_eq!(user(&users, "erin@example.com")["state"], "SUSPENDED");
    assert_eq!(user(&users, "erin@example.com")["active"], false);
    assert!(alice["last_modified"].as_str().unwrap().ends_with('Z'));

    // Any SCIM filter, evaluated whatever the bridge profile allows.
    let q = "/tenants/default/users?filter=userName%20sw%20%22dave%22%20or%20active%20eq%20false";
    let (status, some) = get(&a, q).await;
    assert_eq!(status, 200, "{some}");
    let mut names: Vec<&str> = some["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["dave@example.com", "erin@example.com", "frank@example.com"]);

    // A bad filter says where.
    let (status, err) = get(&a, "/tenants/default/users?filter=userName%20zz%20%22a%22").await;
    assert_eq!(status, 400, "{err}");
    assert!(err["error"].as_str().unwrap().contains("column 10"), "{err}");
    let (status, err) = get(&a, "/tenants/default/users?sort=x").await;
    assert_eq!((status, err["status"].as_u64()), (400, Some(400)));
    let (status, _) = get(&a, "/tenants/nope/users").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn groups_list_their_members() {
    let a = Admin::start().await;
    let (status, body) = get(&a, "/tenants/default/groups").await;
    assert_eq!(status, 200, "{body}");
    let groups = body["groups"].as_array().unwrap();
    let eng = groups.iter().find(|g| g["name"] == "Engineering").expect("Engineering");
    assert_eq!(eng["builtin"], false);
    let members: Vec<&str> = eng["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_name"].as_str().unwrap())
        .collect();
    assert_eq!(members, ["carol@example.com", "dave@example.com"]);
    let owners = groups.iter().find(|g| g["name"] == "Owners").expect("Owners");
    assert_eq!(owners["builtin"], true);
    assert_eq!(owners["members"][0]["user_name"], "alice.owner@example.com");
}

#[tokio::test]
async fn suspend_and_reactivate_go_through_the_account_and_are_audited() {
    let a = Admin::start().await;
    let (_, users) = get(&a, "/tenants/default/users").await;
    let dave = user(&users, "dave@example.com")["id"].as_str().unwrap().to_owned();
    let alice = user(&users, "alice.owner@example.com")["id"].as_str().unwrap().to_owned();
    let ivan = user(&users, "ivan.guest@example.com")["id"].as_str().unwrap().to_owned();
    let (_, before) = get(&a, "/tenants/default/recent/auditevents").await;

    let path = format!("/tenants/default/users/{dave}/suspend");
    let (status, body) = a.json(Method::POST, &path, None).await;
    assert_eq!(status, 200, "{body}");
    // An invitee suspended before finishing sign-up, as deprovisioning does it.
    assert_eq!(body["user"]["state"], "TRANSFER_SUSPENDED");
    assert_eq!(body["changed"], true);
    let (_, again) = a.json(Method::POST, &path, None).await;
    assert_eq!(again["changed"], false, "suspending twice changes nothing");

    let (_, audit) = get(&a, "/tenants/default/recent/auditevents?limit=1").await;
    assert_eq!(audit["total"].as_u64(), before["total"].as_u64().map(|n| n + 1));
    let newest = &audit["items"][0];
    assert_eq!(
        (newest["action"].as_str(), newest["object_uuid"].as_str()),
        (Some("suspend"), Some(dave.as_str()))
    );

    let path = format!("/tenants/default/users/{dave}/reactivate");
    let (status, body) = a.json(Method::POST, &path, None).await;
    assert_eq!((status, body["user"]["state"].as_str()), (200, Some("TRANSFER_STARTED")));
    let (_, audit) = get(&a, "/tenants/default/recent/auditevents?limit=2").await;
    let actions: Vec<&str> =
        audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["reactive", "suspend"], "newest first");

    // The account's rules hold: the last owner and guests are refused, with a reason.
    for (id, needle) in [(alice.as_str(), "last owner"), (ivan.as_str(), "guest")] {
        let (status, err) =
            a.json(Method::POST, &format!("/tenants/default/users/{id}/suspend"), None).await;
        assert_eq!(status, 409, "{err}");
        assert!(err["error"].as_str().unwrap().contains(needle), "{err}");
    }
    let (status, _) = a.json(Method::POST, "/tenants/default/users/NOPE/suspend", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_journal_feed_returns_each_request_once_by_cursor() {
    let a = Admin::start().await;
    let token = a.server.scim_token();
    let (status, page) = get(&a, "/tenants/default/journal/feed").await;
    assert_eq!((status, page["next"].as_u64()), (200, Some(0)), "{page}");
    assert_eq!(page["requests"], json!([]));

    for path in ["/scim/v2/Users?count=1", "/scim/v2/Groups", "/scim/v2/Users/NOPE"] {
        a.api(Method::GET, path, &token).await;
    }
    let (_, page) = get(&a, "/tenants/default/journal/feed?after=0&limit=2").await;
    let seqs: Vec<u64> =
        page["requests"].as_array().unwrap().iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [0, 1]);
    assert_eq!(page["requests"][0]["path"], "/scim/v2/Users");
    assert_eq!(page["requests"][0]["query"], "count=1");
    assert_eq!(page["requests"][0]["status"], 200);
    let (_, rest) = get(&a, &format!("/tenants/default/journal/feed?after={}", page["next"])).await;
    assert_eq!(rest["requests"].as_array().unwrap().len(), 1);
    assert_eq!(
        (rest["requests"][0]["seq"].as_u64(), rest["requests"][0]["status"].as_u64()),
        (Some(2), Some(404))
    );
    assert_eq!(rest["next"], 3);

    // The fault rule that fired is on the row.
    a.add_fault("default", json!({"id": "boom", "times": 1, "action": {"status": 503}})).await;
    a.api(Method::GET, "/scim/v2/Users", &token).await;
    let (_, page) = get(&a, "/tenants/default/journal/feed?after=3").await;
    assert_eq!(page["requests"][0]["fault"], "boom");
    assert_eq!(page["requests"][0]["status"], 503);

    // Clearing keeps the numbering; a cursor past the end starts over.
    a.json(Method::DELETE, "/tenants/default/journal", None).await;
    a.api(Method::GET, "/scim/v2/Groups", &token).await;
    let (_, page) = get(&a, "/tenants/default/journal/feed?after=4").await;
    assert_eq!(
        (page["requests"][0]["seq"].as_u64(), page["restarted"].as_bool()),
        (Some(4), Some(false))
    );
    let (_, page) = get(&a, "/tenants/default/journal/feed?after=999").await;
    assert_eq!(page["restarted"], true);
    assert_eq!(page["requests"].as_array().unwrap().len(), 1);

    for q in ["after=-1", "after=x", "limit=0", "limit=501", "cursor=1"] {
        let (status, err) = get(&a, &format!("/tenants/default/journal/feed?{q}")).await;
        assert_eq!(status, 400, "{q}: {err}");
        assert!(err["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
}

#[tokio::test]
async fn recent_events_are_newest_first_per_stream() {
    let a = Admin::start().await;
    let path = "/tenants/default/events/itemusages";
    let doc = |item: &str| {
        json!({"vault_uuid": "v1", "item_uuid": item, "action": "reveal",
               "user": {"uuid": "U1", "name": "Ann", "email": "ann@example.com"}})
    };
    let (status, body) =
        a.json(Method::POST, path, Some(json!({"events": [doc("first"), doc("second")]}))).await;
    assert!(status == 200 || status == 201, "{status} {body}");
    let (status, recent) = get(&a, "/tenants/default/recent/itemusages").await;
    assert_eq!(status, 200, "{recent}");
    assert_eq!(recent["total"], 2);
    assert_eq!(recent["items"][0]["item_uuid"], "second");
    assert_eq!(recent["items"][1]["item_uuid"], "first");

    a.json(
        Method::POST,
        "/tenants/default/events/signinattempts",
        Some(json!({"generate": 5, "seed": 7})),
    )
    .await;
    let (_, recent) = get(&a, "/tenants/default/recent/signinattempts?limit=3").await;
    assert_eq!((recent["total"].as_u64(), recent["items"].as_array().unwrap().len()), (Some(5), 3));
    assert!(recent["items"][0]["category"].is_string());

    let (status, err) = get(&a, "/tenants/default/recent/bogus").await;
    assert_eq!(status, 404);
    assert!(err["error"].as_str().unwrap().contains("auditevents"), "{err}");
    for q in ["limit=0", "limit=1001", "limit=ten", "after=1"] {
        let (status, _) = get(&a, &format!("/tenants/default/recent/auditevents?{q}")).await;
        assert_eq!(status, 400, "{q}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_dashboard_routes() {
    let a = Admin::start().await;
    let resp = a.http.get(format!("{}/openapi.json", a.server.admin_url())).send().await.unwrap();
    let doc: Value = resp.json().await.unwrap();
    for (path, method) in [
        ("/ui", "get"),
        ("/tenants/{name}/users", "get"),
        ("/tenants/{name}/groups", "get"),
        ("/tenants/{name}/users/{id}/suspend", "post"),
        ("/tenants/{name}/users/{id}/reactivate", "post"),
        ("/tenants/{name}/journal/feed", "get"),
        ("/tenants/{name}/recent/{stream}", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} undocumented");
    }
}

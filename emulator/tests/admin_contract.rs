//! Every `/__admin` error has one shape, `{"status": N, "error": "..."}`, the Events API's
//! control routes included; and `PUT /ratelimits` changes only the APIs it names.

mod common;

use common::Admin;
use reqwest::Method;
use serde_json::{Value, json};

/// Asserts `body` is exactly an admin error with `status`, and returns its message.
fn admin_error(status: u16, body: &Value) -> String {
    let obj = body.as_object().unwrap_or_else(|| panic!("not a JSON object: {body}"));
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    assert_eq!(keys, ["status", "error"], "{body}");
    assert_eq!(body["status"], status, "{body}");
    let message = body["error"].as_str().unwrap_or_else(|| panic!("error is not text: {body}"));
    assert!(!message.is_empty(), "{body}");
    message.to_owned()
}

#[tokio::test]
async fn events_control_routes_answer_errors_like_every_other_admin_route() {
    let a = Admin::start().await;
    let cases: &[(Method, &str, Option<Value>, u16, &str)] = &[
        (
            Method::POST,
            "/tenants/nope/events/signinattempts",
            Some(json!({"generate": 1})),
            404,
            "nope",
        ),
        (Method::GET, "/tenants/nope/events", None, 404, "nope"),
        (Method::GET, "/tenants/nope/events/tokens", None, 404, "nope"),
        (
            Method::POST,
            "/tenants/default/events/signinattempts",
            Some(json!({"generate": 1, "events": []})),
            400,
            "either",
        ),
        (Method::POST, "/tenants/default/events/itemusages", Some(json!({"what": 1})), 400, "what"),
        (
            Method::POST,
            "/tenants/default/events/auditevents",
            Some(json!({"generate": 3})),
            400,
            "not generated",
        ),
        (
            Method::POST,
            "/tenants/default/events/tokens",
            Some(json!({"features": ["everything"]})),
            400,
            "features",
        ),
        (
            Method::POST,
            "/tenants/default/events/tokens",
            Some(json!({"expires_in_secs": -1})),
            400,
            "expires_in_secs",
        ),
        // Not Events routes, for comparison: the same shape.
        (Method::GET, "/tenants/nope/journal", None, 404, "nope"),
        (Method::PUT, "/tenants/default/ratelimits", Some(json!({"graphql": []})), 400, "graphql"),
        (Method::GET, "/no/such/route", None, 404, "openapi"),
    ];
    for (method, path, body, status, needle) in cases {
        let (got, resp) = a.json(method.clone(), path, body.clone()).await;
        assert_eq!(got, *status, "{method} {path} -> {resp}");
        let message = admin_error(*status, &resp);
        assert!(message.contains(needle), "{method} {path}: {message:?} lacks {needle:?}");
    }
}

#[tokio::test]
async fn events_control_routes_refuse_other_tokens_with_the_admin_error_shape() {
    let a = Admin::start().await;
    let url = format!("{}/tenants/default/events/signinattempts", a.server.admin_url());
    for token in [Some(a.server.events_token()), Some(a.server.scim_token()), None] {
        let mut req = a.http.post(&url).json(&json!({"generate": 1}));
        if let Some(t) = &token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401);
        let body: Value = resp.json().await.unwrap();
        admin_error(401, &body);
    }
    let (_, summary) = a.json(Method::GET, "/tenants/default/events", None).await;
    assert_eq!(summary["signin_attempts"], 0, "a refused request appended nothing");
}

#[tokio::test]
async fn the_second_events_limiter_route_is_gone() {
    let a = Admin::start().await;
    let (status, body) = a
        .json(Method::PUT, "/tenants/default/events/ratelimit", Some(json!({"enabled": true})))
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(admin_error(404, &body).contains("no control endpoint"));
}

#[tokio::test]
async fn put_ratelimits_changes_only_the_apis_it_names() {
    let a = Admin::start().await;
    let events = json!([{"requests": 600, "per": 60}, {"requests": 30000, "per": 3600}]);
    let (status, cfg) = a
        .json(
            Method::PUT,
            "/tenants/default/ratelimits",
            Some(json!({"events": [{"requests": 600, "per": "1m"}, {"requests": 30000, "per": "1h"}]})),
        )
        .await;
    assert_eq!(status, 200, "{cfg}");
    assert_eq!(cfg, json!({"scim": [], "events": events}));
    let (_, cfg) = a
        .json(
            Method::PUT,
            "/tenants/default/ratelimits",
            Some(json!({"scim": [{"requests": 100, "per": 60}]})),
        )
        .await;
    assert_eq!(cfg, json!({"scim": [{"requests": 100, "per": 60}], "events": events}));
    let (_, read) = a.json(Method::GET, "/tenants/default/ratelimits", None).await;
    assert_eq!(read, cfg, "GET reads what the PUT answered");
    let (_, summary) = a.json(Method::GET, "/tenants/default/events", None).await;
    assert_eq!(summary["rate_limited"], true);

    // Both APIs really are limited now.
    let events_resp = a.api(Method::POST, "/api/v2/auditevents", &a.server.events_token()).await;
    assert_eq!(events_resp.headers()["ratelimit-limit"], "600");
    let scim_resp = a.api(Method::GET, "/ping", &a.server.scim_token()).await;
    assert_eq!(scim_resp.headers()["ratelimit-limit"], "100");

    // An empty list lifts one API's limits; an invalid update changes nothing.
    let (status, err) = a
        .json(
            Method::PUT,
            "/tenants/default/ratelimits",
            Some(json!({"events": [], "scim": [{"requests": 0, "per": 60}]})),
        )
        .await;
    assert!(admin_error(400, &err).contains("scim[0].requests"), "{status} {err}");
    let (_, cfg) =
        a.json(Method::PUT, "/tenants/default/ratelimits", Some(json!({"events": []}))).await;
    assert_eq!(cfg, json!({"scim": [{"requests": 100, "per": 60}], "events": []}));
    let (_, summary) = a.json(Method::GET, "/tenants/default/events", None).await;
    assert_eq!(summary["rate_limited"], false);
}

#[tokio::test]
async fn reset_all_on_a_system_clock_keeps_the_events_token_clients_hold() {
    // The banner and ready file print the default tenant's tokens once; a reset must not
    // invalidate them, whatever the clock says.
    let config = emulator::EmulatorConfig {
        clock: emulator::config::ClockMode::System,
        ..Default::default()
    };
    let a = Admin {
        server: emulator::TestServer::with_config(config).await,
        http: reqwest::Client::new(),
    };
    let (events, scim) = (a.server.events_token(), a.server.scim_token());
    // Let the system clock move past the second the original token was signed in.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, body) = a.json(Method::POST, "/reset", Some(json!({"scope": "all"}))).await;
    assert_eq!(status, 200, "{body}");
    let introspect = a.api(Method::GET, "/api/v2/auth/introspect", &events).await;
    assert_eq!(introspect.status(), 200);
    let users = a.api(Method::GET, "/scim/v2/Users", &scim).await;
    assert_eq!(users.status(), 200);
    assert_eq!(a.server.events_token(), events, "the default token is the same one");
}

#[tokio::test]
async fn a_yaml_seed_without_its_content_type_gets_a_hint() {
    let a = Admin::start().await;
    let yaml = "users:\n  - userName: yaml@example.com\n";
    let resp = a
        .http
        .post(format!("{}/tenants/default/seed", a.server.admin_url()))
        .bearer_auth(a.server.admin_token())
        .body(yaml)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert!(admin_error(400, &body).contains("Content-Type: application/yaml"), "{body}");
    let resp = a
        .http
        .post(format!("{}/tenants/default/seed", a.server.admin_url()))
        .bearer_auth(a.server.admin_token())
        .header("content-type", "application/yaml")
        .body(yaml)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

#[tokio::test]
async fn setting_a_system_clock_leaves_it_a_system_clock() {
    let config = emulator::EmulatorConfig {
        clock: emulator::config::ClockMode::System,
        ..Default::default()
    };
    let a = Admin {
        server: emulator::TestServer::with_config(config).await,
        http: reqwest::Client::new(),
    };
    let (status, c) = a
        .json(Method::POST, "/tenants/default/clock", Some(json!({"set": "2030-01-01T00:00:00Z"})))
        .await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["mode"], "system", "{c}");
    assert!(c["now"].as_str().unwrap().starts_with("2030-01-01T00:0"), "{c}");
}

#[tokio::test]
async fn a_bad_duration_says_which_forms_work() {
    let a = Admin::start().await;
    let (status, err) =
        a.json(Method::POST, "/tenants/default/clock", Some(json!({"advance": "soon"}))).await;
    assert_eq!(status, 400);
    let message = admin_error(400, &err);
    assert!(message.contains("\"90s\"") && !message.contains("must come before"), "{message}");
}

#[tokio::test]
async fn the_root_says_what_is_served_where() {
    let a = Admin::start().await;
    let resp = a.http.get(format!("{}/", a.server.url())).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["name"], "scimulator");
    for key in ["scim", "events", "admin"] {
        assert!(body[key].as_str().is_some_and(|s| s.starts_with('/')), "{key}: {body}");
    }
}

#[tokio::test]
async fn generated_sign_in_attempts_are_about_people_the_bridge_lists() {
    let a = Admin::start().await;
    let (status, body) = a
        .json(
            Method::POST,
            "/tenants/default/events/signinattempts",
            Some(json!({"generate": 40, "seed": 7})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let users: Value = a
        .api(Method::GET, "/scim/v2/Users?count=1000", &a.server.scim_token())
        .await
        .json()
        .await
        .unwrap();
    let emails: Vec<String> = users["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(emails.len() >= 5, "{users}");
    let page: Value = a
        .http
        .post(format!("{}/api/v2/signinattempts", a.server.events_url()))
        .bearer_auth(a.server.events_token())
        .json(&json!({"limit": 100}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 40, "{page}");
    for item in items {
        let email = item["target_user"]["email"].as_str().unwrap_or_default().to_lowercase();
        assert!(emails.contains(&email), "{email} is not in /Users: {item}");
    }
}

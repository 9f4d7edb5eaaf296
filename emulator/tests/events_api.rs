//! The Events API over a real socket: introspection, tokens, paging with durable cursors, every
//! event kind field by field, v3, bad input, and the control routes that feed the log.

use chrono::Duration;
use emulator::account::{Change, GroupRef, UserRef};
use emulator::events::token::decode_unverified;
use emulator::state::TenantSpec;
use emulator::{Profile, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Api {
    server: TestServer,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Api {
        Api { server: TestServer::start().await, http: reqwest::Client::new() }
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.server.events_url()))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.server.events_url()))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn admin(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}/tenants/default{path}", self.server.admin_url()))
            .bearer_auth(self.server.admin_token())
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    fn record(&self, changes: &[Change]) {
        self.server.emulator().default_tenant().write().record(changes);
    }

    fn advance(&self, secs: i64) {
        self.server.emulator().default_tenant().write().clock.advance(Duration::seconds(secs));
    }

    fn token(&self) -> String {
        self.server.events_token()
    }
}

fn alice() -> UserRef {
    UserRef {
        id: "ALICEALICEALICEALICEALICE2".into(),
        name: "Alice Smith".into(),
        email: "alice@example.com".into(),
    }
}

fn engineers() -> GroupRef {
    GroupRef { id: "engineersengineersengineer".into(), name: "Engineers".into() }
}

fn uuids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["uuid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn introspection_v1_and_v2_describe_the_token() {
    let api = Api::start().await;
    let token = api.token();
    let (_, claims) = decode_unverified(&token).expect("a JWT");
    assert_eq!(claims["aud"], json!(["events.1password.com"]));
    assert_eq!(claims["1password.com/fts"], json!(["auditevents", "itemusages", "signinattempts"]));

    let (s, v1) = api.get("/api/auth/introspect", &token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v1["Features"], json!(["auditevents", "itemusages", "signinattempts"]));
    assert_eq!(v1["IssuedAt"], "2026-01-01T00:00:00Z");
    assert_eq!(v1["UUID"], claims["sub"]);
    assert_eq!(v1.as_object().unwrap().len(), 3, "{v1}");

    let (s, v2) = api.get("/api/v2/auth/introspect", &token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v2["uuid"], claims["sub"]);
    assert_eq!(v2["issued_at"], "2026-01-01T00:00:00Z");
    assert_eq!(v2["features"], v1["Features"]);
    assert_eq!(v2["account_uuid"], claims["1password.com/auuid"]);
}

#[tokio::test]
async fn same_seed_gives_the_same_token() {
    let (a, b) = (Api::start().await, Api::start().await);
    let token = a.token();
    assert_eq!(token, b.token());
    let key = a.server.emulator().default_tenant().write().events.signer().verifying_key();
    assert!(emulator::events::token::verify(&token, &key));
}

#[tokio::test]
async fn page_through_history_store_the_cursor_and_pick_up_only_new_events() {
    let api = Api::start().await;
    let token = api.token();
    let changes: Vec<Change> = (0..5)
        .map(|i| Change::UserProvisioned {
            user: UserRef {
                id: format!("USER{i:022}"),
                name: format!("U {i}"),
                email: format!("u{i}@example.com"),
            },
        })
        .collect();
    api.record(&changes);

    let (s, p1) = api.post("/api/v2/auditevents", &token, json!({"limit": 2})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(uuids(&p1).len(), 2);
    assert_eq!(p1["has_more"], true);
    let (_, p2) = api.post("/api/v2/auditevents", &token, json!({"cursor": p1["cursor"]})).await;
    let (_, p3) = api.post("/api/v2/auditevents", &token, json!({"cursor": p2["cursor"]})).await;
    assert_eq!((uuids(&p2).len(), uuids(&p3).len()), (2, 1));
    assert_eq!(p3["has_more"], false);
    let all: Vec<_> = [&p1, &p2, &p3].iter().flat_map(|p| uuids(p)).collect();
    let unique: std::collections::BTreeSet<_> = all.iter().collect();
    assert_eq!(unique.len(), 5);

    // Nothing new: empty page, and the stored cursor keeps working.
    let stored = p3["cursor"].clone();
    let (_, empty) = api.post("/api/v2/auditevents", &token, json!({"cursor": stored})).await;
    assert_eq!((uuids(&empty).len(), &empty["has_more"]), (0, &json!(false)));

    // SCIM suspend + reactivate later: exactly those two, in order.
    api.advance(30);
    api.record(&[Change::UserSuspended { user: alice() }]);
    api.advance(30);
    api.record(&[Change::UserReactivated { user: alice() }]);
    let (_, next) = api.post("/api/v2/auditevents", &token, json!({"cursor": stored})).await;
    let items = next["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        (items[0]["action"].as_str(), items[1]["action"].as_str()),
        (Some("suspend"), Some("reactive"))
    );
    assert_eq!(items[0]["object_uuid"], alice().id);
    assert_eq!(items[0]["timestamp"], "2026-01-01T00:00:30Z");
    assert_eq!(items[1]["timestamp"], "2026-01-01T00:01:00Z");
}

#[tokio::test]
async fn audit_events_from_scim_changes_field_by_field() {
    let api = Api::start().await;
    api.record(&[
        Change::UserSuspended { user: alice() },
        Change::MemberJoined { group: engineers(), user: alice() },
        Change::GroupCreated { group: engineers() },
    ]);
    let (pm, account) = {
        let t = api.server.emulator().default_tenant();
        let t = t.read();
        (t.events.provision_manager().uuid.to_string(), t.events.account_uuid().to_owned())
    };
    let (_, v2) = api.post("/api/v2/auditevents", &api.token(), json!({})).await;
    let suspend = &v2["items"][0];
    let mut keys: Vec<_> = suspend.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "action",
            "actor_details",
            "actor_type",
            "actor_uuid",
            "object_details",
            "object_type",
            "object_uuid",
            "session",
            "timestamp",
            "uuid"
        ]
    );
    assert_eq!(suspend["action"], "suspend");
    assert_eq!(suspend["object_type"], "user");
    assert_eq!(suspend["actor_uuid"], pm);
    assert_eq!(suspend["actor_type"], "user");
    assert_eq!(
        suspend["actor_details"],
        json!({"uuid": pm, "name": "Provision Manager", "email": "provision-manager@scim-bridge.invalid", "user_type": "user"})
    );
    assert_eq!(
        suspend["object_details"],
        json!({"uuid": alice().id, "name": "Alice Smith", "email": "alice@example.com", "user_type": "user"})
    );
    assert_eq!(suspend["session"]["ip"], "127.0.0.1");
    assert_eq!(suspend["uuid"].as_str().unwrap().len(), 26);

    let join = &v2["items"][1];
    assert_eq!(
        (join["action"].as_str(), join["object_type"].as_str()),
        (Some("join"), Some("group"))
    );
    assert_eq!(join["object_uuid"], engineers().id);
    assert!(join.get("object_details").is_none(), "object_details only for user objects");
    assert_eq!(join["aux_uuid"], alice().id);
    assert_eq!(join["aux_details"]["email"], "alice@example.com");

    let create = &v2["items"][2];
    assert_eq!(
        (create["action"].as_str(), create["object_type"].as_str()),
        (Some("create"), Some("group"))
    );
    assert_eq!(create["aux_info"], "Engineers");
    assert!(create.get("aux_details").is_none());

    // v1: no v2-only fields.
    let (_, v1) = api.post("/api/v1/auditevents", &api.token(), json!({})).await;
    let s1 = &v1["items"][0];
    assert!(
        s1.get("actor_type").is_none() && s1["actor_details"].get("user_type").is_none(),
        "{s1}"
    );
    assert!(s1.get("account_uuid").is_none());
    assert_eq!(s1["uuid"], suspend["uuid"]);

    // MSP account: the MSP fields appear in v2 only.
    let msp = Profile { msp_account: true, ..Profile::default() };
    api.server.emulator().default_tenant().write().profile = msp;
    let (_, v2m) = api.post("/api/v2/auditevents", &api.token(), json!({})).await;
    let m = &v2m["items"][0];
    assert_eq!(m["account_uuid"], account);
    assert_eq!(m["actor_account_uuid"], account);
    assert_eq!(m["actor_details"]["user_account_uuid"], account);
    let (_, v1m) = api.post("/api/v1/auditevents", &api.token(), json!({})).await;
    assert!(v1m["items"][0].get("account_uuid").is_none());
}

#[tokio::test]
async fn audit_event_snapshot() {
    let api = Api::start().await;
    api.record(&[
        Change::UserProvisioned { user: alice() },
        Change::MemberLeft { group: engineers(), user: alice() },
    ]);
    let (_, v2) = api.post("/api/v2/auditevents", &api.token(), json!({})).await;
    // Ids drawn from the tenant stream shift when the account module draws more ids first, so
    // they are redacted; the fixed user/group ids stay visible.
    insta::assert_json_snapshot!("audit_events_v2", v2["items"], {
        "[].uuid" => "[event uuid]",
        "[].actor_uuid" => "[provision manager]",
        "[].actor_details.uuid" => "[provision manager]",
        "[].session.uuid" => "[session uuid]",
        "[].session.device_uuid" => "[device uuid]",
    });
}

#[tokio::test]
async fn sign_in_attempts_explicit_and_generated() {
    let api = Api::start().await;
    let explicit = json!({"events": [{
        "category": "firewall_failed", "type": "continent_blocked", "country": "FR",
        "details": {"value": "Europe"},
        "target_user": {"uuid": alice().id, "name": "Alice Smith", "email": "alice@example.com"},
        "client": {"app_name": "1Password for Mac", "app_version": "81003601", "platform_name": "Mac",
                   "platform_version": "", "os_name": "MacOSX", "os_version": "15.1", "ip_address": "90.84.1.2"},
        "location": {"country": "FR", "region": "Ile-de-France", "city": "Paris", "latitude": 48.85, "longitude": 2.35}
    }]});
    let (s, r) = api.admin("/events/signinattempts", explicit).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["appended"], 1);
    let (s, r) = api.admin("/events/signinattempts", json!({"generate": 50, "seed": 7})).await;
    assert_eq!((s, &r["total"]), (StatusCode::CREATED, &json!(51)));

    let (s, page) = api.post("/api/v2/signinattempts", &api.token(), json!({"limit": 1000})).await;
    assert_eq!(s, StatusCode::OK);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 51);
    let first = &items[0];
    let mut keys: Vec<_> = first.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "category",
            "client",
            "country",
            "details",
            "location",
            "session_uuid",
            "target_user",
            "timestamp",
            "type",
            "uuid"
        ]
    );
    assert_eq!(first["type"], "continent_blocked");
    assert_eq!(first["details"], json!({"value": "Europe"}));
    assert_eq!(first["target_user"]["user_type"], "user");
    assert_eq!(first["location"]["latitude"], 48.85);
    // Generated ones: documented values, `details` present (null when empty).
    for e in &items[1..] {
        assert!(e.get("details").is_some());
        assert!(
            emulator::events::model::SIGNIN_CATEGORIES.contains(&e["category"].as_str().unwrap())
        );
    }
    // The country-names switch.
    api.server.emulator().default_tenant().write().profile.signin_country_names = true;
    let (_, named) = api.post("/api/v1/signinattempts", &api.token(), json!({"limit": 1})).await;
    assert_eq!(named["items"][0]["country"], "France");
    assert!(named["items"][0]["target_user"].get("user_type").is_none(), "v1 has no user_type");
}

#[tokio::test]
async fn item_usages_field_by_field() {
    let api = Api::start().await;
    let (s, r) = api
        .admin(
            "/events/itemusages",
            json!({"events": [{"used_version": 3, "vault_uuid": "vault", "item_uuid": "item", "action": "reveal",
                   "user": {"uuid": alice().id, "name": "Alice Smith", "email": "alice@example.com"}}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (_, page) = api.post("/api/v2/itemusages", &api.token(), json!({})).await;
    let e = &page["items"][0];
    assert_eq!(e["used_version"], 3);
    assert_eq!(e["action"], "reveal");
    assert_eq!(e["vault_uuid"], "vault");
    assert_eq!(e["user"]["user_type"], "user");
    assert_eq!(e["timestamp"], "2026-01-01T00:00:00Z");
    assert!(e["client"].is_object() && e.get("account_uuid").is_none());
    // A value outside the documented list is refused, and nothing is appended.
    let (s, r) = api
        .admin("/events/itemusages", json!({"events": [{"vault_uuid": "v", "item_uuid": "i", "action": "peek", "user": {"uuid": "u"}}]}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // A control-plane error: `{"status", "error"}`, like every `/__admin` route.
    assert_eq!(r["status"], 400, "{r}");
    assert!(r["error"].as_str().unwrap().contains("peek"), "{r}");
    let (_, again) = api.post("/api/v2/itemusages", &api.token(), json!({})).await;
    assert_eq!(uuids(&again).len(), 1);
}

#[tokio::test]
async fn tokens_scoped_expired_scim_and_garbage_get_401() {
    let api = Api::start().await;
    let (s, minted) = api
        .admin("/events/tokens", json!({"features": ["auditevents"], "expires_in_secs": 60}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{minted}");
    let limited = minted["token"].as_str().unwrap().to_owned();
    let (_, claims) = decode_unverified(&limited).unwrap();
    assert_eq!(claims["1password.com/fts"], json!(["auditevents"]));
    assert_eq!(claims["exp"], claims["iat"].as_i64().unwrap() + 60);

    let (s, _) = api.post("/api/v2/auditevents", &limited, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = api.post("/api/v2/signinattempts", &limited, json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(body["status"], 401);
    assert!(body["message"].as_str().unwrap().contains("signinattempts"), "{body}");

    api.advance(60);
    let (s, body) = api.post("/api/v2/auditevents", &limited, json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(body["message"].as_str().unwrap().contains("expired"), "{body}");

    let (s, body) = api.post("/api/v2/auditevents", &api.server.scim_token(), json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(body["message"].as_str().unwrap().contains("SCIM"), "{body}");
    let (s, _) = api.get("/api/v2/auth/introspect", "eyJnope.eyJnope.sig").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let r = api
        .http
        .post(format!("{}/api/v1/auditevents", api.server.events_url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The other error body variant.
    api.server.emulator().default_tenant().write().profile.events_error_body =
        emulator::profile::EventsErrorBody::ErrorMessage;
    let (s, body) = api.post("/api/v2/itemusages", &limited, json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(body["Error"]["Message"].is_string(), "{body}");
}

#[tokio::test]
async fn bad_requests_get_400_and_change_nothing() {
    let api = Api::start().await;
    api.record(&[Change::UserSuspended { user: alice() }]);
    let token = api.token();
    let (_, ok) = api.post("/api/v2/auditevents", &token, json!({"limit": 1})).await;
    let cursor = ok["cursor"].as_str().unwrap().to_owned();
    let mut tampered = cursor.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();

    // A cursor from another tenant.
    let other = api
        .server
        .emulator()
        .create_tenant(TenantSpec { name: Some("other".into()), ..Default::default() })
        .unwrap();
    let other_token = other.write().events_token.clone();
    let (_, foreign) = api.post("/api/v2/auditevents", &other_token, json!({})).await;

    let cases = [
        (json!({"cursor": cursor, "limit": 10}), "not both"),
        (json!({"limit": 0}), "limit"),
        (json!({"limit": 1001}), "limit"),
        (json!({"start_time": "last tuesday"}), "start_time"),
        (json!({"limit": 5, "unexpected": true}), "unexpected"),
        (json!({"cursor": tampered}), "cursor"),
        (json!({"cursor": foreign["cursor"]}), "cursor"),
        (json!({"cursor": "aGVsbG8hIGlzIGl0IG1lIHlvdSBhcmUgbG9va2luZyBmb3IK"}), "cursor"),
    ];
    for (body, needle) in cases {
        let (s, err) = api.post("/api/v2/auditevents", &token, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(err["status"], 400);
        assert!(err["message"].as_str().unwrap().contains(needle), "{body} → {err}");
    }
    // A cursor for another endpoint.
    let (s, err) = api.post("/api/v2/signinattempts", &token, json!({"cursor": cursor})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(err["message"].as_str().unwrap().contains("auditevents"), "{err}");
    // The good cursor still works.
    let (s, _) = api.post("/api/v2/auditevents", &token, json!({"cursor": cursor})).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn reset_cursor_time_bounds_and_defaults() {
    let api = Api::start().await;
    let token = api.token();
    api.record(&[Change::UserSuspended { user: alice() }]); // 00:00:00
    api.advance(7200);
    api.record(&[Change::UserReactivated { user: alice() }]); // 02:00:00
    // Default start is one hour before now: only the second.
    let (_, recent) = api.post("/api/v1/auditevents", &token, json!({})).await;
    assert_eq!(recent["items"].as_array().unwrap().len(), 1);
    assert_eq!(recent["items"][0]["action"], "reactive");
    // An explicit window around the first; end_time is inclusive.
    let (_, early) = api
        .post(
            "/api/v1/auditevents",
            &token,
            json!({"start_time": "2025-12-31T19:00:00-05:00", "end_time": "2026-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(early["items"].as_array().unwrap().len(), 1);
    assert_eq!(early["items"][0]["action"], "suspend");
    assert_eq!(early["has_more"], false);
    // A bounded cursor never crosses its end_time, even as events arrive.
    api.record(&[Change::UserSuspended { user: alice() }]);
    let (_, after) =
        api.post("/api/v1/auditevents", &token, json!({"cursor": early["cursor"]})).await;
    assert_eq!(after["items"].as_array().unwrap().len(), 0);
    // end_time alone: start defaults to an hour before it.
    let (_, e) =
        api.post("/api/v1/auditevents", &token, json!({"end_time": "2026-01-01T00:30:00Z"})).await;
    assert_eq!(e["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn v3_audit_events_in_both_parameter_sets() {
    let api = Api::start().await;
    let token = api.token();
    for _ in 0..3 {
        api.record(&[Change::UserSuspended { user: alice() }]);
    }
    let (s, p1) = api.get("/api/v3/auditevents?max_page_size=2", &token).await;
    assert_eq!(s, StatusCode::OK, "{p1}");
    assert_eq!(p1["audit_events"].as_array().unwrap().len(), 2);
    let e = &p1["audit_events"][0];
    assert_eq!(e["action"], "user.suspend", "the v3 vocabulary");
    assert_eq!(e["actor"]["name"], "Provision Manager");
    assert_eq!(e["targets"][0]["uuid"], alice().id);
    assert!(e["insert_time"].as_str().unwrap().starts_with("2026-01-01T00:00:00.0000"), "{e}");
    let next = p1["next_page_token"].as_str().unwrap();
    let (_, p2) = api.get(&format!("/api/v3/auditevents?page_token={next}"), &token).await;
    assert_eq!(p2["audit_events"].as_array().unwrap().len(), 1);
    assert!(p2.get("next_page_token").is_none(), "{p2}");
    // Continue from the last insert_time (exclusive): nothing until new events arrive.
    let last = p2["audit_events"][0]["insert_time"].as_str().unwrap().to_owned();
    let q = format!("/api/v3/auditevents?start_time={}", last.replace('+', "%2B"));
    let (_, p3) = api.get(&q, &token).await;
    assert_eq!(p3["audit_events"], json!([]));
    api.record(&[Change::UserReactivated { user: alice() }]);
    let (_, p4) = api.get(&q, &token).await;
    assert_eq!(p4["audit_events"][0]["action"], "user.reactivate");
    // The v1/v2 codes on request (profile switch `v3_actions`).
    api.server.emulator().default_tenant().write().profile.v3_actions =
        emulator::events::v3_actions::V3Actions::Legacy;
    let (_, legacy) = api.get(&q, &token).await;
    assert_eq!(legacy["audit_events"][0]["action"], "reactive");
    // Bad input.
    let (s, _) =
        api.get(&format!("/api/v3/auditevents?page_token={next}&start_time={last}"), &token).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = api.get("/api/v3/auditevents?page_size=2", &token).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // The other variant.
    api.server.emulator().default_tenant().write().profile.v3_params =
        emulator::profile::V3Params::PageSize;
    let (s, q1) = api.get("/api/v3/auditevents?page_size=3", &token).await;
    assert_eq!(s, StatusCode::OK, "{q1}");
    assert_eq!((q1["audit_events"].as_array().unwrap().len(), &q1["has_more"]), (3, &json!(true)));
    let next = q1["next_page_token"].as_str().unwrap();
    let (_, q2) = api.get(&format!("/api/v3/auditevents?next_page_token={next}"), &token).await;
    assert_eq!((q2["audit_events"].as_array().unwrap().len(), &q2["has_more"]), (1, &json!(false)));
}

#[tokio::test]
async fn rate_limits_are_off_by_default_and_429_when_enabled() {
    let api = Api::start().await;
    let token = api.token();
    for _ in 0..20 {
        assert_eq!(api.post("/api/v2/auditevents", &token, json!({})).await.0, StatusCode::OK);
    }
    let r = api
        .http
        .put(format!("{}/tenants/default/ratelimits", api.server.admin_url()))
        .bearer_auth(api.server.admin_token())
        .json(&json!({"events": [{"requests": 2, "per": "1m"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    api.server.emulator().default_tenant().write().profile.events_retry_after = true;
    assert_eq!(api.post("/api/v2/auditevents", &token, json!({})).await.0, StatusCode::OK);
    assert_eq!(api.get("/api/v2/auth/introspect", &token).await.0, StatusCode::OK);
    let r = api
        .http
        .post(format!("{}/api/v2/auditevents", api.server.events_url()))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "60");
    api.advance(60);
    assert_eq!(api.post("/api/v2/auditevents", &token, json!({})).await.0, StatusCode::OK);
}

#[tokio::test]
async fn control_routes_need_the_admin_token_and_a_known_tenant() {
    let api = Api::start().await;
    let url = format!("{}/tenants/default/events/signinattempts", api.server.admin_url());
    let r = api
        .http
        .post(&url)
        .bearer_auth(api.token())
        .json(&json!({"generate": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let url = format!("{}/tenants/nope/events/signinattempts", api.server.admin_url());
    let r = api
        .http
        .post(&url)
        .bearer_auth(api.server.admin_token())
        .json(&json!({"generate": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (s, _) = api.admin("/events/signinattempts", json!({"generate": 1, "events": []})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = api.admin("/events/tokens", json!({"features": ["everything"]})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn seed_file_events_load_and_export_round_trips() {
    let seed: emulator::seed::Seed = serde_json::from_value(json!({"events": {
        "signin_attempts": [{"category": "success", "type": "credentials_ok", "country": "CA",
                             "target_user": {"uuid": "U1", "name": "A", "email": "a@example.com"}}],
        "generate": {"item_usages": 5, "seed": 3}
    }}))
    .unwrap();
    let config = emulator::EmulatorConfig {
        seed: Some(seed),
        clock: emulator::config::ClockMode::Manual,
        ..Default::default()
    };
    let server = TestServer::with_config(config).await;
    let api = Api { server, http: reqwest::Client::new() };
    let (_, s) = api.post("/api/v2/signinattempts", &api.token(), json!({})).await;
    assert_eq!(s["items"][0]["target_user"]["uuid"], "U1");
    let (_, i) = api.post("/api/v2/itemusages", &api.token(), json!({})).await;
    assert_eq!(i["items"].as_array().unwrap().len(), 5);
    // Export → seed → same events.
    let exported = api.server.emulator().default_tenant().write().events.to_seed();
    let mut ids = emulator::ids::IdGenerator::new(99);
    let now = emulator::Clock::default_manual_start();
    let reloaded = emulator::events::EventLog::from_seed(Some(&exported), &mut ids, now).unwrap();
    assert_eq!(reloaded.to_seed().item_usages, exported.item_usages);
    assert_eq!(reloaded.to_seed().signin_attempts.len(), 1);
}

#[tokio::test]
async fn concurrent_writes_never_make_a_reader_skip_or_repeat() {
    let api = std::sync::Arc::new(Api::start().await);
    let token = api.token();
    let writer = {
        let api = api.clone();
        tokio::spawn(async move {
            for i in 0..300u32 {
                let user = UserRef {
                    id: format!("W{i:025}"),
                    name: "W".into(),
                    email: "w@example.com".into(),
                };
                api.record(&[Change::UserSuspended { user }]);
                if i.is_multiple_of(10) {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let mut seen = Vec::new();
    let (_, mut page) = api.post("/api/v2/auditevents", &token, json!({"limit": 7})).await;
    loop {
        seen.extend(uuids(&page));
        let done = writer.is_finished() && page["has_more"] == false;
        if done {
            break;
        }
        page = api.post("/api/v2/auditevents", &token, json!({"cursor": page["cursor"]})).await.1;
    }
    // One last poll after the writer finished, to collect anything left.
    loop {
        page = api.post("/api/v2/auditevents", &token, json!({"cursor": page["cursor"]})).await.1;
        seen.extend(uuids(&page));
        if page["has_more"] == false {
            break;
        }
    }
    let log: Vec<String> = {
        let t = api.server.emulator().default_tenant();
        let t = t.read();
        t.events.audit_events().events().iter().map(|e| e.uuid.to_string()).collect()
    };
    assert_eq!(log.len(), 300);
    assert_eq!(seen, log);
}

#[tokio::test]
async fn events_api_can_be_served_alone_on_a_second_port() {
    let server = TestServer::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = emulator::http::events_router(server.emulator().clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let r = http
        .get(format!("http://{addr}/api/v2/auth/introspect"))
        .bearer_auth(server.events_token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = http.get(format!("http://{addr}/ping")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "only /api routes on the events port");
}

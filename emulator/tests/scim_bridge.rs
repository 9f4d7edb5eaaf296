//! The SCIM bridge: domain invariants and transitions (called directly), and every endpoint
//! over a real socket in both profiles, with IdP PATCH shapes and each class of bad input.

use chrono::Duration;
use emulator::account::{Account, GroupInput, UserInput, UserState};
use emulator::config::{ClockMode, EmulatorConfig};
use emulator::ids::IdGenerator;
use emulator::{Clock, Profile, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

// ---------- domain ----------

fn input(v: Value) -> UserInput {
    UserInput { attrs: v.as_object().cloned().unwrap_or_default(), active: None }
}

fn fresh() -> (Account, IdGenerator, chrono::DateTime<chrono::Utc>) {
    let mut ids = IdGenerator::new(1);
    let now = Clock::default_manual_start();
    (Account::new_empty(&mut ids, now), ids, now)
}

#[test]
fn invite_suspend_reactivate_returns_to_the_previous_state() {
    let (mut a, mut ids, now) = fresh();
    let p = Profile::onepassword();
    let (id, changes) =
        a.create_user(input(json!({"userName": "a@example.com"})), &p, &mut ids, now).unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(a.user(&id).unwrap().state, UserState::TransferStarted);
    assert_eq!(a.outbox().last().unwrap().email, "a@example.com");
    a.suspend_user(&id, &p, now).unwrap();
    assert_eq!(a.user(&id).unwrap().state, UserState::TransferSuspended);
    a.reactivate_user(&id, now).unwrap();
    assert_eq!(a.user(&id).unwrap().state, UserState::TransferStarted);
    a.set_user_state(&id, UserState::Active, now).unwrap();
    a.suspend_user(&id, &p, now).unwrap();
    assert_eq!(a.user(&id).unwrap().state, UserState::Suspended);
    a.reactivate_user(&id, now).unwrap();
    assert_eq!(a.user(&id).unwrap().state, UserState::Active);
    // Idempotent: reactivating an active user changes nothing.
    assert!(a.reactivate_user(&id, now).unwrap().is_empty());
}

#[test]
fn user_names_stay_unique_and_in_the_allowed_domains_on_create_and_rename() {
    use emulator::account::AccountError;
    let (mut a, mut ids, now) = fresh();
    let mut p = Profile::onepassword();
    p.allowed_email_domains = vec!["example.com".into()];
    let mut create = |a: &mut Account, name: &str| {
        a.create_user(input(json!({"userName": name})), &p, &mut ids, now).map(|(id, _)| id)
    };
    let first = create(&mut a, "first@example.com").unwrap();
    let second = create(&mut a, "second@example.com").unwrap();
    let taken = create(&mut a, "FIRST@example.com").unwrap_err();
    assert!(
        matches!(&taken, AccountError::DuplicateUserName { existing_id, .. } if *existing_id == first),
        "{taken:?}"
    );
    let outside = create(&mut a, "x@elsewhere.org").unwrap_err();
    assert!(matches!(outside, AccountError::EmailDomainNotAllowed(_)), "{outside:?}");
    let before = a.users().count();

    let mut rename = |a: &mut Account, id: &str, name: &str| {
        a.replace_user(id, input(json!({"userName": name})), &p, &mut ids, now)
    };
    let clash = rename(&mut a, &second, "First@Example.com").unwrap_err();
    assert!(matches!(clash, AccountError::DuplicateUserName { .. }), "{clash:?}");
    let moved = rename(&mut a, &second, "second@elsewhere.org").unwrap_err();
    assert!(matches!(moved, AccountError::EmailDomainNotAllowed(_)), "{moved:?}");
    assert_eq!(a.user(&second).unwrap().user_name, "second@example.com");
    // A user's own name in another case is not taken.
    rename(&mut a, &first, "First@example.com").unwrap();
    assert_eq!(a.user(&first).unwrap().user_name, "First@example.com");
    assert_eq!(a.users().count(), before);
}

/// Keeps a marker rendering in the user's memo, so a test can see whether a change forgot it.
fn keep_rendering(a: &Account, id: &str) {
    let marker = || bytes::Bytes::from_static(b"\"kept\"");
    a.user(id).unwrap().rendered.get_or_init(marker);
    assert!(a.user(id).unwrap().rendered.get().is_some());
}

#[test]
fn every_change_to_a_user_forgets_its_kept_rendering() {
    let (mut a, mut ids, now) = fresh();
    let p = Profile::onepassword();
    let (id, _) =
        a.create_user(input(json!({"userName": "m@example.com"})), &p, &mut ids, now).unwrap();
    let forgotten = |a: &Account| a.user(&id).unwrap().rendered.get().is_none();
    assert!(forgotten(&a), "a new user has nothing kept");

    keep_rendering(&a, &id);
    a.suspend_user(&id, &p, now).unwrap();
    assert!(forgotten(&a), "suspend");
    keep_rendering(&a, &id);
    a.reactivate_user(&id, now).unwrap();
    assert!(forgotten(&a), "reactivate");
    keep_rendering(&a, &id);
    a.accept_invitation(&id, &p, now).unwrap();
    assert!(forgotten(&a), "accept the invitation");
    keep_rendering(&a, &id);
    a.run_confirmation_watcher(&p, now + Duration::seconds(300));
    assert_eq!(a.user(&id).unwrap().state, UserState::Active);
    assert!(forgotten(&a), "confirmation");
    keep_rendering(&a, &id);
    let renamed = input(json!({"userName": "m@example.com", "displayName": "M"}));
    a.replace_user(&id, renamed, &p, &mut ids, now).unwrap();
    assert!(forgotten(&a), "replace");
    keep_rendering(&a, &id);
    a.set_user_state(&id, UserState::RecoveryStarted, now).unwrap();
    assert!(forgotten(&a), "set state");
    // A clone (what exports and atomic changes work on) starts with nothing kept.
    keep_rendering(&a, &id);
    assert!(a.user(&id).unwrap().clone().rendered.get().is_none());
    assert_eq!(a.user(&id).unwrap().clone(), *a.user(&id).unwrap());
}

#[test]
fn confirmation_watcher_confirms_after_the_delay_only() {
    let (mut a, mut ids, now) = fresh();
    let p = Profile::onepassword();
    let (id, _) =
        a.create_user(input(json!({"userName": "b@example.com"})), &p, &mut ids, now).unwrap();
    a.accept_invitation(&id, &p, now).unwrap();
    // Readers ask first whether anything is due, and take the account alone only then.
    assert!(!a.confirmation_due(&p, now + Duration::seconds(299)));
    assert!(a.confirmation_due(&p, now + Duration::seconds(300)));
    assert!(a.run_confirmation_watcher(&p, now + Duration::seconds(299)).is_empty());
    assert_eq!(a.user(&id).unwrap().state, UserState::TransferStarted);
    assert_eq!(a.run_confirmation_watcher(&p, now + Duration::seconds(300)).len(), 1);
    assert_eq!(a.user(&id).unwrap().state, UserState::Active);
    assert!(!a.confirmation_due(&p, now + Duration::seconds(300)));
    // Hosted mode confirms at once.
    let hosted = Profile { confirmation_delay_secs: Some(0), ..Profile::onepassword() };
    let (id2, _) =
        a.create_user(input(json!({"userName": "c@example.com"})), &p, &mut ids, now).unwrap();
    a.accept_invitation(&id2, &hosted, now).unwrap();
    assert_eq!(a.user(&id2).unwrap().state, UserState::Active);
    assert!(a.accept_invitation(&id2, &hosted, now).is_err());
}

#[test]
fn invariants_unique_username_last_owner_guests_nested_groups() {
    let (mut a, mut ids, now) = fresh();
    let p = Profile::onepassword();
    a.create_user(input(json!({"userName": "d@example.com"})), &p, &mut ids, now).unwrap();
    let dup = a.create_user(input(json!({"userName": "D@Example.com"})), &p, &mut ids, now);
    assert!(matches!(dup, Err(emulator::account::AccountError::DuplicateUserName { .. })));
    let owner = a.users().find(|u| a.is_owner(&u.id)).unwrap().id.clone();
    assert!(matches!(
        a.suspend_user(&owner, &p, now),
        Err(emulator::account::AccountError::LastOwner(_))
    ));
    let (gid, _) = a
        .create_group(
            GroupInput { display_name: "G".into(), members: None, attrs: Default::default() },
            &p,
            &mut ids,
            now,
        )
        .unwrap();
    let nested = a.create_group(
        GroupInput {
            display_name: "H".into(),
            members: Some(vec![gid]),
            attrs: Default::default(),
        },
        &p,
        &mut ids,
        now,
    );
    assert!(matches!(nested, Err(emulator::account::AccountError::NestedGroup(_))));
    let demo = Account::demo(&mut ids, now);
    let guest = demo.users().find(|u| u.guest).unwrap().id.clone();
    let mut demo2 = demo.clone();
    assert!(matches!(
        demo2.suspend_user(&guest, &p, now),
        Err(emulator::account::AccountError::GuestNotManageable(_))
    ));
}

#[test]
fn export_reimports_identically() {
    let mut ids = IdGenerator::new(9);
    let now = Clock::default_manual_start();
    let a = Account::demo(&mut ids, now);
    let (users, groups, outbox) = a.export();
    let seed = emulator::seed::Seed { users, groups, outbox, ..Default::default() };
    let text = serde_json::to_string(&seed).unwrap();
    let back = emulator::seed::Seed::parse(&text).unwrap();
    let b = Account::from_seed(back, &mut IdGenerator::new(1234), now).unwrap();
    assert_eq!(a.export(), b.export());
    assert_eq!(a.user_count(), 9);
}

#[test]
fn email_change_starts_the_flow_and_queues_a_message() {
    let (mut a, mut ids, now) = fresh();
    let p = Profile::onepassword();
    let (id, _) =
        a.create_user(input(json!({"userName": "e@example.com"})), &p, &mut ids, now).unwrap();
    let changes = a
        .replace_user(&id, input(json!({"userName": "e2@example.com"})), &p, &mut ids, now)
        .unwrap();
    assert!(matches!(changes[0], emulator::account::Change::UserEmailChangeStarted { .. }));
    let u = a.user(&id).unwrap();
    assert_eq!(u.pending_email_change.as_deref(), Some("e@example.com"));
    assert!(a.user_by_user_name("E2@example.com").is_some());
    assert!(a.user_by_user_name("e@example.com").is_none());
    assert_eq!(a.outbox().last().unwrap().email, "e2@example.com");
}

// ---------- HTTP ----------

struct Client {
    server: TestServer,
    http: reqwest::Client,
}

impl Client {
    async fn start(profile: Profile) -> Client {
        let config = EmulatorConfig { profile, clock: ClockMode::Manual, ..Default::default() };
        Client { server: TestServer::with_config(config).await, http: reqwest::Client::new() }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.server.scim_url()))
            .bearer_auth(self.server.scim_token());
        if let Some(b) = body {
            req = req.header("content-type", "application/scim+json").body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn create(&self, user_name: &str) -> String {
        let (s, b) = self
            .call(
                Method::POST,
                "/Users",
                Some(json!({"schemas": [scim::messages::USER], "userName": user_name,
                    "name": {"givenName": "Given", "familyName": "Family"},
                    "emails": [{"value": user_name, "type": "work", "primary": true}]})),
            )
            .await;
        assert!(s.is_success(), "{s} {b}");
        b["id"].as_str().unwrap().to_owned()
    }
}

fn assert_scim_error(status: StatusCode, body: &Value, want: u16, scim_type: Option<&str>) {
    assert_eq!(status.as_u16(), want, "{body}");
    assert_eq!(body["schemas"][0], scim::messages::ERROR, "{body}");
    assert_eq!(body["status"], want.to_string());
    if let Some(t) = scim_type {
        assert_eq!(body["scimType"], t, "{body}");
    }
    assert!(!body["detail"].as_str().unwrap_or("").is_empty());
}

#[tokio::test]
async fn onepassword_lifecycle_post_200_delete_suspends() {
    let c = Client::start(Profile::onepassword()).await;
    let (s, b) = c
        .call(Method::POST, "/Users", Some(json!({"userName": "v@example.com", "name": {"givenName": "Victor", "familyName": "Nango"}})))
        .await;
    assert_eq!(s, StatusCode::OK);
    let id = b["id"].as_str().unwrap().to_owned();
    assert!(emulator::ids::is_base32_id(&id) && id.chars().all(|c| !c.is_ascii_lowercase()));
    assert_eq!(b["displayName"], "Victor Nango");
    assert_eq!(b["name"]["formatted"], "Victor Nango");
    assert_eq!(b["preferredLanguage"], "en");
    assert_eq!(b["active"], true);
    assert!(b.get("externalId").is_none() && b["meta"].get("created").is_none());
    // Entra: capitalised op, string boolean.
    let (s, b) = c
        .call(Method::PATCH, &format!("/Users/{id}"), Some(json!({"schemas": [scim::messages::PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]})))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["active"], false);
    // Okta: path-less replace.
    let (_, b) = c
        .call(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(json!({"Operations": [{"op": "replace", "value": {"active": true}}]})),
        )
        .await;
    assert_eq!(b["active"], true);
    // displayName re-splits the name.
    let (_, b) = c
        .call(Method::PATCH, &format!("/Users/{id}"), Some(json!({"Operations": [{"op": "replace", "path": "displayName", "value": "SCIM Test Updated"}]})))
        .await;
    assert_eq!(b["name"]["givenName"], "SCIM");
    assert_eq!(b["name"]["familyName"], "Test Updated");
    let (s, _) = c.call(Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = c.call(Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["active"], false);
    let t = c.server.emulator().default_tenant();
    assert_eq!(t.write().account.user(&id).unwrap().state, UserState::TransferSuspended);
}

#[tokio::test]
async fn rfc_profile_201_location_full_meta_and_hard_delete() {
    let c = Client::start(Profile::rfc()).await;
    let body = json!({"schemas": [scim::messages::USER, scim::messages::ENTERPRISE_USER],
        "userName": "r@example.com", "externalId": "ext-1", "title": "Boss",
        scim::messages::ENTERPRISE_USER: {"department": "R&D"}});
    let resp = c
        .http
        .post(format!("{}/Users", c.server.scim_url()))
        .bearer_auth(c.server.scim_token())
        .header("content-type", "application/scim+json; charset=utf-8")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/scim+json"));
    let loc = resp.headers()["location"].to_str().unwrap().to_owned();
    let b: Value = resp.json().await.unwrap();
    let id = b["id"].as_str().unwrap().to_owned();
    assert!(loc.ends_with(&format!("/Users/{id}")));
    assert_eq!(b["title"], "Boss");
    assert_eq!(b[scim::messages::ENTERPRISE_USER]["department"], "R&D");
    assert_eq!(b["meta"]["created"], "2026-01-01T00:00:00Z");
    assert!(b["meta"]["location"].as_str().unwrap().ends_with(&id));
    let (_, l) = c.call(Method::GET, "/Users?filter=externalId%20eq%20%22ext-1%22", None).await;
    assert_eq!(l["totalResults"], 1);
    let (s, _) = c.call(Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = c.call(Method::GET, &format!("/Users/{id}"), None).await;
    assert_scim_error(s, &b, 404, None);
}

#[tokio::test]
async fn auth_prefixes_ping_health_and_discovery() {
    let c = Client::start(Profile::onepassword()).await;
    let base = c.server.url();
    let r = c.http.get(format!("{base}/scim/v2/Users")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get("www-authenticate").is_some());
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["status"], "401");
    let r = c
        .http
        .get(format!("{base}/Users"))
        .bearer_auth(c.server.events_token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(c.http.get(format!("{base}/ping")).send().await.unwrap().status(), StatusCode::OK);
    for prefix in ["", "/scim", "/scim/v2"] {
        let r = c
            .http
            .get(format!("{base}{prefix}/Users"))
            .bearer_auth(c.server.scim_token())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{prefix}");
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["totalResults"], 9, "demo account: {b}");
    }
    let (s, h) = c.call(Method::GET, "/health", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["reports"][0]["source"], "ConfirmationWatcher");
    let (_, rt) = c.call(Method::GET, "/ResourceTypes", None).await;
    assert_eq!(rt["startIndex"], 0);
    assert_eq!(rt["Resources"][0]["endpoint"], "/scim/v2/User");
    let (_, spc) = c.call(Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["filter"]["maxResults"], 10000);
    let (_, sc) = c.call(Method::GET, "/Schemas", None).await;
    assert_eq!(sc["totalResults"], 2);
    let (s, one) = c.call(Method::GET, &format!("/Schemas/{}", scim::messages::USER), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(one["attributes"][0]["name"], "userName");
    let (s, b) = c.call(Method::POST, "/Schemas", Some(json!({}))).await;
    assert_scim_error(s, &b, 405, None);
    // The recorded documents (behaviour digest §1.4): no `active` or `displayName` on User,
    // and Group members' value, $ref and type, all immutable, in a readWrite `members`.
    let names = |doc: &Value| -> Vec<String> {
        let attrs = doc["attributes"].as_array().unwrap();
        attrs.iter().map(|a| a["name"].as_str().unwrap().to_owned()).collect()
    };
    let user_names = names(&one);
    assert_eq!(
        user_names,
        ["userName", "name", "emails", "externalId", "preferredLanguage", "groups"],
    );
    let (_, group) =
        c.call(Method::GET, &format!("/Schemas/{}", scim::messages::GROUP), None).await;
    assert_eq!(names(&group), ["displayName", "members", "externalId"]);
    let members = &group["attributes"][1];
    assert_eq!(members["mutability"], "readWrite");
    let subs = members["subAttributes"].as_array().unwrap();
    assert_eq!(names(&json!({"attributes": subs})), ["value", "$ref", "type"]);
    assert!(subs.iter().all(|s| s["mutability"] == "immutable"), "{members}");
    assert_eq!(group["meta"]["location"], format!("/scim/v2/Schemas/{}", scim::messages::GROUP));

    // The strict profile advertises exactly the scim crate's RFC 7643 definitions, which are
    // what it enforces; Group's displayName is marked required, as the emulator requires it,
    // and members.display readOnly, as the emulator derives it.
    let rfc = Client::start(Profile::rfc()).await;
    let (_, sc) = rfc.call(Method::GET, "/Schemas", None).await;
    assert_eq!(sc["totalResults"], 3);
    assert_eq!(sc["startIndex"], 1);
    let without_meta = |doc: &Value| {
        let mut doc = doc.clone();
        doc.as_object_mut().unwrap().remove("meta");
        doc
    };
    let docs = sc["Resources"].as_array().unwrap();
    assert_eq!(without_meta(&docs[0]), scim::schema::core_user().to_json());
    assert_eq!(without_meta(&docs[1]), scim::schema::enterprise_user().to_json());
    let mut group = scim::schema::core_group();
    group.attributes[0].required = true;
    // members.display is filled by the server from the member's displayName: readOnly.
    assert_eq!(group.attributes[1].sub_attributes[3].name, "display");
    group.attributes[1].sub_attributes[3].mutability = scim::schema::Mutability::ReadOnly;
    assert_eq!(without_meta(&docs[2]), group.to_json());
    assert_eq!(docs[2]["attributes"][0]["name"], "displayName");
    // Removing an attribute the schema marks required is refused.
    let (_, g) = rfc.call(Method::POST, "/Groups", Some(json!({"displayName": "Named"}))).await;
    let path = format!("/Groups/{}", g["id"].as_str().unwrap());
    let remove = json!({"Operations": [{"op": "remove", "path": "displayName"}]});
    let (s, b) = rfc.call(Method::PATCH, &path, Some(remove)).await;
    assert_scim_error(s, &b, 400, Some("mutability"));
}

#[tokio::test]
async fn lists_filter_paginate_and_project() {
    let mut p = Profile::onepassword();
    p.shuffle_list_order = false;
    let c = Client::start(p).await;
    let id = c.create("find.me@example.com").await;
    let (s, b) =
        c.call(Method::GET, "/Users?filter=userName%20eq%20%22FIND.ME@example.com%22", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["totalResults"], 1);
    assert_eq!(b["Resources"][0]["id"], id);
    let (_, b) =
        c.call(Method::GET, "/Users?filter=userName%20eq%20%22nobody@example.com%22", None).await;
    assert_eq!(b["totalResults"], 0);
    assert_eq!(b["Resources"], json!([]));
    let (_, b) = c.call(Method::GET, "/Users?filter=emails%5Btype%20eq%20%22work%22%5D.value%20eq%20%22find.me@example.com%22", None).await;
    assert_eq!(b["totalResults"], 1, "{b}");
    let (_, b) = c.call(Method::GET, "/Users?startIndex=2&count=3", None).await;
    assert_eq!(b["totalResults"], 10);
    assert_eq!(b["itemsPerPage"], 3);
    assert_eq!(b["startIndex"], 2);
    let (_, b) = c.call(Method::GET, &format!("/Users/{id}?attributes=emails"), None).await;
    assert!(b.get("emails").is_some() && b.get("name").is_none() && b.get("id").is_some());
    let (_, b) = c.call(Method::POST, "/Users/.search", Some(json!({"schemas": [scim::messages::SEARCH_REQUEST], "filter": "userName eq \"find.me@example.com\"", "excludedAttributes": ["emails"]}))).await;
    assert_eq!(b["totalResults"], 1);
    assert!(b["Resources"][0].get("emails").is_none());
    let (s, b) = c.call(Method::GET, "/Users?filter=userName%20eq", None).await;
    assert_scim_error(s, &b, 400, Some("invalidFilter"));
    let (s, b) = c.call(Method::GET, "/Users?count=abc", None).await;
    assert_scim_error(s, &b, 400, Some("invalidValue"));
}

#[tokio::test]
async fn groups_okta_and_entra_membership_shapes() {
    let c = Client::start(Profile::onepassword()).await;
    let (u1, u2) = (c.create("g1@example.com").await, c.create("g2@example.com").await);
    let (_, l) = c.call(Method::GET, "/Groups", None).await;
    assert_eq!(l["totalResults"], 2, "built-ins hidden, two demo groups: {l}");
    let (s, g) = c
        .call(Method::POST, "/Groups", Some(json!({"schemas": [scim::messages::GROUP, scim::messages::MICROSOFT_GROUP], "displayName": "Eng", "members": []})))
        .await;
    assert_eq!(s, StatusCode::OK);
    let gid = g["id"].as_str().unwrap().to_owned();
    assert!(gid.chars().all(|c| !c.is_ascii_uppercase()));
    let path = format!("/Groups/{gid}");
    // Entra add with $ref: null, Okta add with display.
    let (_, g) = c.call(Method::PATCH, &path, Some(json!({"Operations": [{"op": "Add", "path": "members", "value": [{"$ref": null, "value": u1}]}, {"op": "add", "path": "members", "value": [{"value": u2, "display": "g2"}]}]}))).await;
    assert_eq!(g["members"].as_array().unwrap().len(), 2, "{g}");
    // Okta remove by filter.
    let (_, g) = c.call(Method::PATCH, &path, Some(json!({"Operations": [{"op": "remove", "path": format!("members[value eq \"{u1}\"]")}]}))).await;
    assert_eq!(g["members"].as_array().unwrap().len(), 1, "{g}");
    // Entra remove with a value array.
    let (_, g) = c.call(Method::PATCH, &path, Some(json!({"Operations": [{"op": "Remove", "path": "members", "value": [{"value": u2}]}]}))).await;
    assert!(g.get("members").is_none(), "{g}");
    // Okta rename with id.
    let (_, g) = c.call(Method::PATCH, &path, Some(json!({"Operations": [{"op": "replace", "value": {"id": gid, "displayName": "Engineering 2"}}]}))).await;
    assert_eq!(g["displayName"], "Engineering 2");
    let (_, l) =
        c.call(Method::GET, "/Groups?filter=displayName%20eq%20%22engineering%202%22", None).await;
    assert_eq!(l["totalResults"], 1);
    let (s, b) = c.call(Method::PATCH, &path, Some(json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": "NOSUCHUSERAAAAAAAAAAAAAAAA"}]}]}))).await;
    assert_scim_error(s, &b, 400, Some("invalidValue"));
    let (s, _) = c.call(Method::DELETE, &path, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = c.call(Method::GET, &path, None).await;
    assert_scim_error(s, &b, 404, None);
}

#[tokio::test]
async fn bad_input_gets_scim_errors_and_changes_nothing() {
    let c = Client::start(Profile::onepassword()).await;
    let id = c.create("bad@example.com").await;
    let url = format!("{}/Users", c.server.scim_url());
    let send = |ct: &'static str, body: String| {
        c.http
            .post(&url)
            .bearer_auth(c.server.scim_token())
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let r = send("application/json", "{\"userName\": ".into()).await.unwrap();
    let (s, b) = (r.status(), r.json::<Value>().await.unwrap());
    assert_scim_error(s, &b, 400, Some("invalidSyntax"));
    assert!(b["detail"].as_str().unwrap().contains("line 1"), "{b}");
    let r = send("text/plain", "{}".into()).await.unwrap();
    assert_eq!(r.status().as_u16(), 415);
    // Oversized: in-process, so the early answer cannot race the upload on the socket.
    {
        use tower::ServiceExt;
        let app = emulator::http::router(c.server.emulator().clone());
        let big = format!("{{\"userName\": \"{}\"}}", "x".repeat(2 << 20));
        let req = axum::http::Request::post("/scim/v2/Users")
            .header("authorization", format!("Bearer {}", c.server.scim_token()))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(big))
            .unwrap();
        let resp = app.oneshot(req).await.unwrap();
        assert_eq!(resp.status().as_u16(), 413);
    }
    let (s, b) = c.call(Method::POST, "/Users", Some(json!({"userName": 42}))).await;
    assert_scim_error(s, &b, 400, Some("invalidValue"));
    assert!(b["detail"].as_str().unwrap().contains("userName"));
    let (s, b) = c.call(Method::POST, "/Users", Some(json!({"name": {"givenName": "x"}}))).await;
    assert_scim_error(s, &b, 400, Some("invalidValue"));
    let (s, b) = c.call(Method::POST, "/Users", Some(json!({"userName": "BAD@example.com"}))).await;
    assert_scim_error(s, &b, 409, Some("uniqueness"));
    let (s, b) = c.call(Method::GET, "/Users/NOPE", None).await;
    assert_scim_error(s, &b, 404, None);
    let (s, b) = c
        .call(
            Method::PUT,
            &format!("/Users/{id}"),
            Some(json!({"id": "OTHER", "userName": "bad@example.com"})),
        )
        .await;
    assert_scim_error(s, &b, 400, Some("mutability"));
    // Groups check the body the same way: `id` is readOnly, `schemas` must be an array.
    let (_, g) = c.call(Method::POST, "/Groups", Some(json!({"displayName": "Bad Input"}))).await;
    let gid = g["id"].as_str().unwrap().to_owned();
    let (s, b) = c
        .call(
            Method::PUT,
            &format!("/Groups/{gid}"),
            Some(json!({"id": "other", "displayName": "x"})),
        )
        .await;
    assert_scim_error(s, &b, 400, Some("mutability"));
    assert!(b["detail"].as_str().unwrap().contains("\"other\""), "{b}");
    for (method, path) in
        [(Method::POST, "/Users".to_owned()), (Method::PUT, format!("/Groups/{gid}"))]
    {
        let body = json!({"schemas": "urn:ietf:params:scim:schemas:core:2.0:User", "userName": "s@example.com", "displayName": "x"});
        let (s, b) = c.call(method, &path, Some(body)).await;
        assert_scim_error(s, &b, 400, Some("invalidSyntax"));
        assert!(b["detail"].as_str().unwrap().contains("\"schemas\""), "{b}");
    }
    let before = c.call(Method::GET, &format!("/Users/{id}"), None).await.1;
    // Atomic: the first operation is valid, the second is not; nothing changes.
    let (s, b) = c
        .call(Method::PATCH, &format!("/Users/{id}"), Some(json!({"Operations": [{"op": "replace", "path": "displayName", "value": "Changed Name"}, {"op": "frobnicate", "path": "active", "value": false}]})))
        .await;
    assert_scim_error(s, &b, 400, Some("invalidValue"));
    assert!(b["detail"].as_str().unwrap().contains("Operations[1]"));
    let (s, b) = c
        .call(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(json!({"Operations": [{"op": "replace", "path": "groups", "value": []}]})),
        )
        .await;
    assert_scim_error(s, &b, 400, Some("mutability"));
    let (s, b) = c
        .call(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(
                json!({"Operations": [{"op": "replace", "path": "emails[type eq", "value": "x"}]}),
            ),
        )
        .await;
    assert_scim_error(s, &b, 400, Some("invalidPath"));
    let (s, b) = c
        .call(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(json!({"Operations": [{"op": "remove"}]})),
        )
        .await;
    assert_scim_error(s, &b, 400, Some("noTarget"));
    let after = c.call(Method::GET, &format!("/Users/{id}"), None).await.1;
    assert_eq!(before, after);
    // The last owner cannot be suspended.
    let owner = {
        let t = c.server.emulator().default_tenant();
        let t = t.read();
        t.account.users().find(|u| t.account.is_owner(&u.id)).unwrap().id.clone()
    };
    let (s, b) = c.call(Method::DELETE, &format!("/Users/{owner}"), None).await;
    assert_scim_error(s, &b, 409, None);
}

#[tokio::test]
async fn entra_value_path_add_creates_work_email_and_manager_array() {
    let c = Client::start(Profile::rfc()).await;
    let id = c.create("ent@example.com").await;
    let (s, b) = c
        .call(Method::PATCH, &format!("/Users/{id}"), Some(json!({"Operations": [
            {"op": "add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555"},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": [{"$ref": null, "value": "M1"}]},
            {"op": "replace", "value": {"name.givenName": "Dotted", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42"}}
        ]})))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["phoneNumbers"][0], json!({"type": "mobile", "value": "+1 555"}));
    assert_eq!(b[scim::messages::ENTERPRISE_USER]["manager"]["value"], "M1");
    assert_eq!(b[scim::messages::ENTERPRISE_USER]["employeeNumber"], "42");
    assert_eq!(b["name"]["givenName"], "Dotted");
    // Strict RFC: replace on a missing value path is noTarget.
    let (s, b) = c.call(Method::PATCH, &format!("/Users/{id}"), Some(json!({"Operations": [{"op": "replace", "path": "addresses[type eq \"work\"].locality", "value": "X"}]}))).await;
    assert_scim_error(s, &b, 400, Some("noTarget"));
}

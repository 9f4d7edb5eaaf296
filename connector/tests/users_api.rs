//! The connector's Users API backend against the embedded emulator over real HTTP: the same
//! users, pages, cursors and error kinds as the SCIM backend, and the OAuth token fetched once,
//! refreshed after a 401 for an expired token, and re-fetched after a revoke.

use std::collections::BTreeSet;

use connector::{
    Api, Client, ErrorKind, ListOptions, RetryPolicy, UserStatus, UsersApiCredentials,
};
use emulator::seed::Seed;
use emulator::{EmulatorConfig, TestServer};
use serde_json::json;

async fn server(n: usize, profile: serde_json::Value) -> TestServer {
    let mut users = vec![json!({"userName": "owner@example.com", "role": "owner"})];
    for i in 0..n {
        let state = if i % 3 == 0 { "SUSPENDED" } else { "ACTIVE" };
        users.push(json!({"userName": format!("user{i:02}@example.com"),
                          "displayName": format!("User {i:02}"), "state": state}));
    }
    let seed = Seed::parse(&json!({"users": users, "profile": profile}).to_string()).unwrap();
    TestServer::with_config(EmulatorConfig {
        seed: Some(seed),
        clock: emulator::config::ClockMode::Manual,
        ..EmulatorConfig::default()
    })
    .await
}

fn credentials(server: &TestServer) -> UsersApiCredentials {
    let c = server.users_api_credentials();
    UsersApiCredentials {
        client_id: c.client_id,
        client_secret: c.client_secret,
        account_id: c.account_id,
    }
}

fn users_client(server: &TestServer) -> Client {
    Client::users_api(server.users_api_url(), credentials(server)).unwrap()
}

/// `(id, email, status)` of every user, as a set: what both backends must agree on.
fn summary(users: &[connector::User]) -> BTreeSet<(String, String, &'static str)> {
    users.iter().map(|u| (u.id.clone(), u.email.clone(), u.status.as_str())).collect()
}

fn journal_count(server: &TestServer, method: &str, path: &str, status: Option<u16>) -> usize {
    let filter = emulator::control::JournalFilter {
        method: Some(method.to_owned()),
        path: Some(emulator::control::PathPattern::parse(path).unwrap()),
        status,
    };
    let t = server.emulator().default_tenant();
    let t = t.read();
    t.journal().count(&filter)
}

#[tokio::test]
async fn both_backends_give_the_same_users_pages_and_cursors() {
    let server = server(12, json!({})).await;
    let scim = Client::new(server.scim_url(), server.scim_token()).unwrap();
    let users = users_client(&server);
    assert_eq!((scim.api(), users.api()), (Api::Scim, Api::UsersApi));
    for filter in [None, Some("active eq false"), Some(r#"userName sw "user1""#)] {
        let a = scim.list_all_users(filter).await.unwrap();
        let b = users.list_all_users(filter).await.unwrap();
        assert_eq!(summary(&a), summary(&b), "{filter:?}");
        assert!(!a.is_empty(), "{filter:?}");
    }
    // The API's own filters agree with SCIM's `active`.
    let suspended = users.list_all_users(Some("user.isSuspended()")).await.unwrap();
    let scim_suspended = scim.list_all_users(Some("active eq false")).await.unwrap();
    assert_eq!(summary(&suspended), summary(&scim_suspended));
    assert_eq!(suspended.len(), 4);

    // Pages in id order, and a cursor from one backend continues on the other.
    let first =
        scim.list_users(&ListOptions { limit: Some(5), ..Default::default() }).await.unwrap();
    let second = users
        .list_users(&ListOptions {
            cursor: first.next_cursor.clone(),
            limit: Some(100),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut ids: Vec<String> = first.users.iter().map(|u| u.id.clone()).collect();
    ids.extend(second.users.iter().map(|u| u.id.clone()));
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted, "id order, nobody twice");
    assert_eq!(ids.len(), 13);
    assert_eq!(second.total, Some(13));
    // A cursor is bound to its filter on either backend.
    let other = users
        .list_users(&ListOptions {
            filter: Some("user.isActive()".into()),
            cursor: first.next_cursor,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(other.kind(), ErrorKind::InvalidCursor);
}

#[tokio::test]
async fn small_server_pages_still_list_everyone_once() {
    let server = server(9, json!({})).await;
    let client = Client::users_api_builder(server.users_api_url(), credentials(&server))
        .page_size(2)
        .build()
        .unwrap();
    let all = client.list_all_users(None).await.unwrap();
    assert_eq!(all.len(), 10);
    assert_eq!(journal_count(&server, "GET", "/v1beta1/accounts/*/users", Some(200)), 5);
}

#[tokio::test]
async fn get_suspend_reactivate_and_error_kinds() {
    let server = server(3, json!({})).await;
    let client = users_client(&server);
    let all = client.list_all_users(Some("user.isActive()")).await.unwrap();
    let user = all.iter().find(|u| u.email == "user01@example.com").unwrap();
    let got = client.get_user(&user.id).await.unwrap();
    assert_eq!(got.display_name.as_deref(), Some("User 01"));
    assert_eq!(
        got.raw.value()["path"],
        format!("accounts/{}/users/{}", credentials(&server).account_id, user.id)
    );
    let suspended = client.suspend_user(&user.id).await.unwrap();
    assert_eq!(suspended.status, UserStatus::Suspended);
    assert_eq!(client.suspend_user(&user.id).await.unwrap().status, UserStatus::Suspended);
    let back = client.reactivate_user(&user.id).await.unwrap();
    assert_eq!((back.id.as_str(), back.status), (user.id.as_str(), UserStatus::Active));
    let scim = Client::new(server.scim_url(), server.scim_token()).unwrap();
    assert_eq!(scim.get_user(&user.id).await.unwrap().status, UserStatus::Active);

    assert_eq!(
        client.get_user("AAAAAAAAAAAAAAAAAAAAAAAAAA").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let owner = client.list_all_users(Some(r#"userName eq "owner@example.com""#)).await.unwrap();
    let refused = client.suspend_user(&owner[0].id).await.unwrap_err();
    assert_eq!((refused.kind(), refused.status()), (ErrorKind::Api, Some(400)));
    assert!(refused.to_string().contains("last owner"), "{refused}");
    let before = client.requests_sent();
    let bad = client.list_all_users(Some("user.isAdmin()")).await.unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidFilter);
    assert_eq!(client.requests_sent(), before, "refused locally, no request");

    let wrong = Client::users_api(
        server.users_api_url(),
        UsersApiCredentials { client_secret: "wrong".into(), ..credentials(&server) },
    )
    .unwrap();
    let e = wrong.list_all_users(None).await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Unauthorized, Some(401)));
    assert!(e.to_string().contains("invalid_client") || e.to_string().contains("client"), "{e}");
    let config = Client::users_api(
        server.users_api_url(),
        UsersApiCredentials { account_id: String::new(), ..credentials(&server) },
    )
    .unwrap_err();
    assert_eq!(config.kind(), ErrorKind::InvalidConfig);
}

#[tokio::test]
async fn one_token_is_reused_refreshed_after_expiry_and_refetched_after_revoke() {
    let server = server(2, json!({})).await;
    let client = users_client(&server);
    for _ in 0..3 {
        client.list_all_users(None).await.unwrap();
    }
    assert_eq!(client.tokens_fetched(), 1, "one token for every call");
    // Fifteen minutes pass on the emulator's clock: the next call gets a 401, fetches a new
    // token and repeats once.
    server.emulator().default_tenant().write().clock.advance(chrono::Duration::minutes(16));
    let users = client.list_all_users(None).await.unwrap();
    assert_eq!(users.len(), 3);
    assert_eq!(client.tokens_fetched(), 2);
    assert_eq!(journal_count(&server, "GET", "/v1beta1/accounts/*/users", Some(401)), 1);
    client.revoke_token().await.unwrap();
    assert_eq!(journal_count(&server, "POST", "/v1beta1/users/oauth2/revoke", Some(200)), 1);
    client.list_all_users(None).await.unwrap();
    assert_eq!(client.tokens_fetched(), 3, "a new token after the revoke");
    assert_eq!(journal_count(&server, "GET", "/v1beta1/accounts/*/users", Some(401)), 1);
}

#[tokio::test]
async fn rate_limits_and_hosted_provisioning_keep_their_kinds() {
    let server = server(2, json!({})).await;
    {
        let t = server.emulator().default_tenant();
        let rule = serde_json::from_value(json!({"match": {"api": "users", "method": "GET"},
            "times": 1, "action": {"status": 429, "retry_after": 3}}))
        .unwrap();
        t.read().faults().add_all(vec![rule]).unwrap();
    }
    let client = users_client(&server);
    let e = client.list_all_users(None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(3)));
    // With a retry policy the same fault is ridden out.
    {
        let t = server.emulator().default_tenant();
        let rule = serde_json::from_value(json!({"match": {"api": "users", "method": "GET"},
            "times": 1, "action": {"status": 429, "retry_after": 0}}))
        .unwrap();
        t.read().faults().add_all(vec![rule]).unwrap();
    }
    let patient = Client::users_api_builder(server.users_api_url(), credentials(&server))
        .retry(RetryPolicy::default().jitter(0.0).base_delay(std::time::Duration::from_millis(5)))
        .build()
        .unwrap();
    assert_eq!(patient.list_all_users(None).await.unwrap().len(), 3);

    let hosted = self::server(1, json!({"hosted_provisioning": true})).await;
    let e = users_client(&hosted).list_all_users(None).await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Unauthorized, Some(403)));
    assert!(e.to_string().contains("automated provisioning"), "{e}");
}

/// The README's Users API example, against the emulator.
#[tokio::test]
async fn readme_users_api_example() {
    let server = server(3, json!({})).await;
    let c = credentials(&server);
    let (client_id, client_secret, account_id) = (c.client_id, c.client_secret, c.account_id);
    let client = Client::users_api(
        server.users_api_url(),
        UsersApiCredentials { client_id, client_secret, account_id },
    )
    .unwrap();
    assert_eq!(client.api(), Api::UsersApi);
    let suspended = client.list_all_users(Some("user.isSuspended()")).await.unwrap();
    assert_eq!(suspended.len(), 1);
}

//! The connector against the embedded emulator over real HTTP, in its default `onepassword`
//! profile (whose list order changes on every call, as the real bridge's does).

use std::collections::{BTreeSet, HashSet};

use connector::{Client, ErrorKind, ListOptions, UserStatus};
use emulator::seed::Seed;
use emulator::{EmulatorConfig, TestServer};
use proptest::prelude::*;
use serde_json::json;

fn seed(n: usize) -> Seed {
    let users: Vec<_> = (0..n)
        .map(|i| json!({"userName": format!("user{i}@example.com"), "displayName": format!("User {i}")}))
        .collect();
    Seed::parse(&json!({"users": users}).to_string()).expect("valid seed")
}

async fn server(n: usize) -> TestServer {
    TestServer::with_config(EmulatorConfig { seed: Some(seed(n)), ..EmulatorConfig::default() })
        .await
}

fn expected(n: usize) -> BTreeSet<String> {
    (0..n).map(|i| format!("user{i}@example.com")).collect()
}

#[tokio::test]
async fn the_default_profile_really_shuffles() {
    let server = server(40).await;
    let http = reqwest::Client::new();
    let order = || async {
        let v: serde_json::Value = http
            .get(format!("{}/Users?count=100", server.scim_url()))
            .bearer_auth(server.scim_token())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (a, b) = (order().await, order().await);
    assert_eq!(a.len(), 40);
    assert_ne!(a, b, "two calls came back in the same order");
}

#[tokio::test]
async fn list_get_suspend_reactivate_round_trip() {
    let server = server(5).await;
    let client = Client::new(server.scim_url(), server.scim_token()).unwrap();
    let all = client.list_all_users(None).await.unwrap();
    assert_eq!(all.iter().map(|u| u.email.clone()).collect::<BTreeSet<_>>(), expected(5));
    let id = all[0].id.clone();

    let u = client.get_user(&id).await.unwrap();
    assert_eq!(u.status, UserStatus::Active);
    assert!(u.display_name.as_deref().unwrap().starts_with("User "));

    let u = client.suspend_user(&id).await.unwrap();
    assert_eq!(u.status, UserStatus::Suspended);
    assert_eq!(client.get_user(&id).await.unwrap().status, UserStatus::Suspended);
    let before = client.requests_sent();
    let u = client.suspend_user(&id).await.unwrap();
    assert_eq!(u.status, UserStatus::Suspended);
    assert_eq!(client.requests_sent() - before, 1, "already suspended: one GET, no PATCH");

    let u = client.reactivate_user(&id).await.unwrap();
    assert_eq!(u.status, UserStatus::Active);
    let before = client.requests_sent();
    client.reactivate_user(&id).await.unwrap();
    assert_eq!(client.requests_sent() - before, 1, "already active: one GET, no PATCH");
    // Suspended users stay listed (the bridge never hides them).
    client.suspend_user(&id).await.unwrap();
    let all = client.list_all_users(None).await.unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all.iter().filter(|u| u.is_suspended()).count(), 1);
}

#[tokio::test]
async fn unknown_id_and_wrong_token() {
    let server = server(1).await;
    let client = Client::new(server.scim_url(), server.scim_token()).unwrap();
    let e = client.get_user("AAAAAAAAAAAAAAAAAAAAAAAAAA").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(
        client.suspend_user("AAAAAAAAAAAAAAAAAAAAAAAAAA").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let bad = Client::new(server.scim_url(), "wrong").unwrap();
    assert_eq!(bad.get_user("X").await.unwrap_err().kind(), ErrorKind::Unauthorized);
}

#[tokio::test]
async fn every_bridge_prefix_works() {
    let server = server(3).await;
    for prefix in ["", "/scim", "/scim/v2/"] {
        let client = Client::new(format!("{}{prefix}", server.url()), server.scim_token()).unwrap();
        assert_eq!(client.list_all_users(None).await.unwrap().len(), 3, "prefix {prefix:?}");
    }
}

#[tokio::test]
async fn filters_are_checked_locally_and_cursors_are_bound_to_them() {
    let server = server(12).await;
    let client =
        Client::builder(server.scim_url(), server.scim_token()).page_size(5).build().unwrap();
    let page = client
        .list_users(&ListOptions {
            filter: Some(r#"userName eq "user3@example.com""#.into()),
            ..ListOptions::default()
        })
        .await
        .unwrap();
    assert_eq!(page.users.len(), 1);
    assert_eq!(page.users[0].email, "user3@example.com");
    assert_eq!(page.total, Some(1));
    assert!(page.next_cursor.is_none());

    let sent = client.requests_sent();
    let e = client
        .list_users(&ListOptions { filter: Some("userName eq".into()), ..ListOptions::default() })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidFilter);
    assert!(e.to_string().contains("column"), "{e}");
    assert_eq!(client.requests_sent(), sent, "no request for a malformed filter");

    let unfiltered =
        client.list_users(&ListOptions { limit: Some(4), ..ListOptions::default() }).await.unwrap();
    let cursor = unfiltered.next_cursor.expect("more pages");
    let e = client
        .list_users(&ListOptions {
            filter: Some(r#"userName eq "user3@example.com""#.into()),
            cursor: Some(cursor.clone()),
            ..ListOptions::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidCursor);
    // The same filter spelled differently is the same filter.
    let p = client
        .list_users(&ListOptions {
            filter: Some("userName  eq \"user3@example.com\"".into()),
            ..ListOptions::default()
        })
        .await
        .unwrap();
    assert_eq!(p.users.len(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Under the shuffling profile, a cursor traversal and a full listing both return every user
    /// exactly once, whatever the directory size, sweep page size and caller page size.
    #[test]
    fn traversal_returns_every_user_exactly_once(n in 0usize..45, page_size in 1usize..12, limit in 1usize..15) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let server = server(n).await;
            let client = Client::builder(server.scim_url(), server.scim_token()).page_size(page_size).build().unwrap();
            let mut seen = Vec::new();
            let mut options = ListOptions { limit: Some(limit), ..ListOptions::default() };
            let mut pages = 0;
            loop {
                let page = client.list_users(&options).await.unwrap();
                pages += 1;
                prop_assert!(page.users.len() <= limit);
                prop_assert_eq!(page.total, Some(n as u64));
                seen.extend(page.users.into_iter().map(|u| u.email));
                match page.next_cursor {
                    Some(c) => options.cursor = Some(c),
                    None => break,
                }
            }
            prop_assert_eq!(pages, n.div_ceil(limit).max(1));
            prop_assert_eq!(seen.len(), n);
            prop_assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), expected(n));
            let all = client.list_all_users(None).await.unwrap();
            let ids: HashSet<_> = all.iter().map(|u| u.id.clone()).collect();
            prop_assert_eq!(all.len(), n);
            prop_assert_eq!(ids.len(), n);
            Ok(())
        })?;
    }
}

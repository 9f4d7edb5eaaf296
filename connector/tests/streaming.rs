//! `stream_all_users` against the embedded emulator in its shuffling default profile: every
//! user exactly once, as `list_all_users` returns them, with small sweep pages so the listing
//! takes many requests (and, shuffled, more than one sweep).

use std::collections::BTreeMap;

use connector::Client;
use emulator::seed::Seed;
use emulator::{EmulatorConfig, TestServer};
use serde_json::json;

#[tokio::test]
async fn streamed_users_are_the_listed_users_each_once() {
    let users: Vec<_> = (0..230)
        .map(|i| json!({"userName": format!("user{i}@example.com"), "displayName": format!("User {i}")}))
        .collect();
    let seed = Seed::parse(&json!({"users": users}).to_string()).expect("valid seed");
    let server =
        TestServer::with_config(EmulatorConfig { seed: Some(seed), ..EmulatorConfig::default() })
            .await;
    let client = Client::builder(server.scim_url(), server.scim_token())
        .page_size(50)
        .max_sweeps(50)
        .build()
        .expect("client");
    let mut streamed = BTreeMap::new();
    let mut duplicates = 0;
    let n = client
        .stream_all_users(None, |u| {
            if streamed.insert(u.id.clone(), u).is_some() {
                duplicates += 1;
            }
        })
        .await
        .expect("stream");
    assert_eq!(duplicates, 0);
    assert_eq!(n, 231, "230 seeded users and the owner");
    let listed = client.list_all_users(None).await.expect("list");
    assert_eq!(listed.len(), 231);
    for u in &listed {
        let s = &streamed[&u.id];
        assert_eq!((&s.email, s.status, &s.display_name), (&u.email, u.status, &u.display_name));
        // The kept resource is the JSON the server sent.
        assert_eq!(s.raw.value()["id"], u.id.as_str());
    }
    // A filter streams only its matches.
    let mut matched = Vec::new();
    client
        .stream_all_users(Some("userName sw \"user1\""), |u| matched.push(u.email))
        .await
        .expect("filtered stream");
    matched.sort();
    let mut want: Vec<String> = (0..230)
        .map(|i| format!("user{i}@example.com"))
        .filter(|e| e.starts_with("user1"))
        .collect();
    want.sort();
    assert_eq!(matched, want);
}

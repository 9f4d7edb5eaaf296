//! The connector against the embedded emulator's fault injection (429s with and without the retry
//! policy) and its Events API (token audience, paging, resuming from a stored cursor).

use std::time::Duration;

use connector::events::{EventKind, EventsClient, Start};
use connector::{Client, ErrorKind, RetryPolicy, UserStatus};
use emulator::seed::Seed;
use emulator::{EmulatorConfig, TestServer};
use serde_json::{Value, json};

async fn server(faults: Value) -> TestServer {
    let seed = json!({
        "users": [{"userName": "ada@example.com", "displayName": "Ada Lovelace"}],
        "faults": faults,
    });
    let seed = Seed::parse(&seed.to_string()).expect("valid seed");
    TestServer::with_config(EmulatorConfig { seed: Some(seed), ..EmulatorConfig::default() }).await
}

fn rate_limit_get_user(times: u64, retry_after: u64) -> Value {
    json!([{
        "match": {"method": "GET", "path_regex": "/Users/[^/]+$"},
        "times": times,
        "action": {"status": 429, "retry_after": retry_after, "limit": 100},
    }])
}

async fn ada(server: &TestServer) -> String {
    // Listing is not matched by the fault rules above.
    let client = Client::new(server.scim_url(), server.scim_token()).unwrap();
    let all = client.list_all_users(None).await.unwrap();
    all.into_iter().find(|u| u.email == "ada@example.com").unwrap().id
}

#[tokio::test]
async fn injected_429_surfaces_with_retry_after_and_no_hidden_retry() {
    let server = server(rate_limit_get_user(1, 30)).await;
    let id = ada(&server).await;
    let client = Client::new(server.scim_url(), server.scim_token()).unwrap();
    let e = client.get_user(&id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
    match &e {
        connector::Error::RateLimited { rate_limit, .. } => assert_eq!(rate_limit.limit, Some(100)),
        other => panic!("{other:?}"),
    }
    assert_eq!(client.requests_sent(), 1);
    // The rule fired once; the next call goes through.
    assert_eq!(client.get_user(&id).await.unwrap().id, id);
}

#[tokio::test]
async fn injected_429s_are_absorbed_by_the_retry_policy() {
    let server = server(rate_limit_get_user(2, 0)).await;
    let id = ada(&server).await;
    let policy = RetryPolicy::default()
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5));
    let client =
        Client::builder(server.scim_url(), server.scim_token()).retry(policy).build().unwrap();
    let u = client.suspend_user(&id).await.unwrap();
    assert_eq!(u.status, UserStatus::Suspended);
    // Two 429s, the GET that passed, and one PATCH.
    assert_eq!(client.requests_sent(), 4);
}

fn actions(items: &[Value]) -> Vec<String> {
    items.iter().filter_map(|e| e["action"].as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn events_reader_follows_scim_actions_and_resumes_from_a_stored_cursor() {
    let server = server(json!([])).await;
    let id = ada(&server).await;
    let scim = Client::new(server.scim_url(), server.scim_token()).unwrap();

    // The emulator mints tokens like 1Password's: the audience names the real events host,
    // which is where `new` points; tests point the reader at the emulator instead.
    let from_aud = EventsClient::new(server.events_token()).unwrap();
    assert_eq!(from_aud.base_url(), "https://events.1password.com/");
    let events = EventsClient::with_base_url(server.events_url(), server.events_token()).unwrap();
    let info = events.introspect().await.unwrap();
    assert!(info.allows(EventKind::Audit), "{info:?}");

    scim.suspend_user(&id).await.unwrap();
    let mut start = Start::Reset { limit: Some(1), start_time: None, end_time: None };
    let mut seen = Vec::new();
    let stored = loop {
        let page = events.poll(EventKind::Audit, start).await.unwrap();
        assert!(page.items.len() <= 1);
        seen.extend(actions(&page.items));
        if !page.has_more {
            break page.cursor;
        }
        start = Start::Cursor(page.cursor);
    };
    assert!(seen.iter().any(|a| a == "suspend"), "{seen:?}");

    // Later: reactivate, then resume from the stored cursor and see only what is new.
    scim.reactivate_user(&id).await.unwrap();
    let page = events.poll(EventKind::Audit, Start::Cursor(stored)).await.unwrap();
    let new = actions(&page.items);
    assert!(new.iter().any(|a| a == "reactive"), "{new:?}");
    assert!(!new.iter().any(|a| a == "suspend"), "{new:?}");
}

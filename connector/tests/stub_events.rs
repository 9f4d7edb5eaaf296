//! The Events API reader against the local stub: introspection, paging, resuming from a stored
//! cursor, error bodies.

mod support;

use connector::ErrorKind;
use connector::events::{EventKind, EventsClient, Start};
use serde_json::json;
use support::{Canned, Stub};

const TOKEN: &str = "good-token";

async fn stub_with_events(n: usize) -> Stub {
    let stub = Stub::start(0).await;
    stub.with(|s| {
        s.events = (0..n)
            .map(
                |i| json!({"uuid": format!("E{i:03}"), "action": "suspend", "object_type": "user"}),
            )
            .collect();
    });
    stub
}

#[tokio::test]
async fn introspect_reads_the_features() {
    let stub = stub_with_events(0).await;
    let events = EventsClient::with_base_url(&stub.base, TOKEN).unwrap();
    let i = events.introspect().await.unwrap();
    assert_eq!(i.uuid, "INTEGRATION1");
    assert_eq!(i.account_uuid.as_deref(), Some("ACCOUNT1"));
    assert!(i.allows(EventKind::Audit));
    assert!(!i.allows(EventKind::ItemUsage));
}

#[tokio::test]
async fn pages_until_has_more_is_false_then_resumes_from_the_stored_cursor() {
    let stub = stub_with_events(7).await;
    let events = EventsClient::with_base_url(&stub.base, TOKEN).unwrap();
    let mut seen = Vec::new();
    let mut start = Start::Reset { limit: Some(3), start_time: None, end_time: None };
    let stored = loop {
        let page = events.poll(EventKind::Audit, start).await.unwrap();
        seen.extend(page.items.iter().map(|e| e["uuid"].as_str().unwrap().to_owned()));
        if !page.has_more {
            break page.cursor;
        }
        start = Start::Cursor(page.cursor);
    };
    assert_eq!(seen, (0..7).map(|i| format!("E{i:03}")).collect::<Vec<_>>());
    // Nothing new yet: an empty page, and the stored cursor still works afterwards.
    let page = events.poll(EventKind::Audit, Start::Cursor(stored.clone())).await.unwrap();
    assert!(page.items.is_empty() && !page.has_more);
    stub.with(|s| s.events.push(json!({"uuid": "E007"})));
    let page = events.poll(EventKind::Audit, Start::Cursor(stored)).await.unwrap();
    assert_eq!(page.items, vec![json!({"uuid": "E007"})]);
}

#[tokio::test]
async fn a_token_without_the_feature_is_unauthorized_with_the_message() {
    let stub = stub_with_events(1).await;
    let events = EventsClient::with_base_url(&stub.base, TOKEN).unwrap();
    let e = events.poll(EventKind::ItemUsage, Start::reset()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert!(e.to_string().contains("token lacks the feature"), "{e}");
}

#[tokio::test]
async fn bad_cursor_from_the_server_and_wrong_shapes() {
    let stub = stub_with_events(1).await;
    let events = EventsClient::with_base_url(&stub.base, TOKEN).unwrap();
    let e = events.poll(EventKind::Audit, Start::Cursor("nonsense".into())).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert_eq!(e.status(), Some(400));
    assert!(e.to_string().contains("invalid cursor"), "{e}");

    for (body, expect) in [
        (r#"{"has_more": false, "items": []}"#, "`cursor`"),
        (r#"{"cursor": "c", "has_more": "yes", "items": []}"#, "`has_more`"),
        (r#"{"cursor": "c", "has_more": false, "items": {}}"#, "`items`"),
        ("[]", "JSON object"),
    ] {
        stub.push(Canned::new(200, body));
        let e = events.poll(EventKind::Audit, Start::reset()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{body}");
        assert!(e.to_string().contains(expect), "{body}: {e}");
    }
}

#[tokio::test]
async fn events_429_with_the_legacy_error_body() {
    let stub = stub_with_events(1).await;
    stub.push(
        Canned::new(429, r#"{"Error":{"Message":"Too Many Requests"}}"#)
            .header("Retry-After", "60"),
    );
    let events = EventsClient::with_base_url(&stub.base, TOKEN).unwrap();
    let e = events.poll(EventKind::Audit, Start::reset()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(60)));
    assert_eq!(events.requests_sent(), 1);
}

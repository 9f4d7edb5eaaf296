//! The connector against a scriptable local stub: every operation, idempotency by request
//! counting, unstable-order traversal, rate limits with and without retry, and the bad-input
//! classes (HTML pages, wrong shapes, truncated bodies, unreachable servers).

mod support;

use std::collections::HashSet;
use std::time::Duration;

use connector::{Client, ErrorKind, ListOptions, RetryPolicy, UserStatus};
use support::{Canned, Stub, raw_server, silent_server};

const TOKEN: &str = "good-token";

fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(4)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
        .max_elapsed(Duration::from_secs(30))
}

#[tokio::test]
async fn get_user_normalises_and_sends_auth_and_user_agent() {
    let stub = Stub::start(3).await;
    let client =
        Client::builder(stub.scim_url(), TOKEN).user_agent("test-agent/1").build().unwrap();
    let u = client.get_user("U00001").await.unwrap();
    assert_eq!(u.id, "U00001");
    assert_eq!(u.email, "user1@example.com");
    assert_eq!(u.display_name.as_deref(), Some("User1 Test"));
    assert_eq!(u.status, UserStatus::Active);
    assert_eq!(u.raw.value()["userName"], "user1@example.com");
    stub.with(|s| {
        assert_eq!(s.last_auth.as_deref(), Some("Bearer good-token"));
        assert_eq!(s.last_user_agent.as_deref(), Some("test-agent/1"));
    });
}

#[tokio::test]
async fn unknown_id_is_not_found() {
    let stub = Stub::start(1).await;
    let client = Client::new(stub.scim_url(), TOKEN).unwrap();
    let e = client.get_user("NOPE").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.to_string().contains("user NOPE"), "{e}");
    assert!(e.to_string().contains("User NOPE not found"), "{e}");
    assert_eq!(client.suspend_user("NOPE").await.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(stub.count("PATCH"), 0, "nothing written for an unknown id");
}

#[tokio::test]
async fn wrong_token_is_unauthorized() {
    let stub = Stub::start(1).await;
    let client = Client::new(stub.scim_url(), "bad-token").unwrap();
    let e = client.get_user("U00000").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert_eq!(e.status(), Some(401));
    assert_eq!(client.list_all_users(None).await.unwrap_err().kind(), ErrorKind::Unauthorized);
}

#[tokio::test]
async fn suspend_and_reactivate_are_idempotent() {
    let stub = Stub::start(2).await;
    let client = Client::new(stub.scim_url(), TOKEN).unwrap();
    let u = client.suspend_user("U00000").await.unwrap();
    assert_eq!(u.status, UserStatus::Suspended);
    assert_eq!(stub.count("PATCH"), 1);
    let u = client.suspend_user("U00000").await.unwrap();
    assert_eq!(u.status, UserStatus::Suspended);
    assert_eq!(stub.count("PATCH"), 1, "already suspended: no second write");

    let u = client.reactivate_user("U00000").await.unwrap();
    assert_eq!(u.status, UserStatus::Active);
    assert_eq!(stub.count("PATCH"), 2);
    client.reactivate_user("U00000").await.unwrap();
    assert_eq!(stub.count("PATCH"), 2, "already active: no second write");
    // The other user was never touched.
    assert_eq!(client.get_user("U00001").await.unwrap().status, UserStatus::Active);
}

#[tokio::test]
async fn patch_answered_with_204_reads_the_user_back() {
    let stub = Stub::start(1).await;
    stub.with(|s| s.patch_no_content = true);
    let client = Client::new(stub.scim_url(), TOKEN).unwrap();
    let u = client.suspend_user("U00000").await.unwrap();
    assert_eq!(u.status, UserStatus::Suspended);
    assert_eq!(stub.count("PATCH"), 1);
    assert_eq!(stub.count("GET"), 2, "one GET before, one after the 204");
}

#[tokio::test]
async fn list_all_under_shuffled_order_returns_everyone_once() {
    let stub = Stub::start(137).await;
    let client = Client::builder(stub.scim_url(), TOKEN).page_size(10).build().unwrap();
    let users = client.list_all_users(None).await.unwrap();
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), 137);
    assert_eq!(unique.len(), 137);
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "results come in id order");
    assert!(client.requests_sent() > 14, "a shuffled server needs more than one sweep of 14 pages");
}

#[tokio::test]
async fn one_request_when_the_directory_fits_max_results() {
    let stub = Stub::start(250).await;
    let client = Client::new(stub.scim_url(), TOKEN).unwrap();
    let users = client.list_all_users(None).await.unwrap();
    assert_eq!(users.len(), 250);
    // ServiceProviderConfig + one page of up to 10,000.
    assert_eq!(client.requests_sent(), 2);
    let again = client.list_all_users(None).await.unwrap();
    assert_eq!(again.len(), 250);
    assert_eq!(client.requests_sent(), 3, "the page size is learnt once");
}

#[tokio::test]
async fn cursor_traversal_under_shuffled_order_returns_everyone_once() {
    let stub = Stub::start(53).await;
    let client = Client::builder(stub.scim_url(), TOKEN).page_size(7).build().unwrap();
    let mut seen = Vec::new();
    let mut options = ListOptions { limit: Some(6), ..ListOptions::default() };
    let mut pages = 0;
    loop {
        let page = client.list_users(&options).await.unwrap();
        pages += 1;
        assert_eq!(page.total, Some(53));
        assert!(page.users.len() <= 6);
        seen.extend(page.users.into_iter().map(|u| u.id));
        match page.next_cursor {
            Some(c) => options.cursor = Some(c),
            None => break,
        }
        assert!(pages < 100, "traversal does not end");
    }
    assert_eq!(pages, 9);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 53);
    assert_eq!(unique.len(), 53);
}

#[tokio::test]
async fn cursor_keeps_its_limit_and_survives_deletions() {
    let stub = Stub::start(10).await;
    let client = Client::new(stub.scim_url(), TOKEN).unwrap();
    let p1 =
        client.list_users(&ListOptions { limit: Some(3), ..ListOptions::default() }).await.unwrap();
    assert_eq!(
        p1.users.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
        ["U00000", "U00001", "U00002"]
    );
    // The last user of page 1 is removed before page 2 is asked for.
    stub.with(|s| s.users.retain(|u| u["id"] != "U00002"));
    let p2 = client
        .list_users(&ListOptions { cursor: p1.next_cursor.clone(), ..ListOptions::default() })
        .await
        .unwrap();
    assert_eq!(
        p2.users.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
        ["U00003", "U00004", "U00005"]
    );
    assert_eq!(p2.total, Some(9));
}

#[tokio::test]
async fn tampered_and_foreign_cursors_are_rejected_before_any_request() {
    let stub = Stub::start(5).await;
    let client = Client::new(stub.scim_url(), TOKEN).unwrap();
    let p1 =
        client.list_users(&ListOptions { limit: Some(2), ..ListOptions::default() }).await.unwrap();
    let cursor = p1.next_cursor.unwrap();
    let sent = client.requests_sent();

    let mut tampered = cursor.clone().into_bytes();
    tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [tampered.as_str(), "garbage!", &cursor[..cursor.len() / 2]] {
        let e = client
            .list_users(&ListOptions { cursor: Some(bad.to_owned()), ..ListOptions::default() })
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidCursor, "{bad}: {e}");
    }
    assert_eq!(client.requests_sent(), sent, "a bad cursor costs no request");
}

#[tokio::test]
async fn malformed_filter_is_local() {
    let stub = Stub::start(1).await;
    let client = Client::new(stub.scim_url(), TOKEN).unwrap();
    let e = client
        .list_users(&ListOptions { filter: Some("userName eq".into()), ..ListOptions::default() })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidFilter);
    assert!(e.to_string().contains("column"), "{e}");
    assert_eq!(
        client.list_all_users(Some("(((")).await.unwrap_err().kind(),
        ErrorKind::InvalidFilter
    );
    assert_eq!(client.requests_sent(), 0);
    assert!(stub.with(|s| s.log.is_empty()));
}

#[tokio::test]
async fn zero_limit_is_an_argument_error() {
    let stub = Stub::start(1).await;
    let client = Client::new(stub.scim_url(), TOKEN).unwrap();
    let e = client
        .list_users(&ListOptions { limit: Some(0), ..ListOptions::default() })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

#[tokio::test]
async fn total_results_as_page_size_bug_is_detected() {
    let stub = Stub::start(25).await;
    stub.with(|s| {
        s.total_is_page_size = true;
        s.shuffle = false;
    });
    let client = Client::builder(stub.scim_url(), TOKEN).page_size(10).build().unwrap();
    let users = client.list_all_users(None).await.unwrap();
    assert_eq!(users.len(), 25);
}

#[tokio::test]
async fn no_discovery_falls_back_to_the_default_page() {
    let stub = Stub::start(12).await;
    stub.with(|s| s.max_results = None);
    let client = Client::new(stub.scim_url(), TOKEN).unwrap();
    assert_eq!(client.list_all_users(None).await.unwrap().len(), 12);
    assert!(stub.with(|s| {
        s.log
            .iter()
            .any(|(_, uri)| uri.contains(&format!("count={}", connector::DEFAULT_SWEEP_PAGE)))
    }));
}

#[tokio::test]
async fn rate_limited_without_retry_surfaces_at_once() {
    let stub = Stub::start(1).await;
    stub.push(
        Canned::new(429, r#"{"status":"429","detail":"slow down"}"#)
            .header("Retry-After", "7")
            .header("RateLimit-Limit", "100")
            .header("RateLimit-Remaining", "0")
            .header("RateLimit-Reset", "30"),
    );
    let client = Client::new(stub.scim_url(), TOKEN).unwrap();
    let e = client.get_user("U00000").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    match e {
        connector::Error::RateLimited { rate_limit, .. } => {
            assert_eq!(rate_limit.limit, Some(100));
            assert_eq!(rate_limit.remaining, Some(0));
            assert_eq!(rate_limit.reset, Some(Duration::from_secs(30)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(client.requests_sent(), 1, "no hidden retry");
    assert_eq!(client.last_rate_limit().unwrap().remaining, Some(0));
}

#[tokio::test]
async fn rate_limited_with_retry_policy_succeeds() {
    let stub = Stub::start(1).await;
    for _ in 0..2 {
        stub.push(Canned::new(429, "").header("Retry-After", "0"));
    }
    let client = Client::builder(stub.scim_url(), TOKEN).retry(fast_retry()).build().unwrap();
    let u = client.get_user("U00000").await.unwrap();
    assert_eq!(u.id, "U00000");
    assert_eq!(client.requests_sent(), 3);
}

#[tokio::test]
async fn retry_policy_bounds_attempts() {
    let stub = Stub::start(1).await;
    for _ in 0..10 {
        stub.push(Canned::new(503, "<html><title>Service Unavailable</title></html>"));
    }
    let client = Client::builder(stub.scim_url(), TOKEN)
        .retry(fast_retry().max_attempts(3))
        .build()
        .unwrap();
    let e = client.get_user("U00000").await.unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert_eq!(client.requests_sent(), 3);
}

#[tokio::test]
async fn retry_policy_gives_up_when_retry_after_exceeds_the_budget() {
    let stub = Stub::start(1).await;
    stub.push(Canned::new(429, "").header("Retry-After", "3600"));
    let client = Client::builder(stub.scim_url(), TOKEN)
        .retry(fast_retry().max_elapsed(Duration::from_secs(5)))
        .build()
        .unwrap();
    let e = client.get_user("U00000").await.unwrap_err();
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(client.requests_sent(), 1);
}

#[tokio::test]
async fn other_errors_are_not_retried() {
    let stub = Stub::start(1).await;
    stub.push(Canned::new(500, r#"{"detail":"boom"}"#));
    let client = Client::builder(stub.scim_url(), TOKEN).retry(fast_retry()).build().unwrap();
    let e = client.get_user("U00000").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert_eq!(e.to_string(), "HTTP 500: boom");
    assert_eq!(client.requests_sent(), 1);
}

#[tokio::test]
async fn html_error_page_from_a_proxy() {
    let stub = Stub::start(1).await;
    stub.push(
        Canned::new(502, "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>")
            .header("content-type", "text/html"),
    );
    let client = Client::new(stub.scim_url(), TOKEN).unwrap();
    let e = client.get_user("U00000").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert_eq!(e.to_string(), "HTTP 502: HTML page: 502 Bad Gateway");
}

#[tokio::test]
async fn success_with_the_wrong_body_is_a_decode_error() {
    let stub = Stub::start(1).await;
    let client = Client::new(stub.scim_url(), TOKEN).unwrap();
    for (body, expect) in [
        ("<html>login</html>", "not valid JSON"),
        (r#"{"id": 42}"#, "`id` must be a non-empty string"),
        (r#"[1,2]"#, "must be a JSON object"),
        ("", "empty"),
    ] {
        stub.push(Canned::new(200, body));
        let e = client.get_user("U00000").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{body}");
        assert!(e.to_string().contains(expect), "{body}: {e}");
    }
    // A list whose Resources is not an array.
    stub.push(Canned::new(200, r#"{"totalResults": 1, "Resources": {"id": "A"}}"#));
    let client = Client::builder(stub.scim_url(), TOKEN).page_size(5).build().unwrap();
    let e = client.list_all_users(None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert!(e.to_string().contains("`Resources` must be an array"), "{e}");
}

#[tokio::test]
async fn truncated_body_is_a_decode_error() {
    let url = raw_server(b"HTTP/1.1 200 OK\r\ncontent-type: application/scim+json\r\ncontent-length: 500\r\nconnection: close\r\n\r\n{\"id\": \"A").await;
    let client = Client::new(url, TOKEN).unwrap();
    let e = client.get_user("A").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
    assert_eq!(e.status(), Some(200));
}

#[tokio::test]
async fn unreachable_server_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = Client::new(format!("http://{addr}/scim/v2"), TOKEN).unwrap();
    let e = client.get_user("A").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_eq!(e.status(), None);
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let url = silent_server().await;
    let client = Client::builder(url, TOKEN).timeout(Duration::from_millis(200)).build().unwrap();
    let e = client.get_user("A").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
}

#[tokio::test]
async fn tls_to_a_plain_http_server_is_a_transport_error() {
    let stub = Stub::start(1).await;
    let client = Client::new(stub.scim_url().replace("http://", "https://"), TOKEN).unwrap();
    let e = client.get_user("U00000").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
}

#[tokio::test]
async fn rate_limit_headers_of_successful_responses_are_kept() {
    let stub = Stub::start(1).await;
    stub.push(
        Canned::new(200, support::user(0, true).to_string())
            .header("X-RateLimit-Limit", "600")
            .header("X-RateLimit-Remaining", "599"),
    );
    let client = Client::new(stub.scim_url(), TOKEN).unwrap();
    client.get_user("U00000").await.unwrap();
    let rl = client.last_rate_limit().unwrap();
    assert_eq!((rl.limit, rl.remaining), (Some(600), Some(599)));
    client.get_user("U00000").await.unwrap();
    assert_eq!(client.last_rate_limit(), None, "the last response carried none");
}

//! Measures listing 100,000 users end to end over real HTTP: `list_all_users` against a local
//! bridge stub that shuffles its order on every call (as the real bridge does) and against one
//! with a stable order, reporting wall time, requests and sweeps' cost.
//!
//! ```sh
//! cargo run -p connector --release --example list_100k [-- USERS]
//! ```

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashSet;
use std::time::Instant;

use connector::Client;

#[tokio::main]
async fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    for shuffle in [false, true] {
        let stub = support::Stub::start(n).await;
        stub.with(|s| s.shuffle = shuffle);
        let client = Client::new(stub.scim_url(), "good-token").expect("client");
        let started = Instant::now();
        let users = client.list_all_users(None).await.expect("listing");
        let elapsed = started.elapsed();
        let unique: HashSet<&str> = users.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(users.len(), n, "every user");
        assert_eq!(unique.len(), n, "exactly once");
        println!(
            "{n} users, {} order: {:.2?}, {} requests (page size 10000), {:.0} users/s",
            if shuffle { "shuffled" } else { "stable" },
            elapsed,
            client.requests_sent(),
            n as f64 / elapsed.as_secs_f64(),
        );
    }
}

//! Drives N in-process `GET` requests through the service `serve` runs (the routes behind the
//! control layer), for profilers. Count one request's instructions, router to response, with
//!
//! ```text
//! valgrind --tool=callgrind '--toggle-collect=*Oneshot<S,Req> as core::future::future::Future>::poll' \
//!     target/release/examples/request_profile 13000 username
//! ```
//!
//! and again with 10000: the difference over 3,000 is the steady state, once the tenant's
//! journal (10,000 entries) is full and recording reuses its entries.
//!
//! Usage: `cargo run --release -p emulator --example request_profile -- [N] [PATH_KIND]`
//! where PATH_KIND is `id` (default), `username` or `bare` (a one-route axum router).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use axum::routing::get;
use emulator::account::SeedUser;
use emulator::seed::Seed;
use emulator::{Emulator, EmulatorConfig};
use tower::ServiceExt;

const TOKEN: &str = "profile-token";

#[inline(never)]
async fn one_request<S>(app: &S, uri: &str) -> usize
where
    S: tower::Service<
            Request<Body>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone,
{
    let req = Request::get(uri)
        .header(header::HOST, "127.0.0.1:3002")
        .header(header::AUTHORIZATION, "Bearer profile-token")
        .body(Body::empty())
        .unwrap_or_default();
    let Ok(resp) = app.clone().oneshot(req).await;
    axum::body::to_bytes(resp.into_body(), usize::MAX).await.map(|b| b.len()).unwrap_or(0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let kind = args.next().unwrap_or_else(|| "id".into());
    let users = (0..2_000)
        .map(|i| SeedUser {
            user_name: format!("user{i}@example.com"),
            display_name: Some(format!("User {i}")),
            ..SeedUser::default()
        })
        .collect();
    let config = EmulatorConfig {
        scim_token: Some(TOKEN.into()),
        seed: Some(Seed { users, ..Seed::default() }),
        ..EmulatorConfig::default()
    };
    let emu = Emulator::new(config).expect("emulator");
    let id = {
        let t = emu.default_tenant();
        let t = t.read();
        t.account
            .user_by_user_name("user1000@example.com")
            .map(|u| u.id.clone())
            .unwrap_or_default()
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let uri = match kind.as_str() {
        "username" => "/scim/v2/Users?filter=userName%20eq%20%22user1000@example.com%22".to_owned(),
        _ => format!("/scim/v2/Users/{id}"),
    };
    let mut total = 0;
    if kind == "bare" {
        let app = Router::new().route("/scim/v2/Users/{id}", get(|| async { "{}" }));
        for _ in 0..n {
            total += rt.block_on(one_request(&app, &uri));
        }
    } else {
        // What `serve` runs: the routes behind the control layer, no outer router.
        let app = emulator::http::app(emu);
        for _ in 0..n {
            total += rt.block_on(one_request(&app, &uri));
        }
    }
    println!("{n} requests, {total} body bytes");
}

//! The cost of one SCIM request inside the emulator, without the network: the whole router
//! (control layer, auth, tenant lock, domain, rendering, serialisation) driven with
//! `tower::ServiceExt::oneshot`, next to a bare axum handler returning a fixed body.
//!
//! Run: `cargo bench -p emulator --bench scim_requests`. The account holds 100,000 users, as in
//! `scripts/bench-scim.sh`, which measures the same requests over real sockets. The difference
//! between a route here and `bare axum` is what the emulator adds to each request.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use emulator::account::SeedUser;
use emulator::seed::Seed;
use emulator::{Emulator, EmulatorConfig};
use serde_json::json;
use tower::ServiceExt;

const USERS: usize = 100_000;
const TOKEN: &str = "bench-token";

fn emulator() -> Emulator {
    let users = (0..USERS)
        .map(|i| {
            let mut u = SeedUser {
                user_name: format!("user{i}@example.com"),
                display_name: Some(format!("User {i}")),
                ..SeedUser::default()
            };
            u.attributes.insert("externalId".into(), json!(format!("ext-{i}")));
            u
        })
        .collect();
    let profile = emulator::Profile { shuffle_list_order: false, ..Default::default() };
    let config = EmulatorConfig {
        profile,
        scim_token: Some(TOKEN.into()),
        seed: Some(Seed { users, ..Seed::default() }),
        ..EmulatorConfig::default()
    };
    Emulator::new(config).expect("seeded emulator")
}

fn get_request(uri: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::HOST, "127.0.0.1:3002")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .expect("request")
}

async fn call(app: &Router, uri: &str) -> usize {
    let resp = app.clone().oneshot(get_request(uri)).await.expect("infallible");
    assert_eq!(resp.status(), StatusCode::OK, "{uri}");
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
    body.len()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let emu = emulator();
    let app = emulator::http::router(emu);
    let id = rt.block_on(async {
        let resp = app
            .clone()
            .oneshot(get_request(
                "/scim/v2/Users?filter=userName%20eq%20%22user50000@example.com%22",
            ))
            .await
            .expect("infallible");
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
        let doc: serde_json::Value = serde_json::from_slice(&body).expect("json");
        doc["Resources"][0]["id"].as_str().expect("id").to_owned()
    });
    let fixed = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"FHNN6ANJUZF3FFXYHEE6EWPHSM","userName":"victor@example.com","name":{"givenName":"Victor","familyName":"Nango","formatted":"Victor Nango"},"displayName":"Victor Nango","active":true,"emails":[{"value":"victor@example.com","primary":true}],"preferredLanguage":"en","meta":{"resourceType":"User"}}"#;
    let bare = Router::new().route(
        "/scim/v2/Users/{id}",
        get(move || async move { ([(header::CONTENT_TYPE, "application/scim+json")], fixed) }),
    );

    let mut g = c.benchmark_group("scim_request");
    let by_id = format!("/scim/v2/Users/{id}");
    g.bench_function("bare axum fixed body", |b| b.iter(|| rt.block_on(call(&bare, &by_id))));
    g.bench_function("GET /Users/{id}", |b| b.iter(|| rt.block_on(call(&app, &by_id))));
    let by_name = "/scim/v2/Users?filter=userName%20eq%20%22user50000@example.com%22";
    g.bench_function("GET userName eq", |b| b.iter(|| rt.block_on(call(&app, by_name))));
    let by_ext = "/scim/v2/Users?filter=externalId%20eq%20%22ext-50000%22";
    g.bench_function("GET externalId eq", |b| b.iter(|| rt.block_on(call(&app, by_ext))));
    let page = "/scim/v2/Users?startIndex=50001&count=100";
    g.bench_function("GET count=100", |b| b.iter(|| rt.block_on(call(&app, page))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

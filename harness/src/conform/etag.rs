//! Versioning with ETags (RFC 7644 §3.14), checked only when `etag.supported` is advertised.

use reqwest::Method;
use serde_json::json;

use super::client::Req;
use super::crud::user_body;
use super::{Ctx, Level, patch_body};

const CHECKS: [(&str, &str); 4] = [
    ("etag.header", "GET sends an ETag equal to meta.version"),
    ("etag.if_none_match", "If-None-Match with the current ETag is 304"),
    ("etag.if_match_stale", "If-Match with a stale ETag is 412"),
    ("etag.if_match_current", "If-Match with the current ETag succeeds"),
];

/// Runs the ETag checks.
pub async fn run(ctx: &Ctx) {
    if !ctx.disc.etag {
        for (id, title) in CHECKS {
            ctx.skip(id, title, "etag.supported is false in /ServiceProviderConfig");
        }
        return;
    }
    let Some(rt) = ctx.disc.user.clone() else { return };
    let name = ctx.unique("etag");
    let Ok(c) = ctx.create(&rt.endpoint, &user_body(ctx, &rt, &name, "etag", &[])).await else {
        return;
    };
    let Some(id) = c.body["id"].as_str() else { return };
    let path = format!("{}/{id}", rt.endpoint);
    let Ok(g) = ctx.client.get(&path).await else { return };
    let etag = g.header("etag").map(str::to_owned);
    let version = g.body["meta"]["version"].as_str().map(str::to_owned);
    ctx.require(
        CHECKS[0].0,
        CHECKS[0].1,
        Level::Must,
        etag.is_some() && (version.is_none() || version == etag),
        format!("{}: RFC 7644 §3.14: with ETags supported the version MUST be in the ETag header and SHOULD equal meta.version; ETag {etag:?}, meta.version {version:?}", g.request),
    );
    let Some(etag) = etag else { return };
    if let Ok(r) =
        ctx.client.send(Req::new(Method::GET, &path).header("if-none-match", &etag)).await
    {
        ctx.require(
            CHECKS[1].0,
            CHECKS[1].1,
            Level::Must,
            r.status == 304,
            format!("RFC 7644 §3.14: {}", r.describe()),
        );
    }
    let change = patch_body(json!([{"op": "replace", "path": "active", "value": false}]));
    if let Ok(r) = ctx
        .client
        .send(Req::new(Method::PATCH, &path).json(&change).header("if-match", &etag))
        .await
    {
        ctx.require(
            CHECKS[3].0,
            CHECKS[3].1,
            Level::Must,
            r.status == 200 || r.status == 204,
            format!("RFC 7644 §3.14: {}", r.describe()),
        );
    }
    let back = patch_body(json!([{"op": "replace", "path": "active", "value": true}]));
    if let Ok(r) =
        ctx.client.send(Req::new(Method::PATCH, &path).json(&back).header("if-match", &etag)).await
    {
        ctx.require(
            CHECKS[2].0,
            CHECKS[2].1,
            Level::Must,
            r.status == 412,
            format!("RFC 7644 §3.14: a modifying request whose If-Match no longer matches SHALL answer 412 Precondition Failed; {}", r.describe()),
        );
    }
}

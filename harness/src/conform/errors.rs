//! Errors (RFC 7644 §3.12): every error answer has the right status and a SCIM Error body whose
//! `status` is the code as a string; `scimType` where the RFC names one. Covers malformed JSON,
//! bad filters, unknown attributes, uniqueness, unknown ids, unknown endpoints, wrong methods and
//! authentication.

use reqwest::Method;
use scim::messages;
use serde_json::json;

use super::client::{Auth, Req, enc};
use super::crud::user_body;
use super::{Ctx, Expect, Level, Resp};

/// Problems with `r` as a SCIM error answer with `status`.
pub fn error_body_problems(r: &Resp, status: u16) -> Vec<String> {
    let mut p = Vec::new();
    if r.status != status {
        p.push(format!("status {} instead of {status}", r.status));
    }
    if !r.is_object() {
        p.push("no JSON error body (RFC 7644 §3.12: implementers MUST return errors in the body as JSON)".into());
        return p;
    }
    let has_schema = r.body["schemas"]
        .as_array()
        .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(messages::ERROR)));
    if !has_schema {
        p.push(format!("schemas lacks {}", messages::ERROR));
    }
    match &r.body["status"] {
        serde_json::Value::String(s) if s == &r.status.to_string() => {}
        serde_json::Value::String(s) => {
            p.push(format!("body status {s:?} differs from the HTTP status {}", r.status))
        }
        other => p.push(format!(
            "body status is {other}, RFC 7644 §3.12 requires the code as a JSON string"
        )),
    }
    p
}

/// Records an error-answer check: MUST on status and body; `scim_type`, when given, is checked
/// at `type_level`.
#[allow(clippy::too_many_arguments)]
fn error_check(
    ctx: &Ctx,
    id: &str,
    title: &str,
    r: &Resp,
    status: &[u16],
    scim_type: Option<&str>,
    type_level: Level,
    why: &str,
) {
    let want = if status.contains(&r.status) { r.status } else { status[0] };
    let mut problems = error_body_problems(r, want);
    if ctx.expect.error_detail_required() && r.is_object() && !r.body["detail"].is_string() {
        problems.push("no detail (Okta's SCIM tests require a human-readable detail)".into());
    }
    let body_ok = problems.is_empty();
    if let Some(t) = scim_type
        && r.body["scimType"].as_str() != Some(t)
    {
        problems.push(format!("scimType {} instead of {t:?}", r.body["scimType"]));
    }
    let level = if body_ok { type_level } else { Level::Must };
    ctx.require(
        id,
        title,
        level,
        problems.is_empty(),
        format!("{}: {why}; {}; {}", r.request, problems.join("; "), r.describe()),
    );
}

/// Runs the error checks.
pub async fn run(ctx: &Ctx) {
    let Some(rt) = ctx.disc.user.clone() else { return };
    let ep = rt.endpoint.clone();
    // Malformed JSON.
    if let Ok(r) = ctx
        .client
        .send(Req::new(Method::POST, &ep).raw("{\"schemas\": [", "application/scim+json"))
        .await
    {
        error_check(
            ctx,
            "errors.malformed_json",
            "malformed JSON is 400 invalidSyntax",
            &r,
            &[400],
            Some("invalidSyntax"),
            Level::Should,
            "RFC 7644 §3.12 Table 9: invalidSyntax",
        );
    }
    // Bad filter.
    for (id, f) in [
        ("errors.bad_filter", "userName eq"),
        ("errors.bad_filter.operator", "userName zz \"x\""),
        ("errors.bad_filter.parens", "(userName eq \"x\""),
    ] {
        if let Ok(r) = ctx.client.get(&format!("{ep}?filter={}", enc(f))).await {
            if !ctx.disc.filter && r.status == 200 {
                ctx.skip(
                    id,
                    "a syntactically bad filter is 400 invalidFilter",
                    "filter not supported",
                );
                continue;
            }
            error_check(
                ctx,
                id,
                &format!("the bad filter {f:?} is 400 invalidFilter"),
                &r,
                &[400],
                Some("invalidFilter"),
                Level::Must,
                "RFC 7644 §3.4.2.2: an invalid filter SHALL answer 400 with scimType invalidFilter",
            );
        }
    }
    // Unknown attribute in a filter: no match or 400 invalidFilter, never a server error.
    if ctx.disc.filter
        && let Ok(r) = ctx.client.get(&format!("{ep}?filter={}", enc("frobnicate eq \"x\""))).await
    {
        let ok = (r.status == 200 && r.body["totalResults"].as_u64() == Some(0))
            || (r.status == 400 && error_body_problems(&r, 400).is_empty());
        ctx.require(
            "errors.unknown_filter_attribute",
            "a filter on an undefined attribute matches nothing or is 400",
            Level::Must,
            ok,
            format!("RFC 7644 §3.4.2.2: undefined attributes are unassigned (no match) or the filter is invalid; {}", r.describe()),
        );
    }
    // Unknown attribute in a body.
    let user_name = ctx.unique("unknown");
    let mut body = user_body(ctx, &rt, &user_name, "unknown", &[]);
    body["frobnicate"] = json!("x");
    if let Ok(r) = ctx.create(&ep, &body).await {
        let ok = if (200..300).contains(&r.status) {
            r.body.get("frobnicate").is_none()
        } else {
            r.status == 400 && error_body_problems(&r, 400).is_empty()
        };
        ctx.require(
            "errors.unknown_attribute",
            "an undefined attribute in a body is ignored or refused with 400",
            Level::Should,
            ok,
            format!("RFC 7643 §3: the schemas define a resource's attributes; frobnicate must not be stored or the request must be 400; {}", r.describe()),
        );
    }
    uniqueness(ctx, &rt).await;
    // Unknown ids.
    let missing = format!("{ep}/conform-{}-does-not-exist", ctx.prefix);
    let cases = [
        ("errors.unknown_id.get", Method::GET, None),
        (
            "errors.unknown_id.put",
            Method::PUT,
            Some(user_body(ctx, &rt, &ctx.unique("ghost"), "ghost", &[])),
        ),
        (
            "errors.unknown_id.patch",
            Method::PATCH,
            Some(super::patch_body(json!([{"op": "replace", "path": "active", "value": false}]))),
        ),
        ("errors.unknown_id.delete", Method::DELETE, None),
    ];
    for (id, m, body) in cases {
        let mut req = Req::new(m.clone(), &missing);
        if let Some(b) = &body {
            req = req.json(b);
        }
        if let Ok(r) = ctx.client.send(req).await {
            error_check(
                ctx,
                id,
                &format!("{m} on an unknown id is 404 with a SCIM error"),
                &r,
                &[404],
                None,
                Level::Must,
                "RFC 7644 §3.12: 404 when the specified resource does not exist",
            );
        }
    }
    // Unknown endpoint.
    if let Ok(r) = ctx.client.get("/Frobnicators").await {
        error_check(
            ctx,
            "errors.unknown_endpoint",
            "an unknown endpoint is 404 with a SCIM error",
            &r,
            &[404],
            None,
            Level::Must,
            "RFC 7644 §3.12: 404 Not Found, errors returned in a JSON body",
        );
    }
    // Wrong method.
    if let Ok(r) = ctx.client.send(Req::new(Method::DELETE, &ep)).await {
        error_check(
            ctx,
            "errors.wrong_method",
            "DELETE on the collection is refused with a SCIM error (405 or 501)",
            &r,
            &[405, 501, 404, 400],
            None,
            Level::Must,
            "RFC 7644 §3.12: the request is refused with a status and a JSON error body",
        );
    }
    // Auth.
    for (id, auth, what) in [
        ("errors.auth.missing", Auth::Missing, "no token"),
        ("errors.auth.wrong", Auth::Wrong, "a wrong token"),
    ] {
        if let Ok(r) = ctx.client.send(Req::new(Method::GET, &ep).auth(auth)).await {
            error_check(
                ctx,
                id,
                &format!("{what} is 401 with a SCIM error"),
                &r,
                &[401],
                None,
                Level::Must,
                "RFC 7644 §2 and §3.12: 401 Unauthorized with an error body (Okta requires it)",
            );
            if id == "errors.auth.missing" {
                ctx.require(
                    "errors.auth.www_authenticate",
                    "401 carries WWW-Authenticate",
                    Level::Should,
                    r.header("www-authenticate").is_some(),
                    format!(
                        "{}: RFC 7235 §3.1 / RFC 6750 §3: a 401 includes WWW-Authenticate; {}",
                        r.request,
                        r.describe()
                    ),
                );
            }
        }
    }
    // application/json requests (RFC 7644 §3.8: SHOULD be accepted).
    let name = ctx.unique("json");
    let body = user_body(ctx, &rt, &name, "json", &[]);
    let req = Req::new(Method::POST, &ep).raw(&body.to_string(), "application/json");
    if let Ok(r) = ctx.client.send(req).await {
        if let Some(id) = r.body["id"].as_str() {
            ctx.created(format!("{ep}/{id}"));
        }
        ctx.require(
            "errors.content_type_json",
            "a request sent as application/json is accepted",
            Level::Should,
            (200..300).contains(&r.status),
            format!(
                "RFC 7644 §3.8: service providers SHOULD accept application/json; {}",
                r.describe()
            ),
        );
    }
}

async fn uniqueness(ctx: &Ctx, rt: &super::model::ResType) {
    let ep = &rt.endpoint;
    let name = ctx.unique("dup");
    let body = user_body(ctx, rt, &name, "dup", &[]);
    let Ok(first) = ctx.create(ep, &body).await else { return };
    if !(200..300).contains(&first.status) {
        ctx.fail(
            "errors.uniqueness",
            "a duplicate userName is 409 uniqueness",
            format!("could not create the first user: {}", first.describe()),
        );
        return;
    }
    let Ok(r) = ctx.create(ep, &body).await else { return };
    error_check(
        ctx,
        "errors.uniqueness",
        "a duplicate userName is 409 uniqueness",
        &r,
        &[409],
        Some("uniqueness"),
        Level::Must,
        "RFC 7644 §3.3: a duplicate of a unique attribute MUST answer 409 with scimType uniqueness",
    );
    let case_exact = ctx.disc.attr(rt, "userName").is_some_and(|a| a.case_exact);
    if case_exact {
        ctx.skip(
            "errors.uniqueness.case",
            "a userName differing only in case is a duplicate",
            "userName is caseExact on this server",
        );
        return;
    }
    let mut upper = body.clone();
    upper["userName"] = json!(name.to_uppercase());
    let Ok(r) = ctx.create(ep, &upper).await else { return };
    let level = if ctx.expect == Expect::Rfc { Level::Should } else { Level::Must };
    ctx.require(
        "errors.uniqueness.case",
        "a userName differing only in case is a duplicate",
        level,
        r.status == 409,
        format!("userName has caseExact false and uniqueness server (RFC 7643 §4.1.1, §2.4): {name} and {} are the same value; {}", name.to_uppercase(), r.describe()),
    );
}

//! PATCH (RFC 7644 §3.5.2): replace/remove/add for every singular writable attribute the schema
//! advertises, value-path filters, multi-valued add, `primary`, atomicity, and the error cases.

use serde_json::{Value, json};

use super::crud::{sample, user_body};
use super::model::{Attr, ResType};
use super::{Ctx, Expect, Level, Resp, patch_body};

/// PATCH `path` with `ops`, then GET it: `(patch response, resource after)`.
async fn apply(ctx: &Ctx, path: &str, ops: Value) -> Option<(Resp, Resp)> {
    let p = ctx.client.patch(path, &patch_body(ops)).await.ok()?;
    let g = ctx.client.get(path).await.ok()?;
    Some((p, g))
}

fn ok_status(r: &Resp) -> bool {
    r.status == 200 || r.status == 204
}

/// Runs the PATCH checks on a fresh user.
pub async fn run(ctx: &Ctx) {
    if !ctx.disc.patch {
        for c in super::catalogue::CHECKS.iter().filter(|c| c.id.starts_with("patch.") && c.fixed())
        {
            ctx.skip(c.id, c.title, "patch.supported is false in /ServiceProviderConfig");
        }
        return;
    }
    let Some(rt) = ctx.disc.user.clone() else { return };
    let name = ctx.unique("patch");
    let p = &ctx.prefix;
    let fields = [
        (
            "emails",
            json!([
                {"value": format!("{p}-patch-w@example.com"), "type": "work", "primary": true},
                {"value": format!("{p}-patch-h@example.org"), "type": "home"},
            ]),
        ),
        ("displayName", json!(format!("Patch Target {p}"))),
        ("active", json!(true)),
    ];
    let body = user_body(ctx, &rt, &name, "patch", &fields);
    let Ok(c) = ctx.create(&rt.endpoint, &body).await else { return };
    let Some(id) = c.body["id"].as_str() else {
        ctx.fail("patch.setup", "a user to PATCH can be created", c.describe());
        return;
    };
    let path = format!("{}/{id}", rt.endpoint);
    per_attribute(ctx, &rt, &path).await;
    value_paths(ctx, &path).await;
    multi_valued(ctx, &path).await;
    atomicity(ctx, &rt, &path).await;
    errors(ctx, &path).await;
    dialects(ctx, &path).await;
}

/// The singular, writable, simple attributes of the core schema and its extensions, as
/// `(PATCH path, attribute)`; sub-attributes of singular complex attributes included
/// (`name.givenName`).
fn patchable(ctx: &Ctx, rt: &ResType) -> Vec<(String, Attr)> {
    let mut out = Vec::new();
    for (urn, schema) in ctx.disc.schemas_of(rt) {
        let core = urn.eq_ignore_ascii_case(&rt.schema);
        for a in &schema.attrs {
            if a.multi || !a.writable() || a.mutability == "writeOnly" || a.returned == "never" {
                continue;
            }
            if ["userName", "id", "meta", "schemas", "manager"]
                .iter()
                .any(|n| a.name.eq_ignore_ascii_case(n))
            {
                continue;
            }
            let prefix = if core { String::new() } else { format!("{urn}:") };
            if a.kind == "complex" {
                for s in a.subs.iter().filter(|s| {
                    s.writable() && s.kind != "reference" && s.mutability != "writeOnly"
                }) {
                    out.push((format!("{prefix}{}.{}", a.name, s.name), s.clone()));
                }
            } else if a.kind != "reference" {
                out.push((format!("{prefix}{}", a.name), a.clone()));
            }
        }
    }
    out
}

/// Reads `path` (`name.givenName`, `urn:...:User:employeeNumber`) from a resource.
fn read_path<'a>(v: &'a Value, path: &str, rt_ext: &[String]) -> &'a Value {
    for ext in rt_ext {
        if let Some(rest) = path.strip_prefix(&format!("{ext}:")) {
            return &v[ext.as_str()][rest];
        }
    }
    match path.split_once('.') {
        Some((a, b)) => &v[a][b],
        None => &v[path],
    }
}

fn short(path: &str) -> &str {
    path.rsplit(':').next().unwrap_or(path)
}

async fn per_attribute(ctx: &Ctx, rt: &ResType, path: &str) {
    for (apath, a) in patchable(ctx, rt) {
        let label = short(&apath).to_owned();
        let tolerated = ctx.expect.dropped_attribute(&label);
        let value = if a.kind == "boolean" {
            json!(false)
        } else {
            match sample(ctx, &a, &label, "patched") {
                Some(v) => v,
                None => continue,
            }
        };
        let equal = |got: &Value| match (got, &value) {
            (Value::String(g), Value::String(s)) if !a.case_exact => g.eq_ignore_ascii_case(s),
            (g, s) => g == s,
        };
        // replace
        let id = format!("patch.User.replace.{label}");
        let title = format!("replace {label} with a path");
        if let Some((pr, g)) =
            apply(ctx, path, json!([{"op": "replace", "path": apath, "value": value}])).await
        {
            let got = read_path(&g.body, &apath, &rt.extensions);
            if ok_status(&pr) && equal(got) {
                ctx.pass(&id, &title, "");
            } else if let (true, Some(why)) = (ok_status(&pr), tolerated) {
                ctx.pass(
                    &id,
                    &title,
                    format!("expected under the {} preset: {why}", ctx.expect.name()),
                );
            } else {
                ctx.fail(
                    &id,
                    &title,
                    format!("{}: RFC 7644 §3.5.2.3: replace sets {label} to {value}; then GET shows {got}; PATCH answered {}", pr.request, pr.describe()),
                );
            }
        }
        // remove
        let id = format!("patch.User.remove.{label}");
        let title = format!("remove {label}");
        if let Some((pr, g)) = apply(ctx, path, json!([{"op": "remove", "path": apath}])).await {
            let got = read_path(&g.body, &apath, &rt.extensions);
            if a.required {
                ctx.require(
                    &id,
                    &title,
                    Level::Should,
                    pr.status == 400,
                    format!("{label} is required: RFC 7644 §3.5.2.2 answers 400 mutability when a required attribute would become unassigned; {}", pr.describe()),
                );
            } else if ok_status(&pr) && got.is_null() {
                ctx.pass(&id, &title, "");
            } else if let (true, Some(why)) = (ok_status(&pr), tolerated) {
                ctx.pass(
                    &id,
                    &title,
                    format!("expected under the {} preset: {why}", ctx.expect.name()),
                );
            } else {
                ctx.fail(
                    &id,
                    &title,
                    format!(
                        "{}: RFC 7644 §3.5.2.2: after remove the attribute SHALL be unassigned; GET shows {label} = {got}; PATCH answered {}",
                        pr.request,
                        pr.describe()
                    ),
                );
            }
        }
        // add (onto the now unassigned attribute)
        let id = format!("patch.User.add.{label}");
        let title = format!("add {label} with a path");
        if let Some((pr, g)) =
            apply(ctx, path, json!([{"op": "add", "path": apath, "value": value}])).await
        {
            let got = read_path(&g.body, &apath, &rt.extensions);
            if ok_status(&pr) && equal(got) {
                ctx.pass(&id, &title, "");
            } else if let (true, Some(why)) = (ok_status(&pr), tolerated) {
                ctx.pass(
                    &id,
                    &title,
                    format!("expected under the {} preset: {why}", ctx.expect.name()),
                );
            } else {
                ctx.fail(
                    &id,
                    &title,
                    format!("{}: RFC 7644 §3.5.2.1: add sets a single-valued attribute to {value}; GET shows {got}; PATCH answered {}", pr.request, pr.describe()),
                );
            }
        }
    }
    // Path-less replace with a value object (RFC 7644 §3.5.2.3, Okta's and Entra's shape).
    let Some(attr) = ["displayName", "title", "nickName", "externalId"]
        .into_iter()
        .find(|n| ctx.disc.attr(rt, n).is_some() && ctx.expect.dropped_attribute(n).is_none())
    else {
        return;
    };
    let v = format!("{} pathless", ctx.prefix);
    if let Some((pr, g)) = apply(ctx, path, json!([{"op": "replace", "value": {attr: v}}])).await {
        ctx.require(
            "patch.pathless_replace",
            "replace without a path takes an object of attributes",
            Level::Must,
            ok_status(&pr) && g.body[attr] == json!(v),
            format!("{}: RFC 7644 §3.5.2.3 (path omitted: value holds the attributes to replace); GET shows {attr} = {}; {}", pr.request, g.body[attr], pr.describe()),
        );
    }
}

fn emails(r: &Resp) -> Vec<Value> {
    r.body["emails"].as_array().cloned().unwrap_or_default()
}

fn typed(r: &Resp, t: &str) -> Vec<Value> {
    emails(r).into_iter().filter(|e| e["type"].as_str() == Some(t)).collect()
}

async fn value_paths(ctx: &Ctx, path: &str) {
    let p = &ctx.prefix;
    let Ok(before) = ctx.client.get(path).await else { return };
    if typed(&before, "work").is_empty() {
        for (id, title) in [
            (
                "patch.value_path.replace",
                "replace emails[type eq \"work\"].value changes only that value",
            ),
            ("patch.value_path.remove", "remove emails[type eq \"home\"] removes only that value"),
            ("patch.value_path.no_match", "replace on a value path nothing matches"),
        ] {
            ctx.skip(id, title, "the server did not keep emails[].type (see crud checks)");
        }
        return;
    }
    let new = format!("{p}-patch-w2@example.com");
    if let Some((pr, g)) = apply(
        ctx,
        path,
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": new}]),
    )
    .await
    {
        let work = typed(&g, "work");
        let home = typed(&g, "home");
        ctx.require(
            "patch.value_path.replace",
            "replace emails[type eq \"work\"].value changes only that value",
            Level::Must,
            ok_status(&pr) && work.len() == 1 && work[0]["value"] == json!(new) && home.len() == 1,
            format!(
                "{}: RFC 7644 §3.5.2.3 (valuePath + sub-attribute); emails after: {}; {}",
                pr.request,
                g.body["emails"],
                pr.describe()
            ),
        );
    }
    if let Some((pr, g)) =
        apply(ctx, path, json!([{"op": "remove", "path": "emails[type eq \"home\"]"}])).await
    {
        ctx.require(
            "patch.value_path.remove",
            "remove emails[type eq \"home\"] removes only that value",
            Level::Must,
            ok_status(&pr) && typed(&g, "home").is_empty() && typed(&g, "work").len() == 1,
            format!(
                "{}: RFC 7644 §3.5.2.2 (valuePath filter); emails after: {}; {}",
                pr.request,
                g.body["emails"],
                pr.describe()
            ),
        );
    }
    let other = format!("{p}-patch-o@example.com");
    if let Some((pr, g)) = apply(
        ctx,
        path,
        json!([{"op": "replace", "path": "emails[type eq \"other\"].value", "value": other}]),
    )
    .await
    {
        if ctx.expect.value_path_creates() {
            ctx.require(
                "patch.value_path.no_match",
                "replace on a value path nothing matches creates the value (Entra)",
                Level::Must,
                ok_status(&pr) && typed(&g, "other").len() == 1,
                format!(
                    "{}: Entra sends this to set a missing typed e-mail and expects it created; {}",
                    pr.request,
                    pr.describe()
                ),
            );
        } else {
            ctx.require(
                "patch.value_path.no_match",
                "replace on a value path nothing matches is 400 noTarget",
                Level::Must,
                pr.status == 400 && pr.body["scimType"].as_str() == Some("noTarget") && typed(&g, "other").is_empty(),
                format!("{}: RFC 7644 §3.5.2.3: if the value path matches nothing, SHALL answer 400 noTarget; {}", pr.request, pr.describe()),
            );
        }
    }
}

async fn multi_valued(ctx: &Ctx, path: &str) {
    let p = &ctx.prefix;
    let Ok(before) = ctx.client.get(path).await else { return };
    let n = emails(&before).len();
    let added = format!("{p}-patch-add@example.com");
    if let Some((pr, g)) =
        apply(ctx, path, json!([{"op": "add", "path": "emails", "value": [{"value": added}]}]))
            .await
    {
        let after = emails(&g);
        ctx.require(
            "patch.multi_add",
            "add to a multi-valued attribute appends",
            Level::Must,
            ok_status(&pr) && after.len() == n + 1 && after.iter().any(|e| e["value"] == json!(added)),
            format!("{}: RFC 7644 §3.5.2.1: add on a multi-valued attribute adds the values; {n} before, after: {}; {}", pr.request, g.body["emails"], pr.describe()),
        );
    }
    let primary = format!("{p}-patch-primary@example.com");
    if let Some((pr, g)) = apply(
        ctx,
        path,
        json!([{"op": "add", "path": "emails", "value": [{"value": primary, "primary": true}]}]),
    )
    .await
    {
        let primaries: Vec<Value> =
            emails(&g).into_iter().filter(|e| e["primary"] == json!(true)).collect();
        ctx.require(
            "patch.primary",
            "a new primary value clears primary on the others",
            Level::Must,
            ok_status(&pr) && primaries.len() == 1 && primaries[0]["value"] == json!(primary),
            format!("{}: RFC 7644 §3.5.2: setting primary true SHALL set primary false on the other values; primaries after: {primaries:?}; {}", pr.request, pr.describe()),
        );
    }
}

async fn atomicity(ctx: &Ctx, rt: &ResType, path: &str) {
    let Some(attr) = ["displayName", "title", "nickName", "externalId", "preferredLanguage"]
        .into_iter()
        .find(|n| ctx.disc.attr(rt, n).is_some() && ctx.expect.dropped_attribute(n).is_none())
    else {
        return;
    };
    let Ok(before) = ctx.client.get(path).await else { return };
    let v = format!("{} atomic", ctx.prefix);
    let ops = json!([
        {"op": "replace", "path": attr, "value": v},
        {"op": "remove"},
    ]);
    if let Some((pr, g)) = apply(ctx, path, ops).await {
        ctx.require(
            "patch.atomic",
            "a PATCH whose second operation fails changes nothing",
            Level::Must,
            pr.status == 400 && g.body[attr] == before.body[attr],
            format!(
                "{}: RFC 7644 §3.5.2: PATCH is atomic; replace {attr} then remove-without-path must fail as a whole; {attr} before {}, after {}; {}",
                pr.request,
                before.body[attr],
                g.body[attr],
                pr.describe()
            ),
        );
    }
}

async fn errors(ctx: &Ctx, path: &str) {
    if let Some((pr, _)) = apply(ctx, path, json!([{"op": "remove"}])).await {
        ctx.require(
            "patch.remove_without_path",
            "remove without a path is 400 noTarget",
            Level::Must,
            pr.status == 400 && pr.body["scimType"].as_str() == Some("noTarget"),
            format!("{}: RFC 7644 §3.5.2.2: if path is unspecified the operation fails with 400 noTarget; {}", pr.request, pr.describe()),
        );
    }
    if let Some((pr, _)) =
        apply(ctx, path, json!([{"op": "frobnicate", "path": "displayName", "value": "x"}])).await
    {
        ctx.require(
            "patch.unknown_op",
            "an unknown op is 400",
            Level::Must,
            pr.status == 400,
            format!(
                "{}: RFC 7644 §3.5.2: op is one of add, remove, replace; {}",
                pr.request,
                pr.describe()
            ),
        );
    }
    if let Some((pr, _)) =
        apply(ctx, path, json!([{"op": "replace", "path": "emails[type eq", "value": "x"}])).await
    {
        ctx.require(
            "patch.bad_path",
            "a malformed path is 400 invalidPath",
            Level::Must,
            pr.status == 400 && pr.body["scimType"].as_str() == Some("invalidPath"),
            format!("{}: RFC 7644 §3.5.2 / Table 9: invalidPath; {}", pr.request, pr.describe()),
        );
    }
    let Ok(before) = ctx.client.get(path).await else { return };
    if let Some((pr, g)) =
        apply(ctx, path, json!([{"op": "replace", "path": "id", "value": "conform-new-id"}])).await
    {
        ctx.require(
            "patch.readonly",
            "replacing the readOnly id is refused (400 mutability) and changes nothing",
            if g.body["id"] == before.body["id"] { Level::Should } else { Level::Must },
            pr.status == 400
                && pr.body["scimType"].as_str() == Some("mutability")
                && g.body["id"] == before.body["id"],
            format!(
                "{}: RFC 7644 §3.5.2 / RFC 7643 §7: id is readOnly; Table 9 mutability; {}",
                pr.request,
                pr.describe()
            ),
        );
    }
    if let Some((pr, g)) =
        apply(ctx, path, json!([{"op": "replace", "path": "active", "value": false}])).await
    {
        ctx.require(
            "patch.active",
            "replace active false deactivates",
            Level::Must,
            ok_status(&pr) && g.body["active"] == json!(false),
            format!("{}: RFC 7644 §3.5.2.3 (Okta's and Entra's deprovisioning); GET shows active = {}; {}", pr.request, g.body["active"], pr.describe()),
        );
    }
}

async fn dialects(ctx: &Ctx, path: &str) {
    let title = "capitalised op names (\"Replace\") are accepted";
    let title2 = "\"False\" as a string is taken as the boolean false";
    if !ctx.expect.capitalised_ops() {
        ctx.skip("patch.capitalised_op", title, "RFC 7644 names the ops in lower case; only the entra and onepassword presets expect capitalised ones");
        ctx.skip("patch.string_boolean", title2, "not RFC; only the entra preset expects it");
        return;
    }
    if let Some((pr, g)) =
        apply(ctx, path, json!([{"op": "Replace", "path": "active", "value": true}])).await
    {
        ctx.require(
            "patch.capitalised_op",
            title,
            Level::Must,
            ok_status(&pr) && g.body["active"] == json!(true),
            format!(
                "{}: Entra sends capitalised ops without the aadOptscim062020 flag; {}",
                pr.request,
                pr.describe()
            ),
        );
    }
    if ctx.expect != Expect::Entra {
        ctx.skip("patch.string_boolean", title2, "only the entra preset expects it");
        return;
    }
    if let Some((pr, g)) =
        apply(ctx, path, json!([{"op": "Replace", "path": "active", "value": "False"}])).await
    {
        ctx.require(
            "patch.string_boolean",
            title2,
            Level::Must,
            ok_status(&pr) && g.body["active"] == json!(false),
            format!("{}: Entra sends {{\"op\":\"Replace\",\"path\":\"active\",\"value\":\"False\"}}; {}", pr.request, pr.describe()),
        );
    }
}

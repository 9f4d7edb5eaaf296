//! Create, read, replace and delete, with response validation: status codes, `schemas`, `meta`,
//! `Location`, and a round trip of every writable attribute the schema advertises (RFC 7644
//! §3.3–§3.6, RFC 7643 §3.1, §7).

use scim::messages;
use serde_json::{Map, Value, json};

use super::discovery::{media_type, meta_location, resolve};
use super::model::{Attr, ResType, is_datetime, norm_datetime, value_has_type};
use super::{Ctx, Level, Resp};

/// Attributes the samples leave out: references to other resources (the run has none to point
/// at) and membership, which the groups area covers.
const NOT_SAMPLED: [&str; 3] = ["manager", "members", "groups"];

/// A sample value for `a` (at `path`), or `None` when the run should not write it.
pub fn sample(ctx: &Ctx, a: &Attr, path: &str, tag: &str) -> Option<Value> {
    if !a.writable() || NOT_SAMPLED.iter().any(|n| a.name.eq_ignore_ascii_case(n)) {
        return None;
    }
    let one = |a: &Attr| -> Option<Value> {
        if a.kind == "complex" {
            let mut m = Map::new();
            for s in &a.subs {
                if let Some(v) = sample(ctx, s, &format!("{path}.{}", s.name), tag) {
                    m.insert(s.name.clone(), v);
                }
            }
            return (!m.is_empty()).then_some(Value::Object(m));
        }
        scalar(ctx, a, path, tag)
    };
    let v = one(a)?;
    Some(if a.multi { json!([v]) } else { v })
}

fn scalar(ctx: &Ctx, a: &Attr, path: &str, tag: &str) -> Option<Value> {
    let p = &ctx.prefix;
    let lower = path.to_ascii_lowercase();
    if let Some(c) = a.canonical.first() {
        return Some(json!(c));
    }
    if a.canonical_empty {
        return None;
    }
    Some(match a.kind.as_str() {
        "boolean" => json!(true),
        "integer" => json!(7),
        "decimal" => json!(1.5),
        "dateTime" => json!("2026-01-02T03:04:05Z"),
        "binary" => json!("Y29uZm9ybQ=="),
        "reference" => {
            let external = a.reference_types.is_empty()
                || a.reference_types.iter().any(|t| t == "external" || t == "uri");
            if !external {
                return None;
            }
            json!(format!("https://example.com/{p}/{tag}/{}", a.name))
        }
        _ => match lower.as_str() {
            "emails.value" => json!(format!("{p}-{tag}@example.com")),
            "phonenumbers.value" => json!("+1-555-0100"),
            "emails.type" | "phonenumbers.type" | "addresses.type" | "ims.type" | "photos.type" => {
                json!("work")
            }
            "locale" => json!("en-US"),
            "preferredlanguage" => json!("en-US"),
            "timezone" => json!("America/Los_Angeles"),
            "addresses.country" => json!("US"),
            "name.givenname" => json!("Conform"),
            "name.familyname" => json!(format!("Tester {tag}")),
            "name.formatted" => json!(format!("Conform Tester {tag}")),
            "displayname" => json!(format!("Conform Tester {tag}")),
            _ => json!(format!("{p}-{tag}-{}", a.name)),
        },
    })
}

/// A resource body with every writable attribute of `rt`'s schemas, `fields` on top (only those
/// the schema defines). `name_attr` (`userName`/`displayName`) is set to `name`.
pub fn full_body(ctx: &Ctx, rt: &ResType, name_attr: &str, name: &str, tag: &str) -> Value {
    let mut body = Map::new();
    let mut schemas = vec![json!(rt.schema)];
    for (urn, schema) in ctx.disc.schemas_of(rt) {
        let core = urn.eq_ignore_ascii_case(&rt.schema);
        let mut ext = Map::new();
        for a in &schema.attrs {
            // Common attributes: the server assigns these (externalId is written below).
            if ["id", "externalId", "meta", "schemas"].contains(&a.name.as_str()) {
                continue;
            }
            if let Some(v) = sample(ctx, a, &a.name, tag) {
                if core {
                    body.insert(a.name.clone(), v);
                } else {
                    ext.insert(a.name.clone(), v);
                }
            }
        }
        if !core && !ext.is_empty() {
            schemas.push(json!(urn));
            body.insert(urn.clone(), Value::Object(ext));
        }
    }
    body.insert(name_attr.to_owned(), json!(name));
    // externalId is a common attribute of every resource (RFC 7643 §3.1), advertised or not.
    body.insert("externalId".into(), json!(format!("{}-{tag}-ext", ctx.prefix)));
    body.insert("schemas".into(), Value::Array(schemas));
    Value::Object(body)
}

/// A user with only what the schema requires, plus `fields` the schema defines.
pub fn user_body(
    ctx: &Ctx,
    rt: &ResType,
    user_name: &str,
    tag: &str,
    fields: &[(&str, Value)],
) -> Value {
    let mut body = Map::new();
    body.insert("schemas".into(), json!([rt.schema]));
    body.insert("userName".into(), json!(user_name));
    if let Some(s) = ctx.disc.schema(&rt.schema) {
        for a in s.attrs.iter().filter(|a| a.required) {
            if !body.contains_key(&a.name)
                && let Some(v) = sample(ctx, a, &a.name, tag)
            {
                body.insert(a.name.clone(), v);
            }
        }
    }
    for (k, v) in fields {
        let top = k.split('.').next().unwrap_or(k);
        if *k == "externalId" || ctx.disc.attr(rt, top).is_some() {
            body.insert((*k).to_owned(), v.clone());
        }
    }
    Value::Object(body)
}

/// Runs the CRUD checks for users and groups.
pub async fn run(ctx: &Ctx) {
    if let Some(rt) = ctx.disc.user.clone() {
        let name = ctx.unique("crud");
        let body = full_body(ctx, &rt, "userName", &name, "crud");
        resource(ctx, &rt, "userName", body).await;
    }
    if let Some(rt) = ctx.disc.group.clone() {
        let name = format!("{} crud group", ctx.unique("g"));
        let body = full_body(ctx, &rt, "displayName", &name, "gcrud");
        resource(ctx, &rt, "displayName", body).await;
    }
}

/// Checks a resource's shape against the schemas: every attribute defined, of its type and
/// plurality; `returned: never` attributes absent. One check per attribute present.
pub fn shape(ctx: &Ctx, rt: &ResType, r: &Resp) {
    let n = &rt.name;
    let Some(obj) = r.body.as_object() else { return };
    let core = ctx.disc.schema(&rt.schema);
    for (k, v) in obj {
        if ["schemas", "id", "externalId", "meta"].contains(&k.as_str()) {
            continue;
        }
        let id = format!("crud.{n}.shape.{k}");
        let title = format!("{n} attribute {k} matches its definition");
        if let Some(ext) = rt.extensions.iter().find(|e| e.eq_ignore_ascii_case(k)) {
            let listed = r.body["schemas"].as_array().is_some_and(|s| {
                s.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(ext)))
            });
            let mut problems = Vec::new();
            if !listed {
                problems.push(format!("extension {ext} present but not in schemas (RFC 7643 §3)"));
            }
            if let Some(s) = ctx.disc.schema(ext)
                && let Some(o) = v.as_object()
            {
                for (ek, ev) in o {
                    match s.attr(ek) {
                        Some(a) => problems.extend(type_problems(a, ek, ev)),
                        None => problems.push(format!("{ek} is not defined by {ext}")),
                    }
                }
            }
            ctx.require(
                &id,
                &title,
                Level::Must,
                problems.is_empty(),
                format!("{}: {}", r.request, problems.join("; ")),
            );
            continue;
        }
        let Some(a) = core.and_then(|s| s.attr(k)) else {
            if ctx.disc.schemas_assumed {
                continue;
            }
            if let Some(why) = ctx.expect.undescribed_attribute(k) {
                ctx.pass(
                    &id,
                    &title,
                    format!("expected under the {} preset: {why}", ctx.expect.name()),
                );
                continue;
            }
            ctx.require(
                &id,
                &title,
                Level::Must,
                false,
                format!(
                    "{}: {k} is not defined by {} or an extension the resource type lists (RFC 7643 §3: schemas name the attributes a resource has; GET /Schemas does not describe it)",
                    r.request, rt.schema
                ),
            );
            continue;
        };
        let mut problems = type_problems(a, k, v);
        if a.returned == "never" {
            problems.push(format!("{k} is returned \"never\" (RFC 7643 §7) but came back"));
        }
        ctx.require(
            &id,
            &title,
            Level::Must,
            problems.is_empty(),
            format!("{}: RFC 7643 §2.3, §7: {}", r.request, problems.join("; ")),
        );
    }
}

fn type_problems(a: &Attr, path: &str, v: &Value) -> Vec<String> {
    let mut p = Vec::new();
    if v.is_null() {
        p.push(format!("{path} is null; unassigned attributes are omitted (RFC 7643 §2.5)"));
        return p;
    }
    let items: Vec<&Value> = if a.multi {
        match v.as_array() {
            Some(arr) => arr.iter().collect(),
            None => {
                p.push(format!("{path} is multi-valued but not an array"));
                return p;
            }
        }
    } else {
        if v.is_array() {
            p.push(format!("{path} is single-valued but an array"));
            return p;
        }
        vec![v]
    };
    for item in items {
        if !value_has_type(&a.kind, item) {
            p.push(format!("{path}: {item} is not a {}", a.kind));
            continue;
        }
        if a.kind == "complex"
            && let Some(o) = item.as_object()
        {
            for (sk, sv) in o {
                match a.sub(sk) {
                    Some(s) => p.extend(type_problems(s, &format!("{path}.{sk}"), sv)),
                    None => p.push(format!("{path}.{sk} is not a sub-attribute of {path}")),
                }
            }
        }
    }
    p
}

/// Compares what was written with what came back, per top-level attribute.
fn round_trip(ctx: &Ctx, rt: &ResType, sent: &Value, got: &Resp) {
    let n = &rt.name;
    let Some(sent) = sent.as_object() else { return };
    for (k, v) in sent {
        if k == "schemas" {
            continue;
        }
        let (attr, got_v, label) = match rt.extensions.iter().find(|e| e.eq_ignore_ascii_case(k)) {
            Some(ext) => {
                // One check per extension attribute.
                let Some(schema) = ctx.disc.schema(ext) else { continue };
                for (ek, ev) in v.as_object().into_iter().flatten() {
                    let Some(a) = schema.attr(ek) else { continue };
                    let gv = &got.body[k.as_str()][ek.as_str()];
                    compare_attr(ctx, n, &format!("{}:{ek}", ext), a, ev, gv, &got.request);
                }
                continue;
            }
            None => {
                let attr = ctx
                    .disc
                    .schema(&rt.schema)
                    .and_then(|s| s.attr(k))
                    .cloned()
                    .unwrap_or_else(|| {
                        Attr::from_json(&json!({"name": k, "type": "string", "caseExact": true}))
                    });
                (attr, &got.body[k.as_str()], k.clone())
            }
        };
        compare_attr(ctx, n, &label, &attr, v, got_v, &got.request);
    }
}

fn compare_attr(
    ctx: &Ctx,
    n: &str,
    label: &str,
    a: &Attr,
    sent: &Value,
    got: &Value,
    request: &str,
) {
    let short = label.rsplit(':').next().unwrap_or(label);
    let id = format!("crud.{n}.attr.{short}");
    let title = format!("{n}.{short} ({}, returned {}) round-trips", a.kind, a.returned);
    if a.returned == "never" || a.mutability == "writeOnly" {
        ctx.require(&id, &title, Level::Must, got.is_null(), format!("{request}: {short} is writeOnly/returned never (RFC 7643 §7) but came back as {got}"));
        return;
    }
    if a.returned == "request" {
        ctx.skip(&id, &title, "returned only on request");
        return;
    }
    let mut diffs = Vec::new();
    diff(ctx, a, short, sent, got, &mut diffs);
    if diffs.is_empty() {
        ctx.pass(&id, &title, "");
    } else if let Some(why) = diffs
        .iter()
        .find_map(|(p, _)| ctx.expect.dropped_attribute(p))
        .filter(|_| diffs.iter().all(|(p, _)| ctx.expect.dropped_attribute(p).is_some()))
    {
        ctx.pass(&id, &title, format!("expected under the {} preset: {why}", ctx.expect.name()));
    } else {
        let text: Vec<String> = diffs.into_iter().map(|(_, d)| d).collect();
        ctx.fail(
            &id,
            &title,
            format!(
                "{request}: RFC 7643 §7 (mutability {}, returned {}) means what was written is returned; {}",
                a.mutability,
                a.returned,
                text.join("; ")
            ),
        );
    }
}

fn diff(
    ctx: &Ctx,
    a: &Attr,
    path: &str,
    sent: &Value,
    got: &Value,
    out: &mut Vec<(String, String)>,
) {
    if a.multi && !matches!(a.kind.as_str(), "complex") {
        let (Some(s), Some(g)) = (sent.as_array(), got.as_array()) else {
            if !sent.is_null() {
                out.push((path.into(), format!("{path}: sent {sent}, got {got}")));
            }
            return;
        };
        for v in s {
            if !g.iter().any(|x| scalar_eq(a, v, x)) {
                out.push((path.into(), format!("{path}: sent value {v} missing from {got}")));
            }
        }
        return;
    }
    if a.multi {
        let (Some(s), Some(g)) = (sent.as_array(), got.as_array()) else {
            out.push((path.into(), format!("{path}: sent {sent}, got {got}")));
            return;
        };
        for item in s {
            let key = item.get("value");
            let found = g.iter().find(|x| match (key, x.get("value")) {
                (Some(k), Some(xv)) => a.sub("value").is_none_or(|va| scalar_eq(va, k, xv)),
                _ => true,
            });
            match found {
                None => out.push((path.into(), format!("{path}: sent {item} missing from {got}"))),
                Some(x) => diff_complex(ctx, a, path, item, x, out),
            }
        }
        return;
    }
    if a.kind == "complex" {
        if !got.is_object() {
            out.push((path.into(), format!("{path}: sent {sent}, got {got}")));
            return;
        }
        diff_complex(ctx, a, path, sent, got, out);
        return;
    }
    if !scalar_eq(a, sent, got) {
        out.push((path.into(), format!("{path}: sent {sent}, got {got}")));
    }
}

fn diff_complex(
    ctx: &Ctx,
    a: &Attr,
    path: &str,
    sent: &Value,
    got: &Value,
    out: &mut Vec<(String, String)>,
) {
    for (sk, sv) in sent.as_object().into_iter().flatten() {
        let sub = a.sub(sk).cloned().unwrap_or_else(|| Attr::from_json(&json!({"name": sk})));
        if sub.returned == "never" || sub.returned == "request" {
            continue;
        }
        let gv = &got[sk.as_str()];
        let p = format!("{path}.{sk}");
        if !scalar_eq(&sub, sv, gv) {
            let _ = ctx;
            out.push((p.clone(), format!("{p}: sent {sv}, got {gv}")));
        }
    }
}

fn scalar_eq(a: &Attr, sent: &Value, got: &Value) -> bool {
    match (sent, got) {
        (Value::String(s), Value::String(g)) => {
            if a.kind == "dateTime" {
                norm_datetime(s) == norm_datetime(g)
            } else if a.case_exact || a.kind == "reference" || a.kind == "binary" {
                s == g
            } else {
                s.eq_ignore_ascii_case(g)
            }
        }
        (Value::Number(s), Value::Number(g)) => s.as_f64() == g.as_f64(),
        _ => sent == got,
    }
}

/// The CRUD flow for one resource type.
async fn resource(ctx: &Ctx, rt: &ResType, name_attr: &str, mut body: Value) {
    let n = rt.name.clone();
    let ep = rt.endpoint.clone();
    // Read-only attributes in a request SHALL be ignored (RFC 7644 §3.3).
    body["id"] = json!("conform-client-chosen-id");
    body["meta"] = json!({"resourceType": n, "created": "2001-01-01T00:00:00Z"});
    let sent = {
        let mut s = body.clone();
        if let Some(o) = s.as_object_mut() {
            o.remove("id");
            o.remove("meta");
        }
        s
    };
    let r = match ctx.create(&ep, &body).await {
        Ok(r) => r,
        Err(e) => {
            ctx.fail(&format!("crud.{n}.create.status"), &format!("POST {ep} creates a {n}"), e);
            return;
        }
    };
    let want = ctx.expect.create_status();
    ctx.require(
        &format!("crud.{n}.create.status"),
        &format!("POST {ep} answers {want}"),
        Level::Must,
        r.status == want,
        if want == 201 {
            format!("RFC 7644 §3.3: a successful create SHALL answer 201 Created; {}", r.describe())
        } else {
            format!("the recorded bridge answers 200 to POST; {}", r.describe())
        },
    );
    let Some(id) = r.body["id"].as_str().filter(|s| !s.is_empty()).map(str::to_owned) else {
        ctx.fail(
            &format!("crud.{n}.create.body"),
            &format!("POST {ep} returns the {n} with schemas, id and meta"),
            format!("RFC 7644 §3.3 / RFC 7643 §3.1: no id in the response; {}", r.describe()),
        );
        return;
    };
    let path = format!("{ep}/{id}");
    media_type(ctx, &format!("crud.{n}.media_type"), &r);
    create_body(ctx, rt, &r, &id);
    if !ctx.expect.recorded_discovery() {
        let loc = r.header("location").map(str::to_owned);
        let meta_loc = r.body["meta"]["location"].as_str().map(str::to_owned);
        let own = ctx.client.url(&path);
        let ok = loc.as_deref().map(|l| resolve(ctx.client.base(), l)) == Some(own.clone())
            && meta_loc.as_deref() == loc.as_deref();
        ctx.require(
            &format!("crud.{n}.create.location"),
            &format!("POST {ep} sends Location equal to meta.location"),
            Level::Must,
            ok,
            format!(
                "RFC 7644 §3.3: the URI of the created resource SHALL be in the Location header and meta.location; Location {loc:?}, meta.location {meta_loc:?}, expected {own}"
            ),
        );
    } else {
        ctx.skip(
            &format!("crud.{n}.create.location"),
            &format!("POST {ep} sends Location equal to meta.location"),
            "the recorded bridge sends no Location",
        );
    }
    let got = match ctx.client.get(&path).await {
        Ok(g) => g,
        Err(e) => {
            ctx.fail(&format!("crud.{n}.get"), &format!("GET {ep}/{{id}} returns the {n}"), e);
            return;
        }
    };
    ctx.require(
        &format!("crud.{n}.get"),
        &format!("GET {ep}/{{id}} returns the {n}"),
        Level::Must,
        got.status == 200 && got.body["id"].as_str() == Some(id.as_str()),
        format!("RFC 7644 §3.4.1: {}", got.describe()),
    );
    if got.status != 200 {
        return;
    }
    round_trip(ctx, rt, &sent, &got);
    shape(ctx, rt, &got);
    meta_location(ctx, &format!("crud.{n}.meta_location"), &got, &path).await;
    projection(ctx, rt, &path, name_attr).await;
    list(ctx, rt).await;
    replace(ctx, rt, &path, &got, name_attr).await;
    delete(ctx, rt, &path, &sent, name_attr).await;
}

fn create_body(ctx: &Ctx, rt: &ResType, r: &Resp, id: &str) {
    let n = &rt.name;
    let mut problems = Vec::new();
    let schemas_ok = r.body["schemas"].as_array().is_some_and(|s| {
        s.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(&rt.schema)))
    });
    if !schemas_ok {
        problems.push(format!("schemas lacks {}", rt.schema));
    }
    if id == "conform-client-chosen-id" {
        problems
            .push("the client's id was kept (id is readOnly, RFC 7644 §3.3 says ignore it)".into());
    }
    let meta = &r.body["meta"];
    if meta["resourceType"].as_str() != Some(n.as_str()) {
        problems.push(format!("meta.resourceType is {}, not {n:?}", meta["resourceType"]));
    }
    let sparse_meta = ctx.expect.recorded_discovery() && n == "User";
    if !sparse_meta {
        for k in ["created", "lastModified"] {
            if !meta[k].as_str().is_some_and(is_datetime) {
                problems.push(format!(
                    "meta.{k} is {} (RFC 7643 §3.1: a DateTime the service provider assigns)",
                    meta[k]
                ));
            }
        }
        if meta["created"].as_str() == Some("2001-01-01T00:00:00Z") {
            problems.push("the client's meta.created was kept".into());
        }
        if meta["created"].is_string() && meta["created"] != meta["lastModified"] {
            problems.push(format!(
                "a fresh resource's lastModified {} differs from created {} (RFC 7643 §3.1: MUST be the same)",
                meta["lastModified"], meta["created"]
            ));
        }
    }
    ctx.require(
        &format!("crud.{n}.create.body"),
        &format!("POST {} returns the {n} with schemas, id and meta", rt.endpoint),
        Level::Must,
        problems.is_empty(),
        format!("RFC 7644 §3.3, RFC 7643 §3.1: {}; {}", problems.join("; "), r.describe()),
    );
}

async fn projection(ctx: &Ctx, rt: &ResType, path: &str, name_attr: &str) {
    let n = &rt.name;
    let other = if n == "User" { "emails" } else { "externalId" };
    let other_defined = ctx.disc.attr(rt, other).is_some() || other == "externalId";
    if let Ok(r) = ctx.client.get(&format!("{path}?attributes={name_attr}")).await {
        let ok = r.status == 200
            && r.body["id"].is_string()
            && r.body.get(name_attr).is_some()
            && (!other_defined || r.body.get(other).is_none());
        ctx.require(
            &format!("crud.{n}.attributes"),
            &format!("?attributes={name_attr} returns {name_attr} and id only"),
            Level::Must,
            ok,
            format!(
                "RFC 7644 §3.4.2.5 / §3.9: `attributes` MUST be supported; id is returned always, {other} is not asked for; {}",
                r.describe()
            ),
        );
    }
    if let Ok(r) = ctx.client.get(&format!("{path}?excludedAttributes={other},id")).await {
        let ok = r.status == 200
            && r.body["id"].is_string()
            && r.body.get(other).is_none()
            && r.body.get(name_attr).is_some();
        ctx.require(
            &format!("crud.{n}.excluded_attributes"),
            &format!("?excludedAttributes={other},id drops {other} but keeps id (returned always)"),
            Level::Must,
            ok,
            format!("RFC 7644 §3.4.2.5: excludedAttributes MUST be supported and has no effect on returned \"always\" attributes; {}", r.describe()),
        );
    }
}

async fn list(ctx: &Ctx, rt: &ResType) {
    let n = &rt.name;
    let Ok(r) = ctx.client.get(&format!("{}?count=2", rt.endpoint)).await else { return };
    let mut problems = Vec::new();
    if r.status != 200 || !super::discovery::is_list_response(&r) {
        problems.push("not a 200 ListResponse".to_owned());
    }
    let k = r.body["Resources"].as_array().map_or(0, Vec::len);
    if !r.body["itemsPerPage"].is_u64() || !r.body["startIndex"].is_u64() {
        problems.push(
            "itemsPerPage and startIndex are REQUIRED when paginated (RFC 7644 §3.4.2)".into(),
        );
    }
    if r.body["itemsPerPage"].as_u64().is_some_and(|i| i as usize != k) {
        problems.push(format!("itemsPerPage {} but {k} Resources", r.body["itemsPerPage"]));
    }
    if k > 2 {
        problems.push(format!("{k} Resources for count=2"));
    }
    ctx.require(
        &format!("crud.{n}.list"),
        &format!("GET {}?count=2 is a ListResponse with integer paging fields", rt.endpoint),
        Level::Must,
        problems.is_empty(),
        format!("RFC 7644 §3.4.2: {}; {}", problems.join("; "), r.describe()),
    );
}

async fn replace(ctx: &Ctx, rt: &ResType, path: &str, current: &Resp, name_attr: &str) {
    let n = &rt.name;
    let mut body = current.body.clone();
    if let Some(o) = body.as_object_mut() {
        o.remove("meta");
    }
    let attr = if n == "User" && ctx.disc.attr(rt, "displayName").is_some() {
        "displayName"
    } else {
        name_attr
    };
    let new_value = if attr == name_attr && n == "User" {
        current.body[name_attr].as_str().unwrap_or_default().to_owned()
    } else {
        format!("{} replaced", ctx.unique("put"))
    };
    let title_attr = if n == "User" { "title" } else { attr };
    let put_title = if ctx.disc.attr(rt, "title").is_some() && n == "User" {
        body["title"] = json!(format!("{} title", ctx.prefix));
        Some(title_attr)
    } else {
        None
    };
    body[attr] = json!(new_value);
    let Ok(r) = ctx.client.put(path, &body).await else { return };
    let check_attr = put_title.unwrap_or(attr);
    let ok = r.status == 200
        && r.body[check_attr] == body[check_attr]
        && r.body["id"] == current.body["id"];
    ctx.require(
        &format!("crud.{n}.put"),
        &format!("PUT {}/{{id}} replaces the {n} and answers 200 with it", rt.endpoint),
        Level::Must,
        ok,
        format!(
            "RFC 7644 §3.5.1: expected 200 with {check_attr} {}; {}",
            body[check_attr],
            r.describe()
        ),
    );
    if r.status == 200 {
        let before = current.body["meta"]["created"].as_str().map(norm_datetime);
        let after_c = r.body["meta"]["created"].as_str().map(norm_datetime);
        let after_m = r.body["meta"]["lastModified"].as_str().map(norm_datetime);
        if before.is_some() {
            ctx.require(
                &format!("crud.{n}.put.meta"),
                "PUT keeps meta.created and lastModified is not before it",
                Level::Must,
                after_c == before && after_m >= after_c,
                format!(
                    "RFC 7643 §3.1: created {before:?} → {after_c:?}, lastModified {after_m:?}"
                ),
            );
        }
    }
}

async fn delete(ctx: &Ctx, rt: &ResType, path: &str, sent: &Value, name_attr: &str) {
    let n = &rt.name;
    let Ok(r) = ctx.client.delete(path).await else { return };
    ctx.require(
        &format!("crud.{n}.delete.status"),
        &format!("DELETE {}/{{id}} answers 204", rt.endpoint),
        Level::Must,
        r.status == 204,
        format!("RFC 7644 §3.6: a successful DELETE SHALL answer 204 No Content; {}", r.describe()),
    );
    let Ok(g) = ctx.client.get(path).await else { return };
    let suspends = ctx.expect.delete_suspends_users() && n == "User";
    if suspends {
        ctx.require(
            &format!("crud.{n}.delete.gone"),
            "after DELETE the user is suspended (active false), as the recorded bridge does",
            Level::Must,
            g.status == 200 && g.body["active"] == json!(false),
            format!("the recorded bridge keeps deleted users, suspended; {}", g.describe()),
        );
        return;
    }
    ctx.require(
        &format!("crud.{n}.delete.gone"),
        &format!("after DELETE, GET {}/{{id}} answers 404", rt.endpoint),
        Level::Must,
        g.status == 404,
        format!("RFC 7644 §3.6: service providers MUST return 404 for all operations associated with the previously deleted resource; {}", g.describe()),
    );
    if g.status == 404 {
        ctx.deleted(path);
    }
    // Re-creating the same name after delete SHOULD succeed (§3.6: deleted resources are not
    // considered; the same userName again is not a conflict).
    let again = sent.clone();
    if let Ok(c) = ctx.create(&rt.endpoint, &again).await {
        ctx.require(
            &format!("crud.{n}.delete.recreate"),
            &format!("a {n} with the deleted one's {name_attr} can be created again"),
            Level::Should,
            (200..300).contains(&c.status),
            format!("RFC 7644 §3.6: the service provider SHOULD NOT consider the deleted resource in conflict calculation; {}", c.describe()),
        );
    }
    let _ = messages::USER;
}

//! Discovery: `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas` (RFC 7644 §4, RFC 7643
//! §5–§7), and one definition check per advertised attribute. What it finds drives every other
//! area.

use scim::messages;
use serde_json::Value;

use super::model::{Attr, Discovery, ResType, SchemaDoc};
use super::{Ctx, Level, Resp};

const TYPES: [&str; 8] =
    ["string", "boolean", "decimal", "integer", "dateTime", "binary", "reference", "complex"];
const MUTABILITY: [&str; 4] = ["readOnly", "readWrite", "immutable", "writeOnly"];
const RETURNED: [&str; 4] = ["always", "never", "default", "request"];
const UNIQUENESS: [&str; 3] = ["none", "server", "global"];

/// `true` when `r` is a ListResponse (schema URN and `Resources` array).
pub fn is_list_response(r: &Resp) -> bool {
    r.body["schemas"]
        .as_array()
        .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(messages::LIST_RESPONSE)))
        && (r.body.get("Resources").is_none_or(Value::is_array))
        && r.body["totalResults"].is_u64()
}

fn schemas_contains(body: &Value, urn: &str) -> bool {
    body["schemas"]
        .as_array()
        .is_some_and(|s| s.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(urn))))
}

/// `true` when `s` is an absolute URI (scheme `:` rest).
pub fn is_absolute_uri(s: &str) -> bool {
    match s.split_once(':') {
        Some((scheme, rest)) => {
            !scheme.is_empty()
                && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !rest.is_empty()
        }
        None => false,
    }
}

/// Resolves a (possibly relative) reference against the SCIM base URL as RFC 7643 §2.3.7
/// describes (the base includes every path segment up to the endpoint).
pub fn resolve(base: &str, reference: &str) -> String {
    if is_absolute_uri(reference) {
        return reference.to_owned();
    }
    let (scheme_host, _) = split_origin(base);
    if reference.starts_with('/') {
        format!("{scheme_host}{reference}")
    } else {
        format!("{}/{}", base.trim_end_matches('/'), reference)
    }
}

fn split_origin(url: &str) -> (&str, &str) {
    let after = url.find("://").map_or(0, |i| i + 3);
    match url[after..].find('/') {
        Some(i) => url.split_at(after + i),
        None => (url, ""),
    }
}

/// Runs the discovery checks and returns what they found.
pub async fn run(ctx: &Ctx) -> Discovery {
    let mut d = Discovery::default();
    spc(ctx, &mut d).await;
    let types = resource_types(ctx).await;
    schemas(ctx, &mut d).await;
    for rt in &types {
        check_resource_type(ctx, &d, rt).await;
    }
    let user = types.iter().find(|t| t.schema.eq_ignore_ascii_case(messages::USER)).cloned();
    let group = types.iter().find(|t| t.schema.eq_ignore_ascii_case(messages::GROUP)).cloned();
    d.user = Some(usable(ctx, user, "User", messages::USER, "/Users").await);
    d.group = Some(usable(ctx, group, "Group", messages::GROUP, "/Groups").await);
    attribute_definitions(ctx, &d, &types);
    d
}

async fn spc(ctx: &Ctx, d: &mut Discovery) {
    let id = "discovery.spc.get";
    let title = "GET /ServiceProviderConfig answers 200 with the SPC schema";
    let r = match ctx.client.get("/ServiceProviderConfig").await {
        Ok(r) => r,
        Err(e) => {
            ctx.fail(id, title, e);
            return;
        }
    };
    let ok = r.status == 200 && schemas_contains(&r.body, messages::SERVICE_PROVIDER_CONFIG);
    ctx.require(
        id,
        title,
        Level::Must,
        ok,
        format!(
            "RFC 7644 §4 and RFC 7643 §5 require a ServiceProviderConfig document; {}",
            r.describe()
        ),
    );
    media_type(ctx, "discovery.spc.media_type", &r);
    if r.status != 200 {
        return;
    }
    let b = &r.body;
    let feature = |k: &str| b[k]["supported"].as_bool();
    d.patch = feature("patch").unwrap_or(false);
    d.filter = feature("filter").unwrap_or(false);
    d.sort = feature("sort").unwrap_or(false);
    d.etag = feature("etag").unwrap_or(false);
    d.bulk = feature("bulk").unwrap_or(false);
    d.max_results = b["filter"]["maxResults"].as_u64().unwrap_or(0);
    let mut missing = Vec::new();
    for k in ["patch", "bulk", "filter", "changePassword", "sort", "etag"] {
        if feature(k).is_none() {
            missing.push(format!("{k}.supported"));
        }
    }
    if !b["bulk"]["maxOperations"].is_u64() && b["bulk"].is_object() {
        missing.push("bulk.maxOperations".into());
    }
    if !b["bulk"]["maxPayloadSize"].is_u64() && b["bulk"].is_object() {
        missing.push("bulk.maxPayloadSize".into());
    }
    if !b["filter"]["maxResults"].is_u64() && b["filter"].is_object() {
        missing.push("filter.maxResults".into());
    }
    ctx.require(
        "discovery.spc.features",
        "every SPC feature has a boolean `supported` and its required limits",
        Level::Must,
        missing.is_empty(),
        format!(
            "GET /ServiceProviderConfig: RFC 7643 §5 marks these REQUIRED; missing or not the right type: {}",
            missing.join(", ")
        ),
    );
    let schemes = b["authenticationSchemes"].as_array().cloned().unwrap_or_default();
    let mut problems = Vec::new();
    if schemes.is_empty() {
        problems.push("authenticationSchemes is empty or missing".to_owned());
    }
    for (i, s) in schemes.iter().enumerate() {
        for k in ["type", "name", "description"] {
            if !s[k].is_string() {
                problems.push(format!("authenticationSchemes[{i}].{k} missing"));
            }
        }
        for k in ["specUri", "documentationUri"] {
            if let Some(v) = s.get(k) {
                let ok = v.as_str().is_some_and(is_absolute_uri);
                let recorded = ctx.expect.recorded_discovery() && v.as_str() == Some("");
                if !ok && !recorded {
                    problems.push(format!("authenticationSchemes[{i}].{k} is {v}, not a URI"));
                }
            }
        }
    }
    ctx.require(
        "discovery.spc.auth_schemes",
        "authenticationSchemes is non-empty and each scheme's URIs are URIs",
        Level::Must,
        problems.is_empty(),
        format!(
            "GET /ServiceProviderConfig: RFC 7643 §5 requires type/name/description and reference-typed specUri/documentationUri (an empty string is not a URI; omit the attribute instead): {}",
            problems.join("; ")
        ),
    );
    meta_location(ctx, "discovery.spc.meta_location", &r, "/ServiceProviderConfig").await;
}

/// Checks the response's media type: JSON is a MUST (RFC 7644 §3.8), `application/scim+json` a
/// SHOULD (§8.1 registers it as the SCIM media type).
pub fn media_type(ctx: &Ctx, id: &str, r: &Resp) {
    let mt = r.media_type().unwrap_or_default();
    let title = "responses are application/scim+json";
    if mt == "application/scim+json" {
        ctx.pass(id, title, "");
    } else if mt == "application/json" {
        ctx.require(
            id,
            title,
            Level::Should,
            false,
            format!(
                "{}: Content-Type {mt}; RFC 7644 §3.1/§8.1 name application/scim+json",
                r.request
            ),
        );
    } else {
        ctx.fail(
            id,
            title,
            format!("{}: Content-Type {mt:?} is not JSON (RFC 7644 §3.8)", r.request),
        );
    }
}

/// Checks `meta.location` of a single-resource response: it must resolve to the resource's own
/// URL (RFC 7643 §3.1, §2.3.7); an absolute URI is what clients expect (SHOULD, warn).
pub async fn meta_location(ctx: &Ctx, id: &str, r: &Resp, own_path: &str) {
    let title = "meta.location resolves to the resource itself";
    let Some(loc) = r.body["meta"]["location"].as_str() else {
        if ctx.expect.recorded_discovery() {
            ctx.skip(id, title, "the recorded bridge omits meta.location");
        } else {
            ctx.require(
                id,
                title,
                Level::Should,
                false,
                format!("{}: meta.location is missing (RFC 7643 §3.1)", r.request),
            );
        }
        return;
    };
    let own = ctx.client.url(own_path);
    let resolved = resolve(ctx.client.base(), loc);
    if resolved.trim_end_matches('/') != own.trim_end_matches('/') {
        ctx.fail(
            id,
            title,
            format!(
                "{}: meta.location {loc:?} resolves to {resolved}, not {own} (RFC 7643 §3.1: the URI of the resource being returned)",
                r.request
            ),
        );
    } else if !is_absolute_uri(loc) && !ctx.expect.recorded_discovery() {
        ctx.require(
            id,
            title,
            Level::Should,
            false,
            format!(
                "{}: meta.location {loc:?} is relative; it resolves correctly against the base URL, but clients expect the absolute URI (RFC 7643 §3.1, RFC 7644 §3.1 Location)",
                r.request
            ),
        );
    } else {
        ctx.pass(id, title, "");
    }
}

/// Checks a discovery ListResponse and returns its resources.
fn discovery_list(ctx: &Ctx, id: &str, path: &str, r: &Resp) -> Vec<Value> {
    let title = format!("GET {path} is a ListResponse (totalResults, Resources, startIndex 1)");
    let mut problems = Vec::new();
    if r.status != 200 {
        problems.push(format!("status {}", r.status));
    }
    if !is_list_response(r) {
        problems.push("not a ListResponse (schemas, totalResults, Resources)".to_owned());
    }
    let resources = r.body["Resources"].as_array().cloned().unwrap_or_default();
    if r.body["totalResults"].as_u64().is_some_and(|t| t as usize != resources.len()) {
        problems.push(format!(
            "totalResults {} but {} Resources",
            r.body["totalResults"],
            resources.len()
        ));
    }
    let want_start = if ctx.expect.recorded_discovery() { 0 } else { 1 };
    if let Some(s) = r.body.get("startIndex")
        && s.as_u64() != Some(want_start)
    {
        problems.push(if ctx.expect.recorded_discovery() {
            format!("startIndex {s}, the recorded bridge answers 0")
        } else {
            format!(
                "startIndex {s}; RFC 7644 §3.4.2 says it is 1-based, so the first page starts at 1"
            )
        });
    }
    ctx.require(
        id,
        &title,
        Level::Must,
        problems.is_empty(),
        format!("RFC 7644 §4, §3.4.2: {}; {}", problems.join("; "), r.describe()),
    );
    resources
}

async fn resource_types(ctx: &Ctx) -> Vec<ResType> {
    let id = "discovery.resource_types.list";
    let r = match ctx.client.get("/ResourceTypes").await {
        Ok(r) => r,
        Err(e) => {
            ctx.fail(id, "GET /ResourceTypes is a ListResponse", e);
            return Vec::new();
        }
    };
    let resources = discovery_list(ctx, id, "/ResourceTypes", &r);
    resources
        .iter()
        .map(|v| ResType {
            name: v["name"].as_str().unwrap_or_default().to_owned(),
            endpoint: v["endpoint"].as_str().unwrap_or_default().to_owned(),
            schema: v["schema"].as_str().unwrap_or_default().to_owned(),
            extensions: v["schemaExtensions"]
                .as_array()
                .map(|a| a.iter().filter_map(|e| e["schema"].as_str().map(str::to_owned)).collect())
                .unwrap_or_default(),
        })
        .collect()
}

async fn schemas(ctx: &Ctx, d: &mut Discovery) {
    let id = "discovery.schemas.list";
    let resources = match ctx.client.get("/Schemas").await {
        Ok(r) => discovery_list(ctx, id, "/Schemas", &r),
        Err(e) => {
            ctx.fail(id, "GET /Schemas is a ListResponse", e);
            Vec::new()
        }
    };
    let mut problems = Vec::new();
    for s in &resources {
        let urn = s["id"].as_str().unwrap_or_default();
        if urn.is_empty() || !s["attributes"].is_array() {
            problems.push(format!("schema {urn:?} lacks id or attributes"));
            continue;
        }
        if urn.starts_with("urn:ietf:params:scim:api:") {
            problems.push(format!("{urn} is a message schema; RFC 7643 §7 lists resource schemas"));
        }
        d.schemas.push(SchemaDoc {
            id: urn.to_owned(),
            attrs: s["attributes"].as_array().into_iter().flatten().map(Attr::from_json).collect(),
            raw: s.clone(),
        });
    }
    if !resources.is_empty() {
        ctx.require(
            "discovery.schemas.documents",
            "every schema has an id and attributes (and no message schemas are listed)",
            Level::Must,
            problems.is_empty(),
            format!("GET /Schemas: RFC 7643 §7: {}", problems.join("; ")),
        );
    }
    // Query parameters on discovery endpoints SHALL be ignored (RFC 7644 §4).
    if let Ok(r) = ctx.client.get("/Schemas?startIndex=2&count=1").await {
        let n = r.body["Resources"].as_array().map_or(0, Vec::len);
        ctx.require(
            "discovery.schemas.ignores_paging",
            "paging parameters on /Schemas are ignored",
            Level::Must,
            r.status == 200 && n == resources.len(),
            format!(
                "RFC 7644 §4: query parameters on discovery endpoints SHALL be ignored; got {n} of {} schemas; {}",
                resources.len(),
                r.describe()
            ),
        );
    }
    if let Ok(r) = ctx.client.get("/Schemas?filter=id%20eq%20%22x%22").await {
        ctx.require(
            "discovery.schemas.filter",
            "a filter on /Schemas is ignored or answered 403",
            Level::Must,
            r.status == 200 || r.status == 403,
            format!(
                "RFC 7644 §4: filtering discovery endpoints SHALL be ignored (SHOULD answer 403); {}",
                r.describe()
            ),
        );
    }
    for s in &d.schemas {
        let path = format!("/Schemas/{}", s.id);
        if let Ok(r) = ctx.client.get(&path).await {
            ctx.require(
                &format!("discovery.schemas.by_id.{}", short(&s.id)),
                &format!("GET /Schemas/{} answers the schema", s.id),
                Level::Should,
                r.status == 200 && r.body["id"].as_str() == Some(s.id.as_str()),
                format!("RFC 7644 §4 (/Schemas/{{id}}): {}", r.describe()),
            );
        }
    }
    if d.schemas.is_empty() {
        d.schemas_assumed = true;
        for s in
            [scim::schema::core_user(), scim::schema::enterprise_user(), scim::schema::core_group()]
        {
            let raw = s.to_json();
            d.schemas.push(SchemaDoc {
                id: s.id.clone(),
                attrs: raw["attributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(Attr::from_json)
                    .collect(),
                raw,
            });
        }
    }
}

/// The last segment of a URN (`...:core:2.0:User` → `User`), for check ids.
pub fn short(urn: &str) -> String {
    let parts: Vec<&str> = urn.split(':').collect();
    match parts.as_slice() {
        [.., "extension", ext, _, name] => format!("{ext}{name}"),
        [.., name] => (*name).to_owned(),
        [] => urn.to_owned(),
    }
}

async fn check_resource_type(ctx: &Ctx, d: &Discovery, rt: &ResType) {
    let name = if rt.name.is_empty() { "unnamed".to_owned() } else { rt.name.clone() };
    let mut problems = Vec::new();
    if rt.name.is_empty() || rt.endpoint.is_empty() || rt.schema.is_empty() {
        problems.push("name, endpoint and schema are REQUIRED (RFC 7643 §6)".to_owned());
    }
    if !d.schemas_assumed {
        for urn in std::iter::once(&rt.schema).chain(&rt.extensions) {
            if d.schema(urn).is_none() {
                problems.push(format!("{urn} is not served by /Schemas"));
            }
        }
    }
    ctx.require(
        &format!("discovery.resource_types.{name}"),
        &format!("resource type {name} names its endpoint and schemas, all served"),
        Level::Must,
        problems.is_empty(),
        format!("GET /ResourceTypes: {}", problems.join("; ")),
    );
    let id = format!("discovery.resource_types.endpoint.{name}");
    let title =
        format!("resource type {name}'s endpoint {:?} is relative to the base URL", rt.endpoint);
    if ctx.expect.recorded_discovery() {
        let recorded = match name.as_str() {
            "User" => "/scim/v2/User",
            "Group" => "/scim/v2/Groups",
            _ => "",
        };
        ctx.require(
            &id,
            &title,
            Level::Must,
            rt.endpoint == recorded,
            format!("the recorded bridge advertises {recorded:?}; got {:?}", rt.endpoint),
        );
    } else if let Ok(r) = ctx.client.get(&format!("{}?count=1", rt.endpoint)).await {
        ctx.require(
            &id,
            &title,
            Level::Must,
            r.status == 200 && is_list_response(&r),
            format!(
                "RFC 7643 §6: endpoint is \"relative to the Base URL\" ({}{} must list {name} resources); {}",
                ctx.client.base(),
                rt.endpoint,
                r.describe()
            ),
        );
    }
    // Whatever the form, the endpoint must lead to the resources somewhere: resolved against
    // the base URL (the RFC form) or against the host (a common misreading).
    let reach_id = format!("discovery.resource_types.reachable.{name}");
    let reach_title =
        format!("resource type {name}'s endpoint {:?} leads to its resources", rt.endpoint);
    if ctx.expect.recorded_discovery() {
        ctx.skip(&reach_id, &reach_title, "the recorded bridge advertises /scim/v2/User, which serves nothing (asserted by discovery.resource_types.endpoint)");
    } else {
        reachable(ctx, rt, &reach_id, &reach_title).await;
    }
    if let Ok(r) = ctx.client.get(&format!("/ResourceTypes/{}", rt.name)).await {
        ctx.require(
            &format!("discovery.resource_types.by_id.{name}"),
            &format!("GET /ResourceTypes/{name} answers the resource type"),
            Level::Should,
            r.status == 200 && r.body["name"].as_str() == Some(rt.name.as_str()),
            format!("RFC 7644 §4 (/ResourceTypes/{{id}}): {}", r.describe()),
        );
    }
}

async fn reachable(ctx: &Ctx, rt: &ResType, id: &str, title: &str) {
    let mut reached = Vec::new();
    for url in [ctx.client.url(&rt.endpoint), resolve(ctx.client.base(), &rt.endpoint)] {
        if let Ok(r) = ctx.client.get(&format!("{url}?count=1")).await {
            if r.status == 200 && is_list_response(&r) {
                reached.clear();
                break;
            }
            reached.push(r.describe());
        }
    }
    ctx.require(
        id,
        title,
        Level::Must,
        reached.is_empty(),
        format!("RFC 7643 §6: endpoint is the resource type's HTTP-addressable endpoint; neither reading answers a ListResponse: {}", reached.join("; ")),
    );
}

/// The endpoint the checks use for `rt`: the advertised one when it lists resources, otherwise
/// the conventional `fallback`.
async fn usable(ctx: &Ctx, rt: Option<ResType>, name: &str, urn: &str, fallback: &str) -> ResType {
    let mut rt = rt.unwrap_or_else(|| ResType {
        name: name.to_owned(),
        endpoint: fallback.to_owned(),
        schema: urn.to_owned(),
        extensions: if name == "User" {
            vec![messages::ENTERPRISE_USER.to_owned()]
        } else {
            Vec::new()
        },
    });
    if rt.endpoint != fallback {
        let works = match ctx.client.get(&format!("{}?count=1", rt.endpoint)).await {
            Ok(r) => r.status == 200 && is_list_response(&r),
            Err(_) => false,
        };
        if !works {
            rt.endpoint = fallback.to_owned();
        }
    }
    rt
}

fn attribute_definitions(ctx: &Ctx, d: &Discovery, types: &[ResType]) {
    for s in &d.schemas {
        if d.schemas_assumed {
            break;
        }
        let owner = types.iter().find(|t| {
            t.schema.eq_ignore_ascii_case(&s.id)
                || t.extensions.iter().any(|e| e.eq_ignore_ascii_case(&s.id))
        });
        let label = short(&s.id);
        for a in &s.attrs {
            let id = format!("discovery.attr.{label}.{}", a.name);
            let title = format!(
                "{}{} is a valid definition ({}, {}, returned {}, uniqueness {}{})",
                owner.map(|t| format!("{}: ", t.name)).unwrap_or_default(),
                a.name,
                a.kind,
                a.mutability,
                a.returned,
                a.uniqueness,
                if a.kind == "string" {
                    format!(", caseExact {}", a.case_exact)
                } else {
                    String::new()
                }
            );
            let problems = definition_problems(a, 0);
            ctx.require(
                &id,
                &title,
                Level::Must,
                problems.is_empty(),
                format!("GET /Schemas ({}): RFC 7643 §7: {}", s.id, problems.join("; ")),
            );
        }
    }
}

fn definition_problems(a: &Attr, depth: usize) -> Vec<String> {
    let mut p = Vec::new();
    let name_ok = a.name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '$')
        && a.name.chars().skip(1).all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !name_ok {
        p.push(format!("name {:?} is not an ATTRNAME", a.name));
    }
    if !TYPES.contains(&a.kind.as_str()) {
        p.push(format!("{}: type {:?}", a.name, a.kind));
    }
    if !MUTABILITY.contains(&a.mutability.as_str()) {
        p.push(format!("{}: mutability {:?}", a.name, a.mutability));
    }
    if !RETURNED.contains(&a.returned.as_str()) {
        p.push(format!("{}: returned {:?}", a.name, a.returned));
    }
    if !UNIQUENESS.contains(&a.uniqueness.as_str()) {
        p.push(format!("{}: uniqueness {:?}", a.name, a.uniqueness));
    }
    if a.kind == "complex" {
        if depth > 0 {
            p.push(format!("{}: a sub-attribute cannot be complex (§2.3.8)", a.name));
        }
        if a.subs.is_empty() {
            p.push(format!("{}: complex without subAttributes", a.name));
        }
        for s in &a.subs {
            p.extend(
                definition_problems(s, depth + 1).into_iter().map(|m| format!("{}.{m}", a.name)),
            );
        }
    }
    if a.kind == "reference" && a.reference_types.is_empty() {
        p.push(format!("{}: reference without referenceTypes", a.name));
    }
    p
}

//! Rendering users and groups as the selected payload shape, and `attributes` /
//! `excludedAttributes` projection.

use chrono::{DateTime, SecondsFormat, Utc};
use scim::messages;
use serde_json::{Map, Value, json};

use crate::account::{Account, Group, User};
use crate::profile::{Profile, UserPayload};

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn version(t: DateTime<Utc>) -> String {
    format!("W/\"{}\"", t.timestamp())
}

fn visible(group: &Group, profile: &Profile) -> bool {
    !(profile.hide_builtin_groups && group.kind.is_builtin())
}

/// A user as the profile's payload shape renders it.
pub fn user(u: &User, account: &Account, profile: &Profile, base: &str) -> Value {
    match profile.user_payload {
        UserPayload::Sparse => sparse_user(u),
        UserPayload::EmptyStrings => empty_strings_user(u, account, profile, base),
        UserPayload::Full => full_user(u, account, profile, base),
    }
}

fn name_part<'a>(u: &'a User, k: &str) -> Option<&'a Value> {
    u.attrs.get("name").and_then(|n| n.get(k))
}

/// Profile A: the shape recorded from the real bridge in 2026.
fn sparse_user(u: &User) -> Value {
    let mut o = Map::with_capacity(9);
    o.insert("schemas".into(), json!([messages::USER]));
    o.insert("id".into(), Value::String(u.id.clone()));
    o.insert("userName".into(), Value::String(u.user_name.clone()));
    let mut name = Map::new();
    for k in ["givenName", "familyName", "formatted"] {
        if let Some(v) = name_part(u, k) {
            name.insert(k.into(), v.clone());
        }
    }
    o.insert("name".into(), Value::Object(name));
    o.insert("displayName".into(), Value::String(u.display_name()));
    o.insert("active".into(), Value::Bool(u.active()));
    let emails: Vec<Value> = match u.attrs.get("emails").and_then(Value::as_array) {
        Some(es) if !es.is_empty() => es
            .iter()
            .map(|e| {
                let mut m = Map::new();
                if let Some(v) = e.get("value") {
                    m.insert("value".into(), v.clone());
                }
                m.insert("primary".into(), e.get("primary").cloned().unwrap_or(Value::Bool(false)));
                Value::Object(m)
            })
            .collect(),
        _ => vec![json!({"value": u.user_name, "primary": true})],
    };
    o.insert("emails".into(), Value::Array(emails));
    let lang = u.attrs.get("preferredLanguage").cloned().unwrap_or_else(|| json!("en"));
    o.insert("preferredLanguage".into(), lang);
    o.insert("meta".into(), json!({"resourceType": "User"}));
    Value::Object(o)
}

/// Profile B: the 2023 docs' shape (empty strings, `groups[].ref`, honorifics).
fn empty_strings_user(u: &User, account: &Account, profile: &Profile, base: &str) -> Value {
    let part = |k: &str| name_part(u, k).cloned().unwrap_or_else(|| json!(""));
    let emails: Vec<Value> = match u.attrs.get("emails").and_then(Value::as_array) {
        Some(es) if !es.is_empty() => es
            .iter()
            .map(|e| {
                json!({
                    "primary": e.get("primary").cloned().unwrap_or(Value::Bool(false)),
                    "type": e.get("type").cloned().unwrap_or_else(|| json!("")),
                    "value": e.get("value").cloned().unwrap_or_else(|| json!("")),
                })
            })
            .collect(),
        _ => vec![json!({"primary": true, "type": "", "value": u.user_name})],
    };
    let groups: Vec<Value> = account
        .groups_of(&u.id)
        .filter(|g| visible(g, profile))
        .map(|g| json!({"value": g.id, "ref": format!("{base}/Groups/{}", g.id)}))
        .collect();
    json!({
        "schemas": [messages::USER],
        "id": u.id,
        "userName": u.user_name,
        "externalId": u.external_id().unwrap_or(""),
        "active": u.active(),
        "displayName": u.display_name(),
        "emails": emails,
        "groups": groups,
        "meta": {"created": "", "lastModified": "", "location": "", "resourceType": "User", "version": ""},
        "name": {
            "familyName": part("familyName"),
            "formatted": part("formatted"),
            "givenName": part("givenName"),
            "honorificPrefix": part("honorificPrefix"),
            "honorificSuffix": part("honorificSuffix"),
            "middleName": part("middleName"),
        },
    })
}

/// RFC: everything stored, as sent, with server attributes and full `meta`.
pub fn full_user(u: &User, account: &Account, profile: &Profile, base: &str) -> Value {
    let mut o = Map::with_capacity(u.attrs.len() + 6);
    let mut schemas = vec![json!(messages::USER)];
    if u.attrs.contains_key(messages::ENTERPRISE_USER) {
        schemas.push(json!(messages::ENTERPRISE_USER));
    }
    o.insert("schemas".into(), Value::Array(schemas));
    o.insert("id".into(), Value::String(u.id.clone()));
    for (k, v) in &u.attrs {
        if k != "password" {
            o.insert(k.clone(), v.clone());
        }
    }
    o.insert("active".into(), Value::Bool(u.active()));
    let groups: Vec<Value> = account
        .groups_of(&u.id)
        .filter(|g| visible(g, profile))
        .map(|g| {
            json!({"value": g.id, "$ref": format!("{base}/Groups/{}", g.id), "display": g.display_name, "type": "direct"})
        })
        .collect();
    if !groups.is_empty() {
        o.insert("groups".into(), Value::Array(groups));
    }
    o.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": ts(u.created),
            "lastModified": ts(u.last_modified),
            "location": format!("{base}/Users/{}", u.id),
            "version": version(u.last_modified),
        }),
    );
    Value::Object(o)
}

/// A group. Recorded groups carry `created`/`lastModified` but no `location`; the full payload
/// adds `location`, `version` and `externalId`.
pub fn group(g: &Group, account: &Account, profile: &Profile, base: &str) -> Value {
    let full = profile.user_payload == UserPayload::Full;
    let mut o = Map::new();
    o.insert("schemas".into(), json!([messages::GROUP]));
    o.insert("id".into(), Value::String(g.id.clone()));
    o.insert("displayName".into(), Value::String(g.display_name.clone()));
    if full {
        for (k, v) in &g.attrs {
            o.insert(k.clone(), v.clone());
        }
    }
    if profile.group_members_in_responses && !g.members.is_empty() {
        let members: Vec<Value> = g
            .members
            .iter()
            .map(|m| match account.user(m) {
                Some(u) => json!({"value": m, "display": u.display_name(), "$ref": format!("{base}/Users/{m}"), "type": "User"}),
                None => json!({"value": m, "$ref": format!("{base}/Groups/{m}"), "type": "Group"}),
            })
            .collect();
        o.insert("members".into(), Value::Array(members));
    }
    let mut meta = json!({
        "created": ts(g.created),
        "lastModified": ts(g.last_modified),
        "resourceType": "Group",
    });
    if full {
        meta["location"] = json!(format!("{base}/Groups/{}", g.id));
        meta["version"] = json!(version(g.last_modified));
    }
    o.insert("meta".into(), meta);
    Value::Object(o)
}

/// A group as the evaluator sees it: everything stored, regardless of payload shape.
pub fn group_for_filter(g: &Group) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), Value::String(g.id.clone()));
    o.insert("displayName".into(), Value::String(g.display_name.clone()));
    for (k, v) in &g.attrs {
        o.insert(k.clone(), v.clone());
    }
    let members: Vec<Value> = g.members.iter().map(|m| json!({"value": m})).collect();
    o.insert("members".into(), Value::Array(members));
    o.insert(
        "meta".into(),
        json!({"created": ts(g.created), "lastModified": ts(g.last_modified), "resourceType": "Group"}),
    );
    Value::Object(o)
}

/// `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5): lists of attribute names, possibly
/// URN-qualified or with a sub-attribute (`name.givenName`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    /// Only these (plus `id` and `schemas`, which are always returned).
    pub attributes: Vec<(String, Option<String>)>,
    /// All but these.
    pub excluded: Vec<(String, Option<String>)>,
}

/// Splits `urn:...:User:name.givenName` style names into (top-level key, sub-attribute).
fn parse_attr_name(raw: &str, extensions: &[&str], core: &str) -> (String, Option<String>) {
    let raw = raw.trim();
    for ext in extensions {
        if raw.len() > ext.len() && raw[..ext.len()].eq_ignore_ascii_case(ext) {
            let rest = raw[ext.len()..].trim_start_matches(':');
            return ((*ext).to_owned(), (!rest.is_empty()).then(|| rest.to_owned()));
        }
        if raw.eq_ignore_ascii_case(ext) {
            return ((*ext).to_owned(), None);
        }
    }
    let raw = if raw.len() > core.len() && raw[..core.len()].eq_ignore_ascii_case(core) {
        raw[core.len()..].trim_start_matches(':')
    } else {
        raw
    };
    match raw.split_once('.') {
        Some((a, b)) => (a.to_owned(), Some(b.to_owned())),
        None => (raw.to_owned(), None),
    }
}

impl Projection {
    /// Reads the two comma-separated lists.
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>, core: &str) -> Projection {
        let exts = [messages::ENTERPRISE_USER];
        let list = |s: Option<&str>| -> Vec<(String, Option<String>)> {
            s.map(|s| {
                s.split(',')
                    .filter(|p| !p.trim().is_empty())
                    .map(|p| parse_attr_name(p, &exts, core))
                    .collect()
            })
            .unwrap_or_default()
        };
        Projection { attributes: list(attributes), excluded: list(excluded) }
    }

    /// Does this projection change anything?
    pub fn is_identity(&self) -> bool {
        self.attributes.is_empty() && self.excluded.is_empty()
    }

    /// Applies the projection to a rendered resource.
    pub fn apply(&self, resource: Value) -> Value {
        const ALWAYS: [&str; 3] = ["id", "schemas", "userName"];
        let Value::Object(obj) = resource else { return resource };
        let mut out = Map::new();
        for (k, v) in obj {
            let always = ALWAYS.iter().any(|a| a.eq_ignore_ascii_case(&k));
            if !self.attributes.is_empty() && !always {
                let wanted: Vec<&Option<String>> = self
                    .attributes
                    .iter()
                    .filter(|(top, _)| top.eq_ignore_ascii_case(&k))
                    .map(|(_, sub)| sub)
                    .collect();
                if wanted.is_empty() {
                    continue;
                }
                if wanted.iter().any(|s| s.is_none()) {
                    out.insert(k, v);
                } else {
                    let subs: Vec<&str> = wanted.iter().filter_map(|s| s.as_deref()).collect();
                    out.insert(k, keep_subs(v, &subs));
                }
                continue;
            }
            let excluded: Vec<&Option<String>> = self
                .excluded
                .iter()
                .filter(|(top, _)| top.eq_ignore_ascii_case(&k))
                .map(|(_, sub)| sub)
                .collect();
            if always || excluded.is_empty() {
                out.insert(k, v);
            } else if excluded.iter().all(|s| s.is_some()) {
                let subs: Vec<&str> = excluded.iter().filter_map(|s| s.as_deref()).collect();
                out.insert(k, drop_subs(v, &subs));
            }
        }
        Value::Object(out)
    }
}

fn map_objects(v: Value, f: &dyn Fn(Map<String, Value>) -> Map<String, Value>) -> Value {
    match v {
        Value::Object(o) => Value::Object(f(o)),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| map_objects(x, f)).collect()),
        other => other,
    }
}

fn keep_subs(v: Value, subs: &[&str]) -> Value {
    map_objects(v, &|mut o| {
        o.retain(|k, _| subs.iter().any(|s| s.eq_ignore_ascii_case(k)));
        o
    })
}

fn drop_subs(v: Value, subs: &[&str]) -> Value {
    map_objects(v, &|mut o| {
        o.retain(|k, _| !subs.iter().any(|s| s.eq_ignore_ascii_case(k)));
        o
    })
}

//! Rendering users and groups as the selected payload shape, and `attributes` /
//! `excludedAttributes` projection.

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use scim::messages;
use serde::ser::{Error as _, Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::etag;
use super::extract::BaseUrl;
use crate::account::{Account, Group, Peek, PeekEmail, PeekName, User, display_name};
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

/// A user as the profile's payload shape renders it, as a JSON tree (for projection and
/// filters; responses serialise a [`Rendered`] instead).
pub fn user(u: &User, account: &Account, profile: &Profile, base: &BaseUrl) -> Value {
    match profile.user_payload {
        UserPayload::Sparse => serde_json::to_value(SparseUser::new(u)).unwrap_or(Value::Null),
        UserPayload::EmptyStrings => empty_strings_user(u, account, profile, base),
        UserPayload::Full => full_user(u, account, profile, base),
    }
}

/// A resource ready to send: the bridge's sparse user shape (the default profile, and what
/// every IdP sync reads) is the user's memoised JSON text, sent or copied as it is; other
/// shapes and projected resources are trees.
#[derive(Debug)]
pub enum Rendered<'a> {
    /// JSON text (always a valid JSON value), written verbatim.
    Raw(&'a Bytes),
    /// Any other resource.
    Tree(Value),
}

impl Serialize for Rendered<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Rendered::Raw(r) => {
                let raw: &RawValue = serde_json::from_slice(r).map_err(S::Error::custom)?;
                raw.serialize(s)
            }
            Rendered::Tree(v) => v.serialize(s),
        }
    }
}

impl Rendered<'_> {
    /// The resource as a JSON tree.
    pub fn into_value(self) -> Value {
        match self {
            Rendered::Raw(r) => serde_json::from_slice(r).unwrap_or(Value::Null),
            Rendered::Tree(v) => v,
        }
    }
}

/// The user in the sparse shape, from the user's memo (rendered and kept on first use).
pub fn sparse_user(u: &User) -> &Bytes {
    u.rendered.get_or_init(|| {
        // Serialising borrowed strings into memory cannot fail; `null` keeps this total.
        let text = serde_json::to_vec(&SparseUser::new(u)).unwrap_or_else(|_| b"null".to_vec());
        Bytes::from(text)
    })
}

/// A user in the profile's shape with `projection` applied.
pub fn user_resource<'a>(
    u: &'a User,
    account: &Account,
    profile: &Profile,
    base: &BaseUrl,
    projection: &Projection,
) -> Rendered<'a> {
    account.count_render();
    if profile.user_payload == UserPayload::Sparse && projection.is_identity() {
        return Rendered::Raw(sparse_user(u));
    }
    let tree = user(u, account, profile, base);
    Rendered::Tree(if projection.is_identity() { tree } else { projection.apply(tree) })
}

/// Profile A: the shape recorded from the real bridge in 2026. Responses use it through
/// [`sparse_user`], which keeps its text.
#[derive(Debug)]
pub struct SparseUser<'a> {
    user: &'a User,
    peek: Peek<'a>,
}

impl<'a> SparseUser<'a> {
    /// Reads what the shape needs from the user's stored attributes.
    pub fn new(user: &'a User) -> Self {
        SparseUser { user, peek: user.attrs.peek() }
    }
}

impl Serialize for SparseUser<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (u, p) = (self.user, &self.peek);
        let mut m = s.serialize_map(Some(9))?;
        m.serialize_entry("schemas", &[messages::USER])?;
        m.serialize_entry("id", &u.id)?;
        m.serialize_entry("userName", &u.user_name)?;
        m.serialize_entry("name", &SparseName(p.name.as_ref()))?;
        m.serialize_entry("displayName", &display_name(p))?;
        m.serialize_entry("active", &u.active())?;
        m.serialize_entry(
            "emails",
            &SparseEmails { emails: p.emails.as_deref(), user_name: &u.user_name },
        )?;
        m.serialize_entry("preferredLanguage", p.preferred_language.as_deref().unwrap_or("en"))?;
        m.serialize_entry("meta", &UserMeta)?;
        m.end()
    }
}

/// `name` with whichever of givenName, familyName and formatted are set.
struct SparseName<'p, 'a>(Option<&'p PeekName<'a>>);

impl Serialize for SparseName<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(n) = self.0 {
            let parts = [
                ("givenName", &n.given_name),
                ("familyName", &n.family_name),
                ("formatted", &n.formatted),
            ];
            for (k, v) in parts {
                if let Some(v) = v {
                    m.serialize_entry(k, v)?;
                }
            }
        }
        m.end()
    }
}

/// `emails` as `{value, primary}` pairs; the userName as the primary one when there are none.
struct SparseEmails<'p, 'a> {
    emails: Option<&'p [PeekEmail<'a>]>,
    user_name: &'p str,
}

impl Serialize for SparseEmails<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Email<'x> {
            #[serde(skip_serializing_if = "Option::is_none")]
            value: Option<&'x str>,
            primary: bool,
        }
        match self.emails {
            Some(es) if !es.is_empty() => {
                s.collect_seq(es.iter().map(|e| Email {
                    value: e.value.as_deref(),
                    primary: e.primary.unwrap_or(false),
                }))
            }
            _ => s.collect_seq([Email { value: Some(self.user_name), primary: true }]),
        }
    }
}

/// `meta` in the sparse shape.
struct UserMeta;

impl Serialize for UserMeta {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("resourceType", "User")?;
        m.end()
    }
}

/// Profile B: the 2023 docs' shape (empty strings, `groups[].ref`, honorifics).
fn empty_strings_user(u: &User, account: &Account, profile: &Profile, base: &BaseUrl) -> Value {
    let p = u.attrs.peek();
    let name = p.name.as_ref();
    let part =
        |f: for<'n> fn(&'n PeekName<'_>) -> Option<&'n str>| json!(name.and_then(f).unwrap_or(""));
    let emails: Vec<Value> = match p.emails.as_deref() {
        Some(es) if !es.is_empty() => es
            .iter()
            .map(|e| {
                json!({
                    "primary": e.primary.unwrap_or(false),
                    "type": e.kind.as_deref().unwrap_or(""),
                    "value": e.value.as_deref().unwrap_or(""),
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
        "externalId": p.external_id.as_deref().unwrap_or(""),
        "active": u.active(),
        "displayName": display_name(&p),
        "emails": emails,
        "groups": groups,
        "meta": {"created": "", "lastModified": "", "location": "", "resourceType": "User", "version": ""},
        "name": {
            "familyName": part(|n| n.family_name.as_deref()),
            "formatted": part(|n| n.formatted.as_deref()),
            "givenName": part(|n| n.given_name.as_deref()),
            "honorificPrefix": part(|n| n.honorific_prefix.as_deref()),
            "honorificSuffix": part(|n| n.honorific_suffix.as_deref()),
            "middleName": part(|n| n.middle_name.as_deref()),
        },
    })
}

/// RFC: everything stored, as sent, with server attributes and full `meta`.
pub fn full_user(u: &User, account: &Account, profile: &Profile, base: &BaseUrl) -> Value {
    let attrs = u.attrs.to_map();
    let mut o = Map::with_capacity(attrs.len() + 6);
    let mut schemas = vec![json!(messages::USER)];
    if attrs.contains_key(messages::ENTERPRISE_USER) {
        schemas.push(json!(messages::ENTERPRISE_USER));
    }
    o.insert("schemas".into(), Value::Array(schemas));
    o.insert("id".into(), Value::String(u.id.clone()));
    for (k, v) in attrs {
        if k != "password" {
            o.insert(k, v);
        }
    }
    if !u.active_unassigned {
        o.insert("active".into(), Value::Bool(u.active()));
    }
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
        }),
    );
    let mut doc = Value::Object(o);
    doc["meta"]["version"] =
        json!(if profile.etag { etag::content_version(&doc) } else { version(u.last_modified) });
    doc
}

/// The user's entity tag (the `etag` switch): its full rendering's `meta.version`, whatever
/// payload shape responses use.
pub fn user_version(u: &User, account: &Account, profile: &Profile) -> String {
    let doc = full_user(u, account, profile, &BaseUrl::default());
    doc["meta"]["version"].as_str().unwrap_or_default().to_owned()
}

/// The group's entity tag (the `etag` switch): its full rendering's `meta.version`.
pub fn group_version(g: &Group, account: &Account, profile: &Profile) -> String {
    let doc = group_doc(g, account, profile, &BaseUrl::default(), true);
    doc["meta"]["version"].as_str().unwrap_or_default().to_owned()
}

/// A group. Recorded groups carry `created`/`lastModified` but no `location`; the full payload
/// adds `location`, `version` and `externalId`.
pub fn group(g: &Group, account: &Account, profile: &Profile, base: &BaseUrl) -> Value {
    group_doc(g, account, profile, base, profile.user_payload == UserPayload::Full)
}

fn group_doc(g: &Group, account: &Account, profile: &Profile, base: &BaseUrl, full: bool) -> Value {
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
                Some(u) => {
                    let mut member = Map::with_capacity(4);
                    member.insert("value".into(), Value::String(m.clone()));
                    // A user without a display name has no `display`: omitted, not "".
                    let display = u.display_name();
                    if !display.is_empty() {
                        member.insert("display".into(), Value::String(display));
                    }
                    member.insert("$ref".into(), Value::String(format!("{base}/Users/{m}")));
                    member.insert("type".into(), Value::String("User".into()));
                    Value::Object(member)
                }
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
    }
    o.insert("meta".into(), meta);
    let mut doc = Value::Object(o);
    if full {
        doc["meta"]["version"] = json!(if profile.etag {
            etag::content_version(&doc)
        } else {
            version(g.last_modified)
        });
    }
    doc
}

/// A group as the evaluator sees it: everything stored, regardless of payload shape. The
/// members are listed only `with_members` (when the filter names them): Team Members holds
/// every user, and listing them for every group filter made `displayName eq` cost the account.
pub fn group_for_filter(g: &Group, with_members: bool) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), Value::String(g.id.clone()));
    o.insert("displayName".into(), Value::String(g.display_name.clone()));
    for (k, v) in &g.attrs {
        o.insert(k.clone(), v.clone());
    }
    if with_members {
        let members: Vec<Value> = g.members.iter().map(|m| json!({"value": m})).collect();
        o.insert("members".into(), Value::Array(members));
    }
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

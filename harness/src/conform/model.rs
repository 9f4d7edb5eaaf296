//! What discovery tells about the target: features, resource types and attribute definitions,
//! read leniently (RFC 7643 §2.2 defaults for missing characteristics) so that a partial
//! document still drives the checks it can.

use serde_json::Value;

/// One attribute definition (RFC 7643 §7).
#[derive(Debug, Clone, PartialEq)]
pub struct Attr {
    /// Name as advertised.
    pub name: String,
    /// `string`, `boolean`, `decimal`, `integer`, `dateTime`, `binary`, `reference`, `complex`.
    pub kind: String,
    /// Multi-valued.
    pub multi: bool,
    /// Required.
    pub required: bool,
    /// Case-exact comparison.
    pub case_exact: bool,
    /// `readOnly`, `readWrite`, `immutable`, `writeOnly`.
    pub mutability: String,
    /// `always`, `never`, `default`, `request`.
    pub returned: String,
    /// `none`, `server`, `global`.
    pub uniqueness: String,
    /// Canonical values.
    pub canonical: Vec<String>,
    /// `canonicalValues` is present but empty: no value can be canonical, so none is written.
    pub canonical_empty: bool,
    /// Reference types.
    pub reference_types: Vec<String>,
    /// Sub-attributes of a complex attribute.
    pub subs: Vec<Attr>,
}

impl Attr {
    /// Reads a definition, with the RFC 7643 §2.2 defaults for what is missing.
    pub fn from_json(v: &Value) -> Attr {
        let s = |k: &str, d: &str| v.get(k).and_then(Value::as_str).unwrap_or(d).to_owned();
        let b = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
        let list = |k: &str| -> Vec<String> {
            v.get(k)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        Attr {
            name: s("name", ""),
            kind: s("type", "string"),
            multi: b("multiValued"),
            required: b("required"),
            case_exact: b("caseExact"),
            mutability: s("mutability", "readWrite"),
            returned: s("returned", "default"),
            uniqueness: s("uniqueness", "none"),
            canonical: list("canonicalValues"),
            canonical_empty: v
                .get("canonicalValues")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty),
            reference_types: list("referenceTypes"),
            subs: v
                .get("subAttributes")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(Attr::from_json).collect())
                .unwrap_or_default(),
        }
    }

    /// A sub-attribute by case-insensitive name.
    pub fn sub(&self, name: &str) -> Option<&Attr> {
        self.subs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// `true` when a client may write it.
    pub fn writable(&self) -> bool {
        !self.mutability.eq_ignore_ascii_case("readOnly")
    }
}

/// One schema from `/Schemas`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SchemaDoc {
    /// The schema URN.
    pub id: String,
    /// Its attributes.
    pub attrs: Vec<Attr>,
    /// The document as served.
    pub raw: Value,
}

impl SchemaDoc {
    /// An attribute by case-insensitive name.
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// One resource type from `/ResourceTypes`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResType {
    /// `name` (`User`).
    pub name: String,
    /// The endpoint the checks use (`/Users`): the advertised one when it answers, otherwise
    /// the conventional one.
    pub endpoint: String,
    /// The core schema URN.
    pub schema: String,
    /// Extension schema URNs.
    pub extensions: Vec<String>,
}

/// Discovery's findings.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// `patch.supported`.
    pub patch: bool,
    /// `filter.supported`.
    pub filter: bool,
    /// `sort.supported`.
    pub sort: bool,
    /// `etag.supported`.
    pub etag: bool,
    /// `bulk.supported`.
    pub bulk: bool,
    /// `filter.maxResults` (0 when absent).
    pub max_results: u64,
    /// The User resource type.
    pub user: Option<ResType>,
    /// The Group resource type.
    pub group: Option<ResType>,
    /// Every schema, by lower-cased URN.
    pub schemas: Vec<SchemaDoc>,
    /// `true` when `/Schemas` could not be read and the RFC's definitions stand in.
    pub schemas_assumed: bool,
}

impl Discovery {
    /// A schema by URN (case-insensitive).
    pub fn schema(&self, urn: &str) -> Option<&SchemaDoc> {
        self.schemas.iter().find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// The core schema of a resource type plus its extensions, as `(urn, schema)` pairs.
    pub fn schemas_of(&self, rt: &ResType) -> Vec<(String, &SchemaDoc)> {
        std::iter::once(&rt.schema)
            .chain(rt.extensions.iter())
            .filter_map(|urn| self.schema(urn).map(|s| (urn.clone(), s)))
            .collect()
    }

    /// A core attribute of `rt` by name.
    pub fn attr(&self, rt: &ResType, name: &str) -> Option<&Attr> {
        self.schema(&rt.schema).and_then(|s| s.attr(name))
    }
}

/// `true` when `v` has the JSON shape of a (single) value of `kind`.
pub fn value_has_type(kind: &str, v: &Value) -> bool {
    match kind {
        "string" | "reference" | "binary" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "decimal" => v.is_number(),
        "dateTime" => v.as_str().is_some_and(is_datetime),
        "complex" => v.is_object(),
        _ => true,
    }
}

/// A lenient xsd:dateTime check (RFC 7643 §2.3.5): `YYYY-MM-DDThh:mm:ss` then an optional
/// fraction and a zone.
pub fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 19 {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && (b[10] == b'T' || b[10] == b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
}

/// Normalises a dateTime for comparison: drops a zero fraction and writes UTC as `Z`.
pub fn norm_datetime(s: &str) -> String {
    let mut s = s.replace("+00:00", "Z");
    if let Some(dot) = s.find('.') {
        let end = s[dot + 1..].find(|c: char| !c.is_ascii_digit()).map_or(s.len(), |i| dot + 1 + i);
        if s[dot + 1..end].bytes().all(|c| c == b'0') {
            s.replace_range(dot..end, "");
        }
    }
    s
}

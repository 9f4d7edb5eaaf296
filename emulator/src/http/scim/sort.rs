//! `sortBy` / `sortOrder` (RFC 7644 §3.4.2.3, the `sort` switch).
//!
//! The sort key is the attribute's value in the full rendering (a sub-attribute's for
//! `name.familyName`; a multi-valued attribute's primary value, else its first). Strings
//! compare case-insensitively unless the attribute is `caseExact`, with no locale; numbers
//! numerically; resources without a value come last ascending and first descending (the exact
//! reverse). Ties keep the listing's own order in both directions, so pages are stable.

use std::cmp::Ordering;

use scim::ScimError;
use scim::filter::AttrPath;
use scim::path::{PatchPath, parse_path};
use scim::schema::{Attribute, ResourceSchema};
use serde_json::{Map, Value};

use super::schemas::find;

/// A parsed `sortBy` with its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortSpec {
    /// The attribute to sort by.
    pub path: AttrPath,
    /// `sortOrder=descending`.
    pub descending: bool,
}

impl SortSpec {
    /// Reads `sortBy` and `sortOrder` (case-insensitive, `ascending` by default). `sortOrder`
    /// without `sortBy` is ignored; an unknown order or a `sortBy` that is not an attribute
    /// path is a 400.
    pub fn parse(
        sort_by: Option<&str>,
        sort_order: Option<&str>,
    ) -> Result<Option<SortSpec>, ScimError> {
        let Some(by) = sort_by.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let descending = match sort_order.map(str::trim).filter(|s| !s.is_empty()) {
            None => false,
            Some(o) if o.eq_ignore_ascii_case("ascending") => false,
            Some(o) if o.eq_ignore_ascii_case("descending") => true,
            Some(o) => {
                return Err(ScimError::invalid_value(format!(
                    "sortOrder must be \"ascending\" or \"descending\", got {o:?}"
                )));
            }
        };
        match parse_path(by) {
            Ok(PatchPath::Attr(path)) => Ok(Some(SortSpec { path, descending })),
            _ => Err(ScimError::invalid_value(format!(
                "sortBy must be an attribute path such as \"userName\" or \"name.familyName\", got {by:?}"
            ))),
        }
    }
}

/// A resource's sort key.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    /// No value: sorts after every value (ascending).
    Missing,
    /// A boolean (false first).
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string, already folded when the attribute is not caseExact.
    Text(String),
}

impl SortKey {
    fn rank(&self) -> u8 {
        match self {
            SortKey::Bool(_) => 0,
            SortKey::Number(_) => 1,
            SortKey::Text(_) => 2,
            SortKey::Missing => 3,
        }
    }

    fn ascending(&self, other: &SortKey) -> Ordering {
        match (self, other) {
            (SortKey::Bool(a), SortKey::Bool(b)) => a.cmp(b),
            (SortKey::Number(a), SortKey::Number(b)) => a.total_cmp(b),
            (SortKey::Text(a), SortKey::Text(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

fn get_ci<'v>(o: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    o.get(name).or_else(|| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

/// The attribute definition `path` names in `schema`, and its container's key (the extension
/// URN, for extension attributes).
fn definition<'s>(
    path: &'s AttrPath,
    schema: &'s ResourceSchema,
) -> (Option<&'s Attribute>, Option<&'s str>) {
    match &path.urn {
        Some(urn) if !urn.eq_ignore_ascii_case(&schema.core.id) => {
            match schema.extensions.iter().find(|e| e.id.eq_ignore_ascii_case(urn)) {
                Some(ext) => (find(&ext.attributes, &path.name), Some(ext.id.as_str())),
                None => (None, Some(urn.as_str())),
            }
        }
        _ => (find(&schema.core.attributes, &path.name), None),
    }
}

/// The sort key of `resource` (a full rendering) for `path`.
pub fn key(resource: &Value, path: &AttrPath, schema: &ResourceSchema) -> SortKey {
    let (def, ext) = definition(path, schema);
    let Some(root) = resource.as_object() else { return SortKey::Missing };
    let container = match ext {
        Some(urn) => match get_ci(root, urn).and_then(Value::as_object) {
            Some(o) => o,
            None => return SortKey::Missing,
        },
        None => root,
    };
    let Some(mut value) = get_ci(container, &path.name) else { return SortKey::Missing };
    if let Value::Array(items) = value {
        // The primary value, else the first (RFC 7644 §3.4.2.3).
        let primary = items.iter().find(|i| i.get("primary") == Some(&Value::Bool(true)));
        match primary.or_else(|| items.first()) {
            Some(v) => value = v,
            None => return SortKey::Missing,
        }
    }
    // The sub-attribute asked for, or a complex value's `value`.
    let sub = path.sub_attr.as_deref().or(value.is_object().then_some("value"));
    let mut case_exact = def.is_some_and(|d| d.case_exact);
    if let Some(sub) = sub {
        let Some(v) = value.as_object().and_then(|o| get_ci(o, sub)) else {
            return SortKey::Missing;
        };
        value = v;
        case_exact = def.and_then(|d| find(&d.sub_attributes, sub)).is_some_and(|d| d.case_exact);
    }
    match value {
        Value::Bool(b) => SortKey::Bool(*b),
        Value::Number(n) => n.as_f64().map_or(SortKey::Missing, SortKey::Number),
        Value::String(s) if case_exact => SortKey::Text(s.clone()),
        Value::String(s) => SortKey::Text(s.to_lowercase()),
        _ => SortKey::Missing,
    }
}

/// Sorts `items` (in listing order) by their keys, stably: ties keep their order whichever the
/// direction, and descending is the exact reverse of ascending otherwise.
pub fn sort_by_keys<T>(items: &mut [(SortKey, T)], descending: bool) {
    items.sort_by(|(a, _), (b, _)| {
        let o = a.ascending(b);
        if descending { o.reverse() } else { o }
    });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::schemas;
    use super::*;

    fn spec(by: &str) -> AttrPath {
        SortSpec::parse(Some(by), None).unwrap().unwrap().path
    }

    #[test]
    fn keys_follow_case_exactness_primary_values_and_extensions() {
        let u = json!({
            "userName": "Bob@Example.com", "externalId": "Ext",
            "name": {"familyName": "Zed"},
            "emails": [{"value": "b@x"}, {"value": "A@x", "primary": true}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "7"},
        });
        let s = &*schemas::USER;
        assert_eq!(key(&u, &spec("userName"), s), SortKey::Text("bob@example.com".into()));
        assert_eq!(key(&u, &spec("externalId"), s), SortKey::Text("Ext".into()));
        assert_eq!(key(&u, &spec("name.familyName"), s), SortKey::Text("zed".into()));
        assert_eq!(key(&u, &spec("emails"), s), SortKey::Text("a@x".into()));
        assert_eq!(key(&u, &spec("title"), s), SortKey::Missing);
        let ext = spec("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber");
        assert_eq!(key(&u, &ext, s), SortKey::Text("7".into()));
    }

    #[test]
    fn missing_values_go_last_ascending_first_descending_and_ties_keep_order() {
        let keys = || {
            vec![
                (SortKey::Missing, 0),
                (SortKey::Text("b".into()), 1),
                (SortKey::Text("a".into()), 2),
                (SortKey::Text("b".into()), 3),
            ]
        };
        let mut up = keys();
        sort_by_keys(&mut up, false);
        assert_eq!(up.iter().map(|(_, i)| *i).collect::<Vec<_>>(), [2, 1, 3, 0]);
        let mut down = keys();
        sort_by_keys(&mut down, true);
        assert_eq!(down.iter().map(|(_, i)| *i).collect::<Vec<_>>(), [0, 1, 3, 2]);
    }

    #[test]
    fn bad_sort_parameters_are_400s() {
        assert_eq!(SortSpec::parse(None, Some("descending")).unwrap(), None);
        assert!(SortSpec::parse(Some("userName"), Some("sideways")).is_err());
        assert!(SortSpec::parse(Some("emails[type eq \"work\"]"), None).is_err());
        assert!(SortSpec::parse(Some("userName"), Some("DESCENDING")).unwrap().unwrap().descending);
    }
}

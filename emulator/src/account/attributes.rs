//! A user's SCIM attributes, kept as compact JSON text.
//!
//! The account stores every attribute a client sent (the `rfc` profile returns them as sent), but
//! most are read only when a user is rendered or changed. As `serde_json::Map`s (an `IndexMap`
//! per object, a heap string per key) a typical user's attributes took about 1.3 KB; as compact
//! text they take about 200 bytes, which is what keeps an account of 100,000 users well under
//! 200 MB. Reads parse on demand: [`Attributes::peek`] borrows the few fields the bridge's
//! payloads, events and indexes need, without allocating for plain strings;
//! [`Attributes::to_map`] gives the whole object to PATCH, PUT, filters and export.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// A JSON object of SCIM attributes, stored as compact text.
#[derive(Clone, PartialEq, Eq)]
pub struct Attributes(Box<str>);

impl Default for Attributes {
    fn default() -> Self {
        Attributes("{}".into())
    }
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&Map<String, Value>> for Attributes {
    fn from(map: &Map<String, Value>) -> Self {
        // Serialising a `Map` cannot fail: its keys are strings and its values are JSON.
        Attributes(serde_json::to_string(map).unwrap_or_else(|_| "{}".into()).into_boxed_str())
    }
}

impl From<Map<String, Value>> for Attributes {
    fn from(map: Map<String, Value>) -> Self {
        Attributes::from(&map)
    }
}

impl Attributes {
    /// The whole object (insertion order kept).
    pub fn to_map(&self) -> Map<String, Value> {
        // The text was written from a `Map`, so it parses back.
        serde_json::from_str(&self.0).unwrap_or_default()
    }

    /// The compact JSON text.
    pub fn as_json(&self) -> &str {
        &self.0
    }

    /// The fields rendering and indexing read, borrowed from the text where possible.
    pub fn peek(&self) -> Peek<'_> {
        // The typed read fails only when a known attribute has an unexpected type (a seed may
        // say anything); the map-based read then keeps whatever has the expected type.
        serde_json::from_str(&self.0).unwrap_or_else(|_| Peek::from_map(&self.to_map()))
    }
}

/// The attributes the bridge's payloads, events and indexes read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Peek<'a> {
    /// `displayName`.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub display_name: Option<Cow<'a, str>>,
    /// `externalId`.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub external_id: Option<Cow<'a, str>>,
    /// `preferredLanguage`.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub preferred_language: Option<Cow<'a, str>>,
    /// `name`.
    #[serde(borrow, default)]
    pub name: Option<PeekName<'a>>,
    /// `emails`.
    #[serde(borrow, default)]
    pub emails: Option<Vec<PeekEmail<'a>>>,
}

/// The `name` sub-attributes.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeekName<'a> {
    /// `name.givenName`.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub given_name: Option<Cow<'a, str>>,
    /// `name.familyName`.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub family_name: Option<Cow<'a, str>>,
    /// `name.formatted`.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub formatted: Option<Cow<'a, str>>,
    /// `name.middleName`.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub middle_name: Option<Cow<'a, str>>,
    /// `name.honorificPrefix`.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub honorific_prefix: Option<Cow<'a, str>>,
    /// `name.honorificSuffix`.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub honorific_suffix: Option<Cow<'a, str>>,
}

/// One of `emails`.
#[derive(Debug, Default, Deserialize)]
pub struct PeekEmail<'a> {
    /// `value`.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub value: Option<Cow<'a, str>>,
    /// `type`.
    #[serde(borrow, default, rename = "type", deserialize_with = "borrowed")]
    pub kind: Option<Cow<'a, str>>,
    /// `primary`.
    #[serde(default)]
    pub primary: Option<bool>,
}

/// Reads an optional string, borrowing it from the input unless it has escapes. (serde borrows a
/// bare `Cow<str>` field, but not one inside an `Option`.)
fn borrowed<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, str>>, D::Error> {
    #[derive(Deserialize)]
    struct Text<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Text<'a>>::deserialize(d)?.map(|t| t.0))
}

fn text(v: Option<&Value>) -> Option<Cow<'static, str>> {
    v.and_then(Value::as_str).map(|s| Cow::Owned(s.to_owned()))
}

impl Peek<'_> {
    /// The lenient read: each field that has the expected type, the rest left out.
    fn from_map(m: &Map<String, Value>) -> Peek<'static> {
        let name = m.get("name").and_then(Value::as_object).map(|n| PeekName {
            given_name: text(n.get("givenName")),
            family_name: text(n.get("familyName")),
            formatted: text(n.get("formatted")),
            middle_name: text(n.get("middleName")),
            honorific_prefix: text(n.get("honorificPrefix")),
            honorific_suffix: text(n.get("honorificSuffix")),
        });
        let emails = m.get("emails").and_then(Value::as_array).map(|es| {
            es.iter()
                .filter(|e| e.is_object())
                .map(|e| PeekEmail {
                    value: text(e.get("value")),
                    kind: text(e.get("type")),
                    primary: e.get("primary").and_then(Value::as_bool),
                })
                .collect()
        });
        Peek {
            display_name: text(m.get("displayName")),
            external_id: text(m.get("externalId")),
            preferred_language: text(m.get("preferredLanguage")),
            name,
            emails,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(v: Value) -> Attributes {
        Attributes::from(v.as_object().cloned().unwrap_or_default())
    }

    #[test]
    fn the_object_round_trips_in_order() {
        let v = json!({"userName": "a@x", "zeta": 1, "alpha": {"b": [1, "two", null]}});
        let a = attrs(v.clone());
        assert_eq!(Value::Object(a.to_map()), v);
        assert_eq!(a.as_json(), r#"{"userName":"a@x","zeta":1,"alpha":{"b":[1,"two",null]}}"#);
    }

    #[test]
    fn peek_borrows_plain_strings_and_decodes_escaped_ones() {
        let a = attrs(json!({
            "displayName": "Ann \"A\" Lee",
            "externalId": "ext-1",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "a@x", "type": "work", "primary": true}, {"value": "b@x"}],
        }));
        let p = a.peek();
        assert_eq!(p.display_name.as_deref(), Some("Ann \"A\" Lee"));
        assert!(matches!(p.external_id, Some(Cow::Borrowed("ext-1"))));
        let name = p.name.expect("name");
        assert_eq!(name.given_name.as_deref(), Some("Ann"));
        assert_eq!(name.formatted, None);
        let emails = p.emails.expect("emails");
        assert_eq!(emails.len(), 2);
        assert_eq!(emails[0].kind.as_deref(), Some("work"));
        assert_eq!(emails[0].primary, Some(true));
        assert_eq!(emails[1].primary, None);
    }

    #[test]
    fn peek_keeps_the_well_typed_fields_of_an_oddly_typed_object() {
        let a = attrs(json!({
            "displayName": "D",
            "externalId": 42,
            "name": "not an object",
            "emails": [{"value": "a@x", "primary": "yes"}, 7],
        }));
        let p = a.peek();
        assert_eq!(p.display_name.as_deref(), Some("D"));
        assert_eq!(p.external_id, None);
        assert!(p.name.is_none());
        let emails = p.emails.expect("emails");
        assert_eq!(emails.len(), 1);
        assert_eq!(emails[0].value.as_deref(), Some("a@x"));
        assert_eq!(emails[0].primary, None);
    }

    #[test]
    fn an_empty_object_peeks_as_nothing() {
        let empty = Attributes::default();
        let p = empty.peek();
        assert!(p.display_name.is_none() && p.name.is_none() && p.emails.is_none());
    }
}

//! `${name.field}` variables: values captured from earlier steps (and the built-in `tenant` and
//! `target`), substituted into later steps before they run.
//!
//! A string that is exactly one reference takes the referenced JSON value as is (so
//! `active: ${jane.active}` stays a boolean); references inside longer strings are rendered as
//! text. `$${` writes a literal `${`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::jsonpath::JsonPath;

/// Captured values by name.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    values: BTreeMap<String, Value>,
}

/// Why a substitution failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VarError {
    /// `${` without `}`.
    #[error("unterminated variable reference in {0:?}")]
    Unterminated(String),
    /// The reference is not a name followed by an optional path.
    #[error("invalid variable reference ${{{0}}}: {1}")]
    Invalid(String, String),
    /// No variable of that name.
    #[error("unknown variable ${{{0}}}: no earlier step captured {1:?}")]
    Unknown(String, String),
    /// The name exists but the path selects nothing.
    #[error("variable ${{{0}}} selects nothing in the captured value {1}")]
    Missing(String, String),
}

/// A reference split into its variable name and JSONPath.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarRef {
    /// The text between `${` and `}`.
    pub text: String,
    /// The variable name.
    pub name: String,
    /// The path into its value (`$` for the whole value).
    pub path: JsonPath,
}

/// Parses the inside of `${...}`: `name`, `name.field`, `name.list[0].field`.
pub fn parse_ref(text: &str) -> Result<VarRef, VarError> {
    let end = text.find(['.', '[']).unwrap_or(text.len());
    let name = &text[..end];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(VarError::Invalid(
            text.to_owned(),
            "a name uses letters, digits, '_' and '-'".into(),
        ));
    }
    let path = JsonPath::parse(&format!("${}", &text[end..]))
        .map_err(|e| VarError::Invalid(text.to_owned(), e.reason))?;
    Ok(VarRef { text: text.to_owned(), name: name.to_owned(), path })
}

/// Every reference in a string, in order.
pub fn refs_in(s: &str) -> Result<Vec<VarRef>, VarError> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(pos) = rest.find("${") {
        if pos > 0 && rest[..pos].ends_with('$') {
            rest = &rest[pos + 2..];
            continue;
        }
        let after = &rest[pos + 2..];
        let close = after.find('}').ok_or_else(|| VarError::Unterminated(s.to_owned()))?;
        out.push(parse_ref(&after[..close])?);
        rest = &after[close + 1..];
    }
    Ok(out)
}

/// Every reference in any string of a JSON value.
pub fn refs_in_value(v: &Value) -> Result<Vec<VarRef>, VarError> {
    let mut out = Vec::new();
    walk_strings(v, &mut |s| {
        out.extend(refs_in(s)?);
        Ok(())
    })?;
    Ok(out)
}

fn walk_strings(
    v: &Value,
    f: &mut dyn FnMut(&str) -> Result<(), VarError>,
) -> Result<(), VarError> {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().try_for_each(|x| walk_strings(x, f)),
        Value::Object(o) => o.iter().try_for_each(|(k, x)| {
            f(k)?;
            walk_strings(x, f)
        }),
        _ => Ok(()),
    }
}

impl Vars {
    /// Sets a variable.
    pub fn set(&mut self, name: impl Into<String>, value: Value) {
        self.values.insert(name.into(), value);
    }

    /// A variable's value.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    fn resolve(&self, r: &VarRef) -> Result<Value, VarError> {
        let v = self
            .values
            .get(&r.name)
            .ok_or_else(|| VarError::Unknown(r.text.clone(), r.name.clone()))?;
        let found = r.path.select(v);
        match found.as_slice() {
            [] => Err(VarError::Missing(r.text.clone(), compact(v))),
            [one] => Ok((*one).clone()),
            many => Ok(Value::Array(many.iter().map(|x| (*x).clone()).collect())),
        }
    }

    /// Substitutes references in one string.
    pub fn substitute_str(&self, s: &str) -> Result<Value, VarError> {
        if !s.contains("${") {
            return Ok(Value::String(s.to_owned()));
        }
        // A whole-string reference keeps the value's JSON type.
        if let Some(inner) = s.strip_prefix("${").and_then(|x| x.strip_suffix('}'))
            && !inner.contains('}')
            && !inner.contains("${")
        {
            return self.resolve(&parse_ref(inner)?);
        }
        let mut out = String::new();
        let mut rest = s;
        while let Some(pos) = rest.find("${") {
            if pos > 0 && rest[..pos].ends_with('$') {
                out.push_str(&rest[..pos - 1]);
                out.push_str("${");
                rest = &rest[pos + 2..];
                continue;
            }
            out.push_str(&rest[..pos]);
            let after = &rest[pos + 2..];
            let close = after.find('}').ok_or_else(|| VarError::Unterminated(s.to_owned()))?;
            match self.resolve(&parse_ref(&after[..close])?)? {
                Value::String(x) => out.push_str(&x),
                other => out.push_str(&compact(&other)),
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        Ok(Value::String(out))
    }

    /// Substitutes references in every string (and object key) of a JSON value.
    pub fn substitute(&self, v: &Value) -> Result<Value, VarError> {
        Ok(match v {
            Value::String(s) => self.substitute_str(s)?,
            Value::Array(a) => {
                Value::Array(a.iter().map(|x| self.substitute(x)).collect::<Result<_, _>>()?)
            }
            Value::Object(o) => {
                let mut m = serde_json::Map::new();
                for (k, x) in o {
                    let key = match self.substitute_str(k)? {
                        Value::String(s) => s,
                        other => compact(&other),
                    };
                    m.insert(key, self.substitute(x)?);
                }
                Value::Object(m)
            }
            other => other.clone(),
        })
    }
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn vars() -> Vars {
        let mut v = Vars::default();
        v.set("jane", json!({"id": "ABC", "active": true, "groups": [{"id": "g1"}]}));
        v
    }

    #[test]
    fn whole_string_reference_keeps_type() {
        let v = vars();
        assert_eq!(v.substitute_str("${jane.active}").unwrap(), json!(true));
        assert_eq!(v.substitute_str("${jane.groups[0].id}").unwrap(), json!("g1"));
        assert_eq!(v.substitute_str("${jane}").unwrap()["id"], json!("ABC"));
    }

    #[test]
    fn embedded_references_render_as_text() {
        let v = vars();
        assert_eq!(v.substitute_str("/Users/${jane.id}?x=1").unwrap(), json!("/Users/ABC?x=1"));
        assert_eq!(v.substitute_str("cost $${x}").unwrap(), json!("cost ${x}"));
        let doc = json!({"path": "/Users/${jane.id}", "n": [1, "${jane.active}"]});
        assert_eq!(v.substitute(&doc).unwrap(), json!({"path": "/Users/ABC", "n": [1, true]}));
    }

    #[test]
    fn errors_name_the_reference() {
        let v = vars();
        assert!(
            matches!(v.substitute_str("${bob.id}"), Err(VarError::Unknown(_, n)) if n == "bob")
        );
        assert!(matches!(v.substitute_str("${jane.nope}"), Err(VarError::Missing(..))));
        assert!(matches!(v.substitute_str("x ${jane.id"), Err(VarError::Unterminated(_))));
        assert!(matches!(v.substitute_str("${!}"), Err(VarError::Invalid(..))));
    }

    #[test]
    fn finds_references() {
        let refs = refs_in("a ${x.id} b ${y} $${z}").unwrap();
        let names: Vec<_> = refs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["x", "y"]);
    }
}

//! Turning a client's resource document into something the domain can store: canonical
//! attribute-name case, `null` meaning unassigned, IdP tolerance (`"True"`/`"False"` booleans,
//! a one-element array for a single-valued complex attribute), and type checks whose errors say
//! which attribute and what was wrong.

use scim::ScimError;
use scim::schema::{AttrType, Attribute, ResourceSchema};
use serde_json::{Map, Value};

use super::schemas::find;

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn expected(kind: AttrType) -> &'static str {
    match kind {
        AttrType::String => "a string",
        AttrType::Boolean => "a boolean",
        AttrType::Decimal => "a number",
        AttrType::Integer => "an integer",
        AttrType::DateTime => "a dateTime string",
        AttrType::Binary => "a base64 string",
        AttrType::Reference => "a URI string",
        AttrType::Complex => "an object",
    }
}

fn type_error(path: &str, kind: AttrType, got: &Value) -> ScimError {
    ScimError::invalid_value(format!(
        "attribute {path:?} must be {}, got {}",
        expected(kind),
        kind_name(got)
    ))
}

/// Checks (and tolerantly coerces) one value of a single-valued attribute. Returns `None` when
/// the value is `null` (unassigned).
fn check_single(def: &Attribute, value: Value, path: &str) -> Result<Option<Value>, ScimError> {
    Ok(Some(match (def.kind, value) {
        (_, Value::Null) => return Ok(None),
        (AttrType::Boolean, Value::Bool(b)) => Value::Bool(b),
        (AttrType::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("true") => {
            Value::Bool(true)
        }
        (AttrType::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("false") => {
            Value::Bool(false)
        }
        (
            AttrType::String | AttrType::Reference | AttrType::DateTime | AttrType::Binary,
            Value::String(s),
        ) => {
            if def.kind == AttrType::DateTime && chrono::DateTime::parse_from_rfc3339(&s).is_err() {
                return Err(ScimError::invalid_value(format!(
                    "attribute {path:?} must be an xsd:dateTime (RFC 3339), got {s:?}"
                )));
            }
            Value::String(s)
        }
        (AttrType::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => Value::Number(n),
        (AttrType::Decimal, Value::Number(n)) => Value::Number(n),
        (AttrType::Complex, Value::Array(mut a)) if a.len() == 1 && a[0].is_object() => {
            // Entra sends single-valued complex attributes (manager) as a one-element array.
            return check_single(def, a.remove(0), path);
        }
        (AttrType::Complex, Value::Object(o)) => Value::Object(check_complex(def, o, path)?),
        (kind, other) => return Err(type_error(path, kind, &other)),
    }))
}

fn check_complex(
    def: &Attribute,
    obj: Map<String, Value>,
    path: &str,
) -> Result<Map<String, Value>, ScimError> {
    let mut out = Map::new();
    for (k, v) in obj {
        match find(&def.sub_attributes, &k) {
            Some(sub) => {
                let p = format!("{path}.{}", sub.name);
                if let Some(v) = check_single(sub, v, &p)? {
                    out.insert(sub.name.clone(), v);
                }
            }
            // Unknown sub-attributes are kept as sent (stored, returned in the full payload).
            None if !v.is_null() => {
                out.insert(k, v);
            }
            None => {}
        }
    }
    Ok(out)
}

/// Checks and coerces one attribute's value (single or multi-valued).
pub fn check_value(def: &Attribute, value: Value, path: &str) -> Result<Option<Value>, ScimError> {
    if !def.multi_valued {
        return check_single(def, value, path);
    }
    match value {
        Value::Null => Ok(None),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                if let Some(v) = check_single(def, item, &format!("{path}[{i}]"))? {
                    out.push(v);
                }
            }
            Ok(Some(Value::Array(out)))
        }
        other => Err(ScimError::invalid_value(format!(
            "attribute {path:?} is multi-valued and must be an array, got {}",
            kind_name(&other)
        ))),
    }
}

fn normalise_attrs(
    doc: Map<String, Value>,
    attrs: &[Attribute],
    prefix: &str,
) -> Result<Map<String, Value>, ScimError> {
    let mut out = Map::new();
    for (k, v) in doc {
        match find(attrs, &k) {
            Some(def) => {
                let path = format!("{prefix}{}", def.name);
                if let Some(v) = check_value(def, v, &path)? {
                    out.insert(def.name.clone(), v);
                }
            }
            None if !v.is_null() => {
                out.insert(k, v);
            }
            None => {}
        }
    }
    Ok(out)
}

/// Normalises a whole resource document (core attributes and extension objects).
pub fn normalise(
    doc: Map<String, Value>,
    schema: &ResourceSchema,
) -> Result<Map<String, Value>, ScimError> {
    let mut core = Map::new();
    let mut out = Map::new();
    for (k, v) in doc {
        if let Some(ext) = schema.extensions.iter().find(|e| e.id.eq_ignore_ascii_case(&k)) {
            let Value::Object(obj) = v else {
                if v.is_null() {
                    continue;
                }
                return Err(ScimError::invalid_value(format!(
                    "extension {:?} must be an object, got {}",
                    ext.id,
                    kind_name(&v)
                )));
            };
            let ext_obj = normalise_attrs(obj, &ext.attributes, &format!("{}:", ext.id))?;
            out.insert(ext.id.clone(), Value::Object(ext_obj));
        } else {
            core.insert(k, v);
        }
    }
    let mut core = normalise_attrs(core, &schema.core.attributes, "")?;
    core.append(&mut out);
    Ok(core)
}

/// A POST or PUT body as the resource document it must be: an object whose `schemas`, when
/// present, is an array of strings.
pub fn body_object(body: Value) -> Result<Map<String, Value>, ScimError> {
    match body {
        Value::Object(o) => {
            check_schemas(&o)?;
            Ok(o)
        }
        _ => Err(ScimError::invalid_syntax("the request body must be a JSON object")),
    }
}

/// Refuses a replacement whose `id` is not the one in the URL: `id` is readOnly.
pub fn check_id(doc: &Map<String, Value>, id: &str) -> Result<(), ScimError> {
    match doc.get("id") {
        Some(Value::String(s)) if s != id => Err(ScimError::mutability(format!(
            "attribute \"id\" is readOnly: the body says {s:?} but the URL says {id:?}"
        ))),
        _ => Ok(()),
    }
}

/// The `schemas` of a request, checked to be an array of strings when present.
pub fn check_schemas(doc: &Map<String, Value>) -> Result<(), ScimError> {
    match doc.get("schemas") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => Ok(()),
        Some(other) => Err(ScimError::invalid_syntax(format!(
            "\"schemas\" must be an array of URN strings, got {}",
            kind_name(other)
        ))),
    }
}

//! PATCH (RFC 7644 §3.5.2) applied to a copy of a resource document, so a request whose later
//! operation fails changes nothing. Tolerates what real IdPs send: case-insensitive op names,
//! path-less `replace` with nested, dotted or URN-qualified keys, Entra's `Remove members` with a
//! value array, and `add` to a value path with no match (creates the value, as Entra expects).

use scim::ScimError;
use scim::filter::{AttrPath, CompValue, CompareOp, Filter};
use scim::path::{PatchPath, parse_path};
use scim::schema::{Attribute, Mutability, ResourceSchema, Schema};
use serde_json::{Map, Value};

use super::schemas::find;

/// Most operations one PATCH request may hold.
pub const MAX_OPERATIONS: usize = 1000;

/// Adds `new` values to a multi-valued attribute's `items`, skipping each that equals one
/// already there or has the same `value`. Linear in both: each value is looked up by a
/// canonical form (keys sorted), not compared with every item.
fn add_values(items: &mut Vec<Value>, new: Vec<Value>) {
    let mut whole: std::collections::HashSet<String> = items.iter().map(canonical).collect();
    let mut values: std::collections::HashSet<String> =
        items.iter().filter_map(|it| it.get("value")).map(canonical).collect();
    for v in new {
        let key = canonical(&v);
        let value = v.get("value").map(canonical);
        if whole.contains(&key) || value.as_ref().is_some_and(|k| values.contains(k)) {
            continue;
        }
        whole.insert(key);
        values.extend(value);
        items.push(v);
    }
}

/// Sets `primary` to false on every item that has it true.
fn clear_primary(items: &mut [Value]) {
    for item in items.iter_mut().filter_map(Value::as_object_mut) {
        if item.get("primary") == Some(&Value::Bool(true)) {
            item.insert("primary".to_owned(), Value::Bool(false));
        }
    }
}

/// `v` as text with object keys sorted, so equal values (in any key order) read the same.
fn canonical(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(o) => {
                let mut keys: Vec<&String> = o.keys().collect();
                keys.sort();
                out.push('{');
                for k in keys {
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    write(&o[k.as_str()], out);
                    out.push(',');
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for x in a {
                    write(x, out);
                    out.push(',');
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

/// The three operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// Options that vary with the profile.
#[derive(Debug, Clone, Copy)]
pub struct PatchOptions {
    /// `add`/`replace` on a value path with no matching value creates it.
    pub create_missing_value_path: bool,
}

/// Applies a PatchOp body's `Operations` to `doc`. `id` is the resource id (a path-less
/// `replace` may repeat it, as Okta does).
pub fn apply(
    doc: &mut Map<String, Value>,
    body: &Value,
    id: &str,
    schema: &ResourceSchema,
    opts: PatchOptions,
) -> Result<(), ScimError> {
    let ops = body
        .get("Operations")
        .or_else(|| body.get("operations"))
        .ok_or_else(|| ScimError::invalid_syntax("PatchOp body has no \"Operations\" array"))?;
    let ops = ops
        .as_array()
        .ok_or_else(|| ScimError::invalid_syntax("\"Operations\" must be an array"))?;
    if ops.is_empty() {
        return Err(ScimError::invalid_syntax("\"Operations\" must not be empty"));
    }
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimError::bad_request(
            scim::ScimType::TooMany,
            format!(
                "a PATCH may hold at most {MAX_OPERATIONS} operations; this one has {}",
                ops.len()
            ),
        ));
    }
    for (i, op) in ops.iter().enumerate() {
        apply_one(doc, op, id, schema, opts)
            .map_err(|e| ScimError { detail: format!("Operations[{i}]: {}", e.detail), ..e })?;
    }
    Ok(())
}

fn apply_one(
    doc: &mut Map<String, Value>,
    op: &Value,
    id: &str,
    schema: &ResourceSchema,
    opts: PatchOptions,
) -> Result<(), ScimError> {
    let obj = op
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("an operation must be an object"))?;
    let name = obj
        .get("op")
        .and_then(Value::as_str)
        .ok_or_else(|| ScimError::invalid_value("\"op\" is required and must be a string"))?;
    let kind = match name.to_ascii_lowercase().as_str() {
        "add" => Op::Add,
        "replace" => Op::Replace,
        "remove" => Op::Remove,
        _ => {
            return Err(ScimError::invalid_value(format!(
                "unknown op {name:?}; expected add, replace or remove"
            )));
        }
    };
    let value = obj.get("value");
    match obj.get("path") {
        None | Some(Value::Null) => {
            if kind == Op::Remove {
                return Err(ScimError::no_target("remove needs a \"path\""));
            }
            let Some(Value::Object(v)) = value else {
                return Err(ScimError::invalid_value(
                    "an operation without \"path\" needs an object \"value\"",
                ));
            };
            for (k, v) in v {
                apply_key(doc, kind, k, v, id, schema, opts)?;
            }
            Ok(())
        }
        Some(Value::String(p)) => {
            if kind != Op::Remove && value.is_none() {
                return Err(ScimError::invalid_value(format!("{name} needs a \"value\"")));
            }
            apply_path(doc, kind, p, value, schema, opts)
        }
        Some(_) => Err(ScimError::invalid_path("\"path\" must be a string")),
    }
}

/// One key of a path-less add/replace value: `name`, `name.sub`, `urn:...:attr`, or an
/// extension URN whose value is an object.
fn apply_key(
    doc: &mut Map<String, Value>,
    kind: Op,
    key: &str,
    value: &Value,
    id: &str,
    schema: &ResourceSchema,
    opts: PatchOptions,
) -> Result<(), ScimError> {
    if key.eq_ignore_ascii_case("id") {
        return if value.as_str() == Some(id) {
            Ok(())
        } else {
            Err(ScimError::mutability("attribute \"id\" is readOnly"))
        };
    }
    if key.eq_ignore_ascii_case("schemas") || key.eq_ignore_ascii_case("meta") {
        return Ok(());
    }
    if let Some(ext) = schema.extensions.iter().find(|e| e.id.eq_ignore_ascii_case(key)) {
        let Value::Object(fields) = value else {
            return Err(ScimError::invalid_value(format!("value of {key:?} must be an object")));
        };
        for (k, v) in fields {
            if k == "schemas" {
                continue;
            }
            apply_path(doc, kind, &format!("{}:{k}", ext.id), Some(v), schema, opts)?;
        }
        return Ok(());
    }
    apply_path(doc, kind, key, Some(value), schema, opts)
}

struct Target<'a> {
    def: Option<&'a Attribute>,
    /// Key within the container (canonical case when known).
    key: String,
    /// Extension URN holding the attribute, if any.
    ext: Option<String>,
}

fn resolve<'a>(path: &AttrPath, schema: &'a ResourceSchema) -> Result<Target<'a>, ScimError> {
    let (attrs, ext): (&[Attribute], Option<String>) = match &path.urn {
        None => (&schema.core.attributes, None),
        Some(urn) if urn.eq_ignore_ascii_case(&schema.core.id) => (&schema.core.attributes, None),
        Some(urn) => match schema.extensions.iter().find(|e| e.id.eq_ignore_ascii_case(urn)) {
            Some(e) => (&e.attributes, Some(e.id.clone())),
            None => return Err(ScimError::invalid_path(format!("unknown schema {urn:?}"))),
        },
    };
    let def = find(attrs, &path.name);
    let key = def.map_or_else(|| path.name.to_string(), |d| d.name.clone());
    if let Some(d) = def
        && d.mutability == Mutability::ReadOnly
    {
        return Err(ScimError::mutability(format!("attribute {:?} is readOnly", d.name)));
    }
    Ok(Target { def, key, ext })
}

fn container<'a>(
    doc: &'a mut Map<String, Value>,
    ext: &Option<String>,
) -> &'a mut Map<String, Value> {
    match ext {
        None => doc,
        Some(urn) => {
            let slot = doc.entry(urn.clone()).or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            match slot {
                Value::Object(o) => o,
                _ => unreachable!("just made an object"),
            }
        }
    }
}

/// Finds a key case-insensitively, renaming it to `canonical`.
fn take_key(c: &mut Map<String, Value>, canonical: &str) -> Option<Value> {
    let found = c.keys().find(|k| k.eq_ignore_ascii_case(canonical)).cloned();
    found.and_then(|k| c.remove(&k))
}

fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        let existing = into.keys().find(|x| x.eq_ignore_ascii_case(k)).cloned();
        if let Some(e) = existing {
            into.remove(&e);
        }
        into.insert(k.clone(), v.clone());
    }
}

fn apply_path(
    doc: &mut Map<String, Value>,
    kind: Op,
    raw: &str,
    value: Option<&Value>,
    schema: &ResourceSchema,
    opts: PatchOptions,
) -> Result<(), ScimError> {
    // A bare extension URN as the path targets the whole extension object.
    if let Some(ext) = schema.extensions.iter().find(|e| e.id.eq_ignore_ascii_case(raw)) {
        let c = container(doc, &Some(ext.id.clone()));
        match (kind, value) {
            (Op::Remove, _) => {
                doc.remove(&ext.id);
            }
            (_, Some(Value::Object(v))) => {
                let mut v = v.clone();
                v.remove("schemas");
                merge(c, &v);
            }
            _ => {
                return Err(ScimError::invalid_value(format!(
                    "value of {raw:?} must be an object"
                )));
            }
        }
        return Ok(());
    }
    let parsed =
        parse_path(raw).map_err(|e| ScimError::invalid_path(format!("path {raw:?}: {e}")))?;
    match parsed {
        PatchPath::Attr(path) => {
            let t = resolve(&path, schema)?;
            let sub_def = match (&path.sub_attr, t.def) {
                (Some(s), Some(d)) => find(&d.sub_attributes, s),
                _ => None,
            };
            let sub_name =
                path.sub_attr.as_ref().map(|s| sub_def.map_or(s.to_string(), |d| d.name.clone()));
            let multi = t.def.is_some_and(|d| d.multi_valued);
            let c = container(doc, &t.ext);
            let current = take_key(c, &t.key);
            let new = attr_op(kind, current, value, multi, sub_name.as_deref(), &t.key, t.def)?;
            if let Some(v) = new {
                c.insert(t.key, v);
            }
            Ok(())
        }
        PatchPath::ValuePath { attr, filter, sub_attr } => {
            let t = resolve(&attr, schema)?;
            let def = t.def.ok_or_else(|| {
                ScimError::invalid_path(format!("{:?} is not a multi-valued attribute", attr.name))
            })?;
            let sub_schema = ResourceSchema {
                core: Schema {
                    id: String::new(),
                    name: def.name.clone(),
                    description: String::new(),
                    attributes: def.sub_attributes.clone(),
                },
                extensions: Vec::new(),
            };
            let sub_name = sub_attr
                .as_ref()
                .map(|s| find(&def.sub_attributes, s).map_or(s.clone(), |d| d.name.clone()));
            let c = container(doc, &t.ext);
            let mut items = match take_key(c, &t.key) {
                Some(Value::Array(a)) => a,
                Some(Value::Null) | None => Vec::new(),
                Some(other) => vec![other],
            };
            let mut matched = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if filter.matches(item, &sub_schema)? {
                    matched.push(i);
                }
            }
            let result = value_path_op(
                kind,
                &mut items,
                &matched,
                &filter,
                sub_name.as_deref(),
                value,
                opts,
            );
            if !items.is_empty() || result.is_err() {
                c.insert(t.key.clone(), Value::Array(items));
            }
            result.map_err(|e| ScimError { detail: format!("path {raw:?}: {}", e.detail), ..e })
        }
    }
}

/// add/replace/remove on a plain attribute path. Returns the new value (`None` = unassigned).
fn attr_op(
    kind: Op,
    current: Option<Value>,
    value: Option<&Value>,
    multi: bool,
    sub: Option<&str>,
    key: &str,
    def: Option<&Attribute>,
) -> Result<Option<Value>, ScimError> {
    if let Some(sub) = sub {
        let set = |o: &mut Map<String, Value>| {
            o.retain(|k, _| !k.eq_ignore_ascii_case(sub));
            if kind != Op::Remove
                && let Some(v) = value
            {
                o.insert(sub.to_owned(), v.clone());
            }
        };
        return Ok(match current {
            Some(Value::Array(mut a)) => {
                a.iter_mut().filter_map(Value::as_object_mut).for_each(set);
                Some(Value::Array(a))
            }
            Some(Value::Object(mut o)) => {
                set(&mut o);
                Some(Value::Object(o))
            }
            _ if kind == Op::Remove => None,
            _ => {
                let mut o = Map::new();
                set(&mut o);
                Some(Value::Object(o))
            }
        });
    }
    match kind {
        Op::Remove => {
            if def.is_some_and(|d| d.required) {
                return Err(ScimError::mutability(format!(
                    "attribute {key:?} is required and cannot be removed"
                )));
            }
            match (multi, current, value) {
                // Entra: `Remove` `members` with a value array removes the listed values.
                (true, Some(Value::Array(mut items)), Some(Value::Array(gone))) => {
                    let gone: Vec<&Value> = gone.iter().filter_map(|g| g.get("value")).collect();
                    items.retain(|it| !it.get("value").is_some_and(|v| gone.contains(&v)));
                    Ok((!items.is_empty()).then_some(Value::Array(items)))
                }
                _ => Ok(None),
            }
        }
        Op::Add | Op::Replace => {
            let value = value.cloned().unwrap_or(Value::Null);
            if multi {
                let new_items = match value {
                    Value::Array(a) => a,
                    other => vec![other],
                };
                if kind == Op::Replace {
                    return Ok(Some(Value::Array(new_items)));
                }
                let mut items = match current {
                    Some(Value::Array(a)) => a,
                    _ => Vec::new(),
                };
                // RFC 7644 §3.5.2: a value added with `"primary": true` takes primary from any
                // existing value (RFC 7643 §2.4: at most one primary).
                if new_items.iter().any(|v| v.get("primary") == Some(&Value::Bool(true))) {
                    clear_primary(&mut items);
                }
                add_values(&mut items, new_items);
                return Ok(Some(Value::Array(items)));
            }
            match (current, value) {
                (Some(Value::Object(mut o)), Value::Object(v)) => {
                    merge(&mut o, &v);
                    Ok(Some(Value::Object(o)))
                }
                (_, v) => Ok(Some(v)),
            }
        }
    }
}

/// The `attr eq "x"` comparisons a value-path filter is made of, when it is only those (so a
/// missing value can be created from them).
fn eq_parts(f: &Filter, out: &mut Map<String, Value>) -> bool {
    match f {
        Filter::Compare { path, op: CompareOp::Eq, value } if path.sub_attr.is_none() => {
            let v = match value {
                CompValue::String(s) => Value::String(s.to_string()),
                CompValue::Bool(b) => Value::Bool(*b),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::Null => return false,
            };
            out.insert(path.name.to_string(), v);
            true
        }
        Filter::And(a, b) => eq_parts(a, out) && eq_parts(b, out),
        _ => false,
    }
}

fn value_path_op(
    kind: Op,
    items: &mut Vec<Value>,
    matched: &[usize],
    filter: &Filter,
    sub: Option<&str>,
    value: Option<&Value>,
    opts: PatchOptions,
) -> Result<(), ScimError> {
    if kind == Op::Remove {
        match sub {
            None => {
                let mut i = 0;
                items.retain(|_| {
                    let keep = !matched.contains(&i);
                    i += 1;
                    keep
                });
            }
            Some(s) => {
                for &i in matched {
                    if let Some(o) = items[i].as_object_mut() {
                        o.retain(|k, _| !k.eq_ignore_ascii_case(s));
                    }
                }
            }
        }
        return Ok(());
    }
    let value = value.cloned().unwrap_or(Value::Null);
    if matched.is_empty() {
        let mut created = Map::new();
        // `add` has no RFC-defined outcome here and Entra relies on it creating the value;
        // `replace` creates only when the profile says so (RFC 7644 §3.5.2.3: noTarget).
        let may_create = kind == Op::Add || opts.create_missing_value_path;
        if !may_create || !eq_parts(filter, &mut created) {
            return Err(ScimError::no_target("no value matches the filter"));
        }
        match (sub, value) {
            (Some(s), v) => {
                created.insert(s.to_owned(), v);
            }
            (None, Value::Object(v)) => merge(&mut created, &v),
            (None, _) => return Err(ScimError::invalid_value("the value must be an object")),
        }
        items.push(Value::Object(created));
        return Ok(());
    }
    for &i in matched {
        let Some(o) = items[i].as_object_mut() else { continue };
        match (sub, &value) {
            (Some(s), v) => {
                o.retain(|k, _| !k.eq_ignore_ascii_case(s));
                o.insert(s.to_owned(), v.clone());
            }
            (None, Value::Object(v)) => {
                if kind == Op::Replace {
                    o.clear();
                }
                merge(o, v);
            }
            (None, _) => return Err(ScimError::invalid_value("the value must be an object")),
        }
    }
    Ok(())
}

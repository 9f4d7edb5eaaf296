//! The evaluator: [`Filter::matches`] over `serde_json::Value` resources.
//!
//! Evaluation is two passes. [`validate`] checks every comparison against the schema (operator
//! allowed for the type, value of the right kind), so a bad filter is a 400 `invalidFilter`
//! whatever the data — even when there are no resources to compare. [`eval`] then cannot fail:
//! data of an unexpected shape simply does not match.

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use super::{AttrPath, CompValue, CompareOp, Filter};
use crate::error::ScimError;
use crate::schema::{AttrType, Attribute, Location, ResourceSchema};

/// Where paths are resolved: the resource itself, or one value of a multi-valued complex
/// attribute inside `attr[...]`.
#[derive(Clone, Copy)]
pub(super) enum Scope<'s> {
    Top(&'s ResourceSchema),
    Element(&'s Attribute),
}

/// A path resolved in a scope: where its value lives and the definitions that type it.
pub(super) struct Target<'s> {
    location: Location<'s>,
    pub(super) attr: &'s Attribute,
    pub(super) sub: Option<&'s Attribute>,
}

pub(super) fn resolve<'s>(scope: Scope<'s>, path: &AttrPath) -> Option<Target<'s>> {
    match scope {
        Scope::Top(schema) => {
            let r = schema.resolve_path(path)?;
            Some(Target { location: r.location, attr: r.attr, sub: r.sub })
        }
        // Inside brackets names are relative to the element and go one level deep only.
        Scope::Element(parent) => {
            if path.urn.is_some() || path.sub_attr.is_some() {
                return None;
            }
            let attr = parent.sub_attribute(&path.name)?;
            Some(Target { location: Location::Core, attr, sub: None })
        }
    }
}

/// What a comparison compares, decided once from the schema.
enum Plan<'f> {
    /// `eq null` / `ne null`: a question about assignment.
    Null,
    /// String-like (string, reference, binary, and co/sw/ew on dateTime).
    Text {
        case_exact: bool,
        value: Cow<'f, str>,
    },
    Bool(bool),
    Number(serde_json::Number),
    Time(DateTime<FixedOffset>),
}

/// The attribute a comparison really looks at: `emails` compares `emails.value`.
pub(super) fn compared_attr<'s>(
    t: &Target<'s>,
    path: &AttrPath,
) -> Result<&'s Attribute, ScimError> {
    if let Some(sub) = t.sub {
        return Ok(sub);
    }
    if t.attr.kind != AttrType::Complex {
        return Ok(t.attr);
    }
    match t.attr.sub_attribute("value") {
        Some(v) if t.attr.multi_valued => Ok(v),
        _ => Err(ScimError::invalid_filter(format!(
            "'{path}' is a complex attribute; compare one of its sub-attributes ({})",
            t.attr
                .sub_attributes
                .iter()
                .map(|s| format!("{path}.{}", s.name))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn plan<'f>(
    def: &Attribute,
    path: &AttrPath,
    op: CompareOp,
    value: &'f CompValue,
) -> Result<Plan<'f>, ScimError> {
    use CompareOp::*;
    if matches!(value, CompValue::Null) {
        return match op {
            Eq | Ne => Ok(Plan::Null),
            _ => Err(ScimError::invalid_filter(format!(
                "'{path} {op} null': null can only be compared with eq or ne"
            ))),
        };
    }
    let ordering = matches!(op, Gt | Ge | Lt | Le);
    let substring = matches!(op, Co | Sw | Ew);
    let kind = def.kind.as_str();
    let mismatch = |want: &str| {
        ScimError::invalid_filter(format!(
            "'{path}' is a {kind} attribute; compare it with {want}, not {value}"
        ))
    };
    let no_op = || {
        ScimError::invalid_filter(format!(
            "'{op}' is not defined for the {kind} attribute '{path}'"
        ))
    };
    match def.kind {
        AttrType::Boolean => {
            if ordering || substring {
                return Err(no_op());
            }
            match value {
                CompValue::Bool(b) => Ok(Plan::Bool(*b)),
                // Some clients quote booleans; the meaning is unambiguous.
                CompValue::String(s) if s.eq_ignore_ascii_case("true") => Ok(Plan::Bool(true)),
                CompValue::String(s) if s.eq_ignore_ascii_case("false") => Ok(Plan::Bool(false)),
                _ => Err(mismatch("true or false")),
            }
        }
        AttrType::Binary => {
            if ordering || substring {
                return Err(no_op());
            }
            match value {
                CompValue::String(s) => Ok(Plan::Text { case_exact: true, value: Cow::Borrowed(s) }),
                _ => Err(mismatch("a base64 \"string\"")),
            }
        }
        AttrType::Integer | AttrType::Decimal => {
            if substring {
                return Err(no_op());
            }
            match value {
                CompValue::Number(n) => Ok(Plan::Number(n.clone())),
                _ => Err(mismatch("a number")),
            }
        }
        AttrType::DateTime => match value {
            CompValue::String(s) if substring => Ok(Plan::Text { case_exact: true, value: Cow::Borrowed(s) }),
            CompValue::String(s) => parse_date_time(s).map(Plan::Time).map_err(|_| {
                ScimError::invalid_filter(format!(
                    "'{path}' is a dateTime attribute; {value} is not an xsd:dateTime such as \"2011-05-13T04:42:34Z\""
                ))
            }),
            _ => Err(mismatch("a quoted xsd:dateTime such as \"2011-05-13T04:42:34Z\"")),
        },
        AttrType::String | AttrType::Reference | AttrType::Complex => match value {
            CompValue::String(s) => {
                let value = if def.case_exact { Cow::Borrowed(s.as_str()) } else { fold(s) };
                Ok(Plan::Text { case_exact: def.case_exact, value })
            }
            _ => Err(mismatch("a quoted \"string\"")),
        },
    }
}

/// Checks `filter` against `schema` without looking at any data.
pub(super) fn validate(filter: &Filter, schema: &ResourceSchema) -> Result<(), ScimError> {
    validate_in(filter, Scope::Top(schema))
}

fn validate_in(filter: &Filter, scope: Scope<'_>) -> Result<(), ScimError> {
    match filter {
        Filter::Compare { path, op, value } => {
            if let Some(t) = resolve(scope, path) {
                plan(compared_attr(&t, path)?, path, *op, value)?;
            } else if matches!(value, CompValue::Null)
                && !matches!(op, CompareOp::Eq | CompareOp::Ne)
            {
                return Err(ScimError::invalid_filter(format!(
                    "'{path} {op} null': null can only be compared with eq or ne"
                )));
            }
            Ok(())
        }
        Filter::Present(_) => Ok(()),
        Filter::And(a, b) | Filter::Or(a, b) => {
            validate_in(a, scope)?;
            validate_in(b, scope)
        }
        Filter::Not(inner) => validate_in(inner, scope),
        Filter::ValuePath { attr, filter } => match resolve(scope, attr) {
            Some(t) if t.sub.is_none() && t.attr.kind == AttrType::Complex => {
                validate_in(filter, Scope::Element(t.attr))
            }
            Some(t) if t.sub.is_none() => Err(ScimError::invalid_filter(format!(
                "'{attr}[...]': a value filter needs a complex attribute, and '{attr}' is a {}",
                t.attr.kind.as_str()
            ))),
            // An undefined attribute is unassigned: its value filter matches nothing.
            _ => Ok(()),
        },
    }
}

pub(super) fn matches(
    filter: &Filter,
    resource: &Value,
    schema: &ResourceSchema,
) -> Result<bool, ScimError> {
    validate(filter, schema)?;
    Ok(matches_validated(filter, resource, schema))
}

/// [`matches`] for a filter [`validate`] accepted: scans validate once, not once per resource.
pub(super) fn matches_validated(
    filter: &Filter,
    resource: &Value,
    schema: &ResourceSchema,
) -> bool {
    match resource.as_object() {
        Some(obj) => eval(filter, obj, Scope::Top(schema)),
        None => false,
    }
}

/// Case-insensitive key lookup (attribute names are case-insensitive, RFC 7644 §3.10).
fn get_ci<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

/// The JSON node holding the target's top-level attribute.
fn top_node<'v>(obj: &'v Map<String, Value>, t: &Target<'_>) -> Option<&'v Value> {
    match t.location {
        Location::Core => get_ci(obj, &t.attr.name),
        Location::Extension(urn) => get_ci(get_ci(obj, urn)?.as_object()?, &t.attr.name),
    }
}

/// Pushes `v`'s non-null values (flattening arrays).
fn push_values<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    match v {
        Value::Null => {}
        Value::Array(items) => out.extend(items.iter().filter(|x| !x.is_null())),
        other => out.push(other),
    }
}

/// The values a path denotes. `for_compare` makes a multi-valued complex attribute without a
/// sub-attribute stand for its `value` sub-attributes (`emails co "x"`); for `pr` it stands for
/// the elements themselves.
fn values<'v>(obj: &'v Map<String, Value>, t: &Target<'_>, for_compare: bool) -> Vec<&'v Value> {
    let mut out = Vec::new();
    let Some(node) = top_node(obj, t) else { return out };
    let sub_name = match t.sub {
        Some(sub) => Some(sub.name.as_str()),
        None if for_compare && t.attr.kind == AttrType::Complex => Some("value"),
        None => None,
    };
    let Some(sub_name) = sub_name else {
        push_values(node, &mut out);
        return out;
    };
    let mut elems = Vec::new();
    push_values(node, &mut elems);
    for e in elems {
        if let Some(v) = e.as_object().and_then(|o| get_ci(o, sub_name)) {
            push_values(v, &mut out);
        }
    }
    out
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(present),
        Value::Object(o) => o.values().any(present),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

fn eval(filter: &Filter, obj: &Map<String, Value>, scope: Scope<'_>) -> bool {
    match filter {
        Filter::Compare { path, op, value } => {
            let Some(t) = resolve(scope, path) else {
                // Unassigned: only `eq null` holds (and `ne` of anything but null).
                return match (op, value) {
                    (CompareOp::Eq, CompValue::Null) => true,
                    (CompareOp::Ne, CompValue::Null) => false,
                    (CompareOp::Ne, _) => true,
                    _ => false,
                };
            };
            let Ok(def) = compared_attr(&t, path) else { return false };
            let Ok(plan) = plan(def, path, *op, value) else { return false };
            let vals = values(obj, &t, true);
            match (op, &plan) {
                (CompareOp::Eq, Plan::Null) => vals.is_empty(),
                (CompareOp::Ne, Plan::Null) => !vals.is_empty(),
                // `ne` is the negation of `eq` over the whole attribute.
                (CompareOp::Ne, _) => !vals.iter().any(|v| compare(v, CompareOp::Eq, &plan)),
                _ => vals.iter().any(|v| compare(v, *op, &plan)),
            }
        }
        Filter::Present(path) => match resolve(scope, path) {
            Some(t) => values(obj, &t, false).into_iter().any(present),
            None => false,
        },
        Filter::And(a, b) => eval(a, obj, scope) && eval(b, obj, scope),
        Filter::Or(a, b) => eval(a, obj, scope) || eval(b, obj, scope),
        Filter::Not(inner) => !eval(inner, obj, scope),
        Filter::ValuePath { attr, filter } => {
            let Some(t) = resolve(scope, attr) else { return false };
            if t.sub.is_some() || t.attr.kind != AttrType::Complex {
                return false;
            }
            let inner = Scope::Element(t.attr);
            values(obj, &t, false)
                .into_iter()
                .filter_map(Value::as_object)
                .any(|elem| eval(filter, elem, inner))
        }
    }
}

/// An xsd:dateTime. RFC 3339 (with an offset) is the norm; a value without an offset, which
/// xsd:dateTime allows, is read as UTC rather than refused.
fn parse_date_time(s: &str) -> Result<DateTime<FixedOffset>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).or_else(|e| {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
            .map(|n| n.and_utc().fixed_offset())
            .map_err(|_| e)
    })
}

/// Lowercases for case-insensitive comparison, without allocating when there is nothing to do.
fn fold(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

fn ordered(ord: Option<Ordering>, op: CompareOp) -> bool {
    let Some(ord) = ord else { return false };
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn cmp_numbers(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// One (present) value against the plan.
fn compare(v: &Value, op: CompareOp, plan: &Plan) -> bool {
    match plan {
        // A present value is never equal to null.
        Plan::Null => false,
        Plan::Bool(b) => v.as_bool() == Some(*b) && op == CompareOp::Eq,
        Plan::Number(n) => match v {
            Value::Number(x) => ordered(cmp_numbers(x, n), op),
            _ => false,
        },
        Plan::Time(t) => match v.as_str().map(parse_date_time) {
            Some(Ok(x)) => ordered(Some(x.cmp(t)), op),
            _ => false,
        },
        Plan::Text { case_exact, value } => {
            let Some(s) = v.as_str() else { return false };
            let s = if *case_exact { Cow::Borrowed(s) } else { fold(s) };
            let (s, value) = (s.as_ref(), value.as_ref());
            match op {
                CompareOp::Co => s.contains(value),
                CompareOp::Sw => s.starts_with(value),
                CompareOp::Ew => s.ends_with(value),
                _ => ordered(Some(s.cmp(value)), op),
            }
        }
    }
}

//! A necessary condition on a resource's JSON text, read off a filter: what any matching
//! resource's compact JSON must contain.
//!
//! Servers that keep resources as JSON text (the emulator does) use it to skip, without parsing,
//! the resources a non-indexed filter cannot match: `name.familyName eq "Lee"` can only match a
//! resource whose text contains `"lee"` (case-folded), and a substring search over 200 bytes is
//! a few tens of nanoseconds, where parsing the text and evaluating is microseconds. The resources
//! that pass are still evaluated in full, so the condition only has to be necessary, never
//! sufficient.
//!
//! The reasoning: for a string comparison `eq`, `sw`, `ew` or `co`, some string value of the
//! resource equals, starts with, ends with or contains the filter's value. In JSON written by
//! `serde_json` a string value appears as `"` + its escaped text + `"`, and ASCII text without
//! `"`, `\` or control characters is its own escape. So when both the filter's value and the
//! resource's text are ASCII, the lower-cased text contains `"value"`, `"value`, `value"` or
//! `value` (lower-cased). Non-ASCII text is never ruled out (Unicode case folding can turn a
//! non-ASCII letter into an ASCII one), nor are comparisons on attributes the caller does not
//! keep in the text, ordering and `ne`, `pr`, `not`, dates, numbers and booleans.

use memchr::memmem::Finder;

use super::eval::{Scope, compared_attr, resolve};
use super::{AttrPath, CompValue, CompareOp, Filter};
use crate::schema::{AttrType, ResourceSchema};

/// Text a matching resource's lower-cased JSON must contain (see the module docs).
#[derive(Debug, Clone)]
pub struct TextNeed(Node);

#[derive(Debug, Clone)]
enum Node {
    /// Boxed: a finder is a few hundred bytes, the other variants a pointer and two words.
    Contains(Box<Finder<'static>>),
    All(Vec<Node>),
    Any(Vec<Node>),
}

impl Node {
    fn holds(&self, text: &[u8]) -> bool {
        match self {
            Node::Contains(f) => f.find(text).is_some(),
            Node::All(ns) => ns.iter().all(|n| n.holds(text)),
            Node::Any(ns) => ns.iter().any(|n| n.holds(text)),
        }
    }
}

impl TextNeed {
    /// Can a resource whose compact JSON text is `text` match? `false` is certain; `true` means
    /// "evaluate it". `buf` is scratch space, reused across calls to avoid an allocation each.
    pub fn admits(&self, text: &str, buf: &mut Vec<u8>) -> bool {
        if !text.is_ascii() {
            return true;
        }
        buf.clear();
        buf.extend_from_slice(text.as_bytes());
        buf.make_ascii_lowercase();
        self.0.holds(buf)
    }
}

/// The condition for `filter`, or `None` when the filter implies none. `stored` says whether a
/// top-level attribute is kept in the text (server-computed ones such as `id` or `meta` are not).
pub(super) fn text_need(
    filter: &Filter,
    schema: &ResourceSchema,
    stored: &dyn Fn(&AttrPath) -> bool,
) -> Option<TextNeed> {
    need(filter, Scope::Top(schema), stored).map(TextNeed)
}

fn need(filter: &Filter, scope: Scope<'_>, stored: &dyn Fn(&AttrPath) -> bool) -> Option<Node> {
    match filter {
        Filter::Compare { path, op, value: CompValue::String(s) } => {
            if matches!(scope, Scope::Top(_)) && !stored(path) {
                return None;
            }
            let target = resolve(scope, path)?;
            let def = compared_attr(&target, path).ok()?;
            if !matches!(def.kind, AttrType::String | AttrType::Reference | AttrType::Binary) {
                return None;
            }
            let plain = |b: u8| b.is_ascii() && b >= 0x20 && b != b'"' && b != b'\\';
            if s.is_empty() || !s.bytes().all(plain) {
                return None;
            }
            let v = s.to_ascii_lowercase();
            let text = match op {
                CompareOp::Eq => format!("\"{v}\""),
                CompareOp::Sw => format!("\"{v}"),
                CompareOp::Ew => format!("{v}\""),
                CompareOp::Co => v.to_string(),
                _ => return None,
            };
            Some(Node::Contains(Box::new(Finder::new(text.as_bytes()).into_owned())))
        }
        Filter::Compare { .. } | Filter::Present(_) | Filter::Not(_) => None,
        Filter::And(a, b) => match (need(a, scope, stored), need(b, scope, stored)) {
            (Some(x), Some(y)) => Some(Node::All(vec![x, y])),
            (x, y) => x.or(y),
        },
        Filter::Or(a, b) => Some(Node::Any(vec![need(a, scope, stored)?, need(b, scope, stored)?])),
        Filter::ValuePath { attr, filter } => {
            if matches!(scope, Scope::Top(_)) && !stored(attr) {
                return None;
            }
            let target = resolve(scope, attr)?;
            if target.sub.is_some() || target.attr.kind != AttrType::Complex {
                return None;
            }
            need(filter, Scope::Element(target.attr), stored)
        }
    }
}

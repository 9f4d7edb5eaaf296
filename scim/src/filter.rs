//! The RFC 7644 §3.4.2.2 filter grammar: AST, parser (nom 8), canonical printer, evaluator.
//!
//! Contract used by the rest of the workspace (keep these names stable):
//! - [`parse`] / `str::parse::<Filter>()` → [`Filter`] or a [`ParseError`] whose `Display` reads
//!   like `column 17: expected a comparison operator (eq, ne, co, ...)`;
//! - `Display for Filter` prints a canonical form that parses back to the same AST;
//! - [`Filter::matches`] evaluates against a JSON resource, driven by a [`ResourceSchema`].

mod eval;
mod parser;
mod prefilter;

pub use prefilter::TextNeed;

use std::fmt;

/// The strings of the AST: names and short values (`userName`, `"bjensen@example.com"`) are
/// kept inline, so parsing the filters IdPs send on every sync allocates nothing.
pub use compact_str::CompactString;
use serde_json::Value;

pub use parser::{MAX_DEPTH, MAX_TERMS};

/// The PATCH path parser shares the filter's lexer; [`crate::path::parse_path`] is the entry.
pub(crate) fn parser_patch_path(input: &str) -> Result<crate::path::PatchPath, ParseError> {
    parser::patch_path(input)
}

use crate::error::ScimError;
use crate::schema::ResourceSchema;

/// An attribute path: `[URN ":"] name ["." subAttr]`.
///
/// Names keep the case they were written with; comparisons are case-insensitive (RFC 7644 §3.10).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// The schema URN prefix, without the trailing `:` (`urn:ietf:params:scim:schemas:...:User`).
    pub urn: Option<CompactString>,
    /// The attribute name (`userName`, `emails`, `$ref`).
    pub name: CompactString,
    /// The sub-attribute name (`familyName` in `name.familyName`).
    pub sub_attr: Option<CompactString>,
}

/// The nine comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// equal
    Eq,
    /// not equal
    Ne,
    /// contains
    Co,
    /// starts with
    Sw,
    /// ends with
    Ew,
    /// greater than
    Gt,
    /// less than
    Lt,
    /// greater than or equal to
    Ge,
    /// less than or equal to
    Le,
}

/// A comparison value: a JSON literal.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A JSON number.
    Number(serde_json::Number),
    /// A JSON string, unescaped.
    String(CompactString),
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath op value`
    Compare {
        /// The attribute compared.
        path: AttrPath,
        /// The operator.
        op: CompareOp,
        /// The value compared with.
        value: CompValue,
    },
    /// `attrPath pr`
    Present(AttrPath),
    /// `a and b`
    And(Box<Filter>, Box<Filter>),
    /// `a or b`
    Or(Box<Filter>, Box<Filter>),
    /// `not (a)`
    Not(Box<Filter>),
    /// `attr[filter]`: the inner filter's paths are relative to `attr`'s values and must all
    /// match within one value. Entra's `emails[type eq "work"].value eq "x"` parses to
    /// `emails[type eq "work" and value eq "x"]`.
    ValuePath {
        /// The multi-valued (or complex) attribute.
        attr: AttrPath,
        /// The filter applied to each of its values.
        filter: Box<Filter>,
    },
}

/// Why a filter string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset into the input where the problem was found.
    pub offset: usize,
    /// 1-based character column of `offset`.
    pub column: usize,
    /// What was expected there, in words ("a comparison operator (eq, ne, co, ...)").
    pub expected: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: expected {}", self.column, self.expected)
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    /// An error at byte `offset` of `input` (clamped to the input and to a char boundary).
    pub fn at(input: &str, offset: usize, expected: impl Into<String>) -> Self {
        let mut offset = offset.min(input.len());
        while !input.is_char_boundary(offset) {
            offset -= 1;
        }
        let column = input[..offset].chars().count() + 1;
        ParseError { offset, column, expected: expected.into() }
    }

    /// The same error as a 400 `invalidPath` (for PATCH paths).
    pub fn into_invalid_path(self) -> ScimError {
        ScimError::invalid_path(self.to_string())
    }
}

impl From<ParseError> for ScimError {
    fn from(e: ParseError) -> Self {
        ScimError::invalid_filter(e.to_string())
    }
}

/// Parses a filter.
///
/// Accepts the full RFC 7644 §3.4.2.2 grammar with errata 7319 (`not (`) and 7322 (boolean
/// expressions inside `[...]`, never nested), `$ref`, URN-qualified names, case-insensitive
/// operators and keywords, extra whitespace, and Entra's `emails[type eq "work"].value eq "x"`.
/// Nesting deeper than [`MAX_DEPTH`] or more than [`MAX_TERMS`] expressions is a clean error.
///
/// ```
/// use scim::filter::{parse, Filter};
/// let f = parse(r#"emails[type eq "work"].value co "@example.com""#).unwrap();
/// assert!(matches!(f, Filter::ValuePath { .. }));
/// assert_eq!(f.to_string(), r#"emails[type eq "work" and value co "@example.com"]"#);
/// let e = parse("userName equals \"x\"").unwrap_err();
/// assert_eq!(e.column, 10);
/// ```
pub fn parse(input: &str) -> Result<Filter, ParseError> {
    parser::filter(input)
}

impl std::str::FromStr for Filter {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

impl CompareOp {
    /// The canonical (lowercase) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Lt => "lt",
            CompareOp::Ge => "ge",
            CompareOp::Le => "le",
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(b) => write!(f, "{b}"),
            CompValue::Number(n) => write!(f, "{n}"),
            CompValue::String(s) => write_json_string(f, s),
        }
    }
}

/// JSON string escaping: `"` and `\\` escaped, control characters as short escapes or `\u00XX`.
fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            _ => None,
        };
        if esc.is_none() && c >= ' ' {
            continue;
        }
        f.write_str(&s[start..i])?;
        match esc {
            Some(e) => f.write_str(e)?,
            None => write!(f, "\\u{:04x}", c as u32)?,
        }
        start = i + c.len_utf8();
    }
    f.write_str(&s[start..])?;
    f.write_str("\"")
}

impl CompValue {
    /// The value as JSON.
    pub fn to_json(&self) -> Value {
        match self {
            CompValue::Null => Value::Null,
            CompValue::Bool(b) => Value::Bool(*b),
            CompValue::Number(n) => Value::Number(n.clone()),
            CompValue::String(s) => Value::String(s.to_string()),
        }
    }
}

impl AttrPath {
    /// A plain attribute path (`userName`).
    pub fn new(name: impl Into<CompactString>) -> Self {
        AttrPath { urn: None, name: name.into(), sub_attr: None }
    }

    /// With a sub-attribute (`name.familyName`).
    pub fn with_sub(mut self, sub: impl Into<CompactString>) -> Self {
        self.sub_attr = Some(sub.into());
        self
    }

    /// With a schema URN prefix.
    pub fn with_urn(mut self, urn: impl Into<CompactString>) -> Self {
        self.urn = Some(urn.into());
        self
    }

    /// Parses an attribute path on its own (`name.familyName`, `urn:...:User:userName`).
    pub fn parse(input: &str) -> Result<AttrPath, ParseError> {
        parser::attr_path_only(input)
    }

    /// Case-insensitive equality of every facet (RFC 7644 §3.10).
    pub fn eq_ignore_case(&self, other: &AttrPath) -> bool {
        fn opt_eq(a: &Option<CompactString>, b: &Option<CompactString>) -> bool {
            match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            }
        }
        self.name.eq_ignore_ascii_case(&other.name)
            && opt_eq(&self.urn, &other.urn)
            && opt_eq(&self.sub_attr, &other.sub_attr)
    }

    /// Does this path name `name` (case-insensitively, no URN, no sub-attribute)?
    pub fn is(&self, name: &str) -> bool {
        self.urn.is_none() && self.sub_attr.is_none() && self.name.eq_ignore_ascii_case(name)
    }

    /// When the whole path is really a schema URN (`urn:...:enterprise:2.0:User`, which the
    /// grammar reads as URN `urn:...:2.0` + name `User`): that URN. PATCH uses it for
    /// extension-wide `add`/`replace`.
    pub fn as_schema_urn(&self) -> Option<String> {
        match (&self.urn, &self.sub_attr) {
            (Some(urn), None) => Some(format!("{urn}:{}", self.name)),
            _ => None,
        }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// Binding strength for the printer: `or` < `and` < everything else.
fn precedence(f: &Filter) -> u8 {
    match f {
        Filter::Or(..) => 1,
        Filter::And(..) => 2,
        _ => 3,
    }
}

/// Prints `f`, parenthesised when it binds looser than its position needs (`min`).
fn write_at(out: &mut fmt::Formatter<'_>, f: &Filter, min: u8) -> fmt::Result {
    if precedence(f) < min {
        out.write_str("(")?;
        write_filter(out, f)?;
        out.write_str(")")
    } else {
        write_filter(out, f)
    }
}

fn write_filter(out: &mut fmt::Formatter<'_>, f: &Filter) -> fmt::Result {
    match f {
        Filter::Compare { path, op, value } => write!(out, "{path} {op} {value}"),
        Filter::Present(path) => write!(out, "{path} pr"),
        // The parser folds chains to the left, so a right operand of the same strength needs
        // parentheses to come back as the same tree.
        Filter::And(a, b) => {
            write_at(out, a, 2)?;
            out.write_str(" and ")?;
            write_at(out, b, 3)
        }
        Filter::Or(a, b) => {
            write_at(out, a, 1)?;
            out.write_str(" or ")?;
            write_at(out, b, 2)
        }
        Filter::Not(inner) => {
            out.write_str("not (")?;
            write_filter(out, inner)?;
            out.write_str(")")
        }
        Filter::ValuePath { attr, filter } => {
            write!(out, "{attr}[")?;
            write_filter(out, filter)?;
            out.write_str("]")
        }
    }
}

/// The canonical form: lowercase operators and keywords, single spaces, JSON literals, and only
/// the parentheses the tree needs. It parses back to the same [`Filter`].
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_filter(f, self)
    }
}

impl Filter {
    /// `path op value` (builder for tests and generated filters).
    pub fn compare(path: AttrPath, op: CompareOp, value: CompValue) -> Filter {
        Filter::Compare { path, op, value }
    }

    /// `a and b`.
    pub fn and(self, other: Filter) -> Filter {
        Filter::And(Box::new(self), Box::new(other))
    }

    /// `a or b`.
    pub fn or(self, other: Filter) -> Filter {
        Filter::Or(Box::new(self), Box::new(other))
    }

    /// `not (a)`.
    pub fn negate(self) -> Filter {
        Filter::Not(Box::new(self))
    }

    /// For `attr eq value` (no URN... or any path) returns the path and value: the emulator
    /// uses it to answer `userName eq "x"` from an index instead of a scan.
    pub fn as_simple_eq(&self) -> Option<(&AttrPath, &CompValue)> {
        match self {
            Filter::Compare { path, op: CompareOp::Eq, value } => Some((path, value)),
            _ => None,
        }
    }

    /// Every attribute path the filter mentions, in order. Paths inside a value filter are
    /// reported relative to it, joined to the outer attribute as a sub-attribute
    /// (`emails[type eq "work"]` reports `emails` and `emails.type`).
    pub fn referenced_paths(&self) -> Vec<AttrPath> {
        let mut out = Vec::new();
        collect_paths(self, None, &mut out);
        out
    }
}

fn collect_paths(f: &Filter, parent: Option<&AttrPath>, out: &mut Vec<AttrPath>) {
    let push = |p: &AttrPath, out: &mut Vec<AttrPath>| match parent {
        Some(parent) => out.push(AttrPath {
            urn: parent.urn.clone(),
            name: parent.name.clone(),
            sub_attr: Some(p.name.clone()),
        }),
        None => out.push(p.clone()),
    };
    match f {
        Filter::Compare { path, .. } | Filter::Present(path) => push(path, out),
        Filter::And(a, b) | Filter::Or(a, b) => {
            collect_paths(a, parent, out);
            collect_paths(b, parent, out);
        }
        Filter::Not(inner) => collect_paths(inner, parent, out),
        Filter::ValuePath { attr, filter } => {
            out.push(attr.clone());
            collect_paths(filter, Some(attr), out);
        }
    }
}

impl Filter {
    /// Does `resource` match? Errors are `invalidFilter` (e.g. `gt` on a boolean attribute).
    ///
    /// Paths resolve against `schema` (core attributes, the common `id`/`externalId`/`meta`, and
    /// URN-qualified extension attributes); an attribute the schema does not define is
    /// unassigned. `ne` is the negation of `eq` over the whole attribute, so on a multi-valued
    /// attribute `ne` holds when no value is equal.
    pub fn matches(&self, resource: &Value, schema: &ResourceSchema) -> Result<bool, ScimError> {
        eval::matches(self, resource, schema)
    }
}

impl Filter {
    /// Checks the filter against `schema` without any data: every comparison's operator must be
    /// defined for its attribute's type and its value of the right kind. A filter that passes
    /// never makes [`Filter::matches`] fail. Servers call this once per request, so a bad
    /// filter is a 400 even when there is nothing to compare it with.
    pub fn validate(&self, schema: &ResourceSchema) -> Result<(), ScimError> {
        eval::validate(self, schema)
    }

    /// [`Filter::matches`] for a filter [`Filter::validate`] accepted: a scan validates once
    /// and then evaluates each resource without checking the filter again.
    pub fn matches_validated(&self, resource: &Value, schema: &ResourceSchema) -> bool {
        eval::matches_validated(self, resource, schema)
    }

    /// What any matching resource's compact JSON text must contain ([`TextNeed`]), so a scan
    /// over resources kept as text can skip most non-matches without parsing them. `stored`
    /// says whether a top-level attribute is kept in that text. `None`: the filter implies
    /// nothing usable, evaluate every resource.
    pub fn text_need(
        &self,
        schema: &ResourceSchema,
        stored: &dyn Fn(&AttrPath) -> bool,
    ) -> Option<TextNeed> {
        prefilter::text_need(self, schema, stored)
    }
}

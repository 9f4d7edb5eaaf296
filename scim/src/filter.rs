//! The RFC 7644 §3.4.2.2 filter grammar: AST, parser (nom 8), canonical printer, evaluator.
//!
//! Contract used by the rest of the workspace (keep these names stable):
//! - [`parse`] / `str::parse::<Filter>()` → [`Filter`] or a [`ParseError`] whose `Display` reads
//!   like `column 17: expected a comparison operator (eq, ne, co, ...)`;
//! - `Display for Filter` prints a canonical form that parses back to the same AST;
//! - [`Filter::matches`] evaluates against a JSON resource, driven by a [`ResourceSchema`].

use std::fmt;

use serde_json::Value;

use crate::error::ScimError;
use crate::schema::ResourceSchema;

/// An attribute path: `[URN ":"] name ["." subAttr]`.
///
/// Names keep the case they were written with; comparisons are case-insensitive (RFC 7644 §3.10).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// The schema URN prefix, without the trailing `:` (`urn:ietf:params:scim:schemas:...:User`).
    pub urn: Option<String>,
    /// The attribute name (`userName`, `emails`, `$ref`).
    pub name: String,
    /// The sub-attribute name (`familyName` in `name.familyName`).
    pub sub_attr: Option<String>,
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
    String(String),
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

impl From<ParseError> for ScimError {
    fn from(e: ParseError) -> Self {
        ScimError::invalid_filter(e.to_string())
    }
}

/// Parses a filter.
pub fn parse(input: &str) -> Result<Filter, ParseError> {
    // Placeholder until the grammar lands; see the module docs for the contract.
    Err(ParseError { offset: 0, column: 1, expected: format!("a filter (got {input:?})") })
}

impl std::str::FromStr for Filter {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl Filter {
    /// Does `resource` match? Errors are `invalidFilter` (e.g. `gt` on a boolean attribute).
    pub fn matches(&self, resource: &Value, schema: &ResourceSchema) -> Result<bool, ScimError> {
        let _ = (resource, schema);
        Err(ScimError::invalid_filter("filter evaluation is not available yet"))
    }
}

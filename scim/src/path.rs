//! The PATCH path grammar (RFC 7644 §3.5.2, Figure 7): `attrPath` or `valuePath [subAttr]`.

use std::fmt;

use crate::filter::{AttrPath, Filter, ParseError};

/// A parsed PATCH `path`.
#[derive(Debug, Clone, PartialEq)]
pub enum PatchPath {
    /// `name`, `name.sub`, or URN-qualified.
    Attr(AttrPath),
    /// `attr[filter]` optionally followed by `.subAttr`.
    ValuePath {
        /// The multi-valued attribute.
        attr: AttrPath,
        /// Which of its values.
        filter: Filter,
        /// The sub-attribute of each matching value, if any.
        sub_attr: Option<String>,
    },
}

/// Parses a PATCH path. Errors read like filter errors and map to 400 `invalidPath`.
pub fn parse_path(input: &str) -> Result<PatchPath, ParseError> {
    // Placeholder until the grammar lands.
    Err(ParseError { offset: 0, column: 1, expected: format!("a path (got {input:?})") })
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

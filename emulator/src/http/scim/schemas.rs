//! Attribute definitions of the resources the bridge serves (RFC 7643 §4, §8.7.1), used to
//! evaluate filters, apply PATCH paths, check types, and render `/Schemas`.

use std::sync::LazyLock;

use scim::messages;
use scim::schema::{AttrType, Attribute, Mutability, ResourceSchema, Returned, Schema, Uniqueness};
use serde_json::{Map, Value, json};

fn attr(name: &str, kind: AttrType) -> Attribute {
    Attribute {
        name: name.to_owned(),
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

fn s(name: &str) -> Attribute {
    attr(name, AttrType::String)
}

fn complex(name: &str, subs: Vec<Attribute>) -> Attribute {
    Attribute { sub_attributes: subs, ..attr(name, AttrType::Complex) }
}

fn multi(mut a: Attribute) -> Attribute {
    a.multi_valued = true;
    a
}

fn described(mut a: Attribute, d: &str) -> Attribute {
    a.description = d.to_owned();
    a
}

/// The sub-attributes of a typical multi-valued attribute (`emails`, `phoneNumbers`, ...).
fn multi_value_subs(canonical: &[&str]) -> Vec<Attribute> {
    vec![
        s("value"),
        s("display"),
        Attribute {
            canonical_values: canonical.iter().map(|c| (*c).to_owned()).collect(),
            ..s("type")
        },
        attr("primary", AttrType::Boolean),
    ]
}

fn common() -> Vec<Attribute> {
    vec![
        Attribute {
            case_exact: true,
            mutability: Mutability::ReadOnly,
            returned: Returned::Always,
            uniqueness: Uniqueness::Server,
            ..s("id")
        },
        Attribute { case_exact: true, ..s("externalId") },
        Attribute {
            mutability: Mutability::ReadOnly,
            ..complex(
                "meta",
                vec![
                    s("resourceType"),
                    attr("created", AttrType::DateTime),
                    attr("lastModified", AttrType::DateTime),
                    attr("location", AttrType::Reference),
                    s("version"),
                ],
            )
        },
    ]
}

fn reference(name: &str, types: &[&str]) -> Attribute {
    Attribute {
        reference_types: types.iter().map(|t| (*t).to_owned()).collect(),
        ..attr(name, AttrType::Reference)
    }
}

/// Every core User attribute of RFC 7643 §4.1 (without the common ones).
pub fn user_attributes() -> Vec<Attribute> {
    vec![
        Attribute {
            required: true,
            returned: Returned::Always,
            uniqueness: Uniqueness::Server,
            ..described(s("userName"), "Unique identifier for the User: the e-mail address.")
        },
        complex(
            "name",
            vec![
                s("formatted"),
                s("familyName"),
                s("givenName"),
                s("middleName"),
                s("honorificPrefix"),
                s("honorificSuffix"),
            ],
        ),
        s("displayName"),
        s("nickName"),
        reference("profileUrl", &["external"]),
        s("title"),
        s("userType"),
        s("preferredLanguage"),
        s("locale"),
        s("timezone"),
        attr("active", AttrType::Boolean),
        Attribute { mutability: Mutability::WriteOnly, returned: Returned::Never, ..s("password") },
        multi(complex("emails", multi_value_subs(&["work", "home", "other"]))),
        multi(complex(
            "phoneNumbers",
            multi_value_subs(&["work", "home", "mobile", "fax", "pager", "other"]),
        )),
        multi(complex(
            "ims",
            multi_value_subs(&["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
        )),
        multi(complex("photos", multi_value_subs(&["photo", "thumbnail"]))),
        multi(complex(
            "addresses",
            vec![
                s("formatted"),
                s("streetAddress"),
                s("locality"),
                s("region"),
                s("postalCode"),
                s("country"),
                Attribute {
                    canonical_values: vec!["work".into(), "home".into(), "other".into()],
                    ..s("type")
                },
                attr("primary", AttrType::Boolean),
            ],
        )),
        Attribute {
            mutability: Mutability::ReadOnly,
            ..multi(complex(
                "groups",
                vec![
                    s("value"),
                    reference("$ref", &["User", "Group"]),
                    s("display"),
                    Attribute {
                        canonical_values: vec!["direct".into(), "indirect".into()],
                        ..s("type")
                    },
                ],
            ))
        },
        multi(complex("entitlements", multi_value_subs(&[]))),
        multi(complex("roles", multi_value_subs(&[]))),
        multi(complex("x509Certificates", multi_value_subs(&[]))),
    ]
}

/// The enterprise User extension (RFC 7643 §4.3).
pub fn enterprise_attributes() -> Vec<Attribute> {
    vec![
        s("employeeNumber"),
        s("costCenter"),
        s("organization"),
        s("division"),
        s("department"),
        complex(
            "manager",
            vec![
                s("value"),
                reference("$ref", &["User"]),
                Attribute { mutability: Mutability::ReadOnly, ..s("displayName") },
            ],
        ),
    ]
}

/// The core Group attributes (RFC 7643 §4.2).
pub fn group_attributes() -> Vec<Attribute> {
    vec![
        Attribute { required: true, ..s("displayName") },
        multi(complex(
            "members",
            vec![
                Attribute { mutability: Mutability::Immutable, ..s("value") },
                Attribute {
                    mutability: Mutability::Immutable,
                    ..reference("$ref", &["User", "Group"])
                },
                s("display"),
                Attribute {
                    mutability: Mutability::Immutable,
                    canonical_values: vec!["User".into(), "Group".into()],
                    ..s("type")
                },
            ],
        )),
    ]
}

fn with_common(mut attrs: Vec<Attribute>) -> Vec<Attribute> {
    let mut all = common();
    all.append(&mut attrs);
    all
}

/// The User resource schema (core + enterprise extension), common attributes included.
pub static USER: LazyLock<ResourceSchema> = LazyLock::new(|| ResourceSchema {
    core: Schema {
        id: messages::USER.to_owned(),
        name: "User".into(),
        description: "User Account".into(),
        attributes: with_common(user_attributes()),
    },
    extensions: vec![Schema {
        id: messages::ENTERPRISE_USER.to_owned(),
        name: "EnterpriseUser".into(),
        description: "Enterprise User".into(),
        attributes: enterprise_attributes(),
    }],
});

/// The Group resource schema, common attributes included.
pub static GROUP: LazyLock<ResourceSchema> = LazyLock::new(|| ResourceSchema {
    core: Schema {
        id: messages::GROUP.to_owned(),
        name: "Group".into(),
        description: "Group".into(),
        attributes: with_common(group_attributes()),
    },
    extensions: Vec::new(),
});

/// The attributes the real bridge advertises for User (recorded; see the behaviour digest §1.4).
fn onepassword_user_attributes() -> Vec<Attribute> {
    let req = |a: Attribute| Attribute { required: true, case_exact: true, ..a };
    vec![
        Attribute {
            required: true,
            returned: Returned::Always,
            uniqueness: Uniqueness::Server,
            ..s("userName")
        },
        Attribute {
            required: true,
            returned: Returned::Always,
            ..complex("name", vec![req(s("givenName")), req(s("familyName")), req(s("formatted"))])
        },
        Attribute {
            returned: Returned::Always,
            ..multi(complex(
                "emails",
                vec![
                    Attribute { required: true, ..attr("primary", AttrType::Boolean) },
                    s("type"),
                    Attribute { required: true, ..s("value") },
                ],
            ))
        },
        s("externalId"),
        s("preferredLanguage"),
        Attribute {
            mutability: Mutability::ReadOnly,
            ..multi(complex(
                "groups",
                vec![reference("$ref", &["User", "Group"]), s("value"), s("display")],
            ))
        },
    ]
}

fn onepassword_group_attributes() -> Vec<Attribute> {
    let mut attrs = group_attributes();
    attrs.push(s("externalId"));
    attrs
}

/// The `/Schemas` resources: the recorded 1Password documents, or (with `full`) everything the
/// emulator stores: core User, the enterprise extension, and Group.
pub fn schema_documents(full: bool) -> Vec<Value> {
    let docs = if full {
        vec![
            (messages::USER, "User", "User Account", user_attributes()),
            (
                messages::ENTERPRISE_USER,
                "EnterpriseUser",
                "Enterprise User",
                enterprise_attributes(),
            ),
            (messages::GROUP, "Group", "Group", group_attributes()),
        ]
    } else {
        vec![
            (messages::USER, "User", "User Account", onepassword_user_attributes()),
            (messages::GROUP, "Group", "Group", onepassword_group_attributes()),
        ]
    };
    docs.into_iter()
        .map(|(id, name, description, attributes)| {
            json!({
                "schemas": [messages::SCHEMA],
                "id": id,
                "name": name,
                "description": description,
                "attributes": attributes.iter().map(attribute_json).collect::<Vec<_>>(),
                "meta": {"resourceType": "Schema", "location": format!("/scim/v2/Schemas/{id}")},
            })
        })
        .collect()
}

/// RFC 7643 §7 JSON for one attribute.
pub fn attribute_json(a: &Attribute) -> Value {
    let kind = match a.kind {
        AttrType::String => "string",
        AttrType::Boolean => "boolean",
        AttrType::Decimal => "decimal",
        AttrType::Integer => "integer",
        AttrType::DateTime => "dateTime",
        AttrType::Binary => "binary",
        AttrType::Reference => "reference",
        AttrType::Complex => "complex",
    };
    let mutability = match a.mutability {
        Mutability::ReadOnly => "readOnly",
        Mutability::ReadWrite => "readWrite",
        Mutability::Immutable => "immutable",
        Mutability::WriteOnly => "writeOnly",
    };
    let returned = match a.returned {
        Returned::Always => "always",
        Returned::Never => "never",
        Returned::Default => "default",
        Returned::Request => "request",
    };
    let uniqueness = match a.uniqueness {
        Uniqueness::None => "none",
        Uniqueness::Server => "server",
        Uniqueness::Global => "global",
    };
    let mut o = Map::new();
    o.insert("name".into(), json!(a.name));
    o.insert("type".into(), json!(kind));
    o.insert("multiValued".into(), json!(a.multi_valued));
    o.insert("description".into(), json!(a.description));
    o.insert("required".into(), json!(a.required));
    if a.kind != AttrType::Complex && a.kind != AttrType::Boolean {
        o.insert("caseExact".into(), json!(a.case_exact));
    }
    if !a.canonical_values.is_empty() {
        o.insert("canonicalValues".into(), json!(a.canonical_values));
    }
    if !a.reference_types.is_empty() {
        o.insert("referenceTypes".into(), json!(a.reference_types));
    }
    o.insert("mutability".into(), json!(mutability));
    o.insert("returned".into(), json!(returned));
    if a.kind != AttrType::Complex {
        o.insert("uniqueness".into(), json!(uniqueness));
    }
    if !a.sub_attributes.is_empty() {
        o.insert(
            "subAttributes".into(),
            Value::Array(a.sub_attributes.iter().map(attribute_json).collect()),
        );
    }
    Value::Object(o)
}

/// Finds an attribute definition by name, case-insensitively.
pub fn find<'a>(attrs: &'a [Attribute], name: &str) -> Option<&'a Attribute> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

//! Attribute definitions of the resources the bridge serves, used to evaluate filters, apply
//! PATCH paths, check types, and render `/Schemas`.
//!
//! What the emulator stores and enforces is RFC 7643 as the `scim` crate defines it (core User,
//! the enterprise extension, core Group), with one deviation: a Group's `displayName` is
//! required, as its description in RFC 7643 says (the schema listing marks it optional) and as
//! 1Password requires. `/Schemas` serves those same definitions in the `rfc` profile, or the
//! documents recorded from the real bridge in the `onepassword` profile.

use std::sync::LazyLock;

use scim::schema::{
    Attribute, Mutability, ResourceSchema, Returned, Schema, Uniqueness, common_attributes,
    core_group, core_user, enterprise_user,
};
use serde_json::{Value, json};

use super::extract::BaseUrl;

/// RFC 7643 core Group, with `displayName` required and `members.display` readOnly: the
/// server fills it from the member's own displayName (and omits it when there is none), so
/// a `display` a client sends is not what comes back.
fn group_schema() -> Schema {
    let mut group = core_group();
    for a in &mut group.attributes {
        if a.name == "displayName" {
            a.required = true;
        }
        if a.name == "members" {
            for sub in &mut a.sub_attributes {
                if sub.name == "display" {
                    sub.mutability = Mutability::ReadOnly;
                }
            }
        }
    }
    group
}

/// `schema` with the common attributes (`id`, `externalId`, `meta`, `schemas`) first, so that
/// looking a name up in the core attributes finds those too.
fn with_common(mut schema: Schema) -> Schema {
    let mut all = common_attributes().to_vec();
    all.append(&mut schema.attributes);
    schema.attributes = all;
    schema
}

/// The User resource schema (core + enterprise extension), common attributes included.
pub static USER: LazyLock<ResourceSchema> = LazyLock::new(|| ResourceSchema {
    core: with_common(core_user()),
    extensions: vec![enterprise_user()],
});

/// The Group resource schema, common attributes included.
pub static GROUP: LazyLock<ResourceSchema> =
    LazyLock::new(|| ResourceSchema { core: with_common(group_schema()), extensions: Vec::new() });

/// The User schema the real bridge advertises (recorded; see the behaviour digest §1.4).
fn onepassword_user() -> Schema {
    let part = |name: &str| Attribute::string(name).required().case_exact();
    // The RFC schema's id, name and description; the attributes as recorded.
    Schema {
        attributes: vec![
            Attribute::string("userName")
                .required()
                .returned(Returned::Always)
                .uniqueness(Uniqueness::Server),
            Attribute::complex(
                "name",
                vec![part("givenName"), part("familyName"), part("formatted")],
            )
            .required()
            .returned(Returned::Always),
            Attribute::complex(
                "emails",
                vec![
                    Attribute::boolean("primary").required(),
                    Attribute::string("type"),
                    Attribute::string("value").required(),
                ],
            )
            .multi()
            .returned(Returned::Always),
            Attribute::string("externalId"),
            Attribute::string("preferredLanguage"),
            Attribute::complex(
                "groups",
                vec![
                    Attribute::reference("$ref", &["User", "Group"]),
                    Attribute::string("value"),
                    Attribute::string("display"),
                ],
            )
            .multi()
            .mutability(Mutability::ReadOnly),
        ],
        ..core_user()
    }
}

/// The Group schema the real bridge advertises (recorded; see the behaviour digest §1.4).
fn onepassword_group() -> Schema {
    Schema {
        attributes: vec![
            Attribute::string("displayName").required(),
            Attribute::complex(
                "members",
                vec![
                    Attribute::string("value"),
                    Attribute::reference("$ref", &["User", "Group"]),
                    Attribute::string("type").canonical(&["User", "Group"]),
                ],
            )
            .mutability_deep(Mutability::Immutable)
            .mutability(Mutability::ReadWrite)
            .multi(),
            Attribute::string("externalId"),
        ],
        ..core_group()
    }
}

/// The `/Schemas` resources: the recorded 1Password documents, or (with `full`) everything the
/// emulator stores: core User, the enterprise extension, and Group.
/// The recorded documents' `meta.location` is the relative `/scim/v2/Schemas/<urn>`; the full
/// ones' is absolute under `base`.
pub fn schema_documents(full: bool, base: &BaseUrl) -> Vec<Value> {
    let schemas = if full {
        vec![core_user(), enterprise_user(), group_schema()]
    } else {
        vec![onepassword_user(), onepassword_group()]
    };
    schemas
        .iter()
        .map(|schema| {
            let mut doc = schema.to_json();
            let location = if full {
                format!("{base}/Schemas/{}", schema.id)
            } else {
                format!("/scim/v2/Schemas/{}", schema.id)
            };
            doc["meta"] = json!({"resourceType": "Schema", "location": location});
            doc
        })
        .collect()
}

/// Finds an attribute definition by name, case-insensitively.
pub fn find<'a>(attrs: &'a [Attribute], name: &str) -> Option<&'a Attribute> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

//! The RFC 7643 schema definitions and their `/Schemas` JSON.

use scim::filter::AttrPath;
use scim::messages;
use scim::schema::{
    AttrType, Location, Mutability, ResourceSchema, Returned, Uniqueness, core_group, core_user,
    enterprise_user,
};

#[test]
fn core_user_has_the_rfc_attributes() {
    let user = core_user();
    assert_eq!(user.id, messages::USER);
    let names: Vec<&str> = user.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "userName",
            "name",
            "displayName",
            "nickName",
            "profileUrl",
            "title",
            "userType",
            "preferredLanguage",
            "locale",
            "timezone",
            "active",
            "password",
            "emails",
            "phoneNumbers",
            "ims",
            "photos",
            "addresses",
            "groups",
            "entitlements",
            "roles",
            "x509Certificates"
        ]
    );
    let user_name = user.attribute("USERNAME").unwrap();
    assert!(user_name.required && !user_name.case_exact);
    assert_eq!(user_name.uniqueness, Uniqueness::Server);
    let password = user.attribute("password").unwrap();
    assert_eq!((password.mutability, password.returned), (Mutability::WriteOnly, Returned::Never));
    let emails = user.attribute("emails").unwrap();
    assert!(emails.multi_valued && emails.kind == AttrType::Complex);
    assert_eq!(emails.sub_attribute("type").unwrap().canonical_values, ["work", "home", "other"]);
    assert_eq!(emails.sub_attribute("primary").unwrap().kind, AttrType::Boolean);
    let groups = user.attribute("groups").unwrap();
    assert_eq!(groups.mutability, Mutability::ReadOnly);
    assert!(groups.sub_attributes.iter().all(|s| s.mutability == Mutability::ReadOnly));
    assert_eq!(groups.sub_attribute("$ref").unwrap().kind, AttrType::Reference);
    assert_eq!(
        user.attribute("x509Certificates").unwrap().sub_attribute("value").unwrap().kind,
        AttrType::Binary
    );
}

#[test]
fn group_and_enterprise_schemas() {
    let group = core_group();
    assert_eq!(group.id, messages::GROUP);
    let members = group.attribute("members").unwrap();
    // Members are added and removed; each member's fields are fixed once added.
    assert_eq!(members.mutability, Mutability::ReadWrite);
    assert_eq!(members.sub_attribute("value").unwrap().mutability, Mutability::Immutable);
    assert_eq!(members.sub_attribute("type").unwrap().canonical_values, ["User", "Group"]);

    let ent = enterprise_user();
    assert_eq!(ent.id, messages::ENTERPRISE_USER);
    let manager = ent.attribute("manager").unwrap();
    assert_eq!(manager.sub_attribute("displayName").unwrap().mutability, Mutability::ReadOnly);
    assert_eq!(manager.sub_attribute("$ref").unwrap().reference_types, ["User"]);
    for n in ["employeeNumber", "costCenter", "organization", "division", "department"] {
        assert_eq!(ent.attribute(n).unwrap().kind, AttrType::String, "{n}");
    }
}

#[test]
fn resolve_handles_common_core_and_extension_paths() {
    let s = ResourceSchema::user();
    let id = s.resolve(&AttrPath::new("ID")).unwrap();
    assert!(
        id.case_exact && id.mutability == Mutability::ReadOnly && id.returned == Returned::Always
    );
    let last = s.resolve(&AttrPath::new("meta").with_sub("lastModified")).unwrap();
    assert_eq!((last.kind, last.mutability), (AttrType::DateTime, Mutability::ReadOnly));
    assert_eq!(s.resolve(&AttrPath::new("name").with_sub("givenName")).unwrap().name, "givenName");
    assert!(s.resolve(&AttrPath::new("name").with_sub("nope")).is_none());
    assert!(s.resolve(&AttrPath::new("employeeNumber")).is_none());
    let emp = AttrPath::new("employeeNumber").with_urn(messages::ENTERPRISE_USER.to_uppercase());
    let r = s.resolve_path(&emp).unwrap();
    assert_eq!(r.location, Location::Extension(messages::ENTERPRISE_USER));
    assert_eq!(r.target().name, "employeeNumber");
    let core = AttrPath::new("userName").with_urn(messages::USER);
    assert_eq!(s.resolve_path(&core).unwrap().location, Location::Core);
    assert!(s.resolve(&AttrPath::new("x").with_urn("urn:nope:User")).is_none());
    assert!(ResourceSchema::group().resolve(&AttrPath::new("userName")).is_none());
    assert!(ResourceSchema::group().resolve(&AttrPath::new("members").with_sub("$ref")).is_some());
}

#[test]
fn schema_json_follows_rfc7643_section_7() {
    let j = core_user().to_json();
    assert_eq!(j["schemas"][0], messages::SCHEMA);
    assert_eq!(j["id"], messages::USER);
    assert_eq!(j["name"], "User");
    let user_name = &j["attributes"][0];
    assert_eq!(user_name["name"], "userName");
    assert_eq!(user_name["type"], "string");
    assert_eq!(user_name["multiValued"], false);
    assert_eq!(user_name["required"], true);
    assert_eq!(user_name["caseExact"], false);
    assert_eq!(user_name["mutability"], "readWrite");
    assert_eq!(user_name["returned"], "default");
    assert_eq!(user_name["uniqueness"], "server");
    let emails =
        j["attributes"].as_array().unwrap().iter().find(|a| a["name"] == "emails").unwrap();
    assert_eq!(emails["type"], "complex");
    assert!(emails.get("caseExact").is_none());
    assert_eq!(emails["subAttributes"][2]["canonicalValues"][0], "work");
    let photos =
        j["attributes"].as_array().unwrap().iter().find(|a| a["name"] == "photos").unwrap();
    assert_eq!(photos["subAttributes"][0]["referenceTypes"][0], "external");
    assert_eq!(enterprise_user().to_json()["attributes"].as_array().unwrap().len(), 6);
    // As §8.7.1 lists `active`: no caseExact and no uniqueness on a boolean.
    let active =
        j["attributes"].as_array().unwrap().iter().find(|a| a["name"] == "active").unwrap();
    assert_eq!(active["type"], "boolean");
    assert!(active.get("caseExact").is_none() && active.get("uniqueness").is_none(), "{active}");
    assert_eq!(emails["uniqueness"], "none");
}

//! PATCH path grammar (RFC 7644 Figure 7) tests.

use scim::filter::{AttrPath, parse};
use scim::path::{PatchPath, parse_path};
use scim::{ScimError, ScimType};

const VALID: &[(&str, &str)] = &[
    ("userName", "userName"),
    ("name.familyName", "name.familyName"),
    ("NAME.FamilyName", "NAME.FamilyName"),
    ("members", "members"),
    (
        r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
        r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
    ),
    (r#"members[value eq "2819c223"].displayName"#, r#"members[value eq "2819c223"].displayName"#),
    (r#"emails[type eq "work"].value"#, r#"emails[type eq "work"].value"#),
    (
        r#"emails[type eq "work" and primary eq true].value"#,
        r#"emails[type eq "work" and primary eq true].value"#,
    ),
    (
        r#"addresses[type eq "work" or (type eq "home" and primary pr)].streetAddress"#,
        r#"addresses[type eq "work" or type eq "home" and primary pr].streetAddress"#,
    ),
    (
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    ),
    (
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    ),
    (
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ),
    (
        r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value"#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value"#,
    ),
    ("members[$ref pr].$ref", "members[$ref pr].$ref"),
    (" userName ", "userName"),
    (r#"emails[ type EQ "work" ]"#, r#"emails[type eq "work"]"#),
];

const INVALID: &[(&str, usize, &str)] = &[
    ("", 1, "the path is empty"),
    ("  ", 1, "the path is empty"),
    ("emails[type eq", 15, "comparison value"),
    (r#"emails[type eq "work""#, 22, "']' to close the '[' at column 7"),
    (r#"emails[type eq "work"]value"#, 23, "the end of the path"),
    (r#"emails[type eq "work"].value.x"#, 29, "at most one '.subAttr'"),
    (r#"emails[type eq "work"]."#, 24, "a sub-attribute name"),
    (r#"emails[type eq "work"][primary pr]"#, 23, "the end of the path"),
    (r#"emails[type[x pr] pr]"#, 12, "cannot be nested"),
    (r#"name.familyName[x pr]"#, 16, "not a sub-attribute"),
    ("name.", 5, "the end of the path"),
    ("a.b.c", 4, "the end of the path"),
    ("user name", 6, "the end of the path"),
    (r#"userName eq "x""#, 10, "the end of the path"),
    ("1abc", 1, "an attribute name"),
    ("emails[]", 8, "an attribute name"),
    ("urn:foo:", 9, "attribute name after the schema URN"),
];

#[test]
fn valid_paths_round_trip() {
    for (input, canonical) in VALID {
        let p = parse_path(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(&p.to_string(), canonical, "{input:?}");
        assert_eq!(parse_path(&p.to_string()).unwrap(), p, "{input:?}");
    }
}

#[test]
fn invalid_paths_are_rejected_with_column() {
    let mut wrong = Vec::new();
    for (input, column, words) in INVALID {
        match parse_path(input) {
            Ok(p) => wrong.push(format!("{input:?} parsed as {p}")),
            Err(e) if e.column != *column || !e.expected.contains(words) => {
                wrong.push(format!("{input:?}: got {e:?}, want column {column} with {words:?}"));
            }
            Err(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn path_shapes() {
    let p = parse_path(r#"members[value eq "u1"].display"#).unwrap();
    let PatchPath::ValuePath { attr, filter, sub_attr } = &p else { panic!("{p:?}") };
    assert_eq!(attr, &AttrPath::new("members"));
    assert_eq!(filter, &parse(r#"value eq "u1""#).unwrap());
    assert_eq!(sub_attr.as_deref(), Some("display"));
    assert_eq!(p.attr(), &AttrPath::new("members"));

    let p: PatchPath = "name.givenName".parse().unwrap();
    assert_eq!(p, PatchPath::Attr(AttrPath::new("name").with_sub("givenName")));

    let p = parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").unwrap();
    assert_eq!(p.attr().as_schema_urn().as_deref(), Some(scim::messages::ENTERPRISE_USER));
}

#[test]
fn path_errors_map_to_invalid_path() {
    let e: ScimError = parse_path("emails[type eq").unwrap_err().into_invalid_path();
    assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidPath)));
    assert!(e.detail.starts_with("column 15: expected"), "{}", e.detail);
}

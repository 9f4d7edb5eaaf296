//! Evaluation over the fixture resources in `tests/fixtures/`: each row is a filter and the ids
//! it must match, so every semantic rule has a row that would fail if the rule broke.

use scim::ScimType;
use scim::filter::parse;
use scim::schema::{AttrType, Attribute, ResourceSchema, Schema};
use serde_json::{Value, json};

fn fixture(name: &str) -> Vec<Value> {
    let text = match name {
        "users" => include_str!("fixtures/users.json"),
        "groups" => include_str!("fixtures/groups.json"),
        _ => unreachable!("no fixture {name}"),
    };
    serde_json::from_str(text).expect("fixture is JSON")
}

fn matching(filter: &str, resources: &[Value], schema: &ResourceSchema) -> Vec<String> {
    let f = parse(filter).unwrap_or_else(|e| panic!("{filter:?}: {e}"));
    resources
        .iter()
        .filter(|r| f.matches(r, schema).unwrap_or_else(|e| panic!("{filter:?}: {e}")))
        .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn check_table(rows: &[(&str, &[&str])], resources: &[Value], schema: &ResourceSchema) {
    let mut wrong = Vec::new();
    for (filter, want) in rows {
        let got = matching(filter, resources, schema);
        if got != *want {
            wrong.push(format!("{filter}\n   got  {got:?}\n   want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

#[test]
fn user_filters_match_the_right_users() {
    let users = fixture("users");
    let emp = format!(r#"{ENT}:employeeNumber eq "701984""#);
    let emp_upper = format!(r#"{}:EMPLOYEENUMBER eq "701984""#, ENT.to_uppercase());
    let mgr = format!(r#"{ENT}:manager.value eq "u2""#);
    let mgr_pr = format!("{ENT}:manager pr");
    let rows: Vec<(&str, &[&str])> = vec![
        // Case-insensitive strings unless caseExact; names case-insensitive in filter and JSON.
        (r#"userName eq "BJENSEN""#, &["u1"]),
        (r#"USERNAME eq "bjensen""#, &["u1"]),
        (r#"userName eq "ünïcode""#, &["u4"]),
        (r#"userName eq "ÜNÏCODE""#, &["u4"]),
        (r#"externalId eq "EXT-1""#, &["u1"]),
        (r#"externalId eq "ext-1""#, &[]),
        (r#"id eq "U1""#, &[]),
        (r#"id eq "u1""#, &["u1"]),
        (r#"meta.version eq "w/\"a330bc54f0671c9\"""#, &[]),
        (r#"meta.version eq "W/\"a330bc54f0671c9\"""#, &["u1"]),
        (r#"meta.resourceType eq "User""#, &["u1", "u2", "u3", "u4"]),
        // co / sw / ew.
        (r#"name.familyName co "'MAL""#, &["u3"]),
        (r#"userName sw "j""#, &["u2"]),
        (r#"userName ew "SEN""#, &["u1"]),
        // Ordering on strings is lexicographic (after case folding for non-caseExact).
        (r#"userName gt "j""#, &["u2", "u3", "u4"]),
        (r#"userName lt "JSMITH""#, &["u1"]),
        (r#"userName le "JSMITH""#, &["u1", "u2"]),
        (r#"userName ge "o'malley""#, &["u3", "u4"]),
        // dateTime ordering is chronological: u2's 06:42:34+02:00 is u1's 04:42:34Z.
        (r#"meta.lastModified eq "2011-05-13T04:42:34Z""#, &["u1", "u2"]),
        (r#"meta.lastModified gt "2011-05-13T05:00:00Z""#, &["u3"]),
        (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, &["u1", "u2", "u3"]),
        (r#"meta.lastModified lt "2011-05-13T06:42:34+02:00""#, &[]),
        (r#"meta.lastModified le "2011-05-13T08:42:34+04:00""#, &["u1", "u2"]),
        (r#"meta.created sw "2020-""#, &["u2"]),
        // An offset-less xsd:dateTime is read as UTC.
        (r#"meta.created eq "2011-05-13T04:42:34""#, &["u1"]),
        (r#"meta.created lt "2011-05-13T04:42:34.001""#, &["u1"]),
        // Schema URNs compare case-insensitively.
        (r#"schemas eq "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER""#, &["u1"]),
        // Booleans.
        ("active eq true", &["u1"]),
        ("active eq false", &["u2"]),
        (r#"active eq "TRUE""#, &["u1"]),
        ("active ne true", &["u2", "u3", "u4"]),
        // pr: false for null, "", [], {} and unknown attributes.
        ("nickName pr", &["u1"]),
        ("title pr", &["u1"]),
        ("emails pr", &["u1", "u2"]),
        ("name pr", &["u1", "u3"]),
        ("name.givenName pr", &["u1"]),
        ("unknownAttr pr", &[]),
        ("userName pr", &["u1", "u2", "u3", "u4"]),
        (&mgr_pr, &["u1"]),
        // eq null matches unassigned (absent, null, empty array); "" is assigned.
        ("title eq null", &["u2", "u3", "u4"]),
        ("nickName eq null", &["u3", "u4"]),
        ("emails eq null", &["u3", "u4"]),
        ("title ne null", &["u1"]),
        ("unknownAttr eq null", &["u1", "u2", "u3", "u4"]),
        // Unknown attributes are unassigned, even when the JSON has them.
        (r#"unknownAttr eq "x""#, &[]),
        (r#"unknownAttr ne "x""#, &["u1", "u2", "u3", "u4"]),
        (r#"name.nickname eq "x""#, &[]),
        // Multi-valued: any value matches; `emails co` compares the value sub-attribute.
        (r#"emails.type eq "home""#, &["u1", "u2"]),
        (r#"emails co "jensen.org""#, &["u1"]),
        (r#"emails co "home""#, &[]),
        (r#"emails eq "J@OTHER.ORG""#, &["u2"]),
        (r#"emails.type ne "work""#, &["u3", "u4"]),
        (r#"phoneNumbers.type eq "work""#, &["u4"]),
        // A valuePath must match within one element; dotted paths may use two.
        (r#"emails.type eq "work" and emails.value co "work.example""#, &["u2"]),
        (r#"emails[type eq "work" and value co "work.example"]"#, &[]),
        (r#"emails[type eq "home" and value co "work.example"]"#, &["u2"]),
        (r#"addresses.type eq "work" and addresses.streetAddress co "Blvd""#, &["u3"]),
        (r#"addresses[type eq "work" and streetAddress co "Blvd"]"#, &[]),
        (r#"addresses[type eq "work" and locality eq "hollywood"]"#, &["u3"]),
        (r#"emails[type eq "work" or (type eq "home" and value ew ".org")]"#, &["u1", "u2"]),
        (r#"emails[not (type eq "work")]"#, &["u1", "u2"]),
        (r#"emails[primary eq true]"#, &["u1"]),
        (r#"emails[primary pr]"#, &["u1"]),
        (r#"emails[nope pr]"#, &[]),
        (r#"emails[type.x eq "work"]"#, &[]),
        (r#"unknownAttr[type eq "work"]"#, &[]),
        // Entra's form equals the bracketed filter.
        (r#"emails[type eq "work"].value eq "bjensen@example.com""#, &["u1"]),
        (r#"emails[type eq "work"].value eq "babs@jensen.org""#, &[]),
        // URN-qualified names resolve against the core schema or the extension.
        (&emp, &["u1"]),
        (&emp_upper, &["u1"]),
        (r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "jsmith""#, &["u2"]),
        (&mgr, &["u1"]),
        // Unqualified names are core attributes (RFC 7644 §3.10).
        (r#"employeeNumber eq "701984""#, &[]),
        (r#"urn:example:unknown:User:employeeNumber eq "701984""#, &[]),
        // Boolean structure.
        (r#"not (active eq true)"#, &["u2", "u3", "u4"]),
        (r#"userName sw "b" or userName sw "o""#, &["u1", "u3"]),
        (r#"title pr and userType eq "Employee""#, &[]),
        (r#"emails pr and not (emails.type eq "home" and active eq false)"#, &["u1"]),
        // Binary attributes compare case-exactly with eq.
        (r#"x509Certificates.value eq "TUlJREJ6Q0NBbk""#, &["u1"]),
        (r#"x509Certificates.value eq "tuljrejq0nbbk""#, &[]),
    ];
    check_table(&rows, &users, ResourceSchema::user());
}

#[test]
fn type_errors_are_invalid_filter_whatever_the_data() {
    let users = fixture("users");
    let schema = ResourceSchema::user();
    let rows: &[(&str, &str)] = &[
        ("active gt true", "'gt' is not defined for the boolean attribute 'active'"),
        ("active le false", "boolean"),
        (r#"active co "t""#, "'co' is not defined for the boolean attribute"),
        (r#"x509Certificates.value gt "A""#, "binary"),
        (r#"x509Certificates.value sw "TUlJ""#, "binary"),
        ("active eq 1", "compare it with true or false"),
        ("userName eq 5", "compare it with a quoted \"string\""),
        ("userName gt true", "string attribute"),
        (r#"meta.lastModified gt "yesterday""#, "xsd:dateTime"),
        ("meta.lastModified gt 5", "xsd:dateTime"),
        (
            r#"name eq "Jensen""#,
            "complex attribute; compare one of its sub-attributes (name.formatted",
        ),
        (r#"addresses co "x""#, "complex attribute"),
        ("userName co null", "null can only be compared with eq or ne"),
        ("unknownAttr gt null", "null can only be compared with eq or ne"),
        (r#"emails[primary gt true]"#, "boolean"),
        (r#"userName[value eq "x"]"#, "needs a complex attribute"),
        (r#"emails pr and active gt false"#, "boolean"),
        (r#"userName eq "nobody" and active gt false"#, "boolean"),
    ];
    for (filter, words) in rows {
        let f = parse(filter).unwrap_or_else(|e| panic!("{filter:?}: {e}"));
        // With no data at all, and against every fixture, the answer is the same 400.
        let e = f.validate(schema).expect_err(filter);
        assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidFilter)), "{filter}");
        assert!(e.detail.contains(words), "{filter}: {:?} lacks {words:?}", e.detail);
        for u in &users {
            assert_eq!(f.matches(u, schema).as_ref().err(), Some(&e), "{filter}");
        }
    }
}

#[test]
fn numbers_compare_numerically() {
    let schema = ResourceSchema {
        core: Schema {
            id: "urn:example:Thing".into(),
            name: "Thing".into(),
            description: String::new(),
            attributes: vec![
                Attribute::new("age", AttrType::Integer),
                Attribute::new("score", AttrType::Decimal).multi(),
            ],
        },
        extensions: vec![],
    };
    let things = vec![
        json!({"id": "a", "age": 9, "score": [1.5, 100]}),
        json!({"id": "b", "age": 30, "score": 2.25}),
        json!({"id": "c", "age": 100, "score": []}),
        json!({"id": "d", "age": "30"}),
    ];
    let rows: Vec<(&str, &[&str])> = vec![
        ("age gt 10", &["b", "c"]),
        ("age ge 30", &["b", "c"]),
        ("age lt 30", &["a"]),
        ("age le 9", &["a"]),
        ("age eq 30", &["b"]),
        ("age eq 30.0", &["b"]),
        ("age eq 3e1", &["b"]),
        ("age ne 30", &["a", "c", "d"]),
        ("age gt -1", &["a", "b", "c"]),
        ("score ge 2.25", &["a", "b"]),
        ("score lt 2", &["a"]),
        ("score gt 1e2", &[]),
        ("score eq null", &["c", "d"]),
    ];
    check_table(&rows, &things, &schema);
    let e = parse(r#"age eq "30""#).unwrap().validate(&schema).unwrap_err();
    assert!(e.detail.contains("compare it with a number"), "{}", e.detail);
    let e = parse(r#"age co 3"#).unwrap().validate(&schema).unwrap_err();
    assert!(e.detail.contains("'co' is not defined for the integer attribute"), "{}", e.detail);
}

#[test]
fn group_filters() {
    let groups = fixture("groups");
    let rows: Vec<(&str, &[&str])> = vec![
        (r#"displayName eq "admins""#, &["g1"]),
        (r#"members[value eq "u2"]"#, &["g1"]),
        (r#"members.value eq "u3""#, &[]),
        (r#"members eq "u1""#, &["g1"]),
        ("members pr", &["g1"]),
        ("members eq null", &["g2"]),
        ("members.$ref pr", &["g1"]),
        (r#"members[$ref ew "/u1" and value eq "u1"]"#, &["g1"]),
        (r#"members[$ref ew "/U1"]"#, &[]),
        (r#"members[display co "smith"]"#, &["g1"]),
        (r#"urn:ietf:params:scim:schemas:core:2.0:Group:displayName sw "e""#, &["g2"]),
        (r#"userName eq "x""#, &[]),
    ];
    check_table(&rows, &groups, ResourceSchema::group());
}

#[test]
fn not_negates_on_every_fixture() {
    let users = fixture("users");
    let filters = [
        r#"userName eq "bjensen""#,
        r#"emails[type eq "work" and value co "example"]"#,
        "title eq null",
        r#"unknownAttr ne "x""#,
        r#"meta.lastModified gt "2011-05-13T05:00:00Z""#,
    ];
    for text in filters {
        let f = parse(text).unwrap();
        let not_f = parse(&format!("not ({text})")).unwrap();
        for u in &users {
            let schema = ResourceSchema::user();
            assert_eq!(
                not_f.matches(u, schema).unwrap(),
                !f.matches(u, schema).unwrap(),
                "{text} on {}",
                u["id"]
            );
        }
    }
}

#[test]
fn non_object_resources_match_nothing() {
    let f = parse("userName eq null").unwrap();
    assert!(!f.matches(&json!([1, 2]), ResourceSchema::user()).unwrap());
    assert!(!f.matches(&Value::Null, ResourceSchema::user()).unwrap());
}

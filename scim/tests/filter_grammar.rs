//! Table-driven grammar tests: valid filters with their canonical form, invalid filters with
//! the column and the words the error must contain.

use scim::filter::{AttrPath, CompValue, CompareOp, Filter, MAX_DEPTH, parse};

/// (input, canonical form). The canonical form must itself parse to the same AST.
const VALID: &[(&str, &str)] = &[
    // RFC 7644 §3.4.2.2 examples (those that match the ABNF).
    (r#"userName eq "bjensen""#, r#"userName eq "bjensen""#),
    (r#"name.familyName co "O'Malley""#, r#"name.familyName co "O'Malley""#),
    (r#"userName sw "J""#, r#"userName sw "J""#),
    (
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
    ),
    ("title pr", "title pr"),
    (
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
    ),
    (
        r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
    ),
    (
        r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
    ),
    (
        r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
    ),
    (r#"title pr and userType eq "Employee""#, r#"title pr and userType eq "Employee""#),
    (r#"title pr or userType eq "Intern""#, r#"title pr or userType eq "Intern""#),
    (
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
    ),
    (
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
    ),
    (
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
    ),
    (
        r#"userType eq "Employee" and (emails.type eq "work")"#,
        r#"userType eq "Employee" and emails.type eq "work""#,
    ),
    (
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
    ),
    (
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
    ),
    // Erratum 7319: `not (` with a space, and `not(` without.
    ("not (title pr)", "not (title pr)"),
    ("not(title pr)", "not (title pr)"),
    ("NOT   (title pr)", "not (title pr)"),
    // Erratum 7322: full boolean expressions inside brackets.
    (
        r#"emails[type eq "work" or (type eq "home" and value ew "@x")]"#,
        r#"emails[type eq "work" or type eq "home" and value ew "@x"]"#,
    ),
    (r#"emails[not (type eq "work")]"#, r#"emails[not (type eq "work")]"#),
    (r#"emails[(type eq "work")]"#, r#"emails[type eq "work"]"#),
    // Erratum 4670: and binds tighter than or.
    (r#"a pr or b pr and c pr"#, "a pr or b pr and c pr"),
    (r#"(a pr or b pr) and c pr"#, "(a pr or b pr) and c pr"),
    (r#"a pr and (b pr or c pr)"#, "a pr and (b pr or c pr)"),
    (r#"a pr and (b pr and c pr)"#, "a pr and (b pr and c pr)"),
    (r#"(a pr and b pr) and c pr"#, "a pr and b pr and c pr"),
    // URNs with `-`, `.`, digits; URN-qualified sub-attributes.
    (
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
    ),
    (
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
    ),
    (
        r#"urn:my-company.example:schemas:v1.2:User:badge-id eq 7"#,
        r#"urn:my-company.example:schemas:v1.2:User:badge-id eq 7"#,
    ),
    (r#"URN:foo:bar:x pr"#, "URN:foo:bar:x pr"),
    // `$ref` as a name, `-` and `_` in names.
    (r#"members[$ref eq "https://x/Users/1"]"#, r#"members[$ref eq "https://x/Users/1"]"#),
    (r#"groups.$ref pr"#, "groups.$ref pr"),
    (r#"x-custom_attr1 pr"#, "x-custom_attr1 pr"),
    // compValues: JSON literals and numbers.
    ("active eq true", "active eq true"),
    ("active eq false", "active eq false"),
    ("active eq TRUE", "active eq true"),
    ("nickName eq null", "nickName eq null"),
    ("n eq 0", "n eq 0"),
    ("n eq 42", "n eq 42"),
    ("n eq -17", "n eq -17"),
    ("n eq 1.5", "n eq 1.5"),
    ("n eq -0.25", "n eq -0.25"),
    ("n eq 1e3", "n eq 1000.0"),
    ("n eq 2.5E-2", "n eq 0.025"),
    ("n eq 1E+2", "n eq 100.0"),
    ("n gt 18446744073709551615", "n gt 18446744073709551615"),
    // Every JSON escape.
    (r#"s eq "a\"b""#, r#"s eq "a\"b""#),
    (r#"s eq "a\\b""#, r#"s eq "a\\b""#),
    (r#"s eq "a\/b""#, r#"s eq "a/b""#),
    (r#"s eq "\b\f\n\r\t""#, r#"s eq "\b\f\n\r\t""#),
    (r#"s eq "\u00e9\u00E9""#, r#"s eq "éé""#),
    (r#"s eq "\ud83d\ude00""#, r#"s eq "😀""#),
    (r#"s eq "\u0001""#, r#"s eq "\u0001""#),
    (r#"s eq "é ünïcødé 😀""#, r#"s eq "é ünïcødé 😀""#),
    (r#"s eq """#, r#"s eq """#),
    // Case-insensitive operators and keywords; names keep their case.
    (r#"userName EQ "john""#, r#"userName eq "john""#),
    (
        r#"Username Eq "john" AND title Pr OR x Ne 1"#,
        r#"Username eq "john" and title pr or x ne 1"#,
    ),
    (
        r#"a Co "x" or b SW "y" or c eW "z" or d gT 1 or e Lt 1 or f gE 1 or g lE 1"#,
        r#"a co "x" or b sw "y" or c ew "z" or d gt 1 or e lt 1 or f ge 1 or g le 1"#,
    ),
    // Extra whitespace.
    (r#"   userName    eq    "x"   "#, r#"userName eq "x""#),
    (r#"( userName eq "x" )"#, r#"userName eq "x""#),
    (r#"(a pr)and(b pr)"#, "a pr and b pr"),
    (r#"emails[ type eq "work" ]"#, r#"emails[type eq "work"]"#),
    ("a pr\tand\nb pr", "a pr and b pr"),
    // A quote ends the operator unambiguously, so the space before a string may be left out.
    (r#"userName eq"x""#, r#"userName eq "x""#),
    // Attribute names that look like keywords.
    (r#"not eq "x""#, r#"not eq "x""#),
    (r#"notes pr and order pr"#, "notes pr and order pr"),
    (r#"and pr or or pr"#, "and pr or or pr"),
    // Entra: `attr[filter].sub op value` is the bracketed conjunction.
    (
        r#"emails[type eq "work"].value eq "x@y.z""#,
        r#"emails[type eq "work" and value eq "x@y.z"]"#,
    ),
    (r#"emails[type eq "work"].primary pr"#, r#"emails[type eq "work" and primary pr]"#),
    (
        r#"emails[type eq "work" or type eq "home"].value co "x""#,
        r#"emails[(type eq "work" or type eq "home") and value co "x"]"#,
    ),
    // Deep but allowed nesting.
    ("((((((((((a pr))))))))))", "a pr"),
    ("not (not (not (a pr)))", "not (not (not (a pr)))"),
];

/// (input, 1-based column, words the message must contain).
const INVALID: &[(&str, usize, &str)] = &[
    ("", 1, "the filter is empty"),
    ("   ", 4, "the filter is empty"),
    // Unquoted strings (including the RFC's own non-ABNF example).
    ("userName eq bjensen", 13, "comparison value"),
    ("(meta.resourceType eq User) or (meta.resourceType eq Group)", 23, "comparison value"),
    // `pr` with a value; a missing value; a missing operator.
    (r#"userName pr "x""#, 13, "'pr' takes no value"),
    ("userName eq", 12, "comparison value"),
    ("userName eq ", 13, "comparison value"),
    ("userName", 9, "comparison operator"),
    (r#"userName equals "x""#, 10, "comparison operator (eq, ne, co"),
    (r#"userName = "x""#, 10, "comparison operator"),
    (r#"userName eqx"#, 10, "comparison operator"),
    ("userName eq-1", 12, "a space and then a comparison value"),
    (r#"userName"x""#, 9, "comparison operator"),
    // Dangling and/or, empty operands.
    (r#"userName eq "x" and"#, 20, "an attribute name"),
    (r#"userName eq "x" or "#, 20, "an attribute name"),
    (r#"and userName eq "x""#, 5, "comparison operator"),
    ("()", 2, "an attribute name"),
    ("not ()", 6, "an attribute name"),
    ("not a pr", 5, "'(' after 'not'"),
    // Unbalanced parentheses and brackets.
    ("(a pr", 6, "')' to close the '(' at column 1"),
    ("((a pr)", 8, "')' to close the '(' at column 1"),
    ("a pr)", 5, "no matching '('"),
    (r#"emails[type eq "x""#, 19, "']' to close the '[' at column 7"),
    (r#"emails[type eq "x"]]"#, 20, "no matching '['"),
    (r#"emails type eq "x"]"#, 8, "comparison operator"),
    ("emails[]", 8, "an attribute name"),
    (r#"emails[type eq "x")"#, 19, "']' to close"),
    // Nested valuePaths (erratum 7322 keeps them out).
    (r#"emails[type[value pr] pr]"#, 12, "cannot be nested"),
    (r#"emails[type eq "work" and x[y pr]]"#, 28, "cannot be nested"),
    (r#"name.x[a pr]"#, 7, "not a sub-attribute"),
    // Bad escapes and raw control characters.
    (r#"s eq "\x""#, 7, "JSON escape"),
    (r#"s eq "\u12""#, 7, "four hex digits"),
    (r#"s eq "\uZZZZ""#, 7, "four hex digits"),
    (r#"s eq "\ud800""#, 13, "low surrogate"),
    (r#"s eq "\udc00""#, 7, "high surrogate"),
    ("s eq \"a\tb\"", 8, "raw control characters"),
    ("s eq \"a\nb\"", 8, "raw control characters"),
    ("s eq \"a\u{0}b\"", 8, "raw control characters"),
    (r#"s eq "abc"#, 10, "closing '\"'"),
    // Bad numbers and literals.
    ("n eq 01", 6, "leading zeros"),
    ("n eq 1.", 8, "digits after the decimal point"),
    ("n eq .5", 6, "comparison value"),
    ("n eq 1e", 8, "digits in the exponent"),
    ("n eq +1", 6, "comparison value"),
    ("n eq 1e999", 6, "range"),
    ("n eq 12abc", 8, "after the value"),
    ("b eq truex", 6, "comparison value"),
    (r#"s eq "a"b"#, 9, "after the value"),
    // Bad names and URNs.
    ("1abc pr", 1, "an attribute name"),
    ("a.b.c pr", 4, "comparison operator"),
    ("a. pr", 2, "comparison operator"),
    ("urn:foo: pr", 9, "attribute name after the schema URN"),
    ("urn: pr", 5, "schema URN"),
    ("urn:a:b:c.d.e pr", 12, "one sub-attribute at most"),
    // Non-ASCII and odd characters outside strings.
    ("ü pr", 1, "an attribute name"),
    (r#"userName eq "x" && title pr"#, 17, "'and', 'or' or the end"),
    (r#"userName eq "x" andtitle pr"#, 17, "'and', 'or' or the end"),
];

fn check_round_trip(input: &str, f: &Filter) {
    let printed = f.to_string();
    let again = parse(&printed)
        .unwrap_or_else(|e| panic!("canonical {printed:?} of {input:?} did not parse: {e}"));
    assert_eq!(&again, f, "canonical {printed:?} of {input:?} parsed to a different AST");
}

#[test]
fn valid_filters_parse_to_their_canonical_form() {
    assert!(VALID.len() >= 50);
    for (input, canonical) in VALID {
        let f = parse(input).unwrap_or_else(|e| panic!("{input:?} should parse: {e}"));
        assert_eq!(&f.to_string(), canonical, "canonical form of {input:?}");
        check_round_trip(input, &f);
    }
}

#[test]
fn invalid_filters_are_rejected_with_column_and_expectation() {
    assert!(INVALID.len() >= 50);
    let mut wrong = Vec::new();
    for (input, column, words) in INVALID {
        let e = match parse(input) {
            Ok(f) => {
                wrong.push(format!("{input:?} should be rejected, parsed as {f}"));
                continue;
            }
            Err(e) => e,
        };
        let msg = e.to_string();
        if !msg.contains(words) || e.column != *column {
            wrong.push(format!("{input:?}: got {msg:?}, want column {column} with {words:?}"));
        }
        assert!(msg.starts_with(&format!("column {}: expected ", e.column)), "{msg}");
        assert!(input.is_char_boundary(e.offset) && e.offset <= input.len());
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn ast_shapes() {
    let f = parse(r#"a eq "x" or b eq "y" and not (c pr)"#).unwrap();
    let cmp = |n: &str, v: &str| {
        Filter::compare(AttrPath::new(n), CompareOp::Eq, CompValue::String(v.into()))
    };
    let want = cmp("a", "x").or(cmp("b", "y").and(Filter::Present(AttrPath::new("c")).negate()));
    assert_eq!(f, want);

    // Chains fold to the left.
    let f = parse("a pr and b pr and c pr").unwrap();
    let p = |n: &str| Filter::Present(AttrPath::new(n));
    assert_eq!(f, p("a").and(p("b")).and(p("c")));

    let f = parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr")
        .unwrap();
    let path = AttrPath::new("manager")
        .with_urn("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        .with_sub("value");
    assert_eq!(f, Filter::Present(path));

    let f = parse(r#"emails[type eq "work"].value eq "x""#).unwrap();
    let g = parse(r#"emails[type eq "work" and value eq "x"]"#).unwrap();
    assert_eq!(f, g);
    assert!(
        matches!(parse("n eq -2.5e1").unwrap(), Filter::Compare { value: CompValue::Number(n), .. } if n.as_f64() == Some(-25.0))
    );
}

#[test]
fn nesting_is_limited_without_overflowing_the_stack() {
    for depth in [MAX_DEPTH + 1, 10_000, 100_000] {
        let input = format!("{}a pr{}", "(".repeat(depth), ")".repeat(depth));
        let e = parse(&input).unwrap_err();
        assert_eq!(e.column, MAX_DEPTH + 1, "{depth}");
        assert!(e.expected.contains("levels of nested"), "{e}");
        let nots = "not (".repeat(depth);
        assert!(parse(&format!("{nots}a pr{}", ")".repeat(depth))).is_err());
        assert!(parse(&"(".repeat(depth)).is_err());
    }
    let ok = format!("{}a pr{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert!(parse(&ok).is_ok());
}

#[test]
fn long_chains_are_bounded() {
    let chain = |n: usize| vec!["a pr"; n].join(" and ");
    assert!(parse(&chain(scim::filter::MAX_TERMS)).is_ok());
    let e = parse(&chain(scim::filter::MAX_TERMS + 1)).unwrap_err();
    assert!(e.expected.contains("attribute expressions"), "{e}");
    assert!(parse(&chain(100_000)).is_err());
}

#[test]
fn parse_errors_become_invalid_filter_errors() {
    let e: scim::ScimError = parse("userName eq bjensen").unwrap_err().into();
    assert_eq!(e.status, 400);
    assert_eq!(e.scim_type, Some(scim::ScimType::InvalidFilter));
    assert!(e.detail.starts_with("column 13: expected a comparison value"), "{}", e.detail);
}

#[test]
fn columns_count_characters_not_bytes() {
    let e = parse(r#"s eq "ééé" x"#).unwrap_err();
    assert_eq!(e.column, 12);
    assert_eq!(e.offset, 14);
}

#[test]
fn helpers() {
    let f = parse(r#"USERNAME eq "x""#).unwrap();
    let (path, value) = f.as_simple_eq().unwrap();
    assert!(path.is("userName"));
    assert_eq!(value, &CompValue::String("x".into()));
    assert!(parse(r#"userName ne "x""#).unwrap().as_simple_eq().is_none());
    assert!(parse(r#"userName eq "x" and a pr"#).unwrap().as_simple_eq().is_none());

    let f =
        parse(r#"userName eq "x" or emails[type eq "work"] and not (name.givenName pr)"#).unwrap();
    let got: Vec<String> = f.referenced_paths().iter().map(ToString::to_string).collect();
    assert_eq!(got, ["userName", "emails", "emails.type", "name.givenName"]);

    assert!(AttrPath::new("UserName").eq_ignore_case(&AttrPath::new("userName")));
    assert!(!AttrPath::new("userName").eq_ignore_case(&AttrPath::new("userName").with_sub("x")));
    assert_eq!(
        AttrPath::parse("name.givenName").unwrap(),
        AttrPath::new("name").with_sub("givenName")
    );
    assert!(AttrPath::parse("name givenName").is_err());
    let urn =
        AttrPath::parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").unwrap();
    assert_eq!(urn.as_schema_urn().as_deref(), Some(scim::messages::ENTERPRISE_USER));
    assert_eq!("a pr".parse::<Filter>().unwrap(), Filter::Present(AttrPath::new("a")));
}

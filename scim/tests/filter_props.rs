//! Property tests: print→parse round trips, the parser never panics, `not (F)` negates `F`.

use proptest::prelude::*;
use scim::filter::{AttrPath, CompValue, CompareOp, Filter, parse};
use scim::path::{PatchPath, parse_path};
use scim::schema::ResourceSchema;
use serde_json::Value;

fn op() -> impl Strategy<Value = CompareOp> {
    use CompareOp::*;
    prop_oneof![
        Just(Eq),
        Just(Ne),
        Just(Co),
        Just(Sw),
        Just(Ew),
        Just(Gt),
        Just(Lt),
        Just(Ge),
        Just(Le)
    ]
}

fn value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        any::<i64>().prop_map(|n| CompValue::Number(n.into())),
        any::<u64>().prop_map(|n| CompValue::Number(n.into())),
        any::<f64>()
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .prop_map(CompValue::Number),
        any::<String>().prop_map(|s| CompValue::String(s.into())),
        "[a-zA-Z0-9@. \"\\\\/]{0,12}".prop_map(|s| CompValue::String(s.into())),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
        Just("$ref".to_owned()),
        Just("not".to_owned()),
        Just("and".to_owned()),
        Just("or".to_owned()),
        Just("pr".to_owned()),
    ]
}

fn attr_path() -> impl Strategy<Value = AttrPath> {
    let urn = proptest::option::weighted(
        0.2,
        "urn:[a-zA-Z0-9][a-zA-Z0-9.-]{0,5}(:[a-zA-Z0-9][a-zA-Z0-9.-]{0,5}){0,4}",
    );
    (urn, name(), proptest::option::of(name())).prop_map(|(urn, name, sub_attr)| AttrPath {
        urn: urn.map(Into::into),
        name: name.into(),
        sub_attr: sub_attr.map(Into::into),
    })
}

fn leaf() -> impl Strategy<Value = Filter> {
    prop_oneof![
        4 => (attr_path(), op(), value()).prop_map(|(path, op, value)| Filter::Compare { path, op, value }),
        1 => attr_path().prop_map(Filter::Present),
    ]
}

/// Boolean structure over `leaves`; value filters only when `brackets` (never nested).
fn tree(leaves: BoxedStrategy<Filter>, brackets: bool) -> BoxedStrategy<Filter> {
    leaves
        .prop_recursive(5, 32, 2, move |inner| {
            let mut options = vec![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| a.and(b)).boxed(),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| a.or(b)).boxed(),
                inner.clone().prop_map(Filter::negate).boxed(),
            ];
            if brackets {
                let attr = (proptest::option::weighted(0.2, Just("urn:x:y".to_owned())), name())
                    .prop_map(|(urn, name)| AttrPath {
                        urn: urn.map(Into::into),
                        name: name.into(),
                        sub_attr: None,
                    });
                let inside = tree(leaf().boxed(), false);
                options.push(
                    (attr, inside)
                        .prop_map(|(attr, f)| Filter::ValuePath { attr, filter: Box::new(f) })
                        .boxed(),
                );
            }
            proptest::strategy::Union::new(options)
        })
        .boxed()
}

fn any_filter() -> BoxedStrategy<Filter> {
    tree(leaf().boxed(), true)
}

/// Filters over attributes the User schema defines (plus an unknown one), so evaluation runs.
fn user_filter() -> BoxedStrategy<Filter> {
    let path = prop_oneof![
        Just(AttrPath::new("userName")),
        Just(AttrPath::new("name").with_sub("givenName")),
        Just(AttrPath::new("emails")),
        Just(AttrPath::new("emails").with_sub("type")),
        Just(AttrPath::new("emails").with_sub("value")),
        Just(AttrPath::new("title")),
        Just(AttrPath::new("nickName")),
        Just(AttrPath::new("unknownAttr")),
        Just(AttrPath::new("employeeNumber").with_urn(scim::messages::ENTERPRISE_USER)),
    ];
    let value = prop_oneof![
        Just(CompValue::Null),
        prop_oneof![
            "[a-zA-Z@.]{0,4}",
            Just("bjensen".to_owned()),
            Just("work".to_owned()),
            Just("701984".to_owned())
        ]
        .prop_map(|s| CompValue::String(s.into())),
    ];
    let op = prop_oneof![
        Just(CompareOp::Eq),
        Just(CompareOp::Ne),
        Just(CompareOp::Co),
        Just(CompareOp::Sw)
    ];
    let leaf = prop_oneof![
        4 => (path.clone(), op, value).prop_map(|(path, op, value)| Filter::Compare { path, op, value }),
        1 => path.prop_map(Filter::Present),
        1 => Just(Filter::Compare { path: AttrPath::new("active"), op: CompareOp::Eq, value: CompValue::Bool(true) }),
        1 => prop_oneof![Just("work"), Just("home")].prop_map(|t| Filter::ValuePath {
            attr: AttrPath::new("emails"),
            filter: Box::new(Filter::compare(AttrPath::new("type"), CompareOp::Eq, CompValue::String(t.into()))),
        }),
    ];
    tree(leaf.boxed(), false)
}

fn users() -> Vec<Value> {
    serde_json::from_str(include_str!("fixtures/users.json")).expect("fixture is JSON")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn printing_then_parsing_gives_the_same_ast(f in any_filter()) {
        let printed = f.to_string();
        let back = parse(&printed);
        prop_assert_eq!(back, Ok(f.clone()), "printed: {}", printed);
    }

    #[test]
    fn patch_paths_round_trip(attr in attr_path(), inner in tree(leaf().boxed(), false), sub in proptest::option::of(name())) {
        let attr = AttrPath { sub_attr: None, ..attr };
        for p in [PatchPath::Attr(attr.clone()), PatchPath::ValuePath { attr, filter: inner, sub_attr: sub }] {
            let printed = p.to_string();
            prop_assert_eq!(parse_path(&printed), Ok(p.clone()), "printed: {}", printed);
        }
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        if let Err(e) = parse(&s) {
            prop_assert!(e.offset <= s.len() && s.is_char_boundary(e.offset));
        }
        let _ = parse_path(&s);
    }

    #[test]
    fn filter_like_strings_never_panic(s in r#"(userName|emails|not|and|or|pr|eq|co|gt|urn:a:b|\.|\[|\]|\(|\)|"|\\|\\u00|[a-z0-9$:. -]){0,30}"#) {
        match parse(&s) {
            // Whatever parses prints to something that parses to the same tree.
            Ok(f) => prop_assert_eq!(parse(&f.to_string()), Ok(f)),
            Err(e) => prop_assert!(e.offset <= s.len() && !e.expected.is_empty()),
        }
        let _ = parse_path(&s);
    }

    #[test]
    fn not_is_negation(f in user_filter()) {
        let schema = ResourceSchema::user();
        let not_f = f.clone().negate();
        for u in users() {
            match (f.matches(&u, schema), not_f.matches(&u, schema)) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, !b, "{} on {}", f, u["id"]),
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                (a, b) => prop_assert!(false, "{f}: {a:?} vs {b:?}"),
            }
        }
        // And through the printer: `not (F)` as text means the same.
        let reparsed = parse(&format!("not ({f})")).unwrap();
        prop_assert_eq!(reparsed, not_f);
    }
}

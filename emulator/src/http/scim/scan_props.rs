//! Property: the listing's answer for any filter over any directory is the answer of rendering
//! every user in full and evaluating the filter against each, the definition the index lookups,
//! the stored-field shortcuts, the text pre-filter and the group member lookup must all agree
//! with.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::extract::BaseUrl;
use super::list::ListParams;
use super::{groups, render, schemas, users};
use crate::account::{SeedGroup, SeedUser, UserState};
use crate::clock::Clock;
use crate::ids::IdGenerator;
use crate::profile::Profile;
use crate::seed::Seed;
use crate::tenant::{Tenant, TenantId};

/// Words that overlap between the data and the filters, in several cases, with a quote, a
/// backslash, non-ASCII letters and the Kelvin sign (which lower-cases to an ASCII `k`).
const WORDS: &[&str] = &[
    "Ann",
    "Annabel",
    "bel",
    "ANN",
    "Lee",
    "lee",
    "Ann Lee",
    "Kim",
    "\u{212A}im",
    "kim",
    "Zoë",
    "ZOË",
    "a\"b",
    "c\\d",
    "",
    "x.com",
    "Ann@x.com",
    "work",
    "Home",
];

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(WORDS).prop_map(str::to_owned)
}

/// A user: login, given and family names, (email, type) pairs, externalId, active.
fn user() -> impl Strategy<Value = UserSpec> {
    (
        word(),
        word(),
        word(),
        prop::collection::vec((word(), prop::sample::select(&["work", "home", "Work"][..])), 0..3)
            .prop_map(|v| v.into_iter().map(|(a, b)| (a, b.to_owned())).collect()),
        prop::option::of(word()),
        any::<bool>(),
    )
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => word().prop_map(|w| serde_json::to_string(&w).unwrap_or_default()),
        1 => Just("true".to_owned()),
        1 => Just("false".to_owned()),
        1 => Just("null".to_owned()),
        1 => Just("\"TRUE\"".to_owned()),
        1 => Just("3".to_owned()),
    ]
}

/// Attribute paths: the stored string attributes the shortcuts decide most often, then the
/// computed ones and odd spellings.
const PATHS: &[&str] = &[
    "userName",
    "displayName",
    "name.familyName",
    "name.givenName",
    "name.formatted",
    "emails",
    "emails.value",
    "userName",
    "displayName",
    "name.familyName",
    "name.givenName",
    "emails.value",
    "USERNAME",
    "emails.type",
    "externalId",
    "active",
    "id",
    "title",
    "groups.display",
    "meta.resourceType",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
];
/// Operators, the text ones twice.
const OPS: &[&str] =
    &["eq", "co", "sw", "ew", "eq", "co", "sw", "ew", "ne", "gt", "ge", "lt", "le"];

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (prop::sample::select(PATHS), prop::sample::select(OPS), value())
            .prop_map(|(p, o, v)| format!("{p} {o} {v}")),
        1 => prop::sample::select(PATHS).prop_map(|p| format!("{p} pr")),
        1 => (prop::sample::select(&["type", "value"][..]), prop::sample::select(OPS), value())
            .prop_map(|(p, o, v)| format!("emails[{p} {o} {v}]")),
    ]
}

fn filter() -> impl Strategy<Value = String> {
    let combined = leaf().prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) and ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) or ({b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    });
    // Mostly single comparisons: each shortcut is exercised on its own, where a wrong answer
    // is not hidden by the rest of a compound filter.
    prop_oneof![2 => leaf(), 1 => combined]
}

type UserSpec = (String, String, String, Vec<(String, String)>, Option<String>, bool);

fn tenant(specs: &[UserSpec], profile: Profile) -> Tenant {
    let users = specs
        .iter()
        .enumerate()
        .map(|(i, (login, given, family, emails, external, active))| {
            let mut attributes = Map::new();
            attributes.insert("name".into(), json!({"givenName": given, "familyName": family}));
            let emails: Vec<Value> =
                emails.iter().map(|(v, t)| json!({"value": v, "type": t})).collect();
            attributes.insert("emails".into(), Value::Array(emails));
            if let Some(e) = external {
                attributes.insert("externalId".into(), json!(e));
            }
            SeedUser {
                user_name: format!("{login}{i}@x.com"),
                state: Some(if *active { UserState::Active } else { UserState::Suspended }),
                attributes,
                ..Default::default()
            }
        })
        .collect::<Vec<_>>();
    let groups = vec![SeedGroup {
        display_name: "Lee".into(),
        members: users.iter().step_by(2).map(|u| u.user_name.clone()).collect(),
        ..Default::default()
    }];
    let seed = Seed { users, groups, ..Default::default() };
    let clock = Clock::manual(Clock::default_manual_start());
    Tenant::build(
        TenantId::default_tenant(),
        "t".into(),
        profile,
        clock,
        IdGenerator::new(7),
        Some(seed),
        false,
    )
    .expect("tenant")
}

fn ids(values: Vec<Value>) -> Vec<String> {
    let mut ids: Vec<String> =
        values.iter().filter_map(|v| v["id"].as_str().map(str::to_owned)).collect();
    ids.sort();
    ids
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn user_listings_answer_as_evaluating_every_rendered_user(
        specs in prop::collection::vec(user(), 0..12),
        raw in filter(),
        rfc in any::<bool>(),
    ) {
        let profile = if rfc { Profile::rfc() } else { Profile::default() };
        let t = tenant(&specs, profile);
        let base = BaseUrl::default();
        let Ok(f) = scim::filter::parse(&raw) else { return Ok(()) };
        let expected: Result<Vec<String>, _> = t
            .account
            .users()
            .filter_map(|u| {
                let doc = render::full_user(u, &t.account, &t.profile, &base);
                match f.matches(&doc, &schemas::USER) {
                    Ok(true) => Some(Ok(u.id.clone())),
                    Ok(false) => None,
                    Err(e) => Some(Err(e)),
                }
            })
            .collect();
        let params = ListParams { filter: Some(f), count: 10_000, start_index: 1, ..Default::default() };
        let got = users::search(&t, params, &base)
            .map(|l| ids(l.resources.into_iter().map(render::Rendered::into_value).collect()));
        match (expected, got) {
            (Ok(mut want), Ok(got)) => {
                want.sort();
                prop_assert_eq!(got, want, "filter {}", raw);
            }
            // The listing refuses exactly the filters the schema refuses (the reference only
            // finds out when it has a user to evaluate).
            (_, Err(_)) => prop_assert!(f_invalid(&raw), "listing refused a valid filter {}", raw),
            (Err(e), Ok(_)) => prop_assert!(false, "filter {} should be refused: {}", raw, e),
        }
    }

    #[test]
    fn group_member_lookups_answer_as_evaluating_every_group(
        specs in prop::collection::vec(user(), 1..8),
        pick in any::<prop::sample::Index>(),
        lower in any::<bool>(),
    ) {
        let t = tenant(&specs, Profile { hide_builtin_groups: false, ..Profile::rfc() });
        let base = BaseUrl::default();
        let all: Vec<&crate::account::User> = t.account.users().collect();
        let id = &all[pick.index(all.len())].id;
        let id = if lower { id.to_ascii_lowercase() } else { id.clone() };
        for raw in [format!("members.value eq \"{id}\""), format!("members eq \"{id}\"")] {
            let f = scim::filter::parse(&raw).expect("filter");
            let mut want: Vec<String> = t
                .account
                .groups()
                .filter(|g| !(t.profile.hide_builtin_groups && g.kind.is_builtin()))
                .filter(|g| f.matches(&render::group_for_filter(g, true), &schemas::GROUP).unwrap_or(false))
                .map(|g| g.id.clone())
                .collect();
            want.sort();
            let params = ListParams { filter: Some(f), count: 10_000, start_index: 1, ..Default::default() };
            let got = groups::search(&t, params, &base).expect("search");
            prop_assert_eq!(ids(got.resources.into_iter().map(render::Rendered::into_value).collect()), want);
        }
    }
}

/// Whether the schema refuses the filter (validation looks at no data).
fn f_invalid(raw: &str) -> bool {
    scim::filter::parse(raw).map(|f| f.validate(&schemas::USER).is_err()).unwrap_or(true)
}

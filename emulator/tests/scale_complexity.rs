//! Complexity tests: they count the work a request does (renders, filter evaluations,
//! membership reads), not its time, so they cannot flake. Each talks to a real server over
//! HTTP and reads the tenant's work counters before and after.

use emulator::TestServer;
use emulator::account::{SeedGroup, SeedUser, UserState, Work};
use emulator::config::{ClockMode, EmulatorConfig};
use emulator::profile::Profile;
use emulator::seed::Seed;
use serde_json::{Value, json};

/// `n` users `user0000@example.com`... with family names `Family0000`...; every third one
/// suspended; every fifth one in the managed group "Ops".
fn seed(n: usize) -> Seed {
    let users: Vec<SeedUser> = (0..n)
        .map(|i| {
            let mut attributes = serde_json::Map::new();
            attributes.insert(
                "name".into(),
                json!({"givenName": format!("Given{i:04}"), "familyName": format!("Family{i:04}")}),
            );
            SeedUser {
                user_name: format!("user{i:04}@example.com"),
                state: Some(if i % 3 == 0 { UserState::Suspended } else { UserState::Active }),
                attributes,
                ..Default::default()
            }
        })
        .collect();
    let ops = SeedGroup {
        display_name: "Ops".into(),
        members: users.iter().step_by(5).map(|u| u.user_name.clone()).collect(),
        ..Default::default()
    };
    Seed { users, groups: vec![ops], ..Default::default() }
}

async fn server(n: usize, profile: Profile) -> TestServer {
    TestServer::with_config(EmulatorConfig {
        clock: ClockMode::Manual,
        profile,
        seed: Some(seed(n)),
        ..Default::default()
    })
    .await
}

fn work(s: &TestServer) -> Work {
    s.emulator().default_tenant().read().account.work()
}

fn users_in_account(s: &TestServer) -> u64 {
    s.emulator().default_tenant().read().account.user_count() as u64
}

fn delta(before: Work, after: Work) -> Work {
    Work {
        renders: after.renders - before.renders,
        evaluations: after.evaluations - before.evaluations,
        full_evaluations: after.full_evaluations - before.full_evaluations,
        membership_reads: after.membership_reads - before.membership_reads,
    }
}

/// GETs `path` on the SCIM API and returns the JSON body (asserting 200).
async fn get(s: &TestServer, path: &str) -> Value {
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", s.scim_url()))
        .bearer_auth(s.scim_token())
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.expect("json")
}

/// The work one GET does.
async fn work_of(s: &TestServer, path: &str) -> (Work, Value) {
    let before = work(s);
    let body = get(s, path).await;
    (delta(before, work(s)), body)
}

#[tokio::test]
async fn a_non_indexed_filter_evaluates_each_user_once_and_renders_only_the_page() {
    for n in [300, 600] {
        let s = server(n, Profile::default()).await;
        let all = users_in_account(&s);
        // Matches Family0100..Family0199: 100 users, a page of 7.
        let (w, body) =
            work_of(&s, "/Users?filter=name.familyName%20sw%20%22Family01%22&count=7").await;
        assert_eq!(body["totalResults"], 100);
        assert_eq!(body["Resources"].as_array().map(Vec::len), Some(7));
        assert_eq!(w.evaluations, all, "one evaluation per user, n = {n}");
        assert_eq!(w.renders, 7, "only the page is rendered, n = {n}");
        // The text pre-filter rules out the users without "family01 in their attributes: only
        // the 100 candidates are parsed and evaluated in full.
        assert_eq!(w.full_evaluations, 100, "n = {n}");
        assert_eq!(w.membership_reads, 0);
    }
}

#[tokio::test]
async fn active_and_user_name_filters_are_decided_from_stored_fields() {
    let s = server(300, Profile::default()).await;
    let all = users_in_account(&s);
    let (w, body) = work_of(&s, "/Users?filter=active%20eq%20false&count=5").await;
    assert_eq!(body["totalResults"], 100);
    assert_eq!((w.evaluations, w.full_evaluations, w.renders), (all, 0, 5));
    let (w, body) = work_of(&s, "/Users?filter=userName%20sw%20%22USER00%22&count=3").await;
    assert_eq!(body["totalResults"], 100);
    assert_eq!((w.evaluations, w.full_evaluations, w.renders), (all, 0, 3));
    // Mixed: the stored field rules out the active users; the rest are parsed.
    let (w, body) =
        work_of(&s, "/Users?filter=active%20eq%20false%20and%20name.givenName%20pr&count=1").await;
    assert_eq!(body["totalResults"], 100);
    assert_eq!(w.full_evaluations, 100);
}

#[tokio::test]
async fn indexed_lookups_evaluate_and_render_one_user() {
    let s = server(500, Profile::default()).await;
    let (w, body) = work_of(&s, "/Users?filter=userName%20eq%20%22user0042@example.com%22").await;
    assert_eq!(body["totalResults"], 1);
    assert_eq!((w.evaluations, w.renders), (0, 1));
}

#[tokio::test]
async fn a_users_groups_are_read_from_the_reverse_index() {
    // The rfc payload lists each user's groups. Reading them costs the user's memberships
    // (Team Members, plus Ops for every fifth user) for each rendering the request makes (the
    // response, and the ETag's content hash in the rfc profile), whatever the account's size.
    let mut costs = Vec::new();
    for n in [100, 400] {
        let s = server(n, Profile { hide_builtin_groups: false, ..Profile::rfc() }).await;
        let page = get(&s, "/Users?filter=userName%20eq%20%22user0005@example.com%22").await;
        let id = page["Resources"][0]["id"].as_str().expect("id").to_owned();
        let (w, body) = work_of(&s, &format!("/Users/{id}")).await;
        assert_eq!(body["groups"].as_array().map(Vec::len), Some(2), "{body}");
        let two_groups = w.membership_reads;
        let page = get(&s, "/Users?filter=userName%20eq%20%22user0001@example.com%22").await;
        let id = page["Resources"][0]["id"].as_str().expect("id").to_owned();
        let (w, _) = work_of(&s, &format!("/Users/{id}")).await;
        let one_group = w.membership_reads;
        // Proportional to the user's own memberships: twice the groups, twice the reads.
        assert!(one_group >= 1, "n = {n}");
        assert_eq!(two_groups, 2 * one_group, "n = {n}");
        costs.push((one_group, two_groups));
    }
    // And the same at 400 users as at 100.
    assert_eq!(costs[0], costs[1], "membership reads grew with the directory: {costs:?}");
}

#[tokio::test]
async fn which_groups_is_this_user_in_is_a_member_set_lookup() {
    let profile = Profile { hide_builtin_groups: false, ..Profile::rfc() };
    let s = server(200, profile).await;
    let page = get(&s, "/Users?filter=userName%20eq%20%22user0010@example.com%22").await;
    let id = page["Resources"][0]["id"].as_str().expect("id").to_owned();
    let body =
        get(&s, &format!("/Groups?filter=members.value%20eq%20%22{id}%22&attributes=displayName"))
            .await;
    let mut names: Vec<&str> = body["Resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|g| g["displayName"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Ops", "Team Members"]);
}

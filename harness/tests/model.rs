//! Model-based property test: random sequences of create, suspend, reactivate, delete, raw
//! `active` PATCHes, accept, confirm, clock steps, group add/remove and injected 429s run against
//! the emulator (through the connector; raw SCIM for create, delete, raw PATCHes and group
//! membership; the control plane for accept, confirm, clock and faults) and against a small
//! reference model of the account with one managed group per case. After every step:
//!
//! - `get` of every user and the full list through the connector equal the model's
//!   active/suspended view;
//! - `GET /Groups/{id}` members equal the model's, and the group's audit events (`create`, then
//!   `join`/`leave` with `aux_uuid` = the user) equal the model's membership transitions;
//! - every user's 1Password state in `GET {admin}/export` (`TRANSFER_STARTED`, `ACTIVE`,
//!   `SUSPENDED`, `TRANSFER_SUSPENDED`, and whether they signed up) equals the model's;
//! - the tenant's audit events (read with the connector's Events client from a reset), per user,
//!   are exactly the actions the model says its transitions emit.
//!
//! The model encodes what the emulator does in the `onepassword` profile: DELETE suspends;
//! suspending a suspended user or reactivating an active one emits nothing, whether the connector
//! skips the PATCH or a raw PATCH is sent; adding a member twice or removing a non-member answers
//! 200 and emits nothing; the confirmation watcher confirms a signed-up user lazily, on the first
//! SCIM request once 300 s have passed; a signed-up user suspended before confirmation leaves the
//! watcher's queue and returns to it when reactivated.
//!

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use connector::events::{EventKind, EventsClient, Start, parse_time};
use connector::{Client, RetryPolicy, UserStatus};
use proptest::prelude::*;
use serde_json::{Value, json};

const EMAILS: [&str; 3] = ["ann@model.example", "bo@model.example", "cy@model.example"];
/// The `onepassword` profile's confirmation delay.
const CONFIRMATION_DELAY: i64 = 300;

#[derive(Debug, Clone)]
enum Op {
    Create(usize),
    Suspend(usize),
    Reactivate(usize),
    Delete(usize),
    /// A raw SCIM PATCH of `active` (no connector, so no read-before-write).
    SetActive(usize, bool),
    Accept(usize),
    Confirm,
    Advance(i64),
    Join(usize),
    Leave(usize),
    Throttle,
}

fn op() -> impl Strategy<Value = Op> {
    let u = 0..EMAILS.len();
    prop_oneof![
        3 => u.clone().prop_map(Op::Create),
        3 => u.clone().prop_map(Op::Suspend),
        3 => u.clone().prop_map(Op::Reactivate),
        1 => u.clone().prop_map(Op::Delete),
        2 => (u.clone(), any::<bool>()).prop_map(|(i, a)| Op::SetActive(i, a)),
        3 => u.clone().prop_map(Op::Accept),
        2 => u.clone().prop_map(Op::Join),
        2 => u.clone().prop_map(Op::Leave),
        1 => Just(Op::Confirm),
        2 => prop_oneof![Just(60), Just(240), Just(300)].prop_map(Op::Advance),
        1 => Just(Op::Throttle),
    ]
}

/// A user's 1Password state as the model sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// `TRANSFER_STARTED`: invited (maybe signed up, not yet confirmed).
    Invited,
    /// `TRANSFER_SUSPENDED`: suspended before confirmation.
    InvitedSuspended,
    /// `ACTIVE`: confirmed.
    Active,
    /// `SUSPENDED`: suspended after confirmation.
    Suspended,
}

impl State {
    fn wire(self) -> &'static str {
        match self {
            State::Invited => "TRANSFER_STARTED",
            State::InvitedSuspended => "TRANSFER_SUSPENDED",
            State::Active => "ACTIVE",
            State::Suspended => "SUSPENDED",
        }
    }

    fn active(self) -> bool {
        matches!(self, State::Invited | State::Active)
    }
}

#[derive(Debug, Clone)]
struct ModelUser {
    id: String,
    state: State,
    /// Seconds after the clock start when they accepted the invitation.
    signed_up: Option<i64>,
    /// In the confirmation watcher's queue.
    awaiting: bool,
    /// The audit actions on this user, in order.
    actions: Vec<&'static str>,
}

#[derive(Debug, Default)]
struct Model {
    users: BTreeMap<usize, ModelUser>,
    /// Seconds since the tenant's clock start.
    now: i64,
    /// The members of the case's managed group.
    members: BTreeSet<usize>,
    /// The group's audit events: action and, for join/leave, the user.
    group_events: Vec<(String, Option<String>)>,
}

impl Model {
    fn suspend(&mut self, i: usize) {
        if let Some(u) = self.users.get_mut(&i) {
            let next = match u.state {
                State::Invited => State::InvitedSuspended,
                State::Active => State::Suspended,
                _ => return,
            };
            u.state = next;
            u.actions.push("suspend");
        }
    }

    fn reactivate(&mut self, i: usize) {
        if let Some(u) = self.users.get_mut(&i) {
            let next = match u.state {
                State::InvitedSuspended => State::Invited,
                State::Suspended => State::Active,
                _ => return,
            };
            u.state = next;
            // A signed-up invitee is waiting for confirmation again.
            u.awaiting = next == State::Invited && u.signed_up.is_some();
            u.actions.push("reactive");
        }
    }

    /// The confirmation watcher with `delay`: confirms due signed-up invited users, drops users
    /// who are no longer invited from its queue.
    fn watch(&mut self, delay: i64) {
        let now = self.now;
        for u in self.users.values_mut().filter(|u| u.awaiting) {
            if u.state != State::Invited {
                u.awaiting = false;
            } else if u.signed_up.is_some_and(|at| at + delay <= now) {
                u.state = State::Active;
                u.awaiting = false;
                u.actions.push("verify");
            }
        }
    }
}

struct Case<'a> {
    server: &'a emulator::TestServer,
    client: Client,
    events: EventsClient,
    http: reqwest::Client,
    token: String,
    admin: String,
    baseline: Vec<String>,
    /// The case's managed group.
    group: String,
}

impl Case<'_> {
    async fn admin_post(&self, path: &str, body: Value) -> Result<(u16, Value), String> {
        let resp = self
            .http
            .post(format!("{}/{path}", self.admin))
            .bearer_auth(self.server.admin_token())
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        Ok((status, resp.json().await.unwrap_or_default()))
    }

    async fn step(&self, model: &mut Model, op: &Op) -> Result<(), String> {
        match *op {
            Op::Create(i) => {
                let resp = self
                    .http
                    .post(format!("{}/Users", self.server.scim_url()))
                    .bearer_auth(&self.token)
                    .json(&json!({"userName": EMAILS[i], "name": {"givenName": "M", "familyName": "U"},
                                  "emails": [{"value": EMAILS[i], "primary": true}]}))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap_or_default();
                match model.users.entry(i) {
                    std::collections::btree_map::Entry::Occupied(_) => {
                        check(status == 409, || format!("duplicate create answered {status}"))?;
                    }
                    std::collections::btree_map::Entry::Vacant(slot) => {
                        check(status == 200, || format!("create answered {status}: {body}"))?;
                        let id = body["id"].as_str().ok_or("no id")?.to_owned();
                        slot.insert(ModelUser {
                            id,
                            state: State::Invited,
                            signed_up: None,
                            awaiting: false,
                            actions: vec!["provsn"],
                        });
                    }
                }
            }
            Op::Suspend(i) | Op::Reactivate(i) | Op::Delete(i) => {
                let Some(id) = model.users.get(&i).map(|u| u.id.clone()) else { return Ok(()) };
                match op {
                    Op::Suspend(_) => {
                        let u = self.client.suspend_user(&id).await.map_err(|e| e.to_string())?;
                        check(u.status == UserStatus::Suspended, || "suspend".into())?;
                        model.suspend(i);
                    }
                    Op::Reactivate(_) => {
                        let u =
                            self.client.reactivate_user(&id).await.map_err(|e| e.to_string())?;
                        check(u.status == UserStatus::Active, || "reactivate".into())?;
                        model.reactivate(i);
                    }
                    _ => {
                        // The onepassword profile: DELETE suspends (204, still listed).
                        let resp = self
                            .http
                            .delete(format!("{}/Users/{id}", self.server.scim_url()))
                            .bearer_auth(&self.token)
                            .send()
                            .await
                            .map_err(|e| e.to_string())?;
                        let status = resp.status().as_u16();
                        check(status == 204, || format!("delete answered {status}"))?;
                        model.suspend(i);
                    }
                }
            }
            Op::Accept(i) => {
                let Some(u) = model.users.get_mut(&i) else { return Ok(()) };
                let (status, body) =
                    self.admin_post(&format!("users/{}/accept", u.id), json!({})).await?;
                if u.state == State::Invited && u.signed_up.is_none() {
                    check(status == 200, || format!("accept answered {status}: {body}"))?;
                    u.signed_up = Some(model.now);
                    u.awaiting = true;
                    u.actions.push("join");
                } else {
                    // No open invitation: refused, and nothing changes.
                    check((400..500).contains(&status), || {
                        format!("accept of a {:?} user answered {status}: {body}", u.state)
                    })?;
                }
            }
            Op::Confirm => {
                let (status, body) = self.admin_post("confirmations/run", json!({})).await?;
                check(status == 200, || format!("confirmations/run answered {status}: {body}"))?;
                model.watch(0);
            }
            Op::Advance(secs) => {
                let (status, body) = self.admin_post("clock", json!({"advance": secs})).await?;
                check(status == 200, || format!("clock answered {status}: {body}"))?;
                model.now += secs;
            }
            Op::SetActive(i, active) => {
                let Some(id) = model.users.get(&i).map(|u| u.id.clone()) else { return Ok(()) };
                let resp = self
                    .http
                    .patch(format!("{}/Users/{id}", self.server.scim_url()))
                    .bearer_auth(&self.token)
                    .json(&json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                  "Operations": [{"op": "replace", "path": "active", "value": active}]}))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap_or_default();
                check(status == 200 && body["active"] == active, || {
                    format!("PATCH active={active} answered {status}: {body}")
                })?;
                if active {
                    model.reactivate(i);
                } else {
                    model.suspend(i);
                }
            }
            Op::Join(i) | Op::Leave(i) => {
                let Some(id) = model.users.get(&i).map(|u| u.id.clone()) else { return Ok(()) };
                let operation = if matches!(op, Op::Join(_)) {
                    json!({"op": "add", "path": "members", "value": [{"value": id}]})
                } else {
                    json!({"op": "remove", "path": format!("members[value eq \"{id}\"]")})
                };
                let resp = self
                    .http
                    .patch(format!("{}/Groups/{}", self.server.scim_url(), self.group))
                    .bearer_auth(&self.token)
                    .json(&json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                  "Operations": [operation]}))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap_or_default();
                check(status == 200 || status == 204, || {
                    format!("group PATCH answered {status}: {body}")
                })?;
                // Adding a member or removing a non-member changes nothing and emits nothing.
                let changed = if matches!(op, Op::Join(_)) {
                    model.members.insert(i)
                } else {
                    model.members.remove(&i)
                };
                if changed {
                    let action = if matches!(op, Op::Join(_)) { "join" } else { "leave" };
                    model.group_events.push((action.into(), Some(id)));
                }
            }
            Op::Throttle => {
                let (status, body) = self
                    .admin_post(
                        "faults",
                        json!({"match": {"method": "GET"}, "times": 1,
                               "action": {"status": 429, "retry_after": 0}}),
                    )
                    .await?;
                check((200..300).contains(&status), || format!("fault answered {status}: {body}"))?;
            }
        }
        Ok(())
    }

    /// The connector's view, the export's states and the audit events equal the model.
    async fn verify(&self, model: &mut Model) -> Result<(), String> {
        // Every SCIM request lets the confirmation watcher catch up first.
        model.watch(CONFIRMATION_DELAY);
        for u in model.users.values() {
            let got = self.client.get_user(&u.id).await.map_err(|e| e.to_string())?;
            let want = if u.state.active() { UserStatus::Active } else { UserStatus::Suspended };
            check(got.status == want, || {
                format!("get {}: {:?}, model {want:?}", u.id, got.status)
            })?;
        }
        let mut listed: Vec<(String, bool)> = self
            .client
            .list_all_users(None)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|u| !self.baseline.contains(&u.id))
            .map(|u| (u.id, u.status == UserStatus::Suspended))
            .collect();
        listed.sort();
        let mut expected: Vec<(String, bool)> =
            model.users.values().map(|u| (u.id.clone(), !u.state.active())).collect();
        expected.sort();
        check(listed == expected, || format!("list {listed:?} != model {expected:?}"))?;

        // The group's members.
        let resp = self
            .http
            .get(format!("{}/Groups/{}", self.server.scim_url(), self.group))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let group: Value = resp.json().await.map_err(|e| e.to_string())?;
        let mut members: Vec<String> = group["members"]
            .as_array()
            .map(|ms| ms.iter().filter_map(|m| m["value"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        members.sort();
        let mut want: Vec<String> =
            model.members.iter().filter_map(|i| model.users.get(i)).map(|u| u.id.clone()).collect();
        want.sort();
        check(members == want, || format!("group members {members:?} != model {want:?}"))?;

        // The 1Password states, through the control plane's export.
        let resp = self
            .http
            .get(format!("{}/export", self.admin))
            .bearer_auth(self.server.admin_token())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let export: Value = resp.json().await.map_err(|e| e.to_string())?;
        for (i, u) in &model.users {
            let row = export["users"]
                .as_array()
                .and_then(|users| users.iter().find(|r| r["userName"] == EMAILS[*i]))
                .ok_or_else(|| format!("{} missing from the export", EMAILS[*i]))?;
            let state = row["state"].as_str().unwrap_or("ACTIVE");
            check(state == u.state.wire(), || {
                format!("export state of {}: {state}, model {:?}", EMAILS[*i], u.state)
            })?;
            let signed_up = !row["signedUpAt"].is_null();
            check(signed_up == u.signed_up.is_some(), || {
                format!("export signedUpAt of {}: {}, model {:?}", EMAILS[*i], row, u.signed_up)
            })?;
        }

        // The audit events, per user.
        let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut group_events: Vec<(String, Option<String>)> = Vec::new();
        let since = parse_time("2025-01-01T00:00:00Z").map_err(|e| e.to_string())?;
        let mut start = Start::Reset { limit: Some(1000), start_time: Some(since), end_time: None };
        loop {
            let page =
                self.events.poll(EventKind::Audit, start).await.map_err(|e| e.to_string())?;
            for e in &page.items {
                if e["object_type"] == "user"
                    && let Some(id) = e["object_uuid"].as_str()
                {
                    let action = e["action"].as_str().unwrap_or_default().to_owned();
                    seen.entry(id.to_owned()).or_default().push(action);
                } else if e["object_type"] == "group" && e["object_uuid"] == self.group.as_str() {
                    let action = e["action"].as_str().unwrap_or_default().to_owned();
                    group_events.push((action, e["aux_uuid"].as_str().map(str::to_owned)));
                }
            }
            if !page.has_more {
                break;
            }
            start = Start::Cursor(page.cursor);
        }
        for u in model.users.values() {
            let got = seen.remove(&u.id).unwrap_or_default();
            check(got == u.actions, || {
                format!("audit actions of {}: {got:?}, model {:?}", u.id, u.actions)
            })?;
        }
        let strays: Vec<&String> = seen.keys().filter(|id| !self.baseline.contains(id)).collect();
        check(strays.is_empty(), || format!("audit events on unknown users {strays:?}"))?;
        check(group_events == model.group_events, || {
            format!("group audit events {group_events:?} != model {:?}", model.group_events)
        })?;
        Ok(())
    }
}

async fn run_case(server: &emulator::TestServer, case: usize, ops: Vec<Op>) -> Result<(), String> {
    let tenant = server
        .emulator()
        .create_tenant(emulator::state::TenantSpec {
            name: Some(format!("model-{case}")),
            ..Default::default()
        })
        .map_err(|e| e.to_string())?;
    let (token, events_token) = {
        let t = tenant.read();
        (t.scim_token.clone(), t.events_token.clone())
    };
    let retry = RetryPolicy::default().base_delay(Duration::from_millis(1)).jitter(0.0);
    let client = Client::builder(server.scim_url(), token.clone())
        .retry(retry)
        .build()
        .map_err(|e| e.to_string())?;
    let events = EventsClient::with_base_url(server.events_url(), events_token)
        .map_err(|e| e.to_string())?;
    let baseline: Vec<String> = client
        .list_all_users(None)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|u| u.id)
        .collect();
    // The onepassword profile answers a create with 200, as the real bridge does.
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{}/Groups", server.scim_url()))
        .bearer_auth(&token)
        .json(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                      "displayName": "Model group"}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or_default();
    check(status == 200, || format!("group create answered {status}: {body}"))?;
    let group = body["id"].as_str().ok_or("group without id")?.to_owned();
    let harness = Case {
        server,
        client,
        events,
        http,
        token,
        admin: format!("{}/tenants/model-{case}", server.admin_url()),
        baseline,
        group,
    };
    let mut model = Model { group_events: vec![("create".into(), None)], ..Model::default() };
    for (n, op) in ops.iter().enumerate() {
        harness.step(&mut model, op).await.map_err(|e| format!("step {n} {op:?}: {e}"))?;
        harness.verify(&mut model).await.map_err(|e| format!("after step {n} {op:?}: {e}"))?;
    }
    Ok(())
}

fn check(ok: bool, msg: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(msg()) }
}

#[test]
fn connector_view_equals_the_model() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(emulator::TestServer::start());
    let case = std::sync::atomic::AtomicUsize::new(0);
    let started = std::time::Instant::now();
    let config = ProptestConfig { cases: 48, ..ProptestConfig::default() };
    proptest!(config, |(ops in proptest::collection::vec(op(), 1..16))| {
        let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let result = rt.block_on(run_case(&server, n, ops));
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    });
    let n = case.load(std::sync::atomic::Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64();
    eprintln!("model test: {n} cases in {secs:.2}s ({:.1} cases/s)", n as f64 / secs);
}

/// A regression, run every time rather than left to chance: a signed-up user suspended before
/// confirmation and then reactivated was never confirmed. Now the watcher confirms them once the
/// delay has passed (the model expects `ACTIVE` and a `verify` event).
#[test]
fn suspended_before_confirmation_is_confirmed_after_reactivation() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(emulator::TestServer::start());
    let ops = vec![
        Op::Create(0),
        Op::Accept(0),
        Op::Suspend(0),
        Op::Reactivate(0),
        Op::Advance(300),
        Op::Confirm,
        Op::Accept(0),
    ];
    let result = rt.block_on(run_case(&server, 0, ops));
    assert!(result.is_ok(), "{}", result.unwrap_err());
}

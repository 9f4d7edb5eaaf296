//! `scimulator conform`: a SCIM conformance suite for any server.
//!
//! The run reads the target's discovery documents first and derives what to check from them
//! (per-attribute checks from `/Schemas`, features from `/ServiceProviderConfig`; what is not
//! advertised is skipped, not failed), then walks the areas in order, each in its own module:
//!
//! - [`discovery`]: the three discovery documents and every attribute definition;
//! - [`crud`]: create/read/replace/delete with response validation and per-attribute round trips;
//! - [`filters`]: every operator and logical combination, on data the run creates;
//! - [`paging`]: `startIndex`/`count`, `totalResults`, every resource once across pages, sorting;
//! - [`patch`]: per-attribute operations, value paths, atomicity;
//! - [`errors`]: error statuses, `scimType`s and bodies, auth;
//! - [`etag`]: versioning, when advertised;
//! - [`groups`]: membership seen from the group and from the user.
//!
//! Every resource it creates carries a per-run prefix and is deleted at the end (on 1Password,
//! DELETE suspends), also when checks fail or the run is interrupted.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

pub mod catalogue;
pub mod client;
pub mod crud;
pub mod discovery;
pub mod errors;
pub mod etag;
pub mod expect;
pub mod filters;
pub mod groups;
pub mod model;
pub mod paging;
pub mod patch;
pub mod report;

pub use client::{Client, Resp};
pub use expect::{Expect, Level};
pub use model::Discovery;
pub use report::{CheckResult, Report, Status};

/// What to run against.
#[derive(Debug, Clone)]
pub struct Config {
    /// The SCIM base URL (`https://host/scim/v2`).
    pub target: String,
    /// Bearer token.
    pub token: String,
    /// The expectation preset.
    pub expect: Expect,
    /// Only checks whose id or title contains this text (case-insensitive).
    pub only: Option<String>,
    /// The per-run prefix of everything created (generated when `None`).
    pub prefix: Option<String>,
}

/// A resource the run created, to delete at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The resource's path under the base URL (`/Users/{id}`).
    pub path: String,
}

/// Resources created so far; shared with the interrupt handler so cleanup sees them all.
pub type Tracker = Arc<Mutex<Vec<Created>>>;

/// State shared by the areas during a run.
pub struct Ctx {
    /// The target's client.
    pub client: Client,
    /// The preset.
    pub expect: Expect,
    /// The per-run prefix (lower-case letters and digits).
    pub prefix: String,
    /// What discovery found.
    pub disc: Discovery,
    only: Option<String>,
    results: Mutex<Vec<CheckResult>>,
    tracker: Tracker,
    progress: Box<dyn Fn(&CheckResult) + Send + Sync>,
    counter: Mutex<u32>,
}

impl Ctx {
    /// `true` when check `id` titled `title` is selected by `-k`.
    pub fn selected(&self, id: &str, title: &str) -> bool {
        match &self.only {
            None => true,
            Some(k) => {
                let k = k.to_lowercase();
                id.to_lowercase().contains(&k) || title.to_lowercase().contains(&k)
            }
        }
    }

    /// `true` when some check of `area` in the catalogue is selected (areas nobody asked for
    /// are not run at all, so `-k` also saves requests).
    pub fn area_selected(&self, area: &str) -> bool {
        catalogue::CHECKS
            .iter()
            .filter(|c| c.id.split('.').next() == Some(area))
            .any(|c| self.selected(c.id, c.title))
    }

    /// Records a result.
    pub fn record(
        &self,
        id: impl Into<String>,
        title: impl Into<String>,
        status: Status,
        detail: impl Into<String>,
    ) {
        let (id, title) = (id.into(), title.into());
        if !self.selected(&id, &title) {
            return;
        }
        let area = id.split('.').next().unwrap_or_default().to_owned();
        let r = CheckResult { id, title, area, status, detail: detail.into() };
        (self.progress)(&r);
        self.results.lock().expect("results lock").push(r);
    }

    /// Records `pass` when `ok`, otherwise `fail` (MUST) or `warn` (SHOULD).
    pub fn require(
        &self,
        id: &str,
        title: &str,
        level: Level,
        ok: bool,
        detail: impl Into<String>,
    ) {
        let status = match (ok, level) {
            (true, _) => Status::Pass,
            (false, Level::Must) => Status::Fail,
            (false, Level::Should) => Status::Warn,
        };
        self.record(id, title, status, detail);
    }

    /// Records a pass.
    pub fn pass(&self, id: &str, title: &str, detail: impl Into<String>) {
        self.record(id, title, Status::Pass, detail);
    }

    /// Records a failure.
    pub fn fail(&self, id: &str, title: &str, detail: impl Into<String>) {
        self.record(id, title, Status::Fail, detail);
    }

    /// Records a skip with its reason.
    pub fn skip(&self, id: &str, title: &str, reason: impl Into<String>) {
        self.record(id, title, Status::Skip, reason);
    }

    /// Remembers a created resource for cleanup.
    pub fn created(&self, path: String) {
        let mut t = self.tracker.lock().expect("tracker lock");
        if !t.iter().any(|c| c.path == path) {
            t.push(Created { path });
        }
    }

    /// Forgets a resource the run deleted itself.
    pub fn deleted(&self, path: &str) {
        self.tracker.lock().expect("tracker lock").retain(|c| c.path != path);
    }

    /// A fresh name part, unique within the run (`{prefix}-{tag}{n}`).
    pub fn unique(&self, tag: &str) -> String {
        let mut n = self.counter.lock().expect("counter lock");
        *n += 1;
        format!("{}-{tag}{}", self.prefix, *n)
    }

    /// `POST` a resource and remember it for cleanup when the server created it.
    pub async fn create(&self, endpoint: &str, body: &Value) -> Result<Resp, String> {
        let resp = self.client.post(endpoint, body).await?;
        if (200..300).contains(&resp.status)
            && let Some(id) = resp.body.get("id").and_then(Value::as_str)
        {
            self.created(format!("{endpoint}/{id}"));
        }
        Ok(resp)
    }
}

/// A per-run prefix: `cf` and eight lower-case hex digits from the clock and process id.
pub fn new_prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mixed = (nanos as u64) ^ (u64::from(std::process::id()) << 32);
    let mixed = mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!("cf{:08x}", (mixed >> 32) as u32)
}

/// Runs every selected check against `config.target`, calling `progress` after each, and
/// deletes what it created. `tracker` is filled as resources are created, so a caller that
/// aborts this future (Ctrl-C) can still [`cleanup`] them.
pub async fn run(
    config: &Config,
    tracker: Tracker,
    progress: impl Fn(&CheckResult) + Send + Sync + 'static,
) -> Report {
    let prefix = config.prefix.clone().unwrap_or_else(new_prefix);
    let client = Client::new(&config.target, &config.token);
    let mut ctx = Ctx {
        client,
        expect: config.expect,
        prefix,
        disc: Discovery::default(),
        only: config.only.clone(),
        results: Mutex::new(Vec::new()),
        tracker: tracker.clone(),
        progress: Box::new(progress),
        counter: Mutex::new(0),
    };
    ctx.disc = discovery::run(&ctx).await;
    if ctx.area_selected("crud") {
        crud::run(&ctx).await;
    }
    let (want_filter, want_paging) = (ctx.area_selected("filter"), ctx.area_selected("paging"));
    let fixture = if want_filter || want_paging { filters::fixture(&ctx).await } else { None };
    if want_filter {
        filters::run(&ctx, fixture.as_ref()).await;
    }
    if want_paging {
        paging::run(&ctx, fixture.as_ref()).await;
    }
    if ctx.area_selected("patch") {
        patch::run(&ctx).await;
    }
    if ctx.area_selected("errors") {
        errors::run(&ctx).await;
    }
    if ctx.area_selected("etag") {
        etag::run(&ctx).await;
    }
    if ctx.area_selected("groups") {
        groups::run(&ctx).await;
    }
    let leftover = cleanup(&ctx.client, &tracker).await;
    let checks = ctx.results.into_inner().expect("results lock");
    Report {
        target: config.target.clone(),
        expect: config.expect,
        prefix: ctx.prefix,
        checks,
        requests: ctx.client.requests.load(std::sync::atomic::Ordering::Relaxed),
        retries: ctx.client.retries.load(std::sync::atomic::Ordering::Relaxed),
        leftover,
    }
}

/// Deletes every tracked resource, groups first (so memberships go before their users).
/// Returns the paths that could not be deleted.
pub async fn cleanup(client: &Client, tracker: &Tracker) -> Vec<String> {
    let mut todo: Vec<Created> = tracker.lock().expect("tracker lock").drain(..).collect();
    todo.sort_by_key(|c| !c.path.contains("Group"));
    let mut leftover = Vec::new();
    for c in todo {
        match client.delete(&c.path).await {
            Ok(r) if (200..300).contains(&r.status) || r.status == 404 => {}
            Ok(r) => leftover.push(format!("{} ({})", c.path, r.status)),
            Err(e) => leftover.push(format!("{} ({e})", c.path)),
        }
    }
    leftover
}

/// The checks a run would make, without sending anything: the catalogue, as `(id, title)`.
pub fn plan(only: Option<&str>) -> Vec<(String, String)> {
    catalogue::CHECKS
        .iter()
        .filter(|c| {
            only.is_none_or(|k| {
                let k = k.to_lowercase();
                c.id.to_lowercase().contains(&k) || c.title.to_lowercase().contains(&k)
            })
        })
        .map(|c| (c.id.to_owned(), c.title.to_owned()))
        .collect()
}

/// `{"schemas": [PatchOp], "Operations": ops}`.
pub fn patch_body(ops: Value) -> Value {
    json!({"schemas": [scim::messages::PATCH_OP], "Operations": ops})
}

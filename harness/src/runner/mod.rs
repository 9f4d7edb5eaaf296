//! The runner: each scenario gets a fresh tenant on the target, its steps run in order with
//! variables substituted, and every expectation and snapshot is checked. Scenarios run in
//! parallel (their tenants are isolated), and the first failing step ends a scenario with a
//! message that says where and shows a readable diff.

mod connector_ops;
mod control;
mod expect;
mod http;
mod mcp_ops;
pub mod target;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::jsonpath::JsonPath;
use crate::scenario::{self, Action, Scenario, Step};
use crate::snapshot::{self, SnapshotOutcome, SnapshotStore};
use crate::vars::Vars;
pub use target::{Env, ExternalTarget, Target, TargetSpec};

/// What a step produced: the HTTP status, the connector's error kind, headers and a JSON body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// HTTP status (for connector steps: 200 on success, the failed response's status otherwise).
    pub status: Option<u16>,
    /// The connector's error kind (`not_found`, `rate_limited`, ...) when the operation failed.
    pub error: Option<String>,
    /// The error's message.
    pub message: Option<String>,
    /// Response headers, names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// The result: the response body, or the connector's value rendered as JSON.
    pub body: Value,
}

/// How a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every step passed.
    Passed,
    /// A step failed.
    Failed,
    /// Not run (the reason is in the report).
    Skipped,
}

/// One step's result.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// 1-based index.
    pub index: usize,
    /// Name.
    pub name: String,
    /// Passed?
    pub passed: bool,
    /// Time taken.
    pub duration: Duration,
}

/// One scenario's result.
#[derive(Debug, Clone)]
pub struct ScenarioReport {
    /// The scenario's id (file stem).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its file.
    pub file: std::path::PathBuf,
    /// Its tags.
    pub tags: Vec<String>,
    /// How it ended.
    pub status: Status,
    /// Why it failed or was skipped.
    pub message: Option<String>,
    /// Steps that ran.
    pub steps: Vec<StepReport>,
    /// Time taken.
    pub duration: Duration,
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Scenario results, in the order given.
    pub scenarios: Vec<ScenarioReport>,
    /// Wall time of the whole run.
    pub duration: Duration,
}

impl RunReport {
    /// (passed, failed, skipped).
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |s| self.scenarios.iter().filter(|r| r.status == s).count();
        (n(Status::Passed), n(Status::Failed), n(Status::Skipped))
    }

    /// `N passed, N failed, N skipped`.
    pub fn summary(&self) -> String {
        let (p, f, s) = self.counts();
        format!("{p} passed, {f} failed, {s} skipped")
    }
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Where.
    pub target: TargetSpec,
    /// Snapshot folder and mode.
    pub snapshots: SnapshotStore,
    /// How many scenarios at once.
    pub jobs: usize,
}

/// Shared per-run context.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub http: reqwest::Client,
    pub snapshots: SnapshotStore,
}

/// Runs scenarios in parallel on one target; `progress` is called as each one finishes.
pub async fn run_all(
    scenarios: Vec<Scenario>,
    config: &RunConfig,
    progress: impl Fn(&ScenarioReport),
) -> RunReport {
    let started = Instant::now();
    let target = Target::start(&config.target).await;
    let report = run_on(&target, scenarios, config, progress).await;
    RunReport { scenarios: report, duration: started.elapsed() }
}

/// Runs scenarios on an already started target.
pub async fn run_on(
    target: &Target,
    scenarios: Vec<Scenario>,
    config: &RunConfig,
    progress: impl Fn(&ScenarioReport),
) -> Vec<ScenarioReport> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new());
    let ctx = Ctx { http, snapshots: config.snapshots.clone() };
    let permits = Arc::new(tokio::sync::Semaphore::new(config.jobs.max(1)));
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut set = tokio::task::JoinSet::new();
    let total = scenarios.len();
    let mut skeletons = Vec::with_capacity(total);
    for (pos, s) in scenarios.into_iter().enumerate() {
        let ordinal = {
            let n = seen.entry(s.id.clone()).or_default();
            *n += 1;
            *n - 1
        };
        skeletons.push(ScenarioReport {
            id: s.id.clone(),
            name: s.name.clone(),
            file: s.file.clone(),
            tags: s.tags.clone(),
            status: Status::Failed,
            message: Some("the scenario's task panicked".into()),
            steps: Vec::new(),
            duration: Duration::ZERO,
        });
        let (target, ctx, permits) = (target.clone(), ctx.clone(), permits.clone());
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (pos, run_scenario(&target, &s, ordinal, &ctx).await)
        });
    }
    let mut results: Vec<Option<ScenarioReport>> = vec![None; total];
    while let Some(joined) = set.join_next().await {
        if let Ok((pos, report)) = joined {
            progress(&report);
            results[pos] = Some(report);
        }
    }
    results
        .into_iter()
        .zip(skeletons)
        .map(|(r, skeleton)| {
            r.unwrap_or_else(|| {
                progress(&skeleton);
                skeleton
            })
        })
        .collect()
}

/// Runs one scenario on a fresh tenant.
pub(crate) async fn run_scenario(
    target: &Target,
    s: &Scenario,
    ordinal: usize,
    ctx: &Ctx,
) -> ScenarioReport {
    let started = Instant::now();
    let mut report = ScenarioReport {
        id: s.id.clone(),
        name: s.name.clone(),
        file: s.file.clone(),
        tags: s.tags.clone(),
        status: Status::Passed,
        message: None,
        steps: Vec::new(),
        duration: Duration::ZERO,
    };
    if let Some(reason) = target.skip_reason(s) {
        report.status = Status::Skipped;
        report.message = Some(reason);
        return report;
    }
    let env = match target.prepare(s, ordinal, &ctx.http).await {
        Ok(env) => env,
        Err(e) => {
            report.status = Status::Failed;
            report.message = Some(format!("{}: setting up the tenant: {e}", s.file.display()));
            report.duration = started.elapsed();
            return report;
        }
    };
    let mut vars = Vars::default();
    let (tenant, target_vars) = env.builtin_vars();
    vars.set("tenant", tenant);
    vars.set("target", target_vars);
    for step in &s.steps {
        let step_started = Instant::now();
        let result = run_step(s, step, &env, &mut vars, ctx).await;
        report.steps.push(StepReport {
            index: step.index,
            name: step.name.clone(),
            passed: result.is_ok(),
            duration: step_started.elapsed(),
        });
        if let Err(msg) = result {
            report.status = Status::Failed;
            report.message = Some(format!(
                "{}:{}: step {} ({:?}): {msg}",
                s.file.display(),
                step.line,
                step.index,
                step.name
            ));
            break;
        }
    }
    target.cleanup(&env, &ctx.http).await;
    report.duration = started.elapsed();
    report
}

async fn run_step(
    s: &Scenario,
    step: &Step,
    env: &Env,
    vars: &mut Vars,
    ctx: &Ctx,
) -> Result<(), String> {
    let (action, expect) = scenario::resolve_step(step, vars)?;
    let outcome = match &action {
        Action::Http(op) => http::run(op, env, &ctx.http).await?,
        Action::Control(op) => control::run(op, env, &ctx.http).await?,
        Action::Mcp(op) => mcp_ops::run(op, env).await?,
        other => connector_ops::run(other, step.api, env).await?,
    };
    expect::check(&action, expect.as_ref(), &outcome)?;
    for (name, path) in &step.capture {
        let p = JsonPath::parse(path).map_err(|e| e.to_string())?;
        let found = p.select(&outcome.body);
        let value = match found.as_slice() {
            [] => {
                return Err(format!(
                    "capture `{name}`: {path} selects nothing in the result {}",
                    crate::matching::compact(&outcome.body)
                ));
            }
            [one] if !p.is_multi() => (*one).clone(),
            many => Value::Array(many.iter().map(|v| (*v).clone()).collect()),
        };
        vars.set(name.clone(), value);
    }
    if let Some(spec) = &step.snapshot {
        let mut body = outcome.body.clone();
        snapshot::redact(&mut body, &spec.redact);
        let value = if spec.status {
            let mut v = json!({});
            if let Some(st) = outcome.status {
                v["status"] = json!(st);
            }
            if let Some(e) = &outcome.error {
                v["error"] = json!(e);
            }
            v["body"] = body;
            v
        } else {
            body
        };
        let file = ctx.snapshots.file_for(&s.id, step.index, &step.name);
        let source = s.file.to_string_lossy().replace('\\', "/");
        let expression = format!("step {}: {}", step.index, step.name);
        if let SnapshotOutcome::Failed(m) =
            ctx.snapshots.assert(&file, &source, &expression, &value)
        {
            return Err(m);
        }
    }
    Ok(())
}

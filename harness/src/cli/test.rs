//! `scimulator test`: run scenario files against an embedded emulator or a server URL.

use std::path::PathBuf;

use clap::Args;

use crate::runner::{self, ExternalTarget, RunConfig, TargetSpec};
use crate::scenario;
use crate::snapshot::{SnapshotMode, SnapshotStore};

/// Flags of `test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Scenario files or folders (searched for *.yaml / *.yml).
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Run against this SCIM base URL instead of an embedded emulator.
    #[arg(long, env = "SCIMULATOR_TARGET", requires = "token")]
    pub target: Option<String>,
    /// The target's SCIM bearer token.
    #[arg(long, env = "SCIMULATOR_TOKEN")]
    pub token: Option<String>,
    /// The target's control-plane token; without it, scenarios needing the control plane are skipped.
    #[arg(long, env = "SCIMULATOR_ADMIN_TOKEN")]
    pub admin_token: Option<String>,
    /// The target's Events API base URL (default: the server root of --target).
    #[arg(long, env = "SCIMULATOR_EVENTS_URL")]
    pub events_url: Option<String>,
    /// The target's Events API token.
    #[arg(long, env = "SCIMULATOR_EVENTS_TOKEN")]
    pub events_token: Option<String>,
    /// Only run scenarios whose id, name or tags contain this text.
    #[arg(long, short = 'k')]
    pub filter: Option<String>,
    /// Write JUnit XML here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// The snapshot folder.
    #[arg(long, default_value = "snapshots")]
    pub snapshots: PathBuf,
    /// Accept the current results as the snapshots.
    #[arg(long, conflicts_with = "ignore_snapshots")]
    pub update_snapshots: bool,
    /// Skip snapshot assertions (the default with --target, whose ids differ from the emulator's).
    #[arg(long)]
    pub ignore_snapshots: bool,
    /// Scenarios to run at once.
    #[arg(long, short = 'j', default_value_t = 8)]
    pub jobs: usize,
}

/// Runs scenarios; exit code 0 when all passed (or were skipped), 5 when any failed.
pub async fn run(args: TestArgs) -> u8 {
    let files = match scenario::discover(&args.paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return super::exit::USAGE;
        }
    };
    if files.is_empty() {
        eprintln!("error: no scenario files (*.yaml) found in the given paths");
        return super::exit::USAGE;
    }
    // Validate everything before running anything.
    let mut scenarios = Vec::new();
    let mut invalid = 0;
    for f in &files {
        match scenario::load_file(f) {
            Ok(s) => scenarios.push(s),
            Err(e) => {
                eprintln!("error: {e}");
                invalid += 1;
            }
        }
    }
    if invalid > 0 {
        eprintln!("{invalid} invalid scenario file(s); nothing was run");
        return super::exit::TEST_FAILED;
    }
    if let Some(k) = &args.filter {
        let k = k.to_lowercase();
        scenarios.retain(|s| {
            s.id.to_lowercase().contains(&k)
                || s.name.to_lowercase().contains(&k)
                || s.tags.iter().any(|t| t.to_lowercase().contains(&k))
        });
    }
    let target = match &args.target {
        None => TargetSpec::Embedded,
        Some(url) => TargetSpec::External(ExternalTarget {
            scim_url: url.clone(),
            token: args.token.clone().unwrap_or_default(),
            admin_token: args.admin_token.clone(),
            events_url: args.events_url.clone(),
            events_token: args.events_token.clone(),
        }),
    };
    let mode = if args.update_snapshots {
        SnapshotMode::Update
    } else if args.ignore_snapshots || args.target.is_some() {
        SnapshotMode::Ignore
    } else {
        SnapshotMode::Compare
    };
    let config = RunConfig {
        target,
        snapshots: SnapshotStore { dir: args.snapshots.clone(), mode },
        jobs: args.jobs,
    };
    println!("running {} scenario(s)", scenarios.len());
    let report = runner::run_all(scenarios, &config, |r| {
        println!("{}", crate::report::progress_line(r));
    })
    .await;
    println!("\n{} in {:.2}s", report.summary(), report.duration.as_secs_f64());
    if let Some(path) = &args.junit
        && let Err(e) = std::fs::write(path, crate::report::junit_xml(&report))
    {
        eprintln!("error: cannot write {}: {e}", path.display());
        return super::exit::ERROR;
    }
    if report.counts().1 > 0 { super::exit::TEST_FAILED } else { super::exit::OK }
}

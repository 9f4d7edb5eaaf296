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
    #[arg(long, env = "SCIMULATOR_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The target's control-plane token; without it, scenarios needing the control plane are skipped.
    #[arg(long, env = "SCIMULATOR_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// The target's Events API base URL (default: the server root of --target).
    #[arg(long, env = "SCIMULATOR_EVENTS_URL")]
    pub events_url: Option<String>,
    /// The target's Events API token.
    #[arg(long, env = "SCIMULATOR_EVENTS_TOKEN", hide_env_values = true)]
    pub events_token: Option<String>,
    /// Only run scenarios whose id, name or tags contain this text.
    #[arg(long, short = 'k')]
    pub filter: Option<String>,
    /// Write JUnit XML here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// The snapshot folder [default: `snapshots` beside the first path's scenario folder,
    /// so `scenarios/` finds `snapshots/` from any working directory].
    #[arg(long)]
    pub snapshots: Option<PathBuf>,
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
        // A typo in -k must not pass CI by running nothing.
        if scenarios.is_empty() {
            eprintln!(
                "error: -k {k:?} matches no scenario (by id, name or tag) in {} file(s)",
                files.len()
            );
            return super::exit::USAGE;
        }
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
        snapshots: SnapshotStore {
            dir: args.snapshots.clone().unwrap_or_else(|| default_snapshots(&args.paths)),
            mode,
        },
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

/// `snapshots/` beside the folder of the first scenario path: `scenarios/` (or a file in it)
/// gives `snapshots/` next to `scenarios/`, wherever the command runs from.
pub fn default_snapshots(paths: &[PathBuf]) -> PathBuf {
    let Some(first) = paths.first() else { return PathBuf::from("snapshots") };
    let folder = if first.is_dir() { first.as_path() } else { first.parent().unwrap_or(first) };
    match folder.parent() {
        Some(parent) => parent.join("snapshots"),
        None => PathBuf::from("snapshots"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_default_to_the_scenario_folders_sibling() {
        let dir = tempfile::tempdir().unwrap();
        let scenarios = dir.path().join("scenarios");
        std::fs::create_dir(&scenarios).unwrap();
        std::fs::write(scenarios.join("a.yaml"), "name: a\nsteps: []\n").unwrap();
        let want = dir.path().join("snapshots");
        assert_eq!(default_snapshots(std::slice::from_ref(&scenarios)), want);
        assert_eq!(default_snapshots(&[scenarios.join("a.yaml")]), want);
        assert_eq!(default_snapshots(&[]), PathBuf::from("snapshots"));
    }
}

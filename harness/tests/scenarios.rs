//! Runs every scenario in the top-level `scenarios/` folder as its own test, against one
//! embedded emulator, comparing snapshots in `snapshots/`. A custom harness (no libtest) so each
//! file is a test without a generated function per file; output follows libtest's format.
//!
//! `cargo test -p scimulator --test scenarios -- NAME` runs the scenarios whose id contains NAME;
//! `INSTA_UPDATE=always` (or `SCIMULATOR_UPDATE_SNAPSHOTS=1`) accepts new snapshots.

use std::path::PathBuf;
use std::process::ExitCode;

use harness::runner::{self, RunConfig, Status, TargetSpec};
use harness::scenario;
use harness::snapshot::{SnapshotMode, SnapshotStore};

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    // `cargo test -- --list` style discovery isn't needed; honour name filters only.
    let files = match scenario::discover(&[root.join("scenarios")]) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot read scenarios/: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut scenarios = Vec::new();
    let mut invalid = Vec::new();
    for f in &files {
        match scenario::load_file(f) {
            Ok(s) => scenarios.push(s),
            Err(e) => invalid.push(e.to_string()),
        }
    }
    scenarios.retain(|s| filters.is_empty() || filters.iter().any(|f| s.id.contains(f.as_str())));
    let update = std::env::var("INSTA_UPDATE").is_ok_and(|v| v == "always")
        || std::env::var("SCIMULATOR_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1");
    let config = RunConfig {
        target: TargetSpec::Embedded,
        snapshots: SnapshotStore {
            dir: root.join("snapshots"),
            mode: if update { SnapshotMode::Update } else { SnapshotMode::Compare },
        },
        jobs: 8,
    };
    println!("\nrunning {} tests", scenarios.len() + invalid.len());
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = runtime.block_on(runner::run_all(scenarios, &config, |r| {
        let verdict = match r.status {
            Status::Passed => "ok",
            Status::Failed => "FAILED",
            Status::Skipped => "ignored",
        };
        println!("test {} ... {verdict}", r.id);
    }));
    for e in &invalid {
        println!("test <invalid scenario file> ... FAILED\n  {e}");
    }
    let (passed, failed, skipped) = report.counts();
    let failed = failed + invalid.len();
    if failed > 0 {
        println!("\nfailures:\n");
        for r in report.scenarios.iter().filter(|r| r.status == Status::Failed) {
            println!("---- {} ----\n{}\n", r.id, r.message.as_deref().unwrap_or_default());
        }
        for e in &invalid {
            println!("---- invalid ----\n{e}\n");
        }
    }
    let verdict = if failed == 0 { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {verdict}. {passed} passed; {failed} failed; {skipped} ignored; 0 measured; 0 filtered out; finished in {:.2}s\n",
        report.duration.as_secs_f64()
    );
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

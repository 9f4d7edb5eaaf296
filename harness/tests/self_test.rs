//! The harness tests itself: invalid files are refused with messages naming file, line, step and
//! field; a bad expectation and a snapshot mismatch fail with readable messages; scenarios that
//! need a control plane are skipped on targets without one; the CLI exits 5 and writes JUnit.
//!
//! These only use `/ping`, so they do not depend on the rest of the emulator.

use std::path::{Path, PathBuf};

use harness::runner::{self, ExternalTarget, RunConfig, Status, TargetSpec};
use harness::scenario;
use harness::snapshot::{SnapshotMode, SnapshotStore};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

fn load_err(rel: &str) -> String {
    scenario::load_file(&fixture(rel)).expect_err("the fixture is invalid").to_string()
}

#[test]
fn unknown_field_names_file_line_step_and_field() {
    let e = load_err("invalid/unknown_field.yaml");
    assert!(e.contains("unknown_field.yaml:5:"), "{e}");
    assert!(e.contains("step 2 (\"typo here\")"), "{e}");
    assert!(e.contains("unknown field `expcet`"), "{e}");
}

#[test]
fn a_step_with_two_actions_is_refused() {
    let e = load_err("invalid/two_actions.yaml");
    assert!(e.contains("step 1"), "{e}");
    assert!(e.contains("a step does one thing, this one sets get and suspend"), "{e}");
}

#[test]
fn variables_must_be_captured_first() {
    let e = load_err("invalid/unknown_variable.yaml");
    assert!(e.contains("unknown_variable.yaml:6: step 2 (\"uses jane\")"), "{e}");
    assert!(e.contains("unknown variable ${jane.id}"), "{e}");
}

#[test]
fn wrong_types_name_the_field() {
    let e = load_err("invalid/bad_type.yaml");
    assert!(e.contains("step 1 (\"ping\")"), "{e}");
    assert!(e.contains("field `expect`"), "{e}");
    assert!(e.contains("invalid type"), "{e}");
}

#[test]
fn broken_yaml_names_the_line() {
    let e = load_err("invalid/bad_yaml.yaml");
    assert!(e.starts_with(&format!("{}:", fixture("invalid/bad_yaml.yaml").display())), "{e}");
    assert!(e.contains(":5") || e.contains(":4"), "{e}");
}

#[test]
fn bad_paths_and_profiles_are_refused() {
    let e = load_err("invalid/bad_path.yaml");
    assert!(e.contains("field `expect.fields.Resources[0].active`"), "{e}");
    assert!(e.contains("a path starts with `$`"), "{e}");
    let e = load_err("invalid/bad_profile.yaml");
    assert!(e.contains("field `profile`") && e.contains("shuffle_order"), "{e}");
}

#[test]
fn every_shipped_scenario_is_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let files = scenario::discover(&[root]).unwrap();
    assert!(files.len() >= 20, "only {} scenarios", files.len());
    for f in files {
        if let Err(e) = scenario::load_file(&f) {
            panic!("{e}");
        }
    }
}

fn config(dir: &Path, mode: SnapshotMode, target: TargetSpec) -> RunConfig {
    RunConfig { target, snapshots: SnapshotStore { dir: dir.to_owned(), mode }, jobs: 4 }
}

async fn run(files: &[&str], config: &RunConfig) -> Vec<runner::ScenarioReport> {
    let scenarios = files.iter().map(|f| scenario::load_file(&fixture(f)).unwrap()).collect();
    runner::run_all(scenarios, config, |_| {}).await.scenarios
}

#[tokio::test]
async fn a_bad_expectation_fails_at_its_step_with_expected_and_actual() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), SnapshotMode::Compare, TargetSpec::Embedded);
    let reports = run(&["failing/bad_expectation.yaml", "failing/passing_ping.yaml"], &cfg).await;
    assert_eq!(reports[0].status, Status::Failed);
    let msg = reports[0].message.as_deref().unwrap();
    assert!(msg.contains("bad_expectation.yaml:6: step 2 (\"ping does not answer 500\")"), "{msg}");
    assert!(msg.contains("expect.status: expected 500, got 200"), "{msg}");
    // The scenario stops at the failing step.
    assert_eq!(reports[0].steps.len(), 2);
    assert_eq!(reports[1].status, Status::Passed, "{:?}", reports[1].message);
    assert_eq!(reports[1].steps.len(), 2);
}

#[tokio::test]
async fn a_snapshot_mismatch_fails_with_a_diff_and_update_fixes_it() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snapshot_mismatch__01_ping.snap");
    std::fs::write(
        &snap,
        "---\nsource: x\nexpression: x\n---\n{\n  \"status\": 200,\n  \"body\": \"ping\"\n}\n",
    )
    .unwrap();
    let cfg = config(dir.path(), SnapshotMode::Compare, TargetSpec::Embedded);
    let reports = run(&["failing/snapshot_mismatch.yaml"], &cfg).await;
    assert_eq!(reports[0].status, Status::Failed);
    let msg = reports[0].message.as_deref().unwrap();
    assert!(msg.contains("does not match"), "{msg}");
    assert!(
        msg.contains("-  \"body\": \"ping\"") && msg.contains("+  \"body\": \"pong\""),
        "{msg}"
    );
    assert!(dir.path().join("snapshot_mismatch__01_ping.snap.new").exists());

    let cfg = config(dir.path(), SnapshotMode::Update, TargetSpec::Embedded);
    assert_eq!(run(&["failing/snapshot_mismatch.yaml"], &cfg).await[0].status, Status::Passed);
    let cfg = config(dir.path(), SnapshotMode::Compare, TargetSpec::Embedded);
    assert_eq!(run(&["failing/snapshot_mismatch.yaml"], &cfg).await[0].status, Status::Passed);
    assert!(std::fs::read_to_string(&snap).unwrap().contains("\"body\": \"pong\""));
}

#[tokio::test]
async fn control_steps_are_skipped_without_an_admin_token() {
    let server = emulator::TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let target = TargetSpec::External(ExternalTarget {
        scim_url: server.scim_url(),
        token: server.scim_token(),
        admin_token: None,
        events_url: None,
        events_token: None,
    });
    let cfg = config(dir.path(), SnapshotMode::Ignore, target);
    let reports = run(&["failing/needs_control.yaml", "failing/passing_ping.yaml"], &cfg).await;
    assert_eq!(reports[0].status, Status::Skipped);
    let why = reports[0].message.as_deref().unwrap();
    assert!(
        why.contains("needs a control plane (step 2 `advance the clock` uses `clock`)"),
        "{why}"
    );
    assert_eq!(reports[1].status, Status::Passed, "{:?}", reports[1].message);
}

#[test]
fn the_cli_exits_5_on_failure_and_writes_junit() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scimulator"))
        .arg("test")
        .arg(fixture("failing/bad_expectation.yaml"))
        .arg(fixture("failing/passing_ping.yaml"))
        .arg("--junit")
        .arg(&junit)
        .arg("--snapshots")
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(5), "{stdout}");
    assert!(stdout.contains("1 passed, 1 failed, 0 skipped"), "{stdout}");
    assert!(stdout.contains("FAILED  bad_expectation"), "{stdout}");
    assert!(stdout.contains("expect.status: expected 500, got 200"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"2\" failures=\"1\""), "{xml}");
    assert!(xml.contains("<testcase name=\"Ping passes\""), "{xml}");
}

#[test]
fn the_cli_refuses_invalid_files_before_running_anything() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scimulator"))
        .arg("test")
        .arg(fixture("invalid/unknown_field.yaml"))
        .arg(fixture("failing/passing_ping.yaml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("unknown field `expcet`"), "{stderr}");
    assert!(stderr.contains("nothing was run"), "{stderr}");
    assert!(!stdout.contains("passed"), "{stdout}");
}

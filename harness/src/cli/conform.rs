//! `scimulator conform`: run the SCIM conformance suite against any server.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clap::Args;

use crate::conform::{self, Config, Expect, Status};

/// Flags of `conform`.
#[derive(Debug, Args)]
pub struct ConformArgs {
    /// The server's SCIM base URL (e.g. http://127.0.0.1:3002/scim/v2).
    #[arg(long, env = "SCIMULATOR_TARGET", required_unless_present = "dry_run")]
    pub target: Option<String>,
    /// The server's bearer token.
    #[arg(long, env = "SCIMULATOR_TOKEN", required_unless_present = "dry_run")]
    pub token: Option<String>,
    /// Which expectations to hold the server to.
    #[arg(long, value_enum, default_value_t = Expect::Rfc)]
    pub expect: Expect,
    /// Write the JSON report here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write JUnit XML here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Only checks whose id or title contains this text.
    #[arg(long, short = 'k')]
    pub filter: Option<String>,
    /// List the checks without sending anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Prefix of the resources the run creates (default: `cf` and 8 random hex digits).
    #[arg(long)]
    pub prefix: Option<String>,
}

/// Runs the suite; exit code 0 when no check failed, 5 when one did, 1 on other errors.
pub async fn run(args: ConformArgs) -> u8 {
    if args.dry_run {
        let plan = conform::plan(args.filter.as_deref());
        let mut area = "";
        for (id, title) in &plan {
            let a = id.split('.').next().unwrap_or_default();
            if a != area {
                println!("{a}");
                area = a;
            }
            println!("  {id}  {title}");
        }
        println!(
            "{} checks (ids with * are generated per resource type, attribute or schema from discovery)",
            plan.len()
        );
        return super::exit::OK;
    }
    let (Some(target), Some(token)) = (args.target.clone(), args.token.clone()) else {
        eprintln!("error: --target and --token are required");
        return super::exit::USAGE;
    };
    if !(target.starts_with("http://") || target.starts_with("https://")) {
        eprintln!("error: --target must be an http(s) URL, got {target:?}");
        return super::exit::USAGE;
    }
    let config = Config {
        target,
        token,
        expect: args.expect,
        only: args.filter.clone(),
        prefix: args.prefix.clone(),
    };
    let tracker: conform::Tracker = Arc::new(Mutex::new(Vec::new()));
    println!("conform: {} (expect {})", config.target, config.expect.name());
    let area = Arc::new(Mutex::new(String::new()));
    let counts = Arc::new(Mutex::new((0usize, 0usize)));
    let progress = {
        let area = area.clone();
        move |c: &conform::CheckResult| {
            let mut a = area.lock().expect("area lock");
            if *a != c.area {
                println!("\n{}", c.area);
                *a = c.area.clone();
            }
            let mut n = counts.lock().expect("counts lock");
            n.0 += 1;
            if c.status == Status::Fail {
                n.1 += 1;
            }
            println!("{}", conform::report::line(c));
            if n.0.is_multiple_of(25) {
                eprintln!("… {} checks so far, {} failed", n.0, n.1);
            }
        }
    };
    let run = conform::run(&config, tracker.clone(), progress);
    let report = tokio::select! {
        r = run => r,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\ninterrupted: deleting what this run created");
            let client = conform::Client::new(&config.target, &config.token);
            let left = conform::cleanup(&client, &tracker).await;
            if !left.is_empty() {
                eprintln!("could not delete: {}", left.join(", "));
            }
            return 130;
        }
    };
    println!("\n{}", report.summary_line());
    if !report.leftover.is_empty() {
        eprintln!("warning: could not delete {}", report.leftover.join(", "));
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report.to_json()).unwrap_or_default();
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return super::exit::ERROR;
        }
    }
    if let Some(path) = &args.junit
        && let Err(e) = std::fs::write(path, report.junit_xml())
    {
        eprintln!("error: cannot write {}: {e}", path.display());
        return super::exit::ERROR;
    }
    if report.counts().1 > 0 { super::exit::TEST_FAILED } else { super::exit::OK }
}

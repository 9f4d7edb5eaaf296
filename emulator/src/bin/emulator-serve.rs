//! A minimal emulator server for process-level tests (the persistence crash test spawns it and
//! kills it with SIGKILL). Users want `scimulator serve`; this binary only exists so the emulator
//! crate can test its own state file without the CLI.
//!
//! `emulator-serve --ready-file PATH [--state-file PATH] [--fsync-interval-ms N]
//! [--test-disk-capacity BYTES] [--admin-token T]` binds 127.0.0.1 on a free port, writes
//! `{"url": ..., "admin_token": ...}` to the ready file, and serves until SIGTERM or Ctrl-C
//! (then writes a last snapshot of the state file).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use emulator::config::ClockMode;
use emulator::control::persist::{Store, StoreOptions};
use emulator::control::wal::{Durability, StorageFaults};
use emulator::{Emulator, EmulatorConfig};

struct Args {
    ready_file: PathBuf,
    state_file: Option<PathBuf>,
    options: StoreOptions,
    admin_token: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut ready_file, mut state_file, mut admin_token) = (None, None, None);
    let mut options = StoreOptions::default();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--ready-file" => ready_file = Some(PathBuf::from(value()?)),
            "--state-file" => state_file = Some(PathBuf::from(value()?)),
            "--admin-token" => admin_token = Some(value()?),
            "--fsync-interval-ms" => {
                let v = value()?;
                let ms = v.parse().map_err(|_| format!("bad --fsync-interval-ms {v}"))?;
                options.durability = Durability::Interval(Duration::from_millis(ms));
            }
            "--test-disk-capacity" => {
                let v = value()?;
                let bytes = v.parse().map_err(|_| format!("bad --test-disk-capacity {v}"))?;
                options.faults = StorageFaults::capacity(bytes);
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(Args {
        ready_file: ready_file.ok_or("--ready-file is required")?,
        state_file,
        options,
        admin_token,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args = parse_args()?;
    let config = EmulatorConfig {
        clock: ClockMode::Manual,
        admin_token: args.admin_token,
        ..Default::default()
    };
    let emulator = Emulator::new(config).map_err(|e| e.to_string())?;
    let mut store = None;
    if let Some(path) = &args.state_file {
        let (opened, _) =
            Store::open(&emulator, path, args.options.clone()).await.map_err(|e| e.to_string())?;
        opened.spawn_compactor(&emulator);
        store = Some(opened);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let ready = serde_json::json!({
        "url": format!("http://{addr}"),
        "admin_token": emulator.admin_token(),
    });
    let tmp = args.ready_file.with_extension("tmp");
    std::fs::write(&tmp, ready.to_string()).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, &args.ready_file).map_err(|e| e.to_string())?;
    let served = emulator.clone();
    emulator::serve(listener, served, shutdown_signal()).await.map_err(|e| e.to_string())?;
    if let Some(store) = store {
        store.shutdown(&emulator).await?;
    }
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

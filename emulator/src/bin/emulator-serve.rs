//! A minimal emulator server for process-level tests (the persistence crash test spawns it and
//! kills it with SIGKILL). Users want `scimulator serve`; this binary only exists so the emulator
//! crate can test its own state file without the CLI.
//!
//! `emulator-serve --ready-file PATH [--state-file PATH] [--debounce-ms N] [--admin-token T]`
//! binds 127.0.0.1 on a free port, writes `{"url": ..., "admin_token": ...}` to the ready file,
//! and serves until SIGTERM or Ctrl-C (then saves the state file a last time).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use emulator::config::ClockMode;
use emulator::control::persist;
use emulator::{Emulator, EmulatorConfig};

struct Args {
    ready_file: PathBuf,
    state_file: Option<PathBuf>,
    debounce: Duration,
    admin_token: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut ready_file, mut state_file, mut debounce, mut admin_token) =
        (None, None, Duration::from_millis(200), None);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--ready-file" => ready_file = Some(PathBuf::from(value()?)),
            "--state-file" => state_file = Some(PathBuf::from(value()?)),
            "--admin-token" => admin_token = Some(value()?),
            "--debounce-ms" => {
                let v = value()?;
                debounce =
                    Duration::from_millis(v.parse().map_err(|_| format!("bad --debounce-ms {v}"))?);
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(Args {
        ready_file: ready_file.ok_or("--ready-file is required")?,
        state_file,
        debounce,
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
    if let Some(path) = &args.state_file {
        persist::load(&emulator, path).map_err(|e| e.to_string())?;
    }
    let saver =
        args.state_file.clone().map(|p| persist::spawn_saver(emulator.clone(), p, args.debounce));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let ready = serde_json::json!({
        "url": format!("http://{addr}"),
        "admin_token": emulator.admin_token(),
    });
    let tmp = args.ready_file.with_extension("tmp");
    std::fs::write(&tmp, ready.to_string()).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, &args.ready_file).map_err(|e| e.to_string())?;
    emulator::serve(listener, emulator, shutdown_signal()).await.map_err(|e| e.to_string())?;
    if let Some(saver) = saver {
        saver.shutdown().await.map_err(|e| e.to_string())?;
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

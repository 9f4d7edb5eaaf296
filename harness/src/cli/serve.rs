//! `scimulator serve`: runs the emulator until Ctrl-C or SIGTERM.
//!
//! Flags only build an [`EmulatorConfig`]; serving is [`emulator::serve`]. Every flag has an
//! environment-variable twin (`SCIMULATOR_*`).

use std::net::SocketAddr;
use std::path::PathBuf;

use std::time::Duration;

use clap::{Args, ValueEnum};
use emulator::config::{ClockMode, EmulatorConfig};
use emulator::control::wal::{Durability, StorageFaults};
use emulator::profile::{Preset, Profile};
use emulator::seed::Seed;
use emulator::server::ServeOptions;
use serde_json::json;
use tokio::net::TcpListener;

/// The profile presets, as flag values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    /// What the real 1Password SCIM bridge does (default).
    Onepassword,
    /// Strict RFC 7644.
    Rfc,
}

/// Clock modes, as flag values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClockArg {
    /// Wall-clock time (advanceable through the control plane).
    System,
    /// Frozen at 2026-01-01T00:00:00Z until advanced: deterministic timestamps.
    Manual,
}

/// Flags of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to bind.
    #[arg(long, env = "SCIMULATOR_BIND", default_value = "127.0.0.1")]
    pub bind: String,
    /// Port to listen on (0 picks a free one). 3002 is the real bridge's port.
    #[arg(long, env = "SCIMULATOR_PORT", default_value_t = 3002)]
    pub port: u16,
    /// Bearer token of the default tenant's SCIM API (generated from the id seed when unset).
    #[arg(long, env = "SCIMULATOR_SCIM_TOKEN", hide_env_values = true)]
    pub scim_token: Option<String>,
    /// Fidelity preset.
    #[arg(long, env = "SCIMULATOR_PROFILE", value_enum, default_value_t = ProfileArg::Onepassword)]
    pub profile: ProfileArg,
    /// Override one profile switch, e.g. `--set post_returns_201=true` (repeatable). Values are
    /// JSON (`true`, `300`, `null`, `"sparse"`); bare words are taken as strings.
    #[arg(
        long = "set",
        value_name = "SWITCH=VALUE",
        env = "SCIMULATOR_SET",
        value_delimiter = ','
    )]
    pub set: Vec<String>,
    /// Starting state: a YAML or JSON seed file (users with states, groups, memberships).
    /// Without one, the demo account is served.
    #[arg(long, env = "SCIMULATOR_SEED")]
    pub seed: Option<PathBuf>,
    /// Seed for generated ids and tokens: same seed, same ids.
    #[arg(long, env = "SCIMULATOR_ID_SEED")]
    pub id_seed: Option<u64>,
    /// Clock mode.
    #[arg(long, env = "SCIMULATOR_CLOCK", value_enum, default_value_t = ClockArg::System)]
    pub clock: ClockArg,
    /// Once listening, write a JSON file with the URLs and tokens (for scripts and CI).
    #[arg(long, env = "SCIMULATOR_READY_FILE")]
    pub ready_file: Option<PathBuf>,
    /// Token of the `/__admin` control plane (generated and printed when unset). Required when
    /// `--bind` is not a loopback address.
    #[arg(long, env = "SCIMULATOR_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Keep state in this file: a snapshot, plus a change log beside it (`FILE.log.N`) that
    /// every write is appended to and fsynced before it is answered, so an acknowledged write
    /// is never lost, even to a crash or power loss. Loaded at start (a corrupt file stops the
    /// server and is never overwritten). If the disk cannot be written, writes get 503 and
    /// `/health` says degraded. Without it, state is in memory only.
    #[arg(long, env = "SCIMULATOR_STATE_FILE")]
    pub state_file: Option<PathBuf>,
    /// Relaxed durability (with --state-file): answer a write once it is in the change log
    /// file (so it survives the process being killed) and fsync at most every MS milliseconds.
    /// A power loss or OS crash can then lose the writes of the last MS milliseconds. Default:
    /// every write is fsynced before it is answered (nothing acknowledged is lost).
    #[arg(long, env = "SCIMULATOR_FSYNC_INTERVAL_MS", value_name = "MS")]
    pub fsync_interval_ms: Option<u64>,
    /// Seconds a client has to send a request's headers; also how long a keep-alive connection
    /// may wait idle for its next request.
    #[arg(long, env = "SCIMULATOR_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// A connection with no bytes moving either way for this many seconds is closed.
    #[arg(long, env = "SCIMULATOR_IDLE_TIMEOUT_SECS", default_value_t = 120)]
    pub idle_timeout_secs: u64,
    /// Connections served at once; more are closed when accepted.
    #[arg(long, env = "SCIMULATOR_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// On Ctrl-C or SIGTERM, seconds in-flight requests get before they are dropped (then the
    /// state file is flushed and the process exits).
    #[arg(long, env = "SCIMULATOR_SHUTDOWN_TIMEOUT_SECS", default_value_t = 5)]
    pub shutdown_timeout_secs: u64,
    /// Test hook: pretend the state file's disk has only this many bytes free (writes beyond
    /// it fail as on a full disk), so disk-full handling can be tested without a mount.
    #[arg(long, env = "SCIMULATOR_TEST_DISK_CAPACITY", hide = true)]
    pub test_disk_capacity: Option<u64>,
    /// Also serve the Events API alone on this port (0 picks a free one), so it can stand in for
    /// a separate events host. The main port serves it too.
    #[arg(long, env = "SCIMULATOR_EVENTS_PORT")]
    pub events_port: Option<u16>,
    /// Also serve the Users API alone on this port (0 picks a free one), standing in for
    /// `api.1password.com`. The main port serves it too.
    #[arg(long, env = "SCIMULATOR_USERS_API_PORT")]
    pub users_api_port: Option<u16>,
    /// Fault rules for the default tenant: a YAML or JSON list of rules, or `{faults: [...]}`.
    #[arg(long, env = "SCIMULATOR_FAULTS")]
    pub faults: Option<PathBuf>,
    /// Log lines on stderr (one per request at info; `RUST_LOG` filters, default `info`).
    #[arg(long, env = "SCIMULATOR_LOG_FORMAT", value_enum, default_value_t = super::logging::LogFormat::Text)]
    pub log_format: super::logging::LogFormat,
}

/// Writes the ready file atomically (a temp file beside it, then a rename), so a reader polling
/// for it never sees half a document.
pub fn write_ready_file(path: &std::path::Path, info: &serde_json::Value) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(info).map_err(std::io::Error::other)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Reads a `--faults` file: a list of rules or `{faults: [...]}`, YAML or JSON.
pub fn read_faults(path: &std::path::Path) -> Result<Vec<emulator::control::FaultRule>, String> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum File {
        Wrapped { faults: Vec<emulator::control::FaultRule> },
        List(Vec<emulator::control::FaultRule>),
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read faults file {}: {e}", path.display()))?;
    let parsed: Result<File, String> = if text.trim_start().starts_with(['{', '[']) {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        serde_saphyr::from_str(&text).map_err(|e| e.to_string())
    };
    let rules = match parsed.map_err(|e| format!("{}: invalid faults file: {e}", path.display()))? {
        File::Wrapped { faults } | File::List(faults) => faults,
    };
    // Validate now so a bad file is a start-up error naming the rule.
    emulator::control::Faults::from_seed(&rules).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(rules)
}

/// Is `bind` a loopback address (where the control plane may run without a chosen token)?
fn is_loopback(bind: &str) -> bool {
    bind.eq_ignore_ascii_case("localhost")
        || bind.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Parses `switch=value` pairs into a profile overrides object.
pub fn parse_overrides(pairs: &[String]) -> Result<serde_json::Value, String> {
    let mut obj = serde_json::Map::new();
    for pair in pairs {
        let (k, v) =
            pair.split_once('=').ok_or_else(|| format!("--set {pair:?}: expected SWITCH=VALUE"))?;
        let value = serde_json::from_str(v.trim())
            .unwrap_or_else(|_| serde_json::Value::String(v.trim().to_owned()));
        obj.insert(k.trim().to_owned(), value);
    }
    Ok(serde_json::Value::Object(obj))
}

/// Builds the emulator configuration the flags describe.
pub fn config(args: &ServeArgs) -> Result<EmulatorConfig, String> {
    let preset = match args.profile {
        ProfileArg::Onepassword => Preset::Onepassword,
        ProfileArg::Rfc => Preset::Rfc,
    };
    let mut profile = Profile::from_preset(preset);
    if !args.set.is_empty() {
        profile = profile.with_overrides(&parse_overrides(&args.set)?)?;
    }
    let seed = match &args.seed {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read seed file {}: {e}", path.display()))?;
            Some(Seed::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?)
        }
    };
    if !is_loopback(&args.bind) && args.admin_token.is_none() {
        return Err(format!(
            "--bind {} is not a loopback address: set --admin-token so the control plane is not \
             open to the network with a predictable token",
            args.bind
        ));
    }
    Ok(EmulatorConfig {
        profile,
        scim_token: args.scim_token.clone(),
        admin_token: args.admin_token.clone(),
        seed,
        id_seed: args.id_seed.unwrap_or(EmulatorConfig::default().id_seed),
        clock: match args.clock {
            ClockArg::System => ClockMode::System,
            ClockArg::Manual => ClockMode::Manual,
        },
    })
}

/// Resolves when Ctrl-C or (on Unix) SIGTERM arrives.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    eprintln!("shutting down");
}

/// Runs the emulator until Ctrl-C or SIGTERM.
pub async fn run(args: ServeArgs) -> u8 {
    if let Err(e) = super::logging::init(args.log_format) {
        eprintln!("error: {e}");
        return super::exit::USAGE;
    }
    let config = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return super::exit::USAGE;
        }
    };
    let emulator = match emulator::Emulator::new(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return super::exit::USAGE;
        }
    };
    if let Some(path) = &args.faults {
        let rules = match read_faults(path) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return super::exit::USAGE;
            }
        };
        let added = emulator.default_tenant().read().faults().add_all(rules);
        if let Err(e) = added {
            eprintln!("error: {}: {e}", path.display());
            return super::exit::USAGE;
        }
    }
    let mut store = None;
    if let Some(path) = &args.state_file {
        let options = emulator::control::persist::StoreOptions {
            durability: match args.fsync_interval_ms {
                None => Durability::Fsync,
                Some(ms) => Durability::Interval(std::time::Duration::from_millis(ms)),
            },
            faults: match args.test_disk_capacity {
                None => StorageFaults::unlimited(),
                Some(bytes) => StorageFaults::capacity(bytes),
            },
            ..Default::default()
        };
        match emulator::control::persist::Store::open(&emulator, path, options).await {
            Ok((opened, report)) => {
                if report.temp_files_removed > 0 || report.torn_bytes > 0 {
                    eprintln!(
                        "state file: removed {} temporary file(s) and {} byte(s) of a torn \
                         record left by a crash",
                        report.temp_files_removed, report.torn_bytes
                    );
                }
                opened.spawn_compactor(&emulator);
                store = Some(opened);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return super::exit::ERROR;
            }
        }
    }
    let listener = match TcpListener::bind((args.bind.as_str(), args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {}:{}: {e}", args.bind, args.port);
            return super::exit::ERROR;
        }
    };
    let addr: SocketAddr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return super::exit::ERROR;
        }
    };
    let events_listener = match args.events_port {
        None => None,
        Some(port) => match TcpListener::bind((args.bind.as_str(), port)).await {
            Ok(l) => Some(l),
            Err(e) => {
                eprintln!("error: cannot listen on {}:{port} for the Events API: {e}", args.bind);
                return super::exit::ERROR;
            }
        },
    };
    let events_addr = events_listener.as_ref().and_then(|l| l.local_addr().ok());
    let users_api_listener = match args.users_api_port {
        None => None,
        Some(port) => match TcpListener::bind((args.bind.as_str(), port)).await {
            Ok(l) => Some(l),
            Err(e) => {
                eprintln!("error: cannot listen on {}:{port} for the Users API: {e}", args.bind);
                return super::exit::ERROR;
            }
        },
    };
    let users_api_addr = users_api_listener.as_ref().and_then(|l| l.local_addr().ok());
    let mut info = ready_info(&emulator, addr);
    if let Some(events_addr) = events_addr {
        info["events_url"] = json!(format!("http://{events_addr}"));
    }
    if let Some(users_api_addr) = users_api_addr {
        info["users_api_url"] = json!(format!("http://{users_api_addr}"));
    }
    if let Some(path) = &args.ready_file
        && let Err(e) = write_ready_file(path, &info)
    {
        eprintln!("error: cannot write ready file {}: {e}", path.display());
        return super::exit::ERROR;
    }
    print_banner(&info, &emulator);
    // One signal stops both listeners.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let bounds = ServeOptions {
        header_timeout: Duration::from_secs(args.header_timeout_secs.max(1)),
        idle_timeout: Duration::from_secs(args.idle_timeout_secs.max(1)),
        max_connections: args.max_connections.max(1),
        shutdown_deadline: Duration::from_secs(args.shutdown_timeout_secs),
    };
    let events_server = events_listener.map(|l| {
        let app = emulator::http::events_router(emulator.clone());
        let shutdown = stopped(stop_rx.clone());
        tokio::spawn(emulator::server::serve_service_with(l, app, shutdown, bounds))
    });
    let users_api_server = users_api_listener.map(|l| {
        let app = emulator::http::users_api_router(emulator.clone());
        let shutdown = stopped(stop_rx.clone());
        tokio::spawn(emulator::server::serve_service_with(l, app, shutdown, bounds))
    });
    let served =
        emulator::server::serve_with(listener, emulator.clone(), stopped(stop_rx), bounds).await;
    // A ready file left behind would tell the next script a dead server is up.
    if let Some(path) = &args.ready_file {
        let _ = std::fs::remove_file(path);
    }
    if let Some(handle) = events_server
        && let Ok(Err(e)) = handle.await
    {
        eprintln!("error: Events API listener: {e}");
    }
    if let Some(handle) = users_api_server
        && let Ok(Err(e)) = handle.await
    {
        eprintln!("error: Users API listener: {e}");
    }
    if let Ok(stopped) = &served
        && stopped.dropped > 0
    {
        eprintln!(
            "shutdown: dropped {} connection(s) still busy after {}s",
            stopped.dropped, args.shutdown_timeout_secs
        );
    }
    if let Some(store) = store
        && let Err(e) = store.shutdown(&emulator).await
    {
        eprintln!("error: {e}");
        return super::exit::ERROR;
    }
    match served {
        Ok(_) => super::exit::OK,
        Err(e) => {
            eprintln!("error: {e}");
            super::exit::ERROR
        }
    }
}

/// The URLs and tokens of a running emulator (the ready file's content).
pub fn ready_info(emulator: &emulator::Emulator, addr: SocketAddr) -> serde_json::Value {
    let base = format!("http://{addr}");
    let (scim_token, events_token, users_api) = {
        let t = emulator.default_tenant();
        let t = t.read();
        (t.scim_token.clone(), t.events_token.clone(), t.users_api_credentials())
    };
    json!({
        "url": base,
        "scim_url": format!("{base}/scim/v2"),
        "scim_token": scim_token,
        "events_url": base,
        "events_token": events_token,
        "users_api_url": base,
        "users_api_client_id": users_api.client_id,
        "users_api_client_secret": users_api.client_secret,
        "account_id": users_api.account_id,
        "admin_url": format!("{base}/__admin"),
        "admin_token": emulator.admin_token(),
        "dashboard_url": dashboard_url(&base, emulator.admin_token()),
        "pid": std::process::id(),
    })
}

/// The dashboard's address with the admin token in the fragment (`#token=...`), which browsers
/// keep to themselves: the page reads it, stores it for the tab and removes it from the URL.
pub fn dashboard_url(base: &str, admin_token: &str) -> String {
    let mut url = format!("{base}/__admin/ui#token=");
    for b in admin_token.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

fn print_banner(info: &serde_json::Value, emulator: &emulator::Emulator) {
    let s = |k: &str| info[k].as_str().unwrap_or("").to_owned();
    let (users, profile) = {
        let t = emulator.default_tenant();
        let t = t.read();
        (t.account.user_count(), format!("{:?}", t.profile.preset).to_lowercase())
    };
    println!("scimulator: 1Password SCIM bridge emulator ({profile} profile, {users} users)");
    println!("  SCIM bridge   {}", s("scim_url"));
    println!("  SCIM token    {}", s("scim_token"));
    println!("  Events API    {}", s("events_url"));
    println!("  Events token  {}", s("events_token"));
    println!("  Users API     {}", s("users_api_url"));
    println!("  Client id     {}", s("users_api_client_id"));
    println!("  Client secret {}", s("users_api_client_secret"));
    println!("  Account id    {}", s("account_id"));
    println!("  Control plane {}", s("admin_url"));
    println!("  Admin token   {}", s("admin_token"));
    println!("  Dashboard     {}", s("dashboard_url"));
    println!("Try: curl -H 'Authorization: Bearer {}' {}/Users", s("scim_token"), s("scim_url"));
    println!("Press Ctrl-C to stop.");
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn dashboard_url_carries_the_token_percent_encoded_in_the_fragment() {
        assert_eq!(
            dashboard_url("http://127.0.0.1:1", "a-b_c.d~9"),
            "http://127.0.0.1:1/__admin/ui#token=a-b_c.d~9"
        );
        assert_eq!(
            dashboard_url("http://h", "s3 cr&t/é"),
            "http://h/__admin/ui#token=s3%20cr%26t%2F%C3%A9"
        );
    }

    #[test]
    fn set_overrides_switches_and_rejects_unknown_ones() {
        let t = T::parse_from([
            "x",
            "--profile",
            "rfc",
            "--set",
            "shuffle_list_order=true",
            "--set",
            "confirmation_delay_secs=0",
        ]);
        let c = config(&t.serve).unwrap();
        assert!(c.profile.post_returns_201 && c.profile.shuffle_list_order);
        assert_eq!(c.profile.confirmation_delay_secs, Some(0));
        let t = T::parse_from(["x", "--set", "nope=1"]);
        let err = config(&t.serve).unwrap_err();
        assert!(err.contains("nope"), "{err}");
        // The error lists the switches there are.
        assert!(err.contains("post_returns_201") && err.contains("shuffle_list_order"), "{err}");
        let t = T::parse_from(["x", "--set", "novalue"]);
        assert!(config(&t.serve).unwrap_err().contains("SWITCH=VALUE"));
    }

    #[test]
    fn admin_token_is_required_off_loopback_and_faults_files_are_validated() {
        let t = T::parse_from(["x", "--bind", "0.0.0.0"]);
        assert!(config(&t.serve).unwrap_err().contains("--admin-token"));
        let t = T::parse_from(["x", "--bind", "0.0.0.0", "--admin-token", "s3cret"]);
        assert_eq!(config(&t.serve).unwrap().admin_token.as_deref(), Some("s3cret"));
        assert!(config(&T::parse_from(["x", "--bind", "::1"]).serve).is_ok());

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("faults.yaml");
        std::fs::write(
            &path,
            "- match: {method: PATCH}\n  times: 2\n  action: {status: 429, retry_after: 2}\n",
        )
        .unwrap();
        let rules = read_faults(&path).unwrap();
        assert_eq!(rules[0].times, Some(2));
        std::fs::write(&path, r#"{"faults": [{"probability": 3, "action": {"status": 500}}]}"#)
            .unwrap();
        let err = read_faults(&path).unwrap_err();
        assert!(err.contains("faults.yaml") && err.contains("probability"), "{err}");
    }

    #[test]
    fn seed_errors_name_the_file_and_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seed.yaml");
        std::fs::write(&path, "users:\n  - userName: a@example.com\n    colour: red\n").unwrap();
        let t = T::parse_from(["x", "--seed", path.to_str().unwrap()]);
        let err = config(&t.serve).unwrap_err();
        assert!(err.contains("seed.yaml") && err.contains("colour"), "{err}");
        std::fs::write(&path, "users:\n  - userName: a@example.com\n    state: ACTIVE\n").unwrap();
        let t = T::parse_from(["x", "--seed", path.to_str().unwrap(), "--clock", "manual"]);
        let c = config(&t.serve).unwrap();
        assert_eq!(c.seed.unwrap().users[0].user_name, "a@example.com");
        assert_eq!(c.clock, ClockMode::Manual);
    }
}

//! `serve`'s logs: `tracing` to stderr, as text or one JSON object per line, filtered by
//! `RUST_LOG` (default `info`: one line per request, see
//! [`emulator::http::control_layer::REQUEST_LOG_TARGET`]).

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (`INFO scimulator::request: request method="GET" ...`).
    Text,
    /// One JSON object per line (`{"timestamp", "level", "fields": {...}, "target"}`).
    Json,
}

/// The filter: `RUST_LOG` when set (and valid), else `default`.
pub fn filter(rust_log: Option<&str>, default: &str) -> Result<EnvFilter, String> {
    match rust_log.map(str::trim).filter(|s| !s.is_empty()) {
        Some(directives) => EnvFilter::try_new(directives)
            .map_err(|e| format!("RUST_LOG={directives:?} is not a valid filter: {e}")),
        None => Ok(EnvFilter::new(default)),
    }
}

/// Installs the global subscriber, writing to stderr. Errors if `RUST_LOG` is malformed or a
/// subscriber is already installed.
pub fn init(format: LogFormat) -> Result<(), String> {
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref(), "info")?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    installed.map_err(|e| format!("cannot set up logging: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_log_wins_and_a_bad_one_is_an_error() {
        assert_eq!(filter(None, "info").unwrap().to_string(), "info");
        assert_eq!(filter(Some("  "), "info").unwrap().to_string(), "info");
        assert_eq!(filter(Some("warn"), "info").unwrap().to_string(), "warn");
        let err = filter(Some("scimulator=loud"), "info").unwrap_err();
        assert!(err.contains("RUST_LOG"), "{err}");
    }
}

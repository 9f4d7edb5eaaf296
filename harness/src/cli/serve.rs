//! `scimulator serve`.

use clap::Args;

/// Flags of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to bind.
    #[arg(long, env = "SCIMULATOR_BIND", default_value = "127.0.0.1")]
    pub bind: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "SCIMULATOR_PORT", default_value_t = 3002)]
    pub port: u16,
}

/// Runs the emulator until Ctrl-C or SIGTERM.
pub async fn run(args: ServeArgs) -> u8 {
    let _ = args;
    eprintln!("error: `serve` is not available yet");
    super::exit::ERROR
}

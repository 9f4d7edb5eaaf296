//! `scimulator test`.

use clap::Args;

/// Flags of `test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Scenario files or folders.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<std::path::PathBuf>,
}

/// Runs scenarios.
pub async fn run(args: TestArgs) -> u8 {
    let _ = args;
    eprintln!("error: `test` is not available yet");
    super::exit::ERROR
}

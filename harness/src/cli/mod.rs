//! The `scimulator` command line: `serve`, `test`, the connector's commands, and `mcp`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod conform;
pub mod connector;
pub mod logging;
pub mod mcp;
pub mod serve;
pub mod test;

/// The version `--version` prints: the package version and, when built from a git checkout,
/// the revision (`0.1.0 (3f2c1ab9e0d4)`); see `build.rs`.
pub const VERSION: &str = env!("SCIMULATOR_VERSION");

/// Build and test 1Password user-lifecycle integrations without a 1Password account.
#[derive(Debug, Parser)]
#[command(name = "scimulator", version = VERSION, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the emulator: a 1Password-like SCIM bridge and Events API.
    Serve(serve::ServeArgs),
    /// Run scenario files against an embedded emulator or a bridge URL.
    Test(test::TestArgs),
    /// List, get, suspend and reactivate users on any 1Password SCIM bridge.
    Users(connector::UsersArgs),
    /// Read the Events API (audit events, sign-in attempts, item usages).
    Events(connector::EventsArgs),
    /// Check any SCIM server's conformance (RFC 7643/7644, or an IdP's expectations).
    Conform(conform::ConformArgs),
    /// Serve the lifecycle operations as MCP tools for AI agents (stdio, or HTTP with --http).
    Mcp(mcp::McpArgs),
    /// Print a shell completion script: `scimulator completions bash > ~/.local/share/bash-completion/completions/scimulator`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// Shells `completions` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
}

/// Writes the completion script for `shell` to `out`.
pub fn completions(shell: Shell, out: &mut dyn std::io::Write) {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(shell, &mut cmd, "scimulator", out);
}

/// Exit codes shared by all commands, so scripts can tell failures apart.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Any other error.
    pub const ERROR: u8 = 1;
    /// Bad command-line usage (clap's own code).
    pub const USAGE: u8 = 2;
    /// The user (or resource) was not found.
    pub const NOT_FOUND: u8 = 3;
    /// Rate-limited (HTTP 429).
    pub const RATE_LIMITED: u8 = 4;
    /// Tests ran and at least one failed.
    pub const TEST_FAILED: u8 = 5;
}

/// Runs a parsed command line and returns the process exit code.
pub fn main(cli: Cli) -> ExitCode {
    if let Command::Completions { shell } = cli.command {
        completions(shell, &mut std::io::stdout().lock());
        return ExitCode::from(exit::OK);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    let code = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Test(args) => test::run(args).await,
            Command::Users(args) => connector::run_users(args).await,
            Command::Events(args) => connector::run_events(args).await,
            Command::Conform(args) => conform::run(args).await,
            Command::Completions { .. } => exit::OK,
            Command::Mcp(args) => mcp::run(args).await,
        }
    });
    ExitCode::from(code)
}

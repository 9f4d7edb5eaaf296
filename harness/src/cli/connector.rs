//! `scimulator users ...` and `scimulator events ...`.

use clap::Args;

/// Flags of `users`.
#[derive(Debug, Args)]
pub struct UsersArgs {}

/// Flags of `events`.
#[derive(Debug, Args)]
pub struct EventsArgs {}

/// Runs a `users` command.
pub async fn run_users(args: UsersArgs) -> u8 {
    let _ = args;
    eprintln!("error: `users` is not available yet");
    super::exit::ERROR
}

/// Runs an `events` command.
pub async fn run_events(args: EventsArgs) -> u8 {
    let _ = args;
    eprintln!("error: `events` is not available yet");
    super::exit::ERROR
}

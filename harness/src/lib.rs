//! The harness: scenario files, the runner, snapshot assertions, and the `scimulator` CLI.

pub mod cli;

//! The harness: scenario files, the runner, snapshot assertions, and the `scimulator` CLI.
//!
//! - [`scenario`]: the YAML scenario format (serde types) and its validation.
//! - [`vars`]: `${name.field}` variables captured from earlier steps.
//! - [`jsonpath`]: the small JSONPath subset used by checks, captures and redactions.
//! - [`matching`]: JSON subset matching and readable diffs.
//! - [`runner`]: targets (embedded emulator or external URL), parallel execution, expectations.
//! - [`snapshot`]: insta-format snapshot files in `snapshots/`.
//! - [`report`]: console summary and JUnit XML.
//! - [`conform`]: `scimulator conform`, a SCIM conformance suite for any server.
//! - [`mcp`]: `scimulator mcp`, the lifecycle operations as Model Context Protocol tools.
//! - [`cli`]: the `scimulator` command line.

pub mod cli;
pub mod conform;
pub mod jsonpath;
pub mod matching;
pub mod mcp;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod snapshot;
pub mod vars;

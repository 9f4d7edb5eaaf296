//! The Events API domain: the append-only event log with durable cursors, tokens, and the
//! rendering of account [`Change`](crate::account::Change)s into audit events. No HTTP here
//! (the routes are in [`crate::http::events`]).
//!
//! - [`model`]: event types with the API's exact field names and enum values;
//! - [`stream`]: an append-only stream with a monotone position key (binary-searchable);
//! - [`cursor`]: opaque, HMAC-signed cursors that are durable checkpoints;
//! - [`token`]: ES256 JWT bearer tokens in 1Password's shape;
//! - [`query`]: request parsing and validation, and [`EventsError`];
//! - [`render`]: account changes as audit events;
//! - [`synthetic`]: seeded generators of sign-in attempts and item usages;
//! - [`log`]: the tenant's [`EventLog`] tying these together.

pub mod cursor;
pub mod log;
pub mod model;
pub mod query;
pub mod render;
pub mod stream;
pub mod synthetic;
pub mod token;
pub mod v3_actions;

pub use log::{EventLog, GenerateEvents, LogIdentity, Page, SeedEvents};
pub use query::EventsError;
pub use token::{Feature, IssuedToken, TokenRequest};

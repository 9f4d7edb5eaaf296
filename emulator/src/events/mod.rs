//! The Events API domain: the append-only event log with durable cursors, tokens, and the
//! rendering of account [`Change`](crate::account::Change)s into audit events.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::account::Change;
use crate::ids::IdGenerator;

/// The tenant's event log.
#[derive(Debug, Clone, Default)]
pub struct EventLog {}

/// The `events` section of a seed document (sign-in attempts, item usages, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedEvents {}

impl EventLog {
    /// A log holding the seed's events.
    pub fn from_seed(
        seed: Option<&SeedEvents>,
        ids: &mut IdGenerator,
        now: DateTime<Utc>,
    ) -> Result<EventLog, String> {
        let _ = (seed, ids, now);
        Ok(EventLog::default())
    }

    /// Appends the audit events that `changes` produce.
    pub fn record(&mut self, changes: &[Change], now: DateTime<Utc>, ids: &mut IdGenerator) {
        let _ = (changes, now, ids);
    }
}

/// Mints a tenant's Events API bearer token.
pub fn mint_token(tenant: &str, ids: &mut IdGenerator, now: DateTime<Utc>) -> String {
    let _ = now;
    format!("events_{tenant}_{}", ids.lower_id())
}

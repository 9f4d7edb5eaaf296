//! A tenant: one isolated 1Password account with its own tokens, profile, clock, id stream and
//! state. The bearer token on each request selects the tenant, so parallel tests can share one
//! server without seeing each other.

use std::fmt;

use crate::account::Account;
use crate::clock::Clock;
use crate::control::{Faults, Journal};
use crate::events::EventLog;
use crate::ids::IdGenerator;
use crate::profile::Profile;

/// A tenant's name (`default` for the one the server starts with).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TenantId(pub String);

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TenantId {
    /// The tenant every server starts with.
    pub fn default_tenant() -> Self {
        TenantId("default".to_owned())
    }
}

/// One isolated account and everything that belongs to it.
///
/// Held behind a `std::sync::Mutex` in the registry: handlers lock it, do synchronous work and
/// unlock before any `.await`, so the lock is never contended for long.
#[derive(Debug)]
pub struct Tenant {
    /// Its name.
    pub id: TenantId,
    /// Bearer token for the SCIM API.
    pub scim_token: String,
    /// Bearer token (a JWT) for the Events API.
    pub events_token: String,
    /// Fidelity switches.
    pub profile: Profile,
    /// This tenant's time.
    pub clock: Clock,
    /// This tenant's id and randomness stream.
    pub ids: IdGenerator,
    /// The 1Password account.
    pub account: Account,
    /// The Events API log.
    pub events: EventLog,
    /// Requests received.
    pub journal: Journal,
    /// Fault rules and rate limits.
    pub faults: Faults,
}

//! What tests do to the emulator: the request journal, fault rules, rate limits, persistence.
//!
//! Everything here is plain Rust over a tenant's state; the HTTP side (the `/__admin` routes and
//! the middleware that journals, limits and injects faults on every request) lives in
//! [`crate::http`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use crate::profile::Profile;
use crate::seed::{Seed, SeedSnapshot};
use crate::tenant::{Tenant, TenantId};

pub mod duration;
pub mod faults;
pub mod journal;
pub mod pattern;
pub mod persist;
pub mod ratelimit;
pub mod tenants;
pub mod wal;

pub use faults::{FaultAction, FaultMatch, FaultRule, Faults, Firing, RuleError, RuleStatus};
pub use journal::{Journal, JournalEntry, JournalFilter, JournalPage, Received, SequencedEntry};
pub use pattern::PathPattern;
pub use ratelimit::{RateLimitConfig, RateLimitUpdate, RateLimiter, Verdict, Window};

/// Which API a request is for (fault rules and rate limits can target one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// The SCIM bridge (`/scim/v2/...`, `/Users`, ...).
    Scim,
    /// The Events API (`/api/...`).
    Events,
    /// The Users API (`/v1beta1/...`).
    Users,
}

impl Api {
    /// The API a request path belongs to (`/api/...` is the Events API, `/v1beta1/...` the
    /// Users API, everything else SCIM).
    pub fn of_path(path: &str) -> Api {
        if path == "/api" || path.starts_with("/api/") {
            Api::Events
        } else if path == "/v1beta1" || path.starts_with("/v1beta1/") {
            Api::Users
        } else {
            Api::Scim
        }
    }
}

/// How a tenant was created, so `reset` can rebuild it as it was.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The seed it started from.
    pub seed: Option<SeedSnapshot>,
    /// Its base profile (before seed overrides); the server's when `None`.
    pub profile: Option<Profile>,
    /// Whether its SCIM token was generated (drawn from its id stream) rather than given.
    pub generated_token: bool,
}

/// Control-plane state shared by the whole server: the change counter that drives persistence
/// and the tenants' origins.
#[derive(Debug, Default)]
pub struct ControlState {
    generation: AtomicU64,
    changed: tokio::sync::Notify,
    origins: Mutex<HashMap<TenantId, Origin>>,
    /// The state file in use (`--state-file`), if any.
    store: OnceLock<Arc<persist::Store>>,
    /// Why the state file cannot be written, while it cannot.
    storage_error: Mutex<Option<Arc<str>>>,
    /// Whether state is kept in a state file (set before the file is replayed).
    persistent: std::sync::atomic::AtomicBool,
}

impl ControlState {
    /// Notes that persistent state changed (wakes the state-file saver, if any).
    pub fn changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
    }

    /// How many changes have been noted since start.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Waits for the next change notification (a change noted while nobody waited counts).
    pub async fn wait_for_change(&self) {
        self.changed.notified().await;
    }

    /// Records how a tenant was created.
    pub fn set_origin(&self, id: TenantId, origin: Origin) {
        self.origins.lock().unwrap_or_else(|e| e.into_inner()).insert(id, origin);
    }

    /// How a tenant was created (empty when it was not recorded).
    pub fn origin(&self, id: &TenantId) -> Origin {
        self.origins.lock().unwrap_or_else(|e| e.into_inner()).get(id).cloned().unwrap_or_default()
    }

    /// Marks the state as persisted: ids are then never drawn twice (a reset goes on with the
    /// id stream rather than starting it over).
    pub fn set_persistent(&self) {
        self.persistent.store(true, Ordering::SeqCst);
    }

    /// Whether state is kept in a state file.
    pub fn is_persistent(&self) -> bool {
        self.persistent.load(Ordering::SeqCst)
    }

    /// Makes `store` the state file every write is logged to (once).
    pub fn attach_store(&self, store: Arc<persist::Store>) {
        let _ = self.store.set(store);
    }

    /// The state file writes are logged to, if any.
    pub fn store(&self) -> Option<&Arc<persist::Store>> {
        self.store.get()
    }

    /// Why the state file cannot be written, while it cannot (health reports it, writes get 503).
    pub fn storage_error(&self) -> Option<Arc<str>> {
        self.storage_error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Records a storage failure; returns whether it is new (storage was healthy until now).
    pub fn set_storage_error(&self, why: &str) -> bool {
        let mut e = self.storage_error.lock().unwrap_or_else(|e| e.into_inner());
        let new = e.is_none();
        if new {
            *e = Some(why.into());
        }
        new
    }

    /// Storage works again.
    pub fn clear_storage_error(&self) {
        *self.storage_error.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Every tenant's origin (to carry over when state is rebuilt).
    pub fn origins(&self) -> HashMap<TenantId, Origin> {
        self.origins.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces every tenant's origin.
    pub fn set_origins(&self, origins: HashMap<TenantId, Origin>) {
        *self.origins.lock().unwrap_or_else(|e| e.into_inner()) = origins;
    }

    /// Forgets a deleted tenant's origin.
    pub fn forget(&self, id: &TenantId) {
        self.origins.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

/// The tenant's full state as a seed document (the shape `--seed` reads), so an export loads
/// back as a seed.
pub fn export_seed(tenant: &Tenant) -> Seed {
    let (users, groups, outbox) = tenant.account.export();
    let events = tenant.events.to_seed();
    let has_events = !(events.audit_events.is_empty()
        && events.item_usages.is_empty()
        && events.signin_attempts.is_empty());
    let faults = tenant.faults().rules();
    Seed {
        profile: serde_json::to_value(&tenant.profile).ok(),
        users,
        groups,
        outbox,
        events: has_events.then_some(events),
        faults,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_of_path() {
        assert_eq!(Api::of_path("/api/v2/auditevents"), Api::Events);
        assert_eq!(Api::of_path("/api"), Api::Events);
        assert_eq!(Api::of_path("/apix"), Api::Scim);
        assert_eq!(Api::of_path("/scim/v2/Users"), Api::Scim);
        assert_eq!(Api::of_path("/v1beta1/accounts/A/users"), Api::Users);
        assert_eq!(Api::of_path("/v1beta1x"), Api::Scim);
    }

    #[test]
    fn generation_counts_changes() {
        let c = ControlState::default();
        c.changed();
        c.changed();
        assert_eq!(c.generation(), 2);
    }
}

//! A tenant: one isolated 1Password account with its own tokens, profile, clock, id stream and
//! state. The bearer token on each request selects the tenant, so parallel tests can share one
//! server without seeing each other.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::account::{Account, Change};
use crate::clock::Clock;
use crate::control::{Faults, Journal};
use crate::events::EventLog;
use crate::ids::IdGenerator;
use crate::profile::Profile;
use crate::seed::Seed;
use crate::users_api::{AccessTokens, Credentials};

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
/// Held behind a read-write lock in the registry ([`crate::state::SharedTenant`]): handlers
/// lock it, do synchronous work and unlock before any `.await`. The journal and the fault
/// rules change on every request, reads included, so each has its own small lock: a GET needs
/// only shared access to the tenant.
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
    /// Live Users API access tokens (the credentials are derived: [`Credentials::of`]).
    pub users_api_tokens: AccessTokens,
    /// Requests received; see [`Tenant::journal`].
    pub journal: Mutex<Journal>,
    /// Fault rules and rate limits; see [`Tenant::faults`].
    faults: Mutex<Faults>,
    /// Whether `faults` holds any rule or limit; kept by [`FaultsGuard`] on every access.
    faults_armed: AtomicBool,
}

/// The tenant's fault rules, locked. Dropping it records whether any rule or limit is left,
/// so the control layer can skip the rules entirely while there are none.
pub struct FaultsGuard<'a> {
    faults: MutexGuard<'a, Faults>,
    armed: &'a AtomicBool,
}

impl Deref for FaultsGuard<'_> {
    type Target = Faults;

    fn deref(&self) -> &Faults {
        &self.faults
    }
}

impl DerefMut for FaultsGuard<'_> {
    fn deref_mut(&mut self) -> &mut Faults {
        &mut self.faults
    }
}

impl Drop for FaultsGuard<'_> {
    fn drop(&mut self) {
        self.armed.store(!self.faults.is_idle(), Ordering::Release);
    }
}

impl Tenant {
    /// Builds a tenant. Each module turns its own seed section into state; with no seed the
    /// default tenant gets the demo account and other tenants an empty one (owner only).
    pub fn build(
        id: TenantId,
        scim_token: String,
        profile: Profile,
        clock: Clock,
        mut ids: IdGenerator,
        mut seed: Option<Seed>,
        demo: bool,
    ) -> Result<Tenant, String> {
        let now = clock.now();
        let overrides = seed.as_mut().and_then(|s| s.profile.take());
        let profile = match overrides {
            Some(overrides) => profile.with_overrides(&overrides)?,
            None => profile,
        };
        let events_seed = seed.as_mut().and_then(|s| s.events.take());
        let fault_rules = seed.as_mut().map(|s| std::mem::take(&mut s.faults)).unwrap_or_default();
        let account = match seed {
            Some(s) => Account::from_seed(s, &mut ids, now)?,
            None if demo => Account::demo(&mut ids, now),
            None => Account::new_empty(&mut ids, now),
        };
        // The log draws its identity (account uuid, signing key, cursor secret) from `ids` and
        // mints the tenant's all-features token with it.
        let events = EventLog::from_seed(events_seed.as_ref(), &mut ids, now)?;
        let events_token = events.default_token().token.clone();
        let faults = Faults::from_seed(&fault_rules)?;
        Ok(Tenant {
            id,
            scim_token,
            events_token,
            profile,
            clock,
            ids,
            account,
            events,
            users_api_tokens: AccessTokens::default(),
            journal: Mutex::default(),
            faults_armed: AtomicBool::new(!faults.is_idle()),
            faults: Mutex::new(faults),
        })
    }

    /// The request journal, locked only while an entry is recorded or read.
    pub fn journal(&self) -> MutexGuard<'_, Journal> {
        self.journal.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fault rules and rate limiter, which count the requests they see.
    pub fn faults(&self) -> FaultsGuard<'_> {
        let faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        FaultsGuard { faults, armed: &self.faults_armed }
    }

    /// Whether any fault rule or rate limit is set. While none is, requests need not take
    /// the rules' lock: there is nothing to fire and nothing to count.
    pub fn faults_armed(&self) -> bool {
        self.faults_armed.load(Ordering::Acquire)
    }

    /// Replaces the fault rules and limits.
    pub fn set_faults(&mut self, faults: Faults) {
        *self.faults() = faults;
    }

    /// The Users API client credentials and account id.
    pub fn users_api_credentials(&self) -> Credentials {
        Credentials::of(self)
    }

    /// Appends the audit events for `changes`; call after every successful mutation.
    pub fn record(&mut self, changes: &[Change]) {
        let now = self.clock.now();
        self.events.record(changes, now, &mut self.ids);
    }
}

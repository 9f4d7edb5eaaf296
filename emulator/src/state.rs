//! The [`Emulator`] handle: configuration plus the registry of tenants, cheap to clone and shared
//! by every request handler.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::clock::Clock;
use crate::config::{ClockMode, EmulatorConfig};
use crate::control::ControlState;
use crate::ids::IdGenerator;
use crate::profile::Profile;
use crate::seed::{Seed, SeedSnapshot};
use crate::tenant::{Tenant, TenantId};

/// A tenant behind its lock, shared by the registry and the requests that use it.
///
/// A read-write lock: reads (every GET, the control layer's checks) share it and run in
/// parallel; changes take it alone. The per-request bookkeeping that must change on reads too
/// (the journal, fault and rate-limit counters) sits behind its own small locks inside
/// [`Tenant`], so a GET never waits for another GET. Guards are never held across an `.await`.
#[derive(Debug, Clone)]
pub struct SharedTenant(Arc<RwLock<Tenant>>);

impl SharedTenant {
    /// Shares `tenant`.
    pub fn new(tenant: Tenant) -> Self {
        SharedTenant(Arc::new(RwLock::new(tenant)))
    }

    /// Shared access. A panic in another holder poisons nothing here: the state a failed
    /// request leaves is the state before it (changes are all-or-nothing), so it stays usable.
    pub fn read(&self) -> RwLockReadGuard<'_, Tenant> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Exclusive access, for changes.
    pub fn write(&self) -> RwLockWriteGuard<'_, Tenant> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether both handles share one tenant.
    pub fn ptr_eq(a: &SharedTenant, b: &SharedTenant) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

/// Which API a bearer token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A SCIM bridge token.
    Scim,
    /// An Events API token.
    Events,
    /// A Users API access token (from `POST /v1beta1/users/oauth2/token`).
    UsersApi,
    /// A Users API OAuth client id (sent with HTTP Basic to the token and revoke endpoints).
    UsersApiClient,
}

/// What a new tenant should look like; everything is optional.
#[derive(Debug, Clone, Default)]
pub struct TenantSpec {
    /// Its name; generated when `None`.
    pub name: Option<String>,
    /// Its SCIM token; generated when `None`.
    pub scim_token: Option<String>,
    /// Its profile; the server's when `None`.
    pub profile: Option<Profile>,
    /// Its starting state; an empty account (owner only) when `None`.
    pub seed: Option<Seed>,
}

/// Why a tenant could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantError {
    /// The name is taken.
    #[error("a tenant named {0:?} already exists")]
    NameTaken(String),
    /// The token is taken by another tenant.
    #[error("that token is already used by another tenant")]
    TokenTaken,
    /// The seed could not be applied.
    #[error("invalid seed: {0}")]
    InvalidSeed(String),
    /// The name is not usable.
    #[error(
        "invalid tenant name {0:?}: use 1 to 64 letters, digits, '-', '_' and '.' (not \".\" or \"..\")"
    )]
    InvalidName(String),
}

#[derive(Debug, Default)]
struct Registry {
    tenants: BTreeMap<TenantId, SharedTenant>,
    /// Every request looks its token up here: foldhash, as in [`crate::account::Account`].
    tokens: foldhash::HashMap<String, (TenantId, TokenKind)>,
    /// Counter for generated tenant names.
    created: u64,
    /// How many times each name (lower-cased) was created: a tenant created again under a
    /// name draws its tokens from a new stream, so tokens of a deleted tenant never come back.
    incarnations: BTreeMap<String, u64>,
}

#[derive(Debug)]
struct Inner {
    config: EmulatorConfig,
    admin_token: String,
    /// The default tenant's seed, kept for resets.
    default_seed: Option<SeedSnapshot>,
    registry: RwLock<Registry>,
    /// Which state of the registry is current: a value from [`REGISTRY_VERSIONS`], replaced
    /// on every change, so a thread's [`LAST_RESOLVED`] token is known good while it matches.
    registry_version: AtomicU64,
    /// Control-plane state (change counter for persistence, tenant origins).
    control: ControlState,
}

/// Registry versions, unique across every emulator in the process (tests run many), so a
/// cached resolution can never be taken for another emulator's.
static REGISTRY_VERSIONS: AtomicU64 = AtomicU64::new(1);

fn next_registry_version() -> u64 {
    REGISTRY_VERSIONS.fetch_add(1, Ordering::Relaxed)
}

/// A token this thread resolved, with the registry version it was resolved under.
struct Resolved {
    version: u64,
    token: Box<str>,
    tenant: SharedTenant,
    kind: TokenKind,
}

thread_local! {
    /// The last token resolved on this thread. Clients send one token request after request,
    /// and every request is resolved twice (control layer, then handler): a hit skips the
    /// registry's lock, shared by every request of every thread, and the map lookups. It
    /// keeps a deleted tenant alive until the thread resolves another token; nothing else.
    static LAST_RESOLVED: RefCell<Option<Resolved>> = const { RefCell::new(None) };
}

/// Exclusive access to the registry; dropping it publishes a new registry version (while the
/// lock is still held, so a reader that sees the new version also sees the change).
struct RegistryWrite<'a> {
    guard: RwLockWriteGuard<'a, Registry>,
    version: &'a AtomicU64,
}

impl std::ops::Deref for RegistryWrite<'_> {
    type Target = Registry;
    fn deref(&self) -> &Registry {
        &self.guard
    }
}

impl std::ops::DerefMut for RegistryWrite<'_> {
    fn deref_mut(&mut self) -> &mut Registry {
        &mut self.guard
    }
}

impl Drop for RegistryWrite<'_> {
    fn drop(&mut self) {
        // Runs before the guard (a field) is dropped, so before the lock is released.
        self.version.store(next_registry_version(), Ordering::Release);
    }
}

/// The running emulator's state: configuration and tenants. Clone it freely.
#[derive(Debug, Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

impl Emulator {
    /// Builds an emulator with its default tenant (seeded from `config.seed`, or the demo account).
    pub fn new(mut config: EmulatorConfig) -> Result<Emulator, TenantError> {
        // The parsed seed builds the default tenant once; resets rebuild it from a compact
        // snapshot, so a large seed is not kept twice (as maps and as the account).
        let seed = config.seed.take();
        let default_seed = seed.as_ref().map(SeedSnapshot::of);
        let mut ids = IdGenerator::for_stream(config.id_seed, "admin-token");
        let admin_token =
            config.admin_token.clone().unwrap_or_else(|| format!("admin_{}", ids.lower_id()));
        let emulator = Emulator {
            inner: Arc::new(Inner {
                config,
                admin_token,
                default_seed,
                registry: RwLock::new(Registry::default()),
                registry_version: AtomicU64::new(next_registry_version()),
                control: ControlState::default(),
            }),
        };
        let cfg = &emulator.inner.config;
        emulator.create_tenant_with(
            TenantSpec {
                name: Some(TenantId::default_tenant().0),
                scim_token: cfg.scim_token.clone(),
                profile: Some(cfg.profile.clone()),
                seed,
            },
            true,
        )?;
        Ok(emulator)
    }

    /// The configuration it was built with, except its `seed`, which is `None` here: it was
    /// used to build the default tenant and is kept compactly as [`Emulator::default_seed`].
    pub fn config(&self) -> &EmulatorConfig {
        &self.inner.config
    }

    /// The default tenant's seed (what resets rebuild it from), if it was given one.
    pub fn default_seed(&self) -> Option<&SeedSnapshot> {
        self.inner.default_seed.as_ref()
    }

    /// The control plane's bearer token.
    pub fn admin_token(&self) -> &str {
        &self.inner.admin_token
    }

    /// Control-plane state: the change counter that drives `--state-file` saves, and how each
    /// tenant was created (for resets).
    pub fn control(&self) -> &ControlState {
        &self.inner.control
    }

    /// The tenant a bearer token belongs to, and which API the token is for.
    pub fn resolve_token(&self, token: &str) -> Option<(SharedTenant, TokenKind)> {
        // Read before the registry: a change after this makes the entry cached below stale
        // at once, never a stale entry current.
        let version = self.inner.registry_version.load(Ordering::Acquire);
        let cached = LAST_RESOLVED.with_borrow(|last| match last {
            Some(r) if r.version == version && *r.token == *token => {
                Some((r.tenant.clone(), r.kind))
            }
            _ => None,
        });
        if cached.is_some() {
            return cached;
        }
        let (tenant, kind) = {
            let reg = self.inner.registry.read().unwrap_or_else(|e| e.into_inner());
            let (id, kind) = reg.tokens.get(token)?;
            (reg.tenants.get(id)?.clone(), *kind)
        };
        let entry = Resolved { version, token: token.into(), tenant: tenant.clone(), kind };
        // Replaced outside the borrow: dropping the old entry may drop a deleted tenant.
        let old = LAST_RESOLVED.replace(Some(entry));
        drop(old);
        Some((tenant, kind))
    }

    fn registry_mut(&self) -> RegistryWrite<'_> {
        RegistryWrite {
            guard: self.inner.registry.write().unwrap_or_else(|e| e.into_inner()),
            version: &self.inner.registry_version,
        }
    }

    /// A tenant by name.
    pub fn tenant(&self, id: &TenantId) -> Option<SharedTenant> {
        let reg = self.inner.registry.read().unwrap_or_else(|e| e.into_inner());
        reg.tenants.get(id).cloned()
    }

    /// The tenant the server started with.
    pub fn default_tenant(&self) -> SharedTenant {
        self.tenant(&TenantId::default_tenant()).expect("the default tenant is never deleted")
    }

    /// All tenants, by name.
    pub fn tenants(&self) -> Vec<SharedTenant> {
        let reg = self.inner.registry.read().unwrap_or_else(|e| e.into_inner());
        reg.tenants.values().cloned().collect()
    }

    /// Creates an isolated tenant.
    pub fn create_tenant(&self, spec: TenantSpec) -> Result<SharedTenant, TenantError> {
        self.create_tenant_with(spec, false)
    }

    /// Deletes a tenant (not the default one). Returns whether it existed.
    pub fn delete_tenant(&self, id: &TenantId) -> bool {
        if *id == TenantId::default_tenant() {
            return false;
        }
        let mut reg = self.registry_mut();
        let existed = reg.tenants.remove(id).is_some();
        reg.tokens.retain(|_, (tid, _)| tid != id);
        existed
    }

    /// How many times each tenant name (lower-cased) has been created.
    pub fn incarnations(&self) -> BTreeMap<String, u64> {
        let reg = self.inner.registry.read().unwrap_or_else(|e| e.into_inner());
        reg.incarnations.clone()
    }

    /// Restores the creation counts (from a state file); counts only grow.
    pub fn set_incarnations(&self, counts: &BTreeMap<String, u64>) {
        let mut reg = self.registry_mut();
        for (name, n) in counts {
            let mine = reg.incarnations.entry(name.clone()).or_insert(0);
            *mine = (*mine).max(*n);
        }
    }

    /// The id stream a tenant named `name` starts from in its current incarnation: the first
    /// incarnation's is the name's own (so `--id-seed` reproduces a fresh server), later ones
    /// add the incarnation number.
    pub fn id_stream(&self, name: &str) -> IdGenerator {
        let reg = self.inner.registry.read().unwrap_or_else(|e| e.into_inner());
        let n = reg.incarnations.get(&name.to_ascii_lowercase()).copied().unwrap_or(1);
        stream_for(self.inner.config.id_seed, name, n)
    }

    /// Takes over `other`'s tenants, tokens and origins (state rebuilt from disk after a
    /// storage failure); requests holding a replaced tenant finish on the old one.
    pub fn adopt_tenants(&self, other: &Emulator) {
        let (tenants, tokens, created, incarnations) = {
            let reg = other.inner.registry.read().unwrap_or_else(|e| e.into_inner());
            (reg.tenants.clone(), reg.tokens.clone(), reg.created, reg.incarnations.clone())
        };
        let mut reg = self.registry_mut();
        reg.tenants = tenants;
        reg.tokens = tokens;
        reg.created = created;
        reg.incarnations = incarnations;
        drop(reg);
        self.control().set_origins(other.control().origins());
    }

    /// Re-reads a tenant's tokens into the token index (after a reset or import changed them).
    pub fn reindex_tokens(&self, id: &TenantId) {
        let mut reg = self.registry_mut();
        let Some(tenant) = reg.tenants.get(id).cloned() else { return };
        let t = tenant.read();
        reg.tokens.retain(|_, (tid, _)| tid != id);
        reg.tokens.insert(t.scim_token.clone(), (id.clone(), TokenKind::Scim));
        reg.tokens.insert(t.events_token.clone(), (id.clone(), TokenKind::Events));
        for issued in t.events.tokens() {
            reg.tokens.insert(issued.token.clone(), (id.clone(), TokenKind::Events));
        }
        reg.tokens
            .insert(t.users_api_credentials().client_id, (id.clone(), TokenKind::UsersApiClient));
        for token in t.users_api_tokens.tokens() {
            reg.tokens.insert(token.to_owned(), (id.clone(), TokenKind::UsersApi));
        }
    }

    /// Removes tokens from the token index (revoked or expired Users API access tokens), when
    /// they belong to tenant `id`.
    pub fn unregister_tokens(&self, tokens: &[String], id: &TenantId) {
        if tokens.is_empty() {
            return;
        }
        let mut reg = self.registry_mut();
        for token in tokens {
            if reg.tokens.get(token).is_some_and(|(owner, _)| owner == id) {
                reg.tokens.remove(token);
            }
        }
    }

    /// Adds a token the tenant issued after creation (e.g. an extra Events API token minted
    /// through the control API) to the token index.
    pub fn register_token(
        &self,
        token: &str,
        id: &TenantId,
        kind: TokenKind,
    ) -> Result<(), TenantError> {
        let mut reg = self.registry_mut();
        match reg.tokens.get(token) {
            Some((owner, k)) if owner == id && *k == kind => Ok(()),
            Some(_) => Err(TenantError::TokenTaken),
            None => {
                reg.tokens.insert(token.to_owned(), (id.clone(), kind));
                Ok(())
            }
        }
    }

    fn create_tenant_with(
        &self,
        spec: TenantSpec,
        is_default: bool,
    ) -> Result<SharedTenant, TenantError> {
        let cfg = &self.inner.config;
        let mut reg = self.registry_mut();
        let name = match spec.name {
            Some(n) => {
                let valid = !n.is_empty()
                    && n.len() <= 64
                    && n != "."
                    && n != ".."
                    && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
                if !valid {
                    return Err(TenantError::InvalidName(n));
                }
                n
            }
            None => loop {
                reg.created += 1;
                let candidate = format!("tenant-{}", reg.created);
                if !reg.tenants.contains_key(&TenantId(candidate.clone())) {
                    break candidate;
                }
            },
        };
        let id = TenantId(name);
        // Names are unique ignoring case: `DEFAULT` is `default`.
        if let Some(taken) = reg.tenants.keys().find(|t| t.0.eq_ignore_ascii_case(&id.0)) {
            return Err(TenantError::NameTaken(taken.0.clone()));
        }
        let incarnation =
            reg.incarnations.get(&id.0.to_ascii_lowercase()).copied().unwrap_or(0) + 1;
        let mut ids = stream_for(cfg.id_seed, &id.0, incarnation);
        let scim_token = spec.scim_token.unwrap_or_else(|| format!("scim_{}", ids.lower_id()));
        if reg.tokens.contains_key(&scim_token) {
            return Err(TenantError::TokenTaken);
        }
        let clock = match cfg.clock {
            ClockMode::System => Clock::default(),
            ClockMode::Manual => Clock::manual(Clock::default_manual_start()),
        };
        let profile = spec.profile.unwrap_or_else(|| cfg.profile.clone());
        let tenant =
            Tenant::build(id.clone(), scim_token, profile, clock, ids, spec.seed, is_default)
                .map_err(TenantError::InvalidSeed)?;
        if reg.tokens.contains_key(&tenant.events_token) {
            return Err(TenantError::TokenTaken);
        }
        let (scim_token, events_token) = (tenant.scim_token.clone(), tenant.events_token.clone());
        let client_id = tenant.users_api_credentials().client_id;
        let shared = SharedTenant::new(tenant);
        reg.tokens.insert(scim_token, (id.clone(), TokenKind::Scim));
        reg.tokens.insert(events_token, (id.clone(), TokenKind::Events));
        reg.tokens.insert(client_id, (id.clone(), TokenKind::UsersApiClient));
        reg.incarnations.insert(id.0.to_ascii_lowercase(), incarnation);
        reg.tenants.insert(id, shared.clone());
        Ok(shared)
    }
}

/// The id stream of incarnation `n` (from 1) of the tenant `name`.
fn stream_for(seed: u64, name: &str, n: u64) -> IdGenerator {
    if n <= 1 {
        IdGenerator::for_stream(seed, name)
    } else {
        IdGenerator::for_stream(seed, &format!("{name}#{n}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_select_tenants_and_tenants_are_isolated() {
        let emu = Emulator::new(EmulatorConfig::default()).unwrap();
        let a =
            emu.create_tenant(TenantSpec { name: Some("a".into()), ..Default::default() }).unwrap();
        let (scim, events) = {
            let t = a.read();
            (t.scim_token.clone(), t.events_token.clone())
        };
        let (found, kind) = emu.resolve_token(&scim).unwrap();
        assert!(SharedTenant::ptr_eq(&found, &a));
        assert_eq!(kind, TokenKind::Scim);
        assert_eq!(emu.resolve_token(&events).unwrap().1, TokenKind::Events);
        assert!(emu.resolve_token("nope").is_none());
        assert_eq!(
            emu.create_tenant(TenantSpec { name: Some("a".into()), ..Default::default() })
                .unwrap_err(),
            TenantError::NameTaken("a".into())
        );
        assert!(emu.delete_tenant(&TenantId("a".into())));
        assert!(emu.resolve_token(&scim).is_none());
        assert!(!emu.delete_tenant(&TenantId::default_tenant()));
    }

    #[test]
    fn resolved_tokens_are_never_served_stale_or_across_emulators() {
        let config = || EmulatorConfig { scim_token: Some("same".into()), ..Default::default() };
        let (one, two) = (Emulator::new(config()).unwrap(), Emulator::new(config()).unwrap());
        // The second round is answered from this thread's cache: each from its own emulator.
        for _ in 0..2 {
            for emu in [&one, &two] {
                let (found, kind) = emu.resolve_token("same").unwrap();
                assert!(SharedTenant::ptr_eq(&found, &emu.default_tenant()));
                assert_eq!(kind, TokenKind::Scim);
            }
        }
        // Resolved (and cached), deleted, created again under the same token: the new tenant.
        let spec = || TenantSpec {
            name: Some("t".into()),
            scim_token: Some("t-token".into()),
            ..Default::default()
        };
        let first = one.create_tenant(spec()).unwrap();
        assert!(SharedTenant::ptr_eq(&one.resolve_token("t-token").unwrap().0, &first));
        assert!(one.delete_tenant(&TenantId("t".into())));
        assert!(one.resolve_token("t-token").is_none());
        let second = one.create_tenant(spec()).unwrap();
        assert!(SharedTenant::ptr_eq(&one.resolve_token("t-token").unwrap().0, &second));
        assert!(!SharedTenant::ptr_eq(&first, &second));
    }

    #[test]
    fn the_armed_flag_follows_the_fault_rules_and_limits() {
        use crate::control::{FaultRule, RateLimitConfig};
        let emu = Emulator::new(EmulatorConfig::default()).unwrap();
        let t = emu.default_tenant();
        let t = t.read();
        assert!(!t.faults_armed(), "no rules, no limits");
        let rule: FaultRule =
            serde_json::from_value(serde_json::json!({"action": {"status": 503}})).unwrap();
        t.faults().add_all(vec![rule]).unwrap();
        assert!(t.faults_armed(), "a rule");
        t.faults().clear();
        assert!(!t.faults_armed(), "rules cleared");
        t.faults().limiter.configure(RateLimitConfig::events_api_documented()).unwrap();
        assert!(t.faults_armed(), "a limit");
        t.faults().limiter.configure(RateLimitConfig::default()).unwrap();
        assert!(!t.faults_armed(), "limits cleared");
    }

    #[test]
    fn same_seed_gives_same_tokens() {
        let a = Emulator::new(EmulatorConfig::default()).unwrap();
        let b = Emulator::new(EmulatorConfig::default()).unwrap();
        assert_eq!(a.admin_token(), b.admin_token());
        assert_eq!(a.default_tenant().read().scim_token, b.default_tenant().read().scim_token);
    }
}

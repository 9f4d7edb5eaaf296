//! Tenant-level operations of the control plane: reset to how a tenant was created, import
//! (replace the state with a seed document) and seed (add a seed document to the state). Each
//! builds the new state completely before swapping it in, so a bad document changes nothing.

use crate::clock::Clock;
use crate::config::ClockMode;
use crate::seed::{Seed, SeedSnapshot};
use crate::state::Emulator;
use crate::tenant::{Tenant, TenantId};

use super::Origin;

/// Why a tenant operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantOpError {
    /// No tenant by that name.
    #[error("no tenant named {0:?}")]
    NotFound(String),
    /// The seed document cannot be applied.
    #[error("invalid seed: {0}")]
    InvalidSeed(String),
}

fn fresh_clock(emu: &Emulator) -> Clock {
    match emu.config().clock {
        ClockMode::System => Clock::default(),
        ClockMode::Manual => Clock::manual(Clock::default_manual_start()),
    }
}

/// Rebuilds a tenant as it was created (seed, profile, clock, id stream), keeping its tokens so
/// clients holding them keep working. Journal, faults and rate limits are cleared.
pub fn reset_tenant(emu: &Emulator, id: &TenantId) -> Result<(), TenantOpError> {
    let shared = emu.tenant(id).ok_or_else(|| TenantOpError::NotFound(id.0.clone()))?;
    let is_default = *id == TenantId::default_tenant();
    let cfg = emu.config();
    let origin = if is_default {
        Origin {
            seed: emu.default_seed().cloned(),
            profile: Some(cfg.profile.clone()),
            generated_token: cfg.scim_token.is_none(),
        }
    } else {
        emu.control().origin(id)
    };
    let mut ids = emu.id_stream(&id.0);
    if origin.generated_token {
        // Creation drew the token from the stream first; draw it again so ids repeat.
        let _ = ids.lower_id();
    }
    let demo = is_default && origin.seed.is_none();
    let seed = origin.seed.as_ref().map(SeedSnapshot::seed).transpose();
    let seed = seed.map_err(TenantOpError::InvalidSeed)?;
    let mut t = shared.write();
    // With a state file ids are never drawn twice: the stream goes on from where it is (a
    // client may still hold an id from before the reset), and the Events API tokens are kept.
    let persistent = emu.control().is_persistent();
    if persistent {
        ids = t.ids.clone();
    }
    let mut rebuilt = Tenant::build(
        id.clone(),
        t.scim_token.clone(),
        origin.profile.clone().unwrap_or_else(|| cfg.profile.clone()),
        fresh_clock(emu),
        ids,
        seed,
        demo,
    )
    .map_err(TenantOpError::InvalidSeed)?;
    // The rebuilt log drew the same identity from the repeated id stream, but signed its default
    // token at today's time: on a system clock that is a new token, and the one clients hold
    // (printed in the banner, in the ready file) would get 401. Keep the issued tokens.
    rebuilt.events.adopt_identity(&t.events.identity()).map_err(TenantOpError::InvalidSeed)?;
    rebuilt.events_token = rebuilt.events.default_token().token.clone();
    // Users API access tokens outlive a reset, like the other tokens.
    rebuilt.users_api_tokens = std::mem::take(&mut t.users_api_tokens);
    *t = rebuilt;
    drop(t);
    emu.reindex_tokens(id);
    Ok(())
}

/// Resets the whole server: every tenant but `default` is deleted and `default` is rebuilt.
pub fn reset_all(emu: &Emulator) -> Result<(), TenantOpError> {
    let default = TenantId::default_tenant();
    for shared in emu.tenants() {
        let id = shared.read().id.clone();
        if id != default {
            emu.delete_tenant(&id);
            emu.control().forget(&id);
        }
    }
    reset_tenant(emu, &default)
}

/// Replaces a tenant's state with `seed` (tokens, clock and journal are kept).
pub fn import(emu: &Emulator, id: &TenantId, seed: &Seed) -> Result<(), TenantOpError> {
    let shared = emu.tenant(id).ok_or_else(|| TenantOpError::NotFound(id.0.clone()))?;
    // Import starts from the tenant's base profile (as created), not its current switches.
    let base_profile =
        emu.control().origin(id).profile.unwrap_or_else(|| emu.config().profile.clone());
    let mut t = shared.write();
    let mut rebuilt = Tenant::build(
        id.clone(),
        t.scim_token.clone(),
        base_profile,
        t.clock.clone(),
        t.ids.clone(),
        Some(seed.clone()),
        false,
    )
    .map_err(TenantOpError::InvalidSeed)?;
    keep_event_log_unless_seeded(&mut t, &mut rebuilt, seed);
    rebuilt.journal = std::mem::take(&mut t.journal);
    rebuilt.users_api_tokens = std::mem::take(&mut t.users_api_tokens);
    let limits = t.faults().limiter.config().clone();
    // The limits were valid when configured, so re-applying them cannot fail.
    let _ = rebuilt.faults().limiter.configure(limits);
    *t = rebuilt;
    drop(t);
    emu.reindex_tokens(id);
    Ok(())
}

/// Without an `events` section the tenant keeps its event log, and with it its Events tokens
/// and cursors; with one, the rebuilt log (and its newly signed token) replaces it.
fn keep_event_log_unless_seeded(old: &mut Tenant, rebuilt: &mut Tenant, seed: &Seed) {
    if seed.events.is_none() {
        std::mem::swap(&mut rebuilt.events, &mut old.events);
        rebuilt.events_token = std::mem::take(&mut old.events_token);
    }
}

/// Adds a seed document to a tenant's state: profile switches are overridden and fault rules
/// appended. All or nothing.
pub fn merge_seed(emu: &Emulator, id: &TenantId, seed: &Seed) -> Result<(), TenantOpError> {
    let shared = emu.tenant(id).ok_or_else(|| TenantOpError::NotFound(id.0.clone()))?;
    let mut t = shared.write();
    // The current state as a seed, plus the additions, rebuilt as one document: the account
    // checks the combination (a userName already taken is an error naming it).
    let mut combined = super::export_seed(&t);
    combined.profile = None;
    combined.users.extend(seed.users.iter().cloned());
    combined.groups.extend(seed.groups.iter().cloned());
    combined.outbox.extend(seed.outbox.iter().cloned());
    combined.events = match (&combined.events, &seed.events) {
        (_, None) => None,
        (Some(old), Some(new)) => {
            let mut merged = old.clone();
            merged.audit_events.extend(new.audit_events.iter().cloned());
            merged.item_usages.extend(new.item_usages.iter().cloned());
            merged.signin_attempts.extend(new.signin_attempts.iter().cloned());
            merged.generate = new.generate.clone();
            Some(merged)
        }
        (None, Some(new)) => Some(new.clone()),
    };
    let profile = match &seed.profile {
        Some(overrides) => {
            t.profile.with_overrides(overrides).map_err(TenantOpError::InvalidSeed)?
        }
        None => t.profile.clone(),
    };
    let mut faults = t.faults().clone();
    faults
        .add_all(seed.faults.clone())
        .map_err(|e| TenantOpError::InvalidSeed(format!("faults: {e}")))?;
    combined.faults = Vec::new();
    let mut rebuilt = Tenant::build(
        id.clone(),
        t.scim_token.clone(),
        profile,
        t.clock.clone(),
        t.ids.clone(),
        Some(combined),
        false,
    )
    .map_err(TenantOpError::InvalidSeed)?;
    keep_event_log_unless_seeded(&mut t, &mut rebuilt, seed);
    rebuilt.journal = std::mem::take(&mut t.journal);
    rebuilt.users_api_tokens = std::mem::take(&mut t.users_api_tokens);
    rebuilt.set_faults(faults);
    *t = rebuilt;
    drop(t);
    emu.reindex_tokens(id);
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::EmulatorConfig;
    use crate::account::{SeedUser, UserInput};

    fn seeded() -> Emulator {
        let mut ann = SeedUser { user_name: "ann@example.com".into(), ..SeedUser::default() };
        ann.attributes.insert("externalId".into(), json!("ext-ann"));
        let bob = SeedUser { user_name: "bob@example.com".into(), ..SeedUser::default() };
        let seed = Seed { users: vec![ann, bob], ..Seed::default() };
        Emulator::new(EmulatorConfig { seed: Some(seed), ..EmulatorConfig::default() }).unwrap()
    }

    #[test]
    fn the_parsed_seed_is_not_kept_and_a_reset_rebuilds_from_its_snapshot() {
        let emu = seeded();
        assert!(emu.config().seed.is_none());
        assert!(emu.default_seed().is_some());
        let id = TenantId::default_tenant();
        let shared = emu.tenant(&id).unwrap();
        let before = {
            let mut t = shared.write();
            let before = t.account.export();
            let t = &mut *t;
            let input = UserInput {
                attrs: json!({"userName": "carol@example.com"}).as_object().cloned().unwrap(),
                active: None,
            };
            let now = t.clock.now();
            t.account.create_user(input, &t.profile, &mut t.ids, now).unwrap();
            assert!(t.account.user_by_user_name("carol@example.com").is_some());
            before
        };
        reset_tenant(&emu, &id).unwrap();
        let t = shared.read();
        assert!(t.account.user_by_user_name("carol@example.com").is_none());
        let ann = t.account.user_by_user_name("ann@example.com").unwrap();
        assert_eq!(ann.external_id().as_deref(), Some("ext-ann"));
        assert_eq!(t.account.users_by_external_id("ext-ann").count(), 1);
        assert_eq!(t.account.export(), before);
    }
}

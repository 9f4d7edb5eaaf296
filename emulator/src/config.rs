//! The emulator's configuration: what `scimulator serve` flags and [`TestServer`](crate::TestServer)
//! builders set.

use crate::profile::Profile;
use crate::seed::Seed;

/// How tenants' clocks start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockMode {
    /// Wall-clock time (advanceable).
    #[default]
    System,
    /// Frozen at a fixed instant until advanced: deterministic timestamps.
    Manual,
}

/// Everything needed to build an [`Emulator`](crate::Emulator).
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The default tenant's profile (new tenants inherit it unless they set their own).
    pub profile: Profile,
    /// The default tenant's SCIM bearer token (generated when `None`).
    pub scim_token: Option<String>,
    /// The control plane's token (generated when `None`).
    pub admin_token: Option<String>,
    /// The default tenant's starting state; `None` serves the demo account.
    pub seed: Option<Seed>,
    /// Seed for ids and randomness: same seed, same ids.
    pub id_seed: u64,
    /// Clock mode for tenants.
    pub clock: ClockMode,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            profile: Profile::default(),
            scim_token: None,
            admin_token: None,
            seed: None,
            id_seed: 0x5C1A_0001,
            clock: ClockMode::System,
        }
    }
}

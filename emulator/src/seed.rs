//! The seed document: the starting state of a tenant (users with states, groups, memberships,
//! events, faults), read from YAML or JSON. Export writes the same shape, so an exported tenant
//! loads back as a seed.
//!
//! Each section belongs to the module that gives it meaning: users and groups to
//! [`account`](crate::account), `events` to [`events`](crate::events), `faults` to
//! [`control`](crate::control).

use serde::{Deserialize, Serialize};

use crate::control::FaultRule;
use crate::events::SeedEvents;

/// A tenant's starting state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// Profile switch overrides (`{"preset": "rfc", "shuffle_list_order": false}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<serde_json::Value>,
    /// Sign-in attempts, item usages and other events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<SeedEvents>,
    /// Fault rules active from the start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultRule>,
}

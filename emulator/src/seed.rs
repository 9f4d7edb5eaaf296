//! The seed document: the starting state of a tenant (users with states, groups, memberships,
//! events, faults), read from YAML or JSON. Export writes the same shape, so an exported tenant
//! loads back as a seed.
//!
//! Each section belongs to the module that gives it meaning: users, groups and the outbox to
//! [`account`](crate::account), `events` to [`events`](crate::events), `faults` to
//! [`control`](crate::control).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::account::{Invitation, SeedGroup, SeedUser};
use crate::control::FaultRule;
use crate::events::SeedEvents;

/// A tenant's starting state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// Profile switch overrides (`{"preset": "rfc", "shuffle_list_order": false}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<serde_json::Value>,
    /// Users, with their states and attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<SeedUser>,
    /// Groups (managed and built-in) with their members (user ids or userNames).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<SeedGroup>,
    /// Invitation and e-mail-change messages already sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outbox: Vec<Invitation>,
    /// Sign-in attempts, item usages and other events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<SeedEvents>,
    /// Fault rules active from the start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultRule>,
}

impl Seed {
    /// Parses a seed document: JSON when it starts with `{`, YAML otherwise. Errors name the
    /// line and the field.
    pub fn parse(text: &str) -> Result<Seed, String> {
        if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| format!("invalid seed (JSON): {e}"))
        } else {
            serde_saphyr::from_str(text).map_err(|e| format!("invalid seed (YAML): {e}"))
        }
    }
}

/// A seed kept for later (resets rebuild a tenant from it) as compact JSON text.
///
/// A parsed seed holds every user's attributes as JSON maps, about ten times the size of its
/// text: for 100,000 users, ~130 MB against ~12 MB. Resets are rare and parse it again.
#[derive(Clone, PartialEq, Eq)]
pub struct SeedSnapshot(Arc<str>);

impl SeedSnapshot {
    /// Writes `seed` down.
    pub fn of(seed: &Seed) -> SeedSnapshot {
        // A `Seed` is plain data (strings, numbers, JSON values), so serialising cannot fail.
        SeedSnapshot(serde_json::to_string(seed).unwrap_or_else(|_| "{}".into()).into())
    }

    /// The seed again.
    pub fn seed(&self) -> Result<Seed, String> {
        Seed::parse(&self.0)
    }
}

impl fmt::Debug for SeedSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SeedSnapshot({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_gives_back_the_same_seed() {
        let text = r#"
profile: {preset: rfc}
users:
  - userName: ann@example.com
    displayName: Ann Lee
    state: SUSPENDED
    suspendedFrom: ACTIVE
    attributes: {externalId: "e-1", name: {givenName: Ann}}
groups:
  - displayName: Engineering
    members: [ann@example.com]
faults:
  - id: slow
    match: {method: GET}
    action: {delay_ms: 5}
"#;
        let seed = Seed::parse(text).unwrap();
        let snap = SeedSnapshot::of(&seed);
        assert_eq!(snap.seed().unwrap(), seed);
    }
}

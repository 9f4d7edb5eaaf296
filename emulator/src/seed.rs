//! The seed document: the starting state of a tenant (users with states, groups, memberships,
//! events, faults), read from YAML or JSON. Export writes the same shape, so an exported tenant
//! loads back as a seed.

use serde::{Deserialize, Serialize};

/// A tenant's starting state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {}

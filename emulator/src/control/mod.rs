//! What tests do to the emulator: the request journal, fault rules, rate limits, persistence.

use serde::{Deserialize, Serialize};

/// The tenant's request journal.
#[derive(Debug, Clone, Default)]
pub struct Journal {}

/// The tenant's fault rules and rate limiters.
#[derive(Debug, Clone, Default)]
pub struct Faults {}

/// A fault rule as written in seed files and sent to the control API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {}

impl Faults {
    /// The seed's fault rules.
    pub fn from_seed(rules: &[FaultRule]) -> Result<Faults, String> {
        let _ = rules;
        Ok(Faults::default())
    }
}

//! What tests do to the emulator: the request journal, fault rules, rate limits, persistence.

/// The tenant's request journal.
#[derive(Debug, Clone, Default)]
pub struct Journal {}

/// The tenant's fault rules and rate limiters.
#[derive(Debug, Clone, Default)]
pub struct Faults {}

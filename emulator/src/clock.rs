//! The injectable clock. Every timestamp, confirmation delay, rate-limit window and cursor in the
//! emulator reads time from a tenant's [`Clock`], so tests can make time pass deterministically.

use chrono::{DateTime, Duration, Utc};

/// A tenant's clock.
///
/// `System` follows the wall clock plus an offset (so "advance 10 minutes" works without freezing
/// time); `Manual` stands still until it is advanced or set, which is what snapshots want.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clock {
    /// Wall-clock time plus `offset`.
    System {
        /// Added to the wall clock; grows with [`Clock::advance`].
        offset: Duration,
    },
    /// Frozen time that moves only when told.
    Manual {
        /// The current instant.
        now: DateTime<Utc>,
    },
}

impl Default for Clock {
    fn default() -> Self {
        Clock::System { offset: Duration::zero() }
    }
}

impl Clock {
    /// A manual clock starting at `now`.
    pub fn manual(now: DateTime<Utc>) -> Self {
        Clock::Manual { now }
    }

    /// The start of a manual clock when none is given: a fixed, recognisable instant.
    pub fn default_manual_start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").map(|t| t.to_utc()).unwrap_or_default()
    }

    /// The current time, truncated to whole seconds (1Password timestamps carry no fractions).
    pub fn now(&self) -> DateTime<Utc> {
        let t = match self {
            Clock::System { offset } => Utc::now() + *offset,
            Clock::Manual { now } => *now,
        };
        DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
    }

    /// Moves time forward (negative durations are rejected by the control API, not here).
    pub fn advance(&mut self, by: Duration) {
        match self {
            Clock::System { offset } => *offset += by,
            Clock::Manual { now } => *now += by,
        }
    }

    /// Sets the time. A system clock becomes manual: setting an instant means freezing it.
    pub fn set(&mut self, to: DateTime<Utc>) {
        *self = Clock::Manual { now: to };
    }

    /// Is this a manual clock?
    pub fn is_manual(&self) -> bool {
        matches!(self, Clock::Manual { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = Clock::default_manual_start();
        let mut c = Clock::manual(start);
        assert_eq!(c.now(), start);
        c.advance(Duration::seconds(300));
        assert_eq!(c.now(), start + Duration::seconds(300));
        c.set(start);
        assert_eq!(c.now(), start);
    }

    #[test]
    fn system_clock_advance_adds_offset() {
        let mut c = Clock::default();
        let before = c.now();
        c.advance(Duration::hours(2));
        assert!(c.now() >= before + Duration::hours(2));
        assert!(!c.is_manual());
    }
}

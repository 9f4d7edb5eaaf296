//! The injectable clock. Every timestamp, confirmation delay, rate-limit window and cursor in the
//! emulator reads time from a tenant's [`Clock`], so tests can make time pass deterministically.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

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

/// The earliest year a clock may be set to (timestamps before the epoch are refused).
pub const MIN_YEAR: i32 = 1970;
/// The latest year a clock may be set to (RFC 3339 years have four digits).
pub const MAX_YEAR: i32 = 9999;

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
        match self {
            Clock::System { offset } => system_now(*offset),
            Clock::Manual { now } => whole_seconds(*now),
        }
    }

    /// Moves time forward (negative durations are rejected by the control API, not here).
    pub fn advance(&mut self, by: Duration) {
        match self {
            Clock::System { offset } => *offset += by,
            Clock::Manual { now } => *now += by,
        }
    }

    /// Sets the time. A manual clock stands at `to`; a system clock keeps ticking from `to` (its
    /// offset becomes `to` minus the wall clock), so setting it never changes its mode.
    pub fn set(&mut self, to: DateTime<Utc>) {
        match self {
            Clock::System { offset } => *offset = to - Utc::now(),
            Clock::Manual { now } => *now = to,
        }
    }

    /// Is this a manual clock?
    pub fn is_manual(&self) -> bool {
        matches!(self, Clock::Manual { .. })
    }
}

/// `t` without its fraction of a second.
fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// The wall clock plus `offset`, in whole seconds. Added up as seconds and nanoseconds and
/// turned into a date once: every request reads the clock, and `Utc::now() + offset` then
/// truncating converted between dates and timestamps three times.
fn system_now(offset: Duration) -> DateTime<Utc> {
    let wall = match PINNED_WALL.get() {
        Some(pinned) => UNIX_EPOCH + pinned,
        None => SystemTime::now(),
    };
    let Ok(since_epoch) = wall.duration_since(UNIX_EPOCH) else {
        // A wall clock before 1970: not worth a fast path.
        return whole_seconds(Utc::now() + offset);
    };
    let nanos = i64::from(since_epoch.subsec_nanos()) + i64::from(offset.subsec_nanos());
    let secs = i64::try_from(since_epoch.as_secs())
        .unwrap_or(i64::MAX)
        .saturating_add(offset.num_seconds())
        .saturating_add(nanos.div_euclid(1_000_000_000));
    // The date of a second is worked out once per thread per second, as hyper does for its
    // `Date` header: at thousands of requests a second, the calendar arithmetic was most of
    // reading the clock.
    LAST_SECOND.with(|last| match last.get() {
        Some((s, t)) if s == secs => t,
        _ => {
            let t = DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MAX_UTC);
            last.set(Some((secs, t)));
            t
        }
    })
}

thread_local! {
    /// The last whole second [`system_now`] returned on this thread, and its date.
    static LAST_SECOND: Cell<Option<(i64, DateTime<Utc>)>> = const { Cell::new(None) };
}

thread_local! {
    /// The wall-clock reading every system clock returns on this thread while a
    /// [`PinnedWall`] future is being polled (time since the epoch).
    static PINNED_WALL: Cell<Option<std::time::Duration>> = const { Cell::new(None) };
}

/// Milliseconds since the epoch on the wall clock: what [`PinnedWall`] pins a request to.
pub fn wall_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// A future during whose polls the wall clock reads `millis` (since the epoch) on this thread.
///
/// The change log (`--state-file`) pins each write to the instant it was served and replays it
/// pinned to the same instant, so timestamps a replayed write produces are the ones the client
/// was answered with. Manual clocks are unaffected (they do not read the wall clock).
#[derive(Debug)]
pub struct PinnedWall<F> {
    millis: u64,
    inner: F,
}

impl<F> PinnedWall<F> {
    /// Pins `inner` to `millis` since the epoch.
    pub fn new(millis: u64, inner: F) -> Self {
        PinnedWall { millis, inner }
    }
}

impl<F: std::future::Future + Unpin> std::future::Future for PinnedWall<F> {
    type Output = F::Output;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        struct Restore(Option<std::time::Duration>);
        impl Drop for Restore {
            fn drop(&mut self) {
                PINNED_WALL.set(self.0);
            }
        }
        let pinned = std::time::Duration::from_millis(self.millis);
        let _restore = Restore(PINNED_WALL.replace(Some(pinned)));
        std::pin::Pin::new(&mut self.inner).poll(cx)
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
    fn setting_a_system_clock_keeps_it_ticking() {
        let to = Clock::default_manual_start();
        let mut c = Clock::default();
        c.set(to);
        assert!(!c.is_manual(), "still a system clock");
        let now = c.now();
        // Whatever time passed since the set, it is forward and small (no sleep: just order).
        assert!(now >= to - Duration::seconds(1) && now < to + Duration::hours(1), "{now}");
    }

    #[test]
    fn system_clock_is_the_wall_clock_plus_offset_in_whole_seconds() {
        let truncated = |t: DateTime<Utc>| DateTime::from_timestamp(t.timestamp(), 0).unwrap();
        // Offsets with fractions of a second either way, which carry into the seconds.
        for offset in [
            Duration::zero(),
            Duration::milliseconds(999),
            Duration::milliseconds(-1),
            Duration::milliseconds(-2_500),
            Duration::days(400) + Duration::milliseconds(750),
            Duration::days(-400) - Duration::milliseconds(250),
        ] {
            let before = truncated(Utc::now() + offset);
            let now = Clock::System { offset }.now();
            let after = truncated(Utc::now() + offset);
            assert!(before <= now && now <= after, "{offset}: {before} <= {now} <= {after}");
            assert_eq!(now.timestamp_subsec_nanos(), 0);
        }
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

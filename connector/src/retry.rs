//! The opt-in retry policy: exponential backoff with jitter that honours `Retry-After`, bounded in
//! attempts and in total time, applied only to idempotent requests and only to 429 and 503.
//!
//! Off by default: agents and workflow engines that call the connector own their retry loop and
//! need the 429 (with `retry_after`) to surface immediately.

use std::time::Duration;

/// When and how long to wait before retrying.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Total attempts including the first (1 = never retry).
    pub max_attempts: u32,
    /// The first backoff; doubled on each retry.
    pub base_delay: Duration,
    /// The cap of one backoff step (a larger `Retry-After` is still honoured, within
    /// `max_elapsed`).
    pub max_delay: Duration,
    /// The budget for all waiting: a retry that would end past it is not made, and the last
    /// error is returned instead.
    pub max_elapsed: Duration,
    /// Jitter as a fraction of the backoff step (0.0 none, 1.0 "full jitter").
    pub jitter: f64,
    /// Seed of the jitter's generator; same seed, same delays.
    pub seed: u64,
    /// Called before each wait with the status that is retried, the wait and the attempt
    /// about to be made (2 for the first retry), so a command line can say why it is pausing.
    pub on_retry: Option<fn(status: u16, wait: Duration, attempt: u32)>,
}

/// Policies are equal when they wait alike; who is told about a retry does not count (function
/// pointers have no meaningful equality).
impl PartialEq for RetryPolicy {
    fn eq(&self, other: &Self) -> bool {
        self.max_attempts == other.max_attempts
            && self.base_delay == other.base_delay
            && self.max_delay == other.max_delay
            && self.max_elapsed == other.max_elapsed
            && self.jitter == other.jitter
            && self.seed == other.seed
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(60),
            jitter: 0.5,
            seed: 0x5C1A_5EED,
            on_retry: None,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// Sets the attempt bound.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Sets the first backoff step.
    pub fn base_delay(mut self, d: Duration) -> Self {
        self.base_delay = d;
        self
    }

    /// Sets the cap of one backoff step.
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// Sets the total waiting budget.
    pub fn max_elapsed(mut self, d: Duration) -> Self {
        self.max_elapsed = d;
        self
    }

    /// Sets the function told about each retry before its wait.
    pub fn on_retry(mut self, notify: fn(status: u16, wait: Duration, attempt: u32)) -> Self {
        self.on_retry = Some(notify);
        self
    }

    /// Sets the jitter fraction (clamped to 0..=1).
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = if fraction.is_finite() { fraction.clamp(0.0, 1.0) } else { 0.0 };
        self
    }

    /// Is this HTTP status worth retrying? Only "try again later" answers are.
    pub fn retries_status(status: u16) -> bool {
        matches!(status, 429 | 503)
    }

    /// The wait before retry number `retry` (0-based), given the server's `Retry-After` and a
    /// random `unit` in `[0, 1)`: the jittered exponential step, but never less than what the
    /// server asked for.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, unit: f64) -> Duration {
        let step =
            self.base_delay.saturating_mul(2u32.saturating_pow(retry.min(31))).min(self.max_delay);
        let cut = step.mul_f64(self.jitter.clamp(0.0, 1.0) * unit.clamp(0.0, 1.0));
        let backoff = step.saturating_sub(cut);
        match retry_after {
            Some(ra) => ra.max(backoff),
            None => backoff,
        }
    }
}

/// A tiny deterministic generator (SplitMix64) for jitter: no dependency needed for spreading
/// retries, and a seed makes the delays reproducible.
#[derive(Debug, Clone)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new(seed: u64) -> Self {
        Jitter(seed)
    }

    /// A number in `[0, 1)`.
    pub(crate) fn next_unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(450))
            .jitter(0.0);
        let d: Vec<_> = (0..5).map(|r| p.delay(r, None, 0.7).as_millis()).collect();
        assert_eq!(d, vec![100, 200, 400, 450, 450]);
    }

    #[test]
    fn jitter_only_shortens_within_the_fraction() {
        let p = RetryPolicy::default().base_delay(Duration::from_millis(1000)).jitter(0.5);
        assert_eq!(p.delay(0, None, 0.0), Duration::from_millis(1000));
        assert_eq!(p.delay(0, None, 0.5), Duration::from_millis(750));
        assert!(p.delay(0, None, 0.999) > Duration::from_millis(500));
    }

    #[test]
    fn retry_after_is_a_floor() {
        let p = RetryPolicy::default().base_delay(Duration::from_millis(100)).jitter(0.0);
        assert_eq!(p.delay(0, Some(Duration::from_secs(3)), 0.0), Duration::from_secs(3));
        assert_eq!(p.delay(3, Some(Duration::from_millis(10)), 0.0), Duration::from_millis(800));
    }

    #[test]
    fn only_429_and_503_are_retried() {
        assert!(RetryPolicy::retries_status(429));
        assert!(RetryPolicy::retries_status(503));
        for s in [400, 401, 404, 409, 500, 502, 504] {
            assert!(!RetryPolicy::retries_status(s), "{s}");
        }
    }

    #[test]
    fn jitter_is_seeded_and_in_range() {
        let a: Vec<f64> = {
            let mut j = Jitter::new(7);
            (0..100).map(|_| j.next_unit()).collect()
        };
        let b: Vec<f64> = {
            let mut j = Jitter::new(7);
            (0..100).map(|_| j.next_unit()).collect()
        };
        assert_eq!(a, b);
        assert!(a.iter().all(|u| (0.0..1.0).contains(u)));
        assert!(a.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn none_never_retries() {
        assert_eq!(RetryPolicy::none().max_attempts, 1);
        assert_eq!(RetryPolicy::default().max_attempts(0).max_attempts, 1);
    }
}

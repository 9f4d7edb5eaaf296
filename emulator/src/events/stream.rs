//! An append-only stream of events with a monotone position key.
//!
//! Every event gets a *key*: microseconds since the epoch, strictly increasing in append order.
//! The key is the event's time clamped so the stream stays sorted (`max(previous + 1µs,
//! min(timestamp, now))`): events arrive in time order from the clock, while back-dated explicit
//! events cannot jump ahead of ones already served. That makes time bounds a binary search and a
//! cursor a plain index, so no read ever scans from the start, and appends never disturb a
//! position a cursor already points at.

use chrono::{DateTime, Utc};

/// An append-only, key-ordered stream.
#[derive(Debug, Clone)]
pub struct Stream<T> {
    keys: Vec<i64>,
    events: Vec<T>,
}

impl<T> Default for Stream<T> {
    fn default() -> Self {
        Stream { keys: Vec::new(), events: Vec::new() }
    }
}

/// Microseconds since the epoch.
pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The instant `micros` stands for.
pub fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// One page read from a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First index returned.
    pub start: usize,
    /// One past the last index returned (the next cursor's position).
    pub end: usize,
    /// More events are available right now within the bound.
    pub has_more: bool,
}

impl<T> Stream<T> {
    /// Appends `event` that happened at `timestamp`, received at `now`. Returns its key.
    pub fn push(&mut self, timestamp: DateTime<Utc>, now: DateTime<Utc>, event: T) -> i64 {
        let wanted = micros(timestamp.min(now));
        let key = match self.keys.last() {
            Some(&last) if wanted <= last => last.saturating_add(1),
            _ => wanted,
        };
        self.keys.push(key);
        self.events.push(event);
        key
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Is it empty?
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The events in append order.
    pub fn events(&self) -> &[T] {
        &self.events
    }

    /// The event at `i` and its key.
    pub fn get(&self, i: usize) -> Option<(&T, i64)> {
        Some((self.events.get(i)?, self.keys[i]))
    }

    /// The first index whose key is at least `key` (binary search).
    pub fn first_at_or_after(&self, key: i64) -> usize {
        self.keys.partition_point(|k| *k < key)
    }

    /// The first index whose key is past `key` (binary search).
    pub fn first_after(&self, key: i64) -> usize {
        self.keys.partition_point(|k| *k <= key)
    }

    /// Up to `limit` events from index `from`, stopping before the first key at or past
    /// `end_excl`. `None` when `from` lies beyond the end of the stream (a cursor from a log
    /// that has since been reset).
    pub fn window(&self, from: u64, limit: usize, end_excl: Option<i64>) -> Option<Window> {
        let start = usize::try_from(from).ok().filter(|s| *s <= self.len())?;
        let mut end = start.saturating_add(limit).min(self.len());
        if let Some(bound) = end_excl {
            end = start + self.keys[start..end].partition_point(|k| *k < bound);
        }
        let has_more = end < self.len() && end_excl.is_none_or(|b| self.keys[end] < b);
        Some(Window { start, end, has_more })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).unwrap()
    }

    #[test]
    fn keys_increase_strictly_even_for_same_second_and_backdated_events() {
        let mut s = Stream::default();
        assert_eq!(s.push(t(10), t(10), 'a'), 10_000_000);
        assert_eq!(s.push(t(10), t(10), 'b'), 10_000_001);
        assert_eq!(s.push(t(5), t(11), 'c'), 10_000_002, "back-dated stays after");
        assert_eq!(s.push(t(99), t(12), 'd'), 12_000_000, "future-dated is received now");
        assert_eq!(s.first_at_or_after(10_000_001), 1);
        assert_eq!(s.first_after(10_000_001), 2);
    }

    #[test]
    fn windows_respect_limit_bound_and_report_more() {
        let mut s = Stream::default();
        for i in 0..10 {
            s.push(t(i), t(i), i);
        }
        assert_eq!(s.window(0, 4, None), Some(Window { start: 0, end: 4, has_more: true }));
        assert_eq!(s.window(8, 4, None), Some(Window { start: 8, end: 10, has_more: false }));
        assert_eq!(s.window(10, 4, None), Some(Window { start: 10, end: 10, has_more: false }));
        assert_eq!(s.window(11, 4, None), None);
        let bound = Some(micros(t(6)));
        assert_eq!(s.window(4, 4, bound), Some(Window { start: 4, end: 6, has_more: false }));
        assert_eq!(s.window(2, 2, bound), Some(Window { start: 2, end: 4, has_more: true }));
    }
}

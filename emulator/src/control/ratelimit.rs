//! The optional rate limiter: per tenant and per API, a set of fixed windows ("600 requests per
//! minute and 30,000 per hour", as the Events API documents). Windows are aligned to the
//! tenant's clock (a minute window runs from :00 to :59), so advancing a manual clock opens the
//! next window deterministically.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use super::Api;

/// One limit: at most `requests` per `per` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Requests allowed per window (at least 1).
    pub requests: u64,
    /// Window length in seconds; accepts `"1m"`, `"1h"`, `"90s"` or a number.
    #[serde(deserialize_with = "de_seconds")]
    pub per: u64,
}

fn de_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    super::duration::seconds_from_json(&v).map_err(serde::de::Error::custom)
}

/// The limits of both APIs; an empty list means "not limited".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Limits on SCIM requests.
    #[serde(default)]
    pub scim: Vec<Window>,
    /// Limits on Events API requests.
    #[serde(default)]
    pub events: Vec<Window>,
    /// Limits on Users API requests (`/v1beta1/...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<Window>,
}

impl RateLimitConfig {
    /// The Events API's documented limits: 600 per minute and 30,000 per hour.
    pub fn events_api_documented() -> Self {
        RateLimitConfig {
            scim: Vec::new(),
            events: vec![Window { requests: 600, per: 60 }, Window { requests: 30_000, per: 3600 }],
            users: Vec::new(),
        }
    }

    /// Checks the limits are usable.
    pub fn validate(&self) -> Result<(), String> {
        for (api, windows) in
            [("scim", &self.scim), ("events", &self.events), ("users", &self.users)]
        {
            for (i, w) in windows.iter().enumerate() {
                if w.requests == 0 {
                    return Err(format!("{api}[{i}].requests must be at least 1"));
                }
                if w.per == 0 {
                    return Err(format!("{api}[{i}].per must be at least 1 second"));
                }
            }
        }
        Ok(())
    }
}

/// A change to the limits, as `PUT /__admin/tenants/{name}/ratelimits` takes it: each API named
/// replaces that API's windows (an empty list lifts its limits); an API left out keeps what it
/// had. So `{"events": [...]}` then `{"scim": [...]}` limits both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitUpdate {
    /// New SCIM windows, if given.
    #[serde(default)]
    pub scim: Option<Vec<Window>>,
    /// New Events API windows, if given.
    #[serde(default)]
    pub events: Option<Vec<Window>>,
    /// New Users API windows, if given.
    #[serde(default)]
    pub users: Option<Vec<Window>>,
}

/// What the limiter says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Was the request allowed?
    pub allowed: bool,
    /// `RateLimit-Limit`: the requests allowed in the binding window.
    pub limit: u64,
    /// `RateLimit-Remaining`: requests left in it.
    pub remaining: u64,
    /// `RateLimit-Reset`: seconds until it resets (also the `Retry-After` of a refusal).
    pub reset_secs: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Counter {
    window_start: i64,
    used: u64,
}

/// The limiter's configuration and counters.
#[derive(Debug, Clone, Default)]
pub struct RateLimiter {
    config: RateLimitConfig,
    scim: Vec<Counter>,
    events: Vec<Counter>,
    users: Vec<Counter>,
}

impl RateLimiter {
    /// Replaces the configuration (and forgets the counts).
    pub fn configure(&mut self, config: RateLimitConfig) -> Result<(), String> {
        config.validate()?;
        self.scim = vec![Counter::default(); config.scim.len()];
        self.events = vec![Counter::default(); config.events.len()];
        self.users = vec![Counter::default(); config.users.len()];
        self.config = config;
        Ok(())
    }

    /// Applies `update` per API: the APIs it names get the new windows (and fresh counts), the
    /// others keep their windows and counts. All or nothing: an invalid update changes nothing.
    pub fn update(&mut self, update: RateLimitUpdate) -> Result<(), String> {
        let mut next = self.config.clone();
        if let Some(scim) = &update.scim {
            next.scim.clone_from(scim);
        }
        if let Some(events) = &update.events {
            next.events.clone_from(events);
        }
        if let Some(users) = &update.users {
            next.users.clone_from(users);
        }
        next.validate()?;
        if update.scim.is_some() {
            self.scim = vec![Counter::default(); next.scim.len()];
        }
        if update.events.is_some() {
            self.events = vec![Counter::default(); next.events.len()];
        }
        if update.users.is_some() {
            self.users = vec![Counter::default(); next.users.len()];
        }
        self.config = next;
        Ok(())
    }

    /// The configuration.
    pub fn config(&self) -> &RateLimitConfig {
        &self.config
    }

    /// Counts a request against `api`'s windows at `now`. `None` when the API is not limited.
    /// A refused request uses up nothing.
    pub fn check(&mut self, api: Api, now: DateTime<Utc>) -> Option<Verdict> {
        let (windows, counters) = match api {
            Api::Scim => (&self.config.scim, &mut self.scim),
            Api::Events => (&self.config.events, &mut self.events),
            Api::Users => (&self.config.users, &mut self.users),
        };
        if windows.is_empty() {
            return None;
        }
        let t = now.timestamp();
        for (w, c) in windows.iter().zip(counters.iter_mut()) {
            let per = i64::try_from(w.per).unwrap_or(i64::MAX);
            let start = t.div_euclid(per) * per;
            if c.window_start != start {
                *c = Counter { window_start: start, used: 0 };
            }
        }
        let reset = |w: &Window, c: &Counter| {
            let per = i64::try_from(w.per).unwrap_or(i64::MAX);
            u64::try_from(c.window_start.saturating_add(per) - t).unwrap_or(0)
        };
        // Refused: report the exhausted window that resets last (retrying earlier is futile).
        let exhausted = windows
            .iter()
            .zip(counters.iter())
            .filter(|(w, c)| c.used >= w.requests)
            .max_by_key(|(w, c)| reset(w, c));
        if let Some((w, c)) = exhausted {
            return Some(Verdict {
                allowed: false,
                limit: w.requests,
                remaining: 0,
                reset_secs: reset(w, c),
            });
        }
        for c in counters.iter_mut() {
            c.used += 1;
        }
        // Allowed: report the window with the fewest requests left.
        windows
            .iter()
            .zip(counters.iter())
            .min_by_key(|(w, c)| (w.requests - c.used, reset(w, c)))
            .map(|(w, c)| Verdict {
                allowed: true,
                limit: w.requests,
                remaining: w.requests - c.used,
                reset_secs: reset(w, c),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn t0() -> DateTime<Utc> {
        crate::clock::Clock::default_manual_start()
    }

    #[test]
    fn minute_window_refuses_then_reopens() {
        let mut l = RateLimiter::default();
        l.configure(RateLimitConfig {
            events: vec![Window { requests: 3, per: 60 }],
            ..Default::default()
        })
        .unwrap();
        let now = t0() + Duration::seconds(15);
        let v: Vec<_> = (0..4).map(|_| l.check(Api::Events, now).unwrap()).collect();
        assert_eq!(v.iter().map(|v| v.remaining).collect::<Vec<_>>(), [2, 1, 0, 0]);
        assert!(v[2].allowed && !v[3].allowed);
        assert_eq!(v[3].reset_secs, 45);
        assert!(l.check(Api::Scim, now).is_none(), "scim is not limited");
        let later = t0() + Duration::seconds(60);
        let v = l.check(Api::Events, later).unwrap();
        assert!(v.allowed && v.remaining == 2 && v.reset_secs == 60);
    }

    #[test]
    fn the_hour_window_binds_after_the_minute_resets() {
        let mut l = RateLimiter::default();
        l.configure(RateLimitConfig {
            events: vec![Window { requests: 2, per: 60 }, Window { requests: 3, per: 3600 }],
            ..Default::default()
        })
        .unwrap();
        let mut now = t0();
        assert!(l.check(Api::Events, now).unwrap().allowed);
        assert!(l.check(Api::Events, now).unwrap().allowed);
        let refused = l.check(Api::Events, now).unwrap();
        assert!(!refused.allowed && refused.limit == 2 && refused.reset_secs == 60);
        now += Duration::seconds(60);
        let third = l.check(Api::Events, now).unwrap();
        assert!(third.allowed && third.limit == 3 && third.remaining == 0);
        let refused = l.check(Api::Events, now).unwrap();
        assert!(!refused.allowed && refused.limit == 3 && refused.reset_secs == 3540);
        now += Duration::seconds(3540);
        assert!(l.check(Api::Events, now).unwrap().allowed);
    }

    #[test]
    fn an_update_replaces_only_the_apis_it_names() {
        let mut l = RateLimiter::default();
        let events = vec![Window { requests: 2, per: 60 }];
        l.update(RateLimitUpdate { events: Some(events.clone()), scim: None, users: None })
            .unwrap();
        let now = t0();
        assert!(l.check(Api::Events, now).unwrap().allowed);
        l.update(RateLimitUpdate {
            scim: Some(vec![Window { requests: 1, per: 60 }]),
            events: None,
            users: None,
        })
        .unwrap();
        assert_eq!(l.config().events, events, "the events windows survive a scim-only update");
        assert_eq!(l.check(Api::Events, now).unwrap().remaining, 0, "and so do their counts");
        assert!(l.check(Api::Scim, now).unwrap().allowed);
        let bad = RateLimitUpdate {
            events: Some(vec![Window { requests: 0, per: 60 }]),
            scim: None,
            users: None,
        };
        assert!(l.update(bad).unwrap_err().contains("events[0].requests"));
        assert_eq!(l.config().events, events, "a refused update changes nothing");
        l.update(RateLimitUpdate { events: Some(Vec::new()), scim: None, users: None }).unwrap();
        assert!(l.check(Api::Events, now).is_none(), "an empty list lifts the API's limits");
        assert!(!l.check(Api::Scim, now).unwrap().allowed);
    }

    #[test]
    fn documented_events_limits_and_validation() {
        let c = RateLimitConfig::events_api_documented();
        assert_eq!(c.events[0], Window { requests: 600, per: 60 });
        assert_eq!(c.events[1], Window { requests: 30_000, per: 3600 });
        let bad: RateLimitConfig =
            serde_json::from_value(serde_json::json!({"scim": [{"requests": 0, "per": "1m"}]}))
                .unwrap();
        assert!(RateLimiter::default().configure(bad).unwrap_err().contains("scim[0].requests"));
        let parsed: RateLimitConfig =
            serde_json::from_value(serde_json::json!({"events": [{"requests": 5, "per": "1h"}]}))
                .unwrap();
        assert_eq!(parsed.events[0].per, 3600);
    }
}

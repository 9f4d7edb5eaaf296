//! Fault rules as data: match a request (method, path pattern, API), fire for the next N
//! matches, after M matches, or with a seeded probability, and answer with a 429, a 5xx, added
//! latency or a dropped connection.

use serde::{Deserialize, Serialize};

use super::Api;
use super::pattern::PathPattern;
use super::ratelimit::RateLimiter;
use crate::ids::IdGenerator;

/// Longest latency a rule may add (five minutes): longer is surely a mistake.
pub const MAX_DELAY_MS: u64 = 300_000;

/// A fault rule as written in seed files, `--faults` files and the control API.
///
/// ```json
/// {"match": {"method": "PATCH", "path": "/scim/v2/Users/*"}, "times": 2,
///  "action": {"status": 429, "retry_after": 2}}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Its id (assigned when added; may be given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Which requests it applies to (all, when empty).
    #[serde(rename = "match", default)]
    pub matcher: FaultMatch,
    /// Fire at most this many times (at least 1); forever when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// Let this many matching requests through before firing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
    /// Fire with this probability (0..=1) per eligible request, drawn from a seeded stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Seed of the probability stream: the same seed gives the same firing sequence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// What happens when it fires.
    pub action: FaultAction,
}

/// The request side of a rule; every given criterion must match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultMatch {
    /// HTTP method (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Path glob (`*` within a segment, `**` across segments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Path regular expression (instead of `path`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_regex: Option<String>,
    /// Which API: `scim`, `events` or `users`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<Api>,
}

/// What a firing rule does. `delay_ms` may combine with `status`; `drop` stands alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultAction {
    /// Answer with this status (429, 500, 502, 503, 504, or any other 4xx/5xx).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `Retry-After` seconds (429 and 503 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// `RateLimit-Limit` to report on an injected 429.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Error message (a status-appropriate default otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Added latency in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Close the connection without answering.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drop: bool,
}

/// Why a rule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RuleError(pub String);

/// A rule in force, with its counters.
#[derive(Debug, Clone)]
struct ActiveRule {
    rule: FaultRule,
    id: String,
    path: Option<PathPattern>,
    /// Matching requests seen.
    matched: u64,
    /// Times fired.
    fired: u64,
    rng: IdGenerator,
}

/// A rule as listed by the control API: its definition plus counters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleStatus {
    /// The rule (with its id).
    #[serde(flatten)]
    pub rule: FaultRule,
    /// Matching requests seen so far.
    pub matched: u64,
    /// Times it fired.
    pub fired: u64,
    /// Firings left (`null` when unlimited).
    pub remaining: Option<u64>,
}

/// A rule that fired on a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    /// The rule's id.
    pub rule_id: String,
    /// Its action.
    pub action: FaultAction,
}

/// The tenant's fault rules and rate limiters.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Vec<ActiveRule>,
    next_id: u64,
    /// The per-API rate limiter (off until configured).
    pub limiter: RateLimiter,
}

impl FaultRule {
    /// Checks the rule and compiles its path pattern.
    fn validate(&self) -> Result<Option<PathPattern>, RuleError> {
        let err = |m: String| Err(RuleError(m));
        if let Some(m) = &self.matcher.method
            && (m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            return err(format!("match.method {m:?} is not an HTTP method"));
        }
        let path = match (&self.matcher.path, &self.matcher.path_regex) {
            (Some(_), Some(_)) => {
                return err("give match.path or match.path_regex, not both".into());
            }
            (Some(g), None) => Some(PathPattern::parse(g).map_err(RuleError)?),
            (None, Some(r)) => Some(PathPattern::regex(r).map_err(RuleError)?),
            (None, None) => None,
        };
        if self.times == Some(0) {
            return err("times must be at least 1 (omit it to fire forever)".into());
        }
        if let Some(p) = self.probability
            && !(p.is_finite() && (0.0..=1.0).contains(&p))
        {
            return err(format!("probability {p} must be between 0 and 1"));
        }
        let a = &self.action;
        if a.drop && (a.status.is_some() || a.delay_ms.is_some()) {
            return err("action.drop stands alone: remove status and delay_ms".into());
        }
        if !a.drop && a.status.is_none() && a.delay_ms.is_none() {
            return err("action needs one of status, delay_ms or drop".into());
        }
        if let Some(s) = a.status
            && !(400..=599).contains(&s)
        {
            return err(format!("action.status {s} must be an error status (400-599)"));
        }
        if a.retry_after.is_some() && !matches!(a.status, Some(429 | 503)) {
            return err("action.retry_after applies only to status 429 or 503".into());
        }
        if a.limit.is_some() && a.status != Some(429) {
            return err("action.limit applies only to status 429".into());
        }
        if let Some(d) = a.delay_ms
            && d > MAX_DELAY_MS
        {
            return err(format!("action.delay_ms {d} exceeds the maximum of {MAX_DELAY_MS}"));
        }
        Ok(path)
    }
}

impl Faults {
    /// The seed's fault rules (all or nothing).
    pub fn from_seed(rules: &[FaultRule]) -> Result<Faults, String> {
        let mut faults = Faults::default();
        faults.add_all(rules.to_vec()).map_err(|e| format!("faults: {e}"))?;
        Ok(faults)
    }

    /// Adds rules, all or none: the first invalid rule (by index) is reported and nothing is
    /// added. Returns the ids given to them.
    pub fn add_all(&mut self, rules: Vec<FaultRule>) -> Result<Vec<String>, RuleError> {
        let mut staged = Vec::with_capacity(rules.len());
        let mut next_id = self.next_id;
        for (i, rule) in rules.into_iter().enumerate() {
            let at = |e: RuleError| RuleError(format!("rule {i}: {}", e.0));
            let path = rule.validate().map_err(at)?;
            let id = match &rule.id {
                Some(id) => {
                    let clash = self.rules.iter().any(|r| &r.id == id)
                        || staged.iter().any(|r: &ActiveRule| &r.id == id);
                    if id.is_empty() || clash {
                        return Err(at(RuleError(format!("id {id:?} is empty or already used"))));
                    }
                    id.clone()
                }
                None => loop {
                    next_id += 1;
                    let candidate = format!("fault-{next_id}");
                    if !self.rules.iter().any(|r| r.id == candidate) {
                        break candidate;
                    }
                },
            };
            let seed = rule.seed.unwrap_or(0x5EED_F417);
            let rng = IdGenerator::for_stream(seed, "fault-probability");
            let mut rule = rule;
            rule.id = Some(id.clone());
            staged.push(ActiveRule { rule, id, path, matched: 0, fired: 0, rng });
        }
        self.next_id = next_id;
        let ids = staged.iter().map(|r| r.id.clone()).collect();
        self.rules.extend(staged);
        Ok(ids)
    }

    /// The rules with their counters, in evaluation order.
    pub fn list(&self) -> Vec<RuleStatus> {
        self.rules
            .iter()
            .map(|r| RuleStatus {
                rule: r.rule.clone(),
                matched: r.matched,
                fired: r.fired,
                remaining: r.rule.times.map(|t| t.saturating_sub(r.fired)),
            })
            .collect()
    }

    /// The rule definitions (for export and persistence).
    pub fn rules(&self) -> Vec<FaultRule> {
        self.rules.iter().map(|r| r.rule.clone()).collect()
    }

    /// Removes one rule; returns whether it existed.
    pub fn remove(&mut self, id: &str) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        self.rules.len() != before
    }

    /// Removes every rule (the rate limiter stays).
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// No rules and no rate limits: every request passes untouched and uncounted, so the
    /// control layer need not consult (or lock) the rules at all.
    pub fn is_idle(&self) -> bool {
        let limits = self.limiter.config();
        self.rules.is_empty()
            && limits.scim.is_empty()
            && limits.events.is_empty()
            && limits.users.is_empty()
    }

    /// Decides whether a request triggers a rule: the first rule that matches and is eligible
    /// fires. Every matching rule counts the request, so `after` and `times` mean "matching
    /// requests" regardless of other rules.
    pub fn decide(&mut self, method: &str, path: &str, api: Api) -> Option<Firing> {
        let mut firing = None;
        for r in &mut self.rules {
            let m = &r.rule.matcher;
            let hit = m.method.as_ref().is_none_or(|x| x.eq_ignore_ascii_case(method))
                && m.api.is_none_or(|a| a == api)
                && r.path.as_ref().is_none_or(|p| p.matches(path));
            if !hit {
                continue;
            }
            r.matched += 1;
            if firing.is_some() {
                continue;
            }
            if r.matched <= r.rule.after.unwrap_or(0) {
                continue;
            }
            if r.rule.times.is_some_and(|t| r.fired >= t) {
                continue;
            }
            if let Some(p) = r.rule.probability
                && r.rng.next_f64() >= p
            {
                continue;
            }
            r.fired += 1;
            firing = Some(Firing { rule_id: r.id.clone(), action: r.rule.action.clone() });
        }
        firing
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(v: serde_json::Value) -> FaultRule {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn fires_exactly_n_times_after_m() {
        let mut f = Faults::default();
        f.add_all(vec![rule(json!({
            "match": {"method": "PATCH", "path": "/scim/v2/Users/*"},
            "times": 2, "after": 1, "action": {"status": 429, "retry_after": 2}
        }))])
        .unwrap();
        let fired: Vec<bool> =
            (0..5).map(|_| f.decide("PATCH", "/scim/v2/Users/ABC", Api::Scim).is_some()).collect();
        assert_eq!(fired, [false, true, true, false, false]);
        assert!(f.decide("GET", "/scim/v2/Users/ABC", Api::Scim).is_none());
        let listed = &f.list()[0];
        assert_eq!((listed.matched, listed.fired, listed.remaining), (5, 2, Some(0)));
    }

    #[test]
    fn same_seed_same_sequence() {
        let seq = |seed: u64| {
            let mut f = Faults::default();
            f.add_all(vec![rule(json!({
                "probability": 0.3, "seed": seed, "action": {"status": 503}
            }))])
            .unwrap();
            (0..200).map(|_| f.decide("GET", "/x", Api::Scim).is_some()).collect::<Vec<_>>()
        };
        let a = seq(7);
        assert_eq!(a, seq(7));
        assert_ne!(a, seq(8));
        let n = a.iter().filter(|x| **x).count();
        assert!((30..=90).contains(&n), "{n} firings out of 200 at p=0.3");
    }

    #[test]
    fn invalid_rules_are_refused_whole() {
        let mut f = Faults::default();
        let cases = [
            (json!({"probability": 1.5, "action": {"status": 500}}), "probability"),
            (json!({"times": 0, "action": {"status": 500}}), "times"),
            (json!({"action": {}}), "needs one of"),
            (json!({"action": {"status": 200}}), "error status"),
            (json!({"action": {"drop": true, "status": 500}}), "stands alone"),
            (json!({"action": {"status": 500, "retry_after": 1}}), "retry_after"),
            (json!({"match": {"path_regex": "("}, "action": {"status": 500}}), "path_regex"),
            (json!({"match": {"method": "GE T"}, "action": {"status": 500}}), "method"),
            (json!({"action": {"delay_ms": 999999999}}), "delay_ms"),
        ];
        for (v, needle) in cases {
            let good = rule(json!({"action": {"status": 500}}));
            let err = f.add_all(vec![good, rule(v)]).unwrap_err();
            assert!(err.0.starts_with("rule 1:") && err.0.contains(needle), "{err}");
            assert!(f.list().is_empty(), "nothing half-applied");
        }
        assert!(serde_json::from_value::<FaultRule>(json!({"times": -1, "action": {}})).is_err());
    }

    #[test]
    fn first_eligible_rule_wins_and_ids_are_unique() {
        let mut f = Faults::default();
        let ids = f
            .add_all(vec![
                rule(json!({"times": 1, "action": {"status": 500}})),
                rule(json!({"action": {"status": 502}})),
            ])
            .unwrap();
        assert_eq!(ids, ["fault-1", "fault-2"]);
        assert_eq!(f.decide("GET", "/", Api::Scim).unwrap().action.status, Some(500));
        assert_eq!(f.decide("GET", "/", Api::Scim).unwrap().action.status, Some(502));
        assert!(f.remove("fault-2"));
        assert!(!f.remove("fault-2"));
        assert!(f.decide("GET", "/", Api::Scim).is_none());
        let err =
            f.add_all(vec![rule(json!({"id": "fault-1", "action": {"status": 500}}))]).unwrap_err();
        assert!(err.0.contains("already used"));
    }
}

//! Seeded generators of realistic sign-in attempts and item usages.
//!
//! The same `seed`, users and `now` give the same events: the generator draws from its own
//! [`IdGenerator`] seeded with `seed`, not from the tenant's stream. Categories and types follow a
//! plausible mix (mostly successes, some bad passwords and MFA failures, a few firewall blocks),
//! with type values that belong to their category. Timestamps are spread evenly over the hour
//! before `now`, oldest first, the last one at `now`.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::model::{Client, ItemUsage, Location, Person, SignInAttempt};
use crate::ids::IdGenerator;

/// (category, type, details, weight)
const SIGNIN_MIX: &[(&str, &str, Option<&str>, u32)] = &[
    ("success", "credentials_ok", None, 40),
    ("success", "mfa_ok", None, 25),
    ("success", "federated", None, 5),
    ("credentials_failed", "password_secret_bad", None, 10),
    ("mfa_failed", "totp_bad", None, 5),
    ("mfa_failed", "mfa_missing", None, 2),
    ("sso_failed", "sso_user_mismatch", None, 2),
    ("modern_version_failed", "modern_version_old", None, 1),
    ("firewall_failed", "country_blocked", Some("KP"), 3),
    ("firewall_failed", "continent_blocked", Some("Europe"), 2),
    ("firewall_failed", "ip_blocked", Some("203.0.113.0/24"), 2),
    ("firewall_reported_success", "credentials_ok", None, 3),
];

/// (action, weight)
const ITEM_MIX: &[(&str, u32)] = &[
    ("fill", 35),
    ("reveal", 15),
    ("secure-copy", 15),
    ("server-fetch", 12),
    ("enter-item-edit-mode", 6),
    ("server-update", 5),
    ("server-create", 4),
    ("share", 3),
    ("export", 1),
    ("select-sso-provider", 2),
    ("other", 2),
];

/// (app, version, platform, platform version, os, os version)
const CLIENTS: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("1Password Browser Extension", "81080026", "Chrome", "131.0.6778.86", "MacOSX", "15.1.1"),
    ("1Password Browser Extension", "81080026", "Firefox", "133.0", "Windows", "10.0.22631"),
    ("1Password for Mac", "81003601", "Mac", "", "MacOSX", "15.1.1"),
    ("1Password for Windows", "81003601", "Windows", "", "Windows", "10.0.22631"),
    ("1Password for iOS", "81003602", "iPhone", "", "iOS", "18.1.1"),
    ("1Password for Android", "81003602", "Android", "", "Android", "15"),
    ("1Password CLI", "2300001", "Linux", "", "Linux", "6.8.0"),
];

/// (country, region, city, latitude, longitude, ip prefix)
const PLACES: &[(&str, &str, &str, f64, f64, &str)] = &[
    ("CA", "Ontario", "Toronto", 43.6532, -79.3832, "99.224"),
    ("CA", "British Columbia", "Vancouver", 49.2827, -123.1207, "142.36"),
    ("US", "California", "San Francisco", 37.7749, -122.4194, "73.92"),
    ("US", "New York", "New York", 40.7128, -74.006, "68.174"),
    ("GB", "England", "London", 51.5072, -0.1276, "81.2"),
    ("DE", "Berlin", "Berlin", 52.52, 13.405, "91.64"),
    ("FR", "Ile-de-France", "Paris", 48.8566, 2.3522, "90.84"),
    ("NL", "North Holland", "Amsterdam", 52.3676, 4.9041, "145.53"),
    ("JP", "Tokyo", "Tokyo", 35.6762, 139.6503, "126.72"),
    ("AU", "New South Wales", "Sydney", -33.8688, 151.2093, "101.160"),
];

const FIRST: &[&str] =
    &["Ada", "Grace", "Alan", "Katherine", "Linus", "Barbara", "Dennis", "Frances"];
const LAST: &[&str] =
    &["Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Liskov", "Ritchie", "Allen"];

fn pick<'a, T>(rng: &mut IdGenerator, items: &'a [T]) -> &'a T {
    &items[(rng.next_u64() % items.len() as u64) as usize]
}

fn weighted<'a, T>(rng: &mut IdGenerator, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u64 = items.iter().map(|i| u64::from(weight(i))).sum();
    let mut roll = rng.next_u64() % total.max(1);
    for item in items {
        let w = u64::from(weight(item));
        if roll < w {
            return item;
        }
        roll -= w;
    }
    &items[items.len() - 1]
}

fn client(rng: &mut IdGenerator, ip: String) -> Arc<Client> {
    let (app, ver, plat, plat_ver, os, os_ver) = *pick(rng, CLIENTS);
    Arc::new(Client {
        app_name: app.into(),
        app_version: ver.into(),
        platform_name: plat.into(),
        platform_version: plat_ver.into(),
        os_name: os.into(),
        os_version: os_ver.into(),
        ip_address: ip,
    })
}

fn place(rng: &mut IdGenerator) -> (Arc<Location>, String) {
    let (country, region, city, lat, lon, prefix) = *pick(rng, PLACES);
    let ip = format!("{prefix}.{}.{}", rng.next_u64() % 256, 1 + rng.next_u64() % 254);
    let loc = Location {
        country: country.into(),
        region: region.into(),
        city: city.into(),
        latitude: lat,
        longitude: lon,
    };
    (Arc::new(loc), ip)
}

/// `users`, or a few made-up ones when there are none.
fn people(rng: &mut IdGenerator, users: &[Arc<Person>]) -> Vec<Arc<Person>> {
    if !users.is_empty() {
        return users.to_vec();
    }
    (0..5)
        .map(|_| {
            let (f, l) = (*pick(rng, FIRST), *pick(rng, LAST));
            let email = format!("{}.{}@example.com", f.to_lowercase(), l.to_lowercase());
            Arc::new(Person::user(&rng.upper_id(), &format!("{f} {l}"), &email))
        })
        .collect()
}

fn spread(n: usize, i: usize, now: DateTime<Utc>) -> DateTime<Utc> {
    // Evenly over the hour before now, whole seconds, oldest first, the last one at `now`.
    let back = 3600 * (n - 1 - i) as i64 / n.max(1) as i64;
    now - Duration::seconds(back)
}

/// `n` sign-in attempts by `users`.
pub fn sign_in_attempts(
    n: usize,
    seed: u64,
    users: &[Arc<Person>],
    now: DateTime<Utc>,
) -> Vec<SignInAttempt> {
    let mut rng = IdGenerator::new(seed);
    let users = people(&mut rng, users);
    (0..n)
        .map(|i| {
            let &(category, kind, details, _) = weighted(&mut rng, SIGNIN_MIX, |m| m.3);
            let (location, ip) = place(&mut rng);
            let country = match (kind, details) {
                ("country_blocked", Some(code)) => code.to_owned(),
                _ => location.country.clone(),
            };
            SignInAttempt {
                uuid: rng.upper_id().into(),
                session_uuid: rng.upper_id().into(),
                timestamp: spread(n, i, now),
                category,
                kind,
                country,
                details: details.map(str::to_owned),
                target_user: pick(&mut rng, &users).clone(),
                client: client(&mut rng, ip),
                location: Some(location),
            }
        })
        .collect()
}

/// `n` item usages by `users` over a handful of shared vaults and items.
pub fn item_usages(
    n: usize,
    seed: u64,
    users: &[Arc<Person>],
    now: DateTime<Utc>,
) -> Vec<ItemUsage> {
    let mut rng = IdGenerator::new(seed);
    let users = people(&mut rng, users);
    let vaults: Vec<Arc<str>> = (0..3).map(|_| rng.lower_id().into()).collect();
    let items: Vec<(usize, Arc<str>)> =
        (0..12).map(|i| (i % vaults.len(), rng.lower_id().into())).collect();
    (0..n)
        .map(|i| {
            let &(action, _) = weighted(&mut rng, ITEM_MIX, |m| m.1);
            let (vault, item) = pick(&mut rng, &items).clone();
            let (location, ip) = place(&mut rng);
            ItemUsage {
                uuid: rng.upper_id().into(),
                timestamp: spread(n, i, now),
                used_version: 1 + (rng.next_u64() % 12) as u32,
                vault_uuid: vaults[vault].clone(),
                item_uuid: item,
                action,
                user: pick(&mut rng, &users).clone(),
                client: client(&mut rng, ip),
                location: Some(location),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::model::{ITEM_ACTIONS, SIGNIN_CATEGORIES, SIGNIN_TYPES};
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap()
    }

    #[test]
    fn same_seed_same_events_and_values_are_documented_ones() {
        let a = sign_in_attempts(200, 7, &[], now());
        assert_eq!(a, sign_in_attempts(200, 7, &[], now()));
        assert_ne!(a, sign_in_attempts(200, 8, &[], now()));
        assert!(
            a.iter()
                .all(|e| SIGNIN_CATEGORIES.contains(&e.category) && SIGNIN_TYPES.contains(&e.kind))
        );
        let cats: std::collections::BTreeSet<_> = a.iter().map(|e| e.category).collect();
        assert!(cats.len() >= 4 && cats.contains("success"), "{cats:?}");
        assert!(a.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
        assert_eq!(a.last().unwrap().timestamp, now());
        assert!(a[0].timestamp >= now() - Duration::hours(1));
        let u = item_usages(100, 7, &[], now());
        assert!(u.iter().all(|e| ITEM_ACTIONS.contains(&e.action) && e.used_version >= 1));
    }

    #[test]
    fn targets_the_given_users() {
        let alice = Arc::new(Person::user("ALICE", "Alice", "alice@example.com"));
        let a = sign_in_attempts(20, 1, std::slice::from_ref(&alice), now());
        assert!(a.iter().all(|e| e.target_user == alice));
    }
}

//! The v3 (beta) audit event action vocabulary: `target.attribute.verb` (attribute optional),
//! as 1Password documents it (e.g. `service-account.token.create`). The exact strings for the
//! user and group changes the emulator records were not published, so they are chosen in that
//! format and kept in this one table; the profile switch `v3_actions = "legacy"` sends the
//! v1/v2 codes (`suspend`, `reactive`, ...) instead.

use serde::{Deserialize, Serialize};

/// Which vocabulary v3 audit events use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum V3Actions {
    /// `target.attribute.verb` (the documented v3 format).
    #[default]
    Dotted,
    /// The v1/v2 action codes.
    Legacy,
}

/// `(object_type, v1/v2 action) → v3 action`. Anything not listed keeps its v1/v2 code.
pub const TABLE: &[(&str, &str, &str)] = &[
    ("user", "provsn", "user.provision"),
    ("user", "join", "user.invitation.accept"),
    ("user", "verify", "user.confirm"),
    ("user", "suspend", "user.suspend"),
    ("user", "reactive", "user.reactivate"),
    ("user", "update", "user.update"),
    ("user", "delete", "user.delete"),
    ("group", "create", "group.create"),
    ("group", "update", "group.update"),
    ("group", "delete", "group.delete"),
    ("group", "join", "group.membership.add"),
    ("group", "leave", "group.membership.remove"),
];

/// The v3 action of an event recorded with `object_type` and the v1/v2 `action`.
pub fn v3_action<'a>(vocabulary: V3Actions, object_type: &str, action: &'a str) -> &'a str {
    if vocabulary == V3Actions::Legacy {
        return action;
    }
    TABLE.iter().find(|(t, a, _)| *t == object_type && *a == action).map_or(action, |(_, _, v3)| v3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_v3_name_is_target_attribute_verb_and_legacy_keeps_the_codes() {
        for (t, a, v3) in TABLE {
            let parts: Vec<&str> = v3.split('.').collect();
            assert!((2..=3).contains(&parts.len()), "{v3}");
            assert_eq!(parts[0], *t, "{v3}");
            assert_eq!(v3_action(V3Actions::Dotted, t, a), *v3);
            assert_eq!(v3_action(V3Actions::Legacy, t, a), *a);
        }
        assert_eq!(v3_action(V3Actions::Dotted, "vault", "create"), "create", "unknown: kept");
    }
}

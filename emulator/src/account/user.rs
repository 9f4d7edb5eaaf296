//! Users: 1Password's lifecycle states and the user record the account keeps.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::attributes::Peek;
use super::{Attributes, UserRef};

/// 1Password's user states (as the 1Password CLI names them).
///
/// An invited user who accepted the invitation but is not yet confirmed stays
/// `TRANSFER_STARTED` with [`User::signed_up_at`] set ("Pending" in the web UI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserState {
    /// Provisioned (invited) but has not finished setting up the account.
    TransferStarted,
    /// Provisioned, then deprovisioned before finishing set-up.
    TransferSuspended,
    /// A confirmed, active member.
    Active,
    /// Suspended.
    Suspended,
    /// Account recovery started.
    RecoveryStarted,
    /// The user created a new password and waits for an admin to confirm the recovery.
    RecoveryAccepted,
}

impl UserState {
    /// SCIM `active`: everything except the two suspended states.
    pub fn is_active(self) -> bool {
        !matches!(self, UserState::Suspended | UserState::TransferSuspended)
    }

    /// The wire spelling (`TRANSFER_STARTED`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            UserState::TransferStarted => "TRANSFER_STARTED",
            UserState::TransferSuspended => "TRANSFER_SUSPENDED",
            UserState::Active => "ACTIVE",
            UserState::Suspended => "SUSPENDED",
            UserState::RecoveryStarted => "RECOVERY_STARTED",
            UserState::RecoveryAccepted => "RECOVERY_ACCEPTED",
        }
    }

    /// The state a suspension of a user in this state leads to.
    pub(crate) fn suspended(self) -> UserState {
        match self {
            UserState::TransferStarted | UserState::TransferSuspended => {
                UserState::TransferSuspended
            }
            _ => UserState::Suspended,
        }
    }
}

/// A member of the account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// 26-char upper-case base32 id.
    pub id: String,
    /// The userName (an e-mail address), as last written.
    pub user_name: String,
    /// Lifecycle state.
    pub state: UserState,
    /// Guests exist in the account but cannot be managed by provisioning.
    pub guest: bool,
    /// When the user was created.
    pub created: DateTime<Utc>,
    /// When anything about the user last changed.
    pub last_modified: DateTime<Utc>,
    /// When an invited user accepted the invitation (sign-up), if they have.
    pub signed_up_at: Option<DateTime<Utc>>,
    /// The state to return to on reactivation (set while suspended).
    pub suspended_from: Option<UserState>,
    /// The previous e-mail while an e-mail change waits for the user to confirm it.
    pub pending_email_change: Option<String>,
    /// The SCIM attributes as the client sent them (userName, name, emails, externalId, ...),
    /// without server-owned ones (`id`, `meta`, `schemas`, `active`, `groups`).
    pub attrs: Attributes,
    /// The user as the bridge's sparse payload renders it, kept once a request has rendered it.
    pub rendered: RenderMemo,
    /// SCIM `active` was removed by a PATCH (the `unassign_removed_active` switch): the state
    /// is unchanged, but full payloads omit `active` until a request gives it a value again.
    /// Not part of exports (a reloaded user has `active` assigned).
    pub active_unassigned: bool,
    /// The groups the user is a member of (their ids), in the order joined: the reverse
    /// membership index, so a user's groups are found without scanning every group's members.
    /// Only the account changes it, together with the groups' member sets.
    pub(crate) member_of: Vec<Arc<str>>,
}

/// A user's rendering, memoised: filled by the first read that needs it and emptied by every
/// change to the user. Every change to a stored user goes through the account, which empties it
/// first (`Account::user_mut`), so a reader never sees a stale one.
///
/// The sparse payload depends on nothing but the user, and IdPs read the same users over and
/// over: keeping it turns a GET into handing out a reference-counted buffer (no parse, no
/// serialisation, no copy) and a list page into a copy. It costs a few words per user, plus the
/// text (about 330 bytes) for the users actually read.
#[derive(Default)]
pub struct RenderMemo(OnceLock<Bytes>);

impl RenderMemo {
    /// The kept rendering, or `render`'s, kept for next time.
    pub fn get_or_init(&self, render: impl FnOnce() -> Bytes) -> &Bytes {
        self.0.get_or_init(render)
    }

    /// The kept rendering, if any.
    pub fn get(&self) -> Option<&Bytes> {
        self.0.get()
    }

    /// Forgets the rendering (the user is about to change).
    pub fn clear(&mut self) {
        self.0.take();
    }
}

/// A copy starts empty: it is a cache, and the copy may be changed before it is read.
impl Clone for RenderMemo {
    fn clone(&self) -> Self {
        RenderMemo::default()
    }
}

/// A cache is not part of a user's value.
impl PartialEq for RenderMemo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for RenderMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "RenderMemo(kept)" } else { "RenderMemo(empty)" })
    }
}

impl User {
    /// `active` as SCIM reports it.
    pub fn active(&self) -> bool {
        self.state.is_active()
    }

    /// The externalId, if a string one was sent.
    pub fn external_id(&self) -> Option<Cow<'_, str>> {
        self.attrs.peek().external_id
    }

    /// `displayName`, else `name.formatted`, else the given and family names joined.
    pub fn display_name(&self) -> String {
        display_name(&self.attrs.peek())
    }

    /// The primary e-mail (else the first, else the userName).
    pub fn email(&self) -> String {
        let peek = self.attrs.peek();
        let emails = peek.emails.as_deref().unwrap_or_default();
        let pick = emails.iter().find(|e| e.primary == Some(true)).or_else(|| emails.first());
        pick.and_then(|e| e.value.as_deref()).unwrap_or(&self.user_name).to_owned()
    }

    /// How events describe this user.
    pub fn to_ref(&self) -> UserRef {
        UserRef { id: self.id.clone(), name: self.display_name(), email: self.user_name.clone() }
    }
}

/// `displayName`, else `name.formatted`, else the given and family names joined.
pub fn display_name(peek: &Peek<'_>) -> String {
    if let Some(d) = &peek.display_name {
        return d.clone().into_owned();
    }
    let name = peek.name.as_ref();
    if let Some(f) = name.and_then(|n| n.formatted.as_deref()) {
        return f.to_owned();
    }
    let given = name.and_then(|n| n.given_name.as_deref()).unwrap_or("");
    let family = name.and_then(|n| n.family_name.as_deref()).unwrap_or("");
    format!("{given} {family}").trim().to_owned()
}

/// Applies 1Password's name rules (as recorded from the real bridge): `displayName` and
/// `name.formatted` are always equal; a new `displayName` re-splits given and family names at the
/// first space; with no `displayName`, it is derived from the name parts.
pub(crate) fn derive_names(attrs: &mut Map<String, Value>, previous: Option<&Map<String, Value>>) {
    let old_display = previous.and_then(|p| p.get("displayName")).and_then(Value::as_str);
    let new_display = attrs.get("displayName").and_then(Value::as_str).map(str::to_owned);
    let name = attrs.entry("name").or_insert_with(|| Value::Object(Map::new()));
    if !name.is_object() {
        *name = Value::Object(Map::new());
    }
    let Some(name) = name.as_object_mut() else { return };
    let given = name.get("givenName").and_then(Value::as_str).unwrap_or("").to_owned();
    let family = name.get("familyName").and_then(Value::as_str).unwrap_or("").to_owned();
    let display = match new_display {
        Some(d) if Some(d.as_str()) != old_display && previous.is_some() => {
            // A changed display name re-derives the parts.
            let (g, f) = d.split_once(' ').unwrap_or((d.as_str(), ""));
            name.insert("givenName".into(), Value::String(g.to_owned()));
            name.insert("familyName".into(), Value::String(f.to_owned()));
            d
        }
        Some(d) => d,
        None => {
            let formatted = name.get("formatted").and_then(Value::as_str).map(str::to_owned);
            formatted.unwrap_or_else(|| format!("{given} {family}").trim().to_owned())
        }
    };
    name.insert("formatted".into(), Value::String(display.clone()));
    attrs.insert("displayName".into(), Value::String(display));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn names_are_derived_from_parts_on_create() {
        let mut a = obj(json!({"name": {"givenName": "Victor", "familyName": "Nango"}}));
        derive_names(&mut a, None);
        assert_eq!(a["displayName"], "Victor Nango");
        assert_eq!(a["name"]["formatted"], "Victor Nango");
    }

    #[test]
    fn a_new_display_name_resplits_at_the_first_space() {
        let old = obj(json!({"displayName": "Tmp Delete", "name": {"givenName": "Tmp"}}));
        let mut a = obj(json!({"displayName": "SCIM Test Updated", "name": {"givenName": "Tmp"}}));
        derive_names(&mut a, Some(&old));
        assert_eq!(a["name"]["givenName"], "SCIM");
        assert_eq!(a["name"]["familyName"], "Test Updated");
        assert_eq!(a["name"]["formatted"], "SCIM Test Updated");
    }

    #[test]
    fn states_map_to_scim_active_and_suspension_targets() {
        assert!(UserState::TransferStarted.is_active());
        assert!(UserState::RecoveryAccepted.is_active());
        assert!(!UserState::Suspended.is_active());
        assert!(!UserState::TransferSuspended.is_active());
        assert_eq!(UserState::TransferStarted.suspended(), UserState::TransferSuspended);
        assert_eq!(UserState::Active.suspended(), UserState::Suspended);
        assert_eq!(UserState::RecoveryStarted.suspended(), UserState::Suspended);
    }
}

//! The users, groups and outbox sections of a seed document. Export writes the same shape, so an
//! exported account loads back identically (ids, states and timestamps included).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::group::GroupKind;
use super::user::UserState;

/// A user's role in a seed: sugar for membership of the Owners or Administrators group, or a
/// guest (who provisioning cannot manage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SeedRole {
    /// Member of Owners.
    Owner,
    /// Member of Administrators.
    Admin,
    /// A regular member.
    #[default]
    Member,
    /// A guest.
    Guest,
}

/// A user in a seed document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedUser {
    /// The id (generated when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The userName (an e-mail address). Required.
    pub user_name: String,
    /// Sugar for `attributes.displayName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Lifecycle state (default `ACTIVE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<UserState>,
    /// Role (default member).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<SeedRole>,
    /// Creation time (default: now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    /// Last modification (default: `created`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<DateTime<Utc>>,
    /// When an invited user accepted the invitation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_up_at: Option<DateTime<Utc>>,
    /// The state a suspended user returns to on reactivation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_from: Option<UserState>,
    /// The old e-mail while an e-mail change is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_email_change: Option<String>,
    /// Any other SCIM attributes (`name`, `emails`, `externalId`, the enterprise extension...).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub attributes: Map<String, Value>,
}

/// A group in a seed document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedGroup {
    /// The id (generated when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Display name (for built-ins, defaults to the built-in name).
    #[serde(default)]
    pub display_name: String,
    /// Built-in kind, or `managed` (the default).
    #[serde(default, skip_serializing_if = "is_managed")]
    pub kind: GroupKind,
    /// Members, by user id or userName.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// Creation time (default: now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    /// Last modification (default: `created`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<DateTime<Utc>>,
    /// Other SCIM attributes (`externalId`, ...).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub attributes: Map<String, Value>,
}

fn is_managed(k: &GroupKind) -> bool {
    *k == GroupKind::Managed
}

/// Why an e-mail was put in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationKind {
    /// The invitation sent when a user is provisioned.
    Invite,
    /// The confirmation sent to a new address when the userName changes.
    EmailChange,
}

/// An e-mail the account would have sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Invitation {
    /// Id of this message.
    pub id: String,
    /// The user it concerns.
    pub user_id: String,
    /// The address it was sent to.
    pub email: String,
    /// Why it was sent.
    pub kind: InvitationKind,
    /// When.
    pub sent_at: DateTime<Utc>,
}

//! Groups: the built-in ones every 1Password account has, and managed (provisioned) groups.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::GroupRef;

/// A group's member ids, in the order added: a set, so "is this user a member" is a lookup
/// rather than a scan (Team Members holds every user).
pub type MemberSet = indexmap::IndexSet<String, foldhash::fast::RandomState>;

/// What kind of group this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    /// A group managed by provisioning (created through SCIM or placed under Managed Groups).
    #[default]
    Managed,
    /// Built-in: Owners (there must always be at least one).
    Owners,
    /// Built-in: Administrators.
    Administrators,
    /// Built-in: Team Members (everyone except guests).
    TeamMembers,
    /// Built-in: Security.
    Security,
    /// Built-in: Provision Managers (created when provisioning is enabled).
    ProvisionManagers,
}

impl GroupKind {
    /// The built-in kinds, in the order accounts list them.
    pub const BUILTIN: [GroupKind; 5] = [
        GroupKind::Owners,
        GroupKind::Administrators,
        GroupKind::TeamMembers,
        GroupKind::Security,
        GroupKind::ProvisionManagers,
    ];

    /// Is this one of the built-in groups (which cannot be deleted)?
    pub fn is_builtin(self) -> bool {
        self != GroupKind::Managed
    }

    /// The built-in group's display name.
    pub fn builtin_name(self) -> &'static str {
        match self {
            GroupKind::Managed => "",
            GroupKind::Owners => "Owners",
            GroupKind::Administrators => "Administrators",
            GroupKind::TeamMembers => "Team Members",
            GroupKind::Security => "Security",
            GroupKind::ProvisionManagers => "Provision Managers",
        }
    }
}

/// A group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// 26-char lower-case base32 id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Built-in or managed.
    pub kind: GroupKind,
    /// Member ids (users; groups only when nested groups are allowed), in the order added.
    pub members: MemberSet,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// When it last changed.
    pub last_modified: DateTime<Utc>,
    /// Other SCIM attributes as the client sent them (externalId, ...), without `displayName`,
    /// `members`, `id`, `meta`, `schemas`.
    pub attrs: Map<String, Value>,
    /// The id, shared by the users' reverse membership index ([`super::User`] keeps the
    /// handles of the groups it belongs to) so a membership costs a pointer, not a string.
    pub(crate) handle: Arc<str>,
}

impl Group {
    /// A group with no members.
    pub(crate) fn new(
        id: String,
        display_name: String,
        kind: GroupKind,
        created: DateTime<Utc>,
        last_modified: DateTime<Utc>,
        attrs: Map<String, Value>,
    ) -> Group {
        let handle = Arc::from(id.as_str());
        Group {
            id,
            display_name,
            kind,
            members: MemberSet::default(),
            created,
            last_modified,
            attrs,
            handle,
        }
    }

    /// How events describe this group.
    pub fn to_ref(&self) -> GroupRef {
        GroupRef { id: self.id.clone(), name: self.display_name.clone() }
    }

    /// The externalId, if any.
    pub fn external_id(&self) -> Option<&str> {
        self.attrs.get("externalId").and_then(Value::as_str)
    }
}

//! Account [`Change`]s rendered as audit events.
//!
//! The digest marks the action/object pairs as inferred from the action names (§5.6); the
//! choices, all with the provisioning integration ("Provision Manager") as the actor:
//!
//! | Change | action / object_type | aux |
//! |---|---|---|
//! | user provisioned (invited) | `provsn` / `user` | |
//! | invitation accepted | `join` / `user` (actor: the user) | |
//! | user confirmed | `verify` / `user` | |
//! | user suspended | `suspend` / `user` | |
//! | user reactivated | `reactive` / `user` | |
//! | user updated | `update` / `user` | |
//! | e-mail change started | `update` / `user` | `aux_info` = previous e-mail |
//! | user deleted | `delete` / `user` | |
//! | group created / updated / deleted | `create` / `update` / `delete` `group` | `aux_info` = group name |
//! | member joined / left | `join` / `leave` `group` | `aux_uuid` + `aux_details` = the user |
//!
//! `object_details` is set only when the object is a user, as the real API does.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::model::{AuditEvent, Person, Session};
use crate::account::{Change, GroupRef, UserRef};
use crate::ids::IdGenerator;

/// Who SCIM-driven events are attributed to.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The Provision Manager identity.
    pub person: Arc<Person>,
    /// Its (long-lived) session.
    pub session: Arc<Session>,
}

fn person(u: &UserRef) -> Arc<Person> {
    Arc::new(Person::user(&u.id, &u.name, &u.email))
}

/// The audit event for `change`.
pub fn audit_event(
    change: &Change,
    actor: &Actor,
    ids: &mut IdGenerator,
    now: DateTime<Utc>,
) -> AuditEvent {
    let base = |action: &'static str, object_type: &'static str, object_uuid: &str| AuditEvent {
        uuid: Arc::from(""),
        timestamp: now,
        actor: actor.person.clone(),
        actor_external: false,
        action,
        object_type,
        object_uuid: object_uuid.into(),
        object_details: None,
        aux_id: None,
        aux_uuid: None,
        aux_details: None,
        aux_info: None,
        session: Some(actor.session.clone()),
        location: None,
    };
    let on_user = |action, u: &UserRef| AuditEvent {
        object_details: Some(person(u)),
        ..base(action, "user", &u.id)
    };
    let on_group = |action, g: &GroupRef| AuditEvent {
        aux_info: Some(g.name.clone()),
        ..base(action, "group", &g.id)
    };
    let membership = |action, g: &GroupRef, u: &UserRef| AuditEvent {
        aux_uuid: Some(u.id.as_str().into()),
        aux_details: Some(person(u)),
        ..base(action, "group", &g.id)
    };
    let mut event = match change {
        Change::UserProvisioned { user } => on_user("provsn", user),
        Change::InvitationAccepted { user } => {
            let me = person(user);
            AuditEvent {
                actor: me.clone(),
                object_details: Some(me),
                session: None,
                ..on_user("join", user)
            }
        }
        Change::UserConfirmed { user } => on_user("verify", user),
        Change::UserSuspended { user } => on_user("suspend", user),
        Change::UserReactivated { user } => on_user("reactive", user),
        Change::UserUpdated { user } => on_user("update", user),
        Change::UserEmailChangeStarted { user, old_email } => {
            AuditEvent { aux_info: Some(old_email.clone()), ..on_user("update", user) }
        }
        Change::UserDeleted { user } => on_user("delete", user),
        Change::GroupCreated { group } => on_group("create", group),
        Change::GroupUpdated { group } => on_group("update", group),
        Change::GroupDeleted { group } => on_group("delete", group),
        Change::MemberJoined { group, user } => membership("join", group, user),
        Change::MemberLeft { group, user } => membership("leave", group, user),
    };
    event.uuid = ids.upper_id().into();
    event
}

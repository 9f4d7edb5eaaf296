//! The 1Password account domain: users with 1Password's lifecycle states, groups (built-in and
//! managed), memberships, the invite outbox and the confirmation watcher. No HTTP here.
//!
//! Every mutation reports what happened as [`Change`]s; the tenant appends them to the Events
//! API log, so the audit trail can never disagree with the state.

/// The account state (users, groups, memberships, outbox).
#[derive(Debug, Clone, Default)]
pub struct Account {}

/// A reference to a user as events describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef {
    /// User id (26-char upper-case base32).
    pub id: String,
    /// Display name.
    pub name: String,
    /// E-mail address (the userName).
    pub email: String,
}

/// A reference to a group as events describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRef {
    /// Group id (26-char lower-case base32).
    pub id: String,
    /// Display name.
    pub name: String,
}

/// Something that happened to the account: the facts audit events are made from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// A user was provisioned (invited).
    UserProvisioned {
        /// The user.
        user: UserRef,
    },
    /// An invited user accepted the invitation (signed up).
    InvitationAccepted {
        /// The user.
        user: UserRef,
    },
    /// A user who signed up was confirmed by the confirmation watcher.
    UserConfirmed {
        /// The user.
        user: UserRef,
    },
    /// A user was suspended.
    UserSuspended {
        /// The user.
        user: UserRef,
    },
    /// A suspended user was reactivated.
    UserReactivated {
        /// The user.
        user: UserRef,
    },
    /// A user's attributes changed.
    UserUpdated {
        /// The user.
        user: UserRef,
    },
    /// A user's e-mail change flow started (old address in `old_email`).
    UserEmailChangeStarted {
        /// The user, with the new e-mail.
        user: UserRef,
        /// The previous e-mail.
        old_email: String,
    },
    /// A user was permanently deleted.
    UserDeleted {
        /// The user.
        user: UserRef,
    },
    /// A group was created.
    GroupCreated {
        /// The group.
        group: GroupRef,
    },
    /// A group was renamed or otherwise updated.
    GroupUpdated {
        /// The group.
        group: GroupRef,
    },
    /// A group was deleted.
    GroupDeleted {
        /// The group.
        group: GroupRef,
    },
    /// A user joined a group.
    MemberJoined {
        /// The group.
        group: GroupRef,
        /// The user.
        user: UserRef,
    },
    /// A user left a group.
    MemberLeft {
        /// The group.
        group: GroupRef,
        /// The user.
        user: UserRef,
    },
}

impl Account {
    /// An account with just its owner and the built-in groups.
    pub fn new_empty(
        ids: &mut crate::ids::IdGenerator,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Account {
        let _ = (ids, now);
        Account::default()
    }

    /// The demo account `scimulator serve` starts with when given no seed.
    pub fn demo(ids: &mut crate::ids::IdGenerator, now: chrono::DateTime<chrono::Utc>) -> Account {
        Account::new_empty(ids, now)
    }

    /// An account built from a seed document's users and groups.
    pub fn from_seed(
        seed: &crate::seed::Seed,
        ids: &mut crate::ids::IdGenerator,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Account, String> {
        let _ = seed;
        Ok(Account::new_empty(ids, now))
    }
}

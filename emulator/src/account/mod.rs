//! The 1Password account domain: users with 1Password's lifecycle states, groups (built-in and
//! managed), memberships, the invite outbox and the confirmation watcher. No HTTP here.
//!
//! Every mutation reports what happened as [`Change`]s; the tenant appends them to the Events
//! API log, so the audit trail can never disagree with the state.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use foldhash::HashMap;

use crate::ids::IdGenerator;
use crate::profile::{Profile, UserPayload};

mod attributes;
mod group;
mod lifecycle;
mod scan;
mod seed;
mod user;

pub use attributes::{Attributes, Peek, PeekEmail, PeekName};
pub use group::{Group, GroupKind, MemberSet};
pub use lifecycle::{GroupInput, UserInput};
pub use seed::{Invitation, InvitationKind, SeedGroup, SeedRole, SeedUser};
pub use user::{RenderMemo, User, UserState, display_name};

/// An ordered map with the account's hasher: positions for paging, lookups by id.
type OrderedMap<V> = indexmap::IndexMap<String, V, foldhash::fast::RandomState>;

/// The account state (users, groups, memberships, outbox).
///
/// Users are kept in creation order (an ordered map: lookup by id and paging by position are
/// both O(1)) with two indexes (lower-cased userName, externalId) so the filters IdPs send on
/// every sync (`userName eq`, `externalId eq`) are lookups, not scans. Group members are sets,
/// and each user keeps the groups it belongs to (the reverse index), so no per-user operation
/// reads another user's data: creating, changing, suspending a user or changing a membership
/// costs the same in an account of a thousand users as in one of a million.
///
/// The maps hash with foldhash (randomly seeded, as std's): a `userName eq` request hashes
/// twice (name, then id), and std's SipHash was a twentieth of such a request. Its weaker
/// flooding resistance does not matter to an emulator serving tests on 127.0.0.1.
#[derive(Debug, Clone, Default)]
pub struct Account {
    users: OrderedMap<User>,
    by_user_name: HashMap<String, String>,
    by_external_id: HashMap<String, Vec<String>>,
    /// Groups in listing order (built-ins first).
    groups: OrderedMap<Group>,
    outbox: Vec<Invitation>,
    /// Signed-up invited users the confirmation watcher still has to confirm, so the watcher
    /// (run before every request) does not scan the whole account.
    awaiting_confirmation: Vec<String>,
    /// How many listings have been served: seeds the per-call order of shuffled lists.
    list_calls: ListCounter,
    /// Work done by reads, counted for the complexity tests.
    work: WorkCounters,
}

/// How much work reads have done, as counted by [`Account::work`]: what the complexity tests
/// assert on (they count work rather than time, so they cannot flake).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Users rendered into a response shape or a full tree.
    pub renders: u64,
    /// Users a filter was evaluated against (one per user a scan visits).
    pub evaluations: u64,
    /// Users a scan parsed and evaluated in full (the rest were decided from the stored
    /// fields or ruled out by their text).
    pub full_evaluations: u64,
    /// Group memberships read through the reverse index.
    pub membership_reads: u64,
}

/// The counters behind [`Work`]; readers bump them through a shared reference.
#[derive(Debug, Default)]
struct WorkCounters {
    renders: AtomicU64,
    evaluations: AtomicU64,
    full_evaluations: AtomicU64,
    membership_reads: AtomicU64,
}

impl WorkCounters {
    fn snapshot(&self) -> Work {
        Work {
            renders: self.renders.load(Ordering::Relaxed),
            evaluations: self.evaluations.load(Ordering::Relaxed),
            full_evaluations: self.full_evaluations.load(Ordering::Relaxed),
            membership_reads: self.membership_reads.load(Ordering::Relaxed),
        }
    }
}

/// A copy starts from zero: counters describe one account's reads.
impl Clone for WorkCounters {
    fn clone(&self) -> Self {
        WorkCounters::default()
    }
}

/// A counter that shared readers can bump: listing is a read, yet each listing of a shuffled
/// profile needs its own number.
#[derive(Debug, Default)]
struct ListCounter(AtomicU64);

impl ListCounter {
    /// The next number, starting at 1.
    fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed) + 1
    }
}

impl Clone for ListCounter {
    fn clone(&self) -> Self {
        ListCounter(AtomicU64::new(self.0.load(Ordering::Relaxed)))
    }
}

/// Why the account refused an operation. Each maps to one SCIM error in the HTTP layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// No user with this id.
    #[error("no user with id {0:?}")]
    UserNotFound(String),
    /// No group with this id.
    #[error("no group with id {0:?}")]
    GroupNotFound(String),
    /// The userName is taken (case-insensitively).
    #[error("userName {user_name:?} is already taken by user {existing_id}")]
    DuplicateUserName {
        /// The userName asked for.
        user_name: String,
        /// Who has it.
        existing_id: String,
    },
    /// The operation would leave the account without an active owner.
    #[error("user {0} is the last owner of the account and cannot be suspended or removed")]
    LastOwner(String),
    /// Guests cannot be managed by provisioning.
    #[error("user {0} is a guest; guests cannot be managed by provisioning")]
    GuestNotManageable(String),
    /// Groups cannot contain groups.
    #[error("group {0} cannot be a member of a group: nested groups are not supported")]
    NestedGroup(String),
    /// A member id names no user (or group).
    #[error("member {0:?} is not a user of this account")]
    UnknownMember(String),
    /// The e-mail's domain is not in the account's allowed domains.
    #[error("the domain of {0:?} is not one of the account's allowed e-mail domains")]
    EmailDomainNotAllowed(String),
    /// Built-in groups cannot be renamed or deleted.
    #[error("group {0:?} is a built-in group and cannot be renamed or deleted")]
    BuiltinGroup(String),
    /// A value is missing or unusable.
    #[error("{0}")]
    InvalidValue(String),
}

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

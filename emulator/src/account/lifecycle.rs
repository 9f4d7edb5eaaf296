//! What the account does: building it (empty, demo, from a seed), reading it, and every
//! mutation. Each mutation validates everything first and only then changes state, so a refused
//! operation changes nothing; each returns the [`Change`]s the tenant turns into audit events.

use std::borrow::Cow;
use std::collections::HashSet;

use super::*;

/// What a client asked a user to look like (POST, PUT, or the result of a PATCH).
#[derive(Debug, Clone, PartialEq)]
pub struct UserInput {
    /// The SCIM attributes (must include a string `userName`); server-owned keys are ignored.
    pub attrs: Map<String, Value>,
    /// The requested `active`, if one was given.
    pub active: Option<bool>,
}

/// What a client asked a group to look like.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupInput {
    /// The display name.
    pub display_name: String,
    /// Member ids; `None` leaves members unchanged.
    pub members: Option<Vec<String>>,
    /// Other attributes (`externalId`, ...).
    pub attrs: Map<String, Value>,
}

/// Keys a client may not set on a user: the server owns them.
const SERVER_OWNED: [&str; 5] = ["id", "meta", "schemas", "active", "groups"];

fn clean_attrs(mut attrs: Map<String, Value>, server_owned: &[&str]) -> Map<String, Value> {
    attrs.retain(|k, _| !server_owned.iter().any(|s| s.eq_ignore_ascii_case(k)));
    attrs
}

fn domain_allowed(profile: &Profile, email: &str) -> bool {
    if profile.allowed_email_domains.is_empty() {
        return true;
    }
    let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
    profile.allowed_email_domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
}

fn user_name_of(attrs: &Map<String, Value>) -> Result<String, AccountError> {
    match attrs.get("userName") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        Some(Value::String(_)) => {
            Err(AccountError::InvalidValue("userName must not be empty".into()))
        }
        Some(_) => Err(AccountError::InvalidValue("userName must be a string".into())),
        None => Err(AccountError::InvalidValue("userName is required".into())),
    }
}

impl Account {
    /// An account with just its owner and the built-in groups.
    pub fn new_empty(ids: &mut IdGenerator, now: DateTime<Utc>) -> Account {
        let mut account = Account::default();
        account.ensure_builtins(ids, now);
        account.insert_owner(ids, now);
        account
    }

    /// The demo account `scimulator serve` starts with when given no seed: an owner, users in
    /// each state, and two managed groups.
    pub fn demo(ids: &mut IdGenerator, now: DateTime<Utc>) -> Account {
        let seed = crate::seed::Seed {
            users: vec![
                demo_user(
                    "alice.owner@example.com",
                    "Alice Owner",
                    UserState::Active,
                    Some(SeedRole::Owner),
                ),
                demo_user(
                    "bob.admin@example.com",
                    "Bob Admin",
                    UserState::Active,
                    Some(SeedRole::Admin),
                ),
                demo_user("carol@example.com", "Carol Active", UserState::Active, None),
                demo_user("dave@example.com", "Dave Invited", UserState::TransferStarted, None),
                demo_user("erin@example.com", "Erin Suspended", UserState::Suspended, None),
                demo_user(
                    "frank@example.com",
                    "Frank Unfinished",
                    UserState::TransferSuspended,
                    None,
                ),
                demo_user(
                    "grace@example.com",
                    "Grace Recovering",
                    UserState::RecoveryStarted,
                    None,
                ),
                demo_user(
                    "heidi@example.com",
                    "Heidi Recovered",
                    UserState::RecoveryAccepted,
                    None,
                ),
                demo_user(
                    "ivan.guest@example.com",
                    "Ivan Guest",
                    UserState::Active,
                    Some(SeedRole::Guest),
                ),
            ],
            groups: vec![
                SeedGroup {
                    display_name: "Engineering".into(),
                    members: vec!["carol@example.com".into(), "dave@example.com".into()],
                    ..Default::default()
                },
                SeedGroup {
                    display_name: "Sales".into(),
                    members: vec!["erin@example.com".into()],
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        match Account::from_seed(seed, ids, now) {
            Ok(a) => a,
            // The demo seed is fixed and valid; fall back to an empty account rather than panic.
            Err(_) => Account::new_empty(ids, now),
        }
    }

    /// An account built from a seed document's users, groups and outbox. Built-in groups the
    /// seed does not list are created; an account whose seed names no owner gets the default
    /// owner, because a 1Password account always has one.
    ///
    /// Takes the seed by value and lets go of each user once it is in the account, so a large
    /// seed's memory is reused by the account instead of adding to it.
    pub fn from_seed(
        seed: crate::seed::Seed,
        ids: &mut IdGenerator,
        now: DateTime<Utc>,
    ) -> Result<Account, String> {
        let mut account = Account::default();
        let mut seen_groups = HashSet::new();
        let mut seed_group_ids = Vec::with_capacity(seed.groups.len());
        for (i, g) in seed.groups.iter().enumerate() {
            let id = match &g.id {
                Some(id) if !crate::ids::is_base32_id(id) => {
                    return Err(format!("groups[{i}].id {id:?} is not a 26-character base32 id"));
                }
                Some(id) => id.to_ascii_lowercase(),
                None => ids.lower_id(),
            };
            if !seen_groups.insert(id.clone()) {
                return Err(format!("groups[{i}].id {id:?} is used twice"));
            }
            if g.kind.is_builtin() && account.builtin(g.kind).is_some() {
                return Err(format!("groups[{i}]: built-in group {:?} is listed twice", g.kind));
            }
            let display_name = if g.display_name.is_empty() {
                if !g.kind.is_builtin() {
                    return Err(format!("groups[{i}].displayName is required"));
                }
                g.kind.builtin_name().to_owned()
            } else {
                g.display_name.clone()
            };
            let created = g.created.unwrap_or(now);
            seed_group_ids.push(id.clone());
            let attrs = clean_attrs(
                g.attributes.clone(),
                &["id", "meta", "schemas", "displayName", "members"],
            );
            let last_modified = g.last_modified.unwrap_or(created);
            account.groups.insert(
                id.clone(),
                Group::new(id, display_name, g.kind, created, last_modified, attrs),
            );
        }
        account.ensure_builtins(ids, now);
        for (i, u) in seed.users.into_iter().enumerate() {
            let id = match &u.id {
                Some(id) if !crate::ids::is_base32_id(id) => {
                    return Err(format!("users[{i}].id {id:?} is not a 26-character base32 id"));
                }
                Some(id) => id.to_ascii_uppercase(),
                None => ids.upper_id(),
            };
            if account.users.contains_key(&id) {
                return Err(format!("users[{i}].id {id:?} is used twice"));
            }
            let user_name = u.user_name.trim().to_owned();
            if user_name.is_empty() {
                return Err(format!("users[{i}].userName is required"));
            }
            if let Some(other) = account.by_user_name.get(&user_name.to_lowercase()) {
                return Err(format!(
                    "users[{i}].userName {user_name:?} is already used by user {other}"
                ));
            }
            let mut attrs = clean_attrs(u.attributes, &SERVER_OWNED);
            attrs.insert("userName".into(), Value::String(user_name.clone()));
            if let Some(d) = &u.display_name {
                attrs.insert("displayName".into(), Value::String(d.clone()));
                if !attrs.contains_key("name") {
                    let (given, family) = d.split_once(' ').unwrap_or((d.as_str(), ""));
                    attrs.insert(
                        "name".into(),
                        serde_json::json!({"givenName": given, "familyName": family}),
                    );
                }
            }
            if !attrs.contains_key("emails") {
                attrs.insert(
                    "emails".into(),
                    serde_json::json!([{"value": user_name, "primary": true}]),
                );
            }
            if !attrs.contains_key("name") || !attrs.contains_key("displayName") {
                user::derive_names(&mut attrs, None);
            }
            let created = u.created.unwrap_or(now);
            let user = User {
                id: id.clone(),
                user_name,
                state: u.state.unwrap_or(UserState::Active),
                guest: u.role == Some(SeedRole::Guest),
                created,
                last_modified: u.last_modified.unwrap_or(created),
                signed_up_at: u.signed_up_at,
                suspended_from: u.suspended_from,
                pending_email_change: u.pending_email_change,
                attrs: attrs.into(),
                rendered: RenderMemo::default(),
                active_unassigned: false,
                member_of: Vec::new(),
            };
            if user.state == UserState::TransferStarted && user.signed_up_at.is_some() {
                account.awaiting_confirmation.push(id.clone());
            }
            account.insert_user(user);
            let role_group = match u.role {
                Some(SeedRole::Owner) => Some(GroupKind::Owners),
                Some(SeedRole::Admin) => Some(GroupKind::Administrators),
                _ => None,
            };
            if let Some(kind) = role_group {
                account.join_builtin(kind, &id);
            }
            if u.role != Some(SeedRole::Guest) {
                account.join_builtin(GroupKind::TeamMembers, &id);
            }
        }
        for (i, g) in seed.groups.iter().enumerate() {
            let gid = seed_group_ids[i].clone();
            for m in &g.members {
                let member = account.resolve_member_name(m).ok_or_else(|| {
                    format!("groups[{i}].members: {m:?} is not a user id or userName in the seed")
                })?;
                account.join(&gid, &member);
            }
        }
        if account.active_owner_count() == 0 {
            account.insert_owner(ids, now);
        }
        for (i, inv) in seed.outbox.iter().enumerate() {
            if !account.users.contains_key(&inv.user_id) {
                return Err(format!(
                    "outbox[{i}].userId {:?} is not a user in the seed",
                    inv.user_id
                ));
            }
            account.outbox.push(inv.clone());
        }
        Ok(account)
    }

    /// Writes the account as seed sections (users, groups, outbox) that [`Account::from_seed`]
    /// reads back into the same account.
    pub fn export(&self) -> (Vec<SeedUser>, Vec<SeedGroup>, Vec<Invitation>) {
        let users = self
            .users()
            .map(|u| {
                let mut attributes = u.attrs.to_map();
                attributes.remove("userName");
                SeedUser {
                    id: Some(u.id.clone()),
                    user_name: u.user_name.clone(),
                    display_name: None,
                    state: Some(u.state),
                    role: u.guest.then_some(SeedRole::Guest),
                    created: Some(u.created),
                    last_modified: Some(u.last_modified),
                    signed_up_at: u.signed_up_at,
                    suspended_from: u.suspended_from,
                    pending_email_change: u.pending_email_change.clone(),
                    attributes,
                }
            })
            .collect();
        let groups = self
            .groups()
            .map(|g| SeedGroup {
                id: Some(g.id.clone()),
                display_name: g.display_name.clone(),
                kind: g.kind,
                members: g.members.iter().cloned().collect(),
                created: Some(g.created),
                last_modified: Some(g.last_modified),
                attributes: g.attrs.clone(),
            })
            .collect();
        (users, groups, self.outbox.clone())
    }

    // ----- reading -----

    /// A user by id.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.get(id)
    }

    /// The user with this userName (case-insensitive), from the index.
    pub fn user_by_user_name(&self, user_name: &str) -> Option<&User> {
        // userNames are usually lower-case ASCII already: look those up without a copy.
        let key = if user_name.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
            Cow::Borrowed(user_name)
        } else {
            Cow::Owned(user_name.to_lowercase())
        };
        self.by_user_name.get(key.as_ref()).and_then(|id| self.users.get(id))
    }

    /// Users with this externalId (case-sensitive, as externalId is caseExact), from the index.
    pub fn users_by_external_id(&self, external_id: &str) -> impl Iterator<Item = &User> {
        self.by_external_id
            .get(external_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.users.get(id))
    }

    /// All users in creation order.
    pub fn users(&self) -> impl ExactSizeIterator<Item = &User> {
        self.users.values()
    }

    /// The user at a position of the creation order (paging).
    pub fn user_at(&self, position: usize) -> Option<&User> {
        self.users.get_index(position).map(|(_, u)| u)
    }

    /// Number of users.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// A group by id.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.get(id)
    }

    /// All groups in creation order (built-ins first).
    pub fn groups(&self) -> impl ExactSizeIterator<Item = &Group> {
        self.groups.values()
    }

    /// The built-in group of a kind.
    pub fn builtin(&self, kind: GroupKind) -> Option<&Group> {
        self.groups().find(|g| g.kind == kind && kind.is_builtin())
    }

    /// The groups a user belongs to, in group order: from the user's reverse index, so the
    /// cost is the user's memberships, not the account's groups or their sizes.
    pub fn groups_of(&self, user_id: &str) -> impl Iterator<Item = &Group> {
        let member_of = self.users.get(user_id).map_or(&[][..], |u| u.member_of.as_slice());
        self.work.membership_reads.fetch_add(member_of.len() as u64, Ordering::Relaxed);
        let mut positions: Vec<usize> =
            member_of.iter().filter_map(|g| self.groups.get_index_of(&**g)).collect();
        positions.sort_unstable();
        positions.into_iter().filter_map(|i| self.groups.get_index(i).map(|(_, g)| g))
    }

    /// Is the user an owner?
    pub fn is_owner(&self, user_id: &str) -> bool {
        self.builtin(GroupKind::Owners).is_some_and(|g| g.members.contains(user_id))
    }

    /// The work reads have done so far (renders, filter evaluations, membership reads).
    pub fn work(&self) -> Work {
        self.work.snapshot()
    }

    /// Counts one user rendered (the HTTP layer renders; the account keeps the count).
    pub fn count_render(&self) {
        self.work.renders.fetch_add(1, Ordering::Relaxed);
    }

    /// A new number for each listing, to seed the order of a shuffled list (the real bridge's
    /// order changes between calls; this keeps it reproducible for a given request sequence).
    pub fn next_list_nonce(&self) -> u64 {
        self.list_calls.next()
    }

    /// The invitation e-mails the account would have sent, oldest first.
    pub fn outbox(&self) -> &[Invitation] {
        &self.outbox
    }

    // ----- user mutations -----

    /// Refuses a userName another user already has (case-insensitively), or whose e-mail
    /// domain the profile does not allow.
    fn check_user_name_available(
        &self,
        profile: &Profile,
        user_name: &str,
    ) -> Result<(), AccountError> {
        if let Some(other) = self.user_by_user_name(user_name) {
            return Err(AccountError::DuplicateUserName {
                user_name: user_name.to_owned(),
                existing_id: other.id.clone(),
            });
        }
        if !domain_allowed(profile, user_name) {
            return Err(AccountError::EmailDomainNotAllowed(user_name.to_owned()));
        }
        Ok(())
    }

    /// Provisions (invites) a user: state `TRANSFER_STARTED`, an invitation in the outbox, and,
    /// when `active: false` was asked for, suspended straight away.
    pub fn create_user(
        &mut self,
        input: UserInput,
        profile: &Profile,
        ids: &mut IdGenerator,
        now: DateTime<Utc>,
    ) -> Result<(String, Vec<Change>), AccountError> {
        let mut attrs = clean_attrs(input.attrs, &SERVER_OWNED);
        let user_name = user_name_of(&attrs)?;
        self.check_user_name_available(profile, &user_name)?;
        attrs.insert("userName".into(), Value::String(user_name.clone()));
        if profile.user_payload != UserPayload::Full {
            user::derive_names(&mut attrs, None);
        }
        let format = profile.id_format;
        let id = fresh_id(ids, |ids| format.user_id(ids), |id| self.users.contains_key(id));
        let user = User {
            id: id.clone(),
            user_name: user_name.clone(),
            state: UserState::TransferStarted,
            guest: false,
            created: now,
            last_modified: now,
            signed_up_at: None,
            suspended_from: None,
            pending_email_change: None,
            attrs: attrs.into(),
            rendered: RenderMemo::default(),
            active_unassigned: false,
            member_of: Vec::new(),
        };
        let user_ref = user.to_ref();
        self.insert_user(user);
        self.join_builtin(GroupKind::TeamMembers, &id);
        self.outbox.push(Invitation {
            id: ids.upper_id(),
            user_id: id.clone(),
            email: user_name,
            kind: InvitationKind::Invite,
            sent_at: now,
        });
        let mut changes = vec![Change::UserProvisioned { user: user_ref }];
        if input.active == Some(false) {
            changes.extend(self.suspend_user(&id, profile, now)?);
        }
        Ok((id, changes))
    }

    /// Replaces a user's attributes (PUT, or the result of a PATCH). A new userName starts the
    /// e-mail change flow; a changed `active` suspends or reactivates.
    pub fn replace_user(
        &mut self,
        id: &str,
        input: UserInput,
        profile: &Profile,
        ids: &mut IdGenerator,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, AccountError> {
        let user = self.manageable_user(id)?;
        let mut attrs = clean_attrs(input.attrs, &SERVER_OWNED);
        let user_name = user_name_of(&attrs)?;
        attrs.insert("userName".into(), Value::String(user_name.clone()));
        let old_name = user.user_name.clone();
        let name_changed = !old_name.eq_ignore_ascii_case(&user_name);
        if name_changed {
            self.check_user_name_available(profile, &user_name)?;
        }
        let old_attrs = user.attrs.to_map();
        if profile.user_payload != UserPayload::Full {
            user::derive_names(&mut attrs, Some(&old_attrs));
        }
        let was_active = user.active();
        let wants = input.active.unwrap_or(was_active);
        if was_active && !wants {
            self.check_not_last_owner(id, profile)?;
        }
        let attrs_changed = {
            let strip = |m: &Map<String, Value>| {
                let mut m = m.clone();
                m.remove("userName");
                m
            };
            strip(&attrs) != strip(&old_attrs)
        };
        // Validation is done: from here on nothing can fail.
        let mut changes = Vec::new();
        let old_external = user.external_id().map(Cow::into_owned);
        let new_attrs = Attributes::from(&attrs);
        let new_external = new_attrs.peek().external_id.map(Cow::into_owned);
        if old_name != user_name {
            self.by_user_name.remove(&old_name.to_lowercase());
            self.by_user_name.insert(user_name.to_lowercase(), id.to_owned());
        }
        if old_external != new_external {
            self.unindex_external(id, old_external.as_deref());
            if let Some(e) = new_external {
                self.by_external_id.entry(e).or_default().push(id.to_owned());
            }
        }
        // Changed in place: the user keeps its position in the creation order.
        let u = self.user_mut(id)?;
        u.attrs = new_attrs;
        if old_name != user_name {
            u.user_name = user_name.clone();
        }
        // Giving `active` a value assigns it again; only the caller unassigns it.
        let reassigned = input.active.is_some() && u.active_unassigned;
        u.active_unassigned &= input.active.is_none();
        if name_changed || attrs_changed || was_active != wants || reassigned {
            u.last_modified = now;
        }
        let user_ref = u.to_ref();
        if name_changed {
            u.pending_email_change.get_or_insert(old_name.clone());
            self.outbox.push(Invitation {
                id: ids.upper_id(),
                user_id: id.to_owned(),
                email: user_name,
                kind: InvitationKind::EmailChange,
                sent_at: now,
            });
            changes.push(Change::UserEmailChangeStarted {
                user: user_ref.clone(),
                old_email: old_name,
            });
        }
        if attrs_changed {
            changes.push(Change::UserUpdated { user: user_ref });
        }
        if was_active && !wants {
            changes.extend(self.suspend_user(id, profile, now)?);
        } else if !was_active && wants {
            changes.extend(self.reactivate_user(id, now)?);
        }
        Ok(changes)
    }

    /// Suspends a user (`ACTIVE` → `SUSPENDED`, invited → `TRANSFER_SUSPENDED`), remembering the
    /// state to return to. Suspending a suspended user changes nothing.
    pub fn suspend_user(
        &mut self,
        id: &str,
        profile: &Profile,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, AccountError> {
        let user = self.manageable_user(id)?;
        if !user.active() {
            return Ok(Vec::new());
        }
        self.check_not_last_owner(id, profile)?;
        let u = self.user_mut(id)?;
        u.suspended_from = Some(u.state);
        u.state = u.state.suspended();
        u.last_modified = now;
        Ok(vec![Change::UserSuspended { user: u.to_ref() }])
    }

    /// Reactivates a suspended user to the state they had (an invited user returns to invited).
    /// Reactivating an active user changes nothing.
    pub fn reactivate_user(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, AccountError> {
        let user = self.manageable_user(id)?;
        if user.active() {
            return Ok(Vec::new());
        }
        let u = self.user_mut(id)?;
        u.state = match (u.state, u.suspended_from.take()) {
            (UserState::TransferSuspended, _) => UserState::TransferStarted,
            (_, Some(prev)) if prev.is_active() => prev,
            _ => UserState::Active,
        };
        u.last_modified = now;
        let change = Change::UserReactivated { user: u.to_ref() };
        // A signed-up invitee suspended before confirmation left the watcher's queue; back in
        // the invited state they are waiting for confirmation again.
        if u.state == UserState::TransferStarted
            && u.signed_up_at.is_some()
            && !self.awaiting_confirmation.iter().any(|a| a == id)
        {
            self.awaiting_confirmation.push(id.to_owned());
        }
        Ok(vec![change])
    }

    /// `DELETE /Users/{id}`: suspends (the real bridge) or removes the user
    /// (`delete_removes_user`).
    pub fn delete_user(
        &mut self,
        id: &str,
        profile: &Profile,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, AccountError> {
        if !profile.delete_removes_user {
            return self.suspend_user(id, profile, now);
        }
        let user = self.manageable_user(id)?;
        if user.active() {
            self.check_not_last_owner(id, profile)?;
        }
        let mut changes = Vec::new();
        // `shift_remove` keeps the creation order (it moves the later entries down: a memory
        // move, the one cost here that grows with the account; the bridge's DELETE suspends).
        let Some(u) = self.users.shift_remove(id) else {
            return Err(AccountError::UserNotFound(id.to_owned()));
        };
        for gid in &u.member_of {
            if let Some(g) = self.groups.get_mut(&**gid)
                && g.members.shift_remove(id)
            {
                g.last_modified = now;
            }
        }
        self.by_user_name.remove(&u.user_name.to_lowercase());
        self.unindex_external(id, u.external_id().as_deref());
        changes.push(Change::UserDeleted { user: u.to_ref() });
        Ok(changes)
    }

    // ----- control-plane operations -----

    /// The invited user accepts the invitation (signs up). They are confirmed by the
    /// confirmation watcher once `confirmation_delay_secs` have passed (at once when it is 0).
    pub fn accept_invitation(
        &mut self,
        id: &str,
        profile: &Profile,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, AccountError> {
        let u = self.user_mut(id)?;
        if u.state != UserState::TransferStarted || u.signed_up_at.is_some() {
            return Err(AccountError::InvalidValue(format!(
                "user {id} has no open invitation (state {}{})",
                u.state.as_str(),
                if u.signed_up_at.is_some() { ", already signed up" } else { "" }
            )));
        }
        u.signed_up_at = Some(now);
        u.last_modified = now;
        let user = u.to_ref();
        self.awaiting_confirmation.push(id.to_owned());
        let mut changes = vec![Change::InvitationAccepted { user }];
        changes.extend(self.run_confirmation_watcher(profile, now));
        Ok(changes)
    }

    /// Whether any signed-up invited user still waits for the confirmation watcher.
    pub fn awaiting_confirmation(&self) -> bool {
        !self.awaiting_confirmation.is_empty()
    }

    /// Whether [`Account::run_confirmation_watcher`] would change anything at `now` (confirm a
    /// user, or drop one that no longer waits): lets readers skip taking the account
    /// exclusively when there is nothing to do (nearly always).
    pub fn confirmation_due(&self, profile: &Profile, now: DateTime<Utc>) -> bool {
        let Some(delay) = confirmation_delay(profile) else { return false };
        self.awaiting_confirmation
            .iter()
            .any(|id| watch(self.users.get(id), delay, now) != Watch::Wait)
    }

    /// The confirmation watcher: confirms (`ACTIVE`) every signed-up invited user whose sign-up
    /// is at least `confirmation_delay_secs` old. Called before each operation, so a manual
    /// clock decides exactly when confirmation happens.
    pub fn run_confirmation_watcher(
        &mut self,
        profile: &Profile,
        now: DateTime<Utc>,
    ) -> Vec<Change> {
        if self.awaiting_confirmation.is_empty() {
            return Vec::new();
        }
        let Some(delay) = confirmation_delay(profile) else { return Vec::new() };
        let mut changes = Vec::new();
        let users = &mut self.users;
        self.awaiting_confirmation.retain(|id| {
            match watch(users.get(id), delay, now) {
                Watch::Wait => return true,
                Watch::Drop => return false,
                Watch::Confirm => {}
            }
            let Some(u) = users.get_mut(id) else { return false };
            u.rendered.clear();
            u.state = UserState::Active;
            u.last_modified = now;
            changes.push(Change::UserConfirmed { user: u.to_ref() });
            false
        });
        changes
    }

    /// Confirms every signed-up invited user now, whatever the delay (the control plane's
    /// "run the watcher now").
    pub fn confirm_all_now(&mut self, now: DateTime<Utc>) -> Vec<Change> {
        let profile = Profile { confirmation_delay_secs: Some(0), ..Profile::default() };
        self.run_confirmation_watcher(&profile, now)
    }

    /// Sets a user's state directly (the control plane), with the change it amounts to.
    pub fn set_user_state(
        &mut self,
        id: &str,
        state: UserState,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, AccountError> {
        let u = self.user_mut(id)?;
        if u.state == state {
            return Ok(Vec::new());
        }
        let (was_active, prev) = (u.state.is_active(), u.state);
        u.state = state;
        u.last_modified = now;
        if state.is_active() {
            u.suspended_from = None;
        } else if was_active {
            u.suspended_from = Some(prev);
        }
        if state == UserState::TransferStarted {
            u.signed_up_at = None;
        }
        let user = u.to_ref();
        Ok(match (was_active, state.is_active()) {
            (true, false) => vec![Change::UserSuspended { user }],
            (false, true) => vec![Change::UserReactivated { user }],
            _ if state == UserState::Active && prev == UserState::TransferStarted => {
                vec![Change::UserConfirmed { user }]
            }
            _ => vec![Change::UserUpdated { user }],
        })
    }

    // ----- group mutations -----

    /// Creates a managed group with its members.
    pub fn create_group(
        &mut self,
        input: GroupInput,
        profile: &Profile,
        ids: &mut IdGenerator,
        now: DateTime<Utc>,
    ) -> Result<(String, Vec<Change>), AccountError> {
        let display_name = input.display_name.trim().to_owned();
        if display_name.is_empty() {
            return Err(AccountError::InvalidValue("displayName is required".into()));
        }
        let members = self.check_members(input.members.unwrap_or_default(), None, profile)?;
        let format = profile.id_format;
        let id = fresh_id(ids, |ids| format.group_id(ids), |id| self.groups.contains_key(id));
        let attrs = clean_attrs(input.attrs, &["id", "meta", "schemas", "displayName", "members"]);
        let group = Group::new(id.clone(), display_name, GroupKind::Managed, now, now, attrs);
        let gref = group.to_ref();
        self.groups.insert(id.clone(), group);
        let mut changes = vec![Change::GroupCreated { group: gref }];
        changes.extend(self.set_members(&id, members, now));
        Ok((id, changes))
    }

    /// Replaces a group's name, attributes and (when given) members.
    pub fn replace_group(
        &mut self,
        id: &str,
        input: GroupInput,
        profile: &Profile,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, AccountError> {
        let group =
            self.groups.get(id).ok_or_else(|| AccountError::GroupNotFound(id.to_owned()))?;
        let display_name = input.display_name.trim().to_owned();
        if display_name.is_empty() {
            return Err(AccountError::InvalidValue("displayName is required".into()));
        }
        if group.kind.is_builtin() && display_name != group.display_name {
            return Err(AccountError::BuiltinGroup(group.display_name.clone()));
        }
        let attrs = clean_attrs(input.attrs, &["id", "meta", "schemas", "displayName", "members"]);
        let members = match input.members {
            Some(m) => Some(self.check_members(m, Some(id), profile)?),
            None => None,
        };
        let group =
            self.groups.get_mut(id).ok_or_else(|| AccountError::GroupNotFound(id.to_owned()))?;
        let mut changes = Vec::new();
        if group.display_name != display_name || group.attrs != attrs {
            group.display_name = display_name;
            group.attrs = attrs;
            group.last_modified = now;
            changes.push(Change::GroupUpdated { group: group.to_ref() });
        }
        if let Some(members) = members {
            changes.extend(self.set_members(id, members, now));
        }
        Ok(changes)
    }

    /// Deletes a managed group (built-ins cannot be deleted).
    pub fn delete_group(&mut self, id: &str) -> Result<Vec<Change>, AccountError> {
        let group =
            self.groups.get(id).ok_or_else(|| AccountError::GroupNotFound(id.to_owned()))?;
        if group.kind.is_builtin() {
            return Err(AccountError::BuiltinGroup(group.display_name.clone()));
        }
        let Some(group) = self.groups.shift_remove(id) else {
            return Err(AccountError::GroupNotFound(id.to_owned()));
        };
        for m in &group.members {
            if let Some(u) = self.users.get_mut(m) {
                u.member_of.retain(|g| &**g != id);
            }
        }
        // A nested group is a member of other groups: one set lookup per group.
        for g in self.groups.values_mut() {
            g.members.shift_remove(id);
        }
        Ok(vec![Change::GroupDeleted { group: group.to_ref() }])
    }

    // ----- internals -----

    /// A stored user to change. Empties the user's [`RenderMemo`] first: every change to a
    /// stored user comes through here (or clears it itself), so no reader sees a stale rendering.
    /// Unassigns SCIM `active` (RFC 7644 §3.5.2.2 `remove`): the user's state stays as it is,
    /// only the attribute stops being returned. Returns whether anything changed.
    pub fn unassign_active(&mut self, id: &str, now: DateTime<Utc>) -> Result<bool, AccountError> {
        self.manageable_user(id)?;
        let u = self.user_mut(id)?;
        if u.active_unassigned {
            return Ok(false);
        }
        u.active_unassigned = true;
        u.last_modified = now;
        Ok(true)
    }

    fn user_mut(&mut self, id: &str) -> Result<&mut User, AccountError> {
        let u = self.users.get_mut(id).ok_or_else(|| AccountError::UserNotFound(id.to_owned()))?;
        u.rendered.clear();
        Ok(u)
    }

    fn insert_user(&mut self, user: User) {
        self.by_user_name.insert(user.user_name.to_lowercase(), user.id.clone());
        if let Some(e) = user.external_id() {
            self.by_external_id.entry(e.into_owned()).or_default().push(user.id.clone());
        }
        self.users.insert(user.id.clone(), user);
    }

    fn unindex_external(&mut self, id: &str, external: Option<&str>) {
        if let Some(e) = external
            && let Some(list) = self.by_external_id.get_mut(e)
        {
            list.retain(|x| x != id);
            if list.is_empty() {
                self.by_external_id.remove(e);
            }
        }
    }

    fn ensure_builtins(&mut self, ids: &mut IdGenerator, now: DateTime<Utc>) {
        let mut missing = Vec::new();
        for kind in GroupKind::BUILTIN {
            if self.builtin(kind).is_none() {
                let name = kind.builtin_name().to_owned();
                missing.push(Group::new(ids.lower_id(), name, kind, now, now, Map::new()));
            }
        }
        if missing.is_empty() {
            return;
        }
        // Built-ins come first in listings, as in a real account.
        let rest = std::mem::take(&mut self.groups);
        self.groups.extend(missing.into_iter().map(|g| (g.id.clone(), g)));
        self.groups.extend(rest);
    }

    fn insert_owner(&mut self, ids: &mut IdGenerator, now: DateTime<Utc>) {
        let mut user_name = "owner@example.com".to_owned();
        let mut n = 1;
        while self.by_user_name.contains_key(&user_name) {
            n += 1;
            user_name = format!("owner{n}@example.com");
        }
        let mut attrs = Map::new();
        attrs.insert("userName".into(), Value::String(user_name.clone()));
        attrs.insert("displayName".into(), Value::String("Account Owner".into()));
        attrs.insert("emails".into(), serde_json::json!([{"value": user_name, "primary": true}]));
        user::derive_names(&mut attrs, None);
        let id = ids.upper_id();
        self.insert_user(User {
            id: id.clone(),
            user_name,
            state: UserState::Active,
            guest: false,
            created: now,
            last_modified: now,
            signed_up_at: None,
            suspended_from: None,
            pending_email_change: None,
            attrs: attrs.into(),
            rendered: RenderMemo::default(),
            active_unassigned: false,
            member_of: Vec::new(),
        });
        self.join_builtin(GroupKind::Owners, &id);
        self.join_builtin(GroupKind::TeamMembers, &id);
    }

    /// Adds a member to a built-in group.
    fn join_builtin(&mut self, kind: GroupKind, user_id: &str) {
        if let Some(gid) = self.builtin(kind).map(|g| g.id.clone()) {
            self.join(&gid, user_id);
        }
    }

    /// Adds a member to a group, keeping the user's reverse index in step. Returns whether the
    /// member is new. O(1): a set insert and a push.
    fn join(&mut self, gid: &str, member: &str) -> bool {
        let Some(g) = self.groups.get_mut(gid) else { return false };
        if !g.members.insert(member.to_owned()) {
            return false;
        }
        if let Some(u) = self.users.get_mut(member) {
            u.member_of.push(g.handle.clone());
        }
        true
    }

    fn resolve_member_name(&self, m: &str) -> Option<String> {
        if self.users.contains_key(m) {
            return Some(m.to_owned());
        }
        if let Some(u) = self.user_by_user_name(m) {
            return Some(u.id.clone());
        }
        let up = m.to_ascii_uppercase();
        self.users.contains_key(&up).then_some(up)
    }

    fn manageable_user(&self, id: &str) -> Result<&User, AccountError> {
        let user = self.users.get(id).ok_or_else(|| AccountError::UserNotFound(id.to_owned()))?;
        if user.guest {
            return Err(AccountError::GuestNotManageable(id.to_owned()));
        }
        Ok(user)
    }

    fn active_owner_count(&self) -> usize {
        self.builtin(GroupKind::Owners).map_or(0, |g| {
            g.members.iter().filter(|m| self.users.get(*m).is_some_and(User::active)).count()
        })
    }

    fn check_not_last_owner(&self, id: &str, profile: &Profile) -> Result<(), AccountError> {
        let user_active = self.users.get(id).is_some_and(User::active);
        if profile.protect_last_owner
            && user_active
            && self.is_owner(id)
            && self.active_owner_count() <= 1
        {
            return Err(AccountError::LastOwner(id.to_owned()));
        }
        Ok(())
    }

    /// Validates member ids (existing users; groups only when nesting is allowed; never the
    /// group itself), removing duplicates. For the Owners group, also refuses to leave it
    /// without an active owner.
    fn check_members(
        &self,
        members: Vec<String>,
        group_id: Option<&str>,
        profile: &Profile,
    ) -> Result<MemberSet, AccountError> {
        let mut out = MemberSet::with_capacity_and_hasher(members.len(), Default::default());
        for m in members {
            if self.users.contains_key(&m) {
                if self.users.get(&m).is_some_and(|u| u.guest) {
                    return Err(AccountError::GuestNotManageable(m));
                }
            } else if self.groups.contains_key(&m) {
                if profile.reject_nested_groups || Some(m.as_str()) == group_id {
                    return Err(AccountError::NestedGroup(m));
                }
            } else {
                return Err(AccountError::UnknownMember(m));
            }
            out.insert(m);
        }
        if let Some(gid) = group_id {
            let is_owners = self.groups.get(gid).is_some_and(|g| g.kind == GroupKind::Owners);
            let any_active = out.iter().any(|m| self.users.get(m).is_some_and(User::active));
            if is_owners && profile.protect_last_owner && !any_active {
                let current = self.groups.get(gid).and_then(|g| g.members.first().cloned());
                return Err(AccountError::LastOwner(current.unwrap_or_default()));
            }
        }
        Ok(out)
    }

    /// Replaces a group's members (validated by [`Account::check_members`]). Costs the old and
    /// new member counts (set differences), never the account's size.
    fn set_members(&mut self, gid: &str, members: MemberSet, now: DateTime<Utc>) -> Vec<Change> {
        let Some(group) = self.groups.get(gid) else { return Vec::new() };
        if group.members.iter().eq(members.iter()) {
            return Vec::new();
        }
        let gref = group.to_ref();
        let handle = group.handle.clone();
        let left: Vec<String> =
            group.members.iter().filter(|m| !members.contains(*m)).cloned().collect();
        let joined: Vec<String> =
            members.iter().filter(|m| !group.members.contains(*m)).cloned().collect();
        let mut changes = Vec::with_capacity(left.len() + joined.len());
        for m in &left {
            if let Some(u) = self.users.get_mut(m) {
                u.member_of.retain(|g| *g != handle);
                changes.push(Change::MemberLeft { group: gref.clone(), user: u.to_ref() });
            }
        }
        for m in &joined {
            if let Some(u) = self.users.get_mut(m) {
                u.member_of.push(handle.clone());
                changes.push(Change::MemberJoined { group: gref.clone(), user: u.to_ref() });
            }
        }
        if let Some(g) = self.groups.get_mut(gid) {
            g.members = members;
            g.last_modified = now;
        }
        changes
    }
}

fn demo_user(user_name: &str, display: &str, state: UserState, role: Option<SeedRole>) -> SeedUser {
    SeedUser {
        user_name: user_name.into(),
        display_name: Some(display.into()),
        state: Some(state),
        role,
        suspended_from: (!state.is_active()).then_some(UserState::Active),
        ..Default::default()
    }
}

/// What the confirmation watcher does with a user on its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Watch {
    /// Not due yet: keep waiting.
    Wait,
    /// Due: confirm (`ACTIVE`).
    Confirm,
    /// No longer waiting (gone, never signed up, or moved on): take off the list.
    Drop,
}

/// The watcher's one rule, shared by the watcher and the readers' check that it has work.
fn watch(u: Option<&User>, delay: Duration, now: DateTime<Utc>) -> Watch {
    match u.and_then(|u| u.signed_up_at.filter(|_| u.state == UserState::TransferStarted)) {
        None => Watch::Drop,
        Some(signed_up) if signed_up + delay > now => Watch::Wait,
        Some(_) => Watch::Confirm,
    }
}

/// The profile's confirmation delay; `None` when the watcher is off.
fn confirmation_delay(profile: &Profile) -> Option<Duration> {
    let secs = profile.confirmation_delay_secs?;
    Some(Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000)))
}

/// The next id from the stream that names nothing yet: an imported or seeded resource may hold
/// any id, and a new resource must never take it (a clash is impossible by construction).
fn fresh_id(
    ids: &mut IdGenerator,
    draw: impl Fn(&mut IdGenerator) -> String,
    taken: impl Fn(&str) -> bool,
) -> String {
    loop {
        let id = draw(ids);
        if !taken(&id) {
            return id;
        }
    }
}

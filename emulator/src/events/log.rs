//! The tenant's event log: three append-only streams (audit events, item usages, sign-in
//! attempts), the identity events are attributed to, the tokens issued, and paging.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::cursor::{Cursor, CursorCodec, StreamKind};
use super::model::{
    AuditEvent, AuditEventDoc, ItemUsage, ItemUsageDoc, Person, Session, Shape, SignInAttempt,
    SignInAttemptDoc,
};
use super::query::{EventsError, PageRequest, V3Request};
use super::render::{self, Actor};
use super::stream::{Stream, Window, from_micros, micros};
use super::synthetic;
use super::token::{IssuedToken, TokenRequest, TokenSigner};
use crate::account::{Change, UserRef};
use crate::ids::IdGenerator;
use crate::profile::V3Params;

/// The `events` section of a seed document: explicit events of each kind (the same JSON the
/// API returns; `uuid` and `timestamp` may be omitted) and synthetic ones to generate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedEvents {
    /// Audit events (actor defaults to the Provision Manager).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit_events: Vec<AuditEventDoc>,
    /// Item usages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item_usages: Vec<ItemUsageDoc>,
    /// Sign-in attempts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signin_attempts: Vec<SignInAttemptDoc>,
    /// Synthetic events generated after the explicit ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate: Option<GenerateEvents>,
}

/// How many synthetic events a seed asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateEvents {
    /// Sign-in attempts to generate.
    #[serde(default)]
    pub signin_attempts: usize,
    /// Item usages to generate.
    #[serde(default)]
    pub item_usages: usize,
    /// Generator seed.
    #[serde(default)]
    pub seed: u64,
}

/// A v1/v2 page: `{cursor, has_more, items}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    /// Where to continue.
    pub cursor: String,
    /// More events may follow.
    pub has_more: bool,
    /// The events.
    pub items: Vec<T>,
}

/// The tenant's event log.
#[derive(Debug, Clone)]
pub struct EventLog {
    account_uuid: String,
    actor: Actor,
    signer: TokenSigner,
    cursors: CursorCodec,
    tokens: Vec<IssuedToken>,
    audit: Stream<AuditEvent>,
    item_usages: Stream<ItemUsage>,
    signin_attempts: Stream<SignInAttempt>,
    /// Users seen in account changes: the people synthetic events are about.
    known_users: BTreeMap<String, Arc<Person>>,
}

/// What makes a log this account's, apart from its events: the account uuid, the Provision
/// Manager and its session, the token signing key, the cursor secret and the tokens issued.
/// The state file keeps it so that the tokens and cursors clients hold still work after a
/// restart; a log rebuilt from its events alone would draw all of these anew.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogIdentity {
    /// The account uuid.
    pub account_uuid: String,
    /// The Provision Manager's user uuid.
    pub actor_uuid: String,
    /// Its session's uuid.
    pub session_uuid: String,
    /// Its session's device uuid.
    pub device_uuid: String,
    /// When its session signed in.
    pub login_time: DateTime<Utc>,
    /// The signing key's id (`kid`).
    pub signing_kid: String,
    /// The signing key's secret scalar, base64url.
    pub signing_key: String,
    /// The cursor secret, base64url.
    pub cursor_key: String,
    /// Every token issued, oldest (the tenant's default token) first.
    pub tokens: Vec<IssuedToken>,
}

impl Default for EventLog {
    /// A log for a fixed identity (seed 0); tenants are built with [`EventLog::from_seed`].
    fn default() -> Self {
        EventLog::new(&mut IdGenerator::new(0), DateTime::UNIX_EPOCH)
    }
}

impl EventLog {
    /// An empty log whose identity (account uuid, Provision Manager, signing key, cursor
    /// secret) and default all-features token are drawn from `ids`.
    pub fn new(ids: &mut IdGenerator, now: DateTime<Utc>) -> EventLog {
        let account_uuid = ids.upper_id();
        let person = Arc::new(Person::user(
            &ids.upper_id(),
            "Provision Manager",
            "provision-manager@scim-bridge.invalid",
        ));
        let session = Arc::new(Session {
            uuid: ids.upper_id(),
            login_time: now,
            device_uuid: ids.lower_id(),
            ip: "127.0.0.1".to_owned(),
        });
        let signer = TokenSigner::derive(ids);
        let mut key = [0u8; 32];
        for chunk in key.chunks_mut(8) {
            chunk.copy_from_slice(&ids.next_u64().to_be_bytes());
        }
        let mut log = EventLog {
            account_uuid,
            actor: Actor { person, session },
            signer,
            cursors: CursorCodec::new(key),
            tokens: Vec::new(),
            audit: Stream::default(),
            item_usages: Stream::default(),
            signin_attempts: Stream::default(),
            known_users: BTreeMap::new(),
        };
        log.mint(&TokenRequest::all_features(), ids, now);
        log
    }

    /// A log holding the seed's events.
    pub fn from_seed(
        seed: Option<&SeedEvents>,
        ids: &mut IdGenerator,
        now: DateTime<Utc>,
    ) -> Result<EventLog, String> {
        let mut log = EventLog::new(ids, now);
        let Some(seed) = seed else { return Ok(log) };
        let at = |kind: &'static str, i: usize| move |e: String| format!("events.{kind}[{i}]: {e}");
        for (i, doc) in seed.audit_events.iter().enumerate() {
            let e = AuditEvent::from_doc(doc.clone(), &log.actor.person, ids, now)
                .map_err(at("audit_events", i))?;
            log.audit.push(e.timestamp, now, e);
        }
        for (i, doc) in seed.item_usages.iter().enumerate() {
            let e = ItemUsage::from_doc(doc.clone(), ids, now).map_err(at("item_usages", i))?;
            log.item_usages.push(e.timestamp, now, e);
        }
        for (i, doc) in seed.signin_attempts.iter().enumerate() {
            let e =
                SignInAttempt::from_doc(doc.clone(), ids, now).map_err(at("signin_attempts", i))?;
            log.signin_attempts.push(e.timestamp, now, e);
        }
        if let Some(g) = &seed.generate {
            log.generate_signin_attempts(g.signin_attempts, g.seed, now);
            log.generate_item_usages(g.item_usages, g.seed, now);
        }
        Ok(log)
    }

    /// The log as a seed section (explicit events of every kind, in order, v2 shape), so an
    /// exported tenant loads back with the same events.
    pub fn to_seed(&self) -> SeedEvents {
        // v2 without the MSP fields: those carry this account's uuid, which a re-import into
        // another tenant would contradict; the account's own uuid is filled in when served.
        let shape = Shape { msp: false, ..Shape::full(&self.account_uuid) };
        SeedEvents {
            audit_events: self.audit.events().iter().map(|e| e.render(&shape)).collect(),
            item_usages: self.item_usages.events().iter().map(|e| e.render(&shape)).collect(),
            signin_attempts: self
                .signin_attempts
                .events()
                .iter()
                .map(|e| e.render(&shape))
                .collect(),
            generate: None,
        }
    }

    /// Appends the audit events that `changes` produce.
    pub fn record(&mut self, changes: &[Change], now: DateTime<Utc>, ids: &mut IdGenerator) {
        for change in changes {
            self.learn_user(change);
            let event = render::audit_event(change, &self.actor, ids, now);
            self.audit.push(now, now, event);
        }
    }

    fn learn_user(&mut self, change: &Change) {
        use Change::*;
        match change {
            UserProvisioned { user }
            | InvitationAccepted { user }
            | UserConfirmed { user }
            | UserSuspended { user }
            | UserReactivated { user }
            | UserUpdated { user }
            | UserEmailChangeStarted { user, .. }
            | MemberJoined { user, .. }
            | MemberLeft { user, .. } => {
                let p = Arc::new(Person::user(&user.id, &user.name, &user.email));
                self.known_users.insert(user.id.clone(), p);
            }
            UserDeleted { user } => {
                self.known_users.remove(&user.id);
            }
            GroupCreated { .. } | GroupUpdated { .. } | GroupDeleted { .. } => {}
        }
    }

    // --- identity and tokens -----------------------------------------------------------------

    /// The account uuid events and tokens carry.
    pub fn account_uuid(&self) -> &str {
        &self.account_uuid
    }

    /// The Provision Manager: the actor of SCIM-driven audit events.
    pub fn provision_manager(&self) -> &Person {
        &self.actor.person
    }

    /// The log's identity, for the state file.
    pub fn identity(&self) -> LogIdentity {
        LogIdentity {
            account_uuid: self.account_uuid.clone(),
            actor_uuid: self.actor.person.uuid.to_string(),
            session_uuid: self.actor.session.uuid.clone(),
            device_uuid: self.actor.session.device_uuid.clone(),
            login_time: self.actor.session.login_time,
            signing_kid: self.signer.kid().to_owned(),
            signing_key: URL_SAFE_NO_PAD.encode(self.signer.secret()),
            cursor_key: URL_SAFE_NO_PAD.encode(self.cursors.key()),
            tokens: self.tokens.clone(),
        }
    }

    /// Takes on a saved identity (see [`LogIdentity`]); the events stay as they are. All or
    /// nothing: a bad key or an empty token list changes nothing.
    pub fn adopt_identity(&mut self, id: &LogIdentity) -> Result<(), String> {
        let decode = |what: &str, text: &str| {
            URL_SAFE_NO_PAD.decode(text).map_err(|e| format!("events identity: {what}: {e}"))
        };
        let signer = TokenSigner::from_secret(
            id.signing_kid.clone(),
            &decode("signing_key", &id.signing_key)?,
        )
        .map_err(|e| format!("events identity: signing_key: {e}"))?;
        let cursor_key: [u8; 32] = decode("cursor_key", &id.cursor_key)?
            .try_into()
            .map_err(|_| "events identity: cursor_key: a cursor secret is 32 bytes".to_owned())?;
        if id.tokens.is_empty() {
            return Err("events identity: tokens: the tenant's default token is missing".into());
        }
        let person = Arc::new(Person::user(
            &id.actor_uuid,
            &self.actor.person.name,
            &self.actor.person.email,
        ));
        let session = Arc::new(Session {
            uuid: id.session_uuid.clone(),
            login_time: id.login_time,
            device_uuid: id.device_uuid.clone(),
            ip: self.actor.session.ip.clone(),
        });
        self.account_uuid = id.account_uuid.clone();
        self.actor = Actor { person, session };
        self.signer = signer;
        self.cursors = CursorCodec::new(cursor_key);
        self.tokens = id.tokens.clone();
        Ok(())
    }

    /// The signing key (its public half verifies tokens).
    pub fn signer(&self) -> &TokenSigner {
        &self.signer
    }

    /// Mints and remembers a token.
    pub fn mint(
        &mut self,
        request: &TokenRequest,
        ids: &mut IdGenerator,
        now: DateTime<Utc>,
    ) -> IssuedToken {
        let token = self.signer.mint(request, &self.account_uuid, ids, now);
        self.tokens.push(token.clone());
        token
    }

    /// The token minted with the tenant (all features, no expiry).
    pub fn default_token(&self) -> &IssuedToken {
        &self.tokens[0]
    }

    /// Every token issued, oldest first.
    pub fn tokens(&self) -> &[IssuedToken] {
        &self.tokens
    }

    /// The issued token with this bearer string.
    pub fn find_token(&self, bearer: &str) -> Option<&IssuedToken> {
        self.tokens.iter().find(|t| t.token == bearer)
    }

    // --- appending -----------------------------------------------------------------------------

    /// Appends explicit audit events; all or nothing. Returns their uuids.
    pub fn append_audit_events(
        &mut self,
        docs: Vec<AuditEventDoc>,
        ids: &mut IdGenerator,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, String> {
        let events = docs
            .into_iter()
            .enumerate()
            .map(|(i, d)| {
                AuditEvent::from_doc(d, &self.actor.person, ids, now)
                    .map_err(|e| format!("events[{i}]: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(events
            .into_iter()
            .map(|e| {
                let u = e.uuid.to_string();
                self.audit.push(e.timestamp, now, e);
                u
            })
            .collect())
    }

    /// Appends explicit item usages; all or nothing. Returns their uuids.
    pub fn append_item_usages(
        &mut self,
        docs: Vec<ItemUsageDoc>,
        ids: &mut IdGenerator,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, String> {
        let events = docs
            .into_iter()
            .enumerate()
            .map(|(i, d)| ItemUsage::from_doc(d, ids, now).map_err(|e| format!("events[{i}]: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(events
            .into_iter()
            .map(|e| {
                let u = e.uuid.to_string();
                self.item_usages.push(e.timestamp, now, e);
                u
            })
            .collect())
    }

    /// Appends explicit sign-in attempts; all or nothing. Returns their uuids.
    pub fn append_signin_attempts(
        &mut self,
        docs: Vec<SignInAttemptDoc>,
        ids: &mut IdGenerator,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, String> {
        let events = docs
            .into_iter()
            .enumerate()
            .map(|(i, d)| {
                SignInAttempt::from_doc(d, ids, now).map_err(|e| format!("events[{i}]: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(events
            .into_iter()
            .map(|e| {
                let u = e.uuid.to_string();
                self.signin_attempts.push(e.timestamp, now, e);
                u
            })
            .collect())
    }

    /// Learns the account's current users (id, name, e-mail), so generated events are about
    /// people the SCIM bridge lists, not only those seen in account changes since start.
    pub fn learn_users<'a>(&mut self, users: impl IntoIterator<Item = &'a UserRef>) {
        for user in users {
            let p = Arc::new(Person::user(&user.id, &user.name, &user.email));
            self.known_users.insert(user.id.clone(), p);
        }
    }

    fn users(&self) -> Vec<Arc<Person>> {
        self.known_users.values().cloned().collect()
    }

    /// Appends `n` synthetic sign-in attempts (about the users seen so far). Returns their uuids.
    pub fn generate_signin_attempts(
        &mut self,
        n: usize,
        seed: u64,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        let events = synthetic::sign_in_attempts(n, seed, &self.users(), now);
        events
            .into_iter()
            .map(|e| {
                let u = e.uuid.to_string();
                self.signin_attempts.push(e.timestamp, now, e);
                u
            })
            .collect()
    }

    /// Appends `n` synthetic item usages. Returns their uuids.
    pub fn generate_item_usages(&mut self, n: usize, seed: u64, now: DateTime<Utc>) -> Vec<String> {
        let events = synthetic::item_usages(n, seed, &self.users(), now);
        events
            .into_iter()
            .map(|e| {
                let u = e.uuid.to_string();
                self.item_usages.push(e.timestamp, now, e);
                u
            })
            .collect()
    }

    /// The audit stream.
    pub fn audit_events(&self) -> &Stream<AuditEvent> {
        &self.audit
    }

    /// The item usage stream.
    pub fn item_usage_events(&self) -> &Stream<ItemUsage> {
        &self.item_usages
    }

    /// The sign-in attempt stream.
    pub fn signin_attempt_events(&self) -> &Stream<SignInAttempt> {
        &self.signin_attempts
    }

    // --- reading -------------------------------------------------------------------------------

    /// Where a v1/v2 request starts: the cursor's position, or a binary search for `start_time`.
    fn resolve<T>(
        &self,
        stream: &Stream<T>,
        kind: StreamKind,
        req: &PageRequest,
        now: DateTime<Utc>,
    ) -> Result<Cursor, EventsError> {
        match req {
            PageRequest::Resume { cursor } => {
                let c = self
                    .cursors
                    .decode(cursor, kind)
                    .map_err(|e| EventsError::BadRequest(format!("cursor: {e}")))?;
                if c.position > stream.len() as u64 {
                    return Err(EventsError::BadRequest(
                        "cursor: points past the end of this account's events (was the tenant reset?)".into(),
                    ));
                }
                Ok(c)
            }
            PageRequest::Reset { limit, start_time, end_time } => {
                let start =
                    start_time.unwrap_or_else(|| end_time.unwrap_or(now) - Duration::hours(1));
                // Bounds are inclusive and whole-second, as event timestamps are.
                let position =
                    stream.first_at_or_after(start.timestamp().saturating_mul(1_000_000)) as u64;
                let end_excl_micros =
                    end_time.map(|e| (e.timestamp() + 1).saturating_mul(1_000_000));
                Ok(Cursor { kind, position, limit: *limit, end_excl_micros })
            }
        }
    }

    fn page<T, D>(
        &self,
        stream: &Stream<T>,
        kind: StreamKind,
        req: &PageRequest,
        now: DateTime<Utc>,
        render: impl Fn(&T) -> D,
    ) -> Result<Page<D>, EventsError> {
        let c = self.resolve(stream, kind, req, now)?;
        let w = stream
            .window(c.position, usize::from(c.limit), c.end_excl_micros)
            .unwrap_or(Window { start: 0, end: 0, has_more: false });
        let items = stream.events()[w.start..w.end].iter().map(render).collect();
        let next = Cursor { position: w.end as u64, ..c };
        Ok(Page { cursor: self.cursors.encode(&next), has_more: w.has_more, items })
    }

    /// A page of audit events (v1/v2).
    pub fn page_audit_events(
        &self,
        req: &PageRequest,
        shape: &Shape<'_>,
        now: DateTime<Utc>,
    ) -> Result<Page<AuditEventDoc>, EventsError> {
        self.page(&self.audit, StreamKind::Audit, req, now, |e| e.render(shape))
    }

    /// A page of item usages (v1/v2).
    pub fn page_item_usages(
        &self,
        req: &PageRequest,
        shape: &Shape<'_>,
        now: DateTime<Utc>,
    ) -> Result<Page<ItemUsageDoc>, EventsError> {
        self.page(&self.item_usages, StreamKind::ItemUsages, req, now, |e| e.render(shape))
    }

    /// A page of sign-in attempts (v1/v2).
    pub fn page_signin_attempts(
        &self,
        req: &PageRequest,
        shape: &Shape<'_>,
        now: DateTime<Utc>,
    ) -> Result<Page<SignInAttemptDoc>, EventsError> {
        self.page(&self.signin_attempts, StreamKind::SignInAttempts, req, now, |e| e.render(shape))
    }

    /// A v3 (beta) page of audit events, in the profile's parameter/response variant.
    pub fn page_v3(
        &self,
        req: &V3Request,
        variant: V3Params,
        actions: super::v3_actions::V3Actions,
        now: DateTime<Utc>,
    ) -> Result<Value, EventsError> {
        let stream = &self.audit;
        let cursor = match &req.page_token {
            Some(t) => {
                let c = self
                    .cursors
                    .decode(t, StreamKind::AuditV3)
                    .map_err(|e| EventsError::BadRequest(format!("page token: {e}")))?;
                if c.position > stream.len() as u64 {
                    return Err(EventsError::BadRequest(
                        "page token: points past the end of this account's events".into(),
                    ));
                }
                c
            }
            None => {
                let start = req
                    .start_time
                    .unwrap_or_else(|| req.end_time.unwrap_or(now) - Duration::hours(1));
                let (position, end_excl_micros) = match variant {
                    // Exclusive bounds on insertion time, to the microsecond.
                    V3Params::MaxPageSize => {
                        (stream.first_after(micros(start)), req.end_time.map(micros))
                    }
                    // Inclusive, whole seconds (as v1/v2).
                    V3Params::PageSize => (
                        stream.first_at_or_after(start.timestamp().saturating_mul(1_000_000)),
                        req.end_time.map(|e| (e.timestamp() + 1).saturating_mul(1_000_000)),
                    ),
                };
                Cursor {
                    kind: StreamKind::AuditV3,
                    position: position as u64,
                    limit: req.page_size,
                    end_excl_micros,
                }
            }
        };
        let w = stream
            .window(cursor.position, usize::from(cursor.limit), cursor.end_excl_micros)
            .unwrap_or(Window { start: 0, end: 0, has_more: false });
        let events: Vec<Value> = (w.start..w.end)
            .filter_map(|i| stream.get(i))
            .map(|(e, key)| self.v3_event(e, key, actions))
            .collect();
        let token = self.cursors.encode(&Cursor { position: w.end as u64, ..cursor });
        let mut body = json!({"audit_events": events});
        if variant == V3Params::PageSize {
            body["has_more"] = json!(w.has_more);
        }
        if w.has_more {
            body["next_page_token"] = json!(token);
        }
        Ok(body)
    }

    /// The v3 event shape: actor, targets and context (field names beyond `audit_events`,
    /// `insert_time` and `next_page_token` are not documented; these are the emulator's).
    fn v3_event(&self, e: &AuditEvent, key: i64, actions: super::v3_actions::V3Actions) -> Value {
        let person = |kind: &str, p: &Person| json!({"type": kind, "uuid": &*p.uuid, "name": p.name, "email": p.email});
        let mut targets = vec![match &e.object_details {
            Some(p) => person(e.object_type, p),
            None => json!({"type": e.object_type, "uuid": &*e.object_uuid}),
        }];
        match (&e.aux_details, &e.aux_uuid) {
            (Some(p), _) => targets.push(person("user", p)),
            (None, Some(u)) => targets.push(json!({"type": "unknown", "uuid": &**u})),
            (None, None) => {}
        }
        let mut context = json!({"account_uuid": self.account_uuid});
        if let Some(s) = &e.session {
            context["session"] = json!(&**s);
        }
        if let Some(l) = &e.location {
            context["location"] = json!(&**l);
        }
        let mut v = json!({
            "uuid": &*e.uuid,
            "timestamp": e.timestamp.to_rfc3339_opts(SecondsFormat::Secs, true),
            "insert_time": from_micros(key).to_rfc3339_opts(SecondsFormat::Micros, true),
            "action": super::v3_actions::v3_action(actions, e.object_type, e.action),
            "actor": person(if e.actor_external { "external_user" } else { "user" }, &e.actor),
            "targets": targets,
            "context": context,
        });
        if let Some(info) = &e.aux_info {
            v["aux_info"] = json!(info);
        }
        v
    }
}

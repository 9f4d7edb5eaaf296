//! Event types with the Events API's exact field names and enum values
//! (`1password-behaviour.md` §5.6–5.8).
//!
//! Two representations live here:
//! - the *stored* forms ([`AuditEvent`], [`ItemUsage`], [`SignInAttempt`]): compact, with shared
//!   parts (`Arc<Person>`, `Arc<Client>`, ...) and enum values interned as `&'static str`, so a log
//!   of a million events stays small;
//! - the *document* forms ([`AuditEventDoc`], [`ItemUsageDoc`], [`SignInAttemptDoc`]): the wire
//!   JSON. They are what the API answers (built per page, shaped by [`Shape`]), what the control
//!   API and seed files accept (unknown fields rejected, optional fields defaulted) and what an
//!   export writes.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::IdGenerator;

/// Audit event `action` values (v2 list, §5.6).
pub const AUDIT_ACTIONS: &[&str] = &[
    "activate", "addgsso", "begin", "beginr", "cancel", "cancelr", "changeks", "changela",
    "changemp", "changenm", "changesk", "chngasso", "chngdsso", "chngpsso", "complete", "completr",
    "convert", "create", "dealldev", "delete", "delgsso", "delshare", "deolddev", "detchild",
    "disblduo", "disblmfa", "disblsso", "dlgsess", "dvrfydmn", "enblduo", "enblmfa", "enblsso",
    "expire", "export", "grant", "hide", "join", "launchi", "leave", "musercom", "muserdec",
    "patch", "propose", "provsn", "prsndall", "purge", "rdmchild", "reactive", "reauth", "replace",
    "resendts", "revoke", "role", "sdvcsso", "sendpkg", "sendts", "share", "ssotknv", "suspend",
    "tdvcsso", "trename", "trevoke", "trvlaway", "trvlback", "tverify", "uisas", "unhide",
    "unknown", "unlink", "updatduo", "update", "updatea", "updatfw", "updatmfa", "upguest",
    "uvrfydmn", "verify", "view", "vrfydmn",
];

/// Audit event `object_type` values (v2 list, §5.6).
pub const AUDIT_OBJECT_TYPES: &[&str] = &[
    "account", "card", "cred", "device", "dlgdsess", "ec", "famchild", "file", "gm", "group",
    "gva", "invite", "item", "itemhist", "items", "miguser", "mngdacc", "pm", "report", "sa",
    "satoken", "slackapp", "sso", "ssotkn", "sub", "template", "user", "uva", "vault", "vaultkey",
];

/// Item usage `action` values (v2, §5.7).
pub const ITEM_ACTIONS: &[&str] = &[
    "enter-item-edit-mode",
    "export",
    "fill",
    "other",
    "reveal",
    "secure-copy",
    "select-sso-provider",
    "server-create",
    "server-fetch",
    "server-update",
    "share",
];

/// Sign-in attempt `category` values (§5.8).
pub const SIGNIN_CATEGORIES: &[&str] = &[
    "success",
    "credentials_failed",
    "mfa_failed",
    "sso_failed",
    "modern_version_failed",
    "firewall_failed",
    "firewall_reported_success",
];

/// Sign-in attempt `type` values (§5.8).
pub const SIGNIN_TYPES: &[&str] = &[
    "all_blocked",
    "anonymous_blocked",
    "code_bad",
    "code_disabled",
    "code_timeout",
    "continent_blocked",
    "country_blocked",
    "credentials_ok",
    "duo_bad",
    "duo_disabled",
    "duo_native_bad",
    "duo_timeout",
    "federated",
    "ip_blocked",
    "mfa_missing",
    "mfa_ok",
    "modern_version_missing",
    "modern_version_old",
    "non_sso_user",
    "password_secret_bad",
    "platform_secret_bad",
    "platform_secret_disabled",
    "platform_secret_proxy",
    "service_account_sso_denied",
    "sso_user_mismatch",
    "totp_bad",
    "totp_disabled",
    "totp_timeout",
    "u2f_bad",
    "u2f_disabled",
    "u2f_timeout",
];

/// Finds `value` in `allowed` and returns the interned `&'static str`, or an error naming the
/// field and the allowed values.
pub fn intern(field: &str, value: &str, allowed: &[&'static str]) -> Result<&'static str, String> {
    allowed.iter().copied().find(|a| *a == value).ok_or_else(|| {
        format!("{field}: {value:?} is not one of the documented values ({})", allowed.join(", "))
    })
}

/// ISO 3166 codes the emulator knows a name for (the `signin_country_names` switch).
const COUNTRY_NAMES: &[(&str, &str)] = &[
    ("AU", "Australia"),
    ("BR", "Brazil"),
    ("CA", "Canada"),
    ("CN", "China"),
    ("DE", "Germany"),
    ("ES", "Spain"),
    ("FR", "France"),
    ("GB", "United Kingdom"),
    ("IE", "Ireland"),
    ("IN", "India"),
    ("JP", "Japan"),
    ("KP", "North Korea"),
    ("NG", "Nigeria"),
    ("NL", "Netherlands"),
    ("RU", "Russia"),
    ("SG", "Singapore"),
    ("US", "United States"),
];

/// The country name for an ISO code, or the code itself when unknown.
pub fn country_name(code: &str) -> &str {
    COUNTRY_NAMES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n).unwrap_or(code)
}

// ---------------------------------------------------------------------------------------------
// Stored forms
// ---------------------------------------------------------------------------------------------

/// A user as events describe one (actor, object, aux, target user, item user).
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// User uuid.
    pub uuid: Arc<str>,
    /// Display name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// `user_type` (v2): `user`, `service_account`, ...
    pub user_type: String,
}

impl Person {
    /// A regular user.
    pub fn user(uuid: &str, name: &str, email: &str) -> Person {
        Person {
            uuid: uuid.into(),
            name: name.to_owned(),
            email: email.to_owned(),
            user_type: "user".to_owned(),
        }
    }
}

/// Where an event came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// ISO 3166 country code.
    pub country: String,
    /// Region.
    #[serde(default)]
    pub region: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// Latitude.
    #[serde(default)]
    pub latitude: f64,
    /// Longitude.
    #[serde(default)]
    pub longitude: f64,
}

/// The app that produced an item usage or sign-in attempt.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Client {
    /// e.g. `1Password Extension`.
    pub app_name: String,
    /// e.g. `20127`.
    pub app_version: String,
    /// e.g. `Chrome`.
    pub platform_name: String,
    /// Platform version.
    pub platform_version: String,
    /// e.g. `MacOSX`.
    pub os_name: String,
    /// OS version.
    pub os_version: String,
    /// Client IP.
    pub ip_address: String,
}

/// The session an audit event's actor used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// Session uuid.
    pub uuid: String,
    /// When the session signed in.
    pub login_time: DateTime<Utc>,
    /// Device uuid.
    pub device_uuid: String,
    /// Source IP.
    pub ip: String,
}

/// A stored audit event.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// Event uuid.
    pub uuid: Arc<str>,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// Who did it.
    pub actor: Arc<Person>,
    /// `external_user` (MSP) instead of `user`.
    pub actor_external: bool,
    /// `action` (one of [`AUDIT_ACTIONS`]).
    pub action: &'static str,
    /// `object_type` (one of [`AUDIT_OBJECT_TYPES`]).
    pub object_type: &'static str,
    /// The object's uuid.
    pub object_uuid: Arc<str>,
    /// Present when the object is a user.
    pub object_details: Option<Arc<Person>>,
    /// `aux_id`.
    pub aux_id: Option<i64>,
    /// `aux_uuid`.
    pub aux_uuid: Option<Arc<str>>,
    /// Present when aux relates to a user.
    pub aux_details: Option<Arc<Person>>,
    /// `aux_info`.
    pub aux_info: Option<String>,
    /// The actor's session.
    pub session: Option<Arc<Session>>,
    /// The actor's location.
    pub location: Option<Arc<Location>>,
}

/// A stored item usage.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemUsage {
    /// Event uuid.
    pub uuid: Arc<str>,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// Item version used.
    pub used_version: u32,
    /// Vault uuid.
    pub vault_uuid: Arc<str>,
    /// Item uuid.
    pub item_uuid: Arc<str>,
    /// One of [`ITEM_ACTIONS`].
    pub action: &'static str,
    /// Who used it.
    pub user: Arc<Person>,
    /// With which app.
    pub client: Arc<Client>,
    /// From where.
    pub location: Option<Arc<Location>>,
}

/// A stored sign-in attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct SignInAttempt {
    /// Event uuid.
    pub uuid: Arc<str>,
    /// The sign-in session.
    pub session_uuid: Arc<str>,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// One of [`SIGNIN_CATEGORIES`].
    pub category: &'static str,
    /// One of [`SIGNIN_TYPES`].
    pub kind: &'static str,
    /// ISO 3166 code of the client's country.
    pub country: String,
    /// `details.value` (`null` details when `None`).
    pub details: Option<String>,
    /// Who tried to sign in.
    pub target_user: Arc<Person>,
    /// With which app.
    pub client: Arc<Client>,
    /// From where.
    pub location: Option<Arc<Location>>,
}

// ---------------------------------------------------------------------------------------------
// Document (wire) forms
// ---------------------------------------------------------------------------------------------

/// How a page is rendered: API version and the switches that change fields.
#[derive(Debug, Clone, Copy)]
pub struct Shape<'a> {
    /// v2 (`/api/v2/...`): adds `actor_type` and `user_type`; MSP fields when `msp`.
    pub v2: bool,
    /// The account is an MSP account: v2 adds `account_uuid`, `actor_account_uuid` and
    /// `user_account_uuid`.
    pub msp: bool,
    /// Sign-in `country` as a name instead of an ISO code.
    pub country_names: bool,
    /// The tenant's account uuid (for the MSP fields).
    pub account_uuid: &'a str,
}

impl Shape<'_> {
    /// The full v2 MSP shape (what exports write, so nothing is lost).
    pub fn full(account_uuid: &str) -> Shape<'_> {
        Shape { v2: true, msp: true, country_names: false, account_uuid }
    }

    fn msp_field(&self) -> Option<String> {
        (self.v2 && self.msp).then(|| self.account_uuid.to_owned())
    }
}

/// A user in an event document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonDoc {
    /// User uuid.
    pub uuid: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// E-mail.
    #[serde(default)]
    pub email: String,
    /// v2 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    /// v2 + MSP only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_account_uuid: Option<String>,
}

impl PersonDoc {
    fn render(p: &Person, shape: &Shape<'_>) -> PersonDoc {
        PersonDoc {
            uuid: p.uuid.to_string(),
            name: p.name.clone(),
            email: p.email.clone(),
            user_type: shape.v2.then(|| p.user_type.clone()),
            user_account_uuid: shape.msp_field(),
        }
    }

    fn into_person(self) -> Person {
        Person {
            uuid: self.uuid.into(),
            name: self.name,
            email: self.email,
            user_type: self.user_type.unwrap_or_else(|| "user".to_owned()),
        }
    }
}

/// Sign-in attempt `details`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailsDoc {
    /// e.g. the blocked continent.
    pub value: String,
}

/// An audit event as JSON (§5.6). In input documents everything but `action`, `object_type`
/// and `object_uuid` may be omitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEventDoc {
    /// Event uuid (generated when omitted).
    #[serde(default)]
    pub uuid: Option<String>,
    /// RFC 3339 (now when omitted).
    #[serde(default)]
    pub timestamp: Option<DateTime<Utc>>,
    /// The actor's uuid (the provisioning integration when omitted).
    #[serde(default)]
    pub actor_uuid: Option<String>,
    /// The actor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_details: Option<PersonDoc>,
    /// v2: `user` | `external_user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_type: Option<String>,
    /// v2 + MSP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_account_uuid: Option<String>,
    /// v2 + MSP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_uuid: Option<String>,
    /// One of [`AUDIT_ACTIONS`].
    pub action: String,
    /// One of [`AUDIT_OBJECT_TYPES`].
    pub object_type: String,
    /// The object's uuid.
    pub object_uuid: String,
    /// Only when the object is a user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_details: Option<PersonDoc>,
    /// int64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aux_id: Option<i64>,
    /// Related uuid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aux_uuid: Option<String>,
    /// Only when aux relates to a user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aux_details: Option<PersonDoc>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aux_info: Option<String>,
    /// The actor's session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<Session>,
    /// The actor's location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// An item usage as JSON (§5.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemUsageDoc {
    /// Event uuid (generated when omitted).
    #[serde(default)]
    pub uuid: Option<String>,
    /// RFC 3339 (now when omitted).
    #[serde(default)]
    pub timestamp: Option<DateTime<Utc>>,
    /// uint32.
    #[serde(default = "one")]
    pub used_version: u32,
    /// Vault uuid.
    pub vault_uuid: String,
    /// Item uuid.
    pub item_uuid: String,
    /// One of [`ITEM_ACTIONS`].
    pub action: String,
    /// Who used it.
    pub user: PersonDoc,
    /// With which app.
    #[serde(default)]
    pub client: Client,
    /// From where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// v2 + MSP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_uuid: Option<String>,
}

fn one() -> u32 {
    1
}

/// A sign-in attempt as JSON (§5.8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInAttemptDoc {
    /// Event uuid (generated when omitted).
    #[serde(default)]
    pub uuid: Option<String>,
    /// Session uuid (generated when omitted).
    #[serde(default)]
    pub session_uuid: Option<String>,
    /// RFC 3339 (now when omitted).
    #[serde(default)]
    pub timestamp: Option<DateTime<Utc>>,
    /// One of [`SIGNIN_CATEGORIES`].
    pub category: String,
    /// One of [`SIGNIN_TYPES`].
    #[serde(rename = "type")]
    pub kind: String,
    /// ISO 3166 code (a name with the `signin_country_names` switch).
    #[serde(default)]
    pub country: String,
    /// `{"value": ...}` or `null` (always present in output).
    #[serde(default)]
    pub details: Option<DetailsDoc>,
    /// Who tried to sign in.
    pub target_user: PersonDoc,
    /// With which app.
    #[serde(default)]
    pub client: Client,
    /// From where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// v2 + MSP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_uuid: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------------------------

impl AuditEvent {
    /// The event as the API shows it.
    pub fn render(&self, shape: &Shape<'_>) -> AuditEventDoc {
        AuditEventDoc {
            uuid: Some(self.uuid.to_string()),
            timestamp: Some(self.timestamp),
            actor_uuid: Some(self.actor.uuid.to_string()),
            actor_details: Some(PersonDoc::render(&self.actor, shape)),
            actor_type: shape
                .v2
                .then(|| if self.actor_external { "external_user" } else { "user" }.to_owned()),
            actor_account_uuid: shape.msp_field(),
            account_uuid: shape.msp_field(),
            action: self.action.to_owned(),
            object_type: self.object_type.to_owned(),
            object_uuid: self.object_uuid.to_string(),
            object_details: self.object_details.as_ref().map(|p| PersonDoc::render(p, shape)),
            aux_id: self.aux_id,
            aux_uuid: self.aux_uuid.as_ref().map(|u| u.to_string()),
            aux_details: self.aux_details.as_ref().map(|p| PersonDoc::render(p, shape)),
            aux_info: self.aux_info.clone(),
            session: self.session.as_deref().cloned(),
            location: self.location.as_deref().cloned(),
        }
    }

    /// Builds a stored event from a document; omitted parts are filled in (`actor` is the
    /// default actor when the document names none).
    pub fn from_doc(
        doc: AuditEventDoc,
        default_actor: &Arc<Person>,
        ids: &mut IdGenerator,
        now: DateTime<Utc>,
    ) -> Result<AuditEvent, String> {
        let action = intern("action", &doc.action, AUDIT_ACTIONS)?;
        let object_type = intern("object_type", &doc.object_type, AUDIT_OBJECT_TYPES)?;
        let actor_external = match doc.actor_type.as_deref() {
            None | Some("user") => false,
            Some("external_user") => true,
            Some(other) => {
                return Err(format!(
                    "actor_type: {other:?} is not one of the documented values (user, external_user)"
                ));
            }
        };
        let actor = match (doc.actor_details, doc.actor_uuid) {
            (Some(d), Some(u)) if d.uuid != u => {
                return Err("actor_uuid and actor_details.uuid differ".to_owned());
            }
            (Some(d), _) => Arc::new(d.into_person()),
            (None, Some(u)) if u != *default_actor.uuid => {
                Arc::new(Person { uuid: u.into(), ..Person::user("", "", "") })
            }
            (None, _) => default_actor.clone(),
        };
        Ok(AuditEvent {
            uuid: doc.uuid.unwrap_or_else(|| ids.upper_id()).into(),
            timestamp: doc.timestamp.unwrap_or(now),
            actor,
            actor_external,
            action,
            object_type,
            object_uuid: doc.object_uuid.into(),
            object_details: doc.object_details.map(|p| Arc::new(p.into_person())),
            aux_id: doc.aux_id,
            aux_uuid: doc.aux_uuid.map(Into::into),
            aux_details: doc.aux_details.map(|p| Arc::new(p.into_person())),
            aux_info: doc.aux_info,
            session: doc.session.map(Arc::new),
            location: doc.location.map(Arc::new),
        })
    }
}

impl ItemUsage {
    /// The event as the API shows it.
    pub fn render(&self, shape: &Shape<'_>) -> ItemUsageDoc {
        ItemUsageDoc {
            uuid: Some(self.uuid.to_string()),
            timestamp: Some(self.timestamp),
            used_version: self.used_version,
            vault_uuid: self.vault_uuid.to_string(),
            item_uuid: self.item_uuid.to_string(),
            action: self.action.to_owned(),
            user: PersonDoc::render(&self.user, shape),
            client: (*self.client).clone(),
            location: self.location.as_deref().cloned(),
            account_uuid: shape.msp_field(),
        }
    }

    /// Builds a stored event from a document.
    pub fn from_doc(
        doc: ItemUsageDoc,
        ids: &mut IdGenerator,
        now: DateTime<Utc>,
    ) -> Result<ItemUsage, String> {
        Ok(ItemUsage {
            action: intern("action", &doc.action, ITEM_ACTIONS)?,
            uuid: doc.uuid.unwrap_or_else(|| ids.upper_id()).into(),
            timestamp: doc.timestamp.unwrap_or(now),
            used_version: doc.used_version,
            vault_uuid: doc.vault_uuid.into(),
            item_uuid: doc.item_uuid.into(),
            user: Arc::new(doc.user.into_person()),
            client: Arc::new(doc.client),
            location: doc.location.map(Arc::new),
        })
    }
}

impl SignInAttempt {
    /// The event as the API shows it.
    pub fn render(&self, shape: &Shape<'_>) -> SignInAttemptDoc {
        SignInAttemptDoc {
            uuid: Some(self.uuid.to_string()),
            session_uuid: Some(self.session_uuid.to_string()),
            timestamp: Some(self.timestamp),
            category: self.category.to_owned(),
            kind: self.kind.to_owned(),
            country: if shape.country_names {
                country_name(&self.country).to_owned()
            } else {
                self.country.clone()
            },
            details: self.details.as_ref().map(|v| DetailsDoc { value: v.clone() }),
            target_user: PersonDoc::render(&self.target_user, shape),
            client: (*self.client).clone(),
            location: self.location.as_deref().cloned(),
            account_uuid: shape.msp_field(),
        }
    }

    /// Builds a stored event from a document.
    pub fn from_doc(
        doc: SignInAttemptDoc,
        ids: &mut IdGenerator,
        now: DateTime<Utc>,
    ) -> Result<SignInAttempt, String> {
        let category = intern("category", &doc.category, SIGNIN_CATEGORIES)?;
        let kind = intern("type", &doc.kind, SIGNIN_TYPES)?;
        let country = match (doc.country.is_empty(), &doc.location) {
            (false, _) => doc.country,
            (true, Some(l)) => l.country.clone(),
            (true, None) => String::new(),
        };
        Ok(SignInAttempt {
            uuid: doc.uuid.unwrap_or_else(|| ids.upper_id()).into(),
            session_uuid: doc.session_uuid.unwrap_or_else(|| ids.upper_id()).into(),
            timestamp: doc.timestamp.unwrap_or(now),
            category,
            kind,
            country,
            details: doc.details.map(|d| d.value),
            target_user: Arc::new(doc.target_user.into_person()),
            client: Arc::new(doc.client),
            location: doc.location.map(Arc::new),
        })
    }
}

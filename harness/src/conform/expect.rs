//! Expectation presets: what a check requires of the target, and how a miss is reported.
//!
//! `rfc` reports a missed MUST as `fail` and a missed SHOULD as `warn`. `onepassword` expects
//! the real 1Password bridge's recorded behaviour (POST 200, DELETE suspends, the recorded
//! discovery documents, a sparse payload) wherever it differs from the RFC, and the RFC
//! elsewhere. `okta` and `entra` add what those IdPs' published SCIM test suites require on top
//! of the RFC (Okta: stable paging order, 404 with a body; Entra: case-insensitive PATCH op
//! names, an unmatched value-path PATCH that creates the value, `"False"` coerced to a boolean).

use clap::ValueEnum;
use serde::Serialize;

/// The presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// RFC 7643/7644: MUST misses fail, SHOULD misses warn.
    #[default]
    Rfc,
    /// The real 1Password SCIM bridge's recorded behaviour.
    Onepassword,
    /// Okta's SCIM 2.0 spec tests.
    Okta,
    /// Microsoft Entra ID's SCIM validator and provisioning client.
    Entra,
}

/// How strongly a requirement is stated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// RFC MUST / SHALL, or a preset's hard expectation.
    Must,
    /// RFC SHOULD / RECOMMENDED.
    Should,
}

impl Expect {
    /// The preset's name.
    pub fn name(self) -> &'static str {
        match self {
            Expect::Rfc => "rfc",
            Expect::Onepassword => "onepassword",
            Expect::Okta => "okta",
            Expect::Entra => "entra",
        }
    }

    /// The status a successful `POST` answers.
    pub fn create_status(self) -> u16 {
        if self == Expect::Onepassword { 200 } else { 201 }
    }

    /// `true` when `DELETE /Users/{id}` suspends (the user stays, `active: false`).
    pub fn delete_suspends_users(self) -> bool {
        self == Expect::Onepassword
    }

    /// `true` when the server is expected to serve the recorded 1Password discovery documents
    /// (User endpoint `/scim/v2/User`, discovery `startIndex: 0`, `documentationUri: ""`).
    pub fn recorded_discovery(self) -> bool {
        self == Expect::Onepassword
    }

    /// Why a written attribute may legitimately be missing from responses under this preset.
    pub fn dropped_attribute(self, path: &str) -> Option<&'static str> {
        if self != Expect::Onepassword {
            return None;
        }
        match path {
            "externalId" => Some("the recorded bridge never returns externalId"),
            "emails.type" => Some("the recorded bridge drops emails[].type"),
            "name.formatted" | "displayName" | "name.givenName" | "name.familyName" => {
                Some("the recorded bridge derives name parts and displayName itself")
            }
            "preferredLanguage" => Some("the recorded bridge answers preferredLanguage \"en\""),
            _ => None,
        }
    }

    /// Why a returned attribute the recorded `/Schemas` does not describe is expected anyway.
    pub fn undescribed_attribute(self, name: &str) -> Option<&'static str> {
        match (self, name) {
            (Expect::Onepassword, "displayName" | "active") => {
                Some("the recorded bridge returns it although its recorded User schema omits it")
            }
            _ => None,
        }
    }

    /// `true` when error bodies must carry `detail` (Okta's spec tests read it).
    pub fn error_detail_required(self) -> bool {
        self == Expect::Okta
    }

    /// How unstable order across pages (no sorting) is reported: RFC 7644 §3.4.2.4 allows it;
    /// Okta requires stable order; the recorded bridge shuffles.
    pub fn unstable_paging(self) -> Option<Level> {
        match self {
            Expect::Okta | Expect::Entra => Some(Level::Must),
            Expect::Rfc => Some(Level::Should),
            Expect::Onepassword => None,
        }
    }

    /// `true` when PATCH `op` names must be matched case-insensitively (`"Replace"`).
    pub fn capitalised_ops(self) -> bool {
        matches!(self, Expect::Entra | Expect::Onepassword)
    }

    /// `true` when `add`/`replace` on an unmatched value path must create the value (Entra's
    /// expectation, and the recorded bridge's behaviour) instead of 400 `noTarget`.
    pub fn value_path_creates(self) -> bool {
        matches!(self, Expect::Entra | Expect::Onepassword)
    }
}

//! The tool catalogue: stable names, descriptions an LLM can act on, JSON input and output
//! schemas, annotations, and method filtering (`--read-only`, `--tools a,b`).

use std::fmt;
use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

/// Every tool the server can expose. The names are a stable interface: agents and their prompts
/// refer to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ToolName {
    /// `list_users`.
    ListUsers,
    /// `get_user`.
    GetUser,
    /// `suspend_user`.
    SuspendUser,
    /// `reactivate_user`.
    ReactivateUser,
    /// `list_audit_events` (needs an Events API token).
    ListAuditEvents,
    /// `list_signin_attempts` (needs an Events API token).
    ListSigninAttempts,
}

impl ToolName {
    /// Every tool, in the order `tools/list` gives them.
    pub const ALL: [ToolName; 6] = [
        ToolName::ListUsers,
        ToolName::GetUser,
        ToolName::SuspendUser,
        ToolName::ReactivateUser,
        ToolName::ListAuditEvents,
        ToolName::ListSigninAttempts,
    ];

    /// The tool's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ToolName::ListUsers => "list_users",
            ToolName::GetUser => "get_user",
            ToolName::SuspendUser => "suspend_user",
            ToolName::ReactivateUser => "reactivate_user",
            ToolName::ListAuditEvents => "list_audit_events",
            ToolName::ListSigninAttempts => "list_signin_attempts",
        }
    }

    /// The tool called `name`, if there is one.
    pub fn parse(name: &str) -> Option<ToolName> {
        ToolName::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Does the tool only read?
    pub fn is_read_only(self) -> bool {
        !matches!(self, ToolName::SuspendUser | ToolName::ReactivateUser)
    }

    /// Does the tool read the Events API (and so need an Events token)?
    pub fn needs_events(self) -> bool {
        matches!(self, ToolName::ListAuditEvents | ToolName::ListSigninAttempts)
    }

    /// The tool's definition as `tools/list` sends it.
    pub fn definition(self) -> Tool {
        let (title, description, input, output) = match self {
            ToolName::ListUsers => (
                "List 1Password users",
                "List the users of the 1Password account, one page at a time, in a stable order. \
                 `filter` is an optional SCIM filter, for example `userName eq \"jane@example.com\"`, \
                 `userName ew \"@contractor.example\"`, `active eq false`, or \
                 `userName ew \"@contractor.example\" and active eq true` (attributes: userName, \
                 emails, displayName, name.givenName, name.familyName, active). Each user has `id`, \
                 `email`, `display_name`, `status` (`active` or `suspended`) and `groups`. When \
                 `next_cursor` is not null there are more users: call again with `cursor` set to \
                 it and the same `filter`.",
                json!({
                    "type": "object",
                    "properties": {
                        "filter": {"type": "string", "description": "SCIM filter, e.g. userName eq \"jane@example.com\". Omit to list everyone."},
                        "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "description": "Users per page (default 100)."},
                        "cursor": {"type": "string", "description": "The `next_cursor` of the previous page, to continue the same listing."}
                    },
                    "additionalProperties": false
                }),
                json!({
                    "type": "object",
                    "properties": {
                        "users": {"type": "array", "items": user_schema()},
                        "next_cursor": {"type": ["string", "null"], "description": "Pass as `cursor` to get the next page; null on the last page."},
                        "total": {"type": ["integer", "null"], "description": "How many users match the filter in all."}
                    },
                    "required": ["users", "next_cursor"]
                }),
            ),
            ToolName::GetUser => (
                "Get a 1Password user",
                "Get one user of the 1Password account by `id` (the `id` returned by list_users; \
                 to find a user by e-mail, call list_users with filter userName eq \"...\"). \
                 Returns the user's `email`, `display_name`, `status` (`active` or `suspended`) \
                 and `groups`.",
                id_input("The user's id."),
                user_schema(),
            ),
            ToolName::SuspendUser => (
                "Suspend a 1Password user",
                "Suspend a user of the 1Password account by `id`: they can no longer sign in or \
                 reach their vaults. Nothing is deleted: their data and group memberships are \
                 kept and reactivate_user undoes it. Safe to repeat: suspending a suspended user \
                 changes nothing. Returns the updated user.",
                id_input("The id of the user to suspend."),
                user_schema(),
            ),
            ToolName::ReactivateUser => (
                "Reactivate a 1Password user",
                "Reactivate a suspended user of the 1Password account by `id`, so they can sign \
                 in again. Safe to repeat: reactivating an active user changes nothing. Returns \
                 the updated user.",
                id_input("The id of the user to reactivate."),
                user_schema(),
            ),
            ToolName::ListAuditEvents => (
                "Read the 1Password audit log",
                "Read the account's audit events (who did what: suspensions, reactivations, \
                 invitations, group changes), oldest first. Without `cursor`, starts at \
                 `start_time` (RFC 3339, default one hour ago) with `limit` events per page. \
                 Each event has `action` (e.g. `suspend`), `object_type`, `object_uuid`, \
                 `actor_uuid` and `timestamp`. Call again with the returned `cursor` to continue; \
                 `has_more` says whether more events are waiting now.",
                events_input(),
                events_output(),
            ),
            ToolName::ListSigninAttempts => (
                "Read 1Password sign-in attempts",
                "Read the account's sign-in attempts (successes and failures, with the user, \
                 time, client and location), oldest first. Without `cursor`, starts at \
                 `start_time` (RFC 3339, default one hour ago) with `limit` attempts per page. \
                 Call again with the returned `cursor` to continue; `has_more` says whether \
                 more attempts are waiting now.",
                events_input(),
                events_output(),
            ),
        };
        let annotations = ToolAnnotations::with_title(title)
            .read_only(self.is_read_only())
            // Suspension cuts a person off; a client should confirm it. Reactivation only
            // restores access, so it is not destructive.
            .destructive(self == ToolName::SuspendUser)
            .idempotent(true)
            // The tools act on one 1Password account, not an open world.
            .open_world(false);
        Tool::new(self.as_str(), description, object(input))
            .with_title(title)
            .with_raw_output_schema(Arc::new(object(output)))
            .with_annotations(annotations)
    }
}

impl fmt::Display for ToolName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn object(v: Value) -> JsonObject {
    match v {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    }
}

fn id_input(description: &str) -> Value {
    json!({
        "type": "object",
        "properties": {"id": {"type": "string", "minLength": 1, "description": description}},
        "required": ["id"],
        "additionalProperties": false
    })
}

fn user_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "email": {"type": "string"},
            "display_name": {"type": ["string", "null"]},
            "given_name": {"type": ["string", "null"]},
            "family_name": {"type": ["string", "null"]},
            "status": {"type": "string", "enum": ["active", "suspended"]},
            "groups": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "display": {"type": ["string", "null"]},
                        "ref": {"type": ["string", "null"]}
                    },
                    "required": ["id"]
                }
            }
        },
        "required": ["id", "email", "status", "groups"]
    })
}

fn events_input() -> Value {
    json!({
        "type": "object",
        "properties": {
            "cursor": {"type": "string", "description": "The `cursor` of a previous call, to continue from there."},
            "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "description": "Events per page when starting without a cursor (default 100)."},
            "start_time": {"type": "string", "format": "date-time", "description": "RFC 3339 time to start from when starting without a cursor (default one hour ago)."}
        },
        "additionalProperties": false
    })
}

fn events_output() -> Value {
    json!({
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"type": "object"}},
            "cursor": {"type": "string", "description": "Pass as `cursor` to continue."},
            "has_more": {"type": "boolean"}
        },
        "required": ["items", "cursor", "has_more"]
    })
}

/// Which tools a server exposes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only the read tools (`--read-only`).
    pub read_only: bool,
    /// Only these tools (`--tools a,b`); `None` means every tool.
    pub only: Option<Vec<String>>,
    /// An Events API token is configured (the event tools exist only then).
    pub events: bool,
}

/// A tool selection that cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// `--tools` names a tool that does not exist.
    #[error("unknown tool {0:?} in --tools (tools: {all})", all = all_names())]
    Unknown(String),
    /// `--tools` names a write tool and `--read-only` is set.
    #[error("--tools names {0}, which writes, and --read-only is set")]
    WriteInReadOnly(ToolName),
    /// `--tools` names an Events tool and no Events token is configured.
    #[error("--tools names {0}, which needs an Events API token (--events-token)")]
    NeedsEvents(ToolName),
    /// Nothing would be exposed.
    #[error("--tools selects no tool")]
    Empty,
}

fn all_names() -> String {
    ToolName::ALL.map(ToolName::as_str).join(", ")
}

impl Selection {
    /// The exposed tools, in catalogue order.
    pub fn resolve(&self) -> Result<Vec<ToolName>, SelectionError> {
        match &self.only {
            None => Ok(ToolName::ALL
                .into_iter()
                .filter(|t| !self.read_only || t.is_read_only())
                .filter(|t| self.events || !t.needs_events())
                .collect()),
            Some(names) => {
                let mut chosen = Vec::new();
                for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
                    let tool = ToolName::parse(name)
                        .ok_or_else(|| SelectionError::Unknown(name.into()))?;
                    if self.read_only && !tool.is_read_only() {
                        return Err(SelectionError::WriteInReadOnly(tool));
                    }
                    if !self.events && tool.needs_events() {
                        return Err(SelectionError::NeedsEvents(tool));
                    }
                    chosen.push(tool);
                }
                chosen.sort();
                chosen.dedup();
                if chosen.is_empty() {
                    return Err(SelectionError::Empty);
                }
                Ok(chosen)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(tools: &[ToolName]) -> Vec<&'static str> {
        tools.iter().map(|t| t.as_str()).collect()
    }

    #[test]
    fn names_round_trip() {
        for t in ToolName::ALL {
            assert_eq!(ToolName::parse(t.as_str()), Some(t));
            assert_eq!(t.definition().name, t.as_str());
        }
        assert_eq!(ToolName::parse("delete_user"), None);
    }

    #[test]
    fn default_selection_hides_event_tools_without_a_token() {
        let all = Selection::default().resolve().unwrap();
        assert_eq!(names(&all), ["list_users", "get_user", "suspend_user", "reactivate_user"]);
        let with_events = Selection { events: true, ..Selection::default() }.resolve().unwrap();
        assert_eq!(with_events.len(), 6);
    }

    #[test]
    fn read_only_drops_the_write_tools() {
        let ro = Selection { read_only: true, events: true, only: None }.resolve().unwrap();
        assert_eq!(
            names(&ro),
            ["list_users", "get_user", "list_audit_events", "list_signin_attempts"]
        );
    }

    #[test]
    fn explicit_subsets_are_checked() {
        let only = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect());
        let s = Selection {
            only: only(&["get_user", " list_users", "get_user"]),
            ..Default::default()
        };
        assert_eq!(names(&s.resolve().unwrap()), ["list_users", "get_user"]);
        let s = Selection { only: only(&["nuke_users"]), ..Default::default() };
        assert!(s.resolve().unwrap_err().to_string().contains("nuke_users"));
        let s = Selection { only: only(&["suspend_user"]), read_only: true, events: false };
        assert_eq!(s.resolve(), Err(SelectionError::WriteInReadOnly(ToolName::SuspendUser)));
        let s = Selection { only: only(&["list_audit_events"]), ..Default::default() };
        assert_eq!(s.resolve(), Err(SelectionError::NeedsEvents(ToolName::ListAuditEvents)));
        let s = Selection { only: only(&[""]), ..Default::default() };
        assert_eq!(s.resolve(), Err(SelectionError::Empty));
    }

    #[test]
    fn annotations_mark_reads_and_destructive_writes() {
        let a = |t: ToolName| t.definition().annotations.unwrap();
        assert_eq!(a(ToolName::ListUsers).read_only_hint, Some(true));
        assert_eq!(a(ToolName::SuspendUser).read_only_hint, Some(false));
        assert_eq!(a(ToolName::SuspendUser).destructive_hint, Some(true));
        assert_eq!(a(ToolName::ReactivateUser).destructive_hint, Some(false));
        assert_eq!(a(ToolName::ReactivateUser).idempotent_hint, Some(true));
    }
}

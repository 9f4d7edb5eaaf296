//! The scenario file's serde types. Every struct denies unknown fields, so a typo is an error
//! that names the field instead of a silently ignored line.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A parsed, validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The file it came from (for messages and snapshot names).
    pub file: std::path::PathBuf,
    /// A short, unique identifier: the file stem (used for snapshot and test names).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// What the scenario proves.
    pub description: Option<String>,
    /// Free-form tags (`offboarding`, `okta`, ...).
    pub tags: Vec<String>,
    /// Profile preset and switch overrides for the tenant.
    pub profile: Option<Value>,
    /// The tenant's starting state, in the emulator's seed format.
    pub seed: Option<Value>,
    /// The ordered steps.
    pub steps: Vec<Step>,
}

impl Scenario {
    /// Does any step need the control plane (an admin token)?
    pub fn needs_control(&self) -> bool {
        self.steps.iter().any(|s| s.action.needs_control())
    }

    /// Does the scenario need a fresh tenant built from a seed/profile (embedded or control plane)?
    pub fn needs_tenant_setup(&self) -> bool {
        self.seed.is_some() || self.profile.is_some()
    }
}

/// The top-level document as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub profile: Option<Value>,
    #[serde(default)]
    pub seed: Option<Value>,
    pub steps: Vec<serde_saphyr::Spanned<Value>>,
}

/// One step: exactly one action, then optional capture, expectations and snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// 1-based position.
    pub index: usize,
    /// Line in the file where the step starts.
    pub line: u64,
    /// Its name (`step N` when not given).
    pub name: String,
    /// What it does.
    pub action: Action,
    /// Which API a connector step goes through (`api:`; SCIM when absent).
    pub api: ConnectorApi,
    /// The step as written (variables are substituted into it at run time).
    pub raw: Value,
    /// Values to remember for later steps: `name: $.path`.
    pub capture: BTreeMap<String, String>,
    /// What must be true of the result.
    pub expect: Option<Expect>,
    /// Whether (and how) the result is compared with a stored snapshot.
    pub snapshot: Option<SnapshotSpec>,
}

/// The step as written in YAML (one action field must be set).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepDoc {
    /// Optional name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Connector steps: which API the connector uses (`scim`, the default, or `users-api`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<ConnectorApi>,
    /// Connector: list users (one page, or all pages with `all: true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<ListOp>,
    /// Connector: get a user by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get: Option<String>,
    /// Connector: suspend a user by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<String>,
    /// Connector: reactivate a user by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reactivate: Option<String>,
    /// Connector: poll the Events API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<EventsOp>,
    /// A raw HTTP request to the SCIM or Events API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpOp>,
    /// An MCP tool call through `scimulator mcp`, from a real MCP client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp: Option<McpOp>,
    /// Control: add a fault rule (the control API's rule shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Value>,
    /// Control: advance or set the tenant's clock (`{advance: "10m"}` / `{set: rfc3339}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<Value>,
    /// Control: an invited user accepts the invitation (user id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept: Option<String>,
    /// Control: run the confirmation watcher now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<bool>,
    /// Control: add or generate sign-in attempts (`{generate: N, seed: S}` or `{events: [...]}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signins: Option<Value>,
    /// Control: add or generate item usages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_usages: Option<Value>,
    /// Control: force a user's 1Password state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_state: Option<SetStateOp>,
    /// Control: count journal entries (result `{"count": N}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal: Option<JournalQuery>,
    /// Control: clear the request journal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clear_journal: Option<bool>,
    /// Control: read the invitation outbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<bool>,
    /// Control: export the tenant's state as a seed document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<bool>,
    /// Control: any tenant-scoped control API request (path relative to the tenant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<AdminOp>,
    /// Values to remember: `jane: $.users[0]`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capture: BTreeMap<String, String>,
    /// Expectations on the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    /// Snapshot the result: `true`, or `{redact: {...}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotDoc>,
}

/// `list`: list users through the connector.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListOp {
    /// SCIM filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Page size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Cursor from a previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Follow cursors and return every matching user.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
    /// Users per server request (the SCIM sweep `count`, the Users API `max_page_size`), so a
    /// small directory still spans several server pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<usize>,
}

/// The API a connector step uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectorApi {
    /// The SCIM bridge.
    #[default]
    Scim,
    /// The 1Password Users API (OAuth client credentials of the scenario's tenant).
    UsersApi,
}

/// Which Events API feed to poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventFeed {
    /// Audit events.
    Audit,
    /// Sign-in attempts.
    Signin,
    /// Item usages.
    ItemUsage,
}

/// `events`: poll an Events API feed through the connector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsOp {
    /// Which feed.
    pub feed: EventFeed,
    /// Continue from this cursor; without it the poll starts over (a reset cursor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Page size of a reset cursor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// RFC 3339 start of a reset cursor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
}

/// `mcp`: call a tool of `scimulator mcp` (started against the scenario's tenant) through an MCP
/// client over stdio. The result is the tool's structured content; a tool error (`isError`) sets
/// the outcome's `error` to its kind (`not_found`, `rate_limited`, ...) and `status` to the HTTP
/// status behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpOp {
    /// The tool's name (`list_users`, `get_user`, `suspend_user`, ...).
    pub tool: String,
    /// The tool's arguments.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub arguments: serde_json::Map<String, Value>,
    /// Start the server with `--read-only`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
}

/// Which API a raw request goes to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Api {
    /// The SCIM bridge (paths relative to the SCIM base, e.g. `/Users`).
    #[default]
    Scim,
    /// The Events API (paths such as `/api/v1/auditevents`).
    Events,
    /// The server root (paths such as `/ping`), with the SCIM token.
    Root,
}

/// `http`: a raw request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpOp {
    /// Which API (default `scim`).
    #[serde(default)]
    pub api: Api,
    /// HTTP method.
    pub method: String,
    /// Path relative to the API's base, starting with `/`; may carry a query string.
    pub path: String,
    /// Extra headers. `authorization` overrides the bearer token (`""` sends none).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// A raw (non-JSON) body, sent as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_body: Option<String>,
}

/// `set_state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetStateOp {
    /// User id.
    pub user: String,
    /// 1Password state name (`SUSPENDED`, `ACTIVE`, ...).
    pub state: String,
}

/// `journal`: which requests to count.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalQuery {
    /// HTTP method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Request path (as the server saw it, e.g. `/scim/v2/Users/ABC`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Response status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

/// `admin`: a raw tenant-scoped control API request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminOp {
    /// HTTP method.
    pub method: String,
    /// Path under `/__admin/tenants/{tenant}` (e.g. `/outbox`), or absolute under `/__admin` when
    /// it starts with `/__admin`.
    pub path: String,
    /// JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// What must be true of a step's result. All given checks must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// HTTP status (for connector steps: the status of the failed response, 200 on success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The connector's error kind (`not_found`, `rate_limited`, ...); `none` means success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The body contains this JSON (objects: these members; arrays: these elements in order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// The body equals this JSON exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    /// Field checks: `$.path: value` (the field contains the value, as in `body`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, Value>,
    /// Unordered checks: the values a path selects are these, in any order (for list order the
    /// server does not promise, e.g. `$.users[*].email`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unordered: BTreeMap<String, Vec<Value>>,
    /// Membership checks: for each expected item, some element of the array at the path
    /// contains it (as in `body`). Order and other elements do not matter.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub includes: BTreeMap<String, Vec<Value>>,
    /// Paths that must select nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absent: Vec<String>,
    /// How many items: users, `Resources`, events `items`, journal `count`, or array length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Response headers (names case-insensitive) that must have these values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// `snapshot:` as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SnapshotDoc {
    /// `snapshot: true`.
    Flag(bool),
    /// `snapshot: {redact: {...}}`.
    Spec(SnapshotSpec),
}

/// How a step's result is snapshotted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotSpec {
    /// Named redactions: `$.path: "[placeholder]"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub redact: BTreeMap<String, Value>,
    /// Include the HTTP status in the snapshot (default true).
    #[serde(default = "yes")]
    pub status: bool,
}

fn yes() -> bool {
    true
}

/// A step's action.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `list`.
    List(ListOp),
    /// `get`.
    Get(String),
    /// `suspend`.
    Suspend(String),
    /// `reactivate`.
    Reactivate(String),
    /// `events`.
    Events(EventsOp),
    /// `http`.
    Http(HttpOp),
    /// `mcp`.
    Mcp(McpOp),
    /// A control-plane action.
    Control(ControlOp),
}

/// Control-plane actions.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlOp {
    /// Add a fault rule.
    Fault(Value),
    /// Advance or set the clock.
    Clock(Value),
    /// Accept an invitation.
    Accept(String),
    /// Run confirmations.
    Confirm,
    /// Add sign-in attempts.
    Signins(Value),
    /// Add item usages.
    ItemUsages(Value),
    /// Force a state.
    SetState(SetStateOp),
    /// Count journal entries.
    Journal(JournalQuery),
    /// Clear the journal.
    ClearJournal,
    /// Read the outbox.
    Outbox,
    /// Export the tenant.
    Export,
    /// A raw control request.
    Admin(AdminOp),
}

impl Action {
    /// Does it need the control plane?
    pub fn needs_control(&self) -> bool {
        matches!(self, Action::Control(_))
    }

    /// The YAML key of the action (for messages).
    pub fn keyword(&self) -> &'static str {
        match self {
            Action::List(_) => "list",
            Action::Get(_) => "get",
            Action::Suspend(_) => "suspend",
            Action::Reactivate(_) => "reactivate",
            Action::Events(_) => "events",
            Action::Http(_) => "http",
            Action::Mcp(_) => "mcp",
            Action::Control(c) => match c {
                ControlOp::Fault(_) => "fault",
                ControlOp::Clock(_) => "clock",
                ControlOp::Accept(_) => "accept",
                ControlOp::Confirm => "confirm",
                ControlOp::Signins(_) => "signins",
                ControlOp::ItemUsages(_) => "item_usages",
                ControlOp::SetState(_) => "set_state",
                ControlOp::Journal(_) => "journal",
                ControlOp::ClearJournal => "clear_journal",
                ControlOp::Outbox => "outbox",
                ControlOp::Export => "export",
                ControlOp::Admin(_) => "admin",
            },
        }
    }
}

impl StepDoc {
    /// The actions set on this step (exactly one is valid).
    pub fn actions(&self) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some(x) = &self.list {
            out.push(Action::List(x.clone()));
        }
        if let Some(x) = &self.get {
            out.push(Action::Get(x.clone()));
        }
        if let Some(x) = &self.suspend {
            out.push(Action::Suspend(x.clone()));
        }
        if let Some(x) = &self.reactivate {
            out.push(Action::Reactivate(x.clone()));
        }
        if let Some(x) = &self.events {
            out.push(Action::Events(x.clone()));
        }
        if let Some(x) = &self.http {
            out.push(Action::Http(x.clone()));
        }
        if let Some(x) = &self.mcp {
            out.push(Action::Mcp(x.clone()));
        }
        let c = |op| Action::Control(op);
        if let Some(x) = &self.fault {
            out.push(c(ControlOp::Fault(x.clone())));
        }
        if let Some(x) = &self.clock {
            out.push(c(ControlOp::Clock(x.clone())));
        }
        if let Some(x) = &self.accept {
            out.push(c(ControlOp::Accept(x.clone())));
        }
        if self.confirm == Some(true) {
            out.push(c(ControlOp::Confirm));
        }
        if let Some(x) = &self.signins {
            out.push(c(ControlOp::Signins(x.clone())));
        }
        if let Some(x) = &self.item_usages {
            out.push(c(ControlOp::ItemUsages(x.clone())));
        }
        if let Some(x) = &self.set_state {
            out.push(c(ControlOp::SetState(x.clone())));
        }
        if let Some(x) = &self.journal {
            out.push(c(ControlOp::Journal(x.clone())));
        }
        if self.clear_journal == Some(true) {
            out.push(c(ControlOp::ClearJournal));
        }
        if self.outbox == Some(true) {
            out.push(c(ControlOp::Outbox));
        }
        if self.export == Some(true) {
            out.push(c(ControlOp::Export));
        }
        if let Some(x) = &self.admin {
            out.push(c(ControlOp::Admin(x.clone())));
        }
        out
    }
}

//! `scimulator users ...` and `scimulator events ...`: the connector on the command line.
//!
//! Human tables by default, `--json` for scripts; exit codes from [`super::exit`] tell not-found
//! (3) and rate-limited (4) apart from other failures (1).

use std::io::Write;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use connector::events::{EventKind, EventPage, EventsClient, Start};
use connector::{Client, Error, ErrorKind, ListOptions, RetryPolicy, User, UsersApiCredentials};
use serde_json::{Value, json};

use super::exit;

/// The default bridge URL: `scimulator serve` on its default port.
pub const DEFAULT_URL: &str = "http://127.0.0.1:3002/scim/v2";
/// The default Events API URL: `scimulator serve` on its default port. The emulator's tokens
/// name 1Password's events host as their audience, as real ones do, so the audience cannot be
/// the default: it would send emulator tokens to 1Password.
pub const DEFAULT_EVENTS_URL: &str = "http://127.0.0.1:3002";
/// The default Users API URL (with `--api users-api` and no `--url`): `scimulator serve`.
pub const DEFAULT_USERS_API_URL: &str = "http://127.0.0.1:3002";

/// Which API `users` talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiArg {
    /// The SCIM bridge (`--token`).
    Scim,
    /// The 1Password Users API (`--client-id`, `--client-secret`, `--account-id`).
    UsersApi,
}

/// Flags of `users`.
#[derive(Debug, Args)]
pub struct UsersArgs {
    /// The API's base URL: the bridge's (any prefix: `/`, `/scim`, `/scim/v2`), or the Users
    /// API host with `--api users-api` (default there: http://127.0.0.1:3002).
    #[arg(long, env = "SCIMULATOR_URL", default_value = DEFAULT_URL, global = true)]
    pub url: String,
    /// Which API to use: the SCIM bridge or the 1Password Users API.
    #[arg(long, env = "SCIMULATOR_API", value_enum, default_value_t = ApiArg::Scim, global = true)]
    pub api: ApiArg,
    /// The SCIM bearer token.
    #[arg(long, env = "SCIMULATOR_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// The Users API OAuth client id.
    #[arg(long, env = "SCIMULATOR_CLIENT_ID", global = true)]
    pub client_id: Option<String>,
    /// The Users API OAuth client secret.
    #[arg(long, env = "SCIMULATOR_CLIENT_SECRET", hide_env_values = true, global = true)]
    pub client_secret: Option<String>,
    /// The 1Password account id the Users API manages.
    #[arg(long, env = "SCIMULATOR_ACCOUNT_ID", global = true)]
    pub account_id: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// Retry 429 and 503 answers with backoff (honouring Retry-After) instead of failing at once.
    #[arg(long, global = true)]
    pub retry: bool,
    /// Request timeout in seconds.
    #[arg(long, default_value_t = 30, global = true)]
    pub timeout: u64,
    /// What to do.
    #[command(subcommand)]
    pub command: UsersCommand,
}

/// `users` subcommands.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// List users, one page at a time (or all with --all).
    List {
        /// A SCIM filter, e.g. 'userName eq "ada@example.com"'.
        #[arg(long)]
        filter: Option<String>,
        /// Users per page.
        #[arg(long)]
        limit: Option<usize>,
        /// Continue from a previous page's cursor (with the same filter).
        #[arg(long, conflicts_with = "all")]
        cursor: Option<String>,
        /// Every matching user, each exactly once.
        #[arg(long)]
        all: bool,
        /// With --all: print each user as one JSON line as the pages arrive (server order),
        /// keeping no listing in memory.
        #[arg(long, requires = "all")]
        jsonl: bool,
    },
    /// Show one user.
    Get {
        /// The user id.
        id: String,
    },
    /// Suspend a user (no change if already suspended).
    Suspend {
        /// The user id.
        id: String,
    },
    /// Reactivate a suspended user (no change if already active).
    Reactivate {
        /// The user id.
        id: String,
    },
}

/// Flags of `events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The Events API base URL [default: http://127.0.0.1:3002, the local emulator]. For
    /// 1Password, the host your token was issued for, e.g. https://events.1password.com.
    #[arg(long, env = "SCIMULATOR_EVENTS_URL", global = true)]
    pub events_url: Option<String>,
    /// The Events API bearer token (a JWT).
    #[arg(long, env = "SCIMULATOR_EVENTS_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// Print JSON (one page per line) instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// Retry 429 and 503 answers with backoff instead of failing at once.
    #[arg(long, global = true)]
    pub retry: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: EventsCommand,
}

/// The event streams, as spelled on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Audit events.
    Audit,
    /// Sign-in attempts.
    Signin,
    /// Item usages.
    Items,
}

impl From<KindArg> for EventKind {
    fn from(k: KindArg) -> EventKind {
        match k {
            KindArg::Audit => EventKind::Audit,
            KindArg::Signin => EventKind::SignIn,
            KindArg::Items => EventKind::ItemUsage,
        }
    }
}

/// `events` subcommands.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Print events from a reset point or a stored cursor; prints the cursor to resume from.
    Tail {
        /// Which stream.
        #[arg(long, value_enum)]
        kind: KindArg,
        /// Resume from this cursor (from a previous run).
        #[arg(long)]
        cursor: Option<String>,
        /// Print at most this many events, then stop (pages are read min(N, 1000) at a time).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        limit: Option<u32>,
        /// Start time (RFC 3339) when starting without a cursor; default one hour ago.
        #[arg(long, conflicts_with = "cursor")]
        start_time: Option<String>,
        /// Keep polling for new events.
        #[arg(long)]
        follow: bool,
        /// Seconds between polls with --follow when nothing new came.
        #[arg(long, default_value_t = 10)]
        interval: u64,
    },
    /// Show what the token is and which streams it can read.
    Introspect,
}

/// Runs a `users` command.
pub async fn run_users(args: UsersArgs) -> u8 {
    let mut out = std::io::stdout().lock();
    let json = args.json;
    match users(args, &mut out).await {
        Ok(()) => exit::OK,
        Err(e) => report(&e, json, &mut out),
    }
}

/// Runs an `events` command.
pub async fn run_events(args: EventsArgs) -> u8 {
    let mut out = std::io::stdout().lock();
    let json = args.json;
    match events(args, &mut out).await {
        Ok(()) => exit::OK,
        Err(e) => report(&e, json, &mut out),
    }
}

/// The exit code of a connector error.
pub fn exit_code(e: &Error) -> u8 {
    match e.kind() {
        ErrorKind::NotFound => exit::NOT_FOUND,
        ErrorKind::RateLimited => exit::RATE_LIMITED,
        _ => exit::ERROR,
    }
}

/// The JSON shape of an error (`--json`).
pub fn error_json(e: &Error) -> Value {
    json!({"error": {
        "kind": e.kind(),
        "message": e.to_string(),
        "status": e.status(),
        "retry_after_secs": e.retry_after().map(|d| d.as_secs_f64()),
    }})
}

fn report(e: &Error, json: bool, out: &mut impl Write) -> u8 {
    eprintln!("error: {e}");
    if json {
        let _ = writeln!(out, "{}", error_json(e));
    }
    exit_code(e)
}

fn policy(retry: bool) -> RetryPolicy {
    if retry { RetryPolicy::default().on_retry(announce_retry) } else { RetryPolicy::none() }
}

/// Says on stderr why `--retry` is pausing, so a wait never looks like a hang.
fn announce_retry(status: u16, wait: Duration, attempt: u32) {
    eprintln!("got {status}; retrying in {:.1}s (attempt {attempt})", wait.as_secs_f64());
}

fn missing_token(var: &str) -> Error {
    Error::InvalidConfig { message: format!("no token: pass --token or set {var}") }
}

/// The client `users` flags describe: SCIM with `--token`, or the Users API with the three
/// credentials (each missing one named).
pub fn users_client(args: &UsersArgs) -> Result<Client, Error> {
    let builder = match args.api {
        ApiArg::Scim => {
            let token = args.token.clone().ok_or_else(|| missing_token("SCIMULATOR_TOKEN"))?;
            Client::builder(args.url.clone(), token)
        }
        ApiArg::UsersApi => {
            let need = |v: &Option<String>, flag: &str, var: &str| {
                v.clone().ok_or_else(|| Error::InvalidConfig {
                    message: format!("--api users-api needs {flag} (or {var})"),
                })
            };
            let credentials = UsersApiCredentials {
                client_id: need(&args.client_id, "--client-id", "SCIMULATOR_CLIENT_ID")?,
                client_secret: need(
                    &args.client_secret,
                    "--client-secret",
                    "SCIMULATOR_CLIENT_SECRET",
                )?,
                account_id: need(&args.account_id, "--account-id", "SCIMULATOR_ACCOUNT_ID")?,
            };
            // The SCIM default URL names the bridge's path; the Users API lives at the root.
            let url = if args.url == DEFAULT_URL { DEFAULT_USERS_API_URL } else { &args.url };
            Client::users_api_builder(url, credentials)
        }
    };
    builder.timeout(Duration::from_secs(args.timeout.max(1))).retry(policy(args.retry)).build()
}

async fn users(args: UsersArgs, out: &mut impl Write) -> Result<(), Error> {
    let client = users_client(&args)?;
    match args.command {
        UsersCommand::List { filter, limit, cursor, all, jsonl } => {
            if jsonl {
                client
                    .stream_all_users(filter.as_deref(), |u| {
                        // A closed pipe ends nothing here: the listing still runs to the end
                        // and reports its own errors.
                        let _ = serde_json::to_writer(&mut *out, &u);
                        let _ = out.write_all(b"\n");
                    })
                    .await?;
            } else if all {
                let users = client.list_all_users(filter.as_deref()).await?;
                if args.json {
                    // Written user by user: a tree of the whole listing would double its memory.
                    let _ = write_users_json(out, &users);
                } else {
                    let _ = write!(out, "{}", users_table(&users));
                    eprintln!("{} users", users.len());
                }
            } else {
                let page = client.list_users(&ListOptions { filter, limit, cursor }).await?;
                if args.json {
                    let _ = writeln!(out, "{}", json!(page));
                } else {
                    let _ = write!(out, "{}", users_table(&page.users));
                    let total = page.total.map_or_else(|| "?".to_owned(), |t| t.to_string());
                    eprintln!("{} of {total} users", page.users.len());
                    if let Some(c) = &page.next_cursor {
                        eprintln!("next page: --cursor {c}");
                    }
                }
            }
        }
        UsersCommand::Get { id } => print_user(&client.get_user(&id).await?, args.json, out),
        UsersCommand::Suspend { id } => {
            print_user(&client.suspend_user(&id).await?, args.json, out)
        }
        UsersCommand::Reactivate { id } => {
            print_user(&client.reactivate_user(&id).await?, args.json, out)
        }
    }
    Ok(())
}

/// `{"users": [...], "total": n}`, one user at a time.
fn write_users_json(out: &mut impl Write, users: &[User]) -> std::io::Result<()> {
    out.write_all(b"{\"users\":[")?;
    for (i, u) in users.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, u)?;
    }
    writeln!(out, "],\"total\":{}}}", users.len())
}

fn print_user(user: &User, json: bool, out: &mut impl Write) {
    if json {
        let _ = writeln!(out, "{}", json!(user));
    } else {
        let _ = write!(out, "{}", users_table(std::slice::from_ref(user)));
    }
}

/// A table of users: id, e-mail, name, status.
pub fn users_table(users: &[User]) -> String {
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| {
            vec![
                u.id.clone(),
                u.email.clone(),
                u.display_name.clone().unwrap_or_default(),
                u.status.to_string(),
            ]
        })
        .collect();
    table(&["ID", "EMAIL", "NAME", "STATUS"], &rows)
}

/// Left-aligned columns separated by two spaces; no trailing spaces.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut s = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                l.push_str("  ");
            }
            l.push_str(cell);
            if i + 1 < cells.len() {
                l.push_str(&" ".repeat(w - cell.chars().count()));
            }
        }
        s.push_str(l.trim_end());
        s.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    s
}

async fn events(args: EventsArgs, out: &mut impl Write) -> Result<(), Error> {
    let token = args.token.ok_or_else(|| missing_token("SCIMULATOR_EVENTS_TOKEN"))?;
    let mut builder = EventsClient::builder(token.clone()).retry(policy(args.retry));
    builder = builder.base_url(args.events_url.as_deref().unwrap_or(DEFAULT_EVENTS_URL));
    let client = builder.build()?;
    match args.command {
        EventsCommand::Introspect => {
            let i = client.introspect().await?;
            if args.json {
                let _ = writeln!(out, "{}", json!(i));
            } else {
                let _ = writeln!(
                    out,
                    "uuid: {}\nissued_at: {}\nfeatures: {}",
                    i.uuid,
                    i.issued_at,
                    i.features.join(", ")
                );
                if let Some(a) = &i.account_uuid {
                    let _ = writeln!(out, "account_uuid: {a}");
                }
            }
        }
        EventsCommand::Tail { kind, cursor, limit, start_time, follow, interval } => {
            let kind = EventKind::from(kind);
            let mut start = match cursor {
                Some(c) => Start::Cursor(c),
                None => Start::Reset {
                    limit: limit.map(|n| n.min(1000)),
                    start_time: start_time
                        .as_deref()
                        .map(connector::events::parse_time)
                        .transpose()?,
                    end_time: None,
                },
            };
            let mut left = limit.map_or(usize::MAX, |n| n as usize);
            let (header, widths) = (event_header(kind), event_widths(kind));
            if !args.json {
                let _ = write!(out, "{}", fixed_row(&header, &widths));
            }
            loop {
                let before = match &start {
                    Start::Cursor(c) => Some(c.clone()),
                    Start::Reset { .. } => None,
                };
                let mut page = client.poll(kind, start).await?;
                let truncated = page.items.len() > left;
                page.items.truncate(left);
                left -= page.items.len();
                if args.json {
                    let _ = writeln!(out, "{}", json!(page));
                } else {
                    for row in event_rows(kind, &page) {
                        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
                        let _ = write!(out, "{}", fixed_row(&cells, &widths));
                    }
                }
                let _ = out.flush();
                if truncated {
                    // The page's cursor would skip the events left out; resume from before it.
                    // (The first page is never cut: it is asked for at most --limit events.)
                    if let Some(c) = before {
                        eprintln!(
                            "resume with: --cursor {c} (its first events were shown already)"
                        );
                    }
                    break;
                }
                let cursor = page.cursor.clone();
                start = Start::Cursor(page.cursor);
                if left == 0 || (!page.has_more && !follow) {
                    eprintln!("resume with: --cursor {cursor}");
                    break;
                }
                if !page.has_more {
                    tokio::time::sleep(Duration::from_secs(interval.max(1))).await;
                }
            }
        }
    }
    Ok(())
}

fn event_header(kind: EventKind) -> Vec<&'static str> {
    match kind {
        EventKind::Audit => vec!["TIMESTAMP", "ACTION", "OBJECT", "ACTOR", "OBJECT_UUID"],
        EventKind::SignIn => vec!["TIMESTAMP", "CATEGORY", "TYPE", "USER", "COUNTRY"],
        EventKind::ItemUsage => vec!["TIMESTAMP", "ACTION", "USER", "ITEM_UUID", "VAULT_UUID"],
    }
}

/// Column widths of `events tail`'s table, fixed so rows printed page by page line up: wide
/// enough for a timestamp, every documented category, type and action, an e-mail and a
/// 26-letter uuid (a longer cell pushes only its own line).
fn event_widths(kind: EventKind) -> Vec<usize> {
    match kind {
        EventKind::Audit => vec![20, 10, 8, 37, 26],
        EventKind::SignIn => vec![20, 25, 26, 28, 7],
        EventKind::ItemUsage => vec![20, 20, 28, 26, 26],
    }
}

/// One line of a table with fixed column widths (a longer cell pushes the rest of its line,
/// never the other lines); no trailing spaces.
pub fn fixed_row(cells: &[&str], widths: &[usize]) -> String {
    let mut l = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            l.push_str("  ");
        }
        l.push_str(cell);
        let w = widths.get(i).copied().unwrap_or(0);
        if i + 1 < cells.len() {
            l.push_str(&" ".repeat(w.saturating_sub(cell.chars().count())));
        }
    }
    let mut l = l.trim_end().to_owned();
    l.push('\n');
    l
}

/// One table row per event, with the fields people look for first.
pub fn event_rows(kind: EventKind, page: &EventPage) -> Vec<Vec<String>> {
    let s = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("").to_owned();
    page.items
        .iter()
        .map(|e| match kind {
            EventKind::Audit => vec![
                s(e, "/timestamp"),
                s(e, "/action"),
                s(e, "/object_type"),
                Some(s(e, "/actor_details/email"))
                    .filter(|x| !x.is_empty())
                    .unwrap_or_else(|| s(e, "/actor_uuid")),
                s(e, "/object_uuid"),
            ],
            EventKind::SignIn => vec![
                s(e, "/timestamp"),
                s(e, "/category"),
                s(e, "/type"),
                s(e, "/target_user/email"),
                s(e, "/country"),
            ],
            EventKind::ItemUsage => vec![
                s(e, "/timestamp"),
                s(e, "/action"),
                s(e, "/user/email"),
                s(e, "/item_uuid"),
                s(e, "/vault_uuid"),
            ],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("scimulator").chain(args.iter().copied()))
    }

    #[test]
    fn users_list_flags() {
        let cli = parse(&[
            "users",
            "list",
            "--filter",
            "userName eq \"a\"",
            "--limit",
            "5",
            "--json",
            "--url",
            "http://h/scim",
            "--token",
            "t",
        ])
        .unwrap();
        let Command::Users(u) = cli.command else { panic!("not users") };
        assert!(u.json);
        assert_eq!(u.url, "http://h/scim");
        assert_eq!(u.token.as_deref(), Some("t"));
        match u.command {
            UsersCommand::List { filter, limit, cursor, all, jsonl } => {
                assert_eq!(filter.as_deref(), Some("userName eq \"a\""));
                assert_eq!(limit, Some(5));
                assert!(cursor.is_none() && !all && !jsonl);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            parse(&["users", "list", "--all", "--cursor", "x"]).is_err(),
            "--all and --cursor conflict"
        );
        assert!(parse(&["users", "list", "--jsonl"]).is_err(), "--jsonl needs --all");
        let cli = parse(&["users", "list", "--all", "--jsonl"]).unwrap();
        let Command::Users(u) = cli.command else { panic!("not users") };
        assert!(matches!(u.command, UsersCommand::List { all: true, jsonl: true, .. }));
        assert!(parse(&["users", "get"]).is_err(), "get needs an id");
        assert_eq!(u.api, ApiArg::Scim, "SCIM by default");
        let cli = parse(&["users", "suspend", "ABC"]).unwrap();
        let Command::Users(u) = cli.command else { panic!("not users") };
        assert!(matches!(u.command, UsersCommand::Suspend { ref id } if id == "ABC"));
    }

    #[test]
    fn users_api_flags_and_missing_credentials() {
        let cli = parse(&[
            "users",
            "get",
            "A",
            "--api",
            "users-api",
            "--client-id",
            "c",
            "--client-secret",
            "s",
            "--account-id",
            "ABCDEFGHIJKLMNOPQRSTUVWXY2",
        ])
        .unwrap();
        let Command::Users(u) = cli.command else { panic!("not users") };
        assert_eq!(u.api, ApiArg::UsersApi);
        let client = users_client(&u).unwrap();
        assert_eq!(client.api(), connector::Api::UsersApi);
        assert_eq!(client.base_url(), "http://127.0.0.1:3002/");
        let cli = parse(&["users", "get", "A", "--api", "users-api", "--client-id", "c"]).unwrap();
        let Command::Users(u) = cli.command else { panic!("not users") };
        let e = users_client(&u).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.to_string().contains("--client-secret"), "{e}");
        assert!(parse(&["users", "list", "--api", "ldap"]).is_err());
    }

    #[test]
    fn events_tail_flags() {
        let cli = parse(&[
            "events",
            "tail",
            "--kind",
            "signin",
            "--limit",
            "10",
            "--events-url",
            "http://e",
        ])
        .unwrap();
        let Command::Events(e) = cli.command else { panic!("not events") };
        assert_eq!(e.events_url.as_deref(), Some("http://e"));
        match e.command {
            EventsCommand::Tail { kind, limit, follow, .. } => {
                assert_eq!(EventKind::from(kind), EventKind::SignIn);
                assert_eq!(limit, Some(10));
                assert!(!follow);
            }
            other => panic!("{other:?}"),
        }
        assert!(parse(&["events", "tail", "--kind", "logs"]).is_err());
        assert!(parse(&["events", "tail", "--kind", "items", "--limit", "0"]).is_err());
        assert!(
            parse(&["events", "tail", "--kind", "items", "--cursor", "c", "--limit", "3"]).is_ok(),
            "--limit caps what is printed, so it goes with a cursor too"
        );
    }

    #[test]
    fn exit_codes_by_kind() {
        let nf = Error::NotFound { resource: "user X".into(), detail: "gone".into() };
        assert_eq!(exit_code(&nf), exit::NOT_FOUND);
        let rl = Error::RateLimited {
            retry_after: Some(Duration::from_secs(2)),
            rate_limit: Default::default(),
        };
        assert_eq!(exit_code(&rl), exit::RATE_LIMITED);
        assert_eq!(error_json(&rl)["error"]["retry_after_secs"], json!(2.0));
        assert_eq!(error_json(&rl)["error"]["kind"], "rate_limited");
        let other = Error::Transport { message: "refused".into() };
        assert_eq!(exit_code(&other), exit::ERROR);
    }

    #[test]
    fn tables_align() {
        let t = table(
            &["ID", "NAME"],
            &[vec!["A".into(), "Ada".into()], vec!["LONGID".into(), "".into()]],
        );
        assert_eq!(t, "ID      NAME\nA       Ada\nLONGID\n");
    }

    #[test]
    fn fixed_rows_line_up_whatever_the_page() {
        let w = [4, 3];
        assert_eq!(fixed_row(&["A", "B", "C"], &w), "A     B    C\n");
        assert_eq!(fixed_row(&["AAAA", "BBB", "C"], &w), "AAAA  BBB  C\n");
        assert_eq!(fixed_row(&["A", "B", ""], &w), "A     B\n");
    }

    #[test]
    fn event_rows_pick_the_useful_fields() {
        let page = EventPage {
            cursor: "c".into(),
            has_more: false,
            items: vec![
                json!({"timestamp": "2026-01-01T00:00:00Z", "action": "suspend", "object_type": "user",
                               "actor_uuid": "ACTOR", "object_uuid": "OBJ"}),
            ],
        };
        assert_eq!(
            event_rows(EventKind::Audit, &page),
            vec![vec!["2026-01-01T00:00:00Z", "suspend", "user", "ACTOR", "OBJ"]]
        );
    }
}

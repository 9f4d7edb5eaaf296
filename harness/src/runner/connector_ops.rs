//! Connector steps (`list`, `get`, `suspend`, `reactivate`, `events`), run through the
//! `connector` crate: the client scenarios exist to exercise.

use std::time::Duration;

use connector::events::{EventKind, EventsClient, Start};
use connector::{Client, ListOptions, RetryPolicy};
use serde_json::{Value, json};

use super::{Env, Outcome};
use crate::scenario::{Action, ConnectorApi, EventFeed};

/// The retry policy scenarios run with: honours `Retry-After` (so an injected 429 is ridden out)
/// with short, jitter-free backoff so runs stay fast and deterministic.
fn retry() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(4)
        .base_delay(Duration::from_millis(20))
        .max_delay(Duration::from_secs(2))
        .max_elapsed(Duration::from_secs(10))
        .jitter(0.0)
}

/// A client built for one step, or the scenario's kept one.
enum Held<'a> {
    Owned(Box<Client>),
    Shared(&'a Client),
}

impl std::ops::Deref for Held<'_> {
    type Target = Client;

    fn deref(&self) -> &Client {
        match self {
            Held::Owned(c) => c,
            Held::Shared(c) => c,
        }
    }
}

/// The Users API client of the scenario: the one its first Users API step built (so the access
/// token is reused, refreshed and, when the clock moves, expires across steps), or a new one
/// with its own server page size when `page_size` is given.
fn users_api_client(env: &Env, page_size: Option<usize>) -> Result<Held<'_>, String> {
    let credentials = env
        .users_api
        .clone()
        .ok_or("this target reports no Users API credentials for the tenant")?;
    let build = |page_size: Option<usize>| {
        let mut b = Client::users_api_builder(env.users_api_url.clone(), credentials.clone())
            .retry(retry());
        if let Some(n) = page_size {
            b = b.page_size(n);
        }
        b.build().map_err(|e| format!("cannot build the Users API client: {e}"))
    };
    if page_size.is_some() {
        return build(page_size).map(|c| Held::Owned(Box::new(c)));
    }
    if env.users_api_client.get().is_none() {
        // A lost race builds a client that is dropped: harmless, nothing was sent.
        let _ = env.users_api_client.set(build(None)?);
    }
    env.users_api_client
        .get()
        .map(Held::Shared)
        .ok_or_else(|| "the Users API client was not kept".to_owned())
}

/// Runs a connector operation; a connector error becomes an outcome with its kind and status.
pub(super) async fn run(action: &Action, api: ConnectorApi, env: &Env) -> Result<Outcome, String> {
    let result: Result<Value, connector::Error> = match action {
        Action::Events(op) => {
            let token = env.events_token.clone().ok_or("this target has no Events API token")?;
            let client = EventsClient::builder(token)
                .base_url(env.events_url.clone())
                .retry(retry())
                .build()
                .map_err(|e| format!("cannot build the events client: {e}"))?;
            let kind = match op.feed {
                EventFeed::Audit => EventKind::Audit,
                EventFeed::Signin => EventKind::SignIn,
                EventFeed::ItemUsage => EventKind::ItemUsage,
            };
            let start = match &op.cursor {
                Some(c) => Start::Cursor(c.clone()),
                None => {
                    let start_time = match &op.start_time {
                        Some(s) => Some(
                            connector::events::parse_time(s)
                                .map_err(|e| format!("`events.start_time`: {e}"))?,
                        ),
                        None => None,
                    };
                    Start::Reset { limit: op.limit, start_time, end_time: None }
                }
            };
            client.poll(kind, start).await.map(|page| to_json(&page))
        }
        other => {
            let page_size = match other {
                Action::List(op) => op.page_size,
                _ => None,
            };
            let client = match api {
                ConnectorApi::Scim => {
                    let mut b = Client::builder(env.scim_url.clone(), env.scim_token.clone())
                        .retry(retry());
                    if let Some(n) = page_size {
                        b = b.page_size(n);
                    }
                    Held::Owned(Box::new(
                        b.build().map_err(|e| format!("cannot build the connector client: {e}"))?,
                    ))
                }
                ConnectorApi::UsersApi => users_api_client(env, page_size)?,
            };
            match other {
                Action::List(op) if op.all => client
                    .list_all_users(op.filter.as_deref())
                    .await
                    .map(|users| json!({"users": to_json(&users)})),
                Action::List(op) => client
                    .list_users(&ListOptions {
                        filter: op.filter.clone(),
                        limit: op.limit,
                        cursor: op.cursor.clone(),
                    })
                    .await
                    .map(|page| to_json(&page)),
                Action::Get(id) => client.get_user(id).await.map(|u| to_json(&u)),
                Action::Suspend(id) => client.suspend_user(id).await.map(|u| to_json(&u)),
                Action::Reactivate(id) => client.reactivate_user(id).await.map(|u| to_json(&u)),
                _ => return Err(format!("`{}` is not a connector operation", other.keyword())),
            }
        }
    };
    Ok(match result {
        Ok(body) => Outcome { status: Some(200), body, ..Default::default() },
        Err(e) => Outcome {
            status: e.status(),
            error: Some(e.kind().as_str().to_owned()),
            message: Some(e.to_string()),
            body: json!({"error": e.kind().as_str(), "message": e.to_string()}),
            ..Default::default()
        },
    })
}

fn to_json(v: &impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

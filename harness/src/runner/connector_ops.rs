//! Connector steps (`list`, `get`, `suspend`, `reactivate`, `events`), run through the
//! `connector` crate: the client scenarios exist to exercise.

use super::{Env, Outcome};
use crate::scenario::Action;

/// Runs a connector operation.
pub(super) async fn run(action: &Action, env: &Env) -> Result<Outcome, String> {
    let _ = env;
    Err(format!(
        "`{}` needs the connector crate's client, which has not landed on this branch yet",
        action.keyword()
    ))
}

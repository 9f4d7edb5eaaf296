//! The Events API domain: the append-only event log with durable cursors, tokens, and the
//! rendering of account [`Change`](crate::account::Change)s into audit events.

/// The tenant's event log.
#[derive(Debug, Clone, Default)]
pub struct EventLog {}

//! An in-memory, stateful emulator of the 1Password SCIM Bridge and the 1Password Events API.
//!
//! Layout (domain first, HTTP last):
//! - [`account`]: the 1Password account: users and their lifecycle states, groups, memberships,
//!   the invite outbox and the confirmation watcher. Plain Rust, no HTTP.
//! - [`events`]: the Events API domain: the event log, cursors, tokens, event rendering.
//! - [`control`]: what tests do to the emulator: the request journal, fault rules, rate limits,
//!   persistence.
//! - [`users_api`]: the Users API domain: client credentials, access tokens, the User object,
//!   filters and page tokens.
//! - [`tenant`]: one isolated 1Password account with its own tokens, clock, ids and state.
//! - [`state`]: the [`Emulator`] handle: the tenant registry and configuration.
//! - [`http`]: the axum routers (SCIM, Events API, `/__admin`); thin handlers over the domain.
//! - [`server`]: serving on a listener with graceful shutdown, and [`TestServer`] for Rust tests.
//!
//! Start one in a test:
//!
//! ```no_run
//! # async fn demo() {
//! let server = emulator::TestServer::start().await;
//! let url = server.scim_url();      // http://127.0.0.1:PORT/scim/v2
//! let token = server.scim_token();  // bearer token of the default tenant
//! # let _ = (url, token);
//! # }
//! ```

pub mod account;
pub mod clock;
pub mod config;
pub mod control;
pub mod events;
pub mod http;
pub mod ids;
pub mod profile;
pub mod seed;
pub mod server;
pub mod state;
pub mod tenant;
pub mod users_api;

pub use clock::Clock;
pub use config::EmulatorConfig;
pub use profile::Profile;
pub use server::{TestServer, serve};
pub use state::Emulator;
pub use tenant::{Tenant, TenantId};

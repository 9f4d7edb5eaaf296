//! The reference client of the 1Password SCIM bridge, the 1Password Users API and the 1Password
//! Events API.
//!
//! The four operations integration platforms expose for 1Password, against any bridge (the
//! emulator or a real one):
//!
//! - [`Client::list_users`] / [`Client::list_all_users`]: filter (checked locally with the SCIM
//!   grammar before any request) and opaque cursors that stay correct when the server's order
//!   changes between calls (see [`listing`]);
//! - [`Client::get_user`];
//! - [`Client::suspend_user`] and [`Client::reactivate_user`]: idempotent, no second write.
//!
//! Rate limits are normalised into [`RateLimit`] from every header dialect. A 429 is returned as
//! [`Error::RateLimited`] with `retry_after`, unless a [`RetryPolicy`] is opted into.
//!
//! The same operations work through the 1Password Users API: build the client with
//! [`Client::users_api`] and [`UsersApiCredentials`] (the OAuth access token is fetched and
//! refreshed automatically; see [`users_api`]). Users, errors and cursors are the same.
//!
//! [`events::EventsClient`] reads audit events, sign-in attempts and item usages.
//!
//! ```no_run
//! # async fn demo() -> Result<(), connector::Error> {
//! use connector::{Client, ListOptions};
//! let client = Client::new("http://127.0.0.1:3002/scim/v2", "token")?;
//! let mut options = ListOptions { limit: Some(50), ..ListOptions::default() };
//! loop {
//!     let page = client.list_users(&options).await?;
//!     for user in &page.users {
//!         println!("{} {} {}", user.id, user.email, user.status);
//!     }
//!     match page.next_cursor {
//!         Some(c) => options.cursor = Some(c),
//!         None => break,
//!     }
//! }
//! # Ok(()) }
//! ```

mod client;
mod cursor;
mod error;
pub mod events;
pub mod listing;
mod rate_limit;
mod retry;
mod transport;
mod user;
pub mod users_api;

pub use client::{
    Api, Client, ClientBuilder, DEFAULT_LIMIT, DEFAULT_MAX_SWEEPS, DEFAULT_SWEEP_PAGE, ListOptions,
    Page,
};
pub use error::{Error, ErrorKind};
pub use rate_limit::{RateLimit, parse_retry_after};
pub use retry::RetryPolicy;
pub use user::{GroupRef, RawResource, User, UserStatus};
pub use users_api::UsersApiCredentials;

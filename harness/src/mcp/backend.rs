//! What the MCP tools run against: a user directory (the SCIM bridge today; the Users API is a
//! second implementation of the same trait) and, optionally, the Events API.
//!
//! The tool layer only sees [`UserDirectory`], so another backend is one `impl` and one match arm
//! in [`crate::cli::mcp`]: it returns the connector's normalised [`User`] and [`Error`], and the
//! tools, their schemas and their error mapping stay as they are.

use std::future::Future;
use std::pin::Pin;

use connector::{Client, Error, ListOptions, Page, User};

/// A boxed, `Send` future of a connector result (keeps [`UserDirectory`] object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// The four lifecycle operations, as every backend provides them.
pub trait UserDirectory: Send + Sync + 'static {
    /// One page of users matching `options.filter`, from `options.cursor`.
    fn list_users<'a>(&'a self, options: &'a ListOptions) -> BoxFuture<'a, Page>;
    /// One user by id.
    fn get_user<'a>(&'a self, id: &'a str) -> BoxFuture<'a, User>;
    /// Suspends a user; already suspended is a success without a write.
    fn suspend_user<'a>(&'a self, id: &'a str) -> BoxFuture<'a, User>;
    /// Reactivates a user; already active is a success without a write.
    fn reactivate_user<'a>(&'a self, id: &'a str) -> BoxFuture<'a, User>;
    /// What this backend talks to, for the server's instructions and logs
    /// (`SCIM bridge at http://...`).
    fn describe(&self) -> String;
}

/// A SCIM bridge (the emulator or a real 1Password SCIM bridge), through the connector.
impl UserDirectory for Client {
    fn list_users<'a>(&'a self, options: &'a ListOptions) -> BoxFuture<'a, Page> {
        Box::pin(Client::list_users(self, options))
    }

    fn get_user<'a>(&'a self, id: &'a str) -> BoxFuture<'a, User> {
        Box::pin(Client::get_user(self, id))
    }

    fn suspend_user<'a>(&'a self, id: &'a str) -> BoxFuture<'a, User> {
        Box::pin(Client::suspend_user(self, id))
    }

    fn reactivate_user<'a>(&'a self, id: &'a str) -> BoxFuture<'a, User> {
        Box::pin(Client::reactivate_user(self, id))
    }

    fn describe(&self) -> String {
        format!("SCIM bridge at {}", self.base_url())
    }
}

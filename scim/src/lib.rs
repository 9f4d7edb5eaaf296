//! SCIM 2.0 protocol pieces shared by the emulator, the connector and the harness.
//!
//! - [`filter`]: the RFC 7644 §3.4.2.2 filter grammar (parsed with nom), a canonical printer and
//!   an evaluator over `serde_json::Value` resources.
//! - [`path`]: the PATCH path grammar (RFC 7644 Figure 7).
//! - [`schema`]: attribute type descriptions (RFC 7643 §2, §7) that drive evaluation.
//! - [`error`]: the SCIM error (status, `scimType`, detail) and its RFC 7644 §3.12 body.
//! - [`messages`]: URNs of the protocol's message schemas.

pub mod error;
pub mod filter;
pub mod messages;
pub mod path;
pub mod schema;

pub use error::{ScimError, ScimType};
pub use filter::{AttrPath, CompValue, CompareOp, Filter};
pub use path::PatchPath;

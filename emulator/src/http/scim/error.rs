//! One place where every failure becomes a SCIM error response (RFC 7644 §3.12).

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use scim::{ScimError, ScimType};
use serde::Serialize;

use crate::account::AccountError;

/// The SCIM media type every response carries.
pub const SCIM_JSON: &str = "application/scim+json";

/// A failed SCIM request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError(pub ScimError);

impl From<ScimError> for ApiError {
    fn from(e: ScimError) -> Self {
        ApiError(e)
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        let detail = e.to_string();
        ApiError(match e {
            AccountError::UserNotFound(_) | AccountError::GroupNotFound(_) => {
                ScimError::not_found(detail)
            }
            AccountError::DuplicateUserName { .. } => ScimError::uniqueness(detail),
            AccountError::LastOwner(_) => ScimError::new(409, None, detail),
            AccountError::GuestNotManageable(_) => ScimError::new(403, None, detail),
            AccountError::BuiltinGroup(_) => ScimError::mutability(detail),
            AccountError::NestedGroup(_)
            | AccountError::UnknownMember(_)
            | AccountError::EmailDomainNotAllowed(_)
            | AccountError::InvalidValue(_) => ScimError::invalid_value(detail),
        })
    }
}

impl ApiError {
    /// 405 for a method a discovery endpoint does not support.
    pub fn method_not_allowed(detail: impl Into<String>) -> Self {
        ApiError(ScimError::new(405, None, detail))
    }

    /// 413 for an oversized body.
    pub fn too_large(limit: usize) -> Self {
        ApiError(ScimError::new(
            413,
            Some(ScimType::TooMany),
            format!("request body is larger than {limit} bytes"),
        ))
    }
}

/// A JSON response with the SCIM media type.
pub fn scim_response<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    // Most bodies are one resource: start big enough that they are written without regrowing,
    // but under glibc's 1 KiB "large request" size, whose fast-bin consolidation in a heap of
    // 100,000 users cost more than the whole serialisation.
    let mut bytes = Vec::with_capacity(768);
    // Serialising our own documents to memory cannot fail; an empty body would show if it did.
    if serde_json::to_writer(&mut bytes, body).is_err() {
        bytes.clear();
    }
    scim_bytes_response(status, bytes)
}

/// A response with an already serialised JSON body (a `Vec<u8>` or shared `Bytes`) and the
/// SCIM media type.
pub fn scim_bytes_response(status: StatusCode, body: impl Into<Bytes>) -> Response {
    // Built directly: `(status, body).into_response()` sets `application/octet-stream` first,
    // and replacing that header cost as much as adding it.
    let mut resp = Response::new(Body::from(body.into()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = scim_response(status, &self.0.to_json());
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"1Password SCIM Bridge\""),
            );
        }
        resp
    }
}

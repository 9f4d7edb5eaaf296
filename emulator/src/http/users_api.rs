//! The 1Password Users API (`/v1beta1/...`): thin handlers over [`crate::users_api`] and the
//! account domain.
//!
//! - `POST /v1beta1/users/oauth2/token`: HTTP Basic client credentials, form
//!   `grant_type=client_credentials` (`scope=openid` optional) → an opaque access token;
//! - `POST /v1beta1/users/oauth2/revoke`: Basic + form `token=` → 200, no body;
//! - `GET /v1beta1/accounts/{account_id}/users` (`filter`, `max_page_size`, `page_token`);
//! - `GET /v1beta1/accounts/{account_id}/users/{user_id}`;
//! - `POST /v1beta1/accounts/{account_id}/users/{user_id}:suspend` and `:reactivate`.
//!
//! OAuth errors are RFC 6749 bodies (`{"error": "invalid_client", "error_description"}`);
//! resource errors are `{"error": {"code", "message", "status"}}`.

// Helpers return the finished error `Response` as their `Err` so handlers can `return` it.
#![allow(clippy::result_large_err)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, get, post};
use serde_json::json;

use super::bearer::{basic, bearer};
use super::scim::{read, write};
use crate::account::AccountError;
use crate::state::{Emulator, SharedTenant, TokenKind};
use crate::tenant::Tenant;
use crate::users_api::{
    self, Credentials, HOSTED_PROVISIONING_MESSAGE, ListQuery, SCOPE, Status, TokenRejection,
    UsersApiError, listing,
};

/// The Users API routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1beta1/users/oauth2/token", with_405(post(token)))
        .route("/v1beta1/users/oauth2/revoke", with_405(post(revoke)))
        .route("/v1beta1/accounts/{account_id}/users", with_405(get(list)))
        .route("/v1beta1/accounts/{account_id}/users/{user}", with_405(get(get_user).post(action)))
        .route("/v1beta1", any(unknown_route))
        .route("/v1beta1/{*rest}", any(unknown_route))
}

fn with_405(m: MethodRouter<Emulator>) -> MethodRouter<Emulator> {
    m.fallback(|| async {
        error(&UsersApiError::new(Status::MethodNotAllowed, "method not allowed on this path"))
    })
}

async fn unknown_route() -> Response {
    error(&UsersApiError::new(Status::NotFound, "no such Users API endpoint"))
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// A resource error: `{"error": {"code", "message", "status"}}`, with `WWW-Authenticate` on 401.
fn error(e: &UsersApiError) -> Response {
    let status = StatusCode::from_u16(e.status.code()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = json_response(status, &e.to_json());
    if e.status == Status::Unauthenticated {
        let challenge = format!(
            "Bearer error=\"invalid_token\", error_description=\"{}\"",
            e.message.replace('"', "'")
        );
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
    }
    resp
}

/// An RFC 6749 §5.2 error of the token and revoke endpoints.
fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    let mut resp = json_response(status, &json!({"error": code, "error_description": description}));
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        h.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"1Password Users API\""),
        );
    }
    resp
}

// ---------------------------------------------------------------------------------------------
// OAuth: token and revoke
// ---------------------------------------------------------------------------------------------

/// The tenant whose OAuth client the request's HTTP Basic credentials are.
fn client(emu: &Emulator, headers: &HeaderMap) -> Result<SharedTenant, Response> {
    let unauthorized = |why: &str| oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", why);
    let Some((id, secret)) = basic(headers) else {
        return Err(unauthorized(
            "client authentication failed: send HTTP Basic client_id:client_secret",
        ));
    };
    let found = emu.resolve_token(&id).filter(|(_, kind)| *kind == TokenKind::UsersApiClient);
    let Some((tenant, _)) = found else {
        return Err(unauthorized("client authentication failed: unknown client"));
    };
    if !Credentials::of(&tenant.read()).accepts(&id, &secret) {
        return Err(unauthorized("client authentication failed: wrong client secret"));
    }
    Ok(tenant)
}

/// The form body as decoded pairs; 400 `invalid_request` when it is not a form.
fn form(headers: &HeaderMap, body: &Bytes) -> Result<Vec<(String, String)>, Response> {
    let bad = |why: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", why);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(bad("the body must be application/x-www-form-urlencoded"));
    }
    serde_urlencoded::from_bytes(body).map_err(|_| bad("the body is not a valid form"))
}

/// The OAuth endpoints' common start: the client's tenant (Basic auth), then the form body.
fn client_form(
    emu: &Emulator,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(SharedTenant, Vec<(String, String)>), Response> {
    let tenant = client(emu, headers)?;
    Ok((tenant, form(headers, body)?))
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `POST /v1beta1/users/oauth2/token`.
async fn token(State(emu): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    let (tenant, pairs) = match client_form(&emu, &headers, &body) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let bad = |code: &str, why: &str| oauth_error(StatusCode::BAD_REQUEST, code, why);
    match field(&pairs, "grant_type") {
        None | Some("") => return bad("invalid_request", "grant_type is required"),
        Some("client_credentials") => {}
        Some(other) => {
            return bad(
                "unsupported_grant_type",
                &format!("grant_type {other:?} is not supported: use client_credentials"),
            );
        }
    }
    if let Some(scope) = field(&pairs, "scope")
        && scope != SCOPE
    {
        return bad("invalid_scope", &format!("scope {scope:?} is not supported: use openid"));
    }
    let (issued, forgotten, id) = {
        let mut guard = tenant.write();
        let t = &mut *guard;
        let creds = Credentials::of(t);
        let now = t.clock.now();
        let (issued, forgotten) = t.users_api_tokens.issue(&creds, now);
        (issued, forgotten, t.id.clone())
    };
    // The tenant's lock is released first: the registry is always locked before a tenant.
    emu.unregister_tokens(&forgotten, &id);
    if emu.register_token(&issued.token, &id, TokenKind::UsersApi).is_err() {
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "token collision; request another token",
        );
    }
    let mut resp = json_response(
        StatusCode::OK,
        &json!({"access_token": issued.token, "token_type": "Bearer", "expires_in": issued.expires_in}),
    );
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `POST /v1beta1/users/oauth2/revoke`: 200 with no body, also for an unknown token.
async fn revoke(State(emu): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    let (tenant, pairs) = match client_form(&emu, &headers, &body) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let Some(token) = field(&pairs, "token").filter(|t| !t.is_empty()) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "token is required");
    };
    let (revoked, id) = {
        let mut t = tenant.write();
        (t.users_api_tokens.revoke(token), t.id.clone())
    };
    if revoked {
        emu.unregister_tokens(&[token.to_owned()], &id);
    }
    StatusCode::OK.into_response()
}

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

/// The tenant and credentials of a resource request: a live access token of the tenant whose
/// account `account_id` is, and an account that allows the Users API.
fn authenticate(
    emu: &Emulator,
    headers: &HeaderMap,
    account_id: &str,
) -> Result<(SharedTenant, Credentials), Response> {
    let unauthenticated = |m: &str| error(&UsersApiError::new(Status::Unauthenticated, m));
    let token = bearer(headers).map_err(|e| unauthenticated(e.message()))?;
    let found = emu.resolve_token(token).filter(|(_, kind)| *kind == TokenKind::UsersApi);
    let Some((tenant, _)) = found else {
        return Err(unauthenticated("invalid access token"));
    };
    let creds = {
        let t = tenant.read();
        match t.users_api_tokens.check(token, t.clock.now()) {
            Ok(_) => {}
            Err(TokenRejection::Expired) => return Err(unauthenticated("access token expired")),
            Err(TokenRejection::Unknown) => return Err(unauthenticated("invalid access token")),
        }
        if t.profile.hosted_provisioning {
            return Err(error(&UsersApiError::new(
                Status::PermissionDenied,
                HOSTED_PROVISIONING_MESSAGE,
            )));
        }
        Credentials::of(&t)
    };
    if !listing::is_account_id(account_id) {
        return Err(error(&UsersApiError::new(
            Status::InvalidArgument,
            format!("invalid account_id {account_id:?}: expected 26 upper-case letters and digits"),
        )));
    }
    if account_id != creds.account_id {
        return Err(error(&UsersApiError::new(
            Status::PermissionDenied,
            format!("the access token does not grant access to account {account_id}"),
        )));
    }
    Ok((tenant, creds))
}

/// `GET /v1beta1/accounts/{account_id}/users`.
async fn list(
    State(emu): State<Emulator>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let (tenant, creds) = match authenticate(&emu, &headers, &account_id) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(Query(pairs)) = query else {
        return error(&UsersApiError::new(Status::InvalidArgument, "the query string is invalid"));
    };
    let q = match ListQuery::from_pairs(&pairs) {
        Ok(q) => q,
        Err(e) => return error(&e),
    };
    let t = read(&tenant);
    match users_api::list_users(&t, &creds.account_id, &creds.client_secret, &q) {
        Ok(page) => json_response(StatusCode::OK, &page),
        Err(e) => error(&e),
    }
}

fn user_response(t: &Tenant, id: &str, account_id: &str) -> Response {
    match t.account.user(id) {
        Some(u) => {
            json_response(StatusCode::OK, &users_api::to_api_user(u, account_id, &t.profile))
        }
        None => not_found(id),
    }
}

fn not_found(id: &str) -> Response {
    error(&UsersApiError::new(Status::NotFound, format!("user {id:?} not found")))
}

/// `GET /v1beta1/accounts/{account_id}/users/{user_id}`.
async fn get_user(
    State(emu): State<Emulator>,
    Path((account_id, user)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (tenant, creds) = match authenticate(&emu, &headers, &account_id) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if user.contains(':') {
        return error(&UsersApiError::new(
            Status::MethodNotAllowed,
            "custom methods (:suspend, :reactivate) take POST",
        ));
    }
    let t = read(&tenant);
    user_response(&t, &user, &creds.account_id)
}

/// `POST .../users/{user_id}:suspend` and `:reactivate`: idempotent, 200 with the user.
async fn action(
    State(emu): State<Emulator>,
    Path((account_id, user)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (tenant, creds) = match authenticate(&emu, &headers, &account_id) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some((id, verb)) = user.rsplit_once(':') else {
        return error(&UsersApiError::new(
            Status::MethodNotAllowed,
            "POST takes a custom method: .../users/{user_id}:suspend or :reactivate",
        ));
    };
    let suspend = match verb {
        "suspend" => true,
        "reactivate" => false,
        other => {
            return error(&UsersApiError::new(
                Status::NotFound,
                format!("unknown method :{other}; use :suspend or :reactivate"),
            ));
        }
    };
    let mut guard = write(&tenant);
    let t = &mut *guard;
    let Some(u) = t.account.user(id) else { return not_found(id) };
    if suspend && is_eam(&t.profile.users_api_eam_users, &u.id, &u.user_name) {
        return error(&UsersApiError::new(
            Status::PermissionDenied,
            format!("user {id} is an externally managed administrator and cannot be suspended"),
        ));
    }
    let now = t.clock.now();
    let result = if suspend {
        t.account.suspend_user(id, &t.profile, now)
    } else {
        t.account.reactivate_user(id, now)
    };
    match result {
        Ok(changes) => {
            t.record(&changes);
            user_response(t, id, &creds.account_id)
        }
        Err(e) => error(&account_error(e)),
    }
}

fn is_eam(list: &[String], id: &str, user_name: &str) -> bool {
    list.iter().any(|e| e == id || e.eq_ignore_ascii_case(user_name))
}

fn account_error(e: AccountError) -> UsersApiError {
    let status = match &e {
        AccountError::UserNotFound(_) => Status::NotFound,
        AccountError::LastOwner(_) => Status::FailedPrecondition,
        AccountError::GuestNotManageable(_) => Status::PermissionDenied,
        _ => Status::FailedPrecondition,
    };
    UsersApiError::new(status, e.to_string())
}

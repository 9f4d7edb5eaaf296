//! Discovery (`/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`), `/health` and `/ping`.

use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use chrono::{Duration, SecondsFormat};
use scim::{ScimError, messages};
use serde_json::{Value, json};

use super::error::{ApiError, scim_response};
use super::extract::{MAX_BODY_BYTES, ResourceId, ScimTenant};
use super::{list, read, schemas};
use crate::profile::Profile;
use crate::state::Emulator;

fn profile_of(auth: &ScimTenant) -> Profile {
    read(&auth.tenant).profile.clone()
}

/// `GET /ServiceProviderConfig`, as recorded from the real bridge.
pub async fn service_provider_config(auth: ScimTenant) -> Response {
    let _ = &auth;
    let body = json!({
        "schemas": [messages::SERVICE_PROVIDER_CONFIG],
        "meta": {"resourceType": "ServiceProviderConfig", "location": "/scim/v2/ServiceProviderConfig"},
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": list::MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "name": "OAuth Bearer Token",
            "description": "Authentication using the OAuth Bearer Token standard",
            "specUri": "https://tools.ietf.org/html/rfc6750",
            "documentationUri": "",
            "type": "oauthbearertoken",
        }],
    });
    let _ = MAX_BODY_BYTES;
    scim_response(StatusCode::OK, &body)
}

fn resource_types(p: &Profile) -> Vec<Value> {
    let user_endpoint =
        if p.resource_type_singular_user_endpoint { "/scim/v2/User" } else { "/scim/v2/Users" };
    let mut user = json!({
        "schemas": [messages::RESOURCE_TYPE], "id": "User", "name": "User",
        "description": "User Account", "endpoint": user_endpoint, "schema": messages::USER,
        "meta": {"resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/User"},
    });
    if p.full_discovery {
        user["schemaExtensions"] =
            json!([{"schema": messages::ENTERPRISE_USER, "required": false}]);
    }
    let group = json!({
        "schemas": [messages::RESOURCE_TYPE], "id": "Group", "name": "Group",
        "description": "Group", "endpoint": "/scim/v2/Groups", "schema": messages::GROUP,
        "meta": {"resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/Group"},
    });
    vec![user, group]
}

fn discovery_list(resources: Vec<Value>, p: &Profile) -> Value {
    let start = usize::from(!p.discovery_start_index_zero);
    let n = resources.len();
    json!({
        "schemas": [messages::LIST_RESPONSE],
        "totalResults": n, "itemsPerPage": n, "startIndex": start,
        "Resources": resources,
    })
}

/// `GET /ResourceTypes`.
pub async fn resource_types_list(auth: ScimTenant) -> Response {
    let p = profile_of(&auth);
    scim_response(StatusCode::OK, &discovery_list(resource_types(&p), &p))
}

/// `GET /ResourceTypes/{id}`.
pub async fn resource_type(
    auth: ScimTenant,
    ResourceId(id): ResourceId,
) -> Result<Response, ApiError> {
    let p = profile_of(&auth);
    let found = resource_types(&p).into_iter().find(|r| r["id"].as_str() == Some(id.as_str()));
    let r = found.ok_or_else(|| ScimError::not_found(format!("no resource type {id:?}")))?;
    Ok(scim_response(StatusCode::OK, &r))
}

/// `GET /Schemas`.
pub async fn schemas_list(auth: ScimTenant) -> Response {
    let p = profile_of(&auth);
    scim_response(StatusCode::OK, &discovery_list(schemas::schema_documents(p.full_discovery), &p))
}

/// `GET /Schemas/{urn}`.
pub async fn schema(auth: ScimTenant, ResourceId(id): ResourceId) -> Result<Response, ApiError> {
    let p = profile_of(&auth);
    let found = schemas::schema_documents(p.full_discovery)
        .into_iter()
        .find(|r| r["id"].as_str().is_some_and(|s| s.eq_ignore_ascii_case(&id)));
    let r = found.ok_or_else(|| ScimError::not_found(format!("no schema {id:?}")))?;
    Ok(scim_response(StatusCode::OK, &r))
}

/// 405 with a SCIM body for methods an endpoint does not support.
pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(format!("{method} is not supported on {}", uri.path()))
}

/// `GET /health` (authenticated): the bridge's health report.
pub async fn health(State(emu): State<Emulator>, auth: ScimTenant) -> Response {
    // The bridge keeps its state in Redis: a failing state file is reported as its cache.
    let storage = if emu.control().storage_error().is_some() { "degraded" } else { "healthy" };
    let t = read(&auth.tenant);
    let now = t.clock.now();
    let watcher_state =
        if t.profile.confirmation_delay_secs.is_some() { "healthy" } else { "disconnected" };
    drop(t);
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let report = |source: &str, state: &str| json!({"source": source, "time": fmt(now), "expires": fmt(now + Duration::minutes(10)), "state": state});
    let body = json!({
        "build": "209163",
        "version": "2.9.16",
        "reports": [
            report("ConfirmationWatcher", watcher_state),
            report("RedisCache", storage),
            report("SCIMServer", "healthy"),
            report("StartProvisionWatcher", "healthy"),
        ],
        "retrievedAt": fmt(now),
    });
    let mut resp = scim_response(StatusCode::OK, &body);
    resp.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    resp
}

/// `GET /ping` (no auth).
pub async fn ping() -> &'static str {
    "pong"
}

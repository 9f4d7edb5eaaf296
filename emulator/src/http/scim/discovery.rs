//! Discovery (`/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`), `/health` and `/ping`.

use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, SecondsFormat};
use scim::{ScimError, messages};
use serde_json::{Value, json};

use super::error::{ApiError, scim_response};
use super::extract::{BaseUrl, MAX_BODY_BYTES, ResourceId, ScimTenant};
use super::{list, read, schemas};
use crate::profile::Profile;
use crate::state::Emulator;

fn profile_of(auth: &ScimTenant) -> Profile {
    read(&auth.tenant).profile.clone()
}

/// `GET /ServiceProviderConfig`: the recorded bridge's document, or (with `full_discovery`) one
/// that describes what the profile supports, with absolute `meta.location` and no empty URIs.
pub async fn service_provider_config(auth: ScimTenant) -> Response {
    let p = profile_of(&auth);
    scim_response(StatusCode::OK, &service_provider_config_document(&p, &auth.base_url))
}

/// The ServiceProviderConfig document for profile `p` served under `base`.
pub fn service_provider_config_document(p: &Profile, base: &BaseUrl) -> Value {
    if !p.full_discovery {
        // As recorded (1password-behaviour.md §1.4), including the empty documentationUri.
        return json!({
            "schemas": [messages::SERVICE_PROVIDER_CONFIG],
            "meta": {"resourceType": "ServiceProviderConfig", "location": "/scim/v2/ServiceProviderConfig"},
            "patch": {"supported": true},
            "bulk": bulk(p),
            "filter": {"supported": true, "maxResults": list::MAX_RESULTS},
            "changePassword": {"supported": false},
            "sort": {"supported": p.sort},
            "etag": {"supported": p.etag},
            "authenticationSchemes": [{
                "name": "OAuth Bearer Token",
                "description": "Authentication using the OAuth Bearer Token standard",
                "specUri": "https://tools.ietf.org/html/rfc6750",
                "documentationUri": "",
                "type": "oauthbearertoken",
            }],
        });
    }
    json!({
        "schemas": [messages::SERVICE_PROVIDER_CONFIG],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
        "patch": {"supported": true},
        "bulk": bulk(p),
        "filter": {"supported": true, "maxResults": list::MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": p.sort},
        "etag": {"supported": p.etag},
        "authenticationSchemes": [{
            "name": "OAuth Bearer Token",
            "description": "Authentication using the OAuth Bearer Token standard",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "type": "oauthbearertoken",
            "primary": true,
        }],
    })
}

/// The `bulk` feature: the switch's operation limit and the body size limit, or the recorded
/// zeros when Bulk is off.
fn bulk(p: &Profile) -> Value {
    let on = p.bulk_max_operations > 0;
    json!({
        "supported": on,
        "maxOperations": p.bulk_max_operations,
        "maxPayloadSize": if on { MAX_BODY_BYTES } else { 0 },
    })
}

/// The ResourceType documents. The recorded ones name absolute `/scim/v2/...` endpoints (and a
/// singular `/User`, a switch); with `full_discovery` endpoints are relative to the base URL
/// (RFC 7643 §6) and `meta.location` is absolute under the prefix the request used.
fn resource_types(p: &Profile, base: &BaseUrl) -> Vec<Value> {
    let user = if p.resource_type_singular_user_endpoint { "/User" } else { "/Users" };
    let (endpoint_prefix, location_base) = if p.full_discovery {
        (String::new(), base.to_string())
    } else {
        ("/scim/v2".into(), "/scim/v2".into())
    };
    let mut user = json!({
        "schemas": [messages::RESOURCE_TYPE], "id": "User", "name": "User",
        "description": "User Account", "endpoint": format!("{endpoint_prefix}{user}"), "schema": messages::USER,
        "meta": {"resourceType": "ResourceType", "location": format!("{location_base}/ResourceTypes/User")},
    });
    if p.full_discovery {
        user["schemaExtensions"] =
            json!([{"schema": messages::ENTERPRISE_USER, "required": false}]);
    }
    let group = json!({
        "schemas": [messages::RESOURCE_TYPE], "id": "Group", "name": "Group",
        "description": "Group", "endpoint": format!("{endpoint_prefix}/Groups"), "schema": messages::GROUP,
        "meta": {"resourceType": "ResourceType", "location": format!("{location_base}/ResourceTypes/Group")},
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
    scim_response(StatusCode::OK, &discovery_list(resource_types(&p, &auth.base_url), &p))
}

/// `GET /ResourceTypes/{id}`.
pub async fn resource_type(
    auth: ScimTenant,
    ResourceId(id): ResourceId,
) -> Result<Response, ApiError> {
    let p = profile_of(&auth);
    let found = resource_types(&p, &auth.base_url)
        .into_iter()
        .find(|r| r["id"].as_str() == Some(id.as_str()));
    let r = found.ok_or_else(|| ScimError::not_found(format!("no resource type {id:?}")))?;
    Ok(scim_response(StatusCode::OK, &r))
}

/// `GET /Schemas`.
pub async fn schemas_list(auth: ScimTenant) -> Response {
    let p = profile_of(&auth);
    scim_response(
        StatusCode::OK,
        &discovery_list(schemas::schema_documents(p.full_discovery, &auth.base_url), &p),
    )
}

/// `GET /Schemas/{urn}`.
pub async fn schema(auth: ScimTenant, ResourceId(id): ResourceId) -> Result<Response, ApiError> {
    let p = profile_of(&auth);
    let found = schemas::schema_documents(p.full_discovery, &auth.base_url)
        .into_iter()
        .find(|r| r["id"].as_str().is_some_and(|s| s.eq_ignore_ascii_case(&id)));
    let r = found.ok_or_else(|| ScimError::not_found(format!("no schema {id:?}")))?;
    Ok(scim_response(StatusCode::OK, &r))
}

/// 405 with a SCIM body for methods an endpoint does not support.
pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(format!("{method} is not supported on {}", uri.path()))
}

/// 404 for a path no route serves, with an error body in the API's own shape: a SCIM error
/// everywhere but under `/api/` (RFC 7644 §3.12; an empty 404 is no recorded quirk), where
/// the Events API's `{"status", "message"}` is used.
pub async fn not_found(uri: Uri) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") {
        let body = json!({"status": 404, "message": format!("no endpoint at {path}")});
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    }
    ApiError(ScimError::not_found(format!("no resource or endpoint at {path}"))).into_response()
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

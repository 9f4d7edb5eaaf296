//! `/Groups`: thin handlers over the account domain.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use scim::{ScimError, messages};
use serde_json::{Map, Value, json};

use super::error::{ApiError, scim_bytes_response, scim_response};
use super::extract::{BaseUrl, ReadQuery, ResourceId, ScimBody, ScimTenant};
use super::list::{self, ListParams, Listing};
use super::patch::{self, PatchOptions};
use super::render::Rendered;
use super::{etag, read, render, resource, schemas, sort, write};
use crate::account::{AccountError, Group, GroupInput};
use crate::profile::Profile;
use crate::tenant::Tenant;

fn visible(g: &Group, p: &Profile) -> bool {
    !(p.hide_builtin_groups && g.kind.is_builtin())
}

/// The ListResponse for groups matching `params`.
pub(super) fn search(
    t: &Tenant,
    params: ListParams,
    base: &BaseUrl,
) -> Result<Listing<'static>, ScimError> {
    let filter = list::admit_filter(params.filter.as_ref(), &t.profile, true)?;
    let Tenant { account, profile, .. } = t;
    let shuffle = profile.shuffle_list_order.then(|| account.next_list_nonce());
    if let Some(f) = filter {
        f.validate(&schemas::GROUP)?;
    }
    let with_members = filter.is_some_and(|f| {
        f.referenced_paths().iter().any(|p| p.name.eq_ignore_ascii_case("members"))
    });
    // "Which groups is this user in": set lookups per group, however big the group.
    let member = filter.and_then(member_lookup);
    let mut ids = Vec::new();
    for g in account.groups().filter(|g| visible(g, profile)) {
        let keep = match &filter {
            None => true,
            Some(f) => match &member {
                Some(spellings) => spellings.iter().any(|id| g.members.contains(id.as_str())),
                None => {
                    f.matches_validated(&render::group_for_filter(g, with_members), &schemas::GROUP)
                }
            },
        };
        if keep {
            ids.push(g.id.clone());
        }
    }
    // `sortBy` (the `sort` switch): the matches in key order, not shuffled.
    let shuffle = match (&params.sort, profile.sort) {
        (Some(spec), true) => {
            let mut keyed: Vec<(sort::SortKey, String)> = ids
                .into_iter()
                .filter_map(|id| account.group(&id).map(|g| (g, id)))
                .map(|(g, id)| {
                    let doc = render::group(g, account, profile, base);
                    (sort::key(&doc, &spec.path, &schemas::GROUP), id)
                })
                .collect();
            sort::sort_by_keys(&mut keyed, spec.descending);
            ids = keyed.into_iter().map(|(_, id)| id).collect();
            None
        }
        _ => shuffle,
    };
    let resources = list::page_positions(ids.len(), &params, shuffle)
        .filter_map(|i| account.group(&ids[i]))
        .map(|g| Rendered::Tree(params.projection.apply(render::group(g, account, profile, base))))
        .collect();
    Ok(Listing::new(resources, ids.len(), params.start_index, profile))
}

/// `members.value eq "id"` (or `members eq "id"`), the filter IdPs send to find a user's groups,
/// as the spellings to look up in each group's member set. `members.value` compares
/// case-insensitively, and stored member ids are canonical (user ids upper-case, group ids
/// lower-case), so the upper- and lower-case spellings find every match. Only for ASCII values:
/// Unicode case folding can map other letters onto ASCII ones, which the evaluator handles.
fn member_lookup(f: &scim::Filter) -> Option<[String; 2]> {
    let (path, value) = f.as_simple_eq()?;
    let scim::CompValue::String(id) = value else { return None };
    let core = path.urn.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(messages::GROUP));
    let sub_ok = path.sub_attr.as_deref().is_none_or(|s| s.eq_ignore_ascii_case("value"));
    (core && sub_ok && path.name.eq_ignore_ascii_case("members") && id.is_ascii())
        .then(|| [id.as_str().to_ascii_uppercase(), id.as_str().to_ascii_lowercase()])
}

/// `GET /Groups`.
pub async fn list(auth: ScimTenant, q: ReadQuery) -> Result<Response, ApiError> {
    let params = ListParams::from_query(&q, messages::GROUP)?;
    let t = read(&auth.tenant);
    Ok(scim_bytes_response(StatusCode::OK, search(&t, params, &auth.base_url)?.to_json()))
}

/// `POST /Groups/.search`.
pub async fn search_post(auth: ScimTenant, ScimBody(body): ScimBody) -> Result<Response, ApiError> {
    let params = ListParams::from_search(&body, messages::GROUP)?;
    let t = read(&auth.tenant);
    Ok(scim_bytes_response(StatusCode::OK, search(&t, params, &auth.base_url)?.to_json()))
}

fn visible_group<'a>(t: &'a Tenant, id: &str) -> Result<&'a Group, ApiError> {
    t.account
        .group(id)
        .filter(|g| visible(g, &t.profile))
        .ok_or_else(|| AccountError::GroupNotFound(id.to_owned()).into())
}

fn render_one(t: &Tenant, id: &str, base: &BaseUrl, q: &ReadQuery) -> Result<Value, ApiError> {
    let g = visible_group(t, id)?;
    let params = ListParams::from_query(q, messages::GROUP)?;
    Ok(params.projection.apply(render::group(g, &t.account, &t.profile, base)))
}

/// The group's current version when the profile has ETags.
fn current_version(t: &Tenant, id: &str) -> Result<Option<String>, ApiError> {
    if !t.profile.etag {
        return Ok(None);
    }
    let g = visible_group(t, id)?;
    Ok(Some(render::group_version(g, &t.account, &t.profile)))
}

/// `If-Match` against the group's current version (the `etag` switch): 412 before any change.
fn check_if_match(t: &Tenant, id: &str, headers: &HeaderMap) -> Result<(), ApiError> {
    match current_version(t, id)? {
        Some(v) => etag::check_if_match(headers, &v),
        None => Ok(()),
    }
}

/// The response carrying group `id` (projected by `q`), with its `ETag` when the profile has
/// them.
fn group_response(
    t: &Tenant,
    status: StatusCode,
    id: &str,
    base: &BaseUrl,
    q: &ReadQuery,
) -> Result<Response, ApiError> {
    let body = render_one(t, id, base, q)?;
    let mut resp = scim_response(status, &body);
    if let Some(v) = current_version(t, id)? {
        etag::set(&mut resp, &v);
    }
    Ok(resp)
}

/// `GET /Groups/{id}`.
pub async fn get(
    auth: ScimTenant,
    ResourceId(id): ResourceId,
    q: ReadQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let t = read(&auth.tenant);
    if let Some(v) = current_version(&t, &id)?
        && let Some(resp) = etag::not_modified(&headers, &v)
    {
        return Ok(resp);
    }
    group_response(&t, StatusCode::OK, &id, &auth.base_url, &q)
}

/// Reads a group document (after normalisation) into domain input. `members` absent means
/// "no members" for POST/PUT (they replace the whole group).
fn group_input(doc: Map<String, Value>) -> Result<GroupInput, ApiError> {
    let mut doc = resource::normalise(doc, &schemas::GROUP)?;
    let display_name = match doc.remove("displayName") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(Value::String(_)) => {
            return Err(ApiError(ScimError::invalid_value("displayName must not be empty")));
        }
        _ => return Err(ApiError(ScimError::invalid_value("displayName is required"))),
    };
    let members = match doc.remove("members") {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            let mut ids = Vec::with_capacity(items.len());
            for (i, m) in items.iter().enumerate() {
                match m.get("value") {
                    Some(Value::String(v)) => ids.push(v.clone()),
                    _ => {
                        return Err(ApiError(ScimError::invalid_value(format!(
                            "members[{i}].value is required and must be a string (a user id)"
                        ))));
                    }
                }
            }
            ids
        }
        Some(_) => return Err(ApiError(ScimError::invalid_value("members must be an array"))),
    };
    doc.remove("id");
    doc.remove("meta");
    doc.remove("schemas");
    Ok(GroupInput { display_name, members: Some(members), attrs: doc })
}

/// `POST /Groups`.
pub async fn create(
    auth: ScimTenant,
    q: ReadQuery,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let input = group_input(resource::body_object(body)?)?;
    let mut guard = write(&auth.tenant);
    let t = &mut *guard;
    let now = t.clock.now();
    let (id, changes) = t.account.create_group(input, &t.profile, &mut t.ids, now)?;
    t.record(&changes);
    let created = t.profile.post_returns_201;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    let mut resp = group_response(t, status, &id, &auth.base_url, &q)?;
    drop(guard);
    if created && let Ok(loc) = HeaderValue::from_str(&format!("{}/Groups/{id}", auth.base_url)) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(resp)
}

/// `PUT /Groups/{id}`.
pub async fn replace(
    auth: ScimTenant,
    ResourceId(id): ResourceId,
    q: ReadQuery,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let doc = resource::body_object(body)?;
    resource::check_id(&doc, &id)?;
    let input = group_input(doc)?;
    let mut guard = write(&auth.tenant);
    let t = &mut *guard;
    visible_group(t, &id)?;
    check_if_match(t, &id, &headers)?;
    let now = t.clock.now();
    let changes = t.account.replace_group(&id, input, &t.profile, now)?;
    t.record(&changes);
    group_response(t, StatusCode::OK, &id, &auth.base_url, &q)
}

/// `PATCH /Groups/{id}`: Okta and Entra membership shapes, renames.
pub async fn patch(
    auth: ScimTenant,
    ResourceId(id): ResourceId,
    q: ReadQuery,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let mut guard = write(&auth.tenant);
    let t = &mut *guard;
    check_if_match(t, &id, &headers)?;
    let g = visible_group(t, &id)?;
    let mut doc = g.attrs.clone();
    doc.insert("displayName".into(), Value::String(g.display_name.clone()));
    let members: Vec<Value> = g.members.iter().map(|m| json!({"value": m})).collect();
    if !members.is_empty() {
        doc.insert("members".into(), Value::Array(members));
    }
    let opts =
        PatchOptions { create_missing_value_path: t.profile.patch_creates_missing_value_path };
    patch::apply(&mut doc, &body, &id, &schemas::GROUP, opts)?;
    let input = group_input(doc)?;
    let now = t.clock.now();
    let changes = t.account.replace_group(&id, input, &t.profile, now)?;
    t.record(&changes);
    group_response(t, StatusCode::OK, &id, &auth.base_url, &q)
}

/// `DELETE /Groups/{id}`.
pub async fn delete(
    auth: ScimTenant,
    ResourceId(id): ResourceId,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut guard = write(&auth.tenant);
    let t = &mut *guard;
    if visible_group(t, &id).is_err() && !t.profile.delete_unknown_is_404 {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    visible_group(t, &id)?;
    check_if_match(t, &id, &headers)?;
    let changes = t.account.delete_group(&id)?;
    t.record(&changes);
    drop(guard);
    Ok(StatusCode::NO_CONTENT.into_response())
}

//! `/Users`: thin handlers over the account domain.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use scim::{ScimError, messages};
use serde_json::{Map, Value};

use super::error::{ApiError, scim_bytes_response, scim_response};
use super::extract::{BaseUrl, ReadQuery, ResourceId, ScimBody, ScimTenant};
use super::list::{self, IndexedLookup, ListParams, Listing};
use super::patch::{self, PatchOptions};
use super::render::Rendered;
use super::{etag, read, render, resource, schemas, sort, write};
use crate::account::{AccountError, User, UserInput};
use crate::profile::DuplicateUserName;
use crate::tenant::Tenant;

/// The users a listing chooses its page from.
enum Candidates<'a> {
    /// Every user, in account order.
    All,
    /// At most one user.
    One(Option<&'a User>),
    /// These users, in this order.
    Listed(Vec<&'a User>),
}

/// The ListResponse for users matching `params`.
pub(super) fn search<'a>(
    t: &'a Tenant,
    params: ListParams,
    base: &BaseUrl,
) -> Result<Listing<'a>, ScimError> {
    let filter = list::admit_filter(params.filter.as_ref(), &t.profile, false)?;
    let shuffle = t.profile.shuffle_list_order.then(|| t.account.next_list_nonce());
    let Tenant { account, profile, .. } = t;
    let (account, profile): (&'a _, &'a _) = (account, profile);
    // The matching users: all of them (in account order) without a filter; an index lookup's
    // one user or none (`userName` is unique) without a list to hold it.
    let matched: Candidates<'a> = match filter {
        None => Candidates::All,
        Some(f) => match list::indexed_user_lookup(f) {
            Some(IndexedLookup::UserName(v)) => Candidates::One(account.user_by_user_name(v)),
            Some(IndexedLookup::ExternalId(v)) => {
                Candidates::Listed(account.users_by_external_id(v).collect())
            }
            None => {
                // Validated once (a bad filter is a 400 even with no users); the scan then
                // evaluates stored users without rendering them.
                f.validate(&schemas::USER)?;
                let full = |u: &User| render::full_user(u, account, profile, base);
                Candidates::Listed(account.scan_users(f, &schemas::USER, &full))
            }
        },
    };
    // `sortBy` (the `sort` switch): the matches in key order, which also fixes the order a
    // shuffling profile would otherwise draw.
    let (matched, shuffle) = match (&params.sort, profile.sort) {
        (Some(spec), true) => {
            let users: Vec<&'a User> = match matched {
                Candidates::All => account.users().collect(),
                Candidates::One(u) => u.into_iter().collect(),
                Candidates::Listed(users) => users,
            };
            let mut keyed: Vec<(sort::SortKey, &'a User)> = users
                .into_iter()
                .map(|u| {
                    let doc = render::full_user(u, account, profile, base);
                    (sort::key(&doc, &spec.path, &schemas::USER), u)
                })
                .collect();
            sort::sort_by_keys(&mut keyed, spec.descending);
            (Candidates::Listed(keyed.into_iter().map(|(_, u)| u).collect()), None)
        }
        _ => (matched, shuffle),
    };
    let total = match &matched {
        Candidates::All => account.user_count(),
        Candidates::One(u) => usize::from(u.is_some()),
        Candidates::Listed(users) => users.len(),
    };
    let at = |i: usize| match &matched {
        Candidates::All => account.user_at(i),
        Candidates::One(u) => u.filter(|_| i == 0),
        Candidates::Listed(users) => users.get(i).copied(),
    };
    let resources = list::page_positions(total, &params, shuffle)
        .filter_map(at)
        .map(|u| render::user_resource(u, account, profile, base, &params.projection))
        .collect();
    Ok(Listing::new(resources, total, params.start_index, profile))
}

/// `GET /Users`.
pub async fn list(auth: ScimTenant, q: ReadQuery) -> Result<Response, ApiError> {
    let params = ListParams::from_query(&q, messages::USER)?;
    let t = read(&auth.tenant);
    Ok(scim_bytes_response(StatusCode::OK, search(&t, params, &auth.base_url)?.to_json()))
}

/// `POST /Users/.search`.
pub async fn search_post(auth: ScimTenant, ScimBody(body): ScimBody) -> Result<Response, ApiError> {
    let params = ListParams::from_search(&body, messages::USER)?;
    let t = read(&auth.tenant);
    Ok(scim_bytes_response(StatusCode::OK, search(&t, params, &auth.base_url)?.to_json()))
}

/// The response carrying user `id`, rendered (and projected by the query `q`) under the lock.
fn user_response(
    t: &Tenant,
    status: StatusCode,
    id: &str,
    base: &BaseUrl,
    q: &ReadQuery,
) -> Result<Response, ApiError> {
    let u = t.account.user(id).ok_or(AccountError::UserNotFound(id.to_owned()))?;
    let params = ListParams::from_query(q, messages::USER)?;
    let doc = render::user_resource(u, &t.account, &t.profile, base, &params.projection);
    let mut resp = match doc {
        // The kept text is the body itself: shared, not copied.
        Rendered::Raw(text) => scim_bytes_response(status, text.clone()),
        Rendered::Tree(tree) => scim_response(status, &tree),
    };
    if t.profile.etag {
        etag::set(&mut resp, &render::user_version(u, &t.account, &t.profile));
    }
    Ok(resp)
}

/// The user's current version when the profile has ETags (for the conditional headers).
fn current_version(t: &Tenant, id: &str) -> Result<Option<String>, ApiError> {
    if !t.profile.etag {
        return Ok(None);
    }
    let u = t.account.user(id).ok_or(AccountError::UserNotFound(id.to_owned()))?;
    Ok(Some(render::user_version(u, &t.account, &t.profile)))
}

/// `If-Match` against the user's current version (the `etag` switch): 412 before any change.
fn check_if_match(t: &Tenant, id: &str, headers: &HeaderMap) -> Result<(), ApiError> {
    match current_version(t, id)? {
        Some(v) => etag::check_if_match(headers, &v),
        None => Ok(()),
    }
}

/// `GET /Users/{id}`.
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
    user_response(&t, StatusCode::OK, &id, &auth.base_url, &q)
}

/// Splits a normalised user document into domain input.
/// Most values a user's multi-valued attribute (`emails`, `phoneNumbers`, ...) may hold.
pub const MAX_VALUES_PER_ATTRIBUTE: usize = 100;

/// Refuses a user document with an attribute (or extension attribute) holding more than
/// [`MAX_VALUES_PER_ATTRIBUTE`] values.
fn check_value_counts(doc: &Map<String, Value>) -> Result<(), ApiError> {
    let nested = doc.values().filter_map(Value::as_object).flat_map(|o| o.iter());
    for (name, value) in doc.iter().chain(nested) {
        if let Value::Array(items) = value
            && items.len() > MAX_VALUES_PER_ATTRIBUTE
            && name != "schemas"
        {
            return Err(ApiError(ScimError::invalid_value(format!(
                "attribute {name:?} has {} values; at most {MAX_VALUES_PER_ATTRIBUTE} are allowed",
                items.len()
            ))));
        }
    }
    Ok(())
}

fn user_input(doc: Map<String, Value>) -> Result<UserInput, ApiError> {
    check_value_counts(&doc)?;
    let doc = resource::normalise(doc, &schemas::USER)?;
    let active = match doc.get("active") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => {
            return Err(ApiError(ScimError::invalid_value(format!(
                "attribute \"active\" must be a boolean, got {other}"
            ))));
        }
    };
    Ok(UserInput { attrs: doc, active })
}

/// `POST /Users`: invites a user.
pub async fn create(
    auth: ScimTenant,
    q: ReadQuery,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let input = user_input(resource::body_object(body)?)?;
    let mut guard = write(&auth.tenant);
    let t = &mut *guard;
    let now = t.clock.now();
    let (status, id) = match t.account.create_user(input, &t.profile, &mut t.ids, now) {
        Ok((id, changes)) => {
            t.record(&changes);
            let status =
                if t.profile.post_returns_201 { StatusCode::CREATED } else { StatusCode::OK };
            (status, id)
        }
        Err(AccountError::DuplicateUserName { user_name, existing_id }) => {
            match t.profile.duplicate_user_name {
                DuplicateUserName::ReturnExisting => (StatusCode::OK, existing_id),
                DuplicateUserName::Conflict => {
                    return Err(ScimError::uniqueness(format!(
                        "userName {user_name:?} is already taken by user {existing_id}"
                    ))
                    .into());
                }
                DuplicateUserName::BadRequest => {
                    return Err(ScimError::invalid_value(format!(
                        "userName {user_name:?} is already taken by user {existing_id}"
                    ))
                    .into());
                }
            }
        }
        Err(e) => return Err(e.into()),
    };
    let mut resp = user_response(t, status, &id, &auth.base_url, &q)?;
    let post_201 = status == StatusCode::CREATED;
    drop(guard);
    if post_201 && let Ok(loc) = HeaderValue::from_str(&format!("{}/Users/{id}", auth.base_url)) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(resp)
}

/// `PUT /Users/{id}`: replaces the user's attributes.
pub async fn replace(
    auth: ScimTenant,
    ResourceId(id): ResourceId,
    q: ReadQuery,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let doc = resource::body_object(body)?;
    resource::check_id(&doc, &id)?;
    let input = user_input(doc)?;
    let mut guard = write(&auth.tenant);
    let t = &mut *guard;
    check_if_match(t, &id, &headers)?;
    let now = t.clock.now();
    let changes = t.account.replace_user(&id, input, &t.profile, &mut t.ids, now)?;
    t.record(&changes);
    user_response(t, StatusCode::OK, &id, &auth.base_url, &q)
}

/// `PATCH /Users/{id}`: applies the operations to a copy, then replaces.
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
    let user = t.account.user(&id).ok_or(AccountError::UserNotFound(id.clone()))?;
    let mut doc = user.attrs.to_map();
    let had_active = !user.active_unassigned;
    if had_active {
        doc.insert("active".into(), Value::Bool(user.active()));
    }
    let opts =
        PatchOptions { create_missing_value_path: t.profile.patch_creates_missing_value_path };
    patch::apply(&mut doc, &body, &id, &schemas::USER, opts)?;
    // `remove active`: unassigned (the state is kept) or refused, never silently ignored.
    let removed_active = had_active && !doc.contains_key("active");
    if removed_active && !t.profile.unassign_removed_active {
        return Err(ScimError::mutability(
            "attribute \"active\" cannot be removed; replace it with false to deactivate the user",
        )
        .into());
    }
    let input = user_input(doc)?;
    let now = t.clock.now();
    let changes = t.account.replace_user(&id, input, &t.profile, &mut t.ids, now)?;
    t.record(&changes);
    if removed_active {
        t.account.unassign_active(&id, now)?;
    }
    user_response(t, StatusCode::OK, &id, &auth.base_url, &q)
}

/// `DELETE /Users/{id}`: suspends (the real bridge) or removes.
pub async fn delete(
    auth: ScimTenant,
    ResourceId(id): ResourceId,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut guard = write(&auth.tenant);
    let t = &mut *guard;
    if t.account.user(&id).is_none() && !t.profile.delete_unknown_is_404 {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    check_if_match(t, &id, &headers)?;
    let now = t.clock.now();
    let changes = t.account.delete_user(&id, &t.profile, now)?;
    t.record(&changes);
    drop(guard);
    Ok(StatusCode::NO_CONTENT.into_response())
}

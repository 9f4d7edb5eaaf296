//! Fidelity profiles: every behaviour where the real 1Password bridge and RFC 7644 differ is one
//! typed switch here, with two presets. `onepassword` (the default) reproduces the real bridge,
//! `rfc` is strict RFC 7644. Any switch can be overridden on its own (`--set name=value`, seed
//! files, scenario files), so no handler ever compares profile names.
//!
//! Evidence for each default is in `shared/docs/1password-behaviour.md` §6.2.

use serde::{Deserialize, Serialize};

/// The named presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// What the real 1Password SCIM bridge does.
    #[default]
    Onepassword,
    /// Strict RFC 7644.
    Rfc,
}

/// The user payload shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserPayload {
    /// Profile A: the sparse shape recorded from real traffic in 2026.
    Sparse,
    /// Profile B: the 2023 docs' shape (empty strings, `groups[].ref`, `honorific*`).
    EmptyStrings,
    /// Everything stored, returned as sent, full `meta` (RFC).
    Full,
}

/// What `POST /Users` does with a userName that already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateUserName {
    /// 409 `uniqueness` (RFC).
    Conflict,
    /// 200 with the existing user.
    ReturnExisting,
    /// 400 `invalidValue`.
    BadRequest,
}

/// The Events API error body variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventsErrorBody {
    /// `{"status": 401, "message": "..."}` (reference 1.4.1).
    StatusMessage,
    /// `{"Error": {"Message": "..."}}` (OpenAPI 1.2.0).
    ErrorMessage,
}

/// The v3 audit events parameter set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum V3Params {
    /// `max_page_size` / `page_token` (beta spec 3.0.0).
    MaxPageSize,
    /// `page_size` / `next_page_token` (developer.1password.com).
    PageSize,
}

/// The shape of the ids the server issues to new users and groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdFormat {
    /// 26-character base32 (users upper-case, groups lower-case), as 1Password issues them.
    Base32,
    /// RFC 4122 version-4 UUIDs (lower-case, hyphenated), as most SCIM servers issue them.
    Uuid,
}

impl IdFormat {
    /// A new user id of this shape from `ids`.
    pub fn user_id(self, ids: &mut crate::ids::IdGenerator) -> String {
        match self {
            IdFormat::Base32 => ids.upper_id(),
            IdFormat::Uuid => ids.uuid(),
        }
    }

    /// A new group id of this shape from `ids`.
    pub fn group_id(self, ids: &mut crate::ids::IdGenerator) -> String {
        match self {
            IdFormat::Base32 => ids.lower_id(),
            IdFormat::Uuid => ids.uuid(),
        }
    }
}

/// Every fidelity switch. Field names are the public switch names (snake_case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    /// The preset these values started from (informational once switches are overridden).
    pub preset: Preset,
    /// User payload shape.
    pub user_payload: UserPayload,
    /// `POST` answers 201 + `Location` (RFC) instead of 200.
    pub post_returns_201: bool,
    /// `DELETE /Users/{id}` removes the user (RFC) instead of suspending it.
    pub delete_removes_user: bool,
    /// List order changes between calls (as the real bridge's does).
    pub shuffle_list_order: bool,
    /// `/ResourceTypes` advertises the User endpoint as `/scim/v2/User` (the recorded quirk).
    pub resource_type_singular_user_endpoint: bool,
    /// Discovery ListResponses carry `startIndex: 0` (the recorded quirk) instead of 1.
    pub discovery_start_index_zero: bool,
    /// `totalResults` is the page size instead of the true total (a common IdP-breaking bug).
    pub total_results_is_page_size: bool,
    /// Filters outside the supported set are ignored (everything returned) instead of 400.
    pub ignore_unsupported_filters: bool,
    /// Only the filters the real bridge is believed to support are accepted (`eq` on `userName`,
    /// `externalId`, `emails.value`, group `displayName`); `false` evaluates the full grammar.
    pub restrict_filters: bool,
    /// Duplicate userName handling.
    pub duplicate_user_name: DuplicateUserName,
    /// Suspending the last owner is refused.
    pub protect_last_owner: bool,
    /// Seconds between sign-up and confirmation (300 self-hosted, 0 hosted, `None` = never).
    pub confirmation_delay_secs: Option<u64>,
    /// Groups include `members` when non-empty (otherwise always omitted).
    pub group_members_in_responses: bool,
    /// Built-in groups (Owners, Administrators, ...) are hidden from `/Groups`.
    pub hide_builtin_groups: bool,
    /// `DELETE` of an unknown id answers 404 (otherwise 204).
    pub delete_unknown_is_404: bool,
    /// Group-in-group membership is refused with 400.
    pub reject_nested_groups: bool,
    /// Allowed e-mail domains; empty means any domain.
    pub allowed_email_domains: Vec<String>,
    /// Events API error body variant.
    pub events_error_body: EventsErrorBody,
    /// Sign-in attempt `country` is a country name instead of an ISO code.
    pub signin_country_names: bool,
    /// Events API 429s carry `Retry-After`.
    pub events_retry_after: bool,
    /// v3 audit events parameter set.
    pub v3_params: V3Params,
    /// v3 audit event action names: `dotted` (`user.suspend`, the documented
    /// `target.attribute.verb` format) or `legacy` (the v1/v2 codes).
    pub v3_actions: crate::events::v3_actions::V3Actions,
    /// The account is an MSP account (v2-only MSP fields are filled).
    pub msp_account: bool,
    /// PATCH `add`/`replace` on a value path with no match (`emails[type eq "work"].value`)
    /// creates the value, as Entra expects; `false` answers 400 `noTarget` (RFC 7644 §3.5.2.3).
    pub patch_creates_missing_value_path: bool,
    /// `/Schemas` and `/ResourceTypes` describe everything stored (core User with all
    /// attributes, the enterprise extension, Group) instead of the recorded bridge documents.
    pub full_discovery: bool,
    /// `sortBy`/`sortOrder` are honoured and advertised (RFC 7644 §3.4.2.3); otherwise ignored.
    pub sort: bool,
    /// ETags: `meta.version`, the `ETag` header, `If-None-Match` and `If-Match` (RFC 7644
    /// §3.14); otherwise no version and the conditional headers are ignored.
    pub etag: bool,
    /// PATCH `remove` of `active` unassigns it (the state is kept, `active` is no longer
    /// returned until set again); otherwise it is refused with 400 `mutability`.
    pub unassign_removed_active: bool,
    /// The shape of new user and group ids.
    pub id_format: IdFormat,
    /// `POST /Bulk` (RFC 7644 §3.7) accepts up to this many operations; 0 means Bulk is not
    /// supported (501, advertised as unsupported).
    pub bulk_max_operations: usize,
    /// The account uses automated (hosted) provisioning: the Users API refuses every resource
    /// call with 403, as 1Password documents ("not currently supported").
    pub hosted_provisioning: bool,
    /// The Users API `state` of an invited user who has not finished setting up (the
    /// documented values are `ACTIVE`, `SUSPENDED` and `STATE_UNSPECIFIED`).
    pub users_api_invited_state: String,
    /// Externally managed administrators (EAM users), by id or e-mail: the Users API refuses
    /// to suspend them.
    pub users_api_eam_users: Vec<String>,
}

impl Default for Profile {
    fn default() -> Self {
        Profile::onepassword()
    }
}

impl Profile {
    /// The real bridge's behaviour.
    pub fn onepassword() -> Self {
        Profile {
            preset: Preset::Onepassword,
            user_payload: UserPayload::Sparse,
            post_returns_201: false,
            delete_removes_user: false,
            shuffle_list_order: true,
            resource_type_singular_user_endpoint: true,
            discovery_start_index_zero: true,
            total_results_is_page_size: false,
            ignore_unsupported_filters: false,
            restrict_filters: false,
            duplicate_user_name: DuplicateUserName::Conflict,
            protect_last_owner: true,
            confirmation_delay_secs: Some(300),
            group_members_in_responses: true,
            hide_builtin_groups: true,
            delete_unknown_is_404: true,
            reject_nested_groups: true,
            allowed_email_domains: Vec::new(),
            events_error_body: EventsErrorBody::StatusMessage,
            signin_country_names: false,
            events_retry_after: false,
            v3_params: V3Params::MaxPageSize,
            v3_actions: crate::events::v3_actions::V3Actions::Dotted,
            msp_account: false,
            patch_creates_missing_value_path: true,
            full_discovery: false,
            sort: false,
            etag: false,
            unassign_removed_active: false,
            id_format: IdFormat::Base32,
            bulk_max_operations: 0,
            hosted_provisioning: false,
            users_api_invited_state: "STATE_UNSPECIFIED".to_owned(),
            users_api_eam_users: Vec::new(),
        }
    }

    /// Strict RFC 7644.
    pub fn rfc() -> Self {
        Profile {
            preset: Preset::Rfc,
            user_payload: UserPayload::Full,
            post_returns_201: true,
            delete_removes_user: true,
            shuffle_list_order: false,
            resource_type_singular_user_endpoint: false,
            discovery_start_index_zero: false,
            patch_creates_missing_value_path: false,
            full_discovery: true,
            sort: true,
            etag: true,
            unassign_removed_active: true,
            id_format: IdFormat::Uuid,
            bulk_max_operations: 1000,
            ..Profile::onepassword()
        }
    }

    /// The preset's values.
    pub fn from_preset(preset: Preset) -> Self {
        match preset {
            Preset::Onepassword => Profile::onepassword(),
            Preset::Rfc => Profile::rfc(),
        }
    }

    /// Overrides switches from a JSON object of `switch: value` pairs (unknown switches and
    /// wrong types are errors naming the switch). `preset` in the object, if any, applies first.
    pub fn with_overrides(&self, overrides: &serde_json::Value) -> Result<Profile, String> {
        let obj = overrides.as_object().ok_or("profile overrides must be an object")?;
        let mut base = match obj.get("preset") {
            Some(p) => {
                let preset: Preset = serde_json::from_value(p.clone()).map_err(|_| {
                    format!("unknown preset {p}; expected \"onepassword\" or \"rfc\"")
                })?;
                Profile::from_preset(preset)
            }
            None => self.clone(),
        };
        let mut merged = serde_json::to_value(&base).map_err(|e| e.to_string())?;
        for (k, v) in obj {
            if k == "preset" {
                continue;
            }
            if merged.get(k).is_none() {
                let known: Vec<&str> = merged
                    .as_object()
                    .map(|o| o.keys().map(String::as_str).filter(|n| *n != "preset").collect())
                    .unwrap_or_default();
                return Err(format!(
                    "unknown profile switch {k:?}; the switches are: {}",
                    known.join(", ")
                ));
            }
            merged[k] = v.clone();
        }
        base = serde_json::from_value(merged)
            .map_err(|e| format!("invalid profile switch value: {e}"))?;
        Ok(base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn presets_differ_where_the_rfc_does() {
        let op = Profile::onepassword();
        let rfc = Profile::rfc();
        assert!(!op.post_returns_201 && rfc.post_returns_201);
        assert!(!op.delete_removes_user && rfc.delete_removes_user);
        assert!(op.shuffle_list_order && !rfc.shuffle_list_order);
    }

    #[test]
    fn overrides_apply_on_top_of_a_preset_and_reject_unknown_switches() {
        let p = Profile::onepassword()
            .with_overrides(&json!({"preset": "rfc", "shuffle_list_order": true}))
            .unwrap();
        assert!(p.post_returns_201 && p.shuffle_list_order);
        let err = Profile::onepassword().with_overrides(&json!({"nope": 1})).unwrap_err();
        assert!(err.contains("nope"), "{err}");
        let err =
            Profile::onepassword().with_overrides(&json!({"post_returns_201": "yes"})).unwrap_err();
        assert!(err.contains("invalid"), "{err}");
    }
}

//! The normalised user: what every 1Password bridge payload shape (the sparse 2026 shape, the
//! 2023 empty-strings shape, full RFC resources) boils down to, with the raw resource kept.

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// A resource as received, kept as its compact JSON text: a fifth of the memory of a
/// `serde_json::Value` tree, which matters when a listing holds 100,000 users. Serialises as
/// the JSON it holds.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct RawResource(Box<RawValue>);

impl RawResource {
    /// Keeps a parsed resource as its JSON text.
    pub fn from_value(value: &Value) -> RawResource {
        // A `Value` always serialises, and its text is valid JSON.
        let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
        RawResource(
            RawValue::from_string(text).unwrap_or_else(|_| {
                RawValue::from_string("null".to_owned()).expect("null is JSON")
            }),
        )
    }

    /// The JSON text.
    pub fn text(&self) -> &str {
        self.0.get()
    }

    /// The resource parsed into a tree (a copy).
    pub fn value(&self) -> Value {
        // The text was parsed as JSON on the way in.
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }
}

impl PartialEq for RawResource {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

/// Whether the user can sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// SCIM `active: true` (invited, pending and confirmed users alike).
    Active,
    /// SCIM `active: false`.
    Suspended,
}

impl UserStatus {
    /// `"active"` or `"suspended"`.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Suspended => "suspended",
        }
    }
}

impl std::fmt::Display for UserStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A group the user belongs to, as listed in the user's `groups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupRef {
    /// The group id (`value`).
    pub id: String,
    /// The group's name (`display`), when sent.
    pub display: Option<String>,
    /// The group's URI (`$ref`, or `ref` in the 2023 bridge shape), when sent.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
}

/// A user, normalised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    /// The SCIM id (26-char base32 on 1Password).
    pub id: String,
    /// The sign-in e-mail: the primary `emails` value, else the first, else `userName`.
    pub email: String,
    /// `displayName`, else `name.formatted`.
    pub display_name: Option<String>,
    /// `name.givenName`.
    pub given_name: Option<String>,
    /// `name.familyName`.
    pub family_name: Option<String>,
    /// Active or suspended.
    pub status: UserStatus,
    /// Group memberships, when the server includes them.
    pub groups: Vec<GroupRef>,
    /// The SCIM resource as received.
    pub raw: RawResource,
}

/// Why a resource could not be normalised (becomes [`Error::Decode`](crate::Error::Decode)).
pub(crate) type ShapeError = String;

/// A non-empty string field (the 2023 shape sends `""` for "absent").
fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl User {
    /// Normalises a SCIM User resource. Only `id` is required; everything else degrades
    /// gracefully, except values of the wrong type where the meaning would be lost (`active`).
    pub fn from_scim(raw: Value) -> Result<User, ShapeError> {
        let kept = serde_json::value::to_raw_value(&raw).map_err(|e| e.to_string())?;
        User::normalise(&raw, kept)
    }

    /// [`User::from_scim`] from the resource's JSON text (a listing page's `Resources[i]`):
    /// the tree is built for the fields and dropped; the text is kept as [`User::raw`].
    pub fn from_raw(raw: &RawValue) -> Result<User, ShapeError> {
        let tree: Value = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
        User::normalise(&tree, raw.to_owned())
    }

    fn normalise(raw: &Value, kept: Box<RawValue>) -> Result<User, ShapeError> {
        let obj = raw
            .as_object()
            .ok_or_else(|| format!("a user must be a JSON object, got {}", kind_of(raw)))?;
        let id = match obj.get("id") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(other) => {
                return Err(format!(
                    "user `id` must be a non-empty string, got {}",
                    kind_of(other)
                ));
            }
            None => return Err("user has no `id`".to_owned()),
        };
        let status = match obj.get("active") {
            // 1Password always sends `active`; a server that omits it has no suspension concept,
            // and RFC 7643 has no default, so "not suspended" is the honest reading.
            None | Some(Value::Null) => UserStatus::Active,
            Some(Value::Bool(true)) => UserStatus::Active,
            Some(Value::Bool(false)) => UserStatus::Suspended,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => UserStatus::Active,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => UserStatus::Suspended,
            Some(other) => {
                return Err(format!(
                    "user {id}: `active` must be a boolean, got {}",
                    kind_of(other)
                ));
            }
        };
        let emails = obj.get("emails").and_then(Value::as_array);
        let email = emails
            .and_then(|es| {
                es.iter()
                    .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
                    .or_else(|| es.first())
            })
            .and_then(|e| text(e.get("value")))
            .or_else(|| text(obj.get("userName")))
            .unwrap_or_default();
        let name = obj.get("name");
        let display_name =
            text(obj.get("displayName")).or_else(|| text(name.and_then(|n| n.get("formatted"))));
        let groups = obj
            .get("groups")
            .and_then(Value::as_array)
            .map(|gs| {
                gs.iter()
                    .filter_map(|g| {
                        Some(GroupRef {
                            id: text(g.get("value"))?,
                            display: text(g.get("display")),
                            reference: text(g.get("$ref")).or_else(|| text(g.get("ref"))),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(User {
            id,
            email,
            display_name,
            given_name: text(name.and_then(|n| n.get("givenName"))),
            family_name: text(name.and_then(|n| n.get("familyName"))),
            status,
            groups,
            raw: RawResource(kept),
        })
    }

    /// Normalises a Users API User object (`{"id", "email", "display_name", "state",
    /// "create_time", "path"}`). `SUSPENDED` is suspended; `ACTIVE` and every other state
    /// (`STATE_UNSPECIFIED` for an invited user) are active, as SCIM's `active` reports them.
    pub fn from_users_api(raw: Value) -> Result<User, ShapeError> {
        let obj = raw
            .as_object()
            .ok_or_else(|| format!("a user must be a JSON object, got {}", kind_of(&raw)))?;
        let id = match obj.get("id") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(other) => {
                return Err(format!(
                    "user `id` must be a non-empty string, got {}",
                    kind_of(other)
                ));
            }
            None => return Err("user has no `id`".to_owned()),
        };
        let status = match obj.get("state") {
            Some(Value::String(s)) if s.eq_ignore_ascii_case("SUSPENDED") => UserStatus::Suspended,
            None | Some(Value::Null | Value::String(_)) => UserStatus::Active,
            Some(other) => {
                return Err(format!("user {id}: `state` must be a string, got {}", kind_of(other)));
            }
        };
        Ok(User {
            id,
            email: text(obj.get("email")).unwrap_or_default(),
            display_name: text(obj.get("display_name")),
            given_name: None,
            family_name: None,
            status,
            groups: Vec::new(),
            raw: RawResource::from_value(&raw),
        })
    }

    /// Is the user suspended?
    pub fn is_suspended(&self) -> bool {
        self.status == UserStatus::Suspended
    }
}

/// A JSON value's type in words, for error messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sparse_profile_a() {
        let u = User::from_scim(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "FHNN6ANJUZF3FFXYHEE6EWPHSM",
            "userName": "victor@example.com",
            "name": {"givenName": "Victor", "familyName": "Nango", "formatted": "Victor Nango"},
            "displayName": "Victor Nango",
            "active": true,
            "emails": [{"value": "victor@example.com", "primary": true}],
        }))
        .unwrap();
        assert_eq!(u.id, "FHNN6ANJUZF3FFXYHEE6EWPHSM");
        assert_eq!(u.email, "victor@example.com");
        assert_eq!(u.display_name.as_deref(), Some("Victor Nango"));
        assert_eq!(u.given_name.as_deref(), Some("Victor"));
        assert_eq!(u.family_name.as_deref(), Some("Nango"));
        assert_eq!(u.status, UserStatus::Active);
        assert!(u.groups.is_empty());
        assert_eq!(u.raw.value()["userName"], "victor@example.com");
    }

    #[test]
    fn empty_strings_profile_b_with_groups_ref() {
        let u = User::from_scim(json!({
            "id": "FECPUMYBHZB2PB6K4WKM4Q2HAU",
            "userName": "eggs.ample@example.com",
            "externalId": "",
            "active": false,
            "displayName": "",
            "emails": [{"primary": false, "type": "", "value": "other@example.com"},
                       {"primary": true, "type": "", "value": "eggs.ample@example.com"}],
            "groups": [{"value": "f7eqriu7ht27mq5zmm63gf2dhq", "ref": "https://scim.example.com/Groups/f7eqriu7ht27mq5zmm63gf2dhq"}],
            "name": {"familyName": "Ample", "formatted": "Eggs Ample", "givenName": "Eggs", "middleName": ""}
        }))
        .unwrap();
        assert_eq!(u.email, "eggs.ample@example.com");
        assert_eq!(u.display_name.as_deref(), Some("Eggs Ample"), "falls back to name.formatted");
        assert_eq!(u.status, UserStatus::Suspended);
        assert_eq!(u.groups.len(), 1);
        assert_eq!(u.groups[0].id, "f7eqriu7ht27mq5zmm63gf2dhq");
        assert!(
            u.groups[0]
                .reference
                .as_deref()
                .unwrap()
                .ends_with("/Groups/f7eqriu7ht27mq5zmm63gf2dhq")
        );
    }

    #[test]
    fn email_falls_back_to_user_name_and_serialises_snake_case() {
        let u = User::from_scim(json!({"id": "A", "userName": "a@example.com", "active": "False"}))
            .unwrap();
        assert_eq!(u.email, "a@example.com");
        assert!(u.is_suspended());
        let v = serde_json::to_value(&u).unwrap();
        assert_eq!(v["status"], "suspended");
        assert!(v.get("display_name").is_some());
        assert!(v.get("displayName").is_none());
    }

    #[test]
    fn users_api_users() {
        let u = User::from_users_api(json!({"id": "A", "email": "a@example.com",
            "display_name": "Ann", "state": "SUSPENDED", "create_time": "2026-01-01T00:00:00Z",
            "path": "accounts/X/users/A"}))
        .unwrap();
        assert_eq!((u.email.as_str(), u.status), ("a@example.com", UserStatus::Suspended));
        assert_eq!(u.display_name.as_deref(), Some("Ann"));
        let invited =
            User::from_users_api(json!({"id": "B", "state": "STATE_UNSPECIFIED"})).unwrap();
        assert_eq!(invited.status, UserStatus::Active);
        assert!(User::from_users_api(json!({"id": "B", "state": 3})).is_err());
        assert!(User::from_users_api(json!({"email": "x"})).unwrap_err().contains("no `id`"));
    }

    #[test]
    fn wrong_shapes_are_errors_not_panics() {
        assert!(User::from_scim(json!([1, 2])).unwrap_err().contains("object"));
        assert!(User::from_scim(json!({"userName": "x"})).unwrap_err().contains("no `id`"));
        assert!(User::from_scim(json!({"id": 42})).unwrap_err().contains("a number"));
        assert!(User::from_scim(json!({"id": "A", "active": 1})).unwrap_err().contains("`active`"));
    }
}

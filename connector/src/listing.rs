//! How a listing stays correct when the server's order changes between calls.
//!
//! The real bridge returns `GET /Users` in a different order on every call, so "page 2" of one
//! call and "page 1" of another can overlap or leave users out. The connector therefore never
//! hands out the server's pages. Instead:
//!
//! 1. **Sweep.** Fetch the whole filtered result with `startIndex`/`count`, using the largest page
//!    the server allows (`filter.maxResults` from `/ServiceProviderConfig`, 10,000 on 1Password),
//!    so a directory of up to that size is one request. Users are collected into a map keyed by
//!    id, which removes duplicates.
//! 2. **Verify.** Compare the distinct users seen with `totalResults`. If a shuffle between
//!    requests made some users fall between pages, sweep again (the map keeps what was already
//!    seen) until every user was seen, within a bounded number of sweeps; otherwise the listing is
//!    an [`Error::IncompleteListing`](crate::Error::IncompleteListing), never a silent gap.
//!    Servers that report `totalResults` as the page size (a known IdP-breaking bug) are detected
//!    when a full page is followed by more users; the sweep then stops at the first short page.
//! 3. **Keyset pages.** The caller's pages are cut from the id-sorted result: a page is the
//!    `limit` users whose ids follow the cursor's last id. The order callers see is by id and so
//!    stable, a cursor stays valid when users are added or removed, and a full traversal returns
//!    every user exactly once.
//!
//! The cost is that every page re-sweeps (one request per 10,000 matching users); the cursor
//! carries no server state, so it survives restarts and works across processes.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::user::{User, kind_of};

/// One parsed `ListResponse`: the resources stay JSON text borrowed from the body, so a page
/// of 10,000 users is never a tree (a tree is about ten times the text), and each user is
/// decoded into a compact [`User`] on its own.
#[derive(Debug)]
pub(crate) struct ListPage<'a> {
    pub total: Option<u64>,
    pub resources: Vec<&'a RawValue>,
}

/// Reads a `ListResponse` body; an error says what is wrong with its shape (or its JSON).
pub(crate) fn parse_list_response(body: &[u8]) -> Result<ListPage<'_>, String> {
    // The top level only: each member's value stays text.
    let obj: HashMap<Cow<'_, str>, &RawValue> = match serde_json::from_slice(body) {
        Ok(obj) => obj,
        Err(e) => {
            return Err(match serde_json::from_slice::<Value>(body) {
                Ok(v) => format!("a ListResponse must be a JSON object, got {}", kind_of(&v)),
                Err(_) => format!("the body is not JSON: {e}"),
            });
        }
    };
    let tree = |k: &str| -> Option<Value> {
        obj.get(k).map(|raw| serde_json::from_str(raw.get()).unwrap_or(Value::Null))
    };
    let total = match tree("totalResults") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(
            n.as_u64()
                .ok_or_else(|| format!("`totalResults` must be a non-negative integer, got {n}"))?,
        ),
        // Lenient: some servers quote numbers.
        Some(Value::String(s)) => Some(
            s.trim().parse().map_err(|_| format!("`totalResults` must be a number, got {s:?}"))?,
        ),
        Some(other) => {
            return Err(format!("`totalResults` must be a number, got {}", kind_of(&other)));
        }
    };
    // RFC 7644 allows omitting `Resources` when there are none.
    let resources = match obj.get("Resources").or_else(|| obj.get("resources")).copied() {
        None => Vec::new(),
        Some(raw) if raw.get() == "null" => Vec::new(),
        Some(raw) => match serde_json::from_str::<Vec<&RawValue>>(raw.get()) {
            Ok(items) => items,
            Err(_) => {
                let other: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                return Err(format!("`Resources` must be an array, got {}", kind_of(&other)));
            }
        },
    };
    if total.is_none()
        && resources.is_empty()
        && !obj.contains_key("schemas")
        && !obj.contains_key("itemsPerPage")
    {
        return Err(
            "not a ListResponse: no `totalResults`, `Resources`, `itemsPerPage` or `schemas`"
                .into(),
        );
    }
    Ok(ListPage { total, resources })
}

/// The accumulating result of sweeps: distinct users by id.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    pub users: BTreeMap<String, User>,
}

impl Snapshot {
    /// The `limit` users after `after` (by id), and whether more follow.
    pub(crate) fn page_after(&self, after: Option<&str>, limit: usize) -> (Vec<User>, bool) {
        let lower = match after {
            Some(a) => Bound::Excluded(a),
            None => Bound::Unbounded,
        };
        let mut iter = self.users.range::<str, _>((lower, Bound::Unbounded)).map(|(_, u)| u);
        let page: Vec<User> = iter.by_ref().take(limit).cloned().collect();
        let more = iter.next().is_some();
        (page, more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snapshot(ids: &[&str]) -> Snapshot {
        let mut s = Snapshot::default();
        for id in ids {
            s.users.insert(
                (*id).into(),
                User::from_scim(json!({"id": id, "userName": format!("{id}@x")})).unwrap(),
            );
        }
        s
    }

    #[test]
    fn keyset_pages_cover_everything_once() {
        let s = snapshot(&["D", "A", "C", "B", "E"]);
        let (p1, more) = s.page_after(None, 2);
        assert_eq!(p1.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), ["A", "B"]);
        assert!(more);
        let (p2, more) = s.page_after(Some("B"), 2);
        assert_eq!(p2.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), ["C", "D"]);
        assert!(more);
        let (p3, more) = s.page_after(Some("D"), 2);
        assert_eq!(p3.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), ["E"]);
        assert!(!more);
        // A cursor whose user has since been deleted still resumes at the right place.
        let (p, _) = s.page_after(Some("BB"), 10);
        assert_eq!(p[0].id, "C");
        let (p, more) = s.page_after(Some("E"), 2);
        assert!(p.is_empty() && !more);
    }

    #[test]
    fn exact_multiple_has_no_empty_trailing_page() {
        let s = snapshot(&["A", "B", "C", "D"]);
        let (_, more) = s.page_after(Some("B"), 2);
        assert!(!more);
    }

    /// (total, number of resources) of a body, or the error.
    fn parse(v: Value) -> Result<(Option<u64>, usize), String> {
        let body = v.to_string();
        parse_list_response(body.as_bytes()).map(|p| (p.total, p.resources.len()))
    }

    #[test]
    fn list_response_shapes() {
        let p = parse(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0}),
        );
        assert_eq!(p.unwrap(), (Some(0), 0));
        assert_eq!(
            parse(json!({"totalResults": "2", "Resources": [{}, {}]})).unwrap(),
            (Some(2), 2)
        );
        assert_eq!(parse(json!({"totalResults": 1, "Resources": null})).unwrap(), (Some(1), 0));
        assert!(parse(json!([])).unwrap_err().contains("object"));
        assert!(parse(json!({"Resources": {}})).unwrap_err().contains("array"));
        assert!(parse(json!({"totalResults": -1})).unwrap_err().contains("non-negative"));
        assert!(parse(json!({"id": "A"})).unwrap_err().contains("not a ListResponse"));
    }

    #[test]
    fn resources_stay_text_until_each_user_is_decoded() {
        let body =
            br#"{"totalResults":1,"Resources":[{"id":"A","userName":"a@x","active":false}]}"#;
        let page = parse_list_response(body).unwrap();
        assert_eq!(page.resources[0].get(), r#"{"id":"A","userName":"a@x","active":false}"#);
        let user = User::from_raw(page.resources[0]).unwrap();
        assert_eq!((user.id.as_str(), user.is_suspended()), ("A", true));
        assert_eq!(user.raw.text(), page.resources[0].get());
    }
}

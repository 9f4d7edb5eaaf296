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

use std::collections::BTreeMap;
use std::ops::Bound;

use serde_json::Value;

use crate::user::{User, kind_of};

/// One parsed `ListResponse`.
#[derive(Debug)]
pub(crate) struct ListPage {
    pub total: Option<u64>,
    pub resources: Vec<Value>,
}

/// Reads a `ListResponse`; an error says what is wrong with its shape.
pub(crate) fn parse_list_response(v: Value) -> Result<ListPage, String> {
    let Value::Object(mut obj) = v else {
        return Err(format!("a ListResponse must be a JSON object, got {}", kind_of(&v)));
    };
    let total = match obj.get("totalResults") {
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
            return Err(format!("`totalResults` must be a number, got {}", kind_of(other)));
        }
    };
    // RFC 7644 allows omitting `Resources` when there are none.
    let resources = match obj.remove("Resources").or_else(|| obj.remove("resources")) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(format!("`Resources` must be an array, got {}", kind_of(&other)));
        }
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
    /// The latest `totalResults`, when trusted.
    pub total: Option<u64>,
}

impl Snapshot {
    /// Is every user the server counted in hand?
    pub(crate) fn complete(&self) -> bool {
        match self.total {
            Some(t) => self.users.len() as u64 >= t,
            None => true,
        }
    }

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
        s.total = Some(ids.len() as u64);
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

    #[test]
    fn list_response_shapes() {
        let p = parse_list_response(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0})).unwrap();
        assert_eq!((p.total, p.resources.len()), (Some(0), 0));
        let p = parse_list_response(json!({"totalResults": "2", "Resources": [{}, {}]})).unwrap();
        assert_eq!((p.total, p.resources.len()), (Some(2), 2));
        assert!(parse_list_response(json!([])).unwrap_err().contains("object"));
        assert!(parse_list_response(json!({"Resources": {}})).unwrap_err().contains("array"));
        assert!(
            parse_list_response(json!({"totalResults": -1})).unwrap_err().contains("non-negative")
        );
        assert!(
            parse_list_response(json!({"id": "A"})).unwrap_err().contains("not a ListResponse")
        );
    }

    #[test]
    fn completeness() {
        let mut s = snapshot(&["A"]);
        s.total = Some(2);
        assert!(!s.complete());
        s.total = None;
        assert!(s.complete());
    }
}

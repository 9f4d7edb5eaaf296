//! Listing: query and `.search` parameters, filtering (with index lookups for the filters IdPs
//! send on every sync), pagination, ordering, and the ListResponse.

use scim::filter::{AttrPath, CompValue, CompareOp, Filter};
use scim::{ScimError, messages};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use super::extract::ReadQuery;
use super::render::{Projection, Rendered};
use super::sort::SortSpec;
use crate::ids::IdGenerator;
use crate::profile::Profile;

/// The most results one page returns (as the real bridge advertises).
pub const MAX_RESULTS: usize = 10_000;

/// Parameters of a list or search request.
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    /// The filter, parsed.
    pub filter: Option<Filter>,
    /// 1-based index of the first result.
    pub start_index: usize,
    /// Page size.
    pub count: usize,
    /// `attributes` / `excludedAttributes`.
    pub projection: Projection,
    /// `sortBy` / `sortOrder` (applied only when the profile's `sort` switch is on).
    pub sort: Option<SortSpec>,
}

fn parse_int(name: &str, raw: &str) -> Result<i64, ScimError> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer, got {raw:?}")))
}

fn parse_filter(raw: &str) -> Result<Filter, ScimError> {
    scim::filter::parse(raw).map_err(|e| ScimError::invalid_filter(format!("filter {raw:?}: {e}")))
}

impl ListParams {
    fn build(
        filter: Option<&str>,
        start: Option<i64>,
        count: Option<i64>,
        attributes: Option<&str>,
        excluded: Option<&str>,
        core: &str,
    ) -> Result<ListParams, ScimError> {
        let filter = match filter.map(str::trim) {
            Some("") | None => None,
            Some(f) => Some(parse_filter(f)?),
        };
        Ok(ListParams {
            filter,
            // RFC 7644 §3.4.2.4: values below 1 are treated as 1, negative counts as 0.
            start_index: usize::try_from(start.unwrap_or(1).max(1)).unwrap_or(1),
            count: usize::try_from(count.unwrap_or(MAX_RESULTS as i64).max(0))
                .unwrap_or(0)
                .min(MAX_RESULTS),
            projection: Projection::parse(attributes, excluded, core),
            sort: None,
        })
    }

    /// From a request's query parameters.
    pub fn from_query(q: &ReadQuery, core: &str) -> Result<ListParams, ScimError> {
        let int = |name: &str, raw: &Option<String>| raw.as_deref().map(|v| parse_int(name, v));
        let mut params = ListParams::build(
            q.filter.as_deref(),
            int("startIndex", &q.start_index).transpose()?,
            int("count", &q.count).transpose()?,
            q.attributes.as_deref(),
            q.excluded_attributes.as_deref(),
            core,
        )?;
        params.sort = SortSpec::parse(q.sort_by.as_deref(), q.sort_order.as_deref())?;
        Ok(params)
    }

    /// From a `POST .search` SearchRequest body.
    pub fn from_search(body: &Value, core: &str) -> Result<ListParams, ScimError> {
        let int = |k: &str| -> Result<Option<i64>, ScimError> {
            match body.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => n
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| ScimError::invalid_value(format!("{k} must be an integer"))),
                Some(_) => Err(ScimError::invalid_value(format!("{k} must be an integer"))),
            }
        };
        let list = |k: &str| -> Result<Option<String>, ScimError> {
            match body.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_owned).ok_or_else(|| {
                            ScimError::invalid_value(format!("{k} must be an array of strings"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(|v| Some(v.join(","))),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => {
                    Err(ScimError::invalid_value(format!("{k} must be an array of strings")))
                }
            }
        };
        let filter = match body.get("filter") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => return Err(ScimError::invalid_filter("filter must be a string")),
        };
        let (attrs, excluded) = (list("attributes")?, list("excludedAttributes")?);
        let text = |k: &str| -> Result<Option<&str>, ScimError> {
            match body.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => Err(ScimError::invalid_value(format!("{k} must be a string"))),
            }
        };
        let mut params = ListParams::build(
            filter,
            int("startIndex")?,
            int("count")?,
            attrs.as_deref(),
            excluded.as_deref(),
            core,
        )?;
        params.sort = SortSpec::parse(text("sortBy")?, text("sortOrder")?)?;
        Ok(params)
    }
}

fn is_core_attr(p: &AttrPath, name: &str, core: &str) -> bool {
    p.name.eq_ignore_ascii_case(name)
        && p.sub_attr.is_none()
        && p.urn.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(core))
}

/// An index-answerable filter: `userName eq "x"` or `externalId eq "x"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexedLookup<'f> {
    /// `userName eq` (case-insensitive).
    UserName(&'f str),
    /// `externalId eq` (case-exact).
    ExternalId(&'f str),
}

/// Recognises the filters the account's indexes answer.
pub fn indexed_user_lookup(f: &Filter) -> Option<IndexedLookup<'_>> {
    let Filter::Compare { path, op: CompareOp::Eq, value: CompValue::String(v) } = f else {
        return None;
    };
    if is_core_attr(path, "userName", messages::USER) {
        Some(IndexedLookup::UserName(v))
    } else if is_core_attr(path, "externalId", messages::USER) {
        Some(IndexedLookup::ExternalId(v))
    } else {
        None
    }
}

/// Is this a filter the real bridge is believed to support (`eq` on userName, externalId,
/// emails.value, `emails[type eq "work"].value`, group displayName; joined with `and`)?
pub fn supported_by_bridge(f: &Filter, group: bool) -> bool {
    match f {
        Filter::Compare { path, op: CompareOp::Eq, .. } => {
            let is = |n: &str| path.name.eq_ignore_ascii_case(n);
            match (group, path.sub_attr.as_deref()) {
                (false, None) => is("userName") || is("externalId") || is("id"),
                (false, Some(sub)) => is("emails") && sub.eq_ignore_ascii_case("value"),
                (true, None) => is("displayName") || is("externalId") || is("id"),
                (true, Some(_)) => false,
            }
        }
        Filter::ValuePath { attr, filter } => {
            !group && attr.name.eq_ignore_ascii_case("emails") && {
                fn simple(f: &Filter) -> bool {
                    match f {
                        Filter::Compare { op: CompareOp::Eq, path, .. } => path.sub_attr.is_none(),
                        Filter::And(a, b) => simple(a) && simple(b),
                        _ => false,
                    }
                }
                simple(filter)
            }
        }
        Filter::And(a, b) => supported_by_bridge(a, group) && supported_by_bridge(b, group),
        _ => false,
    }
}

/// Decides what to do with a filter under the profile: `Ok(Some(f))` evaluate it, `Ok(None)`
/// ignore it (the "ignore unsupported filters" switch), or an `invalidFilter` error.
pub fn admit_filter<'f>(
    filter: Option<&'f Filter>,
    profile: &Profile,
    group: bool,
) -> Result<Option<&'f Filter>, ScimError> {
    match filter {
        Some(f) if profile.restrict_filters && !supported_by_bridge(f, group) => {
            if profile.ignore_unsupported_filters {
                Ok(None)
            } else {
                Err(ScimError::invalid_filter(format!(
                    "filter \"{f}\" is not supported; the bridge supports eq on userName, \
                     externalId, emails.value and group displayName"
                )))
            }
        }
        other => Ok(other),
    }
}

/// The positions (into `total` candidates) of one page, in the order to return them. With
/// `shuffle`, each call starts from a different rotation and shuffles the page, as the real
/// bridge's order is not stable between calls.
pub fn page_positions(total: usize, params: &ListParams, shuffle: Option<u64>) -> PagePositions {
    let start = params.start_index.saturating_sub(1);
    if start >= total {
        return PagePositions::InOrder(0..0);
    }
    let len = params.count.min(total - start);
    // One candidate in all (an index hit): every order is the same order, so skip drawing one.
    match shuffle.filter(|_| total > 1) {
        None => PagePositions::InOrder(start..start + len),
        Some(nonce) => {
            let mut rng = IdGenerator::new(nonce.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let offset = usize::try_from(rng.next_u64() % total as u64).unwrap_or(0);
            let mut page: Vec<usize> = (start..start + len).map(|i| (i + offset) % total).collect();
            for i in (1..page.len()).rev() {
                let j = usize::try_from(rng.next_u64() % (i as u64 + 1)).unwrap_or(0);
                page.swap(i, j);
            }
            PagePositions::Shuffled(page.into_iter())
        }
    }
}

/// The positions of one page ([`page_positions`]): a range in order (no allocation, as most
/// pages and every filtered lookup are), or a shuffled list.
#[derive(Debug, Clone)]
pub enum PagePositions {
    /// Consecutive positions.
    InOrder(std::ops::Range<usize>),
    /// Positions in shuffled order.
    Shuffled(std::vec::IntoIter<usize>),
}

impl Iterator for PagePositions {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            PagePositions::InOrder(r) => r.next(),
            PagePositions::Shuffled(v) => v.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            PagePositions::InOrder(r) => r.size_hint(),
            PagePositions::Shuffled(v) => v.size_hint(),
        }
    }
}

/// One page of a listing: serialises as the ListResponse envelope.
#[derive(Debug)]
pub struct Listing<'a> {
    /// The page's resources, in order.
    pub resources: Vec<Rendered<'a>>,
    /// How many resources matched in all.
    pub total: usize,
    /// The 1-based index of the first one.
    pub start_index: usize,
    /// The real bridge's bug: `totalResults` is the page size (profile switch).
    pub total_is_page_size: bool,
}

impl<'a> Listing<'a> {
    /// A page of `total` matches starting at `start_index`, shaped by the profile.
    pub fn new(
        resources: Vec<Rendered<'a>>,
        total: usize,
        start_index: usize,
        profile: &Profile,
    ) -> Self {
        Listing {
            resources,
            total,
            start_index,
            total_is_page_size: profile.total_results_is_page_size,
        }
    }
}

impl Listing<'_> {
    fn total_results(&self) -> usize {
        if self.total_is_page_size { self.resources.len() } else { self.total }
    }

    /// The ListResponse as JSON text: the same bytes as serialising it, written directly. The
    /// envelope's keys need no escaping and most resources are kept JSON text already, so
    /// this skips serde's per-character escaping of keys (a sixth of a `userName eq` lookup).
    ///
    /// A page of kept texts is measured first and written into a buffer of exactly its size,
    /// which `Bytes` then takes over without allocating again.
    pub fn to_json(&self) -> Vec<u8> {
        const HEAD: &[u8] = br#"{"schemas":[""#;
        const TOTAL: &[u8] = br#""],"totalResults":"#;
        const PER_PAGE: &[u8] = br#","itemsPerPage":"#;
        const START: &[u8] = br#","startIndex":"#;
        const RESOURCES: &[u8] = br#","Resources":["#;
        const TAIL: &[u8] = b"]}";
        let (total, per_page, start) =
            (self.total_results() as u64, self.resources.len() as u64, self.start_index as u64);
        let texts: usize = self
            .resources
            .iter()
            .map(|r| match r {
                Rendered::Raw(raw) => raw.len(),
                // A guess: trees are only measured by writing them.
                Rendered::Tree(_) => 512,
            })
            .sum();
        let size = HEAD.len()
            + messages::LIST_RESPONSE.len()
            + TOTAL.len()
            + decimal_len(total)
            + PER_PAGE.len()
            + decimal_len(per_page)
            + START.len()
            + decimal_len(start)
            + RESOURCES.len()
            + texts
            + self.resources.len().saturating_sub(1)
            + TAIL.len();
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(HEAD);
        out.extend_from_slice(messages::LIST_RESPONSE.as_bytes());
        out.extend_from_slice(TOTAL);
        write_decimal(&mut out, total);
        out.extend_from_slice(PER_PAGE);
        write_decimal(&mut out, per_page);
        out.extend_from_slice(START);
        write_decimal(&mut out, start);
        out.extend_from_slice(RESOURCES);
        for (i, r) in self.resources.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match r {
                Rendered::Raw(raw) => out.extend_from_slice(raw),
                Rendered::Tree(v) => {
                    let _ = serde_json::to_writer(&mut out, v);
                }
            }
        }
        out.extend_from_slice(TAIL);
        out
    }
}

/// How many digits `n` has in decimal.
fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Appends `n` in decimal (`write!` goes through the formatting machinery: a twentieth of a
/// `userName eq` request for three small numbers).
fn write_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

impl Serialize for Listing<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let total = self.total_results();
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("schemas", &[messages::LIST_RESPONSE])?;
        m.serialize_entry("totalResults", &total)?;
        m.serialize_entry("itemsPerPage", &self.resources.len())?;
        m.serialize_entry("startIndex", &self.start_index)?;
        m.serialize_entry("Resources", &self.resources)?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_written_listing_is_the_serialised_one() {
        let raw = bytes::Bytes::from_static(br#"{"id":"A","userName":"a\"b@example.com"}"#);
        for (total, start_index) in [(7, 3), (0, 1), (10, 0), (1_234_567, 99_999), (usize::MAX, 10)]
        {
            for total_is_page_size in [false, true] {
                for resources in [
                    vec![],
                    vec![Rendered::Raw(&raw)],
                    vec![Rendered::Raw(&raw), Rendered::Tree(json!({"id": "B", "n": [1, "é\n"]}))],
                ] {
                    let all_kept = resources.iter().all(|r| matches!(r, Rendered::Raw(_)));
                    let listing = Listing { resources, total, start_index, total_is_page_size };
                    let written = listing.to_json();
                    // Pages of kept texts are measured exactly: no regrowth, no spare room.
                    if all_kept {
                        assert_eq!(written.len(), written.capacity());
                    }
                    assert_eq!(
                        String::from_utf8(written).unwrap(),
                        serde_json::to_string(&listing).unwrap()
                    );
                }
            }
        }
    }
}

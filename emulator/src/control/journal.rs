//! The request journal: every request a tenant received, with method, path, query, status and
//! timing, so a test can assert "suspend was called exactly once".

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::pattern::PathPattern;

/// How many entries a tenant keeps; the oldest are dropped first, so a long-running shared
/// server cannot grow without bound. Counts cover the retained entries.
pub const JOURNAL_CAPACITY: usize = 10_000;

/// One request as the journal records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// HTTP method (`GET`, `PATCH`, ...).
    pub method: String,
    /// Request path without the query string.
    pub path: String,
    /// Raw query string (empty when there was none).
    pub query: String,
    /// Response status; `0` when the connection was dropped by a fault.
    pub status: u16,
    /// The tenant's name.
    pub tenant: String,
    /// Time spent serving the request, in microseconds (includes injected latency).
    pub duration_us: u64,
    /// When the request arrived, on the tenant's clock (RFC 3339).
    pub at: DateTime<Utc>,
    /// The id of the fault rule that fired, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// A request as it is being recorded (borrowed from the request, see
/// [`Journal::record`]).
#[derive(Debug, Clone)]
pub struct Received<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path without the query string.
    pub path: &'a str,
    /// Raw query string.
    pub query: &'a str,
    /// The tenant's name.
    pub tenant: &'a str,
    /// Response status (`0`: dropped by a fault).
    pub status: u16,
    /// Time spent serving it.
    pub duration_us: u64,
    /// When it arrived, on the tenant's clock.
    pub at: DateTime<Utc>,
    /// The fault rule that fired, if one did.
    pub fault: Option<String>,
}

/// Which entries to select: every given criterion must match.
#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    /// Method, compared case-insensitively.
    pub method: Option<String>,
    /// Path pattern (exact path or a glob; see [`PathPattern`]).
    pub path: Option<PathPattern>,
    /// Exact status.
    pub status: Option<u16>,
}

impl JournalFilter {
    /// Does `entry` pass the filter?
    pub fn matches(&self, entry: &JournalEntry) -> bool {
        self.method.as_ref().is_none_or(|m| m.eq_ignore_ascii_case(&entry.method))
            && self.path.as_ref().is_none_or(|p| p.matches(&entry.path))
            && self.status.is_none_or(|s| s == entry.status)
    }
}

/// The tenant's request journal: a ring of at most [`JOURNAL_CAPACITY`] entries.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    /// The entries; once full, the oldest is at `next` and the order wraps around.
    entries: Vec<JournalEntry>,
    /// The slot the next entry overwrites once the journal is full (0 until then).
    next: usize,
    /// How many requests were ever recorded (never reset by [`Journal::clear`]): the sequence
    /// number the next entry gets, so a reader polling with a cursor sees each entry once.
    recorded: u64,
}

/// A page of entries read with a cursor ([`Journal::since`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JournalPage {
    /// The entries after the cursor, oldest first, each with its sequence number.
    pub requests: Vec<SequencedEntry>,
    /// The cursor to pass next time (one past the last sequence number returned).
    pub next: u64,
    /// The cursor pointed past the end (the journal was replaced, e.g. by a tenant reset): the
    /// page starts over from the oldest retained entry and the reader should drop what it has.
    pub restarted: bool,
}

/// A journal entry with its sequence number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequencedEntry {
    /// 0 for the first request the tenant's journal recorded, then 1, 2, ...
    pub seq: u64,
    /// The entry.
    #[serde(flatten)]
    pub entry: JournalEntry,
}

impl Journal {
    /// Records a request, dropping the oldest beyond [`JOURNAL_CAPACITY`]. Once the journal is
    /// full each entry is overwritten in place, reusing its buffers: a busy tenant's journal
    /// allocates and moves nothing per request.
    pub fn record(&mut self, r: &Received<'_>) {
        self.recorded += 1;
        if self.entries.len() < JOURNAL_CAPACITY {
            self.entries.push(JournalEntry {
                method: r.method.to_owned(),
                path: r.path.to_owned(),
                query: r.query.to_owned(),
                status: r.status,
                tenant: r.tenant.to_owned(),
                duration_us: r.duration_us,
                at: r.at,
                fault: r.fault.clone(),
            });
            return;
        }
        let entry = &mut self.entries[self.next];
        self.next = (self.next + 1) % JOURNAL_CAPACITY;
        for (buf, text) in [
            (&mut entry.method, r.method),
            (&mut entry.path, r.path),
            (&mut entry.query, r.query),
            (&mut entry.tenant, r.tenant),
        ] {
            buf.clear();
            buf.push_str(text);
        }
        entry.status = r.status;
        entry.duration_us = r.duration_us;
        entry.at = r.at;
        entry.fault.clone_from(&r.fault);
    }

    /// The entries, oldest first.
    fn iter(&self) -> impl Iterator<Item = &JournalEntry> {
        let (newer, older) = self.entries.split_at(self.next);
        older.iter().chain(newer)
    }

    /// The entries passing `filter`, oldest first.
    pub fn select(&self, filter: &JournalFilter) -> Vec<JournalEntry> {
        self.iter().filter(|e| filter.matches(e)).cloned().collect()
    }

    /// At most `limit` entries recorded at or after sequence number `after` (a cursor from an
    /// earlier page, 0 to start), oldest first. Entries already dropped by the capacity are
    /// skipped; a cursor beyond the end restarts from the oldest retained entry.
    pub fn since(&self, after: u64, limit: usize) -> JournalPage {
        let first = self.recorded - self.entries.len() as u64;
        let restarted = after > self.recorded;
        let from = if restarted { first } else { after.max(first) };
        let skip = usize::try_from(from - first).unwrap_or(usize::MAX);
        let requests: Vec<SequencedEntry> = self
            .iter()
            .skip(skip)
            .take(limit)
            .zip(from..)
            .map(|(e, seq)| SequencedEntry { seq, entry: e.clone() })
            .collect();
        let next = requests.last().map_or(from, |e| e.seq + 1);
        JournalPage { requests, next, restarted }
    }

    /// How many entries pass `filter`.
    pub fn count(&self, filter: &JournalFilter) -> usize {
        self.iter().filter(|e| filter.matches(e)).count()
    }

    /// Number of retained entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Is the journal empty?
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets every entry. The sequence numbering goes on, so cursors stay valid.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.next = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(method: &'a str, path: &'a str, status: u16) -> Received<'a> {
        Received {
            method,
            path,
            query: "",
            tenant: "t",
            status,
            duration_us: 1,
            at: DateTime::<Utc>::UNIX_EPOCH,
            fault: None,
        }
    }

    #[test]
    fn filters_combine_and_count_matches_select() {
        let mut j = Journal::default();
        j.record(&entry("GET", "/scim/v2/Users", 200));
        j.record(&entry("PATCH", "/scim/v2/Users/ABC", 200));
        j.record(&entry("PATCH", "/scim/v2/Users/DEF", 429));
        let f = JournalFilter {
            method: Some("patch".into()),
            path: Some(PathPattern::parse("/scim/v2/Users/*").unwrap()),
            status: None,
        };
        assert_eq!(j.count(&f), 2);
        let f = JournalFilter { status: Some(429), ..f };
        let sel = j.select(&f);
        assert_eq!(sel.len(), 1);
        assert_eq!(sel[0].path, "/scim/v2/Users/DEF");
        assert_eq!(j.count(&JournalFilter::default()), 3);
        j.clear();
        assert!(j.is_empty());
    }

    #[test]
    fn recorded_requests_reuse_evicted_entries_and_keep_their_own_fields() {
        let mut j = Journal::default();
        for i in 0..JOURNAL_CAPACITY + 3 {
            let path = format!("/scim/v2/Users/{i}");
            let fault = i.is_multiple_of(2).then(|| format!("rule-{i}"));
            j.record(&Received {
                method: if i.is_multiple_of(3) { "PATCH" } else { "GET" },
                path: &path,
                query: if i == JOURNAL_CAPACITY + 2 { "count=1" } else { "" },
                tenant: "acme",
                status: 200,
                duration_us: i as u64,
                at: DateTime::<Utc>::UNIX_EPOCH,
                fault,
            });
        }
        let all = j.select(&JournalFilter::default());
        assert_eq!(all.len(), JOURNAL_CAPACITY);
        assert_eq!(all[0].path, "/scim/v2/Users/3");
        let last = &all[JOURNAL_CAPACITY - 1];
        let n = JOURNAL_CAPACITY + 2;
        assert_eq!(last.path, format!("/scim/v2/Users/{n}"));
        assert_eq!(last.query, "count=1");
        assert_eq!(last.method, if n.is_multiple_of(3) { "PATCH" } else { "GET" });
        assert_eq!(last.fault, n.is_multiple_of(2).then(|| format!("rule-{n}")));
        assert_eq!(last.duration_us, n as u64);
        assert_eq!(all[JOURNAL_CAPACITY - 2].query, "");
        // Cleared after wrapping around, it starts over in order.
        j.clear();
        for path in ["/a", "/b"] {
            j.record(&Received { path, ..entry("GET", path, 200) });
        }
        let paths: Vec<_> =
            j.select(&JournalFilter::default()).into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/a", "/b"]);
    }

    #[test]
    fn since_pages_by_sequence_number_across_clear_capacity_and_restart() {
        let mut j = Journal::default();
        for i in 0..5 {
            j.record(&entry("GET", &format!("/{i}"), 200));
        }
        let page = j.since(0, 2);
        assert_eq!(page.requests.iter().map(|e| e.seq).collect::<Vec<_>>(), [0, 1]);
        assert_eq!((page.next, page.restarted), (2, false));
        let page = j.since(page.next, 100);
        assert_eq!(
            page.requests.iter().map(|e| e.entry.path.as_str()).collect::<Vec<_>>(),
            ["/2", "/3", "/4"]
        );
        assert_eq!(page.next, 5);
        // Nothing new: an empty page that keeps the cursor.
        let empty = j.since(5, 100);
        assert!(empty.requests.is_empty());
        assert_eq!((empty.next, empty.restarted), (5, false));
        // Cleared: numbering goes on, the old cursor sees only what came after.
        j.clear();
        j.record(&entry("POST", "/after-clear", 201));
        let page = j.since(5, 100);
        assert_eq!(page.requests.len(), 1);
        assert_eq!((page.requests[0].seq, page.next), (5, 6));
        // A cursor past the end (the journal was replaced) starts over.
        let page = j.since(99, 100);
        assert!(page.restarted);
        assert_eq!(page.requests[0].seq, 5);
        // Past the capacity, dropped entries are skipped.
        for i in 0..JOURNAL_CAPACITY + 2 {
            j.record(&entry("GET", &format!("/w{i}"), 200));
        }
        let page = j.since(0, 1);
        assert_eq!(page.requests[0].seq, 6 + 2);
        assert_eq!(page.requests[0].entry.path, "/w2");
    }

    #[test]
    fn capacity_drops_the_oldest() {
        let mut j = Journal::default();
        for i in 0..JOURNAL_CAPACITY + 5 {
            j.record(&entry("GET", &format!("/{i}"), 200));
        }
        assert_eq!(j.len(), JOURNAL_CAPACITY);
        let all = j.select(&JournalFilter::default());
        assert_eq!(all[0].path, "/5");
    }
}

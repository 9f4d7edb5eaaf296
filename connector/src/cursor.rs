//! List cursors: opaque to callers, tamper-evident, and bound to the filter they came from.
//!
//! A cursor is `base64url(json ‖ checksum)` where the JSON holds a format version, a hash of the
//! canonical filter, the last id returned (pagination is keyset by id, see
//! [`listing`](crate::listing)) and the page size. The checksum is FNV-1a 64 over a domain tag and
//! the JSON: not a secret (a cursor grants nothing, it only says where to resume), but any edit or
//! truncation is detected and reported as [`Error::InvalidCursor`] instead of silently resuming
//! somewhere else. FNV is written here rather than taken from `std`'s hasher because cursors may be
//! stored, and `std` does not promise its hash is stable across Rust releases.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::error::Error;

const VERSION: u8 = 1;
const DOMAIN: &[u8] = b"scimulator.connector.cursor.v1\0";

/// FNV-1a 64-bit.
pub(crate) fn fnv1a64(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The hash a cursor carries for a filter (`None` = no filter). Callers pass the canonical form
/// so spacing or keyword case does not make two equal filters differ.
pub(crate) fn filter_hash(canonical: Option<&str>) -> u64 {
    match canonical {
        Some(f) => fnv1a64(&[b"f:", f.as_bytes()]),
        None => fnv1a64(&[b"-"]),
    }
}

/// Where a listing resumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ListCursor {
    /// Format version.
    pub v: u8,
    /// [`filter_hash`] of the filter the cursor belongs to.
    pub f: u64,
    /// The last id returned; the next page starts after it.
    pub a: String,
    /// The page size the caller asked for (reused when the next call gives none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l: Option<usize>,
}

impl ListCursor {
    pub(crate) fn new(filter_hash: u64, after: String, limit: Option<usize>) -> Self {
        ListCursor { v: VERSION, f: filter_hash, a: after, l: limit }
    }

    /// The opaque string handed to callers.
    pub(crate) fn encode(&self) -> String {
        // Serialising a struct of integers and a string cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        let sum = fnv1a64(&[DOMAIN, &json]);
        let mut bytes = json;
        bytes.extend_from_slice(&sum.to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Checks and reads a cursor, and that it belongs to `expected_filter_hash`.
    pub(crate) fn decode(token: &str, expected_filter_hash: u64) -> Result<ListCursor, Error> {
        let bad = |reason: &str| Error::InvalidCursor { reason: reason.to_owned() };
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|_| bad("not a cursor from this client (not base64url)"))?;
        if bytes.len() < 9 {
            return Err(bad("too short to be a cursor (truncated?)"));
        }
        let (json, sum) = bytes.split_at(bytes.len() - 8);
        let mut expected = [0u8; 8];
        expected.copy_from_slice(sum);
        if fnv1a64(&[DOMAIN, json]) != u64::from_be_bytes(expected) {
            return Err(bad("checksum mismatch: the cursor was corrupted or edited"));
        }
        let cursor: ListCursor =
            serde_json::from_slice(json).map_err(|_| bad("unreadable cursor contents"))?;
        if cursor.v != VERSION {
            return Err(Error::InvalidCursor {
                reason: format!(
                    "cursor format version {} is not supported (expected {VERSION})",
                    cursor.v
                ),
            });
        }
        if cursor.f != expected_filter_hash {
            return Err(bad(
                "the cursor belongs to a different filter; start again without a cursor or pass the same filter",
            ));
        }
        Ok(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn round_trip() {
        let f = filter_hash(Some("userName eq \"a@b.c\""));
        let c = ListCursor::new(f, "ABC".into(), Some(50));
        let token = c.encode();
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(ListCursor::decode(&token, f).unwrap(), c);
    }

    #[test]
    fn other_filter_is_rejected() {
        let token = ListCursor::new(filter_hash(None), "ABC".into(), None).encode();
        let err = ListCursor::decode(&token, filter_hash(Some("active eq true"))).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidCursor);
        assert!(err.to_string().contains("different filter"), "{err}");
    }

    #[test]
    fn every_single_character_edit_is_detected() {
        let f = filter_hash(None);
        let token = ListCursor::new(f, "FHNN6ANJUZF3FFXYHEE6EWPHSM".into(), Some(10)).encode();
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for i in 0..token.len() {
            for &c in alphabet {
                let mut t = token.clone().into_bytes();
                if t[i] == c {
                    continue;
                }
                t[i] = c;
                let t = String::from_utf8(t).unwrap();
                match ListCursor::decode(&t, f) {
                    Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidCursor),
                    // The last character may carry only padding bits that base64 ignores; then
                    // the decoded bytes, and so the cursor, are unchanged.
                    Ok(c2) => assert_eq!(
                        URL_SAFE_NO_PAD.decode(&t).unwrap(),
                        URL_SAFE_NO_PAD.decode(&token).unwrap(),
                        "{c2:?}"
                    ),
                }
            }
        }
    }

    #[test]
    fn garbage_and_truncation_are_clear_errors() {
        let f = filter_hash(None);
        for t in ["", "!!!", "abc", "eyJ2IjoxfQ"] {
            assert_eq!(
                ListCursor::decode(t, f).unwrap_err().kind(),
                ErrorKind::InvalidCursor,
                "{t}"
            );
        }
        let token = ListCursor::new(f, "X".into(), None).encode();
        let cut = &token[..token.len() - 3];
        assert!(ListCursor::decode(cut, f).is_err());
    }

    #[test]
    fn fnv_known_vectors() {
        assert_eq!(fnv1a64(&[b""]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(&[b"a"]), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(&[b"foo", b"bar"]), fnv1a64(&[b"foobar"]));
    }
}

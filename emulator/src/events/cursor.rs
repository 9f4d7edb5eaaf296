//! Opaque, tamper-evident cursors.
//!
//! A cursor is a durable checkpoint: it records the *position* in one of the tenant's
//! append-only streams (the sequence number of the next event to return), the page size and the
//! end bound the reset request set. Because the streams only grow, the same cursor keeps meaning
//! "everything after what you have already seen" however long a client keeps it, and reading
//! from it is an index into a `Vec`, never a scan.
//!
//! Encoding: `version | kind | position (u64) | limit (u16) | end bound (i64 µs, or i64::MAX)`,
//! followed by the first 16 bytes of HMAC-SHA256 over those bytes with the tenant's secret, all
//! base64url without padding. A cursor edited by hand, minted by another tenant or meant for
//! another endpoint fails to decode.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const VERSION: u8 = 1;
const BODY_LEN: usize = 1 + 1 + 8 + 2 + 8;
const MAC_LEN: usize = 16;

/// Which stream a cursor walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// Audit events (v1/v2).
    Audit,
    /// Item usages.
    ItemUsages,
    /// Sign-in attempts.
    SignInAttempts,
    /// Audit events through the v3 beta (`page_token`).
    AuditV3,
}

impl StreamKind {
    fn code(self) -> u8 {
        match self {
            StreamKind::Audit => 1,
            StreamKind::ItemUsages => 2,
            StreamKind::SignInAttempts => 3,
            StreamKind::AuditV3 => 4,
        }
    }

    fn from_code(c: u8) -> Option<StreamKind> {
        Some(match c {
            1 => StreamKind::Audit,
            2 => StreamKind::ItemUsages,
            3 => StreamKind::SignInAttempts,
            4 => StreamKind::AuditV3,
            _ => return None,
        })
    }

    /// The endpoint name, for error messages.
    pub fn endpoint(self) -> &'static str {
        match self {
            StreamKind::Audit => "auditevents",
            StreamKind::ItemUsages => "itemusages",
            StreamKind::SignInAttempts => "signinattempts",
            StreamKind::AuditV3 => "v3 auditevents",
        }
    }
}

/// What a cursor carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The stream.
    pub kind: StreamKind,
    /// Sequence number (index) of the next event to return.
    pub position: u64,
    /// Page size.
    pub limit: u16,
    /// Events whose position key (µs since the epoch) is at or past this bound are never
    /// returned; `None` means no bound.
    pub end_excl_micros: Option<i64>,
}

/// Why a cursor string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    /// Not base64url, wrong length or unknown version.
    #[error("cursor is malformed")]
    Malformed,
    /// The signature does not match: edited, or minted by another tenant.
    #[error("cursor was not issued by this account (or has been altered)")]
    Forged,
    /// Valid, but for a different endpoint.
    #[error("cursor belongs to {found}, not {expected}")]
    WrongKind {
        /// The cursor's endpoint.
        found: &'static str,
        /// The endpoint it was sent to.
        expected: &'static str,
    },
}

/// Signs and checks cursors with a tenant secret.
#[derive(Clone)]
pub struct CursorCodec {
    key: [u8; 32],
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec { .. }")
    }
}

impl CursorCodec {
    /// A codec with `key` as its secret.
    pub fn new(key: [u8; 32]) -> CursorCodec {
        CursorCodec { key }
    }

    /// The secret, for the state file: cursors clients hold must still verify after a restart.
    pub fn key(&self) -> [u8; 32] {
        self.key
    }

    fn mac(&self, body: &[u8]) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = HmacSha256::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(body);
        mac
    }

    /// The opaque string for `cursor`.
    pub fn encode(&self, cursor: &Cursor) -> String {
        let mut buf = Vec::with_capacity(BODY_LEN + MAC_LEN);
        buf.push(VERSION);
        buf.push(cursor.kind.code());
        buf.extend_from_slice(&cursor.position.to_be_bytes());
        buf.extend_from_slice(&cursor.limit.to_be_bytes());
        buf.extend_from_slice(&cursor.end_excl_micros.unwrap_or(i64::MAX).to_be_bytes());
        let tag = self.mac(&buf).finalize().into_bytes();
        buf.extend_from_slice(&tag[..MAC_LEN]);
        URL_SAFE_NO_PAD.encode(buf)
    }

    /// Decodes and authenticates `s`, which must be a cursor for `expected`.
    pub fn decode(&self, s: &str, expected: StreamKind) -> Result<Cursor, CursorError> {
        let buf = URL_SAFE_NO_PAD.decode(s.trim()).map_err(|_| CursorError::Malformed)?;
        if buf.len() != BODY_LEN + MAC_LEN || buf[0] != VERSION {
            return Err(CursorError::Malformed);
        }
        let (body, tag) = buf.split_at(BODY_LEN);
        self.mac(body).verify_truncated_left(tag).map_err(|_| CursorError::Forged)?;
        let kind = StreamKind::from_code(body[1]).ok_or(CursorError::Malformed)?;
        if kind != expected {
            return Err(CursorError::WrongKind {
                found: kind.endpoint(),
                expected: expected.endpoint(),
            });
        }
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&body[i..i + 8]);
            b
        };
        let end = i64::from_be_bytes(u64_at(12));
        Ok(Cursor {
            kind,
            position: u64::from_be_bytes(u64_at(2)),
            limit: u16::from_be_bytes([body[10], body[11]]),
            end_excl_micros: (end != i64::MAX).then_some(end),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> Cursor {
        Cursor { kind: StreamKind::Audit, position: 42, limit: 100, end_excl_micros: Some(7) }
    }

    #[test]
    fn round_trips() {
        let codec = CursorCodec::new([1; 32]);
        let s = codec.encode(&cursor());
        assert_eq!(codec.decode(&s, StreamKind::Audit).unwrap(), cursor());
        let open = Cursor { end_excl_micros: None, ..cursor() };
        assert_eq!(codec.decode(&codec.encode(&open), StreamKind::Audit).unwrap(), open);
    }

    #[test]
    fn tampered_foreign_wrong_kind_and_garbage_are_refused() {
        let codec = CursorCodec::new([1; 32]);
        let s = codec.encode(&cursor());
        let mut bytes = URL_SAFE_NO_PAD.decode(&s).unwrap();
        bytes[9] ^= 1; // position + 1
        let tampered = URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(codec.decode(&tampered, StreamKind::Audit), Err(CursorError::Forged));
        let other = CursorCodec::new([2; 32]);
        assert_eq!(other.decode(&s, StreamKind::Audit), Err(CursorError::Forged));
        assert!(matches!(
            codec.decode(&s, StreamKind::SignInAttempts),
            Err(CursorError::WrongKind { found: "auditevents", .. })
        ));
        for junk in ["", "!!!", "aGVsbG8hIGlzIGl0IG1lIHlvdSBhcmUgbG9va2luZyBmb3IK"] {
            assert_eq!(
                codec.decode(junk, StreamKind::Audit),
                Err(CursorError::Malformed),
                "{junk}"
            );
        }
    }
}

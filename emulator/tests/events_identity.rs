//! An event log's identity (account uuid, signing key, cursor secret, tokens) round-trips
//! through JSON, as the state file keeps it, and a bad one is refused without a change.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use emulator::events::model::Shape;
use emulator::events::query::PageRequest;
use emulator::events::{EventLog, LogIdentity};
use emulator::ids::IdGenerator;

#[test]
fn identities_round_trip_and_a_bad_one_changes_nothing() {
    let now = DateTime::UNIX_EPOCH;
    let a = EventLog::new(&mut IdGenerator::new(1), now);
    let mut b = EventLog::new(&mut IdGenerator::new(2), now);
    assert_ne!(a.identity(), b.identity());
    let saved: LogIdentity =
        serde_json::from_str(&serde_json::to_string(&a.identity()).unwrap()).unwrap();
    let before = b.identity();
    let zero_key = URL_SAFE_NO_PAD.encode([0u8; 32]);
    let short_key = URL_SAFE_NO_PAD.encode([1u8; 16]);
    for (bad, want) in [
        (LogIdentity { signing_key: "!".into(), ..saved.clone() }, "signing_key"),
        (LogIdentity { signing_key: zero_key, ..saved.clone() }, "signing_key"),
        (LogIdentity { cursor_key: short_key, ..saved.clone() }, "cursor_key"),
        (LogIdentity { tokens: vec![], ..saved.clone() }, "tokens"),
    ] {
        let err = b.adopt_identity(&bad).unwrap_err();
        assert!(err.contains(want), "{err}");
        assert_eq!(b.identity(), before, "a refused identity changes nothing");
    }
    b.adopt_identity(&saved).unwrap();
    assert_eq!(b.identity(), a.identity());
    assert_eq!(b.default_token(), a.default_token());
    assert_eq!(b.account_uuid(), a.account_uuid());
    // A cursor one log signed resumes in the other, and in no log of another identity.
    let shape = Shape::full(a.account_uuid());
    let reset = PageRequest::Reset { limit: 1, start_time: None, end_time: None };
    let cursor = a.page_audit_events(&reset, &shape, now).unwrap().cursor;
    let resume = PageRequest::Resume { cursor };
    assert!(b.page_audit_events(&resume, &shape, now).is_ok());
    let stranger = EventLog::new(&mut IdGenerator::new(3), now);
    assert!(stranger.page_audit_events(&resume, &shape, now).is_err());
}

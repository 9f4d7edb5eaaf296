//! Property: any interleaving of appends and polls, with random page sizes, resuming from any
//! cursor stored along the way, returns exactly the events appended after that cursor's
//! checkpoint, in order: never skipping or repeating one.

use chrono::{DateTime, Duration, Utc};
use emulator::account::{Change, UserRef};
use emulator::events::EventLog;
use emulator::events::model::Shape;
use emulator::events::query::PageRequest;
use emulator::ids::IdGenerator;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// Append this many audit events, then let this many seconds pass.
    Append(usize, i64),
    /// Start over with a reset cursor of this limit (covering all history).
    Reset(u16),
    /// Poll with the stored cursor at this index (modulo the number stored).
    Poll(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1usize..8, 0i64..3).prop_map(|(n, s)| Op::Append(n, s)),
        (1u16..6).prop_map(Op::Reset),
        any::<usize>().prop_map(Op::Poll),
    ]
}

fn change(i: usize) -> Change {
    let user = UserRef {
        id: format!("USER{i:022}"),
        name: format!("User {i}"),
        email: format!("u{i}@example.com"),
    };
    if i % 2 == 0 { Change::UserSuspended { user } } else { Change::UserReactivated { user } }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn every_event_exactly_once_in_order_from_any_stored_cursor(ops in prop::collection::vec(op(), 1..60)) {
        let mut ids = IdGenerator::new(1);
        let start: DateTime<Utc> = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        let mut now = start;
        let mut log = EventLog::new(&mut ids, now);
        // All uuids appended, in order.
        let mut appended: Vec<String> = Vec::new();
        // Stored cursors with the number of events already seen before them.
        let mut stored: Vec<(String, usize, usize)> = Vec::new(); // (cursor, seen, limit)
        let account = log.account_uuid().to_owned();
        let shape = Shape { v2: true, msp: false, country_names: false, account_uuid: &account };
        for op in ops {
            match op {
                Op::Append(n, secs) => {
                    for _ in 0..n {
                        log.record(&[change(appended.len())], now, &mut ids);
                        let last = log.audit_events().events().last().unwrap();
                        appended.push(last.uuid.to_string());
                    }
                    now += Duration::seconds(secs);
                }
                Op::Reset(limit) => {
                    let req = PageRequest::Reset { limit, start_time: Some(start), end_time: None };
                    let page = log.page_audit_events(&req, &shape, now).unwrap();
                    let got: Vec<_> = page.items.iter().map(|e| e.uuid.clone().unwrap()).collect();
                    let want = appended.iter().take(usize::from(limit)).cloned().collect::<Vec<_>>();
                    prop_assert_eq!(&got, &want);
                    prop_assert_eq!(page.has_more, appended.len() > got.len());
                    stored.push((page.cursor, got.len(), usize::from(limit)));
                }
                Op::Poll(i) if !stored.is_empty() => {
                    let (cursor, seen, limit) = stored[i % stored.len()].clone();
                    let req = PageRequest::Resume { cursor };
                    let page = log.page_audit_events(&req, &shape, now).unwrap();
                    let got: Vec<_> = page.items.iter().map(|e| e.uuid.clone().unwrap()).collect();
                    let want: Vec<_> = appended.iter().skip(seen).take(limit).cloned().collect();
                    prop_assert_eq!(&got, &want, "from checkpoint {}", seen);
                    prop_assert_eq!(page.has_more, seen + got.len() < appended.len());
                    stored.push((page.cursor, seen + got.len(), limit));
                }
                Op::Poll(_) => {}
            }
        }
        // Draining from every stored cursor reaches exactly the tail of the log.
        for (cursor, seen, _) in stored {
            let mut cursor = cursor;
            let mut got = Vec::new();
            loop {
                let page = log.page_audit_events(&PageRequest::Resume { cursor }, &shape, now).unwrap();
                got.extend(page.items.iter().map(|e| e.uuid.clone().unwrap()));
                cursor = page.cursor;
                if !page.has_more { break; }
            }
            prop_assert_eq!(&got[..], &appended[seen..]);
        }
    }
}

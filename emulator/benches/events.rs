//! A page of 1,000 events from a 1,000,000-event log, resumed from a cursor (target: < 5 ms).
//!
//! Run: `cargo bench -p emulator --bench events`. Three positions are measured (near the start,
//! the middle, near the end) to show that reading does not depend on how far into the log the
//! cursor points: resuming is an index, not a scan.

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use emulator::account::{Change, UserRef};
use emulator::events::EventLog;
use emulator::events::model::Shape;
use emulator::events::query::PageRequest;
use emulator::ids::IdGenerator;

const EVENTS: usize = 1_000_000;

fn build() -> (EventLog, DateTime<Utc>) {
    let mut ids = IdGenerator::new(1);
    let mut now = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
    let mut log = EventLog::new(&mut ids, now);
    let users: Vec<UserRef> = (0..1000)
        .map(|i| UserRef {
            id: format!("USER{i:022}"),
            name: format!("User {i}"),
            email: format!("u{i}@example.com"),
        })
        .collect();
    for i in 0..EVENTS {
        let user = users[i % users.len()].clone();
        let change = if i % 2 == 0 {
            Change::UserSuspended { user }
        } else {
            Change::UserReactivated { user }
        };
        log.record(&[change], now, &mut ids);
        if i % 10 == 0 {
            now += Duration::seconds(1);
        }
    }
    (log, now)
}

/// The cursor that resumes at `position` (reached by a reset at the start plus one jump).
fn cursor_at(log: &EventLog, position: usize, now: DateTime<Utc>, shape: &Shape<'_>) -> String {
    let start = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
    let mut cursor = log
        .page_audit_events(
            &PageRequest::Reset { limit: 1000, start_time: Some(start), end_time: None },
            shape,
            now,
        )
        .unwrap()
        .cursor;
    for _ in 1..position / 1000 {
        cursor = log.page_audit_events(&PageRequest::Resume { cursor }, shape, now).unwrap().cursor;
    }
    cursor
}

fn bench(c: &mut Criterion) {
    let (log, now) = build();
    let account = log.account_uuid().to_owned();
    let shape = Shape { v2: true, msp: false, country_names: false, account_uuid: &account };
    let mut group = c.benchmark_group("events_page_1000_of_1m");
    for position in [1_000, 500_000, 998_000] {
        let cursor = cursor_at(&log, position, now, &shape);
        group.bench_function(format!("resume_at_{position}_render_and_serialize"), |b| {
            b.iter(|| {
                let page = log
                    .page_audit_events(&PageRequest::Resume { cursor: cursor.clone() }, &shape, now)
                    .unwrap();
                assert_eq!(page.items.len(), 1000);
                serde_json::to_vec(&page).unwrap()
            })
        });
    }
    let start = DateTime::from_timestamp(1_767_225_600 + 50_000, 0).unwrap();
    group.bench_function("reset_at_start_time_mid_log", |b| {
        b.iter(|| {
            let req = PageRequest::Reset { limit: 1000, start_time: Some(start), end_time: None };
            let page = log.page_audit_events(&req, &shape, now).unwrap();
            assert_eq!(page.items.len(), 1000);
            serde_json::to_vec(&page).unwrap()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);

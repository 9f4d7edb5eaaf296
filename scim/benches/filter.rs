//! Parse and evaluate throughput: `cargo bench -p scim`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use scim::filter::parse;
use scim::schema::ResourceSchema;
use serde_json::json;

const SIMPLE: &str = r#"userName eq "bjensen""#;
const COMPLEX: &str = r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"] or urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#;

fn benches(c: &mut Criterion) {
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "u1",
        "userName": "BJensen",
        "userType": "Employee",
        "emails": [
            {"value": "babs@jensen.org", "type": "home"},
            {"value": "bjensen@example.com", "type": "work", "primary": true}
        ],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984"}
    });
    let schema = ResourceSchema::user();
    let simple = parse(SIMPLE).expect("simple parses");
    let complex = parse(COMPLEX).expect("complex parses");
    assert!(simple.matches(&user, schema).expect("valid"));
    assert!(complex.matches(&user, schema).expect("valid"));

    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(1));
    g.bench_function("simple userName eq", |b| b.iter(|| parse(black_box(SIMPLE))));
    g.bench_function("complex valuePath", |b| b.iter(|| parse(black_box(COMPLEX))));
    g.finish();

    let mut g = c.benchmark_group("evaluate");
    g.throughput(Throughput::Elements(1));
    g.bench_function("simple userName eq", |b| {
        b.iter(|| black_box(&simple).matches(black_box(&user), schema))
    });
    g.bench_function("complex valuePath", |b| {
        b.iter(|| black_box(&complex).matches(black_box(&user), schema))
    });
    g.finish();
}

criterion_group!(filter, benches);
criterion_main!(filter);

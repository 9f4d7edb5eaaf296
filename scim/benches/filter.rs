//! Parse and evaluate throughput: `cargo bench -p scim`.

use std::hint::black_box;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use scim::filter::parse;
use scim::schema::ResourceSchema;
use serde_json::json;

const SIMPLE: &str = r#"userName eq "bjensen""#;
const COMPLEX: &str = r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"] or urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#;

/// On-CPU time of the benchmark thread (`CLOCK_THREAD_CPUTIME_ID`). The machine is shared with
/// other builds, so wall time measures the queue for the CPU as much as the parser; on-CPU time
/// measures the parser.
struct CpuTime;

#[cfg(target_os = "linux")]
fn thread_cpu_ns() -> u64 {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    unsafe extern "C" {
        // From the C library std already links; no extra crate for one call.
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call (64-bit Linux
    // layout: two i64 fields).
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu_ns() -> u64 {
    // Elsewhere fall back to a monotonic clock (wall time).
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_nanos() as u64
}

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, ns: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if ns < 1e3 {
            (1.0, "ns cpu")
        } else if ns < 1e6 {
            (1e-3, "µs cpu")
        } else {
            (1e-6, "ms cpu")
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }
    fn scale_throughputs(
        &self,
        ns: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let per = match throughput {
            Throughput::Elements(n) | Throughput::ElementsAndBytes { elements: n, .. } => *n as f64,
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) | Throughput::Bits(n) => *n as f64,
        };
        let (factor, unit) =
            if per * 1e9 / ns >= 1e6 { (1e-6, "Melem/s cpu") } else { (1e-3, "Kelem/s cpu") };
        values.iter_mut().for_each(|v| *v = per * 1e9 / *v * factor);
        unit
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn wall(c: &mut Criterion) {
    benches(c, "");
}

fn cpu(c: &mut Criterion<CpuTime>) {
    benches(c, "cpu/");
}

fn benches<M: Measurement>(c: &mut Criterion<M>, prefix: &str) {
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

    let mut g = c.benchmark_group(format!("{prefix}parse"));
    g.throughput(Throughput::Elements(1));
    g.bench_function("simple userName eq", |b| b.iter(|| parse(black_box(SIMPLE))));
    g.bench_function("complex valuePath", |b| b.iter(|| parse(black_box(COMPLEX))));
    g.finish();

    let mut g = c.benchmark_group(format!("{prefix}evaluate"));
    g.throughput(Throughput::Elements(1));
    g.bench_function("simple userName eq", |b| {
        b.iter(|| black_box(&simple).matches(black_box(&user), schema))
    });
    g.bench_function("complex valuePath", |b| {
        b.iter(|| black_box(&complex).matches(black_box(&user), schema))
    });
    g.finish();
}

criterion_group!(filter_wall, wall);
criterion_group! {
    name = filter_cpu;
    config = Criterion::default().with_measurement(CpuTime);
    targets = cpu
}
criterion_main!(filter_wall, filter_cpu);

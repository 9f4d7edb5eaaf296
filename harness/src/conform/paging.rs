//! Paging (RFC 7644 §3.4.2.4) and sorting (§3.4.2.3), on the filter fixture's three users.

use super::client::enc;
use super::filters::Fixture;
use super::{Ctx, Level, Resp};

fn ids(r: &Resp) -> Vec<String> {
    r.body["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["id"].as_str().map(str::to_owned))
        .collect()
}

/// Runs the paging checks.
pub async fn run(ctx: &Ctx, fx: Option<&Fixture>) {
    let Some(fx) = fx else {
        ctx.fail(
            "paging.setup",
            "the paging fixture users can be created",
            "could not create the three fixture users (see crud checks)",
        );
        return;
    };
    if !ctx.disc.filter {
        ctx.skip(
            "paging.count",
            "count limits the page; totalResults stays the total",
            "paging is checked on a filtered list and filter.supported is false",
        );
        return;
    }
    let scope = enc(&format!("userName sw \"{}-fx-\"", ctx.prefix));
    let base = format!("{}?filter={scope}", fx.rt.endpoint);
    let get = |q: String| {
        let path = format!("{base}{q}");
        async move { ctx.client.get(&path).await }
    };
    if let Ok(r) = get("&count=1".into()).await {
        let n = ids(&r).len();
        let total = r.body["totalResults"].as_u64();
        ctx.require(
            "paging.count",
            "count limits the page",
            Level::Must,
            r.status == 200 && n <= 1,
            format!("count=1: RFC 7644 §3.4.2.4: the service provider MUST NOT return more results than count; got {n}; {}", r.describe()),
        );
        ctx.require(
            "paging.total_results",
            "totalResults is the number of matches, not the page size",
            Level::Must,
            total == Some(3),
            format!("count=1 on the run's 3 users: RFC 7644 §3.4.2 totalResults is the total number of results; got {total:?}"),
        );
        ctx.require(
            "paging.items_per_page",
            "itemsPerPage is the number of Resources returned",
            Level::Must,
            r.body["itemsPerPage"].as_u64() == Some(n as u64),
            format!(
                "count=1: RFC 7644 §3.4.2: itemsPerPage {} but {n} Resources",
                r.body["itemsPerPage"]
            ),
        );
    }
    if let Ok(r) = get("&count=0".into()).await {
        let n = ids(&r).len();
        ctx.require(
            "paging.count_zero",
            "count=0 returns totalResults only",
            Level::Must,
            r.status == 200 && n == 0 && r.body["totalResults"].as_u64() == Some(3),
            format!("count=0: RFC 7644 §3.4.2.4: \"0\" indicates that no resource results are to be returned except for totalResults; {}", r.describe()),
        );
    }
    if let Ok(r) = get("&startIndex=0&count=3".into()).await {
        ctx.require(
            "paging.start_index_below_one",
            "startIndex below 1 is treated as 1",
            Level::Must,
            r.status == 200 && ids(&r).len() == 3,
            format!("startIndex=0: RFC 7644 §3.4.2.4: a value less than 1 SHALL be interpreted as 1; {}", r.describe()),
        );
    }
    if let Ok(r) = get("&count=-1".into()).await {
        ctx.require(
            "paging.negative_count",
            "a negative count is treated as 0",
            Level::Must,
            r.status == 200 && ids(&r).is_empty(),
            format!(
                "count=-1: RFC 7644 §3.4.2.4: a negative value SHALL be interpreted as 0; {}",
                r.describe()
            ),
        );
    }
    if let Ok(r) = get("&startIndex=2&count=1".into()).await {
        ctx.require(
            "paging.start_index",
            "startIndex is honoured and echoed",
            Level::Must,
            r.status == 200 && r.body["startIndex"].as_u64() == Some(2) && ids(&r).len() == 1,
            format!("startIndex=2&count=1: RFC 7644 §3.4.2.4 (1-based startIndex; the response echoes it); {}", r.describe()),
        );
    }
    if let Ok(r) = get("&startIndex=50&count=10".into()).await {
        ctx.require(
            "paging.beyond_end",
            "a startIndex past the end answers 200 with no Resources",
            Level::Must,
            r.status == 200 && ids(&r).is_empty() && r.body["totalResults"].as_u64() == Some(3),
            format!("startIndex=50: RFC 7644 §3.4.2.4; {}", r.describe()),
        );
    }
    // Walk page by page: every user exactly once.
    let mut seen = Vec::new();
    for start in 1..=3 {
        if let Ok(r) = get(format!("&startIndex={start}&count=1")).await {
            seen.extend(ids(&r));
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    let mut want = fx.ids.clone();
    want.sort();
    // The same query repeated gives the same order (what makes page walks safe).
    let mut orders = Vec::new();
    for _ in 0..4 {
        if let Ok(r) = get("&count=3".into()).await {
            orders.push(ids(&r));
        }
    }
    let stable = orders.windows(2).all(|w| w[0] == w[1]);
    let once = sorted == want && seen.len() == 3 && stable;
    let detail = format!(
        "pages of count=1 over the run's 3 users returned {seen:?}; each of {want:?} should appear exactly once; the same query repeated 4 times gave {} order(s)",
        {
            let mut o = orders.clone();
            o.dedup();
            o.len()
        }
    );
    match ctx.expect.unstable_paging() {
        Some(level) => ctx.require(
            "paging.walk",
            "walking pages returns every resource exactly once, in a stable order",
            level,
            once,
            format!("{detail} (RFC 7644 §3.4.2.4 allows order to vary without sortBy — a SHOULD-level finding; Okta requires stable order)"),
        ),
        None => ctx.skip("paging.walk", "walking pages returns every resource exactly once, in a stable order", "the recorded bridge shuffles list order between calls"),
    }
    sort(ctx, fx, &base).await;
}

async fn sort(ctx: &Ctx, fx: &Fixture, base: &str) {
    let title = "sortBy=userName orders ascending and descending";
    if !ctx.disc.sort {
        ctx.skip("paging.sort", title, "sort.supported is false in /ServiceProviderConfig");
        return;
    }
    let mut results = Vec::new();
    for order in ["ascending", "descending"] {
        if let Ok(r) = ctx.client.get(&format!("{base}&sortBy=userName&sortOrder={order}")).await {
            results.push((order, ids(&r), r));
        }
    }
    let mut want = fx.ids.clone();
    let mut problems = Vec::new();
    for (order, got, r) in &results {
        if got != &want {
            problems.push(format!("{order}: got {got:?}, expected {want:?} ({})", r.describe()));
        }
        want.reverse();
    }
    ctx.require(
        "paging.sort",
        title,
        Level::Must,
        problems.is_empty() && results.len() == 2,
        format!("RFC 7644 §3.4.2.3 (sort advertised): {}", problems.join("; ")),
    );
}

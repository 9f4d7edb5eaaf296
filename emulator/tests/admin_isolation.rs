//! Many tenants in parallel on one server: none sees another's journal, faults or clock.

mod common;

use std::sync::Arc;

use common::Admin;
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_tenants_are_isolated() {
    let a = Arc::new(Admin::start().await);
    let n = 12usize;
    let mut tasks = Vec::new();
    for i in 0..n {
        let a = a.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("job-{i}");
            let t = a.tenant(&name).await;
            let token = t["scim_token"].as_str().unwrap().to_owned();
            // Each tenant fails its own first i requests and moves its own clock i minutes.
            if i > 0 {
                a.add_fault(&name, json!({"times": i, "action": {"status": 503}})).await;
            }
            a.json(
                Method::POST,
                &format!("/tenants/{name}/clock"),
                Some(json!({"advance": format!("{i}m")})),
            )
            .await;
            let mut statuses = Vec::new();
            for _ in 0..(i + 3) {
                statuses.push(a.api(Method::GET, &format!("/ping?job={i}"), &token).await.status());
            }
            (i, name, statuses)
        }));
    }
    for task in tasks {
        let (i, name, statuses) = task.await.unwrap();
        let failed = statuses.iter().filter(|s| s.as_u16() == 503).count();
        assert_eq!(failed, i, "{name} saw another tenant's faults");
        let (_, j) = a.json(Method::GET, &format!("/tenants/{name}/journal"), None).await;
        let reqs = j["requests"].as_array().unwrap();
        assert_eq!(reqs.len(), i + 3, "{name}'s journal holds exactly its requests");
        for r in reqs {
            assert_eq!(r["tenant"], name);
            assert_eq!(r["query"], format!("job={i}"));
            assert_eq!(r["at"], format!("2026-01-01T00:{i:02}:00Z"));
        }
        let (_, f) = a.json(Method::GET, &format!("/tenants/{name}/faults"), None).await;
        assert_eq!(f["faults"].as_array().unwrap().len(), usize::from(i > 0));
    }
    assert_eq!(a.count("default", "").await, 0, "the default tenant saw nothing");
}

//! Checking a step's [`Outcome`] against its expectations. Every failure message says which
//! check failed, where in the result, and shows expected against actual.

use serde_json::Value;

use super::Outcome;
use crate::jsonpath::JsonPath;
use crate::matching::{self, compact, pretty};
use crate::scenario::{Action, Expect};

/// Checks the outcome. Without an explicit `status`/`error` expectation, a connector operation
/// must succeed and a control action must answer 2xx: a scenario never passes over a failure
/// it did not ask for.
pub(super) fn check(action: &Action, expect: Option<&Expect>, out: &Outcome) -> Result<(), String> {
    let default = Expect::default();
    let e = expect.unwrap_or(&default);
    let mut failures: Vec<String> = Vec::new();
    let explicit_outcome = e.status.is_some() || e.error.is_some();
    if !explicit_outcome {
        match action {
            Action::Control(_) if !out.status.is_some_and(|s| (200..300).contains(&s)) => {
                return Err(format!(
                    "the control action `{}` answered {}: {}",
                    action.keyword(),
                    out.status.map(|s| s.to_string()).unwrap_or_else(|| "nothing".into()),
                    compact(&out.body)
                ));
            }
            Action::List(_)
            | Action::Get(_)
            | Action::Suspend(_)
            | Action::Reactivate(_)
            | Action::Events(_)
            | Action::Mcp(_)
                if out.error.is_some() =>
            {
                return Err(format!(
                    "`{}` failed with {} ({}); add `expect: {{error: ...}}` if that is intended",
                    action.keyword(),
                    out.error.as_deref().unwrap_or_default(),
                    out.message.as_deref().unwrap_or_default()
                ));
            }
            _ => {}
        }
    }
    if let Some(want) = e.status
        && out.status != Some(want)
    {
        failures.push(format!(
            "expect.status: expected {want}, got {} with body {}",
            out.status.map(|s| s.to_string()).unwrap_or_else(|| "no response".into()),
            compact(&out.body)
        ));
    }
    if let Some(want) = &e.error {
        let got = out.error.as_deref().unwrap_or("none");
        if want != got {
            failures.push(format!(
                "expect.error: expected {want}, got {got}{}",
                out.message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default()
            ));
        }
    }
    if let Some(want) = &e.body {
        let mismatches = matching::contains(want, &out.body);
        if !mismatches.is_empty() {
            failures.push(format!(
                "expect.body does not match:\n{}\n{}",
                list(&mismatches),
                matching::diff(&pretty(want), &pretty(&project(want, &out.body)))
            ));
        }
    }
    if let Some(want) = &e.equals
        && want != &out.body
    {
        failures.push(format!(
            "expect.equals does not match:\n{}",
            matching::diff(&pretty(want), &pretty(&out.body))
        ));
    }
    for (path, want) in &e.fields {
        let p = JsonPath::parse(path).map_err(|err| err.to_string())?;
        let found = p.select(&out.body);
        let actual = if p.is_multi() {
            Value::Array(found.into_iter().cloned().collect())
        } else {
            match found.first() {
                Some(v) => (*v).clone(),
                None => {
                    failures.push(format!(
                        "expect.fields {path}: expected {}, but nothing is there in {}",
                        compact(want),
                        compact(&out.body)
                    ));
                    continue;
                }
            }
        };
        let mismatches = matching::contains(want, &actual);
        if !mismatches.is_empty() {
            failures.push(format!(
                "expect.fields {path}: expected {}, got {}",
                compact(want),
                compact(&actual)
            ));
        }
    }
    for (path, want) in &e.unordered {
        let p = JsonPath::parse(path).map_err(|err| err.to_string())?;
        let mut got: Vec<String> = p.select(&out.body).into_iter().map(compact).collect();
        let mut exp: Vec<String> = want.iter().map(compact).collect();
        got.sort();
        exp.sort();
        if got != exp {
            failures.push(format!(
                "expect.unordered {path}: expected (in any order) [{}], got [{}]",
                exp.join(", "),
                got.join(", ")
            ));
        }
    }
    for (path, want) in &e.includes {
        let p = JsonPath::parse(path).map_err(|err| err.to_string())?;
        let selected = p.select(&out.body);
        let pool: Vec<&Value> = match selected.as_slice() {
            [Value::Array(a)] if !p.is_multi() => a.iter().collect(),
            other => other.to_vec(),
        };
        for item in want {
            if !pool.iter().any(|v| matching::contains(item, v).is_empty()) {
                failures.push(format!(
                    "expect.includes {path}: no element contains {} among {} element(s): {}",
                    compact(item),
                    pool.len(),
                    compact(&Value::Array(pool.iter().map(|v| (*v).clone()).collect()))
                ));
            }
        }
    }
    for path in &e.absent {
        let p = JsonPath::parse(path).map_err(|err| err.to_string())?;
        let found = p.select(&out.body);
        if !found.is_empty() {
            failures.push(format!(
                "expect.absent {path}: expected nothing, found {}",
                compact(found[0])
            ));
        }
    }
    if let Some(want) = e.count {
        match count_of(&out.body) {
            Some(n) if n == want => {}
            Some(n) => failures.push(format!("expect.count: expected {want}, got {n}")),
            None => failures.push(format!(
                "expect.count: the result has nothing to count (no users, Resources, items, \
                 requests, invitations or count): {}",
                compact(&out.body)
            )),
        }
    }
    for (name, want) in &e.headers {
        let got = out.headers.get(&name.to_ascii_lowercase());
        if !got.is_some_and(|g| header_matches(name, want, g)) {
            failures.push(format!(
                "expect.headers {name}: expected {want:?}, got {}",
                got.map(|g| format!("{g:?}")).unwrap_or_else(|| "no such header".into())
            ));
        }
    }
    if failures.is_empty() { Ok(()) } else { Err(failures.join("\n")) }
}

/// `true` when header `name`'s value `got` is what `want` asks. `content-type` is compared as a
/// media type (case-insensitive, parameters ignored) unless `want` names parameters itself, so
/// `application/scim+json` matches `application/scim+json; charset=utf-8`.
fn header_matches(name: &str, want: &str, got: &str) -> bool {
    if name.eq_ignore_ascii_case("content-type") && !want.contains(';') {
        let media = |v: &str| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        media(got) == media(want)
    } else {
        got == want
    }
}

fn list(m: &[matching::Mismatch]) -> String {
    m.iter().map(|x| format!("  {x}")).collect::<Vec<_>>().join("\n")
}

/// How many things a result holds: an array's length, the length of its `users`, `Resources`,
/// `items`, `requests` or `invitations` array, or its `count`.
pub fn count_of(body: &Value) -> Option<u64> {
    match body {
        Value::Array(a) => Some(a.len() as u64),
        Value::Object(o) => {
            for k in ["users", "Resources", "items", "requests", "invitations"] {
                if let Some(Value::Array(a)) = o.get(k) {
                    return Some(a.len() as u64);
                }
            }
            o.get("count").and_then(Value::as_u64)
        }
        _ => None,
    }
}

/// The parts of `actual` that `expected` talks about, so a diff shows only what matters.
fn project(expected: &Value, actual: &Value) -> Value {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => Value::Object(
            e.iter()
                .filter_map(|(k, ev)| a.get(k).map(|av| (k.clone(), project(ev, av))))
                .collect(),
        ),
        (Value::Array(e), Value::Array(a)) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, av)| match e.get(i) {
                    Some(ev) => project(ev, av),
                    None => av.clone(),
                })
                .collect(),
        ),
        (_, a) => a.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn content_type_is_compared_as_a_media_type() {
        let scim = "application/scim+json";
        assert!(header_matches("Content-Type", scim, "application/scim+json; charset=utf-8"));
        assert!(header_matches("content-type", scim, "Application/SCIM+JSON"));
        assert!(!header_matches("content-type", scim, "application/json"));
        // Parameters in the expectation are compared as written.
        let with = "application/scim+json; charset=utf-8";
        assert!(!header_matches("content-type", with, scim));
        assert!(!header_matches("etag", "W/\"1\"", "W/\"2\""));
    }

    fn out(status: u16, body: Value) -> Outcome {
        Outcome { status: Some(status), body, ..Default::default() }
    }

    #[test]
    fn checks_status_fields_count_and_body() {
        let o = out(
            200,
            json!({"totalResults": 2, "Resources": [{"active": true}, {"active": false}]}),
        );
        let get = Action::Http(crate::scenario::HttpOp {
            api: Default::default(),
            method: "GET".into(),
            path: "/Users".into(),
            headers: Default::default(),
            body: None,
            raw_body: None,
        });
        let mut e = Expect { status: Some(200), count: Some(2), ..Default::default() };
        e.fields.insert("$.Resources[1].active".into(), json!(false));
        e.fields.insert("$.Resources[*].active".into(), json!([true, false]));
        assert_eq!(check(&get, Some(&e), &o), Ok(()));

        e.status = Some(201);
        e.count = Some(3);
        e.fields.insert("$.Resources[0].active".into(), json!(false));
        e.absent.push("$.totalResults".into());
        let msg = check(&get, Some(&e), &o).unwrap_err();
        assert!(msg.contains("expect.status: expected 201, got 200"), "{msg}");
        assert!(msg.contains("expect.count: expected 3, got 2"), "{msg}");
        assert!(
            msg.contains("expect.fields $.Resources[0].active: expected false, got true"),
            "{msg}"
        );
        assert!(msg.contains("expect.absent $.totalResults"), "{msg}");

        let e = Expect {
            body: Some(json!({"Resources": [{"active": true}, {"active": true}]})),
            ..Default::default()
        };
        let msg = check(&get, Some(&e), &o).unwrap_err();
        assert!(msg.contains("at $.Resources[1].active: expected true, got false"), "{msg}");
        assert!(
            msg.contains("-      \"active\": true") && msg.contains("+      \"active\": false"),
            "{msg}"
        );
    }

    #[test]
    fn unexpected_failures_fail_unless_expected() {
        let failed = Outcome {
            status: Some(404),
            error: Some("not_found".into()),
            message: Some("no user X".into()),
            ..Default::default()
        };
        let get = Action::Get("X".into());
        let msg = check(&get, None, &failed).unwrap_err();
        assert!(msg.contains("failed with not_found"), "{msg}");
        let e = Expect { error: Some("not_found".into()), ..Default::default() };
        assert_eq!(check(&get, Some(&e), &failed), Ok(()));
        let e = Expect { error: Some("rate_limited".into()), ..Default::default() };
        assert!(
            check(&get, Some(&e), &failed)
                .unwrap_err()
                .contains("expected rate_limited, got not_found")
        );

        let control = Action::Control(crate::scenario::ControlOp::Confirm);
        assert!(check(&control, None, &out(404, json!({}))).unwrap_err().contains("answered 404"));
        assert_eq!(check(&control, None, &out(204, Value::Null)), Ok(()));
    }

    #[test]
    fn unordered_ignores_order_but_not_content() {
        let o = out(200, json!({"users": [{"email": "b"}, {"email": "a"}]}));
        let get = Action::Get("x".into());
        let mut e = Expect::default();
        e.unordered.insert("$.users[*].email".into(), vec![json!("a"), json!("b")]);
        assert_eq!(check(&get, Some(&e), &o), Ok(()));
        e.unordered.insert("$.users[*].email".into(), vec![json!("a"), json!("c")]);
        let msg = check(&get, Some(&e), &o).unwrap_err();
        assert!(msg.contains(r#"expected (in any order) ["a", "c"], got ["a", "b"]"#), "{msg}");
    }

    #[test]
    fn includes_finds_an_element_anywhere() {
        let o = out(
            200,
            json!({"items": [{"action": "provsn", "u": "A"}, {"action": "suspend", "u": "A"}]}),
        );
        let get = Action::Get("x".into());
        let mut e = Expect::default();
        e.includes.insert("$.items".into(), vec![json!({"action": "suspend", "u": "A"})]);
        assert_eq!(check(&get, Some(&e), &o), Ok(()));
        e.includes.insert("$.items".into(), vec![json!({"action": "suspend", "u": "B"})]);
        let msg = check(&get, Some(&e), &o).unwrap_err();
        assert!(
            msg.contains("no element contains {\"action\":\"suspend\",\"u\":\"B\"} among 2"),
            "{msg}"
        );
    }

    #[test]
    fn counts_known_collections() {
        assert_eq!(count_of(&json!([1, 2])), Some(2));
        assert_eq!(count_of(&json!({"users": [1]})), Some(1));
        assert_eq!(count_of(&json!({"count": 4})), Some(4));
        assert_eq!(count_of(&json!({"x": 1})), None);
    }
}

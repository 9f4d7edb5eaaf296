//! Comparing expected and actual JSON: subset matching with the path of every difference, and
//! readable diffs for failure messages.

use serde_json::Value;

/// One difference between expected and actual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Where (`$.users[0].status`).
    pub path: String,
    /// What differs.
    pub message: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at {}: {}", self.path, self.message)
    }
}

/// Does `actual` contain `expected`? Objects: every expected member is present and matches
/// (extra members are fine). Arrays: same length, elements match in order (so order and count
/// are checked). Scalars: equal (numbers by value, so `1` matches `1.0`).
pub fn contains(expected: &Value, actual: &Value) -> Vec<Mismatch> {
    let mut out = Vec::new();
    walk(expected, actual, "$".to_owned(), &mut out);
    out
}

fn walk(expected: &Value, actual: &Value, path: String, out: &mut Vec<Mismatch>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let p = if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    format!("{path}.{k}")
                } else {
                    format!("{path}['{k}']")
                };
                match a.get(k) {
                    Some(av) => walk(ev, av, p, out),
                    None if ev.is_null() => {}
                    None => out.push(Mismatch {
                        path: p,
                        message: format!("expected {}, but the member is missing", compact(ev)),
                    }),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(Mismatch {
                    path: path.clone(),
                    message: format!("expected {} elements, got {}", e.len(), a.len()),
                });
            }
            for (i, (ev, av)) in e.iter().zip(a.iter()).enumerate() {
                walk(ev, av, format!("{path}[{i}]"), out);
            }
        }
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => {}
        (e, a) if e == a => {}
        (e, a) => out.push(Mismatch {
            path,
            message: format!("expected {}, got {}", compact(e), compact(a)),
        }),
    }
}

/// A short one-line rendering of a value (truncated when long).
pub fn compact(v: &Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_default();
    if s.chars().count() > 200 {
        let cut: String = s.chars().take(200).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// Pretty JSON, the same rendering snapshots use.
pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// A unified line diff of two texts (`-` expected, `+` actual), with a few lines of context.
pub fn diff(expected: &str, actual: &str) -> String {
    // Both sides end with a newline, so the diff has no "no newline at end of file" noise.
    let (expected, actual) =
        (format!("{}\n", expected.trim_end()), format!("{}\n", actual.trim_end()));
    let d = similar::TextDiff::from_lines(&expected, &actual);
    let mut out = String::from("--- expected\n+++ actual\n");
    for hunk in d.unified_diff().context_radius(3).iter_hunks() {
        out.push_str(&hunk.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn subset_ignores_extra_members_but_not_extra_elements() {
        let actual = json!({"id": "A", "status": "active", "groups": [{"id": "g"}]});
        assert!(contains(&json!({"status": "active"}), &actual).is_empty());
        assert!(contains(&json!({"groups": [{"id": "g"}]}), &actual).is_empty());
        let m = contains(&json!({"groups": []}), &actual);
        assert_eq!(m[0].path, "$.groups");
        assert!(m[0].message.contains("expected 0 elements, got 1"));
    }

    #[test]
    fn reports_each_difference_with_its_path() {
        let actual = json!({"users": [{"status": "active"}], "total": 1});
        let m =
            contains(&json!({"users": [{"status": "suspended"}], "total": 1.0, "x": 1}), &actual);
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(
            m[0].to_string(),
            "at $.users[0].status: expected \"suspended\", got \"active\""
        );
        assert_eq!(m[1].path, "$.x");
    }

    #[test]
    fn null_matches_a_missing_member() {
        assert!(contains(&json!({"next_cursor": null}), &json!({})).is_empty());
        assert!(!contains(&json!({"a": null}), &json!({"a": 1})).is_empty());
    }

    #[test]
    fn diff_marks_changed_lines() {
        let d = diff("a\nb\nc\n", "a\nB\nc\n");
        assert!(d.contains("-b") && d.contains("+B"), "{d}");
    }
}

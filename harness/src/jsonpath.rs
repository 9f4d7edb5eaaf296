//! A small JSONPath subset for scenario expectations, captures and snapshot redactions:
//! `$`, `.name`, `['name']`, `[N]` (negative counts from the end), `[*]` and `.*`.
//!
//! Full JSONPath (filters, slices, recursive descent) is deliberately left out: scenario checks
//! read single fields of SCIM and Events API responses, and a tiny grammar gives precise errors.

use std::fmt;

use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// An object member.
    Key(String),
    /// An array element; negative indexes count from the end.
    Index(i64),
    /// Every element of an array or every member of an object.
    Wildcard,
}

/// A parsed path such as `$.Resources[0].emails[*].value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    source: String,
    segments: Vec<Segment>,
}

/// Why a path did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid path {path:?} at character {at}: {reason}")]
pub struct PathError {
    /// The path as written.
    pub path: String,
    /// Character offset of the problem.
    pub at: usize,
    /// What was wrong.
    pub reason: String,
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl JsonPath {
    /// Parses a path. It must start with `$`.
    pub fn parse(path: &str) -> Result<JsonPath, PathError> {
        let err = |at: usize, reason: &str| PathError {
            path: path.to_owned(),
            at,
            reason: reason.to_owned(),
        };
        let chars: Vec<char> = path.chars().collect();
        if chars.first() != Some(&'$') {
            return Err(err(0, "a path starts with `$`"));
        }
        let mut segments = Vec::new();
        let mut i = 1;
        while i < chars.len() {
            match chars[i] {
                '.' => {
                    i += 1;
                    let start = i;
                    if chars.get(i) == Some(&'*') {
                        segments.push(Segment::Wildcard);
                        i += 1;
                        continue;
                    }
                    while i < chars.len() && !matches!(chars[i], '.' | '[') {
                        i += 1;
                    }
                    if start == i {
                        return Err(err(start, "expected a member name after `.`"));
                    }
                    segments.push(Segment::Key(chars[start..i].iter().collect()));
                }
                '[' => {
                    i += 1;
                    let close = chars[i..]
                        .iter()
                        .position(|c| *c == ']')
                        .map(|p| p + i)
                        .ok_or_else(|| err(i, "missing `]`"))?;
                    let inner: String = chars[i..close].iter().collect();
                    let inner = inner.trim();
                    let seg = if inner == "*" {
                        Segment::Wildcard
                    } else if let Some(q) = inner
                        .strip_prefix('\'')
                        .and_then(|s| s.strip_suffix('\''))
                        .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                    {
                        Segment::Key(q.to_owned())
                    } else {
                        let n: i64 = inner.parse().map_err(|_| {
                            err(i, "expected an index, `*` or a quoted name inside `[]`")
                        })?;
                        Segment::Index(n)
                    };
                    segments.push(seg);
                    i = close + 1;
                }
                _ => return Err(err(i, "expected `.` or `[`")),
            }
        }
        Ok(JsonPath { source: path.to_owned(), segments })
    }

    /// The segments after `$`.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Does the path contain a wildcard (so it may select several values)?
    pub fn is_multi(&self) -> bool {
        self.segments.contains(&Segment::Wildcard)
    }

    /// Every value the path selects in `root`, in document order.
    pub fn select<'a>(&self, root: &'a Value) -> Vec<&'a Value> {
        let mut current = vec![root];
        for seg in &self.segments {
            let mut next = Vec::new();
            for v in current {
                match seg {
                    Segment::Key(k) => {
                        if let Some(x) = v.get(k.as_str()) {
                            next.push(x);
                        }
                    }
                    Segment::Index(n) => {
                        if let Some(x) =
                            v.as_array().and_then(|a| index(a.len(), *n).map(|i| &a[i]))
                        {
                            next.push(x);
                        }
                    }
                    Segment::Wildcard => match v {
                        Value::Array(a) => next.extend(a.iter()),
                        Value::Object(o) => next.extend(o.values()),
                        _ => {}
                    },
                }
            }
            current = next;
        }
        current
    }

    /// The single value a wildcard-free path selects, if present.
    pub fn get<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        self.select(root).into_iter().next()
    }

    /// Replaces every value the path selects with `with` (used for snapshot redactions).
    /// Returns how many values were replaced.
    pub fn replace(&self, root: &mut Value, with: &Value) -> usize {
        fn walk(v: &mut Value, segs: &[Segment], with: &Value) -> usize {
            let Some((first, rest)) = segs.split_first() else {
                *v = with.clone();
                return 1;
            };
            match first {
                Segment::Key(k) => match v.get_mut(k.as_str()) {
                    Some(x) => walk(x, rest, with),
                    None => 0,
                },
                Segment::Index(n) => match v.as_array_mut() {
                    Some(a) => match index(a.len(), *n) {
                        Some(i) => walk(&mut a[i], rest, with),
                        None => 0,
                    },
                    None => 0,
                },
                Segment::Wildcard => match v {
                    Value::Array(a) => a.iter_mut().map(|x| walk(x, rest, with)).sum(),
                    Value::Object(o) => o.values_mut().map(|x| walk(x, rest, with)).sum(),
                    _ => 0,
                },
            }
        }
        walk(root, &self.segments, with)
    }
}

fn index(len: usize, n: i64) -> Option<usize> {
    let i = if n < 0 { i64::try_from(len).ok()? + n } else { n };
    usize::try_from(i).ok().filter(|i| *i < len)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parses_and_selects() {
        let doc = json!({"Resources": [{"active": true, "emails": [{"value": "a"}, {"value": "b"}]},
                                       {"active": false}], "total": 2, "odd key": 1});
        let p = JsonPath::parse("$.Resources[0].active").unwrap();
        assert_eq!(p.get(&doc), Some(&json!(true)));
        let p = JsonPath::parse("$.Resources[-1].active").unwrap();
        assert_eq!(p.get(&doc), Some(&json!(false)));
        let p = JsonPath::parse("$.Resources[0].emails[*].value").unwrap();
        assert_eq!(p.select(&doc), vec![&json!("a"), &json!("b")]);
        assert!(p.is_multi());
        assert_eq!(JsonPath::parse("$['odd key']").unwrap().get(&doc), Some(&json!(1)));
        assert_eq!(JsonPath::parse("$").unwrap().get(&doc), Some(&doc));
        assert_eq!(JsonPath::parse("$.Resources[5]").unwrap().get(&doc), None);
        assert_eq!(JsonPath::parse("$.total.x").unwrap().get(&doc), None);
    }

    #[test]
    fn rejects_bad_paths_with_position() {
        assert_eq!(JsonPath::parse("Resources").unwrap_err().at, 0);
        assert_eq!(JsonPath::parse("$.").unwrap_err().at, 2);
        let e = JsonPath::parse("$.a[x]").unwrap_err();
        assert!(e.to_string().contains("inside `[]`"), "{e}");
        assert!(JsonPath::parse("$.a[0").is_err());
        assert!(JsonPath::parse("$a").is_err());
    }

    #[test]
    fn replaces_every_selected_value() {
        let mut doc = json!({"Resources": [{"id": "A"}, {"id": "B"}], "id": "C"});
        let n = JsonPath::parse("$.Resources[*].id").unwrap().replace(&mut doc, &json!("[id]"));
        assert_eq!(n, 2);
        assert_eq!(doc, json!({"Resources": [{"id": "[id]"}, {"id": "[id]"}], "id": "C"}));
        assert_eq!(JsonPath::parse("$.nope").unwrap().replace(&mut doc, &json!(1)), 0);
    }
}

//! Snapshot assertions in insta's file format, one file per scenario step, in the top-level
//! `snapshots/` folder.
//!
//! Files are `snapshots/<scenario>__<NN>_<step>.snap`: insta's YAML header (`source`,
//! `expression`) followed by pretty JSON, exactly what `assert_json_snapshot!` writes, so
//! `cargo insta review` accepts or rejects the `.snap.new` files a mismatch leaves behind.
//! The comparison is done here rather than by insta's assertion macros because the CLI must turn a
//! mismatch into a reported failure with a diff, not a panic.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::jsonpath::JsonPath;
use crate::matching;

/// What to do with snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SnapshotMode {
    /// Compare; a mismatch or a missing file fails and leaves a `.snap.new` for review.
    #[default]
    Compare,
    /// Write the current results as the accepted snapshots.
    Update,
    /// Skip snapshot assertions (e.g. against a real bridge, whose ids differ).
    Ignore,
}

/// Where snapshots live and what to do with them.
#[derive(Debug, Clone)]
pub struct SnapshotStore {
    /// The folder.
    pub dir: PathBuf,
    /// The mode.
    pub mode: SnapshotMode,
}

/// The result of one snapshot assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotOutcome {
    /// Matched the stored snapshot.
    Matched,
    /// Written (update mode).
    Written(PathBuf),
    /// Not checked.
    Skipped,
    /// Different from the stored snapshot, or none stored; the message has the diff.
    Failed(String),
}

/// Applies named redactions (`$.path` → placeholder) to a value.
pub fn redact(value: &mut Value, redactions: &std::collections::BTreeMap<String, Value>) {
    for (path, with) in redactions {
        if let Ok(p) = JsonPath::parse(path) {
            p.replace(value, with);
        }
    }
}

impl SnapshotStore {
    /// The file for a step.
    pub fn file_for(&self, scenario_id: &str, step_index: usize, step_name: &str) -> PathBuf {
        let name = crate::scenario::slug(step_name);
        self.dir.join(format!("{scenario_id}__{step_index:02}_{name}.snap"))
    }

    /// Asserts `value` against the stored snapshot for a step.
    pub fn assert(
        &self,
        file: &Path,
        source: &str,
        expression: &str,
        value: &Value,
    ) -> SnapshotOutcome {
        if self.mode == SnapshotMode::Ignore {
            return SnapshotOutcome::Skipped;
        }
        let body = matching::pretty(value);
        let contents = render(source, expression, &body);
        if self.mode == SnapshotMode::Update {
            return match write(file, &contents) {
                Ok(()) => {
                    let _ = std::fs::remove_file(pending(file));
                    SnapshotOutcome::Written(file.to_owned())
                }
                Err(e) => SnapshotOutcome::Failed(format!("cannot write {}: {e}", file.display())),
            };
        }
        let stored = match std::fs::read_to_string(file) {
            Ok(s) => s,
            Err(_) => {
                let _ = write(&pending(file), &contents);
                return SnapshotOutcome::Failed(format!(
                    "no snapshot {} yet; the result is in the .snap.new beside it: rerun with \
                     --update-snapshots to accept it (or `cargo insta review`, with cargo-insta \
                     installed)",
                    file.display()
                ));
            }
        };
        let old = stored_body(&stored);
        if old.trim_end() == body.trim_end() {
            let _ = std::fs::remove_file(pending(file));
            return SnapshotOutcome::Matched;
        }
        let _ = write(&pending(file), &contents);
        SnapshotOutcome::Failed(format!(
            "snapshot {} does not match (accept with --update-snapshots, or `cargo insta review` \
             with cargo-insta installed):\n{}",
            file.display(),
            matching::diff(old.trim_end(), body.trim_end())
        ))
    }
}

/// insta's file layout: a YAML header between `---` lines, then the snapshot.
fn render(source: &str, expression: &str, body: &str) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    format!("---\nsource: {}\nexpression: {}\n---\n{}\n", q(source), q(expression), body)
}

/// The snapshot part of a stored file (after the second `---` line).
fn stored_body(stored: &str) -> &str {
    if let Some(rest) = stored.strip_prefix("---\n")
        && let Some(end) = rest.find("\n---\n")
    {
        return &rest[end + 5..];
    }
    stored
}

fn pending(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".new");
    PathBuf::from(s)
}

fn write(file: &Path, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(file, contents)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn update_then_compare_then_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SnapshotStore { dir: dir.path().to_owned(), mode: SnapshotMode::Compare };
        let file = store.file_for("offboard", 3, "Suspend Jane!");
        assert!(file.ends_with("offboard__03_suspend_jane.snap"));
        let v = json!({"status": "suspended"});
        // Missing: a failure, and a pending file for review.
        assert!(
            matches!(store.assert(&file, "s.yaml", "e", &v), SnapshotOutcome::Failed(m) if m.contains("no snapshot"))
        );
        assert!(pending(&file).exists());
        store.mode = SnapshotMode::Update;
        assert!(matches!(store.assert(&file, "s.yaml", "e", &v), SnapshotOutcome::Written(_)));
        assert!(!pending(&file).exists());
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with("---\nsource: \"s.yaml\"\nexpression: \"e\"\n---\n{"), "{text}");
        store.mode = SnapshotMode::Compare;
        assert_eq!(store.assert(&file, "s.yaml", "e", &v), SnapshotOutcome::Matched);
        match store.assert(&file, "s.yaml", "e", &json!({"status": "active"})) {
            SnapshotOutcome::Failed(m) => {
                assert!(m.contains("-  \"status\": \"suspended\""), "{m}");
                assert!(m.contains("+  \"status\": \"active\""), "{m}");
            }
            other => panic!("expected a mismatch, got {other:?}"),
        }
        store.mode = SnapshotMode::Ignore;
        assert_eq!(store.assert(&file, "s.yaml", "e", &json!(1)), SnapshotOutcome::Skipped);
    }

    #[test]
    fn redactions_replace_selected_values() {
        let mut v = json!({"id": "ABC", "meta": {"created": "2026"}, "keep": 1});
        let r = [("$.id".to_owned(), json!("[id]")), ("$.meta.created".to_owned(), json!("[ts]"))]
            .into_iter()
            .collect();
        redact(&mut v, &r);
        assert_eq!(v, json!({"id": "[id]", "meta": {"created": "[ts]"}, "keep": 1}));
    }
}

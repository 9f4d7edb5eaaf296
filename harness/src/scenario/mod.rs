//! Scenario files: parsing (YAML via `serde-saphyr`, panic-free) and validation before anything
//! runs. Every error names the file, the line, the step and the field.

mod model;

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use model::*;

use crate::jsonpath::JsonPath;
use crate::vars;

/// Variables every scenario can use without capturing them.
pub const BUILTIN_VARS: &[&str] = &["tenant", "target"];

/// A problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// The step (1-based index and name), when the problem is in one.
    pub step: Option<(usize, String)>,
    /// The field, when known (`expect.fields`, `capture.jane`, ...).
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ":")?;
        if let Some((i, name)) = &self.step {
            write!(f, " step {i} ({name:?}):")?;
        }
        if let Some(field) = &self.field {
            write!(f, " field `{field}`:")?;
        }
        write!(f, " {}", self.message)
    }
}

impl std::error::Error for LoadError {}

/// Reads and validates a scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| LoadError {
        file: path.to_owned(),
        line: None,
        step: None,
        field: None,
        message: format!("cannot read the file: {e}"),
    })?;
    load_str(path, &text)
}

/// Every `*.yaml` / `*.yml` scenario under the given files and folders, sorted, deduplicated.
pub fn discover(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = BTreeSet::new();
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir)? {
                    let path = entry?.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if matches!(
                        path.extension().and_then(|e| e.to_str()),
                        Some("yaml" | "yml")
                    ) {
                        out.insert(path);
                    }
                }
            }
        } else if p.exists() {
            out.insert(p.clone());
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{}: no such file or folder", p.display()),
            ));
        }
    }
    Ok(out.into_iter().collect())
}

/// Parses and validates scenario text (`file` is used for messages and the scenario's id).
pub fn load_str(file: &Path, text: &str) -> Result<Scenario, LoadError> {
    let err =
        |line: Option<u64>, step: Option<(usize, String)>, field: Option<&str>, msg: String| {
            LoadError {
                file: file.to_owned(),
                line,
                step,
                field: field.map(str::to_owned),
                message: msg,
            }
        };
    let raw: RawScenario = serde_saphyr::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        err(line, None, None, e.without_snippet().to_string())
    })?;
    if raw.name.trim().is_empty() {
        return Err(err(None, None, Some("name"), "the scenario needs a name".into()));
    }
    if raw.steps.is_empty() {
        return Err(err(None, None, Some("steps"), "a scenario needs at least one step".into()));
    }
    if let Some(profile) = &raw.profile {
        emulator::Profile::default()
            .with_overrides(profile)
            .map_err(|m| err(None, None, Some("profile"), m))?;
    }
    if let Some(seed) = &raw.seed {
        // The emulator's own seed type decides what a valid seed is.
        serde_json::from_value::<emulator::seed::Seed>(seed.clone())
            .map_err(|e| err(None, None, Some("seed"), e.to_string()))?;
    }
    let mut known: BTreeSet<String> = BUILTIN_VARS.iter().map(|s| (*s).to_owned()).collect();
    let mut steps = Vec::with_capacity(raw.steps.len());
    for (i, spanned) in raw.steps.iter().enumerate() {
        let index = i + 1;
        let line = spanned.referenced.line();
        let value = &spanned.value;
        let label = value
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("step {index}"));
        let at = |field: Option<&str>, msg: String| {
            err(Some(line), Some((index, label.clone())), field, msg)
        };
        let step = parse_step(value).map_err(|(field, msg)| at(field.as_deref(), msg))?;
        let actions = step.actions();
        let action = match actions.as_slice() {
            [one] => one.clone(),
            [] => {
                return Err(at(
                    None,
                    "no action: set one of list, get, suspend, reactivate, events, http, mcp, fault, \
                     clock, accept, confirm, signins, item_usages, set_state, journal, \
                     clear_journal, outbox, export, admin"
                        .into(),
                ));
            }
            many => {
                let names: Vec<_> = many.iter().map(Action::keyword).collect();
                return Err(at(
                    None,
                    format!("a step does one thing, this one sets {}", names.join(" and ")),
                ));
            }
        };
        // Variables must be captured by an earlier step.
        let mut action_value = value.clone();
        if let Some(o) = action_value.as_object_mut() {
            o.remove("capture");
        }
        for r in vars::refs_in_value(&action_value).map_err(|e| at(None, e.to_string()))? {
            if !known.contains(&r.name) {
                return Err(at(
                    None,
                    format!(
                        "unknown variable ${{{}}}: no earlier step captures {:?}",
                        r.text, r.name
                    ),
                ));
            }
        }
        for (name, path) in &step.capture {
            let field = format!("capture.{name}");
            vars::parse_ref(name).ok().filter(|r| r.name == *name).ok_or_else(|| {
                at(Some(&field), "a variable name uses letters, digits, '_' and '-'".into())
            })?;
            JsonPath::parse(path).map_err(|e| at(Some(&field), e.to_string()))?;
        }
        if let Some(expect) = &step.expect {
            for path in expect.fields.keys() {
                JsonPath::parse(path)
                    .map_err(|e| at(Some(&format!("expect.fields.{path}")), e.to_string()))?;
            }
            for path in expect.unordered.keys().chain(expect.includes.keys()) {
                JsonPath::parse(path)
                    .map_err(|e| at(Some(&format!("expect.unordered.{path}")), e.to_string()))?;
            }
            for path in &expect.absent {
                JsonPath::parse(path).map_err(|e| at(Some("expect.absent"), e.to_string()))?;
            }
        }
        let snapshot = match &step.snapshot {
            None | Some(SnapshotDoc::Flag(false)) => None,
            Some(SnapshotDoc::Flag(true)) => {
                Some(SnapshotSpec { status: true, ..Default::default() })
            }
            Some(SnapshotDoc::Spec(s)) => {
                for path in s.redact.keys() {
                    JsonPath::parse(path)
                        .map_err(|e| at(Some(&format!("snapshot.redact.{path}")), e.to_string()))?;
                }
                Some(s.clone())
            }
        };
        if step.api.is_some()
            && !matches!(
                action,
                Action::List(_) | Action::Get(_) | Action::Suspend(_) | Action::Reactivate(_)
            )
        {
            return Err(at(
                Some("api"),
                "`api` chooses the connector's API: it applies to list, get, suspend and \
                 reactivate steps"
                    .into(),
            ));
        }
        if let Action::Http(h) = &action {
            if !h.path.starts_with('/') && !h.path.starts_with("${") {
                return Err(at(Some("http.path"), "a path starts with `/`".into()));
            }
            if h.body.is_some() && h.raw_body.is_some() {
                return Err(at(Some("http.body"), "set body or raw_body, not both".into()));
            }
        }
        known.extend(step.capture.keys().cloned());
        steps.push(Step {
            index,
            line,
            name: label,
            action,
            api: step.api.unwrap_or_default(),
            raw: value.clone(),
            capture: step.capture.clone(),
            expect: step.expect.clone(),
            snapshot,
        });
    }
    let id = file
        .file_stem()
        .and_then(|s| s.to_str())
        .map(str::to_owned)
        .unwrap_or_else(|| slug(&raw.name));
    Ok(Scenario {
        file: file.to_owned(),
        id,
        name: raw.name,
        description: raw.description,
        tags: raw.tags,
        profile: raw.profile,
        seed: raw.seed,
        steps,
    })
}

/// Deserializes one step; on failure, retries field by field so the message names the field.
pub(crate) fn parse_step(value: &Value) -> Result<StepDoc, (Option<String>, String)> {
    if !value.is_object() {
        return Err((None, "a step is a mapping of fields (e.g. `get: ...`)".into()));
    }
    match serde_json::from_value::<StepDoc>(value.clone()) {
        Ok(s) => Ok(s),
        Err(whole) => {
            if let Some(obj) = value.as_object() {
                for (k, v) in obj {
                    let single = Value::Object([(k.clone(), v.clone())].into_iter().collect());
                    if let Err(e) = serde_json::from_value::<StepDoc>(single) {
                        let msg = e.to_string();
                        let field =
                            if msg.starts_with("unknown field") { None } else { Some(k.clone()) };
                        return Err((field, msg));
                    }
                }
            }
            Err((None, whole.to_string()))
        }
    }
}

/// A file-name-safe form of a name.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// The step re-read after variable substitution.
pub fn resolve_step(step: &Step, v: &vars::Vars) -> Result<(Action, Option<Expect>), String> {
    let mut raw = step.raw.clone();
    if let Some(o) = raw.as_object_mut() {
        // Captures are paths into this step's own result, never substituted.
        o.remove("capture");
        o.remove("snapshot");
    }
    let substituted = v.substitute(&raw).map_err(|e| e.to_string())?;
    let doc = parse_step(&substituted).map_err(|(field, msg)| match field {
        Some(f) => format!("after substituting variables, field `{f}`: {msg}"),
        None => format!("after substituting variables: {msg}"),
    })?;
    let action = doc.actions().into_iter().next().ok_or("the step lost its action")?;
    Ok((action, doc.expect))
}

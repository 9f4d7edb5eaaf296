//! Results: the JSON report, JUnit XML, and the human-readable lines.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};

use super::Expect;

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Met.
    Pass,
    /// A MUST (or a preset's hard expectation) was missed.
    Fail,
    /// Not run: the feature is not advertised, or an earlier step it needs failed.
    Skip,
    /// A SHOULD was missed.
    Warn,
}

impl Status {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skip => "skip",
            Status::Warn => "warn",
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// Stable id (`area.what`).
    pub id: String,
    /// What it checks.
    pub title: String,
    /// The area (the id's first segment).
    pub area: String,
    /// Outcome.
    pub status: Status,
    /// For failures: the request, what the RFC or preset requires, and what came back.
    pub detail: String,
}

/// A whole run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The SCIM base URL.
    pub target: String,
    /// The preset.
    pub expect: Expect,
    /// The per-run prefix of created resources.
    pub prefix: String,
    /// Results in the order they were made.
    pub checks: Vec<CheckResult>,
    /// Requests sent.
    pub requests: usize,
    /// 429 answers waited out.
    pub retries: usize,
    /// Created resources that could not be deleted.
    pub leftover: Vec<String>,
}

impl Report {
    /// `(pass, fail, skip, warn)`.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let n = |s: Status| self.checks.iter().filter(|c| c.status == s).count();
        (n(Status::Pass), n(Status::Fail), n(Status::Skip), n(Status::Warn))
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| c.status == Status::Fail)
    }

    /// The JSON report: `{"target", "expect", "checks": [...], "summary": {...}}`.
    pub fn to_json(&self) -> Value {
        let (pass, fail, skip, warn) = self.counts();
        json!({
            "target": self.target,
            "expect": self.expect.name(),
            "prefix": self.prefix,
            "checks": self.checks.iter().map(|c| json!({
                "id": c.id, "title": c.title, "area": c.area,
                "status": c.status.as_str(), "detail": c.detail,
            })).collect::<Vec<_>>(),
            "summary": {"pass": pass, "fail": fail, "skip": skip, "warn": warn},
            "requests": self.requests,
            "retries": self.retries,
            "leftover": self.leftover,
        })
    }

    /// JUnit XML: one `<testsuite>` per area, one `<testcase>` per check; warnings are passes
    /// with a `<system-out>` note.
    pub fn junit_xml(&self) -> String {
        let (_, fail, skip, _) = self.counts();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"scimulator conform\" tests=\"{}\" failures=\"{fail}\" skipped=\"{skip}\">",
            self.checks.len()
        );
        let mut areas: Vec<&str> = Vec::new();
        for c in &self.checks {
            if !areas.contains(&c.area.as_str()) {
                areas.push(&c.area);
            }
        }
        for area in areas {
            let cs: Vec<&CheckResult> = self.checks.iter().filter(|c| c.area == area).collect();
            let f = cs.iter().filter(|c| c.status == Status::Fail).count();
            let s = cs.iter().filter(|c| c.status == Status::Skip).count();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" skipped=\"{s}\">",
                escape(area),
                cs.len()
            );
            for c in cs {
                let _ = write!(
                    out,
                    "    <testcase name=\"{}\" classname=\"conform.{}\"",
                    escape(&c.title),
                    escape(&c.id)
                );
                match c.status {
                    Status::Pass => out.push_str("/>\n"),
                    Status::Skip => {
                        let _ = writeln!(
                            out,
                            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                            escape(&c.detail)
                        );
                    }
                    Status::Warn => {
                        let _ = writeln!(
                            out,
                            ">\n      <system-out>warning: {}</system-out>\n    </testcase>",
                            escape(&c.detail)
                        );
                    }
                    Status::Fail => {
                        let _ = writeln!(
                            out,
                            ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                            escape(c.detail.lines().next().unwrap_or_default()),
                            escape(&c.detail)
                        );
                    }
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }

    /// The closing summary line.
    pub fn summary_line(&self) -> String {
        let (pass, fail, skip, warn) = self.counts();
        format!(
            "{} checks: {pass} passed, {fail} failed, {warn} warnings, {skip} skipped ({} requests, {} rate-limit waits)",
            self.checks.len(),
            self.requests,
            self.retries
        )
    }
}

/// One human-readable line for a result (details indented below failures and warnings).
pub fn line(c: &CheckResult) -> String {
    let tag = match c.status {
        Status::Pass => "ok  ",
        Status::Fail => "FAIL",
        Status::Skip => "skip",
        Status::Warn => "warn",
    };
    match c.status {
        Status::Pass => format!("  {tag} {}  {}", c.id, c.title),
        Status::Skip => format!("  {tag} {}  {} ({})", c.id, c.title, c.detail),
        Status::Fail | Status::Warn => {
            format!(
                "  {tag} {}  {}\n         {}",
                c.id,
                c.title,
                c.detail.replace('\n', "\n         ")
            )
        }
    }
}

fn escape(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&apos;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

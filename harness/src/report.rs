//! Reporting: progress lines, the summary, and JUnit XML for CI.

use std::fmt::Write as _;

use crate::runner::{RunReport, ScenarioReport, Status};

/// One progress line for a finished scenario (with the failure message indented below it).
pub fn progress_line(r: &ScenarioReport) -> String {
    let ms = r.duration.as_millis();
    match r.status {
        Status::Passed => format!("ok      {} ({} steps, {ms} ms)", r.id, r.steps.len()),
        Status::Skipped => {
            format!("skipped {}: {}", r.id, r.message.as_deref().unwrap_or_default())
        }
        Status::Failed => {
            let msg = r.message.as_deref().unwrap_or_default();
            let indented: Vec<String> = msg.lines().map(|l| format!("        {l}")).collect();
            format!("FAILED  {} ({ms} ms)\n{}", r.id, indented.join("\n"))
        }
    }
}

/// JUnit XML: one `<testsuite>` for the run, one `<testcase>` per scenario.
pub fn junit_xml(report: &RunReport) -> String {
    let (passed, failed, skipped) = report.counts();
    let _ = passed;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let total = report.scenarios.len();
    let secs = report.duration.as_secs_f64();
    let _ = writeln!(
        out,
        "<testsuites name=\"scimulator\" tests=\"{total}\" failures=\"{failed}\" skipped=\"{skipped}\" time=\"{secs:.3}\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"scenarios\" tests=\"{total}\" failures=\"{failed}\" errors=\"0\" skipped=\"{skipped}\" time=\"{secs:.3}\">"
    );
    for r in &report.scenarios {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"{:.3}\"",
            escape(&r.name),
            escape(&r.id),
            escape(&r.file.to_string_lossy()),
            r.duration.as_secs_f64()
        );
        match r.status {
            Status::Passed => out.push_str("/>\n"),
            Status::Skipped => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    escape(r.message.as_deref().unwrap_or_default())
                );
            }
            Status::Failed => {
                let msg = r.message.as_deref().unwrap_or_default();
                let first = msg.lines().next().unwrap_or_default();
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"scenario\">{}</failure>\n    </testcase>",
                    escape(first),
                    escape(msg)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// XML-escapes text and attribute values (and drops characters XML 1.0 cannot carry).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn report(status: Status, message: Option<&str>) -> ScenarioReport {
        ScenarioReport {
            id: "offboard".into(),
            name: "Offboard <Jane> & co".into(),
            file: "scenarios/offboard.yaml".into(),
            tags: vec![],
            status,
            message: message.map(str::to_owned),
            steps: vec![],
            duration: Duration::from_millis(12),
        }
    }

    #[test]
    fn junit_has_one_case_per_scenario_with_failures_and_skips() {
        let run = RunReport {
            scenarios: vec![
                report(Status::Passed, None),
                report(Status::Failed, Some("step 2: expected \"a\"\n-a\n+b")),
                report(Status::Skipped, Some("needs a control plane")),
            ],
            duration: Duration::from_millis(40),
        };
        let xml = junit_xml(&run);
        assert!(xml.contains("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""), "{xml}");
        assert!(xml.contains("name=\"Offboard &lt;Jane&gt; &amp; co\""), "{xml}");
        assert!(xml.contains("<failure message=\"step 2: expected &quot;a&quot;\""), "{xml}");
        assert!(xml.contains("&#10;-a&#10;+b</failure>"), "{xml}");
        assert!(xml.contains("<skipped message=\"needs a control plane\"/>"), "{xml}");
        assert_eq!(run.summary(), "1 passed, 1 failed, 1 skipped");
    }

    #[test]
    fn progress_lines_say_what_happened() {
        assert!(progress_line(&report(Status::Passed, None)).starts_with("ok      offboard"));
        let f = progress_line(&report(Status::Failed, Some("line1\nline2")));
        assert!(f.starts_with("FAILED  offboard") && f.contains("\n        line2"), "{f}");
    }
}

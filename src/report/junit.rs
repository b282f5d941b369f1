//! `--format junit`: JUnit XML as GitLab, Jenkins and GitHub test reporters read it. The report
//! follows the gate: one `<testsuite>` whose test cases are the endpoints checked (every endpoint
//! with a finding, then the busiest up to [`MAX_CASES`]; endpoints only scanners touched, and
//! `(other)`, are not checked and not listed). An endpoint's findings at or above the gate's
//! severity (`check --fail-on`, `error` otherwise) are one `<failure>` with the messages and the
//! evidence; findings below it are a `<skipped>` with their messages, so they are seen without
//! failing the build. The rules that ran are listed as a property. Incidents (what happened
//! over several endpoints at once) are a second suite, `statuslens.incidents`, one case each.

use std::io::Write;

use super::escape::{clip, xml};
use super::{FindingReport, Render, ReportModel};
use crate::rules::Severity;

/// Most endpoints listed as test cases (endpoints with findings always are).
pub const MAX_CASES: usize = 1_000;

/// JUnit renderer.
#[derive(Debug)]
pub struct JunitRenderer {
    /// Ids of the rules that ran, in catalogue order.
    pub rules: Vec<&'static str>,
    /// Findings at or above this severity are failures; the rest are skipped.
    pub fail_on: Severity,
}

impl Default for JunitRenderer {
    fn default() -> Self {
        JunitRenderer {
            rules: Vec::new(),
            fail_on: Severity::Error,
        }
    }
}

impl JunitRenderer {
    /// The incidents as their own suite: one case each, a failure at or above the gate.
    fn incidents(
        &self,
        m: &ReportModel,
        failing: usize,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let n = m.incidents.len();
        writeln!(
            out,
            r#"  <testsuite name="statuslens.incidents" tests="{n}" failures="{failing}" errors="0" skipped="{}" time="0">"#,
            n - failing
        )?;
        for i in &m.incidents {
            let scope = i.scope.label();
            let window = i
                .window
                .as_ref()
                .map_or(String::new(), |w| format!(" {} → {}", w.start, w.end));
            let name = xml(&clip(&format!("{} {scope}{window}", i.rule), 300));
            let what = xml(&clip(
                &format!(
                    "{} × {} over {} endpoints{}. {}",
                    i.count,
                    i.status_label(),
                    i.endpoints,
                    i.origin_label(),
                    i.what_to_do
                ),
                2_000,
            ));
            writeln!(
                out,
                r#"    <testcase classname="statuslens.incidents" name="{name}" time="0">"#
            )?;
            if i.severity >= self.fail_on {
                writeln!(
                    out,
                    r#"      <failure message="{what}" type="{}"/>"#,
                    i.severity.as_str()
                )?;
            } else {
                writeln!(
                    out,
                    r#"      <skipped message="below --fail-on {}: {what}"/>"#,
                    self.fail_on.as_str()
                )?;
            }
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")
    }
}

fn evidence_text(f: &FindingReport) -> String {
    let mut s = format!(
        "{} {}: {} → {}\n{}\n",
        f.method,
        f.shown_route(),
        f.observed_status,
        f.recommended_text("/"),
        f.message
    );
    for (k, v) in &f.evidence.figures {
        s.push_str(&format!("{k}: {v}\n"));
    }
    if let Some(w) = &f.evidence.time_window {
        s.push_str(&format!("window: {} → {}\n", w.start, w.end));
    }
    for smp in &f.evidence.samples {
        s.push_str(&format!("sample: {smp}\n"));
    }
    s
}

impl Render for JunitRenderer {
    fn render(&self, m: &ReportModel, out: &mut dyn Write) -> std::io::Result<()> {
        // Endpoints checked: those with findings, then the busiest, skipping noise and (other).
        let mut cases: Vec<(String, String, Vec<&FindingReport>)> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for f in &m.findings {
            if seen.insert((f.method.clone(), f.shown_route())) {
                let found = m
                    .findings
                    .iter()
                    .filter(|g| g.method == f.method && g.shown_route() == f.shown_route())
                    .collect();
                cases.push((f.method.clone(), f.shown_route(), found));
            }
        }
        for e in &m.endpoints {
            if cases.len() >= MAX_CASES.max(seen.len()) {
                break;
            }
            if e.scanner_only || e.route == crate::route::OTHER {
                continue;
            }
            if seen.insert((e.method.clone(), e.shown_route())) {
                cases.push((e.method.clone(), e.shown_route(), Vec::new()));
            }
        }
        let failing = |found: &[&FindingReport]| found.iter().any(|f| f.severity >= self.fail_on);
        let tests = cases.len();
        let failures = cases.iter().filter(|c| failing(&c.2)).count();
        let skipped = cases
            .iter()
            .filter(|c| !c.2.is_empty() && !failing(&c.2))
            .count();
        let incidents_failing = m
            .incidents
            .iter()
            .filter(|i| i.severity >= self.fail_on)
            .count();
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<testsuites name="statuslens" tests="{}" failures="{}" errors="0" skipped="{}" time="0">"#,
            tests + m.incidents.len(),
            failures + incidents_failing,
            skipped + m.incidents.len() - incidents_failing
        )?;
        writeln!(
            out,
            r#"  <testsuite name="statuslens" tests="{tests}" failures="{failures}" errors="0" skipped="{skipped}" time="0">"#
        )?;
        writeln!(out, "    <properties>")?;
        writeln!(
            out,
            r#"      <property name="rules" value="{}"/>"#,
            xml(&self.rules.join(","))
        )?;
        writeln!(
            out,
            r#"      <property name="fail_on" value="{}"/>"#,
            self.fail_on.as_str()
        )?;
        writeln!(out, "    </properties>")?;
        for (method, route, found) in &cases {
            let name = xml(&clip(&format!("{method} {route}"), 300));
            if found.is_empty() {
                writeln!(
                    out,
                    r#"    <testcase classname="statuslens" name="{name}" time="0"/>"#
                )?;
                continue;
            }
            writeln!(
                out,
                r#"    <testcase classname="statuslens" name="{name}" time="0">"#
            )?;
            let (counted, below): (Vec<&FindingReport>, Vec<&FindingReport>) =
                found.iter().partition(|f| f.severity >= self.fail_on);
            let message = |fs: &[&FindingReport]| {
                let parts: Vec<String> = fs
                    .iter()
                    .map(|f| format!("[{}] {}", f.rule, clip(&f.message, 500)))
                    .collect();
                xml(&parts.join(" "))
            };
            if counted.is_empty() {
                writeln!(
                    out,
                    r#"      <skipped message="below --fail-on {}: {}"/>"#,
                    self.fail_on.as_str(),
                    message(&below)
                )?;
            } else {
                let body: String = counted.iter().map(|f| evidence_text(f)).collect();
                let severity = counted
                    .iter()
                    .map(|f| f.severity)
                    .max()
                    .map_or("info", |s| s.as_str());
                writeln!(
                    out,
                    r#"      <failure message="{}" type="{severity}">{}</failure>"#,
                    message(&counted),
                    xml(&clip(&body, 8_000)).replace("\\n", "&#10;")
                )?;
            }
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
        if !m.incidents.is_empty() {
            self.incidents(m, incidents_failing, out)?;
        }
        writeln!(out, "</testsuites>")?;
        Ok(())
    }
}

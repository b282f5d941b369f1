//! `--format junit`: JUnit XML as GitLab, Jenkins and GitHub test reporters read it. One
//! `<testsuite>` per enabled rule; in it one `<testcase>` per endpoint checked — every endpoint
//! with a finding of that rule, plus the busiest [`MAX_PASSING`] endpoints so a clean run still
//! shows what was checked — and each finding is a `<failure>` with its message and evidence.

use std::collections::BTreeMap;
use std::io::Write;

use super::escape::{clip, xml};
use super::{FindingReport, Render, ReportModel};

/// Endpoints listed as passing test cases per rule (by request count).
pub const MAX_PASSING: usize = 100;

/// JUnit renderer.
#[derive(Debug, Default)]
pub struct JunitRenderer {
    /// Ids of the rules that ran, in catalogue order.
    pub rules: Vec<&'static str>,
}

fn evidence_text(f: &FindingReport) -> String {
    let mut s = format!(
        "{} {}: {} → {}\n{}\n",
        f.method,
        f.route,
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

/// Test cases of one rule: (method, route) → the rule's findings there (none: passed).
type Cases<'m> = BTreeMap<(String, String), Vec<&'m FindingReport>>;

impl Render for JunitRenderer {
    fn render(&self, m: &ReportModel, out: &mut dyn Write) -> std::io::Result<()> {
        // Per rule: endpoint (method, route) → its findings.
        let mut suites: Vec<(&str, Cases<'_>)> = Vec::new();
        for rule in &self.rules {
            let mut cases: Cases<'_> = BTreeMap::new();
            for e in m.endpoints.iter().take(MAX_PASSING) {
                cases
                    .entry((e.method.clone(), e.route.clone()))
                    .or_default();
            }
            for f in m.findings.iter().filter(|f| f.rule == *rule) {
                cases
                    .entry((f.method.clone(), f.route.clone()))
                    .or_default()
                    .push(f);
            }
            suites.push((rule, cases));
        }
        let tests: usize = suites.iter().map(|(_, c)| c.len()).sum();
        let failures: usize = suites
            .iter()
            .map(|(_, c)| c.values().filter(|v| !v.is_empty()).count())
            .sum();
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<testsuites name="statuslens" tests="{tests}" failures="{failures}" errors="0" time="0">"#
        )?;
        for (rule, cases) in &suites {
            let fails = cases.values().filter(|v| !v.is_empty()).count();
            writeln!(
                out,
                r#"  <testsuite name="statuslens.{rule}" tests="{}" failures="{fails}" errors="0" skipped="0" time="0">"#,
                cases.len()
            )?;
            for ((method, route), found) in cases {
                let name = xml(&clip(&format!("{method} {route}"), 300));
                if found.is_empty() {
                    writeln!(
                        out,
                        r#"    <testcase classname="statuslens.{rule}" name="{name}" time="0"/>"#
                    )?;
                    continue;
                }
                writeln!(
                    out,
                    r#"    <testcase classname="statuslens.{rule}" name="{name}" time="0">"#
                )?;
                let message: Vec<String> = found.iter().map(|f| clip(&f.message, 500)).collect();
                let body: String = found.iter().map(|f| evidence_text(f)).collect();
                let severity = found
                    .iter()
                    .map(|f| f.severity)
                    .max()
                    .map_or("info", |s| s.as_str());
                writeln!(
                    out,
                    r#"      <failure message="{}" type="{severity}">{}</failure>"#,
                    xml(&message.join(" ")),
                    xml(&clip(&body, 8_000)).replace("\\n", "&#10;")
                )?;
                writeln!(out, "    </testcase>")?;
            }
            writeln!(out, "  </testsuite>")?;
        }
        writeln!(out, "</testsuites>")?;
        Ok(())
    }
}

//! `--format markdown`: a summary that fits a pull-request comment or a CI job summary
//! (GitHub caps a step summary at 1 MiB). Size is bounded whatever the input: at most
//! [`MAX_FINDINGS`] findings and [`MAX_ENDPOINTS`] endpoints are listed, every cell is clipped,
//! and log-sourced text goes through [`escape::markdown`](super::escape::markdown).

use std::io::Write;

use super::escape::{clip, markdown as md};
use super::{pct, thousands, Render, ReportModel};

/// Findings listed (the rest are counted).
pub const MAX_FINDINGS: usize = 50;
/// Endpoints listed.
pub const MAX_ENDPOINTS: usize = 20;
/// Reject reasons listed.
const MAX_REASONS: usize = 20;

/// Markdown renderer.
#[derive(Debug, Default)]
pub struct MarkdownRenderer;

impl Render for MarkdownRenderer {
    fn render(&self, m: &ReportModel, out: &mut dyn Write) -> std::io::Result<()> {
        let s = &m.summary;
        writeln!(out, "## statuslens report\n")?;
        writeln!(
            out,
            "| lines | parsed | rejected | parse rate | 5xx | time range |"
        )?;
        writeln!(out, "|---:|---:|---:|---:|---:|---|")?;
        let total: u64 = s.by_class.values().sum();
        let c5 = s.by_class.get("5xx").copied().unwrap_or(0);
        writeln!(
            out,
            "| {} | {} | {} | {:.2}% | {} | {} |",
            thousands(s.lines),
            thousands(s.parsed),
            thousands(s.rejected),
            s.parse_rate * 100.0,
            pct(c5, total),
            s.time_range
                .as_ref()
                .map_or("none".to_string(), |t| format!("{} → {}", t.start, t.end))
        )?;
        let classes: Vec<String> = s
            .by_class
            .iter()
            .map(|(c, n)| format!("{c} {}", pct(*n, total)))
            .collect();
        writeln!(out, "\nStatus classes: {}", classes.join(" · "))?;

        let count =
            |sev: crate::rules::Severity| m.findings.iter().filter(|f| f.severity == sev).count();
        if !m.incidents.is_empty() {
            writeln!(out, "\n### Incidents ({})\n", m.incidents.len())?;
            writeln!(
                out,
                "| rule | scope | window | status × count | endpoints | what to do |"
            )?;
            writeln!(out, "|---|---|---|---:|---:|---|")?;
            for i in &m.incidents {
                let scope = md(&clip(&i.scope.label(), 80));
                let window = i
                    .window
                    .as_ref()
                    .map_or(String::new(), |w| format!("{} → {}", w.start, w.end));
                writeln!(
                    out,
                    "| [`{}`](#rule-{}) | {scope} | {window} | {} × {}{} | {} | {} |",
                    i.rule,
                    i.rule,
                    i.status_label(),
                    thousands(i.count),
                    i.origin_label(),
                    thousands(i.endpoints),
                    md(&clip(&i.what_to_do, 300))
                )?;
            }
        }
        writeln!(
            out,
            "\n### Findings ({}: {} error, {} warning, {} info)\n",
            m.findings.len(),
            count(crate::rules::Severity::Error),
            count(crate::rules::Severity::Warning),
            count(crate::rules::Severity::Info)
        )?;
        if m.findings.is_empty() {
            writeln!(out, "No findings.")?;
        } else {
            writeln!(
                out,
                "| severity | rule | endpoint | observed → recommended | requests | why |"
            )?;
            writeln!(out, "|---|---|---|---|---:|---|")?;
            for f in m.findings.iter().take(MAX_FINDINGS) {
                writeln!(
                    out,
                    "| {} | [`{}`](#rule-{}) | {} {} | {} → {} | {} ({:.1}%) | {} |",
                    f.severity.as_str(),
                    f.rule,
                    f.rule,
                    md(&clip(&f.method, 10)),
                    md(&clip(&f.shown_route(), 80)),
                    f.observed_status,
                    f.recommended_text("/"),
                    thousands(f.count),
                    f.share * 100.0,
                    md(&clip(&f.message, 300))
                        + &f.evidence
                            .lines
                            .first()
                            .map(|l| format!("<br>{}: {}", md(&l.source), md(&clip(&l.text, 160))))
                            .unwrap_or_default()
                )?;
            }
            if m.findings.len() > MAX_FINDINGS {
                writeln!(
                    out,
                    "\n… and {} more findings (see the JSON or HTML report).",
                    m.findings.len() - MAX_FINDINGS
                )?;
            }
        }

        let (listed, left_out) = super::table_endpoints(m);
        writeln!(
            out,
            "\n### Top endpoints ({} of {}{left_out})\n",
            listed.len().min(MAX_ENDPOINTS),
            listed.len(),
        )?;
        writeln!(
            out,
            "| method | route | requests | 2xx | 3xx | 4xx | 5xx | other | p50 ms | p95 ms | p99 ms |"
        )?;
        writeln!(
            out,
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        )?;
        for e in listed.into_iter().take(MAX_ENDPOINTS) {
            let class = super::class_counts(&e.by_status);
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                md(&clip(&e.method, 10)),
                md(&clip(&e.shown_route(), 80)),
                thousands(e.count),
                pct(class[2], e.count),
                pct(class[3], e.count),
                pct(class[4], e.count),
                pct(class[5], e.count),
                // 1xx and requests logged without a status: the row adds up to 100 %.
                pct(class[0] + class[1], e.count),
                e.latency_cell(|l| l.p50),
                e.latency_cell(|l| l.p95),
                e.latency_cell(|l| l.p99),
            )?;
        }
        if !m.rejects.by_reason.is_empty() {
            writeln!(out, "\n### Rejected lines\n")?;
            writeln!(out, "| reason | lines |")?;
            writeln!(out, "|---|---:|")?;
            for (reason, n) in m.rejects.by_reason.iter().take(MAX_REASONS) {
                writeln!(out, "| {} | {} |", md(reason), thousands(*n))?;
            }
        }
        if m.noise.scanner_count > 0 {
            writeln!(
                out,
                "\nScanner noise: {} client(s) probing nonexistent paths, {} requests on {} endpoints, kept out of the findings.",
                m.noise.scanner_count,
                thousands(m.noise.requests),
                thousands(m.noise.endpoints)
            )?;
        }
        if let Some(a) = &m.api {
            writeln!(out, "\n### API spec: {}\n", md(&clip(&a.spec, 120)))?;
            writeln!(out, "{}.", a.headline())?;
            if !a.undocumented.is_empty() {
                writeln!(out, "\n| undocumented endpoint | requests | top codes |")?;
                writeln!(out, "|---|---:|---|")?;
                for u in a.undocumented.iter().take(MAX_ENDPOINTS) {
                    writeln!(
                        out,
                        "| {} {}{} | {} | {} |",
                        md(&clip(&u.method, 10)),
                        md(&clip(&u.route, 120)),
                        if u.route_declared {
                            " (method not declared)"
                        } else {
                            ""
                        },
                        thousands(u.count),
                        md(&u.top_codes())
                    )?;
                }
            }
            if !a.untouched.is_empty() {
                let list: Vec<String> = a
                    .untouched
                    .iter()
                    .take(MAX_ENDPOINTS)
                    .map(|o| format!("{} {}", md(&o.method), md(&clip(&o.route, 120))))
                    .collect();
                writeln!(
                    out,
                    "\nDeclared operations without traffic ({}): {}{}",
                    thousands(a.untouched.len() as u64),
                    list.join(", "),
                    if a.untouched.len() > MAX_ENDPOINTS {
                        ", …"
                    } else {
                        ""
                    }
                )?;
            }
        }
        if !m.errors.is_empty() {
            writeln!(out, "\n### Input problems\n")?;
            for e in m.errors.iter().take(MAX_REASONS) {
                writeln!(
                    out,
                    "- {}: {}",
                    md(&clip(&e.file, 120)),
                    md(&clip(&e.message, 200))
                )?;
            }
        }
        let mut rules: Vec<&str> = m
            .findings
            .iter()
            .take(MAX_FINDINGS)
            .map(|f| f.rule.as_str())
            .collect();
        rules.sort_unstable();
        rules.dedup();
        if !rules.is_empty() {
            writeln!(out, "\n### Rules of these findings\n")?;
            for id in rules {
                let Some(rule) = crate::rules::find(id) else {
                    continue;
                };
                let meta = rule.meta();
                let docs = crate::rules::render_docs(meta);
                let todo = docs
                    .split("\n## ")
                    .find_map(|s| s.strip_prefix("What to do\n"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "<details><summary><a id=\"rule-{id}\"></a><code>{id}</code> ({}) — {}</summary>\n\n{}\n\n`statuslens rules {id}` has the rest.\n</details>\n",
                    meta.code,
                    md(meta.summary),
                    todo.trim()
                )?;
            }
        }
        writeln!(
            out,
            "\n<sub>statuslens {} · `statuslens rules RULE` explains a rule</sub>",
            env!("CARGO_PKG_VERSION")
        )?;
        Ok(())
    }
}

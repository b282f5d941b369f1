//! `statuslens check`: the verdict CI gates on (SPEC §6). Pure: a report model and the gate's
//! settings in, a [`Verdict`] out; the binary turns it into an exit status and messages.

use std::collections::BTreeSet;

use crate::report::{FindingReport, ReportModel};
use crate::rules::Severity;

/// Findings of a baseline report: (rule, method, route).
pub type Baseline = BTreeSet<(String, String, String)>;

/// What `check` fails on.
#[derive(Clone, Debug, Default)]
pub struct Gate {
    /// Fail on findings at or above this severity.
    pub fail_on: Option<Severity>,
    /// Fail when the 5xx share exceeds this.
    pub max_5xx_rate: Option<f64>,
    /// Fail when the rejected-line share exceeds this.
    pub max_reject_rate: Option<f64>,
    /// (rule, method, route) of the findings a baseline report already had.
    pub baseline: Option<BTreeSet<(String, String, String)>>,
}

/// The outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Whether CI should fail.
    pub failed: bool,
    /// Why, one short clause each.
    pub reasons: Vec<String>,
    /// Indexes (into the model's findings) of the findings that count: at or above the
    /// threshold and not in the baseline, highest severity first.
    pub counted: Vec<usize>,
}

/// The (rule, method, route) keys of a JSON report's findings.
pub fn baseline_keys(json: &str) -> Result<Baseline, String> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("not a statuslens JSON report: {e}"))?;
    let findings = v
        .get("findings")
        .and_then(|f| f.as_array())
        .ok_or("not a statuslens JSON report: no `findings` list")?;
    let text = |f: &serde_json::Value, k: &str| {
        f.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string()
    };
    Ok(findings
        .iter()
        .map(|f| {
            let host = f.get("host").and_then(|x| x.as_str());
            let route = crate::report::host_route(host, &text(f, "route"));
            (text(f, "rule"), text(f, "method"), route)
        })
        .collect())
}

fn key(f: &FindingReport) -> (String, String, String) {
    (f.rule.clone(), f.method.clone(), f.shown_route())
}

/// Why nothing was analysed, when nothing was: no input file, files without lines, every line
/// rejected (naming the format auto-detection finds in the rejected lines, when one fits), or
/// every request outside `--since`/`--until`. A CI gate must not pass on that.
pub fn nothing_analysed(m: &ReportModel) -> Option<String> {
    let s = &m.summary;
    let requests = s.parsed.saturating_sub(s.out_of_window);
    if requests > 0 {
        return None;
    }
    let readable = s.files.iter().filter(|f| f.error.is_none()).count();
    Some(if readable == 0 {
        if s.files.is_empty() {
            "nothing analysed: no input file (an empty folder, or only files that were left out)"
                .to_string()
        } else {
            "nothing analysed: no input file could be read".to_string()
        }
    } else if s.lines == s.skipped {
        "nothing analysed: the input files hold no log lines".to_string()
    } else if s.parsed == 0 {
        let used: Vec<&str> = s
            .files
            .iter()
            .filter_map(|f| f.format.as_deref())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let snippets: Vec<&[u8]> = m
            .rejects
            .samples
            .iter()
            .map(|r| r.snippet.as_bytes())
            .collect();
        let hint = crate::format::detect(
            &crate::format::FormatSpec::Auto,
            &snippets,
            &crate::format::FormatOptions::default(),
        )
        .map(|f| {
            // `combined+sec` and the like are variants the flag's base name covers.
            let name = f.name();
            name.split(['+', ' ']).next().unwrap_or(name).to_string()
        })
        .filter(|n| !used.iter().any(|u| u.split(['+', ' ']).next() == Some(n)))
        .map_or(String::new(), |n| {
            format!("; these lines look like {n} (try --log-format {n})")
        });
        format!(
            "nothing analysed: every line ({}) was rejected as {}{hint}",
            s.rejected,
            if used.is_empty() {
                "unknown".to_string()
            } else {
                used.join(", ")
            }
        )
    } else {
        format!(
            "nothing analysed: all {} parsed requests fall outside --since/--until",
            s.out_of_window
        )
    })
}

/// Judge `m` by `gate`. Nothing analysed fails whatever the gate says.
pub fn judge(m: &ReportModel, gate: &Gate) -> Verdict {
    let mut reasons: Vec<String> = nothing_analysed(m).into_iter().collect();
    let mut counted = Vec::new();
    let mut known = 0usize;
    if let Some(min) = gate.fail_on {
        for (i, f) in m.findings.iter().enumerate() {
            if f.severity < min {
                continue;
            }
            if gate.baseline.as_ref().is_some_and(|b| b.contains(&key(f))) {
                known += 1;
                continue;
            }
            counted.push(i);
        }
        if !counted.is_empty() {
            reasons.push(format!(
                "{} finding{} at or above {}{}",
                counted.len(),
                if counted.len() == 1 { "" } else { "s" },
                min.as_str(),
                if gate.baseline.is_some() {
                    format!(" new since the baseline ({known} already there)")
                } else {
                    String::new()
                }
            ));
        }
    }
    if let Some(max) = gate.max_5xx_rate {
        let r = m.rate_5xx();
        if r > max {
            reasons.push(format!("5xx rate {:.2}% > {:.2}%", r * 100.0, max * 100.0));
        }
    }
    if let Some(max) = gate.max_reject_rate {
        let r = m.reject_rate();
        if r > max {
            reasons.push(format!(
                "reject rate {:.2}% > {:.2}%",
                r * 100.0,
                max * 100.0
            ));
        }
    }
    Verdict {
        failed: !reasons.is_empty(),
        reasons,
        counted,
    }
}

/// GitHub Actions workflow-command text: `%`, CR and LF escaped (and `:`/`,` in properties).
pub fn github_escape(s: &str, property: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::escape::sanitize(s).chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

/// Most annotation lines printed under GitHub Actions.
pub const MAX_ANNOTATIONS: usize = 10;

/// `::error`/`::warning`/`::notice` lines for the first counted findings.
pub fn github_annotations(m: &ReportModel, v: &Verdict) -> Vec<String> {
    v.counted
        .iter()
        .take(MAX_ANNOTATIONS)
        .map(|&i| {
            let f = &m.findings[i];
            let level = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let title = format!("statuslens {} {} {}", f.rule, f.method, f.shown_route());
            format!(
                "::{level} title={}::{}",
                github_escape(&crate::escape::clip(&title, 200), true),
                github_escape(&crate::escape::clip(&f.message, 1000), false)
            )
        })
        .collect()
}

/// One line per counted finding, for a failing gate's log (ruff's concise output is the model):
/// `SL001 warning POST /api/orders: 500 -> 409/422 (80 requests, 20.0%)`.
pub fn concise(m: &ReportModel, verdict: &Verdict) -> Vec<String> {
    verdict
        .counted
        .iter()
        .filter_map(|&i| m.findings.get(i))
        .map(|f| {
            let to: Vec<String> = f
                .recommended_status
                .iter()
                .map(ToString::to_string)
                .collect();
            format!(
                "{} {} {} {}: {} -> {} ({} requests, {:.1}%)",
                f.code,
                f.severity.as_str(),
                f.method,
                f.shown_route(),
                f.observed_status,
                if to.is_empty() {
                    "?".to_string()
                } else {
                    to.join("/")
                },
                f.count,
                f.share * 100.0
            )
        })
        .collect()
}

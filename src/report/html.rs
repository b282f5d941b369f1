//! `--format html`: one self-contained page for the periodic "review your failed requests"
//! audit. No network access is needed or allowed — inline CSS, inline SVG charts drawn here, a
//! small inline script for sorting and filtering the endpoint table, and a Content-Security-
//! Policy that forbids loading anything. Every log-sourced string goes through
//! [`escape::html`](super::escape::html), so a path like `"><script>…` renders as text.

use std::fmt::Write as _;
use std::io::Write;

use super::escape::{clip, html as h};
use super::{class_counts, figure_label, pct, thousands, FindingReport, Render, ReportModel};
use crate::rules::Severity;

/// Endpoint rows in the table (the busiest; the rest are counted).
pub const MAX_ROWS: usize = 1000;
/// Findings shown.
pub const MAX_FINDINGS: usize = 500;
/// Endpoints in the latency chart.
const LATENCY_BARS: usize = 20;

/// HTML renderer.
#[derive(Debug, Default)]
pub struct HtmlRenderer;

/// Colours of the status classes (none, 1xx … 5xx), shared by every chart and the legend.
const CLASS_COLORS: [&str; 6] = [
    "#9e9e9e", "#7e57c2", "#2e7d32", "#0277bd", "#f9a825", "#c62828",
];
const CLASS_NAMES: [&str; 6] = ["none", "1xx", "2xx", "3xx", "4xx", "5xx"];

const STYLE: &str = r#"
:root{--fg:#1d2125;--muted:#5f6b76;--line:#d9dee3;--bg:#fff;--card:#f6f8fa;--err:#c62828;--warn:#b26a00;--info:#0277bd}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1280px;padding:16px 24px}
h1{font-size:22px;margin:4px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.muted{color:var(--muted)}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:130px}
.card b{display:block;font-size:18px}.legend span{display:inline-block;margin-right:12px}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:middle}
svg{max-width:100%;height:auto;display:block}table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}th{background:var(--card);position:sticky;top:0;cursor:pointer;user-select:none}
th.sorted-asc::after{content:" ▲"}th.sorted-desc::after{content:" ▼"}
td.route{word-break:break-all;font-family:ui-monospace,Menlo,Consolas,monospace}
.finding{border:1px solid var(--line);border-left:5px solid var(--info);border-radius:4px;padding:8px 12px;margin:8px 0;background:#fff}
.finding.error{border-left-color:var(--err)}.finding.warning{border-left-color:var(--warn)}
.finding h3{font-size:15px;margin:0 0 4px}.finding code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace}
.codes{font-weight:600}.fig{font-size:12px;color:var(--muted)}.fig td{border:0;padding:1px 8px 1px 0}
details>summary{cursor:pointer;font-weight:600;margin:6px 0}.sev-error{color:var(--err)}.sev-warning{color:var(--warn)}.sev-info{color:var(--info)}
input#filter{padding:5px 8px;width:320px;max-width:100%;margin:4px 0 8px;border:1px solid var(--line);border-radius:4px}
footer{margin:32px 0 8px;color:var(--muted);font-size:12px}
code.line{white-space:pre-wrap;word-break:break-all;font-size:12px}
@media print{input#filter{display:none}th{position:static}details{display:block}body{max-width:none;padding:0}.finding{break-inside:avoid}}
"#;

/// Sorting (click a header) and filtering (type in the box) of the endpoint table. Reads the
/// table's own cells; no data is embedded in the script.
const SCRIPT: &str = r#"
(function(){
var t=document.getElementById('ep');if(!t)return;var b=t.tBodies[0];
var f=document.getElementById('filter');
f.addEventListener('input',function(){var q=f.value.toLowerCase();
for(var i=0;i<b.rows.length;i++){var r=b.rows[i];r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':'';}});
var hs=t.tHead.rows[0].cells;
for(var c=0;c<hs.length;c++){(function(c){hs[c].addEventListener('click',function(){
var th=hs[c],asc=!th.classList.contains('sorted-asc');
for(var k=0;k<hs.length;k++)hs[k].classList.remove('sorted-asc','sorted-desc');
th.classList.add(asc?'sorted-asc':'sorted-desc');
var num=th.classList.contains('n');var rows=Array.prototype.slice.call(b.rows);
rows.sort(function(x,y){var a=x.cells[c].getAttribute('data-v')||x.cells[c].textContent,z=y.cells[c].getAttribute('data-v')||y.cells[c].textContent;
var r=num?(parseFloat(a)||0)-(parseFloat(z)||0):a.localeCompare(z);return asc?r:-r;});
rows.forEach(function(r){b.appendChild(r);});});})(c);}
})();
"#;

fn legend(out: &mut String) {
    out.push_str("<p class=\"legend\">");
    for i in [2, 3, 4, 5, 1, 0] {
        let _ = write!(
            out,
            "<span><i class=\"sw\" style=\"background:{}\"></i>{}</span>",
            CLASS_COLORS[i], CLASS_NAMES[i]
        );
    }
    out.push_str("</p>");
}

/// Stacked bars of the status classes per timeline bucket.
fn timeline_svg(m: &ReportModel, out: &mut String) {
    let buckets = &m.timeline.buckets;
    if buckets.is_empty() {
        out.push_str("<p class=\"muted\">No timestamps: no timeline.</p>");
        return;
    }
    let (w, hgt, left, bottom) = (1000.0f64, 220.0f64, 50.0f64, 24.0f64);
    let plot_w = w - left - 10.0;
    let plot_h = hgt - bottom - 10.0;
    let totals: Vec<[u64; 6]> = buckets
        .iter()
        .map(|b| [b.none, b.c1, b.c2, b.c3, b.c4, b.c5])
        .collect();
    let max = totals
        .iter()
        .map(|c| c.iter().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let bw = plot_w / buckets.len() as f64;
    let _ = write!(
        out,
        "<svg id=\"timeline-chart\" viewBox=\"0 0 {w} {hgt}\" role=\"img\" aria-label=\"Status mix over time\">"
    );
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"14\" font-size=\"11\" text-anchor=\"end\" fill=\"#5f6b76\">{}</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" fill=\"#5f6b76\">0</text>\
         <line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#d9dee3\"/>",
        left - 4.0,
        thousands(max),
        left - 4.0,
        10.0 + plot_h,
        10.0 + plot_h,
        left + plot_w,
        10.0 + plot_h
    );
    for (i, (b, c)) in buckets.iter().zip(&totals).enumerate() {
        let x = left + i as f64 * bw;
        let mut y = 10.0 + plot_h;
        let total: u64 = c.iter().sum();
        let _ = write!(
            out,
            "<g><title>{} — {} requests: 2xx {}, 3xx {}, 4xx {}, 5xx {}</title>",
            h(&b.start),
            thousands(total),
            c[2],
            c[3],
            c[4],
            c[5]
        );
        for class in [2usize, 3, 1, 0, 4, 5] {
            if c[class] == 0 {
                continue;
            }
            let bar = c[class] as f64 / max as f64 * plot_h;
            y -= bar;
            let _ = write!(
                out,
                "<rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{:.2}\" height=\"{bar:.2}\" fill=\"{}\"/>",
                (bw * 0.9).max(0.5),
                CLASS_COLORS[class]
            );
        }
        out.push_str("</g>");
    }
    let first = &buckets[0].start;
    let last = &buckets[buckets.len() - 1].start;
    let _ = write!(
        out,
        "<text x=\"{left}\" y=\"{}\" font-size=\"11\" fill=\"#5f6b76\">{}</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" fill=\"#5f6b76\">{}</text></svg>",
        hgt - 6.0,
        h(first),
        left + plot_w,
        hgt - 6.0,
        h(last)
    );
    let _ = write!(
        out,
        "<p class=\"muted\">{} buckets of {} s.</p>",
        buckets.len(),
        m.timeline.bucket_seconds
    );
    legend(out);
}

/// A 100-wide bar of an endpoint's status classes.
fn status_bar(class: &[u64; 6], count: u64) -> String {
    let mut s =
        String::from("<svg class=\"bar\" viewBox=\"0 0 100 10\" width=\"100\" height=\"10\">");
    let mut x = 0.0f64;
    for i in [2usize, 3, 1, 0, 4, 5] {
        if class[i] == 0 || count == 0 {
            continue;
        }
        let w = class[i] as f64 / count as f64 * 100.0;
        let _ = write!(
            s,
            "<rect x=\"{x:.2}\" y=\"0\" width=\"{w:.2}\" height=\"10\" fill=\"{}\"/>",
            CLASS_COLORS[i]
        );
        x += w;
    }
    s.push_str("</svg>");
    s
}

/// p50/p95/p99 of the busiest endpoints as grouped horizontal bars.
fn latency_svg(m: &ReportModel, out: &mut String) {
    let rows: Vec<_> = m
        .endpoints
        .iter()
        .filter(|e| e.latency_ms.is_some())
        .take(LATENCY_BARS)
        .collect();
    if rows.is_empty() {
        out.push_str("<p class=\"muted\">The logs carry no durations.</p>");
        return;
    }
    let max = rows
        .iter()
        .filter_map(|e| e.latency_ms.as_ref().map(|l| l.p99))
        .fold(0.0f64, f64::max)
        .max(0.001);
    let (w, label, row_h) = (1000.0f64, 360.0f64, 26.0f64);
    let hgt = row_h * rows.len() as f64 + 20.0;
    let _ = write!(
        out,
        "<svg id=\"latency-chart\" viewBox=\"0 0 {w} {hgt}\" role=\"img\" aria-label=\"Latency percentiles\">"
    );
    for (i, e) in rows.iter().enumerate() {
        let Some(l) = &e.latency_ms else { continue };
        let y = i as f64 * row_h + 4.0;
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" font-family=\"monospace\">{}</text>",
            label - 6.0,
            y + 14.0,
            h(&clip(&format!("{} {}", e.method, e.route), 52))
        );
        for (j, (v, color, name)) in [
            (l.p99, "#ef9a9a", "p99"),
            (l.p95, "#ffcc80", "p95"),
            (l.p50, "#90caf9", "p50"),
        ]
        .into_iter()
        .enumerate()
        {
            let bw = v / max * (w - label - 80.0);
            let _ = write!(
                out,
                "<rect x=\"{label}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{}\" fill=\"{color}\"><title>{name} {v:.1} ms</title></rect>",
                y + j as f64 * 2.0,
                row_h - 8.0 - j as f64 * 4.0
            );
        }
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#5f6b76\">{:.0}/{:.0}/{:.0} ms</text>",
            label + l.p99 / max * (w - label - 80.0) + 4.0,
            y + 14.0,
            l.p50,
            l.p95,
            l.p99
        );
    }
    out.push_str("</svg><p class=\"legend\"><span><i class=\"sw\" style=\"background:#90caf9\"></i>p50</span><span><i class=\"sw\" style=\"background:#ffcc80\"></i>p95</span><span><i class=\"sw\" style=\"background:#ef9a9a\"></i>p99</span></p>");
}

fn finding_html(f: &FindingReport, out: &mut String) {
    let rec = f.recommended_text(" / ");
    let sev = f.severity.as_str();
    let _ = write!(
        out,
        "<div class=\"finding {sev}\"><h3><code>{}</code> {} <span class=\"mono\">{}</span> — <span class=\"codes\">{} → {}</span></h3>",
        h(&f.rule),
        h(&f.method),
        h(&f.route),
        f.observed_status,
        rec
    );
    let _ = write!(
        out,
        "<p class=\"muted\">{} requests ({:.1}% of the endpoint), {} confidence, {}</p><p>{}</p>",
        thousands(f.count),
        f.share * 100.0,
        match f.confidence {
            crate::rules::Confidence::Low => "low",
            crate::rules::Confidence::Medium => "medium",
            crate::rules::Confidence::High => "high",
        },
        h(&f.code),
        h(&f.message)
    );
    out.push_str("<table class=\"fig\">");
    for (k, v) in f
        .evidence
        .figures
        .iter()
        .filter_map(|(k, v)| figure_label(k, v))
    {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", h(&k), h(&v));
    }
    if let Some(w) = &f.evidence.time_window {
        let _ = write!(
            out,
            "<tr><td>window</td><td>{} → {}</td></tr>",
            h(&w.start),
            h(&w.end)
        );
    }
    if !f.evidence.samples.is_empty() {
        let samples: Vec<String> = f.evidence.samples.iter().map(|s| h(s)).collect();
        let _ = write!(
            out,
            "<tr><td>samples</td><td class=\"mono\">{}</td></tr>",
            samples.join("<br>")
        );
    }
    for l in &f.evidence.lines {
        let _ = write!(
            out,
            "<tr><td class=\"mono\">{}</td><td><code class=\"line\">{}</code></td></tr>",
            h(&l.source),
            h(&l.text)
        );
    }
    out.push_str("</table></div>");
}

impl HtmlRenderer {
    /// The whole page as a string.
    pub fn page(&self, m: &ReportModel) -> String {
        let s = &m.summary;
        let mut out = String::with_capacity(64 * 1024);
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">");
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        out.push_str("<title>statuslens report</title><style>");
        out.push_str(STYLE);
        out.push_str("</style></head><body>");
        let range = s
            .time_range
            .as_ref()
            .map_or("no timestamps".to_string(), |t| {
                format!("{} → {}", t.start, t.end)
            });
        let _ = write!(
            out,
            "<header><h1>statuslens report</h1><p class=\"muted\">{} · {} file(s) · formats: {}</p></header>",
            h(&range),
            s.files.len(),
            h(&s
                .formats
                .iter()
                .map(|(f, n)| format!("{f} ({n})"))
                .collect::<Vec<_>>()
                .join(", "))
        );
        let total: u64 = s.by_class.values().sum();
        let c = |k: &str| s.by_class.get(k).copied().unwrap_or(0);
        let count = |sev: Severity| m.findings.iter().filter(|f| f.severity == sev).count();
        out.push_str("<section id=\"summary\"><div class=\"cards\">");
        for (label, value) in [
            ("lines", thousands(s.lines)),
            ("parsed", format!("{:.2}%", s.parse_rate * 100.0)),
            ("rejected", thousands(s.rejected)),
            ("2xx", pct(c("2xx"), total)),
            ("4xx", pct(c("4xx"), total)),
            ("5xx", pct(c("5xx"), total)),
            ("endpoints", thousands(m.endpoints.len() as u64)),
            (
                "findings",
                format!(
                    "{} <small class=\"muted\">({} E, {} W, {} I)</small>",
                    m.findings.len(),
                    count(Severity::Error),
                    count(Severity::Warning),
                    count(Severity::Info)
                ),
            ),
        ] {
            let _ = write!(
                out,
                "<div class=\"card\"><span class=\"muted\">{label}</span><b>{value}</b></div>"
            );
        }
        out.push_str("</div></section>");

        out.push_str("<section id=\"timeline\"><h2>Status mix over time</h2>");
        timeline_svg(m, &mut out);
        out.push_str("</section>");

        let _ = write!(
            out,
            "<section id=\"findings\"><h2>Findings ({})</h2>",
            m.findings.len()
        );
        if m.findings.is_empty() {
            out.push_str("<p>No findings.</p>");
        }
        for sev in [Severity::Error, Severity::Warning, Severity::Info] {
            let group: Vec<&FindingReport> = m
                .findings
                .iter()
                .filter(|f| f.severity == sev)
                .take(MAX_FINDINGS)
                .collect();
            if group.is_empty() {
                continue;
            }
            let _ = write!(
                out,
                "<details open><summary class=\"sev-{0}\">{1} ({2})</summary>",
                sev.as_str(),
                sev.as_str().to_uppercase(),
                group.len()
            );
            for f in group {
                finding_html(f, &mut out);
            }
            out.push_str("</details>");
        }
        out.push_str("<p class=\"muted\">`statuslens rules RULE` explains a rule; `statuslens codes CODE` a status code.</p></section>");

        out.push_str("<section id=\"latency\"><h2>Latency of the busiest endpoints</h2>");
        latency_svg(m, &mut out);
        out.push_str("</section>");

        let _ = write!(
            out,
            "<section id=\"endpoints\"><h2>Endpoints ({})</h2><input id=\"filter\" type=\"search\" placeholder=\"Filter endpoints…\" aria-label=\"Filter endpoints\">",
            m.endpoints.len()
        );
        out.push_str("<table id=\"ep\"><thead><tr><th>Method</th><th>Route</th><th class=\"n\">Requests</th><th>Status mix</th><th class=\"n\">2xx</th><th class=\"n\">3xx</th><th class=\"n\">4xx</th><th class=\"n\">5xx</th><th class=\"n\">p50 ms</th><th class=\"n\">p95 ms</th><th class=\"n\">p99 ms</th><th>Top codes</th></tr></thead><tbody>");
        for e in m.endpoints.iter().take(MAX_ROWS) {
            let class = class_counts(&e.by_status);
            let share = |n: u64| {
                if e.count == 0 {
                    0.0
                } else {
                    n as f64 * 100.0 / e.count as f64
                }
            };
            let lat = |v: Option<f64>| {
                v.map_or("<td class=\"n\" data-v=\"-1\">-</td>".to_string(), |x| {
                    format!("<td class=\"n\" data-v=\"{x}\">{x:.1}</td>")
                })
            };
            let top: Vec<String> = super::busiest_codes(&e.by_status, 4)
                .iter()
                .map(|(c, n)| format!("{}×{}", h(c), thousands(*n)))
                .collect();
            let _ = write!(
                out,
                "<tr><td>{}</td><td class=\"route\">{}</td><td class=\"n\" data-v=\"{}\">{}</td><td data-v=\"{:.3}\">{}</td>",
                h(&e.method),
                h(&e.route) + if e.documented == Some(false) { " <em>undocumented</em>" } else { "" },
                e.count,
                thousands(e.count),
                share(class[5]),
                status_bar(&class, e.count)
            );
            for i in [2usize, 3, 4, 5] {
                let v = share(class[i]);
                let _ = write!(out, "<td class=\"n\" data-v=\"{v:.4}\">{v:.1}%</td>");
            }
            out.push_str(&lat(e.latency_ms.as_ref().map(|l| l.p50)));
            out.push_str(&lat(e.latency_ms.as_ref().map(|l| l.p95)));
            out.push_str(&lat(e.latency_ms.as_ref().map(|l| l.p99)));
            let _ = write!(out, "<td class=\"mono\">{}</td></tr>", top.join(" "));
        }
        out.push_str("</tbody></table>");
        if m.endpoints.len() > MAX_ROWS {
            let _ = write!(
                out,
                "<p class=\"muted\">The {} busiest endpoints are listed; {} more are in the JSON report.</p>",
                MAX_ROWS,
                m.endpoints.len() - MAX_ROWS
            );
        }
        out.push_str("</section>");

        out.push_str("<section id=\"rejects\"><h2>Rejected lines</h2>");
        if m.rejects.by_reason.is_empty() {
            out.push_str("<p>None.</p>");
        } else {
            out.push_str("<table><thead><tr><th>Reason</th><th class=\"n\">Lines</th><th>Samples</th></tr></thead><tbody>");
            for (reason, n) in &m.rejects.by_reason {
                let samples: Vec<String> = m
                    .rejects
                    .samples
                    .iter()
                    .filter(|x| &x.reason == reason)
                    .map(|x| {
                        format!(
                            "{} <span class=\"muted\">{}</span>",
                            h(&x.source),
                            h(&x.snippet)
                        )
                    })
                    .collect();
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"mono\">{}</td></tr>",
                    h(reason),
                    thousands(*n),
                    samples.join("<br>")
                );
            }
            out.push_str("</tbody></table>");
        }
        out.push_str("</section>");

        out.push_str("<section id=\"noise\"><h2>Scanner noise</h2>");
        if m.noise.scanner_count == 0 {
            out.push_str("<p>No scanners.</p>");
        } else {
            let _ = write!(
                out,
                "<p>{} client(s) probed for paths that do not exist; {} endpoints ({} requests) were touched only by them and are kept out of the findings.</p>",
                m.noise.scanner_count,
                thousands(m.noise.endpoints),
                thousands(m.noise.requests)
            );
            out.push_str("<table><thead><tr><th>Client</th><th class=\"n\">Misses</th><th class=\"n\">Distinct endpoints</th></tr></thead><tbody>");
            for sc in &m.noise.scanners {
                let _ = write!(
                    out,
                    "<tr><td class=\"mono\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    h(&sc.client),
                    thousands(sc.misses),
                    sc.distinct_endpoints
                );
            }
            out.push_str("</tbody></table>");
        }
        out.push_str("</section>");

        if let Some(a) = &m.api {
            let _ = write!(
                out,
                "<section id=\"api\"><h2>API spec <span class=\"mono\">{}</span></h2><p>{}.</p>",
                h(&a.spec),
                h(&a.headline())
            );
            if !a.undocumented.is_empty() {
                out.push_str("<h3>Undocumented endpoints</h3><table><thead><tr><th>Method</th><th>Route</th><th class=\"n\">Requests</th><th>Top codes</th></tr></thead><tbody>");
                for u in &a.undocumented {
                    let _ = write!(
                        out,
                        "<tr><td>{}</td><td class=\"mono\">{}{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                        h(&u.method),
                        h(&u.route),
                        if u.route_declared { " <em>(method not declared)</em>" } else { "" },
                        thousands(u.count),
                        h(&u.top_codes())
                    );
                }
                out.push_str("</tbody></table>");
            }
            if !a.untouched.is_empty() {
                let _ = write!(
                    out,
                    "<h3>Declared operations without traffic ({})</h3><ul class=\"mono\">",
                    thousands(a.untouched.len() as u64)
                );
                for o in a.untouched.iter().take(1000) {
                    let _ = write!(out, "<li>{} {}</li>", h(&o.method), h(&o.route));
                }
                if a.untouched.len() > 1000 {
                    let _ = write!(
                        out,
                        "<li>… {} more in the JSON report</li>",
                        thousands(a.untouched.len() as u64 - 1000)
                    );
                }
                out.push_str("</ul>");
            }
            out.push_str("</section>");
        }
        if !m.errors.is_empty() {
            out.push_str("<section id=\"errors\"><h2>Input problems</h2><ul>");
            for e in &m.errors {
                let _ = write!(
                    out,
                    "<li><span class=\"mono\">{}</span>: {}</li>",
                    h(&e.file),
                    h(&e.message)
                );
            }
            out.push_str("</ul></section>");
        }
        let _ = writeln!(
            out,
            "<footer>statuslens {} · report schema {}</footer><script>{}</script></body></html>",
            env!("CARGO_PKG_VERSION"),
            m.schema_version,
            SCRIPT
        );
        out
    }
}

impl Render for HtmlRenderer {
    fn render(&self, m: &ReportModel, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(self.page(m).as_bytes())
    }
}

//! `--format html`: one self-contained page for the periodic "review your failed requests"
//! audit. No network access is needed or allowed — inline CSS, inline SVG charts drawn here, a
//! small inline script for sorting and filtering the endpoint table, and a Content-Security-
//! Policy that forbids loading anything. Every log-sourced string goes through
//! [`escape::html`](super::escape::html), so a path like `"><script>…` renders as text.

use std::fmt::Write as _;
use std::io::Write;

use super::escape::{clip, html as h};
use super::{
    class_counts, figure_label, pct, thousands, Endpoint, FindingReport, Render, ReportModel,
};
use crate::rules::Severity;

/// Endpoint rows in the table (the busiest; the rest are counted).
pub const MAX_ROWS: usize = 1000;
/// Findings shown.
pub const MAX_FINDINGS: usize = 500;
/// Endpoints with a drill-down: every one with a finding, then the busiest up to this.
pub const MAX_DETAILS: usize = 50;
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
:root{--fg:#1d2125;--muted:#5f6b76;--line:#d9dee3;--bg:#fff;--card:#f6f8fa;--err:#c62828;--warn:#b26a00;--info:#0277bd;--link:#0b5cad;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--fg:#e3e7eb;--muted:#9aa6b2;--line:#363c44;--bg:#14171b;--card:#1e2329;--err:#ef5350;--warn:#ffb74d;--info:#4fc3f7;--link:#8ab4f8}}
a{color:var(--link)}svg text{fill:var(--muted)}nav.index{display:flex;flex-wrap:wrap;gap:14px;margin:8px 0 4px;font-size:13px}
.tag{font-size:11px;border:1px solid var(--line);border-radius:3px;padding:0 4px;margin-left:6px;color:var(--muted)}
td.mark a{text-decoration:none;font-weight:700;color:var(--warn)}
.drill{border:1px solid var(--line);border-radius:4px;margin:6px 0;padding:2px 10px;background:var(--card)}
.drill[open]{padding-bottom:10px}.drill .cols{display:flex;flex-wrap:wrap;gap:24px}.drill .cols>div{flex:1 1 320px;min-width:0}
.rule-doc h4{margin:10px 0 4px}.rule-doc pre{background:var(--card);padding:6px 8px;overflow-x:auto;font-size:12px}
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
.finding{border:1px solid var(--line);border-left:5px solid var(--info);border-radius:4px;padding:8px 12px;margin:8px 0;background:var(--bg)}
.finding.error{border-left-color:var(--err)}.finding.warning{border-left-color:var(--warn)}
.finding h3{font-size:15px;margin:0 0 4px}.finding code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace}
.codes{font-weight:600}.fig{font-size:12px;color:var(--muted)}.fig td{border:0;padding:1px 8px 1px 0}
details>summary{cursor:pointer;font-weight:600;margin:6px 0}.sev-error{color:var(--err)}.sev-warning{color:var(--warn)}.sev-info{color:var(--info)}
input#filter{padding:5px 8px;width:320px;max-width:100%;margin:4px 0 8px;border:1px solid var(--line);border-radius:4px}
footer{margin:32px 0 8px;color:var(--muted);font-size:12px}
code.line{white-space:pre-wrap;word-break:break-all;font-size:12px}
@media print{input#filter,nav.index{display:none}th{position:static}details{display:block}body{max-width:none;padding:0}.finding{break-inside:avoid}}
"#;

/// Sorting (click a header) and filtering (type in the box) of the endpoint table. Reads the
/// table's own cells; no data is embedded in the script.
const SCRIPT: &str = r#"
(function(){
function openTarget(){var id=decodeURIComponent(location.hash.slice(1));if(!id)return;var d=document.getElementById(id);
if(d&&d.tagName==='DETAILS'){d.open=true;d.scrollIntoView();}}
window.addEventListener('hashchange',openTarget);openTarget();
})();
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
    let totals: Vec<[u64; 6]> = buckets
        .iter()
        .map(|b| [b.none, b.c1, b.c2, b.c3, b.c4, b.c5])
        .collect();
    let titles: Vec<&str> = buckets.iter().map(|b| b.start.as_str()).collect();
    // Incident windows as bands behind the bars (bucket starts are RFC 3339 UTC: they order
    // as text).
    let bands: Vec<Band> = m
        .incidents
        .iter()
        .filter_map(|i| {
            let w = i.window.as_ref()?;
            let first = titles
                .iter()
                .rposition(|t| *t <= w.start.as_str())
                .unwrap_or(0);
            let last = titles
                .iter()
                .rposition(|t| *t < w.end.as_str())
                .unwrap_or(first)
                .max(first);
            let label = format!(
                "{} on {}: {} × {}, {} → {}",
                i.rule,
                i.scope.label(),
                i.count,
                i.status_label(),
                w.start,
                w.end
            );
            Some((first, last, label))
        })
        .collect();
    bars_svg(
        out,
        "timeline-chart",
        &totals,
        &titles,
        &bands,
        220.0,
        "Status mix over time",
    );
    let _ = write!(
        out,
        "<p class=\"muted\">{} buckets of {} s.</p>",
        buckets.len(),
        m.timeline.bucket_seconds
    );
    legend(out);
}

/// A marked stretch of a time axis: first and last bucket, and what it is.
type Band = (usize, usize, String);

/// Stacked bars of status classes, one per bucket (`titles`: each bucket's start), on a time
/// axis: every bucket has its slot, so a gap shows as one. `bands` (incidents) are shaded
/// behind the bars.
fn bars_svg(
    out: &mut String,
    id: &str,
    totals: &[[u64; 6]],
    titles: &[&str],
    bands: &[Band],
    hgt: f64,
    aria: &str,
) {
    let (w, left, bottom) = (1000.0f64, 50.0f64, 24.0f64);
    let plot_w = w - left - 10.0;
    let plot_h = hgt - bottom - 10.0;
    let max = totals
        .iter()
        .map(|c| c.iter().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let bw = plot_w / totals.len().max(1) as f64;
    let _ = write!(
        out,
        "<svg id=\"{id}\" viewBox=\"0 0 {w} {hgt}\" role=\"img\" aria-label=\"{aria}\">"
    );
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"14\" font-size=\"11\" text-anchor=\"end\">{}</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">0</text>\
         <line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#8a949e\"/>",
        left - 4.0,
        thousands(max),
        left - 4.0,
        10.0 + plot_h,
        10.0 + plot_h,
        left + plot_w,
        10.0 + plot_h
    );
    for (first, last, label) in bands {
        let _ = write!(
            out,
            "<rect class=\"incident\" x=\"{:.2}\" y=\"10\" width=\"{:.2}\" height=\"{plot_h:.2}\" fill=\"#d9480f\" fill-opacity=\"0.15\"><title>{}</title></rect>",
            left + *first as f64 * bw,
            ((last - first + 1) as f64 * bw).max(1.0),
            h(label)
        );
    }
    for (i, c) in totals.iter().enumerate() {
        let total: u64 = c.iter().sum();
        if total == 0 {
            continue;
        }
        let x = left + i as f64 * bw;
        let mut y = 10.0 + plot_h;
        let _ = write!(
            out,
            "<g><title>{} — {} requests: 2xx {}, 3xx {}, 4xx {}, 5xx {}</title>",
            h(titles.get(i).copied().unwrap_or_default()),
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
    let first = titles.first().copied().unwrap_or_default();
    let last = titles.last().copied().unwrap_or_default();
    let _ = write!(
        out,
        "<text x=\"{left}\" y=\"{}\" font-size=\"11\">{}</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text></svg>",
        hgt - 6.0,
        h(first),
        left + plot_w,
        hgt - 6.0,
        h(last)
    );
}

/// An endpoint's latency histogram: requests per bin, bins doubling.
fn histogram_svg(out: &mut String, bins: &[(f64, u64)]) {
    if bins.is_empty() {
        out.push_str("<p class=\"muted\">No durations logged.</p>");
        return;
    }
    let (w, hgt, left, bottom) = (480.0f64, 160.0f64, 40.0f64, 22.0f64);
    let plot_w = w - left - 10.0;
    let plot_h = hgt - bottom - 10.0;
    let max = bins.iter().map(|b| b.1).max().unwrap_or(1).max(1);
    let bw = plot_w / bins.len() as f64;
    let _ = write!(
        out,
        "<svg class=\"hist\" viewBox=\"0 0 {w} {hgt}\" role=\"img\" aria-label=\"Latency histogram\">\
         <text x=\"{}\" y=\"14\" font-size=\"11\" text-anchor=\"end\">{}</text>",
        left - 4.0,
        thousands(max)
    );
    let mut lower = 0.0;
    for (i, (upper, n)) in bins.iter().enumerate() {
        let bar = *n as f64 / max as f64 * plot_h;
        let _ = write!(
            out,
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{bar:.2}\" fill=\"#5c6bc0\"><title>{} – {} ms: {} requests</title></rect>",
            left + i as f64 * bw,
            10.0 + plot_h - bar,
            (bw * 0.9).max(0.5),
            ms_label(lower),
            ms_label(*upper),
            thousands(*n)
        );
        lower = *upper;
    }
    let _ = write!(
        out,
        "<text x=\"{left}\" y=\"{}\" font-size=\"11\">{} ms</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{} ms</text></svg>",
        hgt - 6.0,
        ms_label(bins[0].0 / 2.0),
        left + plot_w,
        hgt - 6.0,
        ms_label(bins[bins.len() - 1].0)
    );
}

/// Milliseconds without needless digits.
fn ms_label(v: f64) -> String {
    if v >= 10.0 {
        thousands(v.round() as u64)
    } else {
        format!("{v:.1}")
    }
}

/// Log text with `backticked` spans as `<code>`, escaped; unbalanced backticks stay as they are.
fn prose(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len() % 2 == 0 {
        return h(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", h(part));
        } else {
            out.push_str(&h(part));
        }
    }
    out
}

/// A rule's Markdown docs as HTML: headings, lists, code blocks and code spans; the title line
/// is left out (the summary names the rule).
fn docs_html(md: &str) -> String {
    let mut out = String::from("<div class=\"rule-doc\">");
    let mut in_code = false;
    let mut in_list = false;
    let mut para = String::new();
    let flush = |out: &mut String, para: &mut String| {
        if !para.trim().is_empty() {
            let _ = write!(out, "<p>{}</p>", prose(para.trim()));
        }
        para.clear();
    };
    for line in md.lines() {
        if line.starts_with("```") {
            flush(&mut out, &mut para);
            out.push_str(if in_code { "</pre>" } else { "<pre>" });
            in_code = !in_code;
            continue;
        }
        if in_code {
            let _ = writeln!(out, "{}", h(line));
            continue;
        }
        if in_list && !line.starts_with("- ") {
            out.push_str("</ul>");
            in_list = false;
        }
        if line.starts_with("# ") {
            continue;
        }
        if let Some(title) = line.strip_prefix("## ") {
            flush(&mut out, &mut para);
            let _ = write!(out, "<h4>{}</h4>", h(title));
        } else if let Some(item) = line.strip_prefix("- ") {
            flush(&mut out, &mut para);
            if !in_list {
                out.push_str("<ul>");
                in_list = true;
            }
            let _ = write!(out, "<li>{}</li>", prose(item));
        } else if line.trim().is_empty() {
            flush(&mut out, &mut para);
        } else {
            para.push_str(line);
            para.push(' ');
        }
    }
    flush(&mut out, &mut para);
    if in_list {
        out.push_str("</ul>");
    }
    if in_code {
        out.push_str("</pre>");
    }
    out.push_str("</div>");
    out
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
            h(&clip(&format!("{} {}", e.method, e.shown_route()), 52))
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
                "<rect x=\"{label}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{}\" fill=\"{color}\"><title>{name} {} ms</title></rect>",
                y + j as f64 * 2.0,
                row_h - 8.0 - j as f64 * 4.0,
                h(&l.show(v)),
            );
        }
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#5f6b76\">{}/{}/{} ms</text>",
            label + l.p99 / max * (w - label - 80.0) + 4.0,
            y + 14.0,
            h(&l.show_to(l.p50, 0)),
            h(&l.show_to(l.p95, 0)),
            h(&l.show_to(l.p99, 0))
        );
    }
    out.push_str("</svg><p class=\"legend\"><span><i class=\"sw\" style=\"background:#90caf9\"></i>p50</span><span><i class=\"sw\" style=\"background:#ffcc80\"></i>p95</span><span><i class=\"sw\" style=\"background:#ef9a9a\"></i>p99</span></p>");
}

/// A finding: its rule links to the rule's docs, its endpoint to the endpoint's drill-down
/// (`endpoint`: its index in the table, when it has a row).
fn finding_html(f: &FindingReport, endpoint: Option<(usize, &Endpoint)>, out: &mut String) {
    let rec = f.recommended_text(" / ");
    let sev = f.severity.as_str();
    let route = match endpoint.map(|e| e.0) {
        Some(i) => format!(
            "<a class=\"mono\" href=\"#ep-{i}\">{}</a>",
            h(&f.shown_route())
        ),
        None => format!("<span class=\"mono\">{}</span>", h(&f.shown_route())),
    };
    let _ = write!(
        out,
        "<div class=\"finding {sev}\"><h3><a href=\"#rule-{}\"><code>{}</code></a> {} {route} — <span class=\"codes\">{} → {}</span></h3>",
        h(&f.rule),
        h(&f.rule),
        h(&f.method),
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
        prose(&f.message)
    );
    out.push_str("<table class=\"fig\">");
    for (k, v) in f
        .evidence
        .figures
        .iter()
        .filter_map(|(k, v)| figure_label(k, v))
    {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", h(&k), prose(&v));
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
    out.push_str("</table>");
    // The rules about latency show the endpoint's latency histogram as evidence.
    if let (Some((_, e)), "app-timeout-500" | "slow-sync") = (endpoint, f.rule.as_str()) {
        out.push_str("<p class=\"fig\">Latency of every request of the endpoint:</p>");
        histogram_svg(out, &e.detail.latency_bins);
    }
    out.push_str("</div>");
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
        out.push_str("<nav class=\"index\">");
        if !m.incidents.is_empty() {
            out.push_str("<a href=\"#incidents\">Incidents</a>");
        }
        out.push_str("<a href=\"#findings\">Findings</a><a href=\"#timeline\">Timeline</a><a href=\"#endpoints\">Endpoints</a><a href=\"#details\">Endpoint details</a><a href=\"#latency\">Latency</a>");
        if m.api.is_some() {
            out.push_str("<a href=\"#api\">API spec</a>");
        }
        out.push_str("<a href=\"#rejects\">Rejected lines</a><a href=\"#noise\">Scanner noise</a>");
        if !m.findings.is_empty() {
            out.push_str("<a href=\"#rules\">Rules</a>");
        }
        if !m.errors.is_empty() {
            out.push_str("<a href=\"#errors\">Input problems</a>");
        }
        out.push_str("</nav>");
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

        // Where each (method, route) sits in the table, and which have a drill-down: every
        // endpoint with a finding and the busiest, up to MAX_DETAILS.
        let index: std::collections::HashMap<(&str, String), usize> = m
            .endpoints
            .iter()
            .take(MAX_ROWS)
            .enumerate()
            .map(|(i, e)| ((e.method.as_str(), e.shown_route()), i))
            .collect();
        let flagged: std::collections::BTreeSet<usize> = m
            .findings
            .iter()
            .filter_map(|f| index.get(&(f.method.as_str(), f.shown_route())).copied())
            .collect();
        let mut detailed = flagged.clone();
        for i in 0..m.endpoints.len().min(MAX_ROWS) {
            if detailed.len() >= MAX_DETAILS {
                break;
            }
            detailed.insert(i);
        }

        if !m.incidents.is_empty() {
            let _ = write!(
                out,
                "<section id=\"incidents\"><h2>Incidents ({})</h2><ul>",
                m.incidents.len()
            );
            for i in &m.incidents {
                let scope = h(&i.scope.label());
                let window = i.window.as_ref().map_or(String::new(), |w| {
                    format!(" · {} → {}", h(&w.start), h(&w.end))
                });
                let _ = write!(
                    out,
                    "<li><b>{}</b> on {scope}{window}: {} × {} over {} endpoints{}. <span class=\"muted\">{}</span></li>",
                    h(&i.rule),
                    i.count,
                    h(&i.status_label()),
                    i.endpoints,
                    h(&i.origin_label()),
                    h(&i.what_to_do)
                );
            }
            out.push_str("</ul></section>");
        }
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
                let at = index
                    .get(&(f.method.as_str(), f.shown_route()))
                    .map(|&i| (i, &m.endpoints[i]));
                finding_html(f, at, &mut out);
            }
            out.push_str("</details>");
        }
        out.push_str("<p class=\"muted\">A rule's name opens its docs below; an endpoint opens its codes, latency and timeline.</p></section>");

        out.push_str("<section id=\"timeline\"><h2>Status mix over time</h2>");
        timeline_svg(m, &mut out);
        out.push_str("</section>");

        let _ = write!(
            out,
            "<section id=\"endpoints\"><h2>Endpoints ({})</h2><input id=\"filter\" type=\"search\" placeholder=\"Filter endpoints…\" aria-label=\"Filter endpoints\">",
            m.endpoints.len()
        );
        out.push_str("<table id=\"ep\"><thead><tr><th title=\"has a finding\">!</th><th>Method</th><th>Route</th><th class=\"n\">Requests</th><th>Status mix</th><th class=\"n\">2xx</th><th class=\"n\">3xx</th><th class=\"n\">4xx</th><th class=\"n\">5xx</th><th class=\"n\">p50 ms</th><th class=\"n\">p95 ms</th><th class=\"n\">p99 ms</th><th>Top codes</th></tr></thead><tbody>");
        for (i, e) in m.endpoints.iter().take(MAX_ROWS).enumerate() {
            let class = class_counts(&e.by_status);
            let share = |n: u64| {
                if e.count == 0 {
                    0.0
                } else {
                    n as f64 * 100.0 / e.count as f64
                }
            };
            let lat = |pick: fn(&super::Latency) -> f64| {
                e.latency_ms.as_ref().map_or(
                    "<td class=\"n\" data-v=\"-1\">-</td>".to_string(),
                    |l| {
                        let x = pick(l);
                        format!("<td class=\"n\" data-v=\"{x}\">{}</td>", h(&l.show(x)))
                    },
                )
            };
            let top: Vec<String> = super::busiest_codes(&e.by_status, 4)
                .iter()
                .map(|(c, n)| format!("{}×{}", h(c), thousands(*n)))
                .collect();
            let mark = if flagged.contains(&i) {
                format!("<td class=\"mark\" data-v=\"1\"><a href=\"#ep-{i}\" title=\"has a finding\">!</a></td>")
            } else {
                "<td class=\"mark\" data-v=\"0\"></td>".to_string()
            };
            let route = if detailed.contains(&i) {
                format!("<a href=\"#ep-{i}\">{}</a>", h(&e.shown_route()))
            } else {
                h(&e.shown_route())
            };
            let mut tags = String::new();
            if e.documented == Some(false) {
                tags.push_str(" <em>undocumented</em>");
            }
            if e.scanner_only {
                tags.push_str("<span class=\"tag\" title=\"every request came from scanners; kept out of the findings\">scanners only</span>");
            }
            let _ = write!(
                out,
                "<tr id=\"row-{i}\">{mark}<td>{}</td><td class=\"route\">{route}{tags}</td><td class=\"n\" data-v=\"{}\">{}</td><td data-v=\"{:.3}\">{}</td>",
                h(&e.method),
                e.count,
                thousands(e.count),
                share(class[5]),
                status_bar(&class, e.count)
            );
            for c in [2usize, 3, 4, 5] {
                let v = share(class[c]);
                let _ = write!(out, "<td class=\"n\" data-v=\"{v:.4}\">{v:.1}%</td>");
            }
            out.push_str(&lat(|l| l.p50));
            out.push_str(&lat(|l| l.p95));
            out.push_str(&lat(|l| l.p99));
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

        let _ = write!(
            out,
            "<section id=\"details\"><h2>Endpoint details ({})</h2><p class=\"muted\">Every endpoint with a finding and the busiest: all its codes, its latency histogram and its own timeline.</p>",
            detailed.len()
        );
        let titles: Vec<&str> = m
            .timeline
            .buckets
            .iter()
            .map(|b| b.start.as_str())
            .collect();
        for &i in &detailed {
            let e = &m.endpoints[i];
            let _ = write!(
                out,
                "<details class=\"drill\" id=\"ep-{i}\"><summary>{} <span class=\"mono\">{}</span> — {} requests{} <a href=\"#row-{i}\">row</a></summary><div class=\"cols\"><div><table><thead><tr><th>Status</th><th class=\"n\">Requests</th><th class=\"n\">Share</th></tr></thead><tbody>",
                h(&e.method),
                h(&e.route),
                thousands(e.count),
                if flagged.contains(&i) { " · has a finding" } else { "" }
            );
            let mut codes: Vec<(&String, &u64)> = e.by_status.iter().collect();
            codes.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
            for (code, n) in codes {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    h(code),
                    thousands(*n),
                    pct(*n, e.count)
                );
            }
            out.push_str("</tbody></table></div><div><b>Latency</b>");
            if let Some(l) = &e.latency_ms {
                let _ = write!(
                    out,
                    " <span class=\"muted\">p50 {} · p95 {} · p99 {} · max {} ms{}</span>",
                    h(&l.show(l.p50)),
                    h(&l.show(l.p95)),
                    h(&l.show(l.p99)),
                    h(&l.show(l.max)),
                    if l.resolution_ms.is_some() {
                        " (logged in whole seconds)"
                    } else {
                        ""
                    }
                );
            }
            histogram_svg(&mut out, &e.detail.latency_bins);
            out.push_str("</div></div>");
            if !titles.is_empty() {
                let mut totals = vec![[0u64; 6]; titles.len()];
                for (k, c) in &e.detail.series {
                    if let Some(slot) = totals.get_mut(*k) {
                        *slot = *c;
                    }
                }
                bars_svg(
                    &mut out,
                    &format!("ep-{i}-timeline"),
                    &totals,
                    &titles,
                    &[],
                    140.0,
                    "The endpoint's status mix over time",
                );
            }
            out.push_str("</details>");
        }
        out.push_str("</section>");

        out.push_str("<section id=\"latency\"><h2>Latency of the busiest endpoints</h2>");
        latency_svg(m, &mut out);
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

        let mut rule_ids: Vec<&str> = m.findings.iter().map(|f| f.rule.as_str()).collect();
        rule_ids.sort_unstable();
        rule_ids.dedup();
        if !rule_ids.is_empty() {
            out.push_str("<section id=\"rules\"><h2>Rules of these findings</h2>");
            for id in rule_ids {
                let Some(rule) = crate::rules::find(id) else {
                    continue;
                };
                let meta = rule.meta();
                let _ = write!(
                    out,
                    "<details class=\"drill\" id=\"rule-{}\"><summary><code>{}</code> ({}) — {}</summary>{}</details>",
                    h(meta.id),
                    h(meta.id),
                    h(meta.code),
                    prose(meta.summary),
                    docs_html(&crate::rules::render_docs(meta))
                );
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

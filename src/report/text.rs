//! `--format text` (the default): the summary an SRE reads first. Colour only when asked
//! (the caller decides from `--color` and whether stdout is a terminal); every log-sourced string
//! goes through [`sanitize`](super::escape::sanitize).

use std::io::Write;

use super::escape::{clip, display_width, fit_line, sanitize};
use super::{figure_label, pct, thousands, Render, ReportModel};
use crate::rules::{Confidence, Severity};

/// Text renderer.
#[derive(Debug, Default)]
pub struct TextRenderer {
    /// Use ANSI colours.
    pub color: bool,
    /// Endpoints listed.
    pub top: usize,
    /// Columns available (the terminal's width, or [`DEFAULT_WIDTH`] off a terminal). No line
    /// of the report is wider.
    pub width: usize,
    /// Order of the endpoint table.
    pub sort: SortKey,
}

/// Orders of the text report's endpoint table (`--sort`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    /// Most requests first (the report's own order).
    #[default]
    Count,
    /// Most 5xx responses first.
    Server,
    /// Most 4xx responses first.
    Client,
    /// Slowest p99 first (endpoints without durations last).
    P99,
}

/// Width of a text report written to a file: wide enough for every column.
pub const DEFAULT_WIDTH: usize = 144;
/// Width on standard output when neither the terminal nor `COLUMNS` tells (a pipe).
pub const TERMINAL_WIDTH: usize = 80;

impl TextRenderer {
    /// Width of the route column: what the other columns leave, within reason.
    fn route_width(&self) -> usize {
        self.width.saturating_sub(100).clamp(24, 100)
    }

    /// Width of wrapped prose.
    fn prose_width(&self) -> usize {
        self.width.saturating_sub(8).clamp(40, 120)
    }
}

impl TextRenderer {
    fn paint(&self, text: &str, class: &str) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = match class {
            "2xx" => "32",
            "3xx" => "36",
            "4xx" => "33",
            "5xx" => "31",
            "bold" => "1",
            "dim" => "2",
            _ => return text.to_string(),
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

/// Wrap `text` at `width` columns, each line after the first indented by `indent`.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut col = 0;
    for word in text.split_whitespace() {
        let w = word.chars().count();
        if col > 0 && col + 1 + w > width {
            out.push('\n');
            out.push_str(indent);
            col = 0;
        } else if col > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += w;
    }
    out
}

impl TextRenderer {
    /// What happened over several endpoints at once, by scope (nothing when none).
    fn incidents(&self, m: &ReportModel, out: &mut dyn Write) -> std::io::Result<()> {
        if m.incidents.is_empty() {
            return Ok(());
        }
        writeln!(
            out,
            "\n{} ({})",
            self.paint("Incidents", "bold"),
            m.incidents.len()
        )?;
        for i in &m.incidents {
            let scope = sanitize(&i.scope.label());
            let when = i
                .window
                .as_ref()
                .map_or(String::new(), |w| format!(" · {} → {}", w.start, w.end));
            let head = format!("[{}] {scope}{when}", i.rule);
            writeln!(out, "  {}", wrap(&head, self.prose_width(), "      "))?;
            let share = if i.rule == "client-503-limit" {
                format!("{:.1}% of the API's {}s", i.share * 100.0, i.status)
            } else {
                format!("{:.1}% of the requests then", i.share * 100.0)
            };
            let what = format!(
                "{} × {} over {} endpoints ({share}){}; details in the findings",
                thousands(i.count),
                i.status_label(),
                thousands(i.endpoints),
                i.origin_label()
            );
            writeln!(out, "      {}", wrap(&what, self.prose_width(), "      "))?;
            if !i.what_to_do.is_empty() {
                writeln!(
                    out,
                    "      {}",
                    wrap(
                        &format!("what to do: {}", i.what_to_do),
                        self.prose_width(),
                        "      "
                    )
                )?;
            }
        }
        Ok(())
    }

    fn findings(&self, m: &ReportModel, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "\n{} ({})",
            self.paint("Findings", "bold"),
            m.findings.len()
        )?;
        if m.findings.is_empty() {
            writeln!(out, "  none")?;
        }
        for sev in [Severity::Error, Severity::Warning, Severity::Info] {
            let group: Vec<_> = m.findings.iter().filter(|f| f.severity == sev).collect();
            if group.is_empty() {
                continue;
            }
            let class = match sev {
                Severity::Error => "5xx",
                Severity::Warning => "4xx",
                Severity::Info => "3xx",
            };
            writeln!(
                out,
                "  {}",
                self.paint(
                    &format!("{} ({})", sev.as_str().to_uppercase(), group.len()),
                    class
                )
            )?;
            for f in group {
                let rec = if !f.recommended_status.is_empty()
                    && f.recommended_status == [f.observed_status]
                {
                    format!(
                        "{} (the code is right; the behaviour is not)",
                        f.observed_status
                    )
                } else {
                    f.recommended_text("/")
                };
                let tag = format!("[{}]", f.rule);
                let what = format!(
                    "{} → {}  ({} requests, {:.1}%, {} confidence)",
                    f.observed_status,
                    rec,
                    thousands(f.count),
                    f.share * 100.0,
                    match f.confidence {
                        Confidence::Low => "low",
                        Confidence::Medium => "medium",
                        Confidence::High => "high",
                    }
                );
                let method = clip(&sanitize(&f.method), 7);
                let route = sanitize(&f.shown_route());
                // One line when it fits, else the endpoint on one and the verdict below it.
                let fixed = 2 + display_width(&tag) + 1 + display_width(&method) + 1 + 2;
                if fixed + display_width(&route) + display_width(&what) <= self.width {
                    writeln!(
                        out,
                        "  {} {method} {route}  {what}",
                        self.paint(&tag, "bold"),
                    )?;
                } else {
                    let room = self.width.saturating_sub(fixed - 2).max(16);
                    writeln!(
                        out,
                        "  {} {method} {}",
                        self.paint(&tag, "bold"),
                        clip(&route, room)
                    )?;
                    writeln!(out, "      {}", wrap(&what, self.prose_width(), "        "))?;
                }
                writeln!(
                    out,
                    "      {}",
                    wrap(&sanitize(&f.message), self.prose_width(), "      ")
                )?;
                let figures: Vec<String> = f
                    .evidence
                    .figures
                    .iter()
                    .filter_map(|(k, v)| figure_label(k, v))
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect();
                if !figures.is_empty() {
                    writeln!(
                        out,
                        "      {}",
                        self.paint(
                            &wrap(
                                &sanitize(&figures.join(" · ")),
                                self.prose_width(),
                                "      "
                            ),
                            "dim"
                        )
                    )?;
                }
                if let Some(w) = &f.evidence.time_window {
                    writeln!(out, "      window: {} → {}", w.start, w.end)?;
                }
                if !f.evidence.samples.is_empty() {
                    writeln!(
                        out,
                        "      {}",
                        wrap(
                            &format!("samples: {}", compact_sources(&f.evidence.samples)),
                            self.prose_width(),
                            "        "
                        )
                    )?;
                }
                for l in &f.evidence.lines {
                    // The samples line names the file in full; the file name is enough here.
                    let source = sanitize(
                        l.source
                            .rsplit_once(['/', '\\'])
                            .map_or(l.source.as_str(), |(_, name)| name),
                    );
                    let room = self
                        .width
                        .saturating_sub(display_width(&source) + 10)
                        .max(20);
                    writeln!(
                        out,
                        "        {}  {}",
                        self.paint(&source, "dim"),
                        clip(&sanitize(&l.text), room)
                    )?;
                }
            }
        }
        Ok(())
    }

    fn noise(&self, m: &ReportModel, out: &mut dyn Write) -> std::io::Result<()> {
        let n = &m.noise;
        if n.scanner_count == 0 {
            return Ok(());
        }
        writeln!(
            out,
            "\n{}",
            self.paint("Scanner noise (kept out of the findings)", "bold")
        )?;
        let intro = format!(
            "{} client{} probed for paths that do not exist; {} endpoint{} ({} requests) were touched only by them",
            thousands(n.scanner_count as u64),
            if n.scanner_count == 1 { "" } else { "s" },
            thousands(n.endpoints),
            if n.endpoints == 1 { "" } else { "s" },
            thousands(n.requests)
        );
        writeln!(out, "  {}", wrap(&intro, self.prose_width(), "  "))?;
        for sc in n.scanners.iter().take(10) {
            writeln!(
                out,
                "  {:<40} {:>8} misses on {}{} endpoints",
                clip(&sanitize(&sc.client), 40),
                thousands(sc.misses),
                sc.distinct_endpoints,
                if sc.distinct_endpoints >= 64 { "+" } else { "" }
            )?;
        }
        Ok(())
    }
}

impl TextRenderer {
    fn api(&self, m: &ReportModel, out: &mut dyn Write) -> std::io::Result<()> {
        let Some(a) = &m.api else {
            return Ok(());
        };
        writeln!(
            out,
            "\n{}",
            self.paint(&format!("API spec: {}", sanitize(&a.spec)), "bold")
        )?;
        writeln!(out, "  {}", wrap(&a.headline(), self.prose_width(), "  "))?;
        let rw = self.route_width();
        if !a.undocumented.is_empty() {
            writeln!(
                out,
                "  Undocumented endpoints (busiest {} of {}):",
                a.undocumented.len().min(10),
                thousands(a.undocumented_endpoints as u64)
            )?;
            for u in a.undocumented.iter().take(10) {
                writeln!(
                    out,
                    "    {:<7} {:<rw$} {:>10}  {}{}",
                    clip(&sanitize(&u.method), 7),
                    clip(&sanitize(&u.route), rw),
                    thousands(u.count),
                    u.top_codes(),
                    if u.route_declared {
                        "  (route declared, method not)"
                    } else {
                        ""
                    }
                )?;
            }
        }
        if !a.untouched.is_empty() {
            writeln!(
                out,
                "  Declared operations without traffic ({}):",
                thousands(a.untouched.len() as u64)
            )?;
            for o in a.untouched.iter().take(20) {
                writeln!(
                    out,
                    "    {:<7} {}",
                    sanitize(&o.method),
                    clip(&sanitize(&o.route), rw)
                )?;
            }
            if a.untouched.len() > 20 {
                writeln!(
                    out,
                    "    … {} more in the JSON report",
                    thousands(a.untouched.len() as u64 - 20)
                )?;
            }
            if m.summary.routes.folded_lines > 0 {
                writeln!(
                    out,
                    "    (route cap reached: some may have had requests counted under (other))"
                )?;
            }
        }
        Ok(())
    }
}

/// A column of the endpoint table after method and route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Requests,
    /// Share of a status class (2 = 2xx …).
    Class(usize),
    P50,
    P95,
    P99,
    TopCodes,
}

/// Every column, in table order.
const COLUMNS: [Column; 9] = [
    Column::Requests,
    Column::Class(2),
    Column::Class(3),
    Column::Class(4),
    Column::Class(5),
    Column::P50,
    Column::P95,
    Column::P99,
    Column::TopCodes,
];

/// What goes first as the width shrinks.
const DROP_ORDER: [Column; 4] = [Column::TopCodes, Column::Class(3), Column::P50, Column::P95];

impl Column {
    fn title(self) -> &'static str {
        match self {
            Column::Requests => "REQUESTS",
            Column::Class(2) => "2xx",
            Column::Class(3) => "3xx",
            Column::Class(4) => "4xx",
            Column::Class(_) => "5xx",
            Column::P50 => "p50 ms",
            Column::P95 => "p95 ms",
            Column::P99 => "p99 ms",
            Column::TopCodes => " top codes",
        }
    }

    fn width(self) -> usize {
        match self {
            Column::Requests => 10,
            Column::Class(_) => 6,
            Column::P50 | Column::P95 | Column::P99 => 9,
            Column::TopCodes => 28,
        }
    }

    /// The cell of `e`, aligned to the column's width (`classes`: its class counts).
    fn cell(self, e: &super::Endpoint, classes: &[u64; 6]) -> String {
        let w = self.width();
        match self {
            Column::Requests => format!("{:>w$}", thousands(e.count)),
            Column::Class(c) => format!("{:>w$}", pct(classes[c], e.count)),
            Column::P50 => format!("{:>w$}", e.latency_cell(|l| l.p50)),
            Column::P95 => format!("{:>w$}", e.latency_cell(|l| l.p95)),
            Column::P99 => format!("{:>w$}", e.latency_cell(|l| l.p99)),
            Column::TopCodes => {
                let top: Vec<String> = super::busiest_codes(&e.by_status, 4)
                    .iter()
                    .map(|(c, n)| format!("{c}×{}", thousands(*n)))
                    .collect();
                clip(&format!(" {}", top.join(" ")), w)
            }
        }
    }
}

impl TextRenderer {
    /// The endpoint table's columns that fit the width with a route column of at least 24
    /// characters, dropping [`DROP_ORDER`] as the width shrinks.
    fn endpoint_columns(&self) -> Vec<Column> {
        let mut cols = COLUMNS.to_vec();
        let fits = |cols: &[Column]| {
            10 + 24 + cols.iter().map(|c| c.width() + 1).sum::<usize>() <= self.width
        };
        for drop in DROP_ORDER {
            if fits(&cols) {
                break;
            }
            cols.retain(|c| *c != drop);
        }
        cols
    }
}

/// `file:9, file:47, other:3` → `file: 9, 47; other: 3` (each file named once), sanitised.
fn compact_sources(sources: &[String]) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for s in sources {
        let (file, line) = s.rsplit_once(':').unwrap_or((s.as_str(), ""));
        match groups.last_mut() {
            Some((f, lines)) if *f == file => lines.push(line),
            _ => groups.push((file, vec![line])),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(f, lines)| format!("{}: {}", sanitize(f), lines.join(", ")))
        .collect();
    parts.join("; ")
}

impl Render for TextRenderer {
    /// The report, every line fitted into the width (clipped with `…` where the layout alone
    /// does not keep it narrower: a long file name, a reject sample).
    fn render(&self, m: &ReportModel, out: &mut dyn Write) -> std::io::Result<()> {
        let mut buf = Vec::new();
        self.render_lines(m, &mut buf)?;
        let text = String::from_utf8_lossy(&buf);
        for line in text.lines() {
            writeln!(out, "{}", fit_line(line, self.width))?;
        }
        Ok(())
    }
}

impl TextRenderer {
    /// The endpoints of the table ([`super::table_endpoints`]) in `--sort` order (ties: the
    /// report's order), and the title's note on those left out.
    fn sorted_endpoints<'m>(&self, m: &'m ReportModel) -> (Vec<&'m super::Endpoint>, String) {
        let (mut list, left_out) = super::table_endpoints(m);
        let class = |e: &super::Endpoint, c: usize| super::class_counts(&e.by_status)[c];
        match self.sort {
            SortKey::Count => {}
            SortKey::Server => list.sort_by_key(|e| std::cmp::Reverse(class(e, 5))),
            SortKey::Client => list.sort_by_key(|e| std::cmp::Reverse(class(e, 4))),
            SortKey::P99 => list.sort_by(|a, b| {
                let p = |e: &super::Endpoint| e.latency_ms.as_ref().map_or(-1.0, |l| l.p99);
                p(b).total_cmp(&p(a))
            }),
        }
        (list, left_out)
    }

    fn render_lines(&self, m: &ReportModel, out: &mut dyn Write) -> std::io::Result<()> {
        let s = &m.summary;
        let formats: Vec<String> = s
            .formats
            .iter()
            .map(|(f, n)| {
                format!(
                    "{} ({n} file{})",
                    sanitize(f),
                    if *n == 1 { "" } else { "s" }
                )
            })
            .collect();
        writeln!(out, "{}", self.paint("statuslens report", "bold"))?;
        writeln!(
            out,
            "  {} lines in {} file{}; parsed {} ({:.2}%), rejected {}, blank {}",
            thousands(s.lines),
            s.files.len(),
            if s.files.len() == 1 { "" } else { "s" },
            thousands(s.parsed),
            s.parse_rate * 100.0,
            thousands(s.rejected),
            thousands(s.skipped)
        )?;
        if s.out_of_window > 0 {
            writeln!(
                out,
                "  {} parsed lines left out by --since/--until or --host",
                thousands(s.out_of_window)
            )?;
        }
        match &s.time_range {
            Some(t) => writeln!(out, "  time range: {} → {}", t.start, t.end)?,
            None if s.out_of_window > 0 => writeln!(
                out,
                "  time range: none inside --since/--until ({} requests fall outside it)",
                thousands(s.out_of_window)
            )?,
            None => writeln!(out, "  time range: none (no line has a timestamp)")?,
        }
        if !formats.is_empty() {
            writeln!(out, "  formats: {}", formats.join(", "))?;
        }
        if s.routes.folded_lines > 0 {
            writeln!(
                out,
                "  route cap {} reached: {} requests on {}{} rare routes counted under (other)",
                thousands(s.routes.cap as u64),
                thousands(s.routes.folded_lines),
                if s.routes.folded_routes_estimated {
                    "~"
                } else {
                    ""
                },
                thousands(s.routes.folded_routes)
            )?;
            if s.routes.fold_error > 0 {
                writeln!(
                    out,
                    "  counts shown may miss up to {} requests each (counted under (other) before the endpoint proved frequent)",
                    thousands(s.routes.fold_error)
                )?;
            }
        }

        if s.routes.clients_untracked > 0 {
            writeln!(
                out,
                "  client cap reached: {} misses/throttles of further clients not classified (scanner noise is approximate)",
                thousands(s.routes.clients_untracked)
            )?;
        }
        if s.routes.minutes_dropped > 0 {
            writeln!(
                out,
                "  {} requests left out of the timeline (an endpoint spans more minutes than kept)",
                thousands(s.routes.minutes_dropped)
            )?;
        }

        let total: u64 = s.by_class.values().sum();
        writeln!(out, "\n{}", self.paint("Status classes", "bold"))?;
        for (class, n) in &s.by_class {
            let bar = "█".repeat(((*n as f64 / total.max(1) as f64) * 40.0).round() as usize);
            writeln!(
                out,
                "  {:<5} {:>12} {:>7}  {}",
                self.paint(class, class),
                thousands(*n),
                pct(*n, total),
                self.paint(&bar, class)
            )?;
        }
        let codes: Vec<String> = super::busiest_codes(&s.by_status, 12)
            .iter()
            .map(|(c, n)| format!("{c}: {}", thousands(*n)))
            .collect();
        writeln!(
            out,
            "  {}",
            wrap(
                &format!("codes: {}", codes.join(", ")),
                self.width.saturating_sub(4).max(40),
                "    "
            )
        )?;

        self.incidents(m, out)?;
        self.findings(m, out)?;
        self.noise(m, out)?;
        self.api(m, out)?;

        let (listed, left_out) = self.sorted_endpoints(m);
        let shown = listed.len().min(self.top);
        let flagged: std::collections::HashSet<(&str, String)> = m
            .findings
            .iter()
            .map(|f| (f.method.as_str(), f.shown_route()))
            .collect();
        let order = match self.sort {
            SortKey::Count => "",
            SortKey::Server => ", most 5xx first",
            SortKey::Client => ", most 4xx first",
            SortKey::P99 => ", slowest p99 first",
        };
        writeln!(
            out,
            "\n{} ({} of {}{order}{left_out}{})",
            self.paint("Top endpoints", "bold"),
            shown,
            listed.len(),
            if flagged.is_empty() {
                ""
            } else {
                "; * has a finding"
            }
        )?;
        let cols = self.endpoint_columns();
        let rw = self
            .width
            .saturating_sub(cols.iter().map(|c| c.width() + 1).sum::<usize>() + 10)
            .clamp(16, 100);
        let mut head = format!("  {:<7} {:<rw$}", "METHOD", "ROUTE");
        for c in &cols {
            let w = c.width();
            match c {
                Column::TopCodes => head.push_str(&format!(" {:<w$}", c.title())),
                _ => head.push_str(&format!(" {:>w$}", c.title())),
            }
        }
        writeln!(out, "{}", head.trim_end())?;
        for e in listed.into_iter().take(self.top) {
            let classes = super::class_counts(&e.by_status);
            let route = clip(&sanitize(&e.shown_route()), rw);
            // Padding by display width: a route with wide characters keeps the columns aligned.
            let pad = rw.saturating_sub(display_width(&route));
            let mark = if flagged.contains(&(e.method.as_str(), e.shown_route())) {
                "*"
            } else {
                " "
            };
            let mut row = format!(
                "{mark} {:<7} {route}{:pad$}",
                clip(&sanitize(&e.method), 7),
                ""
            );
            for c in &cols {
                row.push(' ');
                row.push_str(&c.cell(e, &classes));
            }
            writeln!(out, "{}", row.trim_end())?;
        }

        if !m.rejects.by_reason.is_empty() {
            writeln!(out, "\n{}", self.paint("Rejected lines", "bold"))?;
            for (reason, n) in &m.rejects.by_reason {
                writeln!(out, "  {reason:<16} {:>10}", thousands(*n))?;
                for smp in m.rejects.samples.iter().filter(|x| &x.reason == reason) {
                    writeln!(
                        out,
                        "      {}  {}",
                        sanitize(&smp.source),
                        self.paint(&clip(&sanitize(&smp.snippet), 100), "dim")
                    )?;
                }
            }
        }
        if !m.errors.is_empty() {
            writeln!(out, "\n{}", self.paint("Input problems", "bold"))?;
            for e in &m.errors {
                writeln!(out, "  {}: {}", sanitize(&e.file), sanitize(&e.message))?;
            }
        }
        if !m.findings.is_empty() {
            writeln!(
                out,
                "\n{}",
                self.paint(
                    "`statuslens rules RULE` explains a finding's rule; `statuslens codes CODE` a status code.",
                    "dim"
                )
            )?;
        }
        Ok(())
    }
}

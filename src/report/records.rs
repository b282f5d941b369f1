//! `statuslens records`: one normalized record (SPEC §3) as one JSON object per line.
//! Text fields are shown as logged (escapes kept) for text formats and JSON-decoded for JSON
//! formats; invalid UTF-8 becomes U+FFFD.

use serde::Serialize;

use crate::format::{Escape, Record};
use crate::route::Normalizer;

/// The JSON shape of a record.
#[derive(Debug, Serialize)]
pub struct RecordJson {
    /// RFC 3339 UTC.
    pub time: Option<String>,
    /// Method.
    pub method: Option<String>,
    /// Path as logged, query included.
    pub path: Option<String>,
    /// Route template.
    pub route: String,
    /// Status.
    pub status: Option<u16>,
    /// Upstream status.
    pub origin_status: Option<u16>,
    /// `app`, `gateway` or `unknown`.
    pub origin: &'static str,
    /// Bytes.
    pub bytes: Option<u64>,
    /// Duration in ms.
    pub duration_ms: Option<f64>,
    /// Client.
    pub client: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// Credentials present.
    pub authenticated: Option<bool>,
    /// Error marker.
    pub error_marker: Option<String>,
    /// Host the request was for.
    pub host: Option<String>,
    /// The referring page, when logged.
    pub referer: Option<String>,
    /// Format-specific fields (ALB `error_reason`, CloudFront result types …).
    pub details: std::collections::BTreeMap<&'static str, String>,
    /// `file:line`.
    pub source: String,
    /// Format that parsed the line.
    pub format: String,
}

impl RecordJson {
    /// Build from a parsed record.
    pub fn new(rec: &Record<'_>, routes: &Normalizer, source: String, format: &str) -> RecordJson {
        let text = |v: Option<&[u8]>| {
            v.map(|b| {
                if matches!(rec.escape, Escape::Json | Escape::Url | Escape::Plus) {
                    String::from_utf8_lossy(&rec.decoded(b)).into_owned()
                } else {
                    String::from_utf8_lossy(b).into_owned()
                }
            })
        };
        let mut route = Vec::new();
        routes.record_route(rec, &mut route);
        let route = String::from_utf8_lossy(&route).into_owned();
        RecordJson {
            time: rec.time_ms.map(super::rfc3339),
            method: text(rec.method),
            // The path as requested: JSON string escapes decoded (they are the log's encoding,
            // not the request's), percent-encoding kept; a query logged apart (CloudFront) is
            // joined back on.
            path: rec.path.map(|p| {
                let p = if rec.escape == Escape::Json {
                    rec.decoded(p)
                } else {
                    std::borrow::Cow::Borrowed(p)
                };
                match rec.query {
                    Some(q) => format!(
                        "{}?{}",
                        String::from_utf8_lossy(&p),
                        String::from_utf8_lossy(q)
                    ),
                    None => String::from_utf8_lossy(&p).into_owned(),
                }
            }),
            route,
            status: rec.status,
            origin_status: rec.origin_status,
            origin: rec.origin.as_str(),
            bytes: rec.bytes,
            duration_ms: rec.duration_us.map(|us| us as f64 / 1000.0),
            client: text(rec.client),
            user_agent: text(rec.user_agent),
            referer: text(rec.referer),
            authenticated: rec.authenticated,
            error_marker: text(rec.error_marker),
            host: text(rec.host),
            details: rec
                .details
                .iter()
                .map(|(k, v)| (k, String::from_utf8_lossy(v).into_owned()))
                .collect(),
            source,
            format: format.to_string(),
        }
    }
}

/// The `records` printer: a [`Sink`](crate::pipeline::Sink) that writes each parsed line as one
/// JSON object with its `file:line` source. It stops the read at the first write error, which
/// it keeps for the caller (a closed pipe is the reader having seen enough).
pub struct RecordsSink<'a, W: std::io::Write> {
    /// Where the lines go.
    pub out: W,
    /// The run's route normaliser.
    pub routes: &'a Normalizer,
    /// The current file's name and format.
    pub file: (String, String),
    /// Lines of the current file before the current chunk.
    pub line_base: u64,
    /// `--since`/`--until` (`--last`): records outside are not printed.
    pub window: Option<(i64, i64)>,
    /// `--host`: records for other hosts are not printed.
    pub hosts: Option<&'a crate::aggregate::HostFilter>,
    /// The first write error.
    pub error: Option<std::io::Error>,
}

impl<W: std::io::Write> crate::pipeline::Sink for RecordsSink<'_, W> {
    fn record(
        &mut self,
        rec: &Record<'_>,
        pos: crate::aggregate::Pos,
        switched: Option<&'static str>,
    ) -> bool {
        if let Some((since, until)) = self.window {
            if !rec.time_ms.is_some_and(|t| t >= since && t < until) {
                return true;
            }
        }
        if self.hosts.is_some_and(|f| !f.matches(rec.host)) {
            return true;
        }
        let source = format!(
            "{}:{}",
            self.file.0,
            self.line_base + u64::from(pos.line) + 1
        );
        let r = RecordJson::new(rec, self.routes, source, switched.unwrap_or(&self.file.1));
        let res = serde_json::to_writer(&mut self.out, &r)
            .map_err(std::io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"));
        match res {
            Ok(()) => true,
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    fn reject(&mut self, _: crate::format::RejectKind, _: crate::aggregate::Pos, _: &[u8]) {}
}

/// Print the records of `logs` to `out`, one JSON object a line, reading the files in order.
/// Returns what happened to each file, and the first write error (a closed pipe included: the
/// caller decides whether that matters).
pub fn print<W: std::io::Write>(
    logs: &[crate::input::Input],
    opts: &crate::pipeline::RunOptions,
    out: W,
) -> (Vec<crate::aggregate::FileInfo>, std::io::Result<()>) {
    let mut sink = RecordsSink {
        out,
        routes: &opts.routes,
        file: (String::new(), String::new()),
        line_base: 0,
        window: opts.window,
        hosts: opts.hosts.as_ref(),
        error: None,
    };
    let infos = crate::pipeline::scan_inputs(
        logs,
        opts,
        &mut sink,
        &mut |s, _, info| {
            s.file = (info.name.clone(), info.format.clone().unwrap_or_default());
            s.line_base = 0;
        },
        &mut |s, counts| s.line_base += counts.lines,
    );
    let flushed = sink.out.flush();
    (infos, sink.error.map_or(flushed, Err))
}

/// Split what discovery found for `statuslens records` into the logs to print and the problems
/// to report: paths that could not be read, and partial aggregates (they hold no lines).
pub fn logs_of(
    found: crate::input::discover::Discovered,
) -> (Vec<crate::input::Input>, Vec<String>) {
    let mut problems: Vec<String> = found
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.path, e.message))
        .collect();
    let (partials, logs): (Vec<_>, Vec<_>) = found
        .inputs
        .into_iter()
        .partition(crate::pipeline::is_partial_input);
    problems.extend(partials.iter().map(|p| {
        format!(
            "{}: is a partial aggregate, which has no lines to print; give it to `statuslens report`",
            p.name()
        )
    }));
    (logs, problems)
}

/// [`print`], with the files that could not be read as problems (`file: error`).
pub fn print_logs<W: std::io::Write>(
    logs: &[crate::input::Input],
    opts: &crate::pipeline::RunOptions,
    out: W,
) -> (Vec<String>, std::io::Result<()>) {
    let (infos, written) = print(logs, opts, out);
    let problems = infos
        .iter()
        .filter_map(|f| Some(format!("{}: {}", f.name, f.error.as_deref()?)))
        .collect();
    (problems, written)
}

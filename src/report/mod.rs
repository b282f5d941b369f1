//! The report model (one serialisable [`ReportModel`] built from the merged aggregate) and its
//! renderers. Renderers write to `&mut dyn Write`, never to stdout directly.
//!
//! # JSON report (`--format json`), schema version 1
//!
//! ```text
//! {
//!   "schema_version": 2,
//!   "summary": {
//!     "lines", "parsed", "rejected", "skipped", "out_of_window": integers,
//!     "parse_rate": parsed / (lines - skipped), 0..1,
//!     "by_status": {"200": n, …, "none": n},   "by_class": {"2xx": n, …, "none": n},
//!     "time_range": {"start": RFC 3339, "end": RFC 3339} | null,
//!     "formats": {"combined": files, …},
//!     "files": [{"name", "format", "compression", "lines", "parsed", "rejected", "skipped", "error"}],
//!     "routes": {"distinct", "cap", "folded_routes", "folded_lines", "minutes_dropped",
//!                "clients_untracked"}
//!   },
//!   "endpoints": [{"method", "route", "count", "by_status": {…},
//!                  "latency_ms": {"count", "p50", "p95", "p99", "max"} | null,
//!                  "bytes": {"count", "total", "mean", "kind": "body" | "total" | "mixed"} | null,
//!                  "first_seen", "last_seen", "origin": {"app", "gateway", "unknown"},
//!                  "error_marked", "documented" (only with --openapi)}],
//!                                               sorted by count desc, then route, then method
//!   "timeline": {"bucket_seconds", "buckets": [{"start", "1xx", "2xx", "3xx", "4xx", "5xx", "none"}]},
//!   "findings": [{"rule", "code", "severity": "info" | "warning" | "error",
//!                 "confidence": "low" | "medium" | "high", "method", "route",
//!                 "observed_status", "recommended_status": [codes, best first; empty = triage],
//!                 "count", "share": count / endpoint requests, "message",
//!                 "evidence": {"figures": {name: number | string | [values]},
//!                              "time_window": {"start", "end"} | null,
//!                              "samples": ["file:line", …up to 5]}}],
//!                                                 sorted by severity (highest first), route, method, rule
//!   "incidents": [{"rule", "code", "finding": index into findings, "severity",
//!                  "scope": {"kind": "site" | "host" | "upstream" | "client", "name"},
//!                  "window": {"start", "end"} | null, "status", "count", "share",
//!                  "endpoints", "what_to_do"}],          the incident rules' findings, summarised
//!   "noise": {"scanners": [{"client", "misses", "distinct_endpoints"}] (top 20),
//!             "scanner_count", "endpoints", "requests"},   kept out of every rule
//!   "api": {"spec": file, "operations", "operations_with_traffic", "documented_requests",
//!           "undocumented_requests", "undocumented_endpoints",
//!           "undocumented": [{"method", "route", "route_declared", "count", "by_status"}] (top 100),
//!           "undocumented_by_class": {"4xx": n, …},
//!           "untouched": [{"method", "route"}]},        only with --openapi
//!   "rejects": {"by_reason": {"truncated": n, …}, "samples": [{"reason", "source", "snippet"}]},
//!   "errors": [{"file", "message"}]
//! }
//! ```
//! Keys are snake_case and stable; strings from logs are lossy UTF-8 (invalid bytes → U+FFFD).

pub mod api;
/// Escaping and clipping of log text (lives below the report layer; re-exported for renderers).
pub use crate::escape;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod records;
pub mod samples;
pub mod text;

use std::collections::BTreeMap;

use serde::Serialize;

pub use crate::aggregate::host_route;
use crate::aggregate::{class_index, max_opt, min_opt, Aggregate, EndpointKey, EndpointStats, Pos};
use crate::pipeline::RunOutput;
use crate::rules::{Confidence, Finding, Noise, Scanner, Severity};

/// JSON schema version of [`ReportModel`].
pub const SCHEMA_VERSION: u32 = 2;

pub use crate::format::time::rfc3339;

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct ReportModel {
    /// See [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// What produced the report, and with which options.
    pub producer: Producer,
    /// Totals.
    pub summary: Summary,
    /// Per (method, route).
    pub endpoints: Vec<Endpoint>,
    /// Status classes over time.
    pub timeline: Timeline,
    /// Findings of the rule catalogue.
    pub findings: Vec<FindingReport>,
    /// What happened over several endpoints in one stretch of time, by the scope that explains
    /// it (the findings of the incident rules, summarised).
    pub incidents: Vec<Incident>,
    /// Scanner noise, kept out of the rules.
    pub noise: NoiseReport,
    /// The API against its OpenAPI document (`--openapi` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<api::ApiReport>,
    /// Rejected lines.
    pub rejects: Rejects,
    /// Inputs that could not be read completely.
    pub errors: Vec<InputError>,
}

/// What produced a report: the tool, its version and the options that shaped the result. No
/// wall-clock time, so the same inputs and options give the same report.
#[derive(Clone, Debug, Serialize)]
pub struct Producer {
    /// `statuslens`.
    pub tool: &'static str,
    /// The tool's version.
    pub version: &'static str,
    /// The effective options.
    pub options: Options,
}

impl Default for Producer {
    fn default() -> Self {
        Producer {
            tool: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            options: Options::default(),
        }
    }
}

/// The options of a run that change its report.
#[derive(Clone, Debug, Serialize, Default, PartialEq)]
pub struct Options {
    /// `--log-format` as given (`auto` when detected per file).
    pub log_format: String,
    /// The configuration file read, if any.
    pub config: Option<String>,
    /// The OpenAPI document, if any.
    pub openapi: Option<String>,
    /// Start of the time window (RFC 3339), if any: `--since`, or `--last` resolved against
    /// the data.
    pub since: Option<String>,
    /// End of the time window (RFC 3339, exclusive), if any.
    pub until: Option<String>,
    /// Most endpoints kept (`--route-cap`).
    pub route_cap: usize,
    /// Route templates given (`--route` and the configuration's `routes`).
    pub routes: Vec<String>,
    /// `--include` globs.
    pub include: Vec<String>,
    /// `--exclude` globs.
    pub exclude: Vec<String>,
    /// `--host` patterns (requests for other hosts are left out).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// `--shard I/N`, if any.
    pub shard: Option<String>,
    /// Routes no rule reports (the configuration's `ignore_routes`).
    pub ignore_routes: Vec<String>,
    /// Rules whose settings differ from the defaults (configuration or `--rule`), with their
    /// effective settings.
    pub rules: BTreeMap<String, RuleOptions>,
}

/// A rule's effective settings, when they differ from the defaults.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RuleOptions {
    /// Whether it ran.
    pub enabled: bool,
    /// Severity, when overridden.
    pub severity: Option<Severity>,
    /// Every threshold with its value.
    pub thresholds: BTreeMap<String, f64>,
    /// Routes it does not report.
    pub ignore_routes: Vec<String>,
}

impl Options {
    /// Fill in what `cfg` and the run decide: the window, the cap, the rule overrides.
    pub fn complete(
        &mut self,
        rules: &crate::rules::RulesConfig,
        window: Option<(i64, i64)>,
        route_cap: usize,
    ) {
        let (since, until) = window.unwrap_or((i64::MIN, i64::MAX));
        self.since = (since != i64::MIN).then(|| rfc3339(since));
        self.until = (until != i64::MAX).then(|| rfc3339(until));
        self.route_cap = route_cap;
        self.ignore_routes = rules
            .ignore_routes
            .iter()
            .map(|p| p.as_str().to_string())
            .collect();
        let defaults = crate::rules::RulesConfig::default();
        self.rules = rules
            .rules
            .iter()
            .filter(|(id, s)| defaults.rules.get(*id) != Some(*s))
            .map(|(id, s)| {
                (
                    (*id).to_string(),
                    RuleOptions {
                        enabled: s.enabled,
                        severity: s.severity,
                        thresholds: s
                            .thresholds
                            .iter()
                            .map(|(k, v)| ((*k).to_string(), *v))
                            .collect(),
                        ignore_routes: s
                            .ignore_routes
                            .iter()
                            .map(|p| p.as_str().to_string())
                            .collect(),
                    },
                )
            })
            .collect();
    }
}

/// Time range of the requests.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TimeRange {
    /// Earliest request.
    pub start: String,
    /// Latest request.
    pub end: String,
}

/// Route-table figures.
#[derive(Clone, Debug, Serialize)]
pub struct RouteTotals {
    /// Distinct (method, route) endpoints in the report.
    pub distinct: usize,
    /// The cap.
    pub cap: usize,
    /// Distinct endpoints with requests counted under `(other)`.
    pub folded_routes: u64,
    /// Whether `folded_routes` is an estimate (past a few thousand it is a HyperLogLog count).
    pub folded_routes_estimated: bool,
    /// Relative standard error of `folded_routes` when estimated (0 when exact).
    pub folded_routes_error: f64,
    /// Requests counted under `(other)` (exact).
    pub folded_lines: u64,
    /// Most requests of any endpoint shown that were counted under `(other)` instead, before the
    /// endpoint proved frequent enough to keep (0: every count shown is exact).
    pub fold_error: u64,
    /// Requests left out of the timeline because an endpoint had more distinct minutes than kept.
    pub minutes_dropped: u64,
    /// Misses and throttles of clients beyond the client table's cap: scanner classification
    /// did not see them, and with several workers or partials it may depend on the split.
    pub clients_untracked: u64,
}

/// One input's counts.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    /// Name.
    pub name: String,
    /// Format used.
    pub format: Option<String>,
    /// Compression found.
    pub compression: Option<String>,
    /// Lines read.
    pub lines: u64,
    /// Parsed.
    pub parsed: u64,
    /// Rejected.
    pub rejected: u64,
    /// Blank lines.
    pub skipped: u64,
    /// Problem reading it.
    pub error: Option<String>,
}

/// Totals over the run.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Lines read.
    pub lines: u64,
    /// Parsed.
    pub parsed: u64,
    /// Rejected.
    pub rejected: u64,
    /// Blank lines.
    pub skipped: u64,
    /// Parsed lines outside `--since`/`--until`.
    pub out_of_window: u64,
    /// parsed / (lines - skipped).
    pub parse_rate: f64,
    /// Requests per status.
    pub by_status: BTreeMap<String, u64>,
    /// Requests per status class.
    pub by_class: BTreeMap<String, u64>,
    /// Time range.
    pub time_range: Option<TimeRange>,
    /// Files per format.
    pub formats: BTreeMap<String, u64>,
    /// Per input.
    pub files: Vec<FileReport>,
    /// Route table.
    pub routes: RouteTotals,
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Latency {
    /// Requests with a logged duration.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Maximum (exact).
    pub max: f64,
    /// The durations' resolution when coarser than the log's usual milliseconds: 1000 when
    /// every one was logged in whole seconds (Apache's `%T`, truncated: `0` is under a second).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution_ms: Option<u32>,
}

impl Latency {
    /// A figure of this latency (ms) as the tables show it: one decimal, or in whole seconds
    /// `<1000` for a request under a second and the seconds' milliseconds otherwise.
    pub fn show(&self, v: f64) -> String {
        self.show_to(v, 1)
    }

    /// [`Latency::show`] to `decimals` decimals (whole seconds have none).
    pub fn show_to(&self, v: f64, decimals: usize) -> String {
        match self.resolution_ms {
            Some(r) if v < f64::from(r) => format!("<{r}"),
            Some(_) => format!("{v:.0}"),
            None => format!("{v:.decimals$}"),
        }
    }
}

/// Body size figures.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Bytes {
    /// Requests with a logged size.
    pub count: u64,
    /// Sum.
    pub total: u64,
    /// Mean.
    pub mean: f64,
    /// `body`, `total` (headers included) or `mixed`.
    pub kind: &'static str,
}

/// Who produced the statuses.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OriginCounts {
    /// The application.
    pub app: u64,
    /// The gateway itself.
    pub gateway: u64,
    /// Unknown.
    pub unknown: u64,
}

/// One endpoint.
#[derive(Clone, Debug, Serialize)]
pub struct Endpoint {
    /// Method (`-` when the request line was invalid, `*` for `(other)`).
    pub method: String,
    /// The host the requests were for: only when the input names more than one (then the same
    /// route on two hosts is two endpoints).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Route template.
    pub route: String,
    /// Requests.
    pub count: u64,
    /// Requests per status.
    pub by_status: BTreeMap<String, u64>,
    /// Latency, when durations are logged.
    pub latency_ms: Option<Latency>,
    /// Sizes, when logged.
    pub bytes: Option<Bytes>,
    /// First request.
    pub first_seen: Option<String>,
    /// Last request.
    pub last_seen: Option<String>,
    /// Who produced the statuses.
    pub origin: OriginCounts,
    /// Responses whose line carried an error marker.
    pub error_marked: u64,
    /// With `--openapi`: whether the document declares the endpoint (HEAD where GET is, and
    /// OPTIONS on a declared route, count as declared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documented: Option<bool>,
    /// Every request came from clients classified as scanners: noise, kept out of the rules
    /// (present only when true).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub scanner_only: bool,
    /// What the HTML drill-down shows besides the row (not in the JSON report, which has the
    /// percentiles).
    #[serde(skip)]
    pub detail: EndpointDetail,
}

/// An endpoint's latency histogram and own timeline, for the HTML drill-down.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EndpointDetail {
    /// Requests per latency bin: (upper bound in ms, requests), bins doubling from 0.1 ms, the
    /// empty ones at either end left out.
    pub latency_bins: Vec<(f64, u64)>,
    /// Requests per class (none, 1xx … 5xx) per bucket of the report's timeline, by bucket
    /// index (buckets without requests left out).
    pub series: Vec<(usize, [u64; 6])>,
}

/// One time bucket.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Bucket {
    /// Bucket start (RFC 3339).
    pub start: String,
    /// Counts by class.
    #[serde(rename = "1xx")]
    pub c1: u64,
    /// 2xx.
    #[serde(rename = "2xx")]
    pub c2: u64,
    /// 3xx.
    #[serde(rename = "3xx")]
    pub c3: u64,
    /// 4xx.
    #[serde(rename = "4xx")]
    pub c4: u64,
    /// 5xx.
    #[serde(rename = "5xx")]
    pub c5: u64,
    /// No status.
    pub none: u64,
}

/// Status classes over time, in at most [`MAX_BUCKETS`] buckets.
#[derive(Clone, Debug, Serialize, Default)]
pub struct Timeline {
    /// Bucket width.
    pub bucket_seconds: u64,
    /// Every bucket from the first request to the last, in time order (empty ones included).
    pub buckets: Vec<Bucket>,
    /// The first bucket's number (epoch seconds / width), to place an endpoint's own series.
    #[serde(skip)]
    pub first_key: i64,
}

/// Most timeline buckets.
pub const MAX_BUCKETS: i64 = 1440;

/// A reject sample.
#[derive(Clone, Debug, Serialize)]
pub struct RejectSample {
    /// Reason.
    pub reason: String,
    /// `file:line`.
    pub source: String,
    /// The start of the line.
    pub snippet: String,
}

/// Rejected lines.
#[derive(Clone, Debug, Serialize, Default)]
pub struct Rejects {
    /// Count per reason.
    pub by_reason: BTreeMap<String, u64>,
    /// First samples per reason.
    pub samples: Vec<RejectSample>,
}

/// An input problem.
#[derive(Clone, Debug, Serialize)]
pub struct InputError {
    /// The file.
    pub file: String,
    /// What went wrong.
    pub message: String,
}

fn status_key(code: u16) -> String {
    if code == 0 {
        "none".to_string()
    } else {
        code.to_string()
    }
}

const CLASS_NAMES: [&str; 6] = ["none", "1xx", "2xx", "3xx", "4xx", "5xx"];

fn latency(s: &EndpointStats) -> Option<Latency> {
    let d = &s.latency;
    let ms = |q: f64| {
        d.quantile_us(q)
            .map(|us| (us as f64 / 1000.0 * 1000.0).round() / 1000.0)
    };
    Some(Latency {
        count: d.len(),
        p50: ms(0.50)?,
        p95: ms(0.95)?,
        p99: ms(0.99)?,
        max: ms(1.0)?,
        resolution_ms: d.whole_seconds().then_some(1000),
    })
}

impl Endpoint {
    /// A latency figure picked by `pick` as the tables show it ([`Latency::show`]), `-`
    /// without durations.
    pub fn latency_cell(&self, pick: fn(&Latency) -> f64) -> String {
        self.latency_ms
            .as_ref()
            .map_or("-".to_string(), |l| l.show(pick(l)))
    }

    /// The route as the reports show it: with the host when they show hosts.
    pub fn shown_route(&self) -> String {
        host_route(self.host.as_deref(), &self.route)
    }
}

impl FindingReport {
    /// The route as the reports show it: with the host when they show hosts.
    pub fn shown_route(&self) -> String {
        host_route(self.host.as_deref(), &self.route)
    }
}

fn endpoint(key: &EndpointKey, s: &EndpointStats) -> Endpoint {
    let (method, route) = (key.method_str(), key.route());
    let bytes = (s.bytes_count > 0).then(|| Bytes {
        count: s.bytes_count,
        total: s.bytes_sum,
        mean: (s.bytes_sum as f64 / s.bytes_count as f64 * 10.0).round() / 10.0,
        kind: match s.bytes_total_count {
            0 => "body",
            n if n == s.bytes_count => "total",
            _ => "mixed",
        },
    });
    Endpoint {
        method: method.to_string(),
        host: None,
        route: route.to_string(),
        count: s.count,
        by_status: s
            .sorted_statuses()
            .into_iter()
            .map(|(c, n)| (status_key(c), n))
            .collect(),
        latency_ms: latency(s),
        bytes,
        first_seen: s.first_ms.map(rfc3339),
        last_seen: s.last_ms.map(rfc3339),
        origin: OriginCounts {
            app: s.origins[0],
            gateway: s.origins[1],
            unknown: s.origins[2],
        },
        error_marked: s.error_marked,
        documented: None,
        scanner_only: false,
        detail: EndpointDetail {
            latency_bins: latency_bins(s),
            series: Vec::new(),
        },
    }
}

/// The latency histogram in bins doubling from 0.1 ms (HdrHistogram's log iterator), without
/// the empty bins below the first request and above the last.
fn latency_bins(s: &EndpointStats) -> Vec<(f64, u64)> {
    let Some(h) = s.latency.histogram() else {
        return Vec::new();
    };
    let mut bins: Vec<(f64, u64)> = h
        .iter_log(100, 2.0)
        .map(|v| {
            (
                v.value_iterated_to() as f64 / 1000.0,
                v.count_since_last_iteration(),
            )
        })
        .collect();
    while bins.last().is_some_and(|b| b.1 == 0) {
        bins.pop();
    }
    let first = bins.iter().position(|b| b.1 > 0).unwrap_or(0);
    bins.drain(..first);
    bins
}

/// Add `e`'s requests by class into `buckets`, keyed by bucket number at step `step` (a row
/// kept at a narrower step, never the case once finished but cheap to allow, is re-bucketed).
fn add_series(e: &EndpointStats, step: u8, buckets: &mut BTreeMap<i64, [u64; 6]>) {
    let width = crate::aggregate::step_seconds(step);
    let factor = width / crate::aggregate::step_seconds(e.series_step.min(step));
    for (k, c) in e.series.iter() {
        let slot = buckets.entry(k.div_euclid(factor)).or_default();
        for (a, b) in slot.iter_mut().zip(c.classes()) {
            *a += u64::from(b);
        }
    }
}

/// The buckets of `e`'s series on the timeline whose first bucket is `first` (at step `step`),
/// by index.
fn endpoint_series(e: &EndpointStats, step: u8, first: i64) -> Vec<(usize, [u64; 6])> {
    let mut own = BTreeMap::new();
    add_series(e, step, &mut own);
    own.into_iter()
        .filter_map(|(k, c)| usize::try_from(k - first).ok().map(|i| (i, c)))
        .collect()
}

fn timeline(agg: &Aggregate) -> Timeline {
    let step = agg.series_step;
    let width = crate::aggregate::step_seconds(step);
    let mut buckets: BTreeMap<i64, [u64; 6]> = BTreeMap::new();
    for e in agg.endpoints.values() {
        add_series(e, step, &mut buckets);
    }
    // Every bucket of the span, empty ones included: a drop to zero traffic is what an SRE
    // most needs to see. The silences the span leaves out (before and after stray lines, a
    // clock years off) are left out here too: at most SERIES_BUCKETS buckets in all.
    for (first, last) in crate::aggregate::spans(buckets.keys().copied(), step) {
        for k in first..=last {
            buckets.entry(k).or_default();
        }
    }
    Timeline {
        bucket_seconds: width as u64,
        first_key: buckets.keys().next().copied().unwrap_or(0),
        buckets: buckets
            .into_iter()
            .map(|(k, c)| Bucket {
                start: rfc3339(k.saturating_mul(width).saturating_mul(1000)),
                c1: c[1],
                c2: c[2],
                c3: c[3],
                c4: c[4],
                c5: c[5],
                none: c[0],
            })
            .collect(),
    }
}

/// A file's format name with the formats that read its other lines, when its format changed
/// mid-file: `combined + 1,000 json lines`.
fn with_switches(format: &str, c: &crate::aggregate::FileCounts) -> String {
    let mut name = format.to_string();
    for (other, n) in crate::format::SWITCH_FORMATS.iter().zip(c.switched) {
        if n > 0 {
            name.push_str(&format!(
                " + {} {other} line{}",
                thousands(n),
                if n == 1 { "" } else { "s" }
            ));
        }
    }
    name
}

impl ReportModel {
    /// Build the report of a run. `discover_errors` are paths that could not even be listed.
    pub fn build(
        out: &RunOutput,
        discover_errors: &[(String, String)],
        route_cap: usize,
        findings: &[Finding],
        noise: &Noise,
    ) -> ReportModel {
        let agg = &out.aggregate;
        let mut totals = crate::aggregate::FileCounts::default();
        let mut files = Vec::new();
        let mut formats: BTreeMap<String, u64> = BTreeMap::new();
        for (i, f) in out.files.iter().enumerate() {
            let c = agg.files.get(&(i as u32)).copied().unwrap_or_default();
            totals.lines += c.lines;
            totals.parsed += c.parsed;
            totals.rejected += c.rejected;
            totals.skipped += c.skipped;
            let format = f.format.as_deref().map(|fmt| with_switches(fmt, &c));
            if let Some(fmt) = &format {
                *formats.entry(fmt.clone()).or_default() += 1;
            }
            files.push(FileReport {
                name: f.name.clone(),
                format,
                compression: f.compression.map(str::to_string),
                lines: c.lines,
                parsed: c.parsed,
                rejected: c.rejected,
                skipped: c.skipped,
                error: f.error.clone(),
            });
        }
        let mut by_status: BTreeMap<u16, u64> = BTreeMap::new();
        let mut by_class: BTreeMap<String, u64> = BTreeMap::new();
        let (mut first, mut last) = (None::<i64>, None::<i64>);
        let mut endpoints: Vec<Endpoint> = Vec::with_capacity(agg.endpoints.len());
        let mut keys: Vec<&EndpointKey> = agg.endpoints.keys().collect();
        keys.sort_unstable();
        let multi_host = agg.names_several_hosts();
        let timeline = timeline(agg);
        for k in keys {
            let s = &agg.endpoints[k];
            for (code, n) in &s.statuses {
                *by_status.entry(*code).or_default() += n;
                *by_class.entry(class_name(*code).to_string()).or_default() += n;
            }
            first = min_opt(first, s.first_ms);
            last = max_opt(last, s.last_ms);
            let mut e = endpoint(k, s);
            e.detail.series = endpoint_series(s, agg.series_step, timeline.first_key);
            e.scanner_only = noise.scanner_only.contains(&(
                e.method.clone(),
                k.host().map(str::to_string),
                e.route.clone(),
            ));
            if multi_host {
                e.host = k.host().map(str::to_string);
            }
            endpoints.push(e);
        }
        endpoints.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.route.cmp(&b.route))
                .then_with(|| a.host.cmp(&b.host))
                .then_with(|| a.method.cmp(&b.method))
        });
        let starts = agg.chunk_starts();
        let mut rejects = Rejects::default();
        for (kind, r) in &agg.rejects {
            rejects.by_reason.insert(kind.as_str().to_string(), r.count);
            for s in &r.samples {
                let name = out
                    .files
                    .get(s.pos.file as usize)
                    .map_or("?", |f| f.name.as_str());
                rejects.samples.push(RejectSample {
                    reason: kind.as_str().to_string(),
                    source: format!("{name}:{}", agg.line_number(&starts, s.pos)),
                    snippet: escape::clip(&String::from_utf8_lossy(&s.snippet), 160),
                });
            }
        }
        let mut errors: Vec<InputError> = discover_errors
            .iter()
            .map(|(f, m)| InputError {
                file: f.clone(),
                message: m.clone(),
            })
            .collect();
        errors.extend(out.files.iter().filter_map(|f| {
            f.error.as_ref().map(|e| InputError {
                file: f.name.clone(),
                message: e.clone(),
            })
        }));
        let considered = totals.lines - totals.skipped;
        ReportModel {
            schema_version: SCHEMA_VERSION,
            producer: Producer::default(),
            summary: Summary {
                lines: totals.lines,
                parsed: totals.parsed,
                rejected: totals.rejected,
                skipped: totals.skipped,
                out_of_window: agg.out_of_window,
                parse_rate: if considered == 0 {
                    0.0
                } else {
                    (totals.parsed as f64 / considered as f64 * 1e6).round() / 1e6
                },
                by_status: by_status
                    .into_iter()
                    .map(|(c, n)| (status_key(c), n))
                    .collect(),
                by_class,
                time_range: first.zip(last).map(|(a, b)| TimeRange {
                    start: rfc3339(a),
                    end: rfc3339(b),
                }),
                formats,
                files,
                routes: RouteTotals {
                    distinct: agg.endpoints.len(),
                    cap: route_cap,
                    folded_routes: agg.folded_routes.count().0,
                    folded_routes_estimated: agg.folded_routes.count().1,
                    folded_routes_error: agg.folded_routes.relative_error(),
                    folded_lines: agg.folded_lines,
                    fold_error: agg.fold_error,
                    minutes_dropped: agg.endpoints.values().map(|e| e.series_dropped).sum(),
                    clients_untracked: agg.clients_untracked,
                },
            },
            endpoints,
            timeline,
            findings: {
                let locate = |p: Pos| {
                    let name = out
                        .files
                        .get(p.file as usize)
                        .map_or("?", |f| f.name.as_str());
                    (name, agg.line_number(&starts, p))
                };
                let mut reports: Vec<FindingReport> = findings
                    .iter()
                    .map(|f| {
                        FindingReport::new(f, &|p: Pos| {
                            let (name, line) = locate(p);
                            format!("{name}:{line}")
                        })
                    })
                    .collect();
                let offsets = agg.chunk_offset_map();
                let anchor = |p: Pos| {
                    let at = offsets.get(&(p.file, p.chunk))?;
                    let first = agg.line_number(&starts, Pos { line: 0, ..p });
                    Some((first, *at))
                };
                attach_sample_text(&mut reports, findings, &locate, &anchor);
                reports
            },
            noise: NoiseReport {
                scanners: noise.scanners.iter().take(MAX_SCANNERS).cloned().collect(),
                scanner_count: noise.scanners.len(),
                endpoints: noise.endpoints,
                requests: noise.requests,
            },
            api: None,
            rejects,
            errors,
            incidents: Vec::new(),
        }
        .with_incidents()
    }

    fn with_incidents(mut self) -> ReportModel {
        self.incidents = self
            .findings
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Incident::of(i, f))
            .collect();
        self
    }
}

/// Rules whose findings are incidents: something that happened over several endpoints in one
/// stretch of time, with a scope (site, host, upstream, client).
pub const INCIDENT_RULES: [&str; 5] = [
    "gateway-burst",
    "error-burst",
    "client-503-limit",
    "throttle-burst",
    "abort-burst",
];

/// An incident: the summary of an incident rule's finding.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Incident {
    /// The rule that found it.
    pub rule: String,
    /// Its code.
    pub code: String,
    /// Position of the full finding in `findings`.
    pub finding: usize,
    /// Severity.
    pub severity: Severity,
    /// What explains it best.
    pub scope: IncidentScope,
    /// When.
    pub window: Option<TimeRange>,
    /// The status answered.
    pub status: u16,
    /// Responses concerned.
    pub count: u64,
    /// Those responses over the requests of the window (a burst), or over all the API's
    /// responses with that status (a client). Exact; the JSON has 4 decimals.
    #[serde(serialize_with = "share_json")]
    pub share: f64,
    /// Endpoints touched (an estimate for a client's).
    pub endpoints: u64,
    /// Who produced the responses, when the log tells: `gateway` (the proxy or load balancer
    /// answered itself), `application`, or `client` (it closed the connection first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// What to do, from the rule's docs.
    pub what_to_do: String,
}

/// The scope of an incident.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct IncidentScope {
    /// `site`, `host`, `upstream` or `client`.
    pub kind: &'static str,
    /// The host, upstream or client (absent for the site).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl IncidentScope {
    /// `upstream cart-api-prod`, `client 10.0.0.9`, `site`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("{} {n}", self.kind),
            None => self.kind.to_string(),
        }
    }
}

impl Incident {
    /// The status as the reports show it: `502`, or `no status`.
    pub fn status_label(&self) -> String {
        match self.status {
            0 => "no status".to_string(),
            s => s.to_string(),
        }
    }

    /// ` · origin: gateway` when the log tells who produced the responses, else empty.
    pub fn origin_label(&self) -> String {
        self.origin
            .as_ref()
            .map_or(String::new(), |o| format!(" · origin: {o}"))
    }

    /// The incident of finding `i`, when its rule finds incidents.
    fn of(i: usize, f: &FindingReport) -> Option<Incident> {
        if !INCIDENT_RULES.contains(&f.rule.as_str()) {
            return None;
        }
        let figure = |k: &str| f.evidence.figures.get(k);
        let text = |k: &str| figure(k).and_then(|v| v.as_str()).map(str::to_string);
        // A client holding the incident explains it better than the upstream that served it.
        let scope = if let Some(c) = text("client") {
            IncidentScope {
                kind: "client",
                name: Some(c),
            }
        } else if let Some(u) = text("upstream") {
            IncidentScope {
                kind: "upstream",
                name: Some(u),
            }
        } else if let Some(h) = &f.host {
            IncidentScope {
                kind: "host",
                name: Some(h.clone()),
            }
        } else {
            IncidentScope {
                kind: "site",
                name: None,
            }
        };
        let number = |k: &str| figure(k).and_then(serde_json::Value::as_f64);
        Some(Incident {
            rule: f.rule.clone(),
            code: f.code.clone(),
            finding: i,
            severity: f.severity,
            scope,
            window: f.evidence.time_window.clone(),
            status: f.observed_status,
            count: f.count,
            share: number("rate_inside")
                .or_else(|| number("share_of_503"))
                .unwrap_or(f.share),
            endpoints: number("endpoints").map_or(0, |n| n as u64),
            origin: text("origin"),
            what_to_do: crate::rules::find(&f.rule)
                .map(|r| what_to_do(r.meta().docs))
                .unwrap_or_default(),
        })
    }
}

/// The first paragraph of a rule's "What to do", on one line.
fn what_to_do(docs: &str) -> String {
    let Some((_, rest)) = docs.split_once("## What to do\n") else {
        return String::new();
    };
    let para = rest.split("\n\n").next().unwrap_or("");
    para.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Evidence of a finding.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct EvidenceReport {
    /// Named figures; a name given several times holds a list. Exact, as the rules computed
    /// them: the JSON writes each to its [`json_decimals`](crate::rules::json_decimals), and
    /// reports for people round once, to their own precision (rounding the JSON's figure
    /// again could say 11.5 % of an exact 11.445 %).
    #[serde(serialize_with = "figures_json")]
    pub figures: serde_json::Map<String, serde_json::Value>,
    /// Time window of the evidence.
    pub time_window: Option<TimeRange>,
    /// Sample lines as `file:line`.
    pub samples: Vec<String>,
    /// The text of the first samples (at most [`SAMPLE_TEXTS`]), clipped and sanitised, when
    /// the input could be read again (not standard input).
    pub lines: Vec<SampleLine>,
}

/// Sample lines whose text a finding shows.
pub const SAMPLE_TEXTS: usize = 2;

/// One sample line with its text.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SampleLine {
    /// `file:line`.
    pub source: String,
    /// The line, clipped to [`samples::LINE_CHARS`] characters, control characters escaped.
    pub text: String,
}

/// A finding as reported (SPEC §5).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FindingReport {
    /// Rule id.
    pub rule: String,
    /// Rule code.
    pub code: String,
    /// Severity.
    pub severity: Severity,
    /// Confidence.
    pub confidence: Confidence,
    /// Method.
    pub method: String,
    /// The endpoint's host, when the report shows hosts (see [`Endpoint::host`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Route.
    pub route: String,
    /// Status answered.
    pub observed_status: u16,
    /// Status that fits, best first; empty for triage findings.
    pub recommended_status: Vec<u16>,
    /// Requests concerned.
    pub count: u64,
    /// Of the endpoint's requests. Exact; the JSON has 4 decimals.
    #[serde(serialize_with = "share_json")]
    pub share: f64,
    /// Why.
    pub message: String,
    /// Figures, window, samples.
    pub evidence: EvidenceReport,
}

/// Scanner noise as reported.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct NoiseReport {
    /// The busiest scanners (at most 20).
    pub scanners: Vec<Scanner>,
    /// How many clients were classified as scanners.
    pub scanner_count: usize,
    /// Endpoints only scanners touched.
    pub endpoints: u64,
    /// Requests on them.
    pub requests: u64,
}

/// Scanners listed in the report.
const MAX_SCANNERS: usize = 20;

impl FindingReport {
    /// The recommended codes joined by `sep` (`409/422`), or `triage` when there are none.
    pub fn recommended_text(&self, sep: &str) -> String {
        if self.recommended_status.is_empty() {
            return "triage".to_string();
        }
        self.recommended_status
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(sep)
    }

    fn new(f: &Finding, source: &dyn Fn(Pos) -> String) -> FindingReport {
        let mut figures = serde_json::Map::new();
        for (name, v) in &f.evidence.figures {
            match figures.get_mut(*name) {
                None => {
                    figures.insert((*name).to_string(), v.clone());
                }
                Some(serde_json::Value::Array(a)) => a.push(v.clone()),
                Some(prev) => *prev = serde_json::Value::Array(vec![prev.take(), v.clone()]),
            }
        }
        FindingReport {
            rule: f.rule.to_string(),
            code: crate::rules::find(f.rule).map_or(String::new(), |r| r.meta().code.to_string()),
            severity: f.severity,
            confidence: f.confidence,
            method: f.method.clone(),
            host: f.host.clone(),
            route: f.route.clone(),
            observed_status: f.observed_status,
            recommended_status: f.recommended_status.clone(),
            count: f.count,
            share: f.share,
            message: f.message.clone(),
            evidence: EvidenceReport {
                figures,
                time_window: f.evidence.window.map(|(a, b)| TimeRange {
                    start: rfc3339(a),
                    end: rfc3339(b),
                }),
                samples: f.evidence.samples.iter().map(|p| source(*p)).collect(),
                lines: Vec::new(),
            },
        }
    }
}

/// Attach the text of each finding's first samples, read back from the inputs; `locate` gives
/// a sample's file name and line number (`reports[i]` is the report of `findings[i]`).
/// `anchor` gives, where the run knows it, the line number a sample's chunk starts at and that
/// line's byte offset in the file.
fn attach_sample_text<'n>(
    reports: &mut [FindingReport],
    findings: &[Finding],
    locate: &dyn Fn(Pos) -> (&'n str, u64),
    anchor: &dyn Fn(Pos) -> Option<(u64, u64)>,
) {
    let mut wanted: BTreeMap<String, std::collections::BTreeSet<u64>> = BTreeMap::new();
    let mut anchors: BTreeMap<String, BTreeMap<u64, u64>> = BTreeMap::new();
    for f in findings {
        for p in f.evidence.samples.iter().take(SAMPLE_TEXTS) {
            let (name, line) = locate(*p);
            wanted.entry(name.to_string()).or_default().insert(line);
            if let Some((at_line, offset)) = anchor(*p) {
                anchors
                    .entry(name.to_string())
                    .or_default()
                    .insert(at_line, offset);
            }
        }
    }
    let texts = samples::read_lines(&wanted, &anchors);
    for (r, f) in reports.iter_mut().zip(findings) {
        r.evidence.lines = f
            .evidence
            .samples
            .iter()
            .zip(&r.evidence.samples)
            .take(SAMPLE_TEXTS)
            .filter_map(|(p, source)| {
                let (name, line) = locate(*p);
                Some(SampleLine {
                    source: source.clone(),
                    text: texts.get(&(name.to_string(), line))?.clone(),
                })
            })
            .collect();
    }
}

/// A figure's value with its fractional numbers rounded to `digits` (lists item by item).
fn rounded(v: &serde_json::Value, digits: i32) -> serde_json::Value {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => serde_json::Value::from(
            crate::rules::stats::round(n.as_f64().unwrap_or(0.0), digits),
        ),
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.iter().map(|x| rounded(x, digits)).collect())
        }
        _ => v.clone(),
    }
}

/// Serialise figures to their [`json_decimals`](crate::rules::json_decimals).
fn figures_json<S: serde::Serializer>(
    figures: &serde_json::Map<String, serde_json::Value>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(figures.len()))?;
    for (k, v) in figures {
        match crate::rules::json_decimals(k) {
            Some(d) => map.serialize_entry(k, &rounded(v, d))?,
            None => map.serialize_entry(k, v)?,
        }
    }
    map.end()
}

/// Serialise a share to 4 decimals.
fn share_json<S: serde::Serializer>(share: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(crate::rules::stats::round(*share, 4))
}

/// A figure for people: its name in words and its value in human units (`share_500` 0.25 →
/// `share 500: 25.0%`, `p50_500_ms` 3.007 → `p50 500: 3.0 ms`). `None` for the figures that
/// only explain the JSON (`sample_cap` …).
pub(crate) fn figure_label(key: &str, v: &serde_json::Value) -> Option<(String, String)> {
    if matches!(key, "sample_cap" | "origin_logged" | "bytes_kind") {
        return None;
    }
    let name = key.strip_suffix("_ms").unwrap_or(key).replace('_', " ");
    let value = match v.as_f64() {
        Some(x) if crate::rules::is_ms(key) => {
            if x >= 1000.0 {
                format!("{:.2} s", x / 1000.0)
            } else {
                format!("{x:.1} ms")
            }
        }
        Some(x) if crate::rules::is_rate(key) => format!("{:.1}%", x * 100.0),
        Some(x) if key == "load_correlation" => format!("{x:.2}"),
        Some(x) if x.fract() == 0.0 && (0.0..1e15).contains(&x) => thousands(x as u64),
        _ => figure_text(v),
    };
    Some((name, value))
}

/// `1234567` → `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The endpoints the text and Markdown tables list, in the model's order: not those only
/// scanners touched (the scanner section counts them; the JSON and HTML keep them, marked),
/// unless scanners touched every one (a honeypot's log: what they probed is all there is).
/// With the note the table's title adds (`; 22 touched only by scanners left out`), empty
/// when nothing is left out.
pub(crate) fn table_endpoints(m: &ReportModel) -> (Vec<&Endpoint>, String) {
    let listed: Vec<&Endpoint> = m.endpoints.iter().filter(|e| !e.scanner_only).collect();
    if listed.is_empty() && !m.endpoints.is_empty() {
        return (
            m.endpoints.iter().collect(),
            "; every one touched only by scanners".to_string(),
        );
    }
    let left_out = m.endpoints.len() - listed.len();
    let note = if left_out == 0 {
        String::new()
    } else {
        format!(
            "; {} touched only by scanners left out",
            thousands(left_out as u64)
        )
    };
    (listed, note)
}

/// `n` of `of` as a percentage with one decimal, `-` when `of` is 0.
pub(crate) fn pct(n: u64, of: u64) -> String {
    if of == 0 {
        "-".to_string()
    } else {
        format!("{:.1}%", n as f64 * 100.0 / of as f64)
    }
}

/// An evidence figure as text: strings as they are, lists joined by `; `.
pub(crate) fn figure_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a.iter().map(figure_text).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

/// The `n` most frequent statuses of a `by_status` map, most requests first (ties by code).
pub(crate) fn busiest_codes(by_status: &BTreeMap<String, u64>, n: usize) -> Vec<(&str, u64)> {
    let mut codes: Vec<(&str, u64)> = by_status.iter().map(|(c, k)| (c.as_str(), *k)).collect();
    codes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    codes.truncate(n);
    codes
}

/// The class name (`2xx`, …, `none`) of a status code (0 = none).
fn class_name(code: u16) -> &'static str {
    CLASS_NAMES[class_index((code != 0).then_some(code))]
}

/// Requests per status class (index 0 = no status, 1..=5 = 1xx..5xx) of a `by_status` map.
pub(crate) fn class_counts(by_status: &BTreeMap<String, u64>) -> [u64; 6] {
    let mut class = [0u64; 6];
    for (code, n) in by_status {
        let i = code
            .parse::<u16>()
            .ok()
            .filter(|c| (100..600).contains(c))
            .map_or(0, |c| usize::from(c / 100));
        class[i] += n;
    }
    class
}

impl ReportModel {
    /// Share of responses with a 5xx status.
    pub fn rate_5xx(&self) -> f64 {
        let total: u64 = self.summary.by_class.values().sum();
        crate::rules::stats::ratio(
            self.summary.by_class.get("5xx").copied().unwrap_or(0),
            total,
        )
    }

    /// Share of lines (blank ones aside) that were rejected.
    pub fn reject_rate(&self) -> f64 {
        crate::rules::stats::ratio(
            self.summary.rejected,
            self.summary.lines - self.summary.skipped,
        )
    }
}

/// A report renderer.
pub trait Render {
    /// Write `model` to `out`.
    fn render(&self, model: &ReportModel, out: &mut dyn std::io::Write) -> std::io::Result<()>;
}

//! The smell catalogue (SPEC §5): rules that read the merged aggregate and say where an
//! endpoint's status codes are imprecise, which code fits better, and why.
//!
//! Each rule lives in its own file with its docs (fixed headings, shown by `statuslens rules
//! ID`), its metadata and its thresholds, and implements [`Rule::check`] over [`Facts`] — a
//! read-only view of the merged [`Aggregate`] with scanner noise taken out. Rules never see raw
//! lines, so their findings do not depend on `--jobs` or on how the input was split.
//! [`RULES`] is the one list of rules; [`run`] applies the configuration (severity overrides,
//! `off`, ignored routes) and sorts the findings.

pub mod config;
pub mod stats;

mod abort_burst;
mod anon_403;
mod app_timeout_500;
mod broken_link_404;
mod burst;
mod client_503_limit;
mod create_200;
mod empty_200;
mod error_body_200;
mod error_burst;
mod gateway_5xx;
mod gateway_burst;
mod generic_500;
mod incomplete_request;
mod mixed_validation;
mod nonstandard_code;
mod redirect_on_api;
mod retired_404;
mod retry_storm;
mod slow_sync;
mod throttle_burst;
mod undocumented_status;
mod wrong_method_404;

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::aggregate::signals::{self, ClientCount, ClientSet};
use crate::aggregate::{Aggregate, EndpointStats, Pos};
use crate::route::openapi::Api;
pub use config::{RuleSettings, RulesConfig};

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Worth fixing.
    Warning,
    /// Misleads clients or operators; fix it.
    Error,
}

impl Severity {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// Parse a lowercase name.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// How sure the evidence makes a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Circumstantial.
    Low,
    /// Likely.
    Medium,
    /// The figures leave little doubt.
    High,
}

/// A tunable number of a rule.
#[derive(Clone, Copy, Debug)]
pub struct Threshold {
    /// Key in the config file (`[rules.ID] name = value`).
    pub name: &'static str,
    /// Default value.
    pub default: f64,
    /// What it means, with its unit.
    pub doc: &'static str,
}

/// What every rule declares about itself.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable id: the kebab-case name of the smell (SPEC §5).
    pub id: &'static str,
    /// Short code, never reused.
    pub code: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// Version that added it.
    pub since: &'static str,
    /// One line for the catalogue list.
    pub summary: &'static str,
    /// Markdown docs with the headings What it detects, Why it matters, Example, What to do,
    /// Thresholds and References (the Thresholds section is generated from `thresholds`).
    pub docs: &'static str,
    /// Tunable numbers.
    pub thresholds: &'static [Threshold],
}

/// A smell rule.
pub trait Rule: Sync {
    /// Metadata and docs.
    fn meta(&self) -> &'static RuleMeta;
    /// Append the findings of this rule over `facts`.
    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>);
    /// Whether the rule can say anything about `facts` (reports list only the rules that
    /// checked something, e.g. JUnit's suites).
    fn applies(&self, _facts: &Facts<'_>) -> bool {
        true
    }
}

/// Every rule, in catalogue order (SPEC §5). `undocumented-status` needs documented responses
/// (`--openapi`, or `[[routes]]` with `responses`).
pub static RULES: &[&dyn Rule] = &[
    &generic_500::Generic500,
    &app_timeout_500::AppTimeout500,
    &wrong_method_404::WrongMethod404,
    &error_body_200::ErrorBody200,
    &create_200::Create200,
    &empty_200::Empty200,
    &slow_sync::SlowSync,
    &retry_storm::RetryStorm,
    &anon_403::Anon403,
    &retired_404::Retired404,
    &gateway_5xx::Gateway5xx,
    &nonstandard_code::NonstandardCode,
    &mixed_validation::MixedValidation,
    &undocumented_status::UndocumentedStatus,
    &broken_link_404::BrokenLink404,
    &redirect_on_api::RedirectOnApi,
    &incomplete_request::IncompleteRequest,
    &gateway_burst::GatewayBurst,
    &error_burst::ErrorBurst,
    &client_503_limit::Client503Limit,
    &throttle_burst::ThrottleBurst,
    &abort_burst::AbortBurst,
];

/// The rule with this id.
pub fn find(id: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.meta().id == id)
}

/// Whether the figure `name` is a share or a rate (0..1), shown as a percentage: its name holds
/// `share` or `rate`.
pub fn is_rate(name: &str) -> bool {
    name.contains("share") || name.contains("rate")
}

/// Whether the figure `name` is a duration in ms: its name ends in `_ms`.
pub fn is_ms(name: &str) -> bool {
    name.ends_with("_ms")
}

/// The decimals the JSON report writes the figure `name` with: a duration in ms to 1 µs, a
/// share, rate or correlation to 4; `None`: as it is. Figures are kept exact until then.
pub fn json_decimals(name: &str) -> Option<i32> {
    if is_ms(name) {
        Some(3)
    } else if is_rate(name) || name.ends_with("correlation") {
        Some(4)
    } else {
        None
    }
}

/// The evidence of a finding.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evidence {
    /// Named figures (counts, rates, latencies in ms, …), in the order the rule gives them.
    pub figures: Vec<(&'static str, serde_json::Value)>,
    /// Time window the evidence covers (epoch ms).
    pub window: Option<(i64, i64)>,
    /// Up to 5 sample lines.
    pub samples: Vec<Pos>,
}

impl Evidence {
    /// Add a figure.
    pub fn figure(mut self, name: &'static str, v: impl Into<serde_json::Value>) -> Self {
        self.figures.push((name, v.into()));
        self
    }

    /// Add a rate (0..1). Kept exact: the JSON report writes it to 4 decimals, the reports
    /// people read round it once, to their own precision. Both go by the name, which holds
    /// `share` or `rate`.
    pub fn rate(self, name: &'static str, v: f64) -> Self {
        assert!(is_rate(name), "{name}");
        self.figure(name, v)
    }

    /// The window of `e`'s requests answered `sample_key` (a status; a
    /// [`sample_key`](crate::aggregate::signals) signal takes the window of all its requests)
    /// and its earliest samples under it.
    pub fn over(mut self, e: &Endpoint<'_>, sample_key: u16) -> Self {
        self.window = code_window(e.stats, sample_key);
        self.samples = e.stats.samples.get(sample_key).to_vec();
        self
    }

    /// Add a duration in ms. Kept exact: the JSON report writes it to 1 µs, by its name,
    /// which ends in `_ms`.
    pub fn ms(self, name: &'static str, v: f64) -> Self {
        assert!(is_ms(name), "{name}");
        self.figure(name, v)
    }

    /// Say that the durations of `e` the figures come from were logged in whole seconds
    /// (truncated: a figure under 1000 ms stands for anything under a second), when they were.
    pub fn resolution(self, e: &Endpoint<'_>) -> Self {
        if e.stats.latency.whole_seconds() {
            self.figure("durations_logged_in", "whole seconds")
        } else {
            self
        }
    }
}

/// When the endpoint answered `code`: from the start of the first series bucket that counted
/// it to the end of the last (the next bucket's start), within the endpoint's first and last
/// request. The series counts 500, 404, 429 and 499/460 apart and other codes by class, so
/// the window holds every response with `code` and may hold others of its class; a flood in
/// one afternoon of a week's log gets that afternoon, not the week. The endpoint's whole span
/// for signals that are not a status, and when the series lost buckets to its cap.
fn code_window(s: &crate::aggregate::EndpointStats, code: u16) -> Option<(i64, i64)> {
    use crate::aggregate::{step_seconds, Counter};
    let span = s.first_ms.zip(s.last_ms)?;
    // Signals are numbered past the three-digit codes (`sample_key`).
    if code > 999 || s.series_dropped > 0 {
        return Some(span);
    }
    // 0 stands for "no status" among the codes rules observe.
    let counter = Counter::narrowest((code != 0).then_some(code));
    let mut hit = s
        .series
        .iter()
        .filter(|(_, c)| c.get(counter) > 0)
        .map(|(b, _)| *b);
    let Some(first) = hit.next() else {
        return Some(span);
    };
    let last = hit.last().unwrap_or(first);
    let width_ms = step_seconds(s.series_step).saturating_mul(1000);
    let start = first.saturating_mul(width_ms).max(span.0);
    let end = last.saturating_add(1).saturating_mul(width_ms).min(span.1);
    Some(if start <= end { (start, end) } else { span })
}

/// One finding (SPEC §5).
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Rule id.
    pub rule: &'static str,
    /// Severity after configuration.
    pub severity: Severity,
    /// Confidence.
    pub confidence: Confidence,
    /// HTTP method (`*` for findings about the whole API).
    pub method: String,
    /// The endpoint's host, when the log names it (`None` for the whole API).
    pub host: Option<String>,
    /// Route template.
    pub route: String,
    /// The status the endpoint answers.
    pub observed_status: u16,
    /// What it should answer, best first (empty: triage, not a code change).
    pub recommended_status: Vec<u16>,
    /// Requests concerned.
    pub count: u64,
    /// `count` over the endpoint's requests.
    pub share: f64,
    /// Why, in plain words.
    pub message: String,
    /// Figures, window and samples.
    pub evidence: Evidence,
}

impl Finding {
    /// A finding of `meta`'s rule on `e`, at the rule's default severity and medium confidence;
    /// the rule fills in the message and evidence.
    pub fn new(
        meta: &RuleMeta,
        e: &Endpoint<'_>,
        observed: u16,
        recommended: Vec<u16>,
        count: u64,
    ) -> Finding {
        Finding {
            rule: meta.id,
            severity: meta.severity,
            confidence: Confidence::Medium,
            method: e.method.to_string(),
            host: e.host.map(str::to_string),
            route: e.route.to_string(),
            observed_status: observed,
            recommended_status: recommended,
            count,
            share: e.share(count),
            message: String::new(),
            evidence: Evidence::default(),
        }
    }
}

/// The route of a finding about the whole API (method `*`).
pub const API_WIDE: &str = "(whole API)";
/// Endpoints named in an API-wide finding.
const LISTED_ENDPOINTS: usize = 10;

impl Finding {
    /// A finding of `meta`'s rule about the whole API: `code` answered by each of `users`
    /// (endpoint, responses) a few times, which it sorts busiest first. Count, share (of those
    /// endpoints' requests), window, the earliest samples over all of them and the figures
    /// `count`, `endpoints` and `used_on` are filled in; the rule adds the message.
    pub fn api_wide(
        meta: &RuleMeta,
        code: u16,
        recommended: Vec<u16>,
        users: &mut [(&Endpoint<'_>, u64)],
    ) -> Finding {
        users.sort_by(|a, b| {
            b.1.cmp(&a.1).then_with(|| {
                (a.0.route, a.0.host, a.0.method).cmp(&(b.0.route, b.0.host, b.0.method))
            })
        });
        let n: u64 = users.iter().map(|u| u.1).sum();
        let requests: u64 = users.iter().map(|u| u.0.stats.count).sum();
        let mut samples: Vec<Pos> = users
            .iter()
            .flat_map(|(e, _)| e.stats.samples.get(code).iter().copied())
            .collect();
        samples.sort_unstable();
        samples.truncate(5);
        Finding {
            rule: meta.id,
            severity: meta.severity,
            confidence: Confidence::Medium,
            method: "*".to_string(),
            host: None,
            route: API_WIDE.to_string(),
            observed_status: code,
            recommended_status: recommended,
            count: n,
            share: stats::ratio(n, requests),
            message: String::new(),
            evidence: Evidence {
                figures: vec![
                    ("count", n.into()),
                    ("endpoints", users.len().into()),
                    ("used_on", Finding::endpoint_list(users).into()),
                ],
                window: users
                    .iter()
                    .filter_map(|(e, _)| e.stats.first_ms.zip(e.stats.last_ms))
                    .reduce(|(a, b), (c, d)| (a.min(c), b.max(d))),
                samples,
            },
        }
    }

    /// `GET /a (3), POST /b (2)`: the busiest of `users` (already sorted), `…` past ten.
    pub fn endpoint_list(users: &[(&Endpoint<'_>, u64)]) -> String {
        let mut listed: Vec<String> = users
            .iter()
            .take(LISTED_ENDPOINTS)
            .map(|(e, k)| {
                format!(
                    "{} {} ({k})",
                    e.method,
                    crate::aggregate::host_route(e.host, e.route)
                )
            })
            .collect();
        if users.len() > LISTED_ENDPOINTS {
            listed.push("…".to_string());
        }
        listed.join(", ")
    }
}

/// One endpoint as the rules see it.
#[derive(Clone, Copy, Debug)]
pub struct Endpoint<'a> {
    /// Method (`-` when the line had none).
    pub method: &'a str,
    /// The host the requests were for, when the log names it: the same route on two hosts is
    /// two endpoints.
    pub host: Option<&'a str>,
    /// Route template.
    pub route: &'a str,
    /// Its statistics.
    pub stats: &'a EndpointStats,
}

impl Endpoint<'_> {
    /// Whether its requests without a status are incomplete responses: not when none of its
    /// requests has one (a format or a probe that logs none) or it has no request line (a load
    /// balancer's TCP or TLS-only entries).
    pub fn can_be_incomplete(&self) -> bool {
        self.method != "-" && self.status(0) < self.stats.count
    }

    /// Requests with status `code`.
    pub fn status(&self, code: u16) -> u64 {
        self.stats
            .statuses
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(0, |(_, n)| *n)
    }

    /// Requests with a status in `range`.
    pub fn class(&self, range: std::ops::RangeInclusive<u16>) -> u64 {
        self.stats
            .statuses
            .iter()
            .filter(|(c, _)| range.contains(c))
            .map(|(_, n)| n)
            .sum()
    }

    /// Requests with status `code` produced by the gateway.
    pub fn gateway_status(&self, code: u16) -> u64 {
        self.stats
            .gateway_statuses
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(0, |(_, n)| *n)
    }

    /// `n` over the endpoint's requests.
    pub fn share(&self, n: u64) -> f64 {
        stats::ratio(n, self.stats.count)
    }

    /// Whether the method changes state.
    pub fn is_write(&self) -> bool {
        matches!(self.method, "POST" | "PUT" | "PATCH" | "DELETE")
    }

    /// Whether the route is a static file (see [`is_static_route`]): rules about API semantics
    /// (`empty-200`, `create-200`, `wrong-method-404`, `mixed-validation`) leave it alone.
    pub fn is_static(&self) -> bool {
        is_static_route(self.route)
    }
}

/// File extensions of the web's static types: what a web server serves from disk.
const STATIC_EXTENSIONS: &[&str] = &[
    "css",
    "js",
    "mjs",
    "map",
    "ico",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "svg",
    "webp",
    "avif",
    "bmp",
    "tif",
    "tiff",
    "woff",
    "woff2",
    "ttf",
    "otf",
    "eot",
    "txt",
    "pdf",
    "zip",
    "gz",
    "tgz",
    "mp3",
    "mp4",
    "webm",
    "ogg",
    "wav",
    "m4a",
    "mov",
    "avi",
    "html",
    "htm",
    "webmanifest",
    "wasm",
    "csv",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "ppt",
    "pptx",
    "apk",
    "dmg",
    "exe",
    "iso",
];

/// Well-known files at the root whose extension alone would not tell (`.xml` and `.json` are
/// also API formats, as in Rails' `/orders.json`).
const STATIC_FILES: &[&str] = &[
    "/sitemap.xml",
    "/crossdomain.xml",
    "/browserconfig.xml",
    "/manifest.json",
    "/site.webmanifest",
];

/// Whether `route` is a file that browsers, crawlers and platforms ask every site for on their
/// own, whether or not anything links it: the site icon (`/favicon.ico`, iOS's
/// `/apple-touch-icon[-WxH][-precomposed].png`), `/robots.txt`, `/sitemap.xml`, `/ads.txt`,
/// `/.well-known/…` and the like, and the AMP cache's probe whose name says a 404 is
/// expected. A 404 there is the right answer when the site offers none: not a broken link.
pub fn is_fetched_unasked(route: &str) -> bool {
    let lower = route.to_ascii_lowercase();
    if lower.starts_with("/.well-known/") || lower.contains("_404_or_other_error_expected") {
        return true;
    }
    let Some(name) = lower.strip_prefix('/').filter(|n| !n.contains('/')) else {
        return false;
    };
    matches!(
        name,
        "favicon.ico"
            | "robots.txt"
            | "sitemap.xml"
            | "sitemap_index.xml"
            | "ads.txt"
            | "app-ads.txt"
            | "humans.txt"
            | "security.txt"
            | "crossdomain.xml"
            | "clientaccesspolicy.xml"
            | "browserconfig.xml"
    ) || (name.starts_with("apple-touch-icon") && name.ends_with(".png"))
}

/// The first segment of `route` (`wp-content` of `/wp-content/uploads/x.jpg`).
pub fn top_segment(route: &str) -> &str {
    route
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
}

/// Whether `route` is a well-known target of exploit probes — WordPress's login and admin,
/// phpMyAdmin, dot-files holding secrets or source — asked for by bots on sites that do not
/// run them. A 404 there is a probe answered right, whoever sent it.
pub fn is_probe_target(route: &str) -> bool {
    matches!(
        top_segment(&route.to_ascii_lowercase()),
        "wp-login.php"
            | "wp-admin"
            | "wp-content"
            | "wp-includes"
            | "wp-config.php"
            | "xmlrpc.php"
            | "phpmyadmin"
            | "pma"
            | "myadmin"
            | ".env"
            | ".git"
            | ".svn"
            | ".hg"
            | ".aws"
            | ".ds_store"
            | ".htaccess"
            | ".htpasswd"
    )
}

/// Whether `route` names a static file: its last segment ends in a static extension
/// (`/favicon.ico`, `/robots.txt`, `/assets/app.{param}.js`, `/fonts/{name}.woff2`), or is a
/// well-known file such as `/.well-known/…` or `/sitemap.xml`.
pub fn is_static_route(route: &str) -> bool {
    if route.starts_with("/.well-known/") || STATIC_FILES.contains(&route) {
        return true;
    }
    let last = route.rsplit('/').next().unwrap_or("");
    let Some((stem, ext)) = last.rsplit_once('.') else {
        return false;
    };
    !stem.is_empty() && stats::is_one_of(ext, STATIC_EXTENSIONS)
}

/// Share of misses an endpoint probed from more addresses than it keeps must have to be taken
/// for scanner noise (see [`Facts::new`]).
const NOISE_MISS_SHARE: f64 = 0.9;

/// Requests of `s` answered with a miss ([`signals::is_miss`]).
fn misses(s: &crate::aggregate::EndpointStats) -> u64 {
    s.statuses
        .iter()
        .filter(|(code, _)| signals::is_miss(*code))
        .map(|(_, n)| n)
        .sum()
}

/// A client classified as a scanner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scanner {
    /// The client as logged.
    pub client: String,
    /// Misses (400/403/404/405/410/444) it collected.
    pub misses: u64,
    /// Distinct endpoints among them (exact up to 64).
    pub distinct_endpoints: usize,
}

/// Scanner noise: probing clients and the endpoints only they touched (SPEC §5).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Noise {
    /// Clients classified as scanners, most misses first.
    pub scanners: Vec<Scanner>,
    /// Endpoints whose every request came from a scanner (kept out of the rules).
    pub endpoints: u64,
    /// Requests on those endpoints.
    pub requests: u64,
    /// Those endpoints: (method, route).
    pub scanner_only: std::collections::BTreeSet<(String, Option<String>, String)>,
}

/// What the rules read: the merged aggregate minus scanner noise and ignored routes.
#[derive(Debug)]
pub struct Facts<'a> {
    /// Endpoints, sorted by host, route, then method (so each host's are together).
    pub endpoints: Vec<Endpoint<'a>>,
    /// The `(other)` rows (requests of the routes past the route cap), one per method: kept
    /// out of the per-endpoint rules, counted by the rules about the whole API.
    pub overflow: Vec<Endpoint<'a>>,
    /// Requests per time bucket over all those endpoints (the load).
    pub load: BTreeMap<i64, u64>,
    /// The time series' bucket width (ms): the run's span in at most
    /// [`SERIES_BUCKETS`](crate::aggregate::SERIES_BUCKETS) buckets.
    pub bucket_ms: i64,
    /// Buckets from the run's first request to its last (at least 1): what "a share of the
    /// span" is measured against.
    pub span_buckets: i64,
    /// The aggregate (clients, for names in evidence).
    pub aggregate: &'a Aggregate,
    /// Scanner noise, reported apart.
    pub noise: Noise,
    /// What the API declares (`--openapi`, `[[routes]]`); empty without.
    pub api: &'a Api,
    /// Formats of the files read (what the incomplete-request rule explains), set by the run.
    pub formats: Vec<String>,
    /// Successful requests per client, counted where an endpoint knows its clients (all of
    /// them, or its sample): a lower bound.
    pub client_hits: FxHashMap<u64, u64>,
    /// The clients classified as scanners (their hashes).
    pub scanner_clients: BTreeSet<u64>,
}

impl<'a> Facts<'a> {
    /// Build the view: classify scanners, drop the endpoints only they touched and those
    /// matching `cfg.ignore_routes`.
    pub fn new(agg: &'a Aggregate, cfg: &RulesConfig, api: &'a Api) -> Facts<'a> {
        // Successful requests seen per client where the endpoint's clients are known: a proxy
        // or a busy integration collects misses too, but far more successes.
        // Counts are exact for every client an endpoint knows (all of them, or its sample).
        let mut known_hits: FxHashMap<u64, u64> = FxHashMap::default();
        for s in agg.endpoints.values() {
            for c in s.clients.known() {
                *known_hits.entry(c.client).or_default() += c.requests - c.misses;
            }
        }
        let mut scanner_hashes = BTreeSet::new();
        let mut scanners = Vec::new();
        for (h, c) in &agg.clients {
            let hits = known_hits.get(h).copied().unwrap_or(0);
            let distinct = c.missed_endpoints.estimate();
            // Many paths, each tried once or twice (a browser re-requesting its broken fonts
            // is a user); or proxy requests (`CONNECT`, `GET http://other.site/`) most of its
            // misses and mostly missed, which an origin server only gets from someone looking
            // for an open proxy, however few paths or often.
            let probing = distinct >= cfg.noise.min_missed_endpoints
                && c.misses as f64 <= cfg.noise.max_repeats * distinct;
            let proxy_probing = c.proxy_probes > c.proxy_served && c.proxy_probes * 2 >= c.misses;
            if (probing || proxy_probing)
                && stats::ratio(c.misses, c.misses + hits) >= cfg.noise.min_miss_share
            {
                scanner_hashes.insert(*h);
                scanners.push(Scanner {
                    client: client_label(c),
                    misses: c.misses,
                    distinct_endpoints: c.missed_endpoints.len(),
                });
            }
        }
        scanners.sort_by(|a, b| {
            b.misses
                .cmp(&a.misses)
                .then_with(|| a.client.cmp(&b.client))
        });
        let mut noise = Noise {
            scanners,
            ..Noise::default()
        };
        let mut endpoints = Vec::with_capacity(agg.endpoints.len());
        let mut overflow = Vec::new();
        // With one host (or none) the host is no dimension: every endpoint goes without.
        let several_hosts = agg.names_several_hosts();
        for (k, s) in &agg.endpoints {
            let route = k.route();
            let Ok(method) = std::str::from_utf8(k.method()) else {
                continue;
            };
            let all_scanners = |v: &[ClientCount]| {
                !v.is_empty() && v.iter().all(|c| scanner_hashes.contains(&c.client))
            };
            let only_scanners = match &s.clients {
                ClientSet::Few(v) => all_scanners(v),
                // Probed from more addresses than an endpoint keeps (a botnet trying `/.env`):
                // its sample of clients all scanners, and its requests nearly all misses, what
                // scanners collect — an endpoint where anyone succeeds is never noise.
                ClientSet::Many(v) => {
                    all_scanners(v) && stats::ratio(misses(s), s.count) >= NOISE_MISS_SHARE
                }
            };
            if only_scanners {
                noise.endpoints += 1;
                noise.requests += s.count;
                noise.scanner_only.insert((
                    method.to_string(),
                    k.host().map(str::to_string),
                    route.to_string(),
                ));
                continue;
            }
            if cfg.ignore_routes.iter().any(|p| p.matches(route)) {
                continue;
            }
            let e = Endpoint {
                method,
                host: k.host().filter(|_| several_hosts),
                route,
                stats: s,
            };
            if route == crate::route::OTHER {
                overflow.push(e);
            } else {
                endpoints.push(e);
            }
        }
        endpoints.sort_by(|a, b| {
            (a.host, a.route)
                .cmp(&(b.host, b.route))
                .then_with(|| a.method.cmp(b.method))
        });
        let mut load = BTreeMap::new();
        for e in &endpoints {
            for (m, c) in e.stats.series.iter() {
                *load.entry(*m).or_insert(0u64) += c.total();
            }
        }
        let bucket_s = crate::aggregate::step_seconds(agg.series_step);
        // The buckets the requests span, long gaps left out (a line from a clock years off
        // must not make every burst window years wide).
        let span_buckets = crate::aggregate::covered(load.keys().copied(), agg.series_step).max(1);
        Facts {
            endpoints,
            overflow,
            formats: Vec::new(),
            load,
            bucket_ms: bucket_s.saturating_mul(1000),
            span_buckets,
            aggregate: agg,
            noise,
            api,
            client_hits: known_hits,
            scanner_clients: scanner_hashes,
        }
    }

    /// The endpoints of `route` on `host`, by method.
    pub fn methods_of<'s>(
        &'s self,
        host: Option<&'s str>,
        route: &'s str,
    ) -> impl Iterator<Item = &'s Endpoint<'a>> {
        let start = self
            .endpoints
            .partition_point(|e| (e.host, e.route) < (host, route));
        self.endpoints[start..]
            .iter()
            .take_while(move |e| e.host == host && e.route == route)
    }

    /// Name of a client by hash, when it was tracked.
    pub fn client_name(&self, h: u64) -> Option<String> {
        self.aggregate.clients.get(&h).map(|c| client_label(c))
    }
}

/// A client as shown in findings and the noise section (lossy UTF-8, clipped).
fn client_label(c: &crate::aggregate::signals::ClientStats) -> String {
    crate::escape::clip(&String::from_utf8_lossy(&c.name), 80)
}

/// Run every enabled rule over `facts`; findings sorted by severity (highest first), then
/// route, method and rule.
pub fn run(facts: &Facts<'_>, cfg: &RulesConfig) -> Vec<Finding> {
    let mut all = Vec::new();
    for rule in RULES {
        let meta = rule.meta();
        let settings = cfg.settings(meta.id);
        if !settings.enabled {
            continue;
        }
        let mut out = Vec::new();
        rule.check(facts, settings, &mut out);
        for mut f in out {
            // A finding about no request says nothing (thresholds configured down to zero).
            if f.count == 0 || settings.ignore_routes.iter().any(|p| p.matches(&f.route)) {
                continue;
            }
            if let Some(s) = settings.severity {
                f.severity = s;
            }
            all.push(f);
        }
    }
    fold_into_bursts(&mut all, facts);
    all.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.route.cmp(&b.route))
            .then_with(|| a.method.cmp(&b.method))
            .then_with(|| a.rule.cmp(b.rule))
            .then_with(|| a.observed_status.cmp(&b.observed_status))
    });
    all
}

/// Share of an endpoint's 502/503/504 inside a gateway burst's window from which its own
/// triage finding only repeats the burst.
const INSIDE_BURST: f64 = 0.9;

/// Drop the `gateway-5xx` triage findings that only repeat a `gateway-burst` (a deploy, an
/// outage: every endpoint's 502/503/504 in the burst's window, the log not saying who made
/// them) and give their advice once, on the burst. Findings where the log names the origin,
/// or with responses outside the burst, stay.
fn fold_into_bursts(all: &mut Vec<Finding>, facts: &Facts<'_>) {
    let windows: Vec<(usize, i64, i64)> = all
        .iter()
        .enumerate()
        .filter(|(_, f)| f.rule == "gateway-burst")
        .filter_map(|(i, f)| f.evidence.window.map(|(a, b)| (i, a, b)))
        .collect();
    if windows.is_empty() || facts.bucket_ms <= 0 {
        return;
    }
    let mut folded = vec![0usize; all.len()];
    let mut keep = vec![true; all.len()];
    for (k, f) in all.iter().enumerate() {
        if f.rule != "gateway-5xx" || f.confidence != Confidence::Low {
            continue;
        }
        let Some(e) = facts
            .methods_of(f.host.as_deref(), &f.route)
            .find(|e| e.method == f.method)
        else {
            continue;
        };
        for &(b, start, end) in &windows {
            if all[b].host.is_some() && all[b].host != f.host {
                continue;
            }
            let (mut inside, mut total) = (0u64, 0u64);
            for (bucket, c) in stats::series(e.stats) {
                let n = crate::aggregate::Trouble::Gateway.in_bucket(&c);
                let at = bucket.saturating_mul(facts.bucket_ms);
                total += n;
                if at >= start && at < end {
                    inside += n;
                }
            }
            if total > 0 && inside as f64 >= INSIDE_BURST * total as f64 {
                keep[k] = false;
                folded[b] += 1;
                break;
            }
        }
    }
    for (b, n) in folded.iter().enumerate() {
        if *n > 0 {
            let f = &mut all[b];
            f.message = format!(
                "{} The log does not say whether the gateway or the application produced them: {}.",
                f.message,
                gateway_5xx::LOG_THE_ORIGIN
            );
            f.evidence = f.evidence.clone().figure("endpoints_folded", *n as u64);
        }
    }
    let mut keep = keep.into_iter();
    all.retain(|_| keep.next().unwrap_or(true));
}

/// The docs of a rule as printed by `statuslens rules ID` and committed in `docs/rules/`.
pub fn render_docs(meta: &RuleMeta) -> String {
    let mut s = format!(
        "# {} ({})\n\nDefault severity: {}. Added in {}.\n\n{}\n\n{}\n\n## Thresholds\n\n",
        meta.id,
        meta.code,
        meta.severity.as_str(),
        meta.since,
        meta.summary,
        meta.docs.trim()
    );
    if meta.thresholds.is_empty() {
        s.push_str("None.\n");
    }
    for t in meta.thresholds {
        s.push_str(&format!("- `{}` = {} — {}\n", t.name, t.default, t.doc));
    }
    s.push_str(&format!(
        "\nSet them in `statuslens.toml` under `[rules.{}]`; `severity = \"off\"` turns the rule off.\n",
        meta.id
    ));
    s
}

/// The answer of `statuslens rules [ID]`: the catalogue, or one rule's documentation (by id or
/// code).
pub fn query(id: Option<&str>) -> Result<String, String> {
    let Some(id) = id else {
        let mut s = String::from("CODE   ID                   SEVERITY  SUMMARY\n");
        for r in RULES {
            let m = r.meta();
            s.push_str(&format!(
                "{:<6} {:<20} {:<9} {}\n",
                m.code,
                m.id,
                m.severity.as_str(),
                m.summary
            ));
        }
        s.push_str("\n`statuslens rules ID` explains one; `--rule ID=off|info|warning|error` or statuslens.toml configure them.\n");
        return Ok(s);
    };
    let rule = RULES
        .iter()
        .find(|r| r.meta().id == id || r.meta().code.eq_ignore_ascii_case(id))
        .ok_or_else(|| config::unknown_rule(id))?;
    Ok(render_docs(rule.meta()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_fetched_unasked_and_probe_targets() {
        for r in [
            "/favicon.ico",
            "/apple-touch-icon.png",
            "/apple-touch-icon-120x120-precomposed.png",
            "/Apple-Touch-Icon-152x152.png",
            "/robots.txt",
            "/.well-known/security.txt",
            "/amp_preconnect_polyfill_404_or_other_error_expected._Do_not_worry_about_it",
        ] {
            assert!(is_fetched_unasked(r), "{r}");
        }
        for r in [
            "/img/favicon.ico",
            "/icons/apple-touch-icon.png",
            "/fonts/inter.woff2",
            "/api/robots.txt",
            "/api/v1/users",
        ] {
            assert!(!is_fetched_unasked(r), "{r}");
        }
        for r in [
            "/wp-login.php",
            "/wp-admin/install.php",
            "/.env",
            "/.git/config",
            "/phpMyAdmin/index.php",
        ] {
            assert!(is_probe_target(r), "{r}");
        }
        for r in [
            "/login",
            "/api/wp-login",
            "/blog/wp-guide",
            "/env",
            "/admin",
        ] {
            assert!(!is_probe_target(r), "{r}");
        }
    }

    #[test]
    fn ids_and_codes_are_unique_and_well_formed() {
        let mut ids = BTreeSet::new();
        let mut codes = BTreeSet::new();
        for r in RULES {
            let m = r.meta();
            assert!(ids.insert(m.id), "duplicate id {}", m.id);
            assert!(codes.insert(m.code), "duplicate code {}", m.code);
            assert!(
                m.id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{} is not kebab-case",
                m.id
            );
            assert!(
                !["use-", "avoid-", "prefer-", "no-"]
                    .iter()
                    .any(|p| m.id.starts_with(p)),
                "{}: ids name the smell, not the fix",
                m.id
            );
            assert!(
                m.code.len() == 5 && m.code.starts_with("SL"),
                "{}: code {}",
                m.id,
                m.code
            );
        }
        assert_eq!(
            RULES.len(),
            22,
            "the fourteen rules of SPEC §5, broken-link-404 (issue 14), redirect-on-api, incomplete-request, gateway-burst, client-503-limit, throttle-burst and abort-burst (issue 15), error-burst (SPEC §5's incidents: a 500 burst across routes)"
        );
    }

    #[test]
    fn every_rule_has_docs_with_the_fixed_headings() {
        for r in RULES {
            let m = r.meta();
            for h in [
                "## What it detects",
                "## Why it matters",
                "## Example",
                "## What to do",
                "## References",
            ] {
                assert!(m.docs.contains(h), "{} docs lack `{h}`", m.id);
            }
            assert!(!m.summary.is_empty(), "{} has no summary", m.id);
            for t in m.thresholds {
                assert!(
                    !t.doc.is_empty(),
                    "{}: threshold {} undocumented",
                    m.id,
                    t.name
                );
                assert!(
                    render_docs(m).contains(&format!("`{}`", t.name)),
                    "{}: {} missing from the docs",
                    m.id,
                    t.name
                );
            }
        }
    }

    #[test]
    fn rules_were_added_no_later_than_this_version() {
        let version = |s: &str| -> Vec<u32> {
            s.split('.')
                .map(|p| p.parse().expect("numeric version"))
                .collect()
        };
        let this = version(env!("CARGO_PKG_VERSION"));
        for r in RULES {
            let m = r.meta();
            assert!(
                version(m.since) <= this,
                "{} says it was added in {}",
                m.id,
                m.since
            );
        }
    }

    #[test]
    fn committed_docs_match_the_sources() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
        let bless = std::env::var_os("STATUSLENS_BLESS").is_some();
        for r in RULES {
            let m = r.meta();
            let path = dir.join(format!("{}.md", m.id));
            let want = render_docs(m);
            if bless {
                std::fs::create_dir_all(&dir).expect("create docs/rules");
                std::fs::write(&path, &want).expect("write docs");
                continue;
            }
            let have = std::fs::read_to_string(&path).unwrap_or_default();
            assert_eq!(
                have,
                want,
                "docs/rules/{}.md is stale: run `STATUSLENS_BLESS=1 cargo test --release --lib rules`",
                m.id
            );
        }
    }
}

//! `generic-500`: plain 500s where the evidence points to a more precise code.

use super::stats::{self, pearson, ratio, series};
use super::{Confidence, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};
use crate::aggregate::Counter;

/// See [`META`].
pub(crate) struct Generic500;

/// Threshold `min_500` (see [`META`]).
const MIN_500: Threshold = Threshold {
    name: "min_500",
    default: 20.0,
    doc: "fewest 500s on the endpoint before the rule looks at it",
};

/// Threshold `min_share` (see [`META`]).
const MIN_SHARE: Threshold = Threshold { name: "min_share", default: 0.05, doc: "share of the endpoint's requests that are 500 (0..1) that makes a flood; a burst qualifies whatever the share" };

/// Threshold `min_share_with_cause` (see [`META`]).
const MIN_SHARE_WITH_CAUSE: Threshold = Threshold { name: "min_share_with_cause", default: 0.01, doc: "share of the endpoint's requests that are 500 (0..1) that is enough when the log shows the cause (load, fast refusals on a write)" };

/// Threshold `dominance` (see [`META`]).
const DOMINANCE: Threshold = Threshold {
    name: "dominance",
    default: 0.8,
    doc: "share of the endpoint's application 5xx that are plain 500 (0..1)",
};

/// Threshold `load_correlation` (see [`META`]).
const LOAD_CORRELATION: Threshold = Threshold { name: "load_correlation", default: 0.6, doc: "Pearson correlation between the API's requests per time bucket and the endpoint's 500 rate per bucket" };

/// Threshold `min_points` (see [`META`]).
const MIN_POINTS: Threshold = Threshold {
    name: "min_points",
    default: 10.0,
    doc: "fewest time buckets with traffic before a correlation is computed",
};

/// Threshold `min_load_variation` (see [`META`]).
const MIN_LOAD_VARIATION: Threshold = Threshold { name: "min_load_variation", default: 0.25, doc: "coefficient of variation of the API's requests per bucket needed before load can explain anything" };

/// Share of an endpoint's requests that are 500 from which it is taken to fail on every call
/// (no successes to compare the failures with).
const ALWAYS_FAILS: f64 = 0.95;

/// Threshold `burst_width` (see [`META`]).
const BURST_WIDTH: Threshold = Threshold {
    name: "burst_width",
    default: 0.1,
    doc: "width of the window a burst is looked for in, as a share of the log's span (0..1; a longer burst is followed past it, up to a third of the span); the endpoint's series must span three windows",
};

/// Threshold `burst_share` (see [`META`]).
const BURST_SHARE: Threshold = Threshold {
    name: "burst_share",
    default: 0.6,
    doc: "share of the 500s inside the window (0..1)",
};

/// Threshold `fast_ratio` (see [`META`]).
const FAST_RATIO: Threshold = Threshold {
    name: "fast_ratio",
    default: 0.5,
    doc: "500 median latency at most this times the 2xx median counts as a fast refusal",
};

/// Threshold `ceiling_share` (see [`META`]).
const CEILING_SHARE: Threshold = Threshold { name: "ceiling_share", default: 0.5, doc: "share of 500s in a ±5% latency band above 1 s that marks a timeout (left to app-timeout-500)" };

static META: RuleMeta = RuleMeta {
    id: "generic-500",
    code: "SL001",
    severity: Severity::Warning,
    since: "0.1.0",
    summary:
        "An endpoint's failures are plain 500s where the evidence points to a more precise code.",
    docs: r#"
## What it detects
An endpoint whose server errors are mostly plain `500 Internal Server Error`, in volume: a
share of its traffic (a flood, 5 %) or a burst in time. A flood of plain 500s is always
reported; below it, 500s are reported when the log shows their cause (from 1 %: load, or fast
refusals on a write). What the figures show picks the recommendation and the confidence:

- **load**: the 500 rate rises and falls with the request rate of the rest of the API (Pearson
  correlation per time bucket, over a load that does vary) → the service is overloaded: `503
  Service Unavailable` (with `Retry-After`), or `429 Too Many Requests` when a per-client limit
  is what is hit;
- **burst**: the 500s crowd into one short window while the endpoint succeeds outside it → a
  dependency went down: `503`, or `502 Bad Gateway` if an upstream answered badly;
- **fast failures on a write**: on POST/PUT/PATCH/DELETE the 500s answer much faster than the
  successes, so the request was refused before any work → the input was at fault: `409
  Conflict` (state clash, duplicate) or `422 Unprocessable Content` (validation);
- **a method the handler does not take**: the endpoint's method fails on (nearly) every call
  while another method on the same route succeeds → `OPTIONS` (a CORS preflight): `204` with
  `Allow` and CORS headers, or `405`; `HEAD`: answer as `GET` (`200`) where `GET` succeeds
  (HTTP requires it), `405` where the route serves no `GET`; a write:
  `405` with `Allow` if the route does not support it, else `503` (what writes need is down) —
  low confidence; any other method: `405`, or `501` if the server supports it nowhere (low);
- **no cause in the log** (no durations logged, steady over time, no load link): the finding
  says so, at low confidence, and lists the candidates: on a write `409`/`422`, `503`; on a
  read whose 500s come steadily mixed with successes, requests the handler cannot serve
  (`404` for a missing record, `400` for a bad parameter) or one failing instance among
  several (`503`); on a read that fails on (nearly) every call, `503`; and in each case a
  timeout (`504`) unless the 500s answer no slower than the successes (under twice their
  median).

Time is measured against the log's own span, not the wall clock: the series has at most 720
buckets (one second for a 3-minute capture, an hour for a month), the burst window is a share
of the span (a burst longer than the window is followed to where it stands out most from the
rest — Kulldorff's scan statistic —, over quiet seconds inside it, up to a third of the span),
and minimum counts guard against noise. Stray lines hours or years off at either end of the log
do not stretch the span. The same traffic compressed into minutes
or stretched over days gives the same finding.

500s whose latencies pile up at one ceiling are timeouts; `app-timeout-500` reports those, and
this rule leaves them alone. Gateway-produced 500s are not counted.

## Why it matters
A 500 tells the client "something broke, we do not know what": clients cannot tell whether to
retry, back off or fix their request, and on-call cannot tell an overload from a bug from a bad
payload without reading code. A precise code makes clients behave correctly (a 503 with
`Retry-After` is retried later, a 422 is not retried at all) and makes dashboards say what
happened.

## Example
```
10.0.0.1 - - [01/May/2024:10:00:01 +0000] "POST /api/orders HTTP/1.1" 500 51 "-" "app" 0.004
10.0.0.2 - - [01/May/2024:10:00:01 +0000] "POST /api/orders HTTP/1.1" 201 312 "-" "app" 0.180
```
Most POST 500s take 4 ms while the 201s take 180 ms: the handler rejects the order before doing
any work — a 409 or 422 with an error body says why.

## What to do
Map the failure to its cause where it is raised: catch the validation or conflict error and
answer 4xx with a body naming the field; when a dependency is down or the service sheds load
answer 503 with `Retry-After`; keep 500 for real bugs. See `statuslens codes 500`.

## References
- RFC 9110 §15.6.1 (500), §15.6.4 (503), §15.5.10 (409), §15.5.21 (422)
"#,
    thresholds: &[
        MIN_500,
        MIN_SHARE,
        MIN_SHARE_WITH_CAUSE,
        DOMINANCE,
        LOAD_CORRELATION,
        MIN_POINTS,
        MIN_LOAD_VARIATION,
        BURST_WIDTH,
        BURST_SHARE,
        FAST_RATIO,
        CEILING_SHARE,
    ],
};

impl Rule for Generic500 {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        for e in &facts.endpoints {
            let n500 = e.status(500).saturating_sub(e.gateway_status(500));
            if (n500 as f64) < cfg.get(&MIN_500) {
                continue;
            }
            let app_5xx = e.class(500..=599).saturating_sub(
                e.stats
                    .gateway_statuses
                    .iter()
                    .filter(|(c, _)| (500..600).contains(c))
                    .map(|(_, n)| n)
                    .sum(),
            );
            if ratio(n500, app_5xx) < cfg.get(&DOMINANCE) {
                continue;
            }
            let lat500 = &e.stats.latency_500;
            if let Some(c) = stats::densest_band(lat500, 0.1) {
                if c.low_ms >= 1000.0 && c.share >= cfg.get(&CEILING_SHARE) {
                    continue; // a timeout: app-timeout-500's finding
                }
            }
            let series = series(e.stats);
            let width = ((cfg.get(&BURST_WIDTH) * facts.span_buckets as f64).ceil() as i64).max(1);
            let burst = stats::burst(&series, Counter::Status500, width).filter(|b| {
                b.share >= cfg.get(&BURST_SHARE) && b.rate_inside >= 5.0 * b.rate_outside
            });
            let share = e.share(n500);
            if share < cfg.get(&MIN_SHARE_WITH_CAUSE).min(cfg.get(&MIN_SHARE)) && burst.is_none() {
                continue;
            }
            // Load: the rest of the API's requests per bucket (this endpoint's own requests left
            // out, or they would correlate with themselves) against this endpoint's 500 rate.
            // Buckets are grouped so that each holds about ten of the endpoint's requests: a
            // rate over one or two requests is noise, whatever the resolution.
            let (mut xs, mut ys) = (Vec::new(), Vec::new());
            let group = match (series.first(), series.last()) {
                (Some(a), Some(b)) => {
                    ((b.0 - a.0 + 1).saturating_mul(10) / e.stats.count.max(1) as i64).max(1)
                }
                _ => 1,
            };
            let mut grouped: std::collections::BTreeMap<i64, (u64, u64)> = Default::default();
            for (m, c) in &series {
                let g = grouped.entry(m.div_euclid(group)).or_default();
                g.0 += stats::bucket_total(c);
                g.1 += u64::from(c.get(Counter::Status500));
            }
            // Time slices the endpoint was called in, and those with a 500.
            let (mut slices, mut slices_500) = (0u64, 0u64);
            for (g, (total, n500)) in grouped {
                slices += u64::from(total > 0);
                slices_500 += u64::from(n500 > 0);
                // The API's load over the whole group, not only the buckets this endpoint
                // happened to be called in (which would follow its own rate).
                let start = g.saturating_mul(group);
                let all: u64 = facts
                    .load
                    .range(start..start.saturating_add(group))
                    .map(|(_, n)| n)
                    .sum();
                if total > 0 {
                    xs.push(all.saturating_sub(total) as f64);
                    ys.push(ratio(n500, total));
                }
            }
            let varies = stats::variation(&xs) >= cfg.get(&MIN_LOAD_VARIATION);
            let corr = (varies && xs.len() as f64 >= cfg.get(&MIN_POINTS))
                .then(|| pearson(&xs, &ys))
                .flatten();
            let p50_500 = stats::quantile_ms(lat500, 0.5);
            let p50_2xx = stats::quantile_ms(&e.stats.latency_2xx, 0.5);
            let fast = match (p50_500, p50_2xx) {
                (Some(a), Some(b)) => e.is_write() && a <= cfg.get(&FAST_RATIO) * b,
                _ => false,
            };
            let load = corr.filter(|r| *r >= cfg.get(&LOAD_CORRELATION));
            // Below the flood share, only a cause the log shows makes a finding.
            if share < cfg.get(&MIN_SHARE) && burst.is_none() && load.is_none() && !fast {
                continue;
            }
            // The method never succeeds where others do: the handler does not take it.
            let allowed: Vec<&str> = facts
                .methods_of(e.host, e.route)
                .filter(|o| o.method != e.method && o.share(o.class(200..=299)) >= 0.5)
                .map(|o| o.method)
                .collect();
            let (recommended, confidence, why) = if share >= ALWAYS_FAILS && !allowed.is_empty() {
                let allow = allowed.join(", ");
                let those = match allowed.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        format!("{} and {last}", rest.join(", "))
                    }
                    _ => allow.clone(),
                };
                let succeed = format!(
                    "every {} fails while {those} on the same route succeed{}",
                    e.method,
                    if allowed.len() == 1 { "s" } else { "" }
                );
                match e.method {
                    "OPTIONS" => (
                        vec![204, 405],
                        Confidence::Medium,
                        format!("{succeed}: the handler does not take OPTIONS — a CORS preflight or a capability probe — and throws; answer 204 with the `Allow` (and CORS) headers, or 405 with `Allow: {allow}`"),
                    ),
                    "HEAD" if allowed.contains(&"GET") => (
                        vec![200],
                        Confidence::Medium,
                        format!("{succeed}: HEAD is GET without the body (RFC 9110 §9.3.2), a server that answers GET must answer HEAD (§9.1), and the handler does not take it; answer it as GET does"),
                    ),
                    "HEAD" => (
                        vec![405],
                        Confidence::Medium,
                        format!("{succeed}: the route serves no GET, so no HEAD either: 405 with `Allow: {allow}`"),
                    ),
                    _ if e.is_write() => (
                        vec![405, 503],
                        Confidence::Low,
                        format!("{succeed}: if the route does not support {}, that is 405 with `Allow: {allow}`; if it should, what writes need is failing (a read-only database, a full disk: 503) or every call hits a bug", e.method),
                    ),
                    _ => (
                        vec![405, 501],
                        Confidence::Low,
                        format!("{succeed}: if the route does not support {}, that is 405 with `Allow: {allow}` (501 if the server supports it nowhere); if it should, every call hits a bug", e.method),
                    ),
                }
            } else if let Some(r) = load {
                (
                    vec![503, 429],
                    if r >= 0.8 { Confidence::High } else { Confidence::Medium },
                    format!("the 500 rate follows the API's load (correlation {r:.2} over time): the service is overloaded, which is 503 with Retry-After (or 429 if a per-client limit is hit)"),
                )
            } else if let Some(b) = burst {
                (
                    vec![503, 502],
                    if b.rate_outside == 0.0 { Confidence::High } else { Confidence::Medium },
                    format!(
                        "{:.0}% of the 500s fall in {} while the endpoint succeeds outside it: a dependency went down, which is 503 (or 502 when an upstream answered badly)",
                        b.share * 100.0,
                        stats::human_duration((b.end - b.start + 1).saturating_mul(facts.bucket_ms))
                    ),
                )
            } else if fast {
                (
                    vec![409, 422],
                    Confidence::Medium,
                    format!(
                        "on this write endpoint the 500s answer in {} at the median against {} for successes: the request is refused before any work, which is a client-side conflict (409) or validation failure (422)",
                        stats::ms_text(lat500, p50_500.unwrap_or(0.0), 1),
                        stats::ms_text(&e.stats.latency_2xx, p50_2xx.unwrap_or(0.0), 1)
                    ),
                )
            } else {
                // A flood without a cause in the log is still the smell: say what is missing
                // and name the candidates.
                let seen = if p50_500.is_none() {
                    "the log has no durations to tell a refusal from a timeout, and the 500s neither follow the load nor crowd into one window"
                } else if e.is_write() {
                    "the 500s neither follow the load, nor crowd into one window, nor answer faster than successes"
                } else {
                    "the 500s neither follow the load nor crowd into one window"
                };
                let spread = ratio(slices_500, slices);
                let seen = if spread >= 0.5 && share < ALWAYS_FAILS {
                    format!(
                        "{seen}: they come throughout, in {:.0}% of the time slices it was called in, mixed with successes",
                        spread * 100.0
                    )
                } else {
                    seen.to_string()
                };
                // A timeout is slow: a candidate only while the 500s are not known to answer as
                // fast as the successes.
                let timeout = match (p50_500, p50_2xx) {
                    (Some(a), Some(b)) => a >= 2.0 * b,
                    _ => true,
                };
                const NOT_SLOWER: &str =
                    "not a timeout, as the 500s answer no slower than the successes";
                let (codes, candidates) = if e.is_write() && timeout {
                    (vec![409, 422, 503, 504], "a conflict (409) or invalid input (422) escaping as an exception, an unavailable dependency (503) or a timeout (504)".to_string())
                } else if e.is_write() {
                    (vec![409, 422, 503], format!("a conflict (409) or invalid input (422) escaping as an exception, or an unavailable dependency (503); {NOT_SLOWER}"))
                } else if share >= ALWAYS_FAILS && timeout {
                    (
                        vec![503, 504],
                        "an unavailable dependency (503), a timeout (504), or a bug hit by every call".to_string(),
                    )
                } else if share >= ALWAYS_FAILS {
                    (
                        vec![503],
                        format!("an unavailable dependency (503) or a bug hit by every call; {NOT_SLOWER}"),
                    )
                } else if timeout {
                    // Some requests fail and others succeed, steadily: what fails is what those
                    // requests ask for (a dependency that goes down fails them in a burst) — or
                    // one bad instance among several.
                    (vec![404, 400, 503, 504], "requests the handler cannot serve raising an exception (a missing record, 404, or a bad parameter, 400), one failing instance or dependency among several (503), or a timeout (504)".to_string())
                } else {
                    (vec![404, 400, 503], format!("requests the handler cannot serve raising an exception (a missing record, 404, or a bad parameter, 400), or one failing instance or dependency among several (503); {NOT_SLOWER}"))
                };
                (
                    codes,
                    Confidence::Low,
                    format!("{seen}, so the cause is not in the log; candidates: {candidates}"),
                )
            };
            let mut f = Finding::new(&META, e, 500, recommended, n500);
            f.confidence = confidence;
            f.message = format!(
                "{} {} answered {} plain 500s ({:.1}% of its requests); {}.",
                e.method,
                e.route,
                n500,
                share * 100.0,
                why
            );
            let mut ev = f
                .evidence
                .clone()
                .figure("count_500", n500)
                .rate("share_500", share);
            if let Some(r) = corr {
                ev = ev.figure("load_correlation", r);
            }
            if let Some(b) = burst {
                ev = ev
                    .rate("burst_share", b.share)
                    .rate("burst_rate_500", b.rate_inside)
                    .rate("outside_rate_500", b.rate_outside);
                ev.window = Some((
                    b.start.saturating_mul(facts.bucket_ms),
                    (b.end + 1).saturating_mul(facts.bucket_ms),
                ));
            } else {
                ev.window = stats::window_of(&series, Counter::Status500, facts.bucket_ms);
            }
            if let Some(v) = p50_500 {
                ev = ev.ms("p50_500_ms", v);
            }
            if let Some(v) = p50_2xx {
                ev = ev.ms("p50_2xx_ms", v);
            }
            ev = ev.resolution(e);
            ev.samples = e.stats.samples.get(500).to_vec();
            f.evidence = ev;
            out.push(f);
        }
    }
}

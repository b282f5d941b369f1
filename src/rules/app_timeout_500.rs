//! `app-timeout-500`: 500s whose latencies pile up at a fixed ceiling.

use super::stats::{self, series};
use super::{Confidence, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};
use crate::aggregate::Counter;

/// See [`META`].
pub(crate) struct AppTimeout500;

/// Threshold `min_500` (see [`META`]).
const MIN_500: Threshold = Threshold {
    name: "min_500",
    default: 20.0,
    doc: "fewest 500s with a logged duration",
};

/// Threshold `min_ceiling_ms` (see [`META`]).
const MIN_CEILING_MS: Threshold = Threshold {
    name: "min_ceiling_ms",
    default: 1000.0,
    doc: "lowest latency (ms) a ceiling may sit at",
};

/// Threshold `pile_share` (see [`META`]).
const PILE_SHARE: Threshold = Threshold {
    name: "pile_share",
    default: 0.5,
    doc: "share of the 500s inside the ±5% band (0..1)",
};

/// Threshold `max_2xx_above` (see [`META`]).
const MAX_2XX_ABOVE: Threshold = Threshold { name: "max_2xx_above", default: 0.01, doc: "largest share of 2xx responses at or above the ceiling (0..1): successes must finish below it" };

static META: RuleMeta = RuleMeta {
    id: "app-timeout-500",
    code: "SL002",
    severity: Severity::Warning,
    since: "0.1.0",
    summary: "500s whose latencies pile up at one ceiling: a timeout reported as a generic error.",
    docs: r#"
## What it detects
An endpoint whose 500 responses mostly take the same, long time — a narrow latency band (±5%)
above a floor of a second — while its successes finish well below it. That pile-up is the
signature of a timeout: a client library, a database statement timeout or a worker deadline
fires at a fixed duration and the handler turns the exception into a 500.

## Why it matters
A timeout is not a bug in the request: retrying later may well work, and the operator needs to
look at the slow dependency, not at the handler. `504 Gateway Timeout` says exactly that (the
service acted as a gateway to something that did not answer in time); `503` fits when the
service itself gave up because it is saturated. A 500 hides both.

## Example
```
10.0.0.1 - - [01/May/2024:10:00:01 +0000] "GET /api/report HTTP/1.1" 500 60 "-" "app" 30.001
10.0.0.2 - - [01/May/2024:10:00:09 +0000] "GET /api/report HTTP/1.1" 500 60 "-" "app" 30.002
10.0.0.3 - - [01/May/2024:10:00:12 +0000] "GET /api/report HTTP/1.1" 200 918 "-" "app" 0.420
```

## What to do
Catch the timeout where it is raised and answer 504 (or 503 with `Retry-After` when shedding
load); then look at why the dependency is slow. See `statuslens codes 504`.

## References
- RFC 9110 §15.6.5 (504), §15.6.4 (503)
"#,
    thresholds: &[MIN_500, MIN_CEILING_MS, PILE_SHARE, MAX_2XX_ABOVE],
};

impl Rule for AppTimeout500 {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        for e in &facts.endpoints {
            let lat = &e.stats.latency_500;
            let timed = lat.len();
            if (timed as f64) < cfg.get(&MIN_500) {
                continue;
            }
            let Some(c) = stats::densest_band(lat, 0.1) else {
                continue;
            };
            if c.low_ms < cfg.get(&MIN_CEILING_MS) || c.share < cfg.get(&PILE_SHARE) {
                continue;
            }
            let above =
                stats::share_at_or_above(&e.stats.latency_2xx, (c.low_ms * 1000.0 * 0.95) as u64);
            if above > cfg.get(&MAX_2XX_ABOVE) {
                continue;
            }
            let mut f = Finding::new(&META, e, 500, vec![504, 503], c.count);
            f.confidence = if c.share >= 0.8 {
                Confidence::High
            } else {
                Confidence::Medium
            };
            let p50_2xx = stats::quantile_ms(&e.stats.latency_2xx, 0.5);
            f.message = format!(
                "{} {}: {} of its {} timed 500s ({:.0}%) took {}, a fixed ceiling{}; that is a timeout, which 504 reports (503 if the service gave up under load).",
                e.method,
                e.route,
                c.count,
                timed,
                c.share * 100.0,
                if c.high_ms.round() == c.low_ms.round() {
                    format!("{:.0} ms", c.low_ms)
                } else {
                    format!("between {:.0} and {:.0} ms", c.low_ms, c.high_ms)
                },
                p50_2xx.map_or(String::new(), |p| format!(
                    " far above the median of its successes, {}",
                    stats::ms_text(&e.stats.latency_2xx, p, 0)
                ))
            );
            let mut ev = f
                .evidence
                .clone()
                .figure("count_500_timed", timed)
                .figure("at_ceiling", c.count)
                .rate("ceiling_share", c.share)
                .ms("ceiling_low_ms", c.low_ms)
                .ms("ceiling_high_ms", c.high_ms)
                .rate("share_2xx_at_or_above", above);
            if let Some(p) = p50_2xx {
                ev = ev.ms("p50_2xx_ms", p);
            }
            ev = ev.resolution(e);
            ev.window = stats::window_of(&series(e.stats), Counter::Status500, facts.bucket_ms);
            ev.samples = e.stats.samples.get(500).to_vec();
            f.evidence = ev;
            out.push(f);
        }
    }
}

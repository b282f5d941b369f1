//! `retired-404`: a route that answered 2xx earlier and only 404 afterwards.

use super::stats::{self, minutes, ratio};
use super::{Confidence, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};
use crate::aggregate::Counter;

/// See [`META`].
pub(crate) struct Retired404;

/// Threshold `min_2xx_before` (see [`META`]).
const MIN_2XX_BEFORE: Threshold = Threshold {
    name: "min_2xx_before",
    default: 20.0,
    doc: "fewest 2xx before the change point",
};

/// Threshold `min_2xx_share_before` (see [`META`]).
const MIN_2XX_SHARE_BEFORE: Threshold = Threshold {
    name: "min_2xx_share_before",
    default: 0.5,
    doc: "share of 2xx before the change point (0..1)",
};

/// Threshold `min_after` (see [`META`]).
const MIN_AFTER: Threshold = Threshold {
    name: "min_after",
    default: 20.0,
    doc: "fewest requests after the change point",
};

/// Threshold `min_404_share_after` (see [`META`]).
const MIN_404_SHARE_AFTER: Threshold = Threshold {
    name: "min_404_share_after",
    default: 0.95,
    doc: "share of 404 after the change point (0..1)",
};

/// Threshold `min_after_minutes` (see [`META`]).
const MIN_AFTER_MINUTES: Threshold = Threshold {
    name: "min_after_minutes",
    default: 15.0,
    doc: "shortest time (minutes) from the change point to the last request",
};

static META: RuleMeta = RuleMeta {
    id: "retired-404",
    code: "SL010",
    severity: Severity::Warning,
    since: "0.2.0",
    summary: "A route that answered 2xx earlier in the window and only 404 afterwards.",
    docs: r#"
## What it detects
A change point in an endpoint's per-minute series: up to some minute it mostly succeeded, and
from the next minute on — for a while and for a fair number of requests — it answers only 404.
The change point is the last minute with a 2xx; the rule asks for enough successes before it
and enough 404s, over enough time, after it. Endpoints that mix 200s for known ids and 404s for
unknown ones all along have no such point and are left alone.

## Why it matters
Either the route was removed on purpose — then `410 Gone` tells clients to stop calling it (and
caches and crawlers to forget it) while a 404 invites retries with other ids — or a deploy
dropped it by mistake, which is an outage the status mix hides as "client errors".

## Example
```
10.0.0.1 - - [01/May/2024:09:59:58 +0000] "GET /api/v1/items HTTP/1.1" 200 918 "-" "app"
10.0.0.1 - - [01/May/2024:10:00:03 +0000] "GET /api/v1/items HTTP/1.1" 404 22 "-" "app"
```

## What to do
If it was retired on purpose, answer 410 (with a link to the replacement, and a `Sunset` header
beforehand); if not, look at the deploy at the change point. See `statuslens codes 410`.

## References
- RFC 9110 §15.5.11 (410), RFC 8594 (Sunset)
- SPEC §5
"#,
    thresholds: &[
        MIN_2XX_BEFORE,
        MIN_2XX_SHARE_BEFORE,
        MIN_AFTER,
        MIN_404_SHARE_AFTER,
        MIN_AFTER_MINUTES,
    ],
};

impl Rule for Retired404 {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        for e in &facts.endpoints {
            let series = minutes(e.stats);
            let Some(last_ok) = series
                .iter()
                .rposition(|(_, c)| c.get(Counter::Class(2)) > 0)
            else {
                continue;
            };
            let (before, after) = series.split_at(last_ok + 1);
            let (Some(&(change, _)), Some(&(end, _))) = (before.last(), after.last()) else {
                continue;
            };
            let ok_before: u64 = before
                .iter()
                .map(|(_, c)| u64::from(c.get(Counter::Class(2))))
                .sum();
            let req_before: u64 = before.iter().map(|(_, c)| stats::minute_total(c)).sum();
            let req_after: u64 = after.iter().map(|(_, c)| stats::minute_total(c)).sum();
            let nf_after: u64 = after
                .iter()
                .map(|(_, c)| u64::from(c.get(Counter::Status404)))
                .sum();
            if (ok_before as f64) < cfg.get(&MIN_2XX_BEFORE)
                || ratio(ok_before, req_before) < cfg.get(&MIN_2XX_SHARE_BEFORE)
                || (req_after as f64) < cfg.get(&MIN_AFTER)
                || ratio(nf_after, req_after) < cfg.get(&MIN_404_SHARE_AFTER)
                || ((end - change) as f64) < cfg.get(&MIN_AFTER_MINUTES)
            {
                continue;
            }
            let mut f = Finding::new(&META, e, 404, vec![410], nf_after);
            f.confidence = if nf_after == req_after {
                Confidence::High
            } else {
                Confidence::Medium
            };
            f.message = format!(
                "{} {} answered 2xx to {} requests until {} and 404 to {} of the {} requests after it, over {} minutes; if the route was retired on purpose that is 410 Gone, otherwise a deploy dropped it.",
                e.method,
                e.route,
                ok_before,
                crate::format::time::rfc3339((change + 1) * 60_000),
                nf_after,
                req_after,
                end - change
            );
            let mut ev = f
                .evidence
                .clone()
                .figure(
                    "change_point",
                    crate::format::time::rfc3339((change + 1) * 60_000),
                )
                .figure("count_2xx_before", ok_before)
                .rate("share_2xx_before", ratio(ok_before, req_before))
                .figure("requests_after", req_after)
                .rate("share_404_after", ratio(nf_after, req_after));
            ev.window = Some(((change + 1) * 60_000, (end + 1) * 60_000));
            // The earliest 404s of the endpoint (the aggregate keeps the first few).
            ev.samples = e.stats.samples.get(404).to_vec();
            f.evidence = ev;
            out.push(f);
        }
    }
}

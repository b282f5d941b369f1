//! `retired-404`: a route that answered 2xx earlier and only 404 afterwards.

use super::stats::{self, ratio, series};
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

/// Threshold `min_after_span` (see [`META`]).
const MIN_AFTER_SPAN: Threshold = Threshold {
    name: "min_after_span",
    default: 0.1,
    doc: "shortest time from the change point to the last request, as a share of the log's span (0..1)",
};

static META: RuleMeta = RuleMeta {
    id: "retired-404",
    code: "SL010",
    severity: Severity::Warning,
    since: "0.1.0",
    summary: "A route that answered 2xx earlier in the window and only 404 afterwards.",
    docs: r#"
## What it detects
A change point in an endpoint's time series: up to some moment it mostly succeeded, and from
the next bucket on — for a while and for a fair number of requests — it answers only 404. The
change point is the last bucket with a 2xx; the rule asks for enough successes before it and
enough 404s after it, over a tenth of the log's span at least. Time is the log's own: buckets
are one second in a 3-minute capture and an hour in a month, so the same traffic compressed or
stretched gives the same finding. Endpoints that mix 200s for known ids and 404s for unknown
ones all along have no such point and are left alone.

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
"#,
    thresholds: &[
        MIN_2XX_BEFORE,
        MIN_2XX_SHARE_BEFORE,
        MIN_AFTER,
        MIN_404_SHARE_AFTER,
        MIN_AFTER_SPAN,
    ],
};

impl Rule for Retired404 {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        for e in &facts.endpoints {
            let series = series(e.stats);
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
            let req_before: u64 = before.iter().map(|(_, c)| stats::bucket_total(c)).sum();
            let req_after: u64 = after.iter().map(|(_, c)| stats::bucket_total(c)).sum();
            let nf_after: u64 = after
                .iter()
                .map(|(_, c)| u64::from(c.get(Counter::Status404)))
                .sum();
            if (ok_before as f64) < cfg.get(&MIN_2XX_BEFORE)
                || ratio(ok_before, req_before) < cfg.get(&MIN_2XX_SHARE_BEFORE)
                || (req_after as f64) < cfg.get(&MIN_AFTER)
                || ratio(nf_after, req_after) < cfg.get(&MIN_404_SHARE_AFTER)
                || ((end - change) as f64) < cfg.get(&MIN_AFTER_SPAN) * facts.span_buckets as f64
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
                "{} {} answered 2xx to {} requests until {} and 404 to {} of the {} requests after it, over {}; if the route was retired on purpose that is 410 Gone, otherwise a deploy dropped it.",
                e.method,
                e.route,
                ok_before,
                crate::format::time::rfc3339((change + 1).saturating_mul(facts.bucket_ms)),
                nf_after,
                req_after,
                stats::human_duration((end - change).saturating_mul(facts.bucket_ms))
            );
            let mut ev = f
                .evidence
                .clone()
                .figure(
                    "change_point",
                    crate::format::time::rfc3339((change + 1).saturating_mul(facts.bucket_ms)),
                )
                .figure("count_2xx_before", ok_before)
                .rate("share_2xx_before", ratio(ok_before, req_before))
                .figure("requests_after", req_after)
                .rate("share_404_after", ratio(nf_after, req_after));
            ev.window = Some((
                (change + 1).saturating_mul(facts.bucket_ms),
                (end + 1).saturating_mul(facts.bucket_ms),
            ));
            // The earliest 404s of the endpoint (the aggregate keeps the first few).
            ev.samples = e.stats.samples.get(404).to_vec();
            f.evidence = ev;
            out.push(f);
        }
    }
}

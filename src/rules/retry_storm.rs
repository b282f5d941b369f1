//! `retry-storm`: clients that get 429/503 and come back at once, many times.

use std::collections::BTreeSet;

use super::stats::ratio;
use super::{
    Confidence, Endpoint, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold,
};
use crate::aggregate::signals::{ThrottleTrack, THROTTLE_CLIENTS};
use crate::aggregate::MinuteCounts;

/// See [`META`].
pub(crate) struct RetryStorm;

/// Threshold `min_throttled` (see [`META`]).
const MIN_THROTTLED: Threshold = Threshold {
    name: "min_throttled",
    default: 20.0,
    doc: "fewest throttled responses of one client on the endpoint",
};

/// Threshold `quick_share` (see [`META`]).
const QUICK_SHARE: Threshold = Threshold {
    name: "quick_share",
    default: 0.5,
    doc: "share of its throttled responses that came within two seconds of the previous one (0..1)",
};

static META: RuleMeta = RuleMeta {
    id: "retry-storm",
    code: "SL008",
    severity: Severity::Warning,
    since: "0.1.0",
    summary: "Clients that get 429/503 and come back at once, many times, on the same endpoint.",
    docs: r#"
## What it detects
Clients that are throttled (429) or turned away (503) on an endpoint and retry within a second
or two, again and again. For each throttled client the aggregate keeps, per minute, which
seconds had a throttled response and how many; a *quick return* is a throttled response in the
same or the next second as the client's previous one. Memory stays bounded whatever the number
of clients: the rule follows a uniform sample of the endpoint's throttled clients (the 32 with
the smallest address hashes, at most 240 minutes each), so the figures are exact for the sample
and independent of how the input was split.

When the answer was 503, the storming clients got nearly all of the endpoint's 503s (≥ 90 %),
and the endpoint went on serving (2xx/3xx per time bucket, in the buckets of their throttled
seconds, at least half its rate in the rest of its span), the 503s were a limit on those
clients — nginx's `limit_req` answers 503 unless `limit_req_status` says otherwise — and the
finding recommends 429. An outage answers everyone and serves nobody: it keeps 503.

## Why it matters
Immediate retries turn a short overload into a long one: every rejected request comes back and
adds load exactly when the service sheds it. The server controls the fix: `Retry-After` tells
well-behaved clients when to return, and a documented backoff policy fixes the others.

## Example
```
10.0.0.7 - - [01/May/2024:10:00:01 +0000] "GET /api/quote HTTP/1.1" 429 18 "-" "bot/1.0"
10.0.0.7 - - [01/May/2024:10:00:01 +0000] "GET /api/quote HTTP/1.1" 429 18 "-" "bot/1.0"
10.0.0.7 - - [01/May/2024:10:00:02 +0000] "GET /api/quote HTTP/1.1" 429 18 "-" "bot/1.0"
```

## What to do
Send `Retry-After` with every 429 and 503, make client libraries honour it with exponential
backoff and jitter, and consider blocking clients that ignore it. A per-client limit answers
429 (`limit_req_status 429;` in nginx). See `statuslens codes 429`.

## References
- RFC 6585 §4 (429), RFC 9110 §10.2.3 (Retry-After), §15.6.4 (503)
"#,
    thresholds: &[MIN_THROTTLED, QUICK_SHARE],
};

impl Rule for RetryStorm {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        for e in &facts.endpoints {
            let tracks = &e.stats.throttles.tracks;
            let mut storming = Vec::new();
            for t in tracks {
                let n = t.throttled();
                if (n as f64) < cfg.get(&MIN_THROTTLED) {
                    continue;
                }
                let quick = t.quick_returns();
                let share = ratio(quick, n - 1);
                if share >= cfg.get(&QUICK_SHARE) {
                    storming.push((t, n, quick, share));
                }
            }
            if storming.is_empty() {
                continue;
            }
            storming.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.client.cmp(&b.0.client)));
            let observed = if e.status(429) >= e.status(503) {
                429
            } else {
                503
            };
            let throttled: u64 = storming.iter().map(|s| s.1).sum();
            let quick: u64 = storming.iter().map(|s| s.2).sum();
            // 503s that went to the storming clients alone while the endpoint went on serving
            // as usual in the very seconds they came: a limit on those clients (nginx's
            // `limit_req` answers 503 unless told otherwise), which is 429 — not the service
            // being down, which is what 503 tells clients and monitors.
            let limit = (observed == 503 && throttled * 10 >= (e.status(503) + e.status(429)) * 9)
                .then(|| served_meanwhile(e, &storming, facts.bucket_ms))
                .flatten()
                .filter(|s| s.in_window >= s.usual / 2.0);
            let recommended = if limit.is_some() { 429 } else { observed };
            let mut f = Finding::new(&META, e, observed, vec![recommended], throttled);
            f.confidence = if storming.len() > 1 || ratio(quick, throttled) >= 0.8 {
                Confidence::High
            } else {
                Confidence::Medium
            };
            let first = storming[0];
            let name = facts
                .client_name(first.0.client)
                .unwrap_or_else(|| "a client".to_string());
            f.message = format!(
                "{} {}: {} client(s) kept coming back after {}: {} throttled responses, {:.0}% of them within two seconds of the previous one (top: {} with {}). ",
                e.method,
                e.route,
                storming.len(),
                observed,
                throttled,
                ratio(quick, throttled) * 100.0,
                name,
                first.1,
            );
            match limit {
                Some(s) => f.message.push_str(&format!(
                    "They got {:.0}% of the endpoint's 503s and 429s while it went on serving in the same seconds ({:.1} successes per {} against {:.1} usually): a limit on these clients answered 503 (nginx's limit_req does unless `limit_req_status 429`). Answer it with 429 and Retry-After; 503 tells clients and monitors the service is down.",
                    ratio(throttled, e.status(503) + e.status(429)) * 100.0,
                    s.in_window,
                    super::stats::human_duration(facts.bucket_ms),
                    s.usual
                )),
                None => f.message.push_str(&format!(
                    "Send Retry-After with every {observed} and make clients back off."
                )),
            }
            let window = storming
                .iter()
                .filter_map(|s| s.0.span())
                .fold(None::<(i64, i64)>, |acc, (a, b)| {
                    Some(acc.map_or((a, b), |(x, y)| (x.min(a), y.max(b))))
                });
            let mut ev = f
                .evidence
                .clone()
                .figure("storming_clients", storming.len())
                .figure("sampled_clients", tracks.len())
                .figure("sample_cap", THROTTLE_CLIENTS)
                .figure("throttled", throttled)
                .figure("quick_returns", quick)
                .figure("endpoint_429", e.status(429))
                .figure("endpoint_503", e.status(503));
            for s in storming.iter().take(5) {
                ev = ev.figure(
                    "client",
                    format!(
                        "{}: {} throttled, {:.0}% quick",
                        facts
                            .client_name(s.0.client)
                            .unwrap_or_else(|| "?".to_string()),
                        s.1,
                        s.3 * 100.0
                    ),
                );
            }
            if let Some(s) = limit {
                ev = ev
                    .figure(
                        "served_per_bucket_meanwhile",
                        super::stats::round(s.in_window, 1),
                    )
                    .figure("served_per_bucket_usually", super::stats::round(s.usual, 1));
            }
            ev.window = window.map(|(a, b)| (a * 60_000, (b + 1) * 60_000));
            ev.samples = e.stats.samples.get(observed).to_vec();
            f.evidence = ev;
            out.push(f);
        }
    }
}

/// Successes (2xx, 3xx) of an endpoint per time bucket: in the buckets where the storming
/// clients were throttled, and in the others of the endpoint's span.
#[derive(Clone, Copy, Debug)]
struct Served {
    in_window: f64,
    usual: f64,
}

/// What the endpoint served while `storming` clients were throttled (their throttled seconds,
/// to the run's bucket), against the rest of its span; `None` when the throttles fill the span.
fn served_meanwhile(
    e: &Endpoint<'_>,
    storming: &[(&ThrottleTrack, u64, u64, f64)],
    bucket_ms: i64,
) -> Option<Served> {
    let bucket_ms = bucket_ms.max(1000);
    let mut window = BTreeSet::new();
    for (t, ..) in storming {
        for &(minute, seconds, _) in &t.minutes {
            for bit in (0..60).filter(|b| seconds & (1u64 << b) != 0) {
                window.insert(
                    minute
                        .saturating_mul(60)
                        .saturating_add(bit)
                        .saturating_mul(1000)
                        .div_euclid(bucket_ms),
                );
            }
        }
    }
    let served = |c: &MinuteCounts| {
        let k = c.classes();
        u64::from(k[2]) + u64::from(k[3])
    };
    let (mut inside, mut outside) = (0u64, 0u64);
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for (b, c) in e.stats.series.iter() {
        first = first.min(*b);
        last = last.max(*b);
        if window.contains(b) {
            inside += served(c);
        } else {
            outside += served(c);
        }
    }
    let span = u64::try_from(last.checked_sub(first)?.checked_add(1)?).ok()?;
    let in_span = window.range(first..=last).count() as u64;
    let others = span.checked_sub(in_span).filter(|&n| n > 0)?;
    Some(Served {
        in_window: inside as f64 / in_span.max(1) as f64,
        usual: outside as f64 / others as f64,
    })
}

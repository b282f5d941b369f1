//! `retry-storm`: clients that get 429/503 and come back at once, many times.

use super::stats::ratio;
use super::{Confidence, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};
use crate::aggregate::signals::THROTTLE_CLIENTS;

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
backoff and jitter, and consider blocking clients that ignore it. See `statuslens codes 429`.

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
            let mut f = Finding::new(&META, e, observed, vec![observed], throttled);
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
                "{} {}: {} client(s) kept coming back after {}: {} throttled responses, {:.0}% of them within two seconds of the previous one (top: {} with {}). Send Retry-After with every {} and make clients back off.",
                e.method,
                e.route,
                storming.len(),
                observed,
                throttled,
                ratio(quick, throttled) * 100.0,
                name,
                first.1,
                observed
            );
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
            ev.window = window.map(|(a, b)| (a * 60_000, (b + 1) * 60_000));
            ev.samples = e.stats.samples.get(observed).to_vec();
            f.evidence = ev;
            out.push(f);
        }
    }
}

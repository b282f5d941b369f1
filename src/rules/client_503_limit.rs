//! `client-503-limit`: one client gets a burst of 503 over many endpoints while the API serves
//! the others — a per-client limit answered with 503 instead of 429.

use super::stats::{self, ratio};
use super::{
    Confidence, Evidence, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold,
};

/// See [`META`].
pub(crate) struct Client503Limit;

/// Threshold `min_count` (see [`META`]).
const MIN_COUNT: Threshold = Threshold {
    name: "min_count",
    default: 20.0,
    doc: "fewest 503s to the client",
};

/// Threshold `min_endpoints` (see [`META`]).
const MIN_ENDPOINTS: Threshold = Threshold {
    name: "min_endpoints",
    default: 5.0,
    doc: "fewest distinct endpoints among the client's 503s (estimated past 64)",
};

/// Threshold `min_share_of_503` (see [`META`]).
const MIN_SHARE_OF_503: Threshold = Threshold {
    name: "min_share_of_503",
    default: 0.5,
    doc: "share of all the API's 503s that went to this client (0..1): an outage answers everyone",
};

/// Threshold `burst_width` (see [`META`]).
const BURST_WIDTH: Threshold = Threshold {
    name: "burst_width",
    default: 0.1,
    doc: "longest stretch of the client's 503s, as a share of the log's span (0..1; at least a minute)",
};

static META: RuleMeta = RuleMeta {
    id: "client-503-limit",
    code: "SL019",
    severity: Severity::Warning,
    since: "0.1.0",
    summary: "One client gets a burst of 503 over many endpoints: a per-client limit answered 503 instead of 429.",
    docs: r#"
## What it detects
A client that got at least `min_count` 503s on at least `min_endpoints` different endpoints,
within a short stretch (a tenth of the log's span, at least a minute), holding most of the
API's 503s while the others were served — the signature of a rate or concurrency limit per
client (an API gateway's, a WAF's, the application's) answering 503. Each endpoint sees one or
two of them, so no endpoint's rule notices; an outage answers 503 to everyone and is left to
`gateway-burst` and `gateway-5xx`.

## Why it matters
503 says the *service* is unavailable: clients and their libraries retry it, often at once and
against another endpoint, and monitors page the on-call team. 429 says *this client* is over
its limit, and with `Retry-After` it says when to come back.

## Example
```
10.9.9.9 - - [01/May/2024:10:00:01 +0000] "GET /api/items/1 HTTP/1.1" 503 0 "-" "crawler"
10.9.9.9 - - [01/May/2024:10:00:01 +0000] "GET /api/items/2 HTTP/1.1" 503 0 "-" "crawler"
10.9.9.9 - - [01/May/2024:10:00:01 +0000] "GET /api/users/7 HTTP/1.1" 503 0 "-" "crawler"
```

## What to do
Answer the limit with 429 and `Retry-After` (RFC 6585 §4); keep 503 for when the service
itself cannot answer. Most gateways have a setting for the code of a rate-limit rejection
(nginx `limit_req_status 429`, Envoy's local rate limit `status`, AWS WAF custom responses).

## References
- RFC 6585 §4 (429), RFC 9110 §15.6.4 (503), §10.2.3 (Retry-After)
"#,
    thresholds: &[MIN_COUNT, MIN_ENDPOINTS, MIN_SHARE_OF_503, BURST_WIDTH],
};

impl Rule for Client503Limit {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        let all_503: u64 = facts.endpoints.iter().map(|e| e.status(503)).sum();
        let longest = ((cfg.get(&BURST_WIDTH) * (facts.span_buckets * facts.bucket_ms) as f64)
            as i64)
            .max(60_000);
        let mut clients: Vec<_> = facts
            .aggregate
            .clients
            .values()
            .filter(|c| {
                (c.unavailable as f64) >= cfg.get(&MIN_COUNT)
                    && c.unavailable_endpoints.estimate() >= cfg.get(&MIN_ENDPOINTS)
                    && ratio(c.unavailable, all_503) >= cfg.get(&MIN_SHARE_OF_503)
                    && c.unavailable_span.is_some_and(|(a, b)| b - a <= longest)
            })
            .collect();
        clients.sort_by(|a, b| {
            b.unavailable
                .cmp(&a.unavailable)
                .then_with(|| a.name.cmp(&b.name))
        });
        for c in clients {
            let name = String::from_utf8_lossy(&c.name).into_owned();
            let endpoints = c.unavailable_endpoints.estimate().round() as u64;
            let (start, end) = c.unavailable_span.unwrap_or_default();
            out.push(Finding {
                rule: META.id,
                severity: META.severity,
                confidence: if c.unavailable * 10 >= all_503 * 9 {
                    Confidence::High
                } else {
                    Confidence::Medium
                },
                method: "*".to_string(),
                host: None,
                route: super::API_WIDE.to_string(),
                observed_status: 503,
                recommended_status: vec![429],
                count: c.unavailable,
                share: ratio(c.unavailable, all_503),
                message: format!(
                    "Client {name} got {} responses 503 over about {endpoints} endpoints within {}, {:.0}% of all the API's 503s, while the others were served: a per-client limit answering 503. Answer it with 429 and Retry-After; 503 tells clients and monitors the whole service is down.",
                    c.unavailable,
                    stats::human_duration((end - start).max(1000)),
                    ratio(c.unavailable, all_503) * 100.0
                ),
                evidence: Evidence {
                    figures: vec![
                        ("client", name.clone().into()),
                        ("count_503", c.unavailable.into()),
                        ("endpoints", endpoints.into()),
                        ("share_of_503", ratio(c.unavailable, all_503).into()),
                        ("count_429", c.throttled.saturating_sub(c.unavailable).into()),
                    ],
                    window: Some((start, end.saturating_add(1000))),
                    samples: c.unavailable_samples.clone(),
                },
            });
        }
    }
}

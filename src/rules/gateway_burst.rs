//! `gateway-burst`: 502/503/504 concentrated in one stretch of time over several endpoints — a
//! target or dependency down, seen over the whole API where each endpoint has only a few.

use std::collections::BTreeMap;

use super::stats::{self, Point};
use super::{Endpoint, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};
use crate::aggregate::{Counter, MinuteCounts};

/// See [`META`].
pub(crate) struct GatewayBurst;

/// Threshold `min_count` (see [`META`]).
const MIN_COUNT: Threshold = Threshold {
    name: "min_count",
    default: 20.0,
    doc: "fewest 5xx other than 500 inside the burst",
};

/// Threshold `min_endpoints` (see [`META`]).
const MIN_ENDPOINTS: Threshold = Threshold {
    name: "min_endpoints",
    default: 3.0,
    doc: "fewest endpoints the burst touches",
};

/// Threshold `burst_width` (see [`META`]).
const BURST_WIDTH: Threshold = Threshold {
    name: "burst_width",
    default: 0.1,
    doc: "widest burst, as a share of the log's time span (0..1)",
};

/// Threshold `min_burst_share` (see [`META`]).
const MIN_BURST_SHARE: Threshold = Threshold {
    name: "min_burst_share",
    default: 0.5,
    doc: "share of all the API's 5xx other than 500 that fall inside the burst (0..1)",
};

static META: RuleMeta = RuleMeta {
    id: "gateway-burst",
    code: "SL018",
    severity: Severity::Warning,
    since: "0.1.0",
    summary:
        "A burst of 502/503/504 over several endpoints at once: a target or a dependency was down.",
    docs: r#"
## What it detects
5xx responses other than 500 — 502, 503, 504 and their vendor cousins — crowded into one
stretch of at most a tenth of the log's span, over several endpoints, at least five times as
frequent inside the stretch as outside, and holding most of the API's such responses. Each
endpoint may have only a few (below what `gateway-5xx` reports); together they are an incident.
One finding, method `*` and route `(whole API)`, with the window and the endpoints touched,
busiest first. When the logs name several hosts the burst is scoped: to the host that holds
90 % or more of it, and a host's burst that the other hosts' traffic drowns is looked for host
by host. When the log names where the gateway sent each request (ALB target group, nginx
`$proxy_upstream_name`/`$upstream_addr`, Traefik `ServiceName`, Envoy `upstream_cluster`),
the upstream holding 90 % or more of the burst is named (`upstream` in the evidence). A 503
burst that one client got 90 % of is a per-client limit, which `client-503-limit` reports.

## Why it matters
A load balancer answering 502 for ten minutes because its target group was crash-looping is
what a review of failed requests is for, and it is invisible endpoint by endpoint. The codes
are usually right (the gateway could not reach the application); the question is why the
application was not there.

## Example
```
10.0.0.1 - - [01/May/2024:10:00:01 +0000] "GET /api/cart HTTP/1.1" 502 150 "-" "app"
10.0.0.2 - - [01/May/2024:10:00:04 +0000] "POST /api/orders HTTP/1.1" 502 150 "-" "app"
10.0.0.3 - - [01/May/2024:10:00:09 +0000] "GET /api/users/7 HTTP/1.1" 504 150 "-" "app"
```

## What to do
Look at the targets' health at that time: deploys, crash loops, health checks, autoscaling,
a dependency's outage. Keep the codes (502/503/504 are right for a gateway); answer 503 with
`Retry-After` during planned maintenance so clients back off.

## References
- RFC 9110 §15.6.3 (502), §15.6.4 (503), §15.6.5 (504)
"#,
    thresholds: &[MIN_COUNT, MIN_ENDPOINTS, BURST_WIDTH, MIN_BURST_SHARE],
};

/// Responses of a bucket that are 5xx but not 500.
fn gateway_like(c: &MinuteCounts) -> u64 {
    u64::from(c.get(Counter::Class(5))).saturating_sub(u64::from(c.get(Counter::Status500)))
}

impl Rule for GatewayBurst {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        let all: Vec<&Endpoint<'_>> = facts.endpoints.iter().collect();
        let Some((mut f, busiest_host)) = burst(&all, facts, cfg) else {
            // With several hosts, one host's burst can drown in the others' traffic.
            let mut hosts: Vec<Option<&str>> = facts.endpoints.iter().map(|e| e.host).collect();
            hosts.dedup();
            if hosts.len() > 1 {
                for h in hosts {
                    let of_host: Vec<&Endpoint<'_>> =
                        facts.endpoints.iter().filter(|e| e.host == h).collect();
                    if let Some((mut f, _)) = burst(&of_host, facts, cfg) {
                        on_host(&mut f, h.map(str::to_string));
                        on_upstream(&mut f, facts);
                        out.push(f);
                    }
                }
            }
            return;
        };
        if one_clients(&f, facts) {
            // A per-client limit answering 503: `client-503-limit` reports it, scoped.
            return;
        }
        // A burst of the whole traffic that one host holds (90 % or more) is that host's.
        if let Some((h, n)) = busiest_host {
            if n * 10 >= f.count * 9 {
                on_host(&mut f, Some(h.to_string()));
            }
        }
        on_upstream(&mut f, facts);
        out.push(f);
    }
}

/// Whether one client got 90 % or more of a 503 burst, inside its window: then the burst is
/// that client's limit, not a target down.
fn one_clients(f: &Finding, facts: &Facts<'_>) -> bool {
    let Some((start, end)) = f.evidence.window else {
        return false;
    };
    f.observed_status == 503
        && facts.aggregate.clients.values().any(|c| {
            c.unavailable * 10 >= f.count * 9
                && c.unavailable_span
                    .is_some_and(|(a, b)| a < end && b >= start)
        })
}

/// Scope a burst finding to `host`: the incident is that host's.
fn on_host(f: &mut Finding, host: Option<String>) {
    if let Some(h) = &host {
        f.message = format!("On host {h}: {}", f.message);
    }
    f.host = host;
}

/// Name the upstream (target group, service) that holds 90 % or more of a burst's responses
/// in its window, when the log names upstreams.
fn on_upstream(f: &mut Finding, facts: &Facts<'_>) {
    let Some((start, end)) = f.evidence.window else {
        return;
    };
    let (first, last) = (start.div_euclid(60_000), (end - 1).div_euclid(60_000));
    let Some((name, n)) = facts
        .aggregate
        .upstreams
        .iter()
        .map(|(u, minutes)| {
            (
                u,
                minutes
                    .range(first..=last)
                    .map(|(_, n)| u64::from(*n))
                    .sum::<u64>(),
            )
        })
        .max_by_key(|(u, n)| (*n, std::cmp::Reverse(*u)))
    else {
        return;
    };
    if n == 0 || n * 10 < f.count * 9 {
        return;
    }
    let how_many = if n >= f.count {
        "All of them".to_string()
    } else {
        format!("{n} of them")
    };
    f.message = format!(
        "{} {how_many} came from upstream {name}: that target group or service is the one to look at.",
        f.message
    );
    f.evidence = std::mem::take(&mut f.evidence)
        .figure("upstream", name.as_str())
        .figure("upstream_count", n);
}

/// Figure naming a host and its responses in the burst (only with several hosts).
const HOST_FIGURE: &str = "host_count";

/// The burst of `endpoints` (all, or one host's), if it passes the thresholds, with the host
/// that got most of it (when endpoints name hosts) and its responses.
fn burst<'a>(
    endpoints: &[&Endpoint<'a>],
    facts: &Facts<'_>,
    cfg: &RuleSettings,
) -> Option<(Finding, Option<(&'a str, u64)>)> {
    // Their series: every endpoint's buckets summed.
    let mut summed: BTreeMap<i64, MinuteCounts> = BTreeMap::new();
    for e in endpoints {
        for (k, c) in e.stats.series.iter() {
            summed.entry(*k).or_default().merge(c);
        }
    }
    let series: Vec<Point> = summed.into_iter().collect();
    let width = ((cfg.get(&BURST_WIDTH) * facts.span_buckets as f64).ceil() as i64).max(1);
    let b = stats::burst_of(&series, &gateway_like, width)?;
    if (b.hits as f64) < cfg.get(&MIN_COUNT)
        || b.share < cfg.get(&MIN_BURST_SHARE)
        || b.rate_inside < 5.0 * b.rate_outside
    {
        return None;
    }
    // The endpoints touched inside the window, busiest first.
    let mut touched: Vec<(&Endpoint<'_>, u64)> = endpoints
        .iter()
        .map(|&e| {
            let n: u64 = e
                .stats
                .series
                .iter()
                .filter(|(k, _)| (b.start..=b.end).contains(k))
                .map(|(_, c)| gateway_like(c))
                .sum();
            (e, n)
        })
        .filter(|&(_, n)| n > 0)
        .collect();
    if (touched.len() as f64) < cfg.get(&MIN_ENDPOINTS) {
        return None;
    }
    // The code most of them answered (over the whole log: series keep classes only).
    let mut codes: BTreeMap<u16, u64> = BTreeMap::new();
    for (e, _) in &touched {
        for (code, n) in e.stats.sorted_statuses() {
            if (501..=599).contains(&code) {
                *codes.entry(code).or_default() += n;
            }
        }
    }
    let observed = codes
        .iter()
        .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)))
        .map_or(502, |(c, _)| *c);
    let mut f = Finding::api_wide(&META, observed, vec![observed], &mut touched);
    let (start, end) = (
        b.start.saturating_mul(facts.bucket_ms),
        b.end.saturating_add(1).saturating_mul(facts.bucket_ms),
    );
    let mix: Vec<String> = codes.iter().map(|(c, n)| format!("{c}: {n}")).collect();
    f.count = b.hits;
    f.share = stats::round(b.rate_inside, 4);
    f.message = format!(
        "{} responses 5xx other than 500 ({}) in {} over {} endpoints, {:.1}% of the requests then against {:.2}% the rest of the time: a target or a dependency was down. The codes are right for a gateway; look at the targets' health in that window. Endpoints: {}.",
        b.hits,
        mix.join(", "),
        stats::human_duration(end - start),
        touched.len(),
        b.rate_inside * 100.0,
        b.rate_outside * 100.0,
        Finding::endpoint_list(&touched)
    );
    f.evidence.window = Some((start, end));
    f.evidence.figures[0] = ("count", b.hits.into());
    f.evidence = f
        .evidence
        .rate("rate_inside", b.rate_inside)
        .rate("rate_outside", b.rate_outside)
        .rate("share_of_all", b.share)
        .figure("codes", mix.join(", "));
    let mut by_host: BTreeMap<&str, u64> = BTreeMap::new();
    for (e, n) in &touched {
        if let Some(h) = e.host {
            *by_host.entry(h).or_default() += n;
        }
    }
    let busiest = by_host
        .iter()
        .max_by_key(|(h, n)| (**n, std::cmp::Reverse(**h)))
        .map(|(h, n)| (*h, *n));
    for (h, n) in by_host {
        f.evidence = f.evidence.figure(HOST_FIGURE, serde_json::json!([h, n]));
    }
    Some((f, busiest))
}

//! `gateway-burst`: 502/503/504 concentrated in one stretch of time over several endpoints — a
//! target or dependency down, seen over the whole API where each endpoint has only a few.

use super::burst::{self, Kind, BURST_WIDTH, MIN_BURST_SHARE, MIN_ENDPOINTS};
use super::{Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};
use crate::aggregate::Trouble;

/// See [`META`].
pub(crate) struct GatewayBurst;

/// Threshold `min_count` (see [`META`]).
const MIN_COUNT: Threshold = Threshold {
    name: "min_count",
    default: 10.0,
    doc: "fewest 5xx other than 500 inside the burst",
};

/// The burst it follows.
static KIND: Kind = Kind {
    meta: &META,
    min_count: &MIN_COUNT,
    trouble: Trouble::Gateway,
    what: "responses 5xx other than 500",
    meaning: "a target or a dependency was down. The codes are right for a gateway; look at the targets' health in that window.",
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
When the log does not say who produced the responses and an endpoint's own `gateway-5xx`
triage would only repeat the burst (90 % or more of its 502/503/504 inside the window), that
finding is folded into the burst: the burst carries its advice (log the upstream status) once,
and `endpoints_folded` counts them.

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

impl Rule for GatewayBurst {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        // A 503 burst one client got is a per-client limit: `client-503-limit` reports it.
        out.extend(
            burst::find(&KIND, facts, cfg)
                .into_iter()
                .filter(|f| !one_clients(f, facts)),
        );
    }
}

/// Whether one client got 90 % or more of a 503 burst, inside its window.
fn one_clients(f: &Finding, facts: &Facts<'_>) -> bool {
    f.observed_status == 503
        && facts
            .aggregate
            .clients
            .values()
            .any(|c| burst::one_clients(f, c.unavailable, c.unavailable_span))
}

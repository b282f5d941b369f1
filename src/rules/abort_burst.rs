//! `abort-burst`: requests the client closed before the response (499, 460) or that were
//! logged without a status, crowded into one stretch of time over several endpoints — the
//! API was too slow for its clients, or a proxy cut them.

use super::burst::{self, Kind, BURST_WIDTH, MIN_BURST_SHARE, MIN_ENDPOINTS};
use super::{Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};
use crate::aggregate::Trouble;

/// See [`META`].
pub(crate) struct AbortBurst;

/// Threshold `min_count` (see [`META`]).
const MIN_COUNT: Threshold = Threshold {
    name: "min_count",
    default: 20.0,
    doc: "fewest aborted requests (499, 460, no status) inside the burst",
};

/// The burst it follows.
static KIND: Kind = Kind {
    meta: &META,
    min_count: &MIN_COUNT,
    trouble: Trouble::Aborted,
    what: "requests closed before their response",
    meaning: "the clients gave up waiting, or a proxy cut them — the API or what it depends on was slow then. Look at the latency of those endpoints and at the upstream's health in that window.",
};

static META: RuleMeta = RuleMeta {
    id: "abort-burst",
    code: "SL021",
    severity: Severity::Warning,
    since: "0.1.0",
    summary: "A burst of requests closed before their response (499, 460, no status) over several endpoints: the clients gave up.",
    docs: r#"
## What it detects
Requests that never got their response — nginx's 499 and an ALB's 460 (the client closed the
connection), Caddy's status 0, CloudFront's `000`, morgan's `-` — crowded into one stretch of
at most a tenth of the log's span, over several endpoints, at least five times as frequent
inside the stretch as outside, and holding most of such requests. The odd client that
navigates away stays silent. Scoped like `gateway-burst`: to a host holding 90 % of it, else
host by host, and to the upstream holding 90 % (`upstream` in the evidence); `origin` is
`client` when most of them are 499 or 460.

## Why it matters
No status code counts these as failures, so a dashboard of 5xx stays green while clients —
browsers, mobile apps, other services with their own deadlines — give up en masse. It is the
signature of an upstream that slowed down without failing: the load balancer waited, the
client did not.

## Example
```
10.0.0.1 - - [01/May/2024:10:00:31 +0000] "GET /api/cart HTTP/1.1" 499 0 "-" "app"
10.0.0.2 - - [01/May/2024:10:00:33 +0000] "GET /api/orders HTTP/1.1" 499 0 "-" "app"
10.0.0.3 - - [01/May/2024:10:00:34 +0000] "POST /api/search HTTP/1.1" 499 0 "-" "app"
```

## What to do
Look at the durations and at the upstream (target group, service) in that window: a slow
database, a dependency timing out, a deploy warming up. Give the proxy a timeout shorter than
the clients' so it answers 504 itself — a status the next review can count — and make long
work asynchronous (202).

## References
- RFC 9110 §15.6.5 (504); nginx `ngx_http_log_module` (499), AWS ALB access logs (460)
"#,
    thresholds: &[MIN_COUNT, MIN_ENDPOINTS, BURST_WIDTH, MIN_BURST_SHARE],
};

impl Rule for AbortBurst {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        out.extend(burst::find(&KIND, facts, cfg));
    }
}

//! `error-burst`: plain 500s concentrated in one stretch of time over several endpoints — a
//! dependency they share failed, and every handler reported it as its own error.

use super::burst::{self, Kind, BURST_WIDTH, MIN_BURST_SHARE, MIN_ENDPOINTS};
use super::{Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};
use crate::aggregate::Trouble;

/// See [`META`].
pub(crate) struct ErrorBurst;

/// Threshold `min_count` (see [`META`]).
const MIN_COUNT: Threshold = Threshold {
    name: "min_count",
    default: 10.0,
    doc: "fewest plain 500s inside the burst",
};

/// The burst it follows.
static KIND: Kind = Kind {
    meta: &META,
    min_count: &MIN_COUNT,
    trouble: Trouble::Error500,
    what: "plain 500s",
    meaning: "something those endpoints share failed (a database, a cache, a service they all call) and each handler reported it as its own error. While a dependency is down the API is unavailable: 503 with `Retry-After` says so (504 when the dependency timed out), and lets clients and monitors tell an outage from a bug.",
};

static META: RuleMeta = RuleMeta {
    id: "error-burst",
    code: "SL022",
    severity: Severity::Warning,
    since: "0.1.0",
    summary: "A burst of plain 500s over several endpoints at once: a shared dependency failed.",
    docs: r#"
## What it detects
Plain 500 responses crowded into one stretch of at most a tenth of the log's span, over
several endpoints, at least five times as frequent inside the stretch as outside, and holding
most of the API's 500s — a database failover, a cache or a shared service down. Each endpoint's
own `generic-500` finding tells what its 500s should have been; this one is the incident that
ties them together: one finding, method `*` and route `(whole API)`, with the window and the
endpoints touched, busiest first. Scoped like `gateway-burst`: to a host holding 90 % of it,
else host by host, and to the upstream holding 90 % (`upstream` in the evidence) when the log
names upstreams; `origin` is `gateway` or `application` when the log tells. 500s spread over
the whole log (a bug on one path, a steady failure rate) are no burst.

## Why it matters
An outage answered with 500 looks like a hundred bugs: error trackers fill up, on-call reads
stack traces instead of the dependency's status page, and clients that would wait and retry an
unavailable service (503) give up on an error they take for permanent. Seen endpoint by
endpoint it is a few 500s each; over the API it is one event with a start and an end.

## Example
```
10.0.0.1 - - [01/May/2024:03:00:01 +0000] "GET /api/users/7 HTTP/1.1" 500 120 "-" "app" 3.412
10.0.0.2 - - [01/May/2024:03:00:02 +0000] "POST /api/orders HTTP/1.1" 500 120 "-" "app" 3.507
10.0.0.3 - - [01/May/2024:03:00:02 +0000] "GET /api/orders/42 HTTP/1.1" 500 120 "-" "app" 3.498
```

## What to do
Find what the endpoints share that failed in that window (database, cache, queue, identity
provider). Catch the dependency's connection and timeout errors in one place — the framework's
error handler — and answer 503 with `Retry-After` while it is unavailable, 504 when it timed
out; keep 500 for the application's own bugs.

## References
- RFC 9110 §15.6.1 (500), §15.6.4 (503), §15.6.5 (504), §10.2.3 (Retry-After)
"#,
    thresholds: &[MIN_COUNT, MIN_ENDPOINTS, BURST_WIDTH, MIN_BURST_SHARE],
};

impl Rule for ErrorBurst {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        out.extend(burst::find(&KIND, facts, cfg));
    }
}

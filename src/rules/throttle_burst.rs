//! `throttle-burst`: 429 crowded into one stretch of time over several endpoints — the rate
//! limit hit by many clients at once, or by one client across the API.

use super::burst::{self, Kind, BURST_WIDTH, MIN_BURST_SHARE, MIN_ENDPOINTS};
use super::{Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};
use crate::aggregate::Trouble;

/// See [`META`].
pub(crate) struct ThrottleBurst;

/// Threshold `min_count` (see [`META`]).
const MIN_COUNT: Threshold = Threshold {
    name: "min_count",
    default: 20.0,
    doc: "fewest 429s inside the burst",
};

/// The burst it follows.
static KIND: Kind = Kind {
    meta: &META,
    min_count: &MIN_COUNT,
    trouble: Trouble::Throttled,
    what: "responses 429",
    meaning: "the rate limit was hit across the API at once — a traffic spike, a client's batch job, or a limit set below the traffic it meets. The code is right; check the limit's size, and that each 429 carries Retry-After.",
};

static META: RuleMeta = RuleMeta {
    id: "throttle-burst",
    code: "SL020",
    severity: Severity::Info,
    since: "0.1.0",
    summary:
        "A burst of 429 over several endpoints at once: the rate limit was hit across the API.",
    docs: r#"
## What it detects
429 responses crowded into one stretch of at most a tenth of the log's span, over several
endpoints, at least five times as frequent inside the stretch as outside, and holding most of
the API's 429s. A steady trickle of 429 — a limit doing its job on the odd greedy client —
stays silent. Scoped like `gateway-burst` (a host holding 90 % of it, else host by host; the
upstream holding 90 %); when one client got 90 % or more of the burst, the incident is that
client's (`client` in the evidence).

## Why it matters
A limit that trips for many clients at once is either protecting the API from a spike, which
is worth knowing when it happened, or set below the traffic it meets, which turns ordinary use
into failures. One client throttled across the whole API is a batch job or an integration that
needs a higher quota or a slower pace. Either way it is a stretch of failed requests that no
single endpoint shows.

## Example
```
10.0.0.1 - - [01/May/2024:10:00:01 +0000] "GET /api/search?q=a HTTP/1.1" 429 0 "-" "app"
10.0.0.2 - - [01/May/2024:10:00:01 +0000] "GET /api/items/7 HTTP/1.1" 429 0 "-" "app"
10.0.0.3 - - [01/May/2024:10:00:02 +0000] "POST /api/cart HTTP/1.1" 429 0 "-" "app"
```

## What to do
Keep 429, with `Retry-After` so clients back off (RFC 6585 §4, RFC 9110 §10.2.3). Compare the
limit with the traffic of that window: raise it if ordinary use hit it, or give the client that
holds the burst its own quota and a slower pace.

## References
- RFC 6585 §4 (429), RFC 9110 §10.2.3 (Retry-After)
"#,
    thresholds: &[MIN_COUNT, MIN_ENDPOINTS, BURST_WIDTH, MIN_BURST_SHARE],
};

impl Rule for ThrottleBurst {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        for mut f in burst::find(&KIND, facts, cfg) {
            // One client holding it: the limit working on that client.
            let one = facts
                .aggregate
                .clients
                .values()
                .filter(|c| burst::one_clients(&f, c.limited, c.limited_span))
                .max_by(|a, b| a.limited.cmp(&b.limited).then_with(|| b.name.cmp(&a.name)));
            if let Some(c) = one {
                let name = String::from_utf8_lossy(&c.name).into_owned();
                f.message = format!(
                    "Client {name} got {} of them: {}",
                    c.limited.min(f.count),
                    f.message
                );
                f.evidence = std::mem::take(&mut f.evidence)
                    .figure("client", name.as_str())
                    .figure("client_count", c.limited);
            }
            out.push(f);
        }
    }
}

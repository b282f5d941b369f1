//! `gateway-5xx`: where 502/503/504 come from, and 499 spikes.

use super::stats::{self, ratio};
use super::{
    Confidence, Endpoint, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold,
};
use crate::format::Origin;

/// See [`META`].
pub(crate) struct Gateway5xx;

/// Threshold `min_count` (see [`META`]).
const MIN_COUNT: Threshold = Threshold {
    name: "min_count",
    default: 20.0,
    doc: "fewest 502/503/504 (or 499) on the endpoint",
};

/// Threshold `min_share` (see [`META`]).
const MIN_SHARE: Threshold = Threshold {
    name: "min_share",
    default: 0.02,
    doc: "share of the endpoint's requests (0..1)",
};

static META: RuleMeta = RuleMeta {
    id: "gateway-5xx",
    code: "SL011",
    severity: Severity::Info,
    since: "0.1.0",
    summary: "Where 502/503/504 come from (gateway or application), and 499 spikes.",
    docs: r#"
## What it detects
Triage, not a code change. For an endpoint with a notable share of 502/503/504 it splits them by
who produced the status: the *gateway* itself (ALB `elb_status_code` without a target answer,
nginx with no upstream status, Envoy response flags, HAProxy's termination state, Heroku's
router error codes, Cloudflare's origin status of 0) or the *application* (the upstream's own
code). It also reports endpoints where many requests end in 499 (nginx: the client closed the
connection before the answer; an ALB logs 460), saying what the log shows: with durations, whether the callers
waited long (the endpoint is too slow for them) or hung up early (a client timeout, cancelled
or retried requests); without durations, that speed cannot be told. A gateway's occasional
502/504 stays below the thresholds — except timeouts: when the log says who answered, `min_count`
504s made by the gateway itself (an ALB `TargetTimeout`, nginx `upstream timed out`, HAProxy `sH--`) are
reported whatever their share, since each is a caller that waited the whole timeout.

## Why it matters
A 502 from the load balancer (connection refused, reset, no healthy target) needs a look at the
fleet; a 503 from the application is a decision the code made; a 504 from the gateway is the
app being slower than the gateway's timeout. Reading them as one "5xx rate" sends people to the
wrong place. 499s mean clients hung up: on a slow endpoint users waited and gave up; on a fast
one, something on the client side cancels.

## Example
```
ALB: ... "GET https://api.example.com:443/api/items HTTP/1.1" 502 - ... error_reason TargetConnectionError
```

## What to do
Gateway-made 5xx: check target health, connection limits and timeouts between gateway and app;
when the gateway made most of them the finding says what its codes mean — its 504s, that it
gave up waiting (the endpoint is too slow for the gateway's timeout: faster, or 202 and the
work in the background); its 502s, that the application refused or dropped the connection; its
503s, that it had no application to give the request to (no healthy target, HAProxy `SC--`,
Heroku's router `H10`/`H14`) or gave up on it (Heroku's `H12`, after 30 s).
App-made 502/503/504: when the application produced most of them the finding says what its
own codes mean — a 502 is right only when it relays a failing service it calls (its own failure
is 500, or 503 with `Retry-After`), a 504 only when a service it calls timed out, a 503 wants
`Retry-After`; see `generic-500` and `app-timeout-500` for its other 5xx.
499 spikes on a slow endpoint: make it faster or asynchronous (see `slow-sync`); on a fast one,
look at the clients' timeouts and retries.

## References
- RFC 9110 §15.6.3 (502), §15.6.4 (503), §15.6.5 (504); nginx 499
"#,
    thresholds: &[MIN_COUNT, MIN_SHARE],
};

fn origin_word(o: Origin) -> &'static str {
    match o {
        Origin::App => "the application",
        Origin::Gateway => "the gateway itself",
        Origin::Unknown => "an unknown producer",
    }
}

/// What to do when the log does not say who produced a 502/503/504 (also given by a
/// `gateway-burst` these findings are folded into).
pub(super) const LOG_THE_ORIGIN: &str = "log the upstream status (nginx $upstream_status, the load balancer's target status) to tell them apart";

impl Rule for Gateway5xx {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        let (min, min_share) = (cfg.get(&MIN_COUNT), cfg.get(&MIN_SHARE));
        for e in &facts.endpoints {
            let codes = [502u16, 503, 504];
            let total: u64 = codes.iter().map(|c| e.status(*c)).sum();
            // Whether the log says who produced a status: every line of the endpoint has an
            // origin (upstream status, target status, response flags).
            let known = e.stats.origins[2] == 0;
            let notable = total as f64 >= min && e.share(total) >= min_share;
            // Gateway timeouts count on their own, whatever their share: each is a caller
            // that waited the gateway's whole timeout for nothing.
            let timeouts = e.gateway_status(504);
            let timed_out = known && timeouts as f64 >= min;
            if notable || timed_out {
                let gateway: u64 = codes.iter().map(|c| e.gateway_status(*c)).sum();
                let observed = if notable {
                    codes
                        .into_iter()
                        .max_by_key(|c| (e.status(*c), std::cmp::Reverse(*c)))
                        .unwrap_or(502)
                } else {
                    504
                };
                let mut f = Finding::new(&META, e, observed, Vec::new(), total);
                let split: Vec<String> = codes
                    .iter()
                    .filter(|c| e.status(**c) > 0)
                    .map(|c| {
                        if known {
                            format!(
                                "{c}: {} ({} by the gateway)",
                                e.status(*c),
                                e.gateway_status(*c)
                            )
                        } else {
                            format!("{c}: {}", e.status(*c))
                        }
                    })
                    .collect();
                f.confidence = if known {
                    Confidence::High
                } else {
                    Confidence::Low
                };
                if !notable {
                    f.count = timeouts;
                }
                f.message = if !notable {
                    format!(
                        "{} {}: the gateway answered 504 itself to {} requests ({:.2}%): it gave up waiting for the application (an ALB `TargetTimeout`, nginx `upstream timed out`, HAProxy `sH--`). Few against the endpoint's traffic, but each is a caller that waited the whole timeout for nothing; the code is right — look at what made those requests slow.",
                        e.method,
                        e.route,
                        timeouts,
                        e.share(timeouts) * 100.0
                    )
                } else if known {
                    format!(
                        "{} {}: {} responses ({:.1}%) were 502/503/504 ({}); {:.0}% were produced by the gateway itself (no usable answer from the application) and {:.0}% by {}.{}",
                        e.method,
                        e.route,
                        total,
                        e.share(total) * 100.0,
                        split.join(", "),
                        ratio(gateway, total) * 100.0,
                        ratio(total - gateway, total) * 100.0,
                        origin_word(Origin::App),
                        gateway_meaning(e, gateway, total)
                    )
                } else {
                    format!(
                        "{} {}: {} responses ({:.1}%) were 502/503/504 ({}); this log does not say whether the gateway or the application produced them — {LOG_THE_ORIGIN}.",
                        e.method,
                        e.route,
                        total,
                        e.share(total) * 100.0,
                        split.join(", ")
                    )
                };
                let mut ev = f
                    .evidence
                    .clone()
                    .figure("count_5xx_gateway_codes", total)
                    .figure("origin_logged", known)
                    .figure("by_gateway", gateway)
                    .figure("by_other", total - gateway);
                for c in codes {
                    ev = ev.figure(
                        match c {
                            502 => "count_502",
                            503 => "count_503",
                            _ => "count_504",
                        },
                        e.status(c),
                    );
                }
                ev = ev.over(e, observed);
                f.evidence = ev;
                out.push(f);
            }
            // nginx's 499 and an ALB's 460: the client closed the connection first.
            for (closed, who) in [(499, ""), (460, " (the load balancer's record of it)")] {
                let n = e.status(closed);
                if n as f64 >= min && e.share(n) >= min_share {
                    out.push(closed_early(e, closed, who, n));
                }
            }
        }
    }
}

/// The finding of `n` requests of endpoint `e` that ended in `closed` (499, 460): the client
/// closed the connection before the answer; `who` says who logged it.
fn closed_early(e: &Endpoint<'_>, closed: u16, who: &str, n: u64) -> Finding {
    let mut f = Finding::new(&META, e, closed, Vec::new(), n);
    let p95 = stats::quantile_ms(&e.stats.latency, 0.95);
    let p50 = stats::quantile_ms(&e.stats.latency_2xx, 0.5);
    f.confidence = Confidence::Medium;
    // Say only what the log shows: durations tell whether callers waited long; without them,
    // nothing about speed can be claimed.
    let why = match (p95, p50) {
        (None, _) => " The log has no durations, so it cannot tell whether the callers waited long or hung up at once (a client timeout set too low, cancelled or retried requests); the endpoint's latency has to be measured elsewhere.".to_string(),
        (Some(p), Some(ok)) if p >= 2.0 * ok && p >= 1000.0 => format!(
            " Requests here took up to {p:.0} ms (p95) against {} for its successes at the median: callers give up on slow answers, so the endpoint is too slow for them.",
            stats::ms_text(&e.stats.latency_2xx, ok, 0)
        ),
        (Some(p), _) if p >= 1000.0 => format!(
            " Requests here took up to {p:.0} ms (p95): callers give up on slow answers."
        ),
        (Some(p), _) => format!(
            " Requests here were not slow ({} at p95), so the callers hung up early: a client timeout set too low, or requests cancelled or retried by the client.",
            stats::ms_text(&e.stats.latency, p, 0)
        ),
    };
    f.message = format!(
        "{} {}: {n} requests ({:.1}%) ended in {closed}, the client closing the connection before the answer{who}.{why}",
        e.method,
        e.route,
        e.share(n) * 100.0,
    );
    let mut ev = f
        .evidence
        .clone()
        .figure("count_closed", n)
        .rate("share_closed", e.share(n));
    if let Some(p) = p95 {
        ev = ev.ms("p95_ms", p);
    }
    if let Some(p) = p50 {
        ev = ev.ms("p50_2xx_ms", p);
    }
    f.evidence = ev.resolution(e).over(e, closed);
    f
}

/// What the gateway's own 502s and 504s say, when it produced most (`gateway` of `total`) of
/// the endpoint's 502/503/504, or the application's own, when it did: a sentence each;
/// otherwise the advice to triage.
fn gateway_meaning(e: &Endpoint<'_>, gateway: u64, total: u64) -> String {
    let (g502, g503, g504) = (
        e.gateway_status(502),
        e.gateway_status(503),
        e.gateway_status(504),
    );
    const TRIAGE: &str = " Triage where they come from before changing codes.";
    let mut out = String::new();
    if gateway * 2 < total {
        let app = |c: u16| e.status(c).saturating_sub(e.gateway_status(c));
        let app_total = total - gateway;
        if app(502) * 2 >= app_total {
            out.push_str(" The application answers 502 itself: right only when it relays the failure of a service it calls (a payment provider, another API) and says which in the body; for its own failure 500 says so, and 503 with `Retry-After` while it cannot serve.");
        }
        if app(504) * 2 >= app_total {
            out.push_str(" The application answers 504 itself: right when a service it calls timed out; a timeout of its own work is 503 (or 500), and a long task is better queued (202).");
        }
        if app(503) * 2 >= app_total {
            out.push_str(" The application answers 503 itself: it is shedding load or down for maintenance — send `Retry-After` so clients back off.");
        }
        if out.is_empty() {
            out.push_str(TRIAGE);
        }
        return out;
    }
    if g504 * 2 >= gateway {
        out.push_str(" The gateway's 504s mean it gave up waiting for the application (its read timeout: an ALB `TargetTimeout`, nginx `upstream timed out`, HAProxy `sH--`): the code is right, the endpoint is too slow for the gateway — make it faster, or answer 202 and finish the work in the background.");
    }
    if g502 * 2 >= gateway {
        out.push_str(" The gateway's 502s mean the application refused or dropped the connection (a process restarting or crashing, a full backlog, an idle connection closed under the gateway): look at the application's restarts and connection settings.");
    }
    if g503 * 2 >= gateway {
        out.push_str(" The gateway's 503s mean it had no application to give the request to, or gave up on it (an ALB with no healthy target, HAProxy `SC--`, Heroku's router `H10`/`H13`/`H14`, and its `H12` after 30 s without an answer): look at the application's health, capacity and restarts — and when the requests' durations sit at the gateway's timeout, the endpoint is too slow for it (make it faster, or answer 202 and finish the work in the background).");
    }
    if out.is_empty() {
        out.push_str(TRIAGE);
    }
    out
}

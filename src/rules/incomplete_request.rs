//! `incomplete-request`: requests the log records without a status — the response never
//! completed.

use super::stats::{self, ratio};
use super::{
    Confidence, Endpoint, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold,
};

/// See [`META`].
pub(crate) struct IncompleteRequest;

/// Threshold `min_count` (see [`META`]).
const MIN_COUNT: Threshold = Threshold {
    name: "min_count",
    default: 10.0,
    doc: "fewest requests without a status on the endpoint (over the whole API: at least two endpoints, each below it)",
};

/// Threshold `min_share` (see [`META`]).
const MIN_SHARE: Threshold = Threshold {
    name: "min_share",
    default: 0.01,
    doc: "share of the endpoint's requests without a status (0..1)",
};

/// What a missing status means in the logs that write one.
const MEANINGS: &str = "in Caddy's JSON logs (status 0) the handler wrote nothing — the client went away, or a reverse proxy gave up without an error handler; in CloudFront logs (000) the viewer closed the connection before the response; in Express/morgan logs (`-`) the response never finished";

/// What a missing status means in the formats read (each format family once, in a fixed
/// order); every known meaning when the formats say nothing.
fn meanings(formats: &[String]) -> String {
    const BY_FORMAT: [(&str, &str); 5] = [
        ("json", "in JSON access logs (status 0, as Caddy writes it) the handler wrote nothing — the client went away, or a reverse proxy gave up without an error handler"),
        ("cloudfront", "in CloudFront logs (000) the viewer closed the connection before the response"),
        ("envoy", "in Envoy logs (status 0) the stream ended before a response: the response flags say who ended it (DC the client, UC or UF the upstream)"),
        ("haproxy", "in HAProxy logs (-1) no response was sent: the termination state says who ended the session (C the client, s or S the server side)"),
        ("common", "in Express/morgan-style logs (`-`) the response never finished: the client aborted, or the server closed the connection first"),
    ];
    fn family(f: &str) -> &str {
        if f.contains("json") {
            "json"
        } else if f.starts_with("combined") || f.starts_with("common") || f.ends_with("nginx") {
            "common"
        } else {
            f
        }
    }
    let found: Vec<&str> = BY_FORMAT
        .iter()
        .filter(|(k, _)| formats.iter().any(|f| family(f) == *k))
        .map(|(_, m)| *m)
        .collect();
    if found.is_empty() {
        MEANINGS.to_string()
    } else {
        found.join("; ")
    }
}

static META: RuleMeta = RuleMeta {
    id: "incomplete-request",
    code: "SL017",
    severity: Severity::Info,
    since: "0.1.0",
    summary: "Requests logged without a status: their response never completed.",
    docs: r#"
## What it detects
Requests whose line carries no status — Caddy's status 0, CloudFront's `000`, morgan's `-` —
on an endpoint (at least `min_count` and `min_share` of its requests), or spread thin over the
API (at least `min_count` over two or more endpoints, below it on each: one finding with method
`*` and route `(whole API)` naming them). nginx's 499 is a status and is left to `gateway-5xx`.

## Why it matters
No dashboard counts these: they are neither successes nor errors, so a slow endpoint whose
clients give up, or a proxy that drops requests on a timeout, stays invisible. The client saw a
failure all the same.

## Example
```
{"ts":1714557600.1,"request":{"method":"POST","uri":"/api/export"},"status":0,"duration":30.0}
```

## What to do
Look at the durations of those requests: near a timeout (the client's, the proxy's, the load
balancer's) they are timeouts — make the work asynchronous (202) or faster, and let the proxy
answer 504; short ones are clients aborting (navigation, retries with a short deadline). Log the
upstream status too, so the next log tells the gateway's part from the application's.

## References
- RFC 9110 §15.6.5 (504); Caddy, CloudFront and morgan log format documentation
"#,
    thresholds: &[MIN_COUNT, MIN_SHARE],
};

impl Rule for IncompleteRequest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        let min = cfg.get(&MIN_COUNT);
        let meanings = meanings(&facts.formats);
        let mut thin: Vec<(&Endpoint<'_>, u64)> = Vec::new();
        for e in &facts.endpoints {
            let n = e.status(0);
            if n == 0 || !e.can_be_incomplete() {
                continue;
            }
            if (n as f64) < min {
                thin.push((e, n));
                continue;
            }
            let share = ratio(n, e.stats.count);
            if share < cfg.get(&MIN_SHARE) {
                continue;
            }
            let mut f = Finding::new(&META, e, 0, Vec::new(), n);
            f.message = format!(
                "{} {}: {n} requests ({:.1}%) have no status in the log — their response never completed; {meanings}. Their durations tell a timeout from a client that gave up.",
                e.method,
                e.route,
                share * 100.0
            );
            let mut ev = f
                .evidence
                .clone()
                .figure("count_incomplete", n)
                .rate("share_incomplete", share);
            if let Some(p) = stats::quantile_ms(&e.stats.latency, 0.99) {
                ev = ev.ms("p99_all_ms", p);
            }
            f.evidence = ev.over(e, 0);
            out.push(f);
        }
        let n: u64 = thin.iter().map(|u| u.1).sum();
        if thin.len() >= 2 && (n as f64) >= min {
            let mut f = Finding::api_wide(&META, 0, Vec::new(), &mut thin);
            f.confidence = Confidence::Medium;
            f.message = format!(
                "{n} requests over {} endpoints have no status in the log, a few on each — their responses never completed; {meanings}. Endpoints: {}.",
                thin.len(),
                Finding::endpoint_list(&thin)
            );
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meaning_follows_the_formats_read() {
        let of = |fs: &[&str]| meanings(&fs.iter().map(|f| f.to_string()).collect::<Vec<_>>());
        assert!(of(&["cloudfront"]).starts_with("in CloudFront logs (000)"));
        assert!(!of(&["cloudfront"]).contains("Caddy"));
        assert!(of(&["json in cri"]).contains("Caddy"));
        assert!(of(&["combined+sec"]).contains("morgan"));
        let both = of(&["envoy", "json"]);
        assert!(both.contains("Envoy") && both.contains("JSON") && !both.contains("CloudFront"));
        assert_eq!(of(&["alb"]), MEANINGS);
        assert_eq!(of(&[]), MEANINGS);
    }
}

//! `nonstandard-code`: statuses outside the registered set.

use std::collections::BTreeMap;

use super::{
    Confidence, Endpoint, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold,
};
use crate::codes;

/// See [`META`].
pub(crate) struct NonstandardCode;

/// Threshold `min_count` (see [`META`]).
const MIN_COUNT: Threshold = Threshold {
    name: "min_count",
    default: 5.0,
    doc: "fewest responses with the code on the endpoint",
};

/// Threshold `min_count_api` (see [`META`]).
const MIN_COUNT_API: Threshold = Threshold {
    name: "min_count_api",
    default: 5.0,
    doc: "fewest responses with the code over the endpoints where it stays below `min_count` (at least two of them): the code spread thin over the API",
};

static META: RuleMeta = RuleMeta {
    id: "nonstandard-code",
    code: "SL012",
    severity: Severity::Warning,
    since: "0.1.0",
    summary: "Status codes outside the IANA registry (nginx's 499 and 444 and ALB's 460 aside).",
    docs: r#"
## What it detects
Responses whose status is not in the IANA HTTP status code registry — vendor codes (Cloudflare
520–527, nginx 494–497, AWS ALB 463/464/561, IIS 440/449) and invented ones (`209`,
`420`, `599`). nginx's 499 and an ALB's 460 (the client closed the connection) are left to
`gateway-5xx`, and nginx's 444 (the request dropped without an answer, `return 444`, the usual
way to shut out scanners) is not reported: no status reached anyone. Codes the gateway produced are reported at info severity: they are its
vocabulary, not the application's.

A code spread thin — a few times on each of several endpoints, below `min_count` on every one
(a framework's unregistered 419 on expired sessions, say) — is counted over the whole API: one
finding with method `*` and route `(whole API)` names the endpoints that use it, busiest first.
The routes past the route cap (`(other)`) count with all their responses: a code spread over
thousands of junk hosts or paths is counted whole, not only where it met a kept endpoint.

## Why it matters
Clients only know the registered codes; an unknown code is treated as the `x00` of its class
(RFC 9110 §15), losing whatever the inventor meant, and generic tooling (SDKs, monitors,
caches) mis-handles it. A code of 600 or more has no class at all: HTTP's codes are 100–599,
and clients may refuse such a response as malformed.

## Example
```
10.0.0.1 - - [01/May/2024:10:00:01 +0000] "POST /api/login HTTP/1.1" 420 31 "-" "app"
```

## What to do
Use the registered code that fits — the finding names it — and put the detail in the body
(RFC 9457 problem details). See `statuslens codes CODE`.

## References
- IANA HTTP Status Code Registry; RFC 9110 §15
"#,
    thresholds: &[MIN_COUNT, MIN_COUNT_API],
};

impl Rule for NonstandardCode {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        for e in &facts.endpoints {
            for (code, n) in e.stats.sorted_statuses() {
                if nothing_answered(code)
                    || codes::is_registered(code)
                    || (n as f64) < cfg.get(&MIN_COUNT)
                {
                    continue;
                }
                let (fit, meaning) = codes::nonstandard_fit(code);
                let by_gateway = e.gateway_status(code);
                let mut f = Finding::new(&META, e, code, vec![fit], n);
                f.confidence = Confidence::High;
                if by_gateway * 2 > n {
                    f.severity = Severity::Info;
                }
                f.message = format!(
                    "{} {} answered {} {} times; {} is not a registered status ({}), {}. The registered code that fits is {}{}.",
                    e.method,
                    e.route,
                    code,
                    n,
                    code,
                    meaning,
                    how_clients_read(code),
                    fit,
                    if by_gateway * 2 > n { " (the gateway produced most of them)" } else { "" }
                );
                f.evidence = f
                    .evidence
                    .clone()
                    .figure("count", n)
                    .figure("by_gateway", by_gateway)
                    .over(e, code);
                out.push(f);
            }
        }
        api_wide(facts, cfg, out);
    }
}

/// No status (0), a client that closed the connection first, or nginx dropping the request
/// (444): nothing was answered, so there is no code to correct.
fn nothing_answered(code: u16) -> bool {
    code == 0 || codes::is_client_closed(code) || codes::is_dropped(code)
}

/// The unregistered codes that no endpoint answers `min_count` times but several answer
/// `min_count_api` times together: one finding each, about the whole API.
fn api_wide(facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
    let min = cfg.get(&MIN_COUNT);
    // code → (endpoint, responses) where the code stays below the per-endpoint threshold, and
    // all of its responses on the routes past the route cap (`(other)`: many routes' worth, a
    // cardinality attack's junk hosts or paths among them).
    let mut thin: BTreeMap<u16, Vec<(&Endpoint<'_>, u64)>> = BTreeMap::new();
    let rows = facts
        .endpoints
        .iter()
        .map(|e| (e, min))
        .chain(facts.overflow.iter().map(|e| (e, f64::INFINITY)));
    for (e, below) in rows {
        for (code, n) in e.stats.sorted_statuses() {
            if !nothing_answered(code) && !codes::is_registered(code) && (n as f64) < below {
                thin.entry(code).or_default().push((e, n));
            }
        }
    }
    for (code, mut users) in thin {
        let n: u64 = users.iter().map(|u| u.1).sum();
        // Several endpoints: two or more, or the routes past the cap (many by themselves).
        let several = users.len() >= 2 || users.iter().any(|u| u.0.route == crate::route::OTHER);
        if !several || (n as f64) < cfg.get(&MIN_COUNT_API) {
            continue;
        }
        let by_gateway: u64 = users.iter().map(|u| u.0.gateway_status(code)).sum();
        let (fit, meaning) = codes::nonstandard_fit(code);
        let mut f = Finding::api_wide(&META, code, vec![fit], &mut users);
        f.confidence = Confidence::High;
        if by_gateway * 2 > n {
            f.severity = Severity::Info;
        }
        f.message = format!(
            "{n} responses over {} endpoints were {code}, a few on each (below {min} everywhere); {code} is not a registered status ({meaning}), {}. The registered code that fits is {fit}. Endpoints: {}.",
            users.len(),
            how_clients_read(code),
            Finding::endpoint_list(&users)
        );
        f.evidence = f.evidence.figure("by_gateway", by_gateway);
        out.push(f);
    }
}

/// What a client makes of the unregistered `code`: the `x00` of its class (RFC 9110 §15), or,
/// past 599, no class at all.
fn how_clients_read(code: u16) -> String {
    if code >= 600 {
        "and it is outside HTTP's 100–599 range, so clients may refuse the response as malformed"
            .to_string()
    } else {
        format!("so clients treat it as {}", code / 100 * 100)
    }
}

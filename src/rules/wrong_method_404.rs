//! `wrong-method-404`: a method answered only with 404 on a route other methods serve.

use super::stats::{self, ratio};
use super::{
    Confidence, Endpoint, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold,
};
use crate::route::openapi::MethodStatus;

/// See [`META`].
pub(crate) struct WrongMethod404;

/// Threshold `min_requests` (see [`META`]).
const MIN_REQUESTS: Threshold = Threshold {
    name: "min_requests",
    default: 20.0,
    doc: "fewest requests of the methods that get only 404 on the route (together; each is reported), and of a succeeding method",
};

/// Threshold `min_404_share` (see [`META`]).
const MIN_404_SHARE: Threshold = Threshold {
    name: "min_404_share",
    default: 0.95,
    doc: "share of the method's requests answered 404 (0..1)",
};

/// Threshold `min_2xx_share` (see [`META`]).
const MIN_2XX_SHARE: Threshold = Threshold {
    name: "min_2xx_share",
    default: 0.5,
    doc: "share of 2xx of the other method (0..1)",
};

/// Threshold `max_sibling_404_share` (see [`META`]).
const MAX_SIBLING_404_SHARE: Threshold = Threshold {
    name: "max_sibling_404_share",
    default: 0.1,
    doc: "on routes with placeholders: largest 404 share of the succeeding method (0..1)",
};

/// Threshold `min_requests_undeclared` (see [`META`]).
const MIN_REQUESTS_UNDECLARED: Threshold = Threshold {
    name: "min_requests_undeclared",
    default: 5.0,
    doc: "on declared routes: fewest requests of a method the route does not declare",
};

static META: RuleMeta = RuleMeta {
    id: "wrong-method-404",
    code: "SL003",
    severity: Severity::Warning,
    since: "0.1.0",
    summary: "A route that answers some methods with 2xx answers another only with 404.",
    docs: r#"
## What it detects
A (method, route) whose requests are all (or nearly all) answered 404 while other methods on the
same route succeed. The route exists; the method is what is not supported — a router that
falls through to "not found" instead of "method not allowed".

On a route with an id placeholder (`/users/{id}`) a method could also 404 because the ids do not
exist, so there the rule also asks that the succeeding methods rarely 404 on the same route
(the ids callers use do exist), and reports at medium confidence. Scanner traffic is left out.

With an OpenAPI document (`--openapi`) or `[[routes]]` entries with `methods`, the declared
methods are authoritative: a method the route does not declare that answers 404 is reported at
high confidence whatever the other methods do, with the declared methods as the `Allow` header;
a declared method is never reported (its 404s are about the resource). HEAD counts as declared
wherever GET is, and OPTIONS is left alone. Routes the declaration does not know fall back to
the comparison above.

HEAD answered 404 where GET succeeds on the same route (the same thresholds) is reported with
200 recommended, not 405: HEAD is GET without the body, and HTTP requires a server that answers
GET to answer HEAD — an uptime monitor's `HEAD /` on a framework that routes GET only. OPTIONS
answered 404 (a CORS preflight the router does not know) is reported with 204 — answered with
`Allow` and the CORS headers — or 405.

## Why it matters
404 tells a client the resource is not there; a client (or a developer reading the response)
then looks for a wrong id or path, not a wrong method. `405 Method Not Allowed` with an
`Allow` header says what to do instead, and HTTP requires 405 responses to list the allowed
methods.

## Example
```
10.0.0.1 - - [01/May/2024:10:00:01 +0000] "GET /api/users HTTP/1.1" 200 812 "-" "app"
10.0.0.2 - - [01/May/2024:10:00:02 +0000] "DELETE /api/users HTTP/1.1" 404 22 "-" "app"
```

## What to do
Make the router answer 405 with `Allow: GET, POST` (most frameworks have a switch for it), or
implement the method if clients need it; answer HEAD wherever GET is answered (most frameworks
do it for every GET route when asked). See `statuslens codes 405`.

## References
- RFC 9110 §15.5.6 (405), §10.2.1 (Allow), §9.1 and §9.3.2 (HEAD)
"#,
    thresholds: &[
        MIN_REQUESTS,
        MIN_404_SHARE,
        MIN_2XX_SHARE,
        MAX_SIBLING_404_SHARE,
        MIN_REQUESTS_UNDECLARED,
    ],
};

impl Rule for WrongMethod404 {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        let min = cfg.get(&MIN_REQUESTS);
        for e in &facts.endpoints {
            if e.method == "HEAD" && head_of_served_get(facts, e, cfg, out) {
                continue;
            }
            match facts.api.method_status(e.method, e.route) {
                MethodStatus::UnknownRoute => {}
                MethodStatus::Undeclared(allow) => {
                    declared_check(facts, e, &allow, cfg, out);
                    continue;
                }
                MethodStatus::Declared(_) | MethodStatus::Implicit => continue,
            }
            let n404 = e.status(404);
            if e.is_static() || e.stats.count < 2 || e.share(n404) < cfg.get(&MIN_404_SHARE) {
                continue;
            }
            // The evidence is the route's: every method that only gets 404 there counts
            // towards `min_requests` together, and each of them is reported.
            let failing: u64 = facts
                .methods_of(e.host, e.route)
                .filter(|o| o.stats.count >= 2 && o.share(o.status(404)) >= cfg.get(&MIN_404_SHARE))
                .map(|o| o.stats.count)
                .sum();
            if (failing as f64) < min {
                continue;
            }
            let templated = is_templated(e.route);
            let siblings: Vec<_> = facts
                .methods_of(e.host, e.route)
                .filter(|o| o.method != e.method && serves(o, templated, cfg))
                .collect();
            if siblings.is_empty() {
                continue;
            }
            let allow: Vec<&str> = siblings.iter().map(|o| o.method).collect();
            // OPTIONS asks what the route takes (a CORS preflight, a capability probe): a
            // route that exists answers it, or says 405.
            let options = e.method == "OPTIONS";
            let recommended = if options { vec![204, 405] } else { vec![405] };
            let mut f = Finding::new(&META, e, 404, recommended, n404);
            f.confidence = confidence(templated);
            let seen =
                format!(
                "{} {} answered 404 to {:.0}% of {} requests while {} on the same route succeed{}",
                e.method,
                e.route,
                e.share(n404) * 100.0,
                e.stats.count,
                allow.join(", "),
                if templated { " and rarely 404 (the ids exist)" } else { "" },
            );
            let allow = allow.join(", ");
            f.message = if options {
                format!("{seen}: OPTIONS asks what the route takes — a browser's CORS preflight, a client's capability probe — and 404 says the route does not exist (a preflight that gets it fails the browser's call). Answer 204 with `Allow: {allow}` (and the CORS headers if browsers call the API), or 405 with it.")
            } else {
                format!("{seen}; the route exists and the method is what is unsupported, which is 405 with `Allow: {allow}`.")
            };
            let mut ev = f
                .evidence
                .clone()
                .figure("count_404", n404)
                .rate("share_404", e.share(n404));
            for o in &siblings {
                ev = ev.figure("sibling", sibling(o));
            }
            ev = ev.over(e, 404);
            f.evidence = ev;
            out.push(f);
        }
    }
}

/// HEAD answered 404 where GET succeeds on the same route: HEAD is GET without the body, and a
/// server that answers GET must answer HEAD (RFC 9110 §9.1, §9.3.2) — the fix is 200, not 405.
/// Reports it and returns true when GET is served there; false leaves HEAD to the other checks.
fn head_of_served_get(
    facts: &Facts<'_>,
    e: &Endpoint<'_>,
    cfg: &RuleSettings,
    out: &mut Vec<Finding>,
) -> bool {
    let templated = is_templated(e.route);
    let Some(get) = facts
        .methods_of(e.host, e.route)
        .find(|o| o.method == "GET" && serves(o, templated, cfg))
    else {
        return false;
    };
    let n404 = e.status(404);
    if (e.stats.count as f64) < cfg.get(&MIN_REQUESTS) || e.share(n404) < cfg.get(&MIN_404_SHARE) {
        return true;
    }
    let mut f = Finding::new(&META, e, 404, vec![200], n404);
    f.confidence = confidence(templated);
    f.message = format!(
        "HEAD {} answered 404 to {:.0}% of {} requests while GET on the same route succeeds ({:.0}% 2xx): HEAD is GET without the body, and a server that answers GET must answer HEAD (RFC 9110 §9.1) — uptime monitors, link checkers and caches send it. Answer it as GET does, without the body; 405 would be wrong too.",
        e.route,
        e.share(n404) * 100.0,
        e.stats.count,
        get.share(get.class(200..=299)) * 100.0,
    );
    f.evidence = f
        .evidence
        .clone()
        .figure("count_404", n404)
        .rate("share_404", e.share(n404))
        .figure("sibling", sibling(get))
        .over(e, 404);
    out.push(f);
    true
}

/// Whether the route has an id placeholder (a method could 404 there for unknown ids).
fn is_templated(route: &str) -> bool {
    route.split('/').any(stats::is_placeholder)
}

/// Whether `o` succeeds on its route, enough to show the route exists: `min_requests`
/// requests, mostly 2xx, and on a route with placeholders rarely 404 (the ids exist).
fn serves(o: &Endpoint<'_>, templated: bool, cfg: &RuleSettings) -> bool {
    o.stats.count as f64 >= cfg.get(&MIN_REQUESTS)
        && o.share(o.class(200..=299)) >= cfg.get(&MIN_2XX_SHARE)
        && (!templated || o.share(o.status(404)) <= cfg.get(&MAX_SIBLING_404_SHARE))
}

/// High confidence, medium on a route with placeholders (its ids might not exist).
fn confidence(templated: bool) -> Confidence {
    if templated {
        Confidence::Medium
    } else {
        Confidence::High
    }
}

/// A succeeding method of the route, as evidence.
fn sibling(o: &Endpoint<'_>) -> String {
    format!(
        "{} {}: {} requests, {:.0}% 2xx",
        o.method,
        o.route,
        o.stats.count,
        ratio(o.class(200..=299), o.stats.count) * 100.0
    )
}

/// A method the route does not declare: certain, whatever the other methods do.
fn declared_check(
    facts: &Facts<'_>,
    e: &Endpoint<'_>,
    allow: &[&str],
    cfg: &RuleSettings,
    out: &mut Vec<Finding>,
) {
    let n404 = e.status(404);
    if (e.stats.count as f64) < cfg.get(&MIN_REQUESTS_UNDECLARED)
        || e.share(n404) < cfg.get(&MIN_404_SHARE)
    {
        return;
    }
    let source = match &facts.api.spec {
        Some(spec) if facts.api.route(e.route).is_some_and(|r| r.from_spec) => {
            format!("the OpenAPI document ({spec})")
        }
        _ => "the declared routes (statuslens.toml)".to_string(),
    };
    let allow = allow.join(", ");
    let mut f = Finding::new(&META, e, 404, vec![405], n404);
    f.confidence = Confidence::High;
    f.message = format!(
        "{} {} answered 404 to {:.0}% of {} requests, but {source} declares {} with {allow} only: the route exists and the method is what is unsupported, which is 405 with `Allow: {allow}`.",
        e.method,
        e.route,
        e.share(n404) * 100.0,
        e.stats.count,
        e.route,
    );
    f.evidence = f
        .evidence
        .clone()
        .figure("count_404", n404)
        .rate("share_404", e.share(n404))
        .figure("declared_methods", allow)
        .over(e, 404);
    out.push(f);
}

//! `create-200`: a POST to a collection answers 200 and never 201.

use super::stats::{self, ratio};
use super::{Confidence, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};

/// See [`META`].
pub(crate) struct Create200;

/// Threshold `min_requests` (see [`META`]).
const MIN_REQUESTS: Threshold = Threshold {
    name: "min_requests",
    default: 20.0,
    doc: "fewest POST requests on the route",
};

/// Threshold `min_200_share` (see [`META`]).
const MIN_200_SHARE: Threshold = Threshold {
    name: "min_200_share",
    default: 0.9,
    doc: "share of the POST's 2xx that are 200 (0..1)",
};

static META: RuleMeta = RuleMeta {
    id: "create-200",
    code: "SL005",
    severity: Severity::Info,
    since: "0.1.0",
    summary: "POST to a collection route answers 200 and never 201.",
    docs: r#"
## What it detects
`POST` on a *collection* route that succeeds with 200 and never with 201. A route counts as a
collection when the logs show its members: some method on `route/{id}` (any placeholder) answers
2xx — then the POST creates members (high confidence when `GET route` also lists them).
RPC-style POSTs (`/login`, `/search`, a filter taking both GET and POST) have no members and are
left alone, and so is a POST whose last segment names an action rather than a collection
(`search`, `query`, `login`, `token`, `refresh`, `verify`, `validate`, `preview`, `calculate` …,
alone or ending a compound: `users.search`, `oauth-token`) even beside `route/{id}`: `POST /api/search` next to
`GET /api/search/{id}` (an asynchronous search's results) runs a search, it creates nothing to
answer 201 for.

## Why it matters
`201 Created` with a `Location` header tells the client the new resource's URL without parsing
the body, and tells caches and intermediaries that something was created. Clients that branch
on 201 (SDK generators do) treat a 200 as "nothing created". When creation is queued, `202
Accepted` is the honest answer.

## Example
```
10.0.0.1 - - [01/May/2024:10:00:01 +0000] "POST /api/orders HTTP/1.1" 200 311 "-" "app"
10.0.0.1 - - [01/May/2024:10:00:02 +0000] "GET /api/orders/1842 HTTP/1.1" 200 311 "-" "app"
```

## What to do
Answer 201 with `Location: /api/orders/1842` (and the representation if you like); if the work
is queued, 202 with a status URL. See `statuslens codes 201`.

## References
- RFC 9110 §15.3.2 (201), §15.3.3 (202), §10.2.2 (Location)
"#,
    thresholds: &[MIN_REQUESTS, MIN_200_SHARE],
};

impl Rule for Create200 {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        for e in &facts.endpoints {
            if e.method != "POST"
                || e.is_static()
                || (e.stats.count as f64) < cfg.get(&MIN_REQUESTS)
            {
                continue;
            }
            let last = e.route.rsplit('/').next().unwrap_or("");
            if last.is_empty()
                || stats::is_placeholder(last)
                || is_action(last)
                || e.status(201) > 0
            {
                continue;
            }
            let n200 = e.status(200);
            let ok = e.class(200..=299);
            if n200 == 0 || ratio(n200, ok) < cfg.get(&MIN_200_SHARE) {
                continue;
            }
            let prefix = format!("{}/", e.route);
            // Members: `route/{id}`, or resources under a member (`route/{id}/items`).
            let member = facts.endpoints.iter().find(|o| {
                o.route
                    .strip_prefix(&prefix)
                    .is_some_and(|rest| stats::is_placeholder(rest.split('/').next().unwrap_or("")))
                    && o.class(200..=299) > 0
            });
            // A GET on the route itself is no evidence: search and filter endpoints often take
            // both GET and POST. Members are.
            let Some(m) = member else {
                continue;
            };
            let listing = facts
                .methods_of(e.host, e.route)
                .any(|o| o.method == "GET" && o.class(200..=299) > 0);
            let confidence = if listing {
                Confidence::High
            } else {
                Confidence::Medium
            };
            let why = format!(
                "{} {} answers 2xx{}, so POST creates members of a collection",
                m.method,
                m.route,
                if listing { " and GET lists them" } else { "" }
            );
            let p50 = stats::quantile_ms(&e.stats.latency_2xx, 0.5);
            let mut f = Finding::new(&META, e, 200, vec![201, 202], n200);
            f.confidence = confidence;
            f.message = format!(
                "POST {} answered 200 to {} requests and never 201; {}. A creation is 201 with a Location header (202 if the work is queued).",
                e.route, n200, why
            );
            let mut ev = f
                .evidence
                .clone()
                .figure("count_200", n200)
                .figure("count_201", 0)
                .figure("collection_evidence", why);
            if let Some(p) = p50 {
                ev = ev.ms("p50_2xx_ms", p);
            }
            ev = ev.resolution(e).over(e, 200);
            f.evidence = ev;
            out.push(f);
        }
    }
}

/// Last segments that name an action, not a collection (see the rule's docs).
const ACTIONS: &[&str] = &[
    "search",
    "query",
    "lookup",
    "find",
    "filter",
    "login",
    "logout",
    "signin",
    "signout",
    "token",
    "refresh",
    "verify",
    "validate",
    "check",
    "preview",
    "calculate",
    "estimate",
    "convert",
    "render",
    "graphql",
    "rpc",
];

/// Whether a route's last segment names an action: a word of [`ACTIONS`], alone or ending a
/// compound (`users.search`, `oauth-token`; not `query-logs`, a collection).
fn is_action(segment: &str) -> bool {
    let last = segment.rsplit(['.', '-', '_']).next().unwrap_or(segment);
    stats::is_one_of(last, ACTIONS)
}

#[cfg(test)]
mod tests {
    use super::is_action;

    #[test]
    fn actions_are_named_by_their_last_segment() {
        for s in [
            "search",
            "Search",
            "auth.token",
            "users.search",
            "oauth-token",
            "graphql",
        ] {
            assert!(is_action(s), "{s}");
        }
        for s in [
            "orders",
            "searches",
            "tokens",
            "check-ins",
            "query-logs",
            "search-v2",
        ] {
            assert!(!is_action(s), "{s}");
        }
    }
}

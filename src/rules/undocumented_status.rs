//! `undocumented-status`: statuses an operation answers that its OpenAPI document does not
//! document.

use super::{Confidence, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};
use crate::route::openapi::{MethodStatus, Responses};

/// See [`META`].
pub(crate) struct UndocumentedStatus;

/// Threshold `min_count` (see [`META`]).
const MIN_COUNT: Threshold = Threshold {
    name: "min_count",
    default: 5.0,
    doc: "fewest responses with the undocumented status on the endpoint (gateway's excluded)",
};

static META: RuleMeta = RuleMeta {
    id: "undocumented-status",
    code: "SL014",
    severity: Severity::Warning,
    since: "0.1.0",
    summary: "An operation answers a status code its OpenAPI document does not document.",
    docs: r#"
## What it detects
With `--openapi FILE` (or `[[routes]]` entries with `responses` in `statuslens.toml`): a
(method, route) that answered a status code its operation does not document — not listed
(`404`), not in a listed range (`4XX`), and the operation has no `default` response (a
`default` response documents every other code, as OpenAPI defines it, so operations with one
are never reported). HEAD requests are checked against GET's responses.

An undocumented 5xx is reported at info severity: clients handle every 5xx alike (retry, back
off, report), so it is a gap in the document more than a trap for callers.

Left out: statuses the gateway produced (a load balancer's own 502/504 is not the
application's contract), nginx's 499 (the client left; nothing was answered), 304 on GET and
HEAD (conditional requests), and operations that document no response at all. Endpoints outside
the declaration are listed in the report's API section instead.

## Why it matters
Client code and SDKs are generated from the document: a status it does not list is one no
client was written to handle, so it surfaces as a generic error, or worse as success. It also
shows where the document drifted from what the service does.

## Example
```yaml
paths:
  /users/{id}:
    get:
      responses: {"200": {description: the user}, "404": {description: no such user}}
```
```
10.0.0.1 - - [01/May/2024:10:00:01 +0000] "GET /users/42 HTTP/1.1" 422 61 "-" "app"
```

## What to do
Either document the status (it is part of the contract), or return a documented one — the
finding recommends a documented code only where one means the same to a client (a documented
400 for a 422, 200 for 204, 404 for 410, 308 for 301); a 405 or a 503 is never "fixed" by
answering something else. A `default` response with an error schema documents every other code
at once.

## References
- OpenAPI 3.1 §4.8.16 (Responses Object), §4.8.17 (Response Object); Swagger 2.0 Responses
- RFC 9110 §15
"#,
    thresholds: &[MIN_COUNT],
};

impl Rule for UndocumentedStatus {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn applies(&self, facts: &Facts<'_>) -> bool {
        facts
            .api
            .routes()
            .any(|r| r.operations.values().any(|docs| !docs.is_empty()))
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        for e in &facts.endpoints {
            let MethodStatus::Declared(docs) = facts.api.method_status(e.method, e.route) else {
                continue;
            };
            if docs.is_empty() {
                continue;
            }
            for (code, n) in e.stats.sorted_statuses() {
                let n = n - e.gateway_status(code).min(n);
                if code < 100
                    || code == 499
                    || (code == 304 && matches!(e.method, "GET" | "HEAD"))
                    || docs.documents(code)
                    || (n as f64) < cfg.get(&MIN_COUNT)
                {
                    continue;
                }
                let fits = documented_fits(docs, code);
                let documented = docs.describe();
                let mut f = Finding::new(&META, e, code, fits.clone(), n);
                f.confidence = Confidence::High;
                if code >= 500 {
                    // Clients handle any 5xx alike (retry, back off, report): an undocumented
                    // one is a gap in the document more than a trap for callers.
                    f.severity = Severity::Info;
                }
                f.message = format!(
                    "{} {} answered {} {} times ({:.1}% of its requests), but its operation documents only {}. Clients generated from the document do not expect {}: document it{}.",
                    e.method,
                    e.route,
                    code,
                    n,
                    e.share(n) * 100.0,
                    documented,
                    code,
                    match fits.as_slice() {
                        [] => String::new(),
                        [one] => format!(", or answer the documented {one}"),
                        more => format!(
                            ", or answer one of the documented {}",
                            more.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
                        ),
                    }
                );
                f.evidence = f
                    .evidence
                    .clone()
                    .figure("count", n)
                    .figure("documented", documented)
                    .over(e, code);
                out.push(f);
            }
        }
    }
}

/// Codes a client handles alike, so that a documented one can stand in for an undocumented
/// one without losing meaning: success codes among themselves, the two validation conventions,
/// permanent and temporary redirects, gone and not found. Others (405 for 404, 503 for 500, 403
/// for 401) say something different and are never offered.
const STAND_INS: &[(u16, &[u16])] = &[
    (200, &[201, 204, 202]),
    (201, &[200]),
    (202, &[200, 201]),
    (204, &[200]),
    (301, &[308]),
    (302, &[307, 303]),
    (303, &[302]),
    (307, &[302]),
    (308, &[301]),
    (400, &[422]),
    (410, &[404]),
    (404, &[410]),
    (422, &[400]),
];

/// Documented codes that can stand in for `code` ([`STAND_INS`]); none otherwise.
fn documented_fits(docs: &Responses, code: u16) -> Vec<u16> {
    STAND_INS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, alts)| {
            alts.iter()
                .copied()
                .filter(|a| docs.codes.contains(a))
                .collect()
        })
        .unwrap_or_default()
}

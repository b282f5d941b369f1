//! `redirect-on-api`: a write to an API answers its failures with a redirect to a page.

use super::stats::ratio;
use super::{Confidence, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};

/// See [`META`].
pub(crate) struct RedirectOnApi;

/// Threshold `min_redirects` (see [`META`]).
const MIN_REDIRECTS: Threshold = Threshold {
    name: "min_redirects",
    default: 10.0,
    doc: "fewest 301/302/303 responses on the endpoint",
};

/// Threshold `min_redirect_share` (see [`META`]).
const MIN_REDIRECT_SHARE: Threshold = Threshold {
    name: "min_redirect_share",
    default: 0.02,
    doc: "share of the endpoint's requests answered 301/302/303 (0..1)",
};

/// Threshold `max_redirect_share` (see [`META`]).
const MAX_REDIRECT_SHARE: Threshold = Threshold {
    name: "max_redirect_share",
    default: 0.5,
    doc: "above this share of redirects the redirect is the endpoint's normal answer (Post/Redirect/Get), not its failure (0..1)",
};

/// The redirects that turn a write into a GET of another page.
const REDIRECTS: [u16; 3] = [301, 302, 303];

static META: RuleMeta = RuleMeta {
    id: "redirect-on-api",
    code: "SL016",
    severity: Severity::Warning,
    since: "0.1.0",
    summary: "A write to an API answers some requests with a redirect while its successes are 2xx.",
    docs: r#"
## What it detects
`POST`, `PUT`, `PATCH` or `DELETE` on an API route (a segment `api`, `v1`…`v99`, `graphql`,
`rest` or `rpc`) that succeeds with 2xx but answers a minority of its requests with 301, 302
or 303 — a web framework's redirect-back on a failed validation or an expired session
(Laravel, Rails, Django and Spring all do it for form posts), reaching clients that speak JSON.
Redirects that are the endpoint's normal answer (the Post/Redirect/Get pattern of HTML forms:
most requests redirected) and method-preserving 307/308 are left alone, and so is every GET.

## Why it matters
An API client gets a redirect to an HTML page where it expected an error it can read: most HTTP
libraries follow it and turn the write into a `GET` of the login or form page, which answers
200 — so the failure is reported as a success, and the body of the request (and the reason it
failed) is lost.

## Example
```
10.0.0.1 - - [01/May/2024:10:00:01 +0000] "POST /api/v1/orders HTTP/1.1" 201 311 "-" "app"
10.0.0.2 - - [01/May/2024:10:00:02 +0000] "POST /api/v1/orders HTTP/1.1" 302 0 "-" "app"
```

## What to do
Make the API's error handler answer JSON: 422 with the validation errors, 401 when the session
or token is missing or expired (403 when it is valid but not allowed). In Laravel, send
`Accept: application/json` or render exceptions as JSON for `api/*`; in Rails, `respond_to`
the JSON format; in Spring Security, an `AuthenticationEntryPoint` that answers 401 instead of
redirecting to the login page.

## References
- RFC 9110 §15.4.3 (302), §15.4.4 (303), §15.5.2 (401), §15.5.21 (422)
"#,
    thresholds: &[MIN_REDIRECTS, MIN_REDIRECT_SHARE, MAX_REDIRECT_SHARE],
};

/// Whether `route` is an API's: a segment `api`, `v1`…`v99`, `graphql`, `rest` or `rpc`.
pub(crate) fn is_api_route(route: &str) -> bool {
    route.split('/').any(|seg| {
        let seg = seg.to_ascii_lowercase();
        matches!(seg.as_str(), "api" | "graphql" | "rest" | "rpc")
            || seg.strip_prefix('v').is_some_and(|n| {
                (1..=2).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit())
            })
    })
}

impl Rule for RedirectOnApi {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        for e in &facts.endpoints {
            if !matches!(e.method, "POST" | "PUT" | "PATCH" | "DELETE")
                || e.is_static()
                || !is_api_route(e.route)
            {
                continue;
            }
            let by_code: Vec<(u16, u64)> = REDIRECTS
                .iter()
                .map(|&c| (c, e.status(c)))
                .filter(|&(_, n)| n > 0)
                .collect();
            let n: u64 = by_code.iter().map(|c| c.1).sum();
            let share = ratio(n, e.stats.count);
            let ok = e.class(200..=299);
            if (n as f64) < cfg.get(&MIN_REDIRECTS)
                || share < cfg.get(&MIN_REDIRECT_SHARE)
                || share > cfg.get(&MAX_REDIRECT_SHARE)
                || ok < n
            {
                continue;
            }
            let Some(&(observed, _)) = by_code.iter().max_by_key(|c| (c.1, std::cmp::Reverse(c.0)))
            else {
                continue;
            };
            let mut f = Finding::new(&META, e, observed, vec![422, 401], n);
            // Redirects on a versioned or `api` route whose successes are 2xx are hard to read
            // any other way; which failure they stand for, the log cannot tell.
            f.confidence = if ok >= 4 * n {
                Confidence::Medium
            } else {
                Confidence::Low
            };
            let codes: Vec<String> = by_code.iter().map(|(c, k)| format!("{c}: {k}")).collect();
            f.message = format!(
                "{} {} answered {} requests ({:.1}%) with a redirect ({}) while its successes are 2xx ({}): a framework's redirect-back on a failed validation or an expired session. API clients follow it into a GET of an HTML page that answers 200, so the failure looks like a success. Answer 422 with the errors, or 401 when the session or token is missing.",
                e.method,
                e.route,
                n,
                share * 100.0,
                codes.join(", "),
                ok
            );
            f.evidence = f
                .evidence
                .clone()
                .figure("count_redirects", n)
                .figure("redirects_by_code", codes.join(", "))
                .figure("count_2xx", ok)
                .rate("share_redirects", share)
                .over(e, observed);
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_api_route;

    #[test]
    fn api_routes() {
        for r in [
            "/api/orders",
            "/v1/users/{id}",
            "/shop/api/cart",
            "/graphql",
            "/V2/items",
        ] {
            assert!(is_api_route(r), "{r}");
        }
        for r in [
            "/login",
            "/checkout/submit",
            "/avatar",
            "/v100/x",
            "/apis",
            "/vx/y",
        ] {
            assert!(!is_api_route(r), "{r}");
        }
    }
}

//! `mixed-validation`: validation failures answered 400 on some endpoints and 422 on others.

use super::{
    Confidence, Endpoint, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold,
};

/// See [`META`].
pub(crate) struct MixedValidation;

/// Threshold `min_count` (see [`META`]).
const MIN_COUNT: Threshold = Threshold {
    name: "min_count",
    default: 10.0,
    doc: "fewest 400 (or 422) responses for an endpoint to count as using that code",
};

static META: RuleMeta = RuleMeta {
    id: "mixed-validation",
    code: "SL013",
    severity: Severity::Info,
    since: "0.1.0",
    summary: "The API answers validation failures with 400 on some endpoints and 422 on others.",
    docs: r#"
## What it detects
Across the API's write endpoints (POST/PUT/PATCH): some answer invalid input with 422 and
others only ever with 400. An endpoint that uses both (400 for malformed syntax, 422 for
well-formed but invalid content) is consistent with RFC 9110 and counts on the 422 side. The
endpoints on the less common side are reported, with the convention the rest of the API uses.

## Why it matters
Clients write one error handler per API. When "the email is invalid" is 400 here and 422 there,
every client needs per-endpoint special cases, and a 400-handler that shows "bad request, fix
your client" hides field errors users could fix.

## Example
```
10.0.0.1 - - [01/May/2024:10:00:01 +0000] "POST /api/users HTTP/1.1" 422 96 "-" "app"
10.0.0.1 - - [01/May/2024:10:00:02 +0000] "POST /api/orders HTTP/1.1" 400 88 "-" "app"
```

## What to do
Pick one convention — commonly 400 for unparseable requests and 422 for semantic validation —
document it, and apply it in shared validation middleware. See `statuslens codes 422`.

## References
- RFC 9110 §15.5.1 (400), §15.5.21 (422)
"#,
    thresholds: &[MIN_COUNT],
};

impl Rule for MixedValidation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        let min = cfg.get(&MIN_COUNT);
        let writes = facts
            .endpoints
            .iter()
            .filter(|e| matches!(e.method, "POST" | "PUT" | "PATCH") && !e.is_static());
        let (mut uses_422, mut uses_400): (Vec<&Endpoint<'_>>, Vec<&Endpoint<'_>>) =
            (Vec::new(), Vec::new());
        for e in writes {
            if e.status(422) as f64 >= min {
                uses_422.push(e);
            } else if e.status(400) as f64 >= min && e.status(422) == 0 {
                uses_400.push(e);
            }
        }
        if uses_422.is_empty() || uses_400.is_empty() {
            return;
        }
        let volume = |v: &[&Endpoint<'_>], c: u16| v.iter().map(|e| e.status(c)).sum::<u64>();
        let majority_422 =
            (uses_422.len(), volume(&uses_422, 422)) >= (uses_400.len(), volume(&uses_400, 400));
        let (minority, observed, recommended, majority_len) = if majority_422 {
            (&uses_400, 400u16, 422u16, uses_422.len())
        } else {
            (&uses_422, 422, 400, uses_400.len())
        };
        for e in minority {
            let n = e.status(observed);
            let mut f = Finding::new(&META, e, observed, vec![recommended], n);
            f.confidence = if majority_len >= 2 * minority.len() {
                Confidence::High
            } else {
                Confidence::Medium
            };
            f.message = format!(
                "{} {} answers invalid input with {} ({} times) while {} other write endpoint(s) use {}; pick one convention for validation failures and document it.",
                e.method, e.route, observed, n, majority_len, recommended
            );
            f.evidence = f
                .evidence
                .clone()
                .figure("count", n)
                .figure("endpoints_using_422", uses_422.len())
                .figure("endpoints_using_400_only", uses_400.len())
                .over(e, observed);
            out.push(f);
        }
    }
}

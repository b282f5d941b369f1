//! `error-body-200`: 2xx responses whose logged fields carry an error.

use super::stats::ratio;
use super::{Confidence, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};
use crate::aggregate::signals::sample_key;

/// See [`META`].
pub(crate) struct ErrorBody200;

/// Threshold `min_count` (see [`META`]).
const MIN_COUNT: Threshold = Threshold {
    name: "min_count",
    default: 10.0,
    doc: "fewest marked 2xx responses on the endpoint",
};

/// Threshold `min_share` (see [`META`]).
const MIN_SHARE: Threshold = Threshold {
    name: "min_share",
    default: 0.01,
    doc: "share of the endpoint's 2xx that carry a marker (0..1)",
};

static META: RuleMeta = RuleMeta {
    id: "error-body-200",
    code: "SL004",
    severity: Severity::Error,
    since: "0.1.0",
    summary: "2xx responses whose logged fields carry an error.",
    docs: r#"
## What it detects
2xx responses whose log line carries an *error marker*: an error header logged by nginx
(`$sent_http_x_error`, `$sent_http_grpc_status`…), an `error`/`error_code`/`err` field or
`success: false` in a JSON log, or any key mapped with `--json-field KEY=error_marker`. The
recommended code comes from the marker's words (`NOT_FOUND` → 404, `VALIDATION` → 422,
`conflict` → 409, `timeout` → 504, …); opaque codes get "a 4xx for the client's fault, a 5xx for
the server's".

## Why it matters
A 200 with `{"success": false}` defeats every layer that reads status codes: client libraries
do not raise, retries and circuit breakers do not trigger, caches may store the error, and
dashboards count the failure as a success — error rates look fine while users fail.

## Example
```
{"time":"2024-05-01T10:00:01Z","method":"POST","path":"/api/pay","status":200,"error":"CARD_DECLINED_VALIDATION"}
```

## What to do
Answer the status that matches the error (the marker's meaning), keep the error body for
details. If a client requires 200s (old SDKs), version the API rather than hide failures.

## References
- RFC 9110 §15 (status codes), RFC 9457 (problem details)
"#,
    thresholds: &[MIN_COUNT, MIN_SHARE],
};

impl Rule for ErrorBody200 {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        for e in &facts.endpoints {
            let marked = e.stats.error_bodies.total();
            let ok = e.class(200..=299);
            if (marked as f64) < cfg.get(&MIN_COUNT) || ratio(marked, ok) < cfg.get(&MIN_SHARE) {
                continue;
            }
            let mut classes = e.stats.error_bodies.classes.clone();
            classes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let mut recommended: Vec<u16> =
                classes.iter().map(|c| c.0).filter(|s| *s != 0).collect();
            let opaque = recommended.is_empty();
            if opaque {
                recommended = vec![400, 500];
            }
            // The code the marked responses were answered with, not the endpoint's usual 2xx.
            let observed = e.stats.error_bodies.usual_status().unwrap_or(200);
            let mut f = Finding::new(&META, e, observed, recommended.clone(), marked);
            f.confidence = if opaque {
                Confidence::Medium
            } else {
                Confidence::High
            };
            let examples: Vec<String> = classes
                .iter()
                .take(3)
                .map(|c| {
                    format!(
                        "`{}` ({})",
                        crate::escape::clip(&String::from_utf8_lossy(&c.2), 40),
                        c.1
                    )
                })
                .collect();
            f.message = format!(
                "{} {} answered 2xx to {} requests ({:.1}% of its 2xx) whose log carries an error ({}); clients and dashboards count them as successes. {}",
                e.method,
                e.route,
                marked,
                ratio(marked, ok) * 100.0,
                examples.join(", "),
                if opaque {
                    "The marker does not say whose fault it is: a 4xx if the request was wrong, a 5xx if the server failed.".to_string()
                } else {
                    format!("The markers point to {}.", recommended.iter().map(u16::to_string).collect::<Vec<_>>().join(" / "))
                }
            );
            let mut ev = f
                .evidence
                .clone()
                .figure("marked_2xx", marked)
                .rate("share_of_2xx", ratio(marked, ok));
            for c in &classes {
                ev = ev.figure(
                    "marker",
                    format!(
                        "{} × `{}` → {}",
                        c.1,
                        crate::escape::clip(&String::from_utf8_lossy(&c.2), 64),
                        if c.0 == 0 {
                            "4xx/5xx".to_string()
                        } else {
                            c.0.to_string()
                        }
                    ),
                );
            }
            ev = ev.over(e, sample_key::ERROR_BODY);
            f.evidence = ev;
            out.push(f);
        }
    }
}

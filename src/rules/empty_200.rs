//! `empty-200`: 200 with an empty body.

use super::stats::ratio;
use super::{Confidence, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};
use crate::aggregate::signals::{sample_key, size_bucket};

/// See [`META`].
pub(crate) struct Empty200;

/// Threshold `min_200` (see [`META`]).
const MIN_200: Threshold = Threshold {
    name: "min_200",
    default: 20.0,
    doc: "fewest 200 responses with logged bytes",
};

/// Threshold `min_empty_share` (see [`META`]).
const MIN_EMPTY_SHARE: Threshold = Threshold {
    name: "min_empty_share",
    default: 0.9,
    doc: "share of those that are empty (0..1)",
};

/// Threshold `max_total_bytes` (see [`META`]).
const MAX_TOTAL_BYTES: Threshold = Threshold { name: "max_total_bytes", default: 256.0, doc: "with total-bytes formats: largest header-only response (bytes; rounded down to a power of two)" };

static META: RuleMeta = RuleMeta {
    id: "empty-200",
    code: "SL006",
    severity: Severity::Info,
    since: "0.1.0",
    summary: "200 responses with an empty body, where 204 says so.",
    docs: r#"
## What it detects
An endpoint (HEAD and OPTIONS aside) whose 200 responses have an empty body. Where the format
logs body bytes (nginx `$body_bytes_sent`, Apache `%b`, most JSON logs) an empty body is
exactly 0 bytes. Where it only logs the whole response with headers (ALB/ELB `sent_bytes`,
CloudFront `sc-bytes`, Apache `%O`) an empty body cannot be seen directly: the rule then only
looks at DELETE/PUT/PATCH, calls a response under `max_total_bytes` "header-only", reports at
low confidence and says so in the message.

## Why it matters
`204 No Content` tells the client there is nothing to parse; a 200 with an empty body makes JSON
clients fail with a parse error ("unexpected end of input") or forces special cases. For DELETE,
PUT and PATCH, 204 is the conventional success.

## Example
```
10.0.0.1 - - [01/May/2024:10:00:01 +0000] "DELETE /api/users/42 HTTP/1.1" 200 0 "-" "app"
```

## What to do
Answer 204 when there is no body (or return the updated representation with the 200). See
`statuslens codes 204`.

## References
- RFC 9110 §15.3.5 (204), §9.3.5 (DELETE)
"#,
    thresholds: &[MIN_200, MIN_EMPTY_SHARE, MAX_TOTAL_BYTES],
};

impl Rule for Empty200 {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        for e in &facts.endpoints {
            if matches!(e.method, "HEAD" | "OPTIONS" | "-") || e.is_static() {
                continue;
            }
            let sizes = &e.stats.sizes_200;
            let logged: u64 = sizes.iter().sum();
            if (logged as f64) < cfg.get(&MIN_200) {
                continue;
            }
            let total_only = e.stats.sizes_200_total == logged;
            let write = matches!(e.method, "DELETE" | "PUT" | "PATCH");
            let (empty, confidence) = if total_only {
                if !write {
                    continue;
                }
                // Buckets wholly below the limit: bucket i holds [2^(i-1), 2^i), so the
                // limit's own bucket and those above are left out.
                let limit = cfg.get(&MAX_TOTAL_BYTES).max(1.0) as u64;
                let upto = size_bucket(limit);
                (sizes[..upto].iter().sum::<u64>(), Confidence::Low)
            } else if e.stats.sizes_200_total == 0 {
                (
                    sizes[0],
                    if write {
                        Confidence::High
                    } else {
                        Confidence::Medium
                    },
                )
            } else {
                continue; // mixed byte kinds: cannot tell
            };
            let share = ratio(empty, logged);
            if share < cfg.get(&MIN_EMPTY_SHARE) {
                continue;
            }
            let mut f = Finding::new(&META, e, 200, vec![204], empty);
            f.confidence = confidence;
            if write {
                f.severity = Severity::Warning;
            }
            f.message = if total_only {
                format!(
                    "{} {} answered 200 with a header-only response to {:.0}% of {} requests; the log records total response bytes (headers included), so an empty body is inferred from sizes under {} bytes. A success without a body is 204.",
                    e.method, e.route, share * 100.0, logged, cfg.get(&MAX_TOTAL_BYTES)
                )
            } else {
                format!(
                    "{} {} answered 200 with an empty body (0 bytes) to {:.0}% of {} requests; a success without a body is 204 No Content, which clients do not try to parse.",
                    e.method, e.route, share * 100.0, logged
                )
            };
            let mut ev = f
                .evidence
                .clone()
                .figure("empty_200", empty)
                .figure("count_200_with_bytes", logged)
                .rate("empty_share", share)
                .figure("bytes_kind", if total_only { "total" } else { "body" });
            ev.window = e.stats.first_ms.zip(e.stats.last_ms);
            ev.samples = if total_only {
                e.stats.samples.get(200).to_vec()
            } else {
                e.stats.samples.get(sample_key::EMPTY_200).to_vec()
            };
            f.evidence = ev;
            out.push(f);
        }
    }
}

//! `anon-403`: 403 to requests that carried no credentials.

use super::stats::ratio;
use super::{Confidence, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};
use crate::aggregate::signals::sample_key;

/// See [`META`].
pub(crate) struct Anon403;

/// Threshold `min_anonymous` (see [`META`]).
const MIN_ANONYMOUS: Threshold = Threshold {
    name: "min_anonymous",
    default: 5.0,
    doc: "fewest 403s to anonymous requests (each one is the smell; this guards against a stray line)",
};

/// Threshold `min_anonymous_share` (see [`META`]).
const MIN_ANONYMOUS_SHARE: Threshold = Threshold {
    name: "min_anonymous_share",
    default: 0.0,
    doc: "share of the 403s whose credentials are known that were anonymous (0..1); 0: every anonymous 403 counts, whatever the correct 403s to authenticated callers",
};

static META: RuleMeta = RuleMeta {
    id: "anon-403",
    code: "SL009",
    severity: Severity::Warning,
    since: "0.1.0",
    summary: "403 to requests that carried no credentials, where 401 asks for them.",
    docs: r#"
## What it detects
An endpoint that answers 403 to requests the log shows as anonymous: no authenticated user
(`$remote_user`, a `user`/`user_id` JSON field) and no `Authorization` header where one is logged.
Each anonymous 403 is the smell, whatever the endpoint's correct 403s to authenticated callers
do: they are reported beside it, not weighed against it. Any evidence of credentials wins: an
`Authorization` header logged (even redacted, as Caddy does) or a named user means credentials
were sent, and an empty `user_id` beside it does not make the request anonymous. Lines that
cannot tell (a plain combined log with `-` as user, where a bearer token would not show) count
as unknown and never trigger the rule.

## Why it matters
403 means "I know who you are and you may not do this"; re-authenticating will not help, so
clients give up. A request without credentials should get `401 Unauthorized` with a
`WWW-Authenticate` header, which tells the client to log in (and browsers and SDKs to prompt or
refresh a token).

## Example
```
{"time":"2024-05-01T10:00:01Z","method":"GET","uri":"/api/account","status":403,"user":""}
```

## What to do
Check for missing or expired credentials before checking permissions, and answer 401 with
`WWW-Authenticate: Bearer` for them; keep 403 for authenticated callers lacking a permission.
See `statuslens codes 401` and `statuslens codes 403`.

## References
- RFC 9110 §15.5.2 (401), §15.5.4 (403), §11.6.1 (WWW-Authenticate)
"#,
    thresholds: &[MIN_ANONYMOUS, MIN_ANONYMOUS_SHARE],
};

impl Rule for Anon403 {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        for e in &facts.endpoints {
            let [anon, authed, unknown] = e.stats.auth_403;
            let share = ratio(anon, anon + authed);
            if (anon as f64) < cfg.get(&MIN_ANONYMOUS) || share < cfg.get(&MIN_ANONYMOUS_SHARE) {
                continue;
            }
            let mut f = Finding::new(&META, e, 403, vec![401], anon);
            f.confidence = Confidence::High;
            let beside = if authed > 0 {
                format!(
                    " (its {authed} 403s to authenticated callers are right and are not counted)"
                )
            } else {
                String::new()
            };
            f.message = format!(
                "{} {} answered 403 to {} requests that carried no credentials{beside}; a missing login is 401 with WWW-Authenticate, 403 is for an authenticated caller without permission.",
                e.method, e.route, anon
            );
            f.evidence = f
                .evidence
                .clone()
                .figure("anonymous_403", anon)
                .figure("authenticated_403", authed)
                .figure("unknown_403", unknown)
                .rate("anonymous_share", share)
                .over(e, sample_key::ANON_403);
            out.push(f);
        }
    }
}

//! `slow-sync`: a write endpoint that routinely takes seconds to answer success.

use super::stats;
use super::{Confidence, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};

/// See [`META`].
pub(crate) struct SlowSync;

/// Threshold `min_2xx` (see [`META`]).
const MIN_2XX: Threshold = Threshold {
    name: "min_2xx",
    default: 20.0,
    doc: "fewest timed 2xx responses",
};

/// Threshold `p50_ms` (see [`META`]).
const P50_MS: Threshold = Threshold {
    name: "p50_ms",
    default: 2000.0,
    doc: "median 2xx latency (ms) from which the endpoint is slow",
};

static META: RuleMeta = RuleMeta {
    id: "slow-sync",
    code: "SL007",
    severity: Severity::Info,
    since: "0.1.0",
    summary: "A write endpoint that routinely takes seconds to answer 200/201.",
    docs: r#"
## What it detects
A POST/PUT/PATCH/DELETE endpoint whose *median* successful response takes seconds: the work is
done while the client waits. Only 2xx latencies count, so slow failures do not trigger it.

Uploads are left alone (a route whose last named segment is `upload`, `files`, `attachments`,
`media`, `images`, `avatar`, `documents` …, alone or in a compound like `files.upload` or
`user-avatar`): a server's request time (nginx's `$request_time`, Apache's `%D`) counts
receiving the request body, so a slow client's upload takes seconds however little work the
server does, and the answer cannot come before the body has arrived.

## Why it matters
Long synchronous writes hold connections and worker threads, run into client, proxy and load
balancer timeouts (which then retry a write that may have succeeded), and make the client's
latency the job's latency. `202 Accepted` with a status URL returns at once and lets the client
poll or be called back.

## Example
```
10.0.0.1 - - [01/May/2024:10:00:01 +0000] "POST /api/exports HTTP/1.1" 201 96 "-" "app" 8.412
```

## What to do
Queue the work, answer 202 with `Location` pointing at a status resource (which later answers
303 or 200 with the result). See `statuslens codes 202`.

## References
- RFC 9110 §15.3.3 (202)
"#,
    thresholds: &[MIN_2XX, P50_MS],
};

impl Rule for SlowSync {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        for e in &facts.endpoints {
            if !e.is_write() || is_upload(e.route) {
                continue;
            }
            let lat = &e.stats.latency_2xx;
            let timed = lat.len();
            if (timed as f64) < cfg.get(&MIN_2XX) {
                continue;
            }
            let (Some(p50), Some(p95)) =
                (stats::quantile_ms(lat, 0.5), stats::quantile_ms(lat, 0.95))
            else {
                continue;
            };
            let limit = cfg.get(&P50_MS);
            if p50 < limit {
                continue;
            }
            let observed = if e.status(201) > e.status(200) {
                201
            } else {
                200
            };
            let mut f = Finding::new(&META, e, observed, vec![202], timed);
            f.confidence = if p50 >= 2.0 * limit {
                Confidence::High
            } else {
                Confidence::Medium
            };
            f.message = format!(
                "{} {}: half of its {} successful responses took {:.1} s or more (p95 {:.1} s); the client waits for the work. Queue it and answer 202 Accepted with a status URL.",
                e.method, e.route, timed, p50 / 1000.0, p95 / 1000.0
            );
            f.evidence = f
                .evidence
                .clone()
                .figure("count_2xx_timed", timed)
                .ms("p50_2xx_ms", p50)
                .ms("p95_2xx_ms", p95)
                .over(e, observed);
            out.push(f);
        }
    }
}

/// Named segments of a route that receives files (see the rule's docs).
const UPLOAD_WORDS: &[&str] = &[
    "upload",
    "uploads",
    "file",
    "files",
    "attachment",
    "attachments",
    "media",
    "image",
    "images",
    "photo",
    "photos",
    "avatar",
    "avatars",
    "video",
    "videos",
    "document",
    "documents",
    "blob",
    "blobs",
];

/// Whether the route's last named segment says it receives files: a word of
/// [`UPLOAD_WORDS`], alone or in a compound (`files.upload`, `user-avatar`, `upload.php`).
fn is_upload(route: &str) -> bool {
    route
        .rsplit('/')
        .find(|s| !s.is_empty() && !stats::is_placeholder(s))
        .is_some_and(|s| {
            s.split(['.', '-', '_'])
                .any(|w| stats::is_one_of(w, UPLOAD_WORDS))
        })
}

#[cfg(test)]
mod tests {
    use super::is_upload;

    #[test]
    fn uploads_are_known_by_their_last_named_segment() {
        for r in [
            "/api/v1/upload",
            "/api/projects/{id}/attachments",
            "/files/{uuid}",
            "/api/files.upload",
            "/me/user-avatar",
            "/upload.php",
            "/api/Images",
        ] {
            assert!(is_upload(r), "{r}");
        }
        for r in [
            "/api/exports",
            "/api/imports",
            "/api/profile/{id}",
            "/api/filesystem/sync",
            "/api/media-types/{id}/reindex",
            "/",
        ] {
            assert!(!is_upload(r), "{r}");
        }
    }
}

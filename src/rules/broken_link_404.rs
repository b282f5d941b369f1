//! `broken-link-404`: the same missing URLs requested again and again by clients that otherwise
//! succeed — broken links and missing assets, not scanner noise.

use super::stats::{self, ratio};
use super::{Confidence, Facts, Finding, Rule, RuleMeta, RuleSettings, Severity, Threshold};
use crate::aggregate::signals::ClientSet;

/// See [`META`].
pub(crate) struct BrokenLink404;

/// Threshold `min_404` (see [`META`]).
const MIN_404: Threshold = Threshold {
    name: "min_404",
    default: 10.0,
    doc: "fewest 404s on the URL",
};

/// Threshold `min_404_share` (see [`META`]).
const MIN_404_SHARE: Threshold = Threshold {
    name: "min_404_share",
    default: 0.95,
    doc: "share of the URL's requests answered 404 (0..1)",
};

/// Threshold `min_repeats` (see [`META`]).
const MIN_REPEATS: Threshold = Threshold {
    name: "min_repeats",
    default: 3.0,
    doc: "requests per client on average, or distinct clients, at least this many: the miss is met again and again",
};

static META: RuleMeta = RuleMeta {
    id: "broken-link-404",
    code: "SL015",
    severity: Severity::Info,
    since: "0.1.0",
    summary: "The same missing URL requested again and again by clients that otherwise succeed.",
    docs: r#"
## What it detects
A URL (a route without placeholders) that answers 404 to nearly every request, requested again
and again — by several clients, or by the same clients repeatedly — where those clients are
not scanners: their traffic is mostly ordinary successful requests. A page that links a font,
an image or a script that is not deployed makes every browser that shows the page ask for it on
every view; a mobile app calling an endpoint that was never deployed does the same. The first
pages that link to it are named when the log has the `Referer` (combined format, nginx
`$http_referer`, a JSON `referer` field). Routes where another method succeeds are
`wrong-method-404`'s, and routes that answered 2xx earlier are `retired-404`'s. Scanners (many
distinct paths, each tried once or twice) are noise and are kept out, and so is a URL whose
misses show no ordinary client: no page links it (no `Referer`), and fewer than half of the
clients the endpoint knows (all of them, or a sample of 16 when there are more) succeed
elsewhere in the log or ask for it 3 times or more — a botnet trying `/actuator/health` or
`/backup.zip` once from each of hundreds of addresses. A static file's name under placeholder
folders (`/wp-content/uploads/{id}/{id}/crumb.jpg`, dated upload folders) is one URL. So are files that
browsers, crawlers and platforms ask every site for on their own (`/favicon.ico`,
`/apple-touch-icon….png`, `/robots.txt`, `/sitemap.xml`, `/ads.txt`, `/.well-known/…`, the AMP
cache's expected-404 probe) — nothing links them, and 404 is right when the site offers none —
and well-known targets of exploit probes (`/wp-login.php`, `/xmlrpc.php`, `/phpmyadmin`,
`/.env`, `/.git/…`), which bots try on any site, a few times each from many addresses — unless
the site serves that folder (a missing image under `/wp-content/` of a WordPress site is a
broken link).

## Why it matters
The status code is right — the resource is not there — but the reference to it is wrong, and
real users pay for it: broken images and fonts, slower pages (each miss is a round trip), error
consoles full of 404s, and a 404 rate that hides the misses that matter.

## Example
```
10.0.0.7 - - [01/May/2024:10:00:01 +0000] "GET /shop/cart HTTP/1.1" 200 5120 "-" "Mozilla/5.0"
10.0.0.7 - - [01/May/2024:10:00:01 +0000] "GET /fonts/inter-bold.woff2 HTTP/1.1" 404 153 "https://shop.example.com/shop/cart" "Mozilla/5.0"
```

## What to do
Fix the reference (the page, the stylesheet, the app build) or deploy the missing file. If the
resource was removed on purpose, answer `410 Gone` so clients and crawlers stop asking.

## References
- RFC 9110 §15.5.5 (404), §15.5.11 (410)
"#,
    thresholds: &[MIN_404, MIN_404_SHARE, MIN_REPEATS],
};

/// Whether the route names one URL: no placeholder, or a static file's name under placeholder
/// directories (`/wp-content/uploads/{id}/{id}/crumb.jpg`: dated folders, one file).
fn names_one_url(e: &super::Endpoint<'_>) -> bool {
    let mut segments = e.route.rsplit('/');
    let last = segments.next().unwrap_or("");
    !stats::is_placeholder(last) && (e.is_static() || !segments.any(stats::is_placeholder))
}

/// Whether the misses come from ordinary clients, not from probes: a page links the URL (a
/// `Referer`), or at least half of the clients the endpoint knows (all of them, or its sample)
/// are no scanners and either succeed elsewhere or keep asking for it (`min_repeats` times).
/// A botnet trying `/.env` or `/actuator/health` from hundreds of addresses, once or twice
/// each and nothing else, does neither. Without client addresses in the log, nothing tells
/// them apart: the URL is kept.
fn from_ordinary_clients(facts: &Facts<'_>, e: &super::Endpoint<'_>, min_repeats: f64) -> bool {
    let known = e.stats.clients.known();
    if known.is_empty() || !e.stats.referers_404.pages.is_empty() {
        return true;
    }
    let ordinary = known
        .iter()
        .filter(|c| {
            !facts.scanner_clients.contains(&c.client)
                && (facts.client_hits.get(&c.client).is_some_and(|&n| n > 0)
                    || c.requests as f64 >= min_repeats)
        })
        .count();
    2 * ordinary >= known.len()
}

impl Rule for BrokenLink404 {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, cfg: &RuleSettings, out: &mut Vec<Finding>) {
        // The top folders the site serves: `/wp-content/…` is a probe target on a site without
        // WordPress, and a broken image on a site with it.
        let served: std::collections::BTreeSet<&str> = facts
            .endpoints
            .iter()
            .filter(|e| e.class(200..=299) > 0)
            .map(|e| super::top_segment(e.route))
            .collect();
        for e in &facts.endpoints {
            let n404 = e.status(404);
            if (n404 as f64) < cfg.get(&MIN_404)
                || e.share(n404) < cfg.get(&MIN_404_SHARE)
                || e.class(200..=299) > 0
                || !names_one_url(e)
                || super::is_fetched_unasked(e.route)
                || (super::is_probe_target(e.route)
                    && !served.contains(super::top_segment(e.route)))
            {
                continue;
            }
            // Another method succeeding on the route: the method is what is wrong.
            if facts
                .methods_of(e.host, e.route)
                .any(|o| o.method != e.method && o.share(o.class(200..=299)) >= 0.5)
            {
                continue;
            }
            let (clients, per_client) = match &e.stats.clients {
                ClientSet::Few(v) if !v.is_empty() => {
                    (Some(v.len()), ratio(e.stats.count, v.len() as u64))
                }
                _ => (None, 0.0),
            };
            if !from_ordinary_clients(facts, e, cfg.get(&MIN_REPEATS)) {
                continue;
            }
            let repeated = match clients {
                Some(k) => k as f64 >= cfg.get(&MIN_REPEATS) || per_client >= cfg.get(&MIN_REPEATS),
                // More clients than tracked: requested by many.
                None => true,
            };
            if !repeated {
                continue;
            }
            let who = match clients {
                Some(1) => format!("one client, {per_client:.0} times"),
                Some(k) => format!("{k} clients, {per_client:.1} times each on average"),
                None => "many clients".to_string(),
            };
            let what = if e.is_static() {
                "a missing file that pages keep linking to: fix the reference or deploy the file"
            } else {
                "a URL that does not exist and that clients keep calling: fix the link or the client"
            };
            let referers: Vec<String> = e
                .stats
                .referers_404
                .pages
                .iter()
                .map(|(_, p)| String::from_utf8_lossy(p).into_owned())
                .collect();
            let from = match referers.as_slice() {
                [] => String::new(),
                [one] => format!(" It is linked from {one}."),
                [first, rest @ ..] => {
                    format!(
                        " It is linked from {first} and {} other page(s).",
                        rest.len()
                    )
                }
            };
            let mut f = Finding::new(&META, e, 404, Vec::new(), n404);
            f.confidence = if clients.is_none_or(|k| k >= 3) {
                Confidence::High
            } else {
                Confidence::Medium
            };
            f.message = format!(
                "{} {} answered 404 to {} requests from {who}, clients that are not scanners: {what} ({} if it was removed on purpose).{from}",
                e.method, e.route, n404, "410 Gone"
            );
            let mut ev = f
                .evidence
                .clone()
                .figure("count_404", n404)
                .rate("share_404", e.share(n404));
            if let Some(k) = clients {
                ev = ev.figure("clients", k as u64);
            }
            for r in referers {
                ev = ev.figure("referer", r);
            }
            f.evidence = ev.over(e, 404);
            out.push(f);
        }
    }
}

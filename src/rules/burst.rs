//! What the incident rules share (`gateway-burst`, `error-burst`, `throttle-burst`,
//! `abort-burst`): one kind
//! of response crowded into one stretch of time over several endpoints, found on the whole
//! traffic (or host by host when the other hosts drown it) and scoped to the host and the
//! upstream that hold it.

use std::collections::BTreeMap;

use super::stats::{self, Point};
use super::{Endpoint, Facts, Finding, RuleMeta, RuleSettings, Threshold};
use crate::aggregate::{MinuteCounts, Trouble};

/// Threshold `min_endpoints`.
pub(super) const MIN_ENDPOINTS: Threshold = Threshold {
    name: "min_endpoints",
    default: 3.0,
    doc: "fewest endpoints the burst touches",
};

/// Threshold `burst_width`.
pub(super) const BURST_WIDTH: Threshold = Threshold {
    name: "burst_width",
    default: 0.1,
    doc: "width of the window a burst is looked for in, as a share of the log's time span (0..1; a longer burst is followed past it, up to a third of the span)",
};

/// Threshold `min_burst_share`.
pub(super) const MIN_BURST_SHARE: Threshold = Threshold {
    name: "min_burst_share",
    default: 0.5,
    doc: "share of all the API's responses of the kind that fall inside the burst (0..1)",
};

/// A share held by one host, upstream or client that makes the burst its own.
const OWNS: u64 = 9;

/// One kind of burst: the responses it follows and how its finding words them.
pub(super) struct Kind {
    /// The rule.
    pub meta: &'static RuleMeta,
    /// Its `min_count` threshold (the doc names the responses).
    pub min_count: &'static Threshold,
    /// The responses followed.
    pub trouble: Trouble,
    /// What they are, plural (`responses 5xx other than 500`).
    pub what: &'static str,
    /// What the burst means and what to look at, one or two sentences.
    pub meaning: &'static str,
}

impl Kind {
    /// Its responses in a time bucket.
    fn hits(&self, c: &MinuteCounts) -> u64 {
        self.trouble.in_bucket(c)
    }

    /// Whether an endpoint's status `code` (0: none logged) is one of its responses.
    fn is(&self, code: u16) -> bool {
        Trouble::of_code(code) == Some(self.trouble)
    }

    /// Whether an endpoint's responses count: missing statuses only where they can be
    /// incomplete requests.
    fn follows(&self, e: &Endpoint<'_>) -> bool {
        self.trouble != Trouble::Aborted || e.can_be_incomplete()
    }
}

/// The bursts of `kind` in `facts`: one on the whole traffic (scoped to a host holding 90 % or
/// more of it), else one per host whose own traffic shows one. Each finding is worded, with
/// its window, figures, host, upstream and origin.
pub(super) fn find(kind: &Kind, facts: &Facts<'_>, cfg: &RuleSettings) -> Vec<Finding> {
    let all: Vec<&Endpoint<'_>> = facts.endpoints.iter().filter(|e| kind.follows(e)).collect();
    if let Some((mut f, busiest_host)) = burst(kind, &all, facts, cfg) {
        if let Some((h, n)) = busiest_host {
            if n * 10 >= f.count * OWNS {
                on_host(&mut f, h.to_string());
            }
        }
        on_upstream(kind, &mut f, facts);
        return vec![f];
    }
    // With several hosts, one host's burst can drown in the others' traffic.
    // Endpoints come sorted by host first: each host's are together.
    let mut hosts: Vec<Option<&str>> = all.iter().map(|e| e.host).collect();
    hosts.dedup();
    if hosts.len() < 2 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for h in hosts {
        let of_host: Vec<&Endpoint<'_>> = all.iter().copied().filter(|e| e.host == h).collect();
        if let Some((mut f, _)) = burst(kind, &of_host, facts, cfg) {
            if let Some(h) = h {
                on_host(&mut f, h.to_string());
            }
            on_upstream(kind, &mut f, facts);
            out.push(f);
        }
    }
    out
}

/// Whether one client got 90 % or more of burst `f`'s `count` responses (`got`) at times
/// overlapping its window (`span`, first and last).
pub(super) fn one_clients(f: &Finding, got: u64, span: Option<(i64, i64)>) -> bool {
    let Some((start, end)) = f.evidence.window else {
        return false;
    };
    got * 10 >= f.count * OWNS && span.is_some_and(|(a, b)| a < end && b >= start)
}

/// Scope a burst finding to host `h`: the incident is that host's.
fn on_host(f: &mut Finding, h: String) {
    f.message = format!("On host {h}: {}", f.message);
    f.host = Some(h);
}

/// Name the upstream (target group, service) that holds 90 % or more of a burst's responses
/// in its window, when the log names upstreams.
fn on_upstream(kind: &Kind, f: &mut Finding, facts: &Facts<'_>) {
    let Some((start, end)) = f.evidence.window else {
        return;
    };
    let (first, last) = (start.div_euclid(60_000), (end - 1).div_euclid(60_000));
    let Some((name, n)) = facts
        .aggregate
        .upstreams
        .iter()
        .map(|(u, minutes)| {
            let n: u64 = minutes
                .range(first..=last)
                .map(|(_, m)| u64::from(kind.trouble.in_minute(m)))
                .sum();
            (u, n)
        })
        .max_by_key(|(u, n)| (*n, std::cmp::Reverse(*u)))
    else {
        return;
    };
    if n == 0 || n * 10 < f.count * OWNS {
        return;
    }
    let how_many = if n >= f.count {
        "All of them".to_string()
    } else {
        format!("{n} of them")
    };
    f.message = format!(
        "{} {how_many} came from upstream {name}: that target group or service is the one to look at.",
        f.message
    );
    f.evidence = std::mem::take(&mut f.evidence)
        .figure("upstream", name.as_str())
        .figure("upstream_count", n);
}

/// Who produced the responses of a burst over `touched`, when the log tells: `client` for
/// requests the client closed (499, 460), `gateway` or `application` when the log names the
/// upstream's status for most requests (a gateway's own status has none).
fn origin(
    kind: &Kind,
    touched: &[(&Endpoint<'_>, u64)],
    codes: &BTreeMap<u16, u64>,
) -> Option<&'static str> {
    let all: u64 = codes.values().sum();
    if kind.trouble == Trouble::Aborted {
        let closed: u64 = codes.iter().filter(|(c, _)| **c != 0).map(|(_, n)| n).sum();
        return (closed * 2 > all).then_some("client");
    }
    let requests: u64 = touched.iter().map(|(e, _)| e.stats.count).sum();
    let unknown: u64 = touched.iter().map(|(e, _)| e.stats.origins[2]).sum();
    if all == 0 || unknown * 2 > requests {
        return None;
    }
    let by_gateway: u64 = touched
        .iter()
        .flat_map(|(e, _)| e.stats.gateway_statuses.iter())
        .filter(|(c, _)| kind.is(*c))
        .map(|(_, n)| n)
        .sum();
    Some(if by_gateway * 2 >= all {
        "gateway"
    } else {
        "application"
    })
}

/// Figure naming a host and its responses in the burst (only with several hosts).
const HOST_FIGURE: &str = "host_count";

/// The burst of `endpoints` (all, or one host's), if it passes the thresholds, with the host
/// that got most of it (when endpoints name hosts) and its responses.
fn burst<'a>(
    kind: &Kind,
    endpoints: &[&Endpoint<'a>],
    facts: &Facts<'_>,
    cfg: &RuleSettings,
) -> Option<(Finding, Option<(&'a str, u64)>)> {
    // Their series: every endpoint's buckets summed.
    let mut summed: BTreeMap<i64, MinuteCounts> = BTreeMap::new();
    for e in endpoints {
        for (k, c) in e.stats.series.iter() {
            summed.entry(*k).or_default().merge(c);
        }
    }
    let series: Vec<Point> = summed.into_iter().collect();
    let width = ((cfg.get(&BURST_WIDTH) * facts.span_buckets as f64).ceil() as i64).max(1);
    let b = stats::burst_of(&series, &|c| kind.hits(c), width)?;
    if (b.hits as f64) < cfg.get(kind.min_count)
        || b.share < cfg.get(&MIN_BURST_SHARE)
        || b.rate_inside < 5.0 * b.rate_outside
    {
        return None;
    }
    // The endpoints touched inside the window, busiest first.
    let mut touched: Vec<(&Endpoint<'_>, u64)> = endpoints
        .iter()
        .map(|&e| {
            let n: u64 = e
                .stats
                .series
                .iter()
                .filter(|(k, _)| (b.start..=b.end).contains(k))
                .map(|(_, c)| kind.hits(c))
                .sum();
            (e, n)
        })
        .filter(|&(_, n)| n > 0)
        .collect();
    if (touched.len() as f64) < cfg.get(&MIN_ENDPOINTS) {
        return None;
    }
    // The codes they answered (over the whole log: series keep a few codes only).
    let mut codes: BTreeMap<u16, u64> = BTreeMap::new();
    for (e, _) in &touched {
        for (code, n) in e.stats.sorted_statuses() {
            if kind.is(code) {
                *codes.entry(code).or_default() += n;
            }
        }
    }
    let observed = codes
        .iter()
        .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)))
        .map_or(0, |(c, _)| *c);
    let recommended = match kind.trouble {
        Trouble::Aborted => Vec::new(),
        // A dependency down for a while is unavailability the handlers report as 500.
        Trouble::Error500 => vec![503, 504],
        _ => vec![observed],
    };
    let origin = origin(kind, &touched, &codes);
    let mut f = Finding::api_wide(kind.meta, observed, recommended, &mut touched);
    let (start, end) = (
        b.start.saturating_mul(facts.bucket_ms),
        b.end.saturating_add(1).saturating_mul(facts.bucket_ms),
    );
    let mix: Vec<String> = codes
        .iter()
        .map(|(c, n)| match c {
            0 => format!("no status: {n}"),
            c => format!("{c}: {n}"),
        })
        .collect();
    f.count = b.hits;
    f.share = b.rate_inside;
    f.message = format!(
        "{} {} ({}) in {} over {} endpoints, {:.1}% of the requests then against {:.2}% the rest of the time: {} Endpoints: {}.",
        b.hits,
        kind.what,
        mix.join(", "),
        stats::human_duration(end - start),
        touched.len(),
        b.rate_inside * 100.0,
        b.rate_outside * 100.0,
        kind.meaning,
        Finding::endpoint_list(&touched)
    );
    f.evidence.window = Some((start, end));
    f.evidence.figures[0] = ("count", b.hits.into());
    f.evidence = f
        .evidence
        .rate("rate_inside", b.rate_inside)
        .rate("rate_outside", b.rate_outside)
        .rate("share_of_all", b.share)
        .figure("codes", mix.join(", "));
    if let Some(o) = origin {
        f.evidence = f.evidence.figure("origin", o);
    }
    let mut by_host: BTreeMap<&str, u64> = BTreeMap::new();
    for (e, n) in &touched {
        if let Some(h) = e.host {
            *by_host.entry(h).or_default() += n;
        }
    }
    let busiest = by_host
        .iter()
        .max_by_key(|(h, n)| (**n, std::cmp::Reverse(**h)))
        .map(|(h, n)| (*h, *n));
    for (h, n) in by_host {
        f.evidence = f.evidence.figure(HOST_FIGURE, serde_json::json!([h, n]));
    }
    Some((f, busiest))
}

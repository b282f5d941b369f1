//! The statistics the rules decide from: shares, quantiles, a latency pile-up at a ceiling, a
//! burst in a time series, and correlation with load. Pure functions over merged data.

use crate::aggregate::{Counter, Durations, EndpointStats, MinuteCounts};

/// `n / d`, 0 when `d` is 0.
pub fn ratio(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// Round to `digits` decimals.
pub fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// Quantile `q` of durations, in ms.
pub fn quantile_ms(d: &Durations, q: f64) -> Option<f64> {
    d.quantile_us(q).map(|v| v as f64 / 1000.0)
}

/// A duration figure `ms` of `d` in words: `97 ms` (to `decimals`), or `under a second (the log
/// gives whole seconds)` when `d` was logged in truncated whole seconds and `ms` is below one.
pub fn ms_text(d: &Durations, ms: f64, decimals: usize) -> String {
    if d.whole_seconds() && ms < 1000.0 {
        "under a second (the log gives whole seconds)".to_string()
    } else {
        format!("{ms:.decimals$} ms")
    }
}

/// Share of durations at or above `us`.
pub fn share_at_or_above(d: &Durations, us: u64) -> f64 {
    let Some(h) = d.histogram() else {
        return 0.0;
    };
    let below = h.count_between(0, us.saturating_sub(1));
    ratio(h.len().saturating_sub(below), h.len())
}

/// Latencies piled up in a narrow band: what a timeout looks like.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ceiling {
    /// Low end of the band (ms).
    pub low_ms: f64,
    /// High end of the band (ms).
    pub high_ms: f64,
    /// Values in the band.
    pub count: u64,
    /// `count` over all values.
    pub share: f64,
}

/// The band `[v, v × (1 + width)]` holding the most durations; its ends are the histogram's
/// buckets' within the exact bounds (a 30 s timeout every request hit reads 30 000 ms to
/// 30 000 ms, not its bucket's 30 015).
pub fn densest_band(d: &Durations, width: f64) -> Option<Ceiling> {
    let h = d.histogram()?;
    let values: Vec<(u64, u64)> = h
        .iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect();
    let mut best: Option<(usize, usize, u64)> = None;
    let mut j = 0usize;
    let mut in_band = 0u64;
    for i in 0..values.len() {
        if j < i {
            j = i;
            in_band = 0;
        }
        let limit = values[i].0 as f64 * (1.0 + width);
        while j < values.len() && values[j].0 as f64 <= limit {
            in_band += values[j].1;
            j += 1;
        }
        if best.is_none_or(|(_, _, n)| in_band > n) {
            best = Some((i, j - 1, in_band));
        }
        in_band -= values[i].1;
    }
    let (lo, hi, n) = best?;
    Some(Ceiling {
        low_ms: d.bucket_us(values[lo].0).0 as f64 / 1000.0,
        high_ms: d.bucket_us(values[hi].0).1 as f64 / 1000.0,
        count: n,
        share: ratio(n, h.len()),
    })
}

/// One time bucket of an endpoint: (bucket index, counters). The width is the run's
/// ([`Facts::bucket_ms`](super::Facts)).
pub type Point = (i64, MinuteCounts);

/// The endpoint's time series in time order.
pub fn series(s: &EndpointStats) -> Vec<Point> {
    s.series.iter().copied().collect()
}

/// Requests of a bucket (every class).
pub fn bucket_total(c: &MinuteCounts) -> u64 {
    c.total()
}

/// A stretch of time where one kind of response concentrates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Burst {
    /// First bucket.
    pub start: i64,
    /// Last bucket.
    pub end: i64,
    /// Hits inside.
    pub hits: u64,
    /// `hits` over all hits.
    pub share: f64,
    /// Hit rate (hits / requests) inside.
    pub rate_inside: f64,
    /// Hit rate outside.
    pub rate_outside: f64,
}

/// The window of at most `width` buckets holding the most hits (`slot` of each bucket), if the
/// series spans at least three such windows (so "concentrated" means something).
pub fn burst(series: &[Point], slot: Counter, width: i64) -> Option<Burst> {
    burst_of(series, &|c: &MinuteCounts| u64::from(c.get(slot)), width)
}

/// [`burst`] of any count of a bucket (`hits`).
pub fn burst_of(
    series: &[Point],
    hits_of: &dyn Fn(&MinuteCounts) -> u64,
    width: i64,
) -> Option<Burst> {
    let (first, last) = (series.first()?.0, series.last()?.0);
    if (last - first).saturating_add(1) < width.saturating_mul(3) {
        return None;
    }
    let total_hits: u64 = series.iter().map(|(_, c)| hits_of(c)).sum();
    let total_req: u64 = series.iter().map(|(_, c)| bucket_total(c)).sum();
    let mut best: Option<(usize, usize, u64, u64)> = None;
    let (mut j, mut hits, mut req) = (0usize, 0u64, 0u64);
    for i in 0..series.len() {
        while j < series.len() && series[j].0 < series[i].0.saturating_add(width) {
            hits += hits_of(&series[j].1);
            req += bucket_total(&series[j].1);
            j += 1;
        }
        if best.is_none_or(|b| hits > b.2) {
            best = Some((i, j - 1, hits, req));
        }
        hits -= hits_of(&series[i].1);
        req -= bucket_total(&series[i].1);
    }
    let (mut i, mut k, best_hits, best_req) = best?;
    // Trim the edges: a bucket holding no more hits than the background rate (outside the
    // window) explains is not part of the burst — the window is as wide as allowed, and would
    // otherwise take in the odd background hit on either side.
    let background = ratio(total_hits - best_hits, total_req - best_req);
    let explained = |c: &MinuteCounts| {
        let n = hits_of(c);
        n == 0 || !surprising(n, background * bucket_total(c) as f64)
    };
    while i < k && explained(&series[i].1) {
        i += 1;
    }
    while k > i && explained(&series[k].1) {
        k -= 1;
    }
    // And grow them: a burst longer than the window goes on in the buckets beside it (a
    // 40-second flood in a 3-minute capture is one burst of 40 seconds, not 18 of them and
    // "7 % outside"), up to a third of the span. Each edge moves to where the window's scan
    // statistic ([`scan_score`]) is highest, the other edge held, until neither moves: a
    // quiet second inside the flood (one request, whose one 500 the background would explain
    // on its own) is bridged by the flood beyond it, and a bucket of background is left out.
    // A silence of the endpoint (no request at all) longer than the window ends the burst.
    let longest = width.max((last - first + 1) / 3);
    // The bucket among `beyond` (the buckets past the moving edge, nearest first) where the
    // window `i..=k` grown to it scores highest; `edge` when none beats the window as it is.
    let best_edge = |i: usize, k: usize, edge: usize, beyond: &mut dyn Iterator<Item = usize>| {
        let score = |h: u64, n: u64| scan_score(h, n, total_hits, total_req);
        let (mut h, mut n) = window_sums(series, hits_of, i, k);
        let (mut best, mut at) = (score(h, n), edge);
        for j in beyond {
            h += hits_of(&series[j].1);
            n += bucket_total(&series[j].1);
            if score(h, n) > best {
                (best, at) = (score(h, n), j);
            }
        }
        at
    };
    // Buckets a window may grow to: within `longest` of its other edge, with no silence of the
    // endpoint longer than the window between them and the edge.
    let near = |a: usize, b: usize| series[b].0 - series[a].0 <= width;
    for _ in 0..4 {
        let before = (i, k);
        k = best_edge(
            i,
            k,
            k,
            &mut (k + 1..series.len())
                .take_while(|&j| series[j].0 - series[i].0 < longest && near(j - 1, j)),
        );
        i = best_edge(
            i,
            k,
            i,
            &mut (0..i)
                .rev()
                .take_while(|&j| series[k].0 - series[j].0 < longest && near(j, j + 1)),
        );
        if (i, k) == before {
            break;
        }
    }
    let (hits, req) = window_sums(series, hits_of, i, k);
    Some(Burst {
        start: series[i].0,
        end: series[k].0,
        hits,
        share: ratio(hits, total_hits),
        rate_inside: ratio(hits, req),
        rate_outside: ratio(total_hits - hits, total_req - req),
    })
}

/// Kulldorff's scan statistic of a window holding `hits` of `req` requests, out of
/// `total_hits` of `total_req`: the log-likelihood ratio of "the rate inside differs from the
/// rate outside" against "one rate throughout" (Poisson counts). 0 when the rate inside is not
/// the higher: only a window denser than the rest scores.
pub fn scan_score(hits: u64, req: u64, total_hits: u64, total_req: u64) -> f64 {
    let (h, n) = (hits as f64, req as f64);
    let (out_h, out_n) = (
        total_hits.saturating_sub(hits) as f64,
        total_req.saturating_sub(req) as f64,
    );
    let inside = if n > 0.0 { h / n } else { 0.0 };
    let outside = if out_n > 0.0 { out_h / out_n } else { 0.0 };
    if inside <= outside {
        return 0.0;
    }
    let xlny = |x: f64, y: f64| if x > 0.0 { x * y.ln() } else { 0.0 };
    let all = total_hits as f64 / (total_req as f64).max(1.0);
    xlny(h, inside) + xlny(out_h, outside) - xlny(total_hits as f64, all)
}

/// Hits and requests of `series[i..=k]`.
fn window_sums(
    series: &[Point],
    hits_of: &dyn Fn(&MinuteCounts) -> u64,
    i: usize,
    k: usize,
) -> (u64, u64) {
    series[i..=k].iter().fold((0, 0), |(h, r), (_, c)| {
        (h + hits_of(c), r + bucket_total(c))
    })
}

/// Whether `n` events are surprising where `expected` were: a Poisson tail below 1 %.
pub fn surprising(n: u64, expected: f64) -> bool {
    if expected <= 0.0 {
        return n > 0;
    }
    if n as f64 > expected + 10.0 * expected.sqrt() + 10.0 {
        return true;
    }
    // P(X >= n) = 1 - P(X < n), summing the probabilities of 0..n-1.
    let (mut term, mut below) = ((-expected).exp(), 0.0);
    for i in 0..n {
        below += term;
        term *= expected / (i + 1) as f64;
    }
    1.0 - below < 0.01
}

/// Pearson correlation of two equally long series; `None` with fewer than 3 points or no
/// variance.
pub fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let n = xs.len().min(ys.len());
    if n < 3 {
        return None;
    }
    let mx = xs[..n].iter().sum::<f64>() / n as f64;
    let my = ys[..n].iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs[..n].iter().zip(&ys[..n]) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    if sxx <= f64::EPSILON || syy <= f64::EPSILON {
        return None;
    }
    Some(sxy / (sxx.sqrt() * syy.sqrt()))
}

/// Coefficient of variation (standard deviation over mean) of a series; 0 when empty or the
/// mean is 0.
pub fn variation(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if mean <= 0.0 {
        return 0.0;
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    var.sqrt() / mean
}

/// Time window of the buckets (`bucket_ms` wide) where `slot` is non-zero, in epoch ms (end
/// exclusive).
pub fn window_of(series: &[Point], slot: Counter, bucket_ms: i64) -> Option<(i64, i64)> {
    let first = series.iter().find(|(_, c)| c.get(slot) > 0)?.0;
    let last = series.iter().rev().find(|(_, c)| c.get(slot) > 0)?.0;
    Some((
        first.saturating_mul(bucket_ms),
        last.saturating_add(1).saturating_mul(bucket_ms),
    ))
}

/// A duration for people: `18 s`, `12 min`, `3.5 h`, `2.0 days`.
pub fn human_duration(ms: i64) -> String {
    let s = ms as f64 / 1000.0;
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} days", s / 86_400.0)
    }
}

/// Whether a route segment is a placeholder (`{id}`, `{param}`, …).
pub fn is_placeholder(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

/// Whether `word` is one of `words`, whatever its case (a route's extension or named
/// segment against a rule's list).
pub fn is_one_of(word: &str, words: &[&str]) -> bool {
    words.iter().any(|w| word.eq_ignore_ascii_case(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(values: &[(u64, u64)]) -> Durations {
        let mut d = Durations::default();
        for &(v, n) in values {
            for _ in 0..n {
                d.record(v, false);
            }
        }
        d
    }

    #[test]
    fn densest_band_finds_the_pile() {
        let h = hist(&[
            (1_000, 5),
            (20_000, 3),
            (30_000_000, 40),
            (30_100_000, 10),
            (900, 2),
        ]);
        let c = densest_band(&h, 0.05).expect("values");
        assert_eq!(c.count, 50);
        // The band's ends: its buckets' (30 000 ms is in [29 884, 30 015]), the top within
        // the greatest value.
        assert!((29_800.0..=30_000.0).contains(&c.low_ms), "{c:?}");
        assert_eq!(c.high_ms, 30_100.0, "{c:?}");
        assert!((c.share - 50.0 / 60.0).abs() < 1e-9);
        assert!(densest_band(&Durations::default(), 0.05).is_none());
        // Every value the same (a timeout, or whole seconds): the band is that value.
        let c = densest_band(&hist(&[(30_000_000, 7)]), 0.1).expect("values");
        assert_eq!((c.low_ms, c.high_ms, c.count), (30_000.0, 30_000.0, 7));
        assert_eq!(quantile_ms(&hist(&[(30_000_000, 7)]), 0.99), Some(30_000.0));
    }

    #[test]
    fn a_burst_longer_than_the_window_is_followed_to_its_end() {
        // Three minutes per second; a dependency down from 60 s to 90 s: every request of
        // those 30 seconds a 500. The window is 18 buckets wide; the burst is all 30.
        let series: Vec<Point> = (0..180)
            .map(|s| {
                let c = if (60..90).contains(&s) {
                    MinuteCounts::from_parts([0, 0, 0, 0, 0, 20], 20, 0)
                } else {
                    MinuteCounts::from_parts([0, 0, 40, 0, 0, 0], 0, 0)
                };
                (s, c)
            })
            .collect();
        let b = burst(&series, Counter::Status500, 18).expect("burst");
        assert_eq!((b.start, b.end, b.hits), (60, 89, 600));
        assert_eq!((b.share, b.rate_outside), (1.0, 0.0));
        // Half the span down: followed for at most a third of it (60 buckets).
        let long: Vec<Point> = (0..180)
            .map(|s| {
                let n500 = if (30..120).contains(&s) { 20 } else { 0 };
                (
                    s,
                    MinuteCounts::from_parts([0, 0, 40 - n500, 0, 0, n500], n500, 0),
                )
            })
            .collect();
        let b = burst(&long, Counter::Status500, 18).expect("burst");
        assert_eq!(b.end - b.start + 1, 60);
        // A second without any request of the endpoint inside the flood is bridged; a silence
        // longer than the window ends it.
        let gapped: Vec<Point> = series.iter().filter(|(s, _)| *s != 80).copied().collect();
        let b = burst(&gapped, Counter::Status500, 18).expect("burst");
        assert_eq!((b.start, b.end, b.hits), (60, 89, 580));
        let silent: Vec<Point> = series
            .iter()
            .filter(|(s, _)| !(70..89).contains(s))
            .copied()
            .collect();
        let b = burst(&silent, Counter::Status500, 5).expect("burst");
        assert!(b.end < 70 || b.start >= 89, "{b:?}");
        // A quiet second inside the flood (one request, one 500: the background past the
        // window's edge would explain it alone) does not cut the flood in two.
        let quiet: Vec<Point> = series
            .iter()
            .map(|&(s, c)| {
                let one = MinuteCounts::from_parts([0, 0, 0, 0, 0, 1], 1, 0);
                (s, if s == 75 { one } else { c })
            })
            .collect();
        let b = burst(&quiet, Counter::Status500, 10).expect("burst");
        assert_eq!((b.start, b.end, b.share), (60, 89, 1.0));
    }

    #[test]
    fn burst_and_correlation() {
        let mut series = Vec::new();
        for m in 0..60 {
            let c = if (20..25).contains(&m) {
                MinuteCounts::from_parts([0, 0, 100, 0, 0, 50], 50, 0)
            } else {
                MinuteCounts::from_parts([0, 0, 100, 0, 0, 0], 0, 0)
            };
            series.push((m, c));
        }
        let b = burst(&series, Counter::Status500, 6).expect("burst");
        assert_eq!((b.start, b.end, b.hits), (20, 24, 250));
        assert_eq!(b.share, 1.0);
        assert_eq!(b.rate_outside, 0.0);
        assert!(
            burst(&series[..10], Counter::Status500, 6).is_none(),
            "too short a series"
        );
        assert_eq!(
            window_of(&series, Counter::Status500, 60_000),
            Some((20 * 60_000, 25 * 60_000))
        );
        // A background hit beside the burst stays outside its window.
        series[17].1 = MinuteCounts::from_parts([0, 0, 100, 0, 0, 1], 1, 0);
        let b = burst(&series, Counter::Status500, 6).expect("burst");
        assert_eq!((b.start, b.end, b.hits), (20, 24, 250));
        assert!(b.rate_outside > 0.0);
        // ... unless it is too many for the background to explain.
        series[17].1 = MinuteCounts::from_parts([0, 0, 100, 0, 0, 30], 30, 0);
        let b = burst(&series, Counter::Status500, 8).expect("burst");
        assert_eq!((b.start, b.end, b.hits), (17, 24, 280));
        assert!(surprising(3, 0.2) && !surprising(1, 0.2) && surprising(1, 0.0));
        assert!(!surprising(12, 10.0) && surprising(10_000, 10.0));
        let r = pearson(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.1, 6.0, 8.2]).expect("defined");
        assert!(r > 0.99);
        assert!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_none());
        assert_eq!(variation(&[5.0, 5.0, 5.0]), 0.0);
        assert!((variation(&[10.0, 30.0]) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn shares() {
        let h = hist(&[(100, 9), (5_000_000, 1)]);
        assert!((share_at_or_above(&h, 4_000_000) - 0.1).abs() < 1e-9);
        assert_eq!(share_at_or_above(&Durations::default(), 1), 0.0);
        assert_eq!(ratio(1, 0), 0.0);
        assert!(is_placeholder("{id}") && !is_placeholder("users"));
    }
}

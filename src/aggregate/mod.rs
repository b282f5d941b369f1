//! The aggregate: per-endpoint statistics plus global totals and rejects.
//!
//! A parse worker folds one chunk into a fresh, uncapped [`Aggregate`] with
//! [`Aggregate::add`] (a chunk is bounded, so is its aggregate). The run then
//! [`Aggregate::absorb`]s the chunk aggregates into one total *in input order* (file, then
//! chunk), and that is where everything bounded happens: `{param}` collapse before an endpoint
//! is charged to the cap, the heavy-hitter route cap ([`table::Heavy`]), the client cap. Chunk
//! boundaries depend only on the bytes, so the total is a function of the input alone: the same
//! at any `--jobs` and on every run. [`Aggregate::finish`] runs once at the end: the last
//! collapse pass and the fold to `route_cap` rows.

pub mod partial;
pub mod signals;
pub mod table;

use std::collections::{BTreeMap, BTreeSet};
use std::hash::BuildHasher;

use hdrhistogram::Histogram;
use rustc_hash::{FxBuildHasher, FxHashMap};
use serde::{Deserialize, Serialize};

use signals::{sample_key, ClientSet, ClientStats, ErrorBodies, Samples, Throttles, SIZE_BUCKETS};
use table::{Collapser, Distinct, Heavy};

use crate::format::{BytesKind, Origin, Record, RejectKind};
use crate::route::{self, Normalizer};

/// What happened to one input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileInfo {
    /// Display name.
    pub name: String,
    /// Detected (or given) format; `None` when it could not be opened or recognised.
    pub format: Option<String>,
    /// Compression found.
    pub compression: Option<&'static str>,
    /// The problem, if the file could not be read completely.
    pub error: Option<String>,
}

/// The result of a run.
#[derive(Debug)]
pub struct RunOutput {
    /// The total aggregate (not yet [`Aggregate::finish`]ed when it comes from a run).
    pub aggregate: Aggregate,
    /// One entry per input, in input order.
    pub files: Vec<FileInfo>,
}

/// Where a line is: file index, chunk index within the file, line index within the chunk.
/// Ordered like the input, so "the first N samples" is well defined whatever the split.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Pos {
    /// Index of the file in the run's input list.
    pub file: u32,
    /// Chunk number within the file.
    pub chunk: u32,
    /// Line number within the chunk (0-based).
    pub line: u32,
}

/// A rejected line kept as an example.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// Where it is.
    pub pos: Pos,
    /// The first bytes of the line.
    #[serde(with = "partial::bytes_vec")]
    pub snippet: Vec<u8>,
}

/// Samples kept per reject reason.
pub const MAX_SAMPLES: usize = 5;
/// Bytes of a line kept in a sample.
pub const SNIPPET_BYTES: usize = 200;
/// Most distinct time buckets one endpoint's series holds before it is coarsened to the run's
/// width: a bound for a single aggregate fed line by line (a chunk's is bounded by the chunk).
/// Requests beyond it are still counted everywhere else, and `series_dropped` says how many
/// lost their bucket.
pub const MAX_RAW_BUCKETS: usize = 50_000;
/// Most buckets a run's time series spans: the bucket width is the first of [`SERIES_STEPS`]
/// that fits the observed span into this many, so a 3-minute capture is followed per second
/// and a week per hour, and a series is at most this long whatever the input.
pub const SERIES_BUCKETS: i64 = 720;

/// Bucket widths in seconds, each dividing the next (so coarsening composes) and aligned to
/// the epoch (minutes, hours, UTC days); past a week, weeks doubling.
const SERIES_STEPS: [i64; 14] = [
    1, 5, 10, 30, 60, 300, 600, 1800, 3600, 7200, 21_600, 43_200, 86_400, 604_800,
];

/// The width in seconds of series step `step`.
pub fn step_seconds(step: u8) -> i64 {
    match SERIES_STEPS.get(usize::from(step)) {
        Some(&w) => w,
        None => 604_800i64.saturating_mul(1i64 << (u32::from(step) - 13).min(40)),
    }
}

/// A silence longer than a week is never part of a run's span: a line from a host whose clock
/// is years off (an unset clock's 1970, a mistyped year) adds its own bucket, not every bucket
/// between. Shorter silences inside the traffic — an outage, a quiet night or weekend — are
/// part of it, and the timeline shows them at zero.
pub const SERIES_GAP_SECONDS: i64 = 7 * 86_400;

/// Silences longer than this many buckets (at the series' step: half the most a series spans)
/// cut the occupied buckets into runs; a run of at most [`STRAY_BUCKETS`] occupied buckets
/// before all the rest or after it is stray lines, and the silence between it and the rest is
/// left out of the span too.
pub const SERIES_GAP_BUCKETS: i64 = SERIES_BUCKETS / 2;

/// The most occupied buckets of a run of stray lines: a line from the day before at the top of
/// a 3-minute capture, a long request logged at its start hours back, a few lines from a
/// skewed clock. Such a run adds its own buckets, not the silence before the rest of the
/// traffic, so the rest keeps its resolution.
pub const STRAY_BUCKETS: usize = 8;

/// The stretches of buckets (first, last; at `step`) that the occupied buckets `keys`
/// (ascending) span: silences longer than [`SERIES_GAP_SECONDS`] cut them, and so do those
/// longer than [`SERIES_GAP_BUCKETS`] that set stray lines apart at either end. Adding a
/// request never makes them cover fewer buckets, so a step fitted to them only ever widens.
pub fn spans(keys: impl IntoIterator<Item = i64>, step: u8) -> Vec<(i64, i64)> {
    // Runs of buckets no more than SERIES_GAP_BUCKETS apart: (first, last, occupied).
    let mut runs: Vec<(i64, i64, usize)> = Vec::new();
    for k in keys {
        match runs.last_mut() {
            Some(r) if k - r.1 <= SERIES_GAP_BUCKETS + 1 => {
                r.1 = k;
                r.2 += 1;
            }
            _ => runs.push((k, k, 1)),
        }
    }
    // Stray lines: the runs at either end (never all of them) that hold at most STRAY_BUCKETS
    // occupied buckets together. Counted from the ends, more requests only ever make them
    // fewer, so the span only grows with the input.
    let strays = |runs: &mut dyn Iterator<Item = &(i64, i64, usize)>| {
        let mut sum = 0;
        runs.take_while(|r| {
            sum += r.2;
            sum <= STRAY_BUCKETS
        })
        .count()
    };
    let others = runs.len().saturating_sub(1);
    let lead = strays(&mut runs[..others].iter());
    let trail = strays(&mut runs[runs.len() - others..].iter().rev());
    let week = SERIES_GAP_SECONDS / step_seconds(step);
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(runs.len());
    for (i, r) in runs.iter().enumerate() {
        // The silence before run `i` sets stray lines apart: run `i - 1` is among the leading
        // ones, or run `i` among the trailing ones.
        let apart = i <= lead || i + trail >= runs.len();
        match out.last_mut() {
            Some(last) if !apart && r.0 - last.1 <= week + 1 => last.1 = r.1,
            _ => out.push((r.0, r.1)),
        }
    }
    out
}

/// The buckets that the occupied buckets `keys` (ascending, at `step`) span ([`spans`]).
/// Without long silences it is `last - first + 1`. Adding a request never makes it smaller.
pub fn covered(keys: impl IntoIterator<Item = i64>, step: u8) -> i64 {
    spans(keys, step)
        .iter()
        .fold(0i64, |n, (a, b)| n.saturating_add(b - a + 1))
}

/// Insert `keys` into `set`. A chunk's keys are many (a request each) but few distinct, and
/// come in table order, not time order: within a narrow `range` (first and last key) they are
/// marked in a bitmap first, else sorted and deduplicated first.
fn insert_distinct(
    set: &mut BTreeSet<i64>,
    keys: impl Iterator<Item = i64>,
    range: Option<(i64, i64)>,
) {
    match range {
        Some((lo, hi)) if (0..1 << 16).contains(&(hi - lo)) => {
            let mut bits = vec![0u64; ((hi - lo) / 64 + 1) as usize];
            for k in keys {
                // Outside the range only if the range is wrong: kept all the same.
                match usize::try_from(k - lo)
                    .ok()
                    .filter(|&i| i / 64 < bits.len())
                {
                    Some(i) => bits[i / 64] |= 1 << (i % 64),
                    None => {
                        set.insert(k);
                    }
                }
            }
            for (word, &b) in bits.iter().enumerate() {
                let mut b = b;
                while b != 0 {
                    set.insert(lo + (word * 64) as i64 + i64::from(b.trailing_zeros()));
                    b &= b - 1;
                }
            }
        }
        _ => {
            let mut v: Vec<i64> = keys.collect();
            v.sort_unstable();
            v.dedup();
            set.extend(v);
        }
    }
}

/// The finest step from `from` at which the occupied buckets `keys` (numbered at step `from`)
/// cover at most [`SERIES_BUCKETS`] buckets ([`covered`]); `keys` is renumbered to it. More
/// requests only ever cover more, so the step found for a whole input does not depend on the
/// order its parts were added in.
pub fn fit_step(keys: &mut BTreeSet<i64>, from: u8) -> u8 {
    let mut step = from;
    while step < 53 && covered(keys.iter().copied(), step) > SERIES_BUCKETS {
        renumber(keys, step, step + 1);
        step += 1;
    }
    step
}

/// Renumber bucket numbers at step `from` to the coarser step `to`.
fn renumber(keys: &mut BTreeSet<i64>, from: u8, to: u8) {
    let f = step_seconds(to) / step_seconds(from);
    if f > 1 {
        *keys = keys.iter().map(|k| k.div_euclid(f)).collect();
    }
}
/// Longest duration recorded (one day, µs); longer values are clamped.
const MAX_DURATION_US: u64 = 86_400_000_000;

/// What a [`MinuteCounts`] counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    /// Requests of a status class: 0 = no status, 1..=5 = 1xx..5xx (see [`class_index`]).
    Class(u8),
    /// Requests answered exactly 500 (the rules follow them in time).
    Status500,
    /// Requests answered exactly 404.
    Status404,
    /// Requests answered exactly 429.
    Status429,
    /// Requests the client closed before the response: nginx's 499, an ALB's 460.
    ClientClosed,
}

impl Counter {
    /// The counter that follows `status` on its own, beside its class, if one does.
    #[inline]
    pub fn exact(status: Option<u16>) -> Option<Counter> {
        match status {
            Some(500) => Some(Counter::Status500),
            Some(404) => Some(Counter::Status404),
            Some(429) => Some(Counter::Status429),
            Some(c) if crate::codes::is_client_closed(c) => Some(Counter::ClientClosed),
            _ => None,
        }
    }

    /// The narrowest counter that counts every request with `status`: its own, else its
    /// class's.
    pub fn narrowest(status: Option<u16>) -> Counter {
        Counter::exact(status).unwrap_or(Counter::Class(class_index(status) as u8))
    }
}

/// One minute of one endpoint: requests by status class, plus the exact codes the rules follow
/// in time. Serialized as the array `[none, 1xx, 2xx, 3xx, 4xx, 5xx, 500, 404, 429, 499|460]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MinuteCounts([u32; 10]);

impl MinuteCounts {
    fn slot(c: Counter) -> usize {
        match c {
            Counter::Class(i) => usize::from(i.min(5)),
            Counter::Status500 => 6,
            Counter::Status404 => 7,
            Counter::Status429 => 8,
            Counter::ClientClosed => 9,
        }
    }

    /// Count one request with `status`.
    #[inline]
    pub fn add(&mut self, status: Option<u16>) {
        let c = &mut self.0[class_index(status)];
        *c = c.saturating_add(1);
        if let Some(e) = Counter::exact(status) {
            let c = &mut self.0[Self::slot(e)];
            *c = c.saturating_add(1);
        }
    }

    /// Fold `other` in.
    pub fn merge(&mut self, other: &MinuteCounts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a = a.saturating_add(b);
        }
    }

    /// The count of `c`.
    #[inline]
    pub fn get(&self, c: Counter) -> u32 {
        self.0[Self::slot(c)]
    }

    /// Requests of the minute (every class).
    pub fn total(&self) -> u64 {
        self.0[..6].iter().map(|&n| u64::from(n)).sum()
    }

    /// Requests per class, 0 = no status, 1..=5 = 1xx..5xx.
    pub fn classes(&self) -> [u32; 6] {
        [
            self.0[0], self.0[1], self.0[2], self.0[3], self.0[4], self.0[5],
        ]
    }

    /// A minute with these class counts and exact-code counts (for tests and builders).
    pub fn from_parts(classes: [u32; 6], s500: u32, s404: u32) -> MinuteCounts {
        let c = classes;
        MinuteCounts([c[0], c[1], c[2], c[3], c[4], c[5], s500, s404, 0, 0])
    }
}

/// One-off rows a chunk's table holds before it is grown at once by [`SINGLES_RESERVE`].
const SINGLES_BEFORE_RESERVE: usize = 1024;
/// What a chunk's one-off table grows by when it reaches [`SINGLES_BEFORE_RESERVE`] rows: a
/// 2 MiB chunk of 100-byte lines.
const SINGLES_RESERVE: usize = 20 * 1024;

/// Most clients tracked for scanner classification; the rest are not classified.
pub const MAX_CLIENTS: usize = 100_000;

/// Index of a status in the per-minute class counters: 0 = unknown, 1..=5 = 1xx..5xx.
#[inline]
pub fn class_index(status: Option<u16>) -> usize {
    match status {
        Some(s @ 100..=599) => usize::from(s / 100),
        _ => 0,
    }
}

/// What one parsed line contributes to its endpoint: the record's fields the statistics read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit<'a> {
    /// Status (`None`: not logged).
    pub status: Option<u16>,
    /// Who produced the status.
    pub origin: Origin,
    /// Duration in µs.
    pub duration_us: Option<u64>,
    /// The duration was logged in whole seconds.
    pub duration_whole_s: bool,
    /// Bytes sent.
    pub bytes: Option<u64>,
    /// What `bytes` counts.
    pub bytes_kind: BytesKind,
    /// Whether credentials were sent.
    pub authenticated: Option<bool>,
    /// Error marker of the response.
    pub error_marker: Option<&'a [u8]>,
    /// The referring page of a 404 (other statuses leave it out: nothing reads it).
    pub referer_404: Option<&'a [u8]>,
    /// Time (ms).
    pub time_ms: Option<i64>,
    /// Client hash.
    pub client: Option<u64>,
    /// Where the line is.
    pub pos: Pos,
}

impl<'a> Hit<'a> {
    /// The hit of `rec` at `pos` from client hash `client`.
    #[inline]
    pub fn of(rec: &Record<'a>, pos: Pos, client: Option<u64>) -> Hit<'a> {
        Hit {
            status: rec.status,
            origin: rec.origin,
            duration_us: rec.duration_us,
            duration_whole_s: rec.duration_whole_s,
            bytes: rec.bytes,
            bytes_kind: rec.bytes_kind,
            authenticated: rec.authenticated,
            error_marker: rec.error_marker,
            referer_404: rec.referer.filter(|_| rec.status == Some(404)),
            time_ms: rec.time_ms,
            client,
            pos,
        }
    }
}

/// A [`Hit`] kept for later: an endpoint seen once in a chunk stays this small (most rows of
/// scanner junk never get a second request), and becomes [`EndpointStats`] only when needed.
/// Packed (64 bytes, not the hit's 120 and two boxes): on a log of junk every line is one,
/// and it moves from the chunk's table through the reducer's batch into the total's.
#[derive(Clone, Debug)]
pub struct OneHit {
    duration_us: u64,
    bytes: u64,
    time_ms: i64,
    client: u64,
    pos: Pos,
    status: u16,
    /// Which of the optional fields above are there (`ONE_*` bits), and `duration_whole_s`.
    has: u8,
    origin: Origin,
    bytes_kind: BytesKind,
    authenticated: Option<bool>,
    /// The error marker and the 404's referer, boxed together when either is there (rare).
    text: Option<Box<OneHitText>>,
}

/// The text a [`OneHit`] keeps: error marker, referer of a 404.
type OneHitText = (Option<Box<[u8]>>, Option<Box<[u8]>>);

const ONE_STATUS: u8 = 1;
const ONE_DURATION: u8 = 2;
const ONE_WHOLE_S: u8 = 4;
const ONE_BYTES: u8 = 8;
const ONE_TIME: u8 = 16;
const ONE_CLIENT: u8 = 32;

impl OneHit {
    fn new(h: &Hit<'_>) -> OneHit {
        let bit = |there: bool, b: u8| if there { b } else { 0 };
        OneHit {
            duration_us: h.duration_us.unwrap_or(0),
            bytes: h.bytes.unwrap_or(0),
            time_ms: h.time_ms.unwrap_or(0),
            client: h.client.unwrap_or(0),
            pos: h.pos,
            status: h.status.unwrap_or(0),
            has: bit(h.status.is_some(), ONE_STATUS)
                | bit(h.duration_us.is_some(), ONE_DURATION)
                | bit(h.duration_whole_s, ONE_WHOLE_S)
                | bit(h.bytes.is_some(), ONE_BYTES)
                | bit(h.time_ms.is_some(), ONE_TIME)
                | bit(h.client.is_some(), ONE_CLIENT),
            origin: h.origin,
            bytes_kind: h.bytes_kind,
            authenticated: h.authenticated,
            text: (h.error_marker.is_some() || h.referer_404.is_some()).then(|| {
                Box::new((
                    h.error_marker.map(Into::into),
                    h.referer_404.map(Into::into),
                ))
            }),
        }
    }

    /// Its `b` field's value, if there.
    fn field<T>(&self, b: u8, v: T) -> Option<T> {
        (self.has & b != 0).then_some(v)
    }

    /// The request's time (ms), if logged.
    fn time_ms(&self) -> Option<i64> {
        self.field(ONE_TIME, self.time_ms)
    }

    /// The hit.
    pub fn hit(&self) -> Hit<'_> {
        let text = self.text.as_deref();
        Hit {
            status: self.field(ONE_STATUS, self.status),
            origin: self.origin,
            duration_us: self.field(ONE_DURATION, self.duration_us),
            duration_whole_s: self.has & ONE_WHOLE_S != 0,
            bytes: self.field(ONE_BYTES, self.bytes),
            bytes_kind: self.bytes_kind,
            authenticated: self.authenticated,
            error_marker: text.and_then(|t| t.0.as_deref()),
            referer_404: text.and_then(|t| t.1.as_deref()),
            time_ms: self.time_ms(),
            client: self.field(ONE_CLIENT, self.client),
            pos: self.pos,
        }
    }

    /// Statistics of this one request.
    pub fn stats(&self) -> Box<EndpointStats> {
        let mut s = Box::<EndpointStats>::default();
        s.add(&self.hit());
        s
    }
}

/// An endpoint's time series: buckets in key order. Logs are nearly in time order, so the
/// bucket a line falls in is almost always the last one or a new last one: a sorted vector
/// finds it without hashing and grows without rehashing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Series(Vec<(i64, MinuteCounts)>);

impl Series {
    /// Buckets held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no bucket.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The buckets in key order.
    pub fn iter(&self) -> impl Iterator<Item = &(i64, MinuteCounts)> {
        self.0.iter()
    }

    /// The counts of bucket `k`, if held.
    pub fn get(&self, k: i64) -> Option<&MinuteCounts> {
        self.0
            .binary_search_by_key(&k, |(b, _)| *b)
            .ok()
            .map(|i| &self.0[i].1)
    }

    /// The counts of bucket `k`: created when absent and fewer than `cap` buckets are held.
    /// The usual case, the last bucket again, is inlined where a line is added; the rest is
    /// not, so the line loop stays small whatever the compiler decides about the callers.
    #[inline(always)]
    pub fn slot(&mut self, k: i64, cap: usize) -> Option<&mut MinuteCounts> {
        let n = self.0.len();
        if n > 0 && self.0[n - 1].0 == k {
            return Some(&mut self.0[n - 1].1);
        }
        self.new_slot(k, cap)
    }

    /// [`Series::slot`] of a bucket other than the last.
    #[inline(never)]
    fn new_slot(&mut self, k: i64, cap: usize) -> Option<&mut MinuteCounts> {
        let at = match self.0.last() {
            Some((last, _)) if *last > k => match self.0.binary_search_by_key(&k, |(b, _)| *b) {
                Ok(i) => i,
                Err(_) if self.0.len() >= cap => return None,
                Err(i) => {
                    self.0.insert(i, (k, MinuteCounts::default()));
                    i
                }
            },
            _ if self.0.len() >= cap => return None,
            _ => {
                self.0.push((k, MinuteCounts::default()));
                self.0.len() - 1
            }
        };
        Some(&mut self.0[at].1)
    }

    /// The same series with buckets `factor` times wider (keys floor-divided).
    fn widened(self, factor: i64) -> Series {
        let mut out: Vec<(i64, MinuteCounts)> = Vec::with_capacity(self.0.len());
        for (k, c) in self.0 {
            let k = k.div_euclid(factor);
            match out.last_mut() {
                Some((last, acc)) if *last == k => acc.merge(&c),
                _ => out.push((k, c)),
            }
        }
        Series(out)
    }
}

/// Statistics of one (method, route).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EndpointStats {
    /// Requests.
    pub count: u64,
    /// Requests per exact status (0 = no status logged), unsorted.
    pub statuses: Vec<(u16, u64)>,
    /// Latency in µs, for the lines that log a duration.
    pub latency: Durations,
    /// Sum of `bytes` over the lines that log it.
    pub bytes_sum: u64,
    /// Lines that log bytes.
    pub bytes_count: u64,
    /// Lines whose bytes count the whole response (headers included), not only the body.
    pub bytes_total_count: u64,
    /// Earliest request time (ms).
    pub first_ms: Option<i64>,
    /// Latest request time (ms).
    pub last_ms: Option<i64>,
    /// Requests per time bucket (epoch seconds divided by the width of `series_step`): see
    /// [`MinuteCounts`].
    pub series: Series,
    /// The series' bucket width, as a step of [`step_seconds`] (0: one second).
    pub series_step: u8,
    /// Requests whose bucket was not kept because of [`MAX_RAW_BUCKETS`].
    pub series_dropped: u64,
    /// Requests by who produced the status: app, gateway, unknown.
    pub origins: [u64; 3],
    /// Lines with an error marker.
    pub error_marked: u64,
    /// Latency (µs) of the 2xx responses.
    pub latency_2xx: Durations,
    /// Latency (µs) of the 500 responses.
    pub latency_500: Durations,
    /// Requests per status whose status the gateway produced (origin `gateway`), unsorted.
    pub gateway_statuses: Vec<(u16, u64)>,
    /// 200 responses by [`signals::size_bucket`] of their logged bytes.
    pub sizes_200: [u64; SIZE_BUCKETS],
    /// Of those, how many logged the whole response (headers included) rather than the body.
    pub sizes_200_total: u64,
    /// 403 responses by credentials: none, some, unknowable.
    pub auth_403: [u64; 3],
    /// 2xx responses with an error marker, by the status the marker implies.
    pub error_bodies: ErrorBodies,
    /// The first distinct pages that referred to this endpoint in a 404.
    pub referers_404: signals::Referers,
    /// Earliest positions per status and per signal, for evidence.
    pub samples: Samples,
    /// Durations (µs) not yet in the histograms, tagged with [`PENDING_2XX`] or
    /// [`PENDING_500`]: see [`EndpointStats::settle`]. Empty outside a chunk's aggregate.
    #[serde(skip)]
    pub pending_us: Vec<u64>,
    /// Who sent the requests (exact while few).
    pub clients: ClientSet,
    /// Throttled (429/503) responses per client over time.
    pub throttles: Throttles,
}

/// Durations a row keeps raw at most before recording them into its histograms.
const MAX_PENDING: usize = 4096;
/// Tag of a pending duration of a 2xx response (durations are clamped far below this bit).
const PENDING_2XX: u64 = 1 << 62;
/// Tag of a pending duration of a 500 response.
const PENDING_500: u64 = 1 << 61;
/// Tag of a pending duration logged in whole seconds.
const PENDING_WHOLE_S: u64 = 1 << 60;
const _: () = assert!(MAX_DURATION_US < PENDING_WHOLE_S);

/// Durations (µs): a histogram for their distribution, and their exact least and greatest
/// value. The histogram keeps two significant figures (a bucket 0.8 % wide at most, so 30 s
/// reads 30.015 s); the bounds make a ceiling every request hit — a 30 s timeout, whole
/// seconds from Apache's `%T` — read as the log wrote it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Durations {
    /// Created on the first value; grows as values need.
    #[serde(with = "partial::histogram")]
    hist: Option<Histogram<u64>>,
    /// The least value (0 while none).
    min: u64,
    /// The greatest value.
    max: u64,
    /// Values logged in whole seconds.
    whole_s: u64,
}

impl Durations {
    /// Record one duration (µs, at least 1), `whole_s` when the log gave it in whole seconds.
    #[inline]
    pub fn record(&mut self, v: u64, whole_s: bool) {
        self.whole_s += u64::from(whole_s);
        let h = self.hist.get_or_insert_with(|| {
            Histogram::new(2).expect("2 significant figures is a valid precision")
        });
        // `record` grows an auto-resizing histogram; `saturating_record` would clamp instead.
        if h.record(v).is_err() {
            h.saturating_record(v);
        }
        self.min = if self.min == 0 { v } else { self.min.min(v) };
        self.max = self.max.max(v);
    }

    /// Fold `other` in.
    pub fn merge(&mut self, other: Durations) {
        let Some(h) = other.hist else {
            return;
        };
        add_hist(&mut self.hist, h);
        self.min = match (self.min, other.min) {
            (0, m) | (m, 0) => m,
            (a, b) => a.min(b),
        };
        self.max = self.max.max(other.max);
        self.whole_s += other.whole_s;
    }

    /// Whether every value was logged in whole seconds (truncated: `0` is under a second),
    /// which is then all their quantiles can tell.
    pub fn whole_seconds(&self) -> bool {
        self.whole_s > 0 && self.whole_s == self.len()
    }

    /// The histogram, when it holds a value.
    pub fn histogram(&self) -> Option<&Histogram<u64>> {
        self.hist.as_ref().filter(|h| !h.is_empty())
    }

    /// Values recorded.
    pub fn len(&self) -> u64 {
        self.histogram().map_or(0, Histogram::len)
    }

    /// Whether no value was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Quantile `q` (µs): the top of the histogram's bucket that holds it (HdrHistogram's
    /// convention: no value is reported lower than it was), within the exact bounds.
    pub fn quantile_us(&self, q: f64) -> Option<u64> {
        let h = self.histogram()?;
        Some(self.within(h.value_at_quantile(q)))
    }

    /// The range of values (µs) that a value `v` the histogram iterates to can stand for: its
    /// bucket, within the exact bounds.
    pub fn bucket_us(&self, v: u64) -> (u64, u64) {
        match self.histogram() {
            Some(h) => (
                self.within(h.lowest_equivalent(v)),
                self.within(h.highest_equivalent(v)),
            ),
            None => (v, v),
        }
    }

    fn within(&self, v: u64) -> u64 {
        v.clamp(self.min.min(self.max), self.max)
    }
}

fn add_count(v: &mut Vec<(u16, u64)>, code: u16, n: u64) {
    match v.iter_mut().find(|(s, _)| *s == code) {
        Some((_, m)) => *m += n,
        None => v.push((code, n)),
    }
}

pub(crate) fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

pub(crate) fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

fn add_hist(into: &mut Option<Histogram<u64>>, other: Histogram<u64>) {
    match into {
        None => *into = Some(other),
        Some(h) => {
            if h.add(&other).is_err() {
                // Both histograms auto-resize, so `add` does not fail; keep the counts if it did.
                for v in other.iter_recorded() {
                    if h.record_n(v.value_iterated_to(), v.count_at_value())
                        .is_err()
                    {
                        h.saturating_record_n(v.value_iterated_to(), v.count_at_value());
                    }
                }
            }
        }
    }
}

impl EndpointStats {
    /// Empty statistics whose series is kept at step `step`.
    pub fn at_step(step: u8) -> EndpointStats {
        EndpointStats {
            series_step: step,
            ..EndpointStats::default()
        }
    }

    /// Widen the series' buckets to step `step`; narrower is left alone.
    pub fn coarsen(&mut self, step: u8) {
        if step > self.series_step {
            let series = std::mem::take(&mut self.series);
            self.series = series.widened(step_seconds(step) / step_seconds(self.series_step));
            self.series_step = step;
        }
    }

    /// Count one request.
    #[inline]
    pub fn add(&mut self, rec: &Hit<'_>) {
        let (pos, client) = (rec.pos, rec.client);
        self.count += 1;
        let code = rec.status.unwrap_or(0);
        add_count(&mut self.statuses, code, 1);
        if rec.origin == Origin::Gateway {
            add_count(&mut self.gateway_statuses, code, 1);
        }
        self.samples.offer(code, pos);
        if let Some(d) = rec.duration_us {
            let v = d.clamp(1, MAX_DURATION_US);
            // Kept raw until the chunk is absorbed: a chunk sees each endpoint a few dozen times,
            // and three fresh histograms per endpoint per chunk cost more than the values.
            let kind = match code {
                200..=299 => PENDING_2XX,
                500 => PENDING_500,
                _ => 0,
            };
            let whole = if rec.duration_whole_s {
                PENDING_WHOLE_S
            } else {
                0
            };
            self.pending_us.push(v | kind | whole);
            if self.pending_us.len() >= MAX_PENDING {
                // A row fed one request at a time for long (the total's `(other)`) records
                // its durations in batches, so it stays bounded.
                self.settle();
            }
        }
        if code == 200 {
            if let Some(b) = rec.bytes {
                let bucket = signals::size_bucket(b);
                self.sizes_200[bucket] += 1;
                if rec.bytes_kind == BytesKind::Total {
                    self.sizes_200_total += 1;
                } else if bucket == 0 {
                    self.samples.offer(sample_key::EMPTY_200, pos);
                }
            }
        }
        if code == 403 {
            self.auth_403[match rec.authenticated {
                Some(false) => 0,
                Some(true) => 1,
                None => 2,
            }] += 1;
            if rec.authenticated == Some(false) {
                self.samples.offer(sample_key::ANON_403, pos);
            }
        }
        if let Some(r) = rec.referer_404 {
            self.referers_404.offer(rec.pos, r);
        }
        if let (200..=299, Some(m)) = (code, rec.error_marker) {
            self.error_bodies.add(m, code);
            self.samples.offer(sample_key::ERROR_BODY, pos);
        }
        self.clients
            .add(client, 1, u64::from(signals::is_miss(code)));
        if let (429 | 503, Some(h), Some(t)) = (code, client, rec.time_ms) {
            self.throttles.add(h, t);
        }
        if let Some(b) = rec.bytes {
            self.bytes_sum = self.bytes_sum.saturating_add(b);
            self.bytes_count += 1;
            if rec.bytes_kind == BytesKind::Total {
                self.bytes_total_count += 1;
            }
        }
        if let Some(t) = rec.time_ms {
            self.first_ms = min_opt(self.first_ms, Some(t));
            self.last_ms = max_opt(self.last_ms, Some(t));
            // A chunk's rows are per second (step 0): no division by a width that is 1 (a
            // division by a value the compiler cannot see is a slow instruction, once a line).
            let secs = t.div_euclid(1000);
            let bucket = match self.series_step {
                0 => secs,
                step => secs.div_euclid(step_seconds(step)),
            };
            match self.series.slot(bucket, MAX_RAW_BUCKETS) {
                Some(slot) => slot.add(rec.status),
                None => self.series_dropped += 1,
            }
        }
        self.origins[match rec.origin {
            Origin::App => 0,
            Origin::Gateway => 1,
            Origin::Unknown => 2,
        }] += 1;
        self.error_marked += u64::from(rec.error_marker.is_some());
    }

    /// Record the durations kept raw by [`EndpointStats::add`] into the histograms.
    pub fn settle(&mut self) {
        let pending = std::mem::take(&mut self.pending_us);
        self.record_pending(&pending);
    }

    fn record_pending(&mut self, pending: &[u64]) {
        for &p in pending {
            let v = p & !(PENDING_2XX | PENDING_500 | PENDING_WHOLE_S);
            let whole = p & PENDING_WHOLE_S != 0;
            self.latency.record(v, whole);
            if p & PENDING_2XX != 0 {
                self.latency_2xx.record(v, whole);
            } else if p & PENDING_500 != 0 {
                self.latency_500.record(v, whole);
            }
        }
    }

    /// Fold `other` into `self`.
    pub fn merge(&mut self, other: EndpointStats) {
        self.settle();
        self.record_pending(&other.pending_us);
        self.count += other.count;
        for (code, n) in other.statuses {
            add_count(&mut self.statuses, code, n);
        }
        for (code, n) in other.gateway_statuses {
            add_count(&mut self.gateway_statuses, code, n);
        }
        self.latency.merge(other.latency);
        self.latency_2xx.merge(other.latency_2xx);
        self.latency_500.merge(other.latency_500);
        for (a, b) in self.sizes_200.iter_mut().zip(other.sizes_200) {
            *a += b;
        }
        self.sizes_200_total += other.sizes_200_total;
        for (a, b) in self.auth_403.iter_mut().zip(other.auth_403) {
            *a += b;
        }
        self.error_bodies.merge(other.error_bodies);
        self.referers_404.merge(other.referers_404);
        self.samples.merge(other.samples);
        self.clients.merge(other.clients);
        self.throttles.merge(other.throttles);
        self.bytes_sum = self.bytes_sum.saturating_add(other.bytes_sum);
        self.bytes_count += other.bytes_count;
        self.bytes_total_count += other.bytes_total_count;
        self.first_ms = min_opt(self.first_ms, other.first_ms);
        self.last_ms = max_opt(self.last_ms, other.last_ms);
        // The coarser width wins (the other's buckets are mapped straight into this one's);
        // within the cap the order does not matter; at the cap, earliest buckets first.
        self.coarsen(other.series_step);
        let factor = step_seconds(self.series_step) / step_seconds(other.series_step);
        // Both in key order: at the cap, the earliest buckets are the ones kept.
        for (m, c) in other.series.0 {
            let m = if factor > 1 { m.div_euclid(factor) } else { m };
            match self.series.slot(m, MAX_RAW_BUCKETS) {
                Some(slot) => slot.merge(&c),
                None => self.series_dropped += c.total(),
            }
        }
        self.series_dropped += other.series_dropped;
        for (a, b) in self.origins.iter_mut().zip(other.origins) {
            *a += b;
        }
        self.error_marked += other.error_marked;
    }

    /// Statuses sorted by code.
    pub fn sorted_statuses(&self) -> Vec<(u16, u64)> {
        let mut v = self.statuses.clone();
        v.sort_unstable();
        v
    }
}

/// Rejected lines of one reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectStats {
    /// Lines rejected for this reason.
    pub count: u64,
    /// The first few, in input order.
    pub samples: Vec<Sample>,
}

/// Line counts of one file (SPEC §2 invariant: `lines = parsed + rejected + skipped`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCounts {
    /// Lines read.
    pub lines: u64,
    /// Lines parsed into records.
    pub parsed: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// Blank lines.
    pub skipped: u64,
    /// Of the parsed lines, those the file's own format rejected and another read, by
    /// [`SWITCH_FORMATS`](crate::format::SWITCH_FORMATS) index: a format changed mid-file.
    #[serde(default)]
    pub switched: [u64; crate::format::SWITCH_FORMATS.len()],
}

impl FileCounts {
    fn merge(&mut self, o: FileCounts) {
        self.lines += o.lines;
        self.parsed += o.parsed;
        self.rejected += o.rejected;
        self.skipped += o.skipped;
        for (a, b) in self.switched.iter_mut().zip(o.switched) {
            *a += b;
        }
    }
}

/// Everything a run learns from its input; see the module docs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Aggregate {
    /// Per (method, route): the key is `METHOD route` (method `-` when unknown).
    #[serde(with = "partial::endpoint_map")]
    pub endpoints: EndpointTable,
    /// Rejected lines by reason.
    pub rejects: BTreeMap<RejectKind, RejectStats>,
    /// Per-file line counts, by file index.
    pub files: BTreeMap<u32, FileCounts>,
    /// Line count of every chunk (file, chunk, lines), to turn [`Pos`] into line numbers.
    pub chunk_lines: Vec<(u32, u32, u32)>,
    /// Where every chunk starts in its file's decoded stream (file, chunk, byte), so a sample
    /// line's text is read back from there (absent from partials written before it was kept:
    /// their lines are found by counting).
    #[serde(default)]
    pub chunk_offsets: Vec<(u32, u32, u64)>,
    /// Parsed lines left out by `--since`/`--until` or `--host`.
    pub out_of_window: u64,
    /// Requests counted under `(other)` because the route table was full (exact).
    pub folded_lines: u64,
    /// Distinct endpoints that had requests counted under `(other)` (exact while few, then an
    /// estimate: see [`Distinct`]).
    pub folded_routes: Distinct,
    /// Most requests of any endpoint shown that were counted under `(other)` instead (before
    /// the endpoint came back into the table): 0 while the table never overflowed.
    pub fold_error: u64,
    /// Per client that got a miss or a throttle (by hash of the logged client), up to
    /// [`MAX_CLIENTS`].
    #[serde(with = "partial::sorted_map")]
    pub clients: FxHashMap<u64, Box<ClientStats>>,
    /// Misses and throttles of clients beyond [`MAX_CLIENTS`], not classified.
    pub clients_untracked: u64,
    /// Per upstream the log names (ALB target group, nginx upstream, Traefik service …), up
    /// to [`MAX_UPSTREAMS`] in input order: its responses of each [`Trouble`] per minute
    /// (epoch minutes, at most [`MAX_UPSTREAM_MINUTES`] each), to tell which upstream a burst
    /// was on.
    #[serde(default)]
    pub upstreams: BTreeMap<String, BTreeMap<i64, UpstreamMinute>>,
    /// Earliest and latest time (ms) of the requests counted: the span the time series fit.
    pub time_range: Option<(i64, i64)>,
    /// The step ([`step_seconds`]) the rows' series are kept at: the finest at which the
    /// requests' buckets cover at most [`SERIES_BUCKETS`] ([`fit_step`]).
    pub series_step: u8,
    /// The buckets (at `series_step`) that requests fell in, as absorbed.
    #[serde(skip)]
    occupied: BTreeSet<i64>,
    /// Parent positions and their children, for `{param}` collapse while absorbing.
    #[serde(skip)]
    collapser: Collapser,
    /// Which capped endpoints stay in the table.
    #[serde(skip)]
    heavy: Heavy,
    /// Endpoints seen once so far: in a chunk's aggregate, rows with one request; in the total,
    /// capped rows with one request (most scanner junk), kept small until they get a second or
    /// [`Aggregate::settle_rows`] makes them statistics.
    #[serde(skip)]
    singles: FxHashMap<EndpointKey, OneHit>,
    /// New rows of the aggregate being absorbed (empty between absorbs).
    #[serde(skip)]
    batch: Batch,
}

/// A row coming into the total: a chunk's statistics, or the one request of a row seen once.
#[derive(Clone, Debug)]
enum Incoming {
    Stats(Box<EndpointStats>),
    One(OneHit),
}

impl Incoming {
    fn count(&self) -> u64 {
        match self {
            Incoming::Stats(s) => s.count,
            Incoming::One(_) => 1,
        }
    }

    fn into_stats(self) -> Box<EndpointStats> {
        match self {
            Incoming::Stats(s) => s,
            Incoming::One(o) => o.stats(),
        }
    }

    /// Fold `other` into this row (a row seen once becomes statistics).
    fn add(&mut self, other: Incoming) {
        if let Incoming::One(one) = self {
            *self = Incoming::Stats(one.stats());
        }
        if let Incoming::Stats(s) = self {
            other.merge_into(s);
        }
    }

    fn merge_into(self, into: &mut EndpointStats) {
        match self {
            Incoming::Stats(s) => into.merge(*s),
            Incoming::One(o) => into.add(&o.hit()),
        }
    }
}

/// New capped rows of one absorbed aggregate, by (mapped) key, with their Misra–Gries weight:
/// they enter the table together ([`Aggregate::admit`]).
type Batch = FxHashMap<EndpointKey, (Incoming, u64)>;

/// The endpoint table: key → statistics (boxed: rows move when the table grows or re-keys, and
/// a pointer moves faster than the statistics).
pub type EndpointTable = FxHashMap<EndpointKey, Box<EndpointStats>>;

/// The method of requests whose method token is not a registered HTTP method.
pub const INVALID_METHOD: &[u8] = b"(invalid method)";
/// The key bytes of the endpoint that collects what the route cap folds (`* (other)`).
const OTHER_BYTES: &[u8] = b"* (other)";

/// An endpoint: method and route. Held as one string (`METHOD route`, then the host after a
/// NUL when the log names one) so that the per-line lookup borrows the worker's scratch bytes
/// instead of allocating a key; read it through [`EndpointKey::method`] and
/// [`EndpointKey::route`]. Where the route and the host start is found once, when the key is
/// made: the reducer reads a key's parts several times per chunk, for every new endpoint of a
/// log of scanner junk.
#[derive(Clone)]
pub struct EndpointKey {
    text: KeyText,
    /// Where the route starts (after the method and its space).
    route_at: u32,
    /// Where the route ends: the host separator, or the end.
    route_end: u32,
}

/// Longest key held inside the key itself: most endpoints' (`GET /api/v1/users/{id}`, a
/// scanner's `GET /wp-login.php`).
const INLINE_KEY: usize = 38;

/// A key's bytes (always UTF-8). Short ones are held in the key, so in the table's entry: on
/// a log of scanner junk the reducer takes tens of thousands of new keys per chunk from the
/// workers, and a key of its own allocation had it wait on memory the worker wrote twice per
/// key (reading its text, then dropping it), on a third of its time. Longer ones are shared:
/// the table and the heavy-hitter bookkeeping hold the same bytes, and a clone copies a pointer.
#[derive(Clone)]
enum KeyText {
    Inline(u8, [u8; INLINE_KEY]),
    Shared(std::sync::Arc<str>),
}

impl KeyText {
    fn as_bytes(&self) -> &[u8] {
        match self {
            KeyText::Inline(n, b) => &b[..usize::from(*n)],
            KeyText::Shared(s) => s.as_bytes(),
        }
    }
}

/// `b` as text: a part of a key cut at ASCII bytes, which is UTF-8 as the key is.
fn utf8(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or_default()
}

/// Ordered, compared and hashed as its bytes (the route's and host's offsets follow from them).
impl PartialEq for EndpointKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for EndpointKey {}

impl PartialOrd for EndpointKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for EndpointKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl std::fmt::Debug for EndpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "EndpointKey({:?})",
            String::from_utf8_lossy(self.as_bytes())
        )
    }
}

/// Hashed as its bytes, as the scratch bytes it is looked up by are.
impl std::hash::Hash for EndpointKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl std::borrow::Borrow<[u8]> for EndpointKey {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl EndpointKey {
    /// The key of `method` on `route`.
    pub fn new(method: &[u8], route: &str) -> EndpointKey {
        EndpointKey::of(method, route, None)
    }

    /// The key of `method` on `route` of `host` (already as keys hold it).
    fn of(method: &[u8], route: &str, host: Option<&str>) -> EndpointKey {
        let mut k = Vec::with_capacity(method.len() + 2 + route.len() + host.map_or(0, str::len));
        k.extend_from_slice(method);
        k.push(b' ');
        k.extend_from_slice(route.as_bytes());
        if let Some(h) = host {
            k.push(HOST_SEP);
            k.extend_from_slice(h.as_bytes());
        }
        EndpointKey::from_bytes(&k)
    }

    /// The key of what the route cap folds: `* (other)`.
    pub fn other() -> EndpointKey {
        EndpointKey::from_bytes(OTHER_BYTES)
    }

    /// Whether this is the `(other)` key.
    pub fn is_other(&self) -> bool {
        self.as_bytes() == OTHER_BYTES
    }

    /// The key held in `bytes` (`METHOD route`, as the scratch key is built; bytes that are not
    /// UTF-8, which only a hostile partial aggregate holds, are replaced).
    pub fn from_bytes(bytes: &[u8]) -> EndpointKey {
        let valid = String::from_utf8_lossy(bytes);
        let key = valid.as_bytes();
        // Methods hold no space; `(invalid method)` does, and comes first.
        let at = if key.starts_with(INVALID_METHOD) {
            INVALID_METHOD.len()
        } else {
            key.iter().position(|&b| b == b' ').unwrap_or(key.len())
        };
        let route_at = (at + 1).min(key.len());
        // A short search: a plain loop, not memchr's setup.
        let route_end = key[route_at..]
            .iter()
            .position(|&b| b == HOST_SEP)
            .map_or(key.len(), |i| route_at + i);
        // Keys are built from one line's fields, which are far shorter than 4 GiB.
        let offset = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        let text = match u8::try_from(key.len()) {
            Ok(n) if key.len() <= INLINE_KEY => {
                let mut b = [0; INLINE_KEY];
                b[..key.len()].copy_from_slice(key);
                KeyText::Inline(n, b)
            }
            _ => KeyText::Shared(std::sync::Arc::from(&*valid)),
        };
        EndpointKey {
            route_at: offset(route_at),
            route_end: offset(route_end),
            text,
        }
    }

    /// The bytes, as they are hashed and ordered.
    pub fn as_bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    fn split(&self) -> (&[u8], &str, Option<&str>) {
        let (at, end) = (self.route_at as usize, self.route_end as usize);
        let bytes = self.as_bytes();
        // The method ends at the space before the route, or with the key when it has none.
        let method = match at.checked_sub(1) {
            Some(space) if bytes[space] == b' ' => &bytes[..space],
            _ => &bytes[..at],
        };
        // The key is UTF-8 and the route and host are cut at ASCII bytes: both are UTF-8.
        (
            method,
            utf8(&bytes[at..end]),
            bytes.get(end + 1..).map(utf8),
        )
    }

    /// The method token (`-` when the line held no request, `(invalid method)` when its token
    /// is not a registered method).
    pub fn method(&self) -> &[u8] {
        self.split().0
    }

    /// The method as text.
    pub fn method_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.method())
    }

    /// The route template.
    pub fn route(&self) -> &str {
        self.split().1
    }

    /// The host the requests were for (lowercase, without port), when the log names it.
    pub fn host(&self) -> Option<&str> {
        self.split().2
    }

    /// The same method and host on `route`.
    pub fn with_route(&self, route: &str) -> EndpointKey {
        let (method, _, host) = self.split();
        EndpointKey::of(method, route, host)
    }
}

/// `--host`: the hosts whose requests are counted (globs, case-insensitive, matched against
/// the host without its port).
#[derive(Clone, Debug)]
pub struct HostFilter {
    set: globset::GlobSet,
}

impl HostFilter {
    /// The filter of `patterns`; `None` when there are none.
    pub fn new(patterns: &[String]) -> Result<Option<HostFilter>, String> {
        if patterns.is_empty() {
            return Ok(None);
        }
        let mut b = globset::GlobSetBuilder::new();
        for p in patterns {
            let g = globset::GlobBuilder::new(p)
                .case_insensitive(true)
                .literal_separator(false)
                .build()
                .map_err(|e| format!("--host {p}: {e}"))?;
            b.add(g);
        }
        let set = b.build().map_err(|e| format!("--host: {e}"))?;
        Ok(Some(HostFilter { set }))
    }

    /// Whether a request for `host` (as logged; `None` when the line names none) is counted.
    pub fn matches(&self, host: Option<&[u8]>) -> bool {
        let Some(h) = host.filter(|h| !h.is_empty()) else {
            return false;
        };
        // Per line: no allocation for an ordinary host name.
        let end = host_end(h);
        let mut buf = [0u8; 256];
        if end <= buf.len() {
            for (d, &b) in buf.iter_mut().zip(&h[..end]) {
                *d = host_byte(b);
            }
            if let Ok(s) = std::str::from_utf8(&buf[..end]) {
                return self.set.is_match(s);
            }
        }
        let mut k = Vec::with_capacity(h.len());
        push_host(h, &mut k);
        self.set.is_match(&*String::from_utf8_lossy(&k))
    }
}

/// `host` and `route` as one label (`api.example.com/v1/users`): how the text, Markdown and
/// HTML reports name an endpoint when they show hosts.
pub fn host_route(host: Option<&str>, route: &str) -> String {
    match host {
        Some(h) if route.starts_with('/') => format!("{h}{route}"),
        Some(h) => format!("{h} {route}"),
        None => route.to_string(),
    }
}

/// The responses the incident rules follow in time per upstream; the index of each in an
/// [`UpstreamMinute`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trouble {
    /// 5xx other than 500: a gateway's 502/503/504 and their vendor cousins.
    Gateway = 0,
    /// 429.
    Throttled = 1,
    /// Closed by the client before the response (499, 460) or logged without a status.
    Aborted = 2,
    /// A plain 500: the application's own failure.
    Error500 = 3,
}

impl Trouble {
    /// The trouble a response with `status` is, if any.
    #[inline]
    pub fn of(status: Option<u16>) -> Option<Trouble> {
        match status {
            Some(500) => Some(Trouble::Error500),
            Some(501..=599) => Some(Trouble::Gateway),
            Some(429) => Some(Trouble::Throttled),
            Some(c) if crate::codes::is_client_closed(c) => Some(Trouble::Aborted),
            None => Some(Trouble::Aborted),
            Some(_) => None,
        }
    }

    /// The trouble of a status as endpoints count it (0: none logged).
    pub fn of_code(code: u16) -> Option<Trouble> {
        Trouble::of((code != 0).then_some(code))
    }

    /// Its responses in `minute`.
    pub fn in_minute(self, minute: &UpstreamMinute) -> u32 {
        minute[self as usize]
    }

    /// Its responses in an endpoint's time bucket.
    pub fn in_bucket(self, c: &MinuteCounts) -> u64 {
        match self {
            Trouble::Gateway => u64::from(c.get(Counter::Class(5)))
                .saturating_sub(u64::from(c.get(Counter::Status500))),
            Trouble::Throttled => u64::from(c.get(Counter::Status429)),
            Trouble::Aborted => {
                u64::from(c.get(Counter::Class(0))) + u64::from(c.get(Counter::ClientClosed))
            }
            Trouble::Error500 => u64::from(c.get(Counter::Status500)),
        }
    }
}

/// One minute of one upstream: its responses of each [`Trouble`], by index.
pub type UpstreamMinute = [u32; 4];

/// Most upstreams whose troubles are followed (the first ones in input order).
pub const MAX_UPSTREAMS: usize = 256;
/// Most minutes with troubles kept per upstream (the first ones seen, in input order).
pub const MAX_UPSTREAM_MINUTES: usize = 50_000;

/// The name an upstream goes by: an ALB target group's name out of its ARN
/// (`arn:…:targetgroup/cart-api-prod/73e2…` → `cart-api-prod`), anything else as logged.
pub fn upstream_name(u: &[u8]) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    fn short(u: &str) -> &str {
        match u.split_once(":targetgroup/") {
            Some((_, rest)) => rest.split('/').next().unwrap_or(rest),
            None => u,
        }
    }
    // Borrowed when the bytes are UTF-8: no copy per line.
    match String::from_utf8_lossy(u) {
        Cow::Borrowed(s) => Cow::Borrowed(short(s)),
        Cow::Owned(s) => Cow::Owned(short(&s).to_string()),
    }
}

/// Add the responses `n` at `minute` to an upstream's minutes, within the bound.
fn add_minutes(minutes: &mut BTreeMap<i64, UpstreamMinute>, minute: i64, n: UpstreamMinute) {
    if minutes.len() < MAX_UPSTREAM_MINUTES || minutes.contains_key(&minute) {
        let c = minutes.entry(minute).or_default();
        for (a, b) in c.iter_mut().zip(n) {
            *a = a.saturating_add(b);
        }
    }
}

/// Separates the route from the host in a key's bytes. Neither holds it: NUL bytes of a route
/// or a host become `?` when the key is built.
const HOST_SEP: u8 = 0;

/// Append `host` as keys hold it: ASCII lowercase, without a port (`Example.com:443` →
/// `example.com`, `[::1]:8080` → `[::1]`), NUL as `?`.
pub fn push_host(host: &[u8], key: &mut Vec<u8>) {
    let end = host_end(host);
    key.extend(host[..end].iter().map(|&b| host_byte(b)));
}

/// A byte of a host as keys hold it: ASCII lowercase, NUL as `?`.
fn host_byte(b: u8) -> u8 {
    if b == 0 {
        b'?'
    } else {
        b.to_ascii_lowercase()
    }
}

/// Where a host's name ends: before a `:port` (after `]` for an IPv6 literal).
fn host_end(host: &[u8]) -> usize {
    match memchr::memrchr(b':', host) {
        Some(i)
            if i + 1 < host.len()
                && host[i + 1..].iter().all(u8::is_ascii_digit)
                && (host.starts_with(b"[") == host[..i].ends_with(b"]")) =>
        {
            i
        }
        _ => host.len(),
    }
}

/// Make `key` valid UTF-8: a raw path's bytes that are not (Latin-1 or broken escapes) become
/// U+FFFD, so every route can be shown, matched and templated as text. ASCII, the common case,
/// is one fast check.
#[inline]
pub fn valid_utf8(key: &mut Vec<u8>) {
    if !key.is_ascii() {
        if let std::borrow::Cow::Owned(s) = String::from_utf8_lossy(key) {
            *key = s.into_bytes();
        }
    }
}

/// Whether the record's request asks the server to act as a proxy
/// ([`signals::is_proxy_request`]).
fn is_proxy_request(rec: &Record<'_>) -> bool {
    rec.method
        .zip(rec.path)
        .is_some_and(|(m, p)| signals::is_proxy_request(m, p))
}

/// Hash of a client or endpoint key (stable within a build; used only inside one run).
#[inline]
pub fn key_hash(bytes: &[u8]) -> u64 {
    FxBuildHasher.hash_one(bytes)
}

/// Per-worker scratch space so the hot path does not allocate.
#[derive(Debug, Default)]
pub struct Scratch {
    key: Vec<u8>,
}

/// What [`Aggregate::add`] needs besides the record.
#[derive(Debug)]
pub struct AddContext<'n> {
    /// Route normaliser.
    pub routes: &'n Normalizer,
    /// Most distinct endpoints kept.
    pub route_cap: usize,
    /// Keep only records with a time in [since, until) (ms); records without a time are left out
    /// when a window is set.
    pub window: Option<(i64, i64)>,
    /// Keep only records for these hosts (`--host`).
    pub hosts: Option<&'n HostFilter>,
    /// The clients of the total's client table once it is full: it never changes again, so a
    /// worker that sees it counts any other client's misses and throttles as untracked on the
    /// spot — exactly what absorbing its statistics would do — instead of building statistics
    /// the total drops.
    pub frozen_clients: std::sync::OnceLock<rustc_hash::FxHashSet<u64>>,
    /// The total's series step as last absorbed. It only widens, so a worker can widen its
    /// chunk's rows to it before handing them over (see [`Aggregate::widen_rows`]).
    pub series_step: std::sync::atomic::AtomicU8,
}

impl<'n> AddContext<'n> {
    /// The context of a run with `routes`, `route_cap` and `window`.
    pub fn new(routes: &'n Normalizer, route_cap: usize, window: Option<(i64, i64)>) -> Self {
        AddContext {
            routes,
            route_cap,
            window,
            hosts: None,
            frozen_clients: std::sync::OnceLock::new(),
            series_step: std::sync::atomic::AtomicU8::new(0),
        }
    }
}

impl Aggregate {
    /// Count a parsed record. Returns false when the time window left it out.
    #[inline]
    pub fn add(
        &mut self,
        rec: &Record<'_>,
        pos: Pos,
        ctx: &AddContext<'_>,
        scratch: &mut Scratch,
    ) -> bool {
        if let Some((since, until)) = ctx.window {
            match rec.time_ms {
                Some(t) if t >= since && t < until => {}
                _ => {
                    self.out_of_window += 1;
                    return false;
                }
            }
        }
        if ctx.hosts.is_some_and(|f| !f.matches(rec.host)) {
            self.out_of_window += 1;
            return false;
        }
        if let Some(t) = rec.time_ms {
            self.time_range = Some(match self.time_range {
                Some((lo, hi)) => (lo.min(t), hi.max(t)),
                None => (t, t),
            });
        }
        let key = &mut scratch.key;
        key.clear();
        let method = match (rec.method, rec.path) {
            (Some(m), Some(_)) if route::is_registered_method(m) => m,
            (Some(_), Some(_)) => INVALID_METHOD,
            _ => b"-",
        };
        key.extend_from_slice(method);
        key.push(b' ');
        let route_at = key.len();
        // Rare (hostile lines): a NUL would read as the host separator. Only a route with
        // bytes outside the usual path characters can hold one.
        if ctx.routes.record_route(rec, key) {
            for b in &mut key[route_at..] {
                if *b == HOST_SEP {
                    *b = b'?';
                }
            }
        }
        if let Some(h) = rec.host.filter(|h| !h.is_empty()) {
            key.push(HOST_SEP);
            push_host(h, key);
        }
        valid_utf8(key);
        let client = rec.client.map(key_hash);
        if let (Some(h), Some(status)) = (client, rec.status) {
            // Only misses and throttles touch the client table: a lookup per line would cost a
            // cache miss per line on logs with many clients.
            if signals::is_miss(status)
                || matches!(status, 429 | 503)
                // Proxy requests (probes, or a client writing absolute URLs): an origin-form
                // path, nearly every line, is told by its first byte before anything else.
                || rec.path.is_some_and(|p| p.first() != Some(&b'/')) && is_proxy_request(rec)
            {
                self.add_client(h, rec, status, key, pos, ctx);
            }
        }
        if let (Some(u), Some(trouble), Some(t)) =
            (rec.upstream, Trouble::of(rec.status), rec.time_ms)
        {
            // A chunk bounds its own map; `absorb` applies the cap. The name is copied only the
            // first time the chunk sees the upstream.
            let name = upstream_name(u);
            let minutes = match self.upstreams.get_mut(&*name) {
                Some(m) => m,
                None => self.upstreams.entry(name.into_owned()).or_default(),
            };
            let mut one = UpstreamMinute::default();
            one[trouble as usize] = 1;
            add_minutes(minutes, t.div_euclid(60_000), one);
        }
        let hit = Hit::of(rec, pos, client);
        if let Some(s) = self.endpoints.get_mut(key.as_slice()) {
            s.add(&hit);
            return true;
        }
        // No cap here: a chunk's aggregate is bounded by the chunk; `absorb` applies the cap.
        // A row's first request stays a small `OneHit`; the second makes it statistics.
        match self.singles.remove(key.as_slice()) {
            Some(one) => {
                let mut s = one.stats();
                s.add(&hit);
                self.endpoints.insert(EndpointKey::from_bytes(key), s);
            }
            None => {
                // A chunk with a thousand one-off rows is a chunk of junk, where nearly every
                // line is one: grow the table once to the size a chunk of such lines needs
                // instead of doubling it (and moving its rows) four more times. Set by the
                // insertions alone, so the table's order stays a function of the chunk.
                if self.singles.len() == SINGLES_BEFORE_RESERVE {
                    self.singles.reserve(SINGLES_RESERVE);
                }
                self.singles
                    .insert(EndpointKey::from_bytes(key), OneHit::new(&hit));
            }
        }
        true
    }

    #[inline]
    fn add_client(
        &mut self,
        h: u64,
        rec: &Record<'_>,
        status: u16,
        endpoint: &[u8],
        pos: Pos,
        ctx: &AddContext<'_>,
    ) {
        if let Some(frozen) = ctx.frozen_clients.get() {
            if !frozen.contains(&h) {
                self.clients_untracked += 1;
                return;
            }
        }
        // No cap here: a chunk bounds its own table; `absorb` applies the cap. A chunk that
        // sees one client with misses usually sees hundreds: start the table at that size
        // instead of doubling it (and moving its entries) eight times.
        if self.clients.capacity() == 0 {
            self.clients.reserve(512);
        }
        let c = self.clients.entry(h).or_insert_with(|| {
            Box::new(ClientStats {
                name: rec.client.unwrap_or_default().into(),
                ..ClientStats::default()
            })
        });
        if signals::is_miss(status) {
            c.misses += 1;
            c.missed_endpoints.insert(key_hash(endpoint));
            c.proxy_probes += u64::from(is_proxy_request(rec));
        } else if !matches!(status, 429 | 503) {
            // A proxy request answered (the site's own client writing absolute URLs).
            c.proxy_served += 1;
        } else {
            c.throttled += 1;
            if status == 503 {
                c.add_unavailable(key_hash(endpoint), rec.time_ms, pos);
            } else {
                c.add_limited(rec.time_ms);
            }
        }
    }

    /// Count a rejected line.
    pub fn reject(&mut self, kind: RejectKind, pos: Pos, line: &[u8]) {
        let r = self.rejects.entry(kind).or_default();
        r.count += 1;
        if r.samples.len() < MAX_SAMPLES {
            r.samples.push(Sample {
                pos,
                snippet: line[..line.len().min(SNIPPET_BYTES)].to_vec(),
            });
        }
    }

    /// Add the line counts of one chunk of file `file`, which starts at byte `start` of the
    /// file's decoded stream.
    pub fn count_chunk(&mut self, file: u32, chunk: u32, counts: FileCounts, start: u64) {
        self.files.entry(file).or_default().merge(counts);
        self.chunk_lines
            .push((file, chunk, counts.lines.min(u64::from(u32::MAX)) as u32));
        self.chunk_offsets.push((file, chunk, start));
    }

    /// Fold `other` (a chunk's aggregate, or a whole run's from a partial) into `self`, applying
    /// the bounds: `{param}` collapse, the heavy-hitter route cap, the client cap. Call it in
    /// input order: the result is then a function of the input alone.
    pub fn absorb(&mut self, other: Aggregate, ctx: &AddContext<'_>) {
        // The series width follows the buckets seen so far (it only ever widens, and widening
        // composes, so the final width and buckets depend on the whole input alone).
        self.time_range = signals::widen(self.time_range, other.time_range);
        self.widen_series(&other);
        // The iteration order of a chunk's table is a function of the chunk (a fixed hasher
        // and the same insertions into a fresh table), so it needs no sort.
        // Rows are widened to the run's step as they enter the table (a merge maps the
        // buckets into the row's own step).
        // The batch's table is kept between absorbs: a chunk of new routes does not regrow it.
        let mut batch = std::mem::take(&mut self.batch);
        batch.reserve(other.endpoints.len() + other.singles.len());
        for (k, v) in other.endpoints {
            self.absorb_endpoint(k, Incoming::Stats(v), ctx, &mut batch);
        }
        for (k, v) in other.singles {
            self.absorb_endpoint(k, Incoming::One(v), ctx, &mut batch);
        }
        self.admit(&mut batch, ctx.route_cap);
        self.batch = batch;
        for (k, v) in other.rejects {
            let r = self.rejects.entry(k).or_default();
            r.count += v.count;
            r.samples.extend(v.samples);
            r.samples.sort_by_key(|s| s.pos);
            r.samples.truncate(MAX_SAMPLES);
        }
        for (k, v) in other.files {
            self.files.entry(k).or_default().merge(v);
        }
        self.chunk_lines.extend(other.chunk_lines);
        self.chunk_offsets.extend(other.chunk_offsets);
        self.out_of_window += other.out_of_window;
        self.folded_lines += other.folded_lines;
        self.folded_routes.merge(&other.folded_routes);
        self.fold_error += other.fold_error;
        self.clients_untracked += other.clients_untracked;
        for (h, c) in other.clients {
            let full = self.clients.len() >= MAX_CLIENTS;
            match self.clients.entry(h) {
                std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().merge(*c),
                std::collections::hash_map::Entry::Vacant(_) if full => {
                    self.clients_untracked += c.misses + c.throttled;
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(c);
                }
            }
        }
        for (u, minutes) in other.upstreams {
            if !self.upstreams.contains_key(&u) && self.upstreams.len() >= MAX_UPSTREAMS {
                continue;
            }
            let into = self.upstreams.entry(u).or_default();
            for (m, n) in minutes {
                add_minutes(into, m, n);
            }
        }
        if self.clients.len() >= MAX_CLIENTS && ctx.frozen_clients.get().is_none() {
            let _ = ctx
                .frozen_clients
                .set(self.clients.keys().copied().collect());
        }
    }

    fn absorb_endpoint(
        &mut self,
        key: EndpointKey,
        row: Incoming,
        ctx: &AddContext<'_>,
        batch: &mut Batch,
    ) {
        let step = self.series_step;
        let at_step = || Box::new(EndpointStats::at_step(step));
        if key.is_other() {
            row.merge_into(self.endpoints.entry(key).or_insert_with(at_step));
            return;
        }
        if ctx.routes.has_templates()
            && route::is_standard_method(key.method())
            && ctx.routes.is_template(key.route())
        {
            // Declared endpoints are bounded by the declaration: outside the cap.
            row.merge_into(self.endpoints.entry(key).or_insert_with(at_step));
            return;
        }
        let w = row.count().max(1);
        // A row already in the table maps to itself: had a position above it gone wide since,
        // the row would have been re-keyed away. Its segments were recorded when it came in.
        if let Some(row) = self.merge_kept(&key, row, w) {
            self.enter(key, row, w, ctx, batch, true);
        }
    }

    /// Merge `row` into the table's row of `key` with Misra–Gries weight `w`, when the table
    /// keeps that key; else hand the row back.
    fn merge_kept(&mut self, key: &EndpointKey, row: Incoming, w: u64) -> Option<Incoming> {
        if !self.heavy.bump(key.as_bytes(), w) {
            return Some(row);
        }
        if let Some(s) = self.row_mut(key) {
            row.merge_into(s);
        }
        None
    }

    /// Add the buckets of `other`'s requests to the occupied ones and widen every row's series
    /// to the step they call for ([`fit_step`]).
    fn widen_series(&mut self, other: &Aggregate) {
        let mut step = self.series_step.max(other.series_step);
        renumber(&mut self.occupied, self.series_step, step);
        other.add_buckets(&mut self.occupied, step);
        step = fit_step(&mut self.occupied, step);
        if step > self.series_step {
            self.widen_rows(step);
            self.series_step = step;
        }
    }

    /// Widen every row's series to `step` (at most the step of the total this aggregate will
    /// be absorbed into, which only widens): the total's merge then maps a handful of buckets
    /// per row instead of one per second, on the reducer's one thread, and its result is the
    /// same — widening composes, and a row carries its own step.
    pub fn widen_rows(&mut self, step: u8) {
        for e in self.endpoints.values_mut() {
            e.coarsen(step);
        }
    }

    /// Sort every row's durations not yet in a histogram, on the worker that parsed the chunk.
    /// The reducer records them into the total's histograms, a few MB for a few dozen rows,
    /// where a value in random order is a cache miss per count: in value order neighbouring
    /// counts share cache lines and the prefetcher runs ahead. The counts are the same in any
    /// order.
    pub fn sort_pending(&mut self) {
        for e in self.endpoints.values_mut() {
            e.pending_us.sort_unstable();
        }
    }

    /// Add the buckets (numbered at `step`) of this aggregate's requests to `keys`: its rows'
    /// buckets and its one-request rows' times.
    fn add_buckets(&self, keys: &mut BTreeSet<i64>, step: u8) {
        let w = step_seconds(step);
        let secs = self
            .endpoints
            .values()
            .flat_map(|e| {
                let we = step_seconds(e.series_step);
                e.series.iter().map(move |(k, _)| k.saturating_mul(we))
            })
            .chain(
                self.singles
                    .values()
                    .filter_map(|o| o.time_ms().map(|t| t.div_euclid(1000))),
            );
        let range = self.time_range.map(|(lo, hi)| {
            (
                lo.div_euclid(1000).div_euclid(w),
                hi.div_euclid(1000).div_euclid(w),
            )
        });
        insert_distinct(keys, secs.map(|s| s.div_euclid(w)), range);
    }

    /// The statistics of a capped row of the table, a one-request row made statistics first.
    fn row_mut(&mut self, key: &EndpointKey) -> Option<&mut EndpointStats> {
        if let Some(one) = self.singles.remove(key) {
            let mut s = one.stats();
            s.coarsen(self.series_step);
            self.endpoints.insert(key.clone(), s);
        }
        self.endpoints.get_mut(key).map(|b| &mut **b)
    }

    /// Take a row out of the table, as it is held.
    fn take_row(&mut self, key: &[u8]) -> Option<Incoming> {
        match self.endpoints.remove(key) {
            Some(s) => Some(Incoming::Stats(s)),
            None => self.singles.remove(key).map(Incoming::One),
        }
    }

    /// Make the table complete and exact before it is read (a partial written, the aggregate
    /// finished): one-request rows become statistics, and durations still kept raw go into
    /// the histograms.
    pub fn settle_rows(&mut self) {
        for (k, one) in std::mem::take(&mut self.singles) {
            self.endpoints.insert(k, one.stats());
        }
        // The step from the rows' own buckets too: an aggregate fed line by line (not
        // absorbed) has no record of them.
        let mut keys = std::mem::take(&mut self.occupied);
        self.add_buckets(&mut keys, self.series_step);
        self.series_step = fit_step(&mut keys, self.series_step);
        self.occupied = keys;
        for e in self.endpoints.values_mut() {
            e.settle();
            e.coarsen(self.series_step);
        }
    }

    /// Map a capped endpoint's route through the collapse, re-key what a position that went
    /// wide holds, then merge it into its row of the table or into the batch of new rows.
    /// `absent`: the caller found no row of the table under `key`.
    fn enter(
        &mut self,
        key: EndpointKey,
        row: Incoming,
        w: u64,
        ctx: &AddContext<'_>,
        batch: &mut Batch,
        absent: bool,
    ) {
        let mapped = self.collapser.map(key.route());
        // Unless mapping changes the key or re-keys rows, a key known absent from the table
        // stays absent.
        let absent = absent && mapped.route.is_none() && mapped.widened.is_empty();
        let key = match &mapped.route {
            Some(route) if route != key.route() => key.with_route(route),
            _ => key,
        };
        for parent in mapped.widened {
            self.rekey_under(&parent, ctx, batch);
        }
        let row = if absent {
            row
        } else {
            match self.merge_kept(&key, row, w) {
                Some(row) => row,
                None => return,
            }
        };
        match batch.entry(key) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                let (held, held_w) = e.get_mut();
                held.add(row);
                *held_w += w;
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert((row, w));
            }
        }
    }

    /// A parent position went wide: re-key the routes under it — the table's and the batch's —
    /// to `{param}`.
    fn rekey_under(&mut self, parent: &str, ctx: &AddContext<'_>, batch: &mut Batch) {
        let under = |k: &EndpointKey| {
            table::rekey(k.route(), parent).map(|r| (k.clone(), k.with_route(&r)))
        };
        // (old key, re-keyed), sorted: the order they are entered in is a function of the keys.
        let mut moved: Vec<(EndpointKey, EndpointKey)> =
            self.heavy.keys().filter_map(under).collect();
        moved.sort_unstable();
        let mut moved_batch: Vec<(EndpointKey, EndpointKey)> =
            batch.keys().filter_map(under).collect();
        moved_batch.sort_unstable();
        for (old, new) in moved {
            let w = self.heavy.remove(old.as_bytes()).unwrap_or(1).max(1);
            let Some(row) = self.take_row(old.as_bytes()) else {
                continue;
            };
            // Deeper positions of the re-keyed route are now children of the collapsed prefix.
            self.enter(new, row, w, ctx, batch, false);
        }
        for (old, new) in moved_batch {
            if let Some((row, w)) = batch.remove(&old) {
                self.enter(new, row, w, ctx, batch, false);
            }
        }
    }

    /// Take the batch of new rows into the table: when table and batch hold more than
    /// `route_cap - 1` capped endpoints, the Misra–Gries merge ([`Heavy::make_room`]) decides
    /// which stay; the others go to `(other)`. With `(other)`, the report then has at most
    /// `route_cap` rows besides declared ones.
    fn admit(&mut self, batch: &mut Batch, route_cap: usize) {
        if batch.is_empty() {
            return;
        }
        let capacity = route_cap.saturating_sub(1).max(1);
        let weights: Vec<u64> = batch.values().map(|(_, w)| *w).collect();
        let (t, evicted) = self.heavy.make_room(&weights, capacity);
        self.fold_error += t;
        for k in evicted {
            if let Some(row) = self.take_row(k.as_bytes()) {
                self.fold(k.as_bytes(), row);
            }
        }
        for (key, (row, w)) in batch.drain() {
            if w <= t {
                self.fold(key.as_bytes(), row);
                continue;
            }
            self.heavy.insert(key.clone(), w - t);
            match row {
                // Scanner junk mostly stays at one request: keep it small until it does not.
                Incoming::One(one) => {
                    self.singles.insert(key, one);
                }
                Incoming::Stats(mut stats) => {
                    stats.settle();
                    stats.coarsen(self.series_step);
                    self.endpoints.insert(key, stats);
                }
            }
        }
    }

    /// Count an endpoint's requests under `(other)`.
    fn fold(&mut self, key: &[u8], row: Incoming) {
        self.folded_lines += row.count();
        self.folded_routes.insert(key_hash(key));
        match self.endpoints.get_mut(OTHER_BYTES) {
            Some(o) => row.merge_into(o),
            None => {
                let mut stats = row.into_stats();
                stats.coarsen(self.series_step);
                self.endpoints.insert(EndpointKey::other(), stats);
            }
        }
    }

    /// Last steps: a collapse pass over the table (positions whose children came from several
    /// absorbed runs), then the fold of the capped endpoints beyond `route_cap - 1` (least
    /// requested first, ties by key) into `(other)`. Declared endpoints stay.
    pub fn finish(&mut self, routes: &Normalizer, route_cap: usize) {
        self.settle_rows();
        let declared = |k: &EndpointKey| {
            route::is_standard_method(k.method()) && routes.is_template(k.route())
        };
        let mut distinct: Vec<&str> = self
            .endpoints
            .keys()
            .filter(|k| !k.is_other())
            .map(EndpointKey::route)
            .collect();
        distinct.sort_unstable();
        distinct.dedup();
        let rewrites = route::collapse(&distinct, route::COLLAPSE_THRESHOLD, &|r| {
            routes.is_template(r)
        });
        if !rewrites.is_empty() {
            let rewrites: FxHashMap<String, String> = rewrites
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            let mut entries: Vec<(EndpointKey, Box<EndpointStats>)> =
                std::mem::take(&mut self.endpoints).into_iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            for (k, v) in entries {
                let key = match rewrites.get(k.route()) {
                    Some(new) if !declared(&k) => k.with_route(new),
                    _ => k,
                };
                self.endpoints.entry(key).or_default().merge(*v);
            }
        }
        let mut entries: Vec<(EndpointKey, Box<EndpointStats>)> = Vec::new();
        for (k, v) in std::mem::take(&mut self.endpoints) {
            if declared(&k) || k.is_other() {
                self.endpoints.insert(k, v);
            } else {
                entries.push((k, v));
            }
        }
        entries.sort_unstable_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
        let keep = if self.endpoints.contains_key(OTHER_BYTES) || entries.len() > route_cap {
            route_cap.saturating_sub(1)
        } else {
            route_cap
        };
        for (i, (k, v)) in entries.into_iter().enumerate() {
            if i < keep {
                self.endpoints.insert(k, v);
            } else {
                self.fold(k.as_bytes(), Incoming::Stats(v));
            }
        }
        self.heavy = Heavy::default();
        self.collapser = Collapser::default();
    }

    /// Whether the endpoints name more than one host (rows without a host count as one more
    /// when others have one; `(other)` does not count): then reports show hosts.
    pub fn names_several_hosts(&self) -> bool {
        let mut first: Option<Option<&str>> = None;
        self.endpoints
            .keys()
            .filter(|k| !k.is_other())
            .any(|k| *first.get_or_insert(k.host()) != k.host())
    }

    /// Turn a [`Pos`] into a 1-based line number within its file.
    pub fn line_number(&self, starts: &FxHashMap<(u32, u32), u64>, pos: Pos) -> u64 {
        starts.get(&(pos.file, pos.chunk)).copied().unwrap_or(0) + u64::from(pos.line) + 1
    }

    /// Where every chunk starts in its file's decoded stream (none for the chunks of a
    /// partial written without them).
    pub fn chunk_offset_map(&self) -> FxHashMap<(u32, u32), u64> {
        self.chunk_offsets
            .iter()
            .map(|&(f, c, at)| ((f, c), at))
            .collect()
    }

    /// First line number (0-based) of every chunk.
    pub fn chunk_starts(&self) -> FxHashMap<(u32, u32), u64> {
        let mut v = self.chunk_lines.clone();
        v.sort_unstable();
        let mut out = FxHashMap::default();
        let mut cur_file = u32::MAX;
        let mut acc = 0u64;
        for (f, c, n) in v {
            if f != cur_file {
                cur_file = f;
                acc = 0;
            }
            out.insert((f, c), acc);
            acc += u64::from(n);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(path: &'static [u8], status: u16, time_ms: i64) -> Record<'static> {
        Record {
            method: Some(b"GET"),
            path: Some(path),
            status: Some(status),
            time_ms: Some(time_ms),
            ..Record::default()
        }
    }

    /// Add each record to its own chunk aggregate and absorb the chunks in order.
    fn run(routes: &Normalizer, cap: usize, chunks: &[Vec<Record<'static>>]) -> Aggregate {
        let ctx = AddContext::new(routes, cap, None);
        let mut total = Aggregate::default();
        for (c, recs) in chunks.iter().enumerate() {
            let mut agg = Aggregate::default();
            let mut scratch = Scratch::default();
            for (i, r) in recs.iter().enumerate() {
                let pos = Pos {
                    file: 0,
                    chunk: c as u32,
                    line: i as u32,
                };
                agg.add(r, pos, &ctx, &mut scratch);
            }
            total.absorb(agg, &ctx);
        }
        total.finish(routes, cap);
        total
    }

    fn count(agg: &Aggregate, key: &str) -> u64 {
        agg.endpoints.get(key.as_bytes()).map_or(0, |e| e.count)
    }

    #[test]
    fn a_nul_in_a_path_cannot_pose_as_the_host_separator() {
        let routes = Normalizer::default();
        let with_host = |path: &'static [u8]| Record {
            host: Some(b"Example.com:443"),
            ..rec(path, 200, 0)
        };
        let agg = run(
            &routes,
            100,
            &[vec![
                with_host(b"/a\0b/c"),
                with_host(b"/a\0b/c"),
                with_host(b"/plain"),
            ]],
        );
        let keys: Vec<(String, Option<String>)> = agg
            .endpoints
            .keys()
            .map(|k| (k.route().to_string(), k.host().map(str::to_string)))
            .collect();
        for route in ["/a?b/c", "/plain"] {
            assert!(
                keys.contains(&(route.to_string(), Some("example.com".to_string()))),
                "{route} on example.com in {keys:?}"
            );
        }
    }

    #[test]
    fn route_cap_keeps_the_busiest_whatever_comes_first() {
        let routes = Normalizer::default();
        // 50 one-hit junk paths first, then three real endpoints; cap 4 (3 rows + (other)).
        let junk: Vec<Record<'static>> = (0..50)
            .map(|i| {
                let p: &'static str = Box::leak(format!("/junk{i}x").into_boxed_str());
                rec(p.as_bytes(), 404, i)
            })
            .collect();
        let real: Vec<Record<'static>> = (0..60)
            .map(|i| rec([&b"/a"[..], b"/b", b"/c"][i % 3], 200, 100 + i as i64))
            .collect();
        let agg = run(&routes, 4, &[junk, real]);
        for k in ["GET /a", "GET /b", "GET /c"] {
            assert_eq!(count(&agg, k), 20, "{k}");
        }
        assert_eq!(count(&agg, "* (other)"), 50);
        assert_eq!(agg.folded_lines, 50);
        assert_eq!(agg.folded_routes.count(), (50, false));
        assert_eq!(agg.endpoints.len(), 4);
        let total: u64 = agg.endpoints.values().map(|e| e.count).sum();
        assert_eq!(total, 110, "folding never loses a request");
    }

    #[test]
    fn slugs_collapse_before_the_cap() {
        let routes = Normalizer::default();
        let recs: Vec<Record<'static>> = (0..400)
            .map(|i| {
                let p: &'static str =
                    Box::leak(format!("/blog/post-title-{}", word(i)).into_boxed_str());
                rec(p.as_bytes(), 200, i as i64)
            })
            .collect();
        let mut recs = recs;
        for i in 0..400 {
            recs.insert(i * 2, rec(b"/api/comments", 200, i as i64));
        }
        let chunks: Vec<Vec<Record<'static>>> = recs.chunks(7).map(<[_]>::to_vec).collect();
        // A cap just above the collapse threshold: charged per raw path, the slugs would fill it
        // and push the comments out.
        let agg = run(&routes, route::COLLAPSE_THRESHOLD + 2, &chunks);
        assert_eq!(count(&agg, "GET /blog/{param}"), 400);
        assert_eq!(count(&agg, "GET /api/comments"), 400);
        assert_eq!(agg.folded_lines, 0);
        assert_eq!(agg.endpoints.len(), 2);
    }

    fn word(i: usize) -> String {
        let mut s = String::new();
        let mut n = i;
        loop {
            s.push(char::from(b'a' + (n % 26) as u8));
            n /= 26;
            if n == 0 {
                break s;
            }
        }
    }

    #[test]
    fn unregistered_methods_share_one_entry_per_route() {
        let routes = Normalizer::default();
        let recs: Vec<Record<'static>> = (0..30)
            .map(|i| {
                let m: &'static str = Box::leak(format!("X{}Y", word(i)).into_boxed_str());
                let mut r = rec(b"/", 400, i as i64);
                r.method = Some(m.as_bytes());
                r
            })
            .chain(std::iter::once(rec(b"/", 200, 99)))
            .collect();
        let agg = run(&routes, 10, &[recs]);
        assert_eq!(count(&agg, "(invalid method) /"), 30);
        assert_eq!(count(&agg, "GET /"), 1);
        let k = EndpointKey::from_bytes(b"(invalid method) /a b");
        assert_eq!((k.method(), k.route()), (&b"(invalid method)"[..], "/a b"));
        let k = EndpointKey::from_bytes(b"GET /a");
        assert_eq!((k.method(), k.route()), (&b"GET"[..], "/a"));
    }

    #[test]
    fn declared_templates_are_outside_the_route_cap() {
        let routes = Normalizer::new(&["/spec/{id}".to_string(), "/spec/x/{id}".to_string()])
            .expect("valid");
        let mut recs = Vec::new();
        let mut t = 0;
        let mut add = |method: &'static [u8], p: &'static [u8]| {
            t += 1;
            let mut r = rec(p, 200, t);
            r.method = Some(method);
            recs.push(r);
        };
        for p in [&b"/a"[..], b"/b", b"/c", b"/d"] {
            add(b"GET", p);
            add(b"GET", p);
        }
        add(b"GET", b"/a");
        add(b"GET", b"/spec/1");
        add(b"DELETE", b"/spec/x/2");
        add(b"BREW", b"/spec/3");
        let agg = run(&routes, 2, &[recs]);
        // The cap of 2 holds one capped row and (other); declared endpoints come on top, and an
        // unregistered method on a declared route is not declared.
        assert_eq!(count(&agg, "GET /spec/{id}"), 1);
        assert_eq!(count(&agg, "DELETE /spec/x/{id}"), 1);
        assert!(agg.endpoints.contains_key(&EndpointKey::other()));
        let capped = agg
            .endpoints
            .keys()
            .filter(|k| {
                let declared =
                    route::is_standard_method(k.method()) && routes.is_template(k.route());
                !declared && !k.is_other()
            })
            .count();
        assert_eq!(capped, 1, "{:?}", agg.endpoints.keys().collect::<Vec<_>>());
        // The one capped row is the busiest (3 against 2, 2, 2 and the one BREW); the
        // subtraction that made room (2) bounds what a kept row can have lost to (other).
        assert_eq!(count(&agg, "GET /a"), 3);
        assert_eq!(agg.fold_error, 2);
        let total: u64 = agg.endpoints.values().map(|e| e.count).sum();
        assert_eq!(total, 12);
    }

    #[test]
    fn series_are_bounded_per_endpoint() {
        let routes = Normalizer::default();
        let ctx = AddContext::new(&routes, 10, None);
        let mut agg = Aggregate::default();
        let mut scratch = Scratch::default();
        for sec in 0..(MAX_RAW_BUCKETS as i64 + 10) {
            agg.add(
                &rec(b"/x", 200, sec * 1000),
                Pos::default(),
                &ctx,
                &mut scratch,
            );
        }
        agg.add(&rec(b"/x", 500, 0), Pos::default(), &ctx, &mut scratch);
        let e = &agg.endpoints[&b"GET /x"[..]];
        assert_eq!(e.series.len(), MAX_RAW_BUCKETS);
        assert_eq!(e.series_dropped, 10);
        assert_eq!(
            e.series.get(0).map(|c| c.get(Counter::Class(5))),
            Some(1),
            "a kept bucket still counts"
        );
        assert_eq!(e.count, MAX_RAW_BUCKETS as u64 + 11);
        // Settled, the series fits the span: 50 010 s in 300 s buckets.
        agg.settle_rows();
        let e = &agg.endpoints[&b"GET /x"[..]];
        assert_eq!(step_seconds(e.series_step), 300);
        assert!(e.series.len() as i64 <= SERIES_BUCKETS);
        let kept: u64 = e.series.iter().map(|(_, c)| c.total()).sum();
        assert_eq!(kept, e.count - e.series_dropped);
    }

    #[test]
    fn series_stay_in_key_order_whatever_the_arrival() {
        let mut s = Series::default();
        for k in [5, 5, 6, 9, 2, 7, 6, -3] {
            s.slot(k, 100).expect("room").add(Some(200));
        }
        let keys: Vec<i64> = s.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, [-3, 2, 5, 6, 7, 9]);
        assert_eq!(s.get(5).map(MinuteCounts::total), Some(2));
        assert_eq!(s.get(6).map(MinuteCounts::total), Some(2));
        // Full: existing buckets still count, new ones are refused.
        assert!(s.slot(6, 6).is_some());
        assert!(s.slot(8, 6).is_none() && s.slot(10, 6).is_none());
        // Widened 5 times: -3 → -1, 2 → 0, 5/6/7/9 → 1.
        let w = s.widened(5);
        let got: Vec<(i64, u64)> = w.iter().map(|(k, c)| (*k, c.total())).collect();
        assert_eq!(got, [(-1, 1), (0, 1), (1, 6)]);
    }

    #[test]
    fn series_width_follows_the_span_whatever_the_order() {
        let routes = Normalizer::default();
        let ctx = AddContext::new(&routes, 10, None);
        // The width for requests at these seconds.
        let width = |secs: &mut dyn Iterator<Item = i64>| {
            let mut keys: BTreeSet<i64> = secs.collect();
            step_seconds(fit_step(&mut keys, 0))
        };
        // Three minutes of traffic are kept per second, a day per five minutes, 20 days per
        // hour — when every second has a request and when one a minute has.
        assert_eq!(width(&mut (0..180)), 1);
        assert_eq!(width(&mut (0..86_400)), 300);
        assert_eq!(width(&mut (0..86_400).step_by(60)), 300);
        assert_eq!(width(&mut (0..20 * 86_400).step_by(60)), 3600);
        // A line from a clock years off does not widen the buckets of the rest.
        let skewed = (0..180).chain([-800_000_000, 1_200_000_000]);
        assert_eq!(width(&mut skewed.clone()), 1);
        let mut keys: BTreeSet<i64> = skewed.collect();
        assert_eq!(covered(keys.iter().copied(), 0), 182);
        fit_step(&mut keys, 0);
        assert_eq!(keys.len(), 182);
        let part = |times: &[i64]| {
            let mut a = Aggregate::default();
            let mut scratch = Scratch::default();
            for &t in times {
                a.add(&rec(b"/x", 500, t), Pos::default(), &ctx, &mut scratch);
                a.add(&rec(b"/x", 200, t + 7), Pos::default(), &ctx, &mut scratch);
            }
            a
        };
        let early: Vec<i64> = (0..100).map(|i| i * 1_000).collect();
        let late: Vec<i64> = (0..100).map(|i| 3_600_000 + i * 60_000).collect();
        let series_of = |first: &[i64], second: &[i64]| {
            let mut total = Aggregate::default();
            total.absorb(part(first), &ctx);
            total.absorb(part(second), &ctx);
            total.settle_rows();
            let e = &total.endpoints[&b"GET /x"[..]];
            let mut v: Vec<(i64, MinuteCounts)> = e.series.iter().map(|(k, c)| (*k, *c)).collect();
            v.sort_unstable_by_key(|(k, _)| *k);
            (e.series_step, v)
        };
        let a = series_of(&early, &late);
        let b = series_of(&late, &early);
        assert_eq!(a, b, "the same buckets whichever part comes first");
        // 100 seconds, an hour's gap, then one request a minute for 100 minutes: at 10 s the
        // gap is 351 empty buckets, part of the span (955 buckets in all, too many); at 30 s,
        // 319 buckets. The first part's 100 seconds fill 4 of them.
        assert_eq!(step_seconds(a.0), 30);
        let total: u64 = a.1.iter().map(|(_, c)| c.total()).sum();
        assert_eq!(total, 400);
        assert_eq!(a.1.iter().filter(|(k, _)| *k < 4).count(), 4);
    }

    /// Stray lines at either end — the day before a 3-minute capture, a few hours after it —
    /// are set apart from the traffic and keep its one-second buckets; silences between runs
    /// of traffic (four quiet hours between two busy ones, sparse traffic all day) stay in
    /// the span.
    #[test]
    fn stray_lines_hours_off_do_not_widen_the_buckets() {
        let width = |secs: Vec<i64>| {
            let mut keys: BTreeSet<i64> = secs.into_iter().collect();
            step_seconds(fit_step(&mut keys, 0))
        };
        let capture: Vec<i64> = (0..180).collect();
        let with = |extra: &[i64]| {
            let all: BTreeSet<i64> = capture.iter().chain(extra).copied().collect();
            all.into_iter().collect::<Vec<_>>()
        };
        assert_eq!(width(with(&[-86_400])), 1);
        assert_eq!(width(with(&[-1_200, 7_200, 7_260])), 1);
        // Eight buckets of stray lines at each end at most: nine are traffic of their own.
        let eight: Vec<i64> = (0..8).map(|i| -3_600 - i * 30).collect();
        assert_eq!(width(with(&eight)), 1);
        let nine: Vec<i64> = (0..9).map(|i| -3_600 - i * 30).collect();
        assert_eq!(width(with(&nine)), 10);
        assert_eq!(spans(with(&[-86_400]), 0), [(-86_400, -86_400), (0, 179)]);
        // Within SERIES_GAP_BUCKETS of the rest, a line is part of its run.
        assert_eq!(spans(with(&[-300]), 0), [(-300, 179)]);
        // Two busy hours four hours apart; one request every ten minutes for a day.
        let hours: Vec<i64> = (0..3_600).chain(5 * 3_600..6 * 3_600).step_by(20).collect();
        assert_eq!(width(hours), 30);
        assert_eq!(width((0..86_400).step_by(600).collect()), 300);
        // Three lines a day apart: each is stray, a bucket of its own.
        assert_eq!(covered([0, 86_400, 172_800], 0), 3);
    }

    proptest::proptest! {
        /// Keys short enough to be held inline and long ones shared read back the same way:
        /// their bytes (made UTF-8), method, route and host as a plain split of those bytes
        /// finds them, and they compare, order and hash as their bytes.
        #[test]
        fn endpoint_keys_of_any_length_are_their_bytes(
            a in proptest::collection::vec(
                proptest::sample::select(&b"GET /a\0\xe9(x) invalid method"[..]), 0..60),
            b in proptest::collection::vec(
                proptest::sample::select(&b"GET /a\0\xe9(x) invalid method"[..]), 0..60),
        ) {
            use std::hash::BuildHasher;
            let (ka, kb) = (EndpointKey::from_bytes(&a), EndpointKey::from_bytes(&b));
            for (k, raw) in [(&ka, &a), (&kb, &b)] {
                let text = String::from_utf8_lossy(raw).into_owned();
                let t = text.as_bytes();
                proptest::prop_assert_eq!(k.as_bytes(), t);
                let at = if t.starts_with(INVALID_METHOD) {
                    INVALID_METHOD.len()
                } else {
                    t.iter().position(|&c| c == b' ').unwrap_or(t.len())
                };
                let route_at = (at + 1).min(t.len());
                let (route, host) = match text[route_at..].split_once('\0') {
                    Some((r, h)) => (r, Some(h)),
                    None => (&text[route_at..], None),
                };
                proptest::prop_assert_eq!(k.route(), route);
                proptest::prop_assert_eq!(k.host(), host);
                proptest::prop_assert_eq!(k.method(), &t[..at.min(t.len())]);
                proptest::prop_assert_eq!(FxBuildHasher.hash_one(k), FxBuildHasher.hash_one(t));
            }
            let (ta, tb) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
            proptest::prop_assert_eq!(ka.cmp(&kb), ta.as_bytes().cmp(tb.as_bytes()));
            proptest::prop_assert_eq!(ka == kb, ta == tb);
            proptest::prop_assert_eq!(ka.clone(), ka);
        }

        /// A one-request row gives back the hit it was made from, whichever fields the line
        /// logged; and it stays packed.
        #[test]
        fn a_one_hit_row_keeps_its_hit(
            status in proptest::option::of(0u16..1000),
            duration_us in proptest::option::of(proptest::num::u64::ANY),
            duration_whole_s in proptest::bool::ANY,
            bytes in proptest::option::of(proptest::num::u64::ANY),
            kinds in (0u8..3, 0u8..2, 0u8..3),
            marker in proptest::option::of(proptest::collection::vec(proptest::num::u8::ANY, 0..8)),
            referer in proptest::option::of(proptest::collection::vec(proptest::num::u8::ANY, 0..8)),
            time_ms in proptest::option::of(proptest::num::i64::ANY),
            client in proptest::option::of(proptest::num::u64::ANY),
            line in proptest::num::u32::ANY,
        ) {
            let hit = Hit {
                status,
                origin: [Origin::App, Origin::Gateway, Origin::Unknown][usize::from(kinds.0)],
                duration_us,
                duration_whole_s,
                bytes,
                bytes_kind: [BytesKind::Body, BytesKind::Total][usize::from(kinds.1)],
                authenticated: [None, Some(false), Some(true)][usize::from(kinds.2)],
                error_marker: marker.as_deref(),
                referer_404: referer.as_deref(),
                time_ms,
                client,
                pos: Pos { file: 1, chunk: 2, line },
            };
            let one = OneHit::new(&hit);
            proptest::prop_assert_eq!(one.hit(), hit);
            proptest::prop_assert!(std::mem::size_of::<OneHit>() <= 64);
        }

        /// The span never covers fewer buckets when requests are added (so the step fitted to
        /// a whole input is the one fitted chunk by chunk in any order), and never more than
        /// from the first request to the last.
        #[test]
        fn the_span_grows_with_the_input(
            keys in proptest::collection::btree_set(-5_000i64..5_000, 0..60),
            more in proptest::collection::btree_set(-5_000i64..5_000, 0..20),
            step in 0u8..4,
        ) {
            let all: BTreeSet<i64> = keys.union(&more).copied().collect();
            let (part, whole) = (covered(keys.iter().copied(), step), covered(all.iter().copied(), step));
            proptest::prop_assert!(part <= whole, "{} > {}", part, whole);
            if let (Some(a), Some(b)) = (all.first(), all.last()) {
                proptest::prop_assert!(whole <= b - a + 1);
            }
        }
    }

    #[test]
    fn a_row_fed_one_request_at_a_time_stays_bounded() {
        // The total's `(other)` gets every folded one-off request through `add`: its raw
        // durations are recorded in batches instead of piling up.
        let mut s = EndpointStats::default();
        for i in 0..10_000u64 {
            let rec = rec(b"/x", 200, 1_000 + i as i64);
            let mut hit = Hit::of(&rec, Pos::default(), None);
            hit.duration_us = Some(1_000 + i);
            s.add(&hit);
        }
        assert!(s.pending_us.len() < MAX_PENDING);
        let recorded = s.latency.len();
        assert_eq!(recorded + s.pending_us.len() as u64, 10_000);
        s.settle();
        assert_eq!(s.latency.len(), 10_000);
        // The exact bounds: the histogram alone reads the top as its bucket's (11 007).
        assert_eq!(s.latency.quantile_us(1.0), Some(10_999));
        assert_eq!(s.latency.bucket_us(1_000), (1_000, 1_003));
    }

    #[test]
    fn a_frozen_client_table_changes_nothing() {
        // Three chunks of 404s from 60 000 clients each, overlapping: 160 000 distinct clients,
        // so the total's table fills during the second chunk.
        let routes = Normalizer::default();
        let chunk = |c: u32| -> Vec<Record<'static>> {
            (0..60_000u32)
                .map(|i| {
                    let n = i + c * 50_000;
                    let name: &'static str = Box::leak(format!("10.{}.{}", n >> 8, n & 255).into());
                    let mut r = rec(b"/x", if i % 7 == 0 { 503 } else { 404 }, i64::from(n));
                    r.client = Some(name.as_bytes());
                    r
                })
                .collect()
        };
        let parse = |recs: &[Record<'static>], c: u32, ctx: &AddContext<'_>| {
            let mut agg = Aggregate::default();
            let mut scratch = Scratch::default();
            for (i, r) in recs.iter().enumerate() {
                let pos = Pos {
                    file: 0,
                    chunk: c,
                    line: i as u32,
                };
                agg.add(r, pos, ctx, &mut scratch);
            }
            agg
        };
        let chunks: Vec<Vec<Record<'static>>> = (0..3).map(chunk).collect();
        // Each chunk parsed after the ones before it were absorbed: the third sees the frozen
        // table and counts the clients outside it as untracked on the spot.
        let ctx = AddContext::new(&routes, 100, None);
        let mut seen = Aggregate::default();
        for (c, recs) in chunks.iter().enumerate() {
            let agg = parse(recs, c as u32, &ctx);
            seen.absorb(agg, &ctx);
        }
        assert_eq!(ctx.frozen_clients.get().map(|f| f.len()), Some(MAX_CLIENTS));
        // Every chunk parsed before any is absorbed: nothing frozen while parsing.
        let ctx = AddContext::new(&routes, 100, None);
        let aggs: Vec<Aggregate> = (0..3).map(|c| parse(&chunks[c], c as u32, &ctx)).collect();
        let mut unseen = Aggregate::default();
        for agg in aggs {
            unseen.absorb(agg, &ctx);
        }
        assert!(seen.clients_untracked > 0);
        assert_eq!(seen.clients_untracked, unseen.clients_untracked);
        assert_eq!(seen.clients.len(), MAX_CLIENTS);
        let json = |a: &Aggregate| serde_json::to_string(a).expect("serialises");
        assert_eq!(json(&seen), json(&unseen));
    }

    #[test]
    fn hosts_are_keyed_lowercase_without_port_and_filtered_by_glob() {
        let key = |h: &[u8]| {
            let mut k = Vec::new();
            push_host(h, &mut k);
            String::from_utf8(k).expect("utf8")
        };
        assert_eq!(key(b"API.Example.com:443"), "api.example.com");
        assert_eq!(key(b"[::1]:8080"), "[::1]");
        assert_eq!(key(b"[::1]"), "[::1]");
        assert_eq!(key(b"host:"), "host:");
        assert_eq!(key(b"a\0b"), "a?b");
        let f = HostFilter::new(&["*.example.com".to_string()])
            .expect("valid")
            .expect("some");
        assert!(f.matches(Some(b"API.EXAMPLE.COM:443")));
        assert!(!f.matches(Some(b"example.org")));
        assert!(!f.matches(None));
        let long = format!("{}.example.com", "x".repeat(300));
        assert!(
            f.matches(Some(long.as_bytes())),
            "longer than the stack buffer"
        );
        assert!(
            f.matches(Some(b"caf\xe9.example.com")),
            "not UTF-8: U+FFFD, still matched"
        );
        assert!(HostFilter::new(&[]).expect("valid").is_none());
        assert!(HostFilter::new(&["[".to_string()]).is_err());
        let k = EndpointKey::from_bytes(b"GET /a\0h.example");
        assert_eq!((k.route(), k.host()), ("/a", Some("h.example")));
        assert_eq!(k.with_route("/b").as_bytes(), b"GET /b\0h.example");
    }

    /// A key's parts are found once, when it is made: method, route and host read back as they
    /// went in for every shape a key takes, and it is hashed, compared and looked up as its
    /// bytes (the per-line lookup borrows the scratch bytes).
    #[test]
    fn endpoint_keys_read_back_their_parts() {
        use std::hash::BuildHasher;
        for (bytes, method, route, host) in [
            (&b"GET /a/b"[..], &b"GET"[..], "/a/b", None),
            (
                b"POST /a\0api.example.com",
                b"POST",
                "/a",
                Some("api.example.com"),
            ),
            (b"(invalid method) /x", INVALID_METHOD, "/x", None),
            (b"- (no request)", b"-", "(no request)", None),
            (b"* (other)", b"*", "(other)", None),
            (b"GET /a b", b"GET", "/a b", None),
            (b"GET ", b"GET", "", None),
            (b"junk", b"junk", "", None),
            (b"GET /\0", b"GET", "/", Some("")),
        ] {
            let k = EndpointKey::from_bytes(bytes);
            let shown = bytes.escape_ascii().to_string();
            assert_eq!(
                (k.method(), k.route(), k.host()),
                (method, route, host),
                "{shown}"
            );
            assert_eq!(k.as_bytes(), bytes, "{shown}");
            assert_eq!(
                FxBuildHasher.hash_one(&k),
                FxBuildHasher.hash_one(bytes),
                "{shown}"
            );
        }
        assert!(EndpointKey::other().is_other());
        let mut table: EndpointTable = FxHashMap::default();
        table.insert(EndpointKey::from_bytes(b"GET /a\0h"), Box::default());
        assert!(table.contains_key(&b"GET /a\0h"[..]));
        assert!(EndpointKey::new(b"GET", "/a") < EndpointKey::new(b"GET", "/b"));
        // Bytes that are not UTF-8 (a hostile partial aggregate) are replaced, not trusted.
        let k = EndpointKey::from_bytes(b"GET /caf\xe9");
        assert_eq!(k.route(), "/caf\u{fffd}");
    }

    #[test]
    fn window_leaves_out_records() {
        let routes = Normalizer::default();
        let ctx = AddContext::new(&routes, 10, Some((1000, 2000)));
        let mut agg = Aggregate::default();
        let mut scratch = Scratch::default();
        assert!(!agg.add(&rec(b"/x", 200, 999), Pos::default(), &ctx, &mut scratch));
        assert!(agg.add(&rec(b"/x", 200, 1000), Pos::default(), &ctx, &mut scratch));
        assert!(!agg.add(&rec(b"/x", 200, 2000), Pos::default(), &ctx, &mut scratch));
        let mut no_time = rec(b"/x", 200, 0);
        no_time.time_ms = None;
        assert!(!agg.add(&no_time, Pos::default(), &ctx, &mut scratch));
        assert_eq!(agg.out_of_window, 3);
    }
}

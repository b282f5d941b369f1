//! The mergeable aggregate: per-endpoint statistics plus global totals and rejects.
//!
//! Every accumulator has a `merge`, and merging is commutative and associative, so workers fold
//! chunks in any order and the merged result is the same at any `--jobs` (SPEC §7). Nothing
//! here depends on arrival order except the per-worker route cap (see [`Aggregate::add`]).
//! [`Aggregate::finish`] runs once after the merge: `{param}` collapse, then the route cap.

pub mod partial;
pub mod signals;

use std::collections::BTreeMap;
use std::hash::BuildHasher;

use hdrhistogram::Histogram;
use rustc_hash::{FxBuildHasher, FxHashMap};
use serde::{Deserialize, Serialize};

use signals::{sample_key, ClientSet, ClientStats, ErrorBodies, Samples, Throttles, SIZE_BUCKETS};

use crate::format::{BytesKind, Origin, Record, RejectKind};
use crate::route::{self, Normalizer};

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
/// Most distinct minutes kept per endpoint (~35 days at one-minute resolution). Hostile input
/// with random timestamps must not grow memory without bound; requests beyond it are still
/// counted everywhere else, and `minutes_dropped` says how many lost their minute.
pub const MAX_MINUTES: usize = 50_000;
/// Longest duration recorded (one day, µs); longer values are clamped.
const MAX_DURATION_US: u64 = 86_400_000_000;

/// Counters per minute: 0 = no status, 1..=5 = 1xx..5xx, then [`MINUTE_500`] and
/// [`MINUTE_404`] (exact codes the rules follow in time).
pub const MINUTE_SLOTS: usize = 8;
/// Per-minute slot of status 500.
pub const MINUTE_500: usize = 6;
/// Per-minute slot of status 404.
pub const MINUTE_404: usize = 7;
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

/// Statistics of one (method, route).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EndpointStats {
    /// Requests.
    pub count: u64,
    /// Requests per exact status (0 = no status logged), unsorted.
    pub statuses: Vec<(u16, u64)>,
    /// Latency in µs, for the lines that log a duration.
    #[serde(with = "partial::histogram")]
    pub latency: Option<Histogram<u64>>,
    /// Exact largest duration (µs); the histogram only knows it to its precision.
    pub max_us: u64,
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
    /// Requests per minute (epoch minute) by status class, plus 500 and 404 (see
    /// [`MINUTE_SLOTS`]).
    #[serde(with = "partial::sorted_map")]
    pub minutes: FxHashMap<i64, [u32; MINUTE_SLOTS]>,
    /// Requests whose minute was not kept because of [`MAX_MINUTES`].
    pub minutes_dropped: u64,
    /// Requests by who produced the status: app, gateway, unknown.
    pub origins: [u64; 3],
    /// Lines with an error marker.
    pub error_marked: u64,
    /// Latency (µs) of the 2xx responses.
    #[serde(with = "partial::histogram")]
    pub latency_2xx: Option<Histogram<u64>>,
    /// Latency (µs) of the 500 responses.
    #[serde(with = "partial::histogram")]
    pub latency_500: Option<Histogram<u64>>,
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
    /// Earliest positions per status and per signal, for evidence.
    pub samples: Samples,
    /// Who sent the requests (exact while few).
    pub clients: ClientSet,
    /// Throttled (429/503) responses per client over time.
    pub throttles: Throttles,
}

/// Record a duration (µs) in an auto-resizing histogram created on first use.
#[inline]
fn record_us(h: &mut Option<Histogram<u64>>, v: u64) {
    let h = h.get_or_insert_with(|| {
        Histogram::new(2).expect("2 significant figures is a valid precision")
    });
    // `record` grows an auto-resizing histogram; `saturating_record` would clamp instead.
    if h.record(v).is_err() {
        h.saturating_record(v);
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
    #[inline]
    fn add(&mut self, rec: &Record<'_>, pos: Pos, client: Option<u64>) {
        self.count += 1;
        let code = rec.status.unwrap_or(0);
        add_count(&mut self.statuses, code, 1);
        if rec.origin == Origin::Gateway {
            add_count(&mut self.gateway_statuses, code, 1);
        }
        self.samples.offer(code, pos);
        if let Some(d) = rec.duration_us {
            let v = d.clamp(1, MAX_DURATION_US);
            self.max_us = self.max_us.max(v);
            record_us(&mut self.latency, v);
            match code {
                200..=299 => record_us(&mut self.latency_2xx, v),
                500 => record_us(&mut self.latency_500, v),
                _ => {}
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
        if let (200..=299, Some(m)) = (code, rec.error_marker) {
            self.error_bodies.add(m);
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
            let minute = t.div_euclid(60_000);
            let slot = if self.minutes.len() < MAX_MINUTES {
                Some(self.minutes.entry(minute).or_default())
            } else {
                self.minutes.get_mut(&minute)
            };
            match slot {
                Some(slot) => {
                    let c = &mut slot[class_index(rec.status)];
                    *c = c.saturating_add(1);
                    let exact = match code {
                        500 => Some(MINUTE_500),
                        404 => Some(MINUTE_404),
                        _ => None,
                    };
                    if let Some(i) = exact {
                        slot[i] = slot[i].saturating_add(1);
                    }
                }
                None => self.minutes_dropped += 1,
            }
        }
        self.origins[match rec.origin {
            Origin::App => 0,
            Origin::Gateway => 1,
            Origin::Unknown => 2,
        }] += 1;
        self.error_marked += u64::from(rec.error_marker.is_some());
    }

    /// Fold `other` into `self`.
    pub fn merge(&mut self, other: EndpointStats) {
        self.count += other.count;
        for (code, n) in other.statuses {
            add_count(&mut self.statuses, code, n);
        }
        for (code, n) in other.gateway_statuses {
            add_count(&mut self.gateway_statuses, code, n);
        }
        for (into, from) in [
            (&mut self.latency, other.latency),
            (&mut self.latency_2xx, other.latency_2xx),
            (&mut self.latency_500, other.latency_500),
        ] {
            if let Some(h) = from {
                add_hist(into, h);
            }
        }
        for (a, b) in self.sizes_200.iter_mut().zip(other.sizes_200) {
            *a += b;
        }
        self.sizes_200_total += other.sizes_200_total;
        for (a, b) in self.auth_403.iter_mut().zip(other.auth_403) {
            *a += b;
        }
        self.error_bodies.merge(other.error_bodies);
        self.samples.merge(other.samples);
        self.clients.merge(other.clients);
        self.throttles.merge(other.throttles);
        self.max_us = self.max_us.max(other.max_us);
        self.bytes_sum = self.bytes_sum.saturating_add(other.bytes_sum);
        self.bytes_count += other.bytes_count;
        self.bytes_total_count += other.bytes_total_count;
        self.first_ms = min_opt(self.first_ms, other.first_ms);
        self.last_ms = max_opt(self.last_ms, other.last_ms);
        let mut other_minutes: Vec<(i64, [u32; MINUTE_SLOTS])> =
            other.minutes.into_iter().collect();
        other_minutes.sort_unstable_by_key(|(m, _)| *m);
        for (m, c) in other_minutes {
            let slot = if self.minutes.len() < MAX_MINUTES {
                Some(self.minutes.entry(m).or_default())
            } else {
                self.minutes.get_mut(&m)
            };
            match slot {
                Some(slot) => {
                    for (a, b) in slot.iter_mut().zip(c) {
                        *a = a.saturating_add(b);
                    }
                }
                None => self.minutes_dropped += c.iter().map(|&n| u64::from(n)).sum::<u64>(),
            }
        }
        self.minutes_dropped += other.minutes_dropped;
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
}

impl FileCounts {
    fn merge(&mut self, o: FileCounts) {
        self.lines += o.lines;
        self.parsed += o.parsed;
        self.rejected += o.rejected;
        self.skipped += o.skipped;
    }
}

/// Everything a run learns from its input; see the module docs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Aggregate {
    /// Per (method, route): the key is `METHOD route` (method `-` when unknown).
    #[serde(with = "partial::endpoint_map")]
    pub endpoints: FxHashMap<Box<[u8]>, EndpointStats>,
    /// Rejected lines by reason.
    pub rejects: BTreeMap<RejectKind, RejectStats>,
    /// Per-file line counts, by file index.
    pub files: BTreeMap<u32, FileCounts>,
    /// Line count of every chunk (file, chunk, lines), to turn [`Pos`] into line numbers.
    pub chunk_lines: Vec<(u32, u32, u32)>,
    /// Parsed lines left out by `--since`/`--until`.
    pub out_of_window: u64,
    /// Lines counted under `(other)` because the route table was full.
    pub folded_lines: u64,
    /// Routes folded into `(other)` by [`Aggregate::finish`].
    pub folded_routes: u64,
    /// Per client that got a miss or a throttle (by hash of the logged client), up to
    /// [`MAX_CLIENTS`].
    #[serde(with = "partial::sorted_map")]
    pub clients: FxHashMap<u64, ClientStats>,
    /// Misses and throttles of clients beyond [`MAX_CLIENTS`], not classified.
    pub clients_untracked: u64,
    /// Endpoints of declared templates (standard methods) that [`Aggregate::add`] created: the
    /// route cap counts only the others. Only used while adding, so not in partials.
    #[serde(skip)]
    pub declared_endpoints: usize,
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
        let key = &mut scratch.key;
        key.clear();
        let method = match (rec.method, rec.path) {
            (Some(m), Some(_)) => m,
            _ => b"-",
        };
        key.extend_from_slice(method);
        key.push(b' ');
        let declared = ctx.routes.record_route(rec, key) && route::is_standard_method(method);
        let client = rec.client.map(key_hash);
        if let (Some(h), Some(status)) = (client, rec.status) {
            // Only misses and throttles touch the client table: a lookup per line would cost a
            // cache miss per line on logs with many clients.
            if signals::is_miss(status) || matches!(status, 429 | 503) {
                self.add_client(h, rec, status, key);
            }
        }
        if let Some(s) = self.endpoints.get_mut(key.as_slice()) {
            s.add(rec, pos, client);
            return true;
        }
        if declared {
            self.declared_endpoints += 1;
        } else if self.endpoints.len() - self.declared_endpoints.min(self.endpoints.len())
            >= ctx.route_cap
        {
            // Bounded memory whatever the input: the rest goes to `(other)`; endpoints of
            // declared templates are bounded by the declaration.
            self.folded_lines += 1;
            key.clear();
            key.extend_from_slice(b"* ");
            key.extend_from_slice(route::OTHER.as_bytes());
            if let Some(s) = self.endpoints.get_mut(key.as_slice()) {
                s.add(rec, pos, client);
                return true;
            }
        }
        let mut s = EndpointStats::default();
        s.add(rec, pos, client);
        self.endpoints.insert(key.as_slice().into(), s);
        true
    }

    #[inline]
    fn add_client(&mut self, h: u64, rec: &Record<'_>, status: u16, endpoint: &[u8]) {
        let full = self.clients.len() >= MAX_CLIENTS;
        let c = match self.clients.entry(h) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(_) if full => {
                self.clients_untracked += 1;
                return;
            }
            std::collections::hash_map::Entry::Vacant(e) => e.insert(ClientStats {
                name: rec.client.unwrap_or_default().into(),
                ..ClientStats::default()
            }),
        };
        if signals::is_miss(status) {
            c.misses += 1;
            c.missed_endpoints.insert(key_hash(endpoint));
        } else {
            c.throttled += 1;
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

    /// Add the line counts of one chunk of file `file`.
    pub fn count_chunk(&mut self, file: u32, chunk: u32, counts: FileCounts) {
        self.files.entry(file).or_default().merge(counts);
        self.chunk_lines
            .push((file, chunk, counts.lines.min(u64::from(u32::MAX)) as u32));
    }

    /// Fold `other` into `self`.
    pub fn merge(&mut self, other: Aggregate) {
        for (k, v) in other.endpoints {
            match self.endpoints.get_mut(&k) {
                Some(s) => s.merge(v),
                None => {
                    self.endpoints.insert(k, v);
                }
            }
        }
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
        self.out_of_window += other.out_of_window;
        self.folded_lines += other.folded_lines;
        self.folded_routes += other.folded_routes;
        self.clients_untracked += other.clients_untracked;
        for (h, c) in other.clients {
            let full = self.clients.len() >= MAX_CLIENTS;
            match self.clients.entry(h) {
                std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().merge(c),
                std::collections::hash_map::Entry::Vacant(_) if full => {
                    self.clients_untracked += c.misses + c.throttled;
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(c);
                }
            }
        }
    }

    /// Post-merge steps: collapse high-cardinality positions to `{param}`, then fold the
    /// endpoints beyond `route_cap` (least requested first) into `(other)`.
    pub fn finish(&mut self, routes: &Normalizer, route_cap: usize) {
        let keys: Vec<String> = self
            .endpoints
            .keys()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect();
        let route_of = |k: &str| k.split_once(' ').map_or("", |(_, r)| r).to_string();
        let mut distinct: Vec<String> = keys.iter().map(|k| route_of(k)).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let refs: Vec<&str> = distinct.iter().map(String::as_str).collect();
        let rewrites =
            route::collapse(&refs, route::COLLAPSE_THRESHOLD, &|r| routes.is_template(r));
        if !rewrites.is_empty() {
            let old = std::mem::take(&mut self.endpoints);
            let mut entries: Vec<(Box<[u8]>, EndpointStats)> = old.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, v) in entries {
                let text = String::from_utf8_lossy(&k).into_owned();
                let (method, r) = text.split_once(' ').unwrap_or(("-", ""));
                let key: Box<[u8]> = match rewrites.get(r) {
                    Some(new) => format!("{method} {new}").into_bytes().into(),
                    None => k,
                };
                match self.endpoints.get_mut(&key) {
                    Some(s) => s.merge(v),
                    None => {
                        self.endpoints.insert(key, v);
                    }
                }
            }
        }
        // Endpoints of declared templates are bounded by the declaration: the cap counts the rest.
        let declared = |k: &[u8]| {
            let text = std::str::from_utf8(k).unwrap_or("");
            text.split_once(' ').is_some_and(|(m, r)| {
                route::is_standard_method(m.as_bytes()) && routes.is_template(r)
            })
        };
        let capped = self.endpoints.keys().filter(|k| !declared(k)).count();
        if capped > route_cap {
            let other_key: Box<[u8]> = format!("* {}", route::OTHER).into_bytes().into();
            let mut other = self.endpoints.remove(&other_key).unwrap_or_default();
            let mut entries: Vec<(Box<[u8]>, EndpointStats)> = Vec::new();
            for (k, v) in std::mem::take(&mut self.endpoints) {
                if declared(&k) {
                    self.endpoints.insert(k, v);
                } else {
                    entries.push((k, v));
                }
            }
            entries.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
            let keep = route_cap.saturating_sub(1);
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i < keep {
                    self.endpoints.insert(k, v);
                } else {
                    self.folded_routes += 1;
                    self.folded_lines += v.count;
                    other.merge(v);
                }
            }
            self.endpoints.insert(other_key, other);
        }
    }

    /// Turn a [`Pos`] into a 1-based line number within its file.
    pub fn line_number(&self, starts: &FxHashMap<(u32, u32), u64>, pos: Pos) -> u64 {
        starts.get(&(pos.file, pos.chunk)).copied().unwrap_or(0) + u64::from(pos.line) + 1
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

    #[test]
    fn route_cap_folds_into_other() {
        let routes = Normalizer::default();
        let ctx = AddContext {
            routes: &routes,
            route_cap: 3,
            window: None,
        };
        let mut agg = Aggregate::default();
        let mut scratch = Scratch::default();
        for (i, p) in [&b"/a"[..], b"/b", b"/c", b"/d", b"/e", b"/a"]
            .iter()
            .enumerate()
        {
            agg.add(&rec(p, 200, i as i64), Pos::default(), &ctx, &mut scratch);
        }
        // Per worker: /a /b /c kept, /d and /e counted under (other) (the table holds cap + 1).
        assert_eq!(agg.folded_lines, 2);
        agg.finish(&routes, 3);
        assert_eq!(agg.endpoints.len(), 3);
        let other = &agg.endpoints[&b"* (other)"[..]];
        assert_eq!(
            other.count, 3,
            "(other) keeps the per-worker overflow (/d, /e) and the least requested route (/c)"
        );
        assert_eq!(agg.endpoints[&b"GET /a"[..]].count, 2);
        assert_eq!(
            agg.endpoints[&b"GET /b"[..]].count,
            1,
            "ties keep the smaller key"
        );
        assert_eq!(agg.folded_routes, 1);
        let total: u64 = agg.endpoints.values().map(|e| e.count).sum();
        assert_eq!(total, 6, "folding never loses a request");
    }

    #[test]
    fn declared_templates_are_outside_the_route_cap() {
        let routes = Normalizer::new(&["/spec/{id}".to_string(), "/spec/x/{id}".to_string()])
            .expect("valid");
        let ctx = AddContext {
            routes: &routes,
            route_cap: 2,
            window: None,
        };
        let mut agg = Aggregate::default();
        let mut scratch = Scratch::default();
        let mut t = 0;
        let mut add = |agg: &mut Aggregate, method: &'static [u8], p: &'static [u8]| {
            t += 1;
            let mut r = rec(p, 200, t);
            r.method = Some(method);
            agg.add(&r, Pos::default(), &ctx, &mut scratch);
        };
        for p in [&b"/a"[..], b"/b", b"/c", b"/d"] {
            add(&mut agg, b"GET", p);
            add(&mut agg, b"GET", p);
        }
        // The table is full of heuristic routes; declared ones still get their own endpoints,
        // a nonstandard method on them does not.
        add(&mut agg, b"GET", b"/spec/1");
        add(&mut agg, b"DELETE", b"/spec/x/2");
        add(&mut agg, b"BREW", b"/spec/3");
        assert!(agg.endpoints.contains_key(&b"GET /spec/{id}"[..]));
        assert!(agg.endpoints.contains_key(&b"DELETE /spec/x/{id}"[..]));
        assert!(!agg.endpoints.contains_key(&b"BREW /spec/{id}"[..]));
        agg.finish(&routes, 2);
        let mut keys: Vec<String> = agg
            .endpoints
            .keys()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "* (other)",
                "DELETE /spec/x/{id}",
                "GET /a",
                "GET /spec/{id}"
            ],
            "the cap of 2 holds /a and (other); declared endpoints come on top"
        );
        let total: u64 = agg.endpoints.values().map(|e| e.count).sum();
        assert_eq!(total, 11);
    }

    #[test]
    fn minutes_are_bounded_per_endpoint() {
        let routes = Normalizer::default();
        let ctx = AddContext {
            routes: &routes,
            route_cap: 10,
            window: None,
        };
        let mut agg = Aggregate::default();
        let mut scratch = Scratch::default();
        for m in 0..(MAX_MINUTES as i64 + 10) {
            agg.add(
                &rec(b"/x", 200, m * 60_000),
                Pos::default(),
                &ctx,
                &mut scratch,
            );
        }
        agg.add(&rec(b"/x", 500, 0), Pos::default(), &ctx, &mut scratch);
        let e = &agg.endpoints[&b"GET /x"[..]];
        assert_eq!(e.minutes.len(), MAX_MINUTES);
        assert_eq!(e.minutes_dropped, 10);
        assert_eq!(e.minutes[&0][5], 1, "a kept minute still counts");
        assert_eq!(e.count, MAX_MINUTES as u64 + 11);
    }

    #[test]
    fn window_leaves_out_records() {
        let routes = Normalizer::default();
        let ctx = AddContext {
            routes: &routes,
            route_cap: 10,
            window: Some((1000, 2000)),
        };
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

//! The mergeable signals the rules need beyond status counts (SPEC §5, issue 4): per-client
//! probe statistics for scanner noise, per-endpoint client sets, throttle timelines for retry
//! storms, body-size buckets, error-marker classes and evidence samples.
//!
//! Every type here merges exactly and independently of order: sets keep the *smallest* keys
//! when they are bounded (a bottom-k sample is the same whatever the split), and samples keep
//! the earliest input positions. That is what makes findings identical at any `--jobs` and for
//! any split of the input into files.

use serde::{Deserialize, Serialize};

use super::Pos;

/// Most evidence samples kept per signal (SPEC §5: up to 5 `source` references).
pub const MAX_EVIDENCE: usize = 5;

/// Sample keys beyond plain status codes (which are 0..=999).
pub mod sample_key {
    /// 2xx responses that carried an error marker.
    pub const ERROR_BODY: u16 = 1001;
    /// 200 responses with an empty body.
    pub const EMPTY_200: u16 = 1002;
    /// 403 responses to requests without credentials.
    pub const ANON_403: u16 = 1003;
}

/// Referring pages kept per endpoint.
pub const MAX_REFERERS: usize = 3;
/// Bytes of a referring page kept.
const REFERER_BYTES: usize = 200;

/// The first [`MAX_REFERERS`] distinct referring pages (by where each first appears): a
/// function of the input whatever the split, as each is kept with its earliest position.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referers {
    /// (first position, page), by position.
    #[serde(with = "super::partial::referer_list")]
    pub pages: Vec<(Pos, Box<[u8]>)>,
}

impl Referers {
    /// Offer `page` seen at `pos`.
    #[inline]
    pub fn offer(&mut self, pos: Pos, page: &[u8]) {
        let page = &page[..page.len().min(REFERER_BYTES)];
        if let Some(i) = self.pages.iter().position(|(_, p)| &**p == page) {
            if pos < self.pages[i].0 {
                self.pages.remove(i);
            } else {
                return;
            }
        } else if self.pages.len() >= MAX_REFERERS
            && self.pages.last().is_some_and(|(p, _)| *p < pos)
        {
            return;
        }
        let at = self.pages.partition_point(|(p, _)| *p < pos);
        self.pages.insert(at, (pos, page.into()));
        self.pages.truncate(MAX_REFERERS);
    }

    /// Fold `other` into `self`.
    pub fn merge(&mut self, other: Referers) {
        for (pos, page) in other.pages {
            self.offer(pos, &page);
        }
    }
}

/// The earliest few input positions per key (a status code or a [`sample_key`]).
///
/// Each key's positions are held inline, next to the key: every parsed line offers one, and
/// a set kept on the heap cost a pointer chase per line (`perf annotate` put a quarter of the
/// function's time on that one load). Serialised as before, `{"sets": [[key, [pos …]] …]}`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "SamplesData", into = "SamplesData")]
pub struct Samples {
    sets: Vec<Evidence>,
}

/// The kept positions of one key, earliest first: `pos[..len]`.
#[derive(Clone, Copy, Debug)]
struct Evidence {
    key: u16,
    len: u8,
    pos: [Pos; MAX_EVIDENCE],
}

impl Evidence {
    fn kept(&self) -> &[Pos] {
        &self.pos[..usize::from(self.len)]
    }
}

/// How [`Samples`] is written in a partial aggregate.
#[derive(Serialize, Deserialize)]
#[serde(rename = "Samples")]
struct SamplesData {
    sets: Vec<(u16, Vec<Pos>)>,
}

impl From<SamplesData> for Samples {
    fn from(d: SamplesData) -> Samples {
        let mut s = Samples::default();
        for (key, set) in d.sets {
            for p in set {
                s.offer(key, p);
            }
        }
        s
    }
}

impl From<Samples> for SamplesData {
    fn from(s: Samples) -> SamplesData {
        SamplesData {
            sets: s.sets.iter().map(|e| (e.key, e.kept().to_vec())).collect(),
        }
    }
}

impl Samples {
    /// Offer a position; kept when it is among the earliest [`MAX_EVIDENCE`] of its key.
    #[inline]
    pub fn offer(&mut self, key: u16, pos: Pos) {
        let at = match self.sets.iter().position(|e| e.key == key) {
            Some(i) => i,
            None => {
                self.sets.push(Evidence {
                    key,
                    len: 0,
                    pos: [Pos::default(); MAX_EVIDENCE],
                });
                self.sets.len() - 1
            }
        };
        let e = &mut self.sets[at];
        let mut len = usize::from(e.len);
        // A chunk offers its lines in order: the usual new position goes last, with no search
        // and no move.
        if len < MAX_EVIDENCE && (len == 0 || e.pos[len - 1] < pos) {
            e.pos[len] = pos;
            e.len = (len + 1) as u8;
            return;
        }
        if len == MAX_EVIDENCE {
            if pos >= e.pos[len - 1] {
                return;
            }
            len -= 1;
        }
        let at = e.pos[..len].partition_point(|p| *p < pos);
        e.pos.copy_within(at..len, at + 1);
        e.pos[at] = pos;
        e.len = (len + 1) as u8;
    }

    /// The kept positions of `key`, earliest first.
    pub fn get(&self, key: u16) -> &[Pos] {
        self.sets
            .iter()
            .find(|e| e.key == key)
            .map_or(&[], Evidence::kept)
    }

    /// Apply `f` to every kept position (renumbering files), keeping each set sorted.
    pub fn for_each_pos(&mut self, mut f: impl FnMut(&mut Pos)) {
        for e in &mut self.sets {
            let len = usize::from(e.len);
            e.pos[..len].iter_mut().for_each(&mut f);
            e.pos[..len].sort_unstable();
        }
    }

    /// Fold `other` into `self`.
    pub fn merge(&mut self, other: Samples) {
        for e in &other.sets {
            // Chunks are absorbed in input order: a key this side already holds in full
            // usually holds only positions before any of the other's, which `offer` would
            // each turn away.
            let full_before = self.sets.iter().find(|m| m.key == e.key).is_some_and(|m| {
                usize::from(m.len) == MAX_EVIDENCE
                    && e.kept()
                        .first()
                        .is_none_or(|p| *p >= m.pos[MAX_EVIDENCE - 1])
            });
            if full_before {
                continue;
            }
            for &p in e.kept() {
                self.offer(e.key, p);
            }
        }
    }
}

/// A bottom-k set of 64-bit hashes: the `K` smallest distinct values seen. Its size is exact up
/// to `K`, and merging keeps the `K` smallest of the union, so it does not depend on the split.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BottomK<const K: usize> {
    values: Vec<u64>,
}

impl<const K: usize> BottomK<K> {
    /// Add a hash.
    #[inline]
    pub fn insert(&mut self, h: u64) {
        match self.values.binary_search(&h) {
            Ok(_) => {}
            Err(at) if at < K => {
                self.values.insert(at, h);
                self.values.truncate(K);
            }
            Err(_) => {}
        }
    }

    /// Distinct values seen, exact up to `K` (then `K`).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether nothing was seen.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Distinct values seen: exact below `K`, then the bottom-k estimate (K − 1) / (k-th
    /// smallest hash as a fraction of the hash space), standard error about 1/√(K − 2).
    pub fn estimate(&self) -> f64 {
        match self.values.last() {
            Some(&kth) if self.values.len() >= K && K > 1 => {
                (K - 1) as f64 / ((kth as f64 + 1.0) / 18_446_744_073_709_551_616.0)
            }
            _ => self.values.len() as f64,
        }
    }

    /// Fold `other` into `self`.
    pub fn merge(&mut self, other: BottomK<K>) {
        for h in other.values {
            self.insert(h);
        }
    }
}

/// What one client collected (misses and throttles), for scanner classification (SPEC §5: "one client probing many
/// nonexistent paths").
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ClientStats {
    /// The client as logged (address, or whatever the format calls the client).
    #[serde(with = "super::partial::bytes_box")]
    pub name: Box<[u8]>,
    /// Requests answered 429 or 503.
    pub throttled: u64,
    /// Requests answered 400/403/404/405/410/444: what a prober collects.
    pub misses: u64,
    /// Distinct endpoints among the misses (exact up to 64).
    pub missed_endpoints: BottomK<64>,
    /// Requests answered 503 (part of `throttled`).
    #[serde(default)]
    pub unavailable: u64,
    /// Distinct endpoints among the 503s (exact up to 64).
    #[serde(default)]
    pub unavailable_endpoints: BottomK<64>,
    /// Time (ms) of the first and the last 503.
    #[serde(default)]
    pub unavailable_span: Option<(i64, i64)>,
    /// Where the earliest 503s are (at most [`MAX_CLIENT_SAMPLES`], in input order).
    #[serde(default)]
    pub unavailable_samples: Vec<Pos>,
    /// Requests answered 429 (the rest of `throttled`).
    #[serde(default)]
    pub limited: u64,
    /// Time (ms) of the first and the last 429.
    #[serde(default)]
    pub limited_span: Option<(i64, i64)>,
    /// Misses on proxy requests (`CONNECT`, or an absolute-form `http://host/…` target): an
    /// origin server asked to relay is being probed for an open proxy (see [`is_proxy_request`]).
    #[serde(default)]
    pub proxy_probes: u64,
    /// Proxy requests answered otherwise (a client of the site writing its URLs absolute).
    #[serde(default)]
    pub proxy_served: u64,
}

/// Sample lines kept per client.
pub const MAX_CLIENT_SAMPLES: usize = 5;

impl ClientStats {
    /// Fold `other` into `self`; the name is the same by construction (same hash), the smaller
    /// is kept so a hash collision still merges deterministically.
    pub fn merge(&mut self, other: ClientStats) {
        if other.name < self.name || self.name.is_empty() {
            self.name = other.name;
        }
        self.throttled += other.throttled;
        self.misses += other.misses;
        self.missed_endpoints.merge(other.missed_endpoints);
        self.unavailable += other.unavailable;
        self.unavailable_endpoints
            .merge(other.unavailable_endpoints);
        self.unavailable_span = widen(self.unavailable_span, other.unavailable_span);
        self.limited += other.limited;
        self.limited_span = widen(self.limited_span, other.limited_span);
        self.proxy_probes += other.proxy_probes;
        self.proxy_served += other.proxy_served;
        self.unavailable_samples.extend(other.unavailable_samples);
        self.unavailable_samples.sort_unstable();
        self.unavailable_samples.truncate(MAX_CLIENT_SAMPLES);
    }

    /// Count a 503 to this client on endpoint hash `endpoint` at `time_ms`, line `pos`.
    pub fn add_unavailable(&mut self, endpoint: u64, time_ms: Option<i64>, pos: Pos) {
        self.unavailable += 1;
        if self.unavailable_samples.len() < MAX_CLIENT_SAMPLES {
            // A chunk is read in order, and chunks merge sorted: the earliest stay.
            self.unavailable_samples.push(pos);
        }
        self.unavailable_endpoints.insert(endpoint);
        self.unavailable_span = widen(self.unavailable_span, time_ms.map(|t| (t, t)));
    }

    /// Count a 429 to this client at `time_ms`.
    pub fn add_limited(&mut self, time_ms: Option<i64>) {
        self.limited += 1;
        self.limited_span = widen(self.limited_span, time_ms.map(|t| (t, t)));
    }
}

/// The span covering `a` and `b`.
pub fn widen(a: Option<(i64, i64)>, b: Option<(i64, i64)>) -> Option<(i64, i64)> {
    match (a, b) {
        (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
        (a, b) => a.or(b),
    }
}

/// Whether a status is what a prober of nonexistent paths collects (nginx's 444 included: a
/// site that drops probes with `return 444` answers its scanners with nothing else).
#[inline]
pub fn is_miss(status: u16) -> bool {
    matches!(status, 400 | 403 | 404 | 405 | 410 | 444)
}

/// Whether a request asks the server to act as a proxy: `CONNECT` (authority-form target) or an
/// absolute-form `http://`/`https://` target (RFC 9112 §3.2). Clients send those to proxies;
/// to an origin server, answered with a miss, they are a scanner looking for an open proxy.
pub fn is_proxy_request(method: &[u8], target: &[u8]) -> bool {
    let absolute = |scheme: &[u8]| {
        target
            .get(..scheme.len())
            .is_some_and(|t| t.eq_ignore_ascii_case(scheme))
    };
    method.eq_ignore_ascii_case(b"CONNECT") || absolute(b"http://") || absolute(b"https://")
}

/// Exact per-client request counts of an endpoint while it has few clients; past that, of a
/// sample of this many of them.
pub const CLIENT_SET_CAP: usize = 16;

/// One client's requests on one endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCount {
    /// Client hash.
    pub client: u64,
    /// Requests.
    pub requests: u64,
    /// Of which misses (see [`is_miss`]).
    pub misses: u64,
}

/// The clients of one endpoint: all of them while there are at most [`CLIENT_SET_CAP`] (and
/// every request names one), else a sample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientSet {
    /// Every client, sorted by hash.
    Few(Vec<ClientCount>),
    /// More clients than the cap, or some requests without a client: the [`CLIENT_SET_CAP`]
    /// clients with the smallest hashes, sorted, with their exact counts — a uniform sample of
    /// the endpoint's clients that does not depend on the order or the split of the input (a
    /// client among the smallest of the whole is among the smallest of every part it is in,
    /// and one pushed out never comes back).
    Many(Vec<ClientCount>),
}

impl Default for ClientSet {
    fn default() -> Self {
        ClientSet::Few(Vec::new())
    }
}

impl ClientSet {
    /// Count `requests` of client `h`, `misses` of them misses (`None`: the line names no
    /// client).
    #[inline]
    pub fn add(&mut self, h: Option<u64>, requests: u64, misses: u64) {
        // Most lines of a busy endpoint come from a client outside its full sample: one
        // comparison.
        if let ClientSet::Many(v) = self {
            match (h, v.last()) {
                (None, _) => return,
                (Some(h), Some(last)) if v.len() == CLIENT_SET_CAP && h > last.client => return,
                _ => {}
            }
        }
        self.add_known(h, requests, misses);
    }

    fn add_known(&mut self, h: Option<u64>, requests: u64, misses: u64) {
        let v = match self {
            ClientSet::Few(v) | ClientSet::Many(v) => v,
        };
        // Whether some client is now left out: the set is a sample from then on.
        let left_out = match h.map(|h| (h, v.binary_search_by_key(&h, |c| c.client))) {
            None => true,
            Some((_, Ok(i))) => {
                v[i].requests += requests;
                v[i].misses += misses;
                false
            }
            Some((_, Err(CLIENT_SET_CAP))) => true,
            Some((client, Err(i))) => {
                let full = v.len() == CLIENT_SET_CAP;
                if full {
                    v.pop();
                }
                v.insert(
                    i,
                    ClientCount {
                        client,
                        requests,
                        misses,
                    },
                );
                full
            }
        };
        if left_out {
            self.become_sample();
        }
    }

    /// From now on a sample: some client is left out.
    fn become_sample(&mut self) {
        if let ClientSet::Few(v) = self {
            *self = ClientSet::Many(std::mem::take(v));
        }
    }

    /// Fold `other` into `self`.
    pub fn merge(&mut self, other: ClientSet) {
        for c in other.known() {
            self.add(Some(c.client), c.requests, c.misses);
        }
        if matches!(other, ClientSet::Many(_)) {
            self.become_sample();
        }
    }

    /// The clients known: all of them ([`ClientSet::Few`]) or the sample.
    pub fn known(&self) -> &[ClientCount] {
        match self {
            ClientSet::Few(v) | ClientSet::Many(v) => v,
        }
    }
}

/// Throttled responses of one client on one endpoint, per minute: a bitmap of the seconds that
/// had one and the count. Enough to tell how soon the client came back.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThrottleTrack {
    /// Client hash.
    pub client: u64,
    /// (epoch minute, seconds bitmap, throttled responses), sorted by minute.
    pub minutes: Vec<(i64, u64, u32)>,
}

/// Most clients tracked per endpoint for retry storms (the smallest hashes: a uniform sample).
pub const THROTTLE_CLIENTS: usize = 32;
/// Most minutes tracked per client and endpoint (the earliest).
pub const THROTTLE_MINUTES: usize = 240;

impl ThrottleTrack {
    fn add(&mut self, minute: i64, second: u32, n: u32, bits: u64) {
        let bits = bits | (1u64 << second.min(63));
        match self.minutes.binary_search_by_key(&minute, |m| m.0) {
            Ok(i) => {
                self.minutes[i].1 |= bits;
                self.minutes[i].2 = self.minutes[i].2.saturating_add(n);
            }
            Err(i) if i < THROTTLE_MINUTES => {
                self.minutes.insert(i, (minute, bits, n));
                self.minutes.truncate(THROTTLE_MINUTES);
            }
            Err(_) => {}
        }
    }

    /// Throttled responses tracked.
    pub fn throttled(&self) -> u64 {
        self.minutes.iter().map(|m| u64::from(m.2)).sum()
    }

    /// Throttled responses that followed another one of the same client within two seconds
    /// (same second, or the next one).
    pub fn quick_returns(&self) -> u64 {
        let mut quick = 0u64;
        for (i, &(minute, bits, n)) in self.minutes.iter().enumerate() {
            let seconds = u64::from(bits.count_ones());
            quick += u64::from(n).saturating_sub(seconds);
            quick += u64::from((bits & (bits >> 1)).count_ones());
            if let Some(&(next, next_bits, _)) = self.minutes.get(i + 1) {
                if next == minute + 1 && bits & (1 << 59) != 0 && next_bits & 1 != 0 {
                    quick += 1;
                }
            }
        }
        quick
    }

    /// First and last tracked minute.
    pub fn span(&self) -> Option<(i64, i64)> {
        Some((self.minutes.first()?.0, self.minutes.last()?.0))
    }
}

/// Throttle timelines of an endpoint, a bottom-k sample of its throttled clients.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throttles {
    /// Sorted by client hash.
    pub tracks: Vec<ThrottleTrack>,
}

impl Throttles {
    /// Count a throttled response of client `h` at `time_ms`.
    #[inline]
    pub fn add(&mut self, h: u64, time_ms: i64) {
        let minute = time_ms.div_euclid(60_000);
        let second = (time_ms.rem_euclid(60_000) / 1000) as u32;
        self.add_bits(h, minute, second, 1, 0);
    }

    fn add_bits(&mut self, h: u64, minute: i64, second: u32, n: u32, bits: u64) {
        let i = match self.tracks.binary_search_by_key(&h, |t| t.client) {
            Ok(i) => i,
            Err(i) if i < THROTTLE_CLIENTS => {
                self.tracks.insert(
                    i,
                    ThrottleTrack {
                        client: h,
                        minutes: Vec::new(),
                    },
                );
                self.tracks.truncate(THROTTLE_CLIENTS);
                i
            }
            Err(_) => return,
        };
        self.tracks[i].add(minute, second, n, bits);
    }

    /// Fold `other` into `self`.
    pub fn merge(&mut self, other: Throttles) {
        for t in other.tracks {
            // Both sorted by client: once the tracks are full, a client above the last kept
            // one (and every one after it) is turned away by `add_bits`.
            if self.tracks.len() >= THROTTLE_CLIENTS
                && self.tracks.last().is_some_and(|l| t.client > l.client)
            {
                break;
            }
            for (minute, bits, n) in t.minutes {
                // Second 0 is already in `bits` if it was set; `add` ORs the rest in.
                let first = bits.trailing_zeros();
                self.add_bits(t.client, minute, first, n, bits);
            }
        }
    }
}

/// Power-of-two buckets of response sizes: bucket 0 is exactly 0 bytes, bucket `i` holds
/// `[2^(i-1), 2^i)`, the last one everything from 2^(N-2) up.
pub const SIZE_BUCKETS: usize = 16;

/// Bucket of a response size.
#[inline]
pub fn size_bucket(bytes: u64) -> usize {
    if bytes == 0 {
        0
    } else {
        ((64 - bytes.leading_zeros()) as usize).min(SIZE_BUCKETS - 1)
    }
}

/// The status an error marker implies, from its words: what `error-body-200` recommends.
/// 0 when the words do not say (an opaque error code).
pub fn implied_status(marker: &[u8]) -> u16 {
    let m = String::from_utf8_lossy(marker).to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| m.contains(w));
    if has(&[
        "not_found",
        "notfound",
        "not found",
        "no such",
        "unknown_id",
    ]) {
        404
    } else if has(&[
        "unauthenticated",
        "unauthorized",
        "unauthorised",
        "not_logged",
        "credential",
        "token_expired",
        "expired_token",
        "invalid_token",
    ]) {
        401
    } else if has(&[
        "forbidden",
        "permission",
        "denied",
        "not_allowed",
        "not allowed",
    ]) {
        403
    } else if has(&[
        "conflict",
        "duplicate",
        "already",
        "exists",
        "version_mismatch",
    ]) {
        409
    } else if has(&[
        "rate_limit",
        "ratelimit",
        "rate limit",
        "throttl",
        "too_many",
        "too many",
        "quota",
    ]) {
        429
    } else if has(&["timeout", "timed out", "timed_out", "deadline"]) {
        504
    } else if has(&["unavailable", "maintenance", "overload"]) {
        503
    } else if has(&[
        "upstream",
        "bad_gateway",
        "bad gateway",
        "connection refused",
    ]) {
        502
    } else if has(&["valid", "unprocessable", "schema", "required", "constraint"]) {
        422
    } else if has(&["bad_request", "bad request", "malformed", "parse", "syntax"]) {
        400
    } else if has(&["internal", "exception", "panic", "crash", "fatal"]) {
        500
    } else {
        0
    }
}

/// Marker bytes kept as an example.
pub const MARKER_BYTES: usize = 64;

/// 2xx responses with an error marker, by the status the marker implies, with the smallest
/// marker text of each as an example.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ErrorBodies {
    /// (implied status, count, example marker), unsorted.
    #[serde(with = "super::partial::marker_list")]
    pub classes: Vec<(u16, u64, Box<[u8]>)>,
    /// The marked responses by their own status (200, 201, …), unsorted.
    pub statuses: Vec<(u16, u64)>,
}

impl ErrorBodies {
    /// Count one marked 2xx answered `status`.
    pub fn add(&mut self, marker: &[u8], status: u16) {
        let marker = &marker[..marker.len().min(MARKER_BYTES)];
        self.add_n(implied_status(marker), 1, marker);
        self.add_status(status, 1);
    }

    fn add_status(&mut self, status: u16, n: u64) {
        match self.statuses.iter_mut().find(|s| s.0 == status) {
            Some(s) => s.1 += n,
            None => self.statuses.push((status, n)),
        }
    }

    /// The status most marked responses were answered with (ties: the lower code).
    pub fn usual_status(&self) -> Option<u16> {
        self.statuses
            .iter()
            .max_by_key(|(s, n)| (*n, std::cmp::Reverse(*s)))
            .map(|(s, _)| *s)
    }

    fn add_n(&mut self, implied: u16, n: u64, marker: &[u8]) {
        match self.classes.iter_mut().find(|c| c.0 == implied) {
            Some(c) => {
                c.1 += n;
                if marker < &*c.2 {
                    c.2 = marker.into();
                }
            }
            None => self.classes.push((implied, n, marker.into())),
        }
    }

    /// Fold `other` into `self`.
    pub fn merge(&mut self, other: ErrorBodies) {
        for (s, n, m) in other.classes {
            self.add_n(s, n, &m);
        }
        for (s, n) in other.statuses {
            self.add_status(s, n);
        }
    }

    /// Marked responses.
    pub fn total(&self) -> u64 {
        self.classes.iter().map(|c| c.1).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32) -> Pos {
        Pos {
            file: 0,
            chunk: 0,
            line,
        }
    }

    proptest::proptest! {
        /// Each key keeps the earliest `MAX_EVIDENCE` positions offered (a sorted prefix of
        /// all of them), split or not, and a partial's round trip keeps them.
        #[test]
        fn samples_are_the_earliest_offered(
            offers in proptest::collection::vec((0u16..4, 0u32..3, 0u32..50), 0..80),
            split in 0usize..80,
        ) {
            let at = |(k, c, l): (u16, u32, u32)| (k, Pos { file: 0, chunk: c, line: l });
            let mut whole = Samples::default();
            let (mut left, mut right) = (Samples::default(), Samples::default());
            for (i, &o) in offers.iter().enumerate() {
                let (k, p) = at(o);
                whole.offer(k, p);
                if i < split { left.offer(k, p) } else { right.offer(k, p) }
            }
            left.merge(right);
            let json = serde_json::to_string(&whole).expect("serialises");
            let back: Samples = serde_json::from_str(&json).expect("reads back");
            for key in 0..4u16 {
                let mut all: Vec<Pos> = offers.iter().map(|&o| at(o)).filter(|(k, _)| *k == key).map(|(_, p)| p).collect();
                all.sort();
                all.truncate(MAX_EVIDENCE);
                proptest::prop_assert_eq!(whole.get(key), &all[..]);
                proptest::prop_assert_eq!(left.get(key), &all[..]);
                proptest::prop_assert_eq!(back.get(key), &all[..]);
            }
        }
    }

    proptest::proptest! {
        /// Merging the throttles of any split of the responses, either way round, keeps the
        /// tracks adding them all one by one keeps: the same 32 clients with the smallest
        /// hashes (80 clients here, so the cap bites), the same minutes and seconds.
        #[test]
        fn throttles_merge_to_the_tracks_of_the_whole(
            hits in proptest::collection::vec((0u64..80, 0i64..600_000), 0..300),
            split in 0usize..300,
            swap in proptest::bool::ANY,
        ) {
            let (mut whole, mut left, mut right) =
                (Throttles::default(), Throttles::default(), Throttles::default());
            for (i, &(c, t)) in hits.iter().enumerate() {
                let h = c.wrapping_mul(0x9E37_79B9_7F4A_7C15);
                whole.add(h, t);
                if i < split { left.add(h, t) } else { right.add(h, t) }
            }
            let merged = if swap {
                right.merge(left);
                right
            } else {
                left.merge(right);
                left
            };
            proptest::prop_assert_eq!(merged.tracks, whole.tracks);
        }
    }

    #[test]
    fn proxy_requests_are_connect_and_absolute_form_targets() {
        assert!(is_proxy_request(b"CONNECT", b"www.google.com:443"));
        assert!(is_proxy_request(b"connect", b"10.0.0.1:25"));
        assert!(is_proxy_request(b"GET", b"http://azenv.net/"));
        assert!(is_proxy_request(b"HEAD", b"HTTPS://example.com"));
        assert!(!is_proxy_request(b"GET", b"/http://azenv.net/"));
        assert!(!is_proxy_request(b"OPTIONS", b"*"));
        assert!(!is_proxy_request(b"GET", b"http:"));
        assert!(!is_proxy_request(b"GET", b"/api/users"));
    }

    #[test]
    fn samples_are_written_as_before() {
        let mut s = Samples::default();
        s.offer(404, pos(7));
        s.offer(404, pos(3));
        s.offer(200, pos(1));
        assert_eq!(
            serde_json::to_string(&s).expect("serialises"),
            r#"{"sets":[[404,[{"file":0,"chunk":0,"line":3},{"file":0,"chunk":0,"line":7}]],[200,[{"file":0,"chunk":0,"line":1}]]]}"#
        );
    }

    #[test]
    fn samples_keep_the_earliest_whatever_the_order() {
        let mut a = Samples::default();
        for l in [9, 3, 7, 1, 8, 2, 6] {
            a.offer(404, pos(l));
        }
        let mut b = Samples::default();
        b.offer(404, pos(0));
        b.offer(500, pos(4));
        b.merge(a);
        let lines: Vec<u32> = b.get(404).iter().map(|p| p.line).collect();
        assert_eq!(lines, [0, 1, 2, 3, 6]);
        assert_eq!(b.get(500).len(), 1);
        assert!(b.get(200).is_empty());
    }

    #[test]
    fn bottom_k_is_split_independent() {
        let values: Vec<u64> = (0..200u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let mut whole = BottomK::<8>::default();
        values.iter().for_each(|&v| whole.insert(v));
        let (mut a, mut b) = (BottomK::<8>::default(), BottomK::<8>::default());
        values.iter().step_by(2).for_each(|&v| a.insert(v));
        values.iter().skip(1).step_by(2).for_each(|&v| b.insert(v));
        b.merge(a);
        assert_eq!(whole, b);
        assert_eq!(whole.len(), 8);
    }

    #[test]
    fn client_set_turns_many_past_the_cap_and_keeps_a_sample() {
        let mut s = ClientSet::default();
        for h in 0..CLIENT_SET_CAP as u64 {
            s.add(Some(h * 10), 2, 0);
        }
        assert!(matches!(&s, ClientSet::Few(v) if v.len() == CLIENT_SET_CAP));
        let mut t = s.clone();
        t.add(Some(30), 1, 1);
        assert!(
            matches!(&t, ClientSet::Few(v) if v[3] == ClientCount { client: 30, requests: 3, misses: 1 })
        );
        // A larger hash past the cap: many, the sample unchanged.
        let mut big = s.clone();
        big.add(Some(999), 1, 0);
        assert_eq!(big, ClientSet::Many(s.known().to_vec()));
        // A smaller one enters the sample and pushes out the largest, for good.
        s.add(Some(5), 4, 4);
        let ClientSet::Many(v) = &s else {
            panic!("past the cap: {s:?}")
        };
        assert_eq!(v.len(), CLIENT_SET_CAP);
        assert_eq!(
            v[1],
            ClientCount {
                client: 5,
                requests: 4,
                misses: 4
            }
        );
        assert_eq!(v.last().map(|c| c.client), Some(140));
        s.add(Some(150), 1, 0);
        assert_eq!(s.known().last().map(|c| c.client), Some(140));
        let mut u = ClientSet::default();
        u.add(Some(1), 1, 0);
        u.add(None, 1, 0);
        assert_eq!(
            u,
            ClientSet::Many(vec![ClientCount {
                client: 1,
                requests: 1,
                misses: 0
            }]),
            "a request without a client makes the set a sample"
        );
    }

    #[test]
    fn client_sample_is_the_same_whatever_the_split() {
        // Clients with uneven request counts, cut into parts at every place: merged, the parts
        // give the set of the whole (the smallest hashes, with exact counts).
        let reqs: Vec<(u64, u64)> = (0..200u64)
            .map(|i| ((i * 0x9E37_79B9_7F4A_7C15) % 1000, 1 + i % 3))
            .collect();
        let mut whole = ClientSet::default();
        for &(h, n) in &reqs {
            whole.add(Some(h), n, n % 2);
        }
        assert!(matches!(whole, ClientSet::Many(ref v) if v.len() == CLIENT_SET_CAP));
        let mut exact: std::collections::BTreeMap<u64, u64> = Default::default();
        for &(h, n) in &reqs {
            *exact.entry(h).or_default() += n;
        }
        for (c, (h, n)) in whole.known().iter().zip(&exact) {
            assert_eq!((c.client, c.requests), (*h, *n));
        }
        for cut in [1, 7, 50, 199] {
            let (mut a, mut b) = (ClientSet::default(), ClientSet::default());
            for &(h, n) in &reqs[..cut] {
                a.add(Some(h), n, n % 2);
            }
            for &(h, n) in &reqs[cut..] {
                b.add(Some(h), n, n % 2);
            }
            b.merge(a);
            assert_eq!(b, whole, "cut at {cut}");
        }
    }

    #[test]
    fn quick_returns_count_same_and_next_second() {
        let mut t = Throttles::default();
        // 3 throttles in second 10, one in 11, one in 40, one at 59 and one at 60 (next minute).
        for ms in [10_000, 10_300, 10_900, 11_200, 40_000, 59_500, 60_100] {
            t.add(7, ms);
        }
        let track = &t.tracks[0];
        assert_eq!(track.throttled(), 7);
        // Same second: 2 (second 10); adjacent seconds: 10→11; minute boundary: 59→0.
        assert_eq!(track.quick_returns(), 4);
        // Merging two halves gives the same track.
        let (mut a, mut b) = (Throttles::default(), Throttles::default());
        for (i, ms) in [10_000, 10_300, 10_900, 11_200, 40_000, 59_500, 60_100]
            .into_iter()
            .enumerate()
        {
            if i % 2 == 0 {
                a.add(7, ms)
            } else {
                b.add(7, ms)
            }
        }
        a.merge(b);
        assert_eq!(a, t);
    }

    #[test]
    fn markers_imply_statuses() {
        assert_eq!(implied_status(b"USER_NOT_FOUND"), 404);
        assert_eq!(implied_status(b"VALIDATION"), 422);
        assert_eq!(implied_status(b"conflict"), 409);
        assert_eq!(implied_status(b"upstream timeout"), 504);
        assert_eq!(implied_status(b"permission denied"), 403);
        assert_eq!(implied_status(b"E_X"), 0);
        assert_eq!(size_bucket(0), 0);
        assert_eq!(size_bucket(1), 1);
        assert_eq!(size_bucket(255), 8);
        assert_eq!(size_bucket(u64::MAX), SIZE_BUCKETS - 1);
    }
}

//! The bounded parts of the endpoint table: `{param}` collapse before the cap, the heavy-hitter
//! bookkeeping that decides which endpoints the cap keeps, and the distinct count of what it
//! folded.
//!
//! All three are driven by [`Aggregate::absorb`](super::Aggregate::absorb), which the run calls
//! once per chunk *in input order* (file, then chunk): their state is a function of the input
//! alone, whatever the number of workers that parsed the chunks.

use std::hash::BuildHasher;

use rustc_hash::{FxHashMap, FxHashSet};

use super::EndpointKey;
use serde::{Deserialize, Serialize};

/// More distinct literal values than this at one position under one parent → `{param}`.
pub const COLLAPSE_THRESHOLD: usize = crate::route::COLLAPSE_THRESHOLD;
/// Most parent positions whose children are tracked. A parent that went wide stays (it decides
/// how later routes are keyed); narrow ones with a single child are dropped when the tracker is
/// full, and when nothing can be dropped new parents are not tracked (their children compete
/// for the cap as they are).
pub const MAX_PARENTS: usize = 16_384;

/// Children seen under one parent position, by hash of the segment (a 64-bit collision would
/// count two children as one: at most one short of the threshold, never a wrong key).
#[derive(Clone, Debug)]
enum Children {
    /// One child: most parents of scanner junk never get a second.
    One(u64),
    /// Exact while at most [`COLLAPSE_THRESHOLD`].
    Few(FxHashSet<u64>),
    /// Past the threshold: the position is `{param}`.
    Wide,
}

/// Decides, route by route, which segment positions are `{param}`: a position under one parent
/// with more than [`COLLAPSE_THRESHOLD`] distinct literal values is collapsed as soon as it
/// has them, so a route with 30 000 slugs takes one slot in the table, not 30 000. Parents are
/// keyed by the hash of their (collapsed) prefix; nothing is allocated per route but the
/// mapped route itself.
#[derive(Clone, Debug, Default)]
pub struct Collapser {
    parents: FxHashMap<u64, Children>,
}

/// What [`Collapser::map`] found.
pub struct Mapped {
    /// The route with its wide positions collapsed; `None` when that is the route itself.
    pub route: Option<String>,
    /// Parents that went wide while mapping it: routes already in the table under them need
    /// re-keying.
    pub widened: Vec<String>,
}

fn is_placeholder(seg: &str) -> bool {
    seg.len() >= 2 && seg.starts_with('{') && seg.ends_with('}')
}

fn hash(s: &str) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(s)
}

impl Collapser {
    /// Map `route` through the wide positions, recording its literal segments as children (which
    /// may widen a parent). The first segment never collapses: it names the API, not a value.
    pub fn map(&mut self, route: &str) -> Mapped {
        let mut widened = Vec::new();
        if !route.starts_with('/') {
            return Mapped {
                route: None,
                widened,
            };
        }
        // The mapped route is built from the first collapsed position on; until then the
        // collapsed prefix is the route's own (most routes: nothing is built).
        let mut out: Option<String> = None;
        let mut end = 0;
        // Segments cut as bytes (as `split('/')` would cut the text, without its per-segment
        // search setup: segments are short, and a log of scanner junk brings a new route to
        // map per line); `end` is where each one's `/` stands.
        for (depth, bytes) in route.as_bytes()[1..].split(|&b| b == b'/').enumerate() {
            let seg = &route[end + 1..end + 1 + bytes.len()];
            let prefix = out.as_deref().unwrap_or(&route[..end]);
            let collapse = if depth > 0 && seg == "{param}" {
                // Collapsed elsewhere (an absorbed partial): the position is wide here too.
                if self.widen(hash(prefix)) {
                    widened.push(prefix.to_string());
                }
                true
            } else if depth > 0 && !is_placeholder(seg) {
                match self.observe(hash(prefix), hash(seg)) {
                    Seen::Narrow => false,
                    Seen::Wide => true,
                    Seen::Widened => {
                        widened.push(prefix.to_string());
                        true
                    }
                }
            } else {
                false
            };
            if collapse && out.is_none() {
                let mut o = String::with_capacity(route.len() + 8);
                o.push_str(&route[..end]);
                out = Some(o);
            }
            if let Some(o) = out.as_mut() {
                o.push('/');
                o.push_str(if collapse { "{param}" } else { seg });
            }
            end += 1 + seg.len();
        }
        Mapped {
            route: out,
            widened,
        }
    }

    /// Make room for a new parent: drop the single-child ones (they would need the threshold's
    /// worth of new children to matter). False when the tracker is still full.
    fn room(&mut self) -> bool {
        if self.parents.len() >= MAX_PARENTS {
            self.parents.retain(|_, c| !matches!(c, Children::One(_)));
        }
        self.parents.len() < MAX_PARENTS
    }

    /// Mark `parent` wide; true when it was not yet.
    fn widen(&mut self, parent: u64) -> bool {
        match self.parents.get_mut(&parent) {
            Some(Children::Wide) => false,
            Some(c) => {
                *c = Children::Wide;
                true
            }
            None => {
                // A wide parent is kept even past the bound: it decides how routes are keyed.
                self.room();
                self.parents.insert(parent, Children::Wide);
                true
            }
        }
    }

    /// Record `child` under `parent`.
    fn observe(&mut self, parent: u64, child: u64) -> Seen {
        if let Some(c) = self.parents.get_mut(&parent) {
            return match c {
                Children::Wide => Seen::Wide,
                Children::One(first) => {
                    if *first != child {
                        let mut set = FxHashSet::default();
                        set.insert(*first);
                        set.insert(child);
                        *c = Children::Few(set);
                    }
                    Seen::Narrow
                }
                Children::Few(set) => {
                    if !set.contains(&child) {
                        if set.len() >= COLLAPSE_THRESHOLD {
                            *c = Children::Wide;
                            return Seen::Widened;
                        }
                        set.insert(child);
                    }
                    Seen::Narrow
                }
            };
        }
        if self.room() {
            self.parents.insert(parent, Children::One(child));
        }
        Seen::Narrow
    }
}

/// What [`Collapser::observe`] made of a child.
enum Seen {
    Narrow,
    Wide,
    /// This child made the position wide.
    Widened,
}

/// Rewrite `route` (one of the table's) for a parent that went wide: the literal segment right
/// under `parent` becomes `{param}`. `None` when the route is not under it.
pub fn rekey(route: &str, parent: &str) -> Option<String> {
    let rest = route.strip_prefix(parent)?.strip_prefix('/')?;
    let (seg, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if seg.is_empty() || is_placeholder(seg) {
        return None;
    }
    Some(format!("{parent}/{{param}}{tail}"))
}

/// Misra–Gries bookkeeping for the capped part of the endpoint table (Misra and Gries, 1982),
/// merged one absorbed aggregate at a time as in Agarwal et al., "Mergeable Summaries", PODS
/// 2012.
///
/// Each kept key has a counter. An absorbed aggregate's new rows come as one batch; when the
/// table and the batch together hold more keys than the capacity k, the (k+1)-th largest
/// counter t is subtracted from every counter and the keys left at zero or below go to
/// `(other)`. Every subtraction takes at least (k+1)·t from the sum of the counters, so the
/// subtractions total at most `N / (k + 1)`: every key with more than that many requests is in
/// the table at the end, and the requests of a kept key counted under `(other)` (before it
/// came back) are at most [`Heavy::offset`]. Ties need no order: every key at t goes.
#[derive(Clone, Debug, Default)]
pub struct Heavy {
    /// Sum of the subtractions so far.
    pub offset: u64,
    /// Key → counter. Keys are shared with the table: no copy of the bytes.
    counters: FxHashMap<EndpointKey, u64>,
}

impl Heavy {
    /// Keys tracked.
    pub fn len(&self) -> usize {
        self.counters.len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty()
    }

    /// The keys tracked.
    pub fn keys(&self) -> impl Iterator<Item = &EndpointKey> {
        self.counters.keys()
    }

    /// Whether `key` is tracked.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.counters.contains_key(key)
    }

    /// Add `w` to a tracked key's counter; false when the key is not tracked.
    pub fn bump(&mut self, key: &[u8], w: u64) -> bool {
        match self.counters.get_mut(key) {
            Some(c) => {
                *c += w;
                true
            }
            None => false,
        }
    }

    /// Start tracking `key` with counter `w` (a key the table just took in).
    pub fn insert(&mut self, key: EndpointKey, w: u64) {
        self.counters.insert(key, w);
    }

    /// Stop tracking `key`; returns its counter.
    pub fn remove(&mut self, key: &[u8]) -> Option<u64> {
        self.counters.remove(key)
    }

    /// Make room for a batch of new keys with counters `incoming` in a table of `capacity`
    /// keys: the threshold t to subtract (0 when everything fits). Tracked keys at t or below
    /// are removed and returned, the others lose t; the caller drops the batch keys at t or
    /// below and keeps the others with their counter less t.
    pub fn make_room(&mut self, incoming: &[u64], capacity: usize) -> (u64, Vec<EndpointKey>) {
        if self.counters.len() + incoming.len() <= capacity {
            return (0, Vec::new());
        }
        let mut all: Vec<u64> = self.counters.values().copied().collect();
        all.extend_from_slice(incoming);
        let (_, &mut t, _) = all.select_nth_unstable_by(capacity, |a, b| b.cmp(a));
        self.offset += t;
        let mut evicted = Vec::new();
        self.counters.retain(|k, c| {
            if *c <= t {
                evicted.push(k.clone());
                false
            } else {
                *c -= t;
                true
            }
        });
        (t, evicted)
    }
}

/// Registers of the distinct-count sketch (2^12: standard error 1.04/√4096 ≈ 1.6 %).
const HLL_BITS: u32 = 12;
const HLL_REGISTERS: usize = 1 << HLL_BITS;
/// Distinct keys counted exactly before the sketch takes over.
const EXACT_DISTINCT: usize = 4096;

/// Distinct count of folded routes: exact up to [`EXACT_DISTINCT`], then a HyperLogLog estimate
/// (Flajolet et al., 2007) with its standard error. Mergeable and independent of order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distinct {
    /// Exact hashes while few, sorted.
    exact: Vec<u64>,
    /// HyperLogLog registers once past [`EXACT_DISTINCT`] (empty before).
    #[serde(with = "super::partial::bytes_vec")]
    registers: Vec<u8>,
}

/// A 64-bit finaliser (SplitMix64) so that HyperLogLog sees well-spread bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Distinct {
    /// Count a key by its hash.
    pub fn insert(&mut self, h: u64) {
        if self.registers.is_empty() {
            if let Err(at) = self.exact.binary_search(&h) {
                self.exact.insert(at, h);
            }
            if self.exact.len() > EXACT_DISTINCT {
                self.registers = vec![0; HLL_REGISTERS];
                for v in std::mem::take(&mut self.exact) {
                    self.register(v);
                }
            }
        } else {
            self.register(h);
        }
    }

    fn register(&mut self, h: u64) {
        let x = mix(h);
        let idx = (x >> (64 - HLL_BITS)) as usize;
        let rank = ((x << HLL_BITS) | (1 << (HLL_BITS - 1))).leading_zeros() as u8 + 1;
        if self.registers[idx] < rank {
            self.registers[idx] = rank;
        }
    }

    /// Fold `other` in.
    pub fn merge(&mut self, other: &Distinct) {
        for &h in &other.exact {
            self.insert(h);
        }
        if !other.registers.is_empty() {
            if self.registers.is_empty() {
                self.registers = vec![0; HLL_REGISTERS];
                for v in std::mem::take(&mut self.exact) {
                    self.register(v);
                }
            }
            for (a, b) in self.registers.iter_mut().zip(&other.registers) {
                *a = (*a).max(*b);
            }
        }
    }

    /// The count, and whether it is an estimate.
    pub fn count(&self) -> (u64, bool) {
        if self.registers.is_empty() {
            return (self.exact.len() as u64, false);
        }
        let m = HLL_REGISTERS as f64;
        let sum: f64 = self
            .registers
            .iter()
            .map(|&r| 2f64.powi(-i32::from(r)))
            .sum();
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let raw = alpha * m * m / sum;
        let zeros = self.registers.iter().filter(|&&r| r == 0).count();
        let est = if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        (est.round() as u64, true)
    }

    /// Relative standard error of the estimate (0 while exact).
    pub fn relative_error(&self) -> f64 {
        if self.registers.is_empty() {
            0.0
        } else {
            1.04 / (HLL_REGISTERS as f64).sqrt()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wide_position_collapses_when_it_passes_the_threshold() {
        let mut c = Collapser::default();
        let mut widened = Vec::new();
        for i in 0..=COLLAPSE_THRESHOLD {
            let m = c.map(&format!("/blog/post-{i}/comments"));
            widened.extend(m.widened);
            if i < COLLAPSE_THRESHOLD {
                assert_eq!(m.route, None, "unchanged: /blog/post-{i}/comments");
            } else {
                assert_eq!(m.route.as_deref(), Some("/blog/{param}/comments"));
            }
        }
        assert_eq!(widened, ["/blog"]);
        assert_eq!(
            c.map("/blog/new-one").route.as_deref(),
            Some("/blog/{param}")
        );
        assert_eq!(c.map("/blog/{id}").route, None);
        // the first segment never collapses
        for i in 0..200 {
            assert_eq!(c.map(&format!("/x{i}")).route, None);
        }
        assert_eq!(
            rekey("/blog/post-3/comments", "/blog").as_deref(),
            Some("/blog/{param}/comments")
        );
        assert_eq!(rekey("/blogs/x", "/blog"), None);
        assert_eq!(rekey("/blog/{param}", "/blog"), None);
    }

    #[test]
    fn misra_gries_keeps_what_is_frequent() {
        // Capacity 4; batches of junk seen once and one key three times per batch.
        let cap = 4;
        let mut h = Heavy::default();
        let mut folded = 0u64;
        let mut n = 0u64;
        for batch in 0..50u32 {
            let mut keys: Vec<(EndpointKey, u64)> = (0..6)
                .map(|i| {
                    (
                        EndpointKey::from_bytes(format!("junk{batch}-{i}").as_bytes()),
                        1,
                    )
                })
                .collect();
            n += 6 + 3;
            if !h.bump(b"real", 3) {
                keys.push((EndpointKey::from_bytes(b"real"), 3));
            }
            let ws: Vec<u64> = keys.iter().map(|k| k.1).collect();
            let (t, evicted) = h.make_room(&ws, cap);
            folded += evicted.len() as u64;
            for (k, w) in keys {
                if w > t {
                    h.insert(k, w - t);
                } else {
                    folded += 1;
                }
            }
            assert!(h.len() <= cap);
        }
        assert!(h.contains(b"real"));
        assert!(folded > 0);
        assert!(
            h.offset <= n / (cap as u64 + 1),
            "offset {} of {n}",
            h.offset
        );
        // Everything fits: nothing is subtracted.
        let mut h = Heavy::default();
        assert_eq!(h.make_room(&[5, 1, 1], 3), (0, Vec::new()));
        h.insert(EndpointKey::from_bytes(b"a"), 2);
        h.insert(EndpointKey::from_bytes(b"b"), 7);
        // Ties at the threshold all go: counters 7, 2 | 2, 1 with capacity 2 → t = 2.
        let (t, evicted) = h.make_room(&[2, 1], 2);
        assert_eq!(t, 2);
        assert_eq!(evicted, [EndpointKey::from_bytes(b"a")]);
        assert_eq!(h.remove(b"b"), Some(5));
    }

    #[test]
    fn distinct_is_exact_then_estimates() {
        let mut d = Distinct::default();
        for i in 0..1000u64 {
            d.insert(i);
            d.insert(i);
        }
        assert_eq!(d.count(), (1000, false));
        let mut a = Distinct::default();
        let mut b = Distinct::default();
        for i in 0..100_000u64 {
            if i % 3 == 0 {
                a.insert(i);
            } else {
                b.insert(i);
            }
        }
        a.merge(&b);
        let (n, est) = a.count();
        assert!(est);
        let err = (n as f64 - 100_000.0).abs() / 100_000.0;
        assert!(err < 4.0 * a.relative_error(), "estimate {n}");
        let mut c = b.clone();
        c.merge(&a);
        assert_eq!(c.count(), a.count(), "merge is order-independent");
    }
}

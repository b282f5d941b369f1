//! Partial aggregates (`--format partial`, SPEC §7): the whole unfinished [`Aggregate`] of a run
//! and its file list, written so that another run can merge it exactly.
//!
//! # Format, version 4
//!
//! One JSON document (compress it with gzip or zstd if you like; inputs are sniffed by magic
//! bytes, partials included):
//!
//! ```text
//! {"statuslens_partial": 4,            format version; a reader refuses other versions
//!  "statuslens_version": "0.1.0",      the writer; partials merge only with the same version,
//!                                      because client and endpoint hashes are the build's
//!  "files": [{"name", "format", "compression", "error"}],   inputs, file index = position
//!  "aggregate": {
//!    "endpoints": [["METHOD route", {…EndpointStats…}], …]  sorted by key,
//!    "rejects": {reason: {"count", "samples": [{"pos": {"file", "chunk", "line"}, "snippet"}]}},
//!    "files": {index: {"lines", "parsed", "rejected", "skipped", "switched"}}, `switched`
//!                                      (optional) the parsed lines per `SWITCH_FORMATS` kind,
//!    "chunk_lines": [[file, chunk, lines], …],
//!    "chunk_offsets": [[file, chunk, byte], …],   where each chunk starts in the file's
//!                                      decoded stream (optional: sample text is then found
//!                                      by counting lines),
//!    "out_of_window", "folded_lines", "fold_error", "clients_untracked": integers,
//!    "folded_routes": {"exact": [hash, …], "registers": HyperLogLog registers (bytes)},
//!    "clients": {hash: {"name", "misses", "throttled", "missed_endpoints", … the other
//!                       ClientStats fields, each optional (absent reads as none)}}}}
//! ```
//!
//! Latencies (`latency`, `latency_2xx`, `latency_500`) are `{"hist", "min", "max", "whole_s"}`:
//! the histogram in HdrHistogram's standard V2 serialization, base64-encoded (or null), the
//! exact least and greatest value in µs, and how many values were logged in whole seconds
//! (version 3 had the bare histograms and `max_us`). Byte strings
//! (routes, client names, samples) are JSON strings when they are UTF-8, else `{"base64": …}`.
//! Every other field is the [`EndpointStats`](super::EndpointStats) field of the same name.
//! An endpoint's `clients` is `{"few": [{"client", "requests", "misses"}, …]}` (every client) or
//! `{"many": […]}` (the 16 with the smallest hashes: a sample that merges exactly).
//! Partials are written *before* [`Aggregate::finish`]. Below the route cap, merging partials
//! and finishing once gives the report of a single run byte for byte; beyond it the two can
//! differ in which endpoints' early requests went to `(other)`, by at most the `fold_error`
//! each reports.

use std::collections::BTreeMap;
use std::io::Read;

use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer as HdrDeserializer, Serializer as _, V2Serializer};
use hdrhistogram::Histogram;
use serde::de::{DeserializeOwned, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::{Aggregate, FileInfo, Pos, RunOutput};

/// Version of the partial format.
pub const PARTIAL_VERSION: u32 = 4;

/// The bytes a partial starts with (after optional whitespace).
const MAGIC: &[u8] = b"{\"statuslens_partial\":";

/// Whether `prefix` (the first bytes of a decompressed input) is a partial aggregate.
pub fn is_partial(prefix: &[u8]) -> bool {
    let start = prefix
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(prefix.len());
    prefix[start..].starts_with(MAGIC)
}

#[derive(Serialize, Deserialize)]
struct FileEntry {
    name: String,
    format: Option<String>,
    compression: Option<String>,
    error: Option<String>,
}

#[derive(Serialize)]
struct PartialOut<'a> {
    statuslens_partial: u32,
    statuslens_version: &'static str,
    files: Vec<FileEntry>,
    aggregate: &'a Aggregate,
}

#[derive(Deserialize)]
struct PartialHeader {
    statuslens_partial: u32,
}

#[derive(Deserialize)]
struct PartialIn {
    statuslens_partial: u32,
    statuslens_version: String,
    files: Vec<FileEntry>,
    aggregate: Aggregate,
}

/// Write `out` (unfinished) as a partial.
pub fn write(out: &RunOutput, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let doc = PartialOut {
        statuslens_partial: PARTIAL_VERSION,
        statuslens_version: env!("CARGO_PKG_VERSION"),
        files: out
            .files
            .iter()
            .map(|f| FileEntry {
                name: f.name.clone(),
                format: f.format.clone(),
                compression: f.compression.map(str::to_string),
                error: f.error.clone(),
            })
            .collect(),
        aggregate: &out.aggregate,
    };
    serde_json::to_writer(&mut *w, &doc).map_err(std::io::Error::from)?;
    w.write_all(b"\n")
}

/// Compression names as `&'static str` (what [`FileInfo`] holds).
fn static_compression(c: &str) -> &'static str {
    use crate::input::decompress::Compression;
    [Compression::Gzip, Compression::Zstd, Compression::Utf16]
        .map(Compression::as_str)
        .into_iter()
        .find(|&name| name == c)
        .unwrap_or("none")
}

fn invalid(e: &serde_json::Error) -> String {
    format!(
        "not a valid statuslens partial aggregate (line {}, column {}): {e}",
        e.line(),
        e.column()
    )
}

fn unsupported(version: u32) -> String {
    format!(
        "partial aggregate format {version} is not supported (this statuslens reads version {PARTIAL_VERSION})"
    )
}

/// Read a partial.
pub fn read(r: &mut dyn Read) -> Result<RunOutput, String> {
    let mut text = Vec::new();
    r.read_to_end(&mut text)
        .map_err(|e| format!("cannot read the partial aggregate: {e}"))?;
    let doc: PartialIn = match serde_json::from_slice(&text) {
        Ok(doc) => doc,
        // A newer format is named as such rather than as a parse error.
        Err(e) => match serde_json::from_slice::<PartialHeader>(&text) {
            Ok(h) if h.statuslens_partial != PARTIAL_VERSION => {
                return Err(unsupported(h.statuslens_partial))
            }
            _ => return Err(invalid(&e)),
        },
    };
    if doc.statuslens_partial != PARTIAL_VERSION {
        return Err(unsupported(doc.statuslens_partial));
    }
    if doc.statuslens_version != env!("CARGO_PKG_VERSION") {
        return Err(format!(
            "written by statuslens {}, read by {}: partials merge only within one version (write them again)",
            doc.statuslens_version,
            env!("CARGO_PKG_VERSION")
        ));
    }
    plausible(&doc.aggregate)?;
    let files = doc.files.into_iter().map(file_info).collect();
    Ok(RunOutput {
        aggregate: doc.aggregate,
        files,
    })
}

/// Largest count a partial may hold: 2^48 requests (hundreds of trillions) is beyond any log,
/// and keeps the sums of up to 65 536 merged partials inside 64 bits.
pub const MAX_PLAUSIBLE_COUNT: u64 = 1 << 48;

/// Refuse a partial whose counts no log could produce (a corrupt or forged file), so that
/// merges never wrap around.
fn plausible(agg: &Aggregate) -> Result<(), String> {
    let too_big = |what: &str, n: u64| {
        (n > MAX_PLAUSIBLE_COUNT).then(|| {
            format!(
                "not a plausible partial aggregate: {what} is {n}, more than 2^48 (a corrupt or edited file?)"
            )
        })
    };
    let mut checks: Vec<(String, u64)> = vec![
        ("folded_lines".into(), agg.folded_lines),
        ("out_of_window".into(), agg.out_of_window),
        ("clients_untracked".into(), agg.clients_untracked),
        ("fold_error".into(), agg.fold_error),
    ];
    for (k, e) in &agg.endpoints {
        let name = String::from_utf8_lossy(k.as_bytes()).into_owned();
        checks.push((format!("the count of `{name}`"), e.count));
        checks.push((format!("the byte total of `{name}`"), e.bytes_count));
        for (code, n) in &e.statuses {
            checks.push((format!("the {code} count of `{name}`"), *n));
        }
    }
    for (i, f) in &agg.files {
        checks.push((format!("the line count of file {i}"), f.lines));
    }
    for (r, v) in &agg.rejects {
        checks.push((format!("the {r:?} reject count"), v.count));
    }
    for c in agg.clients.values() {
        checks.push((
            "a client's miss count".into(),
            c.misses.saturating_add(c.throttled),
        ));
    }
    match checks.into_iter().find_map(|(w, n)| too_big(&w, n)) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

impl Aggregate {
    /// Renumber file indices: file `i` becomes `map[i]` (in samples, line counts and chunks).
    pub fn remap_files(&mut self, map: &[u32]) {
        let re = |f: u32| map.get(f as usize).copied().unwrap_or(f);
        let pos = |p: &mut Pos| p.file = re(p.file);
        for e in self.endpoints.values_mut() {
            e.samples.for_each_pos(pos);
            for (p, _) in &mut e.referers_404.pages {
                pos(p);
            }
            e.referers_404.pages.sort_by_key(|(p, _)| *p);
        }
        for r in self.rejects.values_mut() {
            for s in &mut r.samples {
                pos(&mut s.pos);
            }
            r.samples.sort_by_key(|s| s.pos);
        }
        self.files = std::mem::take(&mut self.files)
            .into_iter()
            .map(|(f, c)| (re(f), c))
            .collect();
        for c in &mut self.chunk_lines {
            c.0 = re(c.0);
        }
        for c in &mut self.chunk_offsets {
            c.0 = re(c.0);
        }
    }
}

/// The canonical file order of several parts (a run over logs, partials): by name, then by
/// order of arrival. Returns the files in that order and, per part, the new index of each of
/// its files. Merging in this order makes the earliest-sample choices, which follow file order,
/// the same however the inputs were sharded.
pub fn canonical_order(parts: &[Vec<FileInfo>]) -> (Vec<FileInfo>, Vec<Vec<u32>>) {
    let mut all_files: Vec<(&FileInfo, usize, usize)> = Vec::new(); // (file, part, index in part)
    for (p, files) in parts.iter().enumerate() {
        for (i, f) in files.iter().enumerate() {
            all_files.push((f, p, i));
        }
    }
    let mut order: Vec<usize> = (0..all_files.len()).collect();
    order.sort_by(|&a, &b| {
        all_files[a]
            .0
            .name
            .cmp(&all_files[b].0.name)
            .then(a.cmp(&b))
    });
    let mut maps: Vec<Vec<u32>> = parts.iter().map(|p| vec![0; p.len()]).collect();
    for (new, &old) in order.iter().enumerate() {
        let (_, p, i) = all_files[old];
        maps[p][i] = new as u32;
    }
    let files = order.iter().map(|&i| all_files[i].0.clone()).collect();
    (files, maps)
}

/// Read only the file list of a partial (to plan a merge before reading the aggregates one by
/// one, so memory holds one partial at a time).
pub fn read_files(r: &mut dyn Read) -> Result<Vec<FileInfo>, String> {
    #[derive(Deserialize)]
    struct FilesOnly {
        statuslens_partial: u32,
        files: Vec<FileEntry>,
    }
    let doc: FilesOnly =
        serde_json::from_reader(std::io::BufReader::new(r)).map_err(|e| invalid(&e))?;
    if doc.statuslens_partial != PARTIAL_VERSION {
        return Err(unsupported(doc.statuslens_partial));
    }
    Ok(doc.files.into_iter().map(file_info).collect())
}

fn file_info(f: FileEntry) -> FileInfo {
    FileInfo {
        name: f.name,
        format: f.format,
        compression: f.compression.as_deref().map(static_compression),
        error: f.error,
    }
}

/// Byte strings: a JSON string when UTF-8, else `{"base64": "…"}`.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum ByteText {
    Text(String),
    Binary { base64: String },
}

fn to_text(b: &[u8]) -> ByteText {
    match std::str::from_utf8(b) {
        Ok(s) => ByteText::Text(s.to_string()),
        Err(_) => ByteText::Binary {
            base64: base64::engine::general_purpose::STANDARD.encode(b),
        },
    }
}

fn from_text<E: serde::de::Error>(t: ByteText) -> Result<Vec<u8>, E> {
    match t {
        ByteText::Text(s) => Ok(s.into_bytes()),
        ByteText::Binary { base64 } => base64::engine::general_purpose::STANDARD
            .decode(base64)
            .map_err(E::custom),
    }
}

/// `Vec<u8>` as [`ByteText`].
pub mod bytes_vec {
    use super::*;

    /// Serialize.
    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        to_text(b).serialize(s)
    }

    /// Deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        from_text(ByteText::deserialize(d)?)
    }
}

/// `Box<[u8]>` as [`ByteText`].
pub mod bytes_box {
    use super::*;

    /// Serialize.
    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        to_text(b).serialize(s)
    }

    /// Deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<[u8]>, D::Error> {
        Ok(from_text(ByteText::deserialize(d)?)?.into())
    }
}

/// Error-marker classes with their example marker as [`ByteText`].
pub mod marker_list {
    use super::*;

    /// (implied status, count, example marker).
    type MarkerClass = (u16, u64, Box<[u8]>);

    /// Serialize.
    pub fn serialize<S: Serializer>(v: &[MarkerClass], s: S) -> Result<S::Ok, S::Error> {
        let mut sorted: Vec<(u16, u64, ByteText)> =
            v.iter().map(|(c, n, m)| (*c, *n, to_text(m))).collect();
        sorted.sort_by_key(|x| x.0);
        sorted.serialize(s)
    }

    /// Deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<MarkerClass>, D::Error> {
        Vec::<(u16, u64, ByteText)>::deserialize(d)?
            .into_iter()
            .map(|(c, n, m)| Ok((c, n, from_text::<D::Error>(m)?.into())))
            .collect()
    }
}

/// Referring pages: `[[position, page], …]`, pages as [`ByteText`].
pub mod referer_list {
    use super::*;

    /// (first position, page).
    type Page = (Pos, Box<[u8]>);

    /// Serialize.
    pub fn serialize<S: Serializer>(v: &[Page], s: S) -> Result<S::Ok, S::Error> {
        let out: Vec<(Pos, ByteText)> = v.iter().map(|(p, m)| (*p, to_text(m))).collect();
        out.serialize(s)
    }

    /// Deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Page>, D::Error> {
        Vec::<(Pos, ByteText)>::deserialize(d)?
            .into_iter()
            .map(|(p, m)| Ok((p, from_text::<D::Error>(m)?.into())))
            .collect()
    }
}

/// An optional HdrHistogram as base64 of its V2 serialization.
pub mod histogram {
    use super::*;

    /// Serialize.
    pub fn serialize<S: Serializer>(h: &Option<Histogram<u64>>, s: S) -> Result<S::Ok, S::Error> {
        match h {
            None => s.serialize_none(),
            Some(h) => {
                let mut buf = Vec::new();
                V2Serializer::new()
                    .serialize(h, &mut buf)
                    .map_err(|e| serde::ser::Error::custom(format!("{e:?}")))?;
                s.serialize_some(&base64::engine::general_purpose::STANDARD.encode(buf))
            }
        }
    }

    /// Deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Histogram<u64>>, D::Error> {
        let Some(text) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)?;
        let mut h: Histogram<u64> = HdrDeserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| serde::de::Error::custom(format!("histogram: {e:?}")))?;
        // Recording into a merged histogram must grow it like the ones built here.
        h.auto(true);
        Ok(Some(h))
    }
}

/// A hash map as a JSON object with sorted keys (stable output).
pub mod sorted_map {
    use super::*;
    use std::hash::Hash;

    /// Serialize.
    pub fn serialize<K, V, S>(m: &rustc_hash::FxHashMap<K, V>, s: S) -> Result<S::Ok, S::Error>
    where
        K: Serialize + Ord,
        V: Serialize,
        S: Serializer,
    {
        let sorted: BTreeMap<&K, &V> = m.iter().collect();
        sorted.serialize(s)
    }

    /// Deserialize.
    pub fn deserialize<'de, K, V, D>(d: D) -> Result<rustc_hash::FxHashMap<K, V>, D::Error>
    where
        K: DeserializeOwned + Eq + Hash + Ord,
        V: DeserializeOwned,
        D: Deserializer<'de>,
    {
        Ok(BTreeMap::<K, V>::deserialize(d)?.into_iter().collect())
    }
}

/// The endpoint table as a list of `[key, stats]` sorted by key.
pub mod endpoint_map {
    use super::*;
    use crate::aggregate::{EndpointKey, EndpointStats};

    /// Serialize.
    pub fn serialize<S: Serializer>(
        m: &crate::aggregate::EndpointTable,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut v: Vec<(&EndpointKey, &EndpointStats)> = m.iter().map(|(k, e)| (k, &**e)).collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        let out: Vec<(ByteText, &EndpointStats)> = v
            .into_iter()
            .map(|(k, e)| (to_text(k.as_bytes()), e))
            .collect();
        out.serialize(s)
    }

    /// Deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<crate::aggregate::EndpointTable, D::Error> {
        // Keys are valid UTF-8 since they are made so when counted; a forged partial may hold
        // raw bytes, which are made text and merged as the run would have merged them.
        let mut table = crate::aggregate::EndpointTable::default();
        for (k, e) in Vec::<(ByteText, EndpointStats)>::deserialize(d)? {
            let mut k = from_text::<D::Error>(k)?;
            crate::aggregate::valid_utf8(&mut k);
            table
                .entry(EndpointKey::from_bytes(&k))
                .or_default()
                .merge(e);
        }
        Ok(table)
    }
}

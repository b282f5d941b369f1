//! The route table's guarantees (issue 12): against a simple exact reference aggregator, for any
//! chunking of the input; and through the binary on the logs that broke the old table (scanner
//! first, slug-heavy, garbage methods), byte-identical at `--jobs 1/2/8` and on repeated runs.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use proptest::prelude::*;
use statuslens::aggregate::{AddContext, Aggregate, EndpointKey, Scratch};
use statuslens::format::clf::{ClfFormat, TrailingDuration};
use statuslens::format::LogFormat;
use statuslens::input::chunk::ChunkKind;
use statuslens::pipeline::{process_chunk, Work};
use statuslens::route::{self, Normalizer};

use crate::util::{json_of, report_json, statuslens, write};

/// One request: method token and path.
type Req = (String, String);

/// The simple reference: exact counts per (method, route), routes normalised line by line and
/// collapsed once over the whole set of distinct routes, unregistered methods under one entry.
fn reference(reqs: &[Req]) -> BTreeMap<String, u64> {
    let n = Normalizer::default();
    let keyed: Vec<(String, String)> = reqs
        .iter()
        .map(|(m, p)| {
            let mut out = Vec::new();
            n.normalize(p.as_bytes(), &mut out);
            let m = if route::is_registered_method(m.as_bytes()) {
                m.clone()
            } else {
                "(invalid method)".to_string()
            };
            (m, String::from_utf8(out).expect("utf8"))
        })
        .collect();
    let distinct: BTreeSet<&str> = keyed.iter().map(|(_, r)| r.as_str()).collect();
    let distinct: Vec<&str> = distinct.into_iter().collect();
    let rewrites = route::collapse(&distinct, route::COLLAPSE_THRESHOLD, &|_| false);
    let mut out = BTreeMap::new();
    for (m, r) in &keyed {
        let r = rewrites
            .get(r.as_str())
            .cloned()
            .unwrap_or_else(|| r.clone());
        *out.entry(format!("{m} {r}")).or_insert(0) += 1;
    }
    out
}

fn line(i: usize, (m, p): &Req) -> String {
    format!(
        "10.0.{}.{} - - [10/Oct/2024:10:{:02}:{:02} +0000] \"{m} {p} HTTP/1.1\" 200 12 \"-\" \"ua\" 0.010\n",
        i % 7,
        i % 251,
        i / 60 % 60,
        i % 60
    )
}

/// Aggregate the log in chunks of `chunk_lines` lines, absorbed in order, as the run does.
fn aggregate(reqs: &[Req], chunk_lines: usize, cap: usize) -> Aggregate {
    let fmt: Arc<dyn LogFormat> = Arc::new(ClfFormat::new("combined", TrailingDuration::Seconds));
    let routes = Normalizer::default();
    let ctx = AddContext::new(&routes, cap, None);
    let mut total = Aggregate::default();
    let lines: Vec<String> = reqs.iter().enumerate().map(|(i, r)| line(i, r)).collect();
    let mut start = 0;
    for (c, chunk) in lines.chunks(chunk_lines.max(1)).enumerate() {
        let mut agg = Aggregate::default();
        let work = Work {
            file: 0,
            chunk: c as u32,
            kind: ChunkKind::Lines,
            start,
            format: fmt.clone(),
            wrap: None,
            switches: None,
            buf: chunk.concat().into_bytes(),
        };
        start += work.buf.len() as u64;
        process_chunk(&mut agg, &work, &ctx, &mut Scratch::default());
        total.absorb(agg, &ctx);
    }
    total.finish(&routes, cap);
    total
}

fn counts(agg: &Aggregate) -> BTreeMap<String, u64> {
    agg.endpoints
        .iter()
        .map(|(k, e)| (String::from_utf8_lossy(k.as_bytes()).into_owned(), e.count))
        .collect()
}

/// Requests from families that exercise every part of the table: a few real endpoints, a slug
/// route that may or may not pass the collapse threshold, one-hit junk and garbage methods.
fn request() -> impl Strategy<Value = Req> {
    let real = prop::sample::select(vec![
        ("GET", "/api/users"),
        ("POST", "/api/users"),
        ("GET", "/api/orders/17"),
        ("DELETE", "/api/users/9"),
        ("GET", "/health"),
    ])
    .prop_map(|(m, p)| (m.to_string(), p.to_string()));
    let slug = (0u32..120).prop_map(|i| ("GET".to_string(), format!("/blog/post-{}", word(i))));
    let junk = "[a-z]{3,8}".prop_map(|w| ("GET".to_string(), format!("/{w}.php")));
    let garbage = "[A-Z]{4,7}".prop_map(|m| (m, "/".to_string()));
    prop_oneof![6 => real, 3 => slug, 2 => junk, 1 => garbage]
}

/// A distinct lowercase word for each `i` (no digits, so the heuristics keep it literal).
fn word(i: u32) -> String {
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Below the cap: exactly the reference, for any chunk size.
    #[test]
    fn below_the_cap_the_table_is_the_reference(
        reqs in proptest::collection::vec(request(), 1..600),
        chunk_lines in 1usize..200,
    ) {
        let agg = aggregate(&reqs, chunk_lines, 10_000);
        prop_assert_eq!(counts(&agg), reference(&reqs));
        prop_assert_eq!(agg.folded_lines, 0);
        prop_assert_eq!(agg.fold_error, 0);
    }

    /// With a tiny cap: nothing is lost, `(other)` holds exactly the folded requests, every
    /// endpoint with more than N / cap requests is kept, and every count shown is within
    /// `fold_error` below the truth (never above).
    #[test]
    fn beyond_the_cap_the_busiest_survive(
        reqs in proptest::collection::vec(request(), 1..600),
        chunk_lines in 1usize..200,
        cap in 2usize..12,
    ) {
        let agg = aggregate(&reqs, chunk_lines, cap);
        let want = reference(&reqs);
        let got = counts(&agg);
        let n = reqs.len() as u64;
        prop_assert_eq!(got.values().sum::<u64>(), n, "no request lost");
        prop_assert_eq!(got.get("* (other)").copied().unwrap_or(0), agg.folded_lines);
        prop_assert!(agg.endpoints.len() <= cap, "{} rows for a cap of {cap}", agg.endpoints.len());
        for (k, &truth) in &want {
            let shown = got.get(k).copied();
            if k.contains("{param}") {
                // A collapsed route was many keys until its position went wide: each of the
                // (at most threshold) earlier children can have lost up to `fold_error`.
                let s = shown.unwrap_or(0);
                let bound = agg.fold_error * route::COLLAPSE_THRESHOLD as u64;
                prop_assert!(s <= truth && s + bound >= truth, "{k}: shown {s}, true {truth}, bound {bound}");
                continue;
            }
            if truth * cap as u64 > n {
                prop_assert!(shown.is_some(), "{k} ({truth} of {n}) folded at cap {cap}");
            }
            if let Some(s) = shown {
                prop_assert!(s <= truth && s + agg.fold_error >= truth, "{k}: shown {s}, true {truth}, bound {}", agg.fold_error);
            }
        }
        prop_assert!(agg.endpoints.contains_key(&EndpointKey::other()) || agg.folded_lines == 0);
    }
}

fn combined(ip: &str, t: usize, method: &str, path: &str, status: u16) -> String {
    format!(
        "{ip} - - [02/May/2024:{:02}:{:02}:{:02} +0000] \"{method} {path} HTTP/1.1\" {status} 120 \"-\" \"curl/8\"\n",
        10 + t / 3600,
        t / 60 % 60,
        t % 60
    )
}

/// Run the binary at `--jobs 1, 2, 8`, twice each: every report byte-identical; the report.
fn report_at_any_jobs(log: &std::path::Path) -> serde_json::Value {
    let mut first: Option<Vec<u8>> = None;
    for jobs in ["1", "2", "8", "1", "2", "8"] {
        let out = statuslens()
            .arg(log)
            .args(["--format", "json", "--no-progress", "--jobs", jobs])
            .output()
            .expect("runs");
        json_of(&out);
        match &first {
            None => first = Some(out.stdout),
            Some(f) => assert!(f == &out.stdout, "report differs at --jobs {jobs}"),
        }
    }
    report_json(&first.expect("ran"))
}

fn endpoint_count(report: &serde_json::Value, method: &str, route: &str) -> Option<u64> {
    crate::util::endpoint(report, method, route).and_then(|e| e["count"].as_u64())
}

fn rules_on(report: &serde_json::Value, route: &str) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["route"] == route)
        .map(|f| f["rule"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn scanner_junk_first_does_not_push_out_real_endpoints() {
    // 30 000 one-hit scanner paths, then 100 000 requests on 5 real endpoints with two smells
    // (DELETE answering only 404 beside a working GET, a create answering 200).
    let mut log = String::new();
    let mut s = 7u64;
    for i in 0..30_000 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let junk: String = (0..9)
            .map(|k| char::from(b'a' + ((s >> (k * 5)) % 26) as u8))
            .collect();
        log.push_str(&combined(
            "203.0.113.9",
            i / 100,
            "GET",
            &format!("/{junk}.bak"),
            404,
        ));
    }
    for i in 0..100_000 {
        let ip = format!("10.2.{}.{}", i % 250, i % 3);
        let t = 300 + i / 100;
        let (m, p, st) = match i % 5 {
            0 => ("GET", "/api/users".to_string(), 200),
            1 => ("DELETE", "/api/users".to_string(), 404),
            2 => ("POST", "/api/users".to_string(), 200),
            3 => ("GET", format!("/api/users/{i}"), 200),
            _ => ("GET", "/api/orders".to_string(), 200),
        };
        log.push_str(&combined(&ip, t, m, &p, st));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "scan.log", log.as_bytes());
    let r = report_at_any_jobs(&path);
    for (m, p) in [
        ("GET", "/api/users"),
        ("DELETE", "/api/users"),
        ("POST", "/api/users"),
        ("GET", "/api/users/{id}"),
        ("GET", "/api/orders"),
    ] {
        assert_eq!(endpoint_count(&r, m, p), Some(20_000), "{m} {p}");
    }
    let rules = rules_on(&r, "/api/users");
    assert!(rules.contains("wrong-method-404"), "{rules:?}");
    assert!(rules.contains("create-200"), "{rules:?}");
    let routes = &r["summary"]["routes"];
    // The junk is one-hit: it is folded, and the figures say how much.
    let folded = routes["folded_lines"].as_u64().expect("folded_lines");
    let other = endpoint_count(&r, "*", "(other)").unwrap_or(0);
    assert_eq!(folded, other);
    assert!(folded <= 30_000);
    let shown: u64 = r["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|e| e["count"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(shown, 130_000, "no request lost");
    let distinct = routes["folded_routes"].as_u64().expect("folded_routes") as f64;
    assert!(
        (distinct - folded as f64).abs() <= folded as f64 * 0.05,
        "folded_routes {distinct} for {folded} one-hit routes"
    );
}

#[test]
fn a_slug_heavy_route_takes_one_slot() {
    // An ordinary blog: 60 000 reads over 30 000 slugs beside 60 000 comment reads.
    let mut log = String::new();
    for i in 0..60_000usize {
        let slug = word((i * 7919 % 30_000) as u32);
        log.push_str(&combined(
            "10.0.0.1",
            i / 100,
            "GET",
            &format!("/blog/post-{slug}"),
            200,
        ));
        log.push_str(&combined("10.0.0.2", i / 100, "GET", "/api/comments", 200));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "blog.log", log.as_bytes());
    let r = report_at_any_jobs(&path);
    assert_eq!(endpoint_count(&r, "GET", "/blog/{param}"), Some(60_000));
    assert_eq!(endpoint_count(&r, "GET", "/api/comments"), Some(60_000));
    assert_eq!(r["endpoints"].as_array().map(Vec::len), Some(2));
    assert_eq!(r["summary"]["routes"]["folded_lines"], 0);
}

#[test]
fn garbage_methods_share_one_entry() {
    let mut log = String::new();
    let mut s = 11u64;
    for i in 0..44_000usize {
        if i % 11 == 0 {
            log.push_str(&combined("10.3.0.1", i / 200, "GET", "/api/users", 200));
        } else {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let m: String = (0..7)
                .map(|k| char::from(b'A' + ((s >> (k * 5)) % 26) as u8))
                .collect();
            log.push_str(&combined("198.51.100.7", i / 200, &m, "/", 400));
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "garbage.log", log.as_bytes());
    let r = report_at_any_jobs(&path);
    assert_eq!(endpoint_count(&r, "GET", "/api/users"), Some(4_000));
    assert_eq!(endpoint_count(&r, "(invalid method)", "/"), Some(40_000));
    assert_eq!(r["endpoints"].as_array().map(Vec::len), Some(2));
}

#[test]
fn a_tiny_cap_is_deterministic_across_jobs() {
    // Many routes against a cap of 50: the fold itself must not depend on the workers.
    let mut log = String::new();
    for i in 0..40_000usize {
        let p = match i % 4 {
            0 => "/api/a".to_string(),
            1 => format!("/x{}/y", word((i % 3_000) as u32)),
            2 => format!("/z{}", word((i * 31 % 9_000) as u32)),
            _ => "/api/b".to_string(),
        };
        log.push_str(&combined("10.0.0.1", i / 50, "GET", &p, 200));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "many.log", log.as_bytes());
    let mut first: Option<Vec<u8>> = None;
    for jobs in ["1", "2", "8", "2"] {
        let out = statuslens()
            .arg(&path)
            .args(["--format", "json", "--no-progress", "--route-cap", "50"])
            .args(["--jobs", jobs])
            .output()
            .expect("runs");
        let r = json_of(&out);
        assert_eq!(endpoint_count(&r, "GET", "/api/a"), Some(10_000));
        assert!(r["endpoints"].as_array().map_or(0, Vec::len) <= 50);
        match &first {
            None => first = Some(out.stdout),
            Some(f) => assert!(f == &out.stdout, "report differs at --jobs {jobs}"),
        }
    }
}

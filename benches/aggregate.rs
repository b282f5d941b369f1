//! Aggregate and merge throughput: records folded per second, and the cost of merging the
//! per-worker aggregates. `cargo bench --bench aggregate`.

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use statuslens::aggregate::{AddContext, Aggregate, Pos, Scratch};
use statuslens::format::clf::{ClfFormat, TrailingDuration};
use statuslens::format::LogFormat;
use statuslens::route::Normalizer;

fn lines(n: usize) -> Vec<String> {
    let resources = [
        "users", "orders", "products", "carts", "invoices", "payments",
    ];
    (0..n)
        .map(|i| {
            let r = resources[i % resources.len()];
            let status = [200, 200, 200, 201, 404, 500][i % 6];
            format!(
                r#"10.0.{}.{} - - [01/May/2024:00:{:02}:{:02} +0000] "GET /api/v1/{r}/{} HTTP/1.1" {status} {} "-" "curl/8.4.0" 0.{:03}"#,
                i % 7,
                i % 200,
                (i / 60) % 60,
                i % 60,
                i * 31 % 100_000,
                i % 5000,
                i % 1000
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let text = lines(10_000);
    let f = ClfFormat::new("combined+sec", TrailingDuration::Seconds);
    let recs: Vec<_> = text
        .iter()
        .map(|l| f.parse(l.as_bytes()).expect("valid line"))
        .collect();
    let routes = Normalizer::default();
    let ctx = AddContext::new(&routes, 10_000, None);
    let build = || {
        let mut agg = Aggregate::default();
        let mut scratch = Scratch::default();
        for r in &recs {
            agg.add(r, Pos::default(), &ctx, &mut scratch);
        }
        agg
    };
    let check = build();
    assert_eq!(
        check.endpoints.len(),
        6,
        "six routes: /api/v1/<resource>/{{id}}"
    );
    let mut g = c.benchmark_group("aggregate");
    g.throughput(Throughput::Elements(recs.len() as u64));
    g.bench_function("add", |b| b.iter(|| black_box(build()).endpoints.len()));
    g.finish();

    let parts: Vec<Aggregate> = (0..8).map(|_| build()).collect();
    let mut g = c.benchmark_group("aggregate");
    g.throughput(Throughput::Elements(parts.len() as u64));
    // What the reducer does per chunk: absorb a chunk's aggregate into the running total.
    g.bench_function("absorb_8_chunks_and_finish", |b| {
        b.iter(|| {
            let mut total = Aggregate::default();
            for p in parts.iter().cloned() {
                total.absorb(p, &ctx);
            }
            total.finish(&routes, 10_000);
            total.endpoints.len()
        })
    });
    g.finish();
}

/// Chunks of a log of scanner junk: every line a new endpoint (random words, an unregistered
/// method now and then), more of them than the route cap holds. What the reducer does per
/// chunk there — collapse, the heavy-hitter merge, the fold into `(other)` — is most of the
/// run's work on such a log, and it is the one part that runs on one thread.
fn junk_lines(chunk: usize, n: usize) -> Vec<String> {
    let word = |mut x: usize, len: usize| -> String {
        (0..len)
            .map(|_| {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                char::from(b'a' + ((x >> 33) % 26) as u8)
            })
            .collect()
    };
    (0..n)
        .map(|i| {
            let seed = chunk * n + i;
            let method = ["GET", "GET", "POST", "PROPFIND", "FOO"][seed % 5];
            format!(
                r#"10.{}.{}.{} - - [01/May/2024:00:{:02}:{:02} +0000] "{method} /{}/{} HTTP/1.1" {} 512 "-" "scan""#,
                seed % 250,
                seed / 250 % 250,
                seed % 7,
                seed / 600 % 60,
                seed / 10 % 60,
                word(seed, 3 + seed % 9),
                word(seed + 1, 3 + seed % 17),
                [200, 404, 404, 301][seed % 4]
            )
        })
        .collect()
}

fn bench_junk(c: &mut Criterion) {
    let routes = Normalizer::default();
    let ctx = AddContext::new(&routes, 10_000, None);
    let f = ClfFormat::new("combined", TrailingDuration::None);
    let parts: Vec<Aggregate> = (0..8)
        .map(|chunk| {
            let text = junk_lines(chunk, 10_000);
            let mut agg = Aggregate::default();
            let mut scratch = Scratch::default();
            for l in &text {
                let r = f.parse(l.as_bytes()).expect("valid line");
                agg.add(&r, Pos::default(), &ctx, &mut scratch);
            }
            agg
        })
        .collect();
    let mut g = c.benchmark_group("aggregate");
    g.throughput(Throughput::Elements(80_000));
    g.sample_size(20);
    // The chunks' copies are made outside the timing: the reducer is handed them.
    g.bench_function("absorb_8_junk_chunks", |b| {
        b.iter_batched(
            || parts.clone(),
            |parts| {
                let mut total = Aggregate::default();
                for p in parts {
                    total.absorb(p, &ctx);
                }
                total.endpoints.len()
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench, bench_junk);
criterion_main!(benches);

//! Property tests (proptest): parsers never panic on arbitrary bytes; aggregating any split of an
//! input and merging the parts in any order equals aggregating the whole; route normalisation is
//! idempotent.

use std::sync::Arc;

use proptest::prelude::*;
use statuslens::aggregate::{AddContext, Aggregate, Scratch};
use statuslens::format::clf::{ClfFormat, TrailingDuration};
use statuslens::format::json::{JsonFormat, JsonMapping};
use statuslens::format::nginx::NginxFormat;
use statuslens::format::LogFormat;
use statuslens::input::chunk::ChunkKind;
use statuslens::pipeline::{process_chunk, FileInfo, RunOutput, Work};
use statuslens::report::ReportModel;
use statuslens::route::Normalizer;
use statuslens::rules::{Facts, RulesConfig};

const UPSTREAMINFO: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#;

fn parsers() -> Vec<Box<dyn LogFormat>> {
    use statuslens::format::{alb, cloudfront, elb, envoy, haproxy, logfmt};
    vec![
        Box::new(ClfFormat::new("combined", TrailingDuration::Seconds)),
        Box::new(ClfFormat::new("combined", TrailingDuration::Micros)),
        Box::new(ClfFormat::new("combined", TrailingDuration::Millis)),
        Box::new(ClfFormat::new("combined", TrailingDuration::Field(1))),
        Box::new(ClfFormat::new("combined", TrailingDuration::Keyed)),
        Box::new(ClfFormat::new("combined", TrailingDuration::WithUnit)),
        Box::new(alb::AlbFormat),
        Box::new(elb::ElbFormat),
        Box::new(envoy::EnvoyFormat),
        Box::new(haproxy::HaproxyFormat),
        Box::new(cloudfront::CloudfrontFormat::sniffed(&[], None)),
        Box::new(cloudfront::CloudfrontFormat::sniffed(
            &[],
            Some(cloudfront::W3c::Iis),
        )),
        Box::new(JsonFormat::default()),
        Box::new(logfmt::LogfmtFormat::default()),
        Box::new(NginxFormat::compile(UPSTREAMINFO, &JsonMapping::default()).expect("valid")),
        Box::new(
            NginxFormat::compile(
                r#"escape=json '{"s":"$status","u":"$request_uri","t":"$time_iso8601"}'"#,
                &JsonMapping::default(),
            )
            .expect("valid"),
        ),
    ]
}

const VALID: &[&str] = &[
    r#"10.0.0.1 - bob [10/Oct/2024:13:55:36 -0700] "GET /api/users/42?x=1 HTTP/1.1" 200 512 "-" "curl/8" 0.250"#,
    r#"{"status":"200","request_uri":"/a\"b","time_iso8601":"2024-12-10T10:53:47+00:00","request_time":0.1,"x":[1,{"y":null}]}"#,
    r#"0.0.0.0 - - [18/Mar/2023:15:00:00 +0000] "GET /p HTTP/2.0" 200 12 "r" "ua" 462 0.050 [svc] [] 10.0.50.80:9000, 10.0.50.81:9000 19437, 3 0.049, 0.001 502, 200 7521"#,
    r#"10.0.0.1 - - [10/Oct/2024:13:55:36 -0700] "GET /a HTTP/1.1" 200 5 "-" "ua" "1.2.3.4" 0.012 0.010 rt=0.012 urt="0.010""#,
    r#"Dec  9 13:01:26 lb haproxy[28029]: 127.0.0.1:39759 [09/Dec/2013:12:59:46.633] fe~ be/s1 0/51/1/48/+99 200 +83 - - ---- 87/87/87/1/0 0/67 {a b|c} {} "GET /p?q HTTP/1.1" 0/0/0 x"#,
    r#"2024-05-01T12:00:31.000000+00:00 heroku[router]: at=error code=H12 desc="Request timeout" method=GET path="/r?a=\"b\"" host=x.herokuapp.com fwd="10.1.0.1,204.204.204.205" dyno=web.1 connect=0ms service=30000ms status=503 bytes=0 protocol=https"#,
    "2026-03-17 08:01:15 10.0.2.10 POST /a/b.aspx id=42 443 D\\u 10.0.1.51 Mozilla/5.0+(X) - 500 0 0 30012",
    r#"https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-""#,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(line in proptest::collection::vec(any::<u8>(), 0..400)) {
        for p in parsers() {
            let _ = p.parse(&line);
        }
    }

    #[test]
    fn parsers_never_panic_on_mutated_lines(which in 0..VALID.len(), edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..8)) {
        let mut line = VALID[which].as_bytes().to_vec();
        for (at, byte, op) in edits {
            let i = at.index(line.len() + 1);
            match op {
                0 => line.insert(i, byte),
                1 if i < line.len() => { line.remove(i); }
                _ => line.truncate(i),
            }
        }
        for p in parsers() {
            if let Ok(r) = p.parse(&line) {
                if let Some(path) = r.path {
                    let mut out = Vec::new();
                    Normalizer::default().normalize(&r.decoded(path), &mut out);
                }
            }
        }
    }

    #[test]
    fn route_normalisation_is_idempotent(path in "[/a-zA-Z0-9@.%?#{}_~=+-]{0,80}") {
        let n = Normalizer::default();
        let mut once = Vec::new();
        n.normalize(path.as_bytes(), &mut once);
        let mut twice = Vec::new();
        n.normalize(&once, &mut twice);
        prop_assert_eq!(String::from_utf8_lossy(&once), String::from_utf8_lossy(&twice));
    }

    #[test]
    fn any_split_merges_to_the_same_report(
        lines in proptest::collection::vec(log_line(), 1..300),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        order_seed in any::<u64>(),
    ) {
        let text: String = lines.concat();
        let data = text.as_bytes();
        let whole = report(&aggregate_chunks(&[data], &[0], false));
        // Cut at line boundaries, then merge the parts in a shuffled order.
        let newlines: Vec<usize> = data.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1).collect();
        let mut bounds: Vec<usize> = cuts.iter().map(|c| newlines[c.index(newlines.len())]).collect();
        bounds.push(0);
        bounds.push(data.len());
        bounds.sort_unstable();
        bounds.dedup();
        let parts: Vec<&[u8]> = bounds.windows(2).map(|w| &data[w[0]..w[1]]).collect();
        let mut order: Vec<usize> = (0..parts.len()).collect();
        let mut s = order_seed | 1;
        for i in (1..order.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            order.swap(i, (s % (i as u64 + 1)) as usize);
        }
        // Half the cases widen each part's rows to the total's step before absorbing it, as
        // the pipeline's workers do.
        let split = report(&aggregate_chunks(&parts, &order, order_seed & 2 == 0));
        prop_assert_eq!(whole, split);
    }
}

/// Realistic lines, plus the odd blank, junk and bad-timestamp line.
fn log_line() -> impl Strategy<Value = String> {
    let methods = prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]);
    let paths = prop::sample::select(vec![
        "/api/users/1",
        "/api/users/22",
        "/api/orders/3f2504e0-4f89-11d3-9a0c-0305e82c3301",
        "/health",
        "/api/items?page=2",
        "/",
    ]);
    let statuses = prop::sample::select(vec![
        200u16, 201, 204, 301, 304, 400, 404, 409, 422, 429, 500, 502, 503, 504,
    ]);
    prop_oneof![
        20 => (methods, paths, statuses, 0u32..7200, 0u32..5000, 0u32..3000).prop_map(|(m, p, s, t, b, ms)| {
            format!("10.0.0.1 - - [10/Oct/2024:{:02}:{:02}:{:02} +0000] \"{m} {p} HTTP/1.1\" {s} {b} \"-\" \"ua\" {}.{:03}\n", 10 + t / 3600, t / 60 % 60, t % 60, ms / 1000, ms % 1000)
        }),
        1 => Just("\n".to_string()),
        1 => Just("junk that is not a log line\n".to_string()),
        1 => Just("10.0.0.1 - - [99/Oct/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\" 0.001\n".to_string()),
        1 => Just("10.0.0.1 - - [10/Oct/2024:10:00:00 +0000] \"-\" 400 0 \"-\" \"-\" 0.000\n".to_string()),
    ]
}

/// Aggregate `parts` (chunks 0..n of one file) in the given processing order, one aggregate per
/// part, absorbed in that order (each part's rows first widened to the total's series step
/// when `widen`). Below the route cap the order does not matter.
fn aggregate_chunks(parts: &[&[u8]], order: &[usize], widen: bool) -> Aggregate {
    let fmt: Arc<dyn LogFormat> =
        Arc::new(ClfFormat::new("combined+sec", TrailingDuration::Seconds));
    let routes = Normalizer::default();
    let ctx = AddContext::new(&routes, 10_000, None);
    let mut total = Aggregate::default();
    for &i in order {
        let mut agg = Aggregate::default();
        let work = Work {
            file: 0,
            chunk: i as u32,
            kind: ChunkKind::Lines,
            start: parts[..i].iter().map(|p| p.len() as u64).sum(),
            format: fmt.clone(),
            wrap: None,
            switches: None,
            buf: parts[i].to_vec(),
        };
        process_chunk(&mut agg, &work, &ctx, &mut Scratch::default());
        if widen {
            agg.widen_rows(total.series_step);
        }
        total.absorb(agg, &ctx);
    }
    total.finish(&routes, 10_000);
    total
}

fn report(agg: &Aggregate) -> String {
    let out = RunOutput {
        aggregate: agg.clone(),
        files: vec![FileInfo {
            name: "x.log".into(),
            format: Some("combined+sec".into()),
            compression: Some("none"),
            error: None,
        }],
    };
    // Findings included: the rules read only the merged aggregate, so they must not depend on
    // the split either.
    let cfg = RulesConfig::default();
    let api = statuslens::route::openapi::Api::default();
    let facts = Facts::new(&out.aggregate, &cfg, &api);
    let findings = statuslens::rules::run(&facts, &cfg);
    serde_json::to_string(&ReportModel::build(
        &out,
        &[],
        10_000,
        &findings,
        &facts.noise,
    ))
    .expect("serialises")
}

//! Parser and route throughput (bytes/s per format; routes/s).
//!
//! `cargo bench --bench parse`. Each bench first checks what it measures (the parser must
//! accept every line), so a broken parser cannot produce a fast number.

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use statuslens::format::alb::AlbFormat;
use statuslens::format::clf::{ClfFormat, TrailingDuration};
use statuslens::format::json::{JsonFormat, JsonMapping};
use statuslens::format::nginx::NginxFormat;
use statuslens::format::LogFormat;
use statuslens::route::openapi::Api;
use statuslens::route::Normalizer;

const COMBINED: &str = r#"10.2.157.40 - - [01/May/2024:00:00:00 +0000] "GET /api/v1/tickets/58617 HTTP/1.1" 200 7973 "https://app.example.com/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36" 0.222"#;
const JSON: &str = r#"{"time_local":"01/May/2024:00:00:00 +0000","remote_addr":"10.1.2.3","request_method":"PUT","request_uri":"/api/v1/orders/0e6a2f1c-5b7d-4a8e-a1c2-3f4e5d6c7b8a","server_protocol":"HTTP/1.1","status":200,"body_bytes_sent":5120,"request_time":0.045,"http_user_agent":"okhttp/4.12.0","upstream_status":"200"}"#;
/// From crowdsec's hub test data (`../shared/corpus/aws_alb`, see its PROVENANCE.md).
const ALB: &str = r#"https 2023-04-26T12:23:00.186641Z app/546213e5-apiexamplecom-api-94aa/490d68edf04676fe 192.168.1.11:44740 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/robots.txt HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-""#;
const UPSTREAMINFO_FMT: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#;
const UPSTREAMINFO: &str = r#"192.168.64.14 - - [07/Feb/2020:12:02:42 +0000] "GET /v2/some HTTP/1.1" 200 61 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.14; rv:72.0) Gecko/20100101 Firefox/72.0" 348 0.001 [default-web2-8080] [] 172.17.0.6:8080, 172.17.0.7:8080 61, 100 0.100, 0.004 200, 203 835136ae24486dbb4156dcbe21f5d402"#;

fn lines(one: &str, n: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity((one.len() + 1) * n);
    for _ in 0..n {
        v.extend_from_slice(one.as_bytes());
        v.push(b'\n');
    }
    v
}

fn bench_format(c: &mut Criterion, name: &str, f: &dyn LogFormat, line: &str) {
    let data = lines(line, 1000);
    // Split once, outside the measurement: only parsing is timed.
    let split: Vec<&[u8]> = data
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let parsed = split.iter().filter(|l| f.parse(l).is_ok()).count();
    assert_eq!(
        parsed, 1000,
        "{name}: the parser must accept the bench line"
    );
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function(name, |b| {
        b.iter(|| {
            let mut ok = 0u32;
            for l in &split {
                ok += u32::from(f.parse(black_box(l)).is_ok());
            }
            ok
        })
    });
    g.finish();
}

fn parsers(c: &mut Criterion) {
    bench_format(
        c,
        "combined",
        &ClfFormat::new("combined+sec", TrailingDuration::Seconds),
        COMBINED,
    );
    bench_format(c, "json", &JsonFormat::default(), JSON);
    bench_format(c, "alb", &AlbFormat, ALB);
    bench_format(
        c,
        "nginx_upstreaminfo",
        &NginxFormat::compile(UPSTREAMINFO_FMT, &JsonMapping::default()).expect("valid"),
        UPSTREAMINFO,
    );
}

fn routes(c: &mut Criterion) {
    let paths: Vec<&[u8]> = [
        &b"/api/v1/tickets/58617"[..],
        b"/api/v1/orders/0e6a2f1c-5b7d-4a8e-a1c2-3f4e5d6c7b8a",
        b"/api/v1/invoices?page=3&per_page=50",
        b"/api/v1/users",
        b"/static/js/app.53f8d72920ba2744fe873ebc.js",
        b"/users/jane.doe@example.com/settings",
    ]
    .to_vec();
    let n = Normalizer::default();
    let mut out = Vec::new();
    n.normalize(paths[0], &mut out);
    assert_eq!(out, b"/api/v1/tickets/{id}");
    let mut g = c.benchmark_group("route");
    g.throughput(Throughput::Elements(paths.len() as u64));
    g.bench_function("normalize", |b| {
        b.iter(|| {
            for p in &paths {
                out.clear();
                n.normalize(black_box(p), &mut out);
            }
            out.len()
        })
    });
    // 5 000 declared templates (an OpenAPI-sized API): matching stays per-segment.
    let templates: Vec<String> = (0..5000)
        .map(|i| match i % 3 {
            0 => format!("/svc{}/items/{{id}}/part{i}", i % 100),
            1 => format!("/svc{}/files/{{name}}.{{ext}}/v{i}", i % 100),
            _ => format!("/svc{}/users/me/r{i}", i % 100),
        })
        .collect();
    let declared = Normalizer::new(&templates).expect("valid templates");
    let requests: Vec<&[u8]> = vec![
        b"/svc7/items/123/part4907",
        b"/svc8/files/report.pdf/v4408",
        b"/svc99/users/me/r4999",
        b"/svc1/unknown/path/42",
    ];
    out.clear();
    declared.normalize(requests[0], &mut out);
    assert_eq!(out, b"/svc7/items/{id}/part4907");
    g.throughput(Throughput::Elements(requests.len() as u64));
    g.bench_function("templates_5000", |b| {
        b.iter(|| {
            for p in &requests {
                out.clear();
                declared.normalize(black_box(p), &mut out);
            }
            out.len()
        })
    });
    // A generated OpenAPI document of 5 000 paths (500 resources × 10 path shapes, base path
    // from `servers`), read by the same code as `--openapi`.
    let spec = openapi_5000();
    let api = Api::parse(&spec).expect("valid spec");
    assert_eq!(api.spec_templates().len(), 5000);
    let from_spec = Normalizer::with_api(&[], &api).expect("valid templates");
    let requests: Vec<&[u8]> = vec![
        b"/v1/r417/93811",
        b"/v1/r3/93811/items/7?expand=all",
        b"/v1/r250/search?q=x",
        b"/v1/r499/8/files/report.final.pdf",
        b"/v1/r12/export/2024-05.csv",
        b"/v1/r77/5/history/",
        b"/v1/r77/5/unknown",
        b"/v2/other/42",
    ];
    for (p, want) in [
        (requests[1], &b"/v1/r3/{id}/items/{itemId}"[..]),
        (requests[3], b"/v1/r499/{id}/files/{name}.{ext}"),
        (requests[6], b"/v1/r77/{id}/unknown"),
    ] {
        out.clear();
        from_spec.normalize(p, &mut out);
        assert_eq!(out, want, "{}", String::from_utf8_lossy(p));
    }
    g.throughput(Throughput::Elements(requests.len() as u64));
    g.bench_function("openapi_5000", |b| {
        b.iter(|| {
            for p in &requests {
                out.clear();
                from_spec.normalize(black_box(p), &mut out);
            }
            out.len()
        })
    });
    g.throughput(Throughput::Elements(5000));
    g.sample_size(10);
    g.bench_function("openapi_5000_load", |b| {
        b.iter(|| {
            let api = Api::parse(black_box(&spec)).expect("valid");
            Normalizer::with_api(&[], &api)
                .expect("valid")
                .is_template("/v1/r1")
        })
    });
    g.finish();
}

/// An OpenAPI 3.0 YAML document with 5 000 paths.
fn openapi_5000() -> String {
    let shapes = [
        "",
        "/{id}",
        "/{id}/items",
        "/{id}/items/{itemId}",
        "/search",
        "/{id}/files/{name}.{ext}",
        "/export/{year}-{month}.csv",
        "/{id}/status",
        "/batch",
        "/{id}/history",
    ];
    let mut s = String::from(
        "openapi: 3.0.3\ninfo: {title: big, version: '1'}\nservers:\n  - url: https://api.example.com/v1\npaths:\n",
    );
    for r in 0..500 {
        for shape in shapes {
            s.push_str(&format!(
                "  /r{r}{shape}:\n    get:\n      responses:\n        '200': {{description: ok}}\n        '404': {{description: none}}\n    post:\n      responses:\n        '201': {{description: created}}\n        4XX: {{description: bad}}\n"
            ));
        }
    }
    s
}

criterion_group!(benches, parsers, routes);
criterion_main!(benches);

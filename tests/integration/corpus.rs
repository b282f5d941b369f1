//! Conformance against the access-log corpus: for every `.log` with an `.expected.jsonl` in the
//! nginx/Apache/CLF/JSON folders, every asserted field of every line must match, and lines the
//! source says must fail must be rejected. Two copies are checked: the permissively licensed
//! subset bundled in `fixtures/corpus/` (always), and the whole shared corpus read in place from
//! `../shared/corpus/` (some of it may not be copied here, see its PROVENANCE.md); without the
//! shared corpus that test says so and passes.
//!
//! Normalisations, each following SPEC §3 rather than a particular source's conventions:
//! - `"-"` and `""` for user agent / client mean "absent": the corpus keeps them as logged,
//!   statuslens reports null.
//! - timestamps are compared as instants: the expected text is parsed with chrono (an
//!   independent implementation), not with statuslens's own parser.
//! - text fields of text formats keep the server's escapes, as in the corpus; JSON formats are
//!   compared JSON-decoded, as in the corpus.

use std::path::{Path, PathBuf};

use serde_json::Value;
use statuslens::format::{
    self, json::JsonMapping, nginx::NginxFormat, Escape, FormatOptions, FormatSpec, LogFormat,
    Record,
};

const FOLDERS: &[&str] = &[
    "nginx_combined",
    "nginx_main",
    "nginx_common",
    "nginx_custom",
    "apache_common",
    "apache_combined",
    "apache_custom",
    "clf_variants",
    "json_nginx",
];

/// The load-balancer and CDN folders (issue #3).
const LB_FOLDERS: &[&str] = &[
    "aws_alb",
    "aws_elb",
    "cloudfront",
    "json_caddy",
    "json_traefik",
    "json_envoy",
    "traefik_clf",
    "envoy_text",
    "haproxy",
    "wrapped",
];

const COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;
const UPSTREAMINFO: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#;

/// The `log_format`s each `nginx_custom` source used (from the sources' configurations), tried in
/// order; and whether `client_ip` is asserted (some sources pick a client from a list by policy).
fn nginx_custom_formats(file: &str) -> Option<(Vec<String>, bool)> {
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    Some(match file {
        // Nginx Proxy Manager's `proxy` and `standard` formats (both appear in the file).
        "crowdsec-hub-nginx-proxy-manager-logs.log" => (
            v(&[
                r#"[$time_local] $upstream_cache_status $upstream_status $status - $request_method $scheme $host "$request_uri" [Client $remote_addr] [Length $body_bytes_sent] [Gzip $gzip_ratio] [Sent-to $server] "$http_user_agent" "$http_referer""#,
                r#"[$time_local] $status - $request_method $scheme $host "$request_uri" [Client $remote_addr] [Length $body_bytes_sent] [Gzip $gzip_ratio] "$http_user_agent" "$http_referer""#,
            ]),
            true,
        ),
        "crowdsec-hub-nginx-vhost-prefixed.log" => (v(&[&format!("$host {COMBINED}")]), true),
        "datadog-integrations-core-nginx_tests-request_time.log" => (
            v(&[
                r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent $request_time "$http_referer" "$http_user_agent""#,
            ]),
            true,
        ),
        // Filebeat chooses the client from X-Forwarded-For lists by its own policy: not asserted.
        "elastic-beats-nginx-access-test-multi-ip.log" => (
            v(&[COMBINED, &format!(r#""$http_x_forwarded_for" {COMBINED}"#)]),
            false,
        ),
        "elastic-beats-nginx-ingress_controller-test.log" => (v(&[UPSTREAMINFO]), true),
        "vrl-parse_nginx_log-ingress_upstreaminfo.log" => (
            v(&[
                UPSTREAMINFO,
                r#"[$time_local] $remote_addr $request_method $request_uri $status $request_length $bytes_sent $t_time $u_time $x_route $app $env $code $ip $debug $user_id "$error" $req_id"#,
            ]),
            true,
        ),
        _ => return None,
    })
}

fn shared_corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    p.is_dir().then_some(p)
}

/// CloudFront's expected timestamp is `date<TAB>time` (UTC); make it RFC 3339.
fn normalize_timestamp(key: &str, want: &Value) -> Value {
    match (key, want.as_str()) {
        ("timestamp", Some(s)) if s.contains('\t') => {
            Value::String(format!("{}Z", s.replace('\t', "T")))
        }
        _ => want.clone(),
    }
}

/// An expected timestamp as an instant (ms), parsed with chrono.
fn expected_time(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_f64().map(|f| (f * 1000.0).round() as i64),
        Value::String(s) => chrono::DateTime::parse_from_str(s, "%d/%b/%Y:%H:%M:%S %z")
            .or_else(|_| chrono::DateTime::parse_from_rfc3339(s))
            .ok()
            .map(|t| t.timestamp_millis()),
        _ => None,
    }
}

fn text(rec: &Record<'_>, v: Option<&[u8]>) -> Option<String> {
    v.map(|b| {
        if rec.escape == Escape::Json {
            String::from_utf8_lossy(&rec.decoded(b)).into_owned()
        } else {
            String::from_utf8_lossy(b).into_owned()
        }
    })
}

/// Compare one asserted field; returns a description of the mismatch.
fn check_field(key: &str, want: &Value, rec: &Record<'_>, assert_client: bool) -> Option<String> {
    let absent = |w: &Value| w.is_null() || w.as_str().is_some_and(|s| s.is_empty() || s == "-");
    let cmp_text = |got: Option<String>| -> Option<String> {
        let ok = match (&got, want) {
            (None, w) => absent(w),
            (Some(g), Value::String(w)) => g == w,
            _ => false,
        };
        (!ok).then(|| format!("{key}: got {got:?}, want {want}"))
    };
    let want = &normalize_timestamp(key, want);
    let cmp_num = |got: Option<u64>| -> Option<String> {
        let ok = match want {
            Value::Null => got.is_none(),
            // CloudFront's status `000` (the viewer left before an answer) and a load balancer's
            // backend status `0` (no backend answer) are no status: null.
            w if matches!(key, "status" | "upstream_status") && w.as_u64() == Some(0) => {
                got.is_none()
            }
            w => w.as_u64() == got,
        };
        (!ok).then(|| format!("{key}: got {got:?}, want {want}"))
    };
    match key {
        "method" => cmp_text(text(rec, rec.method)),
        "path" => {
            // The corpus writes ALB/ELB targets as the absolute URL and CloudFront's as stem?query;
            // records keep the host apart and the query as logged.
            let got = rec.path.map(|p| {
                let p = String::from_utf8_lossy(p).into_owned();
                match rec.query {
                    Some(q) => format!("{p}?{}", String::from_utf8_lossy(q)),
                    None => p,
                }
            });
            let origin_less = |w: &str| match w.find("://") {
                Some(i) => w[i + 3..]
                    .find(['/', '?'])
                    .map_or("/".to_string(), |j| w[i + 3 + j..].to_string()),
                None => w.to_string(),
            };
            let want_path = want.as_str().map(origin_less);
            let ok = match (&got, &want_path) {
                (None, None) => true,
                (Some(g), Some(w)) => origin_less(g) == *w,
                // A TCP listener's request `- - - ` is no request line (SPEC §3: null path); the
                // source splits it naively into method `-` and path `- - `.
                (None, Some(w)) => w.trim() == "- -",
                _ => false,
            };
            (!ok).then(|| format!("path: got {got:?}, want {want}"))
        }
        "protocol" => cmp_text(text(rec, rec.protocol)),
        "user_agent" => cmp_text(text(rec, rec.user_agent)),
        "client_ip" if assert_client => cmp_text(text(rec, rec.client)),
        "status" => cmp_num(rec.status.map(u64::from)),
        "bytes" => cmp_num(rec.bytes),
        "upstream_status" => cmp_num(rec.origin_status.map(u64::from)),
        "timestamp" => {
            let want_ms = if want.is_null() {
                None
            } else {
                Some(expected_time(want)?)
            };
            // Sub-millisecond digits are truncated to the millisecond.
            let close = match (want_ms, rec.time_ms) {
                (Some(w), Some(g)) => (w - g).abs() <= 1,
                (w, g) => w == g,
            };
            (!close).then(|| {
                format!(
                    "timestamp: got {:?} ms, want {want} ({want_ms:?} ms)",
                    rec.time_ms
                )
            })
        }
        "request_time_s" => {
            let got = rec.duration_us.map(|us| us as f64 / 1e6);
            let ok = match (got, want.as_f64()) {
                (None, None) => want.is_null(),
                // Durations are kept in whole microseconds.
                (Some(g), Some(w)) => (g - w).abs() < 1e-6,
                _ => false,
            };
            (!ok).then(|| format!("request_time_s: got {got:?}, want {want}"))
        }
        _ => None,
    }
}

#[test]
fn shared_corpus_conformance() {
    let Some(root) = shared_corpus() else {
        eprintln!("shared_corpus_conformance: ../shared/corpus not found, skipping (the bundled subset is still checked)");
        return;
    };
    // The shared corpus held 192 asserted lines in these folders when this test was written.
    check_corpus(&root, 150);
}

#[test]
fn bundled_corpus_conformance() {
    check_corpus(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus"),
        150,
    );
}

#[test]
fn shared_corpus_conformance_load_balancers() {
    let Some(root) = shared_corpus() else {
        eprintln!("shared_corpus_conformance_load_balancers: ../shared/corpus not found, skipping");
        return;
    };
    check_folders(&root, LB_FOLDERS, 90);
}

fn check_corpus(root: &Path, min_lines: usize) {
    check_folders(root, FOLDERS, min_lines);
}

fn check_folders(root: &Path, folders: &[&str], min_lines: usize) {
    let mut checked_lines = 0;
    let mut checked_fields = 0;
    let mut failures = Vec::new();
    for folder in folders {
        let Ok(dir) = std::fs::read_dir(root.join(folder)) else {
            continue;
        };
        let mut logs: Vec<PathBuf> = dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .collect();
        logs.sort();
        for log in logs {
            let expected_path = log.with_extension("expected.jsonl");
            if !expected_path.exists() {
                continue;
            }
            let name = log
                .file_name()
                .and_then(|n| n.to_str())
                .expect("utf-8 name")
                .to_string();
            let data = std::fs::read(&log).expect("readable");
            let raw: Vec<&[u8]> = data
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .collect();
            // Container wrappers (CRI, docker json-file, compose) are undone first, as the
            // pipeline does.
            let wrap = format::detect_file(&FormatSpec::Auto, &raw, &FormatOptions::default())
                .and_then(|(_, w)| w);
            let owned: Vec<Vec<u8>> = raw
                .iter()
                .map(|l| {
                    wrap.and_then(|w| w.unwrap_line(l))
                        .map_or_else(|| l.to_vec(), |c| c.into_owned())
                })
                .collect();
            let lines: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
            let (parsers, assert_client): (Vec<Box<dyn LogFormat>>, bool) =
                if *folder == "nginx_custom" {
                    let (formats, assert_client) = nginx_custom_formats(&name)
                        .unwrap_or_else(|| panic!("no log_format listed for {name}"));
                    let parsers = formats
                        .iter()
                        .map(|f| {
                            Box::new(
                                NginxFormat::compile(f, &JsonMapping::default())
                                    .expect("valid log_format"),
                            ) as Box<dyn LogFormat>
                        })
                        .collect();
                    (parsers, assert_client)
                } else {
                    let p = format::detect(&FormatSpec::Auto, &lines, &FormatOptions::default())
                        .unwrap_or_else(|| panic!("{folder}/{name}: no format detected"));
                    (vec![p], true)
                };
            let expected = std::fs::read_to_string(&expected_path).expect("readable");
            for exp in expected.lines() {
                let exp: Value = serde_json::from_str(exp).expect("valid expectation");
                let n = exp["line"].as_u64().expect("line number") as usize;
                let line = lines[n - 1];
                let parsed = parsers.iter().find_map(|p| p.parse(line).ok());
                let at = format!("{folder}/{name}:{n}");
                if exp.get("parse_error").is_some_and(|v| v == true) {
                    if parsed.is_some() {
                        failures.push(format!(
                            "{at}: parsed, but the source says it must be rejected"
                        ));
                    }
                    checked_lines += 1;
                    continue;
                }
                if exp.get("skip").is_some() || exp.get("has_expected").is_some_and(|v| v == false)
                {
                    continue;
                }
                let Some(rec) = parsed else {
                    let errs: Vec<String> = parsers
                        .iter()
                        .map(|p| p.parse(line).expect_err("failed").to_string())
                        .collect();
                    failures.push(format!(
                        "{at}: rejected ({}), expected a record",
                        errs.join("; ")
                    ));
                    continue;
                };
                checked_lines += 1;
                for (key, want) in exp.as_object().expect("object") {
                    if let Some(msg) = check_field(key, want, &rec, assert_client) {
                        failures.push(format!("{at}: {msg}"));
                    }
                    checked_fields += 1;
                }
            }
        }
    }
    eprintln!(
        "{}: {checked_lines} lines, {checked_fields} fields checked",
        root.display()
    );
    assert!(
        checked_lines >= min_lines,
        "expected at least {min_lines} asserted lines under {}, found {checked_lines}",
        root.display()
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The format each corpus folder must be detected as (by content, per file).
const DETECTION: &[(&str, &str)] = &[
    ("aws_alb", "alb"),
    ("aws_elb", "elb"),
    ("cloudfront", "cloudfront"),
    ("nginx_combined", "combined"),
    ("nginx_main", "combined"),
    ("nginx_common", "common"),
    ("apache_common", "common"),
    ("apache_combined", "combined"),
    ("json_nginx", "json"),
    ("json_caddy", "json"),
    ("json_traefik", "json"),
    ("json_envoy", "json"),
    ("traefik_clf", "traefik-clf"),
    ("envoy_text", "envoy"),
    ("haproxy", "haproxy"),
];

fn check_detection(root: &Path) -> usize {
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (folder, want) in DETECTION {
        let Ok(dir) = std::fs::read_dir(root.join(folder)) else {
            continue;
        };
        for p in dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
        {
            let data = std::fs::read(&p).expect("readable");
            let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            let got = format::detect_file(&FormatSpec::Auto, &lines, &FormatOptions::default())
                .map(|(f, _)| f.name().to_string());
            // `combined+sec` and the like are variants of their base format.
            if !got
                .as_deref()
                .is_some_and(|g| g == *want || g.starts_with(&format!("{want}+")))
            {
                wrong.push(format!("{}: detected {got:?}, want {want}", p.display()));
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    checked
}

#[test]
fn every_corpus_file_is_detected_as_its_folders_format() {
    let bundled = check_detection(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus"));
    assert!(bundled >= 30, "{bundled}");
    if let Some(root) = shared_corpus() {
        assert!(
            check_detection(&root) >= 50,
            "the shared corpus had 55 such files"
        );
    }
}

#[test]
fn bundled_corpus_conformance_load_balancers() {
    check_folders(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus"),
        LB_FOLDERS,
        40,
    );
}

/// What a proxy's record says of the request, its answer and its upstream.
#[allow(clippy::type_complexity)]
fn upstream_fields<'a>(
    r: &Record<'a>,
) -> (
    Option<&'a [u8]>,
    Option<&'a [u8]>,
    Option<&'a [u8]>,
    Option<u16>,
    Option<u16>,
    format::Origin,
    Option<u64>,
    Option<&'a [u8]>,
) {
    (
        r.client,
        r.method,
        r.path,
        r.status,
        r.origin_status,
        r.origin,
        r.duration_us,
        r.upstream,
    )
}

/// The Kubernetes ingress-nginx logs of the corpus are read as such without `--log-format`:
/// auto-detection picks `ingress-nginx` and its records are those of the controller's
/// `log_format` given by hand (the expectations above check that one), durations and upstream
/// statuses included — `combined` would read the same lines without them.
#[test]
fn ingress_nginx_logs_are_detected_with_their_upstream_fields() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus/nginx_custom");
    let by_hand = NginxFormat::compile(UPSTREAMINFO, &JsonMapping::default()).expect("valid");
    let mut compared = 0;
    for name in [
        "elastic-beats-nginx-ingress_controller-test.log",
        "vrl-parse_nginx_log-ingress_upstreaminfo.log",
    ] {
        let data = std::fs::read(dir.join(name)).expect("bundled");
        let lines: Vec<&[u8]> = data
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        let (auto, _) = format::detect_file(&FormatSpec::Auto, &lines, &FormatOptions::default())
            .expect("detected");
        assert_eq!(auto.name(), "ingress-nginx", "{name}");
        for line in &lines {
            let Ok(want) = by_hand.parse(line) else {
                continue;
            };
            let got = auto.parse(line).expect("the detected format reads it");
            assert_eq!(
                upstream_fields(&got),
                upstream_fields(&want),
                "{name}: {}",
                String::from_utf8_lossy(line)
            );
            assert!(
                got.duration_us.is_some(),
                "{}",
                String::from_utf8_lossy(line)
            );
            compared += 1;
        }
    }
    assert!(compared >= 30, "{compared}");
}

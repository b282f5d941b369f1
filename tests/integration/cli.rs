//! Tests that run the real binary on real files, compressed streams and pipes.

use serde_json::Value;

use crate::util::{gzip, json_of, report_json, sample_log, statuslens, write, zstd};

fn json_report(args: &[&str]) -> (Value, i32) {
    let out = statuslens()
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert!(
        !out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = report_json(&out.stdout);
    (v, out.status.code().expect("exit code"))
}

/// The parts of a report that must not depend on file names or compression.
fn content(v: &Value) -> Value {
    let mut v = v.clone();
    v["summary"]["files"] = Value::Null;
    v["summary"]["formats"] = Value::Null;
    v["rejects"]["samples"] = Value::Null;
    // Finding samples name the file; keep the line numbers.
    if let Some(findings) = v["findings"].as_array_mut() {
        for f in findings {
            if let Some(samples) = f["evidence"]["samples"].as_array_mut() {
                for smp in samples {
                    let line = smp
                        .as_str()
                        .and_then(|x| x.rsplit(':').next())
                        .unwrap_or("");
                    *smp = Value::from(line.to_string());
                }
            }
            if let Some(lines) = f["evidence"]["lines"].as_array_mut() {
                for l in lines {
                    l["source"] = Value::Null;
                }
            }
        }
    }
    v
}

#[test]
fn plain_gzip_and_zstd_give_the_same_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = sample_log(3000);
    let plain = write(dir.path(), "access.log", log.as_bytes());
    let gz = write(dir.path(), "access.log.1.gz", &gzip(log.as_bytes()));
    let zs = write(dir.path(), "access.log.2", &zstd(log.as_bytes()));
    let (a, code) = json_report(&[plain.to_str().expect("utf8")]);
    assert_eq!(code, 0);
    assert_eq!(a["summary"]["lines"], 3000);
    assert_eq!(a["summary"]["parsed"], 3000);
    assert_eq!(a["summary"]["files"][0]["format"], "combined+sec");
    let (b, _) = json_report(&[gz.to_str().expect("utf8")]);
    let (c, _) = json_report(&[zs.to_str().expect("utf8")]);
    assert_eq!(b["summary"]["files"][0]["compression"], "gzip");
    assert_eq!(c["summary"]["files"][0]["compression"], "zstd");
    assert_eq!(content(&a), content(&b));
    assert_eq!(content(&a), content(&c));
}

#[test]
fn json_report_shape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "a.log", sample_log(200).as_bytes());
    let (v, _) = json_report(&[p.to_str().expect("utf8")]);
    assert_eq!(v["schema_version"], 2);
    for k in [
        "lines",
        "parsed",
        "rejected",
        "by_status",
        "time_range",
        "formats",
        "files",
    ] {
        assert!(!v["summary"][k].is_null(), "summary.{k}");
    }
    assert_eq!(v["findings"], Value::Array(vec![]));
    let e = &v["endpoints"][0];
    for k in ["method", "route", "count", "by_status", "latency_ms"] {
        assert!(!e[k].is_null(), "endpoints[0].{k}");
    }
    for k in ["p50", "p95", "p99", "max"] {
        assert!(e["latency_ms"][k].as_f64().is_some(), "latency_ms.{k}");
    }
    // Sorted by count, descending.
    let counts: Vec<u64> = v["endpoints"]
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["count"].as_u64().expect("n"))
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]));
    // /api/users/1000, /api/users/1007 … collapse to one route.
    let routes: Vec<&str> = v["endpoints"]
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["route"].as_str().expect("s"))
        .collect();
    assert!(routes.contains(&"/api/users/{id}"), "{routes:?}");
    // 200 lines: statuses by the generator's rule (i % 20): 0 → 500, 1-2 → 404, 3 → 302.
    assert_eq!(v["summary"]["by_status"]["500"], 10);
    assert_eq!(v["summary"]["by_status"]["404"], 20);
    assert_eq!(v["summary"]["by_status"]["302"], 10);
    assert_eq!(v["summary"]["by_status"]["200"], 160);
    assert_eq!(v["summary"]["time_range"]["start"], "2024-10-10T13:00:00Z");
}

#[test]
fn folder_with_mixed_files_and_a_corrupt_gzip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = sample_log(5000);
    write(dir.path(), "a/access.log", log.as_bytes());
    write(dir.path(), "b/access.log.1.gz", &gzip(log.as_bytes()));
    let json_lines = "{\"status\":201,\"request_method\":\"POST\",\"request_uri\":\"/api/items\",\"request_time\":\"0.120\",\"time_iso8601\":\"2024-10-10T13:00:00+00:00\"}\n".repeat(10);
    write(dir.path(), "c/api.json", json_lines.as_bytes());
    let mut broken = gzip(log.as_bytes());
    broken.truncate(broken.len() / 2);
    write(dir.path(), "d/broken.log.gz", &broken);
    write(dir.path(), ".hidden.log", b"ignored\n");
    let out = statuslens()
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(2),
        "an input problem makes the exit status 2"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("broken.log.gz") && stderr.contains("gzip"),
        "stderr names the file: {stderr}"
    );
    let v: Value = report_json(&out.stdout);
    let files = v["summary"]["files"].as_array().expect("files");
    assert_eq!(files.len(), 4, "hidden files are skipped");
    assert_eq!(v["summary"]["formats"]["json"], 1);
    let broken_file = files
        .iter()
        .find(|f| {
            f["name"]
                .as_str()
                .is_some_and(|n| n.ends_with("broken.log.gz"))
        })
        .expect("listed");
    assert!(broken_file["error"]
        .as_str()
        .is_some_and(|e| e.contains("truncated or corrupt gzip")));
    // The lines decoded before the damage are still counted, and nothing is lost silently.
    let lines = broken_file["lines"].as_u64().expect("n");
    assert!(lines > 0 && lines < 5000, "{lines}");
    for f in files {
        let n = |k: &str| f[k].as_u64().expect("count");
        assert_eq!(
            n("lines"),
            n("parsed") + n("rejected") + n("skipped"),
            "{f}"
        );
    }
    assert_eq!(v["errors"].as_array().expect("errors").len(), 1);
    let good: u64 = files
        .iter()
        .filter(|f| f["error"].is_null())
        .map(|f| f["parsed"].as_u64().expect("n"))
        .sum();
    assert_eq!(good, 5000 + 5000 + 10);
}

#[test]
fn stdin_is_read() {
    let log = sample_log(100);
    let out = statuslens()
        .args(["--format", "json"])
        .write_stdin(gzip(log.as_bytes()))
        .output()
        .expect("runs");
    let v = json_of(&out);
    assert_eq!(v["summary"]["parsed"], 100);
    assert_eq!(v["summary"]["files"][0]["name"], "<stdin>");
    let out = statuslens()
        .args(["-", "--format", "json"])
        .write_stdin(log)
        .output()
        .expect("runs");
    let v: Value = report_json(&out.stdout);
    assert_eq!(v["summary"]["parsed"], 100);
}

#[test]
fn missing_and_unrecognised_files_are_reported_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = write(dir.path(), "good.log", sample_log(10).as_bytes());
    let prose = write(
        dir.path(),
        "notes.txt",
        b"This is not a log.\nNeither is this line.\n",
    );
    let out = statuslens()
        .arg(&good)
        .arg(&prose)
        .arg(dir.path().join("missing.log"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("missing.log"), "{stderr}");
    assert!(
        stderr.contains("notes.txt") && stderr.contains("--log-format"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("10 lines"), "{stdout}");
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["--log-format", "apache2"][..],
        &["--json-field", "x=nope"],
        &["--since", "yesterday"],
        &["--route", "no-slash"],
        &["--log-format", "nginx:$remote_addr"],
        &["--log-format", "apache:%h %t \"%r\" %b"],
        &["--jobs", "0"],
        &["--format", "pdf"],
    ] {
        let out = statuslens()
            .args(args)
            .arg("fixtures/sample")
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?} explains itself");
    }
}

#[test]
fn records_decode_json_escapes_in_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let line = r#"{"time":"2024-05-01T10:00:00Z","method":"GET","uri":"/caf\u00e9/a\"b\/c?q=\u0026x%20y","status":200,"user_agent":"Mo\u007a"}"#;
    let p = write(dir.path(), "esc.jsonl", format!("{line}\n").as_bytes());
    let out = statuslens().arg("records").arg(&p).output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let r: Value = serde_json::from_slice(&out.stdout).expect("one record");
    // JSON escapes are the log's encoding and are decoded; percent-encoding is the request's.
    assert_eq!(r["path"], "/café/a\"b/c?q=&x%20y");
    assert_eq!(r["user_agent"], "Moz");
    assert_eq!(r["route"], "/café/a\"b/c");
}

#[test]
fn records_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lines = [
        r#"2001:db8::1 - alice [10/Oct/2024:13:55:36 -0700] "GET /api/users/42?x=1 HTTP/2.0" 200 512 "-" "curl/8" 0.250"#,
        "",
        "garbage line",
        r#"10.0.0.1 - - [10/Oct/2024:13:55:37 -0700] "-" 400 0 "-" "-" 0.001"#,
    ];
    let p = write(dir.path(), "r.log", lines.join("\n").as_bytes());
    let out = statuslens().arg("records").arg(&p).output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let recs: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(recs.len(), 2, "blank and rejected lines produce no record");
    let r = &recs[0];
    assert_eq!(r["time"], "2024-10-10T20:55:36Z");
    assert_eq!(r["method"], "GET");
    assert_eq!(r["path"], "/api/users/42?x=1");
    assert_eq!(r["route"], "/api/users/{id}");
    assert_eq!(r["status"], 200);
    assert_eq!(r["bytes"], 512);
    assert_eq!(r["duration_ms"], 250.0);
    assert_eq!(r["client"], "2001:db8::1");
    assert_eq!(r["authenticated"], true);
    assert_eq!(r["origin"], "unknown");
    assert!(r["source"].as_str().expect("source").ends_with("r.log:1"));
    let r = &recs[1];
    assert!(r["method"].is_null() && r["path"].is_null());
    assert_eq!(r["route"], "(no request)");
    assert_eq!(r["status"], 400);
    assert!(r["source"].as_str().expect("source").ends_with("r.log:4"));
    for k in [
        "time",
        "method",
        "path",
        "route",
        "status",
        "origin_status",
        "origin",
        "bytes",
        "duration_ms",
        "client",
        "user_agent",
        "authenticated",
        "error_marker",
        "source",
    ] {
        assert!(r.get(k).is_some(), "record has `{k}`");
    }
}

#[test]
fn reports_are_identical_at_any_job_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Over 2 chunks (2 MiB each) so that several workers share one file.
    let p = write(dir.path(), "big.log", sample_log(60_000).as_bytes());
    let mut p2 = sample_log(7000);
    p2.push_str("broken line one\n\nbroken line two\n");
    let q = write(dir.path(), "small.log", p2.as_bytes());
    let run = |jobs: &str| {
        statuslens()
            .arg(&p)
            .arg(&q)
            .args(["--format", "json", "--jobs", jobs])
            .output()
            .expect("runs")
            .stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("4"));
    let v: Value = report_json(&one);
    assert_eq!(v["summary"]["lines"], 67_003);
    assert_eq!(v["summary"]["rejected"], 2);
    assert_eq!(v["summary"]["skipped"], 1);
    let samples = v["rejects"]["samples"].as_array().expect("samples");
    let sources: Vec<&str> = samples
        .iter()
        .map(|s| s["source"].as_str().expect("s"))
        .collect();
    assert!(
        sources[0].ends_with("small.log:7001") && sources[1].ends_with("small.log:7003"),
        "{sources:?}"
    );
}

/// Apache's `%{ms}T` writes integer milliseconds, which detection cannot tell from `%D`'s
/// microseconds: a 30 s timeout reads as 30 ms and its 500s as a plain 500 flood. Pasting the
/// `LogFormat` reads them as written: the timeout, the vhost prefix, the total bytes.
#[test]
fn apache_log_format_from_the_command_line() {
    let mut text = String::new();
    for i in 0..2400u32 {
        let (status, ms) = if i % 12 == 0 {
            (500, 30_000 + (i / 12) % 4)
        } else {
            (200, 40 + (i * 37) % 120)
        };
        text.push_str(&format!(
            "www.example.com:443 10.0.{}.{} - - [01/Dec/2026:10:{:02}:{:02} +0000] \"GET /api/orders/{} HTTP/1.1\" {status} 812 \"-\" \"okhttp/4\" {ms}\n",
            i % 7,
            i % 90,
            i / 60 % 60,
            i % 60,
            1 + i % 900,
        ));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "access.log", text.as_bytes());
    let run = |extra: &[&str]| crate::util::json_report(&p, extra);
    let rules = |v: &Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let guessed = run(&[]);
    assert_eq!(
        guessed["summary"]["formats"]["combined+usec"], 1,
        "{:#}",
        guessed["summary"]
    );
    assert!(!rules(&guessed).contains(&"app-timeout-500".to_string()));
    let format = r#"apache:LogFormat "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\" %{ms}T" vhost_timed"#;
    let v = run(&["--log-format", format]);
    assert_eq!(v["summary"]["formats"]["apache"], 1, "{:#}", v["summary"]);
    assert_eq!(v["summary"]["parsed"], 2400);
    assert_eq!(rules(&v), ["app-timeout-500"], "{:#}", v["findings"]);
    let figures = &v["findings"][0]["evidence"]["figures"];
    assert_eq!(
        (&figures["ceiling_low_ms"], &figures["ceiling_high_ms"]),
        (&30_000.0.into(), &30_003.0.into()),
        "{figures:#}"
    );
    let e = &v["endpoints"][0];
    assert_eq!(e["bytes"]["kind"], "total", "{e:#}");
    assert_eq!(e["latency_ms"]["max"], 30_003.0, "{e:#}");
}

#[test]
fn nginx_log_format_and_routes_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fmt = r#"nginx:log_format api '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time $upstream_status "$sent_http_x_error_code"';"#;
    let lines = [
        r#"1.1.1.1 [10/Oct/2024:13:55:36 +0000] "GET /files/report-a HTTP/1.1" 200 10 0.010 200 "-""#,
        r#"1.1.1.1 [10/Oct/2024:13:55:37 +0000] "GET /files/report-b HTTP/1.1" 200 10 0.020 200 "-""#,
        r#"1.1.1.1 [10/Oct/2024:13:55:38 +0000] "POST /orders HTTP/1.1" 502 0 1.500 502, 504 "-""#,
        r#"1.1.1.1 [10/Oct/2024:13:55:39 +0000] "POST /orders HTTP/1.1" 200 5 0.050 200 "E_DUP""#,
    ];
    let p = write(dir.path(), "n.log", lines.join("\n").as_bytes());
    let out = statuslens()
        .arg(&p)
        .args([
            "--log-format",
            fmt,
            "--route",
            "/files/{name}",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let v = json_of(&out);
    assert_eq!(v["summary"]["formats"]["nginx"], 1);
    let eps = v["endpoints"].as_array().expect("endpoints");
    let files = eps
        .iter()
        .find(|e| e["route"] == "/files/{name}")
        .expect("template route");
    assert_eq!(files["count"], 2);
    let orders = eps
        .iter()
        .find(|e| e["route"] == "/orders")
        .expect("orders");
    assert_eq!(orders["by_status"]["502"], 1);
    assert_eq!(
        orders["origin"]["gateway"], 1,
        "502 with upstream 504 was not the app's answer"
    );
    assert_eq!(orders["origin"]["app"], 1);
    assert_eq!(orders["error_marked"], 1);
    assert_eq!(orders["latency_ms"]["max"], 1500.0);
}

#[test]
fn time_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "a.log", sample_log(600).as_bytes());
    // sample_log: line i at 13:(i/60):(i%60) → 10 minutes; keep 13:02:00 ≤ t < 13:05:00.
    let (v, _) = json_report(&[
        p.to_str().expect("utf8"),
        "--since",
        "2024-10-10T13:02:00Z",
        "--until",
        "2024-10-10T13:05:00Z",
    ]);
    assert_eq!(v["summary"]["parsed"], 600);
    assert_eq!(v["summary"]["out_of_window"], 420);
    let total: u64 = v["endpoints"]
        .as_array()
        .expect("e")
        .iter()
        .map(|e| e["count"].as_u64().expect("n"))
        .sum();
    assert_eq!(total, 180);
}

#[test]
fn hostile_text_is_escaped_on_the_terminal_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let line = "1.1.1.1 - - [10/Oct/2024:13:55:36 +0000] \"GET /a\x1b[31mred\u{202e}x HTTP/1.1\" 200 1 \"-\" \"ua\"\n";
    let p = write(dir.path(), "h.log", line.as_bytes());
    let out = statuslens()
        .arg(&p)
        .args(["--color", "never"])
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(
        !text.contains('\x1b') && !text.contains('\u{202e}'),
        "{text}"
    );
    assert!(text.contains("\\u{1b}[31mred\\u{202e}x"), "{text}");
}

#[test]
fn overlong_lines_are_rejected_and_the_rest_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut data = sample_log(3).into_bytes();
    data.extend(std::iter::repeat_n(b'A', 17 << 20));
    data.push(b'\n');
    data.extend(sample_log(2).into_bytes());
    let p = write(dir.path(), "long.log", &data);
    let (v, code) = json_report(&[p.to_str().expect("utf8")]);
    assert_eq!(code, 0);
    assert_eq!(v["summary"]["lines"], 6);
    assert_eq!(v["summary"]["parsed"], 5);
    assert_eq!(v["rejects"]["by_reason"]["line_too_long"], 1);
    assert!(v["rejects"]["samples"][0]["source"]
        .as_str()
        .expect("s")
        .ends_with("long.log:4"));
}

#[test]
fn several_outputs_in_one_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "a.log", sample_log(50).as_bytes());
    let j = dir.path().join("r.json");
    let t = dir.path().join("r.txt");
    let out = statuslens()
        .arg(&p)
        .arg("-o")
        .arg(&j)
        .arg("-o")
        .arg(format!("text={}", t.display()))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let v: Value = report_json(&std::fs::read(&j).expect("json written"));
    assert_eq!(v["summary"]["parsed"], 50);
    assert!(std::fs::read_to_string(&t)
        .expect("text written")
        .contains("Top endpoints"));
}

#[test]
fn bundled_sample_runs() {
    // Wide enough for a finding's endpoint and verdict on one line.
    let out = statuslens()
        .arg("fixtures/sample/")
        .env("COLUMNS", "160")
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("lines in 5 files"), "{text}");
    assert!(
        text.contains("combined+sec (3 files), json (2 files)"),
        "{text}"
    );
    assert!(
        text.contains("[generic-500] POST /api/payments  500 → 409/422"),
        "{text}"
    );
}

#[test]
fn records_on_a_truncated_gzip_keep_what_was_read_and_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut g = gzip(sample_log(20_000).as_bytes());
    g.truncate(g.len() / 2);
    let p = write(dir.path(), "cut.gz", &g);
    let out = statuslens().arg("records").arg(&p).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("truncated or corrupt gzip"));
    let n = String::from_utf8_lossy(&out.stdout).lines().count();
    assert!(n > 1000 && n < 20_000, "{n} records before the damage");
}

#[test]
fn a_short_damaged_gzip_keeps_its_lines_and_names_the_damage() {
    // Fewer lines than format detection's window: the read error comes while detection still
    // waits for lines, and the lines read before it are analysed all the same.
    let dir = tempfile::tempdir().expect("tempdir");
    let log = sample_log(60);
    let mut garbage = gzip(log.as_bytes());
    garbage.extend_from_slice(b"\0\0not gzip");
    let mut cut = gzip(log.as_bytes());
    cut.truncate(cut.len() - 12); // the trailer and the end of the last block
    for (name, data, error) in [
        (
            "garbage.log.gz",
            garbage,
            "trailing bytes after the last gzip member",
        ),
        ("cut.log.gz", cut, "truncated or corrupt gzip"),
    ] {
        let p = write(dir.path(), name, &data);
        let out = statuslens()
            .arg(&p)
            .args(["--format", "json"])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(error),
            "{name}"
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
        let file = &v["summary"]["files"][0];
        assert!(
            file["error"].as_str().is_some_and(|e| e.contains(error)),
            "{name}"
        );
        let parsed = v["summary"]["parsed"].as_u64().expect("parsed");
        assert!(
            parsed >= 55,
            "{name}: {parsed} of 60 lines read before the damage"
        );
    }
}

#[test]
fn load_balancer_and_container_wrapped_logs_in_one_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let alb = r#"https 2024-05-01T12:00:00.186641Z app/my-lb/50dc 10.0.0.1:2817 10.0.0.2:80 0.001 0.020 0.000 200 200 34 366 "GET https://api.example.com:443/v1/users/42 HTTP/1.1" "curl/8" - - arn:aws:elasticloadbalancing:us-east-2:1:targetgroup/t/1 "Root=1" "api.example.com" "-" 0 2024-05-01T12:00:00.100000Z "forward" "-" "-" "10.0.0.2:80" "200" "-" "-""#;
    let waf = r#"https 2024-05-01T12:00:01.186641Z app/my-lb/50dc 10.0.0.1:2817 - -1 -1 -1 403 - 34 0 "GET https://api.example.com:443/v1/users/43 HTTP/1.1" "curl/8" - - - "Root=1" "api.example.com" "-" 0 2024-05-01T12:00:01.100000Z "waf" "-" "-" "-" "-" "-" "-""#;
    write(
        dir.path(),
        "alb/part.log.gz",
        &gzip(format!("{alb}\n{waf}\n").as_bytes()),
    );
    let cf = "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query\n2024-05-01\t12:00:02\tLAX1\t392\t1.2.3.4\tGET\td1.cloudfront.net\t/v1/users/44\t404\t-\tcurl/8\t-\n";
    write(dir.path(), "cf/E123.2024-05-01.log", cf.as_bytes());
    let cri = "2024-05-01T12:00:03.493035218+01:00 stdout F {\"response_code\":503,\"duration\":11,\"method\":\"GET\",\"path\":\"/v1/users/45\",\"start_time\":\"2024-05-01T12:00:03Z\",\"response_flags\":\"UF\"}\n";
    write(dir.path(), "k8s/envoy.log", cri.as_bytes());
    let out = statuslens()
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let v = json_of(&out);
    assert_eq!(v["summary"]["formats"]["alb"], 1);
    assert_eq!(v["summary"]["formats"]["cloudfront"], 1);
    assert_eq!(v["summary"]["formats"]["json in cri"], 1);
    assert_eq!(v["summary"]["parsed"], 4);
    assert_eq!(v["summary"]["skipped"], 2, "the CloudFront header lines");
    // One route; three hosts (the load balancer's, the CloudFront distribution's, none for
    // the sidecar), so three endpoints that name their host.
    let eps: Vec<&Value> = v["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .filter(|e| e["route"] == "/v1/users/{id}")
        .collect();
    let by_host = |h: Option<&str>| {
        *eps.iter()
            .find(|e| e["host"].as_str() == h)
            .unwrap_or_else(|| panic!("host {h:?} in {eps:?}"))
    };
    let alb_ep = by_host(Some("api.example.com"));
    assert_eq!(alb_ep["count"], 2);
    assert_eq!(alb_ep["origin"]["gateway"], 1, "the WAF answer");
    assert_eq!(by_host(Some("d1.cloudfront.net"))["by_status"]["404"], 1);
    assert_eq!(by_host(None)["by_status"]["503"], 1);
    assert_eq!(eps.len(), 3);
    // records name the format and keep the load balancer's details
    let out = statuslens()
        .arg("records")
        .arg(dir.path().join("alb"))
        .output()
        .expect("runs");
    let recs: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(recs[1]["format"], "alb");
    assert_eq!(recs[1]["details"]["actions_executed"], "waf");
    assert_eq!(recs[1]["path"], "/v1/users/43");
    assert_eq!(recs[1]["host"], "api.example.com:443");
}

#[test]
fn a_mixed_folder_gives_the_per_format_totals_of_naming_each_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus");
    // One file per format, copied into one folder.
    let files = [
        ("aws_alb/vrl-parse_aws_alb_log.log", "alb"),
        ("aws_elb/logstash-patterns-core-aws_spec-elb.log", "elb"),
        (
            "cloudfront/crowdsec-hub-aws-cloudfront-logs.log",
            "cloudfront",
        ),
        (
            "envoy_text/datadog-integrations-core-envoy_tests.log",
            "envoy",
        ),
        ("json_traefik/crowdsec-hub-traefik_json.log", "json"),
        ("apache_combined/crowdsec-hub-apache2-logs.log", "combined"),
    ];
    for (i, (f, _)) in files.iter().enumerate() {
        std::fs::copy(corpus.join(f), dir.path().join(format!("{i}.log"))).expect("copy");
    }
    let (mixed, code) = json_report(&[dir.path().to_str().expect("utf8")]);
    assert_eq!(code, 0);
    let mut parsed_named = 0;
    let mut rejected_named = 0;
    let mut statuses: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for (i, (_, fmt)) in files.iter().enumerate() {
        let p = dir.path().join(format!("{i}.log"));
        let (v, code) = json_report(&[p.to_str().expect("utf8"), "--log-format", fmt]);
        assert_eq!(code, 0, "{fmt}");
        rejected_named += v["summary"]["rejected"].as_u64().expect("n");
        let detected = &mixed["summary"]["files"][i]["format"];
        assert!(
            detected.as_str().is_some_and(|d| d.starts_with(fmt)),
            "file {i}: detected {detected}, named {fmt}"
        );
        parsed_named += v["summary"]["parsed"].as_u64().expect("n");
        for (code, n) in v["summary"]["by_status"].as_object().expect("map") {
            *statuses.entry(code.clone()).or_default() += n.as_u64().expect("n");
        }
    }
    assert_eq!(mixed["summary"]["parsed"], parsed_named);
    // Only the Traefik plugin's DEBUG line is not an access line.
    assert_eq!(mixed["summary"]["rejected"], rejected_named);
    assert_eq!(rejected_named, 1);
    let mixed_statuses: std::collections::BTreeMap<String, u64> = mixed["summary"]["by_status"]
        .as_object()
        .expect("map")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().expect("n")))
        .collect();
    assert_eq!(mixed_statuses, statuses);
}

/// `completions SHELL` prints a script the shell accepts (`-n`: parse without running); in CI
/// every shell is installed, elsewhere a missing one is skipped with a note.
#[test]
fn completion_scripts_parse() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (shell, check) in [
        ("bash", &["bash", "-n"][..]),
        ("zsh", &["zsh", "-n"][..]),
        ("fish", &["fish", "--no-execute"][..]),
    ] {
        let out = statuslens()
            .args(["completions", shell])
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("utf-8");
        assert!(
            text.contains("log-format") && text.contains("fail-on"),
            "{shell}"
        );
        let path = dir.path().join(format!("statuslens.{shell}"));
        std::fs::write(&path, &text).expect("write");
        match std::process::Command::new(check[0])
            .args(&check[1..])
            .arg(&path)
            .output()
        {
            Ok(r) => assert!(
                r.status.success(),
                "{shell} rejects its completion script: {}",
                String::from_utf8_lossy(&r.stderr)
            ),
            Err(_) if std::env::var_os("CI").is_none() => {
                eprintln!("{shell} is not installed: its completion script was not parsed");
            }
            Err(e) => panic!("{shell} is needed in CI: {e}"),
        }
    }
}

/// `man` prints the committed manual page.
#[test]
fn man_prints_the_manual_page() {
    let out = statuslens().arg("man").output().expect("runs");
    assert!(out.status.success());
    let committed = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/statuslens.1"))
        .expect("docs/statuslens.1");
    assert_eq!(out.stdout, committed);
}

/// HAProxy's HTTP log, as syslog writes it: detected, and its termination states say who
/// answered — a server timeout's 504s (`sH--`) are HAProxy's, the application's 500s its own.
#[test]
fn haproxy_logs_say_who_answered() {
    let mut text = String::new();
    for i in 0..3000u32 {
        let (req, status, state, timers) = match i % 10 {
            0 => (
                "GET /v1/search?q=a HTTP/1.1",
                504,
                "sH--",
                "0/0/1/-1/30001".to_string(),
            ),
            1 if i % 20 == 1 => (
                "PUT /v1/orders/17 HTTP/1.1",
                500,
                "----",
                "0/0/0/12/13".to_string(),
            ),
            1 => (
                "PUT /v1/orders/18 HTTP/1.1",
                200,
                "----",
                "0/0/0/11/12".to_string(),
            ),
            _ => (
                "GET /v1/search?q=b HTTP/1.1",
                200,
                "----",
                format!("0/0/0/{0}/{0}", 200 + i % 300),
            ),
        };
        text.push_str(&format!(
            "Dec  3 10:{:02}:{:02} lb1 haproxy[2231]: 10.1.{}.{}:{} [03/Dec/2026:10:{:02}:{:02}.{:03}] https-in~ api/app{} {timers} {status} 812 - - {state} 12/12/3/1/0 0/0 \"{req}\"\n",
            i / 60 % 60,
            i % 60,
            i % 7,
            i % 90,
            40000 + i,
            i / 60 % 60,
            i % 60,
            i % 1000,
            i % 3,
        ));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "haproxy.log", text.as_bytes());
    let v = crate::util::json_report(&p, &[]);
    assert_eq!(v["summary"]["formats"]["haproxy"], 1, "{:#}", v["summary"]);
    assert_eq!(v["summary"]["parsed"], 3000);
    let finding = |rule: &str| crate::util::finding(&v, rule);
    let g = finding("gateway-5xx");
    assert_eq!(g["route"], "/v1/search", "{g:#}");
    let figures = &g["evidence"]["figures"];
    assert_eq!(
        (&figures["by_gateway"], &figures["by_other"]),
        (&300.into(), &0.into())
    );
    let f = finding("generic-500");
    assert_eq!(
        (&f["method"], &f["route"]),
        (&"PUT".into(), &"/v1/orders/{id}".into())
    );
    let out = statuslens().arg("records").arg(&p).output().expect("runs");
    let first: Value = serde_json::from_str(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .expect("a record"),
    )
    .expect("json");
    assert_eq!(
        (
            &first["origin"],
            &first["details"]["termination_state"],
            &first["duration_ms"]
        ),
        (&"gateway".into(), &"sH--".into(), &30001.0.into()),
        "{first:#}"
    );
}

#[test]
fn heroku_router_logs_say_who_answered() {
    // Heroku's router log as `heroku logs` prints it: the router's own timeouts (`H12`, a 503
    // after 30 s) on one endpoint, the application's own 500s on another.
    let mut text = String::new();
    for i in 0..3000u32 {
        let (at, method, path, status, service) = match i % 20 {
            0 | 10 => (
                "at=error code=H12 desc=\"Request timeout\"",
                "GET",
                format!("/reports/{}", i % 97),
                503,
                30000,
            ),
            1 => ("at=info", "POST", "/orders".to_string(), 500, 40 + i % 9),
            11 => ("at=info", "POST", "/orders".to_string(), 201, 35 + i % 11),
            _ => (
                "at=info",
                "GET",
                format!("/products/{}", i * 7 % 1000),
                200,
                20 + i % 150,
            ),
        };
        text.push_str(&format!(
            "2026-11-30T10:{:02}:{:02}.{:06}+00:00 heroku[router]: {at} method={method} path=\"{path}\" host=shop.herokuapp.com request_id={i:08x} fwd=\"198.51.100.{}\" dyno=web.{} connect=1ms service={service}ms status={status} bytes={} protocol=https\n",
            i / 60 % 60,
            i % 60,
            i * 331 % 1_000_000,
            i % 200 + 1,
            i % 3 + 1,
            200 + i % 900,
        ));
        if status == 500 {
            // The application's own lograge line of the same request, after the router's.
            text.push_str(&format!(
                "2026-11-30T10:{:02}:{:02}.{:06}+00:00 app[web.1]: method=POST path=/orders format=json controller=OrdersController action=create status=500 error='ActiveRecord::Deadlocked' duration=41.20 view=0.00 db=38.10\n",
                i / 60 % 60,
                i % 60,
                i * 331 % 1_000_000 + 1,
            ));
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "router.log", text.as_bytes());
    let v = crate::util::json_report(&p, &[]);
    assert_eq!(v["summary"]["formats"]["logfmt"], 1, "{:#}", v["summary"]);
    assert_eq!(
        (
            &v["summary"]["lines"],
            &v["summary"]["parsed"],
            &v["summary"]["skipped"]
        ),
        (&3150.into(), &3000.into(), &150.into()),
        "the application's lines are skipped, not counted twice: {:#}",
        v["summary"]
    );
    let finding = |rule: &str| crate::util::finding(&v, rule);
    let g = finding("gateway-5xx");
    assert_eq!(g["route"], "/reports/{id}", "{g:#}");
    let figures = &g["evidence"]["figures"];
    assert_eq!(
        (&figures["by_gateway"], &figures["by_other"]),
        (&300.into(), &0.into())
    );
    assert!(
        g["message"].as_str().expect("message").contains("H12"),
        "{g:#}"
    );
    let f = finding("generic-500");
    assert_eq!(
        (&f["method"], &f["route"]),
        (&"POST".into(), &"/orders".into())
    );
    let out = statuslens().arg("records").arg(&p).output().expect("runs");
    let records: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .take(2)
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(
        (
            &records[0]["origin"],
            &records[0]["details"]["gateway_error"],
            &records[0]["duration_ms"],
            &records[0]["client"]
        ),
        (
            &"gateway".into(),
            &"H12".into(),
            &30000.0.into(),
            &"198.51.100.1".into()
        ),
        "{:#}",
        records[0]
    );
    assert_eq!(records[1]["origin"], "app", "{:#}", records[1]);
}

#[test]
fn json_lines_with_escaped_slashes_read_as_the_same_requests() {
    // PHP's `json_encode` escapes every `/` unless told not to (`"10\/Oct\/2024:13:00:00
    // +0000"`, `"\/api\/orders\/12"`): the same requests written both ways make the same
    // report. (Before, the escaped times were rejected and no format fitted the file.)
    let dir = tempfile::tempdir().expect("tempdir");
    let mut plain = String::new();
    for i in 0..600 {
        let status = match i % 40 {
            0..=5 => 500,
            _ if i % 7 == 0 => 404,
            _ => 200,
        };
        plain.push_str(&format!(
            "{{\"time_local\":\"10/Oct/2024:13:{:02}:{:02} +0000\",\"remote_addr\":\"10.0.0.{}\",\
             \"request_method\":\"GET\",\"request_uri\":\"/api/orders/{}?page=2\",\"status\":\"{}\",\
             \"body_bytes_sent\":\"{}\",\"request_time\":\"0.{:03}\",\
             \"http_user_agent\":\"Mozilla/5.0\"}}\n",
            i / 60 % 60,
            i % 60,
            i % 50,
            1000 + i,
            status,
            100 + i,
            20 + i % 300
        ));
    }
    let escaped = plain.replace('/', "\\/");
    assert_ne!(plain, escaped);
    let a = write(dir.path(), "plain.log", plain.as_bytes());
    let b = write(dir.path(), "php.log", escaped.as_bytes());
    let (x, cx) = json_report(&[a.to_str().expect("utf8")]);
    let (y, cy) = json_report(&[b.to_str().expect("utf8")]);
    assert_eq!(cx, cy);
    assert_eq!(y["summary"]["parsed"], 600);
    assert_eq!(
        y["summary"]["files"][0]["format"],
        x["summary"]["files"][0]["format"]
    );
    assert_eq!(y["summary"]["time_range"], x["summary"]["time_range"]);
    assert!(!x["summary"]["time_range"].is_null());
    assert_eq!(y["endpoints"], x["endpoints"]);
    assert_eq!(y["timeline"], x["timeline"]);
    assert_eq!(
        y["findings"].as_array().map(Vec::len),
        x["findings"].as_array().map(Vec::len)
    );
}

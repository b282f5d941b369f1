//! Partial aggregates (issue 6, SPEC §7): shards written with `--format partial` and merged give
//! the report of one run over everything — totals, percentiles, findings, samples.

use serde_json::Value;

use crate::logbuilder::{req, Log, Rng};
use crate::util::{gzip, json_of, report_json, statuslens, write, write_partial};

/// A multi-file log with findings: a healthy background, a fast-500 write, a wrong method, a
/// retry storm split across files, and a scanner.
pub(crate) fn fixture_files() -> Vec<(String, String)> {
    let mut rng = Rng::new(61);
    let mut log = Log::new();
    log.spread(6000, 0.0, 6.0 * 3600.0, |i, t| {
        req(
            t,
            "GET",
            &format!("/api/items/{}", i % 700),
            if i % 17 == 0 { 404 } else { 200 },
        )
        .ms(rng.latency(40.0))
        .client(rng.client(300))
    });
    log.spread(400, 0.0, 6.0 * 3600.0, |i, t| {
        let fail = i % 5 == 0;
        req(t, "POST", "/api/orders", if fail { 500 } else { 201 })
            .ms(if fail {
                rng.latency(3.0)
            } else {
                rng.latency(160.0)
            })
            .client(rng.client(300))
    });
    log.spread(60, 0.0, 6.0 * 3600.0, |_, t| {
        req(t, "DELETE", "/api/items", 404).client(rng.client(300))
    });
    log.spread(100, 0.0, 6.0 * 3600.0, |_, t| {
        req(t, "GET", "/api/items", 200).client(rng.client(300))
    });
    // A storm that spans the boundary between two hourly files.
    log.spread(240, 3540.0, 3660.0, |_, t| {
        req(t, "GET", "/api/quote", 429).client("10.9.9.9")
    });
    log.spread(300, 0.0, 6.0 * 3600.0, |_, t| {
        req(t, "GET", "/api/quote", 200).client(rng.client(300))
    });
    for p in 0..15 {
        log.push(
            req(7000.0 + f64::from(p), "GET", &format!("/wp-{p}.php"), 404).client("198.51.100.4"),
        );
    }
    // One file per hour, as a rotated log would be.
    let text = log.combined();
    let mut files: Vec<(String, String)> = (0..6)
        .map(|h| (format!("access-{h}.log"), String::new()))
        .collect();
    for line in text.lines() {
        let hour: usize = line
            .split(':')
            .nth(1)
            .and_then(|h| h.parse().ok())
            .expect("an hour in the timestamp");
        files[hour.min(5)].1.push_str(line);
        files[hour.min(5)].1.push('\n');
    }
    files
}

#[test]
fn file_shards_merge_to_the_single_run_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    for (name, text) in fixture_files() {
        write(&logs, &name, text.as_bytes());
    }
    let whole = statuslens()
        .current_dir(dir.path())
        .args(["logs", "--format", "json"])
        .output()
        .expect("runs");
    let whole = json_of(&whole);
    assert!(
        whole["findings"].as_array().is_some_and(|f| f.len() >= 3),
        "{whole:#}"
    );
    // Three array-job shards, each writing a partial, one gzipped.
    for i in 0..3 {
        let out = statuslens()
            .current_dir(dir.path())
            .args([
                "logs",
                "--shard",
                &format!("{i}/3"),
                "--format",
                "partial",
                "--jobs",
                "1",
            ])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0));
        let data = if i == 1 {
            gzip(&out.stdout)
        } else {
            out.stdout
        };
        write(dir.path(), &format!("parts/shard-{i}.partial"), &data);
    }
    // Merged in a different order, and through a second level of partials.
    let merged = statuslens()
        .current_dir(dir.path())
        .args([
            "parts/shard-2.partial",
            "parts/shard-0.partial",
            "parts/shard-1.partial",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(json_of(&merged), whole, "merged shards = one run");
    let level2 = statuslens()
        .current_dir(dir.path())
        .args([
            "parts/shard-2.partial",
            "parts/shard-0.partial",
            "-o",
            "partial=parts/two.partial",
        ])
        .output()
        .expect("runs");
    assert_eq!(level2.status.code(), Some(0));
    let merged = statuslens()
        .current_dir(dir.path())
        .args([
            "parts/two.partial",
            "parts/shard-1.partial",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(json_of(&merged), whole, "partials of partials merge too");
}

/// The report with everything that names input files taken out.
fn without_files(mut v: Value) -> Value {
    v["summary"]["files"] = Value::Null;
    v["summary"]["formats"] = Value::Null;
    v["rejects"]["samples"] = Value::Null;
    if let Some(fs) = v["findings"].as_array_mut() {
        for f in fs {
            f["evidence"]["samples"] = Value::Null;
            f["evidence"]["lines"] = Value::Null;
        }
    }
    v
}

#[test]
fn line_range_shards_mixed_with_logs_give_the_same_figures_and_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let all: String = fixture_files().into_iter().map(|(_, t)| t).collect();
    let whole_path = write(dir.path(), "all.log", all.as_bytes());
    let whole = json_of(
        &statuslens()
            .arg(&whole_path)
            .args(["--format", "json"])
            .output()
            .expect("runs"),
    );
    // Cut the one file into four line ranges; three become partials, one stays a log.
    let lines: Vec<&str> = all.lines().collect();
    let q = lines.len() / 4 + 1;
    let mut inputs = Vec::new();
    for (k, chunk) in lines.chunks(q).enumerate() {
        let text: String = chunk.iter().map(|l| format!("{l}\n")).collect();
        let log = write(dir.path(), &format!("range-{k}.log"), text.as_bytes());
        if k == 2 {
            inputs.push(log);
            continue;
        }
        let part = dir.path().join(format!("range-{k}.partial"));
        write_partial(&log, &part);
        inputs.push(part);
    }
    inputs.reverse();
    let merged = json_of(
        &statuslens()
            .args(&inputs)
            .args(["--format", "json"])
            .output()
            .expect("runs"),
    );
    assert_eq!(merged["summary"]["lines"], whole["summary"]["lines"]);
    assert_eq!(
        merged["endpoints"], whole["endpoints"],
        "same counts and percentiles"
    );
    assert_eq!(without_files(merged), without_files(whole));
}

#[test]
fn bad_partials_are_reported_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = write(dir.path(), "a.log", fixture_files()[0].1.as_bytes());
    let broken = write(
        dir.path(),
        "broken.partial",
        b"{\"statuslens_partial\": 1, \"files\": [",
    );
    let future = write(
        dir.path(),
        "future.partial",
        br#"{"statuslens_partial": 99, "statuslens_version": "9.9.9", "files": [], "aggregate": {}}"#,
    );
    for (bad, says) in [
        (&broken, "not a valid statuslens partial"),
        (&future, "format 99 is not supported"),
    ] {
        let out = statuslens()
            .arg(&good)
            .arg(bad)
            .args(["--format", "json"])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&bad.display().to_string()) && err.contains(says),
            "{err}"
        );
        let v: Value = report_json(&out.stdout);
        assert!(v["summary"]["parsed"].as_u64().is_some_and(|n| n > 0));
    }
}

#[test]
fn partials_show_non_utf8_routes_as_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = Vec::new();
    for i in 0..30 {
        text.extend_from_slice(
            format!("10.0.0.{i} - - [01/May/2024:10:00:{i:02} +0000] \"GET /caf").as_bytes(),
        );
        text.extend_from_slice(b"\xe9/\xff");
        text.extend_from_slice(
            format!("{} HTTP/1.1\" 404 1 \"-\" \"x\" 0.001\n", i % 3).as_bytes(),
        );
    }
    let log = write(dir.path(), "raw.log", &text);
    let whole = json_of(
        &statuslens()
            .arg(&log)
            .args(["--format", "json"])
            .output()
            .expect("runs"),
    );
    let part = dir.path().join("raw.partial");
    write_partial(&log, &part);
    // Bytes that are not UTF-8 are shown as U+FFFD from the start (one route per raw path
    // still), so the partial is plain UTF-8 text.
    assert!(std::fs::read_to_string(&part)
        .expect("UTF-8 JSON")
        .contains("/caf\u{fffd}/\u{fffd}1"));
    let routes: Vec<&str> = whole["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .filter_map(|e| e["route"].as_str())
        .collect();
    assert_eq!(
        routes,
        [
            "/caf\u{fffd}/\u{fffd}0",
            "/caf\u{fffd}/\u{fffd}1",
            "/caf\u{fffd}/\u{fffd}2"
        ]
    );
    let merged = json_of(
        &statuslens()
            .arg(&part)
            .args(["--format", "json"])
            .output()
            .expect("runs"),
    );
    assert_eq!(without_files(merged), without_files(whole));
}

#[test]
fn shard_flag_partitions_the_file_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in fixture_files() {
        write(dir.path(), &name, text.as_bytes());
    }
    let mut seen = Vec::new();
    for i in 0..4 {
        let v = json_of(
            &statuslens()
                .arg(dir.path())
                .args(["--shard", &format!("{i}/4"), "--format", "json"])
                .output()
                .expect("runs"),
        );
        for f in v["summary"]["files"].as_array().expect("files") {
            seen.push(f["name"].as_str().expect("name").to_string());
        }
    }
    seen.sort();
    assert_eq!(seen.len(), 6, "every file in exactly one shard: {seen:?}");
    seen.dedup();
    assert_eq!(seen.len(), 6);
    for bad in ["4/4", "1", "a/b", "0/0"] {
        let out = statuslens()
            .arg(dir.path())
            .args(["--shard", bad])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
}

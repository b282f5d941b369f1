//! Shared helpers: the real binary, temp dirs, compressed fixtures.

use std::io::Write;
use std::path::Path;

/// The `statuslens` binary built by cargo for this test run.
pub(crate) fn statuslens() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("statuslens").expect("the binary is built")
}

/// gzip `data` with flate2.
pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("in-memory write");
    e.finish().expect("in-memory finish")
}

/// zstd `data`.
pub(crate) fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).expect("in-memory zstd")
}

/// Write `data` to `dir/name`.
pub(crate) fn write(dir: &Path, name: &str, data: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&p, data).expect("write fixture");
    p
}

/// A combined log line.
pub(crate) fn combined(
    ip: &str,
    time: &str,
    method: &str,
    path: &str,
    status: u16,
    bytes: u64,
    secs: f64,
) -> String {
    format!(
        r#"{ip} - - [{time}] "{method} {path} HTTP/1.1" {status} {bytes} "-" "test-agent/1.0" {secs:.3}"#
    )
}

/// A realistic combined log with `n` lines over a few routes and statuses.
pub(crate) fn sample_log(n: usize) -> String {
    let routes = ["/api/users/{}", "/api/orders/{}", "/api/items", "/health"];
    let mut out = String::new();
    for i in 0..n {
        let r = routes[i % routes.len()].replace("{}", &(1000 + i * 7 % 97).to_string());
        let method = if i % 5 == 0 { "POST" } else { "GET" };
        let status = match i % 20 {
            0 => 500,
            1 | 2 => 404,
            3 => 302,
            _ => 200,
        };
        let sec = i % 60;
        let min = (i / 60) % 60;
        out.push_str(&combined(
            &format!("10.0.0.{}", i % 50),
            &format!("10/Oct/2024:13:{min:02}:{sec:02} +0000"),
            method,
            &r,
            status,
            (i * 13 % 5000) as u64,
            (i % 17) as f64 * 0.011,
        ));
        out.push('\n');
    }
    out
}

/// Write the partial aggregate of `input` to `part`, checking that the run exited 0.
pub(crate) fn write_partial(input: &Path, part: &Path) {
    let out = statuslens()
        .arg(input)
        .arg("-o")
        .arg(format!("partial={}", part.display()))
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The JSON report of `path` (`statuslens PATH --format json` and `args`), validated.
pub(crate) fn json_report(path: &Path, args: &[&str]) -> serde_json::Value {
    json_of(
        &statuslens()
            .arg(path)
            .args(["--format", "json"])
            .args(args)
            .output()
            .expect("runs"),
    )
}

/// The JSON report of `path` at `--jobs` 1, 2 and 3, asserted the same at each (all but the
/// `producer` block, which names the options).
pub(crate) fn json_report_at_any_jobs(path: &Path) -> serde_json::Value {
    let reports: Vec<serde_json::Value> = ["1", "2", "3"]
        .iter()
        .map(|j| {
            let mut r = json_report(path, &["--no-progress", "--jobs", j]);
            r["producer"] = serde_json::Value::Null;
            r
        })
        .collect();
    for (r, j) in reports[1..].iter().zip(2..) {
        assert!(r == &reports[0], "--jobs {j} changed the report");
    }
    reports.into_iter().next().expect("a report")
}

/// The report of `statuslens PATH --format FORMAT` on standard output, whatever the exit.
pub(crate) fn report_text(path: &Path, format: &str) -> String {
    let out = statuslens()
        .arg(path)
        .args(["--format", format])
        .output()
        .expect("runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The error output of `statuslens PATHS… --format json ARGS`, after checking that it exited 2
/// (an input or usage error).
pub(crate) fn refusal(paths: &[&Path], args: &[&str]) -> String {
    let out = statuslens()
        .args(paths)
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("runs");
    let e = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "stderr: {e}");
    e
}

/// The JSON report a run printed, after checking that it exited 0 (stderr shown otherwise).
pub(crate) fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    report_json(&out.stdout)
}

/// A JSON report parsed and validated against `docs/report.schema.json` (every report a test
/// reads goes through here, so the schema is checked against everything the tests produce).
pub(crate) fn report_json(bytes: &[u8]) -> serde_json::Value {
    static SCHEMA: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let v: serde_json::Value = serde_json::from_slice(bytes).expect("JSON report");
    let validator = SCHEMA.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.schema.json");
        let schema = serde_json::from_str(&std::fs::read_to_string(path).expect("schema"))
            .expect("the schema is JSON");
        jsonschema::draft202012::new(&schema).expect("a valid JSON Schema")
    });
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "report does not follow docs/report.schema.json:\n{}",
        errors.join("\n")
    );
    v
}

/// Run the shell command `command` on a pseudo-terminal (util-linux `script`), outside CI;
/// what the terminal showed. `None` (the test is skipped, with a note) when `script` is not
/// installed, which CI never allows.
pub(crate) fn on_terminal(command: &str, env: &[(&str, &str)]) -> Option<String> {
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", command, "/dev/null"]);
    cmd.env_remove("CI");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let Ok(out) = cmd.output() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI has util-linux `script`"
        );
        eprintln!("skipped: no `script` to make a terminal");
        return None;
    };
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The names of the files in `dir`.
pub(crate) fn file_names(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect()
}

/// The first finding of `rule` in a JSON report (the findings shown otherwise).
pub(crate) fn finding(report: &serde_json::Value, rule: &str) -> serde_json::Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule}: {:#}", report["findings"]))
        .clone()
}

/// The row of `method` `route` in a JSON report's endpoint table.
pub(crate) fn endpoint<'r>(
    report: &'r serde_json::Value,
    method: &str,
    route: &str,
) -> Option<&'r serde_json::Value> {
    report["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .find(|e| e["method"] == method && e["route"] == route)
}

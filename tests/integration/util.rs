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

/// The JSON report a run printed, after checking that it exited 0 (stderr shown otherwise).
pub(crate) fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

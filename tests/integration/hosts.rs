//! Host as a dimension of the endpoint (issue 15): the same paths on two hosts behind one load
//! balancer are two endpoints, each judged on its own; one host changes nothing; `--host`
//! keeps the hosts asked for.

use serde_json::Value;

use crate::util::{json_report, statuslens, write, write_partial};

/// JSON lines from a shared gateway: on `api.a.example` PUT /api/settings is not routed (404)
/// while GET succeeds; on `API.B.example:443` (same host name rules: case and port dropped) the
/// PUT succeeds. Both serve GET /api/users.
fn two_hosts() -> String {
    let mut out = String::new();
    let mut line = |i: usize, host: &str, method: &str, path: &str, status: u16| {
        out.push_str(&format!(
            "{{\"time\":\"2024-05-01T12:{:02}:{:02}Z\",\"host\":\"{host}\",\"method\":\"{method}\",\"path\":\"{path}\",\"status\":{status},\"duration_ms\":12,\"client\":\"10.0.{}.{}\"}}\n",
            (i / 60) % 60,
            i % 60,
            i % 7,
            i % 50
        ));
    };
    for i in 0..600 {
        let (host, b) = if i % 2 == 0 {
            ("api.a.example", "a")
        } else {
            ("API.B.example:443", "b")
        };
        match i % 6 {
            0 | 1 => line(i, host, "GET", "/api/settings", 200),
            2 | 3 => line(i, host, "GET", "/api/users", 200),
            _ => line(
                i,
                host,
                "PUT",
                "/api/settings",
                if b == "a" { 404 } else { 200 },
            ),
        }
    }
    out
}

fn endpoint<'v>(v: &'v Value, method: &str, host: Option<&str>, route: &str) -> &'v Value {
    v["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .find(|e| e["method"] == method && e["host"].as_str() == host && e["route"] == route)
        .unwrap_or_else(|| panic!("{method} {host:?} {route} in {}", v["endpoints"]))
}

#[test]
fn the_same_route_on_two_hosts_is_two_endpoints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "gw.log", two_hosts().as_bytes());
    let v = json_report(&log, &[]);
    let a = Some("api.a.example");
    let b = Some("api.b.example");
    assert_eq!(
        endpoint(&v, "PUT", a, "/api/settings")["by_status"]["404"],
        100
    );
    assert_eq!(
        endpoint(&v, "PUT", b, "/api/settings")["by_status"]["200"],
        100
    );
    assert_eq!(endpoint(&v, "GET", a, "/api/users")["count"], 100);
    assert_eq!(endpoint(&v, "GET", b, "/api/users")["count"], 100);
    assert_eq!(v["endpoints"].as_array().map(Vec::len), Some(6));
    // The wrong method is found on the host that does not route it, and only there.
    let wrong: Vec<&Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "wrong-method-404")
        .collect();
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    assert_eq!(wrong[0]["host"], "api.a.example");
    assert_eq!(wrong[0]["method"], "PUT");
    // Text and Markdown name the endpoint with its host.
    let text = statuslens()
        .arg(&log)
        .env("COLUMNS", "120")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("PUT api.a.example/api/settings"), "{text}");
    assert!(text.contains("api.b.example/api/users"), "{text}");
    let md = statuslens()
        .arg(&log)
        .args(["--format", "markdown"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&md.stdout).contains("api.a.example/api/settings"));
    // A partial keeps the hosts: the merged report is the same.
    let part = dir.path().join("gw.partial");
    write_partial(&log, &part);
    let merged = json_report(&part, &[]);
    assert_eq!(merged["endpoints"], v["endpoints"]);
    assert_eq!(
        merged["findings"].as_array().map(Vec::len),
        v["findings"].as_array().map(Vec::len)
    );
}

#[test]
fn host_filter_keeps_the_hosts_asked_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "gw.log", two_hosts().as_bytes());
    let v = json_report(&log, &["--host", "*.B.EXAMPLE"]);
    // One host left: the report is as for a single-host log (no host field), and the other
    // host's lines are counted as left out.
    assert_eq!(v["summary"]["out_of_window"], 300);
    assert_eq!(v["producer"]["options"]["hosts"][0], "*.B.EXAMPLE");
    let eps = v["endpoints"].as_array().expect("endpoints");
    assert_eq!(eps.len(), 3);
    assert!(eps.iter().all(|e| e.get("host").is_none()), "{eps:?}");
    assert_eq!(
        endpoint(&v, "PUT", None, "/api/settings")["by_status"]["200"],
        100
    );
    assert!(v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .all(|f| f["rule"] != "wrong-method-404"));
    let recs = statuslens()
        .arg("records")
        .arg(&log)
        .args(["--host", "api.a.example"])
        .output()
        .expect("runs");
    let recs = String::from_utf8_lossy(&recs.stdout);
    assert_eq!(recs.lines().count(), 300);
    assert!(recs
        .lines()
        .all(|l| l.contains("\"host\":\"api.a.example\"")));
    let text = statuslens()
        .arg(&log)
        .args(["--host", "nothing.example"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&text.stdout).contains("600 parsed lines left out by"));
}

#[test]
fn one_host_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let one: String = two_hosts()
        .lines()
        .filter(|l| l.contains("api.a.example"))
        .map(|l| format!("{l}\n"))
        .collect();
    let without: String = one.replace("\"host\":\"api.a.example\",", "");
    let with = write(dir.path(), "with.log", one.as_bytes());
    let bare = write(dir.path(), "bare.log", without.as_bytes());
    let run = |p: &std::path::Path| {
        let mut v = json_report(p, &[]);
        for f in v["summary"]["files"].as_array_mut().expect("files") {
            f["name"] = Value::Null;
        }
        for f in v["findings"].as_array_mut().expect("findings") {
            f["evidence"]["samples"] = Value::Null;
            f["evidence"]["lines"] = Value::Null;
        }
        v
    };
    let (a, b) = (run(&with), run(&bare));
    assert!(a["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .all(|e| e.get("host").is_none()));
    assert_eq!(a["endpoints"], b["endpoints"]);
    assert_eq!(a["findings"], b["findings"]);
}

/// Six hours of two hosts behind one gateway: `api.a.example` serves five endpoints every two
/// seconds and answers 503 to one request in `a_503_every`; `api.b.example` serves four every
/// four seconds, and its target is down from 02:00 to 02:10 (every request 502).
fn burst_on_b(a_503_every: usize, same_paths: bool) -> String {
    let b_prefix = if same_paths { "/a/r" } else { "/b/r" };
    let mut out = String::new();
    for s in (0..6 * 3600).step_by(2) {
        let t = format!(
            "2024-05-01T{:02}:{:02}:{:02}Z",
            s / 3600,
            s / 60 % 60,
            s % 60
        );
        let i = s / 2;
        let status = if a_503_every > 0 && i % a_503_every == 7 {
            503
        } else {
            200
        };
        out.push_str(&format!(
            "{{\"time\":\"{t}\",\"host\":\"api.a.example\",\"method\":\"GET\",\"path\":\"/a/r{}\",\"status\":{status},\"client\":\"10.1.0.{}\"}}\n",
            i % 5,
            i % 90
        ));
        if s % 4 == 0 {
            let status = if (7200..7800).contains(&s) { 502 } else { 200 };
            out.push_str(&format!(
                "{{\"time\":\"{t}\",\"host\":\"api.b.example\",\"method\":\"GET\",\"path\":\"{b_prefix}{}\",\"status\":{status},\"client\":\"10.2.0.{}\"}}\n",
                s / 4 % 4,
                i % 90
            ));
        }
    }
    out
}

#[test]
fn a_gateway_burst_on_one_host_is_that_hosts() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The same paths on both hosts interleave the hosts in the endpoint list: still one
    // finding, not one per stretch of the list.
    for (name, every, same) in [
        ("clean", 0, false),
        ("background", 40, false),
        ("same paths", 40, true),
    ] {
        let log = write(dir.path(), name, burst_on_b(every, same).as_bytes());
        let v = json_report(&log, &[]);
        let bursts: Vec<&Value> = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule"] == "gateway-burst")
            .collect();
        assert_eq!(bursts.len(), 1, "{name}: {bursts:#?}");
        let f = bursts[0];
        assert_eq!(f["host"], "api.b.example", "{name}: {f:#}");
        assert_eq!(f["count"], 150, "{name}: {f:#}");
        assert_eq!(
            f["evidence"]["time_window"]["start"], "2024-05-01T02:00:00Z",
            "{name}"
        );
        assert!(f["message"]
            .as_str()
            .expect("text")
            .starts_with("On host api.b.example"));
    }
}

/// A flood of requests with junk `Host` values (3 000 hosts, one request each) answered with
/// nginx's unregistered 494, past a route cap of 100: most of them fold into `(other)`. The
/// API-wide `nonstandard-code` finding counts every one — the folded ones too — not only those
/// that met a kept endpoint.
#[test]
fn a_code_spread_over_junk_hosts_is_counted_whole_past_the_route_cap() {
    let mut text = String::new();
    let mut line = |i: usize, host: &str, path: &str, status: u16| {
        text.push_str(&format!(
            "{host} 10.0.{}.{} - - [01/May/2024:12:{:02}:{:02} +0000] \"GET {path} HTTP/1.1\" {status} 10 \"-\" \"ua\"\n",
            i % 200,
            i % 250,
            (i / 60) % 60,
            i % 60
        ));
    };
    for i in 0..3000 {
        line(i, &format!("h{i}.example.com"), "/", 494);
        for (k, path) in ["/api/users", "/api/orders", "/api/items"]
            .iter()
            .enumerate()
        {
            let status = if i % 1000 == k { 494 } else { 200 };
            line(i, "api.example.com", path, status);
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "vhosts.log", text.as_bytes());
    let v = json_report(&log, &["--route-cap", "100"]);
    let f = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "nonstandard-code" && f["observed_status"] == 494)
        .unwrap_or_else(|| panic!("no 494 finding: {:#}", v["findings"]));
    assert_eq!(f["route"], "(whole API)", "{f:#}");
    assert_eq!(f["count"], 3009, "{f:#}");
    assert!(
        f["evidence"]["figures"]["used_on"]
            .as_str()
            .is_some_and(|s| s.contains("(other)")),
        "{f:#}"
    );
}

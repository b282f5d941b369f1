//! Reports people read and CI gates (issue 5): every renderer snapshotted on one canonical run,
//! Markdown and JUnit parsed back, the HTML page's escaping, `check` exit statuses, several
//! outputs in one run, the progress bar only on a terminal, and the page in a real headless
//! browser.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::logbuilder::{req, Log, Rng};
use crate::util::{json_report, report_json, report_text, sample_log, statuslens, write};

/// Log text that ends up in reports: it must render as text everywhere.
const EVIL_PATH: &str =
    "/search/\"><script>document.title='PWNED'</script><img src=x onerror=alert(1)>";

/// A small API log with a few findings, hostile strings, a rejected line and a scanner.
fn canonical_log() -> String {
    let mut rng = Rng::new(99);
    let mut log = Log::new();
    log.spread(200, 0.0, 3600.0, |i, t| {
        req(
            t,
            "GET",
            &format!("/api/users/{}", 100 + i % 50),
            if i % 10 == 0 { 404 } else { 200 },
        )
        .ms(rng.latency(30.0))
        .client(rng.client(40))
        .user("alice")
    });
    log.spread(100, 0.0, 3600.0, |i, t| {
        let fail = i % 4 == 0;
        req(t, "POST", "/api/orders", if fail { 500 } else { 201 })
            .ms(if fail { 3.0 } else { rng.latency(150.0) })
            .client(rng.client(40))
            .user("alice")
    });
    log.spread(30, 0.0, 3600.0, |_, t| {
        req(t, "DELETE", "/api/users", 404)
            .client(rng.client(40))
            .user("alice")
    });
    log.spread(50, 0.0, 3600.0, |_, t| {
        req(t, "GET", "/api/users", 200)
            .client(rng.client(40))
            .user("alice")
    });
    log.spread(20, 0.0, 3600.0, |_, t| {
        req(t, "POST", "/api/pay", 200)
            .marker("CARD_VALIDATION\"><script>alert(1)</script>|`x`")
            .client(rng.client(40))
            .user("alice")
    });
    log.spread(5, 0.0, 3600.0, |_, t| {
        req(t, "GET", EVIL_PATH, 418)
            .client("javascript:alert(1)")
            .user("alice")
    });
    log.spread(5, 0.0, 3600.0, |_, t| {
        req(t, "GET", "/go/javascript:alert(1)", 302)
            .client("10.0.0.8")
            .user("alice")
    });
    log.push(req(1800.0, "GET", "/esc/\u{1b}[31mred\u{202e}txt", 200).client("10.0.0.9"));
    let mut t = 2000.0;
    for p in 0..12 {
        log.push(
            req(t, "GET", &format!("/probe-{p}.php"), 404)
                .client("203.0.113.9")
                .user(""),
        );
        t += 1.0;
    }
    let mut text = log.json();
    text.push_str("{\"this is\": not json\n");
    text
}

/// Run the real binary once over the canonical log with every output format; the outputs by
/// extension, with the temp dir's path replaced by `DIR` (no markup, so XML stays XML).
fn canonical_outputs() -> Vec<(&'static str, String)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "api.jsonl", canonical_log().as_bytes());
    let mut cmd = statuslens();
    cmd.arg(&log);
    let exts = ["txt", "json", "md", "html", "xml"];
    for ext in exts {
        cmd.arg("-o").arg(dir.path().join(format!("report.{ext}")));
    }
    let out = cmd.output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "with -o nothing goes to stdout");
    let prefix = format!("{}/", dir.path().display());
    exts.iter()
        .map(|ext| {
            let text =
                std::fs::read_to_string(dir.path().join(format!("report.{ext}"))).expect("written");
            (*ext, text.replace(&prefix, "DIR/"))
        })
        .collect()
}

#[test]
fn every_renderer_on_the_canonical_run() {
    let outputs = canonical_outputs();
    let version = env!("CARGO_PKG_VERSION");
    for (ext, text) in outputs {
        // The version is in footers and the producer block; keep snapshots stable across
        // releases (and leave addresses such as 10.1.0.28 alone).
        let text = text
            .replace(&format!("statuslens {version}"), "statuslens VERSION")
            .replace(
                &format!("\"version\": \"{version}\""),
                "\"version\": \"VERSION\"",
            );
        insta::assert_snapshot!(format!("canonical_{ext}"), text);
    }
}

#[test]
fn html_escapes_log_text_and_is_self_contained() {
    let outputs = canonical_outputs();
    let html = &outputs.iter().find(|(e, _)| *e == "html").expect("html").1;
    assert!(
        !html.contains("<script>document.title"),
        "injected script is text"
    );
    assert!(!html.contains("<img src=x"), "injected tag is text");
    assert!(html.contains("&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;"));
    assert!(html.contains("javascript:alert(1)"), "shown as text");
    assert!(
        html.matches("href=\"").count() == html.matches("href=\"#").count(),
        "only links within the page (to a rule's docs, an endpoint's drill-down), so no javascript: link"
    );
    assert!(
        html.contains("href=\"#rule-"),
        "findings link to their rule's docs"
    );
    assert!(
        html.contains("\\u{1b}[31mred\\u{202e}txt"),
        "control and bidi characters spelled out"
    );
    assert_eq!(
        html.matches("<script>").count(),
        1,
        "only our own inline script"
    );
    for needle in ["http://", "https://", "src=\"", "@import", "url("] {
        assert!(!html.contains(needle), "no external resource ({needle})");
    }
    assert!(html.contains("Content-Security-Policy"));
    for id in [
        "timeline-chart",
        "latency-chart",
        "id=\"ep\"",
        "id=\"findings\"",
        "id=\"rejects\"",
        "id=\"noise\"",
    ] {
        assert!(html.contains(id), "{id} present");
    }
}

/// Split a Markdown table row into cells, honouring backslash escapes.
fn cells(row: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in row.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    n
}

#[test]
fn markdown_tables_stay_tables() {
    let outputs = canonical_outputs();
    let md = &outputs.iter().find(|(e, _)| *e == "md").expect("md").1;
    let mut header_cells = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            header_cells = None;
            continue;
        }
        let n = cells(line);
        match header_cells {
            None => header_cells = Some(n),
            Some(h) => assert_eq!(n, h, "row breaks its table: {line}"),
        }
    }
    assert!(md.contains("\\<script\\>") || md.contains("&lt;script&gt;"));
    assert!(!md.contains("<script>"));
    assert!(
        md.contains("| error | [`error-body-200`](#rule-error-body-200) |"),
        "{md}"
    );
    assert!(
        md.contains("<a id=\"rule-error-body-200\"></a>"),
        "the link has its target"
    );
    // Every endpoint row's class columns (2xx, 3xx, 4xx, 5xx, other) add up to the whole.
    let table = &md[md
        .find("| method | route | requests |")
        .expect("endpoint table")..];
    let rows: Vec<&str> = table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(rows.len() > 5);
    for row in rows {
        let cols: Vec<&str> = row.split(" | ").collect();
        let sum: f64 = cols[3..8]
            .iter()
            .map(|c| c.trim_end_matches('%').parse::<f64>().expect("a share"))
            .sum();
        assert!((sum - 100.0).abs() <= 0.3, "{sum} in {row}");
    }
}

#[test]
fn markdown_is_bounded_on_100_000_routes() {
    let mut log = Log::new();
    let long = "x".repeat(300);
    // 100 000 distinct paths, each answered with a nonstandard code, and a config that makes
    // every one of them a finding.
    log.spread(100_000, 0.0, 36_000.0, |i, t| {
        req(
            t,
            "GET",
            &format!("/r{}/s{}/{long}|`{i}`", i % 1000, i / 1000),
            420,
        )
        .client("10.0.0.1")
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "many.jsonl", log.json().as_bytes());
    write(
        dir.path(),
        "t.toml",
        b"[rules.nonstandard-code]\nmin_count = 1\n",
    );
    let out = statuslens()
        .current_dir(dir.path())
        .arg(&p)
        .args([
            "--config",
            "t.toml",
            "--route-cap",
            "200000",
            "--format",
            "markdown",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = String::from_utf8(out.stdout).expect("utf-8");
    assert!(md.len() < 100 * 1024, "markdown is {} bytes", md.len());
    assert!(md.contains("more findings"), "the rest is counted");
}

#[test]
fn junit_has_the_schema_shape() {
    let outputs = canonical_outputs();
    let xml = &outputs.iter().find(|(e, _)| *e == "xml").expect("xml").1;
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let num = |n: roxmltree::Node<'_, '_>, a: &str| -> usize {
        n.attribute(a)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{a} on {n:?}"))
    };
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(suites.len(), 1, "one suite: the endpoints checked");
    let s = suites[0];
    let props: Vec<_> = s
        .descendants()
        .filter(|n| n.has_tag_name("property"))
        .map(|p| {
            (
                p.attribute("name").unwrap_or(""),
                p.attribute("value").unwrap_or(""),
            )
        })
        .collect();
    assert!(
        props
            .iter()
            .any(|(n, v)| *n == "rules" && v.split(',').count() == 21),
        "{props:?}"
    );
    assert!(
        props.contains(&("fail_on", "error")),
        "report's gate is error: {props:?}"
    );
    let cases: Vec<_> = s
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(num(s, "tests"), cases.len());
    let has = |c: &roxmltree::Node<'_, '_>, tag: &str| c.children().any(|f| f.has_tag_name(tag));
    let failed = cases.iter().filter(|c| has(c, "failure")).count();
    let skipped = cases.iter().filter(|c| has(c, "skipped")).count();
    assert_eq!(num(s, "failures"), failed);
    assert_eq!(num(s, "skipped"), skipped);
    assert_eq!(num(root, "tests"), cases.len());
    assert_eq!(num(root, "failures"), failed);
    // The canonical run has an error finding (a failure) and warnings below the gate (skipped).
    assert!(
        failed >= 1 && skipped >= 1,
        "failed {failed}, skipped {skipped}"
    );
    let mut names = std::collections::BTreeSet::new();
    for c in &cases {
        assert_eq!(c.attribute("classname"), Some("statuslens"));
        let name = c.attribute("name").expect("name");
        assert!(names.insert(name), "each endpoint once: {name}");
        assert!(!name.contains("(other)"), "not a checked endpoint");
        for f in c.children().filter(|f| f.has_tag_name("failure")) {
            assert!(f.attribute("message").is_some_and(|m| !m.is_empty()));
            assert_eq!(f.attribute("type"), Some("error"));
            assert!(
                f.text().is_some_and(|t| t.contains("sample: ")),
                "evidence in the body"
            );
        }
        for k in c.children().filter(|f| f.has_tag_name("skipped")) {
            assert!(k
                .attribute("message")
                .is_some_and(|m| m.starts_with("below --fail-on error: [")));
        }
    }
    // Scanner-only endpoints are noise, not test cases.
    let json = &outputs.iter().find(|(e, _)| *e == "json").expect("json").1;
    let report: serde_json::Value = report_json(json.as_bytes());
    for e in report["endpoints"].as_array().expect("endpoints") {
        if e["scanner_only"] == true {
            let name = format!(
                "{} {}",
                e["method"].as_str().unwrap_or(""),
                e["route"].as_str().unwrap_or("")
            );
            assert!(!names.contains(name.as_str()), "{name} is noise");
        }
    }
    let marker = doc
        .descendants()
        .filter_map(|n| n.attribute("message"))
        .find(|m| m.contains("CARD_VALIDATION"))
        .expect("the marker's message");
    assert!(
        marker.contains("<script>"),
        "escaped in the file, text after parsing: {marker}"
    );
}

#[test]
fn json_report_carries_findings_and_noise() {
    let outputs = canonical_outputs();
    let v: Value = report_json(
        outputs
            .iter()
            .find(|(e, _)| *e == "json")
            .expect("json")
            .1
            .as_bytes(),
    );
    assert!(v["findings"].as_array().is_some_and(|f| f.len() >= 3));
    assert_eq!(v["noise"]["scanner_count"], 1);
    assert_eq!(v["summary"]["rejected"], 1);
}

// ---- check ------------------------------------------------------------------------------------

fn check(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = statuslens()
        .current_dir(dir)
        .arg("check")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_exit_statuses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng::new(5);
    let mut clean = Log::new();
    clean.spread(300, 0.0, 3600.0, |i, t| {
        req(t, "GET", &format!("/api/users/{i}"), 200).client(rng.client(50))
    });
    write(dir.path(), "clean.log", clean.combined().as_bytes());
    let mut smelly = clean.clone();
    smelly.spread(30, 0.0, 3600.0, |_, t| {
        req(t, "DELETE", "/api/items", 404).client(rng.client(50))
    });
    smelly.spread(60, 0.0, 3600.0, |_, t| {
        req(t, "GET", "/api/items", 200).client(rng.client(50))
    });
    write(dir.path(), "smelly.log", smelly.combined().as_bytes());

    let (code, _, err) = check(dir.path(), &["clean.log"]);
    assert_eq!((code, err.as_str()), (0, ""), "a clean log passes");

    let (code, _, err) = check(dir.path(), &["smelly.log"]);
    assert_eq!(
        code, 0,
        "a warning does not fail at the default --fail-on error: {err}"
    );
    let (code, _, err) = check(dir.path(), &["smelly.log", "--fail-on", "warning"]);
    assert_eq!(code, 1);
    // One line per counted finding, then the one-line reason.
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].contains("SL003 warning DELETE /api/items: 404 -> 405 (30 requests"),
        "{err}"
    );
    assert!(lines[1].contains("1 finding at or above warning"), "{err}");

    // A baseline that already has the finding: nothing new, pass.
    let (code, _, _) = check(
        dir.path(),
        &["smelly.log", "--fail-on", "warning", "-o", "base.json"],
    );
    assert_eq!(code, 1);
    let (code, _, err) = check(
        dir.path(),
        &[
            "smelly.log",
            "--fail-on",
            "warning",
            "--baseline",
            "base.json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // ... but a baseline from the clean log does not excuse it.
    check(dir.path(), &["clean.log", "-o", "clean.json"]);
    let (code, _, err) = check(
        dir.path(),
        &[
            "smelly.log",
            "--fail-on",
            "warning",
            "--baseline",
            "clean.json",
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("new since the baseline"), "{err}");

    let (code, _, err) = check(dir.path(), &["clean.log", "--max-5xx-rate", "0"]);
    assert_eq!(code, 0, "{err}");
    let mut failing = clean.clone();
    failing.spread(10, 0.0, 3600.0, |_, t| {
        req(t, "GET", "/api/x", 503).client("10.0.0.2")
    });
    write(dir.path(), "failing.log", failing.combined().as_bytes());
    let (code, _, err) = check(dir.path(), &["failing.log", "--max-5xx-rate", "0.01"]);
    assert_eq!(code, 1);
    assert!(err.contains("5xx rate 3.23% > 1.00%"), "{err}");
    write(
        dir.path(),
        "junk.log",
        format!("{}garbage\ngarbage\n", clean.combined()).as_bytes(),
    );
    let (code, _, err) = check(dir.path(), &["junk.log", "--max-reject-rate", "0.001"]);
    assert_eq!(code, 1, "{err}");

    // Usage and input errors: 2, with a one-line message naming what is wrong.
    for args in [
        &["clean.log", "--fail-on", "fatal"][..],
        &["clean.log", "--max-5xx-rate", "5"],
        &["missing.log"],
        &["clean.log", "--baseline", "nope.json"],
        &["clean.log", "--baseline", "clean.log"],
    ] {
        let (code, _, err) = check(dir.path(), args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(!err.is_empty(), "{args:?} explains itself");
    }
    let (_, _, err) = check(dir.path(), &["missing.log"]);
    assert!(err.contains("missing.log"), "{err}");
}

#[test]
fn check_annotates_github_actions_with_a_cap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut log = Log::new();
    // Twenty endpoints with a nonstandard code each: twenty warnings.
    for e in 0..20 {
        log.spread(10, 0.0, 3600.0, |_, t| {
            req(t, "GET", &format!("/api/e{e}"), 420).client("10.0.0.1")
        });
    }
    write(dir.path(), "a.log", log.combined().as_bytes());
    let out = statuslens()
        .current_dir(dir.path())
        .args(["check", "a.log", "--fail-on", "warning", "-o", "r.json"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let annotations: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("::warning title="))
        .collect();
    assert_eq!(annotations.len(), 10, "capped: {stdout}");
    assert!(annotations[0].contains("nonstandard-code"));
    let out = statuslens()
        .current_dir(dir.path())
        .args(["check", "a.log", "--fail-on", "warning", "-o", "r.json"])
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("runs");
    assert!(
        out.stdout.is_empty(),
        "no annotations outside GitHub Actions"
    );
}

// ---- progress ---------------------------------------------------------------------------------

/// Run `statuslens` on a pseudo-terminal (util-linux `script`) reading a stdin that stays open
/// for two seconds; what the terminal showed.
fn on_terminal(extra: &str, env: &[(&str, &str)]) -> Option<String> {
    let bin = assert_cmd::cargo::cargo_bin("statuslens");
    crate::util::on_terminal(
        &format!("sleep 2 | {} - -o json=/dev/null {extra}", bin.display()),
        env,
    )
}

#[test]
fn progress_only_on_a_terminal() {
    let Some(shown) = on_terminal("", &[]) else {
        return;
    };
    assert!(
        shown.contains(" read "),
        "a bar on a terminal after a second: {shown:?}"
    );
    assert!(shown.contains("files 0/1"), "{shown:?}");
    let quiet = on_terminal("--no-progress", &[]).expect("script ran");
    assert!(!quiet.contains(" read "), "--no-progress: {quiet:?}");
    let ci = on_terminal("", &[("CI", "true")]).expect("script ran");
    assert!(!ci.contains(" read "), "never in CI: {ci:?}");
    // Off a terminal (stderr captured by a pipe): nothing.
    let out = statuslens()
        .arg("-")
        .args(["-o", "json=/dev/null"])
        .env_remove("CI")
        .write_stdin(sample_log(20))
        .output()
        .expect("runs");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---- the page in a real browser -------------------------------------------------------------

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

#[test]
fn html_report_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs chromium (.ci/run); the browser test must run there"
        );
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "api.jsonl", canonical_log().as_bytes());
    let page = dir.path().join("report.html");
    let out = statuslens()
        .arg(&log)
        .arg("-o")
        .arg(&page)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let base = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ];
    let profile = dir.path().join("profile");
    let url = format!("file://{}", page.display());
    let dom = Command::new(browser)
        .args(base)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--virtual-time-budget=2000", "--dump-dom", &url])
        .output()
        .expect("chromium runs");
    let html = String::from_utf8_lossy(&dom.stdout);
    let log_text = String::from_utf8_lossy(&dom.stderr);
    assert!(
        html.contains("<title>statuslens report</title>"),
        "page loaded: {log_text}"
    );
    assert!(
        !html.contains("<script>document.title"),
        "the injected script is text, not an element"
    );
    for id in ["timeline-chart", "latency-chart", "id=\"ep\"", "Findings ("] {
        assert!(html.contains(id), "{id} in the rendered DOM");
    }
    assert!(
        html.matches("<tr>").count() > 5,
        "the endpoint table has rows"
    );
    for bad in ["Uncaught", "Refused to", "ERR_", "SyntaxError", "TypeError"] {
        let hits: Vec<&str> = log_text
            .lines()
            .filter(|l| l.contains("CONSOLE") || l.contains("console"))
            .filter(|l| l.contains(bad))
            .collect();
        assert!(hits.is_empty(), "console error ({bad}): {hits:?}");
    }
    // The dark scheme, with the drill-down of the first endpoint with a finding opened by the
    // URL fragment (as the finding's link does): the page's own script opens it, no console
    // error, and it holds the codes, the latency histogram and the endpoint's own timeline.
    let first_flagged = html
        .split("<td class=\"mark\" data-v=\"1\"><a href=\"#")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an endpoint with a finding is marked in the table")
        .to_string();
    let dark = Command::new(browser)
        .args(base)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args([
            "--force-dark-mode",
            "--virtual-time-budget=2000",
            "--dump-dom",
        ])
        .arg(format!("{url}#{first_flagged}"))
        .output()
        .expect("chromium runs");
    let dark_html = String::from_utf8_lossy(&dark.stdout);
    let dark_log = String::from_utf8_lossy(&dark.stderr);
    let opened = format!("id=\"{first_flagged}\" open=\"\"");
    assert!(
        dark_html.contains(&opened),
        "{opened} in the rendered DOM: {dark_log}"
    );
    let drill = &dark_html[dark_html.find(&opened).expect("opened")..];
    let drill = &drill[..drill.find("</details>").expect("closed")];
    for part in [
        "<th>Status</th>",
        "class=\"hist\"",
        &format!("id=\"{first_flagged}-timeline\""),
    ] {
        assert!(drill.contains(part), "{part} in the drill-down: {drill}");
    }
    assert!(html.contains("prefers-color-scheme:dark"), "a dark scheme");
    for bad in ["Uncaught", "Refused to", "ERR_", "SyntaxError", "TypeError"] {
        assert!(
            !dark_log
                .lines()
                .any(|l| l.to_lowercase().contains("console") && l.contains(bad)),
            "console error ({bad}) in the dark run: {dark_log}"
        );
    }
    // Screenshots of the bundled sample's report, for the README: the page (docs/report.png)
    // and, in the dark scheme, one endpoint's drill-down opened (docs/drilldown.png).
    if std::env::var_os("STATUSLENS_BLESS").is_some() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let sample_page = dir.path().join("sample.html");
        statuslens()
            .current_dir(root)
            .arg("fixtures/sample")
            .arg("-o")
            .arg(&sample_page)
            .output()
            .expect("runs");
        let shot = root.join("docs/report.png");
        let status = Command::new(browser)
            .args(base)
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(["--window-size=1280,2500", "--hide-scrollbars"])
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("file://{}", sample_page.display()))
            .output()
            .expect("chromium runs");
        assert!(status.status.success() && shot.exists());
        // The drill-down alone, opened: the page's style and that one element.
        let page_text = std::fs::read_to_string(&sample_page).expect("page");
        let head = &page_text[..page_text.find("<body>").expect("body") + 6];
        let flagged = page_text
            .find(" · has a finding")
            .expect("a finding's drill-down");
        let at = page_text[..flagged]
            .rfind("<details class=\"drill\"")
            .expect("a drill-down");
        let end = at + page_text[at..].find("</details>").expect("closed") + 10;
        let one = page_text[at..end].replacen(
            "<details class=\"drill\"",
            "<details open class=\"drill\"",
            1,
        );
        let drill_page = dir.path().join("drill.html");
        std::fs::write(&drill_page, format!("{head}{one}</body></html>")).expect("write");
        let shot = root.join("docs/drilldown.png");
        let status = Command::new(browser)
            .args(base)
            .arg(format!("--user-data-dir={}", profile.display()))
            .args([
                "--force-dark-mode",
                "--window-size=1280,500",
                "--hide-scrollbars",
            ])
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("file://{}", drill_page.display()))
            .output()
            .expect("chromium runs");
        assert!(status.status.success() && shot.exists());
    }
}

#[test]
fn findings_show_their_sample_lines_sanitised() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A user agent that would clear the screen and reverse the text on a terminal.
    let text: String = (0..30)
        .map(|i| {
            format!(
                "10.0.0.{i} - - [01/May/2024:10:00:{i:02} +0000] \"GET /api/status HTTP/1.1\" 200 0 \"-\" \"evil\u{1b}[2J\u{202e}\"\n"
            )
        })
        .collect();
    let p = write(dir.path(), "a.log", text.as_bytes());
    let run = |args: &[&str]| {
        statuslens()
            .arg(&p)
            .args(args)
            .env("COLUMNS", "200")
            .output()
            .expect("runs")
    };
    let out = run(&["--format", "text", "--color", "never"]);
    let shown = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{202e}'),
        "{shown}"
    );
    assert!(
        shown.contains("a.log:1  10.0.0.0 - - [01/May/2024:10:00:00 +0000]"),
        "the first sample line is shown: {shown}"
    );
    assert!(
        shown.contains("evil\\u{1b}[2"),
        "escaped, not executed: {shown}"
    );
    let v = report_json(&run(&["--format", "json"]).stdout);
    let lines = v["findings"][0]["evidence"]["lines"]
        .as_array()
        .expect("lines");
    assert_eq!(lines.len(), 2);
    assert!(lines[1]["source"]
        .as_str()
        .is_some_and(|s| s.ends_with("a.log:2")));
    let md = String::from_utf8(run(&["--format", "markdown"]).stdout).expect("UTF-8");
    assert!(md.contains("a.log:1: 10.0.0.0"), "{md}");
    let html = String::from_utf8(run(&["--format", "html"]).stdout).expect("UTF-8");
    assert!(
        html.contains("<code class=\"line\">10.0.0.0 - - "),
        "in the page"
    );
    // From standard input there is nothing to read back: samples, no text.
    let out = statuslens()
        .args(["-", "--format", "json"])
        .write_stdin(text)
        .output()
        .expect("runs");
    let v = report_json(&out.stdout);
    assert!(!v["findings"][0]["evidence"]["samples"]
        .as_array()
        .expect("samples")
        .is_empty());
    assert_eq!(v["findings"][0]["evidence"]["lines"], serde_json::json!([]));
}

#[test]
fn sample_lines_deep_in_a_file_are_the_lines_their_numbers_name() {
    // ~7 MB: the samples sit in the file's third and fourth chunks (2 MiB each), read back from
    // where their chunk starts in the plain file and by counting lines in the gzip one.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::new();
    let filler = |text: &mut String, from: usize, n: usize| {
        for i in from..from + n {
            let pad = "x".repeat(i % 37);
            text.push_str(&format!(
                "10.1.{}.{} - - [01/May/2024:10:{:02}:{:02} +0000] \"GET /api/items/{i}?q={pad} HTTP/1.1\" 200 {} \"-\" \"curl/8\"\n",
                i % 200, i % 250, (i / 60) % 60, i % 60, 100 + i % 900
            ));
        }
    };
    filler(&mut text, 0, 45_000);
    for i in 0..30 {
        text.push_str(&format!(
            "10.0.0.{i} - - [01/May/2024:10:30:{i:02} +0000] \"GET /api/status HTTP/1.1\" 200 0 \"-\" \"probe {i}\"\n"
        ));
        filler(&mut text, 45_000 + i * 500, 500);
    }
    assert!(text.len() > 6 << 20);
    let all: Vec<&str> = text.lines().collect();
    let plain = write(dir.path(), "deep.log", text.as_bytes());
    let gz = write(
        dir.path(),
        "deep.log.gz",
        &crate::util::gzip(text.as_bytes()),
    );
    // And from a partial of the plain file, merged: the chunk starts travel with it.
    let part = dir.path().join("deep.partial.json");
    crate::util::write_partial(&plain, &part);
    let written: Value =
        serde_json::from_slice(&std::fs::read(&part).expect("partial")).expect("JSON");
    let offsets = written["aggregate"]["chunk_offsets"]
        .as_array()
        .expect("kept");
    assert_eq!(offsets.len(), 4, "{offsets:?}");
    assert_eq!(offsets[0], serde_json::json!([0, 0, 0]));
    for p in [plain, gz, part] {
        let out = statuslens()
            .arg(&p)
            .args(["--format", "json"])
            .output()
            .expect("runs");
        let v = report_json(&out.stdout);
        let finding = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["route"] == "/api/status")
            .unwrap_or_else(|| panic!("the empty 200s are found: {v}"));
        let lines = finding["evidence"]["lines"].as_array().expect("lines");
        assert_eq!(lines.len(), 2, "{finding}");
        for l in lines {
            let source = l["source"].as_str().expect("source");
            let n: usize = source
                .rsplit(':')
                .next()
                .and_then(|n| n.parse().ok())
                .expect("n");
            assert!(n > 45_000, "{source}");
            assert_eq!(l["text"], all[n - 1], "{source}");
        }
    }
}

#[test]
fn the_timeline_is_a_time_axis_with_its_gaps() {
    // Two busy hours with four silent hours between them.
    let mut log = Log::new();
    log.spread(120, 0.0, 3600.0, |_, t| req(t, "GET", "/api/items", 200));
    log.spread(120, 5.0 * 3600.0, 6.0 * 3600.0, |_, t| {
        req(t, "GET", "/api/items", 200)
    });
    let out = statuslens()
        .arg("-")
        .args(["--format", "json"])
        .write_stdin(log.combined())
        .output()
        .expect("runs");
    let v = report_json(&out.stdout);
    let width = v["timeline"]["bucket_seconds"].as_i64().expect("width");
    let starts: Vec<i64> = v["timeline"]["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| {
            chrono::DateTime::parse_from_rfc3339(b["start"].as_str().expect("start"))
                .expect("RFC 3339")
                .timestamp()
        })
        .collect();
    assert!(
        starts.windows(2).all(|w| w[1] - w[0] == width),
        "contiguous: {starts:?}"
    );
    let empty = v["timeline"]["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .filter(|b| b["2xx"] == 0)
        .count() as i64;
    assert!(
        empty * width >= 3 * 3600,
        "the silent hours are there, at zero"
    );
}

#[test]
fn the_endpoint_table_fits_the_width_by_dropping_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "api.jsonl", canonical_log().as_bytes());
    let table = |columns: &str| {
        let out = statuslens()
            .arg(&log)
            .args(["--color", "never"])
            .env("COLUMNS", columns)
            .output()
            .expect("runs");
        let text = String::from_utf8(out.stdout).expect("UTF-8");
        let start = text.find("Top endpoints").expect("the table");
        text[start..]
            .lines()
            .take_while(|l| !l.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    for (width, kept, dropped) in [
        (
            80,
            &["REQUESTS", "2xx", "4xx", "5xx", "p99 ms"][..],
            &["3xx", "p50 ms", "top codes"][..],
        ),
        (
            120,
            &["3xx", "p50 ms", "p95 ms", "p99 ms"][..],
            &["top codes"][..],
        ),
        (160, &["3xx", "p50 ms", "top codes"][..], &[][..]),
    ] {
        let lines = table(&width.to_string());
        assert!(lines.len() > 5, "{lines:?}");
        for l in &lines {
            assert!(l.chars().count() <= width, "wider than {width}: {l:?}");
        }
        for k in kept {
            assert!(lines[1].contains(k), "{width}: {k} kept in {:?}", lines[1]);
        }
        for d in dropped {
            assert!(
                !lines[1].contains(d),
                "{width}: {d} dropped in {:?}",
                lines[1]
            );
        }
    }
}

/// On pseudo-terminals of 80 and 120 columns (the width comes from the terminal, not from
/// `COLUMNS`), no line of the text report is wider than the terminal; both are snapshots.
#[test]
fn text_fits_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut log = canonical_log();
    // A route longer than any terminal, with a finding on it.
    let long = format!("/api/{}/items", "very-long-segment-".repeat(12));
    for i in 0..25 {
        log.push_str(&format!(
            "{{\"time\":\"2024-05-01T00:{:02}:00Z\",\"remote_addr\":\"10.2.0.{i}\",\"method\":\"POST\",\"path\":\"{long}\",\"status\":500,\"duration_ms\":3.0,\"body_bytes_sent\":512}}\n",
            i * 2
        ));
        log.push_str(&format!(
            "{{\"time\":\"2024-05-01T00:{:02}:30Z\",\"remote_addr\":\"10.2.0.{i}\",\"method\":\"POST\",\"path\":\"{long}\",\"status\":201,\"duration_ms\":140.0,\"body_bytes_sent\":512}}\n",
            i * 2
        ));
    }
    let path = write(dir.path(), "api.jsonl", log.as_bytes());
    for cols in [80usize, 120] {
        let command = format!(
            "stty cols {cols} rows 60; env -u COLUMNS '{}' '{}' --color never --no-progress",
            env!("CARGO_BIN_EXE_statuslens"),
            path.display()
        );
        let Some(out) = crate::util::on_terminal(&command, &[]) else {
            return;
        };
        let text = out
            .replace('\r', "")
            .replace(&format!("{}/", dir.path().display()), "DIR/");
        assert!(text.contains("Top endpoints"), "{text}");
        assert!(text.contains("[generic-500] POST /api/very-long"), "{text}");
        for line in text.lines() {
            assert!(line.chars().count() <= cols, "wider than {cols}: {line:?}");
        }
        insta::assert_snapshot!(format!("text_on_{cols}_columns"), text);
    }
}

/// `--sort` orders the text table: most 5xx, most 4xx, slowest p99 first; every endpoint with a
/// finding is marked.
#[test]
fn the_text_table_sorts_and_marks_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "api.jsonl", canonical_log().as_bytes());
    let first_rows = |sort: &str| {
        let out = statuslens()
            .arg(&log)
            .args(["--color", "never", "--sort", sort])
            .env("COLUMNS", "160")
            .output()
            .expect("runs");
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).expect("UTF-8");
        let start = text.find("Top endpoints").expect("the table");
        text[start..]
            .lines()
            .skip(2)
            .take(3)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    // In the canonical log POST /api/orders has the 5xx, DELETE /api/users the most 4xx.
    let by_5xx = first_rows("5xx");
    assert!(
        by_5xx[0].starts_with("* POST    /api/orders "),
        "{by_5xx:?}"
    );
    let by_4xx = first_rows("4xx");
    assert!(by_4xx[0].starts_with("* DELETE  /api/users "), "{by_4xx:?}");
    let by_count = first_rows("count");
    assert!(
        by_count[0].contains("GET     /api/users/{id}"),
        "{by_count:?}"
    );
    let by_p99 = first_rows("p99");
    let p99 = |row: &str| -> f64 {
        let cells: Vec<&str> = row.trim_start_matches('*').split_whitespace().collect();
        cells[9].parse().expect("p99 cell")
    };
    assert!(
        p99(&by_p99[0]) >= p99(&by_p99[1]) && p99(&by_p99[1]) >= p99(&by_p99[2]),
        "{by_p99:?}"
    );
    let marked = by_5xx.iter().filter(|r| r.starts_with('*')).count();
    assert!(marked >= 1, "{by_5xx:?}");
    assert!(
        !by_count[0].starts_with('*'),
        "an endpoint without a finding is not marked: {by_count:?}"
    );
}

/// A share shown as a percentage is rounded once, from the exact figure: 137 redirects of 1 197
/// requests are 11.445 %, "11.4 %" in the message, the headline and the figures alike (the
/// JSON's `share` of 0.1145 read back as a percentage would say 11.5 %). The JSON keeps its
/// four decimals.
#[test]
fn a_share_reads_the_same_in_the_message_the_headline_and_the_figures() {
    let mut log = String::new();
    for i in 0..1197u32 {
        let s = i * 3;
        let status = if (i * 137) / 1197 != ((i + 1) * 137) / 1197 {
            302
        } else {
            201
        };
        log.push_str(&format!(
            "10.0.{}.{} - - [01/May/2024:00:{:02}:{:02} +0000] \"POST /api/v1/orders HTTP/1.1\" {status} 12 \"-\" \"curl/8\"\n",
            i % 7,
            i % 50,
            s / 60,
            s % 60
        ));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "a.log", log.as_bytes());
    for format in ["text", "markdown", "html"] {
        let text = report_text(&path, format);
        assert!(text.contains("redirect-on-api"), "{format}: {text}");
        assert!(text.contains("11.4%"), "{format}: {text}");
        assert!(!text.contains("11.5%"), "{format}: {text}");
    }
    let json = json_report(&path, &[]);
    let f = &json["findings"][0];
    assert_eq!(f["rule"], "redirect-on-api", "{f:#}");
    assert_eq!(f["share"], 0.1145, "{f:#}");
    assert_eq!(f["evidence"]["figures"]["share_redirects"], 0.1145, "{f:#}");
}

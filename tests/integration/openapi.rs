//! `--openapi` end to end (issue 7), through the real binary, on the fixture API
//! (`fixtures/openapi/`: the same shop API as OpenAPI 3.0 YAML and Swagger 2.0 JSON, a log of
//! 107 lines and the route every line must get).

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::util::{json_of, statuslens, write};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/openapi")
        .join(name)
}

/// The routes `records` assigns, one per line of the log.
fn routes(args: &[&str]) -> Vec<String> {
    let out = statuslens()
        .arg("records")
        .arg(fixture("shop.access.log"))
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("json record");
            v["route"].as_str().expect("route").to_string()
        })
        .collect()
}

fn expected_routes() -> Vec<String> {
    std::fs::read_to_string(fixture("shop.routes.txt"))
        .expect("fixture")
        .lines()
        .map(str::to_string)
        .collect()
}

fn report(args: &[&str]) -> Value {
    let out = statuslens()
        .arg(fixture("shop.access.log"))
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("runs");
    json_of(&out)
}

fn spec_arg(name: &str) -> String {
    fixture(name).display().to_string()
}

/// (rule, method, route, observed, recommended) of every finding.
fn finding_keys(r: &Value) -> Vec<(String, String, String, u64, Vec<u64>)> {
    r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().expect("rule").to_string(),
                f["method"].as_str().expect("method").to_string(),
                f["route"].as_str().expect("route").to_string(),
                f["observed_status"].as_u64().expect("observed"),
                f["recommended_status"]
                    .as_array()
                    .expect("recommended")
                    .iter()
                    .map(|c| c.as_u64().expect("code"))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn route_assignment_is_exact_for_every_line() {
    let want = expected_routes();
    assert_eq!(want.len(), 107);
    for spec in ["shop.openapi.yaml", "shop.swagger.json"] {
        let got = routes(&["--openapi", &spec_arg(spec)]);
        assert_eq!(got.len(), want.len(), "{spec}");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "{spec}: line {}", i + 1);
        }
    }
}

#[test]
fn explicit_routes_win_over_the_spec_which_wins_over_heuristics() {
    let got = routes(&[
        "--openapi",
        &spec_arg("shop.openapi.yaml"),
        "--route",
        "/v1/products/{sku}",
    ]);
    let want = expected_routes();
    let mut checked = 0;
    for (g, w) in got.iter().zip(&want) {
        if w == "/v1/products/{productId}" {
            assert_eq!(
                g, "/v1/products/{sku}",
                "the explicit route wins on equal shape"
            );
            checked += 1;
        } else {
            assert_eq!(
                g, w,
                "other lines keep the spec's route (the literal /featured included) or the heuristics'"
            );
        }
    }
    assert!(checked > 30, "{checked}");
    // The explicit route of the same shape keeps the spec's declaration.
    let r = report(&[
        "--openapi",
        &spec_arg("shop.openapi.yaml"),
        "--route",
        "/v1/products/{sku}",
    ]);
    assert_eq!(
        finding_keys(&r)
            .iter()
            .map(|f| (f.0.as_str(), f.2.as_str()))
            .collect::<Vec<_>>(),
        [
            ("wrong-method-404", "/v1/products/{sku}"),
            ("undocumented-status", "/v1/products/{sku}")
        ]
    );
    assert_eq!(r["api"]["operations_with_traffic"], 10);
    assert_eq!(r["api"]["undocumented_endpoints"], 5);
    // Without the spec, the heuristics name the same lines differently.
    let plain = routes(&[]);
    assert!(plain.contains(&"/v1/products/{id}".to_string()));
    assert!(!plain.iter().any(|r| r.contains("{productId}")));
}

#[test]
fn rules_fire_where_they_should_and_nowhere_else() {
    for spec in ["shop.openapi.yaml", "shop.swagger.json"] {
        let r = report(&["--openapi", &spec_arg(spec)]);
        let route = "/v1/products/{productId}";
        assert_eq!(
            finding_keys(&r),
            vec![
                (
                    "wrong-method-404".into(),
                    "PATCH".into(),
                    route.into(),
                    404,
                    vec![405]
                ),
                (
                    "undocumented-status".into(),
                    "PUT".into(),
                    route.into(),
                    422,
                    vec![400]
                ),
            ],
            "{spec}: nothing on 304s, HEAD, OPTIONS, 4XX/default-covered codes, rare 500s, 405s, undocumented paths"
        );
        let wm = &r["findings"][0];
        assert_eq!(wm["confidence"], "high");
        assert_eq!(
            wm["evidence"]["figures"]["declared_methods"],
            "DELETE, GET, PUT"
        );
        assert!(
            wm["message"]
                .as_str()
                .expect("message")
                .contains("`Allow: DELETE, GET, PUT`"),
            "{wm}"
        );
        assert_eq!(
            wm["evidence"]["samples"].as_array().expect("samples").len(),
            5
        );
        let us = &r["findings"][1];
        assert_eq!(us["count"], 6);
        assert_eq!(us["evidence"]["figures"]["documented"], "200, 400, 404");
    }
    // The heuristics alone see neither: the PATCH route looks like an unknown id.
    let plain = report(&[]);
    assert!(
        finding_keys(&plain)
            .iter()
            .all(|f| f.0 != "undocumented-status" && f.0 != "wrong-method-404"),
        "{:?}",
        finding_keys(&plain)
    );
    assert!(plain.get("api").is_none(), "no API section without a spec");
}

#[test]
fn api_section_lists_undocumented_endpoints_and_idle_operations() {
    let r = report(&["--openapi", &spec_arg("shop.openapi.yaml")]);
    let a = &r["api"];
    assert_eq!(a["operations"], 11);
    assert_eq!(a["operations_with_traffic"], 10);
    assert_eq!(
        a["untouched"],
        json!([{"method": "GET", "route": "/v1/health"}])
    );
    assert_eq!(a["undocumented_endpoints"], 5);
    assert_eq!(a["undocumented_requests"], 22);
    assert_eq!(a["documented_requests"], 85);
    let listed: Vec<(String, String, bool, u64)> = a["undocumented"]
        .as_array()
        .expect("list")
        .iter()
        .map(|u| {
            (
                u["method"].as_str().expect("m").to_string(),
                u["route"].as_str().expect("r").to_string(),
                u["route_declared"].as_bool().expect("b"),
                u["count"].as_u64().expect("n"),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            ("GET".into(), "/internal/metrics".into(), false, 6),
            ("PATCH".into(), "/v1/products/{productId}".into(), true, 6),
            ("DELETE".into(), "/v1/orders/{orderId}".into(), true, 5),
            ("GET".into(), "/v1/products/{id}/reviews".into(), false, 3),
            ("GET".into(), "/v2/products/{id}".into(), false, 2),
        ]
    );
    assert_eq!(a["undocumented_by_class"], json!({"2xx": 6, "4xx": 16}));
    // Each endpoint says whether the document declares it, and the flags agree with the list.
    let eps = r["endpoints"].as_array().expect("endpoints");
    assert_eq!(eps.len(), 17);
    let undocumented: Vec<String> = eps
        .iter()
        .filter(|e| e["documented"] == false)
        .map(|e| {
            format!(
                "{} {}",
                e["method"].as_str().expect("m"),
                e["route"].as_str().expect("r")
            )
        })
        .collect();
    assert_eq!(undocumented.len(), 5);
    assert!(undocumented.contains(&"DELETE /v1/orders/{orderId}".to_string()));
    assert!(eps.iter().all(|e| e["documented"].is_boolean()));
    assert!(
        report(&[])["endpoints"][0].get("documented").is_none(),
        "no flag without a spec"
    );
    // JUnit lists the rule among those that ran only when responses are documented.
    for (args, want) in [
        (&["--openapi", &spec_arg("shop.openapi.yaml")][..], true),
        (&[], false),
    ] {
        let out = statuslens()
            .arg(fixture("shop.access.log"))
            .args(args)
            .args(["--format", "junit"])
            .output()
            .expect("runs");
        let xml = String::from_utf8(out.stdout).expect("utf-8");
        let rules = xml
            .lines()
            .find(|l| l.contains("<property name=\"rules\""))
            .expect("the rules that ran");
        assert_eq!(rules.contains("undocumented-status"), want, "{xml}");
    }
    // The other renderers show it too.
    for (fmt, needle) in [
        ("text", "Declared operations without traffic (1)"),
        (
            "markdown",
            "Declared operations without traffic (1): GET /v1/health",
        ),
        ("html", "<section id=\"api\">"),
    ] {
        let out = statuslens()
            .arg(fixture("shop.access.log"))
            .args(["--openapi", &spec_arg("shop.openapi.yaml"), "--format", fmt])
            .output()
            .expect("runs");
        let text = String::from_utf8(out.stdout).expect("utf-8");
        assert!(text.contains(needle), "{fmt}: {needle}");
        assert!(text.contains("/internal/metrics"), "{fmt}");
    }
}

#[test]
fn config_openapi_and_declared_routes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = std::fs::read(fixture("shop.openapi.yaml")).expect("fixture");
    write(dir.path(), "api/spec.yaml", &spec);
    // `openapi` is relative to the config file; [[routes]] declare more methods and routes.
    let cfg = write(
        dir.path(),
        "conf/statuslens.toml",
        br#"
openapi = "../api/spec.yaml"

[[routes]]
template = "/internal/metrics"
methods = ["GET"]
responses = [200]

[[routes]]
template = "/v1/orders/{orderId}"
methods = ["DELETE"]
responses = ["204", "404"]

[rules.undocumented-status]
min_count = 2
"#,
    );
    let r = report(&["--config", &cfg.display().to_string()]);
    let a = &r["api"];
    assert!(
        a["spec"].as_str().expect("spec").ends_with("spec.yaml"),
        "{a}"
    );
    assert_eq!(a["operations"], 13);
    assert_eq!(
        a["undocumented_endpoints"], 3,
        "metrics and DELETE orders are declared now"
    );
    let keys = finding_keys(&r);
    assert!(
        keys.contains(&(
            "undocumented-status".into(),
            "DELETE".into(),
            "/v1/orders/{orderId}".into(),
            405,
            vec![]
        )),
        "the declared DELETE answers an undocumented 405: {keys:?}"
    );
    // With min_count 2 the two 500s of GET /v1/products/{productId} count, at info severity.
    let f500: Vec<&Value> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "undocumented-status" && f["observed_status"] == 500)
        .collect();
    assert_eq!(f500.len(), 1, "{f500:?}");
    assert_eq!(f500[0]["route"], "/v1/products/{productId}");
    assert_eq!(f500[0]["severity"], "info");
    assert_eq!(f500[0]["recommended_status"], json!([]));

    // Declared methods without any spec: wrong-method-404 is certain from them alone.
    let cfg = write(
        dir.path(),
        "only-routes.toml",
        br#"
[[routes]]
template = "/v1/products/{productId}"
methods = ["GET", "PUT", "DELETE", "HEAD"]
"#,
    );
    let r = report(&["--config", &cfg.display().to_string()]);
    assert!(r.get("api").is_none());
    let wm: Vec<&Value> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "wrong-method-404")
        .collect();
    assert_eq!(wm.len(), 1, "{wm:?}");
    assert_eq!(wm[0]["method"], "PATCH");
    assert_eq!(wm[0]["confidence"], "high");
    assert!(wm[0]["message"]
        .as_str()
        .expect("message")
        .contains("the declared routes (statuslens.toml)"));
    // --openapi on the command line wins over the config's.
    let dir2 = tempfile::tempdir().expect("tempdir");
    let cfg = write(
        dir2.path(),
        "statuslens.toml",
        b"openapi = \"missing.yaml\"\n",
    );
    let r = report(&[
        "--config",
        &cfg.display().to_string(),
        "--openapi",
        &spec_arg("shop.swagger.json"),
    ]);
    assert!(r["api"]["spec"]
        .as_str()
        .expect("spec")
        .ends_with("shop.swagger.json"));
}

#[test]
fn bad_specs_are_errors_naming_the_file_and_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: [(&str, &[u8], &str); 6] = [
        (
            "broken.yaml",
            b"openapi: 3.0.0\npaths:\n  /a:\n    get: {responses: {\"200\": {}}\n  /b: [\n",
            "broken.yaml: line 5 column",
        ),
        (
            "broken.json",
            b"{\"openapi\": \"3.0.0\",\n \"paths\": {\"/a\": }\n}",
            "broken.json: line 2 column",
        ),
        (
            "nopaths.yaml",
            b"openapi: 3.1.0\ninfo: {title: x}\n",
            "nopaths.yaml: the document declares no `paths`",
        ),
        (
            "old.json",
            b"{\"swagger\": \"1.2\", \"paths\": {}}",
            "old.json: swagger: version `1.2` is not supported",
        ),
        (
            "badpath.yaml",
            b"openapi: 3.0.0\npaths:\n  /files/{name:\n    get: {}\n",
            "badpath.yaml: paths./files/{name: ",
        ),
        (
            "binary.yaml",
            b"\xff\xfe\x00o",
            "binary.yaml: not UTF-8 text",
        ),
    ];
    let log = fixture("shop.access.log");
    for (name, body, want) in cases {
        let p = write(dir.path(), name, body);
        for cmd in [&["report"][..], &["records"], &["check"]] {
            let out = statuslens()
                .args(cmd)
                .arg(&log)
                .arg("--openapi")
                .arg(&p)
                .output()
                .expect("runs");
            assert_eq!(out.status.code(), Some(2), "{name} {cmd:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(want), "{name} {cmd:?}: {err}");
            assert!(err.starts_with("statuslens: --openapi "), "{err}");
            assert_eq!(err.lines().count(), 1, "one line: {err}");
            assert!(out.stdout.is_empty(), "nothing analysed");
        }
    }
    // A file far too large to be a spec is refused before it is read (a sparse file here).
    let huge = dir.path().join("huge.yaml");
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(65 << 20))
        .expect("sparse file");
    let out = statuslens()
        .arg(&log)
        .arg("--openapi")
        .arg(&huge)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is it the right file?"));
    let out = statuslens()
        .arg(&log)
        .args(["--openapi", "/nonexistent/spec.yaml"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/spec.yaml: cannot read it"));
}

#[test]
fn hostile_undocumented_paths_are_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut log = std::fs::read_to_string(fixture("shop.access.log")).expect("fixture");
    log.push_str(
        "10.0.0.9 - - [01/May/2024:10:05:00 +0000] \"GET /x/\\\"><script>alert(1)</script>|`\u{1b}[31m HTTP/1.1\" 200 5 \"-\" \"a\"\n",
    );
    let p = write(dir.path(), "hostile.log", log.as_bytes());
    let spec = spec_arg("shop.openapi.yaml");
    for (fmt, bad) in [
        ("html", "<script>alert(1)"),
        ("text", "\u{1b}[31m"),
        ("markdown", "|`"),
    ] {
        let out = statuslens()
            .arg(&p)
            .args(["--openapi", &spec, "--format", fmt])
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("alert(1)"), "{fmt}: the route is listed");
        assert!(!text.contains(bad), "{fmt}: {bad:?} escaped");
    }
}

#[test]
fn partials_with_the_spec_merge_to_the_single_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = spec_arg("shop.openapi.yaml");
    let log = std::fs::read_to_string(fixture("shop.access.log")).expect("fixture");
    let lines: Vec<&str> = log.lines().collect();
    let (a, b) = lines.split_at(50);
    let pa = write(dir.path(), "a.log", (a.join("\n") + "\n").as_bytes());
    let pb = write(dir.path(), "b.log", (b.join("\n") + "\n").as_bytes());
    let single = json_of(
        &statuslens()
            .args([&pa, &pb])
            .args(["--openapi", &spec, "--format", "json"])
            .output()
            .expect("runs"),
    );
    let mut parts = Vec::new();
    for (i, p) in [&pa, &pb].into_iter().enumerate() {
        let part = dir.path().join(format!("{i}.partial"));
        let out = statuslens()
            .arg(p)
            .args(["--openapi", &spec, "-o"])
            .arg(&part)
            .output()
            .expect("runs");
        assert!(out.status.success());
        parts.push(part);
    }
    parts.reverse();
    let merged = json_of(
        &statuslens()
            .args(&parts)
            .args(["--openapi", &spec, "--format", "json"])
            .output()
            .expect("runs"),
    );
    assert_eq!(merged["api"], single["api"]);
    assert_eq!(merged["findings"], single["findings"]);
    assert_eq!(single["api"]["untouched"].as_array().map(Vec::len), Some(1));
}

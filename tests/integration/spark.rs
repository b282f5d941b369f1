//! The Spark job (`contrib/spark/statuslens_spark.py`, issue 6) in `local[2]` mode against a
//! multi-file fixture: its report must equal a single run's. Needs pyspark 3.5 and Java: the
//! interpreter in `STATUSLENS_PYSPARK_PYTHON`, or `target/pyspark-venv/bin/python` (which
//! `.ci/run` creates with `pip install 'pyspark==3.5.*'`); without one the test says so and
//! skips.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::partials::fixture_files;
use crate::util::{gzip, report_json, statuslens, write};

fn pyspark_python() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("STATUSLENS_PYSPARK_PYTHON").map(PathBuf::from),
        Some(root.join("target/pyspark-venv/bin/python")),
    ];
    candidates.into_iter().flatten().find(|py| {
        Command::new(py)
            .args(["-c", "import pyspark"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn spark_job_in_local_mode_matches_a_single_run() {
    let Some(python) = pyspark_python() else {
        eprintln!(
            "skipped: pyspark is not installed; create target/pyspark-venv with \
             `python3 -m venv target/pyspark-venv && target/pyspark-venv/bin/pip install 'pyspark==3.5.*'` \
             (what .ci/run does) or set STATUSLENS_PYSPARK_PYTHON"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    let mut names = Vec::new();
    for (i, (name, text)) in fixture_files().into_iter().enumerate() {
        // Half of them rotated and gzipped, as archives are.
        if i % 2 == 0 {
            let gz = format!("{name}.gz");
            write(&logs, &gz, &gzip(text.as_bytes()));
            names.push(gz);
        } else {
            write(&logs, &name, text.as_bytes());
            names.push(name);
        }
    }
    let single = statuslens()
        .current_dir(&logs)
        .args(&names)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(single.status.code(), Some(0));
    let single: Value = report_json(&single.stdout);

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let report = dir.path().join("spark.json");
    let out = Command::new(&python)
        .arg(root.join("contrib/spark/statuslens_spark.py"))
        .arg("--master")
        .arg("local[2]")
        .arg("--groups")
        .arg("3")
        .arg("--statuslens")
        .arg(assert_cmd::cargo::cargo_bin("statuslens"))
        .arg(&logs)
        .arg("--")
        .arg("-o")
        .arg(format!("json={}", report.display()))
        .env("PYSPARK_PYTHON", &python)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .output()
        .expect("the Spark job runs");
    assert!(
        out.status.success(),
        "spark job failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut spark: Value = report_json(&std::fs::read(&report).expect("report written"));
    // Sample texts are read back from the inputs where the report is made, which the
    // driver may not see as the single run does; the samples themselves are compared.
    let mut single = single;
    for r in [&mut spark, &mut single] {
        for f in r["findings"].as_array_mut().into_iter().flatten() {
            f["evidence"]["lines"] = Value::Null;
        }
    }
    assert_eq!(
        spark, single,
        "Spark's merged partials = one run over every file"
    );

    // A task that fails fails the job: a binary that does not exist on the executors.
    let out = Command::new(&python)
        .arg(root.join("contrib/spark/statuslens_spark.py"))
        .args([
            "--master",
            "local[2]",
            "--statuslens",
            "/nonexistent/statuslens",
        ])
        .arg(&logs)
        .env("PYSPARK_PYTHON", &python)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .output()
        .expect("runs");
    assert!(!out.status.success(), "a failing mapper fails the job");
}

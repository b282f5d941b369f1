//! Safe by default (issue 13, first part), through the real binary: the CI gate never passes on
//! nothing, an input is never written over, a FIFO in a folder does not hang the run, a file
//! named twice is read once, settings files are read with a bound, `--jobs` of any size works.

use std::time::{Duration, Instant};

use crate::util::{json_of, json_report, refusal, report_json, sample_log, statuslens, write};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn check_fails_when_nothing_was_analysed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let log = write(dir.path(), "access.log", sample_log(300).as_bytes());
    let blank = write(dir.path(), "blank.log", b"");

    // An empty folder: check fails with the reason, report warns and succeeds.
    let out = statuslens()
        .args(["check", "--no-progress"])
        .arg(&empty)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing analysed: no input file"),
        "{}",
        stderr(&out)
    );
    let out = statuslens()
        .args(["report", "--no-progress"])
        .arg(&empty)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("nothing analysed"),
        "{}",
        stderr(&out)
    );

    // Files without lines.
    let out = statuslens()
        .args(["check", "--no-progress"])
        .arg(&blank)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("hold no log lines"),
        "{}",
        stderr(&out)
    );

    // Every line rejected under the wrong format: the message names the one that fits.
    let out = statuslens()
        .args(["check", "--no-progress", "--log-format", "alb"])
        .arg(&log)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(e.contains("every line (300) was rejected as alb"), "{e}");
    assert!(e.contains("--log-format combined"), "{e}");

    // Every request outside the window.
    let out = statuslens()
        .args(["check", "--no-progress", "--since", "2030-01-01T00:00:00Z"])
        .arg(&log)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("all 300 parsed requests fall outside --since/--until"),
        "{}",
        stderr(&out)
    );

    // The same log, analysed: the gate passes (no finding at the default `error`).
    let out = statuslens()
        .args(["check", "--no-progress"])
        .arg(&log)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_failing_check_lists_its_findings_one_line_each() {
    let out = statuslens()
        .args([
            "check",
            "--no-progress",
            "--fail-on",
            "warning",
            "fixtures/sample/",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    let listed: Vec<&str> = e.lines().filter(|l| l.contains(" -> ")).collect();
    assert!(listed.len() >= 3, "{e}");
    assert!(
        listed
            .iter()
            .any(|l| l.contains("SL004 error POST /api/carts: 200 -> 404")),
        "{e}"
    );
    assert!(e.contains("check failed:"), "{e}");
}

#[test]
fn an_input_is_never_written_over() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = sample_log(100);
    let log = write(dir.path(), "access.json", text.as_bytes());
    for target in ["access.json", "json=access.json"] {
        let out = statuslens()
            .current_dir(dir.path())
            .args(["access.json", "--no-progress", "-o", target])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{target}");
        assert!(
            stderr(&out).contains("one of the inputs"),
            "{}",
            stderr(&out)
        );
        assert_eq!(
            std::fs::read_to_string(&log).expect("read"),
            text,
            "{target}"
        );
    }
}

#[test]
fn a_fifo_in_a_folder_is_skipped_and_a_file_named_twice_is_read_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    let log = write(&logs, "access.log", sample_log(200).as_bytes());
    let fifo = logs.join("pipe.log");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let started = Instant::now();
    let out = statuslens()
        .args(["--format", "json", "--no-progress"])
        .arg(&logs)
        .arg(&log)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("runs");
    assert!(started.elapsed() < Duration::from_secs(30), "the run hung");
    let r = json_of(&out);
    assert_eq!(r["summary"]["lines"], 200, "read once");
    let e = stderr(&out);
    assert!(e.contains("already among the inputs, read once"), "{e}");
    if made {
        assert!(e.contains("pipe.log: not a regular file"), "{e}");
    }
}

#[test]
fn settings_files_are_read_with_a_bound() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "access.log", sample_log(50).as_bytes());
    for flag in ["--config", "--openapi"] {
        let started = Instant::now();
        let out = statuslens()
            .args(["--no-progress", flag, "/dev/zero"])
            .arg(&log)
            .timeout(Duration::from_secs(60))
            .output()
            .expect("runs");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{flag} read without end"
        );
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert!(
            stderr(&out).contains("more than 64 MiB"),
            "{flag}: {}",
            stderr(&out)
        );
    }
    let out = statuslens()
        .args(["check", "--no-progress", "--baseline", "/dev/zero"])
        .arg(&log)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("more than 64 MiB"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn any_jobs_value_works_and_gives_the_same_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "access.log", sample_log(2000).as_bytes());
    let run = |jobs: &str| {
        let out = statuslens()
            .args(["--format", "json", "--no-progress", "--jobs", jobs])
            .arg(&log)
            .output()
            .expect("runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "--jobs {jobs}: {}",
            stderr(&out)
        );
        out.stdout
    };
    assert_eq!(run("100000"), run("1"));
}

#[test]
fn every_output_is_attempted_and_each_failure_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "access.log", sample_log(100).as_bytes());
    let good = dir.path().join("good.json");
    std::fs::write(&good, "previous report").expect("write");
    let missing = dir.path().join("no-such-dir/r.md");
    let out = statuslens()
        .arg(&log)
        .args(["--no-progress", "-o"])
        .arg(&missing)
        .arg("-o")
        .arg(&good)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("no-such-dir/r.md"), "{e}");
    let written: serde_json::Value = report_json(&std::fs::read(&good).expect("read"));
    assert_eq!(
        written["summary"]["lines"], 100,
        "the later -o was still written"
    );
    // Nothing is left beside the reports.
    let names = crate::util::file_names(dir.path());
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn dash_is_standard_output_and_format_names_extensionless_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "access.log", sample_log(100).as_bytes());
    let out = statuslens()
        .current_dir(dir.path())
        .args([
            "access.log",
            "--no-progress",
            "--format",
            "json",
            "-o",
            "report",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("report")).expect("written");
    assert!(text.starts_with('{'), "JSON by --format: {text}");
    let out = statuslens()
        .arg(&log)
        .args(["--no-progress", "-o", "json=-"])
        .output()
        .expect("runs");
    assert_eq!(json_of(&out)["summary"]["lines"], 100);
    assert!(!std::path::Path::new("-").exists());
}

#[test]
fn a_real_nginx_log_folder_reads_its_access_logs_and_passes_over_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nginx = dir.path().join("nginx");
    let log = sample_log(120);
    write(&nginx, "access.log", log.as_bytes());
    write(&nginx, "access.log.1", log.as_bytes());
    write(
        &nginx,
        "access.log.2.gz",
        &crate::util::gzip(log.as_bytes()),
    );
    let error_log = "2024/05/02 10:00:00 [error] 1234#0: *1 open() \"/usr/share/nginx/html/favicon.ico\" failed (2: No such file or directory), client: 10.0.0.1, server: localhost, request: \"GET /favicon.ico HTTP/1.1\", host: \"localhost\"\n2024/05/02 10:00:01 [notice] 1#1: signal process started\n";
    write(&nginx, "error.log", error_log.as_bytes());
    write(&nginx, "error.log.1", error_log.as_bytes());
    // A report and a partial saved into the folder by an earlier run.
    let first = statuslens()
        .arg(&nginx)
        .args(["--no-progress", "-o"])
        .arg(nginx.join("report.json"))
        .arg("-o")
        .arg(nginx.join("run.partial"))
        .output()
        .expect("runs");
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let out = statuslens()
        .arg(&nginx)
        .args(["--no-progress", "--format", "json"])
        .output()
        .expect("runs");
    let r = json_of(&out);
    assert_eq!(
        r["summary"]["lines"], 360,
        "three access logs, nothing counted twice"
    );
    let e = stderr(&out);
    for skipped in ["error.log:", "error.log.1:", "report.json:"] {
        assert!(e.contains(&format!("{skipped} not an access log")), "{e}");
    }
    assert!(
        e.contains("run.partial: a partial aggregate beside logs"),
        "{e}"
    );
    // --quiet: the same run, notes silenced.
    let out = statuslens()
        .arg(&nginx)
        .args(["--quiet", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(json_of(&out)["summary"]["lines"], 360);
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    // Named, the partial is merged.
    let out = statuslens()
        .arg(nginx.join("run.partial"))
        .args(["--no-progress", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(json_of(&out)["summary"]["lines"], 360);
}

#[test]
fn a_partial_with_counts_no_log_could_produce_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "access.log", sample_log(50).as_bytes());
    let out = statuslens()
        .arg(&log)
        .args(["--no-progress", "--format", "partial"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    // The first endpoint's count, edited in place (the document must keep its leading key).
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let at = text.find("\"count\":").expect("an endpoint count") + "\"count\":".len();
    let end = at + text[at..].find(',').expect("a comma after the count");
    let edited = format!("{}{}{}", &text[..at], u64::MAX, &text[end..]);
    let forged = write(dir.path(), "forged.partial", edited.as_bytes());
    let copy = write(dir.path(), "copy.partial", edited.as_bytes());
    let e = refusal(&[&forged, &copy], &["--no-progress"]);
    assert!(
        e.contains("forged.partial: not a plausible partial aggregate"),
        "{e}"
    );
}

#[test]
fn a_mistyped_command_or_format_says_what_was_meant() {
    let out = statuslens()
        .args(["reprot", "fixtures/sample/"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean `statuslens report`?"),
        "{}",
        stderr(&out)
    );
    for (fmt, hint) in [
        ("nginx", "--log-format combined"),
        ("apache", "--log-format combined"),
    ] {
        let out = statuslens()
            .args(["fixtures/sample/", "--log-format", fmt])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains(hint), "{fmt}: {}", stderr(&out));
    }
}

/// JSON lines (Caddy's shape) after a NUL hole, as `logrotate copytruncate` leaves one.
fn after_a_hole(hole: usize, newline: bool) -> Vec<u8> {
    let mut data = vec![0u8; hole];
    if newline {
        data.push(b'\n');
    }
    for i in 0..400 {
        data.extend_from_slice(
            format!(
                "{{\"ts\":{},\"request\":{{\"method\":\"GET\",\"uri\":\"/api/items/{}\",\"host\":\"x\"}},\"status\":{},\"duration\":0.01,\"size\":100}}\n",
                1_714_644_000 + i,
                i % 50,
                if i % 10 == 0 { 404 } else { 200 }
            )
            .as_bytes(),
        );
    }
    data
}

#[test]
fn detection_looks_past_a_nul_hole() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A hole longer than the longest line: one overlong line, then the log.
    let big = write(dir.path(), "big-hole.log", &after_a_hole(17 << 20, true));
    // A smaller hole glued to the first line: that line is read whole too.
    let small = write(dir.path(), "small-hole.log", &after_a_hole(1 << 20, false));
    for (path, rejected) in [(&big, 1), (&small, 0)] {
        let out = statuslens()
            .arg(path)
            .args(["--no-progress", "--format", "json"])
            .output()
            .expect("runs");
        let r = json_of(&out);
        assert_eq!(r["summary"]["parsed"], 400, "{}", path.display());
        assert_eq!(r["summary"]["rejected"], rejected, "{}", path.display());
        assert_eq!(r["summary"]["formats"]["json"], 1, "{}", path.display());
    }
}

#[test]
fn a_window_that_misses_the_data_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "access.log", sample_log(80).as_bytes());
    let out = statuslens()
        .arg(&log)
        .args(["--no-progress", "--since", "2030-01-01"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("time range: none inside --since/--until (80 requests fall outside it)"),
        "{text}"
    );
    assert!(!text.contains("no line has a timestamp"), "{text}");
}

#[test]
fn include_and_exclude_select_files_in_folders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    let log = sample_log(50);
    write(&logs, "access.log", log.as_bytes());
    write(&logs, "access.log.1", log.as_bytes());
    write(&logs, "old/access.log.9", log.as_bytes());
    write(&logs, "app.log", log.as_bytes());
    let named = write(dir.path(), "elsewhere.log", log.as_bytes());
    let files = |args: &[&str]| -> Vec<String> {
        let out = statuslens()
            .arg(&logs)
            .args(args)
            .args(["--no-progress", "--format", "json"])
            .output()
            .expect("runs");
        json_of(&out)["summary"]["files"]
            .as_array()
            .expect("files")
            .iter()
            .map(|f| {
                let name = f["name"].as_str().unwrap_or("").to_string();
                name.rsplit_once("logs/")
                    .map_or(name.clone(), |(_, n)| n.to_string())
            })
            .collect()
    };
    assert_eq!(
        files(&["--include", "access.log*"]),
        ["access.log", "access.log.1", "old/access.log.9"]
    );
    assert_eq!(
        files(&["--include", "access.log*", "--exclude", "old/*"]),
        ["access.log", "access.log.1"]
    );
    // A file named on the command line is read whatever the globs say.
    let out = statuslens()
        .arg(&named)
        .args(["--exclude", "*.log", "--no-progress", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(json_of(&out)["summary"]["lines"], 50);
    let out = statuslens()
        .arg(&logs)
        .args(["--include", "[", "--no-progress"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--include `[`"), "{}", stderr(&out));
}

#[test]
fn writing_to_a_device_leaves_the_device_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "access.log", sample_log(20).as_bytes());
    // A link to a report is written through, not replaced by a file.
    let target = write(dir.path(), "real.json", b"old");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let out = statuslens()
        .arg(&log)
        .args(["--no-progress", "-o", "json=/dev/null", "-o"])
        .arg(&link)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let null = std::fs::symlink_metadata("/dev/null").expect("/dev/null");
    assert!(
        null.file_type().is_char_device(),
        "/dev/null is still a device"
    );
    assert!(std::fs::symlink_metadata(&link)
        .expect("link")
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&target)
        .expect("read")
        .starts_with('{'));
}

#[test]
fn format_beside_files_is_printed_and_quiet_keeps_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "access.log", sample_log(100).as_bytes());
    let json = dir.path().join("r.json");
    let out = statuslens()
        .arg(&log)
        .args(["--format", "text", "-o"])
        .arg(&json)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("statuslens report"), "{text}");
    assert_eq!(
        report_json(&std::fs::read(&json).expect("written"))["summary"]["lines"],
        100
    );
    // Without --format, -o alone prints nothing.
    let out = statuslens()
        .arg(&log)
        .arg("-o")
        .arg(&json)
        .output()
        .expect("runs");
    assert!(out.stdout.is_empty());
    // --quiet keeps errors.
    let out = statuslens()
        .arg(&log)
        .args(["--quiet", "-o"])
        .arg(dir.path().join("missing/r.md"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing/r.md"), "{}", stderr(&out));
}

#[test]
fn a_full_disk_leaves_the_previous_report_whole() {
    // A file-size limit makes every write past 1 KiB fail (EFBIG, with SIGXFSZ ignored) as a
    // full disk would; the report being written is far bigger.
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "access.log", sample_log(500).as_bytes());
    let report = write(dir.path(), "r.json", b"{\"previous\": true}\n");
    let bin = assert_cmd::cargo::cargo_bin("statuslens");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 1; exec '{}' '{}' -o '{}'",
            bin.display(),
            log.display(),
            report.display()
        ))
        .output()
        .expect("bash runs");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let e = stderr(&out);
    assert!(e.contains("r.json"), "the failure names the file: {e}");
    assert_eq!(
        std::fs::read_to_string(&report).expect("still there"),
        "{\"previous\": true}\n",
        "the previous report is whole"
    );
    let names = crate::util::file_names(dir.path());
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn a_terminal_is_told_what_was_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "access.log", sample_log(100).as_bytes());
    let bin = assert_cmd::cargo::cargo_bin("statuslens");
    let on_terminal = |extra: &str| {
        let command = format!(
            "'{}' '{}' -o '{}' {extra}",
            bin.display(),
            log.display(),
            dir.path().join("r.html").display()
        );
        crate::util::on_terminal(&command, &[])
    };
    let Some(shown) = on_terminal("") else {
        return;
    };
    assert!(
        shown.contains("r.html: 0 findings") || shown.contains("r.html: "),
        "{shown:?}"
    );
    assert!(shown.contains("statuslens: wrote "), "{shown:?}");
    let quiet = on_terminal("--quiet").expect("script ran");
    assert!(!quiet.contains("wrote"), "{quiet:?}");
    // Off a terminal nothing is said (stderr is a pipe here).
    let out = statuslens()
        .arg(&log)
        .arg("-o")
        .arg(dir.path().join("r.html"))
        .output()
        .expect("runs");
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn last_counts_back_from_the_end_of_the_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    // One request a minute from 10:00 to 12:59, years ago: `--since 1h` would find nothing.
    let mut text = String::new();
    for m in 0..180 {
        text.push_str(&format!(
            "10.0.0.{} - - [01/May/2024:{:02}:{:02}:00 +0000] \"GET /api/items/{m} HTTP/1.1\" 200 10 \"-\" \"curl\"\n",
            m % 7,
            10 + m / 60,
            m % 60
        ));
    }
    let plain = write(dir.path(), "access.log", text.as_bytes());
    let gz = write(
        dir.path(),
        "old.log.gz",
        &crate::util::gzip(text.as_bytes()),
    );
    for file in [&plain, &gz] {
        let r = json_of(
            &statuslens()
                .arg(file)
                .args(["--last", "1h", "--format", "json"])
                .output()
                .expect("runs"),
        );
        // 11:59 .. 12:59 inclusive.
        assert_eq!(r["summary"]["parsed"], 180);
        assert_eq!(r["summary"]["out_of_window"], 119, "{}", file.display());
        assert_eq!(r["producer"]["options"]["since"], "2024-05-01T11:59:00Z");
    }
    let out = statuslens()
        .arg("records")
        .arg(&plain)
        .args(["--last", "30m"])
        .output()
        .expect("runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 31);
    // Standard input cannot be read twice; a non-duration and --since with it are refused.
    let out = statuslens()
        .args(["-", "--last", "1h"])
        .write_stdin(text.clone())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("standard input"), "{}", stderr(&out));
    for args in [
        &["--last", "soon"][..],
        &["--last", "1h", "--since", "2024-05-01"],
    ] {
        let out = statuslens().arg(&plain).args(args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

/// A Java stack trace, as an application's start-up failure prints it into the same stream as
/// its access log (a container's stdout): dozens of lines that are not access lines.
fn stack_trace(lines: usize) -> String {
    let mut s = String::from(
        "Exception in thread \"main\" java.lang.IllegalStateException: pool not ready\n",
    );
    for i in 0..lines.saturating_sub(1) {
        s.push_str(&format!(
            "\tat com.example.pool.Pool.acquire{i}(Pool.java:{})\n",
            100 + i
        ));
    }
    s
}

#[test]
fn junk_before_the_access_lines_does_not_hide_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let access = sample_log(500);
    // 300 junk lines: more than any window of the first lines holds, so the format is found
    // further down; the junk is rejected and counted, every access line parsed.
    let text = format!("{}{access}", stack_trace(300));
    write(dir.path(), "app.log", text.as_bytes());
    write(
        dir.path(),
        "app.log.1.gz",
        &crate::util::gzip(text.as_bytes()),
    );
    for name in ["app.log", "app.log.1.gz"] {
        let r = json_report(&dir.path().join(name), &["--no-progress"]);
        let file = &r["summary"]["files"][0];
        let format = file["format"].as_str().unwrap_or_default();
        assert!(format.starts_with("combined"), "{name}: {format}");
        assert_eq!(file["lines"], 800, "{name}");
        assert_eq!(file["parsed"], 500, "{name}");
        assert_eq!(file["rejected"], 300, "{name}");
    }
    // Found in a folder, it is read too (not passed over as "not an access log").
    let r = json_report(dir.path(), &["--no-progress"]);
    assert_eq!(r["summary"]["parsed"], 1000);
}

/// A log whose format changed mid-file (nginx reloaded with `$request_time` appended to its
/// `log_format`, then switched to JSON, before the file was rotated): every line is read, by
/// the format that fits it, at any `--jobs`; the durations that appear later are read (the 500s
/// of the second hour hit a 30 s timeout), and the JSON hour's endpoint is counted. The report
/// names the file's formats.
#[test]
fn a_log_whose_format_changes_mid_file_loses_no_line() {
    use crate::logbuilder::{req, Log, Rng};
    let mut rng = Rng::new(41);
    let hour =
        |from: f64, rng: &mut Rng, f: &dyn Fn(usize, f64, &mut Rng) -> crate::logbuilder::Req| {
            let mut log = Log::new();
            log.spread(900, from, from + 3600.0, |i, t| f(i, t, rng));
            log
        };
    let orders = |i: usize, t: f64, rng: &mut Rng| {
        req(t, "GET", &format!("/api/orders/{}", 1000 + i % 300), 200)
            .ms(rng.latency(40.0))
            .client(rng.client(80))
    };
    // First hour: plain combined, no duration (the builder's trailing `$request_time` cut).
    let plain: String = hour(0.0, &mut rng, &orders)
        .combined()
        .lines()
        .map(|l| format!("{}\n", l.rsplit_once(' ').expect("a trailing field").0))
        .collect();
    // Second hour: `$request_time` appended; one request in six times out at 30 s.
    let timed = hour(3600.0, &mut rng, &|i, t, rng| {
        if i % 6 == 0 {
            req(t, "GET", &format!("/api/orders/{}", 1000 + i % 300), 500)
                .ms(30_000.0 + rng.range(0, 20) as f64)
                .client(rng.client(80))
        } else {
            orders(i, t, rng)
        }
    })
    .combined();
    // Third hour: JSON lines, a new endpoint among the old.
    let json = hour(7200.0, &mut rng, &|i, t, rng| {
        if i % 3 == 0 {
            req(t, "POST", "/api/payments", 201)
                .ms(rng.latency(80.0))
                .client(rng.client(80))
        } else {
            orders(i, t, rng)
        }
    })
    .json();
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(
        dir.path(),
        "access.log",
        format!("{plain}{timed}{json}").as_bytes(),
    );
    let r = &crate::util::json_report_at_any_jobs(&p);
    let file = &r["summary"]["files"][0];
    assert_eq!(
        (&file["lines"], &file["parsed"], &file["rejected"]),
        (&2700.into(), &2700.into(), &0.into()),
        "{file:#}"
    );
    assert_eq!(file["format"], "combined + 900 json lines", "{file:#}");
    let findings = r["findings"].as_array().expect("findings");
    let timeout = findings
        .iter()
        .find(|f| f["rule"] == "app-timeout-500")
        .unwrap_or_else(|| panic!("no app-timeout-500: {findings:#?}"));
    assert_eq!(timeout["route"], "/api/orders/{id}");
    assert_eq!(timeout["recommended_status"][0], 504);
    let payments = crate::util::endpoint(r, "POST", "/api/payments")
        .unwrap_or_else(|| panic!("POST /api/payments missing: {:#}", r["endpoints"]));
    assert_eq!(payments["count"], 300, "{payments:#}");
    // `records` names the format that read each line.
    let out = statuslens().arg("records").arg(&p).output().expect("runs");
    let formats: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON record");
            v["format"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(formats.len(), 2700);
    assert!(
        formats[..1800].iter().all(|f| f == "combined"),
        "{:?}",
        &formats[..3]
    );
    assert!(
        formats[1800..].iter().all(|f| f == "json"),
        "{:?}",
        &formats[1800..1803]
    );
}

/// IIS writes its `#Fields:` directive again mid-file when the site's logging settings change
/// (W3C extended log: a new directive holds for the lines after it); here the second layout
/// adds `cs-host`, `sc-bytes` and `cs-bytes`, which moves `sc-status`. Every line is read with
/// the layout in force where it stands, across chunk boundaries, at any `--jobs`; a restart
/// that writes the same fields again changes nothing; `--last` measures back from the end of
/// the data read with the last layout.
#[test]
fn an_iis_log_whose_fields_change_mid_file_reads_each_line_by_its_own_header() {
    const FIRST: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username \
                         c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status \
                         time-taken";
    const SECOND: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username \
                          c-ip cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus \
                          sc-win32-status sc-bytes cs-bytes time-taken";
    let header = |date: &str, fields: &str| {
        format!(
            "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n\
             #Date: {date}\r\n#Fields: {fields}\r\n"
        )
    };
    let at = |s: u32| {
        let t = chrono::DateTime::from_timestamp(1_714_521_600 + i64::from(s), 0).expect("time");
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    };
    // Layout one: 40 000 reads (more than a 4 MiB chunk). Layout two: 20 000 creates, one in
    // four a 500 after the 30 s timeout, under the second header and again after a restart.
    let mut log = header("2024-05-01 00:00:00", FIRST);
    for i in 0..40_000u32 {
        log.push_str(&format!(
            "{} 10.0.0.5 GET /api/orders/{} - 443 - 203.0.113.{} \
             Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 {}\r\n",
            at(i / 4),
            1000 + i % 500,
            i % 200,
            12 + i % 30
        ));
    }
    for i in 0..20_000u32 {
        if i == 0 || i == 12_000 {
            log.push_str(&header(&at(10_000 + i / 4), SECOND));
        }
        let (status, ms) = if i % 4 == 0 { (500, 30_000) } else { (201, 40) };
        log.push_str(&format!(
            "{} 10.0.0.5 POST /api/orders - 443 - 203.0.113.{} Mozilla/5.0+(Windows+NT+10.0) - \
             shop.example.com {status} 0 0 {} 900 {ms}\r\n",
            at(10_000 + i / 4),
            i % 200,
            300 + i % 64
        ));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "u_ex240501.log", log.as_bytes());
    let r = &crate::util::json_report_at_any_jobs(&p);
    let file = &r["summary"]["files"][0];
    assert_eq!(file["format"], "iis", "{file:#}");
    assert_eq!(
        (&file["parsed"], &file["rejected"], &file["skipped"]),
        (&60_000.into(), &0.into(), &12.into()),
        "{file:#}"
    );
    let by_status = &r["summary"]["by_status"];
    assert_eq!(
        (&by_status["200"], &by_status["201"], &by_status["500"]),
        (&40_000.into(), &15_000.into(), &5_000.into()),
        "{by_status:#}"
    );
    let posts = crate::util::endpoint(r, "POST", "/api/orders")
        .unwrap_or_else(|| panic!("POST /api/orders missing: {:#}", r["endpoints"]));
    assert_eq!(posts["count"], 20_000, "{posts:#}");
    // The second layout's time-taken column, not its sc-bytes, is the duration.
    let timeout = crate::util::finding(r, "app-timeout-500");
    assert_eq!(timeout["route"], "/api/orders", "{timeout:#}");
    // The data ends at 10 000 + 19 999 / 4 s; the last 10 minutes hold 600 s of creates.
    let last = json_report(&p, &["--no-progress", "--last", "10m"]);
    let (summary, by_status) = (&last["summary"], &last["summary"]["by_status"]);
    assert_eq!(summary["out_of_window"], 60_000 - 2_404, "{summary:#}");
    assert_eq!(
        (&by_status["200"], &by_status["201"], &by_status["500"]),
        (&serde_json::Value::Null, &1_803.into(), &601.into()),
        "{summary:#}"
    );
}

/// IIS 5's default W3C layout (`time c-ip cs-method cs-uri-stem sc-status`, still what older
/// sites and some embedded servers write) has no `date`: each line's day is the last `#Date:`
/// directive's, carried across chunks; a restart's new directive moves it. Without it every
/// line was rejected (five fields were too few for a W3C line) and the file was not a log.
#[test]
fn an_iis_log_without_a_date_field_takes_its_day_from_the_date_directive() {
    let header = |date: &str| {
        format!(
            "#Software: Microsoft Internet Information Services 5.0\r\n#Version: 1.0\r\n\
             #Date: {date}\r\n#Fields: time c-ip cs-method cs-uri-stem sc-status \r\n"
        )
    };
    let clock = |s: u32| format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    // Day one from midnight: 80 000 reads over 5.5 hours, one in ten a 404 (three chunks).
    // A restart at 08:00 the next day: 20 000 more, one in four a 500.
    let mut log = header("2025-06-04 00:00:00");
    for i in 0..80_000u32 {
        let status = if i % 10 == 0 { 404 } else { 200 };
        log.push_str(&format!(
            "{} 172.16.{}.{} GET /shop/item{}.asp {status}\r\n",
            clock(i / 4),
            i % 7,
            i % 250,
            i % 40
        ));
    }
    log.push_str(&header("2025-06-05 08:00:00"));
    for i in 0..20_000u32 {
        let status = if i % 4 == 0 { 500 } else { 200 };
        log.push_str(&format!(
            "{} 172.16.0.{} POST /shop/cart.asp {status}\r\n",
            clock(8 * 3600 + i / 4),
            i % 250
        ));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "ex250604.log", log.as_bytes());
    let report = crate::util::json_report_at_any_jobs(&p);
    let summary = &report["summary"];
    let file = &summary["files"][0];
    assert_eq!(file["format"], "iis", "{file:#}");
    assert_eq!(
        (&file["parsed"], &file["rejected"]),
        (&100_000.into(), &0.into()),
        "{file:#}"
    );
    assert_eq!(
        (
            &summary["time_range"]["start"],
            &summary["time_range"]["end"]
        ),
        (
            &"2025-06-04T00:00:00Z".into(),
            &"2025-06-05T09:23:19Z".into()
        ),
        "{summary:#}"
    );
    let by_status = &summary["by_status"];
    assert_eq!(
        (&by_status["200"], &by_status["404"], &by_status["500"]),
        (&87_000.into(), &8_000.into(), &5_000.into()),
        "{by_status:#}"
    );
    // The last ten minutes: 601 seconds of the restart's requests, four a second.
    let last = json_report(&p, &["--no-progress", "--last", "10m"]);
    assert_eq!(
        last["summary"]["out_of_window"],
        100_000 - 2_404,
        "{:#}",
        last["summary"]
    );
}

#[test]
fn a_few_access_lines_at_the_end_of_prose_do_not_make_it_a_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Notes with a pasted example: 400 lines of text, then 20 access lines.
    let mut notes = String::new();
    for i in 0..400 {
        notes.push_str(&format!(
            "Step {i}: check the upstream pool before restarting.\n"
        ));
    }
    notes.push_str(&sample_log(20));
    write(dir.path(), "notes.txt", notes.as_bytes());
    write(dir.path(), "access.log", sample_log(50).as_bytes());
    let out = statuslens()
        .arg(dir.path())
        .args(["--no-progress", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(json_of(&out)["summary"]["lines"], 50);
    let e = stderr(&out);
    assert!(e.contains("notes.txt: not an access log"), "{e}");
}

#[test]
fn a_file_of_junk_is_refused_by_name_after_a_bounded_look() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 70 000 junk lines (more than the detection looks at) before the access lines.
    let text = format!("{}{}", stack_trace(70_000), sample_log(100));
    write(dir.path(), "huge-trace.log", text.as_bytes());
    let e = refusal(&[&dir.path().join("huge-trace.log")], &["--no-progress"]);
    assert!(
        e.contains("huge-trace.log: no supported log format fits"),
        "{e}"
    );
    // Named, its format is taken as given and every line is counted.
    let r = json_report(
        &dir.path().join("huge-trace.log"),
        &["--no-progress", "--log-format", "combined"],
    );
    assert_eq!(r["summary"]["parsed"], 100);
    assert_eq!(r["summary"]["rejected"], 70_000);
}

#[test]
fn a_utf16_log_reads_as_its_utf8_twin() {
    // Windows PowerShell's `Get-Content access.log > copy.log` writes UTF-16LE with a
    // byte-order mark. Read through it, the report is the UTF-8 log's, sample lines and all.
    let text = sample_log(3000).replace('\n', "\r\n");
    let utf8 = tempfile::tempdir().expect("tempdir");
    let wide = tempfile::tempdir().expect("tempdir");
    let report = |dir: &tempfile::TempDir| {
        let v = json_report(&dir.path().join("access.log"), &["--no-progress"]);
        let text = serde_json::to_string(&v).expect("serialises");
        let dir = dir.path().to_str().expect("utf-8 path");
        serde_json::from_str::<serde_json::Value>(&text.replace(dir, "DIR")).expect("json")
    };
    write(utf8.path(), "access.log", text.as_bytes());
    let want = report(&utf8);
    assert_eq!(want["summary"]["parsed"], 3000);
    assert!(!want["findings"].as_array().expect("findings").is_empty());
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for (bytes, compression) in [
        ([&[0xff, 0xfe][..], &le].concat(), "utf-16"),
        ([&[0xfe, 0xff][..], &be].concat(), "utf-16"),
        (
            crate::util::gzip(&[&[0xff, 0xfe][..], &le].concat()),
            "gzip",
        ),
    ] {
        write(wide.path(), "access.log", &bytes);
        let mut got = report(&wide);
        assert_eq!(got["summary"]["files"][0]["compression"], compression);
        got["summary"]["files"][0]["compression"] =
            want["summary"]["files"][0]["compression"].clone();
        assert_eq!(got, want, "{compression}");
    }
    // A partial aggregate keeps how the file was read.
    let wide_log = write(
        wide.path(),
        "access.log",
        &[&[0xff, 0xfe][..], &le].concat(),
    );
    let partial = wide.path().join("a.partial");
    crate::util::write_partial(&wide_log, &partial);
    let merged = json_report(&partial, &["--no-progress"]);
    assert_eq!(merged["summary"]["files"][0]["compression"], "utf-16");
    // Without a byte-order mark the NUL beside each character tells it: refused with the fix.
    for (name, bytes) in [("plain-le.log", le), ("plain-be.log", be)] {
        let path = write(wide.path(), name, &bytes);
        let e = refusal(&[&path], &["--no-progress"]);
        assert!(
            e.contains(&format!("{name}: no supported log format")),
            "{e}"
        );
        assert!(e.contains("UTF-16") && e.contains("iconv"), "{e}");
    }
    // A UTF-8 log with a byte-order mark is read whole.
    let bom8 = write(
        utf8.path(),
        "bom8.log",
        format!("\u{feff}{text}").as_bytes(),
    );
    assert_eq!(
        json_report(&bom8, &["--no-progress"])["summary"]["parsed"],
        3000
    );
}

#[test]
fn lines_ended_by_a_bare_cr_are_refused_with_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 300 lines whose ends are CRs only: one line to a newline-based reader.
    let text = sample_log(300).replace('\n', "\r");
    let path = write(dir.path(), "mac.log", text.as_bytes());
    let e = refusal(&[&path], &["--no-progress"]);
    assert!(e.contains("mac.log: no supported log format"), "{e}");
    assert!(e.contains("bare CR"), "{e}");
    // Converted, every line is read.
    let fixed = write(dir.path(), "fixed.log", text.replace('\r', "\n").as_bytes());
    assert_eq!(
        json_report(&fixed, &["--no-progress"])["summary"]["parsed"],
        300
    );
}

#[test]
fn two_records_on_one_line_are_rejected_and_shown_not_half_counted() {
    // Lost newlines (two writers on one file, a log shipper's bug): a common-format log and a
    // custom nginx format, each with three glued pairs among 200 lines.
    let dir = tempfile::tempdir().expect("tempdir");
    let common = |i: usize| {
        format!(
            "10.0.0.{} - - [01/May/2024:10:00:{:02} +0000] \"GET /api/items/{i} HTTP/1.1\" 200 {}",
            i % 250,
            i % 60,
            100 + i
        )
    };
    let custom = |i: usize| {
        format!("10.0.0.{} [01/May/2024:10:00:{:02} +0000] \"GET /api/items/{i} HTTP/1.1\" 200 0.0{:02} \"curl/8\"", i % 250, i % 60, i % 100)
    };
    let nginx = r#"--log-format=nginx:$remote_addr [$time_local] "$request" $status $request_time "$http_user_agent""#;
    for (name, line, args) in [
        ("common.log", &common as &dyn Fn(usize) -> String, vec![]),
        ("custom.log", &custom, vec![nginx]),
    ] {
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&line(i));
            // Lines 50, 100 and 150 run into the next one.
            text.push(if i % 50 == 49 && i < 199 { ' ' } else { '\n' });
        }
        let p = write(dir.path(), name, text.as_bytes());
        let v = json_report(&p, &args);
        assert_eq!(v["summary"]["lines"], 197, "{name}");
        assert_eq!(v["summary"]["parsed"], 194, "{name}");
        assert_eq!(v["rejects"]["by_reason"]["layout_mismatch"], 3, "{name}");
        let source = v["rejects"]["samples"][0]["source"]
            .as_str()
            .expect("source");
        assert!(source.ends_with(&format!("{name}:50")), "{source}");
    }
}

//! Validated configuration built from the command line: everything past this point is
//! clap-free. Each error names the flag and the value involved.

use std::path::PathBuf;

use crate::cli::{CheckArgs, ColorChoice, InputArgs, OutputFormat, ReportArgs};
use statuslens::analysis;
use statuslens::format::{json::JsonMapping, time, FormatOptions, FormatSpec};
use statuslens::pipeline::RunOptions;
use statuslens::route::openapi::Api;
use statuslens::route::Normalizer;
use statuslens::rules::RulesConfig;

/// The configuration file a run reads: `--config FILE`, else `statuslens.toml` in the working
/// directory when present.
pub(crate) fn config_path(a: &InputArgs) -> Option<PathBuf> {
    match &a.config {
        Some(p) => Some(PathBuf::from(p)),
        None => Some(PathBuf::from("statuslens.toml")).filter(|p| p.exists()),
    }
}

/// Load the rule configuration from [`config_path`], else the defaults. Errors name the file.
/// Its `openapi` path is made relative to the file's directory.
pub(crate) fn load_config(a: &InputArgs) -> Result<RulesConfig, String> {
    let Some(path) = config_path(a) else {
        return Ok(RulesConfig::default());
    };
    let bytes = statuslens::input::read_settings(&path, "--config")?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "--config {}: not UTF-8 text (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    let mut cfg = RulesConfig::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if let (Some(spec), Some(dir)) = (&cfg.openapi, path.parent()) {
        cfg.openapi = Some(dir.join(spec).display().to_string());
    }
    Ok(cfg)
}

/// What the API declares: `--openapi FILE` (else the config's `openapi`), then the config's
/// `[[routes]]` methods on top.
pub(crate) fn api(a: &InputArgs, cfg: &RulesConfig) -> Result<Api, String> {
    let mut api = match a.openapi.as_ref().or(cfg.openapi.as_ref()) {
        Some(p) => Api::load(std::path::Path::new(p)).map_err(|e| format!("--openapi {e}"))?,
        None => Api::default(),
    };
    api.extend(&cfg.declared);
    Ok(api)
}

/// The rule configuration of `report`: the file, then `--rule` flags.
pub(crate) fn rules_config(a: &ReportArgs) -> Result<RulesConfig, String> {
    let mut cfg = load_config(&a.input)?;
    for r in &a.rules {
        cfg.apply_flag(r)?;
    }
    Ok(cfg)
}

/// One report to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// Standard output.
    Stdout(OutputFormat),
    /// A file.
    File(OutputFormat, PathBuf),
}

/// `24h`, `30m`, `7d`, `90s` → milliseconds.
fn parse_relative(s: &str) -> Option<i64> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = num.parse().ok()?;
    let ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 604_800_000,
        _ => return None,
    };
    n.checked_mul(ms)
}

/// `--last`: the duration in milliseconds.
pub(crate) fn last_ms(a: &InputArgs) -> Result<Option<i64>, String> {
    a.last
        .as_deref()
        .map(|v| {
            parse_relative(v).filter(|&d| d > 0).ok_or_else(|| {
                format!("--last `{v}`: expected a duration such as 90s, 30m, 1h, 7d")
            })
        })
        .transpose()
}

/// With `--last`: the window `[end - duration, ∞)` where `end` is the latest request in `logs`.
pub(crate) fn resolve_last(
    a: &InputArgs,
    logs: &[statuslens::input::Input],
    run: &mut statuslens::pipeline::RunOptions,
) -> Result<(), String> {
    let Some(d) = last_ms(a)? else {
        return Ok(());
    };
    let end = statuslens::pipeline::latest_time(logs, run)?.ok_or_else(|| {
        format!(
            "--last {}: no line near the end of the logs has a timestamp to count back from",
            a.last.as_deref().unwrap_or_default()
        )
    })?;
    run.window = Some((end.saturating_sub(d), i64::MAX));
    Ok(())
}

/// Parse a `--since`/`--until` value.
pub(crate) fn parse_time_arg(flag: &str, v: &str, now_ms: i64) -> Result<i64, String> {
    if let Some(ms) = time::parse_iso8601(v.as_bytes()) {
        return Ok(ms);
    }
    if let Some(d) = parse_relative(v) {
        return Ok(now_ms - d);
    }
    // A date alone is its midnight, UTC.
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        if let Some(t) = d.and_hms_opt(0, 0, 0) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    Err(format!("{flag} `{v}`: expected an RFC 3339 time (2024-05-01T12:00:00Z), a date (2024-05-01, midnight UTC) or a relative one (24h, 30m, 7d)"))
}

/// Build the run options from input arguments; routes match `a.route`, the config's routes,
/// then `api`'s OpenAPI paths.
pub(crate) fn run_options(
    a: &InputArgs,
    cfg: &RulesConfig,
    api: &Api,
) -> Result<RunOptions, String> {
    let spec = FormatSpec::parse(&a.log_format).map_err(|e| format!("--log-format: {e}"))?;
    let mut mapping = JsonMapping::default();
    // The config file's mappings first, so that --json-field wins on the same key.
    for f in &cfg.fields {
        mapping
            .add(f)
            .map_err(|e| format!("config [fields]: {e}"))?;
    }
    for f in &a.json_field {
        mapping.add(f)?;
    }
    let templates: Vec<String> = a.route.iter().chain(&cfg.routes).cloned().collect();
    let routes = Normalizer::with_api(&templates, api)?;
    let now = chrono::Utc::now().timestamp_millis();
    let since = a
        .since
        .as_deref()
        .map(|v| parse_time_arg("--since", v, now))
        .transpose()?;
    let until = a
        .until
        .as_deref()
        .map(|v| parse_time_arg("--until", v, now))
        .transpose()?;
    let window = match (since, until) {
        (None, None) => None,
        (s, u) => Some((s.unwrap_or(i64::MIN), u.unwrap_or(i64::MAX))),
    };
    if let Some((s, u)) = window {
        if s >= u {
            return Err("--since is not before --until: no request can match".to_string());
        }
    }
    if a.route_cap == 0 {
        return Err("--route-cap must be at least 1".to_string());
    }
    let jobs = match a.jobs {
        Some(0) => return Err("--jobs must be at least 1".to_string()),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    Ok(RunOptions {
        spec,
        format: FormatOptions { json: mapping },
        routes,
        route_cap: a.route_cap,
        window,
        hosts: statuslens::aggregate::HostFilter::new(&a.host)?,
        jobs,
        progress: None,
    })
}

fn format_from_name(s: &str) -> Option<OutputFormat> {
    match s {
        "json" => Some(OutputFormat::Json),
        "text" | "txt" => Some(OutputFormat::Text),
        "markdown" | "md" => Some(OutputFormat::Markdown),
        "html" | "htm" => Some(OutputFormat::Html),
        "junit" | "xml" => Some(OutputFormat::Junit),
        "partial" => Some(OutputFormat::Partial),
        _ => None,
    }
}

/// Where the reports go. `-o -` and `-o FMT=-` mean standard output; `-o FILE` takes its format
/// from `FMT=`, else the extension, else `--format`. A `--format` that no `-o` took is also
/// printed on standard output (`--format text -o r.html` writes the file and prints the text).
pub(crate) fn targets(a: &ReportArgs) -> Result<Vec<Target>, String> {
    if a.output.is_empty() {
        return Ok(vec![Target::Stdout(a.format.unwrap_or(OutputFormat::Text))]);
    }
    let place = |f: OutputFormat, path: &str| {
        if path == "-" {
            Target::Stdout(f)
        } else {
            Target::File(f, PathBuf::from(path))
        }
    };
    let mut format_used = false;
    let mut targets = a
        .output
        .iter()
        .map(|o| {
            if let Some((fmt, path)) = o.split_once('=') {
                if let Some(f) = format_from_name(fmt) {
                    return Ok(place(f, path));
                }
                if !path.is_empty() && !fmt.contains('/') {
                    return Err(format!("-o `{o}`: unknown report format `{fmt}` (text, json, markdown, html, junit, partial)"));
                }
            }
            let ext = std::path::Path::new(o).extension().and_then(|e| e.to_str()).unwrap_or("");
            if let Some(f) = format_from_name(ext) {
                return Ok(place(f, o));
            }
            match a.format {
                Some(f) => {
                    format_used = true;
                    Ok(place(f, o))
                }
                None if o == "-" => Ok(Target::Stdout(OutputFormat::Text)),
                None => Err(format!("-o `{o}`: cannot tell the report format from the extension; use .txt, .json, .md, .html or .xml, FMT=PATH (partial=PATH for a partial aggregate), or --format")),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let on_stdout = targets.iter().any(|t| matches!(t, Target::Stdout(_)));
    if let Some(f) = a.format.filter(|_| !format_used && !on_stdout) {
        targets.insert(0, Target::Stdout(f));
    }
    Ok(targets)
}

/// Whether to colour text on standard output.
pub(crate) fn use_color(choice: ColorChoice, stdout_is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            stdout_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// The library's run configuration for `report` and `check`.
pub(crate) fn analysis_config(a: &ReportArgs) -> Result<analysis::Config, String> {
    let rules = rules_config(a)?;
    let api = api(&a.input, &rules)?;
    let run = run_options(&a.input, &rules, &api)?;
    let shard = match a.input.shard.as_deref() {
        None => None,
        Some(spec) => Some(
            spec.split_once('/')
                .and_then(|(i, n)| Some((i.parse::<usize>().ok()?, n.parse::<usize>().ok()?)))
                .filter(|&(i, n)| n > 0 && i < n)
                .ok_or_else(|| format!(
                    "--shard `{spec}`: expected I/N with 0 <= I < N, e.g. 0/4 for the first of four shards"
                ))?,
        ),
    };
    let config_file = config_path(&a.input).map(|p| p.display().to_string());
    let options = statuslens::report::Options {
        log_format: a.input.log_format.clone(),
        config: config_file,
        openapi: a.input.openapi.clone().or_else(|| rules.openapi.clone()),
        routes: a.input.route.iter().chain(&rules.routes).cloned().collect(),
        include: a.input.include.clone(),
        exclude: a.input.exclude.clone(),
        hosts: a.input.host.clone(),
        shard: a.input.shard.clone(),
        ..statuslens::report::Options::default()
    };
    Ok(analysis::Config {
        paths: a.input.paths.clone(),
        run,
        rules,
        api,
        shard,
        filter: statuslens::input::discover::FileFilter::new(&a.input.include, &a.input.exclude)?,
        options,
    })
}

/// `check`'s rate flags validated and its `--baseline` read.
pub(crate) fn baseline(c: &CheckArgs) -> Result<Option<statuslens::check::Baseline>, String> {
    for (flag, v) in [
        ("--max-5xx-rate", c.max_5xx_rate),
        ("--max-reject-rate", c.max_reject_rate),
    ] {
        if let Some(r) = v {
            if !(0.0..=1.0).contains(&r) {
                return Err(format!(
                    "{flag} {r}: give a share between 0 and 1 (0.01 = 1%)"
                ));
            }
        }
    }
    let Some(p) = &c.baseline else {
        return Ok(None);
    };
    let bytes = statuslens::input::read_settings(std::path::Path::new(p), "--baseline")?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(Some(
        statuslens::check::baseline_keys(&text).map_err(|e| format!("--baseline {p}: {e}"))?,
    ))
}

/// Refuse to wait on a terminal for logs that will never come, and take a mistyped command
/// (`statuslens reprot logs/`) for what it is rather than a missing file.
pub(crate) fn check_paths(paths: &[String]) -> Result<(), String> {
    use std::io::IsTerminal;
    if let Some(first) = paths.first() {
        let commands = ["report", "check", "records", "rules", "codes", "help"];
        let close = commands
            .iter()
            .find(|c| strsim::damerau_levenshtein(first, c) <= 2 && first.len() >= 3);
        if let (Some(c), false) = (close, std::path::Path::new(first).exists()) {
            return Err(format!(
                "`{first}` is neither a file nor a command; did you mean `statuslens {c}`?"
            ));
        }
    }
    if paths.is_empty() && std::io::stdin().is_terminal() {
        return Err(
            "no input: give log files or directories, or pipe logs on standard input (see --help)"
                .to_string(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_and_absolute_times() {
        assert_eq!(
            parse_time_arg("--since", "24h", 100_000_000),
            Ok(100_000_000 - 86_400_000)
        );
        assert_eq!(
            parse_time_arg("--since", "2000-10-10T20:55:36Z", 0),
            Ok(971_211_336_000)
        );
        assert_eq!(
            parse_time_arg("--since", "2000-10-10", 0),
            Ok(971_136_000_000),
            "a date is its midnight UTC"
        );
        assert!(parse_time_arg("--since", "yesterday", 0)
            .expect_err("bad")
            .contains("--since"));
    }

    #[test]
    fn output_targets() {
        let a = ReportArgs {
            output: vec!["r.json".into(), "text=out".into()],
            ..ReportArgs::default()
        };
        assert_eq!(
            targets(&a).expect("valid"),
            vec![
                Target::File(OutputFormat::Json, "r.json".into()),
                Target::File(OutputFormat::Text, "out".into())
            ]
        );
        let a = ReportArgs {
            output: vec!["r.pdf".into()],
            ..ReportArgs::default()
        };
        assert!(targets(&a).is_err());
        // `-` is standard output; a path without a telling extension takes --format.
        let a = ReportArgs {
            output: vec!["-".into(), "json=-".into(), "report".into()],
            format: Some(OutputFormat::Json),
            ..ReportArgs::default()
        };
        assert_eq!(
            targets(&a).expect("valid"),
            vec![
                Target::Stdout(OutputFormat::Json),
                Target::Stdout(OutputFormat::Json),
                Target::File(OutputFormat::Json, "report".into())
            ]
        );
        let a = ReportArgs {
            output: vec!["text=-".into(), "/tmp/a=b.json".into()],
            ..ReportArgs::default()
        };
        assert_eq!(
            targets(&a).expect("valid"),
            vec![
                Target::Stdout(OutputFormat::Text),
                Target::File(OutputFormat::Json, "/tmp/a=b.json".into())
            ]
        );
        // A --format no -o took is printed too.
        let a = ReportArgs {
            output: vec!["r.html".into()],
            format: Some(OutputFormat::Text),
            ..ReportArgs::default()
        };
        assert_eq!(
            targets(&a).expect("valid"),
            vec![
                Target::Stdout(OutputFormat::Text),
                Target::File(OutputFormat::Html, "r.html".into())
            ]
        );
    }
}

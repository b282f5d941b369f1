//! The `statuslens` binary: parse arguments, call the library, map the result to an exit code
//! (0 success, 1 a failed `check`, 2 usage or input error). A closed pipe on standard output
//! exits 0 quietly.

mod cli;
mod config;
mod output;
mod progress;

use std::io::{self, BufWriter};
use std::process::ExitCode;

use clap::Parser;

use cli::{CheckArgs, Cli, Command, FailOn, InputArgs, ReportArgs};
use statuslens::analysis::{self, Analysis};
use statuslens::pipeline;
use statuslens::report::records;
use statuslens::rules::Severity;
use statuslens::{check, Error};

/// Exit statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exit {
    Success = 0,
    /// `check` found what it was told to fail on.
    Failed = 1,
    Error = 2,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

#[allow(clippy::print_stderr, reason = "the binary reports problems on stderr")]
fn warn(msg: &str) {
    eprintln!("statuslens: {}", statuslens::escape::sanitize(msg));
}

/// `--quiet`: only errors reach stderr.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A note or warning that is not an error (a skipped file, nothing analysed): silenced by
/// `--quiet`.
fn note(msg: &str) {
    if !QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        warn(msg);
    }
}

/// `report` and `check`: analyse, writing a partial aggregate when asked.
fn analyse(a: &ReportArgs) -> Result<Analysis, Error> {
    let mut cfg = config::analysis_config(a)?;
    let targets = config::targets(a)?;
    config::check_paths(&a.input.paths)?;
    let inputs = cfg.inputs();
    config::resolve_last(&a.input, &inputs.logs, &mut cfg.run)?;
    let all: Vec<_> = inputs.logs.iter().chain(&inputs.partials).collect();
    output::refuse_inputs(&targets, &all)?;
    for n in &inputs.notes {
        note(n);
    }
    let mut display = progress::wanted(a.no_progress || a.input.quiet).then(|| {
        let p = std::sync::Arc::new(pipeline::Progress::default());
        cfg.run.progress = Some(std::sync::Arc::clone(&p));
        progress::start(p, &inputs.logs)
    });
    let mut write_partials = |out: &statuslens::aggregate::RunOutput| {
        if let Some(d) = display.take() {
            d.finish();
        }
        output::write_partials(&targets, out, &note)
    };
    analysis::analyse(&cfg, inputs, &mut write_partials, &mut |m| warn(m))
}

fn run_report(a: &ReportArgs) -> Result<Exit, Error> {
    let an = analyse(a)?;
    if let Some(why) = check::nothing_analysed(&an.model) {
        note(&why);
    }
    if !output::write_reports(a, &an, Severity::Error, &warn, &note)? || an.model.errors.is_empty()
    {
        return Ok(Exit::Success);
    }
    Ok(Exit::Error)
}

fn run_check(c: &CheckArgs) -> Result<Exit, Error> {
    let fail_on = match c.fail_on {
        FailOn::Info => Severity::Info,
        FailOn::Warning => Severity::Warning,
        FailOn::Error => Severity::Error,
    };
    let gate = check::Gate {
        fail_on: Some(fail_on),
        max_5xx_rate: c.max_5xx_rate,
        max_reject_rate: c.max_reject_rate,
        baseline: config::baseline(c)?,
    };
    let an = analyse(&c.report)?;
    if !output::write_reports(&c.report, &an, fail_on, &warn, &note)? {
        return Ok(Exit::Success);
    }
    if let Some(first) = an.model.errors.first() {
        return Err(Error::Input {
            path: first.file.clone(),
            message: format!(
                "{} (check: {} input problem(s); fix or leave out the file)",
                first.message,
                an.model.errors.len()
            ),
        });
    }
    let verdict = check::judge(&an.model, &gate);
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        let lines = check::github_annotations(&an.model, &verdict);
        if !lines.is_empty() {
            let _ = output::print(&(lines.join("\n") + "\n"));
        }
    }
    if verdict.failed {
        for line in check::concise(&an.model, &verdict) {
            warn(&line);
        }
        warn(&format!("check failed: {}", verdict.reasons.join("; ")));
        return Ok(Exit::Failed);
    }
    Ok(Exit::Success)
}

fn run_records(a: &InputArgs) -> Result<Exit, Error> {
    let cfg = config::load_config(a)?;
    let mut opts = config::run_options(a, &cfg, &config::api(a, &cfg)?)?;
    config::check_paths(&a.paths)?;
    let filter = statuslens::input::discover::FileFilter::new(&a.include, &a.exclude)?;
    let found = statuslens::input::discover::discover_filtered(&a.paths, &filter);
    for n in &found.notes {
        note(n);
    }
    let (logs, mut problems) = records::logs_of(found);
    config::resolve_last(a, &logs, &mut opts)?;
    let out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let (unread, written) = records::print_logs(&logs, &opts, out);
    problems.extend(unread);
    for p in &problems {
        warn(p);
    }
    match written {
        Err(source) if source.kind() != io::ErrorKind::BrokenPipe => {
            return Err(Error::Output {
                what: "records".to_string(),
                dest: "standard output".to_string(),
                source,
            })
        }
        _ => {}
    }
    Ok(if problems.is_empty() {
        Exit::Success
    } else {
        Exit::Error
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    QUIET.store(cli.quiet(), std::sync::atomic::Ordering::Relaxed);
    let result = match &cli.command {
        None => run_report(&cli.report),
        Some(Command::Report(a)) => run_report(a),
        Some(Command::Check(c)) => run_check(c),
        Some(Command::Records(a)) => run_records(a),
        Some(Command::Rules { id }) => statuslens::rules::query(id.as_deref())
            .map_err(Error::Usage)
            .and_then(|t| output::print(&t))
            .map(|()| Exit::Success),
        Some(Command::Codes { code }) => statuslens::codes::query(code.as_deref())
            .map_err(Error::Usage)
            .and_then(|t| output::print(&t))
            .map(|()| Exit::Success),
        Some(Command::Completions { shell }) => output::print_bytes(&cli::completions(*shell)),
        Some(Command::Man) => output::print_bytes(&cli::man_page()),
    };
    match result {
        Ok(e) => e.into(),
        Err(e) => {
            warn(&e.to_string());
            Exit::Error.into()
        }
    }
}

/// mimalloc: the run allocates chunk aggregates on the parse workers and frees them on the
/// reducing thread, which glibc's per-thread arenas handle slowly and with fragmentation.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

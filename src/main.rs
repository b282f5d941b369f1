//! The `statuslens` binary: parse arguments, run, map the result to an exit code (SPEC §1:
//! 0 success, 2 usage or input error). A closed pipe on standard output exits 0 quietly.

mod cli;
mod config;
mod progress;

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use cli::{CheckArgs, Cli, Command, FailOn, InputArgs, OutputFormat, ReportArgs};
use config::Target;
use statuslens::aggregate::partial;
use statuslens::check;
use statuslens::input::discover::discover;
use statuslens::input::Input;
use statuslens::pipeline::{self, open_input};
use statuslens::report::html::HtmlRenderer;
use statuslens::report::junit::JunitRenderer;
use statuslens::report::markdown::MarkdownRenderer;
use statuslens::report::records::RecordJson;
use statuslens::report::text::DEFAULT_WIDTH;
use statuslens::report::{json::JsonRenderer, text::TextRenderer, Render, ReportModel};
use statuslens::rules::Severity;
use statuslens::rules::{self, Facts};

/// Exit statuses (SPEC §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exit {
    Success,
    /// `check` found what it was told to fail on.
    Failed,
    Error,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        match e {
            Exit::Success => ExitCode::SUCCESS,
            Exit::Failed => ExitCode::from(1),
            Exit::Error => ExitCode::from(2),
        }
    }
}

#[allow(clippy::print_stderr, reason = "the binary reports problems on stderr")]
fn warn(msg: &str) {
    eprintln!("statuslens: {}", statuslens::report::escape::sanitize(msg));
}

fn check_stdin(paths: &[String]) -> Result<(), String> {
    if paths.is_empty() && io::stdin().is_terminal() {
        return Err(
            "no input: give log files or directories, or pipe logs on standard input (see --help)"
                .to_string(),
        );
    }
    Ok(())
}

/// The analysis of `report` and `check`: the model and the rules that ran.
struct Analysis {
    model: ReportModel,
    rules: Vec<&'static str>,
}

fn analyse(a: &ReportArgs) -> Result<Analysis, String> {
    let rules_cfg = config::rules_config(a)?;
    let api = config::api(&a.input, &rules_cfg)?;
    let mut opts = config::run_options(&a.input, &rules_cfg, &api)?;
    config::targets(a)?;
    check_stdin(&a.input.paths)?;
    let (inputs, disc_errors) = discover(&a.input.paths);
    for e in &disc_errors {
        warn(&format!("{}: {}", e.path, e.message));
    }
    let inputs = config::shard(inputs, a.input.shard.as_deref())?;
    let mut errs: Vec<(String, String)> = disc_errors
        .iter()
        .map(|e| (e.path.clone(), e.message.clone()))
        .collect();
    // Partial aggregates among the inputs are merged, not parsed.
    let (partials, logs): (Vec<Input>, Vec<Input>) =
        inputs.into_iter().partition(pipeline::is_partial_input);
    let display = progress::wanted(a.no_progress).then(|| {
        let p = std::sync::Arc::new(pipeline::Progress::default());
        opts.progress = Some(std::sync::Arc::clone(&p));
        progress::start(p, &logs)
    });
    let logs_out = pipeline::collect(&logs, &opts);
    if let Some(d) = display {
        d.finish();
    }
    // Plan the merge from the partials' file lists, then read them one at a time: memory holds
    // the running total and one partial, whatever their number.
    let mut lists = vec![logs_out.files.clone()];
    let mut readable = Vec::new();
    for p in &partials {
        match pipeline::read_partial_files(p) {
            Ok(files) => {
                lists.push(files);
                readable.push(p);
            }
            Err(e) => {
                warn(&format!("{}: {e}", p.name()));
                errs.push((p.name(), e));
            }
        }
    }
    let (files, maps) = partial::canonical_order(&lists);
    let mut total = logs_out.aggregate;
    total.remap_files(&maps[0]);
    let ctx = statuslens::aggregate::AddContext {
        routes: &opts.routes,
        route_cap: opts.route_cap,
        window: opts.window,
    };
    for (k, p) in readable.iter().enumerate() {
        match pipeline::read_partial(p) {
            Ok(part) => {
                let mut agg = part.aggregate;
                agg.remap_files(&maps[k + 1]);
                total.absorb(agg, &ctx);
            }
            Err(e) => {
                warn(&format!("{}: {e}", p.name()));
                errs.push((p.name(), e));
            }
        }
    }
    let mut out = pipeline::RunOutput {
        aggregate: total,
        files,
    };
    for f in &out.files {
        if let Some(e) = &f.error {
            warn(&format!("{}: {e}", f.name));
        }
    }
    for t in config::targets(a)? {
        let (fmt, path) = match &t {
            Target::Stdout(f) => (*f, None),
            Target::File(f, p) => (*f, Some(p)),
        };
        if fmt != OutputFormat::Partial {
            continue;
        }
        // A closed standard output is noticed again, and quietly, by `write_outputs`.
        write_to(path.map(|p| p.as_path()), "the partial aggregate", |w| {
            partial::write(&out, w)
        })?;
    }
    out.aggregate.finish(&opts.routes, opts.route_cap);
    let facts = Facts::new(&out.aggregate, &rules_cfg, &api);
    let findings = rules::run(&facts, &rules_cfg);
    let mut model = ReportModel::build(&out, &errs, opts.route_cap, &findings, &facts.noise);
    model.attach_api(&facts);
    let rules = rules::RULES
        .iter()
        .filter(|r| rules_cfg.settings(r.meta().id).enabled && r.applies(&facts))
        .map(|r| r.meta().id)
        .collect();
    Ok(Analysis { model, rules })
}

/// Write every requested output. `Ok(false)`: standard output was closed (stop quietly).
fn write_outputs(a: &ReportArgs, an: &Analysis) -> Result<bool, String> {
    let model = &an.model;
    for t in config::targets(a)? {
        let (fmt, path) = match &t {
            Target::Stdout(f) => (*f, None),
            Target::File(f, p) => (*f, Some(p)),
        };
        let color = path.is_none() && config::use_color(a.color, io::stdout().is_terminal());
        let renderer: Box<dyn Render> = match fmt {
            // Written by `analyse`, before the aggregate is finished.
            OutputFormat::Partial => continue,
            OutputFormat::Text => Box::new(TextRenderer {
                color,
                top: a.top,
                width: if path.is_none() && io::stdout().is_terminal() {
                    console::Term::stdout()
                        .size_checked()
                        .map_or(DEFAULT_WIDTH, |(_, w)| usize::from(w))
                } else {
                    DEFAULT_WIDTH
                },
            }),
            OutputFormat::Json => Box::new(JsonRenderer),
            OutputFormat::Markdown => Box::new(MarkdownRenderer),
            OutputFormat::Html => Box::new(HtmlRenderer),
            OutputFormat::Junit => Box::new(JunitRenderer {
                rules: an.rules.clone(),
            }),
        };
        if !write_to(path.map(|p| p.as_path()), "the report", |w| {
            renderer.render(model, w)
        })? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Write with `write` to `path`, or to standard output when `None`. `Ok(false)`: standard
/// output was closed; other errors name the destination and `what` was being written.
fn write_to(
    path: Option<&std::path::Path>,
    what: &str,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<bool, String> {
    let result = match path {
        None => {
            let mut w = BufWriter::new(io::stdout().lock());
            write(&mut w).and_then(|()| w.flush())
        }
        Some(p) => std::fs::File::create(p).and_then(|f| {
            let mut w = BufWriter::new(f);
            write(&mut w)?;
            w.flush()
        }),
    };
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => {
            let name = path.map_or("standard output".to_string(), |p| p.display().to_string());
            Err(format!("cannot write {what} to {name}: {e}"))
        }
    }
}

fn run_report(a: &ReportArgs) -> Result<Exit, String> {
    let an = analyse(a)?;
    if !write_outputs(a, &an)? {
        return Ok(Exit::Success);
    }
    Ok(if an.model.errors.is_empty() {
        Exit::Success
    } else {
        Exit::Error
    })
}

fn run_check(c: &CheckArgs) -> Result<Exit, String> {
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
    let baseline = match &c.baseline {
        None => None,
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("--baseline {p}: cannot read it: {e}"))?;
            Some(check::baseline_keys(&text).map_err(|e| format!("--baseline {p}: {e}"))?)
        }
    };
    let an = analyse(&c.report)?;
    if !write_outputs(&c.report, &an)? {
        return Ok(Exit::Success);
    }
    if !an.model.errors.is_empty() {
        return Err(format!(
            "check: {} input problem(s) (first: {}: {}); fix or leave out the file",
            an.model.errors.len(),
            an.model.errors[0].file,
            an.model.errors[0].message
        ));
    }
    let gate = check::Gate {
        fail_on: Some(match c.fail_on {
            FailOn::Info => Severity::Info,
            FailOn::Warning => Severity::Warning,
            FailOn::Error => Severity::Error,
        }),
        max_5xx_rate: c.max_5xx_rate,
        max_reject_rate: c.max_reject_rate,
        baseline,
    };
    let verdict = check::judge(&an.model, &gate);
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        let lines = check::github_annotations(&an.model, &verdict);
        if !lines.is_empty() {
            let _ = print(&(lines.join("\n") + "\n"));
        }
    }
    if verdict.failed {
        warn(&format!("check failed: {}", verdict.reasons.join("; ")));
        return Ok(Exit::Failed);
    }
    Ok(Exit::Success)
}

fn run_records(a: &InputArgs) -> Result<Exit, String> {
    let cfg = config::load_config(a)?;
    let opts = config::run_options(a, &cfg, &config::api(a, &cfg)?)?;
    check_stdin(&a.paths)?;
    let (inputs, disc_errors) = discover(&a.paths);
    let mut failed = !disc_errors.is_empty();
    for e in &disc_errors {
        warn(&format!("{}: {}", e.path, e.message));
    }
    let mut w = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut buf = Vec::new();
    for input in &inputs {
        let name = input.name();
        if pipeline::is_partial_input(input) {
            warn(&format!(
                "{name}: is a partial aggregate, which has no lines to print; give it to `statuslens report`"
            ));
            failed = true;
            continue;
        }
        let mut opened = match open_input(input, &opts, std::mem::take(&mut buf)) {
            Ok(o) => o,
            Err(e) => {
                warn(&format!("{name}: {e}"));
                failed = true;
                continue;
            }
        };
        let fmt = opened.format.clone();
        let fmt_name = opened.format_name();
        let mut line_no = 0u64;
        let mut unwrapped = Vec::new();
        loop {
            let (kind, data) = match opened.next_chunk(std::mem::take(&mut buf)) {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => {
                    warn(&format!(
                        "{name}: {}",
                        pipeline::read_error(opened.compression, &e)
                    ));
                    failed = true;
                    break;
                }
            };
            if kind == statuslens::input::chunk::ChunkKind::Overlong {
                line_no += 1;
            } else {
                let text = pipeline::chunk_text(opened.wrap, kind, &data, &mut unwrapped);
                let mut write_error = None;
                let n = pipeline::for_each_line(text, |i, line| {
                    if line.is_empty() || write_error.is_some() {
                        return;
                    }
                    if let Ok(rec) = fmt.parse(line) {
                        let source = format!("{name}:{}", line_no + u64::from(i) + 1);
                        let r = RecordJson::new(&rec, &opts.routes, source, &fmt_name);
                        let res = serde_json::to_writer(&mut w, &r)
                            .map_err(io::Error::from)
                            .and_then(|()| w.write_all(b"\n"));
                        write_error = res.err();
                    }
                });
                line_no += u64::from(n);
                match write_error {
                    None => {}
                    Some(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Exit::Success),
                    Some(e) => return Err(format!("cannot write records: {e}")),
                }
            }
            buf = data;
        }
    }
    match w.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            return Err(format!("cannot write records: {e}"))
        }
        _ => {}
    }
    Ok(if failed { Exit::Error } else { Exit::Success })
}

/// Write `text` to standard output; a closed pipe is not an error.
fn print(text: &str) -> Result<Exit, String> {
    let mut w = io::stdout().lock();
    match w.write_all(text.as_bytes()).and_then(|()| w.flush()) {
        Ok(()) => Ok(Exit::Success),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Exit::Success),
        Err(e) => Err(format!("cannot write to standard output: {e}")),
    }
}

fn run_rules(id: Option<&str>) -> Result<Exit, String> {
    let Some(id) = id else {
        let mut s = String::from("CODE   ID                   SEVERITY  SUMMARY\n");
        for r in rules::RULES {
            let m = r.meta();
            s.push_str(&format!(
                "{:<6} {:<20} {:<9} {}\n",
                m.code,
                m.id,
                m.severity.as_str(),
                m.summary
            ));
        }
        s.push_str("\n`statuslens rules ID` explains one; `--rule ID=off|info|warning|error` or statuslens.toml configure them.\n");
        return print(&s);
    };
    let rule = rules::RULES
        .iter()
        .find(|r| r.meta().id == id || r.meta().code.eq_ignore_ascii_case(id))
        .ok_or_else(|| rules::config::unknown_rule(id))?;
    print(&rules::render_docs(rule.meta()))
}

fn run_codes(code: Option<&str>) -> Result<Exit, String> {
    use statuslens::codes;
    let list = |pred: &dyn Fn(u16) -> bool| {
        let mut s = String::new();
        for c in codes::CODES.iter().filter(|c| pred(c.code)) {
            s.push_str(&format!(
                "{} {:<34} {}\n",
                c.code,
                c.name,
                if c.registered { "" } else { "(not registered)" }
            ));
        }
        s.push_str("\n`statuslens codes CODE` explains one.\n");
        s
    };
    let Some(code) = code else {
        return print(&list(&|_| true));
    };
    if let Some(class) = code
        .strip_suffix("xx")
        .and_then(|d| d.parse::<u16>().ok())
        .filter(|d| (1..=5).contains(d))
    {
        return print(&list(&|c| c / 100 == class));
    }
    let n: u16 = code.parse().map_err(|_| {
        format!("`{code}` is not a status code: give a number like 404 or a class like 4xx")
    })?;
    match codes::lookup(n) {
        Some(c) => print(&codes::render(c)),
        None => Err(format!(
            "{n} is neither registered nor a known vendor code; registered codes in its class: `statuslens codes {}xx`",
            (n / 100).clamp(1, 5)
        )),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        None => run_report(&cli.report),
        Some(Command::Report(a)) => run_report(a),
        Some(Command::Check(c)) => run_check(c),
        Some(Command::Records(a)) => run_records(a),
        Some(Command::Rules { id }) => run_rules(id.as_deref()),
        Some(Command::Codes { code }) => run_codes(code.as_deref()),
    };
    match result {
        Ok(e) => e.into(),
        Err(msg) => {
            warn(&msg);
            Exit::Error.into()
        }
    }
}

/// mimalloc: the run allocates chunk aggregates on the parse workers and frees them on the
/// reducing thread, which glibc's per-thread arenas handle slowly and with fragmentation.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

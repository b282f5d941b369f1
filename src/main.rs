//! The `statuslens` binary: parse arguments, run, map the result to an exit code (SPEC §1:
//! 0 success, 2 usage or input error). A closed pipe on standard output exits 0 quietly.

mod cli;
mod config;

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, InputArgs, OutputFormat, ReportArgs};
use config::Target;
use statuslens::input::discover::discover;
use statuslens::pipeline::{self, open_input};
use statuslens::report::records::RecordJson;
use statuslens::report::{json::JsonRenderer, text::TextRenderer, Render, ReportModel};

/// Exit statuses (SPEC §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exit {
    Success,
    Error,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        match e {
            Exit::Success => ExitCode::SUCCESS,
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

fn run_report(a: &ReportArgs) -> Result<Exit, String> {
    let opts = config::run_options(&a.input)?;
    let targets = config::targets(a)?;
    check_stdin(&a.input.paths)?;
    let (inputs, disc_errors) = discover(&a.input.paths);
    for e in &disc_errors {
        warn(&format!("{}: {}", e.path, e.message));
    }
    let out = pipeline::run(&inputs, &opts);
    for f in &out.files {
        if let Some(e) = &f.error {
            warn(&format!("{}: {e}", f.name));
        }
    }
    let errs: Vec<(String, String)> = disc_errors
        .iter()
        .map(|e| (e.path.clone(), e.message.clone()))
        .collect();
    let model = ReportModel::build(&out, &errs, opts.route_cap);
    for t in targets {
        let (fmt, path) = match &t {
            Target::Stdout(f) => (*f, None),
            Target::File(f, p) => (*f, Some(p)),
        };
        let color = path.is_none() && config::use_color(a.color, io::stdout().is_terminal());
        let renderer: Box<dyn Render> = match fmt {
            OutputFormat::Text => Box::new(TextRenderer { color, top: a.top }),
            OutputFormat::Json => Box::new(JsonRenderer),
        };
        let result = match path {
            None => {
                let mut w = BufWriter::new(io::stdout().lock());
                renderer.render(&model, &mut w).and_then(|()| w.flush())
            }
            Some(p) => std::fs::File::create(p).and_then(|f| {
                let mut w = BufWriter::new(f);
                renderer.render(&model, &mut w)?;
                w.flush()
            }),
        };
        match result {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Exit::Success),
            Err(e) => {
                let name = path.map_or("standard output".to_string(), |p| p.display().to_string());
                return Err(format!("cannot write the report to {name}: {e}"));
            }
        }
    }
    Ok(if model.errors.is_empty() {
        Exit::Success
    } else {
        Exit::Error
    })
}

fn run_records(a: &InputArgs) -> Result<Exit, String> {
    let opts = config::run_options(a)?;
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        None => run_report(&cli.report),
        Some(Command::Report(a)) => run_report(a),
        Some(Command::Records(a)) => run_records(a),
    };
    match result {
        Ok(e) => e.into(),
        Err(msg) => {
            warn(&msg);
            Exit::Error.into()
        }
    }
}

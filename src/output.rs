//! Writing reports: to standard output or files, each in its format.

use std::io::{self, BufWriter, IsTerminal, Write};

use statuslens::analysis::Analysis;
use statuslens::report::html::HtmlRenderer;
use statuslens::report::junit::JunitRenderer;
use statuslens::report::markdown::MarkdownRenderer;
use statuslens::report::text::{SortKey, DEFAULT_WIDTH, TERMINAL_WIDTH};
use statuslens::report::{json::JsonRenderer, text::TextRenderer, Render};
use statuslens::rules::Severity;
use statuslens::Error;

use crate::cli::{OutputFormat, ReportArgs, SortBy};
use crate::config::{self, Target};

/// Write every requested report (partials are written before the aggregate is finished, by the
/// caller). Every target is attempted; each failure is reported through `warn` by name, and the
/// result is an error when any failed; each file written is told through `note` when stderr is a
/// terminal. `Ok(false)`: standard output was closed (stop quietly).
pub(crate) fn write_reports(
    a: &ReportArgs,
    an: &Analysis,
    fail_on: Severity,
    warn: &dyn Fn(&str),
    note: &dyn Fn(&str),
) -> Result<bool, Error> {
    let mut failed = 0usize;
    let mut open = true;
    for t in config::targets(a)? {
        let (fmt, path) = match &t {
            Target::Stdout(f) => (*f, None),
            Target::File(f, p) => (*f, Some(p)),
        };
        if path.is_none() && !open {
            continue;
        }
        let color = path.is_none() && config::use_color(a.color, io::stdout().is_terminal());
        let renderer: Box<dyn Render> = match fmt {
            OutputFormat::Partial => continue,
            OutputFormat::Text => Box::new(TextRenderer {
                color,
                top: a.top,
                width: text_width(path.is_none()),
                sort: match a.sort {
                    SortBy::Count => SortKey::Count,
                    SortBy::Server => SortKey::Server,
                    SortBy::Client => SortKey::Client,
                    SortBy::P99 => SortKey::P99,
                },
            }),
            OutputFormat::Json => Box::new(JsonRenderer),
            OutputFormat::Markdown => Box::new(MarkdownRenderer),
            OutputFormat::Html => Box::new(HtmlRenderer),
            OutputFormat::Junit => Box::new(JunitRenderer {
                rules: an.rules.clone(),
                fail_on,
            }),
        };
        match write_to(path.map(|p| p.as_path()), "the report", |w| {
            renderer.render(&an.model, w)
        }) {
            Ok(true) => {
                if let Some(p) = path {
                    let n = an.model.findings.len();
                    told(
                        note,
                        &format!("wrote {}: {n} finding{}", p.display(), plural(n as u64)),
                    );
                }
            }
            Ok(false) => open = false,
            Err(e) => {
                warn(&e.to_string());
                failed += 1;
            }
        }
    }
    if failed > 0 {
        return Err(Error::Usage(format!(
            "{failed} report(s) could not be written (see above)"
        )));
    }
    Ok(open)
}

/// Columns for the text report on standard output: `COLUMNS` when set, else the terminal's
/// width, else (a pipe) [`TERMINAL_WIDTH`]; files get [`DEFAULT_WIDTH`] whatever the terminal,
/// so they stay reproducible and keep every column.
fn text_width(on_stdout: bool) -> usize {
    if !on_stdout {
        return DEFAULT_WIDTH;
    }
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n >= 20)
    {
        return n;
    }
    if io::stdout().is_terminal() {
        return console::Term::stdout()
            .size_checked()
            .map_or(TERMINAL_WIDTH, |(_, w)| usize::from(w));
    }
    TERMINAL_WIDTH
}

/// Write with `write` to `path`, or to standard output when `None`. `Ok(false)`: standard
/// output was closed; other errors name the destination and `what` was being written. A
/// regular file is written beside its final name and renamed into place: a full disk or a crash
/// leaves the previous report whole, never a truncated one. A device, FIFO or link is written in
/// place.
pub(crate) fn write_to(
    path: Option<&std::path::Path>,
    what: &str,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<bool, Error> {
    let result = match path {
        None => {
            let mut w = BufWriter::new(io::stdout().lock());
            write(&mut w).and_then(|()| w.flush())
        }
        // Devices, FIFOs and links are written in place: renaming over `/dev/null` would
        // replace the device with a file.
        Some(p) if std::fs::symlink_metadata(p).is_ok_and(|m| !m.file_type().is_file()) => {
            std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(p)
                .and_then(|f| {
                    let mut w = BufWriter::new(f);
                    write(&mut w)?;
                    w.flush()
                })
        }
        Some(p) => {
            let name = p
                .file_name()
                .map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
            let tmp = p.with_file_name(format!(".{name}.statuslens-{}.tmp", std::process::id()));
            let written = std::fs::File::create(&tmp).and_then(|f| {
                let mut w = BufWriter::new(f);
                write(&mut w)?;
                w.flush()?;
                w.get_ref().sync_all()
            });
            let done = written.and_then(|()| std::fs::rename(&tmp, p));
            if done.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            done
        }
    };
    match result {
        Ok(()) => Ok(true),
        Err(e) if path.is_none() && e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(source) => Err(Error::Output {
            what: what.to_string(),
            dest: path.map_or("standard output".to_string(), |p| p.display().to_string()),
            source,
        }),
    }
}

/// Tell `msg` through `note` when stderr is a terminal (a person watching, not a CI log).
fn told(note: &dyn Fn(&str), msg: &str) {
    if io::stderr().is_terminal() {
        note(msg);
    }
}

fn plural(n: impl Into<u64>) -> &'static str {
    if n.into() == 1 {
        ""
    } else {
        "s"
    }
}

/// Write the partial-aggregate targets among `targets` (the aggregate before it is finished).
pub(crate) fn write_partials(
    targets: &[Target],
    out: &statuslens::aggregate::RunOutput,
    note: &dyn Fn(&str),
) -> Result<(), Error> {
    for t in targets {
        let path = match t {
            Target::Stdout(OutputFormat::Partial) => None,
            Target::File(OutputFormat::Partial, p) => Some(p.as_path()),
            _ => continue,
        };
        write_to(path, "the partial aggregate", |w| {
            statuslens::aggregate::partial::write(out, w)
        })?;
        if let Some(p) = path {
            let a = &out.aggregate;
            let n = a.files.values().map(|c| c.parsed).sum::<u64>() - a.out_of_window;
            told(
                note,
                &format!(
                    "wrote {}: partial aggregate of {n} request{}",
                    p.display(),
                    plural(n)
                ),
            );
        }
    }
    Ok(())
}

/// Refuse, before anything is read, to write a report or partial over one of the inputs.
pub(crate) fn refuse_inputs(
    targets: &[Target],
    inputs: &[&statuslens::input::Input],
) -> Result<(), Error> {
    let canonical = |p: &std::path::Path| std::fs::canonicalize(p).ok();
    let read: Vec<std::path::PathBuf> = inputs
        .iter()
        .filter_map(|i| match i {
            statuslens::input::Input::File(p) => canonical(p),
            statuslens::input::Input::Stdin => None,
        })
        .collect();
    for t in targets {
        if let Target::File(_, p) = t {
            if canonical(p).is_some_and(|c| read.contains(&c)) {
                return Err(Error::Usage(format!(
                    "-o {}: that file is one of the inputs; refusing to write over it",
                    p.display()
                )));
            }
        }
    }
    Ok(())
}

/// Write `text` to standard output; a closed pipe is not an error.
pub(crate) fn print(text: &str) -> Result<(), Error> {
    print_bytes(text.as_bytes()).map(|_| ())
}

/// Print generated bytes (a completion script, the man page) on standard output.
pub(crate) fn print_bytes(bytes: &[u8]) -> Result<crate::Exit, Error> {
    write_to(None, "the answer", |w| w.write_all(bytes)).map(|_| crate::Exit::Success)
}

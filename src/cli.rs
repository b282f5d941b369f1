//! Command-line arguments (clap derive). The only module that knows about clap; [`crate::config`]
//! turns these into a validated, clap-free configuration.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

/// Reads HTTP access logs, aggregates status codes and latency per endpoint, and says where the
/// status codes are imprecise.
#[derive(Debug, Parser)]
#[command(
    name = "statuslens",
    version,
    args_conflicts_with_subcommands = true,
    after_long_help = AFTER_LONG_HELP
)]
pub(crate) struct Cli {
    /// What to do (default: `report`).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Arguments of the default `report` command.
    #[command(flatten)]
    pub report: ReportArgs,
}

impl Cli {
    /// `--quiet` of whichever command runs.
    pub(crate) fn quiet(&self) -> bool {
        match &self.command {
            None => self.report.input.quiet,
            Some(Command::Report(a)) => a.input.quiet,
            Some(Command::Check(c)) => c.report.input.quiet,
            Some(Command::Records(a)) => a.quiet,
            Some(Command::Rules { .. } | Command::Codes { .. }) => false,
            Some(Command::Completions { .. } | Command::Man) => false,
        }
    }
}

/// Examples and exit statuses, at the end of `--help` and of the man page.
const AFTER_LONG_HELP: &str = "\
EXAMPLES:
    statuslens /var/log/nginx/
        The text report of every log in the folder (rotated .gz and .zst included).
    statuslens access.log.*.gz --last 24h -o report.html
        The last day of the data as one self-contained HTML file.
    statuslens check logs/ --fail-on warning -o report.md
        Fail a CI job on warnings; the Markdown report fits a job summary.
    statuslens logs/ --openapi openapi.yaml --format json
        Routes from the API description; undocumented methods and codes are reported.
    statuslens day1/ -o partial=day1.partial && statuslens day1.partial day2.partial
        Analyse in parts (by day, by machine) and merge the parts into one report.
    statuslens rules generic-500
        What a rule looks for, its thresholds and what to do.

EXIT STATUS:
    0   success (findings alone do not fail `report`)
    1   `check` found what it was told to fail on
    2   usage error, or an input that could not be read (named on standard error)";

/// Subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Analyse logs and print the report (the default).
    Report(ReportArgs),
    /// Analyse logs, print the report, and exit 1 when it has what CI should fail on.
    Check(CheckArgs),
    /// Print every parsed line as one normalized JSON object per line.
    Records(InputArgs),
    /// List the rule catalogue, or explain one rule.
    Rules {
        /// Rule id (e.g. `generic-500`) or code (e.g. `SL001`).
        #[arg(value_name = "RULE")]
        id: Option<String>,
    },
    /// Offline reference: what a status code means and when to use it.
    Codes {
        /// A status code, or a class like `4xx`.
        #[arg(value_name = "CODE")]
        code: Option<String>,
    },
    /// Print a shell completion script, e.g. `statuslens completions bash >
    /// /etc/bash_completion.d/statuslens`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `statuslens man > statuslens.1`.
    Man,
}

/// The completion script of `shell`.
pub(crate) fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "statuslens", &mut out);
    out
}

/// The manual page (roff): clap_mangen's sections, with the examples and exit statuses of the
/// long help as sections of their own.
pub(crate) fn man_page() -> Vec<u8> {
    let man = clap_mangen::Man::new(Cli::command());
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = man
        .render_title(&mut out)
        .and_then(|()| man.render_name_section(&mut out))
        .and_then(|()| man.render_synopsis_section(&mut out))
        .and_then(|()| man.render_description_section(&mut out))
        .and_then(|()| man.render_options_section(&mut out))
        .and_then(|()| man.render_subcommands_section(&mut out));
    for section in AFTER_LONG_HELP.split("\n\n") {
        let (title, body) = section.split_once(":\n").unwrap_or(("", section));
        out.extend_from_slice(format!(".SH \"{title}\"\n.nf\n").as_bytes());
        for line in body.lines() {
            // The help indents every body line by four; the man page keeps the rest. roff: a
            // leading dot or quote starts a request (`\&` guards it), a backslash an escape,
            // and `-` is a hyphen rather than a minus.
            let line = line.strip_prefix("    ").unwrap_or(line);
            let line = line.replace('\\', "\\e").replace('-', "\\-");
            out.extend_from_slice(format!("\\&{line}\n").as_bytes());
        }
        out.extend_from_slice(b".fi\n");
    }
    let _ = man.render_version_section(&mut out);
    out
}

/// Where the logs are and how to read them.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct InputArgs {
    /// Files or directories (walked recursively); `-` or nothing reads standard input.
    /// gzip and zstd are detected by magic bytes.
    #[arg(help_heading = "Input", value_name = "PATH")]
    pub paths: Vec<String>,
    /// In directories, read only files matching this glob (repeatable): a glob without `/`
    /// matches the file name (`access.log*`), one with `/` the path under the directory.
    /// Files named on the command line are always read.
    #[arg(help_heading = "Input", long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Only requests for this host (glob, case-insensitive, port ignored: `api.example.com`,
    /// `*.example.com`); repeatable. Lines that name no host are left out too.
    #[arg(help_heading = "Input", long, value_name = "PATTERN")]
    pub host: Vec<String>,
    /// In directories, skip files matching this glob (repeatable; wins over --include).
    #[arg(help_heading = "Input", long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Log format: auto, combined, common, alb, elb, cloudfront, iis, envoy, haproxy,
    /// ingress-nginx, json, logfmt, nginx:'<log_format body>' pasted from nginx.conf, or
    /// apache:'<LogFormat string>' from httpd.conf.
    #[arg(
        help_heading = "Input",
        long,
        value_name = "FORMAT",
        default_value = "auto"
    )]
    pub log_format: String,
    /// Map a JSON key (dotted for nested objects) to a record field, e.g. `resp.code=status`.
    #[arg(help_heading = "Input", long, value_name = "KEY=FIELD")]
    pub json_field: Vec<String>,
    /// Route template that wins over the heuristics, e.g. `/api/users/{id}` (repeatable).
    #[arg(help_heading = "Routes", long, value_name = "TEMPLATE")]
    pub route: Vec<String>,
    /// OpenAPI document (3.0/3.1 or Swagger 2.0, JSON or YAML): its paths become route templates
    /// beside `--route` (which wins on equal shape); its methods and responses are checked
    /// against the logs.
    #[arg(help_heading = "Routes", long, value_name = "FILE")]
    pub openapi: Option<String>,
    /// Only requests at or after this time: RFC 3339, a date (`2024-05-02`, midnight UTC), or
    /// relative like `24h`, `30m`, `7d`.
    #[arg(help_heading = "Time window", long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only requests before this time: RFC 3339, a date, or relative like `1h`.
    #[arg(help_heading = "Time window", long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only the last stretch of the data, e.g. `1h`, `30m`, `7d`: measured back from the
    /// latest request in the logs (their end is read first), not from now.
    #[arg(help_heading = "Time window", long, value_name = "DURATION", conflicts_with_all = ["since", "until"])]
    pub last: Option<String>,
    /// Parse workers (default: all cores; at most four per core).
    #[arg(help_heading = "Performance", long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Most distinct (method, route) endpoints kept; the rest are counted under `(other)`.
    #[arg(
        help_heading = "Routes",
        long,
        value_name = "N",
        default_value_t = 10_000
    )]
    pub route_cap: usize,
    /// Configuration file (rule thresholds and severities, ignored routes, field mappings);
    /// default: `statuslens.toml` in the working directory if present.
    #[arg(help_heading = "Rules", long, value_name = "FILE")]
    pub config: Option<String>,
    /// Take only shard I of N of the input files (0-based; file k goes to shard k mod N), for
    /// array jobs that each write a partial aggregate.
    #[arg(help_heading = "Performance", long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Print only errors on stderr: no notes, warnings, progress bar or "wrote FILE" lines.
    #[arg(help_heading = "Output", long, short = 'q')]
    pub quiet: bool,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Human-readable summary.
    Text,
    /// The full report as JSON (schema in the README).
    Json,
    /// Markdown for a pull-request comment or a CI job summary (bounded in size).
    Markdown,
    /// One self-contained HTML file with charts and a sortable endpoint table.
    Html,
    /// JUnit XML for CI test reporters: findings are failures.
    Junit,
    /// A partial aggregate to merge later: any command takes it as an input, so runs over
    /// separate files or machines combine into one report.
    Partial,
}

/// Orders of the text report's endpoint table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum SortBy {
    /// Most requests first.
    #[default]
    Count,
    /// Most 5xx responses first.
    #[value(name = "5xx")]
    Server,
    /// Most 4xx responses first.
    #[value(name = "4xx")]
    Client,
    /// Slowest p99 latency first.
    P99,
}

/// Severities `check` can fail on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum FailOn {
    /// Any finding.
    Info,
    /// Warnings and errors.
    Warning,
    /// Errors only.
    #[default]
    Error,
}

/// Arguments of `check`.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct CheckArgs {
    /// Everything `report` takes.
    #[command(flatten)]
    pub report: ReportArgs,
    /// Fail on findings of this severity or higher.
    #[arg(help_heading = "Check", long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    /// Fail when the share of 5xx responses exceeds this (0..1, e.g. 0.01).
    #[arg(help_heading = "Check", long, value_name = "RATE")]
    pub max_5xx_rate: Option<f64>,
    /// Fail when the share of rejected lines exceeds this (0..1).
    #[arg(help_heading = "Check", long, value_name = "RATE")]
    pub max_reject_rate: Option<f64>,
    /// A previous JSON report: only findings that are new since then count (same rule,
    /// method and route).
    #[arg(help_heading = "Check", long, value_name = "REPORT.json")]
    pub baseline: Option<String>,
}

/// When to colour the text report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `report`.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct ReportArgs {
    /// Inputs.
    #[command(flatten)]
    pub input: InputArgs,
    /// Report format on standard output [default: text]. With -o, it is printed beside the
    /// files, or is the format of an -o FILE without a known extension.
    #[arg(help_heading = "Output", long, value_enum)]
    pub format: Option<OutputFormat>,
    /// Write a report to FILE (format from the extension: .json, .txt, .md, .html, .xml) or
    /// FMT=FILE (`-` is standard output); repeatable. With -o and no --format, nothing is
    /// printed on standard output.
    #[arg(
        help_heading = "Output",
        long = "output",
        short = 'o',
        value_name = "FILE"
    )]
    pub output: Vec<String>,
    /// Colour the text report.
    #[arg(help_heading = "Output", long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Do not show a progress bar.
    #[arg(help_heading = "Output", long)]
    pub no_progress: bool,
    /// Order of the text report's endpoint table: count (requests), 5xx, 4xx or p99.
    #[arg(help_heading = "Output", long, value_enum, default_value = "count")]
    pub sort: SortBy,
    /// Endpoints listed in the text report.
    #[arg(help_heading = "Output", long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// Set a rule's severity or turn it off: `ID=off|info|warning|error` (repeatable).
    #[arg(help_heading = "Rules", long = "rule", value_name = "ID=LEVEL")]
    pub rules: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn default_command_is_report() {
        let c = Cli::try_parse_from(["statuslens", "a.log", "--format", "json"]).expect("parses");
        assert!(c.command.is_none());
        assert_eq!(c.report.input.paths, ["a.log"]);
        assert_eq!(c.report.format, Some(OutputFormat::Json));
        let c = Cli::try_parse_from(["statuslens", "records", "x.log"]).expect("parses");
        assert!(matches!(c.command, Some(Command::Records(_))));
    }

    #[test]
    fn committed_man_page_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/statuslens.1");
        let want = man_page();
        if std::env::var_os("STATUSLENS_BLESS").is_some() {
            std::fs::write(&path, &want).expect("write docs/statuslens.1");
            return;
        }
        let have = std::fs::read(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/statuslens.1 is stale: run `STATUSLENS_BLESS=1 cargo test --release --bin statuslens man`"
        );
        let text = String::from_utf8(want).expect("roff is text");
        for section in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH INPUT",
            ".SH \"TIME WINDOW\"",
            ".SH \"EXAMPLES\"",
            ".SH \"EXIT STATUS\"",
        ] {
            assert!(text.contains(section), "{section} missing");
        }
    }

    #[test]
    fn options_are_grouped() {
        let cmd = Cli::command();
        let ungrouped: Vec<_> = cmd
            .get_arguments()
            .filter(|a| !a.is_global_set() && a.get_help_heading().is_none())
            .map(|a| a.get_id().to_string())
            .filter(|id| !matches!(id.as_str(), "help" | "version"))
            .collect();
        assert!(
            ungrouped.is_empty(),
            "options without a heading: {ungrouped:?}"
        );
    }
}

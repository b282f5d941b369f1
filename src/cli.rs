//! Command-line arguments (clap derive). The only module that knows about clap; [`crate::config`]
//! turns these into a validated, clap-free configuration.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Reads HTTP access logs, aggregates status codes and latency per endpoint, and says where the
/// status codes are imprecise.
#[derive(Debug, Parser)]
#[command(name = "statuslens", version, args_conflicts_with_subcommands = true)]
pub(crate) struct Cli {
    /// What to do (default: `report`).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Arguments of the default `report` command.
    #[command(flatten)]
    pub report: ReportArgs,
}

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
}

/// Where the logs are and how to read them.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct InputArgs {
    /// Files or directories (walked recursively); `-` or nothing reads standard input.
    /// gzip and zstd are detected by magic bytes.
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// In directories, read only files matching this glob (repeatable): a glob without `/`
    /// matches the file name (`access.log*`), one with `/` the path under the directory.
    /// Files named on the command line are always read.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// In directories, skip files matching this glob (repeatable; wins over --include).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Log format: auto, combined, common, alb, elb, cloudfront, envoy, json, or
    /// nginx:'<log_format body>' pasted from nginx.conf.
    #[arg(long, value_name = "FORMAT", default_value = "auto")]
    pub log_format: String,
    /// Map a JSON key (dotted for nested objects) to a record field, e.g. `resp.code=status`.
    #[arg(long, value_name = "KEY=FIELD")]
    pub json_field: Vec<String>,
    /// Route template that wins over the heuristics, e.g. `/api/users/{id}` (repeatable).
    #[arg(long, value_name = "TEMPLATE")]
    pub route: Vec<String>,
    /// OpenAPI document (3.0/3.1 or Swagger 2.0, JSON or YAML): its paths become route templates
    /// beside `--route` (which wins on equal shape); its methods and responses are checked
    /// against the logs.
    #[arg(long, value_name = "FILE")]
    pub openapi: Option<String>,
    /// Only requests at or after this time: RFC 3339, a date (`2024-05-02`, midnight UTC), or
    /// relative like `24h`, `30m`, `7d`.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only requests before this time: RFC 3339, a date, or relative like `1h`.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only the last stretch of the data, e.g. `1h`, `30m`, `7d`: measured back from the
    /// latest request in the logs (their end is read first), not from now.
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["since", "until"])]
    pub last: Option<String>,
    /// Parse workers (default: all cores; at most four per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Most distinct (method, route) endpoints kept; the rest are counted under `(other)`.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub route_cap: usize,
    /// Configuration file (rule thresholds and severities, ignored routes, field mappings);
    /// default: `statuslens.toml` in the working directory if present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,
    /// Take only shard I of N of the input files (0-based; file k goes to shard k mod N), for
    /// array jobs that each write a partial aggregate.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Print only errors on stderr: no notes, warnings, progress bar or "wrote FILE" lines.
    #[arg(long, short = 'q')]
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
    /// A partial aggregate to merge later (any command takes it as an input; SPEC §7).
    Partial,
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
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    /// Fail when the share of 5xx responses exceeds this (0..1, e.g. 0.01).
    #[arg(long, value_name = "RATE")]
    pub max_5xx_rate: Option<f64>,
    /// Fail when the share of rejected lines exceeds this (0..1).
    #[arg(long, value_name = "RATE")]
    pub max_reject_rate: Option<f64>,
    /// A previous JSON report: only findings that are new since then count (same rule,
    /// method and route).
    #[arg(long, value_name = "REPORT.json")]
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
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
    /// Write a report to FILE (format from the extension: .json, .txt, .md, .html, .xml) or
    /// FMT=FILE (`-` is standard output); repeatable. With -o and no --format, nothing is
    /// printed on standard output.
    #[arg(long = "output", short = 'o', value_name = "FILE")]
    pub output: Vec<String>,
    /// Colour the text report.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Do not show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Endpoints listed in the text report.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// Set a rule's severity or turn it off: `ID=off|info|warning|error` (repeatable).
    #[arg(long = "rule", value_name = "ID=LEVEL")]
    pub rules: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

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
}

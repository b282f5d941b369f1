//! The format layer: one parser per log format behind the [`LogFormat`] trait, the borrowed
//! [`Record`] every parser produces, and per-file auto-detection ([`detect`]).
//!
//! A parser turns one line (without its `\n`) into a `Record<'a>` that borrows from the line; it
//! allocates nothing per line. Text fields stay as logged (escapes kept, see [`Escape`]); consumers
//! that need the decoded value (route normalisation, JSON output) call [`Record::decoded`].
//! Adding a format means adding one file here and one arm in [`FormatSpec`]: nothing else changes.

pub mod alb;
pub mod clf;
pub mod cloudfront;
pub mod elb;
pub mod envoy;
pub mod fields;
pub mod haproxy;
pub mod json;
pub mod logfmt;
pub mod nginx;
pub mod time;
pub mod wrap;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// Who produced the status code of a request (SPEC §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Origin {
    /// The application behind the gateway answered.
    App,
    /// The gateway/proxy answered by itself (no upstream answer).
    Gateway,
    /// The log does not say.
    #[default]
    Unknown,
}

impl Origin {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::App => "app",
            Origin::Gateway => "gateway",
            Origin::Unknown => "unknown",
        }
    }
}

/// What a record's `bytes` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BytesKind {
    /// Response body bytes (`$body_bytes_sent`, Apache `%b`).
    #[default]
    Body,
    /// Bytes sent including headers (`$bytes_sent`, Apache `%O`).
    Total,
}

/// How text fields of a record are escaped in the line they borrow from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Escape {
    /// No escaping.
    #[default]
    None,
    /// nginx `escape=default` / Apache: `\xHH`, `\"`, `\\`.
    Backslash,
    /// JSON string escapes (`\"`, `\\`, `\/`, `\n`, `\uXXXX`) — JSON lines and nginx `escape=json`.
    Json,
    /// URL encoding (`%20`), decoded once: CloudFront's text fields.
    Url,
    /// A space written as `+`, nothing else encoded: IIS's W3C log (its user agents read
    /// `Mozilla/5.0+(Windows+NT+10.0)`). Paths stay as logged: a `+` in a path may be a `+`.
    Plus,
}

/// One parsed access-log line, borrowing its text from the line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record<'a> {
    /// Request time in milliseconds since the Unix epoch (UTC).
    pub time_ms: Option<i64>,
    /// Request method as logged; `None` when the request line is not a valid request.
    pub method: Option<&'a [u8]>,
    /// Request target as logged (query included).
    pub path: Option<&'a [u8]>,
    /// Protocol (`HTTP/1.1`) when logged.
    pub protocol: Option<&'a [u8]>,
    /// Status sent to the client.
    pub status: Option<u16>,
    /// Status of the upstream/target, when the log has one.
    pub origin_status: Option<u16>,
    /// Who produced the status.
    pub origin: Origin,
    /// Response bytes (see `bytes_kind`).
    pub bytes: Option<u64>,
    /// Whether `bytes` counts the body only or the whole response.
    pub bytes_kind: BytesKind,
    /// Request duration in microseconds.
    pub duration_us: Option<u64>,
    /// Client address.
    pub client: Option<&'a [u8]>,
    /// User agent.
    pub user_agent: Option<&'a [u8]>,
    /// The referring page (`Referer` header), when logged.
    pub referer: Option<&'a [u8]>,
    /// Whether the request carried credentials; `None` when unknowable.
    pub authenticated: Option<bool>,
    /// Evidence in the line that the response carried an error.
    pub error_marker: Option<&'a [u8]>,
    /// Host the request was for, when the log has it.
    pub host: Option<&'a [u8]>,
    /// Where the gateway sent the request, when the log says: ALB target group, nginx
    /// `$proxy_upstream_name`/`$upstream_addr`, Traefik `ServiceName`, Envoy upstream cluster.
    pub upstream: Option<&'a [u8]>,
    /// Query string logged apart from the path (CloudFront's `cs-uri-query`), without `?`.
    pub query: Option<&'a [u8]>,
    /// Format-specific fields kept for the rules (ALB `error_reason`, CloudFront result type …).
    pub details: Details<'a>,
    /// How the borrowed text fields are escaped.
    pub escape: Escape,
    /// The parser saw that `path` holds no escape sequence: decoding it would give it back
    /// unchanged, so [`Record::route_path`] skips the search. `false` when unknown.
    pub plain_path: bool,
    /// `duration_us` was logged in whole seconds (Apache's `%T`, which truncates): a 0 is
    /// anything under a second.
    pub duration_whole_s: bool,
}

/// The names of format-specific values kept in [`Details`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(u8)]
pub enum Detail {
    /// ALB `target_group_arn`.
    #[default]
    TargetGroupArn,
    /// ALB `actions_executed`.
    ActionsExecuted,
    /// ALB `error_reason`.
    ErrorReason,
    /// ALB `classification`.
    Classification,
    /// ALB `classification_reason`.
    ClassificationReason,
    /// Envoy `%RESPONSE_FLAGS%`.
    ResponseFlags,
    /// Envoy (Istio) `%UPSTREAM_TRANSPORT_FAILURE_REASON%`.
    UpstreamTransportFailureReason,
    /// Envoy `%UPSTREAM_HOST%`.
    UpstreamHost,
    /// CloudFront `x-edge-result-type`.
    XEdgeResultType,
    /// CloudFront `x-edge-detailed-result-type`.
    XEdgeDetailedResultType,
    /// HAProxy's termination state (`sH--`, `SC--` …).
    TerminationState,
    /// A gateway's own error (Heroku's router code `H12`, Front Door's `errorInfo`).
    GatewayError,
}

impl Detail {
    /// The snake_case name used in records.
    pub fn as_str(self) -> &'static str {
        match self {
            Detail::TargetGroupArn => "target_group_arn",
            Detail::ActionsExecuted => "actions_executed",
            Detail::ErrorReason => "error_reason",
            Detail::Classification => "classification",
            Detail::ClassificationReason => "classification_reason",
            Detail::ResponseFlags => "response_flags",
            Detail::UpstreamTransportFailureReason => "upstream_transport_failure_reason",
            Detail::UpstreamHost => "upstream_host",
            Detail::XEdgeResultType => "x_edge_result_type",
            Detail::XEdgeDetailedResultType => "x_edge_detailed_result_type",
            Detail::TerminationState => "termination_state",
            Detail::GatewayError => "gateway_error",
        }
    }
}

/// Up to [`Details::CAP`] named format-specific values, without allocation. Names are one byte
/// each and kept apart from the values: every record carries this, and records are moved per
/// line, so its size is hot-path cost.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Details<'a> {
    names: [Detail; Details::CAP],
    values: [&'a [u8]; Details::CAP],
    len: u8,
}

impl<'a> Details<'a> {
    /// Most values kept.
    pub const CAP: usize = 6;

    /// Keep `value` under `name` (ignored when full or when the value is `-`/empty).
    pub fn push(&mut self, name: Detail, value: &'a [u8]) {
        let i = usize::from(self.len);
        if value.is_empty() || value == b"-" || i >= Self::CAP {
            return;
        }
        self.names[i] = name;
        self.values[i] = value;
        self.len += 1;
    }

    /// The kept values with their names.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'a [u8])> + '_ {
        let n = usize::from(self.len);
        self.names[..n]
            .iter()
            .zip(&self.values[..n])
            .map(|(k, v)| (k.as_str(), *v))
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

impl<'a> Record<'a> {
    /// Decode a borrowed text field of this record according to its escaping.
    pub fn decoded(&self, field: &'a [u8]) -> Cow<'a, [u8]> {
        fields::unescape(field, self.escape)
    }

    /// Fill method, path, protocol and host from a request line whose target may be in absolute
    /// form (`GET https://host:443/p?q HTTP/1.1`, as load balancers log it). Returns false when it
    /// is not a request line.
    pub fn set_absolute_request(&mut self, request: &'a [u8]) -> bool {
        let Some(req) = fields::split_request(request) else {
            return false;
        };
        let (host, path) = fields::split_absolute(req.target);
        self.method = Some(req.method);
        self.path = Some(path);
        self.protocol = req.protocol;
        self.host = host;
        true
    }

    /// The path as the route sees it: server-level escapes (`\xHH`, JSON) undone, URL
    /// percent-encoding kept, so that routes look the same whatever the format.
    pub fn route_path(&self) -> Option<Cow<'a, [u8]>> {
        let p = self.path?;
        Some(if self.path_as_logged() {
            Cow::Borrowed(p)
        } else {
            self.decoded(p)
        })
    }

    /// What a route reads of [`Record::route_path`]: it may stop at the first `?` or `#`.
    /// Those are never part of an escape, so a path to decode is cut there first, and a long
    /// query string is not decoded for nothing.
    pub fn route_path_part(&self) -> Option<Cow<'a, [u8]>> {
        let p = self.path?;
        Some(if self.path_as_logged() {
            Cow::Borrowed(p)
        } else {
            self.decoded(&p[..memchr::memchr2(b'?', b'#', p).unwrap_or(p.len())])
        })
    }

    /// Whether the path is read as logged: it holds no escape, or the log's escaping is the
    /// URL's own (`%20` stays encoded in every format's routes) or leaves paths alone.
    fn path_as_logged(&self) -> bool {
        matches!(self.escape, Escape::Url | Escape::Plus) || self.plain_path
    }
}

/// Why a line was rejected. Small and `Copy`: the hot path never allocates for a bad line.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RejectKind {
    /// The line ended before a required field.
    Truncated,
    /// The timestamp is not a date this format writes.
    BadTimestamp,
    /// The status field is not a 3-digit code or `-`.
    BadStatus,
    /// A numeric field (bytes, duration) is not a number.
    BadNumber,
    /// The line's shape does not match the format (a literal or delimiter is missing).
    Layout,
    /// A JSON line that is not a JSON object, or is malformed.
    BadJson,
    /// A JSON object with no status field.
    NoStatus,
    /// The line is longer than the reader accepts.
    TooLong,
    /// A header or comment line (`#Fields:`), or a well-formed line that is not an access entry
    /// (a JSON log message with no HTTP fields): counted as skipped, not as a reject.
    Header,
    /// The line's record type or first field is not one this format writes.
    BadType,
}

impl RejectKind {
    /// Stable snake_case name, used as the reason key in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectKind::Truncated => "truncated",
            RejectKind::BadTimestamp => "bad_timestamp",
            RejectKind::BadStatus => "bad_status",
            RejectKind::BadNumber => "bad_number",
            RejectKind::Layout => "layout_mismatch",
            RejectKind::BadJson => "bad_json",
            RejectKind::NoStatus => "no_status",
            RejectKind::TooLong => "line_too_long",
            RejectKind::Header => "header",
            RejectKind::BadType => "bad_type",
        }
    }
}

/// A parse failure: its kind and the byte offset in the line where it was noticed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What went wrong.
    pub kind: RejectKind,
    /// Byte offset in the line.
    pub offset: u32,
}

impl ParseError {
    /// A new error of `kind` at byte `offset`.
    pub fn new(kind: RejectKind, offset: usize) -> Self {
        ParseError {
            kind,
            offset: offset.min(u32::MAX as usize) as u32,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind.as_str(), self.offset)
    }
}

/// One log format's parser.
pub trait LogFormat: Send + Sync {
    /// The name shown in reports (`combined`, `nginx`, `json` …).
    fn name(&self) -> &str;
    /// Parse one line (without the trailing newline).
    fn parse<'a>(&self, line: &'a [u8]) -> Result<Record<'a>, ParseError> {
        let mut rec = Record::default();
        self.parse_into(line, &mut rec)?;
        Ok(rec)
    }
    /// [`LogFormat::parse`] into `rec`, which holds [`Record::default`]'s values on entry: the
    /// line loop's way, and every parser's (a record built and returned by value was copied
    /// once or twice a line, 330 bytes each). On an error `rec` holds whatever the parser had
    /// filled in.
    fn parse_into<'a>(&self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), ParseError>;
    /// The kind of log it reads, one of [`SWITCH_FORMATS`] or its own name: a file of this
    /// format is not retried line by line with its own kind (see [`Switches`]).
    fn family(&self) -> &'static str;
    /// The parser for the lines after `line`, when `line` is a header line that declares a
    /// layout other than this parser's: W3C's `#Fields:` directive, written again mid-file when
    /// a server's log settings change (and wherever logs were concatenated). `None` for every
    /// other line, and for formats without such headers.
    fn relayout(&self, _line: &[u8]) -> Option<Arc<dyn LogFormat>> {
        None
    }
    /// Whether header lines can change this format's layout mid-file ([`LogFormat::relayout`]):
    /// then the reader looks for them in every chunk, so a chunk's lines are read with the
    /// layout in force where the chunk starts.
    fn relayouts(&self) -> bool {
        false
    }
}

/// The parser in force after `text` (lines of a log read with `format`), when a header line in
/// it declares another layout: the last such line's ([`LogFormat::relayout`]).
pub fn layout_after(format: &Arc<dyn LogFormat>, text: &[u8]) -> Option<Arc<dyn LogFormat>> {
    if !format.relayouts() {
        return None;
    }
    let mut current: Option<Arc<dyn LogFormat>> = None;
    for at in memchr::memchr_iter(b'#', text) {
        if at > 0 && text[at - 1] != b'\n' {
            continue;
        }
        let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
        let line = fields::trim_line(&text[at..end]);
        if let Some(f) = current.as_ref().unwrap_or(format).relayout(line) {
            current = Some(f);
        }
    }
    current
}

/// The formats a line is tried with when its file's auto-detected format rejects it, in this
/// order: a log whose format changed mid-file (nginx's `log_format` switched to JSON, or
/// `$request_time` added, and the file reopened before rotation; a load balancer's lines
/// appended to an application's).
pub const SWITCH_FORMATS: [&str; 5] = ["json", "combined", "alb", "elb", "envoy"];

/// The parsers of [`SWITCH_FORMATS`] other than the file's own kind.
pub struct Switches {
    /// (index in [`SWITCH_FORMATS`], parser).
    parsers: Vec<(usize, Box<dyn LogFormat>)>,
}

impl Switches {
    /// The switches for a file read with `main` (auto-detection only: a format the user named
    /// is the format of every line).
    pub fn for_format(main: &dyn LogFormat, opts: &FormatOptions) -> Switches {
        let parser = |name: &str| -> Box<dyn LogFormat> {
            match name {
                "json" => Box::new(json::JsonFormat::new(opts.json.clone())),
                "alb" => Box::new(alb::AlbFormat),
                "elb" => Box::new(elb::ElbFormat),
                "envoy" => Box::new(envoy::EnvoyFormat),
                _ => Box::new(clf::ClfFormat::new("combined", clf::TrailingDuration::None)),
            }
        };
        Switches {
            parsers: SWITCH_FORMATS
                .iter()
                .enumerate()
                .filter(|(_, name)| **name != main.family())
                .map(|(i, name)| (i, parser(name)))
                .collect(),
        }
    }

    /// The first switch format that reads `line`: its index in [`SWITCH_FORMATS`] and the
    /// record.
    pub fn parse<'a>(&self, line: &'a [u8]) -> Option<(usize, Record<'a>)> {
        self.parsers
            .iter()
            .find_map(|(i, f)| f.parse(line).ok().map(|r| (*i, r)))
    }
}

/// What the user asked for with `--log-format`.
#[derive(Clone, Debug, PartialEq)]
pub enum FormatSpec {
    /// Detect per file.
    Auto,
    /// CLF with referer and user agent (trailing fields allowed).
    Combined,
    /// CLF without referer and user agent.
    Common,
    /// JSON lines.
    Json,
    /// AWS Application Load Balancer.
    Alb,
    /// AWS Classic Load Balancer.
    Elb,
    /// CloudFront standard logs.
    Cloudfront,
    /// Envoy's default text format.
    Envoy,
    /// HAProxy's HTTP log format.
    Haproxy,
    /// Microsoft IIS's W3C extended log.
    Iis,
    /// logfmt lines (Heroku's router log, applications' key=value logs).
    Logfmt,
    /// The Kubernetes ingress-nginx controller's default format (either version).
    Ingress,
    /// An nginx `log_format` body.
    Nginx(String),
    /// An Apache `LogFormat` string.
    Apache(String),
}

impl FormatSpec {
    /// Parse a `--log-format` value.
    pub fn parse(s: &str) -> Result<FormatSpec, String> {
        let t = s.trim();
        if let Some(body) = t.strip_prefix("nginx:") {
            nginx::NginxFormat::compile(body, &json::JsonMapping::default())?;
            return Ok(FormatSpec::Nginx(body.to_string()));
        }
        if let Some(body) = t.strip_prefix("apache:") {
            nginx::NginxFormat::compile_apache(body, &json::JsonMapping::default())?;
            return Ok(FormatSpec::Apache(body.to_string()));
        }
        match t {
            "auto" => Ok(FormatSpec::Auto),
            "combined" => Ok(FormatSpec::Combined),
            "common" => Ok(FormatSpec::Common),
            "json" => Ok(FormatSpec::Json),
            "alb" => Ok(FormatSpec::Alb),
            "elb" => Ok(FormatSpec::Elb),
            "cloudfront" => Ok(FormatSpec::Cloudfront),
            "envoy" => Ok(FormatSpec::Envoy),
            "haproxy" => Ok(FormatSpec::Haproxy),
            "iis" | "w3c" => Ok(FormatSpec::Iis),
            "logfmt" | "heroku" => Ok(FormatSpec::Logfmt),
            "ingress-nginx" | "ingress" => Ok(FormatSpec::Ingress),
            // Names people reach for first: say what covers them.
            "nginx" => Err(
                "`nginx`: nginx's default `combined` log is `--log-format combined` (or \
                 leave `auto`); a custom `log_format` is `--log-format nginx:'<its body>'`"
                    .to_string(),
            ),
            "apache" | "httpd" | "clf" => Err(format!(
                "`{t}`: Apache's `combined` and `common` logs are `--log-format combined` or \
                 `common` (with `%D`/`%T` appended read too), or leave `auto`; a custom \
                 `LogFormat` is `--log-format apache:'<its format string>'`"
            )),
            "caddy" | "traefik" | "gcp" => Err(format!(
                "`{t}`: its JSON access log is `--log-format json` (or leave `auto`)"
            )),
            _ => Err(format!("unknown log format `{t}`: expected {FORMAT_NAMES}")),
        }
    }
}

/// Options every parser may need.
#[derive(Clone, Debug, Default)]
pub struct FormatOptions {
    /// JSON key mappings from `--json-field`.
    pub json: json::JsonMapping,
}

/// The `--log-format` values, for help and error messages.
pub const FORMAT_NAMES: &str =
    "auto, combined, common, alb, elb, cloudfront, iis, envoy, haproxy, ingress-nginx, json, logfmt, nginx:'<log_format body>' or apache:'<LogFormat string>'";

/// Lines [`detect`] looks at.
pub const SNIFF_LINES: usize = 64;

/// Build the parser for a file from the user's choice and the file's first lines.
/// Returns `None` when `Auto` finds no format that fits.
pub fn detect(
    spec: &FormatSpec,
    sample: &[&[u8]],
    opts: &FormatOptions,
) -> Option<Box<dyn LogFormat>> {
    let lines: Vec<&[u8]> = sample
        .iter()
        .map(|l| fields::trim_line(l))
        .filter(|l| !l.is_empty())
        .take(SNIFF_LINES)
        .collect();
    match spec {
        FormatSpec::Combined => Some(Box::new(clf::ClfFormat::sniffed(&lines, "combined"))),
        FormatSpec::Common => Some(Box::new(clf::ClfFormat::sniffed(&lines, "common"))),
        FormatSpec::Json => Some(Box::new(json::JsonFormat::new(opts.json.clone()))),
        FormatSpec::Alb => Some(Box::new(alb::AlbFormat)),
        FormatSpec::Elb => Some(Box::new(elb::ElbFormat)),
        FormatSpec::Cloudfront => Some(Box::new(cloudfront::CloudfrontFormat::sniffed(
            &lines,
            Some(cloudfront::W3c::Cloudfront),
        ))),
        FormatSpec::Iis => Some(Box::new(cloudfront::CloudfrontFormat::sniffed(
            &lines,
            Some(cloudfront::W3c::Iis),
        ))),
        FormatSpec::Envoy => Some(Box::new(envoy::EnvoyFormat)),
        FormatSpec::Haproxy => Some(Box::new(haproxy::HaproxyFormat)),
        FormatSpec::Logfmt => Some(Box::new(logfmt::LogfmtFormat::new(opts.json.clone()))),
        FormatSpec::Ingress => {
            // The version whose format reads most of the sample (the newest on a tie).
            let read = |f: &nginx::NginxFormat| lines.iter().filter(|l| f.parse(l).is_ok()).count();
            (0..nginx::INGRESS_FORMATS.len())
                .map(nginx::NginxFormat::ingress)
                .min_by_key(|f| std::cmp::Reverse(read(f)))
                .map(|f| Box::new(f) as Box<dyn LogFormat>)
        }
        FormatSpec::Nginx(body) => nginx::NginxFormat::compile(body, &opts.json)
            .ok()
            .map(|f| Box::new(f) as Box<dyn LogFormat>),
        FormatSpec::Apache(body) => nginx::NginxFormat::compile_apache(body, &opts.json)
            .ok()
            .map(|f| Box::new(f) as Box<dyn LogFormat>),
        FormatSpec::Auto => {
            // Header and comment lines say nothing about the format of the data lines.
            let data: Vec<&[u8]> = lines
                .iter()
                .copied()
                .filter(|l| !l.starts_with(b"#"))
                .collect();
            if data.is_empty() {
                // An empty file (or headers only): any parser will do, nothing will be parsed.
                return Some(Box::new(clf::ClfFormat::sniffed(&lines, "combined")));
            }
            // Candidates in priority order; the one that parses most sampled lines wins.
            let mut candidates: Vec<Box<dyn LogFormat>> = vec![
                Box::new(json::JsonFormat::new(opts.json.clone())),
                Box::new(alb::AlbFormat),
                Box::new(elb::ElbFormat),
                Box::new(cloudfront::CloudfrontFormat::sniffed(&lines, None)),
                Box::new(envoy::EnvoyFormat),
                Box::new(haproxy::HaproxyFormat),
                Box::new(logfmt::LogfmtFormat::new(opts.json.clone())),
            ];
            // ingress-nginx before `combined`, which reads the same lines but not their
            // duration and upstream (the tie goes to the first).
            candidates.extend(
                (0..nginx::INGRESS_FORMATS.len())
                    .map(|i| Box::new(nginx::NginxFormat::ingress(i)) as Box<dyn LogFormat>),
            );
            candidates.push(Box::new(clf::ClfFormat::sniffed(&lines, "combined")));
            // A line fits a format when it parses, or when the format recognises it as one of its
            // non-access lines (a Caddy startup message in a JSON log); at least one must parse.
            let scores: Vec<usize> = candidates
                .iter()
                .map(|f| {
                    let results: Vec<_> = data.iter().map(|l| f.parse(l)).collect();
                    if !results.iter().any(Result::is_ok) {
                        return 0;
                    }
                    results
                        .iter()
                        .filter(|r| {
                            matches!(
                                r,
                                Ok(_)
                                    | Err(ParseError {
                                        kind: RejectKind::Header,
                                        ..
                                    })
                            )
                        })
                        .count()
                })
                .collect();
            let best = scores.iter().copied().max().unwrap_or(0);
            // A format must explain at least half of the sampled lines: a few junk lines at the
            // top of a file must not decide its format, and a file of prose must not pass.
            if best == 0 || best < data.len().div_ceil(2) {
                return None;
            }
            let i = scores.iter().position(|&s| s == best).unwrap_or(0);
            candidates.into_iter().nth(i)
        }
    }
}

/// [`detect`] for a whole file: undo a container wrapper (CRI, docker json-file, compose) found
/// on most of the first lines, then detect the format of what is inside. Returns the parser and
/// the wrapper; `None` when no format fits.
pub fn detect_file(
    spec: &FormatSpec,
    sample: &[&[u8]],
    opts: &FormatOptions,
) -> Option<(Box<dyn LogFormat>, Option<wrap::Wrap>)> {
    let w = wrap::detect(sample);
    let Some(w) = w else {
        return detect(spec, sample, opts).map(|f| (f, None));
    };
    let unwrapped: Vec<Vec<u8>> = sample
        .iter()
        .map(|l| {
            w.unwrap_line(l)
                .map_or_else(|| l.to_vec(), std::borrow::Cow::into_owned)
        })
        .collect();
    let lines: Vec<&[u8]> = unwrapped.iter().map(Vec::as_slice).collect();
    detect(spec, &lines, opts).map(|f| (f, Some(w)))
}

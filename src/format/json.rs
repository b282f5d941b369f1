//! JSON lines: one object per line, keys mapped to record fields.
//!
//! The usual nginx JSON shapes (`log_format … escape=json '{"status":"$status",…}'`) are mapped
//! without flags; `--json-field KEY=FIELD` maps anything else (dotted keys reach nested objects).
//! The scanner is byte-level: it reads raw non-UTF-8 bytes inside strings (nginx `escape=json`
//! passes bytes ≥ 0x80 through), allocates nothing (but to decode the rare escaped status or
//! time), and bounds nesting depth.

use std::borrow::Cow;

use super::fields::{
    find_byte, find_closing_quote, last_listed_status, nginx_made, parse_decimal_us,
    parse_optional_status, parse_u64, parse_unit_duration_us, split_absolute, split_host_port,
    split_request, unescape, UpstreamAnswer,
};
use super::{time, BytesKind, Escape, LogFormat, Origin, ParseError, Record, RejectKind};

/// The record field a JSON key (or nginx variable) feeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetField {
    /// HTTP status sent to the client.
    Status,
    /// Request method.
    Method,
    /// Request target (path and query), or a whole URL (`https://host/path?q`: host and
    /// path).
    Path,
    /// Full request line `GET /x HTTP/1.1`.
    Request,
    /// The route template a gateway matched (API Gateway's `resourcePath`, `/orders/{id}`):
    /// the path when no other is logged.
    PathTemplate,
    /// Protocol.
    Protocol,
    /// Timestamp (any supported shape).
    Time,
    /// The request's start time; wins over `Time`.
    StartTime,
    /// Duration; bare numbers in seconds, strings may carry a unit.
    DurationS,
    /// Duration in milliseconds.
    DurationMs,
    /// Duration in microseconds.
    DurationUs,
    /// Duration in nanoseconds.
    DurationNs,
    /// Response body bytes.
    Bytes,
    /// Total bytes sent (headers included).
    TotalBytes,
    /// Client address.
    Client,
    /// User agent.
    UserAgent,
    /// Referring page.
    Referer,
    /// Status of the upstream/origin.
    OriginStatus,
    /// nginx's `upstream_header_time` (`header`) or `upstream_response_length`: whether the
    /// upstream answered (see [`UpstreamAnswer`]).
    UpstreamAnswer {
        /// The key is `upstream_header_time`, not the length.
        header: bool,
    },
    /// Error marker.
    ErrorMarker,
    /// Boolean-ish: credentials present.
    Authenticated,
    /// A user id: present and non-empty → authenticated, empty → anonymous.
    User,
    /// `remote_user`: set → authenticated, else unknown (bearer tokens do not show there).
    RemoteUser,
    /// An `Authorization` header value: present → authenticated, empty → anonymous.
    Authorization,
    /// `success: false` style flags: false → error marker.
    Success,
    /// Host the request was for.
    Host,
    /// Where the gateway sent the request (service, cluster, target group).
    Upstream,
    /// Client as `addr:port` (the port is dropped).
    ClientAddr,
    /// A client address used only when no other is logged (Caddy's `remote_ip`).
    FallbackClient,
    /// Envoy `%RESPONSE_FLAGS%`.
    ResponseFlags,
    /// An error the gateway logs when it answered itself (Heroku's router `code=H12`, Azure
    /// Front Door's `errorInfo`): set → the gateway's status; a no-error value (`NoError`,
    /// `ERRORINFO_NO_ERROR`) → the application's.
    GatewayError,
    /// The application instance the gateway sent the request to (Heroku's `dyno=web.1`): set
    /// → the application answered, unless a gateway error says otherwise.
    Instance,
}

impl TargetField {
    /// Names accepted on the right of `--json-field KEY=FIELD`.
    pub const NAMES: &'static [(&'static str, TargetField)] = &[
        ("status", TargetField::Status),
        ("method", TargetField::Method),
        ("path", TargetField::Path),
        ("request", TargetField::Request),
        ("path_template", TargetField::PathTemplate),
        ("protocol", TargetField::Protocol),
        ("time", TargetField::Time),
        ("start_time", TargetField::StartTime),
        ("duration_s", TargetField::DurationS),
        ("duration_ms", TargetField::DurationMs),
        ("duration_us", TargetField::DurationUs),
        ("duration_ns", TargetField::DurationNs),
        ("bytes", TargetField::Bytes),
        ("total_bytes", TargetField::TotalBytes),
        ("client", TargetField::Client),
        ("user_agent", TargetField::UserAgent),
        ("referer", TargetField::Referer),
        ("origin_status", TargetField::OriginStatus),
        ("error_marker", TargetField::ErrorMarker),
        ("authenticated", TargetField::Authenticated),
        ("user", TargetField::User),
        ("authorization", TargetField::Authorization),
        ("success", TargetField::Success),
        ("host", TargetField::Host),
        ("upstream", TargetField::Upstream),
        ("gateway_error", TargetField::GatewayError),
        ("instance", TargetField::Instance),
    ];
}

/// User-supplied key → field mappings (`--json-field`), checked before the built-in names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JsonMapping {
    custom: Vec<(Vec<Vec<u8>>, TargetField)>,
}

impl JsonMapping {
    /// Add `KEY=FIELD`. KEY may be dotted (`http.status`) to reach nested objects.
    pub fn add(&mut self, spec: &str) -> Result<(), String> {
        let (key, field) = spec.split_once('=').ok_or_else(|| {
            format!("--json-field `{spec}`: expected KEY=FIELD, e.g. resp_code=status")
        })?;
        let target = TargetField::NAMES
            .iter()
            .find(|(n, _)| *n == field.trim())
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let names: Vec<&str> = TargetField::NAMES.iter().map(|(n, _)| *n).collect();
                format!(
                    "--json-field `{spec}`: unknown field `{field}`; fields are: {}",
                    names.join(", ")
                )
            })?;
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("--json-field `{spec}`: the key is empty"));
        }
        self.custom.push((
            key.split('.').map(|p| p.as_bytes().to_vec()).collect(),
            target,
        ));
        Ok(())
    }

    /// The user's mapping for a key path, if any.
    pub fn target_for(&self, path: &[&[u8]]) -> Option<TargetField> {
        self.custom
            .iter()
            .find(|(k, _)| {
                k.len() == path.len() && k.iter().zip(path).all(|(a, b)| a.as_slice() == *b)
            })
            .map(|(_, t)| *t)
    }
}

/// Built-in names for top-level keys (nginx variable names and common app-log names).
fn builtin_top(key: &[u8]) -> Option<TargetField> {
    use TargetField as T;
    Some(match key {
        b"status" | b"status_code" | b"statusCode" | b"http_status" | b"response_status" => {
            T::Status
        }
        // Envoy, Traefik
        b"response_code" | b"DownstreamStatus" => T::Status,
        b"request_method" | b"method" | b"http_method" | b"verb" | b"RequestMethod"
        | b"httpMethod" => T::Method,
        b"request_uri" | b"RequestPath" | b"x-envoy-origin-path" => T::Path,
        b"uri" | b"url" | b"path" | b"request_path" | b":path" => T::Path,
        // API Gateway HTTP APIs' `$context.routeKey`: `GET /orders/{id}` (or `$default`).
        b"request" | b"routeKey" => T::Request,
        b"resourcePath" => T::PathTemplate,
        b"server_protocol" | b"protocol" | b"http_version" | b"RequestProtocol" => T::Protocol,
        b"time_iso8601" | b"time_local" | b"msec" | b"time" | b"timestamp" | b"@timestamp"
        | b"ts" | b"datetime" | b"requestTime" | b"requestTimeEpoch" | b"timeStamp" => T::Time,
        // Kong's file log: epoch milliseconds.
        b"started_at" => T::StartTime,
        // The request's start, to the nanosecond (Traefik, Envoy): beats a message's `time`.
        b"StartUTC" | b"StartLocal" | b"start_time" => T::StartTime,
        b"request_time" | b"latency" | b"response_time" | b"elapsed" => T::DurationS,
        // Caddy writes seconds, Envoy milliseconds: settled per line in `Collected::finish`.
        b"duration" => T::DurationS,
        b"request_time_ms" | b"duration_ms" | b"latency_ms" | b"response_time_ms"
        | b"elapsed_ms" | b"took_ms" | b"responseLatency" | b"responseTime" => T::DurationMs,
        b"duration_us" | b"latency_us" => T::DurationUs,
        b"duration_ns" | b"Duration" => T::DurationNs,
        b"body_bytes_sent"
        | b"response_size"
        | b"resp_body_size"
        | b"body_bytes"
        | b"DownstreamContentSize"
        | b"responseLength" => T::Bytes,
        b"bytes_sent" | b"bytes" | b"size" => T::TotalBytes,
        b"remote_addr" | b"client" | b"client_ip" | b"remote_ip" | b"ip" | b"ClientHost"
        | b"sourceIp" => T::Client,
        b"downstream_remote_address" | b"ClientAddr" => T::ClientAddr,
        b"http_user_agent"
        | b"user_agent"
        | b"agent"
        | b"ua"
        | b"useragent"
        | b"userAgent"
        | b"user-agent"
        | b"request_User-Agent" => T::UserAgent,
        b"http_referer" | b"referer" | b"referrer" | b"request_Referer" => T::Referer,
        // API Gateway's `$context.integrationStatus` (`-` when the integration sent nothing:
        // its 29 s timeout) and `$context.integrationErrorMessage`.
        b"upstream_status" | b"origin_status" | b"OriginStatus" | b"integrationStatus" => {
            T::OriginStatus
        }
        b"integrationErrorMessage" | b"integrationError" => T::GatewayError,
        b"upstream_header_time" => T::UpstreamAnswer { header: true },
        b"upstream_response_length" => T::UpstreamAnswer { header: false },
        b"error"
        | b"error_code"
        | b"x_error_code"
        | b"err"
        | b"error_message"
        | b"errorMessage"
        | b"errors"
        | b"sent_http_x_error_code"
        | b"upstream_http_x_error_code"
        | b"sent_http_x_error"
        | b"downstream_X-Error-Code"
        | b"downstream_X-Error" => T::ErrorMarker,
        b"auth" | b"auth_present" | b"authenticated" => T::Authenticated,
        b"user_id" | b"userid" | b"user" | b"username" => T::User,
        b"remote_user" | b"ClientUsername" => T::RemoteUser,
        b"http_authorization" | b"authorization" | b"request_Authorization" => T::Authorization,
        b"success" | b"ok" => T::Success,
        b"host" | b"http_host" | b"RequestHost" | b":authority" | b"authority" => T::Host,
        b"response_flags" => T::ResponseFlags,
        b"upstream" | b"ServiceName" | b"upstream_cluster" | b"proxy_upstream_name" => T::Upstream,
        // Cloudflare's HTTP requests dataset (Logpush): the edge's status to the client, and
        // the origin's (0 when the edge answered itself: cache, WAF, its own 52x).
        b"ClientRequestMethod" => T::Method,
        b"ClientRequestURI" | b"ClientRequestPath" => T::Path,
        b"ClientRequestHost" => T::Host,
        b"ClientRequestProtocol" => T::Protocol,
        b"ClientRequestUserAgent" => T::UserAgent,
        b"ClientRequestReferer" => T::Referer,
        b"ClientIP" => T::Client,
        b"EdgeResponseStatus" => T::Status,
        b"OriginResponseStatus" => T::OriginStatus,
        b"EdgeStartTimestamp" => T::StartTime,
        b"EdgeResponseBytes" => T::TotalBytes,
        b"EdgeResponseBodyBytes" => T::Bytes,
        b"EdgeTimeToFirstByteMs" => T::DurationMs,
        _ => return None,
    })
}

/// Built-in names for nested keys: Caddy's `request.*` and `resp_headers.*`, GCP's
/// `httpRequest.*`.
fn builtin_nested(path: &[&[u8]]) -> Option<TargetField> {
    use TargetField as T;
    Some(match path {
        [b"request", b"method"] => T::Method,
        [b"request", b"uri"] => T::Path,
        [b"request", b"proto"] => T::Protocol,
        [b"request", b"host"] => T::Host,
        [b"request", b"client_ip"] => T::Client,
        [b"request", b"remote_ip"] => T::FallbackClient,
        [b"request", b"headers", b"User-Agent" | b"user-agent"] => T::UserAgent,
        [b"request", b"headers", b"Referer" | b"referer"] => T::Referer,
        [b"request", b"headers", b"Authorization"] => T::Authorization,
        [b"resp_headers", b"X-Error-Code" | b"X-Error" | b"X-Error-Message"] => T::ErrorMarker,
        // pino-http (Node.js; also Bunyan's and restify's `req`/`res` serializers), with
        // `responseTime` in ms at the top.
        [b"req", b"method"] => T::Method,
        [b"req", b"url"] => T::Path,
        [b"req", b"remoteAddress"] => T::Client,
        [b"req", b"headers", b"host"] => T::Host,
        [b"req", b"headers", b"user-agent"] => T::UserAgent,
        [b"req", b"headers", b"referer"] => T::Referer,
        [b"req", b"headers", b"authorization"] => T::Authorization,
        [b"res", b"statusCode"] => T::Status,
        [b"res", b"headers", b"content-length"] => T::Bytes,
        // Kong's file log.
        [b"response", b"status"] => T::Status,
        [b"response", b"size"] => T::TotalBytes,
        [b"latencies", b"request"] => T::DurationMs,
        [b"service", b"name"] => T::Upstream,
        [b"httpRequest", b"requestMethod"] => T::Method,
        [b"httpRequest", b"requestUrl"] => T::Path,
        [b"httpRequest", b"status"] => T::Status,
        [b"httpRequest", b"latency"] => T::DurationS,
        [b"httpRequest", b"responseSize"] => T::TotalBytes,
        [b"httpRequest", b"remoteIp"] => T::Client,
        [b"httpRequest", b"userAgent"] => T::UserAgent,
        [b"httpRequest", b"protocol"] => T::Protocol,
        // Azure Application Gateway and Front Door access logs (diagnostic settings, one JSON
        // record a line): the request under `properties`, the record's `time` at the top.
        [b"properties", key] => match *key {
            b"httpMethod" => T::Method,
            b"originalRequestUriWithArgs" | b"requestUri" => T::Path,
            b"httpStatus" | b"httpStatusCode" => T::Status,
            b"clientIP" | b"clientIp" => T::Client,
            b"userAgent" => T::UserAgent,
            b"referer" | b"referrer" => T::Referer,
            b"httpVersion" | b"requestProtocol" => T::Protocol,
            b"originalHost" | b"hostName" => T::Host,
            b"timeTaken" => T::DurationS,
            b"sentBytes" | b"responseBytes" => T::TotalBytes,
            // Application Gateway: the backend's status, `-` when none came back.
            b"serverStatus" => T::OriginStatus,
            b"error_info" | b"errorInfo" => T::GatewayError,
            _ => return None,
        },
        _ => return None,
    })
}

/// The built-in field of a key path.
pub(super) fn builtin(path: &[&[u8]]) -> Option<TargetField> {
    match path {
        [key] => builtin_top(key),
        _ => builtin_nested(path),
    }
}

/// A scalar JSON value, borrowed from the line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar<'a> {
    /// String contents, still escaped.
    Str(&'a [u8]),
    /// Number as written.
    Num(&'a [u8]),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
}

impl<'a> Scalar<'a> {
    fn text(self) -> Option<&'a [u8]> {
        match self {
            Scalar::Str(s) | Scalar::Num(s) => Some(s),
            _ => None,
        }
    }
}

/// Deepest key path the scanner reports; deeper values are skipped.
const MAX_DEPTH: usize = 8;
/// Nesting bound for skipped containers (hostile input must not exhaust the stack).
const MAX_NEST: usize = 128;

struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn err(&self) -> ParseError {
        ParseError::new(RejectKind::BadJson, self.i)
    }

    /// Skip JSON whitespace. Log lines hold almost none: the usual byte, above a space, is
    /// answered by one comparison.
    #[inline]
    fn ws(&mut self) {
        while self.i < self.s.len()
            && self.s[self.i] <= b' '
            && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r')
        {
            self.i += 1;
        }
    }

    /// At an opening `"`: returns the raw contents and moves past the closing quote.
    #[inline(always)]
    fn string(&mut self) -> Result<&'a [u8], ParseError> {
        let start = self.i + 1;
        let at = find_closing_quote(self.s, start)
            .ok_or(ParseError::new(RejectKind::BadJson, self.s.len()))?;
        self.i = at + 1;
        Ok(&self.s[start..at])
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), ParseError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.err())
        }
    }

    #[inline(always)]
    fn scalar(&mut self) -> Result<Scalar<'a>, ParseError> {
        match self.s.get(self.i) {
            Some(b'"') => Ok(Scalar::Str(self.string()?)),
            Some(b't') => self.literal(b"true").map(|()| Scalar::Bool(true)),
            Some(b'f') => self.literal(b"false").map(|()| Scalar::Bool(false)),
            Some(b'n') => self.literal(b"null").map(|()| Scalar::Null),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.i;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                Ok(Scalar::Num(&self.s[start..self.i]))
            }
            _ => Err(self.err()),
        }
    }

    /// Skip any value without recursion.
    fn skip_value(&mut self) -> Result<(), ParseError> {
        let mut depth = 0usize;
        loop {
            self.ws();
            match self.s.get(self.i) {
                Some(b'{' | b'[') => {
                    depth += 1;
                    if depth > MAX_NEST {
                        return Err(self.err());
                    }
                    self.i += 1;
                    continue;
                }
                Some(b'}' | b']') if depth > 0 => {
                    self.i += 1;
                    depth -= 1;
                }
                Some(b',' | b':') if depth > 0 => {
                    self.i += 1;
                    continue;
                }
                Some(_) => {
                    self.scalar()?;
                }
                None => return Err(self.err()),
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }

    /// Walk an object at `self.i`, calling `visit(path, scalar)` for every scalar member.
    fn object(
        &mut self,
        path: &mut [&'a [u8]; MAX_DEPTH],
        depth: usize,
        visit: &mut dyn FnMut(&[&'a [u8]], Scalar<'a>),
    ) -> Result<(), ParseError> {
        self.i += 1; // '{'
        self.ws();
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.s.get(self.i) != Some(&b'"') {
                return Err(self.err());
            }
            let key = self.string()?;
            self.ws();
            if self.s.get(self.i) != Some(&b':') {
                return Err(self.err());
            }
            self.i += 1;
            self.ws();
            match self.s.get(self.i) {
                Some(b'{') if depth + 1 < MAX_DEPTH => {
                    path[depth] = key;
                    self.object(path, depth + 1, visit)?;
                }
                Some(b'[') if depth < MAX_DEPTH => {
                    // Header maps (Caddy, Go) hold arrays of strings: the first one counts.
                    let start = self.i;
                    self.i += 1;
                    self.ws();
                    if matches!(
                        self.s.get(self.i),
                        Some(b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
                    ) {
                        let v = self.scalar()?;
                        path[depth] = key;
                        visit(&path[..=depth], v);
                    }
                    self.i = start;
                    self.skip_value()?;
                }
                Some(b'{' | b'[') => self.skip_value()?,
                Some(_) => {
                    let v = self.scalar()?;
                    path[depth] = key;
                    visit(&path[..=depth], v);
                }
                None => return Err(self.err()),
            }
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err()),
            }
        }
    }
}

/// Visit every scalar of a one-line JSON object. Errors on anything that is not one object.
pub fn scan_object<'a>(
    line: &'a [u8],
    visit: &mut dyn FnMut(&[&'a [u8]], Scalar<'a>),
) -> Result<(), ParseError> {
    let mut sc = Scanner { s: line, i: 0 };
    sc.ws();
    if sc.s.get(sc.i) != Some(&b'{') {
        return Err(sc.err());
    }
    let mut path: [&[u8]; MAX_DEPTH] = [&[]; MAX_DEPTH];
    sc.object(&mut path, 0, visit)?;
    sc.ws();
    if sc.i != line.len() {
        return Err(sc.err());
    }
    Ok(())
}

/// The JSON-lines parser.
#[derive(Clone, Debug, Default)]
pub struct JsonFormat {
    mapping: JsonMapping,
}

impl JsonFormat {
    /// A parser with the user's key mappings.
    pub fn new(mapping: JsonMapping) -> JsonFormat {
        JsonFormat { mapping }
    }
}

/// Where values came from and what is held back until every key is in, beside the record the
/// values go into (the line loop's, filled in place); shared with the logfmt parser, whose keys
/// map the same way.
#[derive(Default)]
pub(super) struct Collected<'a> {
    path_prio: u8,
    status_text: Option<Scalar<'a>>,
    total_bytes: Option<u64>,
    /// The bare `duration` key, whose unit depends on the producer.
    bare_duration: Option<Scalar<'a>>,
    /// Keys only Envoy writes were seen (its `duration` is in ms).
    envoy: bool,
    /// A key naming the origin's status was seen.
    origin_key: bool,
    /// Whether the upstream answered (see [`TargetField::UpstreamAnswer`]).
    upstream_answer: UpstreamAnswer,
    fallback_client: Option<&'a [u8]>,
    bare_duration_key: bool,
    start_time: bool,
    addr_client: Option<&'a [u8]>,
    /// A gateway error key: `Some(true)` names an error, `Some(false)` says none.
    gateway_error: Option<bool>,
    /// An application instance was named.
    instance: bool,
    /// The times that did not parse (the only fault the keys can have; the line is rejected
    /// unless it is one time that reads decoded, see `time_unescaped`).
    bad_time: BadTime<'a>,
}

/// The time keys of a line that did not parse.
#[derive(Clone, Copy, Default)]
enum BadTime<'a> {
    #[default]
    None,
    /// One: its text, and whether it was a start time.
    One(&'a [u8], bool),
    /// More than one.
    Several,
}

fn is_falsy(v: Scalar<'_>) -> bool {
    match v {
        Scalar::Bool(b) => !b,
        Scalar::Null => true,
        Scalar::Str(s) | Scalar::Num(s) => matches!(
            s,
            b"" | b"-" | b"0" | b"false" | b"no" | b"False" | b"FALSE"
        ),
    }
}

fn text_value(v: Scalar<'_>) -> Option<&[u8]> {
    v.text().filter(|t| !t.is_empty() && *t != b"-")
}

/// `parse` of a value's text `t`, or, when that fails on a text holding a JSON escape, of the
/// text decoded: an encoder may escape any byte (`"5\u0030\u0030"` is a status of 500). A
/// value without one — every value of the usual log — is read once, in place.
#[inline(always)]
fn or_unescaped<R>(t: &[u8], parse: impl Fn(&[u8]) -> Option<R>) -> Option<R> {
    parse(t).or_else(|| parse_unescaped(t, parse))
}

/// The second reading of [`or_unescaped`] (out of line: rare).
#[cold]
#[inline(never)]
fn parse_unescaped<R>(t: &[u8], parse: impl Fn(&[u8]) -> Option<R>) -> Option<R> {
    match unescape(t, Escape::Json) {
        // Nothing to decode: the first reading stands.
        Cow::Borrowed(_) => None,
        Cow::Owned(decoded) => parse(&decoded),
    }
}

fn duration(v: Scalar<'_>, unit_us: u64, ns: bool) -> Option<u64> {
    let t = v.text()?;
    if t.is_empty() || t == b"-" {
        return None;
    }
    // Only a string can carry a unit (`"1.2s"`): a JSON number's bytes are digits, a sign, a
    // point and an exponent.
    if matches!(v, Scalar::Str(_)) {
        if let Some(d) = parse_unit_duration_us(t) {
            return Some(d);
        }
    }
    if ns {
        return parse_decimal_us(t, 1).map(|n| n / 1000);
    }
    parse_decimal_us(t, unit_us)
}

/// Gateway error values that say there was none.
fn is_no_error(v: &[u8]) -> bool {
    v.eq_ignore_ascii_case(b"NoError") || v.eq_ignore_ascii_case(b"ERRORINFO_NO_ERROR")
}

impl<'a> Collected<'a> {
    /// Feed the value `v` of `key` (its path of nested keys) to `field`. Inlined into each
    /// parser's key visitor: a call per key cost the JSON parser 4 % of its instructions.
    #[inline(always)]
    pub(super) fn apply(
        &mut self,
        r: &mut Record<'a>,
        field: TargetField,
        key: &[&[u8]],
        v: Scalar<'a>,
    ) {
        self.bare_duration_key = key == [b"duration".as_slice()];
        if key == [b"response_code".as_slice()] {
            self.envoy = true;
        }
        use TargetField as T;
        match field {
            T::Status => self.status_text = Some(v),
            T::Method => r.method = text_value(v),
            // A path field holding a whole URL is the application's choice of field, not an
            // absolute-form request (those come in a request line): its host is the host.
            T::Path => {
                if let Some(u) = text_value(v) {
                    let (host, path) = split_absolute(u);
                    r.host = r.host.or(host);
                    r.path = Some(path);
                    self.path_prio = 3;
                }
            }
            T::PathTemplate => {
                if let Some(u) = text_value(v).filter(|_| self.path_prio < 1) {
                    r.path = Some(u);
                    self.path_prio = 1;
                }
            }
            T::Request => {
                if let Some(req) = v.text().and_then(split_request) {
                    r.method = r.method.or(Some(req.method));
                    if self.path_prio < 2 {
                        r.path = Some(req.target);
                        self.path_prio = 2;
                    }
                    r.protocol = r.protocol.or(req.protocol);
                }
            }
            T::Protocol => r.protocol = text_value(v),
            T::Time | T::StartTime => {
                if field == T::Time && self.start_time {
                    return;
                }
                if let Some(t) = text_value(v) {
                    match time::parse_any(t) {
                        Some(ms) => {
                            r.time_ms = Some(ms);
                            self.start_time |= field == T::StartTime;
                        }
                        None => {
                            self.bad_time = match self.bad_time {
                                BadTime::None => BadTime::One(t, field == T::StartTime),
                                _ => BadTime::Several,
                            };
                        }
                    }
                }
            }
            T::DurationS
                if v.text()
                    .is_some_and(|t| !t.iter().any(u8::is_ascii_alphabetic))
                    && self.bare_duration_key =>
            {
                self.bare_duration = Some(v);
            }
            T::DurationS | T::DurationMs | T::DurationUs | T::DurationNs => {
                let unit = match field {
                    T::DurationS => 1_000_000,
                    T::DurationMs => 1_000,
                    _ => 1,
                };
                if let Some(d) = duration(v, unit, field == T::DurationNs) {
                    r.duration_us = Some(d);
                }
            }
            T::Bytes => {
                if let Some(n) = text_value(v).and_then(parse_u64) {
                    r.bytes = Some(n);
                    r.bytes_kind = BytesKind::Body;
                }
            }
            T::TotalBytes => self.total_bytes = text_value(v).and_then(parse_u64),
            // A comma-joined list (a forwarded chain): the last hop is the one that connected.
            T::Client => {
                r.client =
                    text_value(v).map(|c| c.rsplit(|&b| b == b',').next().unwrap_or(c).trim_ascii())
            }
            T::UserAgent => r.user_agent = text_value(v),
            T::Referer => r.referer = text_value(v),
            T::OriginStatus => {
                self.origin_key = true;
                // Traefik writes 0 when the backend never answered.
                r.origin_status = text_value(v).and_then(last_listed_status);
            }
            // `"-"` (no header time) or a length of 0, as a string or a number.
            T::UpstreamAnswer { header } => {
                if let Some(t) = v.text() {
                    if header {
                        self.upstream_answer.header_time(t);
                    } else {
                        self.upstream_answer.length(t);
                    }
                }
            }
            T::Host => r.host = text_value(v),
            T::Upstream => r.upstream = text_value(v),
            T::ClientAddr => self.addr_client = text_value(v).map(split_host_port),
            T::FallbackClient => self.fallback_client = text_value(v),
            T::ResponseFlags => {
                self.envoy = true;
                if let Some(f) = text_value(v) {
                    r.details.push(super::Detail::ResponseFlags, f);
                }
            }
            T::ErrorMarker => {
                if !is_falsy(v) {
                    r.error_marker = v.text().or(Some(b"true"));
                }
            }
            T::Success => {
                if is_falsy(v) && v != Scalar::Null {
                    r.error_marker = Some(b"success=false");
                }
            }
            // Any evidence of credentials wins: a logged Authorization header (even redacted)
            // or a named user means credentials were sent, whichever field comes first; an
            // empty field alone says anonymous only when nothing says otherwise.
            T::Authenticated => {
                r.authenticated = Some(r.authenticated == Some(true) || !is_falsy(v));
            }
            // A user of `-` is not logged, as CLF's `-` is (API Gateway's `user`, the IAM
            // user, is `-` under any other authorizer); an absent header logged `-` (nginx's
            // default escaping) was not sent.
            T::User if v.text() == Some(b"-") => {}
            T::User | T::Authorization => {
                r.authenticated = Some(r.authenticated == Some(true) || text_value(v).is_some());
            }
            T::RemoteUser => {
                if text_value(v).is_some() {
                    r.authenticated = Some(true);
                }
            }
            T::GatewayError => {
                if let Some(e) = text_value(v) {
                    let error = !is_no_error(e);
                    self.gateway_error = Some(self.gateway_error == Some(true) || error);
                    if error {
                        r.details.push(super::Detail::GatewayError, e);
                    }
                }
            }
            T::Instance => self.instance |= text_value(v).is_some(),
        }
    }

    /// Whether the line's one bad time reads once its escapes are decoded (PHP's
    /// `json_encode` writes `"10\/Oct\/2024:13:55:36 +0000"`): then it is the line's time.
    #[cold]
    #[inline(never)]
    fn time_unescaped(&self, rec: &mut Record<'a>) -> bool {
        let BadTime::One(t, start) = self.bad_time else {
            return false;
        };
        let Some(ms) = parse_unescaped(t, time::parse_any) else {
            return false;
        };
        if start || !self.start_time {
            rec.time_ms = Some(ms);
        }
        true
    }

    /// Complete `rec` once every key is in: `Header` for a line with no HTTP fields at all,
    /// `NoStatus` for a request without a status. By reference: taking `self` by value cost a
    /// copy of the whole collection per line (1.4 % of the JSON parser's instructions).
    #[inline(always)]
    pub(super) fn finish_into(
        &mut self,
        escape: Escape,
        rec: &mut Record<'a>,
    ) -> Result<(), ParseError> {
        if !matches!(self.bad_time, BadTime::None) && !self.time_unescaped(rec) {
            return Err(ParseError::new(RejectKind::BadTimestamp, 0));
        }
        let Some(status) = self.status_text else {
            // No HTTP fields at all: an application message between access entries (Caddy's
            // startup lines), skipped; a request without a status is a reject.
            let kind = if rec.method.is_none() && rec.path.is_none() {
                RejectKind::Header
            } else {
                RejectKind::NoStatus
            };
            return Err(ParseError::new(kind, 0));
        };
        rec.status = match status {
            Scalar::Null => None,
            s => or_unescaped(s.text().unwrap_or_default(), |t| {
                parse_optional_status(t).ok()
            })
            .ok_or(ParseError::new(RejectKind::BadStatus, 0))?,
        };
        if let Some(d) = self.bare_duration {
            // Envoy's `duration` is milliseconds; Caddy's (and most apps') seconds.
            let unit = if self.envoy { 1_000 } else { 1_000_000 };
            rec.duration_us = duration(d, unit, false);
        }
        if rec.client.is_none() {
            rec.client = self.addr_client.or(self.fallback_client);
        }
        if self.origin_key {
            rec.origin = match rec.origin_status {
                u if nginx_made(u, self.upstream_answer) => Origin::Gateway,
                Some(_) => Origin::App,
                None => Origin::Gateway,
            };
        }
        // A gateway's own error decides; an instance named (or a gateway saying "no error")
        // without an origin status says the application answered.
        match self.gateway_error {
            Some(true) => rec.origin = Origin::Gateway,
            Some(false) if !self.origin_key => rec.origin = Origin::App,
            _ if self.instance && !self.origin_key => rec.origin = Origin::App,
            _ => {}
        }
        if rec.bytes.is_none() {
            if let Some(t) = self.total_bytes {
                rec.bytes = Some(t);
                rec.bytes_kind = BytesKind::Total;
            }
        }
        rec.escape = escape;
        // A path with no backslash holds no JSON escape: the route reads it as logged, with
        // no search for a `?` and a `\` to decode it.
        rec.plain_path = rec.path.is_some_and(|p| find_byte(p, 0, b'\\').is_none());
        Ok(())
    }
}

impl LogFormat for JsonFormat {
    fn name(&self) -> &str {
        "json"
    }

    fn family(&self) -> &'static str {
        "json"
    }

    fn parse_into<'a>(&self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), ParseError> {
        let mut c = Collected::default();
        scan_object(line, &mut |path, v| {
            let field = self.mapping.target_for(path).or_else(|| builtin(path));
            if let Some(f) = field {
                c.apply(rec, f, path, v);
            }
        })?;
        c.finish_into(Escape::Json, rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pino_http_request_lines() {
        // A pino-http "request completed" line, shaped as its README shows (Express behind it;
        // url, status and time here our own).
        let line = br#"{"level":30,"time":1531171074631,"pid":657,"hostname":"localhost","req":{"id":1,"method":"GET","url":"/orders/17?full=1","headers":{"host":"localhost:3000","user-agent":"curl/7.54.0","accept":"*/*"},"remoteAddress":"::1","remotePort":64386},"res":{"statusCode":404,"headers":{"x-powered-by":"Express","content-type":"text/plain; charset=utf-8","content-length":"12"}},"responseTime":2,"msg":"request completed"}"#;
        let r = JsonFormat::default().parse(line).expect("parses");
        assert_eq!(r.method, Some(&b"GET"[..]));
        assert_eq!(r.path, Some(&b"/orders/17?full=1"[..]));
        assert_eq!(r.status, Some(404));
        assert_eq!(r.client, Some(&b"::1"[..]));
        assert_eq!(r.host, Some(&b"localhost:3000"[..]));
        assert_eq!(r.user_agent, Some(&b"curl/7.54.0"[..]));
        assert_eq!(r.bytes, Some(12));
        assert_eq!(r.duration_us, Some(2_000));
        assert_eq!(r.time_ms, Some(1_531_171_074_631));
        // The application's other lines (no request, no response) are not requests.
        let other = br#"{"level":30,"time":1531171074631,"pid":657,"hostname":"localhost","msg":"listening on 3000"}"#;
        assert_eq!(
            JsonFormat::default()
                .parse(other)
                .map(|_| ())
                .unwrap_err()
                .kind,
            RejectKind::Header
        );
    }

    #[test]
    fn escaped_times_and_statuses_are_decoded() {
        // PHP's `json_encode` escapes every `/`; an encoder may escape any byte.
        let plain = br#"{"time_local":"10/Oct/2024:13:55:36 +0000","status":"500","request_method":"GET","request_uri":"/a/1","request_time":"0.5"}"#;
        let escaped = br#"{"time_local":"10\/Oct\/2024:13:55:36 +0000","status":"5\u0030\u0030","request_method":"GET","request_uri":"\/a\/1","request_time":"0.5"}"#;
        let f = JsonFormat::default();
        let a = f.parse(plain).expect("the plain line parses");
        let b = f.parse(escaped).expect("the escaped line parses");
        assert!(a.time_ms.is_some());
        assert_eq!(b.time_ms, a.time_ms);
        assert_eq!(b.status, Some(500));
        assert_eq!(b.duration_us, Some(500_000));
        // Text fields stay as logged, for their readers to decode.
        assert_eq!(b.path, Some(&br"\/a\/1"[..]));
        assert!(!b.plain_path);
        // A start time beats the message's time, escaped or not.
        let start = br#"{"time":"10\/Oct\/2024:13:55:36 +0000","start_time":"2024-10-10T13:00:00Z","status":200,"request_uri":"/a"}"#;
        let s = f.parse(start).expect("parses");
        assert_eq!(s.time_ms, time::parse_any(b"2024-10-10T13:00:00Z"));
        // Still a reject: a time that is not one decoded, and two bad times.
        let bad = br#"{"time_local":"10\/Oct\/20x4","status":200,"request_uri":"/a"}"#;
        assert_eq!(
            f.parse(bad).map(|_| ()).unwrap_err().kind,
            RejectKind::BadTimestamp
        );
        let two = br#"{"time_local":"nope","msec":"17\u00320","status":200,"request_uri":"/a"}"#;
        assert_eq!(
            f.parse(two).map(|_| ()).unwrap_err().kind,
            RejectKind::BadTimestamp
        );
        let status = br#"{"status":"5\u00300x","request_uri":"/a"}"#;
        assert_eq!(
            f.parse(status).map(|_| ()).unwrap_err().kind,
            RejectKind::BadStatus
        );
    }

    #[test]
    fn nginx_json_shape() {
        let line = br#"{"msec": "1733828027.704", "request_id": "7a98", "remote_addr": "52.167.144.255", "remote_user": "", "time_local": "10/Dec/2024:10:53:47 +0000", "request": "GET /a/1 HTTP/1.1", "request_uri": "/a/1?x=1", "status": "200", "body_bytes_sent": "11497", "bytes_sent": "11676", "http_user_agent": "bot \"q\"", "request_time": "0.105", "upstream_status": "502, 200", "request_method": "GET"}"#;
        let r = JsonFormat::default().parse(line).expect("parses");
        assert_eq!(r.status, Some(200));
        assert_eq!(r.path, Some(&b"/a/1?x=1"[..]));
        assert_eq!(r.method, Some(&b"GET"[..]));
        assert_eq!(r.protocol, Some(&b"HTTP/1.1"[..]));
        assert_eq!(r.bytes, Some(11497));
        assert_eq!(r.bytes_kind, BytesKind::Body);
        assert_eq!(r.duration_us, Some(105_000));
        assert_eq!(r.origin_status, Some(200));
        assert_eq!(r.authenticated, None);
        assert_eq!(&*r.decoded(r.user_agent.expect("ua")), b"bot \"q\"");
        assert_eq!(r.time_ms, time::parse_clf(b"10/Dec/2024:10:53:47 +0000"));
    }

    /// nginx logs its own 502/504 (no usable answer, a timeout) as the upstream's status too:
    /// an upstream that sent nothing back (length 0, no header time) did not make them.
    #[test]
    fn nginx_made_502_and_504_are_the_gateways() {
        let origin = |extra: &str| {
            let line = format!(
                r#"{{"status":"504","request":"GET /r HTTP/1.1","upstream_status":"504"{extra}}}"#
            );
            let r = JsonFormat::default()
                .parse(line.as_bytes())
                .expect("parses");
            assert_eq!(r.origin_status, Some(504));
            r.origin
        };
        assert_eq!(
            origin(r#","upstream_response_length":"0""#),
            Origin::Gateway
        );
        assert_eq!(origin(r#","upstream_response_length":0"#), Origin::Gateway);
        assert_eq!(origin(r#","upstream_header_time":"-""#), Origin::Gateway);
        assert_eq!(origin(r#","upstream_response_length":"160""#), Origin::App);
        // The header time decides: an application's own 504 with an empty body came back
        // with a header; nginx's timeout did not, whatever the length says.
        assert_eq!(
            origin(r#","upstream_response_length":"0","upstream_header_time":"0.012""#),
            Origin::App
        );
        assert_eq!(
            origin(r#","upstream_header_time":"0.012","upstream_response_length":0"#),
            Origin::App
        );
        assert_eq!(
            origin(r#","upstream_response_length":"12","upstream_header_time":"-""#),
            Origin::Gateway
        );
        assert_eq!(origin(""), Origin::App);
        // Only nginx's own codes: an empty 503 is the application's.
        let r = JsonFormat::default()
            .parse(br#"{"status":"503","request":"GET /r HTTP/1.1","upstream_status":"503","upstream_response_length":"0"}"#)
            .expect("parses");
        assert_eq!(r.origin, Origin::App);
    }

    #[test]
    fn numbers_markers_and_auth() {
        let r = JsonFormat::default()
            .parse(br#"{"time":1673085237.244,"status":422,"method":"POST","uri":"/v1/x","duration_ms":12.5,"error_code":"VALIDATION","user_id":"","bytes_sent":9}"#)
            .expect("parses");
        assert_eq!(r.status, Some(422));
        assert_eq!(r.time_ms, Some(1_673_085_237_244));
        assert_eq!(r.duration_us, Some(12_500));
        assert_eq!(r.error_marker, Some(&b"VALIDATION"[..]));
        assert_eq!(r.authenticated, Some(false));
        assert_eq!((r.bytes, r.bytes_kind), (Some(9), BytesKind::Total));
        let r = JsonFormat::default()
            .parse(br#"{"status":"200","success":false,"auth_present":true,"latency":"1.5s"}"#)
            .expect("parses");
        assert_eq!(r.error_marker, Some(&b"success=false"[..]));
        assert_eq!(r.authenticated, Some(true));
        assert_eq!(r.duration_us, Some(1_500_000));
        let r = JsonFormat::default()
            .parse(br#"{"status":200,"error":null,"err":""}"#)
            .expect("parses");
        assert_eq!(r.error_marker, None);
    }

    #[test]
    fn custom_mapping_reaches_nested_keys() {
        let mut m = JsonMapping::default();
        m.add("http.code=status").expect("valid");
        m.add("req.took=duration_ms").expect("valid");
        let r = JsonFormat::new(m)
            .parse(br#"{"http":{"code":503,"x":[1,{"a":2}]},"req":{"took":40}}"#)
            .expect("parses");
        assert_eq!(r.status, Some(503));
        assert_eq!(r.duration_us, Some(40_000));
        let mut m = JsonMapping::default();
        assert!(m
            .add("x=nope")
            .expect_err("unknown")
            .contains("unknown field"));
        assert!(m.add("novalue").is_err());
    }

    #[test]
    fn raw_non_utf8_bytes_are_read() {
        let mut line = br#"{"status":"404","request_uri":"/caf"#.to_vec();
        line.extend_from_slice(&[0xE9, 0xFF]);
        line.extend_from_slice(br#""}"#);
        let r = JsonFormat::default().parse(&line).expect("parses");
        assert_eq!(r.path.expect("path").len(), 6);
    }

    #[test]
    fn a_path_is_decoded_only_when_it_holds_an_escape() {
        let f = JsonFormat::default();
        let plain = f
            .parse(br#"{"status":200,"request_uri":"/a/b?q=1"}"#)
            .expect("parses");
        assert!(plain.plain_path);
        assert_eq!(plain.route_path_part().as_deref(), Some(&b"/a/b?q=1"[..]));
        let escaped = f
            .parse(br#"{"status":200,"request_uri":"/a\/b\u0020c?q=\"x\""}"#)
            .expect("parses");
        assert!(!escaped.plain_path);
        assert_eq!(escaped.route_path_part().as_deref(), Some(&b"/a/b c"[..]));
        assert_eq!(
            escaped.route_path().as_deref(),
            Some(&b"/a/b c?q=\"x\""[..])
        );
    }

    #[test]
    fn rejects() {
        let f = JsonFormat::default();
        assert_eq!(
            f.parse(b"not json").expect_err("x").kind,
            RejectKind::BadJson
        );
        assert_eq!(
            f.parse(br#"{"status":200"#).expect_err("x").kind,
            RejectKind::BadJson
        );
        assert_eq!(
            f.parse(br#"{"msg":"started"}"#).expect_err("x").kind,
            RejectKind::Header,
            "not an access line"
        );
        assert_eq!(
            f.parse(br#"{"method":"GET","uri":"/x"}"#)
                .expect_err("x")
                .kind,
            RejectKind::NoStatus
        );
        assert_eq!(
            f.parse(br#"{"status":"OK"}"#).expect_err("x").kind,
            RejectKind::BadStatus
        );
        assert_eq!(
            f.parse(br#"{"status":200} trailing"#).expect_err("x").kind,
            RejectKind::BadJson
        );
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(500), "]".repeat(500));
        assert_eq!(
            f.parse(deep.as_bytes()).expect_err("x").kind,
            RejectKind::BadJson
        );
    }

    /// AWS API Gateway's access-log formats (the JSON examples of its documentation, REST
    /// and HTTP APIs, with the latency added) and Kong's file log (its documentation's
    /// example line).
    #[test]
    fn gateways() {
        let f = JsonFormat::default();
        let r = f
            .parse(br#"{ "requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "ip": "203.0.113.7", "caller":"-", "user":"-","requestTime":"03/Dec/2026:10:00:00 +0000", "httpMethod":"POST","resourcePath":"/orders/{id}", "status":"504","protocol":"HTTP/1.1", "responseLength":"36", "responseLatency":"29012", "errorMessage":"Endpoint request timed out" }"#)
            .expect("REST API");
        assert_eq!(
            (r.method, r.path, r.status, r.protocol),
            (
                Some(&b"POST"[..]),
                Some(&b"/orders/{id}"[..]),
                Some(504),
                Some(&b"HTTP/1.1"[..])
            )
        );
        assert_eq!(
            (r.client, r.bytes, r.duration_us),
            (Some(&b"203.0.113.7"[..]), Some(36), Some(29_012_000))
        );
        assert_eq!(r.time_ms, Some(1_796_292_000_000));
        assert_eq!(r.error_marker, Some(&b"Endpoint request timed out"[..]));
        assert_eq!(
            r.authenticated, None,
            "user `-`: IAM's, unknown under other authorizers"
        );
        assert_eq!(r.origin, Origin::Unknown, "nothing says who answered");
        // With the integration's status and error logged: a timeout is API Gateway's own 504;
        // a Lambda proxy's 500 is the function's (the Lambda service answered 200).
        let r = f
            .parse(br#"{"requestId":"a1","ip":"203.0.113.7","requestTime":"03/Dec/2026:10:00:00 +0000","httpMethod":"POST","resourcePath":"/orders/{id}","status":"504","responseLatency":"29012","integrationStatus":"-","integrationErrorMessage":"Endpoint request timed out","integrationLatency":"-"}"#)
            .expect("integration timeout");
        assert_eq!(
            (r.status, r.origin, r.details.get("gateway_error")),
            (
                Some(504),
                Origin::Gateway,
                Some(&b"Endpoint request timed out"[..])
            )
        );
        let r = f
            .parse(br#"{"requestId":"a2","httpMethod":"POST","resourcePath":"/orders/{id}","status":"500","integrationStatus":"200","integrationErrorMessage":"-"}"#)
            .expect("function's 500");
        assert_eq!((r.status, r.origin), (Some(500), Origin::App));
        // The path as requested wins over the template, whichever comes first.
        let r = f
            .parse(br#"{"resourcePath":"/orders/{id}","path":"/prod/orders/7","httpMethod":"GET","status":"200"}"#)
            .expect("both paths");
        assert_eq!(r.path, Some(&b"/prod/orders/7"[..]));
        let r = f
            .parse(br#"{ "requestId":"JKJaXmPLvHcESHA=", "ip": "198.51.100.2", "requestTime":"03/Dec/2026:10:00:01 +0000", "requestTimeEpoch":1796292001234, "httpMethod":"GET","routeKey":"GET /pets/{petId}", "status":"200","protocol":"HTTP/1.1", "responseLength":"48" }"#)
            .expect("HTTP API");
        assert_eq!(
            (r.method, r.path, r.status, r.time_ms),
            (
                Some(&b"GET"[..]),
                Some(&b"/pets/{petId}"[..]),
                Some(200),
                Some(1_796_292_001_234)
            )
        );
        let r = f
            .parse(br#"{"latencies":{"request":515,"kong":58,"proxy":457},"service":{"host":"httpbin.org","created_at":1614232642,"connect_timeout":60000,"id":"167290ee-c682-4ebf-bdea-e49a3ac5e260","protocol":"http","name":"example-service","read_timeout":60000,"port":80,"path":"/anything","updated_at":1614232642,"write_timeout":60000,"retries":5},"request":{"querystring":{},"size":138,"uri":"/log","url":"http://localhost:8000/log","headers":{"host":"localhost:8000","accept-encoding":"gzip, deflate","user-agent":"HTTPie/2.4.0","accept":"*/*","connection":"keep-alive"},"method":"GET"},"tries":[{"balancer_latency":0,"port":80,"balancer_start":1614232668399,"ip":"18.211.130.98"}],"client_ip":"192.168.144.1","upstream_uri":"/anything","response":{"headers":{"content-type":"application/json","content-length":"503","x-kong-upstream-latency":"457"},"status":200,"size":827},"route":{"id":"78f79740-c410-4fd9-a998-d0a60a99dc9b","paths":["/log"],"protocols":["http"],"strip_path":true,"created_at":1614232648,"https_redirect_status_code":426},"started_at":1614232668342}"#)
            .expect("Kong");
        assert_eq!(
            (r.method, r.path, r.status, r.client),
            (
                Some(&b"GET"[..]),
                Some(&b"/log"[..]),
                Some(200),
                Some(&b"192.168.144.1"[..])
            )
        );
        assert_eq!(
            (r.duration_us, r.time_ms, r.bytes),
            (Some(515_000), Some(1_614_232_668_342), Some(827))
        );
        assert_eq!(r.user_agent, Some(&b"HTTPie/2.4.0"[..]));
        assert_eq!(r.upstream, Some(&b"example-service"[..]));
    }

    #[test]
    fn producers() {
        let f = JsonFormat::default();
        // Caddy: nested request, header arrays, duration in seconds, float epoch.
        let r = f
            .parse(br#"{"level":"info","ts":1693840791.7564995,"logger":"http.log.access","request":{"remote_ip":"172.17.0.1","client_ip":"10.0.0.9","proto":"HTTP/2.0","method":"POST","host":"api.example.com","uri":"/v1/items?x=1","headers":{"User-Agent":["curl/8.4.0"],"Authorization":["REDACTED"]}},"user_id":"","duration":0.25,"size":12,"status":201,"resp_headers":{"X-Error-Code":["E_X"]}}"#)
            .expect("caddy");
        assert_eq!(
            (r.method, r.path, r.status),
            (Some(&b"POST"[..]), Some(&b"/v1/items?x=1"[..]), Some(201))
        );
        assert_eq!(
            (r.client, r.host, r.duration_us),
            (
                Some(&b"10.0.0.9"[..]),
                Some(&b"api.example.com"[..]),
                Some(250_000)
            )
        );
        assert_eq!(r.user_agent, Some(&b"curl/8.4.0"[..]));
        assert_eq!(r.error_marker, Some(&b"E_X"[..]));
        assert_eq!(r.time_ms, Some(1_693_840_791_756));
        assert_eq!(
            r.authenticated,
            Some(true),
            "a redacted Authorization header is credentials; the empty user_id after it does not undo that"
        );
        // Traefik: Duration in ns, OriginStatus 0 = no backend answer, StartUTC beats time.
        let r = f
            .parse(br#"{"ClientAddr":"10.1.1.1:5555","DownstreamStatus":502,"Duration":1500000,"OriginStatus":0,"RequestMethod":"GET","RequestPath":"/x","RequestProtocol":"HTTP/1.1","StartUTC":"2021-12-08T14:02:43.587782192Z","time":"2021-12-08T14:02:43Z","request_User-Agent":"Nikto","ServiceName":"cart@docker"}"#)
            .expect("traefik");
        assert_eq!(r.upstream, Some(&b"cart@docker"[..]));
        assert_eq!(
            (r.status, r.origin_status, r.origin),
            (Some(502), None, Origin::Gateway)
        );
        assert_eq!(
            (r.duration_us, r.client),
            (Some(1_500), Some(&b"10.1.1.1"[..]))
        );
        assert_eq!(r.time_ms, time::parse_iso8601(b"2021-12-08T14:02:43.587Z"));
        // Envoy: duration in ms, response flags kept.
        let r = f
            .parse(br#"{"duration":11,"method":"GET","path":"/a","protocol":"HTTP/2","response_code":503,"response_flags":"UF,URX","start_time":"2025-12-31T16:37:40.479Z","downstream_remote_address":"[2001:db8::1]:443","upstream_host":"10.42.0.82:8080"}"#)
            .expect("envoy");
        assert_eq!((r.status, r.duration_us), (Some(503), Some(11_000)));
        assert_eq!(r.details.get("response_flags"), Some(&b"UF,URX"[..]));
        assert_eq!(r.client, Some(&b"2001:db8::1"[..]));
        // GCP HTTP(S) load balancer: httpRequest with a unit-suffixed latency and an absolute URL.
        let r = f
            .parse(br#"{"httpRequest":{"requestMethod":"GET","requestUrl":"https://example.com/api/v1/x?y=2","status":404,"latency":"0.123s","responseSize":"42","remoteIp":"203.0.113.5","userAgent":"Go-http-client/2.0"},"timestamp":"2024-05-01T12:00:00.5Z"}"#)
            .expect("gcp");
        assert_eq!(
            (r.status, r.duration_us, r.bytes),
            (Some(404), Some(123_000), Some(42))
        );
        assert_eq!(
            (r.path, r.host),
            (Some(&b"/api/v1/x?y=2"[..]), Some(&b"example.com"[..]))
        );
        assert_eq!(r.client, Some(&b"203.0.113.5"[..]));
        // An application logging the whole URL under `url`: its host and path, not an
        // absolute-form request (see `signals::is_proxy_request`).
        let r = f
            .parse(br#"{"time":"2024-05-01T12:00:00Z","method":"GET","url":"http://shop.example:8080/api/cart/7","status":200}"#)
            .expect("app");
        assert_eq!(
            (r.path, r.host),
            (Some(&b"/api/cart/7"[..]), Some(&b"shop.example:8080"[..]))
        );
    }

    #[test]
    fn cdns_and_cloud_gateways() {
        let f = JsonFormat::default();
        // Cloudflare Logpush, HTTP requests dataset: RFC 3339 and Unix-nanosecond times; an
        // origin status of 0 means the edge answered itself (here its 522, the origin's
        // connection timing out).
        let r = f
            .parse(br#"{"ClientIP":"203.0.113.9","ClientRequestHost":"api.example.com","ClientRequestMethod":"GET","ClientRequestProtocol":"HTTP/2","ClientRequestReferer":"","ClientRequestURI":"/v1/items/42?x=1","ClientRequestUserAgent":"curl/8.4.0","EdgeEndTimestamp":"2024-05-01T12:00:00Z","EdgeResponseBytes":1532,"EdgeResponseStatus":200,"EdgeStartTimestamp":"2024-05-01T11:59:59Z","EdgeTimeToFirstByteMs":87,"OriginResponseStatus":200,"RayID":"7c0f2e8d5a3b1f00"}"#)
            .expect("cloudflare");
        assert_eq!(
            (r.method, r.path, r.host, r.status),
            (
                Some(&b"GET"[..]),
                Some(&b"/v1/items/42?x=1"[..]),
                Some(&b"api.example.com"[..]),
                Some(200)
            )
        );
        assert_eq!(
            (r.client, r.duration_us, r.bytes, r.origin),
            (
                Some(&b"203.0.113.9"[..]),
                Some(87_000),
                Some(1532),
                Origin::App
            )
        );
        assert_eq!(r.time_ms, time::parse_iso8601(b"2024-05-01T11:59:59Z"));
        let r = f
            .parse(br#"{"ClientIP":"203.0.113.9","ClientRequestMethod":"POST","ClientRequestURI":"/v1/orders","EdgeResponseStatus":522,"EdgeStartTimestamp":1714564799123000000,"OriginResponseStatus":0}"#)
            .expect("edge-made");
        assert_eq!(
            (r.status, r.origin, r.time_ms),
            (Some(522), Origin::Gateway, Some(1_714_564_799_123))
        );
        // Azure Application Gateway v2 (Microsoft's documented record): the backend's
        // `serverStatus`, `-` when it sent none; `timeTaken` in seconds; JSON's `\/`.
        let r = f
            .parse(br#"{"timeStamp":"2021-10-14T22:17:11+00:00","resourceId":"/SUBSCRIPTIONS/X/APPLICATIONGATEWAYS/GW","operationName":"ApplicationGatewayAccess","category":"ApplicationGatewayAccessLog","properties":{"instanceId":"appgw_2","clientIP":"185.42.129.24","clientPort":45057,"httpMethod":"GET","originalRequestUriWithArgs":"\/api\/carts\/7?full=1","requestUri":"\/api\/carts\/7","requestQuery":"full=1","userAgent":"Mozilla\/5.0","httpStatus":504,"httpVersion":"HTTP\/1.1","receivedBytes":184,"sentBytes":466,"timeTaken":20.034,"serverRouted":"10.0.1.4:443","serverStatus":"-","serverResponseLatency":"-","host":"20.110.30.194","originalHost":"api.example.com","error_info":"ERRORINFO_UPSTREAM_TIMED_OUT"}}"#)
            .expect("application gateway");
        assert_eq!(
            (r.method, r.status, r.duration_us, r.origin),
            (
                Some(&b"GET"[..]),
                Some(504),
                Some(20_034_000),
                Origin::Gateway
            )
        );
        assert_eq!(&*r.decoded(r.path.expect("path")), b"/api/carts/7");
        assert_eq!(
            (r.client, r.host),
            (Some(&b"185.42.129.24"[..]), Some(&b"api.example.com"[..]))
        );
        assert_eq!(
            r.details.get("gateway_error"),
            Some(&b"ERRORINFO_UPSTREAM_TIMED_OUT"[..])
        );
        assert_eq!(r.time_ms, time::parse_iso8601(b"2021-10-14T22:17:11Z"));
        let r = f
            .parse(br#"{"timeStamp":"2021-10-14T22:17:11+00:00","properties":{"clientIP":"185.42.129.24","httpMethod":"GET","requestUri":"\/","httpStatus":500,"timeTaken":0.1,"serverStatus":"500","error_info":"ERRORINFO_NO_ERROR"}}"#)
            .expect("backend's 500");
        assert_eq!(
            (r.origin, r.details.get("gateway_error")),
            (Origin::App, None)
        );
        // Azure Front Door (Standard/Premium): a whole URL, string numbers, `errorInfo`.
        let r = f
            .parse(br#"{"time":"2024-05-01T12:00:00.000Z","category":"FrontDoorAccessLog","properties":{"httpMethod":"GET","httpVersion":"2.0.0","requestUri":"https://www.example.com:443/api/orders?id=1","hostName":"www.example.com","requestBytes":"1234","responseBytes":"5678","userAgent":"Mozilla/5.0","clientIp":"203.0.113.5","timeTaken":"30.061","httpStatusCode":"504","cacheStatus":"CONFIG_NOCACHE","errorInfo":"OriginTimeout"}}"#)
            .expect("front door");
        assert_eq!(
            (r.path, r.status, r.duration_us, r.bytes),
            (
                Some(&b"/api/orders?id=1"[..]),
                Some(504),
                Some(30_061_000),
                Some(5678)
            )
        );
        assert_eq!(
            (r.client, r.origin),
            (Some(&b"203.0.113.5"[..]), Origin::Gateway)
        );
        let r = f
            .parse(br#"{"time":"2024-05-01T12:00:00.000Z","properties":{"httpMethod":"GET","requestUri":"https://www.example.com/","httpStatusCode":"200","errorInfo":"NoError"}}"#)
            .expect("front door, no error");
        assert_eq!(r.origin, Origin::App);
    }
}

//! Any nginx `log_format` body, pasted verbatim from nginx.conf (`--log-format nginx:'…'`).
//!
//! The body is compiled once into literals and variables
//! (<https://nginx.org/en/docs/http/ngx_http_log_module.html#log_format>). A variable's value runs
//! up to the next literal; three shapes need more care and follow the nginx docs:
//! `$time_local` holds a space (fixed 26 bytes), `$upstream_*` values are lists joined by `, `
//! (several servers) and ` : ` (internal redirects), and quoted values may hold `\"` under
//! `escape=json`. `escape=default` writes `"`, `\` and non-printable bytes as `\xHH`.

use super::fields::{
    dash_to_none, find_byte, find_literal, last_listed_status, nginx_made, parse_decimal_us,
    parse_status, parse_u64, split_request, starts_with_bytes, UpstreamAnswer,
};
use super::json::{JsonMapping, TargetField};
use super::{time, BytesKind, Escape, LogFormat, Origin, ParseError, Record, RejectKind};

/// What a variable feeds in the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Var {
    RemoteAddr,
    RemoteUser,
    TimeLocal,
    TimeIso,
    Msec,
    Request,
    Method,
    RequestUri,
    Uri,
    Protocol,
    Status,
    BodyBytes,
    BytesSent,
    /// A duration in units of `unit_us` µs, decimals allowed (`$request_time`: seconds);
    /// `whole_s`: Apache's `%T`, whole seconds truncated.
    Duration {
        unit_us: u32,
        whole_s: bool,
    },
    UpstreamStatus,
    /// `$upstream_header_time` (`header`) or `$upstream_response_length`: whether the last
    /// server tried answered (see [`UpstreamAnswer`]).
    UpstreamAnswer {
        header: bool,
    },
    /// `$proxy_upstream_name` (`service`: names the service) or `$upstream_addr` (a list).
    Upstream {
        service: bool,
    },
    UserAgent,
    Referer,
    Authorization,
    ErrorMarker,
    /// Any other variable; `list` for `$upstream_*` (comma/colon separated lists).
    Other {
        list: bool,
    },
}

impl Var {
    fn from_name(name: &str, mapping: &JsonMapping) -> Var {
        // `--json-field` mappings apply to nginx variable names too (e.g. `sent_http_x_err=error_marker`).
        if let Some(t) = mapping.target_for(&[name.as_bytes()]) {
            match t {
                TargetField::Status => return Var::Status,
                TargetField::ErrorMarker => return Var::ErrorMarker,
                TargetField::Client => return Var::RemoteAddr,
                TargetField::UserAgent => return Var::UserAgent,
                _ => {}
            }
        }
        match name {
            // `$the_real_ip`: ingress-nginx's client address (from X-Forwarded-For or the
            // PROXY protocol when configured).
            "remote_addr" | "realip_remote_addr" | "binary_remote_addr" | "the_real_ip" => {
                Var::RemoteAddr
            }
            "remote_user" => Var::RemoteUser,
            "time_local" => Var::TimeLocal,
            "time_iso8601" => Var::TimeIso,
            "msec" => Var::Msec,
            "request" => Var::Request,
            "request_method" => Var::Method,
            "request_uri" => Var::RequestUri,
            "uri" | "document_uri" => Var::Uri,
            "server_protocol" => Var::Protocol,
            "status" => Var::Status,
            "body_bytes_sent" => Var::BodyBytes,
            "bytes_sent" => Var::BytesSent,
            "request_time" => Var::Duration {
                unit_us: 1_000_000,
                whole_s: false,
            },
            "upstream_status" => Var::UpstreamStatus,
            "upstream_header_time" => Var::UpstreamAnswer { header: true },
            "upstream_response_length" => Var::UpstreamAnswer { header: false },
            "proxy_upstream_name" => Var::Upstream { service: true },
            "upstream_addr" => Var::Upstream { service: false },
            "http_user_agent" => Var::UserAgent,
            "http_referer" => Var::Referer,
            "http_authorization" => Var::Authorization,
            n if is_error_header(n) => Var::ErrorMarker,
            n => Var::Other {
                list: n.starts_with("upstream_"),
            },
        }
    }
}

/// Response headers the application uses to flag an error (`X-Error-Code`, `X-Error`, …),
/// as nginx names them: `$sent_http_x_error_code`, `$upstream_http_x_error`.
fn is_error_header(name: &str) -> bool {
    let h = name
        .strip_prefix("sent_http_")
        .or_else(|| name.strip_prefix("upstream_http_"));
    h.is_some_and(|h| {
        matches!(
            h,
            "x_error"
                | "x_error_code"
                | "x_error_message"
                | "x_err"
                | "error"
                | "x_app_error"
                | "x_status_reason"
        )
    })
}

#[derive(Debug)]
enum Item {
    Lit(Box<[u8]>),
    Var(Var),
}

/// A format's items as they are read: literal bytes run together between variables.
#[derive(Default)]
struct Parts {
    items: Vec<Item>,
    lit: Vec<u8>,
}

impl Parts {
    fn lit(&mut self, bytes: &[u8]) {
        self.lit.extend_from_slice(bytes);
    }

    fn var(&mut self, v: Var) {
        self.end_lit();
        self.items.push(Item::Var(v));
    }

    fn end_lit(&mut self) {
        if !self.lit.is_empty() {
            self.items.push(Item::Lit(self.lit.as_slice().into()));
            self.lit.clear();
        }
    }

    /// The format named `name`; `Err` when it has no status.
    fn into_format(mut self, escape: Escape, name: &'static str) -> Result<NginxFormat, ()> {
        self.end_lit();
        if !self
            .items
            .iter()
            .any(|it| matches!(it, Item::Var(Var::Status)))
        {
            return Err(());
        }
        Ok(NginxFormat {
            has_upstream_status: self
                .items
                .iter()
                .any(|it| matches!(it, Item::Var(Var::UpstreamStatus))),
            items: self.items,
            escape,
            name,
        })
    }
}

/// A compiled nginx `log_format`.
#[derive(Debug)]
pub struct NginxFormat {
    items: Vec<Item>,
    escape: Escape,
    has_upstream_status: bool,
    /// The name reports show: `nginx`, or `ingress-nginx` for its built-in formats.
    name: &'static str,
}

/// The Kubernetes ingress-nginx controller's default `log_format upstreaminfo`, newest first:
/// since 0.21 (2018); before it (`$the_real_ip - [$the_real_ip] - …`, no alternative upstream)
/// with the `$req_id` later versions end with, and without. Text after a format (a `$host` a
/// configuration adds) is read past, as for any `log_format`.
pub const INGRESS_FORMATS: [&str; 3] = [
    r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#,
    r#"$the_real_ip - [$the_real_ip] - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#,
    r#"$the_real_ip - [$the_real_ip] - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status"#,
];

/// Reduce what the user pasted to the format string and its `escape=` mode:
/// accepts `log_format name [escape=…] 'part' 'part';` or just the body.
fn normalize_body(s: &str) -> Result<(String, Escape), String> {
    let mut t = s.trim().trim_end_matches(';').trim();
    let mut escape = Escape::Backslash;
    if let Some(rest) = t.strip_prefix("log_format") {
        let rest = rest.trim_start();
        // skip the format name
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        t = rest[end..].trim_start();
    }
    loop {
        if let Some(rest) = t.strip_prefix("escape=") {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            escape = match &rest[..end] {
                "default" => Escape::Backslash,
                "json" => Escape::Json,
                "none" => Escape::None,
                other => {
                    return Err(format!(
                        "unknown nginx escape mode `{other}` (expected default, json or none)"
                    ))
                }
            };
            t = rest[end..].trim_start();
        } else if let Some(rest) = t.strip_prefix("if=") {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            t = rest[end..].trim_start();
        } else {
            break;
        }
    }
    if !(t.starts_with('\'') || t.starts_with('"')) {
        return Ok((t.to_string(), escape));
    }
    // Quoted parts as written in nginx.conf; a body that merely starts with a quote
    // (`"$http_x_forwarded_for" $remote_addr …`) is not a sequence of quoted parts.
    Ok((
        join_quoted_parts(t).unwrap_or_else(|| t.to_string()),
        escape,
    ))
}

/// The text between the `{` at `open` and the next `}` (`${name}`, `%{Header}i`), and where
/// the format goes on after the `}`; `None` when the brace is not closed.
fn braced(body: &str, open: usize) -> Option<(&str, usize)> {
    let close = open + body[open..].find('}')?;
    Some((&body[open + 1..close], close + 1))
}

/// The format string of a pasted `LogFormat "…" nickname` line (or of the bare string), with
/// httpd.conf's `\"`, `\t` and `\n` unescaped.
fn apache_body(s: &str) -> String {
    let mut t = s.trim();
    if let Some(rest) = t
        .strip_prefix("LogFormat")
        .or_else(|| t.strip_prefix("CustomLog"))
    {
        t = rest.trim_start();
    }
    if let Some(rest) = t.strip_prefix('"') {
        // Up to the closing quote (not one escaped with a backslash).
        let b = rest.as_bytes();
        let mut end = b.len();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => {
                    end = i;
                    break;
                }
                _ => i += 1,
            }
        }
        t = &rest[..end.min(rest.len())];
    }
    let mut out = String::with_capacity(t.len());
    let mut chars = t.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(n) => out.push(n),
            None => out.push('\\'),
        }
    }
    out
}

/// nginx.conf concatenates adjacent quoted strings: `'a ' "b"` → `a b`. `None` when `t` is not
/// made only of quoted parts.
fn join_quoted_parts(t: &str) -> Option<String> {
    let mut body = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        if c != '\'' && c != '"' {
            return None;
        }
        let q = c;
        let mut closed = false;
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(&n) = chars.peek() {
                    if n == q || n == '\\' {
                        body.push(n);
                        chars.next();
                        continue;
                    }
                }
                body.push(c);
            } else if c == q {
                closed = true;
                break;
            } else {
                body.push(c);
            }
        }
        if !closed {
            return None;
        }
    }
    Some(body)
}

impl NginxFormat {
    /// Compile a `log_format` body.
    pub fn compile(pasted: &str, mapping: &JsonMapping) -> Result<NginxFormat, String> {
        let (body, escape) = normalize_body(pasted)?;
        let b = body.as_bytes();
        let mut parts = Parts::default();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'$' {
                parts.lit(&b[i..=i]);
                i += 1;
                continue;
            }
            let (name, next) = if b.get(i + 1) == Some(&b'{') {
                braced(&body, i + 1).ok_or("unclosed `${` in log_format")?
            } else {
                let n = b[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                (&body[i + 1..i + 1 + n], i + 1 + n)
            };
            if name.is_empty() {
                parts.lit(b"$");
                i += 1;
                continue;
            }
            parts.var(Var::from_name(name, mapping));
            i = next;
        }
        parts
            .into_format(escape, "nginx")
            .map_err(|()| "the log_format has no $status: statuslens needs it".to_string())
    }

    /// Compile an Apache `LogFormat` string (mod_log_config), pasted with or without the
    /// `LogFormat` directive, its quotes and its nickname. Its directives read into the same
    /// fields as nginx's variables; conditions (`%400,501{User-agent}i`) and `<`/`>` are
    /// accepted and ignored (the logged value is read whatever it is).
    pub fn compile_apache(pasted: &str, mapping: &JsonMapping) -> Result<NginxFormat, String> {
        let body = apache_body(pasted);
        let b = body.as_bytes();
        let mut parts = Parts::default();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'%' {
                parts.lit(&b[i..=i]);
                i += 1;
                continue;
            }
            i += 1;
            // Conditions and the original/final marker: `%!200,304{Referer}i`, `%>s`.
            while i < b.len()
                && (b[i].is_ascii_digit() || matches!(b[i], b'!' | b',' | b'<' | b'>'))
            {
                i += 1;
            }
            let arg = if b.get(i) == Some(&b'{') {
                let (a, next) = braced(&body, i).ok_or("unclosed `%{` in the LogFormat")?;
                i = next;
                Some(a)
            } else {
                None
            };
            let Some(&d) = b.get(i) else {
                return Err("the LogFormat ends in `%`".to_string());
            };
            i += 1;
            if d == b'^' {
                // `%{name}^ti` / `^to`: trailers, ignored.
                i += 2;
                parts.var(Var::Other { list: false });
                continue;
            }
            let named = |n: &str| Var::from_name(n, mapping);
            let header = |prefix: &str| {
                let h = arg.unwrap_or("").to_ascii_lowercase().replace('-', "_");
                named(&format!("{prefix}{h}"))
            };
            let duration = |unit_us: u32, whole_s: bool| Var::Duration { unit_us, whole_s };
            let v = match d {
                b'%' => {
                    parts.lit(b"%");
                    continue;
                }
                b'h' | b'a' => named("remote_addr"),
                b'u' => named("remote_user"),
                b't' if arg.is_none() => {
                    parts.lit(b"[");
                    parts.var(named("time_local"));
                    parts.lit(b"]");
                    continue;
                }
                b't' => {
                    return Err(format!(
                        "`%{{{}}}t`: only the default time `%t` is read",
                        arg.unwrap_or("")
                    ))
                }
                b'r' => named("request"),
                b'm' => named("request_method"),
                b'U' => named("uri"),
                b'H' => named("server_protocol"),
                b's' => named("status"),
                b'b' | b'B' => named("body_bytes_sent"),
                b'O' => named("bytes_sent"),
                b'D' => duration(1, false),
                b'T' => match arg {
                    None | Some("s") => duration(1_000_000, true),
                    Some("ms") => duration(1_000, false),
                    Some("us") => duration(1, false),
                    Some(other) => return Err(format!("`%{{{other}}}T`: unknown unit")),
                },
                b'i' => header("http_"),
                b'o' => header("sent_http_"),
                _ => Var::Other { list: false },
            };
            parts.var(v);
        }
        parts
            .into_format(Escape::Backslash, "apache")
            .map_err(|()| {
                "the LogFormat has no status (`%s` or `%>s`): statuslens needs it".to_string()
            })
    }

    /// ingress-nginx's built-in format `i` of [`INGRESS_FORMATS`], named `ingress-nginx`.
    pub fn ingress(i: usize) -> NginxFormat {
        let mut f = NginxFormat::compile(INGRESS_FORMATS[i], &JsonMapping::default())
            .expect("the built-in formats compile");
        f.name = "ingress-nginx";
        f
    }

    /// End of a variable's value starting at `pos`, when the next item is the literal `next`.
    fn value_end(&self, line: &[u8], pos: usize, var: Var, needle: &[u8]) -> Option<usize> {
        if var == Var::TimeLocal {
            // `10/Oct/2000:13:55:36 -0700`: fixed width, and it holds a space.
            let end = pos + 26;
            if line.len() >= end && line[end..].starts_with(needle) {
                return Some(end);
            }
        }
        let mut from = pos;
        let mut end = loop {
            let at = find_literal(line, from, needle)?;
            // Inside quotes, a `"` preceded by an odd number of backslashes is escaped.
            if needle[0] == b'"' && self.escape != Escape::None {
                let bs = line[pos..at]
                    .iter()
                    .rev()
                    .take_while(|&&c| c == b'\\')
                    .count();
                if bs % 2 == 1 {
                    from = at + 1;
                    continue;
                }
            }
            break at;
        };
        if matches!(
            var,
            Var::UpstreamStatus
                | Var::UpstreamAnswer { .. }
                | Var::Upstream { service: false }
                | Var::Other { list: true }
        ) {
            // `502, 200` (several servers) and `200 : 404` (internal redirect).
            loop {
                let rest = &line[end..];
                // The next literal (usually a space) may sit inside the separator: `a, b`.
                let sep = if end > pos && line[end - 1] == b',' && rest.starts_with(b" ") {
                    1
                } else if rest.starts_with(b", ") {
                    2
                } else if rest.starts_with(b" : ") {
                    3
                } else {
                    break;
                };
                let from = end + sep;
                match find_literal(line, from, needle) {
                    Some(i) => end = i,
                    None => break,
                }
            }
        }
        Some(end)
    }
}

/// Priority of the source of `path`: `$request_uri` beats `$request` beats `$uri`.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum PathSource {
    None,
    Uri,
    Request,
    RequestUri,
}

impl LogFormat for NginxFormat {
    fn name(&self) -> &str {
        self.name
    }

    fn family(&self) -> &'static str {
        "nginx"
    }

    fn parse_into<'a>(&self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), ParseError> {
        let end = self.parse_prefix(line, rec)?;
        // nginx writes the format and a newline: more after it that is itself a whole record
        // is a second record run into this one (a lost newline). Taking the first would drop
        // the second unseen; the line is rejected, and shown. Other text after the format (a
        // format given shorter than the log's) is left as it was.
        let rest = line[end..].trim_ascii_start();
        if !rest.is_empty() && self.parse_prefix(rest, &mut Record::default()).is_ok() {
            return Err(ParseError::new(RejectKind::Layout, end));
        }
        Ok(())
    }
}

impl NginxFormat {
    /// Parse the format from the start of `line` into `rec` (which holds [`Record::default`]'s
    /// values): where the format ended. Filled in place, not returned: a record returned by
    /// value was copied twice a line (~280 instructions).
    #[inline]
    fn parse_prefix<'a>(&self, line: &'a [u8], rec: &mut Record<'a>) -> Result<usize, ParseError> {
        rec.escape = self.escape;
        let mut path_src = PathSource::None;
        let mut body_bytes = false;
        let mut upstream_seen = false;
        // Whether the last server tried answered.
        let mut upstream_answer = UpstreamAnswer::default();
        let mut pos = 0;
        for (idx, item) in self.items.iter().enumerate() {
            match item {
                Item::Lit(l) => {
                    if !starts_with_bytes(&line[pos..], l) {
                        let kind = if line.len() - pos < l.len() && l.starts_with(&line[pos..]) {
                            RejectKind::Truncated
                        } else {
                            RejectKind::Layout
                        };
                        return Err(ParseError::new(kind, pos));
                    }
                    pos += l.len();
                }
                Item::Var(var) => {
                    let end = match self.items.get(idx + 1) {
                        Some(Item::Lit(next)) => {
                            self.value_end(line, pos, *var, next).ok_or_else(|| {
                                // An unterminated quoted value is a cut line; any other missing
                                // delimiter means the line has another layout.
                                let kind = if next[0] == b'"' {
                                    RejectKind::Truncated
                                } else {
                                    RejectKind::Layout
                                };
                                ParseError::new(kind, pos)
                            })?
                        }
                        Some(Item::Var(_)) => find_byte(line, pos, b' ').unwrap_or(line.len()),
                        None => line.len(),
                    };
                    let v = &line[pos..end];
                    let bad = |k| ParseError::new(k, pos);
                    match var {
                        Var::RemoteAddr => rec.client = dash_to_none(v),
                        Var::RemoteUser => {
                            if dash_to_none(v).is_some() {
                                rec.authenticated = Some(true);
                            }
                        }
                        Var::Authorization => rec.authenticated = Some(dash_to_none(v).is_some()),
                        Var::TimeLocal => {
                            if v != b"-" {
                                rec.time_ms = Some(
                                    time::parse_clf_cached(v)
                                        .ok_or(bad(RejectKind::BadTimestamp))?,
                                );
                            }
                        }
                        Var::TimeIso => {
                            if v != b"-" {
                                rec.time_ms = Some(
                                    time::parse_iso8601(v).ok_or(bad(RejectKind::BadTimestamp))?,
                                );
                            }
                        }
                        Var::Msec => {
                            if v != b"-" {
                                rec.time_ms = Some(
                                    time::parse_epoch(v).ok_or(bad(RejectKind::BadTimestamp))?,
                                );
                            }
                        }
                        Var::Request => {
                            if path_src < PathSource::Request {
                                if let Some(r) = split_request(v) {
                                    rec.method = rec.method.or(Some(r.method));
                                    rec.path = Some(r.target);
                                    rec.protocol = rec.protocol.or(r.protocol);
                                    path_src = PathSource::Request;
                                }
                            }
                        }
                        Var::Method => rec.method = dash_to_none(v),
                        Var::RequestUri => {
                            if let Some(p) = dash_to_none(v) {
                                rec.path = Some(p);
                                path_src = PathSource::RequestUri;
                            }
                        }
                        Var::Uri => {
                            if path_src < PathSource::Uri {
                                if let Some(p) = dash_to_none(v) {
                                    rec.path = Some(p);
                                    path_src = PathSource::Uri;
                                }
                            }
                        }
                        Var::Protocol => rec.protocol = dash_to_none(v),
                        Var::Status => {
                            rec.status = parse_status(v).map_err(|_| bad(RejectKind::BadStatus))?
                        }
                        Var::BodyBytes => {
                            if v != b"-" {
                                rec.bytes = Some(parse_u64(v).ok_or(bad(RejectKind::BadNumber))?);
                                rec.bytes_kind = BytesKind::Body;
                                body_bytes = true;
                            }
                        }
                        Var::BytesSent => {
                            if !body_bytes && v != b"-" {
                                rec.bytes = Some(parse_u64(v).ok_or(bad(RejectKind::BadNumber))?);
                                rec.bytes_kind = BytesKind::Total;
                            }
                        }
                        Var::Duration { unit_us, whole_s } => {
                            if v != b"-" {
                                rec.duration_us = Some(
                                    parse_decimal_us(v, u64::from(*unit_us))
                                        .ok_or(bad(RejectKind::BadNumber))?,
                                );
                                rec.duration_whole_s = *whole_s;
                            }
                        }
                        Var::UpstreamStatus => {
                            upstream_seen = true;
                            rec.origin_status = last_listed_status(v);
                        }
                        Var::UpstreamAnswer { header: true } => upstream_answer.header_time(v),
                        Var::UpstreamAnswer { header: false } => upstream_answer.length(v),
                        Var::Upstream { service } => {
                            // `$proxy_upstream_name` (ingress-nginx) names the service; the
                            // address is the fallback.
                            if *service || rec.upstream.is_none() {
                                rec.upstream = dash_to_none(v).or(rec.upstream);
                            }
                        }
                        Var::UserAgent => rec.user_agent = dash_to_none(v),
                        Var::Referer => rec.referer = dash_to_none(v),
                        Var::ErrorMarker => rec.error_marker = dash_to_none(v),
                        Var::Other { .. } => {}
                    }
                    pos = end;
                }
            }
        }
        if self.has_upstream_status && upstream_seen {
            rec.origin = match (rec.origin_status, rec.status) {
                (u, _) if nginx_made(u, upstream_answer) => Origin::Gateway,
                (Some(u), Some(s)) if u == s => Origin::App,
                _ => Origin::Gateway,
            };
        }
        Ok(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPSTREAMINFO: &str = r#"log_format upstreaminfo '$remote_addr - $remote_user [$time_local] "$request" '
        '$status $body_bytes_sent "$http_referer" "$http_user_agent" '
        '$request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr '
        '$upstream_response_length $upstream_response_time $upstream_status $req_id';"#;

    fn fmt(body: &str) -> NginxFormat {
        NginxFormat::compile(body, &JsonMapping::default()).expect("compiles")
    }

    fn apache(format: &str) -> NginxFormat {
        NginxFormat::compile_apache(format, &JsonMapping::default()).expect("compiles")
    }

    /// Apache `LogFormat` strings as httpd.conf and the Apache docs write them: the directive
    /// and nickname around them, escaped quotes, durations in each unit, conditions.
    #[test]
    fn apache_log_formats_read_into_the_record() {
        let line = br#"api.example.com:443 10.0.0.7 - bob [10/Oct/2000:13:55:36 -0700] "POST /api/orders?x=1 HTTP/1.1" 201 2326 "https://example.com/" "okhttp/4.12" 1523"#;
        let vhost = r#"LogFormat "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\" %{ms}T" vhost_timed"#;
        let r = apache(vhost).parse(line).expect("parses");
        assert_eq!(r.client, Some(&b"10.0.0.7"[..]));
        assert_eq!(
            (r.method, r.path),
            (Some(&b"POST"[..]), Some(&b"/api/orders?x=1"[..]))
        );
        assert_eq!((r.status, r.bytes), (Some(201), Some(2326)));
        assert_eq!(r.bytes_kind, BytesKind::Total);
        assert_eq!(r.referer, Some(&b"https://example.com/"[..]));
        assert_eq!(r.user_agent, Some(&b"okhttp/4.12"[..]));
        assert_eq!(
            (r.duration_us, r.duration_whole_s),
            (Some(1_523_000), false)
        );
        assert_eq!(r.time_ms, Some(971_211_336_000));
        // The same line read with each duration unit Apache has.
        for (directive, us, whole) in [
            ("%D", 1_523, false),
            ("%{us}T", 1_523, false),
            ("%{ms}T", 1_523_000, false),
            ("%T", 1_523_000_000, true),
            ("%{s}T", 1_523_000_000, true),
        ] {
            let f = apache(&vhost.replace("%{ms}T", directive));
            let r = f.parse(line).expect("parses");
            assert_eq!(
                (r.duration_us, r.duration_whole_s),
                (Some(us), whole),
                "{directive}"
            );
        }
        // Bare string, conditions, the original status, `%%`, a response header that flags
        // errors; `-` bytes.
        let f = apache(
            r#"%a %l %u %t "%m %U%q %H" %<s %b %!200,304{X-Error-Code}o 100%% %400,501{User-agent}i"#,
        );
        let r = f
            .parse(br#"::1 - - [10/Oct/2000:13:55:36 -0700] "GET /api/x?q=1 HTTP/1.1" 200 - CARD_DECLINED 100% -"#)
            .expect("parses");
        assert_eq!(
            (r.method, r.status, r.bytes),
            (Some(&b"GET"[..]), Some(200), None)
        );
        assert!(
            r.path.is_some_and(|p| p.starts_with(b"/api/x")),
            "{:?}",
            r.path
        );
        assert_eq!(r.error_marker, Some(&b"CARD_DECLINED"[..]));
        assert_eq!(f.name(), "apache");
        // What cannot be read is said at once.
        let err = |s: &str| NginxFormat::compile_apache(s, &JsonMapping::default()).expect_err(s);
        assert!(err(r#"%h %t "%r" %b"#).contains("no status"));
        assert!(err(r#"%h %{%Y-%m-%d}t "%r" %>s"#).contains("%t"));
        assert!(err(r#"%h %t "%r" %>s %{min}T"#).contains("unit"));
        assert!(err(r#"%h %t "%r" %>s %"#).contains("ends in"));
    }

    #[test]
    fn upstreaminfo_multi_upstream() {
        let f = fmt(UPSTREAMINFO);
        let line = br#"10.0.0.1 - - [07/Feb/2020:11:48:51 +0000] "GET /products/42 HTTP/1.1" 200 59 "-" "curl/7.54.0" 89 0.101 [default-web-8080] [] 172.17.0.6:8080, 172.17.0.7:8080 61, 100 0.100, 0.004 502, 200 529a0079"#;
        let r = f.parse(line).expect("parses");
        assert_eq!(r.status, Some(200));
        assert_eq!(r.origin_status, Some(200));
        assert_eq!(r.origin, Origin::App);
        assert_eq!(r.duration_us, Some(101_000));
        assert_eq!(r.path, Some(&b"/products/42"[..]));
        // The service's name wins over the addresses it was sent to.
        assert_eq!(r.upstream, Some(&b"default-web-8080"[..]));
        let line = br#"10.0.0.1 - - [07/Feb/2020:11:48:51 +0000] "GET / HTTP/1.1" 404 59 "-" "c" 89 0.001 [x] [] - - - - 529a"#;
        let r = f.parse(line).expect("parses");
        assert_eq!(r.upstream, Some(&b"x"[..]));
        assert_eq!(r.origin_status, None);
        assert_eq!(r.origin, Origin::Gateway);
        let line = br#"10.0.0.1 - - [07/Feb/2020:11:48:51 +0000] "GET / HTTP/1.1" 200 59 "-" "c" 89 0.001 [x] [] a:1 : b:2 1 : 2 0.1 : 0.2 404 : 200 529a"#;
        assert_eq!(f.parse(line).expect("parses").origin_status, Some(200));
        let only_addr = fmt(
            r#"'$remote_addr [$time_local] "$request" $status $upstream_addr $upstream_status'"#,
        );
        let r = only_addr
            .parse(br#"10.0.0.1 [07/Feb/2020:11:48:51 +0000] "GET / HTTP/1.1" 502 172.17.0.6:8080, 172.17.0.7:8080 502, 502"#)
            .expect("parses");
        assert_eq!(r.upstream, Some(&b"172.17.0.6:8080, 172.17.0.7:8080"[..]));
    }

    /// nginx logs its own 502 (no usable answer) and 504 (timed out) as the upstream's status
    /// too; the last server tried sending nothing back (length 0) tells them from the
    /// application's.
    #[test]
    fn nginx_made_502_and_504_are_the_gateways() {
        let f = fmt(UPSTREAMINFO);
        let origin = |tail: &str| {
            let line = format!(
                r#"10.0.0.1 - - [07/Feb/2020:11:48:51 +0000] "GET /r HTTP/1.1" {tail} 529a"#
            );
            f.parse(line.as_bytes()).expect("parses").origin
        };
        let timeout = r#"504 160 "-" "c" 89 60.001 [web] [] 172.17.0.6:8080 0 60.000 504"#;
        let refused = r#"502 150 "-" "c" 89 0.002 [web] [] 172.17.0.6:8080, 172.17.0.7:8080 0, 0 0.001, 0.001 502, 502"#;
        let app_504 = r#"504 160 "-" "c" 89 3.001 [web] [] 172.17.0.6:8080 160 3.000 504"#;
        let empty_204 = r#"204 0 "-" "c" 89 0.010 [web] [] 172.17.0.6:8080 0 0.010 204"#;
        assert_eq!(origin(timeout), Origin::Gateway);
        assert_eq!(origin(refused), Origin::Gateway);
        assert_eq!(origin(app_504), Origin::App);
        assert_eq!(origin(empty_204), Origin::App);
        // With `$upstream_header_time` logged it decides: the application's own empty 502
        // came back with a header, nginx's timeout (tried twice) did not.
        let f = fmt(
            r#"'$remote_addr [$time_local] "$request" $status $upstream_status $upstream_response_length $upstream_header_time'"#,
        );
        let origin = |tail: &str| {
            let line = format!(r#"10.0.0.1 [07/Feb/2020:11:48:51 +0000] "GET /r HTTP/1.1" {tail}"#);
            f.parse(line.as_bytes()).expect("parses").origin
        };
        assert_eq!(origin("502 502 0 0.004"), Origin::App);
        assert_eq!(origin("504 504, 504 0, 0 -, -"), Origin::Gateway);
        assert_eq!(origin("504 200, 504 512, 0 0.010, -"), Origin::Gateway);
    }

    #[test]
    fn a_second_record_run_into_a_line_rejects_it() {
        let f = fmt(
            r#"$remote_addr [$time_local] "$request" $status $request_time "$http_user_agent""#,
        );
        let one = r#"10.0.0.1 [01/May/2024:00:00:00 +0000] "GET /a HTTP/1.1" 200 0.004 "curl/8""#;
        let two = r#"10.0.0.2 [01/May/2024:00:00:01 +0000] "POST /b HTTP/1.1" 500 1.250 "ua""#;
        assert!(f.parse(one.as_bytes()).is_ok());
        let e = f
            .parse(format!("{one} {two}").as_bytes())
            .expect_err("two records on one line");
        assert_eq!((e.kind, e.offset as usize), (RejectKind::Layout, one.len()));
        // A format given shorter than the log's still reads the log (the rest is not a record).
        let longer = format!(r#"{one} "10.9.9.9" 0.003"#);
        let r = f.parse(longer.as_bytes()).expect("parses");
        assert_eq!(r.status, Some(200));
    }

    #[test]
    fn escape_json_and_iso_time() {
        let f = fmt(
            r#"escape=json '{"t":"$time_iso8601","s":$status,"u":"$request_uri","m":"$request_method","rt":$request_time,"e":"$sent_http_x_error_code"}'"#,
        );
        let r = f
            .parse(br#"{"t":"2024-12-10T10:53:47+00:00","s":409,"u":"/a\"b","m":"POST","rt":0.250,"e":"conflict"}"#)
            .expect("parses");
        assert_eq!(r.status, Some(409));
        assert_eq!(r.path, Some(&br#"/a\"b"#[..]));
        assert_eq!(&*r.decoded(r.path.expect("path")), b"/a\"b");
        assert_eq!(r.duration_us, Some(250_000));
        assert_eq!(r.error_marker, Some(&b"conflict"[..]));
        assert_eq!(r.escape, Escape::Json);
    }

    #[test]
    fn layout_mismatch_and_truncation() {
        let f = fmt(r#"$remote_addr [$time_local] "$request" $status"#);
        assert_eq!(
            f.parse(b"1.1.1.1 10/Oct").expect_err("no bracket").kind,
            RejectKind::Layout
        );
        assert_eq!(
            f.parse(br#"1.1.1.1 [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1"#)
                .expect_err("cut")
                .kind,
            RejectKind::Truncated
        );
        assert!(
            NginxFormat::compile("$remote_addr", &JsonMapping::default()).is_err(),
            "no $status"
        );
    }

    #[test]
    fn msec_and_dash_values() {
        let f = fmt("$msec $status $request_method $uri $request_time $body_bytes_sent");
        let r = f.parse(b"1673085237.244 499 GET /x - -").expect("parses");
        assert_eq!(r.time_ms, Some(1_673_085_237_244));
        assert_eq!(r.duration_us, None);
        assert_eq!(r.bytes, None);
        assert_eq!(r.method, Some(&b"GET"[..]));
    }

    /// ingress-nginx's default format, both versions, is found by auto-detection (before
    /// `combined`, which reads its lines without the duration and the upstream), and can be
    /// asked for by name; plain `combined` and `combined` with a trailing duration are not
    /// taken for it.
    #[test]
    fn ingress_nginx_is_detected_in_both_versions() {
        use crate::format::{detect, FormatOptions, FormatSpec};
        let new = br#"10.0.0.1 - - [07/Feb/2020:11:48:51 +0000] "GET /products/42 HTTP/1.1" 504 160 "-" "curl/7.54.0" 89 60.001 [default-web-8080] [] 172.17.0.6:8080 0 60.000 504 529a0079"#;
        let old = br#"10.0.0.1 - [10.0.0.1] - - [07/Feb/2020:11:48:51 +0000] "GET /products/42 HTTP/1.1" 504 160 "-" "curl/7.54.0" 89 60.001 [default-web-8080] 172.17.0.6:8080 0 60.000 504 529a0079"#;
        let oldest = br#"10.0.0.1 - [10.0.0.1] - - [07/Feb/2020:11:48:51 +0000] "GET /products/42 HTTP/1.1" 504 160 "-" "curl/7.54.0" 89 60.001 [default-web-8080] 172.17.0.6:8080 0 60.000 504"#;
        let combined = br#"10.0.0.1 - - [07/Feb/2020:11:48:51 +0000] "GET /products/42 HTTP/1.1" 200 160 "-" "curl/7.54.0""#;
        let with_time = br#"10.0.0.1 - - [07/Feb/2020:11:48:51 +0000] "GET /products/42 HTTP/1.1" 200 160 "-" "curl/7.54.0" 0.101"#;
        let opts = FormatOptions::default();
        for (line, spec, want) in [
            (&new[..], FormatSpec::Auto, "ingress-nginx"),
            (&old[..], FormatSpec::Auto, "ingress-nginx"),
            (&new[..], FormatSpec::Ingress, "ingress-nginx"),
            (&old[..], FormatSpec::Ingress, "ingress-nginx"),
            (&oldest[..], FormatSpec::Auto, "ingress-nginx"),
            (&oldest[..], FormatSpec::Ingress, "ingress-nginx"),
            (&combined[..], FormatSpec::Auto, "combined"),
            (&with_time[..], FormatSpec::Auto, "combined+sec"),
        ] {
            let f = detect(&spec, &[line, line], &opts).expect("a format");
            assert_eq!(f.name(), want, "{}", String::from_utf8_lossy(line));
            if want == "ingress-nginx" {
                let r = f.parse(line).expect("parses");
                assert_eq!(r.client, Some(&b"10.0.0.1"[..]));
                assert_eq!(r.duration_us, Some(60_001_000));
                assert_eq!((r.status, r.origin_status), (Some(504), Some(504)));
                assert_eq!(r.upstream, Some(&b"default-web-8080"[..]));
            }
        }
        assert_eq!(FormatSpec::parse("ingress-nginx"), Ok(FormatSpec::Ingress));
    }
}

//! NCSA Common and Combined Log Format, as nginx and Apache write them, with their common
//! variants: a virtual-host or syslog prefix before the client, a missing ident field, trailing
//! extra fields (nginx `main`'s `$http_x_forwarded_for`, `$gzip_ratio`), and a trailing request
//! duration: Apache `%D` (µs), `%T` (s) or nginx `$request_time` (s with ms).
//!
//! Layout (Apache `mod_log_config`, nginx `ngx_http_log_module`):
//! `%h %l %u %t "%r" %>s %b ["%{Referer}i" "%{User-agent}i"] [extra …]`.
//! Apache escapes `"` and `\` in quoted fields with a backslash and non-printable bytes as
//! `\xHH`; nginx (`escape=default`) writes `\xHH` for both. Fields stay escaped in the record.

use super::fields::{
    dash_to_none, find_byte, find_closing_quote, find_quote_or_backslash, parse_decimal_us,
    parse_status, parse_u64, parse_unit_duration_us, split_request,
};
use super::{time, Escape, LogFormat, ParseError, Record, RejectKind};

/// How to read a trailing duration field, decided per file by [`ClfFormat::sniffed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrailingDuration {
    /// No duration field.
    None,
    /// Apache `%D`: integer microseconds.
    Micros,
    /// Apache `%{ms}T`: integer milliseconds.
    Millis,
    /// Apache `%T` or nginx `$request_time`: seconds, possibly fractional.
    Seconds,
    /// The last unquoted field carries its unit (`12ms`): Traefik's CLF
    /// (`… "router" "backend URL" 12ms`).
    WithUnit,
    /// The extra field at this index after the user agent (quoted or not) is nginx's
    /// `$request_time` (seconds with ms), among others: `… "$http_user_agent"
    /// "$http_x_forwarded_for" $request_time $upstream_response_time …`.
    Field(u8),
    /// A `rt=` or `request_time=` field holds `$request_time`: the `upstream_time` format of
    /// nginx's documentation (`… "$http_user_agent" rt=$request_time uct="…" urt="…"`).
    Keyed,
}

/// The CLF parser.
#[derive(Clone, Debug)]
pub struct ClfFormat {
    name: String,
    duration: TrailingDuration,
}

/// How many extra fields after the user agent are looked at for `$request_time`.
const MAX_DURATION_FIELD: usize = 8;

/// The `want` of `parse_fields` when no extra field is wanted.
const NO_FIELD: usize = usize::MAX;

/// Tokens allowed before the client (vhost, `host:port`, a syslog header …).
const MAX_PREFIX_TOKENS: usize = 12;

/// Byte offsets of the fields of one line, shared by `parse` and the sniffer.
/// What the line says beyond the record (the record itself is filled in place: it is large,
/// and moving it through a wrapper costs a copy per line).
struct Parsed<'a> {
    /// The unquoted extra field after the user agent, when there is exactly one.
    trailing: Option<&'a [u8]>,
    /// The line has the referer and user-agent fields (combined, not common).
    combined: bool,
    /// The last unquoted extra field, when it is a duration with a unit (`12ms`).
    with_unit: Option<&'a [u8]>,
    /// The extra field at the index asked for (quotes taken off), when the line has more than
    /// one extra field or it is quoted (a lone unquoted one is `trailing`).
    field: Option<&'a [u8]>,
    /// The value of the first `rt=` or `request_time=` extra field, its quotes taken off.
    keyed: Option<&'a [u8]>,
}

impl ClfFormat {
    /// A parser named `base` (`combined`/`common`) whose trailing-duration handling and final
    /// name are chosen from a sample of the file's lines.
    pub fn sniffed(sample: &[&[u8]], base: &str) -> ClfFormat {
        let mut parsed = 0usize;
        let mut with_ua = 0usize;
        let mut trailing = 0usize;
        let mut with_unit = 0usize;
        let mut at = [0usize; MAX_DURATION_FIELD];
        let mut keyed = 0usize;
        let mut has_dot = false;
        let mut max_int = 0u64;
        let mut single_digit = 0usize;
        for line in sample {
            let mut rec = Record::default();
            let Ok(p) = parse_fields(line, &mut rec, NO_FIELD) else {
                continue;
            };
            parsed += 1;
            with_unit += usize::from(p.with_unit.is_some());
            for (k, n) in at.iter_mut().enumerate() {
                let mut rec = Record::default();
                if let Ok(p) = parse_fields(line, &mut rec, k) {
                    *n += usize::from(p.field.is_some_and(is_request_time));
                }
            }
            keyed += usize::from(p.keyed.is_some_and(|t| parse_decimal_us(t, 1).is_some()));
            if p.combined {
                with_ua += 1;
            }
            if let Some(t) = p.trailing {
                if t.contains(&b'.') {
                    has_dot |= parse_decimal_us(t, 1).is_some();
                    trailing += usize::from(parse_decimal_us(t, 1).is_some());
                } else if let Some(n) = parse_u64(t) {
                    max_int = max_int.max(n);
                    single_digit += usize::from(n < 10);
                    trailing += 1;
                }
            }
        }
        // A duration column is a property of the log format, so it shows on (nearly) every line.
        let most = |n: usize| parsed > 0 && n * 10 >= parsed * 9;
        let duration = if most(with_unit) {
            TrailingDuration::WithUnit
        } else if most(trailing) {
            if has_dot {
                TrailingDuration::Seconds
            } else if max_int > 60 && single_digit * 10 >= trailing {
                // Integers past a minute, yet one in ten under 10: no request is served in
                // under 10 µs, but many in under 10 ms — Apache's `%{ms}T`. (An API whose
                // every request takes 10 ms or more cannot be told from `%D` this way.)
                TrailingDuration::Millis
            } else if max_int > 60 {
                // %T is whole seconds: a value over a minute on every sampled line is not plausible
                // for it, while %D (µs) is rarely below 60 on real traffic.
                TrailingDuration::Micros
            } else {
                TrailingDuration::Seconds
            }
        } else if most(keyed) {
            TrailingDuration::Keyed
        } else if let Some(k) = at.iter().position(|&n| most(n)) {
            // The first field in `$request_time`'s shape: nginx logs it before
            // `$upstream_response_time`, which is never longer.
            TrailingDuration::Field(k as u8)
        } else {
            TrailingDuration::None
        };
        let base = if base == "combined" && parsed > 0 && with_ua * 2 < parsed {
            "common"
        } else {
            base
        };
        let name = match duration {
            TrailingDuration::None => base.to_string(),
            TrailingDuration::Micros => format!("{base}+usec"),
            TrailingDuration::Millis => format!("{base}+msec"),
            TrailingDuration::Seconds | TrailingDuration::Field(_) => format!("{base}+sec"),
            TrailingDuration::Keyed => format!("{base}+rt"),
            TrailingDuration::WithUnit => "traefik-clf".to_string(),
        };
        ClfFormat { name, duration }
    }

    /// A parser with an explicit trailing-duration mode.
    pub fn new(name: &str, duration: TrailingDuration) -> ClfFormat {
        ClfFormat {
            name: name.to_string(),
            duration,
        }
    }
}

impl LogFormat for ClfFormat {
    fn name(&self) -> &str {
        &self.name
    }

    fn family(&self) -> &'static str {
        "combined"
    }

    fn parse_into<'a>(&self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), ParseError> {
        rec.escape = Escape::Backslash;
        let want = match self.duration {
            TrailingDuration::Field(k) => usize::from(k),
            _ => NO_FIELD,
        };
        let p = parse_fields(line, rec, want)?;
        rec.duration_us = match (self.duration, p.trailing) {
            (TrailingDuration::WithUnit, _) => p.with_unit.and_then(parse_unit_duration_us),
            (TrailingDuration::Keyed, _) => p.keyed.and_then(|t| parse_decimal_us(t, 1_000_000)),
            (TrailingDuration::Field(_), _) => p.field.and_then(|t| parse_decimal_us(t, 1_000_000)),
            (TrailingDuration::Micros, Some(t)) => parse_u64(t),
            (TrailingDuration::Millis, Some(t)) => {
                parse_u64(t).and_then(|ms| ms.checked_mul(1_000))
            }
            (TrailingDuration::Seconds, Some(t)) => {
                rec.duration_whole_s = !t.contains(&b'.');
                parse_decimal_us(t, 1_000_000)
            }
            // A file whose first lines had no duration may gain one: nginx's `$request_time`
            // added to its `log_format` mid-file. Only its exact shape (`0.012`: milliseconds
            // to three decimals) is read, not `$gzip_ratio`'s two or `$msec`'s epoch.
            (TrailingDuration::None, Some(t)) if is_request_time(t) => {
                parse_decimal_us(t, 1_000_000)
            }
            _ => None,
        };
        Ok(())
    }
}

/// The value of a `rt=…` or `request_time=…` token (`rt="0.012"` too), nginx's
/// `$request_time` by the names people give it.
fn request_time_value(t: &[u8]) -> Option<&[u8]> {
    let v = t
        .strip_prefix(b"rt=")
        .or_else(|| t.strip_prefix(b"request_time="))?;
    Some(
        v.strip_prefix(b"\"")
            .and_then(|v| v.strip_suffix(b"\""))
            .unwrap_or(v),
    )
}

/// Whether `t` reads like nginx's `$request_time`: seconds with three decimals, under a
/// million seconds (a Unix time in `$msec` has ten digits before its point).
fn is_request_time(t: &[u8]) -> bool {
    match t.iter().position(|&b| b == b'.') {
        Some(i) => {
            (1..=6).contains(&i)
                && t.len() == i + 4
                && t[..i].iter().all(u8::is_ascii_digit)
                && t[i + 1..].iter().all(u8::is_ascii_digit)
        }
        None => false,
    }
}

#[inline]
fn skip_spaces(line: &[u8], mut pos: usize) -> usize {
    while pos < line.len() && line[pos] == b' ' {
        pos += 1;
    }
    pos
}

/// The next space-delimited token from `pos`: (start, end). Tokens here are short (addresses,
/// status, sizes): [`find_byte`]'s inline compare of 16 bytes at a time, not `memchr`'s setup
/// nor a test per byte (callgrind, 8 MB combined: −2.2 % of a run's instructions against the
/// byte loop).
#[inline]
fn token(line: &[u8], pos: usize) -> (usize, usize) {
    (pos, find_byte(line, pos, b' ').unwrap_or(line.len()))
}

/// Whether `rest` (what follows a `[` among a line's extra fields) starts with a CLF time
/// closed by `]` and then a quoted field: the start of a second record on the line.
fn glued_time(rest: &[u8]) -> bool {
    let Some(close) = memchr::memchr(b']', rest) else {
        return false;
    };
    time::parse_clf(&rest[..close]).is_some()
        && rest[close + 1..].trim_ascii_start().first() == Some(&b'"')
}

/// The end of a bracketed IPv6 address at `pos` whose `]` is `close` bytes on, with the
/// `:port` that may follow it, when a space follows: where Go's servers and some proxies write
/// an IPv6 client as in a URL. `None` for anything else (a time).
fn bracketed_address(line: &[u8], pos: usize, close: usize) -> Option<usize> {
    let inner = std::str::from_utf8(&line[pos + 1..pos + close]).ok()?;
    inner.parse::<std::net::Ipv6Addr>().ok()?;
    let mut end = pos + close + 1;
    if line.get(end) == Some(&b':') {
        let digits = line[end + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        end += 1 + digits;
    }
    (line.get(end) == Some(&b' ')).then_some(end)
}

/// A field that is either `"quoted"` or a bare token (`-`). Returns (value, next position).
#[inline]
fn quoted_or_bare(line: &[u8], pos: usize) -> Result<(&[u8], usize), ParseError> {
    // `"-"`, the usual referer (and user agent of scripts), without a search: `-` is neither a
    // quote nor a backslash, so the quote after it closes the field.
    if line.get(pos..pos + 3) == Some(b"\"-\"") {
        return Ok((&line[pos + 1..pos + 2], pos + 3));
    }
    if line.get(pos) == Some(&b'"') {
        let close =
            find_closing_quote(line, pos + 1).ok_or(ParseError::new(RejectKind::Truncated, pos))?;
        Ok((&line[pos + 1..close], close + 1))
    } else {
        let (s, e) = token(line, pos);
        Ok((&line[s..e], e))
    }
}

/// A virtual-host token: a name or address with a dot or a port, nothing a syslog header or
/// a program tag (`nginx:`) holds.
fn looks_like_host(v: &[u8]) -> bool {
    v.len() > 1
        && !v.ends_with(b":")
        && v.iter().any(|&b| b == b'.' || b == b':')
        && v.iter().all(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']')
        })
}

// Inlined into `parse`, the record it fills is built where `parse` returns it: a call kept
// apart cost a 330-byte copy of the record per line.
#[inline(always)]
fn parse_fields<'a>(
    line: &'a [u8],
    rec: &mut Record<'a>,
    want: usize,
) -> Result<Parsed<'a>, ParseError> {
    // Prefix tokens up to the timestamp: [prefix…] client ident user.
    let mut pre: [(usize, usize); MAX_PREFIX_TOKENS] = [(0, 0); MAX_PREFIX_TOKENS];
    let mut n = 0;
    let mut pos = skip_spaces(line, 0);
    let time_field: Option<(usize, usize)>;
    loop {
        if pos >= line.len() {
            return Err(ParseError::new(RejectKind::Truncated, pos));
        }
        if line[pos] == b'[' {
            // The usual time is the 26 bytes after `[`, the same as the line before's: when
            // they are the time last parsed here and a `]` follows, that `]` is the first (a
            // CLF time holds none), found without a search.
            if line.get(pos + 27) == Some(&b']') {
                if let Some(ms) = line.get(pos + 1..pos + 27).and_then(time::clf_cache_hit) {
                    rec.time_ms = Some(ms);
                    time_field = None; // read already
                    pos += 28;
                    break;
                }
            }
            let close = memchr::memchr(b']', &line[pos..])
                .ok_or(ParseError::new(RejectKind::Truncated, pos))?;
            if let Some(end) = bracketed_address(line, pos, close) {
                // A client written `[2001:db8::1]` (or `[::1]:4711`): an address, not the time.
                if n == MAX_PREFIX_TOKENS {
                    return Err(ParseError::new(RejectKind::Layout, pos));
                }
                pre[n] = (pos + 1, pos + close);
                n += 1;
                pos = skip_spaces(line, end);
                continue;
            }
            time_field = Some((pos + 1, pos + close));
            pos += close + 1;
            break;
        }
        let (s, e) = token(line, pos);
        if n == 3 && &line[s..e] == b"-" && line.get(skip_spaces(line, e)) != Some(&b'[') {
            // All-dash lines (`- - - - "-" - -`): the time itself is absent.
            time_field = None;
            pos = e;
            break;
        }
        if n == MAX_PREFIX_TOKENS {
            return Err(ParseError::new(RejectKind::Layout, s));
        }
        pre[n] = (s, e);
        n += 1;
        pos = skip_spaces(line, e);
    }
    if n < 2 {
        return Err(ParseError::new(RejectKind::Layout, 0));
    }
    let client = if n >= 3 { pre[n - 3] } else { pre[0] };
    rec.client = dash_to_none(&line[client.0..client.1]);
    if n == 4 {
        // Apache's vhost_combined (`%v:%p %h %l %u …`) and nginx logs that put `$host` first.
        let vhost = &line[pre[0].0..pre[0].1];
        if looks_like_host(vhost) {
            rec.host = Some(vhost);
        }
    }
    let user = pre[n - 1];
    if dash_to_none(&line[user.0..user.1]).is_some() {
        rec.authenticated = Some(true);
    }
    if let Some((s, e)) = time_field {
        let t = &line[s..e];
        if t != b"-" {
            rec.time_ms = Some(
                time::parse_clf_cached(t)
                    .or_else(|| time::parse_iso8601(t))
                    .ok_or(ParseError::new(RejectKind::BadTimestamp, s))?,
            );
        }
    }
    // "request"
    pos = skip_spaces(line, pos);
    if pos >= line.len() {
        return Err(ParseError::new(RejectKind::Truncated, pos));
    }
    let (request, next, plain) = if line[pos] == b'"' {
        // The first quote or backslash after the opening quote: a quote means the request
        // holds no escape, and its path needs no decoding later.
        let first = find_quote_or_backslash(line, pos + 1)
            .ok_or(ParseError::new(RejectKind::Truncated, pos))?;
        if line[first] == b'"' {
            (&line[pos + 1..first], first + 1, true)
        } else {
            let close = find_closing_quote(line, first)
                .ok_or(ParseError::new(RejectKind::Truncated, pos))?;
            (&line[pos + 1..close], close + 1, false)
        }
    } else if line[pos] == b'-' {
        (&line[pos..pos + 1], pos + 1, true)
    } else {
        return Err(ParseError::new(RejectKind::Layout, pos));
    };
    if let Some(r) = split_request(request) {
        rec.method = Some(r.method);
        rec.path = Some(r.target);
        rec.protocol = r.protocol;
        rec.plain_path = plain;
    }
    // status
    pos = skip_spaces(line, next);
    let (s, e) = token(line, pos);
    if s == e {
        return Err(ParseError::new(RejectKind::Truncated, s));
    }
    rec.status =
        parse_status(&line[s..e]).map_err(|_| ParseError::new(RejectKind::BadStatus, s))?;
    // bytes
    pos = skip_spaces(line, e);
    let (s, e) = token(line, pos);
    if s == e {
        return Err(ParseError::new(RejectKind::Truncated, s));
    }
    let b = &line[s..e];
    if b != b"-" {
        rec.bytes = Some(parse_u64(b).ok_or(ParseError::new(RejectKind::BadNumber, s))?);
    }
    // "referer" "user agent" — optional (common format stops here).
    pos = skip_spaces(line, e);
    let mut trailing = None;
    let mut with_unit = None;
    let mut field = None;
    let mut extras = 0usize;
    let mut keyed = None;
    let mut combined = false;
    // Bare tokens in a row since the last quoted field: ` host ident user [time] "…` after
    // them is a second record run into this one (a lost newline).
    if pos < line.len() {
        let mut bare_run = usize::from(line[pos] != b'"');
        let (referer, next) = quoted_or_bare(line, pos)?;
        rec.referer = dash_to_none(referer);
        pos = skip_spaces(line, next);
        if pos < line.len() {
            bare_run = if line[pos] == b'"' { 0 } else { bare_run + 1 };
            let (ua, next) = quoted_or_bare(line, pos)?;
            rec.user_agent = dash_to_none(ua);
            combined = true;
            pos = next;
            // Extra fields: remember the only unquoted one, a duration candidate.
            let mut unquoted = 0;
            loop {
                pos = skip_spaces(line, pos);
                if pos >= line.len() {
                    break;
                }
                if line[pos] == b'"' {
                    bare_run = 0;
                    match find_closing_quote(line, pos + 1) {
                        Some(c) => {
                            if extras == want {
                                field = Some(&line[pos + 1..c]);
                            }
                            extras += 1;
                            pos = c + 1;
                        }
                        None => break,
                    }
                } else {
                    if line[pos] == b'[' && bare_run >= 3 && glued_time(&line[pos + 1..]) {
                        // Taking the first record would drop the second unseen: the line is
                        // rejected, and shown. (After a common-format record, the second's
                        // host and ident sit where a referer and user agent would.)
                        return Err(ParseError::new(RejectKind::Layout, pos));
                    }
                    let (s, e) = token(line, pos);
                    if extras == want {
                        field = Some(&line[s..e]);
                    }
                    extras += 1;
                    if keyed.is_none() {
                        keyed = request_time_value(&line[s..e]);
                    }
                    bare_run += 1;
                    unquoted += 1;
                    with_unit = Some(&line[s..e]).filter(|t| {
                        t.last().is_some_and(u8::is_ascii_alphabetic)
                            && parse_unit_duration_us(t).is_some()
                    });
                    trailing = Some(&line[s..e]);
                    pos = e;
                }
            }
            if unquoted != 1 {
                trailing = None;
            } else if extras == 1 && field.is_some() {
                // A lone unquoted extra field is `trailing`'s to read.
                field = None;
            }
        }
    }
    Ok(Parsed {
        trailing,
        combined,
        with_unit,
        field,
        keyed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn combined() -> ClfFormat {
        ClfFormat::new("combined", TrailingDuration::None)
    }

    struct Case {
        name: &'static str,
        line: &'static str,
        method: Option<&'static str>,
        path: Option<&'static str>,
        status: Option<u16>,
        bytes: Option<u64>,
        client: Option<&'static str>,
        ua: Option<&'static str>,
    }

    fn s(v: Option<&[u8]>) -> Option<&str> {
        v.map(|b| std::str::from_utf8(b).expect("test lines are UTF-8"))
    }

    #[test]
    fn case_table() {
        let cases = [
            Case {
                name: "valid combined",
                line: r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#,
                method: Some("GET"),
                path: Some("/apache_pb.gif"),
                status: Some(200),
                bytes: Some(2326),
                client: Some("127.0.0.1"),
                ua: Some("Mozilla/4.08 [en] (Win98; I ;Nav)"),
            },
            Case {
                name: "common",
                line: r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 404 -"#,
                method: Some("GET"),
                path: Some("/a"),
                status: Some(404),
                bytes: None,
                client: Some("127.0.0.1"),
                ua: None,
            },
            Case {
                name: "dash request",
                line: r#"::1 - - [10/Oct/2000:13:55:36 -0700] "-" 408 -"#,
                method: None,
                path: None,
                status: Some(408),
                bytes: None,
                client: Some("::1"),
                ua: None,
            },
            Case {
                name: "empty request",
                line: r#"0.0.0.0 - - [04/Oct/2022:04:34:49 +0000] "" 400 0 "" """#,
                method: None,
                path: None,
                status: Some(400),
                bytes: Some(0),
                client: Some("0.0.0.0"),
                ua: None,
            },
            Case {
                name: "escaped quotes",
                line: r#"192.168.0.1 - - [28/Feb/2013:12:00:00 +0900] "GET /\" HTTP/1.1" 200 777 "referer \\ \"" "user agent \\ \"""#,
                method: Some("GET"),
                path: Some(r#"/\""#),
                status: Some(200),
                bytes: Some(777),
                client: Some("192.168.0.1"),
                ua: Some(r#"user agent \\ \""#),
            },
            Case {
                name: "tls junk",
                line: r#"1.2.3.4 - - [17/Oct/2023:05:57:49 +1100] "\x16\x03\x01\x02" 400 226 "-" "-""#,
                method: None,
                path: None,
                status: Some(400),
                bytes: Some(226),
                client: Some("1.2.3.4"),
                ua: None,
            },
            Case {
                name: "ipv6 client, http2",
                line: r#"2001:db8::1 - - [10/Oct/2000:13:55:36 -0700] "GET /x?y=1 HTTP/2.0" 200 5 "-" "curl""#,
                method: Some("GET"),
                path: Some("/x?y=1"),
                status: Some(200),
                bytes: Some(5),
                client: Some("2001:db8::1"),
                ua: Some("curl"),
            },
            Case {
                name: "http/0.9",
                line: r#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET /" 200 5"#,
                method: Some("GET"),
                path: Some("/"),
                status: Some(200),
                bytes: Some(5),
                client: Some("1.1.1.1"),
                ua: None,
            },
            Case {
                name: "vhost prefix",
                line: r#"www.example.net:80 192.168.1.1 - - [08/Jun/2020:08:04:43 +0000] "GET /x HTTP/1.1" 301 0 "-" "ua""#,
                method: Some("GET"),
                path: Some("/x"),
                status: Some(301),
                bytes: Some(0),
                client: Some("192.168.1.1"),
                ua: Some("ua"),
            },
            Case {
                name: "missing ident",
                line: r#"192.168.1.1 - [08/Jun/2020:08:04:43 +0000] "GET /api/test HTTP/1.1" 200 100 "-" "curl/7.68.0""#,
                method: Some("GET"),
                path: Some("/api/test"),
                status: Some(200),
                bytes: Some(100),
                client: Some("192.168.1.1"),
                ua: Some("curl/7.68.0"),
            },
            Case {
                name: "all dashes",
                line: "- - - - - - -",
                method: None,
                path: None,
                status: None,
                bytes: None,
                client: None,
                ua: None,
            },
            Case {
                name: "status dash",
                line: r#"1.1.1.1 - - [11/Jan/2020:23:05:27 +0100] "OPTIONS /remote.php/ HTTP/1.1" - 7908 "-" "m""#,
                method: Some("OPTIONS"),
                path: Some("/remote.php/"),
                status: None,
                bytes: Some(7908),
                client: Some("1.1.1.1"),
                ua: Some("m"),
            },
        ];
        for c in cases {
            let r = combined()
                .parse(c.line.as_bytes())
                .unwrap_or_else(|e| panic!("{}: {e}", c.name));
            assert_eq!(s(r.method), c.method, "{}", c.name);
            assert_eq!(s(r.path), c.path, "{}", c.name);
            assert_eq!(r.status, c.status, "{}", c.name);
            assert_eq!(r.bytes, c.bytes, "{}", c.name);
            assert_eq!(s(r.client), c.client, "{}", c.name);
            assert_eq!(s(r.user_agent), c.ua, "{}", c.name);
        }
    }

    #[test]
    fn a_virtual_host_first_is_the_host() {
        let host = |line: &str| {
            let r = combined().parse(line.as_bytes()).expect("parses");
            s(r.host).map(str::to_string)
        };
        let tail =
            r#"192.168.1.1 - - [08/Jun/2020:08:04:43 +0000] "GET /x HTTP/1.1" 301 0 "-" "ua""#;
        assert_eq!(
            host(&format!("www.example.net:80 {tail}")).as_deref(),
            Some("www.example.net:80")
        );
        assert_eq!(
            host(&format!("api.example.com {tail}")).as_deref(),
            Some("api.example.com")
        );
        assert_eq!(host(tail), None);
        // A program tag or a syslog header is not a host.
        assert_eq!(host(&format!("nginx: {tail}")), None);
        assert_eq!(host(&format!("Jun 8 08:04:43 web1 nginx: {tail}")), None);
    }

    #[test]
    fn a_bracketed_ipv6_client_is_an_address() {
        let client = |line: &str| {
            let r = combined().parse(line.as_bytes()).expect("parses");
            (
                s(r.client).map(str::to_string),
                r.time_ms.is_some(),
                r.status,
            )
        };
        let tail = r#"- - [08/Jun/2020:08:04:43 +0000] "GET /x HTTP/1.1" 301 0 "-" "ua""#;
        for (prefix, want) in [
            ("[2001:db8::2]", "2001:db8::2"),
            ("[::1]:4711", "::1"),
            ("2001:db8::3", "2001:db8::3"),
        ] {
            assert_eq!(
                client(&format!("{prefix} {tail}")),
                (Some(want.to_string()), true, Some(301)),
                "{prefix}"
            );
        }
        // A bracketed token that is no address is still read as the time, and rejected.
        assert!(combined()
            .parse(format!("[10.0.0.1] {tail}").as_bytes())
            .is_err());
    }

    #[test]
    fn rejects() {
        let cases = [
            (
                "not a log line",
                "not a common log line",
                RejectKind::Truncated,
            ),
            (
                "bad timestamp",
                "- - - [1234] - - -",
                RejectKind::BadTimestamp,
            ),
            (
                "truncated in request",
                r#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTT"#,
                RejectKind::Truncated,
            ),
            (
                "truncated after time",
                "1.1.1.1 - - [10/Oct/2000:13:55:36 -0700]",
                RejectKind::Truncated,
            ),
            (
                "bad status",
                r#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" OK 5"#,
                RejectKind::BadStatus,
            ),
            (
                "bad bytes",
                r#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 five"#,
                RejectKind::BadNumber,
            ),
            (
                "error log line",
                r#"2025/01/03 16:41:26 [error] 31#31: *3 open() failed"#,
                RejectKind::BadTimestamp,
            ),
            ("empty", "", RejectKind::Truncated),
        ];
        for (name, line, kind) in cases {
            let e = combined().parse(line.as_bytes()).expect_err(name);
            assert_eq!(e.kind, kind, "{name}");
        }
    }

    #[test]
    fn a_second_record_run_into_a_line_rejects_it() {
        let one =
            r#"10.0.0.1 - - [01/May/2024:00:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "curl/8""#;
        let two =
            r#"10.0.0.2 - bob [01/May/2024:00:00:01 +0000] "POST /b HTTP/1.1" 201 9 "-" "ua""#;
        for f in [
            combined(),
            ClfFormat::new("combined+sec", TrailingDuration::Seconds),
        ] {
            let glued = format!("{one} {two}");
            let e = f
                .parse(glued.as_bytes())
                .expect_err("two records on one line");
            assert_eq!(e.kind, RejectKind::Layout);
            assert_eq!(e.offset as usize, one.len() + 1 + "10.0.0.2 - bob ".len());
            let timed = format!("{one} 0.004 {two} 0.010");
            assert!(f.parse(timed.as_bytes()).is_err(), "with durations");
        }
        // After a common-format record (no referer, no user agent), whatever the second is.
        let common = r#"10.0.0.1 - - [01/May/2024:00:00:00 +0000] "GET /a HTTP/1.1" 200 5"#;
        let common_two = r#"10.0.0.2 - - [01/May/2024:00:00:01 +0000] "GET /b HTTP/1.1" 404 -"#;
        for second in [common_two, two] {
            let glued = format!("{common} {second}");
            let e = ClfFormat::new("common", TrailingDuration::None)
                .parse(glued.as_bytes())
                .expect_err("two records on one line");
            assert_eq!(e.kind, RejectKind::Layout, "{glued}");
        }
        // Extra fields in brackets that are not a record's time are a format's own (the
        // ingress-nginx `upstreaminfo` layout), and a lone time in brackets is no record.
        for extra in [
            "0.001 348 0.001 [default-web2-8080] [] 172.17.0.6:8080 61 0.100 200",
            "a b c [01/May/2024:00:00:01 +0000]",
            "a b c [01/May/2024:00:00:01 +0000] 5",
            "a b [01/May/2024:00:00:01 +0000] \"x\"",
            "a \"q\" b c [01/May/2024:00:00:01 +0000] \"x\"",
        ] {
            let line = format!("{one} {extra}");
            assert!(combined().parse(line.as_bytes()).is_ok(), "{extra}");
        }
    }

    #[test]
    fn trailing_durations_are_sniffed() {
        let d = [
            br#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua" 1523"#
                .as_slice(),
            br#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua" 88"#
                .as_slice(),
        ];
        let f = ClfFormat::sniffed(&d, "combined");
        assert_eq!(f.name(), "combined+usec");
        assert_eq!(f.parse(d[0]).expect("parses").duration_us, Some(1523));
        // Apache's `%{ms}T`: past a minute's worth, yet requests served in under 10.
        let lines = |values: &[u64]| -> Vec<String> {
            values
                .iter()
                .map(|n| format!(r#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua" {n}"#))
                .collect()
        };
        let ms = lines(&[0, 3, 12, 45, 30002, 7, 180, 61, 2, 25]);
        let ms: Vec<&[u8]> = ms.iter().map(|l| l.as_bytes()).collect();
        let f = ClfFormat::sniffed(&ms, "combined");
        assert_eq!(f.name(), "combined+msec");
        assert_eq!(
            f.parse(ms[4]).expect("parses").duration_us,
            Some(30_002_000)
        );
        // One in ten under 10 is the line: one in eleven is not enough.
        let us = lines(&[0, 13, 12, 45, 30002, 17, 180, 61, 12, 25, 33]);
        let us: Vec<&[u8]> = us.iter().map(|l| l.as_bytes()).collect();
        assert_eq!(ClfFormat::sniffed(&us, "combined").name(), "combined+usec");
        let t = [
            br#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua" 2"#
                .as_slice(),
        ];
        let f = ClfFormat::sniffed(&t, "combined");
        assert_eq!(f.name(), "combined+sec");
        let r = f.parse(t[0]).expect("parses");
        assert_eq!((r.duration_us, r.duration_whole_s), (Some(2_000_000), true));
        let n = [
            br#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua" 0.050"#
                .as_slice(),
        ];
        let r = ClfFormat::sniffed(&n, "combined")
            .parse(n[0])
            .expect("parses");
        assert_eq!((r.duration_us, r.duration_whole_s), (Some(50_000), false));
        // nginx `main`: a quoted X-Forwarded-For is not a duration.
        let m = [
            br#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua" "-""#
                .as_slice(),
        ];
        assert_eq!(ClfFormat::sniffed(&m, "combined").name(), "combined");
        let traefik = [br#"172.17.0.1 - - [08/Dec/2021:09:16:05 +0000] "GET /x HTTP/1.1" 502 414 "-" "-" 500 "test@docker" "http://172.17.0.3:80" 12ms"#.as_slice()];
        let f = ClfFormat::sniffed(&traefik, "combined");
        assert_eq!(f.name(), "traefik-clf");
        assert_eq!(
            f.parse(traefik[0]).expect("parses").duration_us,
            Some(12_000)
        );
        let c = [br#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5"#.as_slice()];
        assert_eq!(ClfFormat::sniffed(&c, "combined").name(), "common");
    }

    /// nginx formats that log `$request_time` among other extra fields: the first field in its
    /// shape, quoted or not, or a `rt=` field (the `upstream_time` format of nginx's docs, its
    /// first field glued to the user agent's quote). Not a field in the shape on too few lines.
    #[test]
    fn a_request_time_among_extra_fields_is_sniffed() {
        let line = |i: usize, extra: &str| {
            format!(
                r#"1.1.1.{i} - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua"{extra}"#
            )
        };
        let cases = [
            (" {t} 0.010", "combined+sec"),
            (" {t} -", "combined+sec"),
            (" {t} 0.010, 0.002 : 0.001", "combined+sec"),
            (r#" "1.2.3.4, 10.0.0.1" {t} 0.010 ."#, "combined+sec"),
            (r#" "-" "{t}" "0.010""#, "combined+sec"),
            (r#" example.com "{t}" "-""#, "combined+sec"),
            (
                r#"rt={t} uct="0.000" uht="0.009" urt="0.010""#,
                "combined+rt",
            ),
            (
                r#" request_time="{t}" upstream="10.0.0.9:80""#,
                "combined+rt",
            ),
        ];
        for (extra, name) in cases {
            let lines: Vec<String> = (0..10)
                .map(|i| line(i, &extra.replace("{t}", &format!("0.{:03}", 20 + i))))
                .collect();
            let sample: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
            let f = ClfFormat::sniffed(&sample, "combined");
            assert_eq!(f.name(), name, "{extra}");
            for (i, l) in sample.iter().enumerate() {
                let r = f.parse(l).expect("parses");
                assert_eq!(r.duration_us, Some(20_000 + i as u64 * 1_000), "{extra}");
            }
            // The field missing on a later line (`-`) is no duration, and no error.
            let dash = line(0, &extra.replace("{t}", "-"));
            assert_eq!(f.parse(dash.as_bytes()).expect("parses").duration_us, None);
        }
        // Shaped like `$request_time` on 8 lines in 10 only: no duration column.
        let lines: Vec<String> = (0..10)
            .map(|i| line(i, if i < 8 { " 0.012 0.010" } else { " - -" }))
            .collect();
        let sample: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        assert_eq!(ClfFormat::sniffed(&sample, "combined").name(), "combined");
        // Nor are other numbers: `$gzip_ratio` (two decimals), `$msec`, sizes.
        for extra in [
            " 2.01 7.20",
            " 1700000000.123 5",
            " 512 0.5",
            r#" "-" "2.50""#,
        ] {
            let l = line(0, extra);
            let f = ClfFormat::sniffed(&[l.as_bytes()], "combined");
            assert_eq!(f.name(), "combined", "{extra}");
        }
    }

    /// A file sniffed without a duration reads one that appears later (`$request_time` added
    /// mid-file) only in `$request_time`'s shape: not `$gzip_ratio`, `$msec` or an integer.
    #[test]
    fn a_request_time_added_mid_file_is_read() {
        let f = combined();
        let with = |t: &str| {
            format!(
                r#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua" {t}"#
            )
        };
        let d = |t: &str| f.parse(with(t).as_bytes()).expect("parses").duration_us;
        assert_eq!(d("0.050"), Some(50_000));
        assert_eq!(d("30.001"), Some(30_001_000));
        for not in ["2.01", "1700000000.123", "1523", "-", ".050", "0.0500"] {
            assert_eq!(d(not), None, "{not}");
        }
    }

    #[test]
    fn a_path_with_escapes_is_decoded_and_a_plain_one_is_not_searched() {
        fn parse(line: &[u8]) -> Record<'_> {
            combined().parse(line).expect("parses")
        }
        let plain = parse(
            br#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a/b?q=1 HTTP/1.1" 200 5 "-" "x\"y""#,
        );
        assert!(plain.plain_path);
        assert_eq!(plain.route_path().as_deref(), Some(&b"/a/b?q=1"[..]));
        let escaped = parse(
            br#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a\x20b/\"c HTTP/1.1" 200 5 "-" "-""#,
        );
        assert!(!escaped.plain_path);
        assert_eq!(escaped.path, Some(&br#"/a\x20b/\"c"#[..]));
        assert_eq!(escaped.route_path().as_deref(), Some(&b"/a b/\"c"[..]));
        // A backslash only in a later field leaves the request plain.
        assert_eq!(plain.user_agent, Some(&br#"x\"y"#[..]));
    }

    #[test]
    fn the_time_of_the_line_before_is_found_without_a_search_and_only_when_it_closes() {
        let f = combined();
        let line = |time: &str| {
            format!(r#"1.1.1.1 - - [{time}] "GET / HTTP/1.1" 200 5 "-" "-""#).into_bytes()
        };
        let (l1, l2) = (
            line("10/Oct/2000:13:55:36 -0700"),
            line("10/Oct/2000:13:55:36 -0700"),
        );
        let first = f.parse(&l1).expect("parses");
        // The same time again: taken from the cache, the same answer.
        let again = f.parse(&l2).expect("parses");
        assert_eq!(first.time_ms, Some(971_211_336_000));
        assert_eq!(again.time_ms, first.time_ms);
        assert_eq!(again.path, Some(&b"/"[..]));
        // The cached 26 bytes, but the field goes on: searched, and not a time.
        let l3 = line("10/Oct/2000:13:55:36 -0700 x");
        assert_eq!(
            f.parse(&l3).expect_err("not a time").kind,
            RejectKind::BadTimestamp
        );
        // The cached 26 bytes closed by a second `]`: the first closes the time.
        let l4 = line("10/Oct/2000:13:55:36 -0700]");
        assert_eq!(
            f.parse(&l4).expect_err("a stray ]").kind,
            RejectKind::Layout
        );
    }

    #[test]
    fn crlf_and_time() {
        let r = combined()
            .parse(super::super::fields::trim_line(
                b"1.1.1.1 - bob [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 5\r",
            ))
            .expect("parses");
        assert_eq!(r.time_ms, Some(971_211_336_000));
        assert_eq!(r.bytes, Some(5));
        assert_eq!(r.authenticated, Some(true));
    }
}

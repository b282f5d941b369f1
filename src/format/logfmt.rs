//! logfmt lines (`key=value key="quoted value"`): Heroku's router log, and applications that
//! log their requests as key/value pairs (Go's logfmt and log/slog text handler, logrus's text
//! formatter, lograge's key_value).
//!
//! Keys map to record fields as JSON keys do (the same built-in names and `--json-field`),
//! with the router's own beside them: `fwd` (the client, `X-Forwarded-For`), `service` (the
//! application's time), `dyno` (the instance that answered) and `code` (`H12`: the router's
//! own error, whose status the router produced). A bare number under `duration` is
//! milliseconds (lograge, Rails); a Heroku application's own lines (`app[web.1]:`, or APP-NAME
//! `app` in a syslog drain) are skipped, as the router logs the same requests. Up to [`MAX_PREFIX`] tokens before the first
//! pair (`2024-05-01T00:00:00.000000+00:00 heroku[router]:`, a syslog header) are skipped; an
//! RFC 3339 time among them is the line's time when no key gives one.

use super::fields::find_closing_quote;
use super::json::{builtin, Collected, JsonMapping, Scalar, TargetField};
use super::{time, Escape, LogFormat, ParseError, Record, RejectKind};

/// Most tokens before the first `key=value` pair.
pub const MAX_PREFIX: usize = 8;
/// Most parts of a dotted key looked up (the rest is left out of its path).
const MAX_KEY_PARTS: usize = 8;

/// The logfmt parser.
#[derive(Clone, Debug, Default)]
pub struct LogfmtFormat {
    mapping: JsonMapping,
}

impl LogfmtFormat {
    /// A parser with the user's key mappings (`--json-field`).
    pub fn new(mapping: JsonMapping) -> LogfmtFormat {
        LogfmtFormat { mapping }
    }
}

#[inline]
fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// A byte a key may hold (logfmt: anything above a space but `=` and `"`).
#[inline]
fn is_key_byte(b: u8) -> bool {
    KEY_BYTE[usize::from(b)]
}

/// [`is_key_byte`] as a table (one load a byte instead of four compares).
static KEY_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = b'!';
    while b < 0xff {
        t[b as usize] = b != b'=' && b != b'"' && b != 0x7f;
        b += 1;
    }
    t[0xff] = true;
    t
};

/// The end of the run of bytes from `from` that `keep` accepts (a slice search: no bounds
/// check per byte).
#[inline(always)]
fn scan(line: &[u8], from: usize, keep: impl Fn(u8) -> bool) -> usize {
    let rest = line.get(from..).unwrap_or_default();
    from + rest.iter().position(|&b| !keep(b)).unwrap_or(rest.len())
}

/// Heroku's router error codes: `H` and two digits.
fn is_router_code(v: &[u8]) -> bool {
    matches!(v, [b'H', a, b] if a.is_ascii_digit() && b.is_ascii_digit())
}

/// Fields of the keys logfmt writers use apart from JSON's (Heroku's router; a bare number
/// under `duration` is milliseconds, as lograge and Rails write it — Go's writers add a
/// unit). The generic names come from JSON's table.
fn logfmt_key(key: &[u8], value: &[u8]) -> Option<TargetField> {
    Some(match key {
        b"duration" if !value.iter().any(u8::is_ascii_alphabetic) => TargetField::DurationMs,
        b"fwd" => TargetField::Client,
        // The application's time; `connect` before it is the router's.
        b"service" => TargetField::DurationMs,
        b"dyno" => TargetField::Instance,
        b"code" if is_router_code(value) => TargetField::GatewayError,
        _ => return None,
    })
}

impl LogFormat for LogfmtFormat {
    fn name(&self) -> &str {
        "logfmt"
    }

    fn family(&self) -> &'static str {
        "logfmt"
    }

    fn parse_into<'a>(&self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), ParseError> {
        let mut c = Collected::default();
        let mut prefix = 0;
        let mut prefix_time = None;
        // The line starts with an RFC 5424 syslog header (`<158>1`).
        let mut syslog = false;
        let mut pairs = 0;
        let mut i = 0;
        loop {
            i = scan(line, i, is_space);
            if i >= line.len() {
                break;
            }
            let start = i;
            i = scan(line, i, is_key_byte);
            if i > start && line.get(i) == Some(&b'=') {
                let key = &line[start..i];
                i += 1;
                let value = if line.get(i) == Some(&b'"') {
                    let close = find_closing_quote(line, i + 1)
                        .ok_or(ParseError::new(RejectKind::Truncated, i))?;
                    let v = &line[i + 1..close];
                    i = close + 1;
                    v
                } else {
                    let s = i;
                    i = scan(line, i, |b| !is_space(b) && b != b'"');
                    &line[s..i]
                };
                // A pair ends at a space (`a="x"y` and `a=x"y` are not logfmt).
                if line.get(i).is_some_and(|&b| !is_space(b)) {
                    return Err(ParseError::new(RejectKind::Layout, i));
                }
                pairs += 1;
                // A dotted key (`http.status`) is a path, as a nested JSON key is.
                let mut parts: [&[u8]; MAX_KEY_PARTS] = [&[]; MAX_KEY_PARTS];
                let mut n = 0;
                for part in key.split(|&b| b == b'.').take(MAX_KEY_PARTS) {
                    parts[n] = part;
                    n += 1;
                }
                let path = &parts[..n];
                let field = self
                    .mapping
                    .target_for(path)
                    .or_else(|| logfmt_key(key, value))
                    .or_else(|| builtin(path));
                if let Some(f) = field {
                    c.apply(rec, f, path, Scalar::Str(value));
                }
                continue;
            }
            // A token that is not a pair: a bare key among the pairs (logfmt's `key` alone),
            // or before them a prefix token (a time, a syslog header, `heroku[router]:`).
            i = scan(line, i, |b| !is_space(b));
            let token = &line[start..i];
            if pairs > 0 {
                if !token.iter().all(|&b| is_key_byte(b)) {
                    return Err(ParseError::new(RejectKind::Layout, start));
                }
                continue;
            }
            prefix += 1;
            if prefix > MAX_PREFIX || token.contains(&b'"') {
                return Err(ParseError::new(RejectKind::Layout, start));
            }
            // A Heroku application's own line (`app[web.1]:`, or `app` as the syslog
            // drain's APP-NAME after `<PRI>1 TIMESTAMP HOST`; lograge's key=value): the
            // router logs the same request, so reading both would count it twice.
            if token.starts_with(b"app[") && token.ends_with(b"]:")
                || prefix == 4 && token == b"app" && syslog
            {
                return Err(ParseError::new(RejectKind::Header, start));
            }
            syslog |= prefix == 1 && token.starts_with(b"<") && token.ends_with(b">1");
            if prefix_time.is_none() {
                prefix_time = time::parse_iso8601(token);
            }
        }
        if pairs == 0 {
            return Err(ParseError::new(RejectKind::Layout, 0));
        }
        c.finish_into(Escape::Json, rec)?;
        rec.time_ms = rec.time_ms.or(prefix_time);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Origin;

    fn parse(line: &str) -> Result<Record<'_>, ParseError> {
        LogfmtFormat::default().parse(line.as_bytes())
    }

    #[test]
    fn heroku_router_lines() {
        // From Heroku's router documentation (Dev Center, "HTTP Routing" and "Heroku Error
        // Codes"), as `heroku logs` prints them.
        let ok = "2024-05-01T12:00:01.123456+00:00 heroku[router]: at=info method=GET path=\"/users/7?x=1\" host=myapp.herokuapp.com request_id=8601b555-6a76-4c11-a9d6-ab5bbd9a7b4b fwd=\"204.204.204.204\" dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https";
        let r = parse(ok).expect("router line");
        assert_eq!(
            (r.method, r.path, r.status),
            (Some(&b"GET"[..]), Some(&b"/users/7?x=1"[..]), Some(200))
        );
        assert_eq!(
            (r.client, r.host, r.duration_us, r.bytes),
            (
                Some(&b"204.204.204.204"[..]),
                Some(&b"myapp.herokuapp.com"[..]),
                Some(18_000),
                Some(13)
            )
        );
        assert_eq!(r.origin, Origin::App, "a dyno answered");
        assert_eq!(
            r.time_ms,
            time::parse_iso8601(b"2024-05-01T12:00:01.123Z"),
            "the time before the pairs"
        );
        let timeout = "2024-05-01T12:00:31.000000+00:00 heroku[router]: at=error code=H12 desc=\"Request timeout\" method=GET path=\"/reports\" host=myapp.herokuapp.com request_id=a1 fwd=\"10.1.0.1,204.204.204.205\" dyno=web.1 connect=0ms service=30000ms status=503 bytes=0 protocol=https";
        let r = parse(timeout).expect("H12");
        assert_eq!(
            (r.status, r.duration_us, r.origin),
            (Some(503), Some(30_000_000), Origin::Gateway),
            "the router's own 503"
        );
        assert_eq!(r.details.get("gateway_error"), Some(&b"H12"[..]));
        assert_eq!(r.client, Some(&b"204.204.204.205"[..]), "the last hop");
        // A syslog drain's header (RFC 5424), no dyno (H14: no web dynos running).
        let drain = "<158>1 2024-05-01T12:00:02+00:00 host heroku router - at=error code=H14 desc=\"No web processes running\" method=GET path=\"/\" host=myapp.herokuapp.com fwd=\"1.2.3.4\" dyno= connect= service= status=503 bytes= protocol=https";
        let r = parse(drain).expect("drain");
        assert_eq!((r.status, r.origin), (Some(503), Origin::Gateway));
        assert_eq!((r.duration_us, r.bytes), (None, None), "empty values");
        assert_eq!(r.time_ms, time::parse_iso8601(b"2024-05-01T12:00:02Z"));
        // The application's own line of a request the router logged: skipped, not counted.
        let app = "2024-05-01T12:00:01.100000+00:00 app[web.1]: method=GET path=/users/7 format=html controller=UsersController action=show status=200 duration=58.33 view=40.43 db=15.26";
        assert_eq!(parse(app).expect_err("app line").kind, RejectKind::Header);
        let drained = "<190>1 2024-05-01T12:00:01.100000+00:00 host app web.1 - method=GET path=/users/7 status=200 duration=58.33";
        assert_eq!(
            parse(drained).expect_err("drained").kind,
            RejectKind::Header
        );
        let not_syslog = "2024-05-01T12:00:01Z host svc app - method=GET path=/users/7 status=200";
        assert!(
            parse(not_syslog).is_ok(),
            "`app` read as APP-NAME only after a syslog header"
        );
    }

    #[test]
    fn application_lines() {
        // Go's log/slog text handler: a duration with its unit, quoted message.
        let r = parse("time=2024-05-01T12:00:00.500Z level=INFO msg=\"request done\" method=POST path=/api/orders status=201 duration=12.5ms remote_addr=10.0.0.9")
            .expect("slog");
        assert_eq!(
            (r.method, r.status, r.duration_us, r.client),
            (
                Some(&b"POST"[..]),
                Some(201),
                Some(12_500),
                Some(&b"10.0.0.9"[..])
            )
        );
        assert_eq!(r.time_ms, time::parse_iso8601(b"2024-05-01T12:00:00.5Z"));
        assert_eq!(r.origin, Origin::Unknown);
        // lograge's key_value format: a bare `duration` in milliseconds.
        let r = parse("method=GET path=/users format=html controller=UsersController action=index status=200 duration=58.33 view=40.43 db=15.26")
            .expect("lograge");
        assert_eq!((r.status, r.duration_us), (Some(200), Some(58_330)));
        // An escaped quote in a value, a bare key, `code` that is not a router's.
        let r = parse("method=GET path=\"/a b\" status=404 ua=\"x \\\"y\\\"\" cached code=404")
            .expect("escapes");
        assert_eq!(r.path, Some(&b"/a b"[..]));
        assert_eq!(&*r.decoded(r.user_agent.expect("ua")), b"x \"y\"");
        assert_eq!(r.origin, Origin::Unknown);
        // A custom mapping wins over the built-in names; a dotted key is a nested path.
        let mut m = JsonMapping::default();
        m.add("rc=status").expect("valid");
        m.add("http.took=duration_ms").expect("valid");
        m.add("service=upstream").expect("valid");
        let r = LogfmtFormat::new(m)
            .parse(b"verb=GET uri=/x rc=502 http.took=250 service=checkout")
            .expect("mapped");
        assert_eq!(
            (r.status, r.duration_us, r.upstream),
            (Some(502), Some(250_000), Some(&b"checkout"[..]))
        );
        // Nested built-in names by their dotted path (GCP's `httpRequest`).
        let r =
            parse("httpRequest.requestMethod=GET httpRequest.requestUrl=/y httpRequest.status=204")
                .expect("dotted");
        assert_eq!((r.method, r.status), (Some(&b"GET"[..]), Some(204)));
    }

    #[test]
    fn key_bytes_are_logfmts() {
        for b in 0..=255u8 {
            let spec = b > b' ' && b != b'=' && b != b'"' && b != 0x7f;
            assert_eq!(is_key_byte(b), spec, "{b:#04x}");
        }
    }

    #[test]
    fn rejects() {
        let kind = |l: &str| parse(l).expect_err(l).kind;
        // Lines of other formats.
        for l in [
            r#"1.2.3.4 - - [01/May/2024:00:00:00 +0000] "GET /a?b=1 HTTP/1.1" 200 5 "-" "curl""#,
            r#"{"status":200,"path":"/"}"#,
            "2024-05-01 00:00:00 10.0.0.1 GET /default.htm a=b 80 - 10.0.0.2 Mozilla/5.0 - 200 0 0 15",
            "plain text without pairs",
        ] {
            assert!(
                matches!(
                    parse(l).map_err(|e| e.kind),
                    Err(RejectKind::Layout | RejectKind::Header)
                ),
                "{l}"
            );
        }
        assert_eq!(kind("method=GET path=/a"), RejectKind::NoStatus);
        assert_eq!(kind("at=info msg=\"started\""), RejectKind::Header);
        assert_eq!(kind("status=abc method=GET"), RejectKind::BadStatus);
        assert_eq!(kind("status=200 path=\"/a"), RejectKind::Truncated);
        assert_eq!(kind("status=200 path=\"/a\"b"), RejectKind::Layout);
        assert_eq!(kind("a b c d e f g h i status=200"), RejectKind::Layout);
    }
}

//! HAProxy's HTTP log format (`option httplog`; `option httpslog` adds fields after the
//! request), as HAProxy's configuration manual, section 8.2.3, lays it out:
//!
//! `[syslog header] haproxy[pid]: client_ip:port [accept_date] frontend backend/server
//! TR/Tw/Tc/Tr/Ta status bytes_read req_cookie resp_cookie termination_state
//! actconn/feconn/beconn/srv_conn/retries srv_queue/backend_queue [{req_headers}]
//! [{resp_headers}] "request"`.
//!
//! `accept_date` is local time with milliseconds and no zone (`06/Feb/2009:12:14:14.655`):
//! taken as UTC. The last timer is the request's total time in ms (`Ta`; `Tt` before 1.9;
//! `+`-prefixed under `option logasap`); `-1` means a phase never ended. The termination
//! state's first two letters say who ended the session and in which phase: the status of a
//! session that HAProxy ended before the server's headers came (`sH` server timeout → 504,
//! `SC` connection refused → 503, `PR` denied, `LR` served locally) is HAProxy's own.

use super::fields::{
    next_field, parse_decimal_us, parse_status, parse_u64, split_host_port, split_request,
};
use super::{time, BytesKind, Escape, LogFormat, Origin, ParseError, Record, RejectKind};

/// The HAProxy HTTP log parser.
#[derive(Clone, Copy, Debug, Default)]
pub struct HaproxyFormat;

impl LogFormat for HaproxyFormat {
    fn name(&self) -> &str {
        "haproxy"
    }

    fn family(&self) -> &'static str {
        "haproxy"
    }

    fn parse_into<'a>(&self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), ParseError> {
        let (client_at, date_at, close) =
            find_accept_date(line).ok_or(ParseError::new(RejectKind::Layout, 0))?;
        // HAProxy writes `"` and control bytes of the request line as `#XX`: nothing to undo.
        rec.escape = Escape::None;
        // `client_ip:port`: IPv6 addresses come without brackets, and the port is always there.
        rec.client = Some(split_host_port(&line[client_at..date_at - 2]));
        rec.time_ms = Some(
            time::parse_clf(&line[date_at..close])
                .ok_or(ParseError::new(RejectKind::BadTimestamp, date_at))?,
        );
        let mut pos = close + 1;
        // The next field and where it starts (the fields before the request are unquoted).
        let mut field = || -> Result<(usize, &'a [u8]), ParseError> {
            let (v, next) =
                next_field(line, pos).ok_or(ParseError::new(RejectKind::Truncated, pos))?;
            pos = next;
            Ok((next - v.len(), v))
        };
        let (_, _frontend) = field()?;
        let (_, backend) = field()?;
        let (at, timers) = field()?;
        let total = timers.rsplit(|&b| b == b'/').next().unwrap_or(timers);
        if timers.iter().filter(|&&b| b == b'/').count() < 3 {
            return Err(ParseError::new(RejectKind::Layout, at));
        }
        let total = total.strip_prefix(b"+").unwrap_or(total);
        if total != b"-1" {
            rec.duration_us = Some(
                parse_decimal_us(total, 1_000).ok_or(ParseError::new(RejectKind::BadNumber, at))?,
            );
        }
        let (at, status) = field()?;
        // `-1`: no response was sent (the client went away first).
        rec.status = if status == b"-1" {
            None
        } else {
            parse_status(status).map_err(|_| ParseError::new(RejectKind::BadStatus, at))?
        };
        let (at, bytes) = field()?;
        let bytes = bytes.strip_prefix(b"+").unwrap_or(bytes);
        rec.bytes = Some(parse_u64(bytes).ok_or(ParseError::new(RejectKind::BadNumber, at))?);
        rec.bytes_kind = BytesKind::Total;
        // The captured cookies, then the termination state (two letters without cookie
        // persistence, four with).
        let (_, _) = field()?;
        let (_, _) = field()?;
        let (at, state) = field()?;
        if !(state.len() == 2 || state.len() == 4) {
            return Err(ParseError::new(RejectKind::Layout, at));
        }
        rec.details.push(super::Detail::TerminationState, state);
        rec.origin = origin(state);
        if let Some(i) = memchr::memchr(b'/', backend) {
            let (name, server) = (&backend[..i], &backend[i + 1..]);
            rec.upstream = Some(name);
            if server != b"<NOSRV>" && rec.origin == Origin::App {
                rec.details.push(super::Detail::UpstreamHost, server);
            }
        }
        // Connection counts and queues, then captured headers (`{…}`, which may hold spaces)
        // and the quoted request.
        let rest = &line[pos..];
        let open = memchr::memchr(b'"', rest).ok_or(ParseError::new(RejectKind::Truncated, pos))?;
        let request_at = pos + open + 1;
        let request = &line[request_at..];
        // A request cut at HAProxy's buffer size has no closing quote.
        let request = match memchr::memchr(b'"', request) {
            Some(end) => &request[..end],
            None => request,
        };
        if let Some(r) = split_request(request) {
            rec.method = Some(r.method);
            rec.path = Some(r.target);
            rec.protocol = r.protocol;
        }
        Ok(())
    }
}

/// Who set the status, from the termination state: HAProxy when it ended the session (or
/// answered itself) before the server's response headers came, the server otherwise.
fn origin(state: &[u8]) -> Origin {
    match (state[0], state[1]) {
        // The client aborted (`C`) or timed out (`c`) before its request was whole: the 400
        // or 408 is HAProxy's.
        (b'C' | b'c', b'R') => Origin::Gateway,
        // Ended normally, or by the client later: the status (if any) is the server's.
        (b'-' | b'C' | b'c', _) => Origin::App,
        // The server's headers had come: ended in the data phase.
        (_, b'D' | b'L') => Origin::App,
        _ => Origin::Gateway,
    }
}

/// The accept date in brackets after the client address: (client start, date start, `]`).
/// The date is the first bracketed `dd/Mon/yyyy:hh:mm:ss[.mmm]` preceded by an `address:port`
/// token; a syslog header and the `haproxy[pid]:` tag come before it.
fn find_accept_date(line: &[u8]) -> Option<(usize, usize, usize)> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'[', &line[from..]) {
        let open = from + i;
        from = open + 1;
        if open < 2 || line[open - 1] != b' ' {
            continue;
        }
        let len = memchr::memchr(b']', &line[open + 1..])?;
        let close = open + 1 + len;
        let date = &line[open + 1..close];
        if !(20..=24).contains(&date.len()) || date[2] != b'/' || date[11] != b':' {
            continue;
        }
        let client_at = line[..open - 1]
            .iter()
            .rposition(|&b| b == b' ')
            .map_or(0, |s| s + 1);
        let client = &line[client_at..open - 1];
        if client.contains(&b':') && !client.ends_with(b":") {
            return Some((client_at, open + 1, close));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Record<'_> {
        HaproxyFormat.parse(line.as_bytes()).expect("parses")
    }

    /// The examples of HAProxy's configuration manual (8.2.3, 8.5) and the shapes HAProxy
    /// writes to stdout in containers (no syslog header).
    #[test]
    fn manual_examples() {
        let r = parse(
            r#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#,
        );
        assert_eq!(
            (r.method, r.path, r.protocol, r.status),
            (
                Some(&b"GET"[..]),
                Some(&b"/index.html"[..]),
                Some(&b"HTTP/1.1"[..]),
                Some(200)
            )
        );
        assert_eq!(
            (r.client, r.bytes, r.duration_us, r.time_ms),
            (
                Some(&b"10.0.1.2"[..]),
                Some(2750),
                Some(109_000),
                Some(1_233_922_454_655)
            )
        );
        assert_eq!(r.origin, Origin::App);
        assert_eq!(r.upstream, Some(&b"static"[..]));
        // Server timeout before the response headers: HAProxy's own 504.
        let r = parse(
            r#"haproxy[8]: 172.18.0.1:51234 [03/Dec/2026:10:00:00.001] fe be/app1 0/0/1/-1/30002 504 194 - - sH-- 3/3/1/1/0 0/0 "POST /api/orders HTTP/1.1""#,
        );
        assert_eq!((r.status, r.origin), (Some(504), Origin::Gateway));
        assert_eq!(r.duration_us, Some(30_002_000));
        // No server to send to (`SC`: connection refused; `<NOSRV>`), a denied request, the
        // stats page: HAProxy's. Aborted by the client: no status.
        for (state, status, origin) in [
            ("SC--", "503", Origin::Gateway),
            ("PR--", "403", Origin::Gateway),
            ("LR--", "200", Origin::Gateway),
            ("SD--", "200", Origin::App),
            ("CD--", "200", Origin::App),
            ("CH--", "-1", Origin::App),
            ("cR--", "408", Origin::Gateway),
            ("CR--", "400", Origin::Gateway),
            ("--", "201", Origin::App),
        ] {
            let line = format!(
                r#"10.0.0.9:4711 [03/Dec/2026:10:00:00.001] fe~ be/<NOSRV> 0/-1/-1/-1/0 {status} 212 - - {state} 1/1/0/0/0 0/0 "GET /x HTTP/1.1""#
            );
            let r = parse(&line);
            assert_eq!(r.origin, origin, "{state}");
            assert_eq!(r.status, status.parse().ok(), "{state}");
        }
        // IPv6 client, `option logasap` (`+`), captured headers with spaces, `httpslog`'s
        // fields after the request, a request cut at the buffer's end.
        let r = parse(
            r#"2001:db8::7:40522 [03/Dec/2026:10:00:00.100] fe be/s1 5/0/0/12/+17 200 +810 - - ---- 1/1/1/1/0 0/0 {Mozilla/5.0 (X11; Linux x86_64)|api.example.com} "GET /v1/items?page=2 HTTP/1.1" 0/0000000000000000/0/0/0 api.example.com/TLSv1.3/TLS_AES_256_GCM_SHA384"#,
        );
        assert_eq!(r.client, Some(&b"2001:db8::7"[..]));
        assert_eq!((r.duration_us, r.bytes), (Some(17_000), Some(810)));
        assert_eq!(r.path, Some(&b"/v1/items?page=2"[..]));
        let r = parse(
            r#"10.0.0.9:4711 [03/Dec/2026:10:00:00.001] fe be/s1 0/0/0/1/1 414 200 - - PR-- 1/1/0/0/0 0/0 "GET /aaaaaaaa"#,
        );
        assert_eq!(r.path, Some(&b"/aaaaaaaa"[..]));
        // Bad requests: no method or path, the status kept.
        let r = parse(
            r#"10.0.0.9:4711 [03/Dec/2026:10:00:00.001] fe fe/<NOSRV> -1/-1/-1/-1/0 400 187 - - PR-- 1/1/0/0/0 0/0 "<BADREQ>""#,
        );
        assert_eq!(
            (r.status, r.method, r.duration_us),
            (Some(400), None, Some(0))
        );
    }

    #[test]
    fn rejects() {
        for (line, kind) in [
            // A TCP-mode line (`option tcplog`): no HTTP fields.
            (
                "10.0.0.9:4711 [03/Dec/2026:10:00:00.001] fe be/s1 0/0/5 212 -- 1/1/0/0/0 0/0",
                RejectKind::Layout,
            ),
            (
                r#"10.0.0.1 - - [01/May/2024:00:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "curl/8""#,
                RejectKind::Layout,
            ),
            (
                r#"10.0.0.9:4711 [03/Dec/2026:10:00:00.001] fe be/s1 0/0/0/1/x 200 5 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1""#,
                RejectKind::BadNumber,
            ),
            (
                r#"10.0.0.9:4711 [03/Dec/2026:10:00:00.001] fe be/s1 0/0/0/1/1 2000 5 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1""#,
                RejectKind::BadStatus,
            ),
            (
                "10.0.0.9:4711 [03/Dec/2026:10:00:00.001] fe be/s1 0/0/0/1/1 200 5 - - ---- 1/1/0/0/0 0/0",
                RejectKind::Truncated,
            ),
            ("", RejectKind::Layout),
            ("[", RejectKind::Layout),
        ] {
            let e = HaproxyFormat.parse(line.as_bytes()).expect_err(line);
            assert_eq!(e.kind, kind, "{line}");
        }
    }
}

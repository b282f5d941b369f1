//! Amazon CloudFront standard logs
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html>),
//! and the other W3C extended log this parser reads: Microsoft IIS's
//! (<https://learn.microsoft.com/en-us/windows/win32/http/w3c-logging>), space-separated,
//! `time-taken` in milliseconds, `cs-host` and `cs-version`, spaces in the user agent as `+`.
//!
//! Tab-separated W3C extended log format, driven by the `#Fields:` header: the field order is
//! read from the first header in the file's first lines, or the documented default order when
//! there is none. `#Version`/`#Fields` lines are headers (skipped, not rejected). CloudFront
//! URL-encodes its text fields (a space in a user agent is `%20`, a `%` is `%25`), so text
//! fields are decoded once ([`Escape::Url`]); paths stay encoded like every other format's.

use std::sync::Arc;

use super::fields::{dash_to_none, parse_decimal_us, parse_status, parse_u64, split_on};
use super::{time, Escape, LogFormat, ParseError, Record, RejectKind};

/// The documented field order (2019 onwards, 33 fields).
const DEFAULT_FIELDS: &str = "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status \
cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol \
cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version \
fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type \
sc-content-len sc-range-start sc-range-end";

/// Which W3C extended log a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum W3c {
    /// CloudFront: tab-separated, `time-taken` in seconds, text fields URL-encoded.
    Cloudfront,
    /// IIS: space-separated, `time-taken` in milliseconds.
    Iis,
}

impl W3c {
    /// The format's name.
    fn name(self) -> &'static str {
        match self {
            W3c::Cloudfront => "cloudfront",
            W3c::Iis => "iis",
        }
    }

    /// The byte between fields.
    fn separator(self) -> u8 {
        match self {
            W3c::Cloudfront => b'\t',
            W3c::Iis => b' ',
        }
    }

    /// How text fields are escaped: IIS writes a space as `+` and nothing else encoded (read
    /// back in `records`; paths stay as logged).
    fn escape(self) -> Escape {
        match self {
            W3c::Cloudfront => Escape::Url,
            W3c::Iis => Escape::Plus,
        }
    }

    /// Microseconds in one unit of `time-taken`.
    fn time_taken_us(self) -> u64 {
        match self {
            W3c::Cloudfront => 1_000_000,
            W3c::Iis => 1_000,
        }
    }
}

/// Positions of the fields the record needs (`usize::MAX` when the header lacks one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudfrontFormat {
    kind: W3c,
    date: usize,
    time: usize,
    bytes: usize,
    client: usize,
    method: usize,
    host: usize,
    stem: usize,
    status: usize,
    user_agent: usize,
    referer: usize,
    query: usize,
    time_taken: usize,
    protocol: usize,
    result_type: usize,
    detailed_result_type: usize,
    x_host: usize,
    username: usize,
    /// Fewest fields a data line holds: nine, or the header's count when it names fewer (IIS 5
    /// logged `time c-ip cs-method cs-uri-stem sc-status`).
    min_fields: usize,
    /// The last `#Date:` directive, for a layout with a `time` field and no `date`: (midnight
    /// of its day, its time of day), in ms. W3C's draft: the directive gives "the date and
    /// time at which the entries were added"; IIS writes one at each file's start and at each
    /// restart, and starts a new file each day.
    day: Option<(i64, i64)>,
}

const NONE: usize = usize::MAX;
const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

impl CloudfrontFormat {
    /// A parser for the given `#Fields:` list (space-separated names).
    pub fn from_fields(names: &str) -> CloudfrontFormat {
        CloudfrontFormat::with_fields(names, W3c::Cloudfront)
    }

    /// A parser for the given `#Fields:` list of a log of `kind`.
    pub fn with_fields(names: &str, kind: W3c) -> CloudfrontFormat {
        let names: Vec<&str> = names.split_whitespace().collect();
        let at = |n: &str| names.iter().position(|x| *x == n).unwrap_or(NONE);
        let either = |a: &str, b: &str| if at(a) == NONE { at(b) } else { at(a) };
        CloudfrontFormat {
            kind,
            date: at("date"),
            time: at("time"),
            bytes: at("sc-bytes"),
            client: at("c-ip"),
            method: at("cs-method"),
            host: either("cs(Host)", "cs-host"),
            // The draft's `cs-uri` (the target, query and all) where there is no stem.
            stem: either("cs-uri-stem", "cs-uri"),
            status: at("sc-status"),
            user_agent: at("cs(User-Agent)"),
            referer: at("cs(Referer)"),
            query: at("cs-uri-query"),
            time_taken: at("time-taken"),
            protocol: either("cs-protocol-version", "cs-version"),
            result_type: at("x-edge-result-type"),
            detailed_result_type: at("x-edge-detailed-result-type"),
            x_host: at("x-host-header"),
            username: at("cs-username"),
            min_fields: names.len().clamp(1, 9),
            day: None,
        }
    }

    /// The time of a line whose layout has a `time` field and no `date`: that time of day on
    /// the day of the last `#Date:` directive, or the day after when it is more than an hour
    /// earlier than the directive (the file went on past midnight; a request received a little
    /// before the file was opened, by a writer that logs when requests come in, is not a day
    /// later).
    fn time_on_day(&self, tod: &[u8]) -> Result<Option<i64>, ParseError> {
        let Some((midnight, at)) = self.day else {
            return Ok(None);
        };
        let t = time::time_of_day_ms(tod).ok_or(ParseError::new(RejectKind::BadTimestamp, 0))?;
        let next_day = t + HOUR_MS < at;
        Ok(Some(midnight + t + if next_day { DAY_MS } else { 0 }))
    }

    /// The parser for a file, from the `#Fields:` header among its first lines; an IIS log
    /// when its data lines hold no tab (or `kind` says so).
    pub fn sniffed(sample: &[&[u8]], kind: Option<W3c>) -> CloudfrontFormat {
        let kind = kind.unwrap_or_else(|| {
            match sample
                .iter()
                .find(|l| !l.starts_with(b"#") && !l.is_empty())
            {
                Some(l) if !l.contains(&b'\t') && l.contains(&b' ') => W3c::Iis,
                _ => W3c::Cloudfront,
            }
        });
        for l in sample {
            if let Some(rest) = l.strip_prefix(b"#Fields:") {
                return CloudfrontFormat::with_fields(&String::from_utf8_lossy(rest), kind);
            }
        }
        match kind {
            W3c::Cloudfront => CloudfrontFormat::from_fields(DEFAULT_FIELDS),
            W3c::Iis => CloudfrontFormat::with_fields(IIS_DEFAULT_FIELDS, kind),
        }
    }
}

/// IIS's default W3C fields (IIS 8.5 onwards).
const IIS_DEFAULT_FIELDS: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port \
cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

/// Most fields read from a line.
const MAX_FIELDS: usize = 48;

impl LogFormat for CloudfrontFormat {
    fn name(&self) -> &str {
        self.kind.name()
    }

    fn family(&self) -> &'static str {
        self.kind.name()
    }

    fn relayout(&self, line: &[u8]) -> Option<Arc<dyn LogFormat>> {
        let next = if let Some(names) = line.strip_prefix(b"#Fields:") {
            CloudfrontFormat {
                day: self.day,
                ..CloudfrontFormat::with_fields(&String::from_utf8_lossy(names), self.kind)
            }
        } else {
            // Kept whatever the layout: the `#Fields:` after it may drop `date`.
            let date = line
                .strip_prefix(b"#Date:")
                .or_else(|| line.strip_prefix(b"#Start-Date:"))?;
            let at = time::parse_w3c_date(date.trim_ascii())?;
            let midnight = at.div_euclid(DAY_MS) * DAY_MS;
            CloudfrontFormat {
                day: Some((midnight, at - midnight)),
                ..self.clone()
            }
        };
        (next != *self).then(|| Arc::new(next) as Arc<dyn LogFormat>)
    }

    fn relayouts(&self) -> bool {
        true
    }

    fn parse_into<'a>(&self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), ParseError> {
        if line.starts_with(b"#") {
            return Err(ParseError::new(RejectKind::Header, 0));
        }
        let mut f: [&[u8]; MAX_FIELDS] = [&[]; MAX_FIELDS];
        let sep = self.kind.separator();
        let n = split_on(line, sep, &mut f);
        // A tab-separated line with (nearly) the header's field count, or it is something else.
        let need = [self.date, self.time, self.status]
            .into_iter()
            .filter(|&i| i != NONE)
            .max()
            .unwrap_or(0)
            + 1;
        if n < need.max(self.min_fields) {
            return Err(ParseError::new(
                if n > 1 {
                    RejectKind::Truncated
                } else {
                    RejectKind::Layout
                },
                0,
            ));
        }
        let get = |i: usize| {
            if i == NONE || i >= n {
                None
            } else {
                Some(f[i])
            }
        };
        rec.escape = self.kind.escape();
        if let (Some(d), Some(t)) = (get(self.date), get(self.time)) {
            // `2019-12-04` TAB `21:02:31`, UTC.
            let mut buf = [0u8; 19];
            if d.len() != 10 || t.len() != 8 {
                return Err(ParseError::new(RejectKind::BadTimestamp, 0));
            }
            buf[..10].copy_from_slice(d);
            buf[10] = b'T';
            buf[11..].copy_from_slice(t);
            rec.time_ms = Some(
                time::parse_iso8601(&buf).ok_or(ParseError::new(RejectKind::BadTimestamp, 0))?,
            );
        } else if let (None, Some(t)) = (get(self.date), get(self.time)) {
            // Some writers put the whole moment in `time`.
            rec.time_ms = match time::parse_iso8601(t) {
                Some(ms) => Some(ms),
                None => self.time_on_day(t)?,
            };
        }
        rec.status = match get(self.status) {
            Some(s) if s != b"000" => {
                parse_status(s).map_err(|_| ParseError::new(RejectKind::BadStatus, 0))?
            }
            // `000`: the viewer closed the connection before CloudFront answered.
            _ => None,
        };
        rec.bytes = get(self.bytes)
            .and_then(dash_to_none)
            .map(|b| parse_u64(b).ok_or(ParseError::new(RejectKind::BadNumber, 0)))
            .transpose()?;
        rec.bytes_kind = super::BytesKind::Total;
        rec.client = get(self.client).and_then(dash_to_none);
        rec.method = get(self.method).and_then(dash_to_none);
        rec.path = get(self.stem).and_then(dash_to_none);
        rec.query = get(self.query).and_then(dash_to_none);
        rec.host = get(self.x_host)
            .and_then(dash_to_none)
            .or_else(|| get(self.host).and_then(dash_to_none));
        rec.user_agent = get(self.user_agent).and_then(dash_to_none);
        rec.referer = get(self.referer).and_then(dash_to_none);
        rec.protocol = get(self.protocol).and_then(dash_to_none);
        rec.duration_us = get(self.time_taken)
            .and_then(dash_to_none)
            .map(|t| {
                parse_decimal_us(t, self.kind.time_taken_us())
                    .ok_or(ParseError::new(RejectKind::BadNumber, 0))
            })
            .transpose()?;
        // A user name means credentials were accepted (Basic, Windows); `-` says nothing of a
        // bearer token, which IIS does not see.
        if get(self.username).and_then(dash_to_none).is_some() {
            rec.authenticated = Some(true);
        }
        if let Some(v) = get(self.result_type) {
            rec.details.push(super::Detail::XEdgeResultType, v);
        }
        if let Some(v) = get(self.detailed_result_type) {
            rec.details.push(super::Detail::XEdgeDetailedResultType, v);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end";
    const LINE: &str = "2019-12-04\t21:02:31\tLAX1\t392\t2001:db8::7\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%2520(Windows%20NT)\tq=a%2Bb\t-\tHit\tSOX4==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\tTLSv1.2\tECDHE\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tOriginShieldHit\ttext/html\t78\t-\t-";

    #[test]
    fn header_driven() {
        let f = CloudfrontFormat::sniffed(&[b"#Version: 1.0", HEADER.as_bytes()], None);
        assert_eq!(f, CloudfrontFormat::from_fields(DEFAULT_FIELDS));
        assert_eq!(
            f.parse(HEADER.as_bytes()).expect_err("header").kind,
            RejectKind::Header
        );
        let r = f.parse(LINE.as_bytes()).expect("parses");
        assert_eq!(r.time_ms, time::parse_iso8601(b"2019-12-04T21:02:31Z"));
        assert_eq!(
            (r.status, r.bytes, r.duration_us),
            (Some(200), Some(392), Some(1_000))
        );
        assert_eq!(r.client, Some(&b"2001:db8::7"[..]));
        assert_eq!(
            (r.path, r.query),
            (Some(&b"/index.html"[..]), Some(&b"q=a%2Bb"[..]))
        );
        assert_eq!(r.protocol, Some(&b"HTTP/2.0"[..]));
        // Double-encoded by CloudFront: decoded once.
        assert_eq!(
            &*r.decoded(r.user_agent.expect("ua")),
            b"Mozilla/5.0%20(Windows NT)"
        );
        assert_eq!(
            r.details.get("x_edge_detailed_result_type"),
            Some(&b"OriginShieldHit"[..])
        );
    }

    /// A `#Fields:` directive mid-file holds for the lines after it (W3C's extended log): a
    /// different list gives a parser of the same kind with that layout; the same list again (a
    /// restart's headers), any other header, or a data line gives none. Over a chunk, the last
    /// directive at a line's start is the one in force after it.
    #[test]
    fn a_fields_directive_relayouts() {
        let iis = CloudfrontFormat::with_fields(IIS_DEFAULT_FIELDS, W3c::Iis);
        let more = format!("{IIS_DEFAULT_FIELDS} sc-bytes");
        let line = format!("#Fields: {more}");
        let next = iis.relayout(line.as_bytes()).expect("a new layout");
        assert_eq!(next.name(), "iis");
        let moved = "2024-05-01 00:00:01 10.0.0.5 GET /a - 443 - 1.2.3.4 curl - 404 0 0 12 5120";
        assert_eq!(
            next.parse(moved.as_bytes()).expect("parses").bytes,
            Some(5120)
        );
        let same = format!("#Fields: {IIS_DEFAULT_FIELDS}");
        assert!(iis.relayout(same.as_bytes()).is_none());
        // A `#Date:` is a new layout only by its day (kept for a `#Fields:` without `date`).
        let dated = iis.relayout(b"#Date: 2024-05-01 00:00:00").expect("a day");
        assert!(dated.relayout(b"#Date: 2024-05-01 00:00:00").is_none());
        assert!(iis.relayout(b"#Version: 1.0").is_none());
        assert!(iis.relayout(moved.as_bytes()).is_none());
        assert!(iis.relayouts() && next.relayouts());

        let current: Arc<dyn LogFormat> = Arc::new(iis.clone());
        let text = format!(
            "{moved}\r\n#Fields: date time cs-method\r\n{moved} #Fields: x\r\n{line}\r\n{moved}\n"
        );
        let after = super::super::layout_after(&current, text.as_bytes()).expect("relaid");
        assert_eq!(
            after.parse(moved.as_bytes()).expect("parses").bytes,
            Some(5120)
        );
        let restated = format!("{moved}\n{same}\n{moved}\n");
        assert!(super::super::layout_after(&current, restated.as_bytes()).is_none());
        // Formats without such headers are never looked at.
        let clf: Arc<dyn LogFormat> = Arc::new(super::super::clf::ClfFormat::new(
            "combined",
            super::super::clf::TrailingDuration::None,
        ));
        assert!(super::super::layout_after(&clf, text.as_bytes()).is_none());
    }

    /// IIS's W3C log (Microsoft's documented default fields): space-separated, detected by
    /// that, `time-taken` in ms, a Windows user name as credentials; a header naming
    /// `cs-host`/`cs-version`/`sc-bytes` is followed.
    #[test]
    fn iis() {
        let header = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";
        let line = r"2026-03-17 08:01:15 10.0.2.10 POST /Admin/EditUser.aspx userId=42 443 DOMAIN\admin1 10.0.1.51 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) https://myapp.com/Home.aspx 500 0 0 30012";
        let f = CloudfrontFormat::sniffed(
            &[
                b"#Software: Microsoft Internet Information Services 10.0",
                b"#Version: 1.0",
                header.as_bytes(),
                line.as_bytes(),
            ],
            None,
        );
        assert_eq!(f.name(), "iis");
        assert_eq!(
            f,
            CloudfrontFormat::with_fields(IIS_DEFAULT_FIELDS, W3c::Iis)
        );
        let r = f.parse(line.as_bytes()).expect("parses");
        assert_eq!(r.time_ms, time::parse_iso8601(b"2026-03-17T08:01:15Z"));
        assert_eq!(
            (r.method, r.path, r.query),
            (
                Some(&b"POST"[..]),
                Some(&b"/Admin/EditUser.aspx"[..]),
                Some(&b"userId=42"[..])
            )
        );
        assert_eq!(
            (r.status, r.duration_us, r.client, r.authenticated),
            (
                Some(500),
                Some(30_012_000),
                Some(&b"10.0.1.51"[..]),
                Some(true)
            )
        );
        // IIS's `+` for a space is read back in the user agent and referer; a path keeps its
        // `+` (it may be one), and so does its route.
        assert_eq!(
            &*r.decoded(r.user_agent.expect("ua")),
            b"Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
        );
        assert_eq!(
            &*r.decoded(r.referer.expect("referer")),
            b"https://myapp.com/Home.aspx"
        );
        let plus = line.replace("/Admin/EditUser.aspx", "/files/a+b.pdf");
        let r = f.parse(plus.as_bytes()).expect("parses");
        assert_eq!(r.route_path().as_deref(), Some(&b"/files/a+b.pdf"[..]));
        let anonymous = line.replace(r"DOMAIN\admin1", "-");
        let r = f.parse(anonymous.as_bytes()).expect("parses");
        assert_eq!(r.authenticated, None, "`-`: no Windows user, nothing known");
        let f = CloudfrontFormat::sniffed(
            &[b"#Fields: date time cs-method cs-uri-stem cs-host cs-version sc-status sc-bytes time-taken c-ip s-port"],
            Some(W3c::Iis),
        );
        let r = f
            .parse(b"2026-03-17 08:01:15 GET /a api.example.com HTTP/1.1 404 512 15 10.0.0.1 80")
            .expect("parses");
        assert_eq!(
            (r.host, r.protocol, r.bytes, r.duration_us),
            (
                Some(&b"api.example.com"[..]),
                Some(&b"HTTP/1.1"[..]),
                Some(512),
                Some(15_000)
            )
        );
        // A CloudFront line (tabs) is not an IIS line.
        assert!(f.parse(LINE.as_bytes()).is_err());
    }

    /// IIS 5's default layout (`time c-ip cs-method cs-uri-stem sc-status`, Microsoft's
    /// documented example) has five fields and no `date`: the day comes from the `#Date:`
    /// directive (IIS's `1998-05-02 17:42:15`, a day alone, or the draft's `12-Jan-1996
    /// 00:00:00`; `#Start-Date:` too), a time more than an hour before the directive's is the
    /// next day (a few minutes before it is the same day),
    /// a new directive (a restart) moves the day, and without one a line has no time. A
    /// `time` holding the whole moment is read as it is; the draft's `cs-uri` is the target.
    #[test]
    fn a_layout_without_date_takes_its_day_from_the_date_directive() {
        let fields = b"#Fields: time c-ip cs-method cs-uri-stem sc-status ";
        let line = b"17:42:15 172.16.255.255 GET /default.htm 200";
        let f = CloudfrontFormat::sniffed(&[&fields[..], line], None);
        assert_eq!(f.name(), "iis");
        let r = f
            .parse(line)
            .expect("five fields are a line of a five-field layout");
        assert_eq!((r.status, r.time_ms), (Some(200), None));
        assert_eq!(r.path, Some(&b"/default.htm"[..]));
        let at = |f: &Arc<dyn LogFormat>, l: &[u8]| f.parse(l).expect("parses").time_ms;
        let iso = |t: &str| time::parse_iso8601(t.as_bytes());
        let dated = f.relayout(b"#Date: 1998-05-02 17:42:15").expect("a day");
        assert_eq!(at(&dated, line), iso("1998-05-02T17:42:15Z"));
        let early = b"17:40:00 172.16.255.255 GET /default.htm 200";
        assert_eq!(at(&dated, early), iso("1998-05-02T17:40:00Z"));
        let late = b"00:00:03.250 172.16.255.255 GET /default.htm 200";
        assert_eq!(
            at(&dated, late),
            Some(iso("1998-05-03T00:00:03Z").unwrap() + 250)
        );
        // The `#Fields:` after a `#Date:` keeps its day.
        let relaid = dated
            .relayout(b"#Fields: time c-ip cs-method cs-uri-stem sc-status sc-win32-status")
            .expect("a new layout");
        assert_eq!(
            at(&relaid, b"17:50:00 10.0.0.1 GET /x 404 0"),
            iso("1998-05-02T17:50:00Z")
        );
        let restarted = relaid
            .relayout(b"#Date: 1998-05-04 09:00:00")
            .expect("a new day");
        assert_eq!(
            at(&restarted, b"09:00:01 10.0.0.1 GET /x 404 0"),
            iso("1998-05-04T09:00:01Z")
        );
        for (directive, want) in [
            (&b"#Date: 2019-05-02"[..], "2019-05-02T17:42:15Z"),
            (b"#Date: 12-Jan-1996 00:00:00", "1996-01-12T17:42:15Z"),
            (b"#Start-Date: 2000-01-01 00:00:00", "2000-01-01T17:42:15Z"),
        ] {
            let dated = f.relayout(directive).expect("a day");
            assert_eq!(
                at(&dated, line),
                iso(want),
                "{:?}",
                directive.escape_ascii()
            );
        }
        assert!(f.relayout(b"#Date: yesterday").is_none());
        assert_eq!(
            dated
                .parse(b"7pm 172.16.255.255 GET /default.htm 200")
                .expect_err("no time")
                .kind,
            RejectKind::BadTimestamp
        );
        let whole = CloudfrontFormat::with_fields("time c-ip cs-method cs-uri sc-status", W3c::Iis);
        let r = whole
            .parse(b"2026-05-07T03:14:05Z 203.0.113.10 GET /index.html?a=1 200")
            .expect("parses");
        assert_eq!(r.time_ms, iso("2026-05-07T03:14:05Z"));
        // The target as logged, its query with it (cut where routes are made, as for every
        // format that logs the request line).
        assert_eq!((r.path, r.query), (Some(&b"/index.html?a=1"[..]), None));
        // Without a header, a line of a few fields is not a W3C line.
        let default = CloudfrontFormat::sniffed(&[], Some(W3c::Iis));
        assert!(default.parse(line).is_err());
    }

    #[test]
    fn custom_field_order_and_rejects() {
        let f = CloudfrontFormat::from_fields(
            "time date sc-status cs-uri-stem cs-method c-ip time-taken sc-bytes x-edge-result-type",
        );
        let r = f
            .parse(b"10:00:00\t2020-01-02\t404\t/x\tPOST\t1.2.3.4\t0.250\t10\tError")
            .expect("parses");
        assert_eq!(
            (r.status, r.method, r.duration_us),
            (Some(404), Some(&b"POST"[..]), Some(250_000))
        );
        assert_eq!(
            f.parse(b"10:00:00\t2020-01-02\tOK\t/x\tPOST\t1.2.3.4\t0.250\t10\tError")
                .expect_err("status")
                .kind,
            RejectKind::BadStatus
        );
        assert_eq!(
            f.parse(b"not a cloudfront line").expect_err("layout").kind,
            RejectKind::Layout
        );
    }
}

//! Amazon CloudFront standard logs
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html>).
//!
//! Tab-separated W3C extended log format, driven by the `#Fields:` header: the field order is
//! read from the first header in the file's first lines, or the documented default order when
//! there is none. `#Version`/`#Fields` lines are headers (skipped, not rejected). CloudFront
//! URL-encodes its text fields (a space in a user agent is `%20`, a `%` is `%25`), so text
//! fields are decoded once ([`Escape::Url`]); paths stay encoded like every other format's.

use super::fields::{dash_to_none, parse_decimal_us, parse_status, parse_u64};
use super::{time, Escape, LogFormat, ParseError, Record, RejectKind};

/// The documented field order (2019 onwards, 33 fields).
const DEFAULT_FIELDS: &str = "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status \
cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol \
cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version \
fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type \
sc-content-len sc-range-start sc-range-end";

/// Positions of the fields the record needs (`usize::MAX` when the header lacks one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudfrontFormat {
    date: usize,
    time: usize,
    bytes: usize,
    client: usize,
    method: usize,
    host: usize,
    stem: usize,
    status: usize,
    user_agent: usize,
    query: usize,
    time_taken: usize,
    protocol: usize,
    result_type: usize,
    detailed_result_type: usize,
    x_host: usize,
}

const NONE: usize = usize::MAX;

impl CloudfrontFormat {
    /// A parser for the given `#Fields:` list (space-separated names).
    pub fn from_fields(names: &str) -> CloudfrontFormat {
        let names: Vec<&str> = names.split_whitespace().collect();
        let at = |n: &str| names.iter().position(|x| *x == n).unwrap_or(NONE);
        CloudfrontFormat {
            date: at("date"),
            time: at("time"),
            bytes: at("sc-bytes"),
            client: at("c-ip"),
            method: at("cs-method"),
            host: at("cs(Host)"),
            stem: at("cs-uri-stem"),
            status: at("sc-status"),
            user_agent: at("cs(User-Agent)"),
            query: at("cs-uri-query"),
            time_taken: at("time-taken"),
            protocol: at("cs-protocol-version"),
            result_type: at("x-edge-result-type"),
            detailed_result_type: at("x-edge-detailed-result-type"),
            x_host: at("x-host-header"),
        }
    }

    /// The parser for a file, from the `#Fields:` header among its first lines.
    pub fn sniffed(sample: &[&[u8]]) -> CloudfrontFormat {
        for l in sample {
            if let Some(rest) = l.strip_prefix(b"#Fields:") {
                return CloudfrontFormat::from_fields(&String::from_utf8_lossy(rest));
            }
        }
        CloudfrontFormat::from_fields(DEFAULT_FIELDS)
    }
}

/// Most fields read from a line.
const MAX_FIELDS: usize = 48;

impl LogFormat for CloudfrontFormat {
    fn name(&self) -> &str {
        "cloudfront"
    }

    fn family(&self) -> &'static str {
        "cloudfront"
    }

    fn parse<'a>(&self, line: &'a [u8]) -> Result<Record<'a>, ParseError> {
        if line.starts_with(b"#") {
            return Err(ParseError::new(RejectKind::Header, 0));
        }
        let mut f: [&[u8]; MAX_FIELDS] = [&[]; MAX_FIELDS];
        let mut n = 0;
        for v in line.split(|&b| b == b'\t').take(MAX_FIELDS) {
            f[n] = v;
            n += 1;
        }
        // A tab-separated line with (nearly) the header's field count, or it is something else.
        let need = [self.date, self.time, self.status]
            .into_iter()
            .filter(|&i| i != NONE)
            .max()
            .unwrap_or(0)
            + 1;
        if n < need.max(9) {
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
        let mut rec = Record {
            escape: Escape::Url,
            ..Record::default()
        };
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
        rec.protocol = get(self.protocol).and_then(dash_to_none);
        rec.duration_us = get(self.time_taken)
            .and_then(dash_to_none)
            .map(|t| {
                parse_decimal_us(t, 1_000_000).ok_or(ParseError::new(RejectKind::BadNumber, 0))
            })
            .transpose()?;
        if let Some(v) = get(self.result_type) {
            rec.details.push(super::Detail::XEdgeResultType, v);
        }
        if let Some(v) = get(self.detailed_result_type) {
            rec.details.push(super::Detail::XEdgeDetailedResultType, v);
        }
        Ok(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end";
    const LINE: &str = "2019-12-04\t21:02:31\tLAX1\t392\t2001:db8::7\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%2520(Windows%20NT)\tq=a%2Bb\t-\tHit\tSOX4==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\tTLSv1.2\tECDHE\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tOriginShieldHit\ttext/html\t78\t-\t-";

    #[test]
    fn header_driven() {
        let f = CloudfrontFormat::sniffed(&[b"#Version: 1.0", HEADER.as_bytes()]);
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

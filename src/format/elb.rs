//! AWS Classic Load Balancer access logs
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html>):
//! `time elb client:port backend:port request_processing_time backend_processing_time
//! response_processing_time elb_status_code backend_status_code received_bytes sent_bytes
//! "request" "user_agent" ssl_cipher ssl_protocol`. TCP listeners log `-` statuses and a
//! `"- - - "` request; `-1` timings mean the request never reached a backend.

use super::fields::{
    dash_to_none, parse_decimal_us, parse_optional_status, parse_status, parse_u64, split_fields,
    split_host_port,
};
use super::{time, BytesKind, Escape, LogFormat, Origin, ParseError, Record, RejectKind};

/// The Classic ELB parser.
#[derive(Clone, Copy, Debug, Default)]
pub struct ElbFormat;

impl LogFormat for ElbFormat {
    fn name(&self) -> &str {
        "elb"
    }

    fn family(&self) -> &'static str {
        "elb"
    }

    fn parse_into<'a>(&self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), ParseError> {
        let mut f: [&[u8]; 15] = [&[]; 15];
        let n = split_fields(line, &mut f)?;
        rec.escape = Escape::Backslash;
        rec.time_ms =
            Some(time::parse_iso8601(f[0]).ok_or(ParseError::new(RejectKind::BadTimestamp, 0))?);
        if n < 12 {
            return Err(ParseError::new(RejectKind::Truncated, line.len()));
        }
        rec.client = dash_to_none(f[2]).map(split_host_port);
        let mut total = None::<u64>;
        for t in &f[4..7] {
            if *t != b"-1" {
                let us = parse_decimal_us(t, 1_000_000)
                    .ok_or(ParseError::new(RejectKind::BadNumber, 0))?;
                total = Some(total.unwrap_or(0) + us);
            }
        }
        rec.duration_us = total;
        rec.status = parse_status(f[7]).map_err(|_| ParseError::new(RejectKind::BadStatus, 0))?;
        rec.origin_status =
            parse_optional_status(f[8]).map_err(|_| ParseError::new(RejectKind::BadStatus, 0))?;
        rec.origin = match (rec.status, rec.origin_status) {
            (Some(_), Some(_)) => Origin::App,
            (Some(_), None) => Origin::Gateway,
            _ => Origin::Unknown,
        };
        if f[10] != b"-" {
            rec.bytes = Some(parse_u64(f[10]).ok_or(ParseError::new(RejectKind::BadNumber, 0))?);
            rec.bytes_kind = BytesKind::Total;
        }
        rec.set_absolute_request(f[11]);
        if n > 12 {
            rec.user_agent = dash_to_none(f[12]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_tcp_lines() {
        let r = ElbFormat
            .parse(br#"2019-10-14T12:00:20.694172Z my-lb 175.16.199.1:54106 10.0.1.185:80 0.000043 0.000785 0.000023 200 200 0 612 "GET http://18.194.223.56:80/a?b=1 HTTP/1.1" "Mozilla/5.0" - -"#)
            .expect("parses");
        assert_eq!(
            (r.status, r.origin_status, r.origin),
            (Some(200), Some(200), Origin::App)
        );
        assert_eq!(r.duration_us, Some(851));
        assert_eq!(r.path, Some(&b"/a?b=1"[..]));
        assert_eq!(r.client, Some(&b"175.16.199.1"[..]));
        let r = ElbFormat
            .parse(br#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 - -1 -1 -1 - - 82 0 "- - - " "-" - -"#)
            .expect("a TCP line parses");
        assert_eq!((r.status, r.method, r.duration_us), (None, None, None));
        let r = ElbFormat
            .parse(br#"2015-05-13T23:39:43.945958Z lb 192.168.131.39:2817 - -1 -1 -1 503 - 0 0 "GET http://x/ HTTP/1.1" "ua" - -"#)
            .expect("parses");
        assert_eq!(r.origin, Origin::Gateway);
        assert_eq!(
            ElbFormat
                .parse(b"2015-05-13T23:39:43Z lb 1.1.1.1:1")
                .expect_err("short")
                .kind,
            RejectKind::Truncated
        );
        assert_eq!(
            ElbFormat
                .parse(b"http 2015-05-13T23:39:43Z lb")
                .expect_err("alb")
                .kind,
            RejectKind::BadTimestamp
        );
    }
}

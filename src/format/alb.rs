//! AWS Application Load Balancer access logs
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html>).
//!
//! Space-separated fields, some quoted, in a fixed order:
//! `type time elb client:port target:port request_processing_time target_processing_time
//! response_processing_time elb_status_code target_status_code received_bytes sent_bytes
//! "request" "user_agent" ssl_cipher ssl_protocol target_group_arn "trace_id" "domain_name"
//! "chosen_cert_arn" matched_rule_priority request_creation_time "actions_executed"
//! "redirect_url" "error_reason" "target:port_list" "target_status_code_list" "classification"
//! "classification_reason" conn_trace_id …`. AWS keeps appending fields, so everything after
//! `user_agent` is optional and anything after the known ones is ignored (older archives have
//! fewer fields, newer ones more). `-1` timings and `-` values are absent.

use super::fields::{
    dash_to_none, parse_decimal_us, parse_optional_status, parse_status, parse_u64, split_fields,
    split_host_port,
};
use super::{time, Escape, LogFormat, Origin, ParseError, Record, RejectKind};

/// The ALB parser.
#[derive(Clone, Copy, Debug, Default)]
pub struct AlbFormat;

/// Fields read by position.
const MAX_FIELDS: usize = 32;

/// A timing in seconds; `-1` means the step did not happen.
fn timing(v: &[u8]) -> Result<Option<u64>, ()> {
    if v == b"-1" || v == b"-" {
        return Ok(None);
    }
    parse_decimal_us(v, 1_000_000).map(Some).ok_or(())
}

impl LogFormat for AlbFormat {
    fn name(&self) -> &str {
        "alb"
    }

    fn family(&self) -> &'static str {
        "alb"
    }

    fn parse_into<'a>(&self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), ParseError> {
        let mut f: [&[u8]; MAX_FIELDS] = [&[]; MAX_FIELDS];
        let n = split_fields(line, &mut f)?;
        if !matches!(f[0], b"http" | b"https" | b"h2" | b"grpcs" | b"ws" | b"wss") {
            return Err(ParseError::new(RejectKind::BadType, 0));
        }
        if n < 14 {
            return Err(ParseError::new(RejectKind::Truncated, line.len()));
        }
        rec.escape = Escape::Backslash;
        rec.time_ms =
            Some(time::parse_iso8601(f[1]).ok_or(ParseError::new(RejectKind::BadTimestamp, 0))?);
        rec.client = dash_to_none(f[3]).map(split_host_port);
        let bad_num = ParseError::new(RejectKind::BadNumber, 0);
        let mut total = None::<u64>;
        for t in &f[5..8] {
            if let Some(us) = timing(t).map_err(|()| bad_num)? {
                total = Some(total.unwrap_or(0) + us);
            }
        }
        rec.duration_us = total;
        rec.status = parse_status(f[8]).map_err(|_| ParseError::new(RejectKind::BadStatus, 0))?;
        rec.origin_status =
            parse_optional_status(f[9]).map_err(|_| ParseError::new(RejectKind::BadStatus, 0))?;
        // No target answer (`-`): the load balancer produced the status (WAF, fixed responses,
        // redirects, Lambda errors, unreachable targets).
        rec.origin = if rec.origin_status.is_some() {
            Origin::App
        } else {
            Origin::Gateway
        };
        if f[11] != b"-" {
            rec.bytes = Some(parse_u64(f[11]).ok_or(bad_num)?);
            rec.bytes_kind = super::BytesKind::Total;
        }
        if rec.set_absolute_request(f[12]) {
            // a request line
        } else if let Some(rest) = f[12].strip_prefix(b"- ") {
            // A request the load balancer could not parse: `- http://host:port- -`. Not a
            // request line (no method), but the URL it logged is kept as the path.
            let url = rest.strip_suffix(b" -").unwrap_or(rest).trim_ascii_end();
            rec.path = dash_to_none(url);
        }
        rec.user_agent = dash_to_none(f[13]);
        if n > 16 {
            rec.details.push(super::Detail::TargetGroupArn, f[16]);
            rec.upstream = dash_to_none(f[16]);
        }
        if n > 22 {
            rec.details.push(super::Detail::ActionsExecuted, f[22]);
        }
        if n > 24 {
            rec.details.push(super::Detail::ErrorReason, f[24]);
        }
        if n > 27 {
            rec.details.push(super::Detail::Classification, f[27]);
        }
        if n > 28 {
            rec.details.push(super::Detail::ClassificationReason, f[28]);
        }
        if n > 18 && rec.host.is_none() {
            rec.host = dash_to_none(f[18]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEWEST: &str = r#"https 2018-07-02T22:23:00.186641Z app/my-lb/50dc6c495c0c9188 [2001:db8::1]:2817 10.0.0.1:80 0.086 0.048 0.037 200 201 0 57 "POST https://www.example.com:443/api/items?x=1 HTTP/2.0" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "201" "Ambiguous" "UndefinedContentLengthSemantics" TID_1234 "-" "-" "-" extra1 extra2"#;
    const OLDEST: &str = r#"http 2016-08-10T22:08:42.945958Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354""#;
    const WAF: &str = r#"https 2023-04-26T19:53:56.715663Z app/x/490d 192.168.1.16:41062 - -1 -1 -1 403 - 202 167 "GET https://cacti.example.com:443/remote_agent.php?a[]=3&q=%24%28whoami%29 HTTP/1.1" "Mozilla/5.0 \x22quoted\x22" - - - "Root=1-6449" "cacti.example.com" "-" 0 2023-04-26T19:53:56.715000Z "waf,fixed-response" "-" "-" "-" "-" "-" "-""#;
    const LAMBDA: &str = r#"https 2023-04-26T19:53:56.715663Z app/x/490d 192.168.1.16:41062 - 0.001 1.200 -1 502 - 202 0 "GET https://fn.example.com:443/run HTTP/1.1" "ua" - - arn:aws:elasticloadbalancing:us-east-2:1:targetgroup/fn/1 "Root=1" "-" "-" 0 2023-04-26T19:53:56.715000Z "forward" "-" "LambdaUnhandled" "-" "-" "-" "-""#;

    #[test]
    fn newest_field_count() {
        let r = AlbFormat.parse(NEWEST.as_bytes()).expect("parses");
        assert_eq!(r.time_ms, time::parse_iso8601(b"2018-07-02T22:23:00.186Z"));
        assert_eq!(r.client, Some(&b"2001:db8::1"[..]));
        assert_eq!(r.duration_us, Some(171_000));
        assert_eq!(
            (r.status, r.origin_status, r.origin),
            (Some(200), Some(201), Origin::App)
        );
        assert_eq!(r.bytes, Some(57));
        assert_eq!(r.method, Some(&b"POST"[..]));
        assert_eq!(r.path, Some(&b"/api/items?x=1"[..]));
        assert_eq!(r.host, Some(&b"www.example.com:443"[..]));
        assert_eq!(r.protocol, Some(&b"HTTP/2.0"[..]));
        assert_eq!(
            r.details.get("actions_executed"),
            Some(&b"authenticate,forward"[..])
        );
        assert_eq!(r.details.get("classification"), Some(&b"Ambiguous"[..]));
        assert!(r.details.get("target_group_arn").is_some());
    }

    #[test]
    fn oldest_field_count() {
        let r = AlbFormat.parse(OLDEST.as_bytes()).expect("parses");
        assert_eq!(r.status, Some(200));
        assert_eq!(r.client, Some(&b"192.168.131.39"[..]));
        assert_eq!(r.duration_us, Some(1_000));
        assert_eq!(r.path, Some(&b"/"[..]));
    }

    #[test]
    fn waf_and_lambda_lines_without_target() {
        let r = AlbFormat.parse(WAF.as_bytes()).expect("parses");
        assert_eq!(
            (r.status, r.origin_status, r.origin),
            (Some(403), None, Origin::Gateway)
        );
        assert_eq!(r.duration_us, None, "all timings -1");
        assert_eq!(
            r.details.get("actions_executed"),
            Some(&b"waf,fixed-response"[..])
        );
        assert_eq!(
            &*r.decoded(r.user_agent.expect("ua")),
            b"Mozilla/5.0 \"quoted\""
        );
        let r = AlbFormat.parse(LAMBDA.as_bytes()).expect("parses");
        assert_eq!(r.origin, Origin::Gateway);
        assert_eq!(r.duration_us, Some(1_201_000));
        assert_eq!(r.details.get("error_reason"), Some(&b"LambdaUnhandled"[..]));
    }

    #[test]
    fn grpc_and_websocket_request_types() {
        let grpc = OLDEST.replacen("http ", "grpcs ", 1).replace(
            "GET http://www.example.com:80/ HTTP/1.1",
            "POST https://api.example.com:443/helloworld.Greeter/SayHello HTTP/2.0",
        );
        let r = AlbFormat.parse(grpc.as_bytes()).expect("grpcs");
        assert_eq!(
            (r.method, r.path, r.protocol),
            (
                Some(&b"POST"[..]),
                Some(&b"/helloworld.Greeter/SayHello"[..]),
                Some(&b"HTTP/2.0"[..])
            )
        );
        let ws = OLDEST.replacen("http ", "wss ", 1);
        assert!(AlbFormat.parse(ws.as_bytes()).is_ok());
    }

    #[test]
    fn rejects() {
        let invalid = NEWEST.replacen("https", "invalid", 1);
        assert_eq!(
            AlbFormat.parse(invalid.as_bytes()).expect_err("type").kind,
            RejectKind::BadType
        );
        assert_eq!(
            AlbFormat
                .parse(b"http 2018-07-02T22:23:00Z app/x 1.1.1.1:1")
                .expect_err("short")
                .kind,
            RejectKind::Truncated
        );
        let cut = &NEWEST[..NEWEST.find("curl").expect("ua")];
        assert_eq!(
            AlbFormat.parse(cut.as_bytes()).expect_err("cut").kind,
            RejectKind::Truncated
        );
        let bad_time = OLDEST.replacen("2016-08-10T", "2016-13-10T", 1);
        assert_eq!(
            AlbFormat.parse(bad_time.as_bytes()).expect_err("time").kind,
            RejectKind::BadTimestamp
        );
    }
}

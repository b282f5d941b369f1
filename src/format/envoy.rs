//! Envoy's default text access-log format
//! (<https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#default-format-string>)
//! and Istio's variant of it:
//! `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
//! %RESPONSE_FLAGS% ["%UPSTREAM_TRANSPORT_FAILURE_REASON%"] %BYTES_RECEIVED% %BYTES_SENT%
//! %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
//! "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" …`. `%DURATION%` is milliseconds;
//! `%RESPONSE_FLAGS%` (kept in the record's details) other than `-` mean Envoy itself produced
//! or cut the response (no healthy upstream, upstream reset, rate limited …).

use super::fields::{
    dash_to_none, next_field, parse_decimal_us, parse_status, parse_u64, split_host_port,
    split_request,
};
use super::{time, BytesKind, Escape, LogFormat, Origin, ParseError, Record, RejectKind};

/// The Envoy text parser.
#[derive(Clone, Copy, Debug, Default)]
pub struct EnvoyFormat;

impl LogFormat for EnvoyFormat {
    fn name(&self) -> &str {
        "envoy"
    }

    fn family(&self) -> &'static str {
        "envoy"
    }

    fn parse_into<'a>(&self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), ParseError> {
        let err = |k| ParseError::new(k, 0);
        // Some deployments (Envoy examples, Filebeat's fixtures) prefix each entry with `ACCESS `.
        let line = line.strip_prefix(b"ACCESS ").unwrap_or(line);
        let Some(rest) = line.strip_prefix(b"[") else {
            return Err(err(RejectKind::Layout));
        };
        let close = rest
            .iter()
            .position(|&b| b == b']')
            .ok_or(err(RejectKind::Truncated))?;
        rec.escape = Escape::Backslash;
        rec.time_ms =
            Some(time::parse_iso8601(&rest[..close]).ok_or(err(RejectKind::BadTimestamp))?);
        let mut pos = close + 2;
        if line.get(pos) != Some(&b' ') || line.get(pos + 1) != Some(&b'"') {
            return Err(err(RejectKind::Layout));
        }
        let field = |pos: &mut usize| -> Result<(&'a [u8], bool), ParseError> {
            let quoted = line[*pos..].iter().find(|&&b| b != b' ') == Some(&b'"');
            let (v, next) = next_field(line, *pos).ok_or(err(RejectKind::Truncated))?;
            *pos = next;
            Ok((v, quoted))
        };
        let (request, _) = field(&mut pos)?;
        if let Some(r) = split_request(request) {
            rec.method = Some(r.method);
            rec.path = Some(r.target);
            rec.protocol = r.protocol;
        }
        let (status, _) = field(&mut pos)?;
        // Envoy writes 0 when no response was sent (the downstream went away first).
        rec.status = if status == b"0" {
            None
        } else {
            parse_status(status).map_err(|_| err(RejectKind::BadStatus))?
        };
        let (flags, _) = field(&mut pos)?;
        rec.details.push(super::Detail::ResponseFlags, flags);
        rec.origin = if flags == b"-" {
            Origin::App
        } else {
            Origin::Gateway
        };
        let (mut received, quoted) = field(&mut pos)?;
        if quoted {
            // Istio: "%UPSTREAM_TRANSPORT_FAILURE_REASON%" before the byte counts.
            rec.details
                .push(super::Detail::UpstreamTransportFailureReason, received);
            received = field(&mut pos)?.0;
        }
        let _ = received;
        let (sent, _) = field(&mut pos)?;
        rec.bytes = dash_to_none(sent)
            .map(|b| parse_u64(b).ok_or(err(RejectKind::BadNumber)))
            .transpose()?;
        rec.bytes_kind = BytesKind::Body;
        let (duration, _) = field(&mut pos)?;
        rec.duration_us = dash_to_none(duration)
            .map(|d| parse_decimal_us(d, 1_000).ok_or(err(RejectKind::BadNumber)))
            .transpose()?;
        // The rest is optional: upstream service time, X-Forwarded-For, user agent, request id,
        // authority, upstream host.
        let mut next = || {
            next_field(line, pos).map(|(v, n)| {
                pos = n;
                v
            })
        };
        let _upstream_time = next();
        if let Some(xff) = next() {
            // The first X-Forwarded-For entry is the original client.
            rec.client = dash_to_none(xff)
                .map(|x| split_host_port(x.split(|&b| b == b',').next().unwrap_or(x).trim_ascii()));
        }
        rec.user_agent = next().and_then(dash_to_none);
        let _request_id = next();
        rec.host = next().and_then(dash_to_none);
        if let Some(up) = next().and_then(dash_to_none) {
            rec.details.push(super::Detail::UpstreamHost, up);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_istio_lines() {
        let r = EnvoyFormat
            .parse(br#"[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28, 10.0.0.1" "nsq2http" "cc21d9b0" "locations" "tcp://10.0.2.1:80""#)
            .expect("default format");
        assert_eq!(
            (r.method, r.path, r.status),
            (
                Some(&b"POST"[..]),
                Some(&b"/api/v1/locations"[..]),
                Some(204)
            )
        );
        assert_eq!(
            (r.bytes, r.duration_us, r.origin),
            (Some(0), Some(226_000), Origin::App)
        );
        assert_eq!(
            (r.client, r.user_agent, r.host),
            (
                Some(&b"10.0.35.28"[..]),
                Some(&b"nsq2http"[..]),
                Some(&b"locations"[..])
            )
        );
        let r = EnvoyFormat
            .parse(br#"[2019-03-06T09:31:27.354Z] "GET /status/418 HTTP/1.1" 503 UF,URX "upstream_reset" 0 135 11 10 "-" "curl/7.60.0" "d209" "httpbin:8000" "172.30.146.73:80" outbound|8000||httpbin"#)
            .expect("istio format");
        assert_eq!(
            (r.status, r.bytes, r.duration_us, r.origin),
            (Some(503), Some(135), Some(11_000), Origin::Gateway)
        );
        assert_eq!(r.details.get("response_flags"), Some(&b"UF,URX"[..]));
        assert_eq!(
            r.details.get("upstream_transport_failure_reason"),
            Some(&b"upstream_reset"[..])
        );
        assert_eq!(
            EnvoyFormat
                .parse(b"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 5")
                .expect_err("clf")
                .kind,
            RejectKind::Layout
        );
        assert_eq!(
            EnvoyFormat
                .parse(br#"[2019-03-06T09:31:27.354Z] "GET / HTTP/1.1" 200"#)
                .expect_err("cut")
                .kind,
            RejectKind::Truncated
        );
    }
}

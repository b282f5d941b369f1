//! Deterministic generator of realistic access logs, for the bundled sample and the benchmark.
//!
//! `cargo run --release --example gen_log -- [--lines N | --bytes N] [--seed S] [--format combined|timed|json|alb] [--start EPOCH] [--span SECONDS]`
//!
//! ~60 API routes with numeric and UUID ids and query strings, a status mix of about
//! 85 / 3 / 9 / 3 % (2xx/3xx/4xx/5xx), log-normal-ish latencies, one line per request, in time
//! order at ~200 requests per second — or, with `--lines N --span S`, N requests spread over S
//! seconds with a daily cycle (about five times busier in the afternoon than before dawn, UTC),
//! as a day of real traffic looks. `timed` appends nginx `$request_time`; `json` writes nginx
//! JSON lines; `alb` writes AWS Application Load Balancer lines.

use std::io::{self, BufWriter, Write};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const RESOURCES: &[&str] = &[
    "users",
    "orders",
    "products",
    "carts",
    "invoices",
    "payments",
    "shipments",
    "reviews",
    "sessions",
    "teams",
    "projects",
    "tickets",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "okhttp/4.12.0",
    "python-requests/2.31.0",
    "curl/8.4.0",
    "Go-http-client/2.0",
];

fn uuid(r: &mut Rng) -> String {
    let a = r.next();
    let b = r.next();
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

/// (method, path) for one request; 5 templates per resource = 60 routes.
fn request(r: &mut Rng) -> (&'static str, String) {
    let res = RESOURCES[r.below(RESOURCES.len() as u64) as usize];
    match r.below(100) {
        0..=34 => ("GET", format!("/api/v1/{res}/{}", r.below(100_000))),
        35..=54 => (
            "GET",
            format!("/api/v1/{res}?page={}&per_page=50", r.below(20)),
        ),
        55..=69 => ("POST", format!("/api/v1/{res}")),
        70..=84 => ("PUT", format!("/api/v1/{res}/{}", uuid(r))),
        85..=92 => ("DELETE", format!("/api/v1/{res}/{}", r.below(100_000))),
        _ => ("GET", format!("/api/v1/{res}/{}/history", uuid(r))),
    }
}

fn status(r: &mut Rng, method: &str) -> u16 {
    match r.below(1000) {
        0..=849 => match method {
            "POST" => 201,
            "DELETE" => 204,
            _ => 200,
        },
        850..=879 => [304, 301, 302][r.below(3) as usize],
        880..=969 => [404, 400, 401, 403, 422, 429, 409][r.below(7) as usize],
        _ => [500, 502, 503, 504][r.below(4) as usize],
    }
}

fn clf_time(epoch: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    // civil_from_days (H. Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000",
        MONTHS[(m - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn iso_time(epoch: f64) -> String {
    // 01/May/2024:00:00:00 +0000 → 2024-05-01T00:00:00.123456Z
    let clf = clf_time(epoch as i64);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|x| *x == &clf[3..6]).unwrap_or(0) + 1;
    let micros = ((epoch.fract()) * 1e6) as u64;
    format!(
        "{}-{m:02}-{}T{}.{micros:06}Z",
        &clf[7..11],
        &clf[0..2],
        &clf[12..20]
    )
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let get = |k: &str| {
        args.iter()
            .position(|a| a == k)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let lines: Option<u64> = get("--lines").and_then(|v| v.parse().ok());
    let bytes: Option<u64> = get("--bytes").and_then(|v| v.parse().ok());
    let seed: u64 = get("--seed").and_then(|v| v.parse().ok()).unwrap_or(42);
    let fmt = get("--format").unwrap_or_else(|| "combined".to_string());
    let start: i64 = get("--start")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_714_521_600); // 2024-05-01
    let span: Option<f64> = get("--span").and_then(|v| v.parse().ok());
    let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = BufWriter::with_capacity(1 << 20, io::stdout().lock());
    let (mut n, mut written) = (0u64, 0u64);
    let mut t = start as f64;
    let mut line = String::with_capacity(512);
    loop {
        if lines.is_some_and(|l| n >= l)
            || bytes.is_some_and(|b| written >= b)
            || (lines.is_none() && bytes.is_none() && n >= 10_000)
        {
            break;
        }
        match (span, lines) {
            (Some(span), Some(total)) => {
                // Evenly spread positions (jittered, still in order) warped by a daily cycle:
                // the density of requests is proportional to 1 / (1 - 0.7 cos(phase)), the
                // phase 0 (busiest) at 15:17 UTC; the warp maps [0, 1) onto itself.
                let x = (n as f64 + r.unit()) / total as f64;
                let days = span / 86_400.0;
                let c = 0.7 / (2.0 * std::f64::consts::PI * days.max(1e-9));
                let phase = |x: f64| {
                    2.0 * std::f64::consts::PI * (days * x + start as f64 / 86_400.0) - 4.0
                };
                let warp = |x: f64| x - c * (phase(x).sin() - phase(0.0).sin());
                t = start as f64 + span * (warp(x) / warp(1.0)).clamp(0.0, 0.999_999);
            }
            _ => t += r.unit() / 100.0, // ~200 req/s
        }
        let (method, path) = request(&mut r);
        let st = status(&mut r, method);
        let ip = format!("10.{}.{}.{}", r.below(4), r.below(256), r.below(256));
        let ua = AGENTS[r.below(AGENTS.len() as u64) as usize];
        let body = if st == 204 || st == 304 {
            0
        } else {
            200 + r.below(8000)
        };
        // log-normal-ish latency: mostly 5-80 ms, a tail to seconds
        let secs =
            (-(r.unit().max(1e-9)).ln() * 0.03 + 0.002) * if r.below(50) == 0 { 20.0 } else { 1.0 };
        let time = clf_time(t as i64);
        let referer = if r.below(4) == 0 {
            "https://app.example.com/"
        } else {
            "-"
        };
        line.clear();
        match fmt.as_str() {
            "alb" => {
                use std::fmt::Write as _;
                let iso = iso_time(t);
                let target_status = if st == 502 || st == 504 || r.below(100) == 0 {
                    "-".to_string()
                } else {
                    st.to_string()
                };
                let (t1, t2, t3) = if target_status == "-" {
                    ("-1".to_string(), "-1".to_string(), "-1".to_string())
                } else {
                    (
                        "0.000".to_string(),
                        format!("{secs:.3}"),
                        "0.000".to_string(),
                    )
                };
                let _ = write!(
                    line,
                    r#"https {iso} app/my-lb/50dc6c495c0c9188 {ip}:{port} 10.1.0.{tgt}:8080 {t1} {t2} {t3} {st} {target_status} {rx} {body} "{method} https://api.example.com:443{path} HTTP/1.1" "{ua}" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/73e2d6bc24d8a067 "Root=1-{root:08x}-{trace:024x}" "api.example.com" "arn:aws:acm:us-east-1:123456789012:certificate/abc" 1 {iso} "forward" "-" "-" "10.1.0.{tgt}:8080" "{target_status}" "-" "-" TID_{trace:032x}"#,
                    port = 1024 + r.below(60000),
                    tgt = r.below(16),
                    rx = 200 + r.below(2000),
                    root = r.next() >> 32,
                    trace = r.next() >> 32,
                );
            }
            "json" => {
                use std::fmt::Write as _;
                let _ = write!(
                    line,
                    r#"{{"time_local":"{time}","remote_addr":"{ip}","request_method":"{method}","request_uri":"{path}","server_protocol":"HTTP/1.1","status":{st},"body_bytes_sent":{body},"request_time":{secs:.3},"http_user_agent":"{ua}","upstream_status":"{st}"}}"#
                );
            }
            _ => {
                use std::fmt::Write as _;
                let _ = write!(
                    line,
                    r#"{ip} - - [{time}] "{method} {path} HTTP/1.1" {st} {body} "{referer}" "{ua}""#
                );
                if fmt == "timed" {
                    let _ = write!(line, " {secs:.3}");
                }
            }
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
        n += 1;
    }
    out.flush()
}

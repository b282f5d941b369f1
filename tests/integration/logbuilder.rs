//! A small builder of realistic access logs for the rule tests: requests are described in a
//! few readable calls, then written as a combined log (with a trailing `$request_time`) or as
//! JSON lines (which can also carry a user and an error marker).

use std::fmt::Write;

/// 2024-05-01T00:00:00Z.
pub(crate) const T0: i64 = 1_714_521_600;

/// One request.
#[derive(Clone, Debug)]
pub(crate) struct Req {
    /// Seconds after [`T0`] (fractions kept in JSON, truncated in combined).
    pub t: f64,
    pub client: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub bytes: u64,
    pub ms: f64,
    /// `Some("")`: logged anonymous; `Some(name)`: authenticated; `None`: not logged.
    pub user: Option<String>,
    pub marker: Option<String>,
    /// JSON only: whether the gateway produced the status (no upstream status).
    pub by_gateway: bool,
    /// The referring page (`-` in combined when `None`).
    pub referer: Option<String>,
    /// JSON only: the upstream (service) the gateway sent the request to.
    pub upstream: Option<String>,
}

/// A request at `t` seconds.
pub(crate) fn req(t: f64, method: &str, path: &str, status: u16) -> Req {
    Req {
        t,
        client: "10.0.0.1".to_string(),
        method: method.to_string(),
        path: path.to_string(),
        status,
        bytes: 512,
        ms: 20.0,
        user: None,
        marker: None,
        by_gateway: false,
        referer: None,
        upstream: None,
    }
}

impl Req {
    pub(crate) fn client(mut self, c: impl Into<String>) -> Req {
        self.client = c.into();
        self
    }
    pub(crate) fn bytes(mut self, b: u64) -> Req {
        self.bytes = b;
        self
    }
    pub(crate) fn ms(mut self, ms: f64) -> Req {
        self.ms = ms;
        self
    }
    pub(crate) fn user(mut self, u: &str) -> Req {
        self.user = Some(u.to_string());
        self
    }
    pub(crate) fn marker(mut self, m: &str) -> Req {
        self.marker = Some(m.to_string());
        self
    }
    pub(crate) fn referer(mut self, page: &str) -> Req {
        self.referer = Some(page.to_string());
        self
    }
    pub(crate) fn by_gateway(mut self) -> Req {
        self.by_gateway = true;
        self
    }
    pub(crate) fn upstream(mut self, u: &str) -> Req {
        self.upstream = Some(u.to_string());
        self
    }
}

/// A deterministic pseudo-random source (xorshift), so logs are reproducible.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform integer in [lo, hi].
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    /// A latency around `median_ms` (log-normal-ish, always positive).
    pub(crate) fn latency(&mut self, median_ms: f64) -> f64 {
        let u = (self.unit() + self.unit() + self.unit()) / 3.0 - 0.5; // roughly normal, ±0.5
        median_ms * (u * 2.0).exp()
    }
    /// `p` chance.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// One of a few client addresses.
    pub(crate) fn client(&mut self, pool: u64) -> String {
        let n = self.range(1, pool);
        format!("10.1.{}.{}", n / 250, n % 250 + 1)
    }
}

/// A log under construction.
#[derive(Clone, Debug, Default)]
pub(crate) struct Log {
    pub reqs: Vec<Req>,
}

impl Log {
    pub(crate) fn new() -> Log {
        Log::default()
    }

    pub(crate) fn push(&mut self, r: Req) -> &mut Log {
        self.reqs.push(r);
        self
    }

    /// `n` requests evenly spread over [from, to) seconds, each built by `f(i, t)`.
    pub(crate) fn spread(
        &mut self,
        n: usize,
        from: f64,
        to: f64,
        mut f: impl FnMut(usize, f64) -> Req,
    ) -> &mut Log {
        for i in 0..n {
            let t = from + (to - from) * i as f64 / n as f64;
            self.reqs.push(f(i, t));
        }
        self
    }

    /// The same requests with every time multiplied by `factor` (durations unchanged): the
    /// same traffic compressed or stretched in time.
    pub(crate) fn scaled(&self, factor: f64) -> Log {
        Log {
            reqs: self
                .reqs
                .iter()
                .map(|r| Req {
                    t: r.t * factor,
                    ..r.clone()
                })
                .collect(),
        }
    }

    fn sorted(&self) -> Vec<&Req> {
        let mut v: Vec<&Req> = self.reqs.iter().collect();
        v.sort_by(|a, b| a.t.total_cmp(&b.t));
        v
    }

    /// Combined log format with `$request_time` appended (nginx `combined` + seconds).
    pub(crate) fn combined(&self) -> String {
        self.combined_with(|ms| format!("{:.3}", ms / 1000.0))
    }

    /// Apache's combined format with `%T` appended: whole seconds, truncated.
    pub(crate) fn apache_whole_seconds(&self) -> String {
        self.combined_with(|ms| format!("{}", (ms / 1000.0).floor()))
    }

    /// Apache's combined format with `%{ms}T` appended: whole milliseconds.
    pub(crate) fn apache_millis(&self) -> String {
        self.combined_with(|ms| format!("{}", ms.round()))
    }

    /// nginx with `"$http_x_forwarded_for" $request_time $upstream_response_time` after the
    /// user agent, the upstream's time `-` where the gateway answered alone.
    pub(crate) fn nginx_upstream_times(&self) -> String {
        self.combined_with(|ms| format!(r#""-" {:.3} {:.3}"#, ms / 1000.0, ms / 1000.0 * 0.98))
    }

    /// The `upstream_time` format of nginx's documentation: `"$http_user_agent"rt=$request_time
    /// uct="$upstream_connect_time" uht="…" urt="…"`, glued to the user agent's quote.
    pub(crate) fn nginx_docs_upstream_time(&self) -> String {
        self.combined_with(|ms| {
            let s = ms / 1000.0;
            format!(
                r#"rt={s:.3} uct="0.000" uht="{:.3}" urt="{:.3}""#,
                s * 0.9,
                s * 0.98
            )
        })
        .replace("\" rt=", "\"rt=")
    }

    fn combined_with(&self, duration: fn(f64) -> String) -> String {
        let mut out = String::new();
        for r in self.sorted() {
            let t = chrono::DateTime::from_timestamp(T0 + r.t as i64, 0).expect("valid time");
            let user = match r.user.as_deref() {
                Some(u) if !u.is_empty() => u,
                _ => "-",
            };
            writeln!(
                out,
                r#"{} - {} [{}] "{} {} HTTP/1.1" {} {} "{}" "test/1.0" {}"#,
                r.client,
                user,
                t.format("%d/%b/%Y:%H:%M:%S +0000"),
                r.method,
                r.path,
                r.status,
                r.bytes,
                r.referer.as_deref().unwrap_or("-"),
                duration(r.ms)
            )
            .expect("write to string");
        }
        out
    }

    /// IIS's W3C log with its default fields, under the headers IIS writes at a file's top.
    pub(crate) fn iis(&self) -> String {
        let mut out = String::from(
            "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2024-05-01 00:00:00\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n",
        );
        for r in self.sorted() {
            let t = chrono::DateTime::from_timestamp(T0 + r.t as i64, 0).expect("valid time");
            let (stem, query) = r.path.split_once('?').unwrap_or((&r.path, "-"));
            writeln!(
                out,
                "{} 10.0.0.5 {} {stem} {query} 443 {} {} Mozilla/5.0+(Windows+NT+10.0) {} {} 0 0 {}",
                t.format("%Y-%m-%d %H:%M:%S"),
                r.method,
                r.user.as_deref().filter(|u| !u.is_empty()).unwrap_or("-"),
                r.client,
                r.referer.as_deref().unwrap_or("-"),
                r.status,
                r.ms.round()
            )
            .expect("write to string");
        }
        out
    }

    /// JSON lines with nginx-style keys.
    pub(crate) fn json(&self) -> String {
        let mut out = String::new();
        for r in self.sorted() {
            let ms = ((T0 as f64 + r.t) * 1000.0).round() as i64;
            let t = chrono::DateTime::from_timestamp_millis(ms).expect("valid time");
            let mut v = serde_json::json!({
                "time": t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                "remote_addr": r.client,
                "method": r.method,
                "path": r.path,
                "status": r.status,
                "body_bytes_sent": r.bytes,
                "duration_ms": (r.ms * 1000.0).round() / 1000.0,
                "upstream_status": if r.by_gateway { "-".to_string() } else { r.status.to_string() },
            });
            if let Some(u) = &r.user {
                v["user"] = serde_json::Value::from(u.clone());
            }
            if let Some(m) = &r.marker {
                v["error"] = serde_json::Value::from(m.clone());
            }
            if let Some(u) = &r.upstream {
                v["upstream"] = serde_json::Value::from(u.clone());
            }
            out.push_str(&v.to_string());
            out.push('\n');
        }
        out
    }
}

//! Realistic traffic, not threshold-shaped logs (issue 14): a shop API used by a few hundred
//! clients in sessions over a day — load that rises and falls, think times between requests,
//! correct 401/403/404/405/409/422/429 behaviour mixed in, health monitors and scanners — with
//! one smell planted at a time at modest strength (a few percent of an endpoint, tens of
//! requests). Every planted smell must be found with the right rule, endpoint and recommended
//! codes, and nothing else may fire: the healthy look-alikes stay silent.

use serde_json::Value;

use crate::logbuilder::{req, Log, Req, Rng};
use crate::util::{json_of, json_report, statuslens, write, write_partial};

/// One day.
const SPAN: f64 = 86_400.0;

/// A smell to plant, or none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Smell {
    None,
    /// 4 % of order creations fail as fast plain 500s (validation escaping as exceptions).
    FastWrite500,
    /// Closing an account (DELETE /api/account) answers 404: the router lacks the method.
    WrongMethod404,
    /// 5 % of payments answer 200 with an error marker.
    ErrorBody200,
    /// Cart creation answers 200 instead of 201.
    Create200,
    /// Removing a cart item answers 200 with an empty body.
    Empty200,
    /// Anonymous requests to the account get 403 instead of 401.
    Anon403,
    /// The wishlist route is dropped half-way through the day.
    Retired404,
    /// A report endpoint times out at 30 s and answers 500.
    Timeout500,
    /// Every page links a logo that is not deployed.
    BrokenLink,
    /// A mobile app retries at once after each 429.
    RetryStorm,
    /// The payment provider is down for an hour: payments answer plain 500.
    Outage500,
    /// Exports are produced while the client waits, for seconds.
    SlowSync,
    /// The checkout service crash-loops for ten minutes at 17:00: the gateway answers 502
    /// itself to every checkout request (carts, cart items, orders, payments).
    GatewayOutage,
    /// The catalog's database slows down from 13:00 to 13:20: clients close a third of the
    /// catalog requests after waiting seconds (nginx logs 499).
    SlowCatalog,
    /// A flash sale from 16:00 to 16:15: the gateway's shared rate limit answers 429 to a
    /// fifth of all requests, whoever sends them.
    FlashSale,
}

/// The service behind a path: what the gateway logs as the upstream.
fn service_of(path: &str) -> Option<&'static str> {
    let p = path.strip_prefix("/api/")?;
    let first = p.split('/').next().unwrap_or(p);
    Some(match first {
        "products" | "wishlist" | "search" => "catalog",
        "carts" | "orders" | "payments" => "checkout",
        "account" | "sessions" | "admin" => "accounts",
        _ => "backoffice",
    })
}

struct Model {
    rng: Rng,
    log: Log,
    smell: Smell,
}

impl Model {
    fn new(seed: u64, smell: Smell) -> Model {
        Model {
            rng: Rng::new(seed),
            log: Log::new(),
            smell,
        }
    }

    /// A client address from a pool of 400.
    fn client(&mut self) -> String {
        self.rng.client(400)
    }

    /// Session start times over the day, denser in the afternoon (a diurnal curve).
    fn session_starts(&mut self, n: usize) -> Vec<f64> {
        let mut v = Vec::with_capacity(n);
        while v.len() < n {
            let t = self.rng.unit() * SPAN;
            let load = 0.55 + 0.45 * (std::f64::consts::TAU * (t / SPAN - 0.3)).sin();
            if self.rng.unit() < load {
                v.push(t);
            }
        }
        v
    }

    /// Exponential think time around `mean` seconds.
    fn think(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.rng.unit()).ln()
    }

    /// Log `r`, with its upstream, as the planted incident changes it.
    fn push(&mut self, mut r: Req) {
        let service = service_of(&r.path);
        if let Some(u) = service {
            r = r.upstream(u);
        }
        let during = |from: f64, minutes: f64| (from..from + minutes * 60.0).contains(&r.t);
        match self.smell {
            Smell::GatewayOutage if service == Some("checkout") && during(61_200.0, 10.0) => {
                r = Req {
                    status: 502,
                    bytes: 150,
                    ms: 1.0,
                    marker: None,
                    ..r
                }
                .by_gateway();
            }
            Smell::SlowCatalog
                if service == Some("catalog")
                    && during(46_800.0, 20.0)
                    && self.rng.chance(0.35) =>
            {
                let ms = 4_000.0 + self.rng.unit() * 20_000.0;
                r = Req {
                    status: 499,
                    bytes: 0,
                    ms,
                    ..r
                }
                .by_gateway();
            }
            Smell::FlashSale
                if service.is_some() && during(57_600.0, 15.0) && self.rng.chance(0.2) =>
            {
                r = Req {
                    status: 429,
                    bytes: 60,
                    ms: 0.5,
                    marker: None,
                    ..r
                }
                .by_gateway();
            }
            _ => {}
        }
        self.log.push(r);
    }

    fn ms(&mut self, median: f64) -> f64 {
        self.rng.latency(median)
    }

    /// One user session: browse, maybe buy.
    fn session(&mut self, start: f64) {
        let client = self.client();
        let user = format!("u{}", self.rng.range(1, 350));
        let mut t = start;
        let smell = self.smell;
        // Anonymous first look at the account: 401 asks for credentials (403 when planted).
        if self.rng.chance(0.25) {
            let status = if smell == Smell::Anon403 { 403 } else { 401 };
            let ms = self.ms(8.0);
            self.push(
                req(t, "GET", "/api/account", status)
                    .user("")
                    .client(&client)
                    .ms(ms)
                    .bytes(60),
            );
            t += self.think(5.0);
        }
        // Log in: 3 % wrong passwords.
        let status = if self.rng.chance(0.03) { 401 } else { 201 };
        let ms = self.ms(120.0);
        self.push(
            req(t, "POST", "/api/sessions", status)
                .user("")
                .client(&client)
                .ms(ms),
        );
        if status == 401 {
            return;
        }
        t += self.think(10.0);
        let views = self.rng.range(2, 8);
        for _ in 0..views {
            let ms = self.ms(40.0);
            self.push(
                req(t, "GET", "/api/products", 200)
                    .user(&user)
                    .client(&client)
                    .ms(ms)
                    .bytes(9000),
            );
            if smell == Smell::BrokenLink && self.rng.chance(0.5) {
                let ms = self.ms(1.0);
                self.push(
                    req(t + 0.1, "GET", "/img/logo-2024.png", 404)
                        .user("")
                        .client(&client)
                        .ms(ms)
                        .bytes(150),
                );
            }
            t += self.think(15.0);
            // 4 % of product ids are stale links: 404 for an unknown id.
            let id = self.rng.range(1000, 1400);
            let status = if self.rng.chance(0.04) { 404 } else { 200 };
            let ms = self.ms(25.0);
            self.push(
                req(t, "GET", &format!("/api/products/{id}"), status)
                    .user(&user)
                    .client(&client)
                    .ms(ms)
                    .bytes(if status == 200 { 2400 } else { 90 }),
            );
            t += self.think(20.0);
        }
        // The wishlist, retired half-way through the day when planted.
        if self.rng.chance(0.3) {
            let status = if smell == Smell::Retired404 && t > SPAN / 2.0 {
                404
            } else {
                200
            };
            let ms = self.ms(30.0);
            self.push(
                req(t, "GET", "/api/wishlist", status)
                    .user(&user)
                    .client(&client)
                    .ms(ms),
            );
            t += self.think(10.0);
        }
        // A cart: created (201), items added (409 when out of stock, 422 for a bad quantity).
        if self.rng.chance(0.6) {
            let status = if smell == Smell::Create200 { 200 } else { 201 };
            let ms = self.ms(60.0);
            self.push(
                req(t, "POST", "/api/carts", status)
                    .user(&user)
                    .client(&client)
                    .ms(ms),
            );
            let cart = self.rng.range(50_000, 90_000);
            t += self.think(8.0);
            for _ in 0..self.rng.range(1, 3) {
                let status = match self.rng.range(0, 99) {
                    0..=2 => 409,
                    3..=4 => 422,
                    _ => 201,
                };
                let ms = self.ms(50.0);
                self.push(
                    req(t, "POST", &format!("/api/carts/{cart}/items"), status)
                        .user(&user)
                        .client(&client)
                        .ms(ms),
                );
                t += self.think(8.0);
            }
            if self.rng.chance(0.3) {
                let (status, bytes) = if smell == Smell::Empty200 {
                    (200, 0)
                } else {
                    (204, 0)
                };
                let item = self.rng.range(1, 40);
                let ms = self.ms(30.0);
                self.push(
                    req(
                        t,
                        "DELETE",
                        &format!("/api/carts/{cart}/items/{item}"),
                        status,
                    )
                    .user(&user)
                    .client(&client)
                    .ms(ms)
                    .bytes(bytes),
                );
                t += self.think(8.0);
            }
            // Check out: 5 % validation failures (422); 4 % fast 500s when planted.
            if self.rng.chance(0.7) {
                let roll = self.rng.unit();
                let (status, ms) = if roll < 0.05 {
                    (422, self.ms(15.0))
                } else if smell == Smell::FastWrite500 && roll < 0.09 {
                    (500, self.ms(4.0))
                } else {
                    (201, self.ms(180.0))
                };
                self.push(
                    req(t, "POST", "/api/orders", status)
                        .user(&user)
                        .client(&client)
                        .ms(ms),
                );
                t += self.think(5.0);
                if status == 201 {
                    let ms = self.ms(250.0);
                    let down = smell == Smell::Outage500 && (50_000.0..53_600.0).contains(&t);
                    let mut r = req(t, "POST", "/api/payments", if down { 500 } else { 201 })
                        .user(&user)
                        .client(&client)
                        .ms(ms);
                    if smell == Smell::ErrorBody200 && self.rng.chance(0.05) {
                        r = req(t, "POST", "/api/payments", 200)
                            .user(&user)
                            .client(&client)
                            .ms(ms)
                            .marker("PAYMENT_VALIDATION_FAILED");
                    }
                    self.push(r);
                    t += self.think(5.0);
                }
            }
        }
        // The account page; some update it (422 on a bad email), a few close it.
        if self.rng.chance(0.3) {
            let ms = self.ms(20.0);
            self.push(
                req(t, "GET", "/api/account", 200)
                    .user(&user)
                    .client(&client)
                    .ms(ms),
            );
            t += self.think(10.0);
            let status = if self.rng.chance(0.08) { 422 } else { 200 };
            let ms = self.ms(40.0);
            self.push(
                req(t, "PATCH", "/api/account", status)
                    .user(&user)
                    .client(&client)
                    .ms(ms),
            );
            t += self.think(10.0);
            if smell == Smell::WrongMethod404 && self.rng.chance(0.1) {
                let ms = self.ms(3.0);
                self.push(
                    req(t, "DELETE", "/api/account", 404)
                        .user(&user)
                        .client(&client)
                        .ms(ms),
                );
            }
        }
        // Non-admins looking at the admin area: 403 is right (they are authenticated).
        if self.rng.chance(0.03) {
            let ms = self.ms(5.0);
            self.push(
                req(t, "GET", "/api/admin/users", 403)
                    .user(&user)
                    .client(&client)
                    .ms(ms),
            );
        }
    }

    /// Everything that is not a user session.
    fn background(&mut self) {
        // Two health monitors, every 30 s.
        for (k, ip) in ["10.250.0.1", "10.250.0.2"].into_iter().enumerate() {
            let mut t = k as f64 * 7.0;
            while t < SPAN {
                let ms = self.ms(2.0);
                self.push(req(t, "GET", "/health", 200).client(ip).ms(ms).bytes(15));
                t += 30.0;
            }
        }
        // An integration that calls the search API and backs off when throttled.
        let mut t = 3_000.0;
        for i in 0..600 {
            let status = if i % 40 < 3 { 429 } else { 200 };
            let ms = self.ms(60.0);
            self.push(
                req(t, "GET", "/api/search", status)
                    .user("partner")
                    .client("10.200.0.9")
                    .ms(ms),
            );
            t += if status == 429 { 60.0 } else { 45.0 };
        }
        // A mobile app that retries throttled searches at once, again and again.
        if self.smell == Smell::RetryStorm {
            let mut t = 40_000.0;
            for i in 0..60 {
                let status = if i % 12 == 11 { 200 } else { 429 };
                let ms = self.ms(3.0);
                self.push(
                    req(t, "GET", "/api/search", status)
                        .user("mobile")
                        .client("10.77.0.5")
                        .ms(ms),
                );
                t += 0.6;
            }
        }
        // Exports: quick to accept (or produced while the client waits, when planted).
        for i in 0..40 {
            let ms = if self.smell == Smell::SlowSync {
                self.ms(4_000.0)
            } else {
                self.ms(300.0)
            };
            self.push(
                req(SPAN * (i as f64 + 0.5) / 40.0, "POST", "/api/exports", 201)
                    .user("finance")
                    .client(format!("10.200.1.{}", i % 4))
                    .ms(ms),
            );
        }
        // A client that tries an unsupported method: 405 is right.
        for i in 0..30 {
            let ms = self.ms(2.0);
            self.push(
                req(SPAN * i as f64 / 30.0, "PUT", "/api/products", 405)
                    .user("legacy")
                    .client("10.200.0.20")
                    .ms(ms),
            );
        }
        // A nightly report, slow but fine (or timing out at 30 s when planted).
        for i in 0..200 {
            let t = SPAN * i as f64 / 200.0;
            let (status, ms) = if self.smell == Smell::Timeout500 && i % 8 == 0 {
                (500, 30_000.0 + self.rng.range(0, 40) as f64)
            } else {
                (200, self.ms(2_500.0))
            };
            self.push(
                req(t, "GET", "/api/reports/sales", status)
                    .user("finance")
                    .client(format!("10.200.1.{}", i % 4))
                    .ms(ms),
            );
        }
        // Two scanners probing for files that do not exist.
        for (ip, start) in [("203.0.113.50", 20_000.0), ("198.51.100.23", 61_000.0)] {
            let mut t = start;
            for p in 0..80 {
                let path = format!(
                    "/{}{}",
                    ["wp-", "admin", ".env", "phpmyadmin", "backup"][p % 5],
                    p
                );
                self.push(req(t, "GET", &path, 404).client(ip).user("").ms(1.0));
                t += 0.7;
            }
        }
    }

    fn build(mut self, sessions: usize) -> Log {
        for start in self.session_starts(sessions) {
            self.session(start);
        }
        self.background();
        self.log
    }
}

/// The JSON report of `log` (JSON lines), run with `extra`.
fn report(log: &Log, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "shop.jsonl", log.json().as_bytes());
    json_report(&p, extra)
}

fn findings(log: &Log) -> Vec<Value> {
    report(log, &[])["findings"]
        .as_array()
        .expect("findings")
        .clone()
}

fn summary(fs: &[Value]) -> Vec<String> {
    fs.iter()
        .map(|f| {
            format!(
                "{} {} {} {}→{}",
                f["rule"].as_str().unwrap_or(""),
                f["method"].as_str().unwrap_or(""),
                f["route"].as_str().unwrap_or(""),
                f["observed_status"],
                f["recommended_status"]
            )
        })
        .collect()
}

/// The day with `smell` planted: exactly the expected finding, nothing else — also when the
/// same day is compressed into three minutes or stretched over three days (`retry-storm`
/// aside: retrying "within two seconds" is absolute time, which compression creates).
fn planted(smell: Smell, expected: &str) {
    let log = Model::new(7, smell).build(1500);
    let fs = summary(&findings(&log));
    assert_eq!(fs, [expected.to_string()], "{smell:?}");
    if smell == Smell::RetryStorm {
        return;
    }
    for (what, seconds) in [
        ("compressed into 3 minutes", 180.0),
        ("stretched over 3 days", 259_200.0),
    ] {
        let mut scaled = summary(&findings(&log.scaled(seconds / SPAN)));
        // Compressed 240-fold, the partner's one-minute back-off is a quarter second.
        scaled.retain(|f| !f.starts_with("retry-storm "));
        assert_eq!(scaled, fs, "{smell:?}, {what}");
    }
    // The 3-minute capture again, with two lines from hosts whose clocks are years off (an
    // unset clock, a mistyped year): they must not widen every time bucket and hide a burst.
    let mut skewed = log.scaled(180.0 / SPAN);
    for t in [-700_000_000.0, 220_000_000.0] {
        let mut r = skewed.reqs[skewed.reqs.len() / 2].clone();
        r.t = t;
        skewed.push(r);
    }
    let mut got = summary(&findings(&skewed));
    got.retain(|f| !f.starts_with("retry-storm "));
    assert_eq!(got, fs, "{smell:?}, compressed, with two skewed clocks");
    // And with stray lines hours off: one from the day before at the top of the capture (a
    // rotated file's last line), two logged two hours after it (long requests logged late):
    // the capture keeps its one-second buckets.
    let mut stray = log.scaled(180.0 / SPAN);
    for t in [-86_400.0, 180.0 + 7_200.0, 180.0 + 7_260.0] {
        let mut r = stray.reqs[stray.reqs.len() / 3].clone();
        r.t = t;
        stray.push(r);
    }
    let r = report(&stray, &[]);
    assert_eq!(
        r["timeline"]["bucket_seconds"], 1,
        "{smell:?}, with stray lines"
    );
    let mut got = summary(r["findings"].as_array().expect("findings"));
    got.retain(|f| !f.starts_with("retry-storm "));
    assert_eq!(got, fs, "{smell:?}, compressed, with stray lines hours off");
}

#[test]
fn a_healthy_day_has_no_findings() {
    let log = Model::new(7, Smell::None).build(1500);
    assert!(log.reqs.len() > 15_000, "{}", log.reqs.len());
    let fs = findings(&log);
    assert!(fs.is_empty(), "{:#?}", summary(&fs));
    let stretched = findings(&log.scaled(3.0));
    assert!(stretched.is_empty(), "{:#?}", summary(&stretched));
}

#[test]
fn fast_plain_500s_on_a_write() {
    planted(
        Smell::FastWrite500,
        "generic-500 POST /api/orders 500→[409,422]",
    );
}

#[test]
fn a_method_the_router_lacks() {
    planted(
        Smell::WrongMethod404,
        "wrong-method-404 DELETE /api/account 404→[405]",
    );
}

#[test]
fn errors_inside_200s() {
    planted(
        Smell::ErrorBody200,
        "error-body-200 POST /api/payments 200→[422]",
    );
}

#[test]
fn creates_that_answer_200() {
    planted(Smell::Create200, "create-200 POST /api/carts 200→[201,202]");
}

#[test]
fn empty_200s_on_delete() {
    planted(
        Smell::Empty200,
        "empty-200 DELETE /api/carts/{id}/items/{id} 200→[204]",
    );
}

#[test]
fn anonymous_403s() {
    planted(Smell::Anon403, "anon-403 GET /api/account 403→[401]");
}

#[test]
fn a_route_retired_half_way() {
    planted(Smell::Retired404, "retired-404 GET /api/wishlist 404→[410]");
}

#[test]
fn timeouts_answered_500() {
    planted(
        Smell::Timeout500,
        "app-timeout-500 GET /api/reports/sales 500→[504,503]",
    );
}

#[test]
fn a_broken_logo_link() {
    planted(
        Smell::BrokenLink,
        "broken-link-404 GET /img/logo-2024.png 404→[]",
    );
}

#[test]
fn a_client_that_retries_at_once_after_429() {
    planted(Smell::RetryStorm, "retry-storm GET /api/search 429→[429]");
}

#[test]
fn exports_made_while_the_client_waits() {
    planted(Smell::SlowSync, "slow-sync POST /api/exports 201→[202]");
}

#[test]
fn a_dependency_outage_answered_500() {
    planted(
        Smell::Outage500,
        "generic-500 POST /api/payments 500→[503,502]",
    );
}

// ---- incidents (issue 15) --------------------------------------------------------------------

/// What a planted incident must be reported as.
struct Expected {
    /// The one finding (as [`planted`] checks it).
    finding: &'static str,
    /// The status planted, and where: from (seconds into the day), for how many minutes.
    status: u16,
    planted: (f64, f64),
    /// Scope kind and name (`None` for the site).
    scope: (&'static str, Option<&'static str>),
    origin: Option<&'static str>,
    /// The window's start and end as RFC 3339 prefixes.
    window: (&'static str, &'static str),
}

/// `smell` planted: exactly its finding at any time scale (see [`planted`]), and one incident
/// with the right scope, origin and window, counting every planted response.
fn planted_incident(smell: Smell, want: Expected) {
    planted(smell, want.finding);
    let log = Model::new(7, smell).build(1500);
    let (from, minutes) = want.planted;
    let planted = log
        .reqs
        .iter()
        .filter(|r| r.status == want.status && (from..from + minutes * 60.0).contains(&r.t))
        .count() as u64;
    assert!(
        (20..=200).contains(&planted),
        "{smell:?}: modest strength, {planted}"
    );
    let v = report(&log, &[]);
    let inc = v["incidents"].as_array().expect("incidents");
    assert_eq!(inc.len(), 1, "{smell:?}: {inc:#?}");
    let i = &inc[0];
    assert_eq!(i["status"], want.status, "{i:#}");
    assert_eq!(
        i["count"], planted,
        "every planted response, nothing else: {i:#}"
    );
    assert_eq!(i["scope"]["kind"], want.scope.0, "{i:#}");
    assert_eq!(i["scope"]["name"].as_str(), want.scope.1, "{i:#}");
    assert_eq!(i["origin"].as_str(), want.origin, "{i:#}");
    let (start, end) = (
        i["window"]["start"].as_str().expect("start"),
        i["window"]["end"].as_str().expect("end"),
    );
    assert!(
        start.starts_with(want.window.0) && end.starts_with(want.window.1),
        "{smell:?}: {start} → {end}"
    );
    assert!(i["endpoints"].as_u64().is_some_and(|n| n >= 3), "{i:#}");
}

#[test]
fn a_target_group_down_for_ten_minutes() {
    planted_incident(
        Smell::GatewayOutage,
        Expected {
            finding: "gateway-burst * (whole API) 502→[502]",
            status: 502,
            planted: (61_200.0, 10.0),
            scope: ("upstream", Some("checkout")),
            origin: Some("gateway"),
            window: ("2024-05-01T17:00", "2024-05-01T17:10"),
        },
    );
}

#[test]
fn clients_giving_up_on_a_slow_catalog() {
    planted_incident(
        Smell::SlowCatalog,
        Expected {
            finding: "abort-burst * (whole API) 499→[]",
            status: 499,
            planted: (46_800.0, 20.0),
            scope: ("upstream", Some("catalog")),
            origin: Some("client"),
            window: ("2024-05-01T13:00", "2024-05-01T13:20"),
        },
    );
}

#[test]
fn a_flash_sale_trips_the_shared_rate_limit() {
    planted_incident(
        Smell::FlashSale,
        Expected {
            finding: "throttle-burst * (whole API) 429→[429]",
            status: 429,
            planted: (57_600.0, 15.0),
            scope: ("site", None),
            origin: Some("gateway"),
            window: ("2024-05-01T16:00", "2024-05-01T16:15"),
        },
    );
}

/// Each planted incident is the same at any `--jobs`, and when the day is split into three
/// partial aggregates (by line, written in a shuffled order) merged by a second run.
#[test]
fn incidents_do_not_depend_on_jobs_or_on_partials() {
    for smell in [Smell::GatewayOutage, Smell::SlowCatalog, Smell::FlashSale] {
        let log = Model::new(11, smell).build(1500);
        let text = log.json();
        let dir = tempfile::tempdir().expect("tempdir");
        let whole = write(dir.path(), "shop.jsonl", text.as_bytes());
        let at = |jobs: &str| {
            json_of(
                &statuslens()
                    .arg(&whole)
                    .args(["--format", "json", "--jobs", jobs])
                    .output()
                    .expect("runs"),
            )
        };
        let one = at("1");
        assert_eq!(
            one["incidents"].as_array().map(Vec::len),
            Some(1),
            "{smell:?}"
        );
        let four = at("4");
        assert_eq!(one["incidents"], four["incidents"], "{smell:?}");
        assert_eq!(
            one["findings"], four["findings"],
            "{smell:?}, samples included"
        );
        let lines: Vec<&str> = text.lines().collect();
        let mut parts = Vec::new();
        for k in [2, 0, 1] {
            let part: String = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| i % 3 == k)
                .map(|(_, l)| format!("{l}\n"))
                .collect();
            let p = write(dir.path(), &format!("{k}.jsonl"), part.as_bytes());
            let out = dir.path().join(format!("{k}.partial"));
            write_partial(&p, &out);
            parts.push(out);
        }
        let merged = json_of(
            &statuslens()
                .args(&parts)
                .args(["--format", "json"])
                .output()
                .expect("runs"),
        );
        assert_eq!(
            merged["incidents"], one["incidents"],
            "{smell:?}: merged partials"
        );
    }
}

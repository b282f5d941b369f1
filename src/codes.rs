//! `statuslens codes`: an offline reference of HTTP status codes — every registered code and the
//! common unregistered ones — in our own words: what it means, when to use it, and what it is
//! often confused with. `nonstandard-code` uses the same table.

/// One code.
#[derive(Debug)]
pub struct CodeInfo {
    /// The code.
    pub code: u16,
    /// Reason phrase.
    pub name: &'static str,
    /// Registered with IANA.
    pub registered: bool,
    /// When to use it.
    pub usage: &'static str,
    /// What it is confused with, and how to tell.
    pub confused: &'static str,
}

macro_rules! code {
    ($c:expr, $n:expr, $r:expr, $u:expr, $x:expr) => {
        CodeInfo {
            code: $c,
            name: $n,
            registered: $r,
            usage: $u,
            confused: $x,
        }
    };
}

/// Every code we document, ascending.
pub static CODES: &[CodeInfo] = &[
    code!(100, "Continue", true, "Interim answer to `Expect: 100-continue`: the server will accept the body, send it.", "Nothing in practice; servers handle it, applications rarely see it."),
    code!(101, "Switching Protocols", true, "The connection switches protocol (WebSocket upgrade).", "200 for an upgrade request: without 101 no upgrade happened."),
    code!(102, "Processing", true, "WebDAV interim answer for a long request; deprecated.", "202: for long work answer 202 and let the client poll."),
    code!(103, "Early Hints", true, "Interim answer carrying `Link` preload headers before the final response.", "Nothing; it never replaces the final status."),
    code!(200, "OK", true, "Success with a body: a representation (GET) or the result of an action.", "201 for a creation, 204 when there is no body, 202 when the work is queued; never for errors (see `error-body-200`)."),
    code!(201, "Created", true, "A resource was created; send `Location` with its URL.", "200 on POST creations (`create-200`); 202 when creation is only queued."),
    code!(202, "Accepted", true, "The request is queued and will be processed later; point to a status resource.", "200/201 after seconds of synchronous work (`slow-sync`)."),
    code!(203, "Non-Authoritative Information", true, "A transforming proxy changed the origin's 200 payload.", "200; applications should not send it."),
    code!(204, "No Content", true, "Success with no body: DELETE, PUT, PATCH, actions with nothing to return.", "200 with an empty body (`empty-200`); 404 for 'nothing found' in a search (an empty list is 200)."),
    code!(205, "Reset Content", true, "Success; the client should reset the form or view that sent the request.", "204, which leaves the view alone."),
    code!(206, "Partial Content", true, "Answer to a `Range` request with part of the representation.", "200 with the whole body, which ignores Range."),
    code!(207, "Multi-Status", true, "WebDAV: a body with one status per sub-operation.", "200 with mixed results inside: batch APIs should say so explicitly."),
    code!(208, "Already Reported", true, "WebDAV binding members already listed in a 207.", "Rarely needed outside WebDAV."),
    code!(226, "IM Used", true, "Delta encoding (RFC 3229) answer.", "Rarely used."),
    code!(300, "Multiple Choices", true, "Several representations; the client picks one.", "Content negotiation usually just picks one with 200."),
    code!(301, "Moved Permanently", true, "The resource has a new permanent URL; clients may turn POST into GET.", "308 when the method must be kept; 302/307 when the move is temporary."),
    code!(302, "Found", true, "Temporary redirect; clients may turn POST into GET.", "303 for 'see the result there', 307 to keep the method."),
    code!(303, "See Other", true, "After a POST, fetch the result at another URL with GET (status resources of 202 flows).", "302, whose method change is only tolerated."),
    code!(304, "Not Modified", true, "Conditional GET: the cached copy is still valid. Healthy, not an error.", "200 with the full body when `If-None-Match` matched."),
    code!(305, "Use Proxy", true, "Deprecated; do not use.", "None."),
    code!(306, "(Unused)", true, "Reserved; never send it.", "None."),
    code!(307, "Temporary Redirect", true, "Temporary redirect keeping method and body.", "302, which may lose the method."),
    code!(308, "Permanent Redirect", true, "Permanent redirect keeping method and body.", "301, which may lose the method."),
    code!(400, "Bad Request", true, "The request cannot be parsed or is malformed (bad JSON, wrong types, bad headers).", "422 for well-formed but invalid content; pick one convention per API (`mixed-validation`)."),
    code!(401, "Unauthorized", true, "No valid credentials: missing, expired or wrong. Send `WWW-Authenticate`.", "403, which means authenticated but not allowed (`anon-403`)."),
    code!(402, "Payment Required", true, "Reserved; some APIs use it for billing limits.", "403 or 429 for quota limits."),
    code!(403, "Forbidden", true, "Authenticated (or authentication would not help) but not allowed.", "401 when credentials are missing; 404 to hide that a resource exists."),
    code!(404, "Not Found", true, "No resource at this URL (unknown id, unknown path).", "405 when the route exists but not the method (`wrong-method-404`); 410 when removed for good (`retired-404`)."),
    code!(405, "Method Not Allowed", true, "The route exists but does not support this method; send `Allow`.", "404, which sends clients looking for a wrong path."),
    code!(406, "Not Acceptable", true, "No representation matches the `Accept` headers.", "415, which is about the request body's type."),
    code!(407, "Proxy Authentication Required", true, "A proxy needs credentials.", "401, for the origin server."),
    code!(408, "Request Timeout", true, "The client was too slow to send its request; the server closes.", "504, when the server side timed out."),
    code!(409, "Conflict", true, "The request clashes with the resource's state: duplicate, version mismatch, invalid transition.", "500 for refused writes (`generic-500`); 422 for invalid content; 412 for failed preconditions."),
    code!(410, "Gone", true, "The resource was removed on purpose and will not come back.", "404, which suggests it might exist elsewhere (`retired-404`)."),
    code!(411, "Length Required", true, "The server needs `Content-Length`.", "400."),
    code!(412, "Precondition Failed", true, "An `If-Match`/`If-Unmodified-Since` precondition failed (optimistic locking).", "409, for conflicts not expressed as preconditions."),
    code!(413, "Content Too Large", true, "The request body is larger than the server accepts.", "400 or 500 from body-size limits."),
    code!(414, "URI Too Long", true, "The request target is too long.", "400."),
    code!(415, "Unsupported Media Type", true, "The request body's `Content-Type` is not supported.", "406, about what the client accepts back."),
    code!(416, "Range Not Satisfiable", true, "The `Range` asked for lies outside the representation.", "400."),
    code!(417, "Expectation Failed", true, "An `Expect` header cannot be met.", "Rarely seen."),
    code!(418, "(Unused)", true, "Reserved by RFC 9110 after the teapot joke; do not send it.", "Any real 4xx."),
    code!(421, "Misdirected Request", true, "The connection cannot serve this authority (HTTP/2 connection reuse, TLS SNI mismatch).", "400 or 404 from virtual-host mix-ups."),
    code!(422, "Unprocessable Content", true, "Well-formed request with invalid content (validation errors).", "400, which many APIs use for the same thing; be consistent (`mixed-validation`)."),
    code!(423, "Locked", true, "WebDAV: the resource is locked.", "409."),
    code!(424, "Failed Dependency", true, "WebDAV: failed because an earlier action failed.", "409 or 500."),
    code!(425, "Too Early", true, "The server will not process a request replayed in TLS early data.", "Rare outside CDNs."),
    code!(426, "Upgrade Required", true, "The client must switch protocol (send `Upgrade`).", "400."),
    code!(428, "Precondition Required", true, "The server requires conditional requests (If-Match) to avoid lost updates.", "412, when a given precondition failed."),
    code!(429, "Too Many Requests", true, "Rate limit hit; send `Retry-After`.", "503 for overload of the whole service; 403 for quota bans (`retry-storm`)."),
    code!(431, "Request Header Fields Too Large", true, "Headers (often cookies) too large.", "400 or 413."),
    code!(451, "Unavailable For Legal Reasons", true, "Blocked for legal reasons.", "403 or 404."),
    code!(500, "Internal Server Error", true, "An unexpected fault in the server: a bug. Nothing more precise applies.", "503 (overload), 504 (timeout), 502 (bad upstream), 409/422 (the client's input) — see `generic-500` and `app-timeout-500`."),
    code!(501, "Not Implemented", true, "The server does not support the method at all (for any resource).", "405, when the method is unsupported only on this route."),
    code!(502, "Bad Gateway", true, "A gateway or proxy got an invalid answer (or none: refused, reset) from upstream.", "504 when upstream was too slow; 500 when the app itself failed (`gateway-5xx`)."),
    code!(503, "Service Unavailable", true, "Temporarily unable to serve: overload, maintenance, dependency down. Send `Retry-After`.", "500 for load-related failures; 429 for per-client limits."),
    code!(504, "Gateway Timeout", true, "A gateway, or the app acting as one, timed out waiting for upstream.", "500 for timeouts (`app-timeout-500`); 408, which is the client being slow."),
    code!(505, "HTTP Version Not Supported", true, "The HTTP version is not supported.", "400."),
    code!(506, "Variant Also Negotiates", true, "Content negotiation misconfiguration.", "Rare."),
    code!(507, "Insufficient Storage", true, "WebDAV: no space to store the representation.", "500 or 503."),
    code!(508, "Loop Detected", true, "WebDAV: infinite loop while processing.", "500."),
    code!(510, "Not Extended", true, "Obsolete (RFC 2774 is historic).", "None."),
    code!(511, "Network Authentication Required", true, "A captive portal needs the client to log in to the network.", "401."),
    code!(420, "Enhance Your Calm", false, "Unregistered (old Twitter rate limit).", "Use 429."),
    code!(419, "Page Expired (Laravel)", false, "Unregistered (Laravel): the CSRF token did not match, usually because the session expired.", "Use 403 (as other frameworks do for a CSRF failure), or 401 when the session is gone."),
    code!(440, "Login Time-out", false, "Unregistered (IIS): session expired.", "Use 401."),
    code!(444, "No Response", false, "nginx: connection closed without a response (logged only; `return 444` shuts out scanners).", "Nothing is sent, so nothing to correct; 400 if clients should learn why."),
    code!(449, "Retry With", false, "Unregistered (IIS).", "Use 400 or 428."),
    code!(460, "Client Closed (ALB)", false, "AWS ALB: the client closed the connection before the idle timeout.", "Like nginx 499: triage slow responses."),
    code!(463, "X-Forwarded-For Too Long (ALB)", false, "AWS ALB: more than 30 addresses in X-Forwarded-For.", "400."),
    code!(464, "Incompatible Protocol (ALB)", false, "AWS ALB: protocol version mismatch with the target group.", "400 / 505."),
    code!(494, "Request Header Too Large (nginx)", false, "nginx: request headers too large.", "431."),
    code!(495, "SSL Certificate Error (nginx)", false, "nginx: invalid client certificate.", "400 / 401."),
    code!(496, "SSL Certificate Required (nginx)", false, "nginx: no client certificate.", "401."),
    code!(497, "HTTP to HTTPS (nginx)", false, "nginx: plain HTTP sent to an HTTPS port.", "400."),
    code!(498, "Invalid Token", false, "Unregistered (Esri): expired or invalid token.", "401."),
    code!(499, "Client Closed Request (nginx)", false, "nginx: the client closed the connection before the answer. Healthy in small numbers.", "A 5xx; many 499s mean the endpoint is too slow (`gateway-5xx`)."),
    code!(509, "Bandwidth Limit Exceeded", false, "Unregistered (cPanel/Apache).", "503 or 429."),
    code!(520, "Unknown Error (Cloudflare)", false, "Cloudflare: the origin answered something unexpected.", "502."),
    code!(521, "Web Server Is Down (Cloudflare)", false, "Cloudflare: the origin refused the connection.", "502."),
    code!(522, "Connection Timed Out (Cloudflare)", false, "Cloudflare: connecting to the origin timed out.", "504."),
    code!(523, "Origin Is Unreachable (Cloudflare)", false, "Cloudflare: no route to the origin.", "502."),
    code!(524, "A Timeout Occurred (Cloudflare)", false, "Cloudflare: the origin did not answer in time.", "504."),
    code!(525, "SSL Handshake Failed (Cloudflare)", false, "Cloudflare: TLS handshake with the origin failed.", "502."),
    code!(526, "Invalid SSL Certificate (Cloudflare)", false, "Cloudflare: the origin's certificate is invalid.", "502."),
    code!(527, "Railgun Error (Cloudflare)", false, "Cloudflare: Railgun connection failed.", "502."),
    code!(530, "Origin DNS Error (Cloudflare)", false, "Cloudflare: origin DNS failed (with a 1xxx error).", "502."),
    code!(561, "Unauthorized (ALB)", false, "AWS ALB: the identity provider refused authentication.", "401."),
    code!(598, "Network Read Timeout", false, "Unregistered (some proxies).", "504."),
    code!(599, "Network Connect Timeout", false, "Unregistered (some proxies).", "504."),
];

/// The entry of `code`, if documented.
pub fn lookup(code: u16) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| c.code == code)
}

/// Whether `code` is a log's record of a client that closed the connection before the answer
/// (nginx 499, an ALB's 460): nobody received it.
pub fn is_client_closed(code: u16) -> bool {
    matches!(code, 499 | 460)
}

/// Whether `code` is nginx's record of a request it dropped without answering (`return 444`,
/// the usual way to shut out scanners and unknown hosts): nobody received a status.
pub fn is_dropped(code: u16) -> bool {
    code == 444
}

/// Whether `code` is in the IANA registry.
pub fn is_registered(code: u16) -> bool {
    lookup(code).is_some_and(|c| c.registered)
}

/// The registered code that fits an unregistered one, and what the unregistered one means.
pub fn nonstandard_fit(code: u16) -> (u16, &'static str) {
    let fit = match code {
        420 | 509 => 429,
        440 | 498 | 496 | 561 => 401,
        494 => 431,
        449 => 428,
        419 => 403,
        460 | 499 => 408,
        463 | 464 | 495 | 497 | 444 => 400,
        520 | 521 | 523 | 525..=527 | 530 => 502,
        522 | 524 | 598 | 599 => 504,
        c => (c / 100).clamp(1, 5) * 100,
    };
    let meaning = lookup(code).map_or("an invented code", |c| c.name);
    (fit, meaning)
}

/// The text `statuslens codes CODE` prints.
pub fn render(c: &CodeInfo) -> String {
    format!(
        "{} {}{}\n\n  When: {}\n  Often confused with: {}\n",
        c.code,
        c.name,
        if c.registered {
            ""
        } else {
            "  [not registered]"
        },
        c.usage,
        c.confused
    )
}

/// The answer of `statuslens codes [CODE]`: every code, one class (`4xx`), or one code explained.
pub fn query(code: Option<&str>) -> Result<String, String> {
    let list = |pred: &dyn Fn(u16) -> bool| {
        let mut s = String::new();
        for c in CODES.iter().filter(|c| pred(c.code)) {
            s.push_str(&format!(
                "{} {:<34} {}\n",
                c.code,
                c.name,
                if c.registered { "" } else { "(not registered)" }
            ));
        }
        s.push_str("\n`statuslens codes CODE` explains one.\n");
        s
    };
    let Some(code) = code else {
        return Ok(list(&|_| true));
    };
    if let Some(class) = code
        .strip_suffix("xx")
        .and_then(|d| d.parse::<u16>().ok())
        .filter(|d| (1..=5).contains(d))
    {
        return Ok(list(&|c| c / 100 == class));
    }
    let n: u16 = code.parse().map_err(|_| {
        format!("`{code}` is not a status code: give a number like 404 or a class like 4xx")
    })?;
    match lookup(n) {
        Some(c) => Ok(render(c)),
        None if (100..600).contains(&n) => Err(format!(
            "{n} is neither registered nor a known vendor code; registered codes in its class: `statuslens codes {}xx`",
            n / 100
        )),
        None => Err(format!(
            "{n} is not an HTTP status code: they run from 100 to 599 (RFC 9110 §15), in five classes (`statuslens codes 1xx` … `5xx`)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_code_is_sent_to_its_class_and_one_outside_the_range_to_none() {
        let e = query(Some("299")).expect_err("unknown");
        assert!(e.contains("`statuslens codes 2xx`"), "{e}");
        for code in ["600", "999", "42"] {
            let e = query(Some(code)).expect_err("outside");
            assert!(
                e.contains("from 100 to 599") && !e.contains("in its class"),
                "{e}"
            );
        }
    }

    #[test]
    fn table_is_sorted_unique_and_complete() {
        let registered: Vec<u16> = CODES
            .iter()
            .filter(|c| c.registered)
            .map(|c| c.code)
            .collect();
        let mut sorted = registered.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(registered, sorted, "registered codes ascending and unique");
        for c in [
            100, 200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 410, 422, 429, 500, 502, 503,
            504,
        ] {
            assert!(is_registered(c), "{c}");
        }
        assert_eq!(registered.len(), 63, "IANA registry as of RFC 9110");
        for c in CODES {
            assert!(!c.usage.is_empty() && !c.confused.is_empty(), "{}", c.code);
        }
    }

    #[test]
    fn nonstandard_codes_have_a_fit() {
        assert!(!is_registered(499) && !is_registered(420) && !is_registered(599));
        assert_eq!(nonstandard_fit(420).0, 429);
        assert_eq!(nonstandard_fit(524).0, 504);
        assert_eq!(nonstandard_fit(299), (200, "an invented code"));
        assert!(is_registered(nonstandard_fit(777).0) || nonstandard_fit(777).0 == 500);
    }
}

//! Raw request target → route template (SPEC §4).
//!
//! Two steps. [`Normalizer::normalize`] is pure and per line: it strips the query and the
//! scheme/host of absolute-form targets, then replaces segments that are ids, UUIDs, hashes,
//! opaque tokens, e-mails or dates by placeholders; `--route` templates win over it.
//! [`collapse`] runs once on the merged aggregate: a segment position under one parent with more
//! than `threshold` distinct literal values becomes `{param}`. Because it runs after the merge,
//! its result does not depend on how the input was split.

pub mod openapi;
pub mod template;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::format::Record;
use template::TemplateSet;

/// Per-line route normaliser: declared templates (`--route`, the config's `routes`, the OpenAPI
/// document's paths) in one trie, then heuristics.
#[derive(Clone, Debug, Default)]
pub struct Normalizer {
    templates: TemplateSet,
}

/// The route of lines whose request line was not a valid request (null path).
pub const NO_REQUEST: &str = "(no request)";
/// The route that collects everything beyond the route cap.
pub const OTHER: &str = "(other)";

fn is_placeholder(seg: &[u8]) -> bool {
    seg.len() >= 2 && seg[0] == b'{' && seg[seg.len() - 1] == b'}'
}

impl Normalizer {
    /// A normaliser with the user's templates, matched as [`template`] describes (literal
    /// segments win over parameters; otherwise the first given wins).
    pub fn new(templates: &[String]) -> Result<Normalizer, String> {
        let mut set = TemplateSet::default();
        for t in templates {
            set.add(t).map_err(|e| format!("--route {e}"))?;
        }
        Ok(Normalizer { templates: set })
    }

    /// A normaliser with explicit `templates` and the paths of `api`'s OpenAPI document. The
    /// most specific template wins whichever list it came from (literal segments over
    /// parameters, as OpenAPI specifies); of two with the same shape (`/users/{id}` and
    /// `/users/{userId}`) the explicit one.
    pub fn with_api(templates: &[String], api: &openapi::Api) -> Result<Normalizer, String> {
        let mut n = Normalizer::new(templates)?;
        for t in api.spec_templates() {
            n.templates.add(t).map_err(|e| format!("--openapi {e}"))?;
        }
        Ok(n)
    }

    /// Whether `route` is one of the declared templates (they are never collapsed).
    pub fn is_template(&self, route: &str) -> bool {
        self.templates.contains(route)
    }

    /// Whether any template is declared (without, no route is one).
    pub fn has_templates(&self) -> bool {
        !self.templates.is_empty()
    }

    /// Append the route of a record to `out`: its path's route, or [`NO_REQUEST`] when the line
    /// held no valid request line (no method or no path). False when the appended route
    /// certainly holds no byte outside letters, digits and `-_=.~+@%/{}` (so no NUL, no control
    /// byte): callers that would search it for such a byte can skip the search.
    pub fn record_route(&self, rec: &Record<'_>, out: &mut Vec<u8>) -> bool {
        match (rec.method, rec.route_path_part()) {
            // A proxy request for a tunnel (`CONNECT host:443`, mostly scanners looking for an
            // open proxy): one route per port, not one per host probed.
            (Some(b"CONNECT"), Some(p)) if !p.contains(&b'/') => {
                out.extend_from_slice(b"{host}");
                if let Some(i) = p.iter().rposition(|&b| b == b':') {
                    let port = &p[i + 1..];
                    if !port.is_empty() && port.iter().all(u8::is_ascii_digit) {
                        out.push(b':');
                        out.extend_from_slice(port);
                    }
                }
                true
            }
            (Some(_), Some(p)) => self.scan(&p, out).1 & OTHER_BYTE != 0,
            _ => {
                out.extend_from_slice(NO_REQUEST.as_bytes());
                false
            }
        }
    }

    /// Append the route of `target` to `out`. True when a declared template matched.
    pub fn normalize(&self, target: &[u8], out: &mut Vec<u8>) -> bool {
        self.scan(target, out).0
    }

    /// [`Normalizer::normalize`], also returning the byte classes of the path's segments (a
    /// superset of what it copied from the target; [`OTHER_BYTE`] for a declared template,
    /// which it does not look into).
    fn scan(&self, target: &[u8], out: &mut Vec<u8>) -> (bool, u8) {
        let start = out.len();
        let path = strip_origin(target);
        if !self.templates.is_empty() {
            if let Some(t) = self.templates.find(path_part(path)) {
                out.extend_from_slice(t.as_bytes());
                return (true, OTHER_BYTE);
            }
        }
        // The asterisk form (`OPTIONS *`), also when a query or fragment follows it, as the
        // route of the path cut at its query must be the same.
        if path.first() == Some(&b'*') && path_part(path) == b"*" {
            out.push(b'*');
            return (false, 0);
        }
        // Classes of the bytes of every segment (those kept as they are among them).
        let mut seen = 0u8;
        // One pass: segment boundaries, the end of the path (`?`/`#`), and each segment's last dot.
        // The byte classes of the segment (and of its stem, before its last dot) are gathered
        // on the way, so classifying it needs no second pass. Segments kept as they are go out
        // in runs, one copy per run: the output of a kept segment is its `/` and its bytes,
        // which is the path itself until an empty segment or a placeholder breaks the run.
        let mut seg_start = 0;
        let mut last_dot: Option<(usize, u8)> = None;
        let mut mask = 0u8;
        let mut i = 0;
        // Start of the kept bytes of `path` not yet copied out.
        let mut run: Option<usize> = None;
        loop {
            for &b in &path[i..] {
                let c = SCAN[usize::from(b)];
                if c & STOP != 0 {
                    break;
                }
                mask |= c;
                i += 1;
            }
            let b = path.get(i).copied().unwrap_or(b'?');
            if b == b'.' {
                last_dot = Some((i - seg_start, mask));
                mask |= B64_PUNCT;
                i += 1;
                continue;
            }
            if i > seg_start {
                let seg = &path[seg_start..i];
                seen |= mask;
                match classify(seg, mask, last_dot) {
                    // A segment after a `/` joins (or starts) the run; the first segment of a
                    // target without a leading `/` (authority form) has no `/` to copy.
                    None if seg_start > 0 => {
                        run.get_or_insert(seg_start - 1);
                    }
                    None => {
                        out.push(b'/');
                        out.extend_from_slice(seg);
                    }
                    Some((p, ext)) => {
                        if let Some(r) = run.take() {
                            out.extend_from_slice(&path[r..seg_start - 1]);
                        }
                        out.push(b'/');
                        out.extend_from_slice(p);
                        if let Some(ext) = ext {
                            out.push(b'.');
                            out.extend_from_slice(ext);
                        }
                    }
                }
            } else if let Some(r) = run.take() {
                // An empty segment (`//`) is dropped: the run ends before it.
                out.extend_from_slice(&path[r..i - 1]);
            }
            if b != b'/' {
                if let Some(r) = run.take() {
                    out.extend_from_slice(&path[r..i]);
                }
                break;
            }
            i += 1;
            seg_start = i;
            last_dot = None;
            mask = 0;
        }
        if out.len() == start {
            out.push(b'/');
        }
        (false, seen)
    }
}

/// Whether `method` is one of the eight methods an OpenAPI path item can declare: endpoints of a
/// declared template with one of them are bounded by the declaration, so the route cap leaves
/// them alone.
pub fn is_standard_method(method: &[u8]) -> bool {
    matches!(
        method,
        b"GET" | b"PUT" | b"POST" | b"DELETE" | b"OPTIONS" | b"HEAD" | b"PATCH" | b"TRACE"
    )
}

/// Whether `method` is in the IANA HTTP Method Registry (RFC 9110 and the WebDAV, versioning,
/// calendaring and binding extensions), or is `PRI` (the HTTP/2 preface) or `QUERY`. Anything
/// else — garbage from scanners, binary junk on a plain-text port — is counted under one
/// `(invalid method)` entry per route rather than one endpoint per token.
pub fn is_registered_method(method: &[u8]) -> bool {
    matches!(
        method,
        b"GET"
            | b"HEAD"
            | b"POST"
            | b"PUT"
            | b"DELETE"
            | b"CONNECT"
            | b"OPTIONS"
            | b"TRACE"
            | b"PATCH"
            | b"QUERY"
            | b"PRI"
            | b"ACL"
            | b"BASELINE-CONTROL"
            | b"BIND"
            | b"CHECKIN"
            | b"CHECKOUT"
            | b"COPY"
            | b"LABEL"
            | b"LINK"
            | b"LOCK"
            | b"MERGE"
            | b"MKACTIVITY"
            | b"MKCALENDAR"
            | b"MKCOL"
            | b"MKREDIRECTREF"
            | b"MKWORKSPACE"
            | b"MOVE"
            | b"ORDERPATCH"
            | b"PROPFIND"
            | b"PROPPATCH"
            | b"REBIND"
            | b"REPORT"
            | b"SEARCH"
            | b"UNBIND"
            | b"UNCHECKOUT"
            | b"UNLINK"
            | b"UNLOCK"
            | b"UPDATE"
            | b"UPDATEREDIRECTREF"
            | b"VERSION-CONTROL"
    )
}

/// Drop the `scheme://host` of an absolute-form target.
fn strip_origin(target: &[u8]) -> &[u8] {
    for scheme in [&b"http://"[..], b"https://"] {
        if target.len() > scheme.len() && target[..scheme.len()].eq_ignore_ascii_case(scheme) {
            let rest = &target[scheme.len()..];
            return rest
                .iter()
                .position(|&b| b == b'/' || b == b'?')
                .map_or(&b"/"[..], |i| &rest[i..]);
        }
    }
    target
}

/// The path of a request target without its query or fragment.
fn path_part(p: &[u8]) -> &[u8] {
    p.iter()
        .position(|&b| b == b'?' || b == b'#')
        .map_or(p, |i| &p[..i])
}

/// Whether 36 bytes, hex digits and dashes only, have their dashes where a UUID has them
/// (and nowhere else): `is_uuid` knowing the classes.
fn uuid_dashes(s: &[u8]) -> bool {
    s[8] == b'-'
        && s[13] == b'-'
        && s[18] == b'-'
        && s[23] == b'-'
        && s.iter().filter(|&&b| b == b'-').count() == 4
}

fn is_date(s: &[u8]) -> bool {
    s.len() == 10
        && s[4] == b'-'
        && s[7] == b'-'
        && s.iter()
            .enumerate()
            .all(|(i, &b)| i == 4 || i == 7 || b.is_ascii_digit())
        && matches!(&s[5..7], [b'0', b'1'..=b'9'] | [b'1', b'0'..=b'2'])
}

fn is_email(s: &[u8]) -> bool {
    let at = s
        .iter()
        .position(|&b| b == b'@')
        .map(|i| (i, 1))
        .or_else(|| s.windows(3).position(|w| w == b"%40").map(|i| (i, 3)));
    match at {
        Some((i, w)) => {
            i > 0
                && s[i + w..]
                    .iter()
                    .position(|&b| b == b'.')
                    .is_some_and(|d| d > 0 && i + w + d + 1 < s.len())
        }
        None => false,
    }
}

/// Long opaque tokens (API keys, JWTs, base64url ids): ≥ 20 chars of the base64url alphabet
/// where letters and digits interleave. A slug such as `logstash-monitorama-2013` has letters
/// and digits too, but in runs: random text switches between them often.
fn is_token(s: &[u8]) -> bool {
    if !s
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'=' | b'.' | b'~' | b'+'))
    {
        return false;
    }
    let switches = s
        .windows(2)
        .filter(|w| {
            (w[0].is_ascii_digit() && w[1].is_ascii_alphabetic())
                || (w[0].is_ascii_alphabetic() && w[1].is_ascii_digit())
        })
        .count();
    switches >= 4
}

const DIGIT: u8 = 1;
const HEX_ALPHA: u8 = 2;
const ALPHA: u8 = 4;
const DASH: u8 = 8;
const B64_PUNCT: u8 = 16;
const AT_PCT: u8 = 32;
const OTHER_BYTE: u8 = 64;
/// Bytes that end a scan in [`Normalizer::normalize`] (`/`, `?`, `#`, `.`), in [`SCAN`].
const STOP: u8 = 128;

/// Byte classes for [`placeholder`]: OR-ing them over a segment tells in one branch-free pass
/// which placeholders are possible at all.
static CLASS: [u8; 256] = {
    let mut t = [OTHER_BYTE; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_digit() {
            DIGIT
        } else if c.is_ascii_hexdigit() {
            HEX_ALPHA
        } else if c.is_ascii_alphabetic() {
            ALPHA
        } else if c == b'-' {
            DASH
        } else if c == b'_' || c == b'=' || c == b'.' || c == b'~' || c == b'+' {
            B64_PUNCT
        } else if c == b'@' || c == b'%' {
            AT_PCT
        } else {
            OTHER_BYTE
        };
        b += 1;
    }
    t
};

/// [`CLASS`] with [`STOP`] on the bytes that end a scan.
static SCAN: [u8; 256] = {
    let mut t = CLASS;
    t[b'/' as usize] |= STOP;
    t[b'?' as usize] |= STOP;
    t[b'#' as usize] |= STOP;
    t[b'.' as usize] |= STOP;
    t
};

/// The placeholder for a segment (or a segment's stem) whose bytes' [`CLASS`]es or together
/// to `mask`, if it is an identifier.
fn placeholder(s: &[u8], mask: u8) -> Option<&'static [u8]> {
    if s.is_empty() {
        return None;
    }
    if mask == DIGIT {
        return Some(b"{id}");
    }
    if s.len() == 36 && mask & !(DIGIT | HEX_ALPHA | DASH) == 0 && uuid_dashes(s) {
        return Some(b"{uuid}");
    }
    if s.len() >= 16 && mask & !(DIGIT | HEX_ALPHA) == 0 && mask & DIGIT != 0 {
        return Some(b"{hash}");
    }
    if s.len() == 10 && mask == DIGIT | DASH && is_date(s) {
        return Some(b"{date}");
    }
    if mask & AT_PCT != 0 && is_email(s) {
        return Some(b"{email}");
    }
    if s.len() >= 20 && mask & (AT_PCT | OTHER_BYTE) == 0 && mask & DIGIT != 0 && is_token(s) {
        return Some(b"{token}");
    }
    None
}

/// The placeholder of one segment, with the extension it keeps, or `None` when the segment
/// stays as it is; `mask` is its bytes' classes, `last_dot` the index of its last `.` and the
/// classes of the bytes before it.
#[inline]
fn classify(
    seg: &[u8],
    mask: u8,
    last_dot: Option<(usize, u8)>,
) -> Option<(&'static [u8], Option<&[u8]>)> {
    // `123.json`, `53f8d729….html`: classify the stem, keep a short alphanumeric extension.
    let Some((dot, stem_mask)) = last_dot else {
        // Most kept segments (`api`, `v1`, `users`) have a letter that is not a hex digit, no
        // `@` or `%`, and fewer than 20 bytes: no placeholder can match (see [`placeholder`]).
        if mask & ALPHA != 0 && mask & AT_PCT == 0 && seg.len() < 20 {
            return None;
        }
        return placeholder(seg, mask).map(|p| (p, None));
    };
    let (stem, ext) = (&seg[..dot], &seg[dot + 1..]);
    if !ext.is_empty() && ext.len() <= 5 && ext.iter().all(u8::is_ascii_alphanumeric) {
        if let Some(p) = placeholder(stem, stem_mask) {
            return Some((p, Some(ext)));
        }
    }
    placeholder(seg, mask).map(|p| (p, None))
}

/// Default for [`collapse`]: more distinct literal values than this at one position → `{param}`.
pub const COLLAPSE_THRESHOLD: usize = 64;

/// Collapse high-cardinality segment positions to `{param}`. Returns the rewrite of every route
/// that changes. The first segment is never collapsed (it names the API, not a value), and
/// placeholders and `keep` routes are left alone.
pub fn collapse<'r>(
    routes: &[&'r str],
    threshold: usize,
    keep: &dyn Fn(&str) -> bool,
) -> FxHashMap<&'r str, String> {
    let mut segs: Vec<Vec<String>> = routes
        .iter()
        .map(|r| {
            if r.starts_with('/') {
                r.split('/').skip(1).map(str::to_string).collect()
            } else {
                Vec::new()
            }
        })
        .collect();
    let active: Vec<bool> = routes
        .iter()
        .map(|r| r.starts_with('/') && !keep(r))
        .collect();
    let max_len = segs.iter().map(Vec::len).max().unwrap_or(0);
    for depth in 1..max_len {
        let mut children: FxHashMap<String, FxHashSet<&str>> = FxHashMap::default();
        for (i, s) in segs.iter().enumerate() {
            if active[i] && s.len() > depth && !is_placeholder(s[depth].as_bytes()) {
                children
                    .entry(s[..depth].join("/"))
                    .or_default()
                    .insert(s[depth].as_str());
            }
        }
        let wide: FxHashSet<String> = children
            .into_iter()
            .filter(|(_, c)| c.len() > threshold)
            .map(|(p, _)| p)
            .collect();
        if wide.is_empty() {
            continue;
        }
        for (i, s) in segs.iter_mut().enumerate() {
            if active[i]
                && s.len() > depth
                && !is_placeholder(s[depth].as_bytes())
                && wide.contains(&s[..depth].join("/"))
            {
                s[depth] = "{param}".to_string();
            }
        }
    }
    let mut out = FxHashMap::default();
    for (i, r) in routes.iter().enumerate() {
        if active[i] {
            let new = format!("/{}", segs[i].join("/"));
            if new != *r {
                out.insert(*r, new);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(p: &str) -> String {
        let mut out = b"".to_vec();
        Normalizer::default().normalize(p.as_bytes(), &mut out);
        String::from_utf8(out).expect("utf8")
    }

    /// The route of a target as the rules say it, segment by segment, with no scanning tricks:
    /// what the one-pass [`Normalizer::normalize`] must agree with.
    fn reference(target: &[u8]) -> Vec<u8> {
        let path = strip_origin(target);
        if path_part(path) == b"*" {
            return b"*".to_vec();
        }
        let classes = |s: &[u8]| s.iter().fold(0u8, |m, &b| m | CLASS[usize::from(b)]);
        let mut out = Vec::new();
        for seg in path_part(path)
            .split(|&b| b == b'/')
            .filter(|s| !s.is_empty())
        {
            out.push(b'/');
            let dot = seg.iter().rposition(|&b| b == b'.');
            let (stem, ext) = match dot {
                Some(d) => (&seg[..d], &seg[d + 1..]),
                None => (seg, &b""[..]),
            };
            let short_ext =
                !ext.is_empty() && ext.len() <= 5 && ext.iter().all(u8::is_ascii_alphanumeric);
            match (dot.is_some() && short_ext)
                .then(|| placeholder(stem, classes(stem)))
                .flatten()
            {
                Some(p) => {
                    out.extend_from_slice(p);
                    out.push(b'.');
                    out.extend_from_slice(ext);
                }
                None => out.extend_from_slice(placeholder(seg, classes(seg)).unwrap_or(seg)),
            }
        }
        if out.is_empty() {
            out.push(b'/');
        }
        out
    }

    proptest::proptest! {
        /// A path cut at its query before decoding gives the route of the whole path decoded.
        #[test]
        fn the_query_is_not_decoded_for_a_route(
            path in "(/|[a-z0-9]{1,3}|\\\\x[0-9a-f]{2}|\\\\x3[fF]|\\\\u00(3f|23|2f)|\\\\[/\"\\\\]|[?#]|%3[fF]){0,16}",
            escape in proptest::prop_oneof![
                proptest::strategy::Just(crate::format::Escape::Backslash),
                proptest::strategy::Just(crate::format::Escape::Json),
            ],
        ) {
            let rec = Record {
                method: Some(b"GET"),
                path: Some(path.as_bytes()),
                escape,
                ..Record::default()
            };
            let routes = Normalizer::default();
            let (mut whole, mut part) = (Vec::new(), Vec::new());
            routes.normalize(&rec.route_path().expect("path"), &mut whole);
            routes.normalize(&rec.route_path_part().expect("path"), &mut part);
            proptest::prop_assert_eq!(whole, part, "{:?}", path);
        }

        /// `record_route`'s "unusual bytes" answer is never a false "no": whenever the route
        /// holds a byte outside the usual path characters (a NUL, a control byte, `:` …), the
        /// scan says so.
        #[test]
        fn unusual_route_bytes_are_always_reported(
            segs in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..6), 0..5),
        ) {
            let mut target = Vec::new();
            for seg in &segs {
                target.push(b'/');
                target.extend_from_slice(seg);
            }
            let mut out = Vec::new();
            let (_, classes) = Normalizer::default().scan(&target, &mut out);
            let unusual = out
                .iter()
                .any(|&b| CLASS[usize::from(b)] == OTHER_BYTE && !b"/{}".contains(&b));
            proptest::prop_assert!(!unusual || classes & OTHER_BYTE != 0, "route {:?}", out);
        }

        #[test]
        fn normalize_agrees_with_the_reference(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("[a-zA-Z0-9./_~=+@%?#-]{0,12}").expect("regex"),
                    proptest::string::string_regex("[0-9]{1,8}").expect("regex"),
                    proptest::string::string_regex("[0-9a-f]{16,40}").expect("regex"),
                    proptest::string::string_regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").expect("regex"),
                    proptest::string::string_regex("20[0-9]{2}-[01][0-9]-[0-3][0-9]").expect("regex"),
                    proptest::string::string_regex("[a-z]{1,6}@[a-z]{1,6}\\.[a-z]{2,3}").expect("regex"),
                    proptest::string::string_regex("[A-Za-z0-9_-]{20,30}").expect("regex"),
                    proptest::string::string_regex("[0-9a-f]{1,12}\\.[a-z]{1,6}").expect("regex"),
                    proptest::strategy::Just(String::new()),
                ],
                0..7,
            ),
            lead in proptest::prop_oneof!["/", "", "https://h.example", "//"],
        ) {
            let target = format!("{lead}{}", parts.join("/"));
            let mut out = Vec::new();
            Normalizer::default().normalize(target.as_bytes(), &mut out);
            let want = reference(target.as_bytes());
            proptest::prop_assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&want),
                "target {:?}", target
            );
        }
    }

    /// A tunnel request's target is a host (`CONNECT host:443`, authority form): one route per
    /// port, whatever host was probed; any other method's target keeps its own route.
    #[test]
    fn connect_targets_are_one_route_per_port() {
        let route = |method: &'static [u8], path: &'static [u8]| {
            let rec = Record {
                method: Some(method),
                path: Some(path),
                ..Record::default()
            };
            let mut out = Vec::new();
            let unusual = Normalizer::default().record_route(&rec, &mut out);
            (String::from_utf8(out).expect("utf8"), unusual)
        };
        assert_eq!(
            route(b"CONNECT", b"www.google.com:443"),
            ("{host}:443".into(), true)
        );
        assert_eq!(
            route(b"CONNECT", b"10.0.0.1:25"),
            ("{host}:25".into(), true)
        );
        assert_eq!(route(b"CONNECT", b"[2001:db8::1]:443").0, "{host}:443");
        assert_eq!(route(b"CONNECT", b"example.org").0, "{host}");
        assert_eq!(route(b"CONNECT", b"/api/x").0, "/api/x");
        assert_eq!(route(b"GET", b"/users/42").0, "/users/{id}");
    }

    #[test]
    fn table() {
        let cases = [
            ("/", "/"),
            ("", "/"),
            ("/users/42", "/users/{id}"),
            ("/users/42/", "/users/{id}"),
            ("//users//42", "/users/{id}"),
            ("/users/42?expand=true", "/users/{id}"),
            (
                "/orders/3f2504e0-4f89-11d3-9a0c-0305e82c3301/items",
                "/orders/{uuid}/items",
            ),
            ("/blobs/53f8d72920ba2744fe873ebc", "/blobs/{hash}"),
            ("/news/53f8d72920ba2744fe873ebc.html", "/news/{hash}.html"),
            ("/a/123.json", "/a/{id}.json"),
            ("/users/jane.doe@example.com", "/users/{email}"),
            (
                "/bar/foo/users/1/username%40example.com/authenticate",
                "/bar/foo/users/{id}/{email}/authenticate",
            ),
            ("/reports/2024-03-01", "/reports/{date}"),
            ("/reset/eyJhbGciOiJIUzI1NiJ9abc123XYZ", "/reset/{token}"),
            ("/static/app.css", "/static/app.css"),
            (
                "/v1/alternative-to-refaid-refugee-aid-app.html",
                "/v1/alternative-to-refaid-refugee-aid-app.html",
            ),
            (
                "/presentations/logstash-monitorama-2013/x",
                "/presentations/logstash-monitorama-2013/x",
            ),
            ("/k/AKIA4Z7Q2M9XK3P8R1T6", "/k/{token}"),
            ("/api/v2/users/me", "/api/v2/users/me"),
            ("http://localhost:6081/hello", "/hello"),
            ("https://example.com", "/"),
            ("*", "*"),
            ("*?x=1", "*"),
            ("*#", "*"),
            ("/deadbeef", "/deadbeef"),
            (
                "/u/3F2504E0-4F89-11D3-9A0C-0305E82C3301.json",
                "/u/{uuid}.json",
            ),
            // 36 hex digits and dashes, dashes not (only) where a UUID has them: a token.
            ("/u/3f2504e0-4f89-11d3-9a0c-0305e82c33-1", "/u/{token}"),
            ("/u/3f2504e04-f89-11d3-9a0c-0305e82c3301", "/u/{token}"),
            ("/v1.2.3/x", "/v1.2.3/x"),
            ("/a/1.2.json", "/a/1.2.json"),
        ];
        for (input, want) in cases {
            assert_eq!(norm(input), want, "{input}");
        }
    }

    #[test]
    fn idempotent_on_table() {
        for p in [
            "/users/{id}",
            "/orders/{uuid}/items",
            "/news/{hash}.html",
            "/a/{param}/b",
        ] {
            assert_eq!(norm(p), p);
        }
    }

    #[test]
    fn templates_win() {
        let n = Normalizer::new(&[
            "/api/users/{name}".to_string(),
            "/files/{path}/raw".to_string(),
        ])
        .expect("valid");
        let mut out = Vec::new();
        n.normalize(b"/api/users/jane?x=1", &mut out);
        assert_eq!(out, b"/api/users/{name}");
        out.clear();
        n.normalize(b"/files/readme/raw", &mut out);
        assert_eq!(out, b"/files/{path}/raw");
        out.clear();
        n.normalize(b"/api/users/jane/extra", &mut out);
        assert_eq!(out, b"/api/users/jane/extra");
        assert!(Normalizer::new(&["users".to_string()]).is_err());
    }

    /// A distinct lowercase word for each `i` (`a`…`z`, `aa`…), no digits.
    fn word(i: usize) -> String {
        char::from(b'a' + (i % 26) as u8)
            .to_string()
            .repeat(i / 26 + 1)
    }

    #[test]
    fn collapse_wide_positions() {
        let owned: Vec<String> = (0..100)
            .map(|i| format!("/blog/post-title-{}/comments", word(i)))
            .collect();
        let mut routes: Vec<&str> = owned.iter().map(String::as_str).collect();
        routes.push("/blog/feed");
        routes.push("/api/users/{id}");
        let out = collapse(&routes, 64, &|_| false);
        assert_eq!(
            out.get(routes[0]).map(String::as_str),
            Some("/blog/{param}/comments")
        );
        assert_eq!(
            out.get("/blog/feed").map(String::as_str),
            Some("/blog/{param}")
        );
        assert!(!out.contains_key("/api/users/{id}"));
        let few = ["/a/x", "/a/y"];
        assert!(collapse(&few, 64, &|_| false).is_empty());
        // the first segment never collapses
        let owned: Vec<String> = (0..100).map(|i| format!("/probe{}x", word(i))).collect();
        let top: Vec<&str> = owned.iter().map(String::as_str).collect();
        assert!(collapse(&top, 64, &|_| false).is_empty());
    }
}

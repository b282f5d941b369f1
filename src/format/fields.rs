//! Byte-level scanners shared by the parsers: quoted fields, numbers, durations, request lines,
//! and escape decoding. Nothing here allocates unless a field actually holds an escape.

use std::borrow::Cow;

use super::Escape;

/// Strip a trailing `\r` (CRLF files) from a line.
#[inline]
pub fn trim_line(line: &[u8]) -> &[u8] {
    let line = match line.last() {
        Some(b'\r') => &line[..line.len() - 1],
        _ => line,
    };
    // A file truncated in place while its writer kept its offset (`logrotate copytruncate`)
    // starts with a run of NUL bytes glued to the next line: the line after the hole is whole.
    if line.first() == Some(&0) {
        let start = line.iter().position(|&b| b != 0).unwrap_or(line.len());
        return &line[start..];
    }
    line
}

/// `-` (and the empty string) mean "absent" in text logs.
#[inline]
pub fn dash_to_none(v: &[u8]) -> Option<&[u8]> {
    if v.is_empty() || v == b"-" {
        None
    } else {
        Some(v)
    }
}

/// Parse an unsigned decimal integer; `None` on anything else (empty, sign, overflow). Leading
/// zeros are read as `str::parse` reads them, however many.
#[inline]
pub fn parse_u64(v: &[u8]) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    if v.len() <= 19 {
        // At most 19 digits stay below 10^19 < 2^64: no overflow to check per digit (a
        // byte count is parsed on every line).
        for &b in v {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            n = n * 10 + u64::from(d);
        }
        return Some(n);
    }
    for &b in v {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// A status field that is not a status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidStatus;

/// A status where `-`, `0` and `000` mean "no answer" (load balancers write them when the
/// backend never responded).
#[inline]
pub fn parse_optional_status(v: &[u8]) -> Result<Option<u16>, InvalidStatus> {
    if matches!(v, b"0" | b"000") {
        return Ok(None);
    }
    parse_status(v)
}

/// The last status of an upstream list (`502, 200`, `404 : 200`, `-`, Traefik's `0`): the
/// answer the proxy passed on. `None` when there is none.
pub fn last_listed_status(v: &[u8]) -> Option<u16> {
    parse_optional_status(last_listed(v)).ok().flatten()
}

/// What nginx's `$upstream_header_time` and `$upstream_response_length` say of whether the last
/// server tried answered. The header time decides when it is logged: `-` is no response header
/// (nginx timed out or got no usable answer), a time is an answer — an application's own 502
/// or 504 with an empty body among them. The length alone can only say `0` (or `-`): nothing
/// came back, or an empty body; it is read as nothing, nginx's own codes being the usual case.
#[derive(Clone, Copy, Debug, Default)]
pub struct UpstreamAnswer {
    /// `$upstream_header_time` of the last server: whether a header came back.
    header: Option<bool>,
    /// `$upstream_response_length` of the last server is `0` or `-`.
    no_length: bool,
}

impl UpstreamAnswer {
    /// Read `$upstream_header_time`.
    pub fn header_time(&mut self, v: &[u8]) {
        self.header = Some(last_listed(v) != b"-");
    }

    /// Read `$upstream_response_length`.
    pub fn length(&mut self, v: &[u8]) {
        self.no_length |= matches!(last_listed(v), b"0" | b"-");
    }

    /// Whether the last server tried sent nothing back.
    pub fn silent(self) -> bool {
        self.header.map_or(self.no_length, |answered| !answered)
    }
}

/// Whether an upstream status is nginx's own: it writes the 502 (no usable answer) and 504
/// (timed out) it made into `$upstream_status` too, where the server tried sent nothing back.
pub fn nginx_made(origin_status: Option<u16>, upstream: UpstreamAnswer) -> bool {
    upstream.silent() && matches!(origin_status, Some(502 | 504))
}

/// The last value of an nginx `$upstream_*` list (`a, b`: servers tried; `a : b`: internal
/// redirects), trimmed.
fn last_listed(v: &[u8]) -> &[u8] {
    v.rsplit(|&b| b == b',' || b == b':')
        .next()
        .unwrap_or(v)
        .trim_ascii()
}

/// Parse a status: three digits 100–999. `Ok(None)` for `-`.
#[inline]
pub fn parse_status(v: &[u8]) -> Result<Option<u16>, InvalidStatus> {
    if v == b"-" {
        return Ok(None);
    }
    if v.len() != 3 {
        return Err(InvalidStatus);
    }
    let mut n: u16 = 0;
    for &b in v {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err(InvalidStatus);
        }
        n = n * 10 + u16::from(d);
    }
    if n < 100 {
        return Err(InvalidStatus);
    }
    Ok(Some(n))
}

/// Parse a non-negative decimal number of `unit_us` microseconds per unit (`1_000_000` for
/// seconds), e.g. `"0.050"` s → 50 000 µs. Exact for up to 9 fractional digits; no float
/// rounding on the common `$request_time` shape.
#[inline]
pub fn parse_decimal_us(v: &[u8], unit_us: u64) -> Option<u64> {
    // Ten to the power of a fraction's digit count (at most 12 are read).
    const POW10: [u64; 13] = {
        let mut t = [1u64; 13];
        let mut i = 1;
        while i < 13 {
            t[i] = t[i - 1] * 10;
            i += 1;
        }
        t
    };
    if v.is_empty() {
        return None;
    }
    // A field this short is searched faster byte by byte than with memchr's setup.
    let (int, frac) = match v.iter().position(|&b| b == b'.') {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => (v, &v[..0]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let whole = if int.is_empty() { 0 } else { parse_u64(int)? };
    let mut total = whole.checked_mul(unit_us)?;
    if !frac.is_empty() {
        // Fraction of a unit: digits / 10^len * unit_us, computed in integers.
        let digits = &frac[..frac.len().min(12)];
        let f = parse_u64(digits)?;
        if frac.len() > 12 && parse_u64(&frac[12..]).is_none() {
            return None;
        }
        let n = digits.len();
        // Seconds and milliseconds to at most micro-second digits (`$request_time`'s 0.012,
        // ALB's 0.000032) scale by a multiplication; the rest divides, in 64 bits when the
        // product fits (a 128-bit division is a library call).
        let part = match unit_us {
            1_000_000 if n <= 6 => f * POW10[6 - n],
            1_000 if n <= 3 => f * POW10[3 - n],
            _ => match f.checked_mul(unit_us) {
                Some(p) => p / POW10[n],
                None => (u128::from(f) * u128::from(unit_us) / u128::from(POW10[n])) as u64,
            },
        };
        total = total.checked_add(part)?;
    }
    Some(total)
}

/// A duration string with a unit suffix, Go/Caddy style: `"1.2s"`, `"350ms"`, `"12µs"`,
/// `"12us"`, `"800ns"`, `"1m2.5s"`, `"0.123s"`. Returns microseconds.
pub fn parse_unit_duration_us(v: &[u8]) -> Option<u64> {
    let mut rest = v;
    let mut total: u64 = 0;
    let mut any = false;
    while !rest.is_empty() {
        let n = rest
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .count();
        if n == 0 {
            return None;
        }
        let (num, tail) = rest.split_at(n);
        let u = tail
            .iter()
            .take_while(|b| !(b.is_ascii_digit() || **b == b'.'))
            .count();
        let (unit, next) = tail.split_at(u);
        let (unit_us, ns) = match unit {
            b"h" => (3_600_000_000, false),
            b"m" => (60_000_000, false),
            b"s" => (1_000_000, false),
            b"ms" => (1_000, false),
            b"us" | [0xC2, 0xB5, b's'] | [0xCE, 0xBC, b's'] => (1, false), // µs (micro sign), μs (Greek mu)
            b"ns" => (1, true),
            _ => return None,
        };
        let mut part = parse_decimal_us(num, unit_us)?;
        if ns {
            part = parse_decimal_us(num, 1_000)? / 1_000_000;
        }
        total = total.checked_add(part)?;
        any = true;
        rest = next;
    }
    any.then_some(total)
}

/// The first `"` or `\` in `line` at or after `start` (see [`find_any`]).
#[inline]
pub fn find_quote_or_backslash(line: &[u8], start: usize) -> Option<usize> {
    find_any(line, start, [b'"', b'\\'])
}

/// The first `byte` in `line` at or after `start` (see [`find_any`]).
#[inline]
pub fn find_byte(line: &[u8], start: usize, byte: u8) -> Option<usize> {
    find_any(line, start, [byte])
}

/// Where `needle` first starts in `line` at or after `start` (`start` itself for an empty
/// one): its first byte found by [`find_byte`], the rest compared there. A format's literals
/// between fields are a few bytes (`" "`, ` [`), shorter than a substring search's setup.
#[inline(always)]
pub fn find_literal(line: &[u8], start: usize, needle: &[u8]) -> Option<usize> {
    let Some((&first, rest)) = needle.split_first() else {
        return (start <= line.len()).then_some(start);
    };
    let mut i = start;
    loop {
        let at = find_byte(line, i, first)?;
        if starts_with_bytes(&line[at + 1..], rest) {
            return Some(at);
        }
        i = at + 1;
    }
}

/// `hay.starts_with(prefix)`, compared byte by byte: no call of `memcmp` for the few bytes of
/// a format's literal.
#[inline]
pub fn starts_with_bytes(hay: &[u8], prefix: &[u8]) -> bool {
    hay.len() >= prefix.len() && hay.iter().zip(prefix).all(|(a, b)| a == b)
}

/// The first of `bytes` (one or two) in `line` at or after `start`. The fields searched (a
/// JSON key or value, a request line, a referer, a load balancer's or CloudFront's field) are
/// mostly a few dozen bytes, shorter than `memchr`'s setup and dispatch pay for: the first 64
/// bytes are compared 16 at a time inline (SSE2, part of every x86-64), and only a longer
/// field goes on with `memchr`. Fewer than 16 bytes left are compared as the line's last 16
/// (the bytes before `start` masked off), so a short field costs one comparison, not a loop
/// over its bytes.
#[inline(always)]
fn find_any<const K: usize>(line: &[u8], start: usize, bytes: [u8; K]) -> Option<usize> {
    let rest = |i: usize| {
        match *bytes.as_slice() {
            [a] => memchr::memchr(a, line.get(i..)?),
            [a, b] => memchr::memchr2(a, b, line.get(i..)?),
            _ => line.get(i..)?.iter().position(|c| bytes.contains(c)),
        }
        .map(|k| i + k)
    };
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        };
        // SAFETY (both uses): SSE2 is in the x86-64 baseline; `at + 16 <= line.len()` at each
        // call, so the unaligned load reads inside `line`.
        let block = |at: usize| unsafe {
            let v = _mm_loadu_si128(line.as_ptr().add(at).cast());
            let mut m = _mm_cmpeq_epi8(v, _mm_set1_epi8(bytes[0] as i8));
            for &b in &bytes[1..] {
                m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8)));
            }
            _mm_movemask_epi8(m) as u32
        };
        let mut i = start;
        while i + 16 <= line.len() {
            let found = block(i);
            if found != 0 {
                return Some(i + found.trailing_zeros() as usize);
            }
            i += 16;
            if i - start == 64 {
                return rest(i);
            }
        }
        if i >= line.len() {
            return None;
        }
        if line.len() >= 16 {
            // The last 16 bytes of the line, of which those from `i` on are still unread.
            let tail = line.len() - 16;
            let found = block(tail) >> (i - tail);
            return (found != 0).then(|| i + found.trailing_zeros() as usize);
        }
        rest(i)
    }
    #[cfg(not(target_arch = "x86_64"))]
    rest(start)
}

/// Find the closing `"` of a quoted field whose content starts at `start`, honouring backslash
/// escapes (`\"`, `\\`). Returns the index of the closing quote.
#[inline(always)]
pub fn find_closing_quote(line: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    loop {
        let j = find_quote_or_backslash(line, i)?;
        if line[j] == b'"' {
            return Some(j);
        }
        i = j + 2; // skip the escaped byte
        if i > line.len() {
            return None;
        }
    }
}

/// RFC 9110 `tchar`: the characters a method token may hold.
#[inline]
fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

/// [`is_tchar`] as a table: a method is checked byte by byte on every line.
static TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        b += 1;
    }
    t
};

/// Longest request target we accept as a path; longer ones are "absurdly long" (the 414 case)
/// and yield a null method/path.
pub const MAX_TARGET: usize = 16 * 1024;

/// The parts of a request line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestLine<'a> {
    /// Method token.
    pub method: &'a [u8],
    /// Request target.
    pub target: &'a [u8],
    /// `HTTP/x.y`, absent for HTTP/0.9.
    pub protocol: Option<&'a [u8]>,
}

/// Split a request line `METHOD SP target [SP HTTP/x.y]` into its parts.
/// Returns `None` when it is not a request line (`-`, empty, TLS junk, overlong target).
/// The target may contain spaces (some servers log them raw), so the protocol is taken from
/// the last space-separated word only when it looks like `HTTP/…`.
pub fn split_request(req: &[u8]) -> Option<RequestLine<'_>> {
    // Method: a short token (one pass finds its end and checks its bytes; a plain loop beats
    // memchr on a field this short). A method is a token with at least one letter: `-` is a
    // log's "absent", not a method.
    let (mut sp, mut token, mut letter) = (None, true, false);
    for (i, &b) in req.iter().take(33).enumerate() {
        if b == b' ' {
            sp = Some(i);
            break;
        }
        token &= is_tchar(b);
        letter |= b.is_ascii_alphabetic();
    }
    let sp = sp?;
    if sp == 0 || !token || !letter {
        return None;
    }
    let method = &req[..sp];
    // Exactly one SP separates the parts (RFC 9112 §3); a target may itself end in a space when a
    // server logs it raw, so only spaces after the whole line (ALB writes `… HTTP/1.0 `) go.
    let mut rest = &req[sp + 1..];
    while let [head @ .., b' '] = rest {
        rest = head;
    }
    let n = rest.len();
    // The protocol is a short last word (`HTTP/1.1`, `HTTP/2.0`): look only at the tail. The
    // usual ` HTTP/x.y` is taken without a search (the same answer: its space is the last).
    let (target, protocol) = if n > 9
        && rest[n - 9] == b' '
        && &rest[n - 8..n - 3] == b"HTTP/"
        && !rest[n - 3..].contains(&b' ')
    {
        (&rest[..n - 9], Some(&rest[n - 8..]))
    } else {
        split_protocol(rest)
    };
    request_line(method, target, protocol)
}

/// A target and its protocol: the last space-separated word of the last 16 bytes when it
/// looks like `HTTP/…`, else no protocol.
fn split_protocol(rest: &[u8]) -> (&[u8], Option<&[u8]>) {
    let tail_start = rest.len().saturating_sub(16);
    if let Some(i) = rest[tail_start..].iter().rposition(|&b| b == b' ') {
        let last = tail_start + i;
        let p = &rest[last + 1..];
        if p.starts_with(b"HTTP/") || p.starts_with(b"http/") {
            return (&rest[..last], Some(p));
        }
    }
    (rest, None)
}

/// The request line of `method` on `target`, when the target is one: not empty, not overlong,
/// and in origin form `/x`, asterisk form `*`, absolute form `scheme://…`, or authority form
/// for CONNECT.
fn request_line<'a>(
    method: &'a [u8],
    target: &'a [u8],
    protocol: Option<&'a [u8]>,
) -> Option<RequestLine<'a>> {
    if target.is_empty() || target.len() > MAX_TARGET {
        return None;
    }
    let valid = target[0] == b'/'
        || target == b"*"
        || is_absolute_form(target)
        || (method == b"CONNECT" && !target.contains(&b'/'));
    valid.then_some(RequestLine {
        method,
        target,
        protocol,
    })
}

/// `scheme://…` with an alphabetic scheme.
fn is_absolute_form(t: &[u8]) -> bool {
    let n = t
        .iter()
        .take(16)
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    n > 0 && t[n..].starts_with(b"://")
}

/// Value of one hex digit.
#[inline]
fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decode a field according to `escape`. Borrows when there is nothing to decode.
pub fn unescape(v: &[u8], escape: Escape) -> Cow<'_, [u8]> {
    if escape == Escape::Url {
        return percent_decode(v);
    }
    if escape == Escape::Plus {
        return match memchr::memchr(b'+', v) {
            Some(_) => Cow::Owned(
                v.iter()
                    .map(|&b| if b == b'+' { b' ' } else { b })
                    .collect(),
            ),
            None => Cow::Borrowed(v),
        };
    }
    if escape == Escape::None || memchr::memchr(b'\\', v).is_none() {
        return Cow::Borrowed(v);
    }
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        // The bytes up to the next backslash go out as they are, in one copy.
        let next = memchr::memchr(b'\\', &v[i..]).map_or(v.len(), |at| i + at);
        out.extend_from_slice(&v[i..next]);
        i = next;
        if i + 1 >= v.len() {
            out.extend_from_slice(&v[i..]);
            break;
        }
        let b = v[i];
        let n = v[i + 1];
        match (escape, n) {
            (_, b'"') | (_, b'\\') => {
                out.push(n);
                i += 2;
            }
            (Escape::Backslash, b'x') => {
                match (
                    v.get(i + 2).and_then(|&c| hex(c)),
                    v.get(i + 3).and_then(|&c| hex(c)),
                ) {
                    (Some(h), Some(l)) => {
                        out.push(h << 4 | l);
                        i += 4;
                    }
                    _ => {
                        out.push(b);
                        i += 1;
                    }
                }
            }
            (Escape::Json, b'/') => {
                out.push(b'/');
                i += 2;
            }
            (Escape::Json, b'n') | (Escape::Backslash, b'n') => {
                out.push(b'\n');
                i += 2;
            }
            (Escape::Json, b't') | (Escape::Backslash, b't') => {
                out.push(b'\t');
                i += 2;
            }
            (Escape::Json, b'r') => {
                out.push(b'\r');
                i += 2;
            }
            (Escape::Json, b'b') => {
                out.push(8);
                i += 2;
            }
            (Escape::Json, b'f') => {
                out.push(12);
                i += 2;
            }
            (Escape::Json, b'u') => match decode_u_escape(v, i) {
                Some((ch, used)) => {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    i += used;
                }
                None => {
                    out.push(b);
                    i += 1;
                }
            },
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// Decode `%XX` once (CloudFront encodes its text fields; a `%2520` becomes `%20`).
pub fn percent_decode(v: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'%', v).is_none() {
        return Cow::Borrowed(v);
    }
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'%' {
            if let (Some(h), Some(l)) = (
                v.get(i + 1).and_then(|&c| hex(c)),
                v.get(i + 2).and_then(|&c| hex(c)),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(v[i]);
        i += 1;
    }
    Cow::Owned(out)
}

/// One field of a space-separated line whose fields may be `"quoted"` (with backslash escapes):
/// the value and the position after it. `None` at the end of the line or on an unclosed quote.
/// Shared by the load-balancer formats. Always inlined: in [`split_fields`]'s loop a call per
/// field cost ALB lines 7 % more instructions.
#[inline(always)]
pub fn next_field(line: &[u8], mut pos: usize) -> Option<(&[u8], usize)> {
    while pos < line.len() && line[pos] == b' ' {
        pos += 1;
    }
    if pos >= line.len() {
        return None;
    }
    if line[pos] == b'"' {
        let close = find_closing_quote(line, pos + 1)?;
        return Some((&line[pos + 1..close], close + 1));
    }
    // Load-balancer fields run to 80 bytes and more (ARNs, trace ids): a vector search beats
    // a byte loop on them (criterion `parse/alb`), and an inline one `memchr` on the short.
    let end = find_byte(line, pos, b' ').unwrap_or(line.len());
    Some((&line[pos..end], end))
}

/// Split a line of space-separated, possibly quoted fields into `out`; returns how many were
/// read (at most `out.len()`, the rest of the line is left alone). An unclosed quote is a cut
/// line.
pub fn split_fields<'a>(line: &'a [u8], out: &mut [&'a [u8]]) -> Result<usize, super::ParseError> {
    let mut n = 0;
    let mut pos = 0;
    while n < out.len() {
        match next_field(line, pos) {
            Some((v, next)) => {
                out[n] = v;
                n += 1;
                pos = next;
            }
            None if line[pos.min(line.len())..].iter().any(|&b| b != b' ') => {
                return Err(super::ParseError::new(super::RejectKind::Truncated, pos));
            }
            None => break,
        }
    }
    Ok(n)
}

/// The fields of `line` between `sep` bytes into `out`, as `line.split(sep)` yields them (an
/// empty field between two separators, one after a trailing one) but each found by a vector
/// search rather than a test per byte; returns how many (at most `out.len()`, the rest of the
/// line is left alone).
pub fn split_on<'a>(line: &'a [u8], sep: u8, out: &mut [&'a [u8]]) -> usize {
    let mut n = 0;
    let mut pos = 0;
    while n < out.len() {
        let end = find_byte(line, pos, sep).unwrap_or(line.len());
        out[n] = &line[pos..end];
        n += 1;
        if end == line.len() {
            break;
        }
        pos = end + 1;
    }
    n
}

/// Split `addr:port` at the last colon (IPv6 addresses hold colons; `[::1]:80` loses its
/// brackets). A value without a port is returned whole.
pub fn split_host_port(v: &[u8]) -> &[u8] {
    let host = match v.iter().rposition(|&b| b == b':') {
        Some(i) if v[i + 1..].iter().all(u8::is_ascii_digit) && i + 1 < v.len() => &v[..i],
        _ => v,
    };
    match host {
        [b'[', inner @ .., b']'] => inner,
        h => h,
    }
}

/// Split an absolute-form target `scheme://host[:port]/path?q` into (host, path); an
/// origin-form target has no host.
pub fn split_absolute(target: &[u8]) -> (Option<&[u8]>, &[u8]) {
    // A scheme is 1 to 16 letters right before the `://`: read the letters, then look for it
    // there (an origin-form path stops at its `/` at once, with no search of the target).
    let i = target
        .iter()
        .take(17)
        .position(|b| !b.is_ascii_alphabetic())
        .unwrap_or(target.len().min(17));
    if i == 0 || i > 16 || !target[i..].starts_with(b"://") {
        return (None, target);
    }
    let rest = &target[i + 3..];
    let end = rest
        .iter()
        .position(|&b| b == b'/' || b == b'?')
        .unwrap_or(rest.len());
    let path = if end == rest.len() {
        &b"/"[..]
    } else {
        &rest[end..]
    };
    (Some(&rest[..end]), path)
}

/// Decode `\uXXXX` (with a following low surrogate when needed) at `v[i..]`.
fn decode_u_escape(v: &[u8], i: usize) -> Option<(char, usize)> {
    let four = |at: usize| -> Option<u32> {
        let s = v.get(at..at + 4)?;
        s.iter()
            .try_fold(0u32, |acc, &c| Some(acc << 4 | u32::from(hex(c)?)))
    };
    let hi = four(i + 2)?;
    if (0xD800..0xDC00).contains(&hi) {
        if v.get(i + 6) == Some(&b'\\') && v.get(i + 7) == Some(&b'u') {
            let lo = four(i + 8)?;
            if (0xDC00..0xE000).contains(&lo) {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Some((char::from_u32(c)?, 12));
            }
        }
        return Some((char::REPLACEMENT_CHARACTER, 6));
    }
    Some((char::from_u32(hi).unwrap_or(char::REPLACEMENT_CHARACTER), 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`split_request`]'s method and protocol split as first written, a search per part:
    /// what the one-pass version must agree with.
    fn split_reference(req: &[u8]) -> Option<RequestLine<'_>> {
        let sp = req.iter().take(33).position(|&b| b == b' ')?;
        let method = &req[..sp];
        if method.is_empty()
            || !method.iter().all(|&b| is_tchar(b))
            || !method.iter().any(u8::is_ascii_alphabetic)
        {
            return None;
        }
        let mut rest = &req[sp + 1..];
        while let [head @ .., b' '] = rest {
            rest = head;
        }
        // The protocol always by the search the one-pass version skips for ` HTTP/x.y`; the
        // target's checks, not rewritten, shared.
        let (target, protocol) = split_protocol(rest);
        request_line(method, target, protocol)
    }

    /// Space-separated, possibly quoted fields, a byte at a time: what [`split_fields`] must
    /// agree with (`Err` for an unclosed quote).
    fn fields_reference(line: &[u8], max: usize) -> Result<Vec<&[u8]>, ()> {
        let (mut out, mut i) = (Vec::new(), 0);
        while out.len() < max {
            while line.get(i) == Some(&b' ') {
                i += 1;
            }
            match line.get(i) {
                None => break,
                Some(b'"') => {
                    let mut j = i + 1;
                    loop {
                        match line.get(j) {
                            None => return Err(()),
                            Some(b'\\') => j += 2,
                            Some(b'"') => break,
                            Some(_) => j += 1,
                        }
                    }
                    out.push(&line[i + 1..j]);
                    i = j + 1;
                }
                Some(_) => {
                    let start = i;
                    while line.get(i).is_some_and(|&b| b != b' ') {
                        i += 1;
                    }
                    out.push(&line[start..i]);
                }
            }
        }
        Ok(out)
    }

    /// `unescape` one byte at a time (what it was before it copied the runs between escapes).
    fn unescape_reference(v: &[u8], escape: Escape) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < v.len() {
            let b = v[i];
            let n = v.get(i + 1).copied();
            let hex2 = || Some(hex(*v.get(i + 2)?)? << 4 | hex(*v.get(i + 3)?)?);
            match (b, escape, n) {
                (b'\\', _, Some(c @ (b'"' | b'\\'))) => {
                    out.push(c);
                    i += 2;
                }
                (b'\\', Escape::Backslash, Some(b'x')) if hex2().is_some() => {
                    out.extend(hex2());
                    i += 4;
                }
                (b'\\', Escape::Json, Some(b'/')) => {
                    out.push(b'/');
                    i += 2;
                }
                (b'\\', Escape::Json | Escape::Backslash, Some(b'n')) => {
                    out.push(b'\n');
                    i += 2;
                }
                (b'\\', Escape::Json | Escape::Backslash, Some(b't')) => {
                    out.push(b'\t');
                    i += 2;
                }
                (b'\\', Escape::Json, Some(b'r')) => {
                    out.push(b'\r');
                    i += 2;
                }
                (b'\\', Escape::Json, Some(b'b')) => {
                    out.push(8);
                    i += 2;
                }
                (b'\\', Escape::Json, Some(b'f')) => {
                    out.push(12);
                    i += 2;
                }
                (b'\\', Escape::Json, Some(b'u')) if decode_u_escape(v, i).is_some() => {
                    let (ch, used) = decode_u_escape(v, i).expect("checked");
                    out.extend_from_slice(ch.encode_utf8(&mut [0u8; 4]).as_bytes());
                    i += used;
                }
                _ => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn unescape_agrees_with_the_reference(
            v in "([a-z/?#]|\\\\[\"\\\\/nrtbfxu]|\\\\x[0-9a-fA-Fg]{0,2}|\\\\u[0-9a-fA-F]{0,4}|\\\\ud83d\\\\ude00){0,20}\\\\?",
            escape in proptest::prop_oneof![
                proptest::strategy::Just(Escape::Backslash),
                proptest::strategy::Just(Escape::Json),
                proptest::strategy::Just(Escape::None),
            ],
        ) {
            let got = unescape(v.as_bytes(), escape);
            let want = if escape == Escape::None {
                v.as_bytes().to_vec()
            } else {
                unescape_reference(v.as_bytes(), escape)
            };
            proptest::prop_assert_eq!(&got[..], &want[..], "{:?} {:?}", v, escape);
        }

        #[test]
        fn parse_u64_agrees_with_std(v in "[0-9]{0,22}|[0-9+ -]{0,4}|1844674407370955161[0-9]") {
            // `str::parse` also takes a leading `+`: a log's field never has one.
            let want = if v.starts_with('+') { None } else { v.parse::<u64>().ok() };
            proptest::prop_assert_eq!(parse_u64(v.as_bytes()), want, "{:?}", v);
        }

        #[test]
        fn byte_searches_find_the_first_match(
            // Long runs of plain bytes (ASCII and not) around the odd quote, backslash or
            // space, so matches fall in every 16-byte block, the tail, and past the inline part.
            v in proptest::collection::vec(
                proptest::prop_oneof![
                    12 => proptest::strategy::Strategy::prop_filter(proptest::prelude::any::<u8>(), "plain", |b| !matches!(b, b'"' | b'\\' | b' ')),
                    1 => proptest::strategy::Just(b'"'),
                    1 => proptest::strategy::Just(b'\\'),
                    1 => proptest::strategy::Just(b' '),
                ],
                0..200,
            ),
            // Where the search starts: the bytes before it (matches among them) are not looked at.
            start in 0usize..80,
        ) {
            let start = start.min(v.len());
            let first = |f: fn(u8) -> bool| v[start..].iter().position(|&b| f(b)).map(|k| start + k);
            proptest::prop_assert_eq!(
                find_quote_or_backslash(&v, start), first(|b| b == b'"' || b == b'\\'),
                "{:?} from {}", v, start
            );
            proptest::prop_assert_eq!(find_byte(&v, start, b' '), first(|b| b == b' '), "{:?} from {}", v, start);
        }

        #[test]
        fn decimals_agree_with_exact_arithmetic(
            int in "[0-9]{0,8}",
            frac in proptest::option::of("[0-9]{0,14}"),
            unit_us in proptest::prop_oneof![
                proptest::strategy::Just(1u64),
                proptest::strategy::Just(1_000),
                proptest::strategy::Just(1_000_000),
                proptest::strategy::Just(3_600_000_000),
            ],
        ) {
            let v = match &frac {
                Some(f) => format!("{int}.{f}"),
                None => int.clone(),
            };
            // The value in units, to the first 12 fractional digits, times `unit_us`, floored.
            let f = frac.as_deref().unwrap_or("");
            let digits = &f[..f.len().min(12)];
            let want = if int.is_empty() && f.is_empty() {
                None
            } else {
                let whole: u128 = int.parse().unwrap_or(0);
                let num: u128 = digits.parse().unwrap_or(0);
                let exact = whole * u128::from(unit_us)
                    + num * u128::from(unit_us) / 10u128.pow(digits.len() as u32);
                u64::try_from(exact).ok()
            };
            proptest::prop_assert_eq!(parse_decimal_us(v.as_bytes(), unit_us), want, "{:?} {}", v, unit_us);
        }

        #[test]
        fn absolute_targets_split_as_the_search_for_their_scheme_did(
            target in "([a-zA-Z]{0,18}|[a-z0-9+.-]{1,6})(://|:/|//|)[a-z.:0-9]{0,12}(/[a-z?=]{0,6}){0,2}(://x)?",
        ) {
            let t = target.as_bytes();
            // The definition: the first `://`, after 1 to 16 letters that start the target;
            // the host runs to the first `/` or `?` after it, the path is the rest (or `/`).
            let want = match memchr::memmem::find(t, b"://") {
                Some(i) if (1..=16).contains(&i) && t[..i].iter().all(u8::is_ascii_alphabetic) => {
                    let rest = &t[i + 3..];
                    let end = rest.iter().position(|&b| b == b'/' || b == b'?').unwrap_or(rest.len());
                    let path = if end == rest.len() { &b"/"[..] } else { &rest[end..] };
                    (Some(&rest[..end]), path)
                }
                _ => (None, t),
            };
            proptest::prop_assert_eq!(split_absolute(t), want, "{:?}", target);
        }

        #[test]
        fn split_fields_agrees_with_the_reference(
            line in "[ab \"\\\\-]{0,120}",
            max in 1usize..12,
        ) {
            let line = line.as_bytes();
            let mut out: Vec<&[u8]> = vec![b""; max];
            let got = split_fields(line, &mut out).map(|n| out[..n].to_vec()).map_err(|_| ());
            proptest::prop_assert_eq!(got, fields_reference(line, max), "line {:?}", line);
        }

        #[test]
        fn literal_search_agrees_with_a_substring_search(
            line in "[\" a\\[-]{0,90}",
            needle in "[\" a\\[-]{0,4}",
            start in 0usize..100,
        ) {
            let (line, needle) = (line.as_bytes(), needle.as_bytes());
            let start = start.min(line.len());
            let want = memchr::memmem::find(&line[start..], needle).map(|k| start + k);
            proptest::prop_assert_eq!(find_literal(line, start, needle), want, "{:?} in {:?} from {}", needle, line, start);
            proptest::prop_assert_eq!(starts_with_bytes(&line[start..], needle), line[start..].starts_with(needle));
        }

        #[test]
        fn split_on_agrees_with_split(line in "[a\t -]{0,120}", sep in "[\t ]", max in 1usize..40) {
            let sep = sep.as_bytes()[0];
            let line = line.as_bytes();
            let mut out: Vec<&[u8]> = vec![b""; max];
            let n = split_on(line, sep, &mut out);
            let want: Vec<&[u8]> = line.split(|&b| b == sep).take(max).collect();
            proptest::prop_assert_eq!(&out[..n], &want[..], "line {:?}", line);
        }

        #[test]
        fn split_request_agrees_with_the_reference(
            method in proptest::prop_oneof![
                "GET", "CONNECT", "-", "", "G\\x16", "[A-Z!~0-9-]{1,40}",
            ],
            target in proptest::prop_oneof![
                "/[a-z0-9/ ?=&.-]{0,30}", "\\*", "https?://[a-z.]{1,10}/[a-z]{0,5}", "[a-z:0-9]{1,12}",
            ],
            protocol in proptest::prop_oneof![
                "HTTP/1\\.[01]", "HTTP/[0-9. ]{3}", "HTTP/2\\.0", "http/1\\.1", "HTTP/ 1", "HTTP/1\\.1 ", "", "[A-Z/. 0-9]{0,12}",
            ],
            sep in proptest::prop_oneof![" ", "  ", ""],
        ) {
            let req = format!("{method} {target}{sep}{protocol}");
            proptest::prop_assert_eq!(
                split_request(req.as_bytes()),
                split_reference(req.as_bytes()),
                "request {:?}", req
            );
        }
    }

    #[test]
    fn tchar_is_rfc_9110() {
        // token = 1*tchar; tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
        //   "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
        for b in 0..=255u8 {
            let rfc = b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            assert_eq!(is_tchar(b), rfc, "byte {b:#04x}");
        }
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(parse_decimal_us(b"0.050", 1_000_000), Some(50_000));
        assert_eq!(parse_decimal_us(b"12", 1_000_000), Some(12_000_000));
        assert_eq!(parse_decimal_us(b"1.5", 1_000), Some(1_500));
        assert_eq!(parse_decimal_us(b".5", 1_000_000), Some(500_000));
        assert_eq!(parse_decimal_us(b"-1", 1_000_000), None);
        assert_eq!(parse_decimal_us(b"1e3", 1_000_000), None);
        assert_eq!(parse_decimal_us(b"", 1), None);
    }

    #[test]
    fn unit_durations() {
        assert_eq!(parse_unit_duration_us(b"1.2s"), Some(1_200_000));
        assert_eq!(parse_unit_duration_us(b"350ms"), Some(350_000));
        assert_eq!(parse_unit_duration_us("12µs".as_bytes()), Some(12));
        assert_eq!(parse_unit_duration_us(b"1m2.5s"), Some(62_500_000));
        assert_eq!(parse_unit_duration_us(b"800ns"), Some(0));
        assert_eq!(parse_unit_duration_us(b"2500ns"), Some(2));
        assert_eq!(parse_unit_duration_us(b"12"), None);
        assert_eq!(parse_unit_duration_us(b"s"), None);
    }

    #[test]
    fn request_lines() {
        let r =
            |s: &'static str| split_request(s.as_bytes()).map(|r| (r.method, r.target, r.protocol));
        assert_eq!(
            r("GET /a HTTP/1.1"),
            Some((&b"GET"[..], &b"/a"[..], Some(&b"HTTP/1.1"[..])))
        );
        assert_eq!(r("GET /"), Some((&b"GET"[..], &b"/"[..], None)), "HTTP/0.9");
        assert_eq!(
            r("GET /a[ ]b HTTP/1.0"),
            Some((&b"GET"[..], &b"/a[ ]b"[..], Some(&b"HTTP/1.0"[..])))
        );
        assert_eq!(
            r("PRI * HTTP/2.0"),
            Some((&b"PRI"[..], &b"*"[..], Some(&b"HTTP/2.0"[..])))
        );
        assert_eq!(r("-"), None);
        assert_eq!(r(""), None);
        assert_eq!(r("\\x16\\x03\\x01\\x00"), None);
        assert_eq!(r("\\x16\\x03\\x01\\x01 \\x02"), None);
        assert_eq!(r("GET HTTP/1.1"), None);
        let long = format!("GET /{} HTTP/1.1", "a".repeat(MAX_TARGET + 1));
        assert_eq!(split_request(long.as_bytes()), None);
    }

    #[test]
    fn escapes() {
        assert_eq!(&*unescape(br"a\x22b\x5Cc", Escape::Backslash), b"a\"b\\c");
        assert_eq!(&*unescape(br#"a\"b"#, Escape::Backslash), b"a\"b");
        assert_eq!(&*unescape(br"\xZZ", Escape::Backslash), br"\xZZ");
        assert_eq!(&*unescape(br"\x4", Escape::Backslash), br"\x4");
        assert_eq!(
            &*unescape(br"a\/b\u00e9\ud83d\ude00", Escape::Json),
            "a/bé😀".as_bytes()
        );
        assert_eq!(&*unescape(br"\ud83d", Escape::Json), "\u{fffd}".as_bytes());
        assert_eq!(&*unescape(br"trailing\", Escape::Json), br"trailing\");
        assert!(matches!(unescape(b"plain", Escape::Json), Cow::Borrowed(_)));
    }

    #[test]
    fn quotes() {
        assert_eq!(find_closing_quote(br#"ab\"c" x"#, 0), Some(5));
        assert_eq!(find_closing_quote(br#"ab\\" x"#, 0), Some(4));
        assert_eq!(find_closing_quote(br#"ab\"#, 0), None);
        assert_eq!(find_closing_quote(br#"abc"#, 0), None);
    }

    #[test]
    fn statuses() {
        assert_eq!(parse_status(b"200"), Ok(Some(200)));
        assert_eq!(parse_status(b"-"), Ok(None));
        assert_eq!(parse_status(b"20"), Err(InvalidStatus));
        assert_eq!(parse_status(b"099"), Err(InvalidStatus));
        assert_eq!(parse_status(b"2x0"), Err(InvalidStatus));
    }
}

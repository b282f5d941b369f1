//! Timestamp parsing without allocation: CLF `[10/Oct/2000:13:55:36 -0700]`, RFC 3339 /
//! ISO 8601 (`$time_iso8601`), Unix epochs (`$msec`, JSON numbers) and HTTP dates. All return
//! milliseconds since the Unix epoch, UTC.

use super::fields::parse_u64;

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian), H. Hinnant's algorithm.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

#[inline]
fn num(v: &[u8]) -> Option<u32> {
    parse_u64(v).and_then(|n| u32::try_from(n).ok())
}

fn month_abbr(v: &[u8]) -> Option<u32> {
    let m = match v {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    };
    Some(m)
}

/// Assemble a checked civil date-time into epoch milliseconds.
fn civil_ms(
    (y, mo, d): (i64, u32, u32),
    (h, mi, s, ms): (u32, u32, u32, u32),
    offset_min: i64,
) -> Option<i64> {
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60
    {
        return None;
    }
    let secs = days_from_civil(y, mo, d) * 86_400
        + i64::from(h) * 3600
        + i64::from(mi) * 60
        + i64::from(s)
        - offset_min * 60;
    Some(secs * 1000 + i64::from(ms))
}

/// `+0200` / `-07:00` / `Z` → minutes east of UTC.
fn parse_offset(v: &[u8]) -> Option<i64> {
    match v {
        b"Z" | b"z" => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [a, b, b':', c, d] | [a, b, c, d] => (num(&[*a, *b])?, num(&[*c, *d])?),
                [a, b] => (num(&[*a, *b])?, 0),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let off = i64::from(h * 60 + m);
            Some(if *sign == b'-' { -off } else { off })
        }
        _ => None,
    }
}

thread_local! {
    /// The last CLF time parsed on this thread: consecutive lines mostly share their second.
    static LAST_CLF: std::cell::Cell<(ShortKey, i64)> = const {
        std::cell::Cell::new((ShortKey { head: 0, tail: 0, len: u8::MAX }, 0))
    };
}

/// [`parse_clf`] with a one-entry per-thread cache.
#[inline]
pub fn parse_clf_cached(v: &[u8]) -> Option<i64> {
    if let Some(ms) = clf_cache_hit(v) {
        return Some(ms);
    }
    let ms = parse_clf(v)?;
    if let Some(key) = ShortKey::of(v) {
        LAST_CLF.set((key, ms));
    }
    Some(ms)
}

/// The time of `v` when it is the text [`parse_clf_cached`] last parsed on this thread. A CLF
/// time holds no `]` (see [`parse_clf`]), so a hit also says that `v` holds none.
#[inline]
pub fn clf_cache_hit(v: &[u8]) -> Option<i64> {
    let key = ShortKey::of(v)?;
    let (held, ms) = LAST_CLF.get();
    (held == key).then_some(ms)
}

/// A text of at most 32 bytes as two 16-byte integers (its first and its last 16 bytes,
/// overlapping when shorter than 32; zero-padded when shorter than 16) and its length: equal
/// keys are equal texts. Compared as integers, in registers — a byte-slice compare of a copy
/// held on the stack stalled on the copy (a third of the CLF parser's time in one profile).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct ShortKey {
    head: u128,
    tail: u128,
    len: u8,
}

impl ShortKey {
    #[inline]
    fn of(v: &[u8]) -> Option<ShortKey> {
        let n = v.len();
        let word = |s: &[u8]| -> u128 { u128::from_le_bytes(s.try_into().unwrap_or([0; 16])) };
        match n {
            0..=15 => {
                let mut b = [0u8; 16];
                b[..n].copy_from_slice(v);
                Some(ShortKey {
                    head: u128::from_le_bytes(b),
                    tail: 0,
                    len: n as u8,
                })
            }
            16..=32 => Some(ShortKey {
                head: word(&v[..16]),
                tail: word(&v[n - 16..]),
                len: n as u8,
            }),
            _ => None,
        }
    }
}

/// CLF time as written inside the brackets: `10/Oct/2000:13:55:36 -0700`. Also accepts a space
/// between date and time and a missing zone (Werkzeug writes `29/Aug/2023 22:02:58`; taken as UTC).
pub fn parse_clf(v: &[u8]) -> Option<i64> {
    if v.len() < 20 || v[2] != b'/' || v[6] != b'/' || !(v[11] == b':' || v[11] == b' ') {
        return None;
    }
    let d = num(&v[0..2])?;
    let mo = month_abbr(&v[3..6])?;
    let y = i64::from(num(&v[7..11])?);
    if v[14] != b':' || v[17] != b':' {
        return None;
    }
    let h = num(&v[12..14])?;
    let mi = num(&v[15..17])?;
    let s = num(&v[18..20])?;
    let mut rest = &v[20..];
    let mut ms = 0;
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|b| b.is_ascii_digit()).count();
        ms = frac_ms(&tail[..n])?;
        rest = &tail[n..];
    }
    let off = match rest {
        [] => 0,
        [b' ', zone @ ..] => parse_offset(zone)?,
        _ => return None,
    };
    civil_ms((y, mo, d), (h, mi, s, ms), off)
}

/// Fractional-second digits → milliseconds (truncating).
fn frac_ms(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    let d = &digits[..digits.len().min(3)];
    let n = num(d)?;
    Some(n * 10u32.pow(3 - d.len() as u32))
}

/// RFC 3339 / ISO 8601: `2024-12-10T10:53:47+00:00`, `2000-10-10T20:55:36Z`,
/// `2024-12-10 10:53:47.123Z`. A missing zone is taken as UTC.
pub fn parse_iso8601(v: &[u8]) -> Option<i64> {
    if v.len() < 19 || v[4] != b'-' || v[7] != b'-' || !matches!(v[10], b'T' | b't' | b' ') {
        return None;
    }
    let y = i64::from(num(&v[0..4])?);
    let mo = num(&v[5..7])?;
    let d = num(&v[8..10])?;
    if v[13] != b':' || v[16] != b':' {
        return None;
    }
    let h = num(&v[11..13])?;
    let mi = num(&v[14..16])?;
    let s = num(&v[17..19])?;
    let mut rest = &v[19..];
    let mut ms = 0;
    if let [b'.' | b',', tail @ ..] = rest {
        let n = tail.iter().take_while(|b| b.is_ascii_digit()).count();
        ms = frac_ms(&tail[..n])?;
        rest = &tail[n..];
    }
    let off = if rest.is_empty() {
        0
    } else {
        parse_offset(rest)?
    };
    civil_ms((y, mo, d), (h, mi, s, ms), off)
}

/// A time of day in milliseconds since midnight: `hh:mm:ss`, with a fraction
/// (`17:42:15.250`), or `hh:mm` (the W3C extended log's `time` field).
pub fn time_of_day_ms(v: &[u8]) -> Option<i64> {
    let (hm, secs) = match v.get(5) {
        None => (v, &v[..0]),
        Some(b':') => v.split_at(5),
        Some(_) => return None,
    };
    let [h1, h2, b':', m1, m2] = *hm else {
        return None;
    };
    let (h, m) = (num(&[h1, h2])?, num(&[m1, m2])?);
    let (s, ms) = match secs {
        [] => (0, 0),
        [b':', s1, s2] => (num(&[*s1, *s2])?, 0),
        [b':', s1, s2, b'.', frac @ ..] => (num(&[*s1, *s2])?, frac_ms(frac)?),
        _ => return None,
    };
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(i64::from(((h * 60 + m) * 60 + s) * 1000 + ms))
}

/// The moment of a W3C `#Date:` directive: `1998-05-02 17:42:15` (what IIS writes), a day
/// alone (`2019-05-02`: midnight), or the draft's own `12-Jan-1996 00:00:00`, UTC.
pub fn parse_w3c_date(v: &[u8]) -> Option<i64> {
    if let Some(ms) = parse_iso8601(v) {
        return Some(ms);
    }
    if let [y @ .., b'-', m1, m2, b'-', d1, d2] = v {
        if y.len() != 4 {
            return None;
        }
        let (m, d) = (num(&[*m1, *m2])?, num(&[*d1, *d2])?);
        return civil_ms((i64::from(num(y)?), m, d), (0, 0, 0, 0), 0);
    }
    // `dd-Mmm-yyyy hh:mm:ss` is CLF's date with dashes.
    if v.len() < 20 || v[2] != b'-' || v[6] != b'-' {
        return None;
    }
    let mut clf = v.to_vec();
    clf[2] = b'/';
    clf[6] = b'/';
    parse_clf(&clf)
}

/// A Unix epoch number (`1673085237.244`): seconds, or ms/µs/ns when the magnitude says so.
pub fn parse_epoch(v: &[u8]) -> Option<i64> {
    let (int, frac) = match memchr::memchr(b'.', v) {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => (v, &v[..0]),
    };
    let n = parse_u64(int)?;
    if !frac.is_empty() && !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let ms = match n {
        0..=99_999_999_999 => {
            n * 1000 + u64::from(if frac.is_empty() { 0 } else { frac_ms(frac)? })
        }
        100_000_000_000..=99_999_999_999_999 => n,
        100_000_000_000_000..=99_999_999_999_999_999 => n / 1000,
        _ => n / 1_000_000,
    };
    i64::try_from(ms).ok()
}

/// An HTTP date, RFC 9110's preferred IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT` (what
/// Express's morgan writes for `:date`, its default `web` form, and `toUTCString()` gives).
pub fn parse_http_date(v: &[u8]) -> Option<i64> {
    // `day-name "," SP day SP month SP year SP hour ":" minute ":" second SP "GMT"`
    if v.len() != 29 || v[3] != b',' || v[4] != b' ' || v[7] != b' ' || v[11] != b' ' {
        return None;
    }
    if !matches!(
        &v[..3],
        b"Mon" | b"Tue" | b"Wed" | b"Thu" | b"Fri" | b"Sat" | b"Sun"
    ) {
        return None;
    }
    if v[16] != b' ' || v[19] != b':' || v[22] != b':' || &v[25..] != b" GMT" {
        return None;
    }
    let d = num(&v[5..7])?;
    let mo = month_abbr(&v[8..11])?;
    let y = i64::from(num(&v[12..16])?);
    let (h, mi, s) = (num(&v[17..19])?, num(&v[20..22])?, num(&v[23..25])?);
    civil_ms((y, mo, d), (h, mi, s, 0), 0)
}

/// Try every textual shape: ISO 8601, CLF, epoch, then an HTTP date.
pub fn parse_any(v: &[u8]) -> Option<i64> {
    parse_iso8601(v)
        .or_else(|| parse_clf_cached(v))
        .or_else(|| parse_epoch(v))
        .or_else(|| parse_http_date(v))
}

/// RFC 3339 UTC text of an epoch-ms time.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string()
                .replace(".000Z", "Z")
        })
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_date() {
        // RFC 9110 §5.6.7's example.
        assert_eq!(
            parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT"),
            parse_iso8601(b"1994-11-06T08:49:37Z")
        );
        assert_eq!(
            parse_any(b"Thu, 10 Oct 2024 13:55:36 GMT"),
            parse_iso8601(b"2024-10-10T13:55:36Z")
        );
        for bad in [
            &b"Sun, 06 Nov 1994 08:49:37 UTC"[..],
            b"Sun, 6 Nov 1994 08:49:37 GMT",
            b"Sun 06 Nov 1994 08:49:37 GMT",
            b"Xyz, 06 Nov 1994 08:49:37 GMT",
            b"Sun, 31 Nov 1994 08:49:37 GMT",
            b"Sun, 06 Nox 1994 08:49:37 GMT",
            b"Sun, 06 Nov 1994 24:49:37 GMT",
            b"Sun, 06 Nov 1994 08:49:37 GMT ",
            b"",
        ] {
            assert_eq!(
                parse_http_date(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn clf() {
        assert_eq!(
            parse_clf(b"10/Oct/2000:13:55:36 -0700"),
            Some(971_211_336_000)
        );
        assert_eq!(parse_clf(b"01/Jan/1970:00:00:00 +0000"), Some(0));
        assert_eq!(
            parse_clf(b"29/Aug/2023 22:02:58"),
            parse_iso8601(b"2023-08-29T22:02:58Z")
        );
        assert_eq!(
            parse_clf(b"29/Feb/2023:00:00:00 +0000"),
            None,
            "not a leap year"
        );
        assert_eq!(
            parse_clf(b"29/Feb/2024:00:00:00 +0000"),
            parse_iso8601(b"2024-02-29T00:00:00Z")
        );
        assert_eq!(parse_clf(b"10/Foo/2000:13:55:36 -0700"), None);
        assert_eq!(parse_clf(b"1234"), None);
        assert_eq!(parse_clf(b"10/Oct/2000:25:55:36 -0700"), None);
        assert_eq!(
            parse_clf_cached(b"10/Oct/2000:13:55:36 -0700"),
            Some(971_211_336_000)
        );
        assert_eq!(
            parse_clf_cached(b"10/Oct/2000:13:55:36 -0700"),
            Some(971_211_336_000)
        );
        assert_eq!(
            parse_clf_cached(b"10/Oct/2000:13:55:37 -0700"),
            Some(971_211_337_000)
        );
        assert_eq!(parse_clf_cached(b"10/Oct/2000:13:55:99 -0700"), None);
    }

    #[test]
    fn the_cache_key_sees_every_byte() {
        for n in [0, 1, 15, 16, 17, 20, 26, 31, 32] {
            let v: Vec<u8> = (0..n as u8).map(|i| b'a' + i % 26).collect();
            let key = ShortKey::of(&v).expect("short");
            assert_eq!(ShortKey::of(&v.clone()), Some(key), "{n}");
            for at in 0..n {
                let mut w = v.clone();
                w[at] = b'#';
                assert_ne!(ShortKey::of(&w), Some(key), "{n} bytes, differing at {at}");
            }
            // A shorter text padded with what would be zero bytes is not the same text.
            let mut longer = v.clone();
            longer.push(0);
            assert_ne!(ShortKey::of(&longer), Some(key), "{n} bytes and a NUL");
        }
        assert_eq!(ShortKey::of(&[b'x'; 33]), None);
    }

    #[test]
    fn iso() {
        assert_eq!(
            parse_iso8601(b"2000-10-10T20:55:36Z"),
            Some(971_211_336_000)
        );
        assert_eq!(
            parse_iso8601(b"2000-10-10T13:55:36-07:00"),
            Some(971_211_336_000)
        );
        assert_eq!(
            parse_iso8601(b"2000-10-10T20:55:36.5Z"),
            Some(971_211_336_500)
        );
        assert_eq!(
            parse_iso8601(b"2000-10-10 20:55:36.123456+00:00"),
            Some(971_211_336_123)
        );
        assert_eq!(parse_iso8601(b"2000-13-10T20:55:36Z"), None);
        assert_eq!(parse_iso8601(b"2000-10-10T20:55:36+99:00"), None);
    }

    #[test]
    fn epoch() {
        assert_eq!(parse_epoch(b"1673085237.244"), Some(1_673_085_237_244));
        assert_eq!(parse_epoch(b"1673085237"), Some(1_673_085_237_000));
        assert_eq!(parse_epoch(b"1673085237244"), Some(1_673_085_237_244));
        assert_eq!(parse_epoch(b"1673085237244123"), Some(1_673_085_237_244));
        assert_eq!(parse_epoch(b"1673085237244123456"), Some(1_673_085_237_244));
        assert_eq!(parse_epoch(b"12a"), None);
        assert_eq!(parse_epoch(b"-5"), None);
    }

    #[test]
    fn w3c_times_of_day_and_date_directives() {
        assert_eq!(time_of_day_ms(b"00:00:00"), Some(0));
        assert_eq!(time_of_day_ms(b"17:42:15"), Some(63_735_000));
        assert_eq!(time_of_day_ms(b"17:42:15.25"), Some(63_735_250));
        assert_eq!(time_of_day_ms(b"17:42"), Some(63_720_000));
        for bad in [
            &b"24:00:00"[..],
            b"17:60:00",
            b"7:42:15",
            b"17:42:1",
            b"17:42:15.",
            b"",
            b"x",
        ] {
            assert_eq!(time_of_day_ms(bad), None, "{:?}", bad.escape_ascii());
        }
        assert_eq!(
            parse_w3c_date(b"1998-05-02 17:42:15"),
            parse_iso8601(b"1998-05-02T17:42:15Z")
        );
        assert_eq!(
            parse_w3c_date(b"12-Jan-1996 00:00:00"),
            parse_iso8601(b"1996-01-12T00:00:00Z")
        );
        assert_eq!(
            parse_w3c_date(b"2019-05-02"),
            parse_iso8601(b"2019-05-02T00:00:00Z")
        );
        for bad in [
            &b"2019-13-02"[..],
            b"19-05-02",
            b"12-Foo-1996 00:00:00",
            b"today",
        ] {
            assert_eq!(parse_w3c_date(bad), None, "{:?}", bad.escape_ascii());
        }
    }
}

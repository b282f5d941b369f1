//! Making log-sourced text safe to show. Attackers write log lines: before a path, user agent or
//! sample reaches a terminal, control, bidi-override and zero-width characters are escaped
//! (fd's `sanitize.rs` is the model), and every echoed sample is clipped.

/// Lossy UTF-8 (invalid bytes become U+FFFD), then [`sanitize`].
pub fn sanitize_bytes(b: &[u8]) -> String {
    sanitize(&String::from_utf8_lossy(b))
}

fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}' | '\u{00AD}')
}

/// Escape control, bidi and zero-width characters as `\u{…}` (`\t`, `\n`, `\r` as themselves).
pub fn sanitize(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() || is_invisible(c)) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || is_invisible(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// Columns `s` takes on a terminal (East Asian wide characters take two, combining marks none).
pub fn display_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Clip to at most `max` terminal columns, marking the cut with `…`.
pub fn clip(s: &str, max: usize) -> String {
    if display_width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw + 1 > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// Fit one line of terminal text, which may hold ANSI colour sequences (`ESC [ … m`, zero
/// columns), into `width` columns: clipped with `…` (and the colour reset) when wider.
pub fn fit_line(line: &str, width: usize) -> std::borrow::Cow<'_, str> {
    let mut visible = 0;
    let mut in_escape = false;
    for c in line.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, c) => visible += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0),
        }
    }
    if visible <= width {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let (mut w, mut coloured) = (0, false);
    in_escape = false;
    for c in line.chars() {
        if in_escape || c == '\x1b' {
            in_escape = c != 'm';
            coloured = true;
            out.push(c);
            continue;
        }
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    if coloured {
        out.push_str("\x1b[0m");
    }
    std::borrow::Cow::Owned(out)
}

/// Text for an HTML text node or a quoted attribute value: `& < > " '` escaped, after
/// [`sanitize`] (so control and bidi characters show as escapes, not as effects).
pub fn html(s: &str) -> String {
    let s = sanitize(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text for XML 1.0 (JUnit): like [`html`]; XML cannot carry control characters at all, and
/// [`sanitize`] has already spelled them out.
pub fn xml(s: &str) -> String {
    html(s)
}

/// Text for one Markdown table cell or inline text: one line, and `|`, backticks and the
/// characters that start Markdown or HTML markup are backslash-escaped or entity-encoded, so a
/// log line cannot break the table, open a code span, or inject a link or a tag.
pub fn markdown(s: &str) -> String {
    let s = sanitize(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '|' | '`' | '*' | '_' | '[' | ']' | '\\' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_fit_by_terminal_columns() {
        // Wide characters take two columns; the cut is marked.
        assert_eq!(clip("路由路由", 5), "路由…");
        assert_eq!(clip("/api/users", 10), "/api/users");
        assert_eq!(clip("/api/users", 6), "/api/…");
        assert_eq!(fit_line("short", 10), "short");
        // Colour sequences take no room, and the colour is reset after a cut.
        let red = "\x1b[31m0123456789\x1b[0m";
        assert_eq!(fit_line(red, 10), red);
        assert_eq!(fit_line(red, 5), "\x1b[31m0123…\x1b[0m");
        assert_eq!(display_width(&fit_line("路由路由路由", 7)), 7);
    }

    #[test]
    fn escapes_for_html_xml_and_markdown() {
        let evil = "\"><script>alert(1)</script>";
        assert_eq!(
            html(evil),
            "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(html("it's & \x1b"), "it&#39;s &amp; \\u{1b}");
        assert_eq!(xml("a\u{0}b"), "a\\u{0}b");
        // The newline is spelled `\n` by `sanitize`, whose backslash Markdown then escapes.
        assert_eq!(markdown("a|b`c\nd"), "a\\|b\\`c\\\\nd");
        assert_eq!(
            markdown("[x](javascript:y) <b>"),
            "\\[x\\](javascript:y) &lt;b&gt;"
        );
    }

    #[test]
    fn escapes_terminal_tricks() {
        assert_eq!(sanitize("plain /path"), "plain /path");
        assert_eq!(sanitize("a\x1b[31mred"), "a\\u{1b}[31mred");
        assert_eq!(sanitize("x\u{202E}txt.exe"), "x\\u{202e}txt.exe");
        assert_eq!(sanitize("zero\u{200B}width"), "zero\\u{200b}width");
        assert_eq!(sanitize("tab\there\n"), "tab\\there\\n");
        assert_eq!(sanitize("\u{9b}csi"), "\\u{9b}csi");
        assert_eq!(sanitize_bytes(b"bad\xffbyte"), "bad\u{fffd}byte");
    }

    #[test]
    fn clips() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
        assert_eq!(clip("ééééé", 3), "éé…");
    }
}

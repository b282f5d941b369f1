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

/// Clip to at most `max` characters, marking the cut with `…`.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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

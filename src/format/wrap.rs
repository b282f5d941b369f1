//! Access lines wrapped by container runtimes, unwrapped before parsing: Kubernetes CRI
//! (`2024-05-01T12:00:00.123456789Z stdout F <line>`), Docker's json-file driver
//! (`{"log":"<line>\n","stream":"stdout","time":"…"}`) and `docker compose` output
//! (`web-1  | <line>`). The wrapper is detected per file from its first lines; a line that
//! does not carry it passes through unchanged. One line in gives one line out, so line numbers
//! stay those of the file.

use std::borrow::Cow;

use super::fields::{find_closing_quote, unescape};
use super::Escape;

/// A line wrapper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrap {
    /// Kubernetes CRI log lines.
    Cri,
    /// Docker json-file records.
    DockerJson,
    /// `docker compose` service prefixes.
    Compose,
}

impl Wrap {
    /// Name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Wrap::Cri => "cri",
            Wrap::DockerJson => "docker-json",
            Wrap::Compose => "compose",
        }
    }

    /// The wrapped line, or `None` when `line` does not carry this wrapper.
    pub fn unwrap_line(self, line: &[u8]) -> Option<Cow<'_, [u8]>> {
        match self {
            Wrap::Cri => {
                // time SP stream SP tag SP content
                let mut parts = line.splitn(4, |&b| b == b' ');
                let time = parts.next()?;
                let stream = parts.next()?;
                let tag = parts.next()?;
                let content = parts.next().unwrap_or_default();
                let ok = time.len() >= 20
                    && time[0].is_ascii_digit()
                    && time.get(10) == Some(&b'T')
                    && matches!(stream, b"stdout" | b"stderr")
                    && matches!(tag, b"F" | b"P");
                ok.then_some(Cow::Borrowed(content))
            }
            Wrap::DockerJson => {
                let start = line.strip_prefix(b"{\"log\":\"")?;
                let close = find_closing_quote(start, 0)?;
                let decoded = unescape(&start[..close], Escape::Json);
                Some(match decoded {
                    Cow::Borrowed(b) => Cow::Borrowed(b.strip_suffix(b"\n").unwrap_or(b)),
                    Cow::Owned(mut v) => {
                        if v.last() == Some(&b'\n') {
                            v.pop();
                        }
                        Cow::Owned(v)
                    }
                })
            }
            Wrap::Compose => {
                let name = line
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
                    .count();
                if name == 0 {
                    return None;
                }
                let rest = &line[name..];
                let spaces = rest.iter().take_while(|&&b| b == b' ').count();
                rest[spaces..].strip_prefix(b"| ").map(Cow::Borrowed)
            }
        }
    }
}

/// The wrapper most of `sample`'s lines carry, if any.
pub fn detect(sample: &[&[u8]]) -> Option<Wrap> {
    let lines: Vec<&&[u8]> = sample.iter().filter(|l| !l.is_empty()).collect();
    if lines.is_empty() {
        return None;
    }
    [Wrap::Cri, Wrap::DockerJson, Wrap::Compose]
        .into_iter()
        .map(|w| {
            (
                w,
                lines.iter().filter(|l| w.unwrap_line(l).is_some()).count(),
            )
        })
        .filter(|(_, n)| *n * 2 > lines.len())
        .max_by_key(|(_, n)| *n)
        .map(|(w, _)| w)
}

/// Unwrap every line of `chunk` into `out` (cleared first), one line per line.
pub fn unwrap_chunk(wrap: Wrap, chunk: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let body = chunk.strip_suffix(b"\n").unwrap_or(chunk);
    for line in body.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match wrap.unwrap_line(line) {
            // A wrapped line may itself hold newlines (Docker escapes them): keep one line.
            Some(inner) => out.extend(inner.iter().map(|&b| if b == b'\n' { b' ' } else { b })),
            None => out.extend_from_slice(line),
        }
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_each_kind() {
        let cri = b"2025-12-31T17:37:40.493035218+01:00 stdout F {\"status\":200}";
        assert_eq!(
            Wrap::Cri.unwrap_line(cri).as_deref(),
            Some(&b"{\"status\":200}"[..])
        );
        assert_eq!(Wrap::Cri.unwrap_line(b"plain line here ok"), None);
        let docker = br#"{"log":"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 5\n","stream":"stdout","time":"2020-01-01T00:00:00Z"}"#;
        assert_eq!(
            Wrap::DockerJson.unwrap_line(docker).as_deref(),
            Some(&br#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5"#[..])
        );
        assert_eq!(
            Wrap::Compose.unwrap_line(b"caddy  | {\"a\":1}").as_deref(),
            Some(&b"{\"a\":1}"[..])
        );
        assert_eq!(Wrap::Compose.unwrap_line(b"Attaching to caddy"), None);
    }

    #[test]
    fn detection_and_chunks() {
        let lines: [&[u8]; 3] = [b"web-1  | a", b"web-1  | b", b"Attaching to web-1"];
        assert_eq!(detect(&lines), Some(Wrap::Compose));
        assert_eq!(
            detect(&[b"1.1.1.1 - - [x] \"GET /\" 200 1".as_slice()]),
            None
        );
        let mut out = Vec::new();
        unwrap_chunk(
            Wrap::Compose,
            b"web-1  | a\nAttaching\r\nweb-1 | b\n",
            &mut out,
        );
        assert_eq!(out, b"a\nAttaching\nb\n");
    }
}

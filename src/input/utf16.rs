//! UTF-16 text with a byte-order mark (what Windows PowerShell's `>` writes), read as UTF-8:
//! the parsers read bytes, and this turns the one wide encoding logs come in into them.

use std::io::{self, Read};

/// Raw bytes read at a time.
const READ_SIZE: usize = 64 * 1024;

/// The byte order a UTF-16 byte-order mark at the start of `head` names: `Some(true)` for big
/// endian (`FE FF`), `Some(false)` for little endian (`FF FE`), `None` without one.
pub fn bom(head: &[u8]) -> Option<bool> {
    match head {
        [0xfe, 0xff, ..] => Some(true),
        [0xff, 0xfe, ..] => Some(false),
        _ => None,
    }
}

/// Whether `head`, the first bytes of a stream, is UTF-16 text without a byte-order mark (one
/// with a mark is read as UTF-8, see [`bom`]): ASCII text with a NUL beside every character
/// over the first 64 bytes. (Only asked of a file no format fits, to say why.)
pub fn unmarked(head: &[u8]) -> bool {
    let h = &head[..head.len().min(64) & !1];
    let nul_at = |odd: usize| h.chunks_exact(2).all(|p| p[odd] == 0 && p[1 - odd] != 0);
    h.len() >= 8 && (nul_at(0) || nul_at(1))
}

/// A UTF-16 stream read as UTF-8, its byte-order mark dropped; an unpaired surrogate or a
/// last odd byte becomes U+FFFD.
pub struct Utf16Reader<R> {
    inner: R,
    big_endian: bool,
    /// Raw bytes not decoded yet: an odd byte, or a high surrogate waiting for its pair.
    raw: Vec<u8>,
    /// UTF-8 decoded and not handed out yet, from `out_pos`.
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
    started: bool,
}

impl<R: Read> Utf16Reader<R> {
    /// Read `inner`, UTF-16 in the byte order given.
    pub fn new(inner: R, big_endian: bool) -> Self {
        Utf16Reader {
            inner,
            big_endian,
            raw: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            eof: false,
            started: false,
        }
    }

    /// Read more raw bytes and decode what can be.
    fn fill(&mut self) -> io::Result<()> {
        let keep = self.raw.len();
        self.raw.resize(keep + READ_SIZE, 0);
        let n = loop {
            match self.inner.read(&mut self.raw[keep..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.raw.truncate(keep);
                    return Err(e);
                }
            }
        };
        self.raw.truncate(keep + n);
        self.eof = n == 0;
        self.out.clear();
        self.out_pos = 0;
        let unit = |p: &[u8]| {
            let pair = [p[0], p[1]];
            if self.big_endian {
                u16::from_be_bytes(pair)
            } else {
                u16::from_le_bytes(pair)
            }
        };
        let mut end = self.raw.len() & !1;
        // A high surrogate last: its pair is in the next read.
        if !self.eof && end >= 2 && (0xd800..0xdc00).contains(&unit(&self.raw[end - 2..end])) {
            end -= 2;
        }
        let units = self.raw[..end].chunks_exact(2).map(unit);
        let mut utf8 = [0u8; 4];
        for c in char::decode_utf16(units) {
            let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
            if !std::mem::replace(&mut self.started, true) && c == '\u{feff}' {
                continue;
            }
            self.out
                .extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
        self.raw.drain(..end);
        if self.eof && !self.raw.is_empty() {
            // An odd byte at the end: a cut character.
            self.raw.clear();
            self.out.extend_from_slice(
                char::REPLACEMENT_CHARACTER
                    .encode_utf8(&mut utf8)
                    .as_bytes(),
            );
        }
        Ok(())
    }
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_pos < self.out.len() || buf.is_empty() {
                let n = buf.len().min(self.out.len() - self.out_pos);
                buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if self.eof {
                return Ok(0);
            }
            self.fill()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader handing out `step` bytes at a time.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn encode(text: &str, big_endian: bool) -> Vec<u8> {
        let bom: &[u8] = if big_endian {
            &[0xfe, 0xff]
        } else {
            &[0xff, 0xfe]
        };
        let units = text.encode_utf16().flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        });
        bom.iter().copied().chain(units).collect()
    }

    fn read(data: &[u8], step: usize) -> Vec<u8> {
        let big_endian = bom(data).expect("a byte-order mark");
        let mut out = Vec::new();
        Utf16Reader::new(Trickle { data, step }, big_endian)
            .read_to_end(&mut out)
            .expect("reads");
        out
    }

    #[test]
    fn both_byte_orders_read_as_utf8_at_any_read_size() {
        // Non-ASCII in a path and a user agent, and a character outside the BMP (a surrogate
        // pair), cut at every place by one-byte and three-byte reads.
        let text = "::1 - - [01/May/2024:10:00:00 +0000] \"GET /caf\u{e9} HTTP/1.1\" 200 5 \"-\" \"\u{1f600} bot\"\r\n";
        for big_endian in [false, true] {
            for step in [1, 3, 7, READ_SIZE] {
                assert_eq!(
                    read(&encode(text, big_endian), step),
                    text.as_bytes(),
                    "{big_endian} {step}"
                );
            }
        }
    }

    #[test]
    fn damage_becomes_replacement_characters() {
        // A lone high surrogate, then a last odd byte.
        let mut data = vec![0xff, 0xfe, b'a', 0, 0x00, 0xd8, b'b', 0];
        data.push(b'c');
        assert_eq!(
            String::from_utf8(read(&data, 2)).expect("utf-8"),
            "a\u{fffd}b\u{fffd}"
        );
        assert_eq!(bom(b"plain"), None);
    }
}

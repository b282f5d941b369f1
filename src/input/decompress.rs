//! Open an input and undo its compression, detected by magic bytes (never by file name):
//! gzip `1f 8b` (all members of a multi-member file, as `cat a.gz b.gz` makes) and zstd
//! `28 b5 2f fd` (all frames); then UTF-16 text, told by its byte-order mark, is read as UTF-8.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Chain, Cursor, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::{utf16, Input};

/// The compression of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Plain bytes.
    None,
    /// gzip.
    Gzip,
    /// Zstandard.
    Zstd,
    /// Plain UTF-16 text with a byte-order mark, read as UTF-8 (not the stored bytes, like the
    /// compressed ones).
    Utf16,
}

impl Compression {
    /// Name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Utf16 => "utf-16",
        }
    }
}

type Peeked = Chain<Cursor<Vec<u8>>, Box<dyn Read + Send>>;

/// The first (up to) 4 bytes of `r`, and `r` with them put back. A read error after some bytes
/// comes after them (a damaged stream's first lines are still read).
fn peek(mut r: Box<dyn Read + Send>) -> io::Result<(Vec<u8>, Peeked)> {
    let mut head = Vec::with_capacity(4);
    let mut buf = [0u8; 4];
    while head.len() < 4 {
        match r.read(&mut buf[..4 - head.len()]) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if head.is_empty() => return Err(e),
            Err(e) => {
                r = Box::new(Failed(Some(e)));
                break;
            }
        }
    }
    Ok((head.clone(), Cursor::new(head).chain(r)))
}

/// A stream whose next read is the error it ended with.
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

/// Wrap a raw stream in the decoder its first bytes call for, and a decoded stream that is
/// UTF-16 (with a byte-order mark) in a reader that gives it as UTF-8.
pub fn decode(raw: Box<dyn Read + Send>) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let (stream, compression) = decompress(raw)?;
    let (head, stream) = peek(stream)?;
    match utf16::bom(&head) {
        Some(big_endian) => Ok((
            Box::new(utf16::Utf16Reader::new(stream, big_endian)),
            match compression {
                Compression::None => Compression::Utf16,
                c => c,
            },
        )),
        None => Ok((Box::new(stream), compression)),
    }
}

/// Wrap a raw stream in the decompressor its first bytes call for.
fn decompress(raw: Box<dyn Read + Send>) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let (head, stream) = peek(raw)?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let buffered = BufReader::with_capacity(256 * 1024, stream);
        return Ok((Box::new(GzMembers::new(buffered)), Compression::Gzip));
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Ok((
            Box::new(zstd::stream::read::Decoder::new(stream)?),
            Compression::Zstd,
        ));
    }
    Ok((Box::new(stream), Compression::None))
}

/// Every member of a gzip file, one after the other (as `cat a.gz b.gz` makes), and — as
/// `gzip -d` and `gzip -t` do — zero bytes after the last member taken as padding (tape blocks,
/// preallocated files); any other trailing bytes are an error.
struct GzMembers<R: BufRead> {
    member: Option<flate2::bufread::GzDecoder<R>>,
}

impl<R: BufRead> GzMembers<R> {
    fn new(r: R) -> Self {
        GzMembers {
            member: Some(flate2::bufread::GzDecoder::new(r)),
        }
    }
}

impl<R: BufRead> Read for GzMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(member) = self.member.as_mut() else {
                return Ok(0);
            };
            let n = member.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // This member ended: another one, zero padding, or the end.
            let Some(done) = self.member.take() else {
                return Ok(0);
            };
            let mut r = done.into_inner();
            let head = r.fill_buf()?;
            if head.is_empty() {
                return Ok(0);
            }
            if head.first() == Some(&0x1f) && head.get(1).is_none_or(|&b| b == 0x8b) {
                self.member = Some(flate2::bufread::GzDecoder::new(r));
                continue;
            }
            loop {
                let rest = r.fill_buf()?;
                if rest.is_empty() {
                    return Ok(0);
                }
                if rest.iter().any(|&b| b != 0) {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "trailing bytes after the last gzip member",
                    ));
                }
                let n = rest.len();
                r.consume(n);
            }
        }
    }
}

/// Open an input for reading, decompressed.
pub fn open(input: &Input) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    open_counted(input, None)
}

/// A reader that adds the bytes it reads to a shared counter (progress: bytes of the input as
/// stored, before decompression).
struct Counted<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// [`open`], adding the raw bytes read to `counter` when given.
pub fn open_counted(
    input: &Input,
    counter: Option<&Arc<AtomicU64>>,
) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let raw: Box<dyn Read + Send> = match input {
        Input::Stdin => Box::new(io::stdin()),
        Input::File(p) => Box::new(File::open(p)?),
    };
    match counter {
        Some(c) => decode(Box::new(Counted {
            inner: raw,
            counter: Arc::clone(c),
        })),
        None => decode(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(bytes: Vec<u8>) -> (io::Result<Vec<u8>>, Compression) {
        let (mut r, c) = decode(Box::new(Cursor::new(bytes))).expect("opens");
        let mut out = Vec::new();
        (r.read_to_end(&mut out).map(|_| out), c)
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("write");
        e.finish().expect("finish")
    }

    #[test]
    fn detects_by_magic() {
        let (out, c) = read_all(b"plain\n".to_vec());
        assert_eq!(
            (out.expect("ok"), c),
            (b"plain\n".to_vec(), Compression::None)
        );
        let mut two = gz(b"a\n");
        two.extend(gz(b"b\n"));
        let (out, c) = read_all(two);
        assert_eq!(
            (out.expect("ok"), c),
            (b"a\nb\n".to_vec(), Compression::Gzip),
            "multi-member gzip"
        );
        let mut z = zstd::encode_all(&b"x\n"[..], 3).expect("zstd");
        z.extend(zstd::encode_all(&b"y\n"[..], 3).expect("zstd"));
        let (out, c) = read_all(z);
        assert_eq!(
            (out.expect("ok"), c),
            (b"x\ny\n".to_vec(), Compression::Zstd),
            "multi-frame zstd"
        );
        let (out, _) = read_all(Vec::new());
        assert_eq!(out.expect("ok"), b"");
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let data: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let mut g = gz(&data);
        g.truncate(g.len() / 2);
        let (out, c) = read_all(g);
        assert_eq!(c, Compression::Gzip);
        assert!(out.is_err());
    }

    #[test]
    fn gzip_zero_padding_is_accepted_and_other_trailing_bytes_are_not() {
        let mut padded = gz(b"a\n");
        padded.extend(gz(b"b\n"));
        padded.extend(std::iter::repeat_n(0u8, 300_000));
        let (out, _) = read_all(padded);
        assert_eq!(out.expect("padding is fine"), b"a\nb\n");
        // Garbage after a member shorter than the look at the decoded stream's first bytes:
        // its bytes, then the error.
        for text in [&b"a\n"[..], b"a", b"abcdef\n"] {
            let mut garbage = gz(text);
            garbage.extend_from_slice(b"\0\0junk");
            let (mut r, _) = decode(Box::new(Cursor::new(garbage))).expect("opens");
            let mut out = Vec::new();
            let e = r.read_to_end(&mut out).expect_err("trailing garbage");
            assert!(e.to_string().contains("trailing bytes"), "{e}");
            assert_eq!(out, text);
        }
    }
}

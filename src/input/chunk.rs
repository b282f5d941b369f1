//! Cut a byte stream into chunks that end on a line boundary, reusing caller-provided buffers
//! (ripgrep's line buffer is the model). A line longer than [`MAX_LINE`] is not buffered whole:
//! its first bytes come back as an [`ChunkKind::Overlong`] chunk and the rest is skipped, so
//! memory stays bounded on hostile input.

use std::io::{self, Read};

/// Target chunk size.
pub const CHUNK_SIZE: usize = 2 << 20;
/// Longest line kept.
pub const MAX_LINE: usize = 16 << 20;
/// Bytes of an overlong line kept for its reject sample.
const OVERLONG_KEEP: usize = 256;

/// What a chunk holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkKind {
    /// Whole lines (the last one may lack its `\n` at the end of the stream).
    Lines,
    /// The start of one line longer than [`MAX_LINE`].
    Overlong,
}

/// Reads chunks of whole lines from a stream.
pub struct ChunkReader<R> {
    inner: R,
    carry: Vec<u8>,
    /// Dropping the rest of an overlong line.
    discarding: bool,
    eof: bool,
    error: Option<io::Error>,
    /// Bytes read from the stream so far.
    read_total: u64,
    /// Offset in the stream of the chunk last returned.
    start: u64,
}

impl<R: Read> ChunkReader<R> {
    /// Wrap a stream.
    pub fn new(inner: R) -> Self {
        ChunkReader {
            inner,
            carry: Vec::new(),
            discarding: false,
            eof: false,
            error: None,
            read_total: 0,
            start: 0,
        }
    }

    /// Hand `e`, returned by [`ChunkReader::next_chunk`] after chunks that are still to be
    /// parsed, out again on the next call: the chunks go first, then the error.
    pub fn defer_error(&mut self, e: io::Error) {
        self.eof = true;
        self.error = Some(e);
    }

    /// The offset in the (decoded) stream of the first byte of the chunk last returned: where
    /// its first line starts, for an overlong chunk too.
    pub fn chunk_start(&self) -> u64 {
        self.start
    }

    /// Note that the chunk about to be returned is `len` bytes read last but `carry`'s (what
    /// `buf` and `carry` hold are always the last bytes read, in order).
    fn mark_start(&mut self, len: usize) {
        self.start = self.read_total - (len + self.carry.len()) as u64;
    }

    /// Append up to `want` bytes. `read_to_end` on a `Take` reads into spare capacity without
    /// zeroing it first for files (std's `read_buf`), which a `resize` would not.
    fn read_some(&mut self, buf: &mut Vec<u8>, want: usize) -> io::Result<usize> {
        buf.reserve(want);
        let before = buf.len();
        let read = loop {
            match (&mut self.inner).take(want as u64).read_to_end(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other,
            }
        };
        // A failed read keeps what it read before the error.
        self.read_total += (buf.len() - before) as u64;
        read
    }

    /// Fill `buf` (cleared first) with the next chunk. `Ok(None)` at the end of the stream.
    /// A read error is returned after the bytes read before it have been handed out.
    pub fn next_chunk(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<ChunkKind>> {
        buf.clear();
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        buf.append(&mut self.carry);
        // The carry is what followed the last newline: it holds none, so it needs no search.
        let mut scanned = buf.len();
        loop {
            if self.discarding {
                // Skip to the end of the overlong line.
                match memchr::memchr(b'\n', buf) {
                    Some(i) => {
                        buf.drain(..=i);
                        self.discarding = false;
                    }
                    None => buf.clear(),
                }
                scanned = 0;
            }
            if !self.discarding && (buf.len() >= CHUNK_SIZE || (self.eof && !buf.is_empty())) {
                if let Some(nl) = memchr::memrchr(b'\n', &buf[scanned..]).map(|i| i + scanned) {
                    self.carry.extend_from_slice(&buf[nl + 1..]);
                    buf.truncate(nl + 1);
                    self.mark_start(buf.len());
                    return Ok(Some(ChunkKind::Lines));
                }
                scanned = buf.len();
                if self.eof {
                    self.mark_start(buf.len());
                    return Ok(Some(ChunkKind::Lines));
                }
                if buf.len() > MAX_LINE {
                    self.mark_start(buf.len());
                    buf.truncate(OVERLONG_KEEP);
                    self.discarding = true;
                    return Ok(Some(ChunkKind::Overlong));
                }
            }
            if self.eof {
                return Ok(None);
            }
            // Never buffer more than MAX_LINE + 1 bytes of one line: past that it is overlong.
            let want = CHUNK_SIZE
                .saturating_sub(buf.len())
                .max(buf.len())
                .max(64 * 1024)
                .min((MAX_LINE + 1).saturating_sub(buf.len()).max(1));
            match self.read_some(buf, want) {
                Ok(0) => self.eof = true,
                Ok(_) => {}
                Err(e) => {
                    // Hand out what we have (complete lines and the cut last line), then the error.
                    self.eof = true;
                    self.discarding = false;
                    if buf.is_empty() {
                        return Err(e);
                    }
                    self.error = Some(e);
                    self.mark_start(buf.len());
                    return Ok(Some(ChunkKind::Lines));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn all_chunks(data: Vec<u8>) -> Vec<(ChunkKind, Vec<u8>)> {
        let mut r = ChunkReader::new(Cursor::new(data));
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while let Some(k) = r.next_chunk(&mut buf).expect("reads") {
            out.push((k, buf.clone()));
        }
        out
    }

    #[test]
    fn chunks_end_on_newlines_and_lose_nothing() {
        let data: Vec<u8> = (0..400_000)
            .flat_map(|i| format!("line number {i}\n").into_bytes())
            .collect();
        let chunks = all_chunks(data.clone());
        assert!(chunks.len() > 1);
        for (k, c) in &chunks {
            assert_eq!(*k, ChunkKind::Lines);
            assert_eq!(c.last(), Some(&b'\n'));
        }
        let joined: Vec<u8> = chunks.into_iter().flat_map(|(_, c)| c).collect();
        assert_eq!(joined, data);
    }

    #[test]
    fn last_line_without_newline() {
        let chunks = all_chunks(b"a\nb".to_vec());
        let joined: Vec<u8> = chunks.into_iter().flat_map(|(_, c)| c).collect();
        assert_eq!(joined, b"a\nb");
    }

    #[test]
    fn overlong_line_is_cut_and_skipped() {
        let mut data = b"first\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_LINE + CHUNK_SIZE * 2));
        data.extend_from_slice(b"\nlast\n");
        let chunks = all_chunks(data);
        let kinds: Vec<ChunkKind> = chunks.iter().map(|c| c.0).collect();
        assert!(kinds.contains(&ChunkKind::Overlong));
        let text: Vec<u8> = chunks
            .iter()
            .filter(|c| c.0 == ChunkKind::Lines)
            .flat_map(|c| c.1.clone())
            .collect();
        assert_eq!(text, b"first\nlast\n");
    }

    #[test]
    fn each_chunk_knows_where_it_starts_in_the_stream() {
        // Lines of varying length, an overlong line in the middle, no newline at the end.
        let mut data: Vec<u8> = (0..300_000)
            .flat_map(|i| format!("line {i} {}\n", "y".repeat(i % 13)).into_bytes())
            .collect();
        let overlong_at = data.len();
        data.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        data.push(b'\n');
        let after = data.len();
        data.extend((0..200_000).flat_map(|i| format!("tail {i}\n").into_bytes()));
        data.extend_from_slice(b"last");
        // Reads of odd sizes, as pipes and decoders give them.
        struct Dribble(Cursor<Vec<u8>>);
        impl Read for Dribble {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(70_001);
                self.0.read(&mut buf[..n])
            }
        }
        let mut r = ChunkReader::new(Dribble(Cursor::new(data.clone())));
        let mut buf = Vec::new();
        let mut starts = Vec::new();
        while let Some(k) = r.next_chunk(&mut buf).expect("reads") {
            let at = r.chunk_start() as usize;
            // The chunk is the stream's bytes from its start (an overlong one, their first).
            assert_eq!(&data[at..at + buf.len()], &buf[..], "chunk at {at}");
            starts.push((k, at));
        }
        assert_eq!(starts[0], (ChunkKind::Lines, 0));
        assert!(starts.contains(&(ChunkKind::Overlong, overlong_at)));
        assert!(starts.contains(&(ChunkKind::Lines, after)), "{starts:?}");
        assert!(starts.len() > 4);
    }
}

//! Wires input → format → aggregate over all cores.
//!
//! A reader thread opens the files in input order, decodes them (gzip/zstd) and cuts them into
//! chunks of whole lines (boundaries depend only on the bytes). Each chunk is parsed on the
//! rayon pool (`--jobs` threads) into its own, uncapped [`Aggregate`]. The calling thread
//! absorbs the chunk aggregates in input order — file by file, chunk by chunk — which is where
//! the route and client caps act: the total is a function of the input alone, whichever worker
//! parsed which chunk. A fixed number of chunks is in flight at once (a permit per chunk, given
//! back when the chunk is absorbed), so memory does not grow with the input or with lagging
//! workers; buffers are recycled through a pool.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_channel::{bounded, unbounded};

use crate::aggregate::{AddContext, Aggregate, FileCounts, Pos, Scratch};
use crate::format::wrap::{self, Wrap};
use crate::format::{
    self, fields::trim_line, FormatOptions, FormatSpec, LogFormat, Record, RejectKind, Switches,
};
use crate::input::chunk::{ChunkKind, ChunkReader};
use crate::input::decompress::{self, Compression};
use crate::input::utf16;
use crate::input::Input;
use crate::route::Normalizer;

/// Settings of one analysis run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// `--log-format`.
    pub spec: FormatSpec,
    /// Parser options (`--json-field`).
    pub format: FormatOptions,
    /// Route normaliser (`--route`).
    pub routes: Normalizer,
    /// Most distinct endpoints kept.
    pub route_cap: usize,
    /// `--since`/`--until` window in ms.
    pub window: Option<(i64, i64)>,
    /// `--host` patterns.
    pub hosts: Option<crate::aggregate::HostFilter>,
    /// Parse workers.
    pub jobs: usize,
    /// Counters for a progress display, when one is shown.
    pub progress: Option<Arc<Progress>>,
}

/// Live counters of a run, for a progress display (read from another thread).
#[derive(Debug, Default)]
pub struct Progress {
    /// Bytes of the inputs read, as stored (compressed bytes for compressed files).
    pub bytes: Arc<AtomicU64>,
    /// Inputs finished (read to the end or given up on).
    pub files_done: AtomicU64,
    /// Lines parsed or rejected so far.
    pub lines: AtomicU64,
}

pub use crate::aggregate::{FileInfo, RunOutput};

/// A chunk of one file on its way to a parse worker.
pub struct Work {
    /// File index.
    pub file: u32,
    /// Chunk index within the file.
    pub chunk: u32,
    /// Lines, or the start of an overlong line.
    pub kind: ChunkKind,
    /// Where the chunk starts in the file's decoded stream.
    pub start: u64,
    /// The file's parser.
    pub format: Arc<dyn LogFormat>,
    /// The container wrapper around the file's lines, if any.
    pub wrap: Option<Wrap>,
    /// Formats to try on a line the file's format rejects (auto-detection only).
    pub switches: Option<Arc<Switches>>,
    /// The bytes.
    pub buf: Vec<u8>,
}

/// An input opened and its format chosen, with the first chunk already read.
pub struct Opened {
    /// Chunk reader over the decoded stream.
    pub reader: ChunkReader<Box<dyn Read + Send>>,
    /// The parser chosen for it.
    pub format: Arc<dyn LogFormat>,
    /// The container wrapper around its lines, if any.
    pub wrap: Option<Wrap>,
    /// Formats to try on a line its format rejects (auto-detection only).
    pub switches: Option<Arc<Switches>>,
    /// Chunks already read for sniffing, in order, with where each starts in the decoded
    /// stream.
    first: std::collections::VecDeque<(ChunkKind, Vec<u8>, u64)>,
    /// Where the chunk last returned starts in the decoded stream.
    start: u64,
    /// Compression found.
    pub compression: Compression,
}

impl Opened {
    /// The format's name for reports, with the container wrapper when there is one
    /// (`json in cri`).
    pub fn format_name(&self) -> String {
        match self.wrap {
            Some(w) => format!("{} in {}", self.format.name(), w.as_str()),
            None => self.format.name().to_string(),
        }
    }

    /// The next chunk of the input: the one read for sniffing first, then the rest. `buf` is
    /// used for the read (a recycled buffer); the chunk's bytes come back in the result.
    pub fn next_chunk(
        &mut self,
        mut buf: Vec<u8>,
    ) -> std::io::Result<Option<(ChunkKind, Vec<u8>)>> {
        if let Some((kind, buf, start)) = self.first.pop_front() {
            self.start = start;
            return Ok(Some((kind, buf)));
        }
        let chunk = self.reader.next_chunk(&mut buf)?.map(|kind| (kind, buf));
        self.start = self.reader.chunk_start();
        Ok(chunk)
    }

    /// Where the chunk last returned by [`Opened::next_chunk`] starts in the decoded stream.
    pub fn chunk_start(&self) -> u64 {
        self.start
    }

    /// The parser for a chunk just read: the layout in force where it starts. The next chunk
    /// gets the layout in force where this one ends (a W3C `#Fields:` directive in it).
    /// `scratch` holds the chunk's text when a container wrapper must be undone to look.
    pub fn chunk_format(
        &mut self,
        kind: ChunkKind,
        buf: &[u8],
        scratch: &mut Vec<u8>,
    ) -> Arc<dyn LogFormat> {
        let format = self.format.clone();
        if kind == ChunkKind::Lines && format.relayouts() {
            let text = chunk_text(self.wrap, kind, buf, scratch);
            if let Some(f) = format::layout_after(&format, text) {
                self.format = f;
            }
        }
        format
    }
}

/// Most chunks read ahead to find a format.
const SNIFF_CHUNKS: usize = 8;
/// Lines a format is tried on at once: it must explain half of them.
const SNIFF_WINDOW: usize = format::SNIFF_LINES * 4;
/// Most windows tried (about 65 000 lines of junk at the top of a file).
const SNIFF_WINDOWS: usize = 1024;

/// Open `input`, read its first chunk into `buf` (more when it holds no line) and choose its
/// format.
pub fn open_input(input: &Input, opts: &RunOptions, buf: Vec<u8>) -> Result<Opened, String> {
    let counter = opts.progress.as_ref().map(|p| &p.bytes);
    let (stream, compression) =
        decompress::open_counted(input, counter).map_err(|e| format!("cannot open: {e}"))?;
    let mut reader = ChunkReader::new(stream);
    // Read until a format fits a window of lines: past an overlong first line (the NUL hole
    // `logrotate copytruncate` leaves can be megabytes), blank runs and junk at the top (a
    // container's start-up messages before its access lines), a few chunks at most. The chunks
    // read are all parsed afterwards: the junk lines are rejected and counted, not lost.
    let mut first = std::collections::VecDeque::new();
    let mut buf = Some(buf);
    let mut lines: Vec<(usize, usize, usize)> = Vec::new(); // non-blank lines split so far
    let mut split_at = (0, 0); // where splitting the chunks read goes on: (chunk, byte)
    let mut tried = 0; // windows tried so far
    let mut found = None;
    for read in 1..=SNIFF_CHUNKS {
        let mut b = buf.take().unwrap_or_default();
        let end = match reader.next_chunk(&mut b) {
            Ok(Some(kind)) => {
                first.push_back((kind, b, reader.chunk_start()));
                read == SNIFF_CHUNKS
            }
            Ok(None) => true,
            // A damaged stream (a truncated gzip, bytes after its last member) under a file
            // too short to fill the sniffing window: its lines are read before the error.
            Err(e) if !first.is_empty() => {
                reader.defer_error(e);
                true
            }
            Err(e) => return Err(read_error(compression, &e)),
        };
        // Windows of SNIFF_WINDOW lines, SNIFF_LINES apart; a window cut by the end of what is
        // read waits for the next chunk, unless this is the last one, where the window is the
        // last SNIFF_WINDOW lines (a few log lines after junk are not half of a window).
        while tried < SNIFF_WINDOWS {
            let from = tried * format::SNIFF_LINES;
            let to = from + SNIFF_WINDOW;
            split_lines(&first, &mut split_at, &mut lines, to);
            let n = lines.len();
            if (to > n && !end) || (tried > 0 && to - format::SNIFF_LINES >= n) {
                // Wait for more lines, or the window before already reached the end.
                break;
            }
            let window: Vec<&[u8]> = lines[from.min(n.saturating_sub(SNIFF_WINDOW))..to.min(n)]
                .iter()
                .map(|&(c, s, e)| &first[c].1[s..e])
                .collect();
            tried += 1;
            if let Some(f) = format::detect_file(&opts.spec, &window, &opts.format) {
                found = Some(f);
                break;
            }
        }
        if found.is_some() || end || tried >= SNIFF_WINDOWS {
            break;
        }
    }
    let (fmt, wrap) = found.ok_or_else(|| {
        // Lines ended by a bare CR (old Mac files, some Windows exports) read as one line.
        let head = first
            .front()
            .map_or(&[][..], |(_, b, _)| &b[..b.len().min(1 << 16)]);
        let bare_cr = memchr::memchr_iter(b'\r', head).nth(1).is_some()
            && memchr::memchr(b'\n', &head[..head.len().saturating_sub(1)]).is_none();
        if bare_cr {
            return format!(
                "{NO_FORMAT} its first lines, which end with a bare CR, not a newline: \
                 convert them first (`tr '\\r' '\\n' < FILE`)"
            );
        }
        if utf16::unmarked(head) {
            return format!(
                "{NO_FORMAT} its first lines, which are UTF-16 text without a byte-order mark, \
                 not UTF-8 or ASCII: convert it first (`iconv -f UTF-16LE -t UTF-8 FILE`, or \
                 UTF-16BE)"
            );
        }
        format!(
            "{NO_FORMAT} its first lines; if it is an access log, name its format with \
             --log-format ({})",
            format::FORMAT_NAMES
        )
    })?;
    let switches = (opts.spec == FormatSpec::Auto)
        .then(|| Arc::new(Switches::for_format(fmt.as_ref(), &opts.format)));
    Ok(Opened {
        reader,
        format: Arc::from(fmt),
        wrap,
        switches,
        first,
        start: 0,
        compression,
    })
}

/// Split the chunks read into their non-blank lines, as (chunk, start, end), from `at` on until
/// `lines` holds `want` of them or every chunk read is split: a log that fits its first window
/// is split no further than that window (not its whole first chunk).
fn split_lines(
    chunks: &std::collections::VecDeque<(ChunkKind, Vec<u8>, u64)>,
    at: &mut (usize, usize),
    lines: &mut Vec<(usize, usize, usize)>,
    want: usize,
) {
    while lines.len() < want {
        let (c, start) = *at;
        let Some((kind, b, _)) = chunks.get(c) else {
            return;
        };
        if *kind != ChunkKind::Lines || start >= b.len() {
            *at = (c + 1, 0);
            continue;
        }
        let end = memchr::memchr(b'\n', &b[start..]).map_or(b.len(), |i| start + i);
        let line = &b[start..end];
        // The trimmed line is a part of `line`: its offset from their addresses.
        let t = trim_line(line);
        if !t.is_empty() {
            let s = start + (t.as_ptr() as usize - line.as_ptr() as usize);
            lines.push((c, s, s + t.len()));
        }
        *at = (c, end + 1);
    }
}

/// Whether `input` is worth reading as a log: false (with the reason) when it opens but no
/// supported format fits its first lines — an error log, a report, a README beside the logs.
pub fn looks_like_a_log(input: &Input, opts: &RunOptions) -> Result<(), String> {
    match open_input(input, opts, Vec::new()) {
        Err(e) if e.starts_with(NO_FORMAT) => Err(e),
        // Unreadable files are read by the run, which reports them by name.
        _ => Ok(()),
    }
}

/// How much of a plain file's end [`latest_time`] reads.
const TAIL_BYTES: u64 = 1 << 20;

/// The latest request time near the end of `inputs` (`--last`: the end of the data). A plain
/// file is read from its last MiB; a compressed one is decoded through, keeping its last two
/// chunks. Lines are parsed with each file's own format. Files that cannot be opened are left
/// to the run, which reports them; standard input cannot be read twice and is refused.
pub fn latest_time(inputs: &[Input], opts: &RunOptions) -> Result<Option<i64>, String> {
    use std::io::{Seek, SeekFrom};
    let mut latest: Option<i64> = None;
    // This read is not the run's: keep it out of the progress bar's byte count.
    let quiet = RunOptions {
        progress: None,
        ..opts.clone()
    };
    for input in inputs {
        let Input::File(path) = input else {
            return Err(
                "--last needs the end of the data, and standard input cannot be read \
                        twice: give files, or use --since"
                    .to_string(),
            );
        };
        let Ok(mut opened) = open_input(input, &quiet, Vec::new()) else {
            continue;
        };
        // Each tail chunk with the parser in force where it starts.
        let mut tail: Vec<(ChunkKind, Vec<u8>, Arc<dyn LogFormat>)> = Vec::new();
        // A layout declared mid-file holds from there on: such a file is read through.
        if opened.compression == Compression::None && !opened.format.relayouts() {
            let read = std::fs::File::open(path).and_then(|mut f| {
                let len = f.metadata()?.len();
                let from = len.saturating_sub(TAIL_BYTES);
                f.seek(SeekFrom::Start(from))?;
                let mut buf = Vec::new();
                f.take(TAIL_BYTES).read_to_end(&mut buf)?;
                if from > 0 {
                    // The first line is cut.
                    let start = memchr::memchr(b'\n', &buf).map_or(buf.len(), |i| i + 1);
                    buf.drain(..start);
                }
                Ok(buf)
            });
            if let Ok(buf) = read {
                tail.push((ChunkKind::Lines, buf, opened.format.clone()));
            }
        } else {
            let mut scratch = Vec::new();
            while let Ok(Some((kind, buf))) = opened.next_chunk(Vec::new()) {
                if kind == ChunkKind::Lines {
                    let format = opened.chunk_format(kind, &buf, &mut scratch);
                    if tail.len() == 2 {
                        tail.remove(0);
                    }
                    tail.push((kind, buf, format));
                }
            }
        }
        /// The latest time of the lines read.
        struct Latest(Option<i64>);
        impl Sink for Latest {
            fn record(&mut self, rec: &Record<'_>, _: Pos, _: Option<&'static str>) -> bool {
                self.0 = self.0.max(rec.time_ms);
                true
            }
            fn reject(&mut self, _: RejectKind, _: Pos, _: &[u8]) {}
        }
        let mut sink = Latest(latest);
        for (kind, buf, format) in tail {
            let work = Work {
                file: 0,
                chunk: 0,
                kind,
                start: 0,
                format,
                wrap: opened.wrap,
                switches: None,
                buf,
            };
            scan_chunk(&work, &mut sink);
        }
        latest = sink.0;
    }
    Ok(latest)
}

/// How [`open_input`]'s message starts when no format fits.
const NO_FORMAT: &str = "no supported log format fits";

/// The message for a read error of a stream with compression `c`.
pub fn read_error(c: Compression, e: &std::io::Error) -> String {
    match c {
        Compression::Gzip => format!("truncated or corrupt gzip stream: {e}"),
        Compression::Zstd => format!("truncated or corrupt zstd stream: {e}"),
        Compression::None | Compression::Utf16 => format!("read error: {e}"),
    }
}

/// Where the pipeline hands lines once parsed: the aggregate for reports, a printer for
/// `records` (ripgrep's `Sink` separates searching from printing the same way). One read loop,
/// [`scan_chunk`], serves both.
pub trait Sink {
    /// A parsed line at `pos`, read by the file's format, or by the format named `switched`
    /// (one of [`format::SWITCH_FORMATS`]) when the file's rejected it. Return false to stop
    /// reading (a closed output).
    fn record(&mut self, rec: &Record<'_>, pos: Pos, switched: Option<&'static str>) -> bool;
    /// A rejected line (blank and header lines are skipped, not rejected).
    fn reject(&mut self, kind: RejectKind, pos: Pos, line: &[u8]);
}

/// Parse the lines of one chunk into `sink`. Returns the chunk's line counts, and false when
/// the sink asked to stop.
#[inline]
pub fn scan_chunk<S: Sink>(work: &Work, sink: &mut S) -> (FileCounts, bool) {
    let mut counts = FileCounts::default();
    let mut unwrapped = Vec::new();
    let data = chunk_text(work.wrap, work.kind, &work.buf, &mut unwrapped);
    let pos = |line: u32| Pos {
        file: work.file,
        chunk: work.chunk,
        line,
    };
    if work.kind == ChunkKind::Overlong {
        counts.lines = 1;
        counts.rejected = 1;
        sink.reject(RejectKind::TooLong, pos(0), data);
        return (counts, true);
    }
    let mut more = true;
    // A header line can change the layout for the lines after it (W3C's `#Fields:`).
    let mut format = Arc::clone(&work.format);
    for_each_line(data, |line_no, line| {
        counts.lines += 1;
        if line.is_empty() {
            counts.skipped += 1;
            return;
        }
        // The record (330 bytes) is filled in place and read where the parser wrote it, not
        // returned by value (the move's loads stalled on the parser's narrower stores). One
        // call of the sink, so it is inlined here.
        let mut parsed = Record::default();
        let result = format.parse_into(line, &mut parsed);
        let switched;
        let mut switched_to = None;
        let rec = match &result {
            Ok(()) => &parsed,
            Err(e) if e.kind == RejectKind::Header => {
                counts.skipped += 1;
                if let Some(f) = format.relayout(line) {
                    format = f;
                }
                return;
            }
            Err(e) => match work.switches.as_ref().and_then(|s| s.parse(line)) {
                Some((k, rec)) => {
                    counts.switched[k] += 1;
                    switched_to = Some(format::SWITCH_FORMATS[k]);
                    switched = rec;
                    &switched
                }
                None => {
                    counts.rejected += 1;
                    sink.reject(e.kind, pos(line_no), line);
                    return;
                }
            },
        };
        counts.parsed += 1;
        if more {
            more = sink.record(rec, pos(line_no), switched_to);
        }
    });
    (counts, more)
}

/// The aggregate as a [`Sink`].
struct AggregateSink<'a, 'n> {
    agg: &'a mut Aggregate,
    ctx: &'a AddContext<'n>,
    scratch: &'a mut Scratch,
}

impl Sink for AggregateSink<'_, '_> {
    #[inline]
    fn record(&mut self, rec: &Record<'_>, pos: Pos, _: Option<&'static str>) -> bool {
        self.agg.add(rec, pos, self.ctx, self.scratch);
        true
    }

    fn reject(&mut self, kind: RejectKind, pos: Pos, line: &[u8]) {
        self.agg.reject(kind, pos, line);
    }
}

/// Parse one chunk into `agg`.
pub fn process_chunk(
    agg: &mut Aggregate,
    work: &Work,
    ctx: &AddContext<'_>,
    scratch: &mut Scratch,
) {
    let (counts, _) = scan_chunk(
        work,
        &mut AggregateSink {
            agg: &mut *agg,
            ctx,
            scratch,
        },
    );
    agg.count_chunk(work.file, work.chunk, counts, work.start);
}

/// Read `inputs` one after the other on this thread, in order, into `sink` (what `records`
/// does). `on_file` is told when each file starts, with its index and what was found of it,
/// and `on_chunk` after each chunk with its line counts. Stops when the sink asks to; returns
/// what happened to each input read.
pub fn scan_inputs<S: Sink>(
    inputs: &[Input],
    opts: &RunOptions,
    sink: &mut S,
    on_file: &mut dyn FnMut(&mut S, u32, &FileInfo),
    on_chunk: &mut dyn FnMut(&mut S, &FileCounts),
) -> Vec<FileInfo> {
    struct Inline<'a, S> {
        sink: &'a mut S,
        buf: Vec<u8>,
        on_file: &'a mut dyn FnMut(&mut S, u32, &FileInfo),
        on_chunk: &'a mut dyn FnMut(&mut S, &FileCounts),
    }
    impl<S: Sink> ChunkTarget for Inline<'_, S> {
        fn buffer(&mut self) -> Option<Vec<u8>> {
            Some(std::mem::take(&mut self.buf))
        }
        fn file_start(&mut self, file: u32, info: &FileInfo) {
            (self.on_file)(self.sink, file, info);
        }
        fn chunk(&mut self, work: Work) -> bool {
            let (counts, more) = scan_chunk(&work, self.sink);
            (self.on_chunk)(self.sink, &counts);
            self.buf = work.buf;
            more
        }
    }
    read_chunks(
        inputs,
        opts,
        &mut Inline {
            sink,
            buf: Vec::new(),
            on_file,
            on_chunk,
        },
    )
}

/// What [`read_chunks`] hands the chunks of the inputs to.
trait ChunkTarget {
    /// A buffer to read the next chunk into; `None` ends the current file.
    fn buffer(&mut self) -> Option<Vec<u8>>;
    /// A buffer from [`ChunkTarget::buffer`] came back without a chunk (end or error).
    fn no_chunk(&mut self) {}
    /// A file opened and its format chosen.
    fn file_start(&mut self, _file: u32, _info: &FileInfo) {}
    /// A chunk; false stops the whole read.
    fn chunk(&mut self, work: Work) -> bool;
    /// A file is done (or could not be opened) after `chunks` chunks.
    fn file_end(&mut self, _file: u32, _chunks: u32) {}
}

/// The one read loop: open every input in order, choose its format, cut it into chunks and
/// hand them to `target`. Returns what happened to each input read.
fn read_chunks(inputs: &[Input], opts: &RunOptions, target: &mut dyn ChunkTarget) -> Vec<FileInfo> {
    let mut infos = Vec::with_capacity(inputs.len());
    let mut scratch = Vec::new();
    for (idx, input) in inputs.iter().enumerate() {
        let file = idx as u32;
        let mut info = FileInfo {
            name: input.name(),
            ..FileInfo::default()
        };
        let mut chunk = 0u32;
        let mut more = true;
        match open_input(input, opts, Vec::new()) {
            Err(msg) => info.error = Some(msg),
            Ok(mut opened) => {
                info.format = Some(opened.format_name());
                info.compression = Some(opened.compression.as_str());
                target.file_start(file, &info);
                while more {
                    let Some(buf) = target.buffer() else { break };
                    match opened.next_chunk(buf) {
                        Ok(Some((kind, buf))) => {
                            let format = opened.chunk_format(kind, &buf, &mut scratch);
                            more = target.chunk(Work {
                                file,
                                chunk,
                                kind,
                                start: opened.chunk_start(),
                                format,
                                wrap: opened.wrap,
                                switches: opened.switches.clone(),
                                buf,
                            });
                            chunk += 1;
                        }
                        Ok(None) => {
                            target.no_chunk();
                            break;
                        }
                        Err(e) => {
                            target.no_chunk();
                            info.error = Some(read_error(opened.compression, &e));
                            break;
                        }
                    }
                }
            }
        }
        target.file_end(file, chunk);
        infos.push(info);
        if !more {
            break;
        }
    }
    infos
}

/// The text of a chunk as the parser sees it: with the container wrapper undone (into `out`)
/// for a chunk of lines, as read otherwise.
pub fn chunk_text<'b>(
    wrap: Option<Wrap>,
    kind: ChunkKind,
    buf: &'b [u8],
    out: &'b mut Vec<u8>,
) -> &'b [u8] {
    match wrap {
        Some(w) if kind == ChunkKind::Lines => {
            wrap::unwrap_chunk(w, buf, out);
            out
        }
        _ => buf,
    }
}

/// Call `f(index, line)` for every line of a chunk (`\r\n` trimmed, blank lines included);
/// returns how many lines there were. The last line may lack its `\n`.
pub fn for_each_line(data: &[u8], mut f: impl FnMut(u32, &[u8])) -> u32 {
    let mut start = 0;
    let mut n: u32 = 0;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
        f(n, trim_line(&data[start..end]));
        n = n.saturating_add(1);
        start = end + 1;
    }
    n
}

/// Whether `input` is a partial aggregate (a file whose decompressed text starts like one;
/// standard input is always read as logs).
pub fn is_partial_input(input: &Input) -> bool {
    if matches!(input, Input::Stdin) {
        return false;
    }
    let Ok((mut r, _)) = decompress::open(input) else {
        return false;
    };
    let mut head = [0u8; 64];
    let mut n = 0;
    while n < head.len() {
        match r.read(&mut head[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    crate::aggregate::partial::is_partial(&head[..n])
}

/// Read only the file list of a partial aggregate input.
pub fn read_partial_files(input: &Input) -> Result<Vec<FileInfo>, String> {
    let (mut r, _) = decompress::open(input).map_err(|e| format!("cannot open: {e}"))?;
    crate::aggregate::partial::read_files(&mut r)
}

/// Read a partial aggregate input.
pub fn read_partial(input: &Input) -> Result<RunOutput, String> {
    let (mut r, _) = decompress::open(input).map_err(|e| format!("cannot open: {e}"))?;
    crate::aggregate::partial::read(&mut r)
}

/// Most parse workers: four per core (more only adds threads that wait).
pub fn max_jobs() -> usize {
    std::thread::available_parallelism().map_or(4, |n| n.get() * 4)
}

/// What a parse task or the reader hands to the reducer.
enum Done {
    /// The aggregate of chunk `.1` of file `.0`.
    Chunk(u32, u32, Box<Aggregate>),
    /// File `.0` has no more chunks than `.1`.
    FileEnd(u32, u32),
}

/// Analyse `inputs` and return the total aggregate *before* [`Aggregate::finish`]: what a
/// partial aggregate holds, and what merges with other runs.
pub fn collect(inputs: &[Input], opts: &RunOptions) -> RunOutput {
    let jobs = opts.jobs.clamp(1, max_jobs());
    // Chunks parsed or waiting to be absorbed at once: enough to keep every core busy while the
    // reader fills the next ones and the reducer catches up. Workers beyond the cores add no
    // parallelism, so they add no chunks in flight either: memory stays flat in `--jobs`.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let in_flight = jobs.min(cores) * 2 + 2;
    let (permit_tx, permit_rx) = bounded::<()>(in_flight);
    for _ in 0..in_flight {
        let _ = permit_tx.send(());
    }
    let (pool_tx, pool_rx) = bounded::<Vec<u8>>(in_flight + 1);
    let (done_tx, done_rx) = unbounded::<Done>();
    let mut ctx = AddContext::new(&opts.routes, opts.route_cap, opts.window);
    ctx.hosts = opts.hosts.as_ref();
    let workers = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("statuslens-parse-{i}"))
        .build();

    let mut total = Aggregate::default();
    let mut files: Vec<FileInfo> = Vec::new();
    std::thread::scope(|s| {
        // Named, so a profile tells the reader from the reducer (this thread).
        let reader = std::thread::Builder::new().name("statuslens-read".into());
        // As `Scope::spawn` does, a thread that cannot start is a panic: the reducer below
        // would otherwise wait for chunks that never come.
        let reader = reader
            .spawn_scoped(s, || {
                let read_all = |spawn: &dyn Fn(Work)| {
                    read_inputs(
                        inputs, opts, &permit_rx, &permit_tx, &pool_rx, &done_tx, spawn,
                    )
                };
                match &workers {
                    Ok(pool) => pool.in_place_scope(|scope| {
                        read_all(&|work: Work| {
                            let (done, pool_tx, ctx) = (done_tx.clone(), pool_tx.clone(), &ctx);
                            scope.spawn(move |_| parse_task(work, ctx, opts, &done, &pool_tx));
                        })
                    }),
                    // No thread could be started: parse on the reader thread.
                    Err(_) => {
                        read_all(&|work: Work| parse_task(work, &ctx, opts, &done_tx, &pool_tx))
                    }
                }
            })
            .expect("the reader thread starts");
        // The reducer: absorb chunk aggregates in (file, chunk) order.
        let mut pending: BTreeMap<(u32, u32), Box<Aggregate>> = BTreeMap::new();
        let mut ends: BTreeMap<u32, u32> = BTreeMap::new();
        let (mut file, mut chunk) = (0u32, 0u32);
        while (file as usize) < inputs.len() {
            if let Some(agg) = pending.remove(&(file, chunk)) {
                total.absorb(*agg, &ctx);
                // What the workers may widen their chunks' rows to (see `widen_rows`).
                ctx.series_step.store(total.series_step, Ordering::Relaxed);
                let _ = permit_tx.send(());
                chunk += 1;
                continue;
            }
            if ends.get(&file) == Some(&chunk) {
                file += 1;
                chunk = 0;
                continue;
            }
            match done_rx.recv() {
                Ok(Done::Chunk(f, c, agg)) => {
                    pending.insert((f, c), agg);
                }
                Ok(Done::FileEnd(f, n)) => {
                    ends.insert(f, n);
                }
                // Every sender is gone: nothing more will come (a worker panicked).
                Err(_) => break,
            }
        }
        files = reader.join().unwrap_or_default();
    });
    total.settle_rows();
    RunOutput {
        aggregate: total,
        files,
    }
}

/// Parse one chunk into a fresh aggregate and hand it to the reducer.
fn parse_task(
    work: Work,
    ctx: &AddContext<'_>,
    opts: &RunOptions,
    done: &crossbeam_channel::Sender<Done>,
    pool: &crossbeam_channel::Sender<Vec<u8>>,
) {
    let mut agg = Aggregate::default();
    process_chunk(&mut agg, &work, ctx, &mut Scratch::default());
    agg.widen_rows(ctx.series_step.load(Ordering::Relaxed));
    agg.sort_pending();
    if let Some(p) = &opts.progress {
        let n: u64 = agg.chunk_lines.iter().map(|c| u64::from(c.2)).sum();
        p.lines.fetch_add(n, Ordering::Relaxed);
    }
    let (file, chunk) = (work.file, work.chunk);
    let _ = pool.try_send(work.buf);
    let _ = done.send(Done::Chunk(file, chunk, Box::new(agg)));
}

/// The reader of a run: every chunk, once a permit is free, goes to `spawn` (a parse task);
/// the reducer is told where each file ends.
fn read_inputs(
    inputs: &[Input],
    opts: &RunOptions,
    permits: &crossbeam_channel::Receiver<()>,
    give_back: &crossbeam_channel::Sender<()>,
    pool: &crossbeam_channel::Receiver<Vec<u8>>,
    done: &crossbeam_channel::Sender<Done>,
    spawn: &dyn Fn(Work),
) -> Vec<FileInfo> {
    struct Parallel<'a> {
        opts: &'a RunOptions,
        permits: &'a crossbeam_channel::Receiver<()>,
        give_back: &'a crossbeam_channel::Sender<()>,
        pool: &'a crossbeam_channel::Receiver<Vec<u8>>,
        done: &'a crossbeam_channel::Sender<Done>,
        spawn: &'a dyn Fn(Work),
    }
    impl ChunkTarget for Parallel<'_> {
        fn buffer(&mut self) -> Option<Vec<u8>> {
            self.permits.recv().ok()?;
            Some(self.pool.try_recv().unwrap_or_default())
        }
        fn no_chunk(&mut self) {
            let _ = self.give_back.send(());
        }
        fn chunk(&mut self, work: Work) -> bool {
            (self.spawn)(work);
            true
        }
        fn file_end(&mut self, file: u32, chunks: u32) {
            if let Some(p) = &self.opts.progress {
                p.files_done.fetch_add(1, Ordering::Relaxed);
            }
            let _ = self.done.send(Done::FileEnd(file, chunks));
        }
    }
    read_chunks(
        inputs,
        opts,
        &mut Parallel {
            opts,
            permits,
            give_back,
            pool,
            done,
            spawn,
        },
    )
}

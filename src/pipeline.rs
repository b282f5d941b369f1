//! Wires input → format → aggregate over all cores.
//!
//! Reader threads take files from a shared queue, decode them (gzip/zstd) and cut them into
//! chunks of whole lines; parse workers take chunks from a bounded channel, each folding into
//! its own [`Aggregate`]; the workers' aggregates are merged at the end. A large plain file is
//! thus parsed by every worker at once, and a compressed one is decoded in a pipeline that
//! feeds them. Buffers are recycled through a fixed pool, so memory does not grow with input.

use std::io::Read;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::aggregate::{AddContext, Aggregate, FileCounts, Pos, Scratch};
use crate::format::wrap::{self, Wrap};
use crate::format::{self, fields::trim_line, FormatOptions, FormatSpec, LogFormat, RejectKind};
use crate::input::chunk::{ChunkKind, ChunkReader};
use crate::input::decompress::{self, Compression};
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

/// What happened to one input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileInfo {
    /// Display name.
    pub name: String,
    /// Detected (or given) format; `None` when it could not be opened or recognised.
    pub format: Option<String>,
    /// Compression found.
    pub compression: Option<&'static str>,
    /// The problem, if the file could not be read completely.
    pub error: Option<String>,
}

/// The result of a run.
#[derive(Debug)]
pub struct RunOutput {
    /// The merged aggregate ([`Aggregate::finish`]ed by [`run`], not by [`collect`]).
    pub aggregate: Aggregate,
    /// One entry per input, in input order.
    pub files: Vec<FileInfo>,
}

/// A chunk of one file on its way to a parse worker.
pub struct Work {
    /// File index.
    pub file: u32,
    /// Chunk index within the file.
    pub chunk: u32,
    /// Lines, or the start of an overlong line.
    pub kind: ChunkKind,
    /// The file's parser.
    pub format: Arc<dyn LogFormat>,
    /// The container wrapper around the file's lines, if any.
    pub wrap: Option<Wrap>,
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
    /// First chunk (already read for sniffing), if any.
    pub first: Option<(ChunkKind, Vec<u8>)>,
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
        if let Some(first) = self.first.take() {
            return Ok(Some(first));
        }
        Ok(self.reader.next_chunk(&mut buf)?.map(|kind| (kind, buf)))
    }
}

/// Open `input`, read its first chunk into `buf` and choose its format.
pub fn open_input(input: &Input, opts: &RunOptions, mut buf: Vec<u8>) -> Result<Opened, String> {
    let counter = opts.progress.as_ref().map(|p| &p.bytes);
    let (stream, compression) =
        decompress::open_counted(input, counter).map_err(|e| format!("cannot open: {e}"))?;
    let mut reader = ChunkReader::new(stream);
    let first = match reader.next_chunk(&mut buf) {
        Ok(Some(kind)) => Some((kind, buf)),
        Ok(None) => None,
        Err(e) => return Err(read_error(compression, &e)),
    };
    let sample: Vec<&[u8]> = match &first {
        Some((ChunkKind::Lines, b)) => b
            .split(|&c| c == b'\n')
            .take(format::SNIFF_LINES * 4)
            .collect(),
        _ => Vec::new(),
    };
    let (fmt, wrap) = format::detect_file(&opts.spec, &sample, &opts.format).ok_or_else(|| {
        format!(
            "no supported log format fits its first lines; if it is an access log, name its format \
             with --log-format ({})",
            format::FORMAT_NAMES
        )
    })?;
    Ok(Opened {
        reader,
        format: Arc::from(fmt),
        wrap,
        first,
        compression,
    })
}

/// The message for a read error of a stream with compression `c`.
pub fn read_error(c: Compression, e: &std::io::Error) -> String {
    match c {
        Compression::Gzip => format!("truncated or corrupt gzip stream: {e}"),
        Compression::Zstd => format!("truncated or corrupt zstd stream: {e}"),
        Compression::None => format!("read error: {e}"),
    }
}

/// Parse one chunk into `agg`.
pub fn process_chunk(
    agg: &mut Aggregate,
    work: &Work,
    ctx: &AddContext<'_>,
    scratch: &mut Scratch,
) {
    let mut counts = FileCounts::default();
    let mut unwrapped = Vec::new();
    let data = chunk_text(work.wrap, work.kind, &work.buf, &mut unwrapped);
    if work.kind == ChunkKind::Overlong {
        counts.lines = 1;
        counts.rejected = 1;
        agg.reject(
            RejectKind::TooLong,
            Pos {
                file: work.file,
                chunk: work.chunk,
                line: 0,
            },
            data,
        );
        agg.count_chunk(work.file, work.chunk, counts);
        return;
    }
    for_each_line(data, |line_no, line| {
        counts.lines += 1;
        if line.is_empty() {
            counts.skipped += 1;
        } else {
            match work.format.parse(line) {
                Ok(rec) => {
                    counts.parsed += 1;
                    let pos = Pos {
                        file: work.file,
                        chunk: work.chunk,
                        line: line_no,
                    };
                    agg.add(&rec, pos, ctx, scratch);
                }
                Err(e) if e.kind == RejectKind::Header => counts.skipped += 1,
                Err(e) => {
                    counts.rejected += 1;
                    agg.reject(
                        e.kind,
                        Pos {
                            file: work.file,
                            chunk: work.chunk,
                            line: line_no,
                        },
                        line,
                    );
                }
            }
        }
    });
    agg.count_chunk(work.file, work.chunk, counts);
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

/// Analyse `inputs` and return the merged, finished aggregate.
pub fn run(inputs: &[Input], opts: &RunOptions) -> RunOutput {
    let mut out = collect(inputs, opts);
    out.aggregate.finish(&opts.routes, opts.route_cap);
    out
}

/// Analyse `inputs` and return the merged aggregate *before* [`Aggregate::finish`]: what a
/// partial aggregate holds, and what merges exactly with other runs.
pub fn collect(inputs: &[Input], opts: &RunOptions) -> RunOutput {
    let jobs = opts.jobs.max(1);
    let readers = inputs.len().clamp(1, jobs);
    // Enough buffers to keep every worker busy while readers fill the next ones.
    let pool_size = jobs * 2 + readers;
    // Buffers are recycled through `pool`; memory is bounded by the work channel's capacity
    // (readers block when workers fall behind), not by the pool, so taking from an empty pool
    // just allocates and nothing can deadlock.
    let (pool_tx, pool_rx) = bounded::<Vec<u8>>(pool_size);
    let (work_tx, work_rx) = bounded::<Work>(jobs);
    let next_file = AtomicUsize::new(0);
    let files: Mutex<Vec<FileInfo>> = Mutex::new(
        inputs
            .iter()
            .map(|i| FileInfo {
                name: i.name(),
                ..FileInfo::default()
            })
            .collect(),
    );
    let ctx = AddContext {
        routes: &opts.routes,
        route_cap: opts.route_cap,
        window: opts.window,
    };

    let mut total = Aggregate::default();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                let rx: Receiver<Work> = work_rx.clone();
                let pool: Sender<Vec<u8>> = pool_tx.clone();
                let ctx = &ctx;
                s.spawn(move || {
                    let mut agg = Aggregate::default();
                    let mut scratch = Scratch::default();
                    for work in rx {
                        let before = agg.chunk_lines.len();
                        process_chunk(&mut agg, &work, ctx, &mut scratch);
                        if let Some(p) = &opts.progress {
                            let n: u64 = agg.chunk_lines[before..]
                                .iter()
                                .map(|c| u64::from(c.2))
                                .sum();
                            p.lines.fetch_add(n, Ordering::Relaxed);
                        }
                        let _ = pool.try_send(work.buf);
                    }
                    agg
                })
            })
            .collect();
        drop(work_rx);
        let reader_handles: Vec<_> = (0..readers)
            .map(|_| {
                let tx = work_tx.clone();
                let pool = pool_rx.clone();
                let (next_file, files) = (&next_file, &files);
                s.spawn(move || loop {
                    let idx = next_file.fetch_add(1, Ordering::Relaxed);
                    let Some(input) = inputs.get(idx) else { break };
                    let file = idx as u32;
                    let set = |f: &dyn Fn(&mut FileInfo)| {
                        if let Ok(mut v) = files.lock() {
                            f(&mut v[idx]);
                        }
                    };
                    let buf = pool.try_recv().unwrap_or_default();
                    let done = || {
                        if let Some(p) = &opts.progress {
                            p.files_done.fetch_add(1, Ordering::Relaxed);
                        }
                    };
                    let mut opened = match open_input(input, opts, buf) {
                        Ok(o) => o,
                        Err(msg) => {
                            set(&|f| f.error = Some(msg.clone()));
                            done();
                            continue;
                        }
                    };
                    let name = opened.format_name();
                    let comp = opened.compression.as_str();
                    set(&|f| {
                        f.format = Some(name.clone());
                        f.compression = Some(comp);
                    });
                    let mut chunk = 0u32;
                    loop {
                        match opened.next_chunk(pool.try_recv().unwrap_or_default()) {
                            Ok(Some((kind, buf))) => {
                                let w = Work {
                                    file,
                                    chunk,
                                    kind,
                                    format: opened.format.clone(),
                                    wrap: opened.wrap,
                                    buf,
                                };
                                if tx.send(w).is_err() {
                                    return;
                                }
                                chunk += 1;
                            }
                            Ok(None) => break,
                            Err(e) => {
                                let msg = read_error(opened.compression, &e);
                                set(&|f| f.error = Some(msg.clone()));
                                break;
                            }
                        }
                    }
                    done();
                })
            })
            .collect();
        drop(work_tx);
        for h in reader_handles {
            let _ = h.join();
        }
        for w in workers {
            if let Ok(agg) = w.join() {
                total.merge(agg);
            }
        }
    });
    let files = files.into_inner().unwrap_or_default();
    RunOutput {
        aggregate: total,
        files,
    }
}

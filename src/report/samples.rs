//! The text of sample lines, read back from the inputs at report time so a finding shows one or
//! two actual lines next to its `file:line` references. No text is kept in the aggregate (the
//! hot path and partials stay as they are), only where each chunk started: a plain file is read
//! from the start of each sample's chunk; a compressed one from its top (the samples are the
//! earliest lines of their kind, so reading stops early). At most
//! [`READ_BUDGET`] bytes (decoded) are read from one file. Standard input, and files of a
//! partial that are not on this machine, have no text.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::input::decompress::Compression;
use crate::input::Input;

/// Most decoded bytes read from one file to find its sample lines.
pub const READ_BUDGET: u64 = 256 << 20;

/// Characters of a sample line shown.
pub const LINE_CHARS: usize = 200;

/// The text of the wanted lines (1-based), per file name: `(file, line) → text`, clipped to
/// [`LINE_CHARS`] and sanitised. `anchors` are places known in a file, as (line number →
/// byte offset where that line starts): a plain file is read from the last anchor at or
/// before each wanted line instead of from its start. Files that cannot be read, and lines
/// past the budget, are left out.
pub fn read_lines(
    wanted: &BTreeMap<String, BTreeSet<u64>>,
    anchors: &BTreeMap<String, BTreeMap<u64, u64>>,
) -> HashMap<(String, u64), String> {
    let mut out = HashMap::new();
    for (name, lines) in wanted {
        let path = Path::new(name);
        if name == "-" || !path.metadata().is_ok_and(|m| m.is_file()) {
            continue;
        }
        let Ok((mut reader, compression)) =
            crate::input::decompress::open(&Input::File(path.to_path_buf()))
        else {
            continue;
        };
        // Only the stored bytes of a plain file are the decoded stream the offsets are in.
        let no_anchors = BTreeMap::new();
        let mut file_anchors = &no_anchors;
        let mut file = None;
        if let (Compression::None, Some(a)) = (compression, anchors.get(name)) {
            if let Ok(f) = std::fs::File::open(path) {
                file_anchors = a;
                file = Some(f);
            }
        }
        let mut budget = READ_BUDGET;
        let mut buf = vec![0u8; 1 << 16];
        // The wanted lines in order; `line_no` is the number of the line `chunk` starts in.
        let mut want = lines.iter().copied().peekable();
        let mut line_no = 1u64;
        let mut current: Vec<u8> = Vec::new();
        'read: loop {
            // Past the lines before the next wanted one that follow a known place: go there.
            if let Some(&next) = want.peek().filter(|&&n| n > line_no) {
                let skip_to = file_anchors.range(line_no + 1..=next).next_back();
                if let (Some((&at_line, &offset)), Some(f)) = (skip_to, file.as_mut()) {
                    if f.seek(SeekFrom::Start(offset)).is_err() {
                        break;
                    }
                    line_no = at_line;
                }
            }
            let want_bytes = buf.len().min(usize::try_from(budget).unwrap_or(usize::MAX));
            let read = match file.as_mut() {
                Some(f) => f.read(&mut buf[..want_bytes]),
                None => reader.read(&mut buf[..want_bytes]),
            };
            let n = match read {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            budget -= n as u64;
            let mut chunk = &buf[..n];
            while !chunk.is_empty() {
                let Some(&next) = want.peek() else {
                    break 'read;
                };
                if next < line_no {
                    want.next(); // line 0: there is none
                    continue;
                }
                if line_no < next {
                    if file_anchors.range(line_no + 1..=next).next().is_some() {
                        // A known place comes before it: read on from there.
                        continue 'read;
                    }
                    // Skip to the wanted line: count newlines, look at nothing else.
                    let skip = next - line_no;
                    let mut seen = 0u64;
                    let mut cut = None;
                    for at in memchr::memchr_iter(b'\n', chunk) {
                        seen += 1;
                        if seen == skip {
                            cut = Some(at);
                            break;
                        }
                    }
                    line_no += seen;
                    chunk = cut.map_or(&chunk[chunk.len()..], |at| &chunk[at + 1..]);
                    continue;
                }
                let (part, rest, ended) = match memchr::memchr(b'\n', chunk) {
                    Some(i) => (&chunk[..i], &chunk[i + 1..], true),
                    None => (chunk, &chunk[chunk.len()..], false),
                };
                let room = (LINE_CHARS * 4).saturating_sub(current.len());
                current.extend_from_slice(&part[..part.len().min(room)]);
                chunk = rest;
                if ended {
                    out.insert((name.clone(), line_no), text(&current));
                    current.clear();
                    want.next();
                    line_no += 1;
                }
            }
        }
        if want.peek() == Some(&line_no) && !current.is_empty() {
            out.insert((name.clone(), line_no), text(&current));
        }
    }
    out
}

fn text(line: &[u8]) -> String {
    let line = crate::format::fields::trim_line(line);
    crate::escape::clip(&crate::escape::sanitize_bytes(line), LINE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_wanted_lines_of_plain_and_gzip_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text: String = (1..=1000)
            .map(|i| format!("line {i}\u{1b}[31m\r\n"))
            .collect();
        let plain = dir.path().join("a.log");
        std::fs::write(&plain, &text).expect("write");
        let gz = dir.path().join("a.log.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, text.as_bytes()).expect("compress");
        std::fs::write(&gz, enc.finish().expect("finish")).expect("write");
        let mut wanted = BTreeMap::new();
        for p in [&plain, &gz] {
            wanted.insert(
                p.display().to_string(),
                BTreeSet::from([1, 500, 1000, 5000]),
            );
        }
        wanted.insert("-".to_string(), BTreeSet::from([1]));
        // Offsets of the decoded stream say nothing of where a line is in a gzip file: ignored.
        let anchors = BTreeMap::from([(gz.display().to_string(), BTreeMap::from([(500, 7)]))]);
        let got = read_lines(&wanted, &anchors);
        for p in [&plain, &gz] {
            let name = p.display().to_string();
            assert_eq!(got[&(name.clone(), 1)], "line 1\\u{1b}[31m");
            assert_eq!(got[&(name.clone(), 500)], "line 500\\u{1b}[31m");
            assert_eq!(got[&(name.clone(), 1000)], "line 1000\\u{1b}[31m");
            assert!(!got.contains_key(&(name, 5000)), "past the end");
        }
        assert_eq!(got.len(), 6, "nothing for standard input");
    }

    #[test]
    fn lines_across_read_buffers_next_to_each_other_and_unterminated() {
        let dir = tempfile::tempdir().expect("tempdir");
        // ~590 KB: lines cross the 64 KiB read buffers; the last line has no newline.
        let mut text: String = (1..=40_000)
            .map(|i| format!("line {i} {}\n", "x".repeat(i % 7)))
            .collect();
        text.push_str("last line");
        let plain = dir.path().join("b.log");
        std::fs::write(&plain, &text).expect("write");
        let name = plain.display().to_string();
        let wanted_lines =
            BTreeSet::from([0, 2, 3, 4, 4_681, 4_682, 39_999, 40_000, 40_001, 40_002]);
        let wanted = BTreeMap::from([(name.clone(), wanted_lines.clone())]);
        let all: Vec<&str> = text.split('\n').collect();
        // Where lines start: read from the last known place before each wanted line, the
        // text is the same as counting from the top.
        let starts: Vec<u64> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i as u64 + 1))
            .collect();
        let anchored = BTreeMap::from([(
            name.clone(),
            [1, 3, 4_000, 4_682, 30_000]
                .into_iter()
                .map(|l: u64| (l, starts[l as usize - 1]))
                .collect(),
        )]);
        for anchors in [BTreeMap::new(), anchored] {
            let got = read_lines(&wanted, &anchors);
            for &n in &wanted_lines {
                let want = (1..=all.len() as u64)
                    .contains(&n)
                    .then(|| all[n as usize - 1].to_string());
                assert_eq!(got.get(&(name.clone(), n)).cloned(), want, "line {n}");
            }
        }
    }

    #[test]
    fn a_known_place_is_read_from_without_counting_the_lines_before_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text: String = (1..=1_000).map(|i| format!("line {i}\n")).collect();
        let plain = dir.path().join("c.log");
        std::fs::write(&plain, &text).expect("write");
        let name = plain.display().to_string();
        let wanted = BTreeMap::from([(name.clone(), BTreeSet::from([10, 900]))]);
        // Line 900 said to start where line 200 does: the file is read from there, as the
        // line numbers of a chunk that starts at that offset.
        let at_200 = text.find("line 200\n").expect("there") as u64;
        let anchors = BTreeMap::from([(name.clone(), BTreeMap::from([(900, at_200)]))]);
        let got = read_lines(&wanted, &anchors);
        assert_eq!(got[&(name.clone(), 10)], "line 10");
        assert_eq!(got[&(name, 900)], "line 200");
    }
}

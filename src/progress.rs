//! The progress bar (SPEC §1, issue 5): on stderr, only when stderr is a terminal, not in CI
//! (`CI` set) and not with `--no-progress`; it appears only once a run has taken a second, so
//! quick runs print nothing. It reads the pipeline's atomic counters from its own thread.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use statuslens::input::Input;
use statuslens::pipeline::Progress;

/// Whether to show a progress bar.
pub(crate) fn wanted(no_progress: bool) -> bool {
    !no_progress && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

/// A running display; [`Display::finish`] stops and clears it.
pub(crate) struct Display {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

/// Start the display thread over `progress` for `inputs`.
pub(crate) fn start(progress: Arc<Progress>, inputs: &[Input]) -> Display {
    // Bytes as stored; unknown (0) when reading standard input.
    let total: u64 = inputs
        .iter()
        .map(|i| match i {
            Input::File(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
            Input::Stdin => 0,
        })
        .sum();
    let files = inputs.len() as u64;
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = Arc::clone(&stop);
    let handle = std::thread::spawn(move || {
        let started = Instant::now();
        let mut bar: Option<ProgressBar> = None;
        while !stop2.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            if started.elapsed() < Duration::from_secs(1) {
                continue;
            }
            let b = bar.get_or_insert_with(|| {
                let b = if total > 0 {
                    ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
                } else {
                    ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                };
                let template = if total > 0 {
                    "{spinner} [{bar:30}] {bytes}/{total_bytes} {msg}"
                } else {
                    "{spinner} {bytes} read {msg}"
                };
                if let Ok(style) = ProgressStyle::with_template(template) {
                    b.set_style(style.progress_chars("=> "));
                }
                b
            });
            b.set_position(progress.bytes.load(Ordering::Relaxed));
            let lines = progress.lines.load(Ordering::Relaxed);
            let secs = started.elapsed().as_secs_f64().max(0.001);
            b.set_message(format!(
                "· files {}/{} · {:.1}M lines/s",
                progress.files_done.load(Ordering::Relaxed),
                files,
                lines as f64 / secs / 1e6
            ));
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
    });
    Display {
        stop,
        handle: Some(handle),
    }
}

impl Display {
    /// Stop the display and clear its line.
    pub(crate) fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

//! Owns the progress bar on stderr: drawn from the engine's counters (rows read, datasets done),
//! only when stderr is a terminal, and only once a run has taken long enough to need one.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scorecard::engine::progress::Progress;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A run shorter than this shows no bar at all.
const QUIET_FOR: Duration = Duration::from_millis(500);
const REDRAW: Duration = Duration::from_millis(100);

/// The bar of one run; cleared when dropped.
pub struct Bar {
    stop: Arc<AtomicBool>,
    drawer: Option<JoinHandle<()>>,
}

/// Counters for the engine to keep, and the bar that shows them, when stderr is a terminal.
pub fn start() -> (Option<Arc<Progress>>, Option<Bar>) {
    if !std::io::stderr().is_terminal() {
        return (None, None);
    }
    let progress = Arc::new(Progress::default());
    let stop = Arc::new(AtomicBool::new(false));
    let drawer = {
        let (progress, stop) = (progress.clone(), stop.clone());
        std::thread::spawn(move || draw(&progress, &stop))
    };
    let bar = Bar {
        stop,
        drawer: Some(drawer),
    };
    (Some(progress), Some(bar))
}

fn draw(progress: &Progress, stop: &AtomicBool) {
    let started = Instant::now();
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
        bar.set_style(style);
    }
    let mut shown = false;
    let update = || {
        let (done, of) = progress.datasets();
        bar.set_message(format!(
            "{} · {} rows read · {done} of {of} datasets",
            progress.now(),
            scorecard::model::format::group_thousands(&progress.rows().to_string())
        ));
        bar.tick();
    };
    while !stop.load(Ordering::Relaxed) {
        if !shown && started.elapsed() >= QUIET_FOR {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            shown = true;
        }
        update();
        std::thread::sleep(REDRAW);
    }
    // The last counts are drawn once before the bar is cleared, so that they are never skipped.
    update();
    bar.finish_and_clear();
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(d) = self.drawer.take() {
            let _ = d.join();
        }
    }
}

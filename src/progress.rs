//! Progress of a run made of named stages, on stderr: on an interactive terminal a bar is
//! redrawn in place under the stage log lines; in a batch job (stderr a file or a pipe) only
//! the log lines are written, one per finished stage with its duration; with `--quiet`,
//! nothing.

use std::cell::Cell;
use std::io::{IsTerminal, Write};

/// Width of the bar, in characters.
const BAR_WIDTH: usize = 24;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Quiet,
    Lines,
    Bar,
}

/// Progress over a known list of stages.
pub struct Progress {
    stages: Vec<&'static str>,
    done: Cell<usize>,
    mode: Mode,
}

impl Progress {
    /// Progress over `stages`, in the order they run.
    pub fn new(stages: Vec<&'static str>, quiet: bool) -> Progress {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Lines
        };
        let progress = Progress {
            stages,
            done: Cell::new(0),
            mode,
        };
        progress.draw_bar();
        progress
    }

    /// A stage finished after `seconds`.
    pub fn finished(&self, name: &str, seconds: f64) {
        if self.mode == Mode::Quiet {
            return;
        }
        self.clear_bar();
        eprintln!("curlens: {name} ({seconds:.2} s)");
        self.done.set((self.done.get() + 1).min(self.stages.len()));
        self.draw_bar();
    }

    /// Removes the bar, before the run's last lines.
    pub fn end(&self) {
        self.clear_bar();
    }

    fn draw_bar(&self) {
        if self.mode != Mode::Bar {
            return;
        }
        let done = self.done.get();
        let next = self.stages.get(done).copied();
        eprint!("{}", bar_line(done, self.stages.len(), next));
        let _ = std::io::stderr().flush();
    }

    fn clear_bar(&self) {
        if self.mode == Mode::Bar {
            eprint!("\r\x1b[2K");
        }
    }
}

/// `curlens [######------------------] 1/4 running budgets` (no newline).
pub fn bar_line(done: usize, total: usize, next: Option<&str>) -> String {
    let filled = (BAR_WIDTH * done).checked_div(total).unwrap_or(BAR_WIDTH);
    let bar = format!("{}{}", "#".repeat(filled), "-".repeat(BAR_WIDTH - filled));
    match next {
        Some(stage) => format!("curlens [{bar}] {done}/{total} running {stage}"),
        None => format!("curlens [{bar}] {done}/{total} writing"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_fills_with_finished_stages() {
        assert_eq!(
            bar_line(0, 4, Some("daily cube")),
            "curlens [------------------------] 0/4 running daily cube"
        );
        assert_eq!(
            bar_line(1, 4, Some("budgets")),
            "curlens [######------------------] 1/4 running budgets"
        );
        assert_eq!(
            bar_line(4, 4, None),
            "curlens [########################] 4/4 writing"
        );
        assert_eq!(
            bar_line(0, 0, None),
            format!("curlens [{}] 0/0 writing", "#".repeat(24))
        );
    }
}

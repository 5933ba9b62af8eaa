//! Owns a command's exit code: the five a command can end with, and what each means
//! (docs/architecture.md, "Exit codes").

/// How a command ended, as its process exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It did what was asked.
    Ok = 0,
    /// The scorecard has errors, could not be read, or its project file is invalid; `fmt --check`
    /// would reformat a file; a `test` expectation failed.
    ScorecardErrors = 1,
    /// A data or runtime error: a data file missing or malformed, an overflow, an output that
    /// could not be written; a `test` that could not run.
    DataErrors = 2,
    /// `run --fail-on`: an escalation that severe is open in the last period reported, or
    /// (`--fail-on checks`) a dataset check failed.
    Escalated = 3,
    /// `notify`: a notification could not be delivered (it is sent again on the next run).
    DeliveryFailed = 4,
}

impl Exit {
    /// Of two exits, the one to report: an error over an escalation over success, and data errors
    /// over scorecard errors.
    pub fn worse(self, other: Exit) -> Exit {
        let rank = |e: Exit| match e {
            Exit::Ok => 0,
            Exit::Escalated => 1,
            Exit::DeliveryFailed => 2,
            Exit::ScorecardErrors => 3,
            Exit::DataErrors => 4,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}

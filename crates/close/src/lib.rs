//! The period close (docs/audit.md, docs/notifications.md): the ledger of published figures, each
//! record chained to the one before by its hash (`ledger/`); restatements, each figure that
//! differs from what was published with its cause (`restate.rs`); and escalations delivered to
//! the people they name, once per event, through the routes and receivers of `scorecard.toml`
//! (`notify/`). Records and deliveries are kept in a store of the project's choosing
//! (`store.rs`: a folder of plain files, or a PostgreSQL table).

pub mod ledger;
pub mod notify;
pub mod restate;
pub mod store;

use scorecard_diagnostic::Code;

/// Why a close command could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum CloseError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("the ledger in {store} does not verify, so it cannot be relied on or added to:\n{}\n  help: run `scorecard ledger verify` and restore the records from a backup", list(.problems))]
    Tampered {
        store: String,
        problems: Vec<ledger::Problem>,
    },
    #[error("{period} of `{scorecard}` was published already (record {sequence}, {at})\n  help: to record other figures for it, pass `--restate \"why\"`: the ledger keeps both, and `scorecard restatements` shows what changed")]
    Published {
        scorecard: String,
        period: String,
        sequence: u64,
        at: String,
    },
    #[error("{period} of `{scorecard}` was never published, so there is nothing to restate\n  help: publish it without `--restate`")]
    NotPublished { scorecard: String, period: String },
    /// `notify` on an evaluation that tells less than a run already told from.
    #[error("the data now tells whole periods up to {until} ({why}), but a run already told people what the data said up to {told}: nothing is sent, so that no one is told of the past as if it were news\n  help: if the data was corrected to end sooner (or a dataset added that ends sooner), run `notify --rewind` to accept it; if `--as-of` is earlier than it should be, leave it out")]
    Behind {
        until: chrono::NaiveDate,
        told: chrono::NaiveDate,
        why: String,
    },
    /// A period the scorecard has no results in, or does not have.
    #[error("{0}")]
    Period(String),
    /// A period the data covers only in part.
    #[error("{0}")]
    Partial(String),
    /// Reading the data or evaluating failed.
    #[error("{message}")]
    Run { code: Code, message: String },
}

fn list(problems: &[ledger::Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl CloseError {
    pub fn code(&self) -> Code {
        match self {
            CloseError::Store(store::StoreError::Busy { .. }) => Code::NotifyBusy,
            CloseError::Store(_) => Code::LedgerStore,
            CloseError::Tampered { .. } => Code::Tampered,
            CloseError::Published { .. } => Code::Published,
            CloseError::NotPublished { .. } => Code::NotPublished,
            CloseError::Behind { .. } => Code::NotifyBehind,
            CloseError::Period(_) => Code::LedgerPeriod,
            CloseError::Partial(_) => Code::LedgerPartial,
            CloseError::Run { code, .. } => *code,
        }
    }
}

impl From<scorecard_rules::run::RunError> for CloseError {
    fn from(e: scorecard_rules::run::RunError) -> Self {
        CloseError::Run {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl From<scorecard_engine::DataError> for CloseError {
    fn from(e: scorecard_engine::DataError) -> Self {
        CloseError::Run {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

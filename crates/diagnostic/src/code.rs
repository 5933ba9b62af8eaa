//! Owns the stable diagnostic codes. A code never changes meaning once released; `docs/diagnostics.md`
//! lists them all.

use serde::{Serialize, Serializer};

macro_rules! codes {
    ($($variant:ident => $text:literal,)*) => {
        /// Every diagnostic code the engine can report.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text,)* }
            }
            pub fn all() -> &'static [Code] {
                &[$(Code::$variant,)*]
            }
        }
    };
}

codes! {
    Syntax => "scorecard::syntax::unexpected",
    UnclosedBlock => "scorecard::syntax::unclosed_block",
    TooDeep => "scorecard::syntax::too_deep",
    TooLong => "scorecard::syntax::too_long",
    MissingHeader => "scorecard::check::missing_header",
    DuplicateHeader => "scorecard::check::duplicate_header",
    UnknownDeclaration => "scorecard::check::unknown_declaration",
    DuplicateName => "scorecard::check::duplicate_name",
    UnknownKey => "scorecard::check::unknown_key",
    DuplicateKey => "scorecard::check::duplicate_key",
    MissingKey => "scorecard::check::missing_key",
    InvalidValue => "scorecard::check::invalid_value",
    UnknownType => "scorecard::check::unknown_type",
    UnknownDataset => "scorecard::check::unknown_dataset",
    UnknownColumn => "scorecard::check::unknown_column",
    UnknownKpi => "scorecard::check::unknown_kpi",
    UnknownName => "scorecard::check::unknown_name",
    UnknownFunction => "scorecard::check::unknown_function",
    WrongArguments => "scorecard::check::wrong_arguments",
    TypeMismatch => "scorecard::check::type_mismatch",
    UnitMismatch => "scorecard::check::unit_mismatch",
    KpiCycle => "scorecard::check::kpi_cycle",
    DriveCycle => "scorecard::check::drive_cycle",
    SegmentColumn => "scorecard::check::segment_column",
    UnsupportedSource => "scorecard::check::unsupported_source",
    Thresholds => "scorecard::check::thresholds",
    Script => "scorecard::check::script",
    EscalationOnly => "scorecard::check::escalation_only",
    UnknownPlaceholder => "scorecard::check::unknown_placeholder",
    ImpossibleWindow => "scorecard::check::impossible_window",
    NoStatus => "scorecard::check::no_status",
    EffectiveMidPeriod => "scorecard::check::effective_mid_period",
    TestOnly => "scorecard::check::test_only",
    InvalidExpect => "scorecard::check::invalid_expect",
    Unreached => "scorecard::check::unreached",
    NoTarget => "scorecard::check::no_target",
    TooLarge => "scorecard::check::too_large",
    ReadSource => "scorecard::io::read_scorecard",
    // Data and runtime errors: found while reading the data or evaluating (exit code 2).
    Unreadable => "scorecard::data::unreadable",
    OutsideProject => "scorecard::data::outside_project",
    EmptyFile => "scorecard::data::empty_file",
    MissingColumn => "scorecard::data::missing_column",
    DuplicateColumn => "scorecard::data::duplicate_column",
    BadValue => "scorecard::data::bad_value",
    BadRecord => "scorecard::data::bad_record",
    RaggedRow => "scorecard::data::ragged_row",
    NotUtf8 => "scorecard::data::not_utf8",
    RepeatedKey => "scorecard::data::repeated_key",
    NoTime => "scorecard::data::no_time",
    ColumnType => "scorecard::data::column_type",
    CheckFailed => "scorecard::data::check_failed",
    NoCoverage => "scorecard::data::no_coverage",
    MissingRate => "scorecard::data::missing_rate",
    BadRates => "scorecard::data::bad_rates",
    Overflow => "scorecard::run::overflow",
    Precision => "scorecard::run::precision",
    ExplainKpi => "scorecard::explain::unknown_kpi",
    ExplainPeriod => "scorecard::explain::bad_period",
    ExplainSegment => "scorecard::explain::bad_segment",
    BadPeriod => "scorecard::run::bad_period",
    EmptyRange => "scorecard::run::empty_range",
    TooManyPeriods => "scorecard::run::too_many_periods",
    AttributionFailed => "scorecard::run::attribution",
    AllocationFailed => "scorecard::run::allocation",
    ScriptFailed => "scorecard::run::script",
    ScriptLimit => "scorecard::run::script_limit",
    MemoryLimit => "scorecard::run::memory",
    EngineFailed => "scorecard::run::engine",
    Cluster => "scorecard::run::cluster",
    Project => "scorecard::project::invalid",
    WriteOutput => "scorecard::io::write_output",
    OutputClash => "scorecard::io::output_clash",
    ForeignFiles => "scorecard::io::foreign_files",
    SqlUnsupported => "scorecard::sql::unsupported",
    SqlTable => "scorecard::sql::unknown_table",
    SqlDerived => "scorecard::sql::derived",
    LedgerStore => "scorecard::ledger::store",
    Published => "scorecard::ledger::published",
    NotPublished => "scorecard::ledger::not_published",
    LedgerPeriod => "scorecard::ledger::bad_period",
    LedgerPartial => "scorecard::ledger::partial",
    Tampered => "scorecard::ledger::tampered",
    NotifyBusy => "scorecard::notify::busy",
    NotifyBehind => "scorecard::notify::behind",
    DeliveryFailed => "scorecard::notify::delivery_failed",
    UnknownAudience => "scorecard::audience::unknown",
    Withheld => "scorecard::audience::withheld",
    RowsWithheld => "scorecard::audience::rows_withheld",
    AudienceNoRows => "scorecard::audience::no_rows",
    UnknownParameter => "scorecard::parameter::unknown",
    UnknownScenario => "scorecard::parameter::unknown_scenario",
    ParameterUnit => "scorecard::parameter::unit",
    SetTwice => "scorecard::parameter::set_twice",
    Assumed => "scorecard::parameter::assumed",
    BadRange => "scorecard::sensitivity::bad_range",
    ServeOption => "scorecard::serve::refused",
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

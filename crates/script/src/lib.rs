//! Owns running scoring functions written in Rhai, in a sandbox: no modules (so no files), no
//! `eval`, no printing, and limits on operations, call depth, expression depth, the size of
//! strings, arrays and maps, and the memory a call holds, so that a hostile or mistaken script
//! stops with an error, quickly.
//!
//! Rhai counts a call's operations afresh inside a callback (the comparator of `sort`, the function
//! of `map`), and checks sizes only at some steps, so the sandbox keeps its own count of both
//! (`Budget`), watched at every operation wherever it runs.

pub mod memory;

use rhai::{Dynamic, Engine, EvalAltResult, Scope, AST};
use rust_decimal::{Decimal, MathematicalOps};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Operations one call may run: enough for any honest scoring rule, far too few for an endless loop.
pub const MAX_OPERATIONS: u64 = 100_000;
pub const MAX_CALL_LEVELS: usize = 32;
pub const MAX_SIZE: usize = 10_000;
/// The memory one call may hold, in bytes (where the binary counts it: `memory`).
pub const MAX_MEMORY: isize = 64 * 1024 * 1024;

/// What ended a call that ran out of its budget, carried by Rhai's termination.
const OUT_OF_OPERATIONS: &str = "operations";
const OUT_OF_MEMORY: &str = "memory";

/// One call's operations and memory so far, counted across every callback it makes.
#[derive(Default)]
struct Budget {
    operations: Cell<u64>,
    memory_at_start: Cell<isize>,
}

impl Budget {
    fn start(&self) {
        self.operations.set(0);
        self.memory_at_start.set(memory::held());
    }

    /// Called at every operation: a token that stops the call when the budget is spent.
    fn step(&self) -> Option<Dynamic> {
        let n = self.operations.get() + 1;
        self.operations.set(n);
        if n > MAX_OPERATIONS {
            return Some(Dynamic::from(OUT_OF_OPERATIONS));
        }
        let grown = memory::held().wrapping_sub(self.memory_at_start.get());
        (grown > MAX_MEMORY).then(|| Dynamic::from(OUT_OF_MEMORY))
    }
}

/// The sandboxed engine.
pub fn engine() -> Engine {
    let mut engine = Engine::new();
    engine.set_max_operations(MAX_OPERATIONS);
    engine.set_max_call_levels(MAX_CALL_LEVELS);
    engine.set_max_expr_depths(64, 32);
    engine.set_max_string_size(MAX_SIZE);
    engine.set_max_array_size(MAX_SIZE);
    engine.set_max_map_size(MAX_SIZE);
    engine.disable_symbol("eval");
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    // The decimal library's own `sin`, `cos` and `tan` panic where the result is undefined (`tan`
    // near π/2) or too large: these say so instead.
    type Checked = fn(&Decimal) -> Option<Decimal>;
    for (name, f) in [
        ("sin", Decimal::checked_sin as Checked),
        ("cos", Decimal::checked_cos as Checked),
        ("tan", Decimal::checked_tan as Checked),
    ] {
        engine.register_fn(
            name,
            move |x: Decimal| -> Result<Decimal, Box<EvalAltResult>> {
                f(&x).ok_or_else(|| format!("{name}({x}) is undefined or too large").into())
            },
        );
    }
    engine
}

/// Compiles a function's source, checking that it defines `fn name(value, target)` (a scoring
/// function) or `fn name(position, touches, age_days)` (an attribution weight); returns the AST
/// and the number of parameters.
pub fn compile(engine: &Engine, name: &str, source: &str) -> Result<(AST, usize), String> {
    let ast = engine.compile(source).map_err(|e| e.to_string())?;
    let Some(params) = ast
        .iter_functions()
        .find(|f| f.name == name && (f.params.len() == 2 || f.params.len() == 3))
        .map(|f| f.params.len())
    else {
        return Err(format!(
            "the script does not define `fn {name}(value, target)` (a scoring function) or `fn {name}(position, touches, age_days)` (an attribution weight)"
        ));
    };
    Ok((ast, params))
}

/// Why a call into a script failed: a sandbox limit it ran into (an endless loop, runaway recursion,
/// a string or array grown too large), or an error of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    pub limit: bool,
    pub message: String,
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ScriptError {
    /// A script that ran into a sandbox limit, or failed on its own.
    pub fn code(&self) -> scorecard_diagnostic::Code {
        if self.limit {
            scorecard_diagnostic::Code::ScriptLimit
        } else {
            scorecard_diagnostic::Code::ScriptFailed
        }
    }

    pub fn failed(message: String) -> Self {
        ScriptError {
            limit: false,
            message,
        }
    }

    /// Says which limit a script ran into, in words, or passes its own error on.
    fn of(e: &rhai::EvalAltResult) -> Self {
        use rhai::EvalAltResult as E;
        let limit = |message: String| ScriptError {
            limit: true,
            message,
        };
        match e {
            E::ErrorInFunctionCall(_, _, inner, _) | E::ErrorInModule(_, inner, _) => {
                ScriptError::of(inner)
            }
            E::ErrorTooManyOperations(_) => limit(too_many_operations()),
            E::ErrorTerminated(token, _) if token.to_string() == OUT_OF_MEMORY => limit(format!(
                "it held more than {} MiB, the sandbox's limit (data grown without end?)",
                MAX_MEMORY / (1024 * 1024)
            )),
            E::ErrorTerminated(..) => limit(too_many_operations()),
            E::ErrorStackOverflow(_) => limit(format!(
                "it called functions more than {MAX_CALL_LEVELS} deep, the sandbox's limit (endless recursion?)"
            )),
            E::ErrorDataTooLarge(what, _) => limit(format!(
                "{} grew beyond the sandbox's limit of {MAX_SIZE}",
                what.to_lowercase()
            )),
            E::ErrorTooManyModules(_) | E::ErrorTooManyVariables(_) => {
                limit(format!("it ran into a sandbox limit: {e}"))
            }
            other => ScriptError::failed(other.to_string()),
        }
    }
}

fn too_many_operations() -> String {
    format!("it ran more than {MAX_OPERATIONS} operations, the sandbox's limit (an endless loop?)")
}

/// The declared functions, compiled once for a run.
pub struct Scripts {
    engine: Engine,
    compiled: BTreeMap<String, AST>,
    budget: Rc<Budget>,
}

impl Scripts {
    pub fn new(functions: &[scorecard_model::Function]) -> Result<Self, ScriptError> {
        let mut engine = engine();
        let budget = Rc::new(Budget::default());
        let watched = budget.clone();
        engine.on_progress(move |_| watched.step());
        let mut compiled = BTreeMap::new();
        for f in functions {
            let (ast, _) = compile(&engine, &f.name, &f.source).map_err(ScriptError::failed)?;
            compiled.insert(f.name.clone(), ast);
        }
        Ok(Scripts {
            engine,
            compiled,
            budget,
        })
    }

    /// Calls `name(value, target)`; the target is `()` when there is none. The result must be a
    /// number from 0 to 10.
    pub fn call(
        &self,
        name: &str,
        value: Decimal,
        target: Option<Decimal>,
    ) -> Result<Decimal, ScriptError> {
        let target = target.map(Dynamic::from_decimal).unwrap_or(Dynamic::UNIT);
        let score = self.number(name, (Dynamic::from_decimal(value), target))?;
        if score < Decimal::ZERO || score > Decimal::TEN {
            return Err(ScriptError::failed(format!(
                "returned {score}, outside the scores 0 to 10"
            )));
        }
        Ok(score)
    }

    /// Calls an attribution weight function `name(position, touches, age_days)`: the touch's place
    /// in its journey (1 is the first), the journey's length, and whole days before the conversion.
    /// The result must be a number from 0 to 1,000,000.
    pub fn weight(
        &self,
        name: &str,
        position: i64,
        touches: i64,
        age_days: i64,
    ) -> Result<Decimal, ScriptError> {
        let w = self.number(name, (position, touches, age_days))?;
        if w < Decimal::ZERO || w > Decimal::from(1_000_000) {
            return Err(ScriptError::failed(format!(
                "returned {w}, outside the weights 0 to 1000000"
            )));
        }
        Ok(w)
    }

    fn number(&self, name: &str, args: impl rhai::FuncArgs) -> Result<Decimal, ScriptError> {
        let ast = self
            .compiled
            .get(name)
            .ok_or_else(|| ScriptError::failed(format!("no function `{name}`")))?;
        self.budget.start();
        let out: Dynamic = self
            .engine
            .call_fn(&mut Scope::new(), ast, name, args)
            .map_err(|e| ScriptError::of(&e))?;
        let not_a_number = |t: &str| ScriptError::failed(format!("returned {t}, not a number"));
        if out.is_int() {
            out.as_int().map(Decimal::from).map_err(not_a_number)
        } else {
            out.as_decimal().map_err(not_a_number)
        }
    }
}

//! Owns running scoring functions written in Rhai, in a sandbox: no modules (so no files), no
//! `eval`, no printing, and limits on operations, call depth, expression depth and the size of
//! strings, arrays and maps, so that a hostile or mistaken script stops with an error, quickly.

use rhai::{Dynamic, Engine, Scope, AST};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Operations one call may run: enough for any honest scoring rule, far too few for an endless loop.
pub const MAX_OPERATIONS: u64 = 100_000;
pub const MAX_CALL_LEVELS: usize = 32;
pub const MAX_SIZE: usize = 10_000;

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

/// The declared functions, compiled once for a run.
pub struct Scripts {
    engine: Engine,
    compiled: BTreeMap<String, AST>,
}

impl Scripts {
    pub fn new(functions: &[crate::check::model::Function]) -> Result<Self, String> {
        let engine = engine();
        let mut compiled = BTreeMap::new();
        for f in functions {
            compiled.insert(f.name.clone(), compile(&engine, &f.name, &f.source)?.0);
        }
        Ok(Scripts { engine, compiled })
    }

    /// Calls `name(value, target)`; the target is `()` when there is none. The result must be a
    /// number from 0 to 10.
    pub fn call(
        &self,
        name: &str,
        value: Decimal,
        target: Option<Decimal>,
    ) -> Result<Decimal, String> {
        let target = target.map(Dynamic::from_decimal).unwrap_or(Dynamic::UNIT);
        let score = self.number(name, (Dynamic::from_decimal(value), target))?;
        if score < Decimal::ZERO || score > Decimal::TEN {
            return Err(format!("returned {score}, outside the scores 0 to 10"));
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
    ) -> Result<Decimal, String> {
        let w = self.number(name, (position, touches, age_days))?;
        if w < Decimal::ZERO || w > Decimal::from(1_000_000) {
            return Err(format!("returned {w}, outside the weights 0 to 1000000"));
        }
        Ok(w)
    }

    fn number(&self, name: &str, args: impl rhai::FuncArgs) -> Result<Decimal, String> {
        let ast = self
            .compiled
            .get(name)
            .ok_or_else(|| format!("no function `{name}`"))?;
        let out: Dynamic = self
            .engine
            .call_fn(&mut Scope::new(), ast, name, args)
            .map_err(|e| e.to_string())?;
        if out.is_int() {
            out.as_int()
                .map(Decimal::from)
                .map_err(|t| format!("returned {t}, not a number"))
        } else {
            out.as_decimal()
                .map_err(|t| format!("returned {t}, not a number"))
        }
    }
}

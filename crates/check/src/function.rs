//! Owns `function` declarations: scoring functions written in Rhai, compiled at check time in the
//! same sandbox that runs them, so a syntax error or a missing `fn` is reported with the scorecard.

use super::entries::{self, Entries};
use super::model::Function;
use super::Checker;
use scorecard_diagnostic::{Code, Diagnostic};
use scorecard_syntax::ast::Declaration;

const KEYS: &[&str] = &["rhai"];

pub fn check(cx: &mut Checker, decls: &[&Declaration]) -> Vec<Function> {
    let engine = scorecard_script::engine();
    let mut out = Vec::new();
    for d in decls {
        let e = Entries::read(cx, "a function", &d.entries, KEYS);
        let Some(entry) = e.get("rhai") else {
            let what = format!("function `{}`", d.name.text);
            entries::missing_key(
                cx,
                d.name.span,
                &what,
                "rhai",
                &format!("\"\"\" fn {}(value, target) {{ 10 }} \"\"\"", d.name.text),
            );
            continue;
        };
        let Some(source) = entries::string(cx, entry) else {
            continue;
        };
        let params = match scorecard_script::compile(&engine, &d.name.text, &source) {
            Ok((_, params)) => params,
            Err(why) => {
                cx.report(
                    Diagnostic::error(
                        Code::Script,
                        entry.value.span(),
                        format!(
                            "the Rhai script of `{}` does not compile: {why}",
                            d.name.text
                        ),
                    )
                    .label("in this script")
                    .help(format!(
                        "define `fn {}(value, target)` returning a score from 0 to 10",
                        d.name.text
                    )),
                );
                continue;
            }
        };
        out.push(Function {
            name: d.name.text.clone(),
            label: d.label.as_ref().map(|l| l.text.clone()),
            doc: d.doc.clone(),
            source,
            params,
        });
    }
    out
}

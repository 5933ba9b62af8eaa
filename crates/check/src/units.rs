//! Owns units of KPI expressions: money has dimension 1, ratios, counts and numbers dimension 0.
//!
//! Adding or comparing needs equal dimensions; multiplying adds them and dividing subtracts them, so
//! money / money is a ratio. A plain number literal (`1000`, `1`) takes the unit of what it meets; a
//! percent literal (`40%`) is a ratio and never money.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Ty {
    Num {
        money: i32,
        lit: Lit,
    },
    Bool,
    /// Not known because of an earlier error; never reported again.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Lit {
    /// From data or a KPI.
    No,
    /// A plain number literal: adapts to the other side.
    Plain,
    /// A percent literal: a ratio.
    Percent,
}

impl Ty {
    pub const MONEY: Ty = Ty::Num {
        money: 1,
        lit: Lit::No,
    };
    pub const NUMBER: Ty = Ty::Num {
        money: 0,
        lit: Lit::No,
    };

    pub fn describe(self) -> String {
        match self {
            Ty::Num {
                lit: Lit::Percent, ..
            } => "a percent".into(),
            Ty::Num { money: 0, .. } => "a number".into(),
            Ty::Num { money: 1, .. } => "money".into(),
            Ty::Num { money, .. } => format!("money to the power {money}"),
            Ty::Bool => "a condition".into(),
            Ty::Unknown => "unknown".into(),
        }
    }

    pub fn money(self) -> Option<i32> {
        match self {
            Ty::Num { money, .. } => Some(money),
            _ => None,
        }
    }
}

/// The unit of `a + b` (or `a - b`, or the branches of `if`), or `None` when they do not match.
pub fn same(a: Ty, b: Ty) -> Option<Ty> {
    match (a, b) {
        (Ty::Unknown, x) | (x, Ty::Unknown) => Some(x),
        (
            Ty::Num {
                lit: Lit::Plain, ..
            },
            x @ Ty::Num { .. },
        ) => Some(x),
        (
            x @ Ty::Num { .. },
            Ty::Num {
                lit: Lit::Plain, ..
            },
        ) => Some(x),
        (Ty::Num { money: m, lit: la }, Ty::Num { money: n, lit: lb }) if m == n => Some(Ty::Num {
            money: m,
            lit: if la == lb { la } else { Lit::No },
        }),
        _ => None,
    }
}

/// The unit of `a * b` (`sign` 1) or `a / b` (`sign` -1).
pub fn product(a: Ty, b: Ty, sign: i32) -> Ty {
    match (a, b) {
        (Ty::Num { money: m, lit: la }, Ty::Num { money: n, lit: lb }) => {
            let m = if la == Lit::Plain { 0 } else { m };
            let n = if lb == Lit::Plain { 0 } else { n };
            let lit = if la == Lit::Plain && lb == Lit::Plain {
                Lit::Plain
            } else {
                Lit::No
            };
            Ty::Num {
                money: m + sign * n,
                lit,
            }
        }
        _ => Ty::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const PCT: Ty = Ty::Num {
        money: 0,
        lit: Lit::Percent,
    };
    const PLAIN: Ty = Ty::Num {
        money: 0,
        lit: Lit::Plain,
    };

    #[test]
    fn money_and_percent_do_not_add() {
        assert_eq!(same(Ty::MONEY, PCT), None);
        assert_eq!(same(Ty::MONEY, Ty::NUMBER), None);
    }

    #[test]
    fn plain_literals_take_the_other_side() {
        assert_eq!(same(Ty::MONEY, PLAIN), Some(Ty::MONEY));
        assert_eq!(product(Ty::MONEY, PLAIN, 1), Ty::MONEY);
    }

    #[test]
    fn money_over_money_is_a_ratio() {
        assert_eq!(product(Ty::MONEY, Ty::MONEY, -1).money(), Some(0));
        assert_eq!(product(Ty::MONEY, Ty::NUMBER, -1).money(), Some(1));
        assert_eq!(product(PCT, Ty::MONEY, 1).money(), Some(1));
    }
}

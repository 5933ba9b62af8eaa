//! Owns units of KPI expressions: money has dimension 1, ratios, counts and numbers dimension 0.
//!
//! Adding or comparing needs equal dimensions; multiplying adds them and dividing subtracts them, so
//! money / money is a ratio. A plain number literal (`1000`, `1`) takes the unit of what it meets; a
//! percent literal (`40%`) is a ratio and never money. Money not yet converted to the reporting
//! currency (`money(EUR)` without a rate) carries its currency: amounts of two currencies do not
//! add, compare, multiply or divide, and a ratio of one currency's amounts is a plain ratio.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Ty {
    Num {
        money: i32,
        lit: Lit,
        /// The currency of unconverted money (`None`: the reporting currency, or no money).
        cur: Cur,
    },
    Bool,
    /// Not known because of an earlier error; never reported again.
    Unknown,
}

/// An ISO 4217 code, as bytes so that a unit stays `Copy`.
pub type Cur = Option<[u8; 3]>;

/// The code of a currency as a unit carries it.
pub fn cur(code: &str) -> Cur {
    <[u8; 3]>::try_from(code.as_bytes()).ok()
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
        cur: None,
    };
    pub const NUMBER: Ty = Ty::Num {
        money: 0,
        lit: Lit::No,
        cur: None,
    };

    /// Money in a currency other than the reporting one, not converted.
    pub fn money_in(code: &str) -> Ty {
        Ty::Num {
            money: 1,
            lit: Lit::No,
            cur: cur(code),
        }
    }

    /// The currency of unconverted money, as text.
    pub fn currency(self) -> Option<String> {
        match self {
            Ty::Num { cur: Some(c), .. } => Some(String::from_utf8_lossy(&c).into_owned()),
            _ => None,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Ty::Num {
                lit: Lit::Percent, ..
            } => "a percent".into(),
            Ty::Num { money: 0, .. } => "a number".into(),
            Ty::Num {
                money: 1,
                cur: Some(c),
                ..
            } => {
                format!("money in {}", String::from_utf8_lossy(&c))
            }
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
        (
            Ty::Num {
                money: m,
                lit: la,
                cur: ca,
            },
            Ty::Num {
                money: n,
                lit: lb,
                cur: cb,
            },
        ) if m == n && (m == 0 || ca == cb) => Some(Ty::Num {
            money: m,
            lit: if la == lb { la } else { Lit::No },
            cur: ca,
        }),
        _ => None,
    }
}

/// The unit of `a * b` (`sign` 1) or `a / b` (`sign` -1), or `None` for amounts of two
/// currencies.
pub fn product(a: Ty, b: Ty, sign: i32) -> Option<Ty> {
    match (a, b) {
        (
            Ty::Num {
                money: m,
                lit: la,
                cur: ca,
            },
            Ty::Num {
                money: n,
                lit: lb,
                cur: cb,
            },
        ) => {
            let m = if la == Lit::Plain { 0 } else { m };
            let n = if lb == Lit::Plain { 0 } else { n };
            let (ca, cb) = (ca.filter(|_| m != 0), cb.filter(|_| n != 0));
            if m != 0 && n != 0 && ca != cb {
                return None;
            }
            let lit = if la == Lit::Plain && lb == Lit::Plain {
                Lit::Plain
            } else {
                Lit::No
            };
            let money = m + sign * n;
            Some(Ty::Num {
                money,
                lit,
                cur: if money == 0 { None } else { ca.or(cb) },
            })
        }
        _ => Some(Ty::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const PCT: Ty = Ty::Num {
        money: 0,
        lit: Lit::Percent,
        cur: None,
    };
    const PLAIN: Ty = Ty::Num {
        money: 0,
        lit: Lit::Plain,
        cur: None,
    };

    #[test]
    fn amounts_of_two_currencies_do_not_add_or_divide_but_one_currencys_ratio_is_a_ratio() {
        let (eur, gbp) = (Ty::money_in("EUR"), Ty::money_in("GBP"));
        assert_eq!(same(eur, gbp), None);
        assert_eq!(same(eur, Ty::MONEY), None);
        assert_eq!(same(eur, eur), Some(eur));
        assert_eq!(same(eur, PLAIN), Some(eur));
        assert_eq!(product(eur, gbp, -1), None);
        assert_eq!(product(eur, eur, -1), Some(Ty::NUMBER));
        assert_eq!(product(eur, PCT, 1), Some(eur));
    }

    #[test]
    fn money_and_percent_do_not_add() {
        assert_eq!(same(Ty::MONEY, PCT), None);
        assert_eq!(same(Ty::MONEY, Ty::NUMBER), None);
    }

    #[test]
    fn plain_literals_take_the_other_side() {
        assert_eq!(same(Ty::MONEY, PLAIN), Some(Ty::MONEY));
        assert_eq!(product(Ty::MONEY, PLAIN, 1), Some(Ty::MONEY));
    }

    #[test]
    fn money_over_money_is_a_ratio() {
        assert_eq!(product(Ty::MONEY, Ty::MONEY, -1).unwrap().money(), Some(0));
        assert_eq!(product(Ty::MONEY, Ty::NUMBER, -1).unwrap().money(), Some(1));
        assert_eq!(product(PCT, Ty::MONEY, 1).unwrap().money(), Some(1));
    }
}

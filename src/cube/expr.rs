//! A small expression language for the cube's definition: every metric and computed
//! dimension is written once in it, then rendered to a polars expression over the canonical
//! frame (to run here) or to SQL over a CUR 2.0 table (to run in Athena, Trino or Spark).

use polars::prelude::{DataType, Expr, col, lit, when};

use crate::schema::{self, Source};

/// A scalar expression over canonical columns.
#[derive(Clone, Debug)]
pub enum E {
    /// A canonical money/quantity column; null counts as 0.
    Num(&'static str),
    /// A canonical text column.
    Text(&'static str),
    Zero,
    StrLit(&'static str),
    Sub(Box<E>, Box<E>),
    Add(Box<E>, Box<E>),
    /// The first non-null of the canonical columns, else the fallback.
    Coalesce(Vec<&'static str>, Box<E>),
    /// `CASE WHEN cond THEN value ... ELSE otherwise END`.
    Case(Vec<(Cond, E)>, Box<E>),
}

/// A condition over canonical text columns.
#[derive(Clone, Debug)]
pub enum Cond {
    Eq(&'static str, &'static str),
    /// The column contains any of the substrings.
    ContainsAny(&'static str, &'static [&'static str]),
    NotNull(&'static str),
    Null(&'static str),
    And(Box<Cond>, Box<Cond>),
}

impl E {
    pub fn minus(a: E, b: E) -> E {
        E::Sub(Box::new(a), Box::new(b))
    }

    pub fn plus(a: E, b: E) -> E {
        E::Add(Box::new(a), Box::new(b))
    }

    /// The polars expression over the canonical frame.
    pub fn to_polars(&self) -> Expr {
        match self {
            E::Num(c) => col(*c).fill_null(lit(0.0)),
            E::Text(c) => col(*c),
            E::Zero => lit(0.0),
            E::StrLit(s) => lit(*s),
            E::Sub(a, b) => a.to_polars() - b.to_polars(),
            E::Add(a, b) => a.to_polars() + b.to_polars(),
            E::Coalesce(cols, fallback) => {
                let mut exprs: Vec<Expr> = cols.iter().map(|c| col(*c)).collect();
                exprs.push(fallback.to_polars());
                polars::prelude::coalesce(&exprs)
            }
            E::Case(arms, otherwise) => {
                arms.iter()
                    .rev()
                    .fold(otherwise.to_polars(), |rest, (cond, value)| {
                        when(cond.to_polars())
                            .then(value.to_polars())
                            .otherwise(rest)
                    })
            }
        }
    }

    /// SQL over a CUR 2.0 table (Athena / Trino dialect; Spark accepts it too).
    pub fn to_sql(&self) -> String {
        match self {
            E::Num(c) => format!("COALESCE({}, 0)", cur2_sql(c)),
            E::Text(c) => cur2_sql(c),
            E::Zero => "0".to_string(),
            E::StrLit(s) => sql_string(s),
            E::Sub(a, b) => format!("({} - {})", a.to_sql(), b.to_sql()),
            E::Add(a, b) => format!("({} + {})", a.to_sql(), b.to_sql()),
            E::Coalesce(cols, fallback) => {
                let mut parts: Vec<String> = cols.iter().map(|c| cur2_sql(c)).collect();
                parts.push(fallback.to_sql());
                format!("COALESCE({})", parts.join(", "))
            }
            E::Case(arms, otherwise) => {
                let mut out = String::from("CASE");
                for (cond, value) in arms.iter().filter(|(c, _)| !c.never_true_in_cur2()) {
                    out.push_str(&format!(" WHEN {} THEN {}", cond.to_sql(), value.to_sql()));
                }
                out.push_str(&format!(" ELSE {} END", otherwise.to_sql()));
                out
            }
        }
    }
}

impl Cond {
    pub fn and(a: Cond, b: Cond) -> Cond {
        Cond::And(Box::new(a), Box::new(b))
    }

    pub fn to_polars(&self) -> Expr {
        match self {
            Cond::Eq(c, v) => col(*c).eq(lit(*v)).fill_null(lit(false)),
            Cond::ContainsAny(c, needles) => needles
                .iter()
                .map(|n| col(*c).str().contains_literal(lit(*n)))
                .reduce(|a, b| a.or(b))
                .map_or(lit(false), |e| e.fill_null(lit(false))),
            Cond::NotNull(c) => col(*c).is_not_null(),
            Cond::Null(c) => col(*c).is_null(),
            Cond::And(a, b) => a.to_polars().and(b.to_polars()),
        }
    }

    /// A test of a column CUR 2.0 does not have (FOCUS's `EffectiveCost`): always false there.
    fn never_true_in_cur2(&self) -> bool {
        match self {
            Cond::NotNull(c) => {
                schema::column(c).is_some_and(|col| matches!(col.cur2, Source::Absent))
            }
            Cond::And(a, b) => a.never_true_in_cur2() || b.never_true_in_cur2(),
            _ => false,
        }
    }

    pub fn to_sql(&self) -> String {
        match self {
            Cond::Eq(c, v) => format!("{} = {}", cur2_sql(c), sql_string(v)),
            Cond::ContainsAny(c, needles) => {
                let parts: Vec<String> = needles
                    .iter()
                    .map(|n| format!("strpos({}, {}) > 0", cur2_sql(c), sql_string(n)))
                    .collect();
                format!("({})", parts.join(" OR "))
            }
            Cond::NotNull(c) => format!("{} IS NOT NULL", text_or_number_sql(c)),
            Cond::Null(c) => format!("{} IS NULL", text_or_number_sql(c)),
            Cond::And(a, b) => format!("({} AND {})", a.to_sql(), b.to_sql()),
        }
    }
}

/// The CUR 2.0 SQL spelling of a canonical column.
pub fn cur2_sql(canonical: &str) -> String {
    let Some(column) = schema::column(canonical) else {
        return canonical.to_string();
    };
    match column.cur2 {
        Source::Columns(names) => names[0].to_string(),
        Source::MapKey(map, key, names) => match names.first() {
            Some(first) => format!("COALESCE(NULLIF({first}, ''), element_at({map}, '{key}'))"),
            None => format!("element_at({map}, '{key}')"),
        },
        Source::Literal(v) => sql_string(v),
        Source::Prefixed(map) => map.to_string(),
        Source::Absent => match column.kind.dtype() {
            DataType::Float64 => "CAST(NULL AS DOUBLE)".to_string(),
            _ => "CAST(NULL AS VARCHAR)".to_string(),
        },
    }
}

/// Text columns compare empty strings as null (AWS writes `''` for missing text).
fn text_or_number_sql(canonical: &str) -> String {
    let is_text = schema::column(canonical).is_some_and(|c| c.kind.dtype() == DataType::String);
    if is_text {
        format!("NULLIF({}, '')", cur2_sql(canonical))
    } else {
        cur2_sql(canonical)
    }
}

pub fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

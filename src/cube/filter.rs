//! Row filters: `service=AmazonEC2`, `tag:Project=WebApp`, exclusions and a date range.
//! Filters on different keys combine with AND; repeated values of one key with OR.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::dimension::Dimension;
use crate::error::{Error, Result};
use crate::ingest::parse::days_from_civil;

/// One `KEY=VALUE` condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub dimension: Dimension,
    pub value: String,
    pub exclude: bool,
}

impl Condition {
    /// Parses `KEY=VALUE`; `exclude` for `--exclude`.
    pub fn parse(text: &str, exclude: bool) -> Result<Condition> {
        let flag = if exclude { "--exclude" } else { "--filter" };
        let (key, value) = text.split_once('=').ok_or_else(|| {
            Error::Invalid(format!(
                "{flag} `{text}`: expected KEY=VALUE, as in service=AmazonEC2 or tag:Project=WebApp"
            ))
        })?;
        if value.is_empty() {
            return Err(Error::Invalid(format!(
                "{flag} `{text}`: the value after `=` is empty"
            )));
        }
        Ok(Condition {
            dimension: Dimension::parse(key)?,
            value: value.to_string(),
            exclude,
        })
    }
}

/// A set of conditions and an optional inclusive day range (`YYYY-MM-DD`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    pub conditions: Vec<Condition>,
    pub from: Option<Day>,
    pub to: Option<Day>,
}

/// A calendar day as days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub i64);

impl Day {
    pub fn parse(text: &str) -> Result<Day> {
        let bad = || Error::Invalid(format!("`{text}`: expected a date as YYYY-MM-DD"));
        let micros = crate::ingest::parse::parse_timestamp_micros(text.trim()).ok_or_else(bad)?;
        if text.trim().len() != 10 {
            return Err(bad());
        }
        Ok(Day(micros.div_euclid(86_400_000_000)))
    }

    pub fn from_ymd(y: i64, m: i64, d: i64) -> Day {
        Day(days_from_civil(y, m, d))
    }

    pub fn start_micros(self) -> i64 {
        self.0 * 86_400_000_000
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = crate::inspect::civil_from_days(self.0);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty() && self.from.is_none() && self.to.is_none()
    }

    /// The predicate over canonical rows, or `None` when nothing is filtered.
    pub fn predicate(&self) -> Option<Expr> {
        let mut groups: BTreeMap<(String, bool), (Dimension, Vec<&str>)> = BTreeMap::new();
        for c in &self.conditions {
            groups
                .entry((c.dimension.name(), c.exclude))
                .or_insert_with(|| (c.dimension.clone(), Vec::new()))
                .1
                .push(c.value.as_str());
        }
        let mut parts: Vec<Expr> = groups
            .into_iter()
            .map(|((_, exclude), (dimension, values))| {
                let value = dimension.expr();
                let any = values
                    .into_iter()
                    .map(|v| value.clone().eq(lit(v.to_string())))
                    .reduce(|a, b| a.or(b))
                    .expect("a group has a value");
                if exclude { any.not() } else { any }
            })
            .collect();
        let start = || col("usage_start").dt().timestamp(TimeUnit::Microseconds);
        if let Some(from) = self.from {
            parts.push(start().gt_eq(lit(from.start_micros())));
        }
        if let Some(to) = self.to {
            parts.push(start().lt(lit(Day(to.0 + 1).start_micros())));
        }
        parts.into_iter().reduce(|a, b| a.and(b))
    }

    /// `service=AmazonEC2 AND NOT line-item-type=Tax ...`, for messages and reports.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .conditions
            .iter()
            .map(|c| {
                let not = if c.exclude { "not " } else { "" };
                format!("{not}{}={}", c.dimension.name(), c.value)
            })
            .collect();
        if let Some(from) = self.from {
            parts.push(format!("from {from}"));
        }
        if let Some(to) = self.to {
            parts.push(format!("to {to}"));
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_conditions() {
        let c = Condition::parse("tag:Project=Web=App", false).unwrap();
        assert_eq!(c.dimension, Dimension::Tag("Project".into()));
        assert_eq!(c.value, "Web=App");
        let err = Condition::parse("service", true).unwrap_err().to_string();
        assert_eq!(
            err,
            "--exclude `service`: expected KEY=VALUE, as in service=AmazonEC2 or tag:Project=WebApp"
        );
        assert!(
            Condition::parse("servce=AmazonEC2", false)
                .unwrap_err()
                .to_string()
                .contains("valid dimensions: service")
        );
    }

    #[test]
    fn parses_days() {
        assert_eq!(
            Day::parse("2025-10-01").unwrap(),
            Day::from_ymd(2025, 10, 1)
        );
        assert_eq!(Day::parse("2025-10-01").unwrap().to_string(), "2025-10-01");
        assert!(Day::parse("2025-10-01T00:00").is_err());
        assert!(Day::parse("yesterday").is_err());
    }
}

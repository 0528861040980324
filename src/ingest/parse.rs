//! Value parsing at ingest: text to money and quantities, text and Parquet timestamps to UTC
//! microseconds, null literals, account ids, and tag maps from flat columns or JSON text.
//!
//! Each parser runs as a polars column function inside the lazy plan, so it streams with
//! the scan. A value that cannot be parsed fails the query with a [`BadValue`] encoded in the
//! polars error; `ingest` decodes it and finds the row.

use polars::prelude::*;
use polars_arrow::array::{Array, Utf8ViewArray};

use crate::tags::build_map_column;

/// Text that means "no value" in some export: empty (CSV, AWS Parquet), `\N` (Hive text),
/// `NULL` (FOCUS CSV).
pub const NULL_LITERALS: [&str; 3] = ["", "\\N", "NULL"];

pub fn is_null_literal(s: &str) -> bool {
    NULL_LITERALS.contains(&s)
}

const MARK: char = '\u{1e}';
const SEP: char = '\u{1f}';

/// A value that failed to parse, carried through a `PolarsError`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadValue {
    pub file_id: u32,
    pub column: String,
    pub value: String,
    pub expected: &'static str,
}

impl BadValue {
    fn into_polars(self) -> PolarsError {
        PolarsError::ComputeError(
            format!(
                "{MARK}curlens-bad-value{SEP}{}{SEP}{}{SEP}{}{SEP}{}{MARK}",
                self.file_id, self.column, self.value, self.expected
            )
            .into(),
        )
    }

    /// Finds a `BadValue` in the text of a polars error, however deeply it was wrapped.
    pub fn from_polars(err: &PolarsError) -> Option<BadValue> {
        let text = err.to_string();
        let start = text.find(&format!("{MARK}curlens-bad-value{SEP}"))?;
        let body = &text[start + 1..];
        let body = &body[..body.find(MARK)?];
        let mut parts = body.split(SEP).skip(1);
        let file_id = parts.next()?.parse().ok()?;
        let column = parts.next()?.to_string();
        let value = parts.next()?.to_string();
        let expected = match parts.next()? {
            e if e.contains("money") => "a decimal number (money)",
            e if e.contains("quantity") => "a decimal number (quantity)",
            e if e.contains("timestamp") => "a timestamp such as 2025-10-01T00:00:00Z",
            e if e.contains("JSON") => "a JSON object of tags",
            _ => "a value",
        };
        Some(BadValue {
            file_id,
            column,
            value,
            expected,
        })
    }
}

/// Where a value came from, for error reporting.
#[derive(Clone, Debug)]
pub struct Origin {
    pub file_id: u32,
    pub column: String,
}

impl Origin {
    fn bad(&self, value: &str, expected: &'static str) -> PolarsError {
        BadValue {
            file_id: self.file_id,
            column: self.column.clone(),
            value: value.chars().take(80).collect(),
            expected,
        }
        .into_polars()
    }
}

/// Parses decimal text (`12.5`, `1.46E-8`, `-3`) to f64; null literals give null.
pub fn parse_number(
    column: &Column,
    origin: &Origin,
    expected: &'static str,
) -> PolarsResult<Column> {
    let ca = column.str()?;
    let mut out: Vec<Option<f64>> = Vec::with_capacity(ca.len());
    for value in ca.iter() {
        out.push(match value.map(str::trim) {
            None => None,
            Some(s) if is_null_literal(s) => None,
            Some(s) => Some(parse_finite(s).ok_or_else(|| origin.bad(s, expected))?),
        });
    }
    Ok(Float64Chunked::from_iter_options(column.name().clone(), out.into_iter()).into_column())
}

fn parse_finite(s: &str) -> Option<f64> {
    let v: f64 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

/// Parses timestamp text to UTC microseconds. Accepts `2023-11-08T10:00:00.000Z`,
/// `2019-11-26 00:00:00`, `2025-10-01T00:00:00+02:00`, `2025-10-01T00:00Z` and `2025-10-01`;
/// text without a zone is UTC, as AWS writes it.
pub fn parse_timestamp_text(column: &Column, origin: &Origin) -> PolarsResult<Column> {
    let ca = column.str()?;
    let mut out: Vec<Option<i64>> = Vec::with_capacity(ca.len());
    for value in ca.iter() {
        out.push(match value.map(str::trim) {
            None => None,
            Some(s) if is_null_literal(s) => None,
            Some(s) => Some(
                parse_timestamp_micros(s)
                    .ok_or_else(|| origin.bad(s, "a timestamp such as 2025-10-01T00:00:00Z"))?,
            ),
        });
    }
    let micros = Int64Chunked::from_iter_options(column.name().clone(), out.into_iter());
    Ok(micros
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_column())
}

/// Re-labels a Parquet timestamp or date as `Datetime(us, UTC)`. Timestamps without a zone
/// are taken as UTC (AWS writes UTC); zoned ones keep their instant.
pub fn timestamp_to_utc(column: &Column) -> PolarsResult<Column> {
    let physical = match column.dtype() {
        DataType::Datetime(unit, _) => {
            let raw = column.to_physical_repr();
            let factor = match unit {
                TimeUnit::Nanoseconds => return nanos_to_micros(&raw),
                TimeUnit::Microseconds => 1,
                TimeUnit::Milliseconds => 1_000,
            };
            (raw.as_materialized_series().i64()? * factor).into_column()
        }
        _ => column
            .cast(&DataType::Datetime(TimeUnit::Microseconds, None))?
            .to_physical_repr(),
    };
    Ok(physical
        .i64()?
        .clone()
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_column())
}

fn nanos_to_micros(raw: &Column) -> PolarsResult<Column> {
    let micros = raw
        .as_materialized_series()
        .i64()?
        .apply_values(|v| v.div_euclid(1_000));
    Ok(micros
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_column())
}

/// Parses one timestamp to microseconds since the epoch, UTC.
pub fn parse_timestamp_micros(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        digits.iter().try_fold(0i64, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
        })
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut micros = days_from_civil(year, month, day) * 86_400_000_000;
    let mut rest = &b[10..];
    if rest.is_empty() {
        return Some(micros);
    }
    if !matches!(rest[0], b'T' | b' ') || rest.len() < 6 || rest[3] != b':' {
        return None;
    }
    let (hour, minute) = (num(11..13)?, num(14..16)?);
    let mut second = 0;
    rest = &rest[6..];
    if rest.first() == Some(&b':') {
        second = num(17..19)?;
        rest = &rest[3..];
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    micros += ((hour * 60 + minute) * 60 + second) * 1_000_000;
    if rest.first() == Some(&b'.') {
        let digits = rest[1..].iter().take_while(|d| d.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let frac = &rest[1..1 + digits];
        let mut value = 0i64;
        for (i, d) in frac.iter().take(6).enumerate() {
            value += i64::from(d - b'0') * 10i64.pow(5 - i as u32);
        }
        micros += value;
        rest = &rest[1 + digits..];
    }
    micros -= zone_offset_micros(rest)?;
    Some(micros)
}

/// `""`, `Z`, `+hh:mm`, `-hhmm`, `+hh` → the zone's offset from UTC.
fn zone_offset_micros(zone: &[u8]) -> Option<i64> {
    let zone = std::str::from_utf8(zone).ok()?.trim();
    if zone.is_empty() || zone == "Z" || zone.eq_ignore_ascii_case("UTC") {
        return Some(0);
    }
    let sign = match zone.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i64>().ok()?, 0),
        4 => (
            digits[..2].parse::<i64>().ok()?,
            digits[2..].parse::<i64>().ok()?,
        ),
        _ => return None,
    };
    Some(sign * (h * 60 + m) * 60_000_000)
}

pub use crate::calendar::days_from_civil;
use crate::calendar::days_in_month;

/// Maps null literals in text to null.
pub fn clean_text(column: &Column) -> PolarsResult<Column> {
    let ca = column.str()?;
    if !ca.downcast_iter().any(has_null_literal) {
        return Ok(column.clone());
    }
    let cleaned: StringChunked = ca
        .iter()
        .map(|v| v.filter(|s| !is_null_literal(s)))
        .collect();
    Ok(cleaned.with_name(column.name().clone()).into_column())
}

/// Whether any valid value of `array` is a null literal. Reads only the string views: a
/// null literal is at most 4 bytes long, so its length and inline prefix decide, and the
/// common case (no literal) never touches the string data.
fn has_null_literal(array: &Utf8ViewArray) -> bool {
    let literal_prefixes: [(u32, u32); 3] = NULL_LITERALS.map(|l| {
        let mut prefix = [0u8; 4];
        prefix[..l.len()].copy_from_slice(l.as_bytes());
        (l.len() as u32, u32::from_le_bytes(prefix))
    });
    let is_literal = |length: u32, view_prefix: u32| {
        literal_prefixes
            .iter()
            .any(|&(len, prefix)| length == len && (len == 0 || view_prefix == prefix))
    };
    array.views().iter().enumerate().any(|(i, view)| {
        view.length <= 4 && is_literal(view.length, view.prefix) && array.is_valid(i)
    })
}

/// Integer account ids lose their leading zeros; pad them back to AWS's 12 digits.
pub fn account_id_from_integer(column: &Column) -> PolarsResult<Column> {
    let ints = column.cast(&DataType::Int64)?;
    let padded: StringChunked = ints
        .i64()?
        .iter()
        .map(|v| v.map(|v| format!("{v:012}")))
        .collect();
    Ok(padded.with_name(column.name().clone()).into_column())
}

/// Folds flat tag columns into one map column. `keys[i]` is the display key of `columns[i]`.
pub fn map_from_flat_columns(columns: &[Column], keys: &[String]) -> PolarsResult<Column> {
    let len = columns.first().map_or(0, Column::len);
    let cas = columns
        .iter()
        .map(|c| c.str())
        .collect::<PolarsResult<Vec<_>>>()?;
    let mut iters: Vec<_> = cas.iter().map(|ca| ca.iter()).collect();
    let rows = (0..len).map(|_| {
        iters
            .iter_mut()
            .zip(keys)
            .filter_map(|(it, key)| {
                let value = it.next().flatten()?;
                (!is_null_literal(value)).then_some((key.as_str(), value))
            })
            .collect::<Vec<_>>()
    });
    Ok(build_map_column("tags".into(), rows)?.into_column())
}

/// Parses a JSON object per row (`{"env": "dev"}`) into a map column; null literals give an
/// empty map. Non-string JSON values are kept as their JSON text.
pub fn map_from_json(column: &Column, origin: &Origin) -> PolarsResult<Column> {
    let ca = column.str()?;
    let mut parsed: Vec<Vec<(String, String)>> = Vec::with_capacity(ca.len());
    for value in ca.iter() {
        let Some(text) = value.map(str::trim).filter(|s| !is_null_literal(s)) else {
            parsed.push(Vec::new());
            continue;
        };
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|_| origin.bad(text, "a JSON object of tags"))?;
        parsed.push(
            object
                .into_iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => (k, s),
                    other => (k, other.to_string()),
                })
                .collect(),
        );
    }
    let rows = parsed
        .iter()
        .map(|row| row.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect());
    Ok(build_map_column(column.name().clone(), rows)?.into_column())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            file_id: 3,
            column: "lineItem/UnblendedCost".into(),
        }
    }

    #[test]
    fn timestamps_in_every_aws_spelling() {
        let base = 1_699_437_600_000_000; // 2023-11-08T10:00:00Z
        assert_eq!(
            parse_timestamp_micros("2023-11-08T10:00:00.000Z"),
            Some(base)
        );
        assert_eq!(parse_timestamp_micros("2023-11-08T10:00:00Z"), Some(base));
        assert_eq!(parse_timestamp_micros("2023-11-08 10:00:00"), Some(base));
        assert_eq!(parse_timestamp_micros("2023-11-08T10:00Z"), Some(base));
        assert_eq!(
            parse_timestamp_micros("2023-11-08T12:00:00+02:00"),
            Some(base)
        );
        assert_eq!(
            parse_timestamp_micros("2023-11-08T10:00:00.5Z"),
            Some(base + 500_000)
        );
        assert_eq!(
            parse_timestamp_micros("2023-11-08"),
            Some(base - 36_000_000_000)
        );
        for bad in [
            "2023-13-01",
            "2023-02-30",
            "08/11/2023",
            "2023-11-08X10",
            "2023-11-08T25:00:00",
        ] {
            assert_eq!(parse_timestamp_micros(bad), None, "{bad}");
        }
    }

    #[test]
    fn numbers_with_scientific_notation_and_null_literals() -> PolarsResult<()> {
        let c = Column::new("c".into(), ["1.46E-8", "", "\\N", "NULL", " -3 ", "12.5"]);
        let got: Vec<Option<f64>> = parse_number(&c, &origin(), "a decimal number (money)")?
            .f64()?
            .iter()
            .collect();
        assert_eq!(
            got,
            [Some(1.46e-8), None, None, None, Some(-3.0), Some(12.5)]
        );
        Ok(())
    }

    #[test]
    fn unparsable_number_carries_its_origin() {
        let c = Column::new("c".into(), ["1.0", "12,50"]);
        let err = parse_number(&c, &origin(), "a decimal number (money)").unwrap_err();
        let bad = BadValue::from_polars(&err).expect("decodable");
        assert_eq!(
            bad,
            BadValue {
                file_id: 3,
                column: "lineItem/UnblendedCost".into(),
                value: "12,50".into(),
                expected: "a decimal number (money)"
            }
        );
        let inf = Column::new("c".into(), ["inf"]);
        assert!(parse_number(&inf, &origin(), "a decimal number (money)").is_err());
    }

    #[test]
    fn null_literals_in_text_become_null() -> PolarsResult<()> {
        let c = Column::new(
            "t".into(),
            [
                Some("a"),
                Some(""),
                Some("\\N"),
                Some("NULL"),
                Some("NULLS"),
                None,
                Some("\\Nx"),
            ],
        );
        let cleaned = clean_text(&c)?;
        let got: Vec<Option<&str>> = cleaned.str()?.iter().collect();
        assert_eq!(
            got,
            [
                Some("a"),
                None,
                None,
                None,
                Some("NULLS"),
                None,
                Some("\\Nx")
            ]
        );
        let clean = Column::new("t".into(), [Some("a"), None, Some("a long value here")]);
        assert!(!clean.str()?.downcast_iter().any(has_null_literal));
        Ok(())
    }

    #[test]
    fn integer_account_ids_are_zero_padded() -> PolarsResult<()> {
        let c = Column::new("a".into(), [11_254_002_932i64]);
        let got = account_id_from_integer(&c)?;
        assert_eq!(got.str()?.get(0), Some("011254002932"));
        Ok(())
    }

    #[test]
    fn json_tags_become_a_map() -> PolarsResult<()> {
        let c = Column::new("Tags".into(), [r#"{"env": "dev", "n": 3}"#, "NULL"]);
        let map = map_from_json(&c, &origin())?;
        let env = crate::tags::map_lookup(&map, "env")?;
        assert_eq!(env.str()?.get(0), Some("dev"));
        assert_eq!(env.str()?.get(1), None);
        let n = crate::tags::map_lookup(&map, "n")?;
        assert_eq!(n.str()?.get(0), Some("3"));
        Ok(())
    }
}

//! Per-file plans: scan one file lazily and project it onto the canonical schema, with the
//! right parser for each column's source type. Only the canonical columns a later stage
//! selects are read, because polars pushes the projection down through this `select`.

use std::collections::HashMap;
use std::sync::Arc;

use polars::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::format::{Detection, SourceFormat, detect};
use crate::ingest::discover::InputFile;
use crate::ingest::parse::{self, NULL_LITERALS, Origin};
use crate::ingest::sniff::{Container, sniff};
use crate::schema::{COLUMNS, CanonicalColumn, FILE_ID, Kind, Source, map_dtype, timestamp_dtype};
use crate::tags::display_key_from_column;

/// One input file, understood: its container, format, and how its columns map.
#[derive(Clone, Debug, Serialize)]
pub struct FilePlan {
    pub file_id: u32,
    pub input: InputFile,
    pub container: Container,
    pub format: SourceFormat,
    pub evidence: String,
    /// `(canonical column, source column)`, in canonical order.
    pub mapped: Vec<(String, String)>,
    /// Source columns that no canonical column reads.
    pub unmapped: Vec<String>,
    /// Whether rows carry `line_item_id` and `time_interval`, so duplicates can be found.
    pub keyed: bool,
    #[serde(skip)]
    pub source_columns: Vec<(String, DataType)>,
}

impl FilePlan {
    pub fn path_display(&self) -> String {
        self.input.path.display().to_string()
    }
}

/// Scans `input` lazily in its own column names and types.
pub fn scan_source(input: &InputFile, container: &Container) -> Result<LazyFrame> {
    let path = PlRefPath::new(input.path.to_string_lossy().as_ref());
    match container {
        Container::Parquet => {
            LazyFrame::scan_parquet(path, ScanArgsParquet::default()).map_err(|e| {
                Error::CorruptParquet {
                    path: input.path.display().to_string(),
                    detail: e.to_string(),
                }
            })
        }
        Container::Text {
            separator,
            quoted,
            header,
            has_header,
            ..
        } => {
            let schema: Schema = unique_names(header)
                .into_iter()
                .map(|n| Field::new(n.into(), DataType::String))
                .collect();
            let nulls = NULL_LITERALS.iter().map(|s| PlSmallStr::from(*s)).collect();
            LazyCsvReader::new(path)
                .with_separator(*separator)
                .with_quote_char(quoted.then_some(b'"'))
                .with_has_header(*has_header)
                .with_schema(Some(Arc::new(schema)))
                .with_null_values(Some(NullValues::AllColumns(nulls)))
                .with_raise_if_empty(false)
                .finish()
                .map_err(Error::polars(format!(
                    "{}: cannot scan",
                    input.path.display()
                )))
        }
    }
}

/// Makes header names unique (`a`, `a` → `a`, `a_2`) so polars accepts them.
fn unique_names(header: &[String]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    header
        .iter()
        .map(|name| {
            let name = name.trim().to_string();
            let n = seen.entry(name.clone()).or_insert(0);
            *n += 1;
            if *n == 1 { name } else { format!("{name}_{n}") }
        })
        .collect()
}

/// Sniffs, scans and detects `input`, and builds its projection onto the canonical schema.
pub fn plan_file(
    file_id: u32,
    input: &InputFile,
    header_sets: &[Vec<String>],
) -> Result<(FilePlan, LazyFrame)> {
    let container = sniff(&input.path, header_sets)?;
    let mut lf = scan_source(input, &container)?;
    let path = input.path.display().to_string();
    let schema = lf.collect_schema().map_err(|e| match container {
        Container::Parquet => Error::CorruptParquet {
            path: path.clone(),
            detail: e.to_string(),
        },
        _ => Error::Polars {
            context: format!("{path}: cannot read the header"),
            source: e,
        },
    })?;
    let columns: Vec<(String, DataType)> = schema
        .iter()
        .map(|(n, t)| (n.to_string(), t.clone()))
        .collect();
    let Detection { format, evidence } =
        detect(&columns).map_err(|reason| Error::UnknownFormat {
            path: path.clone(),
            reason,
        })?;
    let resolver = Resolver {
        file_id,
        path: &path,
        format,
        columns: &columns,
        input,
    };
    let mut mapped = Vec::new();
    let mut exprs = vec![lit(file_id).cast(DataType::UInt32).alias(FILE_ID)];
    for canonical in COLUMNS {
        let (expr, used) = resolver.resolve(canonical)?;
        exprs.push(expr.alias(canonical.name));
        for source in used {
            mapped.push((canonical.name.to_string(), source));
        }
    }
    let used: std::collections::HashSet<&str> = mapped.iter().map(|(_, s)| s.as_str()).collect();
    let unmapped = columns
        .iter()
        .map(|(n, _)| n.clone())
        .filter(|n| !used.contains(n.as_str()))
        .collect();
    let keyed = ["line_item_id", "time_interval"]
        .iter()
        .all(|c| mapped.iter().any(|(canonical, _)| canonical == c));
    let plan = FilePlan {
        file_id,
        input: input.clone(),
        container,
        format,
        evidence,
        mapped,
        unmapped,
        keyed,
        source_columns: columns,
    };
    Ok((plan, lf.select(exprs)))
}

struct Resolver<'a> {
    file_id: u32,
    path: &'a str,
    format: SourceFormat,
    columns: &'a [(String, DataType)],
    input: &'a InputFile,
}

impl Resolver<'_> {
    fn find(&self, name: &str) -> Option<&(String, DataType)> {
        self.columns
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// The expression for `canonical` and the source columns it reads.
    fn resolve(&self, canonical: &CanonicalColumn) -> Result<(Expr, Vec<String>)> {
        let resolved = match canonical.source(self.format) {
            Source::Absent => None,
            Source::Literal(v) => Some((lit(v), Vec::new())),
            Source::Columns(names) => self.first_present(canonical, names)?,
            Source::MapKey(map, key, names) => match self.first_present(canonical, names)? {
                Some(found) => Some(found),
                None => self.map_key(map, key),
            },
            Source::Prefixed(prefix) => self.map_column(canonical, prefix)?,
        };
        if let Some(found) = resolved {
            return Ok(found);
        }
        if canonical.required {
            return Err(self.missing(canonical));
        }
        if canonical.name == "billing_period_start" {
            return Ok((self.billing_period_fallback(), Vec::new()));
        }
        Ok((lit(NULL).cast(canonical.kind.dtype()), Vec::new()))
    }

    fn first_present(
        &self,
        canonical: &CanonicalColumn,
        names: &[&str],
    ) -> Result<Option<(Expr, Vec<String>)>> {
        let Some((name, dtype)) = names.iter().find_map(|n| self.find(n)) else {
            return Ok(None);
        };
        let expr = self.convert(canonical.kind, name, dtype)?;
        Ok(Some((expr, vec![name.clone()])))
    }

    fn origin(&self, column: &str) -> Origin {
        Origin {
            file_id: self.file_id,
            column: column.to_string(),
        }
    }

    /// Converts source column `name` of type `dtype` to the canonical `kind`.
    fn convert(&self, kind: Kind, name: &str, dtype: &DataType) -> Result<Expr> {
        let source = col(name);
        let wrong_type = || Error::ColumnType {
            path: self.path.to_string(),
            column: name.to_string(),
            found: dtype.to_string(),
            expected: kind.expectation(),
        };
        let origin = self.origin(name);
        let expr = match (kind, dtype) {
            (Kind::Text | Kind::AccountId, DataType::String) => {
                source.map(|c| parse::clean_text(&c), |_, f| Ok(f.clone()))
            }
            (Kind::AccountId, t) if t.is_integer() => source.map(
                |c| parse::account_id_from_integer(&c),
                |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
            ),
            (Kind::Text, t) if t.is_primitive_numeric() || t.is_bool() => {
                source.cast(DataType::String)
            }
            (Kind::Money | Kind::Quantity, DataType::String) => {
                let expected = kind.expectation();
                source.map(
                    move |c| parse::parse_number(&c, &origin, expected),
                    |_, f| Ok(Field::new(f.name().clone(), DataType::Float64)),
                )
            }
            (Kind::Money | Kind::Quantity, t) if t.is_primitive_numeric() || t.is_decimal() => {
                source.cast(DataType::Float64)
            }
            (Kind::Timestamp, DataType::String) => source.map(
                move |c| parse::parse_timestamp_text(&c, &origin),
                |_, f| Ok(Field::new(f.name().clone(), timestamp_dtype())),
            ),
            (Kind::Timestamp, DataType::Datetime(..) | DataType::Date) => source.map(
                |c| parse::timestamp_to_utc(&c),
                |_, f| Ok(Field::new(f.name().clone(), timestamp_dtype())),
            ),
            (Kind::Map, t) if is_map(t) => source,
            (Kind::Map, DataType::String) => source.map(
                move |c| parse::map_from_json(&c, &origin),
                |_, f| Ok(Field::new(f.name().clone(), map_dtype())),
            ),
            _ => return Err(wrong_type()),
        };
        Ok(expr)
    }

    fn map_key(&self, map: &str, key: &'static str) -> Option<(Expr, Vec<String>)> {
        let (name, dtype) = self.find(map)?;
        if !is_map(dtype) {
            return None;
        }
        let wanted = crate::tags::normalize_key(key);
        let expr = col(name.as_str()).map(
            move |c| crate::tags::map_lookup(&c, &wanted),
            |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
        );
        Some((expr, vec![name.clone()]))
    }

    /// A map column: the MAP or JSON column named `prefix`, or flat columns `prefix*`.
    fn map_column(
        &self,
        canonical: &CanonicalColumn,
        prefix: &str,
    ) -> Result<Option<(Expr, Vec<String>)>> {
        if let Some((name, dtype)) = self.find(prefix) {
            let expr = self.convert(canonical.kind, name, dtype)?;
            return Ok(Some((expr, vec![name.clone()])));
        }
        let flat: Vec<&String> = self
            .columns
            .iter()
            .map(|(n, _)| n)
            .filter(|n| n.len() > prefix.len() && n.starts_with(prefix))
            .collect();
        if flat.is_empty() {
            return Ok(None);
        }
        let keys: Vec<String> = flat
            .iter()
            .map(|n| display_key_from_column(n, prefix))
            .collect();
        let inputs: Vec<Expr> = flat
            .iter()
            .map(|n| col(n.as_str()).cast(DataType::String))
            .collect();
        let expr = inputs[0].clone().map_many(
            move |cols: &mut [Column]| parse::map_from_flat_columns(cols, &keys),
            &inputs[1..],
            |_, f| Ok(Field::new(f[0].name().clone(), map_dtype())),
        );
        Ok(Some((expr, flat.into_iter().cloned().collect())))
    }

    /// Without a billing-period column: the `BILLING_PERIOD=` / `year=/month=` partition of
    /// the path, else the month of `usage_start`.
    fn billing_period_fallback(&self) -> Expr {
        if let Some((year, month)) = self.input.partition_billing_period()
            && (1..=12).contains(&month)
        {
            let days = parse::days_from_civil(i64::from(year), i64::from(month), 1);
            return lit(days * 86_400_000_000).cast(timestamp_dtype());
        }
        let start_col = COLUMNS
            .iter()
            .find(|c| c.name == "usage_start")
            .and_then(|c| match c.source(self.format) {
                Source::Columns(names) => names.iter().find_map(|n| self.find(n)),
                _ => None,
            });
        match start_col {
            Some((name, dtype)) => self
                .convert(Kind::Timestamp, name, dtype)
                .map(|e| e.dt().truncate(lit("1mo")))
                .unwrap_or_else(|_| lit(NULL).cast(timestamp_dtype())),
            None => lit(NULL).cast(timestamp_dtype()),
        }
    }

    fn missing(&self, canonical: &CanonicalColumn) -> Error {
        let wanted = match canonical.source(self.format) {
            Source::Columns(names) | Source::MapKey(_, _, names) => {
                names.first().copied().unwrap_or(canonical.name)
            }
            _ => canonical.name,
        };
        let closest = closest_names(wanted, self.columns.iter().map(|(n, _)| n.as_str()));
        Error::MissingColumn {
            path: self.path.to_string(),
            format: self.format.label().to_string(),
            column: wanted.to_string(),
            canonical: canonical.name,
            closest: if closest.is_empty() {
                String::new()
            } else {
                format!("; closest names present: {}", closest.join(", "))
            },
        }
    }
}

fn is_map(dtype: &DataType) -> bool {
    match dtype {
        DataType::List(inner) => matches!(inner.as_ref(), DataType::Struct(fields)
            if fields.len() == 2 && fields.iter().all(|f| f.dtype() == &DataType::String)),
        _ => false,
    }
}

/// Up to three names closest to `wanted` by edit distance (case-insensitive), closest first.
pub fn closest_names<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let wanted = wanted.to_ascii_lowercase();
    let mut scored: Vec<(usize, &str)> = names
        .map(|n| (edit_distance(&wanted, &n.to_ascii_lowercase()), n))
        .filter(|(d, _)| *d <= (wanted.len() / 3).max(2))
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, n)| format!("`{n}`"))
        .collect()
}

pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_names_rank_by_edit_distance() {
        let names = [
            "lineItem/UnblendedRate",
            "lineItem/BlendedCost",
            "product/sku",
        ];
        let got = closest_names("lineItem/UnblendedCost", names.into_iter());
        assert_eq!(got[0], "`lineItem/BlendedCost`");
        assert!(got.contains(&"`lineItem/UnblendedRate`".to_string()));
        assert!(!got.contains(&"`product/sku`".to_string()));
    }

    #[test]
    fn duplicate_header_names_are_suffixed() {
        let got = unique_names(&["a".into(), "b".into(), "a".into()]);
        assert_eq!(got, ["a", "b", "a_2"]);
    }
}

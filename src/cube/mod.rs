//! The cost cube: the input reduced to period × currency × chosen dimensions × metrics.
//!
//! Its definition is declarative — key columns from [`Dimension`], one [`E`](expr::E)
//! expression per [`Metric`] — so the same cube is also emitted as SQL ([`sql`]) for engines
//! that sit where large exports live. Two engines compute it ([`Engine`]): a Parquet path
//! (`native`) that pre-aggregates typed Parquet in batches, finished by the frame engine,
//! and one streaming group-by over the canonical frame for every other input.
//!
//! Money is summed exactly and deterministically: each value is split into whole
//! nano-units, summed as i64 (associative, so thread count and batch order cannot change
//! the result), and a sub-nano remainder summed in f64.
//!
//! Currency is always a key: amounts in different currencies are never added together.

pub mod dimension;
pub mod expr;
pub mod filter;
pub mod metric;
mod native;
pub mod sql;

use std::path::Path;

use polars::chunked_array::ops::arity::unary_elementwise_values;
use polars::prelude::*;
use serde::Serialize;

pub use dimension::Dimension;
pub use filter::{Condition, Day, Filters};
pub use metric::Metric;

use crate::error::{Error, Result};
use crate::ingest::{self, Load};

/// The time bucket of a cube row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Granularity {
    Hour,
    Day,
    Week,
    Month,
    Total,
}

impl Granularity {
    pub const ALL: [Granularity; 5] = [
        Granularity::Hour,
        Granularity::Day,
        Granularity::Week,
        Granularity::Month,
        Granularity::Total,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Granularity::Hour => "hour",
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
            Granularity::Total => "total",
        }
    }

    pub fn parse(text: &str) -> Result<Granularity> {
        let wanted = text.trim().to_ascii_lowercase();
        Granularity::ALL
            .into_iter()
            .find(|g| {
                g.name() == wanted
                    || (wanted == "hourly" && *g == Granularity::Hour)
                    || (wanted == "daily" && *g == Granularity::Day)
            })
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "unknown granularity `{text}`; valid: hour, day, week, month, total"
                ))
            })
    }

    /// The start of the period as UTC microseconds (0 for the whole range).
    fn period_expr(self) -> Expr {
        let every = match self {
            Granularity::Hour => "1h",
            Granularity::Day => "1d",
            Granularity::Week => "1w",
            Granularity::Month => "1mo",
            Granularity::Total => return lit(0i64).cast(DataType::Int64).alias(PERIOD),
        };
        col("usage_start")
            .dt()
            .truncate(lit(every))
            .dt()
            .timestamp(TimeUnit::Microseconds)
            .alias(PERIOD)
    }

    /// How a period start reads: `2025-10-01T13:00Z`, `2025-10-01`, `2025-W42`, `2025-10`.
    pub fn label(self, period_start_micros: i64) -> String {
        let day = period_start_micros.div_euclid(86_400_000_000);
        let (y, m, d) = crate::inspect::civil_from_days(day);
        match self {
            Granularity::Hour => {
                let hour = period_start_micros.rem_euclid(86_400_000_000) / 3_600_000_000;
                format!("{y:04}-{m:02}-{d:02}T{hour:02}:00Z")
            }
            Granularity::Day => format!("{y:04}-{m:02}-{d:02}"),
            Granularity::Week => iso_week_label(day),
            Granularity::Month => format!("{y:04}-{m:02}"),
            Granularity::Total => "total".to_string(),
        }
    }
}

/// `2025-W42` for the ISO week containing `day` (days since 1970-01-01).
pub fn iso_week_label(day: i64) -> String {
    let weekday = (day + 3).rem_euclid(7); // Monday = 0
    let thursday = day - weekday + 3;
    let (year, _, _) = crate::inspect::civil_from_days(thursday);
    let jan1 = crate::ingest::parse::days_from_civil(year, 1, 1);
    let week = (thursday - jan1) / 7 + 1;
    format!("{year:04}-W{week:02}")
}

/// Column names in cube frames.
pub const PERIOD: &str = "period";
pub const CURRENCY: &str = "currency";
pub const ROWS: &str = "rows";

/// What to aggregate.
#[derive(Clone, Debug)]
pub struct CubeSpec {
    pub dimensions: Vec<Dimension>,
    pub granularity: Granularity,
    pub metrics: Vec<Metric>,
    pub filters: Filters,
}

impl CubeSpec {
    /// The daily cube every analysis reads: all metrics by day and these dimensions.
    pub fn daily(dimensions: Vec<Dimension>) -> CubeSpec {
        CubeSpec {
            dimensions,
            granularity: Granularity::Day,
            metrics: Metric::ALL.to_vec(),
            filters: Filters::default(),
        }
    }

    /// Key columns of the result, in order: period, currency, dimensions.
    pub fn key_columns(&self) -> Vec<String> {
        let mut keys = vec![PERIOD.to_string(), CURRENCY.to_string()];
        keys.extend(
            self.dimensions
                .iter()
                .filter(|d| **d != Dimension::Currency)
                .map(Dimension::name),
        );
        keys
    }
}

/// An aggregated cube: `period` (UTC µs), `currency`, one text column per dimension, one f64
/// column per metric, `rows`; sorted by the keys.
#[derive(Clone, Debug)]
pub struct Cube {
    pub spec: CubeSpec,
    pub frame: DataFrame,
}

impl Cube {
    fn column(&self, name: &str) -> Result<&Column> {
        self.frame
            .column(name)
            .map_err(|e| Error::Internal(format!("cube column `{name}`: {e}")))
    }

    /// Period starts, UTC microseconds.
    pub fn periods(&self) -> Result<Int64Chunked> {
        let c = self.column(PERIOD)?;
        c.i64()
            .cloned()
            .map_err(|e| Error::Internal(format!("cube periods: {e}")))
    }

    /// A text key column: `currency` or a dimension's name.
    pub fn text(&self, name: &str) -> Result<StringChunked> {
        let c = self.column(name)?;
        c.str()
            .cloned()
            .map_err(|e| Error::Internal(format!("cube column `{name}`: {e}")))
    }

    pub fn values(&self, metric: Metric) -> Result<Float64Chunked> {
        let c = self.column(metric.column())?;
        c.f64()
            .cloned()
            .map_err(|e| Error::Internal(format!("cube metric `{metric}`: {e}")))
    }

    pub fn line_items(&self) -> Result<UInt64Chunked> {
        let c = self.column(ROWS)?;
        c.u64()
            .cloned()
            .map_err(|e| Error::Internal(format!("cube rows: {e}")))
    }
}

const NANO: f64 = 1e9;

/// Aggregates the canonical rows of `load`.
pub fn aggregate(load: &Load, spec: &CubeSpec) -> Result<Cube> {
    aggregate_on(load, spec, Engine::Auto)
}

/// Which engine computes a cube.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    /// The Parquet path where it applies (typed Parquet inputs), else the frame engine.
    #[default]
    Auto,
    /// The frame engine (polars' streaming engine) for every input.
    Frame,
    /// The Parquet path, or an error saying why it does not apply.
    Parquet,
}

impl Engine {
    pub fn parse(text: &str) -> Result<Engine> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Engine::Auto),
            "frame" | "polars" => Ok(Engine::Frame),
            "parquet" => Ok(Engine::Parquet),
            _ => Err(Error::Invalid(format!(
                "unknown engine `{text}`; valid: auto, frame, parquet"
            ))),
        }
    }
}

/// [`aggregate`] on a chosen engine; both give the same cube.
pub fn aggregate_on(load: &Load, spec: &CubeSpec, engine: Engine) -> Result<Cube> {
    let frame = cube_frame(load, spec, engine)?;
    let cube = Cube {
        spec: spec.clone(),
        frame,
    };
    check_tag_keys(load, &cube)?;
    check_date_range(load, &cube)?;
    Ok(cube)
}

/// The cube's frame: pre-aggregated on the Parquet path and finished by the frame engine,
/// or computed by the frame engine from the rows.
fn cube_frame(load: &Load, spec: &CubeSpec, engine: Engine) -> Result<DataFrame> {
    if engine != Engine::Frame {
        match native::pre_aggregate(load, spec)? {
            native::Outcome::Done(pre) => {
                return finish_pre_aggregated(pre, spec)
                    .collect()
                    .map_err(Error::polars("finishing the cube"));
            }
            native::Outcome::NotApplicable(reason) if engine == Engine::Parquet => {
                return Err(Error::Invalid(format!(
                    "the Parquet engine does not apply: {reason}"
                )));
            }
            native::Outcome::NotApplicable(_) => {}
        }
    }
    ingest::collect(plan(load, spec), load)
}

/// The lazy plan [`aggregate`] runs on the frame engine: filter, key and metric
/// expressions, exact sums.
pub fn plan(load: &Load, spec: &CubeSpec) -> LazyFrame {
    let values: Vec<Expr> = spec
        .metrics
        .iter()
        .map(|m| m.definition().to_polars().alias(m.column()))
        .collect();
    exact_sums(keyed(load.frame.clone(), spec, values), spec, len())
}

/// The same cube from rows already summed per period and canonical input (the Parquet
/// path): the same filter and key expressions, the sums of the split metric columns.
fn finish_pre_aggregated(pre: DataFrame, spec: &CubeSpec) -> LazyFrame {
    let mut values = vec![col(ROWS)];
    for m in &spec.metrics {
        values.push(col(units_column(m.column())));
        values.push(col(rest_column(m.column())));
    }
    summed(keyed(pre.lazy(), spec, values), spec, col(ROWS).sum())
}

/// `rows` filtered, with the period, currency and dimension keys, and `values`.
fn keyed(rows: LazyFrame, spec: &CubeSpec, values: Vec<Expr>) -> LazyFrame {
    let mut lf = rows;
    if let Some(predicate) = spec.filters.predicate() {
        lf = lf.filter(predicate);
    }
    let mut keys = vec![spec.granularity.period_expr(), Dimension::Currency.expr()];
    keys.extend(
        spec.dimensions
            .iter()
            .filter(|d| **d != Dimension::Currency)
            .map(|d| d.expr().alias(d.name())),
    );
    lf.select(keys.into_iter().chain(values).collect::<Vec<_>>())
}

/// The column of a metric's whole nano-units before they are summed.
pub(crate) fn units_column(metric_column: &str) -> String {
    format!("{metric_column}__units")
}

/// The column of a metric's sub-nano remainders before they are summed.
pub(crate) fn rest_column(metric_column: &str) -> String {
    format!("{metric_column}__rest")
}

/// Group by the key columns of `spec` and sum every metric exactly, from each metric's
/// split columns ([`units_column`], [`rest_column`]); `count` gives the row count.
fn summed(split: LazyFrame, spec: &CubeSpec, count: Expr) -> LazyFrame {
    let key_cols: Vec<Expr> = spec.key_columns().iter().map(|k| col(k.as_str())).collect();
    let mut sums = vec![count.cast(DataType::UInt64).alias(ROWS)];
    let mut combine = Vec::new();
    for m in &spec.metrics {
        let (units, rest) = (units_column(m.column()), rest_column(m.column()));
        sums.push(col(units.as_str()).sum());
        sums.push(col(rest.as_str()).sum());
        combine.push(
            (col(units.as_str()).cast(DataType::Float64) / lit(NANO) + col(rest.as_str()))
                .alias(m.column()),
        );
    }
    let mut out = key_cols.clone();
    out.extend(combine);
    out.push(col(ROWS));
    split
        .group_by(key_cols.clone())
        .agg(sums)
        .select(out)
        .sort_by_exprs(
            key_cols,
            SortMultipleOptions::default().with_maintain_order(true),
        )
}

/// Group by the key columns of `spec` and sum every metric column exactly.
fn exact_sums(rows: LazyFrame, spec: &CubeSpec, count: Expr) -> LazyFrame {
    let split: Vec<Expr> = spec
        .metrics
        .iter()
        .flat_map(|m| {
            let value = col(m.column());
            [
                nano_units(value.clone()).alias(units_column(m.column())),
                nano_rest(value).alias(rest_column(m.column())),
            ]
        })
        .collect();
    summed(rows.with_columns(split), spec, count)
}

/// The exact, order-independent sum of `value` as one aggregation expression (whole
/// nano-units as i64 plus the f64 sum of the remainders), for group-bys outside the cube.
pub fn exact_sum(value: Expr) -> Expr {
    nano_units(value.clone()).sum().cast(DataType::Float64) / lit(NANO) + nano_rest(value).sum()
}

/// Whole nano-units of a value: `round(v × 10^9)` (half away from zero) when `|v| < 10^9`,
/// else 0 (the whole value then goes to [`nano_rest`]). One pass, no intermediate columns.
fn nano_units(value: Expr) -> Expr {
    value.map(
        |c| {
            let values = c.cast(&DataType::Float64)?;
            let units: Int64Chunked = unary_elementwise_values(values.f64()?, units_of);
            Ok(units.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Int64)),
    )
}

/// What [`nano_units`] leaves: `v - units × 10^-9`, below half a nano-unit for `|v| < 10^9`.
/// Multiplying by the reciprocal, as polars' scalar division does, keeps every figure
/// identical to the earlier expression form of this split.
fn nano_rest(value: Expr) -> Expr {
    value.map(
        |c| {
            let values = c.cast(&DataType::Float64)?;
            let rest: Float64Chunked = unary_elementwise_values(values.f64()?, |v| split_nano(v).1);
            Ok(rest.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Float64)),
    )
}

/// A value split into whole nano-units and the remainder, as both engines sum it.
pub(crate) fn split_nano(v: f64) -> (i64, f64) {
    let units = units_of(v);
    (units, v - units as f64 * (1.0 / NANO))
}

fn units_of(v: f64) -> i64 {
    if v.abs() < 1e9 {
        (v * NANO).round() as i64
    } else {
        0
    }
}

/// Re-aggregates a cube to coarser periods or fewer dimensions, exactly.
pub fn rollup(cube: &Cube, spec: &CubeSpec) -> Result<Cube> {
    for d in &spec.dimensions {
        if *d != Dimension::Currency && !cube.spec.dimensions.contains(d) {
            return Err(Error::Invalid(format!(
                "the saved cube has no dimension `{d}`; it has: {}",
                cube.spec
                    .dimensions
                    .iter()
                    .map(Dimension::name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    if spec.granularity < cube.spec.granularity {
        return Err(Error::Invalid(format!(
            "the saved cube is by {}; it cannot be broken down by {}",
            cube.spec.granularity.name(),
            spec.granularity.name()
        )));
    }
    let mut lf = cube.frame.clone().lazy();
    if let Some(predicate) = cube_predicate(&spec.filters)? {
        lf = lf.filter(predicate);
    }
    let period = match spec.granularity {
        Granularity::Total => lit(0i64).cast(DataType::Int64).alias(PERIOD),
        g => col(PERIOD)
            .cast(DataType::Datetime(
                TimeUnit::Microseconds,
                Some(TimeZone::UTC),
            ))
            .dt()
            .truncate(lit(match g {
                Granularity::Hour => "1h",
                Granularity::Day => "1d",
                Granularity::Week => "1w",
                _ => "1mo",
            }))
            .dt()
            .timestamp(TimeUnit::Microseconds)
            .alias(PERIOD),
    };
    let mut select = vec![period, col(CURRENCY)];
    select.extend(
        spec.dimensions
            .iter()
            .filter(|d| **d != Dimension::Currency)
            .map(|d| col(d.name())),
    );
    select.extend(spec.metrics.iter().map(|m| col(m.column())));
    select.push(col(ROWS));
    let frame = exact_sums(lf.select(select), spec, col(ROWS).sum())
        .collect()
        .map_err(Error::polars("rolling up the cube"))?;
    Ok(Cube {
        spec: spec.clone(),
        frame,
    })
}

fn cube_predicate(filters: &Filters) -> Result<Option<Expr>> {
    if filters.is_empty() {
        return Ok(None);
    }
    let mut parts = Vec::new();
    for c in &filters.conditions {
        let value = col(c.dimension.name()).eq(lit(c.value.clone()));
        parts.push((c.dimension.name(), c.exclude, value));
    }
    let mut grouped: std::collections::BTreeMap<(String, bool), Expr> =
        std::collections::BTreeMap::new();
    for (name, exclude, e) in parts {
        grouped
            .entry((name, exclude))
            .and_modify(|acc| *acc = acc.clone().or(e.clone()))
            .or_insert(e);
    }
    let mut exprs: Vec<Expr> = grouped
        .into_iter()
        .map(|((_, exclude), e)| if exclude { e.not() } else { e })
        .collect();
    if let Some(from) = filters.from {
        exprs.push(col(PERIOD).gt_eq(lit(from.start_micros())));
    }
    if let Some(to) = filters.to {
        exprs.push(col(PERIOD).lt(lit(Day(to.0 + 1).start_micros())));
    }
    Ok(exprs.into_iter().reduce(|a, b| a.and(b)))
}

/// A tag dimension that matched no row at all is most likely a misspelt key.
fn check_tag_keys(load: &Load, cube: &Cube) -> Result<()> {
    for d in untagged_dimensions(cube)? {
        let map = map_of(d);
        let present = present_keys(load, map)?;
        let (Dimension::Tag(key) | Dimension::CostCategory(key)) = d else {
            continue;
        };
        let wanted = crate::tags::normalize_key(key);
        if present.contains(&wanted) {
            continue;
        }
        let listed = if present.is_empty() {
            "the data has no tags at all".to_string()
        } else {
            let names: Vec<&str> = present.iter().map(String::as_str).collect();
            format!(
                "keys present: {}",
                dimension::closest_first(&wanted, &names).join(", ")
            )
        };
        return Err(Error::Invalid(format!(
            "{} `{key}` is not in the data; {listed}",
            if map == "tags" {
                "tag key"
            } else {
                "cost category"
            }
        )));
    }
    Ok(())
}

/// A cube whose tag and cost-category keys need not all be in the data.
#[derive(Clone, Debug)]
pub struct LenientCube {
    pub cube: Cube,
    /// The tag and cost-category dimensions whose key no row carries (all `(untagged)`).
    pub absent_keys: Vec<Dimension>,
}

/// Like [`aggregate`], but a tag or cost-category key that no row carries is listed in
/// `absent_keys` instead of failing, and a date range that selects nothing gives an empty
/// cube instead of an error.
pub fn aggregate_allowing_absent_keys(load: &Load, spec: &CubeSpec) -> Result<LenientCube> {
    let frame = cube_frame(load, spec, Engine::Auto)?;
    let cube = Cube {
        spec: spec.clone(),
        frame,
    };
    let mut absent_keys = Vec::new();
    let mut present: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for d in untagged_dimensions(&cube)? {
        let map = map_of(d);
        if !present.contains_key(map) {
            present.insert(map, present_keys(load, map)?);
        }
        let (Dimension::Tag(key) | Dimension::CostCategory(key)) = d else {
            continue;
        };
        if !present[map].contains(&crate::tags::normalize_key(key)) {
            absent_keys.push(d.clone());
        }
    }
    Ok(LenientCube { cube, absent_keys })
}

/// The tag and cost-category dimensions of a non-empty cube whose every value is
/// `(untagged)`.
fn untagged_dimensions(cube: &Cube) -> Result<Vec<&Dimension>> {
    let mut out = Vec::new();
    if cube.frame.height() == 0 {
        return Ok(out);
    }
    for d in &cube.spec.dimensions {
        if !matches!(d, Dimension::Tag(_) | Dimension::CostCategory(_)) {
            continue;
        }
        let values = cube
            .frame
            .column(&d.name())
            .map_err(Error::polars("reading the cube"))?;
        let all_untagged = values
            .str()
            .map_err(Error::polars("reading the cube"))?
            .iter()
            .all(|v| v == Some(dimension::UNTAGGED));
        if all_untagged {
            out.push(d);
        }
    }
    Ok(out)
}

fn map_of(d: &Dimension) -> &'static str {
    if matches!(d, Dimension::Tag(_)) {
        "tags"
    } else {
        "cost_categories"
    }
}

/// The normalised keys present in a map column of the data, sorted, without repeats.
fn present_keys(load: &Load, map: &str) -> Result<Vec<String>> {
    let df = ingest::collect(load.frame.clone().select([col(map)]), load)?;
    let keys = crate::tags::distinct_keys(df.column(map).map_err(Error::polars("reading tags"))?)
        .map_err(Error::polars("reading tags"))?;
    let mut normalised: Vec<String> = keys.into_iter().map(|(_, n)| n).collect();
    normalised.dedup();
    Ok(normalised)
}

/// A date range that selects nothing gets the range the data covers.
fn check_date_range(load: &Load, cube: &Cube) -> Result<()> {
    let filters = &cube.spec.filters;
    if cube.frame.height() > 0 || (filters.from.is_none() && filters.to.is_none()) {
        return Ok(());
    }
    let df = ingest::collect(
        load.frame.clone().select([
            col("usage_start")
                .min()
                .dt()
                .timestamp(TimeUnit::Microseconds)
                .alias("first"),
            col("usage_start")
                .max()
                .dt()
                .timestamp(TimeUnit::Microseconds)
                .alias("last"),
        ]),
        load,
    )?;
    let get = |name: &str| {
        df.column(name)
            .ok()
            .and_then(|c| c.i64().ok().and_then(|c| c.get(0)))
    };
    let (Some(first), Some(last)) = (get("first"), get("last")) else {
        return Ok(());
    };
    let day = |micros: i64| Day(micros.div_euclid(86_400_000_000)).to_string();
    let range = |d: Option<Day>| d.map_or("…".to_string(), |d| d.to_string());
    Err(Error::Invalid(format!(
        "no data from {} to {}: the data covers {} to {}",
        range(filters.from),
        range(filters.to),
        day(first),
        day(last)
    )))
}

/// Writes a cube to Parquet, to be read back with [`read_cube`] instead of the raw export.
pub fn write_cube(cube: &Cube, path: &Path) -> Result<()> {
    let mut frame = cube.frame.clone();
    let granularity = Column::new_scalar(
        GRANULARITY_COLUMN.into(),
        Scalar::from(PlSmallStr::from(cube.spec.granularity.name())),
        frame.height(),
    );
    frame
        .with_column(granularity)
        .map_err(Error::polars("writing the cube"))?;
    crate::atomic::write_with(path, |file| {
        ParquetWriter::new(file)
            .finish(&mut frame)
            .map(|_| ())
            .map_err(std::io::Error::other)
    })
}

const GRANULARITY_COLUMN: &str = "cube_granularity";

/// Whether a Parquet file is a cube written by [`write_cube`].
pub fn is_cube_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "parquet")
        && LazyFrame::scan_parquet(
            PlRefPath::new(path.to_string_lossy().as_ref()),
            ScanArgsParquet::default(),
        )
        .and_then(|mut lf| lf.collect_schema())
        .is_ok_and(|s| s.contains(GRANULARITY_COLUMN) && s.contains(ROWS) && s.contains(PERIOD))
}

/// Reads a cube written by [`write_cube`].
pub fn read_cube(path: &Path) -> Result<Cube> {
    let display = path.display().to_string();
    let frame = LazyFrame::scan_parquet(
        PlRefPath::new(path.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .and_then(|lf| lf.collect())
    .map_err(|e| Error::CorruptParquet {
        path: display.clone(),
        detail: e.to_string(),
    })?;
    let granularity = frame
        .column(GRANULARITY_COLUMN)
        .ok()
        .and_then(|c| c.str().ok().and_then(|s| s.get(0).map(str::to_string)))
        .unwrap_or_else(|| "day".to_string());
    let granularity = Granularity::parse(&granularity)?;
    let mut dimensions = Vec::new();
    let mut metrics = Vec::new();
    for name in frame.get_column_names() {
        let name = name.as_str();
        if [PERIOD, CURRENCY, ROWS, GRANULARITY_COLUMN].contains(&name) {
            continue;
        }
        if let Some(m) = Metric::ALL.into_iter().find(|m| m.column() == name) {
            metrics.push(m);
        } else {
            dimensions.push(Dimension::parse(name).map_err(|_| {
                Error::Invalid(format!(
                    "{display}: unexpected column `{name}` in a cube file"
                ))
            })?);
        }
    }
    let frame = frame
        .drop(GRANULARITY_COLUMN)
        .map_err(Error::polars("reading the cube"))?;
    Ok(Cube {
        spec: CubeSpec {
            dimensions,
            granularity,
            metrics,
            filters: Filters::default(),
        },
        frame,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks() {
        let day = |y, m, d| crate::ingest::parse::days_from_civil(y, m, d);
        assert_eq!(iso_week_label(day(2025, 10, 13)), "2025-W42");
        assert_eq!(iso_week_label(day(2025, 10, 19)), "2025-W42");
        assert_eq!(iso_week_label(day(2024, 12, 30)), "2025-W01");
        assert_eq!(iso_week_label(day(2021, 1, 3)), "2020-W53");
    }

    #[test]
    fn labels() {
        let micros = crate::ingest::parse::parse_timestamp_micros("2025-10-13T13:00:00Z").unwrap();
        assert_eq!(Granularity::Hour.label(micros), "2025-10-13T13:00Z");
        assert_eq!(Granularity::Day.label(micros), "2025-10-13");
        assert_eq!(Granularity::Week.label(micros), "2025-W42");
        assert_eq!(Granularity::Month.label(micros), "2025-10");
    }
}

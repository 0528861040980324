//! `curlens inspect`: what the inputs are — format per file, rows, billing periods, date
//! range, currencies, accounts, cost by line item type, column mapping — and what looks
//! wrong with them (duplicates, overlapping exports, mixed currencies, schema drift).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use polars::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ingest::{self, FilePlan, Load};
use crate::money::round_money;

/// The inspection of a load.
#[derive(Debug, Serialize)]
pub struct Inspection {
    pub files: Vec<FileSummary>,
    pub total: Totals,
    /// Rows dropped because an earlier file holds the same line item.
    pub duplicate_rows: u64,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Serialize)]
pub struct FileSummary {
    pub path: String,
    pub size_bytes: u64,
    pub container: String,
    pub format: String,
    pub detected_by: String,
    pub columns_mapped: usize,
    pub columns_unmapped: Vec<String>,
    pub totals: Totals,
}

/// Totals over a set of rows, all money rounded to 10 decimals.
#[derive(Debug, Default, Serialize)]
pub struct Totals {
    pub rows: u64,
    pub billing_periods: Vec<String>,
    pub first_usage: Option<String>,
    pub last_usage: Option<String>,
    pub currencies: Vec<String>,
    pub accounts: Vec<String>,
    /// Unblended cost (FOCUS: BilledCost) by currency.
    pub unblended_by_currency: BTreeMap<String, f64>,
    /// `(line item type, currency)` → rows and unblended cost.
    pub by_line_item_type: Vec<LineItemTypeTotal>,
}

#[derive(Debug, Serialize)]
pub struct LineItemTypeTotal {
    pub line_item_type: String,
    pub currency: String,
    pub rows: u64,
    pub unblended: f64,
}

/// A data-quality finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
}

/// Inspects a load: two streaming passes (all rows; de-duplicated rows) over the few
/// columns needed.
pub fn inspect(load: &Load) -> Result<Inspection> {
    let per_file = summarize(load, load.all_rows.clone(), true)?;
    let total = if load.deduplicated {
        summarize(load, load.frame.clone(), false)?
            .remove(&None)
            .unwrap_or_default()
    } else {
        merge_all(&per_file)
    };
    let raw_rows: u64 = per_file.values().map(|t| t.rows).sum();
    let duplicate_rows = raw_rows - total.rows;
    let mut files = Vec::new();
    for plan in &load.files {
        let totals = per_file
            .get(&Some(plan.file_id))
            .map(clone_totals)
            .unwrap_or_default();
        files.push(FileSummary {
            path: plan.path_display(),
            size_bytes: plan.input.size,
            container: plan.container.describe(),
            format: plan.format.label().to_string(),
            detected_by: plan.evidence.clone(),
            columns_mapped: plan.mapped.len(),
            columns_unmapped: plan.unmapped.clone(),
            totals,
        });
    }
    let warnings = warnings(load, &files, &total, duplicate_rows);
    Ok(Inspection {
        files,
        total,
        duplicate_rows,
        warnings,
    })
}

type ByFile = BTreeMap<Option<u32>, Totals>;

/// Totals per file (`by_file`) or over everything (key `None`).
fn summarize(load: &Load, lf: LazyFrame, by_file: bool) -> Result<ByFile> {
    let file_key = if by_file {
        col("file_id")
    } else {
        lit(NULL).cast(DataType::UInt32).alias("file_id")
    };
    let keyed = lf.select([
        file_key,
        col("billing_period_start"),
        col("line_item_type").fill_null(lit("(none)")),
        col("currency").fill_null(lit("(none)")),
        col("usage_account_id"),
        col("usage_start"),
        col("unblended_cost"),
    ]);
    let groups = keyed
        .clone()
        .group_by([col("file_id"), col("line_item_type"), col("currency")])
        .agg([
            len().alias("rows"),
            col("unblended_cost").sum().alias("unblended"),
            col("usage_start").min().alias("first"),
            col("usage_start").max().alias("last"),
        ])
        .sort_by_exprs(
            [col("file_id"), col("line_item_type"), col("currency")],
            SortMultipleOptions::default(),
        );
    let groups = ingest::collect(groups, load)?;
    let periods = distinct_pairs(load, keyed.clone(), "billing_period_start")?;
    let accounts = distinct_pairs(load, keyed, "usage_account_id")?;

    let mut out = ByFile::new();
    let file_ids = groups
        .column("file_id")
        .map_err(internal)?
        .u32()
        .map_err(internal)?
        .clone();
    let types = groups
        .column("line_item_type")
        .map_err(internal)?
        .str()
        .map_err(internal)?
        .clone();
    let currencies = groups
        .column("currency")
        .map_err(internal)?
        .str()
        .map_err(internal)?
        .clone();
    let rows = groups
        .column("rows")
        .map_err(internal)?
        .cast(&DataType::UInt64)
        .map_err(internal)?;
    let rows = rows.u64().map_err(internal)?.clone();
    let unblended = groups
        .column("unblended")
        .map_err(internal)?
        .f64()
        .map_err(internal)?
        .clone();
    let first = timestamps(&groups, "first")?;
    let last = timestamps(&groups, "last")?;
    for i in 0..groups.height() {
        let totals = out.entry(file_ids.get(i)).or_default();
        let currency = currencies.get(i).unwrap_or("(none)").to_string();
        let cost = unblended.get(i).unwrap_or(0.0);
        let n = rows.get(i).unwrap_or(0);
        totals.rows += n;
        *totals
            .unblended_by_currency
            .entry(currency.clone())
            .or_default() += cost;
        totals.by_line_item_type.push(LineItemTypeTotal {
            line_item_type: types.get(i).unwrap_or("(none)").to_string(),
            currency,
            rows: n,
            unblended: round_money(cost),
        });
        totals.first_usage = min_opt(totals.first_usage.take(), first[i].clone());
        totals.last_usage = max_opt(totals.last_usage.take(), last[i].clone());
    }
    for (file, totals) in &mut out {
        totals.currencies = totals.unblended_by_currency.keys().cloned().collect();
        for v in totals.unblended_by_currency.values_mut() {
            *v = round_money(*v);
        }
        totals.billing_periods = periods.get(file).cloned().unwrap_or_default();
        totals.accounts = accounts.get(file).cloned().unwrap_or_default();
    }
    Ok(out)
}

fn timestamps(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let c = df.column(name).map_err(internal)?;
    let micros = c.to_physical_repr();
    let micros = micros.i64().map_err(internal)?;
    Ok(micros.iter().map(|v| v.map(format_micros)).collect())
}

/// `2025-10-01T00:00:00Z`.
pub fn format_micros(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub use crate::calendar::civil_from_days;

/// Distinct values of `column` per file, as sorted text (billing periods as `YYYY-MM`).
fn distinct_pairs(
    load: &Load,
    keyed: LazyFrame,
    column: &str,
) -> Result<BTreeMap<Option<u32>, Vec<String>>> {
    let value = if column == "billing_period_start" {
        col(column).dt().strftime("%Y-%m")
    } else {
        col(column)
    };
    let df = ingest::collect(
        keyed
            .select([col("file_id"), value.alias("v")])
            .filter(col("v").is_not_null())
            .unique_generic(None, UniqueKeepStrategy::Any),
        load,
    )?;
    let files = df
        .column("file_id")
        .map_err(internal)?
        .u32()
        .map_err(internal)?
        .clone();
    let values = df
        .column("v")
        .map_err(internal)?
        .str()
        .map_err(internal)?
        .clone();
    let mut out: BTreeMap<Option<u32>, BTreeSet<String>> = BTreeMap::new();
    for (f, v) in files.iter().zip(values.iter()) {
        if let Some(v) = v {
            out.entry(f).or_default().insert(v.to_string());
        }
    }
    Ok(out
        .into_iter()
        .map(|(k, v)| (k, v.into_iter().collect()))
        .collect())
}

fn min_opt(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn clone_totals(t: &Totals) -> Totals {
    Totals {
        rows: t.rows,
        billing_periods: t.billing_periods.clone(),
        first_usage: t.first_usage.clone(),
        last_usage: t.last_usage.clone(),
        currencies: t.currencies.clone(),
        accounts: t.accounts.clone(),
        unblended_by_currency: t.unblended_by_currency.clone(),
        by_line_item_type: t
            .by_line_item_type
            .iter()
            .map(|l| LineItemTypeTotal {
                line_item_type: l.line_item_type.clone(),
                currency: l.currency.clone(),
                rows: l.rows,
                unblended: l.unblended,
            })
            .collect(),
    }
}

/// Totals of all files together, when no de-duplication applies.
fn merge_all(per_file: &ByFile) -> Totals {
    let mut total = Totals::default();
    let mut periods = BTreeSet::new();
    let mut accounts = BTreeSet::new();
    let mut by_type: BTreeMap<(String, String), (u64, f64)> = BTreeMap::new();
    for t in per_file.values() {
        total.rows += t.rows;
        periods.extend(t.billing_periods.iter().cloned());
        accounts.extend(t.accounts.iter().cloned());
        total.first_usage = min_opt(total.first_usage.take(), t.first_usage.clone());
        total.last_usage = max_opt(total.last_usage.take(), t.last_usage.clone());
        for l in &t.by_line_item_type {
            let e = by_type
                .entry((l.line_item_type.clone(), l.currency.clone()))
                .or_default();
            e.0 += l.rows;
            e.1 += l.unblended;
        }
    }
    for ((line_item_type, currency), (rows, unblended)) in by_type {
        *total
            .unblended_by_currency
            .entry(currency.clone())
            .or_default() += unblended;
        total.by_line_item_type.push(LineItemTypeTotal {
            line_item_type,
            currency,
            rows,
            unblended: round_money(unblended),
        });
    }
    for v in total.unblended_by_currency.values_mut() {
        *v = round_money(*v);
    }
    total.currencies = total.unblended_by_currency.keys().cloned().collect();
    total.billing_periods = periods.into_iter().collect();
    total.accounts = accounts.into_iter().collect();
    total
}

fn warnings(
    load: &Load,
    files: &[FileSummary],
    total: &Totals,
    duplicate_rows: u64,
) -> Vec<Warning> {
    let mut out = Vec::new();
    if duplicate_rows > 0 {
        out.push(Warning {
            code: "duplicate-line-items",
            message: format!(
                "{duplicate_rows} rows repeat a line item (same line item id and time interval) \
                 already read from an earlier file; each is counted once"
            ),
        });
    }
    out.extend(overlapping_exports(&load.files, files));
    if total.currencies.iter().filter(|c| *c != "(none)").count() > 1 {
        out.push(Warning {
            code: "mixed-currencies",
            message: format!(
                "costs are in several currencies ({}): totals are kept per currency and never summed together",
                total.currencies.join(", ")
            ),
        });
    }
    if load.files.iter().any(|f| f.keyed) && load.files.iter().any(|f| !f.keyed) {
        let names: Vec<String> = load
            .files
            .iter()
            .filter(|f| !f.keyed)
            .map(FilePlan::path_display)
            .collect();
        out.push(Warning {
            code: "no-line-item-ids",
            message: format!(
                "{} {} no line item ids, so their rows cannot be checked for duplicates",
                names.join(", "),
                if names.len() == 1 { "has" } else { "have" }
            ),
        });
    }
    out.extend(schema_drift(&load.files));
    out
}

/// Files of one billing period that sit in different folders are separate deliveries of
/// the same month: AWS restates a month in full, so only the latest should be read.
fn overlapping_exports(plans: &[FilePlan], files: &[FileSummary]) -> Vec<Warning> {
    let mut folders: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (plan, summary) in plans.iter().zip(files) {
        let folder = plan
            .input
            .path
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        for period in &summary.totals.billing_periods {
            folders
                .entry(period.as_str())
                .or_default()
                .insert(folder.clone());
        }
    }
    folders
        .into_iter()
        .filter(|(_, f)| f.len() > 1)
        .map(|(period, f)| Warning {
            code: "overlapping-exports",
            message: format!(
                "billing period {period} appears in {} folders ({}): if these are separate deliveries \
                 of the same month, read only the latest; identical line items are counted once, \
                 restated ones with new ids would not be",
                f.len(),
                f.into_iter().collect::<Vec<_>>().join(", ")
            ),
        })
        .collect()
}

/// Columns present in some files of a format and not in others (legacy CUR adds columns
/// month to month); the union is read, missing columns are null.
fn schema_drift(plans: &[FilePlan]) -> Vec<Warning> {
    let mut by_format: BTreeMap<String, Vec<BTreeSet<String>>> = BTreeMap::new();
    for p in plans {
        let cols = p
            .source_columns
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect();
        by_format
            .entry(p.format.label().to_string())
            .or_default()
            .push(cols);
    }
    by_format
        .into_iter()
        .filter_map(|(format, sets)| {
            let union: BTreeSet<&String> = sets.iter().flatten().collect();
            let common: BTreeSet<&String> = union
                .iter()
                .copied()
                .filter(|c| sets.iter().all(|s| s.contains(*c)))
                .collect();
            let varying = union.len() - common.len();
            (varying > 0).then(|| Warning {
                code: "schema-drift",
                message: format!(
                    "{format} files differ in their columns: {varying} of {} columns are present in \
                     some files only (read as null where absent)",
                    union.len()
                ),
            })
        })
        .collect()
}

fn internal(e: PolarsError) -> Error {
    Error::Internal(format!("inspect summary: {e}"))
}

/// The inspection as a terminal table.
pub fn render_table(ins: &Inspection) -> String {
    let mut out = String::new();
    for f in &ins.files {
        let t = &f.totals;
        let _ = writeln!(out, "{}", f.path);
        let _ = writeln!(
            out,
            "  format      {} ({}; detected by {})",
            f.format, f.container, f.detected_by
        );
        let _ = writeln!(out, "  rows        {}", t.rows);
        let _ = writeln!(out, "  periods     {}", t.billing_periods.join(", "));
        let _ = writeln!(
            out,
            "  usage       {} .. {}",
            t.first_usage.as_deref().unwrap_or("-"),
            t.last_usage.as_deref().unwrap_or("-")
        );
        let _ = writeln!(out, "  accounts    {}", t.accounts.join(", "));
        let _ = writeln!(
            out,
            "  columns     {} mapped, {} unmapped",
            f.columns_mapped,
            f.columns_unmapped.len()
        );
        for (currency, amount) in &t.unblended_by_currency {
            let _ = writeln!(out, "  unblended   {amount:.10} {currency}");
        }
    }
    let t = &ins.total;
    let _ = writeln!(
        out,
        "\nall files ({} rows, {} duplicates dropped)",
        t.rows, ins.duplicate_rows
    );
    let _ = writeln!(
        out,
        "  {:<28} {:>10} {:>22}",
        "line item type", "rows", "unblended"
    );
    for l in &t.by_line_item_type {
        let _ = writeln!(
            out,
            "  {:<28} {:>10} {:>18.10} {}",
            l.line_item_type, l.rows, l.unblended, l.currency
        );
    }
    for (currency, amount) in &t.unblended_by_currency {
        let _ = writeln!(
            out,
            "  {:<28} {:>10} {:>18.10} {}",
            "total", t.rows, amount, currency
        );
    }
    if !ins.warnings.is_empty() {
        let _ = writeln!(out, "\nwarnings");
        for w in &ins.warnings {
            let _ = writeln!(out, "  [{}] {}", w.code, w.message);
        }
    }
    out
}

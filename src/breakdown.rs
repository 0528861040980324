//! `curlens breakdown`: a cube turned into rows for people and scripts — "Top N" with the
//! rest folded into an explicit `Other` row so totals always add up, and rendering as a
//! terminal table, CSV, JSON or Markdown.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::cube::{CURRENCY, Cube, Metric};
use crate::error::{Error, Result};
use crate::money::{CompensatedSum, round_money};
use crate::render::{csv_field, escape_md_cell, money_2dp};

pub const OTHER: &str = "Other";

/// A breakdown ready to render.
#[derive(Debug, Serialize)]
pub struct Breakdown {
    pub granularity: String,
    pub dimensions: Vec<String>,
    pub metrics: Vec<String>,
    pub rows: Vec<BreakdownRow>,
    /// Per currency: the total of each metric over every row.
    pub totals: Vec<CurrencyTotal>,
    /// Groups folded into `Other` by `--top`.
    pub folded_groups: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct BreakdownRow {
    pub period: String,
    pub currency: String,
    pub keys: Vec<String>,
    pub values: Vec<f64>,
    pub line_items: u64,
}

#[derive(Debug, Serialize)]
pub struct CurrencyTotal {
    pub currency: String,
    pub values: Vec<f64>,
    pub line_items: u64,
}

/// Builds the rows of `cube`, keeping the `top` groups (by the first metric over the whole
/// range, largest first) and folding the rest into `Other` per period and currency.
pub fn breakdown(cube: &Cube, top: Option<usize>) -> Result<Breakdown> {
    let raw = read_rows(cube)?;
    let dims = cube.spec.dimensions.len();
    let (rows, folded_groups) = match top {
        Some(n) if dims > 0 => fold_beyond_top(raw, n),
        _ => (raw, 0),
    };
    let totals = currency_totals(&rows, cube.spec.metrics.len());
    Ok(Breakdown {
        granularity: cube.spec.granularity.name().to_string(),
        dimensions: cube.spec.dimensions.iter().map(|d| d.name()).collect(),
        metrics: cube
            .spec
            .metrics
            .iter()
            .map(|m| m.name().to_string())
            .collect(),
        rows: rows.into_iter().map(round_row).collect(),
        totals,
        folded_groups,
    })
}

fn round_row(mut r: BreakdownRow) -> BreakdownRow {
    r.values.iter_mut().for_each(|v| *v = round_money(*v));
    r
}

fn read_rows(cube: &Cube) -> Result<Vec<BreakdownRow>> {
    let df = &cube.frame;
    let periods = cube.periods()?;
    let currencies = cube.text(CURRENCY)?;
    let counts = cube.line_items()?;
    let keys = cube
        .spec
        .dimensions
        .iter()
        .map(|d| cube.text(&d.name()))
        .collect::<Result<Vec<_>>>()?;
    let values = cube
        .spec
        .metrics
        .iter()
        .map(|m| cube.values(*m))
        .collect::<Result<Vec<_>>>()?;
    let granularity = cube.spec.granularity;
    Ok((0..df.height())
        .map(|i| BreakdownRow {
            period: granularity.label(periods.get(i).unwrap_or(0)),
            currency: currencies.get(i).unwrap_or("(none)").to_string(),
            keys: keys
                .iter()
                .map(|k| k.get(i).unwrap_or("(none)").to_string())
                .collect(),
            values: values.iter().map(|v| v.get(i).unwrap_or(0.0)).collect(),
            line_items: counts.get(i).unwrap_or(0),
        })
        .collect())
}

/// Keeps the `n` largest groups and sums the others into `Other` rows.
fn fold_beyond_top(rows: Vec<BreakdownRow>, n: usize) -> (Vec<BreakdownRow>, usize) {
    let mut group_totals: BTreeMap<(String, Vec<String>), CompensatedSum> = BTreeMap::new();
    for r in &rows {
        *group_totals
            .entry((r.currency.clone(), r.keys.clone()))
            .or_default() += r.values.first().copied().unwrap_or(0.0);
    }
    let mut ranked: Vec<((String, Vec<String>), f64)> = group_totals
        .into_iter()
        .map(|(k, s)| (k, s.value()))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let kept: std::collections::BTreeSet<(String, Vec<String>)> =
        ranked.iter().take(n).map(|(k, _)| k.clone()).collect();
    let folded_groups = ranked.len().saturating_sub(n);
    let mut out = Vec::new();
    let mut other: BTreeMap<(String, String), (Vec<CompensatedSum>, u64, usize)> = BTreeMap::new();
    for r in rows {
        if kept.contains(&(r.currency.clone(), r.keys.clone())) {
            out.push(r);
            continue;
        }
        let entry = other
            .entry((r.period.clone(), r.currency.clone()))
            .or_insert_with(|| {
                (
                    vec![CompensatedSum::default(); r.values.len()],
                    0,
                    r.keys.len(),
                )
            });
        for (acc, v) in entry.0.iter_mut().zip(&r.values) {
            *acc += *v;
        }
        entry.1 += r.line_items;
    }
    for ((period, currency), (sums, line_items, dims)) in other {
        out.push(BreakdownRow {
            period,
            currency,
            keys: vec![OTHER.to_string(); dims],
            values: sums.iter().map(CompensatedSum::value).collect(),
            line_items,
        });
    }
    out.sort_by(|a, b| {
        (
            &a.period,
            &a.currency,
            a.keys.iter().all(|k| k == OTHER),
            &a.keys,
        )
            .cmp(&(
                &b.period,
                &b.currency,
                b.keys.iter().all(|k| k == OTHER),
                &b.keys,
            ))
    });
    (out, folded_groups)
}

fn currency_totals(rows: &[BreakdownRow], metrics: usize) -> Vec<CurrencyTotal> {
    let mut totals: BTreeMap<&str, (Vec<CompensatedSum>, u64)> = BTreeMap::new();
    for r in rows {
        let entry = totals
            .entry(r.currency.as_str())
            .or_insert_with(|| (vec![CompensatedSum::default(); metrics], 0));
        for (acc, v) in entry.0.iter_mut().zip(&r.values) {
            *acc += *v;
        }
        entry.1 += r.line_items;
    }
    totals
        .into_iter()
        .map(|(currency, (sums, line_items))| CurrencyTotal {
            currency: currency.to_string(),
            values: sums.iter().map(|s| round_money(s.value())).collect(),
            line_items,
        })
        .collect()
}

/// Output formats of `breakdown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    Markdown,
}

pub fn render(b: &Breakdown, format: Format) -> Result<String> {
    Ok(match format {
        Format::Table => render_table(b),
        Format::Csv => render_csv(b),
        Format::Json => {
            serde_json::to_string_pretty(b).map_err(|e| Error::Internal(e.to_string()))? + "\n"
        }
        Format::Markdown => render_markdown(b),
    })
}

fn header(b: &Breakdown) -> Vec<String> {
    let mut h = vec!["period".to_string(), "currency".to_string()];
    h.extend(b.dimensions.iter().cloned());
    h.extend(b.metrics.iter().cloned());
    h.push("line_items".to_string());
    h
}

fn metric_of(b: &Breakdown, i: usize) -> Option<Metric> {
    b.metrics.get(i).and_then(|m| Metric::parse(m).ok())
}

fn cells(b: &Breakdown, r: &BreakdownRow, money: impl Fn(f64) -> String) -> Vec<String> {
    let mut c = vec![r.period.clone(), r.currency.clone()];
    c.extend(r.keys.iter().cloned());
    for (i, v) in r.values.iter().enumerate() {
        let is_money = metric_of(b, i).is_none_or(Metric::is_money);
        c.push(if is_money { money(*v) } else { format!("{v}") });
    }
    c.push(r.line_items.to_string());
    c
}

fn total_cells(b: &Breakdown, t: &CurrencyTotal, money: impl Fn(f64) -> String) -> Vec<String> {
    let mut c = vec!["total".to_string(), t.currency.clone()];
    c.extend(b.dimensions.iter().map(|_| String::new()));
    c.extend(t.values.iter().map(|v| money(*v)));
    c.push(t.line_items.to_string());
    c
}

fn render_table(b: &Breakdown) -> String {
    let mut lines = vec![header(b)];
    lines.extend(b.rows.iter().map(|r| cells(b, r, money_2dp)));
    lines.extend(b.totals.iter().map(|t| total_cells(b, t, money_2dp)));
    let widths: Vec<usize> = (0..lines[0].len())
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let first_number = 2 + b.dimensions.len();
    let mut out = String::new();
    for (n, line) in lines.iter().enumerate() {
        let padded: Vec<String> = line
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if i >= first_number {
                    format!("{cell:>w$}", w = widths[i])
                } else {
                    format!("{cell:<w$}", w = widths[i])
                }
            })
            .collect();
        let _ = writeln!(out, "{}", padded.join("  ").trim_end());
        if n == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            let _ = writeln!(out, "{}", rule.join("  "));
        }
    }
    if b.folded_groups > 0 {
        let _ = writeln!(
            out,
            "\n{} smaller groups folded into `{OTHER}`",
            b.folded_groups
        );
    }
    out
}

fn render_csv(b: &Breakdown) -> String {
    let mut out = String::new();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .map(|c| csv_field(c))
            .collect::<Vec<_>>()
            .join(",")
    };
    let _ = writeln!(out, "{}", line(header(b)));
    for r in &b.rows {
        let _ = writeln!(
            out,
            "{}",
            line(cells(b, r, |v| format!("{:.10}", round_money(v))))
        );
    }
    out
}

fn render_markdown(b: &Breakdown) -> String {
    let mut out = String::new();
    let h = header(b);
    let _ = writeln!(
        out,
        "| {} |",
        h.iter()
            .map(|c| escape_md_cell(c))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let first_number = 2 + b.dimensions.len();
    let align: Vec<&str> = (0..h.len())
        .map(|i| if i >= first_number { "---:" } else { "---" })
        .collect();
    let _ = writeln!(out, "|{}|", align.join("|"));
    let rows = b.rows.iter().map(|r| cells(b, r, money_2dp));
    let totals = b.totals.iter().map(|t| total_cells(b, t, money_2dp));
    for c in rows.chain(totals) {
        let _ = writeln!(
            out,
            "| {} |",
            c.iter()
                .map(|c| escape_md_cell(c))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    out
}

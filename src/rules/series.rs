//! Figures some rules need beyond the resource view: Savings Plan eligible on-demand compute
//! spend hour by hour, each commitment's fee and the part of it used, commitment totals
//! (shared with the report's commitments section), daily CloudWatch Logs storage per log
//! group, and which canonical columns the export carries.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::Period;
use crate::cube;
use crate::error::{Error, Result};
use crate::ingest::{self, Load};

const MICROS_PER_HOUR: i64 = 3_600_000_000;

/// Columns the commitment rules check for when the export bills commitments.
pub const COMMITMENT_COLUMNS: [&str; 3] = [
    "sp_total_commitment_to_date",
    "sp_used_commitment",
    "ri_unused_recurring_fee",
];

/// Everything [`super::Context`] carries besides the resources.
#[derive(Clone, Debug, Default)]
pub struct Series {
    /// Savings Plan eligible on-demand compute spend per hour of the period (index 0 is the
    /// first hour of the first day). Line items longer than an hour (daily or monthly
    /// exports) are spread evenly over the hours they cover.
    pub compute_hourly: Vec<f64>,
    /// Whether `compute_hourly` comes from line items longer than an hour.
    pub compute_spread: bool,
    /// Commitment totals over the period.
    pub totals: CommitmentTotals,
    /// Savings Plans and reservations with their fees and use over the period.
    pub commitments: Vec<CommitmentUse>,
    /// Log group → CloudWatch Logs storage usage per day of the period (index 0 is the
    /// first day).
    pub log_storage: BTreeMap<String, Vec<f64>>,
}

/// Savings Plan and reservation totals: the figures of the report's commitments section.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CommitmentTotals {
    /// Savings Plan commitment (`SavingsPlanRecurringFee` rows, total commitment to date).
    pub sp_commitment: f64,
    /// The part of it used.
    pub sp_used: f64,
    /// On-demand equivalent of the usage Savings Plans covered.
    pub sp_covered_on_demand: f64,
    /// Savings Plan eligible compute billed on demand.
    pub eligible_on_demand: f64,
    /// Reservation fees (`RIFee` rows).
    pub ri_fees: f64,
    /// The unused part of them.
    pub ri_unused: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CommitmentKind {
    SavingsPlan,
    Reservation,
}

/// One Savings Plan or reservation over the period.
#[derive(Clone, Debug, PartialEq)]
pub struct CommitmentUse {
    pub arn: String,
    pub kind: CommitmentKind,
    pub account: String,
    pub region: String,
    /// Fee over the period.
    pub fee: f64,
    /// Fee of the used part.
    pub used: f64,
}

impl CommitmentUse {
    pub fn unused(&self) -> f64 {
        (self.fee - self.used).max(0.0)
    }
    pub fn utilization(&self) -> Option<f64> {
        (self.fee > 0.0).then(|| self.used / self.fee)
    }
}

fn is_type(t: &str) -> Expr {
    col("line_item_type")
        .eq(lit(t.to_string()))
        .fill_null(lit(false))
}

fn num(c: &str) -> Expr {
    col(c).fill_null(lit(0.0))
}

/// Savings Plan eligible compute billed on demand: EC2 instance hours, Fargate and Lambda
/// duration on `Usage` line items that are not Spot.
pub fn eligible_on_demand() -> Expr {
    let service = ["AmazonEC2", "AWSLambda", "AmazonECS"]
        .into_iter()
        .map(|code| col("product_code").eq(lit(code)))
        .reduce(|a, b| a.or(b))
        .unwrap_or_else(|| lit(false))
        .fill_null(lit(false));
    let usage_type = col("usage_type")
        .str()
        .contains_literal(lit("BoxUsage"))
        .or(col("usage_type").str().contains_literal(lit("Lambda")))
        .or(col("usage_type").str().contains_literal(lit("Fargate")))
        .fill_null(lit(false));
    let not_spot = col("pricing_term").neq(lit("Spot")).fill_null(lit(true));
    service.and(is_type("Usage")).and(usage_type).and(not_spot)
}

/// Commitment totals of the rows of `frame`.
pub fn commitment_totals(frame: LazyFrame, load: &Load) -> Result<CommitmentTotals> {
    let sum_when = |cond: Expr, value: Expr, name: &str| {
        cube::exact_sum(when(cond).then(value).otherwise(lit(0.0))).alias(name)
    };
    let sums = [
        sum_when(
            is_type("SavingsPlanRecurringFee"),
            num("sp_total_commitment_to_date"),
            "commitment",
        ),
        sum_when(
            is_type("SavingsPlanRecurringFee"),
            num("sp_used_commitment"),
            "used",
        ),
        sum_when(
            is_type("SavingsPlanCoveredUsage"),
            num("public_on_demand_cost"),
            "covered",
        ),
        sum_when(eligible_on_demand(), num("unblended_cost"), "eligible"),
        sum_when(is_type("RIFee"), num("unblended_cost"), "ri_fees"),
        sum_when(
            is_type("RIFee"),
            num("ri_unused_amortized_upfront_fee") + num("ri_unused_recurring_fee"),
            "ri_unused",
        ),
    ];
    let df = ingest::collect(frame.select(sums), load)?;
    let get = |n: &str| {
        df.column(n)
            .ok()
            .and_then(|c| c.f64().ok().and_then(|c| c.get(0)))
            .unwrap_or(0.0)
    };
    Ok(CommitmentTotals {
        sp_commitment: get("commitment"),
        sp_used: get("used"),
        sp_covered_on_demand: get("covered"),
        eligible_on_demand: get("eligible"),
        ri_fees: get("ri_fees"),
        ri_unused: get("ri_unused"),
    })
}

fn internal(what: &'static str) -> impl Fn(PolarsError) -> Error {
    move |e| Error::Internal(format!("{what}: {e}"))
}

/// Reads every series the rules need.
pub fn read_series(load: &Load, period: Period) -> Result<Series> {
    let (compute_hourly, compute_spread) = read_compute_hourly(load, period)?;
    Ok(Series {
        compute_hourly,
        compute_spread,
        totals: commitment_totals(load.frame.clone(), load)?,
        commitments: read_commitments(load)?,
        log_storage: read_log_storage(load, period)?,
    })
}

/// Eligible on-demand spend per hour of the period.
fn read_compute_hourly(load: &Load, period: Period) -> Result<(Vec<f64>, bool)> {
    let start = col("usage_start").dt().timestamp(TimeUnit::Microseconds);
    let end = col("usage_end")
        .dt()
        .timestamp(TimeUnit::Microseconds)
        .fill_null(start.clone() + lit(MICROS_PER_HOUR));
    let lf = load
        .frame
        .clone()
        .filter(eligible_on_demand())
        .select([
            (start.clone() / lit(MICROS_PER_HOUR)).alias("hour"),
            ((end - start) / lit(MICROS_PER_HOUR))
                .clip_min(lit(1i64))
                .alias("hours"),
            num("unblended_cost").alias("cost"),
        ])
        .group_by([col("hour"), col("hours")])
        .agg([cube::exact_sum(col("cost")).alias("cost")])
        .sort(["hour", "hours"], SortMultipleOptions::default());
    let df = ingest::collect(lf, load)?;
    let err = internal("eligible compute by hour");
    let hour = df.column("hour").map_err(&err)?.i64().map_err(&err)?;
    let hours = df.column("hours").map_err(&err)?.i64().map_err(&err)?;
    let cost = df.column("cost").map_err(&err)?.f64().map_err(&err)?;
    let first_hour = period.first_day * 24;
    let mut out = vec![0.0; period.hours().max(0.0) as usize];
    let mut spread = false;
    for ((h, n), c) in hour.iter().zip(hours.iter()).zip(cost.iter()) {
        let (Some(h), Some(n), Some(c)) = (h, n, c) else {
            continue;
        };
        spread |= n > 1;
        let per_hour = c / n as f64;
        for i in (h - first_hour).max(0)..(h - first_hour + n) {
            if let Some(slot) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
                *slot += per_hour;
            }
        }
    }
    Ok((out, spread))
}

/// Savings Plans (recurring fee rows) and reservations (RI fee rows) with their use.
fn read_commitments(load: &Load) -> Result<Vec<CommitmentUse>> {
    let text = |c: &str| col(c).cast(DataType::String);
    let arn = when(is_type("RIFee"))
        .then(text("ri_arn"))
        .otherwise(text("sp_arn"));
    let arn = coalesce(&[arn, text("resource_id")]);
    let sp = is_type("SavingsPlanRecurringFee");
    let ri = is_type("RIFee");
    let fee = when(sp.clone())
        .then(num("sp_total_commitment_to_date"))
        .otherwise(num("unblended_cost"));
    let used = when(sp.clone()).then(num("sp_used_commitment")).otherwise(
        num("unblended_cost")
            - num("ri_unused_amortized_upfront_fee")
            - num("ri_unused_recurring_fee"),
    );
    let lf = load
        .frame
        .clone()
        .filter(sp.clone().or(ri))
        .select([
            arn.alias("arn"),
            sp.alias("sp"),
            text("usage_account_id").fill_null(lit("")).alias("account"),
            text("region").fill_null(lit("")).alias("region"),
            fee.alias("fee"),
            used.alias("used"),
        ])
        .filter(col("arn").is_not_null())
        .group_by([col("arn"), col("sp")])
        .agg([
            col("account").min().alias("account"),
            col("region").min().alias("region"),
            cube::exact_sum(col("fee")).alias("fee"),
            cube::exact_sum(col("used")).alias("used"),
        ])
        .sort(["arn", "sp"], SortMultipleOptions::default());
    let df = ingest::collect(lf, load)?;
    let err = internal("commitments");
    let s = |n: &str| -> Result<StringChunked> {
        Ok(df.column(n).map_err(&err)?.str().map_err(&err)?.clone())
    };
    let f = |n: &str| -> Result<Float64Chunked> {
        Ok(df.column(n).map_err(&err)?.f64().map_err(&err)?.clone())
    };
    let (arns, accounts, regions) = (s("arn")?, s("account")?, s("region")?);
    let (fees, used) = (f("fee")?, f("used")?);
    let sp = df.column("sp").map_err(&err)?.bool().map_err(&err)?.clone();
    Ok((0..df.height())
        .filter_map(|i| {
            Some(CommitmentUse {
                arn: arns.get(i)?.to_string(),
                kind: if sp.get(i)? {
                    CommitmentKind::SavingsPlan
                } else {
                    CommitmentKind::Reservation
                },
                account: accounts.get(i).unwrap_or_default().to_string(),
                region: regions.get(i).unwrap_or_default().to_string(),
                fee: fees.get(i).unwrap_or(0.0),
                used: used.get(i).unwrap_or(0.0),
            })
        })
        .collect())
}

/// CloudWatch Logs storage (`TimedStorage-ByteHrs` of AmazonCloudWatch) per log group and
/// day.
fn read_log_storage(load: &Load, period: Period) -> Result<BTreeMap<String, Vec<f64>>> {
    let day = (col("usage_start").dt().timestamp(TimeUnit::Microseconds)
        / lit(24 * MICROS_PER_HOUR))
    .alias("day");
    let lf = load
        .frame
        .clone()
        .filter(
            col("product_code")
                .eq(lit("AmazonCloudWatch"))
                .and(
                    col("usage_type")
                        .str()
                        .contains_literal(lit("TimedStorage-ByteHrs")),
                )
                .and(col("resource_id").is_not_null())
                .fill_null(lit(false)),
        )
        .select([col("resource_id"), day, num("usage_amount").alias("usage")])
        .group_by([col("resource_id"), col("day")])
        .agg([cube::exact_sum(col("usage")).alias("usage")])
        .sort(["resource_id", "day"], SortMultipleOptions::default());
    let df = ingest::collect(lf, load)?;
    let err = internal("log storage by day");
    let ids = df
        .column("resource_id")
        .map_err(&err)?
        .str()
        .map_err(&err)?;
    let days = df.column("day").map_err(&err)?.i64().map_err(&err)?;
    let usage = df.column("usage").map_err(&err)?.f64().map_err(&err)?;
    let len = period.days().max(0.0) as usize;
    let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for ((id, d), u) in ids.iter().zip(days.iter()).zip(usage.iter()) {
        let (Some(id), Some(d), Some(u)) = (id, d, u) else {
            continue;
        };
        let series = out.entry(id.to_string()).or_insert_with(|| vec![0.0; len]);
        if let Some(slot) = usize::try_from(d - period.first_day)
            .ok()
            .and_then(|i| series.get_mut(i))
        {
            *slot += u;
        }
    }
    Ok(out)
}

/// Canonical columns among `wanted` that hold a value on some row.
pub fn present_columns(load: &Load, wanted: &[&str]) -> Result<Vec<String>> {
    let schema = load
        .frame
        .clone()
        .collect_schema()
        .map_err(internal("schema"))?;
    let known: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|c| schema.contains(c))
        .collect();
    if known.is_empty() {
        return Ok(Vec::new());
    }
    let lf = load.frame.clone().select(
        known
            .iter()
            .map(|c| col(*c).is_not_null().any(true).alias(*c))
            .collect::<Vec<_>>(),
    );
    let df = ingest::collect(lf, load)?;
    Ok(known
        .into_iter()
        .filter(|c| {
            df.column(c)
                .ok()
                .and_then(|s| s.bool().ok().and_then(|b| b.get(0)))
                .unwrap_or(false)
        })
        .map(str::to_string)
        .collect())
}

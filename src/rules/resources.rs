//! The resource-level view the rules read: one line per resource × usage type over the
//! analysed period, with cost, usage, billed hours, first and last billed day and tags.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::cube::Metric;
use crate::error::{Error, Result};
use crate::ingest::{self, Load};
use crate::money::CompensatedSum;
use crate::tags::normalize_key;

/// One resource's use of one usage type over the period.
#[derive(Clone, Debug)]
pub struct UsageLine {
    pub usage_type: String,
    pub operation: String,
    pub service: String,
    pub instance_type: Option<String>,
    pub line_item_type: String,
    /// Unblended cost over the period.
    pub cost: f64,
    pub usage: f64,
    /// Distinct hours with a line.
    pub hours: u64,
    /// First and last day with a line (days since 1970-01-01).
    pub first_day: i64,
    pub last_day: i64,
}

/// A resource and everything it was billed for.
#[derive(Clone, Debug)]
pub struct Resource {
    pub id: String,
    pub account: String,
    pub region: String,
    /// Normalised tag key → value (see [`crate::tags::normalize_key`]).
    pub tags: BTreeMap<String, String>,
    pub lines: Vec<UsageLine>,
    /// Days since 1970-01-01.
    pub first_day: i64,
    pub last_day: i64,
}

impl Resource {
    pub fn cost(&self) -> f64 {
        self.lines
            .iter()
            .map(|l| l.cost)
            .collect::<CompensatedSum>()
            .value()
    }

    /// Cost of the lines whose usage type contains `needle`.
    pub fn cost_of(&self, needle: &str) -> f64 {
        self.lines_with(needle)
            .map(|l| l.cost)
            .collect::<CompensatedSum>()
            .value()
    }

    /// Usage of the lines whose usage type contains `needle`.
    pub fn usage_of(&self, needle: &str) -> f64 {
        self.lines_with(needle)
            .map(|l| l.usage)
            .collect::<CompensatedSum>()
            .value()
    }

    /// `part` as a share of the resource's cost (0 when the resource costs nothing).
    pub fn share(&self, part: f64) -> f64 {
        let all = self.cost();
        if all > 0.0 {
            (part / all).min(1.0)
        } else {
            0.0
        }
    }

    /// Lines whose usage type contains `needle`.
    pub fn lines_with<'a>(&'a self, needle: &'a str) -> impl Iterator<Item = &'a UsageLine> + 'a {
        self.lines
            .iter()
            .filter(move |l| l.usage_type.contains(needle))
    }

    pub fn has(&self, needle: &str) -> bool {
        self.lines_with(needle).next().is_some()
    }

    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(&normalize_key(key)).map(String::as_str)
    }
}

/// The analysed period: first and last day (days since 1970-01-01) and its length.
#[derive(Clone, Copy, Debug)]
pub struct Period {
    pub first_day: i64,
    pub last_day: i64,
}

impl Period {
    pub fn days(&self) -> f64 {
        (self.last_day - self.first_day + 1) as f64
    }

    pub fn hours(&self) -> f64 {
        24.0 * self.days()
    }

    /// Converts an amount over the period to a 30.4375-day month.
    pub fn monthly(&self, amount: f64) -> f64 {
        amount * 30.4375 / self.days()
    }
}

/// Reads every resource of the load (rows without a resource id are not resources).
pub fn read_resources(load: &Load) -> Result<(Vec<Resource>, Period)> {
    let micros_per_day = lit(86_400_000_000i64);
    let day =
        |e: Expr| (e.dt().timestamp(TimeUnit::Microseconds) / micros_per_day.clone()).alias("day");
    let lf = load
        .frame
        .clone()
        .filter(col("resource_id").is_not_null())
        .group_by([
            col("resource_id"),
            col("usage_account_id"),
            col("region"),
            col("usage_type"),
            col("operation"),
            col("product_code"),
            col("instance_type"),
            col("line_item_type"),
        ])
        .agg([
            // Exact sums: the same digits whatever the thread count.
            crate::cube::exact_sum(Metric::Unblended.definition().to_polars()).alias("cost"),
            crate::cube::exact_sum(col("usage_amount").fill_null(lit(0.0))).alias("usage"),
            col("usage_start")
                .n_unique()
                .cast(DataType::UInt64)
                .alias("hours"),
            day(col("usage_start").min()).alias("first"),
            day(col("usage_start").max()).alias("last"),
            col("tags").first().alias("tags"),
        ])
        .sort(
            [
                "resource_id",
                "usage_type",
                "operation",
                "line_item_type",
                "usage_account_id",
                "region",
            ],
            SortMultipleOptions::default().with_nulls_last(true),
        );
    let df = ingest::collect(lf, load)?;
    let period = read_period(load)?;
    Ok((group(&df)?, period))
}

fn read_period(load: &Load) -> Result<Period> {
    let micros_per_day = lit(86_400_000_000i64);
    let df = ingest::collect(
        load.frame.clone().select([
            (col("usage_start")
                .min()
                .dt()
                .timestamp(TimeUnit::Microseconds)
                / micros_per_day.clone())
            .alias("first"),
            (col("usage_start")
                .max()
                .dt()
                .timestamp(TimeUnit::Microseconds)
                / micros_per_day)
                .alias("last"),
        ]),
        load,
    )?;
    let get = |n: &str| {
        df.column(n)
            .ok()
            .and_then(|c| c.i64().ok().and_then(|c| c.get(0)))
    };
    match (get("first"), get("last")) {
        (Some(first_day), Some(last_day)) => Ok(Period {
            first_day,
            last_day,
        }),
        _ => Err(Error::Invalid(
            "no rows with a usage start date: nothing to analyse".into(),
        )),
    }
}

fn group(df: &DataFrame) -> Result<Vec<Resource>> {
    let err = |e: PolarsError| Error::Internal(format!("resource view: {e}"));
    let text = |n: &str| -> Result<StringChunked> {
        Ok(df.column(n).map_err(err)?.str().map_err(err)?.clone())
    };
    let (ids, accounts, regions) = (
        text("resource_id")?,
        text("usage_account_id")?,
        text("region")?,
    );
    let (usage_types, operations, services) = (
        text("usage_type")?,
        text("operation")?,
        text("product_code")?,
    );
    let (instance_types, line_types) = (text("instance_type")?, text("line_item_type")?);
    let cost = df.column("cost").map_err(err)?.f64().map_err(err)?.clone();
    let usage = df.column("usage").map_err(err)?.f64().map_err(err)?.clone();
    let hours = df.column("hours").map_err(err)?.u64().map_err(err)?.clone();
    let first = df.column("first").map_err(err)?.i64().map_err(err)?.clone();
    let last = df.column("last").map_err(err)?.i64().map_err(err)?.clone();
    let tags = df.column("tags").map_err(err)?.clone();
    let mut out: Vec<Resource> = Vec::new();
    for i in 0..df.height() {
        let id = ids.get(i).unwrap_or_default();
        let line = UsageLine {
            usage_type: usage_types.get(i).unwrap_or_default().to_string(),
            operation: operations.get(i).unwrap_or_default().to_string(),
            service: services.get(i).unwrap_or_default().to_string(),
            instance_type: instance_types.get(i).map(str::to_string),
            line_item_type: line_types.get(i).unwrap_or_default().to_string(),
            cost: cost.get(i).unwrap_or(0.0),
            usage: usage.get(i).unwrap_or(0.0),
            hours: hours.get(i).unwrap_or(0),
            first_day: first.get(i).unwrap_or(0),
            last_day: last.get(i).unwrap_or(0),
        };
        let (f, l) = (line.first_day, line.last_day);
        match out.last_mut() {
            Some(r) if r.id == id => {
                r.first_day = r.first_day.min(f);
                r.last_day = r.last_day.max(l);
                r.lines.push(line);
            }
            _ => out.push(Resource {
                id: id.to_string(),
                account: accounts.get(i).unwrap_or_default().to_string(),
                region: regions.get(i).unwrap_or_default().to_string(),
                tags: tags_of(&tags, i),
                lines: vec![line],
                first_day: f,
                last_day: l,
            }),
        }
    }
    Ok(out)
}

fn tags_of(tags: &Column, i: usize) -> BTreeMap<String, String> {
    let Ok(AnyValue::List(entries)) = tags.get(i) else {
        return BTreeMap::new();
    };
    let Ok(entries) = entries.struct_() else {
        return BTreeMap::new();
    };
    let fields = entries.fields_as_series();
    let (Some(keys), Some(values)) = (fields.first(), fields.get(1)) else {
        return BTreeMap::new();
    };
    let (Ok(keys), Ok(values)) = (keys.str(), values.str()) else {
        return BTreeMap::new();
    };
    keys.iter()
        .zip(values.iter())
        .filter_map(|(k, v)| Some((normalize_key(k?), v?.to_string())))
        .collect()
}

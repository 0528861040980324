//! Computing the report model from a load: one daily cube for totals, movers, EC2-Other and
//! first-seen values; one cube by every tag key at once; the anomaly detector; the rules; a
//! commitments query; the inspection for data quality and the manifest.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;
use sha2::{Digest, Sha256};

use super::config::Config;
use super::model::*;
use crate::anomaly;
use crate::cube::{self, Condition, CubeSpec, Day, Dimension, Filters, Granularity, Metric};
use crate::error::{Error, Result};
use crate::ingest::{self, Load};
use crate::money::CompensatedSum;

/// Which week to report.
#[derive(Clone, Copy, Debug)]
pub enum WeekChoice {
    /// The last complete ISO week in the data.
    Latest,
    /// The ISO week starting on this Monday.
    Monday(Day),
    /// The last complete week ending on or before this day.
    AsOf(Day),
}

/// Parses `2025-W42` into its Monday.
pub fn parse_iso_week(text: &str) -> Result<Day> {
    let bad = || Error::Invalid(format!("`{text}`: expected an ISO week such as 2025-W42"));
    let (year, week) = text.trim().split_once("-W").ok_or_else(bad)?;
    let (year, week): (i64, i64) = (
        year.parse().map_err(|_| bad())?,
        week.parse().map_err(|_| bad())?,
    );
    if !(1..=53).contains(&week) {
        return Err(bad());
    }
    let jan4 = crate::ingest::parse::days_from_civil(year, 1, 4);
    let week1_monday = jan4 - (jan4 + 3).rem_euclid(7);
    let monday = Day(week1_monday + 7 * (week - 1));
    if cube::iso_week_label(monday.0) != format!("{year:04}-W{week:02}") {
        return Err(bad());
    }
    Ok(monday)
}

/// One row of the report's daily cube.
struct Row {
    day: i64,
    keys: [String; 5],
    cost: f64,
    quantity: f64,
}

const ACCOUNT: usize = 0;
const SERVICE: usize = 1;
const CATEGORY: usize = 2;
const REGION: usize = 3;
const USAGE_TYPE: usize = 4;

fn report_dimensions() -> Vec<Dimension> {
    vec![
        Dimension::Account,
        Dimension::Service,
        Dimension::Category,
        Dimension::Region,
        Dimension::UsageType,
    ]
}

/// Receives the name and duration (seconds) of each finished stage, for log lines.
pub type StageLog<'a> = &'a dyn Fn(&str, f64);

/// Runs `stage`, then reports its duration to `log`.
fn timed<T>(log: StageLog, name: &str, stage: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = std::time::Instant::now();
    let out = stage()?;
    log(name, started.elapsed().as_secs_f64());
    Ok(out)
}

/// The names of the stages [`build`] reports to its log, in order, for `config`.
pub fn stages(config: &Config) -> Vec<&'static str> {
    let s = &config.sections;
    [
        ("daily cube", true),
        ("budgets", s.budgets),
        ("cost allocation", s.allocation),
        ("anomaly detection", s.anomalies),
        ("optimization rules", s.proposals),
        ("commitments", true),
        ("data quality", true),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect()
}

/// Builds the model; `log` hears about each stage as it ends.
pub fn build(
    load: &Load,
    config: &Config,
    week: WeekChoice,
    config_text: &str,
    log: StageLog,
) -> Result<ReportModel> {
    let metric = Metric::parse(&config.metric)?;
    let rows = timed(log, "daily cube", || read_rows(load, metric))?;
    let (first_day, last_day) = day_range(&rows)?;
    let currency = read_currency(load)?;
    let monday = choose_week(week, last_day)?;
    let sunday = Day(monday.0 + 6);
    let daily_totals = daily_totals(&rows);
    let summary = summary(&daily_totals, monday);
    let budgets = if config.sections.budgets {
        timed(log, "budgets", || {
            budgets(load, config, metric, monday, &summary)
        })?
    } else {
        Vec::new()
    };
    let mover_tables = if config.sections.movers {
        [
            (Dimension::Service, SERVICE),
            (Dimension::Account, ACCOUNT),
            (Dimension::Region, REGION),
        ]
        .into_iter()
        .map(|(d, i)| MoverTable {
            dimension: d.name(),
            rows: top_movers(movers(&rows, monday, |r| Some(r.keys[i].clone())), 10),
        })
        .collect()
    } else {
        Vec::new()
    };
    let ec2_other = if config.sections.ec2_other {
        movers(&rows, monday, |r| {
            (r.keys[CATEGORY] == "EC2-Other").then(|| r.keys[USAGE_TYPE].clone())
        })
    } else {
        Vec::new()
    };
    let allocation = if config.sections.allocation {
        timed(log, "cost allocation", || {
            allocation(load, config, metric, monday)
        })?
    } else {
        Vec::new()
    };
    let (anomalies, lifecycle, anomaly_notes) = if config.sections.anomalies {
        timed(log, "anomaly detection", || {
            anomalies(load, config, metric, monday)
        })?
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    let first_seen = first_seen(&rows, monday, first_day);
    let proposals = if config.sections.proposals {
        timed(log, "optimization rules", || proposals(load, config))?
    } else {
        empty_proposals()
    };
    let commitments = timed(log, "commitments", || commitments(load, monday))?;
    let inspection = timed(log, "data quality", || crate::inspect::inspect(load))?;
    let mut data_quality: Vec<String> = inspection
        .warnings
        .iter()
        .map(|w| w.message.clone())
        .collect();
    data_quality.extend(anomaly_notes);
    let manifest = manifest(load, &inspection, config_text)?;
    let charts = charts(&rows, &daily_totals, monday, first_day, &anomalies);
    Ok(ReportModel {
        week: cube::iso_week_label(monday.0),
        week_start: monday.to_string(),
        week_end: sunday.to_string(),
        metric: metric.name().to_string(),
        currency,
        data_first_day: Day(first_day).to_string(),
        data_last_day: Day(last_day).to_string(),
        summary,
        daily: (monday.0 - 28..=sunday.0)
            .map(|d| DayCost {
                day: Day(d).to_string(),
                cost: daily_totals.get(&d).copied().unwrap_or(0.0),
            })
            .collect(),
        budgets,
        movers: mover_tables,
        ec2_other,
        allocation,
        anomalies,
        lifecycle,
        first_seen,
        proposals,
        commitments,
        data_quality,
        manifest,
        charts,
    })
}

/// The daily series with its seasonal band and anomalous days, and weekly cost of the top
/// services.
fn charts(
    rows: &[Row],
    daily: &BTreeMap<i64, f64>,
    monday: Day,
    first_day: i64,
    anomalies: &[anomaly::Anomaly],
) -> Charts {
    let sunday = monday.0 + 6;
    let values: Vec<Option<f64>> = (first_day..=sunday)
        .map(|d| daily.get(&d).copied())
        .collect();
    let expectation =
        anomaly::detectors::seasonal_expectation(&values, &anomaly::ScoringParams::default());
    let marked = |day: &str| {
        anomalies.iter().any(|a| match a.kind {
            anomaly::Kind::LevelShift => a.first_day == day,
            _ => a.first_day.as_str() <= day && day <= a.last_day.as_str(),
        })
    };
    let daily_points = (monday.0 - 28..=sunday)
        .filter(|d| *d >= first_day)
        .map(|d| {
            let label = Day(d).to_string();
            let band =
                expectation[(d - first_day) as usize].map(|(e, s)| (e - 3.0 * s, e + 3.0 * s));
            ChartDay {
                anomalous: marked(&label),
                day: label,
                cost: daily.get(&d).copied().unwrap_or(0.0),
                band,
            }
        })
        .collect();
    let week_starts: Vec<i64> = (0..6)
        .rev()
        .map(|k| monday.0 - 7 * k)
        .filter(|w| w + 6 >= first_day)
        .collect();
    let mut by_service: BTreeMap<&str, Vec<CompensatedSum>> = BTreeMap::new();
    for r in rows {
        if let Some(w) = week_starts
            .iter()
            .position(|w| (*w..=w + 6).contains(&r.day))
        {
            by_service
                .entry(r.keys[SERVICE].as_str())
                .or_insert_with(|| vec![CompensatedSum::default(); week_starts.len()])[w] += r.cost;
        }
    }
    let mut ranked: Vec<(String, Vec<f64>)> = by_service
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.iter().map(CompensatedSum::value).collect()))
        .collect();
    ranked.sort_by(|a, b| {
        b.1.iter()
            .sum::<f64>()
            .total_cmp(&a.1.iter().sum::<f64>())
            .then_with(|| a.0.cmp(&b.0))
    });
    if ranked.len() > 6 {
        let rest = ranked.split_off(5);
        let other = (0..week_starts.len())
            .map(|w| rest.iter().map(|(_, v)| v[w]).sum())
            .collect();
        ranked.push((format!("Other ({} services)", rest.len()), other));
    }
    Charts {
        daily: daily_points,
        weeks: week_starts
            .iter()
            .map(|w| cube::iso_week_label(*w))
            .collect(),
        services: ranked,
    }
}

fn read_rows(load: &Load, metric: Metric) -> Result<Vec<Row>> {
    let spec = CubeSpec {
        dimensions: report_dimensions(),
        granularity: Granularity::Day,
        metrics: vec![metric, Metric::UsageQuantity],
        filters: Filters::default(),
    };
    let c = cube::aggregate(load, &spec)?;
    let df = &c.frame;
    let periods = c.periods()?;
    let keys = report_dimensions()
        .iter()
        .map(|d| c.text(&d.name()))
        .collect::<Result<Vec<_>>>()?;
    let cost = c.values(metric)?;
    let quantity = c.values(Metric::UsageQuantity)?;
    Ok((0..df.height())
        .map(|i| Row {
            day: periods.get(i).unwrap_or(0).div_euclid(86_400_000_000),
            keys: std::array::from_fn(|k| keys[k].get(i).unwrap_or("").to_string()),
            cost: cost.get(i).unwrap_or(0.0),
            quantity: quantity.get(i).unwrap_or(0.0),
        })
        .collect())
}

fn day_range(rows: &[Row]) -> Result<(i64, i64)> {
    let first = rows.iter().map(|r| r.day).min();
    let last = rows.iter().map(|r| r.day).max();
    first
        .zip(last)
        .ok_or_else(|| Error::Invalid("the inputs hold no rows: nothing to report".into()))
}

fn read_currency(load: &Load) -> Result<String> {
    let df = ingest::collect(
        load.frame
            .clone()
            .select([col("currency")])
            .filter(col("currency").is_not_null())
            .unique_generic(None, UniqueKeepStrategy::Any),
        load,
    )?;
    let mut values: Vec<String> = df
        .column("currency")
        .ok()
        .and_then(|c| {
            c.str()
                .ok()
                .map(|s| s.iter().flatten().map(str::to_string).collect())
        })
        .unwrap_or_default();
    values.sort();
    match values.len() {
        0 => Ok("USD".to_string()),
        1 => Ok(values.remove(0)),
        _ => Err(Error::Invalid(format!(
            "the inputs mix currencies ({}); the weekly report sums one currency: filter the exports to one",
            values.join(", ")
        ))),
    }
}

fn choose_week(choice: WeekChoice, last_day: i64) -> Result<Day> {
    let last_complete_sunday = |d: i64| d - (d + 4).rem_euclid(7);
    let monday = match choice {
        WeekChoice::Latest => Day(last_complete_sunday(last_day) - 6),
        WeekChoice::AsOf(day) => Day(last_complete_sunday(day.0.min(last_day)) - 6),
        WeekChoice::Monday(m) => m,
    };
    if monday.0 + 6 > last_day {
        return Err(Error::Invalid(format!(
            "week {} is not complete in the data, which ends on {}",
            cube::iso_week_label(monday.0),
            Day(last_day)
        )));
    }
    Ok(monday)
}

fn daily_totals(rows: &[Row]) -> BTreeMap<i64, f64> {
    let mut sums: BTreeMap<i64, CompensatedSum> = BTreeMap::new();
    for r in rows {
        *sums.entry(r.day).or_default() += r.cost;
    }
    sums.into_iter().map(|(d, s)| (d, s.value())).collect()
}

fn sum_days(daily: &BTreeMap<i64, f64>, from: i64, to: i64) -> f64 {
    daily
        .range(from..=to)
        .map(|(_, v)| *v)
        .collect::<CompensatedSum>()
        .value()
}

fn pct(now: f64, before: f64) -> Option<f64> {
    (before.abs() > 1e-9).then(|| 100.0 * (now - before) / before.abs())
}

fn summary(daily: &BTreeMap<i64, f64>, monday: Day) -> Summary {
    let sunday = monday.0 + 6;
    let week_total = sum_days(daily, monday.0, sunday);
    let previous_week = sum_days(daily, monday.0 - 7, sunday - 7);
    let first_day = daily.keys().next().copied().unwrap_or(monday.0);
    let four_weeks_ago =
        (monday.0 - 28 >= first_day).then(|| sum_days(daily, monday.0 - 28, sunday - 28));
    let (y, m, _) = crate::inspect::civil_from_days(sunday);
    let month_start = crate::ingest::parse::days_from_civil(y, i64::from(m), 1);
    let next_month = if m == 12 {
        crate::ingest::parse::days_from_civil(y + 1, 1, 1)
    } else {
        crate::ingest::parse::days_from_civil(y, i64::from(m) + 1, 1)
    };
    let month_to_date = sum_days(daily, month_start, sunday);
    let forecast = forecast(daily, sunday, next_month - 1, month_to_date);
    Summary {
        week_total,
        previous_week,
        change_vs_previous_pct: pct(week_total, previous_week),
        four_weeks_ago,
        change_vs_four_weeks_pct: four_weeks_ago.and_then(|b| pct(week_total, b)),
        month: format!("{y:04}-{m:02}"),
        month_to_date,
        forecast,
    }
}

/// Seasonal naive: each remaining day of the month is expected at the mean of the same
/// weekday over the last four weeks; the interval takes their lowest and highest.
fn forecast(daily: &BTreeMap<i64, f64>, last: i64, month_end: i64, month_to_date: f64) -> Forecast {
    let mut expected = CompensatedSum::default();
    let mut low = CompensatedSum::default();
    let mut high = CompensatedSum::default();
    let mut remaining_days = Vec::new();
    for d in last + 1..=month_end {
        let weekday = (d - last - 1) % 7;
        let same: Vec<f64> = (1..=4)
            .filter_map(|k| daily.get(&(last - 7 * k + 1 + weekday)).copied())
            .collect();
        if same.is_empty() {
            remaining_days.push(0.0);
            continue;
        }
        let mean = same.iter().sum::<f64>() / same.len() as f64;
        remaining_days.push(mean);
        expected += mean;
        low += same.iter().copied().fold(f64::INFINITY, f64::min);
        high += same.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    }
    Forecast {
        method: "seasonal naive: each remaining day at the mean of the same weekday over the last 4 weeks; interval from their lowest and highest".into(),
        month_end_expected: month_to_date + expected.value(),
        month_end_low: month_to_date + low.value(),
        month_end_high: month_to_date + high.value(),
        remaining_days,
    }
}

fn budgets(
    load: &Load,
    config: &Config,
    metric: Metric,
    monday: Day,
    summary: &Summary,
) -> Result<Vec<BudgetStatus>> {
    let sunday = monday.0 + 6;
    let mut out = Vec::new();
    for b in &config.budgets {
        let conditions = b
            .filters
            .iter()
            .map(|f| Condition::parse(f, false))
            .collect::<Result<Vec<_>>>()?;
        let (mtd, remaining) = if conditions.is_empty() {
            (
                summary.month_to_date,
                summary.forecast.remaining_days.clone(),
            )
        } else {
            let spec = CubeSpec {
                dimensions: vec![],
                granularity: Granularity::Day,
                metrics: vec![metric],
                filters: Filters {
                    conditions,
                    ..Filters::default()
                },
            };
            let c = cube::aggregate(load, &spec)?;
            let daily = single_series(&c, metric)?;
            let s = self::summary(&daily, monday);
            (s.month_to_date, s.forecast.remaining_days)
        };
        let forecast = mtd + remaining.iter().sum::<f64>();
        let thresholds = b
            .thresholds
            .iter()
            .map(|t| {
                let amount = t * b.amount;
                let status = if mtd >= amount {
                    "ALERT (actual)"
                } else if forecast >= amount {
                    "ALERT (forecast)"
                } else {
                    "OK"
                };
                ThresholdStatus {
                    share: *t,
                    amount,
                    status: status.to_string(),
                }
            })
            .collect();
        let mut running = mtd;
        let runs_out_on = if running >= b.amount {
            Some("already exceeded".to_string())
        } else {
            remaining.iter().enumerate().find_map(|(i, v)| {
                running += v;
                (running >= b.amount).then(|| Day(sunday + 1 + i as i64).to_string())
            })
        };
        out.push(BudgetStatus {
            name: b.name.clone(),
            scope: if b.filters.is_empty() {
                "all costs".into()
            } else {
                b.filters.join(", ")
            },
            amount: b.amount,
            month_to_date: mtd,
            forecast,
            thresholds,
            runs_out_on,
        });
    }
    Ok(out)
}

fn single_series(c: &cube::Cube, metric: Metric) -> Result<BTreeMap<i64, f64>> {
    let (periods, values) = (c.periods()?, c.values(metric)?);
    let mut out: BTreeMap<i64, CompensatedSum> = BTreeMap::new();
    for (p, v) in periods.iter().zip(values.iter()) {
        *out.entry(p.unwrap_or(0).div_euclid(86_400_000_000))
            .or_default() += v.unwrap_or(0.0);
    }
    Ok(out.into_iter().map(|(d, s)| (d, s.value())).collect())
}

#[derive(Default)]
struct Side {
    cost: CompensatedSum,
    quantity: CompensatedSum,
}

/// Week-over-week change per group (`group_of` picks a row's group, or skips it), split
/// into price, volume and mix effects per usage type. Sorted by this week's cost.
fn movers(rows: &[Row], monday: Day, group_of: impl Fn(&Row) -> Option<String>) -> Vec<Mover> {
    let this_week = monday.0..=monday.0 + 6;
    let previous = monday.0 - 7..=monday.0 - 1;
    let mut by_group: BTreeMap<String, BTreeMap<&str, (Side, Side)>> = BTreeMap::new();
    for r in rows {
        let in_week = this_week.contains(&r.day);
        if !in_week && !previous.contains(&r.day) {
            continue;
        }
        let Some(group) = group_of(r) else { continue };
        let entry = by_group
            .entry(group)
            .or_default()
            .entry(r.keys[USAGE_TYPE].as_str())
            .or_default();
        let side = if in_week { &mut entry.1 } else { &mut entry.0 };
        side.cost += r.cost;
        side.quantity += r.quantity;
    }
    let mut out: Vec<Mover> = by_group
        .into_iter()
        .map(|(key, usage_types)| {
            let (mut now, mut before, mut price, mut volume, mut mix) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for (before_side, now_side) in usage_types.values() {
                let (c0, q0) = (before_side.cost.value(), before_side.quantity.value());
                let (c1, q1) = (now_side.cost.value(), now_side.quantity.value());
                now += c1;
                before += c0;
                if q0 > 0.0 && q1 > 0.0 {
                    let (r0, r1) = (c0 / q0, c1 / q1);
                    price += (r1 - r0) * q1;
                    volume += (q1 - q0) * r0;
                } else {
                    mix += c1 - c0;
                }
            }
            Mover {
                key,
                this_week: now,
                previous_week: before,
                change: now - before,
                price_effect: price,
                volume_effect: volume,
                mix_effect: mix,
            }
        })
        .filter(|m| m.this_week != 0.0 || m.previous_week != 0.0)
        .collect();
    out.sort_by(|a, b| {
        b.this_week
            .total_cmp(&a.this_week)
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}

/// The first `n` movers and the rest folded into `Other`.
fn top_movers(mut all: Vec<Mover>, n: usize) -> Vec<Mover> {
    if all.len() <= n + 1 {
        return all;
    }
    let rest = all.split_off(n);
    let sum = |f: fn(&Mover) -> f64| rest.iter().map(f).collect::<CompensatedSum>().value();
    all.push(Mover {
        key: format!("Other ({} more)", rest.len()),
        this_week: sum(|m| m.this_week),
        previous_week: sum(|m| m.previous_week),
        change: sum(|m| m.change),
        price_effect: sum(|m| m.price_effect),
        volume_effect: sum(|m| m.volume_effect),
        mix_effect: sum(|m| m.mix_effect),
    });
    all
}

fn allocation(
    load: &Load,
    config: &Config,
    metric: Metric,
    monday: Day,
) -> Result<Vec<TagAllocation>> {
    // One pass over the rows for every key: a cube by all the keys at once, then one small
    // exact roll-up per key.
    let mut dimensions: Vec<Dimension> = Vec::new();
    for key in &config.tag_keys {
        let dimension = Dimension::Tag(key.clone());
        if !dimensions.contains(&dimension) {
            dimensions.push(dimension);
        }
    }
    let spec = CubeSpec {
        dimensions,
        granularity: Granularity::Week,
        metrics: vec![metric],
        filters: Filters {
            from: Some(Day(monday.0 - 28)),
            to: Some(Day(monday.0 + 6)),
            ..Filters::default()
        },
    };
    let joint = cube::aggregate_allowing_absent_keys(load, &spec)?;
    let mut out = Vec::new();
    for key in &config.tag_keys {
        let dimension = Dimension::Tag(key.clone());
        // A key the data does not have: its whole cost is untagged.
        if joint.cube.frame.height() == 0 || joint.absent_keys.contains(&dimension) {
            continue;
        }
        let c = cube::rollup(
            &joint.cube,
            &CubeSpec {
                dimensions: vec![dimension.clone()],
                granularity: Granularity::Week,
                metrics: vec![metric],
                filters: Filters::default(),
            },
        )?;
        let (periods, values, costs) =
            (c.periods()?, c.text(&dimension.name())?, c.values(metric)?);
        let week_start = monday.start_micros();
        let mut this_week: BTreeMap<String, f64> = BTreeMap::new();
        let mut earlier: BTreeSet<String> = BTreeSet::new();
        for i in 0..c.frame.height() {
            let value = values.get(i).unwrap_or_default().to_string();
            if periods.get(i) == Some(week_start) {
                *this_week.entry(value).or_default() += costs.get(i).unwrap_or(0.0);
            } else if costs.get(i).unwrap_or(0.0) != 0.0 {
                earlier.insert(value);
            }
        }
        let untagged = this_week.remove(cube::dimension::UNTAGGED).unwrap_or(0.0);
        let total: f64 = this_week.values().sum::<f64>() + untagged;
        let new_values = this_week
            .keys()
            .filter(|v| !earlier.contains(*v))
            .cloned()
            .collect();
        let mut values: Vec<(String, f64)> = this_week.into_iter().collect();
        values.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out.push(TagAllocation {
            key: key.clone(),
            values,
            untagged,
            untagged_share: if total.abs() > 0.0 {
                untagged / total
            } else {
                0.0
            },
            new_values,
        });
    }
    Ok(out)
}

fn anomalies(
    load: &Load,
    config: &Config,
    metric: Metric,
    monday: Day,
) -> Result<(Vec<anomaly::Anomaly>, Vec<anomaly::Anomaly>, Vec<String>)> {
    let options = anomaly::Options {
        metric,
        thresholds: anomaly::Thresholds {
            min_impact: config.anomalies.min_impact,
            min_impact_pct: config.anomalies.min_impact_pct,
            min_score: config.anomalies.min_score,
            ..anomaly::Thresholds::default()
        },
        since: Some(monday),
        ..anomaly::Options::default()
    };
    let found = anomaly::detect(load, &options)?;
    let sunday = Day(monday.0 + 6).to_string();
    let in_week = |a: &anomaly::Anomaly| a.first_day <= sunday;
    let mut notes = found.notes.clone();
    for s in &found.skipped {
        notes.push(format!(
            "anomaly detection skipped {} series: {}",
            s.series, s.reason
        ));
    }
    // Resources that started or stopped are news in the week they did.
    let started_in_week = |a: &anomaly::Anomaly| a.first_day >= monday.to_string() && in_week(a);
    Ok((
        found.anomalies.into_iter().filter(in_week).collect(),
        found
            .lifecycle
            .into_iter()
            .filter(started_in_week)
            .collect(),
        notes,
    ))
}

/// Services and regions with their first cost in the report's week.
fn first_seen(rows: &[Row], monday: Day, data_first_day: i64) -> Vec<FirstSeen> {
    if monday.0 <= data_first_day {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (name, index) in [("service", SERVICE), ("region", REGION)] {
        let mut first: BTreeMap<&str, i64> = BTreeMap::new();
        let mut week: BTreeMap<&str, CompensatedSum> = BTreeMap::new();
        for r in rows
            .iter()
            .filter(|r| r.cost != 0.0 && r.day <= monday.0 + 6)
        {
            let e = first.entry(r.keys[index].as_str()).or_insert(r.day);
            *e = (*e).min(r.day);
            if r.day >= monday.0 {
                *week.entry(r.keys[index].as_str()).or_default() += r.cost;
            }
        }
        for (value, day) in first
            .into_iter()
            .filter(|(v, d)| *d >= monday.0 && *v != cube::dimension::NONE)
        {
            out.push(FirstSeen {
                dimension: name.to_string(),
                value: value.to_string(),
                first_day: Day(day).to_string(),
                week_cost: week.get(value).map_or(0.0, CompensatedSum::value),
            });
        }
    }
    out
}

/// Proposals listed in the report, largest expected saving first.
const REPORT_PROPOSALS: usize = 30;

fn proposals(load: &Load, config: &Config) -> Result<ProposalSummary> {
    let p = crate::rules::evaluate(load, &config.proposals)?;
    Ok(ProposalSummary {
        total_monthly_savings: p.total_monthly_savings,
        period_days: p.period_days,
        count: p.proposals.len(),
        top: p.proposals.into_iter().take(REPORT_PROPOSALS).collect(),
        not_evaluated: p
            .not_evaluated
            .into_iter()
            .map(|n| format!("{}: {}", n.rule, n.reason))
            .collect(),
    })
}

fn empty_proposals() -> ProposalSummary {
    ProposalSummary {
        total_monthly_savings: 0.0,
        period_days: 0.0,
        count: 0,
        top: Vec::new(),
        not_evaluated: Vec::new(),
    }
}

/// Savings Plan utilization and coverage, RI utilization, over the report's week.
fn commitments(load: &Load, monday: Day) -> Result<Commitments> {
    let week = Filters {
        from: Some(monday),
        to: Some(Day(monday.0 + 6)),
        ..Filters::default()
    };
    let frame = match week.predicate() {
        Some(p) => load.frame.clone().filter(p),
        None => load.frame.clone(),
    };
    let t = crate::rules::series::commitment_totals(frame, load)?;
    let share = |a: f64, b: f64| (b.abs() > 1e-9).then(|| 100.0 * a / b);
    Ok(Commitments {
        savings_plan_commitment: t.sp_commitment,
        savings_plan_used: t.sp_used,
        savings_plan_utilization_pct: share(t.sp_used, t.sp_commitment),
        savings_plan_covered_on_demand_equivalent: t.sp_covered_on_demand,
        eligible_on_demand: t.eligible_on_demand,
        savings_plan_coverage_pct: share(
            t.sp_covered_on_demand,
            t.sp_covered_on_demand + t.eligible_on_demand,
        ),
        reserved_instance_fees: t.ri_fees,
        reserved_instance_unused: t.ri_unused,
        reserved_instance_utilization_pct: share(t.ri_fees - t.ri_unused, t.ri_fees),
    })
}

fn manifest(
    load: &Load,
    inspection: &crate::inspect::Inspection,
    config_text: &str,
) -> Result<Manifest> {
    let files = load
        .files
        .iter()
        .zip(&inspection.files)
        .map(|(plan, summary)| {
            let bytes = std::fs::read(&plan.input.path).map_err(Error::io(&plan.input.path))?;
            let digest = Sha256::digest(&bytes);
            Ok(ManifestFile {
                path: plan.path_display(),
                size_bytes: plan.input.size,
                sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
                format: format!("{} ({})", plan.format.label(), plan.container.describe()),
                rows: summary.totals.rows,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Manifest {
        curlens_version: env!("CARGO_PKG_VERSION").to_string(),
        files,
        config: config_text.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks_parse_to_mondays() {
        assert_eq!(
            parse_iso_week("2025-W42").unwrap().to_string(),
            "2025-10-13"
        );
        assert_eq!(
            parse_iso_week("2025-W01").unwrap().to_string(),
            "2024-12-30"
        );
        assert!(parse_iso_week("2025-W54").is_err());
        assert!(parse_iso_week("2025-42").is_err());
    }

    #[test]
    fn latest_week_is_the_last_complete_one() {
        let sunday = Day::parse("2025-10-12").unwrap().0;
        assert_eq!(
            choose_week(WeekChoice::Latest, sunday).unwrap().to_string(),
            "2025-10-06"
        );
        assert_eq!(
            choose_week(WeekChoice::Latest, sunday + 3)
                .unwrap()
                .to_string(),
            "2025-10-06"
        );
        assert_eq!(
            choose_week(WeekChoice::Latest, sunday - 1)
                .unwrap()
                .to_string(),
            "2025-09-29"
        );
        assert!(choose_week(WeekChoice::Monday(Day(sunday + 1)), sunday + 3).is_err());
    }
}

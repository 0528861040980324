//! Anomaly detection on daily cost series.
//!
//! 1. One fine daily cube (day × account × service × usage type × region × operation ×
//!    resource × pricing unit, one metric) is read into memory ([`series::FineTable`]), in
//!    mean-month cost: usage priced per month is scaled to a month of the mean length, and
//!    every anomaly is reported in billed cost.
//! 2. Series are built at several levels at once ([`series::Level`]): total, account,
//!    service, account × service, usage type within a service.
//! 3. Each series is scored in parallel (rayon, over plain `f64` slices — never polars
//!    inside rayon) by the chosen [`Method`]: a weekday-aware seasonal robust z-score, or a
//!    rolling z-score for comparison.
//! 4. Runs of anomalous days become events ([`events`]): spikes, drops, or one level shift
//!    from its start — where the lines billed on both sides of it step
//!    ([`like_for_like`]), so resources starting or stopping nearby do not set it. Events
//!    under the $ and % thresholds are dropped.
//! 5. A step or a spike of the lines billed throughout that resources starting or stopping
//!    cancel in the series' own sum is searched on the like-for-like series (`hidden`).
//! 6. An anomaly seen at several levels is kept at the most specific level that explains it,
//!    with its parents named; a change spread over many finer series (a service-wide step,
//!    an account's spike in each of its services) is one report with those series as its
//!    parts (`hierarchy`).
//! 7. Each anomaly gets an exact additive root-cause breakdown ([`root_cause`]).
//!
//! A trailing day that is only partly billed (CUR lags up to 48 hours) is left out, and days
//! missing from the export are gaps, not zeros.

pub mod changepoint;
pub mod detectors;
pub mod events;
mod hidden;
mod hierarchy;
pub mod like_for_like;
pub mod quality;
pub mod render;
pub mod root_cause;
pub mod series;
pub mod stats;

use std::collections::HashMap;

use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

pub use detectors::ScoringParams;
pub use events::{Kind, Thresholds};
pub use root_cause::Contributor;
pub use series::Level;

use crate::cube::{self, CubeSpec, Day, Filters, Metric};
use crate::error::{Error, Result};
use crate::ingest::{self, Load};
use like_for_like::AccountDays;
use series::{FineTable, SeriesKey};

/// How days are scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Same-weekday median baseline carried forward by the recent growth, MAD scale (default).
    Seasonal,
    /// Rolling mean and standard deviation over the previous 14 days.
    Zscore,
    /// Seasonal scoring, reporting level shifts only.
    LevelShift,
}

impl Method {
    pub fn parse(text: &str) -> Result<Method> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "seasonal" => Ok(Method::Seasonal),
            "zscore" | "z-score" => Ok(Method::Zscore),
            "level-shift" => Ok(Method::LevelShift),
            _ => Err(Error::Invalid(format!(
                "unknown method `{text}`; valid methods: seasonal, zscore, level-shift"
            ))),
        }
    }
}

/// What to detect.
#[derive(Clone, Debug)]
pub struct Options {
    pub method: Method,
    pub metric: Metric,
    pub levels: Vec<Level>,
    pub thresholds: Thresholds,
    pub params: ScoringParams,
    /// Report only anomalies that end on or after this day.
    pub since: Option<Day>,
    /// Share of an anomaly's impact the listed root causes must explain.
    pub explain: f64,
    pub filters: Filters,
}

/// Line item types left out of the series by default: they land once a month (on its
/// first day, or wherever the credit is booked), so they are calendar effects, not
/// anomalies. AWS Cost Anomaly Detection leaves them out too.
pub const ONE_OFF_LINE_ITEM_TYPES: &[&str] = &[
    "Tax",
    "Credit",
    "Refund",
    "Fee",
    "RIFee",
    "SavingsPlanUpfrontFee",
    "BundledDiscount",
    "Discount",
    "EdpDiscount",
    "PrivateRateDiscount",
    "DistributorDiscount",
    // FOCUS charge categories
    "Purchase",
    "Adjustment",
];

impl Options {
    /// Filters that leave out [`ONE_OFF_LINE_ITEM_TYPES`].
    pub fn usage_only_filters() -> Filters {
        Filters {
            conditions: ONE_OFF_LINE_ITEM_TYPES
                .iter()
                .map(|t| crate::cube::Condition {
                    dimension: crate::cube::Dimension::LineItemType,
                    value: t.to_string(),
                    exclude: true,
                })
                .collect(),
            ..Filters::default()
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            method: Method::Seasonal,
            metric: Metric::Amortized,
            levels: Level::ALL.to_vec(),
            thresholds: Thresholds::default(),
            params: ScoringParams::default(),
            since: None,
            explain: 0.9,
            filters: Options::usage_only_filters(),
        }
    }
}

/// One reported anomaly.
#[derive(Clone, Debug, Serialize)]
pub struct Anomaly {
    pub level: Level,
    /// `account=123 / service=AmazonEC2`.
    pub series: String,
    pub currency: String,
    pub first_day: String,
    pub last_day: String,
    pub kind: Kind,
    pub expected: f64,
    pub actual: f64,
    pub impact: f64,
    pub impact_pct: Option<f64>,
    pub score: f64,
    pub level_before: Option<f64>,
    pub level_after: Option<f64>,
    pub p_value: Option<f64>,
    /// Coarser series where the same anomaly shows, and which this one explains.
    pub parents: Vec<String>,
    /// Finer series that moved with it, each by less than half of it: an organisation-wide
    /// change shows in every account it touches, and is reported once.
    pub parts: Vec<String>,
    pub root_cause: Vec<Contributor>,
    /// Share of the impact from resources that started (no cost in the baseline weeks) or
    /// stopped (no cost during the anomaly).
    pub lifecycle_share: f64,
    /// A change the series' own cost hides, measured like for like: its expected and actual
    /// cost, impact and root cause count only the lines billed on every day of this span.
    pub like_for_like: Option<LinesBilled>,
}

/// The days the lines an anomaly is measured on are billed on, first and last
/// ([`Anomaly::like_for_like`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinesBilled {
    pub from: String,
    pub to: String,
}

/// Series not scored, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    pub reason: String,
    pub series: usize,
    pub examples: Vec<String>,
}

/// The outcome of a detection run.
#[derive(Clone, Debug, Serialize)]
pub struct Detection {
    pub method: Method,
    pub metric: Metric,
    pub first_day: String,
    pub last_day: String,
    pub series_scored: usize,
    pub series_days_scored: usize,
    pub anomalies: Vec<Anomaly>,
    /// Changes explained mostly by resources starting or stopping, not by existing
    /// resources costing more or less: listed apart from anomalies.
    pub lifecycle: Vec<Anomaly>,
    pub skipped: Vec<Skipped>,
    pub notes: Vec<String>,
}

/// Runs detection over a load.
pub fn detect(load: &Load, options: &Options) -> Result<Detection> {
    let (table, notes) = fine_table(load, options)?;
    Ok(detect_in_table(&table, options, notes))
}

/// The fine daily cube of a load, with a partial trailing day left out, and the notes that
/// say what was left out and why.
pub fn fine_table(load: &Load, options: &Options) -> Result<(FineTable, Vec<String>)> {
    let mut spec = CubeSpec::daily(series::fine_dimensions());
    spec.metrics = vec![options.metric];
    spec.filters = options.filters.clone();
    let fine = cube::aggregate(load, &spec)?;
    let mut table = FineTable::from_cube(&fine)?;
    let mut notes = Vec::new();
    if options
        .filters
        .conditions
        .iter()
        .any(|c| c.exclude && ONE_OFF_LINE_ITEM_TYPES.contains(&c.value.as_str()))
    {
        notes.push(
            "tax, credits, refunds and one-time or monthly fees are left out of the series"
                .to_string(),
        );
    }
    if let Some(note) = drop_partial_trailing_day(load, &mut table)? {
        notes.push(note);
    }
    if !table.missing_days.is_empty() {
        let days: Vec<String> = table
            .missing_days
            .iter()
            .map(|d| day_label(&table, *d))
            .collect();
        notes.push(format!(
            "{} day(s) have no rows at all and are treated as gaps, not zeros: {}",
            days.len(),
            days.join(", ")
        ));
    }
    Ok((table, notes))
}

/// Detection over an in-memory fine table.
pub fn detect_in_table(table: &FineTable, options: &Options, notes: Vec<String>) -> Detection {
    let all_series = series::build_series(table, &options.levels);
    let list: Vec<(SeriesKey, Vec<Option<f64>>)> = all_series.into_iter().collect();
    let results = score_all(table, &list, options);
    let mut skipped: Vec<Skipped> = Vec::new();
    let mut found = Vec::new();
    let (mut scored, mut scored_days) = (0, 0);
    for ((key, _), result) in list.iter().zip(results) {
        match result {
            SeriesResult::Skipped(reason) => add_skip(&mut skipped, reason, key.label(table)),
            SeriesResult::Scored { days, events } => {
                scored += 1;
                scored_days += days;
                found.extend(events.into_iter().map(|e| (key.clone(), e)));
            }
        }
    }
    if options.method == Method::LevelShift {
        found.retain(|(_, e)| e.kind == Kind::LevelShift);
    }
    let shift_starts = level_shift_starts(&found);
    let reports: Vec<hierarchy::Report> = hierarchy::most_specific(found)
        .into_iter()
        .filter(|r| {
            options
                .since
                .is_none_or(|since| table.first_day + r.event.last as i64 >= since.0)
        })
        .collect();
    let reported: Vec<Anomaly> = reports
        .iter()
        .map(|r| {
            let since = baseline_start(&shift_starts, &r.key, &r.event);
            to_anomaly(table, (&r.key, &r.event, since), &r.parents, options)
        })
        .collect();
    let mut anomalies = fold_parts(table, &reports, reported, &options.thresholds);
    let by_impact = |a: &Anomaly, b: &Anomaly| {
        b.impact
            .abs()
            .total_cmp(&a.impact.abs())
            .then_with(|| (&a.first_day, &a.series).cmp(&(&b.first_day, &b.series)))
    };
    anomalies.sort_by(by_impact);
    let (mut lifecycle, anomalies): (Vec<Anomaly>, Vec<Anomaly>) = anomalies
        .into_iter()
        .partition(|a| is_lifecycle(a, &options.thresholds));
    lifecycle.sort_by(by_impact);
    Detection {
        method: options.method,
        metric: options.metric,
        first_day: day_label(table, 0),
        last_day: day_label(table, table.days.saturating_sub(1)),
        series_scored: scored,
        series_days_scored: scored_days,
        anomalies,
        lifecycle,
        skipped,
        notes,
    }
}

/// A change that is mostly resources starting or stopping (or a series that had no cost
/// before at all). A spike or drop keeps being an anomaly when what remains of its impact
/// besides resources starting or stopping is still over the $ threshold: a spike of an
/// account in a week when it also started resources is both.
fn is_lifecycle(a: &Anomaly, thresholds: &Thresholds) -> bool {
    let new_series = a.impact > 0.0 && a.expected.abs() < 1e-9;
    let mostly = a.lifecycle_share >= 0.5;
    let rest_alerts = a.kind != Kind::LevelShift
        && (a.impact * (1.0 - a.lifecycle_share.min(1.0))).abs() >= thresholds.min_impact;
    new_series || (mostly && !rest_alerts)
}

enum SeriesResult {
    Skipped(String),
    Scored {
        days: usize,
        events: Vec<events::Event>,
    },
}

/// Scores every series, accounts first: on the days an account spiked or dropped, the
/// like-for-like series of the other series count its lines as having moved like the rest
/// ([`like_for_like::steady_series`]), so that an account's spike just before a step does
/// not set where the step begins.
fn score_all(
    table: &FineTable,
    list: &[(SeriesKey, Vec<Option<f64>>)],
    options: &Options,
) -> Vec<SeriesResult> {
    let rows = series::rows_by_series(table, &options.levels);
    let score = |(key, values): &(SeriesKey, Vec<Option<f64>>), spiked: &AccountDays| {
        let own_rows = rows.get(key).map_or(&[][..], Vec::as_slice);
        // Read once, when the series first needs a like-for-like series.
        let lines = std::cell::OnceCell::new();
        let steady = |window| {
            lines
                .get_or_init(|| like_for_like::SeriesLines::new(table, own_rows))
                .steady_series(table, window, spiked)
        };
        score_series(values, &steady, options)
    };
    let is_account = |key: &SeriesKey| key.level == Level::Account;
    let none = AccountDays::new();
    let accounts: Vec<Option<SeriesResult>> = list
        .par_iter()
        .map(|series| is_account(&series.0).then(|| score(series, &none)))
        .collect();
    let spiked = account_spike_days(list.iter().zip(&accounts));
    let others: Vec<Option<SeriesResult>> = list
        .par_iter()
        .zip(&accounts)
        .map(|(series, account)| account.is_none().then(|| score(series, &spiked)))
        .collect();
    accounts
        .into_iter()
        .zip(others)
        .filter_map(|(account, other)| account.or(other))
        .collect()
}

/// The days of each account's spikes and drops: (account id, day index).
fn account_spike_days<'a>(
    scored: impl Iterator<Item = (&'a (SeriesKey, Vec<Option<f64>>), &'a Option<SeriesResult>)>,
) -> AccountDays {
    let mut days = AccountDays::new();
    for ((key, _), result) in scored {
        let (Some(account), Some(SeriesResult::Scored { events, .. })) =
            (key.part(series::ACCOUNT), result)
        else {
            continue;
        };
        for e in events.iter().filter(|e| e.kind != Kind::LevelShift) {
            days.extend((e.first..=e.last).map(|d| (account, d)));
        }
    }
    days
}

/// p-value under which a step found by the change-point scan is a level shift: stricter than
/// a run's test, as the scan picks the best of every split.
const SCAN_P: f64 = 1e-3;

fn score_series(values: &[Option<f64>], steady: events::Steady, options: &Options) -> SeriesResult {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    if present.iter().any(|v| v.is_nan()) {
        return SeriesResult::Skipped("contains NaN".into());
    }
    if present.iter().all(|v| *v == 0.0) {
        return SeriesResult::Skipped("all zero".into());
    }
    let first_nonzero = values
        .iter()
        .position(|v| v.is_some_and(|v| v != 0.0))
        .unwrap_or(0);
    if values.len() - first_nonzero <= options.params.min_history {
        return SeriesResult::Skipped(format!(
            "not enough history (fewer than {} days since the first cost)",
            options.params.min_history + 1
        ));
    }
    let params = options.params;
    let score = |v: &[Option<f64>]| match options.method {
        Method::Zscore => detectors::rolling_zscore(v, &params),
        Method::Seasonal | Method::LevelShift => detectors::seasonal(v, &params),
    };
    let scores = score(values);
    let days = scores.iter().flatten().count();
    // The seasonal methods also scan for steps too small to flag day by day.
    let scan_p = (options.method != Method::Zscore).then_some(SCAN_P);
    let mut events = events::find_events(
        values,
        (scores, &score),
        Some(steady),
        (&options.thresholds, &params),
        scan_p,
    );
    if options.method != Method::Zscore {
        let settings = (&options.thresholds, &params);
        if let Some(step) = hidden::hidden_level_shift(&events, steady, values.len(), settings) {
            events.retain(|e| !hidden::first_days_of(&step, e));
            events.push(step);
        }
        let spikes = hidden::hidden_spikes(&events, steady, values.len(), settings);
        events.extend(spikes);
    }
    SeriesResult::Scored { days, events }
}

fn add_skip(skipped: &mut Vec<Skipped>, reason: String, label: String) {
    match skipped.iter_mut().find(|s| s.reason == reason) {
        Some(s) => {
            s.series += 1;
            if s.examples.len() < 5 {
                s.examples.push(label);
            }
        }
        None => skipped.push(Skipped {
            reason,
            series: 1,
            examples: vec![label],
        }),
    }
}

/// The start days of every series' level shifts.
fn level_shift_starts(found: &[(SeriesKey, events::Event)]) -> HashMap<SeriesKey, Vec<usize>> {
    let mut starts: HashMap<SeriesKey, Vec<usize>> = HashMap::new();
    for (key, e) in found.iter().filter(|(_, e)| e.kind == Kind::LevelShift) {
        starts.entry(key.clone()).or_default().push(e.first);
    }
    starts
}

/// The first day of an event's baseline: the start of the latest level shift of its series
/// before it (the series' level from then on), or the start of the data.
fn baseline_start(
    starts: &HashMap<SeriesKey, Vec<usize>>,
    key: &SeriesKey,
    e: &events::Event,
) -> usize {
    starts
        .get(key)
        .and_then(|s| s.iter().copied().filter(|s| *s < e.first).max())
        .unwrap_or(0)
}

/// Folds each anomaly that is part of a larger one ([`hierarchy::part_hosts`]) into it,
/// naming its series among the larger one's parts and the series it explains among the
/// larger one's parents. Changes of resources starting or stopping hold no parts: a price
/// change of existing resources in the same weeks stays apart.
fn fold_parts(
    table: &FineTable,
    reports: &[hierarchy::Report],
    mut anomalies: Vec<Anomaly>,
    thresholds: &Thresholds,
) -> Vec<Anomaly> {
    let can_host: Vec<bool> = anomalies
        .iter()
        .map(|a| !is_lifecycle(a, thresholds))
        .collect();
    let hosts = hierarchy::part_hosts(reports, &can_host);
    for (report, host) in reports.iter().zip(&hosts) {
        if let Some(h) = host {
            anomalies[*h].parts.push(report.key.label(table));
            let parents = report.parents.iter().map(|p| p.label(table));
            anomalies[*h].parents.extend(parents);
        }
    }
    anomalies
        .into_iter()
        .zip(hosts)
        .filter(|(_, host)| host.is_none())
        .map(|(mut a, _)| {
            for list in [&mut a.parts, &mut a.parents] {
                list.sort();
                list.dedup();
            }
            a
        })
        .collect()
}

fn to_anomaly(
    table: &FineTable,
    (key, e, since): (&SeriesKey, &events::Event, usize),
    parents: &[SeriesKey],
    options: &Options,
) -> Anomaly {
    let cause = root_cause::root_cause(
        table,
        key,
        e,
        since,
        (options.params.weeks, options.explain),
    );
    let billed = BilledRatios::of(table, key, e);
    let contributors = cause
        .contributors
        .into_iter()
        .map(|c| Contributor {
            expected: c.expected * billed.during,
            delta: c.delta * billed.during,
            ..c
        })
        .collect();
    Anomaly {
        level: key.level,
        series: key.label(table),
        currency: table.text(key.currency).to_string(),
        first_day: day_label(table, e.first),
        last_day: day_label(table, e.last),
        kind: e.kind,
        expected: e.expected * billed.during,
        actual: e.actual * billed.during,
        impact: e.impact() * billed.during,
        impact_pct: e.impact_pct(),
        score: e.score,
        level_before: e.level_before.map(|v| v * billed.before),
        level_after: e.level_after.map(|v| v * billed.during),
        p_value: e.p_value,
        parents: parents.iter().map(|p| p.label(table)).collect(),
        parts: Vec::new(),
        root_cause: contributors,
        lifecycle_share: cause.lifecycle_share,
        like_for_like: e.lines_billed.map(|(from, to)| LinesBilled {
            from: day_label(table, from),
            to: day_label(table, to),
        }),
    }
}

/// What turns an event's amounts, measured in mean-month cost ([`series::MEAN_MONTH_DAYS`]),
/// into billed cost: the ratio of billed to mean-month cost of the lines it counts, over its
/// days and over the step window before it. Both are exactly 1 for a series without usage
/// priced per month.
struct BilledRatios {
    during: f64,
    before: f64,
}

impl BilledRatios {
    fn of(table: &FineTable, key: &SeriesKey, e: &events::Event) -> BilledRatios {
        let counted = root_cause::counted_lines(table, key, e);
        let from = e.first.saturating_sub(changepoint::STEP_WINDOW_DAYS);
        // The event's rows and those of the step window before it, in one pass.
        let rows: Vec<&series::FineRow> = table
            .rows
            .iter()
            .filter(|r| (from..=e.last).contains(&(r.day as usize)))
            .filter(|r| key.matches(r) && counted(r))
            .collect();
        let (before, during): (Vec<_>, Vec<_>) =
            rows.into_iter().partition(|r| (r.day as usize) < e.first);
        let during = table.billed_ratio(during.into_iter());
        let before = if e.first == 0 {
            during
        } else {
            table.billed_ratio(before.into_iter())
        };
        BilledRatios { during, before }
    }
}

fn day_label(table: &FineTable, index: usize) -> String {
    Day(table.first_day + index as i64).to_string()
}

/// CUR data lags: a last day billed for fewer hours than the others (or with far fewer
/// rows, for daily exports) is dropped from detection, with a note.
fn drop_partial_trailing_day(load: &Load, table: &mut FineTable) -> Result<Option<String>> {
    if table.days < 2 {
        return Ok(None);
    }
    let last_day = table.first_day + table.days as i64 - 1;
    let lf = load.frame.clone().select([col("usage_start")
        .dt()
        .timestamp(TimeUnit::Microseconds)
        .alias("t")]);
    let stats = ingest::collect(
        lf.filter(col("t").gt_eq(lit(Day(last_day - 7).start_micros())))
            .group_by([(col("t") / lit(86_400_000_000i64)).alias("day")])
            .agg([len().alias("rows"), col("t").n_unique().alias("hours")])
            .sort(["day"], SortMultipleOptions::default()),
        load,
    )?;
    let days = stats.column("day").ok().and_then(|c| c.i64().ok().cloned());
    let rows = stats
        .column("rows")
        .ok()
        .and_then(|c| c.cast(&DataType::Float64).ok());
    let hours = stats
        .column("hours")
        .ok()
        .and_then(|c| c.cast(&DataType::Float64).ok());
    let (Some(days), Some(rows), Some(hours)) = (days, rows, hours) else {
        return Ok(None);
    };
    let (rows, hours) = (rows.f64().cloned().ok(), hours.f64().cloned().ok());
    let (Some(rows), Some(hours)) = (rows, hours) else {
        return Ok(None);
    };
    let n = days.len();
    if n < 2 || days.get(n - 1) != Some(last_day) {
        return Ok(None);
    }
    let earlier_rows: Vec<f64> = rows.iter().take(n - 1).flatten().collect();
    let earlier_hours: Vec<f64> = hours.iter().take(n - 1).flatten().collect();
    let (last_rows, last_hours) = (
        rows.get(n - 1).unwrap_or(0.0),
        hours.get(n - 1).unwrap_or(0.0),
    );
    let typical_hours = stats::median(&earlier_hours).unwrap_or(0.0);
    let typical_rows = stats::median(&earlier_rows).unwrap_or(0.0);
    let partial = (typical_hours >= 20.0 && last_hours < typical_hours - 0.5)
        || (typical_rows > 0.0 && last_rows < 0.5 * typical_rows);
    if !partial {
        return Ok(None);
    }
    let index = (table.days - 1) as u32;
    table.rows.retain(|r| r.day != index);
    table.days -= 1;
    table.missing_days.retain(|d| *d < table.days);
    Ok(Some(format!(
        "{} looks partly billed ({} of {} usual hours, {} of {} usual rows) and is left out of detection",
        Day(last_day),
        last_hours,
        typical_hours,
        last_rows,
        typical_rows
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fixtures::noise;

    fn anomaly(kind: Kind, impact: f64, lifecycle_share: f64) -> Anomaly {
        let mut a = fixtures::anomaly(kind, ("2025-09-14", "2025-09-17"), 700.0, impact);
        a.lifecycle_share = lifecycle_share;
        a.score = 13.0;
        a
    }

    #[test]
    fn a_spike_with_resources_starting_stays_an_anomaly_while_the_rest_alerts() {
        let limits = Thresholds::default();
        // 46% of +139 is +64, over the $50 limit: an account spike in a week of new resources.
        assert!(!is_lifecycle(&anomaly(Kind::Spike, 139.0, 0.54), &limits));
        // 10% of +139 is under it: resources that started.
        assert!(is_lifecycle(&anomaly(Kind::Spike, 139.0, 0.9), &limits));
        // A level shift made half of resources starting is listed apart as before.
        assert!(is_lifecycle(
            &anomaly(Kind::LevelShift, 800.0, 0.54),
            &limits
        ));
        assert!(!is_lifecycle(&anomaly(Kind::Spike, 139.0, 0.3), &limits));
    }

    #[test]
    fn usage_priced_per_month_is_scored_in_mean_month_cost_and_reported_billed() {
        use crate::calendar::days_from_civil;
        // 12 weeks from Monday 2026-01-05: `gp3` storage of a fixed size priced by the
        // GB-month (its billed cost 10.7% higher per day in February, 9.7% lower in March),
        // and `i-1` priced by the hour, which costs $1,000 more on Wednesday 2026-02-11 to
        // Thursday 2026-02-12 (days 37 and 38).
        let first_day = days_from_civil(2026, 1, 5);
        let storage =
            |day: usize| Some(fixtures::billed_per_month(62_000.0, first_day, day) * noise(day, 1));
        let instance = |day: usize| {
            let weekday = if day % 7 < 5 { 1000.0 } else { 400.0 };
            let spike = if (37..=38).contains(&day) { 500.0 } else { 0.0 };
            Some(weekday * noise(day, 2) + spike)
        };
        let lines: [(&str, fixtures::Cost); 2] = [("gp3", &storage), ("i-1", &instance)];
        let mut table = fixtures::resource_table(first_day, 84, &lines);
        let options = Options {
            levels: vec![Level::Total],
            ..Options::default()
        };
        // Read as billed cost, the spike's impact is off by more than 10%: February's storage
        // step ($214 a day) is half in its same-weekday baseline.
        let billed = detect_in_table(&table, &options, Vec::new());
        assert_eq!(billed.anomalies.len(), 1, "{:#?}", billed.anomalies);
        let off = (billed.anomalies[0].impact - 1000.0).abs();
        assert!(off > 100.0, "{}", billed.anomalies[0].impact);

        fixtures::priced_per_month(&mut table, "gp3");
        let found = detect_in_table(&table, &options, Vec::new());
        assert_eq!(found.anomalies.len(), 1, "{:#?}", found.anomalies);
        let spike = &found.anomalies[0];
        assert_eq!(
            (
                spike.kind,
                spike.first_day.as_str(),
                spike.last_day.as_str()
            ),
            (Kind::Spike, "2026-02-11", "2026-02-12")
        );
        // Its actual cost is what was billed on its days, to the cent and beyond.
        let billed_on_its_days: f64 = (37..=38)
            .map(|d| storage(d).unwrap() + instance(d).unwrap())
            .sum();
        assert!(
            (spike.actual - billed_on_its_days).abs() < 1e-9 * billed_on_its_days,
            "{} vs {billed_on_its_days}",
            spike.actual
        );
        assert!((spike.impact - 1000.0).abs() < 100.0, "{}", spike.impact);
        // Its root cause names the instance and sums exactly to its billed impact.
        assert_eq!(spike.root_cause[0].resource, "i-1");
        let sum: f64 = spike.root_cause.iter().map(|c| c.delta).sum();
        assert!((sum - spike.impact).abs() < 1e-9 * spike.impact.abs());
    }

    #[test]
    fn pricing_units_that_name_a_month_or_count_monthly_things_are_priced_per_month() {
        for unit in [
            "GB-Mo",
            "IOPS-Mo",
            "GiBps-mo",
            "GB-Month",
            "GB-Months",
            "GB/Month",
            "Obj-Month",
            "GiB/Second-Months",
            "Keys",
            "Secrets",
            " metrics ",
        ] {
            assert!(series::is_priced_per_month(unit), "{unit}");
        }
        for unit in [
            "Hrs",
            "GB",
            "Requests",
            "LCU-Hrs",
            "Lambda-GB-Second",
            "",
            "Mo",
            "Monitor",
        ] {
            assert!(!series::is_priced_per_month(unit), "{unit}");
        }
    }

    #[test]
    fn a_level_shift_with_parts_names_how_many_finer_series_moved_with_it() {
        let mut a = anomaly(Kind::LevelShift, -500.0, 0.0);
        assert_eq!(render::series_with_parts(&a), "account=111");
        a.parts = vec![
            "account=111 / service=AmazonRDS".into(),
            "account=111 / service=AmazonEC2".into(),
        ];
        assert_eq!(
            render::series_with_parts(&a),
            "account=111 (with 2 finer series)"
        );
        a.like_for_like = Some(LinesBilled {
            from: "2025-08-24".into(),
            to: "2025-10-12".into(),
        });
        assert_eq!(
            render::series_with_parts(&a),
            "account=111 (with 2 finer series) (like for like)"
        );
        a.like_for_like = None;
        let detection = Detection {
            method: Method::Seasonal,
            metric: Metric::Amortized,
            first_day: "2025-08-04".into(),
            last_day: "2025-10-12".into(),
            series_scored: 1,
            series_days_scored: 56,
            anomalies: vec![a],
            lifecycle: Vec::new(),
            skipped: Vec::new(),
            notes: Vec::new(),
        };
        let text = render::table(&detection);
        assert!(
            text.contains(
                "includes: account=111 / service=AmazonRDS; account=111 / service=AmazonEC2"
            ),
            "{text}"
        );
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::series::{FineRow, FineTable};
    use super::{Anomaly, Kind, Level};

    /// A resource's cost on a day, `None` when it is not billed.
    pub type Cost<'a> = &'a dyn Fn(usize) -> Option<f64>;

    /// A table over `days` days from day number `first_day` with one line per resource
    /// (`(name, cost)`), all of account and service 0: the resource of the `i`-th is string
    /// `2 + i`.
    pub fn resource_table(first_day: i64, days: usize, resources: &[(&str, Cost)]) -> FineTable {
        let mut strings = vec![String::new(), "USD".to_string()];
        let mut rows = Vec::new();
        for (name, cost) in resources {
            strings.push(name.to_string());
            let keys = [0, 0, 0, 0, 0, (strings.len() - 1) as u32];
            for day in 0..days {
                if let Some(value) = cost(day) {
                    let day = day as u32;
                    rows.push(FineRow {
                        day,
                        currency: 1,
                        keys,
                        value,
                        monthly: false,
                    });
                }
            }
        }
        FineTable {
            first_day,
            days,
            strings,
            rows,
            missing_days: Vec::new(),
        }
    }

    /// ±2% of day-to-day noise, the same on every run.
    pub fn noise(day: usize, line: usize) -> f64 {
        let hash = ((day * 7919 + line * 104_729) as u64).wrapping_mul(2_654_435_761) % (1 << 32);
        1.0 + 0.04 * (hash as f64 / (1u64 << 32) as f64 - 0.5)
    }

    /// The billed daily cost of `monthly` priced per month on day index `day` of a table
    /// from day number `first_day`: its month's share, by the month's length.
    pub fn billed_per_month(monthly: f64, first_day: i64, day: usize) -> f64 {
        let (y, m, _) = crate::calendar::civil_from_days(first_day + day as i64);
        monthly / crate::calendar::days_in_month(y, i64::from(m)) as f64
    }

    /// Marks the lines of `resource` as priced per month, as reading them from a cube does:
    /// their billed cost becomes mean-month cost.
    pub fn priced_per_month(table: &mut FineTable, resource: &str) {
        let id = table.strings.iter().position(|s| s == resource);
        let scales: Vec<f64> = (0..table.days).map(|d| table.month_scale(d)).collect();
        for row in table.rows.iter_mut() {
            if id.is_some_and(|id| row.keys[super::series::RESOURCE] == id as u32) {
                row.monthly = true;
                row.value *= scales[row.day as usize];
            }
        }
    }

    /// An anomaly of `account=111` over `days` (first and last), expected `expected` over
    /// them and `impact` above it, without root cause.
    pub fn anomaly(kind: Kind, days: (&str, &str), expected: f64, impact: f64) -> Anomaly {
        Anomaly {
            level: Level::Account,
            series: "account=111".into(),
            currency: "USD".into(),
            first_day: days.0.into(),
            last_day: days.1.into(),
            kind,
            expected,
            actual: expected + impact,
            impact,
            impact_pct: Some(100.0 * impact / expected),
            score: 5.0,
            level_before: None,
            level_after: None,
            p_value: None,
            parents: Vec::new(),
            parts: Vec::new(),
            root_cause: Vec::new(),
            lifecycle_share: 0.0,
            like_for_like: None,
        }
    }

    /// `weeks` weeks of a weekday/weekend pattern with small deterministic noise; day 0 is
    /// a Monday.
    pub fn weekly(weeks: usize, weekday: f64, weekend: f64) -> Vec<Option<f64>> {
        (0..weeks * 7)
            .map(|d| {
                let noise = [0.0, 1.0, -1.0, 0.5, -0.5, 0.8, -0.8][(d * 3) % 7];
                Some(if d % 7 >= 5 { weekend } else { weekday } + noise)
            })
            .collect()
    }
}

//! Measured detection quality: generate datasets with the synthetic generator, detect, and
//! score the detections against `truth.json` — precision, recall, F1, detection delay,
//! root-cause top-1 accuracy — and false positives per 1,000 series-days on the same data
//! generated without anomalies (its "clean twin").
//!
//! Every injected anomaly is sized on the clean twin: its mean daily extra cost in robust σ
//! of its scope's series there, so that "at least 3σ" means what the data shows, not what
//! the generator planned. The σ is a fixed reference computed here (`reference_scale`),
//! not any detector's own scale: a change to a detector must not move anomalies across the
//! line between those it must find and those it need not.
//!
//! A detection matches an injected anomaly only when it moves the same way and starts within
//! the anomaly's days, ±1 day ([`matches`]).

use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use super::series::{FineTable, Level, build_series};
use super::{Anomaly, Detection, Method, Options, detect_in_table, fine_table};
use crate::error::{Error, Result};
use crate::ingest::{self, LoadOptions};
use crate::synth::{SynthFormat, SynthOptions, generate};

#[derive(Debug, Deserialize)]
struct Truth {
    anomalies: Vec<TruthAnomaly>,
    #[serde(default)]
    waste: Vec<TruthWaste>,
}

/// Injected waste starts cost (request bursts, idle resources): a detection explained by
/// it found something real that the truth lists as waste, not as an anomaly.
#[derive(Debug, Deserialize)]
struct TruthWaste {
    resource_ids: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct TruthAnomaly {
    kind: String,
    scope: Scope,
    first_day: String,
    last_day: String,
    extra_cost: f64,
}

#[derive(Debug, Clone, Deserialize)]
struct Scope {
    level: String,
    key: String,
}

/// The dataset shape used for measurement.
#[derive(Clone, Debug)]
pub struct Setup {
    pub accounts: u32,
    pub days: u32,
    pub target_rows: Option<u64>,
    /// Truth anomalies below this |extra cost| are not expected to be found.
    pub min_impact: f64,
    /// Nor those smaller than this many robust σ of their series.
    pub min_sigmas: f64,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            accounts: 8,
            days: 70,
            target_rows: Some(1_500_000),
            min_impact: 50.0,
            min_sigmas: 3.0,
        }
    }
}

/// One injected anomaly as measured.
#[derive(Clone, Debug)]
pub struct Case {
    pub seed: u64,
    pub kind: String,
    pub level: String,
    pub key: String,
    pub first_day: String,
    pub last_day: String,
    pub impact: f64,
    /// Mean daily extra cost in robust σ of the scope's series; `None` when the scope is not
    /// a scored series (a single resource) or starts before there is history to score it.
    pub sigmas: Option<f64>,
    pub required: bool,
    pub found: bool,
    /// The matching detections starting within `SAME_START_DAYS` of its start, as
    /// "kind series from day", when there are more than one.
    pub reports: Vec<String>,
    /// A level shift that must be found and is not found as one starting within ±1 day of
    /// its start.
    pub off_start: bool,
    /// For such a level shift: the level shift naming its scope that starts nearest to it,
    /// as "series from day (±n days)", when there is one.
    pub nearest_level_shift: Option<String>,
}

/// Counts over all seeds, for one method.
#[derive(Clone, Debug, Default)]
pub struct Score {
    pub eligible: usize,
    pub found: usize,
    /// Detections counted for precision: true ones and false ones.
    pub detections: usize,
    pub true_detections: usize,
    /// Detections of a change the clean twin also has (see `same_change`): changes of the
    /// generated organisation itself, charged to the clean false-positive rate instead.
    pub twin_detections: usize,
    pub delays: Vec<i64>,
    /// Injected level shifts that must be found, and those found as a level shift that
    /// starts within ±1 day of the injected start.
    pub level_shifts: usize,
    pub level_shift_start_ok: usize,
    /// Found injected anomalies that more than one matching detection starts within
    /// `SAME_START_DAYS` of (the same change reported in several series), and of them the
    /// level shifts.
    pub repeated: usize,
    pub level_shifts_repeated: usize,
    /// Found anomalies whose detection has the injected kind (spike, drop, level shift).
    pub kind_ok: usize,
    pub root_cause_checked: usize,
    pub root_cause_ok: usize,
    pub clean_detections: usize,
    pub clean_series_days: usize,
    pub cases: Vec<Case>,
    /// Detections counted as false, so that each can be looked at.
    pub false_detections: Vec<FalseDetection>,
}

/// A detection that matches no injected anomaly and that the clean twin does not make.
#[derive(Clone, Debug)]
pub struct FalseDetection {
    pub seed: u64,
    pub series: String,
    pub kind: super::Kind,
    pub first_day: String,
    pub last_day: String,
    pub impact: f64,
    pub score: f64,
}

impl Score {
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.eligible)
    }
    pub fn precision(&self) -> f64 {
        ratio(self.true_detections, self.detections)
    }
    /// Precision with the clean twin's detections counted as false: a lower bound.
    pub fn precision_lower_bound(&self) -> f64 {
        ratio(self.true_detections, self.detections + self.twin_detections)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    pub fn false_positives_per_1000(&self) -> f64 {
        1000.0 * ratio(self.clean_detections, self.clean_series_days)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

/// Runs the measurement for `method` over `seeds`, generating data under `work`.
pub fn measure(seeds: &[u64], method: Method, setup: &Setup, work: &Path) -> Result<Score> {
    let mut score = Score::default();
    for &seed in seeds {
        let with = work.join(format!("seed-{seed}"));
        let clean = work.join(format!("seed-{seed}-clean"));
        for (dir, anomalies) in [(&with, true), (&clean, false)] {
            let period = ((2025, 8, 4), setup.days);
            generate_unless_present(dir, period, (seed, anomalies), setup)?;
        }
        let options = measured_options(method, setup);
        let (found, _) = run(&with, &options)?;
        let truth: Truth = serde_json::from_slice(
            &std::fs::read(with.join("truth.json")).map_err(Error::io(&with))?,
        )
        .map_err(|e| Error::Invalid(format!("truth.json: {e}")))?;
        let (clean_found, clean_table) = run(&clean, &options)?;
        // Sized on billed cost, as the truth's extra cost is billed.
        let sizes = sizes(&clean_table.in_billed_cost(), &truth);
        score_seed(
            &mut score,
            seed,
            &truth,
            &sizes,
            (&found, &clean_found),
            setup,
        );
        score.clean_detections += clean_found.anomalies.len();
        score.clean_series_days += clean_found.series_days_scored;
    }
    Ok(score)
}

/// Detections on clean quarters that cross February: January to March, where usage priced
/// per month costs 10.7% more per day from 1 February and 9.7% less from 1 March with
/// nothing changed. The August–October datasets of the main measurement never cross it.
#[derive(Clone, Debug, Default)]
pub struct CleanQuarters {
    pub series_days: usize,
    /// Every anomaly reported (lifecycle changes are listed apart and not counted).
    pub detections: Vec<FalseDetection>,
}

impl CleanQuarters {
    pub fn false_positives_per_1000(&self) -> f64 {
        1000.0 * ratio(self.detections.len(), self.series_days)
    }

    /// Level shifts starting on the first of a month: what the length of a month makes.
    pub fn on_month_starts(&self) -> usize {
        self.detections
            .iter()
            .filter(|d| d.kind == super::Kind::LevelShift && d.first_day.ends_with("-01"))
            .count()
    }
}

const FALSE_DETECTIONS_HEADER: &str =
    "| seed | kind | series | days | impact $ | score |\n|---:|---|---|---|---:|---:|";

/// A false detection as a row under [`FALSE_DETECTIONS_HEADER`].
fn false_detection_row(d: &FalseDetection) -> String {
    format!(
        "| {} | {} | {} | {} to {} | {:.2} | {:.1} |",
        d.seed,
        d.kind.label(),
        d.series,
        d.first_day,
        d.last_day,
        d.impact,
        d.score
    )
}

/// The first day of the clean quarters: Monday 2026-01-05, twelve weeks to 2026-03-29.
const QUARTER_START: (i32, u32, u32) = (2026, 1, 5);
const QUARTER_DAYS: u32 = 84;

/// Detects, with `method`, on a clean January–March quarter for each of `seeds` (generated
/// under `work`, as the clean twins are: no anomalies, waste kept).
pub fn measure_clean_quarters(
    seeds: &[u64],
    method: Method,
    setup: &Setup,
    work: &Path,
) -> Result<CleanQuarters> {
    let mut out = CleanQuarters::default();
    for &seed in seeds {
        let dir = work.join(format!("quarter-{seed}-clean"));
        generate_unless_present(&dir, (QUARTER_START, QUARTER_DAYS), (seed, false), setup)?;
        let (found, _) = run(&dir, &measured_options(method, setup))?;
        out.series_days += found.series_days_scored;
        out.detections
            .extend(found.anomalies.iter().map(|a| FalseDetection {
                seed,
                series: a.series.clone(),
                kind: a.kind,
                first_day: a.first_day.clone(),
                last_day: a.last_day.clone(),
                impact: a.impact,
                score: a.score,
            }));
    }
    Ok(out)
}

/// The clean-quarter section: false positives per 1,000 series-days of each method on clean
/// January–March quarters, and every detection made there.
pub fn render_clean_quarters(rows: &[(Method, CleanQuarters)], seeds: &[u64]) -> String {
    let mut out = String::new();
    let seeds: Vec<String> = seeds.iter().map(u64::to_string).collect();
    let _ = writeln!(
        out,
        "\n## Clean quarters across February\n\nSeeds {}, generated as the clean twins are \
         (no anomalies, waste kept) over twelve weeks from 2026-01-05, so that every series \
         crosses 1 February and 1 March, where usage priced per month bills 10.7% more and then \
         9.7% less per day with nothing changed. Every anomaly reported there is false.\n",
        seeds.join(", ")
    );
    let _ = writeln!(
        out,
        "| method | series-days scored | anomalies | false positives per 1,000 series-days | level shifts starting on the first of a month |\n|---|---:|---:|---:|---:|"
    );
    for (method, q) in rows {
        let _ = writeln!(
            out,
            "| {method:?} | {} | {} | {:.2} | {} |",
            q.series_days,
            q.detections.len(),
            q.false_positives_per_1000(),
            q.on_month_starts()
        );
    }
    for (method, q) in rows {
        let lines: Vec<String> = q.detections.iter().map(false_detection_row).collect();
        render_table(
            &mut out,
            &format!("{method:?}: anomalies on the clean quarters"),
            FALSE_DETECTIONS_HEADER,
            &lines,
        );
    }
    out
}

/// Generates a measured dataset in `dir` — CUR 2.0 over `days` days from `start`, waste
/// kept, anomalies injected or not — unless a finished one (its `truth.json`) is there.
fn generate_unless_present(
    dir: &Path,
    (start, days): ((i32, u32, u32), u32),
    (seed, anomalies): (u64, bool),
    setup: &Setup,
) -> Result<()> {
    if dir.join("truth.json").exists() {
        return Ok(());
    }
    generate(&SynthOptions {
        out: dir.to_path_buf(),
        start,
        days,
        accounts: setup.accounts,
        seed,
        format: SynthFormat::Cur2,
        anomalies,
        waste: true,
        force: true,
        target_rows: setup.target_rows,
    })?;
    Ok(())
}

/// The detection options measured: the defaults, alerting at the sizes the measurement
/// requires — a score of 3 and `setup.min_impact` dollars — with no limit in percent of the
/// expected cost. A percent limit is an alert filter a user may add; with the default 10%
/// an 8% step of a busy usage type worth $170 would be left out by design, not missed.
fn measured_options(method: Method, setup: &Setup) -> Options {
    let mut options = Options {
        method,
        ..Options::default()
    };
    options.thresholds.min_score = setup.min_sigmas;
    options.thresholds.min_impact = setup.min_impact;
    options.thresholds.min_impact_pct = 0.0;
    options
}

fn run(dir: &Path, options: &Options) -> Result<(Detection, FineTable)> {
    let load = ingest::load(&[dir.to_path_buf()], &LoadOptions::default())?;
    let (table, notes) = fine_table(&load, options)?;
    Ok((detect_in_table(&table, options, notes), table))
}

/// Each truth anomaly's mean daily extra cost in reference σ ([`reference_scale`]) of its
/// scope's series in `table` (the data without anomalies) before its first day.
fn sizes(table: &FineTable, truth: &Truth) -> Vec<Option<f64>> {
    let levels = [Level::Account, Level::Service, Level::ServiceUsageType];
    let labelled: Vec<(String, Vec<Option<f64>>)> = build_series(table, &levels)
        .into_iter()
        .map(|(key, values)| (key.label(table), values))
        .collect();
    truth
        .anomalies
        .iter()
        .map(|t| {
            let values = &labelled
                .iter()
                .find(|(label, _)| names_scope(label, &t.scope))?
                .1;
            let first = usize::try_from(day(&t.first_day) - table.first_day).ok()?;
            let last = usize::try_from(day(&t.last_day) - table.first_day).ok()?;
            if first >= values.len() {
                return None;
            }
            let scale = reference_scale(values, first)?;
            let days = (last.min(values.len() - 1) + 1)
                .saturating_sub(first)
                .max(1);
            Some(t.extra_cost.abs() / days as f64 / scale)
        })
        .collect()
}

/// Days before an anomaly its reference scale is taken from, at most.
const SIZING_WINDOW_DAYS: usize = 28;
/// Days of history an anomaly needs before it to be sized.
const SIZING_MIN_HISTORY_DAYS: usize = 14;

/// The reference σ of a series' day-to-day noise before day `first`, independent of every
/// detector: 1.4826 × the median absolute deviation (from their median) of the week-over-week
/// differences (each day minus the same weekday a week before) within the up to 28 days
/// before `first`, divided by √2 (a difference of two days carries the noise of both). The
/// weekly pattern cancels in each difference, steady growth moves every difference alike
/// and so drops out with their median, and a single odd day touches only two differences.
/// For independent normal noise it estimates σ without bias (0.99σ on average with 28 days;
/// a residual against the same-weekday median of the same four weeks would give 0.73σ).
/// `None` with fewer than 14 days before `first`, or fewer than five differences. Floored at
/// one cent, as a series that never moved has no noise to size against.
fn reference_scale(values: &[Option<f64>], first: usize) -> Option<f64> {
    if first < SIZING_MIN_HISTORY_DAYS || first > values.len() {
        return None;
    }
    let start = first.saturating_sub(SIZING_WINDOW_DAYS);
    let differences: Vec<f64> = (start + 7..first)
        .filter_map(|d| Some(values[d]? - values[d - 7]?))
        .filter(|x| x.is_finite())
        .collect();
    if differences.len() < 5 {
        return None;
    }
    let scale = super::stats::robust_scale(&differences)?;
    Some((scale / std::f64::consts::SQRT_2).max(0.01))
}

/// Whether a series label is the series of a truth scope.
fn names_scope(label: &str, scope: &Scope) -> bool {
    match scope.level.as_str() {
        "account" => label == format!("account={}", scope.key),
        "service" => label == format!("service={}", scope.key),
        "usage_type" => label.ends_with(&format!(" / usage-type={}", scope.key)),
        _ => false,
    }
}

fn score_seed(
    score: &mut Score,
    seed: u64,
    truth: &Truth,
    sizes: &[Option<f64>],
    (found, clean): (&Detection, &Detection),
    setup: &Setup,
) {
    let required: Vec<bool> = truth
        .anomalies
        .iter()
        .zip(sizes)
        .map(|(t, size)| {
            t.extra_cost.abs() >= setup.min_impact && size.is_some_and(|s| s >= setup.min_sigmas)
        })
        .collect();
    for ((t, size), &is_required) in truth.anomalies.iter().zip(sizes).zip(&required) {
        // Of the detections that match, the one that starts closest to the injected start.
        let hit = found
            .anomalies
            .iter()
            .filter(|d| matches(t, d))
            .min_by_key(|d| day_diff(&d.first_day, &t.first_day).abs());
        let mut reports = Vec::new();
        let off_start = is_required
            && t.kind == "level_shift"
            && !hit.is_some_and(|d| starts_as_level_shift(t, d));
        if is_required {
            score.eligible += 1;
            if t.kind == "level_shift" {
                score.level_shifts += 1;
            }
            if let Some(d) = hit {
                record_hit(score, t, d);
                reports = found
                    .anomalies
                    .iter()
                    .filter(|d| {
                        matches(t, d)
                            && day_diff(&d.first_day, &t.first_day).abs() <= SAME_START_DAYS
                    })
                    .map(|d| format!("{} {} from {}", d.kind.label(), d.series, d.first_day))
                    .collect();
                if reports.len() > 1 {
                    score.repeated += 1;
                    if t.kind == "level_shift" {
                        score.level_shifts_repeated += 1;
                    }
                } else {
                    reports.clear();
                }
            }
        }
        score.cases.push(Case {
            seed,
            kind: t.kind.clone(),
            level: t.scope.level.clone(),
            key: t.scope.key.clone(),
            first_day: t.first_day.clone(),
            last_day: t.last_day.clone(),
            impact: t.extra_cost.abs(),
            sigmas: *size,
            required: is_required,
            found: hit.is_some(),
            reports,
            off_start,
            nearest_level_shift: off_start.then(|| nearest_level_shift(t, found)).flatten(),
        });
    }
    for d in &found.anomalies {
        let mut truths = truth.anomalies.iter().zip(&required);
        let of_required = truths.clone().any(|(t, r)| *r && matches(t, d));
        let of_small = truths.any(|(t, r)| !*r && matches(t, d));
        let of_waste = d.root_cause.first().is_some_and(|c| {
            truth
                .waste
                .iter()
                .any(|w| w.resource_ids.iter().any(|id| id == &c.resource))
        });
        // A detection of an anomaly too small to be required, or of injected waste, is
        // neither right nor wrong.
        if of_required {
            score.detections += 1;
            score.true_detections += 1;
        } else if of_small || of_waste {
            continue;
        } else if clean.anomalies.iter().chain(&clean.lifecycle).any(|c| {
            same_change(c, d) || c.parts.iter().any(|part| same_change(&as_part(c, part), d))
        }) {
            score.twin_detections += 1;
        } else {
            score.detections += 1;
            score.false_detections.push(FalseDetection {
                seed,
                series: d.series.clone(),
                kind: d.kind,
                first_day: d.first_day.clone(),
                last_day: d.last_day.clone(),
                impact: d.impact,
                score: d.score,
            });
        }
    }
}

/// A part of a detection ([`Anomaly::parts`]) as a detection of its own: the same change in
/// a finer series.
fn as_part(host: &Anomaly, part: &str) -> Anomaly {
    Anomaly {
        series: part.to_string(),
        parts: Vec::new(),
        ..host.clone()
    }
}

/// The same change: days overlapping (±1 day) in the same series, or in one that contains
/// the other (`account=1` and `account=1 / service=AmazonEC2`), as the levels at which one
/// change is reported can differ between the two datasets.
fn same_change(a: &Anomaly, b: &Anomaly) -> bool {
    let parts = |x: &Anomaly| -> Vec<String> {
        x.series
            .split(" / ")
            .filter(|p| *p != "total")
            .map(str::to_string)
            .collect()
    };
    let (pa, pb) = (parts(a), parts(b));
    let nested = pa.iter().all(|p| pb.contains(p)) || pb.iter().all(|p| pa.contains(p));
    nested && day_diff(&a.first_day, &b.last_day) <= 1 && day_diff(&b.first_day, &a.last_day) <= 1
}

/// The generator's name of a detected kind in `truth.json`.
fn truth_kind(kind: super::Kind) -> &'static str {
    match kind {
        super::Kind::Spike => "spike",
        super::Kind::Drop => "drop",
        super::Kind::LevelShift => "level_shift",
    }
}

fn record_hit(score: &mut Score, t: &TruthAnomaly, d: &Anomaly) {
    score.found += 1;
    score
        .delays
        .push(day_diff(&d.first_day, &t.first_day).max(0));
    if starts_as_level_shift(t, d) {
        score.level_shift_start_ok += 1;
    }
    if truth_kind(d.kind) == t.kind {
        score.kind_ok += 1;
    }
    score.root_cause_checked += 1;
    if root_cause_names(t, d) {
        score.root_cause_ok += 1;
    }
}

/// Whether `d` reports the injected level shift `t` as a level shift starting within ±1
/// day of its start.
fn starts_as_level_shift(t: &TruthAnomaly, d: &Anomaly) -> bool {
    t.kind == "level_shift"
        && d.kind == super::Kind::LevelShift
        && day_diff(&d.first_day, &t.first_day).abs() <= 1
}

/// The level shift moving `t`'s way and naming its scope that starts nearest to its start,
/// as "series from day (±n days)", unless that is within ±1 day.
fn nearest_level_shift(t: &TruthAnomaly, found: &Detection) -> Option<String> {
    let off = |d: &Anomaly| day_diff(&d.first_day, &t.first_day);
    found
        .anomalies
        .iter()
        .filter(|d| d.kind == super::Kind::LevelShift && moves_its_way_in_scope(t, d))
        .min_by_key(|d| off(d).abs())
        .filter(|d| off(d).abs() > 1)
        .map(|d| format!("{} from {} ({:+} days)", d.series, d.first_day, off(d)))
}

/// A detection matches a truth anomaly when it moves the same way (the sign of its impact is
/// the sign of the injected extra cost), starts within the injected days ±1 day (a detection
/// that began earlier, or a level shift that runs on to the end of the data, does not match
/// an anomaly injected later), and points at the injected scope: in its series, its parents
/// or its top root cause.
fn matches(t: &TruthAnomaly, d: &Anomaly) -> bool {
    let starts_within =
        day_diff(&d.first_day, &t.first_day) >= -1 && day_diff(&d.first_day, &t.last_day) <= 1;
    starts_within && moves_its_way_in_scope(t, d)
}

/// The detection moves the way of `t` (the sign of its impact is the sign of the injected
/// extra cost) and names its scope: in its series, its parents or its top root cause.
fn moves_its_way_in_scope(t: &TruthAnomaly, d: &Anomaly) -> bool {
    let same_way = (t.extra_cost > 0.0) == (d.impact > 0.0);
    let key = &t.scope.key;
    let in_series = d
        .series
        .split(" / ")
        .any(|part| part.split_once('=').is_some_and(|(_, v)| v == key))
        || d.parents.iter().any(|p| {
            p.split(" / ")
                .any(|part| part.ends_with(&format!("={key}")))
        });
    same_way && (in_series || root_cause_names(t, d))
}

/// The top root cause (or, for account and service scopes, the series itself) names the
/// injected scope.
fn root_cause_names(t: &TruthAnomaly, d: &Anomaly) -> bool {
    let key = &t.scope.key;
    match t.scope.level.as_str() {
        "usage_type" | "resource" => d
            .root_cause
            .first()
            .is_some_and(|c| &c.usage_type == key || &c.resource == key),
        level => {
            let wanted = if level == "account" {
                "account"
            } else {
                "service"
            };
            d.series
                .split(" / ")
                .any(|part| part == format!("{wanted}={key}"))
        }
    }
}

fn day(text: &str) -> i64 {
    crate::cube::Day::parse(text).map(|d| d.0).unwrap_or(0)
}

fn day_diff(a: &str, b: &str) -> i64 {
    day(a) - day(b)
}

/// The Markdown tables of the measurement.
/// The header of the table of scores, one row per method.
const SCORE_HEADER: &str = "| method | anomalies to find | found | recall | detections | precision | F1 | precision, twin detections as false | mean delay (days) | level shifts to find, found starting ±1 day | found with the injected kind | root cause top-1 | false positives per 1,000 series-days (clean data) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

pub fn render(rows: &[(Method, Score)], seeds: &[u64], setup: &Setup) -> String {
    let mut out = String::new();
    let seeds: Vec<String> = seeds.iter().map(u64::to_string).collect();
    let _ = writeln!(
        out,
        "Measured on {} generated CUR 2.0 datasets (seeds {}; {} linked accounts, {} days, about {} rows each), \
         each generated twice: with the generator's injected anomalies and without (the clean twin). \
         Detection runs with the default options, alerting at a score of {} and an impact of ${} with no \
         limit in percent of the expected cost (the default 10% is an alert filter: it would leave out \
         an 8% step by design). \
         An injected anomaly is sized on the clean twin, in σ of its scope's series there: a fixed \
         reference scale computed by the measurement itself, not by any detector, so that a change to a \
         detector cannot change which anomalies must be found — 1.4826 × the median absolute deviation of \
         the week-over-week differences (each day minus the same weekday a week before) over the up to 28 \
         days before the anomaly's first day, divided by √2. Those of at least {}σ and ${} must be found. \
         A detection matches an injected anomaly only when it moves the same way (the sign of its impact \
         is that of the injected extra cost), starts within the anomaly's days ±1 day, and names its scope \
         (in its series, its parents or its top root cause); a detection that started earlier, or a level \
         shift running on to the end of the data, does not match an anomaly injected later. A detection \
         is true when it matches an anomaly that must be found. One that matches only a smaller anomaly, \
         or whose top root cause is an injected waste resource, counts neither way. A \
         detection the clean twin also makes or lists as resources starting or stopping (overlapping days, in \
         the same series or one containing it or contained in it) is a change of the generated \
         organisation itself (resources starting and stopping, storage growing): it is charged to the \
         false-positive rate on clean data, and counted as false only in the lower-bound precision. Every \
         other detection is a false positive.\n",
        seeds.len(),
        seeds.join(", "),
        setup.accounts,
        setup.days,
        setup
            .target_rows
            .map_or("the default number of".to_string(), |r| r.to_string()),
        setup.min_sigmas,
        setup.min_impact,
        setup.min_sigmas,
        setup.min_impact
    );
    let _ = writeln!(out, "{SCORE_HEADER}");
    for (method, s) in rows {
        render_score_row(&mut out, *method, s);
    }
    render_reporting(&mut out, rows);
    render_sizes(&mut out, rows, setup);
    render_cases(&mut out, rows);
    if let Some((method, first)) = rows.first() {
        render_misses(&mut out, *method, first);
    }
    out
}

fn render_score_row(out: &mut String, method: Method, s: &Score) {
    let delay = if s.delays.is_empty() {
        f64::NAN
    } else {
        s.delays.iter().sum::<i64>() as f64 / s.delays.len() as f64
    };
    let _ = writeln!(
        out,
        "| {:?} | {} | {} | {:.3} | {} | {:.3} | {:.3} | {:.3} | {:.2} | {}/{} | {}/{} | {}/{} | {:.2} |",
        method,
        s.eligible,
        s.found,
        s.recall(),
        s.detections,
        s.precision(),
        s.f1(),
        s.precision_lower_bound(),
        delay,
        s.level_shift_start_ok,
        s.level_shifts,
        s.kind_ok,
        s.found,
        s.root_cause_ok,
        s.root_cause_checked,
        s.false_positives_per_1000()
    );
}

/// Days from an injected anomaly's start within which a matching detection reports that
/// change (a later one in a level shift's days is another change).
const SAME_START_DAYS: i64 = 3;

/// The hold-out section: the seasonal method on `seeds`, a set kept apart from the main one.
/// A change to a detector is judged on the main seeds; this table shows whether it holds on
/// data it was not judged on.
pub fn render_holdout(score: &Score, seeds: &[u64]) -> String {
    let mut out = String::new();
    let seeds: Vec<String> = seeds.iter().map(u64::to_string).collect();
    let _ = writeln!(
        out,
        "\n## Hold-out seeds\n\nSeeds {}, measured the same way with the seasonal method. \
         Changes to the detector are judged on the seeds above; these are kept apart to show \
         whether a change holds on data it was not judged on.\n",
        seeds.join(", ")
    );
    let _ = writeln!(out, "{SCORE_HEADER}");
    render_score_row(&mut out, Method::Seasonal, score);
    let rows = [(Method::Seasonal, score.clone())];
    render_reporting(&mut out, &rows);
    render_misses(&mut out, Method::Seasonal, score);
    out
}

/// How each method reports what it finds: anomalies found more than once, and level shifts
/// found, found from the right day, and found more than once.
fn render_reporting(out: &mut String, rows: &[(Method, Score)]) {
    let _ = writeln!(out);
    for (method, s) in rows {
        let shifts_found = s
            .cases
            .iter()
            .filter(|c| c.required && c.found && c.kind == "level_shift")
            .count();
        let _ = writeln!(
            out,
            "- {method:?}: {} of the {} anomalies found are reported more than once (by \
             matching detections in several series starting within {SAME_START_DAYS} days of \
             the injected start). Of {} level shifts to find, {shifts_found} are found, {} of \
             them start within ±1 day of the injected start, and {} are reported more than \
             once.",
            s.repeated, s.found, s.level_shifts, s.level_shift_start_ok, s.level_shifts_repeated
        );
    }
}

/// Found / injected by size bucket, for every method.
fn render_sizes(out: &mut String, rows: &[(Method, Score)], setup: &Setup) {
    let buckets: [(&str, f64, f64); 5] = [
        ("not sized", f64::NAN, f64::NAN),
        ("below the limit", f64::NEG_INFINITY, setup.min_sigmas),
        ("3–5σ", setup.min_sigmas, 5.0),
        ("5–10σ", 5.0, 10.0),
        ("10σ and more", 10.0, f64::INFINITY),
    ];
    let names: Vec<String> = rows.iter().map(|(m, _)| format!("{m:?} found")).collect();
    let _ = writeln!(
        out,
        "\nBy size (reference σ on the clean twin; \"below the limit\" also holds anomalies under ${}; \"not sized\" are single resources or anomalies without two weeks of history before them):\n\n| size | injected | {} |\n|---|---:|{}",
        setup.min_impact,
        names.join(" | "),
        "---:|".repeat(names.len())
    );
    let Some((_, first)) = rows.first() else {
        return;
    };
    for (label, lo, hi) in buckets {
        let in_bucket = |c: &Case| match c.sigmas {
            None => lo.is_nan(),
            Some(_) if !c.required => lo == f64::NEG_INFINITY,
            Some(x) => c.required && x >= lo && x < hi,
        };
        let injected = first.cases.iter().filter(|c| in_bucket(c)).count();
        let found: Vec<String> = rows
            .iter()
            .map(|(_, s)| {
                s.cases
                    .iter()
                    .filter(|c| in_bucket(c) && c.found)
                    .count()
                    .to_string()
            })
            .collect();
        let _ = writeln!(out, "| {label} | {injected} | {} |", found.join(" | "));
    }
}

/// Every injected anomaly with its size and whether each method found it.
fn render_cases(out: &mut String, rows: &[(Method, Score)]) {
    let names: Vec<String> = rows.iter().map(|(m, _)| format!("{m:?}")).collect();
    let _ = writeln!(
        out,
        "\nEvery injected anomaly:\n\n| kind | scope | impact $ | size σ | must be found | {} |\n|---|---|---:|---:|---|{}",
        names.join(" | "),
        "---|".repeat(names.len())
    );
    let Some((_, first)) = rows.first() else {
        return;
    };
    let mut order: Vec<usize> = (0..first.cases.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&first.cases[a], &first.cases[b]);
        (&x.kind, &x.level)
            .cmp(&(&y.kind, &y.level))
            .then(x.impact.total_cmp(&y.impact))
    });
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    for i in order {
        let c = &first.cases[i];
        let found: Vec<&str> = rows.iter().map(|(_, s)| yes_no(s.cases[i].found)).collect();
        let size = c.sigmas.map_or("–".to_string(), |x| format!("{x:.1}"));
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} | {size} | {} | {} |",
            c.kind,
            c.level,
            c.impact,
            yes_no(c.required),
            found.join(" | ")
        );
    }
}

/// The anomalies found that were reported more than once, with their reports.
fn render_repeated(out: &mut String, method: Method, s: &Score) {
    let rows: Vec<String> = s
        .cases
        .iter()
        .filter(|c| c.reports.len() > 1)
        .map(|c| {
            format!(
                "| {} | {} | {} {} | {} to {} | {} |",
                c.seed,
                c.kind,
                c.level,
                c.key,
                c.first_day,
                c.last_day,
                c.reports.join("; ")
            )
        })
        .collect();
    render_table(
        out,
        &format!("{method:?}: anomalies found that were reported more than once"),
        "| seed | kind | scope | days | reports |\n|---:|---|---|---|---|",
        &rows,
    );
}

/// A titled table with its number of rows; the header only when there are rows.
fn render_table(out: &mut String, title: &str, header: &str, rows: &[String]) {
    let _ = writeln!(out, "\n{title} ({}):\n", rows.len());
    if !rows.is_empty() {
        let _ = writeln!(out, "{header}");
    }
    for row in rows {
        let _ = writeln!(out, "{row}");
    }
}

/// The level shifts to find that were not reported as one starting within ±1 day of the
/// injected start, with the nearest level shift naming their scope.
fn render_off_start(out: &mut String, method: Method, s: &Score) {
    let rows: Vec<String> = s
        .cases
        .iter()
        .filter(|c| c.off_start)
        .map(|c| {
            format!(
                "| {} | {} {} | {} | {} | {} |",
                c.seed,
                c.level,
                c.key,
                c.first_day,
                if c.found { "yes" } else { "no" },
                c.nearest_level_shift.as_deref().unwrap_or("none")
            )
        })
        .collect();
    render_table(
        out,
        &format!("{method:?}: level shifts to find not reported from their start (±1 day)"),
        "| seed | scope | injected start | found | nearest level shift naming the scope |\n|---:|---|---|---|---|",
        &rows,
    );
}

/// The anomalies the method missed, the level shifts it did not report from their start,
/// the anomalies it reported more than once and its false detections, one line each, so
/// that every shortfall of the table above can be looked up in the data.
fn render_misses(out: &mut String, method: Method, s: &Score) {
    let missed: Vec<String> = s
        .cases
        .iter()
        .filter(|c| c.required && !c.found)
        .map(|c| {
            let size = c.sigmas.map_or("–".to_string(), |x| format!("{x:.1}"));
            format!(
                "| {} | {} | {} {} | {} to {} | {:.2} | {size} |",
                c.seed, c.kind, c.level, c.key, c.first_day, c.last_day, c.impact
            )
        })
        .collect();
    render_table(
        out,
        &format!("{method:?}: anomalies to find that were missed"),
        "| seed | kind | scope | days | impact $ | size σ |\n|---:|---|---|---|---:|---:|",
        &missed,
    );
    render_off_start(out, method, s);
    render_repeated(out, method, s);
    let false_detections: Vec<String> =
        s.false_detections.iter().map(false_detection_row).collect();
    render_table(
        out,
        &format!("{method:?}: false detections"),
        FALSE_DETECTIONS_HEADER,
        &false_detections,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::Kind;

    fn truth(first: &str, last: &str, extra: f64) -> TruthAnomaly {
        TruthAnomaly {
            kind: "spike".into(),
            scope: Scope {
                level: "account".into(),
                key: "111".into(),
            },
            first_day: first.into(),
            last_day: last.into(),
            extra_cost: extra,
        }
    }

    fn detection(first: &str, last: &str, impact: f64) -> Anomaly {
        crate::anomaly::fixtures::anomaly(Kind::Spike, (first, last), 100.0, impact)
    }

    #[test]
    fn a_match_moves_the_same_way_and_starts_within_the_days() {
        let t = truth("2025-09-10", "2025-09-12", 150.0);
        assert!(matches(&t, &detection("2025-09-10", "2025-09-11", 120.0)));
        assert!(matches(&t, &detection("2025-09-09", "2025-09-12", 120.0)));
        assert!(matches(&t, &detection("2025-09-13", "2025-09-13", 60.0)));
        // The wrong way.
        assert!(!matches(&t, &detection("2025-09-10", "2025-09-12", -120.0)));
        // A level shift that started weeks before and runs to the end of the data.
        assert!(!matches(&t, &detection("2025-08-20", "2025-10-12", 900.0)));
        // Starting two days early or late.
        assert!(!matches(&t, &detection("2025-09-08", "2025-09-12", 120.0)));
        assert!(!matches(&t, &detection("2025-09-14", "2025-09-15", 120.0)));
    }

    #[test]
    fn the_nearest_level_shift_naming_the_scope_is_shown_when_off_its_start() {
        let t = TruthAnomaly {
            kind: "level_shift".into(),
            ..truth("2025-09-10", "2025-10-12", 300.0)
        };
        let shift = |first: &str, impact: f64| {
            crate::anomaly::fixtures::anomaly(
                Kind::LevelShift,
                (first, "2025-10-12"),
                900.0,
                impact,
            )
        };
        let found = |anomalies: Vec<Anomaly>| Detection {
            method: Method::Seasonal,
            metric: crate::cube::Metric::Amortized,
            first_day: "2025-08-04".into(),
            last_day: "2025-10-12".into(),
            series_scored: 1,
            series_days_scored: 70,
            anomalies,
            lifecycle: Vec::new(),
            skipped: Vec::new(),
            notes: Vec::new(),
        };
        // Five days early and three days late, and one the other way on the right day.
        let off = found(vec![
            shift("2025-09-05", 400.0),
            shift("2025-09-13", 250.0),
            shift("2025-09-10", -250.0),
        ]);
        assert_eq!(
            nearest_level_shift(&t, &off).as_deref(),
            Some("account=111 from 2025-09-13 (+3 days)")
        );
        assert!(!starts_as_level_shift(&t, &off.anomalies[1]));
        // One a day late is on its start.
        let on = found(vec![shift("2025-09-11", 250.0)]);
        assert_eq!(nearest_level_shift(&t, &on), None);
        assert!(starts_as_level_shift(&t, &on.anomalies[0]));
    }

    #[test]
    fn the_reference_scale_ignores_the_weekly_pattern_and_steady_growth() {
        // Weekdays 100, weekends 40, noise ±1, growing 0.5 a day.
        let noise = [0.0, 1.0, -1.0, 0.5, -0.5, 0.8, -0.8, 0.3, -0.3, 0.9, -0.9];
        let values: Vec<Option<f64>> = (0..42)
            .map(|d| {
                let level = if d % 7 >= 5 { 40.0 } else { 100.0 };
                Some(level + 0.5 * d as f64 + noise[(d * 5) % noise.len()])
            })
            .collect();
        let scale = reference_scale(&values, 35).unwrap();
        assert!((0.3..1.5).contains(&scale), "{scale}");
        // Too little history to size against.
        assert!(reference_scale(&values, 13).is_none());
        // A flat series has the one-cent floor.
        let flat = vec![Some(5.0); 42];
        assert_eq!(reference_scale(&flat, 30), Some(0.01));
    }
}

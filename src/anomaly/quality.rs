//! Measured detection quality: generate datasets with the synthetic generator, detect, and
//! score the detections against `truth.json` — precision, recall, F1, detection delay,
//! root-cause top-1 accuracy — and false positives per 1,000 series-days on the same data
//! generated without anomalies (its "clean twin").
//!
//! Every injected anomaly is sized on the clean twin: its mean daily extra cost in robust σ
//! of its scope's series there (the seasonal detector's own scale on its first day), so that
//! "at least 3σ" means what the data shows, not what the generator planned.

use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use super::detectors::{ScoringParams, seasonal_expectation};
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
    pub kind: String,
    pub level: String,
    pub impact: f64,
    /// Mean daily extra cost in robust σ of the scope's series; `None` when the scope is not
    /// a scored series (a single resource) or starts before there is history to score it.
    pub sigmas: Option<f64>,
    pub required: bool,
    pub found: bool,
}

/// Counts over all seeds, for one method.
#[derive(Clone, Debug, Default)]
pub struct Score {
    pub eligible: usize,
    pub found: usize,
    /// Detections counted for precision: true ones and false ones.
    pub detections: usize,
    pub true_detections: usize,
    /// Detections of a change the clean twin also has (see [`same_change`]): changes of the
    /// generated organisation itself, charged to the clean false-positive rate instead.
    pub twin_detections: usize,
    pub delays: Vec<i64>,
    pub level_shifts: usize,
    pub level_shift_start_ok: usize,
    pub root_cause_checked: usize,
    pub root_cause_ok: usize,
    pub clean_detections: usize,
    pub clean_series_days: usize,
    pub cases: Vec<Case>,
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
            if !dir.join("truth.json").exists() {
                generate(&SynthOptions {
                    out: dir.to_path_buf(),
                    start: (2025, 8, 4),
                    days: setup.days,
                    accounts: setup.accounts,
                    seed,
                    format: SynthFormat::Cur2,
                    anomalies,
                    waste: true,
                    force: true,
                    target_rows: setup.target_rows,
                })?;
            }
        }
        let options = Options {
            method,
            ..Options::default()
        };
        let (found, _) = run(&with, &options)?;
        let truth: Truth = serde_json::from_slice(
            &std::fs::read(with.join("truth.json")).map_err(Error::io(&with))?,
        )
        .map_err(|e| Error::Invalid(format!("truth.json: {e}")))?;
        let (clean_found, clean_table) = run(&clean, &options)?;
        let sizes = sizes(&clean_table, &truth, &options.params);
        score_seed(&mut score, &truth, &sizes, (&found, &clean_found), setup);
        score.clean_detections += clean_found.anomalies.len();
        score.clean_series_days += clean_found.series_days_scored;
    }
    Ok(score)
}

fn run(dir: &Path, options: &Options) -> Result<(Detection, FineTable)> {
    let load = ingest::load(&[dir.to_path_buf()], &LoadOptions::default())?;
    let (table, notes) = fine_table(&load, options)?;
    Ok((detect_in_table(&table, options, notes), table))
}

/// Each truth anomaly's mean daily extra cost in robust σ of its scope's series in `table`
/// (the data without anomalies), σ being the seasonal detector's scale on its first day.
fn sizes(table: &FineTable, truth: &Truth, params: &ScoringParams) -> Vec<Option<f64>> {
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
            let (_, scale) = (*seasonal_expectation(values, params).get(first)?)?;
            let days = (last.min(values.len() - 1) + 1)
                .saturating_sub(first)
                .max(1);
            Some(t.extra_cost.abs() / days as f64 / scale)
        })
        .collect()
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
        if is_required {
            score.eligible += 1;
            if let Some(d) = hit {
                record_hit(score, t, d);
            }
        }
        score.cases.push(Case {
            kind: t.kind.clone(),
            level: t.scope.level.clone(),
            impact: t.extra_cost.abs(),
            sigmas: *size,
            required: is_required,
            found: hit.is_some(),
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
        } else if clean
            .anomalies
            .iter()
            .chain(&clean.lifecycle)
            .any(|c| same_change(c, d))
        {
            score.twin_detections += 1;
        } else {
            score.detections += 1;
        }
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

fn record_hit(score: &mut Score, t: &TruthAnomaly, d: &Anomaly) {
    score.found += 1;
    score
        .delays
        .push(day_diff(&d.first_day, &t.first_day).max(0));
    if t.kind == "level_shift" {
        score.level_shifts += 1;
        if d.kind == super::Kind::LevelShift && day_diff(&d.first_day, &t.first_day).abs() <= 1 {
            score.level_shift_start_ok += 1;
        }
    }
    score.root_cause_checked += 1;
    if root_cause_names(t, d) {
        score.root_cause_ok += 1;
    }
}

/// A detection matches a truth anomaly when their days overlap (±1 day) and the detection
/// points at the injected scope: in its series, its parents or its top root cause.
fn matches(t: &TruthAnomaly, d: &Anomaly) -> bool {
    let overlap =
        day_diff(&d.first_day, &t.last_day) <= 1 && day_diff(&t.first_day, &d.last_day) <= 1;
    let key = &t.scope.key;
    let in_series = d
        .series
        .split(" / ")
        .any(|part| part.split_once('=').is_some_and(|(_, v)| v == key))
        || d.parents.iter().any(|p| {
            p.split(" / ")
                .any(|part| part.ends_with(&format!("={key}")))
        });
    overlap && (in_series || root_cause_names(t, d))
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
pub fn render(rows: &[(Method, Score)], seeds: &[u64], setup: &Setup) -> String {
    let mut out = String::new();
    let seeds: Vec<String> = seeds.iter().map(u64::to_string).collect();
    let _ = writeln!(
        out,
        "Measured on {} generated CUR 2.0 datasets (seeds {}; {} linked accounts, {} days, about {} rows each), \
         each generated twice: with the generator's injected anomalies and without (the clean twin). \
         An injected anomaly is sized on the clean twin, in robust σ of its scope's series (the seasonal \
         detector's scale on its first day); those of at least {}σ and ${} must be found. A detection of a \
         smaller one, or one whose top root cause is an injected waste resource, counts neither way. A \
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
        setup.min_impact
    );
    let _ = writeln!(
        out,
        "| method | anomalies to find | found | recall | detections | precision | F1 | precision, twin detections as false | mean delay (days) | level shifts started ±1 day | root cause top-1 | false positives per 1,000 series-days (clean data) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (method, s) in rows {
        render_score_row(&mut out, *method, s);
    }
    render_sizes(&mut out, rows, setup);
    render_cases(&mut out, rows);
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
        "| {:?} | {} | {} | {:.2} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {}/{} | {}/{} | {:.2} |",
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
        s.root_cause_ok,
        s.root_cause_checked,
        s.false_positives_per_1000()
    );
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
        "\nBy size (robust σ on the clean twin; \"below the limit\" also holds anomalies under ${}; \"not sized\" are single resources or anomalies without two weeks of history before them):\n\n| size | injected | {} |\n|---|---:|{}",
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

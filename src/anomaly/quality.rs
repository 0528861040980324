//! Measured detection quality: generate datasets with the synthetic generator, detect, and
//! score the detections against `truth.json` — precision, recall, F1, detection delay,
//! root-cause top-1 accuracy — and false positives per 1,000 series-days on the same data
//! generated without anomalies.

use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use super::{Anomaly, Detection, Method, Options, detect};
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
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            accounts: 8,
            days: 70,
            target_rows: Some(1_500_000),
            min_impact: 50.0,
        }
    }
}

/// Counts over all seeds, for one method.
#[derive(Clone, Debug, Default)]
pub struct Score {
    pub eligible: usize,
    pub found: usize,
    pub detections: usize,
    pub true_detections: usize,
    pub delays: Vec<i64>,
    pub level_shifts: usize,
    pub level_shift_start_ok: usize,
    pub root_cause_checked: usize,
    pub root_cause_ok: usize,
    pub clean_detections: usize,
    pub clean_series_days: usize,
    /// `(kind, level, |extra|, found)` of every eligible truth anomaly.
    pub cases: Vec<(String, String, f64, bool)>,
}

impl Score {
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.eligible)
    }
    pub fn precision(&self) -> f64 {
        ratio(self.true_detections, self.detections)
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
        let found = run(&with, &options)?;
        let truth: Truth = serde_json::from_slice(
            &std::fs::read(with.join("truth.json")).map_err(Error::io(&with))?,
        )
        .map_err(|e| Error::Invalid(format!("truth.json: {e}")))?;
        score_seed(&mut score, &truth, &found, setup);
        let clean_found = run(&clean, &options)?;
        score.clean_detections += clean_found.anomalies.len();
        score.clean_series_days += clean_found.series_days_scored;
    }
    Ok(score)
}

fn run(dir: &Path, options: &Options) -> Result<Detection> {
    let load = ingest::load(&[dir.to_path_buf()], &LoadOptions::default())?;
    detect(&load, options)
}

fn score_seed(score: &mut Score, truth: &Truth, found: &Detection, setup: &Setup) {
    let required = |t: &&TruthAnomaly| t.extra_cost.abs() >= setup.min_impact;
    for t in truth.anomalies.iter().filter(required) {
        // Of the detections that match, the one that starts closest to the injected start.
        let hit = found
            .anomalies
            .iter()
            .filter(|d| matches(t, d))
            .min_by_key(|d| day_diff(&d.first_day, &t.first_day).abs());
        if let Some(d) = hit {
            record_hit(score, t, d);
        }
        score.eligible += 1;
        score.cases.push((
            t.kind.clone(),
            t.scope.level.clone(),
            t.extra_cost.abs(),
            hit.is_some(),
        ));
    }
    for d in &found.anomalies {
        let of_required = truth
            .anomalies
            .iter()
            .filter(required)
            .any(|t| matches(t, d));
        let of_small = truth.anomalies.iter().any(|t| matches(t, d));
        let of_waste = d.root_cause.first().is_some_and(|c| {
            truth
                .waste
                .iter()
                .any(|w| w.resource_ids.iter().any(|id| id == &c.resource))
        });
        // A detection of an anomaly too small to be required, or of injected waste, is
        // neither right nor wrong.
        if (of_small || of_waste) && !of_required {
            continue;
        }
        score.detections += 1;
        if of_required {
            score.true_detections += 1;
        }
    }
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

fn day_diff(a: &str, b: &str) -> i64 {
    let day = |s: &str| crate::cube::Day::parse(s).map(|d| d.0).unwrap_or(0);
    day(a) - day(b)
}

/// The Markdown table of the measurement.
pub fn render(rows: &[(Method, Score)], seeds: &[u64], setup: &Setup) -> String {
    let mut out = String::new();
    let seeds: Vec<String> = seeds.iter().map(u64::to_string).collect();
    let _ = writeln!(
        out,
        "Measured on {} generated CUR 2.0 datasets (seeds {}; {} linked accounts, {} days, about {} rows each), \
         each generated twice: with the generator's injected anomalies and without. Truth anomalies with an \
         impact of at least ${} must be found; a detection of a smaller one, or one whose top root cause is \
         an injected waste resource (a request burst starting, say), counts neither way. Every other \
         detection is a false positive, although the generator also changes costs it does not list as \
         anomalies (resources starting and stopping, storage growth): precision is a lower bound.\n",
        seeds.len(),
        seeds.join(", "),
        setup.accounts,
        setup.days,
        setup
            .target_rows
            .map_or("the default number of".to_string(), |r| r.to_string()),
        setup.min_impact
    );
    let _ = writeln!(
        out,
        "| method | truth anomalies | found | recall | detections | precision | F1 | mean delay (days) | level shifts started ±1 day | root cause top-1 | false positives per 1,000 series-days (clean data) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (method, s) in rows {
        let delay = if s.delays.is_empty() {
            f64::NAN
        } else {
            s.delays.iter().sum::<i64>() as f64 / s.delays.len() as f64
        };
        let _ = writeln!(
            out,
            "| {:?} | {} | {} | {:.2} | {} | {:.2} | {:.2} | {:.2} | {}/{} | {}/{} | {:.2} |",
            method,
            s.eligible,
            s.found,
            s.recall(),
            s.detections,
            s.precision(),
            s.f1(),
            delay,
            s.level_shift_start_ok,
            s.level_shifts,
            s.root_cause_ok,
            s.root_cause_checked,
            s.false_positives_per_1000()
        );
    }
    let _ = writeln!(
        out,
        "\nBy injected anomaly (seasonal method first):\n\n| method | kind | scope | impact $ | found |\n|---|---|---|---:|---|"
    );
    for (method, s) in rows {
        let mut cases = s.cases.clone();
        cases.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)).then(a.2.total_cmp(&b.2)));
        for (kind, level, impact, found) in cases {
            let _ = writeln!(
                out,
                "| {method:?} | {kind} | {level} | {impact:.2} | {} |",
                if found { "yes" } else { "no" }
            );
        }
    }
    out
}

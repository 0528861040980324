//! From day scores to events: days beyond the score threshold are grouped into runs of the
//! same direction; a run that persists and passes a two-sample test is one level shift
//! (reported once, from its start), a short run is a spike or a drop. Events below the $
//! and % impact thresholds are dropped.

use serde::Serialize;

use super::detectors::{DayScore, ScoringParams, seasonal_baseline};
use super::stats::{mean, welch_t_test};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Spike,
    Drop,
    LevelShift,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Spike => "spike",
            Kind::Drop => "drop",
            Kind::LevelShift => "level shift",
        }
    }
}

/// Alert thresholds, like an AWS anomaly subscription's.
#[derive(Clone, Copy, Debug)]
pub struct Thresholds {
    /// |score| a day needs to be anomalous.
    pub min_score: f64,
    /// |actual − expected| over the event, in currency units.
    pub min_impact: f64,
    /// |actual − expected| / expected over the event, in percent.
    pub min_impact_pct: f64,
    /// Days a run must last to be tested as a level shift.
    pub level_shift_min_days: usize,
    /// p-value below which a persistent run is a level shift.
    pub level_shift_p: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            min_score: 3.0,
            min_impact: 50.0,
            min_impact_pct: 10.0,
            level_shift_min_days: 5,
            level_shift_p: 0.01,
        }
    }
}

/// An anomalous stretch of one series, in day indexes.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub first: usize,
    pub last: usize,
    pub kind: Kind,
    pub expected: f64,
    pub actual: f64,
    /// The largest |score| in the event, signed.
    pub score: f64,
    /// Level shifts: the level before and after, per day, and the test's p-value.
    pub level_before: Option<f64>,
    pub level_after: Option<f64>,
    pub p_value: Option<f64>,
}

impl Event {
    /// A level shift from `first` to the end of the series (`last`), with the levels and
    /// the test statistic of the two windows around it.
    pub fn level_shift(
        first: usize,
        last: usize,
        (expected, actual): (f64, f64),
        (t, p): (f64, f64),
        before: &[f64],
        after: &[f64],
    ) -> Event {
        Event {
            first,
            last,
            kind: Kind::LevelShift,
            expected,
            actual,
            score: t,
            level_before: mean(before),
            level_after: mean(after),
            p_value: Some(p),
        }
    }

    pub fn impact(&self) -> f64 {
        self.actual - self.expected
    }

    pub fn impact_pct(&self) -> Option<f64> {
        (self.expected.abs() > 1e-9).then(|| 100.0 * self.impact() / self.expected.abs())
    }
}

/// Finds the events of one series.
pub fn find_events(
    values: &[Option<f64>],
    scores: &[Option<DayScore>],
    thresholds: &Thresholds,
    params: &ScoringParams,
) -> Vec<Event> {
    let mut events = Vec::new();
    let mut t = 0;
    while t < scores.len() {
        let Some(sign) = flagged(scores[t], thresholds) else {
            t += 1;
            continue;
        };
        let mut end = t;
        while end + 1 < scores.len() && flagged(scores[end + 1], thresholds) == Some(sign) {
            end += 1;
        }
        let event = level_shift(values, t, end, sign, thresholds, params)
            .unwrap_or_else(|| short_event(values, scores, t, end, sign));
        let resume = event.last.max(end) + 1;
        if passes(&event, thresholds) {
            events.push(event);
        }
        t = resume;
    }
    events
}

fn flagged(score: Option<DayScore>, thresholds: &Thresholds) -> Option<bool> {
    let s = score?;
    (s.score.abs() >= thresholds.min_score).then_some(s.score > 0.0)
}

fn passes(event: &Event, thresholds: &Thresholds) -> bool {
    let pct_ok = event
        .impact_pct()
        .is_none_or(|p| p.abs() >= thresholds.min_impact_pct);
    event.impact().abs() >= thresholds.min_impact && pct_ok
}

fn short_event(
    values: &[Option<f64>],
    scores: &[Option<DayScore>],
    first: usize,
    last: usize,
    up: bool,
) -> Event {
    let (mut expected, mut actual, mut score) = (0.0, 0.0, 0.0f64);
    for t in first..=last {
        if let (Some(v), Some(s)) = (values[t], scores[t]) {
            expected += s.expected;
            actual += v;
            if s.score.abs() > score.abs() {
                score = s.score;
            }
        }
    }
    Event {
        first,
        last,
        kind: if up { Kind::Spike } else { Kind::Drop },
        expected,
        actual,
        score,
        level_before: None,
        level_after: None,
        p_value: None,
    }
}

/// A run that persists (at least `level_shift_min_days`, or to the end of the series with
/// three days) is tested against the two weeks before it; if the step is significant it is
/// one level shift from the best split near the run's start to the end of the series, with
/// the pre-shift seasonal baseline frozen as the expectation.
fn level_shift(
    values: &[Option<f64>],
    first: usize,
    last: usize,
    up: bool,
    thresholds: &Thresholds,
    params: &ScoringParams,
) -> Option<Event> {
    let run = last - first + 1;
    let reaches_end = last + 1 == values.len();
    if run < thresholds.level_shift_min_days && !(reaches_end && run >= 3) {
        return None;
    }
    let split = best_split(values, first)?;
    let pre: Vec<f64> = values[split.saturating_sub(14)..split]
        .iter()
        .flatten()
        .copied()
        .collect();
    let post: Vec<f64> = values[split..(split + 14).min(values.len())]
        .iter()
        .flatten()
        .copied()
        .collect();
    if pre.len() < 7 || post.len() < 3 {
        return None;
    }
    let (t, p) = welch_t_test(&pre, &post)?;
    if p >= thresholds.level_shift_p || (t > 0.0) != up {
        return None;
    }
    let frozen = frozen_baseline(values, split, params);
    let (mut expected, mut actual) = (0.0, 0.0);
    for (v, b) in values[split..].iter().zip(&frozen) {
        if let (Some(v), Some(b)) = (v, b) {
            expected += b;
            actual += v;
        }
    }
    Some(Event::level_shift(
        split,
        values.len() - 1,
        (expected, actual),
        (t, p),
        &pre,
        &post,
    ))
}

/// The split within two days of `start` with the largest |t|.
fn best_split(values: &[Option<f64>], start: usize) -> Option<usize> {
    let lo = start.saturating_sub(2).max(7);
    let hi = (start + 2).min(values.len().saturating_sub(3));
    (lo..=hi)
        .filter_map(|s| {
            let pre: Vec<f64> = values[s.saturating_sub(14)..s]
                .iter()
                .flatten()
                .copied()
                .collect();
            let post: Vec<f64> = values[s..(s + 14).min(values.len())]
                .iter()
                .flatten()
                .copied()
                .collect();
            welch_t_test(&pre, &post).map(|(t, _)| (s, t.abs()))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(s, _)| s)
}

/// Expected values from `split` on, from the same-weekday median of the weeks before it.
fn frozen_baseline(
    values: &[Option<f64>],
    split: usize,
    params: &ScoringParams,
) -> Vec<Option<f64>> {
    let history = &values[..split];
    (split..values.len())
        .map(|t| {
            let weekday = t % 7;
            let same: Vec<f64> = (0..split)
                .rev()
                .filter(|s| s % 7 == weekday)
                .take(params.weeks)
                .filter_map(|s| history[s])
                .collect();
            if same.is_empty() {
                let fallback = seasonal_baseline(values, params);
                fallback.get(t).copied().flatten()
            } else {
                super::stats::median(&same)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::detectors::{rolling_zscore, seasonal};
    use super::*;
    use crate::anomaly::fixtures::weekly;

    fn detect(values: &[Option<f64>]) -> Vec<Event> {
        let p = ScoringParams::default();
        find_events(values, &seasonal(values, &p), &Thresholds::default(), &p)
    }

    #[test]
    fn spike() {
        let mut v = weekly(6, 1000.0, 400.0);
        v[30] = Some(1600.0);
        let e = detect(&v);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!((e[0].first, e[0].last, e[0].kind), (30, 30, Kind::Spike));
        assert!((e[0].impact() - 600.0).abs() < 5.0, "{e:?}");
    }

    #[test]
    fn drop() {
        let mut v = weekly(6, 1000.0, 400.0);
        v[29] = Some(200.0);
        let e = detect(&v);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].kind, Kind::Drop);
        assert!(e[0].impact() < -700.0);
    }

    #[test]
    fn weekend_spike() {
        let mut v = weekly(6, 1000.0, 400.0);
        v[33] = Some(1000.0); // Saturday at weekday level
        let e = detect(&v);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!((e[0].first, e[0].kind), (33, Kind::Spike));
    }

    #[test]
    fn level_shift_is_reported_once_with_its_start() {
        let mut v = weekly(8, 1000.0, 400.0);
        for x in v.iter_mut().skip(31) {
            *x = x.map(|x| x + 300.0);
        }
        let e = detect(&v);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].kind, Kind::LevelShift);
        assert!((30..=32).contains(&e[0].first), "start {}", e[0].first);
        assert_eq!(e[0].last, v.len() - 1);
        let step = e[0].level_after.unwrap() - e[0].level_before.unwrap();
        assert!((250.0..350.0).contains(&step), "step {step}");
    }

    #[test]
    fn trend_without_anomaly_is_quiet() {
        let v: Vec<Option<f64>> = weekly(8, 1000.0, 400.0)
            .into_iter()
            .enumerate()
            .map(|(d, x)| x.map(|x| x * (1.0 + 0.003 * d as f64)))
            .collect();
        assert!(detect(&v).is_empty(), "{:?}", detect(&v));
    }

    #[test]
    fn series_with_a_gap_and_all_zeros() {
        let mut v = weekly(6, 1000.0, 400.0);
        v[20] = None;
        v[21] = None;
        assert!(detect(&v).is_empty());
        let zeros = vec![Some(0.0); 42];
        assert!(detect(&zeros).is_empty());
        let single = vec![Some(5.0)];
        assert!(detect(&single).is_empty());
    }

    #[test]
    fn negative_series_from_credits() {
        let mut v: Vec<Option<f64>> = weekly(6, 1000.0, 400.0)
            .into_iter()
            .map(|x| x.map(|x| -x))
            .collect();
        v[30] = Some(-2000.0);
        let e = detect(&v);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].kind, Kind::Drop);
    }

    #[test]
    fn zscore_method_finds_a_weekday_spike() {
        let mut v = weekly(6, 1000.0, 1000.0);
        v[30] = Some(1600.0);
        let p = ScoringParams::default();
        let e = find_events(&v, &rolling_zscore(&v, &p), &Thresholds::default(), &p);
        assert_eq!(e.len(), 1, "{e:?}");
    }
}

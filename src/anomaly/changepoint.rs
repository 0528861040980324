//! A change-point scan for level shifts too small to flag day by day: a persistent step of
//! a few dollars a day shows in two-week means long before any single day looks odd.
//!
//! For every split with two full weeks before it and at least one full week after, the days
//! are deseasonalised with the weekday means of the two weeks before, and the two sides are
//! compared with Welch's t-test. The best split is a level shift when the step is
//! significant, is not the continuation of the trend before it, and is still there in the
//! last week of the data. The event search ([`super::events::find_events`]) runs it once no
//! run of anomalous days is left, from a week after the last level shift, again after each
//! step it finds.

use super::detectors::scale_floor;
use super::events::{Event, Steady, Thresholds, like_for_like_step, window_sums};
use super::stats::{mean, welch_t_test};

/// Days on each side of a split that the step test compares: two weeks before it and up to
/// two weeks after it. A level shift's step is what changed within this window.
pub const STEP_WINDOW_DAYS: usize = 14;

/// The first day a split may be tested on: two weeks of history before it.
pub const FIRST_SPLIT: usize = 14;

/// Days after a level shift's start where the scan for the next step begins.
pub const NEXT_SPLIT_DAYS: usize = 7;

/// The strongest level shift of a series splitting on or after `from`, if it passes, with
/// its baseline from its first day on (the weekday means of the two weeks before it). It
/// passes when it is still there in the last week, is not the continuation of the trend
/// before it, and its impact is over the thresholds.
///
/// With the like-for-like series at hand, the step begins where that series steps
/// ([`like_for_like_step`]): resources starting or stopping a few days before or after a
/// change of what existing resources cost would otherwise set its start.
pub(crate) fn strongest_shift(
    values: &[Option<f64>],
    from: usize,
    steady: Option<Steady>,
    thresholds: &Thresholds,
    p_max: f64,
) -> Option<(Event, Vec<Option<f64>>)> {
    let n = values.len();
    if n < 21 || from > n - 7 {
        return None;
    }
    let mut best = (from..=n - 7)
        .filter_map(|s| step_test(values, s, 5))
        .filter(|test| test.p < p_max)
        .fold(None::<StepTest>, |best, test| match best {
            Some(b) if b.t.abs() >= test.t.abs() => Some(b),
            _ => Some(test),
        })?;
    // Growth is judged at the series' own step: a resource starting days before existing
    // resources step would look like the start of a trend from the moved split.
    let growth = continues_trend(values, best.split);
    if let Some(moved) = steady.and_then(|steady| like_for_like_step(values, &best, steady, p_max))
    {
        best = moved;
    }
    let s = best.split;
    let weekday_means = weekday_means(values, s)?;
    let baseline: Vec<Option<f64>> = (s..n).map(|d| Some(weekday_means[d % 7])).collect();
    let sums = window_sums(values, &baseline, s, n - 1);
    let persists = mean_excess(values, s, n - 7..n)
        .is_some_and(|m| m * best.step > 0.0 && m.abs() >= 0.5 * best.step.abs());
    let event = Event::level_shift(s, n - 1, sums, &best);
    let pct_ok = event
        .impact_pct()
        .is_none_or(|pct| pct.abs() >= thresholds.min_impact_pct);
    (persists && !growth && event.impact().abs() >= thresholds.min_impact && pct_ok)
        .then_some((event, baseline))
}

/// The mean of `days`' values over the weekday means of the two weeks before `split`.
pub(crate) fn mean_excess(
    values: &[Option<f64>],
    split: usize,
    days: std::ops::Range<usize>,
) -> Option<f64> {
    let weekday_means = weekday_means(values, split)?;
    let residuals: Vec<f64> = days
        .filter_map(|d| {
            values
                .get(d)
                .copied()
                .flatten()
                .map(|v| v - weekday_means[d % 7])
        })
        .collect();
    mean(&residuals)
}

/// Weekday means of the two weeks before `s`, indexed by `day % 7`; `None` when `s` is past
/// the end of `values`.
pub(crate) fn weekday_means(values: &[Option<f64>], s: usize) -> Option<[f64; 7]> {
    if s > values.len() {
        return None;
    }
    let mut means = [0.0; 7];
    for (w, m) in means.iter_mut().enumerate() {
        let same: Vec<f64> = (s.checked_sub(STEP_WINDOW_DAYS)?..s)
            .filter(|d| d % 7 == w)
            .filter_map(|d| values[d])
            .collect();
        *m = mean(&same)?;
    }
    Some(means)
}

/// Welch's test of a step at `split`: the days of the two weeks before it and of up to two
/// weeks after it, deseasonalised with the weekday means of the two weeks before.
#[derive(Clone, Copy, Debug)]
pub struct StepTest {
    pub split: usize,
    pub t: f64,
    pub p: f64,
    /// Mean daily value of the two weeks before the split.
    pub level_before: f64,
    /// Mean deseasonalised change per day after the split.
    pub step: f64,
}

/// The step test at `s`; `None` without two weeks before it (ten days present) or
/// `min_after` days present after it.
pub fn step_test(values: &[Option<f64>], s: usize, min_after: usize) -> Option<StepTest> {
    let means = weekday_means(values, s)?;
    let residual = |d: usize| values[d].map(|v| v - means[d % 7]);
    let before: Vec<f64> = (s - STEP_WINDOW_DAYS..s).filter_map(residual).collect();
    let after: Vec<f64> = (s..(s + STEP_WINDOW_DAYS).min(values.len()))
        .filter_map(residual)
        .collect();
    if before.len() < 10 || after.len() < min_after {
        return None;
    }
    let raw_before: Vec<f64> = values[s - STEP_WINDOW_DAYS..s]
        .iter()
        .flatten()
        .copied()
        .collect();
    let level_before = mean(&raw_before)?;
    let (t, p) = welch_t_test(&before, &after, scale_floor(level_before))?;
    Some(StepTest {
        split: s,
        t,
        p,
        level_before,
        step: mean(&after)? - mean(&before)?,
    })
}

/// A steady trend before the split that reaches the level after it is growth, not a step.
pub(crate) fn continues_trend(values: &[Option<f64>], s: usize) -> bool {
    let weekly = |w: usize| -> Option<f64> {
        let days: Vec<f64> = (s - 7 * w..s - 7 * (w - 1))
            .filter_map(|d| values[d])
            .collect();
        mean(&days)
    };
    let after: Vec<f64> = values[s..(s + 7).min(values.len())]
        .iter()
        .flatten()
        .copied()
        .collect();
    let (Some(w1), Some(w2), Some(a)) = (weekly(1), weekly(2), mean(&after)) else {
        return false;
    };
    let slope = w1 - w2;
    let projected = w1 + slope;
    slope * (a - w1) > 0.0 && (a - projected).abs() <= 0.5 * (a - w1).abs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::fixtures::weekly;

    fn strongest(values: &[Option<f64>], steady: Option<Steady>, t: &Thresholds) -> Option<Event> {
        strongest_shift(values, FIRST_SPLIT, steady, t, 1e-3).map(|(shift, _)| shift)
    }

    #[test]
    fn small_persistent_step_is_found_with_its_start() {
        // +10 a day on a 83-a-day series (+12%): no single day is far from its baseline.
        let mut v = weekly(9, 100.0, 40.0);
        for x in v.iter_mut().skip(33) {
            *x = x.map(|x| x + 10.0);
        }
        let t = Thresholds {
            min_impact: 50.0,
            ..Thresholds::default()
        };
        let e = strongest(&v, None, &t).expect("found");
        assert!((32..=34).contains(&e.first), "{e:?}");
        assert!((e.impact() - 10.0 * 30.0).abs() < 15.0, "{e:?}");
    }

    #[test]
    fn a_small_step_starts_where_existing_resources_step() {
        // A resource of 12 a day starts on day 29; the existing resources cost 9 a day more
        // from day 36. No day is far from its baseline.
        let existing: Vec<Option<f64>> = weekly(9, 100.0, 40.0)
            .into_iter()
            .enumerate()
            .map(|(d, x)| x.map(|x| if d >= 36 { x + 9.0 } else { x }))
            .collect();
        let series: Vec<Option<f64>> = existing
            .iter()
            .enumerate()
            .map(|(d, x)| x.map(|x| if d >= 29 { x + 12.0 } else { x }))
            .collect();
        let t = Thresholds::default();
        let alone = strongest(&series, None, &t).expect("found");
        assert!((28..=30).contains(&alone.first), "{alone:?}");
        let steady = |_window: std::ops::Range<usize>| existing.clone();
        let e = strongest(&series, Some(&steady), &t).expect("found");
        assert!((35..=37).contains(&e.first), "{e:?}");
    }

    #[test]
    fn a_split_past_the_end_has_no_test() {
        let v = weekly(4, 100.0, 40.0);
        assert!(step_test(&v, 28, 3).is_none());
        assert!(step_test(&v, 40, 3).is_none());
        assert!(step_test(&v, 21, 3).is_some());
    }

    #[test]
    fn a_spike_or_a_trend_is_not_a_level_shift() {
        let t = Thresholds::default();
        let mut spike = weekly(9, 100.0, 40.0);
        spike[40] = Some(400.0);
        assert!(strongest(&spike, None, &t).is_none());
        let trend: Vec<Option<f64>> = weekly(9, 100.0, 40.0)
            .into_iter()
            .enumerate()
            .map(|(d, x)| x.map(|x| x + 0.5 * d as f64))
            .collect();
        assert!(strongest(&trend, None, &t).is_none());
    }
}

//! A change-point scan for level shifts too small to flag day by day: a persistent step of
//! a few dollars a day shows in two-week means long before any single day looks odd.
//!
//! For every split with two full weeks before it and at least one full week after, the days
//! are deseasonalised with the weekday means of the two weeks before, and the two sides are
//! compared with Welch's t-test. The best split is a level shift when the step is
//! significant, is not the continuation of the trend before it, and is still there in the
//! last week of the data.

use super::events::{Event, Thresholds};
use super::stats::{mean, welch_t_test};

/// The strongest level shift of a series, if any passes.
pub fn scan(values: &[Option<f64>], thresholds: &Thresholds, p_max: f64) -> Option<Event> {
    let n = values.len();
    if n < 21 {
        return None;
    }
    let mut best: Option<(usize, f64, f64)> = None;
    for s in 14..=n - 7 {
        let Some((t, p)) = split_test(values, s) else {
            continue;
        };
        if p < p_max && best.is_none_or(|(_, bt, _)| t.abs() > bt.abs()) {
            best = Some((s, t, p));
        }
    }
    let (s, t, p) = best?;
    let weekday_means = weekday_means(values, s)?;
    let (mut expected, mut actual) = (0.0, 0.0);
    for (d, v) in values.iter().enumerate().skip(s) {
        if let Some(v) = v {
            expected += weekday_means[d % 7];
            actual += v;
        }
    }
    let before: Vec<f64> = values[s - 14..s].iter().flatten().copied().collect();
    let after: Vec<f64> = values[s..(s + 14).min(n)]
        .iter()
        .flatten()
        .copied()
        .collect();
    let last_week: Vec<f64> = (n - 7..n)
        .filter_map(|d| values[d].map(|v| v - weekday_means[d % 7]))
        .collect();
    let step = mean(&after)? - mean(&before)?;
    let persists = mean(&last_week).is_some_and(|m| m * step > 0.0 && m.abs() >= 0.5 * step.abs());
    let event = Event::level_shift(s, n - 1, (expected, actual), (t, p), &before, &after);
    let pct_ok = event
        .impact_pct()
        .is_none_or(|pct| pct.abs() >= thresholds.min_impact_pct);
    (persists
        && !continues_trend(values, s)
        && event.impact().abs() >= thresholds.min_impact
        && pct_ok)
        .then_some(event)
}

/// Weekday means of the two weeks before `s`, indexed by `day % 7`.
fn weekday_means(values: &[Option<f64>], s: usize) -> Option<[f64; 7]> {
    let mut means = [0.0; 7];
    for (w, m) in means.iter_mut().enumerate() {
        let same: Vec<f64> = (s - 14..s)
            .filter(|d| d % 7 == w)
            .filter_map(|d| values[d])
            .collect();
        *m = mean(&same)?;
    }
    Some(means)
}

/// Welch's test of the deseasonalised two weeks before `s` against up to two weeks after.
fn split_test(values: &[Option<f64>], s: usize) -> Option<(f64, f64)> {
    let means = weekday_means(values, s)?;
    let residual = |d: usize| values[d].map(|v| v - means[d % 7]);
    let before: Vec<f64> = (s - 14..s).filter_map(residual).collect();
    let after_len = if values.len() - s >= 14 { 14 } else { 7 };
    let after: Vec<f64> = (s..s + after_len).filter_map(residual).collect();
    if before.len() < 10 || after.len() < 5 {
        return None;
    }
    welch_t_test(&before, &after)
}

/// A steady trend before the split that reaches the level after it is growth, not a step.
fn continues_trend(values: &[Option<f64>], s: usize) -> bool {
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
        let e = scan(&v, &t, 1e-3).expect("found");
        assert!((32..=34).contains(&e.first), "{e:?}");
        assert!((e.impact() - 10.0 * 30.0).abs() < 15.0, "{e:?}");
    }

    #[test]
    fn a_spike_or_a_trend_is_not_a_level_shift() {
        let t = Thresholds::default();
        let mut spike = weekly(9, 100.0, 40.0);
        spike[40] = Some(400.0);
        assert!(scan(&spike, &t, 1e-3).is_none());
        let trend: Vec<Option<f64>> = weekly(9, 100.0, 40.0)
            .into_iter()
            .enumerate()
            .map(|(d, x)| x.map(|x| x + 0.5 * d as f64))
            .collect();
        assert!(scan(&trend, &t, 1e-3).is_none());
    }
}

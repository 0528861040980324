//! Day scorers: for each day of a series, the expected value and a signed score of how far
//! the actual value is from it. `None` where there is not enough history, or the day is
//! missing from the export.
//!
//! - [`seasonal`]: the median of the same weekday over the previous weeks, scaled by the
//!   robust spread (MAD) of recent residuals — a weekday-aware robust z-score;
//! - [`rolling_zscore`]: mean and standard deviation of the previous days, for comparison.

use super::stats::{mean, median, robust_scale, variance};

/// The expected value of a day and the signed score of its actual value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DayScore {
    pub expected: f64,
    pub score: f64,
}

/// Parameters shared by the scorers.
#[derive(Clone, Copy, Debug)]
pub struct ScoringParams {
    /// Same-weekday values the seasonal baseline takes the median of.
    pub weeks: usize,
    /// Days of residuals the seasonal scale is estimated from; the z-score's window.
    pub window: usize,
    /// Days of history before a day may be scored.
    pub min_history: usize,
}

impl Default for ScoringParams {
    fn default() -> Self {
        Self {
            weeks: 4,
            window: 28,
            min_history: 14,
        }
    }
}

/// The smallest scale used: a series that never moved still has a cent of noise, and 2% of
/// its level, so that tiny wiggles of flat series do not score as extreme.
fn scale_floor(expected: f64) -> f64 {
    (0.02 * expected.abs()).max(0.01)
}

/// The weekday-aware seasonal baseline for every day (no scale).
pub fn seasonal_baseline(values: &[Option<f64>], p: &ScoringParams) -> Vec<Option<f64>> {
    (0..values.len())
        .map(|t| {
            if t < p.min_history {
                return None;
            }
            let same_weekday: Vec<f64> = (1..=p.weeks)
                .filter_map(|k| t.checked_sub(7 * k))
                .filter_map(|s| values[s])
                .collect();
            (same_weekday.len() >= 2)
                .then(|| median(&same_weekday))
                .flatten()
        })
        .collect()
}

/// Seasonal robust z-scores.
pub fn seasonal(values: &[Option<f64>], p: &ScoringParams) -> Vec<Option<DayScore>> {
    seasonal_expectation(values, p)
        .into_iter()
        .zip(values)
        .map(|(e, v)| {
            let (expected, scale) = e?;
            Some(DayScore {
                expected,
                score: ((*v)? - expected) / scale,
            })
        })
        .collect()
}

/// The seasonal baseline and its robust scale for every day that has enough history.
pub fn seasonal_expectation(values: &[Option<f64>], p: &ScoringParams) -> Vec<Option<(f64, f64)>> {
    let baseline = seasonal_baseline(values, p);
    let residuals: Vec<Option<f64>> = values
        .iter()
        .zip(&baseline)
        .map(|(v, b)| Some((*v)? - (*b)?))
        .collect();
    (0..values.len())
        .map(|t| {
            let expected = baseline[t]?;
            let recent: Vec<f64> = residuals[t.saturating_sub(p.window)..t]
                .iter()
                .flatten()
                .copied()
                .collect();
            let scale = if recent.len() >= 7 {
                robust_scale(&recent).unwrap_or(0.0)
            } else {
                let history: Vec<f64> = values[..t].iter().flatten().copied().collect();
                robust_scale(&history).unwrap_or(0.0)
            };
            Some((expected, scale.max(scale_floor(expected))))
        })
        .collect()
}

/// Rolling z-scores over the previous `window` days (at least `min_history` of them).
pub fn rolling_zscore(values: &[Option<f64>], p: &ScoringParams) -> Vec<Option<DayScore>> {
    let window = p.window.min(14).max(p.min_history.min(14));
    (0..values.len())
        .map(|t| {
            let actual = values[t]?;
            if t < p.min_history {
                return None;
            }
            let history: Vec<f64> = values[t.saturating_sub(window)..t]
                .iter()
                .flatten()
                .copied()
                .collect();
            if history.len() < p.min_history.min(window) {
                return None;
            }
            let expected = mean(&history)?;
            let sd = variance(&history)
                .map_or(0.0, f64::sqrt)
                .max(scale_floor(expected));
            Some(DayScore {
                expected,
                score: (actual - expected) / sd,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::fixtures::weekly;

    /// Six weeks of a weekday/weekend pattern with small noise, 1-based Monday start.

    #[test]
    fn seasonal_baseline_follows_the_weekday() {
        let v = weekly(6, 100.0, 40.0);
        let scores = seasonal(&v, &ScoringParams::default());
        assert!(scores[..14].iter().all(Option::is_none));
        for (t, score) in scores.iter().enumerate().skip(14) {
            let s = score.unwrap();
            assert!(s.score.abs() < 3.0, "day {t}: {s:?}");
            let weekend = t % 7 >= 5;
            assert!((s.expected - if weekend { 40.0 } else { 100.0 }).abs() < 1.5);
        }
    }

    #[test]
    fn a_weekend_spike_scores_high_only_with_seasonality() {
        let mut v = weekly(6, 100.0, 40.0);
        v[33] = Some(100.0); // a Saturday at weekday level
        let seasonal = seasonal(&v, &ScoringParams::default());
        assert!(seasonal[33].unwrap().score > 10.0);
        let z = rolling_zscore(&v, &ScoringParams::default());
        assert!(
            z[33].unwrap().score < 3.0,
            "the plain z-score misses it: {:?}",
            z[33]
        );
    }

    #[test]
    fn missing_days_are_skipped_not_zero() {
        let mut v = weekly(6, 100.0, 40.0);
        v[30] = None;
        let s = seasonal(&v, &ScoringParams::default());
        assert!(s[30].is_none());
        assert!(s[37].unwrap().score.abs() < 3.0);
    }
}

//! Day scorers: for each day of a series, the expected value and a signed score of how far
//! the actual value is from it. `None` where there is not enough history, or the day is
//! missing from the export.
//!
//! - [`seasonal`]: the median of the same weekday over the previous weeks, carried forward
//!   by the recent week-over-week growth rate, scaled by the robust day-to-day noise (MAD)
//!   of recent residuals — a weekday-aware robust z-score that follows growth;
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
pub(crate) fn scale_floor(expected: f64) -> f64 {
    (0.02 * expected.abs()).max(0.01)
}

/// The weekday-aware seasonal baseline for every day (no scale): the median of the same
/// weekday over the previous weeks, each carried forward to the day by the recent growth
/// rate (`weekly_growth`), so that steady growth or shrinkage is expected instead of
/// lagged behind.
pub fn seasonal_baseline(values: &[Option<f64>], p: &ScoringParams) -> Vec<Option<f64>> {
    (0..values.len())
        .map(|t| {
            if t < p.min_history {
                return None;
            }
            let growth = weekly_growth(values, t, p.window).unwrap_or(0.0);
            let same_weekday: Vec<f64> = (1..=p.weeks)
                .filter_map(|k| Some((7 * k, values[t.checked_sub(7 * k)?]?)))
                .map(|(lag, v)| v + growth * lag as f64 * v.abs())
                .collect();
            (same_weekday.len() >= 2)
                .then(|| median(&same_weekday))
                .flatten()
        })
        .collect()
}

/// Week-over-week changes a growth rate needs: a week of them in each half, and more.
const MIN_GROWTH_CHANGES: usize = 15;

/// The growth rate per day of the `window` days before `t`, from the week-over-week relative
/// changes (each day against the same weekday a week before, per day): the weekly pattern
/// cancels out, and growth in proportion lifts weekends and weekdays alike. Growth is
/// steady: the median change of the older half of the window and that of the newer half
/// agree in direction, and the slower of the two is the rate. A step, or a burst of
/// resources starting or stopping within a week, moves only the changes that straddle it,
/// mostly in one half, so it stays out of the rate and still scores as a change. `None`
/// with too few changes to tell.
fn weekly_growth(values: &[Option<f64>], t: usize, window: usize) -> Option<f64> {
    let start = t.saturating_sub(window);
    let changes: Vec<f64> = (start + 7..t)
        .filter_map(|d| {
            let (before, now) = (values[d - 7]?, values[d]?);
            (before.abs() > 1e-9).then(|| (now - before) / before.abs() / 7.0)
        })
        .collect();
    if changes.len() < MIN_GROWTH_CHANGES {
        return None;
    }
    let (older, newer) = changes.split_at(changes.len() / 2);
    let (a, b) = (median(older)?, median(newer)?);
    Some(if a * b > 0.0 {
        a.signum() * a.abs().min(b.abs())
    } else {
        0.0
    })
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
            let scale = noise_scale(&residuals[t.saturating_sub(p.window)..t])
                .or_else(|| young_noise_scale(&values[..t]))
                .unwrap_or_else(|| {
                    let history: Vec<f64> = values[..t].iter().flatten().copied().collect();
                    robust_scale(&history).unwrap_or(0.0)
                });
            Some((expected, scale.max(scale_floor(expected))))
        })
        .collect()
}

/// Day-to-day changes of residuals the noise scale needs.
const MIN_NOISE_STEPS: usize = 7;

/// The day-to-day noise of a series around its baseline: 1.4826 × the median absolute
/// deviation of the changes of the residuals from one day to the next, divided by √2 (a
/// change carries the noise of two days). The baseline's own error — lagging two to three
/// weeks behind a resource that started or stopped — is the same from one day to the next
/// and cancels in each change, so that it cannot inflate the scale and hide a real spike
/// for weeks, as a spread of the residuals themselves would. `None` with fewer than seven
/// changes.
fn noise_scale(residuals: &[Option<f64>]) -> Option<f64> {
    let changes: Vec<f64> = residuals
        .windows(2)
        .filter_map(|w| Some(w[1]? - w[0]?))
        .collect();
    if changes.len() < MIN_NOISE_STEPS {
        return None;
    }
    robust_scale(&changes).map(|s| s / std::f64::consts::SQRT_2)
}

/// Week-over-week changes a young series' noise scale needs.
const MIN_YOUNG_CHANGES: usize = 6;

/// How much a young series' noise scale is widened: a spread measured from a week of
/// changes is itself uncertain (the MAD of seven values misses σ by about 40%), and an
/// underestimate would flag ordinary days in the series' third week.
const YOUNG_SCALE_WIDENING: f64 = 1.5;

/// The noise of a series too young for residual changes (its third week), from its
/// week-over-week changes (each day minus the same weekday a week before, where the weekly
/// pattern cancels): 1.4826 × the MAD of the differences between consecutive changes,
/// divided by 2 (a difference carries the noise of four days), widened by
/// [`YOUNG_SCALE_WIDENING`]. A series ramping up in its first weeks changes by much from
/// week to week, but by about as much from one day's change to the next: the ramp cancels,
/// as does a level shift moving the history before it, which breaks the changes only once.
/// `None` with fewer than six changes.
fn young_noise_scale(history: &[Option<f64>]) -> Option<f64> {
    let changes: Vec<Option<f64>> = (7..history.len())
        .map(|d| Some(history[d]? - history[d - 7]?))
        .collect();
    if changes.iter().flatten().count() < MIN_YOUNG_CHANGES {
        return None;
    }
    let differences: Vec<f64> = changes
        .windows(2)
        .filter_map(|w| Some(w[1]? - w[0]?))
        .collect();
    robust_scale(&differences).map(|s| YOUNG_SCALE_WIDENING * s / 2.0)
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

    #[test]
    fn a_young_series_noise_is_not_its_ramp() {
        // Three weeks ramping by 60 a week, noise within ±2 (σ 1.2); the first two weeks then
        // moved up by 150 (a level shift found on day 14): the week-over-week changes are
        // about +60 in the second week and about −90 in the third. Their own spread would
        // give a scale of about 118; the noise is still ±2.
        const NOISE: [f64; 21] = [
            0.5, -1.2, 1.8, -0.4, 0.9, -1.9, 1.1, -0.7, 1.5, -1.6, 0.2, 1.9, -0.9, 0.6, -1.4, 1.3,
            -0.1, -1.8, 0.8, 1.6, -1.1,
        ];
        let history: Vec<Option<f64>> = (0..21)
            .map(|d| {
                let moved = if d < 14 { 150.0 } else { 0.0 };
                Some(600.0 + 60.0 * (d / 7) as f64 + moved + NOISE[d])
            })
            .collect();
        let scale = young_noise_scale(&history).unwrap();
        assert!((0.5..8.0).contains(&scale), "scale {scale}");
    }

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
    fn the_baseline_follows_growth_but_not_a_step() {
        // 1% growth a day: a plain same-weekday median lags two and a half weeks behind
        // (about 20% of the level) and would flag every day.
        let growth: Vec<Option<f64>> = weekly(8, 100.0, 40.0)
            .into_iter()
            .enumerate()
            .map(|(d, x)| x.map(|x| x * 1.01f64.powi(d as i32)))
            .collect();
        let scores = seasonal(&growth, &ScoringParams::default());
        for (t, s) in scores.iter().enumerate().skip(28) {
            assert!(s.unwrap().score.abs() < 3.0, "day {t}: {s:?}");
        }
        // A step of +30 on day 35 scores high all its first week.
        let mut step = weekly(8, 100.0, 40.0);
        for x in step.iter_mut().skip(35) {
            *x = x.map(|x| x + 30.0);
        }
        let scores = seasonal(&step, &ScoringParams::default());
        for (t, s) in scores.iter().enumerate().skip(35).take(7) {
            assert!(s.unwrap().score > 3.0, "day {t}: {s:?}");
        }
    }

    #[test]
    fn resources_starting_do_not_hide_a_later_spike() {
        // Noise of ±1 a day; resources start on days 14 and 21 (+20, then +15), which a
        // same-weekday median takes weeks to follow; a +27 spike on day 34.
        let noise = |d: usize| ((d * 37 + 11) % 17) as f64 / 8.0 - 1.0;
        let mut v: Vec<Option<f64>> = (0..49)
            .map(|d| {
                let steps = if d >= 21 {
                    35.0
                } else if d >= 14 {
                    20.0
                } else {
                    0.0
                };
                let weekend = if d % 7 >= 5 { -30.0 } else { 0.0 };
                Some(170.0 + steps + weekend + noise(d))
            })
            .collect();
        v[34] = v[34].map(|x| x + 27.0);
        let scores = seasonal(&v, &ScoringParams::default());
        let spike = scores[34].unwrap();
        assert!(spike.score > 5.0, "{spike:?}");
        // The scale is the noise's (at its floor, 2% of the expected cost), not the
        // baseline's lag (about 10).
        let scale = (v[34].unwrap() - spike.expected) / spike.score;
        assert!(
            (scale - 0.02 * spike.expected).abs() < 1e-9,
            "{scale} {spike:?}"
        );
    }

    #[test]
    fn the_noise_scale_ignores_a_lagging_baseline() {
        // Residuals of about ±1 around 0, then around +15 while the baseline catches up.
        let noise = [0.8, -1.1, 0.3, 1.2, -0.6, -0.9, 0.5];
        let residuals: Vec<Option<f64>> = (0..28)
            .map(|d| Some(if d >= 14 { 15.0 } else { 0.0 } + noise[(d * 3) % 7]))
            .collect();
        let scale = noise_scale(&residuals).unwrap();
        assert!((0.5..2.0).contains(&scale), "{scale}");
        let spread: Vec<f64> = residuals.iter().flatten().copied().collect();
        assert!(robust_scale(&spread).unwrap() > 10.0);
        assert_eq!(noise_scale(&residuals[..7]), None);
    }

    #[test]
    fn a_drop_in_a_series_third_week_is_scored_against_its_noise() {
        // Weekdays that differ a lot (a raw spread of about 40) and noise of about ±2: a
        // −25 drop on day 15, with only two weeks of history.
        let pattern = [100.0, 140.0, 60.0, 120.0, 80.0, 30.0, 30.0];
        let noise = |d: usize| ((d * 7919) % 13) as f64 / 3.0 - 2.0;
        let mut v: Vec<Option<f64>> = (0..21).map(|d| Some(pattern[d % 7] + noise(d))).collect();
        v[15] = v[15].map(|x| x - 25.0);
        let scores = seasonal(&v, &ScoringParams::default());
        let drop = scores[15].unwrap();
        assert!(drop.score < -3.0, "{drop:?}");
        for (t, s) in scores.iter().enumerate().skip(14) {
            if t != 15 {
                assert!(s.unwrap().score.abs() < 3.0, "day {t}: {s:?}");
            }
        }
        let history: Vec<f64> = v[..15].iter().flatten().copied().collect();
        assert!(robust_scale(&history).unwrap() > 30.0);
        assert_eq!(young_noise_scale(&v[..12]), None);
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

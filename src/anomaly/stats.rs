//! Small robust statistics over `f64` slices: median, MAD, mean and variance, Welch's t-test.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The median; `None` for an empty slice. NaNs must be filtered out by the caller.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

/// The median absolute deviation scaled to estimate σ under normality (× 1.4826).
pub fn robust_scale(values: &[f64]) -> Option<f64> {
    let m = median(values)?;
    let deviations: Vec<f64> = values.iter().map(|v| (v - m).abs()).collect();
    median(&deviations).map(|mad| 1.4826 * mad)
}

pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Sample variance (n − 1).
pub fn variance(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = mean(values)?;
    Some(values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64)
}

/// Welch's two-sample t-test: `(t, two-sided p-value)`; `None` without enough data or
/// when both samples are constant and equal. Each sample's standard deviation is taken as at
/// least `min_sd`, the noise floor of the data: a daily cost billed at a fixed rate (storage,
/// an always-on instance) is constant, and a step between two constant stretches would
/// otherwise score an infinite t.
pub fn welch_t_test(a: &[f64], b: &[f64], min_sd: f64) -> Option<(f64, f64)> {
    let (ma, mb) = (mean(a)?, mean(b)?);
    let floor = min_sd.max(0.0).powi(2);
    let (va, vb) = (variance(a)?.max(floor), variance(b)?.max(floor));
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let se2 = va / na + vb / nb;
    if se2 <= 0.0 {
        return (ma != mb).then_some((f64::INFINITY.copysign(mb - ma), 0.0));
    }
    let t = (mb - ma) / se2.sqrt();
    let df = se2.powi(2) / ((va / na).powi(2) / (na - 1.0) + (vb / nb).powi(2) / (nb - 1.0));
    let dist = StudentsT::new(0.0, 1.0, df.max(1.0)).ok()?;
    let p = 2.0 * (1.0 - dist.cdf(t.abs()));
    Some((t, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_scales() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert!((robust_scale(&[1.0, 2.0, 3.0, 4.0, 100.0]).unwrap() - 1.4826).abs() < 1e-12);
    }

    #[test]
    fn welch_detects_a_clear_shift_and_not_noise() {
        let before = [10.0, 11.0, 9.0, 10.5, 9.5, 10.0, 10.2];
        let after = [20.0, 21.0, 19.0, 20.5, 19.5, 20.0, 20.2];
        let (t, p) = welch_t_test(&before, &after, 0.0).unwrap();
        assert!(t > 20.0 && p < 1e-9, "t={t} p={p}");
        let (_, p) = welch_t_test(&before, &[10.1, 9.9, 10.3, 9.7, 10.0, 10.4, 9.6], 0.0).unwrap();
        assert!(p > 0.5, "p={p}");
    }

    #[test]
    fn welch_on_constant_samples_uses_the_noise_floor() {
        // Storage billed at 100 a day, then 112: a 12% step over a 2% noise floor.
        let (t, p) = welch_t_test(&[100.0; 14], &[112.0; 14], 2.0).unwrap();
        assert!(
            (t - 12.0 / (2.0 * (2.0f64 / 14.0).sqrt())).abs() < 1e-9,
            "t={t}"
        );
        assert!(p < 1e-9, "p={p}");
        assert_eq!(
            welch_t_test(&[100.0; 14], &[100.0; 14], 2.0).map(|r| r.0),
            Some(0.0)
        );
    }
}

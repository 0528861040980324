//! Money arithmetic: compensated summation and the fixed rounding used in every output.
//!
//! Totals are f64; sums that curlens computes itself use Neumaier's compensated summation
//! so that adding 10^8 line items loses no more than a few units in the last place, and every
//! figure written out is rounded to [`MONEY_DECIMALS`] decimals, so the same inputs print the
//! same digits whatever the thread count.

/// Decimals kept in machine-readable output (AWS bills to 10 decimals).
pub const MONEY_DECIMALS: i32 = 10;

/// Rounds to [`MONEY_DECIMALS`] decimals, half away from zero; `-0` becomes `0`.
pub fn round_money(v: f64) -> f64 {
    let scale = 10f64.powi(MONEY_DECIMALS);
    let r = (v * scale).round() / scale;
    if r == 0.0 { 0.0 } else { r }
}

/// Neumaier's compensated sum.
#[derive(Clone, Copy, Debug, Default)]
pub struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    pub fn add(&mut self, v: f64) {
        let t = self.sum + v;
        if self.sum.abs() >= v.abs() {
            self.compensation += (self.sum - t) + v;
        } else {
            self.compensation += (v - t) + self.sum;
        }
        self.sum = t;
    }

    pub fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

impl std::ops::AddAssign<f64> for CompensatedSum {
    fn add_assign(&mut self, v: f64) {
        self.add(v);
    }
}

impl FromIterator<f64> for CompensatedSum {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut s = CompensatedSum::default();
        iter.into_iter().for_each(|v| s.add(v));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensated_sum_keeps_small_terms() {
        let mut naive = 0.0;
        let mut s = CompensatedSum::default();
        for v in std::iter::once(1e16)
            .chain(std::iter::repeat_n(1.0, 1000))
            .chain(std::iter::once(-1e16))
        {
            naive += v;
            s += v;
        }
        assert_eq!(s.value(), 1000.0);
        assert_ne!(naive, 1000.0);
    }

    #[test]
    fn rounding_is_fixed_and_has_no_negative_zero() {
        assert_eq!(round_money(1.234_567_890_16), 1.234_567_890_2);
        assert_eq!(round_money(-1e-12).to_string(), "0");
    }
}

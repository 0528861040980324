//! Like-for-like series: the cost of the lines billed on both sides of a level shift's
//! split, so that resources starting or stopping around it do not move where its step
//! begins.
//!
//! A usage type's series is the sum of many resources. When one starts a few days before
//! existing resources start costing more, the series steps twice; the step test on the
//! series picks the first step, and the shift is reported days early. Among the lines billed
//! throughout the step tests' windows, only the change of what existing resources cost
//! remains.

use std::collections::HashMap;
use std::ops::Range;

use super::series::{FineTable, SeriesKey};

/// The daily cost of the lines of `key` billed from the first day of `window` or before to
/// its last day or after: lines that started or stopped within it are left out, lines billed
/// on weekdays only are kept. Days missing from the export are `None`.
pub fn steady_series(table: &FineTable, key: &SeriesKey, window: Range<usize>) -> Vec<Option<f64>> {
    let mut lifetime: HashMap<[u32; 6], (u32, u32)> = HashMap::new();
    for row in table
        .rows
        .iter()
        .filter(|r| r.value != 0.0 && key.matches(r))
    {
        let span = lifetime.entry(row.keys).or_insert((row.day, row.day));
        span.0 = span.0.min(row.day);
        span.1 = span.1.max(row.day);
    }
    let last = window.end.saturating_sub(1).max(window.start);
    let steady = |keys: &[u32; 6]| {
        lifetime
            .get(keys)
            .is_some_and(|(born, died)| *born as usize <= window.start && *died as usize >= last)
    };
    let mut series = table.empty_series();
    for row in table
        .rows
        .iter()
        .filter(|r| key.matches(r) && steady(&r.keys))
    {
        if let Some(v) = series[row.day as usize].as_mut() {
            *v += row.value;
        }
    }
    series
}

#[cfg(test)]
mod tests {
    use super::super::series::{FineRow, Level};
    use super::*;

    #[test]
    fn lines_starting_or_stopping_around_the_split_are_left_out() {
        // Line 1 runs all along, line 2 starts on day 20, line 3 stops on day 22, line 4
        // runs on weekdays only; the window is days 7 to 34.
        let mut rows = Vec::new();
        for day in 0..42u32 {
            let mut add = |line: u32, value: f64| {
                rows.push(FineRow {
                    day,
                    currency: 1,
                    keys: [0, 0, 0, 0, 0, line],
                    value,
                })
            };
            add(1, 10.0);
            if day >= 20 {
                add(2, 5.0);
            }
            if day < 22 {
                add(3, 7.0);
            }
            if day % 7 < 5 {
                add(4, 1.0);
            }
        }
        let table = FineTable {
            first_day: 0,
            days: 42,
            strings: vec![String::new(), "USD".into()],
            rows,
            missing_days: vec![30],
        };
        let total = SeriesKey {
            level: Level::Total,
            currency: 1,
            parts: Vec::new(),
        };
        let series = steady_series(&table, &total, 7..35);
        assert_eq!(series[0], Some(11.0));
        assert_eq!(series[26], Some(10.0)); // a Saturday
        assert_eq!(series[28], Some(11.0));
        assert_eq!(series[30], None);
    }
}

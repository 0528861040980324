//! Like-for-like series: the cost of the lines billed on both sides of a level shift's
//! split, so that resources starting or stopping around it do not move where its step
//! begins.
//!
//! A usage type's series is the sum of many resources. When one starts a few days before
//! existing resources start costing more, the series steps twice; the step test on the
//! series picks the first step, and the shift is reported days early. Among the lines billed
//! throughout the step tests' windows, only the change of what existing resources cost
//! remains.
//!
//! An account's spike next to the step moves it too: the sum of the lines steps on the
//! spike's first day. On the days an account spiked or dropped as a whole (found in its own
//! series), its lines are counted as having moved like the series' other lines did.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::series::{ACCOUNT, FineRow, FineTable, SeriesKey};

/// Days an account spiked or dropped as a whole: (account id, day index).
pub type AccountDays = HashSet<(u32, usize)>;

/// The daily cost of the lines of a series (its `rows`, indexes into the table's rows, from
/// [`rows_of`] or [`super::series::rows_by_series`]) billed from the first day of `window` or
/// before to its last day or after: lines that started or stopped within it are left out,
/// lines billed on weekdays only are kept.
///
/// On a day in `spiked`, an account's lines count as their mean cost on that weekday within
/// the window, times the ratio of the other lines' cost that day to their own weekday means:
/// they moved as the rest did. A day on which every line is an account's spike is `None`, as
/// are days missing from the export and days outside the window.
///
/// Reads the series' rows once; for many windows of one series, read them once with
/// [`SeriesLines::new`].
pub fn steady_series(
    table: &FineTable,
    rows: &[u32],
    window: Range<usize>,
    spiked: &AccountDays,
) -> Vec<Option<f64>> {
    SeriesLines::new(table, rows).steady_series(table, window, spiked)
}

/// The lines of one series, each with its first and last day billed (at a non-zero cost) and
/// its daily cost, read once for the many windows a series' like-for-like series is asked
/// for.
pub struct SeriesLines {
    /// In key order.
    lines: Vec<Line>,
}

struct Line {
    keys: [u32; 6],
    billed: Option<(usize, usize)>,
    /// Cost per day of the table.
    cost: Vec<f64>,
}

impl SeriesLines {
    /// The lines of a series' `rows` (indexes into the table's rows).
    pub fn new(table: &FineTable, rows: &[u32]) -> SeriesLines {
        let mut index: HashMap<[u32; 6], usize> = HashMap::new();
        let mut lines: Vec<Line> = Vec::new();
        for row in rows.iter().map(|&i| &table.rows[i as usize]) {
            let at = *index.entry(row.keys).or_insert_with(|| {
                lines.push(Line {
                    keys: row.keys,
                    billed: None,
                    cost: vec![0.0; table.days],
                });
                lines.len() - 1
            });
            let line = &mut lines[at];
            let day = row.day as usize;
            line.cost[day] += row.value;
            if row.value != 0.0 {
                widen(line.billed.get_or_insert((day, day)), day);
            }
        }
        lines.sort_unstable_by_key(|line| line.keys);
        SeriesLines { lines }
    }

    /// The like-for-like series of these lines within `window` ([`steady_series`]).
    pub fn steady_series(
        &self,
        table: &FineTable,
        window: Range<usize>,
        spiked: &AccountDays,
    ) -> Vec<Option<f64>> {
        let window = window.start.min(table.days)..window.end.min(table.days);
        let last = window.end.saturating_sub(1).max(window.start);
        let lines: Vec<([u32; 6], &[f64])> = self
            .lines
            .iter()
            .filter(|line| {
                line.billed
                    .is_some_and(|(born, died)| born <= window.start && died >= last)
            })
            .map(|line| (line.keys, &line.cost[window.clone()]))
            .collect();
        let mut series: Vec<Option<f64>> = table
            .empty_series()
            .into_iter()
            .enumerate()
            .map(|(day, v)| v.filter(|_| window.contains(&day)))
            .collect();
        for (keys, days) in &lines {
            for (day, value) in window.clone().zip(days.iter()) {
                if let Some(v) = series[day].as_mut()
                    && !spiked.contains(&(keys[ACCOUNT], day))
                {
                    *v += value;
                }
            }
        }
        if spiked.is_empty() {
            return series;
        }
        let weekday_means: Vec<[f64; 7]> = lines
            .iter()
            .map(|(keys, days)| {
                let usual = |d: usize| series[d].is_some() && !spiked.contains(&(keys[ACCOUNT], d));
                weekday_means(days, &window, &usual)
            })
            .collect();
        for day in window {
            let Some(others) = series[day] else { continue };
            let (mut others_level, mut spiked_level) = (0.0, 0.0);
            for ((keys, _), means) in lines.iter().zip(&weekday_means) {
                if spiked.contains(&(keys[ACCOUNT], day)) {
                    spiked_level += means[day % 7];
                } else {
                    others_level += means[day % 7];
                }
            }
            if spiked_level > 0.0 {
                series[day] =
                    (others_level > 0.0).then(|| others + spiked_level * others / others_level);
            }
        }
        series
    }
}

/// Widens a line's first and last day billed to take in `day`.
fn widen((born, died): &mut (usize, usize), day: usize) {
    *born = (*born).min(day);
    *died = (*died).max(day);
}

/// The lines (keys) among `rows` billed at a non-zero cost on day `first` or before and on
/// day `last` or after: the lines a like-for-like series over `first..=last` counts.
pub fn lines_billed_throughout<'a>(
    rows: impl Iterator<Item = &'a FineRow>,
    (first, last): (usize, usize),
) -> HashSet<[u32; 6]> {
    let mut billed: HashMap<[u32; 6], (usize, usize)> = HashMap::new();
    for row in rows.filter(|r| r.value != 0.0) {
        let day = row.day as usize;
        widen(billed.entry(row.keys).or_insert((day, day)), day);
    }
    billed
        .into_iter()
        .filter(|(_, (born, died))| *born <= first && *died >= last)
        .map(|(keys, _)| keys)
        .collect()
}

/// The indexes of the table's rows that belong to `key`'s series, for [`steady_series`]
/// (detection builds them for every series at once: [`super::series::rows_by_series`]).
pub fn rows_of(table: &FineTable, key: &SeriesKey) -> Vec<u32> {
    (0..table.rows.len() as u32)
        .filter(|&i| key.matches(&table.rows[i as usize]))
        .collect()
}

/// A line's mean cost on each weekday (indexed by `day % 7`) over the days of `window` for
/// which `usual` holds.
fn weekday_means(days: &[f64], window: &Range<usize>, usual: &dyn Fn(usize) -> bool) -> [f64; 7] {
    let mut sums = [(0.0, 0usize); 7];
    for (day, value) in window.clone().zip(days).filter(|(d, _)| usual(*d)) {
        let (sum, count) = &mut sums[day % 7];
        *sum += value;
        *count += 1;
    }
    sums.map(|(sum, count)| if count == 0 { 0.0 } else { sum / count as f64 })
}

#[cfg(test)]
mod tests {
    use super::super::series::{FineRow, Level};
    use super::*;

    /// A table of `rows` over `days` days, `missing` absent from the export, and the key of
    /// its total series.
    fn table_and_total(rows: Vec<FineRow>, days: usize, missing: usize) -> (FineTable, SeriesKey) {
        let table = FineTable {
            first_day: 0,
            days,
            strings: vec![String::new(), "USD".into()],
            rows,
            missing_days: vec![missing],
        };
        let total = SeriesKey {
            level: Level::Total,
            currency: 1,
            parts: Vec::new(),
        };
        (table, total)
    }

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
                    monthly: false,
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
        let (table, total) = table_and_total(rows, 42, 30);
        let series = steady_series(&table, &rows_of(&table, &total), 7..35, &AccountDays::new());
        assert_eq!(series[6], None);
        assert_eq!(series[7], Some(11.0));
        assert_eq!(series[26], Some(10.0)); // a Saturday
        assert_eq!(series[28], Some(11.0));
        assert_eq!(series[30], None);
    }

    #[test]
    fn an_account_spiking_moves_like_the_other_lines() {
        // Account 0 holds 60% of the series (weekends 40%); accounts 1 and 2 hold 20% each.
        // Every line costs 10% more from day 30; account 0 costs 50% more on days 26 and 27.
        let mut rows = Vec::new();
        for day in 0..56u32 {
            for (account, share) in [(0u32, 60.0), (1, 20.0), (2, 20.0)] {
                let base = if day % 7 < 5 { share } else { share * 0.4 };
                let step = if day >= 30 { 1.1 } else { 1.0 };
                let spike = if account == 0 && (26..28).contains(&day) {
                    1.5
                } else {
                    1.0
                };
                rows.push(FineRow {
                    day,
                    currency: 1,
                    keys: [account, 0, 0, 0, 0, account],
                    value: base * step * spike,
                    monthly: false,
                });
            }
        }
        let (table, total) = table_and_total(rows, 56, 40);
        let spiked: AccountDays = [(0, 26), (0, 27), (0, 45), (1, 45), (2, 45)]
            .into_iter()
            .collect();
        let series = steady_series(&table, &rows_of(&table, &total), 14..56, &spiked);
        assert_eq!(series[13], None);
        assert_eq!(series[40], None);
        // Every line spiked on day 45.
        assert_eq!(series[45], None);
        // Each day against the same weekday a week before.
        let rise =
            |series: &[Option<f64>], day: usize| series[day].unwrap() / series[day - 7].unwrap();
        // (Within 1%: the weekday means of account 0 leave its spike's days out.)
        assert!((rise(&series, 26) - 1.0).abs() < 0.01, "{series:?}");
        assert!((rise(&series, 27) - 1.0).abs() < 0.01, "{series:?}");
        assert!((rise(&series, 30) - 1.1).abs() < 1e-9, "{series:?}");
        // Without the spike's days, the sum moves on them.
        let plain = steady_series(
            &table,
            &rows_of(&table, &total),
            14..56,
            &AccountDays::new(),
        );
        assert!((rise(&plain, 26) - 1.3).abs() < 1e-9, "{plain:?}");
    }
}

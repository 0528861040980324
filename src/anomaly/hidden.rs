//! Changes a series hides: a step or a spike of what the lines billed throughout cost,
//! cancelled in the series' own sum by resources starting or stopping around it.
//!
//! A usage type whose existing resources cost 8% more from one day, while others stop a week
//! later, shows no step in its daily sum: the two weeks after the step hold the stop too. An
//! account whose resources cost 20% more for three days while others stop shows no spike:
//! the spike lifts the account back to where it was. The series' own search
//! ([`super::events::find_events`]) cannot see either; the like-for-like series
//! ([`super::like_for_like`]) — the lines billed throughout a window — can. Once the series'
//! own events are found, from the series' fifth week on:
//!
//! - every split is tested on the like-for-like series of its step test's window, and the
//!   strongest significant step that no level shift of the series already starts at is one
//!   more level shift ([`hidden_level_shift`]), counted on the lines billed from two weeks
//!   before it to the end of the data; a spike or drop of the series' own its way starting
//!   within a day of it is its first days ([`first_days_of`]) and is not reported apart;
//! - every day is scored on the like-for-like series of the four weeks before its week to
//!   the week after it, and a short run that no event of the series already covers is one
//!   more spike or drop ([`hidden_spikes`]), counted on the lines billed from those four
//!   weeks to its last day.
//!
//! Usage priced per month (storage by the GB-month) costs more per day in a shorter month;
//! the table it reads is in mean-month cost ([`super::series`]), so such usage shows no step
//! on the first of a month here either.

use super::changepoint::{
    STEP_WINDOW_DAYS, StepTest, continues_trend, mean_excess, step_test, weekday_means,
};
use super::detectors::{ScoringParams, seasonal};
use super::events::{
    Event, Kind, Steady, Thresholds, flagged, passes, run_end, short_event, window_sums,
};

/// p-value under which a step of the lines billed throughout is a level shift the series
/// hides: stricter than the series' own scan, as many more splits and series are tested.
const HIDDEN_STEP_P: f64 = 1e-5;

/// The strongest step of the lines billed throughout its test's window, from the series'
/// fifth week on, when none of the series' level shifts in `found` starts within a day of
/// it. It passes when it is significant under [`HIDDEN_STEP_P`], is not the continuation of
/// the trend of those lines, is still there in the last week, and its impact — on the lines
/// billed from two weeks before it to the end of the data, against the weekday means of
/// those two weeks — is over the thresholds. Its event counts only those lines
/// ([`Event::lines_billed`]).
pub fn hidden_level_shift(
    found: &[Event],
    steady: Steady,
    n: usize,
    (thresholds, params): (&Thresholds, &ScoringParams),
) -> Option<Event> {
    let first = (7 * params.weeks).max(STEP_WINDOW_DAYS);
    if n < first + 7 {
        return None;
    }
    let (best, lines) = strongest_step(n, first, steady)?;
    let s = best.split;
    let already_found = found
        .iter()
        .any(|e| e.kind == Kind::LevelShift && e.first.abs_diff(s) <= 1);
    if already_found || continues_trend(&lines, s) {
        return None;
    }
    let billed_from = s - STEP_WINDOW_DAYS;
    let lines = steady(billed_from..n);
    let means = weekday_means(&lines, s)?;
    let baseline: Vec<Option<f64>> = (s..n).map(|d| Some(means[d % 7])).collect();
    let sums = window_sums(&lines, &baseline, s, n - 1);
    let persists = mean_excess(&lines, s, n - 7..n)
        .is_some_and(|m| m * best.step > 0.0 && m.abs() >= 0.5 * best.step.abs());
    let event = Event {
        lines_billed: Some((billed_from, n - 1)),
        ..Event::level_shift(s, n - 1, sums, &best)
    };
    let pct_ok = event
        .impact_pct()
        .is_none_or(|pct| pct.abs() >= thresholds.min_impact_pct);
    (persists && event.impact().abs() >= thresholds.min_impact && pct_ok).then_some(event)
}

/// Whether `event`, a spike or drop of the series' own, is the first days of `step`, a level
/// shift the series hides: of the same direction and starting within a day of it. A step
/// of what existing resources cost, while others stop beside it, can still flag its first
/// days in the series' own sum; the step's impact counts those days, so they are one change.
pub fn first_days_of(step: &Event, event: &Event) -> bool {
    event.kind != Kind::LevelShift
        && (event.impact() > 0.0) == (step.impact() > 0.0)
        && event.first.abs_diff(step.first) <= 1
}

/// The spikes and drops of the lines billed throughout that no event in `found` covers,
/// from the series' fifth week on: for each week, the lines billed from four weeks before it
/// to a week after it (or the end of the data), scored by the seasonal detector. A run of
/// flagged days starting within the week, shorter than a level shift and followed by a day
/// that is not part of it, is a spike or drop of those lines when it passes the thresholds,
/// no event of the series of its direction overlaps it, and no level shift of its direction
/// starts within the four weeks before it ([`covers`]). It is measured on the lines billed
/// from four weeks before its week to its last day, and its event counts only those
/// ([`Event::lines_billed`]).
pub fn hidden_spikes(
    found: &[Event],
    steady: Steady,
    n: usize,
    (thresholds, params): (&Thresholds, &ScoringParams),
) -> Vec<Event> {
    let history = 7 * params.weeks;
    let mut hidden: Vec<Event> = Vec::new();
    for week in (history..n).step_by(7) {
        let window = week - history..(week + 14).min(n);
        let lines = steady(window.clone());
        let scores = seasonal(&lines, params);
        let mut t = week;
        while t < (week + 7).min(n) {
            let Some(up) = flagged(scores[t], thresholds) else {
                t += 1;
                continue;
            };
            // Days outside the window have no score, so the run ends within it.
            let end = run_end(&scores, t, up, thresholds);
            let short = end + 1 - t < thresholds.level_shift_min_days && end + 1 < window.end;
            if short {
                let event =
                    measured_on_lines_billed_to_its_end(steady, (window.start, t, end), up, params);
                let covered = found
                    .iter()
                    .chain(&hidden)
                    .any(|e| covers(e, &event, history));
                if !covered && passes(&event, thresholds) {
                    hidden.push(event);
                }
            }
            t = end + 1;
        }
    }
    hidden
}

/// The spike or drop of the lines billed from `from` to its last day, `end`, from `first`
/// on: lines stopping in the week after it had it too, while they ran.
fn measured_on_lines_billed_to_its_end(
    steady: Steady,
    (from, first, end): (usize, usize, usize),
    up: bool,
    params: &ScoringParams,
) -> Event {
    let lines = steady(from..end + 1);
    let scores = seasonal(&lines, params);
    Event {
        lines_billed: Some((from, end)),
        ..short_event(&lines, &scores, first, end, up)
    }
}

/// Whether `event` already reports the change of `hidden`, or makes it: a spike or drop of
/// its direction overlapping its days, or a level shift of its direction starting from
/// `history` days before it to a day after its last. The like-for-like series is not moved to
/// a level shift's new level, so the weeks after a step of its lines look like more of it.
fn covers(event: &Event, hidden: &Event, history: usize) -> bool {
    let same_way = (event.impact() > 0.0) == (hidden.impact() > 0.0);
    let overlaps = event.first <= hidden.last && hidden.first <= event.last;
    let starts_before = event.first + history >= hidden.first && event.first <= hidden.last + 1;
    same_way
        && match event.kind {
            Kind::LevelShift => starts_before,
            Kind::Spike | Kind::Drop => overlaps,
        }
}

/// The step test with the largest |t| among the splits from `first` to a week before the
/// end, on the like-for-like series of each week's splits (the lines billed from two weeks
/// before the week to two weeks after it), significant under [`HIDDEN_STEP_P`]; with that
/// series.
fn strongest_step(n: usize, first: usize, steady: Steady) -> Option<(StepTest, Vec<Option<f64>>)> {
    let mut best: Option<(StepTest, Vec<Option<f64>>)> = None;
    for week in (first..=n - 7).step_by(7) {
        let lines = steady(week - STEP_WINDOW_DAYS..(week + 7 + STEP_WINDOW_DAYS).min(n));
        for s in week..(week + 7).min(n - 6) {
            let Some(test) = step_test(&lines, s, 5).filter(|t| t.p < HIDDEN_STEP_P) else {
                continue;
            };
            if best.as_ref().is_none_or(|(b, _)| test.t.abs() > b.t.abs()) {
                best = Some((test, lines.clone()));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{Cost, billed_per_month, noise, priced_per_month, resource_table};
    use super::super::like_for_like::{AccountDays, rows_of, steady_series};
    use super::super::root_cause::root_cause;
    use super::super::series::{FineTable, Level, SeriesKey};
    use super::*;
    use crate::calendar::days_from_civil;

    /// A table over 70 days from `start` with one line per resource: `vol-a`, `vol-b` and
    /// `vol-c` (strings 2, 3 and 4); and the key of its total.
    fn table_of(start: (i64, i64, i64), lines: &[Cost]) -> (FineTable, SeriesKey) {
        let named: Vec<(&str, Cost)> = ["vol-a", "vol-b", "vol-c"]
            .into_iter()
            .zip(lines.iter().copied())
            .collect();
        let first_day = days_from_civil(start.0, start.1, start.2);
        let table = resource_table(first_day, 70, &named);
        let total = SeriesKey {
            level: Level::Total,
            currency: 1,
            parts: Vec::new(),
        };
        (table, total)
    }

    /// The level shift [`hidden_level_shift`] finds in `table`'s total, with `found` already
    /// found in it.
    fn hidden(table: &FineTable, total: &SeriesKey, found: &[Event]) -> Option<Event> {
        let rows = rows_of(table, total);
        let steady = |window| steady_series(table, &rows, window, &AccountDays::new());
        let settings = (&Thresholds::default(), &ScoringParams::default());
        hidden_level_shift(found, &steady, table.days, settings)
    }

    /// Line 2 costs 20% more from day 44; line 3 stops after day 50; line 4 starts on day 20.
    fn step_hidden_by_a_stop(day: usize) -> [Option<f64>; 3] {
        let weekday = if day % 7 < 5 { 100.0 } else { 40.0 };
        let step = if day >= 44 { 1.2 } else { 1.0 };
        [
            Some(weekday * step * noise(day, 2)),
            (day <= 50).then(|| 60.0 * noise(day, 3)),
            (day >= 20).then(|| 30.0 * noise(day, 4)),
        ]
    }

    #[test]
    fn a_step_of_existing_lines_hidden_by_lines_stopping_is_found_from_its_first_day() {
        let line = |i: usize| move |day: usize| step_hidden_by_a_stop(day)[i];
        let (a, b, c) = (line(0), line(1), line(2));
        let (table, total) = table_of((2025, 8, 4), &[&a, &b, &c]);
        // The series' own step test at day 44 sees the stop, not the step.
        let mut values = table.empty_series();
        for row in &table.rows {
            *values[row.day as usize].as_mut().unwrap() += row.value;
        }
        let own = step_test(&values, 44, 5).unwrap();
        assert!(own.t < 0.0, "{own:?}");

        let event = hidden(&table, &total, &[]).expect("a hidden level shift");
        assert_eq!(
            (event.first, event.last, event.kind),
            (44, 69, Kind::LevelShift)
        );
        assert_eq!(event.lines_billed, Some((30, 69)));
        // Line 2's 20% (line 4 started on day 20, before the lines' first day, and counts).
        let extra: f64 = (44..70).map(|d| 0.2 / 1.2 * a(d).unwrap()).sum();
        assert!(
            (event.impact() / extra - 1.0).abs() < 0.1,
            "{} vs {extra}",
            event.impact()
        );

        // Its root cause counts the lines billed throughout only, and sums to its impact.
        let cause = root_cause(&table, &total, &event, 0, (4, 0.9));
        assert_eq!(cause.contributors[0].resource, "vol-a");
        assert!(cause.contributors.iter().all(|c| c.resource != "vol-b"));
        let sum: f64 = cause.contributors.iter().map(|c| c.delta).sum();
        assert!((sum - event.impact()).abs() < 1e-9 * event.impact().abs());
        assert!(
            cause.lifecycle_share.abs() < 0.05,
            "{}",
            cause.lifecycle_share
        );

        // A level shift of the series found from the next day already reports it.
        let found = Event {
            first: 45,
            ..event.clone()
        };
        assert_eq!(hidden(&table, &total, &[found]), None);
    }

    #[test]
    fn usage_priced_per_month_does_not_step_on_the_first_of_a_month() {
        // Storage of a fixed size priced by the GB-month, from 2025-12-19 to 2026-02-26: its
        // daily cost is 10.7% higher in February (day 44 on) than in January.
        let first_day = days_from_civil(2025, 12, 19);
        let per_month = |day: usize| Some(billed_per_month(3100.0, first_day, day) * noise(day, 2));
        let (mut table, total) = table_of((2025, 12, 19), &[&per_month]);
        // Read as billed cost, it steps on 1 February.
        let event = hidden(&table, &total, &[]).expect("a step of billed cost");
        assert_eq!(event.first, 44);
        // Read as the cost of a line priced per month, it does not.
        priced_per_month(&mut table, "vol-a");
        assert_eq!(hidden(&table, &total, &[]), None);

        // The same line priced by the unit, costing 25% more from February on, steps there.
        let priced_by_unit =
            |day: usize| Some(if day >= 28 { 125.0 } else { 100.0 } * noise(day, 2));
        let (table, total) = table_of((2026, 1, 4), &[&priced_by_unit]);
        let event = hidden(&table, &total, &[]).expect("a hidden level shift");
        assert_eq!(event.first, 28);
    }

    /// The series' own events in `table`'s total (the seasonal method, as detection runs it),
    /// and the spikes and drops [`hidden_spikes`] finds beside them.
    fn own_and_hidden_spikes(table: &FineTable, total: &SeriesKey) -> (Vec<Event>, Vec<Event>) {
        let rows = rows_of(table, total);
        let steady = |window| steady_series(table, &rows, window, &AccountDays::new());
        let mut values = table.empty_series();
        for row in &table.rows {
            *values[row.day as usize].as_mut().unwrap() += row.value;
        }
        let (thresholds, params) = (Thresholds::default(), ScoringParams::default());
        let score = |v: &[Option<f64>]| seasonal(v, &params);
        let own = super::super::events::find_events(
            &values,
            (score(&values), &score),
            Some(&steady),
            (&thresholds, &params),
            Some(1e-3),
        );
        let hidden = hidden_spikes(&own, &steady, values.len(), (&thresholds, &params));
        (own, hidden)
    }

    /// Line 2 costs 50% more on days 58 to 60 (a Wednesday to a Friday), as much as line 3,
    /// which stops after day 57, cost; line 4 stops after day 60.
    fn spike_hidden_by_stops(day: usize) -> [Option<f64>; 3] {
        let weekday = if day % 7 < 5 { 100.0 } else { 40.0 };
        let spike = if (58..=60).contains(&day) { 1.5 } else { 1.0 };
        [
            Some(weekday * spike * noise(day, 2)),
            (day <= 57).then(|| weekday / 2.0 * noise(day, 3)),
            (day <= 60).then(|| 30.0 * noise(day, 4)),
        ]
    }

    #[test]
    fn a_spike_of_existing_lines_while_others_stop_is_found_on_its_days() {
        let line = |i: usize| move |day: usize| spike_hidden_by_stops(day)[i];
        let (a, b, c) = (line(0), line(1), line(2));
        let (table, total) = table_of((2025, 8, 4), &[&a, &b, &c]);
        let (own, hidden) = own_and_hidden_spikes(&table, &total);
        // The series' own search does not see it: it sees the lines stopping.
        let on_its_days = |e: &&Event| e.first <= 60 && e.last >= 58 && e.impact() > 0.0;
        assert!(!own.iter().any(|e| on_its_days(&e)), "{own:?}");

        assert_eq!(hidden.len(), 1, "{hidden:?}");
        let spike = &hidden[0];
        assert_eq!((spike.first, spike.last, spike.kind), (58, 60, Kind::Spike));
        // Measured on the lines billed from four weeks before its week to its last day: line
        // 4, which stops on that day, is among them; line 3 is not.
        assert_eq!(spike.lines_billed, Some((28, 60)));
        let extra: f64 = (58..=60).map(|d| a(d).unwrap() / 3.0).sum();
        assert!(
            (spike.impact() / extra - 1.0).abs() < 0.15,
            "{} vs {extra}",
            spike.impact()
        );
        let cause = root_cause(&table, &total, spike, 0, (4, 0.9));
        assert_eq!(cause.contributors[0].resource, "vol-a");
        assert!(cause.contributors.iter().all(|c| c.resource != "vol-b"));
    }

    /// An event of `kind` over days `first..=last` moving the cost by `impact`.
    fn event(first: usize, last: usize, kind: Kind, impact: f64) -> Event {
        Event {
            kind,
            ..Event::level_shift(
                first,
                last,
                (100.0, 100.0 + impact),
                &StepTest {
                    split: first,
                    t: 5.0,
                    p: 1e-6,
                    level_before: 10.0,
                    step: 1.0,
                },
            )
        }
    }

    #[test]
    fn a_spike_or_drop_starting_with_a_hidden_step_its_way_is_its_first_days() {
        let step = event(40, 69, Kind::LevelShift, -300.0);
        assert!(first_days_of(&step, &event(40, 42, Kind::Drop, -50.0)));
        assert!(first_days_of(&step, &event(39, 40, Kind::Drop, -50.0)));
        // A spike; a drop two days later; another level shift.
        assert!(!first_days_of(&step, &event(40, 41, Kind::Spike, 50.0)));
        assert!(!first_days_of(&step, &event(42, 43, Kind::Drop, -50.0)));
        assert!(!first_days_of(
            &step,
            &event(40, 69, Kind::LevelShift, -90.0)
        ));
    }

    #[test]
    fn a_hidden_change_already_reported_or_made_by_a_step_is_not_reported_again() {
        let hidden = event(40, 42, Kind::Drop, -60.0);
        // A drop overlapping it, or a level shift down in the four weeks before it.
        assert!(covers(&event(42, 43, Kind::Drop, -80.0), &hidden, 28));
        assert!(covers(
            &event(12, 69, Kind::LevelShift, -500.0),
            &hidden,
            28
        ));
        // A spike on its days, a drop after it, a level shift up, or one five weeks before.
        assert!(!covers(&event(40, 41, Kind::Spike, 80.0), &hidden, 28));
        assert!(!covers(&event(44, 45, Kind::Drop, -80.0), &hidden, 28));
        assert!(!covers(
            &event(30, 69, Kind::LevelShift, 500.0),
            &hidden,
            28
        ));
        assert!(!covers(
            &event(5, 69, Kind::LevelShift, -500.0),
            &hidden,
            28
        ));
    }
}

//! The exact additive root cause of an anomaly: its $ delta split over usage type, region,
//! operation and resource.
//!
//! Each contributor's expectation is the mean of its same-weekday values in the weeks before
//! the anomaly; means add up, so the contributors' deltas sum to the series' actual minus its
//! mean baseline. The detector's baseline is a median; the difference between the two is
//! shown as its own line, so the listed amounts always sum exactly to the anomaly's impact.

use std::collections::BTreeMap;

use serde::Serialize;

use super::changepoint;
use super::events::{Event, Kind};
use super::like_for_like;
use super::series::{FineRow, FineTable, OPERATION, REGION, RESOURCE, SeriesKey, USAGE_TYPE};
use crate::money::CompensatedSum;

/// One line of a root-cause breakdown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Contributor {
    pub usage_type: String,
    pub region: String,
    pub operation: String,
    pub resource: String,
    /// Expected cost over the anomaly's days (mean of the same weekday in earlier weeks).
    pub expected: f64,
    /// Actual minus expected over the anomaly's days.
    pub delta: f64,
    /// `delta` as a share of the anomaly's impact.
    pub share: f64,
}

/// Labels of the synthetic lines that complete the breakdown.
pub const OTHER_CONTRIBUTORS: &str = "(other contributors)";
pub const BASELINE_DIFFERENCE: &str = "(median vs mean baseline)";

/// A root-cause breakdown and how much of the impact comes from resources starting or
/// stopping.
#[derive(Clone, Debug)]
pub struct RootCause {
    pub contributors: Vec<Contributor>,
    /// Share of the impact from contributors with no cost in the baseline weeks (increases)
    /// or none during the anomaly (decreases).
    pub lifecycle_share: f64,
}

/// Contributors of the anomaly `event` on `key` — those that moved its way first, each
/// group largest |delta| first — listed until they explain `explain` (e.g. 0.9) of its
/// impact, then the rest and the baseline difference,
/// summing exactly to the impact. Reference weeks start on day `since` (the start of an
/// earlier level shift of the series, whose new level is the baseline), or earlier when
/// that leaves less than a week.
pub fn root_cause(
    table: &FineTable,
    key: &SeriesKey,
    event: &Event,
    since: usize,
    (weeks, explain): (usize, f64),
) -> RootCause {
    let (first, last, impact) = (event.first, event.last, event.impact());
    let since = match event.lines_billed {
        Some((from, _)) => from,
        None if since + 7 <= first => since,
        None => 0,
    };
    let counted = counted_lines(table, key, event);
    let reference = |t: usize, k: usize| -> Option<usize> {
        let offset = 7 * (k + (t - first) / 7);
        t.checked_sub(offset).filter(|d| *d >= since)
    };
    let event_days = first..=last;
    let mut per_contributor: BTreeMap<[u32; 4], (CompensatedSum, CompensatedSum)> = BTreeMap::new();
    // First and last day with cost, per contributor, over the whole table.
    let mut lifetime: BTreeMap<[u32; 4], (usize, usize)> = BTreeMap::new();
    let weeks_available = |t: usize| {
        (1..=weeks)
            .filter_map(|k| reference(t, k))
            .filter(|d| !table.missing_days.contains(d))
            .count()
    };
    let weight: Vec<f64> = (0..table.days)
        .map(|t| {
            if !event_days.contains(&t) || table.missing_days.contains(&t) {
                return 0.0;
            }
            let n = weeks_available(t);
            if n == 0 { 0.0 } else { 1.0 / n as f64 }
        })
        .collect();
    let actual_weight = actual_weights(table, event, &weight, weeks);
    // The same weights over the event's change only (a level shift's step window).
    let change_last = change_end(event);
    let step_weight: Vec<f64> = weight
        .iter()
        .enumerate()
        .map(|(t, w)| if t <= change_last { *w } else { 0.0 })
        .collect();
    let step_actual_weight = actual_weights(table, event, &step_weight, weeks);
    let mut step_deltas: BTreeMap<[u32; 4], CompensatedSum> = BTreeMap::new();
    for row in table.rows.iter().filter(|r| key.matches(r) && counted(r)) {
        let id = [
            row.keys[USAGE_TYPE],
            row.keys[REGION],
            row.keys[OPERATION],
            row.keys[RESOURCE],
        ];
        let day = row.day as usize;
        if row.value != 0.0 {
            let span = lifetime.entry(id).or_insert((day, day));
            span.0 = span.0.min(day);
            span.1 = span.1.max(day);
        }
        let entry = per_contributor.entry(id).or_default();
        let step = step_deltas.entry(id).or_default();
        if actual_weight[day] != 0.0 {
            entry.0 += row.value * actual_weight[day];
        }
        if step_actual_weight[day] != 0.0 {
            *step += row.value * step_actual_weight[day];
        }
        for t in event_days.clone() {
            if weight[t] == 0.0 {
                continue;
            }
            let is_reference = (1..=weeks).any(|k| reference(t, k) == Some(day));
            if is_reference {
                entry.1 += row.value * weight[t];
                *step += -row.value * step_weight[t];
            }
        }
    }
    let mut deltas: Vec<([u32; 4], f64, f64)> = per_contributor
        .into_iter()
        .map(|(id, (actual, expected))| (id, actual.value() - expected.value(), expected.value()))
        .filter(|(_, d, _)| *d != 0.0)
        .collect();
    // Those that moved the anomaly's way first, each group largest first: the top cause of
    // a drop is what fell most, not what rose most beside it.
    let up = event.impact() >= 0.0;
    deltas.sort_by(|a, b| {
        let opposite = |d: f64| (d >= 0.0) != up;
        opposite(a.1)
            .cmp(&opposite(b.1))
            .then(b.1.abs().total_cmp(&a.1.abs()))
            .then(a.0.cmp(&b.0))
    });
    // Started: first billed at most a week before the anomaly, and no later than its
    // change. Stopped: last billed before the end of the data, from three days before the
    // anomaly to the end of its change (a resource that stopped earlier is already out of
    // a re-levelled baseline). The share is measured over the change itself: a level
    // shift's later days carry later changes of the organisation, which did not make its
    // step.
    let end = table.days.saturating_sub(1);
    let step_deltas: Vec<([u32; 4], f64)> = step_deltas
        .into_iter()
        .map(|(id, delta)| (id, delta.value()))
        .collect();
    let lifecycle: CompensatedSum = step_deltas
        .iter()
        .filter(|(id, delta)| {
            let Some(&(born, died)) = lifetime.get(id) else {
                return false;
            };
            let started = *delta > 0.0 && born + 7 >= first && born <= change_last;
            let stopped = *delta < 0.0 && died < end && died + 3 >= first && died <= change_last;
            started || stopped
        })
        .map(|(_, delta)| *delta)
        .collect();
    let change: CompensatedSum = step_deltas.iter().map(|(_, delta)| *delta).collect();
    let lifecycle_share = lifecycle_share(lifecycle.value(), change.value(), impact);
    RootCause {
        contributors: list_until_explained(table, deltas, impact, explain),
        lifecycle_share,
    }
}

/// Which of the series' rows an event counts: all of them, or for a change of the lines
/// billed throughout ([`Event::lines_billed`]), those of the lines billed on its first and
/// last day and every day between.
pub(super) fn counted_lines(
    table: &FineTable,
    key: &SeriesKey,
    event: &Event,
) -> impl Fn(&FineRow) -> bool {
    let counted = event.lines_billed.map(|span| {
        let rows = table.rows.iter().filter(|r| key.matches(r));
        like_for_like::lines_billed_throughout(rows, span)
    });
    move |row: &FineRow| {
        counted
            .as_ref()
            .is_none_or(|lines| lines.contains(&row.keys))
    }
}

/// How much each day's cost counts in the anomaly's actual cost: each scored day of the
/// anomaly counts once — except, for a level shift followed by another one (closed at the
/// next one's start), the days from that start on, which count the level this shift had
/// reached: the mean of the same weekday over the up to `weeks` weeks before the next
/// shift, from this one's start. So a closed shift's contributors are those of its own step,
/// not of the next shift's.
fn actual_weights(table: &FineTable, event: &Event, scored: &[f64], weeks: usize) -> Vec<f64> {
    let mut weights = vec![0.0; table.days];
    let present = |d: &usize| !table.missing_days.contains(d);
    for t in (event.first..=event.last).filter(|t| scored[*t] != 0.0) {
        let sources: Vec<usize> = match event.closed_at {
            Some(next) if t >= next && next > event.first => (event.first..next)
                .rev()
                .filter(|d| d % 7 == t % 7)
                .filter(present)
                .take(weeks)
                .collect(),
            _ => Vec::new(),
        };
        if sources.is_empty() {
            weights[t] += 1.0;
        } else {
            for d in &sources {
                weights[*d] += 1.0 / sources.len() as f64;
            }
        }
    }
    weights
}

/// The share of a change that comes from resources starting or stopping. Both amounts are
/// measured against the same mean baseline (the contributors' deltas); the impact, against
/// the detector's median baseline, is the fallback when the contributors do not move the
/// way the anomaly does. Dividing a mean-based amount by the median-based impact would let
/// the difference between the two baselines dilute the share — after a resource ran for a
/// week and stopped, the median has moved to its level while the mean holds a quarter of it.
fn lifecycle_share(lifecycle: f64, change: f64, impact: f64) -> f64 {
    let total = if change * impact > 0.0 {
        change
    } else {
        impact
    };
    if total.abs() > 0.0 {
        lifecycle / total
    } else {
        0.0
    }
}

/// The last day of an event's change: a spike or drop changes over all its days; a level
/// shift is its step, measured over the step test's window after its start. A resource
/// that starts or stops later in a level shift's days is a later change, not its cause.
fn change_end(event: &Event) -> usize {
    match event.kind {
        Kind::LevelShift => event
            .last
            .min(event.first + changepoint::STEP_WINDOW_DAYS - 1),
        Kind::Spike | Kind::Drop => event.last,
    }
}

fn list_until_explained(
    table: &FineTable,
    deltas: Vec<([u32; 4], f64, f64)>,
    impact: f64,
    explain: f64,
) -> Vec<Contributor> {
    let share = |d: f64| if impact.abs() > 0.0 { d / impact } else { 0.0 };
    let mut out = Vec::new();
    let mut listed = CompensatedSum::default();
    let mut rest = CompensatedSum::default();
    let mut all = CompensatedSum::default();
    for (id, delta, expected) in deltas {
        all += delta;
        if out.len() < 20 && share(listed.value()) < explain {
            listed += delta;
            out.push(Contributor {
                usage_type: table.text(id[0]).to_string(),
                region: table.text(id[1]).to_string(),
                operation: table.text(id[2]).to_string(),
                resource: table.text(id[3]).to_string(),
                expected,
                delta,
                share: share(delta),
            });
        } else {
            rest += delta;
        }
    }
    let synthetic = |label: &str, delta: f64| Contributor {
        usage_type: label.to_string(),
        region: String::new(),
        operation: String::new(),
        resource: String::new(),
        expected: 0.0,
        delta,
        share: share(delta),
    };
    if rest.value() != 0.0 {
        out.push(synthetic(OTHER_CONTRIBUTORS, rest.value()));
    }
    let difference = impact - all.value();
    if difference.abs() > 1e-9 * impact.abs().max(1.0) {
        out.push(synthetic(BASELINE_DIFFERENCE, difference));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{Cost, resource_table};
    use super::super::series::Level;
    use super::*;

    /// The total series of the test tables (currency id 1).
    fn total_series() -> SeriesKey {
        SeriesKey {
            level: Level::Total,
            currency: 1,
            parts: Vec::new(),
        }
    }

    /// 50 days of resources with a daily cost each (`None`: not billed that day), named
    /// `db-0`, `db-1`, ….
    fn table(resources: &[&dyn Fn(usize) -> Option<f64>]) -> FineTable {
        let names: Vec<String> = (0..resources.len()).map(|i| format!("db-{i}")).collect();
        let named: Vec<(&str, Cost)> = names
            .iter()
            .map(String::as_str)
            .zip(resources.iter().copied())
            .collect();
        resource_table(0, 50, &named)
    }

    fn shift_from_day_30(table: &FineTable) -> RootCause {
        let key = total_series();
        let (mut expected, mut actual) = (0.0, 0.0);
        for row in table.rows.iter().filter(|r| r.day >= 30) {
            actual += row.value;
        }
        for row in table.rows.iter().filter(|r| (2..30).contains(&r.day)) {
            expected += row.value * 20.0 / 28.0;
        }
        let event = Event {
            first: 30,
            last: 49,
            kind: Kind::LevelShift,
            expected,
            actual,
            score: -10.0,
            level_before: None,
            level_after: None,
            p_value: None,
            closed_at: None,
            lines_billed: None,
        };
        root_cause(table, &key, &event, 0, (4, 0.9))
    }

    #[test]
    fn after_a_level_shift_the_reference_weeks_are_at_the_new_level() {
        // db-0 steps from 100 to 150 a day on day 20 (a level shift); db-1 spikes on day 40.
        let steps = |d: usize| Some(if d < 20 { 100.0 } else { 150.0 });
        let spikes = |d: usize| Some(if d == 40 { 60.0 } else { 10.0 });
        let table = table(&[&steps, &spikes]);
        let key = total_series();
        let spike = Event {
            first: 40,
            last: 40,
            kind: Kind::Spike,
            expected: 160.0,
            actual: 210.0,
            score: 20.0,
            level_before: None,
            level_after: None,
            p_value: None,
            closed_at: None,
            lines_billed: None,
        };
        let cause = root_cause(&table, &key, &spike, 20, (4, 0.9));
        assert_eq!(cause.contributors.len(), 1, "{cause:?}");
        assert_eq!(cause.contributors[0].resource, "db-1");
        assert!(
            (cause.contributors[0].delta - 50.0).abs() < 1e-9,
            "{cause:?}"
        );
        // Weeks from before the shift would count half of db-0's step in the spike.
        let cause = root_cause(&table, &key, &spike, 0, (4, 0.9));
        assert!(cause.contributors.len() > 1, "{cause:?}");
    }

    #[test]
    fn a_resource_stopping_weeks_after_a_level_shift_did_not_cause_it() {
        // db-0 costs 10% less from day 30 on; db-1 stops on day 45, long after the step.
        let cheaper = |d: usize| Some(if d < 30 { 100.0 } else { 90.0 });
        let stops_late = |d: usize| (d < 45).then_some(60.0);
        let cause = shift_from_day_30(&table(&[&cheaper, &stops_late]));
        assert!(cause.lifecycle_share.abs() < 1e-9, "{cause:?}");
        let sum: f64 = cause.contributors.iter().map(|c| c.delta).sum();
        assert!((sum - (-200.0 - 300.0)).abs() < 1e-6, "{cause:?}");
        // A resource that stops as the level shifts is its cause.
        let stops_at_the_step = |d: usize| (d < 31).then_some(60.0);
        let cause = shift_from_day_30(&table(&[&cheaper, &stops_at_the_step]));
        assert!(cause.lifecycle_share > 0.8, "{cause:?}");
    }

    #[test]
    fn the_lifecycle_share_of_a_level_shift_is_measured_over_its_step() {
        // db-1 starts on day 30 (+50 a day): the step. db-0, running all along, costs 300
        // a day more from day 45 on, long after it: 1,500 of the 2,500 over the shift.
        let later_growth = |d: usize| Some(if d < 45 { 100.0 } else { 400.0 });
        let starts = |d: usize| (d >= 30).then_some(50.0);
        let cause = shift_from_day_30(&table(&[&later_growth, &starts]));
        assert!((cause.lifecycle_share - 1.0).abs() < 1e-12, "{cause:?}");
        let sum: f64 = cause.contributors.iter().map(|c| c.delta).sum();
        assert!((sum - 2500.0).abs() < 1e-6, "{cause:?}");
    }

    #[test]
    fn the_lifecycle_share_is_of_the_change_against_the_same_baseline() {
        // Contributors move by -71, -66 of it from a resource that stopped; the impact
        // against the median baseline is -147.
        assert!((lifecycle_share(-66.0, -71.0, -147.0) - 66.0 / 71.0).abs() < 1e-12);
        // Contributors that do not move the anomaly's way fall back to the impact.
        assert!((lifecycle_share(-20.0, 5.0, -40.0) - 0.5).abs() < 1e-12);
        assert_eq!(lifecycle_share(0.0, 0.0, 0.0), 0.0);
    }

    #[test]
    fn a_level_shift_closed_by_the_next_one_is_explained_by_its_own_step() {
        // db-0 starts on day 20 (+50 a day); db-1 is 20 a day cheaper from day 35 on, a
        // second level shift of the same series, which closes the first one.
        let starts = |d: usize| (d >= 20).then_some(50.0);
        let cheaper_later = |d: usize| Some(if d < 35 { 100.0 } else { 80.0 });
        let table = table(&[&starts, &cheaper_later]);
        let key = total_series();
        // The first shift's own step over days 20..=49: +50 a day.
        let first_shift = Event {
            first: 20,
            last: 49,
            kind: Kind::LevelShift,
            expected: 30.0 * 100.0,
            actual: 30.0 * 150.0,
            score: 10.0,
            level_before: Some(100.0),
            level_after: Some(150.0),
            p_value: None,
            closed_at: Some(35),
            lines_billed: None,
        };
        let cause = root_cause(&table, &key, &first_shift, 0, (2, 0.9));
        assert_eq!(cause.contributors.len(), 1, "{cause:?}");
        assert_eq!(cause.contributors[0].resource, "db-0");
        assert!(
            (cause.contributors[0].delta - 1500.0).abs() < 1e-9,
            "{cause:?}"
        );
        assert!((cause.lifecycle_share - 1.0).abs() < 1e-12, "{cause:?}");
        // Not closed, db-1's later saving of 300 would count in it.
        let open = Event {
            closed_at: None,
            lines_billed: None,
            actual: 30.0 * 150.0 - 15.0 * 20.0,
            ..first_shift
        };
        let cause = root_cause(&table, &key, &open, 0, (2, 0.9));
        let besides_db0: f64 = cause.contributors[1..].iter().map(|c| c.delta).sum();
        assert!((besides_db0 + 300.0).abs() < 1e-9, "{cause:?}");
    }

    #[test]
    fn the_top_cause_of_a_drop_is_what_fell_most() {
        // From day 30, db-0 rises by 120 a day, db-1 and db-2 fall by 100 each: a drop of 80.
        let rises = |d: usize| Some(if d >= 30 { 220.0 } else { 100.0 });
        let falls = |d: usize| Some(if d >= 30 { 100.0 } else { 200.0 });
        let table = table(&[&rises, &falls, &falls]);
        let cause = shift_from_day_30(&table);
        let first = &cause.contributors[0];
        assert_eq!(first.resource, "db-1", "{:?}", cause.contributors);
        assert!((first.delta - (-100.0 * 20.0)).abs() < 1e-6);
        let total: f64 = cause.contributors.iter().map(|c| c.delta).sum();
        assert!((total - (-80.0 * 20.0)).abs() < 1e-6, "{total}");
    }
}

//! One anomaly, one report: when the same move shows at several levels (a resource's spike
//! lifts its usage type, its service, its account and the total), it is reported at the most
//! specific level that explains it, and the coarser series are named as its parents.

use super::events::{Event, Kind};
use super::series::SeriesKey;

/// A finer anomaly explains a coarser one when it overlaps in time, moves the same way and
/// carries at least this share of the coarser one's impact.
const EXPLAINS: f64 = 0.5;

/// Keeps the most specific events, each with the ancestors it explains.
pub fn most_specific(
    mut found: Vec<(SeriesKey, Event)>,
) -> Vec<(SeriesKey, Event, Vec<SeriesKey>)> {
    // Most specific first; ties in a fixed order.
    found.sort_by(|a, b| {
        b.0.parts
            .len()
            .cmp(&a.0.parts.len())
            .then_with(|| b.1.impact().abs().total_cmp(&a.1.impact().abs()))
            .then_with(|| a.0.cmp(&b.0))
            .then_with(|| a.1.first.cmp(&b.1.first))
    });
    let mut absorbed = vec![false; found.len()];
    let mut out = Vec::new();
    for i in 0..found.len() {
        if absorbed[i] {
            continue;
        }
        let (key, event) = &found[i];
        let mut parents = Vec::new();
        for j in 0..found.len() {
            if i == j || absorbed[j] {
                continue;
            }
            let (other_key, other) = &found[j];
            if other_key.is_ancestor_of(key) && explains(event, other) {
                absorbed[j] = true;
                parents.push(other_key.clone());
            }
        }
        parents.sort();
        out.push((key.clone(), event.clone(), parents));
    }
    out
}

/// Whether `fine` explains `coarse`: the same shape (a long level shift below does not
/// explain a short spike above it, nor the reverse), the same direction, and at least
/// [`EXPLAINS`] of the coarser one's impact. For spikes and drops the impacts are compared
/// over the days they share, each spread evenly over its days, so that a three-day spike of
/// an account does not swallow a one-day spike of a whole service on its last day. Level
/// shifts both run to the end of the data: their whole impacts are compared.
fn explains(fine: &Event, coarse: &Event) -> bool {
    let shift = fine.kind == Kind::LevelShift;
    let same_shape = shift == (coarse.kind == Kind::LevelShift);
    let same_direction = (fine.impact() > 0.0) == (coarse.impact() > 0.0);
    let shared = overlap_days(fine, coarse);
    let in_shared = |e: &Event| {
        let share = if shift {
            1.0
        } else {
            shared as f64 / days(e) as f64
        };
        e.impact().abs() * share
    };
    same_shape && same_direction && shared > 0 && in_shared(fine) >= EXPLAINS * in_shared(coarse)
}

fn days(e: &Event) -> usize {
    e.last - e.first + 1
}

fn overlap_days(a: &Event, b: &Event) -> usize {
    (a.last.min(b.last) + 1).saturating_sub(a.first.max(b.first))
}

#[cfg(test)]
mod tests {
    use super::super::series::Level;
    use super::*;

    fn spike(first: usize, last: usize, impact: f64) -> Event {
        Event {
            first,
            last,
            kind: Kind::Spike,
            expected: 1000.0,
            actual: 1000.0 + impact,
            score: 10.0,
            level_before: None,
            level_after: None,
            p_value: None,
            closed_at: None,
        }
    }

    fn key(level: Level, parts: Vec<(usize, u32)>) -> SeriesKey {
        SeriesKey {
            level,
            currency: 1,
            parts,
        }
    }

    #[test]
    fn a_finer_spike_explains_the_same_move_above_it() {
        let service = key(Level::Service, vec![(1, 7)]);
        let usage_type = key(Level::ServiceUsageType, vec![(1, 7), (2, 9)]);
        let kept = most_specific(vec![
            (service.clone(), spike(30, 31, 130.0)),
            (usage_type.clone(), spike(30, 30, 100.0)),
        ]);
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!((&kept[0].0, &kept[0].2), (&usage_type, &vec![service]));
    }

    #[test]
    fn a_longer_finer_spike_does_not_swallow_a_one_day_spike_above_it() {
        // An account × service spike of 60 over days 28–30; the whole service spikes by
        // 110 on day 30 alone: about 20 of the account's impact falls on that day.
        let service = key(Level::Service, vec![(1, 7)]);
        let account_service = key(Level::AccountService, vec![(0, 3), (1, 7)]);
        let kept = most_specific(vec![
            (service.clone(), spike(30, 30, 110.0)),
            (account_service.clone(), spike(28, 30, 60.0)),
        ]);
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(kept.iter().all(|(_, _, parents)| parents.is_empty()));
    }
}

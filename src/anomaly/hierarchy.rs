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

fn explains(fine: &Event, coarse: &Event) -> bool {
    // A long level shift below does not explain a short spike above it, nor the reverse.
    let same_shape = (fine.kind == Kind::LevelShift) == (coarse.kind == Kind::LevelShift);
    let overlaps = same_shape && fine.first <= coarse.last && coarse.first <= fine.last;
    let same_direction = (fine.impact() > 0.0) == (coarse.impact() > 0.0);
    overlaps && same_direction && fine.impact().abs() >= EXPLAINS * coarse.impact().abs()
}

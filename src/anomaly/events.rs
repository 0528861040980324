//! From day scores to events: days beyond the score threshold are grouped into runs of the
//! same direction; a run that persists and passes a two-sample test is one level shift
//! (reported once, from its start), a short run is a spike or a drop. Events below the $
//! and % impact thresholds are dropped.

use serde::Serialize;

use super::changepoint::{self, STEP_WINDOW_DAYS, StepTest, step_test};
use super::detectors::{DayScore, ScoringParams, seasonal_baseline};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Spike,
    Drop,
    LevelShift,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Spike => "spike",
            Kind::Drop => "drop",
            Kind::LevelShift => "level shift",
        }
    }
}

/// Alert thresholds, like an AWS anomaly subscription's.
#[derive(Clone, Copy, Debug)]
pub struct Thresholds {
    /// |score| a day needs to be anomalous.
    pub min_score: f64,
    /// |score| the day after a run needs to end it in the same direction (the tail of a
    /// spike belongs to it, and its impact is counted whole).
    pub continue_score: f64,
    /// |actual − expected| over the event, in currency units.
    pub min_impact: f64,
    /// |actual − expected| / expected over the event, in percent.
    pub min_impact_pct: f64,
    /// Days a run must last to be tested as a level shift.
    pub level_shift_min_days: usize,
    /// p-value below which a persistent run is a level shift.
    pub level_shift_p: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            min_score: 3.0,
            continue_score: 2.0,
            min_impact: 50.0,
            min_impact_pct: 10.0,
            level_shift_min_days: 5,
            level_shift_p: 0.01,
        }
    }
}

/// An anomalous stretch of one series, in day indexes.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub first: usize,
    pub last: usize,
    pub kind: Kind,
    pub expected: f64,
    pub actual: f64,
    /// The largest |score| in the event, signed.
    pub score: f64,
    /// Level shifts: the level before and after, per day, and the test's p-value.
    pub level_before: Option<f64>,
    pub level_after: Option<f64>,
    pub p_value: Option<f64>,
    /// A level shift followed by another in the same series: the day the next one starts.
    /// From then on this one counts only its own step (the level the next one started
    /// from against its own baseline).
    pub closed_at: Option<usize>,
    /// A change of the lines billed throughout, which the series itself hides under
    /// resources starting or stopping ([`super::hidden`]): the first and last day those lines
    /// are billed on. Its expected and actual cost, and its root cause, count only them.
    pub lines_billed: Option<(usize, usize)>,
}

impl Event {
    /// A level shift from `first` to the end of the series (`last`), with the levels and
    /// the test statistic of the two windows around it.
    pub fn level_shift(
        first: usize,
        last: usize,
        (expected, actual): (f64, f64),
        test: &StepTest,
    ) -> Event {
        Event {
            first,
            last,
            kind: Kind::LevelShift,
            expected,
            actual,
            score: test.t,
            level_before: Some(test.level_before),
            level_after: Some(test.level_before + test.step),
            p_value: Some(test.p),
            closed_at: None,
            lines_billed: None,
        }
    }

    pub fn impact(&self) -> f64 {
        self.actual - self.expected
    }

    pub fn impact_pct(&self) -> Option<f64> {
        (self.expected.abs() > 1e-9).then(|| 100.0 * self.impact() / self.expected.abs())
    }
}

/// Scores every day of a series (the seasonal or the z-score detector).
pub type Scorer<'a> = &'a dyn Fn(&[Option<f64>]) -> Vec<Option<DayScore>>;

/// The like-for-like series of a series around a split: the cost of the lines billed on
/// both sides of it ([`super::like_for_like::steady_series`]).
pub type Steady<'a> = &'a dyn Fn(std::ops::Range<usize>) -> Vec<Option<f64>>;

/// Finds the events of one series, given its day scores and the scorer that made them.
///
/// After a level shift the history before it is moved to the new level and the days after
/// it are scored again, so that a later step in the same series is found with its own
/// start instead of being swallowed by the first one; from there on the earlier shift
/// counts only its own step, so the impacts of consecutive shifts add up.
///
/// With `scan_p`, once no run is left, the days after the last level shift are scanned for a
/// step too small to flag day by day (`changepoint::strongest_shift`, significant under
/// `scan_p`); one found is a level shift like the others, and the days after it are scored
/// again.
pub fn find_events(
    values: &[Option<f64>],
    (mut scores, score): (Vec<Option<DayScore>>, Scorer),
    steady: Option<Steady>,
    (thresholds, params): (&Thresholds, &ScoringParams),
    scan_p: Option<f64>,
) -> Vec<Event> {
    let mut events = Vec::new();
    let mut levelled = values.to_vec();
    // The last level shift reported, with its frozen baseline, while it is still open.
    let mut open_shift: Option<(usize, Vec<Option<f64>>)> = None;
    let mut scan_from = changepoint::FIRST_SPLIT;
    // Each level shift starts after the one before, so the search always ends.
    let mut last_split: Option<usize> = None;
    let mut t = 0;
    loop {
        if t >= scores.len() {
            let Some((shift, frozen)) = scan_p.and_then(|p| {
                let without_events = without_event_days(&levelled, &events);
                changepoint::strongest_shift(&without_events, scan_from, steady, thresholds, p)
            }) else {
                break;
            };
            let split = shift.first;
            let last = values.len() - 1;
            let sums = window_sums(&levelled, &frozen, split, last);
            let shift = Event {
                expected: sums.0,
                actual: sums.1,
                ..shift
            };
            // The days from the step on are scored again against the new level: what was
            // found there is found again, or was the step's first days.
            events.retain(|e: &Event| e.kind == Kind::LevelShift || e.first < split);
            move_history_to_new_level(&mut levelled, &shift);
            scores = score(&levelled);
            push_shift(&mut events, &mut open_shift, values, (shift, frozen));
            scan_from = split + changepoint::NEXT_SPLIT_DAYS;
            last_split = Some(split);
            t = split;
            continue;
        }
        let Some(sign) = flagged(scores[t], thresholds) else {
            t += 1;
            continue;
        };
        let end = run_end(&scores, t, sign, thresholds);
        let run = Run {
            first: t,
            last: end,
            up: sign,
            search_from: stretch_start(&scores, t, sign, thresholds),
        };
        let after_last_split = |(shift, _): &(Event, Vec<Option<f64>>)| {
            last_split.is_none_or(|last| shift.first > last)
        };
        let found = level_shift(&levelled, &scores, run, steady, (thresholds, params))
            .filter(after_last_split)
            .map(|found| {
                began_with_the_event_before(
                    &levelled,
                    &scores,
                    (run, &found.0),
                    events.last(),
                    steady,
                    (thresholds, params),
                )
                .filter(after_last_split)
                .unwrap_or(found)
            });
        if let Some((shift, frozen)) = found {
            let split = shift.first;
            scan_from = split + changepoint::NEXT_SPLIT_DAYS;
            last_split = Some(split);
            move_history_to_new_level(&mut levelled, &shift);
            scores = score(&levelled);
            if passes(&shift, thresholds) {
                let settled = open_shift.as_ref().map_or(0, |(index, _)| index + 1);
                fold_first_days(&mut events, settled, split, sign);
                push_shift(&mut events, &mut open_shift, values, (shift, frozen));
            }
            t = split + 1;
            continue;
        }
        let event = short_event(values, &scores, t, end, sign);
        let event = if passes(&event, thresholds) {
            Some(event)
        } else {
            steady
                .filter(|_| no_shift_within_history(last_split, &event))
                .and_then(|steady| measured_like_for_like(&event, steady, params))
                .filter(|event| passes(event, thresholds))
        };
        events.extend(event);
        t = end + 1;
    }
    events
}

/// The level shift of `run` starting where the spike or drop just before it began, when it
/// moved the same way, ended at most [`SPLIT_DAYS_BEFORE`] days before the run, and the
/// step from its first day tests stronger than from `shift`'s: a step whose first days
/// were a short run, interrupted by a resource running over a day or two, is one shift from
/// its first day. The short event is then the shift's first days.
fn began_with_the_event_before(
    values: &[Option<f64>],
    scores: &[Option<DayScore>],
    (run, shift): (Run, &Event),
    before: Option<&Event>,
    steady: Option<Steady>,
    settings: (&Thresholds, &ScoringParams),
) -> Option<(Event, Vec<Option<f64>>)> {
    let before = before.filter(|e| {
        e.kind != Kind::LevelShift
            && (e.impact() > 0.0) == run.up
            && e.first < shift.first
            && e.last + SPLIT_DAYS_BEFORE >= run.first
    })?;
    let earlier = Run {
        first: before.first,
        search_from: before.first,
        ..run
    };
    level_shift(values, scores, earlier, steady, settings)
        .filter(|(found, _)| found.first < shift.first && found.score.abs() >= shift.score.abs())
}

/// A spike or drop too small against the series' baseline, measured again on the lines
/// billed from four weeks before it to its last day, against their own seasonal baseline:
/// resources that stopped (or started) in the weeks before it leave the series' baseline
/// above (or below) what the remaining lines cost, and a spike of those lines looks small
/// (a drop large). The event keeps its days and actual cost; its expectation becomes the
/// actual minus the like-for-like change, when that change moves the event's way and is
/// larger than the one measured on the series.
fn measured_like_for_like(event: &Event, steady: Steady, params: &ScoringParams) -> Option<Event> {
    let window = event.first.saturating_sub(LIKE_FOR_LIKE_HISTORY_DAYS)..event.last + 1;
    let series = steady(window);
    let baseline = seasonal_baseline(&series, params);
    let mut change = 0.0;
    for d in event.first..=event.last {
        change += series[d]? - baseline[d]?;
    }
    let up = event.kind == Kind::Spike;
    ((change > 0.0) == up && change.abs() > event.impact().abs()).then(|| Event {
        expected: event.actual - change,
        ..event.clone()
    })
}

/// Whether the last level shift found, if any, started before the history a like-for-like
/// measure of `event` reads: the like-for-like series is not moved to a new level, so a step
/// of its own lines within those weeks would count as part of the event.
fn no_shift_within_history(last_split: Option<usize>, event: &Event) -> bool {
    last_split.is_none_or(|split| split + LIKE_FOR_LIKE_HISTORY_DAYS <= event.first)
}

/// Days of history before a spike or drop its like-for-like measure reads: the four weeks a
/// seasonal baseline takes its median from.
const LIKE_FOR_LIKE_HISTORY_DAYS: usize = 28;

/// Appends a level shift with its frozen baseline, closing the one still open (which from
/// the new shift's start counts only its own step), and leaves the new one open.
fn push_shift(
    events: &mut Vec<Event>,
    open_shift: &mut Option<(usize, Vec<Option<f64>>)>,
    values: &[Option<f64>],
    (shift, frozen): (Event, Vec<Option<f64>>),
) {
    if let Some((index, previous)) = open_shift.take() {
        close_shift(
            &mut events[index],
            values,
            (&previous, &frozen),
            shift.first,
        );
    }
    *open_shift = Some((events.len(), frozen));
    events.push(shift);
}

/// `values` with the days of the spikes and drops found left out: the scan for a small step
/// tests what remains, so that a two-day drop does not make the step it sits at the start of.
fn without_event_days(values: &[Option<f64>], events: &[Event]) -> Vec<Option<f64>> {
    let mut out = values.to_vec();
    for e in events.iter().filter(|e| e.kind != Kind::LevelShift) {
        for v in &mut out[e.first..=e.last] {
            *v = None;
        }
    }
    out
}

/// Drops the spikes or drops of a level shift's direction that start on or after its
/// `split`, among the events after the first `settled` ones: the step's first days, reported
/// before the run that persisted, are part of the shift.
fn fold_first_days(events: &mut Vec<Event>, settled: usize, split: usize, up: bool) {
    let later = events.split_off(settled.min(events.len()));
    events.extend(
        later
            .into_iter()
            .filter(|e| e.kind == Kind::LevelShift || e.first < split || (e.impact() > 0.0) != up),
    );
}

/// Moves every day before a level shift to the new level, so that the baseline of the days
/// after it is that level: by the shift's step, or by its ratio when the days after it fit a
/// step in proportion better (a price change lifts a weekday by more than a weekend day;
/// resources running every day lift both alike).
fn move_history_to_new_level(levelled: &mut [Option<f64>], shift: &Event) {
    if let Some(factor) = proportional_step(levelled, shift.first) {
        for v in levelled[..shift.first].iter_mut().flatten() {
            *v *= factor;
        }
        return;
    }
    let step = shift.level_after.unwrap_or(0.0) - shift.level_before.unwrap_or(0.0);
    for v in levelled[..shift.first].iter_mut().flatten() {
        *v += step;
    }
}

/// The ratio of the level after `split` to the one before, when the days after it (up to
/// two weeks) fit the weekday means of the two weeks before times one factor better than
/// plus one step; `None` when a step fits as well, or for a series with non-positive
/// weekday means.
fn proportional_step(values: &[Option<f64>], split: usize) -> Option<f64> {
    let means = changepoint::weekday_means(values, split)?;
    if means.iter().any(|m| *m <= 0.0) {
        return None;
    }
    let after: Vec<(f64, f64)> = (split..(split + STEP_WINDOW_DAYS).min(values.len()))
        .filter_map(|d| Some((values[d]?, means[d % 7])))
        .collect();
    if after.len() < 3 {
        return None;
    }
    let n = after.len() as f64;
    let step = after.iter().map(|(v, m)| v - m).sum::<f64>() / n;
    let factor = after.iter().map(|(v, m)| v * m).sum::<f64>()
        / after.iter().map(|(_, m)| m * m).sum::<f64>();
    let misfit = |predict: &dyn Fn(f64) -> f64| -> f64 {
        after.iter().map(|(v, m)| (v - predict(*m)).powi(2)).sum()
    };
    (misfit(&|m| m * factor) < misfit(&|m| m + step)).then_some(factor)
}

/// Hands the days from `next` on to the next level shift: the earlier shift keeps only its
/// own step there (the next shift's frozen baseline minus its own), so that the impacts of
/// consecutive shifts add up to the whole excess over the first level.
pub(crate) fn close_shift(
    shift: &mut Event,
    values: &[Option<f64>],
    (own, next_baseline): (&[Option<f64>], &[Option<f64>]),
    next: usize,
) {
    if next <= shift.first {
        return;
    }
    let (mut expected, mut actual) = window_sums(values, own, shift.first, next - 1);
    let own_after = &own[next - shift.first..];
    for ((v, b), n) in values[next..].iter().zip(own_after).zip(next_baseline) {
        if let (Some(_), Some(b), Some(n)) = (v, b, n) {
            expected += b;
            actual += n;
        }
    }
    (shift.expected, shift.actual) = (expected, actual);
    shift.closed_at = Some(next);
}

/// Expected and actual sums over `first..=last`, `frozen` starting at `first`.
pub(crate) fn window_sums(
    values: &[Option<f64>],
    frozen: &[Option<f64>],
    first: usize,
    last: usize,
) -> (f64, f64) {
    let (mut expected, mut actual) = (0.0, 0.0);
    for (v, b) in values[first..=last].iter().zip(frozen) {
        if let (Some(v), Some(b)) = (v, b) {
            expected += b;
            actual += v;
        }
    }
    (expected, actual)
}

pub(crate) fn flagged(score: Option<DayScore>, thresholds: &Thresholds) -> Option<bool> {
    let s = score?;
    (s.score.abs() >= thresholds.min_score).then_some(s.score > 0.0)
}

/// The last day of the run of days flagged `up`'s way that starts on `first`, with the day
/// after it when that day still scores the same way over the continue score (the tail of a
/// spike belongs to it).
pub(crate) fn run_end(
    scores: &[Option<DayScore>],
    first: usize,
    up: bool,
    thresholds: &Thresholds,
) -> usize {
    let mut end = first;
    while end + 1 < scores.len() && flagged(scores[end + 1], thresholds) == Some(up) {
        end += 1;
    }
    if end + 1 < scores.len() && continues(scores[end + 1], thresholds) == Some(up) {
        end += 1;
    }
    end
}

fn continues(score: Option<DayScore>, thresholds: &Thresholds) -> Option<bool> {
    let s = score?;
    (s.score.abs() >= thresholds.continue_score.min(thresholds.min_score)).then_some(s.score > 0.0)
}

pub(crate) fn passes(event: &Event, thresholds: &Thresholds) -> bool {
    let pct_ok = event
        .impact_pct()
        .is_none_or(|p| p.abs() >= thresholds.min_impact_pct);
    event.impact().abs() >= thresholds.min_impact && pct_ok
}

pub(crate) fn short_event(
    values: &[Option<f64>],
    scores: &[Option<DayScore>],
    first: usize,
    last: usize,
    up: bool,
) -> Event {
    let (mut expected, mut actual, mut score) = (0.0, 0.0, 0.0f64);
    for t in first..=last {
        if let (Some(v), Some(s)) = (values[t], scores[t]) {
            expected += s.expected;
            actual += v;
            if s.score.abs() > score.abs() {
                score = s.score;
            }
        }
    }
    Event {
        first,
        last,
        kind: if up { Kind::Spike } else { Kind::Drop },
        expected,
        actual,
        score,
        level_before: None,
        level_after: None,
        p_value: None,
        closed_at: None,
        lines_billed: None,
    }
}

/// Days of one direction beyond the score threshold.
#[derive(Clone, Copy, Debug)]
struct Run {
    first: usize,
    last: usize,
    up: bool,
    /// Where the search for a level shift's split is centred: the run's first day, or an
    /// earlier flagged day of the unbroken stretch of same-direction days before it.
    search_from: usize,
}

/// How far back [`stretch_start`] looks.
const STRETCH_DAYS: usize = 7;

/// The first flagged day of the unbroken stretch of days scoring the same way (however
/// little) that ends the day before `t`, back to a week; `t` itself when none of them is
/// flagged. A proportional step lifts weekdays by more than weekends: its first weekdays can
/// score over the threshold and its weekend under it, before the run that persists.
fn stretch_start(
    scores: &[Option<DayScore>],
    t: usize,
    up: bool,
    thresholds: &Thresholds,
) -> usize {
    let mut start = t;
    for d in (t.saturating_sub(STRETCH_DAYS)..t).rev() {
        let Some(s) = scores[d] else { break };
        if s.score == 0.0 || (s.score > 0.0) != up {
            break;
        }
        if s.score.abs() >= thresholds.min_score {
            start = d;
        }
    }
    start
}

/// A run that persists (at least `level_shift_min_days`, or to the end of the series with
/// three days) is tested against the two weeks before it; if the step is significant it is
/// one level shift from the best split near the run's start to the end of the series, with
/// the pre-shift seasonal baseline frozen as the expectation.
///
/// A shorter run is tested when its direction recurs until it would persist
/// ([`recurring_end`]) and it begins the step ([`recurring_run_steps`]), from a series'
/// fifth week on; such a step's expectation is the weekday means its test compares.
///
/// With the like-for-like series at hand, the step begins where that series steps:
/// significantly, the same way, from three days before the series' own split to a week
/// after it, by at least two fifths of the series' step, and the series' own test is significant
/// there too ([`like_for_like_step`]). Resources starting or stopping a few days before or
/// after a change of what existing resources cost would otherwise set its start. A smaller
/// like-for-like step is drift under a step made by resources starting or stopping, which
/// stays where it is (and is listed as such).
fn level_shift(
    values: &[Option<f64>],
    scores: &[Option<DayScore>],
    run: Run,
    steady: Option<Steady>,
    (thresholds, params): (&Thresholds, &ScoringParams),
) -> Option<(Event, Vec<Option<f64>>)> {
    let persists = |last: usize| {
        let days = last - run.first + 1;
        days >= thresholds.level_shift_min_days || (last + 1 == values.len() && days >= 3)
    };
    let recurs = !persists(run.last);
    if recurs && (run.first < 7 * params.weeks || !persists(recurring_end(scores, run, thresholds)))
    {
        return None;
    }
    let significant =
        |test: &StepTest| test.p < thresholds.level_shift_p && (test.t > 0.0) == run.up;
    let tested = without_short_opposite_runs(values, scores, run, thresholds);
    let mut test = best_split(&tested, run.search_from).filter(significant)?;
    if recurs && !recurring_run_steps(&tested, run, &test, &significant) {
        return None;
    }
    if let Some(moved) = steady
        .and_then(|steady| like_for_like_step(&tested, &test, steady, thresholds.level_shift_p))
    {
        test = moved;
    }
    let split = test.split;
    // A step found from recurring runs is a small one, the kind the scan finds, and is
    // measured like those: against the weekday means of the two weeks its test compares.
    let frozen = match changepoint::weekday_means(values, split).filter(|_| recurs) {
        Some(means) => (split..values.len()).map(|d| Some(means[d % 7])).collect(),
        None => frozen_baseline(values, split, params),
    };
    let last = values.len() - 1;
    let sums = window_sums(values, &frozen, split, last);
    let event = Event::level_shift(split, last, sums, &test);
    Some((event, frozen))
}

/// The last day of `run` counting the flagged days that follow it while its direction
/// recurs: every day between scores the same way (however little), and flagged days are at
/// most [`RECURRENCE_GAP_DAYS`] apart. A step of a few percent scores over the threshold on
/// most weekdays and under it on the weekend, and a run of it lasts a few days, then starts
/// again; a spike is followed by days scoring either way.
fn recurring_end(scores: &[Option<DayScore>], run: Run, thresholds: &Thresholds) -> usize {
    let mut end = run.last;
    let mut d = run.last + 1;
    while d < scores.len() && d <= end + RECURRENCE_GAP_DAYS {
        let Some(s) = scores[d] else { break };
        if s.score == 0.0 || (s.score > 0.0) != run.up {
            break;
        }
        if continues(Some(s), thresholds) == Some(run.up) {
            end = d;
        }
        d += 1;
    }
    end
}

/// Whether a recurring run (one shorter than a level shift needs, which [`recurring_end`]
/// carries on) begins a step at `test`'s split: the step stands without the run's own days
/// (a spike followed by days of ordinary noise tests as a step from its first day), and the
/// run's days exceed the level before by at most [`RUN_TO_STEP_MAX`] times that step (a
/// spike on top of resources starting is a spike).
fn recurring_run_steps(
    tested: &[Option<f64>],
    run: Run,
    test: &StepTest,
    significant: &dyn Fn(&StepTest) -> bool,
) -> bool {
    let mut without_run = tested.to_vec();
    without_run[run.first..=run.last].fill(None);
    let Some(step) = step_test(&without_run, test.split, 3).filter(|s| significant(s)) else {
        return false;
    };
    let run_excess = changepoint::mean_excess(tested, test.split, run.first..run.last + 1);
    run_excess.is_some_and(|excess| excess.abs() <= RUN_TO_STEP_MAX * step.step.abs())
}

/// How many times the step (measured without them) a recurring run's first days may exceed
/// their baseline by, on average, and still be the step's first days.
const RUN_TO_STEP_MAX: f64 = 2.0;

/// Most days between two flagged days of one recurring run: a weekend and a day.
const RECURRENCE_GAP_DAYS: usize = 3;

/// `values` with the short runs of the other direction after `run` left out, for the step
/// test of `run`: a spike just after the first days of a drop (or a drop after a rise) is
/// measured against the old level and is not the end of the new one. Runs of the other
/// direction lasting `level_shift_min_days` or more stay: a level coming back is what makes
/// a long drop a drop.
fn without_short_opposite_runs(
    values: &[Option<f64>],
    scores: &[Option<DayScore>],
    run: Run,
    thresholds: &Thresholds,
) -> Vec<Option<f64>> {
    let mut out = values.to_vec();
    let mut t = run.last + 1;
    while t < scores.len() {
        if flagged(scores[t], thresholds) != Some(!run.up) {
            t += 1;
            continue;
        }
        let mut end = t;
        while end + 1 < scores.len() && continues(scores[end + 1], thresholds) == Some(!run.up) {
            end += 1;
        }
        if end + 1 - t < thresholds.level_shift_min_days {
            out[t..=end].iter_mut().for_each(|v| *v = None);
        }
        t = end + 1;
    }
    out
}

/// The step test of `values` where the like-for-like series steps, when that moves the step
/// found at `test.split`: significantly (p under `p_max`), the same way, from three days
/// before it to a week after it, by at least two fifths of its step, and `values`' own test is
/// significant there too.
pub(crate) fn like_for_like_step(
    values: &[Option<f64>],
    test: &StepTest,
    steady: Steady,
    p_max: f64,
) -> Option<StepTest> {
    let significant = |found: &StepTest| found.p < p_max && (found.t > 0.0) == (test.t > 0.0);
    let series = steady(like_for_like_window(test.split, values.len()));
    best_split_within(&series, test.split, LIKE_FOR_LIKE_DAYS_AFTER)
        .filter(significant)
        .filter(|found| {
            found.split != test.split
                && found.step.abs() >= LIKE_FOR_LIKE_MIN_STEP_SHARE * test.step.abs()
        })
        .and_then(|found| step_test(values, found.split, 3))
        .filter(significant)
}

/// Days before a run's start where its level shift may begin: the first days of a step can
/// score under the threshold (the scale has not seen it yet), a step never scores before it
/// begins, so the search reaches further back than forward.
const SPLIT_DAYS_BEFORE: usize = 3;
/// Days after a run's start where its level shift may begin.
const SPLIT_DAYS_AFTER: usize = 2;

/// Days after a level shift's split where the like-for-like series' step may begin: the
/// rest of its first week. It may begin up to [`SPLIT_DAYS_BEFORE`] days earlier too: a
/// resource starting days after a price cut of existing ones delays where the series' own
/// test is strongest.
const LIKE_FOR_LIKE_DAYS_AFTER: usize = 6;

/// The share of the series' step the like-for-like step must reach to move its start. A
/// series' step can be half resources stopping and half a change of what the others cost,
/// and the start of that change is the shift's start; a drift of existing resources of a
/// fifth of a step made by resources starting is not.
const LIKE_FOR_LIKE_MIN_STEP_SHARE: f64 = 0.4;

/// The days the step tests of a like-for-like search around `split` read: two weeks before
/// its earliest candidate to two weeks after its latest.
fn like_for_like_window(split: usize, days: usize) -> std::ops::Range<usize> {
    let earliest = split.saturating_sub(SPLIT_DAYS_BEFORE);
    let latest = split + LIKE_FOR_LIKE_DAYS_AFTER;
    earliest.saturating_sub(STEP_WINDOW_DAYS)..(latest + STEP_WINDOW_DAYS).min(days)
}

/// The split from three days before `start` to two days after it with the largest |t| (at
/// least three days after it).
fn best_split(values: &[Option<f64>], start: usize) -> Option<StepTest> {
    best_split_within(values, start, SPLIT_DAYS_AFTER)
}

/// The split from three days before `start` to `days_after` days after it with the largest
/// |t| (at least three days after it).
fn best_split_within(values: &[Option<f64>], start: usize, days_after: usize) -> Option<StepTest> {
    let lo = start.saturating_sub(SPLIT_DAYS_BEFORE).max(14);
    let hi = (start + days_after).min(values.len().saturating_sub(3));
    (lo..=hi)
        .filter_map(|s| step_test(values, s, 3))
        .max_by(|a, b| a.t.abs().total_cmp(&b.t.abs()).then(b.split.cmp(&a.split)))
}

/// Expected values from `split` on, from the same-weekday median of the weeks before it.
fn frozen_baseline(
    values: &[Option<f64>],
    split: usize,
    params: &ScoringParams,
) -> Vec<Option<f64>> {
    let history = &values[..split];
    (split..values.len())
        .map(|t| {
            let weekday = t % 7;
            let same: Vec<f64> = (0..split)
                .rev()
                .filter(|s| s % 7 == weekday)
                .take(params.weeks)
                .filter_map(|s| history[s])
                .collect();
            if same.is_empty() {
                let fallback = seasonal_baseline(values, params);
                fallback.get(t).copied().flatten()
            } else {
                super::stats::median(&same)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::detectors::{rolling_zscore, seasonal};
    use super::*;
    use crate::anomaly::fixtures::weekly;

    /// `weeks` of [`weekly`] with each day's value `x` on day `d` replaced by `f(d, x)`.
    fn weekly_with(
        weeks: usize,
        (weekday, weekend): (f64, f64),
        f: impl Fn(usize, f64) -> f64,
    ) -> Vec<Option<f64>> {
        weekly(weeks, weekday, weekend)
            .into_iter()
            .enumerate()
            .map(|(d, x)| x.map(|x| f(d, x)))
            .collect()
    }

    fn detect(values: &[Option<f64>]) -> Vec<Event> {
        let p = ScoringParams::default();
        let score = |v: &[Option<f64>]| seasonal(v, &p);
        find_events(
            values,
            (score(values), &score),
            None,
            (&Thresholds::default(), &p),
            None,
        )
    }

    #[test]
    fn spike() {
        let mut v = weekly(6, 1000.0, 400.0);
        v[30] = Some(1600.0);
        let e = detect(&v);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!((e[0].first, e[0].last, e[0].kind), (30, 30, Kind::Spike));
        assert!((e[0].impact() - 600.0).abs() < 5.0, "{e:?}");
    }

    #[test]
    fn a_spike_right_after_a_drop_begins_is_measured_against_the_new_level() {
        // 150 a day less from day 56 (of 70); days 65 and 66 are 250 over the new level, 100
        // over the old one.
        let mut v = weekly_with(
            10,
            (1000.0, 400.0),
            |d, x| if d >= 56 { x - 150.0 } else { x },
        );
        for x in &mut v[65..67] {
            *x = x.map(|x| x + 250.0);
        }
        let e = detect(&v);
        assert_shift_then_spike(&e, 56, (65, 66, 500.0), 25.0);
        let step = e[0].level_after.unwrap() - e[0].level_before.unwrap();
        assert!((step + 150.0).abs() < 10.0, "{e:?}");
    }

    #[test]
    fn after_a_step_in_proportion_a_weekend_is_expected_in_proportion() {
        // 20% more from day 35 (+200 on weekdays, +80 on weekends); Saturday, day 47, is 150
        // over its new level.
        let mut v = weekly_with(9, (1000.0, 400.0), |d, x| if d >= 35 { 1.2 * x } else { x });
        v[47] = v[47].map(|x| x + 150.0);
        assert_shift_then_spike(&detect(&v), 35, (47, 47, 150.0), 10.0);
    }

    /// `e` is a level shift from `shift_first`, then a spike over `days` of `impact` (within
    /// `tolerance`).
    fn assert_shift_then_spike(
        e: &[Event],
        shift_first: usize,
        (first, last, impact): (usize, usize, f64),
        tolerance: f64,
    ) {
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(
            (e[0].kind, e[0].first),
            (Kind::LevelShift, shift_first),
            "{e:?}"
        );
        assert_eq!(
            (e[1].kind, e[1].first, e[1].last),
            (Kind::Spike, first, last),
            "{e:?}"
        );
        assert!((e[1].impact() - impact).abs() < tolerance, "{e:?}");
    }

    #[test]
    fn a_step_interrupted_by_a_resource_running_two_days_starts_on_its_first_day() {
        // 150 a day less from day 37 (of 70); a resource of 150 a day runs on days 41 and 42
        // only, so the step's first four days are a run of their own (alone, a drop).
        let v = weekly_with(10, (1000.0, 400.0), |d, x| {
            let step = if d >= 37 { -150.0 } else { 0.0 };
            let resource = if (41..43).contains(&d) { 150.0 } else { 0.0 };
            x + step + resource
        });
        // The resource is a spike over the new level.
        assert_shift_then_spike(&detect(&v), 37, (41, 42, 300.0), 50.0);
    }

    #[test]
    fn a_spike_after_resources_stopped_is_measured_like_for_like() {
        // Existing resources cost 250 a day more on days 63 and 64 (Monday and Tuesday); a
        // resource of 60 a day stopped after day 59, so the series' baseline still holds it
        // and the spike measures 2 × 190 there.
        let existing = weekly_with(10, (1000.0, 400.0), |d, x| {
            if (63..65).contains(&d) { x + 250.0 } else { x }
        });
        let series: Vec<Option<f64>> = existing
            .iter()
            .enumerate()
            .map(|(d, x)| x.map(|x| if d <= 59 { x + 60.0 } else { x }))
            .collect();
        let p = ScoringParams::default();
        let score = |v: &[Option<f64>]| seasonal(v, &p);
        let thresholds = Thresholds {
            min_impact: 450.0,
            min_impact_pct: 0.0,
            ..Thresholds::default()
        };
        let run = |steady: Option<Steady>| {
            find_events(
                &series,
                (score(&series), &score),
                steady,
                (&thresholds, &p),
                None,
            )
        };
        let spikes = |e: &[Event]| e.iter().filter(|e| e.kind == Kind::Spike).count();
        assert_eq!(spikes(&run(None)), 0);
        let steady = |_window: std::ops::Range<usize>| existing.clone();
        let e = run(Some(&steady));
        let spike = e.iter().find(|e| e.kind == Kind::Spike).expect("a spike");
        assert_eq!((spike.first, spike.last), (63, 64), "{e:?}");
        assert!((spike.impact() - 500.0).abs() < 10.0, "{e:?}");
        assert!((spike.actual - 2.0 * 1250.0).abs() < 5.0, "{e:?}");
    }

    #[test]
    fn the_tail_of_a_spike_belongs_to_it() {
        // Day 30 is far out, day 31 less so: one spike of two days, its impact whole.
        let mut v = weekly(6, 1000.0, 400.0);
        v[30] = Some(1400.0);
        v[31] = Some(1050.0);
        let p = ScoringParams::default();
        let scores = seasonal(&v, &p);
        let day31 = scores[31].unwrap().score;
        assert!((2.0..3.0).contains(&day31), "day 31 scores {day31}");
        let e = detect(&v);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!((e[0].first, e[0].last, e[0].kind), (30, 31, Kind::Spike));
        assert!((e[0].impact() - 450.0).abs() < 5.0, "{e:?}");
    }

    #[test]
    fn drop() {
        let mut v = weekly(6, 1000.0, 400.0);
        v[29] = Some(200.0);
        let e = detect(&v);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].kind, Kind::Drop);
        assert!(e[0].impact() < -700.0);
    }

    #[test]
    fn weekend_spike() {
        let mut v = weekly(6, 1000.0, 400.0);
        v[33] = Some(1000.0); // Saturday at weekday level
        let e = detect(&v);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!((e[0].first, e[0].kind), (33, Kind::Spike));
    }

    #[test]
    fn level_shift_is_reported_once_with_its_start() {
        let mut v = weekly(8, 1000.0, 400.0);
        for x in v.iter_mut().skip(31) {
            *x = x.map(|x| x + 300.0);
        }
        let e = detect(&v);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].kind, Kind::LevelShift);
        assert!((30..=32).contains(&e[0].first), "start {}", e[0].first);
        assert_eq!(e[0].last, v.len() - 1);
        let step = e[0].level_after.unwrap() - e[0].level_before.unwrap();
        assert!((250.0..350.0).contains(&step), "step {step}");
    }

    #[test]
    fn a_step_whose_first_weekend_scores_low_starts_on_its_first_day() {
        // Noise of ±8 a day; from Wednesday, day 30, 8% more: +80 on weekdays (4σ at the 2%
        // floor), +8 on weekends (under 3σ of the noise). The step's first weekdays are
        // flagged, its weekend is not, and the run that persists begins on Monday, day 35.
        let noise = |d: usize| ((d * 37 + 11) % 17) as f64 - 8.0;
        let v: Vec<Option<f64>> = (0..56)
            .map(|d| {
                let level = if d % 7 >= 5 { 100.0 } else { 1000.0 };
                let factor = if d >= 30 { 1.08 } else { 1.0 };
                Some(level * factor + noise(d))
            })
            .collect();
        let p = ScoringParams::default();
        let scores = seasonal(&v, &p);
        let flagged = |d: usize| scores[d].unwrap().score >= 3.0;
        let shown: Vec<(usize, f64)> = (28..40).map(|d| (d, scores[d].unwrap().score)).collect();
        assert!(
            flagged(30) && !flagged(33) && !flagged(34) && flagged(35),
            "{shown:?}"
        );
        let score = |v: &[Option<f64>]| seasonal(v, &p);
        let thresholds = Thresholds {
            min_impact_pct: 0.0,
            ..Thresholds::default()
        };
        let e = find_events(&v, (scores.clone(), &score), None, (&thresholds, &p), None);
        let shifts: Vec<&Event> = e.iter().filter(|e| e.kind == Kind::LevelShift).collect();
        assert_eq!(shifts.len(), 1, "{e:?}");
        assert!((29..=31).contains(&shifts[0].first), "{e:?}");
        // Its first days are part of it, not a spike of their own.
        assert!(
            e.iter().all(|e| e.kind == Kind::LevelShift || e.first > 32),
            "{e:?}"
        );
    }

    /// Ten weeks of a 1000-a-weekday, 100-a-weekend series with noise of ±8 a day, each
    /// day's value `x` on day `d` replaced by `f(d, x)`.
    fn noisy_weeks(f: impl Fn(usize, f64) -> f64) -> Vec<Option<f64>> {
        let noise = |d: usize| ((d * 37 + 11) % 17) as f64 - 8.0;
        (0..70)
            .map(|d| {
                let level = if d % 7 >= 5 { 100.0 } else { 1000.0 };
                Some(f(d, level) + noise(d))
            })
            .collect()
    }

    fn detect_without_pct(v: &[Option<f64>]) -> Vec<Event> {
        let p = ScoringParams::default();
        let score = |v: &[Option<f64>]| seasonal(v, &p);
        let thresholds = Thresholds {
            min_impact_pct: 0.0,
            ..Thresholds::default()
        };
        find_events(v, (score(v), &score), None, (&thresholds, &p), None)
    }

    #[test]
    fn a_step_broken_into_short_runs_is_one_level_shift_from_its_first_day() {
        // 8% more from Monday, day 42; on Thursday and Friday of its first week traffic is
        // 50 lower, so its first run lasts three days, its weekend scores low and the next
        // run begins a week later: alone, each run would be a spike.
        let v = noisy_weeks(|d, x| {
            let quiet = if (45..47).contains(&d) { -50.0 } else { 0.0 };
            if d >= 42 { x * 1.08 + quiet } else { x }
        });
        let p = ScoringParams::default();
        let scores = seasonal(&v, &p);
        let score = |d: usize| scores[d].unwrap().score;
        let shown: Vec<(usize, f64)> = (42..50).map(|d| (d, score(d))).collect();
        assert!(
            score(44) >= 3.0 && score(45) < 2.0 && score(46) < 2.0 && score(49) >= 3.0,
            "{shown:?}"
        );
        let e = detect_without_pct(&v);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].kind, Kind::LevelShift, "{e:?}");
        // The weekend before it costs too little for its +8% to tell where it began.
        assert!((40..=43).contains(&e[0].first), "{e:?}");
    }

    #[test]
    fn a_spike_on_top_of_a_small_step_does_not_begin_it() {
        // Resources costing 5% more start on Wednesday, day 51; the series costs 400 more
        // on days 51 and 52. The step stands without the spike's days, but the spike is
        // eight times the step: it is a spike, not the step's first days. Without the
        // spike, the same run is the step's first days.
        let series = |spike: f64| {
            noisy_weeks(|d, x| {
                let step = if d >= 51 { 0.05 * x } else { 0.0 };
                x + step + if (51..53).contains(&d) { spike } else { 0.0 }
            })
        };
        let p_max = Thresholds::default().level_shift_p;
        let significant = |t: &StepTest| t.p < p_max && t.t > 0.0;
        let run = Run {
            first: 51,
            last: 52,
            up: true,
            search_from: 51,
        };
        let test = step_test(&series(0.0), 51, 3)
            .filter(|t| significant(t))
            .expect("a step");
        let steps = |v: &[Option<f64>]| recurring_run_steps(v, run, &test, &significant);
        assert!(!steps(&series(400.0)));
        assert!(steps(&series(0.0)));
    }

    #[test]
    fn a_second_step_is_found_with_its_own_start() {
        // +300 a day from day 22, another +300 from day 38: two level shifts whose impacts
        // add up to the whole excess over the first level.
        let mut v = weekly(8, 1000.0, 400.0);
        for (d, x) in v.iter_mut().enumerate() {
            let step = 300.0 * (f64::from(u8::from(d >= 22)) + f64::from(u8::from(d >= 38)));
            *x = x.map(|x| x + step);
        }
        let e = detect(&v);
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e.iter().all(|e| e.kind == Kind::LevelShift), "{e:?}");
        assert!(
            (21..=23).contains(&e[0].first),
            "first start {}",
            e[0].first
        );
        assert!(
            (37..=39).contains(&e[1].first),
            "second start {}",
            e[1].first
        );
        assert_eq!((e[0].last, e[1].last), (v.len() - 1, v.len() - 1));
        let excess = 300.0 * (v.len() - 22) as f64 + 300.0 * (v.len() - 38) as f64;
        let total = e[0].impact() + e[1].impact();
        assert!(
            (total - excess).abs() < 0.05 * excess,
            "{total} vs {excess}"
        );
    }

    /// `weekly(8, 1000, 400)` with a resource starting on day 29 (`starting` a day) and the
    /// existing resources costing `step` a day more from day 34: the series, and the
    /// like-for-like series (the existing resources only).
    fn resource_starting_before_a_step(starting: f64, step: f64) -> [Vec<Option<f64>>; 2] {
        let base = weekly(8, 1000.0, 400.0);
        let existing: Vec<Option<f64>> = base
            .iter()
            .enumerate()
            .map(|(d, x)| x.map(|x| if d >= 34 { x + step } else { x }))
            .collect();
        let series = existing
            .iter()
            .enumerate()
            .map(|(d, x)| x.map(|x| if d >= 29 { x + starting } else { x }))
            .collect();
        [series, existing]
    }

    fn detect_like_for_like(values: &[Option<f64>], steady: &[Option<f64>]) -> Vec<Event> {
        let p = ScoringParams::default();
        let score = |v: &[Option<f64>]| seasonal(v, &p);
        let steady = |_window: std::ops::Range<usize>| steady.to_vec();
        let thresholds = Thresholds::default();
        find_events(
            values,
            (score(values), &score),
            Some(&steady),
            (&thresholds, &p),
            None,
        )
    }

    #[test]
    fn a_resource_starting_days_before_a_step_does_not_set_its_start() {
        let [series, existing] = resource_starting_before_a_step(150.0, 200.0);
        // Alone, the series steps first on day 29.
        let alone = detect(&series);
        assert!((28..=31).contains(&alone[0].first), "{alone:?}");
        let e = detect_like_for_like(&series, &existing);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].kind, Kind::LevelShift);
        assert!((33..=35).contains(&e[0].first), "start {}", e[0].first);
    }

    #[test]
    fn a_resource_running_over_the_first_days_of_a_step_does_not_set_its_start() {
        // Existing resources cost 150 a day less from day 36; a resource of 120 a day runs
        // on days 36 to 38 only.
        let existing: Vec<Option<f64>> = weekly(8, 1000.0, 400.0)
            .iter()
            .enumerate()
            .map(|(d, x)| x.map(|x| if d >= 36 { x - 150.0 } else { x }))
            .collect();
        let series: Vec<Option<f64>> = existing
            .iter()
            .enumerate()
            .map(|(d, x)| x.map(|x| if (36..39).contains(&d) { x + 120.0 } else { x }))
            .collect();
        let alone = detect(&series);
        assert!(alone.iter().all(|e| e.first != 36), "{alone:?}");
        let e = detect_like_for_like(&series, &existing);
        let shift = e
            .iter()
            .find(|e| e.kind == Kind::LevelShift)
            .expect("a shift");
        assert_eq!(shift.first, 36, "{e:?}");
    }

    #[test]
    fn drift_of_existing_resources_does_not_move_a_step_of_resources_starting() {
        // The like-for-like step (+50) is under half of the series' step (+300 and more).
        let [series, existing] = resource_starting_before_a_step(300.0, 50.0);
        let e = detect_like_for_like(&series, &existing);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!((28..=30).contains(&e[0].first), "start {}", e[0].first);
    }

    #[test]
    fn a_second_small_step_is_found_by_the_scan_with_its_own_start() {
        // +4 a day from day 22, then +4 more from day 50 (of 70): no day scores 3.
        let v: Vec<Option<f64>> = weekly(10, 100.0, 100.0)
            .into_iter()
            .enumerate()
            .map(|(d, x)| {
                let step = [0.0, 4.0, 8.0][usize::from(d >= 22) + usize::from(d >= 50)];
                x.map(|x| x + step)
            })
            .collect();
        let p = ScoringParams::default();
        let score = |v: &[Option<f64>]| seasonal(v, &p);
        let thresholds = Thresholds {
            min_impact_pct: 0.0,
            ..Thresholds::default()
        };
        let without = find_events(&v, (score(&v), &score), None, (&thresholds, &p), None);
        assert!(without.is_empty(), "{without:?}");
        let shifts = find_events(&v, (score(&v), &score), None, (&thresholds, &p), Some(1e-3));
        assert_eq!(shifts.len(), 2, "{shifts:?}");
        assert!((21..=23).contains(&shifts[0].first), "{shifts:?}");
        assert!((49..=51).contains(&shifts[1].first), "{shifts:?}");
        assert_eq!(shifts[0].closed_at, Some(shifts[1].first));
        let total: f64 = shifts.iter().map(Event::impact).sum();
        assert!((total - (4.0 * 48.0 + 4.0 * 20.0)).abs() < 15.0, "{total}");
        assert!((shifts[1].impact() - 4.0 * 20.0).abs() < 10.0, "{shifts:?}");
    }

    #[test]
    fn trend_without_anomaly_is_quiet() {
        let v: Vec<Option<f64>> = weekly(8, 1000.0, 400.0)
            .into_iter()
            .enumerate()
            .map(|(d, x)| x.map(|x| x * (1.0 + 0.003 * d as f64)))
            .collect();
        assert!(detect(&v).is_empty(), "{:?}", detect(&v));
    }

    #[test]
    fn series_with_a_gap_and_all_zeros() {
        let mut v = weekly(6, 1000.0, 400.0);
        v[20] = None;
        v[21] = None;
        assert!(detect(&v).is_empty());
        let zeros = vec![Some(0.0); 42];
        assert!(detect(&zeros).is_empty());
        let single = vec![Some(5.0)];
        assert!(detect(&single).is_empty());
    }

    #[test]
    fn negative_series_from_credits() {
        let mut v: Vec<Option<f64>> = weekly(6, 1000.0, 400.0)
            .into_iter()
            .map(|x| x.map(|x| -x))
            .collect();
        v[30] = Some(-2000.0);
        let e = detect(&v);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].kind, Kind::Drop);
    }

    #[test]
    fn zscore_method_finds_a_weekday_spike() {
        let mut v = weekly(6, 1000.0, 1000.0);
        v[30] = Some(1600.0);
        let p = ScoringParams::default();
        let score = |v: &[Option<f64>]| rolling_zscore(v, &p);
        let e = find_events(
            &v,
            (score(&v), &score),
            None,
            (&Thresholds::default(), &p),
            None,
        );
        assert_eq!(e.len(), 1, "{e:?}");
    }
}

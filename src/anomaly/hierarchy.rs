//! One anomaly, one report: when the same move shows at several levels (a resource's spike
//! lifts its usage type, its service, its account and the total), it is reported at the most
//! specific level that explains it, and the coarser series are named as its parents. A move
//! spread over many finer series (a service-wide price change shows in every account that
//! uses the service) is reported once, at the coarser level, with the finer series that
//! moved with it named as its parts.

use super::events::{Event, Kind};
use super::series::{ACCOUNT, Level, SERVICE, SeriesKey};

/// A finer anomaly explains a coarser one when it overlaps in time, moves the same way and
/// carries at least this share of the coarser one's impact.
const EXPLAINS: f64 = 0.5;

/// Days apart two level shifts may start and still be one change.
const SAME_START_DAYS: usize = 3;

/// One reported anomaly: its series and event, and the coarser series it explains.
#[derive(Clone, Debug)]
pub struct Report {
    pub key: SeriesKey,
    pub event: Event,
    pub parents: Vec<SeriesKey>,
}

/// Keeps the most specific events, each with the ancestors it explains.
pub fn most_specific(mut found: Vec<(SeriesKey, Event)>) -> Vec<Report> {
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
        parents.dedup();
        out.push(Report {
            key: key.clone(),
            event: event.clone(),
            parents,
        });
    }
    out
}

/// For each report, the larger one it is part of, if any: one covering its series
/// ([`covers`]; or of the same step of a service or spike of an account, see
/// [`same_step_of_a_service`], [`usage_type_of_its_service`] and
/// [`same_spike_of_an_account`]), of the same change ([`part_of`]), and able to hold parts
/// (`can_host`: not a change of resources starting or stopping), in another series (two
/// level shifts of one series are two changes). Largest first, so a report that is part of
/// another holds no parts itself. An organisation-wide
/// step shows in each account under half of it, and is one change, not one per account.
pub fn part_hosts(reports: &[Report], can_host: &[bool]) -> Vec<Option<usize>> {
    let mut order: Vec<usize> = (0..reports.len()).collect();
    order.sort_by(|&a, &b| {
        reports[b]
            .event
            .impact()
            .abs()
            .total_cmp(&reports[a].event.impact().abs())
            .then(a.cmp(&b))
    });
    let service_wide = service_wide_steps(reports);
    let mut host: Vec<Option<usize>> = vec![None; reports.len()];
    for (rank, &i) in order.iter().enumerate() {
        host[i] = order[..rank].iter().copied().find(|&j| {
            can_host[j]
                && host[j].is_none()
                && reports[j].key != reports[i].key
                && (covers(&reports[j], &reports[i].key)
                    || same_step_of_a_service(&reports[j], &reports[i])
                    || (service_wide[j] && usage_type_of_its_service(&reports[j], &reports[i]))
                    || same_spike_of_an_account(&reports[j], &reports[i]))
                && part_of(&reports[i], &reports[j])
        });
    }
    host
}

/// For each report, whether it is an account's level shift of a service that stands for a
/// step of the whole service: it explains the service's own shift (the service is among its
/// parents), or another account's shift of the service starts within a day of it the same
/// way ([`same_step_of_a_service`]).
fn service_wide_steps(reports: &[Report]) -> Vec<bool> {
    reports
        .iter()
        .map(|r| {
            let account_step =
                r.key.level == Level::AccountService && r.event.kind == Kind::LevelShift;
            let explains_its_service = || {
                r.parents
                    .iter()
                    .any(|p| p.level == Level::Service && p.part(SERVICE) == r.key.part(SERVICE))
            };
            let with_another_account = || {
                reports.iter().any(|other| {
                    other.key != r.key
                        && same_step_of_a_service(r, other)
                        && same_shape_and_direction(&r.event, &other.event)
                })
            };
            account_step && (explains_its_service() || with_another_account())
        })
        .collect()
}

/// Whether `smaller` is a level shift of a usage type of all accounts within `larger`'s
/// service, starting within a day of it. A step of a whole service shows in each of its
/// usage types as in each of its accounts; when the account that holds the service's step
/// is larger than any usage type's, the usage types' steps are parts of it too. An
/// account's own step holds no usage type of all accounts: other accounts use it too.
fn usage_type_of_its_service(larger: &Report, smaller: &Report) -> bool {
    smaller.event.kind == Kind::LevelShift
        && smaller.key.level == Level::ServiceUsageType
        && smaller.key.part(ACCOUNT).is_none()
        && smaller.key.currency == larger.key.currency
        && smaller.key.part(SERVICE) == larger.key.part(SERVICE)
        && larger.event.first.abs_diff(smaller.event.first) <= SAME_SERVICE_STEP_DAYS
}

/// Whether `report`'s series contains `key`, or `report` is a service or usage type of all
/// accounts and `key` is within the same service: a usage type's step shows in the
/// account × service series of each account that uses it. Not through the series `report`
/// explains: a service's step that explains most of the total's does not contain another
/// account's.
fn covers(report: &Report, key: &SeriesKey) -> bool {
    let of_all_accounts = report.key.part(ACCOUNT).is_none();
    let service = report.key.part(SERVICE);
    report.key.is_ancestor_of(key)
        || (of_all_accounts
            && service.is_some()
            && report.key.currency == key.currency
            && key.part(SERVICE) == service)
}

/// Whether two level shifts are one step of a service seen in two of its accounts: both in
/// an account × service series of the same service, starting within a day of each other. A
/// price change shows in every account that uses the service; when resources starting or
/// stopping hide it in the service's own series, the largest account's shift holds the
/// others. Spikes stay apart: two accounts spiking on one day are two anomalies.
fn same_step_of_a_service(larger: &Report, smaller: &Report) -> bool {
    let account_service = |r: &Report| {
        r.event.kind == Kind::LevelShift && r.key.part(ACCOUNT).is_some() && r.key.parts.len() == 2
    };
    account_service(larger)
        && account_service(smaller)
        && larger.key.currency == smaller.key.currency
        && larger.key.part(SERVICE).is_some()
        && larger.key.part(SERVICE) == smaller.key.part(SERVICE)
        && larger.event.first.abs_diff(smaller.event.first) <= SAME_SERVICE_STEP_DAYS
}

/// Whether two spikes (or drops) are one spike of an account seen in two of its services:
/// both in an account × service series of the same account. An account's spike shows in each
/// of its services; when the account's own series does not flag it (its first weeks, or
/// resources stopping beside it), the largest service's spike holds the others that share
/// its days ([`part_of`]). Two accounts spiking on one day stay two anomalies.
fn same_spike_of_an_account(larger: &Report, smaller: &Report) -> bool {
    let account_service = |r: &Report| {
        r.event.kind != Kind::LevelShift && r.key.part(SERVICE).is_some() && r.key.parts.len() == 2
    };
    account_service(larger)
        && account_service(smaller)
        && larger.key.currency == smaller.key.currency
        && larger.key.part(ACCOUNT).is_some()
        && larger.key.part(ACCOUNT) == smaller.key.part(ACCOUNT)
}

/// Days apart two accounts' shifts of one service may start and be one step.
const SAME_SERVICE_STEP_DAYS: usize = 1;

/// Whether `fine` is part of the same change as `coarse`: the same shape and direction,
/// smaller, and at the same time ([`same_days`]).
fn part_of(fine: &Report, coarse: &Report) -> bool {
    let (f, c) = (&fine.event, &coarse.event);
    same_shape_and_direction(f, c)
        && same_days(fine, coarse)
        && f.impact().abs() <= c.impact().abs()
}

/// Level shifts start within [`SAME_START_DAYS`] of each other. A spike or drop lies within
/// the coarser one's days, or a day more on either side when every series it explains is
/// also the coarser one's (a finer series can flag a day before its account does); and the
/// coarser one is not the total. An account's spike shows in each of its services, but two
/// accounts spiking on one day are two anomalies (that meet in the total), and an account's
/// spike the day before a service's is the account's own.
fn same_days(fine: &Report, coarse: &Report) -> bool {
    let (f, c) = (&fine.event, &coarse.event);
    if f.kind == Kind::LevelShift {
        return same_time(f, c);
    }
    let within = f.first >= c.first && f.last <= c.last;
    let near = f.first + 1 >= c.first
        && f.last <= c.last + 1
        && fine
            .parents
            .iter()
            .all(|p| *p == coarse.key || coarse.key.is_ancestor_of(p));
    (within || near) && !coarse.key.parts.is_empty()
}

fn same_shape_and_direction(a: &Event, b: &Event) -> bool {
    (a.kind == Kind::LevelShift) == (b.kind == Kind::LevelShift)
        && (a.impact() > 0.0) == (b.impact() > 0.0)
}

/// Level shifts starting within [`SAME_START_DAYS`] of each other; spikes and drops
/// overlapping.
fn same_time(a: &Event, b: &Event) -> bool {
    if a.kind == Kind::LevelShift {
        a.first.abs_diff(b.first) <= SAME_START_DAYS
    } else {
        overlap_days(a, b) > 0
    }
}

/// Whether `fine` explains `coarse`: the same shape (a long level shift below does not
/// explain a short spike above it, nor the reverse), the same direction, at the same time
/// ([`same_time`]: a level shift does not explain one that started a week later), and at
/// least [`EXPLAINS`] of the coarser one's impact. For spikes and drops the impacts are
/// compared over the days they share, each spread evenly over its days, so that a three-day
/// spike of an account does not swallow a one-day spike of a whole service on its last day.
/// Level shifts both run to the end of the data: their whole impacts are compared.
fn explains(fine: &Event, coarse: &Event) -> bool {
    let shift = fine.kind == Kind::LevelShift;
    let shared = overlap_days(fine, coarse);
    let in_shared = |e: &Event| {
        let share = if shift {
            1.0
        } else {
            shared as f64 / days(e) as f64
        };
        e.impact().abs() * share
    };
    same_shape_and_direction(fine, coarse)
        && same_time(fine, coarse)
        && in_shared(fine) >= EXPLAINS * in_shared(coarse)
}

fn days(e: &Event) -> usize {
    e.last - e.first + 1
}

fn overlap_days(a: &Event, b: &Event) -> usize {
    (a.last.min(b.last) + 1).saturating_sub(a.first.max(b.first))
}

#[cfg(test)]
mod tests {
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
            lines_billed: None,
        }
    }

    /// A one-day drop (negative `impact`) or spike on day `day`.
    fn spike_at(day: usize, impact: f64) -> Event {
        let mut e = spike(day, day, impact);
        if impact < 0.0 {
            e.kind = Kind::Drop;
        }
        e
    }

    fn shift(first: usize, impact: f64) -> Event {
        Event {
            kind: Kind::LevelShift,
            last: 69,
            ..spike(first, 69, impact)
        }
    }

    /// Service 7, and account 3's use of it.
    fn service_and_account_service() -> (SeriesKey, SeriesKey) {
        (
            key(Level::Service, vec![(1, 7)]),
            key(Level::AccountService, vec![(0, 3), (1, 7)]),
        )
    }

    /// The reports of an event of service 7 and one of account 3's use of it, with the
    /// service's key.
    fn service_and_account_reports(service: Event, account: Event) -> (SeriesKey, Vec<Report>) {
        let (service_key, account_key) = service_and_account_service();
        let reports = most_specific(vec![(service_key.clone(), service), (account_key, account)]);
        (service_key, reports)
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
        assert_eq!(
            (&kept[0].key, &kept[0].parents),
            (&usage_type, &vec![service])
        );
    }

    #[test]
    fn a_longer_finer_spike_does_not_swallow_a_one_day_spike_above_it() {
        // An account × service spike of 60 over days 28–30; the whole service spikes by
        // 110 on day 30 alone: about 20 of the account's impact falls on that day.
        let (service, account_service) = service_and_account_service();
        let kept = most_specific(vec![
            (service.clone(), spike(30, 30, 110.0)),
            (account_service.clone(), spike(28, 30, 60.0)),
        ]);
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(kept.iter().all(|r| r.parents.is_empty()));
    }

    #[test]
    fn a_level_shift_does_not_explain_one_that_started_a_week_earlier() {
        // An account stops a database a week before the whole service steps down.
        let (_, kept) = service_and_account_reports(shift(37, -540.0), shift(30, -350.0));
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(kept.iter().all(|r| r.parents.is_empty()));
    }

    /// The part each report is folded into, by series.
    /// Asserts the host found for each series among `cases` (series, event, expected host).
    fn assert_hosts(cases: &[(&SeriesKey, Event, Option<&SeriesKey>)]) {
        let hosts = hosts_of(
            cases
                .iter()
                .map(|(k, e, _)| ((*k).clone(), e.clone()))
                .collect(),
        );
        for (k, _, want) in cases {
            assert_eq!(host_of(&hosts, k), want.cloned(), "{k:?}");
        }
    }

    fn account_service(account: u32, service: u32) -> SeriesKey {
        key(Level::AccountService, vec![(0, account), (1, service)])
    }

    /// The host found for `key` in [`hosts_of`]'s answer.
    fn host_of(hosts: &[(SeriesKey, Option<SeriesKey>)], key: &SeriesKey) -> Option<SeriesKey> {
        hosts.iter().find(|(k, _)| k == key).unwrap().1.clone()
    }

    fn hosts_of(found: Vec<(SeriesKey, Event)>) -> Vec<(SeriesKey, Option<SeriesKey>)> {
        let reports = most_specific(found);
        let hosts = part_hosts(&reports, &vec![true; reports.len()]);
        reports
            .iter()
            .zip(hosts)
            .map(|(r, h)| (r.key.clone(), h.map(|h| reports[h].key.clone())))
            .collect()
    }

    #[test]
    fn a_service_wide_step_is_one_report_with_its_accounts_as_parts() {
        let service = key(Level::Service, vec![(1, 7)]);
        let account_a = key(Level::AccountService, vec![(0, 3), (1, 7)]);
        let account_b = key(Level::AccountService, vec![(0, 4), (1, 7)]);
        let other_service = key(Level::AccountService, vec![(0, 4), (1, 8)]);
        let hosts = hosts_of(vec![
            (service.clone(), shift(40, -500.0)),
            (account_a.clone(), shift(40, -130.0)),
            (account_b.clone(), shift(42, -60.0)),
            // Another service, the same day: its own change.
            (other_service.clone(), shift(40, -80.0)),
        ]);
        let host = |k: &SeriesKey| host_of(&hosts, k);
        assert_eq!(host(&service), None);
        assert_eq!(host(&account_a), Some(service.clone()));
        assert_eq!(host(&account_b), Some(service.clone()));
        assert_eq!(host(&other_service), None);
    }

    #[test]
    fn accounts_stepping_together_in_one_service_are_one_report() {
        // The service's own series shows no step (resources starting hide it).
        let account_a = account_service(3, 7);
        assert_hosts(&[
            (&account_a, shift(40, -130.0), None),
            (&account_service(4, 7), shift(41, -60.0), Some(&account_a)),
            // A drop, two days later, another service: apart.
            (&account_service(5, 7), spike_at(40, -70.0), None),
            (&account_service(6, 7), shift(42, -50.0), None),
            (&account_service(4, 8), shift(40, -80.0), None),
        ]);
    }

    #[test]
    fn a_service_step_held_by_an_account_holds_the_service_usage_types() {
        // Two accounts step together: the step is the service's, and shows in its usage
        // types of all accounts too.
        let account_a = account_service(3, 7);
        assert_hosts(&[
            (&account_a, shift(40, -90.0), None),
            (&account_service(4, 7), shift(41, -30.0), Some(&account_a)),
            (&usage_type(7, 9), shift(40, -85.0), Some(&account_a)),
            (&usage_type(7, 10), shift(39, -20.0), Some(&account_a)),
            // Another service's usage type; one two days later (held by none).
            (&usage_type(8, 9), shift(40, -50.0), None),
            (&usage_type(7, 11), shift(42, -20.0), None),
        ]);
    }

    #[test]
    fn an_account_step_explaining_its_service_holds_the_service_usage_types() {
        let (service, account) = service_and_account_service();
        let hosts = hosts_of(vec![
            (service, shift(40, -150.0)),
            (account.clone(), shift(40, -120.0)),
            (usage_type(7, 9), shift(41, -100.0)),
        ]);
        assert_eq!(host_of(&hosts, &usage_type(7, 9)), Some(account));
    }

    fn usage_type(service: u32, usage_type: u32) -> SeriesKey {
        key(Level::ServiceUsageType, vec![(1, service), (2, usage_type)])
    }

    #[test]
    fn services_of_one_account_spiking_together_are_one_report() {
        // The account's own series does not flag the spike.
        let ec2 = account_service(3, 7);
        assert_hosts(&[
            (&ec2, spike(30, 31, 120.0), None),
            (&account_service(3, 8), spike(31, 31, 60.0), Some(&ec2)),
            // Two days later, another account: apart.
            (&account_service(3, 9), spike(33, 33, 55.0), None),
            (&account_service(4, 7), spike(30, 31, 70.0), None),
        ]);
    }

    #[test]
    fn a_usage_type_step_holds_the_accounts_of_its_service_but_not_the_reverse() {
        let usage_type = key(Level::ServiceUsageType, vec![(1, 7), (2, 9)]);
        let account_service = key(Level::AccountService, vec![(0, 3), (1, 7)]);
        let other_usage_type = key(Level::ServiceUsageType, vec![(1, 7), (2, 10)]);
        let hosts = hosts_of(vec![
            (usage_type.clone(), shift(40, 300.0)),
            (account_service.clone(), shift(41, 100.0)),
        ]);
        assert!(hosts.contains(&(account_service.clone(), Some(usage_type.clone()))));
        // An account's step holds no usage type of all accounts.
        let hosts = hosts_of(vec![
            (account_service.clone(), shift(40, 300.0)),
            (other_usage_type.clone(), shift(40, 100.0)),
        ]);
        assert!(hosts.iter().all(|(_, h)| h.is_none()), "{hosts:?}");
    }

    #[test]
    fn spikes_steps_of_the_other_way_and_later_steps_are_not_parts() {
        let (service, account_service) = service_and_account_service();
        for part in [spike(40, 41, -100.0), shift(40, 100.0), shift(47, -100.0)] {
            let hosts = hosts_of(vec![
                (service.clone(), shift(40, -500.0)),
                (account_service.clone(), part.clone()),
            ]);
            assert!(
                hosts.iter().all(|(_, h)| h.is_none()),
                "{part:?}: {hosts:?}"
            );
        }
    }

    #[test]
    fn a_change_of_resources_starting_or_stopping_holds_no_parts() {
        let (service, reports) = service_and_account_reports(shift(40, -500.0), shift(40, -100.0));
        let can_host: Vec<bool> = reports.iter().map(|r| r.key != service).collect();
        assert!(part_hosts(&reports, &can_host).iter().all(Option::is_none));
    }

    #[test]
    fn an_account_spike_holds_its_services_but_not_another_accounts_spike() {
        let total = key(Level::Total, vec![]);
        let account = key(Level::Account, vec![(0, 3)]);
        let ec2 = key(Level::AccountService, vec![(0, 3), (1, 7)]);
        let transfer = key(Level::AccountService, vec![(0, 3), (1, 8)]);
        let other_account = key(Level::Account, vec![(0, 4)]);
        let hosts = hosts_of(vec![
            (total.clone(), spike(30, 31, 400.0)),
            (account.clone(), spike(30, 31, 180.0)),
            // A day earlier than its account flags.
            (ec2.clone(), spike(29, 30, 70.0)),
            (transfer.clone(), spike(30, 31, 60.0)),
            (other_account.clone(), spike(30, 30, 150.0)),
        ]);
        let host = |k: &SeriesKey| host_of(&hosts, k);
        assert_eq!(host(&ec2), Some(account.clone()));
        assert_eq!(host(&transfer), Some(account.clone()));
        assert_eq!(host(&account), None);
        assert_eq!(host(&other_account), None);
    }

    #[test]
    fn an_account_spike_the_day_before_a_service_spike_is_its_own() {
        // The account's spike shows only in its EC2, which explains the account; the whole
        // EC2 service spikes the next day.
        let account = key(Level::Account, vec![(0, 3)]);
        let (service, account_service) = service_and_account_service();
        let hosts = hosts_of(vec![
            (account.clone(), spike(27, 27, 60.0)),
            (account_service.clone(), spike(27, 27, 55.0)),
            (service.clone(), spike(28, 28, 125.0)),
        ]);
        assert!(hosts.iter().all(|(_, h)| h.is_none()), "{hosts:?}");
        assert_eq!(hosts.len(), 2, "{hosts:?}");
    }
}

//! Injected anomalies (spikes, drops, level shifts on an account, service,
//! usage type or resource) and injected waste resources. Planning happens once
//! from the seed; the exact dollar effects are measured from the written rows.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::model::{self, Builder, Coverage, Kind, Model, Resource, Schedule, Tags};
use super::rng::{self, STREAM_ANOMALY, STREAM_WASTE};
use super::time::{self, Period};

/// Log-scale deviation of the daily noise applied to variable usage.
pub(crate) const DAILY_NOISE: f64 = 0.08;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    Spike,
    Drop,
    LevelShift,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    Account(u16),
    Service(&'static str),
    UsageType(String),
    Resource(u32),
}

#[derive(Clone, Debug)]
pub(crate) struct Anomaly {
    pub id: String,
    pub kind: AnomalyKind,
    pub scope: Scope,
    pub first_day: i64,
    pub last_day: i64,
    /// Multiplier applied to usage of matching on-demand rows.
    pub factor: f64,
    /// Planned size in multiples of the scope's daily noise sigma.
    pub sigmas: f64,
    pub expected_daily: f64,
    pub sigma: f64,
}

impl Anomaly {
    pub(crate) fn matches(&self, m: &Model, res: u32, line: usize, day: i64) -> bool {
        if day < self.first_day || day > self.last_day {
            return false;
        }
        let r = &m.resources[res as usize];
        match &self.scope {
            Scope::Account(a) => r.account == *a,
            Scope::Service(p) => r.lines[line].product_code == *p,
            Scope::UsageType(u) => r.lines[line].usage_type == *u,
            Scope::Resource(i) => *i == res,
        }
    }
    pub(crate) fn weekend(&self) -> bool {
        (self.first_day..=self.last_day).any(time::is_weekend)
    }
}

/// First anomaly matching an on-demand usage row, if any.
pub(crate) fn anomaly_for(
    m: &Model,
    anomalies: &[Anomaly],
    res: u32,
    line: usize,
    day: i64,
) -> Option<(u16, f64)> {
    anomalies
        .iter()
        .position(|a| a.matches(m, res, line, day))
        .map(|i| (i as u16, anomalies[i].factor))
}

/// Expected daily on-demand cost and noise variance of one line.
fn line_stats(r: &Resource, li: usize, hours_in_month: f64) -> (f64, f64) {
    let l = &r.lines[li];
    if r.coverage != Coverage::OnDemand && l.commitment {
        return (0.0, 0.0);
    }
    let usage = if l.monthly {
        l.base / hours_in_month
    } else {
        l.base
    };
    let daily = usage * l.rate * r.schedule.hours_per_day();
    let var = if l.variable.is_some() { daily } else { 0.0 };
    (daily, var)
}

/// Expected daily cost `E` and noise sigma of everything a scope matches.
fn scope_stats(m: &Model, scope: &Scope) -> (f64, f64) {
    let hm = m.period.months.first().map_or(720.0, |x| x.hours());
    let mut e = 0.0;
    let mut var = 0.0;
    for (i, r) in m.resources.iter().enumerate() {
        if matches!(
            r.kind,
            Kind::Billing | Kind::SavingsPlan | Kind::Reservation
        ) {
            continue;
        }
        let mut res_var = 0.0;
        for li in 0..r.lines.len() {
            let hit = match scope {
                Scope::Account(a) => r.account == *a,
                Scope::Service(p) => r.lines[li].product_code == *p,
                Scope::UsageType(u) => r.lines[li].usage_type == *u,
                Scope::Resource(x) => *x as usize == i,
            };
            if hit {
                let (d, v) = line_stats(r, li, hm);
                e += d;
                res_var += v;
            }
        }
        var += (DAILY_NOISE * res_var).powi(2);
    }
    (e, var.sqrt().max(0.01 * e))
}

/// Days of history a detector needs before it can score a day; anomalies start after them
/// when the period is long enough.
const WARM_UP_DAYS: i64 = 14;

fn window(rng: &mut ChaCha8Rng, p: &Period, len: i64, weekend: bool) -> (i64, i64) {
    let days = i64::from(p.days);
    let len = len.min(days);
    let warm_up = if days >= 2 * WARM_UP_DAYS {
        WARM_UP_DAYS
    } else {
        0
    };
    let starts: Vec<i64> = (p.start_day + warm_up..=p.end_day() - len)
        .filter(|&d| !weekend || time::is_weekend(d))
        .collect();
    let first = if starts.is_empty() {
        p.start_day
    } else {
        *rng::pick(rng, &starts)
    };
    (first, first + len - 1)
}

fn busiest_account(m: &Model) -> u16 {
    account_by_cost(m, 0).unwrap_or(1)
}

/// The linked account with the `rank`-th largest expected daily cost (0 = busiest).
fn account_by_cost(m: &Model, rank: usize) -> Option<u16> {
    let mut accounts: Vec<(u16, f64)> = (1..m.accounts.len() as u16)
        .map(|a| (a, scope_stats(m, &Scope::Account(a)).0))
        .collect();
    accounts.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    accounts.get(rank).map(|a| a.0)
}

fn variable_resource(rng: &mut ChaCha8Rng, m: &Model) -> Option<u32> {
    let c: Vec<u32> = m
        .resources
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.start_h == m.period.start_hour()
                && r.end_h == m.period.end_hour()
                && r.lines
                    .iter()
                    .any(|l| l.variable.is_some() && l.waste.is_none())
                && r.coverage == Coverage::OnDemand
                && matches!(r.kind, Kind::Nat | Kind::Lambda | Kind::Lb)
        })
        .map(|(i, _)| i as u32)
        .collect();
    (!c.is_empty()).then(|| *rng::pick(rng, &c))
}

/// Plan the anomalies: (kind, scope, size in sigmas, length, weekend?).
pub(crate) fn plan_anomalies(m: &Model) -> Vec<Anomaly> {
    let mut rng = rng::rng_for(&[m.seed, STREAM_ANOMALY]);
    let p = &m.period;
    let mut plans: Vec<(AnomalyKind, Scope, f64, i64, bool)> = vec![
        (
            AnomalyKind::Spike,
            Scope::Account(busiest_account(m)),
            40.0,
            2,
            false,
        ),
        (
            AnomalyKind::Drop,
            Scope::Service("AWSLambda"),
            12.0,
            3,
            false,
        ),
        (
            AnomalyKind::LevelShift,
            Scope::UsageType(String::from("USE1-DataTransfer-Out-Bytes")),
            5.0,
            0,
            false,
        ),
        (AnomalyKind::Spike, Scope::Service("AmazonS3"), 3.0, 2, true),
    ];
    if let Some(r) = variable_resource(&mut rng, m) {
        plans.push((AnomalyKind::Spike, Scope::Resource(r), 3.0, 1, true));
    }
    // A spread of sizes and shapes on the other accounts and services (sizes in the
    // generator's analytic sigma, which is far below the day-to-day movement of a whole
    // account: the quality measurement sizes every anomaly on the data itself).
    let ranked = |rank: usize| account_by_cost(m, rank).map(Scope::Account);
    let more = [
        (AnomalyKind::Drop, ranked(1), 30.0, 2, false),
        (
            AnomalyKind::Spike,
            Some(Scope::Service("AmazonEC2")),
            25.0,
            1,
            true,
        ),
        (AnomalyKind::Spike, ranked(2), 60.0, 1, false),
        (
            AnomalyKind::LevelShift,
            Some(Scope::Service("AmazonRDS")),
            -12.0,
            0,
            false,
        ),
        (AnomalyKind::Spike, ranked(3), 20.0, 3, false),
    ];
    plans.extend(
        more.into_iter()
            .filter_map(|(kind, scope, sigmas, len, weekend)| {
                Some((kind, scope?, sigmas, len, weekend))
            }),
    );
    let mut out = Vec::new();
    for (kind, scope, sigmas, len, weekend) in plans.drain(..) {
        let (e, sigma) = scope_stats(m, &scope);
        if e <= 0.0 {
            continue;
        }
        let (first, last) = if kind == AnomalyKind::LevelShift {
            let d = i64::from(p.days);
            let first = p.start_day + (d / 2 + rng.random_range(0..(d / 4).max(1))).min(d - 1);
            (first, p.end_day() - 1)
        } else {
            window(&mut rng, p, len, weekend)
        };
        let delta = sigmas * sigma / e;
        let factor = match kind {
            AnomalyKind::Drop => (1.0 - delta).max(0.05),
            _ => (1.0 + delta).max(0.05),
        };
        out.push(Anomaly {
            id: format!("anomaly-{:02}", out.len() + 1),
            kind,
            scope,
            first_day: first,
            last_day: last,
            factor,
            sigmas,
            expected_daily: e,
            sigma,
        });
    }
    out
}

#[derive(Clone, Debug)]
pub(crate) struct WasteItem {
    pub id: String,
    pub kind: &'static str,
    pub resources: Vec<u32>,
    pub account: u16,
    pub region: &'static str,
}

fn mark(r: &mut Resource, waste: u16, only_line: Option<usize>) {
    for (i, l) in r.lines.iter_mut().enumerate() {
        if only_line.is_none_or(|o| o == i) {
            l.waste = Some(waste);
        }
    }
}

fn nonprod_tags(rng: &mut ChaCha8Rng) -> (Tags, &'static str) {
    let env = *rng::pick(rng, &["dev", "test", "staging"]);
    let mut t = model::random_tags(rng, env);
    t.env = Some(model::env_variant(rng, env));
    (t, env)
}

/// Create one waste item's resources for `account`.
fn waste_resources(
    b: &Builder,
    rng: &mut ChaCha8Rng,
    kind: &'static str,
    account: u16,
) -> Vec<Resource> {
    let mut r = b.shell(rng, account, Kind::Ec2);
    let env = *rng::pick(rng, &["prod", "staging", "dev"]);
    r.tags = model::random_tags(rng, env);
    match kind {
        "idle_elastic_ip" => {
            r.kind = Kind::Eip;
            b.eip(rng, &mut r, true);
        }
        "gp2_volume" => {
            r.kind = Kind::Volume;
            {
                let v = rng.random_range(10..100u32) * 10;
                b.volume(rng, &mut r, "gp2", v as f64)
            };
        }
        "previous_generation_instance" => {
            let t = *rng::pick(rng, &model::PREVIOUS_GEN);
            b.ec2(rng, &mut r, t, "prod");
        }
        "idle_nat_gateway" => {
            r.kind = Kind::Nat;
            b.nat(rng, &mut r, true);
        }
        "idle_load_balancer" => {
            r.kind = Kind::Lb;
            b.lb(rng, &mut r, true);
        }
        "old_snapshot" => {
            let mut out = Vec::new();
            for _ in 0..2 {
                let mut s = b.shell(rng, account, Kind::Snapshot);
                s.tags = r.tags.clone();
                {
                    let v = rng.random_range(10..200u32) * 10;
                    b.snapshot(rng, &mut s, v as f64)
                };
                s.first_billed = Some(b.period.start_day - rng.random_range(400..900i64));
                out.push(s);
            }
            return out;
        }
        "always_on_non_production" => {
            let (tags, env) = nonprod_tags(rng);
            let t = *rng::pick(rng, &model::CURRENT_GEN);
            b.ec2(rng, &mut r, t, env);
            r.tags = tags;
            r.schedule = Schedule::AlwaysOn;
        }
        "untagged_resource" => {
            let t = *rng::pick(rng, &model::CURRENT_GEN);
            b.ec2(rng, &mut r, t, "prod");
            r.tags = Tags::default();
        }
        "uncached_secrets_requests" => {
            r.kind = Kind::Secret;
            {
                let v = rng.random_range(20_000.0..80_000.0);
                b.secret(rng, &mut r, v)
            };
        }
        "uncached_kms_requests" => {
            r.kind = Kind::Kms;
            {
                let v = rng.random_range(100_000.0..400_000.0);
                b.kms(rng, &mut r, v)
            };
        }
        _ => new_waste_resource(b, rng, kind, &mut r),
    }
    vec![r]
}

/// The waste kinds of the later rules (Graviton, NAT endpoints, idle S3 Standard, log
/// retention, transfer concentration, unused KMS keys).
fn new_waste_resource(b: &Builder, rng: &mut ChaCha8Rng, kind: &str, r: &mut Resource) {
    match kind {
        "graviton_candidate" => {
            let t = *rng::pick(rng, &model::X86_GEN);
            b.ec2(rng, r, t, "prod");
        }
        "graviton_candidate_rds" => {
            r.kind = Kind::Rds;
            b.rds(rng, r, &model::DB_X86);
        }
        "nat_heavy_processing" => {
            r.kind = Kind::Nat;
            b.nat(rng, r, false);
            r.lines[1].base = rng.random_range(20.0..35.0);
            // Steady traffic: adds no noise to the scopes anomalies are sized against.
            r.lines[1].variable = None;
        }
        "idle_s3_standard" => {
            r.kind = Kind::S3;
            b.s3(rng, r);
            r.lines.truncate(1);
        }
        "log_group_without_retention" => {
            r.kind = Kind::Logs;
            b.logs(rng, r);
            r.lines[1].base = rng.random_range(500.0..3_000.0);
            r.lines[1].growth = rng.random_range(0.01..0.03);
        }
        "data_transfer_concentration" => {
            // Outside us-east-1, so the usage-type anomaly on USE1 transfer keeps its scope.
            r.region = 1;
            r.az = format!("{}a", r.region().code);
            let t = *rng::pick(rng, &model::CURRENT_GEN);
            b.ec2(rng, r, t, "prod");
            b.data_transfer(rng, r);
            // At least 15 GB/h: more than 25% of all transfer even beside an ordinary
            // resource at the 4 GB/h maximum.
            let gb = rng.random_range(15.0..25.0);
            r.lines[1].base = gb;
            r.lines[2].base = 2.0 * gb;
            // Steady traffic: adds no noise to the scopes anomalies are sized against.
            r.lines[1].variable = None;
            r.lines[2].variable = None;
        }
        _ => {
            r.kind = Kind::Kms;
            b.kms(rng, r, 0.0);
            r.lines.truncate(1);
        }
    }
}

const WASTE_KINDS: [&str; 17] = [
    "idle_elastic_ip",
    "gp2_volume",
    "previous_generation_instance",
    "idle_nat_gateway",
    "idle_load_balancer",
    "old_snapshot",
    "always_on_non_production",
    "untagged_resource",
    "uncached_secrets_requests",
    "uncached_kms_requests",
    "graviton_candidate",
    "graviton_candidate_rds",
    "nat_heavy_processing",
    "idle_s3_standard",
    "log_group_without_retention",
    "data_transfer_concentration",
    "unused_kms_key",
];

/// Append the waste resources and return the waste items.
pub(crate) fn add_waste(m: &mut Model) -> Vec<WasteItem> {
    let mut rng = rng::rng_for(&[m.seed, STREAM_WASTE]);
    let linked = m.accounts.len() as u16 - 1;
    let mut items = Vec::new();
    let mut new = Vec::new();
    {
        let b = Builder {
            period: &m.period,
            accounts: &m.accounts,
            resources: Vec::new(),
        };
        for (k, kind) in WASTE_KINDS.iter().enumerate() {
            let copies = if k < 2 { 2 } else { 1 };
            for c in 0..copies {
                let account = 1 + ((k as u16 * 3 + c * 5) % linked);
                let id = items.len() as u16;
                let mut rs = waste_resources(&b, &mut rng, kind, account);
                let burst = kind.starts_with("uncached");
                for r in &mut rs {
                    mark(r, id, burst.then_some(1));
                    if burst {
                        r.lines[1].variable = Some(1.0);
                    }
                }
                let first = m.resources.len() + new.len();
                items.push(WasteItem {
                    id: format!("waste-{:02}", id + 1),
                    kind,
                    resources: (first..first + rs.len()).map(|i| i as u32).collect(),
                    account,
                    region: rs[0].region().code,
                });
                new.extend(rs);
            }
        }
    }
    m.resources.extend(new);
    items
}

/// The reservation bought for one instance more than it covers: its unused fee is waste.
pub(crate) fn add_commitment_waste(m: &mut Model, items: &mut Vec<WasteItem>) {
    let Some(ri) = &m.reservation else { return };
    let res = ri.res;
    let id = items.len() as u16;
    let r = &mut m.resources[res as usize];
    mark(r, id, None);
    items.push(WasteItem {
        id: format!("waste-{:02}", id + 1),
        kind: "unused_reservation",
        resources: vec![res],
        account: r.account,
        region: r.region().code,
    });
}

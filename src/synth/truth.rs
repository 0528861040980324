//! Ground truth: Neumaier-compensated totals accumulated in write order, the
//! measured effect of every anomaly and waste item, and the `truth.json`
//! document (schema version 1, see SYNTH.md).

use std::collections::BTreeMap;

use serde::Serialize;

use super::inject::{Anomaly, AnomalyKind, Scope, WasteItem};
use super::model::{Kind, Model, PRODUCTS};
use super::rows::{LINE_TYPES, LineType, NO_ANOMALY, Row};
use super::time;

pub const SCHEMA_VERSION: u32 = 1;

pub use crate::money::CompensatedSum as Neumaier;

/// Running totals over the rows as they are written.
pub(crate) struct Accum {
    pub rows: u64,
    overall: Neumaier,
    by_day: Vec<Neumaier>,
    by_product: [Neumaier; PRODUCTS.len()],
    by_account: Vec<Neumaier>,
    by_type: [Neumaier; LINE_TYPES.len()],
    anomaly: Vec<Neumaier>,
    waste: Vec<Neumaier>,
    /// Resource usage cost, and the part carrying each tag key.
    tagged: [Neumaier; 4],
    /// Current month's cost per account and product (tax base).
    pub month_base: Vec<[f64; PRODUCTS.len()]>,
}

impl Accum {
    pub(crate) fn new(m: &Model, anomalies: usize, waste: usize) -> Accum {
        Accum {
            rows: 0,
            overall: Neumaier::default(),
            by_day: vec![Neumaier::default(); m.period.days as usize],
            by_product: [Neumaier::default(); PRODUCTS.len()],
            by_account: vec![Neumaier::default(); m.accounts.len()],
            by_type: [Neumaier::default(); LINE_TYPES.len()],
            anomaly: vec![Neumaier::default(); anomalies],
            waste: vec![Neumaier::default(); waste],
            tagged: [Neumaier::default(); 4],
            month_base: vec![[0.0; PRODUCTS.len()]; m.accounts.len()],
        }
    }

    pub(crate) fn add(&mut self, m: &Model, row: &Row) {
        let r = &m.resources[row.res as usize];
        let line = &r.lines[usize::from(row.line)];
        let day = (row.start_h.div_euclid(24) - m.period.start_day).max(0) as usize;
        self.rows += 1;
        self.overall.add(row.cost);
        if let Some(d) = self.by_day.get_mut(day) {
            d.add(row.cost);
        }
        self.by_product[usize::from(line.product)].add(row.cost);
        self.by_account[usize::from(r.account)].add(row.cost);
        self.by_type[row.ty.index()].add(row.cost);
        if row.anomaly != NO_ANOMALY {
            self.anomaly[usize::from(row.anomaly)].add(row.extra);
        }
        if let Some(w) = line.waste {
            // A commitment's waste is its unused part: the amortized cost of its fee row.
            let wasted = match row.ty {
                LineType::RIFee | LineType::SavingsPlanRecurringFee => row.effective_cost(),
                _ => row.cost,
            };
            self.waste[usize::from(w)].add(wasted);
        }
        if r.kind != Kind::Billing {
            self.month_base[usize::from(r.account)][usize::from(line.product)] += row.cost;
        }
        if !matches!(
            r.kind,
            Kind::Billing | Kind::SavingsPlan | Kind::Reservation
        ) {
            let t = &r.tags;
            self.tagged[0].add(row.cost);
            for (i, present) in [t.project.is_some(), t.env.is_some(), t.team.is_some()]
                .into_iter()
                .enumerate()
            {
                if present {
                    self.tagged[i + 1].add(row.cost);
                }
            }
        }
    }

    pub(crate) fn reset_month(&mut self) {
        for a in &mut self.month_base {
            *a = [0.0; PRODUCTS.len()];
        }
    }

    pub(crate) fn overall(&self) -> f64 {
        self.overall.value()
    }
}

#[derive(Serialize)]
pub struct TruthOptions {
    pub start: String,
    pub days: u32,
    pub accounts: u32,
    pub seed: u64,
    pub format: String,
    pub anomalies: bool,
    pub waste: bool,
    pub target_rows: Option<u64>,
}

#[derive(Serialize)]
struct Totals {
    overall: f64,
    by_day: BTreeMap<String, f64>,
    by_service: BTreeMap<String, f64>,
    by_account: BTreeMap<String, f64>,
    by_line_item_type: BTreeMap<String, f64>,
}

#[derive(Serialize)]
struct AccountOut {
    id: String,
    name: String,
    payer: bool,
}

#[derive(Serialize)]
struct ScopeOut {
    level: &'static str,
    key: String,
}

#[derive(Serialize)]
struct AnomalyOut {
    id: String,
    kind: AnomalyKind,
    scope: ScopeOut,
    first_day: String,
    last_day: String,
    extra_cost: f64,
    weekend: bool,
    factor: f64,
    planned_sigmas: f64,
    expected_daily_cost: f64,
    daily_noise_sigma: f64,
}

#[derive(Serialize)]
struct WasteOut {
    id: String,
    kind: &'static str,
    resource_ids: Vec<String>,
    account: String,
    region: &'static str,
    cost_over_period: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_billed: Option<String>,
}

#[derive(Serialize)]
struct TagCoverage {
    project: f64,
    environment: f64,
    team: f64,
}

#[derive(Serialize)]
struct Truth {
    schema_version: u32,
    generator: &'static str,
    options: TruthOptions,
    period: BTreeMap<&'static str, String>,
    rows: u64,
    files: Vec<String>,
    currency: &'static str,
    accounts: Vec<AccountOut>,
    totals: Totals,
    tag_coverage_by_cost: TagCoverage,
    anomalies: Vec<AnomalyOut>,
    waste: Vec<WasteOut>,
}

fn scope_out(m: &Model, s: &Scope) -> ScopeOut {
    match s {
        Scope::Account(a) => ScopeOut {
            level: "account",
            key: m.accounts[usize::from(*a)].id.clone(),
        },
        Scope::Service(p) => ScopeOut {
            level: "service",
            key: String::from(*p),
        },
        Scope::UsageType(u) => ScopeOut {
            level: "usage_type",
            key: u.clone(),
        },
        Scope::Resource(r) => ScopeOut {
            level: "resource",
            key: m.resources[*r as usize].id.clone(),
        },
    }
}

fn totals(m: &Model, acc: &Accum) -> Totals {
    let nz = |n: &Neumaier| n.value() != 0.0;
    Totals {
        overall: acc.overall.value(),
        by_day: acc
            .by_day
            .iter()
            .enumerate()
            .map(|(i, n)| (time::fmt_date(m.period.start_day + i as i64), n.value()))
            .collect(),
        by_service: PRODUCTS
            .iter()
            .zip(&acc.by_product)
            .filter(|(_, n)| nz(n))
            .map(|(p, n)| (String::from(*p), n.value()))
            .collect(),
        by_account: m
            .accounts
            .iter()
            .zip(&acc.by_account)
            .map(|(a, n)| (a.id.clone(), n.value()))
            .collect(),
        by_line_item_type: LINE_TYPES
            .iter()
            .zip(&acc.by_type)
            .filter(|(_, n)| nz(n))
            .map(|(t, n)| (String::from(t.name()), n.value()))
            .collect(),
    }
}

/// Render `truth.json`.
pub(crate) fn render(
    m: &Model,
    opts: TruthOptions,
    acc: &Accum,
    anomalies: &[Anomaly],
    waste: &[WasteItem],
    files: Vec<String>,
) -> serde_json::Result<Vec<u8>> {
    let share = |i: usize| {
        let all = acc.tagged[0].value();
        if all == 0.0 {
            0.0
        } else {
            acc.tagged[i].value() / all
        }
    };
    let mut period = BTreeMap::new();
    period.insert("start", time::fmt_date(m.period.start_day));
    period.insert("end_exclusive", time::fmt_date(m.period.end_day()));
    let truth = Truth {
        schema_version: SCHEMA_VERSION,
        generator: "curlens-synth",
        options: opts,
        period,
        rows: acc.rows,
        files,
        currency: "USD",
        accounts: m
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| AccountOut {
                id: a.id.clone(),
                name: a.name.clone(),
                payer: i == 0,
            })
            .collect(),
        totals: totals(m, acc),
        tag_coverage_by_cost: TagCoverage {
            project: share(1),
            environment: share(2),
            team: share(3),
        },
        anomalies: anomalies
            .iter()
            .zip(&acc.anomaly)
            .map(|(a, n)| AnomalyOut {
                id: a.id.clone(),
                kind: a.kind,
                scope: scope_out(m, &a.scope),
                first_day: time::fmt_date(a.first_day),
                last_day: time::fmt_date(a.last_day),
                extra_cost: n.value(),
                weekend: a.weekend(),
                factor: a.factor,
                planned_sigmas: a.sigmas,
                expected_daily_cost: a.expected_daily,
                daily_noise_sigma: a.sigma,
            })
            .collect(),
        waste: waste
            .iter()
            .zip(&acc.waste)
            .map(|(w, n)| WasteOut {
                id: w.id.clone(),
                kind: w.kind,
                resource_ids: w
                    .resources
                    .iter()
                    .map(|&r| m.resources[r as usize].id.clone())
                    .collect(),
                account: m.accounts[usize::from(w.account)].id.clone(),
                region: w.region,
                cost_over_period: n.value(),
                first_billed: w
                    .resources
                    .first()
                    .and_then(|&r| m.resources[r as usize].first_billed)
                    .map(time::fmt_date),
            })
            .collect(),
    };
    let mut out = serde_json::to_vec_pretty(&truth)?;
    out.push(b'\n');
    Ok(out)
}

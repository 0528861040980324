//! Hourly line items: the compact [`Row`] record, one day of rows for every
//! resource (usage, Savings Plan and RI rows) and the month-end rows (RI fee,
//! tax, credit, refund) that depend on the month's accumulated cost.

use rand::RngExt;

use super::inject::{self, Anomaly, DAILY_NOISE};
use super::model::{self, Coverage, Kind, Model, PRODUCTS, Resource};
use super::rng::{self, STREAM_DAY};
use super::time;

pub(crate) const NO_ANOMALY: u16 = u16::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineType {
    Usage,
    SavingsPlanCoveredUsage,
    SavingsPlanNegation,
    SavingsPlanRecurringFee,
    DiscountedUsage,
    RIFee,
    Tax,
    Credit,
    Refund,
}

pub(crate) const LINE_TYPES: [LineType; 9] = [
    LineType::Usage,
    LineType::SavingsPlanCoveredUsage,
    LineType::SavingsPlanNegation,
    LineType::SavingsPlanRecurringFee,
    LineType::DiscountedUsage,
    LineType::RIFee,
    LineType::Tax,
    LineType::Credit,
    LineType::Refund,
];

impl LineType {
    pub(crate) fn name(self) -> &'static str {
        match self {
            LineType::Usage => "Usage",
            LineType::SavingsPlanCoveredUsage => "SavingsPlanCoveredUsage",
            LineType::SavingsPlanNegation => "SavingsPlanNegation",
            LineType::SavingsPlanRecurringFee => "SavingsPlanRecurringFee",
            LineType::DiscountedUsage => "DiscountedUsage",
            LineType::RIFee => "RIFee",
            LineType::Tax => "Tax",
            LineType::Credit => "Credit",
            LineType::Refund => "Refund",
        }
    }
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// One line item. Strings are looked up from the model at write time.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    pub res: u32,
    pub line: u16,
    pub ty: LineType,
    pub anomaly: u16,
    /// Epoch hours `[start_h, end_h)`.
    pub start_h: i64,
    pub end_h: i64,
    pub usage: f64,
    pub rate: f64,
    pub cost: f64,
    pub od_rate: f64,
    pub od_cost: f64,
    pub sp_rate: f64,
    pub sp_eff: f64,
    pub sp_used: f64,
    pub sp_total: f64,
    pub sp_recurring: f64,
    pub ri_eff: f64,
    pub ri_unused: f64,
    pub ri_for_usage: f64,
    /// Cost added by the anomaly (row cost minus cost without it).
    pub extra: f64,
}

impl Row {
    fn new(res: u32, line: usize, ty: LineType, start_h: i64, end_h: i64) -> Row {
        Row {
            res,
            line: line as u16,
            ty,
            anomaly: NO_ANOMALY,
            start_h,
            end_h,
            usage: 0.0,
            rate: 0.0,
            cost: 0.0,
            od_rate: 0.0,
            od_cost: 0.0,
            sp_rate: 0.0,
            sp_eff: 0.0,
            sp_used: 0.0,
            sp_total: 0.0,
            sp_recurring: 0.0,
            ri_eff: 0.0,
            ri_unused: 0.0,
            ri_for_usage: 0.0,
            extra: 0.0,
        }
    }

    /// Amortized (effective) cost with the usual CUR rules.
    pub(crate) fn effective_cost(&self) -> f64 {
        match self.ty {
            LineType::SavingsPlanCoveredUsage => self.sp_eff,
            LineType::SavingsPlanRecurringFee => self.sp_total - self.sp_used,
            LineType::SavingsPlanNegation => 0.0,
            LineType::DiscountedUsage => self.ri_eff,
            LineType::RIFee => self.ri_unused,
            _ => self.cost,
        }
    }
}

/// Mean-one diurnal traffic profile peaking mid-afternoon UTC.
fn diurnal(hour: u32) -> f64 {
    1.0 + 0.35 * (std::f64::consts::TAU * (f64::from(hour) - 8.0) / 24.0).sin()
}

fn usage_row(
    m: &Model,
    anomalies: &[Anomaly],
    res: u32,
    li: usize,
    day: i64,
    h: i64,
    usage: f64,
) -> Vec<Row> {
    let r = &m.resources[res as usize];
    let l = &r.lines[li];
    let od = usage * l.rate;
    let mut row = Row::new(res, li, LineType::Usage, h, h + 1);
    row.usage = usage;
    row.rate = l.rate;
    row.cost = od;
    row.od_rate = l.rate;
    row.od_cost = od;
    let cov = if l.commitment {
        r.coverage
    } else {
        Coverage::OnDemand
    };
    match (cov, &m.savings_plan, &m.reservation) {
        (Coverage::SavingsPlan, Some(sp), _) => {
            row.ty = LineType::SavingsPlanCoveredUsage;
            row.sp_rate = l.rate * (1.0 - sp.discount);
            row.sp_eff = usage * row.sp_rate;
            let mut neg = row.clone();
            neg.ty = LineType::SavingsPlanNegation;
            neg.cost = -row.cost;
            neg.od_cost = 0.0;
            neg.sp_eff = 0.0;
            return vec![row, neg];
        }
        (Coverage::Reserved, _, Some(ri)) => {
            row.ty = LineType::DiscountedUsage;
            row.rate = 0.0;
            row.cost = 0.0;
            row.ri_eff = usage * ri.hourly;
            row.ri_for_usage = row.ri_eff;
        }
        _ => {
            if let Some((id, f)) = inject::anomaly_for(m, anomalies, res, li, day) {
                row.anomaly = id;
                row.usage = usage * f;
                row.cost = row.usage * l.rate;
                row.od_cost = row.cost;
                row.extra = row.cost - od;
            }
        }
    }
    vec![row]
}

fn resource_day(m: &Model, anomalies: &[Anomaly], res: u32, day: i64, out: &mut Vec<Row>) {
    let r: &Resource = &m.resources[res as usize];
    let h0 = day * 24;
    if r.end_h <= h0 || r.start_h >= h0 + 24 {
        return;
    }
    let weekend = time::is_weekend(day);
    let hm = m.period.months[m.period.month_of_day(day)].hours();
    let mut rng = rng::rng_for(&[m.seed, STREAM_DAY, day as u64, u64::from(res)]);
    let noise = rng::lognormal(&mut rng, DAILY_NOISE);
    let trend = 1.0 + 0.002 * (day - m.period.start_day) as f64;
    let jitter: [f64; 24] = std::array::from_fn(|_| rng.random_range(0.9..1.1));
    for hour in 0..24u32 {
        let h = h0 + i64::from(hour);
        if !r.alive(h) || !r.schedule.running(weekend, hour) {
            continue;
        }
        for (li, l) in r.lines.iter().enumerate() {
            let mut usage = if l.monthly { l.base / hm } else { l.base };
            if l.growth != 0.0 {
                usage *= 1.0 + l.growth * (day - m.period.start_day) as f64;
            }
            if let Some(wf) = l.variable {
                let w = if weekend { wf } else { 1.0 };
                usage *= w * trend * noise * jitter[hour as usize] * diurnal(hour);
            }
            if usage > 0.0 {
                out.extend(usage_row(m, anomalies, res, li, day, h, usage));
            }
        }
    }
}

fn savings_plan_day(m: &Model, day: i64, out: &mut Vec<Row>) {
    let Some(sp) = &m.savings_plan else { return };
    let month = &m.period.months[m.period.month_of_day(day)];
    for hour in 0..24 {
        let h = day * 24 + hour;
        let used: f64 = sp
            .covered
            .iter()
            .map(|&c| &m.resources[c as usize])
            .filter(|r| r.alive(h))
            .map(|r| r.lines[0].rate * (1.0 - sp.discount))
            .sum();
        let mut row = Row::new(sp.res, 0, LineType::SavingsPlanRecurringFee, h, h + 1);
        row.usage = 1.0;
        row.rate = sp.hourly_commitment;
        row.cost = sp.hourly_commitment;
        row.sp_total = sp.hourly_commitment;
        row.sp_used = used;
        row.sp_eff = sp.hourly_commitment - used;
        row.sp_recurring = sp.hourly_commitment * month.hours();
        out.push(row);
    }
}

/// Every row of one day, in resource order then hour then line.
pub(crate) fn day_rows(m: &Model, anomalies: &[Anomaly], day: i64) -> Vec<Row> {
    let mut out = Vec::new();
    for (i, r) in m.resources.iter().enumerate() {
        match r.kind {
            Kind::Billing | Kind::Reservation => {}
            Kind::SavingsPlan => savings_plan_day(m, day, &mut out),
            _ => resource_day(m, anomalies, i as u32, day, &mut out),
        }
    }
    out
}

fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn ri_fee(m: &Model, month: usize) -> Option<Row> {
    let ri = m.reservation.as_ref()?;
    let mo = &m.period.months[month];
    let (h0, h1) = (mo.first_day * 24, (mo.last_day + 1) * 24);
    let capacity = f64::from(ri.count) * (h1 - h0) as f64;
    let used: i64 = ri
        .covered
        .iter()
        .map(|&c| &m.resources[c as usize])
        .map(|r| (r.end_h.min(h1) - r.start_h.max(h0)).max(0))
        .sum();
    let mut row = Row::new(ri.res, 0, LineType::RIFee, h0, h1);
    row.usage = capacity;
    row.rate = ri.hourly;
    row.cost = capacity * ri.hourly;
    row.ri_unused = (capacity - used as f64) * ri.hourly;
    Some(row)
}

/// Rows billed once per month. `base[account][product]` is the month's
/// unblended cost so far; the RI fee is added to it before tax.
pub(crate) fn month_end_rows(
    m: &Model,
    month: usize,
    base: &mut [[f64; PRODUCTS.len()]],
) -> Vec<Row> {
    let mo = &m.period.months[month];
    let (h0, h1) = (mo.first_day * 24, (mo.last_day + 1) * 24);
    let mut out = Vec::new();
    if let Some(fee) = ri_fee(m, month) {
        let a = usize::from(m.resources[fee.res as usize].account);
        base[a][0] += fee.cost;
        out.push(fee);
    }
    for (a, &bill) in m.billing.iter().enumerate() {
        let rate = model::tax_rate(a);
        for (p, &amount) in base[a].iter().enumerate() {
            if rate > 0.0 && amount > 0.0 {
                let mut row = Row::new(bill, p, LineType::Tax, h0, h1);
                row.usage = 1.0;
                row.cost = cents(amount * rate);
                out.push(row);
            }
        }
    }
    let linked = m.billing.len();
    if linked > 1 {
        let mut credit = Row::new(m.billing[1], model::LINE_CREDIT, LineType::Credit, h0, h1);
        credit.cost = -cents((base[1][0] * 0.05).min(100.0));
        out.push(credit);
        let a = linked - 1;
        let total: f64 = base[a].iter().sum();
        let mut refund = Row::new(m.billing[a], model::LINE_REFUND, LineType::Refund, h0, h1);
        refund.cost = -cents(total * 0.02);
        out.push(refund);
    }
    out
}

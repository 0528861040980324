//! Commitments: the Savings Plan hourly commitment that maximizes net savings on the
//! eligible on-demand compute spend, and Savings Plans or reservations whose commitment
//! goes partly unused.

use super::series::{CommitmentKind, CommitmentUse};
use super::{Context, Evidence, Level, Proposal, Rule, Savings};
use crate::money::CompensatedSum;

/// The best commitment for an hourly spend series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sizing {
    /// On-demand spend an hour the commitment covers.
    pub on_demand_per_hour: f64,
    /// The commitment: `on_demand_per_hour × (1 − discount)`.
    pub commitment_per_hour: f64,
    /// On-demand spend covered over the series.
    pub covered: f64,
    /// Net savings over the series: covered − commitment × hours.
    pub savings: f64,
    /// Share of the commitment used.
    pub utilization: f64,
}

/// Net savings over `hourly` of covering `k` on-demand dollars an hour at `discount`.
fn net_savings(hourly: &[f64], k: f64, discount: f64) -> (f64, f64) {
    let covered = hourly
        .iter()
        .map(|x| x.min(k))
        .collect::<CompensatedSum>()
        .value();
    (
        covered - (1.0 - discount) * k * hourly.len() as f64,
        covered,
    )
}

/// The commitment maximizing `Σₕ min(xₕ, k) − (1 − d)·k·H`. The function is concave and
/// piecewise linear in `k` with its kinks at the observed values, so the best `k` is one
/// of them: the smallest whose share of hours above it is at most `1 − d`.
pub fn best_commitment(hourly: &[f64], discount: f64) -> Option<Sizing> {
    let mut sorted: Vec<f64> = hourly.iter().copied().filter(|x| x.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let mut below = CompensatedSum::default();
    let mut best: Option<(f64, f64)> = None;
    for (i, &k) in sorted.iter().enumerate() {
        let covered = below.value() + k * (n - i) as f64;
        let savings = covered - (1.0 - discount) * k * n as f64;
        if best.is_none_or(|(_, s)| savings > s + 1e-12) {
            best = Some((k, savings));
        }
        below += k;
    }
    let (k, _) = best.filter(|(k, s)| *k > 0.0 && *s > 0.0)?;
    let (savings, covered) = net_savings(hourly, k, discount);
    Some(Sizing {
        on_demand_per_hour: k,
        commitment_per_hour: k * (1.0 - discount),
        covered,
        savings,
        utilization: covered / (k * hourly.len() as f64),
    })
}

fn percent(part: f64, whole: f64) -> String {
    if whole > 0.0 {
        format!("{:.1}%", 100.0 * part / whole)
    } else {
        "n/a".into()
    }
}

/// The Savings Plan commitment ($/h) that maximizes net savings on the eligible on-demand
/// compute spend, hour by hour.
pub struct SavingsPlanCommitment;

impl Rule for SavingsPlanCommitment {
    fn id(&self) -> &'static str {
        "savings-plan-commitment"
    }
    fn title(&self) -> &'static str {
        "Commit to a Compute Savings Plan sized on the steady on-demand spend"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["usage_type", "product_code"]
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        let d = ctx.constants.sp_discount;
        let drop = ctx.constants.commitment_usage_drop;
        let hourly = &ctx.series.compute_hourly;
        let Some(best) = best_commitment(hourly, d) else {
            return Vec::new();
        };
        let eligible = hourly.iter().copied().collect::<CompensatedSum>().value();
        let lower: Vec<f64> = hourly.iter().map(|x| x * (1.0 - drop)).collect();
        let (low, _) = net_savings(&lower, best.on_demand_per_hour, d);
        let t = ctx.series.totals;
        let covered_now = t.sp_covered_on_demand;
        let granularity = if ctx.series.compute_spread {
            "line items longer than an hour spread evenly over their hours"
        } else {
            "hourly line items"
        };
        let period = ctx.period;
        vec![Proposal {
            rule: self.id(),
            title: self.title().to_string(),
            action: format!(
                "Buy a Compute Savings Plan of ${:.3} an hour (covers ${:.3} of on-demand spend an hour; expected utilization {:.1}%, break-even {:.0}%); coverage {} → {}",
                best.commitment_per_hour,
                best.on_demand_per_hour,
                100.0 * best.utilization,
                100.0 * (1.0 - d),
                percent(covered_now, covered_now + eligible),
                percent(covered_now + best.covered, covered_now + eligible),
            ),
            resources: Vec::new(),
            period_cost: eligible,
            monthly_cost: period.monthly(eligible),
            savings: Savings {
                low: period.monthly(low.max(0.0)),
                expected: period.monthly(best.savings),
                high: period.monthly(best.savings),
            },
            formula: format!(
                "net savings = Σₕ min(spendₕ, k) − (1 − {d})·k·H over H = {} hours ({granularity}); best k = {:.4} $/h on demand, commitment = k × (1 − {d}) = {:.4} $/h; break-even utilization = 1 − {d} = {:.2}; low: the same commitment with {:.0}% less spend every hour",
                hourly.len(),
                best.on_demand_per_hour,
                best.commitment_per_hour,
                1.0 - d,
                100.0 * drop
            ),
            constants: vec![
                (
                    "discount".into(),
                    format!("{d} (1-year no-upfront Compute Savings Plan)"),
                ),
                ("usage drop for low".into(), drop.to_string()),
            ],
            confidence: Level::Medium,
            effort: Level::Low,
        }]
    }
}

/// Savings Plans and reservations using less than a set share of their commitment.
pub struct CommitmentUtilization;

impl CommitmentUtilization {
    fn proposal(&self, ctx: &Context, c: &CommitmentUse, utilization: f64) -> Proposal {
        let unused = c.unused();
        let monthly = ctx.period.monthly(unused);
        let (action, savings, effort) = match c.kind {
            CommitmentKind::Reservation => (
                format!(
                    "Reservation {} is {:.1}% used: sell the unused part on the Reserved Instance Marketplace (standard) or exchange it (convertible) for instances that run",
                    c.arn,
                    100.0 * utilization
                ),
                Savings {
                    low: 0.0,
                    expected: monthly,
                    high: monthly,
                },
                Level::Medium,
            ),
            CommitmentKind::SavingsPlan => (
                format!(
                    "Savings Plan {} is {:.1}% used: it can be neither sold nor exchanged; do not renew it at this level",
                    c.arn,
                    100.0 * utilization
                ),
                Savings {
                    low: 0.0,
                    expected: 0.0,
                    high: monthly,
                },
                Level::Low,
            ),
        };
        Proposal {
            rule: self.id(),
            title: self.title().to_string(),
            action,
            resources: vec![Evidence {
                resource_id: c.arn.clone(),
                account: c.account.clone(),
                region: c.region.clone(),
                tags: Default::default(),
                period_cost: unused,
            }],
            period_cost: unused,
            monthly_cost: monthly,
            savings,
            formula: format!(
                "unused = fee {:.2} − used {:.2} = {unused:.2} over the period (the commitment's amortized cost); utilization {:.1}% < {:.0}%",
                c.fee,
                c.used,
                100.0 * utilization,
                100.0 * ctx.constants.commitment_min_utilization
            ),
            constants: vec![(
                "minimum utilization".into(),
                ctx.constants.commitment_min_utilization.to_string(),
            )],
            confidence: Level::High,
            effort,
        }
    }
}

impl Rule for CommitmentUtilization {
    fn id(&self) -> &'static str {
        "commitment-utilization"
    }
    fn title(&self) -> &'static str {
        "Use or release unused Savings Plan and reservation commitment"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["line_item_type"]
    }
    fn precondition(&self, ctx: &Context) -> Option<String> {
        let has_kind = |k: CommitmentKind| ctx.series.commitments.iter().any(|c| c.kind == k);
        let (sp, ri) = (
            has_kind(CommitmentKind::SavingsPlan),
            has_kind(CommitmentKind::Reservation),
        );
        [
            (sp, "sp_total_commitment_to_date"),
            (sp, "sp_used_commitment"),
            (ri, "ri_unused_recurring_fee"),
        ]
        .into_iter()
        .find(|(present, column)| *present && !ctx.columns.iter().any(|c| c == column))
        .map(|(_, column)| format!("not evaluated: needs column `{column}`"))
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        ctx.series
            .commitments
            .iter()
            .filter_map(|c| {
                let u = c.utilization()?;
                (u < ctx.constants.commitment_min_utilization).then(|| self.proposal(ctx, c, u))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use super::super::{Constants, Series};
    use super::*;

    #[test]
    fn the_best_commitment_is_the_discount_quantile() {
        // 100 hours: 50 at $10, 30 at $4, 20 at $0. Covering k = 4 pays on 80 hours
        // (80% > break-even 72%); covering 10 pays on 50 hours only.
        let mut hourly = vec![10.0; 50];
        hourly.extend([4.0; 30]);
        hourly.extend([0.0; 20]);
        let s = best_commitment(&hourly, 0.28).unwrap();
        assert_close(s.on_demand_per_hour, 4.0);
        assert_close(s.commitment_per_hour, 2.88);
        assert_close(s.covered, 320.0);
        assert_close(s.savings, 320.0 - 288.0);
        assert_close(s.utilization, 0.8);
        // k = 10 would save 50·10 + 30·4 − 0.72·10·100 = −100.
        assert!(net_savings(&hourly, 10.0, 0.28).0 < 0.0);
        assert_eq!(best_commitment(&[0.0; 10], 0.28), None);
        assert_eq!(best_commitment(&[], 0.28), None);
    }

    #[test]
    fn the_proposal_states_commitment_break_even_and_coverage() {
        let series = Series {
            compute_hourly: vec![2.0; 720],
            ..Series::default()
        };
        let found = with_context(&[], &series, &Constants::default(), |ctx| {
            SavingsPlanCommitment.evaluate(ctx)
        });
        assert_eq!(found.len(), 1);
        let p = &found[0];
        let m = 30.4375 / 30.0;
        assert_close(p.savings.expected, 0.28 * 1440.0 * m);
        // 10% less spend: 1.8 covered every hour against a 1.44 commitment.
        assert_close(p.savings.low, (1.8 - 1.44) * 720.0 * m);
        assert!(p.action.contains("$1.440 an hour"), "{}", p.action);
        assert!(p.action.contains("break-even 72%"), "{}", p.action);
        assert!(p.action.contains("coverage 0.0% → 100.0%"), "{}", p.action);
    }

    #[test]
    fn underused_commitments_are_reported_with_their_unused_fee() {
        let commitment = |arn: &str, kind, fee, used| CommitmentUse {
            arn: arn.into(),
            kind,
            account: "123456789012".into(),
            region: "us-east-1".into(),
            fee,
            used,
        };
        let series = Series {
            commitments: vec![
                commitment("ri-half", CommitmentKind::Reservation, 200.0, 100.0),
                commitment("sp-full", CommitmentKind::SavingsPlan, 100.0, 95.0),
                commitment("sp-low", CommitmentKind::SavingsPlan, 100.0, 50.0),
            ],
            ..Series::default()
        };
        let found = with_context(&[], &series, &Constants::default(), |ctx| {
            CommitmentUtilization.evaluate(ctx)
        });
        let ids: Vec<&str> = found
            .iter()
            .map(|p| p.resources[0].resource_id.as_str())
            .collect();
        assert_eq!(ids, ["ri-half", "sp-low"]);
        let m = 30.4375 / 30.0;
        assert_close(found[0].resources[0].period_cost, 100.0);
        assert_close(found[0].savings.expected, 100.0 * m);
        assert_close(found[1].savings.expected, 0.0);
        assert_close(found[1].savings.high, 50.0 * m);
    }
}

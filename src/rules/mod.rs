//! Optimization proposals computable from CUR alone.
//!
//! Every rule has the same shape: an id, a title, the canonical columns it needs, and an
//! `evaluate` over the resource view ([`resources`]) that returns proposals with their
//! evidence (resource ids), current cost, savings as low / expected / high, the formula with
//! its inputs and constants, confidence and effort. [`all_rules`] is the only list of rules.
//!
//! Savings on one resource from several proposals are combined, never added: each proposal
//! removes a share of what the previous ones left, so the total never exceeds the cost.

mod commitments;
mod compute;
mod ebs;
#[cfg(test)]
mod fixture;
mod graviton;
mod keys;
mod network;
pub mod render;
mod requests;
pub mod resources;
pub mod series;
mod storage;
mod tagging;
mod transfer;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ingest::Load;
use crate::money::CompensatedSum;
pub use resources::{Period, Resource};
pub use series::Series;

/// Constants of the rules: the `[proposals]` table of `curlens.toml`, key for key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Constants {
    /// Proposals saving less than this per month are not listed.
    pub min_monthly_savings: f64,
    /// Tag keys every resource should carry.
    pub required_tags: Vec<String>,
    /// Environment tag values that mean non-production.
    pub non_production: Vec<String>,
    /// gp3 storage price as a share of gp2's (us-east-1: $0.08 / $0.10 per GB-month).
    pub gp3_to_gp2_price: f64,
    /// CUR has no snapshot creation date: snapshots billed since this many days are old.
    pub old_snapshot_days: f64,
    /// Share of the period's hours a non-production instance must be billed to be "always on".
    pub always_on_share: f64,
    /// Hours per week a scheduled non-production instance runs (12 h × 5 days).
    pub scheduled_hours_per_week: f64,
    /// Secrets Manager API calls an hour, per secret, above which a client is not caching.
    pub secret_calls_per_hour: f64,
    /// Share of Secrets Manager API calls client-side caching removes.
    pub secrets_cache_hit_rate: f64,
    /// KMS requests an hour, per key, above which S3 Bucket Keys are likely missing.
    pub kms_requests_per_hour: f64,
    /// Share of KMS requests S3 Bucket Keys remove.
    pub kms_bucket_key_reduction: f64,
    /// Days a KMS key must be billed without a single request to be unused.
    pub kms_idle_days: f64,
    /// LCU-hours per billed hour below which a load balancer is idle.
    pub idle_lcu_per_hour: f64,
    /// Uncertainty of the Graviton price ratios: low and high savings use ratio ± this.
    pub graviton_ratio_margin: f64,
    /// GB a month a NAT gateway must process before gateway endpoints are proposed.
    pub nat_endpoint_min_gb_month: f64,
    /// Share of NAT-processed bytes assumed bound for S3 and DynamoDB: low, expected, high.
    pub nat_endpoint_share: [f64; 3],
    /// Savings Plan discount off on-demand (1-year no-upfront Compute Savings Plan).
    pub sp_discount: f64,
    /// Drop of eligible spend, at every hour, the low commitment saving allows for.
    pub commitment_usage_drop: f64,
    /// Utilization below which a Savings Plan or reservation is reported.
    pub commitment_min_utilization: f64,
    /// Days an S3 bucket must go without a request to be idle.
    pub s3_idle_days: f64,
    /// S3 Standard-IA / Intelligent-Tiering infrequent access price as a share of Standard
    /// ($0.0125 / $0.023 per GB-month).
    pub s3_infrequent_price_ratio: f64,
    /// S3 Glacier Instant Retrieval price as a share of Standard ($0.004 / $0.023).
    pub s3_archive_price_ratio: f64,
    /// Days of logs a retention policy keeps.
    pub log_retention_days: f64,
    /// Growth of log storage over the period (0.1 = 10%) that, rising day after day, means
    /// no retention.
    pub log_min_growth: f64,
    /// Share of an organisation's inter-AZ or internet transfer one resource must carry to
    /// be reported.
    pub transfer_top_share: f64,
    /// Share of inter-AZ transfer cost co-location removes: low, expected, high.
    pub inter_az_saving: [f64; 3],
    /// Share of internet transfer cost a CDN and compression remove: low, expected, high.
    pub internet_saving: [f64; 3],
}

impl Default for Constants {
    fn default() -> Self {
        Self {
            min_monthly_savings: 1.0,
            required_tags: ["Project", "Environment", "Team"]
                .map(String::from)
                .to_vec(),
            non_production: ["dev", "development", "test", "qa", "staging", "stage"]
                .map(String::from)
                .to_vec(),
            gp3_to_gp2_price: 0.8,
            old_snapshot_days: 180.0,
            always_on_share: 0.95,
            scheduled_hours_per_week: 60.0,
            secret_calls_per_hour: 5_000.0,
            secrets_cache_hit_rate: 0.9,
            kms_requests_per_hour: 50_000.0,
            kms_bucket_key_reduction: 0.99,
            kms_idle_days: 30.0,
            idle_lcu_per_hour: 0.01,
            graviton_ratio_margin: 0.05,
            nat_endpoint_min_gb_month: 10_000.0,
            nat_endpoint_share: [0.25, 0.5, 0.75],
            sp_discount: 0.28,
            commitment_usage_drop: 0.1,
            commitment_min_utilization: 0.9,
            s3_idle_days: 30.0,
            s3_infrequent_price_ratio: 0.543,
            s3_archive_price_ratio: 0.174,
            log_retention_days: 30.0,
            log_min_growth: 0.1,
            transfer_top_share: 0.25,
            inter_az_saving: [0.25, 0.5, 0.9],
            internet_saving: [0.05, 0.2, 0.4],
        }
    }
}

impl Constants {
    /// Checks every constant's range; the error names the key.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let shares = [
            ("gp3_to_gp2_price", self.gp3_to_gp2_price),
            ("always_on_share", self.always_on_share),
            ("secrets_cache_hit_rate", self.secrets_cache_hit_rate),
            ("kms_bucket_key_reduction", self.kms_bucket_key_reduction),
            ("graviton_ratio_margin", self.graviton_ratio_margin),
            ("sp_discount", self.sp_discount),
            ("commitment_usage_drop", self.commitment_usage_drop),
            (
                "commitment_min_utilization",
                self.commitment_min_utilization,
            ),
            ("s3_infrequent_price_ratio", self.s3_infrequent_price_ratio),
            ("s3_archive_price_ratio", self.s3_archive_price_ratio),
            ("transfer_top_share", self.transfer_top_share),
        ];
        for (key, v) in shares {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("proposals.{key}: a share between 0 and 1, got {v}"));
            }
        }
        let non_negative = [
            ("min_monthly_savings", self.min_monthly_savings),
            ("old_snapshot_days", self.old_snapshot_days),
            ("secret_calls_per_hour", self.secret_calls_per_hour),
            ("kms_requests_per_hour", self.kms_requests_per_hour),
            ("kms_idle_days", self.kms_idle_days),
            ("idle_lcu_per_hour", self.idle_lcu_per_hour),
            ("nat_endpoint_min_gb_month", self.nat_endpoint_min_gb_month),
            ("s3_idle_days", self.s3_idle_days),
            ("log_retention_days", self.log_retention_days),
            ("log_min_growth", self.log_min_growth),
        ];
        for (key, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("proposals.{key}: a number ≥ 0, got {v}"));
            }
        }
        if !(0.0..=168.0).contains(&self.scheduled_hours_per_week) {
            return Err(format!(
                "proposals.scheduled_hours_per_week: between 0 and 168, got {}",
                self.scheduled_hours_per_week
            ));
        }
        let ranges = [
            ("nat_endpoint_share", self.nat_endpoint_share),
            ("inter_az_saving", self.inter_az_saving),
            ("internet_saving", self.internet_saving),
        ];
        for (key, [low, expected, high]) in ranges {
            if !(0.0 <= low && low <= expected && expected <= high && high <= 1.0) {
                return Err(format!(
                    "proposals.{key}: [low, expected, high] shares with 0 ≤ low ≤ expected ≤ high ≤ 1, got [{low}, {expected}, {high}]"
                ));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Low,
    Medium,
    High,
}

/// A resource a proposal is about.
#[derive(Clone, Debug, Serialize)]
pub struct Evidence {
    pub resource_id: String,
    pub account: String,
    pub region: String,
    pub tags: BTreeMap<String, String>,
    /// The resource's cost over the period.
    pub period_cost: f64,
}

impl Evidence {
    pub fn of(r: &Resource) -> Evidence {
        Evidence {
            resource_id: r.id.clone(),
            account: r.account.clone(),
            region: r.region.clone(),
            tags: r.tags.clone(),
            period_cost: r.cost(),
        }
    }
}

/// Monthly savings as a range.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Savings {
    pub low: f64,
    pub expected: f64,
    pub high: f64,
}

impl Savings {
    pub fn exact(v: f64) -> Savings {
        Savings {
            low: v,
            expected: v,
            high: v,
        }
    }
}

/// One proposal.
#[derive(Clone, Debug, Serialize)]
pub struct Proposal {
    pub rule: &'static str,
    pub title: String,
    pub action: String,
    pub resources: Vec<Evidence>,
    /// Cost of the resources over the analysed period.
    pub period_cost: f64,
    /// The same, per 30.4375-day month.
    pub monthly_cost: f64,
    /// Monthly savings (from the period, normalised to a month).
    pub savings: Savings,
    /// The formula, with its inputs filled in.
    pub formula: String,
    pub constants: Vec<(String, String)>,
    pub confidence: Level,
    pub effort: Level,
}

/// What a rule sees.
pub struct Context<'a> {
    pub resources: &'a [Resource],
    pub period: Period,
    pub constants: &'a Constants,
    /// Canonical columns the export carries (non-null somewhere).
    pub columns: &'a [String],
    /// Hourly, daily and per-commitment figures beyond the resource view.
    pub series: &'a Series,
}

/// A check family.
pub trait Rule: Sync {
    fn id(&self) -> &'static str;
    fn title(&self) -> &'static str;
    /// Canonical columns without which the rule cannot be evaluated.
    fn needs(&self) -> &'static [&'static str] {
        &["resource_id", "usage_type"]
    }
    /// Why the rule cannot be evaluated on this data, if it cannot.
    fn precondition(&self, ctx: &Context) -> Option<String> {
        let _ = ctx;
        None
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal>;
}

/// Every rule, in report order.
pub fn all_rules() -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(network::IdleElasticIp),
        Box::new(network::IdlePublicIpv4),
        Box::new(network::IdleNatGateway),
        Box::new(network::IdleLoadBalancer),
        Box::new(ebs::Gp2ToGp3),
        Box::new(ebs::OldSnapshots),
        Box::new(compute::PreviousGeneration),
        Box::new(compute::AlwaysOnNonProduction),
        Box::new(requests::SecretsManagerCaching),
        Box::new(requests::KmsRequests),
        Box::new(tagging::UntaggedSpend),
        Box::new(graviton::Graviton),
        Box::new(transfer::NatGatewayEndpoints),
        Box::new(commitments::SavingsPlanCommitment),
        Box::new(commitments::CommitmentUtilization),
        Box::new(storage::IdleS3Standard),
        Box::new(storage::LogsWithoutRetention),
        Box::new(transfer::TransferConcentration),
        Box::new(keys::UnusedKmsKeys),
    ]
}

/// A rule that could not run, and why.
#[derive(Clone, Debug, Serialize)]
pub struct NotEvaluated {
    pub rule: &'static str,
    pub reason: String,
}

/// The outcome of all rules.
#[derive(Clone, Debug, Serialize)]
pub struct Proposals {
    pub proposals: Vec<Proposal>,
    pub not_evaluated: Vec<NotEvaluated>,
    /// Expected monthly savings of all proposals, combined per resource (not added).
    pub total_monthly_savings: f64,
    pub period_days: f64,
}

/// Runs every rule over a load.
pub fn evaluate(load: &Load, constants: &Constants) -> Result<Proposals> {
    let (resources, period) = resources::read_resources(load)?;
    let mut wanted: Vec<&str> = all_rules()
        .iter()
        .flat_map(|r| r.needs().to_vec())
        .chain(series::COMMITMENT_COLUMNS)
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let columns = series::present_columns(load, &wanted)?;
    let series = series::read_series(load, period)?;
    let ctx = Context {
        resources: &resources,
        period,
        constants,
        columns: &columns,
        series: &series,
    };
    Ok(run_rules(&ctx))
}

/// Runs every rule over a prepared context.
pub fn run_rules(ctx: &Context) -> Proposals {
    let mut proposals = Vec::new();
    let mut not_evaluated = Vec::new();
    for rule in all_rules() {
        if let Some(missing) = rule
            .needs()
            .iter()
            .find(|c| !ctx.columns.iter().any(|p| p == *c))
        {
            not_evaluated.push(NotEvaluated {
                rule: rule.id(),
                reason: if *missing == "resource_id" {
                    format!("not evaluated: needs column `{missing}` (an export with resource ids)")
                } else {
                    format!("not evaluated: needs column `{missing}`")
                },
            });
            continue;
        }
        if let Some(reason) = rule.precondition(ctx) {
            not_evaluated.push(NotEvaluated {
                rule: rule.id(),
                reason,
            });
            continue;
        }
        proposals.extend(
            rule.evaluate(ctx)
                .into_iter()
                .filter(|p| p.savings.expected >= ctx.constants.min_monthly_savings),
        );
    }
    proposals.sort_by(|a, b| {
        b.savings
            .expected
            .total_cmp(&a.savings.expected)
            .then_with(|| (a.rule, &a.title).cmp(&(b.rule, &b.title)))
    });
    let total_monthly_savings = combined_savings(&proposals);
    Proposals {
        proposals,
        not_evaluated,
        total_monthly_savings,
        period_days: ctx.period.days(),
    }
}

/// Expected savings combined per resource: `cost × (1 − Π(1 − sᵢ/cost))`, never more than
/// the resource's monthly cost. A proposal without resources (a commitment to buy) is sized
/// on today's eligible compute spend (its monthly cost): its saving counts only for the share
/// of that spend the changes to instances and functions leave, so buying a commitment and
/// shrinking what it would cover are not both counted in full.
pub fn combined_savings(proposals: &[Proposal]) -> f64 {
    let mut per_resource: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    let mut unattributed = Vec::new();
    for p in proposals {
        if p.resources.is_empty() || p.period_cost <= 0.0 {
            unattributed.push(p);
            continue;
        }
        for r in &p.resources {
            let weight = r.period_cost / p.period_cost;
            let monthly_cost = p.monthly_cost * weight;
            let saving = p.savings.expected * weight;
            let entry = per_resource
                .entry(r.resource_id.as_str())
                .or_insert((monthly_cost, 1.0));
            entry.0 = entry.0.max(monthly_cost);
            if entry.0 > 0.0 {
                entry.1 *= (1.0 - (saving / entry.0).min(1.0)).max(0.0);
            }
        }
    }
    let mut total = CompensatedSum::default();
    let mut compute_saved = CompensatedSum::default();
    for (id, (cost, kept)) in &per_resource {
        total += cost * (1.0 - kept);
        if is_commitment_eligible(id) {
            compute_saved += cost * (1.0 - kept);
        }
    }
    for p in unattributed {
        let left = if p.monthly_cost > 0.0 {
            (1.0 - compute_saved.value() / p.monthly_cost).clamp(0.0, 1.0)
        } else {
            1.0
        };
        total += p.savings.expected * left;
    }
    total.value()
}

/// Resources whose usage a Compute Savings Plan covers: EC2 instances and Lambda functions.
fn is_commitment_eligible(resource_id: &str) -> bool {
    resource_id.starts_with("i-") || resource_id.contains(":function:")
}

/// A proposal for `resources`, with monthly figures from the period. `saving_share` is the
/// (low, expected, high) share of the resources' cost saved; `levels` is (confidence,
/// effort). Every argument is a field of the proposal, hence their number.
#[allow(clippy::too_many_arguments)]
pub(crate) fn proposal(
    rule: &dyn Rule,
    action: String,
    resources: &[&Resource],
    period: Period,
    saving_share: (f64, f64, f64),
    formula: String,
    constants: Vec<(String, String)>,
    levels: (Level, Level),
) -> Proposal {
    let period_cost = resources
        .iter()
        .map(|r| r.cost())
        .collect::<CompensatedSum>()
        .value();
    let monthly_cost = period.monthly(period_cost);
    Proposal {
        rule: rule.id(),
        title: rule.title().to_string(),
        action,
        resources: resources.iter().map(|r| Evidence::of(r)).collect(),
        period_cost,
        monthly_cost,
        savings: Savings {
            low: monthly_cost * saving_share.0,
            expected: monthly_cost * saving_share.1,
            high: monthly_cost * saving_share.2,
        },
        formula,
        constants,
        confidence: levels.0,
        effort: levels.1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique() {
        let mut ids: Vec<&str> = all_rules().iter().map(|r| r.id()).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    fn bare(
        rule: &'static str,
        resource: Option<&str>,
        monthly_cost: f64,
        saving: f64,
    ) -> Proposal {
        Proposal {
            rule,
            title: String::new(),
            action: String::new(),
            resources: resource
                .map(|id| Evidence {
                    resource_id: id.to_string(),
                    account: String::new(),
                    region: String::new(),
                    tags: BTreeMap::new(),
                    period_cost: monthly_cost,
                })
                .into_iter()
                .collect(),
            period_cost: monthly_cost,
            monthly_cost,
            savings: Savings {
                low: saving,
                expected: saving,
                high: saving,
            },
            formula: String::new(),
            constants: Vec::new(),
            confidence: Level::High,
            effort: Level::Low,
        }
    }

    #[test]
    fn a_commitment_counts_only_for_the_compute_spend_left() {
        // $1,000 a month of eligible compute; a commitment would save $200 of it. Moving an
        // instance of $400 a month to Graviton saves $80, and a volume change saves $30.
        let commitment = bare("savings-plan-commitment", None, 1000.0, 200.0);
        let graviton = bare("graviton", Some("i-0abc"), 400.0, 80.0);
        let volume = bare("ebs-gp2-to-gp3", Some("vol-0abc"), 100.0, 30.0);
        let total = combined_savings(&[commitment.clone(), graviton, volume]);
        let expected = 80.0 + 30.0 + 200.0 * (1.0 - 80.0 / 1000.0);
        assert!((total - expected).abs() < 1e-9, "{total} vs {expected}");
        assert!((combined_savings(&[commitment]) - 200.0).abs() < 1e-9);
    }
}

#[cfg(test)]
mod docs_tests {
    #[test]
    fn every_rule_is_documented() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md"))
            .expect("docs/rules.md");
        for rule in super::all_rules() {
            assert!(
                doc.contains(&format!("| `{}` |", rule.id())),
                "docs/rules.md lacks {}",
                rule.id()
            );
        }
        let defaults = serde_json::to_value(super::Constants::default()).expect("constants");
        for key in defaults.as_object().expect("a table").keys() {
            assert!(
                doc.contains(&format!("`{key}`")),
                "docs/rules.md lacks the constant {key}"
            );
        }
    }
}

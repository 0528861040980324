//! Optimization proposals computable from CUR alone.
//!
//! Every rule has the same shape: an id, a title, the canonical columns it needs, and an
//! `evaluate` over the resource view ([`resources`]) that returns proposals with their
//! evidence (resource ids), current cost, savings as low / expected / high, the formula with
//! its inputs and constants, confidence and effort. [`all_rules`] is the only list of rules.
//!
//! Savings on one resource from several proposals are combined, never added: each proposal
//! removes a share of what the previous ones left, so the total never exceeds the cost.

mod compute;
mod ebs;
mod network;
pub mod render;
mod requests;
pub mod resources;
mod tagging;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Result;
use crate::ingest::Load;
pub use resources::{Period, Resource};

/// Constants of the rules, overridable in the configuration.
#[derive(Clone, Debug, Serialize)]
pub struct Constants {
    /// gp3 storage price as a share of gp2's (us-east-1: $0.08 / $0.10 per GB-month).
    pub gp3_to_gp2_price: f64,
    /// Environment tag values that mean non-production.
    pub non_production: Vec<String>,
    /// Share of the period's hours a non-production instance must be billed to be "always on".
    pub always_on_share: f64,
    /// Hours per week a scheduled non-production instance runs (12 h × 5 days).
    pub scheduled_hours_per_week: f64,
    /// Tag keys every resource should carry.
    pub required_tags: Vec<String>,
    /// Share of Secrets Manager API calls client-side caching removes.
    pub secrets_cache_hit_rate: f64,
    /// Share of KMS requests S3 Bucket Keys remove.
    pub kms_bucket_key_reduction: f64,
    /// LCU-hours per billed hour below which a load balancer is idle.
    pub idle_lcu_per_hour: f64,
    /// Proposals saving less than this per month are not listed.
    pub min_monthly_savings: f64,
}

impl Default for Constants {
    fn default() -> Self {
        Self {
            gp3_to_gp2_price: 0.8,
            non_production: ["dev", "development", "test", "qa", "staging", "stage"]
                .map(String::from)
                .to_vec(),
            always_on_share: 0.95,
            scheduled_hours_per_week: 60.0,
            required_tags: ["Project", "Environment", "Team"]
                .map(String::from)
                .to_vec(),
            secrets_cache_hit_rate: 0.9,
            kms_bucket_key_reduction: 0.99,
            idle_lcu_per_hour: 0.01,
            min_monthly_savings: 0.0,
        }
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
    let columns = present_columns(&resources);
    let ctx = Context {
        resources: &resources,
        period,
        constants,
        columns: &columns,
    };
    Ok(run_rules(&ctx))
}

fn present_columns(resources: &[Resource]) -> Vec<String> {
    let mut out = vec!["usage_type".to_string()];
    if !resources.is_empty() {
        out.push("resource_id".to_string());
    }
    out
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
                reason: format!(
                    "not evaluated: needs column `{missing}` (an export with resource ids)"
                ),
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
/// the resource's monthly cost; proposals without resources add up as they are.
pub fn combined_savings(proposals: &[Proposal]) -> f64 {
    let mut per_resource: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    let mut unattributed = 0.0;
    for p in proposals {
        if p.resources.is_empty() || p.period_cost <= 0.0 {
            unattributed += p.savings.expected;
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
    unattributed
        + per_resource
            .values()
            .map(|(cost, kept)| cost * (1.0 - kept))
            .sum::<f64>()
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
    let period_cost: f64 = resources.iter().map(|r| r.cost()).sum();
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
    }
}

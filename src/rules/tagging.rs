//! Cost-allocation hygiene: resources missing the required tag keys.

use std::collections::BTreeMap;

use super::{Context, Level, Proposal, Rule, Savings};

pub struct UntaggedSpend;

impl Rule for UntaggedSpend {
    fn id(&self) -> &'static str {
        "untagged-spend"
    }
    fn title(&self) -> &'static str {
        "Tag resources with the required keys"
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        let mut by_account: BTreeMap<&str, Vec<&super::Resource>> = BTreeMap::new();
        // Commitments (Savings Plan and RI fees) carry their ARN as resource id; they are not
        // resources anyone tags.
        let usage = |r: &&super::Resource| {
            r.lines.iter().any(|l| {
                matches!(
                    l.line_item_type.as_str(),
                    "Usage" | "DiscountedUsage" | "SavingsPlanCoveredUsage"
                )
            })
        };
        for r in ctx
            .resources
            .iter()
            .filter(usage)
            .filter(|r| r.tags.is_empty() && r.cost() > 0.0)
        {
            by_account.entry(r.account.as_str()).or_default().push(r);
        }
        by_account
            .into_iter()
            .map(|(account, resources)| {
                let mut p = super::proposal(
                    self,
                    format!(
                        "Tag {} untagged resources in account {account} with {}",
                        resources.len(),
                        ctx.constants.required_tags.join(", ")
                    ),
                    &resources,
                    ctx.period,
                    (0.0, 0.0, 0.0),
                    "no direct saving: untagged cost cannot be allocated or governed".into(),
                    vec![(
                        "required tags".into(),
                        ctx.constants.required_tags.join(", "),
                    )],
                    (Level::High, Level::Medium),
                );
                p.savings = Savings::exact(0.0);
                p
            })
            .collect()
    }
}

//! Cost metrics, as Cost Explorer names them, each defined once as an [`E`] expression over
//! canonical columns. `docs/cost-metrics.md` is rendered from these definitions.

use std::fmt;

use serde::Serialize;

use super::expr::{Cond, E};
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    Unblended,
    Blended,
    NetUnblended,
    Amortized,
    NetAmortized,
    PublicOnDemand,
    UsageQuantity,
}

impl Metric {
    pub const ALL: [Metric; 7] = [
        Metric::Unblended,
        Metric::Blended,
        Metric::NetUnblended,
        Metric::Amortized,
        Metric::NetAmortized,
        Metric::PublicOnDemand,
        Metric::UsageQuantity,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Unblended => "unblended",
            Metric::Blended => "blended",
            Metric::NetUnblended => "net-unblended",
            Metric::Amortized => "amortized",
            Metric::NetAmortized => "net-amortized",
            Metric::PublicOnDemand => "public-on-demand",
            Metric::UsageQuantity => "usage-quantity",
        }
    }

    /// The column name of this metric in cube frames (`amortized_cost`...).
    pub fn column(self) -> &'static str {
        match self {
            Metric::Unblended => "unblended_cost",
            Metric::Blended => "blended_cost",
            Metric::NetUnblended => "net_unblended_cost",
            Metric::Amortized => "amortized_cost",
            Metric::NetAmortized => "net_amortized_cost",
            Metric::PublicOnDemand => "public_on_demand_cost",
            Metric::UsageQuantity => "usage_quantity",
        }
    }

    pub fn is_money(self) -> bool {
        self != Metric::UsageQuantity
    }

    pub fn parse(name: &str) -> Result<Metric> {
        let wanted = name.trim().to_ascii_lowercase().replace('_', "-");
        Metric::ALL
            .into_iter()
            .find(|m| m.name() == wanted || m.column().replace('_', "-") == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
                Error::Invalid(format!(
                    "unknown metric `{name}`; valid metrics: {}",
                    super::dimension::closest_first(&wanted, &names).join(", ")
                ))
            })
    }

    /// What the metric means, for documentation.
    pub fn doc(self) -> &'static str {
        match self {
            Metric::Unblended => {
                "What each line item was billed at its own rate. FOCUS: BilledCost."
            }
            Metric::Blended => {
                "Billed at the organisation's average (blended) rates; unblended where the export has no blended cost."
            }
            Metric::NetUnblended => {
                "Unblended after discounts (EDP, private pricing); unblended where the export has no net columns."
            }
            Metric::Amortized => {
                "Commitments spread over the usage they cover: Savings Plan and RI fees replaced by the effective cost of covered usage, plus the unused part of the commitment. FOCUS: EffectiveCost."
            }
            Metric::NetAmortized => {
                "Amortized after discounts; each net column falls back to its gross column when absent."
            }
            Metric::PublicOnDemand => {
                "The same usage at public on-demand prices (the on-demand equivalent). FOCUS: ListCost."
            }
            Metric::UsageQuantity => {
                "Usage amount in the line item's pricing unit; only meaningful within one usage type."
            }
        }
    }

    /// The per-row value of this metric.
    pub fn definition(self) -> E {
        let lit_type = |t: &'static str| Cond::Eq("line_item_type", t);
        match self {
            Metric::Unblended => E::Num("unblended_cost"),
            Metric::Blended => {
                E::Coalesce(vec!["blended_cost"], Box::new(E::Num("unblended_cost")))
            }
            Metric::NetUnblended => E::Coalesce(
                vec!["net_unblended_cost"],
                Box::new(E::Num("unblended_cost")),
            ),
            Metric::Amortized => amortized(AmortizedColumns::GROSS, lit_type),
            Metric::NetAmortized => amortized(AmortizedColumns::NET, lit_type),
            Metric::PublicOnDemand => E::Num("public_on_demand_cost"),
            Metric::UsageQuantity => E::Num("usage_amount"),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

struct AmortizedColumns {
    sp_effective: &'static [&'static str],
    ri_effective: &'static [&'static str],
    otherwise: &'static [&'static str],
}

impl AmortizedColumns {
    const GROSS: AmortizedColumns = AmortizedColumns {
        sp_effective: &["sp_effective_cost"],
        ri_effective: &["ri_effective_cost"],
        otherwise: &["unblended_cost"],
    };
    const NET: AmortizedColumns = AmortizedColumns {
        sp_effective: &["sp_net_effective_cost", "sp_effective_cost"],
        ri_effective: &["ri_net_effective_cost", "ri_effective_cost"],
        otherwise: &["net_unblended_cost", "unblended_cost"],
    };
}

fn first_of(columns: &'static [&'static str]) -> E {
    match columns {
        [only] => E::Num(only),
        [first @ .., last] => E::Coalesce(first.to_vec(), Box::new(E::Num(last))),
        [] => E::Zero,
    }
}

/// AWS's documented amortization by line item type (CUR query library, "amortized cost").
fn amortized(c: AmortizedColumns, is_type: impl Fn(&'static str) -> Cond) -> E {
    E::Case(
        vec![
            (Cond::NotNull("effective_cost"), E::Num("effective_cost")),
            (is_type("SavingsPlanCoveredUsage"), first_of(c.sp_effective)),
            (is_type("SavingsPlanNegation"), E::Zero),
            (is_type("SavingsPlanUpfrontFee"), E::Zero),
            (
                is_type("SavingsPlanRecurringFee"),
                E::minus(
                    E::Num("sp_total_commitment_to_date"),
                    E::Num("sp_used_commitment"),
                ),
            ),
            (is_type("DiscountedUsage"), first_of(c.ri_effective)),
            (
                is_type("RIFee"),
                E::plus(
                    E::Num("ri_unused_amortized_upfront_fee"),
                    E::Num("ri_unused_recurring_fee"),
                ),
            ),
            (Cond::and(is_type("Fee"), Cond::NotNull("ri_arn")), E::Zero),
        ],
        Box::new(first_of(c.otherwise)),
    )
}

/// `docs/cost-metrics.md`, rendered from the definitions.
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# Cost metrics\n\n\
         Every metric is a per-line-item expression over the canonical columns \
         (`docs/cur-schema.md`), summed per group. The SQL below is the same definition over a \
         CUR 2.0 table, as `curlens cube-sql` emits it. This page is generated by \
         `curlens schema --metrics`; a test keeps it in step with the code.\n\n\
         Null costs count as zero. Sums are exact to 10^-9 of the currency unit: each value is \
         split into whole nano-units (summed as integers, so the order of addition cannot change \
         the result) and a sub-nano remainder (summed in f64); reported figures are rounded to \
         10 decimals.\n\n",
    );
    for m in Metric::ALL {
        out.push_str(&format!(
            "## `{}`\n\n{}\n\nCube column `{}`.\n\n```sql\n{}\n```\n\n",
            m.name(),
            m.doc(),
            m.column(),
            m.definition().to_sql()
        ));
    }
    out.push_str(
        "## Amortization rules\n\n\
         | line item type | amortized cost |\n|---|---|\n\
         | FOCUS rows (any) | `EffectiveCost` |\n\
         | `SavingsPlanCoveredUsage` | `savings_plan_savings_plan_effective_cost` |\n\
         | `SavingsPlanNegation`, `SavingsPlanUpfrontFee` | 0 (the fee is spread over covered usage) |\n\
         | `SavingsPlanRecurringFee` | `savings_plan_total_commitment_to_date - savings_plan_used_commitment` (the unused commitment) |\n\
         | `DiscountedUsage` | `reservation_effective_cost` |\n\
         | `RIFee` | `reservation_unused_amortized_upfront_fee_for_billing_period + reservation_unused_recurring_fee` |\n\
         | `Fee` with a reservation ARN (RI upfront fee) | 0 |\n\
         | anything else | `line_item_unblended_cost` |\n\n\
         Net amortized uses `savings_plan_net_savings_plan_effective_cost`, \
         `reservation_net_effective_cost` and `line_item_net_unblended_cost` where present; the \
         unused-commitment terms of recurring fees have no net column in the canonical schema and \
         stay gross.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_page_is_current() {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/cost-metrics.md"))
                .expect("docs/cost-metrics.md exists");
        assert_eq!(
            doc,
            render_markdown(),
            "docs/cost-metrics.md is stale: regenerate with `curlens schema --metrics`"
        );
    }

    #[test]
    fn metric_names_parse_back() {
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.name()).unwrap(), m);
            assert_eq!(Metric::parse(m.column()).unwrap(), m);
        }
    }
}

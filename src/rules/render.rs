//! Proposals as a terminal table or Markdown.

use std::fmt::Write as _;

use super::Proposals;
use crate::render::{escape_md_cell, money_2dp};

fn resources(p: &super::Proposal) -> String {
    let ids: Vec<&str> = p
        .resources
        .iter()
        .take(3)
        .map(|r| r.resource_id.as_str())
        .collect();
    let more = p.resources.len().saturating_sub(3);
    if more > 0 {
        format!("{} and {more} more", ids.join(", "))
    } else {
        ids.join(", ")
    }
}

pub fn table(p: &Proposals) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} proposals; expected savings {} a month, combined per resource (monthly figures are the {:.0}-day period scaled to 30.4375 days)",
        p.proposals.len(),
        money_2dp(p.total_monthly_savings),
        p.period_days
    );
    for (i, x) in p.proposals.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n{:>3}. [{}] {}\n     {}\n     now {} / month; saves {} (low {}, high {}) / month; confidence {:?}, effort {:?}\n     formula: {}",
            i + 1,
            x.rule,
            x.title,
            x.action,
            money_2dp(x.monthly_cost),
            money_2dp(x.savings.expected),
            money_2dp(x.savings.low),
            money_2dp(x.savings.high),
            x.confidence,
            x.effort,
            x.formula
        );
    }
    for n in &p.not_evaluated {
        let _ = writeln!(out, "\n[{}] {}", n.rule, n.reason);
    }
    out
}

pub fn markdown(p: &Proposals) -> String {
    let mut out = String::from(
        "| # | rule | action | resources | now / month | saves / month (low–high) | confidence | effort |\n|---:|---|---|---|---:|---:|---|---|\n",
    );
    for (i, x) in p.proposals.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} ({}–{}) | {:?} | {:?} |",
            i + 1,
            x.rule,
            escape_md_cell(&x.action),
            escape_md_cell(&resources(x)),
            money_2dp(x.monthly_cost),
            money_2dp(x.savings.expected),
            money_2dp(x.savings.low),
            money_2dp(x.savings.high),
            x.confidence,
            x.effort
        );
    }
    let _ = writeln!(
        out,
        "\nExpected savings, combined per resource (not added): **{} a month**.",
        money_2dp(p.total_monthly_savings)
    );
    for n in &p.not_evaluated {
        let _ = writeln!(out, "\n- `{}`: {}", n.rule, escape_md_cell(&n.reason));
    }
    out
}

//! The report model rendered as Markdown: pure, deterministic, every value that comes from
//! the data escaped so no tag value, resource id or account name can break a table.

use std::fmt::Write as _;

use super::model::*;
use crate::render::{escape_md_cell as esc, money_2dp as money};

fn pct(p: Option<f64>) -> String {
    p.map_or_else(|| "n/a".to_string(), |p| format!("{p:+.1}%"))
}

fn signed(v: f64) -> String {
    if v >= 0.005 {
        format!("+{}", money(v))
    } else {
        money(v)
    }
}

/// `▁▂▃▄▅▆▇█` scaled between the series' minimum and maximum.
pub fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(*v), h.max(*v))
        });
    values
        .iter()
        .map(|v| {
            if hi - lo < 1e-9 {
                BARS[3]
            } else {
                BARS[(((v - lo) / (hi - lo)) * 7.0).round() as usize]
            }
        })
        .collect()
}

pub fn render(m: &ReportModel) -> String {
    let mut out = String::new();
    let c = &m.currency;
    let _ = writeln!(
        out,
        "# Weekly cost report {} ({} to {})\n",
        m.week, m.week_start, m.week_end
    );
    let _ = writeln!(
        out,
        "Metric: **{}** cost in {c}. Data from {} to {}. Amounts are rounded to cents.\n",
        m.metric, m.data_first_day, m.data_last_day
    );
    summary(&mut out, m);
    budgets(&mut out, m);
    movers(&mut out, m);
    ec2_other(&mut out, m);
    allocation(&mut out, m);
    anomalies(&mut out, m);
    proposals(&mut out, m);
    commitments(&mut out, m);
    data_quality(&mut out, m);
    manifest(&mut out, m);
    out
}

fn summary(out: &mut String, m: &ReportModel) {
    let s = &m.summary;
    let f = &s.forecast;
    let _ = writeln!(out, "## 1. Summary\n");
    let _ = writeln!(out, "| | {} |\n|---|---:|", m.currency);
    let _ = writeln!(out, "| Week {} | {} |", m.week, money(s.week_total));
    let _ = writeln!(
        out,
        "| Previous week | {} ({} change) |",
        money(s.previous_week),
        pct(s.change_vs_previous_pct)
    );
    match s.four_weeks_ago {
        Some(v) => {
            let _ = writeln!(
                out,
                "| Same week 4 weeks ago | {} ({} change) |",
                money(v),
                pct(s.change_vs_four_weeks_pct)
            );
        }
        None => {
            let _ = writeln!(out, "| Same week 4 weeks ago | not in the data |");
        }
    }
    let _ = writeln!(
        out,
        "| {} month to date | {} |",
        s.month,
        money(s.month_to_date)
    );
    let _ = writeln!(
        out,
        "| {} month-end forecast | {} (range {} – {}) |\n",
        s.month,
        money(f.month_end_expected),
        money(f.month_end_low),
        money(f.month_end_high)
    );
    let _ = writeln!(out, "Forecast method: {}.\n", f.method);
    let _ = writeln!(
        out,
        "![Daily cost with the seasonal baseline band; anomalous days in red]({})\n\n![Weekly cost by service]({})\n",
        super::chart_name(&m.week, "daily"),
        super::chart_name(&m.week, "services")
    );
    let values: Vec<f64> = m.daily.iter().map(|d| d.cost).collect();
    let _ = writeln!(
        out,
        "Daily cost, {} to {}: `{}` (low {}, high {})\n",
        m.daily.first().map_or("", |d| d.day.as_str()),
        m.daily.last().map_or("", |d| d.day.as_str()),
        sparkline(&values),
        money(values.iter().copied().fold(f64::INFINITY, f64::min)),
        money(values.iter().copied().fold(f64::NEG_INFINITY, f64::max))
    );
}

fn budgets(out: &mut String, m: &ReportModel) {
    let _ = writeln!(out, "## 2. Budgets\n");
    if m.budgets.is_empty() {
        let _ = writeln!(
            out,
            "No budgets configured (add `[[budgets]]` to the configuration).\n"
        );
        return;
    }
    let _ = writeln!(
        out,
        "| budget | scope | monthly amount | month to date | forecast | thresholds | runs out on |\n|---|---|---:|---:|---:|---|---|"
    );
    for b in &m.budgets {
        let thresholds: Vec<String> = b
            .thresholds
            .iter()
            .map(|t| {
                format!(
                    "{:.0}% ({}): {}",
                    100.0 * t.share,
                    money(t.amount),
                    t.status
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            esc(&b.name),
            esc(&b.scope),
            money(b.amount),
            money(b.month_to_date),
            money(b.forecast),
            thresholds.join("; "),
            b.runs_out_on.as_deref().unwrap_or("not this month")
        );
    }
    let _ = writeln!(out);
}

fn mover_table(out: &mut String, label: &str, rows: &[Mover]) {
    let _ = writeln!(
        out,
        "| {label} | this week | previous week | change | price effect | volume effect | mix effect |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            esc(&r.key),
            money(r.this_week),
            money(r.previous_week),
            signed(r.change),
            signed(r.price_effect),
            signed(r.volume_effect),
            signed(r.mix_effect)
        );
    }
    let _ = writeln!(out);
}

fn movers(out: &mut String, m: &ReportModel) {
    let _ = writeln!(out, "## 3. Where the money went\n");
    let _ = writeln!(
        out,
        "Each change is split by usage type: price = (rate now − rate before) × quantity now; volume = (quantity now − quantity before) × rate before; mix = usage types billed in only one of the two weeks. The three add up to the change.\n"
    );
    for t in &m.movers {
        let _ = writeln!(out, "### By {}\n", t.dimension);
        mover_table(out, &t.dimension, &t.rows);
    }
}

fn ec2_other(out: &mut String, m: &ReportModel) {
    let _ = writeln!(out, "## 4. EC2-Other by usage type\n");
    if m.ec2_other.is_empty() {
        let _ = writeln!(out, "No EC2-Other cost in these two weeks.\n");
        return;
    }
    let total: f64 = m.ec2_other.iter().map(|r| r.this_week).sum();
    let _ = writeln!(
        out,
        "EC2-Other this week: {} {} (EBS, snapshots, NAT gateways, Elastic IPs, data transfer).\n",
        money(total),
        m.currency
    );
    mover_table(out, "usage type", &m.ec2_other);
}

fn allocation(out: &mut String, m: &ReportModel) {
    let _ = writeln!(out, "## 5. Cost allocation\n");
    if m.allocation.is_empty() {
        let _ = writeln!(out, "No configured tag key is present in the data.\n");
    }
    for a in &m.allocation {
        let _ = writeln!(out, "### Tag `{}`\n", esc(&a.key));
        let _ = writeln!(out, "| value | this week |\n|---|---:|");
        for (v, cost) in a.values.iter().take(10) {
            let _ = writeln!(out, "| {} | {} |", esc(v), money(*cost));
        }
        if a.values.len() > 10 {
            let rest: f64 = a.values.iter().skip(10).map(|(_, c)| c).sum();
            let _ = writeln!(
                out,
                "| {} more values | {} |",
                a.values.len() - 10,
                money(rest)
            );
        }
        let _ = writeln!(out, "| (untagged) | {} |\n", money(a.untagged));
        let _ = writeln!(out, "Untagged share: {:.1}%.", 100.0 * a.untagged_share);
        if !a.new_values.is_empty() {
            let values: Vec<String> = a
                .new_values
                .iter()
                .map(|v| format!("`{}`", esc(v)))
                .collect();
            let _ = writeln!(out, " New values this week: {}.", values.join(", "));
        }
        let _ = writeln!(out);
    }
}

fn anomalies(out: &mut String, m: &ReportModel) {
    let _ = writeln!(out, "## 6. Anomalies and new spend\n");
    if m.anomalies.is_empty() {
        let _ = writeln!(out, "No anomalies this week.\n");
    } else {
        let _ = writeln!(
            out,
            "| kind | days | series | expected | actual | impact | top root cause |\n|---|---|---|---:|---:|---:|---|"
        );
        for a in &m.anomalies {
            let days = if a.first_day == a.last_day {
                a.first_day.clone()
            } else {
                format!("{} – {}", a.first_day, a.last_day)
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} ({}) | {} |",
                a.kind.label(),
                days,
                esc(&crate::anomaly::render::series_with_parts(a)),
                money(a.expected),
                money(a.actual),
                signed(a.impact),
                pct(a.impact_pct),
                esc(&crate::anomaly::render::top_cause(a))
            );
        }
        let _ = writeln!(out);
    }
    if !m.lifecycle.is_empty() {
        let _ = writeln!(
            out,
            "Resources that started or stopped (not anomalies, listed for review):\n"
        );
        for a in &m.lifecycle {
            let _ = writeln!(
                out,
                "- {} from {}: {} — {}",
                esc(&a.series),
                a.first_day,
                signed(a.impact),
                esc(&crate::anomaly::render::top_cause(a))
            );
        }
        let _ = writeln!(out);
    }
    if !m.first_seen.is_empty() {
        let _ = writeln!(out, "First seen this week:\n");
        for f in &m.first_seen {
            let _ = writeln!(
                out,
                "- {} `{}` from {} ({} this week)",
                f.dimension,
                esc(&f.value),
                f.first_day,
                money(f.week_cost)
            );
        }
        let _ = writeln!(out);
    }
}

fn proposals(out: &mut String, m: &ReportModel) {
    let p = &m.proposals;
    let _ = writeln!(out, "## 7. Optimization proposals\n");
    let _ = writeln!(
        out,
        "{} proposals; expected savings **{} a month**, combined per resource (not added; a commitment to buy counts only for the compute spend the other proposals leave). Monthly figures are the {:.0}-day analysed period scaled to a month.\n",
        p.count,
        money(p.total_monthly_savings),
        p.period_days
    );
    if !p.top.is_empty() {
        let _ = writeln!(
            out,
            "| # | action | now / month | saves / month (low – high) | confidence | effort | formula |\n|---:|---|---:|---:|---|---|---|"
        );
        for (i, x) in p.top.iter().enumerate() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} ({} – {}) | {:?} | {:?} | {} |",
                i + 1,
                esc(&x.action),
                money(x.monthly_cost),
                money(x.savings.expected),
                money(x.savings.low),
                money(x.savings.high),
                x.confidence,
                x.effort,
                esc(&x.formula)
            );
        }
        if p.count > p.top.len() {
            let _ = writeln!(out, "\nThe {} largest are listed.", p.top.len());
        }
        let _ = writeln!(out);
    }
    for n in &p.not_evaluated {
        let _ = writeln!(out, "- {}", esc(n));
    }
    if !p.not_evaluated.is_empty() {
        let _ = writeln!(out);
    }
}

fn commitments(out: &mut String, m: &ReportModel) {
    let c = &m.commitments;
    let _ = writeln!(out, "## 8. Commitments\n");
    let _ = writeln!(out, "| | this week |\n|---|---:|");
    let _ = writeln!(
        out,
        "| Savings Plans commitment | {} |",
        money(c.savings_plan_commitment)
    );
    let _ = writeln!(
        out,
        "| Savings Plans used | {} ({}) |",
        money(c.savings_plan_used),
        c.savings_plan_utilization_pct
            .map_or("n/a".into(), |p| format!("{p:.1}% utilization"))
    );
    let _ = writeln!(
        out,
        "| Eligible compute covered by Savings Plans (on-demand equivalent) | {} of {} ({}) |",
        money(c.savings_plan_covered_on_demand_equivalent),
        money(c.savings_plan_covered_on_demand_equivalent + c.eligible_on_demand),
        c.savings_plan_coverage_pct
            .map_or("n/a".into(), |p| format!("{p:.1}% coverage"))
    );
    let _ = writeln!(
        out,
        "| Reserved Instance fees | {} ({} unused; {}) |\n",
        money(c.reserved_instance_fees),
        money(c.reserved_instance_unused),
        c.reserved_instance_utilization_pct
            .map_or("n/a".into(), |p| format!("{p:.1}% utilization"))
    );
}

fn data_quality(out: &mut String, m: &ReportModel) {
    let _ = writeln!(out, "## 9. Data quality\n");
    if m.data_quality.is_empty() {
        let _ = writeln!(out, "No findings.\n");
        return;
    }
    for d in &m.data_quality {
        let _ = writeln!(out, "- {}", esc(d));
    }
    let _ = writeln!(out);
}

fn manifest(out: &mut String, m: &ReportModel) {
    let _ = writeln!(out, "## 10. Run manifest\n");
    let _ = writeln!(out, "curlens {}\n", m.manifest.curlens_version);
    let _ = writeln!(
        out,
        "| file | format | rows | bytes | sha256 |\n|---|---|---:|---:|---|"
    );
    for f in &m.manifest.files {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | `{}` |",
            esc(&f.path),
            esc(&f.format),
            f.rows,
            f.size_bytes,
            f.sha256
        );
    }
    let _ = writeln!(
        out,
        "\nConfiguration used:\n\n```toml\n{}\n```",
        m.manifest.config.trim_end()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_between_min_and_max() {
        assert_eq!(sparkline(&[0.0, 7.0, 3.5]), "▁█▅");
        assert_eq!(sparkline(&[2.0, 2.0]), "▄▄");
    }
}

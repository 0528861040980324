//! Anomalies as a terminal table or Markdown.

use std::fmt::Write as _;

use super::{Anomaly, Detection};
use crate::render::{escape_md_cell, money_2dp};

fn pct(p: Option<f64>) -> String {
    p.map_or_else(|| "n/a".to_string(), |p| format!("{p:+.1}%"))
}

fn days(a: &Anomaly) -> String {
    if a.first_day == a.last_day {
        a.first_day.clone()
    } else {
        format!("{} .. {}", a.first_day, a.last_day)
    }
}

/// The top root cause, in a few words.
pub fn top_cause(a: &Anomaly) -> String {
    a.root_cause
        .first()
        .map(|c| {
            let mut parts = vec![c.usage_type.clone()];
            if !c.resource.is_empty() && c.resource != "(none)" {
                parts.push(c.resource.clone());
            }
            format!(
                "{} ({} {})",
                parts.join(" "),
                money_2dp(c.delta),
                a.currency
            )
        })
        .unwrap_or_default()
}

pub fn table(d: &Detection) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} anomalies in {} series ({} series-days scored, {} to {}, metric {}, method {:?})",
        d.anomalies.len(),
        d.series_scored,
        d.series_days_scored,
        d.first_day,
        d.last_day,
        d.metric,
        d.method
    );
    for (i, a) in d.anomalies.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n{:>2}. {} {} on {}\n    {}: expected {} actual {} impact {} {} ({}), score {:.1}",
            i + 1,
            a.kind.label(),
            days(a),
            a.series,
            a.level.name(),
            money_2dp(a.expected),
            money_2dp(a.actual),
            money_2dp(a.impact),
            a.currency,
            pct(a.impact_pct),
            a.score
        );
        if !a.parents.is_empty() {
            let _ = writeln!(out, "    also seen in: {}", a.parents.join("; "));
        }
        if !a.parts.is_empty() {
            let _ = writeln!(out, "    includes: {}", a.parts.join("; "));
        }
        if let Some(lines) = &a.like_for_like {
            let _ = writeln!(
                out,
                "    like for like: the lines billed from {} to {} (resources starting or \
                 stopping hide it in the series' own cost)",
                lines.from, lines.to
            );
        }
        for c in &a.root_cause {
            let _ = writeln!(
                out,
                "    {:>12} {:>6.1}%  {} {} {} {}",
                money_2dp(c.delta),
                100.0 * c.share,
                c.usage_type,
                c.region,
                c.operation,
                c.resource
            );
        }
    }
    if !d.lifecycle.is_empty() {
        let _ = writeln!(
            out,
            "\nresources that started or stopped (listed apart from anomalies):"
        );
        for a in &d.lifecycle {
            let _ = writeln!(
                out,
                "    {} on {}: {} {} — {}",
                days(a),
                a.series,
                money_2dp(a.impact),
                a.currency,
                top_cause(a)
            );
        }
    }
    notes(&mut out, d, "\n");
    out
}

/// The series of an anomaly, with how many finer series moved with it when some did:
/// `service=AmazonRDS (with 7 finer series)`. A change measured like for like says so:
/// `service=AWSDataTransfer (like for like)`.
pub fn series_with_parts(a: &Anomaly) -> String {
    let series = match a.parts.len() {
        0 => a.series.clone(),
        n => format!("{} (with {n} finer series)", a.series),
    };
    match a.like_for_like {
        Some(_) => format!("{series} (like for like)"),
        None => series,
    }
}

fn notes(out: &mut String, d: &Detection, lead: &str) {
    for s in &d.skipped {
        let _ = writeln!(
            out,
            "{lead}skipped {} series: {} (e.g. {})",
            s.series,
            s.reason,
            s.examples.join("; ")
        );
    }
    for n in &d.notes {
        let _ = writeln!(out, "{lead}note: {n}");
    }
}

pub fn markdown(d: &Detection) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| # | kind | days | series | expected | actual | impact | % | score | top cause |\n|---:|---|---|---|---:|---:|---:|---:|---:|---|"
    );
    for (i, a) in d.anomalies.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {} |",
            i + 1,
            a.kind.label(),
            days(a),
            escape_md_cell(&series_with_parts(a)),
            money_2dp(a.expected),
            money_2dp(a.actual),
            money_2dp(a.impact),
            pct(a.impact_pct),
            a.score,
            escape_md_cell(&top_cause(a))
        );
    }
    notes(&mut out, d, "\n- ");
    out
}

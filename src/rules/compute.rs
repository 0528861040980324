//! Instances: previous-generation families, and non-production instances that never stop.

use super::{Context, Level, Proposal, Resource, Rule, proposal};

/// Previous-generation family → current successor, and the successor's on-demand price as
/// a share of the old one (us-east-1, Linux, same size).
pub const SUCCESSORS: &[(&str, &str, f64)] = &[
    ("m3", "m5", 0.72),
    ("m4", "m5", 0.96),
    ("c3", "c5", 0.81),
    ("c4", "c5", 0.85),
    ("r3", "r5", 0.76),
    ("r4", "r5", 0.947),
    ("t2", "t3", 0.897),
    ("i2", "i3", 0.37),
    ("db.m4", "db.m5", 0.94),
    ("db.r4", "db.r5", 0.96),
    ("db.t2", "db.t3", 0.94),
];

/// Usage types of instance hours (EC2 and RDS).
pub(crate) fn instance_lines(r: &Resource) -> impl Iterator<Item = &super::resources::UsageLine> {
    r.lines
        .iter()
        .filter(|l| l.usage_type.contains("BoxUsage") || l.usage_type.contains("InstanceUsage"))
}

pub(crate) fn family(instance_type: &str) -> &str {
    instance_type
        .rsplit_once('.')
        .map_or(instance_type, |(f, _)| f)
}

/// Instances of a previous-generation family.
pub struct PreviousGeneration;

impl Rule for PreviousGeneration {
    fn id(&self) -> &'static str {
        "previous-generation"
    }
    fn title(&self) -> &'static str {
        "Move previous-generation instances to the current generation"
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        ctx.resources
            .iter()
            .filter_map(|r| {
                let line = instance_lines(r).find(|l| l.instance_type.is_some())?;
                let instance_type = line.instance_type.as_deref()?;
                let (old, new, ratio) = SUCCESSORS.iter().find(|(old, _, _)| family(instance_type) == *old)?;
                let instance_cost: f64 = instance_lines(r).map(|l| l.cost).sum();
                let share = if r.cost() > 0.0 { instance_cost / r.cost() * (1.0 - ratio) } else { 0.0 };
                Some(proposal(
                    self,
                    format!("Move {} from {instance_type} to {new}{}", r.id, &instance_type[old.len()..]),
                    &[r],
                    ctx.period,
                    (share * 0.8, share, share),
                    format!("savings = instance-hour cost × (1 − {ratio}) ({old} → {new} on-demand price ratio)"),
                    vec![("price ratio".into(), format!("{new}/{old} = {ratio}"))],
                    (Level::High, Level::Medium),
                ))
            })
            .collect()
    }
}

/// Non-production instances (by Environment tag) billed nearly every hour of their life,
/// nights and weekends included: a 12-hours-a-day, 5-days-a-week schedule would stop them
/// for the rest.
pub struct AlwaysOnNonProduction;

impl Rule for AlwaysOnNonProduction {
    fn id(&self) -> &'static str {
        "always-on-non-production"
    }
    fn title(&self) -> &'static str {
        "Stop non-production instances outside working hours"
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        let c = ctx.constants;
        let running_share = c.scheduled_hours_per_week / 168.0;
        ctx.resources
            .iter()
            .filter(|r| {
                r.tag("Environment")
                    .is_some_and(|env| c.non_production.iter().any(|n| n.eq_ignore_ascii_case(env)))
            })
            .filter_map(|r| {
                let hours = instance_lines(r).map(|l| l.hours).max()? as f64;
                let lifetime = 24.0 * (r.last_day - r.first_day + 1) as f64;
                (hours >= c.always_on_share * lifetime).then(|| {
                    let instance_cost: f64 = instance_lines(r).map(|l| l.cost).sum();
                    let share = if r.cost() > 0.0 { instance_cost / r.cost() * (1.0 - running_share) } else { 0.0 };
                    proposal(
                        self,
                        format!(
                            "Schedule {} ({}) to run {} hours a week instead of {hours:.0} of {lifetime:.0} hours",
                            r.id,
                            r.tag("Environment").unwrap_or_default(),
                            c.scheduled_hours_per_week
                        ),
                        &[r],
                        ctx.period,
                        (share * 0.75, share, share),
                        format!("savings = instance cost × (1 − {} / 168)", c.scheduled_hours_per_week),
                        vec![
                            ("schedule".into(), "12 h a day, Monday to Friday".into()),
                            ("always-on threshold".into(), format!("{:.0}% of hours", 100.0 * c.always_on_share)),
                        ],
                        (Level::Medium, Level::Low),
                    )
                })
            })
            .collect()
    }
}

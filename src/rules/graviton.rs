//! Graviton candidates: Linux EC2 instances and open-source-engine RDS instances of an x86
//! family that has an Arm (Graviton) equivalent at a lower on-demand price.

use super::compute::{family, instance_lines};
use super::resources::UsageLine;
use super::{Context, Level, Proposal, Resource, Rule, proposal};

/// x86 family → Graviton family, and the Graviton on-demand price as a share of the x86 one
/// (us-east-1, Linux or MySQL, same size, `large`). For previous-generation families the
/// share is taken against their current successor (m4 → m5 → m7g), so that with the
/// previous-generation proposal on the same instance the combined saving is the whole move.
pub const GRAVITON: &[(&str, &str, f64)] = &[
    // m7g.large $0.0816 / m5.large $0.096; m6i.large $0.096.
    ("m5", "m7g", 0.85),
    ("m6i", "m7g", 0.85),
    ("m4", "m7g", 0.85),
    // c7g.large $0.0725 / c5.large $0.085; c6i.large $0.085.
    ("c5", "c7g", 0.853),
    ("c6i", "c7g", 0.853),
    ("c4", "c7g", 0.853),
    // r7g.large $0.1071 / r5.large $0.126; r6i.large $0.126.
    ("r5", "r7g", 0.85),
    ("r6i", "r7g", 0.85),
    ("r4", "r7g", 0.85),
    // t4g.medium $0.0336 / t3.medium $0.0416.
    ("t3", "t4g", 0.808),
    ("t2", "t4g", 0.808),
    // db.m6g.large $0.152 / db.m5.large $0.171 (MySQL); db.m6i.large $0.171.
    ("db.m5", "db.m6g", 0.889),
    ("db.m6i", "db.m6g", 0.889),
    ("db.m4", "db.m6g", 0.889),
    // db.r6g.large $0.225 / db.r5.large $0.25.
    ("db.r5", "db.r6g", 0.9),
    ("db.r6i", "db.r6g", 0.9),
    ("db.r4", "db.r6g", 0.9),
    // db.t4g.medium $0.065 / db.t3.medium $0.068.
    ("db.t3", "db.t4g", 0.956),
    ("db.t2", "db.t4g", 0.956),
];

/// Operations that run on Graviton: EC2 Linux/UNIX, RDS MySQL, PostgreSQL, Aurora MySQL,
/// MariaDB, Aurora PostgreSQL. Windows, SQL Server and Oracle do not.
fn arm_capable(operation: &str) -> bool {
    operation.is_empty()
        || matches!(
            operation,
            "RunInstances"
                | "CreateDBInstance:0002"
                | "CreateDBInstance:0014"
                | "CreateDBInstance:0016"
                | "CreateDBInstance:0018"
                | "CreateDBInstance:0021"
        )
}

/// Instance lines a move to Graviton would re-price: on-demand or Savings Plan covered
/// (a reservation is bound to its family), of an operation Graviton runs.
fn movable(l: &UsageLine) -> bool {
    matches!(
        l.line_item_type.as_str(),
        "Usage" | "SavingsPlanCoveredUsage"
    ) && arm_capable(&l.operation)
}

/// The resource's x86 instance type with its table entry.
fn candidate(r: &Resource) -> Option<(&str, &'static (&'static str, &'static str, f64))> {
    let instance_type = instance_lines(r)
        .filter(|l| movable(l))
        .find_map(|l| l.instance_type.as_deref())?;
    let entry = GRAVITON
        .iter()
        .find(|(x86, _, _)| family(instance_type) == *x86)?;
    Some((instance_type, entry))
}

pub struct Graviton;

impl Rule for Graviton {
    fn id(&self) -> &'static str {
        "graviton"
    }
    fn title(&self) -> &'static str {
        "Move x86 instances to Graviton (Arm)"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["resource_id", "usage_type", "instance_type"]
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        let margin = ctx.constants.graviton_ratio_margin;
        ctx.resources
            .iter()
            .filter_map(|r| {
                let (instance_type, (x86, arm, ratio)) = candidate(r)?;
                let cost: f64 = instance_lines(r)
                    .filter(|l| movable(l))
                    .map(|l| l.cost)
                    .collect::<crate::money::CompensatedSum>()
                    .value();
                let share = r.share(cost);
                let size = &instance_type[x86.len()..];
                let low = share * (1.0 - (ratio + margin).min(1.0));
                let high = share * (1.0 - (ratio - margin).max(0.0));
                let how = if x86.starts_with("db.") {
                    "modify the instance class; the engine runs on Arm"
                } else {
                    "Arm: rebuild or check the software for arm64"
                };
                Some(proposal(
                    self,
                    format!("Move {} from {instance_type} to {arm}{size} ({how})", r.id),
                    &[r],
                    ctx.period,
                    (low, share * (1.0 - ratio), high),
                    format!(
                        "savings = instance-hour cost {cost:.2} × (1 − {ratio}) ({arm}/{x86} on-demand price ratio); low/high use {ratio} ± {margin}"
                    ),
                    vec![
                        ("price ratio".into(), format!("{arm}/{x86} = {ratio}")),
                        ("ratio margin".into(), margin.to_string()),
                    ],
                    (Level::Medium, Level::Medium),
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use super::super::{Constants, Series, combined_savings, compute};
    use super::*;

    fn instance(id: &str, itype: &str, operation: &str, ty: &str, cost: f64) -> Resource {
        let mut l = line(
            "AmazonEC2",
            &format!("USE1-BoxUsage:{itype}"),
            720.0,
            cost,
            720,
        );
        l.instance_type = Some(itype.into());
        l.operation = operation.into();
        l.line_item_type = ty.into();
        resource(id, vec![l], 0, 29)
    }

    #[test]
    fn linux_x86_instances_get_the_table_ratio_and_others_nothing() {
        let resources = [
            instance("i-m5", "m5.xlarge", "RunInstances", "Usage", 100.0),
            instance("i-win", "m5.xlarge", "RunInstances:0002", "Usage", 100.0),
            instance("i-ri", "m5.xlarge", "RunInstances", "DiscountedUsage", 0.0),
            instance("i-arm", "m7g.xlarge", "RunInstances", "Usage", 100.0),
        ];
        let c = Constants::default();
        let found = with_context(&resources, &Series::default(), &c, |ctx| {
            Graviton.evaluate(ctx)
        });
        assert_eq!(found.len(), 1, "{found:?}");
        let p = &found[0];
        assert_eq!(p.resources[0].resource_id, "i-m5");
        assert!(p.action.contains("to m7g.xlarge"), "{}", p.action);
        let monthly = 100.0 * 30.4375 / 30.0;
        assert_close(p.savings.expected, monthly * 0.15);
        assert_close(p.savings.low, monthly * 0.10);
        assert_close(p.savings.high, monthly * 0.20);
    }

    #[test]
    fn previous_generation_and_graviton_combine_into_the_whole_move() {
        let resources = [instance("i-m4", "m4.large", "RunInstances", "Usage", 100.0)];
        let c = Constants::default();
        let mut all = with_context(&resources, &Series::default(), &c, |ctx| {
            compute::PreviousGeneration.evaluate(ctx)
        });
        let graviton = with_context(&resources, &Series::default(), &c, |ctx| {
            Graviton.evaluate(ctx)
        });
        assert_eq!((all.len(), graviton.len()), (1, 1));
        all.extend(graviton);
        let monthly = 100.0 * 30.4375 / 30.0;
        // m4 → m5 keeps 0.96 of the price, m5 → m7g 0.85 of that.
        assert_close(combined_savings(&all), monthly * (1.0 - 0.96 * 0.85));
        let added: f64 = all.iter().map(|p| p.savings.expected).sum();
        assert!(combined_savings(&all) < added);
    }
}

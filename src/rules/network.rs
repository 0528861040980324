//! Network resources billed while idle: Elastic IPs not attached, NAT gateways that
//! processed no bytes, load balancers with (almost) no capacity units.

use super::{Context, Level, Proposal, Rule, proposal};

/// Elastic IPs billed as `ElasticIP:IdleAddress`: allocated, not attached.
pub struct IdleElasticIp;

impl Rule for IdleElasticIp {
    fn id(&self) -> &'static str {
        "idle-elastic-ip"
    }
    fn title(&self) -> &'static str {
        "Release idle Elastic IP addresses"
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        ctx.resources
            .iter()
            .filter(|r| r.has("ElasticIP:IdleAddress"))
            .map(|r| {
                let hours: f64 = r.lines_with("ElasticIP:IdleAddress").map(|l| l.usage).sum();
                proposal(
                    self,
                    format!("Release {} ({hours:.0} idle address-hours in {:.0} days)", r.id, ctx.period.days()),
                    &[r],
                    ctx.period,
                    (1.0, 1.0, 1.0),
                    "savings = cost of ElasticIP:IdleAddress hours over the period × 30.4375 / days".to_string(),
                    vec![("price".into(), "$0.005 per idle address-hour (us-east-1)".into())],
                    (Level::High, Level::Low),
                )
            })
            .collect()
    }
}

/// Public IPv4 addresses billed as `PublicIPv4:IdleAddress`: allocated, not attached.
pub struct IdlePublicIpv4;

impl Rule for IdlePublicIpv4 {
    fn id(&self) -> &'static str {
        "idle-public-ipv4"
    }
    fn title(&self) -> &'static str {
        "Release idle public IPv4 addresses"
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        ctx.resources
            .iter()
            .filter(|r| r.has("PublicIPv4:IdleAddress"))
            .map(|r| {
                let hours: f64 = r.lines_with("PublicIPv4:IdleAddress").map(|l| l.usage).sum();
                let idle_cost: f64 = r.lines_with("PublicIPv4:IdleAddress").map(|l| l.cost).sum();
                let share = if r.cost() > 0.0 { idle_cost / r.cost() } else { 0.0 };
                proposal(
                    self,
                    format!("Release {} ({hours:.0} idle address-hours in {:.0} days)", r.id, ctx.period.days()),
                    &[r],
                    ctx.period,
                    (share, share, share),
                    "savings = cost of PublicIPv4:IdleAddress hours over the period × 30.4375 / days".to_string(),
                    vec![("price".into(), "$0.005 per idle public IPv4 address-hour".into())],
                    (Level::High, Level::Low),
                )
            })
            .collect()
    }
}

/// NAT gateways billed for hours with no `NatGateway-Bytes` usage.
pub struct IdleNatGateway;

impl Rule for IdleNatGateway {
    fn id(&self) -> &'static str {
        "idle-nat-gateway"
    }
    fn title(&self) -> &'static str {
        "Delete idle NAT gateways"
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        ctx.resources
            .iter()
            .filter(|r| r.has("NatGateway-Hours"))
            .filter(|r| r.lines_with("NatGateway-Bytes").map(|l| l.usage).sum::<f64>() <= 0.0)
            .map(|r| {
                let hours: f64 = r.lines_with("NatGateway-Hours").map(|l| l.usage).sum();
                proposal(
                    self,
                    format!("Delete {} ({hours:.0} hours billed, 0 GB processed)", r.id),
                    &[r],
                    ctx.period,
                    (1.0, 1.0, 1.0),
                    "savings = NatGateway-Hours cost over the period × 30.4375 / days (no bytes processed)".into(),
                    vec![("price".into(), "$0.045 per NAT gateway-hour (us-east-1)".into())],
                    (Level::High, Level::Low),
                )
            })
            .collect()
    }
}

/// Load balancers billed for hours with (almost) no LCU usage.
pub struct IdleLoadBalancer;

impl Rule for IdleLoadBalancer {
    fn id(&self) -> &'static str {
        "idle-load-balancer"
    }
    fn title(&self) -> &'static str {
        "Delete idle load balancers"
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        let limit = ctx.constants.idle_lcu_per_hour;
        ctx.resources
            .iter()
            .filter(|r| r.has("LoadBalancerUsage"))
            .filter_map(|r| {
                let hours: f64 = r.lines_with("LoadBalancerUsage").map(|l| l.usage).sum();
                let lcu: f64 = r.lines_with("LCUUsage").map(|l| l.usage).sum();
                (hours > 0.0 && lcu / hours <= limit).then(|| {
                    proposal(
                        self,
                        format!("Delete {} ({hours:.0} hours billed, {lcu:.2} LCU-hours)", r.id),
                        &[r],
                        ctx.period,
                        (1.0, 1.0, 1.0),
                        format!("LCU-hours / hours = {:.4} ≤ {limit}; savings = load balancer cost × 30.4375 / days", lcu / hours),
                        vec![("idle LCU per hour".into(), limit.to_string())],
                        (Level::Medium, Level::Low),
                    )
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::resources::{Period, Resource, UsageLine};
    use super::super::{Constants, Context};
    use super::*;

    fn line(usage_type: &str, usage: f64, cost: f64) -> UsageLine {
        UsageLine {
            usage_type: usage_type.into(),
            operation: String::new(),
            service: "AmazonVPC".into(),
            instance_type: None,
            line_item_type: "Usage".into(),
            cost,
            usage,
            hours: usage as u64,
            first_day: 0,
            last_day: 29,
        }
    }

    #[test]
    fn idle_public_ipv4_saves_only_the_idle_hours() {
        let r = Resource {
            id: "eipalloc-1".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
            tags: Default::default(),
            lines: vec![
                line("USE1-PublicIPv4:IdleAddress", 240.0, 1.2),
                line("USE1-PublicIPv4:InUseAddress", 480.0, 2.4),
            ],
            first_day: 0,
            last_day: 29,
        };
        let constants = Constants::default();
        let columns = vec!["resource_id".to_string(), "usage_type".to_string()];
        let resources = [r];
        let ctx = Context {
            resources: &resources,
            period: Period {
                first_day: 0,
                last_day: 29,
            },
            constants: &constants,
            columns: &columns,
            series: &Default::default(),
        };
        let found = IdlePublicIpv4.evaluate(&ctx);
        assert_eq!(found.len(), 1);
        let monthly_idle = 1.2 * 30.4375 / 30.0;
        assert!(
            (found[0].savings.expected - monthly_idle).abs() < 1e-12,
            "{:?}",
            found[0].savings
        );
        assert!(IdleElasticIp.evaluate(&ctx).is_empty());
    }
}

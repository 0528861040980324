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

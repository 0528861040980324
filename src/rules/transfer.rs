//! Data movement: NAT gateways processing enough bytes that free S3 and DynamoDB gateway
//! endpoints would pay, and resources carrying a large share of the organisation's
//! inter-AZ or internet transfer.

use super::{Context, Level, Proposal, Resource, Rule, proposal};
use crate::money::CompensatedSum;

const NAT_BYTES: &str = "NatGateway-Bytes";

/// NAT gateways whose processed bytes (`NatGateway-Bytes`, $0.045 per GB) reach the
/// threshold: the share bound for S3 and DynamoDB would cross free gateway endpoints.
pub struct NatGatewayEndpoints;

impl Rule for NatGatewayEndpoints {
    fn id(&self) -> &'static str {
        "nat-gateway-endpoints"
    }
    fn title(&self) -> &'static str {
        "Route S3 and DynamoDB traffic through gateway endpoints, not NAT gateways"
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        let c = ctx.constants;
        let [low, expected, high] = c.nat_endpoint_share;
        ctx.resources
            .iter()
            .filter(|r| r.has(NAT_BYTES))
            .filter_map(|r| {
                let gb_month = ctx.period.monthly(r.usage_of(NAT_BYTES));
                let share = r.share(r.cost_of(NAT_BYTES));
                (gb_month >= c.nat_endpoint_min_gb_month && share > 0.0).then(|| {
                    proposal(
                        self,
                        format!(
                            "Add S3 and DynamoDB gateway endpoints to the VPC of {} ({gb_month:.0} GB a month processed)",
                            r.id
                        ),
                        &[r],
                        ctx.period,
                        (share * low, share * expected, share * high),
                        format!(
                            "savings = NatGateway-Bytes cost × share bound for S3/DynamoDB ({low}–{high}, expected {expected}); {gb_month:.0} GB a month ≥ {}",
                            c.nat_endpoint_min_gb_month
                        ),
                        vec![
                            ("share to S3/DynamoDB".into(), format!("{low} / {expected} / {high}")),
                            ("threshold".into(), format!("{} GB a month", c.nat_endpoint_min_gb_month)),
                            ("price".into(), "$0.045 per GB processed; gateway endpoints free".into()),
                        ],
                        (Level::Low, Level::Low),
                    )
                })
            })
            .collect()
    }
}

/// One kind of transfer the concentration rule looks at.
struct TransferKind {
    usage_type: &'static str,
    name: &'static str,
    action: &'static str,
    price: &'static str,
}

const KINDS: [TransferKind; 2] = [
    TransferKind {
        usage_type: "DataTransfer-Regional-Bytes",
        name: "inter-AZ",
        action: "keep its traffic in one availability zone (co-locate callers, zonal endpoints)",
        price: "$0.01 per GB in each direction",
    },
    TransferKind {
        usage_type: "DataTransfer-Out-Bytes",
        name: "internet",
        action: "serve its traffic through CloudFront and compress it",
        price: "$0.09 per GB (first 10 TB); origin to CloudFront free",
    },
];

/// Resources carrying at least a set share of all inter-AZ or of all internet transfer.
pub struct TransferConcentration;

impl TransferConcentration {
    fn evaluate_kind(&self, ctx: &Context, kind: &TransferKind) -> Vec<Proposal> {
        let c = ctx.constants;
        let total = ctx
            .resources
            .iter()
            .map(|r| r.usage_of(kind.usage_type))
            .collect::<CompensatedSum>()
            .value();
        if total <= 0.0 {
            return Vec::new();
        }
        let [low, expected, high] = if kind.name == "inter-AZ" {
            c.inter_az_saving
        } else {
            c.internet_saving
        };
        let mut top: Vec<(&Resource, f64)> = ctx
            .resources
            .iter()
            .map(|r| (r, r.usage_of(kind.usage_type)))
            .filter(|(_, gb)| *gb >= c.transfer_top_share * total && *gb > 0.0)
            .collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.id.cmp(&b.0.id)));
        top.into_iter()
            .map(|(r, gb)| {
                let share = r.share(r.cost_of(kind.usage_type));
                proposal(
                    self,
                    format!(
                        "{} carries {:.0}% of the {} transfer ({gb:.0} of {total:.0} GB): {}",
                        r.id,
                        100.0 * gb / total,
                        kind.name,
                        kind.action
                    ),
                    &[r],
                    ctx.period,
                    (share * low, share * expected, share * high),
                    format!(
                        "savings = {} cost × {low}–{high} (expected {expected}); an estimate: CUR does not say where the bytes go",
                        kind.usage_type
                    ),
                    vec![
                        ("reported share".into(), format!("≥ {} of all {} GB", c.transfer_top_share, kind.name)),
                        ("saving share".into(), format!("{low} / {expected} / {high}")),
                        ("price".into(), kind.price.into()),
                    ],
                    (Level::Low, Level::Medium),
                )
            })
            .collect()
    }
}

impl Rule for TransferConcentration {
    fn id(&self) -> &'static str {
        "data-transfer-concentration"
    }
    fn title(&self) -> &'static str {
        "Reduce inter-AZ and internet transfer where it concentrates"
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        KINDS
            .iter()
            .flat_map(|k| self.evaluate_kind(ctx, k))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use super::super::{Constants, Series};
    use super::*;

    #[test]
    fn heavy_nat_gateways_only() {
        let nat = |id: &str, gb: f64| {
            resource(
                id,
                vec![
                    line("AmazonEC2", "USE1-NatGateway-Hours", 720.0, 32.4, 720),
                    line("AmazonEC2", "USE1-NatGateway-Bytes", gb, gb * 0.045, 720),
                ],
                0,
                29,
            )
        };
        let resources = [nat("nat-heavy", 20_000.0), nat("nat-light", 5_000.0)];
        let found = with_context(
            &resources,
            &Series::default(),
            &Constants::default(),
            |ctx| NatGatewayEndpoints.evaluate(ctx),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].resources[0].resource_id, "nat-heavy");
        let monthly_bytes = 900.0 * 30.4375 / 30.0;
        assert_close(found[0].savings.expected, monthly_bytes * 0.5);
        assert_close(found[0].savings.low, monthly_bytes * 0.25);
        assert_close(found[0].savings.high, monthly_bytes * 0.75);
    }

    #[test]
    fn only_resources_above_the_share_of_each_kind() {
        let dt = |id: &str, az_gb: f64, out_gb: f64| {
            resource(
                id,
                vec![
                    line("AmazonEC2", "USE1-BoxUsage:m7g.large", 720.0, 60.0, 720),
                    line(
                        "AWSDataTransfer",
                        "USE1-DataTransfer-Regional-Bytes",
                        az_gb,
                        az_gb * 0.01,
                        720,
                    ),
                    line(
                        "AWSDataTransfer",
                        "USE1-DataTransfer-Out-Bytes",
                        out_gb,
                        out_gb * 0.09,
                        720,
                    ),
                ],
                0,
                29,
            )
        };
        // inter-AZ: 7000 of 10000 GB on i-a; internet: 500, 300, 200 of 1000 on a, b, c.
        let resources = [
            dt("i-a", 7_000.0, 500.0),
            dt("i-b", 2_000.0, 300.0),
            dt("i-c", 1_000.0, 200.0),
        ];
        let found = with_context(
            &resources,
            &Series::default(),
            &Constants::default(),
            |ctx| TransferConcentration.evaluate(ctx),
        );
        let got: Vec<(&str, bool)> = found
            .iter()
            .map(|p| {
                (
                    p.resources[0].resource_id.as_str(),
                    p.action.contains("inter-AZ"),
                )
            })
            .collect();
        assert_eq!(got, [("i-a", true), ("i-a", false), ("i-b", false)]);
        let m = 30.4375 / 30.0;
        assert_close(found[0].savings.expected, 70.0 * m * 0.5);
        assert_close(found[1].savings.expected, 45.0 * m * 0.2);
        assert_close(found[2].savings.low, 27.0 * m * 0.05);
    }
}

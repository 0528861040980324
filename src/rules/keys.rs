//! KMS keys billed their monthly key charge without a single request in the period.

use super::{Context, Level, Proposal, Rule, proposal};

pub struct UnusedKmsKeys;

impl Rule for UnusedKmsKeys {
    fn id(&self) -> &'static str {
        "kms-unused-keys"
    }
    fn title(&self) -> &'static str {
        "Schedule deletion of KMS keys nobody calls"
    }
    fn precondition(&self, ctx: &Context) -> Option<String> {
        let days = ctx.constants.kms_idle_days;
        (ctx.period.days() < days).then(|| {
            format!(
                "not evaluated: {days} days without requests need exports covering that long; these cover {:.0} days",
                ctx.period.days()
            )
        })
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        let days = ctx.constants.kms_idle_days;
        ctx.resources
            .iter()
            .filter(|r| r.has("KMS-Keys") && r.usage_of("KMS-Requests") <= 0.0)
            .filter(|r| {
                r.lines_with("KMS-Keys")
                    .any(|l| (l.last_day - l.first_day + 1) as f64 >= days)
            })
            .map(|r| {
                let share = r.share(r.cost_of("KMS-Keys"));
                proposal(
                    self,
                    format!(
                        "Disable {}, then schedule its deletion (no request in {:.0} days; anything it encrypted becomes unreadable)",
                        r.id,
                        ctx.period.days()
                    ),
                    &[r],
                    ctx.period,
                    (share, share, share),
                    "savings = KMS-Keys cost over the period × 30.4375 / days".into(),
                    vec![
                        ("idle days".into(), days.to_string()),
                        ("price".into(), "$1 per customer managed key a month".into()),
                    ],
                    (Level::Low, Level::Low),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use super::super::{Constants, Series};
    use super::*;

    #[test]
    fn keys_without_requests_for_the_idle_days() {
        let key = |id: &str, requests: f64, first: i64| {
            let mut fee = line("awskms", "USE1-KMS-Keys", 1.0, 0.98, 720);
            fee.first_day = first;
            let mut lines = vec![fee];
            if requests > 0.0 {
                lines.push(line(
                    "awskms",
                    "USE1-KMS-Requests",
                    requests,
                    requests * 3e-6,
                    10,
                ));
            }
            resource(id, lines, first, 29)
        };
        let resources = [
            key("unused", 0.0, 0),
            key("used", 10.0, 0),
            key("new", 0.0, 15),
        ];
        let found = with_context(
            &resources,
            &Series::default(),
            &Constants::default(),
            |ctx| UnusedKmsKeys.evaluate(ctx),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].resources[0].resource_id, "unused");
        assert_close(found[0].savings.expected, 0.98 * 30.4375 / 30.0);
        assert_close(found[0].resources[0].period_cost, 0.98);
    }
}

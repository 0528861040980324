//! Storage kept at the wrong price: S3 Standard buckets nobody requested for weeks, and
//! CloudWatch Logs groups whose storage rises day after day (no retention policy).

use super::{Context, Level, Proposal, Resource, Rule, proposal};

/// Standard storage: `TimedStorage-ByteHrs` exactly (IA, Intelligent-Tiering and Glacier
/// classes have their own suffixes).
fn s3_standard(r: &Resource) -> impl Iterator<Item = &super::resources::UsageLine> {
    r.lines
        .iter()
        .filter(|l| l.service == "AmazonS3" && l.usage_type.ends_with("TimedStorage-ByteHrs"))
}

/// S3 buckets billed for Standard storage with no request in the last `s3_idle_days`.
pub struct IdleS3Standard;

impl Rule for IdleS3Standard {
    fn id(&self) -> &'static str {
        "s3-standard-idle"
    }
    fn title(&self) -> &'static str {
        "Move S3 Standard storage nobody reads to an infrequent-access class"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["resource_id", "usage_type", "product_code"]
    }
    fn precondition(&self, ctx: &Context) -> Option<String> {
        let days = ctx.constants.s3_idle_days;
        (ctx.period.days() < days).then(|| {
            format!(
                "not evaluated: {days} days without requests need exports covering that long; these cover {:.0} days",
                ctx.period.days()
            )
        })
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        let c = ctx.constants;
        let idle_from = ctx.period.last_day - c.s3_idle_days.ceil() as i64;
        let (ia, archive) = (c.s3_infrequent_price_ratio, c.s3_archive_price_ratio);
        ctx.resources
            .iter()
            .filter_map(|r| {
                let storage: Vec<_> = s3_standard(r).collect();
                let still_billed = storage.iter().any(|l| l.last_day >= ctx.period.last_day - 1);
                let old_enough = storage.iter().any(|l| l.first_day <= idle_from);
                let last_request = r.lines_with("Requests-").map(|l| l.last_day).max();
                let idle = last_request.is_none_or(|d| d <= idle_from);
                if !(still_billed && old_enough && idle) {
                    return None;
                }
                let cost = storage.iter().map(|l| l.cost).collect::<crate::money::CompensatedSum>().value();
                let share = r.share(cost);
                let expected = share * (1.0 - ia);
                let since = last_request.map_or("in the data".to_string(), |d| {
                    format!("for {} days", ctx.period.last_day - d)
                });
                Some(proposal(
                    self,
                    format!("Move {} to S3 Intelligent-Tiering or Standard-IA (no requests {since})", r.id),
                    &[r],
                    ctx.period,
                    (expected * 0.5, expected, share * (1.0 - archive)),
                    format!(
                        "savings = Standard storage cost {cost:.2} × (1 − {ia:.3}); low = half (retrieval, minimum size and duration charges are not in CUR); high = × (1 − {archive:.3}) (Glacier Instant Retrieval)"
                    ),
                    vec![
                        ("idle days".into(), c.s3_idle_days.to_string()),
                        ("Standard-IA / Standard".into(), format!("{ia:.4} ($0.0125 / $0.023 per GB-month)")),
                        ("Glacier IR / Standard".into(), format!("{archive:.4} ($0.004 / $0.023 per GB-month)")),
                    ],
                    (Level::Medium, Level::Low),
                ))
            })
            .collect()
    }
}

/// How a log group's daily storage moved over its billed days.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Growth {
    pub first: f64,
    pub last: f64,
    pub mean: f64,
    /// Storage added a day: (last − first) / (days − 1).
    pub per_day: f64,
}

/// The growth of `daily` (zeros are days without a line) when it rises day after day: at
/// least 80% of the steps up, never emptied (see [`emptied`]), and `min_growth` overall.
/// Whether the storage fell more than 5% below its highest value so far and stayed there
/// for three days or to the end: the group was emptied or deleted. Months of 30 and 31 days
/// change the hourly GB-month figure by 3%, and a one- or two-day dip that recovers is a
/// billing blip, not a deletion.
fn emptied(days: &[f64]) -> bool {
    let (mut high, mut below) = (f64::MIN, 0);
    for &v in days {
        if v < 0.95 * high {
            below += 1;
            if below >= 3 {
                return true;
            }
        } else {
            below = 0;
            high = high.max(v);
        }
    }
    below > 0
}

pub fn rising(daily: &[f64], min_growth: f64) -> Option<Growth> {
    let days: Vec<f64> = daily.iter().copied().filter(|v| *v > 0.0).collect();
    if days.len() < 7 {
        return None;
    }
    let steps = days.windows(2);
    let up = steps.clone().filter(|w| w[1] > w[0]).count();
    let fell = emptied(&days);
    let (first, last) = (days[0], days[days.len() - 1]);
    if fell || (up as f64) < 0.8 * (days.len() - 1) as f64 || last < first * (1.0 + min_growth) {
        return None;
    }
    Some(Growth {
        first,
        last,
        mean: days
            .iter()
            .copied()
            .collect::<crate::money::CompensatedSum>()
            .value()
            / days.len() as f64,
        per_day: (last - first) / (days.len() - 1) as f64,
    })
}

/// CloudWatch Logs groups whose storage grows without a plateau.
pub struct LogsWithoutRetention;

impl Rule for LogsWithoutRetention {
    fn id(&self) -> &'static str {
        "logs-without-retention"
    }
    fn title(&self) -> &'static str {
        "Set a retention policy on CloudWatch Logs groups that only grow"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["resource_id", "usage_type", "product_code"]
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        let c = ctx.constants;
        let keep = c.log_retention_days;
        ctx.series
            .log_storage
            .iter()
            .filter_map(|(id, daily)| {
                let g = rising(daily, c.log_min_growth)?;
                let r = ctx
                    .resources
                    .binary_search_by(|r| r.id.as_str().cmp(id))
                    .ok()
                    .map(|i| &ctx.resources[i])?;
                let retained = g.per_day * keep;
                let expected = 1.0 - retained / g.mean;
                if expected <= 0.0 {
                    return None;
                }
                let share = r.share(
                    r.lines
                        .iter()
                        .filter(|l| l.service == "AmazonCloudWatch" && l.usage_type.contains("TimedStorage-ByteHrs"))
                        .map(|l| l.cost)
                        .collect::<crate::money::CompensatedSum>()
                        .value(),
                );
                let low = (1.0 - 2.0 * retained / g.mean).max(0.0);
                let high = (1.0 - retained / g.last).max(expected);
                Some(proposal(
                    self,
                    format!(
                        "Set a {keep}-day retention on {} (storage rose {:.0}% over the period, no plateau)",
                        r.id,
                        100.0 * (g.last / g.first - 1.0)
                    ),
                    &[r],
                    ctx.period,
                    (share * low, share * expected, share * high),
                    format!(
                        "an estimate: kept = growth a day × {keep} days = {retained:.3}; savings = storage cost × (1 − kept / mean stored {:.3}); low keeps twice as long, high uses the last day's storage {:.3}",
                        g.mean, g.last
                    ),
                    vec![
                        ("retention".into(), format!("{keep} days")),
                        ("minimum growth".into(), c.log_min_growth.to_string()),
                        ("price".into(), "$0.03 per GB-month of log storage".into()),
                    ],
                    (Level::Medium, Level::Low),
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use super::super::{Constants, Series};
    use super::*;

    fn bucket(id: &str, request_last_day: Option<i64>) -> Resource {
        let mut lines = vec![line(
            "AmazonS3",
            "USE1-TimedStorage-ByteHrs",
            1000.0,
            23.0,
            720,
        )];
        if let Some(d) = request_last_day {
            let mut l = line("AmazonS3", "USE1-Requests-Tier2", 50_000.0, 0.02, 20);
            l.last_day = d;
            lines.push(l);
        }
        resource(id, lines, 0, 29)
    }

    #[test]
    fn buckets_without_recent_requests() {
        let mut constants = Constants {
            s3_idle_days: 20.0,
            ..Constants::default()
        };
        let resources = [
            bucket("idle", None),
            bucket("read-early", Some(5)),
            bucket("read", Some(25)),
        ];
        let found = with_context(&resources, &Series::default(), &constants, |ctx| {
            IdleS3Standard.evaluate(ctx)
        });
        let ids: Vec<&str> = found
            .iter()
            .map(|p| p.resources[0].resource_id.as_str())
            .collect();
        assert_eq!(ids, ["idle", "read-early"]);
        let m = 30.4375 / 30.0;
        assert_close(found[0].savings.expected, 23.0 * m * (1.0 - 0.543));
        assert_close(found[0].savings.high, 23.0 * m * (1.0 - 0.174));
        // The request cost stays: the share is of the storage line only.
        assert_close(found[1].savings.expected, 23.0 * m * (1.0 - 0.543));
        let short = with_context(
            &resources,
            &Series::default(),
            &Constants::default(),
            |ctx| IdleS3Standard.precondition(ctx),
        );
        assert!(short.is_none(), "30 days of data cover 30 idle days");
        constants.s3_idle_days = 31.0;
        let short = with_context(&resources, &Series::default(), &constants, |ctx| {
            IdleS3Standard.precondition(ctx)
        });
        assert!(short.unwrap().starts_with("not evaluated"));
    }

    #[test]
    fn growth_needs_steady_rises() {
        let linear: Vec<f64> = (0..30).map(|d| 100.0 + 2.0 * f64::from(d)).collect();
        let g = rising(&linear, 0.1).unwrap();
        assert_close(g.per_day, 2.0);
        assert_close(g.mean, 129.0);
        let flat = vec![100.0; 30];
        assert_eq!(rising(&flat, 0.1), None);
        let mut month_change = flat.clone();
        month_change[15..].iter_mut().for_each(|v| *v = 103.3);
        assert_eq!(rising(&month_change, 0.1), None);
        let mut deleted = linear.clone();
        deleted[20..].iter_mut().for_each(|v| *v = 50.0);
        assert_eq!(rising(&deleted, 0.1), None);
        let mut emptied_at_the_end = linear.clone();
        emptied_at_the_end[29] = 50.0;
        assert_eq!(rising(&emptied_at_the_end, 0.1), None);
        let mut blip = linear.clone();
        blip[20] = 50.0;
        blip[21] = 60.0;
        assert_close(rising(&blip, 0.1).unwrap().per_day, 2.0);
    }

    #[test]
    fn growing_log_group_saves_storage_beyond_retention() {
        let id = "arn:aws:logs:us-east-1:123456789012:log-group:/app/x";
        let resources = [resource(
            id,
            vec![
                line(
                    "AmazonCloudWatch",
                    "USE1-TimedStorage-ByteHrs",
                    129.0,
                    90.0,
                    720,
                ),
                line(
                    "AmazonCloudWatch",
                    "USE1-DataProcessing-Bytes",
                    20.0,
                    10.0,
                    720,
                ),
            ],
            0,
            29,
        )];
        let mut series = Series::default();
        series.log_storage.insert(
            id.into(),
            (0..30).map(|d| 100.0 + 2.0 * f64::from(d)).collect(),
        );
        let found = with_context(&resources, &series, &Constants::default(), |ctx| {
            LogsWithoutRetention.evaluate(ctx)
        });
        assert_eq!(found.len(), 1);
        // Kept: 2 a day × 30 days = 60 of a mean 129.
        let m = 30.4375 / 30.0;
        assert_close(found[0].savings.expected, 90.0 * m * (1.0 - 60.0 / 129.0));
        assert_close(found[0].savings.low, 90.0 * m * (1.0 - 120.0 / 129.0));
        assert_close(found[0].savings.high, 90.0 * m * (1.0 - 60.0 / 158.0));
    }
}

//! EBS: gp2 volumes that gp3 would bill for less, snapshots kept for a long time.

use super::{Context, Level, Proposal, Rule, proposal};

/// gp2 volumes: gp3 costs 20% less per GB-month, and includes 3,000 IOPS and 125 MB/s.
/// gp2 volumes above 1,000 GB get more than 3,000 baseline IOPS (3 per GB), which gp3 must
/// provision at extra cost; the low estimate keeps that extra.
pub struct Gp2ToGp3;

impl Rule for Gp2ToGp3 {
    fn id(&self) -> &'static str {
        "ebs-gp2-to-gp3"
    }
    fn title(&self) -> &'static str {
        "Migrate EBS gp2 volumes to gp3"
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        let ratio = ctx.constants.gp3_to_gp2_price;
        ctx.resources
            .iter()
            .filter(|r| r.has("VolumeUsage.gp2"))
            .map(|r| {
                let gb_months: f64 = r.lines_with("VolumeUsage.gp2").map(|l| l.usage).sum();
                let size_gb = gb_months / (ctx.period.days() / 30.4375);
                let baseline_iops = (3.0 * size_gb).clamp(100.0, 16_000.0);
                let extra_iops = (baseline_iops - 3000.0).max(0.0);
                let storage_share = 1.0 - ratio;
                // Extra IOPS at $0.005 per IOPS-month against the gp2 price of $0.10 per GB-month.
                let iops_share = if size_gb > 0.0 { extra_iops * 0.005 / (size_gb * 0.10) } else { 0.0 };
                let expected = (storage_share - iops_share).max(0.0);
                proposal(
                    self,
                    format!("Change {} (≈{size_gb:.0} GB) from gp2 to gp3 with {} IOPS", r.id, baseline_iops.max(3000.0).round()),
                    &[r],
                    ctx.period,
                    (expected * 0.9, expected, storage_share),
                    format!(
                        "savings = gp2 cost × (1 − {ratio}) − extra IOPS ({extra_iops:.0} × $0.005) ; size ≈ GB-months / months = {size_gb:.1} GB"
                    ),
                    vec![
                        ("gp3/gp2 price".into(), ratio.to_string()),
                        ("gp3 included IOPS".into(), "3000".into()),
                        ("gp3 IOPS price".into(), "$0.005 per IOPS-month".into()),
                    ],
                    (Level::High, Level::Low),
                )
            })
            .collect()
    }
}

/// Snapshots still billed that were first billed long ago. CUR carries no creation date:
/// the age is the time since the first export that bills the snapshot, so this needs
/// exports that reach back further than the age limit.
pub struct OldSnapshots;

impl Rule for OldSnapshots {
    fn id(&self) -> &'static str {
        "ebs-old-snapshots"
    }
    fn title(&self) -> &'static str {
        "Delete or archive old EBS snapshots"
    }
    fn precondition(&self, ctx: &Context) -> Option<String> {
        let age = ctx.constants.old_snapshot_days;
        (ctx.period.days() < age).then(|| {
            format!(
                "not evaluated: CUR has no snapshot creation date, so an age of {age} days needs exports covering that long; these cover {:.0} days",
                ctx.period.days()
            )
        })
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        let age = ctx.constants.old_snapshot_days;
        ctx.resources
            .iter()
            .filter(|r| r.has("SnapshotUsage"))
            .filter(|r| r.first_day <= ctx.period.first_day && r.last_day >= ctx.period.last_day - 1)
            .filter(|r| (ctx.period.last_day - r.first_day) as f64 >= age)
            .map(|r| {
                proposal(
                    self,
                    format!("Delete {} or move it to the archive tier (billed since the start of the data)", r.id),
                    &[r],
                    ctx.period,
                    (0.75, 1.0, 1.0),
                    "savings = snapshot cost × 30.4375 / days (archive tier keeps 25% of the cost)".into(),
                    vec![("age limit".into(), format!("{age} days"))],
                    (Level::Medium, Level::Medium),
                )
            })
            .collect()
    }
}

//! Request-priced security services called far more often than caching would allow:
//! Secrets Manager `GetSecretValue` without client-side caching, KMS without S3 Bucket Keys.

use super::{Context, Level, Proposal, Rule, proposal};

pub struct SecretsManagerCaching;

impl Rule for SecretsManagerCaching {
    fn id(&self) -> &'static str {
        "secrets-manager-caching"
    }
    fn title(&self) -> &'static str {
        "Cache Secrets Manager secrets in clients"
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        let hit = ctx.constants.secrets_cache_hit_rate;
        let limit = ctx.constants.secret_calls_per_hour;
        heavy(ctx, "SecretsManager-APIRequest", limit)
            .map(|(r, per_hour, share)| {
                proposal(
                    self,
                    format!(
                        "Use client-side caching for {} ({per_hour:.0} API calls an hour)",
                        r.id
                    ),
                    &[r],
                    ctx.period,
                    (share * hit * 0.8, share * hit, share * 0.99),
                    format!("savings = API request cost × cache hit rate {hit}"),
                    vec![
                        ("cache hit rate".into(), hit.to_string()),
                        ("heavy use".into(), format!("> {limit} calls an hour")),
                    ],
                    (Level::Medium, Level::Low),
                )
            })
            .collect()
    }
}

pub struct KmsRequests;

impl Rule for KmsRequests {
    fn id(&self) -> &'static str {
        "kms-bucket-keys"
    }
    fn title(&self) -> &'static str {
        "Enable S3 Bucket Keys for KMS-encrypted buckets"
    }
    fn evaluate(&self, ctx: &Context) -> Vec<Proposal> {
        let cut = ctx.constants.kms_bucket_key_reduction;
        let limit = ctx.constants.kms_requests_per_hour;
        heavy(ctx, "KMS-Requests", limit)
            .map(|(r, per_hour, share)| {
                proposal(
                    self,
                    format!("Enable S3 Bucket Keys on the buckets using {} ({per_hour:.0} requests an hour)", r.id),
                    &[r],
                    ctx.period,
                    (share * cut * 0.5, share * cut, share * cut),
                    format!("savings = KMS request cost × {cut} (requests S3 no longer makes per object)"),
                    vec![
                        ("bucket key reduction".into(), cut.to_string()),
                        ("heavy use".into(), format!("> {limit} requests an hour")),
                    ],
                    (Level::Low, Level::Low),
                )
            })
            .collect()
    }
}

/// Resources whose `usage_type` requests average more than `per_hour_limit` an hour over
/// the hours billed: `(resource, requests per hour, request cost / resource cost)`.
fn heavy<'a>(
    ctx: &'a Context,
    usage_type: &'a str,
    per_hour_limit: f64,
) -> impl Iterator<Item = (&'a super::Resource, f64, f64)> + 'a {
    ctx.resources.iter().filter_map(move |r| {
        let (usage, hours, cost) = r
            .lines_with(usage_type)
            .fold((0.0, 0u64, 0.0), |(u, h, c), l| {
                (u + l.usage, h.max(l.hours), c + l.cost)
            });
        let per_hour = if hours > 0 { usage / hours as f64 } else { 0.0 };
        (per_hour > per_hour_limit && r.cost() > 0.0).then(|| (r, per_hour, cost / r.cost()))
    })
}

//! `curlens.toml`: budgets, thresholds, tag keys, rule constants, sections on or off.
//! Unknown keys and wrong types are errors that name the key and the line.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Metric of every figure in the report.
    pub metric: String,
    /// Tag keys for the cost-allocation section.
    pub tag_keys: Vec<String>,
    pub budgets: Vec<Budget>,
    pub anomalies: AnomalyConfig,
    pub proposals: ProposalConfig,
    pub sections: Sections,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    pub name: String,
    /// Monthly amount in the report's currency.
    pub amount: f64,
    /// Alert thresholds as shares of the amount (0.8 = 80%).
    #[serde(default = "default_thresholds")]
    pub thresholds: Vec<f64>,
    /// Optional scope, as `--filter` conditions (`service=AmazonEC2`, `tag:Project=WebApp`).
    #[serde(default)]
    pub filters: Vec<String>,
}

fn default_thresholds() -> Vec<f64> {
    vec![0.8, 1.0]
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnomalyConfig {
    pub min_impact: f64,
    pub min_impact_pct: f64,
    pub min_score: f64,
}

impl Default for AnomalyConfig {
    fn default() -> Self {
        Self {
            min_impact: 50.0,
            min_impact_pct: 10.0,
            min_score: 3.0,
        }
    }
}

/// The `[proposals]` table: every constant of every rule (see `docs/rules.md`).
pub type ProposalConfig = crate::rules::Constants;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sections {
    pub budgets: bool,
    pub movers: bool,
    pub ec2_other: bool,
    pub allocation: bool,
    pub anomalies: bool,
    pub proposals: bool,
    pub commitments: bool,
    pub data_quality: bool,
    pub manifest: bool,
}

impl Default for Sections {
    fn default() -> Self {
        Self {
            budgets: true,
            movers: true,
            ec2_other: true,
            allocation: true,
            anomalies: true,
            proposals: true,
            commitments: true,
            data_quality: true,
            manifest: true,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            metric: "amortized".to_string(),
            tag_keys: vec!["Project".into(), "Environment".into(), "Team".into()],
            budgets: Vec::new(),
            anomalies: AnomalyConfig::default(),
            proposals: ProposalConfig::default(),
            sections: Sections::default(),
        }
    }
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn read(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
        Config::parse(&text).map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))
    }

    /// Parses configuration text; the error names the key and the line.
    pub fn parse(text: &str) -> std::result::Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            let message = e.message().trim().to_string();
            match line {
                Some(line) => format!("line {line}: {message}"),
                None => message,
            }
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        crate::cube::Metric::parse(&self.metric).map_err(|e| format!("metric: {e}"))?;
        self.proposals.validate()?;
        for b in &self.budgets {
            if !(b.amount.is_finite() && b.amount > 0.0) {
                return Err(format!(
                    "budget `{}`: amount must be a positive number, got {}",
                    b.name, b.amount
                ));
            }
            if let Some(t) = b.thresholds.iter().find(|t| !(t.is_finite() && **t > 0.0)) {
                return Err(format!(
                    "budget `{}`: thresholds are positive shares such as 0.8, got {t}",
                    b.name
                ));
            }
            for f in &b.filters {
                crate::cube::Condition::parse(f, false)
                    .map_err(|e| format!("budget `{}`: {e}", b.name))?;
            }
        }
        Ok(())
    }

    /// The commented default written by `curlens init-config`.
    pub fn commented_default() -> &'static str {
        DEFAULT_CONFIG
    }
}

const DEFAULT_CONFIG: &str = r#"# curlens configuration. Every key is optional; these are the defaults.

# Metric of every figure: unblended, blended, net-unblended, amortized, net-amortized,
# public-on-demand.
metric = "amortized"

# Tag keys of the cost-allocation section (any spelling: Project, user:Project, user_project).
tag_keys = ["Project", "Environment", "Team"]

# Monthly budgets. Thresholds are shares of the amount; each one crossed by the
# month-to-date actual or the month-end forecast is an ALERT. Filters narrow the scope,
# written like --filter (service=AmazonEC2, tag:Project=WebApp, account=123456789012).
# [[budgets]]
# name = "total"
# amount = 10000.0
# thresholds = [0.8, 1.0]
# filters = []

[anomalies]
min_impact = 50.0       # currency units over the anomaly
min_impact_pct = 10.0   # percent of the expected cost
min_score = 3.0         # robust z-score of a day

# Rule constants (docs/rules.md says which rule reads which).
[proposals]
min_monthly_savings = 1.0          # proposals saving less a month are not listed
required_tags = ["Project", "Environment", "Team"]
non_production = ["dev", "development", "test", "qa", "staging", "stage"]
gp3_to_gp2_price = 0.8             # gp3 price / gp2 price per GB-month
old_snapshot_days = 180.0          # snapshots billed this long are old
always_on_share = 0.95             # share of hours billed that makes an instance always on
scheduled_hours_per_week = 60.0    # hours a scheduled non-production instance runs
secret_calls_per_hour = 5000.0     # Secrets Manager calls an hour per secret: not cached
secrets_cache_hit_rate = 0.9       # calls client-side caching removes
kms_requests_per_hour = 50000.0    # KMS requests an hour per key: no S3 Bucket Keys
kms_bucket_key_reduction = 0.99    # KMS requests S3 Bucket Keys remove
kms_idle_days = 30.0               # days without a request that make a KMS key unused
idle_lcu_per_hour = 0.01           # LCU-hours per hour of an idle load balancer
graviton_ratio_margin = 0.05       # low/high Graviton savings: price ratio ± this
nat_endpoint_min_gb_month = 10000.0  # NAT GB processed a month before endpoints pay
nat_endpoint_share = [0.25, 0.5, 0.75]  # share of NAT bytes to S3/DynamoDB: low, expected, high
sp_discount = 0.28                 # 1-year no-upfront Compute Savings Plan discount
commitment_usage_drop = 0.1        # spend drop the low commitment saving allows for
commitment_min_utilization = 0.9   # Savings Plans / reservations used less are reported
s3_idle_days = 30.0                # days without S3 requests that make a bucket idle
s3_infrequent_price_ratio = 0.543  # Standard-IA / Standard ($0.0125 / $0.023)
s3_archive_price_ratio = 0.174     # Glacier Instant Retrieval / Standard ($0.004 / $0.023)
log_retention_days = 30.0          # retention proposed for log groups that only grow
log_min_growth = 0.1               # growth over the period that, day after day, means no retention
transfer_top_share = 0.25          # share of all inter-AZ or internet GB one resource must carry
inter_az_saving = [0.25, 0.5, 0.9]  # inter-AZ cost co-location removes: low, expected, high
internet_saving = [0.05, 0.2, 0.4]  # internet transfer cost a CDN removes: low, expected, high

# Report sections, on or off.
[sections]
budgets = true
movers = true
ec2_other = true
allocation = true
anomalies = true
proposals = true
commitments = true
data_quality = true
manifest = true
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commented_default_parses_to_the_default() {
        let parsed = Config::parse(DEFAULT_CONFIG).unwrap();
        assert_eq!(
            serde_json::to_string(&parsed).unwrap(),
            serde_json::to_string(&Config::default()).unwrap()
        );
    }

    #[test]
    fn every_rule_constant_is_in_the_commented_default_and_overridable() {
        let defaults = serde_json::to_value(crate::rules::Constants::default()).unwrap();
        for key in defaults.as_object().unwrap().keys() {
            assert!(
                DEFAULT_CONFIG
                    .lines()
                    .any(|l| l.starts_with(&format!("{key} = "))),
                "curlens init-config lacks proposals.{key}"
            );
        }
        let c =
            Config::parse("[proposals]\nsp_discount = 0.4\nlog_retention_days = 90.0\n").unwrap();
        assert_eq!(c.proposals.sp_discount, 0.4);
        assert_eq!(c.proposals.log_retention_days, 90.0);
        assert_eq!(c.proposals.min_monthly_savings, 1.0);
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_key_and_line() {
        let err =
            Config::parse("metric = \"amortized\"\n[anomalies]\nmin_impactt = 3\n").unwrap_err();
        assert!(
            err.starts_with("line 3: unknown field `min_impactt`"),
            "{err}"
        );
        let err = Config::parse("\n\n[[budgets]]\nname = \"x\"\namount = \"ten\"\n").unwrap_err();
        assert!(
            err.starts_with("line 5: invalid type: string \"ten\", expected f64"),
            "{err}"
        );
        let err = Config::parse("[[budgets]]\nname = \"x\"\namount = -1\n").unwrap_err();
        assert_eq!(err, "budget `x`: amount must be a positive number, got -1");
        let err = Config::parse("[proposals]\nsp_discount = 0.28\ngravtion_ratio_margin = 0.1\n")
            .unwrap_err();
        assert!(
            err.starts_with("line 3: unknown field `gravtion_ratio_margin`"),
            "{err}"
        );
        let err = Config::parse("[proposals]\nnat_endpoint_share = [0.5, 0.2, 0.9]\n").unwrap_err();
        assert!(err.starts_with("proposals.nat_endpoint_share:"), "{err}");
        let err = Config::parse("metric = \"amortised\"\n").unwrap_err();
        assert!(
            err.starts_with("metric: unknown metric `amortised`"),
            "{err}"
        );
    }
}

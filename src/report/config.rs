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

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProposalConfig {
    pub min_monthly_savings: f64,
    pub required_tags: Vec<String>,
    pub non_production: Vec<String>,
    pub gp3_to_gp2_price: f64,
}

impl Default for ProposalConfig {
    fn default() -> Self {
        let c = crate::rules::Constants::default();
        Self {
            min_monthly_savings: 1.0,
            required_tags: c.required_tags,
            non_production: c.non_production,
            gp3_to_gp2_price: c.gp3_to_gp2_price,
        }
    }
}

impl ProposalConfig {
    pub fn constants(&self) -> crate::rules::Constants {
        crate::rules::Constants {
            min_monthly_savings: self.min_monthly_savings,
            required_tags: self.required_tags.clone(),
            non_production: self.non_production.clone(),
            gp3_to_gp2_price: self.gp3_to_gp2_price,
            ..crate::rules::Constants::default()
        }
    }
}

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

[proposals]
min_monthly_savings = 1.0
required_tags = ["Project", "Environment", "Team"]
non_production = ["dev", "development", "test", "qa", "staging", "stage"]
gp3_to_gp2_price = 0.8

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
        let err = Config::parse("metric = \"amortised\"\n").unwrap_err();
        assert!(
            err.starts_with("metric: unknown metric `amortised`"),
            "{err}"
        );
    }
}

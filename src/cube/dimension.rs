//! Group-by dimensions: their names, their expressions over the canonical frame, their SQL.
//!
//! Every dimension yields text; a missing value is `(none)`, and a missing tag `(untagged)`,
//! so untagged spend is its own group and every breakdown adds up to the ungrouped total.

use std::fmt;

use polars::prelude::*;
use serde::Serialize;

use super::expr::{cur2_sql, sql_string};
use crate::error::{Error, Result};
use crate::tags::{map_lookup, normalize_key};

pub const NONE: &str = "(none)";
pub const UNTAGGED: &str = "(untagged)";

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub enum Dimension {
    PayerAccount,
    Account,
    AccountName,
    /// The line item's product code (`AmazonEC2`); FOCUS: ServiceName.
    Service,
    /// The product name (`Amazon Elastic Compute Cloud`).
    ServiceName,
    /// Cost Explorer-style service, with EC2 split into EC2-Instances and EC2-Other.
    Category,
    Region,
    AvailabilityZone,
    UsageType,
    Operation,
    LineItemType,
    InstanceType,
    InstanceFamily,
    PricingTerm,
    PurchaseOption,
    /// The unit usage is priced in (`Hrs`, `GB-Mo`).
    PricingUnit,
    Resource,
    Currency,
    Provider,
    /// A tag, by the key the user typed (matched through [`normalize_key`]).
    Tag(String),
    CostCategory(String),
}

/// `(name, dimension)` for every fixed dimension.
const FIXED: &[(&str, Dimension)] = &[
    ("payer-account", Dimension::PayerAccount),
    ("account", Dimension::Account),
    ("account-name", Dimension::AccountName),
    ("service", Dimension::Service),
    ("service-name", Dimension::ServiceName),
    ("category", Dimension::Category),
    ("region", Dimension::Region),
    ("az", Dimension::AvailabilityZone),
    ("usage-type", Dimension::UsageType),
    ("operation", Dimension::Operation),
    ("line-item-type", Dimension::LineItemType),
    ("instance-type", Dimension::InstanceType),
    ("instance-family", Dimension::InstanceFamily),
    ("pricing-term", Dimension::PricingTerm),
    ("purchase-option", Dimension::PurchaseOption),
    ("pricing-unit", Dimension::PricingUnit),
    ("resource", Dimension::Resource),
    ("currency", Dimension::Currency),
    ("provider", Dimension::Provider),
];

/// EC2 usage types that are instance hours (Cost Explorer's "EC2-Instances").
pub const EC2_INSTANCE_USAGE: &[&str] = &[
    "BoxUsage",
    "SpotUsage",
    "DedicatedUsage",
    "HostUsage",
    "HeavyUsage",
    "ReservedHostUsage",
    "UnusedBox",
    "UnusedDed",
];

/// Cost Explorer service names of common product codes.
const SERVICE_NAMES: &[(&str, &str)] = &[
    ("AmazonS3", "Amazon Simple Storage Service"),
    ("AmazonRDS", "Amazon Relational Database Service"),
    ("AWSLambda", "AWS Lambda"),
    ("AmazonCloudWatch", "AmazonCloudWatch"),
    ("awskms", "AWS Key Management Service"),
    ("AWSSecretsManager", "AWS Secrets Manager"),
    ("AmazonVPC", "Amazon Virtual Private Cloud"),
    ("AWSELB", "Amazon Elastic Load Balancing"),
    ("AmazonDynamoDB", "Amazon DynamoDB"),
    ("AWSDataTransfer", "AWS Data Transfer"),
    (
        "AmazonEKS",
        "Amazon Elastic Container Service for Kubernetes",
    ),
    ("AmazonECS", "Amazon Elastic Container Service"),
    ("AmazonCloudFront", "Amazon CloudFront"),
    ("AWSGlue", "AWS Glue"),
    ("AmazonAthena", "Amazon Athena"),
    ("AmazonSNS", "Amazon Simple Notification Service"),
    ("AWSQueueService", "Amazon Simple Queue Service"),
    ("ComputeSavingsPlans", "Savings Plans for AWS Compute usage"),
];

impl Dimension {
    /// Parses `account`, `usage-type`, `tag:Project`, `cost-category:Team`...
    pub fn parse(name: &str) -> Result<Dimension> {
        let trimmed = name.trim();
        if let Some(key) = strip_prefix_ci(trimmed, "tag:") {
            return non_empty_key(key, name).map(Dimension::Tag);
        }
        if let Some(key) = strip_prefix_ci(trimmed, "cost-category:") {
            return non_empty_key(key, name).map(Dimension::CostCategory);
        }
        let wanted = trimmed.to_ascii_lowercase().replace('_', "-");
        FIXED
            .iter()
            .find(|(n, _)| *n == wanted)
            .map(|(_, d)| d.clone())
            .ok_or_else(|| {
                let mut names: Vec<&str> = FIXED.iter().map(|(n, _)| *n).collect();
                names.extend(["tag:KEY", "cost-category:KEY"]);
                Error::Invalid(format!(
                    "unknown dimension `{name}`; valid dimensions: {}",
                    closest_first(&wanted, &names).join(", ")
                ))
            })
    }

    pub fn name(&self) -> String {
        match self {
            Dimension::Tag(k) => format!("tag:{k}"),
            Dimension::CostCategory(k) => format!("cost-category:{k}"),
            other => FIXED
                .iter()
                .find(|(_, d)| d == other)
                .map(|(n, _)| n.to_string())
                .unwrap_or_default(),
        }
    }

    fn missing_label(&self) -> &'static str {
        match self {
            Dimension::Tag(_) | Dimension::CostCategory(_) => UNTAGGED,
            _ => NONE,
        }
    }

    /// The canonical columns the dimension reads (for tags and cost categories, the map).
    pub fn inputs(&self) -> Vec<&'static str> {
        match self {
            Dimension::ServiceName => vec!["service_name", "product_code"],
            Dimension::Category => vec!["product_code", "usage_type"],
            Dimension::InstanceFamily => vec!["instance_type"],
            Dimension::Tag(_) => vec!["tags"],
            Dimension::CostCategory(_) => vec!["cost_categories"],
            other => vec![canonical_column(other)],
        }
    }

    /// The dimension's value per canonical row, never null.
    pub fn expr(&self) -> Expr {
        let text = |c: &str| col(c);
        let value = match self {
            Dimension::PayerAccount => text("payer_account_id"),
            Dimension::Account => text("usage_account_id"),
            Dimension::AccountName => text("usage_account_name"),
            // FOCUS maps ServiceName onto product_code, so one column serves every format
            // and the product MAP of CUR 2.0 is not read for it.
            Dimension::Service => col("product_code"),
            Dimension::ServiceName => coalesce(&[col("service_name"), col("product_code")]),
            Dimension::Category => category_expr(),
            Dimension::Region => text("region"),
            Dimension::AvailabilityZone => text("availability_zone"),
            Dimension::UsageType => text("usage_type"),
            Dimension::Operation => text("operation"),
            Dimension::LineItemType => text("line_item_type"),
            Dimension::InstanceType => text("instance_type"),
            Dimension::InstanceFamily => col("instance_type").map(
                |c| instance_family(&c),
                |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
            ),
            Dimension::PricingTerm => text("pricing_term"),
            Dimension::PurchaseOption => text("purchase_option"),
            Dimension::PricingUnit => text("pricing_unit"),
            Dimension::Resource => text("resource_id"),
            Dimension::Currency => text("currency"),
            Dimension::Provider => text("provider"),
            Dimension::Tag(k) => map_key_expr("tags", k),
            Dimension::CostCategory(k) => map_key_expr("cost_categories", k),
        };
        value
            .fill_null(lit(self.missing_label()))
            .alias(self.name())
    }

    /// The dimension over a CUR 2.0 table, in SQL.
    pub fn to_sql(&self) -> String {
        let value = match self {
            Dimension::Service => cur2_sql("product_code"),
            Dimension::ServiceName => format!(
                "COALESCE({}, {})",
                cur2_sql("service_name"),
                cur2_sql("product_code")
            ),
            Dimension::Category => category_sql(),
            Dimension::InstanceFamily => format!(
                "regexp_replace({}, '\\.[^.]*$', '')",
                cur2_sql("instance_type")
            ),
            Dimension::Tag(k) => format!(
                "element_at(resource_tags, {})",
                sql_string(&format!("user_{k}"))
            ),
            Dimension::CostCategory(k) => format!("element_at(cost_category, {})", sql_string(k)),
            other => cur2_sql(canonical_column(other)),
        };
        format!(
            "COALESCE(NULLIF({value}, ''), {}) AS {}",
            sql_string(self.missing_label()),
            sql_identifier(&self.name())
        )
    }
}

/// `"tag:Project"` — names with `:` or `-` need quoting in SQL.
fn sql_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn canonical_column(d: &Dimension) -> &'static str {
    match d {
        Dimension::PayerAccount => "payer_account_id",
        Dimension::Account => "usage_account_id",
        Dimension::AccountName => "usage_account_name",
        Dimension::Region => "region",
        Dimension::AvailabilityZone => "availability_zone",
        Dimension::UsageType => "usage_type",
        Dimension::Operation => "operation",
        Dimension::LineItemType => "line_item_type",
        Dimension::InstanceType => "instance_type",
        Dimension::PricingTerm => "pricing_term",
        Dimension::PurchaseOption => "purchase_option",
        Dimension::PricingUnit => "pricing_unit",
        Dimension::Resource => "resource_id",
        Dimension::Currency => "currency",
        Dimension::Provider => "provider",
        _ => "product_code",
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl From<Dimension> for String {
    fn from(d: Dimension) -> String {
        d.name()
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn non_empty_key(key: &str, name: &str) -> Result<String> {
    let key = key.trim();
    if key.is_empty() {
        return Err(Error::Invalid(format!(
            "`{name}`: give a key, as in tag:Project"
        )));
    }
    Ok(key.to_string())
}

fn map_key_expr(map: &'static str, key: &str) -> Expr {
    let wanted = normalize_key(key);
    col(map).map(
        move |c| map_lookup(&c, &wanted),
        |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
    )
}

/// `m5.large` → `m5`, `db.r5.xlarge` → `db.r5`.
fn instance_family(c: &Column) -> PolarsResult<Column> {
    let ca = c.str()?;
    let out: StringChunked = ca
        .iter()
        .map(|v| v.map(|t| t.rsplit_once('.').map_or(t, |(family, _)| family)))
        .collect();
    Ok(out.with_name(c.name().clone()).into_column())
}

fn category_expr() -> Expr {
    let is_ec2 = col("product_code")
        .eq(lit("AmazonEC2"))
        .fill_null(lit(false));
    let instance_hours = EC2_INSTANCE_USAGE
        .iter()
        .map(|u| col("usage_type").str().contains_literal(lit(*u)))
        .reduce(|a, b| a.or(b))
        .expect("non-empty list")
        .fill_null(lit(false));
    let named = col("product_code").map(
        |c| service_display_names(&c),
        |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
    );
    when(is_ec2.clone().and(instance_hours))
        .then(lit("EC2-Instances"))
        .when(is_ec2)
        .then(lit("EC2-Other"))
        .otherwise(named)
}

fn service_display_names(c: &Column) -> PolarsResult<Column> {
    let ca = c.str()?;
    let out: StringChunked = ca
        .iter()
        .map(|v| {
            v.map(|code| {
                SERVICE_NAMES
                    .iter()
                    .find(|(k, _)| *k == code)
                    .map_or(code, |(_, name)| name)
            })
        })
        .collect();
    Ok(out.with_name(c.name().clone()).into_column())
}

fn category_sql() -> String {
    let code = cur2_sql("product_code");
    let usage = cur2_sql("usage_type");
    let hours: Vec<String> = EC2_INSTANCE_USAGE
        .iter()
        .map(|u| format!("strpos({usage}, {}) > 0", sql_string(u)))
        .collect();
    let names: String = SERVICE_NAMES
        .iter()
        .map(|(k, v)| format!(" WHEN {code} = {} THEN {}", sql_string(k), sql_string(v)))
        .collect();
    format!(
        "CASE WHEN {code} = 'AmazonEC2' AND ({}) THEN 'EC2-Instances' WHEN {code} = 'AmazonEC2' THEN 'EC2-Other'{names} ELSE NULLIF({code}, '') END",
        hours.join(" OR ")
    )
}

/// `names` with the closest to `wanted` (by edit distance) first.
pub fn closest_first<'a>(wanted: &str, names: &[&'a str]) -> Vec<&'a str> {
    let mut scored: Vec<(usize, usize, &str)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (crate::ingest::normalize::edit_distance(wanted, n), i, *n))
        .collect();
    scored.sort();
    scored.into_iter().map(|(_, _, n)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fixed_and_keyed_dimensions() {
        assert_eq!(
            Dimension::parse("usage_type").unwrap(),
            Dimension::UsageType
        );
        assert_eq!(
            Dimension::parse("tag:Project").unwrap(),
            Dimension::Tag("Project".into())
        );
        assert_eq!(
            Dimension::parse("cost-category:Team").unwrap().name(),
            "cost-category:Team"
        );
    }

    #[test]
    fn unknown_dimension_lists_closest_first() {
        let err = Dimension::parse("servce").unwrap_err().to_string();
        assert!(
            err.starts_with("unknown dimension `servce`; valid dimensions: service, "),
            "{err}"
        );
        let err = Dimension::parse("tag:").unwrap_err().to_string();
        assert_eq!(err, "`tag:`: give a key, as in tag:Project");
    }

    #[test]
    fn names_round_trip() {
        for (name, d) in FIXED {
            assert_eq!(Dimension::parse(name).unwrap(), *d);
            assert_eq!(d.name(), *name);
        }
    }

    #[test]
    fn instance_families() -> PolarsResult<()> {
        let c = Column::new(
            "t".into(),
            [Some("m5.large"), Some("db.r5.xlarge"), None, Some("odd")],
        );
        let families = instance_family(&c)?;
        let got: Vec<Option<&str>> = families.str()?.iter().collect();
        assert_eq!(got, [Some("m5"), Some("db.r5"), None, Some("odd")]);
        Ok(())
    }
}

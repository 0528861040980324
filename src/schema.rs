//! The canonical schema: the one set of columns every later stage reads, whatever format
//! the export came in, and the table that maps each canonical column to its spelling in
//! CUR 2.0, legacy CUR CSV, legacy CUR Athena Parquet / Hive text, and FOCUS 1.x.
//!
//! The table is declarative on purpose: ingest builds its projection from it, the
//! documentation in `docs/cur-schema.md` is rendered from it (a test keeps the two in step),
//! and nothing else in the crate knows a source column name.

use polars::prelude::{DataType, Field, PlSmallStr, Schema, TimeUnit, TimeZone};

use crate::format::SourceFormat;

/// How a canonical column is typed and cleaned at ingest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text; `""`, `\N` and `NULL` become null.
    Text,
    /// An AWS account id: text, and integers are zero-padded back to 12 digits.
    AccountId,
    /// A money amount in the line item's currency, as f64.
    Money,
    /// A usage quantity, as f64.
    Quantity,
    /// A point in time, as microseconds since the epoch in UTC.
    Timestamp,
    /// A key/value map, as `List(Struct{key, value})` with the source's key spelling.
    Map,
}

impl Kind {
    /// The polars type a canonical column of this kind has.
    pub fn dtype(self) -> DataType {
        match self {
            Kind::Text | Kind::AccountId => DataType::String,
            Kind::Money | Kind::Quantity => DataType::Float64,
            Kind::Timestamp => timestamp_dtype(),
            Kind::Map => map_dtype(),
        }
    }

    /// What a value of this kind must look like, for error messages.
    pub fn expectation(self) -> &'static str {
        match self {
            Kind::Text | Kind::AccountId => "text",
            Kind::Money => "a decimal number (money)",
            Kind::Quantity => "a decimal number (quantity)",
            Kind::Timestamp => "a timestamp such as 2025-10-01T00:00:00Z",
            Kind::Map => "a key/value map",
        }
    }
}

/// `Datetime(us, UTC)`: the type of every canonical timestamp.
pub fn timestamp_dtype() -> DataType {
    DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
}

/// `List(Struct{key: String, value: String})`: the type of tags and cost categories.
pub fn map_dtype() -> DataType {
    DataType::List(Box::new(DataType::Struct(vec![
        Field::new("key".into(), DataType::String),
        Field::new("value".into(), DataType::String),
    ])))
}

/// Where a canonical column comes from in one source format.
#[derive(Clone, Copy, Debug)]
pub enum Source {
    /// Not present in this format: the column is null.
    Absent,
    /// The first of these columns that the file has (matched case-insensitively).
    Columns(&'static [&'static str]),
    /// Plain columns first, then a key of a MAP column: `(map column, key, columns)`.
    MapKey(&'static str, &'static str, &'static [&'static str]),
    /// Every column whose name starts with this prefix, folded into one map; or a MAP column
    /// or JSON-object text column of exactly this name.
    Prefixed(&'static str),
    /// A constant.
    Literal(&'static str),
}

/// One canonical column and its source spelling in each format.
#[derive(Clone, Copy, Debug)]
pub struct CanonicalColumn {
    pub name: &'static str,
    pub kind: Kind,
    /// A file of a format that maps this column must have it, or loading fails.
    pub required: bool,
    pub cur2: Source,
    pub legacy_csv: Source,
    pub athena: Source,
    pub focus: Source,
    pub doc: &'static str,
}

impl CanonicalColumn {
    /// The source of this column in `format`.
    pub fn source(&self, format: SourceFormat) -> Source {
        match format {
            SourceFormat::Cur2 => self.cur2,
            SourceFormat::LegacyCsv => self.legacy_csv,
            SourceFormat::LegacyAthena => self.athena,
            SourceFormat::Focus => self.focus,
        }
    }
}

use Kind::*;
use Source::{Absent, Columns as C, Literal, MapKey, Prefixed};

macro_rules! col {
    ($name:literal, $kind:expr, $req:literal, $cur2:expr, $csv:expr, $athena:expr, $focus:expr, $doc:literal) => {
        CanonicalColumn {
            name: $name,
            kind: $kind,
            required: $req,
            cur2: $cur2,
            legacy_csv: $csv,
            athena: $athena,
            focus: $focus,
            doc: $doc,
        }
    };
}

/// Index of the source file in the load's file list (added by ingest, not mapped).
pub const FILE_ID: &str = "file_id";

/// The canonical columns, in output order.
pub const COLUMNS: &[CanonicalColumn] = &[
    col!(
        "provider",
        Text,
        false,
        Literal("AWS"),
        Literal("AWS"),
        Literal("AWS"),
        C(&["ProviderName"]),
        "Cloud provider; FOCUS files may mix providers"
    ),
    col!(
        "billing_period_start",
        Timestamp,
        false,
        C(&["bill_billing_period_start_date"]),
        C(&["bill/BillingPeriodStartDate"]),
        C(&["bill_billing_period_start_date"]),
        C(&["BillingPeriodStart"]),
        "First instant of the billing period (month) the line item belongs to"
    ),
    col!(
        "payer_account_id",
        AccountId,
        false,
        C(&["bill_payer_account_id"]),
        C(&["bill/PayerAccountId"]),
        C(&["bill_payer_account_id"]),
        C(&["BillingAccountId"]),
        "Management (payer) account"
    ),
    col!(
        "payer_account_name",
        Text,
        false,
        C(&["bill_payer_account_name"]),
        Absent,
        Absent,
        C(&["BillingAccountName"]),
        "Payer account name, where the export carries it"
    ),
    col!(
        "usage_account_id",
        AccountId,
        true,
        C(&["line_item_usage_account_id"]),
        C(&["lineItem/UsageAccountId"]),
        C(&["line_item_usage_account_id"]),
        C(&["SubAccountId"]),
        "Account that used the resource"
    ),
    col!(
        "usage_account_name",
        Text,
        false,
        C(&["line_item_usage_account_name"]),
        Absent,
        Absent,
        C(&["SubAccountName"]),
        "Usage account name, where the export carries it"
    ),
    col!(
        "line_item_id",
        Text,
        false,
        C(&["identity_line_item_id"]),
        C(&["identity/LineItemId"]),
        C(&["identity_line_item_id"]),
        Absent,
        "Line item id; with `time_interval` it identifies a row across exports"
    ),
    col!(
        "time_interval",
        Text,
        false,
        C(&["identity_time_interval"]),
        C(&["identity/TimeInterval"]),
        C(&["identity_time_interval"]),
        Absent,
        "The interval the line item covers, as written (`start/end`)"
    ),
    col!(
        "line_item_type",
        Text,
        true,
        C(&["line_item_line_item_type"]),
        C(&["lineItem/LineItemType"]),
        C(&["line_item_line_item_type"]),
        C(&["ChargeCategory"]),
        "Usage, DiscountedUsage, SavingsPlanCoveredUsage, RIFee, Tax, Credit...; FOCUS: ChargeCategory"
    ),
    col!(
        "usage_start",
        Timestamp,
        true,
        C(&["line_item_usage_start_date"]),
        C(&["lineItem/UsageStartDate"]),
        C(&["line_item_usage_start_date"]),
        C(&["ChargePeriodStart"]),
        "Start of usage, UTC"
    ),
    col!(
        "usage_end",
        Timestamp,
        false,
        C(&["line_item_usage_end_date"]),
        C(&["lineItem/UsageEndDate"]),
        C(&["line_item_usage_end_date"]),
        C(&["ChargePeriodEnd"]),
        "End of usage, UTC"
    ),
    col!(
        "product_code",
        Text,
        false,
        C(&["line_item_product_code"]),
        C(&["lineItem/ProductCode"]),
        C(&["line_item_product_code"]),
        C(&["ServiceName"]),
        "Product code of the line item (`AmazonEC2`); data transfer keeps the originating product; FOCUS: ServiceName"
    ),
    col!(
        "service_code",
        Text,
        false,
        MapKey("product", "servicecode", &["product_servicecode"]),
        C(&["product/servicecode"]),
        C(&["product_servicecode"]),
        Absent,
        "Service code of the product (`AWSDataTransfer` for transfer rows)"
    ),
    col!(
        "service_name",
        Text,
        false,
        MapKey("product", "product_name", &["product_product_name"]),
        C(&["product/ProductName"]),
        C(&["product_product_name"]),
        C(&["ServiceName"]),
        "Product name (`Amazon Elastic Compute Cloud`); FOCUS: ServiceName"
    ),
    col!(
        "product_family",
        Text,
        false,
        C(&["product_product_family"]),
        C(&["product/productFamily"]),
        C(&["product_product_family"]),
        Absent,
        "Product family (`Compute Instance`, `Storage`, `NAT Gateway`...)"
    ),
    col!(
        "region",
        Text,
        false,
        MapKey("product", "region", &["product_region_code"]),
        C(&["product/regionCode", "product/region"]),
        C(&["product_region_code", "product_region"]),
        C(&["RegionId"]),
        "Region code (`us-east-1`)"
    ),
    col!(
        "availability_zone",
        Text,
        false,
        C(&["line_item_availability_zone"]),
        C(&["lineItem/AvailabilityZone"]),
        C(&["line_item_availability_zone"]),
        C(&["AvailabilityZone"]),
        "Availability zone"
    ),
    col!(
        "usage_type",
        Text,
        false,
        C(&["line_item_usage_type"]),
        C(&["lineItem/UsageType"]),
        C(&["line_item_usage_type"]),
        C(&["x_UsageType"]),
        "Usage type (`USE1-BoxUsage:m5.large`)"
    ),
    col!(
        "operation",
        Text,
        false,
        C(&["line_item_operation"]),
        C(&["lineItem/Operation"]),
        C(&["line_item_operation"]),
        C(&["x_Operation"]),
        "Operation (`RunInstances`, `NatGateway`)"
    ),
    col!(
        "resource_id",
        Text,
        false,
        C(&["line_item_resource_id"]),
        C(&["lineItem/ResourceId"]),
        C(&["line_item_resource_id"]),
        C(&["ResourceId"]),
        "Resource id, when the export includes resource ids"
    ),
    col!(
        "instance_type",
        Text,
        false,
        MapKey("product", "instance_type", &["product_instance_type"]),
        C(&["product/instanceType"]),
        C(&["product_instance_type"]),
        Absent,
        "Instance type (`m5.large`, `db.r5.xlarge`)"
    ),
    col!(
        "description",
        Text,
        false,
        C(&["line_item_line_item_description"]),
        C(&["lineItem/LineItemDescription"]),
        C(&["line_item_line_item_description"]),
        C(&["ChargeDescription"]),
        "Line item description"
    ),
    col!(
        "usage_amount",
        Quantity,
        false,
        C(&["line_item_usage_amount"]),
        C(&["lineItem/UsageAmount"]),
        C(&["line_item_usage_amount"]),
        C(&["ConsumedQuantity"]),
        "Usage quantity in `pricing_unit`"
    ),
    col!(
        "pricing_unit",
        Text,
        false,
        C(&["pricing_unit"]),
        C(&["pricing/unit"]),
        C(&["pricing_unit"]),
        C(&["ConsumedUnit", "PricingUnit"]),
        "Unit of `usage_amount` (`Hrs`, `GB-Mo`)"
    ),
    col!(
        "currency",
        Text,
        false,
        C(&["line_item_currency_code"]),
        C(&["lineItem/CurrencyCode"]),
        C(&["line_item_currency_code"]),
        C(&["BillingCurrency"]),
        "Currency of every cost column"
    ),
    col!(
        "pricing_term",
        Text,
        false,
        C(&["pricing_term"]),
        C(&["pricing/term"]),
        C(&["pricing_term"]),
        C(&["PricingCategory"]),
        "OnDemand, Reserved, Spot; FOCUS: PricingCategory"
    ),
    col!(
        "purchase_option",
        Text,
        false,
        C(&["pricing_purchase_option"]),
        C(&["pricing/PurchaseOption"]),
        C(&["pricing_purchase_option"]),
        Absent,
        "RI purchase option (All/Partial/No Upfront)"
    ),
    col!(
        "unblended_cost",
        Money,
        true,
        C(&["line_item_unblended_cost"]),
        C(&["lineItem/UnblendedCost"]),
        C(&["line_item_unblended_cost"]),
        C(&["BilledCost"]),
        "Unblended cost; FOCUS: BilledCost"
    ),
    col!(
        "blended_cost",
        Money,
        false,
        C(&["line_item_blended_cost"]),
        C(&["lineItem/BlendedCost"]),
        C(&["line_item_blended_cost"]),
        Absent,
        "Blended cost (organisation-wide average rates)"
    ),
    col!(
        "net_unblended_cost",
        Money,
        false,
        C(&["line_item_net_unblended_cost"]),
        C(&["lineItem/NetUnblendedCost"]),
        C(&["line_item_net_unblended_cost"]),
        Absent,
        "Unblended cost after discounts, where the export carries it"
    ),
    col!(
        "public_on_demand_cost",
        Money,
        false,
        C(&["pricing_public_on_demand_cost"]),
        C(&["pricing/publicOnDemandCost"]),
        C(&["pricing_public_on_demand_cost"]),
        C(&["ListCost"]),
        "Cost at public on-demand rates; FOCUS: ListCost"
    ),
    col!(
        "effective_cost",
        Money,
        false,
        Absent,
        Absent,
        Absent,
        C(&["EffectiveCost"]),
        "FOCUS EffectiveCost (amortized); CUR computes amortized cost from the columns below"
    ),
    col!(
        "sp_effective_cost",
        Money,
        false,
        C(&["savings_plan_savings_plan_effective_cost"]),
        C(&["savingsPlan/SavingsPlanEffectiveCost"]),
        C(&["savings_plan_savings_plan_effective_cost"]),
        Absent,
        "Savings Plan effective cost of covered usage"
    ),
    col!(
        "sp_net_effective_cost",
        Money,
        false,
        C(&["savings_plan_net_savings_plan_effective_cost"]),
        C(&["savingsPlan/NetSavingsPlanEffectiveCost"]),
        C(&["savings_plan_net_savings_plan_effective_cost"]),
        Absent,
        "Savings Plan effective cost after discounts"
    ),
    col!(
        "sp_recurring_commitment",
        Money,
        false,
        C(&["savings_plan_recurring_commitment_for_billing_period"]),
        C(&["savingsPlan/RecurringCommitmentForBillingPeriod"]),
        C(&["savings_plan_recurring_commitment_for_billing_period"]),
        Absent,
        "Recurring Savings Plan commitment of the period (on SavingsPlanRecurringFee rows)"
    ),
    col!(
        "sp_amortized_upfront_commitment",
        Money,
        false,
        C(&["savings_plan_amortized_upfront_commitment_for_billing_period"]),
        C(&["savingsPlan/AmortizedUpfrontCommitmentForBillingPeriod"]),
        C(&["savings_plan_amortized_upfront_commitment_for_billing_period"]),
        Absent,
        "Upfront Savings Plan commitment amortized over the period"
    ),
    col!(
        "sp_used_commitment",
        Money,
        false,
        C(&["savings_plan_used_commitment"]),
        C(&["savingsPlan/UsedCommitment"]),
        C(&["savings_plan_used_commitment"]),
        Absent,
        "Savings Plan commitment used"
    ),
    col!(
        "sp_total_commitment_to_date",
        Money,
        false,
        C(&["savings_plan_total_commitment_to_date"]),
        C(&["savingsPlan/TotalCommitmentToDate"]),
        C(&["savings_plan_total_commitment_to_date"]),
        Absent,
        "Savings Plan commitment to date"
    ),
    col!(
        "sp_arn",
        Text,
        false,
        C(&[
            "savings_plan_savings_plan_arn",
            "savings_plan_savings_plan_a_r_n"
        ]),
        C(&["savingsPlan/SavingsPlanARN"]),
        C(&[
            "savings_plan_savings_plan_a_r_n",
            "savings_plan_savings_plan_arn"
        ]),
        C(&["CommitmentDiscountId"]),
        "Savings Plan ARN; FOCUS: CommitmentDiscountId"
    ),
    col!(
        "ri_effective_cost",
        Money,
        false,
        C(&["reservation_effective_cost"]),
        C(&["reservation/EffectiveCost"]),
        C(&["reservation_effective_cost"]),
        Absent,
        "Reservation effective cost of DiscountedUsage"
    ),
    col!(
        "ri_net_effective_cost",
        Money,
        false,
        C(&["reservation_net_effective_cost"]),
        C(&["reservation/NetEffectiveCost"]),
        C(&["reservation_net_effective_cost"]),
        Absent,
        "Reservation effective cost after discounts"
    ),
    col!(
        "ri_amortized_upfront_cost_for_usage",
        Money,
        false,
        C(&["reservation_amortized_upfront_cost_for_usage"]),
        C(&["reservation/AmortizedUpfrontCostForUsage"]),
        C(&["reservation_amortized_upfront_cost_for_usage"]),
        Absent,
        "Upfront RI fee amortized onto this usage"
    ),
    col!(
        "ri_recurring_fee_for_usage",
        Money,
        false,
        C(&["reservation_recurring_fee_for_usage"]),
        C(&["reservation/RecurringFeeForUsage"]),
        C(&["reservation_recurring_fee_for_usage"]),
        Absent,
        "Recurring RI fee attributed to this usage"
    ),
    col!(
        "ri_unused_amortized_upfront_fee",
        Money,
        false,
        C(&["reservation_unused_amortized_upfront_fee_for_billing_period"]),
        C(&["reservation/UnusedAmortizedUpfrontFeeForBillingPeriod"]),
        C(&["reservation_unused_amortized_upfront_fee_for_billing_period"]),
        Absent,
        "Upfront RI fee amortized over unused reservation hours (on RIFee rows)"
    ),
    col!(
        "ri_unused_recurring_fee",
        Money,
        false,
        C(&["reservation_unused_recurring_fee"]),
        C(&["reservation/UnusedRecurringFee"]),
        C(&["reservation_unused_recurring_fee"]),
        Absent,
        "Recurring RI fee of unused reservation hours (on RIFee rows)"
    ),
    col!(
        "ri_arn",
        Text,
        false,
        C(&[
            "reservation_reservation_arn",
            "reservation_reservation_a_r_n"
        ]),
        C(&["reservation/ReservationARN"]),
        C(&[
            "reservation_reservation_a_r_n",
            "reservation_reservation_arn"
        ]),
        Absent,
        "Reservation ARN"
    ),
    col!(
        "tags",
        Map,
        false,
        Prefixed("resource_tags"),
        Prefixed("resourceTags/"),
        Prefixed("resource_tags_"),
        Prefixed("Tags"),
        "Resource tags, keys as the source spells them (`user:Project`, `user_project`, `Project`)"
    ),
    col!(
        "cost_categories",
        Map,
        false,
        Prefixed("cost_category"),
        Prefixed("costCategory/"),
        Prefixed("cost_category_"),
        Absent,
        "Cost categories, keys as the source spells them"
    ),
];

/// The canonical column called `name`, if any.
pub fn column(name: &str) -> Option<&'static CanonicalColumn> {
    COLUMNS.iter().find(|c| c.name == name)
}

/// The canonical schema: `file_id` followed by [`COLUMNS`].
pub fn canonical_schema() -> Schema {
    let mut schema = Schema::with_capacity(COLUMNS.len() + 1);
    schema.insert(PlSmallStr::from_static(FILE_ID), DataType::UInt32);
    for c in COLUMNS {
        schema.insert(PlSmallStr::from_static(c.name), c.kind.dtype());
    }
    schema
}

/// Every source column name the table knows, for header sniffing.
pub fn known_source_names() -> impl Iterator<Item = &'static str> {
    COLUMNS.iter().flat_map(|c| {
        [c.cur2, c.legacy_csv, c.athena, c.focus]
            .into_iter()
            .flat_map(|s| match s {
                Source::Columns(names) => names.to_vec(),
                Source::MapKey(_, _, names) => names.to_vec(),
                _ => Vec::new(),
            })
    })
}

/// Renders the mapping table as Markdown for `docs/cur-schema.md`.
pub fn render_markdown_table() -> String {
    let mut out = String::from(
        "| canonical column | type | required | CUR 2.0 | legacy CUR CSV | legacy CUR Athena / Hive | FOCUS 1.x | meaning |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    out.push_str(&format!(
        "| `{FILE_ID}` | u32 | added | | | | | index of the input file in the load |\n"
    ));
    for c in COLUMNS {
        let cells = [c.cur2, c.legacy_csv, c.athena, c.focus].map(render_source);
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            c.name,
            render_kind(c.kind),
            if c.required { "yes" } else { "" },
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            c.doc
        ));
    }
    out
}

fn render_kind(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "text",
        Kind::AccountId => "account id",
        Kind::Money => "money f64",
        Kind::Quantity => "f64",
        Kind::Timestamp => "UTC µs",
        Kind::Map => "map",
    }
}

fn render_source(source: Source) -> String {
    let names = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    match source {
        Source::Absent => "—".to_string(),
        Source::Columns(list) => names(list),
        Source::MapKey(map, key, []) => format!("`{map}['{key}']`"),
        Source::MapKey(map, key, columns) => format!("{} or `{map}['{key}']`", names(columns)),
        Source::Prefixed(p) if p.ends_with('/') || p.ends_with('_') => {
            format!("columns `{p}*`")
        }
        Source::Prefixed(p) => format!("`{p}` (map or JSON object)"),
        Source::Literal(v) => format!("constant `{v}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names_are_unique() {
        let mut names: Vec<_> = COLUMNS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn schema_starts_with_file_id() {
        let schema = canonical_schema();
        assert_eq!(schema.len(), COLUMNS.len() + 1);
        assert_eq!(schema.get_at_index(0).unwrap().0.as_str(), FILE_ID);
    }

    #[test]
    fn docs_table_is_current() {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/cur-schema.md"))
                .expect("docs/cur-schema.md exists");
        assert!(
            doc.contains(&render_markdown_table()),
            "docs/cur-schema.md is stale: regenerate the table with `curlens schema --markdown`"
        );
    }
}

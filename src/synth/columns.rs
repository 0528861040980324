//! The output columns shared by every format: CUR 2.0 names with their legacy
//! CUR equivalents, the three map columns, and the FOCUS 1.0 projection. Each
//! column is a getter from a (model, row) pair to a [`Cell`].

use super::model::{Kind, Model, Resource, product_name};
use super::rng::{self, STREAM_ID};
use super::rows::{LineType, Row};
use super::time::{self, MS_PER_HOUR};

pub(crate) enum Cell<'a> {
    S(&'a str),
    O(String),
    F(f64),
    /// Absent number (null in Parquet, empty in CSV).
    N,
    /// Milliseconds since the epoch, UTC.
    T(i64),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColType {
    Str,
    F64,
    Ts,
}

pub(crate) struct RowRef<'a> {
    pub m: &'a Model,
    pub r: &'a Row,
    pub res: &'a Resource,
}

impl<'a> RowRef<'a> {
    pub(crate) fn new(m: &'a Model, r: &'a Row) -> RowRef<'a> {
        RowRef {
            m,
            r,
            res: &m.resources[r.res as usize],
        }
    }
    fn line(&self) -> &'a super::model::Line {
        &self.res.lines[usize::from(self.r.line)]
    }
    fn month(&self) -> &'a super::time::Month {
        &self.m.period.months[self.m.period.month_of_day(self.r.start_h.div_euclid(24))]
    }
    fn account(&self) -> &'a super::model::Account {
        &self.m.accounts[usize::from(self.res.account)]
    }
    fn is_resource(&self) -> bool {
        !matches!(
            self.res.kind,
            Kind::Billing | Kind::SavingsPlan | Kind::Reservation
        )
    }
    pub(crate) fn product_pairs(&self) -> Vec<(&'static str, &'a str)> {
        let l = self.line();
        let mut v = vec![("product_name", product_name(l.product_code))];
        if self.res.kind != Kind::Billing {
            v.push(("region", self.res.region().code));
        }
        v.push(("servicecode", l.product_code));
        if !l.instance_type.is_empty() {
            v.push(("instance_type", l.instance_type));
        }
        v
    }
    pub(crate) fn tag_pairs(&self) -> Vec<(&'static str, &'a str)> {
        let t = &self.res.tags;
        let mut v = Vec::new();
        if !self.is_resource() {
            return v;
        }
        for (k, val) in [
            ("user_Environment", &t.env),
            ("user_Project", &t.project),
            ("user_Team", &t.team),
        ] {
            if let Some(x) = val {
                v.push((k, x.as_str()));
            }
        }
        v
    }
    pub(crate) fn cost_category_pairs(&self) -> Vec<(&'static str, &'a str)> {
        vec![("team", self.res.tags.team_canon.unwrap_or("unallocated"))]
    }
    fn line_item_id(&self) -> String {
        rng::base32_id(&[
            self.m.seed,
            STREAM_ID,
            u64::from(self.r.res),
            u64::from(self.r.line),
            self.r.ty as u64,
            self.month().bill_start as u64,
        ])
    }
    fn interval(&self) -> String {
        format!(
            "{}/{}",
            time::fmt_ts_ms(self.r.start_h * MS_PER_HOUR),
            time::fmt_ts_ms(self.r.end_h * MS_PER_HOUR)
        )
    }
    fn commit_arn(&self, sp: bool) -> Cell<'a> {
        let m = self.m;
        match (sp, self.r.ty) {
            (true, LineType::SavingsPlanCoveredUsage | LineType::SavingsPlanNegation) => m
                .savings_plan
                .as_ref()
                .map_or(Cell::S(""), |s| Cell::S(&s.arn)),
            (true, LineType::SavingsPlanRecurringFee) => Cell::S(&self.res.id),
            (false, LineType::DiscountedUsage) => m
                .reservation
                .as_ref()
                .map_or(Cell::S(""), |s| Cell::S(&s.arn)),
            (false, LineType::RIFee) => Cell::S(&self.res.id),
            _ => Cell::S(""),
        }
    }
    fn sp_num(&self, x: f64) -> Cell<'a> {
        match self.r.ty {
            LineType::SavingsPlanCoveredUsage
            | LineType::SavingsPlanNegation
            | LineType::SavingsPlanRecurringFee => Cell::F(x),
            _ => Cell::N,
        }
    }
    fn ri_num(&self, x: f64) -> Cell<'a> {
        match self.r.ty {
            LineType::DiscountedUsage | LineType::RIFee => Cell::F(x),
            _ => Cell::N,
        }
    }
    /// Resources, and the Savings Plan / RI ARN on their own fee rows.
    fn resource_id(&self) -> Cell<'a> {
        if self.res.kind == Kind::Billing {
            Cell::S("")
        } else {
            Cell::S(&self.res.id)
        }
    }
    fn term(&self) -> &'static str {
        match self.r.ty {
            LineType::Usage | LineType::SavingsPlanCoveredUsage | LineType::SavingsPlanNegation => {
                "OnDemand"
            }
            LineType::DiscountedUsage | LineType::RIFee => "Reserved",
            _ => "",
        }
    }
    fn rate_cell(&self) -> Cell<'a> {
        match self.r.ty {
            LineType::Tax | LineType::Credit | LineType::Refund => Cell::S(""),
            LineType::DiscountedUsage => Cell::S("0.0"),
            _ => Cell::S(&self.line().rate_str),
        }
    }
    fn description(&self) -> Cell<'a> {
        Cell::S(&self.line().description)
    }
}

pub(crate) struct Col {
    pub cur2: &'static str,
    pub legacy: &'static str,
    pub ty: ColType,
    pub get: for<'a> fn(&RowRef<'a>) -> Cell<'a>,
}

macro_rules! col {
    ($cur2:literal, $legacy:literal, $ty:ident, $get:expr) => {
        Col {
            cur2: $cur2,
            legacy: $legacy,
            ty: ColType::$ty,
            get: $get,
        }
    };
}

fn family(x: &RowRef) -> &'static str {
    x.line().instance_type.split('.').next().unwrap_or("")
}

/// Flat CUR 2.0 columns in output order.
pub(crate) const CUR_COLUMNS: &[Col] = &[
    col!("identity_line_item_id", "identity/LineItemId", Str, |x| {
        Cell::O(x.line_item_id())
    }),
    col!(
        "identity_time_interval",
        "identity/TimeInterval",
        Str,
        |x| Cell::O(x.interval())
    ),
    col!("bill_bill_type", "bill/BillType", Str, |_| Cell::S(
        "Anniversary"
    )),
    col!("bill_billing_entity", "bill/BillingEntity", Str, |_| {
        Cell::S("AWS")
    }),
    col!(
        "bill_billing_period_start_date",
        "bill/BillingPeriodStartDate",
        Ts,
        |x| Cell::T(x.month().bill_start * 24 * MS_PER_HOUR)
    ),
    col!(
        "bill_billing_period_end_date",
        "bill/BillingPeriodEndDate",
        Ts,
        |x| Cell::T(x.month().bill_end * 24 * MS_PER_HOUR)
    ),
    col!("bill_invoicing_entity", "bill/InvoicingEntity", Str, |_| {
        Cell::S("Amazon Web Services, Inc.")
    }),
    col!("bill_payer_account_id", "bill/PayerAccountId", Str, |x| {
        Cell::S(&x.m.accounts[0].id)
    }),
    col!(
        "bill_payer_account_name",
        "bill/PayerAccountName",
        Str,
        |x| Cell::S(&x.m.accounts[0].name)
    ),
    col!(
        "line_item_usage_account_id",
        "lineItem/UsageAccountId",
        Str,
        |x| Cell::S(&x.account().id)
    ),
    col!(
        "line_item_usage_account_name",
        "lineItem/UsageAccountName",
        Str,
        |x| Cell::S(&x.account().name)
    ),
    col!(
        "line_item_line_item_type",
        "lineItem/LineItemType",
        Str,
        |x| Cell::S(x.r.ty.name())
    ),
    col!(
        "line_item_usage_start_date",
        "lineItem/UsageStartDate",
        Ts,
        |x| Cell::T(x.r.start_h * MS_PER_HOUR)
    ),
    col!(
        "line_item_usage_end_date",
        "lineItem/UsageEndDate",
        Ts,
        |x| Cell::T(x.r.end_h * MS_PER_HOUR)
    ),
    col!("line_item_product_code", "lineItem/ProductCode", Str, |x| {
        Cell::S(x.line().product_code)
    }),
    col!("line_item_usage_type", "lineItem/UsageType", Str, |x| {
        Cell::S(&x.line().usage_type)
    }),
    col!("line_item_operation", "lineItem/Operation", Str, |x| {
        Cell::S(x.line().operation)
    }),
    col!(
        "line_item_availability_zone",
        "lineItem/AvailabilityZone",
        Str,
        |x| Cell::S(&x.res.az)
    ),
    col!("line_item_resource_id", "lineItem/ResourceId", Str, |x| x
        .resource_id()),
    col!("line_item_usage_amount", "lineItem/UsageAmount", F64, |x| {
        Cell::F(x.r.usage)
    }),
    col!(
        "line_item_currency_code",
        "lineItem/CurrencyCode",
        Str,
        |_| Cell::S("USD")
    ),
    col!(
        "line_item_unblended_rate",
        "lineItem/UnblendedRate",
        Str,
        |x| x.rate_cell()
    ),
    col!(
        "line_item_unblended_cost",
        "lineItem/UnblendedCost",
        F64,
        |x| Cell::F(x.r.cost)
    ),
    col!("line_item_blended_cost", "lineItem/BlendedCost", F64, |x| {
        Cell::F(x.r.cost)
    }),
    col!(
        "line_item_net_unblended_cost",
        "lineItem/NetUnblendedCost",
        F64,
        |x| Cell::F(x.r.cost)
    ),
    col!(
        "line_item_line_item_description",
        "lineItem/LineItemDescription",
        Str,
        |x| x.description()
    ),
    col!(
        "line_item_normalization_factor",
        "lineItem/NormalizationFactor",
        F64,
        |x| Cell::F(x.line().norm)
    ),
    col!(
        "pricing_public_on_demand_cost",
        "pricing/publicOnDemandCost",
        F64,
        |x| Cell::F(x.r.od_cost)
    ),
    col!(
        "pricing_public_on_demand_rate",
        "pricing/publicOnDemandRate",
        Str,
        |x| if x.r.od_rate > 0.0 {
            Cell::S(&x.line().rate_str)
        } else {
            Cell::S("")
        }
    ),
    col!("pricing_term", "pricing/term", Str, |x| Cell::S(x.term())),
    col!("pricing_unit", "pricing/unit", Str, |x| Cell::S(
        x.line().unit
    )),
    col!(
        "pricing_purchase_option",
        "pricing/purchaseOption",
        Str,
        |x| Cell::S(if x.term() == "Reserved" {
            "No Upfront"
        } else {
            ""
        })
    ),
    col!("product_servicecode", "product/servicecode", Str, |x| {
        Cell::S(x.line().product_code)
    }),
    col!(
        "product_product_family",
        "product/productFamily",
        Str,
        |x| Cell::S(x.line().family)
    ),
    col!("product_region_code", "product/regionCode", Str, |x| {
        Cell::S(if x.res.kind == Kind::Billing {
            ""
        } else {
            x.res.region().code
        })
    }),
    col!("product_instance_type", "product/instanceType", Str, |x| {
        Cell::S(x.line().instance_type)
    }),
    col!(
        "product_instance_family",
        "product/instanceFamily",
        Str,
        |x| Cell::S(family(x))
    ),
    col!("product_from_location", "product/fromLocation", Str, |x| {
        Cell::S(x.line().from_loc)
    }),
    col!("product_to_location", "product/toLocation", Str, |x| {
        Cell::S(x.line().to_loc)
    }),
    col!(
        "reservation_reservation_arn",
        "reservation/ReservationARN",
        Str,
        |x| x.commit_arn(false)
    ),
    col!(
        "reservation_effective_cost",
        "reservation/EffectiveCost",
        F64,
        |x| x.ri_num(x.r.ri_eff)
    ),
    col!(
        "reservation_unused_amortized_upfront_fee_for_billing_period",
        "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
        F64,
        |x| x.ri_num(0.0)
    ),
    col!(
        "reservation_unused_recurring_fee",
        "reservation/UnusedRecurringFee",
        F64,
        |x| x.ri_num(x.r.ri_unused)
    ),
    col!(
        "reservation_amortized_upfront_fee_for_billing_period",
        "reservation/AmortizedUpfrontFeeForBillingPeriod",
        F64,
        |x| x.ri_num(0.0)
    ),
    col!(
        "reservation_recurring_fee_for_usage",
        "reservation/RecurringFeeForUsage",
        F64,
        |x| x.ri_num(x.r.ri_for_usage)
    ),
    col!(
        "savings_plan_savings_plan_arn",
        "savingsPlan/SavingsPlanARN",
        Str,
        |x| x.commit_arn(true)
    ),
    col!(
        "savings_plan_savings_plan_effective_cost",
        "savingsPlan/SavingsPlanEffectiveCost",
        F64,
        |x| x.sp_num(x.r.sp_eff)
    ),
    col!(
        "savings_plan_savings_plan_rate",
        "savingsPlan/SavingsPlanRate",
        F64,
        |x| x.sp_num(x.r.sp_rate)
    ),
    col!(
        "savings_plan_used_commitment",
        "savingsPlan/UsedCommitment",
        F64,
        |x| x.sp_num(x.r.sp_used)
    ),
    col!(
        "savings_plan_total_commitment_to_date",
        "savingsPlan/TotalCommitmentToDate",
        F64,
        |x| x.sp_num(x.r.sp_total)
    ),
    col!(
        "savings_plan_recurring_commitment_for_billing_period",
        "savingsPlan/RecurringCommitmentForBillingPeriod",
        F64,
        |x| x.sp_num(x.r.sp_recurring)
    ),
    col!(
        "savings_plan_amortized_upfront_commitment_for_billing_period",
        "savingsPlan/AmortizedUpfrontCommitmentForBillingPeriod",
        F64,
        |x| x.sp_num(0.0)
    ),
];

/// Legacy-only columns expanding the CUR 2.0 map columns.
pub(crate) const LEGACY_MAP_COLUMNS: &[Col] = &[
    col!("", "product/ProductName", Str, |x| Cell::S(product_name(
        x.line().product_code
    ))),
    col!("", "product/region", Str, |x| Cell::S(
        if x.res.kind == Kind::Billing {
            ""
        } else {
            x.res.region().code
        }
    )),
    col!("", "resourceTags/user:Environment", Str, |x| tag(x, 1)),
    col!("", "resourceTags/user:Project", Str, |x| tag(x, 0)),
    col!("", "resourceTags/user:Team", Str, |x| tag(x, 2)),
    col!("", "costCategory/team", Str, |x| Cell::S(
        x.res.tags.team_canon.unwrap_or("unallocated")
    )),
];

fn tag<'a>(x: &RowRef<'a>, i: usize) -> Cell<'a> {
    if !x.is_resource() {
        return Cell::S("");
    }
    let t = &x.res.tags;
    let v = [&t.project, &t.env, &t.team][i];
    Cell::S(v.as_deref().unwrap_or(""))
}

fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn focus_tags(x: &RowRef) -> String {
    let mut s = String::from("{");
    for (i, (k, v)) in x.tag_pairs().iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        json_str(k.trim_start_matches("user_"), &mut s);
        s.push(':');
        json_str(v, &mut s);
    }
    s.push('}');
    s
}

fn charge_category(x: &RowRef) -> &'static str {
    match x.r.ty {
        LineType::Usage
        | LineType::SavingsPlanCoveredUsage
        | LineType::DiscountedUsage
        | LineType::SavingsPlanNegation => "Usage",
        LineType::SavingsPlanRecurringFee | LineType::RIFee => "Purchase",
        LineType::Tax => "Tax",
        LineType::Credit => "Credit",
        LineType::Refund => "Adjustment",
    }
}

fn commitment_type(x: &RowRef) -> &'static str {
    match x.r.ty {
        LineType::SavingsPlanCoveredUsage
        | LineType::SavingsPlanNegation
        | LineType::SavingsPlanRecurringFee => "Savings Plan",
        LineType::DiscountedUsage | LineType::RIFee => "Reserved Instance",
        _ => "",
    }
}

fn service_category(code: &str) -> &'static str {
    match code {
        "AmazonEC2" | "AWSLambda" | "ComputeSavingsPlans" => "Compute",
        "AmazonS3" => "Storage",
        "AmazonRDS" => "Databases",
        "AWSDataTransfer" | "AmazonVPC" | "AWSELB" => "Networking",
        "AmazonCloudWatch" => "Management and Governance",
        _ => "Security",
    }
}

/// FOCUS 1.0 columns.
pub(crate) const FOCUS_COLUMNS: &[Col] = &[
    col!("", "AvailabilityZone", Str, |x| Cell::S(&x.res.az)),
    col!("", "BilledCost", F64, |x| Cell::F(x.r.cost)),
    col!("", "BillingAccountId", Str, |x| Cell::S(
        &x.m.accounts[0].id
    )),
    col!("", "BillingAccountName", Str, |x| Cell::S(
        &x.m.accounts[0].name
    )),
    col!("", "BillingCurrency", Str, |_| Cell::S("USD")),
    col!("", "BillingPeriodEnd", Ts, |x| Cell::T(
        x.month().bill_end * 24 * MS_PER_HOUR
    )),
    col!("", "BillingPeriodStart", Ts, |x| Cell::T(
        x.month().bill_start * 24 * MS_PER_HOUR
    )),
    col!("", "ChargeCategory", Str, |x| Cell::S(charge_category(x))),
    col!("", "ChargeClass", Str, |_| Cell::S("")),
    col!("", "ChargeDescription", Str, |x| x.description()),
    col!("", "ChargeFrequency", Str, |x| Cell::S(match x.r.ty {
        LineType::SavingsPlanRecurringFee | LineType::RIFee => "Recurring",
        LineType::Tax | LineType::Credit | LineType::Refund => "One-Time",
        _ => "Usage-Based",
    })),
    col!("", "ChargePeriodEnd", Ts, |x| Cell::T(
        x.r.end_h * MS_PER_HOUR
    )),
    col!("", "ChargePeriodStart", Ts, |x| Cell::T(
        x.r.start_h * MS_PER_HOUR
    )),
    col!("", "CommitmentDiscountCategory", Str, |x| Cell::S(
        if commitment_type(x).is_empty() {
            ""
        } else {
            "Spend"
        }
    )),
    col!("", "CommitmentDiscountId", Str, |x| match x.r.ty {
        LineType::DiscountedUsage | LineType::RIFee => x.commit_arn(false),
        _ => x.commit_arn(true),
    }),
    col!("", "CommitmentDiscountType", Str, |x| Cell::S(
        commitment_type(x)
    )),
    col!("", "ConsumedQuantity", F64, |x| Cell::F(x.r.usage)),
    col!("", "ConsumedUnit", Str, |x| Cell::S(x.line().unit)),
    col!("", "EffectiveCost", F64, |x| Cell::F(x.r.effective_cost())),
    col!("", "InvoiceIssuerName", Str, |_| Cell::S(
        "Amazon Web Services, Inc."
    )),
    col!("", "ListCost", F64, |x| Cell::F(x.r.od_cost)),
    col!("", "ListUnitPrice", F64, |x| Cell::F(x.r.od_rate)),
    col!("", "PricingCategory", Str, |x| Cell::S(match x.term() {
        "OnDemand" => "Standard",
        "Reserved" => "Committed",
        _ => "",
    })),
    col!("", "PricingQuantity", F64, |x| Cell::F(x.r.usage)),
    col!("", "PricingUnit", Str, |x| Cell::S(x.line().unit)),
    col!("", "ProviderName", Str, |_| Cell::S("AWS")),
    col!("", "PublisherName", Str, |_| Cell::S("AWS")),
    col!("", "RegionId", Str, |x| Cell::S(
        if x.res.kind == Kind::Billing {
            ""
        } else {
            x.res.region().code
        }
    )),
    col!("", "RegionName", Str, |x| Cell::S(
        if x.res.kind == Kind::Billing {
            ""
        } else {
            x.res.region().location
        }
    )),
    col!("", "ResourceId", Str, |x| x.resource_id()),
    col!("", "ServiceCategory", Str, |x| Cell::S(service_category(
        x.line().product_code
    ))),
    col!("", "ServiceName", Str, |x| Cell::S(product_name(
        x.line().product_code
    ))),
    col!("", "SkuId", Str, |x| Cell::S(&x.line().usage_type)),
    col!("", "SubAccountId", Str, |x| Cell::S(&x.account().id)),
    col!("", "SubAccountName", Str, |x| Cell::S(&x.account().name)),
    col!("", "Tags", Str, |x| Cell::O(focus_tags(x))),
];

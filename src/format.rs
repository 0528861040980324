//! Source formats and their detection from a file's whole column set.
//!
//! A snake_case header alone does not mean CUR 2.0: legacy CUR read through Athena is
//! snake_case too. CUR 2.0 is recognised by its MAP-typed `product` / `resource_tags` /
//! `cost_category` columns or its account-name columns; legacy Athena by its flattened
//! `resource_tags_*` columns, `*_a_r_n` names and `product_product_name`.

use std::fmt;

use polars::prelude::DataType;
use serde::Serialize;

/// The column-naming family of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceFormat {
    /// AWS Data Exports CUR 2.0: snake_case, MAP columns.
    Cur2,
    /// Legacy CUR CSV: `lineItem/UnblendedCost` headers.
    LegacyCsv,
    /// Legacy CUR as Athena writes it (Parquet or Hive text): snake_case, flat tag columns.
    LegacyAthena,
    /// FOCUS 1.x: `BilledCost`, `ChargePeriodStart`...
    Focus,
}

impl SourceFormat {
    pub fn label(self) -> &'static str {
        match self {
            SourceFormat::Cur2 => "CUR 2.0",
            SourceFormat::LegacyCsv => "legacy CUR (CSV headers)",
            SourceFormat::LegacyAthena => "legacy CUR (Athena snake_case)",
            SourceFormat::Focus => "FOCUS 1.x",
        }
    }
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The outcome of detection: a format, and the evidence that decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detection {
    pub format: SourceFormat,
    pub evidence: String,
}

/// Decides the format from the column names and types of one file.
///
/// Returns `Err(reason)` when the columns fit no known format.
pub fn detect(columns: &[(String, DataType)]) -> Result<Detection, String> {
    let has = |name: &str| columns.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let found = |format, evidence: &str| {
        Ok(Detection {
            format,
            evidence: evidence.to_string(),
        })
    };

    if has("BilledCost") && has("ChargePeriodStart") {
        return found(
            SourceFormat::Focus,
            "BilledCost and ChargePeriodStart columns",
        );
    }
    if has("lineItem/UnblendedCost") || columns.iter().any(|(n, _)| n.starts_with("lineItem/")) {
        return found(
            SourceFormat::LegacyCsv,
            "category/Name headers such as lineItem/UnblendedCost",
        );
    }
    if !(has("line_item_unblended_cost") || has("line_item_usage_start_date")) {
        return Err(unrecognised(columns));
    }

    let is_map = |name: &str| {
        columns
            .iter()
            .any(|(n, t)| n.eq_ignore_ascii_case(name) && matches!(t, DataType::List(_)))
    };
    if let Some(map) = ["resource_tags", "product", "cost_category"]
        .into_iter()
        .find(|m| is_map(m))
    {
        return found(
            SourceFormat::Cur2,
            &format!("snake_case with MAP column `{map}`"),
        );
    }
    let athena_marker = columns.iter().map(|(n, _)| n.as_str()).find(|n| {
        n.starts_with("resource_tags_")
            || n.ends_with("_a_r_n")
            || n.eq_ignore_ascii_case("product_product_name")
            || n.eq_ignore_ascii_case("product_region")
    });
    if let Some(marker) = athena_marker {
        return found(
            SourceFormat::LegacyAthena,
            &format!("snake_case with flattened legacy column `{marker}`"),
        );
    }
    if let Some(marker) = ["bill_payer_account_name", "line_item_usage_account_name"]
        .into_iter()
        .find(|n| has(n))
    {
        return found(
            SourceFormat::Cur2,
            &format!("snake_case with CUR 2.0 column `{marker}`"),
        );
    }
    found(
        SourceFormat::LegacyAthena,
        "snake_case without CUR 2.0 markers (no MAP columns, no account names)",
    )
}

fn unrecognised(columns: &[(String, DataType)]) -> String {
    let sample: Vec<&str> = columns.iter().take(6).map(|(n, _)| n.as_str()).collect();
    format!(
        "none of CUR 2.0 / legacy CUR / FOCUS: no `line_item_unblended_cost`, `lineItem/UnblendedCost` \
         or `BilledCost` column (first columns: {})",
        sample.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(names: &[&str]) -> Vec<(String, DataType)> {
        names
            .iter()
            .map(|n| (n.to_string(), DataType::String))
            .collect()
    }

    #[test]
    fn focus_by_its_cost_and_period_columns() {
        let d = detect(&text(&["BilledCost", "ChargePeriodStart", "ServiceName"])).unwrap();
        assert_eq!(d.format, SourceFormat::Focus);
    }

    #[test]
    fn legacy_csv_by_slash_headers() {
        let d = detect(&text(&["identity/LineItemId", "lineItem/UnblendedCost"])).unwrap();
        assert_eq!(d.format, SourceFormat::LegacyCsv);
    }

    #[test]
    fn snake_case_with_flat_tags_is_legacy_athena() {
        let cols = text(&["line_item_unblended_cost", "resource_tags_user_cost_center"]);
        assert_eq!(detect(&cols).unwrap().format, SourceFormat::LegacyAthena);
    }

    #[test]
    fn snake_case_with_map_column_is_cur2() {
        let mut cols = text(&["line_item_unblended_cost"]);
        cols.push(("resource_tags".into(), crate::schema::map_dtype()));
        let d = detect(&cols).unwrap();
        assert_eq!(d.format, SourceFormat::Cur2);
        assert!(d.evidence.contains("resource_tags"));
    }

    #[test]
    fn snake_case_with_account_name_is_cur2() {
        let cols = text(&["line_item_unblended_cost", "line_item_usage_account_name"]);
        assert_eq!(detect(&cols).unwrap().format, SourceFormat::Cur2);
    }

    #[test]
    fn unknown_columns_are_rejected_with_a_sample() {
        let err = detect(&text(&["a", "b"])).unwrap_err();
        assert!(err.contains("first columns: a, b"), "{err}");
    }
}

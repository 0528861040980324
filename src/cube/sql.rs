//! The cube as SQL over a CUR 2.0 table (Athena / Trino; Spark SQL accepts it too), so an
//! organisation whose exports outgrow one machine can build the same cube where its data
//! lives and hand the result to curlens.

use super::dimension::Dimension;
use super::expr::cur2_sql;
use super::{CubeSpec, Granularity};

/// `SELECT ... GROUP BY ...` producing the same columns as [`super::aggregate`].
pub fn cube_sql(spec: &CubeSpec, table: &str) -> String {
    let period = match spec.granularity {
        Granularity::Total => "CAST(NULL AS TIMESTAMP)".to_string(),
        g => format!("date_trunc('{}', {})", g.name(), cur2_sql("usage_start")),
    };
    let mut select = vec![format!("{period} AS period"), Dimension::Currency.to_sql()];
    select.extend(
        spec.dimensions
            .iter()
            .filter(|d| **d != Dimension::Currency)
            .map(Dimension::to_sql),
    );
    let keys = select.len();
    select.extend(
        spec.metrics
            .iter()
            .map(|m| format!("SUM({}) AS {}", m.definition().to_sql(), m.column())),
    );
    select.push("COUNT(*) AS \"rows\"".to_string());
    let group_by: Vec<String> = (1..=keys).map(|i| i.to_string()).collect();
    format!(
        "-- curlens cube: {} × {}\nSELECT\n  {}\nFROM {table}\nGROUP BY {}\nORDER BY {}\n",
        spec.granularity.name(),
        spec.dimensions
            .iter()
            .map(Dimension::name)
            .collect::<Vec<_>>()
            .join(", "),
        select.join(",\n  "),
        group_by.join(", "),
        group_by.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cube::Metric;

    #[test]
    fn daily_cube_sql_names_cur2_columns() {
        let spec = CubeSpec::daily(vec![
            Dimension::Account,
            Dimension::Category,
            Dimension::Tag("Project".into()),
        ]);
        let sql = cube_sql(&spec, "cur");
        assert!(
            sql.contains("date_trunc('day', line_item_usage_start_date) AS period"),
            "{sql}"
        );
        assert!(
            sql.contains(
                "COALESCE(NULLIF(line_item_usage_account_id, ''), '(none)') AS \"account\""
            ),
            "{sql}"
        );
        assert!(
            sql.contains("element_at(resource_tags, 'user_Project')"),
            "{sql}"
        );
        assert!(
            sql.contains("WHEN line_item_line_item_type = 'SavingsPlanNegation' THEN 0"),
            "{sql}"
        );
        assert!(sql.contains(&format!("AS {}", Metric::Amortized.column())));
        assert!(sql.trim_end().ends_with("ORDER BY 1, 2, 3, 4, 5"), "{sql}");
    }
}

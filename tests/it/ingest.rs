use curlens::format::SourceFormat;
use curlens::ingest::{self, LoadOptions};
use curlens::inspect;
use curlens::tags::{build_map_column, map_lookup};
use polars::prelude::*;

use crate::util::*;

#[test]
fn legacy_csv_loads_with_exact_types_and_totals() {
    let load = load(&[fixture("legacy_slash_headers.csv")]);
    assert_eq!(load.files[0].format, SourceFormat::LegacyCsv);
    let (total, rows) = unblended_total(&load);
    assert_eq!(rows, 8);
    assert_close(total, 0.9870000177, "unblended");

    let df = columns(
        &load,
        &[
            "usage_account_id",
            "service_code",
            "product_code",
            "description",
            "tags",
            "usage_start",
        ],
    );
    assert_eq!(
        strings(&df, "usage_account_id")[0].as_deref(),
        Some("011254002932")
    );
    assert_eq!(strings(&df, "product_code")[3].as_deref(), Some("AmazonS3"));
    assert_eq!(
        strings(&df, "service_code")[3].as_deref(),
        Some("AWSDataTransfer")
    );
    assert_eq!(
        strings(&df, "description")[2].as_deref(),
        Some("Storage, Standard \"hot\" tier")
    );
    let project = map_lookup(df.column("tags").unwrap(), "project").unwrap();
    let project: Vec<Option<&str>> = project.str().unwrap().iter().collect();
    assert_eq!(
        project,
        [
            Some("WebApp"),
            Some("WebApp"),
            None,
            Some("Data"),
            None,
            None,
            None,
            Some("WebApp")
        ]
    );
    let start = df.column("usage_start").unwrap();
    assert_eq!(start.dtype(), &curlens::schema::timestamp_dtype());
    assert_eq!(
        start.to_physical_repr().i64().unwrap().get(1),
        Some(1_699_437_600_000_000)
    );

    let plan = &load.files[0];
    assert_eq!(plan.unmapped, ["product/sku"]);
    assert!(plan.keyed);
}

#[test]
fn focus_csv_with_null_literals_and_json_tags() {
    let load = load(&[fixture("focus_nulls_json_tags.csv")]);
    assert_eq!(load.files[0].format, SourceFormat::Focus);
    let (total, rows) = unblended_total(&load);
    assert_eq!(rows, 4);
    assert_close(total, 3.5, "BilledCost");
    let df = columns(
        &load,
        &[
            "provider",
            "region",
            "payer_account_id",
            "effective_cost",
            "tags",
            "line_item_type",
        ],
    );
    assert_eq!(
        strings(&df, "provider"),
        [Some("AWS"), Some("AWS"), Some("Microsoft"), Some("AWS")].map(|v| v.map(String::from))
    );
    assert_eq!(strings(&df, "region")[1], None);
    assert_eq!(
        strings(&df, "payer_account_id")[0].as_deref(),
        Some("0000000000123")
    );
    assert_eq!(strings(&df, "line_item_type")[3].as_deref(), Some("Credit"));
    let env = map_lookup(df.column("tags").unwrap(), "environment").unwrap();
    let env: Vec<Option<&str>> = env.str().unwrap().iter().collect();
    assert_eq!(env, [Some("dev"), None, Some("prod"), None]);
    let effective = column_sum(&df, "effective_cost");
    assert_close(effective, 3.25, "EffectiveCost");
    assert!(!load.files[0].keyed);
}

/// A CUR 2.0 frame as polars reads one: snake_case, MAP columns, us timestamps with zone.
fn cur2_frame(ids: &[&str], costs: &[f64]) -> DataFrame {
    let n = ids.len();
    let tags = build_map_column(
        "resource_tags".into(),
        (0..n).map(|i| {
            if i % 2 == 0 {
                vec![("user_project", "WebApp"), ("user_team", "core")]
            } else {
                vec![]
            }
        }),
    )
    .unwrap();
    let product = build_map_column(
        "product".into(),
        (0..n).map(|_| {
            vec![
                ("product_name", "Amazon Elastic Compute Cloud"),
                ("region", "eu-west-1"),
            ]
        }),
    )
    .unwrap();
    let start = Int64Chunked::from_vec(
        "line_item_usage_start_date".into(),
        (0..n as i64)
            .map(|i| 1_759_276_800_000_000 + i * 3_600_000_000)
            .collect(),
    )
    .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
    .into_series();
    DataFrame::new_infer_height(vec![
        Column::new("identity_line_item_id".into(), ids),
        Column::new(
            "identity_time_interval".into(),
            vec!["2025-10-01T00:00:00Z/2025-10-01T01:00:00Z"; n],
        ),
        Column::new("bill_payer_account_id".into(), vec!["000000000001"; n]),
        Column::new("bill_payer_account_name".into(), vec!["Org"; n]),
        Column::new("line_item_usage_account_id".into(), vec!["011254002932"; n]),
        Column::new("line_item_line_item_type".into(), vec!["Usage"; n]),
        start.into_column(),
        Column::new("line_item_product_code".into(), vec!["AmazonEC2"; n]),
        Column::new("line_item_unblended_cost".into(), costs),
        Column::new("line_item_currency_code".into(), vec!["USD"; n]),
        tags.into_column(),
        product.into_column(),
    ])
    .unwrap()
}

#[test]
fn cur2_parquet_with_map_columns() {
    let dir = tempfile::tempdir().unwrap();
    let period = dir.path().join("BILLING_PERIOD=2025-10");
    std::fs::create_dir_all(&period).unwrap();
    write_parquet(
        &period.join("part-00000.snappy.parquet"),
        &mut cur2_frame(&["a", "b", "c"], &[1.0, 2.5, 1e-10]),
    );
    let load = load(&[dir.path().to_path_buf()]);
    assert_eq!(load.files[0].format, SourceFormat::Cur2);
    assert!(
        load.files[0].evidence.contains("MAP"),
        "{}",
        load.files[0].evidence
    );
    let (total, rows) = unblended_total(&load);
    assert_eq!(rows, 3);
    assert_close(total, 3.5000000001, "unblended");
    let df = columns(
        &load,
        &["service_name", "region", "tags", "billing_period_start"],
    );
    assert_eq!(
        strings(&df, "service_name")[0].as_deref(),
        Some("Amazon Elastic Compute Cloud")
    );
    assert_eq!(strings(&df, "region")[2].as_deref(), Some("eu-west-1"));
    let team = map_lookup(df.column("tags").unwrap(), "team").unwrap();
    assert_eq!(
        team.str().unwrap().iter().collect::<Vec<_>>(),
        [Some("core"), None, Some("core")]
    );
    // No billing-period column: taken from the BILLING_PERIOD= folder.
    let bp = df
        .column("billing_period_start")
        .unwrap()
        .to_physical_repr();
    assert_eq!(bp.i64().unwrap().get(0), Some(1_759_276_800_000_000));
}

#[test]
fn athena_parquet_with_flat_tags_integer_accounts_and_naive_ms_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let start = Int64Chunked::from_vec(
        "line_item_usage_start_date".into(),
        vec![1_543_622_400_000, 1_543_626_000_000],
    )
    .into_datetime(TimeUnit::Milliseconds, None)
    .into_column();
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("identity_line_item_id".into(), ["x1", "x2"]),
        Column::new("identity_time_interval".into(), ["i1", "i2"]),
        Column::new(
            "line_item_usage_account_id".into(),
            [11_254_002_932i64, 836_060_457_634],
        ),
        Column::new(
            "line_item_line_item_type".into(),
            ["Usage", "DiscountedUsage"],
        ),
        start,
        Column::new("line_item_product_code".into(), ["AmazonEC2", "AmazonEC2"]),
        Column::new("line_item_unblended_cost".into(), [0.5, 0.0]),
        Column::new("reservation_effective_cost".into(), [0.0, 0.031]),
        Column::new(
            "reservation_reservation_a_r_n".into(),
            ["", "arn:aws:ec2:ri"],
        ),
        Column::new("product_region".into(), ["us-east-1", "us-west-2"]),
        Column::new("resource_tags_user_cost_center".into(), ["", "CC-1"]),
        Column::new("resource_tags_aws_created_by".into(), ["IAMUser", ""]),
    ])
    .unwrap();
    let path = dir.path().join("Dec2018-WorkshopCUR-00001.snappy.parquet");
    write_parquet(&path, &mut df);
    let load = load(&[path]);
    assert_eq!(load.files[0].format, SourceFormat::LegacyAthena);
    let df = columns(
        &load,
        &[
            "usage_account_id",
            "usage_start",
            "ri_arn",
            "ri_effective_cost",
            "region",
            "tags",
        ],
    );
    assert_eq!(
        strings(&df, "usage_account_id")[0].as_deref(),
        Some("011254002932")
    );
    assert_eq!(
        strings(&df, "ri_arn"),
        [None, Some("arn:aws:ec2:ri".to_string())]
    );
    assert_eq!(strings(&df, "region")[1].as_deref(), Some("us-west-2"));
    assert_eq!(
        df.column("usage_start")
            .unwrap()
            .to_physical_repr()
            .i64()
            .unwrap()
            .get(1),
        Some(1_543_626_000_000_000)
    );
    // Only the source columns behind the selected canonical columns are read.
    let plan = load
        .frame
        .clone()
        .select([col("unblended_cost")])
        .explain(true)
        .unwrap();
    assert!(plan.contains("PROJECT 1/12 COLUMNS"), "{plan}");
    let cc = map_lookup(df.column("tags").unwrap(), "costcenter").unwrap();
    assert_eq!(
        cc.str().unwrap().iter().collect::<Vec<_>>(),
        [None, Some("CC-1")]
    );
    let created = map_lookup(df.column("tags").unwrap(), "aws:createdby").unwrap();
    assert_eq!(created.str().unwrap().get(0), Some("IAMUser"));
}

const HIVE_HEADER: &str = "identity_line_item_id\x01identity_time_interval\x01line_item_usage_account_id\x01line_item_line_item_type\x01line_item_usage_start_date\x01line_item_unblended_cost\x01resource_tags_user_tier\x01year\x01month";

fn hive_rows(rows: &[&str]) -> Vec<u8> {
    rows.iter()
        .map(|r| format!("{}\n", r.replace('|', "\x01")))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn headerless_hive_text_loads_with_header_from_and_duplicates_count_once() {
    let dir = tempfile::tempdir().unwrap();
    let with_header = dir.path().join("Step1CUR.gz");
    let mut bytes = format!("{HIVE_HEADER}\n").into_bytes();
    bytes.extend(hive_rows(&[
        "a|2019-11-26T22:00:00Z/2019-11-26T23:00:00Z|011254002932|Usage|2019-11-26 22:00:00|1.4724E-6|front|2019|11",
        "b|2019-11-26T23:00:00Z/2019-11-27T00:00:00Z|011254002932|Usage|2019-11-26 23:00:00|2.5|\\N|2019|11",
    ]));
    write_gzip(&with_header, &bytes);
    let headerless = dir.path().join("Step2CUR.gz");
    write_gzip(
        &headerless,
        &hive_rows(&[
            "b|2019-11-26T23:00:00Z/2019-11-27T00:00:00Z|011254002932|Usage|2019-11-26 23:00:00|2.5|\\N|2019|11",
            "c|2019-11-27T00:00:00Z/2019-11-27T01:00:00Z|011254002932|Usage|2019-11-27 00:00:00|4||2019|11",
        ]),
    );

    let err = ingest::load(&[dir.path().to_path_buf()], &LoadOptions::default())
        .err()
        .expect("needs a header");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: the first line holds no known column name (9 fields, starting `b|2019-11-26T23:00:00Z/2019-11-27T00:00:00Z|011254002932`): \
             this looks like an extract without a header row\nhint: pass --header-from FILE, where FILE's first line holds the 9 column names",
            headerless.display()
        )
    );

    let options = LoadOptions {
        header_from: vec![with_header.clone()],
        ..LoadOptions::default()
    };
    let load = ingest::load(&[dir.path().to_path_buf()], &options).unwrap();
    assert!(load.deduplicated);
    let (total, rows) = unblended_total(&load);
    assert_eq!(rows, 3);
    assert_close(total, 6.5000014724, "de-duplicated unblended");

    let ins = inspect::inspect(&load).unwrap();
    assert_eq!(ins.duplicate_rows, 1);
    assert_eq!(ins.total.rows, 3);
    assert_eq!(
        ins.files[1].container,
        "Hive text (\\x01-separated), gzip, no header row"
    );
    assert_eq!(ins.total.billing_periods, ["2019-11"]);
    assert!(
        ins.warnings
            .iter()
            .any(|w| w.code == "duplicate-line-items")
    );
}

#[test]
fn files_with_different_columns_are_unioned_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("oct.csv");
    let b = dir.path().join("nov.csv");
    std::fs::write(&a, "identity/LineItemId,identity/TimeInterval,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UnblendedCost\nx,i,1,Usage,2025-10-01T00:00:00Z,1\n").unwrap();
    std::fs::write(&b, "identity/LineItemId,identity/TimeInterval,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UnblendedCost,lineItem/BlendedCost,lineItem/CurrencyCode\ny,j,1,Usage,2025-11-01T00:00:00Z,2,1.5,USD\n").unwrap();
    let load = load(&[a, b]);
    let df = columns(&load, &["blended_cost", "currency", "unblended_cost"]);
    let blended: Vec<Option<f64>> = df
        .column("blended_cost")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect();
    // Files are read in path order: nov.csv before oct.csv.
    assert_eq!(blended, [Some(1.5), None]);
    let ins = inspect::inspect(&load).unwrap();
    assert!(
        ins.warnings.iter().any(|w| w.code == "schema-drift"),
        "{:?}",
        ins.warnings
    );
}

#[test]
fn overlapping_exports_and_mixed_currencies_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let header = "identity/LineItemId,identity/TimeInterval,bill/BillingPeriodStartDate,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UnblendedCost,lineItem/CurrencyCode";
    for (folder, currency) in [
        ("20251001-20251101/v1", "USD"),
        ("20251001-20251101/v2", "EUR"),
    ] {
        let d = dir.path().join(folder);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("cur.csv"),
            format!(
                "{header}\nsame,i,2025-10-01T00:00:00Z,1,Usage,2025-10-02T00:00:00Z,1,{currency}\n"
            ),
        )
        .unwrap();
    }
    let load = load(&[dir.path().to_path_buf()]);
    let ins = inspect::inspect(&load).unwrap();
    let codes: Vec<&str> = ins.warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, ["duplicate-line-items", "overlapping-exports"]);
    assert_eq!(ins.total.rows, 1);

    let options = LoadOptions {
        deduplicate: false,
        ..LoadOptions::default()
    };
    let all = ingest::load(&[dir.path().to_path_buf()], &options).unwrap();
    let ins = inspect::inspect(&all).unwrap();
    assert_eq!(ins.total.rows, 2);
    assert!(ins.warnings.iter().any(|w| w.code == "mixed-currencies"));
    assert_eq!(ins.total.unblended_by_currency.len(), 2);
}

//! The cube's two engines — the Parquet path and the frame engine — give the same cube:
//! the same keys, row counts and metric sums, and the same breakdown bytes, on generated
//! and real exports; a damaged Parquet file is an error that names it.

use std::path::PathBuf;

use curlens::breakdown::{self, Format};
use curlens::cube::{
    self, Condition, CubeSpec, Day, Dimension, Engine, Filters, Granularity, Metric,
};

use crate::util::*;

fn spec(dims: &[&str], granularity: Granularity, filters: Filters) -> CubeSpec {
    CubeSpec {
        dimensions: dims.iter().map(|d| Dimension::parse(d).unwrap()).collect(),
        granularity,
        metrics: Metric::ALL.to_vec(),
        filters,
    }
}

fn filters(conditions: &[(&str, bool)], from: Option<&str>, to: Option<&str>) -> Filters {
    Filters {
        conditions: conditions
            .iter()
            .map(|(c, exclude)| Condition::parse(c, *exclude).unwrap())
            .collect(),
        from: from.map(|d| Day::parse(d).unwrap()),
        to: to.map(|d| Day::parse(d).unwrap()),
    }
}

/// Both engines on `paths`: the same cube, to 1e-12 relative, and the same CSV bytes.
fn assert_same_cube(paths: &[PathBuf], spec: &CubeSpec) -> usize {
    let load = load(paths);
    let what = format!("{:?} by {:?}", spec.granularity, spec.dimensions);
    let frame = cube::aggregate_on(&load, spec, Engine::Frame).unwrap();
    let parquet =
        cube::aggregate_on(&load, spec, Engine::Parquet).unwrap_or_else(|e| panic!("{what}: {e}"));
    let (a, b) = (&frame.frame, &parquet.frame);
    assert_eq!(a.height(), b.height(), "{what}: group count");
    assert!(a.height() > 0, "{what}: empty cube");
    for key in spec.key_columns() {
        assert!(
            a.column(&key)
                .unwrap()
                .equals_missing(b.column(&key).unwrap()),
            "{what}: key column {key}"
        );
    }
    assert_eq!(
        frame
            .line_items()
            .unwrap()
            .into_no_null_iter()
            .collect::<Vec<_>>(),
        parquet
            .line_items()
            .unwrap()
            .into_no_null_iter()
            .collect::<Vec<_>>(),
        "{what}: line items per group"
    );
    for m in &spec.metrics {
        let (x, y) = (frame.values(*m).unwrap(), parquet.values(*m).unwrap());
        for (i, (x, y)) in x.into_no_null_iter().zip(y.into_no_null_iter()).enumerate() {
            assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(1.0),
                "{what}: {m} of group {i}: {x} vs {y}"
            );
        }
    }
    let csv = |c: &cube::Cube| {
        breakdown::render(&breakdown::breakdown(c, Some(25)).unwrap(), Format::Csv).unwrap()
    };
    assert_eq!(csv(&frame), csv(&parquet), "{what}: breakdown CSV");
    a.height()
}

#[test]
fn both_engines_give_the_same_cube_on_generated_data() {
    let sample = vec![PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/sample"
    ))];
    let none = Filters::default;
    let cases = [
        spec(
            &["account", "service", "usage-type"],
            Granularity::Day,
            none(),
        ),
        spec(
            &["category", "region", "instance-family", "service-name"],
            Granularity::Week,
            none(),
        ),
        spec(
            &["tag:Project", "cost-category:team", "tag:user:Team"],
            Granularity::Month,
            none(),
        ),
        spec(
            &["service", "line-item-type"],
            Granularity::Hour,
            filters(
                &[
                    ("tag:Environment=prod", false),
                    ("line-item-type=Tax", true),
                ],
                Some("2025-09-10"),
                Some("2025-09-20"),
            ),
        ),
        spec(
            &[
                "resource",
                "operation",
                "az",
                "pricing-term",
                "purchase-option",
                "payer-account",
                "account-name",
                "provider",
                "currency",
            ],
            Granularity::Total,
            filters(
                &[("service=AmazonEC2", false), ("service=AmazonRDS", false)],
                None,
                None,
            ),
        ),
    ];
    for case in &cases {
        assert_same_cube(&sample, case);
    }
}

#[test]
fn both_engines_give_the_same_cube_on_real_parquet() {
    let Some(real) = crate::conformance::real_data() else {
        return;
    };
    // Legacy Athena Parquet: flat `resource_tags_*` columns, hourly rows, RI lines.
    let workshop = vec![real.join("aws-wa-labs/workshop-cur-parquet")];
    let groups = assert_same_cube(
        &workshop,
        &spec(
            &[
                "category",
                "usage-type",
                "tag:CostCenter",
                "tag:aws:createdBy",
            ],
            Granularity::Day,
            none_but(&[("tag:Environment=prod", true)]),
        ),
    );
    assert!(groups > 1_000, "{groups} groups");
    assert_same_cube(
        &workshop,
        &spec(
            &["resource", "line-item-type"],
            Granularity::Hour,
            Filters::default(),
        ),
    );
    // CUR 2.0 Data Export re-written by another tool.
    let dlt = vec![real.join(
        "ssp-cloud-cost-analyzer/cur_export_test_00001.1763548008.831855.7f5fd82b8a.parquet",
    )];
    assert_same_cube(
        &dlt,
        &spec(
            &["account", "category", "region"],
            Granularity::Day,
            Filters::default(),
        ),
    );
}

fn none_but(conditions: &[(&str, bool)]) -> Filters {
    filters(conditions, None, None)
}

#[test]
fn the_parquet_engine_says_why_it_does_not_apply() {
    let load = load(&[fixture("legacy_slash_headers.csv")]);
    let err = cube::aggregate_on(
        &load,
        &spec(&["service"], Granularity::Day, Filters::default()),
        Engine::Parquet,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("does not apply") && err.contains("is not Parquet"),
        "{err}"
    );
}

#[test]
fn a_damaged_parquet_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let source = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/sample/BILLING_PERIOD=2025-09/part-00000.snappy.parquet"
    );
    let mut bytes = std::fs::read(source).unwrap();
    // Overwrite data pages in the middle; the footer stays readable, so loading succeeds.
    let middle = bytes.len() / 3;
    bytes[middle..middle + 64 * 1024].fill(0xA5);
    let damaged = dir.path().join("damaged.parquet");
    std::fs::write(&damaged, bytes).unwrap();
    let load = load(std::slice::from_ref(&damaged));
    let err = cube::aggregate_on(
        &load,
        &spec(
            &["service", "tag:Project"],
            Granularity::Day,
            Filters::default(),
        ),
        Engine::Parquet,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("damaged.parquet"), "{err}");
}

//! Conformance over real third-party exports (`../shared/testdata/real`, see SOURCES.md
//! there): every file loads and its totals match the documented sums to 1e-9 relative.
//! The folder is found through `CURLENS_REAL_DATA` or next to the repository; without it
//! these tests say so and pass.

use std::io::Read;
use std::path::{Path, PathBuf};

use curlens::format::SourceFormat;
use curlens::ingest::{self, LoadOptions};
use curlens::inspect;

use crate::util::*;

pub fn real_data() -> Option<PathBuf> {
    let dir = std::env::var_os("CURLENS_REAL_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/real"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipping: no real CUR samples at {} (set CURLENS_REAL_DATA)",
            dir.display()
        );
        None
    }
}

fn check_total(path: &Path, options: &LoadOptions, format: SourceFormat, rows: usize, total: f64) {
    let load = ingest::load(&[path.to_path_buf()], options).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(load.files[0].format, format, "{}", path.display());
    let (got, n) = unblended_total(&load);
    assert_eq!(n, rows, "{}", path.display());
    assert_close(got, total, &path.display().to_string());
}

#[test]
fn workshop_parquet_months() {
    let Some(real) = real_data() else { return };
    let dir = real.join("aws-wa-labs/workshop-cur-parquet");
    for (name, rows, total) in [
        (
            "Oct2018-WorkshopCUR-00001.snappy.parquet",
            119_307,
            4064.4831315379,
        ),
        (
            "Nov2018-WorkshopCUR-00001.snappy.parquet",
            124_340,
            3505.3269681268,
        ),
        (
            "Dec2018-WorkshopCUR-00001.snappy.parquet",
            91_264,
            408.3759924354,
        ),
    ] {
        check_total(
            &dir.join(name),
            &LoadOptions::default(),
            SourceFormat::LegacyAthena,
            rows,
            total,
        );
    }
}

#[test]
fn workshop_parquet_months_together_keep_per_type_totals() {
    let Some(real) = real_data() else { return };
    let load = ingest::load(
        &[real.join("aws-wa-labs/workshop-cur-parquet")],
        &LoadOptions::default(),
    )
    .unwrap();
    let ins = inspect::inspect(&load).unwrap();
    assert_eq!(ins.total.rows, 119_307 + 124_340 + 91_264);
    assert_eq!(ins.duplicate_rows, 0);
    assert_close(
        ins.total.unblended_by_currency["USD"],
        4064.4831315379 + 3505.3269681268 + 408.3759924354,
        "3 months",
    );
    let rifee: f64 = ins
        .total
        .by_line_item_type
        .iter()
        .filter(|t| t.line_item_type == "RIFee")
        .map(|t| t.unblended)
        .sum();
    assert_close(rifee, 149.775379 + 147.384 + 152.2968, "RIFee");
    assert_eq!(ins.total.accounts, ["011254002932", "836060457634"]);
    assert_eq!(ins.total.billing_periods, ["2018-10", "2018-11", "2018-12"]);
    assert!(ins.warnings.iter().any(|w| w.code == "schema-drift"));
}

/// The 155-column layout: Step1's 148 names with 7 Savings Plan columns after index 139.
pub fn hive_headers(real: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    let step1 = real.join("aws-wa-labs/athena-hive-text/Step1CUR.gz");
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&step1).unwrap())
        .take(1 << 16)
        .read_to_string(&mut text)
        .ok();
    let mut names: Vec<&str> = text.lines().next().unwrap().split('\x01').collect();
    assert_eq!(names.len(), 148);
    assert_eq!(
        names[139],
        "savings_plan_recurring_commitment_for_billing_period"
    );
    let extra = [
        "savings_plan_instance_type_family",
        "savings_plan_end_time",
        "savings_plan_region",
        "savings_plan_start_time",
        "savings_plan_purchase_term",
        "savings_plan_payment_option",
        "savings_plan_offering_type",
    ];
    for (i, name) in extra.iter().enumerate() {
        names.insert(140 + i, name);
    }
    let wide = dir.join("header-155.txt");
    std::fs::write(&wide, names.join("\x01") + "\n").unwrap();
    (step1, wide)
}

#[test]
fn hive_text_extracts_each_and_together() {
    let Some(real) = real_data() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (step1, wide) = hive_headers(&real, tmp.path());
    let options = LoadOptions {
        header_from: vec![step1, wide],
        ..LoadOptions::default()
    };
    let dir = real.join("aws-wa-labs/athena-hive-text");
    for (name, rows, total) in [
        ("Step1CUR.gz", 7850, 89.170632878),
        ("Step2CUR.gz", 7600, 75.0323282789),
        ("Step3CUR.gz", 6689, 77.3476143129),
        ("Step4CUR.gz", 5819, 75.3635608343),
        ("Step5CUR.gz", 5941, 70.2696581094),
    ] {
        check_total(
            &dir.join(name),
            &options,
            SourceFormat::LegacyAthena,
            rows,
            total,
        );
    }
    let load = ingest::load(std::slice::from_ref(&dir), &options).unwrap();
    let (total, rows) = unblended_total(&load);
    assert_eq!(rows, 32_738);
    assert_close(total, 378.8593206852, "union of the five extracts");
    let ins = inspect::inspect(&load).unwrap();
    assert_eq!(ins.duplicate_rows, 909 + 252);
}

#[test]
fn hive_text_without_header_from_names_the_fix() {
    let Some(real) = real_data() else { return };
    let path = real.join("aws-wa-labs/athena-hive-text/Step4CUR.gz");
    let err = ingest::load(&[path], &LoadOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("155 fields") && err.contains("--header-from"),
        "{err}"
    );
}

#[test]
fn step5_savings_plan_lines_by_type() {
    let Some(real) = real_data() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (step1, wide) = hive_headers(&real, tmp.path());
    let options = LoadOptions {
        header_from: vec![step1, wide],
        ..LoadOptions::default()
    };
    let load = ingest::load(
        &[real.join("aws-wa-labs/athena-hive-text/Step5CUR.gz")],
        &options,
    )
    .unwrap();
    let ins = inspect::inspect(&load).unwrap();
    let by_type = |t: &str| {
        ins.total
            .by_line_item_type
            .iter()
            .find(|l| l.line_item_type == t)
            .unwrap()
    };
    assert_eq!(by_type("SavingsPlanCoveredUsage").rows, 360);
    assert_close(
        by_type("SavingsPlanCoveredUsage").unblended,
        19.519065168,
        "covered",
    );
    assert_close(
        by_type("SavingsPlanNegation").unblended,
        -19.519065168,
        "negation",
    );
    assert_close(
        by_type("SavingsPlanRecurringFee").unblended,
        12.696,
        "recurring fee",
    );
    assert_close(by_type("Usage").unblended, 57.5736581094, "usage");
}

#[test]
fn legacy_csv_sample() {
    let Some(real) = real_data() else { return };
    let path = real.join("focus-converters/sample-anonymous-aws-export-dataset.csv");
    check_total(
        &path,
        &LoadOptions::default(),
        SourceFormat::LegacyCsv,
        1281,
        1.6823086974,
    );
}

#[test]
fn focus_sample() {
    let Some(real) = real_data() else { return };
    let path = real.join("focus-sample-data/focus_sample.csv");
    check_total(
        &path,
        &LoadOptions::default(),
        SourceFormat::Focus,
        1000,
        20.52022672899,
    );
}

#[test]
fn cur2_dlt_sample() {
    let Some(real) = real_data() else { return };
    let path = real
        .join("ssp-cloud-cost-analyzer/cur_export_test_00001.1763548008.831855.7f5fd82b8a.parquet");
    check_total(
        &path,
        &LoadOptions::default(),
        SourceFormat::Cur2,
        3245,
        180.517419204,
    );
}

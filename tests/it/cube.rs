use std::path::PathBuf;
use std::process::Command;

use curlens::breakdown::{self, Format};
use curlens::cube::{self, Condition, CubeSpec, Day, Dimension, Filters, Granularity, Metric};
use curlens::ingest::LoadOptions;

use crate::util::*;

fn spec(dims: &[&str], granularity: Granularity, metrics: &[Metric]) -> CubeSpec {
    CubeSpec {
        dimensions: dims.iter().map(|d| Dimension::parse(d).unwrap()).collect(),
        granularity,
        metrics: metrics.to_vec(),
        filters: Filters::default(),
    }
}

/// Total of the first metric over all rows of a breakdown, per currency.
fn breakdown_total(cube: &cube::Cube, top: Option<usize>) -> f64 {
    let b = breakdown::breakdown(cube, top).unwrap();
    let from_rows: f64 = b.rows.iter().map(|r| r.values[0]).sum();
    let reported = b.totals[0].values[0];
    assert_close(from_rows, reported, "rows add up to the reported total");
    reported
}

#[test]
fn every_breakdown_adds_up_to_the_ungrouped_total() {
    let load = load(&[fixture("legacy_slash_headers.csv")]);
    let all = cube::aggregate(&load, &spec(&[], Granularity::Total, &[Metric::Unblended])).unwrap();
    let total = breakdown_total(&all, None);
    assert_close(total, 0.9870000177, "ungrouped");
    for dims in [
        vec!["service"],
        vec!["category", "tag:Project"],
        vec!["tag:Environment"],
        vec!["account", "region", "usage-type", "operation", "resource"],
        vec!["line-item-type", "instance-family"],
    ] {
        for g in [
            Granularity::Day,
            Granularity::Week,
            Granularity::Month,
            Granularity::Total,
        ] {
            let c = cube::aggregate(&load, &spec(&dims, g, &[Metric::Unblended])).unwrap();
            assert_close(
                breakdown_total(&c, None),
                total,
                &format!("{dims:?} by {g:?}"),
            );
            assert_close(
                breakdown_total(&c, Some(1)),
                total,
                &format!("{dims:?} top 1"),
            );
        }
    }
}

#[test]
fn untagged_is_its_own_group_and_ec2_splits_into_instances_and_other() {
    let load = load(&[fixture("legacy_slash_headers.csv")]);
    let c = cube::aggregate(
        &load,
        &spec(
            &["category", "tag:Project"],
            Granularity::Total,
            &[Metric::Unblended],
        ),
    )
    .unwrap();
    let b = breakdown::breakdown(&c, None).unwrap();
    let find = |cat: &str, tag: &str| {
        b.rows
            .iter()
            .find(|r| r.keys == [cat, tag])
            .map(|r| r.values[0])
            .unwrap_or_else(|| panic!("{cat}/{tag}"))
    };
    assert_close(find("EC2-Instances", "WebApp"), 2.304, "box usage");
    assert_close(find("EC2-Other", "WebApp"), 1.46e-8, "gp2 volume");
    assert_close(find("EC2-Other", "(untagged)"), -1.5, "credit");
    assert_close(
        find("Amazon Simple Storage Service", "(untagged)"),
        0.023 + 0.07,
        "storage and tax",
    );
}

#[test]
fn filters_and_or_exclude_and_dates() {
    let load = load(&[fixture("legacy_slash_headers.csv")]);
    let total_with = |filters: Filters| {
        let mut s = spec(&[], Granularity::Total, &[Metric::Unblended]);
        s.filters = filters;
        let c = cube::aggregate(&load, &s).unwrap();
        breakdown::breakdown(&c, None)
            .unwrap()
            .totals
            .first()
            .map_or(0.0, |t| t.values[0])
    };
    let cond = |t: &str, exclude| Condition::parse(t, exclude).unwrap();
    let filters = |c: Vec<Condition>| Filters {
        conditions: c,
        ..Filters::default()
    };
    assert_close(
        total_with(filters(vec![cond("tag:Project=WebApp", false)])),
        2.304 + 1.46e-8 + 3.1e-9,
        "WebApp",
    );
    assert_close(
        total_with(filters(vec![
            cond("service=AmazonS3", false),
            cond("service=AmazonRDS", false),
        ])),
        0.023 + 0.09 + 0.07 + 3.1e-9,
        "S3 or RDS",
    );
    assert_close(
        total_with(filters(vec![
            cond("service=AmazonS3", false),
            cond("line-item-type=Tax", true),
        ])),
        0.023 + 0.09,
        "S3 and not tax",
    );
    let days = Filters {
        from: Some(Day::parse("2023-11-09").unwrap()),
        to: Some(Day::parse("2023-11-09").unwrap()),
        ..Filters::default()
    };
    assert_close(total_with(days), 3.1e-9, "one day");
}

#[test]
fn bad_keys_and_ranges_list_what_is_valid() {
    let load = load(&[fixture("legacy_slash_headers.csv")]);
    let err = cube::aggregate(
        &load,
        &spec(&["tag:Projet"], Granularity::Total, &[Metric::Unblended]),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "tag key `Projet` is not in the data; keys present: project, environment"
    );
    let mut s = spec(&[], Granularity::Day, &[Metric::Unblended]);
    s.filters.from = Some(Day::parse("2024-01-01").unwrap());
    let err = cube::aggregate(&load, &s).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no data from 2024-01-01 to …: the data covers 2023-11-01 to 2023-11-09"
    );
    assert_eq!(
        Metric::parse("amortised").unwrap_err().to_string(),
        "unknown metric `amortised`; valid metrics: amortized, net-amortized, unblended, blended, net-unblended, usage-quantity, public-on-demand"
    );
}

#[test]
fn mixed_currencies_are_never_added() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cur.csv");
    std::fs::write(
        &path,
        "identity/LineItemId,identity/TimeInterval,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UnblendedCost,lineItem/CurrencyCode\n\
         a,i,1,Usage,2025-10-01T00:00:00Z,1,USD\nb,i,1,Usage,2025-10-01T00:00:00Z,2,EUR\n",
    )
    .unwrap();
    let load = load(&[path]);
    let c = cube::aggregate(&load, &spec(&[], Granularity::Total, &[Metric::Unblended])).unwrap();
    let b = breakdown::breakdown(&c, None).unwrap();
    let totals: Vec<(&str, f64)> = b
        .totals
        .iter()
        .map(|t| (t.currency.as_str(), t.values[0]))
        .collect();
    assert_eq!(totals, [("EUR", 2.0), ("USD", 1.0)]);
}

#[test]
fn saved_cube_reads_back_to_the_same_breakdown() {
    let load = load(&[fixture("legacy_slash_headers.csv")]);
    let daily = cube::aggregate(
        &load,
        &CubeSpec::daily(vec![Dimension::Service, Dimension::Tag("Project".into())]),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cube.parquet");
    cube::write_cube(&daily, &path).unwrap();
    assert!(cube::is_cube_file(&path));
    let back = cube::read_cube(&path).unwrap();
    let wanted = spec(
        &["service"],
        Granularity::Month,
        &[Metric::Amortized, Metric::Unblended],
    );
    let from_cube = cube::rollup(&back, &wanted).unwrap();
    let direct = cube::aggregate(&load, &wanted).unwrap();
    let render =
        |c| breakdown::render(&breakdown::breakdown(c, None).unwrap(), Format::Csv).unwrap();
    assert_eq!(render(&from_cube), render(&direct));
    let err = cube::rollup(
        &back,
        &spec(&["region"], Granularity::Day, &[Metric::Unblended]),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the saved cube has no dimension `region`; it has: service, tag:Project"
    );
}

fn breakdown_csv(threads: &str, paths: &[PathBuf], extra: &[&str]) -> Vec<u8> {
    let out = crate::util::run_ok(
        Command::new(env!("CARGO_BIN_EXE_curlens"))
            .args(["--threads", threads, "breakdown", "--format", "csv"])
            .args(extra)
            .args(paths),
    );
    out.stdout
}

#[test]
fn one_thread_and_all_threads_give_identical_bytes() {
    let Some(real) = crate::conformance::real_data() else {
        return;
    };
    let paths = [real.join("aws-wa-labs/workshop-cur-parquet")];
    let args = [
        "--by",
        "category,usage-type,tag:CostCenter",
        "--granularity",
        "day",
        "--metric",
        "amortized,unblended,blended,public-on-demand",
        "--top",
        "50",
    ];
    let one = breakdown_csv("1", &paths, &args);
    let many = breakdown_csv("8", &paths, &args);
    assert!(one.len() > 10_000);
    assert!(one == many, "CSV differs between 1 and 8 threads");
}

#[test]
fn real_workshop_ri_and_step5_savings_plan_amortization() {
    let Some(real) = crate::conformance::real_data() else {
        return;
    };
    let by_type = |load: &curlens::ingest::Load| {
        let c = cube::aggregate(
            load,
            &spec(
                &["line-item-type"],
                Granularity::Total,
                &[Metric::Unblended, Metric::Amortized],
            ),
        )
        .unwrap();
        let b = breakdown::breakdown(&c, None).unwrap();
        move |t: &str| {
            b.rows
                .iter()
                .find(|r| r.keys[0] == t)
                .map(|r| (r.values[0], r.values[1]))
                .unwrap()
        }
    };
    // SOURCES.md: RIFee unblended and reservation effective cost of DiscountedUsage per month.
    for (month, rifee, ri_effective) in [
        ("Oct", 149.775379, 232.25379599),
        ("Nov", 147.384, 231.40044001),
        ("Dec", 152.2968, 230.89553138),
    ] {
        let file = format!(
            "aws-wa-labs/workshop-cur-parquet/{month}2018-WorkshopCUR-00001.snappy.parquet"
        );
        let month_load = load(&[real.join(file)]);
        let totals = by_type(&month_load);
        assert_close(
            totals("RIFee").0,
            rifee,
            &format!("{month} RIFee unblended"),
        );
        assert_eq!(
            totals("DiscountedUsage").0,
            0.0,
            "DiscountedUsage is billed on the RIFee"
        );
        assert_close(
            totals("DiscountedUsage").1,
            ri_effective,
            &format!("{month} reservation effective cost"),
        );
    }

    // Step5 (Savings Plans), by hand from SOURCES.md's per-type totals:
    //   Usage 57.5736581094 (amortized = unblended)
    // + SavingsPlanCoveredUsage → SP effective cost 12.696
    // + SavingsPlanNegation → 0
    // + SavingsPlanRecurringFee → total commitment to date − used commitment = 0 (fully used)
    // = 70.2696581094, the same as the unblended total, as it must be for a fully used plan.
    let tmp = tempfile::tempdir().unwrap();
    let (step1, wide) = crate::conformance::hive_headers(&real, tmp.path());
    let options = LoadOptions {
        header_from: vec![step1, wide],
        ..LoadOptions::default()
    };
    let step5 = curlens::ingest::load(
        &[real.join("aws-wa-labs/athena-hive-text/Step5CUR.gz")],
        &options,
    )
    .unwrap();
    let step5 = by_type(&step5);
    assert_close(
        step5("SavingsPlanCoveredUsage").1,
        12.696,
        "covered usage amortized",
    );
    assert_close(
        step5("SavingsPlanNegation").1 + 1.0,
        1.0,
        "negation amortized",
    );
    assert_close(
        step5("SavingsPlanRecurringFee").0,
        12.696,
        "recurring fee unblended",
    );
    assert_close(
        step5("SavingsPlanRecurringFee").1 + 1.0,
        1.0,
        "recurring fee amortized (unused commitment)",
    );
    let amortized: f64 = [
        "Usage",
        "SavingsPlanCoveredUsage",
        "SavingsPlanNegation",
        "SavingsPlanRecurringFee",
    ]
    .iter()
    .map(|t| step5(t).1)
    .sum();
    assert_close(amortized, 57.5736581094 + 12.696, "Step5 amortized total");
}

#[test]
fn real_samples_reconcile_by_every_dimension() {
    let Some(real) = crate::conformance::real_data() else {
        return;
    };
    let load = load(&[real.join("aws-wa-labs/workshop-cur-parquet")]);
    let expected = 4064.4831315379 + 3505.3269681268 + 408.3759924354;
    for dims in [
        vec!["account", "category"],
        vec!["tag:CostCenter", "region"],
        vec!["usage-type"],
        vec!["resource"],
    ] {
        let c =
            cube::aggregate(&load, &spec(&dims, Granularity::Week, &[Metric::Unblended])).unwrap();
        assert_close(
            breakdown_total(&c, Some(10)),
            expected,
            &format!("{dims:?}"),
        );
    }
}

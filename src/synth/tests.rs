//! Tests of the generator: determinism across runs and thread counts, truth
//! totals against the written files, statistical bounds of the model and
//! parameter validation.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use arrow_array::{Array, Float64Array, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use super::*;

fn opts(out: &Path, seed: u64, format: SynthFormat) -> SynthOptions {
    SynthOptions {
        out: out.to_path_buf(),
        start: (2025, 10, 24),
        days: 12,
        accounts: 3,
        seed,
        format,
        anomalies: true,
        waste: true,
        force: false,
        target_rows: None,
    }
}

fn read_all(files: &[PathBuf]) -> Vec<Vec<u8>> {
    files
        .iter()
        .map(|f| std::fs::read(f).expect("read output"))
        .collect()
}

fn truth(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("truth.json")).expect("truth")).expect("json")
}

fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1e-12)
}

#[test]
fn same_seed_is_byte_identical_across_thread_counts() {
    let a = tempfile::tempdir().expect("tmp");
    let b = tempfile::tempdir().expect("tmp");
    let sa = generate(&opts(a.path(), 7, SynthFormat::Cur2)).expect("gen a");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let sb = pool
        .install(|| generate(&opts(b.path(), 7, SynthFormat::Cur2)))
        .expect("gen b");
    assert_eq!(sa.rows, sb.rows);
    assert_eq!(sa.files.len(), sb.files.len());
    assert_eq!(read_all(&sa.files), read_all(&sb.files));
    assert!(
        sa.files
            .iter()
            .any(|f| f.to_string_lossy().contains("BILLING_PERIOD=2025-11"))
    );
}

#[test]
fn different_seed_gives_different_bytes() {
    let a = tempfile::tempdir().expect("tmp");
    let b = tempfile::tempdir().expect("tmp");
    let sa = generate(&opts(a.path(), 1, SynthFormat::LegacyCsv)).expect("gen a");
    let sb = generate(&opts(b.path(), 2, SynthFormat::LegacyCsv)).expect("gen b");
    assert_ne!(read_all(&sa.files), read_all(&sb.files));
}

fn parquet_costs(files: &[PathBuf]) -> (Neumaier, Vec<(String, f64)>, u64) {
    let mut sum = Neumaier::default();
    let mut per_row = Vec::new();
    let mut rows = 0;
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "parquet"))
    {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(f).expect("open"))
            .expect("builder")
            .build()
            .expect("reader");
        for batch in reader {
            let batch = batch.expect("batch");
            let cost = batch
                .column_by_name("line_item_unblended_cost")
                .and_then(|c| c.as_any().downcast_ref::<Float64Array>().cloned())
                .expect("cost column");
            let interval = batch
                .column_by_name("identity_time_interval")
                .and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned())
                .expect("interval column");
            assert!(batch.column_by_name("resource_tags").is_some());
            for i in 0..cost.len() {
                sum.add(cost.value(i));
                per_row.push((interval.value(i)[..10].to_string(), cost.value(i)));
            }
            rows += cost.len() as u64;
        }
    }
    (sum, per_row, rows)
}

#[test]
fn truth_totals_match_parquet() {
    let d = tempfile::tempdir().expect("tmp");
    let s = generate(&opts(d.path(), 11, SynthFormat::Cur2)).expect("gen");
    let t = truth(d.path());
    let (sum, per_row, rows) = parquet_costs(&s.files);
    assert_eq!(rows, s.rows);
    assert_eq!(t["rows"].as_u64(), Some(rows));
    assert_eq!(t["schema_version"].as_u64(), Some(1));
    let overall = t["totals"]["overall"].as_f64().expect("overall");
    assert!(
        rel_close(sum.value(), overall, 1e-9),
        "{} vs {overall}",
        sum.value()
    );
    assert!(rel_close(s.total_unblended, overall, 1e-12));
    let by_day = t["totals"]["by_day"].as_object().expect("by_day");
    for (day, v) in by_day {
        let mut n = Neumaier::default();
        per_row
            .iter()
            .filter(|(d, _)| d == day)
            .for_each(|(_, c)| n.add(*c));
        assert!(
            rel_close(n.value(), v.as_f64().expect("f64"), 1e-9),
            "day {day}"
        );
    }
    let services: f64 = t["totals"]["by_service"]
        .as_object()
        .expect("svc")
        .values()
        .filter_map(Value::as_f64)
        .sum();
    assert!(rel_close(services, overall, 1e-9));
    for w in t["waste"].as_array().expect("waste") {
        assert!(w["cost_over_period"].as_f64().expect("cost") > 0.0, "{w}");
        assert!(!w["resource_ids"].as_array().expect("ids").is_empty());
    }
    let types = &t["totals"]["by_line_item_type"];
    for k in [
        "Usage",
        "SavingsPlanCoveredUsage",
        "SavingsPlanNegation",
        "SavingsPlanRecurringFee",
        "Tax",
    ] {
        assert!(types[k].is_number(), "missing {k}");
    }
    let covered = types["SavingsPlanCoveredUsage"].as_f64().expect("cov");
    let negation = types["SavingsPlanNegation"].as_f64().expect("neg");
    assert!(rel_close(covered, -negation, 1e-12));
}

fn split_csv(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().expect("field").push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            (c, _) => out.last_mut().expect("field").push(c),
        }
    }
    out
}

fn csv_total(files: &[PathBuf], column: &str) -> (f64, u64) {
    let mut sum = Neumaier::default();
    let mut rows = 0;
    for f in files
        .iter()
        .filter(|f| f.to_string_lossy().ends_with(".csv.gz"))
    {
        let mut text = String::new();
        flate2::read::GzDecoder::new(File::open(f).expect("open"))
            .read_to_string(&mut text)
            .expect("gunzip");
        let mut lines = text.lines();
        let header = split_csv(lines.next().expect("header"));
        let idx = header.iter().position(|h| h == column).expect("column");
        for l in lines {
            let fields = split_csv(l);
            assert_eq!(fields.len(), header.len());
            sum.add(fields[idx].parse::<f64>().expect("number"));
            rows += 1;
        }
    }
    (sum.value(), rows)
}

#[test]
fn csv_formats_carry_the_same_rows() {
    let p = tempfile::tempdir().expect("tmp");
    let l = tempfile::tempdir().expect("tmp");
    let f = tempfile::tempdir().expect("tmp");
    let sp = generate(&opts(p.path(), 5, SynthFormat::Cur2)).expect("parquet");
    let sl = generate(&opts(l.path(), 5, SynthFormat::LegacyCsv)).expect("legacy");
    let sf = generate(&opts(f.path(), 5, SynthFormat::Focus)).expect("focus");
    let (lt, lr) = csv_total(&sl.files, "lineItem/UnblendedCost");
    let (ft, fr) = csv_total(&sf.files, "BilledCost");
    assert_eq!(lr, sp.rows);
    assert_eq!(fr, sp.rows);
    assert!(rel_close(lt, sp.total_unblended, 1e-12));
    assert!(rel_close(ft, sp.total_unblended, 1e-12));
    assert!(
        sl.files
            .iter()
            .any(|f| f.to_string_lossy().contains("20251001-20251101"))
    );
}

#[test]
fn seasonality_shares_and_tags_within_bounds() {
    let d = tempfile::tempdir().expect("tmp");
    let mut o = opts(d.path(), 3, SynthFormat::LegacyCsv);
    o.days = 28;
    o.start = (2025, 9, 1);
    o.accounts = 6;
    o.anomalies = false;
    o.waste = false;
    generate(&o).expect("gen");
    let t = truth(d.path());
    let by_day = t["totals"]["by_day"].as_object().expect("by_day");
    let (mut wd, mut we) = (Vec::new(), Vec::new());
    for (k, v) in by_day {
        let parts: Vec<u32> = k.split('-').filter_map(|x| x.parse().ok()).collect();
        let day = time::days_from_civil(parts[0] as i32, parts[1], parts[2]);
        let v = v.as_f64().expect("f64");
        if v.abs() > 0.0 && time::civil_from_days(day).1 == 9 && time::civil_from_days(day).2 < 30 {
            if time::is_weekend(day) {
                we.push(v)
            } else {
                wd.push(v)
            }
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let ratio = mean(&wd) / mean(&we);
    assert!(
        (1.05..=1.8).contains(&ratio),
        "weekday/weekend ratio {ratio}"
    );
    let overall = t["totals"]["overall"].as_f64().expect("overall");
    let ec2 = t["totals"]["by_service"]["AmazonEC2"]
        .as_f64()
        .expect("ec2")
        / overall;
    assert!((0.25..=0.85).contains(&ec2), "EC2 share {ec2}");
    for s in ["AmazonS3", "AWSLambda", "AWSDataTransfer", "AmazonRDS"] {
        let share = t["totals"]["by_service"][s].as_f64().expect("svc") / overall;
        assert!((0.002..=0.5).contains(&share), "{s} share {share}");
    }
    for k in ["project", "environment", "team"] {
        let c = t["tag_coverage_by_cost"][k].as_f64().expect("cov");
        assert!((0.5..=0.97).contains(&c), "{k} coverage {c}");
    }
}

#[test]
fn anomaly_extras_match_the_usage_difference() {
    let a = tempfile::tempdir().expect("tmp");
    let b = tempfile::tempdir().expect("tmp");
    let mut with = opts(a.path(), 9, SynthFormat::LegacyCsv);
    with.waste = false;
    with.days = 21;
    let mut without = with.clone();
    without.out = b.path().to_path_buf();
    without.anomalies = false;
    generate(&with).expect("with");
    generate(&without).expect("without");
    let (ta, tb) = (truth(a.path()), truth(b.path()));
    let usage = |t: &Value| {
        t["totals"]["by_line_item_type"]["Usage"]
            .as_f64()
            .expect("usage")
    };
    let anomalies = ta["anomalies"].as_array().expect("anomalies");
    assert!(anomalies.len() >= 4);
    let mut extra = 0.0;
    for an in anomalies {
        let e = an["extra_cost"].as_f64().expect("extra");
        let factor = an["factor"].as_f64().expect("factor");
        match an["kind"].as_str() {
            Some("drop") => assert!(factor < 1.0, "{an}"),
            Some("spike") => assert!(factor > 1.0, "{an}"),
            _ => {}
        }
        assert_eq!(e < 0.0, factor < 1.0, "{an}");
        extra += e;
    }
    assert!(anomalies.iter().any(|a| a["weekend"] == Value::Bool(true)));
    let diff = usage(&ta) - usage(&tb);
    assert!(
        (diff - extra).abs() <= 1e-9 * usage(&ta),
        "{diff} vs {extra}"
    );
}

fn assert_nothing_written(out: &Path) {
    assert!(!out.exists(), "{} was created", out.display());
}

#[test]
fn bad_parameters_are_refused_before_writing() {
    let d = tempfile::tempdir().expect("tmp");
    let out = d.path().join("new");
    let base = opts(&out, 1, SynthFormat::Cur2);
    let cases: Vec<(SynthOptions, &str)> = vec![
        (
            SynthOptions {
                accounts: 0,
                ..base.clone()
            },
            "accounts",
        ),
        (
            SynthOptions {
                days: 0,
                ..base.clone()
            },
            "days",
        ),
        (
            SynthOptions {
                days: MAX_DAYS + 1,
                ..base.clone()
            },
            "days",
        ),
        (
            SynthOptions {
                start: (2025, 2, 30),
                ..base.clone()
            },
            "start",
        ),
        (
            SynthOptions {
                target_rows: Some(0),
                ..base.clone()
            },
            "target_rows",
        ),
    ];
    for (o, word) in cases {
        let err = generate(&o).expect_err("must fail");
        assert!(err.to_string().contains(word), "{err}");
        assert_nothing_written(&out);
    }
    assert!(matches!(
        generate(&SynthOptions {
            accounts: 0,
            ..base
        }),
        Err(SynthError::ZeroAccounts)
    ));
}

#[test]
fn non_empty_folder_needs_force() {
    let d = tempfile::tempdir().expect("tmp");
    std::fs::write(d.path().join("keep.txt"), b"x").expect("write");
    let mut o = opts(d.path(), 1, SynthFormat::Focus);
    o.days = 2;
    let err = generate(&o).expect_err("must refuse");
    assert!(matches!(err, SynthError::NotEmpty(_)), "{err}");
    let names: Vec<_> = std::fs::read_dir(d.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 1);
    o.force = true;
    assert!(generate(&o).expect("forced").rows > 0);
}

#[test]
fn unwritable_folder_is_reported() {
    let d = tempfile::tempdir().expect("tmp");
    let file = d.path().join("plain-file");
    std::fs::write(&file, b"x").expect("write");
    for out in [file.clone(), file.join("below")] {
        let err = generate(&opts(&out, 1, SynthFormat::Cur2)).expect_err("must fail");
        assert!(matches!(err, SynthError::Unwritable { .. }), "{err}");
        assert!(err.to_string().contains("out folder"));
    }
}

#[test]
fn target_rows_scales_the_organisation() {
    let d = tempfile::tempdir().expect("tmp");
    let mut o = opts(d.path(), 4, SynthFormat::Focus);
    o.target_rows = Some(200_000);
    o.days = 10;
    let s = generate(&o).expect("gen");
    assert!((120_000..=300_000).contains(&s.rows), "{} rows", s.rows);
}

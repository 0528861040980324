//! Anomaly detection on generated data that crosses February, where usage priced per month
//! bills more per day with nothing changed.

use curlens::anomaly::{self, Kind, Options, series::FineTable};
use curlens::calendar::days_from_civil;
use curlens::cube::{self, CubeSpec};
use curlens::synth::{SynthFormat, SynthOptions, generate};

use crate::util::*;

/// A clean generated quarter: twelve weeks from Monday 2026-01-05, no anomalies, no waste.
fn clean_quarter(out: &std::path::Path) {
    generate(&SynthOptions {
        out: out.to_path_buf(),
        start: (2026, 1, 5),
        days: 84,
        accounts: 2,
        seed: 21,
        format: SynthFormat::Cur2,
        anomalies: false,
        waste: false,
        force: false,
        target_rows: None,
    })
    .unwrap();
}

/// The billed and the mean-month cost of the lines priced per month on a day.
fn priced_per_month_on(table: &FineTable, (y, m, d): (i64, i64, i64)) -> (f64, f64) {
    let day = (days_from_civil(y, m, d) - table.first_day) as u32;
    let rows = table.rows.iter().filter(|r| r.monthly && r.day == day);
    rows.fold((0.0, 0.0), |(billed, value), r| {
        (billed + table.billed(r), value + r.value)
    })
}

#[test]
fn usage_priced_per_month_makes_no_level_shift_on_the_first_of_february_or_march() {
    let dir = tempfile::tempdir().unwrap();
    clean_quarter(dir.path());
    let load = load(&[dir.path().to_path_buf()]);
    let options = Options::default();
    let (table, notes) = anomaly::fine_table(&load, &options).unwrap();

    // Storage, IOPS, keys and secrets are read as priced per month from their pricing
    // unit: billed, they cost 31/28 as much per day on 1 February as on 31 January; in
    // mean-month cost, the same.
    let (billed_jan, value_jan) = priced_per_month_on(&table, (2026, 1, 31));
    let (billed_feb, value_feb) = priced_per_month_on(&table, (2026, 2, 1));
    assert!(billed_jan > 20.0, "{billed_jan}");
    assert!(
        (billed_feb / billed_jan - 31.0 / 28.0).abs() < 0.01,
        "{billed_jan} → {billed_feb}"
    );
    assert!(
        (value_feb / value_jan - 1.0).abs() < 0.01,
        "{value_jan} → {value_feb}"
    );
    // In billed cost, the table adds up to the export's cost of the same line items.
    let mut spec = CubeSpec::daily(Vec::new());
    spec.metrics = vec![options.metric];
    spec.filters = options.filters.clone();
    let daily = cube::aggregate(&load, &spec).unwrap();
    let exported: f64 = daily.values(options.metric).unwrap().iter().flatten().sum();
    let billed: f64 = table.in_billed_cost().rows.iter().map(|r| r.value).sum();
    assert_close(billed, exported, "billed cost of the fine table");

    let found = anomaly::detect_in_table(&table, &options, notes);
    let on_month_starts: Vec<String> = found
        .anomalies
        .iter()
        .chain(&found.lifecycle)
        .filter(|a| a.kind == Kind::LevelShift)
        .filter(|a| a.first_day == "2026-02-01" || a.first_day == "2026-03-01")
        .map(|a| format!("{} from {}: {:.2}", a.series, a.first_day, a.impact))
        .collect();
    assert!(found.series_scored > 50, "{}", found.series_scored);
    assert!(on_month_starts.is_empty(), "{on_month_starts:#?}");
}

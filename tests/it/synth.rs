use std::path::{Path, PathBuf};
use std::process::Command;

use curlens::cube::{self, CubeSpec, Dimension, Filters, Granularity, Metric};
use curlens::format::SourceFormat;
use curlens::synth::{SynthFormat, SynthOptions, generate};

use crate::util::*;

/// The command that made `testdata/sample` (also in README.md and testdata/README.md).
const SAMPLE_ARGS: [&str; 10] = [
    "--accounts",
    "2",
    "--days",
    "42",
    "--start",
    "2025-09-01",
    "--seed",
    "7",
    "--out",
    "",
];

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sample")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf())
            }
        }
    }
    out.sort();
    out
}

#[test]
fn bundled_sample_regenerates_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sample");
    let mut args = SAMPLE_ARGS.map(String::from).to_vec();
    *args.last_mut().unwrap() = out.display().to_string();
    let status = Command::new(env!("CARGO_BIN_EXE_curlens"))
        .arg("synth")
        .args(&args)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let (want, got) = (files_under(&sample_dir()), files_under(&out));
    assert_eq!(want, got);
    for f in want {
        assert!(
            std::fs::read(sample_dir().join(&f)).unwrap() == std::fs::read(out.join(&f)).unwrap(),
            "{} differs",
            f.display()
        );
    }
}

fn truth(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap()
}

/// Checks totals by day, service, account and line item type against truth.json.
fn check_against_truth(dir: &Path, format: SourceFormat) {
    let load = load(&[dir.to_path_buf()]);
    // One delivery per billing period: nothing can repeat, so nothing is de-duplicated.
    assert!(!load.deduplicated || format != SourceFormat::Cur2);
    assert!(
        load.files.iter().all(|f| f.format == format),
        "{:?}",
        load.files.iter().map(|f| f.format).collect::<Vec<_>>()
    );
    let truth = truth(dir);
    let (total, rows) = unblended_total(&load);
    assert_eq!(rows as u64, truth["rows"].as_u64().unwrap());
    assert_close(
        total,
        truth["totals"]["overall"].as_f64().unwrap(),
        "overall",
    );
    // FOCUS has no product codes or CUR line item types (ServiceName, ChargeCategory).
    let keyed: &[(&str, &str)] = if format == SourceFormat::Focus {
        &[("account", "by_account")]
    } else {
        &[
            ("service", "by_service"),
            ("account", "by_account"),
            ("line-item-type", "by_line_item_type"),
        ]
    };
    for &(dim, key) in keyed {
        let granularity = Granularity::Total;
        let spec = CubeSpec {
            dimensions: vec![Dimension::parse(dim).unwrap()],
            granularity,
            metrics: vec![Metric::Unblended],
            filters: Filters::default(),
        };
        let b =
            curlens::breakdown::breakdown(&cube::aggregate(&load, &spec).unwrap(), None).unwrap();
        for (name, expected) in truth["totals"][key].as_object().unwrap() {
            let got: f64 = b
                .rows
                .iter()
                .filter(|r| &r.keys[0] == name)
                .map(|r| r.values[0])
                .sum();
            assert_close(got, expected.as_f64().unwrap(), &format!("{key} {name}"));
        }
    }
    let spec = CubeSpec {
        dimensions: vec![],
        granularity: Granularity::Day,
        metrics: vec![Metric::Unblended],
        filters: Filters::default(),
    };
    let b = curlens::breakdown::breakdown(&cube::aggregate(&load, &spec).unwrap(), None).unwrap();
    for (day, expected) in truth["totals"]["by_day"].as_object().unwrap() {
        let got = b
            .rows
            .iter()
            .find(|r| &r.period == day)
            .map_or(0.0, |r| r.values[0]);
        assert_close(got, expected.as_f64().unwrap(), &format!("day {day}"));
    }
}

fn options(out: &Path, format: SynthFormat) -> SynthOptions {
    SynthOptions {
        out: out.to_path_buf(),
        start: (2025, 9, 20),
        days: 20,
        accounts: 2,
        seed: 11,
        format,
        anomalies: true,
        waste: true,
        force: false,
        target_rows: None,
    }
}

#[test]
fn every_output_format_loads_and_matches_truth() {
    check_against_truth(&sample_dir(), SourceFormat::Cur2);
    for (format, detected) in [
        (SynthFormat::LegacyCsv, SourceFormat::LegacyCsv),
        (SynthFormat::Focus, SourceFormat::Focus),
    ] {
        let dir = tempfile::tempdir().unwrap();
        generate(&options(dir.path(), format)).unwrap();
        check_against_truth(dir.path(), detected);
    }
}

#[test]
fn impossible_parameters_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("new");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_curlens"))
            .arg("synth")
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let zero = run(&["--accounts", "0"]);
    assert_eq!(zero.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&zero.stderr),
        "curlens: synth: accounts must be at least 1, got 0\n"
    );
    assert!(!out.exists());
    let format = run(&["--format", "xml"]);
    assert_eq!(format.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&format.stderr).contains("unknown synth format `xml`"));
    assert!(!out.exists());
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "x").unwrap();
    let not_empty = run(&[]);
    assert_eq!(not_empty.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&not_empty.stderr).contains("is not empty"),
        "{}",
        String::from_utf8_lossy(&not_empty.stderr)
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
}

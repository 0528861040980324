//! Test helpers: fixture paths, loading, totals.

use std::path::{Path, PathBuf};

use curlens::ingest::{self, Load, LoadOptions};
use polars::prelude::*;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join("ingest")
        .join(name)
}

pub fn load(paths: &[PathBuf]) -> Load {
    ingest::load(paths, &LoadOptions::default()).expect("loads")
}

/// Collects the given canonical columns of the de-duplicated frame.
pub fn columns(load: &Load, names: &[&str]) -> DataFrame {
    let exprs: Vec<Expr> = names.iter().map(|n| col(*n)).collect();
    ingest::collect(load.frame.clone().select(exprs), load).expect("collects")
}

/// Sum of a float column, nulls skipped.
pub fn column_sum(df: &DataFrame, name: &str) -> f64 {
    df.column(name)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .flatten()
        .sum()
}

/// Sum of unblended cost and row count of the de-duplicated frame.
pub fn unblended_total(load: &Load) -> (f64, usize) {
    let df = columns(load, &["unblended_cost"]);
    (column_sum(&df, "unblended_cost"), df.height())
}

/// Runs the binary and asserts it succeeded, showing its stderr if not.
pub fn run_ok(cmd: &mut std::process::Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn assert_close(got: f64, expected: f64, what: &str) {
    let tolerance = 1e-9 * expected.abs().max(1e-9);
    assert!(
        (got - expected).abs() <= tolerance,
        "{what}: got {got:.12}, expected {expected:.12}"
    );
}

pub fn strings(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    df.column(name)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

pub fn write_gzip(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    std::fs::write(path, enc.finish().unwrap()).unwrap();
}

pub fn write_parquet(path: &Path, df: &mut DataFrame) {
    let file = std::fs::File::create(path).unwrap();
    ParquetWriter::new(file).finish(df).unwrap();
}

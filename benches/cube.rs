//! The daily cube on generated CUR 2.0 data: one streaming group-by to day × account ×
//! service × usage type × tag, all metrics. Data is generated once per size, outside the
//! timed closure. Sizes: 1M rows by default; set CURLENS_BENCH_ROWS to change it.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use curlens::cube::{self, CubeSpec, Dimension};
use curlens::ingest::{self, LoadOptions};
use curlens::synth::{SynthFormat, SynthOptions, generate};

fn dataset(rows: u64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cur");
    generate(&SynthOptions {
        out: out.clone(),
        start: (2025, 9, 1),
        days: 30,
        accounts: 8,
        seed: 5,
        format: SynthFormat::Cur2,
        anomalies: true,
        waste: true,
        force: false,
        target_rows: Some(rows),
    })
    .expect("generate");
    (dir, out)
}

fn bench_cube(c: &mut Criterion) {
    let rows: u64 = std::env::var("CURLENS_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let (_keep, path) = dataset(rows);
    let load = ingest::load(&[path], &LoadOptions::default()).expect("load");
    let mut group = c.benchmark_group("cube");
    group.sample_size(10);
    let daily = CubeSpec::daily(vec![
        Dimension::Account,
        Dimension::Service,
        Dimension::UsageType,
    ]);
    group.bench_function(
        format!("daily cube, {rows} rows, account × service × usage type, 7 metrics"),
        |b| b.iter(|| cube::aggregate(&load, &daily).expect("cube")),
    );
    let tagged = CubeSpec::daily(vec![Dimension::Service, Dimension::Tag("Project".into())]);
    group.bench_function(
        format!("daily cube, {rows} rows, service × tag:Project, 7 metrics"),
        |b| b.iter(|| cube::aggregate(&load, &tagged).expect("cube")),
    );
    group.finish();
}

criterion_group!(benches, bench_cube);
criterion_main!(benches);

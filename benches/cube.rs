//! The daily cube on generated CUR 2.0 data, on both engines (the Parquet path and the
//! frame engine): day × account × service × usage type, and day × service × tag, all seven
//! metrics. Data is generated once per size, outside the timed closure. Sizes: 1M rows by
//! default; set CURLENS_BENCH_ROWS to a comma-separated list (e.g. `1000000,10000000`).

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use curlens::cube::{self, CubeSpec, Dimension, Engine};
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
    let sizes: Vec<u64> = std::env::var("CURLENS_BENCH_ROWS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000_000]);
    for rows in sizes {
        bench_size(c, rows);
    }
}

fn bench_size(c: &mut Criterion, rows: u64) {
    let (_keep, path) = dataset(rows);
    let load = ingest::load(&[path], &LoadOptions::default()).expect("load");
    let mut group = c.benchmark_group("cube");
    group.sample_size(10);
    let queries = [
        (
            "account × service × usage type",
            CubeSpec::daily(vec![
                Dimension::Account,
                Dimension::Service,
                Dimension::UsageType,
            ]),
        ),
        (
            "service × tag:Project",
            CubeSpec::daily(vec![Dimension::Service, Dimension::Tag("Project".into())]),
        ),
    ];
    for (name, spec) in &queries {
        for (engine_name, engine) in [("parquet", Engine::Parquet), ("frame", Engine::Frame)] {
            group.bench_function(
                format!("{engine_name}, {rows} rows, daily {name}, 7 metrics"),
                |b| b.iter(|| cube::aggregate_on(&load, spec, engine).expect("cube")),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench_cube);
criterion_main!(benches);

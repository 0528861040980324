//! Ingest throughput: a legacy CUR CSV of 200,000 rows (the bundled fixture's rows repeated
//! with fresh line item ids), loaded and summed on the streaming engine.

use std::io::Write;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use curlens::ingest::{self, LoadOptions};
use polars::prelude::*;

const ROWS: usize = 200_000;

fn write_csv(path: &Path) {
    let fixture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/ingest/legacy_slash_headers.csv"),
    )
    .expect("fixture");
    let mut lines = fixture.lines();
    let header = lines.next().expect("header");
    let body: Vec<&str> = lines.collect();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    writeln!(out, "{header}").expect("write");
    for i in 0..ROWS {
        let line = body[i % body.len()];
        let rest = &line[line.find(',').expect("comma")..];
        writeln!(out, "li-{i:09}{rest}").expect("write");
    }
}

fn bench_ingest(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cur.csv");
    write_csv(&path);
    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);
    group.bench_function("legacy csv 200k rows: cost by service", |b| {
        b.iter(|| {
            let load =
                ingest::load(std::slice::from_ref(&path), &LoadOptions::default()).expect("load");
            let lf = load
                .frame
                .clone()
                .group_by([col("service_code")])
                .agg([col("unblended_cost").sum()]);
            ingest::collect(lf, &load).expect("collect")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_ingest);
criterion_main!(benches);

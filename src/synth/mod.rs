//! Synthetic AWS Cost and Usage Report generator: options, validation and the
//! driver that generates days in parallel and writes them in a fixed order.
//!
//! See `SYNTH.md` for the model, the formulas of injected items and the
//! `truth.json` schema.

mod columns;
mod inject;
mod model;
mod rng;
mod rows;
mod sink;
mod time;
mod truth;
mod write_csv;
mod write_parquet;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use inject::{Anomaly, WasteItem};
use model::Model;
use rows::Row;
use sink::Sink;
use truth::Accum;

pub use truth::{Neumaier, SCHEMA_VERSION};

/// Output layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynthFormat {
    /// CUR 2.0 Parquet.
    Cur2,
    /// Legacy CUR gzip CSV.
    LegacyCsv,
    /// FOCUS 1.0 gzip CSV.
    Focus,
}

impl SynthFormat {
    fn name(self) -> &'static str {
        match self {
            SynthFormat::Cur2 => "cur2",
            SynthFormat::LegacyCsv => "legacy_csv",
            SynthFormat::Focus => "focus",
        }
    }
}

#[derive(Clone, Debug)]
pub struct SynthOptions {
    pub out: PathBuf,
    /// First day (year, month, day), UTC.
    pub start: (i32, u32, u32),
    pub days: u32,
    /// Linked accounts (the payer account comes on top).
    pub accounts: u32,
    pub seed: u64,
    pub format: SynthFormat,
    pub anomalies: bool,
    pub waste: bool,
    /// Write into a non-empty folder.
    pub force: bool,
    /// Scale resource counts to reach about this many rows.
    pub target_rows: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct SynthSummary {
    pub rows: u64,
    /// Data files in write order, then `truth.json`.
    pub files: Vec<PathBuf>,
    pub total_unblended: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("accounts must be at least 1, got 0")]
    ZeroAccounts,
    #[error("accounts must be at most {max}, got {got}")]
    TooManyAccounts { got: u32, max: u32 },
    #[error("days must be at least 1, got 0")]
    ZeroDays,
    #[error("days must be at most {max}, got {got}")]
    TooManyDays { got: u32, max: u32 },
    #[error("start {0:04}-{1:02}-{2:02} is not a valid calendar date")]
    BadStart(i32, u32, u32),
    #[error("target_rows must be at least 1, got 0")]
    ZeroTargetRows,
    #[error("out folder {0} is not empty (set force to write into it)")]
    NotEmpty(PathBuf),
    #[error("out folder {path} is not writable: {source}")]
    Unwritable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("i/o error on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("parquet error: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("arrow error: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("truth encoding error: {0}")]
    Json(#[from] serde_json::Error),
}

impl SynthError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> SynthError {
        SynthError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

pub const MAX_DAYS: u32 = 3660;
pub const MAX_ACCOUNTS: u32 = 5000;

/// Check every parameter; returns the period. Touches nothing on disk.
fn validate(opts: &SynthOptions) -> Result<time::Period, SynthError> {
    if opts.accounts == 0 {
        return Err(SynthError::ZeroAccounts);
    }
    if opts.accounts > MAX_ACCOUNTS {
        return Err(SynthError::TooManyAccounts {
            got: opts.accounts,
            max: MAX_ACCOUNTS,
        });
    }
    if opts.days == 0 {
        return Err(SynthError::ZeroDays);
    }
    if opts.days > MAX_DAYS {
        return Err(SynthError::TooManyDays {
            got: opts.days,
            max: MAX_DAYS,
        });
    }
    let (y, m, d) = opts.start;
    if !(1970..=9000).contains(&y)
        || !(1..=12).contains(&m)
        || d == 0
        || d > time::days_in_month(y, m)
    {
        return Err(SynthError::BadStart(y, m, d));
    }
    if opts.target_rows == Some(0) {
        return Err(SynthError::ZeroTargetRows);
    }
    Ok(time::Period::new(time::days_from_civil(y, m, d), opts.days))
}

fn unwritable(path: &Path, source: std::io::Error) -> SynthError {
    SynthError::Unwritable {
        path: path.to_path_buf(),
        source,
    }
}

/// Refuse a non-empty folder without `force`, then create and probe it.
fn prepare_out(opts: &SynthOptions) -> Result<(), SynthError> {
    let out = &opts.out;
    if out.exists() {
        if !out.is_dir() {
            let e = std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "exists and is not a folder",
            );
            return Err(unwritable(out, e));
        }
        let mut entries = std::fs::read_dir(out).map_err(|e| unwritable(out, e))?;
        if entries.next().is_some() && !opts.force {
            return Err(SynthError::NotEmpty(out.clone()));
        }
    }
    std::fs::create_dir_all(out).map_err(|e| unwritable(out, e))?;
    let probe = out.join(".curlens-synth-probe");
    std::fs::write(&probe, b"").map_err(|e| unwritable(out, e))?;
    std::fs::remove_file(&probe).map_err(|e| unwritable(out, e))?;
    Ok(())
}

/// Build the organisation, waste, commitments, billing lines and anomalies.
fn build(opts: &SynthOptions, period: time::Period) -> (Model, Vec<Anomaly>, Vec<WasteItem>) {
    let accounts = model::accounts(opts.seed, opts.accounts);
    let scale = match opts.target_rows {
        Some(t) => {
            let est = model::expected_rows(&model::build_base(opts.seed, &period, &accounts, 1.0));
            if est > 0.0 { t as f64 / est } else { 1.0 }
        }
        None => 1.0,
    };
    let resources = model::build_base(opts.seed, &period, &accounts, scale);
    let mut m = Model {
        seed: opts.seed,
        period,
        accounts,
        resources,
        savings_plan: None,
        reservation: None,
        billing: Vec::new(),
    };
    let mut waste = if opts.waste {
        inject::add_waste(&mut m)
    } else {
        Vec::new()
    };
    model::add_commitments(&mut m, opts.waste);
    if opts.waste {
        inject::add_commitment_waste(&mut m, &mut waste);
    }
    model::add_billing(&mut m);
    let anomalies = if opts.anomalies {
        inject::plan_anomalies(&m)
    } else {
        Vec::new()
    };
    (m, anomalies, waste)
}

fn make_sink(opts: &SynthOptions) -> Box<dyn Sink + Send> {
    match opts.format {
        SynthFormat::Cur2 => Box::new(write_parquet::ParquetSink::new(&opts.out)),
        SynthFormat::LegacyCsv => Box::new(write_csv::CsvSink::new(
            &opts.out,
            write_csv::CsvFlavor::Legacy,
        )),
        SynthFormat::Focus => Box::new(write_csv::CsvSink::new(
            &opts.out,
            write_csv::CsvFlavor::Focus,
        )),
    }
}

fn write_rows(
    m: &Model,
    sink: &mut dyn Sink,
    acc: &mut Accum,
    rows: &[Row],
) -> Result<(), SynthError> {
    sink.write(m, rows)?;
    for r in rows {
        acc.add(m, r);
    }
    Ok(())
}

/// Write one generated day, opening and closing billing months around it.
fn write_day(
    m: &Model,
    sink: &mut dyn Sink,
    acc: &mut Accum,
    day: i64,
    rows: Vec<Row>,
) -> Result<(), SynthError> {
    let mi = m.period.month_of_day(day);
    let month = &m.period.months[mi];
    if day == month.first_day {
        sink.begin_month(month)?;
    }
    write_rows(m, sink, acc, &rows)?;
    drop(rows);
    if day == month.last_day {
        let extra = rows::month_end_rows(m, mi, &mut acc.month_base);
        write_rows(m, sink, acc, &extra)?;
        acc.reset_month();
        sink.end_month()?;
    }
    Ok(())
}

/// Days generated together; generation of the next group overlaps writing.
const DAYS_PER_GROUP: usize = 2;

fn drive(
    m: &Model,
    anomalies: &[Anomaly],
    sink: &mut (dyn Sink + Send),
    acc: &mut Accum,
) -> Result<(), SynthError> {
    let days: Vec<i64> = (m.period.start_day..m.period.end_day()).collect();
    let groups: Vec<&[i64]> = days.chunks(DAYS_PER_GROUP).collect();
    let generate = |g: &[i64]| -> Vec<Vec<Row>> {
        g.par_iter()
            .map(|&d| rows::day_rows(m, anomalies, d))
            .collect()
    };
    let mut pending = groups.first().map(|g| generate(g)).unwrap_or_default();
    for (i, g) in groups.iter().enumerate() {
        let current = std::mem::take(&mut pending);
        let (next, written) = rayon::join(
            || groups.get(i + 1).map(|n| generate(n)).unwrap_or_default(),
            || -> Result<(), SynthError> {
                for (&day, rows) in g.iter().zip(current) {
                    write_day(m, sink, acc, day, rows)?;
                }
                Ok(())
            },
        );
        written?;
        pending = next;
    }
    Ok(())
}

fn truth_options(opts: &SynthOptions) -> truth::TruthOptions {
    let (y, mo, d) = opts.start;
    truth::TruthOptions {
        start: format!("{y:04}-{mo:02}-{d:02}"),
        days: opts.days,
        accounts: opts.accounts,
        seed: opts.seed,
        format: String::from(opts.format.name()),
        anomalies: opts.anomalies,
        waste: opts.waste,
        target_rows: opts.target_rows,
    }
}

/// Generate a synthetic report into `opts.out` and its `truth.json`.
pub fn generate(opts: &SynthOptions) -> Result<SynthSummary, SynthError> {
    let period = validate(opts)?;
    prepare_out(opts)?;
    let (m, anomalies, waste) = build(opts, period);
    let mut sink = make_sink(opts);
    let mut acc = Accum::new(&m, anomalies.len(), waste.len());
    drive(&m, &anomalies, sink.as_mut(), &mut acc)?;
    let mut files = sink.files().to_vec();
    let rel: Vec<String> = files
        .iter()
        .map(|f| {
            f.strip_prefix(&opts.out)
                .unwrap_or(f)
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    let json = truth::render(&m, truth_options(opts), &acc, &anomalies, &waste, rel)?;
    let truth_path = opts.out.join("truth.json");
    std::fs::write(&truth_path, json).map_err(|e| SynthError::io(&truth_path, e))?;
    files.push(truth_path);
    Ok(SynthSummary {
        rows: acc.rows,
        files,
        total_unblended: acc.overall(),
    })
}

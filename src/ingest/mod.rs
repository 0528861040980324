//! Ingest: files in, one canonical `LazyFrame` out.
//!
//! `discover` finds the files, `sniff` reads their container, `format` decides each file's
//! column family from its whole column set, and `normalize` projects each file onto the
//! canonical schema (`crate::schema`). The per-file frames are concatenated; line items that
//! appear in more than one file (same `line_item_id` and `time_interval`) are kept once.
//! Nothing is collected here: callers select the columns they need and run the plan on the
//! streaming engine through [`collect`], which turns parse failures into errors that name
//! the file, the row and the column.

pub mod discover;
pub mod normalize;
pub mod parse;
pub mod sniff;

use std::path::PathBuf;

use polars::prelude::*;

use crate::error::{Error, Result};
pub use discover::InputFile;
pub use normalize::FilePlan;
use parse::BadValue;
use sniff::Container;

/// How to load.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Files whose first line names the columns of header-less extracts.
    pub header_from: Vec<PathBuf>,
    /// Keep a line item that appears in several files once (default).
    pub deduplicate: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            header_from: Vec::new(),
            deduplicate: true,
        }
    }
}

/// A loaded set of exports: the plan of each file and the canonical frames.
pub struct Load {
    pub files: Vec<FilePlan>,
    /// Every row of every file, canonical schema.
    pub all_rows: LazyFrame,
    /// `all_rows` with duplicated line items kept once: what every analysis reads.
    pub frame: LazyFrame,
    /// Whether `frame` differs from `all_rows` (more than one file carries line item ids).
    pub deduplicated: bool,
}

/// Discovers and plans every input; nothing is read beyond headers and Parquet footers.
pub fn load(inputs: &[PathBuf], options: &LoadOptions) -> Result<Load> {
    let header_sets = options
        .header_from
        .iter()
        .map(|p| sniff::read_header_file(p))
        .collect::<Result<Vec<_>>>()?;
    let inputs = discover::discover(inputs)?;
    let mut files = Vec::with_capacity(inputs.len());
    let mut keyed = Vec::new();
    let mut unkeyed = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let file_id =
            u32::try_from(i).map_err(|_| Error::Invalid("more than 2^32 input files".into()))?;
        let (plan, lf) = normalize::plan_file(file_id, input, &header_sets)?;
        if plan.keyed {
            keyed.push(lf);
        } else {
            unkeyed.push(lf);
        }
        files.push(plan);
    }
    let deduplicate = options.deduplicate && deliveries_may_overlap(&files);
    let all_rows = concat_all(keyed.iter().chain(&unkeyed).cloned().collect())?;
    let frame = if deduplicate {
        let keyed = concat_all(keyed)?;
        let mut parts = vec![unique_line_items(keyed)];
        parts.extend(unkeyed);
        concat_all(parts)?
    } else {
        all_rows.clone()
    };
    Ok(Load {
        files,
        all_rows,
        frame,
        deduplicated: deduplicate,
    })
}

/// Whether two of the keyed files can hold the same line item. Parquet files in one folder
/// are the parts of one delivery (AWS writes a delivery's parts side by side) and never
/// repeat each other; every text file is its own delivery (extracts overlap). Deliveries
/// whose paths name different billing periods (`BILLING_PERIOD=`, `year=/month=`) cannot
/// overlap. De-duplication holds every key in memory, so it runs only when needed.
fn deliveries_may_overlap(files: &[FilePlan]) -> bool {
    let mut deliveries: Vec<(String, Option<(i32, u32)>)> = Vec::new();
    for f in files.iter().filter(|f| f.keyed) {
        let id = match f.container {
            Container::Parquet => f
                .input
                .path
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            _ => f.input.path.display().to_string(),
        };
        let period = f.input.partition_billing_period();
        if !deliveries.iter().any(|(d, _)| *d == id) {
            deliveries.push((id, period));
        }
    }
    deliveries.iter().enumerate().any(|(i, (_, a))| {
        deliveries[i + 1..]
            .iter()
            .any(|(_, b)| !matches!((a, b), (Some(x), Some(y)) if x != y))
    })
}

fn concat_all(frames: Vec<LazyFrame>) -> Result<LazyFrame> {
    match frames.len() {
        0 => Ok(DataFrame::empty_with_schema(&crate::schema::canonical_schema()).lazy()),
        1 => Ok(frames.into_iter().next().expect("one frame")),
        _ => concat(frames, UnionArgs::default()).map_err(Error::polars("combining input files")),
    }
}

/// Keeps the first occurrence (in file order) of each `(line_item_id, time_interval)`.
/// Rows without a line item id are never treated as duplicates of each other.
fn unique_line_items(keyed: LazyFrame) -> LazyFrame {
    let with_id = keyed
        .clone()
        .filter(col("line_item_id").is_not_null())
        .unique_stable_generic(
            Some(vec![col("line_item_id"), col("time_interval")]),
            UniqueKeepStrategy::First,
        );
    let without_id = keyed.filter(col("line_item_id").is_null());
    concat(vec![with_id, without_id], UnionArgs::default()).expect("same schema on both sides")
}

/// Runs `lf` (built on `load`'s frames) on the streaming engine. Failures are traced back to
/// their file, and to the row and column where a value could not be parsed.
pub fn collect(lf: LazyFrame, load: &Load) -> Result<DataFrame> {
    lf.collect_with_engine(Engine::Streaming)
        .map(|r| r.unwrap_single())
        .map_err(|e| explain(e, load))
}

fn explain(err: PolarsError, load: &Load) -> Error {
    if let Some(bad) = BadValue::from_polars(&err) {
        return locate_bad_value(bad, load);
    }
    for plan in &load.files {
        if let Some(field_error) = check_field_counts(plan) {
            return field_error;
        }
    }
    let names: Vec<String> = load
        .files
        .iter()
        .take(3)
        .map(FilePlan::path_display)
        .collect();
    let more = load.files.len().saturating_sub(3);
    let context = if more > 0 {
        format!("reading {} and {more} more", names.join(", "))
    } else {
        format!("reading {}", names.join(", "))
    };
    Error::Polars {
        context,
        source: err,
    }
}

fn locate_bad_value(bad: BadValue, load: &Load) -> Error {
    let plan = load.files.iter().find(|p| p.file_id == bad.file_id);
    let row = plan.and_then(|p| find_row(p, &bad.column, &bad.value));
    let header_lines = match plan.map(|p| &p.container) {
        Some(Container::Text {
            has_header: true, ..
        }) => 1,
        _ => 0,
    };
    let location = match (row, header_lines) {
        (Some(r), 1) => format!("row {r} (line {}), ", r + 1),
        (Some(r), _) => format!("row {r}, "),
        (None, _) => String::new(),
    };
    Error::BadValue {
        path: plan.map(FilePlan::path_display).unwrap_or_default(),
        location,
        column: bad.column,
        value: bad.value,
        expected: bad.expected,
    }
}

/// The 1-based data row where `column`, trimmed, equals `value`.
fn find_row(plan: &FilePlan, column: &str, value: &str) -> Option<u64> {
    let lf = normalize::scan_source(&plan.input, &plan.container).ok()?;
    let df = lf
        .with_row_index("__row", None)
        .filter(
            col(column)
                .cast(DataType::String)
                .str()
                .strip_chars(lit(NULL))
                .eq(lit(value)),
        )
        .select([col("__row")])
        .limit(1)
        .collect()
        .ok()?;
    let row = df.column("__row").ok()?.get(0).ok()?;
    row.extract::<u64>().map(|r| r + 1)
}

/// For text files: the first line whose field count differs from the header's.
fn check_field_counts(plan: &FilePlan) -> Option<Error> {
    let Container::Text {
        gzip,
        separator,
        quoted,
        header,
        has_header,
    } = &plan.container
    else {
        return None;
    };
    use std::io::{BufRead, BufReader, Read};
    let file = std::fs::File::open(&plan.input.path).ok()?;
    let reader: Box<dyn Read> = if *gzip {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut line_no = 0u64;
    for line in BufReader::new(reader).split(b'\n') {
        let line = line.ok()?;
        line_no += 1;
        if line_no == 1 && *has_header {
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches('\r');
        if text.is_empty() {
            continue;
        }
        let found = sniff::split_line(text, *separator, *quoted).len();
        if found != header.len() {
            return Some(Error::FieldCount {
                path: plan.path_display(),
                line: line_no,
                expected: header.len(),
                found,
            });
        }
    }
    None
}

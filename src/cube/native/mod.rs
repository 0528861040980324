//! The Parquet path of the cube: typed Parquet read in batches with arrow-rs, string
//! columns kept as dictionary codes, rows summed into a hash table of interned ids with
//! exact metric sums — one pass, memory bounded by the batches in flight and the groups.
//!
//! It pre-aggregates: rows are grouped by period (day, or hour for hourly cubes), currency
//! and the raw canonical inputs of every dimension and filter, so the frame engine then
//! applies the dimension and filter expressions to this small frame exactly as it would to
//! the rows (one definition of each, see [`super::plan`]). Metric values are computed per
//! row with the same definitions and split into nano-units and remainders the same way, so
//! both paths give the same cube.
//!
//! It runs when every input is Parquet, no line item needs de-duplication across files, and
//! every column the cube reads has a type it converts; otherwise the frame engine does the
//! whole cube.

mod bind;
mod frame;
mod groups;
mod scan;

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_schema::{DataType as ArrowType, Field, Schema as ArrowSchema};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
    RowSelector,
};
use polars::prelude::DataFrame;
use rayon::prelude::*;

use self::bind::{Binding, Layout};
use self::groups::{Groups, Interner, NULL_ID};
use self::scan::{Partial, UnitScan};
use super::CubeSpec;
use crate::error::{Error, Result};
use crate::ingest::Load;
use crate::ingest::sniff::Container;

/// Rows per batch: large enough to amortise per-batch work, small enough to stay in cache.
const BATCH_ROWS: usize = 64 * 1024;

/// What the path did.
pub enum Outcome {
    /// The cube's rows pre-aggregated as a canonical frame (see the module docs).
    Done(DataFrame),
    /// Why the path does not apply to these inputs.
    NotApplicable(String),
}

/// Pre-aggregates `load` for `spec`, if this path applies.
pub fn pre_aggregate(load: &Load, spec: &CubeSpec) -> Result<Outcome> {
    let skip = |reason: String| Ok(Outcome::NotApplicable(reason));
    if load.files.is_empty() {
        return skip("there are no input files".into());
    }
    if load.deduplicated {
        return skip("line items are de-duplicated across overlapping deliveries".into());
    }
    if let Some(f) = load
        .files
        .iter()
        .find(|f| !matches!(f.container, Container::Parquet))
    {
        return skip(format!("{} is not Parquet", f.path_display()));
    }
    let Some(layout) = Layout::of(spec) else {
        return skip("a metric is not a numeric expression".into());
    };
    let mut files = Vec::with_capacity(load.files.len());
    for plan in &load.files {
        match FileScan::open(&plan.input.path, &layout, plan)? {
            Ok(f) => files.push(f),
            Err(reason) => return skip(reason),
        }
    }
    let units = work_units(&files, rayon::current_num_threads());
    let mut merged = Merged::new(&layout);
    let chunk = 2 * rayon::current_num_threads().max(1);
    for part in units.chunks(chunk) {
        let partials: Vec<Result<Partial>> = part
            .par_iter()
            .map(|u| scan_unit(&files[u.file], u, &layout))
            .collect();
        for p in partials {
            merged.add(p?);
        }
    }
    frame::build(&layout, &merged.groups, &merged.interners).map(Outcome::Done)
}

/// One input file opened for the path: its footer, binding and projection.
struct FileScan {
    path: String,
    metadata: ArrowReaderMetadata,
    binding: Binding,
    projection: ProjectionMask,
}

impl FileScan {
    /// The file opened, or why the path cannot read it.
    fn open(
        path: &Path,
        layout: &Layout,
        plan: &crate::ingest::FilePlan,
    ) -> Result<std::result::Result<FileScan, String>> {
        let display = path.display().to_string();
        let corrupt = |detail: String| Error::CorruptParquet {
            path: display.clone(),
            detail,
        };
        let file = File::open(path).map_err(|e| corrupt(e.to_string()))?;
        let plain = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
        let metadata =
            ArrowReaderMetadata::load(&file, plain).map_err(|e| corrupt(e.to_string()))?;
        let binding = match Binding::of(layout, plan, metadata.schema()) {
            Ok(b) => b,
            Err(reason) => return Ok(Err(reason)),
        };
        let hinted =
            ArrowReaderOptions::new().with_schema(Arc::new(dictionary_strings(metadata.schema())));
        let metadata = ArrowReaderMetadata::try_new(metadata.metadata().clone(), hinted)
            .map_err(|e| corrupt(e.to_string()))?;
        let roots: Vec<usize> = metadata
            .schema()
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| binding.columns.contains(f.name()))
            .map(|(i, _)| i)
            .collect();
        let projection = ProjectionMask::roots(metadata.parquet_schema(), roots);
        Ok(Ok(FileScan {
            path: display,
            metadata,
            binding,
            projection,
        }))
    }
}

/// The file's schema with every string column and every string MAP's keys and values read
/// as `Dictionary(Int32, Utf8)`, so dictionary-encoded pages arrive as codes.
fn dictionary_strings(schema: &ArrowSchema) -> ArrowSchema {
    ArrowSchema::new_with_metadata(
        dictionary_fields(schema.fields()),
        schema.metadata().clone(),
    )
}

fn dictionary_fields(fields: &arrow_schema::Fields) -> Vec<Field> {
    fields
        .iter()
        .map(|f| {
            f.as_ref()
                .clone()
                .with_data_type(dictionary_type(f.data_type()))
        })
        .collect()
}

fn dictionary_type(t: &ArrowType) -> ArrowType {
    match t {
        ArrowType::Utf8 => {
            ArrowType::Dictionary(Box::new(ArrowType::Int32), Box::new(ArrowType::Utf8))
        }
        ArrowType::Map(entries, sorted) if bind::is_string_map(t) => {
            let ArrowType::Struct(fields) = entries.data_type() else {
                return t.clone();
            };
            let entries = entries
                .as_ref()
                .clone()
                .with_data_type(ArrowType::Struct(dictionary_fields(fields).into()));
            ArrowType::Map(Arc::new(entries), *sorted)
        }
        other => other.clone(),
    }
}

/// Rows `[start, end)` of one row group of one file.
#[derive(Clone, Copy, Debug)]
struct Unit {
    file: usize,
    row_group: usize,
    start: usize,
    end: usize,
}

/// One unit per row group; row groups are split into row ranges when there are fewer of
/// them than threads, so a one-row-group file still uses every core.
fn work_units(files: &[FileScan], threads: usize) -> Vec<Unit> {
    let mut whole = Vec::new();
    for (file, f) in files.iter().enumerate() {
        for (row_group, rg) in f.metadata.metadata().row_groups().iter().enumerate() {
            let rows = usize::try_from(rg.num_rows()).unwrap_or(0);
            if rows > 0 {
                whole.push(Unit {
                    file,
                    row_group,
                    start: 0,
                    end: rows,
                });
            }
        }
    }
    if whole.len() >= threads || whole.is_empty() {
        return whole;
    }
    let parts = threads.div_ceil(whole.len());
    whole
        .into_iter()
        .flat_map(|u| {
            let step = (u.end - u.start).div_ceil(parts).max(BATCH_ROWS);
            (u.start..u.end).step_by(step).map(move |start| Unit {
                start,
                end: (start + step).min(u.end),
                ..u
            })
        })
        .collect()
}

fn scan_unit(file: &FileScan, unit: &Unit, layout: &Layout) -> Result<Partial> {
    let failed = |detail: String| Error::CorruptParquet {
        path: file.path.clone(),
        detail: format!("row group {}: {detail}", unit.row_group),
    };
    let handle = File::open(&file.path).map_err(|e| failed(e.to_string()))?;
    let total = usize::try_from(
        file.metadata
            .metadata()
            .row_group(unit.row_group)
            .num_rows(),
    )
    .unwrap_or(0);
    let mut builder =
        ParquetRecordBatchReaderBuilder::new_with_metadata(handle, file.metadata.clone())
            .with_row_groups(vec![unit.row_group])
            .with_projection(file.projection.clone())
            .with_batch_size(BATCH_ROWS);
    if unit.start > 0 || unit.end < total {
        builder = builder.with_row_selection(RowSelection::from(vec![
            RowSelector::skip(unit.start),
            RowSelector::select(unit.end - unit.start),
        ]));
    }
    let reader = builder.build().map_err(|e| failed(e.to_string()))?;
    let mut scan = UnitScan::new(layout, &file.binding);
    for batch in reader {
        let batch = batch.map_err(|e| failed(e.to_string()))?;
        scan.add_batch(&batch).map_err(failed)?;
    }
    Ok(scan.finish())
}

/// The partials merged in unit order, with one interner per slot for the whole input.
struct Merged {
    groups: Groups,
    interners: Vec<Interner>,
}

impl Merged {
    fn new(layout: &Layout) -> Self {
        Self {
            groups: Groups::new(layout.key_width, layout.metrics.len()),
            interners: layout.slots.iter().map(|_| Interner::default()).collect(),
        }
    }

    fn add(&mut self, partial: Partial) {
        let width = self.groups.width();
        let remaps: Vec<Vec<u32>> = partial.interners[..width]
            .iter()
            .zip(&mut self.interners)
            .map(|(local, global)| {
                (0..local.len())
                    .map(|id| local.value(id as u32).map_or(NULL_ID, |v| global.intern(v)))
                    .collect()
            })
            .collect();
        let mut key = vec![NULL_ID; width];
        for g in 0..partial.groups.len() {
            for ((k, &local), remap) in key.iter_mut().zip(partial.groups.key(g)).zip(&remaps) {
                *k = remap[local as usize];
            }
            let target = self.groups.group_of(partial.groups.periods[g], &key);
            self.groups.add_group(target, &partial.groups, g);
        }
    }
}

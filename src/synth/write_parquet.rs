//! CUR 2.0 Parquet output: `BILLING_PERIOD=YYYY-MM/part-NNNNN.snappy.parquet`,
//! written batch by batch with `ArrowWriter` (about 1M rows per row group,
//! a new part after ~5M rows).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    Float64Builder, MapBuilder, MapFieldNames, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rayon::prelude::*;

use super::SynthError;
use super::columns::{CUR_COLUMNS, Cell, ColType, RowRef};
use super::model::Model;
use super::rows::Row;
use super::sink::{BATCH_ROWS, Sink};
use super::time::Month;

pub(crate) const ROW_GROUP_ROWS: usize = 1 << 20;
pub(crate) const PART_ROWS: u64 = 5_000_000;
/// Batches converted in parallel at a time (bounds memory).
const PARALLEL_BATCHES: usize = 2;
const MAP_COLUMNS: [&str; 3] = ["product", "resource_tags", "cost_category"];

fn map_names() -> MapFieldNames {
    MapFieldNames {
        entry: String::from("key_value"),
        key: String::from("key"),
        value: String::from("value"),
    }
}

pub(crate) fn schema() -> SchemaRef {
    let mut fields: Vec<Field> = CUR_COLUMNS
        .iter()
        .map(|c| match c.ty {
            ColType::Str => Field::new(c.cur2, DataType::Utf8, false),
            ColType::F64 => Field::new(c.cur2, DataType::Float64, true),
            ColType::Ts => Field::new(
                c.cur2,
                DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
                false,
            ),
        })
        .collect();
    for name in MAP_COLUMNS {
        fields.push(Field::new_map(
            name,
            "key_value",
            Field::new("key", DataType::Utf8, false),
            Field::new("value", DataType::Utf8, true),
            false,
            true,
        ));
    }
    Arc::new(Schema::new(fields))
}

fn column(refs: &[RowRef], get: for<'a> fn(&RowRef<'a>) -> Cell<'a>, ty: ColType) -> ArrayRef {
    match ty {
        ColType::Str => {
            let mut b = StringBuilder::with_capacity(refs.len(), refs.len() * 16);
            for x in refs {
                match get(x) {
                    Cell::S(s) => b.append_value(s),
                    Cell::O(s) => b.append_value(s),
                    _ => b.append_value(""),
                }
            }
            Arc::new(b.finish())
        }
        ColType::F64 => {
            let mut b = Float64Builder::with_capacity(refs.len());
            for x in refs {
                match get(x) {
                    Cell::F(v) => b.append_value(v),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        ColType::Ts => {
            let mut b = TimestampMillisecondBuilder::with_capacity(refs.len());
            for x in refs {
                match get(x) {
                    Cell::T(v) => b.append_value(v),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish().with_timezone("UTC"))
        }
    }
}

fn map_column(refs: &[RowRef], which: usize) -> Result<ArrayRef, SynthError> {
    let mut b = MapBuilder::new(
        Some(map_names()),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    for x in refs {
        let pairs = match which {
            0 => x.product_pairs(),
            1 => x.tag_pairs(),
            _ => x.cost_category_pairs(),
        };
        for (k, v) in pairs {
            b.keys().append_value(k);
            b.values().append_value(v);
        }
        b.append(true)?;
    }
    Ok(Arc::new(b.finish()))
}

pub(crate) fn batch(
    schema: &SchemaRef,
    m: &Model,
    rows: &[Row],
) -> Result<RecordBatch, SynthError> {
    let refs: Vec<RowRef> = rows.iter().map(|r| RowRef::new(m, r)).collect();
    let mut cols: Vec<ArrayRef> = CUR_COLUMNS
        .iter()
        .map(|c| column(&refs, c.get, c.ty))
        .collect();
    for i in 0..MAP_COLUMNS.len() {
        cols.push(map_column(&refs, i)?);
    }
    Ok(RecordBatch::try_new(schema.clone(), cols)?)
}

pub(crate) struct ParquetSink {
    out: PathBuf,
    schema: SchemaRef,
    dir: PathBuf,
    writer: Option<ArrowWriter<BufWriter<File>>>,
    part: u32,
    part_rows: u64,
    files: Vec<PathBuf>,
}

impl ParquetSink {
    pub(crate) fn new(out: &Path) -> ParquetSink {
        ParquetSink {
            out: out.to_path_buf(),
            schema: schema(),
            dir: PathBuf::new(),
            writer: None,
            part: 0,
            part_rows: 0,
            files: Vec::new(),
        }
    }

    fn open_part(&mut self) -> Result<(), SynthError> {
        let path = self
            .dir
            .join(format!("part-{:05}.snappy.parquet", self.part));
        let file = File::create(&path).map_err(|e| SynthError::io(&path, e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(String::from("curlens-synth"))
            .build();
        self.writer = Some(ArrowWriter::try_new(
            BufWriter::new(file),
            self.schema.clone(),
            Some(props),
        )?);
        self.files.push(path);
        self.part += 1;
        self.part_rows = 0;
        Ok(())
    }

    fn close_part(&mut self) -> Result<(), SynthError> {
        if let Some(w) = self.writer.take() {
            w.close()?;
        }
        Ok(())
    }
}

impl Sink for ParquetSink {
    fn begin_month(&mut self, month: &Month) -> Result<(), SynthError> {
        self.dir = self.out.join(format!("BILLING_PERIOD={}", month.label()));
        std::fs::create_dir_all(&self.dir).map_err(|e| SynthError::io(&self.dir, e))?;
        self.part = 0;
        self.open_part()
    }

    fn write(&mut self, m: &Model, rows: &[Row]) -> Result<(), SynthError> {
        for group in rows.chunks(BATCH_ROWS * PARALLEL_BATCHES) {
            let schema = &self.schema;
            let batches: Vec<Result<RecordBatch, SynthError>> = group
                .par_chunks(BATCH_ROWS)
                .map(|chunk| batch(schema, m, chunk))
                .collect();
            self.write_batches(batches)?;
        }
        Ok(())
    }

    fn end_month(&mut self) -> Result<(), SynthError> {
        self.close_part()
    }

    fn files(&self) -> &[PathBuf] {
        &self.files
    }
}

impl ParquetSink {
    fn write_batches(
        &mut self,
        batches: Vec<Result<RecordBatch, SynthError>>,
    ) -> Result<(), SynthError> {
        for b in batches {
            let b = b?;
            let n = b.num_rows() as u64;
            if self.part_rows > 0 && self.part_rows + n > PART_ROWS {
                self.close_part()?;
                self.open_part()?;
            }
            if let Some(w) = self.writer.as_mut() {
                w.write(&b)?;
            }
            self.part_rows += n;
        }
        Ok(())
    }
}

//! Gzip CSV outputs: legacy CUR (`YYYYMMDD-YYYYMMDD/curlens-synth-00001.csv.gz`
//! with `lineItem/UnblendedCost`-style headers) and FOCUS 1.0
//! (`BILLING_PERIOD=YYYY-MM/curlens-synth-focus-00001.csv.gz`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

use super::SynthError;
use super::columns::{CUR_COLUMNS, Cell, Col, FOCUS_COLUMNS, LEGACY_MAP_COLUMNS, RowRef};
use super::model::Model;
use super::rows::Row;
use super::sink::Sink;
use super::time::{self, Month};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum CsvFlavor {
    Legacy,
    Focus,
}

type Gz = GzEncoder<BufWriter<File>>;

pub(crate) struct CsvSink {
    out: PathBuf,
    flavor: CsvFlavor,
    cols: Vec<&'static Col>,
    writer: Option<(Gz, PathBuf)>,
    files: Vec<PathBuf>,
    line: String,
}

fn push_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

fn push_cell(out: &mut String, c: Cell) {
    match c {
        Cell::S(s) => push_field(out, s),
        Cell::O(s) => push_field(out, &s),
        Cell::F(v) => out.push_str(&format!("{v}")),
        Cell::N => {}
        Cell::T(ms) => out.push_str(&time::fmt_ts_ms(ms)),
    }
}

impl CsvSink {
    pub(crate) fn new(out: &Path, flavor: CsvFlavor) -> CsvSink {
        let cols: Vec<&'static Col> = match flavor {
            CsvFlavor::Legacy => CUR_COLUMNS.iter().chain(LEGACY_MAP_COLUMNS).collect(),
            CsvFlavor::Focus => FOCUS_COLUMNS.iter().collect(),
        };
        CsvSink {
            out: out.to_path_buf(),
            flavor,
            cols,
            writer: None,
            files: Vec::new(),
            line: String::new(),
        }
    }

    fn path_for(&self, month: &Month) -> (PathBuf, PathBuf) {
        match self.flavor {
            CsvFlavor::Legacy => {
                let dir = self.out.join(format!(
                    "{}-{}",
                    time::fmt_compact_date(month.bill_start),
                    time::fmt_compact_date(month.bill_end)
                ));
                let file = dir.join("curlens-synth-00001.csv.gz");
                (dir, file)
            }
            CsvFlavor::Focus => {
                let dir = self.out.join(format!("BILLING_PERIOD={}", month.label()));
                let file = dir.join("curlens-synth-focus-00001.csv.gz");
                (dir, file)
            }
        }
    }
}

impl Sink for CsvSink {
    fn begin_month(&mut self, month: &Month) -> Result<(), SynthError> {
        let (dir, path) = self.path_for(month);
        std::fs::create_dir_all(&dir).map_err(|e| SynthError::io(&dir, e))?;
        let file = File::create(&path).map_err(|e| SynthError::io(&path, e))?;
        let mut gz = GzEncoder::new(BufWriter::new(file), Compression::fast());
        let header: Vec<&str> = self.cols.iter().map(|c| c.legacy).collect();
        writeln!(gz, "{}", header.join(",")).map_err(|e| SynthError::io(&path, e))?;
        self.files.push(path.clone());
        self.writer = Some((gz, path));
        Ok(())
    }

    fn write(&mut self, m: &Model, rows: &[Row]) -> Result<(), SynthError> {
        let Some((gz, path)) = self.writer.as_mut() else {
            return Ok(());
        };
        for r in rows {
            let x = RowRef::new(m, r);
            self.line.clear();
            for (i, c) in self.cols.iter().enumerate() {
                if i > 0 {
                    self.line.push(',');
                }
                push_cell(&mut self.line, (c.get)(&x));
            }
            self.line.push('\n');
            gz.write_all(self.line.as_bytes())
                .map_err(|e| SynthError::io(path, e))?;
        }
        Ok(())
    }

    fn end_month(&mut self) -> Result<(), SynthError> {
        if let Some((gz, path)) = self.writer.take() {
            let mut inner = gz.finish().map_err(|e| SynthError::io(&path, e))?;
            inner.flush().map_err(|e| SynthError::io(&path, e))?;
        }
        Ok(())
    }

    fn files(&self) -> &[PathBuf] {
        &self.files
    }
}

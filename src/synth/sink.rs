//! The interface every output format implements: months are opened, filled
//! with rows in write order, and closed.

use std::path::PathBuf;

use super::SynthError;
use super::model::Model;
use super::rows::Row;
use super::time::Month;

/// Rows converted per batch.
pub(crate) const BATCH_ROWS: usize = 65_536;

pub(crate) trait Sink {
    fn begin_month(&mut self, month: &Month) -> Result<(), SynthError>;
    fn write(&mut self, m: &Model, rows: &[Row]) -> Result<(), SynthError>;
    fn end_month(&mut self) -> Result<(), SynthError>;
    fn files(&self) -> &[PathBuf];
}

//! # curlens: AWS billing exports in, decisions out
//!
//! curlens reads Cost and Usage Report exports — CUR 2.0 Data Exports, legacy CUR (CSV, and
//! Athena Parquet / Hive text) and FOCUS 1.x — offline, and normalises them into one
//! canonical polars frame.
//!
//! Data flows through the modules in pipeline order:
//!
//! - [`ingest`]: discover files, sniff containers, detect formats, project every file onto
//!   the canonical schema ([`schema`]) as one lazy frame, de-duplicate line items;
//! - [`inspect`]: what the inputs hold and what looks wrong with them.
//!
//! Supporting modules: [`format`] (format detection), [`tags`] (tag keys and the map
//! kernels), [`money`] (summation and rounding), [`error`].
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod error;
pub mod format;
pub mod ingest;
pub mod inspect;
pub mod money;
pub mod schema;
pub mod tags;

pub use error::{Error, Result};

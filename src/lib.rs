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
//! - [`inspect`]: what the inputs hold and what looks wrong with them;
//! - [`cube`]: the cost cube — period × currency × dimensions × metrics, exact sums, filters,
//!   the same definition as SQL;
//! - [`anomaly`]: seasonal and z-score detection on daily series at several levels, level
//!   shifts, exact additive root causes;
//! - [`report`]: the weekly report — budgets, forecast, movers, EC2-Other, allocation,
//!   anomalies, proposals, commitments, data quality, manifest — as Markdown and JSON;
//! - [`rules`]: optimization proposals with evidence, formula and de-duplicated savings;
//! - [`breakdown`]: a cube as Top-N rows with `Other`, rendered as table, CSV, JSON, Markdown;
//! - [`synth`]: seeded synthetic CUR exports with known injected anomalies and waste.
//!
//! Supporting modules: [`calendar`] (dates), [`format`](mod@format) (format detection), [`tags`] (tag keys and the map
//! kernels), [`money`] (summation and rounding), [`render`] (text output), [`atomic`]
//! (temp-file-and-rename writes), [`error`].
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod anomaly;
pub mod atomic;
pub mod breakdown;
pub mod calendar;
pub mod cube;
pub mod error;
pub mod format;
pub mod ingest;
pub mod inspect;
pub mod money;
pub mod render;
pub mod report;
pub mod rules;
pub mod schema;
pub mod synth;
pub mod tags;

pub use error::{Error, Result};

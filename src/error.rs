//! The library's error type. Messages are lowercase, name the file, column and row where
//! they are known, and say what was expected; a `hint:` line says what to try.

use polars::prelude::PolarsError;

/// Errors returned by the library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("no input files: {0}")]
    NoInput(String),

    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}: not a CUR or FOCUS export: {reason}")]
    UnknownFormat { path: String, reason: String },

    #[error(
        "{path}: {format} export is missing required column `{column}` (canonical `{canonical}`){closest}"
    )]
    MissingColumn {
        path: String,
        format: String,
        column: String,
        canonical: &'static str,
        closest: String,
    },

    #[error("{path}: column `{column}` has type {found}, expected {expected}")]
    ColumnType {
        path: String,
        column: String,
        found: String,
        expected: &'static str,
    },

    #[error(
        "{path}: the first line holds no known column name ({fields} fields, starting `{sample}`): \
         this looks like an extract without a header row\n\
         hint: pass --header-from FILE, where FILE's first line holds the {fields} column names"
    )]
    NoHeader {
        path: String,
        fields: usize,
        sample: String,
    },

    #[error(
        "{path}: --header-from gives {given} column names but the file has {fields} fields per row"
    )]
    HeaderMismatch {
        path: String,
        given: String,
        fields: usize,
    },

    #[error("{path}: {location}column `{column}`: cannot parse `{value}` as {expected}")]
    BadValue {
        path: String,
        /// `"row N, "` (1-based data row) when known.
        location: String,
        column: String,
        value: String,
        expected: &'static str,
    },

    #[error("{path}: line {line}: expected {expected} fields, found {found}")]
    FieldCount {
        path: String,
        line: u64,
        expected: usize,
        found: usize,
    },

    #[error("{path}: not a readable Parquet file (corrupt or truncated): {detail}")]
    CorruptParquet { path: String, detail: String },

    #[error("{context}: {source}")]
    Polars {
        context: String,
        #[source]
        source: PolarsError,
    },

    #[error("{0}")]
    Invalid(String),

    #[error("synth: {0}")]
    Synth(crate::synth::SynthError),

    /// An invariant of this crate was violated: a bug, not bad input.
    #[error("internal error: {0}. This is a bug; please report it with the command you ran")]
    Internal(String),
}

impl From<crate::synth::SynthError> for Error {
    fn from(e: crate::synth::SynthError) -> Error {
        Error::Synth(e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps a polars error with what curlens was doing.
    pub fn polars(context: impl Into<String>) -> impl FnOnce(PolarsError) -> Error {
        let context = context.into();
        move |source| Error::Polars { context, source }
    }

    pub fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
        move |source| Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

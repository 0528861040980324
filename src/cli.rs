//! Command-line interface: clap types and their conversion into library calls. The library
//! never sees these types.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Offline analysis of AWS Cost and Usage Report exports.
#[derive(Debug, Parser)]
#[command(name = "curlens", version, about, long_about = None)]
pub struct Cli {
    /// Worker threads for polars and rayon [default: all cores].
    #[arg(long, global = true)]
    pub threads: Option<NonZeroUsize>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check inputs: format per file, rows, periods, accounts, cost by line item type, warnings.
    Inspect(InspectArgs),
    /// Print the canonical schema and how each export format maps onto it.
    Schema(SchemaArgs),
}

/// Options shared by every command that reads exports.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Export files, directories (walked recursively) or globs.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// A file whose first line names the columns of header-less extracts (Hive text).
    /// Repeat for layouts of different widths; the one matching a file's field count is used.
    #[arg(long, value_name = "FILE")]
    pub header_from: Vec<PathBuf>,

    /// Count a line item found in several files once per file instead of once overall.
    #[arg(long)]
    pub keep_duplicates: bool,
}

impl InputArgs {
    pub fn load_options(&self) -> curlens::ingest::LoadOptions {
        curlens::ingest::LoadOptions {
            header_from: self.header_from.clone(),
            deduplicate: !self.keep_duplicates,
        }
    }
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
    pub format: TableOrJson,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Print the mapping as the Markdown table of docs/cur-schema.md.
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TableOrJson {
    Table,
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}

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
    /// Write the weekly report (Markdown and JSON) for the last complete ISO week.
    Report(ReportArgs),
    /// Write a commented default configuration file.
    InitConfig(InitConfigArgs),
    /// Check inputs: format per file, rows, periods, accounts, cost by line item type, warnings.
    Inspect(InspectArgs),
    /// Cost by any dimensions, metric and period, with filters and Top-N.
    Breakdown(BreakdownArgs),
    /// Print the cube's definition as SQL over a CUR 2.0 table (Athena, Trino, Spark).
    CubeSql(CubeSqlArgs),
    /// Detect anomalies in daily cost: spikes, drops and level shifts, with root causes.
    Anomalies(AnomaliesArgs),
    /// Measure detection quality on generated data and write docs/anomaly-detection.md.
    AnomalyQuality(AnomalyQualityArgs),
    /// Optimization proposals with evidence, savings, formula and assumptions.
    Proposals(ProposalsArgs),
    /// Write a realistic synthetic CUR export with known anomalies and waste (seeded).
    Synth(SynthArgs),
    /// Print the canonical schema and how each export format maps onto it.
    Schema(SchemaArgs),
}

#[derive(Debug, Args)]
pub struct AnomaliesArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Scoring method: seasonal (weekday-aware median and MAD), zscore (rolling mean and
    /// standard deviation), level-shift (seasonal, level shifts only).
    #[arg(long, default_value = "seasonal")]
    pub method: String,

    /// Metric of the daily series.
    #[arg(long, default_value = "amortized")]
    pub metric: String,

    /// Series levels, comma-separated: total, account, service, account-service,
    /// service-usage-type [default: all].
    #[arg(long, value_delimiter = ',')]
    pub levels: Vec<String>,

    /// Report anomalies that end on or after this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,

    /// Minimum |impact| of an anomaly, in currency units.
    #[arg(long, default_value_t = 50.0)]
    pub min_impact: f64,

    /// Minimum |impact| as a percentage of the expected cost.
    #[arg(long, default_value_t = 10.0)]
    pub min_impact_pct: f64,

    /// Minimum |score| (robust z) of an anomalous day.
    #[arg(long, default_value_t = 3.0)]
    pub min_score: f64,

    /// Days of history before a day is scored; shorter series are listed as skipped.
    #[arg(long, default_value_t = 14)]
    pub min_history: usize,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct AnomalyQualityArgs {
    /// Seeds of the generated datasets (none of them used by the tests).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1001,1002,1003,1004,1005,2001,2002,2003,2004,2005,3001,3002,3003,3004,3005,4001,4002,4003,4004,4005,5001,5002,5003,5004,5005,5006,5007,5008,5009,5010,6001,6002,6003,6004,6005,6006,6007,6008,6009,6010,7001,7002,7003,7004,7005,7006,7007,7008,7009,7010,8001,8002,8003,8004,8005,8006,8007,8008,8009,8010,9001,9002,9003,9004,9005,9006,9007,9008,9009,9010,10001,10002,10003,10004,10005,10006,10007,10008,10009,10010"
    )]
    pub seeds: Vec<u64>,

    /// Hold-out seeds, measured with the seasonal method in a section of their own (none of
    /// them used by the tests either).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "11001,11002,11003,11004,11005,11006,11007,11008,11009,11010"
    )]
    pub holdout: Vec<u64>,

    /// Seeds of clean January–March quarters, on which every anomaly reported is a false
    /// positive (usage priced per month bills more per day in February).
    #[arg(long, value_delimiter = ',', default_value = "77,78,79,80,81")]
    pub quarters: Vec<u64>,

    /// Folder for the generated datasets (reused when present).
    #[arg(long)]
    pub work: PathBuf,

    /// Markdown page to write.
    #[arg(long, default_value = "docs/anomaly-detection.md")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ProposalsArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Leave out proposals saving less than this per month.
    #[arg(long, default_value_t = 0.0)]
    pub min_savings: f64,

    /// Configuration file whose `[proposals]` table sets the rule constants (see
    /// `curlens init-config`); `--min-savings` still applies.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// ISO week to report, e.g. 2025-W42 [default: the last complete week in the data].
    #[arg(long, conflicts_with = "as_of")]
    pub week: Option<String>,

    /// Report the last complete week ending on or before this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,

    /// Configuration file (see `curlens init-config`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Folder for curlens-<week>.md and .json.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,

    /// Files to write, comma-separated: md, json.
    #[arg(long, value_delimiter = ',', default_value = "md,json")]
    pub format: Vec<String>,

    /// Exit with code 1 when any of these fired: budget, anomaly.
    #[arg(long, value_delimiter = ',')]
    pub fail_on: Vec<String>,

    /// No progress lines on stderr.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct InitConfigArgs {
    /// Where to write it.
    #[arg(default_value = "curlens.toml")]
    pub path: PathBuf,

    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Folder to write into (must be empty or absent unless --force).
    #[arg(long)]
    pub out: PathBuf,

    /// About this many rows (resource counts are scaled to reach it).
    #[arg(long)]
    pub rows: Option<u64>,

    /// Days to generate.
    #[arg(long, default_value_t = 42)]
    pub days: u32,

    /// Linked accounts (the payer account comes on top).
    #[arg(long, default_value_t = 3)]
    pub accounts: u32,

    /// First day, YYYY-MM-DD.
    #[arg(long, default_value = "2025-09-01")]
    pub start: String,

    /// Seed of the ChaCha8 streams: same arguments, same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Output layout: cur2 (Parquet with MAP columns), legacy-csv (gzip CSV), focus (gzip CSV).
    #[arg(long, default_value = "cur2")]
    pub format: String,

    /// Inject no anomalies.
    #[arg(long)]
    pub no_anomalies: bool,

    /// Inject no waste.
    #[arg(long)]
    pub no_waste: bool,

    /// Write into a non-empty folder.
    #[arg(long)]
    pub force: bool,
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

/// What to aggregate: dimensions, metric, period, filters.
#[derive(Debug, Args)]
pub struct CubeArgs {
    /// Group-by dimensions, comma-separated: account, service, category, region, usage-type,
    /// operation, line-item-type, instance-type, instance-family, resource, tag:KEY... Any number.
    #[arg(long, value_delimiter = ',', value_name = "DIMS")]
    pub by: Vec<String>,

    /// Period of each row: hour, day, week (ISO), month, total.
    #[arg(long, default_value = "total")]
    pub granularity: String,

    /// Keep rows where KEY=VALUE (e.g. service=AmazonEC2, tag:Project=WebApp). Repeat a key
    /// to accept any of its values; different keys must all match.
    #[arg(long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,

    /// Drop rows where KEY=VALUE (e.g. line-item-type=Tax).
    #[arg(long, value_name = "KEY=VALUE")]
    pub exclude: Vec<String>,

    /// First day to include (YYYY-MM-DD, usage start, UTC).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,

    /// Last day to include (YYYY-MM-DD, inclusive).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
}

impl CubeArgs {
    pub fn dimensions(&self) -> curlens::Result<Vec<curlens::cube::Dimension>> {
        self.by
            .iter()
            .filter(|d| !d.trim().is_empty())
            .map(|d| curlens::cube::Dimension::parse(d))
            .collect()
    }

    pub fn filters(&self) -> curlens::Result<curlens::cube::Filters> {
        use curlens::cube::{Condition, Day};
        let mut conditions = Vec::new();
        for f in &self.filter {
            conditions.push(Condition::parse(f, false)?);
        }
        for f in &self.exclude {
            conditions.push(Condition::parse(f, true)?);
        }
        Ok(curlens::cube::Filters {
            conditions,
            from: self.from.as_deref().map(Day::parse).transpose()?,
            to: self.to.as_deref().map(Day::parse).transpose()?,
        })
    }
}

#[derive(Debug, Args)]
pub struct BreakdownArgs {
    /// Export files, directories or globs — or one cube file written by --cube.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub cube: CubeArgs,

    /// Metrics, comma-separated: unblended, blended, net-unblended, amortized,
    /// net-amortized, public-on-demand, usage-quantity. The first one ranks Top-N.
    #[arg(long, value_delimiter = ',', default_value = "amortized")]
    pub metric: Vec<String>,

    /// Keep the N largest groups; fold the rest into an `Other` row per period.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Also save the cube (all metrics, by day unless --granularity hour) to this Parquet
    /// file; pass the file instead of the exports later to re-run in seconds.
    #[arg(long, value_name = "FILE")]
    pub cube_out: Option<PathBuf>,

    /// How to compute the cube: auto (the Parquet path where it applies, else the frame
    /// engine), frame (the frame engine for every input) or parquet (the Parquet path, or an
    /// error saying why it does not apply). All give the same result.
    #[arg(long, default_value = "auto")]
    pub engine: String,

    /// A file whose first line names the columns of header-less extracts.
    #[arg(long, value_name = "FILE")]
    pub header_from: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CubeSqlArgs {
    #[command(flatten)]
    pub cube: CubeArgs,

    /// The CUR 2.0 table to read.
    #[arg(long, default_value = "cur")]
    pub table: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
    #[value(alias = "markdown")]
    Md,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Print the mapping as the Markdown table of docs/cur-schema.md.
    #[arg(long)]
    pub markdown: bool,

    /// Print docs/cost-metrics.md: every metric's definition and its SQL.
    #[arg(long, conflicts_with = "markdown")]
    pub metrics: bool,
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

//! The `curlens` binary: parse arguments, call the library, print, pick the exit code
//! (0 ok, 2 error).

mod cli;
mod progress;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use cli::{Cli, Command, TableOrJson};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("curlens: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(threads) = cli.threads {
        configure_threads(threads.get())?;
    }
    match cli.command {
        Command::Inspect(args) => inspect(args),
        Command::Report(args) => report(args),
        Command::InitConfig(args) => init_config(args),
        Command::Breakdown(args) => breakdown(args),
        Command::CubeSql(args) => cube_sql(args),
        Command::Anomalies(args) => anomalies(args),
        Command::Synth(args) => synth(args),
        Command::Proposals(args) => proposals(args),
        Command::AnomalyQuality(args) => anomaly_quality(args),
        Command::Schema(args) => schema(args),
    }
}

/// Sets both thread pools before polars is first used.
fn configure_threads(threads: usize) -> anyhow::Result<()> {
    // SAFETY: called once at start-up, before any other thread exists.
    unsafe { std::env::set_var("POLARS_MAX_THREADS", threads.to_string()) };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .context("configuring the thread pool")
}

fn inspect(args: cli::InspectArgs) -> anyhow::Result<ExitCode> {
    let load = curlens::ingest::load(&args.input.paths, &args.input.load_options())?;
    let inspection = curlens::inspect::inspect(&load)?;
    let text = match args.format {
        TableOrJson::Table => curlens::inspect::render_table(&inspection),
        TableOrJson::Json => serde_json::to_string_pretty(&inspection)? + "\n",
    };
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn breakdown(args: cli::BreakdownArgs) -> anyhow::Result<ExitCode> {
    use curlens::cube::{self, CubeSpec, Granularity, Metric};
    let granularity = Granularity::parse(&args.cube.granularity)?;
    let metrics = args
        .metric
        .iter()
        .map(|m| Metric::parse(m))
        .collect::<curlens::Result<Vec<_>>>()?;
    let wanted = CubeSpec {
        dimensions: args.cube.dimensions()?,
        granularity,
        metrics,
        filters: args.cube.filters()?,
    };
    let cube = if let [single] = args.paths.as_slice()
        && cube::is_cube_file(single)
    {
        cube::rollup(&cube::read_cube(single)?, &wanted)?
    } else {
        let options = curlens::ingest::LoadOptions {
            header_from: args.header_from.clone(),
            ..Default::default()
        };
        let load = curlens::ingest::load(&args.paths, &options)?;
        let engine = cube::Engine::parse(&args.engine)?;
        match &args.cube_out {
            Some(path) => {
                let mut full = CubeSpec::daily(wanted.dimensions.clone());
                full.filters = wanted.filters.clone();
                if granularity == Granularity::Hour {
                    full.granularity = Granularity::Hour;
                }
                let saved = cube::aggregate_on(&load, &full, engine)?;
                cube::write_cube(&saved, path)?;
                cube::rollup(
                    &saved,
                    &CubeSpec {
                        filters: Default::default(),
                        ..wanted
                    },
                )?
            }
            None => cube::aggregate_on(&load, &wanted, engine)?,
        }
    };
    let format = match args.format {
        cli::OutputFormat::Table => curlens::breakdown::Format::Table,
        cli::OutputFormat::Csv => curlens::breakdown::Format::Csv,
        cli::OutputFormat::Json => curlens::breakdown::Format::Json,
        cli::OutputFormat::Md => curlens::breakdown::Format::Markdown,
    };
    let rows = curlens::breakdown::breakdown(&cube, args.top)?;
    print(&curlens::breakdown::render(&rows, format)?)?;
    Ok(ExitCode::SUCCESS)
}

fn cube_sql(args: cli::CubeSqlArgs) -> anyhow::Result<ExitCode> {
    use curlens::cube::{CubeSpec, Granularity};
    let mut spec = CubeSpec::daily(args.cube.dimensions()?);
    spec.granularity = Granularity::parse(&args.cube.granularity)?;
    print(&curlens::cube::sql::cube_sql(&spec, &args.table))?;
    Ok(ExitCode::SUCCESS)
}

fn report(args: cli::ReportArgs) -> anyhow::Result<ExitCode> {
    use curlens::report::{self, Config, Formats, WeekChoice};
    let started = std::time::Instant::now();
    let log = |stage: &str, since: std::time::Instant| {
        if !args.quiet {
            eprintln!("curlens: {stage} ({:.2} s)", since.elapsed().as_secs_f64());
        }
    };
    let config = match &args.config {
        Some(path) => Config::read(path)?,
        None => Config::default(),
    };
    let week = match (&args.week, &args.as_of) {
        (Some(w), _) => WeekChoice::Monday(report::parse_iso_week(w)?),
        (None, Some(d)) => WeekChoice::AsOf(curlens::cube::Day::parse(d)?),
        (None, None) => WeekChoice::Latest,
    };
    let mut formats = Formats {
        markdown: false,
        json: false,
    };
    for f in &args.format {
        match f.trim() {
            "md" | "markdown" => formats.markdown = true,
            "json" => formats.json = true,
            other => anyhow::bail!("unknown report format `{other}`; valid: md, json"),
        }
    }
    for f in &args.fail_on {
        if !matches!(f.trim(), "budget" | "anomaly") {
            anyhow::bail!("unknown --fail-on `{f}`; valid: budget, anomaly");
        }
    }
    let load = curlens::ingest::load(&args.input.paths, &args.input.load_options())?;
    log(
        &format!("planned {} input files", load.files.len()),
        started,
    );
    let stage = std::time::Instant::now();
    let progress = progress::Progress::new(report::stages(&config), args.quiet);
    let stage_log = |name: &str, seconds: f64| progress.finished(name, seconds);
    let outcome = report::run(&load, &config, week, &args.out, formats, &stage_log);
    progress.end();
    let outcome = outcome?;
    log(
        &format!("built the report for {}", outcome.model.week),
        stage,
    );
    for path in &outcome.written {
        if !args.quiet {
            eprintln!("curlens: wrote {}", path.display());
        }
    }
    let fail_budget =
        args.fail_on.iter().any(|f| f == "budget") && !outcome.budget_alerts.is_empty();
    let fail_anomaly = args.fail_on.iter().any(|f| f == "anomaly") && outcome.anomalies > 0;
    for alert in &outcome.budget_alerts {
        eprintln!("curlens: ALERT {alert}");
    }
    if fail_anomaly {
        eprintln!(
            "curlens: ALERT {} anomalies in {}",
            outcome.anomalies, outcome.model.week
        );
    }
    Ok(if fail_budget || fail_anomaly {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn init_config(args: cli::InitConfigArgs) -> anyhow::Result<ExitCode> {
    if args.path.exists() && !args.force {
        anyhow::bail!(
            "{} exists; pass --force to overwrite it",
            args.path.display()
        );
    }
    curlens::atomic::write_bytes(
        &args.path,
        curlens::report::Config::commented_default().as_bytes(),
    )?;
    eprintln!("curlens: wrote {}", args.path.display());
    Ok(ExitCode::SUCCESS)
}

fn anomalies(args: cli::AnomaliesArgs) -> anyhow::Result<ExitCode> {
    use curlens::anomaly::{self, Level, Method, Options, Thresholds};
    let levels = if args.levels.is_empty() {
        Level::ALL.to_vec()
    } else {
        args.levels
            .iter()
            .map(|l| Level::parse(l))
            .collect::<curlens::Result<Vec<_>>>()?
    };
    let mut options = Options {
        method: Method::parse(&args.method)?,
        metric: curlens::cube::Metric::parse(&args.metric)?,
        levels,
        thresholds: Thresholds {
            min_score: args.min_score,
            min_impact: args.min_impact,
            min_impact_pct: args.min_impact_pct,
            ..Thresholds::default()
        },
        since: args
            .since
            .as_deref()
            .map(curlens::cube::Day::parse)
            .transpose()?,
        ..Options::default()
    };
    options.params.min_history = args.min_history;
    let load = curlens::ingest::load(&args.input.paths, &args.input.load_options())?;
    let detection = anomaly::detect(&load, &options)?;
    let text = match args.format {
        cli::OutputFormat::Json => curlens::render::json_rounded(&detection)?,
        cli::OutputFormat::Md => anomaly::render::markdown(&detection),
        _ => anomaly::render::table(&detection),
    };
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn anomaly_quality(args: cli::AnomalyQualityArgs) -> anyhow::Result<ExitCode> {
    use curlens::anomaly::{Method, quality};
    let setup = quality::Setup::default();
    let mut rows = Vec::new();
    for method in [Method::Seasonal, Method::Zscore] {
        rows.push((
            method,
            quality::measure(&args.seeds, method, &setup, &args.work)?,
        ));
    }
    let mut table = quality::render(&rows, &args.seeds, &setup);
    if !args.holdout.is_empty() {
        let holdout = quality::measure(&args.holdout, Method::Seasonal, &setup, &args.work)?;
        table.push_str(&quality::render_holdout(&holdout, &args.holdout));
    }
    if !args.quarters.is_empty() {
        let mut rows = Vec::new();
        for method in [Method::Seasonal, Method::Zscore] {
            let quarters =
                quality::measure_clean_quarters(&args.quarters, method, &setup, &args.work)?;
            rows.push((method, quarters));
        }
        table.push_str(&quality::render_clean_quarters(&rows, &args.quarters));
    }
    let page = format!(
        "{}{table}",
        include_str!("../docs/anomaly-detection.head.md")
    );
    curlens::atomic::write_bytes(&args.out, page.as_bytes())?;
    print(&table)?;
    Ok(ExitCode::SUCCESS)
}

fn proposals(args: cli::ProposalsArgs) -> anyhow::Result<ExitCode> {
    use curlens::rules;
    let base = match &args.config {
        Some(path) => curlens::report::Config::read(path)?.proposals,
        None => rules::Constants::default(),
    };
    let constants = rules::Constants {
        min_monthly_savings: args.min_savings,
        ..base
    };
    let load = curlens::ingest::load(&args.input.paths, &args.input.load_options())?;
    let proposals = rules::evaluate(&load, &constants)?;
    let text = match args.format {
        cli::OutputFormat::Json => curlens::render::json_rounded(&proposals)?,
        cli::OutputFormat::Md => rules::render::markdown(&proposals),
        _ => rules::render::table(&proposals),
    };
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn synth(args: cli::SynthArgs) -> anyhow::Result<ExitCode> {
    use curlens::synth::{SynthFormat, SynthOptions};
    let start = curlens::cube::Day::parse(&args.start)?;
    let (y, m, d) = curlens::inspect::civil_from_days(start.0);
    let format = match args.format.as_str() {
        "cur2" => SynthFormat::Cur2,
        "legacy-csv" | "legacy" => SynthFormat::LegacyCsv,
        "focus" => SynthFormat::Focus,
        other => anyhow::bail!("unknown synth format `{other}`; valid: cur2, legacy-csv, focus"),
    };
    let options = SynthOptions {
        out: args.out,
        start: (y as i32, m, d),
        days: args.days,
        accounts: args.accounts,
        seed: args.seed,
        format,
        anomalies: !args.no_anomalies,
        waste: !args.no_waste,
        force: args.force,
        target_rows: args.rows,
    };
    let summary = curlens::synth::generate(&options).map_err(curlens::Error::from)?;
    eprintln!(
        "curlens: wrote {} rows in {} files to {} (unblended total {:.2})",
        summary.rows,
        summary.files.len(),
        options.out.display(),
        summary.total_unblended
    );
    Ok(ExitCode::SUCCESS)
}

fn schema(args: cli::SchemaArgs) -> anyhow::Result<ExitCode> {
    let text = if args.markdown {
        curlens::schema::render_markdown_table()
    } else if args.metrics {
        curlens::cube::metric::render_markdown()
    } else {
        curlens::schema::canonical_schema()
            .iter()
            .map(|(name, dtype)| format!("{name}\t{dtype}\n"))
            .collect()
    };
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

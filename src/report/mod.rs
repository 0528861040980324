//! The weekly report: one model computed from the daily cube and the other modules
//! ([`build`]), rendered as Markdown ([`markdown`]) and JSON, written atomically as
//! `curlens-<ISO week>.md` and `.json`.

pub mod build;
pub mod config;
pub mod markdown;
pub mod model;
pub mod svg;

use std::path::{Path, PathBuf};

pub use build::{WeekChoice, parse_iso_week, stages};
pub use config::Config;
pub use model::ReportModel;

use crate::error::{Error, Result};
use crate::ingest::Load;

/// Which files to write.
#[derive(Clone, Copy, Debug)]
pub struct Formats {
    pub markdown: bool,
    pub json: bool,
}

/// What a report run produced.
#[derive(Debug)]
pub struct Outcome {
    pub model: ReportModel,
    pub written: Vec<PathBuf>,
    /// Budget thresholds crossed, one line each.
    pub budget_alerts: Vec<String>,
    pub anomalies: usize,
}

/// Chart file name next to the report: `curlens-2025-W41-daily.svg`.
pub fn chart_name(week: &str, chart: &str) -> String {
    format!("curlens-{week}-{chart}.svg")
}

fn charts(model: &ReportModel, stem: &Path) -> Vec<(PathBuf, String)> {
    let dir = stem.parent().unwrap_or(Path::new("."));
    let c = &model.charts;
    let points: Vec<svg::DailyPoint> = c
        .daily
        .iter()
        .map(|d| svg::DailyPoint {
            day: d.day.clone(),
            cost: d.cost,
            band: d.band,
            anomalous: d.anomalous,
        })
        .collect();
    vec![
        (
            dir.join(chart_name(&model.week, "daily")),
            svg::daily_chart(
                &format!(
                    "Daily {} cost ({}), seasonal band, anomalies in red",
                    model.metric, model.currency
                ),
                &points,
            ),
        ),
        (
            dir.join(chart_name(&model.week, "services")),
            svg::weekly_stacked(
                &format!(
                    "Weekly {} cost by service ({})",
                    model.metric, model.currency
                ),
                &c.weeks,
                &c.services,
            ),
        ),
    ]
}

/// Builds the report and writes it into `out_dir`.
pub fn run(
    load: &Load,
    config: &Config,
    week: WeekChoice,
    out_dir: &Path,
    formats: Formats,
    log: build::StageLog,
) -> Result<Outcome> {
    let config_text =
        toml::to_string(config).map_err(|e| Error::Internal(format!("config: {e}")))?;
    let model = build::build(load, config, week, &config_text, log)?;
    let stem = out_dir.join(format!("curlens-{}", model.week));
    let mut written = Vec::new();
    if formats.markdown {
        for (path, svg) in charts(&model, &stem) {
            crate::atomic::write_bytes(&path, svg.as_bytes())?;
            written.push(path);
        }
        let path = stem.with_extension("md");
        crate::atomic::write_bytes(&path, markdown::render(&model).as_bytes())?;
        written.push(path);
    }
    if formats.json {
        let path = stem.with_extension("json");
        let json = crate::render::json_rounded(&model)
            .map_err(|e| Error::Internal(format!("report JSON: {e}")))?;
        crate::atomic::write_bytes(&path, json.as_bytes())?;
        written.push(path);
    }
    let budget_alerts = model
        .budgets
        .iter()
        .flat_map(|b| {
            b.thresholds
                .iter()
                .filter(|t| t.is_alert())
                .map(move |t| format!("budget `{}` {:.0}%: {}", b.name, 100.0 * t.share, t.status))
        })
        .collect();
    let anomalies = model.anomalies.len();
    Ok(Outcome {
        model,
        written,
        budget_alerts,
        anomalies,
    })
}

//! The weekly report as plain data: what the Markdown shows and the JSON twin holds.

use serde::Serialize;

use crate::anomaly::Anomaly;
use crate::rules::Proposal;

#[derive(Clone, Debug, Serialize)]
pub struct ReportModel {
    pub week: String,
    pub week_start: String,
    pub week_end: String,
    pub metric: String,
    pub currency: String,
    pub data_first_day: String,
    pub data_last_day: String,
    pub summary: Summary,
    pub daily: Vec<DayCost>,
    pub budgets: Vec<BudgetStatus>,
    pub movers: Vec<MoverTable>,
    pub ec2_other: Vec<Mover>,
    pub allocation: Vec<TagAllocation>,
    pub anomalies: Vec<Anomaly>,
    pub lifecycle: Vec<Anomaly>,
    pub first_seen: Vec<FirstSeen>,
    pub proposals: ProposalSummary,
    pub commitments: Commitments,
    pub data_quality: Vec<String>,
    pub manifest: Manifest,
    pub charts: Charts,
}

/// What the SVG charts show.
#[derive(Clone, Debug, Serialize)]
pub struct Charts {
    /// The five weeks up to the report's, with the seasonal band (expected ± 3 robust σ).
    pub daily: Vec<ChartDay>,
    pub weeks: Vec<String>,
    /// Top services over `weeks` and `Other`: cost per week.
    pub services: Vec<(String, Vec<f64>)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChartDay {
    pub day: String,
    pub cost: f64,
    pub band: Option<(f64, f64)>,
    pub anomalous: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct DayCost {
    pub day: String,
    pub cost: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub week_total: f64,
    pub previous_week: f64,
    pub change_vs_previous_pct: Option<f64>,
    pub four_weeks_ago: Option<f64>,
    pub change_vs_four_weeks_pct: Option<f64>,
    pub month: String,
    pub month_to_date: f64,
    pub forecast: Forecast,
}

#[derive(Clone, Debug, Serialize)]
pub struct Forecast {
    pub method: String,
    pub month_end_expected: f64,
    pub month_end_low: f64,
    pub month_end_high: f64,
    /// Expected cost of each remaining day of the month.
    #[serde(skip)]
    pub remaining_days: Vec<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BudgetStatus {
    pub name: String,
    pub scope: String,
    pub amount: f64,
    pub month_to_date: f64,
    pub forecast: f64,
    pub thresholds: Vec<ThresholdStatus>,
    /// The day the forecast crosses the full amount, within the month.
    pub runs_out_on: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ThresholdStatus {
    pub share: f64,
    pub amount: f64,
    /// `OK`, `ALERT (actual)` or `ALERT (forecast)`.
    pub status: String,
}

impl ThresholdStatus {
    pub fn is_alert(&self) -> bool {
        self.status.starts_with("ALERT")
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct MoverTable {
    pub dimension: String,
    pub rows: Vec<Mover>,
}

/// One group's week-over-week change, split into price, volume and mix effects.
#[derive(Clone, Debug, Serialize)]
pub struct Mover {
    pub key: String,
    pub this_week: f64,
    pub previous_week: f64,
    pub change: f64,
    /// Σ over usage types billed in both weeks of (rate now − rate before) × quantity now.
    pub price_effect: f64,
    /// Σ over usage types billed in both weeks of (quantity now − quantity before) × rate before.
    pub volume_effect: f64,
    /// Usage types billed in only one of the two weeks, and lines without a quantity.
    pub mix_effect: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct TagAllocation {
    pub key: String,
    pub values: Vec<(String, f64)>,
    pub untagged: f64,
    pub untagged_share: f64,
    /// Values with cost this week and none in the four weeks before.
    pub new_values: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FirstSeen {
    pub dimension: String,
    pub value: String,
    pub first_day: String,
    pub week_cost: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProposalSummary {
    pub total_monthly_savings: f64,
    pub period_days: f64,
    pub count: usize,
    pub top: Vec<Proposal>,
    pub not_evaluated: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Commitments {
    pub savings_plan_commitment: f64,
    pub savings_plan_used: f64,
    pub savings_plan_utilization_pct: Option<f64>,
    pub savings_plan_covered_on_demand_equivalent: f64,
    pub eligible_on_demand: f64,
    pub savings_plan_coverage_pct: Option<f64>,
    pub reserved_instance_fees: f64,
    pub reserved_instance_unused: f64,
    pub reserved_instance_utilization_pct: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Manifest {
    pub curlens_version: String,
    pub files: Vec<ManifestFile>,
    pub config: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ManifestFile {
    pub path: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub format: String,
    pub rows: u64,
}

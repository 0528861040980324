//! Daily series at several levels from one fine daily cube.
//!
//! The cube is read once into a compact table (interned strings, one row per day ×
//! account × service × usage type × region × operation × resource × pricing unit); the
//! series of every level are sums over it, and the root-cause breakdown reads the same table.
//!
//! N.B. The table holds *mean-month* cost, not billed cost. Usage priced per month (storage
//! by the GB-month, KMS keys, secrets) is billed by the hour as a share of its month, so its
//! daily cost is its monthly cost over the month's length: it steps by +10.7% on 1 February
//! and −9.7% on 1 March with nothing changed. Each such row is scaled to a month of
//! [`MEAN_MONTH_DAYS`] days ([`FineTable::month_scale`]); detection sees no step there, and
//! an anomaly's amounts are converted back to billed cost ([`FineTable::billed_ratio`]).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::cube::{CURRENCY, Cube, Dimension};
use crate::error::{Error, Result};
use crate::money::CompensatedSum;

/// The levels at which series are built, so that opposite moves at one level cannot hide
/// each other at another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Total,
    Account,
    Service,
    AccountService,
    ServiceUsageType,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Total,
        Level::Account,
        Level::Service,
        Level::AccountService,
        Level::ServiceUsageType,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Level::Total => "total",
            Level::Account => "account",
            Level::Service => "service",
            Level::AccountService => "account-service",
            Level::ServiceUsageType => "service-usage-type",
        }
    }

    pub fn parse(text: &str) -> Result<Level> {
        let wanted = text.trim().to_ascii_lowercase().replace('_', "-");
        Level::ALL.into_iter().find(|l| l.name() == wanted).ok_or_else(|| {
            Error::Invalid(format!(
                "unknown level `{text}`; valid levels: total, account, service, account-service, service-usage-type"
            ))
        })
    }
}

/// The dimensions of the fine cube, in this order: the six of [`FineRow::keys`], then the
/// pricing unit, read into [`FineRow::monthly`].
pub fn fine_dimensions() -> Vec<Dimension> {
    vec![
        Dimension::Account,
        Dimension::Service,
        Dimension::UsageType,
        Dimension::Region,
        Dimension::Operation,
        Dimension::Resource,
        Dimension::PricingUnit,
    ]
}

/// The mean length of a Gregorian month in days (365.2425 / 12): cost priced per month is
/// measured as if every month were this long.
pub const MEAN_MONTH_DAYS: f64 = 365.2425 / 12.0;

/// Pricing units that count things priced per month without saying so, each billed by the
/// hour as a share of its month: AWS KMS keys, Secrets Manager secrets, CloudWatch metrics
/// and alarms.
const PER_MONTH_COUNTS: &[&str] = &["keys", "secrets", "metrics", "alarms"];

/// Whether usage in `unit` is priced per month and billed by the hour as a share of its
/// month: a unit that names a month (`GB-Mo`, `IOPS-Mo`, `GiBps-mo`, `GB-Month`,
/// `GB/Month`, `Obj-Month`, `GiB/Second-Months`) or one of [`PER_MONTH_COUNTS`].
pub fn is_priced_per_month(unit: &str) -> bool {
    let unit = unit.trim().to_ascii_lowercase();
    let names_a_month = unit
        .split(['-', '/', ' '])
        .skip(1)
        .any(|part| matches!(part, "mo" | "mos" | "month" | "months"));
    names_a_month || PER_MONTH_COUNTS.contains(&unit.as_str())
}

/// Index of each dimension in [`FineRow::keys`].
pub const ACCOUNT: usize = 0;
pub const SERVICE: usize = 1;
pub const USAGE_TYPE: usize = 2;
pub const REGION: usize = 3;
pub const OPERATION: usize = 4;
pub const RESOURCE: usize = 5;

/// One row of the fine cube: a day, interned keys, a value.
#[derive(Clone, Copy, Debug)]
pub struct FineRow {
    pub day: u32,
    pub currency: u32,
    pub keys: [u32; 6],
    /// Mean-month cost: the billed cost, times [`FineTable::month_scale`] of its day when
    /// `monthly`.
    pub value: f64,
    /// Priced per month and billed as a share of its month ([`is_priced_per_month`]).
    pub monthly: bool,
}

/// The fine cube in memory.
#[derive(Debug)]
pub struct FineTable {
    pub first_day: i64,
    pub days: usize,
    pub strings: Vec<String>,
    pub rows: Vec<FineRow>,
    /// Days (indexes) with no row at all in the export.
    pub missing_days: Vec<usize>,
}

impl FineTable {
    /// A series of zeros over the table's days, `None` on the days missing from the export.
    pub fn empty_series(&self) -> Vec<Option<f64>> {
        (0..self.days)
            .map(|d| (!self.missing_days.contains(&d)).then_some(0.0))
            .collect()
    }

    pub fn text(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }

    /// The factor that turns billed cost priced per month into mean-month cost on day index
    /// `day` of the table ([`month_scale`]).
    pub fn month_scale(&self, day: usize) -> f64 {
        month_scale(self.first_day + day as i64)
    }

    /// A row's billed cost.
    pub fn billed(&self, row: &FineRow) -> f64 {
        if row.monthly {
            row.value / self.month_scale(row.day as usize)
        } else {
            row.value
        }
    }

    /// The ratio of billed to mean-month cost of `rows`: what turns an amount measured on
    /// them into billed cost. Exactly 1 when they hold nothing priced per month. Measured on
    /// absolute amounts, so that it stays between the ratios of the longest and the
    /// shortest month when credits offset charges.
    pub fn billed_ratio<'a>(&self, rows: impl Iterator<Item = &'a FineRow>) -> f64 {
        let (mut billed, mut measured) = (CompensatedSum::default(), CompensatedSum::default());
        let mut any_monthly = false;
        for row in rows {
            any_monthly |= row.monthly;
            billed += self.billed(row).abs();
            measured += row.value.abs();
        }
        let (billed, measured) = (billed.value(), measured.value());
        if !any_monthly || measured == 0.0 {
            return 1.0;
        }
        billed / measured
    }

    /// The same table in billed cost: every row's value billed, none priced per month.
    pub fn in_billed_cost(&self) -> FineTable {
        let rows = self
            .rows
            .iter()
            .map(|row| FineRow {
                value: self.billed(row),
                monthly: false,
                ..*row
            })
            .collect();
        FineTable {
            first_day: self.first_day,
            days: self.days,
            strings: self.strings.clone(),
            rows,
            missing_days: self.missing_days.clone(),
        }
    }

    /// Reads a daily cube built with [`fine_dimensions`] and one metric.
    pub fn from_cube(cube: &Cube) -> Result<FineTable> {
        let df = &cube.frame;
        let metric = cube
            .spec
            .metrics
            .first()
            .ok_or_else(|| Error::Internal("fine cube without a metric".into()))?;
        let periods = cube.periods()?;
        let values = cube.values(*metric)?;
        let currencies = cube.text(CURRENCY)?;
        let dimensions = fine_dimensions();
        let (key_dimensions, unit_dimension) = dimensions.split_at(6);
        let dims = key_dimensions
            .iter()
            .map(|d| cube.text(&d.name()))
            .collect::<Result<Vec<_>>>()?;
        let units = cube.text(&unit_dimension[0].name())?;
        let day_of = |micros: i64| micros.div_euclid(86_400_000_000);
        let first_day = periods.iter().flatten().map(day_of).min().unwrap_or(0);
        let last_day = periods
            .iter()
            .flatten()
            .map(day_of)
            .max()
            .unwrap_or(first_day);
        let days = (last_day - first_day + 1) as usize;
        let mut interner = Interner::default();
        let mut rows = Vec::with_capacity(df.height());
        let mut seen = vec![false; days];
        // Whether each pricing unit met so far is priced per month.
        let mut per_month: HashMap<String, bool> = HashMap::new();
        let month_scale: Vec<f64> = (0..days)
            .map(|d| month_scale(first_day + d as i64))
            .collect();
        for i in 0..df.height() {
            let day = (day_of(periods.get(i).unwrap_or(0)) - first_day) as usize;
            seen[day] = true;
            let mut keys = [0u32; 6];
            for (k, col) in keys.iter_mut().zip(&dims) {
                *k = interner.id(col.get(i).unwrap_or(""));
            }
            let unit = units.get(i).unwrap_or("");
            let monthly = match per_month.get(unit) {
                Some(monthly) => *monthly,
                None => *per_month
                    .entry(unit.to_string())
                    .or_insert(is_priced_per_month(unit)),
            };
            let billed = values.get(i).unwrap_or(0.0);
            rows.push(FineRow {
                day: day as u32,
                currency: interner.id(currencies.get(i).unwrap_or("")),
                keys,
                value: if monthly {
                    billed * month_scale[day]
                } else {
                    billed
                },
                monthly,
            });
        }
        let missing_days = seen
            .iter()
            .enumerate()
            .filter(|(_, s)| !**s)
            .map(|(d, _)| d)
            .collect();
        Ok(FineTable {
            first_day,
            days,
            strings: interner.strings,
            rows,
            missing_days,
        })
    }
}

/// The factor that turns a day's billed cost priced per month into mean-month cost: the
/// length of the month of day number `day` over [`MEAN_MONTH_DAYS`].
pub fn month_scale(day: i64) -> f64 {
    let (year, month, _) = crate::calendar::civil_from_days(day);
    crate::calendar::days_in_month(year, i64::from(month)) as f64 / MEAN_MONTH_DAYS
}

#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
    strings: Vec<String>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        let id = self.strings.len() as u32;
        self.ids.insert(s.to_string(), id);
        self.strings.push(s.to_string());
        id
    }
}

/// A series key: its level, currency and the interned values of its dimensions.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeriesKey {
    pub level: Level,
    pub currency: u32,
    /// `(dimension index into FineRow::keys, value id)`.
    pub parts: Vec<(usize, u32)>,
}

impl SeriesKey {
    /// Whether a fine row belongs to this series.
    pub fn matches(&self, row: &FineRow) -> bool {
        row.currency == self.currency && self.parts.iter().all(|(d, v)| row.keys[*d] == *v)
    }

    /// The key of the series at `level` that `row` belongs to.
    pub fn of(level: Level, row: &FineRow) -> SeriesKey {
        SeriesKey {
            level,
            currency: row.currency,
            parts: key_parts(level, row),
        }
    }

    /// The value id of `dimension` in this series' key, if the key has that dimension.
    pub fn part(&self, dimension: usize) -> Option<u32> {
        self.parts
            .iter()
            .find(|(d, _)| *d == dimension)
            .map(|(_, v)| *v)
    }

    /// Whether `self` is an ancestor of (strictly coarser than, and containing) `other`.
    pub fn is_ancestor_of(&self, other: &SeriesKey) -> bool {
        self.currency == other.currency
            && self.parts.len() < other.parts.len()
            && self.parts.iter().all(|p| other.parts.contains(p))
    }

    /// `account=123 / service=AmazonEC2`, or `total`.
    pub fn label(&self, table: &FineTable) -> String {
        if self.parts.is_empty() {
            return "total".to_string();
        }
        self.parts
            .iter()
            .map(|(d, v)| format!("{}={}", dimension_name(*d), table.text(*v)))
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

pub fn dimension_name(index: usize) -> &'static str {
    [
        "account",
        "service",
        "usage-type",
        "region",
        "operation",
        "resource",
    ][index]
}

fn key_parts(level: Level, row: &FineRow) -> Vec<(usize, u32)> {
    let part = |d: usize| (d, row.keys[d]);
    match level {
        Level::Total => vec![],
        Level::Account => vec![part(ACCOUNT)],
        Level::Service => vec![part(SERVICE)],
        Level::AccountService => vec![part(ACCOUNT), part(SERVICE)],
        Level::ServiceUsageType => vec![part(SERVICE), part(USAGE_TYPE)],
    }
}

/// The indexes of the table's rows that belong to each series at `levels`, in one pass: the
/// like-for-like series of a series read only its own rows.
pub fn rows_by_series(table: &FineTable, levels: &[Level]) -> BTreeMap<SeriesKey, Vec<u32>> {
    let mut rows: BTreeMap<SeriesKey, Vec<u32>> = BTreeMap::new();
    for (i, row) in table.rows.iter().enumerate() {
        for level in levels {
            let key = SeriesKey::of(*level, row);
            rows.entry(key).or_default().push(i as u32);
        }
    }
    rows
}

/// The daily values of every series at `levels`; days missing from the export are `None`.
pub fn build_series(table: &FineTable, levels: &[Level]) -> BTreeMap<SeriesKey, Vec<Option<f64>>> {
    let mut series: BTreeMap<SeriesKey, Vec<Option<f64>>> = BTreeMap::new();
    let template = table.empty_series();
    for row in &table.rows {
        for level in levels {
            let key = SeriesKey::of(*level, row);
            let values = series.entry(key).or_insert_with(|| template.clone());
            if let Some(v) = values[row.day as usize].as_mut() {
                *v += row.value;
            }
        }
    }
    series
}

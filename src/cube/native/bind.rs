//! What the Parquet path reads: the file-independent [`Layout`] of a cube (key slots,
//! numeric inputs, metric expressions) and, per file, the [`Binding`] of each slot to a
//! source column. A file whose columns need a conversion this path does not make (text
//! numbers, integer account ids, flat tag columns, JSON maps) gets no binding, and the cube
//! is computed by the frame engine instead.

use std::collections::BTreeSet;

use arrow_schema::{DataType as ArrowType, Field, Schema as ArrowSchema};

use crate::cube::expr::{Cond, E};
use crate::cube::{CubeSpec, Dimension, Granularity};
use crate::ingest::FilePlan;
use crate::schema::{self, Kind, Source};
use crate::tags::{display_key_from_column, normalize_key};

/// One value per row that the path interns: a canonical text column, or one key of a
/// canonical map column.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Slot {
    Text(&'static str),
    MapEntry { map: &'static str, key: String },
}

/// The period rows are grouped by before the frame engine rolls them up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodUnit {
    Hour,
    Day,
}

impl PeriodUnit {
    pub fn micros(self) -> i64 {
        match self {
            PeriodUnit::Hour => 3_600_000_000,
            PeriodUnit::Day => 86_400_000_000,
        }
    }
}

/// What a cube reads, independent of any file.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Group key slots first (`key_width` of them), then text columns only metrics read.
    pub slots: Vec<Slot>,
    pub key_width: usize,
    /// Canonical numeric columns the metrics read.
    pub numbers: Vec<&'static str>,
    /// One expression per metric, in the spec's order.
    pub metrics: Vec<E>,
    /// The cube column of each metric.
    pub metric_columns: Vec<&'static str>,
    pub period: PeriodUnit,
}

impl Layout {
    /// The layout of `spec`, or `None` when a metric uses an expression this path does not
    /// evaluate.
    pub fn of(spec: &CubeSpec) -> Option<Layout> {
        let mut keys = BTreeSet::new();
        keys.insert(Slot::Text("currency"));
        let filtered = spec.filters.conditions.iter().map(|c| &c.dimension);
        for d in spec.dimensions.iter().chain(filtered) {
            keys.extend(slots_of(d));
        }
        let metrics: Vec<E> = spec.metrics.iter().map(|m| m.definition()).collect();
        let mut texts = BTreeSet::new();
        let mut numbers = BTreeSet::new();
        for e in &metrics {
            if !collect_inputs(e, &mut texts, &mut numbers) {
                return None;
            }
        }
        let mut slots: Vec<Slot> = keys.into_iter().collect();
        let key_width = slots.len();
        for t in texts {
            if !slots.contains(&Slot::Text(t)) {
                slots.push(Slot::Text(t));
            }
        }
        Some(Layout {
            slots,
            key_width,
            numbers: numbers.into_iter().collect(),
            metrics,
            metric_columns: spec.metrics.iter().map(|m| m.column()).collect(),
            period: if spec.granularity == Granularity::Hour {
                PeriodUnit::Hour
            } else {
                PeriodUnit::Day
            },
        })
    }

    /// The slot of canonical text column `column`.
    pub fn text_slot(&self, column: &str) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| matches!(s, Slot::Text(t) if *t == column))
    }

    pub fn number_index(&self, column: &str) -> Option<usize> {
        self.numbers.iter().position(|c| *c == column)
    }
}

/// The canonical inputs of a dimension.
fn slots_of(d: &Dimension) -> Vec<Slot> {
    match d {
        Dimension::Tag(k) => vec![Slot::MapEntry {
            map: "tags",
            key: normalize_key(k),
        }],
        Dimension::CostCategory(k) => vec![Slot::MapEntry {
            map: "cost_categories",
            key: normalize_key(k),
        }],
        other => other.inputs().into_iter().map(Slot::Text).collect(),
    }
}

/// Adds the text and numeric columns `e` reads; false if `e` is not numeric.
fn collect_inputs(
    e: &E,
    texts: &mut BTreeSet<&'static str>,
    numbers: &mut BTreeSet<&'static str>,
) -> bool {
    match e {
        E::Num(c) => {
            numbers.insert(c);
            true
        }
        E::Zero => true,
        E::Text(_) | E::StrLit(_) => false,
        E::Sub(a, b) | E::Add(a, b) => {
            collect_inputs(a, texts, numbers) && collect_inputs(b, texts, numbers)
        }
        E::Coalesce(cols, fallback) => {
            numbers.extend(cols.iter().copied());
            collect_inputs(fallback, texts, numbers)
        }
        E::Case(arms, otherwise) => {
            arms.iter().all(|(cond, value)| {
                collect_cond_inputs(cond, texts, numbers);
                collect_inputs(value, texts, numbers)
            }) && collect_inputs(otherwise, texts, numbers)
        }
    }
}

fn collect_cond_inputs(
    cond: &Cond,
    texts: &mut BTreeSet<&'static str>,
    numbers: &mut BTreeSet<&'static str>,
) {
    match cond {
        Cond::Eq(c, _) | Cond::ContainsAny(c, _) => {
            texts.insert(c);
        }
        Cond::NotNull(c) | Cond::Null(c) => {
            if is_number(c) {
                numbers.insert(c);
            } else {
                texts.insert(c);
            }
        }
        Cond::And(a, b) => {
            collect_cond_inputs(a, texts, numbers);
            collect_cond_inputs(b, texts, numbers);
        }
    }
}

pub fn is_number(canonical: &str) -> bool {
    schema::column(canonical).is_some_and(|c| matches!(c.kind, Kind::Money | Kind::Quantity))
}

/// Where one slot's values come from in one file.
#[derive(Clone, Debug)]
pub enum ValueSource {
    /// A text column; `""`, `\N` and `NULL` are null.
    Column(String),
    /// The value of the first entry whose key normalises to `key` in a MAP column; an empty
    /// value is null.
    MapLookup {
        map: String,
        key: String,
    },
    /// Flat tag columns (`resource_tags_user_team`) whose keys normalise to the wanted key,
    /// in column order: the first one with a value (null literals are null).
    Flat(Vec<String>),
    Literal(&'static str),
    Null,
}

/// Where a numeric input comes from in one file.
#[derive(Clone, Debug)]
pub enum NumberSource {
    Column(String),
    Null,
}

/// How one file feeds a [`Layout`].
#[derive(Clone, Debug)]
pub struct Binding {
    pub slots: Vec<ValueSource>,
    pub numbers: Vec<NumberSource>,
    pub usage_start: String,
    /// The source columns to read.
    pub columns: BTreeSet<String>,
}

impl Binding {
    /// Binds `layout` to the columns of `plan`, typed as `arrow`; the reason when a column
    /// needs a conversion this path does not make.
    pub fn of(layout: &Layout, plan: &FilePlan, arrow: &ArrowSchema) -> Result<Binding, String> {
        let mut columns = BTreeSet::new();
        let mut slots = Vec::with_capacity(layout.slots.len());
        for slot in &layout.slots {
            let source = match slot {
                Slot::Text(c) => text_source(c, plan, arrow),
                Slot::MapEntry { map, key } => map_source(map, key, plan, arrow),
            }
            .ok_or_else(|| unsupported(slot_column(slot), plan, arrow))?;
            match &source {
                ValueSource::Column(c) | ValueSource::MapLookup { map: c, .. } => {
                    columns.insert(c.clone());
                }
                ValueSource::Flat(flat) => columns.extend(flat.iter().cloned()),
                ValueSource::Literal(_) | ValueSource::Null => {}
            }
            slots.push(source);
        }
        let mut numbers = Vec::with_capacity(layout.numbers.len());
        for c in &layout.numbers {
            let source =
                number_source(c, plan, arrow).ok_or_else(|| unsupported(c, plan, arrow))?;
            if let NumberSource::Column(name) = &source {
                columns.insert(name.clone());
            }
            numbers.push(source);
        }
        let usage_start = match sources_of("usage_start", plan)[..] {
            [name]
                if field(arrow, name)
                    .is_some_and(|f| matches!(f.data_type(), ArrowType::Timestamp(..))) =>
            {
                name
            }
            _ => return Err(unsupported("usage_start", plan, arrow)),
        };
        columns.insert(usage_start.to_string());
        Ok(Binding {
            slots,
            numbers,
            usage_start: usage_start.to_string(),
            columns,
        })
    }
}

fn slot_column(slot: &Slot) -> &'static str {
    match slot {
        Slot::Text(c) => c,
        Slot::MapEntry { map, .. } => map,
    }
}

/// Why canonical column `canonical` of this file is not read by this path.
fn unsupported(canonical: &str, plan: &FilePlan, arrow: &ArrowSchema) -> String {
    let sources = sources_of(canonical, plan);
    let typed: Vec<String> = sources
        .iter()
        .map(|s| match field(arrow, s) {
            Some(f) => format!("`{s}` ({})", f.data_type()),
            None => format!("`{s}`"),
        })
        .collect();
    format!(
        "{}: `{canonical}` comes from {}, which needs the frame engine's conversion",
        plan.path_display(),
        if typed.is_empty() {
            "no column".to_string()
        } else {
            typed.join(", ")
        }
    )
}

/// The source columns ingest mapped onto `canonical` in this file.
fn sources_of<'a>(canonical: &str, plan: &'a FilePlan) -> Vec<&'a str> {
    plan.mapped
        .iter()
        .filter(|(c, _)| c == canonical)
        .map(|(_, s)| s.as_str())
        .collect()
}

fn field<'a>(arrow: &'a ArrowSchema, name: &str) -> Option<&'a Field> {
    arrow.field_with_name(name).ok()
}

fn text_source(
    canonical: &'static str,
    plan: &FilePlan,
    arrow: &ArrowSchema,
) -> Option<ValueSource> {
    let column = schema::column(canonical)?;
    if !matches!(column.kind, Kind::Text | Kind::AccountId) {
        return None;
    }
    match sources_of(canonical, plan)[..] {
        [] => Some(match column.source(plan.format) {
            Source::Literal(v) => ValueSource::Literal(v),
            _ => ValueSource::Null,
        }),
        [name] => match (field(arrow, name)?.data_type(), column.source(plan.format)) {
            (ArrowType::Utf8, _) => Some(ValueSource::Column(name.to_string())),
            (t, Source::MapKey(_, key, _)) if is_string_map(t) => Some(ValueSource::MapLookup {
                map: name.to_string(),
                key: normalize_key(key),
            }),
            _ => None,
        },
        _ => None,
    }
}

fn map_source(map: &str, key: &str, plan: &FilePlan, arrow: &ArrowSchema) -> Option<ValueSource> {
    let sources = sources_of(map, plan);
    let Source::Prefixed(prefix) = schema::column(map)?.source(plan.format) else {
        return None;
    };
    match sources[..] {
        [] => Some(ValueSource::Null),
        [name] if is_string_map(field(arrow, name)?.data_type()) => Some(ValueSource::MapLookup {
            map: name.to_string(),
            key: key.to_string(),
        }),
        [name] if name.eq_ignore_ascii_case(prefix) => None,
        _ => flat_source(&sources, prefix, key, arrow),
    }
}

/// Flat tag columns: every one must be text; those whose key normalises to `key` are read.
fn flat_source(
    sources: &[&str],
    prefix: &str,
    key: &str,
    arrow: &ArrowSchema,
) -> Option<ValueSource> {
    let mut matching = Vec::new();
    for name in sources {
        if field(arrow, name)?.data_type() != &ArrowType::Utf8 {
            return None;
        }
        if normalize_key(&display_key_from_column(name, prefix)) == key {
            matching.push(name.to_string());
        }
    }
    Some(if matching.is_empty() {
        ValueSource::Null
    } else {
        ValueSource::Flat(matching)
    })
}

fn number_source(canonical: &str, plan: &FilePlan, arrow: &ArrowSchema) -> Option<NumberSource> {
    match sources_of(canonical, plan)[..] {
        [] => Some(NumberSource::Null),
        [name] => match field(arrow, name)?.data_type() {
            ArrowType::Float64 | ArrowType::Float32 | ArrowType::Int32 | ArrowType::Int64 => {
                Some(NumberSource::Column(name.to_string()))
            }
            _ => None,
        },
        _ => None,
    }
}

/// `MAP<string, string>`, as arrow-rs reads a Parquet MAP column.
pub fn is_string_map(t: &ArrowType) -> bool {
    let ArrowType::Map(entries, _) = t else {
        return false;
    };
    let ArrowType::Struct(fields) = entries.data_type() else {
        return false;
    };
    fields.len() == 2 && fields.iter().all(|f| f.data_type() == &ArrowType::Utf8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cube::{Condition, Filters, Metric};

    #[test]
    fn layout_keys_every_dimension_and_filter_input_once() {
        let spec = CubeSpec {
            dimensions: vec![
                Dimension::Category,
                Dimension::Service,
                Dimension::Tag("user:Project".into()),
            ],
            granularity: Granularity::Week,
            metrics: vec![Metric::Amortized],
            filters: Filters {
                conditions: vec![Condition::parse("tag:Project=web", false).unwrap()],
                from: None,
                to: None,
            },
        };
        let layout = Layout::of(&spec).unwrap();
        assert_eq!(
            layout.slots[..layout.key_width],
            [
                Slot::Text("currency"),
                Slot::Text("product_code"),
                Slot::Text("usage_type"),
                Slot::MapEntry {
                    map: "tags",
                    key: "project".into()
                },
            ]
        );
        // The amortization CASE reads the line item type and the reservation ARN too.
        assert!(layout.text_slot("line_item_type").unwrap() >= layout.key_width);
        assert!(layout.text_slot("ri_arn").unwrap() >= layout.key_width);
        assert!(layout.numbers.contains(&"sp_effective_cost"));
        assert_eq!(layout.period, PeriodUnit::Day);
        assert_eq!(layout.metric_columns, ["amortized_cost"]);
    }
}

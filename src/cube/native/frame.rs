//! The pre-aggregated groups as a canonical frame: the text and map columns of the key
//! slots, `usage_start` at the period start, each metric's nano-unit and remainder sums,
//! and the row count.

use polars::prelude::*;

use super::bind::{Layout, Slot};
use super::groups::{Groups, Interner, NULL_PERIOD};
use crate::cube::{ROWS, rest_column, units_column};
use crate::error::{Error, Result};
use crate::schema::timestamp_dtype;

pub fn build(layout: &Layout, groups: &Groups, interners: &[Interner]) -> Result<DataFrame> {
    let n = groups.len();
    let mut columns: Vec<Column> = Vec::new();
    let starts: Int64Chunked = groups
        .periods
        .iter()
        .map(|&p| (p != NULL_PERIOD).then_some(p))
        .collect();
    columns.push(
        starts
            .with_name("usage_start".into())
            .into_series()
            .cast(&timestamp_dtype())
            .map_err(Error::polars("building the cube"))?
            .into_column(),
    );
    let key_slots = &layout.slots[..layout.key_width];
    for (s, slot) in key_slots.iter().enumerate() {
        if let Slot::Text(name) = slot {
            let values: StringChunked = (0..n)
                .map(|g| interners[s].value(groups.key(g)[s]))
                .collect();
            columns.push(values.with_name((*name).into()).into_column());
        }
    }
    for map in map_columns(key_slots) {
        columns.push(map_column(map, key_slots, groups, interners)?);
    }
    let metrics = layout.metrics.len();
    for (m, name) in layout.metric_columns.iter().enumerate() {
        let units: Int64Chunked = (0..n)
            .map(|g| Some(groups.units[g * metrics + m]))
            .collect();
        let rests: Float64Chunked = (0..n)
            .map(|g| Some(groups.rests[g * metrics + m]))
            .collect();
        columns.push(units.with_name(units_column(name).into()).into_column());
        columns.push(rests.with_name(rest_column(name).into()).into_column());
    }
    let rows: UInt64Chunked = groups.rows.iter().map(|&r| Some(r)).collect();
    columns.push(rows.with_name(ROWS.into()).into_column());
    DataFrame::new(n, columns).map_err(Error::polars("building the cube"))
}

/// The canonical map columns among the key slots, in slot order.
fn map_columns(slots: &[Slot]) -> Vec<&'static str> {
    let mut maps = Vec::new();
    for slot in slots {
        if let Slot::MapEntry { map, .. } = slot
            && !maps.contains(map)
        {
            maps.push(*map);
        }
    }
    maps
}

/// A map column holding, per group, one `(normalised key, value)` entry per present key.
fn map_column(
    map: &'static str,
    slots: &[Slot],
    groups: &Groups,
    interners: &[Interner],
) -> Result<Column> {
    let entries: Vec<(usize, &str)> = slots
        .iter()
        .enumerate()
        .filter_map(|(s, slot)| match slot {
            Slot::MapEntry { map: m, key } if *m == map => Some((s, key.as_str())),
            _ => None,
        })
        .collect();
    let rows = (0..groups.len()).map(|g| {
        entries
            .iter()
            .filter_map(|&(s, key)| interners[s].value(groups.key(g)[s]).map(|v| (key, v)))
            .collect::<Vec<_>>()
    });
    crate::tags::build_map_column(map.into(), rows)
        .map(Series::into_column)
        .map_err(Error::polars("building the cube"))
}

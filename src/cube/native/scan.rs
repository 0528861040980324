//! One unit of work of the Parquet path: a row range of one row group, read in batches
//! with string columns kept dictionary-encoded, each row reduced to its period, its slot
//! ids and its split metric values, and summed into [`Groups`].

use std::cell::RefCell;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{Array, ArrayRef, MapArray, RecordBatch, StringArray};
use arrow_buffer::{NullBuffer, ScalarBuffer};
use arrow_schema::{DataType as ArrowType, TimeUnit as ArrowUnit};
use hashbrown::HashMap;

use super::bind::{Binding, Layout, NumberSource, ValueSource};
use super::groups::{Groups, Interner, NULL_ID, NULL_PERIOD};
use crate::cube::expr::{Cond, E};
use crate::ingest::parse::is_null_literal;

/// What one unit produced: its groups, keyed by ids of its own interners (one per slot).
pub struct Partial {
    pub groups: Groups,
    pub interners: Vec<Interner>,
}

/// The per-unit state: interners, caches of dictionary mappings and normalised map keys.
pub struct UnitScan<'a> {
    layout: &'a Layout,
    binding: &'a Binding,
    interners: Vec<Interner>,
    /// Per slot and column: the last dictionary seen and its codes' ids.
    dictionaries: HashMap<(usize, String), (ArrayRef, Vec<u32>)>,
    /// Per MAP column: how its keys and values resolve.
    map_caches: HashMap<String, MapCache>,
    /// f64 buffers of finished batches, reused so batches do not fault in fresh memory.
    buffers: RefCell<Vec<Vec<f64>>>,
    groups: Groups,
}

/// A failure to read a batch, as text; the caller names the file.
pub type ScanError = String;

impl<'a> UnitScan<'a> {
    pub fn new(layout: &'a Layout, binding: &'a Binding) -> Self {
        Self {
            layout,
            binding,
            interners: layout.slots.iter().map(|_| Interner::default()).collect(),
            dictionaries: HashMap::new(),
            map_caches: HashMap::new(),
            buffers: RefCell::new(Vec::new()),
            groups: Groups::new(layout.key_width, layout.metrics.len()),
        }
    }

    pub fn finish(self) -> Partial {
        Partial {
            groups: self.groups,
            interners: self.interners,
        }
    }

    /// Sums every row of `batch` into the unit's groups.
    pub fn add_batch(&mut self, batch: &RecordBatch) -> Result<(), ScanError> {
        let rows = batch.num_rows();
        let periods = self.periods(batch)?;
        let ids = self.slot_ids(batch, rows)?;
        let numbers = self.numbers(batch)?;
        let values: Vec<Vec<f64>> = self
            .layout
            .metrics
            .iter()
            .map(|e| self.eval(e, &ids, &numbers, rows))
            .collect();
        let width = self.layout.key_width;
        let mut key = vec![NULL_ID; width];
        for row in 0..rows {
            for (k, slot) in key.iter_mut().zip(&ids[..width]) {
                *k = slot[row];
            }
            let group = self.groups.group_of(periods[row], &key);
            self.groups.add_row(
                group,
                values.iter().map(|m| crate::cube::split_nano(m[row])),
            );
        }
        for v in values {
            self.recycle(v);
        }
        Ok(())
    }

    /// Each row's period start (UTC microseconds), or [`NULL_PERIOD`].
    fn periods(&self, batch: &RecordBatch) -> Result<Vec<i64>, ScanError> {
        let column = column(batch, &self.binding.usage_start)?;
        let ArrowType::Timestamp(unit, _) = column.data_type() else {
            return Err(format!(
                "column `{}` is not a timestamp",
                self.binding.usage_start
            ));
        };
        let step = self.layout.period.micros();
        Ok(match unit {
            ArrowUnit::Second => period_starts(
                column.as_primitive::<TimestampSecondType>(),
                |v| v.checked_mul(1_000_000),
                step,
            ),
            ArrowUnit::Millisecond => period_starts(
                column.as_primitive::<TimestampMillisecondType>(),
                |v| v.checked_mul(1_000),
                step,
            ),
            ArrowUnit::Microsecond => period_starts(
                column.as_primitive::<TimestampMicrosecondType>(),
                Some,
                step,
            ),
            ArrowUnit::Nanosecond => period_starts(
                column.as_primitive::<TimestampNanosecondType>(),
                |v| Some(v.div_euclid(1_000)),
                step,
            ),
        })
    }

    /// Per slot, each row's id in that slot's interner.
    fn slot_ids(&mut self, batch: &RecordBatch, rows: usize) -> Result<Vec<Vec<u32>>, ScanError> {
        let mut ids: Vec<Vec<u32>> = vec![Vec::new(); self.layout.slots.len()];
        let mut lookups: Vec<(String, Vec<(usize, String)>)> = Vec::new();
        for (s, source) in self.binding.slots.iter().enumerate() {
            match source {
                ValueSource::Column(name) => ids[s] = self.column_ids(s, name, batch)?,
                ValueSource::Flat(columns) => {
                    let mut first = vec![NULL_ID; rows];
                    for name in columns {
                        let more = self.column_ids(s, name, batch)?;
                        for (f, m) in first.iter_mut().zip(more) {
                            if *f == NULL_ID {
                                *f = m;
                            }
                        }
                    }
                    ids[s] = first;
                }
                ValueSource::Literal(v) => ids[s] = vec![self.interners[s].intern(v); rows],
                ValueSource::Null => ids[s] = vec![NULL_ID; rows],
                ValueSource::MapLookup { map, key } => {
                    match lookups.iter_mut().find(|(m, _)| m == map) {
                        Some((_, wanted)) => wanted.push((s, key.clone())),
                        None => lookups.push((map.clone(), vec![(s, key.clone())])),
                    }
                }
            }
        }
        for (map, wanted) in lookups {
            let array = column(batch, &map)?;
            let array = array
                .as_any()
                .downcast_ref::<MapArray>()
                .ok_or_else(|| format!("column `{map}` is not a MAP"))?;
            for (s, values) in self.map_ids(&map, array, &wanted)? {
                ids[s] = values;
            }
        }
        Ok(ids)
    }

    /// Ids of a dictionary-encoded text column; a dictionary seen in the previous batch
    /// keeps its mapping.
    fn column_ids(
        &mut self,
        slot: usize,
        name: &str,
        batch: &RecordBatch,
    ) -> Result<Vec<u32>, ScanError> {
        let array = column(batch, name)?;
        let dict = array.as_dictionary_opt::<Int32Type>().ok_or_else(|| {
            format!(
                "text column `{name}` of type {} not read as a dictionary",
                array.data_type()
            )
        })?;
        let cache_key = (slot, name.to_string());
        let reuse = matches!(self.dictionaries.get(&cache_key), Some((values, _)) if Arc::ptr_eq(values, dict.values()));
        if !reuse {
            let values = dict
                .values()
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(|| format!("dictionary values of `{name}` are not text"))?;
            let interner = &mut self.interners[slot];
            let mapping: Vec<u32> = (0..values.len())
                .map(|i| {
                    if values.is_null(i) || is_null_literal(values.value(i)) {
                        NULL_ID
                    } else {
                        interner.intern(values.value(i))
                    }
                })
                .collect();
            self.dictionaries
                .insert(cache_key.clone(), (dict.values().clone(), mapping));
        }
        let mapping = &self.dictionaries[&cache_key].1;
        let keys = dict.keys();
        let codes = keys.values();
        Ok(match keys.nulls() {
            None => codes
                .iter()
                .map(|&c| mapping.get(c as usize).copied().unwrap_or(NULL_ID))
                .collect(),
            Some(nulls) => codes
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    if nulls.is_valid(i) {
                        mapping.get(c as usize).copied().unwrap_or(NULL_ID)
                    } else {
                        NULL_ID
                    }
                })
                .collect(),
        })
    }

    /// For each wanted `(slot, normalised key)` of one MAP column, each row's value id:
    /// the value of the first entry whose key normalises to it; empty values are null (the
    /// frame engine's [`crate::tags::map_lookup`]). Keys and values read as dictionaries are resolved once per distinct value.
    fn map_ids(
        &mut self,
        map: &str,
        array: &MapArray,
        wanted: &[(usize, String)],
    ) -> Result<Vec<(usize, Vec<u32>)>, ScanError> {
        let keys = Texts::of(array.keys())
            .ok_or_else(|| format!("keys of MAP column `{map}` are not text"))?;
        let values = Texts::of(array.values())
            .ok_or_else(|| format!("values of MAP column `{map}` are not text"))?;
        let cache = self.map_caches.entry(map.to_string()).or_default();
        cache.prepare(&keys, &values, wanted);
        let offsets = array.value_offsets();
        let rows = array.len();
        let mut out: Vec<Vec<u32>> = vec![vec![NULL_ID; rows]; wanted.len()];
        let mut found: Vec<Option<usize>> = vec![None; wanted.len()];
        for row in 0..rows {
            if array.is_null(row) {
                continue;
            }
            found.fill(None);
            for entry in offsets[row] as usize..offsets[row + 1] as usize {
                if keys.is_null(entry) {
                    continue;
                }
                if let Some(t) = cache.target(&keys, entry, wanted)
                    && found[t].is_none()
                {
                    found[t] = Some(entry);
                }
            }
            for (t, entry) in found.iter().enumerate() {
                let Some(entry) = *entry else { continue };
                if values.is_null(entry) {
                    continue;
                }
                out[t][row] = cache.value_id(&values, entry, t, &mut self.interners[wanted[t].0]);
            }
        }
        Ok(wanted.iter().map(|(s, _)| *s).zip(out).collect())
    }

    fn numbers(&self, batch: &RecordBatch) -> Result<Vec<Numbers>, ScanError> {
        self.binding
            .numbers
            .iter()
            .map(|source| match source {
                NumberSource::Null => Ok(Numbers::absent()),
                NumberSource::Column(name) => Numbers::of(column(batch, name)?),
            })
            .collect()
    }

    /// The value of a metric expression for every row of the batch.
    fn eval(&self, e: &E, ids: &[Vec<u32>], numbers: &[Numbers], rows: usize) -> Vec<f64> {
        match e {
            E::Num(c) => {
                let mut out = self.buffer();
                match self.number(c, numbers) {
                    Some(n) => n.zero_filled_into(&mut out, rows),
                    None => out.resize(rows, 0.0),
                }
                out
            }
            E::Zero | E::Text(_) | E::StrLit(_) => {
                let mut out = self.buffer();
                out.resize(rows, 0.0);
                out
            }
            E::Sub(a, b) | E::Add(a, b) => {
                let mut out = self.eval(a, ids, numbers, rows);
                let other = self.eval(b, ids, numbers, rows);
                let subtract = matches!(e, E::Sub(..));
                for (x, y) in out.iter_mut().zip(&other) {
                    *x = if subtract { *x - *y } else { *x + *y };
                }
                self.recycle(other);
                out
            }
            E::Coalesce(cols, fallback) => {
                let mut out = self.eval(fallback, ids, numbers, rows);
                for c in cols.iter().rev() {
                    if let Some(n) = self.number(c, numbers)
                        && let Some(values) = n.values()
                    {
                        for (row, v) in out.iter_mut().enumerate() {
                            if n.is_valid(row) {
                                *v = values[row];
                            }
                        }
                    }
                }
                out
            }
            E::Case(arms, otherwise) => {
                let mut out = self.eval(otherwise, ids, numbers, rows);
                for (cond, value) in arms.iter().rev() {
                    let mask = self.cond(cond, ids, numbers, rows);
                    if !mask.contains(&true) {
                        continue;
                    }
                    let value = self.eval(value, ids, numbers, rows);
                    for row in 0..rows {
                        if mask[row] {
                            out[row] = value[row];
                        }
                    }
                    self.recycle(value);
                }
                out
            }
        }
    }

    /// An empty f64 buffer, reused from an earlier batch when one is free.
    fn buffer(&self) -> Vec<f64> {
        let mut out = self.buffers.borrow_mut().pop().unwrap_or_default();
        out.clear();
        out
    }

    fn recycle(&self, buffer: Vec<f64>) {
        self.buffers.borrow_mut().push(buffer);
    }

    fn number<'n>(&self, column: &str, numbers: &'n [Numbers]) -> Option<&'n Numbers> {
        self.layout.number_index(column).map(|i| &numbers[i])
    }

    fn cond(&self, cond: &Cond, ids: &[Vec<u32>], numbers: &[Numbers], rows: usize) -> Vec<bool> {
        match cond {
            Cond::Eq(c, v) => self.text_test(c, ids, rows, |s| s == *v),
            Cond::ContainsAny(c, needles) => {
                self.text_test(c, ids, rows, |s| needles.iter().any(|n| s.contains(n)))
            }
            Cond::NotNull(c) => self.present(c, ids, numbers, rows),
            Cond::Null(c) => self
                .present(c, ids, numbers, rows)
                .into_iter()
                .map(|p| !p)
                .collect(),
            Cond::And(a, b) => {
                let b = self.cond(b, ids, numbers, rows);
                let mut a = self.cond(a, ids, numbers, rows);
                for (x, y) in a.iter_mut().zip(b) {
                    *x = *x && y;
                }
                a
            }
        }
    }

    /// `test` of each row's text in canonical column `c`; null is false.
    fn text_test(
        &self,
        c: &str,
        ids: &[Vec<u32>],
        rows: usize,
        test: impl Fn(&str) -> bool,
    ) -> Vec<bool> {
        let Some(slot) = self.layout.text_slot(c) else {
            return vec![false; rows];
        };
        let interner = &self.interners[slot];
        let table: Vec<bool> = (0..interner.len())
            .map(|id| interner.value(id as u32).is_some_and(&test))
            .collect();
        ids[slot].iter().map(|&id| table[id as usize]).collect()
    }

    fn present(&self, c: &str, ids: &[Vec<u32>], numbers: &[Numbers], rows: usize) -> Vec<bool> {
        if let Some(n) = self.number(c, numbers) {
            return (0..rows).map(|row| n.is_valid(row)).collect();
        }
        match self.layout.text_slot(c) {
            Some(slot) => ids[slot].iter().map(|&id| id != NULL_ID).collect(),
            None => vec![false; rows],
        }
    }
}

/// One numeric input of a batch as f64, with its nulls; f64 columns are not copied.
pub struct Numbers {
    values: NumberValues,
    valid: Option<NullBuffer>,
}

enum NumberValues {
    /// The file has no such column: every value is null.
    Absent,
    F64(ScalarBuffer<f64>),
    Converted(Vec<f64>),
}

impl Numbers {
    fn absent() -> Numbers {
        Numbers {
            values: NumberValues::Absent,
            valid: None,
        }
    }

    fn of(array: &ArrayRef) -> Result<Numbers, ScanError> {
        fn widened<T: arrow_array::types::ArrowPrimitiveType>(
            array: &ArrayRef,
            to_f64: impl Fn(T::Native) -> f64,
        ) -> NumberValues {
            NumberValues::Converted(
                array
                    .as_primitive::<T>()
                    .values()
                    .iter()
                    .map(|&v| to_f64(v))
                    .collect(),
            )
        }
        let values = match array.data_type() {
            ArrowType::Float64 => {
                NumberValues::F64(array.as_primitive::<Float64Type>().values().clone())
            }
            ArrowType::Float32 => widened::<Float32Type>(array, f64::from),
            ArrowType::Int32 => widened::<Int32Type>(array, f64::from),
            ArrowType::Int64 => widened::<Int64Type>(array, |v| v as f64),
            other => return Err(format!("a number column read as {other}")),
        };
        Ok(Numbers {
            values,
            valid: array.logical_nulls(),
        })
    }

    fn values(&self) -> Option<&[f64]> {
        match &self.values {
            NumberValues::Absent => None,
            NumberValues::F64(v) => Some(v),
            NumberValues::Converted(v) => Some(v),
        }
    }

    fn is_valid(&self, row: usize) -> bool {
        !matches!(self.values, NumberValues::Absent)
            && self.valid.as_ref().is_none_or(|n| n.is_valid(row))
    }

    /// Appends the values to `out`, nulls as 0.
    fn zero_filled_into(&self, out: &mut Vec<f64>, rows: usize) {
        match (self.values(), &self.valid) {
            (None, _) => out.resize(rows, 0.0),
            (Some(v), None) => out.extend_from_slice(v),
            (Some(v), Some(n)) => out.extend(
                v.iter()
                    .enumerate()
                    .map(|(i, &v)| if n.is_valid(i) { v } else { 0.0 }),
            ),
        }
    }
}

/// Each timestamp's period start (UTC microseconds, a multiple of `step`), or
/// [`NULL_PERIOD`] for a null or out-of-range one.
fn period_starts<T: arrow_array::types::ArrowPrimitiveType<Native = i64>>(
    array: &arrow_array::PrimitiveArray<T>,
    to_micros: impl Fn(i64) -> Option<i64>,
    step: i64,
) -> Vec<i64> {
    let start = |v: i64| to_micros(v).map_or(NULL_PERIOD, |m| m.div_euclid(step) * step);
    match array.nulls() {
        None => array.values().iter().map(|&v| start(v)).collect(),
        Some(_) => array.iter().map(|v| v.map_or(NULL_PERIOD, start)).collect(),
    }
}

fn column<'b>(batch: &'b RecordBatch, name: &str) -> Result<&'b ArrayRef, ScanError> {
    batch
        .column_by_name(name)
        .ok_or_else(|| format!("column `{name}` missing from the batch"))
}

/// A text array read plainly or as a dictionary; a plain array's codes are its indices.
enum Texts<'a> {
    Plain(&'a StringArray),
    Dictionary {
        dictionary: &'a ArrayRef,
        codes: &'a [i32],
        nulls: Option<&'a NullBuffer>,
        values: &'a StringArray,
    },
}

impl<'a> Texts<'a> {
    fn of(array: &'a ArrayRef) -> Option<Texts<'a>> {
        if let Some(plain) = array.as_any().downcast_ref::<StringArray>() {
            return Some(Texts::Plain(plain));
        }
        let dict = array.as_dictionary_opt::<Int32Type>()?;
        Some(Texts::Dictionary {
            dictionary: dict.values(),
            codes: dict.keys().values(),
            nulls: dict.keys().nulls(),
            values: dict.values().as_any().downcast_ref::<StringArray>()?,
        })
    }

    fn is_null(&self, i: usize) -> bool {
        match self {
            Texts::Plain(a) => a.is_null(i),
            Texts::Dictionary {
                codes,
                nulls,
                values,
                ..
            } => nulls.is_some_and(|n| n.is_null(i)) || values.is_null(codes[i] as usize),
        }
    }

    fn value(&self, i: usize) -> &'a str {
        match self {
            Texts::Plain(a) => a.value(i),
            Texts::Dictionary { codes, values, .. } => values.value(codes[i] as usize),
        }
    }

    fn dictionary(&self) -> Option<&'a ArrayRef> {
        match self {
            Texts::Plain(_) => None,
            Texts::Dictionary { dictionary, .. } => Some(dictionary),
        }
    }

    fn code(&self, i: usize) -> usize {
        match self {
            Texts::Plain(_) => i,
            Texts::Dictionary { codes, .. } => codes[i] as usize,
        }
    }
}

/// Not yet resolved, in [`MapCache`]'s per-code tables.
const UNRESOLVED: u32 = u32::MAX;

/// How one MAP column's keys and values resolve: raw keys to the wanted key they
/// normalise to (cached by text), and, for dictionary-read keys and values, per code.
#[derive(Default)]
struct MapCache {
    raw_keys: HashMap<Box<str>, Option<usize>>,
    key_dictionary: Option<(ArrayRef, Vec<Option<Option<usize>>>)>,
    value_dictionary: Option<(ArrayRef, Vec<Vec<u32>>)>,
}

impl MapCache {
    /// Drops the per-code tables of dictionaries this batch does not use.
    fn prepare(&mut self, keys: &Texts, values: &Texts, wanted: &[(usize, String)]) {
        if let Some(dict) = keys.dictionary()
            && !matches!(&self.key_dictionary, Some((d, _)) if Arc::ptr_eq(d, dict))
        {
            self.key_dictionary = Some((dict.clone(), vec![None; dict.len()]));
        }
        if let Some(dict) = values.dictionary()
            && !matches!(&self.value_dictionary, Some((d, _)) if Arc::ptr_eq(d, dict))
        {
            let table = vec![vec![UNRESOLVED; dict.len()]; wanted.len()];
            self.value_dictionary = Some((dict.clone(), table));
        }
    }

    /// The index in `wanted` of the key of `entry`, if it is wanted.
    fn target(&mut self, keys: &Texts, entry: usize, wanted: &[(usize, String)]) -> Option<usize> {
        let raw_keys = &mut self.raw_keys;
        let mut resolve = |raw: &str| match raw_keys.get(raw) {
            Some(t) => *t,
            None => {
                let normalised = crate::tags::normalize_key(raw);
                let t = wanted.iter().position(|(_, k)| *k == normalised);
                raw_keys.insert(raw.into(), t);
                t
            }
        };
        match (keys.dictionary(), &mut self.key_dictionary) {
            (Some(_), Some((_, table))) => {
                let code = keys.code(entry);
                *table[code].get_or_insert_with(|| resolve(keys.value(entry)))
            }
            _ => resolve(keys.value(entry)),
        }
    }

    /// The id of the value of `entry` for wanted key `t`; an empty value is null.
    fn value_id(&mut self, values: &Texts, entry: usize, t: usize, interner: &mut Interner) -> u32 {
        let id_of = |interner: &mut Interner| match values.value(entry) {
            "" => NULL_ID,
            v => interner.intern(v),
        };
        match (values.dictionary(), &mut self.value_dictionary) {
            (Some(_), Some((_, table))) => {
                let slot = &mut table[t][values.code(entry)];
                if *slot == UNRESOLVED {
                    *slot = id_of(interner);
                }
                *slot
            }
            _ => id_of(interner),
        }
    }
}

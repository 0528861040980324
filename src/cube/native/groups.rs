//! The two data structures of the Parquet path: text values interned to small ids, and a
//! hash table of groups keyed by period and ids, holding exact metric sums.

use hashbrown::{HashMap, HashTable};

/// The id of a missing (null) value in every [`Interner`].
pub const NULL_ID: u32 = 0;

/// Text values of one source, each stored once; id 0 is null.
#[derive(Debug)]
pub struct Interner {
    ids: HashMap<Box<str>, u32>,
    values: Vec<Option<Box<str>>>,
}

impl Default for Interner {
    fn default() -> Self {
        Self {
            ids: HashMap::new(),
            values: vec![None],
        }
    }
}

impl Interner {
    pub fn intern(&mut self, value: &str) -> u32 {
        if let Some(&id) = self.ids.get(value) {
            return id;
        }
        let id = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.values.push(Some(value.into()));
        self.ids.insert(value.into(), id);
        id
    }

    pub fn value(&self, id: u32) -> Option<&str> {
        self.values.get(id as usize).and_then(|v| v.as_deref())
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }
}

/// A period start (UTC microseconds) that stands for a row without a usage start.
pub const NULL_PERIOD: i64 = i64::MIN;

/// Groups keyed by `(period, ids…)` with, per group, the row count and for each metric the
/// sum of whole nano-units (i64) and of the sub-nano remainders (f64).
#[derive(Debug)]
pub struct Groups {
    width: usize,
    metrics: usize,
    table: HashTable<u32>,
    pub periods: Vec<i64>,
    /// `width` ids per group.
    pub keys: Vec<u32>,
    /// `metrics` whole nano-unit sums per group.
    pub units: Vec<i64>,
    /// `metrics` remainder sums per group.
    pub rests: Vec<f64>,
    pub rows: Vec<u64>,
}

impl Groups {
    pub fn new(width: usize, metrics: usize) -> Self {
        Self {
            width,
            metrics,
            table: HashTable::new(),
            periods: Vec::new(),
            keys: Vec::new(),
            units: Vec::new(),
            rests: Vec::new(),
            rows: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.periods.len()
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn key(&self, group: usize) -> &[u32] {
        &self.keys[group * self.width..(group + 1) * self.width]
    }

    /// The index of the group of `(period, key)`, created with zero sums if new.
    pub fn group_of(&mut self, period: i64, key: &[u32]) -> usize {
        let hash = hash_key(period, key);
        let (periods, keys, width) = (&self.periods, &self.keys, self.width);
        let same = |&g: &u32| {
            let g = g as usize;
            periods[g] == period && keys[g * width..(g + 1) * width] == *key
        };
        if let Some(&g) = self.table.find(hash, same) {
            return g as usize;
        }
        let group = self.periods.len();
        self.periods.push(period);
        self.keys.extend_from_slice(key);
        self.units.extend(std::iter::repeat_n(0, self.metrics));
        self.rests.extend(std::iter::repeat_n(0.0, self.metrics));
        self.rows.push(0);
        let (periods, keys) = (&self.periods, &self.keys);
        self.table.insert_unique(hash, group as u32, |&g| {
            let g = g as usize;
            hash_key(periods[g], &keys[g * width..(g + 1) * width])
        });
        group
    }

    /// Adds one row's split metric values to `group`.
    pub fn add_row(&mut self, group: usize, units: impl Iterator<Item = (i64, f64)>) {
        let base = group * self.metrics;
        for (m, (u, r)) in units.enumerate() {
            self.units[base + m] = self.units[base + m].wrapping_add(u);
            self.rests[base + m] += r;
        }
        self.rows[group] += 1;
    }

    /// Adds the sums of group `from` of `other` to `group`.
    pub fn add_group(&mut self, group: usize, other: &Groups, from: usize) {
        let (base, other_base) = (group * self.metrics, from * other.metrics);
        for m in 0..self.metrics {
            self.units[base + m] = self.units[base + m].wrapping_add(other.units[other_base + m]);
            self.rests[base + m] += other.rests[other_base + m];
        }
        self.rows[group] += other.rows[from];
    }
}

fn hash_key(period: i64, key: &[u32]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (period as u64).wrapping_mul(K);
    for &id in key {
        h = (h.rotate_left(23) ^ u64::from(id)).wrapping_mul(K);
    }
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interner_gives_each_value_one_id_and_null_zero() {
        let mut i = Interner::default();
        let a = i.intern("a");
        let b = i.intern("b");
        assert_eq!(i.intern("a"), a);
        assert_ne!(a, b);
        assert_ne!(a, NULL_ID);
        assert_eq!(i.value(b), Some("b"));
        assert_eq!(i.value(NULL_ID), None);
    }

    #[test]
    fn groups_sum_rows_of_the_same_key() {
        let mut g = Groups::new(2, 1);
        let x = g.group_of(10, &[1, 2]);
        g.add_row(x, [(5, 0.25)].into_iter());
        let y = g.group_of(10, &[2, 1]);
        g.add_row(y, [(1, 0.0)].into_iter());
        assert_eq!(g.group_of(10, &[1, 2]), x);
        g.add_row(x, [(7, 0.5)].into_iter());
        assert_ne!(x, y);
        assert_eq!(g.units[x], 12);
        assert_eq!(g.rests[x], 0.75);
        assert_eq!(g.rows[x], 2);
        assert_eq!(g.group_of(11, &[1, 2]), 2);
    }
}

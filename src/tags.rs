//! Tags and other key/value maps: key normalisation, and the fast kernels that build a map
//! column from flat columns or JSON text and look one key up in it.
//!
//! A map column is `List(Struct{key, value})` — the shape polars gives a Parquet MAP. The
//! lookup kernel walks the list offsets and the key array once, comparing raw keys through a
//! small cache of their normalised form, instead of evaluating an expression per list.

use std::collections::HashMap;

use polars::prelude::*;
use polars_arrow::array::{Array, ListArray, StructArray, Utf8ViewArray};
use polars_arrow::offset::OffsetsBuffer;

type LargeListArray = ListArray<i64>;

/// The normalised form of a tag key: the `user:` / `user_` prefix and the flat-column
/// prefixes are dropped, case and punctuation are ignored, AWS-generated keys keep `aws:`.
///
/// `user:Project`, `user_project`, `resourceTags/user:Project`, `resource_tags_user_project`
/// and `Project` all normalise to `project`; `aws:createdBy` and `resource_tags_aws_created_by`
/// to `aws:createdby`.
pub fn normalize_key(raw: &str) -> String {
    let mut key = raw.trim();
    for prefix in [
        "resourceTags/",
        "resource_tags_",
        "costCategory/",
        "cost_category_",
    ] {
        if let Some(rest) = strip_prefix_ignore_case(key, prefix) {
            key = rest;
            break;
        }
    }
    let (aws, rest) = if let Some(rest) =
        strip_prefix_ignore_case(key, "aws:").or_else(|| strip_prefix_ignore_case(key, "aws_"))
    {
        (true, rest)
    } else {
        let rest = strip_prefix_ignore_case(key, "user:")
            .or_else(|| strip_prefix_ignore_case(key, "user_"))
            .unwrap_or(key);
        (false, rest)
    };
    let squashed: String = rest
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if aws {
        format!("aws:{squashed}")
    } else {
        squashed
    }
}

/// The spelling of a tag key to show people, from a flat column name:
/// `resourceTags/user:Project` → `user:Project`, `resource_tags_user_cost_center` →
/// `user_cost_center`.
pub fn display_key_from_column(column: &str, prefix: &str) -> String {
    column[prefix.len()..].to_string()
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Builds a map column from `(key, value)` pairs per row. Empty values are dropped: an
/// empty tag value means the resource is untagged for that key.
pub fn build_map_column<'a>(
    name: PlSmallStr,
    rows: impl Iterator<Item = Vec<(&'a str, &'a str)>>,
) -> PolarsResult<Series> {
    let mut offsets: Vec<i64> = vec![0];
    let mut keys: Vec<&str> = Vec::new();
    let mut values: Vec<&str> = Vec::new();
    for row in rows {
        for (k, v) in row {
            if !v.is_empty() {
                keys.push(k);
                values.push(v);
            }
        }
        offsets.push(keys.len() as i64);
    }
    build_from_parts(name, offsets, &keys, &values)
}

fn build_from_parts(
    name: PlSmallStr,
    offsets: Vec<i64>,
    keys: &[&str],
    values: &[&str],
) -> PolarsResult<Series> {
    let entries = keys.len();
    let key_series =
        StringChunked::from_iter_values("key".into(), keys.iter().copied()).into_series();
    let value_series =
        StringChunked::from_iter_values("value".into(), values.iter().copied()).into_series();
    let inner = StructChunked::from_series("".into(), entries, [key_series, value_series].iter())?
        .rechunk()
        .into_owned();
    let inner_array: Box<dyn Array> = inner.downcast_iter().next().map_or_else(
        || {
            Box::new(StructArray::new_empty(
                inner.dtype().to_arrow(CompatLevel::newest()),
            )) as _
        },
        |a| a.to_boxed(),
    );
    let dtype = LargeListArray::default_datatype(inner_array.dtype().clone());
    let offsets = OffsetsBuffer::try_from(offsets)?;
    let list = LargeListArray::try_new(dtype, offsets, inner_array, None)?;
    Series::from_arrow(name, Box::new(list))
}

/// Looks `wanted` (already normalised with [`normalize_key`]) up in every row of a map
/// column; rows without the key, or with an empty value, give null.
///
/// One pass over the list offsets finds, per row, the index of the matching entry; the
/// output gathers those entries' string views from the map's value array, so no value is
/// copied. Each distinct raw key is normalised once per chunk.
pub fn map_lookup(column: &Column, wanted: &str) -> PolarsResult<Column> {
    let list = column.list()?;
    let mut out: Option<StringChunked> = None;
    for array in list.downcast_iter() {
        let part = lookup_chunk(array, wanted)?;
        match out.as_mut() {
            Some(acc) => {
                acc.append(&part)?;
            }
            None => out = Some(part),
        }
    }
    let out = out.unwrap_or_else(|| StringChunked::full_null(PlSmallStr::EMPTY, 0));
    Ok(out.with_name(column.name().clone()).into_column())
}

fn lookup_chunk(array: &LargeListArray, wanted: &str) -> PolarsResult<StringChunked> {
    let entries = array
        .values()
        .as_any()
        .downcast_ref::<StructArray>()
        .ok_or_else(
            || polars_err!(SchemaMismatch: "map column entries are not key/value structs"),
        )?;
    let [keys, values] = struct_strings(entries)?;
    let mut matches: HashMap<&str, bool> = HashMap::new();
    let offsets = array.offsets().as_slice();
    let found = (0..array.len()).map(|row| {
        if !array.is_valid(row) {
            return None;
        }
        let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
        (start..end)
            .find(|&j| {
                keys.is_valid(j) && {
                    let raw = keys.value(j);
                    *matches
                        .entry(raw)
                        .or_insert_with(|| normalize_key(raw) == wanted)
                }
            })
            .filter(|&j| values.is_valid(j) && values.views()[j].length > 0)
            .map(|j| j as IdxSize)
    });
    let indices = IdxCa::from_iter_options(PlSmallStr::EMPTY, found);
    let values = StringChunked::with_chunk(PlSmallStr::EMPTY, values.clone());
    values.take(&indices)
}

fn struct_strings(entries: &StructArray) -> PolarsResult<[&Utf8ViewArray; 2]> {
    let fields = entries.values();
    polars_ensure!(fields.len() == 2, SchemaMismatch: "map entries must have a key and a value");
    fn as_str(a: &dyn Array) -> PolarsResult<&Utf8ViewArray> {
        a.as_any()
            .downcast_ref::<Utf8ViewArray>()
            .ok_or_else(|| polars_err!(SchemaMismatch: "map keys and values must be text"))
    }
    Ok([as_str(fields[0].as_ref())?, as_str(fields[1].as_ref())?])
}

/// The distinct raw keys of a map column with their normalised form, sorted by raw key.
pub fn distinct_keys(column: &Column) -> PolarsResult<Vec<(String, String)>> {
    let list = column.list()?;
    let mut seen = std::collections::BTreeSet::new();
    for array in list.downcast_iter() {
        let entries = array
            .values()
            .as_any()
            .downcast_ref::<StructArray>()
            .ok_or_else(
                || polars_err!(SchemaMismatch: "map column entries are not key/value structs"),
            )?;
        let [keys, _] = struct_strings(entries)?;
        seen.extend(keys.iter().flatten().map(str::to_string));
    }
    Ok(seen
        .into_iter()
        .map(|k| {
            let n = normalize_key(&k);
            (k, n)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_spellings_normalise_to_one_key() {
        for raw in [
            "user:Project",
            "user_project",
            "Project",
            "resourceTags/user:Project",
            "resource_tags_user_project",
        ] {
            assert_eq!(normalize_key(raw), "project", "{raw}");
        }
        assert_eq!(
            normalize_key("user:CostCenter"),
            normalize_key("resource_tags_user_cost_center")
        );
        assert_eq!(normalize_key("aws:createdBy"), "aws:createdby");
        assert_eq!(
            normalize_key("resource_tags_aws_created_by"),
            "aws:createdby"
        );
    }

    #[test]
    fn builds_and_looks_up_a_map() -> PolarsResult<()> {
        let rows = vec![
            vec![("user:Project", "WebApp"), ("user:Team", "")],
            vec![],
            vec![("user_project", "Data"), ("user_team", "core")],
        ];
        let map = build_map_column("tags".into(), rows.into_iter())?.into_column();
        assert_eq!(map.dtype(), &crate::schema::map_dtype());
        let project = map_lookup(&map, "project")?;
        let got: Vec<Option<&str>> = project.str()?.iter().collect();
        assert_eq!(got, [Some("WebApp"), None, Some("Data")]);
        let team = map_lookup(&map, "team")?;
        let got: Vec<Option<&str>> = team.str()?.iter().collect();
        assert_eq!(got, [None, None, Some("core")]);
        Ok(())
    }
}

use std::path::{Path, PathBuf};

use curlens::ingest::{self, LoadOptions};

use crate::util::*;

const HEADER: &str = "identity/LineItemId,identity/TimeInterval,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UnblendedCost";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The error of loading and then reading every canonical column.
fn error_of(paths: &[PathBuf]) -> String {
    let load = match ingest::load(paths, &LoadOptions::default()) {
        Ok(load) => load,
        Err(e) => return e.to_string(),
    };
    match ingest::collect(load.frame.clone(), &load) {
        Ok(df) => panic!("expected an error, loaded {} rows", df.height()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn missing_required_column_names_format_and_closest_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "cur.csv",
        "identity/LineItemId,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/BlendedCost,lineItem/UnblendedRate\nx,1,Usage,2025-10-01T00:00:00Z,1,1\n",
    );
    assert_eq!(
        error_of(std::slice::from_ref(&path)),
        format!(
            "{}: legacy CUR (CSV headers) export is missing required column `lineItem/UnblendedCost` \
             (canonical `unblended_cost`); closest names present: `lineItem/BlendedCost`, `lineItem/UnblendedRate`",
            path.display()
        )
    );
}

#[test]
fn unparsable_cost_names_file_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "cur.csv",
        &format!(
            "{HEADER}\na,i,1,Usage,2025-10-01T00:00:00Z,1.5\nb,i,1,Usage,2025-10-01T01:00:00Z,abc\n"
        ),
    );
    assert_eq!(
        error_of(std::slice::from_ref(&path)),
        format!(
            "{}: row 2 (line 3), column `lineItem/UnblendedCost`: cannot parse `abc` as a decimal number (money)",
            path.display()
        )
    );
}

#[test]
fn unparsable_date_names_file_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "cur.csv",
        &format!("{HEADER}\na,i,1,Usage,11/08/2023,1.5\n"),
    );
    assert_eq!(
        error_of(std::slice::from_ref(&path)),
        format!(
            "{}: row 1 (line 2), column `lineItem/UsageStartDate`: cannot parse `11/08/2023` as a timestamp such as 2025-10-01T00:00:00Z",
            path.display()
        )
    );
}

#[test]
fn row_with_too_many_fields_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "cur.csv",
        &format!(
            "{HEADER}\na,i,1,Usage,2025-10-01T00:00:00Z,1.5\nb,i,1,Usage,2025-10-01T00:00:00Z,1.5,extra\n"
        ),
    );
    assert_eq!(
        error_of(std::slice::from_ref(&path)),
        format!("{}: line 3: expected 6 fields, found 7", path.display())
    );
}

#[test]
fn truncated_parquet_is_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cur.parquet");
    let mut df = polars::prelude::df!("line_item_unblended_cost" => [1.0, 2.0]).unwrap();
    write_parquet(&path, &mut df);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = error_of(std::slice::from_ref(&path));
    assert!(
        err.starts_with(&format!(
            "{}: not a readable Parquet file (corrupt or truncated): ",
            path.display()
        )),
        "{err}"
    );
}

#[test]
fn empty_file_and_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "cur.csv", "");
    assert_eq!(
        error_of(std::slice::from_ref(&empty)),
        format!(
            "{}: the file is empty: no header and no rows",
            empty.display()
        )
    );
    let nothing = tempfile::tempdir().unwrap();
    assert_eq!(
        error_of(&[nothing.path().to_path_buf()]),
        format!(
            "no input files: {}: no data files (.parquet, .csv, .csv.gz, .gz) found",
            nothing.path().display()
        )
    );
}

#[test]
fn unknown_layout_says_what_was_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "x.csv", "pricing_unit,amount\nHrs,1\n");
    assert_eq!(
        error_of(std::slice::from_ref(&path)),
        format!(
            "{}: not a CUR or FOCUS export: none of CUR 2.0 / legacy CUR / FOCUS: no `line_item_unblended_cost`, \
             `lineItem/UnblendedCost` or `BilledCost` column (first columns: pricing_unit, amount)",
            path.display()
        )
    );
}

#[test]
fn header_from_with_the_wrong_width_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let header = write(
        dir.path(),
        "header.txt",
        "identity_line_item_id\x01line_item_unblended_cost\n",
    );
    let data = dir.path().join("data.gz");
    write_gzip(&data, b"a\x01b\x01c\n");
    let options = LoadOptions {
        header_from: vec![header],
        ..LoadOptions::default()
    };
    let err = ingest::load(std::slice::from_ref(&data), &options)
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        err,
        format!(
            "{}: --header-from gives 2 column names but the file has 3 fields per row",
            data.display()
        )
    );
}
